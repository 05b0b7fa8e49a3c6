//! Announces a section's key result to screen readers through one polite live region, once a
//! slider has come to rest rather than at every step of its movement.

use std::cell::Cell;
use std::rc::Rc;

use web_sys::Document;

use super::dom::Debouncer;

/// How long the page waits after the last change before it announces, in milliseconds.
const QUIET_MS: i32 = 600;

/// The live region's writer: at most one announcement waiting.
pub struct Announcer {
    /// The element whose text the waiting announcement reads.
    source_id: Rc<Cell<&'static str>>,
    debouncer: Debouncer,
}

impl Announcer {
    /// An announcer for the live region `announcer` of `doc`.
    pub fn new(doc: &Document) -> Self {
        let source_id = Rc::new(Cell::new(""));
        let source = Rc::clone(&source_id);
        let doc = doc.clone();
        let debouncer = Debouncer::new(QUIET_MS, move || {
            let text = doc
                .get_element_by_id(source.get())
                .and_then(|e| e.text_content())
                .unwrap_or_default();
            if let Some(region) = doc.get_element_by_id("announcer") {
                region.set_text_content(Some(&text));
            }
        });
        Self {
            source_id,
            debouncer,
        }
    }

    /// Announces the text of element `source_id` once changes have stopped for a moment.
    pub fn schedule(&self, source_id: &'static str) {
        self.source_id.set(source_id);
        // Without a timer there is no announcement: nothing the reader is missing on screen.
        let _ = self.debouncer.schedule();
    }
}
