//! Tests for the charts room: each chart rendered natively to SVG text.

use lora_explorer::math::memory::{Counting, MODELS};
use lora_explorer::render::charts::{
    energy_chart, memory_chart, rank_params_chart, rank_reduction_chart, spectrum_chart, MemoryBar,
    Theme,
};
use plotters::backend::SVGBackend;
use plotters::coord::Shift;
use plotters::prelude::*;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A chart drawn on an SVG area.
type Draw<'d> = &'d dyn Fn(&Area) -> Result<(), String>;

/// The notebook's ranks.
const RANKS: [u64; 8] = [1, 2, 4, 8, 16, 32, 64, 128];

/// Renders `draw` on an SVG of `size` pixels; returns what it returned and the SVG text.
fn render(
    size: (u32, u32),
    draw: impl FnOnce(&Area) -> Result<(), String>,
) -> (Result<(), String>, String) {
    let mut svg = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let result = draw(&root);
        if let Err(err) = root.present() {
            panic!("the SVG backend failed: {err}");
        }
        result
    };
    if let Some(dir) = std::env::var_os("LORA_CHART_DIR") {
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let idx = COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("chart-{idx:02}.svg");
        if let Err(err) = std::fs::write(std::path::Path::new(&dir).join(name), &svg) {
            panic!("could not write the SVG: {err}");
        }
    }
    (result, svg)
}

/// Renders at 800×400, requires success, and checks the SVG holds every text of `expected`.
fn check(draw: impl FnOnce(&Area) -> Result<(), String>, expected: &[&str]) -> String {
    let (result, svg) = render((800, 400), draw);
    assert_eq!(result, Ok(()));
    for text in expected {
        assert!(svg.contains(text), "missing {text:?}");
    }
    svg
}

/// A spectrum like the notebook's: `true_rank` large values, then `n - true_rank` small ones.
fn spectrum(n: usize, true_rank: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            if i < true_rank {
                600.0 - 20.0 * i as f64
            } else {
                0.2 - 0.0003 * i as f64
            }
        })
        .collect()
}

/// The cumulative share of Σσ² held by the first 1, 2, … values.
fn cumulative(sigma: &[f64]) -> Vec<f64> {
    let total: f64 = sigma.iter().map(|s| s * s).sum();
    let mut running = 0.0;
    sigma
        .iter()
        .map(|s| {
            running += s * s;
            running / total
        })
        .collect()
}

#[test]
fn memory_chart_labels_every_bar_in_human_units() {
    let theme = Theme::light();
    let bars = MemoryBar::for_models(&MODELS, 8, Counting::MixedPrecisionAdam);
    check(
        |area| memory_chart(area, &bars, &theme),
        &[
            "Full fine-tuning",
            "LoRA",
            "Measured in the LoRA paper",
            "BERT-base",
            "GPT-3",
            "1.75 GB",
            "2.80 TB",
            "351 GB",
            "1 TB",
            "100 MB",
        ],
    );
    // The notebook's count: GPT-3 at 8 bytes a parameter is 1.40 TB.
    let notebook = MemoryBar::for_models(&MODELS, 8, Counting::WeightsAndGradsFp32);
    check(
        |area| memory_chart(area, &notebook, &theme),
        &["876 MB", "1.40 TB"],
    );
}

#[test]
fn memory_chart_marks_what_the_lora_paper_measured() {
    let theme = Theme::light();
    let bars = MemoryBar::for_models(&MODELS, 8, Counting::MixedPrecisionAdam);
    // Only GPT-3 was measured: 1.2 TB full, 350 GB with LoRA.
    let measured: Vec<_> = bars.iter().filter_map(|b| b.measured).collect();
    assert_eq!(measured.len(), 1);
    assert_eq!(
        (measured[0].full_bytes, measured[0].lora_bytes),
        (1_200_000_000_000, 350_000_000_000)
    );
    let marked = check(|area| memory_chart(area, &bars, &theme), &["Measured"]);
    let unmeasured: Vec<MemoryBar> = bars
        .iter()
        .cloned()
        .map(|bar| MemoryBar {
            measured: None,
            ..bar
        })
        .collect();
    let plain = check(|area| memory_chart(area, &unmeasured, &theme), &["LoRA"]);
    assert!(!plain.contains("Measured"));
    // Two dashed marks, each drawn as dashes: more paths than the unmarked chart.
    assert!(marked.matches("<polyline").count() > plain.matches("<polyline").count());
}

#[test]
fn memory_chart_edge_cases() {
    let theme = Theme::dark();
    check(
        |area| memory_chart(area, &[], &theme),
        &["No models to compare."],
    );
    let zeros = [MemoryBar {
        label: "empty".to_string(),
        full_bytes: 0,
        lora_bytes: 0,
        measured: None,
    }];
    check(
        |area| memory_chart(area, &zeros, &theme),
        &["No models to compare."],
    );
    let one = [MemoryBar {
        label: "tiny".to_string(),
        full_bytes: 1000,
        lora_bytes: 0,
        measured: None,
    }];
    check(
        |area| memory_chart(area, &one, &theme),
        &["1.00 kB", "tiny"],
    );
    // Many bars: too narrow for value labels, still drawn.
    let many: Vec<MemoryBar> = (1..=40)
        .map(|i| MemoryBar {
            label: format!("m{i}"),
            full_bytes: i * 1_000_000_000,
            lora_bytes: i * 1_000_000,
            measured: None,
        })
        .collect();
    let svg = check(|area| memory_chart(area, &many, &theme), &["LoRA"]);
    assert!(!svg.contains("40.0 GB"));
}

#[test]
fn too_small_an_area_is_an_error_not_a_panic() {
    let theme = Theme::light();
    let (result, _) = render((100, 60), |area| {
        rank_params_chart(area, 1024, &RANKS, 8, &theme)
    });
    assert!(result.is_err_and(|message| message.contains("160×120")));
}

#[test]
fn rank_params_chart_highlights_the_chosen_rank() {
    let theme = Theme::light();
    check(
        |area| rank_params_chart(area, 1024, &RANKS, 8, &theme),
        &[
            "r = 8: 16,384",
            "Full fine-tuning: n² = 1,048,576",
            "LoRA: 2·n·r",
            "128",
            "1M",
        ],
    );
    check(
        |area| rank_params_chart(area, 1024, &RANKS, 1, &theme),
        &["r = 1: 2,048"],
    );
    check(
        |area| rank_params_chart(area, 1024, &RANKS, 128, &theme),
        &["r = 128: 262,144"],
    );
    // Every rank from 1 to 128, as a slider would give.
    let all: Vec<u64> = (1..=128).collect();
    check(
        |area| rank_params_chart(area, 1024, &all, 37, &theme),
        &["r = 37: 75,776"],
    );
}

#[test]
fn rank_charts_edge_cases() {
    let theme = Theme::dark();
    let message = "Choose a layer size and at least one rank.";
    check(
        |area| rank_params_chart(area, 1024, &[], 8, &theme),
        &[message],
    );
    check(
        |area| rank_params_chart(area, 1024, &[0], 0, &theme),
        &[message],
    );
    check(
        |area| rank_reduction_chart(area, 0, &RANKS, 8, &theme),
        &[message],
    );
    // A chosen rank of 0 draws no highlight; one rank alone still draws.
    let svg = check(|area| rank_params_chart(area, 1024, &RANKS, 0, &theme), &[]);
    assert!(!svg.contains("r = "));
    check(
        |area| rank_reduction_chart(area, 4, &[3], 3, &theme),
        &["r = 3: 0.7×"],
    );
}

#[test]
fn rank_reduction_chart_labels_the_factor() {
    let theme = Theme::light();
    check(
        |area| rank_reduction_chart(area, 1024, &RANKS, 8, &theme),
        &["r = 8: 64×", "n² / (2·n·r) for n = 1,024"],
    );
    check(
        |area| rank_reduction_chart(area, 1024, &RANKS, 1, &theme),
        &["r = 1: 512×"],
    );
    check(
        |area| rank_reduction_chart(area, 1024, &RANKS, 128, &theme),
        &["r = 128: 4×"],
    );
    // A small layer where high ranks cost more than the matrix: the 1× line appears.
    check(
        |area| rank_reduction_chart(area, 64, &RANKS, 64, &theme),
        &["r = 64: 0.5×", "1×: no saving"],
    );
}

#[test]
fn spectrum_chart_marks_the_true_rank() {
    let theme = Theme::light();
    let sigma = spectrum(512, 16);
    check(
        |area| spectrum_chart(area, &sigma, 16, &theme),
        &["true rank = 16", "100"],
    );
    // Zeros, NaN and infinities are clamped to the floor instead of breaking the log axis.
    let awkward = [5.0, 3.0, 0.0, f64::NAN, f64::INFINITY, -1.0];
    check(
        |area| spectrum_chart(area, &awkward, 2, &theme),
        &["true rank = 2", "10⁻¹⁵", "0.001"],
    );
    // Nothing positive: a message; a true rank beyond the values: no marker.
    let message = "No non-zero singular values to plot.";
    check(|area| spectrum_chart(area, &[], 3, &theme), &[message]);
    check(
        |area| spectrum_chart(area, &[0.0, 0.0], 1, &theme),
        &[message],
    );
    let svg = check(|area| spectrum_chart(area, &[1.0, 1.0], 5, &theme), &[]);
    assert!(!svg.contains("true rank"));
}

#[test]
fn energy_chart_marks_the_threshold_and_its_rank() {
    let theme = Theme::dark();
    let shares = cumulative(&spectrum(512, 16));
    let rank = shares
        .iter()
        .position(|&c| c >= 0.95)
        .map_or(0, |idx| idx + 1);
    assert!(rank > 1 && rank <= 16, "{rank}");
    check(
        |area| energy_chart(area, &shares, 0.95, rank, &theme),
        &[&format!("r = {rank}"), "95% threshold", "100%"],
    );
    check(
        |area| energy_chart(area, &[], 0.95, 1, &theme),
        &["No components to plot."],
    );
    let svg = check(
        |area| energy_chart(area, &[0.5, f64::NAN, 1.0], f64::NAN, 0, &theme),
        &[],
    );
    assert!(!svg.contains("r = ") && !svg.contains("threshold"));
    check(
        |area| energy_chart(area, &[1.0], 2.0, 1, &theme),
        &["r = 1", "100% threshold"],
    );
}

#[test]
fn every_chart_draws_on_a_phone_sized_area() {
    let theme = Theme::light();
    let bars = MemoryBar::for_models(&MODELS, 8, Counting::MixedPrecisionAdam);
    let sigma = spectrum(64, 16);
    let shares = cumulative(&sigma);
    let charts: [Draw; 5] = [
        &|area| memory_chart(area, &bars, &theme),
        &|area| rank_params_chart(area, 1024, &RANKS, 16, &theme),
        &|area| rank_reduction_chart(area, 1024, &RANKS, 16, &theme),
        &|area| spectrum_chart(area, &sigma, 16, &theme),
        &|area| energy_chart(area, &shares, 0.95, 15, &theme),
    ];
    for draw in charts {
        let (result, _) = render((360, 260), draw);
        assert_eq!(result, Ok(()));
    }
}

mod factorisation_spectra {
    use super::*;
    use lora_explorer::figures::factorisation::{FactorisationFigure, Spectra};
    use lora_explorer::render::charts::{factorisation_spectra_chart, IndexAxis};
    use lora_explorer::state::FactorisationState;

    fn draw(state: &FactorisationState, pointed: Option<usize>, expected: &[&str]) -> IndexAxis {
        let figure = FactorisationFigure::new(state);
        let s = &Spectra::new(&figure.matrices, None);
        let mut axis = None;
        check(
            |area| {
                axis = Some(factorisation_spectra_chart(
                    area,
                    &s.w0,
                    &s.update,
                    &s.merged,
                    pointed,
                    &Theme::light(),
                )?);
                Ok(())
            },
            expected,
        );
        axis.unwrap_or_else(|| panic!("the chart returned no axis"))
    }

    #[test]
    fn draws_three_spectra_with_the_updates_rank_and_a_zero_row() {
        let mut state = FactorisationState::figure();
        (state.d, state.k, state.r) = (16, 12, 3);
        let axis = draw(
            &state,
            Some(4),
            &[
                "W₀",
                "update (α/r)·BA",
                "W₀ + (α/r)·BA",
                "3 non-zero",
                "\n0\n",
            ],
        );
        assert_eq!(axis.len, 12);
        assert!(axis.x_pixels.end - axis.x_pixels.start > 400);
        // At initialisation nothing is non-zero, so there is no rank marker.
        state.at_init = true;
        let figure = FactorisationFigure::new(&state);
        let s = &Spectra::new(&figure.matrices, None);
        let (result, svg) = render((800, 400), |area| {
            factorisation_spectra_chart(area, &s.w0, &s.update, &s.merged, None, &Theme::dark())
                .map(|_| ())
        });
        assert_eq!(result, Ok(()));
        assert!(!svg.contains("non-zero"));
        // Full rank: no marker either, and a compact phone layout still draws.
        (state.d, state.k, state.r, state.at_init) = (64, 64, 64, false);
        let figure = FactorisationFigure::new(&state);
        let s = &Spectra::new(&figure.matrices, None);
        let (result, svg) = render((320, 300), |area| {
            factorisation_spectra_chart(
                area,
                &s.w0,
                &s.update,
                &s.merged,
                Some(63),
                &Theme::light(),
            )
            .map(|_| ())
        });
        assert_eq!(result, Ok(()));
        assert!(!svg.contains("non-zero"));
    }

    #[test]
    fn nothing_to_plot_gives_a_message() {
        let (result, svg) = render((800, 400), |area| {
            factorisation_spectra_chart(
                area,
                &[0.0; 3],
                &[0.0; 3],
                &[0.0; 3],
                None,
                &Theme::light(),
            )
            .map(|_| ())
        });
        assert_eq!(result, Ok(()));
        assert!(svg.contains("No non-zero singular values"));
    }

    #[test]
    fn a_pointer_maps_to_the_index_whose_slice_it_is_in() {
        let axis = IndexAxis {
            x_pixels: 100..500,
            len: 4,
        };
        let cases = [
            (99, None),
            (100, Some(0)),
            (199, Some(0)),
            (200, Some(1)),
            (450, Some(3)),
            (499, Some(3)),
            (500, None),
        ];
        for (x, expected) in cases {
            assert_eq!(axis.index_at(x), expected, "x = {x}");
        }
        assert_eq!(
            IndexAxis {
                x_pixels: 0..0,
                len: 0
            }
            .index_at(0),
            None
        );
    }
}

mod qlora_charts {
    use super::*;
    use lora_explorer::figures::qlora::{
        BlockSizeSeries, CodesFigure, LoftqFigure, QloraParams, QuantFigure,
    };
    use lora_explorer::math::quant::Code;
    use lora_explorer::render::charts::{
        block_size_chart, codes_chart, histogram_chart, loftq_chart,
    };

    /// A small matrix, so the charts' inputs are quick to compute.
    fn params() -> QloraParams {
        QloraParams {
            size: 64,
            ..QloraParams::default()
        }
    }

    #[test]
    fn the_codes_chart_names_the_three_codes() {
        let figure = CodesFigure::new();
        check(
            |area| codes_chart(area, &figure, &Theme::light()),
            &["NF4 levels", "FP4 levels", "int4 levels", "Normal density"],
        );
    }

    #[test]
    fn the_histogram_shows_the_codes_levels() {
        let figure = QuantFigure::new(&params());
        let histogram = figure.histogram();
        let svg = check(
            |area| histogram_chart(area, &histogram, Code::Nf4, &Theme::dark()),
            &["Values in the block", "NF4 levels"],
        );
        // A dashed line a level, each drawn as several segments.
        assert!(svg.matches("<polyline").count() >= histogram.levels.len());
    }

    #[test]
    fn the_block_size_chart_has_a_line_a_code_and_survives_no_error() {
        let series = BlockSizeSeries::new(&params());
        check(
            |area| block_size_chart(area, &series, (Code::Nf4, 64), &Theme::light()),
            &["NF4", "FP4", "int4", "Block size B (log scale)"],
        );
        let exact = BlockSizeSeries {
            series: vec![(Code::Nf4, vec![(16, 0.0), (64, 0.0)])],
            distribution: "normal".into(),
        };
        check(
            |area| block_size_chart(area, &exact, (Code::Nf4, 64), &Theme::light()),
            &["No error to plot"],
        );
    }

    #[test]
    fn the_loftq_chart_compares_with_noise_and_handles_a_zero_error() {
        let figure = QuantFigure::new(&params());
        let loftq = LoftqFigure::new(&figure, 16);
        check(
            |area| loftq_chart(area, &loftq, &Theme::light()),
            &["This quantisation error", "Pure noise of the same size"],
        );
        let zero = LoftqFigure::from_sigma(vec![0.0; 4], 2);
        check(
            |area| loftq_chart(area, &zero, &Theme::light()),
            &["No error to cancel"],
        );
        for size in [(300, 200), (159, 119)] {
            let (result, _) = render(size, |area| loftq_chart(area, &loftq, &Theme::light()));
            assert_eq!(result.is_ok(), size.0 >= 160, "{size:?}");
        }
    }
}

mod breakdown {
    //! The calculator's memory breakdown.

    use super::*;
    use lora_explorer::figures::calculator::readout;
    use lora_explorer::render::charts::{breakdown_chart, BreakdownBar, Part};
    use lora_explorer::state::{CalculatorPage, ChapterState};

    #[test]
    fn every_line_has_its_name_and_value() {
        let shown = readout(&CalculatorPage::default().calculator);
        let svg = check(
            |area| breakdown_chart(area, &shown.memory_bars, &Theme::light()),
            &[
                "Base weights, frozen (bf16)",
                "13.5 GB",
                "LoRA weights (fp32)",
                "16.8 MB",
                "33.6 MB",
                "3.62 GB",
                "Frozen model",
                "Adapter&apos;s training state",
                "Memory",
            ],
        );
        // Five bars, each filled with its part's colour; the tiny ones are drawn all the same.
        assert!(svg.matches("fill=\"#0072B2\"").count() >= 3, "{svg}");
        // Without activations, their line says so and has no bar or legend entry of its own.
        let mut page = CalculatorPage::default();
        page.set("ke", "0").unwrap();
        let shown = readout(&page.calculator);
        let svg = check(
            |area| breakdown_chart(area, &shown.memory_bars, &Theme::dark()),
            &["not counted", "Activations"],
        );
        assert_eq!(
            svg.matches("Activations").count(),
            1,
            "only the line's name"
        );
    }

    #[test]
    fn a_phone_gets_the_compact_layout_and_nothing_counted_a_message() {
        let shown = readout(&CalculatorPage::default().calculator);
        let (result, _) = render((320, 320), |area| {
            breakdown_chart(area, &shown.memory_bars, &Theme::light())
        });
        assert_eq!(result, Ok(()));
        let nothing = [BreakdownBar {
            label: "Activations".to_string(),
            bytes: None,
            part: Part::Activations,
        }];
        check(
            |area| breakdown_chart(area, &nothing, &Theme::light()),
            &["Nothing to count."],
        );
        check(
            |area| breakdown_chart(area, &[], &Theme::light()),
            &["Nothing to count."],
        );
        let (result, _) = render((100, 60), |area| {
            breakdown_chart(area, &shown.memory_bars, &Theme::light())
        });
        assert!(result.is_err());
    }
}
