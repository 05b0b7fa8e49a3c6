//! Tests for chapter 2, "Watch LoRA learn": both methods' gradients against central differences
//! of an independently written loss, recovery of ΔW*, LoRA's Eckart–Young floor, determinism,
//! PiSSA's start, divergence, the rank sweep, and what the figures show and say.
//!
//! Layers are 8×8 (the smallest allowed) or odd shapes, so that the file runs quickly in debug.

use lora_explorer::figures::training::{
    learn_forget_caption, numerical_rank, LossChart, MatrixData, Panel, Snapshot, SweepFigure,
    ENERGY_SHARE,
};
use lora_explorer::math::rng::Stream;
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
