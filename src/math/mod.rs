//! Pure numerics.
//!
//! Conventions: matrices are `nalgebra::DMatrix<f64>` (column-major storage, indexed `[(row, col)]`);
//! shapes follow the LoRA paper: W₀ is d×k, B is d×r, A is r×k, so ΔW = B·A is d×k.

pub mod intrinsic;
pub mod lora;
pub mod memory;
pub mod rng;
pub mod svd;
