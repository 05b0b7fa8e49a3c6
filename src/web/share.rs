//! The "Link" and "Embed" buttons under every figure: a permalink to the figure in the article, and
//! copy-ready iframe code that shows the figure alone with the current settings.

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlElement, HtmlTextAreaElement};

use super::dom::{listen, window};
use super::permalink::address;
use super::App;

/// Extra height given to an iframe beyond the figure's own, for the page's margins, in CSS pixels.
const IFRAME_MARGIN: i32 = 48;

/// Adds the buttons to every figure whose id starts with `fig-`.
pub fn bind(app: &Rc<App>, doc: &Document) -> Result<(), JsValue> {
    let figures = doc.query_selector_all("[id^='fig-']")?;
    for idx in 0..figures.length() {
        let Some(figure) = figures
            .get(idx)
            .and_then(|n| n.dyn_into::<HtmlElement>().ok())
        else {
            continue;
        };
        add_tools(app, doc, &figure)?;
    }
    Ok(())
}

fn add_tools(app: &Rc<App>, doc: &Document, figure: &HtmlElement) -> Result<(), JsValue> {
    let id = figure.id();
    let figure_id = id.trim_start_matches("fig-").to_string();
    let tools = doc.create_element("div")?;
    tools.set_class_name("figure-tools");
    let link = button(doc, "Link", &format!("Link to this figure ({figure_id})"))?;
    let embed = button(
        doc,
        "Embed",
        &format!("Embed this figure ({figure_id}) in another page"),
    )?;
    let panel: HtmlElement = doc.create_element("div")?.dyn_into()?;
    panel.set_class_name("share-panel");
    panel.set_hidden(true);
    let label = doc.create_element("label")?;
    label.set_attribute("for", &format!("{id}-share"))?;
    let code: HtmlTextAreaElement = doc.create_element("textarea")?.dyn_into()?;
    code.set_id(&format!("{id}-share"));
    code.set_read_only(true);
    code.set_rows(3);
    let status = doc.create_element("p")?;
    status.set_class_name("share-status");
    status.set_attribute("role", "status")?;
    panel.append_child(&label)?;
    panel.append_child(&code)?;
    panel.append_child(&status)?;
    tools.append_child(&link)?;
    tools.append_child(&embed)?;
    figure.append_child(&tools)?;
    figure.append_child(&panel)?;

    let title = figure
        .query_selector(".figure-title")?
        .and_then(|t| t.text_content())
        .unwrap_or_else(|| figure.get_attribute("aria-label").unwrap_or_default());
    let share = Share {
        app: Rc::clone(app),
        figure: figure.clone(),
        figure_id,
        title,
        panel,
        label,
        code,
        status,
    };
    let share = Rc::new(share);
    let on_link = Rc::clone(&share);
    listen(&link, "click", move |_| on_link.show(Kind::Link))?;
    let on_embed = Rc::clone(&share);
    listen(&embed, "click", move |_| on_embed.show(Kind::Embed))
}

fn button(doc: &Document, text: &str, label: &str) -> Result<Element, JsValue> {
    let button = doc.create_element("button")?;
    button.set_attribute("type", "button")?;
    button.set_attribute("aria-label", label)?;
    button.set_text_content(Some(text));
    Ok(button)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Link,
    Embed,
}

/// One figure's share panel.
struct Share {
    app: Rc<App>,
    figure: HtmlElement,
    figure_id: String,
    title: String,
    panel: HtmlElement,
    label: Element,
    code: HtmlTextAreaElement,
    status: Element,
}

impl Share {
    fn show(&self, kind: Kind) {
        if let Err(err) = self.try_show(kind) {
            super::dom::show_error(&format!(
                "The share panel could not be filled: {}",
                super::dom::describe(&err)
            ));
        }
    }

    fn try_show(&self, kind: Kind) -> Result<(), JsValue> {
        let state = self.app.state.borrow().clone();
        let (label, text) = match kind {
            Kind::Link => (
                "Link to this figure with its current settings",
                address(&state, None, Some(&self.figure.id()))?,
            ),
            Kind::Embed => {
                let src = address(&state, Some(&self.figure_id), None)?;
                let height = self.figure.offset_height() + IFRAME_MARGIN;
                (
                    "Iframe code for a course page (the figure alone, with its current settings)",
                    format!(
                        "<iframe src=\"{}\" title=\"LoRA Explorer: {}\" width=\"100%\" height=\"{height}\" \
                         style=\"border: 0;\" loading=\"lazy\"></iframe>",
                        escape_attribute(&src),
                        escape_attribute(&self.title)
                    ),
                )
            }
        };
        self.label.set_text_content(Some(label));
        self.code.set_value(&text);
        self.panel.set_hidden(false);
        self.code.select();
        self.status.set_text_content(Some("Copying…"));
        self.copy(&text);
        Ok(())
    }

    /// Copies `text` to the clipboard, saying whether it worked; a refusal is not an error.
    fn copy(&self, text: &str) {
        let status_ok = self.status.clone();
        let status_failed = self.status.clone();
        let copied = Closure::once(move |_: JsValue| {
            status_ok.set_text_content(Some("Copied to the clipboard."));
        });
        let refused = Closure::once(move |_: JsValue| {
            status_failed.set_text_content(Some("Select the text above and copy it."));
        });
        let promise: Option<Promise> = window()
            .ok()
            .map(|w| w.navigator().clipboard().write_text(text));
        match promise {
            Some(promise) => {
                let _ = promise.then2(&copied, &refused);
                // The promise calls one of them once, later; both must outlive this call.
                copied.forget();
                refused.forget();
            }
            None => self
                .status
                .set_text_content(Some("Select the text above and copy it.")),
        }
    }
}

/// Escapes text for an HTML attribute value in double quotes.
fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
