//! The intrinsic-rank experiment's matrix: a low-rank product plus Gaussian noise.
//!
//! Conventions: the matrix is square, n×n, and stands for a weight update ΔW. Its signal is U·V with U
//! n×k and V k×n, so k is its true rank; the noise adds σ·N(0, 1) to every entry. Entries are drawn
//! from [`Stream`]s indexed by (row, col), so each entry depends only on (seed, i, j, k, σ), never on n.

use nalgebra::DMatrix;

use super::rng::Stream;

/// Stream ids of U, V and the noise, apart from those of the factorisation figure (1, 2, 3).
const STREAM_U: u64 = 11;
const STREAM_V: u64 = 12;
const STREAM_NOISE: u64 = 13;

/// The n×n matrix U·V + noise·Z, where U (n×true_rank), V (true_rank×n) and Z (n×n) have
/// independent standard-normal entries drawn for `seed`.
///
/// Guarantees: the same arguments give the same matrix, bit for bit. Entry (i, j) depends only on
/// (seed, true_rank, noise, i, j): growing n keeps every existing entry exactly, because each product
/// entry is summed over l = 0..true_rank in that order. Without noise the rank is at most
/// `true_rank`; `true_rank = 0` gives pure noise, and `noise = 0` pure signal.
pub fn low_rank_plus_noise(n: usize, true_rank: usize, noise: f64, seed: u64) -> DMatrix<f64> {
    let u_stream = Stream::new(seed, STREAM_U);
    let v_stream = Stream::new(seed, STREAM_V);
    let noise_stream = Stream::new(seed, STREAM_NOISE);
    let u = DMatrix::from_fn(n, true_rank, |i, l| u_stream.normal(i, l));
    let v = DMatrix::from_fn(true_rank, n, |l, j| v_stream.normal(l, j));
    // The product is summed by hand, in a fixed order, so an entry never depends on n.
    // A blocked matrix product could group the terms differently for another n.
    DMatrix::from_fn(n, n, |i, j| {
        let signal: f64 = (0..true_rank).map(|l| u[(i, l)] * v[(l, j)]).sum();
        if noise == 0.0 {
            signal
        } else {
            signal + noise * noise_stream.normal(i, j)
        }
    })
}
