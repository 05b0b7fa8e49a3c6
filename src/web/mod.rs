//! The browser layer: the only module that touches web-sys and wasm-bindgen.
//!
//! It reads the page's inputs into [`PageState`], asks the core for each figure's content and paints
//! it. Heatmaps are painted from RGBA buffers through `ImageData` onto a small canvas of one pixel a
//! cell, then scaled up without smoothing onto the visible canvas sized to the device's pixel ratio.
//! Controls are found by their `data-key` attribute, which names the state key they drive.

mod dom;
mod factorisation;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, HtmlInputElement, HtmlSelectElement};

use crate::state::{Applied, PageState};
use dom::{document, listen, show_error};
use factorisation::FactorisationView;

/// Starts the page: installs the panic banner, binds every control and paints every figure.
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        show_error(&format!("LoRA Explorer stopped: {info}"))
    }));
    let result = document().and_then(|doc| mount(&doc));
    if let Err(err) = result {
        show_error(&format!(
            "LoRA Explorer could not start: {}",
            dom::describe(&err)
        ));
    }
}

/// Shows `message` in the page's error banner, as a panic or a failed draw does.
pub fn report_error(message: &str) {
    show_error(message);
}

/// The running page: its state and one view per figure.
pub struct App {
    doc: Document,
    state: RefCell<PageState>,
    factorisation: RefCell<FactorisationView>,
}

/// Binds the controls and figures found in `doc` and paints them. Returns the running page.
pub fn mount(doc: &Document) -> Result<Rc<App>, JsValue> {
    dom::listen_for_errors()?;
    let app = Rc::new(App {
        doc: doc.clone(),
        state: RefCell::new(PageState::default()),
        factorisation: RefCell::new(FactorisationView::new(doc)?),
    });
    let controls = doc.query_selector_all("[data-key]")?;
    for idx in 0..controls.length() {
        let Some(control) = controls.get(idx).and_then(|n| n.dyn_into::<Element>().ok()) else {
            continue;
        };
        let app_for_input = Rc::clone(&app);
        listen(&control, "input", move |event: Event| {
            if let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) {
                app_for_input.on_control(&target);
            }
        })?;
    }
    FactorisationView::bind(&app)?;
    let window = dom::window()?;
    let app_for_resize = Rc::clone(&app);
    listen(&window, "resize", move |_| {
        app_for_resize.measure();
        app_for_resize.render_all();
    })?;
    app.sync_controls();
    app.measure();
    app.render_all();
    Ok(app)
}

impl App {
    /// A control moved: store its value, bring every control in line with the state, repaint.
    fn on_control(&self, control: &Element) {
        let Some(key) = control.get_attribute("data-key") else {
            return;
        };
        let raw = control_value(control);
        let applied = self.state.borrow_mut().set(&key, &raw);
        match applied {
            Ok(Applied::AsGiven | Applied::Clamped { .. }) => {}
            Err(err) => show_error(&err.to_string()),
        }
        self.sync_controls();
        self.render_all();
    }

    /// Writes the state into every control: values, current bounds and the printed values.
    fn sync_controls(&self) {
        let state = self.state.borrow();
        for key in state.keys() {
            let Some(value) = state.get(key) else {
                continue;
            };
            let Some(element) = self.doc.get_element_by_id(key) else {
                continue;
            };
            if let Some(input) = element.dyn_ref::<HtmlInputElement>() {
                if input.type_() == "checkbox" {
                    input.set_checked(value == "1");
                } else {
                    if let Some(bounds) = state.bounds(key) {
                        input.set_min(&bounds.min.to_string());
                        input.set_max(&bounds.max.to_string());
                    }
                    if input.value() != value {
                        input.set_value(&value);
                    }
                }
            } else if let Some(select) = element.dyn_ref::<HtmlSelectElement>() {
                select.set_value(&value);
            }
            if let Some(output) = self.doc.get_element_by_id(&format!("{key}-out")) {
                output.set_text_content(Some(&value));
            }
        }
    }

    /// Measures the room every figure has; layout is read here and nowhere else.
    fn measure(&self) {
        self.factorisation.borrow_mut().measure();
    }

    /// Repaints every figure from the state.
    fn render_all(&self) {
        let state = self.state.borrow();
        if let Err(err) = self.factorisation.borrow_mut().render(&state.factorisation) {
            show_error(&format!(
                "The factorisation figure could not be drawn: {}",
                dom::describe(&err)
            ));
        }
    }
}

/// The text value of an input or select; "1" or "0" for a checkbox.
fn control_value(control: &Element) -> String {
    if let Some(input) = control.dyn_ref::<HtmlInputElement>() {
        if input.type_() == "checkbox" {
            return if input.checked() { "1" } else { "0" }.to_string();
        }
        return input.value();
    }
    if let Some(select) = control.dyn_ref::<HtmlSelectElement>() {
        return select.value();
    }
    String::new()
}
