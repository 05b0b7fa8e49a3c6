//! Data tables: the numbers behind each canvas figure, for readers who cannot see the drawing or
//! want the values. Large matrices are downsampled to at most [`MAX_SIDE`] rows and columns.

use nalgebra::DMatrix;

use crate::figures::factorisation::{FactorisationFigure, MatrixId, ZERO_TOLERANCE};
use crate::figures::maths::{VectorId, WorkedExample};
use crate::figures::rank::ranks;
use crate::figures::{FigureId, Received};
use crate::format::{bytes, bytes_to, power_of_ten, ratio, signed, significant, thousands};
use crate::math::lora::ParamCounts;
use crate::math::svd::{cumulative_energy, relative_tail_error};
use crate::state::PageState;

/// The figures with a data table: those drawn on a canvas.
pub const TABLED_FIGURES: [FigureId; 6] = [
    FigureId::Memory,
    FigureId::Factorisation,
    FigureId::Maths,
    FigureId::Rank,
    FigureId::Spectrum,
    FigureId::Approximation,
];

/// Most rows or columns shown of a matrix.
pub const MAX_SIDE: usize = 16;

/// One table: a caption, a header row, then rows of cells (the first cell of a row is its header).
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// What the table shows.
    pub caption: String,
    /// Column headers.
    pub header: Vec<String>,
    /// Rows of cells, as long as the header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The table as HTML, as the page's data tables are built: a `numbers` table with its caption,
    /// column headers, and each row's first cell as the row's header; every text escaped. One
    /// string lets the page write a long table in one step.
    pub fn to_html(&self) -> String {
        use html_escape::encode_text as text;
        let mut html = format!(
            "<table class=\"numbers\"><caption>{}</caption><thead><tr>",
            text(&self.caption)
        );
        for cell in &self.header {
            html += &format!("<th scope=\"col\">{}</th>", text(cell));
        }
        html += "</tr></thead><tbody>";
        for row in &self.rows {
            html += "<tr>";
            for (i, cell) in row.iter().enumerate() {
                html += &if i == 0 {
                    format!("<th scope=\"row\">{}</th>", text(cell))
                } else {
                    format!("<td>{}</td>", text(cell))
                };
            }
            html += "</tr>";
        }
        html + "</tbody></table>"
    }
}

/// The indices shown of `n`: all of them up to [`MAX_SIDE`], else evenly spaced, first and last kept.
pub fn sample_indices(n: usize) -> Vec<usize> {
    if n <= MAX_SIDE {
        return (0..n).collect();
    }
    (0..MAX_SIDE)
        .map(|i| (i * (n - 1) + (MAX_SIDE - 1) / 2) / (MAX_SIDE - 1))
        .collect()
}

/// A matrix as a table, downsampled; indices are 1-based as on the page.
pub fn matrix_table(name: &str, m: &DMatrix<f64>) -> Table {
    let rows = sample_indices(m.nrows());
    let cols = sample_indices(m.ncols());
    let sampled = rows.len() < m.nrows() || cols.len() < m.ncols();
    Table {
        caption: format!(
            "{name}, {}×{}{}",
            m.nrows(),
            m.ncols(),
            if sampled {
                format!(", every row and column shown up to {MAX_SIDE}, else evenly spaced ones")
            } else {
                String::new()
            }
        ),
        header: std::iter::once("row".to_string())
            .chain(cols.iter().map(|c| format!("col {}", c + 1)))
            .collect(),
        rows: rows
            .iter()
            .map(|&r| {
                std::iter::once(format!("{}", r + 1))
                    .chain(cols.iter().map(|&c| signed(m[(r, c)], 3)))
                    .collect()
            })
            .collect(),
    }
}

/// The data tables of `figure` at `state`, with what the page has `received` from its
/// workers. Empty for figures that are tables already or have nothing drawn yet.
pub fn data_tables(figure: FigureId, state: &PageState, received: Received) -> Vec<Table> {
    let sigma = received.sigma;
    match figure {
        FigureId::Memory => {
            let bars = crate::figures::cost::memory_bars(&state.cost);
            vec![Table {
                caption: "Training memory by model".to_string(),
                header: vec![
                    "Model".into(),
                    "Full fine-tuning".into(),
                    "LoRA".into(),
                    "Measured in the LoRA paper".into(),
                ],
                rows: bars
                    .iter()
                    .map(|b| {
                        let measured = b.measured.map_or("not measured".to_string(), |m| {
                            format!("{} full, {} with LoRA", bytes_to(m.full_bytes, 2), bytes_to(m.lora_bytes, 2))
                        });
                        vec![b.label.clone(), bytes(b.full_bytes), bytes(b.lora_bytes), measured]
                    })
                    .collect(),
            }]
        }
        FigureId::Factorisation => {
            let figure = FactorisationFigure::new(&state.factorisation);
            let value = |s: f64| significant(s, 6);
            MatrixId::ALL
                .iter()
                .map(|&id| matrix_table(id.name(), figure.matrix(id)))
                .chain(received.spectra.map(|spectra| Table {
                    caption: format!(
                        "Singular values, all {} of each; the update's zeros are below {} × its σ₁",
                        spectra.len(),
                        power_of_ten(ZERO_TOLERANCE.log10().round() as i32)
                    ),
                    header: vec![
                        "i".into(),
                        "σᵢ(W₀)".into(),
                        "σᵢ((α/r)·BA)".into(),
                        "σᵢ(W₀ + (α/r)·BA)".into(),
                    ],
                    rows: (0..spectra.len())
                        .map(|i| {
                            vec![
                                format!("{}", i + 1),
                                value(spectra.w0[i]),
                                value(spectra.update[i]),
                                value(spectra.merged[i]),
                            ]
                        })
                        .collect(),
                }))
                .collect()
        }
        FigureId::Maths => {
            let example = WorkedExample::new(&state.maths);
            let longest = VectorId::ALL.iter().map(|&id| example.vector(id).nrows()).max().unwrap_or(0);
            vec![Table {
                caption: "The vectors of the forward pass".to_string(),
                header: std::iter::once("entry".to_string())
                    .chain(VectorId::ALL.iter().map(|&id| example.label(id)))
                    .collect(),
                rows: (0..longest)
                    .map(|i| {
                        std::iter::once(format!("{}", i + 1))
                            .chain(VectorId::ALL.iter().map(|&id| {
                                let v = example.vector(id);
                                if i < v.nrows() {
                                    signed(v[(i, 0)], 4)
                                } else {
                                    String::new()
                                }
                            }))
                            .collect()
                    })
                    .collect(),
            }]
        }
        FigureId::Rank => {
            let n = u64::from(state.rank.n);
            let mut shown = ranks(n);
            if !shown.contains(&u64::from(state.rank.rank)) {
                shown.push(u64::from(state.rank.rank));
                shown.sort_unstable();
            }
            vec![Table {
                caption: format!("Trainable parameters of a {n}×{n} layer against rank"),
                header: vec!["Rank".into(), "LoRA parameters".into(), "Full fine-tuning".into(), "Reduction".into()],
                rows: shown
                    .iter()
                    .map(|&r| {
                        let c = ParamCounts::new(n, n, r);
                        vec![r.to_string(), thousands(c.lora), thousands(c.full), ratio(c.reduction())]
                    })
                    .collect(),
            }]
        }
        FigureId::Spectrum => sigma
            .map(|sigma| {
                let energy = cumulative_energy(sigma);
                let shown: Vec<usize> = (0..sigma.len()).filter(|&i| i < 32 || (i + 1) % 16 == 0).collect();
                vec![Table {
                    caption: "Singular values and cumulative explained variance (the first 32, then every 16th)".to_string(),
                    header: vec!["i".into(), "σᵢ".into(), "Variance explained by σ₁…σᵢ".into()],
                    rows: shown
                        .iter()
                        .map(|&i| vec![(i + 1).to_string(), format!("{:.4e}", sigma[i]), format!("{:.4}%", 100.0 * energy[i])])
                        .collect(),
                }]
            })
            .unwrap_or_default(),
        FigureId::Approximation => sigma
            .map(|sigma| {
                let most = sigma.len().min(64);
                vec![Table {
                    caption: "Relative error of the best rank-r approximation, from the singular values".to_string(),
                    header: vec!["Rank r".into(), "‖ΔW − ΔWᵣ‖_F / ‖ΔW‖_F".into()],
                    rows: (1..=most)
                        .map(|r| vec![r.to_string(), format!("{:.6e}", relative_tail_error(sigma, r))])
                        .collect(),
                }]
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}
