//! Browser-layer tests, run by wasm-bindgen-test in headless Chromium: the page's own markup is
//! mounted, controls are moved, and the canvases are checked against the core's numbers.
#![cfg(target_arch = "wasm32")]
// Test helpers fail loudly: a missing element is the test failing.
#![allow(clippy::unwrap_used)]

use lora_explorer::figures::factorisation::FactorisationFigure;
use lora_explorer::state::FactorisationState;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{CanvasRenderingContext2d, Document, Event, HtmlCanvasElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// The page's real markup.
const PAGE: &str = include_str!("../www/index.html");

thread_local! {
    /// The page the previous test mounted, taken down before the next one mounts.
    static MOUNTED: std::cell::RefCell<Option<std::rc::Rc<lora_explorer::web::App>>> =
        const { std::cell::RefCell::new(None) };
}

/// Puts the explainer's markup into the test page (replacing the previous test's copy, and leaving
/// the test runner's own output alone) and mounts the browser layer on it, after taking down the
/// previous test's page: its listeners and workers do not pile up.
fn mount_page() -> Document {
    if let Some(previous) = MOUNTED.with(|mounted| mounted.borrow_mut().take()) {
        lora_explorer::web::unmount(previous);
    }
    let doc = web_sys::window().unwrap().document().unwrap();
    if let Some(previous) = doc.get_element_by_id("explainer-under-test") {
        previous.remove();
    }
    let body = PAGE
        .split("<body>")
        .nth(1)
        .unwrap()
        .split("</body>")
        .next()
        .unwrap();
    let container = doc.create_element("div").unwrap();
    container.set_id("explainer-under-test");
    container.set_inner_html(body);
    doc.body().unwrap().append_child(&container).unwrap();
    let app = lora_explorer::web::mount(&doc).unwrap();
    MOUNTED.with(|mounted| *mounted.borrow_mut() = Some(app));
    doc
}

fn input(doc: &Document, id: &str) -> HtmlInputElement {
    doc.get_element_by_id(id).unwrap().dyn_into().unwrap()
}

/// Sets a slider as a reader would and fires its input event.
fn slide(doc: &Document, id: &str, value: &str) {
    let slider = input(doc, id);
    slider.set_value(value);
    slider
        .dispatch_event(&Event::new("input").unwrap())
        .unwrap();
}

fn text(doc: &Document, id: &str) -> String {
    doc.get_element_by_id(id)
        .unwrap()
        .text_content()
        .unwrap_or_default()
}

/// The RGBA of the pixel at the centre of cell (row, col) of a heatmap canvas.
fn cell_pixel(doc: &Document, id: &str, rows: u32, cols: u32, row: u32, col: u32) -> Vec<u8> {
    let canvas: HtmlCanvasElement = doc.get_element_by_id(id).unwrap().dyn_into().unwrap();
    let ctx: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    let x = (f64::from(col) + 0.5) * f64::from(canvas.width()) / f64::from(cols);
    let y = (f64::from(row) + 0.5) * f64::from(canvas.height()) / f64::from(rows);
    ctx.get_image_data(x.floor(), y.floor(), 1.0, 1.0)
        .unwrap()
        .data()
        .to_vec()
}

#[wasm_bindgen_test]
fn mounting_paints_the_notebook_example() {
    let doc = mount_page();
    assert!(text(&doc, "f-count-1").contains("= 16 parameters"));
    assert!(text(&doc, "f-count-3").contains("1.0×"));
    assert_eq!(text(&doc, "f-label-b"), "B · 4×2");
    // Every heatmap's cells carry the colours the core computed.
    let figure = FactorisationFigure::new(&FactorisationState::default());
    for (row, col) in [(0, 0), (3, 2), (1, 3)] {
        let want = figure.colours.colour(figure.matrices.w0[(row, col)]);
        let got = cell_pixel(&doc, "f-heat-w0", 4, 4, row as u32, col as u32);
        assert_eq!(
            got,
            vec![want.r, want.g, want.b, 255],
            "W0 cell ({row}, {col})"
        );
    }
}

#[wasm_bindgen_test]
fn sliders_resize_the_matrices_and_clamp_the_rank() {
    let doc = mount_page();
    slide(&doc, "fd", "40");
    slide(&doc, "fk", "30");
    slide(&doc, "fr", "30");
    assert_eq!(text(&doc, "f-label-w0"), "W₀ · 40×30");
    assert_eq!(text(&doc, "f-label-a"), "A · 30×30");
    assert_eq!(input(&doc, "fr").max(), "30");
    // Shrinking k below the rank pulls the rank down, on the slider and in the figure.
    slide(&doc, "fk", "6");
    assert_eq!(input(&doc, "fr").value(), "6");
    assert_eq!(text(&doc, "fr-out"), "6");
    assert_eq!(text(&doc, "f-label-b"), "B · 40×6");
    assert!(text(&doc, "f-count-2").contains("6·(40 + 6) = 276"));
}

#[wasm_bindgen_test]
fn at_initialisation_b_paints_as_zero() {
    let doc = mount_page();
    let toggle = input(&doc, "fi");
    toggle.set_checked(true);
    toggle
        .dispatch_event(&Event::new("input").unwrap())
        .unwrap();
    let mut state = FactorisationState::figure();
    state.at_init = true;
    let zero = FactorisationFigure::new(&state).colours.colour(0.0);
    for (row, col) in [(0, 0), (3, 1)] {
        assert_eq!(
            cell_pixel(&doc, "f-heat-b", 4, 2, row, col),
            vec![zero.r, zero.g, zero.b, 255]
        );
    }
    assert!(text(&doc, "f-caption").starts_with("At initialisation"));
}

#[wasm_bindgen_test]
fn errors_reach_the_banner() {
    let doc = mount_page();
    lora_explorer::web::report_error("Test message.");
    let banner = doc.get_element_by_id("error-banner").unwrap();
    assert!(!banner.has_attribute("hidden"));
    assert!(banner.text_content().unwrap().starts_with("Test message."));
}

#[wasm_bindgen_test]
fn a_stopped_page_switches_its_controls_off_and_offers_a_reload() {
    let doc = mount_page();
    lora_explorer::web::report_error("An earlier message.");
    lora_explorer::web::report_stopped("a test panic at src/somewhere.rs:1:1");
    let banner = doc.get_element_by_id("error-banner").unwrap();
    assert!(!banner.has_attribute("hidden"));
    let said = banner.text_content().unwrap();
    assert!(
        said.starts_with("LoRA Explorer stopped because of an internal error"),
        "{said}"
    );
    // The reader sees no Rust location; the link reloads without the stopped module.
    assert!(!said.contains("src/"), "{said}");
    let link = banner.query_selector("a").unwrap().unwrap();
    assert_eq!(link.text_content().unwrap(), "Reload the page");
    assert!(link.get_attribute("href").unwrap().starts_with("http"));
    let controls = doc
        .query_selector_all("#explainer-under-test input, #explainer-under-test select")
        .unwrap();
    assert!(controls.length() > 20);
    for idx in 0..controls.length() {
        let control: web_sys::Element = controls.get(idx).unwrap().dyn_into().unwrap();
        assert!(control.has_attribute("disabled"), "{}", control.id());
    }
}

#[wasm_bindgen_test]
fn an_unmounted_page_no_longer_answers_its_controls() {
    let doc = mount_page();
    let app = MOUNTED.with(|mounted| mounted.borrow_mut().take()).unwrap();
    lora_explorer::web::unmount(app);
    slide(&doc, "fd", "8");
    assert!(
        text(&doc, "f-count-1").contains("4·4 = 16"),
        "{}",
        text(&doc, "f-count-1")
    );
}

#[wasm_bindgen_test]
fn every_section_paints_on_mount() {
    let doc = mount_page();
    let rows = |id: &str| {
        doc.query_selector_all(&format!("#{id} tr"))
            .unwrap()
            .length()
    };
    assert_eq!(rows("c-layer-rows"), 7);
    assert_eq!(rows("v-rows"), 8);
    assert_eq!(rows("m-mults"), 3);
    let equations = doc.query_selector_all("#m-equations math").unwrap();
    assert_eq!(equations.length(), 6);
    assert!(text(&doc, "r-result-1").contains("16,384 trainable parameters, 64.0× fewer"));
    assert!(text(&doc, "c-memory-formula").contains("16 B a parameter"));
}

#[wasm_bindgen_test]
fn a_selector_drives_its_section() {
    let doc = mount_page();
    let select: web_sys::HtmlSelectElement =
        doc.get_element_by_id("vm").unwrap().dyn_into().unwrap();
    select.set_value("bert-base");
    select
        .dispatch_event(&Event::new("input").unwrap())
        .unwrap();
    assert!(text(&doc, "v-rows").contains("109M (100%)"));
}
