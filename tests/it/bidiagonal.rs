//! Tests for the fast singular values: the Householder bidiagonalisation and dqds, against
//! nalgebra's SVD (and, through `svd.rs`'s oracle test, numpy's LAPACK).

use lora_explorer::math::bidiagonal::{bidiagonal_singular_values, bidiagonalise, singular_values};
use lora_explorer::math::intrinsic::low_rank_plus_noise;
use lora_explorer::math::rng::Stream;
use nalgebra::DMatrix;
use proptest::prelude::*;

/// A rows×cols matrix of standard normals, from a stream no library matrix uses.
fn random(rows: usize, cols: usize, seed: u64) -> DMatrix<f64> {
    let stream = Stream::new(seed, 98);
    DMatrix::from_fn(rows, cols, |i, j| stream.normal(i, j))
}

/// nalgebra's singular values, descending.
fn reference(m: &DMatrix<f64>) -> Vec<f64> {
    let mut values: Vec<f64> = nalgebra::SVD::new(m.clone(), false, false)
        .singular_values
        .iter()
        .map(|s| s.abs())
        .collect();
    values.sort_by(|a, b| b.total_cmp(a));
    values
}

/// Asserts that `ours` and `theirs` (both descending) agree: each value to `relative` of itself,
/// or to `absolute`·σ₁ for values that small, as two backward-stable SVDs must.
fn check_agree(ours: &[f64], theirs: &[f64], relative: f64, absolute: f64, what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}: lengths");
    let top = theirs.first().copied().unwrap_or(0.0);
    for (i, (o, t)) in ours.iter().zip(theirs).enumerate() {
        let error = (o - t).abs();
        assert!(
            error <= relative * t || error <= absolute * top,
            "{what}, σ{}: ours {o:e}, nalgebra {t:e} (error {:.1e} relative, {:.1e} of σ₁)",
            i + 1,
            error / t,
            error / top
        );
    }
    assert!(ours.iter().all(|&s| s >= 0.0), "{what}: {ours:?}");
    assert!(ours.windows(2).all(|w| w[0] >= w[1]), "{what}: {ours:?}");
}

fn check(m: &DMatrix<f64>, what: &str) {
    let ours = singular_values(m).unwrap_or_else(|| panic!("{what}: no values"));
    check_agree(&ours, &reference(m), 1e-10, 1e-13, what);
}

#[test]
fn random_square_matrices_agree_with_nalgebra() {
    for (n, seed) in [
        (1, 1),
        (2, 2),
        (3, 3),
        (4, 4),
        (5, 5),
        (8, 6),
        (17, 7),
        (64, 8),
        (200, 9),
    ] {
        check(&random(n, n, seed), &format!("random {n}×{n}"));
    }
}

#[test]
fn the_figure_matrix_agrees_with_nalgebra() {
    check(
        &low_rank_plus_noise(512, 16, 0.01, 42),
        "512×512, rank 16 + noise",
    );
    check(
        &low_rank_plus_noise(128, 4, 1e-4, 3),
        "128×128, rank 4 + small noise",
    );
}

#[test]
fn tall_and_wide_matrices_agree_with_nalgebra() {
    for (rows, cols) in [
        (7, 5),
        (5, 7),
        (40, 3),
        (3, 40),
        (100, 37),
        (37, 100),
        (2, 1),
        (1, 2),
    ] {
        check(&random(rows, cols, 11), &format!("{rows}×{cols}"));
    }
}

#[test]
fn a_single_row_or_column_has_its_norm_as_its_value() {
    for m in [random(1, 9, 3), random(9, 1, 4), random(1, 1, 5)] {
        let values = singular_values(&m).unwrap_or_default();
        assert_eq!(values.len(), 1);
        assert!(
            (values[0] - m.norm()).abs() <= 1e-14 * m.norm(),
            "{values:?}"
        );
    }
}

#[test]
fn zero_and_empty_matrices() {
    assert_eq!(singular_values(&DMatrix::zeros(4, 6)), Some(vec![0.0; 4]));
    assert_eq!(singular_values(&DMatrix::zeros(0, 3)), Some(vec![]));
    assert_eq!(singular_values(&DMatrix::zeros(3, 0)), Some(vec![]));
    assert_eq!(bidiagonal_singular_values(&[], &[]), Some(vec![]));
    assert_eq!(
        bidiagonal_singular_values(&[0.0; 3], &[0.0; 2]),
        Some(vec![0.0; 3])
    );
}

#[test]
fn non_finite_entries_and_mismatched_lengths_give_nothing() {
    let mut m = random(4, 4, 1);
    m[(2, 3)] = f64::NAN;
    assert_eq!(singular_values(&m), None);
    m[(2, 3)] = f64::INFINITY;
    assert_eq!(singular_values(&m), None);
    assert_eq!(bidiagonal_singular_values(&[1.0, 2.0], &[]), None);
    assert_eq!(bidiagonal_singular_values(&[1.0], &[1.0]), None);
}

#[test]
fn rank_deficient_matrices_have_zeros_at_rounding_level() {
    for (n, rank) in [(30, 3), (64, 1), (100, 50), (16, 15)] {
        let m = &random(n, rank, 21) * &random(rank, n, 22);
        let ours = singular_values(&m).unwrap_or_default();
        let theirs = reference(&m);
        check_agree(
            &ours,
            &theirs,
            1e-10,
            1e-13,
            &format!("rank {rank} of {n}×{n}"),
        );
        assert!(
            ours[rank..].iter().all(|&s| s <= 1e-13 * ours[0]),
            "{ours:?}"
        );
        assert!(ours[rank - 1] > 1e-6 * ours[0]);
    }
}

#[test]
fn graded_spectra_keep_their_small_values() {
    // U·diag(σ)·Vᵀ with σ falling geometrically to 1e-4 of σ₁, as the figure's tail does, and much
    // further: a backward-stable SVD is exact to about n·ε·σ₁ in each value.
    for (n, smallest) in [(64usize, 1e-4f64), (64, 1e-10), (200, 1e-4)] {
        let sigma: Vec<f64> = (0..n)
            .map(|i| smallest.powf(i as f64 / (n - 1) as f64))
            .collect();
        let u = random(n, n, 31).qr().q();
        let v = random(n, n, 32).qr().q();
        let m = &u
            * DMatrix::from_diagonal(&nalgebra::DVector::from_vec(sigma.clone()))
            * v.transpose();
        let ours = singular_values(&m).unwrap_or_default();
        check_agree(
            &ours,
            &reference(&m),
            1e-10,
            1e-13,
            &format!("graded to {smallest:e}, {n}×{n}"),
        );
        for (i, (o, s)) in ours.iter().zip(&sigma).enumerate() {
            assert!(
                (o - s).abs() <= 1e-13 * sigma[0] + 1e-9 * s,
                "σ{}: {o:e} against {s:e}",
                i + 1
            );
        }
    }
}

#[test]
fn dqds_keeps_tiny_values_of_a_bidiagonal_to_full_relative_accuracy() {
    // A graded bidiagonal: diagonal 1, 1e-3, 1e-6, …; its smallest value is about 1e-30, far below
    // ε·σ₁, yet dqds finds it to a few ulps, as a relatively accurate algorithm must.
    let n = 11;
    let diagonal: Vec<f64> = (0..n).map(|i| 1e-3f64.powi(i)).collect();
    let superdiagonal: Vec<f64> = (0..n - 1).map(|i| 0.5 * 1e-3f64.powi(i + 1)).collect();
    let values = bidiagonal_singular_values(&diagonal, &superdiagonal).unwrap_or_default();
    // The product of the singular values is |det B| = Π dᵢ.
    let log_det: f64 = diagonal.iter().map(|d| d.ln()).sum();
    let log_product: f64 = values.iter().map(|s| s.ln()).sum();
    assert!(
        (log_det - log_product).abs() < 1e-12 * n as f64,
        "{log_det} against {log_product}"
    );
    // The smallest is close to the last diagonal entry divided by a modest factor.
    let smallest = values[n as usize - 1];
    assert!(smallest > 1e-31 && smallest < 1e-29, "{values:?}");
}

#[test]
fn the_bidiagonal_has_the_matrix_s_singular_values() {
    let m = random(9, 6, 41);
    let b = bidiagonalise(&m);
    assert_eq!((b.diagonal.len(), b.superdiagonal.len()), (6, 5));
    let mut full = DMatrix::zeros(6, 6);
    for i in 0..6 {
        full[(i, i)] = b.diagonal[i];
        if i + 1 < 6 {
            full[(i, i + 1)] = b.superdiagonal[i];
        }
    }
    check_agree(
        &reference(&full),
        &reference(&m),
        1e-12,
        1e-14,
        "bidiagonal",
    );
    // Orthogonal transformations keep the Frobenius norm.
    assert!((full.norm() - m.norm()).abs() < 1e-13 * m.norm());
}

#[test]
fn extreme_scales_are_handled() {
    for scale in [1e-300, 1e-200, 1e200, 1e300] {
        let m = random(12, 10, 51) * scale;
        let ours = singular_values(&m).unwrap_or_default();
        let theirs: Vec<f64> = reference(&random(12, 10, 51))
            .iter()
            .map(|s| s * scale)
            .collect();
        check_agree(&ours, &theirs, 1e-10, 1e-13, &format!("scale {scale:e}"));
    }
}

#[test]
fn repeated_and_clustered_values() {
    // An identity, a multiple of an orthogonal matrix, and a 2×2 block pattern.
    check(&DMatrix::identity(50, 50), "identity");
    let q = random(40, 40, 61).qr().q() * 3.0;
    let ours = singular_values(&q).unwrap_or_default();
    assert!(ours.iter().all(|s| (s - 3.0).abs() < 1e-13), "{ours:?}");
    let blocks = DMatrix::from_fn(30, 30, |i, j| if i / 2 == j / 2 { 1.0 } else { 0.0 });
    check(&blocks, "2×2 blocks of ones");
    let diagonal = DMatrix::from_fn(20, 20, |i, j| if i == j { (i % 3) as f64 } else { 0.0 });
    check(&diagonal, "diagonal with zeros and repeats");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_matrix_agrees_with_nalgebra(
        rows in 1usize..24,
        cols in 1usize..24,
        seed in 0u64..1000,
        rank in 0usize..24,
        zero_row in proptest::option::of(0usize..24),
    ) {
        let rank = rank.min(rows).min(cols);
        let mut m = if rank == rows.min(cols) {
            random(rows, cols, seed)
        } else {
            &random(rows, rank, seed) * &random(rank, cols, seed + 1)
        };
        if let Some(row) = zero_row {
            if row < rows {
                m.row_mut(row).fill(0.0);
            }
        }
        let ours = singular_values(&m).unwrap_or_default();
        let theirs = reference(&m);
        prop_assert_eq!(ours.len(), theirs.len());
        let top = theirs.first().copied().unwrap_or(0.0);
        for (o, t) in ours.iter().zip(&theirs) {
            prop_assert!((o - t).abs() <= 1e-10 * t + 1e-13 * top, "{:?} against {:?}", ours, theirs);
        }
    }

    #[test]
    fn any_bidiagonal_agrees_with_nalgebra(
        diagonal in proptest::collection::vec(-10.0f64..10.0, 1..30),
        superdiagonal in proptest::collection::vec(-10.0f64..10.0, 29),
        zeros in proptest::collection::vec(0usize..60, 0..4),
    ) {
        let n = diagonal.len();
        let mut diagonal = diagonal;
        let mut superdiagonal = superdiagonal[..n - 1].to_vec();
        for z in zeros {
            if z < n {
                diagonal[z] = 0.0;
            } else if z - n < n - 1 {
                superdiagonal[z - n] = 0.0;
            }
        }
        let full = DMatrix::from_fn(n, n, |i, j| {
            if i == j { diagonal[i] } else if j == i + 1 { superdiagonal[i] } else { 0.0 }
        });
        let ours = bidiagonal_singular_values(&diagonal, &superdiagonal).unwrap_or_default();
        let theirs = reference(&full);
        let top = theirs.first().copied().unwrap_or(0.0);
        prop_assert_eq!(ours.len(), n);
        for (o, t) in ours.iter().zip(&theirs) {
            prop_assert!((o - t).abs() <= 1e-10 * t + 1e-13 * top, "{:?} against {:?}", ours, theirs);
        }
    }
}
