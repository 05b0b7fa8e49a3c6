//! Steps a second of chapter 2's trainer at d = k = 64, r = 8, batches of 32, Adam: LoRA alone,
//! full fine-tuning alone, and both on the same batches. Run it in release mode:
//! `cargo run --release --example train_speed`, or `--profile release-worker`, the opt-level 3
//! profile the workers are built with. The trainer belongs in a worker built that way: the
//! release profile optimises for size, without vector instructions, and steps about 2.5 times
//! slower.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use lora_explorer::math::train::{Config, Optimizer, Runs, Trainer};

/// Steps a second of `runs`: the best of ten rounds of a tenth of a second each, since other
/// work on the machine can only slow a round down.
fn steps_per_second(config: Config, runs: Runs) -> f64 {
    let mut trainer = Trainer::with_runs(config, runs);
    trainer.steps(200);
    let mut best: f64 = 0.0;
    for _ in 0..10 {
        let started = Instant::now();
        let mut steps = 0;
        while started.elapsed().as_secs_f64() < 0.1 {
            trainer.steps(100);
            steps += 100;
        }
        best = best.max(steps as f64 / started.elapsed().as_secs_f64());
    }
    best
}

fn main() {
    // An argument ("lora", "full" or "both") times that run alone, as a profiler wants; a second
    // one, a number of steps, takes exactly that many and prints the time they took.
    let only = std::env::args().nth(1);
    let fixed: Option<usize> = std::env::args().nth(2).and_then(|n| n.parse().ok());
    let mut config = Config::default();
    config.task.d = 64;
    config.task.k = 64;
    config.train.rank = 8;
    config.train.batch_size = 32;
    config.train.optimizer = Optimizer::Adam;
    for (name, runs) in [
        ("LoRA alone", Runs::LoraOnly),
        ("full fine-tuning alone", Runs::FullOnly),
        ("both on the same batches", Runs::Both),
    ] {
        let key = match runs {
            Runs::LoraOnly => "lora",
            Runs::FullOnly => "full",
            Runs::Both => "both",
        };
        if only.as_deref().is_some_and(|wanted| wanted != key) {
            continue;
        }
        if let Some(steps) = fixed {
            let mut trainer = Trainer::with_runs(config, runs);
            let started = Instant::now();
            trainer.steps(steps);
            println!("{name}: {steps} steps in {:?}", started.elapsed());
            continue;
        }
        let rate = steps_per_second(config, runs);
        println!("{name}: {rate:.0} steps/s");
    }
}
