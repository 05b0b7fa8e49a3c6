//! Tests for the svd room.
//! Singular values by invariants, Eckart–Young, the energy and rank helpers by hand, and the
//! singular values against numpy's LAPACK (the oracle: an ignored test that scripts/test runs, with
//! `LORA_ORACLE_PYTHON` naming a Python with numpy).

use std::path::PathBuf;
use std::process::Command;

use lora_explorer::math::intrinsic::low_rank_plus_noise;
use lora_explorer::math::rng::Stream;
use lora_explorer::math::svd::{
    best_rank_approximation, compression_ratio, cumulative_energy, rank_for_energy,
    relative_frobenius_error, relative_tail_error, singular_values,
};
use nalgebra::DMatrix;
use proptest::prelude::*;

/// A rows×cols matrix of standard normals, from a stream no library matrix uses.
fn random(rows: usize, cols: usize, seed: u64) -> DMatrix<f64> {
    let stream = Stream::new(seed, 99);
    DMatrix::from_fn(rows, cols, |i, j| stream.normal(i, j))
}

/// Asserts |actual − expected| ≤ tol, naming the case.
fn check_close(actual: f64, expected: f64, tol: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tol,
        "{what}: {actual} against {expected} (tolerance {tol})"
    );
}

/// Checks the invariants every list of singular values of `m` must meet.
fn check_singular_value_invariants(m: &DMatrix<f64>) -> Result<(), TestCaseError> {
    let sigma = singular_values(m);
    prop_assert_eq!(sigma.len(), m.nrows().min(m.ncols()));
    prop_assert!(sigma.iter().all(|&s| s >= 0.0), "{:?}", sigma);
    prop_assert!(sigma.windows(2).all(|w| w[0] >= w[1]), "{:?}", sigma);
    let energy: f64 = sigma.iter().map(|s| s * s).sum();
    let frobenius_squared = m.norm_squared();
    prop_assert!(
        (energy - frobenius_squared).abs() <= 1e-9 * frobenius_squared,
        "Σσ² = {} but ‖m‖_F² = {}",
        energy,
        frobenius_squared
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn singular_values_are_sorted_non_negative_and_carry_the_frobenius_norm(
        rows in 1usize..14, cols in 1usize..14, seed in 0u64..1000,
    ) {
        check_singular_value_invariants(&random(rows, cols, seed))?;
        check_singular_value_invariants(&low_rank_plus_noise(rows, cols % 4, 0.01, seed))?;
    }

    #[test]
    fn eckart_young_the_error_of_the_truncation_is_the_tail_of_the_singular_values(
        rows in 1usize..12, cols in 1usize..12, rank_pick in 0usize..13, seed in 0u64..1000,
    ) {
        let m = random(rows, cols, seed);
        let rank = rank_pick % (rows.min(cols) + 2);
        check_best_rank_approximation(&m, rank);
    }

    #[test]
    fn cumulative_energy_rises_to_exactly_one(sigma in prop::collection::vec(0.0f64..100.0, 1..20)) {
        let shares = cumulative_energy(&sigma);
        prop_assert_eq!(shares.len(), sigma.len());
        prop_assert!(shares.windows(2).all(|w| w[0] <= w[1]), "{:?}", shares);
        prop_assert!(shares.iter().all(|&s| (0.0..=1.0).contains(&s)), "{:?}", shares);
        prop_assert_eq!(shares.last().copied(), Some(1.0));
    }

    #[test]
    fn rank_for_energy_is_the_smallest_count_reaching_the_threshold(
        raw in prop::collection::vec(0.0f64..100.0, 1..20), threshold in 0.01f64..1.0,
    ) {
        let mut sigma = raw;
        sigma.sort_by(|a, b| b.total_cmp(a));
        let shares = cumulative_energy(&sigma);
        let r = rank_for_energy(&sigma, threshold);
        prop_assert!((1..=sigma.len()).contains(&r));
        prop_assert!(shares[r - 1] >= threshold);
        prop_assert!(r == 1 || shares[r - 2] < threshold);
        // Explaining a share t of the energy leaves a relative error of at most √(1 − t).
        prop_assert!(relative_tail_error(&sigma, r) <= (1.0 - threshold).sqrt() + 1e-12);
    }
}

/// Checks Eckart–Young for `m` at `rank`: the truncation's error is the singular values' tail, and
/// the truncation has rank min(rank, min dim) with the leading singular values of `m`.
fn check_best_rank_approximation(m: &DMatrix<f64>, rank: usize) {
    let what = format!("{}×{} at rank {rank}", m.nrows(), m.ncols());
    let sigma = singular_values(m);
    let low = best_rank_approximation(m, rank);
    assert_eq!(low.approximation.shape(), m.shape(), "{what}");
    assert_eq!(low.singular_values.len(), sigma.len(), "{what}");
    let top = sigma[0];
    for (ours, fast) in low.singular_values.iter().zip(&sigma) {
        check_close(*ours, *fast, 1e-12 * top, &what);
    }
    check_close(
        relative_frobenius_error(m, &low.approximation),
        relative_tail_error(&sigma, rank),
        1e-9,
        &what,
    );
    // The approximation's own singular values: the first `kept` of m's, then zeros.
    let kept = rank.min(sigma.len());
    let of_approximation = singular_values(&low.approximation);
    for (i, s) in of_approximation.iter().enumerate() {
        let expected = if i < kept { sigma[i] } else { 0.0 };
        check_close(*s, expected, 1e-10 * top, &format!("{what}, σ{}", i + 1));
    }
}

#[test]
fn eckart_young_on_the_notebooks_kind_of_matrix() {
    let m = low_rank_plus_noise(48, 4, 0.01, 5);
    for rank in [0, 1, 3, 4, 5, 16, 47, 48, 60] {
        check_best_rank_approximation(&m, rank);
    }
    // Past the true rank only noise is left: the error drops by orders of magnitude at rank 4.
    let sigma = singular_values(&m);
    assert!(relative_tail_error(&sigma, 3) > 0.05);
    assert!(relative_tail_error(&sigma, 4) < 0.01);
}

#[test]
fn extreme_ranks_give_zero_and_the_matrix_itself() {
    let m = random(6, 4, 1);
    assert_eq!(best_rank_approximation(&m, 4).approximation, m);
    assert_eq!(best_rank_approximation(&m, 9).approximation, m);
    assert!(best_rank_approximation(&m, 0)
        .approximation
        .iter()
        .all(|&v| v == 0.0));
    assert_eq!(relative_tail_error(&singular_values(&m), 0), 1.0);
}

#[test]
fn a_matrix_of_true_rank_k_without_noise_has_k_nonzero_singular_values() {
    for (n, k, seed) in [(30, 4, 1), (40, 1, 2), (25, 10, 3)] {
        let sigma = singular_values(&low_rank_plus_noise(n, k, 0.0, seed));
        assert!(sigma[k - 1] > 1e-3 * sigma[0], "n={n} k={k}: {sigma:?}");
        for s in &sigma[k..] {
            assert!(*s <= 1e-12 * sigma[0], "n={n} k={k}: {sigma:?}");
        }
    }
}

#[test]
fn low_rank_plus_noise_is_reproducible_and_independent_of_the_size() {
    for noise in [0.0, 0.01] {
        let small = low_rank_plus_noise(20, 3, noise, 7);
        let large = low_rank_plus_noise(40, 3, noise, 7);
        assert_eq!(small, low_rank_plus_noise(20, 3, noise, 7));
        assert_eq!(small, large.view((0, 0), (20, 20)).into_owned());
        let other = low_rank_plus_noise(20, 3, noise, 8);
        assert!(small.iter().zip(other.iter()).any(|(a, b)| a != b));
    }
}

#[test]
fn rank_zero_is_pure_noise_and_no_noise_no_rank_is_zero() {
    let noise = low_rank_plus_noise(64, 0, 0.5, 3);
    let n = noise.len() as f64;
    let mean = noise.sum() / n;
    let sd = (noise.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!(mean.abs() < 0.05, "mean {mean}");
    assert!((sd / 0.5 - 1.0).abs() < 0.05, "sd {sd}");
    assert!(low_rank_plus_noise(8, 0, 0.0, 3).iter().all(|&v| v == 0.0));
}

#[test]
fn energy_and_rank_by_hand() {
    let sigma = [3.0, 2.0, 1.0];
    let shares = cumulative_energy(&sigma);
    for (share, expected) in shares.iter().zip([9.0 / 14.0, 13.0 / 14.0, 1.0]) {
        check_close(*share, expected, 1e-15, "σ = [3, 2, 1]");
    }
    for (threshold, rank) in [
        (0.6, 1),
        (9.0 / 14.0, 1),
        (0.9, 2),
        (0.95, 3),
        (1.0, 3),
        (0.0, 1),
        (-1.0, 1),
        (2.0, 3),
        (f64::NAN, 3),
    ] {
        assert_eq!(
            rank_for_energy(&sigma, threshold),
            rank,
            "threshold {threshold}"
        );
    }
    check_close(
        relative_tail_error(&sigma, 1),
        (5.0f64 / 14.0).sqrt(),
        1e-15,
        "tail after 1",
    );
    check_close(
        relative_tail_error(&sigma, 2),
        (1.0f64 / 14.0).sqrt(),
        1e-15,
        "tail after 2",
    );
    assert_eq!(relative_tail_error(&sigma, 3), 0.0);
    assert_eq!(relative_tail_error(&sigma, 7), 0.0);
    // Nothing left out is zero, not −0.0, which once printed as "-0.000000000".
    assert!(relative_tail_error(&sigma, 3).is_sign_positive());
    assert!(relative_tail_error(&sigma, 7).is_sign_positive());
}

#[test]
fn zero_and_empty_inputs_are_defined() {
    assert_eq!(cumulative_energy(&[0.0, 0.0]), vec![1.0, 1.0]);
    assert!(cumulative_energy(&[]).is_empty());
    assert_eq!(rank_for_energy(&[0.0, 0.0], 0.95), 1);
    assert_eq!(rank_for_energy(&[], 0.95), 0);
    assert_eq!(relative_tail_error(&[0.0, 0.0], 1), 0.0);
    let zero = DMatrix::<f64>::zeros(3, 2);
    assert_eq!(singular_values(&zero), vec![0.0, 0.0]);
    assert_eq!(relative_frobenius_error(&zero, &zero), 0.0);
    assert_eq!(
        relative_frobenius_error(&zero, &random(3, 2, 1)),
        f64::INFINITY
    );
    assert!(relative_frobenius_error(&zero, &DMatrix::zeros(2, 3)).is_nan());
    assert!(singular_values(&DMatrix::<f64>::zeros(0, 3)).is_empty());
    let mut broken = random(3, 3, 1);
    broken[(1, 1)] = f64::NAN;
    assert!(singular_values(&broken).iter().all(|s| s.is_nan()));
    assert!(best_rank_approximation(&broken, 1)
        .approximation
        .iter()
        .all(|v| v.is_nan()));
}

#[test]
fn compression_ratio_is_the_notebooks_n_over_2r_for_square_matrices() {
    for rank in 1..=512 {
        let expected = 256.0 / rank as f64;
        check_close(
            compression_ratio(512, 512, rank),
            expected,
            1e-12 * expected,
            "512×512",
        );
    }
    check_close(compression_ratio(64, 32, 4), 2048.0 / 384.0, 1e-12, "64×32");
    assert_eq!(compression_ratio(8, 8, 0), f64::INFINITY);
}

// The oracle: numpy's np.linalg.svd (LAPACK's gesdd) on the same matrices.

/// Tolerance on singular values: relative 1e-9 for values above the rounding floor. A backward-stable
/// SVD errs by about n·ε·σ₁ in absolute terms, so values below `FLOOR`·σ₁ (the zeros of a
/// rank-deficient matrix, the smallest noise values) are compared absolutely, to 1e-9·σ₁.
const RELATIVE_TOLERANCE: f64 = 1e-9;
const FLOOR: f64 = 1e-6;

/// Figure 3's merged weight W₀ + (α/r)·BA, as the page's spectrum chart decomposes it.
fn factorisation_merged(d: u32, k: u32, r: u32, alpha: f64) -> DMatrix<f64> {
    let mut state = lora_explorer::state::FactorisationState::figure();
    (state.d, state.k, state.r, state.alpha) = (d, k, r, alpha);
    let figure = lora_explorer::figures::factorisation::FactorisationFigure::new(&state);
    assert_eq!(
        lora_explorer::figures::factorisation::Spectra::at(&state).merged,
        singular_values(&figure.matrices.merged)
    );
    figure.matrices.merged
}

/// Writes `m` for the oracle: "rows cols", then one line of 17-digit floats per row.
pub(crate) fn write_matrix(m: &DMatrix<f64>, name: &str) -> PathBuf {
    let mut text = format!("{} {}\n", m.nrows(), m.ncols());
    for row in m.row_iter() {
        let line: Vec<String> = row.iter().map(|v| format!("{v:.17e}")).collect();
        text.push_str(&line.join(" "));
        text.push('\n');
    }
    let path = std::env::temp_dir().join(format!(
        "lora-explorer-oracle-{}-{name}.txt",
        std::process::id()
    ));
    std::fs::write(&path, text)
        .unwrap_or_else(|e| panic!("could not write {}: {e}", path.display()));
    path
}

/// numpy's singular values of `m` and its 95% rank (the notebook's np.where index plus one).
fn numpy_singular_values(python: &str, m: &DMatrix<f64>, name: &str) -> (Vec<f64>, usize) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/oracle/singular_values.py"
    );
    let path = write_matrix(m, name);
    let output = Command::new(python).arg(script).arg(&path).output();
    std::fs::remove_file(&path).ok();
    let output = output.unwrap_or_else(|e| panic!("could not run {python}: {e}"));
    assert!(
        output.status.success(),
        "the oracle failed on {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut values = Vec::new();
    let mut rank95 = None;
    for line in stdout.lines() {
        match line.strip_prefix("rank95 ") {
            Some(rank) => rank95 = Some(rank.trim().parse::<usize>()),
            None => values.push(line.trim().parse::<f64>()),
        }
    }
    let values: Result<Vec<f64>, _> = values.into_iter().collect();
    match (values, rank95) {
        (Ok(values), Some(Ok(rank95))) => (values, rank95),
        _ => panic!("the oracle's output on {name} does not parse:\n{stdout}"),
    }
}

#[test]
#[ignore = "needs numpy: scripts/test runs it with LORA_ORACLE_PYTHON naming the test environment's Python"]
fn singular_values_agree_with_numpy() {
    let python = std::env::var("LORA_ORACLE_PYTHON")
        .expect("LORA_ORACLE_PYTHON must name a Python with numpy, as scripts/test sets it");
    let rank_three = &random(30, 3, 4) * &random(3, 30, 5);
    let cases = [
        ("random-7x5", random(7, 5, 1)),
        ("random-5x9", random(5, 9, 2)),
        ("random-40x40", random(40, 40, 3)),
        ("rank3-30x30", rank_three),
        ("lowrank-64", low_rank_plus_noise(64, 4, 1e-3, 6)),
        ("notebook-512", low_rank_plus_noise(512, 16, 0.01, 42)),
        (
            "factorisation-merged-64x48",
            factorisation_merged(64, 48, 8, 64.0),
        ),
        (
            "factorisation-merged-full-rank",
            factorisation_merged(16, 16, 16, 1.0),
        ),
    ];
    for (name, m) in &cases {
        let started = std::time::Instant::now();
        let ours = singular_values(m);
        let took = started.elapsed();
        let (numpy, numpy_rank95) = numpy_singular_values(&python, m, name);
        assert_eq!(ours.len(), numpy.len(), "{name}");
        let top = numpy[0];
        let mut worst_relative = 0.0f64;
        let mut worst_absolute = 0.0f64;
        let mut below_floor = 0;
        for (i, (o, n)) in ours.iter().zip(&numpy).enumerate() {
            let error = (o - n).abs();
            let tolerance = if *n >= FLOOR * top {
                worst_relative = worst_relative.max(error / n);
                RELATIVE_TOLERANCE * n
            } else {
                worst_absolute = worst_absolute.max(error / top);
                below_floor += 1;
                RELATIVE_TOLERANCE * top
            };
            assert!(
                error <= tolerance,
                "{name}, σ{}: ours {o:e}, numpy {n:e}",
                i + 1
            );
        }
        eprintln!(
            "{name}: max relative error {worst_relative:.1e} above the floor, \
             max error/σ₁ {worst_absolute:.1e} on the {below_floor} below it; 95% rank {numpy_rank95}; ours took {took:.1?}"
        );
        // The 95% rank, counted: ours from our values, numpy's as np.where(...)[0][0] + 1.
        assert_eq!(rank_for_energy(&ours, 0.95), numpy_rank95, "{name}");
        assert_eq!(rank_for_energy(&numpy, 0.95), numpy_rank95, "{name}");
    }
}

#[test]
fn the_spectrum_summary_compares_the_rank_found_with_the_true_rank() {
    use lora_explorer::figures::intrinsic::SpectrumSummary;
    // Three strong directions and a weak tail: 95% is reached at 2, 99.9% at 4.
    let sigma = [10.0, 8.0, 1.0, 0.5, 0.01];
    let at_95 = SpectrumSummary::new(&sigma, 95.0);
    assert_eq!(at_95.rank, 2);
    let [reached, compression, notebook] = at_95.lines(5, 95.0, 3);
    assert!(
        reached.contains("fewer than the true rank 3") && reached.contains("less than 5%"),
        "{reached}"
    );
    assert!(
        compression.contains("2·5·2 = 20 parameters, 1.2× fewer than the 25 of ΔW itself"),
        "{compression}"
    );
    assert!(notebook.contains("would print rank 1"), "{notebook}");
    let at_999 = SpectrumSummary::new(&sigma, 99.9);
    assert_eq!(at_999.rank, 4);
    assert!(at_999.lines(5, 99.9, 3)[0]
        .contains("more than the true rank 3: the noise carries more than 0.1%"));
    assert!(
        SpectrumSummary::new(&sigma, 99.5).lines(5, 99.5, 3)[0].ends_with("That is the true rank.")
    );
}

#[test]
fn a_decompositions_factors_multiply_to_its_truncation() {
    use lora_explorer::math::svd::Decomposition;
    let m = random(7, 5, 3);
    let decomposition = Decomposition::new(&m).expect("finite input");
    for rank in 0..=6 {
        let (u_sigma, v_t) = decomposition.factors(rank);
        let kept = rank.min(5);
        assert_eq!((u_sigma.shape(), v_t.shape()), ((7, kept), (kept, 5)));
        let product = &u_sigma * &v_t;
        assert!(
            (product - decomposition.truncate(rank)).amax() < 1e-12,
            "rank {rank}"
        );
        // Vᵀ's rows are orthonormal, and U·Σ's columns have the singular values as norms.
        let gram = &v_t * v_t.transpose();
        assert!((gram - DMatrix::identity(kept, kept)).amax() < 1e-12);
        for (l, column) in u_sigma.column_iter().enumerate() {
            let sigma = decomposition.singular_values()[l];
            assert!((column.norm() - sigma).abs() < 1e-12 * sigma.max(1.0));
        }
    }
}
