//! Announces a section's key result to screen readers through one polite live region, once a
//! slider has come to rest rather than at every step of its movement.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::Document;

use super::dom::window;

/// How long the page waits after the last change before it announces, in milliseconds.
const QUIET_MS: i32 = 600;

/// The live region's writer: at most one announcement waiting.
#[derive(Default)]
pub struct Announcer {
    pending: Rc<Cell<Option<i32>>>,
}

impl Announcer {
    /// Announces the text of element `source_id` once changes have stopped for a moment.
    pub fn schedule(&self, doc: &Document, source_id: &'static str) {
        let Ok(window) = window() else { return };
        if let Some(handle) = self.pending.take() {
            window.clear_timeout_with_handle(handle);
        }
        let doc = doc.clone();
        let pending = Rc::clone(&self.pending);
        let announce = Closure::once_into_js(move || {
            pending.set(None);
            let text = doc
                .get_element_by_id(source_id)
                .and_then(|e| e.text_content())
                .unwrap_or_default();
            if let Some(region) = doc.get_element_by_id("announcer") {
                region.set_text_content(Some(&text));
            }
        });
        if let Ok(handle) = window.set_timeout_with_callback_and_timeout_and_arguments_0(
            announce.unchecked_ref(),
            QUIET_MS,
        ) {
            self.pending.set(Some(handle));
        }
    }
}
