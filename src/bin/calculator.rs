//! The calculator chapter's entry point ("Your model, your adapter"). Trunk compiles this binary to
//! WebAssembly for `www/calculator/index.html`; natively it only explains itself.

#[cfg(target_arch = "wasm32")]
fn main() {
    lora_explorer::web::chapter::start::<lora_explorer::web::calculator::CalculatorView>();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "LoRA Explorer's calculator runs in a browser: start it with `scripts/serve` and open \
         calculator/ (see README.md)."
    );
}
