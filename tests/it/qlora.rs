//! Tests for chapter 3, QLoRA: the codes, blockwise quantisation, double quantisation, LoftQ and
//! the memory of LLaMA-1 models.

use lora_explorer::math::quant::memory::{training_memory, QuantSettings, Setup, LLAMA};
use lora_explorer::math::quant::{
    bits_per_parameter, dynamic_codebook, inverse_normal_cdf, normal_cdf, normal_density,
    normal_map, quantisation_mse, residual_norms, weight_matrix, Code, Codebook, Distribution,
    DoubleQuantised, Fraction, LoftQ, Quantised, BLOCK_SIZES, NF4_OFFSET,
};
use nalgebra::DMatrix;

/// bitsandbytes' NF4 levels, as it ships them.
const NF4_PUBLISHED: [f64; 16] = [
    -1.0,
    -0.6961928009986877,
    -0.5250730514526367,
    -0.39491748809814453,
    -0.28444138169288635,
    -0.18477343022823334,
    -0.09105003625154495,
    0.0,
    0.07958029955625534,
    0.16093020141124725,
    0.24611230194568634,
    0.33791524171829224,
    0.44070982933044434,
    0.5626170039176941,
    0.7229568362236023,
    1.0,
];

/// Asserts |actual − expected| ≤ tol, naming the case.
fn close(actual: f64, expected: f64, tol: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tol,
        "{what}: {actual} against {expected} (tolerance {tol})"
    );
}

/// Φ(x) by Simpson's rule on the density from 0, independent of the library's series.
fn simpson_cdf(x: f64) -> f64 {
    let n = 20_000;
    let h = x / n as f64;
    let density = |t: f64| (-0.5 * t * t).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let inner: f64 = (1..n)
        .map(|i| density(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 })
        .sum();
    0.5 + h / 3.0 * (density(0.0) + inner + density(x))
}

#[test]
fn nf4_matches_the_published_levels_bit_for_bit() {
    let levels = normal_map(NF4_OFFSET);
    assert_eq!(levels.len(), 16);
    for (ours, theirs) in levels.iter().zip(NF4_PUBLISHED) {
        close(*ours, theirs, 1e-7, "NF4 level");
    }
    // The float32 roundings are bitsandbytes' own, so the agreement is exact.
    assert_eq!(levels, NF4_PUBLISHED.to_vec());
    assert_eq!(Code::Nf4.levels(), levels);
}

#[test]
fn the_normal_quantile_inverts_an_independent_distribution_function() {
    close(inverse_normal_cdf(0.5), 0.0, 0.0, "median");
    close(
        inverse_normal_cdf(0.975),
        1.959_963_984_540_054,
        1e-15,
        "97.5%",
    );
    close(
        inverse_normal_cdf(1e-10),
        -6.361_340_902_404_056,
        1e-13,
        "10⁻¹⁰",
    );
    for x in [-3.0, -1.0, 0.3, 1.848, 2.5] {
        close(normal_cdf(x), simpson_cdf(x), 1e-13, "Φ by Simpson");
    }
    for i in 1..1000 {
        let p = f64::from(i) / 1000.0;
        let x = inverse_normal_cdf(p);
        close(normal_cdf(x), p, 1e-14, "Φ(Φ⁻¹(p))");
    }
    assert!(inverse_normal_cdf(-0.1).is_nan() && inverse_normal_cdf(f64::NAN).is_nan());
    assert_eq!(inverse_normal_cdf(0.0), f64::NEG_INFINITY);
    assert_eq!(inverse_normal_cdf(1.0), f64::INFINITY);
    close(normal_density(0.0), 0.398_942_280_401_432_7, 1e-16, "φ(0)");
}

#[test]
fn nf4_puts_equal_probability_mass_between_its_levels_on_each_side() {
    let levels = normal_map(NF4_OFFSET);
    assert!(levels.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(levels[7], 0.0);
    assert_eq!((levels[0], levels[15]), (-1.0, 1.0));
    assert_eq!(levels.iter().filter(|&&l| l > 0.0).count(), 8);
    assert_eq!(levels.iter().filter(|&&l| l < 0.0).count(), 7);
    // Back on the scale of N(0, 1): the top level is the quantile at the offset.
    let top = inverse_normal_cdf(NF4_OFFSET);
    let mass = |lo: f64, hi: f64| simpson_cdf(hi * top) - simpson_cdf(lo * top);
    for w in levels[8..].windows(2) {
        close(
            mass(w[0], w[1]),
            (NF4_OFFSET - 0.5) / 8.0,
            1e-6,
            "positive bin",
        );
    }
    for w in levels[..8].windows(2) {
        close(
            mass(w[0], w[1]),
            (NF4_OFFSET - 0.5) / 7.0,
            1e-6,
            "negative bin",
        );
    }
    close(
        mass(0.0, levels[8]),
        (NF4_OFFSET - 0.5) / 8.0,
        1e-6,
        "first positive",
    );
    close(1.0 - simpson_cdf(top), 1.0 - NF4_OFFSET, 1e-9, "tail");
}

#[test]
fn fp4_and_int4_have_the_expected_levels() {
    let fp4 = Code::Fp4.levels();
    let magnitudes = [0.0, 0.0625, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0];
    let mut expected: Vec<f64> = magnitudes
        .iter()
        .flat_map(|m| [-m / 12.0, m / 12.0])
        .collect();
    expected.sort_by(f64::total_cmp);
    expected.dedup();
    assert_eq!(fp4.len(), 15);
    for (ours, theirs) in fp4.iter().zip(&expected) {
        close(*ours, *theirs, 1e-16, "FP4 level");
    }
    let int4 = Code::Int4.levels();
    assert_eq!(int4.len(), 15);
    for (k, level) in (-7..=7).zip(&int4) {
        close(*level, f64::from(k) / 7.0, 0.0, "int4 level");
    }
    for levels in [&fp4, &int4] {
        assert!(levels.windows(2).all(|w| w[0] < w[1]));
        let n = levels.len();
        assert!((0..n).all(|i| levels[i] == -levels[n - 1 - i]), "symmetric");
        assert!(levels.contains(&0.0));
    }
    let dynamic = dynamic_codebook();
    assert_eq!(dynamic.levels().len(), 256);
    assert_eq!(*dynamic.levels().last().unwrap(), 1.0);
}

#[test]
fn every_level_times_an_absmax_comes_back_exactly() {
    for code in Code::ALL {
        let codebook = code.codebook();
        for a in [1.0, 0.3, 0.017, 7.25, 1e-6] {
            let mut block = vec![a];
            block.extend(codebook.levels().iter().map(|l| l * a));
            let q = Quantised::new(&block, block.len(), &codebook);
            assert_eq!(q.absmax, vec![a]);
            assert_eq!(
                q.dequantise(&codebook),
                block,
                "{} at absmax {a}",
                code.name()
            );
        }
    }
}

#[test]
fn every_error_is_at_most_half_the_largest_gap_times_the_absmax() {
    let distributions = [
        Distribution::Normal,
        Distribution::StudentT { nu: 3.0 },
        Distribution::Outliers { k: 20.0 },
    ];
    for distribution in distributions {
        let values = weight_matrix(48, 40, distribution, 7);
        for code in Code::ALL {
            let codebook = code.codebook();
            for block_size in [16, 64, 100, 4096] {
                let q = Quantised::new(&values, block_size, &codebook);
                assert_eq!(q.absmax.len(), values.len().div_ceil(block_size));
                let restored = q.dequantise(&codebook);
                let half_gap = 0.5 * codebook.largest_gap();
                for (idx, (v, r)) in values.iter().zip(&restored).enumerate() {
                    let bound = half_gap * q.absmax[idx / block_size];
                    assert!((v - r).abs() <= bound * (1.0 + 1e-12), "{v} → {r}");
                }
                let mse = values
                    .iter()
                    .zip(&restored)
                    .map(|(v, r)| (v - r) * (v - r))
                    .sum::<f64>()
                    / values.len() as f64;
                close(
                    quantisation_mse(&values, block_size, &codebook),
                    mse,
                    1e-15,
                    "MSE",
                );
            }
        }
    }
}

#[test]
fn a_block_of_zeros_stays_zeros() {
    let mut values = vec![0.0; 64];
    values.extend([1.0, -0.5]);
    for code in Code::ALL {
        let codebook = code.codebook();
        let q = Quantised::new(&values, 64, &codebook);
        assert_eq!(q.absmax, vec![0.0, 1.0]);
        let restored = q.dequantise(&codebook);
        assert!(restored.iter().all(|v| v.is_finite()));
        assert!(restored[..64].iter().all(|&v| v == 0.0));
        assert!(quantisation_mse(&values, 64, &codebook).is_finite());
    }
    assert!(Codebook::new(vec![f64::NAN, 0.5, 0.5]).levels() == [0.5]);
}

#[test]
fn small_blocks_contain_outliers_and_nf4_suits_normal_weights() {
    let outliers = weight_matrix(128, 128, Distribution::Outliers { k: 20.0 }, 1);
    let normal = weight_matrix(128, 128, Distribution::Normal, 1);
    let nf4 = Code::Nf4.codebook();
    let mse = |values: &[f64], b: usize, codebook: &Codebook| quantisation_mse(values, b, codebook);
    assert!(mse(&outliers, 16, &nf4) < 0.5 * mse(&outliers, 4096, &nf4));
    for b in BLOCK_SIZES {
        assert!(mse(&normal, b, &nf4) < mse(&normal, b, &Code::Int4.codebook()));
        assert!(mse(&normal, b, &nf4) < mse(&normal, b, &Code::Fp4.codebook()));
    }
}

#[test]
fn bits_per_parameter_are_exact_fractions() {
    assert_eq!(bits_per_parameter(64, false), Fraction::new(9, 2));
    assert_eq!(bits_per_parameter(64, true), Fraction::new(2113, 512));
    assert_eq!(bits_per_parameter(64, true).value(), 4.126_953_125);
    assert_eq!(bits_per_parameter(16, false), Fraction::new(6, 1));
    assert_eq!(
        bits_per_parameter(4096, true),
        Fraction::new(4_194_304 + 2080, 1_048_576)
    );
    assert_eq!(Fraction::new(6, 0), Fraction::new(6, 1));
}

#[test]
fn double_quantisation_keeps_the_constants_close() {
    let values = weight_matrix(256, 256, Distribution::Normal, 3);
    let nf4 = Code::Nf4.codebook();
    let q = Quantised::new(&values, 64, &nf4);
    let dq = DoubleQuantised::new(&q.absmax);
    let constants = dq.constants();
    assert_eq!(constants.len(), q.absmax.len());
    for (c, a) in constants.iter().zip(&q.absmax) {
        close(*c, *a, 0.01 * a, "constant");
    }
    let error = |restored: &[f64]| -> f64 {
        values
            .iter()
            .zip(restored)
            .map(|(v, r)| (v - r) * (v - r))
            .sum::<f64>()
    };
    let plain = error(&q.dequantise(&nf4));
    let double = error(&q.dequantise_with(&nf4, &constants));
    assert!(
        double < 1.01 * plain && double > 0.99 * plain,
        "{plain} {double}"
    );
    assert_eq!(DoubleQuantised::new(&[]).constants(), Vec::<f64>::new());
}

#[test]
fn weight_matrices_are_seeded_stable_and_shaped_as_asked() {
    let small = weight_matrix(8, 8, Distribution::StudentT { nu: 4.0 }, 5);
    let large = weight_matrix(16, 8, Distribution::StudentT { nu: 4.0 }, 5);
    assert_eq!(small[..], large[..64]);
    assert_ne!(
        small,
        weight_matrix(8, 8, Distribution::StudentT { nu: 4.0 }, 6)
    );
    let moments = |values: &[f64]| {
        let n = values.len() as f64;
        let var = values.iter().map(|v| v * v).sum::<f64>() / n;
        let fourth = values.iter().map(|v| v.powi(4)).sum::<f64>() / n;
        (var, fourth / (var * var))
    };
    let (var, kurtosis) = moments(&weight_matrix(256, 256, Distribution::Normal, 2));
    close(var, 1.0, 0.02, "normal variance");
    close(kurtosis, 3.0, 0.1, "normal kurtosis");
    let (var, _) = moments(&weight_matrix(
        256,
        256,
        Distribution::StudentT { nu: 30.0 },
        2,
    ));
    close(var, 30.0 / 28.0, 0.03, "t₃₀ variance");
    let (_, kurtosis) = moments(&weight_matrix(
        256,
        256,
        Distribution::StudentT { nu: 5.0 },
        2,
    ));
    assert!(kurtosis > 5.0, "t₅ kurtosis {kurtosis}");
    let outliers = weight_matrix(256, 256, Distribution::Outliers { k: 12.0 }, 2);
    let count = outliers.iter().filter(|v| v.abs() == 12.0).count();
    assert!((96..=160).contains(&count), "{count} outliers");
}

#[test]
fn loftq_leaves_the_eckart_young_tail() {
    let (d, k) = (24, 20);
    let w = weight_matrix(d, k, Distribution::Normal, 11);
    let nf4 = Code::Nf4.codebook();
    let restored = Quantised::new(&w, 16, &nf4).dequantise(&nf4);
    let error = DMatrix::from_fn(d, k, |i, j| w[i * k + j] - restored[i * k + j]);
    let norms = residual_norms(&LoftQ::new(&error, 0).unwrap().sigma);
    assert_eq!(norms.len(), k + 1);
    close(norms[0], error.norm(), 1e-12, "rank 0");
    assert_eq!(norms[k], 0.0);
    for r in [1, 4, 10, 20, 30] {
        let loftq = LoftQ::new(&error, r).unwrap();
        assert_eq!(loftq.b.shape(), (d, r.min(k)));
        assert_eq!(loftq.a.shape(), (r.min(k), k));
        let left = (&error - &loftq.b * &loftq.a).norm();
        close(left, norms[r.min(k)], 1e-10, "‖E − BA‖_F");
    }
    assert!(LoftQ::new(&DMatrix::from_element(2, 2, f64::NAN), 1).is_none());
}

#[test]
fn llama_counts_and_training_memory() {
    let params: Vec<u64> = LLAMA.iter().map(|m| m.params()).collect();
    assert_eq!(params[..3], [6_738_415_616, 13_015_864_320, 32_528_943_616]);
    let llama65 = &LLAMA[3];
    let full = training_memory(llama65, Setup::Full16, 64, QuantSettings::QLORA);
    assert_eq!(full.total(), 12 * llama65.params());
    assert!(full.total() > 780_000_000_000);
    let qlora = training_memory(llama65, Setup::Qlora, 64, QuantSettings::QLORA);
    assert!(qlora.total() < 48_000_000_000, "{}", qlora.total());
    let lora16 = training_memory(llama65, Setup::Lora16, 64, QuantSettings::QLORA);
    assert_eq!(lora16.adapter, qlora.adapter);
    assert!(lora16.base > 3 * qlora.base);
}
