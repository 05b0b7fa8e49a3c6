//! Filling table bodies from rows of text computed by the core.

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

/// Replaces `tbody`'s rows with `rows`; the first cell of each row is a row header. Text is set as
/// text, never as markup. Each data cell carries its column's header in `data-label`, so that a
/// narrow screen can show a row as a labelled card.
pub fn fill_rows<const N: usize>(
    doc: &Document,
    tbody: &Element,
    rows: &[[String; N]],
) -> Result<(), JsValue> {
    let headers = tbody
        .parent_element()
        .map(|table| table.query_selector_all("thead th"))
        .transpose()?;
    let header = |idx: usize| {
        headers
            .as_ref()
            .and_then(|list| list.get(idx as u32))
            .and_then(|node| node.text_content())
    };
    tbody.set_text_content(None);
    for row in rows {
        let tr = doc.create_element("tr")?;
        for (idx, cell) in row.iter().enumerate() {
            let td = if idx == 0 {
                let th = doc.create_element("th")?;
                th.set_attribute("scope", "row")?;
                th
            } else {
                let td = doc.create_element("td")?;
                if let Some(label) = header(idx) {
                    td.set_attribute("data-label", &label)?;
                }
                td
            };
            td.set_text_content(Some(cell));
            tr.append_child(&td)?;
        }
        tbody.append_child(&tr)?;
    }
    Ok(())
}
