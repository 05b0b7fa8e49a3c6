//! The Web Worker's entry point. Trunk compiles this binary to WebAssembly and `www/worker-loader.js`
//! starts it; natively it only explains itself.

#[cfg(target_arch = "wasm32")]
fn main() {
    lora_explorer::web::worker::start::<lora_explorer::figures::work::Workbenches>();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("This is LoRA Explorer's Web Worker: the page starts it in the browser.");
}
