//! The calculator's training-memory breakdown: one horizontal bar a line (the frozen weights, the
//! adapter's weights, gradients and optimizer state, the activations) on one linear axis of bytes,
//! so that the sizes compare as they are. Each row carries its name above its bar and its value in
//! human units beside it, so even a bar too thin to see reads; a line that is not counted says so
//! in place of its bar.

use super::*;

/// What a line of the breakdown stores, which gives its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The frozen model's weights.
    Frozen,
    /// What training keeps for the adapter: weights, gradients, optimizer state.
    Trainable,
    /// Activations kept for the backward pass.
    Activations,
}

impl Part {
    const ALL: [Part; 3] = [Part::Frozen, Part::Trainable, Part::Activations];

    fn colour(self, theme: &Theme) -> RGBColor {
        match self {
            Self::Frozen => theme.secondary,
            Self::Trainable => theme.primary,
            Self::Activations => theme.tertiary,
        }
    }

    fn legend(self) -> &'static str {
        match self {
            Self::Frozen => "Frozen model",
            Self::Trainable => "Adapter's training state",
            Self::Activations => "Activations",
        }
    }
}

/// One line of [`breakdown_chart`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakdownBar {
    /// What is stored, written above the bar.
    pub label: String,
    /// Its bytes, or None where the line is not counted.
    pub bytes: Option<u64>,
    /// What kind of line it is.
    pub part: Part,
}

/// Ticks from 0 to at most `hi` at a round step (1, 2 or 5 times a power of ten) giving 2 to 5 of
/// them after 0.
fn linear_ticks(hi: f64) -> Vec<f64> {
    let raw = hi / 4.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * power);
    (0..=5)
        .map(|i| f64::from(i) * step)
        .filter(|t| *t <= hi)
        .collect()
}

/// Horizontal bars of training memory, one a line, top to bottom in the order given, on a linear
/// byte axis from 0. A legend names the kinds of line counted. Bars of a few bytes next to
/// gigabytes are drawn two pixels wide, so that they show; their value beside them is exact to
/// three figures. No counted line, or only zeros, gives a frame with a message.
pub fn breakdown_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    bars: &[BreakdownBar],
    theme: &Theme,
) -> Result<(), String> {
    prepare(area, theme)?;
    let Some(max) = bars.iter().filter_map(|b| b.bytes).max().filter(|&m| m > 0) else {
        return draw_message(area, theme, "Nothing to count.");
    };
    let layout = Layout::of(area);
    let legend: Vec<(Swatch, String)> = Part::ALL
        .into_iter()
        .filter(|part| bars.iter().any(|b| b.part == *part && b.bytes.is_some()))
        .map(|part| (Swatch::Bar(part.colour(theme)), part.legend().to_string()))
        .collect();
    // The bars start at the left edge, so the legend does too.
    let legend_layout = Layout {
        compact: true,
        ..layout
    };
    let body = with_legend(area, legend_layout, &legend, theme)?;

    let value_size = layout.tick;
    let texts: Vec<String> = bars
        .iter()
        .map(|b| b.bytes.map_or("not counted".to_string(), format::bytes))
        .collect();
    // Room right of the longest bar for its value.
    let (width, _) = body.dim_in_pixel();
    // Room for half the first tick's label, "0 B", left of the axis.
    let left_pad = 16_u32;
    let plot_width = f64::from(width.saturating_sub(left_pad + layout.margin_right)).max(1.0);
    let label_room = texts
        .iter()
        .map(|t| guess_width(t, value_size))
        .fold(0.0, f64::max)
        + 10.0;
    let share = (1.0 - label_room / plot_width).clamp(0.4, 0.95);
    let x_hi = max as f64 / share;
    let ticks = linear_ticks(x_hi);
    let rows = bars.len() as f64;

    let mut chart = ChartBuilder::on(&body)
        .margin_right(layout.margin_right)
        .margin_top(4)
        .x_label_area_size(layout.x_label_area)
        .y_label_area_size(left_pad)
        .build_cartesian_2d(
            LinearAxis::new(0.0, x_hi, ticks),
            LinearAxis::new(0.0, rows, Vec::new()),
        )
        .map_err(failed)?;
    let x_label = |x: &f64| bytes_tick(*x);
    chart
        .configure_mesh()
        .bold_line_style(theme.grid)
        .light_line_style(TRANSPARENT)
        .axis_style(theme.text)
        .label_style(text_style(theme, layout.tick, Pos::default()))
        .axis_desc_style(text_style(theme, layout.note, Pos::default()))
        .x_label_formatter(&x_label)
        .x_desc("Memory")
        .disable_y_mesh()
        .draw()
        .map_err(failed)?;

    let thinnest = 2.0 * x_hi / plot_width;
    let name_style = text_style(theme, layout.tick, Pos::new(HPos::Left, VPos::Top));
    let value_style = bold_style(theme, value_size, Pos::new(HPos::Left, VPos::Center));
    for (idx, (bar, text)) in bars.iter().zip(texts).enumerate() {
        // Row idx spans [rows − idx − 1, rows − idx]: its name at the top, its bar below.
        let top = rows - idx as f64;
        let (bar_top, bar_bottom) = (top - 0.45, top - 0.9);
        chart
            .draw_series(std::iter::once(Text::new(
                bar.label.clone(),
                (0.0, top - 0.06),
                name_style.clone(),
            )))
            .map_err(failed)?;
        let end = match bar.bytes {
            Some(bytes) => {
                let end = (bytes as f64).max(thinnest);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(0.0, bar_bottom), (end, bar_top)],
                        bar.part.colour(theme).filled(),
                    )))
                    .map_err(failed)?;
                end
            }
            None => 0.0,
        };
        let at = EmptyElement::at((end, (bar_top + bar_bottom) / 2.0))
            + Text::new(text, (5, 0), value_style.clone());
        chart.draw_series(std::iter::once(at)).map_err(failed)?;
    }
    Ok(())
}
