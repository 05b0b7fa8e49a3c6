//! Charts drawn with plotters onto any `DrawingBackend`.
//!
//! Conventions: every chart fills its whole drawing area with the theme's background, then draws in
//! the backend's pixels (origin top left, y down). Data are in their own units: bytes for memory,
//! parameter counts for ranks, plain numbers for singular values, fractions in [0, 1] for explained
//! variance. Log y axes show positive values only, with ticks on powers of ten; ranks and indices sit
//! on log₂ x axes with ticks on powers of two. Font sizes are in pixels as a canvas reads them
//! (plotters' SVG backend writes them 1.24 times smaller). Areas narrower than 520 pixels get a
//! compact layout: smaller type and no y-axis title. A chart never panics: empty data give a frame
//! with a short message; an area under 160×120 pixels, or a backend failure, gives `Err` with a plain
//! sentence. Text is written only for ticks, legends and highlighted points, so a redraw stays cheap.

use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::{AsRangedCoord, DefaultFormatting, KeyPointHint, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

mod breakdown;
mod inspector;
mod qlora;
mod spectra;
mod training;

pub use breakdown::{breakdown_chart, BreakdownBar, Part};
pub use inspector::{layer_norms_chart, module_spectrum_chart};
pub use qlora::{block_size_chart, codes_chart, histogram_chart, loftq_chart};
pub use spectra::{factorisation_spectra_chart, IndexAxis};
pub use training::{learn_forget_chart, loss_chart, training_spectra_chart};

use crate::format;
use crate::math::memory::{
    full_finetune_bytes, lora_finetune_bytes, Counting, MeasuredMemory, ModelSpec,
};

/// Colours and font of the charts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Theme {
    /// Fill of the whole chart area.
    pub background: RGBColor,
    /// Tick labels, axis titles and annotations.
    pub text: RGBColor,
    /// Grid lines.
    pub grid: RGBColor,
    /// LoRA's series.
    pub primary: RGBColor,
    /// Full fine-tuning's series, and reference lines.
    pub secondary: RGBColor,
    /// A third series, beside the primary and secondary ones.
    pub tertiary: RGBColor,
    /// The point or line the reader chose.
    pub highlight: RGBColor,
    /// A CSS font family.
    pub font_family: &'static str,
}

impl Theme {
    /// Dark text on white, Okabe–Ito colours: blue LoRA, vermillion full fine-tuning, orange highlight.
    pub fn light() -> Self {
        Self {
            background: RGBColor(0xff, 0xff, 0xff),
            text: RGBColor(0x1b, 0x1f, 0x24),
            grid: RGBColor(0xe1, 0xe4, 0xe8),
            primary: RGBColor(0x00, 0x72, 0xb2),
            secondary: RGBColor(0xd5, 0x5e, 0x00),
            tertiary: RGBColor(0x00, 0x9e, 0x73),
            highlight: RGBColor(0xe6, 0x9f, 0x00),
            font_family: "sans-serif",
        }
    }

    /// Light text on near-black, Okabe–Ito colours: sky-blue LoRA, vermillion full fine-tuning,
    /// yellow highlight.
    pub fn dark() -> Self {
        Self {
            background: RGBColor(0x15, 0x18, 0x1c),
            text: RGBColor(0xe6, 0xe8, 0xeb),
            grid: RGBColor(0x33, 0x39, 0x41),
            primary: RGBColor(0x56, 0xb4, 0xe9),
            secondary: RGBColor(0xd5, 0x5e, 0x00),
            tertiary: RGBColor(0x00, 0x9e, 0x73),
            highlight: RGBColor(0xf0, 0xe4, 0x42),
            font_family: "sans-serif",
        }
    }
}

/// One model's pair of bars in [`memory_chart`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryBar {
    /// The model's name, written under its pair of bars.
    pub label: String,
    /// Bytes to fully fine-tune it.
    pub full_bytes: u64,
    /// Bytes to train it with LoRA.
    pub lora_bytes: u64,
    /// What the LoRA paper measured for it, drawn as a dashed mark across each bar.
    pub measured: Option<MeasuredMemory>,
}

impl MemoryBar {
    /// One bar pair per model, in order, from [`full_finetune_bytes`] and [`lora_finetune_bytes`].
    pub fn for_models(models: &[ModelSpec], rank: u64, counting: Counting) -> Vec<Self> {
        models
            .iter()
            .map(|model| Self {
                label: model.name.to_string(),
                full_bytes: full_finetune_bytes(model, counting),
                lora_bytes: lora_finetune_bytes(model, rank, counting),
                measured: model.measured,
            })
            .collect()
    }
}

/// Smallest area a chart is drawn in, in pixels.
const MIN_WIDTH: u32 = 160;
const MIN_HEIGHT: u32 = 120;

/// Charts narrower than this, in pixels, use the compact layout.
const COMPACT_BELOW: u32 = 520;

/// Height of one row of the legend strip above a chart, in pixels.
const LEGEND_ROW: u32 = 24;

/// Average advance of a character, as a fraction of the font size, for guessing text widths.
const EM_PER_CHAR: f64 = 0.58;

/// Sizes that follow the area's width: a regular layout, and a compact one for phones.
#[derive(Clone, Copy)]
struct Layout {
    /// Whether the area is narrower than [`COMPACT_BELOW`].
    compact: bool,
    /// Tick labels and legend, in pixels.
    tick: f64,
    /// Axis titles and annotations, in pixels.
    note: f64,
    /// Room under the plot for x ticks and title, in pixels.
    x_label_area: u32,
    /// Room left of the plot for y ticks and title, in pixels.
    y_label_area: u32,
    /// Room right of the plot, in pixels.
    margin_right: u32,
}

impl Layout {
    /// The layout for `area`'s width.
    fn of<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> Self {
        let (width, _) = area.dim_in_pixel();
        if width < COMPACT_BELOW {
            // No y-axis title: its width goes to the plot.
            Self {
                compact: true,
                tick: 11.0,
                note: 12.0,
                x_label_area: 40,
                y_label_area: 60,
                margin_right: 12,
            }
        } else {
            Self {
                compact: false,
                tick: 13.0,
                note: 14.0,
                x_label_area: 44,
                y_label_area: 84,
                margin_right: 20,
            }
        }
    }

    /// Pixels left of the legend's first entry: under the y ticks, or near the edge when compact.
    fn legend_left(self) -> i32 {
        if self.compact {
            8
        } else {
            self.y_label_area as i32
        }
    }
}

/// A guess at the width of `text` in pixels at `size`, without asking the backend.
fn guess_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * EM_PER_CHAR * size
}

/// Most tick labels on a log axis.
const MAX_LOG_TICKS: usize = 8;

/// Singular values are clamped to at least σ₁ times this, so zeros can sit on a log axis.
const SIGMA_FLOOR: f64 = 1e-16;

/// Up to this many points, a line also gets a marker at each point.
const MAX_MARKED_POINTS: usize = 40;

/// A plain sentence for a plotters error.
fn failed(err: impl std::fmt::Display) -> String {
    format!("The chart could not be drawn: {err}")
}

/// Draws `points` as a line in `colour`, with a marker on each point when there are few enough to
/// tell apart.
fn draw_curve<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'_, DB, CT>,
    points: &[(f64, f64)],
    colour: RGBColor,
) -> Result<(), String> {
    chart
        .draw_series(LineSeries::new(
            points.iter().copied(),
            colour.stroke_width(2),
        ))
        .map_err(failed)?;
    if points.len() <= MAX_MARKED_POINTS {
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))
            .map_err(failed)?;
    }
    Ok(())
}

/// Ticks from `lo` to `hi` every `step`.
fn steps(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let count = ((hi - lo) / step).round() as usize;
    (0..=count).map(|i| lo + i as f64 * step).collect()
}

/// The smallest round step (1, 2 or 5 times a power of ten) that cuts `span` into at most `most`
/// intervals, and the decimals that write its multiples. A span that is zero or not finite gets 1.
fn round_step(span: f64, most: usize) -> (f64, usize) {
    if !(span.is_finite() && span > 0.0) {
        return (1.0, 0);
    }
    let rough = span / most.max(1) as f64;
    let exp = rough.log10().floor() as i32;
    let power = 10f64.powi(exp);
    let mantissa = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| m * power >= rough * (1.0 - 1e-12))
        .unwrap_or(10.0);
    let step = mantissa * power;
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    (step, decimals)
}

/// Checks the area is large enough and paints the background.
fn prepare<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, theme: &Theme) -> Result<(), String> {
    let (width, height) = area.dim_in_pixel();
    if width < MIN_WIDTH || height < MIN_HEIGHT {
        return Err(format!(
            "The chart needs at least {MIN_WIDTH}×{MIN_HEIGHT} pixels; it has {width}×{height}."
        ));
    }
    area.fill(&theme.background).map_err(failed)
}

/// A text style in the theme's font and text colour, anchored at `pos`.
fn text_style(theme: &Theme, size: f64, pos: Pos) -> TextStyle<'static> {
    TextStyle {
        font: (theme.font_family, size).into_font(),
        color: theme.text.to_backend_color(),
        pos,
    }
}

/// The same, in bold.
fn bold_style(theme: &Theme, size: f64, pos: Pos) -> TextStyle<'static> {
    TextStyle {
        font: (theme.font_family, size, FontStyle::Bold).into_font(),
        color: theme.text.to_backend_color(),
        pos,
    }
}

/// A linear f64 axis whose ticks are given, with labels written by the mesh's formatter.
///
/// plotters' own f64 axis with custom key points cannot take a label formatter, hence this one.
struct LinearAxis {
    /// The mapping from values to pixels.
    inner: RangedCoordf64,
    /// Tick positions.
    ticks: Vec<f64>,
}

impl LinearAxis {
    fn new(lo: f64, hi: f64, ticks: Vec<f64>) -> Self {
        Self {
            inner: (lo..hi).into(),
            ticks,
        }
    }
}

impl Ranged for LinearAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Light grid lines are not drawn: only the given ticks.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// A framed area with `message` in its centre, for data that leave nothing to plot.
fn draw_message<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    theme: &Theme,
    message: &str,
) -> Result<(), String> {
    let (width, height) = area.dim_in_pixel();
    let (w, h) = (width as i32, height as i32);
    area.draw(&Rectangle::new([(0, 0), (w - 1, h - 1)], theme.grid))
        .map_err(failed)?;
    let style = text_style(theme, 14.0, Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new(message.to_string(), (w / 2, h / 2), style))
        .map_err(failed)
}

/// How a legend entry is drawn.
#[derive(Clone, Copy)]
enum Swatch {
    /// A filled square.
    Bar(RGBColor),
    /// A solid line with a dot in its middle.
    MarkedLine(RGBColor),
    /// A dashed line.
    Dashed(RGBColor),
    /// A plain line of a width in pixels.
    Line(RGBColor, u32),
}

/// Splits off a legend strip above `area` and draws `entries` in it, wrapping onto more rows when
/// they don't fit; returns the area left for the chart.
fn with_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    layout: Layout,
    entries: &[(Swatch, String)],
    theme: &Theme,
) -> Result<DrawingArea<DB, Shift>, String> {
    let style = text_style(theme, layout.tick, Pos::new(HPos::Left, VPos::Center));
    let (width, _) = area.dim_in_pixel();
    let right = width as i32 - 8;
    let left = layout.legend_left();
    // Entry positions (x, row): a swatch 24 px wide, 6 px, the text, then 24 px to the next.
    let mut placed = Vec::with_capacity(entries.len());
    let (mut x, mut row) = (left, 0);
    for (_, label) in entries {
        let (text_width, _) = area.estimate_text_size(label, &style).map_err(failed)?;
        let entry_width = 30 + text_width as i32;
        if x > left && x + entry_width > right {
            x = left;
            row += 1;
        }
        placed.push((x, row));
        x += entry_width + 24;
    }
    let rows = row + 1;
    let (strip, body) = area.split_vertically(rows * LEGEND_ROW + 4);
    for ((swatch, label), &(x, row)) in entries.iter().zip(&placed) {
        let y = (row * LEGEND_ROW + LEGEND_ROW / 2 + 2) as i32;
        match *swatch {
            Swatch::Bar(colour) => {
                strip
                    .draw(&Rectangle::new(
                        [(x + 6, y - 6), (x + 18, y + 6)],
                        colour.filled(),
                    ))
                    .map_err(failed)?;
            }
            Swatch::MarkedLine(colour) => {
                strip
                    .draw(&PathElement::new(
                        vec![(x, y), (x + 24, y)],
                        colour.stroke_width(2),
                    ))
                    .map_err(failed)?;
                strip
                    .draw(&Circle::new((x + 12, y), 3, colour.filled()))
                    .map_err(failed)?;
            }
            Swatch::Line(colour, width) => {
                strip
                    .draw(&PathElement::new(
                        vec![(x, y), (x + 24, y)],
                        colour.stroke_width(width),
                    ))
                    .map_err(failed)?;
            }
            Swatch::Dashed(colour) => {
                for start in [0, 10, 20] {
                    strip
                        .draw(&PathElement::new(
                            vec![(x + start, y), (x + start + 5, y)],
                            colour.stroke_width(2),
                        ))
                        .map_err(failed)?;
                }
            }
        }
        strip
            .draw(&Text::new(label.clone(), (x + 30, y), style.clone()))
            .map_err(failed)?;
    }
    Ok(body)
}

/// What the axes of a chart say.
struct Axes<'f> {
    /// Title under the x axis; empty for none.
    x_desc: &'f str,
    /// Title left of the y axis, left out in the compact layout.
    y_desc: &'f str,
    /// Writes an x tick.
    x_label: &'f dyn Fn(&f64) -> String,
    /// Writes a y tick.
    y_label: &'f dyn Fn(&f64) -> String,
    /// Whether vertical grid lines are drawn at the x ticks.
    x_grid: bool,
}

/// A chart whose axes are built from the specs `X` and `Y`.
type Chart<'a, DB, X, Y> = ChartContext<
    'a,
    DB,
    Cartesian2d<<X as AsRangedCoord>::CoordDescType, <Y as AsRangedCoord>::CoordDescType>,
>;

/// Builds a chart on `area` with axes `x` and `y` and draws its grid, ticks and titles.
fn framed_chart<'a, DB, X, Y>(
    area: &'a DrawingArea<DB, Shift>,
    layout: Layout,
    theme: &Theme,
    x: X,
    y: Y,
    axes: Axes,
) -> Result<Chart<'a, DB, X, Y>, String>
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .margin_right(layout.margin_right)
        .margin_top(10)
        .x_label_area_size(layout.x_label_area)
        .y_label_area_size(layout.y_label_area)
        .build_cartesian_2d(x, y)
        .map_err(failed)?;
    let mut mesh = chart.configure_mesh();
    mesh.bold_line_style(theme.grid)
        .light_line_style(TRANSPARENT)
        .axis_style(theme.text)
        .label_style(text_style(theme, layout.tick, Pos::default()))
        .axis_desc_style(text_style(theme, layout.note, Pos::default()))
        .x_label_formatter(axes.x_label)
        .y_label_formatter(axes.y_label);
    if !axes.x_desc.is_empty() {
        mesh.x_desc(axes.x_desc);
    }
    if !layout.compact {
        mesh.y_desc(axes.y_desc);
    }
    if !axes.x_grid {
        mesh.disable_x_mesh();
    }
    mesh.draw().map_err(failed)?;
    Ok(chart)
}

/// Decades 10^e for lo_exp ≤ e ≤ hi_exp, at most [`MAX_LOG_TICKS`] of them: when there are more, every
/// e that is a multiple of a step, so 1 stays among the ticks whenever it is in range.
fn decade_ticks(lo_exp: i32, hi_exp: i32) -> Vec<f64> {
    let count = (hi_exp - lo_exp).max(0) + 1;
    let step = (count + MAX_LOG_TICKS as i32 - 1) / MAX_LOG_TICKS as i32;
    (lo_exp..=hi_exp)
        .filter(|e| step <= 1 || e.rem_euclid(step) == 0)
        .map(|e| 10f64.powi(e))
        .collect()
}

/// Decade exponents around [min, max]: floor of log10(min / below) and ceiling of log10(max · above).
///
/// Requires 0 < min ≤ max, both finite; the two exponents always differ.
fn decade_bounds(min: f64, max: f64, below: f64, above: f64) -> (i32, i32) {
    let lo = (min / below).log10().floor() as i32;
    let hi = (max * above).log10().ceil() as i32;
    (lo, hi.max(lo + 1))
}

/// The smallest and largest of `values`, or `None` when there are none.
fn min_max(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// A byte count as a tick label: "100 MB", "1 GB", without trailing zeros.
fn bytes_tick(value: f64) -> String {
    let text = format::bytes(value.round() as u64);
    match text.split_once(' ') {
        Some((number, unit)) if number.contains('.') => {
            let trimmed = number.trim_end_matches('0').trim_end_matches('.');
            format!("{trimmed} {unit}")
        }
        _ => text,
    }
}

/// A power of ten as a tick label: plain from 0.001 to 1,000, "10⁻⁶" beyond.
fn decade_tick(value: f64) -> String {
    let exp = value.log10().round() as i32;
    match exp {
        -3..=-1 => format!("{:.*}", (-exp) as usize, value),
        0..=3 => format::thousands(10u64.pow(exp as u32)),
        _ => format::power_of_ten(exp),
    }
}

/// A reduction factor: "64×" from 10 up, "5.3×" or "0.5×" below.
fn times(x: f64) -> String {
    if !x.is_finite() {
        "∞".to_string()
    } else if x >= 9.95 {
        format!("{}×", format::thousands(x.round() as u64))
    } else {
        let text = format!("{x:.1}");
        match text.strip_suffix(".0") {
            Some(whole) => format!("{whole}×"),
            None => format!("{text}×"),
        }
    }
}

/// Grouped bars of training memory, full fine-tuning beside LoRA for each model, on a log axis.
///
/// Each bar carries its value in human units ([`format::bytes`]), on one line, or on two ("2.80" over
/// "TB") when bars are narrow, or not at all when even that would overlap; model names are thinned
/// out when they would overlap. A legend above names "Full fine-tuning" and "LoRA", and the dashed
/// marks of measured memory when a bar has them. Bars of 0 bytes are left out (a log axis has no
/// zero); no bars, or only zeros, give a frame with a message.
pub fn memory_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    bars: &[MemoryBar],
    theme: &Theme,
) -> Result<(), String> {
    prepare(area, theme)?;
    let positive = bars
        .iter()
        .flat_map(|bar| [bar.full_bytes, bar.lora_bytes])
        .filter(|&b| b > 0)
        .map(|b| b as f64);
    let Some((min, max)) = min_max(positive) else {
        return draw_message(area, theme, "No models to compare.");
    };
    let measured = bars
        .iter()
        .filter_map(|bar| bar.measured)
        .flat_map(|m| [m.full_bytes, m.lora_bytes])
        .filter(|&b| b > 0)
        .map(|b| b as f64);
    let (min, max) = min_max(measured).map_or((min, max), |(lo, hi)| (min.min(lo), max.max(hi)));
    let layout = Layout::of(area);
    let mut legend = vec![
        (Swatch::Bar(theme.secondary), "Full fine-tuning".to_string()),
        (Swatch::Bar(theme.primary), "LoRA".to_string()),
    ];
    if bars.iter().any(|bar| bar.measured.is_some()) {
        legend.push((
            Swatch::Dashed(theme.text),
            "Measured in the LoRA paper".to_string(),
        ));
    }
    let body = with_legend(area, layout, &legend, theme)?;

    // Pixel sizes, guessed before the chart exists, decide the labels.
    let n_bars = bars.len() as f64;
    let (width, height) = body.dim_in_pixel();
    let plot_width = f64::from(width.saturating_sub(layout.y_label_area + layout.margin_right));
    let plot_height = f64::from(height.saturating_sub(layout.x_label_area + 10));
    let group = plot_width / n_bars;
    let names_width = bars
        .iter()
        .map(|bar| guess_width(&bar.label, layout.tick))
        .fold(0.0, f64::max)
        + 6.0;
    let every = (names_width / group).ceil().max(1.0) as usize;
    let value_size = layout.tick - 1.0;
    let texts: Vec<String> = bars
        .iter()
        .flat_map(|bar| [format::bytes(bar.full_bytes), format::bytes(bar.lora_bytes)])
        .collect();
    let widest = |part: &dyn Fn(&str) -> &str| {
        texts
            .iter()
            .map(|t| guess_width(part(t), value_size))
            .fold(0.0, f64::max)
    };
    // Labels of the two bars of a pair are centred 0.4 of a group apart.
    let room = 0.4 * group - 4.0;
    let lines = if widest(&|t| t) <= room {
        1
    } else if widest(&|t| t.split(' ').next().unwrap_or(t)) <= room {
        2
    } else {
        0
    };
    // Headroom above the tallest bar for its label: grow the axis by a decade if needed.
    let (lo_exp, mut hi_exp) = decade_bounds(min, max, 2.0, 1.5);
    let needed = f64::from(lines) * (value_size + 3.0) + 4.0;
    let per_decade = plot_height / f64::from(hi_exp - lo_exp);
    if (f64::from(hi_exp) - max.log10()) * per_decade < needed {
        hi_exp += 1;
    }
    let (y_lo, y_hi) = (10f64.powi(lo_exp), 10f64.powi(hi_exp));

    let centres: Vec<f64> = (0..bars.len())
        .step_by(every)
        .map(|i| i as f64 + 0.5)
        .collect();
    let x_label = |x: &f64| {
        bars.get(x.floor().max(0.0) as usize)
            .map(|bar| bar.label.clone())
            .unwrap_or_default()
    };
    let y_label = |y: &f64| bytes_tick(*y);
    let mut chart = framed_chart(
        &body,
        layout,
        theme,
        LinearAxis::new(0.0, n_bars, centres),
        (y_lo..y_hi)
            .log_scale()
            .with_key_points(decade_ticks(lo_exp, hi_exp)),
        Axes {
            x_desc: "",
            y_desc: "Training memory (log scale)",
            x_label: &x_label,
            y_label: &y_label,
            x_grid: false,
        },
    )?;

    // Bar i spans [i + 0.12, i + 0.48] (full) and [i + 0.52, i + 0.88] (LoRA).
    let value_style = text_style(theme, value_size, Pos::new(HPos::Center, VPos::Bottom));
    let line_height = (value_size + 2.0).round() as i32;
    // Measured memory, drawn over the bars once they are all down.
    let mut measured_marks: Vec<(f64, u64)> = Vec::new();
    for (idx, bar) in bars.iter().enumerate() {
        let left = idx as f64;
        if let Some(m) = bar.measured {
            measured_marks.push((left + 0.12, m.full_bytes));
            measured_marks.push((left + 0.52, m.lora_bytes));
        }
        for (value, x0, colour) in [
            (bar.full_bytes, left + 0.12, theme.secondary),
            (bar.lora_bytes, left + 0.52, theme.primary),
        ] {
            if value == 0 {
                continue;
            }
            let top = value as f64;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, y_lo), (x0 + 0.36, top)],
                    colour.filled(),
                )))
                .map_err(failed)?;
            let text = format::bytes(value);
            let at = EmptyElement::at((x0 + 0.18, top));
            match (lines, text.split_once(' ')) {
                (1, _) => {
                    let label = at + Text::new(text, (0, -3), value_style.clone());
                    chart.draw_series(std::iter::once(label)).map_err(failed)?;
                }
                (2, Some((number, unit))) => {
                    let label = at
                        + Text::new(unit.to_string(), (0, -3), value_style.clone())
                        + Text::new(
                            number.to_string(),
                            (0, -3 - line_height),
                            value_style.clone(),
                        );
                    chart.draw_series(std::iter::once(label)).map_err(failed)?;
                }
                _ => {}
            }
        }
    }
    // Each mark overhangs its bar a little, so that it shows where it meets the bar's top.
    for (x0, value) in measured_marks.into_iter().filter(|&(_, v)| v > 0) {
        let level = value as f64;
        chart
            .draw_series(DashedLineSeries::new(
                [(x0 - 0.02, level), (x0 + 0.38, level)],
                5,
                3,
                theme.text.stroke_width(2),
            ))
            .map_err(failed)?;
    }
    Ok(())
}

/// Powers of two from `lo` to `hi`, as tick positions.
fn power_of_two_ticks(lo: u64, hi: u64) -> Vec<f64> {
    (0..64)
        .map(|e| 2f64.powi(e))
        .filter(|&t| t >= lo as f64 && t <= hi as f64)
        .collect()
}

/// A log₂ axis range reaching a quarter octave beyond `lo` and `hi`.
fn log2_range(lo: u64, hi: u64) -> (f64, f64) {
    let pad = 2f64.powf(0.25);
    (lo.max(1) as f64 / pad, hi.max(1) as f64 * pad)
}

/// The positive ranks of `ranks` and `chosen_rank`, with ticks for a log₂ axis and its range.
struct RankAxis {
    /// The positive ranks, ascending, without duplicates.
    ranks: Vec<u64>,
    /// Tick positions: powers of two in range, or the ranks themselves when those are too few.
    ticks: Vec<f64>,
    /// Axis range, a quarter octave beyond the smallest and largest rank.
    range: (f64, f64),
}

impl RankAxis {
    /// `None` when no rank is positive.
    fn new(ranks: &[u64], chosen_rank: u64) -> Option<Self> {
        let mut sorted: Vec<u64> = ranks.iter().copied().filter(|&r| r > 0).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let first = *sorted.first()?;
        let last = *sorted.last()?;
        let (lo, hi) = if chosen_rank > 0 {
            (first.min(chosen_rank), last.max(chosen_rank))
        } else {
            (first, last)
        };
        let mut ticks = power_of_two_ticks(lo, hi);
        if ticks.len() < 3 {
            let step = sorted.len().div_ceil(8).max(1);
            ticks = sorted.iter().step_by(step).map(|&r| r as f64).collect();
        }
        Some(Self {
            ranks: sorted,
            ticks,
            range: log2_range(lo, hi),
        })
    }
}

/// Ticks for 1-based indices 1..=len on a log₂ axis: powers of two, or every index when len < 4.
fn index_ticks(len: usize) -> Vec<f64> {
    if len < 4 {
        (1..=len).map(|i| i as f64).collect()
    } else {
        power_of_two_ticks(1, len as u64)
    }
}

/// Where a highlighted point's label goes, `width` pixels wide: beside the point, away from its line.
///
/// The label goes right of the point when it fits there, otherwise left. A rising line leaves the
/// space below-right and above-left of a point free; a falling line, above-right and below-left.
fn label_beside(
    point: (i32, i32),
    x_pixels: &std::ops::Range<i32>,
    width: f64,
    rising: bool,
) -> ((i32, i32), Pos) {
    let go_right = f64::from(point.0) + 12.0 + width < f64::from(x_pixels.end);
    match (go_right, rising) {
        (true, true) => ((12, 10), Pos::new(HPos::Left, VPos::Top)),
        (true, false) => ((12, -10), Pos::new(HPos::Left, VPos::Bottom)),
        (false, true) => ((-12, -10), Pos::new(HPos::Right, VPos::Bottom)),
        (false, false) => ((-12, 10), Pos::new(HPos::Right, VPos::Top)),
    }
}

/// What a rank chart shows, beyond its axis.
struct RankSeries<'f> {
    /// (rank, value) pairs, ascending in rank.
    points: Vec<(f64, f64)>,
    /// The chosen rank's point, if a rank was chosen.
    chosen: Option<(f64, f64)>,
    /// The chosen point's label.
    note: String,
    /// The level of a flat dashed reference line, if any.
    reference: Option<f64>,
    /// Legend entries.
    legend: Vec<(Swatch, String)>,
    /// The y axis's title.
    y_desc: &'f str,
    /// Writes a y tick.
    y_label: &'f dyn Fn(&f64) -> String,
}

/// Draws a series on a log₂ rank axis and a log y axis, with the chosen rank highlighted.
fn rank_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    axis: &RankAxis,
    series: RankSeries,
    theme: &Theme,
) -> Result<(), String> {
    let shown: Vec<(f64, f64)> = series
        .points
        .iter()
        .copied()
        .filter(|p| p.1.is_finite() && p.1 > 0.0)
        .collect();
    let chosen = series.chosen.filter(|c| c.1.is_finite() && c.1 > 0.0);
    let values = shown
        .iter()
        .map(|p| p.1)
        .chain(series.reference)
        .chain(chosen.map(|c| c.1));
    let Some((min, max)) = min_max(values) else {
        return draw_message(area, theme, "Nothing to plot for these ranks.");
    };
    let layout = Layout::of(area);
    let body = with_legend(area, layout, &series.legend, theme)?;
    // At least half a decade under the lowest point, for a label below it.
    let (lo_exp, hi_exp) = decade_bounds(min, max, 3.0, 2.0);
    let (y_lo, y_hi) = (10f64.powi(lo_exp), 10f64.powi(hi_exp));
    let (x_lo, x_hi) = axis.range;
    let x_label = |x: &f64| format!("{}", x.round() as u64);
    let mut chart = framed_chart(
        &body,
        layout,
        theme,
        (x_lo..x_hi)
            .log_scale()
            .base(2.0)
            .with_key_points(axis.ticks.clone()),
        (y_lo..y_hi)
            .log_scale()
            .with_key_points(decade_ticks(lo_exp, hi_exp)),
        Axes {
            x_desc: "LoRA rank r (log scale)",
            y_desc: series.y_desc,
            x_label: &x_label,
            y_label: series.y_label,
            x_grid: true,
        },
    )?;

    if let Some(level) = series.reference {
        chart
            .draw_series(DashedLineSeries::new(
                [(x_lo, level), (x_hi, level)],
                8,
                6,
                theme.secondary.stroke_width(2),
            ))
            .map_err(failed)?;
    }
    chart
        .draw_series(LineSeries::new(
            shown.iter().copied(),
            theme.primary.stroke_width(2),
        ))
        .map_err(failed)?;
    // Many ranks: markers at powers of two only, so the line stays readable.
    let marked = shown
        .iter()
        .filter(|p| shown.len() <= MAX_MARKED_POINTS || (p.0.round() as u64).is_power_of_two());
    chart
        .draw_series(marked.map(|&p| Circle::new(p, 4, theme.primary.filled())))
        .map_err(failed)?;

    if let Some(point) = chosen {
        chart
            .draw_series([
                Circle::new(point, 8, theme.highlight.filled()),
                Circle::new(point, 8, theme.text.stroke_width(2)),
            ])
            .map_err(failed)?;
        let rising = match (shown.first(), shown.last()) {
            (Some(first), Some(last)) => last.1 >= first.1,
            _ => true,
        };
        let (x_pixels, _) = chart.plotting_area().get_pixel_range();
        let width = guess_width(&series.note, layout.note);
        let (offset, pos) = label_beside(chart.backend_coord(&point), &x_pixels, width, rising);
        let label = EmptyElement::at(point)
            + Text::new(series.note, offset, bold_style(theme, layout.note, pos));
        chart.draw_series(std::iter::once(label)).map_err(failed)?;
    }
    Ok(())
}

/// Prepares `area` for a chart against the LoRA rank: the rank axis, or None after drawing a message
/// when there is nothing to plot (no positive rank, or n = 0).
fn rank_axis<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    n: u64,
    ranks: &[u64],
    chosen_rank: u64,
    theme: &Theme,
) -> Result<Option<RankAxis>, String> {
    prepare(area, theme)?;
    match RankAxis::new(ranks, chosen_rank) {
        Some(axis) if n > 0 => Ok(Some(axis)),
        _ => {
            draw_message(area, theme, "Choose a layer size and at least one rank.")?;
            Ok(None)
        }
    }
}

/// Trainable parameters of an n×n matrix against the LoRA rank, both axes logarithmic (x in base 2).
///
/// Full fine-tuning is a flat dashed line at n²; LoRA, 2·n·r, is a line with markers (at every rank
/// up to 40 ranks, at powers of two beyond). The chosen rank gets a large marker and the label
/// "r = 8: 16,384". Ranks of 0 are skipped; no positive rank, or n = 0, gives a frame with a message.
pub fn rank_params_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    n: u64,
    ranks: &[u64],
    chosen_rank: u64,
    theme: &Theme,
) -> Result<(), String> {
    let Some(axis) = rank_axis(area, n, ranks, chosen_rank, theme)? else {
        return Ok(());
    };
    let full = n.saturating_mul(n);
    let lora = |r: u64| 2.0 * n as f64 * r as f64;
    let chosen = (chosen_rank > 0).then(|| (chosen_rank as f64, lora(chosen_rank)));
    let note = chosen.map_or(String::new(), |(_, y)| {
        format!("r = {chosen_rank}: {}", format::thousands(y.round() as u64))
    });
    let y_label = |y: &f64| format::count_si(y.round() as u64);
    let series = RankSeries {
        points: axis.ranks.iter().map(|&r| (r as f64, lora(r))).collect(),
        chosen,
        note,
        reference: Some(full as f64),
        legend: vec![
            (
                Swatch::Dashed(theme.secondary),
                format!("Full fine-tuning: n² = {}", format::thousands(full)),
            ),
            (Swatch::MarkedLine(theme.primary), "LoRA: 2·n·r".to_string()),
        ],
        y_desc: "Trainable parameters (log scale)",
        y_label: &y_label,
    };
    rank_chart(area, &axis, series, theme)
}

/// The reduction factor n² / (2·n·r) = n / (2r) against the LoRA rank, both axes logarithmic.
///
/// The chosen rank gets a large marker and the label "r = 8: 64×". When some rank gives a factor
/// below 1, a dashed line marks 1×, where LoRA stops saving anything. Ranks of 0 are skipped; no
/// positive rank, or n = 0, gives a frame with a message.
pub fn rank_reduction_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    n: u64,
    ranks: &[u64],
    chosen_rank: u64,
    theme: &Theme,
) -> Result<(), String> {
    let Some(axis) = rank_axis(area, n, ranks, chosen_rank, theme)? else {
        return Ok(());
    };
    let reduction = |r: u64| n as f64 / (2.0 * r as f64);
    let points: Vec<(f64, f64)> = axis
        .ranks
        .iter()
        .map(|&r| (r as f64, reduction(r)))
        .collect();
    let chosen = (chosen_rank > 0).then(|| (chosen_rank as f64, reduction(chosen_rank)));
    let below_one = points.iter().chain(&chosen).any(|p| p.1 < 1.0);
    let mut legend = vec![(
        Swatch::MarkedLine(theme.primary),
        format!("n² / (2·n·r) for n = {}", format::thousands(n)),
    )];
    if below_one {
        legend.push((Swatch::Dashed(theme.secondary), "1×: no saving".to_string()));
    }
    let note = chosen.map_or(String::new(), |(_, y)| {
        format!("r = {chosen_rank}: {}", times(y))
    });
    let y_label = |y: &f64| {
        if *y < 1.0 {
            format!("{}×", decade_tick(*y))
        } else {
            times(*y)
        }
    };
    let series = RankSeries {
        points,
        chosen,
        note,
        reference: below_one.then_some(1.0),
        legend,
        y_desc: "Parameter reduction (log scale)",
        y_label: &y_label,
    };
    rank_chart(area, &axis, series, theme)
}

/// Where a label beside a vertical marker at pixel `x` goes: right of it when `width` pixels fit
/// before the plot's right edge, otherwise left. Returns the x offset and the horizontal anchor.
fn beside_marker(x: i32, x_pixels: &std::ops::Range<i32>, width: f64) -> (i32, HPos) {
    if f64::from(x) + 8.0 + width < f64::from(x_pixels.end) {
        (8, HPos::Left)
    } else {
        (-8, HPos::Right)
    }
}

/// Singular values against their 1-based index, both axes logarithmic (x in base 2, so the first
/// few indices, where the large values sit, get room), with the true rank marked.
///
/// Values below σ₁·10⁻¹⁶ (zeros included) and non-finite values are drawn at that floor. A dashed
/// vertical line between σ_r and σ_(r+1) marks `true_rank` = r, labelled "true rank = r": at the top
/// right of the line, over the small values, or halfway down on its left when there is no room on
/// the right. It is left out when r is 0 or beyond the last index. No values, or no positive value,
/// give a frame with a message.
pub fn spectrum_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    sigma: &[f64],
    true_rank: usize,
    theme: &Theme,
) -> Result<(), String> {
    prepare(area, theme)?;
    let largest = sigma
        .iter()
        .copied()
        .filter(|s| s.is_finite())
        .fold(0.0_f64, f64::max);
    if largest <= 0.0 {
        return draw_message(area, theme, "No non-zero singular values to plot.");
    }
    let floor = largest * SIGMA_FLOOR;
    let points: Vec<(f64, f64)> = sigma
        .iter()
        .enumerate()
        .map(|(idx, &s)| {
            let clamped = if s.is_finite() { s.max(floor) } else { floor };
            ((idx + 1) as f64, clamped)
        })
        .collect();
    let smallest = points.iter().map(|p| p.1).fold(largest, f64::min);
    let (lo_exp, hi_exp) = decade_bounds(smallest, largest, 1.0, 1.5);
    let (y_lo, y_hi) = (10f64.powi(lo_exp), 10f64.powi(hi_exp));
    let (x_lo, x_hi) = log2_range(1, sigma.len() as u64);
    let layout = Layout::of(area);
    let x_label = |x: &f64| format!("{}", x.round() as u64);
    let y_label = |y: &f64| decade_tick(*y);
    let mut chart = framed_chart(
        area,
        layout,
        theme,
        (x_lo..x_hi)
            .log_scale()
            .base(2.0)
            .with_key_points(index_ticks(sigma.len())),
        (y_lo..y_hi)
            .log_scale()
            .with_key_points(decade_ticks(lo_exp, hi_exp)),
        Axes {
            x_desc: "Index i of the singular value (log scale)",
            y_desc: "Singular value σᵢ (log scale)",
            x_label: &x_label,
            y_label: &y_label,
            x_grid: true,
        },
    )?;

    draw_curve(&mut chart, &points, theme.primary)?;

    if true_rank >= 1 && true_rank <= sigma.len() {
        // The geometric mean of r and r + 1 sits halfway between them on the log axis.
        let x = (true_rank as f64 * (true_rank as f64 + 1.0))
            .sqrt()
            .min(x_hi);
        // On the left the large values fill the top, so a label there goes halfway down.
        let (_, y_pixels) = chart.plotting_area().get_pixel_range();
        let halfway = (y_pixels.end - y_pixels.start) / 2;
        let label = MarkerLabel {
            text: format!("true rank = {true_rank}"),
            colour: theme.highlight,
            right_drop: 8,
            left_drop: halfway,
        };
        rank_marker(&mut chart, x, (y_lo, y_hi), label, layout, theme)?;
    }
    Ok(())
}

/// The label of a dashed vertical marker, and the marker's colour.
struct MarkerLabel {
    /// Written in bold at the line's top.
    text: String,
    /// The line's colour.
    colour: RGBColor,
    /// Pixels under the plot's top when the text sits right of the line.
    right_drop: i32,
    /// Pixels under the plot's top when there is no room on the right and it sits left of it.
    left_drop: i32,
}

/// Draws a dashed vertical line at `x` across `y_range` in `colour`, without a label.
fn dashed_marker<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'_, DB, CT>,
    x: f64,
    (y_lo, y_hi): (f64, f64),
    colour: RGBColor,
) -> Result<(), String> {
    chart
        .draw_series(DashedLineSeries::new(
            [(x, y_lo), (x, y_hi)],
            8,
            6,
            colour.stroke_width(2),
        ))
        .map_err(failed)?;
    Ok(())
}

/// Draws a dashed vertical line at `x` across `y_range` with its label at its top: right of the
/// line when it fits, otherwise left of it.
fn rank_marker<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'_, DB, CT>,
    x: f64,
    (y_lo, y_hi): (f64, f64),
    label: MarkerLabel,
    layout: Layout,
    theme: &Theme,
) -> Result<(), String> {
    dashed_marker(chart, x, (y_lo, y_hi), label.colour)?;
    let (x_pixels, _) = chart.plotting_area().get_pixel_range();
    let at = chart.plotting_area().map_coordinate(&(x, y_hi));
    let (dx, h_pos) = beside_marker(at.0, &x_pixels, guess_width(&label.text, layout.note));
    let dy = if dx > 0 {
        label.right_drop
    } else {
        label.left_drop
    };
    let text = EmptyElement::at((x, y_hi))
        + Text::new(
            label.text,
            (dx, dy),
            bold_style(theme, layout.note, Pos::new(h_pos, VPos::Top)),
        );
    chart.draw_series(std::iter::once(text)).map_err(failed)?;
    Ok(())
}

/// Cumulative explained variance, in percent, against the number of components r (1-based) on a
/// log₂ axis, so the first few components, where the curve climbs, get room.
///
/// `cumulative[i]` is the fraction of Σσ² held by the first i + 1 components; values are clamped to
/// [0, 1] and non-finite ones drawn at 0. A dashed horizontal line marks `threshold` (a fraction,
/// clamped to [0, 1]; left out when not finite) and a dashed vertical line marks
/// `rank_at_threshold`, labelled "r = 16"; the vertical line is left out when the rank is 0 or
/// beyond the last component. No values give a frame with a message.
pub fn energy_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    cumulative: &[f64],
    threshold: f64,
    rank_at_threshold: usize,
    theme: &Theme,
) -> Result<(), String> {
    prepare(area, theme)?;
    if cumulative.is_empty() {
        return draw_message(area, theme, "No components to plot.");
    }
    let points: Vec<(f64, f64)> = cumulative
        .iter()
        .enumerate()
        .map(|(idx, &c)| {
            let clamped = if c.is_finite() {
                c.clamp(0.0, 1.0)
            } else {
                0.0
            };
            ((idx + 1) as f64, clamped)
        })
        .collect();
    let (x_lo, x_hi) = log2_range(1, cumulative.len() as u64);
    let layout = Layout::of(area);
    let x_label = |x: &f64| format!("{}", x.round() as u64);
    let y_label = |y: &f64| format!("{:.0}%", y * 100.0);
    let mut chart = framed_chart(
        area,
        layout,
        theme,
        (x_lo..x_hi)
            .log_scale()
            .base(2.0)
            .with_key_points(index_ticks(cumulative.len())),
        LinearAxis::new(0.0, 1.05, vec![0.0, 0.25, 0.5, 0.75, 1.0]),
        Axes {
            x_desc: "Number of components r (log scale)",
            y_desc: "Cumulative explained variance",
            x_label: &x_label,
            y_label: &y_label,
            x_grid: true,
        },
    )?;

    if threshold.is_finite() {
        let level = threshold.clamp(0.0, 1.0);
        chart
            .draw_series(DashedLineSeries::new(
                [(x_lo, level), (x_hi, level)],
                8,
                6,
                theme.secondary.stroke_width(2),
            ))
            .map_err(failed)?;
        // Under the line at the right end, where the curve has already passed it.
        let label = EmptyElement::at((x_hi, level))
            + Text::new(
                format!("{:.0}% threshold", level * 100.0),
                (-6, 6),
                text_style(theme, layout.note, Pos::new(HPos::Right, VPos::Top)),
            );
        chart.draw_series(std::iter::once(label)).map_err(failed)?;
    }
    draw_curve(&mut chart, &points, theme.primary)?;

    if rank_at_threshold >= 1 && rank_at_threshold <= cumulative.len() {
        let x = rank_at_threshold as f64;
        chart
            .draw_series(DashedLineSeries::new(
                [(x, 0.0), (x, 1.05)],
                8,
                6,
                theme.highlight.stroke_width(2),
            ))
            .map_err(failed)?;
        let text = format!("r = {rank_at_threshold}");
        let (x_pixels, _) = chart.plotting_area().get_pixel_range();
        let at = chart.backend_coord(&(x, 0.0));
        let (dx, h_pos) = beside_marker(at.0, &x_pixels, guess_width(&text, layout.note));
        // At the bottom: right of the line the curve is above the threshold.
        let label = EmptyElement::at((x, 0.0))
            + Text::new(
                text,
                (dx, -10),
                bold_style(theme, layout.note, Pos::new(h_pos, VPos::Bottom)),
            );
        chart.draw_series(std::iter::once(label)).map_err(failed)?;
    }
    Ok(())
}
