//! Native tests of the core: one binary, one module per room.
#![cfg(not(target_arch = "wasm32"))]

mod adapter;
mod adapter_files;
mod bidiagonal;
mod calculator;
mod chapters;
mod charts;
mod colormap;
mod comparison;
mod cost;
mod export;
mod factorisation;
mod format;
mod hostile_links;
mod inspector;
mod intrinsic;
mod links;
mod maths;
mod memory;
mod page;
mod permalink;
mod qlora;
mod rank;
mod registry;
mod rng;
mod state;
mod svd;
mod tables;
mod trainer;
mod training;
mod work;
