//! Singular values without singular vectors, at LAPACK's speed: a Householder bidiagonalisation,
//! then the dqds algorithm on the bidiagonal.
//!
//! Conventions: matrices are read column-major (nalgebra's storage); a matrix with more columns than
//! rows is bidiagonalised through its transpose, which has the same singular values. The
//! bidiagonal is upper: a diagonal of min(rows, cols) entries and a superdiagonal one shorter.
//!
//! **Bidiagonalisation.** One pass over the trailing matrix per step. Step k applies the previous
//! step's right reflector and the new left reflector to each trailing column in turn, while the
//! column sits in the cache, and accumulates Σⱼ xⱼ·colⱼ, where x is row k once the left reflector
//! is applied: the next right reflector's image A·u follows from that sum and the first trailing
//! column, without a second pass. Every loop runs over contiguous columns, in chunks that the
//! compiler turns into 2-wide SIMD (f64x2 on wasm32 with simd128). The flop count is the textbook
//! 4mn² − 4n³/3; the result is backward stable, as LAPACK's is.
//!
//! **dqds** (Fernando and Parlett; Parlett and Marques, "An implementation of the dqds algorithm
//! (positive case)"): the squares of the bidiagonal form a qd array, transformed with shifts below
//! the smallest eigenvalue so that every quantity stays positive, which keeps every singular value
//! of the bidiagonal to high relative accuracy, the smallest included. The shifts follow LAPACK's
//! dlasq4 (Rayleigh-quotient bounds from the last transform's d values); a failed shift is retried
//! smaller. About two transforms find each singular value.
//!
//! Accuracy: the bidiagonal is exact to about ε·‖M‖, so each singular value of M is within a small
//! multiple of ε·σ₁ (absolute), like LAPACK's. Entries below about 1e-150·max|M| count as zero:
//! the qd array holds squares.

use nalgebra::DMatrix;

use super::lanes::F2;

/// An upper bidiagonal matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Bidiagonal {
    /// The diagonal, min(rows, cols) entries.
    pub diagonal: Vec<f64>,
    /// The superdiagonal, one entry fewer than the diagonal (none for a 1×1 or empty matrix).
    pub superdiagonal: Vec<f64>,
}

/// All min(rows, cols) singular values of `m`, descending, or `None` if `m` has a non-finite entry
/// or dqds did not converge (which finite input is not known to cause).
///
/// An empty matrix gives an empty vector, a zero matrix zeros.
pub fn singular_values(m: &DMatrix<f64>) -> Option<Vec<f64>> {
    let mut work = Bidiagonalisation::new(m)?;
    while !work.step() {}
    work.singular_values()
}

/// The upper bidiagonal matrix B = Qᵀ·M·P (Q, P orthogonal) of `m`, or of its transpose when `m`
/// is wide: the same singular values as `m`. A non-finite entry gives NaNs.
pub fn bidiagonalise(m: &DMatrix<f64>) -> Bidiagonal {
    let (rows, cols) = m.shape();
    let n = rows.min(cols);
    let Some(mut work) = Bidiagonalisation::new(m) else {
        return Bidiagonal {
            diagonal: vec![f64::NAN; n],
            superdiagonal: vec![f64::NAN; n.saturating_sub(1)],
        };
    };
    while !work.step() {}
    let mut bidiagonal = work.bidiagonal;
    for v in bidiagonal
        .diagonal
        .iter_mut()
        .chain(&mut bidiagonal.superdiagonal)
    {
        *v = scale_by_power_of_two(*v, work.exponent);
    }
    bidiagonal
}

/// A bidiagonalisation under way, one Householder step at a time, so that a caller can stop
/// between steps (a worker that reads its messages) and drop it for newer work.
#[derive(Clone, Debug)]
pub struct Bidiagonalisation {
    /// The matrix, taller than wide (transposed if it was not), scaled by 2^−exponent,
    /// column-major, rows×cols; what the steps so far left of it.
    a: Vec<f64>,
    rows: usize,
    cols: usize,
    exponent: i32,
    /// The next step.
    k: usize,
    bidiagonal: Bidiagonal,
    /// The left reflector of the step, v[0] = 1, over rows k..rows.
    v: Vec<f64>,
    /// The previous right reflector's image y = A·u, over rows k..rows.
    y: Vec<f64>,
    /// The sum Σⱼ xⱼ·colⱼ below row k.
    z: Vec<f64>,
    /// By column: row k of the trailing matrix once the left reflector is applied (x), which
    /// becomes the right reflector u of the step (u[k + 1] = 1).
    u: Vec<f64>,
    /// τ of the previous right reflector; 0 when there is none to apply.
    right_tau: f64,
}

impl Bidiagonalisation {
    /// Starts on `m`; `None` if an entry is not finite.
    pub fn new(m: &DMatrix<f64>) -> Option<Self> {
        if !m.iter().all(|v| v.is_finite()) {
            return None;
        }
        let largest = m.iter().fold(0.0f64, |acc, v| acc.max(v.abs()));
        // Scaled by a power of two (exactly) so that the largest entry is in [1/2, 1): no norm
        // overflows, and the squares dqds works with stay far from underflow for entries that
        // matter.
        let exponent = if largest > 0.0 {
            binary_exponent(largest)
        } else {
            0
        };
        let (rows, cols) = m.shape();
        let (mut a, rows, cols) = if rows >= cols {
            (m.as_slice().to_vec(), rows, cols)
        } else {
            (m.transpose().as_slice().to_vec(), cols, rows)
        };
        if exponent != 0 {
            for v in &mut a {
                *v = scale_by_power_of_two(*v, -exponent);
            }
        }
        Some(Self {
            a,
            rows,
            cols,
            exponent,
            k: 0,
            bidiagonal: Bidiagonal {
                diagonal: vec![0.0; cols],
                superdiagonal: vec![0.0; cols.saturating_sub(1)],
            },
            v: vec![0.0; rows],
            y: vec![0.0; rows],
            z: vec![0.0; rows],
            u: vec![0.0; cols],
            right_tau: 0.0,
        })
    }

    /// Whether every step is done.
    pub fn is_done(&self) -> bool {
        self.k >= self.cols
    }

    /// The singular values, descending, once the steps are done (finishing them first if not),
    /// by dqds on the bidiagonal; `None` if dqds did not converge.
    pub fn singular_values(mut self) -> Option<Vec<f64>> {
        while !self.step() {}
        let Bidiagonal {
            diagonal,
            superdiagonal,
        } = &self.bidiagonal;
        let mut values = bidiagonal_singular_values(diagonal, superdiagonal)?;
        for v in &mut values {
            *v = scale_by_power_of_two(*v, self.exponent);
        }
        Some(values)
    }
}

/// The singular values of the upper bidiagonal matrix with `diagonal` and `superdiagonal`,
/// descending, by dqds; `None` if an entry is not finite, if the superdiagonal is not one shorter
/// than the diagonal (an empty diagonal takes an empty superdiagonal), or if dqds did not converge.
pub fn bidiagonal_singular_values(diagonal: &[f64], superdiagonal: &[f64]) -> Option<Vec<f64>> {
    let n = diagonal.len();
    if superdiagonal.len() != n.saturating_sub(1) {
        return None;
    }
    if n == 0 {
        return Some(Vec::new());
    }
    let entries = || diagonal.iter().chain(superdiagonal);
    if !entries().all(|v| v.is_finite()) {
        return None;
    }
    let largest = entries().fold(0.0f64, |acc, v| acc.max(v.abs()));
    if largest == 0.0 {
        return Some(vec![0.0; n]);
    }
    let exponent = binary_exponent(largest);
    let square = |v: &f64| {
        let scaled = scale_by_power_of_two(*v, -exponent);
        scaled * scaled
    };
    let q: Vec<f64> = diagonal.iter().map(square).collect();
    let e: Vec<f64> = superdiagonal.iter().map(square).collect();
    let eigenvalues = Dqds::new(q, e).run()?;
    let mut values: Vec<f64> = eigenvalues
        .iter()
        .map(|&lambda| scale_by_power_of_two(lambda.max(0.0).sqrt(), exponent))
        .collect();
    values.sort_by(|a, b| b.total_cmp(a));
    Some(values)
}

/// The exponent e with 2^e ≤ x < 2^(e+1), for finite positive x (subnormals included).
fn binary_exponent(x: f64) -> i32 {
    let biased = ((x.to_bits() >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // Subnormal: scale into the normal range first.
        binary_exponent(x * 2f64.powi(64)) - 64
    } else {
        biased - 1023
    }
}

/// x·2^k, exactly unless the result over- or underflows; k may be as large as ±2100.
fn scale_by_power_of_two(x: f64, k: i32) -> f64 {
    // Two or three factors, each a normal power of two.
    let mut x = x;
    let mut k = k;
    while k != 0 {
        let step = k.clamp(-1000, 1000);
        x *= f64::from_bits(((step + 1023) as u64) << 52);
        k -= step;
    }
    x
}

// ---------------------------------------------------------------------------------------------
// Bidiagonalisation.

impl Bidiagonalisation {
    /// Does the next Householder step (the left reflector of column k, then the right one of row
    /// k); returns whether every step is done. One pass over the trailing matrix: each column gets
    /// the previous right reflector and this step's left one while it sits in the cache.
    pub fn step(&mut self) -> bool {
        if self.is_done() {
            return true;
        }
        let (m, n, k) = (self.rows, self.cols, self.k);
        self.k += 1;
        let Self {
            a,
            bidiagonal,
            v,
            y,
            z,
            u,
            right_tau,
            ..
        } = self;
        let Bidiagonal {
            diagonal,
            superdiagonal,
        } = bidiagonal;
        let len = m - k;
        let trailing = &mut a[k * m..];
        let (column, rest) = trailing.split_at_mut(m);
        let column = &mut column[k..];
        if *right_tau != 0.0 {
            axpy(column, &y[..len], -*right_tau * u[k]);
        }
        let v = &mut v[..len];
        let (left_tau, beta) = reflector(column, v);
        diagonal[k] = beta;
        // Does row k need a reflector of its own (two or more entries right of the diagonal)?
        let right = n - k > 2;
        let z = &mut z[..len];
        if right {
            z.fill(0.0);
        }
        // The trailing columns, a few at a time: each pass over the rows serves them all.
        let mut j = k + 1;
        for group in rest.chunks_mut(GROUP * m) {
            let count = group.len() / m;
            let x = &mut u[j..j + count];
            match count {
                4 => update_columns::<4>(group, m, k, &y[..len], v, z, *right_tau, left_tau, x),
                3 => update_columns::<3>(group, m, k, &y[..len], v, z, *right_tau, left_tau, x),
                2 => update_columns::<2>(group, m, k, &y[..len], v, z, *right_tau, left_tau, x),
                _ => update_columns::<1>(group, m, k, &y[..len], v, z, *right_tau, left_tau, x),
            }
            j += count;
        }
        *right_tau = 0.0;
        if k + 1 >= n {
            return k + 1 >= n;
        }
        if !right {
            superdiagonal[k] = u[k + 1];
            return k + 1 >= n;
        }
        // The right reflector of row k: u = (x − β·e₁)/(x₀ − β), so that
        // A·u = (Σⱼ xⱼ·colⱼ − β·col_{k+1})/(x₀ − β) over rows k+1..m.
        let x0 = u[k + 1];
        let tail = norm(&u[k + 2..]);
        if tail == 0.0 {
            superdiagonal[k] = x0;
            return k + 1 >= n;
        }
        let beta = -x0.hypot(tail).copysign(x0);
        *right_tau = (beta - x0) / beta;
        let scale = 1.0 / (x0 - beta);
        superdiagonal[k] = beta;
        u[k + 1] = 1.0;
        for uj in &mut u[k + 2..] {
            *uj *= scale;
        }
        let first = &rest[k + 1..m];
        for ((yi, zi), ci) in y.iter_mut().zip(&z[1..]).zip(first) {
            *yi = (zi - beta * ci) * scale;
        }
        k + 1 >= n
    }
}

/// The Householder reflector H = I − τ·v·vᵀ with v[0] = 1 that maps `x` to β·e₁: writes v and
/// returns (τ, β). τ = 0 (H = I) when x is already a multiple of e₁.
fn reflector(x: &[f64], v: &mut [f64]) -> (f64, f64) {
    let x0 = x[0];
    let tail = norm(&x[1..]);
    v[0] = 1.0;
    if tail == 0.0 {
        v[1..].fill(0.0);
        return (0.0, x0);
    }
    let beta = -x0.hypot(tail).copysign(x0);
    let scale = 1.0 / (x0 - beta);
    for (vi, xi) in v[1..].iter_mut().zip(&x[1..]) {
        *vi = xi * scale;
    }
    ((beta - x0) / beta, beta)
}

/// Lanes a kernel works on at once: four independent sums, which the compiler packs two by two
/// into SIMD registers.
const LANES: usize = 4;

/// ‖x‖₂ (the entries are at most 1 in magnitude here, so the squares neither overflow nor matter
/// when they underflow).
fn norm(x: &[f64]) -> f64 {
    dot(x, x).sqrt()
}

/// Σ aᵢ·bᵢ over the shorter of the two.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut sums = [0.0; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (a_rest, b_rest) = (a_chunks.remainder(), b_chunks.remainder());
    for (a4, b4) in a_chunks.zip(b_chunks) {
        for l in 0..LANES {
            sums[l] += a4[l] * b4[l];
        }
    }
    let mut sum = (sums[0] + sums[2]) + (sums[1] + sums[3]);
    for (ai, bi) in a_rest.iter().zip(b_rest) {
        sum += ai * bi;
    }
    sum
}

/// c ← c + α·x.
fn axpy(c: &mut [f64], x: &[f64], alpha: f64) {
    for (ci, xi) in c.iter_mut().zip(x) {
        *ci += alpha * xi;
    }
}

/// Columns updated together: the vectors y, v and z are read once for all of them.
const GROUP: usize = 4;

/// Step k's work on C trailing columns (`group`, column-major with `m` rows; rows k.. matter):
/// applies the previous right reflector (I − τ_r·u·uᵀ from the right, through its image `y`),
/// then the left reflector I − τ_l·v·vᵀ, and adds xⱼ·colⱼ to `z` below row k, where xⱼ is the
/// column's new row-k entry. `x` holds the columns' entries of u on entry and their xⱼ on return.
#[allow(clippy::too_many_arguments)]
fn update_columns<const C: usize>(
    group: &mut [f64],
    m: usize,
    k: usize,
    y: &[f64],
    v: &[f64],
    z: &mut [f64],
    right_tau: f64,
    left_tau: f64,
    x: &mut [f64],
) {
    let mut columns = group.chunks_exact_mut(m).map(|column| &mut column[k..]);
    let mut c: [&mut [f64]; C] = std::array::from_fn(|_| columns.next().unwrap_or_default());
    let mut a = [0.0; C];
    for (a, u) in a.iter_mut().zip(x.iter()) {
        *a = right_tau * u;
    }
    let sums = update_dot(&mut c, y, v, a);
    let mut w = [0.0; C];
    let mut row = [0.0; C];
    for l in 0..C {
        w[l] = left_tau * sums[l];
        if let Some(first) = c[l].first_mut() {
            *first -= w[l];
            row[l] = *first;
        }
    }
    let mut rest: [&mut [f64]; C] = c.map(|column| column.get_mut(1..).unwrap_or_default());
    update_accumulate(
        &mut rest,
        v.get(1..).unwrap_or_default(),
        w,
        z.get_mut(1..).unwrap_or_default(),
        row,
    );
    x.copy_from_slice(&row[..x.len().min(C)]);
}

/// For each column cₗ: cₗ ← cₗ − aₗ·y, then returns Σᵢ vᵢ·cₗᵢ, in one pass over the rows.
fn update_dot<const C: usize>(
    c: &mut [&mut [f64]; C],
    y: &[f64],
    v: &[f64],
    a: [f64; C],
) -> [f64; C] {
    let n = c.iter().fold(y.len().min(v.len()), |n, c| n.min(c.len()));
    let pairs = n / 2 * 2;
    let mut sums = [F2::splat(0.0); C];
    {
        let (y2, v2) = (y[..n].as_chunks::<2>().0, v[..n].as_chunks::<2>().0);
        let c2 = c
            .each_mut()
            .map(|column| column[..n].as_chunks_mut::<2>().0);
        let a2 = a.map(F2::splat);
        for (p, (y, v)) in y2.iter().zip(v2).enumerate() {
            let (y, v) = (F2::load(y), F2::load(v));
            for l in 0..C {
                let updated = F2::load(&c2[l][p]).sub(a2[l].mul(y));
                updated.store(&mut c2[l][p]);
                sums[l] = sums[l].add(v.mul(updated));
            }
        }
    }
    let mut out = sums.map(F2::sum);
    for l in 0..C {
        for i in pairs..n {
            c[l][i] -= a[l] * y[i];
            out[l] += v[i] * c[l][i];
        }
    }
    out
}

/// For each column cₗ: cₗ ← cₗ − wₗ·v; and z ← z + Σₗ xₗ·cₗ, in one pass over the rows.
fn update_accumulate<const C: usize>(
    c: &mut [&mut [f64]; C],
    v: &[f64],
    w: [f64; C],
    z: &mut [f64],
    x: [f64; C],
) {
    let n = c.iter().fold(v.len().min(z.len()), |n, c| n.min(c.len()));
    let pairs = n / 2 * 2;
    {
        let v2 = v[..n].as_chunks::<2>().0;
        let z2 = z[..n].as_chunks_mut::<2>().0;
        let c2 = c
            .each_mut()
            .map(|column| column[..n].as_chunks_mut::<2>().0);
        let (w2, x2) = (w.map(F2::splat), x.map(F2::splat));
        for (p, (v, z)) in v2.iter().zip(z2.iter_mut()).enumerate() {
            let v = F2::load(v);
            let mut added = F2::splat(0.0);
            for l in 0..C {
                let updated = F2::load(&c2[l][p]).sub(w2[l].mul(v));
                updated.store(&mut c2[l][p]);
                added = added.add(x2[l].mul(updated));
            }
            F2::load(z).add(added).store(z);
        }
    }
    for i in pairs..n {
        let mut added = 0.0;
        for l in 0..C {
            c[l][i] -= w[l] * v[i];
            added += x[l] * c[l][i];
        }
        z[i] += added;
    }
}

// ---------------------------------------------------------------------------------------------
// dqds.

/// 100·ε: the relative size below which an off-diagonal qd entry is negligible is its square.
const TOLERANCE: f64 = 100.0 * f64::EPSILON;
const TOLERANCE2: f64 = TOLERANCE * TOLERANCE;
/// Off-diagonal qd entries below this are negligible whatever their neighbours (the array's
/// entries are at most about 4 after scaling), and keep every quotient finite.
const TINY: f64 = 1e-290;
/// A block is reversed when its last diagonal entry exceeds its first by this factor: dqds finds
/// the small values at the bottom fastest.
const FLIP_BIAS: f64 = 1.5;

/// An unreduced block [lo, hi) of the qd array and the shift accumulated on it.
#[derive(Clone, Copy, Debug)]
struct Block {
    lo: usize,
    hi: usize,
    /// Which of the two arrays holds the block's current values.
    second: bool,
    /// Accumulated shift, in two parts (sum and rounding error).
    sigma: f64,
    sigma_error: f64,
}

/// The d values of the last transform, from which the next shift is chosen.
#[derive(Clone, Copy, Debug, Default)]
struct Ds {
    /// Smallest d over the whole block, without the last, without the last two.
    min: f64,
    min1: f64,
    min2: f64,
    /// The last three d values.
    n: f64,
    n1: f64,
    n2: f64,
}

/// The qd array of BᵀB as two arrays (ping-pong: a transform reads one and writes the other),
/// the blocks left to reduce and the eigenvalues found.
struct Dqds {
    q: [Vec<f64>; 2],
    e: [Vec<f64>; 2],
    pending: Vec<Block>,
    found: Vec<f64>,
    /// Transforms left before giving up.
    budget: usize,
}

/// How the next shift is chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ShiftKind {
    /// From the last transform's d values.
    Estimate,
    /// Nothing known (a new block, a reversed one): this shift, a lower bound.
    Given(f64),
}

impl Dqds {
    fn new(q: Vec<f64>, e: Vec<f64>) -> Self {
        let n = q.len();
        Self {
            q: [q.clone(), q],
            e: [e.clone(), e],
            pending: vec![Block {
                lo: 0,
                hi: n,
                second: false,
                sigma: 0.0,
                sigma_error: 0.0,
            }],
            found: Vec::with_capacity(n),
            budget: 100 * n + 100,
        }
    }

    /// All eigenvalues of BᵀB (squares of the singular values), unordered.
    fn run(mut self) -> Option<Vec<f64>> {
        while let Some(block) = self.pending.pop() {
            self.reduce(block)?;
        }
        Some(self.found)
    }

    /// Reduces one block to eigenvalues, pushing the blocks it splits off.
    fn reduce(&mut self, mut block: Block) -> Option<()> {
        let mut ds = Ds::default();
        let mut shift = ShiftKind::Given(0.0);
        // Size of the block at the last transform (to know how many values deflated since).
        let mut size_at_transform = block.hi - block.lo;
        let mut fresh = true;
        // dlasq4's adaptive fraction for shifts with no information.
        let mut g = 0.0;
        let mut last_kind = 0u8;
        loop {
            let Block { lo, hi, .. } = block;
            let cur = usize::from(block.second);
            let sigma = block.sigma;
            match hi - lo {
                0 => return Some(()),
                1 => {
                    self.found
                        .push((self.q[cur][lo] + block.sigma_error) + sigma);
                    return Some(());
                }
                2 => {
                    let (a, b) = two_by_two(self.q[cur][lo], self.e[cur][lo], self.q[cur][lo + 1]);
                    self.found.push((a + block.sigma_error) + sigma);
                    self.found.push((b + block.sigma_error) + sigma);
                    return Some(());
                }
                _ => {}
            }
            let (q, e) = (&self.q[cur], &self.e[cur]);
            // Deflation at the bottom: one value, then two.
            if e[hi - 2] <= TOLERANCE2 * (sigma + q[hi - 1]) || e[hi - 2] <= TINY {
                self.found.push((q[hi - 1] + block.sigma_error) + sigma);
                block.hi -= 1;
                continue;
            }
            if e[hi - 3] <= TOLERANCE2 * sigma || e[hi - 3] <= TINY {
                let (a, b) = two_by_two(q[hi - 2], e[hi - 2], q[hi - 1]);
                self.found.push((a + block.sigma_error) + sigma);
                self.found.push((b + block.sigma_error) + sigma);
                block.hi -= 2;
                continue;
            }
            // A split anywhere else: the lower part is reduced now, the upper part later.
            if let Some(i) = (lo..hi - 3)
                .rev()
                .find(|&i| e[i] <= TOLERANCE2 * q[i] || e[i] <= TOLERANCE2 * sigma || e[i] <= TINY)
            {
                self.pending.push(Block { hi: i + 1, ..block });
                block.lo = i + 1;
                fresh = true;
                continue;
            }
            let deflated = size_at_transform.saturating_sub(hi - lo);
            if fresh || deflated > 0 {
                let flipped = self.flip_if_graded_upwards(block);
                if fresh {
                    // Gershgorin's lower bound on the smallest eigenvalue, if positive.
                    let (q, e) = (&self.q[cur][lo..hi], &self.e[cur][lo..hi - 1]);
                    let q_min = q.iter().fold(f64::INFINITY, |a, &b| a.min(b));
                    let e_max = e.iter().fold(0.0f64, |a, &b| a.max(b));
                    shift = ShiftKind::Given((q_min - 2.0 * q_min.sqrt() * e_max.sqrt()).max(0.0));
                } else if flipped {
                    shift = ShiftKind::Given(0.0);
                }
                fresh = false;
            }
            let mut tau = match shift {
                ShiftKind::Given(tau) => tau,
                ShiftKind::Estimate => {
                    let (tau, kind) = self.estimate_shift(block, &ds, deflated, &mut g, last_kind);
                    last_kind = kind;
                    tau
                }
            };
            // Transform until every d is positive: smaller shifts after a failure, zero at last.
            let mut failures = 0;
            loop {
                self.budget = self.budget.checked_sub(1)?;
                let outcome = self.transform(block, tau);
                // Success: every d positive (zeros too, without a shift: a zero diagonal entry).
                if outcome.min >= 0.0 && (outcome.min1 > 0.0 || tau == 0.0) {
                    ds = outcome;
                    break;
                }
                if tau == 0.0 {
                    // A zero shift cannot fail on positive data: something is not finite.
                    return None;
                }
                failures += 1;
                tau = if failures >= 2 {
                    0.0
                } else if outcome.min1 > 0.0 && outcome.min.is_finite() {
                    // Only the last d is negative: a shift just below the value it missed.
                    ((tau + outcome.min) * (1.0 - 2.0 * f64::EPSILON)).max(0.0)
                } else {
                    0.25 * tau
                };
            }
            block.second = !block.second;
            (block.sigma, block.sigma_error) = add_shift(block.sigma, block.sigma_error, tau);
            size_at_transform = hi - lo;
            shift = ShiftKind::Estimate;
        }
    }

    /// Reverses the block if its diagonal grows downwards; says whether it did.
    fn flip_if_graded_upwards(&mut self, block: Block) -> bool {
        let cur = usize::from(block.second);
        let Block { lo, hi, .. } = block;
        if FLIP_BIAS * self.q[cur][lo] >= self.q[cur][hi - 1] {
            return false;
        }
        self.q[cur][lo..hi].reverse();
        self.e[cur][lo..hi - 1].reverse();
        true
    }

    /// One dqds transform of the block with shift τ, from its current array into the other.
    /// Returns the d values; a negative d means τ was too large (the transform stops early when
    /// that shows before the end, leaving `min1` negative).
    fn transform(&mut self, block: Block, tau: f64) -> Ds {
        let Block { lo, hi, .. } = block;
        let n = hi - lo;
        let [q0, q1] = &mut self.q;
        let [e0, e1] = &mut self.e;
        let (q, e, q_out, e_out) = if block.second {
            (
                &q1[lo..hi],
                &e1[lo..hi - 1],
                &mut q0[lo..hi],
                &mut e0[lo..hi - 1],
            )
        } else {
            (
                &q0[lo..hi],
                &e0[lo..hi - 1],
                &mut q1[lo..hi],
                &mut e1[lo..hi - 1],
            )
        };
        let failed = Ds {
            min: -1.0,
            min1: -1.0,
            min2: -1.0,
            n: -1.0,
            n1: -1.0,
            n2: -1.0,
        };
        // d₀, then d₁ … d_{n−3}: the minimum without the last two.
        let mut d = q[0] - tau;
        let mut min2 = d;
        for (((e_i, q_next), q_hat), e_hat) in e[..n - 3]
            .iter()
            .zip(&q[1..n - 2])
            .zip(q_out.iter_mut())
            .zip(e_out.iter_mut())
        {
            if d < 0.0 {
                return failed;
            }
            *q_hat = d + e_i;
            let t = q_next / *q_hat;
            *e_hat = e_i * t;
            d = d * t - tau;
            min2 = min2.min(d);
        }
        if d < 0.0 || d.is_nan() {
            return failed;
        }
        let n2 = d;
        // The last two steps: d_{n−2} and d_{n−1}, the new last diagonal entry.
        let n1 = step(q, e, q_out, e_out, n - 3, n2, tau);
        if n1 < 0.0 || n1.is_nan() {
            return failed;
        }
        let last = step(q, e, q_out, e_out, n - 2, n1, tau);
        q_out[n - 1] = last;
        let min1 = min2.min(n1);
        Ds {
            min: min1.min(last),
            min1,
            min2,
            n: last,
            n1,
            n2,
        }
    }

    /// The shift for the next transform of `block`, `deflated` values after the last transform
    /// (which gave `ds`), as LAPACK's dlasq4 chooses it: a lower bound on the smallest eigenvalue
    /// from the bottom of the array, or a fraction of the smallest d when nothing better is known.
    /// Also returns which case chose it.
    fn estimate_shift(
        &self,
        block: Block,
        ds: &Ds,
        deflated: usize,
        g: &mut f64,
        last_kind: u8,
    ) -> (f64, u8) {
        // A d at zero (a zero diagonal entry, or a value found exactly) leaves no room for a
        // shift; the values deflated since count no longer.
        let smallest = match deflated {
            0 => ds.min,
            1 => ds.min1,
            _ => ds.min2,
        };
        if smallest <= 0.0 {
            return (0.0, 1);
        }
        let Block { lo, hi, .. } = block;
        let cur = usize::from(block.second);
        let (q, e) = (&self.q[cur][lo..hi], &self.e[cur][lo..hi - 1]);
        let (qp, ep) = (&self.q[1 - cur][lo..hi], &self.e[1 - cur][lo..hi - 1]);
        // 1-based, as in the literature: q(k) = q_k, e(k) = e_k, and the previous array's.
        let n = hi - lo;
        let q = |k: usize| q[k - 1];
        let e = |k: usize| e[k - 1];
        let qp = |k: usize| qp[k - 1];
        let ep = |k: usize| ep[k - 1];
        // The Rayleigh-quotient residual bound: γ·(1 − √a)/(1 + a) when a is small.
        let bound = |gamma: f64, a2: f64| gamma * (1.0 - a2.sqrt()) / (1.0 + a2);
        const LIMIT: f64 = 0.563;
        const WIDEN: f64 = 1.05;
        const MARGIN: f64 = 1.01;
        // Sums b·Π(e_k/q_k) upwards from row `from`, while the terms matter; None if an e exceeds
        // its q (no bound then).
        let sum_upwards = |from: usize, mut b2: f64, mut a2: f64| -> Option<f64> {
            for k in (1..=from).rev() {
                if b2 == 0.0 {
                    break;
                }
                let b1 = b2;
                if e(k) > q(k) {
                    return None;
                }
                b2 *= e(k) / q(k);
                a2 += b2;
                if 100.0 * b2.max(b1) < a2 || LIMIT < a2 {
                    break;
                }
            }
            Some(a2)
        };
        match deflated {
            0 => {
                if ds.min == ds.n || ds.min == ds.n1 {
                    let b1 = q(n).sqrt() * e(n - 1).sqrt();
                    let b2 = q(n - 1).sqrt() * if n > 2 { e(n - 2).sqrt() } else { 0.0 };
                    let a2 = q(n - 1) + e(n - 1);
                    if ds.min == ds.n && ds.min1 == ds.n1 {
                        // The smallest value sits at the bottom: gaps to the rest.
                        let gap2 = ds.min2 - a2 - 0.25 * ds.min2;
                        let gap1 = if gap2 > 0.0 && gap2 > b2 {
                            a2 - ds.n - (b2 / gap2) * b2
                        } else {
                            a2 - ds.n - (b1 + b2)
                        };
                        if gap1 > 0.0 && gap1 > b1 {
                            return ((ds.n - (b1 / gap1) * b1).max(0.5 * ds.min), 2);
                        }
                        let mut s = 0.0f64;
                        if ds.n > b1 {
                            s = ds.n - b1;
                        }
                        if a2 > b1 + b2 {
                            s = s.min(a2 - (b1 + b2));
                        }
                        return (s.max(ds.min / 3.0), 3);
                    }
                    let s = 0.25 * ds.min;
                    let (gamma, a2, from) = if ds.min == ds.n {
                        if e(n - 1) > q(n - 1) {
                            return (s, 4);
                        }
                        (ds.n, e(n - 1) / q(n - 1), n - 2)
                    } else {
                        if ep(n - 1) > qp(n) || n < 3 || e(n - 2) > q(n - 2) {
                            return (s, 4);
                        }
                        let a2 = ep(n - 1) / qp(n) + e(n - 2) / q(n - 2);
                        (ds.n1, a2, n - 3)
                    };
                    let b2 = if ds.min == ds.n {
                        a2
                    } else {
                        e(n - 2) / q(n - 2)
                    };
                    let a2 = match sum_upwards(from, b2, a2) {
                        Some(a2) => WIDEN * a2,
                        None => return (s, 4),
                    };
                    return (if a2 < LIMIT { bound(gamma, a2) } else { s }, 4);
                }
                if ds.min == ds.n2 {
                    let s = 0.25 * ds.min;
                    let (b1, b2) = (qp(n), qp(n - 1));
                    if n < 3 || ep(n - 2) > b2 || ep(n - 1) > b1 {
                        return (s, 5);
                    }
                    let mut a2 = (ep(n - 2) / b2) * (1.0 + ep(n - 1) / b1);
                    if n > 3 {
                        let b2 = e(n - 3) / q(n - 3);
                        a2 = match sum_upwards(n - 4, b2, a2 + b2) {
                            Some(a2) => WIDEN * a2,
                            None => return (s, 5),
                        };
                    }
                    return (if a2 < LIMIT { bound(ds.n2, a2) } else { s }, 5);
                }
                // Nothing to go on: a fraction of the smallest d, growing while this repeats.
                *g = if last_kind == 6 {
                    *g + (1.0 - *g) / 3.0
                } else {
                    0.25
                };
                (*g * ds.min, 6)
            }
            1 => {
                if ds.min1 == ds.n1 && ds.min2 == ds.n2 {
                    let s = ds.min1 / 3.0;
                    if e(n - 1) > q(n - 1) {
                        return (s, 7);
                    }
                    let mut b1 = e(n - 1) / q(n - 1);
                    let mut b2 = b1;
                    if b2 != 0.0 {
                        for k in (1..=n - 2).rev() {
                            let previous = b1;
                            if e(k) > q(k) {
                                return (s, 7);
                            }
                            b1 *= e(k) / q(k);
                            b2 += b1;
                            if 100.0 * b1.max(previous) < b2 {
                                break;
                            }
                        }
                    }
                    let b2 = (WIDEN * b2).sqrt();
                    let a2 = ds.min1 / (1.0 + b2 * b2);
                    let gap2 = 0.5 * ds.min2 - a2;
                    if gap2 > 0.0 && gap2 > b2 * a2 {
                        (s.max(a2 * (1.0 - MARGIN * a2 * (b2 / gap2) * b2)), 7)
                    } else {
                        (s.max(a2 * (1.0 - MARGIN * b2)), 8)
                    }
                } else if ds.min1 == ds.n1 {
                    (0.5 * ds.min1, 9)
                } else {
                    (0.25 * ds.min1, 9)
                }
            }
            2 => {
                if ds.min2 == ds.n2 && 2.0 * e(n - 1) < q(n - 1) {
                    let s = ds.min2 / 3.0;
                    let mut b1 = e(n - 1) / q(n - 1);
                    let mut b2 = b1;
                    if b2 != 0.0 {
                        for k in (1..=n - 2).rev() {
                            if e(k) > q(k) {
                                return (s, 10);
                            }
                            b1 *= e(k) / q(k);
                            b2 += b1;
                            if 100.0 * b1 < b2 {
                                break;
                            }
                        }
                    }
                    let b2 = (WIDEN * b2).sqrt();
                    let a2 = ds.min2 / (1.0 + b2 * b2);
                    let gap2 = q(n - 1) + e(n - 2) - q(n - 2).sqrt() * e(n - 2).sqrt() - a2;
                    if gap2 > 0.0 && gap2 > b2 * a2 {
                        (s.max(a2 * (1.0 - MARGIN * a2 * (b2 / gap2) * b2)), 10)
                    } else {
                        (s.max(a2 * (1.0 - MARGIN * b2)), 10)
                    }
                } else {
                    (0.25 * ds.min2, 11)
                }
            }
            _ => (0.0, 12),
        }
    }
}

/// One step of the dqds transform at row i: writes q̂ᵢ and êᵢ, returns the next d.
fn step(
    q: &[f64],
    e: &[f64],
    q_out: &mut [f64],
    e_out: &mut [f64],
    i: usize,
    d: f64,
    tau: f64,
) -> f64 {
    let q_hat = d + e[i];
    q_out[i] = q_hat;
    let t = q[i + 1] / q_hat;
    e_out[i] = e[i] * t;
    d * t - tau
}

/// The two eigenvalues of the 2×2 qd block (q1, e, q2), larger first.
fn two_by_two(q1: f64, e: f64, q2: f64) -> (f64, f64) {
    let scale = q1.max(q2).max(e);
    if scale == 0.0 {
        return (0.0, 0.0);
    }
    let (a, b, c) = (q1 / scale, q2 / scale, e / scale);
    // (a + b + c)² − 4ab as a sum of non-negative terms.
    let discriminant = (a - b) * (a - b) + c * (c + 2.0 * (a + b));
    let larger = 0.5 * scale * ((a + b + c) + discriminant.sqrt());
    let smaller = if larger > 0.0 {
        (q1 / larger) * q2
    } else {
        0.0
    };
    (larger, smaller)
}

/// σ + τ with the rounding error of the running sum carried separately.
fn add_shift(sigma: f64, error: f64, tau: f64) -> (f64, f64) {
    let sum = sigma + tau;
    let (big, small) = if sigma.abs() >= tau.abs() {
        (sigma, tau)
    } else {
        (tau, sigma)
    };
    (sum, error + (small - (sum - big)))
}
