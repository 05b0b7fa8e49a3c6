//! Downloads: CSV that reads back exactly, and PEFT configurations matching the figures.

use lora_explorer::export::{downloads, matrix_csv, peft_config};
use lora_explorer::figures::factorisation::{FactorisationFigure, MatrixId};
use lora_explorer::state::PageState;
use nalgebra::DMatrix;

#[test]
fn csv_reads_back_exactly() {
    let m = DMatrix::from_row_slice(2, 3, &[1.0 / 3.0, -2.5e-17, 7.0, 0.0, -1.0, 123_456.789]);
    let text = matrix_csv(&m);
    let back: Vec<Vec<f64>> = text
        .lines()
        .map(|line| line.split(',').map(|cell| cell.parse().unwrap()).collect())
        .collect();
    assert_eq!(back.len(), 2);
    for row in 0..2 {
        for col in 0..3 {
            assert_eq!(back[row][col], m[(row, col)]);
        }
    }
}

#[test]
fn the_factorisation_figure_offers_its_five_matrices() {
    let mut state = PageState::default();
    state.set("fd", "6").unwrap();
    let files = downloads("factorisation", &state, None);
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "lora-explorer-W0-6x4.csv",
            "lora-explorer-B-6x2.csv",
            "lora-explorer-A-2x4.csv",
            "lora-explorer-deltaW-6x4.csv",
            "lora-explorer-W0-plus-scaled-BA-6x4.csv",
            "lora-explorer-singular-values-W0-update-merged-4.csv"
        ]
    );
    // The spectra file: one row an index, W₀'s, the update's and the merged σ, exact to 17 digits.
    let rows: Vec<Vec<f64>> = files[5]
        .text
        .lines()
        .map(|line| line.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    let spectra = FactorisationFigure::new(&state.factorisation).spectra;
    assert_eq!(rows.len(), 4);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row, &[spectra.w0[i], spectra.update[i], spectra.merged[i]]);
    }
    assert_eq!(
        (rows[2][1], rows[3][1]),
        (0.0, 0.0),
        "rank 2: the update's σ₃ and σ₄ are zero"
    );
    let figure = FactorisationFigure::new(&state.factorisation);
    assert_eq!(files[1].text, matrix_csv(figure.matrix(MatrixId::B)));
    assert!(downloads("rank", &state, None).is_empty());
    // Exactly the figures listed as offering CSV do, once their numbers exist.
    for figure in [
        "layer",
        "memory",
        "factorisation",
        "maths",
        "rank",
        "spectrum",
        "approximation",
        "comparison",
        "quiz",
    ] {
        let offers = !downloads(figure, &state, Some(&[1.0])).is_empty();
        assert_eq!(
            offers,
            lora_explorer::export::CSV_FIGURES.contains(&figure),
            "{figure}"
        );
    }
    assert_eq!(downloads("spectrum", &state, Some(&[3.0, 1.0])).len(), 1);
}

#[test]
fn peft_configs_carry_the_figures_rank_and_alpha() {
    let mut state = PageState::default();
    state.set("fr", "2").unwrap();
    state.set("fa", "16").unwrap();
    let config = peft_config("factorisation", &state).unwrap();
    assert!(config.contains("    r=2,\n"), "{config}");
    assert!(config.contains("    lora_alpha=16,"), "{config}");
    assert!(config.contains("target_modules=[\"q_proj\", \"v_proj\"]"));
    assert!(config.starts_with("from peft import LoraConfig\n\nconfig = LoraConfig(\n"));
    assert!(config.ends_with(")\n"));
    let comparison = peft_config("comparison", &state).unwrap();
    assert!(
        comparison.contains("    r=8,\n") && comparison.contains("lora_alpha=8,"),
        "{comparison}"
    );
    assert_eq!(peft_config("rank", &state), None);
}
