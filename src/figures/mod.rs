//! What each figure shows, computed from the page state: matrices, colour scales, counts, captions and
//! the reports shown when a reader points at a cell. No drawing happens here, only content.

pub mod calculator;
pub mod comparison;
pub mod cost;
pub mod factorisation;
pub mod intrinsic;
pub mod maths;
pub mod printed;
pub mod rank;
pub mod tables;

use factorisation::Spectra;

/// What the page has received from its workers for the current state: the numbers of the figures
/// that are computed off the main thread. Data tables and CSV files offer them once they are here.
#[derive(Clone, Copy, Debug, Default)]
pub struct Received<'a> {
    /// The intrinsic-rank section's singular values of its current matrix.
    pub sigma: Option<&'a [f64]>,
    /// Figure 3's singular values at its current state.
    pub spectra: Option<&'a Spectra>,
}
