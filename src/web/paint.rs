//! Painting helpers shared by the figures: heatmaps from RGBA buffers, colour bars and plotters
//! charts, all sized to the device's pixel density.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::prelude::*;
use wasm_bindgen::Clamped;
use web_sys::{CanvasRenderingContext2d, Document, Element, HtmlCanvasElement, ImageData};

use super::dom::{by_id, typed_by_id, window};
use crate::figures::factorisation::Highlight;
use crate::format::signed;
use crate::render::colormap::Diverging;
use crate::render::heatmap::colour_bar_rgba;

/// Width in pixels of the colour bar's source image.
pub const COLOUR_BAR_STEPS: usize = 256;
/// The colour bar's size in CSS pixels.
pub const COLOUR_BAR_CSS: (f64, f64) = (256.0, 14.0);
/// One heatmap: its visible canvas and a one-pixel-a-cell source canvas.
pub struct Heatmap {
    /// The canvas on the page.
    pub canvas: HtmlCanvasElement,
    /// A detached canvas holding one pixel a cell.
    pub source: HtmlCanvasElement,
    /// The element naming the matrix and its shape.
    pub label: Element,
}

impl Heatmap {
    /// Finds heatmap `{prefix}-heat-{slug}` and its label `{prefix}-label-{slug}` in `doc`.
    pub fn find(doc: &Document, prefix: &str, slug: &str) -> Result<Self, JsValue> {
        Ok(Self {
            canvas: typed_by_id(doc, &format!("{prefix}-heat-{slug}"))?,
            source: new_canvas(doc)?,
            label: by_id(doc, &format!("{prefix}-label-{slug}"))?,
        })
    }
}

/// A colour bar: its canvas, its source pixels and its two end labels.
pub struct ColourBar {
    canvas: HtmlCanvasElement,
    source: HtmlCanvasElement,
    min: Element,
    max: Element,
}

impl ColourBar {
    /// Finds colour bar `{prefix}-colour-bar` and its ends `{prefix}-bar-min`, `{prefix}-bar-max`.
    pub fn find(doc: &Document, prefix: &str) -> Result<Self, JsValue> {
        Ok(Self {
            canvas: typed_by_id(doc, &format!("{prefix}-colour-bar"))?,
            source: new_canvas(doc)?,
            min: by_id(doc, &format!("{prefix}-bar-min"))?,
            max: by_id(doc, &format!("{prefix}-bar-max"))?,
        })
    }

    /// Paints the bar for `colours` and labels its ends with the range.
    pub fn paint(&self, colours: Diverging) -> Result<(), JsValue> {
        let bar = colour_bar_rgba(COLOUR_BAR_STEPS, colours);
        put_pixels(&self.source, &bar, COLOUR_BAR_STEPS, 1)?;
        let half = colours.half_range();
        self.min.set_text_content(Some(&signed(-half, 2)));
        self.max
            .set_text_content(Some(&format!("+{}", signed(half, 2))));
        let ctx = sized_context(&self.canvas, COLOUR_BAR_CSS.0, COLOUR_BAR_CSS.1)?;
        ctx.set_image_smoothing_enabled(true);
        let (w, h) = (
            f64::from(self.canvas.width()),
            f64::from(self.canvas.height()),
        );
        ctx.draw_image_with_html_canvas_element_and_dw_and_dh(&self.source, 0.0, 0.0, w, h)
    }
}

/// Draws a plotters chart on `canvas` at its current CSS width and `css_height`, crisp at the
/// device's pixel density: the backing store has device pixels and the context is scaled, so the
/// chart code works in CSS pixels.
pub fn paint_chart(
    canvas: &HtmlCanvasElement,
    css_width: f64,
    css_height: f64,
    draw: impl FnOnce(&DrawingArea<CanvasBackend, Shift>) -> Result<(), String>,
) -> Result<(), JsValue> {
    let dpr = window()?.device_pixel_ratio().max(1.0);
    let css_width = css_width.max(160.0);
    let (w, h) = (
        (css_width * dpr).round() as u32,
        (css_height * dpr).round() as u32,
    );
    if canvas.width() != w || canvas.height() != h {
        canvas
            .style()
            .set_property("height", &format!("{css_height}px"))?;
        canvas.set_width(w);
        canvas.set_height(h);
    }
    let ctx = context(canvas)?;
    ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0)?;
    let backend = CanvasBackend::with_canvas_object(canvas.clone())
        .ok_or_else(|| JsValue::from_str("this browser gives no 2D canvas"))?;
    let area = backend
        .into_drawing_area()
        .shrink((0, 0), (css_width as u32, css_height as u32));
    draw(&area).map_err(|message| JsValue::from_str(&message))?;
    area.present()
        .map_err(|err| JsValue::from_str(&err.to_string()))
}

/// Paints an RGBA buffer of `cols`×`rows` onto `heatmap` at `cell_css` CSS pixels a cell.
pub fn paint_pixels(
    heatmap: &Heatmap,
    rgba: &[u8],
    rows: usize,
    cols: usize,
    cell_css: f64,
) -> Result<(), JsValue> {
    put_pixels(&heatmap.source, rgba, cols, rows)?;
    paint_heatmap(heatmap, rows, cols, cell_css, &[])
}

/// The largest cell size, in CSS pixels, that fits `columns` cells into `available` CSS pixels,
/// rounded down to whole device pixels and clamped into `range`.
pub fn cell_size(available: f64, columns: f64, range: (f64, f64)) -> Result<f64, JsValue> {
    let dpr = window()?.device_pixel_ratio().max(1.0);
    let cell = ((available / columns.max(1.0)) * dpr).floor() / dpr;
    Ok(cell.clamp(range.0, range.1))
}

/// A detached canvas used as a pixel source.
pub fn new_canvas(doc: &Document) -> Result<HtmlCanvasElement, JsValue> {
    doc.create_element("canvas")?
        .dyn_into::<HtmlCanvasElement>()
        .map_err(|_| JsValue::from_str("no canvas"))
}

/// Replaces `canvas`'s pixels with an RGBA buffer of `width`×`height`.
pub fn put_pixels(
    canvas: &HtmlCanvasElement,
    rgba: &[u8],
    width: usize,
    height: usize,
) -> Result<(), JsValue> {
    let (w, h) = (width as u32, height as u32);
    if canvas.width() != w || canvas.height() != h {
        canvas.set_width(w);
        canvas.set_height(h);
    }
    let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), w, h)?;
    context(canvas)?.put_image_data(&image, 0.0, 0.0)
}

/// The 2D context of `canvas`.
pub fn context(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, JsValue> {
    canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("this browser gives no 2D canvas"))?
        .dyn_into::<CanvasRenderingContext2d>()
        .map_err(|_| JsValue::from_str("unexpected canvas context"))
}

/// Sizes `canvas` to `css_width`×`css_height` CSS pixels at the device's pixel density and returns
/// its context, cleared.
pub fn sized_context(
    canvas: &HtmlCanvasElement,
    css_width: f64,
    css_height: f64,
) -> Result<CanvasRenderingContext2d, JsValue> {
    let dpr = window()?.device_pixel_ratio().max(1.0);
    let (w, h) = (
        (css_width * dpr).round() as u32,
        (css_height * dpr).round() as u32,
    );
    // Resizing a canvas costs a reallocation and a layout: only do it when the size changes.
    if canvas.width() != w || canvas.height() != h {
        let style = canvas.style();
        style.set_property("width", &format!("{css_width}px"))?;
        style.set_property("height", &format!("{css_height}px"))?;
        canvas.set_width(w);
        canvas.set_height(h);
    }
    let ctx = context(canvas)?;
    ctx.clear_rect(0.0, 0.0, f64::from(w), f64::from(h));
    Ok(ctx)
}

/// Paints a heatmap's source scaled to `cell_css` CSS pixels a cell, with grid lines when cells are
/// large enough to carry them and an outline around each highlighted block.
pub fn paint_heatmap(
    heatmap: &Heatmap,
    rows: usize,
    cols: usize,
    cell_css: f64,
    highlights: &[&Highlight],
) -> Result<(), JsValue> {
    let ctx = sized_context(
        &heatmap.canvas,
        cols as f64 * cell_css,
        rows as f64 * cell_css,
    )?;
    let (w, h) = (
        f64::from(heatmap.canvas.width()),
        f64::from(heatmap.canvas.height()),
    );
    ctx.set_image_smoothing_enabled(false);
    ctx.draw_image_with_html_canvas_element_and_dw_and_dh(&heatmap.source, 0.0, 0.0, w, h)?;
    let (cell_w, cell_h) = (w / cols as f64, h / rows as f64);
    if cell_css >= 10.0 {
        ctx.set_stroke_style_str("rgba(255, 255, 255, 0.6)");
        ctx.set_line_width(1.0);
        ctx.begin_path();
        for col in 1..cols {
            let x = (col as f64 * cell_w).round() + 0.5;
            ctx.move_to(x, 0.0);
            ctx.line_to(x, h);
        }
        for row in 1..rows {
            let y = (row as f64 * cell_h).round() + 0.5;
            ctx.move_to(0.0, y);
            ctx.line_to(w, y);
        }
        ctx.stroke();
    }
    let line = (w / cols as f64 / 6.0).clamp(1.5, 3.0);
    for block in highlights {
        let x = block.cols.start as f64 * cell_w;
        let y = block.rows.start as f64 * cell_h;
        let bw = block.cols.len() as f64 * cell_w;
        let bh = block.rows.len() as f64 * cell_h;
        // A dark outline inside a light one stays visible on every colour of the map.
        ctx.set_line_width(line * 2.0);
        ctx.set_stroke_style_str("#ffffff");
        ctx.stroke_rect(x + line, y + line, bw - 2.0 * line, bh - 2.0 * line);
        ctx.set_line_width(line);
        ctx.set_stroke_style_str("#111111");
        ctx.stroke_rect(x + line, y + line, bw - 2.0 * line, bh - 2.0 * line);
    }
    Ok(())
}
