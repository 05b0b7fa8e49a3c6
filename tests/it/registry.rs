//! The registry: control rows and figure ids, checked against themselves and against the markup of
//! every chapter's page, which repeats them for the page to work before the module has loaded.

use lora_explorer::figures::FigureId;
use lora_explorer::permalink::EMBED_KEY;
use lora_explorer::state::ChapterState;
use lora_explorer::state::{format_float, Kind, PageState, QloraPage};

/// Chapter 1's page.
const PAGE: &str = include_str!("../../www/index.html");

/// Chapter 3's page.
const QLORA_PAGE: &str = include_str!("../../www/qlora/index.html");

/// Every chapter's page, in reading order, with its path.
const PAGES: [(&str, &str); 2] = [
    ("www/index.html", PAGE),
    ("www/qlora/index.html", QLORA_PAGE),
];

/// The opening tag of the element with id `id`, if `page` has one.
fn tag_with_id<'a>(page: &'a str, id: &str) -> Option<&'a str> {
    let at = page.find(&format!(" id=\"{id}\""))?;
    let start = page[..at].rfind('<')?;
    let end = at + page[at..].find('>')?;
    Some(&page[start..=end])
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

/// The text of the element that opens with `opening` in `page`, up to `closing`.
fn text_after<'a>(page: &'a str, opening: &str, closing: &str) -> Option<&'a str> {
    let rest = &page[page.find(opening)? + opening.len()..];
    Some(&rest[..rest.find(closing)?])
}

/// What in chapter 1's markup differs from control `key`'s row at `state`.
fn differences(state: &PageState, key: &str) -> Vec<String> {
    differences_in(("www/index.html", PAGE), state, key)
}

/// What in `page` (its path and text) differs from control `key`'s row at `state`.
fn differences_in((path, page): (&str, &str), state: &impl ChapterState, key: &str) -> Vec<String> {
    let Some(control) = state.controls().into_iter().find(|c| c.key == key) else {
        return vec![format!("{key}: not in the registry")];
    };
    let Some(tag) = tag_with_id(page, key) else {
        return vec![format!("{key}: no element with this id in {path}")];
    };
    let mut found = Vec::new();
    let mut compare = |what: &str, markup: Option<String>, registry: String| {
        if markup.as_deref() != Some(registry.as_str()) {
            let markup = markup.map_or("missing".to_string(), |m| format!("“{m}”"));
            found.push(format!(
                "{key}: {what} is {markup} in {path}, “{registry}” in the registry"
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

/// Every difference between `page`'s controls and the rows of its chapter's state `S`.
fn page_differences<S: ChapterState>((path, page): (&str, &str)) -> Vec<String> {
    let state = S::default();
    let mut found: Vec<String> = state
        .keys()
        .iter()
        .flat_map(|key| differences_in((path, page), &state, key))
        .collect();
    // Every control in the markup has a row (the benchmarks move what the markup has).
    for piece in page.split(" data-key=\"").skip(1) {
        let key = &piece[..piece.find('"').unwrap_or(0)];
        if !state.keys().contains(&key) {
            found.push(format!("{key}: in {path} but not in the registry"));
        }
    }
    found
}

#[test]
fn the_markups_controls_match_the_registry() {
    let found = page_differences::<PageState>(PAGES[0]);
    assert!(found.is_empty(), "\n{}", found.join("\n"));
}

#[test]
fn chapter_3s_controls_match_the_registry() {
    let found = page_differences::<QloraPage>(PAGES[1]);
    assert!(found.is_empty(), "\n{}", found.join("\n"));
}

#[test]
fn a_changed_attribute_is_named() {
    let state = PageState::default();
    assert!(differences(&state, "fd").is_empty());
    let mut wider = state.clone();
    wider.set("fd", "9").unwrap();
    assert_eq!(
        differences(&wider, "fd"),
        [
            "fd: value is “4” in www/index.html, “9” in the registry",
            "fd: the printed value is “4” in www/index.html, “9” in the registry",
        ]
    );
}

#[test]
fn keys_are_unique_on_the_site_and_not_a_links_own() {
    // The theme, `pt`, is every chapter's; every other key belongs to one chapter.
    let mut keys = PageState::default().keys();
    keys.extend(
        QloraPage::default()
            .keys()
            .into_iter()
            .filter(|k| *k != "pt"),
    );
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), keys.len(), "a key is declared twice");
    for key in &keys {
        assert!(
            *key != "v" && *key != EMBED_KEY,
            "{key} is a link's own parameter"
        );
    }
}

#[test]
fn every_row_is_consistent() {
    every_row_is_consistent_in(&PageState::default());
    every_row_is_consistent_in(&QloraPage::default());
}

fn every_row_is_consistent_in(state: &impl ChapterState) {
    let keys = state.keys();
    for (position, control) in state.controls().into_iter().enumerate() {
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

#[test]
fn figure_ids_are_the_markups_in_page_order() {
    // Chapter after chapter: ids are unique across the site, and `?embed=` works on every page.
    let in_markup: Vec<&str> = PAGES
        .iter()
        .flat_map(|(_, page)| page.split(" id=\"fig-").skip(1))
        .map(|piece| &piece[..piece.find('"').unwrap_or(0)])
        .collect();
    let ids: Vec<&str> = FigureId::ALL.iter().map(|id| id.as_str()).collect();
    assert_eq!(in_markup, ids);
    for id in FigureId::ALL {
        assert_eq!(FigureId::parse(id.as_str()), Some(id));
        assert_eq!(id.element_id(), format!("fig-{}", id.as_str()));
    }
    assert_eq!(FigureId::parse("fig-maths"), None);
}
