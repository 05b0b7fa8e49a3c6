//! Filling table bodies from rows of text computed by the core.

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

/// Replaces `tbody`'s rows with `rows`; the first cell of each row is a row header. Text is set as
/// text, never as markup.
pub fn fill_rows<const N: usize>(
    doc: &Document,
    tbody: &Element,
    rows: &[[String; N]],
) -> Result<(), JsValue> {
    tbody.set_text_content(None);
    for row in rows {
        let tr = doc.create_element("tr")?;
        for (idx, cell) in row.iter().enumerate() {
            let td = if idx == 0 {
                let th = doc.create_element("th")?;
                th.set_attribute("scope", "row")?;
                th
            } else {
                doc.create_element("td")?
            };
            td.set_text_content(Some(cell));
            tr.append_child(&td)?;
        }
        tbody.append_child(&tr)?;
    }
    Ok(())
}
