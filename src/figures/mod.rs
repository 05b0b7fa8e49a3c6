//! What each figure shows, computed from the page state: matrices, colour scales, counts, captions and
//! the reports shown when a reader points at a cell. No drawing happens here, only content.

pub mod comparison;
pub mod cost;
pub mod factorisation;
pub mod intrinsic;
pub mod maths;
pub mod printed;
pub mod rank;
pub mod tables;
