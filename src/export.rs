//! What the page lets a reader take away: matrices as CSV, and LoRA settings as the matching
//! Hugging Face PEFT `LoraConfig(...)`.
//!
//! CSV: one row a matrix row, comma-separated, values with 17 significant digits so that they read
//! back exactly; no header, as numpy's `loadtxt(..., delimiter=",")` expects.

use nalgebra::DMatrix;

use crate::figures::factorisation::{FactorisationFigure, MatrixId};
use crate::figures::maths::{VectorId, WorkedExample};
use crate::state::{format_float, PageState};

/// A file to download: its name and its text.
#[derive(Clone, Debug, PartialEq)]
pub struct Download {
    /// The file's name, such as `lora-explorer-B-4x2.csv`.
    pub name: String,
    /// The file's contents.
    pub text: String,
}

/// `m` as CSV text.
pub fn matrix_csv(m: &DMatrix<f64>) -> String {
    let mut out = String::with_capacity(m.len() * 24);
    for row in 0..m.nrows() {
        let cells: Vec<String> = (0..m.ncols())
            .map(|col| format!("{:.16e}", m[(row, col)]))
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// Values as a one-column CSV.
pub fn column_csv(values: &[f64]) -> String {
    values.iter().map(|v| format!("{v:.16e}\n")).collect()
}

/// The figures that offer CSV files (the spectrum's once its singular values have arrived).
pub const CSV_FIGURES: [&str; 3] = ["factorisation", "maths", "spectrum"];

/// The CSV files figure `figure_id` offers at `state`; `sigma` is the spectrum the page last
/// received, for the spectrum figure. Empty for figures without numbers to download.
pub fn downloads(figure_id: &str, state: &PageState, sigma: Option<&[f64]>) -> Vec<Download> {
    let file =
        |what: &str, rows: usize, cols: usize| format!("lora-explorer-{what}-{rows}x{cols}.csv");
    match figure_id {
        "factorisation" => {
            let figure = FactorisationFigure::new(&state.factorisation);
            let spectra = &figure.spectra;
            // One row an index: σᵢ of W₀, of the update (α/r)·BA and of the merged weight.
            let columns = DMatrix::from_fn(spectra.len(), 3, |i, col| {
                [&spectra.w0, &spectra.update, &spectra.merged][col][i]
            });
            MatrixId::ALL
                .iter()
                .map(|&id| {
                    let m = figure.matrix(id);
                    Download {
                        name: file(csv_name(id), m.nrows(), m.ncols()),
                        text: matrix_csv(m),
                    }
                })
                .chain(std::iter::once(Download {
                    name: format!(
                        "lora-explorer-singular-values-W0-update-merged-{}.csv",
                        spectra.len()
                    ),
                    text: matrix_csv(&columns),
                }))
                .collect()
        }
        "maths" => {
            let example = WorkedExample::new(&state.maths);
            VectorId::ALL
                .iter()
                .map(|&id| {
                    let v = example.vector(id);
                    Download {
                        name: file(id.slug(), v.nrows(), 1),
                        text: matrix_csv(v),
                    }
                })
                .collect()
        }
        "spectrum" => sigma
            .map(|sigma| Download {
                name: format!("lora-explorer-singular-values-n{}.csv", sigma.len()),
                text: column_csv(sigma),
            })
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// The name of a matrix in a file name.
fn csv_name(id: MatrixId) -> &'static str {
    match id {
        MatrixId::W0 => "W0",
        MatrixId::B => "B",
        MatrixId::A => "A",
        MatrixId::Delta => "deltaW",
        MatrixId::Merged => "W0-plus-scaled-BA",
    }
}

/// The Hugging Face PEFT configuration matching figure `figure_id`'s rank and α, or None for
/// figures without a rank. Figures without an α use α = r (a scaling of 1) and say so.
pub fn peft_config(figure_id: &str, state: &PageState) -> Option<String> {
    let (rank, alpha) = match figure_id {
        "factorisation" => (state.factorisation.r, Some(state.factorisation.alpha)),
        "maths" => (state.maths.r, Some(state.maths.alpha)),
        "memory" => (state.cost.lora_rank, None),
        "comparison" => (state.comparison.rank, None),
        _ => return None,
    };
    let alpha_line = match alpha {
        Some(alpha) => format!(
            "    lora_alpha={},  # the scaling is alpha / r",
            format_float(alpha)
        ),
        None => format!(
            "    lora_alpha={rank},  # not set in this figure: alpha = r keeps the scaling at 1"
        ),
    };
    Some(format!(
        "from peft import LoraConfig\n\n\
         config = LoraConfig(\n    \
         r={rank},\n\
         {alpha_line}\n    \
         target_modules=[\"q_proj\", \"v_proj\"],  # W_q and W_v, as in the LoRA paper\n    \
         lora_dropout=0.0,\n    \
         bias=\"none\",\n    \
         init_lora_weights=True,  # B = 0, A Kaiming-uniform: training starts from W0\n\
         )\n"
    ))
}
