//! The page's entry point. Trunk compiles this binary to WebAssembly; natively it only explains itself.

#[cfg(target_arch = "wasm32")]
fn main() {
    lora_explorer::web::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("LoRA Explorer runs in a browser: start it with `scripts/serve` (see README.md).");
}
