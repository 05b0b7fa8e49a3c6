//! 4-bit codes and blockwise quantisation, as QLoRA (Dettmers et al., 2023) stores a frozen base.
//!
//! Conventions: a code is a sorted list of distinct levels in [−1, 1]; a value is stored as the index
//! of its nearest level. Blockwise absmax quantisation cuts the values, read in row-major order as
//! PyTorch stores a weight, into blocks of B consecutive values (the last block may be shorter),
//! divides each block by its largest magnitude (its absmax) and stores the nearest level of each
//! quotient. Values and absmax constants are `f64`; matrices are row-major slices here, because that
//! is the order blocks run in. A block of zeros has absmax 0 and dequantises to zeros, never NaN.

pub mod memory;

use nalgebra::{DMatrix, SVD};

use super::rng::Stream;

/// bitsandbytes' offset for NF4: the largest positive level is the quantile Φ⁻¹(0.9677083).
pub const NF4_OFFSET: f64 = 0.9677083;

/// The block size of the second quantisation (of the absmax constants), as in QLoRA.
pub const DOUBLE_QUANT_BLOCK: usize = 256;

/// The smallest block size the chapter offers.
pub const MIN_BLOCK: usize = 16;

/// The largest block size the chapter offers.
pub const MAX_BLOCK: usize = 4096;

/// Block sizes of the error-against-block-size series: powers of two from 16 to 4096.
pub const BLOCK_SIZES: [usize; 9] = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

/// The standard normal density φ(x).
pub fn normal_density(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// The standard normal distribution function Φ(x), by Marsaglia's series
/// Φ(x) = ½ + φ(x)·(x + x³/3 + x⁵/(3·5) + …), to about 10⁻¹⁵ absolutely.
///
/// Beyond |x| = 38 the answer is 0 or 1 in f64 anyway; NaN gives NaN.
pub fn normal_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x.abs() > 38.0 {
        return if x > 0.0 { 1.0 } else { 0.0 };
    }
    let (mut sum, mut term, mut odd) = (x, x, 1.0);
    let square = x * x;
    loop {
        odd += 2.0;
        term *= square / odd;
        let next = sum + term;
        if next == sum {
            break;
        }
        sum = next;
    }
    (0.5 + sum * normal_density(x)).clamp(0.0, 1.0)
}

/// Evaluates the polynomial with coefficients `c` (constant first) at `x`, by Horner's rule.
fn horner(c: &[f64], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &ci| acc * x + ci)
}

/// The standard normal quantile Φ⁻¹(p), by Wichura's algorithm AS 241 (PPND16), accurate to about
/// 10⁻¹⁶ relatively.
///
/// p = 0 gives −∞, p = 1 gives +∞; p outside [0, 1] or NaN gives NaN.
// The coefficients are printed as the algorithm publishes them, beyond f64's precision.
#[allow(clippy::excessive_precision)]
pub fn inverse_normal_cdf(p: f64) -> f64 {
    const A: [f64; 8] = [
        3.387_132_872_796_366_608_0,
        1.331_416_678_917_843_774_5e2,
        1.971_590_950_306_551_442_7e3,
        1.373_169_376_550_946_112_5e4,
        4.592_195_393_154_987_145_7e4,
        6.726_577_092_700_870_085_3e4,
        3.343_057_558_358_812_810_5e4,
        2.509_080_928_730_122_672_7e3,
    ];
    const B: [f64; 8] = [
        1.0,
        4.231_333_070_160_091_125_2e1,
        6.871_870_074_920_579_083_0e2,
        5.394_196_021_424_751_107_7e3,
        2.121_379_430_158_659_586_7e4,
        3.930_789_580_009_271_061_0e4,
        2.872_908_573_572_194_267_4e4,
        5.226_495_278_852_854_561_0e3,
    ];
    const C: [f64; 8] = [
        1.423_437_110_749_683_577_34,
        4.630_337_846_156_545_295_90,
        5.769_497_221_460_691_405_50,
        3.647_848_324_763_204_605_04,
        1.270_458_252_452_368_382_58,
        2.417_807_251_774_506_117_70e-1,
        2.272_384_498_926_918_458_33e-2,
        7.745_450_142_783_414_076_40e-4,
    ];
    const D: [f64; 8] = [
        1.0,
        2.053_191_626_637_758_821_87,
        1.676_384_830_183_803_849_40,
        6.897_673_349_851_000_045_50e-1,
        1.481_039_764_274_800_745_90e-1,
        1.519_866_656_361_645_719_66e-2,
        5.475_938_084_995_344_946_00e-4,
        1.050_750_071_644_416_843_24e-9,
    ];
    const E: [f64; 8] = [
        6.657_904_643_501_103_777_20,
        5.463_784_911_164_114_369_90,
        1.784_826_539_917_291_335_80,
        2.965_605_718_285_048_912_30e-1,
        2.653_218_952_657_612_309_30e-2,
        1.242_660_947_388_078_438_60e-3,
        2.711_555_568_743_487_578_15e-5,
        2.010_334_399_292_288_132_65e-7,
    ];
    const F: [f64; 8] = [
        1.0,
        5.998_322_065_558_879_376_90e-1,
        1.369_298_809_227_358_053_10e-1,
        1.487_536_129_085_061_485_25e-2,
        7.868_691_311_456_132_591_00e-4,
        1.846_318_317_510_054_681_80e-5,
        1.421_511_758_316_445_888_70e-7,
        2.044_263_103_389_939_785_64e-15,
    ];
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q * horner(&A, r) / horner(&B, r);
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let mut r = (-tail.ln()).sqrt();
    let value = if r <= 5.0 {
        r -= 1.6;
        horner(&C, r) / horner(&D, r)
    } else {
        r -= 5.0;
        horner(&E, r) / horner(&F, r)
    };
    if q < 0.0 {
        -value
    } else {
        value
    }
}

/// `steps` evenly spaced numbers from `start` to `end` in f32, as `torch.linspace` computes them:
/// the first half counted up from the start, the second half down from the end.
fn linspace_f32(start: f32, end: f32, steps: usize) -> Vec<f32> {
    let step = (end - start) / (steps.saturating_sub(1).max(1)) as f32;
    let halfway = steps / 2;
    (0..steps)
        .map(|i| {
            if i < halfway {
                start + step * i as f32
            } else {
                end - step * (steps - i - 1) as f32
            }
        })
        .collect()
}

/// The NF4 levels by bitsandbytes' `create_normal_map(offset, use_extra_value=True)`: the quantiles
/// of N(0, 1) at 8 probabilities evenly spaced from `offset` towards ½ (½ left out) and the
/// negatives of those at 7 such probabilities, plus an exact zero, sorted and divided by the
/// largest, so they span [−1, 1].
///
/// bitsandbytes computes in float32 (torch's linspace, scipy's quantile on float32 input, a float32
/// division); the same roundings are made here, so the levels are the float32 values it ships.
pub fn normal_map(offset: f64) -> Vec<f64> {
    let quantile = |p: f32| inverse_normal_cdf(f64::from(p)) as f32;
    let start = offset as f32;
    let mut values: Vec<f32> = linspace_f32(start, 0.5, 9)[..8]
        .iter()
        .map(|&p| quantile(p))
        .chain(
            linspace_f32(start, 0.5, 8)[..7]
                .iter()
                .map(|&p| -quantile(p)),
        )
        .chain(std::iter::once(0.0))
        .collect();
    values.sort_by(f32::total_cmp);
    let largest = values.iter().copied().fold(0.0_f32, f32::max);
    if largest <= 0.0 {
        return values.into_iter().map(f64::from).collect();
    }
    // An f64 division rounded to f32 is the correctly rounded f32 division.
    values
        .into_iter()
        .map(|v| (f64::from(v) / f64::from(largest)) as f32)
        .map(f64::from)
        .collect()
}

/// bitsandbytes' 4-bit float ("fp4", E2M1 with its own bias): the magnitudes 0, 0.0625, 2, 3, 4, 6,
/// 8 and 12 with either sign, divided by 12. Codes 0 and −0 coincide, so it has 15 distinct levels.
fn fp4_levels() -> Vec<f64> {
    // One subnormal, then 2ᵉ·(1 + m/2) for exponents 1 to 3 and mantissa bit m.
    let magnitudes: Vec<f64> = [0.0, 0.0625]
        .into_iter()
        .chain((1..=3).flat_map(|e| [0.0, 1.0].map(|m| 2f64.powi(e) * (1.0 + m / 2.0))))
        .collect();
    let mut levels: Vec<f64> = magnitudes
        .iter()
        .flat_map(|&m| [-m / 12.0, m / 12.0])
        .collect();
    levels.sort_by(f64::total_cmp);
    levels.dedup_by(|a, b| a == b);
    levels
}

/// bitsandbytes' 8-bit dynamic map (`create_dynamic_map(signed=True)`), the code of the second
/// quantisation: for each decade 10⁻⁶⁺ⁱ (i = 0…6), the 2ⁱ midpoints of 2ⁱ equal steps from 0.1 to
/// 1 times that decade, with either sign, plus 0 and 1: 256 levels.
fn dynamic_levels() -> Vec<f64> {
    let mut levels = vec![0.0, 1.0];
    for i in 0..7 {
        let steps = 1usize << i;
        let decade = 10f64.powi(i - 6);
        for j in 0..steps {
            let lo = 0.1 + 0.9 * j as f64 / steps as f64;
            let hi = 0.1 + 0.9 * (j + 1) as f64 / steps as f64;
            let mean = decade * (lo + hi) / 2.0;
            levels.push(mean);
            levels.push(-mean);
        }
    }
    levels.sort_by(f64::total_cmp);
    levels
}

/// The three 4-bit codes the chapter compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Code {
    /// 4-bit NormalFloat: quantiles of N(0, 1), 16 levels.
    Nf4,
    /// bitsandbytes' 4-bit float (E2M1), 15 distinct levels.
    Fp4,
    /// Symmetric absmax integers k/7 for k = −7…7, 15 levels.
    Int4,
}

impl Code {
    /// The three codes, NF4 first.
    pub const ALL: [Code; 3] = [Code::Nf4, Code::Fp4, Code::Int4];

    /// The code's name as the page writes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Nf4 => "NF4",
            Self::Fp4 => "FP4",
            Self::Int4 => "int4",
        }
    }

    /// The code's sorted, distinct levels in [−1, 1].
    pub fn levels(self) -> Vec<f64> {
        match self {
            Self::Nf4 => normal_map(NF4_OFFSET),
            Self::Fp4 => fp4_levels(),
            Self::Int4 => (-7..=7).map(|k| f64::from(k) / 7.0).collect(),
        }
    }

    /// The code ready to quantise with.
    pub fn codebook(self) -> Codebook {
        Codebook::new(self.levels())
    }
}

/// Sorted levels and the decision thresholds halfway between neighbours.
#[derive(Clone, Debug, PartialEq)]
pub struct Codebook {
    /// The levels, ascending and distinct.
    levels: Vec<f64>,
    /// Midpoints between neighbouring levels, one fewer than the levels.
    thresholds: Vec<f64>,
}

impl Codebook {
    /// A codebook of `levels`, sorted and deduplicated here; NaNs are dropped. At most 256 levels
    /// are kept (the first 256 in ascending order), since an index is a byte.
    pub fn new(mut levels: Vec<f64>) -> Self {
        levels.retain(|v| !v.is_nan());
        levels.sort_by(f64::total_cmp);
        levels.dedup_by(|a, b| a == b);
        levels.truncate(256);
        let thresholds = levels.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect();
        Self { levels, thresholds }
    }

    /// The levels, ascending.
    pub fn levels(&self) -> &[f64] {
        &self.levels
    }

    /// The index of the level nearest to `x`; a tie goes to the lower level, NaN to the lowest.
    pub fn nearest(&self, x: f64) -> u8 {
        self.thresholds.partition_point(|&t| t < x) as u8
    }

    /// The level of index `code`, or 0 for an index past the last level.
    pub fn level(&self, code: u8) -> f64 {
        self.levels.get(usize::from(code)).copied().unwrap_or(0.0)
    }

    /// The largest gap between neighbouring levels: an element's error is at most half of it times
    /// its block's absmax.
    pub fn largest_gap(&self) -> f64 {
        self.levels
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(0.0, f64::max)
    }
}

/// The largest magnitude in `block`, 0 for an empty block.
fn absmax(block: &[f64]) -> f64 {
    block.iter().fold(0.0, |acc: f64, v| acc.max(v.abs()))
}

/// 1/absmax, or 0 for a block of zeros, so that it quantises to the zero level.
fn reciprocal(absmax: f64) -> f64 {
    if absmax > 0.0 {
        1.0 / absmax
    } else {
        0.0
    }
}

/// A block size within [`MIN_BLOCK`]…[`MAX_BLOCK`].
pub fn clamp_block(block_size: usize) -> usize {
    block_size.clamp(MIN_BLOCK, MAX_BLOCK)
}

/// Values quantised blockwise: one code index per value and one absmax per block.
#[derive(Clone, Debug, PartialEq)]
pub struct Quantised {
    /// The index of each value's level, in the values' order.
    pub codes: Vec<u8>,
    /// Each block's absmax, in block order.
    pub absmax: Vec<f64>,
    /// Values per block (the last block may hold fewer).
    pub block_size: usize,
}

impl Quantised {
    /// Quantises `values` in blocks of `block_size` (at least 1) with `codebook`.
    pub fn new(values: &[f64], block_size: usize, codebook: &Codebook) -> Self {
        let block_size = block_size.max(1);
        let mut codes = Vec::with_capacity(values.len());
        let mut constants = Vec::with_capacity(values.len().div_ceil(block_size));
        for block in values.chunks(block_size) {
            let scale = absmax(block);
            let inverse = reciprocal(scale);
            codes.extend(block.iter().map(|&v| codebook.nearest(v * inverse)));
            constants.push(scale);
        }
        Self {
            codes,
            absmax: constants,
            block_size,
        }
    }

    /// The dequantised values: each level times its block's absmax.
    pub fn dequantise(&self, codebook: &Codebook) -> Vec<f64> {
        self.dequantise_with(codebook, &self.absmax)
    }

    /// The dequantised values with other absmax constants, such as double-quantised ones; a block
    /// without a constant dequantises to zeros.
    pub fn dequantise_with(&self, codebook: &Codebook, absmax: &[f64]) -> Vec<f64> {
        self.codes
            .chunks(self.block_size)
            .enumerate()
            .flat_map(|(idx, block)| {
                let scale = absmax.get(idx).copied().unwrap_or(0.0);
                block.iter().map(move |&c| codebook.level(c) * scale)
            })
            .collect()
    }
}

/// The mean squared error of quantising `values` blockwise, without storing codes.
///
/// Equals the mean of (v − dequantised v)² over [`Quantised::new`]'s output; 0 for no values.
pub fn quantisation_mse(values: &[f64], block_size: usize, codebook: &Codebook) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sum = 0.0;
    for block in values.chunks(block_size.max(1)) {
        let scale = absmax(block);
        let inverse = reciprocal(scale);
        for &v in block {
            let error = v - codebook.level(codebook.nearest(v * inverse)) * scale;
            sum += error * error;
        }
    }
    sum / values.len() as f64
}

/// The mean squared error of each code at each of [`BLOCK_SIZES`]: one row a code, in
/// [`Code::ALL`]'s order.
pub fn mse_by_block_size(values: &[f64]) -> Vec<(Code, Vec<(usize, f64)>)> {
    Code::ALL
        .iter()
        .map(|&code| {
            let codebook = code.codebook();
            let series = BLOCK_SIZES
                .iter()
                .map(|&b| (b, quantisation_mse(values, b, &codebook)))
                .collect();
            (code, series)
        })
        .collect()
}

/// Absmax constants quantised a second time, as QLoRA's double quantisation does: their mean is
/// subtracted, then the rest is quantised to 8 bits (bitsandbytes' dynamic map) in blocks of
/// [`DOUBLE_QUANT_BLOCK`], each with a 32-bit constant of its own.
#[derive(Clone, Debug, PartialEq)]
pub struct DoubleQuantised {
    /// The mean of the constants, subtracted before quantising.
    pub mean: f64,
    /// The constants less their mean, quantised.
    pub inner: Quantised,
}

impl DoubleQuantised {
    /// Double-quantises `absmax`. An empty list has mean 0.
    pub fn new(absmax: &[f64]) -> Self {
        let mean = if absmax.is_empty() {
            0.0
        } else {
            absmax.iter().sum::<f64>() / absmax.len() as f64
        };
        let centred: Vec<f64> = absmax.iter().map(|a| a - mean).collect();
        Self {
            mean,
            inner: Quantised::new(&centred, DOUBLE_QUANT_BLOCK, &dynamic_codebook()),
        }
    }

    /// The constants as they are read back: the dequantised rest plus the mean. A constant that
    /// was 0 may come back a little off 0; it only scales its block's levels.
    pub fn constants(&self) -> Vec<f64> {
        self.inner
            .dequantise(&dynamic_codebook())
            .into_iter()
            .map(|v| v + self.mean)
            .collect()
    }
}

/// The 8-bit code of the second quantisation.
pub fn dynamic_codebook() -> Codebook {
    Codebook::new(dynamic_levels())
}

/// A non-negative fraction, kept in lowest terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fraction {
    /// The numerator.
    pub numerator: u64,
    /// The denominator, at least 1.
    pub denominator: u64,
}

impl Fraction {
    /// numerator/denominator in lowest terms; a zero denominator counts as 1.
    pub fn new(numerator: u64, denominator: u64) -> Self {
        let denominator = denominator.max(1);
        let divisor = gcd(numerator, denominator);
        Self {
            numerator: numerator / divisor,
            denominator: denominator / divisor,
        }
    }

    /// The fraction's value.
    pub fn value(self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }
}

/// The greatest common divisor, by Euclid; gcd(0, n) = n.
fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// Bits stored per parameter by 4-bit blockwise quantisation with blocks of `block_size` (at least
/// 1): 4 + 32/B with a 32-bit absmax a block, or with double quantisation 4 + 8/B + 32/(256·B),
/// an 8-bit constant a block and a 32-bit one for every 256 blocks. The one mean a tensor is left
/// out. At B = 64 these are 4.5 and 4.126953125.
pub fn bits_per_parameter(block_size: u64, double_quantised: bool) -> Fraction {
    let b = block_size.max(1);
    if double_quantised {
        let dq = DOUBLE_QUANT_BLOCK as u64;
        Fraction::new(4 * dq * b + 8 * dq + 32, dq * b)
    } else {
        Fraction::new(4 * b + 32, b)
    }
}

/// How a weight matrix's entries are drawn.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Distribution {
    /// Standard normal entries.
    Normal,
    /// Student's t with `nu` degrees of freedom (heavier tails for smaller ν), unscaled.
    StudentT {
        /// Degrees of freedom, positive.
        nu: f64,
    },
    /// Standard normal entries, of which about one in [`OUTLIER_EVERY`] is replaced by ±k.
    Outliers {
        /// The outliers' size in standard deviations.
        k: f64,
    },
}

/// On average one entry in this many is an outlier in [`Distribution::Outliers`].
pub const OUTLIER_EVERY: f64 = 512.0;

/// Tries of Marsaglia and Tsang's gamma method before giving up on an entry: each try is accepted
/// with probability above 0.95, so giving up has a chance below 10⁻⁸³.
const GAMMA_TRIES: u64 = 64;

/// A Student-t number with `nu` degrees of freedom for entry (row, col): t = z/√(2g/ν), with z
/// standard normal and g drawn from Gamma(ν/2), so that 2g is χ² with ν degrees of freedom.
fn student_t(seed: u64, nu: f64, row: usize, col: usize) -> f64 {
    let z = Stream::new(seed, STREAM_T).normal(row, col);
    let g = gamma(seed, 0.5 * nu, row, col);
    if g > 0.0 {
        z * (nu / (2.0 * g)).sqrt()
    } else {
        0.0
    }
}

/// A Gamma(`shape`, 1) number for entry (row, col), by Marsaglia and Tsang's method (2000): with
/// d = a − 1/3 and c = 1/√(9d), x standard normal and v = (1 + cx)³, d·v is accepted when a
/// uniform u has u < 1 − 0.0331x⁴ (nearly always) or ln u < x²/2 + d(1 − v + ln v). A shape below
/// 1 is drawn at shape + 1 and scaled by u^(1/shape).
fn gamma(seed: u64, shape: f64, row: usize, col: usize) -> f64 {
    let raised = shape < 1.0;
    let d = if raised { shape + 1.0 } else { shape } - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    for attempt in 0..GAMMA_TRIES {
        let x = Stream::new(seed, STREAM_T + 1 + 2 * attempt).normal(row, col);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = Stream::new(seed, STREAM_T + 2 + 2 * attempt).uniform(row, col);
        if u < 1.0 - 0.0331 * x.powi(4) || u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
            let g = d * v;
            return if raised {
                g * Stream::new(seed, STREAM_T_SHAPE)
                    .uniform(row, col)
                    .powf(1.0 / shape)
            } else {
                g
            };
        }
    }
    0.0
}

/// The streams the weight matrices draw from (Student-t takes its normal from this one and its
/// gamma two a try from the next on).
const STREAM_NORMAL: u64 = 0x5154_0001;
const STREAM_OUTLIER: u64 = 0x5154_0002;
const STREAM_T_SHAPE: u64 = 0x5154_0003;
const STREAM_T: u64 = 0x5154_1000;

/// A rows×cols weight matrix in row-major order, entry (i, j) at i·cols + j. Entries depend only on
/// (seed, distribution, i, j), so a matrix keeps its entries when it grows. ν is taken as at least
/// 0.1 and k as at least 0.
pub fn weight_matrix(rows: usize, cols: usize, distribution: Distribution, seed: u64) -> Vec<f64> {
    let normal = Stream::new(seed, STREAM_NORMAL);
    let outlier = Stream::new(seed, STREAM_OUTLIER);
    let entry = |i: usize, j: usize| match distribution {
        Distribution::Normal => normal.normal(i, j),
        Distribution::StudentT { nu } => student_t(seed, nu.max(0.1), i, j),
        Distribution::Outliers { k } => {
            let z = normal.normal(i, j);
            if outlier.uniform(i, j) < 1.0 / OUTLIER_EVERY {
                k.max(0.0).copysign(z)
            } else {
                z
            }
        }
    };
    (0..rows)
        .flat_map(|i| (0..cols).map(move |j| (i, j)))
        .map(|(i, j)| entry(i, j))
        .collect()
}

/// LoftQ-style factors for a quantised base: from the SVD E = UΣVᵀ of the quantisation error
/// E = W₀ − dequant(Q(W₀)), B = U_r·Σ_r^½ (d×r) and A = Σ_r^½·V_rᵀ (r×k), so that B·A is E's best
/// rank-r approximation and the adapter starts by cancelling that much of the error.
#[derive(Clone, Debug, PartialEq)]
pub struct LoftQ {
    /// d×r.
    pub b: DMatrix<f64>,
    /// r×k.
    pub a: DMatrix<f64>,
    /// All singular values of the error, descending.
    pub sigma: Vec<f64>,
}

impl LoftQ {
    /// Factors of rank min(`rank`, d, k) for `error`, or None if it is empty or not finite.
    pub fn new(error: &DMatrix<f64>, rank: usize) -> Option<Self> {
        if error.is_empty() || !error.iter().all(|v| v.is_finite()) {
            return None;
        }
        let svd = SVD::try_new_unordered(error.clone(), true, true, 5.0 * f64::EPSILON, 0)?;
        let (u, v_t) = (svd.u.as_ref()?, svd.v_t.as_ref()?);
        let values: Vec<f64> = svd.singular_values.iter().map(|s| s.abs()).collect();
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&x, &y| values[y].total_cmp(&values[x]));
        let rank = rank.min(order.len());
        let root = |l: usize| values[order[l]].sqrt();
        Some(Self {
            b: DMatrix::from_fn(error.nrows(), rank, |i, l| u[(i, order[l])] * root(l)),
            a: DMatrix::from_fn(rank, error.ncols(), |l, j| root(l) * v_t[(order[l], j)]),
            sigma: order.iter().map(|&i| values[i]).collect(),
        })
    }
}

/// ‖E − E_r‖_F for r = 0…len: the Frobenius norm of what a best rank-r adapter leaves of an error
/// with singular values `sigma` (Eckart–Young), the tail summed directly.
pub fn residual_norms(sigma: &[f64]) -> Vec<f64> {
    let mut tail = 0.0;
    let mut norms: Vec<f64> = std::iter::once(0.0)
        .chain(sigma.iter().rev().map(|s| {
            tail += s * s;
            tail.sqrt()
        }))
        .collect();
    norms.reverse();
    norms
}

/// The share of ‖E‖_F² held by the largest `fraction` of the singular values of a large square
/// matrix of independent noise, from the Marchenko–Pastur law (ratio 1).
///
/// With σ²/mean = 4·sin²θ, the law's density becomes (4/π)·cos²θ dθ on [0, π/2]: the top fraction
/// q lies above the θ* with 1 − (2θ* + sin 2θ*)/π = q, and holds 1 − 2θ*/π + sin(4θ*)/(2π) of the
/// energy. `fraction` is clamped to [0, 1]; NaN counts as 0.
pub fn noise_energy_share(fraction: f64) -> f64 {
    let q = if fraction.is_nan() {
        0.0
    } else {
        fraction.clamp(0.0, 1.0)
    };
    let above = |theta: f64| 1.0 - (2.0 * theta + (2.0 * theta).sin()) / std::f64::consts::PI;
    let (mut lo, mut hi) = (0.0, std::f64::consts::FRAC_PI_2);
    // Sixty halvings pin θ* to f64's precision.
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if above(mid) > q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let theta = 0.5 * (lo + hi);
    let pi = std::f64::consts::PI;
    (1.0 - 2.0 * theta / pi + (4.0 * theta).sin() / (2.0 * pi)).clamp(0.0, 1.0)
}
