//! Chapter 2's Web Worker, which trains full fine-tuning and LoRA side by side. Trunk compiles this
//! binary to WebAssembly and `www/worker-loader.js?bin=lora-explorer-trainer` starts it; natively
//! it only explains itself.

#[cfg(target_arch = "wasm32")]
fn main() {
    lora_explorer::web::worker::start::<lora_explorer::figures::trainer::TrainBench>();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "This is LoRA Explorer's training worker: chapter 2's page starts it in the browser."
    );
}
