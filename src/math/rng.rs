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

    /// A standard normal number for entry (row, col), by the ziggurat method.
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

/// Layers of the ziggurat: a power of two, so that a layer is chosen by the low bits of a hash.
const LAYERS: usize = 128;
/// Where the ziggurat's base layer hands over to the normal's tail, for [`LAYERS`] layers
/// (Marsaglia and Tsang, 2000).
const TAIL_FROM: f64 = 3.442_619_855_899;
/// The area of every layer under exp(−x²/2), the base layer's tail included.
const LAYER_AREA: f64 = 9.912_563_035_262_17e-3;
/// Tries before an entry gives up and is 0: each try is accepted with probability above 0.98, so
/// giving up has a chance below 10⁻⁹⁰.
const ZIGGURAT_TRIES: u64 = 64;

/// The ziggurat's layers: layer i covers |x| up to `edge[i]`, and a point inside `ratio[i]` of
/// that width lies under the curve whatever its height.
struct Ziggurat {
    edge: [f64; LAYERS + 1],
    ratio: [f64; LAYERS],
}

impl Ziggurat {
    /// The layers of equal area [`LAYER_AREA`] under f(x) = exp(−x²/2), from the base up.
    fn new() -> Self {
        let f = |x: f64| (-0.5 * x * x).exp();
        let mut edge = [0.0; LAYERS + 1];
        edge[0] = LAYER_AREA / f(TAIL_FROM);
        edge[1] = TAIL_FROM;
        for i in 2..LAYERS {
            edge[i] = (-2.0 * (LAYER_AREA / edge[i - 1] + f(edge[i - 1])).ln()).sqrt();
        }
        let mut ratio = [0.0; LAYERS];
        for (i, r) in ratio.iter_mut().enumerate() {
            *r = edge[i + 1] / edge[i];
        }
        Self { edge, ratio }
    }

    /// The shared layers, computed on first use.
    fn get() -> &'static Self {
        static LAYERS_ONCE: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
        LAYERS_ONCE.get_or_init(Self::new)
    }
}

/// The standard normal of the entry whose row and column keys these are, by the ziggurat method.
/// Each try hashes the entry with the try's salt: the low 7 bits pick a layer and the top 53 a
/// point across it, which lies under the curve nearly always; the rest of the time a second hash
/// decides, in the layer's wedge or in the tail beyond [`TAIL_FROM`].
fn normal_from(row_key: u64, column_key: u64) -> f64 {
    let zig = Ziggurat::get();
    for attempt in 0..ZIGGURAT_TRIES {
        let salt = attempt.wrapping_mul(0x5851_F42D_4C95_7F2D);
        let bits = entry_bits(row_key, column_key, salt);
        let layer = (bits as usize) & (LAYERS - 1);
        let u = 2.0 * unit_open(bits) - 1.0;
        if u.abs() < zig.ratio[layer] {
            return u * zig.edge[layer];
        }
        let extra = entry_bits(row_key, column_key, salt ^ 0x2545_F491_4F6C_DD1D);
        if layer == 0 {
            // The tail beyond TAIL_FROM, by Marsaglia's method.
            let x = -unit_open(extra).ln() / TAIL_FROM;
            let y = -unit_open(mix64(extra)).ln();
            if 2.0 * y > x * x {
                return (TAIL_FROM + x).copysign(u);
            }
            continue;
        }
        // The wedge: a height uniform across the layer, under the curve at x.
        let x = u * zig.edge[layer];
        let low = (-0.5 * (zig.edge[layer] * zig.edge[layer] - x * x)).exp();
        let high = (-0.5 * (zig.edge[layer + 1] * zig.edge[layer + 1] - x * x)).exp();
        if low + unit_open(extra) * (high - low) < 1.0 {
            return x;
        }
    }
    0.0
}

/// Maps 64 random bits to (0, 1), never 0 or 1, using the top 53 bits.
fn unit_open(bits: u64) -> f64 {
    ((bits >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}
