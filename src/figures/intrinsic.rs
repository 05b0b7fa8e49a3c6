//! "The intrinsic-rank hypothesis": the spectrum of ΔW = U·V + noise, the rank that reaches an
//! explained-variance threshold, and the best rank-r approximation (Eckart–Young).
//!
//! The heavy work (singular values, the full SVD) runs in a Web Worker in the browser; this module
//! is what the worker calls ([`Workbench`]) and what the page computes from its answers
//! ([`SpectrumSummary`]). Ranks count components (rank r keeps σ₁…σ_r).

use nalgebra::DMatrix;

use crate::format::{ratio, thousands};
use crate::math::intrinsic::low_rank_plus_noise;
use crate::math::svd::{
    compression_ratio, cumulative_energy, rank_for_energy, relative_frobenius_error,
    relative_tail_error, singular_values, Decomposition,
};
use crate::render::colormap::Diverging;
use crate::render::heatmap::heatmap_rgba;
use crate::state::IntrinsicState;

/// What defines the matrix ΔW: everything but the threshold and the approximation's rank.
#[derive(Clone, Copy, Debug, PartialEq)]
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
#[derive(Clone, Debug, PartialEq)]
pub struct Approximation {
    /// The rank kept.
    pub rank: usize,
    /// Side of the heatmaps.
    pub n: usize,
    /// ΔW, then its approximation, then the residual ΔW − approximation, as RGBA (row-major).
    pub pixels: [Vec<u8>; 3],
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
/// one product, not another SVD.
#[derive(Debug, Default)]
pub struct Workbench {
    spec: Option<MatrixSpec>,
    matrix: Option<DMatrix<f64>>,
    sigma: Option<Vec<f64>>,
    decomposition: Option<Decomposition>,
}

impl Workbench {
    /// Draws the matrix `spec` describes, unless it is the one already held.
    pub fn load(&mut self, spec: MatrixSpec) {
        if self.spec != Some(spec) || self.matrix.is_none() {
            self.matrix = Some(spec.matrix());
            self.sigma = None;
            self.decomposition = None;
            self.spec = Some(spec);
        }
    }

    /// The singular values of the matrix `spec` describes, descending: computed once per matrix,
    /// without singular vectors (the fast path).
    pub fn spectrum(&mut self, spec: MatrixSpec) -> &[f64] {
        self.load(spec);
        let matrix = self.matrix.as_ref();
        self.sigma
            .get_or_insert_with(|| matrix.map(singular_values).unwrap_or_default())
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
            ],
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
    /// n² / (2·n·rank): how many times fewer parameters a rank-`rank` adapter has than ΔW.
    pub compression: f64,
}

impl SpectrumSummary {
    /// Reads the spectrum `sigma` of an n×n matrix at `threshold_percent`.
    pub fn new(sigma: &[f64], n: usize, threshold_percent: f64) -> Self {
        let energy = cumulative_energy(sigma);
        let rank = rank_for_energy(sigma, threshold_percent / 100.0);
        Self {
            energy,
            rank,
            compression: compression_ratio(n, n, rank),
        }
    }

    /// The results as sentences, including how the rank found compares with the true rank and the
    /// notebook's off-by-one.
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
                "{}% of the variance is reached with r = {} components.{versus_true}",
                crate::state::format_float(threshold_percent),
                self.rank
            ),
            format!(
                "A rank-{} adapter for this {n}×{n} matrix: 2·{n}·{} = {} parameters instead of {}, a compression of {}.",
                self.rank,
                self.rank,
                thousands(adapter),
                thousands(full),
                ratio(self.compression)
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
