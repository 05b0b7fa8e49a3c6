//! Paints the "LoRA factorisation" figure and answers a reader pointing at or focusing a cell.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, HtmlElement, KeyboardEvent, MouseEvent};

use super::dom::{by_id, listen, typed_by_id};
use super::paint::{cell_size, ColourBar, Heatmap};
use super::App;
use crate::figures::factorisation::{FactorisationFigure, MatrixId};
use crate::render::heatmap::heatmap_rgba;
use crate::state::FactorisationState;

/// Cells are drawn at least this many CSS pixels wide, at most this many.
const CELL_RANGE: (f64, f64) = (3.0, 36.0);
/// Horizontal room taken by the operators and gaps between the five heatmaps, in CSS pixels.
const OPERATOR_ROOM: f64 = 240.0;

/// The figure's elements and what it last drew.
pub struct FactorisationView {
    /// One heatmap a MatrixId, in `MatrixId::ALL`'s order.
    heatmaps: Vec<Heatmap>,
    container: HtmlElement,
    colour_bar: ColourBar,
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
        let heatmaps = MatrixId::ALL
            .iter()
            .map(|id| Heatmap::find(doc, "f", id.slug()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            heatmaps,
            container: typed_by_id(doc, "f-heatmaps")?,
            colour_bar: ColourBar::find(doc, "f")?,
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
            let canvas = app.factorisation.borrow().heatmaps[id as usize]
                .canvas
                .clone();
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
        self.cell_css = cell_size(available, columns, CELL_RANGE)?;
        for id in MatrixId::ALL {
            let heatmap = &self.heatmaps[id as usize];
            let m = figure.matrix(id);
            heatmap.paint(
                &heatmap_rgba(m, figure.colours),
                m.nrows(),
                m.ncols(),
                self.cell_css,
            )?;
            heatmap.label.set_text_content(Some(&figure.label(id)));
            heatmap.canvas.set_attribute(
                "aria-label",
                &format!(
                    "Heatmap of {}; focus it and use the arrow keys to read its cells.",
                    figure.label(id)
                ),
            )?;
        }
        self.colour_bar.paint(figure.colours)?;
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
        Ok(())
    }

    /// Reports on cell `cursor` (or clears the report) and marks its highlights on the heatmaps.
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
            let block = highlights.iter().find(|h| h.matrix == id);
            if let Err(err) = self.heatmaps[id as usize].mark(block, self.cell_css) {
                super::dom::show_error(&format!(
                    "A heatmap could not be marked: {}",
                    super::dom::describe(&err)
                ));
            }
        }
    }
}
