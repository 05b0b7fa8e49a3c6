//! Data tables behind the canvas figures.

use lora_explorer::figures::factorisation::Spectra;
use lora_explorer::figures::tables::{data_tables, matrix_table, sample_indices, MAX_SIDE};
use lora_explorer::figures::{FigureId, Received};
use lora_explorer::state::PageState;
use nalgebra::DMatrix;
use proptest::prelude::*;

proptest! {
    #[test]
    fn sampled_indices_are_increasing_in_range_and_keep_both_ends(n in 1usize..600) {
        let idx = sample_indices(n);
        prop_assert_eq!(idx.len(), n.min(MAX_SIDE));
        prop_assert_eq!(idx[0], 0);
        prop_assert_eq!(*idx.last().unwrap(), n - 1);
        prop_assert!(idx.windows(2).all(|w| w[0] < w[1]));
    }
}

#[test]
fn a_large_matrix_is_downsampled_and_says_so() {
    let m = DMatrix::from_fn(64, 40, |i, j| (i * 100 + j) as f64);
    let table = matrix_table("W₀", &m);
    assert_eq!(table.rows.len(), MAX_SIDE);
    assert_eq!(table.header.len(), 1 + MAX_SIDE);
    assert!(table.caption.contains("64×40") && table.caption.contains("evenly spaced"));
    // The last shown cell is the matrix's last entry, 1-based labels.
    assert_eq!(table.rows[15][0], "64");
    assert_eq!(table.rows[15][16], "6339.000");
    let small = matrix_table("B", &DMatrix::from_element(4, 2, 0.5));
    assert_eq!((small.rows.len(), small.header.len()), (4, 3));
    assert!(!small.caption.contains("evenly spaced"));
}

#[test]
fn every_canvas_figure_has_its_tables() {
    let state = PageState::default();
    assert_eq!(
        data_tables(FigureId::Factorisation, &state, Received::default()).len(),
        5
    );
    let spectra = Spectra::at(&state.factorisation);
    let received = Received {
        sigma: None,
        spectra: Some(&spectra),
    };
    let factorisation = data_tables(FigureId::Factorisation, &state, received);
    assert_eq!(factorisation.len(), 6);
    // The default 4×4 at rank 2: four singular values of each, the update's last two zero.
    let spectra = &factorisation[5];
    assert!(spectra
        .caption
        .starts_with("Singular values, all 4 of each"));
    assert_eq!(spectra.rows.len(), 4);
    assert_eq!(
        (spectra.rows[2][2].as_str(), spectra.rows[3][2].as_str()),
        ("0", "0")
    );
    assert_ne!(spectra.rows[1][2], "0");
    assert_eq!(
        data_tables(FigureId::Memory, &state, Received::default())[0]
            .rows
            .len(),
        4
    );
    let rank = &data_tables(FigureId::Rank, &state, Received::default())[0];
    assert!(rank
        .rows
        .iter()
        .any(|r| r == &["8", "16,384", "1,048,576", "64.0×"]));
    let maths = &data_tables(FigureId::Maths, &state, Received::default())[0];
    assert_eq!(
        maths.rows.len(),
        8,
        "the longest vector is x, k = 8 entries"
    );
    assert!(
        data_tables(FigureId::Spectrum, &state, Received::default()).is_empty(),
        "nothing before the worker answers"
    );
    let values: Vec<f64> = (1..=100).rev().map(f64::from).collect();
    assert_eq!(
        data_tables(FigureId::Spectrum, &state, sigma(&values))[0]
            .rows
            .len(),
        32 + 4
    );
    assert_eq!(
        data_tables(FigureId::Approximation, &state, sigma(&values))[0]
            .rows
            .len(),
        64
    );
    assert!(data_tables(FigureId::Comparison, &state, Received::default()).is_empty());
}

/// What the page holds once the worker has sent these singular values.
fn sigma(values: &[f64]) -> Received<'_> {
    Received {
        sigma: Some(values),
        spectra: None,
    }
}
