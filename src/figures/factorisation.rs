//! The "LoRA factorisation" figure: W₀, B, A, ΔW = B·A and W₀ + (α/r)·B·A side by side.
//!
//! Cell indices in reader-facing text are 1-based (row 1 is the top row), as in mathematics; every
//! index in the API is 0-based.

use std::ops::Range;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::figures::printed::{bracketed, scaled_sum};
use crate::format::{decimals_for, power_of_ten, ratio, signed, significant, subscript, thousands};
use crate::math::lora::{AdapterInit, Factorisation, ParamCounts, Reuse, TRAINED_STD};
use crate::math::svd::singular_values;
use crate::render::colormap::Diverging;
use crate::state::FactorisationState;

/// The five heatmaps of the figure, in page order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatrixId {
    /// The frozen pretrained weight W₀.
    W0,
    /// The trainable d×r factor B.
    B,
    /// The trainable r×k factor A.
    A,
    /// ΔW = B·A.
    Delta,
    /// W₀ + (α/r)·B·A.
    Merged,
}

impl MatrixId {
    /// All five, in page order.
    pub const ALL: [MatrixId; 5] = [Self::W0, Self::B, Self::A, Self::Delta, Self::Merged];

    /// The short id used in the page's element ids (`f-heat-w0`, …).
    pub fn slug(self) -> &'static str {
        match self {
            Self::W0 => "w0",
            Self::B => "b",
            Self::A => "a",
            Self::Delta => "dw",
            Self::Merged => "wm",
        }
    }

    /// The matrix's name as the page writes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::W0 => "W₀",
            Self::B => "B",
            Self::A => "A",
            Self::Delta => "ΔW = BA",
            Self::Merged => "W₀ + (α/r)·BA",
        }
    }
}

/// A block of cells of one matrix to highlight: rows × cols, 0-based, end-exclusive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Highlight {
    /// The matrix the block belongs to.
    pub matrix: MatrixId,
    /// Rows of the block.
    pub rows: Range<usize>,
    /// Columns of the block.
    pub cols: Range<usize>,
}

/// What the figure shows about one cell a reader points at.
#[derive(Clone, Debug, PartialEq)]
pub struct CellReport {
    /// The first line, naming the cell and its value.
    pub heading: String,
    /// How the value is made, one line each (the terms of Σₗ B[i,l]·A[l,j] for ΔW).
    pub lines: Vec<String>,
    /// Cells to highlight in the heatmaps.
    pub highlights: Vec<Highlight>,
}

/// How B and A are drawn at `state`.
fn adapter_init(state: &FactorisationState) -> AdapterInit {
    if state.at_init {
        AdapterInit::AtInitialisation
    } else {
        AdapterInit::Trained
    }
}

/// W₀, B and A for `state`, with ΔW and the merged weight.
pub fn matrices(state: &FactorisationState) -> Factorisation {
    let (d, k, r) = (state.d as usize, state.k as usize, state.r as usize);
    Factorisation::generate(
        d,
        k,
        r,
        state.alpha,
        u64::from(state.seed),
        adapter_init(state),
    )
}

/// The figure's content at one state.
#[derive(Clone, Debug)]
pub struct FactorisationFigure {
    /// The state it was computed from.
    pub state: FactorisationState,
    /// The five matrices.
    pub matrices: Factorisation,
    /// The colour map shared by all five heatmaps.
    pub colours: Diverging,
    /// Parameter counts of W₀ against B and A.
    pub counts: ParamCounts,
}

impl FactorisationFigure {
    /// Computes the figure for `state`. Its singular values are [`Spectra`], computed apart (in the
    /// worker) because three decompositions cost more than the rest of the figure.
    pub fn new(state: &FactorisationState) -> Self {
        Self::after(None, state)
    }

    /// The figure for `state` after `previous`: what `state` shares with it is kept rather than
    /// drawn again (for the same seed, the entries W₀, B and A already hold; everything but the
    /// merged weight while only α moves). Equal to [`FactorisationFigure::new`].
    pub fn after(previous: Option<Self>, state: &FactorisationState) -> Self {
        let init = adapter_init(state);
        let (d, k, r) = (state.d as usize, state.k as usize, state.r as usize);
        let seed = u64::from(state.seed);
        let matrices = match previous {
            Some(previous) if previous.state.seed == state.seed => {
                let before = &previous.state;
                if (before.d, before.k, before.r, before.at_init)
                    == (state.d, state.k, state.r, state.at_init)
                {
                    previous.matrices.with_alpha(state.alpha)
                } else {
                    let same_init = before.at_init == state.at_init;
                    let reuse = Reuse {
                        w0: true,
                        b: same_init && !state.at_init,
                        a: same_init && (!state.at_init || before.k == state.k),
                    };
                    Factorisation::redrawn(
                        Some((&previous.matrices, reuse)),
                        d,
                        k,
                        r,
                        state.alpha,
                        seed,
                        init,
                    )
                }
            }
            _ => matrices(state),
        };
        let colours = Diverging::new(matrices.max_abs());
        let counts = ParamCounts::new(u64::from(state.d), u64::from(state.k), u64::from(state.r));
        Self {
            state: state.clone(),
            matrices,
            colours,
            counts,
        }
    }

    /// The matrix behind heatmap `id`.
    pub fn matrix(&self, id: MatrixId) -> &DMatrix<f64> {
        match id {
            MatrixId::W0 => &self.matrices.w0,
            MatrixId::B => &self.matrices.b,
            MatrixId::A => &self.matrices.a,
            MatrixId::Delta => &self.matrices.delta,
            MatrixId::Merged => &self.matrices.merged,
        }
    }

    /// The heatmap's label: its name and shape, such as "B · 4×2".
    pub fn label(&self, id: MatrixId) -> String {
        let m = self.matrix(id);
        format!("{} · {}×{}", id.name(), m.nrows(), m.ncols())
    }

    /// The parameter counts under the figure, one sentence each.
    pub fn count_lines(&self) -> [String; 3] {
        let FactorisationState { d, k, r, .. } = self.state;
        let reduction = self.counts.reduction();
        let verdict = if reduction <= 1.0 {
            format!(
                "Reduction: {}. LoRA saves nothing here: it only saves when r is much smaller than d and k.",
                ratio(reduction)
            )
        } else {
            format!(
                "Reduction: {} fewer trainable parameters.",
                ratio(reduction)
            )
        };
        [
            format!(
                "W₀: d·k = {d}·{k} = {} parameters, frozen.",
                thousands(self.counts.full)
            ),
            format!(
                "B and A: r·(d + k) = {r}·({d} + {k}) = {} trainable parameters.",
                thousands(self.counts.lora)
            ),
            verdict,
        ]
    }

    /// The caption: which distributions the matrices come from and what the toggle shows.
    pub fn caption(&self) -> String {
        let scale = format!(
            "Colour runs from red (−{m}) through white (0) to blue (+{m}), one scale for all five.",
            m = signed(self.colours.half_range(), 2)
        );
        if self.state.at_init {
            format!(
                "At initialisation B = 0, as in the LoRA paper and in Hugging Face PEFT. A is drawn from \
                 U(−1/√k, 1/√k), PEFT's default (Kaiming-uniform with a = √5); the LoRA paper draws A from \
                 a Gaussian instead. Either way ΔW = BA = 0 and W₀ + (α/r)·BA = W₀ exactly: training starts \
                 from the pretrained model, and because A ≠ 0 the gradient still reaches B on the first step. \
                 W₀ is drawn from N(0, 1). {scale}"
            )
        } else {
            format!(
                "As an adapter might look after training: W₀ is drawn from N(0, 1), and every entry of B and A \
                 from N(0, {TRAINED_STD}²). ΔW = BA has rank at most r = {r} although it is {d}×{k}. {scale}",
                r = self.state.r,
                d = self.state.d,
                k = self.state.k
            )
        }
    }

    /// The report for cell (row, col) of heatmap `id`, or None if the cell is outside the matrix.
    pub fn cell_report(&self, id: MatrixId, row: usize, col: usize) -> Option<CellReport> {
        let m = self.matrix(id);
        if row >= m.nrows() || col >= m.ncols() {
            return None;
        }
        let value = m[(row, col)];
        let cell = |matrix: MatrixId| Highlight {
            matrix,
            rows: row..row + 1,
            cols: col..col + 1,
        };
        let heading = format!(
            "{}[{}, {}] = {}",
            short_name(id),
            row + 1,
            col + 1,
            signed(value, 4)
        );
        let mut lines = Vec::new();
        let mut highlights = vec![cell(id)];
        if matches!(id, MatrixId::Delta | MatrixId::Merged) {
            let (b, a) = (&self.matrices.b, &self.matrices.a);
            let r = b.ncols();
            lines.push(format!(
                "ΔW[{i}, {j}] = Σₗ B[{i}, l]·A[l, {j}], l = 1…{r}, with B and A to 3 decimals:",
                i = row + 1,
                j = col + 1
            ));
            // Factors rounded to 3 decimals multiply exactly into 6, so every printed product and
            // the printed sum are the arithmetic of the printed numbers.
            let thousandths = |x: f64| (x * 1e3).round() as i64;
            let millionths = |units: i64| signed(units as f64 / 1e6, 6);
            let mut sum = 0i64;
            for l in 0..r {
                let (bv, av) = (thousandths(b[(row, l)]), thousandths(a[(l, col)]));
                sum += bv * av;
                lines.push(format!(
                    "l = {}: {} × {} = {}",
                    l + 1,
                    signed(bv as f64 / 1e3, 3),
                    bracketed(signed(av as f64 / 1e3, 3)),
                    millionths(bv * av)
                ));
            }
            let delta = self.matrices.delta[(row, col)];
            lines.push(format!("Sum of the printed terms: {}", millionths(sum)));
            if (delta * 1e6).round() as i64 != sum {
                lines.push(format!(
                    "From the unrounded factors: ΔW[{}, {}] = {}",
                    row + 1,
                    col + 1,
                    signed(delta, 4)
                ));
            }
            if id == MatrixId::Merged {
                lines.push(format!(
                    "W′[{i}, {j}] = W₀ + (α/r)·ΔW = {}",
                    scaled_sum(
                        self.matrices.w0[(row, col)],
                        self.state.alpha,
                        self.state.r,
                        delta,
                        value,
                        "W′",
                    ),
                    i = row + 1,
                    j = col + 1
                ));
                highlights.push(cell(MatrixId::W0));
                highlights.push(cell(MatrixId::Delta));
            } else {
                highlights.push(cell(MatrixId::Merged));
            }
            highlights.push(Highlight {
                matrix: MatrixId::B,
                rows: row..row + 1,
                cols: 0..r,
            });
            highlights.push(Highlight {
                matrix: MatrixId::A,
                rows: 0..r,
                cols: col..col + 1,
            });
        }
        Some(CellReport {
            heading,
            lines,
            highlights,
        })
    }
}

/// The min(d, k) singular values of B·A (B d×r, A r×k), descending, from an r×r problem: with
/// B = Q_B·R_B and Aᵀ = Q_A·R_A, B·A = Q_B·(R_B·R_Aᵀ)·Q_Aᵀ has the singular values of R_B·R_Aᵀ,
/// and the remaining min(d, k) − r are exactly zero. Much cheaper than decomposing the d×k product
/// when r is small.
fn product_singular_values(b: &DMatrix<f64>, a: &DMatrix<f64>) -> Vec<f64> {
    let n_values = b.nrows().min(a.ncols());
    if b.ncols() > n_values {
        return singular_values(&(b * a));
    }
    let r_b = b.clone().qr().r();
    let r_a = a.transpose().qr().r();
    let mut values = singular_values(&(r_b * r_a.transpose()));
    values.resize(n_values, 0.0);
    values
}

/// The name used when indexing a cell.
fn short_name(id: MatrixId) -> &'static str {
    match id {
        MatrixId::W0 => "W₀",
        MatrixId::B => "B",
        MatrixId::A => "A",
        MatrixId::Delta => "ΔW",
        MatrixId::Merged => "W′",
    }
}

/// A singular value of the update counts as zero below this fraction of the update's largest one.
///
/// A product B·A of rank r computed in floating point has its other singular values at round-off,
/// about 10⁻¹⁶·σ₁; a genuine direction of a seeded adapter is many orders above 10⁻¹⁰·σ₁.
pub const ZERO_TOLERANCE: f64 = 1e-10;

/// Significant figures of the singular values the figure prints.
const SIGNIFICANT: usize = 4;

/// The singular values behind the figure's spectrum chart, each descending, min(d, k) of each.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct Spectra {
    /// σ(W₀).
    pub w0: Vec<f64>,
    /// σ((α/r)·BA), with values below [`ZERO_TOLERANCE`]·σ₁ set to exactly 0.
    pub update: Vec<f64>,
    /// σ(W₀ + (α/r)·BA).
    pub merged: Vec<f64>,
}

/// Computes the figure's spectra settings after settings, reusing W₀'s singular values while W₀
/// stays (moving r, α or the initialisation leaves it as it is).
#[derive(Debug, Default)]
pub struct SpectraWorkbench {
    /// The last W₀ and its singular values.
    w0: Option<(DMatrix<f64>, Vec<f64>)>,
}

impl SpectraWorkbench {
    /// The spectra of the figure at `state`.
    pub fn spectra(&mut self, state: &FactorisationState) -> Spectra {
        let matrices = matrices(state);
        let known = self
            .w0
            .take()
            .and_then(|(w0, values)| (w0 == matrices.w0).then_some(values));
        let spectra = Spectra::new(&matrices, known);
        self.w0 = Some((matrices.w0, spectra.w0.clone()));
        spectra
    }
}

impl Spectra {
    /// The spectra of the figure at `state`, computed from scratch.
    pub fn at(state: &FactorisationState) -> Self {
        Self::new(&matrices(state), None)
    }

    /// The spectra of `matrices`. `w0` may carry W₀'s singular values when they are already known;
    /// otherwise they are computed.
    pub fn new(matrices: &Factorisation, w0: Option<Vec<f64>>) -> Self {
        let w0 = w0
            .filter(|values| values.len() == matrices.w0.nrows().min(matrices.w0.ncols()))
            .unwrap_or_else(|| singular_values(&matrices.w0));
        // σ(c·M) = c·σ(M) for c > 0: the scaled update needs no matrix of its own.
        let mut update: Vec<f64> = product_singular_values(&matrices.b, &matrices.a)
            .into_iter()
            .map(|s| s * matrices.scale.abs())
            .collect();
        let cutoff = ZERO_TOLERANCE * update.first().copied().unwrap_or(0.0);
        for s in &mut update {
            if *s <= cutoff {
                *s = 0.0;
            }
        }
        Self {
            w0,
            update,
            merged: singular_values(&matrices.merged),
        }
    }

    /// How many singular values the update has above the tolerance: its numerical rank.
    pub fn update_rank(&self) -> usize {
        self.update.iter().filter(|&&s| s > 0.0).count()
    }

    /// Weyl's bound on how far any singular value can move when the update is added: σ₁ of the
    /// update, its spectral norm.
    pub fn weyl_bound(&self) -> f64 {
        self.update.first().copied().unwrap_or(0.0)
    }

    /// The largest |σᵢ(W₀ + ΔW) − σᵢ(W₀)| and its 0-based index i (0 when nothing moved).
    pub fn largest_move(&self) -> (f64, usize) {
        self.w0
            .iter()
            .zip(&self.merged)
            .map(|(before, after)| (after - before).abs())
            .enumerate()
            .fold(
                (0.0, 0),
                |best, (idx, moved)| {
                    if moved > best.0 {
                        (moved, idx)
                    } else {
                        best
                    }
                },
            )
    }

    /// How many singular values each spectrum has: min(d, k).
    pub fn len(&self) -> usize {
        self.w0.len()
    }

    /// Whether the spectra are empty (they never are for a figure: d, k ≥ 2).
    pub fn is_empty(&self) -> bool {
        self.w0.is_empty()
    }

    /// The caption under the spectrum chart, in words computed from the numbers: how many
    /// directions the update has, and the largest move of a singular value against Weyl's bound.
    pub fn caption(&self, rank: u32) -> String {
        let n = self.len();
        let found = self.update_rank();
        let zero_rule = format!(
            "A singular value of the update counts as zero when it is below {} × σ₁ of the update; \
             zeros sit on the chart's bottom line.",
            power_of_ten(ZERO_TOLERANCE.log10().round() as i32)
        );
        if found == 0 {
            return format!(
                "At initialisation B = 0, so the update (α/r)·BA has no direction at all: all {n} of its \
                 singular values are zero, and the merged spectrum is W₀'s exactly (largest move {}). {zero_rule}",
                significant(self.largest_move().0, SIGNIFICANT)
            );
        }
        let directions = match found {
            1 => "1 direction".to_string(),
            _ => format!("{found} directions"),
        };
        let of_n = if found == n {
            format!(
                "all {n} of its singular values are non-zero: at r = min(d, k) the update can be any \
                 {n}-dimensional change, as full fine-tuning's can"
            )
        } else {
            format!(
                "{found} of its {n} singular values are non-zero and the other {} are zero, because \
                 ΔW = BA passes through r = {rank} dimensions",
                n - found
            )
        };
        let (moved, at) = self.largest_move();
        let bound = self.weyl_bound();
        format!(
            "The update (α/r)·BA has {directions}: {of_n}. Adding it moves the singular values of W₀ by \
             at most {} (σ{} of W₀ + (α/r)·BA against σ{} of W₀); Weyl's inequality bounds every move by \
             σ₁ of the update, {}. {zero_rule}",
            significant(moved, SIGNIFICANT),
            subscript(at + 1),
            subscript(at + 1),
            significant(bound, SIGNIFICANT),
        )
    }

    /// What a reader pointing at index `idx` (0-based) reads: the three values there. None past the end.
    ///
    /// W₀'s and the merged value are printed with the same decimals, and the move between them is the
    /// difference of the printed values, so the printed numbers add up.
    pub fn point_report(&self, idx: usize) -> Option<String> {
        let (w0, update, merged) = (
            *self.w0.get(idx)?,
            *self.update.get(idx)?,
            *self.merged.get(idx)?,
        );
        let decimals = decimals_for(w0.min(merged), SIGNIFICANT);
        let unit = 10f64.powi(decimals as i32);
        let (w0_shown, merged_shown) = ((w0 * unit).round(), (merged * unit).round());
        let moved = (merged_shown - w0_shown).abs() / unit;
        let update_text = if update == 0.0 {
            "0 (below the tolerance)".to_string()
        } else {
            significant(update, SIGNIFICANT)
        };
        Some(format!(
            "σ{i}: W₀ {}, merged {}, moved by {}; update (α/r)·BA {update_text}; Weyl's bound on any move {}.",
            signed(w0_shown / unit, decimals),
            signed(merged_shown / unit, decimals),
            signed(moved, decimals),
            significant(self.weyl_bound(), SIGNIFICANT),
            i = subscript(idx + 1),
        ))
    }

    /// A one-sentence text alternative for the chart.
    pub fn description(&self) -> String {
        format!(
            "Singular values of W₀, of the update and of W₀ + (α/r)·BA on a log axis, {} of each; \
             the update has {} non-zero.",
            self.len(),
            self.update_rank()
        )
    }
}
