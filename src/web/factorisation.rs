//! Paints the "LoRA factorisation" figure and answers a reader pointing at or focusing a cell.

use std::collections::HashMap;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::Clamped;
use web_sys::{
    CanvasRenderingContext2d, Document, Element, Event, HtmlCanvasElement, HtmlElement, ImageData,
    KeyboardEvent, MouseEvent,
};

use super::dom::{by_id, listen, typed_by_id, window};
use super::App;
use crate::figures::factorisation::{FactorisationFigure, Highlight, MatrixId};
use crate::format::signed;
use crate::render::heatmap::{colour_bar_rgba, heatmap_rgba};
use crate::state::FactorisationState;

/// Width in pixels of the colour bar's source image.
const COLOUR_BAR_STEPS: usize = 256;
/// The colour bar's size in CSS pixels.
const COLOUR_BAR_CSS: (f64, f64) = (256.0, 14.0);
/// Cells are drawn at least this many CSS pixels wide, at most this many.
const CELL_RANGE: (f64, f64) = (3.0, 36.0);
/// Horizontal room taken by the operators and gaps between the five heatmaps, in CSS pixels.
const OPERATOR_ROOM: f64 = 240.0;

/// One heatmap: its visible canvas and a one-pixel-a-cell source canvas.
struct Heatmap {
    canvas: HtmlCanvasElement,
    source: HtmlCanvasElement,
    label: Element,
}

/// The figure's elements and what it last drew.
pub struct FactorisationView {
    heatmaps: HashMap<MatrixId, Heatmap>,
    container: HtmlElement,
    colour_bar: HtmlCanvasElement,
    colour_bar_source: HtmlCanvasElement,
    bar_min: Element,
    bar_max: Element,
    counts: [Element; 3],
    caption: Element,
    report: HtmlElement,
    figure: Option<FactorisationFigure>,
    /// The heatmaps' container width in CSS pixels, measured on mount and on resize only: reading
    /// layout inside an input handler would force an extra layout on every slider move.
    container_width: f64,
    cell_css: f64,
    cursor: Option<(MatrixId, usize, usize)>,
}

impl FactorisationView {
    /// Finds the figure's elements in `doc`.
    pub fn new(doc: &Document) -> Result<Self, JsValue> {
        let mut heatmaps = HashMap::new();
        for id in MatrixId::ALL {
            heatmaps.insert(
                id,
                Heatmap {
                    canvas: typed_by_id(doc, &format!("f-heat-{}", id.slug()))?,
                    source: new_canvas(doc)?,
                    label: by_id(doc, &format!("f-label-{}", id.slug()))?,
                },
            );
        }
        Ok(Self {
            heatmaps,
            container: typed_by_id(doc, "f-heatmaps")?,
            colour_bar: typed_by_id(doc, "f-colour-bar")?,
            colour_bar_source: new_canvas(doc)?,
            bar_min: by_id(doc, "f-bar-min")?,
            bar_max: by_id(doc, "f-bar-max")?,
            counts: [
                by_id(doc, "f-count-1")?,
                by_id(doc, "f-count-2")?,
                by_id(doc, "f-count-3")?,
            ],
            caption: by_id(doc, "f-caption")?,
            report: typed_by_id(doc, "f-report")?,
            figure: None,
            container_width: 0.0,
            cell_css: CELL_RANGE.1,
            cursor: None,
        })
    }

    /// Listens for pointing and keyboard focus on every heatmap.
    pub fn bind(app: &Rc<App>) -> Result<(), JsValue> {
        for id in MatrixId::ALL {
            let canvas = app.factorisation.borrow().heatmaps[&id].canvas.clone();
            let on_move = Rc::clone(app);
            listen(&canvas, "mousemove", move |event: Event| {
                if let Some(mouse) = event.dyn_ref::<MouseEvent>() {
                    let mut view = on_move.factorisation.borrow_mut();
                    let cell = view.cell_css;
                    let (row, col) = (
                        (f64::from(mouse.offset_y()) / cell) as usize,
                        (f64::from(mouse.offset_x()) / cell) as usize,
                    );
                    view.point_at(Some((id, row, col)));
                }
            })?;
            let on_leave = Rc::clone(app);
            listen(&canvas, "mouseleave", move |_| {
                on_leave.factorisation.borrow_mut().point_at(None)
            })?;
            let on_blur = Rc::clone(app);
            listen(&canvas, "blur", move |_| {
                on_blur.factorisation.borrow_mut().point_at(None)
            })?;
            let on_focus = Rc::clone(app);
            listen(&canvas, "focus", move |_| {
                on_focus
                    .factorisation
                    .borrow_mut()
                    .point_at(Some((id, 0, 0)))
            })?;
            let on_key = Rc::clone(app);
            listen(&canvas, "keydown", move |event: Event| {
                let Some(key) = event.dyn_ref::<KeyboardEvent>().map(KeyboardEvent::key) else {
                    return;
                };
                let step: (isize, isize) = match key.as_str() {
                    "ArrowUp" => (-1, 0),
                    "ArrowDown" => (1, 0),
                    "ArrowLeft" => (0, -1),
                    "ArrowRight" => (0, 1),
                    _ => return,
                };
                event.prevent_default();
                let mut view = on_key.factorisation.borrow_mut();
                let (row, col) = match view.cursor {
                    Some((cursor_id, row, col)) if cursor_id == id => (row, col),
                    _ => (0, 0),
                };
                let target = (
                    row.saturating_add_signed(step.0),
                    col.saturating_add_signed(step.1),
                );
                if let Some(figure) = &view.figure {
                    let m = figure.matrix(id);
                    let clamped = (target.0.min(m.nrows() - 1), target.1.min(m.ncols() - 1));
                    view.point_at(Some((id, clamped.0, clamped.1)));
                }
            })?;
        }
        Ok(())
    }

    /// Measures the space the figure may use; call on mount and when the window resizes.
    pub fn measure(&mut self) {
        self.container_width = f64::from(self.container.client_width());
    }

    /// Recomputes the figure for `state` and paints it.
    pub fn render(&mut self, state: &FactorisationState) -> Result<(), JsValue> {
        let figure = FactorisationFigure::new(state);
        let available = self.container_width - OPERATOR_ROOM;
        let columns = f64::from(4 * state.k + state.r);
        // A whole number of device pixels a cell keeps every cell the same size on screen.
        let dpr = window()?.device_pixel_ratio().max(1.0);
        let cell = ((available / columns) * dpr).floor() / dpr;
        self.cell_css = cell.clamp(CELL_RANGE.0, CELL_RANGE.1);
        for id in MatrixId::ALL {
            let heatmap = &self.heatmaps[&id];
            let m = figure.matrix(id);
            let pixels = heatmap_rgba(m, figure.colours);
            put_pixels(&heatmap.source, &pixels, m.ncols(), m.nrows())?;
            heatmap.label.set_text_content(Some(&figure.label(id)));
            heatmap.canvas.set_attribute(
                "aria-label",
                &format!(
                    "Heatmap of {}; focus it and use the arrow keys to read its cells.",
                    figure.label(id)
                ),
            )?;
        }
        let bar = colour_bar_rgba(COLOUR_BAR_STEPS, figure.colours);
        put_pixels(&self.colour_bar_source, &bar, COLOUR_BAR_STEPS, 1)?;
        let half = figure.colours.half_range();
        self.bar_min.set_text_content(Some(&signed(-half, 2)));
        self.bar_max
            .set_text_content(Some(&format!("+{}", signed(half, 2))));
        for (element, line) in self.counts.iter().zip(figure.count_lines()) {
            element.set_text_content(Some(&line));
        }
        self.caption.set_text_content(Some(&figure.caption()));
        // Keep the pointed cell if it still exists; its value has changed, so re-report it.
        let cursor = self
            .cursor
            .filter(|&(id, row, col)| figure.cell_report(id, row, col).is_some());
        self.figure = Some(figure);
        self.point_at(cursor);
        self.paint_colour_bar()
    }

    /// Reports on cell `cursor` (or clears the report) and repaints the heatmaps with its highlights.
    fn point_at(&mut self, cursor: Option<(MatrixId, usize, usize)>) {
        self.cursor = cursor;
        let Some(figure) = &self.figure else { return };
        let report = cursor.and_then(|(id, row, col)| figure.cell_report(id, row, col));
        let highlights = report
            .as_ref()
            .map(|r| r.highlights.clone())
            .unwrap_or_default();
        match &report {
            Some(report) => {
                let text = std::iter::once(report.heading.clone()).chain(report.lines.iter().cloned()).collect::<Vec<_>>().join("\n");
                self.report.set_text_content(Some(&text));
            }
            None => self.report.set_text_content(Some("Point at a cell, or focus a heatmap with Tab and use the arrow keys, to see how its value is made.")),
        }
        for id in MatrixId::ALL {
            let m = figure.matrix(id);
            let own: Vec<&Highlight> = highlights.iter().filter(|h| h.matrix == id).collect();
            if let Err(err) = paint_heatmap(
                &self.heatmaps[&id],
                m.nrows(),
                m.ncols(),
                self.cell_css,
                &own,
            ) {
                super::dom::show_error(&format!(
                    "A heatmap could not be painted: {}",
                    super::dom::describe(&err)
                ));
            }
        }
    }

    fn paint_colour_bar(&self) -> Result<(), JsValue> {
        let ctx = sized_context(&self.colour_bar, COLOUR_BAR_CSS.0, COLOUR_BAR_CSS.1)?;
        ctx.set_image_smoothing_enabled(true);
        let (w, h) = (
            f64::from(self.colour_bar.width()),
            f64::from(self.colour_bar.height()),
        );
        ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
            &self.colour_bar_source,
            0.0,
            0.0,
            w,
            h,
        )
    }
}

/// A detached canvas used as a pixel source.
fn new_canvas(doc: &Document) -> Result<HtmlCanvasElement, JsValue> {
    doc.create_element("canvas")?
        .dyn_into::<HtmlCanvasElement>()
        .map_err(|_| JsValue::from_str("no canvas"))
}

/// Replaces `canvas`'s pixels with an RGBA buffer of `width`×`height`.
fn put_pixels(
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
fn context(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, JsValue> {
    canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("this browser gives no 2D canvas"))?
        .dyn_into::<CanvasRenderingContext2d>()
        .map_err(|_| JsValue::from_str("unexpected canvas context"))
}

/// Sizes `canvas` to `css_width`×`css_height` CSS pixels at the device's pixel density and returns
/// its context, cleared.
fn sized_context(
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
fn paint_heatmap(
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
