//! What every chapter's page does the same way: read the state from the address, bind each
//! `data-key` control to it, keep the controls and the address in line with it, follow the theme,
//! add the share buttons and data tables, and repaint through the chapter's [`ChapterView`].
//! Chapter 1 has a page of its own (`App`, with its workers and sections) and shares the helpers.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, HtmlInputElement, HtmlSelectElement, MessageEvent};

use super::channel::Handlers;
use super::dom::{self, describe, document, listen, show_error};
use super::{datatable, permalink, share, Exports};
use crate::export::Download;
use crate::figures::tables::Table;
use crate::figures::FigureId;
use crate::permalink::to_query;
use crate::render::charts::Theme;
use crate::state::{ChapterState, ThemeChoice};

/// A chapter's figures: found once, repainted from the state.
pub trait ChapterView: Sized + 'static {
    /// The chapter's controls.
    type State: ChapterState;

    /// Finds the chapter's elements in `doc`.
    fn new(doc: &Document) -> Result<Self, JsValue>;

    /// Repaints for `state` what control `changed` affects (everything when None) in `theme`.
    fn render(
        &mut self,
        state: &Self::State,
        theme: &Theme,
        changed: Option<&str>,
    ) -> Result<(), JsValue>;

    /// Readies the view to show `figure` alone, the rest of the page already hidden.
    fn embed(&mut self, _figure: FigureId) -> Result<(), JsValue> {
        Ok(())
    }

    /// Reads the room the figures have; called on mount and on resize, never on input.
    fn measure(&mut self) {}

    /// Listeners of the view's own (buttons, pointing), given the running page.
    fn bind(_page: &Rc<ChapterPage<Self>>) -> Result<(), JsValue> {
        Ok(())
    }

    /// Whether `figure` offers CSV files.
    fn has_csv(_figure: FigureId) -> bool {
        false
    }

    /// The CSV files of `figure` at `state`.
    fn downloads(&self, _state: &Self::State, _figure: FigureId) -> Vec<Download> {
        Vec::new()
    }

    /// The PEFT `LoraConfig` of `figure` at `state`, if it has one.
    fn peft(&self, _state: &Self::State, _figure: FigureId) -> Option<String> {
        None
    }

    /// Whether `figure` has a data table.
    fn has_table(_figure: FigureId) -> bool {
        false
    }

    /// The data tables of `figure` at `state`.
    fn tables(&self, _state: &Self::State, _figure: FigureId) -> Vec<Table> {
        Vec::new()
    }
}

/// A running chapter page: its state, its view and its address.
pub struct ChapterPage<V: ChapterView> {
    /// The page's document.
    pub doc: Document,
    /// Every control's value.
    pub state: RefCell<V::State>,
    /// The figures.
    pub view: RefCell<V>,
    url: permalink::UrlWriter,
    theme: Cell<Theme>,
}

/// Starts chapter page `V`: the panic banner, the controls, the figures.
pub fn start<V: ChapterView>() {
    std::panic::set_hook(Box::new(|info| dom::show_stopped(&info.to_string())));
    if let Err(err) = document().and_then(|doc| mount::<V>(&doc)) {
        show_error(&format!(
            "LoRA Explorer could not start: {}",
            describe(&err)
        ));
    }
}

/// Binds the controls and figures of `doc` to view `V` and paints them.
pub fn mount<V: ChapterView>(doc: &Document) -> Result<Rc<ChapterPage<V>>, JsValue> {
    dom::listen_for_errors()?;
    let parsed = permalink::read::<V::State>()?;
    let mut notices = parsed.notices;
    let embed = permalink::embedded(doc, parsed.embed, &mut notices)?;
    permalink::show_notices(doc, &notices);
    let page = Rc::new(ChapterPage {
        doc: doc.clone(),
        state: RefCell::new(parsed.state),
        view: RefCell::new(V::new(doc)?),
        url: permalink::UrlWriter::new(embed),
        theme: Cell::new(Theme::light()),
    });
    if let Some(figure) = embed {
        page.view.borrow_mut().embed(figure)?;
    }
    for control in dom::elements::<Element>(&doc.query_selector_all("[data-key]")?) {
        let on_input = Rc::clone(&page);
        listen(&control, "input", move |event: Event| {
            if let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) {
                on_input.on_control(&target);
            }
        })?;
    }
    V::bind(&page)?;
    let exports: Rc<dyn Exports> = page.clone();
    share::bind(&exports, doc)?;
    datatable::bind(&exports, doc)?;
    if let Some(figure) = embed {
        permalink::report_height(doc, figure)?;
    }
    let window = dom::window()?;
    if let Some(query) = window.match_media("(prefers-color-scheme: dark)")? {
        let on_scheme = Rc::clone(&page);
        listen(&query, "change", move |_| on_scheme.repaint(None))?;
    }
    let on_resize = Rc::clone(&page);
    listen(&window, "resize", move |_| {
        on_resize.view.borrow_mut().measure();
        on_resize.repaint(None);
    })?;
    sync_controls(doc, &*page.state.borrow(), |_| true);
    page.view.borrow_mut().measure();
    page.repaint(None);
    Ok(page)
}

impl<V: ChapterView> ChapterPage<V> {
    /// A worker's handlers for this page: `on_message` gets each message's data, `on_error` runs
    /// when the worker fails to load or throws. Neither keeps the page alive.
    pub fn worker_handlers(
        self: &Rc<Self>,
        on_message: impl Fn(&Rc<Self>, &JsValue) + 'static,
        on_error: impl Fn(&Rc<Self>) + 'static,
    ) -> Handlers {
        let answering = Rc::downgrade(self);
        let message = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            if let Some(page) = answering.upgrade() {
                on_message(&page, &message.data());
            }
        });
        let failing = Rc::downgrade(self);
        let error = Closure::<dyn FnMut(Event)>::new(move |_| {
            if let Some(page) = failing.upgrade() {
                on_error(&page);
            }
        });
        Handlers {
            message: message.into_js_value().unchecked_into(),
            error: error.into_js_value().unchecked_into(),
        }
    }

    /// Calls `wake` on the view when the element `id` comes near the viewport (see
    /// [`dom::when_near`]), saying so if it fails.
    pub fn wake_when_near(
        self: &Rc<Self>,
        id: &str,
        wake: impl FnOnce(&mut V) -> Result<(), JsValue> + 'static,
    ) -> Result<(), JsValue> {
        let waking = Rc::downgrade(self);
        dom::when_near(&dom::by_id(&self.doc, id)?, move || {
            if let Some(page) = waking.upgrade() {
                if let Err(err) = wake(&mut page.view.borrow_mut()) {
                    show_error(&format!(
                        "The background worker could not start: {}",
                        describe(&err)
                    ));
                }
            }
        })
    }

    /// A control moved: store its value, bring the controls and the address in line, repaint.
    fn on_control(&self, control: &Element) {
        let Some(key) = control.get_attribute("data-key") else {
            return;
        };
        let applied = self.state.borrow_mut().set(&key, &control_value(control));
        if let Err(err) = applied {
            show_error(&format!("{err}."));
        }
        if let Err(err) = self.url.schedule(&*self.state.borrow()) {
            show_error(&format!(
                "The address could not be updated: {}",
                describe(&err)
            ));
        }
        sync_controls(&self.doc, &*self.state.borrow(), |_| true);
        self.repaint(Some(&key));
    }

    /// Repaints what control `changed` affects (everything when None; the theme repaints all).
    pub fn repaint(&self, changed: Option<&str>) {
        let changed = changed.filter(|key| *key != "pt");
        if changed.is_none() {
            let choice = theme_choice(&*self.state.borrow());
            match apply_theme(&self.doc, choice) {
                Ok(theme) => self.theme.set(theme),
                Err(err) => show_error(&format!(
                    "The theme could not be applied: {}",
                    describe(&err)
                )),
            }
        }
        let state = self.state.borrow();
        let result = self
            .view
            .borrow_mut()
            .render(&state, &self.theme.get(), changed);
        if let Err(err) = result {
            show_error(&format!("A figure could not be drawn: {}", describe(&err)));
        }
        drop(state);
        let tabled: Vec<FigureId> = FigureId::ALL
            .into_iter()
            .filter(|&f| V::has_table(f))
            .collect();
        datatable::refresh(self, &tabled);
    }
}

impl<V: ChapterView> Exports for ChapterPage<V> {
    fn query(&self, embed: Option<FigureId>) -> String {
        to_query(&*self.state.borrow(), embed.map(FigureId::as_str))
    }

    fn has_csv(&self, figure: FigureId) -> bool {
        V::has_csv(figure)
    }

    fn downloads(&self, figure: FigureId) -> Vec<Download> {
        self.view.borrow().downloads(&self.state.borrow(), figure)
    }

    fn peft(&self, figure: FigureId) -> Option<String> {
        self.view.borrow().peft(&self.state.borrow(), figure)
    }

    fn has_table(&self, figure: FigureId) -> bool {
        V::has_table(figure)
    }

    fn tables(&self, figure: FigureId) -> Vec<Table> {
        self.view.borrow().tables(&self.state.borrow(), figure)
    }
}

/// The theme the reader chose in `state`'s `pt` control; "auto" when the chapter has none.
fn theme_choice(state: &impl ChapterState) -> ThemeChoice {
    state
        .get("pt")
        .and_then(|name| ThemeChoice::from_name(&name))
        .unwrap_or(ThemeChoice::Auto)
}

/// Sets the page's theme from the reader's `choice` and the system's preference; returns the
/// charts' colours for it.
pub fn apply_theme(doc: &Document, choice: ThemeChoice) -> Result<Theme, JsValue> {
    let prefers_dark = dom::window()?
        .match_media("(prefers-color-scheme: dark)")?
        .is_some_and(|query| query.matches());
    let dark = choice.is_dark(prefers_dark);
    if let Some(root) = doc.document_element() {
        root.set_attribute("data-theme", if dark { "dark" } else { "light" })?;
    }
    Ok(if dark { Theme::dark() } else { Theme::light() })
}

/// Writes `state` into the controls whose keys `include` accepts: values, current bounds,
/// aria-valuetext and printed values. Only what differs is written, so unchanged controls cost no
/// style work.
pub fn sync_controls(doc: &Document, state: &impl ChapterState, include: impl Fn(&str) -> bool) {
    for key in state.keys() {
        if !include(key) {
            continue;
        }
        let Some(value) = state.get(key) else {
            continue;
        };
        let Some(element) = doc.get_element_by_id(key) else {
            continue;
        };
        if let Some(input) = element.dyn_ref::<HtmlInputElement>() {
            if input.type_() == "checkbox" {
                input.set_checked(value == "1");
            } else {
                if let Some(bounds) = state.bounds(key) {
                    let (min, max) = (bounds.min.to_string(), bounds.max.to_string());
                    if input.min() != min {
                        input.set_min(&min);
                    }
                    if input.max() != max {
                        input.set_max(&max);
                    }
                }
                if input.value() != value {
                    input.set_value(&value);
                }
                if let Some(text) = state.value_text(key) {
                    if input.get_attribute("aria-valuetext").as_deref() != Some(text.as_str()) {
                        let _ = input.set_attribute("aria-valuetext", &text);
                    }
                }
            }
        } else if let Some(select) = element.dyn_ref::<HtmlSelectElement>() {
            if select.value() != value {
                select.set_value(&value);
            }
        }
        if let Some(output) = doc.get_element_by_id(&format!("{key}-out")) {
            if output.text_content().as_deref() != Some(value.as_str()) {
                output.set_text_content(Some(&value));
            }
        }
    }
}

/// The text value of an input or select; "1" or "0" for a checkbox.
pub fn control_value(control: &Element) -> String {
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
