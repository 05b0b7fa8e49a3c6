//! Fills "LoRA against full fine-tuning": the eight-row table.

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

use super::dom::by_id;
use super::tables::fill_rows;
use crate::figures::comparison::{caption, rows};
use crate::state::ComparisonState;

/// The section's elements.
pub struct ComparisonView {
    doc: Document,
    rows: Element,
    caption: Element,
}

impl ComparisonView {
    /// Finds the section's elements in `doc`.
    pub fn new(doc: &Document) -> Result<Self, JsValue> {
        Ok(Self {
            doc: doc.clone(),
            rows: by_id(doc, "v-rows")?,
            caption: by_id(doc, "v-caption")?,
        })
    }

    /// Fills the table for `state`.
    pub fn render(&mut self, state: &ComparisonState) -> Result<(), JsValue> {
        fill_rows(&self.doc, &self.rows, &rows(state))?;
        self.caption.set_text_content(Some(&caption(state)));
        Ok(())
    }
}
