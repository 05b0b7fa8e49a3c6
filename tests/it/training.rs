//! Tests for chapter 2, "Watch LoRA learn": both methods' gradients against central differences
//! of an independently written loss, recovery of ΔW*, LoRA's Eckart–Young floor, determinism,
//! PiSSA's start, divergence, the rank sweep, what the figures show and say, and the subspace
//! similarity of two `A` matrices, by its invariants and against numpy (the oracle: an ignored
//! test that scripts/test runs, with `LORA_ORACLE_PYTHON` naming a Python with numpy).
//!
//! Layers are 8×8 (the smallest allowed) or odd shapes, so that the file runs quickly in debug.

use lora_explorer::figures::training::{
    learn_forget_caption, numerical_rank, LossChart, MatrixData, Panel, Snapshot, SubspaceFigure,
    SweepFigure, ENERGY_SHARE,
};
use lora_explorer::math::rng::Stream;
use lora_explorer::math::subspace::subspace_similarity;
use lora_explorer::math::svd::{best_rank_approximation, rank_for_energy, singular_values};
use lora_explorer::math::train::{
    scaled_product, Batch, Config, Curves, Floor, FullRun, Init, LearnForget, LoraRun, Method,
    Optimizer, Point, RankSweep, Runs, Scaling, Spectrum, Status, Trainer, MAX_EXAMPLES, MAX_SIDE,
    MIN_SIDE,
};
use nalgebra::DMatrix;

/// A rows×cols matrix of normals of standard deviation `scale`, from a stream the library never
/// uses.
fn random(rows: usize, cols: usize, seed: u64, scale: f64) -> DMatrix<f64> {
    let stream = Stream::new(seed, 0x7E57);
    DMatrix::from_fn(rows, cols, |i, j| scale * stream.normal(i, j))
}

/// The entries of `m`, row by row.
fn rows_of(m: &DMatrix<f64>) -> Vec<f64> {
    (0..m.nrows())
        .flat_map(|i| (0..m.ncols()).map(move |j| m[(i, j)]))
        .collect()
}

/// The mean over the rows of x (inputs) and y (labels) of ½‖W·x − y‖², written plainly.
fn mean_half_squared(w: &DMatrix<f64>, x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
    let residual = x * w.transpose() - y;
    0.5 * residual.norm_squared() / x.nrows() as f64
}

/// Asserts that `analytic` matches the central differences of `loss` around `params`, with
/// relative error at most 10⁻⁶, as a whole and entry by entry (against the largest entry).
fn check_gradient(params: &[f64], analytic: &[f64], loss: impl Fn(&[f64]) -> f64, what: &str) {
    let h = 1e-5;
    let numeric: Vec<f64> = (0..params.len())
        .map(|i| {
            let mut plus = params.to_vec();
            let mut minus = params.to_vec();
            plus[i] += h;
            minus[i] -= h;
            (loss(&plus) - loss(&minus)) / (2.0 * h)
        })
        .collect();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let difference: Vec<f64> = analytic.iter().zip(&numeric).map(|(a, n)| a - n).collect();
    let relative = norm(&difference) / norm(analytic);
    assert!(relative <= 1e-6, "{what}: relative error {relative:e}");
    let largest = analytic.iter().fold(0.0_f64, |m, g| m.max(g.abs()));
    for (i, (a, n)) in analytic.iter().zip(&numeric).enumerate() {
        assert!(
            (a - n).abs() <= 1e-6 * largest,
            "{what}: entry {i} is {a} against {n} by differences"
        );
    }
}

/// An 8×8 layer of the given target, learnt at `rank` from `examples` examples with noise σ.
fn small(spectrum: Spectrum, rank: usize, noise: f64, examples: usize) -> Config {
    let mut config = Config::default();
    config.task.d = 8;
    config.task.k = 8;
    config.task.spectrum = spectrum;
    config.task.noise = noise;
    config.task.examples = examples;
    config.train.rank = rank;
    config
}

/// ‖update − ΔW*‖_F / ‖ΔW*‖_F of `method`.
fn distance_to_target(trainer: &Trainer, method: Method) -> f64 {
    let target = trainer.task().target();
    let Some(update) = trainer.update(method) else {
        panic!("the trainer has no {method:?} run");
    };
    (update - target).norm() / target.norm()
}

#[test]
fn full_fine_tuning_gradient_matches_central_differences() {
    // Odd sizes reach every edge of the blocked products.
    let (d, k, b) = (9, 13, 10);
    let w0 = random(d, k, 1, 0.3);
    let x = random(b, k, 2, 1.0);
    let y = random(b, d, 3, 1.0);
    let targets = &y - &x * w0.transpose();
    let batch = Batch::from_rows(d, k, &rows_of(&x), &rows_of(&targets));
    assert_eq!(batch.size(), b);
    let mut run = FullRun::new(d, k, b, Optimizer::Sgd);
    // The parameters are ΔW, column-major.
    run.params_mut()
        .copy_from_slice(random(d, k, 4, 0.5).as_slice());
    let params = run.params().to_vec();
    let loss_of = |p: &[f64]| {
        let delta = DMatrix::from_column_slice(d, k, p);
        mean_half_squared(&(&w0 + delta), &x, &y)
    };
    let loss = run.loss_and_gradient(&batch);
    assert!((loss - loss_of(&params)).abs() <= 1e-12 * loss, "{loss}");
    check_gradient(&params, run.gradient(), loss_of, "full fine-tuning");
}

#[test]
fn lora_gradients_match_central_differences() {
    let (d, k, r, b) = (9, 13, 3, 10);
    for (scale, with_offset) in [(1.7, false), (0.6, true)] {
        let w0 = random(d, k, 5, 0.3);
        // An offset stands for PiSSA's W_res − W₀: the run learns from y − W_base·x.
        let offset = if with_offset {
            random(d, k, 6, 0.2)
        } else {
            DMatrix::zeros(d, k)
        };
        let base = &w0 + &offset;
        let x = random(b, k, 7, 1.0);
        let y = random(b, d, 8, 1.0);
        let targets = &y - &x * base.transpose();
        let batch = Batch::from_rows(d, k, &rows_of(&x), &rows_of(&targets));
        let (b0, a0) = (random(d, r, 9, 0.5), random(r, k, 10, 0.5));
        let mut run = LoraRun::new(&b0, &a0, scale, offset, b, Optimizer::Adam);
        assert_eq!(run.b(), b0);
        assert_eq!(run.a(), a0);
        let params = run.params().to_vec();
        // The parameters are B then A, each column-major.
        let loss_of = |p: &[f64]| {
            let bf = DMatrix::from_column_slice(d, r, &p[..d * r]);
            let af = DMatrix::from_column_slice(r, k, &p[d * r..]);
            mean_half_squared(&(&base + scale * bf * af), &x, &y)
        };
        let loss = run.loss_and_gradient(&batch);
        assert!((loss - loss_of(&params)).abs() <= 1e-12 * loss, "{loss}");
        check_gradient(&params, run.gradient(), loss_of, "LoRA");
    }
}

#[test]
fn target_has_the_spectrum_and_size_asked_for() {
    let mut config = small(Spectrum::ExactRank(3), 2, 0.0, 16);
    config.task.d = 12;
    config.task.relative_size = 0.7;
    let trainer = Trainer::with_runs(config, Runs::LoraOnly);
    let task = trainer.task();
    let sigma = singular_values(task.target());
    assert_eq!(numerical_rank(&sigma), 3);
    // Linear decay: σᵢ ∝ 4 − i.
    for (i, s) in sigma.iter().take(3).enumerate() {
        let expected = (3 - i) as f64 / 3.0;
        assert!((s / sigma[0] - expected).abs() < 1e-12, "σ{i} = {s}");
    }
    let relative = task.target().norm() / task.w0().norm();
    assert!((relative - 0.7).abs() < 1e-12, "{relative}");
    config.task.spectrum = Spectrum::PowerLaw(1.5);
    let trainer = Trainer::with_runs(config, Runs::LoraOnly);
    let sigma = singular_values(trainer.task().target());
    assert_eq!(sigma.len(), 8);
    for (i, s) in sigma.iter().enumerate() {
        let expected = ((i + 1) as f64).powf(-1.5);
        assert!((s / sigma[0] - expected).abs() < 1e-12, "σ{i} = {s}");
    }
}

#[test]
fn losses_and_floors_follow_their_definitions() {
    let config = small(Spectrum::ExactRank(4), 2, 0.3, 64);
    let trainer = Trainer::with_runs(config, Runs::LoraOnly);
    let task = trainer.task();
    let zero = DMatrix::zeros(8, 8);
    assert_eq!(task.pretrain_loss(&zero), 0.0);
    // The training loss of an update is the plain mean over the training set.
    let x = DMatrix::from_row_slice(64, 8, task.train_inputs());
    let t = DMatrix::from_row_slice(64, 8, task.train_targets());
    let delta = random(8, 8, 11, 0.2);
    let plain = mean_half_squared(&delta, &x, &t);
    assert!((task.train_loss(&delta) - plain).abs() < 1e-12 * plain);
    // The expected floor is the tail energy of ΔW* past rank 2, halved, plus ½·d·σ².
    let sigma = singular_values(task.target());
    let tail: f64 = sigma[2..].iter().map(|s| s * s).sum();
    let floor = task.floor(2);
    assert!((floor.expected - (0.5 * tail + 0.5 * 8.0 * 0.09)).abs() < 1e-12);
    assert_eq!(floor.noise, 0.5 * 8.0 * 0.09);
    let best = best_rank_approximation(task.target(), 2).approximation;
    assert_eq!(floor.on_test, task.test_loss(&best));
    // From rank 4 on, the floor is the noise alone, and ΔW* itself meets it on the test set to
    // within sampling: 4,096 examples of 8 outputs.
    assert!((task.floor(4).expected - floor.noise).abs() < 1e-12);
    let truth = task.test_loss(task.target());
    assert!((truth / floor.noise - 1.0).abs() < 0.05, "{truth}");
}

#[test]
fn lora_recovers_the_target_when_its_rank_suffices_and_labels_are_clean() {
    for rank in [2, 4] {
        let mut config = small(Spectrum::ExactRank(2), rank, 0.0, 256);
        config.train.optimizer = Optimizer::Sgd;
        config.train.learning_rate = 0.2;
        config.train.alpha = 2.0 * rank as f64;
        config.train.batch_size = 16;
        let mut trainer = Trainer::with_runs(config, Runs::LoraOnly);
        trainer.advance(300);
        let error = distance_to_target(&trainer, Method::Lora);
        assert!(error < 1e-3, "rank {rank}: relative error {error:e}");
        assert_eq!(trainer.status(Method::Lora), Some(Status::Running));
    }
}

#[test]
fn full_fine_tuning_recovers_the_target_from_clean_labels() {
    let mut config = small(Spectrum::PowerLaw(1.0), 1, 0.0, 512);
    config.train.optimizer = Optimizer::Sgd;
    config.train.learning_rate = 0.3;
    config.train.batch_size = 16;
    let mut trainer = Trainer::with_runs(config, Runs::FullOnly);
    trainer.advance(150);
    let error = distance_to_target(&trainer, Method::Full);
    assert!(error < 1e-3, "relative error {error:e}");
}

#[test]
fn lora_below_the_target_rank_converges_to_the_eckart_young_floor() {
    let mut config = small(Spectrum::ExactRank(4), 2, 0.0, 2048);
    config.train.optimizer = Optimizer::Sgd;
    config.train.learning_rate = 0.05;
    config.train.alpha = 4.0;
    config.train.batch_size = 32;
    let mut trainer = Trainer::with_runs(config, Runs::LoraOnly);
    trainer.advance(400);
    let test = trainer.curves().lora.last().expect("a point").test;
    // The floor by the project's SVD: ΔW*'s best rank-2 approximation on the same test set.
    let task = trainer.task();
    let best = best_rank_approximation(task.target(), 2).approximation;
    let floor = task.test_loss(&best);
    assert!(
        (test / floor - 1.0).abs() <= 0.02,
        "test loss {test} against the floor {floor}"
    );
    // Against the expected floor, ½·(σ₃² + σ₄²), the finite test set adds its own sampling
    // error (about 2% for 4,096 examples of a two-direction residual).
    let sigma = singular_values(task.target());
    let expected = 0.5 * (sigma[2] * sigma[2] + sigma[3] * sigma[3]);
    assert!(
        (test / expected - 1.0).abs() <= 0.06,
        "{test} against {expected}"
    );
}

#[test]
fn same_seed_same_curves_bit_for_bit() {
    let mut config = small(Spectrum::PowerLaw(1.0), 3, 0.2, 100);
    config.train.batch_size = 24;
    config.train.lora_plus_ratio = 4.0;
    let run = |config: Config| {
        let mut trainer = Trainer::new(config);
        for _ in 0..4 {
            trainer.advance(15);
        }
        trainer
    };
    let (one, two) = (run(config), run(config));
    let bits = |curves: &Curves| -> Vec<u64> {
        [&curves.full, &curves.lora]
            .into_iter()
            .flatten()
            .flat_map(|p| [p.train, p.test, p.pretrain].map(f64::to_bits))
            .collect()
    };
    assert_eq!(one.curves().lora.len(), 5);
    assert_eq!(bits(one.curves()), bits(two.curves()));
    for method in Method::ALL {
        assert_eq!(one.update(method), two.update(method));
    }
    config.task.seed += 1;
    assert_ne!(bits(one.curves()), bits(run(config).curves()));
}

#[test]
fn pissa_starts_exactly_at_the_pretrained_weight() {
    for scaling in [Scaling::Standard, Scaling::RankStabilised] {
        let mut config = small(Spectrum::ExactRank(3), 3, 0.1, 64);
        config.task.k = 11;
        config.train.init = Init::Pissa;
        config.train.alpha = 6.0;
        config.train.scaling = scaling;
        let mut trainer = Trainer::new(config);
        let s = config.scale();
        let w0 = trainer.task().w0().clone();
        let run = trainer.lora().expect("a LoRA run");
        assert_eq!(run.scale(), s);
        let (b, a) = (run.b(), run.a());
        let w_res = &w0 + run.offset();
        let merged = &w_res + s * &b * &a;
        let gap = (&merged - &w0).amax();
        assert!(
            gap <= 1e-12,
            "{scaling:?}: W_res + s·B·A is {gap:e} from W₀"
        );
        // s·B·A is W₀'s best rank-3 approximation, and B, A share √S between them.
        let best = best_rank_approximation(&w0, 3).approximation;
        assert!((scaled_product(&b, &a, s) - &best).amax() < 1e-12);
        let (bt_b, a_at) = (b.transpose() * &b, &a * a.transpose());
        assert!((bt_b - a_at).amax() < 1e-12);
        // The adapter must hold W₀'s best rank-3 approximation as well as ΔW*, so its floor is
        // the test loss of W_res + (the best rank-3 fit of both).
        let task = trainer.task();
        let both = task.target() + &best;
        let fit = best_rank_approximation(&both, 3).approximation;
        let floor = trainer.floor();
        assert!((floor.on_test - task.test_loss(&(fit - &best))).abs() < 1e-12);
        let tail: f64 = singular_values(&both)[3..].iter().map(|s| s * s).sum();
        assert!((floor.expected - (0.5 * tail + floor.noise)).abs() < 1e-12);
        // At step 0 LoRA's weight is W₀, as full fine-tuning's is.
        let start = trainer.curves();
        let (full, lora) = (start.full[0], start.lora[0]);
        assert!((full.test - lora.test).abs() < 1e-12, "{full:?} {lora:?}");
        assert!(lora.pretrain < 1e-20);
        let before = lora.train;
        trainer.advance(40);
        let after = trainer.curves().lora.last().expect("a point").train;
        assert!(after < before, "{before} → {after}");
    }
}

#[test]
fn a_huge_learning_rate_diverges_at_a_finite_step_without_nan_in_the_curves() {
    let mut config = small(Spectrum::ExactRank(2), 2, 0.1, 64);
    config.train.optimizer = Optimizer::Sgd;
    config.train.learning_rate = 1e4;
    let mut trainer = Trainer::new(config);
    for _ in 0..500 {
        trainer.advance(1);
    }
    assert!(!trainer.is_running());
    for method in Method::ALL {
        let status = trainer.status(method).expect("both runs");
        let Status::Diverged { step } = status else {
            panic!("{method:?} is {status:?}");
        };
        assert!((1..=500).contains(&step), "{step}");
        assert_eq!(status.to_string(), format!("diverged at step {step}"));
        let curve = trainer.curves().of(method);
        assert!(curve.iter().all(Point::is_finite));
        assert!(curve.iter().all(|p| p.step < step));
    }
    let steps = trainer.step_count();
    trainer.steps(10);
    assert_eq!(trainer.step_count(), steps);
    let caption = LossChart::of(&trainer).caption();
    assert!(caption.contains("diverged at step"), "{caption}");
    assert!(!caption.contains("NaN") && !caption.contains("not a number"));
}

#[test]
fn adam_moves_each_parameter_by_the_learning_rate_on_its_first_step() {
    let mut config = small(Spectrum::ExactRank(2), 2, 0.1, 64);
    config.train.optimizer = Optimizer::Adam;
    config.train.learning_rate = 0.01;
    config.train.lora_plus_ratio = 4.0;
    let mut trainer = Trainer::new(config);
    let a_before = trainer.lora().expect("LoRA").a();
    trainer.step();
    // Bias correction makes the first step −η·g/(|g| + ε): η in size, for every entry.
    let full = trainer.update(Method::Full).expect("full");
    assert!(full.iter().all(|v| (v.abs() / 0.01 - 1.0).abs() < 1e-5));
    // B starts at zero, so A's gradient is zero and only B moves, at LoRA+'s 4·η.
    let lora = trainer.lora().expect("LoRA");
    assert_eq!(lora.a(), a_before);
    assert!(lora.b().iter().all(|v| (v.abs() / 0.04 - 1.0).abs() < 1e-5));
}

#[test]
fn configurations_are_clamped_into_range() {
    let mut config = Config::default();
    config.task.d = 1000;
    config.task.k = 2;
    config.task.examples = 1 << 20;
    config.task.noise = f64::NAN;
    config.task.spectrum = Spectrum::ExactRank(100);
    config.train.rank = 0;
    config.train.batch_size = 1 << 20;
    config.train.lora_plus_ratio = 100.0;
    let clamped = config.clamped();
    assert_eq!((clamped.task.d, clamped.task.k), (MAX_SIDE, MIN_SIDE));
    assert_eq!(clamped.task.examples, MAX_EXAMPLES);
    assert_eq!(clamped.task.noise, 0.0);
    assert_eq!(clamped.task.spectrum, Spectrum::ExactRank(MIN_SIDE));
    assert_eq!(clamped.train.rank, 1);
    assert_eq!(clamped.train.batch_size, MAX_EXAMPLES);
    assert_eq!(clamped.train.lora_plus_ratio, 16.0);
    assert_eq!(clamped.clamped(), clamped);
    config.train.rank = 4;
    config.train.alpha = 8.0;
    assert_eq!(config.scale(), 2.0);
    config.train.scaling = Scaling::RankStabilised;
    assert_eq!(config.scale(), 4.0);
}

#[test]
fn a_sweep_runs_every_rank_then_full_fine_tuning_in_steps() {
    let mut config = small(Spectrum::ExactRank(3), 1, 0.0, 64);
    config.train.optimizer = Optimizer::Sgd;
    config.train.learning_rate = 0.1;
    let mut sweep = RankSweep::new(config, 20);
    assert_eq!(sweep.ranks(), [1, 2, 4, 8]);
    let mut last = 0.0;
    let mut calls = 0;
    while !sweep.is_done() {
        let progress = sweep.advance(7);
        assert!(progress.fraction() >= last);
        last = progress.fraction();
        calls += 1;
    }
    assert_eq!(calls, 15);
    assert_eq!(last, 1.0);
    let points = sweep.points();
    let ranks: Vec<usize> = points.iter().map(|p| p.result.rank).collect();
    assert_eq!(ranks, [1, 2, 4, 8, 8]);
    assert_eq!(points[4].result.method, Method::Full);
    assert!(points.iter().all(|p| p.result.step == 20));
    // The floor of each rank is ΔW*'s energy past it; nothing is left from rank 3 on.
    assert!(points[0].floor.expected > points[1].floor.expected);
    assert!(points[2].floor.expected < 1e-20);
    let figure = SweepFigure::of(&sweep);
    assert_eq!(figure.points, points);
    assert_eq!(figure.progress_text(), "5 of 5 runs finished (100%).");
    let caption = figure.caption();
    assert!(caption.starts_with("From rank 1 to rank 8, "), "{caption}");
    assert!(caption.contains("Full fine-tuning reaches"), "{caption}");
}

#[test]
fn a_snapshot_shows_each_update_with_its_spectrum_and_travels_intact() {
    let mut config = small(Spectrum::ExactRank(3), 2, 0.1, 64);
    config.task.k = 10;
    let mut trainer = Trainer::new(config);
    trainer.advance(20);
    let snapshot = Snapshot::take(&trainer);
    assert_eq!(snapshot.step, 20);
    let order: Vec<Panel> = snapshot.panels.iter().map(|p| p.panel).collect();
    assert_eq!(order, Panel::ALL);
    let target = snapshot.panel(Panel::Target).expect("ΔW*");
    assert_eq!(target.rank_90, rank_for_energy(&target.sigma, ENERGY_SHARE));
    assert_eq!(
        target.matrix.to_matrix().as_ref(),
        Some(trainer.task().target())
    );
    let lora = trainer.update(Method::Lora).expect("LoRA");
    let best = best_rank_approximation(trainer.task().target(), 2).approximation;
    let gap = snapshot.panel(Panel::LoraMinusBest).expect("gap");
    let gap_matrix = gap.matrix.to_matrix().expect("a matrix");
    assert!((gap_matrix - (lora - best)).amax() < 1e-12);
    // LoRA's update has rank at most 2.
    let lora_panel = snapshot.panel(Panel::Lora).expect("LoRA");
    assert!(lora_panel.sigma[2] < 1e-12 * lora_panel.sigma[0]);
    let bytes = postcard::to_allocvec(&snapshot).expect("bytes");
    let back: Snapshot = postcard::from_bytes(&bytes).expect("a snapshot");
    assert_eq!(back, snapshot);
    let chart = LossChart::of(&trainer);
    let chart_back: LossChart =
        postcard::from_bytes(&postcard::to_allocvec(&chart).expect("bytes")).expect("a chart");
    assert_eq!(chart_back, chart);
    let broken = MatrixData {
        rows: 2,
        cols: 3,
        entries: vec![0.0; 5],
    };
    assert_eq!(broken.to_matrix(), None);
    let caption = snapshot.caption();
    assert!(
        caption.starts_with("After 20 steps, 90% of ΔW*'s energy"),
        "{caption}"
    );
    assert!(
        caption.contains("its rank can never exceed 2."),
        "{caption}"
    );
    // One singular value is named in the singular.
    let one = Snapshot::take(&Trainer::new(small(Spectrum::ExactRank(1), 2, 0.1, 16)));
    let caption = one.caption();
    let expected = "After 0 steps, 90% of ΔW*'s energy is in its largest singular value.";
    assert!(caption.starts_with(expected), "{caption}");
}

/// A loss chart of a run at one step, with LoRA's test loss `test` against an on-test floor.
fn chart(rank: usize, target_rank: usize, test: f64, floor: f64, noise: f64) -> LossChart {
    let point = Point {
        step: 1,
        train: test,
        test,
        pretrain: 0.1,
    };
    LossChart {
        step: 1,
        rank,
        target_rank,
        init: Init::Peft,
        curves: Curves {
            full: vec![point],
            lora: vec![point],
        },
        floor: Floor {
            rank,
            expected: floor,
            noise,
            on_test: floor,
        },
        full: Some(Status::Running),
        lora: Some(Status::Running),
    }
}

#[test]
fn loss_captions_place_lora_against_its_floor_in_agreeing_words() {
    let above = chart(1, 2, 0.2, 0.1 + 0.02, 0.02).caption();
    assert!(
        above.starts_with("After 1 step, LoRA's test loss (rank 1) is 0.200, "),
        "{above}"
    );
    assert!(above.contains("67% above its floor of 0.120"), "{above}");
    assert!(
        above.contains(
            "beyond its largest singular value (1 more singular value, worth 0.100 in expectation)"
        ),
        "{above}"
    );
    let far = chart(3, 5, 0.5, 0.1, 0.0).caption();
    assert!(far.contains("5.0× its floor of 0.100"), "{far}");
    assert!(
        far.contains("beyond its 3 largest singular values (2 more singular values"),
        "{far}"
    );
    assert!(far.contains("plus no label noise"), "{far}");
    let at = chart(4, 4, 0.1005, 0.1, 0.1).caption();
    assert!(at.contains("at its floor of 0.100 (within 1%)"), "{at}");
    assert!(
        at.contains("Rank 4 has room for all 4 singular values of ΔW*"),
        "{at}"
    );
    let one = chart(2, 1, 0.1005, 0.1, 0.1).caption();
    assert!(
        one.contains("room for all 1 singular value of ΔW*"),
        "{one}"
    );
}

#[test]
fn learn_forget_caption_names_who_learnt_most_and_forgot_least() {
    let point = |method, rank, test, pretrain| LearnForget {
        method,
        rank,
        step: 1000,
        test,
        pretrain,
        status: Status::Running,
    };
    let points = [
        point(Method::Full, 64, 0.01, 0.9),
        point(Method::Lora, 4, 0.05, 0.5),
    ];
    let caption = learn_forget_caption(&points);
    assert!(
        caption.contains("Full fine-tuning reached a test loss of 0.0100"),
        "{caption}"
    );
    assert!(caption.contains("after 1,000 steps"), "{caption}");
    assert!(
        caption.ends_with("Full fine-tuning learnt most; LoRA (rank 4) forgot least."),
        "{caption}"
    );
    assert_eq!(learn_forget_caption(&[]), "No finished run to place yet.");
}

/// φ of `a1` and `a2`, which must have one.
fn phi(a1: &DMatrix<f64>, a2: &DMatrix<f64>) -> DMatrix<f64> {
    subspace_similarity(a1, a2).unwrap_or_else(|| panic!("no similarity of these shapes"))
}

#[test]
fn subspace_similarity_lies_in_zero_to_one_and_is_one_against_itself() {
    let (a1, a2) = (random(4, 12, 1, 1.0), random(9, 12, 2, 0.3));
    let grid = phi(&a1, &a2);
    assert_eq!(grid.shape(), (4, 9));
    assert!(grid.iter().all(|&v| (0.0..=1.0).contains(&v)), "{grid}");
    // A span inside the other: the whole of a 4-dimensional span in 12 dimensions against itself.
    let same = phi(&a1, &a1);
    for i in 0..4 {
        assert!(
            (same[(i, i)] - 1.0).abs() < 1e-12,
            "φ(A, A, {0}, {0})",
            i + 1
        );
    }
    // More rows than columns: only k right singular vectors.
    assert_eq!(
        phi(&random(5, 3, 3, 1.0), &random(2, 3, 4, 1.0)).shape(),
        (3, 2)
    );
    // All k directions on one side hold every span of the other: the last row is all 1.
    let whole = phi(&random(12, 12, 5, 1.0), &a2);
    assert!(
        whole.row(11).iter().all(|&v| (v - 1.0).abs() < 1e-12),
        "{whole}"
    );
    // Shapes that do not match, empty and non-finite matrices have none.
    assert_eq!(subspace_similarity(&a1, &random(3, 11, 6, 1.0)), None);
    assert_eq!(subspace_similarity(&DMatrix::zeros(0, 12), &a1), None);
    let mut broken = a1.clone();
    broken[(0, 0)] = f64::NAN;
    assert_eq!(subspace_similarity(&broken, &a2), None);
}

#[test]
fn subspace_similarity_ignores_rotations_of_the_rows_and_scaling() {
    let (a1, a2) = (random(5, 16, 7, 1.0), random(7, 16, 8, 1.0));
    let grid = phi(&a1, &a2);
    let q1 = random(5, 5, 9, 1.0).qr().q();
    let q2 = random(7, 7, 10, 1.0).qr().q();
    for (rotated, what) in [
        (phi(&(&q1 * &a1), &(&q2 * &a2)), "A → Q·A"),
        (phi(&(&a1 * 1e6), &(&a2 * 1e-6)), "A → c·A"),
    ] {
        // Only the top-i spans matter, not their bases; distinct singular values keep them fixed.
        let worst = (rotated - &grid).amax();
        assert!(worst < 1e-9, "{what}: φ moved by {worst:e}");
    }
}

#[test]
fn independent_random_subspaces_are_about_as_similar_as_chance() {
    // For random spans of dimensions i and j in k dimensions, E‖U_iᵀ·U_j‖² = i·j/k, so
    // φ ≈ max(i, j)/k: for 8 and 8 in 400, 0.02 with a relative spread of about 0.18.
    let k = 400;
    let grid = phi(&random(8, k, 11, 1.0), &random(8, k, 12, 1.0));
    let chance = 8.0 / k as f64;
    let ratio = grid[(7, 7)] / chance;
    assert!((0.5..1.5).contains(&ratio), "φ(8, 8) is {ratio:.2}× chance");
    assert!(grid.iter().all(|&v| v < 0.2), "{grid}");
    // Against the figure's own statement of chance.
    let figure = SubspaceFigure {
        first_rank: 8,
        second_rank: 8,
        k,
        steps: 0,
        grid: MatrixData::of(&grid),
    };
    assert_eq!(figure.chance(8, 8), chance);
    assert_eq!(figure.at(8, 8), Some(grid[(7, 7)]));
    assert_eq!((figure.at(0, 1), figure.at(9, 1)), (None, None));
}

#[test]
fn the_subspace_figure_compares_two_ranks_trained_on_one_task() {
    let mut config = small(Spectrum::ExactRank(2), 1, 0.0, 64);
    config.task.k = 12;
    config.train.learning_rate = 0.05;
    let figure = SubspaceFigure::train(config, (2, 6), 300);
    assert_eq!(
        (figure.first_rank, figure.second_rank, figure.k),
        (2, 6, 12)
    );
    assert_eq!((figure.grid.rows, figure.grid.cols), (2, 6));
    // What the figure holds is φ of the runs' own A matrices, trained here by hand.
    let task = lora_explorer::math::train::Task::new(config.clamped().task);
    let a_of = |rank: usize| {
        let mut c = config;
        c.train.rank = rank;
        let mut trainer = Trainer::on_task(c, task.clone(), Runs::LoraOnly);
        trainer.steps(300);
        trainer.lora().map(|run| run.a()).expect("LoRA")
    };
    let expected = phi(&a_of(2), &a_of(6));
    assert_eq!(figure.grid.to_matrix(), Some(expected));
    let caption = figure.caption();
    assert!(
        caption.starts_with("After 300 steps, the top directions of the A matrices learnt at rank 2 and at rank 6 have φ(1, 1) = "),
        "{caption}"
    );
    assert!(
        caption.contains("Over the top 2 directions of each, φ(2, 2) = "),
        "{caption}"
    );
    let back: SubspaceFigure =
        postcard::from_bytes(&postcard::to_allocvec(&figure).expect("bytes")).expect("a figure");
    assert_eq!(back, figure);
    let empty = SubspaceFigure {
        grid: MatrixData::of(&DMatrix::zeros(0, 0)),
        ..figure
    };
    assert_eq!(
        empty.caption(),
        "No subspaces to compare: a run has no finite A."
    );
}

/// numpy's φ grid of `a1` and `a2`, one row a line.
fn numpy_similarity(
    python: &str,
    a1: &DMatrix<f64>,
    a2: &DMatrix<f64>,
    name: &str,
) -> DMatrix<f64> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/oracle/subspace_similarity.py"
    );
    let paths = [
        crate::svd::write_matrix(a1, &format!("{name}-a1")),
        crate::svd::write_matrix(a2, &format!("{name}-a2")),
    ];
    let output = std::process::Command::new(python)
        .arg(script)
        .args(&paths)
        .output();
    for path in &paths {
        std::fs::remove_file(path).ok();
    }
    let output = output.unwrap_or_else(|e| panic!("could not run {python}: {e}"));
    assert!(
        output.status.success(),
        "the oracle failed on {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rows: Vec<Vec<f64>> = stdout
        .lines()
        .map(|line| {
            line.split_whitespace()
                .map(|v| v.parse().unwrap_or_else(|e| panic!("{v:?} on {name}: {e}")))
                .collect()
        })
        .collect();
    let cols = rows.first().map_or(0, Vec::len);
    DMatrix::from_fn(rows.len(), cols, |i, j| rows[i][j])
}

#[test]
#[ignore = "needs numpy: scripts/test runs it with LORA_ORACLE_PYTHON naming the test environment's Python"]
fn subspace_similarity_agrees_with_numpy() {
    let python = std::env::var("LORA_ORACLE_PYTHON")
        .expect("LORA_ORACLE_PYTHON must name a Python with numpy, as scripts/test sets it");
    let mut config = small(Spectrum::ExactRank(3), 1, 0.05, 256);
    (config.task.d, config.task.k) = (24, 32);
    config.train.learning_rate = 0.02;
    let trained = |rank: usize| {
        let mut c = config;
        c.train.rank = rank;
        let mut trainer = Trainer::with_runs(c, Runs::LoraOnly);
        trainer.steps(200);
        trainer.lora().map(|run| run.a()).expect("LoRA")
    };
    let cases = [
        (
            "random-4-9-in-12",
            random(4, 12, 1, 1.0),
            random(9, 12, 2, 1.0),
        ),
        ("tall-5-3", random(5, 3, 3, 1.0), random(2, 3, 4, 1.0)),
        ("trained-2-16", trained(2), trained(16)),
    ];
    for (name, a1, a2) in &cases {
        let ours = phi(a1, a2);
        let numpy = numpy_similarity(&python, a1, a2, name);
        assert_eq!(ours.shape(), numpy.shape(), "{name}");
        let worst = (&ours - &numpy).amax();
        assert!(worst < 1e-10, "{name}: φ differs from numpy's by {worst:e}");
    }
}
