//! Small helpers over web-sys: finding elements, listening to events, showing errors.

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, EventTarget, HtmlElement, Window};

/// The browser window.
pub fn window() -> Result<Window, JsValue> {
    web_sys::window().ok_or_else(|| JsValue::from_str("no window"))
}

/// The page's document.
pub fn document() -> Result<Document, JsValue> {
    window()?
        .document()
        .ok_or_else(|| JsValue::from_str("no document"))
}

/// The element with `id`, or an error naming it.
pub fn by_id(doc: &Document, id: &str) -> Result<Element, JsValue> {
    doc.get_element_by_id(id)
        .ok_or_else(|| JsValue::from_str(&format!("the page has no element #{id}")))
}

/// The element with `id` as type `T`, or an error naming it.
pub fn typed_by_id<T: JsCast>(doc: &Document, id: &str) -> Result<T, JsValue> {
    by_id(doc, id)?
        .dyn_into::<T>()
        .map_err(|_| JsValue::from_str(&format!("#{id} is not the expected kind of element")))
}

/// Calls `handler` on every `kind` event at `target`, for the life of the page.
pub fn listen(
    target: &EventTarget,
    kind: &str,
    handler: impl FnMut(Event) + 'static,
) -> Result<(), JsValue> {
    let closure = Closure::<dyn FnMut(Event)>::new(handler);
    target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref())?;
    // The listener lives as long as the page, so the closure must too.
    closure.forget();
    Ok(())
}

/// A readable description of a JavaScript error value.
pub fn describe(err: &JsValue) -> String {
    if let Some(text) = err.as_string() {
        return text;
    }
    if let Some(error) = err.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    format!("{err:?}")
}

/// Shows `message` in the page's error banner (the first message stays until the page reloads) and
/// in the console. Falls back to the console alone when the page has no banner.
pub fn show_error(message: &str) {
    web_sys::console::error_1(&JsValue::from_str(message));
    let Ok(doc) = document() else { return };
    let Some(banner) = doc
        .get_element_by_id("error-banner")
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    else {
        return;
    };
    if banner.hidden() {
        banner.set_text_content(Some(&format!(
            "{message} Reloading the page usually helps; if it happens again, please report it."
        )));
        banner.set_hidden(false);
    }
}

/// Shows uncaught JavaScript errors and rejected promises in the banner too.
pub fn listen_for_errors() -> Result<(), JsValue> {
    let window = window()?;
    listen(&window, "error", |event: Event| {
        let message = event
            .dyn_ref::<web_sys::ErrorEvent>()
            .map(|e| e.message())
            .unwrap_or_else(|| "an unknown error".to_string());
        show_error(&format!("LoRA Explorer hit an error: {message}."));
    })?;
    listen(&window, "unhandledrejection", |_| {
        show_error("LoRA Explorer hit an error in background work.");
    })
}
