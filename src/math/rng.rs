//! Counter-based random numbers: every entry is a pure function of (seed, stream, row, col).
//!
//! Because no generator state is carried from one entry to the next, an entry keeps its value when a
//! matrix grows or shrinks: raising the rank adds columns to B without redrawing the existing ones.
//! This makes the figures calm to explore and makes "same seed, same matrices" hold by construction.

/// The SplitMix64 finaliser: a bijection on u64 with good avalanche, used as a hash.
pub fn mix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Names an independent stream of random numbers for one seed (one per matrix of a figure).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stream {
    key: u64,
}

impl Stream {
    /// The stream `id` of seed `seed`. Different ids give unrelated numbers.
    pub fn new(seed: u64, id: u64) -> Self {
        Self {
            key: mix64(mix64(seed) ^ id.wrapping_mul(0xD6E8_FEB8_6659_FD93)),
        }
    }

    fn bits(self, row: usize, col: usize, salt: u64) -> u64 {
        entry_bits(self.row_key(row), column_key(col), salt)
    }

    /// The part of an entry's hash that depends on its row alone.
    fn row_key(self, row: usize) -> u64 {
        mix64(self.key ^ row as u64)
    }

    /// Standard normal numbers for a rows×cols block, entry (i, j) equal to `normal(i, j)` bit for
    /// bit, column-major: each row's and each column's share of the hash is computed once.
    pub fn normals(self, rows: usize, cols: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(rows * cols);
        self.extend_normals(rows, 0..cols, &mut out);
        out
    }

    /// Appends the columns `cols` of [`Stream::normals`]`(rows, …)` to `out`: the block drawn a
    /// few columns at a time.
    pub fn extend_normals(self, rows: usize, cols: std::ops::Range<usize>, out: &mut Vec<f64>) {
        let row_keys: Vec<u64> = (0..rows).map(|i| self.row_key(i)).collect();
        for j in cols {
            let col = column_key(j);
            out.extend(row_keys.iter().map(|&row| normal_from(row, col)));
        }
    }

    /// A uniform number in the open interval (0, 1) for entry (row, col).
    pub fn uniform(self, row: usize, col: usize) -> f64 {
        unit_open(self.bits(row, col, 0))
    }

    /// A standard normal number for entry (row, col), by the Box–Muller transform.
    pub fn normal(self, row: usize, col: usize) -> f64 {
        normal_from(self.row_key(row), column_key(col))
    }
}

/// The part of an entry's hash that depends on its column alone.
fn column_key(col: usize) -> u64 {
    (col as u64).wrapping_mul(0xA076_1D64_78BD_642F)
}

/// The hash of the entry whose row and column keys these are.
fn entry_bits(row_key: u64, column_key: u64, salt: u64) -> u64 {
    mix64(row_key ^ column_key ^ salt)
}

/// The Box–Muller normal of the entry whose row and column keys these are.
fn normal_from(row_key: u64, column_key: u64) -> f64 {
    let u1 = unit_open(entry_bits(row_key, column_key, 0));
    let u2 = unit_open(entry_bits(row_key, column_key, 0x5851_F42D_4C95_7F2D));
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Maps 64 random bits to (0, 1), never 0 or 1, using the top 53 bits.
fn unit_open(bits: u64) -> f64 {
    ((bits >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}
