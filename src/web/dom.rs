//! Small helpers over web-sys: finding elements, listening to events, showing errors.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{
    Document, Element, Event, EventTarget, HtmlElement, IntersectionObserver,
    IntersectionObserverEntry, IntersectionObserverInit, NodeList, Window,
};

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

/// Sets `element`'s text, only when it changes: rewriting the same text still makes the browser
/// lay the element out again.
pub fn set_text(element: &Element, text: &str) {
    if element.text_content().as_deref() != Some(text) {
        element.set_text_content(Some(text));
    }
}

/// The nodes of `nodes` that are elements of type `T`, in document order.
pub fn elements<T: JsCast>(nodes: &NodeList) -> impl Iterator<Item = T> + '_ {
    (0..nodes.length()).filter_map(|idx| nodes.get(idx)?.dyn_into::<T>().ok())
}

/// A listener the page attached: where, for what, and the closure it calls.
type Listener = (EventTarget, String, Closure<dyn FnMut(Event)>);

/// An observer [`when_near`] started, with the closure it calls.
type Observer = (
    IntersectionObserver,
    Closure<dyn FnMut(js_sys::Array, IntersectionObserver)>,
);

thread_local! {
    /// Every listener attached through [`listen`], so that they can all be removed again.
    static LISTENERS: RefCell<Vec<Listener>> = const { RefCell::new(Vec::new()) };
    /// Every observer [`when_near`] started and that has not fired yet, and every one
    /// [`watch_near`] started.
    static OBSERVERS: RefCell<Vec<Observer>> = const { RefCell::new(Vec::new()) };
}

/// Runs `action` once, when `element` comes within a viewport's height of the viewport (at once if
/// it is there already), until [`remove_listeners`]. Workers start this way, so that a first load
/// fetches only what the reader can see.
pub fn when_near(element: &Element, action: impl FnOnce() + 'static) -> Result<(), JsValue> {
    // An element already near needs no observer: some engines are slow to report it.
    let height = window()?.inner_height()?.as_f64().unwrap_or(0.0);
    let rect = element.get_bounding_client_rect();
    let shown = rect.width() > 0.0 || rect.height() > 0.0;
    if shown && rect.top() < 2.0 * height && rect.bottom() > -height {
        action();
        return Ok(());
    }
    let mut action = Some(action);
    let closure = Closure::<dyn FnMut(js_sys::Array, IntersectionObserver)>::new(
        move |entries: js_sys::Array, observer: IntersectionObserver| {
            let near = entries.iter().any(|entry| {
                entry
                    .dyn_into::<IntersectionObserverEntry>()
                    .is_ok_and(|entry| entry.is_intersecting())
            });
            if near {
                observer.disconnect();
                if let Some(action) = action.take() {
                    action();
                }
            }
        },
    );
    let options = IntersectionObserverInit::new();
    options.set_root_margin("100% 0px");
    let observer =
        IntersectionObserver::new_with_options(closure.as_ref().unchecked_ref(), &options)?;
    observer.observe(element);
    OBSERVERS.with(|observers| {
        if let Ok(mut observers) = observers.try_borrow_mut() {
            observers.push((observer, closure));
        }
    });
    Ok(())
}

/// Calls `handler` with whether `element` is within a viewport's height of the viewport: at once,
/// and again each time that changes, until [`remove_listeners`]. Figures that repaint often paint
/// only while near, and catch up when they come near.
pub fn watch_near(
    element: &Element,
    mut handler: impl FnMut(bool) + 'static,
) -> Result<(), JsValue> {
    let height = window()?.inner_height()?.as_f64().unwrap_or(0.0);
    let rect = element.get_bounding_client_rect();
    handler(rect.top() < 2.0 * height && rect.bottom() > -height);
    let closure = Closure::<dyn FnMut(js_sys::Array, IntersectionObserver)>::new(
        move |entries: js_sys::Array, _: IntersectionObserver| {
            if let Some(entry) = entries
                .iter()
                .filter_map(|entry| entry.dyn_into::<IntersectionObserverEntry>().ok())
                .next_back()
            {
                handler(entry.is_intersecting());
            }
        },
    );
    let options = IntersectionObserverInit::new();
    options.set_root_margin("100% 0px");
    let observer =
        IntersectionObserver::new_with_options(closure.as_ref().unchecked_ref(), &options)?;
    observer.observe(element);
    OBSERVERS.with(|observers| {
        if let Ok(mut observers) = observers.try_borrow_mut() {
            observers.push((observer, closure));
        }
    });
    Ok(())
}

/// Calls `handler` on every `kind` event at `target`, until [`remove_listeners`].
pub fn listen(
    target: &EventTarget,
    kind: &str,
    handler: impl FnMut(Event) + 'static,
) -> Result<(), JsValue> {
    let closure = Closure::<dyn FnMut(Event)>::new(handler);
    target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref())?;
    LISTENERS.with(|listeners| {
        if let Ok(mut listeners) = listeners.try_borrow_mut() {
            listeners.push((target.clone(), kind.to_string(), closure));
        }
    });
    Ok(())
}

/// Detaches every listener [`listen`] attached and frees its closure: for a page that stops, or a
/// test that mounts the page again.
pub fn remove_listeners() {
    let removed = LISTENERS.with(|listeners| {
        listeners
            .try_borrow_mut()
            .map(|mut listeners| std::mem::take(&mut *listeners))
            .unwrap_or_default()
    });
    for (target, kind, closure) in &removed {
        // A target that refuses is gone already.
        let _ = target.remove_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
    }
    let observers = OBSERVERS.with(|observers| {
        observers
            .try_borrow_mut()
            .map(|mut observers| std::mem::take(&mut *observers))
            .unwrap_or_default()
    });
    for (observer, _closure) in &observers {
        observer.disconnect();
    }
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
    let Ok(banner) = typed_by_id::<HtmlElement>(&doc, "error-banner") else {
        return;
    };
    if banner.hidden() {
        banner.set_text_content(Some(&format!(
            "{message} Reloading the page usually helps; if it happens again, please report it."
        )));
        banner.set_hidden(false);
    }
}

/// The page after a panic. The WebAssembly module stops for good, so every control is disabled and
/// the banner, replacing any earlier message, says so in plain words and links to a reload (a link
/// works without the module); `details` go to the console for developers.
pub fn show_stopped(details: &str) {
    web_sys::console::error_1(&JsValue::from_str(&format!(
        "LoRA Explorer stopped: {details}"
    )));
    let Ok(doc) = document() else { return };
    if let Ok(controls) = doc.query_selector_all("input, select, textarea, button") {
        for idx in 0..controls.length() {
            if let Some(control) = controls.get(idx).and_then(|n| n.dyn_into::<Element>().ok()) {
                let _ = control.set_attribute("disabled", "");
            }
        }
    }
    let Ok(banner) = typed_by_id::<HtmlElement>(&doc, "error-banner") else {
        return;
    };
    banner.set_text_content(Some(
        "LoRA Explorer stopped because of an internal error: its figures no longer follow the \
         controls, which are switched off. ",
    ));
    if let Ok(link) = doc.create_element("a") {
        let here = window()
            .and_then(|w| w.location().href())
            .unwrap_or_default();
        let _ = link.set_attribute("href", &here);
        link.set_text_content(Some("Reload the page"));
        let _ = banner.append_child(&link);
        let _ = banner.append_with_str_1(" to start again; if it happens again, please report it.");
    }
    banner.set_hidden(false);
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

/// Runs an action once things have been quiet for a while: every `schedule` restarts the wait.
/// One closure serves every call, so a cancelled wait leaves nothing behind.
pub struct Debouncer {
    action: Closure<dyn FnMut()>,
    /// The waiting timeout's handle, shared with the action, which clears it when it runs.
    pending: Rc<Cell<Option<i32>>>,
    delay_ms: i32,
}

impl Drop for Debouncer {
    /// A wait still running would call the freed closure: cancel it.
    fn drop(&mut self) {
        if let (Some(handle), Ok(window)) = (self.pending.take(), window()) {
            window.clear_timeout_with_handle(handle);
        }
    }
}

impl Debouncer {
    /// A debouncer that runs `action` `delay_ms` milliseconds after the last `schedule`.
    pub fn new(delay_ms: i32, mut action: impl FnMut() + 'static) -> Self {
        let pending = Rc::new(Cell::new(None));
        let pending_for_action = Rc::clone(&pending);
        let action = Closure::<dyn FnMut()>::new(move || {
            pending_for_action.set(None);
            action();
        });
        Self {
            action,
            pending,
            delay_ms,
        }
    }

    /// Starts the wait again.
    pub fn schedule(&self) -> Result<(), JsValue> {
        let window = window()?;
        if let Some(handle) = self.pending.take() {
            window.clear_timeout_with_handle(handle);
        }
        let handle = window.set_timeout_with_callback_and_timeout_and_arguments_0(
            self.action.as_ref().unchecked_ref(),
            self.delay_ms,
        )?;
        self.pending.set(Some(handle));
        Ok(())
    }
}
