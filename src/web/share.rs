//! The buttons under every figure: "Link" (a permalink to the figure in the article), "Embed"
//! (copy-ready iframe code that shows the figure alone with the current settings), and where the
//! figure has them, "PNG" (the figure's drawings at the screen's pixel density), "CSV" (its
//! matrices) and "PEFT" (its rank and α as a Hugging Face `LoraConfig`).

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlCanvasElement, HtmlElement, HtmlTextAreaElement};

use super::dom::{document, elements, listen, window};
use super::paint::context;
use super::permalink::address;
use super::Exports;
use crate::export::csv_texts;
use crate::figures::FigureId;
use crate::permalink::iframe_snippet;

/// Extra height given to an iframe beyond the figure's own, for the page's margins, in CSS pixels.
const IFRAME_MARGIN: i32 = 48;

/// Adds the buttons to every figure on the page.
pub fn bind(app: &Rc<dyn Exports>, doc: &Document) -> Result<(), JsValue> {
    for figure_id in FigureId::ALL {
        let Some(figure) = doc
            .get_element_by_id(&figure_id.element_id())
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        else {
            continue;
        };
        add_tools(app, doc, figure_id, &figure)?;
    }
    Ok(())
}

fn add_tools(
    app: &Rc<dyn Exports>,
    doc: &Document,
    figure_id: FigureId,
    figure: &HtmlElement,
) -> Result<(), JsValue> {
    let id = figure.id();
    let name = figure_id.as_str();
    let tools = doc.create_element("div")?;
    tools.set_class_name("figure-tools");
    let link = button(doc, "Link", &format!("Link to this figure ({name})"))?;
    let embed = button(
        doc,
        "Embed",
        &format!("Embed this figure ({name}) in another page"),
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
    let files = doc.create_element("ul")?;
    files.set_class_name("share-files");
    panel.append_child(&label)?;
    panel.append_child(&code)?;
    panel.append_child(&files)?;
    panel.append_child(&status)?;
    tools.append_child(&link)?;
    tools.append_child(&embed)?;
    let mut extra = Vec::new();
    if figure.query_selector("canvas")?.is_some() {
        extra.push((
            Kind::Png,
            button(doc, "PNG", &format!("PNG of this figure ({name})"))?,
        ));
    }
    if app.has_csv(figure_id) {
        extra.push((
            Kind::Csv,
            button(
                doc,
                "CSV",
                &format!("CSV of this figure's numbers ({name})"),
            )?,
        ));
    }
    if app.peft(figure_id).is_some() {
        extra.push((
            Kind::Peft,
            button(
                doc,
                "PEFT",
                &format!("PEFT LoraConfig for this figure ({name})"),
            )?,
        ));
    }
    for (_, button) in &extra {
        tools.append_child(button)?;
    }
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
        files,
        status,
    };
    let share = Rc::new(share);
    let on_link = Rc::clone(&share);
    listen(&link, "click", move |_| on_link.show(Kind::Link))?;
    let on_embed = Rc::clone(&share);
    listen(&embed, "click", move |_| on_embed.show(Kind::Embed))?;
    for (kind, button) in extra {
        let on_click = Rc::clone(&share);
        listen(&button, "click", move |_| on_click.show(kind))?;
    }
    Ok(())
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
    Png,
    Csv,
    Peft,
}

/// One figure's share panel.
struct Share {
    app: Rc<dyn Exports>,
    figure: HtmlElement,
    figure_id: FigureId,
    title: String,
    panel: HtmlElement,
    label: Element,
    code: HtmlTextAreaElement,
    files: Element,
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
        self.files.set_text_content(None);
        let (label, text) = match kind {
            Kind::Png => return self.download_png(),
            Kind::Csv => return self.list_csv(),
            Kind::Peft => (
                "Hugging Face PEFT configuration with this figure's rank and α",
                self.app.peft(self.figure_id).unwrap_or_default(),
            ),
            Kind::Link => (
                "Link to this figure with its current settings",
                address(&self.app.query(None), Some(&self.figure.id()))?,
            ),
            Kind::Embed => {
                let src = address(&self.app.query(Some(self.figure_id)), None)?;
                let height = self.figure.offset_height() + IFRAME_MARGIN;
                (
                    "Iframe code for a course page (the figure alone, with its current settings)",
                    iframe_snippet(&src, &self.title, height),
                )
            }
        };
        self.label.set_text_content(Some(label));
        self.code.set_hidden(false);
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

impl Share {
    /// Lists the figure's CSV files as download links.
    fn list_csv(&self) -> Result<(), JsValue> {
        let files = self.app.downloads(self.figure_id);
        let (label, note) = csv_texts(&files);
        let doc = document()?;
        self.label.set_text_content(Some(label));
        self.code.set_hidden(true);
        for file in &files {
            let item = doc.create_element("li")?;
            let link = doc.create_element("a")?;
            let href = format!(
                "data:text/csv;charset=utf-8,{}",
                String::from(js_sys::encode_uri_component(&file.text))
            );
            link.set_attribute("href", &href)?;
            link.set_attribute("download", &file.name)?;
            link.set_text_content(Some(&file.name));
            item.append_child(&link)?;
            self.files.append_child(&item)?;
        }
        self.status.set_text_content(Some(note));
        self.panel.set_hidden(false);
        Ok(())
    }

    /// Downloads the figure's drawings, titles and labels as one PNG at the screen's pixel density.
    fn download_png(&self) -> Result<(), JsValue> {
        let url = figure_png(&self.figure)?;
        let doc = document()?;
        let link: HtmlElement = doc.create_element("a")?.dyn_into()?;
        link.set_attribute("href", &url)?;
        link.set_attribute(
            "download",
            &format!("lora-explorer-{}.png", self.figure_id.as_str()),
        )?;
        link.click();
        self.label.set_text_content(Some("PNG"));
        self.code.set_hidden(true);
        self.status
            .set_text_content(Some("The PNG was handed to the browser to download."));
        self.panel.set_hidden(false);
        Ok(())
    }
}

/// Margin around an exported figure, and the room its title takes, in CSS pixels.
const PNG_MARGIN: f64 = 16.0;
const PNG_TITLE_ROOM: f64 = 32.0;

/// Draws `figure`'s title, then its canvases and their labels as they sit on screen (the controls
/// between are left out), at the device's pixel density; returns the image as a PNG data URL.
fn figure_png(figure: &HtmlElement) -> Result<String, JsValue> {
    let doc = document()?;
    let window = window()?;
    let dpr = window.device_pixel_ratio().max(1.0);
    let style = |element: &Element, property: &str| -> String {
        window
            .get_computed_style(element)
            .ok()
            .flatten()
            .and_then(|s| s.get_property_value(property).ok())
            .unwrap_or_default()
    };
    let items = figure.query_selector_all("canvas, .heatmap-label, .operator, .colour-bar-end")?;
    let mut drawn: Vec<(HtmlElement, web_sys::DomRect)> = Vec::new();
    for item in elements::<HtmlElement>(&items) {
        let rect = item.get_bounding_client_rect();
        if rect.width() > 0.0 && rect.height() > 0.0 {
            drawn.push((item, rect));
        }
    }
    let left = drawn
        .iter()
        .map(|(_, r)| r.left())
        .fold(f64::INFINITY, f64::min);
    let top = drawn
        .iter()
        .map(|(_, r)| r.top())
        .fold(f64::INFINITY, f64::min);
    let right = drawn.iter().map(|(_, r)| r.right()).fold(0.0, f64::max);
    let bottom = drawn.iter().map(|(_, r)| r.bottom()).fold(0.0, f64::max);
    if drawn.is_empty() {
        return Err(JsValue::from_str("the figure has nothing drawn to export"));
    }
    let title = figure.query_selector(".figure-title")?;
    let width = (right - left + 2.0 * PNG_MARGIN).max(480.0);
    let height = bottom - top + 2.0 * PNG_MARGIN + PNG_TITLE_ROOM;
    let out: HtmlCanvasElement = doc.create_element("canvas")?.dyn_into()?;
    out.set_width((width * dpr).round() as u32);
    out.set_height((height * dpr).round() as u32);
    let ctx = context(&out)?;
    ctx.scale(dpr, dpr)?;
    ctx.set_fill_style_str(&style(figure, "background-color"));
    ctx.fill_rect(0.0, 0.0, width, height);
    ctx.set_text_baseline("top");
    if let Some(title) = title {
        ctx.set_font(&style(&title, "font"));
        ctx.set_fill_style_str(&style(&title, "color"));
        ctx.fill_text(
            &title.text_content().unwrap_or_default(),
            PNG_MARGIN,
            PNG_MARGIN,
        )?;
    }
    let (dx, dy) = (PNG_MARGIN - left, PNG_MARGIN + PNG_TITLE_ROOM - top);
    for (item, rect) in &drawn {
        if let Some(canvas) = item.dyn_ref::<HtmlCanvasElement>() {
            // Heatmaps hold one pixel a cell: keep their cells sharp; charts are full size.
            ctx.set_image_smoothing_enabled(style(item, "image-rendering") != "pixelated");
            ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
                canvas,
                rect.x() + dx,
                rect.y() + dy,
                rect.width(),
                rect.height(),
            )?;
        } else {
            ctx.set_font(&style(item, "font"));
            ctx.set_fill_style_str(&style(item, "color"));
            ctx.fill_text(
                &item.text_content().unwrap_or_default(),
                rect.x() + dx,
                rect.y() + dy,
            )?;
        }
    }
    out.to_data_url()
}
