//! What the page lets a reader take away: matrices as CSV, and LoRA settings as the matching
//! Hugging Face PEFT `LoraConfig(...)`.
//!
//! CSV: one row a matrix row, comma-separated, values with 17 significant digits so that they read
//! back exactly; no header, as numpy's `loadtxt(..., delimiter=",")` expects.

use nalgebra::DMatrix;

use crate::figures::factorisation::{FactorisationFigure, MatrixId};
use crate::figures::maths::{VectorId, WorkedExample};
use crate::figures::{FigureId, Received};
use crate::math::memory::MODELS;
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

/// A CSV field: quoted when it holds a comma, a quote or a line break.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// What the CSV panel says of `files`: its label, and how the files read (a file with a header
/// row starts with a column's name, a file without one with a number).
pub fn csv_texts(files: &[Download]) -> (&'static str, &'static str) {
    let headed = files
        .iter()
        .filter(|f| f.text.starts_with(|c: char| c.is_ascii_alphabetic()))
        .count();
    let note = if files.is_empty() {
        "The numbers are still being computed, or there are none at these settings."
    } else if headed == files.len() {
        "One row a line, under a header row that names the columns; numbers in full."
    } else if headed == 0 {
        "Values with 17 significant digits, one row a line, no header."
    } else {
        "One row a line, numbers in full; a file whose first row names the columns has a header, \
         the others have none."
    };
    ("This figure's numbers as CSV", note)
}

/// Values as a one-column CSV.
pub fn column_csv(values: &[f64]) -> String {
    values.iter().map(|v| format!("{v:.16e}\n")).collect()
}

/// The figures that offer CSV files (the spectrum's once its singular values have arrived).
pub const CSV_FIGURES: [FigureId; 3] =
    [FigureId::Factorisation, FigureId::Maths, FigureId::Spectrum];

/// The CSV files `figure` offers at `state`; `sigma` is the spectrum the page last
/// received, for the spectrum figure. Empty for figures without numbers to download.
pub fn downloads(figure: FigureId, state: &PageState, received: Received) -> Vec<Download> {
    let sigma = received.sigma;
    let file =
        |what: &str, rows: usize, cols: usize| format!("lora-explorer-{what}-{rows}x{cols}.csv");
    match figure {
        FigureId::Factorisation => {
            let figure = FactorisationFigure::new(&state.factorisation);
            MatrixId::ALL
                .iter()
                .map(|&id| {
                    let m = figure.matrix(id);
                    Download {
                        name: file(csv_name(id), m.nrows(), m.ncols()),
                        text: matrix_csv(m),
                    }
                })
                .chain(received.spectra.map(|spectra| {
                    // One row an index: σᵢ of W₀, of the update (α/r)·BA and of the merged weight.
                    let columns = DMatrix::from_fn(spectra.len(), 3, |i, col| {
                        [&spectra.w0, &spectra.update, &spectra.merged][col][i]
                    });
                    Download {
                        name: format!(
                            "lora-explorer-singular-values-W0-update-merged-{}.csv",
                            spectra.len()
                        ),
                        text: matrix_csv(&columns),
                    }
                }))
                .collect()
        }
        FigureId::Maths => {
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
        FigureId::Spectrum => sigma
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

/// Where LoRA goes in one model, as PEFT names its modules.
#[derive(Clone, Debug, PartialEq)]
pub struct PeftTarget {
    /// Comment lines above the config: the model it is for, and what the choice of modules means.
    pub about: String,
    /// PEFT's `target_modules`: the modules holding W_q and W_v, or the fused one holding both.
    pub modules: &'static [&'static str],
    /// Whether the modules store their weight as (in, out), as GPT-2's Conv1D does.
    pub fan_in_fan_out: bool,
}

impl PeftTarget {
    /// W_q and W_v in a model of the comparison table, by its index in `MODELS` (GPT-3 for any
    /// other index).
    pub fn for_model(index: usize) -> Self {
        let model = &MODELS[index.min(MODELS.len() - 1)];
        match model.name {
            "BERT-base" | "BERT-large" => Self {
                about: format!(
                    "# For {name} on Hugging Face ({checkpoint}, model type \"bert\").\n\
                     # BERT and RoBERTa name W_q and W_v \"query\" and \"value\".\n",
                    name = model.name,
                    checkpoint = if model.name == "BERT-base" {
                        "google-bert/bert-base-uncased"
                    } else {
                        "google-bert/bert-large-uncased"
                    },
                ),
                modules: &["query", "value"],
                fan_in_fan_out: false,
            },
            "GPT-2" => Self {
                about: format!(
                    "# For GPT-2 XL on Hugging Face (openai-community/gpt2-xl, model type \"gpt2\").\n\
                     # GPT-2 computes W_q, W_k and W_v in one fused Conv1D, c_attn ({d} → {qkv}), so W_q and\n\
                     # W_v cannot be targeted alone: this adapts q, k and v together, with one B and one A\n\
                     # a layer, r·({d} + {qkv}) parameters, as many as rank r on W_q and W_v apart.\n",
                    d = model.d_model,
                    qkv = 3 * model.d_model,
                ),
                modules: &["c_attn"],
                fan_in_fan_out: true,
            },
            _ => Self::q_proj_v_proj(
                "# GPT-3's weights are not public. For a GPT-3-style model on Hugging Face that names\n\
                 # W_q and W_v \"q_proj\" and \"v_proj\": OPT (model type \"opt\"), LLaMA (\"llama\"), Mistral.\n",
            ),
        }
    }

    /// W_q and W_v for a figure that names no model: LLaMA's names, and what other models call them.
    pub fn generic() -> Self {
        Self::q_proj_v_proj(
            "# For a model that names W_q and W_v \"q_proj\" and \"v_proj\", such as LLaMA\n\
             # (model type \"llama\"), Mistral or OPT. BERT and RoBERTa call them [\"query\", \"value\"].\n\
             # GPT-2 fuses q, k and v into one Conv1D, [\"c_attn\"]: targeting it adapts all three,\n\
             # and needs fan_in_fan_out=True.\n",
        )
    }

    fn q_proj_v_proj(about: &str) -> Self {
        Self {
            about: about.to_string(),
            modules: &["q_proj", "v_proj"],
            fan_in_fan_out: false,
        }
    }
}

/// The Hugging Face PEFT configuration matching `figure`'s rank and α, or None for
/// figures without a rank. Figures without an α use α = r (a scaling of 1) and say so. Table 1's
/// configuration targets the model it shows; the other figures name no model and get LLaMA's
/// module names, with a comment on what other models call them.
pub fn peft_config(figure: FigureId, state: &PageState) -> Option<String> {
    let (rank, alpha) = match figure {
        FigureId::Factorisation => (state.factorisation.r, Some(state.factorisation.alpha)),
        FigureId::Maths => (state.maths.r, Some(state.maths.alpha)),
        FigureId::Memory => (state.cost.lora_rank, None),
        FigureId::Comparison => (state.comparison.rank, None),
        _ => return None,
    };
    let target = if figure == FigureId::Comparison {
        PeftTarget::for_model(state.comparison.model)
    } else {
        PeftTarget::generic()
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
    let modules: Vec<String> = target.modules.iter().map(|m| format!("\"{m}\"")).collect();
    let (modules_comment, fan_in_fan_out) = if target.fan_in_fan_out {
        (
            "the fused q, k and v projection",
            "    fan_in_fan_out=True,  # Conv1D stores its weight as (in, out)\n",
        )
    } else {
        ("W_q and W_v, as in the LoRA paper", "")
    };
    Some(format!(
        "from peft import LoraConfig\n\n\
         {about}\
         config = LoraConfig(\n    \
         r={rank},\n\
         {alpha_line}\n    \
         target_modules=[{modules}],  # {modules_comment}\n\
         {fan_in_fan_out}    \
         lora_dropout=0.0,\n    \
         bias=\"none\",\n    \
         init_lora_weights=True,  # B = 0, A Kaiming-uniform: training starts from W0\n\
         )\n",
        about = target.about,
        modules = modules.join(", "),
    ))
}
