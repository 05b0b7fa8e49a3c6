//! The counter-based random numbers: standard normals that are normal (that a block equals its
//! entries drawn one by one is tested with the matrices drawn from them).

use lora_explorer::math::quant::normal_cdf;
use lora_explorer::math::rng::Stream;

/// `count` normals from one stream, entry (i, j) of a 500-column grid.
fn draws(seed: u64, count: usize) -> Vec<f64> {
    let stream = Stream::new(seed, 3);
    (0..count)
        .map(|n| stream.normal(n / 500, n % 500))
        .collect()
}

#[test]
fn the_normals_pass_a_kolmogorov_smirnov_test_against_the_normal_distribution() {
    // 200,000 draws: at the 0.1% level the largest gap between the empirical and the true CDF
    // stays under 1.95/√n. The draws are fixed by their seeds, so this cannot flake.
    let n = 200_000;
    for seed in [1, 42, 999] {
        let mut values = draws(seed, n);
        values.sort_by(f64::total_cmp);
        let gap = values
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let cdf = normal_cdf(x);
                (cdf - i as f64 / n as f64).max((i + 1) as f64 / n as f64 - cdf)
            })
            .fold(0.0, f64::max);
        assert!(gap < 1.95 / (n as f64).sqrt(), "seed {seed}: D = {gap}");
        let mean = values.iter().sum::<f64>() / n as f64;
        let variance = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.01 && (variance - 1.0).abs() < 0.015,
            "{mean} {variance}"
        );
    }
}

#[test]
fn the_tails_are_as_heavy_as_the_normals() {
    // Beyond 3.44 (where the ziggurat hands over to its tail) and beyond 4: the counts in a million
    // draws lie within five standard deviations of their binomial expectations.
    let n = 1_000_000;
    let values = draws(7, n);
    for threshold in [2.0, 3.442_619_855_899, 4.0] {
        let p = 2.0 * (1.0 - normal_cdf(threshold));
        let expected = p * n as f64;
        let spread = 5.0 * (expected * (1.0 - p)).sqrt();
        let count = values.iter().filter(|x| x.abs() > threshold).count() as f64;
        assert!(
            (count - expected).abs() < spread,
            "beyond {threshold}: {count} against {expected:.0} ± {spread:.0}"
        );
    }
    let positive = values.iter().filter(|&&x| x > 0.0).count() as f64;
    assert!((positive / n as f64 - 0.5).abs() < 0.003);
}

/// A distribution function.
type Cdf = fn(f64) -> f64;

#[test]
fn student_t_entries_follow_their_distribution() {
    use lora_explorer::math::quant::{weight_matrix, Distribution};
    use std::f64::consts::PI;
    // Closed-form CDFs: ν = 1 (Cauchy) and 2 draw their gamma at a raised shape, ν = 3 directly.
    let cdfs: [(f64, Cdf); 3] = [
        (1.0, |x| 0.5 + x.atan() / PI),
        (2.0, |x| 0.5 + x / (2.0 * (2.0 + x * x).sqrt())),
        (3.0, |x| {
            let y = x / 3f64.sqrt();
            0.5 + (y / (1.0 + y * y) + y.atan()) / PI
        }),
    ];
    for (nu, cdf) in cdfs {
        let mut values = weight_matrix(400, 400, Distribution::StudentT { nu }, 11);
        let n = values.len();
        values.sort_by(f64::total_cmp);
        let gap = values
            .iter()
            .enumerate()
            .map(|(i, &x)| (cdf(x) - i as f64 / n as f64).max((i + 1) as f64 / n as f64 - cdf(x)))
            .fold(0.0, f64::max);
        assert!(gap < 1.95 / (n as f64).sqrt(), "ν = {nu}: D = {gap}");
    }
}
