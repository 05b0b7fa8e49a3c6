//! The adapter inspector's speed on a Llama-2-7B-sized adapter, natively:
//!
//! ```sh
//! cargo run --release --example inspect_speed
//! REPEATS=9 cargo run --release --example inspect_speed
//! ```
//!
//! The adapter is synthetic: 32 layers, r = 16 on all seven Linear modules with Llama-2-7B's shapes
//! (q, k, v, o 4096→4096; gate and up 4096→11008; down 11008→4096), in BF16, about 80 MB. Prints
//! the file's size and the median and slowest full inspection (every module's spectrum) in ms.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use half::bf16;
use lora_explorer::adapter::inspect;
use lora_explorer::math::rng::Stream;

/// Llama-2-7B's Linear modules in one block: (path, in, out).
const MODULES: [(&str, usize, usize); 7] = [
    ("self_attn.q_proj", 4096, 4096),
    ("self_attn.k_proj", 4096, 4096),
    ("self_attn.v_proj", 4096, 4096),
    ("self_attn.o_proj", 4096, 4096),
    ("mlp.gate_proj", 4096, 11008),
    ("mlp.up_proj", 4096, 11008),
    ("mlp.down_proj", 11008, 4096),
];

const LAYERS: usize = 32;
const RANK: usize = 16;

/// The synthetic adapter's bytes and its adapter_config.json.
fn adapter() -> (Vec<u8>, String) {
    let mut entries = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    for layer in 0..LAYERS {
        for (m, &(name, n_in, n_out)) in MODULES.iter().enumerate() {
            let stream = Stream::new(7, (layer * MODULES.len() + m) as u64);
            for (factor, rows, cols, sd) in [("A", RANK, n_in, 0.02), ("B", n_out, RANK, 0.01)] {
                let start = data.len();
                for i in 0..rows {
                    for j in 0..cols {
                        let x = sd * stream.normal(i + if factor == "B" { 1 << 20 } else { 0 }, j);
                        data.extend_from_slice(&bf16::from_f64(x).to_le_bytes());
                    }
                }
                entries.push(format!(
                    "\"base_model.model.model.layers.{layer}.{name}.lora_{factor}.weight\":\
                     {{\"dtype\":\"BF16\",\"shape\":[{rows},{cols}],\"data_offsets\":[{start},{}]}}",
                    data.len()
                ));
            }
        }
    }
    let json = format!("{{{}}}", entries.join(","));
    let mut file = (json.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(json.as_bytes());
    file.extend_from_slice(&data);
    let config = format!(
        "{{\"peft_type\":\"LORA\",\"r\":{RANK},\"lora_alpha\":32,\"target_modules\":\
         [\"q_proj\",\"k_proj\",\"v_proj\",\"o_proj\",\"gate_proj\",\"up_proj\",\"down_proj\"]}}"
    );
    (file, config)
}

fn main() {
    let repeats: usize = std::env::var("REPEATS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let (file, config) = adapter();
    println!(
        "synthetic adapter: {LAYERS} layers × {} modules, r = {RANK}, BF16, {:.1} MB",
        MODULES.len(),
        file.len() as f64 / 1e6
    );
    let mut times = Vec::new();
    for _ in 0..repeats.max(1) {
        let started = Instant::now();
        match inspect(&file, Some(&config)) {
            Ok(inspection) => {
                times.push(started.elapsed().as_secs_f64() * 1e3);
                assert_eq!(inspection.modules.len(), LAYERS * MODULES.len());
                assert!(inspection.warnings.is_empty(), "{:?}", inspection.warnings);
            }
            Err(e) => panic!("the synthetic adapter should inspect: {e}"),
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "full inspection (every module's spectrum): median {:.0} ms, slowest {:.0} ms over {} runs",
        times[times.len() / 2],
        times[times.len() - 1],
        times.len()
    );
}
