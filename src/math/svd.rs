//! Singular values, best low-rank approximations and the quantities built on them.
//!
//! Conventions: σ is a slice of singular values sorted in descending order, as
//! [`singular_values`] returns them; index i (0-based) holds σᵢ₊₁. A rank r counts components, so
//! "rank r" keeps σ[0..r]. Energy is Σσ², which equals ‖M‖_F². Errors are relative Frobenius
//! norms, in [0, 1] for approximations built here. Empty matrices have no singular values.

use nalgebra::{DMatrix, SVD};

use super::lora::ParamCounts;

/// nalgebra's default convergence tolerance for its SVD.
const SVD_EPS: f64 = 5.0 * f64::EPSILON;

/// The SVD of `m` in nalgebra's order, or `None` if `m` is empty or has a non-finite entry.
///
/// Non-finite entries are refused because the iteration need not converge on them.
fn svd_unordered(
    m: &DMatrix<f64>,
    compute_uv: bool,
) -> Option<SVD<f64, nalgebra::Dyn, nalgebra::Dyn>> {
    if m.is_empty() || !m.iter().all(|v| v.is_finite()) {
        return None;
    }
    // A maximum of 0 iterations means "until convergence", which finite input reaches.
    SVD::try_new_unordered(m.clone(), compute_uv, compute_uv, SVD_EPS, 0)
}

/// Indices of `values` ordered by decreasing value.
fn descending_order(values: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    order
}

/// All min(rows, cols) singular values of `m`, sorted in descending order, each non-negative.
///
/// Computes no singular vectors, so it is the fast path: a Householder bidiagonalisation and dqds
/// ([`super::bidiagonal`]), about LAPACK's speed, with nalgebra's SVD as the fallback should dqds
/// ever fail to converge. An empty matrix gives an empty vector. A matrix with a NaN or infinite
/// entry has no meaningful singular values: it gives min(rows, cols) NaNs rather than a panic.
pub fn singular_values(m: &DMatrix<f64>) -> Vec<f64> {
    let n_values = m.nrows().min(m.ncols());
    if m.is_empty() {
        return Vec::new();
    }
    if let Some(values) = super::bidiagonal::singular_values(m) {
        return values;
    }
    match svd_unordered(m, false) {
        Some(svd) => {
            let mut values: Vec<f64> = svd.singular_values.iter().map(|s| s.abs()).collect();
            values.sort_by(|a, b| b.total_cmp(a));
            values
        }
        None => vec![f64::NAN; n_values],
    }
}

/// A best rank-r approximation of a matrix and the matrix's singular values.
#[derive(Clone, Debug, PartialEq)]
pub struct LowRank {
    /// U_r·Σ_r·V_rᵀ, the same shape as the input: the closest matrix of rank at most r in the
    /// Frobenius and spectral norms (Eckart–Young).
    pub approximation: DMatrix<f64>,
    /// All singular values of the input, sorted in descending order, not only the r kept.
    pub singular_values: Vec<f64>,
}

/// A full SVD kept sorted, so that best approximations of every rank can be rebuilt from one
/// decomposition: the SVD is the expensive part, a truncation is one product.
#[derive(Clone, Debug)]
pub struct Decomposition {
    /// The decomposed matrix.
    matrix: DMatrix<f64>,
    /// U with its columns in descending order of singular value, each scaled by its σ.
    u_sigma: DMatrix<f64>,
    /// Vᵀ with its rows in the same order.
    v_t: DMatrix<f64>,
    /// Singular values, descending.
    sigma: Vec<f64>,
}

impl Decomposition {
    /// Decomposes `m` with U and V: several times the cost of [`singular_values`]. None if `m` is
    /// empty or has a non-finite entry.
    pub fn new(m: &DMatrix<f64>) -> Option<Self> {
        let svd = svd_unordered(m, true)?;
        let (u, v_t) = (svd.u.as_ref()?, svd.v_t.as_ref()?);
        let values: Vec<f64> = svd.singular_values.iter().map(|s| s.abs()).collect();
        let order = descending_order(&values);
        let n_values = order.len();
        Some(Self {
            matrix: m.clone(),
            u_sigma: DMatrix::from_fn(m.nrows(), n_values, |i, l| {
                u[(i, order[l])] * values[order[l]]
            }),
            v_t: DMatrix::from_fn(n_values, m.ncols(), |l, j| v_t[(order[l], j)]),
            sigma: order.iter().map(|&i| values[i]).collect(),
        })
    }

    /// The singular values, sorted in descending order.
    pub fn singular_values(&self) -> &[f64] {
        &self.sigma
    }

    /// The factors of the best rank-`rank` approximation: U_r·Σ_r (rows×rank, U's first columns,
    /// each scaled by its σ) and V_rᵀ (rank×cols), whose product is U_r·Σ_r·V_rᵀ. The rank is at
    /// most min(rows, cols).
    pub fn factors(&self, rank: usize) -> (DMatrix<f64>, DMatrix<f64>) {
        let rank = rank.min(self.sigma.len());
        (
            self.u_sigma.columns(0, rank).into_owned(),
            self.v_t.rows(0, rank).into_owned(),
        )
    }

    /// The best approximation of rank at most `rank` (Eckart–Young): U_r·Σ_r·V_rᵀ. Rank 0 gives the
    /// zero matrix; rank ≥ min(rows, cols) returns the matrix itself, exactly.
    pub fn truncate(&self, rank: usize) -> DMatrix<f64> {
        if rank >= self.sigma.len() {
            return self.matrix.clone();
        }
        self.u_sigma.columns(0, rank) * self.v_t.rows(0, rank)
    }
}

/// The best approximation of `m` of rank at most `rank`, by a truncated SVD (Eckart–Young).
///
/// Keeps the `rank` largest singular triplets, sorted here because nalgebra's SVD is not, and
/// rebuilds U_r·Σ_r·V_rᵀ. Its relative Frobenius error is [`relative_tail_error`] of the returned
/// singular values at `rank`. Rank 0 gives the zero matrix; rank ≥ min(rows, cols) returns `m`
/// itself, exactly. Costs a full SVD with both U and V, several times [`singular_values`]: to
/// truncate one matrix at several ranks, keep a [`Decomposition`]. Non-finite input gives an
/// all-NaN approximation.
pub fn best_rank_approximation(m: &DMatrix<f64>, rank: usize) -> LowRank {
    let (n_rows, n_cols) = m.shape();
    if rank >= n_rows.min(n_cols) {
        return LowRank {
            approximation: m.clone(),
            singular_values: singular_values(m),
        };
    }
    match Decomposition::new(m) {
        Some(decomposition) => LowRank {
            approximation: decomposition.truncate(rank),
            singular_values: decomposition.sigma,
        },
        None => LowRank {
            approximation: DMatrix::from_element(n_rows, n_cols, f64::NAN),
            singular_values: vec![f64::NAN; n_rows.min(n_cols)],
        },
    }
}

/// The cumulative share of energy: element i is Σ_{j≤i} σⱼ² / Σⱼ σⱼ².
///
/// Guarantees: the same length as `sigma`, non-decreasing, within [0, 1], and the last element is
/// exactly 1.0. A zero matrix (every σ zero) has nothing to explain: every element is 1.0, never
/// NaN. Non-finite σ give NaN.
pub fn cumulative_energy(sigma: &[f64]) -> Vec<f64> {
    let total: f64 = sigma.iter().map(|s| s * s).sum();
    if total == 0.0 {
        return vec![1.0; sigma.len()];
    }
    let mut running = 0.0;
    let mut shares: Vec<f64> = sigma
        .iter()
        .map(|s| {
            running += s * s;
            (running / total).min(1.0)
        })
        .collect();
    if let Some(last) = shares.last_mut() {
        if last.is_finite() {
            *last = 1.0;
        }
    }
    shares
}

/// The number of components needed to explain `threshold` of the energy: the smallest r ≥ 1 with
/// `cumulative_energy(sigma)[r - 1] ≥ threshold`.
///
/// The threshold is clamped to (0, 1]; NaN counts as 1. The answer lies in 1..=sigma.len(), and is
/// 0 only for an empty `sigma`. A zero matrix needs 1. This is a count, not an index: the
/// notebook's `np.where(explained_var >= 0.95)[0][0]` is the 0-based index of that component, so
/// it is this value minus one.
pub fn rank_for_energy(sigma: &[f64], threshold: f64) -> usize {
    let threshold = if threshold.is_nan() {
        1.0
    } else {
        threshold.clamp(f64::MIN_POSITIVE, 1.0)
    };
    let shares = cumulative_energy(sigma);
    match shares.iter().position(|&share| share >= threshold) {
        Some(index) => index + 1,
        None => shares.len(),
    }
}

/// The relative error of the best rank-`rank` approximation, from the singular values alone:
/// sqrt(Σ_{i≥rank} σᵢ²) / sqrt(Σᵢ σᵢ²), with 0-based i, so the tail after the first `rank`.
///
/// By Eckart–Young this equals ‖M − M_r‖_F / ‖M‖_F. Within [0, 1]; 0 when `rank ≥ sigma.len()`
/// and 0 for a zero matrix. The tail is summed directly, not as total minus head, so small errors
/// keep their precision.
pub fn relative_tail_error(sigma: &[f64], rank: usize) -> f64 {
    let total: f64 = sigma.iter().map(|s| s * s).sum();
    if total == 0.0 {
        return 0.0;
    }
    // An empty sum of f64 is −0.0, and √−0.0 would print as "-0".
    if rank >= sigma.len() {
        return 0.0;
    }
    let tail: f64 = sigma.iter().skip(rank).map(|s| s * s).sum();
    (tail / total).sqrt()
}

/// The relative Frobenius error ‖m − approx‖_F / ‖m‖_F.
///
/// Non-negative. If `m` is zero it is 0 when `approx` is zero too and infinite otherwise. Matrices
/// of different shapes have no error to measure: the answer is NaN.
pub fn relative_frobenius_error(m: &DMatrix<f64>, approx: &DMatrix<f64>) -> f64 {
    if m.shape() != approx.shape() {
        return f64::NAN;
    }
    let difference = (m - approx).norm();
    let size = m.norm();
    if size == 0.0 {
        if difference == 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        difference / size
    }
}

/// How many times fewer numbers a rank-`rank` factorisation stores than the full matrix:
/// n_rows·n_cols / (rank·(n_rows + n_cols)).
///
/// For a square n×n matrix this is the notebook's n² / (2·n·r) = n / (2r). Below 1 the factors are
/// larger than the matrix. Rank 0 gives infinity. It is [`ParamCounts::reduction`], so the LoRA
/// figure and this one agree.
pub fn compression_ratio(n_rows: usize, n_cols: usize, rank: usize) -> f64 {
    ParamCounts::new(n_rows as u64, n_cols as u64, rank as u64).reduction()
}
