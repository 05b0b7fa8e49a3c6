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

mod training_charts {
    use super::*;
    use lora_explorer::figures::training::{LossChart, MatrixData, Panel, PanelData, Snapshot};
    use lora_explorer::math::train::{
        Config, Curves, Floor, Init, LearnForget, Method, Optimizer, Point, RankSweep, Spectrum,
        Status, Trainer,
    };
    use lora_explorer::render::charts::{learn_forget_chart, loss_chart, training_spectra_chart};

    /// An 8×8 layer with a rank-3 target, learnt at rank 2 from noisy labels.
    fn small() -> Config {
        let mut config = Config::default();
        config.task.d = 8;
        config.task.k = 8;
        config.task.spectrum = Spectrum::ExactRank(3);
        config.task.noise = 0.1;
        config.task.examples = 64;
        config.train.rank = 2;
        config
    }

    /// A trainer of [`small`] after `steps` steps, recorded every 10.
    fn trained(config: Config, steps: usize) -> Trainer {
        let mut trainer = Trainer::new(config);
        for _ in 0..steps / 10 {
            trainer.advance(10);
        }
        trainer
    }

    /// Asserts the SVG has no coordinate or text made of a non-finite number.
    fn finite_only(svg: &str) {
        for bad in ["NaN", "inf", "∞"] {
            assert!(!svg.contains(bad), "the SVG holds {bad:?}");
        }
    }

    /// The labels every loss chart of both runs carries.
    const LOSS_LEGEND: [&str; 5] = [
        "Full fine-tuning",
        "train loss",
        "test loss",
        "pretraining loss (forgetting)",
        "Eckart–Young floor, rank 2",
    ];

    /// A loss chart of both runs whose points hold `losses` in turn, as train, test and pretraining
    /// losses alike, against a floor of `floor`.
    fn loss_chart_of(losses: &[f64], floor: f64) -> LossChart {
        let points: Vec<Point> = losses
            .iter()
            .enumerate()
            .map(|(step, &loss)| Point {
                step: 10 * step,
                train: loss,
                test: loss,
                pretrain: loss,
            })
            .collect();
        LossChart {
            step: 10 * losses.len(),
            rank: 2,
            target_rank: 3,
            init: Init::Peft,
            curves: Curves {
                full: points.clone(),
                lora: points,
            },
            floor: Floor {
                rank: 2,
                expected: floor,
                noise: 0.0,
                on_test: floor,
            },
            full: Some(Status::Running),
            lora: Some(Status::Running),
        }
    }

    #[test]
    fn the_loss_chart_names_both_methods_each_loss_and_the_floor() {
        let chart = LossChart::of(&trained(small(), 200));
        let floor = format!(
            "Eckart–Young floor, rank 2: {}",
            lora_explorer::format::significant(chart.floor.on_test, 3)
        );
        let svg = check(
            |area| loss_chart(area, &chart, &Theme::light()),
            &[&LOSS_LEGEND[..], &["LoRA (rank 2)", "Steps", &floor]].concat(),
        );
        finite_only(&svg);
        let mut pissa = chart.clone();
        pissa.init = Init::Pissa;
        // The SVG backend escapes apostrophes.
        check(
            |area| loss_chart(area, &pissa, &Theme::dark()),
            &["PiSSA&apos;s floor, rank 2"],
        );
    }

    #[test]
    fn a_loss_chart_with_no_point_or_one_point_draws_its_axes() {
        let empty = loss_chart_of(&[], 0.1);
        let svg = check(
            |area| loss_chart(area, &empty, &Theme::light()),
            &[&LOSS_LEGEND[..], &["No losses yet.", "Steps"]].concat(),
        );
        finite_only(&svg);
        // A fresh trainer has its step-0 point alone.
        let fresh = LossChart::of(&Trainer::new(small()));
        assert_eq!(fresh.curves.lora.len(), 1);
        let svg = check(
            |area| loss_chart(area, &fresh, &Theme::light()),
            &LOSS_LEGEND,
        );
        assert!(!svg.contains("No losses yet."));
        // No run at all, and LoRA alone: no method named that is not there.
        let mut none = empty.clone();
        (none.full, none.lora) = (None, None);
        let svg = check(
            |area| loss_chart(area, &none, &Theme::light()),
            &["No losses yet."],
        );
        assert!(!svg.contains("floor") && !svg.contains("Full fine-tuning"));
    }

    #[test]
    fn a_diverged_run_ends_in_a_labelled_cross() {
        let mut config = small();
        config.train.optimizer = Optimizer::Sgd;
        config.train.learning_rate = 1e4;
        let trainer = trained(config, 100);
        let chart = LossChart::of(&trainer);
        let Some(Status::Diverged { step }) = chart.lora else {
            panic!("LoRA should diverge at this rate: {:?}", chart.lora);
        };
        let svg = check(
            |area| loss_chart(area, &chart, &Theme::light()),
            &[&LOSS_LEGEND[..], &[&format!("diverged at step {step}")]].concat(),
        );
        finite_only(&svg);
        // The exploding losses leave through the top: the axis stops a thousand times above
        // the first losses, which are below 10.
        let start = chart.curves.full[0];
        assert!(start.train.max(start.test).max(start.pretrain) < 10.0);
        let huge = svg.lines().find(|line| {
            line.strip_prefix("10")
                .and_then(|rest| rest.chars().next())
                .is_some_and(|c| "¹²³⁴⁵⁶⁷⁸⁹".contains(c))
        });
        assert_eq!(huge, None, "a tick beyond 10⁴");
    }

    #[test]
    fn losses_from_huge_to_tiny_zero_and_non_finite_keep_a_sensible_axis() {
        // Every decade from 10² down to 10⁻¹², among zeros, negatives and non-finite values.
        let mut wild: Vec<f64> = (-12..=2).rev().map(|e| 10f64.powi(e)).collect();
        wild.extend([
            f64::NAN,
            0.0,
            -1.0,
            1e-300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            3e-3,
        ]);
        let chart = loss_chart_of(&wild, 1e-4);
        let svg = check(
            |area| loss_chart(area, &chart, &Theme::light()),
            &[&LOSS_LEGEND[..], &["100", "10⁻¹⁰"]].concat(),
        );
        finite_only(&svg);
        // Twelve decades under the largest loss at most, however small the others.
        for deeper in ["10⁻¹¹", "10⁻¹²", "10⁻¹⁴", "10⁻³⁰⁰"] {
            assert!(!svg.contains(deeper), "the axis reaches {deeper}");
        }
        // A floor of 0 is said, not drawn.
        let clean = loss_chart_of(&[1.0, 0.1], 0.0);
        check(
            |area| loss_chart(area, &clean, &Theme::light()),
            &["Eckart–Young floor, rank 2: 0, below the axis"],
        );
        // Nothing positive at all.
        let zeros = loss_chart_of(&[0.0, f64::NAN, -2.0], f64::NAN);
        let svg = check(|area| loss_chart(area, &zeros, &Theme::light()), &["Steps"]);
        finite_only(&svg);
        assert!(
            !svg.contains("floor"),
            "a floor that is not finite is left out"
        );
    }

    #[test]
    fn the_spectra_chart_marks_each_updates_rank_for_90_percent() {
        let snapshot = Snapshot::take(&trained(small(), 100));
        let marks: Vec<String> = [
            (Panel::Target, "ΔW*"),
            (Panel::Full, "full"),
            (Panel::Lora, "LoRA"),
        ]
        .iter()
        .map(|&(panel, short)| {
            let rank = snapshot.panel(panel).map_or(0, |p| p.rank_90);
            format!("{short}: 90% in {rank}")
        })
        .collect();
        let marks: Vec<&str> = marks.iter().map(String::as_str).collect();
        let svg = check(
            |area| training_spectra_chart(area, &snapshot, &Theme::light()),
            &[
                &[
                    "ΔW*",
                    "Full fine-tuning&apos;s ΔW",
                    "LoRA&apos;s update",
                    "Index i",
                ][..],
                &marks,
            ]
            .concat(),
        );
        // LoRA's update has rank 2: its rounding-sized values sit on the zero row.
        assert!(svg.lines().any(|line| line == "0"), "no zero row");
        assert!(
            !svg.contains("LoRA − best"),
            "the gap is not a spectrum here"
        );
        finite_only(&svg);
    }

    #[test]
    fn the_spectra_chart_survives_no_panels_zeros_and_wild_values() {
        let empty = Snapshot {
            step: 0,
            rank: 2,
            lora_max_rank: 2,
            panels: Vec::new(),
        };
        check(
            |area| training_spectra_chart(area, &empty, &Theme::light()),
            &["No non-zero singular values to plot."],
        );
        // At step 0 LoRA's update is exactly zero and full fine-tuning's too.
        let start = Snapshot::take(&Trainer::new(small()));
        let svg = check(
            |area| training_spectra_chart(area, &start, &Theme::light()),
            &["ΔW*: 90% in"],
        );
        finite_only(&svg);
        let panel = |panel: Panel, sigma: Vec<f64>, rank_90: usize| PanelData {
            panel,
            matrix: MatrixData {
                rows: 0,
                cols: 0,
                entries: Vec::new(),
            },
            sigma,
            rank_90,
            norm: 1.0,
        };
        let wild = Snapshot {
            step: 1,
            rank: 2,
            lora_max_rank: 2,
            panels: vec![
                panel(Panel::Target, vec![1e30, 1e10, 1e-30, 0.0], 1),
                panel(Panel::Full, vec![f64::NAN, f64::INFINITY, 1e-300, -1.0], 9),
                panel(Panel::Lora, vec![1e-20, 1e-25, 0.0, 0.0], 0),
            ],
        };
        let svg = check(
            |area| training_spectra_chart(area, &wild, &Theme::light()),
            &["ΔW*: 90% in 1"],
        );
        finite_only(&svg);
        // Sixteen decades under the largest value at most.
        assert!(!svg.contains("10⁻²"), "the axis reaches far below 10¹⁴");
        assert!(!svg.contains("90% in 9") && !svg.contains("90% in 0"));
    }

    /// A learn–forget point.
    fn point(method: Method, rank: usize, test: f64, pretrain: f64) -> LearnForget {
        LearnForget {
            method,
            rank,
            step: 100,
            test,
            pretrain,
            status: Status::Running,
        }
    }

    #[test]
    fn the_learn_forget_plane_labels_the_runs_without_overlapping_them() {
        let mut sweep = RankSweep::new(small(), 100);
        sweep.advance(usize::MAX);
        let points: Vec<LearnForget> = sweep.points().iter().map(|p| p.result).collect();
        let svg = check(
            |area| learn_forget_chart(area, &points, &Theme::light()),
            &[
                "LoRA, by rank",
                "Full fine-tuning",
                "r = 1",
                "r = 2",
                "r = 4",
                "full",
                "New-task test loss",
                "Pretraining loss",
            ],
        );
        finite_only(&svg);
        // Rank 8 of an 8×8 layer lands on full fine-tuning: one label for the two points.
        let same = [
            point(Method::Lora, 1, 0.9, 0.1),
            point(Method::Lora, 8, 0.3, 0.5),
            point(Method::Full, 8, 0.3, 0.5),
        ];
        let svg = check(
            |area| learn_forget_chart(area, &same, &Theme::light()),
            &["r = 1", "full"],
        );
        assert!(!svg.contains("r = 8"), "an overlapping label is drawn");
    }

    #[test]
    fn the_learn_forget_plane_goes_logarithmic_only_across_decades() {
        let close = [
            point(Method::Lora, 1, 0.30, 0.010),
            point(Method::Lora, 4, 0.25, 0.012),
            point(Method::Full, 8, 0.22, 0.015),
        ];
        let svg = check(
            |area| learn_forget_chart(area, &close, &Theme::light()),
            &["r = 1", "r = 4", "full"],
        );
        assert!(!svg.contains("log scale"), "no axis spans a decade");
        let wide = [
            point(Method::Lora, 1, 1e2, 1e-12),
            point(Method::Lora, 64, 1e-12, 0.0),
            point(Method::Full, 8, 1e-3, 1e2),
        ];
        let svg = check(
            |area| learn_forget_chart(area, &wide, &Theme::light()),
            &["r = 64", "(log scale)"],
        );
        assert_eq!(svg.matches("(log scale)").count(), 2, "both axes");
        finite_only(&svg);
    }

    #[test]
    fn the_learn_forget_plane_survives_nothing_and_diverged_runs() {
        check(
            |area| learn_forget_chart(area, &[], &Theme::light()),
            &["No finished run to place yet."],
        );
        let mut diverged = point(Method::Lora, 2, 0.5, 0.2);
        diverged.status = Status::Diverged { step: 7 };
        let lost = point(Method::Lora, 4, f64::NAN, f64::INFINITY);
        let svg = check(
            |area| learn_forget_chart(area, &[diverged, lost], &Theme::light()),
            &["r = 2, diverged"],
        );
        assert!(
            !svg.contains("r = 4"),
            "a point with no finite loss is left out"
        );
        finite_only(&svg);
        check(
            |area| learn_forget_chart(area, &[lost], &Theme::light()),
            &["No finished run to place yet."],
        );
        let zero = [point(Method::Full, 8, 0.0, 0.0)];
        let svg = check(
            |area| learn_forget_chart(area, &zero, &Theme::light()),
            &["full"],
        );
        finite_only(&svg);
    }

    #[test]
    fn a_phone_gets_every_chart_and_a_tiny_area_an_error() {
        let trainer = trained(small(), 50);
        let chart = LossChart::of(&trainer);
        let snapshot = Snapshot::take(&trainer);
        let points = [point(Method::Lora, 1, 0.3, 0.01)];
        let charts: [Draw; 3] = [
            &|area| loss_chart(area, &chart, &Theme::light()),
            &|area| training_spectra_chart(area, &snapshot, &Theme::light()),
            &|area| learn_forget_chart(area, &points, &Theme::light()),
        ];
        for draw in charts {
            assert_eq!(render((360, 260), draw).0, Ok(()));
            assert!(render((100, 60), draw).0.is_err());
        }
    }
}

mod inspector_charts {
    use super::*;
    use lora_explorer::adapter::{inspect, Inspection};
    use lora_explorer::figures::inspector::{per_layer, LayerSeries};
    use lora_explorer::render::charts::{layer_norms_chart, module_spectrum_chart};

    use crate::adapter_files::{small_adapter, SMALL_CONFIG};

    /// The small adapter, inspected with its config.
    fn small_inspection() -> Inspection {
        match inspect(&small_adapter(), Some(SMALL_CONFIG)) {
            Ok(inspection) => inspection,
            Err(e) => panic!("the small adapter should inspect: {e}"),
        }
    }

    #[test]
    fn the_layer_chart_has_a_line_a_module_kind_and_survives_no_points() {
        let inspection = small_inspection();
        let series = per_layer(&inspection);
        for theme in [Theme::light(), Theme::dark()] {
            check(
                |area| layer_norms_chart(area, &series, &theme),
                &["q_proj", "v_proj", "Layer", "‖ΔW‖_F"],
            );
        }
        // Eight kinds, more than the colours: they come round again.
        let many: Vec<LayerSeries> = (0..8)
            .map(|k| LayerSeries {
                kind: format!("kind_{k}"),
                points: (0..32).map(|l| (l, 1.0 + f64::from(l * k))).collect(),
            })
            .collect();
        check(
            |area| layer_norms_chart(area, &many, &Theme::light()),
            &["kind_7", "30"],
        );
        check(
            |area| layer_norms_chart(area, &[], &Theme::light()),
            &["No layer has a finite ‖ΔW‖_F to plot."],
        );
        let zero = [LayerSeries {
            kind: "q_proj".into(),
            points: vec![(0, 0.0)],
        }];
        check(
            |area| layer_norms_chart(area, &zero, &Theme::light()),
            &["q_proj"],
        );
    }

    #[test]
    fn the_spectrum_chart_marks_the_90_percent_rank_and_the_stable_rank() {
        let inspection = small_inspection();
        let mut m = inspection.modules[0].clone();
        let svg = check(
            |area| module_spectrum_chart(area, &m, &Theme::dark()),
            &["σᵢ of q_proj", "90% of ‖ΔW‖_F² in", "stable rank"],
        );
        assert!(!svg.contains("NaN"));
        // A rank-deficient update: its zero sits on the bottom row.
        m.singular_values = vec![2.0, 1e-20];
        m.rank_90 = 1;
        m.stable_rank = Some(1.0);
        check(
            |area| module_spectrum_chart(area, &m, &Theme::light()),
            &["0", "in 1", "stable rank 1.00"],
        );
        m.singular_values = vec![0.0, 0.0];
        m.stable_rank = None;
        m.rank_90 = 0;
        check(
            |area| module_spectrum_chart(area, &m, &Theme::light()),
            &["ΔW is zero: no singular value to plot."],
        );
        m.singular_values.clear();
        check(
            |area| module_spectrum_chart(area, &m, &Theme::light()),
            &["This module has no spectrum."],
        );
        let phone: Draw =
            &|area| module_spectrum_chart(area, &inspection.modules[1], &Theme::light());
        assert_eq!(render((360, 260), phone).0, Ok(()));
        assert!(render((100, 60), phone).0.is_err());
    }

    /// Where the text `label` is written in `svg`: its x and y.
    fn text_at(svg: &str, label: &str) -> (f64, f64) {
        let end = match svg.find(&format!(">\n{label}\n</text>")) {
            Some(end) => end,
            None => panic!("no text {label:?}"),
        };
        let tag = &svg[svg[..end].rfind("<text").unwrap_or(0)..end];
        let attribute = |name: &str| -> f64 {
            let rest = &tag[tag.find(&format!(" {name}=\"")).unwrap_or(0) + name.len() + 3..];
            rest[..rest.find('"').unwrap_or(0)]
                .parse()
                .unwrap_or(f64::NAN)
        };
        (attribute("x"), attribute("y"))
    }

    /// The top of the plot: the highest point of the vertical dashes drawn in `colour`.
    fn top_of_dashes(svg: &str, colour: &str) -> f64 {
        svg.split("<polyline")
            .filter(|p| p.contains(&format!("stroke=\"{colour}\"")))
            .filter_map(|p| {
                let points = &p[p.find("points=\"")? + 8..];
                let pairs: Vec<(f64, f64)> = points[..points.find('"')?]
                    .split_whitespace()
                    .filter_map(|xy| {
                        let (x, y) = xy.split_once(',')?;
                        Some((x.parse().ok()?, y.parse().ok()?))
                    })
                    .collect();
                (pairs.len() == 2 && pairs[0].0 == pairs[1].0).then(|| pairs[0].1.min(pairs[1].1))
            })
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    fn on_a_phone_the_spectrums_marker_labels_go_in_the_legend() {
        let inspection = small_inspection();
        // Two markers a fraction of an index apart: the 90% rank after σ₂, the stable rank 1.39.
        let mut m = inspection.modules[1].clone();
        m.singular_values = vec![9.0, 6.0];
        m.rank_90 = 2;
        m.stable_rank = Some(1.39);
        let theme = Theme::light();
        let (ninety, stable) = ("90% of ‖ΔW‖_F² in 2", "stable rank 1.39");
        let orange = "#E69F00";
        // 330 px: the chart's width on a 360 px phone.
        let (result, svg) = render((330, 320), |area| module_spectrum_chart(area, &m, &theme));
        assert_eq!(result, Ok(()));
        let top = top_of_dashes(&svg, orange);
        assert!(top.is_finite(), "no marker line");
        let (a, b) = (text_at(&svg, ninety), text_at(&svg, stable));
        // Both labels sit above the plot, so neither crosses a marker line…
        assert!(
            a.1 < top && b.1 < top,
            "{a:?} {b:?} against the plot's top {top}"
        );
        // …and apart: on rows of their own, or side by side with room between them.
        let width = |label: &str| label.chars().count() as f64 * 0.6 * 11.0;
        let apart =
            (a.1 - b.1).abs() >= 11.0 || a.0 + width(ninety) <= b.0 || b.0 + width(stable) <= a.0;
        assert!(apart, "{a:?} and {b:?} overlap");
        // On a wide screen they stay at their lines' tops, inside the plot.
        let (result, svg) = render((800, 320), |area| module_spectrum_chart(area, &m, &theme));
        assert_eq!(result, Ok(()));
        let top = top_of_dashes(&svg, orange);
        assert!(text_at(&svg, ninety).1 > top && text_at(&svg, stable).1 > top);
    }
}
