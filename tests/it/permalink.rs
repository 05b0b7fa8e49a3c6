//! The page's state in its URL: round trips, garbage, notices.

use lora_explorer::permalink::{parse, to_query};
use lora_explorer::state::PageState;
use proptest::prelude::*;

#[test]
fn the_default_state_is_just_the_version() {
    assert_eq!(to_query(&PageState::default(), None), "v=1");
    let parsed = parse("?v=1");
    assert_eq!(parsed.state, PageState::default());
    assert!(parsed.notices.is_empty());
}

#[test]
fn a_link_carries_changed_values_and_the_embedded_figure() {
    let mut state = PageState::default();
    state.set("fd", "12").unwrap();
    state.set("cc", "grads").unwrap();
    state.set("is", "-1.5").unwrap();
    let query = to_query(&state, Some("factorisation"));
    assert_eq!(query, "v=1&embed=factorisation&cc=grads&fd=12&is=-1.5");
    let parsed = parse(&query);
    assert_eq!(parsed.state, state);
    assert_eq!(parsed.embed.as_deref(), Some("factorisation"));
    assert!(parsed.notices.is_empty(), "{:?}", parsed.notices);
}

#[test]
fn garbage_falls_back_with_a_notice_for_each_problem() {
    let parsed = parse("v=9&fd=500&fk=lots&zz=1&fr=%3Cscript%3E&&=&%ZZ");
    let f = &parsed.state.factorisation;
    assert_eq!((f.d, f.k), (64, 4));
    assert_eq!(parsed.notices.len(), 6, "{:#?}", parsed.notices);
    assert!(parsed.notices[0].contains("version “9”"));
    assert!(parsed.notices[1].contains("64 was used instead"));
    assert!(parsed.notices[2].contains("“lots” is not a valid value"));
    assert!(parsed.notices[3].contains("“zz” is not one this page knows"));
    // Text from the link is quoted back as text; the page writes it with textContent.
    assert!(parsed.notices[4].contains("“<script>”"));
    assert!(parsed.notices[5].contains("“%ZZ”"));
}

#[test]
fn long_values_are_shortened_in_notices() {
    let parsed = parse(&format!("fd={}", "9".repeat(500)));
    assert!(parsed.notices[0].chars().count() < 120);
}

/// A state reached by setting random keys to random values.
fn arbitrary_state() -> impl Strategy<Value = PageState> {
    proptest::collection::vec((0usize..64, -20_000.0f64..20_000.0, 0usize..4), 0..30).prop_map(
        |moves| {
            let mut state = PageState::default();
            let keys = state.keys();
            let names = ["weights", "grads", "adam", "gpt2"];
            for (key_idx, number, name_idx) in moves {
                let key = keys[key_idx % keys.len()];
                let _ = state.set(key, &format!("{number}"));
                let _ = state.set(key, names[name_idx]);
            }
            state
        },
    )
}

proptest! {
    #[test]
    fn parsing_what_was_printed_gives_the_same_state(state in arbitrary_state()) {
        let parsed = parse(&to_query(&state, None));
        prop_assert_eq!(&parsed.state, &state);
        prop_assert!(parsed.notices.is_empty(), "{:?}", parsed.notices);
    }

    #[test]
    fn arbitrary_text_never_panics_and_gives_a_valid_state(query in ".{0,200}") {
        let parsed = parse(&query);
        // Whatever came in, printing and parsing again is stable.
        let again = parse(&to_query(&parsed.state, None));
        prop_assert_eq!(again.state, parsed.state);
    }

    #[test]
    fn query_shaped_garbage_never_panics(pairs in proptest::collection::vec(("[a-z%+]{0,4}", "[-0-9a-z.%+e]{0,8}"), 0..20)) {
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let parsed = parse(&query.join("&"));
        prop_assert!(parsed.notices.len() <= pairs.len());
    }
}

#[test]
fn numbers_too_large_for_f64_are_clamped_with_the_usual_notice() {
    let parsed = parse("v=1&fd=1e309&fk=-1e309&fa=1e308&fs=NaN");
    let f = &parsed.state.factorisation;
    assert_eq!((f.d, f.k, f.alpha, f.seed), (64, 2, 64.0, 42));
    assert_eq!(
        parsed.notices,
        [
            "fd = “1e309” is out of range; 64 was used instead.",
            "fk = “-1e309” is out of range; 2 was used instead.",
            "fa = “1e308” is out of range; 64 was used instead.",
            "fs = “NaN” is not a valid value; the default was kept.",
        ]
    );
}
