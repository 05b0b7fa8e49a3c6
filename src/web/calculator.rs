//! Paints the calculator's chapter: finds its elements and writes into them what
//! `figures::calculator` computed (the counts, the tables, the `LoraConfig`), and draws the memory
//! breakdown. Nothing is computed here.

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlCanvasElement, HtmlElement, HtmlInputElement};

use super::chapter::{ChapterPage, ChapterView};
use super::dom::{by_id, listen, typed_by_id, window};
use super::inspector::{self, InspectorView};
use super::paint::paint_chart;
use super::tables::fill_rows;
use crate::export::Download;
use crate::figures::calculator::{self, paper_rows, readout, Readout};
use crate::figures::tables::Table;
use crate::figures::FigureId;
use crate::render::charts::{breakdown_chart, Theme};
use crate::state::{CalculatorPage, CalculatorState};

/// Height of the memory chart in CSS pixels.
const CHART_HEIGHT: f64 = 320.0;

/// The chapter's elements.
pub struct CalculatorView {
    doc: Document,
    custom: HtmlElement,
    mlp_rank: HtmlInputElement,
    mlp_alpha: HtmlInputElement,
    model: Element,
    targets: Element,
    notes: HtmlElement,
    peft_report: Element,
    report_box: HtmlElement,
    headline: HtmlElement,
    published: HtmlElement,
    scale: HtmlElement,
    adapter: HtmlElement,
    groups: HtmlElement,
    group_rows: Element,
    config: Element,
    chart: HtmlCanvasElement,
    chart_width: f64,
    batch: HtmlInputElement,
    seq_len: HtmlInputElement,
    memory: HtmlElement,
    memory_rows: Element,
    memory_caption: Element,
    paper_rows: Element,
    paper_filled: bool,
    /// The adapter inspector, the chapter's last section.
    pub inspector: InspectorView,
}

impl CalculatorView {
    /// Replaces `list`'s items with `items`, as text.
    fn fill_list(&self, list: &Element, items: &[String]) -> Result<(), JsValue> {
        list.set_text_content(None);
        for item in items {
            let li = self.doc.create_element("li")?;
            li.set_text_content(Some(item));
            list.append_child(&li)?;
        }
        Ok(())
    }

    /// Writes the calculator figure's text for `shown`.
    fn paint_counts(&self, shown: &Readout, state: &CalculatorState) -> Result<(), JsValue> {
        self.custom.set_hidden(!state.is_custom());
        self.mlp_rank.set_disabled(!state.per_type);
        self.mlp_alpha.set_disabled(!state.per_type);
        self.model.set_text_content(Some(&shown.model));
        self.fill_list(&self.targets, &shown.targets)?;
        self.fill_list(&self.notes, &shown.notes)?;
        self.notes.set_hidden(shown.notes.is_empty());
        self.peft_report.set_text_content(Some(&shown.peft_report));
        self.report_box.set_hidden(shown.peft_report.is_empty());
        for (element, text) in [
            (&self.headline, &shown.headline),
            (&self.published, &shown.published),
            (&self.scale, &shown.scale),
            (&self.adapter, &shown.adapter),
        ] {
            element.set_text_content(Some(text));
            element.set_hidden(text.is_empty());
        }
        fill_rows(&self.doc, &self.group_rows, &shown.groups)?;
        self.groups.set_hidden(shown.groups.is_empty());
        self.config.set_text_content(Some(&shown.config));
        Ok(())
    }

    /// Draws the memory figure for `shown`.
    fn paint_memory(
        &self,
        shown: &Readout,
        activations: bool,
        theme: &Theme,
    ) -> Result<(), JsValue> {
        self.batch.set_disabled(!activations);
        self.seq_len.set_disabled(!activations);
        paint_chart(&self.chart, self.chart_width, CHART_HEIGHT, |area| {
            breakdown_chart(area, &shown.memory_bars, theme)
        })?;
        self.chart
            .set_attribute("aria-label", &shown.memory_summary)?;
        fill_rows(&self.doc, &self.memory_rows, &shown.memory_rows)?;
        self.memory.set_hidden(shown.memory_rows.is_empty());
        self.memory_caption
            .set_text_content(Some(&shown.memory_caption));
        Ok(())
    }
}

impl ChapterView for CalculatorView {
    type State = CalculatorPage;

    fn new(doc: &Document) -> Result<Self, JsValue> {
        Ok(Self {
            doc: doc.clone(),
            custom: typed_by_id(doc, "k-custom")?,
            mlp_rank: typed_by_id(doc, "kx")?,
            mlp_alpha: typed_by_id(doc, "kz")?,
            model: by_id(doc, "k-model")?,
            targets: by_id(doc, "k-targets")?,
            notes: typed_by_id(doc, "k-notes")?,
            peft_report: by_id(doc, "k-peft-report")?,
            report_box: typed_by_id(doc, "k-report")?,
            headline: typed_by_id(doc, "k-headline")?,
            published: typed_by_id(doc, "k-published")?,
            scale: typed_by_id(doc, "k-scale")?,
            adapter: typed_by_id(doc, "k-adapter")?,
            groups: typed_by_id(doc, "k-groups")?,
            group_rows: by_id(doc, "k-group-rows")?,
            config: by_id(doc, "k-config")?,
            chart: typed_by_id(doc, "k-memory-chart")?,
            chart_width: 0.0,
            batch: typed_by_id(doc, "kb")?,
            seq_len: typed_by_id(doc, "kn")?,
            memory: typed_by_id(doc, "k-memory")?,
            memory_rows: by_id(doc, "k-memory-rows")?,
            memory_caption: by_id(doc, "k-memory-caption")?,
            paper_rows: by_id(doc, "k-paper-rows")?,
            paper_filled: false,
            inspector: InspectorView::new(doc)?,
        })
    }

    fn render(
        &mut self,
        state: &CalculatorPage,
        theme: &Theme,
        changed: Option<&str>,
    ) -> Result<(), JsValue> {
        if changed.is_none() {
            self.inspector.render(theme)?;
        }
        let calculator = &state.calculator;
        let shown = readout(calculator);
        self.paint_counts(&shown, calculator)?;
        self.paint_memory(&shown, calculator.activations, theme)?;
        if !self.paper_filled {
            fill_rows(&self.doc, &self.paper_rows, &paper_rows())?;
            self.paper_filled = true;
        }
        Ok(())
    }

    fn embed(&mut self, figure: FigureId) -> Result<(), JsValue> {
        self.inspector.embed(figure)
    }

    fn measure(&mut self) {
        self.chart_width = f64::from(self.chart.client_width());
        self.inspector.measure();
    }

    fn bind(page: &Rc<ChapterPage<Self>>) -> Result<(), JsValue> {
        let button = by_id(&page.doc, "k-copy")?;
        let status = by_id(&page.doc, "k-copy-status")?;
        let config = by_id(&page.doc, "k-config")?;
        listen(&button, "click", move |_| {
            copy(&config.text_content().unwrap_or_default(), &status)
        })?;
        inspector::bind(page)
    }

    fn peft(&self, state: &CalculatorPage, figure: FigureId) -> Option<String> {
        (figure == FigureId::Calculator).then(|| readout(&state.calculator).config)
    }

    fn has_csv(figure: FigureId) -> bool {
        calculator::FIGURES.contains(&figure) || inspector::FIGURES.contains(&figure)
    }

    fn downloads(&self, state: &CalculatorPage, figure: FigureId) -> Vec<Download> {
        if calculator::FIGURES.contains(&figure) {
            calculator::downloads(figure, &state.calculator)
        } else {
            self.inspector.downloads(figure)
        }
    }

    fn has_table(figure: FigureId) -> bool {
        calculator::FIGURES.contains(&figure)
            || matches!(figure, FigureId::AdapterLayers | FigureId::AdapterSpectra)
    }

    fn tables(&self, state: &CalculatorPage, figure: FigureId) -> Vec<Table> {
        if calculator::FIGURES.contains(&figure) {
            calculator::tables(figure, &state.calculator)
        } else {
            self.inspector.tables(figure)
        }
    }
}

/// Copies `text` to the clipboard and says in `status` whether it worked; a refusal is not an
/// error, only a reason to select the text by hand.
fn copy(text: &str, status: &Element) {
    status.set_text_content(Some("Copying…"));
    let (done, refused) = (status.clone(), status.clone());
    let copied = Closure::once(move |_: JsValue| {
        done.set_text_content(Some("Copied."));
    });
    let failed = Closure::once(move |_: JsValue| {
        refused.set_text_content(Some("Select the configuration and copy it."));
    });
    let promise: Option<Promise> = window()
        .ok()
        .map(|w| w.navigator().clipboard().write_text(text));
    match promise {
        Some(promise) => {
            let _ = promise.then2(&copied, &failed);
            // The promise calls one of them once, later; both must outlive this call.
            copied.forget();
            failed.forget();
        }
        None => status.set_text_content(Some("Select the configuration and copy it.")),
    }
}
