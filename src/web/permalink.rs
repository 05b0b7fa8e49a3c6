//! The page's URL: reads the state from it on load, writes the state back as controls move (at most
//! a few times a second, replacing the history entry rather than adding one), and shows a single
//! figure alone when the link asks for one (`?embed=<figure-id>`), reporting its height to the page
//! that embeds it.
//!
//! Height messages, posted to the parent window whenever the embedded figure's height changes:
//! `{subject: "lti.frameResize", height}` (what Canvas LMS listens for) and
//! `{type: "lora-explorer:resize", figure, height}` (ours; see docs/embedding.md).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlElement, ResizeObserver, Window};

use super::dom::{typed_by_id, window, Debouncer};
use crate::figures::FigureId;
use crate::permalink::{parse_chapter, to_query, Parsed};
use crate::state::ChapterState;

/// How long the URL waits after the last change before it is rewritten, in milliseconds. Browsers
/// throttle (and complain about) more than a few hundred history updates in ten seconds.
const WRITE_DELAY_MS: i32 = 300;

/// Reads the state and the embedded figure from the page's address.
pub fn read<S: ChapterState>() -> Result<Parsed<S>, JsValue> {
    Ok(parse_chapter(&window()?.location().search()?))
}

/// The figure a link asks to show alone, once shown alone; a notice when the page has no such
/// figure (the whole page is shown then).
pub fn embedded(
    doc: &Document,
    asked: Option<String>,
    notices: &mut Vec<String>,
) -> Result<Option<FigureId>, JsValue> {
    let Some(figure) = asked else {
        return Ok(None);
    };
    match FigureId::parse(&figure) {
        Some(id) if isolate(doc, id)? => Ok(Some(id)),
        _ => {
            notices.push(format!(
                "There is no figure “{}” to embed; the whole page is shown.",
                figure.chars().take(40).collect::<String>()
            ));
            Ok(None)
        }
    }
}

/// Shows `notices` (text from the link, so written as text, never as markup) above the page.
pub fn show_notices(doc: &Document, notices: &[String]) {
    let Ok(notice) = typed_by_id::<HtmlElement>(doc, "url-notice") else {
        return;
    };
    if notices.is_empty() {
        notice.set_hidden(true);
        return;
    }
    notice.set_text_content(Some(&format!(
        "Some settings in this link were changed: {}",
        notices.join(" ")
    )));
    notice.set_hidden(false);
}

/// Writes the state into the address bar shortly after the last change.
pub struct UrlWriter {
    /// The query the waiting write puts in the address.
    query: Rc<RefCell<String>>,
    embed: Option<FigureId>,
    debouncer: Debouncer,
}

impl UrlWriter {
    /// A writer that keeps `embed` in the address, if the page shows one figure.
    pub fn new(embed: Option<FigureId>) -> Self {
        let query = Rc::new(RefCell::new(String::new()));
        let waiting = Rc::clone(&query);
        let debouncer = Debouncer::new(WRITE_DELAY_MS, move || {
            // A failed write leaves the old address: nothing the reader needs to know.
            let _ = replace_query(&waiting.borrow());
        });
        Self {
            query,
            embed,
            debouncer,
        }
    }

    /// Schedules the address to show `state`, replacing any write still waiting.
    pub fn schedule(&self, state: &impl ChapterState) -> Result<(), JsValue> {
        *self.query.borrow_mut() = to_query(state, self.embed.map(FigureId::as_str));
        self.debouncer.schedule()
    }
}

fn replace_query(query: &str) -> Result<(), JsValue> {
    let window = window()?;
    let location = window.location();
    let url = format!("{}?{query}{}", location.pathname()?, location.hash()?);
    window
        .history()?
        .replace_state_with_url(&JsValue::NULL, "", Some(&url))
}

/// The address of this page with `query` (as [`to_query`] writes it), for a link or an iframe;
/// `anchor` scrolls to an element.
pub fn address(query: &str, anchor: Option<&str>) -> Result<String, JsValue> {
    let location = window()?.location();
    let anchor = anchor.map(|a| format!("#{a}")).unwrap_or_default();
    Ok(format!(
        "{}{}?{query}{anchor}",
        location.origin()?,
        location.pathname()?,
    ))
}

/// Shows figure `figure_id` alone: hides every element that neither contains it nor lies inside it.
/// Returns false (changing nothing) if the page has no such figure.
pub fn isolate(doc: &Document, figure_id: FigureId) -> Result<bool, JsValue> {
    let Some(figure) = doc.get_element_by_id(&figure_id.element_id()) else {
        return Ok(false);
    };
    let Some(body) = doc.body() else {
        return Ok(false);
    };
    body.class_list().add_1("embedded")?;
    figure.class_list().add_1("embedded-figure")?;
    let mut node: Element = figure;
    while let Some(parent) = node.parent_element() {
        let siblings = parent.children();
        for idx in 0..siblings.length() {
            let Some(sibling) = siblings.item(idx) else {
                continue;
            };
            let keep =
                sibling == node || sibling.id() == "error-banner" || sibling.id() == "url-notice";
            if !keep {
                if let Some(element) = sibling.dyn_ref::<HtmlElement>() {
                    element.set_hidden(true);
                }
            }
        }
        if parent == *body {
            break;
        }
        node = parent;
    }
    Ok(true)
}

/// Posts the document's height to the embedding page whenever it changes.
pub fn report_height(doc: &Document, figure_id: FigureId) -> Result<(), JsValue> {
    let window = window()?;
    let Some(parent) = window.parent()? else {
        return Ok(());
    };
    if Object::is(&parent, &window) {
        return Ok(());
    }
    let Some(body) = doc.body() else {
        return Ok(());
    };
    let figure = figure_id.as_str();
    // Browsers may not report the size of an iframe that is off screen: say it once now.
    post_height(&parent, figure, f64::from(body.scroll_height()).ceil());
    let last = Cell::new(0.0_f64);
    let measured = body.clone();
    let on_resize = Closure::<dyn FnMut()>::new(move || {
        let height = f64::from(measured.scroll_height()).ceil();
        if (height - last.get()).abs() < 1.0 {
            return;
        }
        last.set(height);
        post_height(&parent, figure, height);
    });
    let observer = ResizeObserver::new(on_resize.as_ref().unchecked_ref())?;
    observer.observe(&body);
    // The observer and its callback live as long as the page.
    on_resize.forget();
    std::mem::forget(observer);
    Ok(())
}

fn post_height(parent: &Window, figure: &str, height: f64) {
    let canvas_lms = Object::new();
    let ours = Object::new();
    // Setting properties on fresh plain objects cannot fail.
    let _ = Reflect::set(&canvas_lms, &"subject".into(), &"lti.frameResize".into());
    let _ = Reflect::set(&canvas_lms, &"height".into(), &height.into());
    let _ = Reflect::set(&ours, &"type".into(), &"lora-explorer:resize".into());
    let _ = Reflect::set(&ours, &"figure".into(), &figure.into());
    let _ = Reflect::set(&ours, &"height".into(), &height.into());
    // The height is no secret: any embedding page may read it.
    let _ = parent.post_message(&canvas_lms, "*");
    let _ = parent.post_message(&ours, "*");
}
