//! Painting helpers shared by the figures: heatmaps from RGBA buffers, colour bars and plotters
//! charts, all crisp at the device's pixel density.
//!
//! A heatmap's canvas holds one pixel a cell: its RGBA buffer goes in with one `putImageData`, and
//! CSS scales it up with `image-rendering: pixelated` to a whole number of device pixels a cell.
//! Grid lines and the highlighted block are CSS overlays, so pointing at a cell repaints nothing.

use std::cell::Cell;

use js_sys::Uint8ClampedArray;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};
use plotters_canvas::CanvasBackend;
use wasm_bindgen::prelude::*;
use web_sys::{
    CanvasRenderingContext2d, CssStyleDeclaration, Document, Element, HtmlCanvasElement,
    HtmlElement, ImageData,
};

use super::dom::{by_id, set_text, typed_by_id, window};
use crate::figures::factorisation::Highlight;
use crate::format::signed;
use crate::render::colormap::Diverging;
use crate::render::heatmap::{colour_bar_rgba, share_bar_rgba};

/// Width in pixels of the colour bar's image.
pub const COLOUR_BAR_STEPS: usize = 256;
/// Cells at least this wide (CSS pixels) get grid lines.
const GRID_FROM_CSS: f64 = 10.0;

/// One heatmap: its canvas (one pixel a cell), its label, and the overlays drawn over it.
pub struct Heatmap {
    /// The canvas on the page.
    pub canvas: HtmlCanvasElement,
    /// The element naming the matrix and its shape.
    pub label: Element,
    /// A wrapper around the canvas that carries the grid lines and positions the mark.
    frame: HtmlElement,
    /// The outline around the highlighted block of cells.
    mark: HtmlElement,
    /// The canvas's 2D context, fetched once.
    context: CanvasRenderingContext2d,
    /// The shape and cell size last laid out, so that a repaint of the same shape touches no
    /// style and no canvas size.
    laid_out: Cell<Option<Layout>>,
}

/// A heatmap's shape in cells and its cell size in CSS pixels.
#[derive(Clone, Copy, PartialEq)]
struct Layout {
    rows: usize,
    cols: usize,
    cell_css: f64,
}

impl Heatmap {
    /// Finds heatmap `{prefix}-heat-{slug}` and its label `{prefix}-label-{slug}` in `doc`, and
    /// wraps the canvas in a frame that holds its overlays.
    pub fn find(doc: &Document, prefix: &str, slug: &str) -> Result<Self, JsValue> {
        let canvas: HtmlCanvasElement = typed_by_id(doc, &format!("{prefix}-heat-{slug}"))?;
        let frame: HtmlElement = doc.create_element("div")?.dyn_into()?;
        frame.set_class_name("heatmap-frame");
        let mark: HtmlElement = doc.create_element("div")?.dyn_into()?;
        mark.set_class_name("cell-mark");
        mark.set_hidden(true);
        if let Some(parent) = canvas.parent_node() {
            parent.insert_before(&frame, Some(&canvas))?;
        }
        frame.append_child(&canvas)?;
        frame.append_child(&mark)?;
        Ok(Self {
            context: context(&canvas)?,
            canvas,
            label: by_id(doc, &format!("{prefix}-label-{slug}"))?,
            frame,
            mark,
            laid_out: Cell::new(None),
        })
    }

    /// Paints `rgba` (`rows`×`cols`, one pixel a cell) at `cell_css` CSS pixels a cell. Cells
    /// smaller than a CSS pixel are smoothed rather than dropped.
    pub fn paint(
        &self,
        rgba: &[u8],
        rows: usize,
        cols: usize,
        cell_css: f64,
    ) -> Result<(), JsValue> {
        let layout = Layout {
            rows,
            cols,
            cell_css,
        };
        if self.laid_out.get() != Some(layout) {
            self.lay_out(layout)?;
            self.laid_out.set(Some(layout));
        }
        put_pixels(&self.context, rgba, cols as u32, rows as u32)
    }

    /// Sizes the canvas to one pixel a cell and its box to `layout`'s cells.
    fn lay_out(&self, layout: Layout) -> Result<(), JsValue> {
        let (w, h) = (layout.cols as u32, layout.rows as u32);
        if self.canvas.width() != w {
            self.canvas.set_width(w);
        }
        if self.canvas.height() != h {
            self.canvas.set_height(h);
        }
        let cell_css = layout.cell_css;
        let style = self.canvas.style();
        set_style(&style, "width", &format!("{}px", w as f64 * cell_css))?;
        set_style(&style, "height", &format!("{}px", h as f64 * cell_css))?;
        let rendering = if cell_css >= 1.0 { "pixelated" } else { "auto" };
        set_style(&style, "image-rendering", rendering)?;
        let gridded = cell_css >= GRID_FROM_CSS;
        self.frame
            .class_list()
            .toggle_with_force("gridded", gridded)?;
        if gridded {
            set_style(&self.frame.style(), "--cell", &format!("{cell_css}px"))?;
        }
        Ok(())
    }

    /// Outlines `block` (or nothing) at `cell_css` CSS pixels a cell.
    pub fn mark(&self, block: Option<&Highlight>, cell_css: f64) -> Result<(), JsValue> {
        let Some(block) = block else {
            self.mark.set_hidden(true);
            return Ok(());
        };
        let style = self.mark.style();
        set_style(
            &style,
            "left",
            &format!("{}px", block.cols.start as f64 * cell_css),
        )?;
        set_style(
            &style,
            "top",
            &format!("{}px", block.rows.start as f64 * cell_css),
        )?;
        set_style(
            &style,
            "width",
            &format!("{}px", block.cols.len() as f64 * cell_css),
        )?;
        set_style(
            &style,
            "height",
            &format!("{}px", block.rows.len() as f64 * cell_css),
        )?;
        self.mark.set_hidden(false);
        Ok(())
    }
}

/// Puts `rgba` (`width`×`height` pixels) into a canvas through its `context`, at its origin. The
/// pixels are copied out of WebAssembly memory first: a view into that memory is detached when the
/// memory grows, which any allocation between making the image and putting it may cause.
fn put_pixels(
    context: &CanvasRenderingContext2d,
    rgba: &[u8],
    width: u32,
    height: u32,
) -> Result<(), JsValue> {
    let pixels = Uint8ClampedArray::from(rgba);
    let image = ImageData::new_with_js_u8_clamped_array_and_sh(&pixels, width, height)?;
    context.put_image_data(&image, 0.0, 0.0)
}

/// Sets a style property only when it changes, so that unchanged figures cost no style work.
fn set_style(style: &CssStyleDeclaration, property: &str, value: &str) -> Result<(), JsValue> {
    if style.get_property_value(property)? != value {
        style.set_property(property, value)?;
    }
    Ok(())
}

/// A colour bar: its canvas and its two end labels.
pub struct ColourBar {
    canvas: HtmlCanvasElement,
    context: CanvasRenderingContext2d,
    min: Element,
    max: Element,
}

impl ColourBar {
    /// Finds colour bar `{prefix}-colour-bar` and its ends `{prefix}-bar-min`, `{prefix}-bar-max`.
    pub fn find(doc: &Document, prefix: &str) -> Result<Self, JsValue> {
        let canvas: HtmlCanvasElement = typed_by_id(doc, &format!("{prefix}-colour-bar"))?;
        Ok(Self {
            context: context(&canvas)?,
            canvas,
            min: by_id(doc, &format!("{prefix}-bar-min"))?,
            max: by_id(doc, &format!("{prefix}-bar-max"))?,
        })
    }

    /// Paints the bar for `colours` and labels its ends with the range.
    pub fn paint(&self, colours: Diverging) -> Result<(), JsValue> {
        let half = colours.half_range();
        let ends = (signed(-half, 2), format!("+{}", signed(half, 2)));
        self.paint_with_ends(colours, &ends)
    }

    /// Paints the bar for `colours` with its ends labelled `ends` (low, high).
    pub fn paint_with_ends(
        &self,
        colours: Diverging,
        ends: &(String, String),
    ) -> Result<(), JsValue> {
        set_text(&self.min, &ends.0);
        set_text(&self.max, &ends.1);
        self.put(&colour_bar_rgba(COLOUR_BAR_STEPS, colours))
    }

    /// Puts a bar's RGBA pixels, [`COLOUR_BAR_STEPS`] wide, into the canvas.
    fn put(&self, bar: &[u8]) -> Result<(), JsValue> {
        let width = COLOUR_BAR_STEPS as u32;
        if self.canvas.width() != width || self.canvas.height() != 1 {
            self.canvas.set_width(width);
            self.canvas.set_height(1);
        }
        put_pixels(&self.context, bar, width, 1)
    }
}

impl ColourBar {
    /// Paints the bar of shares, from 0 (white) to 1, and labels its ends.
    pub fn paint_shares(&self) -> Result<(), JsValue> {
        self.min.set_text_content(Some("0"));
        self.max.set_text_content(Some("1"));
        self.put(&share_bar_rgba(COLOUR_BAR_STEPS))
    }
}

/// Draws a plotters chart on `canvas` at its current CSS width and `css_height`, crisp at the
/// device's pixel density: the backing store has device pixels and the context is scaled, so the
/// chart code works in CSS pixels.
pub fn paint_chart(
    canvas: &HtmlCanvasElement,
    css_width: f64,
    css_height: f64,
    draw: impl FnOnce(&DrawingArea<MeasuringCanvas, Shift>) -> Result<(), String>,
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
    let inner = CanvasBackend::with_canvas_object(canvas.clone())
        .ok_or_else(|| JsValue::from_str("this browser gives no 2D canvas"))?;
    let backend = MeasuringCanvas { inner, ctx };
    let area = backend
        .into_drawing_area()
        .shrink((0, 0), (css_width as u32, css_height as u32));
    draw(&area).map_err(|message| JsValue::from_str(&message))?;
    area.present()
        .map_err(|err| JsValue::from_str(&err.to_string()))
}

/// The largest cell size, in CSS pixels, that fits `columns` cells into `available` CSS pixels,
/// rounded down to whole device pixels and clamped into `range`.
pub fn cell_size(available: f64, columns: f64, range: (f64, f64)) -> Result<f64, JsValue> {
    let dpr = window()?.device_pixel_ratio().max(1.0);
    let cell = ((available / columns.max(1.0)) * dpr).floor() / dpr;
    Ok(cell.clamp(range.0, range.1))
}

/// The 2D context of `canvas`.
pub fn context(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, JsValue> {
    canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("this browser gives no 2D canvas"))?
        .dyn_into::<CanvasRenderingContext2d>()
        .map_err(|_| JsValue::from_str("unexpected canvas context"))
}

/// plotters' canvas backend, measuring text with the canvas itself. plotters' own measurement in
/// the browser adds a span with a style attribute, which a strict Content-Security-Policy
/// (`style-src 'self'`) refuses.
pub struct MeasuringCanvas {
    inner: CanvasBackend,
    ctx: CanvasRenderingContext2d,
}

/// The CSS font of a plotters text style, as plotters-canvas writes it when drawing.
fn css_font<S: BackendTextStyle>(style: &S) -> String {
    format!(
        "{} {}px {}",
        style.style().as_str(),
        style.size(),
        style.family().as_str()
    )
}

type CanvasError = <CanvasBackend as DrawingBackend>::ErrorType;

impl DrawingBackend for MeasuringCanvas {
    type ErrorType = CanvasError;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_path(path, style)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.fill_polygon(vert, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_text(text, style, pos)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<CanvasError>> {
        self.ctx.set_font(&css_font(style));
        // measureText only fails on a detached or broken context; fall back to a rough estimate.
        let width = self
            .ctx
            .measure_text(text)
            .map(|m| m.width())
            .unwrap_or(0.6 * style.size() * text.chars().count() as f64);
        Ok((width.ceil() as u32, style.size().ceil() as u32))
    }
}
