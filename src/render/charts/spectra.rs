//! The factorisation figure's spectrum chart: the singular values of W₀, of the update (α/r)·BA and
//! of the merged weight W₀ + (α/r)·BA against their 1-based index, on one log y axis.
//!
//! Zeros have no place on a log axis, so they sit on a bottom row of their own, a little below the
//! lowest decade, whose tick reads "0". The x axis is linear: index i sits at x = i, and the plot
//! spans 0.5 … n + 0.5, so every index owns an equal slice that a pointer can land in.

use std::ops::Range;

use plotters::coord::combinators::{LogCoord, WithKeyPoints};

use super::*;

/// How the plot's x axis maps pixels back to indices, returned by the chart for pointing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexAxis {
    /// The plot's horizontal extent, in the backend's pixels.
    pub x_pixels: Range<i32>,
    /// How many indices the axis holds.
    pub len: usize,
}

impl IndexAxis {
    /// The 0-based index whose slice holds pixel `x`, or None outside the plot.
    pub fn index_at(&self, x: i32) -> Option<usize> {
        let width = self.x_pixels.end - self.x_pixels.start;
        if self.len == 0 || width <= 0 || !self.x_pixels.contains(&x) {
            return None;
        }
        let fraction = f64::from(x - self.x_pixels.start) / f64::from(width);
        Some(((fraction * self.len as f64) as usize).min(self.len - 1))
    }
}

/// Ticks for 1-based indices 1 … len on a linear axis: 1, then multiples of a power-of-two step
/// that keeps them at 9 or fewer.
pub(super) fn integer_ticks(len: usize) -> Vec<f64> {
    let step = [1, 2, 4, 8, 16, 32, 64, 128, 256]
        .into_iter()
        .find(|step| len / step < 9)
        .unwrap_or(512);
    std::iter::once(1)
        .chain((step..=len).step_by(step).filter(|&i| i > 1))
        .map(|i| i as f64)
        .collect()
}

/// A log y axis for singular values with a bottom row for zeros, one decade under the lowest tick,
/// whose tick reads "0".
pub(super) struct ZeroRowAxis {
    /// The zero row's level.
    pub(super) row: f64,
    /// The axis's range.
    pub(super) range: (f64, f64),
    /// Tick positions: the zero row, then decades.
    pub(super) ticks: Vec<f64>,
}

impl ZeroRowAxis {
    /// The axis for positive values from `smallest` to `largest`.
    pub(super) fn new(smallest: f64, largest: f64) -> Self {
        let (lo_exp, hi_exp) = decade_bounds(smallest, largest, 1.0, 1.5);
        // A little room below the zero row for its markers.
        let row = 10f64.powi(lo_exp - 1);
        let mut ticks = decade_ticks(lo_exp, hi_exp);
        ticks.insert(0, row);
        Self {
            row,
            range: (row / 10f64.powf(0.3), 10f64.powi(hi_exp)),
            ticks,
        }
    }

    /// Where `value` is drawn: itself when positive and finite, otherwise on the zero row.
    pub(super) fn at(&self, value: f64) -> f64 {
        if value.is_finite() && value > 0.0 {
            value
        } else {
            self.row
        }
    }

    /// The framed chart of `len` singular values on `body`: index across, this axis up, with the
    /// titles every singular-value chart shares.
    pub(super) fn frame<'a, DB: DrawingBackend>(
        &self,
        body: &'a DrawingArea<DB, Shift>,
        layout: Layout,
        theme: &Theme,
        len: usize,
    ) -> Result<Chart<'a, DB, LinearAxis, WithKeyPoints<LogCoord<f64>>>, String> {
        let x_label = |x: &f64| format!("{}", x.round() as u64);
        let y_label = |y: &f64| self.label(*y);
        let (y_lo, y_hi) = self.range;
        framed_chart(
            body,
            layout,
            theme,
            LinearAxis::new(0.5, len as f64 + 0.5, integer_ticks(len)),
            (y_lo..y_hi).log_scale().with_key_points(self.ticks.clone()),
            Axes {
                x_desc: "Index i of the singular value",
                y_desc: "Singular value σᵢ (log scale)",
                x_label: &x_label,
                y_label: &y_label,
                x_grid: false,
            },
        )
    }

    /// A tick's label: "0" on the zero row, the decade elsewhere.
    pub(super) fn label(&self, y: f64) -> String {
        if (y / self.row - 1.0).abs() < 1e-9 {
            "0".to_string()
        } else {
            decade_tick(y)
        }
    }
}

/// The chart. `w0`, `update` and `merged` are descending singular values, min(d, k) of each; zeros
/// of the update (exactly 0.0) are drawn on the bottom row. `rank` is the update's number of
/// non-zero values: a dashed line between σ_rank and σ_(rank+1) marks it when 1 ≤ rank < n. `pointed`
/// (0-based) gets a vertical line. Non-finite values are drawn on the bottom row too. Returns the
/// x axis for pointing; no values, or no positive value, give a frame with a message.
pub fn factorisation_spectra_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    w0: &[f64],
    update: &[f64],
    merged: &[f64],
    pointed: Option<usize>,
    theme: &Theme,
) -> Result<IndexAxis, String> {
    prepare(area, theme)?;
    let len = w0.len().min(update.len()).min(merged.len());
    let positive = || {
        [w0, update, merged]
            .into_iter()
            .flat_map(|values| values[..len].iter().copied())
            .filter(|v| v.is_finite() && *v > 0.0)
    };
    let Some((smallest, largest)) = min_max(positive()) else {
        draw_message(area, theme, "No non-zero singular values to plot.")?;
        return Ok(IndexAxis {
            x_pixels: 0..0,
            len: 0,
        });
    };
    let axis = ZeroRowAxis::new(smallest, largest);
    let (y_lo, y_hi) = axis.range;
    let zero_row = axis.row;
    let points = |values: &[f64]| -> Vec<(f64, f64)> {
        values[..len]
            .iter()
            .enumerate()
            .map(|(idx, &v)| ((idx + 1) as f64, axis.at(v)))
            .collect()
    };

    let layout = Layout::of(area);
    let body = with_legend(
        area,
        layout,
        &[
            (Swatch::MarkedLine(theme.secondary), "W₀".to_string()),
            (
                Swatch::MarkedLine(theme.primary),
                "update (α/r)·BA".to_string(),
            ),
            (
                Swatch::MarkedLine(theme.tertiary),
                "W₀ + (α/r)·BA".to_string(),
            ),
        ],
        theme,
    )?;
    let mut chart = axis.frame(&body, layout, theme, len)?;

    if let Some(idx) = pointed.filter(|&idx| idx < len) {
        let x = (idx + 1) as f64;
        chart
            .draw_series(LineSeries::new(
                [(x, y_lo), (x, y_hi)],
                theme.text.stroke_width(1),
            ))
            .map_err(failed)?;
    }

    for (values, colour) in [(w0, theme.secondary), (merged, theme.tertiary)] {
        draw_curve(&mut chart, &points(values), colour)?;
    }
    // The update's line runs through its non-zero values only; its zeros are rings on the zero row.
    let update_points = points(update);
    let (non_zero, zeros): (Vec<_>, Vec<_>) = update_points
        .iter()
        .copied()
        .partition(|&(_, v)| v > zero_row);
    chart
        .draw_series(LineSeries::new(
            non_zero.iter().copied(),
            theme.primary.stroke_width(2),
        ))
        .map_err(failed)?;
    // Markers as on the other lines, which have all `len` points.
    if len <= MAX_MARKED_POINTS {
        chart
            .draw_series(
                non_zero
                    .iter()
                    .map(|&p| Circle::new(p, 3, theme.primary.filled())),
            )
            .map_err(failed)?;
    }
    chart
        .draw_series(
            zeros
                .iter()
                .map(|&p| Circle::new(p, 3, theme.primary.stroke_width(1))),
        )
        .map_err(failed)?;

    let rank = non_zero.len();
    if rank >= 1 && rank < len {
        let label = MarkerLabel {
            text: format!("{rank} non-zero"),
            colour: theme.highlight,
            right_drop: 8,
            left_drop: 8,
        };
        rank_marker(
            &mut chart,
            rank as f64 + 0.5,
            (y_lo, y_hi),
            label,
            layout,
            theme,
        )?;
    }
    let (x_pixels, _) = chart.plotting_area().get_pixel_range();
    Ok(IndexAxis { x_pixels, len })
}
