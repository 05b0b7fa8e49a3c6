//! Chapter 2's worker: a run plays at its speed and streams frames no more often than one a
//! frame's time, a pause answers at once and keeps the run, a changed configuration starts again,
//! a diverging run stops with its finite curve, and a sweep finishes and is kept.

use std::cell::Cell;

use lora_explorer::figures::trainer::{
    records_at, Frame, Mode, TrainAnswer, TrainBench, TrainRequest, FRAME_MS, MAX_STEPS,
};
use lora_explorer::figures::work::{Bench, Message, Progress, Reply, ReplyKind};
use lora_explorer::math::train::{Config, Method, Optimizer, Status, TaskSpec, TrainSpec};

/// A small experiment, so that the tests run fast in a debug build.
fn small() -> Config {
    let base = Config::default();
    Config {
        task: TaskSpec {
            d: 8,
            k: 8,
            examples: 64,
            ..base.task
        },
        train: TrainSpec {
            rank: 2,
            batch_size: 8,
            ..base.train
        },
    }
}

/// A clock the test moves by hand, in milliseconds.
#[derive(Default)]
struct Clock(Cell<f64>);

impl Clock {
    fn now(&self) -> f64 {
        self.0.get()
    }

    fn move_by(&self, ms: f64) {
        self.0.set(self.0.get() + ms);
    }
}

fn run(job: u32, config: Config, fresh: bool, mode: Mode) -> TrainRequest {
    TrainRequest::Run {
        job,
        config,
        fresh,
        mode,
    }
}

/// The frame of an answer, and whether it was the last.
fn frame_of(answer: &TrainAnswer) -> (&Frame, bool) {
    match answer {
        TrainAnswer::Frame { frame, last, .. } => (frame, *last),
        other => panic!("expected a frame, got {other:?}"),
    }
}

fn steps_of(answer: &TrainAnswer) -> usize {
    frame_of(answer).0.losses.step
}

#[test]
fn a_pause_answers_at_once_with_the_run_as_it_stands() {
    let mut bench = TrainBench::default();
    let clock = Clock::default();
    let progress = bench.advance(&run(1, small(), false, Mode::Pause), &|| clock.now(), 0.0);
    let Progress::Done(answer) = progress else {
        panic!("a pause was not answered at once: {progress:?}");
    };
    assert_eq!(answer.kind(), ReplyKind::Answer(1));
    let (frame, last) = frame_of(&answer);
    assert!(last && !frame.finished);
    assert_eq!(frame.losses.step, 0);
    // Step 0's losses are recorded: a curve starts where training starts.
    assert_eq!(frame.losses.curves.of(Method::Lora).len(), 1);
    assert_eq!(frame.snapshot.panels.len(), 4);
}

#[test]
fn steps_go_on_from_where_the_run_stopped_until_the_configuration_changes() {
    let mut bench = TrainBench::default();
    let clock = || 0.0;
    for expected in 1..=3 {
        let answer = bench.answer(run(expected as u32, small(), false, Mode::Step), clock);
        assert_eq!(steps_of(&answer), expected);
    }
    // The same configuration, paused, is the same run.
    let answer = bench.answer(run(4, small(), false, Mode::Pause), clock);
    assert_eq!(steps_of(&answer), 3);
    // A fresh start, or another configuration, starts from step 0.
    let answer = bench.answer(run(5, small(), true, Mode::Step), clock);
    assert_eq!(steps_of(&answer), 1);
    let mut other = small();
    other.task.seed += 1;
    let answer = bench.answer(run(6, other, false, Mode::Pause), clock);
    assert_eq!(steps_of(&answer), 0);
}

#[test]
fn a_playing_run_keeps_its_speed_and_sends_a_frame_at_most_every_frame_time() {
    let mut bench = TrainBench::default();
    let clock = Clock::default();
    let request = run(
        1,
        small(),
        false,
        Mode::Play {
            steps_per_second: 200.0,
        },
    );
    let mut frames = Vec::new();
    let mut waited = 0.0;
    // Two seconds, in slices as the worker would run them: 1 ms of work, then the wait asked.
    while clock.now() < 2000.0 {
        let deadline = clock.now() + 5.0;
        let wait = match bench.advance(&request, &|| clock.now(), deadline) {
            Progress::Working { wait } => wait,
            Progress::Partial { answer, wait } => {
                assert_eq!(
                    answer.kind(),
                    ReplyKind::Part(1),
                    "a frame of a playing run"
                );
                frames.push((clock.now(), steps_of(&answer)));
                wait
            }
            Progress::Done(answer) => panic!("the run stopped early: {answer:?}"),
        };
        assert!((0.0..=FRAME_MS).contains(&wait), "wait {wait}");
        waited += wait;
        clock.move_by(wait.max(1.0));
    }
    // Ahead of its schedule, the run waits rather than spins.
    assert!(waited > 1000.0, "waited {waited} ms of 2000");
    for pair in frames.windows(2) {
        assert!(pair[1].0 - pair[0].0 >= FRAME_MS, "{pair:?}");
    }
    assert!(frames.len() >= 30, "{} frames in 2 s", frames.len());
    // 200 steps a second for two seconds.
    let steps = frames.last().map_or(0, |f| f.1);
    assert!((380..=400).contains(&steps), "{steps} steps");
    // A pause is answered with the run where it stood, and playing again goes on from there.
    let paused = bench.answer(run(2, small(), false, Mode::Pause), || clock.now());
    let at_pause = steps_of(&paused);
    assert!(at_pause >= steps, "{at_pause} < {steps}");
    let resumed = run(
        3,
        small(),
        false,
        Mode::Play {
            steps_per_second: 200.0,
        },
    );
    let start = clock.now();
    bench.advance(&resumed, &|| clock.now(), start + 5.0);
    clock.move_by(100.0);
    let progress = bench.advance(&resumed, &|| clock.now(), clock.now() + 5.0);
    let Progress::Partial { answer, .. } = progress else {
        panic!("no frame after 100 ms: {progress:?}");
    };
    assert_eq!(steps_of(&answer), at_pause + 20);
}

#[test]
fn a_run_played_as_fast_as_it_can_stops_at_the_step_limit() {
    let mut bench = TrainBench::default();
    let answer = bench.answer(
        run(
            1,
            small(),
            false,
            Mode::Play {
                steps_per_second: f64::INFINITY,
            },
        ),
        || 0.0,
    );
    let (frame, last) = frame_of(&answer);
    assert!(last && frame.finished);
    assert_eq!(frame.losses.step, MAX_STEPS);
    // Its curve was recorded on the schedule, ending at the limit.
    let steps: Vec<usize> = frame
        .losses
        .curves
        .of(Method::Full)
        .iter()
        .map(|p| p.step)
        .collect();
    let expected: Vec<usize> = (0..=MAX_STEPS).filter(|&s| records_at(s)).collect();
    assert_eq!(steps, expected);
    assert!(steps.len() < 400, "{} points", steps.len());
    // Played again, a finished run answers at once, as it stands.
    let again = bench.answer(run(2, small(), false, Mode::Step), || 0.0);
    assert_eq!(steps_of(&again), MAX_STEPS);
}

#[test]
fn a_diverging_run_stops_with_a_finite_curve_and_says_where() {
    let mut config = small();
    config.train.learning_rate = 1e5;
    config.train.optimizer = Optimizer::Sgd;
    let mut bench = TrainBench::default();
    let answer = bench.answer(
        run(
            1,
            config,
            false,
            Mode::Play {
                steps_per_second: f64::INFINITY,
            },
        ),
        || 0.0,
    );
    let (frame, last) = frame_of(&answer);
    assert!(last && frame.finished);
    for method in [Method::Full, Method::Lora] {
        let status = match method {
            Method::Full => frame.losses.full,
            Method::Lora => frame.losses.lora,
        };
        assert!(
            matches!(status, Some(Status::Diverged { step }) if step < 100),
            "{method:?}: {status:?}"
        );
        assert!(frame.losses.curves.of(method).iter().all(|p| p.is_finite()));
    }
    assert!(frame.losses.caption().contains("diverged at step"));
}

#[test]
fn a_sweep_finishes_streams_its_progress_and_is_kept() {
    let mut bench = TrainBench::default();
    let clock = Clock::default();
    let request = TrainRequest::Sweep {
        job: 1,
        config: small(),
    };
    let mut fractions = Vec::new();
    let figure = loop {
        let deadline = clock.now() + 5.0;
        let progress = bench.advance(
            &request,
            &|| {
                clock.move_by(1.0);
                clock.now()
            },
            deadline,
        );
        match progress {
            Progress::Working { wait } => assert_eq!(wait, 0.0),
            Progress::Partial { answer, .. } => match answer {
                TrainAnswer::Sweep { figure, last, .. } => {
                    assert!(!last);
                    fractions.push(figure.progress.fraction());
                }
                other => panic!("a sweep sent {other:?}"),
            },
            Progress::Done(TrainAnswer::Sweep { figure, last, .. }) => {
                assert!(last);
                break figure;
            }
            Progress::Done(other) => panic!("a sweep answered {other:?}"),
        }
    };
    assert!(!fractions.is_empty(), "no progress was sent");
    assert!(fractions.windows(2).all(|w| w[0] <= w[1]), "{fractions:?}");
    // Ranks 1, 2, 4 and 8 of an 8×8 layer, then full fine-tuning.
    assert_eq!(figure.points.len(), 5);
    // The subspace figure compares the two largest ranks' A matrices, φ in [0, 1].
    let subspace = figure
        .subspace
        .as_ref()
        .expect("a finished sweep compares two ranks");
    assert_eq!((subspace.first_rank, subspace.second_rank), (4, 8));
    assert_eq!((subspace.grid.rows, subspace.grid.cols), (4, 8));
    assert!(subspace
        .grid
        .entries
        .iter()
        .all(|phi| (0.0..=1.0).contains(phi)));
    let grid = lora_explorer::figures::learn::downloads(
        lora_explorer::figures::FigureId::Subspace,
        None,
        Some(&figure),
    );
    assert_eq!(grid[0].name, "lora-explorer-subspace-similarity-4x8.csv");
    assert_eq!(figure.progress.fraction(), 1.0);
    // The same sweep again is answered at once.
    let again = TrainRequest::Sweep {
        job: 2,
        config: small(),
    };
    assert!(matches!(
        bench.advance(&again, &|| clock.now(), clock.now()),
        Progress::Done(TrainAnswer::Sweep { last: true, .. })
    ));
}

#[test]
fn every_message_reads_back_as_it_was_written() {
    let mut bench = TrainBench::default();
    let request = run(7, small(), true, Mode::Step);
    let answer = bench.answer(request.clone(), || 0.0);
    let request_back = TrainRequest::from_bytes(&request.to_bytes().expect("written"));
    assert_eq!(request_back.ok(), Some(request));
    let answer_back = TrainAnswer::from_bytes(&answer.to_bytes().expect("written"));
    assert_eq!(answer_back.ok(), Some(answer));
    for message in [TrainAnswer::ready(), TrainAnswer::failed("no".into())] {
        let back = TrainAnswer::from_bytes(&message.to_bytes().expect("written"));
        assert_eq!(back.ok(), Some(message));
    }
}

#[test]
fn the_controls_describe_the_experiment() {
    use lora_explorer::figures::trainer::{config_of, speed_of};
    use lora_explorer::math::train::{Init, Scaling, Spectrum};
    use lora_explorer::state::{ChapterState, LearnPage};

    let mut page = LearnPage::default();
    let config = config_of(&page.learn);
    assert_eq!((config.task.d, config.task.k), (64, 64));
    assert_eq!(config.task.spectrum, Spectrum::ExactRank(8));
    assert_eq!(config.task.examples, 1024);
    assert_eq!(config.train.batch_size, 32);
    assert_eq!(config.train.rank, 4);
    assert!((config.train.learning_rate - 0.005).abs() < 1e-4);
    assert!((config.task.relative_size - 0.5).abs() < 1e-2);
    assert_eq!(speed_of(&page.learn), 300.0);
    for (key, value) in [
        ("ld", "16"),
        ("lz", "power"),
        ("lp", "2"),
        ("ln", "16"),
        ("lb", "256"),
        ("lc", "rslora"),
        ("li", "pissa"),
        ("lo", "sgd"),
        ("lw", "max"),
        ("lr", "64"),
    ] {
        page.set(key, value).expect("a valid value");
    }
    let config = config_of(&page.learn);
    assert_eq!(config.task.d, 16);
    assert_eq!(config.task.spectrum, Spectrum::PowerLaw(2.0));
    // r ≤ min(d, k), and a batch never larger than the training set.
    assert_eq!(config.train.rank, 16);
    assert_eq!(config.train.batch_size, 16);
    assert_eq!(config.train.scaling, Scaling::RankStabilised);
    assert_eq!(config.train.init, Init::Pissa);
    assert_eq!(config.train.optimizer, Optimizer::Sgd);
    assert_eq!(speed_of(&page.learn), f64::INFINITY);
}

#[test]
fn every_figure_offers_its_numbers_once_a_frame_is_in() {
    use lora_explorer::figures::learn::{downloads, peft_config, tables, LEARN_FIGURES};

    for figure in LEARN_FIGURES {
        assert!(downloads(figure, None, None).is_empty(), "{figure:?}");
        assert!(tables(figure, None, None).is_empty(), "{figure:?}");
    }
    let mut bench = TrainBench::default();
    let answer = bench.answer(run(1, small(), false, Mode::Step), || 0.0);
    let (frame, _) = frame_of(&answer);
    // The curves: both methods' points at steps 0 and 1, every loss as written.
    let curves = &downloads(
        lora_explorer::figures::FigureId::TrainingLoss,
        Some(frame),
        None,
    )[0];
    let lines: Vec<&str> = curves.text.lines().collect();
    assert_eq!(
        lines[0],
        "method,step,train_loss,test_loss,pretraining_loss"
    );
    assert_eq!(lines.len(), 1 + 2 * 2);
    let first = frame.losses.curves.of(Method::Full)[0];
    assert_eq!(
        lines[1],
        format!(
            "full fine-tuning,0,{:.16e},{:.16e},{:.16e}",
            first.train, first.test, first.pretrain
        )
    );
    // The four matrices, each d×k, and their singular values side by side.
    let matrices = downloads(
        lora_explorer::figures::FigureId::TrainingUpdates,
        Some(frame),
        None,
    );
    assert_eq!(matrices.len(), 4);
    assert_eq!(matrices[0].name, "lora-explorer-target-update-8x8.csv");
    assert!(matrices
        .iter()
        .all(|m| m.text.lines().count() == 8 && m.text.lines().all(|l| l.split(',').count() == 8)));
    let spectra = &downloads(
        lora_explorer::figures::FigureId::TrainingSpectra,
        Some(frame),
        None,
    )[0];
    assert_eq!(spectra.text.lines().count(), 1 + 8);
    assert_eq!(
        tables(
            lora_explorer::figures::FigureId::TrainingUpdates,
            Some(frame),
            None
        )
        .len(),
        4
    );
    let plane = tables(
        lora_explorer::figures::FigureId::LearnForget,
        Some(frame),
        None,
    );
    assert_eq!(plane[0].rows.len(), 2);
    // The settings as PEFT writes them.
    let mut config = small();
    config.train.scaling = lora_explorer::math::train::Scaling::RankStabilised;
    config.train.init = lora_explorer::math::train::Init::Pissa;
    config.train.lora_plus_ratio = 4.0;
    let peft = peft_config(&config.clamped());
    for expected in [
        "r=2,",
        "lora_alpha=8,",
        "use_rslora=True,",
        "init_lora_weights=\"pissa\",",
        "loraplus_lr_ratio=4",
    ] {
        assert!(peft.contains(expected), "{expected} not in\n{peft}");
    }
}

#[test]
fn the_subspace_figure_compares_rank_8_with_the_largest() {
    use lora_explorer::figures::training::subspace_ranks;
    use lora_explorer::math::train::sweep_ranks;

    assert_eq!(subspace_ranks(&sweep_ranks(64, 64)), Some((8, 64)));
    assert_eq!(subspace_ranks(&sweep_ranks(128, 16)), Some((8, 16)));
    assert_eq!(subspace_ranks(&sweep_ranks(8, 8)), Some((4, 8)));
    assert_eq!(subspace_ranks(&[1]), None);
    assert_eq!(subspace_ranks(&[]), None);
}
