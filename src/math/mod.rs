//! Pure numerics.
//!
//! Conventions: matrices are `nalgebra::DMatrix<f64>` (column-major storage, indexed `[(row, col)]`);
//! shapes follow the LoRA paper: W₀ is d×k, B is d×r, A is r×k, so ΔW = B·A is d×k.

pub mod bidiagonal;
pub mod intrinsic;
mod lanes;
pub mod lora;
pub mod lowrank;
pub mod memory;
pub mod models;
pub mod quant;
pub mod rng;
pub mod subspace;
pub mod svd;
pub mod train;

use nalgebra::DMatrix;

/// The product a·b, summed term by term in a fixed order. For the page's small matrices this is as
/// fast as a blocked product, and it keeps the blocked product's large kernels out of the page's
/// WebAssembly. Requires a.ncols() == b.nrows().
pub fn product(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    DMatrix::from_fn(a.nrows(), b.ncols(), |i, j| {
        (0..a.ncols()).map(|l| a[(i, l)] * b[(l, j)]).sum()
    })
}
