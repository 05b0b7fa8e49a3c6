//! The intrinsic-rank experiment's matrix: a low-rank product plus Gaussian noise.
