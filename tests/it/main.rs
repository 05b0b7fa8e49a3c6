//! Native tests of the core: one binary, one module per room.
#![cfg(not(target_arch = "wasm32"))]

mod colormap;
mod factorisation;
mod format;
mod state;
mod charts;
mod memory;
mod svd;
