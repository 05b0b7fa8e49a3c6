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
    let draw = if noise == 0.0 {
        None
    } else {
        Some(noise_draw(n, seed))
    };
    low_rank_plus(n, true_rank, noise, seed, draw.as_ref())
}

/// Z, the standard normals the noise of every matrix of `seed` is made of, for an n×n matrix: entry
/// (i, j) depends only on (seed, i, j), so the draw for a larger n holds the one for a smaller n
/// as its top-left block. It is the costly part of drawing a matrix (two logarithms' and cosines'
/// worth an entry), worth keeping while only the rank or the noise scale moves.
pub fn noise_draw(n: usize, seed: u64) -> DMatrix<f64> {
    DMatrix::from_vec(n, n, Stream::new(seed, STREAM_NOISE).normals(n, n))
}

/// A [`noise_draw`] under way, a few columns at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct NoiseDraw {
    seed: u64,
    n: usize,
    /// The columns drawn so far, column-major.
    entries: Vec<f64>,
}

impl NoiseDraw {
    /// Starts the n×n draw of `seed`.
    pub fn new(n: usize, seed: u64) -> Self {
        Self {
            seed,
            n,
            entries: Vec::with_capacity(n * n),
        }
    }

    /// The seed and size it draws for.
    pub fn of(&self) -> (u64, usize) {
        (self.seed, self.n)
    }

    /// Draws up to `columns` more columns; returns whether the draw is complete.
    pub fn advance(&mut self, columns: usize) -> bool {
        let drawn = self.entries.len() / self.n.max(1);
        let next = (drawn + columns).min(self.n);
        Stream::new(self.seed, STREAM_NOISE).extend_normals(self.n, drawn..next, &mut self.entries);
        next >= self.n
    }

    /// The draw, [`noise_draw`]`(n, seed)` bit for bit once complete (finished here if not).
    pub fn finish(mut self) -> DMatrix<f64> {
        while !self.advance(self.n) {}
        DMatrix::from_vec(self.n, self.n, self.entries)
    }
}

/// [`low_rank_plus_noise`], bit for bit, with Z's entries taken from `draw` (a [`noise_draw`] of
/// `seed` at least n×n; `None` or a smaller draw is drawn again). Without noise `draw` is not read.
pub fn low_rank_plus(
    n: usize,
    true_rank: usize,
    noise: f64,
    seed: u64,
    draw: Option<&DMatrix<f64>>,
) -> DMatrix<f64> {
    // U by columns, V by rows (column-major k×n: V's column j is row j's k entries).
    let u = Stream::new(seed, STREAM_U).normals(n, true_rank);
    let v = Stream::new(seed, STREAM_V).normals(true_rank, n);
    let fresh;
    let draw = match draw {
        Some(z) if z.nrows().min(z.ncols()) >= n => Some(z),
        _ if noise == 0.0 => None,
        _ => {
            fresh = noise_draw(n, seed);
            Some(&fresh)
        }
    };
    // The product is summed by hand, in a fixed order, so an entry never depends on n: each entry
    // starts from −0.0, as `Iterator::sum` does, and adds its terms for l = 0, 1, … in turn. A
    // blocked matrix product could group the terms differently for another n. The entries of a
    // column are summed side by side, which changes no entry's order and runs in SIMD lanes.
    let mut m = DMatrix::from_element(n, n, -0.0);
    if n == 0 {
        return m;
    }
    for (j, column) in m.as_mut_slice().chunks_exact_mut(n).enumerate() {
        for (l, u_l) in u.chunks_exact(n).enumerate() {
            let v_lj = v[l + j * true_rank];
            for (entry, u_il) in column.iter_mut().zip(u_l) {
                *entry += u_il * v_lj;
            }
        }
        if let (Some(z), true) = (draw, noise != 0.0) {
            for (entry, z_ij) in column.iter_mut().zip(z.column(j).iter()) {
                *entry += noise * z_ij;
            }
        }
    }
    m
}
