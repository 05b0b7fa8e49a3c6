//! The worker protocol: every request and answer reads back as it was written, a request whose
//! matrices do not fit their shapes or whose settings are out of range is mended or refused, and a
//! worker's answers are what the core computes.

use lora_explorer::figures::factorisation::Spectra;
use lora_explorer::figures::intrinsic::{MatrixSpec, Workbench};
use lora_explorer::figures::work::{Answer, Bench, Message, Progress, Reply, Request, Workbenches};
use lora_explorer::state::{FactorisationState, IntrinsicState, Section};

fn spec() -> MatrixSpec {
    MatrixSpec::of(&IntrinsicState {
        n: 32,
        ..IntrinsicState::default()
    })
}

/// Figure 3 at settings away from its defaults.
fn settings() -> FactorisationState {
    let mut state = FactorisationState::default();
    for (key, value) in [
        ("fd", "17"),
        ("fk", "9"),
        ("fr", "5"),
        ("fa", "3.5"),
        ("fi", "1"),
    ] {
        assert!(state.set(key, value).is_ok(), "{key}={value}");
    }
    state
}

/// `message` written and read back.
fn round_trip<M: Message>(message: &M) -> Option<M> {
    M::from_bytes(&message.to_bytes().ok()?).ok()
}

#[test]
fn every_request_reads_back_as_it_was_written() {
    let requests = [
        Request::Spectrum {
            job: 1,
            spec: spec(),
        },
        Request::Approximation {
            job: u32::MAX,
            spec: spec(),
            rank: 3,
        },
        Request::Spectra {
            job: 7,
            state: settings(),
        },
    ];
    for request in requests {
        assert_eq!(round_trip(&request), Some(request));
    }
}

#[test]
fn every_answer_reads_back_as_it_was_written() {
    let mut intrinsic = Workbench::default();
    let answers = [
        Answer::Ready,
        Answer::Failed {
            message: "the worker stopped: σ₁ ≠ ∞".to_string(),
        },
        Answer::Spectrum {
            job: 2,
            sigma: intrinsic.spectrum(spec()).to_vec(),
            ms: 1.25,
            svd_ms: 0.5,
        },
        Answer::Approximation {
            job: 3,
            approximation: intrinsic.approximation(spec(), 4),
            ms: 12.0,
        },
        Answer::Spectra {
            job: 4,
            spectra: Spectra::at(&FactorisationState::default()),
            ms: 0.75,
        },
    ];
    for answer in answers {
        assert_eq!(round_trip(&answer), Some(answer));
    }
}

#[test]
fn only_answers_to_requests_carry_a_job() {
    assert_eq!(Answer::Ready.job(), None);
    let failed = Answer::Failed {
        message: String::new(),
    };
    assert_eq!(failed.job(), None);
    let spectra = Answer::Spectra {
        job: 9,
        spectra: Spectra::default(),
        ms: 0.0,
    };
    assert_eq!(spectra.job(), Some(9));
}

#[test]
fn figure_settings_out_of_range_are_clamped_as_a_link_would_be() {
    // The settings travel as six numbers: written by hand, they may be anything.
    let tag = Request::Spectra {
        job: 0,
        state: settings(),
    }
    .to_bytes()
    .expect("any request can be written")[0];
    let request = |values: &[f64]| {
        let mut bytes = vec![tag];
        bytes.extend(postcard::to_allocvec(&(5u32, values)).expect("numbers can be written"));
        Request::from_bytes(&bytes)
    };
    let Ok(Request::Spectra { job, state }) = request(&[1e9, -3.0, 40.0, 1e300, 2.4, 1.0]) else {
        panic!("out-of-range settings should be clamped, not refused");
    };
    assert_eq!(job, 5);
    let mut expected = FactorisationState::default();
    for (key, value) in [
        ("fd", "64"),
        ("fk", "2"),
        ("fr", "2"),
        ("fa", "64"),
        ("fs", "2"),
        ("fi", "1"),
    ] {
        expected.set(key, value).expect("a value in range");
    }
    assert_eq!(state, expected);
    // Five numbers, or a value that is not a number, are not these settings.
    assert!(request(&[4.0, 4.0, 2.0, 2.0, 42.0]).is_err());
    assert!(request(&[4.0, 4.0, 2.0, f64::NAN, 42.0, 0.0]).is_err());
}

#[test]
fn bytes_that_are_not_a_whole_message_do_not_read() {
    let bytes = Request::Spectra {
        job: 1,
        state: settings(),
    }
    .to_bytes()
    .expect("any request can be written");
    assert!(Request::from_bytes(&bytes[..bytes.len() / 2]).is_err());
    assert!(Answer::from_bytes(&[200]).is_err());
    assert!(Answer::from_bytes(&[]).is_err());
}

#[test]
fn heatmaps_travel_as_bytes_not_one_number_at_a_time() {
    let approximation = Workbench::default().approximation(spec(), 2);
    let pixels: usize = approximation.pixels.iter().map(|p| p.len()).sum();
    let bytes = Answer::Approximation {
        job: 1,
        approximation,
        ms: 0.0,
    }
    .to_bytes()
    .expect("any answer can be written");
    // Three lengths, five numbers and a few tags beside the pixels themselves.
    assert!(bytes.len() < pixels + 64, "{} bytes", bytes.len());
}

#[test]
fn a_worker_answers_with_what_the_core_computes() {
    let mut worker = Workbenches::default();
    let mut reference = Workbench::default();
    let clock = || 5.0;
    match worker.answer(
        Request::Spectrum {
            job: 1,
            spec: spec(),
        },
        clock,
    ) {
        Answer::Spectrum { job, sigma, ms, .. } => {
            assert_eq!(job, 1);
            assert_eq!(sigma, reference.spectrum(spec()));
            assert_eq!(ms, 0.0);
        }
        other => panic!("a spectrum request answered {other:?}"),
    }
    let request = Request::Approximation {
        job: 2,
        spec: spec(),
        rank: 5,
    };
    match worker.answer(request, clock) {
        Answer::Approximation { approximation, .. } => {
            assert_eq!(approximation, reference.approximation(spec(), 5));
        }
        other => panic!("an approximation request answered {other:?}"),
    }
    let request = Request::Spectra {
        job: 3,
        state: settings(),
    };
    match worker.answer(request, clock) {
        Answer::Spectra { job, spectra, .. } => {
            assert_eq!(job, 3);
            assert_eq!(spectra, Spectra::at(&settings()));
        }
        other => panic!("a spectra request answered {other:?}"),
    }
}

#[test]
fn the_quantisation_errors_numbers_travel_and_match_the_core() {
    use lora_explorer::figures::qlora::{BlockSizeSeries, QloraParams, QuantFigure, QuantMatrix};
    use lora_explorer::math::svd::singular_values;
    let params = QloraParams {
        size: 64,
        ..QloraParams::default()
    };
    let request = Request::QuantError { job: 9, params };
    let bytes = request.to_bytes().unwrap();
    let read = Request::from_bytes(&bytes).unwrap();
    assert_eq!(read, request);
    let answer = Workbenches::default().answer(read, || 0.0);
    let Answer::QuantError {
        job, sigma, series, ..
    } = answer.clone()
    else {
        panic!("not the quantisation error's answer: {answer:?}");
    };
    assert_eq!(job, 9);
    let error = QuantFigure::new(&params).matrix(QuantMatrix::Error);
    assert_eq!(sigma, singular_values(&error));
    assert_eq!(series, BlockSizeSeries::new(&params));
    let back = Answer::from_bytes(&answer.to_bytes().unwrap()).unwrap();
    assert_eq!(back, answer);
}

#[test]
fn a_matrix_quantised_in_the_worker_shows_what_the_main_thread_would() {
    use lora_explorer::figures::qlora::{QloraParams, QuantFigure, QuantView, CORNER};
    let mut worker = Workbenches::default();
    let first = QloraParams {
        size: 512,
        block: 3,
        ..QloraParams::default()
    };
    // A new code, then a new chosen block, on the same W: the worker keeps W between them.
    let second = QloraParams {
        block_size: 256,
        ..first
    };
    let third = QloraParams {
        block: 700,
        ..second
    };
    for (job, params) in [(1, first), (2, second), (3, third)] {
        let request = Request::Quantise { job, params };
        let read = Request::from_bytes(&request.to_bytes().unwrap()).unwrap();
        let answer = worker.answer(read, || 0.0);
        let back = Answer::from_bytes(&answer.to_bytes().unwrap()).unwrap();
        assert_eq!(back, answer);
        let Answer::Quantised {
            job: answered,
            view,
            ..
        } = answer
        else {
            panic!("not the quantised matrix: {answer:?}");
        };
        assert_eq!(answered, job);
        let mut figure = QuantFigure::new(&params);
        figure.select_block(params.block);
        assert_eq!(*view, QuantView::of(&figure));
        assert_eq!(view.histogram.block, params.block);
        assert_eq!(
            (view.corners[0].rows, view.corners[0].cols),
            (CORNER, CORNER)
        );
        // What the page can download of it: the three corners.
        let names: Vec<String> = view.downloads().into_iter().map(|d| d.name).collect();
        assert_eq!(
            names,
            [
                "lora-explorer-qlora-W-top-left-64x64.csv",
                "lora-explorer-qlora-dequantised-top-left-64x64.csv",
                "lora-explorer-qlora-error-top-left-64x64.csv"
            ]
        );
    }
}

/// A clock that moves one millisecond each time it is read.
fn ticking() -> impl Fn() -> f64 {
    let now = std::cell::Cell::new(0.0);
    move || {
        now.set(now.get() + 1.0);
        now.get()
    }
}

#[test]
fn a_spectrum_computed_in_slices_is_the_spectrum_computed_at_once() {
    let spec = MatrixSpec::of(&IntrinsicState {
        n: 96,
        ..IntrinsicState::default()
    });
    let request = Request::Spectrum { job: 7, spec };
    let clock = ticking();
    let mut worker = Workbenches::default();
    let mut slices = 0;
    let answer = loop {
        slices += 1;
        let deadline = clock() + 3.0;
        if let Progress::Done(answer) = worker.advance(&request, &clock, deadline) {
            break answer;
        }
    };
    // The noise (three chunks of columns), the steps of the bidiagonalisation, then dqds.
    assert!(slices > 20, "{slices} slices");
    match answer {
        Answer::Spectrum {
            job,
            sigma,
            ms,
            svd_ms,
        } => {
            assert_eq!(job, 7);
            assert_eq!(sigma, Workbench::default().spectrum(spec));
            // Every slice's time is counted, the drawing's apart from the singular values'.
            assert!(svd_ms > 90.0 && ms > svd_ms, "{ms} {svd_ms}");
        }
        other => panic!("a spectrum request answered {other:?}"),
    }
}

#[test]
fn a_newer_request_drops_the_stale_work_and_keeps_a_noise_draw_it_can_use() {
    let state = IntrinsicState {
        n: 64,
        ..IntrinsicState::default()
    };
    let first = MatrixSpec::of(&state);
    let other_seed = MatrixSpec {
        seed: first.seed + 1,
        ..first
    };
    let other_rank = MatrixSpec {
        true_rank: first.true_rank + 2,
        ..first
    };
    let clock = ticking();
    let mut worker = Workbenches::default();
    // A few slices of each, each newer request replacing the last before it is answered.
    for spec in [first, other_seed, other_rank, first] {
        let request = Request::Spectrum { job: 1, spec };
        for _ in 0..3 {
            let deadline = clock() + 1.0;
            assert_eq!(
                worker.advance(&request, &clock, deadline),
                Progress::Working { wait: 0.0 }
            );
        }
    }
    for spec in [other_rank, first, other_seed, first] {
        let request = Request::Spectrum { job: 2, spec };
        match worker.answer(request, &clock) {
            Answer::Spectrum { sigma, .. } => {
                assert_eq!(sigma, Workbench::default().spectrum(spec), "{spec:?}");
            }
            other => panic!("a spectrum request answered {other:?}"),
        }
    }
    // A spectrum already known is answered at once, without a slice.
    let request = Request::Spectrum {
        job: 3,
        spec: first,
    };
    assert!(matches!(
        worker.advance(&request, &clock, 0.0),
        Progress::Done(_)
    ));
}
