//! The calculator chapter's inspector worker, which reads an adapter file off the main thread.
//! Trunk compiles this binary to WebAssembly and `www/worker-loader.js?bin=lora-explorer-inspector`
//! starts it; natively it only explains itself.

#[cfg(target_arch = "wasm32")]
fn main() {
    lora_explorer::web::worker::start::<lora_explorer::figures::inspector::InspectBench>();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "This is LoRA Explorer's adapter inspector worker: the calculator chapter's page starts it \
         in the browser when a file is chosen."
    );
}
