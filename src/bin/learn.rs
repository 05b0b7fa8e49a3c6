//! Chapter 2's page, "Watch LoRA learn". Trunk compiles this binary to WebAssembly; natively it
//! only explains itself.

#[cfg(target_arch = "wasm32")]
fn main() {
    lora_explorer::web::chapter::start::<lora_explorer::web::learn::LearnView>();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("LoRA Explorer runs in a browser: start it with `scripts/serve` (see README.md).");
}
