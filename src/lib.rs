//! LoRA Explorer: an interactive explainer of Low-Rank Adaptation whose figures are computed in Rust.
//!
//! The crate is split into rooms that mirror the architecture (see ARCHITECTURE.md):
//! - [`adapter`]: adapter files (safetensors and PEFT's config) read into what each module learned.
//! - [`math`]: seeded matrices, the LoRA factorisation and parameter counts. Pure numbers.
//! - [`render`]: colour maps and pixel buffers (RGBA, row-major, 4 bytes a pixel).
//! - [`state`]: the page's state, one typed struct holding the value of every control.
//! - [`chapters`]: the course's chapters, in order, and the navigation between them.
//! - [`figures`]: what each figure shows, computed from the state (values, captions, cell reports).
//! - [`format`]: numbers written for readers (thousands separators, ratios).
//! - [`permalink`]: the page's state in its URL, parsed and printed.
//! - [`export`]: CSV files and PEFT configurations for readers to take away.
//! - `web` (wasm32 only): the one module that touches the browser.
//!
//! Architecture invariant: nothing outside `web` imports `web_sys` or `wasm_bindgen`.

pub mod adapter;
pub mod chapters;
pub mod export;
pub mod figures;
pub mod format;
pub mod math;
pub mod permalink;
pub mod render;
pub mod state;

#[cfg(target_arch = "wasm32")]
pub mod web;
