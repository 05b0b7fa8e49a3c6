//! The LoRA matrices, their counts and the figure built on them.

use lora_explorer::figures::factorisation::{FactorisationFigure, MatrixId};
use lora_explorer::math::lora::{AdapterInit, Factorisation, ParamCounts};
use lora_explorer::state::FactorisationState;
use nalgebra::DMatrix;
use proptest::prelude::*;

/// The figure's default state at another size.
fn sized(d: u32, k: u32, r: u32) -> FactorisationState {
    let mut state = FactorisationState::figure();
    (state.d, state.k, state.r) = (d, k, r);
    state
}

fn max_abs_diff(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b.iter())
        .fold(0.0, |acc, (x, y)| acc.max((x - y).abs()))
}

/// Checks the counts of a d×k matrix at rank r against the closed forms and an expected reduction.
fn check_counts(d: u64, k: u64, r: u64, full: u64, lora: u64, reduction: f64) {
    let counts = ParamCounts::new(d, k, r);
    assert_eq!(
        (counts.full, counts.lora),
        (full, lora),
        "d={d} k={k} r={r}"
    );
    assert!(
        (counts.reduction() - reduction).abs() < 1e-9,
        "d={d} k={k} r={r}: {}",
        counts.reduction()
    );
}

#[test]
fn counts_match_the_notebook_where_it_is_right() {
    // The notebook's 4×4, rank-2 example: 16 against 16, no saving at all.
    check_counts(4, 4, 2, 16, 16, 1.0);
    // Its 1024×1024 layer: rank 8 gives 16,384 parameters (64×), rank 16 gives 32,768 (32×).
    check_counts(1024, 1024, 8, 1_048_576, 16_384, 64.0);
    check_counts(1024, 1024, 16, 1_048_576, 32_768, 32.0);
    // A non-square layer: 64×32 at rank 4 is 2,048 against 4·96 = 384.
    check_counts(64, 32, 4, 2048, 384, 2048.0 / 384.0);
}

#[test]
fn same_seed_same_matrices_other_seed_other_matrices() {
    let first = Factorisation::generate(16, 12, 4, 8.0, 7, AdapterInit::Trained);
    let again = Factorisation::generate(16, 12, 4, 8.0, 7, AdapterInit::Trained);
    let other = Factorisation::generate(16, 12, 4, 8.0, 8, AdapterInit::Trained);
    assert_eq!(first, again);
    assert!(max_abs_diff(&first.w0, &other.w0) > 0.1);
    assert!(max_abs_diff(&first.b, &other.b) > 0.1);
}

#[test]
fn entries_keep_their_values_when_the_shape_changes() {
    let small = Factorisation::generate(8, 6, 2, 2.0, 3, AdapterInit::Trained);
    let large = Factorisation::generate(20, 30, 5, 2.0, 3, AdapterInit::Trained);
    assert_eq!(small.w0, large.w0.view((0, 0), (8, 6)).into_owned());
    assert_eq!(small.b, large.b.view((0, 0), (8, 2)).into_owned());
    assert_eq!(small.a, large.a.view((0, 0), (2, 6)).into_owned());
}

#[test]
fn matrices_have_the_expected_distribution() {
    // 64×64 draws: sample mean near 0 and sample standard deviation near the stated one.
    let f = Factorisation::generate(64, 64, 64, 64.0, 11, AdapterInit::Trained);
    for (name, m, std) in [("W0", &f.w0, 1.0), ("B", &f.b, 0.5), ("A", &f.a, 0.5)] {
        let n = m.len() as f64;
        let mean = m.sum() / n;
        let sd = (m.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        assert!(mean.abs() < 0.05 * std, "{name}: mean {mean}");
        assert!((sd / std - 1.0).abs() < 0.05, "{name}: sd {sd}");
    }
}

#[test]
fn at_initialisation_b_is_zero_so_the_merged_weight_is_w0() {
    let f = Factorisation::generate(10, 7, 3, 16.0, 5, AdapterInit::AtInitialisation);
    assert!(f.b.iter().all(|&v| v == 0.0));
    assert!(f.delta.iter().all(|&v| v == 0.0));
    assert_eq!(f.merged, f.w0);
    // A is not zero, and lies within PEFT's Kaiming-uniform bound 1/√k.
    let bound = 1.0 / 7f64.sqrt();
    assert!(f.a.iter().any(|&v| v != 0.0));
    assert!(f.a.iter().all(|&v| v.abs() < bound));
}

proptest! {
    #[test]
    fn delta_is_b_times_a_and_merged_is_w0_plus_scaled_delta(
        d in 2usize..20, k in 2usize..20, r_pick in 0usize..20, alpha in 1.0f64..64.0, seed in 0u64..1000,
    ) {
        let r = 1 + r_pick % d.min(k);
        let f = Factorisation::generate(d, k, r, alpha, seed, AdapterInit::Trained);
        prop_assert_eq!(f.b.shape(), (d, r));
        prop_assert_eq!(f.a.shape(), (r, k));
        // Entry by entry, ΔW[i,j] = Σₗ B[i,l]·A[l,j], summed here independently of nalgebra's product.
        for i in 0..d {
            for j in 0..k {
                let sum: f64 = (0..r).map(|l| f.b[(i, l)] * f.a[(l, j)]).sum();
                prop_assert!((f.delta[(i, j)] - sum).abs() < 1e-12);
                let merged = f.w0[(i, j)] + alpha / r as f64 * sum;
                prop_assert!((f.merged[(i, j)] - merged).abs() < 1e-12);
            }
        }
        // ΔW has rank at most r: its singular values beyond the r-th vanish.
        let sv = f.delta.clone().singular_values();
        let largest = sv.iter().cloned().fold(0.0, f64::max);
        let mut sorted: Vec<f64> = sv.iter().cloned().collect();
        sorted.sort_by(|a, b| b.total_cmp(a));
        for s in sorted.iter().skip(r) {
            prop_assert!(*s <= 1e-10 * largest.max(1.0));
        }
    }
}

#[test]
fn the_figure_reports_a_cell_of_delta_term_by_term() {
    let mut state = sized(5, 4, 3);
    state.alpha = 6.0;
    state.seed = 1;
    let figure = FactorisationFigure::new(&state);
    let report = figure
        .cell_report(MatrixId::Delta, 2, 1)
        .expect("the cell exists");
    // One line introducing the sum, one a term, one for the printed total, and the unrounded
    // value when the printed factors' sum differs from it.
    assert!((5..=6).contains(&report.lines.len()), "{:?}", report.lines);
    assert!(
        report.heading.starts_with("ΔW[3, 2] = "),
        "{}",
        report.heading
    );
    // Row 3 of B and column 2 of A are highlighted.
    let b = report
        .highlights
        .iter()
        .find(|h| h.matrix == MatrixId::B)
        .expect("B is highlighted");
    assert_eq!((b.rows.clone(), b.cols.clone()), (2..3, 0..3));
    let a = report
        .highlights
        .iter()
        .find(|h| h.matrix == MatrixId::A)
        .expect("A is highlighted");
    assert_eq!((a.rows.clone(), a.cols.clone()), (0..3, 1..2));
    assert!(figure.cell_report(MatrixId::Delta, 5, 0).is_none());
    assert!(figure.cell_report(MatrixId::B, 0, 3).is_none());
}

/// A number as the page prints it: true minus sign, maybe in brackets.
fn printed(text: &str) -> f64 {
    text.trim_matches(|c| c == '(' || c == ')')
        .replace('−', "-")
        .parse()
        .unwrap_or_else(|_| panic!("{text:?} is not a number"))
}

#[test]
fn every_cell_report_adds_up_as_printed() {
    for state in [FactorisationState::figure(), sized(8, 6, 4)] {
        let figure = FactorisationFigure::new(&state);
        let (d, k) = (state.d as usize, state.k as usize);
        for (row, col) in (0..d).flat_map(|row| (0..k).map(move |col| (row, col))) {
            let report = figure.cell_report(MatrixId::Delta, row, col).unwrap();
            let mut sum = 0.0;
            for line in report.lines.iter().filter(|l| l.starts_with("l = ")) {
                // "l = 1: b × a = p": p is b·a exactly as printed.
                let (_, terms) = line.split_once(": ").unwrap();
                let (factors, product) = terms.split_once(" = ").unwrap();
                let (b, a) = factors.split_once(" × ").unwrap();
                let (b, a, product) = (printed(b), printed(a), printed(product));
                assert!((b * a - product).abs() < 1e-12, "{line}");
                sum += product;
            }
            let total = report
                .lines
                .iter()
                .find_map(|l| l.strip_prefix("Sum of the printed terms: "))
                .unwrap();
            assert!((printed(total) - sum).abs() < 1e-12, "{:?}", report.lines);
            // The unrounded value is given whenever the printed sum is not it.
            let delta = figure.matrices.delta[(row, col)];
            let unrounded_given = report
                .lines
                .iter()
                .any(|l| l.starts_with("From the unrounded factors"));
            assert_eq!(
                unrounded_given,
                (delta * 1e6).round() != (printed(total) * 1e6).round(),
                "{:?}",
                report.lines
            );
        }
    }
}

/// α/r as the page prints it: "0.5", "3" or "(2/3)".
fn printed_ratio(text: &str) -> f64 {
    let inner = text.trim_matches(|c| c == '(' || c == ')');
    match inner.split_once('/') {
        Some((num, den)) => printed(num) / printed(den),
        None => printed(inner),
    }
}

#[test]
fn the_merged_cells_sum_adds_up_as_printed() {
    for (d, k, r, alpha) in [(4, 4, 2, 2.0), (5, 3, 3, 2.0), (6, 6, 4, 7.0)] {
        let mut state = sized(d, k, r);
        state.alpha = alpha;
        let figure = FactorisationFigure::new(&state);
        for (row, col) in (0..d as usize).flat_map(|row| (0..k as usize).map(move |col| (row, col)))
        {
            let report = figure.cell_report(MatrixId::Merged, row, col).unwrap();
            let line = report.lines.iter().find(|l| l.starts_with("W′[")).unwrap();
            // "W′[i, j] = W₀ + (α/r)·ΔW = a + s × b = c." or "… ≈ c, rounded to four decimals."
            let (_, arithmetic) = line.split_once("·ΔW = ").unwrap();
            let (a, rest) = arithmetic.split_once(" + ").unwrap();
            let (s, rest) = rest.split_once(" × ").unwrap();
            let (b, rest) = rest.split_once(['=', '≈']).unwrap();
            let c = rest
                .trim()
                .split([',', ' '])
                .next()
                .unwrap()
                .trim_end_matches('.');
            let sum = printed(a) + printed_ratio(s) * printed(b.trim());
            assert!((sum - printed(c)).abs() <= 0.5e-4 + 1e-12, "{line}");
            assert_eq!(
                line.contains('≈'),
                (sum - printed(c)).abs() > 1e-12,
                "{line}"
            );
        }
    }
}

#[test]
fn the_figure_says_plainly_when_lora_saves_nothing() {
    let figure = FactorisationFigure::new(&FactorisationState::default());
    let [w0, adapter, verdict] = figure.count_lines();
    assert!(w0.contains("= 16 parameters"), "{w0}");
    assert!(adapter.contains("= 16 trainable"), "{adapter}");
    assert!(
        verdict.contains("1.0×") && verdict.contains("saves nothing"),
        "{verdict}"
    );
    let big = FactorisationFigure::new(&sized(64, 64, 8));
    let [_, adapter, verdict] = big.count_lines();
    assert!(adapter.contains("1,024 trainable"), "{adapter}");
    assert!(verdict.contains("4.0× fewer"), "{verdict}");
}

#[test]
fn labels_carry_names_and_shapes() {
    let figure = FactorisationFigure::new(&sized(12, 9, 3));
    assert_eq!(figure.label(MatrixId::B), "B · 12×3");
    assert_eq!(figure.label(MatrixId::A), "A · 3×9");
    assert_eq!(figure.label(MatrixId::Merged), "W₀ + (α/r)·BA · 12×9");
}

// The spectrum chart's numbers: the update's rank, Weyl's inequality and the caption.

use lora_explorer::figures::factorisation::{Spectra, SpectraWorkbench, ZERO_TOLERANCE};
use lora_explorer::math::svd::singular_values;

/// A state of the figure: d×k at rank r, α, seed, trained or at initialisation.
fn figure_at(d: u32, k: u32, r: u32, alpha: f64, seed: u32, at_init: bool) -> FactorisationFigure {
    let mut state = sized(d, k, r);
    (state.alpha, state.seed, state.at_init) = (alpha, seed, at_init);
    FactorisationFigure::new(&state)
}

/// The spectra of a figure, as the worker computes them.
fn spectra_of(figure: &FactorisationFigure) -> Spectra {
    Spectra::at(&figure.state)
}

/// Checks Weyl's inequality on one figure: no singular value moves by more than σ₁ of the update.
fn check_weyl(figure: &FactorisationFigure) {
    let spectra = &spectra_of(figure);
    let bound = spectra.weyl_bound();
    // Round-off in two decompositions, each backward stable to a few ε·σ₁.
    let slack = 1e-12 * (1.0 + spectra.w0[0].max(spectra.merged[0]));
    for (i, (before, after)) in spectra.w0.iter().zip(&spectra.merged).enumerate() {
        assert!(
            (after - before).abs() <= bound + slack,
            "{:?}: σ{} moved {} > bound {bound}",
            figure.state,
            i + 1,
            (after - before).abs()
        );
    }
    assert!(spectra.largest_move().0 <= bound + slack);
}

#[test]
fn the_update_has_exactly_r_nonzero_singular_values() {
    for (d, k, r) in [
        (4, 4, 2),
        (2, 2, 2),
        (64, 64, 1),
        (64, 64, 64),
        (64, 8, 8),
        (8, 64, 5),
        (33, 17, 16),
    ] {
        for seed in [0, 42, 999] {
            let figure = figure_at(d, k, r, 2.0, seed, false);
            let spectra = &spectra_of(&figure);
            let expected = r.min(d).min(k) as usize;
            assert_eq!(spectra.len(), d.min(k) as usize);
            assert_eq!(spectra.update_rank(), expected, "{d}×{k} r={r} seed={seed}");
            // The others are exactly zero, not round-off.
            assert!(spectra.update[expected..].iter().all(|&s| s == 0.0));
            // Independently of the figure's own cut: the raw SVD of ΔW has r values above the
            // tolerance and the rest far below it.
            let raw = singular_values(&figure.matrices.delta);
            let above = raw.iter().filter(|&&s| s > ZERO_TOLERANCE * raw[0]).count();
            assert_eq!(above, expected, "{d}×{k} r={r} seed={seed}");
            assert!(raw[expected..].iter().all(|&s| s < 1e-13 * raw[0]));
            assert!(raw[expected - 1] > 1e-6 * raw[0]);
        }
    }
}

#[test]
fn at_initialisation_the_update_has_no_direction_and_the_spectrum_stays() {
    for (d, k, r) in [(4, 4, 2), (64, 48, 8), (2, 64, 2)] {
        let figure = figure_at(d, k, r, 64.0, 7, true);
        let spectra = &spectra_of(&figure);
        assert_eq!(spectra.update_rank(), 0);
        assert!(spectra.update.iter().all(|&s| s == 0.0));
        assert_eq!(spectra.weyl_bound(), 0.0);
        assert_eq!(spectra.merged, spectra.w0, "W₀ + 0 is W₀ exactly");
        assert_eq!(spectra.largest_move().0, 0.0);
        let caption = spectra.caption(r);
        assert!(
            caption.contains("no direction at all") && caption.contains("largest move 0"),
            "{caption}"
        );
    }
}

#[test]
fn weyls_inequality_holds_at_the_corners() {
    for (d, k) in [(2, 2), (2, 64), (64, 2), (64, 64), (17, 31)] {
        for r in [1, d.min(k)] {
            for alpha in [1.0, 64.0] {
                check_weyl(&figure_at(d, k, r, alpha, 42, false));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn weyls_inequality_holds(
        d in 2u32..=40,
        k in 2u32..=40,
        r in 1u32..=40,
        alpha in 1u32..=64,
        seed in 0u32..1000,
    ) {
        let r = r.min(d).min(k);
        check_weyl(&figure_at(d, k, r, f64::from(alpha), seed, false));
    }
}

#[test]
fn the_spectrum_caption_follows_its_numbers() {
    // Full rank: every singular value of the update is non-zero.
    let full = spectra_of(&figure_at(4, 4, 4, 2.0, 42, false));
    let caption = full.caption(4);
    assert!(
        caption.starts_with("The update (α/r)·BA has 4 directions: all 4 of its"),
        "{caption}"
    );
    // One direction, in the singular.
    let one = spectra_of(&figure_at(8, 6, 1, 2.0, 42, false));
    let caption = one.caption(1);
    assert!(
        caption.contains(
            "has 1 direction: 1 of its 6 singular values are non-zero and the other 5 are zero"
        ),
        "{caption}"
    );
    assert!(caption.contains("10⁻¹⁰ × σ₁ of the update"), "{caption}");
    // A very large α: the move nears the bound and is still printed at or below it.
    for (d, k, r) in [(4, 4, 1), (64, 64, 1), (64, 64, 64)] {
        let spectra = spectra_of(&figure_at(d, k, r, 64.0, 3, false));
        let caption = spectra.caption(r);
        let (moved, _) = spectra.largest_move();
        let printed = |x: f64| lora_explorer::format::significant(x, 4);
        assert!(
            caption.contains(&format!("by at most {}", printed(moved))),
            "{caption}"
        );
        assert!(
            caption.contains(&format!(
                "σ₁ of the update, {}.",
                printed(spectra.weyl_bound())
            )),
            "{caption}"
        );
        let parse = |s: String| s.replace('−', "-").parse::<f64>().unwrap();
        assert!(parse(printed(moved)) <= parse(printed(spectra.weyl_bound())));
    }
}

#[test]
fn a_pointed_index_reads_values_that_add_up_as_printed() {
    let spectra = spectra_of(&figure_at(6, 5, 2, 16.0, 42, false));
    for idx in 0..spectra.len() {
        let report = spectra.point_report(idx).unwrap();
        // "σᵢ: W₀ a, merged b, moved by c; …": c is |b − a| exactly as printed.
        let numbers: Vec<f64> = report
            .split([' ', ',', ';'])
            .filter_map(|w| w.replace('−', "-").parse::<f64>().ok())
            .collect();
        let (w0, merged, moved) = (numbers[0], numbers[1], numbers[2]);
        assert!(((merged - w0).abs() - moved).abs() < 1e-9, "{report}");
        if idx >= 2 {
            assert!(
                report.contains("update (α/r)·BA 0 (below the tolerance)"),
                "{report}"
            );
        }
    }
    assert_eq!(spectra.point_report(spectra.len()), None);
}

#[test]
fn the_workbench_gives_the_same_spectra_however_it_got_there() {
    // W₀'s singular values are reused while W₀ stays; the answers never depend on
    // what was asked before.
    let fresh = |state: &FactorisationState| Spectra::at(state);
    let mut workbench = SpectraWorkbench::default();
    let mut state = sized(16, 12, 4);
    let mut path = vec![state.clone()];
    for change in 0..6 {
        match change {
            0 => state.r = 2,
            1 => state.alpha = 64.0,
            2 => state.at_init = true,
            3 => state.seed += 1,
            4 => state.d = 15,
            _ => state.k = 16,
        }
        path.push(state.clone());
    }
    for state in &path {
        assert_eq!(workbench.spectra(state), fresh(state), "{state:?}");
    }
    // A wrong-length W₀ spectrum handed to Spectra::new is ignored, never trusted.
    let figure = FactorisationFigure::new(&sized(15, 12, 4));
    let spectra = Spectra::new(&figure.matrices, Some(vec![1.0; 3]));
    assert_eq!(spectra.w0.len(), 12);
    assert_eq!(spectra, fresh(&figure.state));
}

#[test]
fn the_updates_spectrum_from_the_small_problem_matches_a_full_decomposition() {
    // The figure takes σ(BA) from an r×r problem; the d×k product, decomposed directly, agrees.
    for (d, k, r, seed) in [
        (12, 9, 3, 5),
        (64, 64, 64, 1),
        (64, 8, 8, 2),
        (5, 40, 1, 3),
        (30, 20, 19, 4),
    ] {
        let figure = figure_at(d, k, r, 8.0, seed, false);
        assert_eq!(Spectra::new(&figure.matrices, None), spectra_of(&figure));
        let direct = singular_values(&(&figure.matrices.delta * figure.matrices.scale));
        let r = r as usize;
        for (i, (ours, theirs)) in spectra_of(&figure).update.iter().zip(&direct).enumerate() {
            let tolerance = if i < r {
                1e-12 * direct[0]
            } else {
                1e-13 * direct[0]
            };
            assert!(
                (ours - theirs).abs() <= tolerance,
                "{d}×{k} r={r}: σ{} {ours} against {theirs}",
                i + 1
            );
        }
    }
}

#[test]
fn a_figure_after_another_equals_a_fresh_one() {
    // Each step changes one control; the figure built on the previous one reuses what it can and
    // must equal the figure drawn from scratch, exactly.
    let mut state = sized(16, 12, 4);
    let mut figure = FactorisationFigure::new(&state);
    let steps: [fn(&mut FactorisationState); 16] = [
        |s| s.alpha = 37.0,
        |s| s.r = 2,
        |s| s.r = 12,
        |s| s.d = 40,
        |s| s.k = 3,
        |s| s.k = 64,
        |s| s.at_init = true,
        |s| s.k = 20,
        |s| s.r = 5,
        |s| s.alpha = 1.0,
        |s| s.at_init = false,
        |s| s.seed = 3,
        |s| s.d = 2,
        |s| s.r = 1,
        |s| s.d = 64,
        |s| s.alpha = 64.0,
    ];
    for (idx, step) in steps.iter().enumerate() {
        step(&mut state);
        state.r = state.r.min(state.d).min(state.k);
        figure = FactorisationFigure::after(Some(figure), &state);
        let fresh = FactorisationFigure::new(&state);
        assert_eq!(figure.matrices, fresh.matrices, "step {idx}: {state:?}");
        assert_eq!(
            (figure.colours, figure.counts),
            (fresh.colours, fresh.counts)
        );
    }
}
