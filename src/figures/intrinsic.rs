//! "The intrinsic-rank hypothesis": the spectrum of ΔW = U·V + noise, the rank that reaches an
//! explained-variance threshold, and the best rank-r approximation (Eckart–Young).
//!
//! The heavy work (singular values, the full SVD) runs in a Web Worker in the browser; this module
//! is what the worker calls ([`Workbench`]) and what the page computes from its answers
//! ([`SpectrumSummary`]). Ranks count components (rank r keeps σ₁…σ_r).

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::format::{count_noun, fewer_or_more, ratio, significant, subscript, thousands};
use crate::math::bidiagonal::Bidiagonalisation;
use crate::math::intrinsic::{low_rank_plus, low_rank_plus_noise, NoiseDraw};
use crate::math::svd::{
    compression_ratio, cumulative_energy, rank_for_energy, relative_frobenius_error,
    relative_tail_error, singular_values, Decomposition,
};
use crate::render::colormap::Diverging;
use crate::render::heatmap::heatmap_rgba;
use crate::state::IntrinsicState;

/// What defines the matrix ΔW: everything but the threshold and the approximation's rank.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatrixSpec {
    /// Side of ΔW.
    pub n: usize,
    /// True rank of the signal U·V.
    pub true_rank: usize,
    /// Noise scale σ.
    pub noise: f64,
    /// Seed.
    pub seed: u64,
}

impl MatrixSpec {
    /// The matrix a state describes.
    pub fn of(state: &IntrinsicState) -> Self {
        Self {
            n: state.n as usize,
            true_rank: state.true_rank as usize,
            noise: state.noise(),
            seed: u64::from(state.seed),
        }
    }

    /// Draws ΔW.
    pub fn matrix(&self) -> DMatrix<f64> {
        low_rank_plus_noise(self.n, self.true_rank, self.noise, self.seed)
    }
}

/// The best rank-r approximation, ready to paint: three n×n RGBA heatmaps and the two errors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Approximation {
    /// The rank kept.
    pub rank: usize,
    /// Side of the heatmaps.
    pub n: usize,
    /// ΔW, then its approximation, then the residual ΔW − approximation, as RGBA (row-major),
    /// which a worker sends as byte strings rather than one number at a time.
    pub pixels: [ByteBuf; 3],
    /// Colour half-range of ΔW and its approximation (shared): see [`robust_half_range`].
    pub half_range: f64,
    /// Colour half-range of the residual, which is much smaller and gets its own scale.
    pub residual_half_range: f64,
    /// ‖ΔW − ΔW_r‖_F / ‖ΔW‖_F, computed from the matrices.
    pub relative_error: f64,
    /// sqrt(Σ_{i>r} σᵢ²) / ‖ΔW‖_F, computed from the singular values alone.
    pub tail_error: f64,
}

/// Keeps the last matrix and its decomposition, so that moving only the approximation's rank costs
/// one product, not another SVD; and the noise draw of the last seed, so that moving the size, the
/// true rank or the noise scale does not draw it again.
///
/// A spectrum can also be computed a slice at a time ([`Workbench::spectrum_until`]), so that a
/// worker reads the page's messages between slices and drops work made stale by a newer request.
#[derive(Debug, Default)]
pub struct Workbench {
    spec: Option<MatrixSpec>,
    matrix: Option<DMatrix<f64>>,
    sigma: Option<Vec<f64>>,
    decomposition: Option<Decomposition>,
    /// Z for a seed, at the largest size drawn for it (a smaller matrix takes its top-left block).
    noise: Option<(u64, DMatrix<f64>)>,
    /// The spectrum under way, if one was left unfinished.
    under_way: Option<UnderWay>,
}

/// Milliseconds a spectrum took, by the clock its caller gave.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SpectrumTimes {
    /// Drawing the matrix (nothing when it was held already).
    pub draw_ms: f64,
    /// The singular values alone.
    pub svd_ms: f64,
}

/// A spectrum under way: what it is of, how far it got, and the time spent on it so far.
#[derive(Debug)]
struct UnderWay {
    spec: MatrixSpec,
    stage: Stage,
    times: SpectrumTimes,
}

#[derive(Debug)]
enum Stage {
    /// Nothing done yet.
    Start,
    /// Drawing the noise, a few columns at a time.
    Drawing(NoiseDraw),
    /// Bidiagonalising the matrix (held in `Workbench::matrix`), a step at a time.
    Decomposing(Box<Bidiagonalisation>),
}

/// Columns of the noise drawn between two looks at the clock (about a millisecond at n = 512).
const DRAW_COLUMNS: usize = 32;

impl Workbench {
    /// Draws the matrix `spec` describes, unless it is the one already held.
    pub fn load(&mut self, spec: MatrixSpec) {
        if self.spec != Some(spec) || self.matrix.is_none() {
            self.matrix = Some(self.draw(spec));
            self.sigma = None;
            self.decomposition = None;
            self.spec = Some(spec);
        }
    }

    /// The matrix `spec` describes, bit for bit [`MatrixSpec::matrix`], with Z from the kept draw
    /// when it is of this seed and large enough (drawn and kept otherwise).
    fn draw(&mut self, spec: MatrixSpec) -> DMatrix<f64> {
        if spec.noise == 0.0 {
            return low_rank_plus(spec.n, spec.true_rank, 0.0, spec.seed, None);
        }
        if !self.holds_noise_for(spec) {
            self.noise = Some((spec.seed, NoiseDraw::new(spec.n, spec.seed).finish()));
        }
        let z = self.noise.as_ref().map(|(_, z)| z);
        low_rank_plus(spec.n, spec.true_rank, spec.noise, spec.seed, z)
    }

    /// Whether the kept noise draw serves `spec`.
    fn holds_noise_for(&self, spec: MatrixSpec) -> bool {
        matches!(&self.noise, Some((seed, z)) if *seed == spec.seed && z.nrows() >= spec.n)
    }

    /// The singular values of the matrix `spec` describes, descending: computed once per matrix,
    /// without singular vectors (the fast path).
    pub fn spectrum(&mut self, spec: MatrixSpec) -> &[f64] {
        while self.spectrum_until(spec, &|| 0.0, f64::INFINITY).is_none() {}
        self.sigma.as_deref().unwrap_or_default()
    }

    /// Works towards the singular values of the matrix `spec` describes until they are known or
    /// `clock()` (milliseconds) reaches `deadline`, whichever comes first; says how long they took
    /// once known (read them with [`Workbench::spectrum`], which then computes nothing). Work left
    /// unfinished resumes on the next call for the same matrix, and is dropped by a call for
    /// another one (a noise draw of the same seed is kept going). Slices are at most about a
    /// millisecond longer than asked at n = 512.
    pub fn spectrum_until(
        &mut self,
        spec: MatrixSpec,
        clock: &dyn Fn() -> f64,
        deadline: f64,
    ) -> Option<SpectrumTimes> {
        if self.spec == Some(spec) && self.sigma.is_some() {
            self.under_way = None;
            return Some(SpectrumTimes::default());
        }
        let mut work = match self.under_way.take() {
            Some(work) if work.spec == spec => work,
            // A draw of this seed at least this large is worth finishing.
            Some(UnderWay {
                stage: Stage::Drawing(draw),
                ..
            }) if spec.noise != 0.0
                && draw.of().0 == spec.seed
                && draw.of().1 >= spec.n
                && !self.holds_noise_for(spec) =>
            {
                UnderWay {
                    spec,
                    stage: Stage::Drawing(draw),
                    times: SpectrumTimes::default(),
                }
            }
            _ => UnderWay {
                spec,
                stage: Stage::Start,
                times: SpectrumTimes::default(),
            },
        };
        loop {
            let started = clock();
            let stage = std::mem::replace(&mut work.stage, Stage::Start);
            match stage {
                Stage::Start => {
                    let held = self.spec == Some(spec) && self.matrix.is_some();
                    if !held && spec.noise != 0.0 && !self.holds_noise_for(spec) {
                        work.stage = Stage::Drawing(NoiseDraw::new(spec.n, spec.seed));
                    } else {
                        self.load(spec);
                        work.times.draw_ms += clock() - started;
                        match self.start_decomposing() {
                            Some(stage) => work.stage = stage,
                            None => return Some(work.times),
                        }
                    }
                }
                Stage::Drawing(mut draw) => {
                    if draw.advance(DRAW_COLUMNS) {
                        self.noise = Some((spec.seed, draw.finish()));
                        self.load(spec);
                        work.times.draw_ms += clock() - started;
                        match self.start_decomposing() {
                            Some(stage) => work.stage = stage,
                            None => return Some(work.times),
                        }
                    } else {
                        work.times.draw_ms += clock() - started;
                        work.stage = Stage::Drawing(draw);
                    }
                }
                Stage::Decomposing(mut steps) => {
                    if steps.step() {
                        let sigma = steps.singular_values();
                        let matrix = self.matrix.as_ref();
                        self.sigma = Some(
                            sigma
                                .or_else(|| matrix.map(singular_values))
                                .unwrap_or_default(),
                        );
                        work.times.svd_ms += clock() - started;
                        return Some(work.times);
                    }
                    work.times.svd_ms += clock() - started;
                    work.stage = Stage::Decomposing(steps);
                }
            }
            if clock() >= deadline {
                self.under_way = Some(work);
                return None;
            }
        }
    }

    /// The held matrix's bidiagonalisation, to be stepped through; or `None` when there is nothing
    /// to step through: a matrix with a non-finite entry (its singular values, NaNs, are set at
    /// once) or none held.
    fn start_decomposing(&mut self) -> Option<Stage> {
        let matrix = self.matrix.as_ref()?;
        match Bidiagonalisation::new(matrix) {
            Some(steps) => Some(Stage::Decomposing(Box::new(steps))),
            None => {
                self.sigma = Some(singular_values(matrix));
                None
            }
        }
    }

    /// The best rank-`rank` approximation of the matrix `spec` describes, with both errors.
    /// Computes the full SVD on the first call for a matrix, then reuses it; the tail error uses
    /// that decomposition's singular values.
    pub fn approximation(&mut self, spec: MatrixSpec, rank: usize) -> Approximation {
        self.load(spec);
        // Borrowed field by field: the matrix is read while the decomposition is filled in.
        let matrix = &*self.matrix.get_or_insert_with(|| spec.matrix());
        if self.decomposition.is_none() {
            self.decomposition = Decomposition::new(matrix);
        }
        let (approx, tail_error) = match &self.decomposition {
            Some(d) => (
                d.truncate(rank),
                relative_tail_error(d.singular_values(), rank),
            ),
            None => (
                DMatrix::from_element(matrix.nrows(), matrix.ncols(), f64::NAN),
                f64::NAN,
            ),
        };
        let residual = matrix - &approx;
        let half_range = robust_half_range(matrix);
        let residual_half_range = robust_half_range(&residual);
        let colours = Diverging::new(half_range);
        Approximation {
            rank,
            n: spec.n,
            pixels: [
                heatmap_rgba(matrix, colours),
                heatmap_rgba(&approx, colours),
                heatmap_rgba(&residual, Diverging::new(residual_half_range)),
            ]
            .map(ByteBuf::from),
            half_range,
            residual_half_range,
            relative_error: relative_frobenius_error(matrix, &approx),
            tail_error,
        }
    }
}

/// What the page reads off the spectrum at a threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct SpectrumSummary {
    /// Cumulative explained variance, element i for i + 1 components.
    pub energy: Vec<f64>,
    /// The smallest number of components reaching the threshold.
    pub rank: usize,
}

impl SpectrumSummary {
    /// Reads the spectrum `sigma` at `threshold_percent`.
    pub fn new(sigma: &[f64], threshold_percent: f64) -> Self {
        Self {
            energy: cumulative_energy(sigma),
            rank: rank_for_energy(sigma, threshold_percent / 100.0),
        }
    }

    /// The results as sentences for an n×n matrix, including how the rank found compares with
    /// the true rank and the notebook's off-by-one.
    pub fn lines(&self, n: usize, threshold_percent: f64, true_rank: usize) -> [String; 3] {
        let full = (n * n) as u64;
        let adapter = (2 * n * self.rank) as u64;
        let rest = crate::state::format_float(((100.0 - threshold_percent) * 10.0).round() / 10.0);
        let versus_true = match self.rank.cmp(&true_rank) {
            std::cmp::Ordering::Less => format!(
                " That is fewer than the true rank {true_rank}: the weakest directions of U·V together \
                 carry less than {rest}% of the variance, so a threshold does not find the true rank."
            ),
            std::cmp::Ordering::Equal => " That is the true rank.".to_string(),
            std::cmp::Ordering::Greater => format!(
                " That is more than the true rank {true_rank}: the noise carries more than {rest}% of \
                 the variance."
            ),
        };
        [
            format!(
                "{}% of the variance is reached with r = {}.{versus_true}",
                crate::state::format_float(threshold_percent),
                count_noun(self.rank as u64, "component", "components"),
            ),
            format!(
                "A rank-{r} adapter for this {n}×{n} matrix: 2·{n}·{r} = {} parameters, {} the {} of \
                 ΔW itself.",
                thousands(adapter),
                fewer_or_more(adapter, full),
                thousands(full),
                r = self.rank,
            ),
            format!(
                "The notebook would print rank {} here: np.where(…)[0][0] is the index of the first \
                 component reaching the threshold, one less than the number of components, and its \
                 compression ratio ({}) is too high by the same token.",
                self.rank.saturating_sub(1),
                if self.rank > 1 {
                    ratio(compression_ratio(n, n, self.rank - 1))
                } else {
                    "∞, a division by zero".to_string()
                }
            ),
        ]
    }
}

/// The spectrum chart's text alternative: the largest singular value, the true rank's and the
/// next, and how far the values drop after the true rank (or that no value follows it).
pub fn spectrum_description(sigma: &[f64], true_rank: usize) -> String {
    let n = sigma.len();
    let value = |i: usize| {
        let s = sigma.get(i - 1).copied().unwrap_or(0.0);
        format!("σ{} = {}", subscript(i), significant(s, 3))
    };
    if n == 0 {
        return "Singular values on a log axis: none to show.".to_string();
    }
    let k = true_rank.clamp(1, n);
    let mut shown = vec![value(1)];
    if k > 1 {
        shown.push(value(k));
    }
    if k >= n {
        return format!(
            "Singular values on a log axis: {}, the smallest. The true rank {true_rank} is the \
             matrix's full size, so no value follows it.",
            shown.join(", ")
        );
    }
    shown.push(value(k + 1));
    let (last, next) = (sigma[k - 1], sigma[k]);
    let drop = last / next;
    let verdict = if drop >= DROP_SEEN {
        format!("a drop of {} after the true rank {k}", ratio(drop))
    } else {
        format!(
            "only {} lower after the true rank {k}: the noise hides it",
            ratio(drop)
        )
    };
    format!(
        "Singular values on a log axis: {}: {verdict}.",
        shown.join(", ")
    )
}

/// How many times the true rank's singular value must exceed the next one for the text alternative
/// to call it a drop.
const DROP_SEEN: f64 = 2.0;

/// A relative error from the worker: nine decimals, enough to show the two ways agree, or three
/// significant figures in e-notation when nine decimals would show only zeros.
fn error_text(x: f64) -> String {
    if x.abs() >= 1e-4 {
        format!("{x:.9}")
    } else {
        significant(x, 3)
    }
}

/// Relative errors from this up are called large.
const LARGE_ERROR: f64 = 0.1;

/// Relative errors below this are called small.
const SMALL_ERROR: f64 = 0.01;

/// The sentences under the approximation of an n×n matrix of true rank `true_rank` at `rank`: the
/// error from the matrices, the error from the singular values, and what the two say.
pub fn approximation_lines(
    n: usize,
    rank: usize,
    true_rank: usize,
    relative: f64,
    tail: f64,
) -> [String; 3] {
    let from_sigma = if rank >= n {
        format!("From the singular values alone: at rank {n} no σᵢ is left out, so the error is 0.")
    } else {
        let (first, last) = (rank + 1, n);
        let terms = match last - first {
            0 => format!("σ{}²", subscript(first)),
            1 => format!("σ{}² + σ{}²", subscript(first), subscript(last)),
            _ => format!("σ{}² + … + σ{}²", subscript(first), subscript(last)),
        };
        format!(
            "From the singular values alone: √({terms}) / ‖ΔW‖_F = {}.",
            error_text(tail)
        )
    };
    let agree = (relative - tail).abs() <= 1e-9 * relative.abs().max(1e-300)
        || (relative - tail).abs() < 1e-12;
    let missing = true_rank.saturating_sub(rank);
    let directions = if missing == 1 {
        "1 direction of the signal is".to_string()
    } else {
        format!("{missing} directions of the signal are")
    };
    let meaning = if rank >= n {
        format!(" At rank {n} nothing is left out: the approximation is ΔW itself.")
    } else if missing == 0 {
        " At or above the true rank only noise is left out.".to_string()
    } else if relative >= LARGE_ERROR {
        format!(" Below the true rank {true_rank} the error is large: {directions} missing.")
    } else if relative < SMALL_ERROR {
        format!(
            " Below the true rank {true_rank}, {directions} missing, yet the error is small: {} weak.",
            if missing == 1 { "it is" } else { "they are" }
        )
    } else {
        format!(" Below the true rank {true_rank}, {directions} missing.")
    };
    [
        format!(
            "Relative error from the matrices: ‖ΔW − ΔW{}‖_F / ‖ΔW‖_F = {}.",
            subscript(rank),
            error_text(relative)
        ),
        from_sigma,
        format!(
            "{} (difference {:.1e}).{meaning}",
            if agree {
                "The two agree, as Eckart–Young says they must"
            } else {
                "The two differ by more than rounding"
            },
            (relative - tail).abs(),
        ),
    ]
}

/// The residual heatmap's label, with its own colour scale written so that it shows however small.
pub fn residual_label(residual_half_range: f64) -> String {
    format!(
        "Residual (own scale, ±{})",
        significant(residual_half_range, 2)
    )
}

/// The colour half-range of a large heatmap: three root-mean-squares, or the largest entry if that is
/// smaller. A few extreme entries would otherwise push every other cell towards white; the few beyond
/// the range show at full colour.
pub fn robust_half_range(m: &DMatrix<f64>) -> f64 {
    if m.is_empty() {
        return 0.0;
    }
    let rms = (m.norm_squared() / m.len() as f64).sqrt();
    (3.0 * rms).min(m.amax())
}
