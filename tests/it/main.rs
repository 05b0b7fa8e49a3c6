//! Native tests of the core: one binary, one module per room.
#![cfg(not(target_arch = "wasm32"))]

mod calculator;
mod charts;
mod colormap;
mod comparison;
mod cost;
mod export;
mod factorisation;
mod format;
mod intrinsic;
mod maths;
mod memory;
mod page;
mod permalink;
mod rank;
mod state;
mod svd;
mod tables;
