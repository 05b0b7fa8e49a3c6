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

mod figures {
    use lora_explorer::figures::qlora::{
        BlockSizeSeries, CodesFigure, DoubleQuantFigure, LoftqFigure, MemoryFigure, QloraParams,
        QuantFigure, QuantMatrix, HISTOGRAM_BINS,
    };
    use lora_explorer::format::significant;
    use lora_explorer::math::quant::memory::QuantSettings;
    use lora_explorer::math::quant::{noise_energy_share, Code, Distribution};
    use lora_explorer::math::rng::Stream;
    use lora_explorer::math::svd::singular_values;
    use nalgebra::DMatrix;

    /// A small matrix, so that the tests stay quick.
    fn small(distribution: Distribution) -> QloraParams {
        QloraParams {
            size: 64,
            distribution,
            ..QloraParams::default()
        }
    }

    #[test]
    fn controls_are_clamped_with_a_notice() {
        let wild = QloraParams {
            size: 5000,
            distribution: Distribution::StudentT { nu: f64::NAN },
            block_size: 100,
            block: 1 << 40,
            rank: 0,
            ..QloraParams::default()
        };
        let (p, notices) = wild.clamped();
        assert_eq!((p.size, p.block_size, p.rank), (1024, 128, 1));
        assert_eq!(p.distribution, Distribution::StudentT { nu: 1.0 });
        assert_eq!(p.block, 1024 * 1024 / 128 - 1);
        assert_eq!(notices.len(), 4, "{notices:?}");
        assert!(notices[0].contains("5000"));
        let (same, none) = QloraParams::default().clamped();
        assert_eq!((same, none.len()), (QloraParams::default(), 0));
    }

    #[test]
    fn the_codes_caption_follows_the_masses() {
        let figure = CodesFigure::new();
        let masses = figure.masses();
        assert_eq!(masses.len(), 15);
        let caption = figure.caption();
        assert!(caption.contains(&format!("{}%", significant(100.0 * masses[14], 3))));
        assert!(
            caption.contains("5.85%") && caption.contains("6.68%"),
            "{caption}"
        );
        let density = figure.density(101);
        assert_eq!(density.len(), 101);
        assert!((density[50].0).abs() < 1e-12);
        let tables = figure.tables();
        assert_eq!(tables[0].rows.len(), 16);
        assert_eq!(
            tables[0].rows[1][1].parse::<f64>().unwrap(),
            -0.6961928009986877
        );
        assert_eq!(figure.downloads()[0].name, "lora-explorer-nf4-levels.csv");
    }

    #[test]
    fn the_quantised_matrix_and_its_histogram() {
        let p = QloraParams {
            block: 5,
            ..small(Distribution::Outliers { k: 20.0 })
        };
        let figure = QuantFigure::new(&p);
        let error = figure.matrix(QuantMatrix::Error);
        let w = figure.matrix(QuantMatrix::Weights);
        let d = figure.matrix(QuantMatrix::Dequantised);
        assert!((&w - &d - &error).norm() == 0.0);
        assert_eq!(w[(1, 2)], figure.weights[64 + 2]);
        let (largest, bound) = figure.worst();
        assert!(largest <= bound);
        let caption = figure.caption();
        assert!(caption.contains(&significant(figure.mse(), 3)), "{caption}");
        assert!(caption.contains("64×64") && caption.contains("64 absmax constants"));
        let h = figure.histogram();
        assert_eq!((h.block, h.start), (5, (5, 0)));
        assert_eq!(h.counts.len(), HISTOGRAM_BINS);
        assert_eq!(h.counts.iter().sum::<usize>(), 64);
        assert_eq!(h.level_counts.iter().sum::<usize>(), 64);
        // The block's largest value sits at ±1, in an end bin.
        assert!(h.counts[0] + h.counts[HISTOGRAM_BINS - 1] >= 1);
        assert!(figure
            .histogram_caption()
            .starts_with("Block 6 (from row 6, column 1)"));
        assert_eq!(figure.downloads().len(), 3);
    }

    #[test]
    fn the_block_size_caption_follows_the_series() {
        let series = BlockSizeSeries::new(&small(Distribution::Outliers { k: 20.0 }));
        let nf4 = |b| series.mse(Code::Nf4, b).unwrap();
        let caption = series.caption();
        assert!(
            caption.contains(&significant(nf4(4096) / nf4(16), 3)),
            "{caption}"
        );
        assert!(caption.contains("NF4 is lowest"), "{caption}");
        let table = series.table();
        assert_eq!(table.header, ["block size", "NF4", "FP4", "int4"]);
        assert_eq!(table.rows.len(), 9);
        assert_eq!(table.rows[8][0], "4,096");
        let csv = series.download();
        assert_eq!(csv.text.lines().count(), 9);
    }

    #[test]
    fn double_quantisation_prints_the_papers_numbers() {
        let figure = DoubleQuantFigure::new(&QuantFigure::new(&small(Distribution::Normal)));
        let [plain, double] = figure.sums();
        assert_eq!(plain, "4 + 32/64 = 4.5 bits a parameter");
        assert_eq!(double, "4 + 8/64 + 32/(256·64) = 4.127 bits a parameter");
        assert!(figure.caption().contains("saves 0.373 bits"));
        assert!(figure.worst_constant < 0.01);
    }

    #[test]
    fn noise_share_matches_a_random_matrix() {
        assert!(noise_energy_share(0.0) < 1e-12);
        assert!((noise_energy_share(1.0) - 1.0).abs() < 1e-12);
        let stream = Stream::new(4, 4);
        let m = DMatrix::from_fn(256, 256, |i, j| stream.normal(i, j));
        let sigma = singular_values(&m);
        let total: f64 = sigma.iter().map(|s| s * s).sum();
        for r in [8, 32, 128] {
            let head: f64 = sigma[..r].iter().map(|s| s * s).sum();
            let expected = noise_energy_share(r as f64 / 256.0);
            assert!((head / total - expected).abs() < 0.02, "r = {r}");
        }
    }

    #[test]
    fn the_loftq_caption_states_what_the_adapter_absorbs() {
        let q = QuantFigure::new(&small(Distribution::Normal));
        let figure = LoftqFigure::new(&q, 8);
        assert_eq!(figure.residuals.len(), 65);
        let caption = figure.caption();
        let share = format!("{}%", significant(100.0 * figure.absorbed(8), 3));
        assert!(caption.contains(&format!("cancels {share}")), "{caption}");
        assert!(caption.contains("noise-like"), "{caption}");
        let structured = LoftqFigure::from_sigma(vec![10.0, 0.1, 0.1, 0.1], 1);
        assert!(structured.caption().contains("more structure than noise"));
        assert_eq!(figure.table().rows.len(), 65);
        assert_eq!(figure.download().text.lines().count(), 65);
        let empty = LoftqFigure::from_sigma(Vec::new(), 3);
        assert!(!empty.caption().contains("NaN"));
    }

    #[test]
    fn the_memory_caption_compares_65b_with_48_gb() {
        let figure = MemoryFigure {
            rank: 64,
            quant: QuantSettings::QLORA,
        };
        let caption = figure.caption();
        assert!(
            caption.contains("LLaMA 65B with QLoRA: 44.1 GB"),
            "{caption}"
        );
        assert!(caption.contains("783 GB") && caption.contains("Activations are excluded"));
        let table = figure.table();
        assert_eq!(table.rows.len(), 4);
        assert_eq!(table.rows[3][3], "783 GB");
    }
}

mod chapter_state {
    use lora_explorer::figures::qlora::{QloraParams, QuantFigure, QuantMatrix};
    use lora_explorer::math::quant::{Code, Distribution};
    use lora_explorer::permalink::{parse_chapter, to_query};
    use lora_explorer::state::{ChapterState, QloraPage};

    #[test]
    fn the_default_page_is_qloras_setting() {
        let params = QloraParams::from_state(&QloraPage::default().qlora);
        assert_eq!(params, QloraParams::default());
    }

    #[test]
    fn the_histograms_block_is_at_most_the_number_of_blocks() {
        let mut page = QloraPage::default();
        // 128² weights in blocks of 64: 256 blocks, more than the slider's 64.
        assert_eq!(page.bounds("qh").map(|b| b.max), Some(64.0));
        page.set("qh", "40").expect("a block");
        // 64² weights in blocks of 1,024: four blocks, and the chosen one moves to the last.
        page.set("qn", "64").expect("a side");
        page.set("qb", "1024").expect("a block size");
        assert_eq!(page.bounds("qh").map(|b| b.max), Some(4.0));
        assert_eq!(page.get("qh").as_deref(), Some("4"));
        let applied = page.set("qh", "9").expect("a block");
        assert_eq!(
            applied,
            lora_explorer::state::Applied::Clamped { used: "4".into() }
        );
        // A link says so, whatever the order of its parameters.
        for link in ["?v=1&qh=40&qn=64&qb=1024", "?v=1&qn=64&qb=1024&qh=40"] {
            let parsed = parse_chapter::<QloraPage>(link);
            assert_eq!(parsed.state.get("qh").as_deref(), Some("4"), "{link}");
            assert_eq!(parsed.notices.len(), 1, "{link}: {:?}", parsed.notices);
        }
    }

    #[test]
    fn a_link_sets_every_parameter() {
        let parsed = parse_chapter::<QloraPage>(
            "?v=1&qn=512&qd=student-t&qv=3&qb=256&qc=fp4&qh=5&qr=32&qs=7",
        );
        assert!(parsed.notices.is_empty(), "{:?}", parsed.notices);
        let params = QloraParams::from_state(&parsed.state.qlora);
        assert_eq!(params.size, 512);
        assert_eq!(params.distribution, Distribution::StudentT { nu: 3.0 });
        assert_eq!(params.block_size, 256);
        assert_eq!(params.code, Code::Fp4);
        assert_eq!(params.block, 4);
        assert_eq!(params.rank, 32);
        assert_eq!(params.seed, 7);
        // The query prints back what it read.
        let query = to_query(&parsed.state, None);
        assert_eq!(parse_chapter::<QloraPage>(&query).state, parsed.state);
    }

    #[test]
    fn outliers_and_bad_values_are_clamped_with_a_notice() {
        let parsed = parse_chapter::<QloraPage>("?qd=outliers&qk=1000&qb=17&fd=3");
        let params = QloraParams::from_state(&parsed.state.qlora);
        assert_eq!(params.distribution, Distribution::Outliers { k: 100.0 });
        assert_eq!(
            params.block_size, 64,
            "an unknown block size keeps the default"
        );
        let notices = parsed.notices.join(" ");
        assert!(
            notices.contains("qk = “1000” is out of range; 100 was used"),
            "{notices}"
        );
        assert!(
            notices.contains("qb = “17” is not a valid value"),
            "{notices}"
        );
        // Chapter 1's keys are not this page's.
        assert!(
            notices.contains("“fd” is not one this page knows"),
            "{notices}"
        );
    }

    #[test]
    fn the_corner_is_the_top_left_of_each_matrix_and_the_block_is_clamped() {
        let params = QloraParams {
            size: 64,
            ..QloraParams::default()
        };
        let mut figure = QuantFigure::new(&params);
        let n = params.size;
        let corner = figure.corner(QuantMatrix::Weights, 8);
        assert_eq!(corner.shape(), (8, 8));
        assert_eq!(corner[(2, 5)], figure.weights[2 * n + 5]);
        let error = figure.corner(QuantMatrix::Error, 100);
        assert_eq!(error.shape(), (64, 64));
        assert_eq!(
            error[(63, 1)],
            figure.weights[63 * n + 1] - figure.dequantised[63 * n + 1]
        );
        // 64×64 in blocks of 64: 64 blocks, numbered 0…63.
        figure.select_block(1000);
        assert_eq!(figure.histogram().block, 63);
        figure.select_block(3);
        assert_eq!(figure.histogram().start, (3, 0));
    }

    #[test]
    fn every_key_reads_and_writes_through_the_chapter_state() {
        let mut state = QloraPage::default();
        for key in state.keys() {
            let value = state.get(key).unwrap_or_default();
            assert!(state.set(key, &value).is_ok(), "{key}");
        }
        assert_eq!(state, QloraPage::default());
    }
}

#[test]
fn an_updated_figure_equals_a_fresh_one() {
    use lora_explorer::figures::qlora::{QloraParams, QuantFigure};
    use lora_explorer::math::quant::{Code, Distribution};
    let first = QloraParams {
        size: 64,
        ..QloraParams::default()
    };
    let figure = QuantFigure::new(&first);
    // A new code and block size reuse W; a new distribution draws it again.
    let requantised = QloraParams {
        block_size: 16,
        code: Code::Int4,
        ..first
    };
    let figure = figure.update(&requantised);
    assert_eq!(figure, QuantFigure::new(&requantised));
    let redrawn = QloraParams {
        distribution: Distribution::Outliers { k: 9.0 },
        ..requantised
    };
    assert_eq!(figure.update(&redrawn), QuantFigure::new(&redrawn));
}
