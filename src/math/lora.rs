//! The LoRA factorisation ΔW = B·A and its parameter counts.
//!
//! Shapes: W₀ is d×k (frozen), B is d×r, A is r×k (trainable), ΔW = B·A is d×k, and the adapted weight
//! is W₀ + (α/r)·B·A, the scaling used by the LoRA paper and by Hugging Face PEFT.

use nalgebra::DMatrix;

use super::rng::Stream;

/// Trainable-parameter counts of one d×k weight matrix, fully fine-tuned or adapted at rank r.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamCounts {
    /// Parameters of W₀: d·k.
    pub full: u64,
    /// Parameters of B and A together: r·(d + k).
    pub lora: u64,
}

impl ParamCounts {
    /// Counts for a d×k matrix at rank r.
    pub fn new(d: u64, k: u64, r: u64) -> Self {
        Self {
            full: d * k,
            lora: r * (d + k),
        }
    }

    /// How many times fewer parameters LoRA trains: d·k / (r·(d + k)). Below 1 LoRA trains more.
    pub fn reduction(self) -> f64 {
        if self.lora == 0 {
            f64::INFINITY
        } else {
            self.full as f64 / self.lora as f64
        }
    }
}

/// How B and A are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdapterInit {
    /// As an adapter might look after training: every entry of B and A drawn from N(0, 0.5²).
    Trained,
    /// As LoRA starts: B = 0 and A drawn from U(−1/√k, 1/√k), PEFT's Kaiming-uniform default (the
    /// LoRA paper draws A from a Gaussian).
    AtInitialisation,
}

/// Standard deviation of the entries of B and A in [`AdapterInit::Trained`].
pub const TRAINED_STD: f64 = 0.5;

/// Stream ids, one per matrix, so each matrix is independent of the others.
const STREAM_W0: u64 = 1;
const STREAM_B: u64 = 2;
const STREAM_A: u64 = 3;

/// Which matrices of a previous factorisation of the same seed still hold their entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reuse {
    /// W₀'s entries (always, for the same seed).
    pub w0: bool,
    /// B's entries (when B was and is drawn as after training).
    pub b: bool,
    /// A's entries (when A was and is drawn the same way, and at initialisation for the same k).
    pub a: bool,
}

/// A rows×cols matrix whose entry (i, j) is `draw(i, j)`, copying the entries `previous` has.
fn redraw(
    previous: Option<&DMatrix<f64>>,
    rows: usize,
    cols: usize,
    draw: impl Fn(usize, usize) -> f64,
) -> DMatrix<f64> {
    match previous {
        Some(old) => DMatrix::from_fn(rows, cols, |i, j| {
            if i < old.nrows() && j < old.ncols() {
                old[(i, j)]
            } else {
                draw(i, j)
            }
        }),
        None => DMatrix::from_fn(rows, cols, draw),
    }
}

/// The five matrices of the factorisation figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Factorisation {
    /// Frozen pretrained weight, d×k, entries N(0, 1).
    pub w0: DMatrix<f64>,
    /// Trainable up-projection, d×r: it maps the r-dimensional code back up to the layer's d outputs.
    pub b: DMatrix<f64>,
    /// Trainable down-projection, r×k: it projects the layer's k inputs down to r dimensions.
    pub a: DMatrix<f64>,
    /// ΔW = B·A, d×k, of rank at most r.
    pub delta: DMatrix<f64>,
    /// W₀ + (α/r)·ΔW, d×k.
    pub merged: DMatrix<f64>,
    /// The scaling α/r.
    pub scale: f64,
}

impl Factorisation {
    /// Draws W₀, B and A for `seed` and computes ΔW and the merged weight.
    ///
    /// Entry (i, j) of each matrix depends only on (seed, i, j), never on the shape, so changing d, k
    /// or r keeps the entries that remain. Requires 1 ≤ r; any d, k ≥ 1.
    pub fn generate(
        d: usize,
        k: usize,
        r: usize,
        alpha: f64,
        seed: u64,
        init: AdapterInit,
    ) -> Self {
        Self::redrawn(None, d, k, r, alpha, seed, init)
    }

    /// The same as [`Factorisation::generate`], copying the entries `previous` already holds
    /// instead of drawing them again: `previous` must come from the same seed, and `reuse` says
    /// which of its matrices still hold for the new settings (entry (i, j) of W₀, and of B and A
    /// after training, depends only on the seed and (i, j); A at initialisation depends on k too).
    pub fn redrawn(
        previous: Option<(&Factorisation, Reuse)>,
        d: usize,
        k: usize,
        r: usize,
        alpha: f64,
        seed: u64,
        init: AdapterInit,
    ) -> Self {
        let w0_stream = Stream::new(seed, STREAM_W0);
        let b_stream = Stream::new(seed, STREAM_B);
        let a_stream = Stream::new(seed, STREAM_A);
        let kept = |pick: fn(&Factorisation) -> &DMatrix<f64>, wanted: fn(Reuse) -> bool| {
            previous.and_then(|(f, reuse)| wanted(reuse).then(|| pick(f)))
        };
        let w0 = redraw(kept(|f| &f.w0, |r| r.w0), d, k, |i, j| {
            w0_stream.normal(i, j)
        });
        let (b, a) = match init {
            AdapterInit::Trained => (
                redraw(kept(|f| &f.b, |r| r.b), d, r, |i, l| {
                    TRAINED_STD * b_stream.normal(i, l)
                }),
                redraw(kept(|f| &f.a, |r| r.a), r, k, |l, j| {
                    TRAINED_STD * a_stream.normal(l, j)
                }),
            ),
            AdapterInit::AtInitialisation => {
                let bound = 1.0 / (k as f64).sqrt();
                (
                    DMatrix::zeros(d, r),
                    redraw(kept(|f| &f.a, |r| r.a), r, k, |l, j| {
                        bound * (2.0 * a_stream.uniform(l, j) - 1.0)
                    }),
                )
            }
        };
        let delta = super::product(&b, &a);
        let scale = alpha / r.max(1) as f64;
        let merged = &w0 + &delta * scale;
        Self {
            w0,
            b,
            a,
            delta,
            merged,
            scale,
        }
    }

    /// The same W₀, B and A with another α: only the scaling and the merged weight change.
    pub fn with_alpha(self, alpha: f64) -> Self {
        let scale = alpha / self.b.ncols().max(1) as f64;
        let merged = &self.w0 + &self.delta * scale;
        Self {
            merged,
            scale,
            ..self
        }
    }

    /// The largest absolute entry over all five matrices: the half-width of the shared colour scale.
    pub fn max_abs(&self) -> f64 {
        [&self.w0, &self.b, &self.a, &self.delta, &self.merged]
            .iter()
            .flat_map(|m| m.iter())
            .fold(0.0_f64, |acc, v| acc.max(v.abs()))
    }
}
