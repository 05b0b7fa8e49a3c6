//! Chapter 3, "QLoRA": finds the chapter's elements and paints what `figures::qlora` computes.
//! W is quantised on the main thread when its controls move; the quantisation error's singular
//! values and every code's error at every block size come from a worker, which starts when those
//! figures come near the viewport.

use std::rc::Rc;

use nalgebra::DMatrix;

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlCanvasElement, HtmlElement};

use super::channel::{Channel, WORKER_URL};
use super::chapter::{ChapterPage, ChapterView};
use super::dom::{by_id, describe, set_text, show_error, typed_by_id};
use super::paint::{cell_size, paint_chart, Heatmap};
use crate::export::Download;
use crate::figures::qlora::{
    quantised_status, quantising_status, BlockSizeSeries, CodesFigure, LoftqFigure, MemoryFigure,
    QloraParams, QuantFigure, QuantMatrix, QuantView, MAIN_THREAD_SIDE,
};
use crate::figures::tables::Table;
use crate::figures::training::MatrixData;
use crate::figures::work::{Answer, Request, Workbenches};
use crate::figures::FigureId;
use crate::math::quant::memory::QuantSettings;
use crate::render::charts::{block_size_chart, codes_chart, histogram_chart, loftq_chart, Theme};
use crate::render::colormap::Diverging;
use crate::render::heatmap::heatmap_rgba;
use crate::state::QloraPage;

/// Below this width, in CSS pixels, the stylesheet stacks the heatmaps.
const STACKED_BELOW: f64 = 600.0;

/// Height of every chart, in CSS pixels.
const CHART_HEIGHT: f64 = 300.0;

/// The controls that change W or its quantisation (the others only pick what is shown).
const MATRIX_KEYS: [&str; 7] = ["qn", "qd", "qv", "qk", "qb", "qc", "qs"];

/// Chapter 3's figures, and what the worker last sent for the current matrix.
pub struct QloraView {
    codes: CodesFigure,
    codes_chart: HtmlCanvasElement,
    codes_caption: Element,
    /// W quantised on the main thread, when it is small enough.
    figure: Option<QuantFigure>,
    /// What the quantisation figures show, computed here or sent by the quantising worker.
    view: Option<QuantView>,
    quant_status: Element,
    /// The worker that quantises a W too large for the main thread.
    quantiser: Channel<Workbenches>,
    heatmaps: [Heatmap; 3],
    heatmap_container: HtmlElement,
    quant_caption: Element,
    hist_chart: HtmlCanvasElement,
    hist_caption: Element,
    block_status: Element,
    block_chart: HtmlCanvasElement,
    block_caption: Element,
    dq_sums: [Element; 2],
    dq_caption: Element,
    loftq_status: Element,
    loftq_chart: HtmlCanvasElement,
    loftq_caption: Element,
    memory_table: Element,
    memory_caption: Element,
    channel: Channel<Workbenches>,
    /// The parameters of the latest request to the worker.
    requested: Option<QloraParams>,
    /// The worker's answer for them: the error's singular values and the block-size series.
    received: Option<(Vec<f64>, BlockSizeSeries)>,
    width: f64,
    heatmap_width: f64,
    theme: Theme,
}

impl ChapterView for QloraView {
    type State = QloraPage;

    fn new(doc: &Document) -> Result<Self, JsValue> {
        Ok(Self {
            codes: CodesFigure::new(),
            codes_chart: typed_by_id(doc, "q-codes-chart")?,
            codes_caption: by_id(doc, "q-codes-caption")?,
            figure: None,
            view: None,
            quant_status: by_id(doc, "q-quant-status")?,
            quantiser: Channel::new(WORKER_URL),
            heatmaps: [
                Heatmap::find(doc, "q", "w")?,
                Heatmap::find(doc, "q", "deq")?,
                Heatmap::find(doc, "q", "err")?,
            ],
            heatmap_container: typed_by_id(doc, "q-heatmaps")?,
            quant_caption: by_id(doc, "q-quant-caption")?,
            hist_chart: typed_by_id(doc, "q-hist-chart")?,
            hist_caption: by_id(doc, "q-hist-caption")?,
            block_status: by_id(doc, "q-block-status")?,
            block_chart: typed_by_id(doc, "q-block-chart")?,
            block_caption: by_id(doc, "q-block-caption")?,
            dq_sums: [by_id(doc, "q-dq-plain")?, by_id(doc, "q-dq-double")?],
            dq_caption: by_id(doc, "q-dq-caption")?,
            loftq_status: by_id(doc, "q-loftq-status")?,
            loftq_chart: typed_by_id(doc, "q-loftq-chart")?,
            loftq_caption: by_id(doc, "q-loftq-caption")?,
            memory_table: by_id(doc, "q-memory-table")?,
            memory_caption: by_id(doc, "q-memory-caption")?,
            channel: Channel::new(WORKER_URL),
            requested: None,
            received: None,
            width: 0.0,
            heatmap_width: 0.0,
            theme: Theme::light(),
        })
    }

    fn bind(page: &Rc<ChapterPage<Self>>) -> Result<(), JsValue> {
        let handlers = page.worker_handlers(
            |page, data| {
                let params = QloraParams::from_state(&page.state.borrow().qlora);
                // The view's borrow ends before the data tables read it.
                let answered = page.view.borrow_mut().on_answer(data, &params);
                match answered {
                    Ok(true) => {
                        super::datatable::refresh(&**page, &[FigureId::BlockSize, FigureId::Loftq])
                    }
                    Ok(false) => {}
                    Err(err) => {
                        show_error(&format!("A figure could not be drawn: {}", describe(&err)))
                    }
                }
            },
            |page| {
                let view = page.view.borrow();
                for status in [&view.block_status, &view.loftq_status] {
                    stopped(status);
                }
            },
        );
        page.view.borrow_mut().channel.attach(handlers);
        let handlers = page.worker_handlers(
            |page, data| {
                if let Err(err) = page.view.borrow_mut().on_quantised(data) {
                    show_error(&format!("A figure could not be drawn: {}", describe(&err)));
                }
            },
            |page| stopped(&page.view.borrow().quant_status),
        );
        page.view.borrow_mut().quantiser.attach(handlers);
        // Both the block-size chart and LoftQ's wait for the worker: either one near starts it.
        for figure in ["fig-block-size", "fig-loftq"] {
            page.wake_when_near(figure, |view: &mut Self| view.channel.wake())?;
        }
        Ok(())
    }

    fn measure(&mut self) {
        self.width = f64::from(self.codes_chart.client_width());
        self.heatmap_width = f64::from(self.heatmap_container.client_width());
    }

    fn render(
        &mut self,
        state: &QloraPage,
        theme: &Theme,
        changed: Option<&str>,
    ) -> Result<(), JsValue> {
        let params = QloraParams::from_state(&state.qlora);
        let everything = changed.is_none();
        let matrix_moved = changed.is_some_and(|key| MATRIX_KEYS.contains(&key));
        self.theme = *theme;
        if everything {
            set_text(&self.codes_caption, &self.codes.caption());
            let codes = &self.codes;
            paint_chart(&self.codes_chart, self.width, CHART_HEIGHT, |area| {
                codes_chart(area, codes, theme)
            })?;
        }
        // A new width or theme repaints what is there; a new matrix or block quantises again.
        let shown = self.view.as_ref().is_some_and(|view| {
            let (wanted, _) = params.clamped();
            QloraParams {
                block: view.params.block,
                ..wanted
            } == view.params
        });
        if everything && shown {
            self.paint_view()?;
        } else if everything || matrix_moved || changed == Some("qh") || self.view.is_none() {
            self.quantise(params, changed == Some("qh"))?;
        }
        if everything || matrix_moved {
            self.request(params)?;
        }
        // The worker's charts ring the chosen code and block size and mark the rank; the memory
        // table follows the rank and block size. Other controls leave them as they are.
        let moves = |keys: &[&str]| everything || changed.is_some_and(|key| keys.contains(&key));
        if moves(&["qr", "qb", "qc"]) {
            self.paint_worker_figures(&params)?;
        }
        if moves(&["qr", "qb"]) {
            let memory = MemoryFigure {
                rank: params.rank as u64,
                quant: QuantSettings {
                    block_size: params.block_size as u64,
                    double_quantised: true,
                },
            };
            super::datatable::fill(&page_document()?, &self.memory_table, &[memory.table()])?;
            set_text(&self.memory_caption, &memory.caption());
        }
        Ok(())
    }

    fn has_csv(figure: FigureId) -> bool {
        matches!(
            figure,
            FigureId::Codes | FigureId::Quantisation | FigureId::BlockSize | FigureId::Loftq
        )
    }

    fn downloads(&self, _state: &QloraPage, figure: FigureId) -> Vec<Download> {
        match figure {
            FigureId::Codes => self.codes.downloads(),
            FigureId::Quantisation => match (&self.figure, &self.view) {
                (Some(figure), _) => figure.downloads(),
                (None, Some(view)) => view.downloads(),
                (None, None) => Vec::new(),
            },
            FigureId::BlockSize => self.received.iter().map(|(_, s)| s.download()).collect(),
            FigureId::Loftq => self.loftq(0).map(|f| f.download()).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    fn has_table(figure: FigureId) -> bool {
        matches!(
            figure,
            FigureId::Codes | FigureId::BlockSize | FigureId::Loftq
        )
    }

    fn tables(&self, state: &QloraPage, figure: FigureId) -> Vec<Table> {
        let rank = QloraParams::from_state(&state.qlora).rank;
        match figure {
            FigureId::Codes => self.codes.tables(),
            FigureId::BlockSize => self.received.iter().map(|(_, s)| s.table()).collect(),
            FigureId::Loftq => self.loftq(rank).map(|f| f.table()).into_iter().collect(),
            _ => Vec::new(),
        }
    }
}

impl QloraView {
    /// Quantises W at `params` here when it is small enough, or asks the quantising worker; a new
    /// chosen block (`block_only`) recomputes only the histogram.
    fn quantise(&mut self, params: QloraParams, block_only: bool) -> Result<(), JsValue> {
        if params.size > MAIN_THREAD_SIDE {
            self.figure = None;
            self.quant_status.class_list().add_1("busy")?;
            set_text(&self.quant_status, &quantising_status(&params));
            self.quantiser.wake()?;
            return self.quantiser.send(|job| Request::Quantise { job, params });
        }
        self.quant_status.class_list().remove_1("busy")?;
        set_text(&self.quant_status, "");
        let mut figure = match self.figure.take() {
            Some(figure) => figure.update(&params),
            None => QuantFigure::new(&params),
        };
        figure.select_block(params.block);
        match self.view.as_mut() {
            Some(view) if block_only && view.params.size == params.size => {
                view.params = figure.params;
                view.histogram = figure.histogram();
                view.histogram_caption = figure.histogram_caption();
            }
            _ => self.view = Some(QuantView::of(&figure)),
        }
        self.figure = Some(figure);
        self.paint_view()
    }

    /// Takes the quantising worker's message: the view of the latest W.
    fn on_quantised(&mut self, data: &JsValue) -> Result<(), JsValue> {
        let Some(Answer::Quantised { view, ms, .. }) = self.quantiser.receive(data)? else {
            return Ok(());
        };
        self.view = Some(*view);
        self.quant_status.class_list().remove_1("busy")?;
        set_text(&self.quant_status, &quantised_status(ms));
        self.paint_view()
    }

    /// Paints W's corner, its 4-bit copy and the error, the captions, double quantisation's sums
    /// and the chosen block's histogram, from the view.
    fn paint_view(&self) -> Result<(), JsValue> {
        let Some(view) = &self.view else {
            return Ok(());
        };
        let corners: Vec<DMatrix<f64>> = view
            .corners
            .iter()
            .filter_map(MatrixData::to_matrix)
            .collect();
        let largest = |m: &DMatrix<f64>| m.iter().fold(0.0_f64, |a, v| a.max(v.abs()));
        let shared = corners.iter().take(2).map(largest).fold(0.0, f64::max);
        // Three heatmaps side by side with room between them; stacked, each takes the width.
        let per_map = if self.heatmap_width < STACKED_BELOW {
            self.heatmap_width
        } else {
            (self.heatmap_width - 48.0) / 3.0
        };
        for ((heatmap, corner), id) in self.heatmaps.iter().zip(&corners).zip(QuantMatrix::ALL) {
            let half_range = if id == QuantMatrix::Error {
                largest(corner)
            } else {
                shared
            };
            let side = corner.nrows();
            let cell = cell_size(per_map, side as f64, (1.0, 6.0))?;
            let rgba = heatmap_rgba(corner, Diverging::new(half_range));
            heatmap.paint(&rgba, side, side, cell)?;
            set_text(&heatmap.label, &id.corner_name(side, view.params.size));
        }
        set_text(&self.quant_caption, &view.caption);
        for (element, sum) in self.dq_sums.iter().zip(&view.double_sums) {
            set_text(element, sum);
        }
        set_text(&self.dq_caption, &view.double_caption);
        let theme = self.theme;
        let code = view.params.code;
        paint_chart(&self.hist_chart, self.width, CHART_HEIGHT, |area| {
            histogram_chart(area, &view.histogram, code, &theme)
        })?;
        set_text(&self.hist_caption, &view.histogram_caption);
        Ok(())
    }

    /// Asks the worker for `params`' slow numbers, unless it was asked for them last.
    fn request(&mut self, params: QloraParams) -> Result<(), JsValue> {
        let asked = QloraParams {
            block: 0,
            rank: 0,
            ..params
        };
        if self.requested == Some(asked) {
            return Ok(());
        }
        self.requested = Some(asked);
        self.received = None;
        for status in [&self.block_status, &self.loftq_status] {
            status.class_list().add_1("busy")?;
        }
        set_text(
            &self.block_status,
            "Computing every code at every block size in a background worker…",
        );
        set_text(&self.loftq_status, &format!(
            "Computing the singular values of the {n}×{n} quantisation error in a background worker…",
            n = params.size
        ));
        self.channel
            .send(|job| Request::QuantError { job, params: asked })
    }

    /// Takes a worker's message; returns whether it brought the latest numbers.
    fn on_answer(&mut self, data: &JsValue, params: &QloraParams) -> Result<bool, JsValue> {
        let Some(Answer::QuantError {
            sigma, series, ms, ..
        }) = self.channel.receive(data)?
        else {
            return Ok(false);
        };
        self.received = Some((sigma, series));
        for status in [&self.block_status, &self.loftq_status] {
            status.class_list().remove_1("busy")?;
            set_text(
                status,
                &format!("Computed in {ms:.0} ms in a background worker."),
            );
        }
        self.paint_worker_figures(params)?;
        Ok(true)
    }

    /// The LoftQ figure at `rank`, once the worker has sent the error's singular values.
    fn loftq(&self, rank: usize) -> Option<LoftqFigure> {
        let (sigma, _) = self.received.as_ref()?;
        Some(LoftqFigure::from_sigma(sigma.clone(), rank))
    }

    /// Paints the block-size chart and the LoftQ chart from the worker's numbers, if they are in.
    fn paint_worker_figures(&self, params: &QloraParams) -> Result<(), JsValue> {
        let Some((_, series)) = &self.received else {
            return Ok(());
        };
        let theme = self.theme;
        paint_chart(&self.block_chart, self.width, CHART_HEIGHT, |area| {
            block_size_chart(area, series, (params.code, params.block_size), &theme)
        })?;
        set_text(&self.block_caption, &series.caption());
        if let Some(loftq) = self.loftq(params.rank) {
            paint_chart(&self.loftq_chart, self.width, CHART_HEIGHT, |area| {
                loftq_chart(area, &loftq, &theme)
            })?;
            set_text(&self.loftq_caption, &loftq.caption());
        }
        Ok(())
    }
}

/// Says in `status` that its worker could not start.
fn stopped(status: &Element) {
    set_text(
        status,
        "The background worker could not start: reload the page to try again.",
    );
    let _ = status.class_list().remove_1("busy");
}

/// The page's document.
fn page_document() -> Result<Document, JsValue> {
    super::dom::document()
}
