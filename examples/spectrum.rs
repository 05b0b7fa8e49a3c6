//! The singular values of the intrinsic-rank figure's 512×512 matrix, natively, against numpy's
//! (LAPACK) in the same run:
//!
//! ```sh
//! cargo run --release --example spectrum            # numpy from .venv, or LORA_ORACLE_PYTHON
//! REPEATS=31 N=512 cargo run --release --example spectrum
//! ```
//!
//! Prints the median and p95 milliseconds of each, the ratio of the medians, and nalgebra's SVD
//! (the previous path) for reference. The browser's figure is bench/spectrum.mjs's.
#![allow(clippy::print_stdout)]

use std::process::Command;
use std::time::Instant;

use lora_explorer::math::intrinsic::low_rank_plus_noise;
use lora_explorer::math::svd::singular_values;
use nalgebra::DMatrix;

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((q * sorted.len() as f64) as usize).min(sorted.len() - 1)]
}

fn summary(name: &str, mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    let median = quantile(&times, 0.5);
    println!(
        "{name:<28} median {median:7.2} ms   p95 {:7.2} ms   min {:7.2} ms",
        quantile(&times, 0.95),
        times[0]
    );
    median
}

fn time(repeats: usize, mut f: impl FnMut()) -> Vec<f64> {
    f();
    (0..repeats)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect()
}

fn numpy(python: &str, m: &DMatrix<f64>, repeats: usize) -> Option<Vec<f64>> {
    let path =
        std::env::temp_dir().join(format!("lora-explorer-spectrum-{}.f64", std::process::id()));
    let bytes: Vec<u8> = m.as_slice().iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&path, bytes).ok()?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/numpy-spectrum.py");
    let output = Command::new(python)
        .arg(script)
        .arg("file")
        .arg(&path)
        .args([m.nrows(), m.ncols(), repeats].map(|v| v.to_string()))
        .output();
    std::fs::remove_file(&path).ok();
    let output = output.ok()?;
    if !output.status.success() {
        eprintln!("numpy failed: {}", String::from_utf8_lossy(&output.stderr));
        return None;
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| line.trim().parse().ok())
        .collect()
}

fn main() {
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (n, repeats) = (env("N", 512), env("REPEATS", 21));
    let m = low_rank_plus_noise(n, 16, 0.01, 42);
    println!("{n}×{n} (rank 16 plus noise 0.01, seed 42), {repeats} runs each:");
    let ours = summary(
        "ours (bidiagonal + dqds)",
        time(repeats, || {
            std::hint::black_box(singular_values(&m));
        }),
    );
    let b = lora_explorer::math::bidiagonal::bidiagonalise(&m);
    summary(
        "  of which bidiagonalisation",
        time(repeats, || {
            std::hint::black_box(lora_explorer::math::bidiagonal::bidiagonalise(&m));
        }),
    );
    summary(
        "  of which dqds",
        time(repeats, || {
            std::hint::black_box(lora_explorer::math::bidiagonal::bidiagonal_singular_values(
                &b.diagonal,
                &b.superdiagonal,
            ));
        }),
    );
    summary(
        "nalgebra SVD (values only)",
        time(repeats.min(7), || {
            std::hint::black_box(nalgebra::SVD::new(m.clone(), false, false));
        }),
    );
    let python = std::env::var("LORA_ORACLE_PYTHON")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python").to_string());
    // bench/spectrum.mjs has numpy draw the figure's matrix itself: check that it draws this one.
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/numpy-spectrum.py");
    let drawn = Command::new(&python)
        .args([
            script,
            "figure",
            &n.to_string(),
            "16",
            "0.01",
            "42",
            "1",
            "--values",
        ])
        .output()
        .ok()
        .map(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|line| line.trim().parse::<f64>().ok())
                .collect::<Vec<_>>()
        });
    if let Some(drawn) = drawn.filter(|d| d.len() == n) {
        let sigma = singular_values(&m);
        let worst = sigma
            .iter()
            .zip(&drawn)
            .map(|(a, b)| (a - b).abs() / sigma[0])
            .fold(0.0, f64::max);
        println!(
            "numpy's own draw of the figure matrix: singular values within {worst:.1e}·σ₁ of ours"
        );
    }
    match numpy(&python, &m, repeats) {
        Some(times) => {
            let numpy = summary("numpy (LAPACK)", times);
            println!("ratio ours/numpy (medians): {:.2}×", ours / numpy);
        }
        None => println!("numpy: not run (no Python with numpy at {python})"),
    }
}
