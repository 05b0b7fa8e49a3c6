//! Chapter 3's charts: the 4-bit codes over the normal density, one block's histogram with the
//! code's levels, each code's error against block size, and what a LoftQ-initialised adapter
//! leaves of the quantisation error against its rank.

use super::*;
use crate::figures::qlora::{BlockHistogram, BlockSizeSeries, CodesFigure, LoftqFigure};
use crate::math::quant::{noise_energy_share, Code};

/// The colour of each code's series: NF4 the primary colour, FP4 the secondary, int4 the third.
fn code_colour(code: Code, theme: &Theme) -> RGBColor {
    match code {
        Code::Nf4 => theme.primary,
        Code::Fp4 => theme.secondary,
        Code::Int4 => theme.tertiary,
    }
}

/// A number as a short tick label: "0.1", "−0.5", "2".
fn plain_tick(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" => "0".to_string(),
        _ => text.replace('-', "−"),
    }
}

/// NF4's levels in standard deviations, as stems up to the N(0, 1) density, over the density's
/// curve; FP4's and int4's levels, on the same scale (their top level at NF4's), as rows of dots
/// under the axis.
pub fn codes_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    figure: &CodesFigure,
    theme: &Theme,
) -> Result<(), String> {
    prepare(area, theme)?;
    let layout = Layout::of(area);
    let entries = Code::ALL.map(|code| {
        let what = match code {
            Code::Nf4 => "NF4 levels",
            Code::Fp4 => "FP4 levels",
            Code::Int4 => "int4 levels",
        };
        (
            Swatch::MarkedLine(code_colour(code, theme)),
            what.to_string(),
        )
    });
    let body = with_legend(area, layout, &entries, theme)?;
    let reach = 1.15 * figure.top;
    let (y_lo, y_hi) = (-0.13, 0.45);
    let x_label = |x: &f64| plain_tick(*x);
    let y_label = |y: &f64| plain_tick(*y);
    let ticks = steps(-2.0, 2.0, 1.0);
    let mut chart = framed_chart(
        &body,
        layout,
        theme,
        LinearAxis::new(-reach, reach, ticks),
        LinearAxis::new(y_lo, y_hi, steps(0.0, 0.4, 0.1)),
        Axes {
            x_desc: "Value, in standard deviations of the weights",
            y_desc: "Normal density",
            x_label: &x_label,
            y_label: &y_label,
            x_grid: false,
        },
    )?;
    chart
        .draw_series(LineSeries::new(
            figure.density(200),
            theme.text.mix(0.6).stroke_width(2),
        ))
        .map_err(failed)?;
    let density = |x: f64| (-x * x / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let nf4 = code_colour(Code::Nf4, theme);
    for x in figure.nf4_in_sigmas() {
        chart
            .draw_series(LineSeries::new(
                [(x, 0.0), (x, density(x))],
                nf4.stroke_width(2),
            ))
            .map_err(failed)?;
        chart
            .draw_series(std::iter::once(Circle::new(
                (x, density(x)),
                3,
                nf4.filled(),
            )))
            .map_err(failed)?;
    }
    for (row, (code, levels)) in figure.levels.iter().skip(1).enumerate() {
        let y = -0.04 - 0.045 * row as f64;
        let colour = code_colour(*code, theme);
        chart
            .draw_series(
                levels
                    .iter()
                    .map(|l| Circle::new((l * figure.top, y), 3, colour.filled())),
            )
            .map_err(failed)?;
    }
    Ok(())
}

/// One block's values over its absmax as bars over [−1, 1], the code's levels as lines.
pub fn histogram_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    histogram: &BlockHistogram,
    code: Code,
    theme: &Theme,
) -> Result<(), String> {
    prepare(area, theme)?;
    let layout = Layout::of(area);
    let entries = [
        (
            Swatch::Bar(theme.primary),
            "Values in the block".to_string(),
        ),
        (
            Swatch::Dashed(code_colour(code, theme)),
            format!("{} levels", code.name()),
        ),
    ];
    let body = with_legend(area, layout, &entries, theme)?;
    let top = histogram.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let y_step = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0]
        .into_iter()
        .find(|step| top / step <= 5.0)
        .unwrap_or(2000.0);
    let y_hi = (top / y_step).ceil() * y_step;
    let x_label = |x: &f64| plain_tick(*x);
    let y_label = |y: &f64| format::thousands(y.round() as u64);
    let mut chart = framed_chart(
        &body,
        layout,
        theme,
        LinearAxis::new(-1.05, 1.05, steps(-1.0, 1.0, 0.5)),
        LinearAxis::new(0.0, y_hi * 1.05, steps(0.0, y_hi, y_step)),
        Axes {
            x_desc: "Value ÷ the block's absmax",
            y_desc: "Values",
            x_label: &x_label,
            y_label: &y_label,
            x_grid: false,
        },
    )?;
    let bins = histogram.counts.len().max(1);
    let width = 2.0 / bins as f64;
    chart
        .draw_series(histogram.counts.iter().enumerate().map(|(i, &count)| {
            let left = -1.0 + i as f64 * width;
            Rectangle::new(
                [(left, 0.0), (left + width * 0.92, count as f64)],
                theme.primary.mix(0.75).filled(),
            )
        }))
        .map_err(failed)?;
    let colour = code_colour(code, theme);
    for &level in &histogram.levels {
        chart
            .draw_series(DashedLineSeries::new(
                [(level, 0.0), (level, y_hi)],
                4,
                3,
                colour.stroke_width(1),
            ))
            .map_err(failed)?;
    }
    Ok(())
}

/// Each code's mean squared error against block size, both on log axes; `chosen` (code, block
/// size) is ringed.
pub fn block_size_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    series: &BlockSizeSeries,
    chosen: (Code, usize),
    theme: &Theme,
) -> Result<(), String> {
    prepare(area, theme)?;
    let values = series
        .series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|&(_, e)| e))
        .filter(|e| e.is_finite() && *e > 0.0);
    let Some((smallest, largest)) = min_max(values) else {
        return draw_message(
            area,
            theme,
            "No error to plot: the matrix is stored exactly.",
        );
    };
    let layout = Layout::of(area);
    let entries: Vec<(Swatch, String)> = series
        .series
        .iter()
        .map(|(code, _)| {
            (
                Swatch::MarkedLine(code_colour(*code, theme)),
                code.name().to_string(),
            )
        })
        .collect();
    let body = with_legend(area, layout, &entries, theme)?;
    let (lo_exp, hi_exp) = decade_bounds(smallest, largest, 1.2, 1.2);
    let sizes = || {
        series
            .series
            .iter()
            .flat_map(|(_, s)| s.iter().map(|p| p.0 as u64))
    };
    let (x_lo, x_hi) = log2_range(sizes().min().unwrap_or(16), sizes().max().unwrap_or(4096));
    let x_label = |x: &f64| format::thousands(x.round() as u64);
    let y_label = |y: &f64| decade_tick(*y);
    let mut chart = framed_chart(
        &body,
        layout,
        theme,
        (x_lo..x_hi)
            .log_scale()
            .base(2.0)
            .with_key_points(power_of_two_ticks(16, 4096)),
        (10f64.powi(lo_exp)..10f64.powi(hi_exp))
            .log_scale()
            .with_key_points(decade_ticks(lo_exp, hi_exp)),
        Axes {
            x_desc: "Block size B (log scale)",
            y_desc: "Mean squared error (log scale)",
            x_label: &x_label,
            y_label: &y_label,
            x_grid: true,
        },
    )?;
    for (code, points) in &series.series {
        let colour = code_colour(*code, theme);
        let points: Vec<(f64, f64)> = points
            .iter()
            .filter(|(_, e)| e.is_finite() && *e > 0.0)
            .map(|&(b, e)| (b as f64, e))
            .collect();
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(2),
            ))
            .map_err(failed)?;
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))
            .map_err(failed)?;
        if *code == chosen.0 {
            if let Some(&point) = points.iter().find(|p| p.0 as usize == chosen.1) {
                chart
                    .draw_series(std::iter::once(Circle::new(
                        point,
                        7,
                        theme.highlight.stroke_width(2),
                    )))
                    .map_err(failed)?;
            }
        }
    }
    Ok(())
}

/// ‖E − BA‖_F / ‖E‖_F against the adapter's rank r = 0 … n for the quantisation error E, beside
/// what the same rank leaves of a matrix of pure noise (dashed); the chosen rank is a vertical
/// line.
pub fn loftq_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    figure: &LoftqFigure,
    theme: &Theme,
) -> Result<(), String> {
    prepare(area, theme)?;
    let total = figure.residuals.first().copied().unwrap_or(0.0);
    let n = figure.sigma.len();
    if n == 0 || total <= 0.0 {
        return draw_message(
            area,
            theme,
            "No error to cancel: the matrix is stored exactly.",
        );
    }
    let layout = Layout::of(area);
    let entries = [
        (
            Swatch::MarkedLine(theme.primary),
            "This quantisation error".to_string(),
        ),
        (
            Swatch::Dashed(theme.secondary),
            "Pure noise of the same size".to_string(),
        ),
    ];
    let body = with_legend(area, layout, &entries, theme)?;
    let x_label = |x: &f64| format::thousands(x.round() as u64);
    let y_label = |y: &f64| format!("{}%", (y * 100.0).round());
    let x_step = [8usize, 16, 32, 64, 128, 256]
        .into_iter()
        .find(|s| n / s <= 8)
        .unwrap_or(512);
    let mut chart = framed_chart(
        &body,
        layout,
        theme,
        LinearAxis::new(0.0, n as f64, steps(0.0, n as f64, x_step as f64)),
        LinearAxis::new(0.0, 1.02, steps(0.0, 1.0, 0.25)),
        Axes {
            x_desc: "Adapter rank r",
            y_desc: "Error left, ‖E − BA‖ / ‖E‖",
            x_label: &x_label,
            y_label: &y_label,
            x_grid: false,
        },
    )?;
    let left: Vec<(f64, f64)> = figure
        .residuals
        .iter()
        .enumerate()
        .map(|(r, e)| (r as f64, e / total))
        .collect();
    chart
        .draw_series(LineSeries::new(left, theme.primary.stroke_width(2)))
        .map_err(failed)?;
    let noise: Vec<(f64, f64)> = (0..=n)
        .map(|r| {
            let share = noise_energy_share(r as f64 / n as f64);
            (r as f64, (1.0 - share).max(0.0).sqrt())
        })
        .collect();
    chart
        .draw_series(DashedLineSeries::new(
            noise,
            6,
            4,
            theme.secondary.stroke_width(2),
        ))
        .map_err(failed)?;
    let r = figure.rank as f64;
    chart
        .draw_series(LineSeries::new(
            [(r, 0.0), (r, 1.0)],
            theme.highlight.stroke_width(2),
        ))
        .map_err(failed)?;
    let at = figure.residuals.get(figure.rank).copied().unwrap_or(0.0) / total;
    chart
        .draw_series(std::iter::once(Circle::new(
            (r, at),
            5,
            theme.highlight.filled(),
        )))
        .map_err(failed)?;
    Ok(())
}
