//! The registry: control rows and figure ids, checked against themselves and against the markup of
//! every chapter's page, which repeats them for the page to work before the module has loaded.

use lora_explorer::chapters::Chapter;
use lora_explorer::figures::FigureId;
use lora_explorer::permalink::EMBED_KEY;
use lora_explorer::state::{format_float, CalculatorPage, Kind, LearnPage, PageState, QloraPage};
use lora_explorer::state::{ChapterState, Control};

/// A chapter's page: its source's path and markup.
#[derive(Clone, Copy)]
struct Page {
    source: &'static str,
    html: &'static str,
}

/// Chapter 1's page.
const PAGE: Page = Page {
    source: "www/index.html",
    html: include_str!("../../www/index.html"),
};

/// The "Watch LoRA learn" chapter's page.
const LEARN_PAGE: Page = Page {
    source: "www/learn/index.html",
    html: include_str!("../../www/learn/index.html"),
};

/// The QLoRA chapter's page.
const QLORA_PAGE: Page = Page {
    source: "www/qlora/index.html",
    html: include_str!("../../www/qlora/index.html"),
};

/// The calculator's page.
const CALCULATOR_PAGE: Page = Page {
    source: "www/calculator/index.html",
    html: include_str!("../../www/calculator/index.html"),
};

/// Each chapter's page, in reading order, with its controls' keys and rows at their defaults.
fn chapters() -> Vec<(Chapter, Page, Vec<Vec<String>>)> {
    vec![
        (
            Chapter::Understanding,
            PAGE,
            all_differences(PAGE, &PageState::default()),
        ),
        (
            Chapter::Learn,
            LEARN_PAGE,
            all_differences(LEARN_PAGE, &LearnPage::default()),
        ),
        (
            Chapter::Qlora,
            QLORA_PAGE,
            all_differences(QLORA_PAGE, &QloraPage::default()),
        ),
        (
            Chapter::Calculator,
            CALCULATOR_PAGE,
            all_differences(CALCULATOR_PAGE, &CalculatorPage::default()),
        ),
    ]
}

/// Every chapter's controls, page by page.
fn controls_of(chapter: Chapter) -> Vec<&'static Control> {
    match chapter {
        Chapter::Understanding => PageState::default().controls(),
        Chapter::Learn => LearnPage::default().controls(),
        Chapter::Qlora => QloraPage::default().controls(),
        Chapter::Calculator => CalculatorPage::default().controls(),
    }
}

/// What differs in `page` from `state`'s rows, control by control, and the markup's own controls
/// without a row.
fn all_differences<S: ChapterState>(page: Page, state: &S) -> Vec<Vec<String>> {
    let mut found: Vec<Vec<String>> = state
        .keys()
        .iter()
        .map(|key| differences(page, state, key))
        .collect();
    // Every control in the markup has a row (the benchmarks move what the markup has).
    for piece in page.html.split(" data-key=\"").skip(1) {
        let key = &piece[..piece.find('"').unwrap_or(0)];
        if !state.keys().contains(&key) {
            found.push(vec![format!(
                "{key}: in {} but not in the registry",
                page.source
            )]);
        }
    }
    found
}

/// The opening tag of the element with id `id`, if the page has one.
fn tag_with_id(page: Page, id: &str) -> Option<&'static str> {
    let html = page.html;
    let at = html.find(&format!(" id=\"{id}\""))?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    Some(&html[start..=end])
}

/// The value of attribute `name` in `tag`.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let rest = &tag[tag.find(&format!(" {name}=\""))? + name.len() + 3..];
    Some(&rest[..rest.find('"')?])
}

/// Whether `tag` has the boolean attribute `name`.
fn has_flag(tag: &str, name: &str) -> bool {
    [" ", ">"]
        .iter()
        .any(|after| tag.contains(&format!(" {name}{after}")))
}

/// The text of the element that opens with `opening`, up to `closing`.
fn text_after(page: Page, opening: &str, closing: &str) -> Option<&'static str> {
    let html = page.html;
    let rest = &html[html.find(opening)? + opening.len()..];
    Some(&rest[..rest.find(closing)?])
}

/// What in `page`'s markup differs from control `key`'s row at `state`.
fn differences<S: ChapterState>(page: Page, state: &S, key: &str) -> Vec<String> {
    let Some(control) = state.controls().into_iter().find(|c| c.key == key) else {
        return vec![format!("{key}: not in the registry")];
    };
    let source = page.source;
    let Some(tag) = tag_with_id(page, key) else {
        return vec![format!("{key}: no element with this id in {source}")];
    };
    let mut found = Vec::new();
    let mut compare = |what: &str, markup: Option<String>, registry: String| {
        if markup.as_deref() != Some(registry.as_str()) {
            let markup = markup.map_or("missing".to_string(), |m| format!("“{m}”"));
            found.push(format!(
                "{key}: {what} is {markup} in {source}, “{registry}” in the registry"
            ));
        }
    };
    compare(
        "data-key",
        attribute(tag, "data-key").map(String::from),
        key.to_string(),
    );
    compare(
        "the label",
        text_after(page, &format!("<label for=\"{key}\">"), "</label>").map(String::from),
        control.label.to_string(),
    );
    let number = |name: &str| {
        attribute(tag, name).map(|v| v.parse::<f64>().map_or(v.to_string(), format_float))
    };
    match control.kind {
        Kind::Slider(_) => {
            let (Some(bounds), Some(value)) = (state.bounds(key), state.get(key)) else {
                return vec![format!("{key}: a slider without a range or value")];
            };
            compare(
                "type",
                attribute(tag, "type").map(String::from),
                "range".into(),
            );
            compare("min", number("min"), format_float(bounds.min));
            compare("max", number("max"), format_float(bounds.max));
            compare("step", number("step"), format_float(bounds.step));
            compare("value", number("value"), value.clone());
            compare(
                "the printed value",
                text_after(
                    page,
                    &format!("<output id=\"{key}-out\" for=\"{key}\">"),
                    "</output>",
                )
                .map(String::from),
                value,
            );
        }
        Kind::Toggle(on) => {
            compare(
                "type",
                attribute(tag, "type").map(String::from),
                "checkbox".into(),
            );
            compare(
                "checked",
                Some(has_flag(tag, "checked").to_string()),
                on.to_string(),
            );
        }
        Kind::Choice(options, default) => {
            compare("the element", Some(tag[..7].to_string()), "<select".into());
            let body = text_after(page, tag, "</select>").unwrap_or_default();
            let tags: Vec<&str> = body
                .split("<option")
                .skip(1)
                .map(|o| &o[..o.find('>').map_or(o.len(), |end| end + 1)])
                .collect();
            let values: Vec<&str> = tags
                .iter()
                .map(|t| attribute(t, "value").unwrap_or_default())
                .collect();
            compare("the options", Some(values.join(", ")), options.join(", "));
            let selected = tags
                .iter()
                .position(|t| has_flag(t, "selected"))
                .unwrap_or(0);
            compare(
                "the selected option",
                values.get(selected).map(|v| v.to_string()),
                options[default].to_string(),
            );
        }
    }
    found
}

#[test]
fn the_markups_controls_match_the_registry() {
    let found: Vec<String> = chapters()
        .into_iter()
        .flat_map(|(_, _, found)| found.into_iter().flatten())
        .collect();
    assert!(found.is_empty(), "\n{}", found.join("\n"));
}

#[test]
fn every_chapter_page_is_checked() {
    let checked: Vec<Chapter> = chapters().into_iter().map(|(c, _, _)| c).collect();
    assert_eq!(checked, Chapter::ALL);
    for (chapter, page, _) in chapters() {
        assert_eq!(chapter.source(), page.source);
    }
}

#[test]
fn a_changed_attribute_is_named() {
    let state = PageState::default();
    assert!(differences(PAGE, &state, "fd").is_empty());
    let mut wider = state.clone();
    wider.set("fd", "9").unwrap();
    assert_eq!(
        differences(PAGE, &wider, "fd"),
        [
            "fd: value is “4” in www/index.html, “9” in the registry",
            "fd: the printed value is “4” in www/index.html, “9” in the registry",
        ]
    );
    // A cap's bound is the markup's maximum: the key/value heads are at most the heads.
    let mut fewer_heads = CalculatorPage::default();
    fewer_heads.set("kh", "16").unwrap();
    assert_eq!(
        differences(CALCULATOR_PAGE, &fewer_heads, "kv"),
        [
            "kv: max is “32” in www/calculator/index.html, “16” in the registry",
            "kv: value is “32” in www/calculator/index.html, “16” in the registry",
            "kv: the printed value is “32” in www/calculator/index.html, “16” in the registry",
        ]
    );
}

#[test]
fn keys_are_unique_on_the_site_and_not_a_links_own() {
    // The theme, `pt`, is every page's; every other key belongs to one chapter.
    let mut keys: Vec<&str> = Vec::new();
    for chapter in Chapter::ALL {
        let own: Vec<&str> = controls_of(chapter).iter().map(|c| c.key).collect();
        assert!(own.contains(&"pt"), "{chapter:?} has the theme");
        let mut sorted = own.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), own.len(), "{chapter:?} declares a key twice");
        keys.extend(own.into_iter().filter(|k| *k != "pt"));
    }
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), keys.len(), "two chapters share a key");
    for key in &keys {
        assert!(
            *key != "v" && *key != EMBED_KEY,
            "{key} is a link's own parameter"
        );
    }
}

#[test]
fn every_row_is_consistent() {
    for chapter in Chapter::ALL {
        let controls = controls_of(chapter);
        let keys: Vec<&str> = controls.iter().map(|c| c.key).collect();
        for (position, control) in controls.into_iter().enumerate() {
            let key = control.key;
            match control.kind {
                Kind::Slider(slider) => {
                    assert!(slider.min < slider.max && slider.step > 0.0, "{key}");
                    assert!((slider.min..=slider.max).contains(&slider.default), "{key}");
                    // A cap comes earlier on the page: links apply values in page order.
                    for cap in slider.capped_by {
                        let at = keys.iter().position(|k| k == cap);
                        assert!(at.is_some_and(|at| at < position), "{key} capped by {cap}");
                    }
                }
                Kind::Toggle(_) => {}
                Kind::Choice(options, default) => assert!(default < options.len(), "{key}"),
            }
        }
    }
}

#[test]
fn figure_ids_are_the_markups_in_page_order() {
    // Page by page in reading order, every figure once.
    let in_markup: Vec<&str> = chapters()
        .into_iter()
        .flat_map(|(_, page, _)| {
            page.html
                .split(" id=\"fig-")
                .skip(1)
                .map(|piece| &piece[..piece.find('"').unwrap_or(0)])
        })
        .collect();
    let ids: Vec<&str> = FigureId::ALL.iter().map(|id| id.as_str()).collect();
    assert_eq!(in_markup, ids);
    for id in FigureId::ALL {
        assert_eq!(FigureId::parse(id.as_str()), Some(id));
        assert_eq!(id.element_id(), format!("fig-{}", id.as_str()));
    }
    assert_eq!(FigureId::parse("fig-maths"), None);
}
