//! Subspace similarity between the row spaces of two LoRA `A` matrices (Hu et al. 2021, §7).
//!
//! For A₁ (r₁×k) and A₂ (r₂×k), let U_i hold the top-i right singular vectors of A₁ (k×i) and
//! U_j the top-j right singular vectors of A₂. Then
//! φ(A₁, A₂, i, j) = ‖U_iᵀ·U_j‖²_F / min(i, j), in [0, 1]: 1 when one span contains the other,
//! 0 when they are orthogonal. It depends on A only through its right singular vectors, so it is
//! unchanged by A → Q·A for orthogonal Q and by scaling A.

use nalgebra::DMatrix;

use super::svd::Decomposition;

/// φ(A₁, A₂, i, j) for every i and j: entry (i − 1, j − 1) holds φ at (i, j), for i up to
/// min(r₁, k) and j up to min(r₂, k) (a matrix has no more right singular vectors).
///
/// Singular vectors are taken in descending order of singular value; those of zero singular values
/// (a rank-deficient A) are whichever the SVD returns. None when A₁ and A₂ have different numbers
/// of columns, or either is empty or has a non-finite entry. Rounding can push φ a hair past 1;
/// it is clamped into [0, 1].
pub fn subspace_similarity(a1: &DMatrix<f64>, a2: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    if a1.ncols() != a2.ncols() {
        return None;
    }
    let right_vectors = |a: &DMatrix<f64>| {
        let decomposition = Decomposition::new(a)?;
        let count = decomposition.singular_values().len();
        Some(decomposition.factors(count).1)
    };
    let (v1, v2) = (right_vectors(a1)?, right_vectors(a2)?);
    // overlap[(a, b)] = ⟨v1_a, v2_b⟩, so ‖U_iᵀ·U_j‖²_F sums its squares over a < i, b < j.
    let overlap = &v1 * v2.transpose();
    let (rows, cols) = overlap.shape();
    // sums[(a, b)] is the sum of squares over the top-left (a + 1)×(b + 1) block.
    let mut sums = DMatrix::<f64>::zeros(rows, cols);
    for a in 0..rows {
        let mut row_sum = 0.0;
        for b in 0..cols {
            row_sum += overlap[(a, b)] * overlap[(a, b)];
            sums[(a, b)] = row_sum + if a > 0 { sums[(a - 1, b)] } else { 0.0 };
        }
    }
    Some(DMatrix::from_fn(rows, cols, |a, b| {
        (sums[(a, b)] / (a.min(b) + 1) as f64).clamp(0.0, 1.0)
    }))
}
