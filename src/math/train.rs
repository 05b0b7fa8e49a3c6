//! Chapter 2's experiment, "Watch LoRA learn": one linear layer, adapted to a new task by full
//! fine-tuning and by LoRA, trained side by side on the same batches.
//!
//! The layer's pretrained weight W₀ (d×k) has entries drawn from N(0, 1/k), so that y = W₀·x has
//! unit-variance outputs for x ~ N(0, I). The new task is y = (W₀ + ΔW*)·x + σ·ε with ε ~ N(0, I)
//! and ΔW* = U·diag(s)·Vᵀ, U and V with random orthonormal columns, its size set relative to W₀:
//! ‖ΔW*‖_F = `relative_size`·‖W₀‖_F.
//!
//! Conventions:
//! - The loss of one example is ½‖ŷ − y‖², and a batch's loss is its mean over the batch. For
//!   x ~ N(0, I) the expected loss of a weight W₀ + ΔW on the new task is
//!   ½‖ΔW − ΔW*‖²_F + ½·d·σ², and on the pretraining task (y = W₀·x, no noise) ½‖ΔW‖²_F.
//! - Full fine-tuning trains W = W₀ + ΔW through ΔW, which starts at zero: the gradient with
//!   respect to W and to ΔW is the same, and so are the optimiser's steps. LoRA trains B and A of
//!   W = W_base + s·B·A, where W_base is W₀, or PiSSA's residual. Both learn from the targets
//!   t = y − W_base·x, computed once, so that a step never touches W₀.
//! - "The update" of a method is its weight minus W₀, whatever its parametrisation: ΔW for full
//!   fine-tuning, (W_base − W₀) + s·B·A for LoRA (s·B·A unless PiSSA).
//! - Inside a step, matrices are plain `Vec<f64>`: examples are rows (a batch's inputs b×k, its
//!   targets b×d), and parameters are column-major, as nalgebra stores matrices (ΔW, B and A),
//!   which is their transposes row-major, so that no product of a step needs a transposed copy
//!   but B's. Every buffer is allocated once, when the trainer is made: a step allocates nothing.
//!   LoRA's forward pass is s·(x·Aᵀ)·Bᵀ, two low-rank products; no d×k matrix is formed for it.
//!   Anything shown to a reader (losses, updates) is computed only when asked, as
//!   `nalgebra::DMatrix<f64>`.
//! - Batches are drawn without replacement: each epoch is a fresh shuffle of the N examples
//!   (Fisher–Yates, from the seed and the epoch's number), and a batch that runs past the end of
//!   an epoch continues into the next one. Both runs see the same batches.
//! - A set's losses come from its second moments (mean x·xᵀ, mean t·xᵀ, mean ‖t‖²), computed once,
//!   so an evaluation costs d·k² operations however many examples the set holds. The price is
//!   rounding: a loss below about 10⁻¹⁵ of the targets' mean energy is noise, and a computed
//!   loss below zero is reported as 0.
//! - A run stops at the first step whose batch loss is not finite ("diverged at step N", steps
//!   counted from 1) and keeps its last finite parameters; its curve never holds a non-finite value.
//! - Same configuration, same numbers, bit for bit: every random number is a [`Stream`] entry, and
//!   every sum runs in a fixed order.

use std::fmt;
use std::ops::Range;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use super::lanes::F2;
use super::rng::Stream;
use super::svd::{singular_values, Decomposition};

/// The smallest side d or k of the layer.
pub const MIN_SIDE: usize = 8;
/// The largest side d or k of the layer.
pub const MAX_SIDE: usize = 128;
/// The default side of the layer.
pub const DEFAULT_SIDE: usize = 64;
/// The fewest training examples.
pub const MIN_EXAMPLES: usize = 16;
/// The most training examples.
pub const MAX_EXAMPLES: usize = 8192;
/// The largest rank, of ΔW* as of the adapter.
pub const MAX_RANK: usize = 64;
/// The largest LoRA+ ratio η_B/η_A.
pub const MAX_LORA_PLUS_RATIO: f64 = 16.0;
/// The largest power-law exponent p.
pub const MAX_EXPONENT: f64 = 4.0;
/// The largest ‖ΔW*‖_F / ‖W₀‖_F.
pub const MAX_RELATIVE_SIZE: f64 = 10.0;
/// The largest label noise σ.
pub const MAX_NOISE: f64 = 10.0;
/// Examples of the held-out test set of the new task.
pub const TEST_EXAMPLES: usize = 2048;
/// Examples of the held-out set of the pretraining task, which measures forgetting.
pub const PRETRAIN_EXAMPLES: usize = 1024;

/// Adam's decay of the first moment.
pub const ADAM_BETA1: f64 = 0.9;
/// Adam's decay of the second moment.
pub const ADAM_BETA2: f64 = 0.999;
/// Adam's ε, added to the root of the second moment.
pub const ADAM_EPS: f64 = 1e-8;

/// Stream ids of the experiment's random numbers, apart from every other figure's.
const STREAM_W0: u64 = 0x5452_0001;
const STREAM_U: u64 = 0x5452_0002;
const STREAM_V: u64 = 0x5452_0003;
const STREAM_TRAIN_X: u64 = 0x5452_0004;
const STREAM_TRAIN_NOISE: u64 = 0x5452_0005;
const STREAM_TEST_X: u64 = 0x5452_0006;
const STREAM_TEST_NOISE: u64 = 0x5452_0007;
const STREAM_PRETRAIN_X: u64 = 0x5452_0008;
const STREAM_SHUFFLE: u64 = 0x5452_0009;
const STREAM_LORA_A: u64 = 0x5452_000A;

/// The singular values of ΔW*, before they are scaled to its size.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Spectrum {
    /// Exactly `rank` non-zero singular values, decaying linearly: sᵢ ∝ rank + 1 − i for
    /// i = 1…rank, so the largest is `rank` times the smallest. They are distinct, so the best
    /// rank-r approximation of ΔW* is unique, and every component is learnable.
    ExactRank(usize),
    /// Every one of the min(d, k) singular values non-zero, sᵢ ∝ i^(−p), p the exponent.
    PowerLaw(f64),
}

/// How B and A start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Init {
    /// Hugging Face PEFT's default: B = 0 and A drawn from U(−1/√k, 1/√k).
    Peft,
    /// The LoRA paper's Gaussian: B = 0 and A drawn from N(0, 1/r²).
    Gaussian,
    /// PiSSA: B and A from W₀'s r largest singular triplets, B = U_r·√S_r/√s and
    /// A = √S_r·V_rᵀ/√s, with the frozen residual W_res = W₀ − s·B·A in place of W₀.
    Pissa,
}

/// The scale s of the adapter's product s·B·A.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scaling {
    /// The LoRA paper's and PEFT's s = α/r.
    Standard,
    /// rsLoRA's s = α/√r.
    RankStabilised,
}

/// The optimiser of both runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Optimizer {
    /// Plain gradient descent on each batch: p ← p − η·g.
    Sgd,
    /// Adam with β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸ and bias correction.
    Adam,
}

/// What defines the layer and the data: everything but the training.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// Rows of W₀ (outputs).
    pub d: usize,
    /// Columns of W₀ (inputs).
    pub k: usize,
    /// The singular values of ΔW*.
    pub spectrum: Spectrum,
    /// ‖ΔW*‖_F / ‖W₀‖_F.
    pub relative_size: f64,
    /// The label noise σ, the standard deviation of each output's noise.
    pub noise: f64,
    /// Training examples N.
    pub examples: usize,
    /// The seed of every random number of the experiment.
    pub seed: u64,
}

/// How both methods are trained.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainSpec {
    /// LoRA's rank r.
    pub rank: usize,
    /// LoRA's α.
    pub alpha: f64,
    /// How α becomes the scale s.
    pub scaling: Scaling,
    /// How B and A start.
    pub init: Init,
    /// The optimiser of both methods.
    pub optimizer: Optimizer,
    /// The learning rate η of full fine-tuning and of A.
    pub learning_rate: f64,
    /// LoRA+'s η_B/η_A: B learns at this many times η.
    pub lora_plus_ratio: f64,
    /// Examples a batch.
    pub batch_size: usize,
}

/// The whole experiment.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// The layer and the data.
    pub task: TaskSpec,
    /// The training.
    pub train: TrainSpec,
}

impl Default for Config {
    /// A 64×64 layer and a rank-8 update half W₀'s size, with a little noise and 1,024 examples,
    /// learnt by a rank-4 adapter (so LoRA has a floor to meet) with α = 8, PEFT's start and Adam
    /// at η = 0.005, in batches of 32.
    fn default() -> Self {
        Self {
            task: TaskSpec {
                d: DEFAULT_SIDE,
                k: DEFAULT_SIDE,
                spectrum: Spectrum::ExactRank(8),
                relative_size: 0.5,
                noise: 0.1,
                examples: 1024,
                seed: 1,
            },
            train: TrainSpec {
                rank: 4,
                alpha: 8.0,
                scaling: Scaling::Standard,
                init: Init::Peft,
                optimizer: Optimizer::Adam,
                learning_rate: 0.005,
                lora_plus_ratio: 1.0,
                batch_size: 32,
            },
        }
    }
}

/// `value` within [lo, hi]; NaN becomes `lo`.
fn clamp_real(value: f64, lo: f64, hi: f64) -> f64 {
    if value.is_nan() {
        lo
    } else {
        value.clamp(lo, hi)
    }
}

impl Config {
    /// The configuration moved into range: sides into 8…128; ΔW*'s rank into 1…min(64, d, k),
    /// its exponent into 0…4; its relative size into 10⁻⁶…10 and σ into 0…10; examples into
    /// 16…8192; the adapter's rank into 1…min(64, d, k); α into 10⁻⁶…10⁶; η into 10⁻¹²…10⁶;
    /// the LoRA+ ratio into 1…16; the batch into 1…N. NaN goes to the lower end.
    pub fn clamped(self) -> Self {
        let task = self.task;
        let d = task.d.clamp(MIN_SIDE, MAX_SIDE);
        let k = task.k.clamp(MIN_SIDE, MAX_SIDE);
        let max_rank = MAX_RANK.min(d).min(k);
        let spectrum = match task.spectrum {
            Spectrum::ExactRank(r) => Spectrum::ExactRank(r.clamp(1, max_rank)),
            Spectrum::PowerLaw(p) => Spectrum::PowerLaw(clamp_real(p, 0.0, MAX_EXPONENT)),
        };
        let examples = task.examples.clamp(MIN_EXAMPLES, MAX_EXAMPLES);
        let train = self.train;
        Self {
            task: TaskSpec {
                d,
                k,
                spectrum,
                relative_size: clamp_real(task.relative_size, 1e-6, MAX_RELATIVE_SIZE),
                noise: clamp_real(task.noise, 0.0, MAX_NOISE),
                examples,
                seed: task.seed,
            },
            train: TrainSpec {
                rank: train.rank.clamp(1, max_rank),
                alpha: clamp_real(train.alpha, 1e-6, 1e6),
                scaling: train.scaling,
                init: train.init,
                optimizer: train.optimizer,
                learning_rate: clamp_real(train.learning_rate, 1e-12, 1e6),
                lora_plus_ratio: clamp_real(train.lora_plus_ratio, 1.0, MAX_LORA_PLUS_RATIO),
                batch_size: train.batch_size.clamp(1, examples),
            },
        }
    }

    /// The adapter's scale s: α/r, or α/√r for rsLoRA.
    pub fn scale(&self) -> f64 {
        let r = self.train.rank.max(1) as f64;
        match self.train.scaling {
            Scaling::Standard => self.train.alpha / r,
            Scaling::RankStabilised => self.train.alpha / r.sqrt(),
        }
    }
}

/// The two ways of adapting the layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Method {
    /// Every entry of W trained.
    Full,
    /// W₀ frozen, B and A trained.
    Lora,
}

impl Method {
    /// Both, full fine-tuning first.
    pub const ALL: [Method; 2] = [Self::Full, Self::Lora];
}

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Every loss so far was finite.
    Running,
    /// The loss of this step (counted from 1) was not finite, and the run stopped before it.
    Diverged {
        /// The step.
        step: usize,
    },
}

impl fmt::Display for Status {
    /// "running", or "diverged at step N".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Running => write!(f, "running"),
            Self::Diverged { step } => write!(f, "diverged at step {step}"),
        }
    }
}

/// A run's losses after some steps, each the mean of ½‖ŷ − y‖² over a whole set.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Steps taken.
    pub step: usize,
    /// On the new task's training set.
    pub train: f64,
    /// On the new task's held-out test set.
    pub test: f64,
    /// On the pretraining task's held-out set: how much the layer has forgotten.
    pub pretrain: f64,
}

impl Point {
    /// Whether every loss is finite.
    pub fn is_finite(&self) -> bool {
        self.train.is_finite() && self.test.is_finite() && self.pretrain.is_finite()
    }
}

/// The loss no update of rank at most r can beat on the new task (with PiSSA, no update of its
/// form: see [`Task::floor_with_offset`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Floor {
    /// The rank.
    pub rank: usize,
    /// The expected loss for x ~ N(0, I): ½·Σ_{i>r} sᵢ² (the energy of ΔW* beyond its r-th
    /// singular value, by Eckart–Young) plus the noise term.
    pub expected: f64,
    /// The noise term ½·d·σ², the floor of every rank.
    pub noise: f64,
    /// The test-set loss of the best such update: W₀ + ΔW*_r, ΔW*_r the best rank-r
    /// approximation of ΔW*.
    pub on_test: f64,
}

/// Second moments of a set of examples, which give the set's mean loss for any update ΔW in
/// d·k² operations, however many examples it holds.
#[derive(Clone, Debug)]
struct Moments {
    /// Σ = mean of x·xᵀ, k×k.
    second: DMatrix<f64>,
    /// C = mean of t·xᵀ, d×k, t the target y − W₀·x.
    cross: DMatrix<f64>,
    /// τ = mean of ‖t‖².
    energy: f64,
}

impl Moments {
    /// Moments of `count` examples: inputs X (count×k) and targets T (count×d), row-major; no
    /// targets means zero targets.
    fn of(x: &[f64], t: Option<&[f64]>, count: usize, d: usize, k: usize) -> Self {
        let inv = 1.0 / count.max(1) as f64;
        let mut second = vec![0.0; k * k];
        product(inv, x, Layout::Columns, x, &mut second, (k, count, k));
        let mut cross = vec![0.0; d * k];
        let mut energy = 0.0;
        if let Some(t) = t {
            product(inv, t, Layout::Columns, x, &mut cross, (d, count, k));
            energy = inv * t.iter().map(|v| v * v).sum::<f64>();
        }
        Self {
            second: DMatrix::from_row_slice(k, k, &second),
            cross: DMatrix::from_row_slice(d, k, &cross),
            energy,
        }
    }

    /// The mean loss ½‖(W₀ + ΔW)·x − y‖² over the set: ½·(tr(ΔW·Σ·ΔWᵀ) − 2⟨ΔW, C⟩ + τ).
    /// Rounding can take a loss of nearly 0 below 0; it is then 0 (NaN stays NaN).
    fn loss(&self, delta: &DMatrix<f64>) -> f64 {
        let quadratic = (delta * &self.second).dot(delta);
        let loss = 0.5 * (quadratic - 2.0 * delta.dot(&self.cross) + self.energy);
        if loss < 0.0 {
            0.0
        } else {
            loss
        }
    }
}

/// Σ a[i]·b[i] over the shorter length, in four interleaved sums (which the compiler vectorises).
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a4, a_rest) = a[..n].as_chunks::<4>();
    let (b4, b_rest) = b[..n].as_chunks::<4>();
    let mut acc = [0.0; 4];
    // Written out lane by lane, as in `add_columns!`, so that the sums stay in registers.
    for (x, y) in a4.iter().zip(b4) {
        acc[0] += x[0] * y[0];
        acc[1] += x[1] * y[1];
        acc[2] += x[2] * y[2];
        acc[3] += x[3] * y[3];
    }
    let mut tail = 0.0;
    for (x, y) in a_rest.iter().zip(b_rest) {
        tail += x * y;
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + tail
}

/// y += a·x, over the shorter length.
#[inline]
fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// Inner products are summed over chunks of at most this many terms, so that the rows of b a
/// chunk reads stay in cache while every row of a uses them.
const CHUNK: usize = 256;

/// How [`product`] reads its left factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// a is the m×p factor itself, row-major.
    Rows,
    /// a is the factor's transpose, p×m row-major: the product is aᵀ·b.
    Columns,
}

/// c = α·a·b (or α·aᵀ·b, by `layout`) for an m×p left factor, row-major b (p×n) and c (m×n),
/// overwriting c.
///
/// Blocks of 2×8 entries of c are summed in sixteen independent sums at once, so that each entry
/// of a read serves eight products and each of b two, held in pairs of [`F2`] lanes (2×8
/// measured faster than 4×4 with 128-bit vectors; the compiler leaves the scalar form scalar on
/// wasm32, at half the speed); four columns left over make a 2×4 block, and the rest are plain
/// dot products. Each entry is summed over p in order, one
/// chunk of [`CHUNK`] terms at a time.
fn product(
    alpha: f64,
    a: &[f64],
    layout: Layout,
    b: &[f64],
    c: &mut [f64],
    (m, p, n): (usize, usize, usize),
) {
    let c = &mut c[..m * n];
    if p == 0 {
        c.fill(0.0);
        return;
    }
    for p0 in (0..p).step_by(CHUNK) {
        let terms = p0..(p0 + CHUNK).min(p);
        let b_chunk = &b[terms.start * n..terms.end * n];
        product_chunk(alpha, a, layout, b_chunk, c, (m, p, n), terms);
    }
}

/// One chunk of [`product`]: c = α·a[.., terms]·b_chunk for the first chunk, c += that for the
/// rest.
fn product_chunk(
    alpha: f64,
    a: &[f64],
    layout: Layout,
    b_chunk: &[f64],
    c: &mut [f64],
    (m, p, n): (usize, usize, usize),
    terms: Range<usize>,
) {
    let first = terms.start == 0;
    let put = |cell: &mut f64, sum: f64| {
        *cell = if first {
            alpha * sum
        } else {
            *cell + alpha * sum
        };
    };
    let (whole_rows, wide) = (m - m % 2, n - n % 8);
    let narrow = if n - wide >= 4 { wide + 4 } else { wide };
    let shape = (m, p, n);
    let alpha_lanes = F2::splat(alpha);
    // Column blocks outside, row pairs inside: the chunk's columns of b stay in the nearest cache
    // while every row of a passes them.
    for j0 in (0..wide).step_by(8) {
        for i0 in (0..whole_rows).step_by(2) {
            let sums = pair_block8(a, layout, b_chunk, shape, &terms, (i0, j0));
            for (row, row_sums) in sums.iter().enumerate() {
                let start = (i0 + row) * n + j0;
                put_lanes(alpha_lanes, first, &mut c[start..start + 8], row_sums);
            }
        }
    }
    for j0 in (wide..narrow).step_by(4) {
        for i0 in (0..whole_rows).step_by(2) {
            let sums = pair_block4(a, layout, b_chunk, shape, &terms, (i0, j0));
            for (row, row_sums) in sums.iter().enumerate() {
                let start = (i0 + row) * n + j0;
                put_lanes(alpha_lanes, first, &mut c[start..start + 4], row_sums);
            }
        }
    }
    // The columns right of the blocks, then the row below them: plain dot products.
    let a_at = |i: usize, l: usize| match layout {
        Layout::Rows => a[i * p + l],
        Layout::Columns => a[l * m + i],
    };
    let entry = |i: usize, j: usize| -> f64 {
        terms
            .clone()
            .zip(b_chunk.chunks_exact(n))
            .map(|(l, b_row)| a_at(i, l) * b_row[j])
            .sum()
    };
    for i in 0..whole_rows {
        for j in narrow..n {
            put(&mut c[i * n + j], entry(i, j));
        }
    }
    for i in whole_rows..m {
        for j in 0..n {
            put(&mut c[i * n + j], entry(i, j));
        }
    }
}

/// Writes α·sums to `cells` (the first chunk of a product) or adds it to them, a pair of lanes
/// at a time.
#[inline(always)]
fn put_lanes(alpha: F2, first: bool, cells: &mut [f64], sums: &[F2]) {
    let (pairs, _) = cells.as_chunks_mut::<2>();
    for (pair, &sum) in pairs.iter_mut().zip(sums) {
        let scaled = alpha.mul(sum);
        let value = if first {
            scaled
        } else {
            F2::load(pair).add(scaled)
        };
        value.store(pair);
    }
}

/// Adds x0·bv[c] to top[c] and x1·bv[c] to bottom[c] for each listed pair of columns c, written
/// out statement by statement: with constant indices the sums stay in registers even in a
/// size-optimised build, which neither unrolls nor vectorises loops.
macro_rules! add_columns {
    ($top:ident, $bottom:ident, $x0:ident, $x1:ident, $bv:ident, [$($c:literal),*]) => {
        $(
            let column = F2::load(&$bv[$c]);
            $top[$c] = $top[$c].add($x0.mul(column));
            $bottom[$c] = $bottom[$c].add($x1.mul(column));
        )*
    };
}

/// Writes `pair_block8` and `pair_block4`: the sums over the chunk's terms for rows i0 and
/// i0 + 1 of the left factor and W columns from j0 of `b_chunk`, in 2·W independent sums held
/// as W pairs of lanes.
macro_rules! pair_block {
    ($name:ident, $width:literal, $columns:tt) => {
        #[inline(always)]
        fn $name(
            a: &[f64],
            layout: Layout,
            b_chunk: &[f64],
            (m, p, n): (usize, usize, usize),
            terms: &Range<usize>,
            (i0, j0): (usize, usize),
        ) -> [[F2; $width / 2]; 2] {
            let [mut top, mut bottom] = [[F2::splat(0.0); $width / 2]; 2];
            match layout {
                Layout::Rows => {
                    let a0 = &a[i0 * p + terms.start..i0 * p + terms.end];
                    let a1 = &a[(i0 + 1) * p + terms.start..(i0 + 1) * p + terms.end];
                    for ((&x0, &x1), b_row) in a0.iter().zip(a1).zip(b_chunk.chunks_exact(n)) {
                        let (x0, x1) = (F2::splat(x0), F2::splat(x1));
                        let (bv, _) = b_row[j0..j0 + $width].as_chunks::<2>();
                        add_columns!(top, bottom, x0, x1, bv, $columns);
                    }
                }
                Layout::Columns => {
                    let a_chunk = &a[terms.start * m..terms.end * m];
                    for (a_row, b_row) in a_chunk.chunks_exact(m).zip(b_chunk.chunks_exact(n)) {
                        let (x0, x1) = (F2::splat(a_row[i0]), F2::splat(a_row[i0 + 1]));
                        let (bv, _) = b_row[j0..j0 + $width].as_chunks::<2>();
                        add_columns!(top, bottom, x0, x1, bv, $columns);
                    }
                }
            }
            [top, bottom]
        }
    };
}

pair_block!(pair_block8, 8, [0, 1, 2, 3]);
pair_block!(pair_block4, 4, [0, 1]);

/// A random matrix with orthonormal columns, rows×cols (cols ≤ rows), from the QR factors of a
/// Gaussian matrix with R's diagonal made positive, so that it is uniformly distributed.
fn orthonormal_columns(rows: usize, cols: usize, stream: Stream) -> DMatrix<f64> {
    let gaussian = DMatrix::from_fn(rows, cols, |i, j| stream.normal(i, j));
    let qr = gaussian.qr();
    let (mut q, r) = (qr.q(), qr.r());
    for j in 0..cols.min(q.ncols()) {
        if r[(j, j)] < 0.0 {
            q.column_mut(j).neg_mut();
        }
    }
    q.columns(0, cols.min(q.ncols())).into_owned()
}

/// `count` inputs x ~ N(0, I) of k values each, row-major: entry (n, j) is the stream's (n, j).
fn inputs(count: usize, k: usize, stream: Stream) -> Vec<f64> {
    (0..count)
        .flat_map(|n| (0..k).map(move |j| stream.normal(n, j)))
        .collect()
}

/// The singular values of ΔW*, descending, min(d, k) of them (zeros past an exact rank), scaled
/// so that their root sum of squares is `norm`.
fn target_singular_values(spectrum: Spectrum, d: usize, k: usize, norm: f64) -> Vec<f64> {
    let n = d.min(k);
    let mut s: Vec<f64> = (1..=n)
        .map(|i| match spectrum {
            Spectrum::ExactRank(rank) if i <= rank => (rank + 1 - i) as f64,
            Spectrum::ExactRank(_) => 0.0,
            Spectrum::PowerLaw(p) => (i as f64).powf(-p),
        })
        .collect();
    let size = s.iter().map(|v| v * v).sum::<f64>().sqrt();
    if size > 0.0 {
        for v in &mut s {
            *v *= norm / size;
        }
    }
    s
}

/// The layer, the new task, its data and the held-out sets. What both runs learn from.
#[derive(Clone, Debug)]
pub struct Task {
    spec: TaskSpec,
    w0: DMatrix<f64>,
    target: DMatrix<f64>,
    decomposition: Option<Decomposition>,
    sigma: Vec<f64>,
    /// Training inputs, N×k row-major.
    train_x: Vec<f64>,
    /// Training targets t = y − W₀·x, N×d row-major.
    train_t: Vec<f64>,
    train: Moments,
    test: Moments,
    pretrain: Moments,
}

impl Task {
    /// Draws the layer, ΔW* and every set `spec` describes (clamp it first: see
    /// [`Config::clamped`]). Costs N·d·k operations for the training set, and as much again for
    /// each held-out set.
    pub fn new(spec: TaskSpec) -> Self {
        let (d, k) = (spec.d, spec.k);
        let w0_stream = Stream::new(spec.seed, STREAM_W0);
        let w0_scale = 1.0 / (k as f64).sqrt();
        let w0 = DMatrix::from_fn(d, k, |i, j| w0_scale * w0_stream.normal(i, j));
        let s = target_singular_values(spec.spectrum, d, k, spec.relative_size * w0.norm());
        let used = s.iter().filter(|&&v| v > 0.0).count();
        let u = orthonormal_columns(d, used, Stream::new(spec.seed, STREAM_U));
        let v = orthonormal_columns(k, used, Stream::new(spec.seed, STREAM_V));
        let target = DMatrix::from_fn(d, k, |i, j| {
            (0..used).map(|l| u[(i, l)] * s[l] * v[(j, l)]).sum()
        });
        let decomposition = Decomposition::new(&target);
        let sigma = match &decomposition {
            Some(dec) => dec.singular_values().to_vec(),
            None => singular_values(&target),
        };
        // ΔW*ᵀ row-major (k×d), so that T = X·ΔW*ᵀ is one product.
        let target_t: Vec<f64> = (0..k)
            .flat_map(|j| (0..d).map(move |i| (i, j)))
            .map(|(i, j)| target[(i, j)])
            .collect();
        let seed = spec.seed;
        let draw = |count: usize, x_stream: u64, noise_stream: u64| {
            let x = inputs(count, k, Stream::new(seed, x_stream));
            let mut t = vec![0.0; count * d];
            product(1.0, &x, Layout::Rows, &target_t, &mut t, (count, k, d));
            if spec.noise != 0.0 {
                let noise = Stream::new(seed, noise_stream);
                for (n, row) in t.chunks_exact_mut(d).enumerate() {
                    for (i, v) in row.iter_mut().enumerate() {
                        *v += spec.noise * noise.normal(n, i);
                    }
                }
            }
            (x, t)
        };
        let (train_x, train_t) = draw(spec.examples, STREAM_TRAIN_X, STREAM_TRAIN_NOISE);
        let train = Moments::of(&train_x, Some(&train_t), spec.examples, d, k);
        let (test_x, test_t) = draw(TEST_EXAMPLES, STREAM_TEST_X, STREAM_TEST_NOISE);
        let test = Moments::of(&test_x, Some(&test_t), TEST_EXAMPLES, d, k);
        // On the pretraining task y = W₀·x, so the target t = y − W₀·x is zero.
        let pretrain_x = inputs(PRETRAIN_EXAMPLES, k, Stream::new(seed, STREAM_PRETRAIN_X));
        let pretrain = Moments::of(&pretrain_x, None, PRETRAIN_EXAMPLES, d, k);
        Self {
            spec,
            w0,
            target,
            decomposition,
            sigma,
            train_x,
            train_t,
            train,
            test,
            pretrain,
        }
    }

    /// What the task was drawn from.
    pub fn spec(&self) -> &TaskSpec {
        &self.spec
    }

    /// The pretrained weight W₀, d×k.
    pub fn w0(&self) -> &DMatrix<f64> {
        &self.w0
    }

    /// The update the new task asks for, ΔW*, d×k.
    pub fn target(&self) -> &DMatrix<f64> {
        &self.target
    }

    /// ΔW*'s singular values, descending, by the SVD of ΔW*.
    pub fn target_singular_values(&self) -> &[f64] {
        &self.sigma
    }

    /// The best approximation of ΔW* of rank at most `rank` (Eckart–Young), by its SVD.
    pub fn best_approximation(&self, rank: usize) -> DMatrix<f64> {
        match &self.decomposition {
            Some(dec) => dec.truncate(rank),
            None => DMatrix::from_element(self.spec.d, self.spec.k, f64::NAN),
        }
    }

    /// The training inputs, N×k row-major, one example a row.
    pub fn train_inputs(&self) -> &[f64] {
        &self.train_x
    }

    /// The training targets y − W₀·x, N×d row-major, one example a row.
    pub fn train_targets(&self) -> &[f64] {
        &self.train_t
    }

    /// The training set's mean loss of the weight W₀ + `delta`.
    pub fn train_loss(&self, delta: &DMatrix<f64>) -> f64 {
        self.train.loss(delta)
    }

    /// The test set's mean loss of the weight W₀ + `delta`.
    pub fn test_loss(&self, delta: &DMatrix<f64>) -> f64 {
        self.test.loss(delta)
    }

    /// The pretraining set's mean loss of the weight W₀ + `delta` (the target there is W₀·x).
    pub fn pretrain_loss(&self, delta: &DMatrix<f64>) -> f64 {
        self.pretrain.loss(delta)
    }

    /// The three losses of the update `delta` after `step` steps.
    pub fn point(&self, step: usize, delta: &DMatrix<f64>) -> Point {
        Point {
            step,
            train: self.train_loss(delta),
            test: self.test_loss(delta),
            pretrain: self.pretrain_loss(delta),
        }
    }

    /// The noise term of the expected loss, ½·d·σ².
    pub fn noise_floor(&self) -> f64 {
        0.5 * self.spec.d as f64 * self.spec.noise * self.spec.noise
    }

    /// The floor of updates of rank at most `rank`: expected, and on the test set.
    pub fn floor(&self, rank: usize) -> Floor {
        let tail: f64 = self.sigma.iter().skip(rank).map(|s| s * s).sum();
        Floor {
            rank,
            expected: 0.5 * tail + self.noise_floor(),
            noise: self.noise_floor(),
            on_test: self.test_loss(&self.best_approximation(rank)),
        }
    }

    /// The floor of updates `offset` + M, M of rank at most `rank`: PiSSA's, whose update is
    /// s·B·A − s·B₀·A₀ with s·B₀·A₀ = −`offset`. The best M is the best rank-`rank`
    /// approximation of ΔW* − `offset`, so the expected floor is half the energy of ΔW* − `offset`
    /// beyond its `rank` largest singular values, plus the noise term. Costs an SVD.
    pub fn floor_with_offset(&self, rank: usize, offset: &DMatrix<f64>) -> Floor {
        let wanted = &self.target - offset;
        let noise = self.noise_floor();
        let Some(decomposition) = Decomposition::new(&wanted) else {
            return Floor {
                rank,
                expected: f64::NAN,
                noise,
                on_test: f64::NAN,
            };
        };
        let tail: f64 = decomposition
            .singular_values()
            .iter()
            .skip(rank)
            .map(|s| s * s)
            .sum();
        Floor {
            rank,
            expected: 0.5 * tail + noise,
            noise,
            on_test: self.test_loss(&(offset + decomposition.truncate(rank))),
        }
    }
}

/// One batch: its inputs and its targets, one example a row.
#[derive(Clone, Debug)]
pub struct Batch {
    d: usize,
    k: usize,
    size: usize,
    /// Inputs, size×k.
    x: Vec<f64>,
    /// Targets, size×d.
    t: Vec<f64>,
}

impl Batch {
    /// An empty batch of `size` examples for a d×k layer.
    pub fn new(d: usize, k: usize, size: usize) -> Self {
        Self {
            d,
            k,
            size,
            x: vec![0.0; size * k],
            t: vec![0.0; size * d],
        }
    }

    /// A batch of the examples `inputs` (row-major, k a row) and `targets` (t = y − W_base·x,
    /// row-major, d a row); as many examples as both hold whole.
    pub fn from_rows(d: usize, k: usize, inputs: &[f64], targets: &[f64]) -> Self {
        let size = (inputs.len() / k.max(1)).min(targets.len() / d.max(1));
        let mut batch = Self::new(d, k, size);
        for slot in 0..size {
            batch.set(
                slot,
                &inputs[slot * k..(slot + 1) * k],
                &targets[slot * d..(slot + 1) * d],
            );
        }
        batch
    }

    /// Examples in the batch.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Writes example `slot`: its input x (k values) and target t (d values).
    fn set(&mut self, slot: usize, x: &[f64], t: &[f64]) {
        let (d, k) = (self.d, self.k);
        self.x[slot * k..(slot + 1) * k].copy_from_slice(x);
        self.t[slot * d..(slot + 1) * d].copy_from_slice(t);
    }
}

/// The optimiser's state for one parameter vector.
#[derive(Clone, Debug)]
struct OptimizerState {
    kind: Optimizer,
    /// Adam's first moments (empty for SGD).
    first: Vec<f64>,
    /// Adam's second moments (empty for SGD).
    second: Vec<f64>,
    /// Updates made.
    steps: i32,
}

impl OptimizerState {
    fn new(kind: Optimizer, len: usize) -> Self {
        let len = if kind == Optimizer::Adam { len } else { 0 };
        Self {
            kind,
            first: vec![0.0; len],
            second: vec![0.0; len],
            steps: 0,
        }
    }

    /// One update of `params` by `grad`: the first `split` parameters at learning rate
    /// `rate_head`, the rest at `rate_tail`.
    fn update(
        &mut self,
        params: &mut [f64],
        grad: &[f64],
        split: usize,
        rate_head: f64,
        rate_tail: f64,
    ) {
        self.steps = self.steps.saturating_add(1);
        let (head, tail) = params.split_at_mut(split.min(params.len()));
        let (g_head, g_tail) = grad.split_at(split.min(grad.len()));
        match self.kind {
            Optimizer::Sgd => {
                axpy(-rate_head, g_head, head);
                axpy(-rate_tail, g_tail, tail);
            }
            Optimizer::Adam => {
                let inv_c1 = 1.0 / (1.0 - ADAM_BETA1.powi(self.steps));
                let inv_c2 = 1.0 / (1.0 - ADAM_BETA2.powi(self.steps));
                let (m_head, m_tail) = self.first.split_at_mut(split.min(grad.len()));
                let (v_head, v_tail) = self.second.split_at_mut(split.min(grad.len()));
                adam(head, g_head, m_head, v_head, rate_head, inv_c1, inv_c2);
                adam(tail, g_tail, m_tail, v_tail, rate_tail, inv_c1, inv_c2);
            }
        }
    }
}

/// Adam's update of `params`, with 1/(1 − β₁ᵗ) and 1/(1 − β₂ᵗ) given, two parameters at a time
/// in lanes (each rounded as the scalar formula would be).
fn adam(
    params: &mut [f64],
    grad: &[f64],
    first: &mut [f64],
    second: &mut [f64],
    rate: f64,
    inv_c1: f64,
    inv_c2: f64,
) {
    let (p2, p_rest) = params.as_chunks_mut::<2>();
    let (g2, g_rest) = grad.as_chunks::<2>();
    let (m2, m_rest) = first.as_chunks_mut::<2>();
    let (v2, v_rest) = second.as_chunks_mut::<2>();
    let [beta1, beta2] = [F2::splat(ADAM_BETA1), F2::splat(ADAM_BETA2)];
    let [keep1, keep2] = [F2::splat(1.0 - ADAM_BETA1), F2::splat(1.0 - ADAM_BETA2)];
    let [rate2, c1, c2, eps] = [rate, inv_c1, inv_c2, ADAM_EPS].map(F2::splat);
    for (((p, g), m), v) in p2.iter_mut().zip(g2).zip(m2).zip(v2) {
        let g = F2::load(g);
        let m_new = beta1.mul(F2::load(m)).add(keep1.mul(g));
        let v_new = beta2.mul(F2::load(v)).add(keep2.mul(g).mul(g));
        let step = rate2.mul(m_new.mul(c1)).div(v_new.mul(c2).sqrt().add(eps));
        F2::load(p).sub(step).store(p);
        m_new.store(m);
        v_new.store(v);
    }
    for (((p, &g), m), v) in p_rest.iter_mut().zip(g_rest).zip(m_rest).zip(v_rest) {
        *m = ADAM_BETA1 * *m + (1.0 - ADAM_BETA1) * g;
        *v = ADAM_BETA2 * *v + (1.0 - ADAM_BETA2) * g * g;
        *p -= rate * (*m * inv_c1) / ((*v * inv_c2).sqrt() + ADAM_EPS);
    }
}

/// Full fine-tuning: the update ΔW (d×k, column-major), its gradient and the optimiser's state.
#[derive(Clone, Debug)]
pub struct FullRun {
    d: usize,
    k: usize,
    delta: Vec<f64>,
    grad: Vec<f64>,
    optimizer: OptimizerState,
    /// Residuals ŷ − y of a batch, batch×d.
    residual: Vec<f64>,
    status: Status,
    last_loss: f64,
}

impl FullRun {
    /// A run of a d×k layer, ΔW = 0, for batches of `batch_size`.
    pub fn new(d: usize, k: usize, batch_size: usize, optimizer: Optimizer) -> Self {
        Self {
            d,
            k,
            delta: vec![0.0; d * k],
            grad: vec![0.0; d * k],
            optimizer: OptimizerState::new(optimizer, d * k),
            residual: vec![0.0; d * batch_size],
            status: Status::Running,
            last_loss: f64::NAN,
        }
    }

    /// The parameters: ΔW, d×k column-major (as nalgebra stores it; ΔWᵀ row-major).
    pub fn params(&self) -> &[f64] {
        &self.delta
    }

    /// The parameters, to change (as a gradient check does).
    pub fn params_mut(&mut self) -> &mut [f64] {
        &mut self.delta
    }

    /// The gradient of the last [`FullRun::loss_and_gradient`], laid out as the parameters.
    pub fn gradient(&self) -> &[f64] {
        &self.grad
    }

    /// The batch's mean loss ½‖(W₀ + ΔW)·x − y‖², and its gradient with respect to ΔW, kept in
    /// [`FullRun::gradient`]: (1/b)·Σ (ŷ − y)·xᵀ. Costs 2·d·k·b multiply-adds.
    pub fn loss_and_gradient(&mut self, batch: &Batch) -> f64 {
        let (d, k, b) = (self.d, self.k, batch.size);
        if self.residual.len() < d * b {
            self.residual.resize(d * b, 0.0);
        }
        // With examples as rows, the residuals are E = X·ΔWᵀ − T (b×d), and the gradient with
        // respect to ΔWᵀ, the parameters' layout, is (1/b)·Xᵀ·E (k×d).
        product(
            1.0,
            &batch.x,
            Layout::Rows,
            &self.delta,
            &mut self.residual,
            (b, k, d),
        );
        let loss = subtract_targets(&mut self.residual[..b * d], &batch.t);
        let inv_b = 1.0 / b.max(1) as f64;
        product(
            inv_b,
            &batch.x,
            Layout::Columns,
            &self.residual,
            &mut self.grad,
            (k, b, d),
        );
        0.5 * loss * inv_b
    }

    /// The update ΔW as a matrix.
    pub fn update(&self) -> DMatrix<f64> {
        DMatrix::from_column_slice(self.d, self.k, &self.delta)
    }

    /// Where the run stands.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The last step's batch loss (NaN before the first step).
    pub fn last_loss(&self) -> f64 {
        self.last_loss
    }
}

/// LoRA: the factors B (d×r) and A (r×k), their gradients, the optimiser's state, and the frozen
/// weight they adapt.
#[derive(Clone, Debug)]
pub struct LoraRun {
    d: usize,
    k: usize,
    r: usize,
    scale: f64,
    /// B (d×r) then A (r×k), each column-major: Bᵀ (r×d) and Aᵀ (k×r) row-major.
    params: Vec<f64>,
    grad: Vec<f64>,
    optimizer: OptimizerState,
    /// W_base − W₀ (d×k): zero unless PiSSA.
    offset: DMatrix<f64>,
    /// U = X·Aᵀ, the batch's inputs projected by A, batch×r.
    projected: Vec<f64>,
    /// H = E·B, the residuals brought back through B, batch×r.
    returned: Vec<f64>,
    /// B row-major, d×r.
    b_rows: Vec<f64>,
    /// Residuals E, batch×d.
    residual: Vec<f64>,
    status: Status,
    last_loss: f64,
}

impl LoraRun {
    /// A rank-`b.ncols()` run of scale `scale` starting from B (d×r) and A (r×k), adapting
    /// W_base = W₀ + `offset`, for batches of `batch_size`.
    pub fn new(
        b: &DMatrix<f64>,
        a: &DMatrix<f64>,
        scale: f64,
        offset: DMatrix<f64>,
        batch_size: usize,
        optimizer: Optimizer,
    ) -> Self {
        let (d, r, k) = (b.nrows(), b.ncols(), a.ncols());
        let mut params = Vec::with_capacity(r * (d + k));
        params.extend_from_slice(b.as_slice());
        params.extend_from_slice(a.as_slice());
        Self {
            d,
            k,
            r,
            scale,
            grad: vec![0.0; params.len()],
            optimizer: OptimizerState::new(optimizer, params.len()),
            params,
            offset,
            projected: vec![0.0; batch_size * r],
            returned: vec![0.0; batch_size * r],
            b_rows: vec![0.0; d * r],
            residual: vec![0.0; batch_size * d],
            status: Status::Running,
            last_loss: f64::NAN,
        }
    }

    /// The run `config` starts, for a layer with pretrained weight `w0`: its B and A, and for
    /// PiSSA the offset W_res − W₀ of its frozen residual.
    fn start(config: &Config, w0: &DMatrix<f64>) -> Self {
        let (d, k) = w0.shape();
        let (r, s) = (config.train.rank, config.scale());
        let seed = config.task.seed;
        let batch = config.train.batch_size;
        let optimizer = config.train.optimizer;
        let a_stream = Stream::new(seed, STREAM_LORA_A);
        match config.train.init {
            Init::Peft => {
                let bound = 1.0 / (k as f64).sqrt();
                let a = DMatrix::from_fn(r, k, |l, j| bound * (2.0 * a_stream.uniform(l, j) - 1.0));
                Self::new(
                    &DMatrix::zeros(d, r),
                    &a,
                    s,
                    DMatrix::zeros(d, k),
                    batch,
                    optimizer,
                )
            }
            Init::Gaussian => {
                let std = 1.0 / r as f64;
                let a = DMatrix::from_fn(r, k, |l, j| std * a_stream.normal(l, j));
                Self::new(
                    &DMatrix::zeros(d, r),
                    &a,
                    s,
                    DMatrix::zeros(d, k),
                    batch,
                    optimizer,
                )
            }
            Init::Pissa => {
                let (b, a) = pissa_factors(w0, r, s);
                let product = scaled_product(&b, &a, s);
                // W_res = W₀ − s·B·A, so the offset W_res − W₀ is −s·B·A.
                let w_res = w0 - &product;
                Self::new(&b, &a, s, &w_res - w0, batch, optimizer)
            }
        }
    }

    /// The rank r.
    pub fn rank(&self) -> usize {
        self.r
    }

    /// The scale s.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The parameters: B (d×r), then A (r×k), each column-major (as nalgebra stores them).
    pub fn params(&self) -> &[f64] {
        &self.params
    }

    /// The parameters, to change (as a gradient check does).
    pub fn params_mut(&mut self) -> &mut [f64] {
        &mut self.params
    }

    /// The gradient of the last [`LoraRun::loss_and_gradient`], laid out as the parameters.
    pub fn gradient(&self) -> &[f64] {
        &self.grad
    }

    /// B, d×r.
    pub fn b(&self) -> DMatrix<f64> {
        DMatrix::from_column_slice(self.d, self.r, &self.params[..self.d * self.r])
    }

    /// A, r×k.
    pub fn a(&self) -> DMatrix<f64> {
        DMatrix::from_column_slice(self.r, self.k, &self.params[self.d * self.r..])
    }

    /// W_base − W₀: zero, or PiSSA's −s·B₀·A₀.
    pub fn offset(&self) -> &DMatrix<f64> {
        &self.offset
    }

    /// The batch's mean loss ½‖(W_base + s·B·A)·x − y‖² (its targets are t = y − W_base·x), and
    /// the gradients, kept in [`LoraRun::gradient`]: with e = ŷ − y, (s/b)·Σ e·(A·x)ᵀ for B and
    /// (s/b)·Σ (Bᵀ·e)·xᵀ for A. Costs (2k + 3d)·r·b multiply-adds; no d×k product is formed.
    pub fn loss_and_gradient(&mut self, batch: &Batch) -> f64 {
        let (d, k, r, b, s) = (self.d, self.k, self.r, batch.size, self.scale);
        for buffer in [&mut self.projected, &mut self.returned] {
            if buffer.len() < b * r {
                buffer.resize(b * r, 0.0);
            }
        }
        if self.residual.len() < b * d {
            self.residual.resize(b * d, 0.0);
        }
        let inv_b = 1.0 / b.max(1) as f64;
        // The parameters hold Bᵀ (r×d) and Aᵀ (k×r) row-major; examples are rows.
        let (b_t, a_t) = self.params.split_at(d * r);
        let (grad_b_t, grad_a_t) = self.grad.split_at_mut(d * r);
        // U = X·Aᵀ (b×r), then the residuals E = s·U·Bᵀ − T (b×d).
        product(
            1.0,
            &batch.x,
            Layout::Rows,
            a_t,
            &mut self.projected,
            (b, k, r),
        );
        product(
            s,
            &self.projected,
            Layout::Rows,
            b_t,
            &mut self.residual,
            (b, r, d),
        );
        let loss = subtract_targets(&mut self.residual[..b * d], &batch.t);
        // ∂/∂Bᵀ = (s/b)·Uᵀ·E (r×d).
        product(
            s * inv_b,
            &self.projected,
            Layout::Columns,
            &self.residual,
            grad_b_t,
            (r, b, d),
        );
        // H = E·B (b×r) from B row-major, then ∂/∂Aᵀ = (s/b)·Xᵀ·H (k×r).
        for (l, column) in b_t.chunks_exact(d).enumerate() {
            for (i, &v) in column.iter().enumerate() {
                self.b_rows[i * r + l] = v;
            }
        }
        product(
            1.0,
            &self.residual,
            Layout::Rows,
            &self.b_rows,
            &mut self.returned,
            (b, d, r),
        );
        product(
            s * inv_b,
            &batch.x,
            Layout::Columns,
            &self.returned,
            grad_a_t,
            (k, b, r),
        );
        0.5 * loss * inv_b
    }

    /// The update: LoRA's weight minus W₀, (W_base − W₀) + s·B·A.
    pub fn update(&self) -> DMatrix<f64> {
        &self.offset + scaled_product(&self.b(), &self.a(), self.scale)
    }

    /// Where the run stands.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The last step's batch loss (NaN before the first step).
    pub fn last_loss(&self) -> f64 {
        self.last_loss
    }
}

/// residuals −= targets, both laid out alike; returns the sum of the squared results, summed in
/// four interleaved sums (two pairs of lanes, as [`dot`]'s four) so that the additions need not
/// wait for each other.
fn subtract_targets(residuals: &mut [f64], targets: &[f64]) -> f64 {
    let (e4, e_rest) = residuals.as_chunks_mut::<4>();
    let (t4, t_rest) = targets[..targets.len().min(e4.len() * 4 + e_rest.len())].as_chunks::<4>();
    let mut acc = [F2::splat(0.0); 2];
    for (e, t) in e4.iter_mut().zip(t4) {
        let (e2, _) = e.as_chunks_mut::<2>();
        let (t2, _) = t.as_chunks::<2>();
        for ((pair, target), sum) in e2.iter_mut().zip(t2).zip(&mut acc) {
            let error = F2::load(pair).sub(F2::load(target));
            error.store(pair);
            *sum = sum.add(error.mul(error));
        }
    }
    let mut tail = 0.0;
    for (e, &t) in e_rest.iter_mut().zip(t_rest) {
        *e -= t;
        tail += *e * *e;
    }
    (acc[0].sum() + acc[1].sum()) + tail
}

/// s·B·A, summed term by term over the rank in a fixed order.
pub fn scaled_product(b: &DMatrix<f64>, a: &DMatrix<f64>, scale: f64) -> DMatrix<f64> {
    DMatrix::from_fn(b.nrows(), a.ncols(), |i, j| {
        scale * (0..b.ncols()).map(|l| b[(i, l)] * a[(l, j)]).sum::<f64>()
    })
}

/// PiSSA's factors of W₀ at rank r and scale s: B = U_r·√S_r/√s (d×r), A = √S_r·V_rᵀ/√s (r×k),
/// from the SVD of W₀, so that s·B·A is W₀'s best rank-r approximation. Zeros if the SVD fails.
pub fn pissa_factors(w0: &DMatrix<f64>, rank: usize, scale: f64) -> (DMatrix<f64>, DMatrix<f64>) {
    let (d, k) = w0.shape();
    let Some(decomposition) = Decomposition::new(w0) else {
        return (DMatrix::zeros(d, rank), DMatrix::zeros(rank, k));
    };
    let (u_sigma, v_t) = decomposition.factors(rank);
    let sigma = decomposition.singular_values();
    let root_scale = scale.sqrt();
    let mut b = DMatrix::zeros(d, rank);
    let mut a = DMatrix::zeros(rank, k);
    for (l, &value) in sigma.iter().enumerate().take(u_sigma.ncols()) {
        let root = value.sqrt();
        if root > 0.0 {
            // U_r·S_r divided by √σ is U_r·√S_r.
            b.set_column(l, &(u_sigma.column(l) / (root * root_scale)));
            a.set_row(l, &(v_t.row(l) * (root / root_scale)));
        }
    }
    (b, a)
}

/// Which runs a trainer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Runs {
    /// Full fine-tuning and LoRA, on the same batches.
    Both,
    /// Full fine-tuning alone.
    FullOnly,
    /// LoRA alone.
    LoraOnly,
}

/// The curves of both runs: one [`Point`] each time the trainer recorded, finite values only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Curves {
    /// Full fine-tuning's points.
    pub full: Vec<Point>,
    /// LoRA's points.
    pub lora: Vec<Point>,
}

impl Curves {
    /// The points of `method`.
    pub fn of(&self, method: Method) -> &[Point] {
        match method {
            Method::Full => &self.full,
            Method::Lora => &self.lora,
        }
    }
}

/// A finished run's place between learning and forgetting.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LearnForget {
    /// The method.
    pub method: Method,
    /// LoRA's rank, or min(d, k) for full fine-tuning.
    pub rank: usize,
    /// Steps taken.
    pub step: usize,
    /// The new task's test loss: how well it learnt.
    pub test: f64,
    /// The pretraining task's loss: how much it forgot.
    pub pretrain: f64,
    /// Where the run stands (a diverged run's point is from before it diverged).
    pub status: Status,
}

/// Both runs, the data they learn from, and their curves. Advances one batch at a time; a step
/// allocates nothing.
#[derive(Clone, Debug)]
pub struct Trainer {
    config: Config,
    task: Task,
    full: Option<FullRun>,
    lora: Option<LoraRun>,
    /// PiSSA's targets y − W_res·x, N×d row-major, when they differ from the task's.
    lora_targets: Option<Vec<f64>>,
    /// The order of the examples in this epoch.
    order: Vec<usize>,
    cursor: usize,
    epoch: usize,
    step: usize,
    batch: Batch,
    /// PiSSA's batch (same inputs, its own targets).
    lora_batch: Option<Batch>,
    /// The floor of LoRA's updates, computed once.
    floor: Floor,
    curves: Curves,
}

impl Trainer {
    /// Both runs of `config` (clamped into range first), with their losses at step 0 recorded.
    pub fn new(config: Config) -> Self {
        Self::with_runs(config, Runs::Both)
    }

    /// The runs `runs` names of `config` (clamped into range first).
    pub fn with_runs(config: Config, runs: Runs) -> Self {
        let config = config.clamped();
        let task = Task::new(config.task);
        Self::on_task(config, task, runs)
    }

    /// The runs `runs` names of `config` on a task already drawn, so that several trainers can
    /// share one draw: the task's own spec replaces `config.task`.
    pub fn on_task(config: Config, task: Task, runs: Runs) -> Self {
        let config = Config {
            task: *task.spec(),
            ..config.clamped()
        };
        let (d, k) = (config.task.d, config.task.k);
        let batch_size = config.train.batch_size;
        let full = (runs != Runs::LoraOnly)
            .then(|| FullRun::new(d, k, batch_size, config.train.optimizer));
        let lora = (runs != Runs::FullOnly).then(|| LoraRun::start(&config, task.w0()));
        // PiSSA learns from y − W_res·x = t − (W_res − W₀)·x.
        let lora_targets = lora
            .as_ref()
            .filter(|run| run.offset.iter().any(|&v| v != 0.0))
            .map(|run| {
                let offset_rows: Vec<f64> = (0..d)
                    .flat_map(|i| (0..k).map(move |j| (i, j)))
                    .map(|(i, j)| run.offset[(i, j)])
                    .collect();
                let mut targets = task.train_t.clone();
                for (t, x) in targets
                    .chunks_exact_mut(d)
                    .zip(task.train_x.chunks_exact(k))
                {
                    for (i, ti) in t.iter_mut().enumerate() {
                        *ti -= dot(&offset_rows[i * k..(i + 1) * k], x);
                    }
                }
                targets
            });
        let lora_batch = lora_targets.as_ref().map(|_| Batch::new(d, k, batch_size));
        let rank = config.train.rank;
        let floor = match (&lora, &lora_targets) {
            (Some(run), Some(_)) => task.floor_with_offset(rank, &run.offset),
            _ => task.floor(rank),
        };
        let mut trainer = Self {
            config,
            order: (0..config.task.examples).collect(),
            task,
            full,
            lora,
            lora_targets,
            cursor: 0,
            epoch: 0,
            step: 0,
            batch: Batch::new(d, k, batch_size),
            lora_batch,
            floor,
            curves: Curves::default(),
        };
        trainer.shuffle();
        trainer.record();
        trainer
    }

    /// Puts the examples in this epoch's order (Fisher–Yates, from the seed and the epoch).
    fn shuffle(&mut self) {
        let stream = Stream::new(self.config.task.seed, STREAM_SHUFFLE);
        for i in (1..self.order.len()).rev() {
            let j = ((stream.uniform(self.epoch, i) * (i + 1) as f64) as usize).min(i);
            self.order.swap(i, j);
        }
    }

    /// Fills the batches with the next examples, reshuffling at the end of each epoch.
    fn next_batch(&mut self) {
        let (d, k) = (self.config.task.d, self.config.task.k);
        for slot in 0..self.batch.size {
            if self.cursor == self.order.len() {
                self.epoch += 1;
                self.cursor = 0;
                self.shuffle();
            }
            let n = self.order[self.cursor];
            self.cursor += 1;
            let x = &self.task.train_x[n * k..(n + 1) * k];
            self.batch
                .set(slot, x, &self.task.train_t[n * d..(n + 1) * d]);
            if let (Some(batch), Some(targets)) = (&mut self.lora_batch, &self.lora_targets) {
                batch.set(slot, x, &targets[n * d..(n + 1) * d]);
            }
        }
    }

    /// One step of every running run, on the same batch.
    pub fn step(&mut self) {
        if !self.is_running() {
            return;
        }
        self.next_batch();
        self.step += 1;
        let rate = self.config.train.learning_rate;
        if let Some(run) = self
            .full
            .as_mut()
            .filter(|run| run.status == Status::Running)
        {
            let loss = run.loss_and_gradient(&self.batch);
            if loss.is_finite() {
                run.last_loss = loss;
                let len = run.delta.len();
                run.optimizer
                    .update(&mut run.delta, &run.grad, len, rate, rate);
            } else {
                run.status = Status::Diverged { step: self.step };
            }
        }
        if let Some(run) = self
            .lora
            .as_mut()
            .filter(|run| run.status == Status::Running)
        {
            let batch = self.lora_batch.as_ref().unwrap_or(&self.batch);
            let loss = run.loss_and_gradient(batch);
            if loss.is_finite() {
                run.last_loss = loss;
                let split = run.d * run.r;
                let rate_b = rate * self.config.train.lora_plus_ratio;
                run.optimizer
                    .update(&mut run.params, &run.grad, split, rate_b, rate);
            } else {
                run.status = Status::Diverged { step: self.step };
            }
        }
    }

    /// `n` steps (fewer if every run stops).
    pub fn steps(&mut self, n: usize) {
        for _ in 0..n {
            if !self.is_running() {
                break;
            }
            self.step();
        }
    }

    /// Whether any run is still running.
    pub fn is_running(&self) -> bool {
        self.full
            .as_ref()
            .is_some_and(|r| r.status == Status::Running)
            || self
                .lora
                .as_ref()
                .is_some_and(|r| r.status == Status::Running)
    }

    /// Evaluates every running run on the three sets and appends its point to its curve. A run
    /// whose losses are not all finite is stopped, as diverged at the current step, instead.
    pub fn record(&mut self) {
        let step = self.step;
        if let Some(run) = self
            .full
            .as_mut()
            .filter(|run| run.status == Status::Running)
        {
            let point = self.task.point(step, &run.update());
            if point.is_finite() {
                self.curves.full.push(point);
            } else {
                run.status = Status::Diverged { step: step.max(1) };
            }
        }
        if let Some(run) = self
            .lora
            .as_mut()
            .filter(|run| run.status == Status::Running)
        {
            let point = self.task.point(step, &run.update());
            if point.is_finite() {
                self.curves.lora.push(point);
            } else {
                run.status = Status::Diverged { step: step.max(1) };
            }
        }
    }

    /// `n` steps, then [`Trainer::record`].
    pub fn advance(&mut self, n: usize) {
        self.steps(n);
        self.record();
    }

    /// The configuration, as clamped.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The task both runs learn.
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// Steps taken.
    pub fn step_count(&self) -> usize {
        self.step
    }

    /// Full fine-tuning's run, if the trainer has one.
    pub fn full(&self) -> Option<&FullRun> {
        self.full.as_ref()
    }

    /// LoRA's run, if the trainer has one.
    pub fn lora(&self) -> Option<&LoraRun> {
        self.lora.as_ref()
    }

    /// Where `method`'s run stands, if the trainer has it.
    pub fn status(&self, method: Method) -> Option<Status> {
        match method {
            Method::Full => self.full.as_ref().map(FullRun::status),
            Method::Lora => self.lora.as_ref().map(LoraRun::status),
        }
    }

    /// `method`'s update (its weight minus W₀), if the trainer has it.
    pub fn update(&self, method: Method) -> Option<DMatrix<f64>> {
        match method {
            Method::Full => self.full.as_ref().map(FullRun::update),
            Method::Lora => self.lora.as_ref().map(LoraRun::update),
        }
    }

    /// `method`'s losses now, computed afresh (not recorded), if the trainer has it.
    pub fn evaluate(&self, method: Method) -> Option<Point> {
        self.update(method)
            .map(|delta| self.task.point(self.step, &delta))
    }

    /// The curves recorded so far.
    pub fn curves(&self) -> &Curves {
        &self.curves
    }

    /// The floor of LoRA's updates: of rank r, or with PiSSA, of rank r less W₀'s best rank-r
    /// approximation (see [`Task::floor_with_offset`]).
    pub fn floor(&self) -> Floor {
        self.floor
    }

    /// `method`'s learn–forget point, from its last recorded losses, if it has any.
    pub fn learn_forget(&self, method: Method) -> Option<LearnForget> {
        let point = self.curves.of(method).last()?;
        let (d, k) = (self.config.task.d, self.config.task.k);
        Some(LearnForget {
            method,
            rank: match method {
                Method::Full => d.min(k),
                Method::Lora => self.config.train.rank,
            },
            step: point.step,
            test: point.test,
            pretrain: point.pretrain,
            status: self.status(method).unwrap_or(Status::Running),
        })
    }
}

/// The ranks a sweep tries for a d×k layer: 1, 2, 4, …, up to min(64, d, k).
pub fn sweep_ranks(d: usize, k: usize) -> Vec<usize> {
    let max = MAX_RANK.min(d).min(k);
    std::iter::successors(Some(1usize), |&r| r.checked_mul(2))
        .take_while(|&r| r <= max)
        .collect()
}

/// One finished run of a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Where the run ended between learning and forgetting.
    pub result: LearnForget,
    /// Its training loss at the end.
    pub train: f64,
    /// The floor of its rank (for LoRA, its trainer's [`Trainer::floor`]).
    pub floor: Floor,
}

/// How far a sweep has got.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepProgress {
    /// Runs finished.
    pub finished: usize,
    /// Runs in all.
    pub total: usize,
    /// Steps taken, over every run.
    pub steps: usize,
    /// Steps in all.
    pub total_steps: usize,
}

impl SweepProgress {
    /// The share of steps taken, in [0, 1].
    pub fn fraction(&self) -> f64 {
        if self.total_steps == 0 {
            1.0
        } else {
            self.steps as f64 / self.total_steps as f64
        }
    }
}

/// LoRA at ranks 1, 2, 4, … (see [`sweep_ranks`]) and then full fine-tuning, each trained for the
/// same number of steps on the same task, one run at a time, so that a worker can report progress
/// between calls to [`RankSweep::advance`]. The task is drawn once for every run.
#[derive(Clone, Debug)]
pub struct RankSweep {
    config: Config,
    task: Task,
    ranks: Vec<usize>,
    steps_per_run: usize,
    /// The run under way: its index (ranks, then full fine-tuning) and its trainer.
    current: Option<(usize, Trainer)>,
    points: Vec<SweepPoint>,
    /// Each finished LoRA run, by rank, for what its factors learnt.
    lora_runs: Vec<(usize, LoraRun)>,
}

impl RankSweep {
    /// A sweep of `config` (clamped) with `steps_per_run` steps a run, nothing run yet.
    pub fn new(config: Config, steps_per_run: usize) -> Self {
        let config = config.clamped();
        let task = Task::new(config.task);
        Self {
            ranks: sweep_ranks(config.task.d, config.task.k),
            config,
            task,
            steps_per_run,
            current: None,
            points: Vec::new(),
            lora_runs: Vec::new(),
        }
    }

    /// The ranks tried, in order; full fine-tuning comes after them.
    pub fn ranks(&self) -> &[usize] {
        &self.ranks
    }

    /// The finished runs, in order.
    pub fn points(&self) -> &[SweepPoint] {
        &self.points
    }

    /// The steps each run takes.
    pub fn steps_per_run(&self) -> usize {
        self.steps_per_run
    }

    /// The finished LoRA run of rank `rank`, if the sweep has one.
    pub fn lora_run(&self, rank: usize) -> Option<&LoraRun> {
        self.lora_runs
            .iter()
            .find(|(r, _)| *r == rank)
            .map(|(_, run)| run)
    }

    /// Whether every run has finished.
    pub fn is_done(&self) -> bool {
        self.points.len() > self.ranks.len()
    }

    /// Takes up to `budget` steps, over as many runs as they reach, and says how far the sweep
    /// has got. A run that diverges finishes early.
    pub fn advance(&mut self, budget: usize) -> SweepProgress {
        let mut left = budget;
        while !self.is_done() {
            let index = self.points.len();
            let (_, trainer) = self.current.get_or_insert_with(|| {
                let (config, runs) = match self.ranks.get(index) {
                    Some(&rank) => (
                        Config {
                            train: TrainSpec {
                                rank,
                                ..self.config.train
                            },
                            ..self.config
                        },
                        Runs::LoraOnly,
                    ),
                    None => (self.config, Runs::FullOnly),
                };
                (index, Trainer::on_task(config, self.task.clone(), runs))
            });
            let wanted = self.steps_per_run.saturating_sub(trainer.step_count());
            let taken = wanted.min(left);
            trainer.steps(taken);
            left -= taken;
            if trainer.is_running() && trainer.step_count() < self.steps_per_run {
                break;
            }
            trainer.record();
            let method = if index < self.ranks.len() {
                Method::Lora
            } else {
                Method::Full
            };
            let rank = self.ranks.get(index).copied().unwrap_or(0);
            let last = trainer.curves().of(method).last().copied();
            let status = trainer.status(method).unwrap_or(Status::Running);
            let result = LearnForget {
                method,
                rank: match method {
                    Method::Full => self.config.task.d.min(self.config.task.k),
                    Method::Lora => rank,
                },
                step: trainer.step_count(),
                test: last.map_or(f64::NAN, |p| p.test),
                pretrain: last.map_or(f64::NAN, |p| p.pretrain),
                status,
            };
            let floor = match method {
                Method::Full => self.task.floor(result.rank),
                Method::Lora => trainer.floor(),
            };
            self.points.push(SweepPoint {
                result,
                train: last.map_or(f64::NAN, |p| p.train),
                floor,
            });
            if let (Method::Lora, Some(run)) = (method, trainer.lora()) {
                self.lora_runs.push((rank, run.clone()));
            }
            self.current = None;
        }
        self.progress()
    }

    /// How far the sweep has got.
    pub fn progress(&self) -> SweepProgress {
        let total = self.ranks.len() + 1;
        let in_flight = self.current.as_ref().map_or(0, |(_, t)| t.step_count());
        SweepProgress {
            finished: self.points.len(),
            total,
            // A run that diverged early counts as finished: all its steps are done.
            steps: self.points.len() * self.steps_per_run + in_flight,
            total_steps: total * self.steps_per_run,
        }
    }
}
