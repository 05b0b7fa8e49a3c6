//! Paints "The mathematics": the MathML equations (once) and the worked forward pass.

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlElement};

use super::dom::{by_id, typed_by_id};
use super::paint::{cell_size, ColourBar, Heatmap};
use super::tables::fill_rows;
use crate::figures::maths::{equations_mathml, VectorId, WorkedExample};
use crate::render::heatmap::heatmap_rgba;
use crate::state::FactorisationState;

/// Cells of the vectors, in CSS pixels.
const CELL_RANGE: (f64, f64) = (10.0, 28.0);

/// The section's elements.
pub struct MathsView {
    doc: Document,
    /// One heatmap a VectorId, in `VectorId::ALL`'s order.
    heatmaps: Vec<Heatmap>,
    container: HtmlElement,
    colour_bar: ColourBar,
    mults: Element,
    results: [Element; 2],
    caption: Element,
    container_height: f64,
}

impl MathsView {
    /// Finds the section's elements in `doc` and writes the equations, which never change.
    pub fn new(doc: &Document) -> Result<Self, JsValue> {
        // The MathML is built from constant text in the core; no reader input reaches it.
        by_id(doc, "m-equations")?.set_inner_html(&equations_mathml());
        let heatmaps = VectorId::ALL
            .iter()
            .map(|id| Heatmap::find(doc, "m", id.slug()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            doc: doc.clone(),
            heatmaps,
            container: typed_by_id(doc, "m-heatmaps")?,
            colour_bar: ColourBar::find(doc, "m")?,
            mults: by_id(doc, "m-mults")?,
            results: [by_id(doc, "m-result-1")?, by_id(doc, "m-result-2")?],
            caption: by_id(doc, "m-caption")?,
            container_height: 0.0,
        })
    }

    /// Measures the room the vectors have; call on mount and when the window resizes.
    pub fn measure(&mut self) {
        let width = f64::from(self.container.client_width());
        // Vectors are tall and thin: let them be at most about a third as tall as the figure is wide.
        self.container_height = (width / 3.0).clamp(160.0, 420.0);
    }

    /// Computes the forward pass for `state` and paints it.
    pub fn render(&mut self, state: &FactorisationState) -> Result<(), JsValue> {
        let example = WorkedExample::new(state);
        let cell = cell_size(
            self.container_height,
            f64::from(state.max_size()),
            CELL_RANGE,
        )?;
        for id in VectorId::ALL {
            let v = example.vector(id);
            let heatmap = &self.heatmaps[id as usize];
            heatmap.paint(&heatmap_rgba(v, example.colours), v.nrows(), 1, cell)?;
            heatmap.label.set_text_content(Some(&example.label(id)));
            heatmap.canvas.set_attribute(
                "aria-label",
                &format!("Column vector {}", example.label(id)),
            )?;
        }
        self.colour_bar.paint(example.colours)?;
        fill_rows(&self.doc, &self.mults, &example.multiplication_rows())?;
        for (element, line) in self.results.iter().zip(example.result_lines()) {
            element.set_text_content(Some(&line));
        }
        self.caption.set_text_content(Some(&example.caption()));
        Ok(())
    }
}
