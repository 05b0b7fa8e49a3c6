//! Paints "Rank impact": trainable parameters and the reduction against rank.

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlCanvasElement};

use super::dom::{by_id, typed_by_id};
use super::paint::paint_chart;
use crate::figures::rank::{caption, chart_labels, ranks, result_lines};
use crate::render::charts::{rank_params_chart, rank_reduction_chart, Theme};
use crate::state::RankState;

/// Height of each chart in CSS pixels.
const CHART_HEIGHT: f64 = 320.0;

/// The section's elements.
pub struct RankView {
    params_chart: HtmlCanvasElement,
    reduction_chart: HtmlCanvasElement,
    results: [Element; 2],
    caption: Element,
    widths: (f64, f64),
}

impl RankView {
    /// Finds the section's elements in `doc`.
    pub fn new(doc: &Document) -> Result<Self, JsValue> {
        Ok(Self {
            params_chart: typed_by_id(doc, "r-params-chart")?,
            reduction_chart: typed_by_id(doc, "r-reduction-chart")?,
            results: [by_id(doc, "r-result-1")?, by_id(doc, "r-result-2")?],
            caption: by_id(doc, "r-caption")?,
            widths: (0.0, 0.0),
        })
    }

    /// Measures the charts' widths; call on mount and when the window resizes.
    pub fn measure(&mut self) {
        self.widths = (
            f64::from(self.params_chart.client_width()),
            f64::from(self.reduction_chart.client_width()),
        );
    }

    /// Draws both charts and the figures for `state`.
    pub fn render(&mut self, state: &RankState, theme: &Theme) -> Result<(), JsValue> {
        let (n, rank) = (u64::from(state.n), u64::from(state.rank));
        let points = ranks(n);
        paint_chart(&self.params_chart, self.widths.0, CHART_HEIGHT, |area| {
            rank_params_chart(area, n, &points, rank, theme)
        })?;
        paint_chart(&self.reduction_chart, self.widths.1, CHART_HEIGHT, |area| {
            rank_reduction_chart(area, n, &points, rank, theme)
        })?;
        let [params_label, reduction_label] = chart_labels(state);
        self.params_chart
            .set_attribute("aria-label", &params_label)?;
        self.reduction_chart
            .set_attribute("aria-label", &reduction_label)?;
        for (element, line) in self.results.iter().zip(result_lines(state)) {
            element.set_text_content(Some(&line));
        }
        self.caption.set_text_content(Some(&caption(state)));
        Ok(())
    }
}
