//! The adapter inspector's charts: ‖ΔW‖_F of each adapted module against its layer, one line a
//! module kind, and one module's singular values with the rank reaching 90% of ‖ΔW‖_F² and the
//! stable rank marked.

use super::spectra::ZeroRowAxis;
use super::*;
use crate::adapter::Module;
use crate::figures::inspector::LayerSeries;

/// Most ticks on the norm axis.
const MAX_NORM_TICKS: usize = 6;

/// The colours of the module kinds' lines, in order: the theme's four, then Okabe–Ito's reddish
/// purple, the other blue, and the text colour; more kinds than these reuse them.
fn kind_colours(theme: &Theme) -> [RGBColor; 7] {
    let other_blue = if theme.primary == RGBColor(0x00, 0x72, 0xb2) {
        RGBColor(0x56, 0xb4, 0xe9)
    } else {
        RGBColor(0xe6, 0x9f, 0x00)
    };
    [
        theme.primary,
        theme.secondary,
        theme.tertiary,
        theme.highlight,
        RGBColor(0xcc, 0x79, 0xa7),
        other_blue,
        theme.text,
    ]
}

/// ‖ΔW‖_F against the layer, one line a module kind (`series`, from
/// `figures::inspector::per_layer`), on linear axes from layer 0 and from zero. No points give a
/// frame with a message.
pub fn layer_norms_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    series: &[LayerSeries],
    theme: &Theme,
) -> Result<(), String> {
    prepare(area, theme)?;
    let points = || series.iter().flat_map(|s| s.points.iter());
    let Some((_, last_layer)) = min_max(points().map(|p| f64::from(p.0))) else {
        return draw_message(area, theme, "No layer has a finite ‖ΔW‖_F to plot.");
    };
    let largest = points().map(|p| p.1).fold(0.0, f64::max);
    let (step, decimals) = round_step(largest * 1.1, MAX_NORM_TICKS);
    let y_hi = if largest > 0.0 {
        (largest * 1.1 / step).ceil() * step
    } else {
        1.0
    };
    let (x_step, _) = round_step(last_layer.max(1.0), 8);
    let x_step = x_step.max(1.0);
    let colours = kind_colours(theme);
    let layout = Layout::of(area);
    let legend: Vec<(Swatch, String)> = series
        .iter()
        .zip(colours.iter().cycle())
        .map(|(s, &colour)| (Swatch::MarkedLine(colour), s.kind.clone()))
        .collect();
    let body = with_legend(area, layout, &legend, theme)?;
    let x_label = |x: &f64| format!("{}", x.round() as i64);
    let y_label = |y: &f64| format!("{y:.decimals$}");
    let x_hi = last_layer + 0.5;
    let mut chart = framed_chart(
        &body,
        layout,
        theme,
        LinearAxis::new(
            -0.5,
            x_hi,
            steps(0.0, (last_layer / x_step).floor() * x_step, x_step),
        ),
        LinearAxis::new(0.0, y_hi, steps(0.0, y_hi, step)),
        Axes {
            x_desc: "Layer",
            y_desc: "‖ΔW‖_F",
            x_label: &x_label,
            y_label: &y_label,
            x_grid: true,
        },
    )?;
    for (s, &colour) in series.iter().zip(colours.iter().cycle()) {
        let line: Vec<(f64, f64)> = s.points.iter().map(|&(l, v)| (f64::from(l), v)).collect();
        draw_curve(&mut chart, &line, colour)?;
    }
    Ok(())
}

/// A module's singular values σᵢ against i on a log y axis, zeros on a bottom row, with dashed
/// markers after the rank reaching 90% of ‖ΔW‖_F² and at the stable rank, labelled at their tops,
/// or in the legend on a phone. A module without a spectrum, or a zero update, gives a frame with
/// a message.
pub fn module_spectrum_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    module: &Module,
    theme: &Theme,
) -> Result<(), String> {
    prepare(area, theme)?;
    let sigma = &module.singular_values;
    let positive = sigma.iter().copied().filter(|s| s.is_finite() && *s > 0.0);
    let Some((smallest, largest)) = min_max(positive) else {
        let message = if sigma.is_empty() {
            "This module has no spectrum."
        } else {
            "ΔW is zero: no singular value to plot."
        };
        return draw_message(area, theme, message);
    };
    // Rounding below σ₁·10⁻¹⁶ is drawn as zero.
    let smallest = smallest.max(largest * SIGMA_FLOOR);
    let axis = ZeroRowAxis::new(smallest, largest);
    let (y_lo, y_hi) = axis.range;
    let len = sigma.len();
    let layout = Layout::of(area);
    let mut markers = Vec::new();
    if (1..=len).contains(&module.rank_90) {
        markers.push((
            module.rank_90 as f64 + 0.5,
            format!("90% of ‖ΔW‖_F² in {}", module.rank_90),
            theme.highlight,
        ));
    }
    if let Some(stable) = module.stable_rank.filter(|s| s.is_finite()) {
        markers.push((
            (stable + 0.5).min(len as f64 + 0.5),
            format!("stable rank {}", crate::format::significant(stable, 3)),
            theme.secondary,
        ));
    }
    // On a phone the two labels would cross each other's lines: they go in the legend instead.
    let mut legend = vec![(
        Swatch::MarkedLine(theme.primary),
        format!("σᵢ of {}", module.kind),
    )];
    if layout.compact {
        legend.extend(
            markers
                .iter()
                .map(|(_, text, colour)| (Swatch::Dashed(*colour), text.clone())),
        );
    }
    let body = with_legend(area, layout, &legend, theme)?;
    let mut chart = axis.frame(&body, layout, theme, len)?;
    let floor = largest * SIGMA_FLOOR;
    let (non_zero, zeros): (Vec<_>, Vec<_>) = sigma
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            (
                (i + 1) as f64,
                if s > floor { axis.at(s) } else { axis.row },
            )
        })
        .partition(|&(_, v)| v > axis.row);
    draw_curve(&mut chart, &non_zero, theme.primary)?;
    chart
        .draw_series(
            zeros
                .iter()
                .map(|&p| Circle::new(p, 3, theme.primary.stroke_width(1))),
        )
        .map_err(failed)?;
    let line_height = (layout.note + 4.0).round() as i32;
    for (row, (x, text, colour)) in markers.into_iter().enumerate() {
        if layout.compact {
            dashed_marker(&mut chart, x, (y_lo, y_hi), colour)?;
            continue;
        }
        let drop = 8 + row as i32 * line_height;
        let label = MarkerLabel {
            text,
            colour,
            right_drop: drop,
            left_drop: drop,
        };
        rank_marker(&mut chart, x, (y_lo, y_hi), label, layout, theme)?;
    }
    Ok(())
}
