//! Chapter 2's charts: the loss curves of full fine-tuning and LoRA with LoRA's floor, the
//! singular values of ΔW* and of both updates, and the learn–forget plane.
//!
//! Full fine-tuning is drawn in the theme's secondary colour and LoRA in its primary colour, as in
//! every chart; ΔW* in the tertiary one. Losses sit on log axes, so a loss that is zero, negative
//! or too small to be anything but rounding is drawn at the axis's floor, and a value that is not
//! finite is never drawn.

use super::spectra::ZeroRowAxis;
use super::*;
use crate::figures::training::{LossChart, Panel, Snapshot, RANK_TOLERANCE};
use crate::math::train::{Init, LearnForget, Method, Point, Status};

/// The loss chart's y axis reaches at most this share of its largest loss below it: the trainer's
/// losses are rounding below about 10⁻¹⁵ of the targets' energy.
const LOSS_DEPTH: f64 = 1e-12;

/// The loss chart's y axis reaches at most this many times the largest loss of the runs' first
/// points: a diverging run leaves through the top instead of flattening every other curve.
const HEADROOM: f64 = 1e3;

/// The decades a loss chart with no loss yet shows: 10⁻² to 10¹.
const EMPTY_DECADES: (i32, i32) = (-2, 1);

/// Most ticks on a linear axis.
const MAX_LINEAR_TICKS: usize = 6;

/// The colour of `method`'s series.
fn method_colour(method: Method, theme: &Theme) -> RGBColor {
    match method {
        Method::Full => theme.secondary,
        Method::Lora => theme.primary,
    }
}

/// The three losses recorded at each point, each drawn its own way in its method's colour.
#[derive(Clone, Copy)]
enum Kind {
    /// On the new task's training set: a thin line.
    Train,
    /// On the new task's test set: a thick line.
    Test,
    /// On the pretraining task: a dashed line.
    Pretrain,
}

impl Kind {
    /// In drawing order: the thick test line last, on top.
    const ALL: [Kind; 3] = [Self::Pretrain, Self::Train, Self::Test];

    /// Its legend entry.
    fn legend(self) -> &'static str {
        match self {
            Self::Train => "train loss",
            Self::Test => "test loss",
            Self::Pretrain => "pretraining loss (forgetting)",
        }
    }

    /// Its value at `point`.
    fn of(self, point: &Point) -> f64 {
        match self {
            Self::Train => point.train,
            Self::Test => point.test,
            Self::Pretrain => point.pretrain,
        }
    }

    /// Its legend swatch in `colour`.
    fn swatch(self, colour: RGBColor) -> Swatch {
        match self {
            Self::Train => Swatch::Line(colour, 1),
            Self::Test => Swatch::Line(colour, 3),
            Self::Pretrain => Swatch::Dashed(colour),
        }
    }

    /// Draws `points` in `colour` this kind's way.
    fn draw<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
        self,
        chart: &mut ChartContext<'_, DB, CT>,
        points: &[(f64, f64)],
        colour: RGBColor,
    ) -> Result<(), String> {
        let line = points.iter().copied();
        match self {
            Self::Train => chart.draw_series(LineSeries::new(line, colour.stroke_width(1))),
            Self::Test => chart.draw_series(LineSeries::new(line, colour.stroke_width(3))),
            Self::Pretrain => {
                chart.draw_series(DashedLineSeries::new(line, 6, 4, colour.stroke_width(2)))
            }
        }
        .map_err(failed)?;
        // A lone point makes no line: a dot shows it.
        if let [point] = points {
            chart
                .draw_series(std::iter::once(Circle::new(*point, 3, colour.filled())))
                .map_err(failed)?;
        }
        Ok(())
    }
}

/// `points` split into runs of finite (x, y) pairs, each y clamped into `(bottom, top)`: a value
/// that is not finite breaks the line, and one beyond the axis sits on its edge.
fn finite_runs(
    points: impl Iterator<Item = (f64, f64)>,
    (bottom, top): (f64, f64),
) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (x, y) in points {
        if x.is_finite() && y.is_finite() {
            if let Some(run) = runs.last_mut() {
                run.push((x, y.clamp(bottom, top)));
            }
        } else if runs.last().is_some_and(|run| !run.is_empty()) {
            runs.push(Vec::new());
        }
    }
    runs.retain(|run| !run.is_empty());
    runs
}

/// The loss curves of both methods against steps, on a log y axis, with LoRA's floor.
///
/// Each method has its colour (full fine-tuning secondary, LoRA primary); each loss its stroke:
/// the new task's train loss thin, its test loss thick, the pretraining loss (forgetting) dashed.
/// A dashed line in the highlight colour marks LoRA's floor (`chart.floor.on_test`), labelled
/// "Eckart–Young floor, rank r: 0.0123" (with PiSSA, "PiSSA's floor, rank r: …"); a floor of 0,
/// which a log axis cannot show, is said in words at the bottom instead, and one that is not finite
/// is left out. The y axis reaches down to the
/// smallest positive loss, but never more than 12 decades below the largest, and up to the
/// largest, but never more than a thousand times the largest loss at the runs' first points;
/// losses beyond are drawn on the axis's edge (zeros on its floor), and values that are not
/// finite are left out.
/// A diverged run's curve ends in a cross labelled "diverged at step N". No points give the axes
/// with a message in the middle.
pub fn loss_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LossChart,
    theme: &Theme,
) -> Result<(), String> {
    prepare(area, theme)?;
    let runs: Vec<(Method, Status)> = [(Method::Full, chart.full), (Method::Lora, chart.lora)]
        .into_iter()
        .filter_map(|(method, status)| status.map(|s| (method, s)))
        .collect();
    let floor = chart.floor.on_test;
    // A floor that is not finite is not drawn; one of 0 is said in words.
    let has_floor = chart.lora.is_some() && floor.is_finite();
    let drawn_floor = (has_floor && floor > 0.0).then_some(floor);
    let losses = runs
        .iter()
        .flat_map(|&(method, _)| chart.curves.of(method))
        .flat_map(|p| Kind::ALL.map(|kind| kind.of(p)))
        .chain(drawn_floor)
        .filter(|v| v.is_finite() && *v > 0.0);
    let start = runs
        .iter()
        .flat_map(|&(method, _)| chart.curves.of(method).first())
        .flat_map(|p| Kind::ALL.map(|kind| kind.of(p)))
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold(f64::NAN, f64::max);
    let ceiling = if start.is_nan() {
        f64::INFINITY
    } else {
        start * HEADROOM
    };
    let largest = losses.clone().fold(f64::NAN, f64::max).min(ceiling);
    let bottom = largest * LOSS_DEPTH;
    let (lo_exp, hi_exp) = match min_max(losses.filter(|&v| v >= bottom && v <= ceiling)) {
        Some((smallest, largest)) => decade_bounds(smallest, largest, 1.0, 1.5),
        None => EMPTY_DECADES,
    };
    let (y_lo, y_hi) = (10f64.powi(lo_exp), 10f64.powi(hi_exp));

    let last_step = runs
        .iter()
        .flat_map(|&(method, _)| chart.curves.of(method).last())
        .map(|p| p.step)
        .fold(chart.step, usize::max);
    let x_hi = last_step.max(1) as f64;
    let (x_step, _) = round_step(x_hi, MAX_LINEAR_TICKS);
    let x_ticks = steps(0.0, (x_hi / x_step).floor() * x_step, x_step);

    let layout = Layout::of(area);
    let mut legend: Vec<(Swatch, String)> = runs
        .iter()
        .map(|&(method, _)| {
            let name = match method {
                Method::Full => "Full fine-tuning".to_string(),
                Method::Lora => format!("LoRA (rank {})", chart.rank),
            };
            (Swatch::Bar(method_colour(method, theme)), name)
        })
        .collect();
    legend.extend(
        Kind::ALL
            .iter()
            .rev()
            .map(|kind| (kind.swatch(theme.text), kind.legend().to_string())),
    );
    let body = with_legend(area, layout, &legend, theme)?;
    let x_label = |x: &f64| format::thousands(x.round() as u64);
    let y_label = |y: &f64| decade_tick(*y);
    let mut plot = framed_chart(
        &body,
        layout,
        theme,
        LinearAxis::new(0.0, x_hi, x_ticks),
        (y_lo..y_hi)
            .log_scale()
            .with_key_points(decade_ticks(lo_exp, hi_exp)),
        Axes {
            x_desc: "Steps",
            y_desc: "Loss (log scale)",
            x_label: &x_label,
            y_label: &y_label,
            x_grid: true,
        },
    )?;

    if has_floor {
        let name = match chart.init {
            Init::Pissa => format!("PiSSA's floor, rank {}", chart.rank),
            Init::Peft | Init::Gaussian => format!("Eckart–Young floor, rank {}", chart.rank),
        };
        // At the right end, where LoRA's test loss settles on the line, not through the curves.
        let style = bold_style(theme, layout.note, Pos::new(HPos::Right, VPos::Bottom));
        let label = match drawn_floor {
            Some(level) => {
                plot.draw_series(DashedLineSeries::new(
                    [(0.0, level), (x_hi, level)],
                    8,
                    6,
                    theme.highlight.stroke_width(2),
                ))
                .map_err(failed)?;
                EmptyElement::at((x_hi, level))
                    + Text::new(
                        format!("{name}: {}", format::significant(level, 3)),
                        (-6, -6),
                        style,
                    )
            }
            None => {
                EmptyElement::at((x_hi, y_lo))
                    + Text::new(format!("{name}: 0, below the axis"), (-6, -6), style)
            }
        };
        plot.draw_series(std::iter::once(label)).map_err(failed)?;
    }

    for &(method, status) in &runs {
        let colour = method_colour(method, theme);
        let points = chart.curves.of(method);
        for kind in Kind::ALL {
            let series = points.iter().map(|p| (p.step as f64, kind.of(p)));
            for run in finite_runs(series, (y_lo, y_hi)) {
                kind.draw(&mut plot, &run, colour)?;
            }
        }
        let end = points
            .iter()
            .rev()
            .find(|p| p.test.is_finite())
            .map(|p| (p.step as f64, p.test.clamp(y_lo, y_hi)));
        if let (Status::Diverged { step }, Some(end)) = (status, end) {
            let (x_pixels, _) = plot.plotting_area().get_pixel_range();
            let text = format!("diverged at step {}", format::thousands(step as u64));
            let width = guess_width(&text, layout.note);
            let (offset, pos) = label_beside(plot.backend_coord(&end), &x_pixels, width, false);
            let mark = EmptyElement::at(end)
                + Cross::new((0, 0), 6, colour.stroke_width(3))
                + Text::new(text, offset, bold_style(theme, layout.note, pos));
            plot.draw_series(std::iter::once(mark)).map_err(failed)?;
        }
    }

    if runs
        .iter()
        .all(|&(method, _)| chart.curves.of(method).is_empty())
    {
        let (x_pixels, y_pixels) = plot.plotting_area().get_pixel_range();
        let centre = (
            (x_pixels.start + x_pixels.end) / 2,
            (y_pixels.start + y_pixels.end) / 2,
        );
        let style = text_style(theme, layout.note, Pos::new(HPos::Center, VPos::Center));
        body.draw(&Text::new("No losses yet.", centre, style))
            .map_err(failed)?;
    }
    Ok(())
}

/// The singular values of ΔW*, full fine-tuning's ΔW and LoRA's update (the snapshot's panels) on
/// one log y axis against their 1-based index, each with its "rank for 90%" marked.
///
/// ΔW* is drawn in the tertiary colour, full fine-tuning in the secondary, LoRA in the primary; a
/// panel the snapshot lacks is left out. A value at most [`RANK_TOLERANCE`] of its own matrix's
/// largest (rounding, in an update of low rank) or 10⁻¹⁶ of the largest of all, zero or not finite
/// is a ring on a bottom row of its own, whose tick reads "0" (each matrix's rings of its own size,
/// so that zeros in the same place stay visible). A dashed vertical line in each matrix's colour, between σ_r and
/// σ_(r+1), marks r = its `rank_90`, the fewest values holding 90% of its energy, labelled
/// "ΔW*: 90% in 4" ("full: …", "LoRA: …"); the labels are stacked so that equal ranks stay readable. No positive value
/// gives a frame with a message.
pub fn training_spectra_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    snapshot: &Snapshot,
    theme: &Theme,
) -> Result<(), String> {
    prepare(area, theme)?;
    let mut shown: Vec<(&str, RGBColor, Vec<f64>, usize)> = [
        (Panel::Target, "ΔW*", theme.tertiary),
        (Panel::Full, "full", theme.secondary),
        (Panel::Lora, "LoRA", theme.primary),
    ]
    .into_iter()
    .filter_map(|(panel, short, colour)| {
        let data = snapshot.panel(panel)?;
        Some((short, colour, data.sigma.clone(), data.rank_90))
    })
    .collect();
    let largest_of = |values: &[f64]| {
        values
            .iter()
            .copied()
            .filter(|s| s.is_finite())
            .fold(0.0, f64::max)
    };
    let overall = shown.iter().map(|s| largest_of(&s.2)).fold(0.0, f64::max);
    // Rounding, values too small to share an axis with the largest, and non-finite values
    // become zeros, for the zero row.
    for (_, _, values, _) in &mut shown {
        let cut = (largest_of(values) * RANK_TOLERANCE).max(overall * SIGMA_FLOOR);
        for s in values.iter_mut() {
            if !(s.is_finite() && *s > cut) {
                *s = 0.0;
            }
        }
    }
    let len = shown.iter().map(|s| s.2.len()).max().unwrap_or(0);
    let positive = shown
        .iter()
        .flat_map(|s| s.2.iter().copied())
        .filter(|&v| v > 0.0);
    let Some((smallest, largest)) = min_max(positive) else {
        return draw_message(area, theme, "No non-zero singular values to plot.");
    };
    let axis = ZeroRowAxis::new(smallest, largest);
    let (y_lo, y_hi) = axis.range;

    let layout = Layout::of(area);
    let legend: Vec<(Swatch, String)> = [
        (Panel::Target, theme.tertiary),
        (Panel::Full, theme.secondary),
        (Panel::Lora, theme.primary),
    ]
    .into_iter()
    .filter(|&(panel, _)| snapshot.panel(panel).is_some())
    .map(|(panel, colour)| (Swatch::MarkedLine(colour), panel.name().to_string()))
    .collect();
    let body = with_legend(area, layout, &legend, theme)?;
    let mut chart = axis.frame(&body, layout, theme, len)?;

    for (position, (_, colour, values, _)) in shown.iter().enumerate() {
        // Zeros of several matrices share places: concentric rings, the first the widest.
        let ring = 3 + 2 * (shown.len() - 1 - position) as i32;
        let (non_zero, zeros): (Vec<_>, Vec<_>) = values
            .iter()
            .enumerate()
            .map(|(idx, &v)| ((idx + 1) as f64, axis.at(v)))
            .partition(|&(_, v)| v > axis.row);
        draw_curve(&mut chart, &non_zero, *colour)?;
        chart
            .draw_series(
                zeros
                    .iter()
                    .map(|&p| Circle::new(p, ring, colour.stroke_width(1))),
            )
            .map_err(failed)?;
    }
    let line_height = (layout.note + 4.0).round() as i32;
    let marked = shown.iter().filter(|s| s.3 >= 1 && s.3 <= s.2.len());
    for (row, (short, colour, _, rank)) in marked.enumerate() {
        let drop = 8 + row as i32 * line_height;
        let label = MarkerLabel {
            text: format!("{short}: 90% in {rank}"),
            colour: *colour,
            right_drop: drop,
            left_drop: drop,
        };
        rank_marker(
            &mut chart,
            *rank as f64 + 0.5,
            (y_lo, y_hi),
            label,
            layout,
            theme,
        )?;
    }
    Ok(())
}

/// How an axis for losses draws them: logarithmically when they span a decade or more (as log₁₀
/// of the value, with ticks on decades), linearly otherwise.
struct ValueScale {
    /// Whether the axis is logarithmic.
    log: bool,
    /// Decimals of the linear axis's tick labels.
    decimals: usize,
    /// The smallest value drawn, in drawn units: lower values sit on it.
    floor: f64,
}

impl ValueScale {
    /// The scale for finite values from `min` to `max`, and its axis in drawn units.
    fn new(min: f64, max: f64) -> (Self, LinearAxis) {
        if min > 0.0 && max / min >= 10.0 {
            let (lo_exp, hi_exp) = decade_bounds(min, max, 1.5, 1.5);
            let ticks = decade_ticks(lo_exp, hi_exp)
                .into_iter()
                .map(f64::log10)
                .collect();
            let (lo, hi) = (f64::from(lo_exp), f64::from(hi_exp));
            let scale = Self {
                log: true,
                decimals: 0,
                floor: lo,
            };
            return (scale, LinearAxis::new(lo, hi, ticks));
        }
        // Linear: a tenth of the span (or of the value, when all are equal) around the values.
        let span = max - min;
        let pad = if span > 0.0 {
            0.1 * span
        } else {
            0.1 * max.abs().max(1e-300)
        };
        let (lo, hi) = ((min - pad).max(0.0), max + pad);
        let (step, decimals) = round_step(hi - lo, MAX_LINEAR_TICKS);
        let first = (lo / step).ceil() * step;
        let last = (hi / step).floor() * step;
        let scale = Self {
            log: false,
            decimals,
            floor: lo,
        };
        (
            scale,
            LinearAxis::new(lo, hi, steps(first, last.max(first), step)),
        )
    }

    /// Where `value` is drawn.
    fn at(&self, value: f64) -> f64 {
        let drawn = if self.log { value.log10() } else { value };
        if drawn.is_finite() {
            drawn.max(self.floor)
        } else {
            self.floor
        }
    }

    /// A tick's label.
    fn label(&self, drawn: f64) -> String {
        if self.log {
            decade_tick(10f64.powf(drawn))
        } else {
            format::signed(drawn, self.decimals)
        }
    }

    /// The axis's title: `what`, and "(log scale)" when it is.
    fn title(&self, what: &str) -> String {
        if self.log {
            format!("{what} (log scale)")
        } else {
            what.to_string()
        }
    }
}

/// The learn–forget plane: each finished run a point at (new-task test loss, pretraining loss).
///
/// LoRA's runs are dots in the primary colour labelled with their rank ("r = 4"), joined in order
/// of rank by a thin line, so that a sweep traces its trade-off; full fine-tuning is a square in
/// the secondary colour labelled "full". A diverged run's label says so. Each axis is logarithmic
/// when its values span a decade or more, linear otherwise; on a log axis a loss of 0 sits on the
/// axis's floor. Points with a loss that is not finite are left out; none left gives a frame
/// with a message.
pub fn learn_forget_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[LearnForget],
    theme: &Theme,
) -> Result<(), String> {
    prepare(area, theme)?;
    let mut shown: Vec<&LearnForget> = points
        .iter()
        .filter(|p| p.test.is_finite() && p.pretrain.is_finite())
        .collect();
    shown.sort_by_key(|p| (p.method == Method::Full, p.rank));
    let extent = |value: fn(&LearnForget) -> f64| {
        let positive = shown.iter().map(|p| value(p)).filter(|&v| v > 0.0);
        min_max(positive).or_else(|| min_max(shown.iter().map(|p| value(p))))
    };
    let (Some(test), Some(pretrain)) = (extent(|p| p.test), extent(|p| p.pretrain)) else {
        return draw_message(area, theme, "No finished run to place yet.");
    };
    let (x, x_axis) = ValueScale::new(test.0, test.1);
    let (y, y_axis) = ValueScale::new(pretrain.0, pretrain.1);
    let layout = Layout::of(area);
    let mut legend = Vec::new();
    if shown.iter().any(|p| p.method == Method::Lora) {
        legend.push((
            Swatch::MarkedLine(theme.primary),
            "LoRA, by rank".to_string(),
        ));
    }
    if shown.iter().any(|p| p.method == Method::Full) {
        legend.push((Swatch::Bar(theme.secondary), "Full fine-tuning".to_string()));
    }
    let body = with_legend(area, layout, &legend, theme)?;
    let (x_desc, y_desc) = (
        x.title("New-task test loss: lower learnt more"),
        y.title("Pretraining loss: higher forgot more"),
    );
    let x_label = |v: &f64| x.label(*v);
    let y_label = |v: &f64| y.label(*v);
    let mut chart = framed_chart(
        &body,
        layout,
        theme,
        x_axis,
        y_axis,
        Axes {
            x_desc: &x_desc,
            y_desc: &y_desc,
            x_label: &x_label,
            y_label: &y_label,
            x_grid: true,
        },
    )?;
    let at = |p: &LearnForget| (x.at(p.test), y.at(p.pretrain));
    let lora: Vec<(f64, f64)> = shown
        .iter()
        .filter(|p| p.method == Method::Lora)
        .map(|p| at(p))
        .collect();
    chart
        .draw_series(LineSeries::new(lora, theme.primary.stroke_width(1)))
        .map_err(failed)?;
    let style = bold_style(theme, layout.tick, Pos::new(HPos::Left, VPos::Bottom));
    // Full fine-tuning's label first, then LoRA's from the lowest rank; a label that would overlap
    // one already placed is left out (the caption and the data table name every run).
    let mut order: Vec<&&LearnForget> = shown.iter().collect();
    order.sort_by_key(|p| (p.method == Method::Lora, p.rank));
    let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
    for p in order {
        let name = match p.method {
            Method::Full => "full".to_string(),
            Method::Lora => format!("r = {}", p.rank),
        };
        let text = match p.status {
            Status::Diverged { .. } => format!("{name}, diverged"),
            Status::Running => name,
        };
        // The label's box, from the point's pixel and a width of about 0.62 em a character.
        let (px, py) = chart.backend_coord(&at(p));
        let width = (0.62 * layout.tick * text.chars().count() as f64).ceil() as i32;
        let height = layout.tick.ceil() as i32 + 2;
        let bounds = (px + 7, py - 5 - height, px + 7 + width, py - 5);
        let clear = placed
            .iter()
            .all(|b| bounds.2 < b.0 || b.2 < bounds.0 || bounds.3 < b.1 || b.3 < bounds.1);
        let text = if clear {
            placed.push(bounds);
            text
        } else {
            String::new()
        };
        let colour = method_colour(p.method, theme);
        let label = EmptyElement::at(at(p)) + Text::new(text, (7, -5), style.clone());
        match p.method {
            Method::Full => chart.draw_series(std::iter::once(
                label + Rectangle::new([(-5, -5), (5, 5)], colour.filled()),
            )),
            Method::Lora => chart.draw_series(std::iter::once(
                label + Circle::new((0, 0), 5, colour.filled()),
            )),
        }
        .map_err(failed)?;
    }
    Ok(())
}
