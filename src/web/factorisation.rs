//! Paints the "LoRA factorisation" figure and answers a reader pointing at or focusing a cell of a
//! heatmap or an index of the spectrum chart.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{
    Document, Element, Event, HtmlCanvasElement, HtmlElement, KeyboardEvent, MessageEvent,
    MouseEvent,
};

use super::channel::{Channel, Handlers, WORKER_URL};
use super::dom::{by_id, listen, set_text, typed_by_id};
use super::paint::{cell_size, paint_chart, ColourBar, Heatmap};
use super::App;
use crate::figures::factorisation::{FactorisationFigure, MatrixId, Spectra};
use crate::figures::work::{Answer, Request, Workbenches};
use crate::figures::FigureId;
use crate::render::charts::{factorisation_spectra_chart, IndexAxis, Theme};
use crate::render::heatmap::heatmap_rgba;
use crate::state::FactorisationState;

/// Cells are drawn at least this many CSS pixels wide, at most this many.
const CELL_RANGE: (f64, f64) = (3.0, 36.0);
/// Horizontal room taken by the operators and gaps between the five heatmaps in one row, in CSS
/// pixels.
const OPERATOR_ROOM: f64 = 240.0;
/// Below this container width, in CSS pixels, the heatmaps stack: W₀, then B × A, then ΔW, then
/// the merged weight, each row using the whole width.
const STACK_BELOW: f64 = 600.0;
/// Horizontal room taken by the operator and gaps in the widest stacked row, B × A.
const STACKED_OPERATOR_ROOM: f64 = 56.0;
/// Height of the spectrum chart, in CSS pixels.
const SPECTRUM_HEIGHT: f64 = 300.0;
/// What the spectrum's read-out says when nothing is pointed at.
const SPECTRUM_PROMPT: &str =
    "Point at the chart, or focus it with Tab and use the arrow keys, to read the singular values at an index.";

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
    /// The label each heatmap shows, in `MatrixId::ALL`'s order.
    labels: [String; 5],
    spectrum: SpectrumChart,
}

/// The spectrum chart under the heatmaps, the worker that computes its singular values, and what
/// it last drew.
struct SpectrumChart {
    channel: Channel<Workbenches>,
    /// The state of the latest request, and the spectra the worker answered for it.
    requested: Option<FactorisationState>,
    received: Option<Spectra>,
    canvas: HtmlCanvasElement,
    report: Element,
    caption: Element,
    /// The chart's width in CSS pixels, measured on mount and on resize only.
    width: f64,
    theme: Theme,
    /// How the last drawing maps pointer positions to indices.
    axis: Option<IndexAxis>,
    /// The 0-based index the reader points at or has moved to with the keyboard.
    pointed: Option<usize>,
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
            labels: Default::default(),
            spectrum: SpectrumChart {
                channel: Channel::new(WORKER_URL),
                requested: None,
                received: None,
                canvas: typed_by_id(doc, "f-spectrum-chart")?,
                report: by_id(doc, "f-spectrum-report")?,
                caption: by_id(doc, "f-spectrum-caption")?,
                width: 0.0,
                theme: Theme::light(),
                axis: None,
                pointed: None,
            },
        })
    }

    /// Listens for pointing and keyboard focus on every heatmap and on the spectrum chart.
    pub fn bind(app: &Rc<App>) -> Result<(), JsValue> {
        Self::bind_spectrum(app)?;
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

    /// Listens to the spectrum worker, and for pointing and the arrow keys on the chart.
    fn bind_spectrum(app: &Rc<App>) -> Result<(), JsValue> {
        let on_answer = Rc::clone(app);
        let message = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            let answered = on_answer
                .factorisation
                .borrow_mut()
                .on_answer(&message.data());
            match answered {
                Ok(true) => super::datatable::refresh(&*on_answer, &[FigureId::Factorisation]),
                Ok(false) => {}
                Err(err) => super::dom::show_error(&format!(
                    "The spectrum chart could not be drawn: {}",
                    super::dom::describe(&err)
                )),
            }
        });
        let on_failure = Rc::clone(app);
        let error =
            Closure::<dyn FnMut(Event)>::new(move |_| {
                on_failure.factorisation.borrow().spectrum.report.set_text_content(Some(
                "The background worker that computes the singular values could not start: reload \
                 the page to try again.",
            ));
            });
        // Both handlers live as long as the page.
        app.factorisation
            .borrow_mut()
            .spectrum
            .channel
            .attach(Handlers {
                message: message.into_js_value().unchecked_into(),
                error: error.into_js_value().unchecked_into(),
            });
        let canvas = app.factorisation.borrow().spectrum.canvas.clone();
        let on_move = Rc::clone(app);
        listen(&canvas, "mousemove", move |event: Event| {
            if let Some(mouse) = event.dyn_ref::<MouseEvent>() {
                let mut view = on_move.factorisation.borrow_mut();
                let idx = view
                    .spectrum
                    .axis
                    .as_ref()
                    .and_then(|axis| axis.index_at(mouse.offset_x()));
                if idx.is_some() {
                    view.point_at_index(idx);
                }
            }
        })?;
        for leaving in ["mouseleave", "blur"] {
            let on_leave = Rc::clone(app);
            listen(&canvas, leaving, move |_| {
                on_leave.factorisation.borrow_mut().point_at_index(None)
            })?;
        }
        let on_focus = Rc::clone(app);
        listen(&canvas, "focus", move |_| {
            on_focus.factorisation.borrow_mut().point_at_index(Some(0))
        })?;
        let on_key = Rc::clone(app);
        listen(&canvas, "keydown", move |event: Event| {
            let Some(key) = event.dyn_ref::<KeyboardEvent>().map(KeyboardEvent::key) else {
                return;
            };
            let mut view = on_key.factorisation.borrow_mut();
            let len = view.spectrum.received.as_ref().map_or(0, Spectra::len);
            let last = len.saturating_sub(1);
            let current = view.spectrum.pointed.unwrap_or(0);
            let target = match key.as_str() {
                "ArrowLeft" | "ArrowDown" => current.saturating_sub(1),
                "ArrowRight" | "ArrowUp" => (current + 1).min(last),
                "Home" => 0,
                "End" => last,
                _ => return,
            };
            event.prevent_default();
            view.point_at_index(Some(target));
        })?;
        Ok(())
    }

    /// Measures the space the figure may use; call on mount and when the window resizes.
    pub fn measure(&mut self) {
        self.container_width = f64::from(self.container.client_width());
        self.spectrum.width = f64::from(self.spectrum.canvas.client_width());
    }

    /// Recomputes the figure for `state` and paints it, its chart in `theme`'s colours.
    pub fn render(&mut self, state: &FactorisationState, theme: &Theme) -> Result<(), JsValue> {
        // What the state shares with the last figure is reused, not drawn again.
        let figure = FactorisationFigure::after(self.figure.take(), state);
        let stacked = self.container_width < STACK_BELOW;
        self.container
            .class_list()
            .toggle_with_force("stacked", stacked)?;
        let (available, columns) = if stacked {
            (
                self.container_width - STACKED_OPERATOR_ROOM,
                f64::from(state.k + state.r),
            )
        } else {
            (
                self.container_width - OPERATOR_ROOM,
                f64::from(4 * state.k + state.r),
            )
        };
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
            // Labels change only with the shapes: write them only then.
            let label = figure.label(id);
            if self.labels[id as usize] != label {
                heatmap.label.set_text_content(Some(&label));
                heatmap.canvas.set_attribute(
                    "aria-label",
                    &format!(
                        "Heatmap of {label}; focus it and use the arrow keys to read its cells."
                    ),
                )?;
                self.labels[id as usize] = label;
            }
        }
        self.colour_bar.paint(figure.colours)?;
        for (element, line) in self.counts.iter().zip(figure.count_lines()) {
            set_text(element, &line);
        }
        set_text(&self.caption, &figure.caption());
        // Keep the pointed cell if it still exists; its value has changed, so re-report it.
        let cursor = self
            .cursor
            .filter(|&(id, row, col)| figure.cell_report(id, row, col).is_some());
        self.figure = Some(figure);
        self.point_at(cursor);
        // The singular values come from the worker; the chart keeps the last ones until then.
        self.spectrum.theme = *theme;
        if self.spectrum.requested.as_ref() != Some(state) {
            self.spectrum.requested = Some(state.clone());
            self.spectrum.channel.send(|job| Request::Spectra {
                job,
                state: state.clone(),
            })?;
        } else {
            // Same numbers, new width or theme: redraw what was received.
            self.point_at_index(self.spectrum.pointed);
        }
        Ok(())
    }

    /// Takes a message from the spectrum worker. Returns whether it brought the spectra of the
    /// latest request, which are then drawn.
    fn on_answer(&mut self, data: &JsValue) -> Result<bool, JsValue> {
        let Some(Answer::Spectra { spectra, ms, .. }) = self.spectrum.channel.receive(data)? else {
            return Ok(false);
        };
        let rank = self.spectrum.requested.as_ref().map_or(0, |state| state.r);
        self.spectrum
            .caption
            .set_text_content(Some(&spectra.caption(rank)));
        self.spectrum
            .canvas
            .set_attribute("aria-label", &spectra.description())?;
        let pointed = self.spectrum.pointed.filter(|&idx| idx < spectra.len());
        self.spectrum.received = Some(spectra);
        self.point_at_index(pointed);
        // For the benchmark: which job is on screen, and the worker's time for it.
        let canvas = &self.spectrum.canvas;
        canvas.set_attribute("data-job", &format!("{}", self.spectrum.channel.job()))?;
        canvas.set_attribute("data-ms", &format!("{ms:.2}"))?;
        Ok(true)
    }

    /// Starts the spectrum worker, once the figure is near the viewport.
    pub fn wake(&mut self) -> Result<(), JsValue> {
        self.spectrum.channel.wake()
    }

    /// Stops the spectrum worker, for a page that goes away.
    pub fn stop(&mut self) {
        self.spectrum.channel.stop();
    }

    /// Figure 3's singular values for the current state, once the worker has sent them.
    pub fn spectra(&self) -> Option<Spectra> {
        let current = self.figure.as_ref().map(|f| &f.state);
        let answered = !self.spectrum.channel.busy && self.spectrum.requested.as_ref() == current;
        answered.then(|| self.spectrum.received.clone()).flatten()
    }

    /// Redraws the spectrum chart in `theme`'s colours; nothing else of the figure has colours
    /// that follow the theme.
    pub fn restyle(&mut self, theme: &Theme) {
        self.spectrum.theme = *theme;
        self.point_at_index(self.spectrum.pointed);
    }

    /// Marks index `pointed` (or none) on the spectrum chart, redraws it and reports its values.
    fn point_at_index(&mut self, pointed: Option<usize>) {
        let chart = &mut self.spectrum;
        let Some(spectra) = &chart.received else {
            return;
        };
        chart.pointed = pointed;
        let report = pointed
            .and_then(|idx| spectra.point_report(idx))
            .unwrap_or_else(|| SPECTRUM_PROMPT.to_string());
        set_text(&chart.report, &report);
        let mut axis = None;
        let painted = paint_chart(&chart.canvas, chart.width, SPECTRUM_HEIGHT, |area| {
            axis = Some(factorisation_spectra_chart(
                area,
                &spectra.w0,
                &spectra.update,
                &spectra.merged,
                pointed,
                &chart.theme,
            )?);
            Ok(())
        });
        chart.axis = axis;
        if let Err(err) = painted {
            super::dom::show_error(&format!(
                "The spectrum chart could not be drawn: {}",
                super::dom::describe(&err)
            ));
        }
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
                set_text(&self.report, &text);
            }
            None => set_text(&self.report, "Point at a cell, or focus a heatmap with Tab and use the arrow keys, to see how its value is made."),
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
