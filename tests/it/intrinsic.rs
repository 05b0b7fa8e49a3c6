//! What the intrinsic-rank figures say: the spectrum's text alternative and the approximation's
//! sentences, at the settings where they once went wrong.

use lora_explorer::figures::intrinsic::{
    approximation_lines, residual_label, spectrum_description, MatrixSpec, SpectrumSummary,
    Workbench,
};
use lora_explorer::permalink::parse;

/// The spectrum and the approximation the page computes for a link.
fn computed(query: &str) -> (Vec<f64>, [String; 3], String, f64) {
    let state = parse(query).state.intrinsic;
    let spec = MatrixSpec::of(&state);
    let mut bench = Workbench::default();
    let sigma = bench.spectrum(spec).to_vec();
    let approx = bench.approximation(spec, state.approx_rank as usize);
    let lines = approximation_lines(
        spec.n,
        approx.rank,
        spec.true_rank,
        approx.relative_error,
        approx.tail_error,
    );
    (
        sigma,
        lines,
        residual_label(approx.residual_half_range),
        approx.relative_error,
    )
}

#[test]
fn the_spectrum_text_names_only_singular_values_the_matrix_has() {
    let (sigma, ..) = computed("?v=1&in=32&ik=32");
    assert_eq!(sigma.len(), 32);
    let text = spectrum_description(&sigma, 32);
    assert!(!text.contains("σ₃₃") && !text.contains("σ33"), "{text}");
    assert!(
        text.contains("σ₃₂ = ") && text.contains("no value follows"),
        "{text}"
    );
    // Below full rank: the true rank's value, the next, and the drop between them.
    let (sigma, ..) = computed("?v=1&in=64&ik=16");
    let text = spectrum_description(&sigma, 16);
    assert!(
        text.contains("σ₁₆ = ") && text.contains("σ₁₇ = ") && text.contains("a drop of"),
        "{text}"
    );
    // At true rank 1, σ₁ is named once.
    assert_eq!(
        spectrum_description(&[4.0, 1.0], 1).matches("σ₁ =").count(),
        1
    );
    // Noise as large as the signal: no drop is claimed.
    assert!(spectrum_description(&[3.0, 2.0, 1.9], 2).contains("the noise hides it"));
    assert!(spectrum_description(&[], 2).contains("none"));
}

#[test]
fn below_the_true_rank_the_sentence_follows_the_error() {
    // The error at rank 31 of a rank-32 matrix is tiny: it must not be called large.
    let (_, lines, _, relative) = computed("?v=1&in=32&ik=32&ia=31");
    assert!(relative < 0.01, "{relative}");
    assert!(!lines[2].contains("large"), "{}", lines[2]);
    assert!(
        lines[2].contains("1 direction of the signal is missing, yet the error is small"),
        "{}",
        lines[2]
    );
    assert!(lines[1].contains("√(σ₃₂²)"), "{}", lines[1]);
    // At the notebook's defaults, rank 8 of 16: large, and said so.
    let (_, lines, _, relative) = computed("?v=1&in=64&ia=8");
    assert!(relative >= 0.1, "{relative}");
    assert!(
        lines[2].contains("the error is large: 8 directions of the signal are missing"),
        "{}",
        lines[2]
    );
    assert!(lines[1].contains("√(σ₉² + … + σ₆₄²)"), "{}", lines[1]);
}

#[test]
fn at_full_rank_nothing_is_left_out_and_nothing_is_negative() {
    let (_, lines, label, _) = computed("?v=1&in=32&ia=32");
    let all = lines.join(" ");
    assert!(!all.contains("σ₃₃"), "{all}");
    assert!(!all.contains("-0") && !all.contains("−0.0"), "{all}");
    assert!(
        lines[1].contains("no σᵢ is left out, so the error is 0"),
        "{}",
        lines[1]
    );
    assert!(lines[2].starts_with("The two agree"), "{}", lines[2]);
    assert!(lines[2].contains("nothing is left out"), "{}", lines[2]);
    // The full-rank approximation is ΔW itself, so the residual is exactly zero.
    assert_eq!(label, "Residual (own scale, ±0)");
    // Two left out: both named, no ellipsis.
    let two = approximation_lines(32, 30, 16, 0.001, 0.001);
    assert!(two[1].contains("√(σ₃₁² + σ₃₂²)"), "{}", two[1]);
    assert!(two[2].contains("only noise is left out"), "{}", two[2]);
}

#[test]
fn the_residual_scale_shows_its_value() {
    // A residual around 1e-4 once read "±0.000".
    let (_, _, label, _) = computed("?v=1&in=32&ik=32&ia=31");
    assert!(!label.contains("±0.000)"), "{label}");
    assert_eq!(residual_label(2.57e-4), "Residual (own scale, ±0.00026)");
    assert_eq!(residual_label(0.0123), "Residual (own scale, ±0.012)");
}

#[test]
fn one_component_is_singular() {
    let summary = SpectrumSummary::new(&[10.0, 0.1, 0.1], 95.0);
    assert_eq!(summary.rank, 1);
    let [reached, compression, _] = summary.lines(3, 95.0, 1);
    assert!(reached.contains("r = 1 component."), "{reached}");
    assert!(!reached.contains("1 components"), "{reached}");
    assert!(
        compression.contains("2·3·1 = 6 parameters, 1.5× fewer than the 9"),
        "{compression}"
    );
    // A rank above n/2 trains more than ΔW holds, and says so.
    let many = SpectrumSummary::new(&[1.0, 1.0, 1.0, 1.0], 95.0);
    assert!(many.lines(4, 95.0, 1)[1].contains("2.0× more than the 16"));
}

#[test]
fn a_kept_noise_draw_gives_the_matrix_bit_for_bit() {
    use lora_explorer::math::intrinsic::{low_rank_plus, low_rank_plus_noise, noise_draw};
    let bits = |m: &nalgebra::DMatrix<f64>| m.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    let large = noise_draw(40, 7);
    for (n, k, noise) in [
        (40, 3, 0.1),
        (17, 5, 1e-4),
        (1, 1, 2.0),
        (40, 0, 0.5),
        (12, 4, 0.0),
    ] {
        let fresh = low_rank_plus_noise(n, k, noise, 7);
        assert_eq!(
            bits(&low_rank_plus(n, k, noise, 7, Some(&large))),
            bits(&fresh),
            "{n} {k} {noise}"
        );
        assert_eq!(
            bits(&low_rank_plus(n, k, noise, 7, None)),
            bits(&fresh),
            "{n} {k} {noise}"
        );
    }
    // As the matrix was drawn before the draw could be kept: entry by entry, each product summed
    // by `Iterator::sum`.
    let reference = |n: usize, k: usize, noise: f64, seed: u64| {
        use lora_explorer::math::rng::Stream;
        let (u, v, z) = (
            Stream::new(seed, 11),
            Stream::new(seed, 12),
            Stream::new(seed, 13),
        );
        nalgebra::DMatrix::from_fn(n, n, |i, j| {
            let signal: f64 = (0..k).map(|l| u.normal(i, l) * v.normal(l, j)).sum();
            if noise == 0.0 {
                signal
            } else {
                signal + noise * z.normal(i, j)
            }
        })
    };
    for (n, k, noise, seed) in [
        (40, 3, 0.1, 7),
        (33, 16, 0.01, 42),
        (8, 0, 1.0, 1),
        (9, 2, 0.0, 3),
    ] {
        assert_eq!(
            bits(&low_rank_plus_noise(n, k, noise, seed)),
            bits(&reference(n, k, noise, seed)),
            "{n} {k} {noise} {seed}"
        );
    }
    let stream = lora_explorer::math::rng::Stream::new(5, 13);
    let block = stream.normals(6, 9);
    for (index, value) in block.iter().enumerate() {
        assert_eq!(
            value.to_bits(),
            stream.normal(index % 6, index / 6).to_bits()
        );
    }
    // A draw too small for n is not used: the matrix is drawn afresh.
    let small = noise_draw(5, 7);
    assert_eq!(
        bits(&low_rank_plus(9, 2, 0.3, 7, Some(&small))),
        bits(&low_rank_plus_noise(9, 2, 0.3, 7))
    );
}

#[test]
fn the_workbench_answers_as_if_each_matrix_were_drawn_afresh() {
    use lora_explorer::math::svd::singular_values;
    // A reader's moves: size down and up, rank, noise scale, seed, noise off and on again.
    let moves = [
        (48, 4, 0.01, 42),
        (32, 4, 0.01, 42),
        (48, 4, 0.01, 42),
        (64, 4, 0.01, 42),
        (64, 6, 0.01, 42),
        (64, 6, 0.1, 42),
        (64, 6, 0.1, 43),
        (64, 6, 0.0, 43),
        (20, 6, 0.001, 43),
    ];
    let mut bench = Workbench::default();
    for (n, true_rank, noise, seed) in moves {
        let spec = MatrixSpec {
            n,
            true_rank,
            noise,
            seed,
        };
        let sigma = bench.spectrum(spec).to_vec();
        assert_eq!(sigma, singular_values(&spec.matrix()), "{spec:?}");
        let approx = bench.approximation(spec, 3);
        assert_eq!(
            approx,
            Workbench::default().approximation(spec, 3),
            "{spec:?}"
        );
    }
}
