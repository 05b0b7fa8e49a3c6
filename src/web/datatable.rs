//! The "Data table" under each canvas figure: a closed `<details>` that, when opened, shows the
//! numbers behind the drawing, and follows the figure while it stays open.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlDetailsElement};

use super::dom::listen;
use super::Exports;
use crate::figures::tables::Table;
use crate::figures::FigureId;

/// Adds a closed data table to every figure that has one.
pub fn bind(app: &Rc<dyn Exports>, doc: &Document) -> Result<(), JsValue> {
    for figure_id in FigureId::ALL.into_iter().filter(|&f| app.has_table(f)) {
        let Some(figure) = doc.get_element_by_id(&figure_id.element_id()) else {
            continue;
        };
        let details: HtmlDetailsElement = doc.create_element("details")?.dyn_into()?;
        details.set_class_name("data-table");
        details.set_id(&data_id(figure_id));
        let summary = doc.create_element("summary")?;
        summary.set_text_content(Some("Data table"));
        details.append_child(&summary)?;
        let body = doc.create_element("div")?;
        body.set_class_name("table-scroll");
        // A table wider than the screen scrolls: keyboard users reach it with Tab.
        body.set_attribute("tabindex", "0")?;
        body.set_attribute("role", "region")?;
        body.set_attribute("aria-label", "Data table")?;
        details.append_child(&body)?;
        // Before the share tools, so the table sits with the figure's own content.
        let tools = figure.query_selector(".figure-tools")?;
        figure.insert_before(&details, tools.as_ref().map(|t| t as &web_sys::Node))?;
        let on_toggle = Rc::clone(app);
        listen(&details, "toggle", move |_| {
            refresh(&*on_toggle, &[figure_id])
        })?;
    }
    Ok(())
}

/// Refills the open data tables of `figure_ids` from the current state.
pub fn refresh(app: &dyn Exports, figure_ids: &[FigureId]) {
    let Ok(doc) = super::dom::document() else {
        return;
    };
    for &figure_id in figure_ids {
        let Some(details) = doc
            .get_element_by_id(&data_id(figure_id))
            .and_then(|e| e.dyn_into::<HtmlDetailsElement>().ok())
        else {
            continue;
        };
        if !details.open() {
            continue;
        }
        let tables = app.tables(figure_id);
        if let Err(err) = fill(&doc, &details, &tables) {
            super::dom::show_error(&format!(
                "A data table could not be filled: {}",
                super::dom::describe(&err)
            ));
        }
    }
}

/// The id of `figure`'s data table.
fn data_id(figure: FigureId) -> String {
    format!("{}-data", figure.element_id())
}

/// Fills `container`'s `.table-scroll` (or `container` itself, if it is one) with `tables`.
pub fn fill(doc: &Document, container: &Element, tables: &[Table]) -> Result<(), JsValue> {
    let body = if container.class_list().contains("table-scroll") {
        container.clone()
    } else {
        match container.query_selector(".table-scroll")? {
            Some(body) => body,
            None => return Ok(()),
        }
    };
    body.set_text_content(None);
    if tables.is_empty() {
        let note = doc.create_element("p")?;
        note.set_text_content(Some("The numbers are still being computed."));
        body.append_child(&note)?;
    }
    for table in tables {
        let element = table_element(doc, table)?;
        body.append_child(&element)?;
    }
    Ok(())
}

fn table_element(doc: &Document, table: &Table) -> Result<Element, JsValue> {
    let element = doc.create_element("table")?;
    element.set_class_name("numbers");
    let caption = doc.create_element("caption")?;
    caption.set_text_content(Some(&table.caption));
    element.append_child(&caption)?;
    let head = doc.create_element("thead")?;
    let row = doc.create_element("tr")?;
    for cell in &table.header {
        let th = doc.create_element("th")?;
        th.set_attribute("scope", "col")?;
        th.set_text_content(Some(cell));
        row.append_child(&th)?;
    }
    head.append_child(&row)?;
    element.append_child(&head)?;
    let tbody = doc.create_element("tbody")?;
    for cells in &table.rows {
        let tr = doc.create_element("tr")?;
        for (idx, cell) in cells.iter().enumerate() {
            let td = doc.create_element(if idx == 0 { "th" } else { "td" })?;
            if idx == 0 {
                td.set_attribute("scope", "row")?;
            }
            td.set_text_content(Some(cell));
            tr.append_child(&td)?;
        }
        tbody.append_child(&tr)?;
    }
    element.append_child(&tbody)?;
    Ok(element)
}
