//! Chapter 3, "QLoRA": what each figure shows for a given set of controls. The NF4 code over the
//! normal density; a weight matrix quantised blockwise, with its error and one block's histogram;
//! error against block size; double quantisation; LoftQ-style adapters against rank; memory of
//! LLaMA-1 models. Captions are written from the numbers they describe.
//!
//! Conventions: W is size×size, row-major as its blocks run (see [`crate::math::quant`]). Errors are
//! mean squared errors of a unit-variance matrix unless said otherwise. Percentages are shares.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::export::{column_csv, matrix_csv, Download};
use crate::figures::tables::Table;
use crate::figures::training::MatrixData;
use crate::format::{bytes, count_noun, significant, thousands};
use crate::math::quant::memory::{training_memory, QuantSettings, Setup, LLAMA, PAPER_GPU_BYTES};
use crate::math::quant::{
    bits_per_parameter, clamp_block, inverse_normal_cdf, mse_by_block_size, noise_energy_share,
    normal_cdf, normal_density, residual_norms, weight_matrix, Code, Codebook, Distribution,
    DoubleQuantised, Quantised, MAX_BLOCK, MIN_BLOCK, NF4_OFFSET,
};
use crate::math::svd::{rank_for_energy, singular_values};
use crate::state::QloraState;

/// The smallest side of W.
pub const MIN_SIZE: usize = 64;

/// The largest side of W.
pub const MAX_SIZE: usize = 1024;

/// Student-t's degrees of freedom range from this…
pub const MIN_NU: f64 = 1.0;

/// …to this.
pub const MAX_NU: f64 = 100.0;

/// Outliers range from this many standard deviations…
pub const MIN_K: f64 = 1.0;

/// …to this.
pub const MAX_K: f64 = 100.0;

/// Bins of a block's histogram over [−1, 1].
pub const HISTOGRAM_BINS: usize = 32;

/// The chapter's controls.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct QloraParams {
    /// Side of the square weight matrix W.
    pub size: usize,
    /// How W's entries are drawn.
    pub distribution: Distribution,
    /// Values a block: a power of two from 16 to 4096.
    pub block_size: usize,
    /// The 4-bit code.
    pub code: Code,
    /// The block whose histogram is shown, 0-based.
    pub block: usize,
    /// The adapter's rank.
    pub rank: usize,
    /// The seed of W.
    pub seed: u64,
}

impl Default for QloraParams {
    /// A 128×128 normal matrix in NF4 blocks of 64, QLoRA's setting, and a rank-16 adapter.
    fn default() -> Self {
        Self {
            size: 128,
            distribution: Distribution::Normal,
            block_size: 64,
            code: Code::Nf4,
            block: 0,
            rank: 16,
            seed: 1,
        }
    }
}

/// `value` within [lo, hi], with a notice naming `what` when it moved.
fn clamp_noted<T: PartialOrd + Copy + std::fmt::Display>(
    value: T,
    lo: T,
    hi: T,
    what: &str,
    notices: &mut Vec<String>,
) -> T {
    let clamped = if value < lo {
        lo
    } else if value > hi {
        hi
    } else {
        value
    };
    if clamped != value {
        notices.push(format!(
            "The {what} {value} is outside {lo}…{hi}; it is now {clamped}."
        ));
    }
    clamped
}

/// The power of two nearest to `n` (n ≥ 1) on a log scale.
fn nearest_power_of_two(n: usize) -> usize {
    let below = 1usize << (usize::BITS - 1 - n.max(1).leading_zeros());
    if below == n || (n as f64 / below as f64) < std::f64::consts::SQRT_2 {
        below
    } else {
        below << 1
    }
}

impl QloraParams {
    /// The figures' parameters at chapter 3's state (the histogram's block counts from 1 there).
    pub fn from_state(state: &QloraState) -> Self {
        let at = |key| state.value_of(key);
        let index = |key| at(key) as usize;
        let distribution = match index("qd") {
            1 => Distribution::StudentT { nu: at("qv") },
            2 => Distribution::Outliers { k: at("qk") },
            _ => Distribution::Normal,
        };
        Self {
            size: index("qn"),
            distribution,
            block_size: MIN_BLOCK << index("qb").min(8),
            code: Code::ALL[index("qc").min(Code::ALL.len() - 1)],
            block: index("qh").saturating_sub(1),
            rank: index("qr"),
            seed: at("qs") as u64,
        }
    }

    /// The controls moved into range, and a sentence for each one that moved: the side into
    /// 64…1024, the block size into 16…4096 and onto a power of two, ν into 1…100 and k into
    /// 1…100 (NaN to their lower ends), the block onto an existing one, the rank into 1…size.
    pub fn clamped(self) -> (Self, Vec<String>) {
        let mut notices = Vec::new();
        let size = clamp_noted(self.size, MIN_SIZE, MAX_SIZE, "matrix side", &mut notices);
        let mut block_size = clamp_noted(
            self.block_size,
            MIN_BLOCK,
            MAX_BLOCK,
            "block size",
            &mut notices,
        );
        if !block_size.is_power_of_two() {
            let rounded = clamp_block(nearest_power_of_two(block_size));
            notices.push(format!(
                "Blocks hold a power of two values; {block_size} is now {rounded}."
            ));
            block_size = rounded;
        }
        let real = |v: f64, lo: f64| if v.is_nan() { lo } else { v };
        let distribution = match self.distribution {
            Distribution::Normal => Distribution::Normal,
            Distribution::StudentT { nu } => Distribution::StudentT {
                nu: clamp_noted(real(nu, MIN_NU), MIN_NU, MAX_NU, "ν", &mut notices),
            },
            Distribution::Outliers { k } => Distribution::Outliers {
                k: clamp_noted(real(k, MIN_K), MIN_K, MAX_K, "outlier size k", &mut notices),
            },
        };
        let blocks = (size * size).div_ceil(block_size);
        let block = clamp_noted(self.block + 1, 1, blocks, "block", &mut notices) - 1;
        let rank = clamp_noted(self.rank, 1, size, "rank", &mut notices);
        let params = Self {
            size,
            distribution,
            block_size,
            code: self.code,
            block,
            rank,
            seed: self.seed,
        };
        (params, notices)
    }

    /// W, row-major.
    pub fn weights(&self) -> Vec<f64> {
        weight_matrix(self.size, self.size, self.distribution, self.seed)
    }

    /// W's distribution in words: "normal", "Student-t with ν = 3.00", "normal, about one entry in
    /// 512 an outlier of ±20.0".
    pub fn distribution_words(&self) -> String {
        match self.distribution {
            Distribution::Normal => "normal".to_string(),
            Distribution::StudentT { nu } => format!("Student-t with ν = {}", significant(nu, 3)),
            Distribution::Outliers { k } => format!(
                "normal, about one entry in 512 an outlier of ±{}",
                significant(k, 3)
            ),
        }
    }
}

/// A share as a percentage with three significant figures: 0.0625 → "6.25%".
fn percent(share: f64) -> String {
    format!("{}%", significant(100.0 * share, 3))
}

/// `x` to at most three decimals, trailing zeros dropped: 4.5 → "4.5", 4.126953125 → "4.127".
fn short(x: f64) -> String {
    let text = format!("{x:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `values` as a size×size matrix from row-major order.
fn square(values: &[f64], size: usize) -> DMatrix<f64> {
    DMatrix::from_row_slice(size, size, values)
}

/// The NF4 figure: the levels of the three codes, and NF4's on the scale of N(0, 1).
#[derive(Clone, Debug, PartialEq)]
pub struct CodesFigure {
    /// Each code's levels, in [`Code::ALL`]'s order.
    pub levels: Vec<(Code, Vec<f64>)>,
    /// Φ⁻¹(offset): NF4's top level in standard deviations.
    pub top: f64,
}

impl Default for CodesFigure {
    fn default() -> Self {
        Self::new()
    }
}

impl CodesFigure {
    /// The three codes.
    pub fn new() -> Self {
        Self {
            levels: Code::ALL.iter().map(|&c| (c, c.levels())).collect(),
            top: inverse_normal_cdf(NF4_OFFSET),
        }
    }

    /// NF4's levels in standard deviations: level × Φ⁻¹(offset).
    pub fn nf4_in_sigmas(&self) -> Vec<f64> {
        self.levels.first().map_or(Vec::new(), |(_, l)| {
            l.iter().map(|v| v * self.top).collect()
        })
    }

    /// The N(0, 1) density at `points` evenly spaced x from −1.15·top to 1.15·top: (x, φ(x)).
    pub fn density(&self, points: usize) -> Vec<(f64, f64)> {
        let reach = 1.15 * self.top;
        let steps = points.max(2) - 1;
        (0..=steps)
            .map(|i| -reach + 2.0 * reach * i as f64 / steps as f64)
            .map(|x| (x, normal_density(x)))
            .collect()
    }

    /// The probability between neighbouring NF4 levels, from the lowest up (15 numbers).
    pub fn masses(&self) -> Vec<f64> {
        self.nf4_in_sigmas()
            .windows(2)
            .map(|w| normal_cdf(w[1]) - normal_cdf(w[0]))
            .collect()
    }

    /// The caption, from the masses and the top level.
    pub fn caption(&self) -> String {
        let masses = self.masses();
        let negative = masses.first().copied().unwrap_or(0.0);
        let positive = masses.last().copied().unwrap_or(0.0);
        format!(
            "NF4's 16 levels are quantiles of the normal distribution: 8 above zero, 7 below and an \
             exact zero. The top level is Φ⁻¹({NF4_OFFSET}) = {} standard deviations, scaled to 1. \
             Between neighbouring positive levels lies {} of the probability, between neighbouring \
             negative ones {}: equal areas under the curve, so a normal weight is equally likely to \
             land near any level. FP4 has {} levels, bunched near zero, and int4 {} evenly spaced.",
            significant(self.top, 4),
            percent(positive),
            percent(negative),
            self.count(Code::Fp4),
            self.count(Code::Int4),
        )
    }

    /// The number of levels of `code`.
    fn count(&self, code: Code) -> usize {
        self.levels
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(0, |(_, l)| l.len())
    }

    /// One table a code: index and level to 17 significant digits, which read back exactly.
    pub fn tables(&self) -> Vec<Table> {
        self.levels
            .iter()
            .map(|(code, levels)| Table {
                caption: format!("The {} levels of {}", levels.len(), code.name()),
                header: vec!["index".into(), "level".into()],
                rows: levels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| vec![i.to_string(), format!("{l:.17}")])
                    .collect(),
            })
            .collect()
    }

    /// One CSV file a code: its levels, one a line.
    pub fn downloads(&self) -> Vec<Download> {
        self.levels
            .iter()
            .map(|(code, levels)| Download {
                name: format!("lora-explorer-{}-levels.csv", code.name().to_lowercase()),
                text: column_csv(levels),
            })
            .collect()
    }
}

/// The matrices the quantisation figure paints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantMatrix {
    /// W.
    Weights,
    /// dequant(Q(W)).
    Dequantised,
    /// W − dequant(Q(W)), on its own colour scale.
    Error,
}

impl QuantMatrix {
    /// The three, in the order they are drawn.
    pub const ALL: [QuantMatrix; 3] = [Self::Weights, Self::Dequantised, Self::Error];

    /// The name written over the heatmap.
    pub fn name(self) -> &'static str {
        match self {
            Self::Weights => "W",
            Self::Dequantised => "dequant(Q(W))",
            Self::Error => "W − dequant(Q(W))",
        }
    }

    /// The heatmap's label: its name, and which corner of a larger W it shows.
    pub fn corner_name(self, side: usize, size: usize) -> String {
        if side < size {
            format!("{} (top-left {side}×{side})", self.name())
        } else {
            self.name().to_string()
        }
    }

    /// A name for files.
    fn slug(self) -> &'static str {
        match self {
            Self::Weights => "W",
            Self::Dequantised => "dequantised",
            Self::Error => "error",
        }
    }
}

/// One block's values divided by its absmax, binned, with the code's levels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockHistogram {
    /// The block, 0-based.
    pub block: usize,
    /// Row and column (0-based) of its first value.
    pub start: (usize, usize),
    /// Its absmax.
    pub absmax: f64,
    /// [`HISTOGRAM_BINS`] counts over [−1, 1], equal widths, 1 falling in the last.
    pub counts: Vec<usize>,
    /// The code's levels.
    pub levels: Vec<f64>,
    /// How many of the block's values each level stores.
    pub level_counts: Vec<usize>,
}

/// The largest side of W the page quantises on its main thread; a larger W is quantised in a
/// worker, which sends back a [`QuantView`].
pub const MAIN_THREAD_SIDE: usize = 128;

/// Side of the corner of W the heatmaps show.
pub const CORNER: usize = 64;

/// What the quantisation figure and the double-quantisation figure show of a [`QuantFigure`]: the
/// corners of the three matrices, the chosen block's histogram and every caption. The page paints
/// only this, whether it computed it or a worker sent it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantView {
    /// The controls, in range.
    pub params: QloraParams,
    /// The top-left [`CORNER`]×[`CORNER`] of W, dequant(Q(W)) and the error, in
    /// [`QuantMatrix::ALL`]'s order.
    pub corners: Vec<MatrixData>,
    /// The figure's caption.
    pub caption: String,
    /// The chosen block's histogram.
    pub histogram: BlockHistogram,
    /// Its caption.
    pub histogram_caption: String,
    /// Double quantisation's two sums.
    pub double_sums: [String; 2],
    /// Its caption.
    pub double_caption: String,
}

/// The quantisation figure's status while a worker quantises W.
pub fn quantising_status(params: &QloraParams) -> String {
    let n = thousands(params.size as u64);
    format!("Quantising the {n}×{n} W in a background worker…")
}

/// The quantisation figure's status once the worker has quantised W in `ms` milliseconds.
pub fn quantised_status(ms: f64) -> String {
    format!(
        "Quantised in {} ms in a background worker.",
        thousands(ms.round() as u64)
    )
}

impl QuantView {
    /// The CSV files of the corners shown: the page keeps no more of a W quantised in a worker.
    pub fn downloads(&self) -> Vec<Download> {
        QuantMatrix::ALL
            .iter()
            .zip(&self.corners)
            .filter_map(|(&id, corner)| {
                let m = corner.to_matrix()?;
                Some(Download {
                    name: format!(
                        "lora-explorer-qlora-{}-top-left-{}x{}.csv",
                        id.slug(),
                        m.nrows(),
                        m.ncols()
                    ),
                    text: matrix_csv(&m),
                })
            })
            .collect()
    }

    /// What `figure` shows.
    pub fn of(figure: &QuantFigure) -> Self {
        let double = DoubleQuantFigure::new(figure);
        Self {
            params: figure.params,
            corners: QuantMatrix::ALL
                .iter()
                .map(|&id| MatrixData::of(&figure.corner(id, CORNER)))
                .collect(),
            caption: figure.caption(),
            histogram: figure.histogram(),
            histogram_caption: figure.histogram_caption(),
            double_sums: double.sums(),
            double_caption: double.caption(),
        }
    }
}

/// A weight matrix quantised blockwise with one code.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantFigure {
    /// The controls, in range.
    pub params: QloraParams,
    /// W, row-major.
    pub weights: Vec<f64>,
    /// Codes and constants.
    pub quantised: Quantised,
    /// dequant(Q(W)), row-major.
    pub dequantised: Vec<f64>,
    /// W − dequant(Q(W)), row-major: computed once, read by every caption and matrix.
    error: Vec<f64>,
    /// Its mean square.
    mse: f64,
    /// The code used.
    codebook: Codebook,
}

impl QuantFigure {
    /// Draws W and quantises it; `params` are clamped first.
    pub fn new(params: &QloraParams) -> Self {
        let (params, _) = params.clamped();
        Self::quantise(params, params.weights())
    }

    /// The figure at `params`, drawing W again only if its side, distribution or seed changed:
    /// a new block size or code only quantises again.
    pub fn update(self, params: &QloraParams) -> Self {
        let (params, _) = params.clamped();
        let same = |p: &QloraParams| (p.size, p.distribution, p.seed);
        if same(&params) == same(&self.params) {
            Self::quantise(params, self.weights)
        } else {
            Self::quantise(params, params.weights())
        }
    }

    /// Quantises `weights`, W at `params` (clamped).
    fn quantise(params: QloraParams, weights: Vec<f64>) -> Self {
        let codebook = params.code.codebook();
        let quantised = Quantised::new(&weights, params.block_size, &codebook);
        let dequantised = quantised.dequantise(&codebook);
        let error: Vec<f64> = weights
            .iter()
            .zip(&dequantised)
            .map(|(w, d)| w - d)
            .collect();
        let mse = mean_square(&error);
        Self {
            params,
            weights,
            quantised,
            dequantised,
            error,
            mse,
            codebook,
        }
    }

    /// The error W − dequant(Q(W)), row-major.
    pub fn error(&self) -> &[f64] {
        &self.error
    }

    /// One of the three matrices, size×size.
    pub fn matrix(&self, id: QuantMatrix) -> DMatrix<f64> {
        let size = self.params.size;
        match id {
            QuantMatrix::Weights => square(&self.weights, size),
            QuantMatrix::Dequantised => square(&self.dequantised, size),
            QuantMatrix::Error => square(self.error(), size),
        }
    }

    /// The mean squared error.
    pub fn mse(&self) -> f64 {
        self.mse
    }

    /// ‖W − dequant(Q(W))‖_F / ‖W‖_F, 0 for a zero W.
    pub fn relative_error(&self) -> f64 {
        let total = mean_square(&self.weights);
        if total > 0.0 {
            (self.mse() / total).sqrt()
        } else {
            0.0
        }
    }

    /// The largest error and the largest bound, half the largest gap times the block's absmax.
    pub fn worst(&self) -> (f64, f64) {
        let largest = self.error().iter().fold(0.0, |m: f64, e| m.max(e.abs()));
        let absmax = self
            .quantised
            .absmax
            .iter()
            .fold(0.0, |m: f64, &a| m.max(a));
        (largest, 0.5 * self.codebook.largest_gap() * absmax)
    }

    /// Shows block `block` (0-based) in the histogram, or the last block if there are fewer.
    pub fn select_block(&mut self, block: usize) {
        let blocks = self.quantised.absmax.len().max(1);
        self.params.block = block.min(blocks - 1);
    }

    /// The top-left corner of matrix `id`, at most `side`×`side`, for a heatmap whose cells stay
    /// visible at any size of W.
    pub fn corner(&self, id: QuantMatrix, side: usize) -> DMatrix<f64> {
        let n = self.params.size;
        let m = side.min(n);
        let values: &[f64] = match id {
            QuantMatrix::Weights => &self.weights,
            QuantMatrix::Dequantised => &self.dequantised,
            QuantMatrix::Error => &self.error,
        };
        DMatrix::from_fn(m, m, |row, col| {
            values.get(row * n + col).copied().unwrap_or(0.0)
        })
    }

    /// The histogram of block `params.block`.
    pub fn histogram(&self) -> BlockHistogram {
        let b = self.params.block_size;
        let block = self.params.block;
        let start = (block * b).min(self.weights.len());
        let end = (start + b).min(self.weights.len());
        let absmax = self.quantised.absmax.get(block).copied().unwrap_or(0.0);
        let scale = if absmax > 0.0 { 1.0 / absmax } else { 0.0 };
        let mut counts = vec![0; HISTOGRAM_BINS];
        let mut level_counts = vec![0; self.codebook.levels().len()];
        for (v, &c) in self.weights[start..end]
            .iter()
            .zip(&self.quantised.codes[start..end])
        {
            let x = (v * scale).clamp(-1.0, 1.0);
            let bin = ((x + 1.0) / 2.0 * HISTOGRAM_BINS as f64) as usize;
            counts[bin.min(HISTOGRAM_BINS - 1)] += 1;
            if let Some(n) = level_counts.get_mut(usize::from(c)) {
                *n += 1;
            }
        }
        BlockHistogram {
            block,
            start: (start / self.params.size, start % self.params.size),
            absmax,
            counts,
            levels: self.codebook.levels().to_vec(),
            level_counts,
        }
    }

    /// The caption, from the numbers.
    pub fn caption(&self) -> String {
        let p = &self.params;
        let (largest, bound) = self.worst();
        format!(
            "W is {n}×{n} ({dist}). {code} in blocks of {b}: {blocks} absmax constants. Mean squared \
             error {mse}; ‖W − dequant(Q(W))‖_F is {rel} of ‖W‖_F. The largest error, {largest}, \
             stays within half of {code}'s largest gap times the largest absmax, {bound}.",
            n = p.size,
            dist = p.distribution_words(),
            code = p.code.name(),
            b = thousands(p.block_size as u64),
            blocks = thousands(self.quantised.absmax.len() as u64),
            mse = significant(self.mse(), 3),
            rel = percent(self.relative_error()),
            largest = significant(largest, 3),
            bound = significant(bound, 3),
        )
    }

    /// The histogram's caption, from its counts.
    pub fn histogram_caption(&self) -> String {
        let h = self.histogram();
        let used = h.level_counts.iter().filter(|&&n| n > 0).count();
        let total: usize = h.level_counts.iter().sum();
        let busiest = h.level_counts.iter().copied().max().unwrap_or(0);
        format!(
            "Block {} (from row {}, column {}) divided by its absmax {}: its {} land on {} of \
             {}'s {} levels; the busiest level stores {}.",
            h.block + 1,
            h.start.0 + 1,
            h.start.1 + 1,
            significant(h.absmax, 3),
            count_noun(total as u64, "value", "values"),
            used,
            self.params.code.name(),
            h.levels.len(),
            count_noun(busiest as u64, "value", "values"),
        )
    }

    /// The three matrices as CSV files.
    pub fn downloads(&self) -> Vec<Download> {
        let n = self.params.size;
        QuantMatrix::ALL
            .iter()
            .map(|&id| Download {
                name: format!("lora-explorer-qlora-{}-{n}x{n}.csv", id.slug()),
                text: matrix_csv(&self.matrix(id)),
            })
            .collect()
    }
}

/// The mean of the squares, 0 for no values.
fn mean_square(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().map(|v| v * v).sum::<f64>() / values.len() as f64
    }
}

/// Mean squared error of each code against block size, for one matrix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockSizeSeries {
    /// One series a code, in [`Code::ALL`]'s order: (block size, MSE).
    pub series: Vec<(Code, Vec<(usize, f64)>)>,
    /// W's distribution in words.
    pub distribution: String,
}

impl BlockSizeSeries {
    /// The series for the matrix of `params` (the block size and code are not used).
    pub fn new(params: &QloraParams) -> Self {
        let (params, _) = params.clamped();
        Self {
            series: mse_by_block_size(&params.weights()),
            distribution: params.distribution_words(),
        }
    }

    /// The MSE of `code` at `block_size`, if that pair is in the series.
    pub fn mse(&self, code: Code, block_size: usize) -> Option<f64> {
        self.series
            .iter()
            .find(|(c, _)| *c == code)
            .and_then(|(_, s)| s.iter().find(|(b, _)| *b == block_size))
            .map(|&(_, e)| e)
    }

    /// The caption: how NF4's error grows from the smallest to the largest block, and how the
    /// codes compare at 64.
    pub fn caption(&self) -> String {
        let at = |code, b| self.mse(code, b).unwrap_or(0.0);
        let (small, large) = (at(Code::Nf4, MIN_BLOCK), at(Code::Nf4, MAX_BLOCK));
        let growth = if small > 0.0 {
            format!("{} times", significant(large / small, 3))
        } else {
            "without limit".to_string()
        };
        let best = Code::ALL
            .iter()
            .copied()
            .min_by(|a, b| at(*a, 64).total_cmp(&at(*b, 64)))
            .unwrap_or(Code::Nf4);
        format!(
            "Mean squared error on W ({}). NF4's error grows {growth} from blocks of {} \
             ({}) to blocks of {} ({}): a larger block shares one absmax among more values, and \
             one large value squeezes the rest onto fewer levels. At blocks of 64, NF4's error is \
             {}, FP4's {} and int4's {}; {} is lowest.",
            self.distribution,
            MIN_BLOCK,
            significant(small, 3),
            thousands(MAX_BLOCK as u64),
            significant(large, 3),
            significant(at(Code::Nf4, 64), 3),
            significant(at(Code::Fp4, 64), 3),
            significant(at(Code::Int4, 64), 3),
            best.name(),
        )
    }

    /// The data table: one row a block size, one column a code.
    pub fn table(&self) -> Table {
        let sizes: Vec<usize> = self
            .series
            .first()
            .map_or(Vec::new(), |(_, s)| s.iter().map(|&(b, _)| b).collect());
        Table {
            caption: format!("Mean squared error by block size, W {}", self.distribution),
            header: std::iter::once("block size".to_string())
                .chain(self.series.iter().map(|(c, _)| c.name().to_string()))
                .collect(),
            rows: sizes
                .iter()
                .map(|&b| {
                    std::iter::once(thousands(b as u64))
                        .chain(
                            self.series
                                .iter()
                                .map(|(c, _)| significant(self.mse(*c, b).unwrap_or(f64::NAN), 6)),
                        )
                        .collect()
                })
                .collect(),
        }
    }

    /// The series as CSV: block size, then the MSE of each code.
    pub fn download(&self) -> Download {
        let table = self.table();
        let sizes: Vec<usize> = self
            .series
            .first()
            .map_or(Vec::new(), |(_, s)| s.iter().map(|&(b, _)| b).collect());
        let m = DMatrix::from_fn(sizes.len(), self.series.len() + 1, |i, j| match j {
            0 => sizes[i] as f64,
            _ => self.mse(self.series[j - 1].0, sizes[i]).unwrap_or(f64::NAN),
        });
        Download {
            name: format!(
                "lora-explorer-mse-by-block-size-{}.csv",
                table.header[1..].join("-").to_lowercase()
            ),
            text: matrix_csv(&m),
        }
    }
}

/// Double quantisation of a quantised matrix's constants: storage and error, with and without.
#[derive(Clone, Debug, PartialEq)]
pub struct DoubleQuantFigure {
    /// The block size.
    pub block_size: usize,
    /// Mean squared error with 32-bit constants.
    pub mse_plain: f64,
    /// Mean squared error with double-quantised constants.
    pub mse_double: f64,
    /// The largest relative change of a constant, |ĉ − c| / c over positive c.
    pub worst_constant: f64,
}

impl DoubleQuantFigure {
    /// Double-quantises the constants of `figure`.
    pub fn new(figure: &QuantFigure) -> Self {
        let constants = DoubleQuantised::new(&figure.quantised.absmax).constants();
        let restored = figure
            .quantised
            .dequantise_with(&figure.codebook, &constants);
        let error: Vec<f64> = figure
            .weights
            .iter()
            .zip(&restored)
            .map(|(w, r)| w - r)
            .collect();
        let worst_constant = figure
            .quantised
            .absmax
            .iter()
            .zip(&constants)
            .filter(|(c, _)| **c > 0.0)
            .map(|(c, d)| (d - c).abs() / c)
            .fold(0.0, f64::max);
        Self {
            block_size: figure.params.block_size,
            mse_plain: figure.mse(),
            mse_double: mean_square(&error),
            worst_constant,
        }
    }

    /// The two sums, written out: "4 + 32/64 = 4.5" and "4 + 8/64 + 32/(256·64) = 4.127".
    pub fn sums(&self) -> [String; 2] {
        let b = self.block_size as u64;
        let bits = |double| short(bits_per_parameter(b, double).value());
        [
            format!("4 + 32/{b} = {} bits a parameter", bits(false)),
            format!("4 + 8/{b} + 32/(256·{b}) = {} bits a parameter", bits(true)),
        ]
    }

    /// The caption: bits saved, what that is for LLaMA 65B, and the error it costs.
    pub fn caption(&self) -> String {
        let b = self.block_size as u64;
        let saved = bits_per_parameter(b, false).value() - bits_per_parameter(b, true).value();
        let model = &LLAMA[3];
        let saved_bytes = (saved * model.linear_params() as f64 / 8.0).round() as u64;
        let change = if self.mse_plain > 0.0 {
            self.mse_double / self.mse_plain - 1.0
        } else {
            0.0
        };
        let [plain, double] = self.sums();
        format!(
            "Without double quantisation: {plain}. With it: {double}. That saves {} bits a \
             parameter, {} on {}'s quantised weights. The constants come back within {} of \
             their values, and the mean squared error moves from {} to {} ({}{}).",
            significant(saved, 3),
            bytes(saved_bytes),
            model.name,
            percent(self.worst_constant),
            significant(self.mse_plain, 4),
            significant(self.mse_double, 4),
            if change >= 0.0 { "+" } else { "−" },
            percent(change.abs()),
        )
    }
}

/// What a rank-r adapter initialised from the quantisation error's SVD leaves of it.
#[derive(Clone, Debug, PartialEq)]
pub struct LoftqFigure {
    /// The error's singular values, descending.
    pub sigma: Vec<f64>,
    /// ‖E − BA‖_F at r = 0…n.
    pub residuals: Vec<f64>,
    /// The chosen rank.
    pub rank: usize,
}

impl LoftqFigure {
    /// The figure for `figure`'s error at `rank` (at most the matrix's side).
    pub fn new(figure: &QuantFigure, rank: usize) -> Self {
        let error = figure.matrix(QuantMatrix::Error);
        Self::from_sigma(singular_values(&error), rank)
    }

    /// The figure from the error's singular values, as a worker sends them.
    pub fn from_sigma(sigma: Vec<f64>, rank: usize) -> Self {
        let residuals = residual_norms(&sigma);
        Self {
            rank: rank.min(sigma.len()),
            sigma,
            residuals,
        }
    }

    /// The share of the error's energy ‖E‖_F² a rank-r adapter cancels.
    pub fn absorbed(&self, rank: usize) -> f64 {
        let total = self.residuals.first().copied().unwrap_or(0.0);
        let left = self.residuals.get(rank).copied().unwrap_or(0.0);
        if total > 0.0 {
            1.0 - (left / total).powi(2)
        } else {
            0.0
        }
    }

    /// What the chosen rank would cancel of a square matrix of pure noise (Marchenko–Pastur).
    pub fn noise_share(&self) -> f64 {
        let n = self.sigma.len();
        if n == 0 {
            0.0
        } else {
            noise_energy_share(self.rank as f64 / n as f64)
        }
    }

    /// The caption: how much the chosen rank cancels, against what it would cancel of pure noise,
    /// and the rank that cancels half.
    pub fn caption(&self) -> String {
        let n = self.sigma.len();
        let r = self.rank;
        let total = self.residuals.first().copied().unwrap_or(0.0);
        let left = self.residuals.get(r).copied().unwrap_or(0.0);
        let absorbed = self.absorbed(r);
        let noise = self.noise_share();
        let half = rank_for_energy(&self.sigma, 0.5);
        let verdict = if absorbed <= 1.25 * noise {
            "The quantisation error is noise-like: its energy is spread over all directions, and a \
             low-rank adapter cancels little of it"
        } else {
            "The error has more structure than noise: its largest directions carry extra energy"
        };
        format!(
            "A rank-{r} adapter set from the SVD of the quantisation error cancels {} of its energy \
             (‖E‖_F falls from {} to {}). Pure noise of this shape would give about {}. {verdict}; \
             cancelling half of it takes rank {half} of {n}. This is Eckart–Young, as in chapter 1: \
             what is left is the tail of E's singular values.",
            percent(absorbed),
            significant(total, 3),
            significant(left, 3),
            percent(noise),
        )
    }

    /// The data table: rank, what is left, the share cancelled.
    pub fn table(&self) -> Table {
        Table {
            caption: "What a rank-r adapter from the error's SVD leaves of it".to_string(),
            header: vec![
                "r".into(),
                "‖E − BA‖_F".into(),
                "share of ‖E‖_F² cancelled".into(),
            ],
            rows: self
                .residuals
                .iter()
                .enumerate()
                .map(|(r, left)| {
                    vec![
                        r.to_string(),
                        significant(*left, 6),
                        percent(self.absorbed(r)),
                    ]
                })
                .collect(),
        }
    }

    /// The residuals as CSV: rank, ‖E − BA‖_F.
    pub fn download(&self) -> Download {
        let m = DMatrix::from_fn(self.residuals.len(), 2, |r, j| match j {
            0 => r as f64,
            _ => self.residuals[r],
        });
        Download {
            name: format!("lora-explorer-loftq-residuals-{}.csv", self.sigma.len()),
            text: matrix_csv(&m),
        }
    }
}

/// Training memory of the four LLaMA-1 models under the three setups.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryFigure {
    /// The LoRA rank.
    pub rank: u64,
    /// How QLoRA's base is quantised.
    pub quant: QuantSettings,
}

impl MemoryFigure {
    /// The sentence that says what is counted.
    pub const COUNTED: &'static str = "Counted: base weights (NF4 codes and their constants for \
        QLoRA, with 16-bit embeddings and norms; 16-bit otherwise), LoRA's 16-bit weights on every \
        linear layer, 16-bit gradients and Adam's two 32-bit moments. Activations are excluded: \
        they grow with batch size and sequence length.";

    /// The table: one row a model, one column a setup, then QLoRA's parts.
    pub fn table(&self) -> Table {
        Table {
            caption: format!(
                "Training memory at LoRA rank {}, blocks of {}{}",
                self.rank,
                self.quant.block_size,
                if self.quant.double_quantised {
                    ", double-quantised"
                } else {
                    ""
                }
            ),
            header: std::iter::once("Model".to_string())
                .chain(Setup::ALL.iter().map(|s| s.name().to_string()))
                .chain([
                    "QLoRA: base".to_string(),
                    "QLoRA: LoRA weights and gradients".to_string(),
                    "QLoRA: Adam".to_string(),
                ])
                .collect(),
            rows: LLAMA
                .iter()
                .map(|model| {
                    let qlora = training_memory(model, Setup::Qlora, self.rank, self.quant);
                    std::iter::once(model.name.to_string())
                        .chain(Setup::ALL.iter().map(|&s| {
                            bytes(training_memory(model, s, self.rank, self.quant).total())
                        }))
                        .chain([
                            bytes(qlora.base),
                            bytes(qlora.adapter + qlora.gradients),
                            bytes(qlora.optimiser),
                        ])
                        .collect()
                })
                .collect(),
        }
    }

    /// The caption: 65B's computed total against the paper's 48 GB, and what paged optimisers do.
    pub fn caption(&self) -> String {
        let model = &LLAMA[3];
        let memory = |setup| training_memory(model, setup, self.rank, self.quant);
        let qlora = memory(Setup::Qlora);
        let fits = if qlora.total() <= PAPER_GPU_BYTES {
            format!(
                "leaving {} of a 48 GB GPU for activations",
                bytes(PAPER_GPU_BYTES - qlora.total())
            )
        } else {
            format!(
                "{} more than a 48 GB GPU holds before any activation",
                bytes(qlora.total() - PAPER_GPU_BYTES)
            )
        };
        format!(
            "{} with QLoRA: {} ({} of base weights, {} of Adam states), {fits}. The same model \
             takes {} with 16-bit LoRA and {} with 16-bit full fine-tuning. The QLoRA paper fits \
             it on one 48 GB GPU; its paged optimisers keep Adam's states in memory the CPU can \
             take back, so a spike of activations on a long sequence pages them out instead of \
             running out of memory. {}",
            model.name,
            bytes(qlora.total()),
            bytes(qlora.base),
            bytes(qlora.optimiser),
            bytes(memory(Setup::Lora16).total()),
            bytes(memory(Setup::Full16).total()),
            Self::COUNTED,
        )
    }
}
