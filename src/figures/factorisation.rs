//! The "LoRA factorisation" figure: W₀, B, A, ΔW = B·A and W₀ + (α/r)·B·A side by side.
//!
//! Cell indices in reader-facing text are 1-based (row 1 is the top row), as in mathematics; every
//! index in the API is 0-based.

use std::ops::Range;

use nalgebra::DMatrix;

use crate::format::{ratio, signed, thousands};
use crate::math::lora::{AdapterInit, Factorisation, ParamCounts, TRAINED_STD};
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

/// W₀, B and A for `state`, with ΔW and the merged weight.
pub fn matrices(state: &FactorisationState) -> Factorisation {
    let init = if state.at_init {
        AdapterInit::AtInitialisation
    } else {
        AdapterInit::Trained
    };
    let (d, k, r) = (state.d as usize, state.k as usize, state.r as usize);
    Factorisation::generate(d, k, r, state.alpha, u64::from(state.seed), init)
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
    /// Computes the figure for `state`.
    pub fn new(state: &FactorisationState) -> Self {
        let matrices = matrices(state);
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
                "At initialisation, as in the LoRA paper and Hugging Face PEFT: B = 0 and A is drawn from \
                 U(−1/√k, 1/√k). So ΔW = BA = 0 and W₀ + (α/r)·BA = W₀ exactly: training starts from the \
                 pretrained model, and because A ≠ 0 the gradient still reaches B on the first step. \
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
                "ΔW[{i}, {j}] = Σₗ B[{i}, l]·A[l, {j}], l = 1…{r}:",
                i = row + 1,
                j = col + 1
            ));
            for l in 0..r {
                let (bv, av) = (b[(row, l)], a[(l, col)]);
                lines.push(format!(
                    "l = {}: {} × {} = {}",
                    l + 1,
                    signed(bv, 3),
                    signed(av, 3),
                    signed(bv * av, 4)
                ));
            }
            let delta = self.matrices.delta[(row, col)];
            lines.push(format!(
                "Sum: ΔW[{}, {}] = {}",
                row + 1,
                col + 1,
                signed(delta, 4)
            ));
            if id == MatrixId::Merged {
                lines.push(format!(
                    "W₀ + (α/r)·ΔW = {} + {} × {} = {}",
                    signed(self.matrices.w0[(row, col)], 4),
                    signed(self.matrices.scale, 3),
                    signed(delta, 4),
                    signed(value, 4)
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
