//! Paints "Why full fine-tuning is expensive": the layer table and the memory chart.

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlCanvasElement};

use super::dom::{by_id, typed_by_id};
use super::paint::paint_chart;
use super::tables::fill_rows;
use crate::figures::cost;
use crate::render::charts::{memory_chart, Theme};
use crate::state::CostState;

/// Height of the memory chart in CSS pixels.
const CHART_HEIGHT: f64 = 380.0;

/// The section's elements.
pub struct CostView {
    doc: Document,
    layer_rows: Element,
    layer_caption: Element,
    chart: HtmlCanvasElement,
    formula: Element,
    caption: Element,
    chart_width: f64,
}

impl CostView {
    /// Finds the section's elements in `doc`.
    pub fn new(doc: &Document) -> Result<Self, JsValue> {
        Ok(Self {
            doc: doc.clone(),
            layer_rows: by_id(doc, "c-layer-rows")?,
            layer_caption: by_id(doc, "c-layer-caption")?,
            chart: typed_by_id(doc, "c-memory-chart")?,
            formula: by_id(doc, "c-memory-formula")?,
            caption: by_id(doc, "c-memory-caption")?,
            chart_width: 0.0,
        })
    }

    /// Measures the chart's width; call on mount and when the window resizes.
    pub fn measure(&mut self) {
        self.chart_width = f64::from(self.chart.client_width());
    }

    /// Fills the table and draws the chart for `state`.
    pub fn render(&mut self, state: &CostState, theme: &Theme) -> Result<(), JsValue> {
        let d_model = u64::from(state.d_model);
        fill_rows(&self.doc, &self.layer_rows, &cost::layer_rows(d_model))?;
        self.layer_caption
            .set_text_content(Some(&cost::layer_caption(d_model)));
        let bars = cost::memory_bars(state);
        paint_chart(&self.chart, self.chart_width, CHART_HEIGHT, |area| {
            memory_chart(area, &bars, theme)
        })?;
        self.chart
            .set_attribute("aria-label", &cost::memory_summary(&bars))?;
        self.formula
            .set_text_content(Some(&cost::memory_formula(state)));
        self.caption
            .set_text_content(Some(&cost::memory_caption(state)));
        Ok(())
    }
}
