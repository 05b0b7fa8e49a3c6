//! The page's state in its URL: round trips, garbage, notices.

use lora_explorer::figures::FigureId;
use lora_explorer::permalink::{iframe_snippet, parse, to_query};
use lora_explorer::state::ChapterState;
use lora_explorer::state::{
    parse_decimal, ComparisonState, PageState, ThemeChoice, COUNTING_NAMES,
};
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
    let query = to_query(&state, Some(FigureId::Factorisation.as_str()));
    assert_eq!(query, "v=1&embed=factorisation&cc=grads&fd=12&is=-1.5");
    let parsed = parse(&query);
    assert_eq!(parsed.state, state);
    assert_eq!(
        parsed.embed.as_deref().and_then(FigureId::parse),
        Some(FigureId::Factorisation)
    );
    assert!(parsed.notices.is_empty(), "{:?}", parsed.notices);
}

#[test]
fn garbage_falls_back_with_a_notice_for_each_problem() {
    let parsed = parse("v=9&fd=500&fk=lots&zz=1&fr=%3Cscript%3E&&=&%ZZ");
    let f = &parsed.state.factorisation;
    assert_eq!((f.d, f.k, f.r), (64, 4, 2));
    // Notices come in a fixed order: version, values in page order, then unknown names sorted.
    assert_eq!(
        parsed.notices,
        [
            "This link was made for version “9” of the page's settings; they were read as version 1.",
            "fd = “500” is out of range; 64 was used instead.",
            "fk = “lots” is not a valid value; the default, 4, was kept.",
            // Text from the link is quoted back as text; the page writes it with textContent.
            "fr = “<script>” is not a valid value; the default, 2, was kept.",
            "The link's settings “%ZZ” and “zz” are not ones this page knows; they were ignored.",
        ]
    );
}

#[test]
fn a_rank_capped_by_a_later_size_has_a_notice_in_either_order() {
    for (first, second, key, used) in [
        ("fr=4", "fd=2", "fr", "2"),
        ("mr=9", "md=3", "mr", "3"),
        ("ik=60", "in=32", "ik", "32"),
        ("ia=50", "in=32", "ia", "32"),
        ("rr=100", "rn=64", "rr", "64"),
    ] {
        let given = first.split_once('=').unwrap().1;
        let expected = format!("{key} = “{given}” is out of range; {used} was used instead.");
        let one = parse(&format!("v=1&{first}&{second}"));
        let other = parse(&format!("v=1&{second}&{first}"));
        assert_eq!(
            one.notices,
            std::slice::from_ref(&expected),
            "{first}&{second}"
        );
        assert_eq!(other.notices, [expected], "{second}&{first}");
        assert_eq!(one.state, other.state);
        assert_eq!(one.state.get(key).as_deref(), Some(used));
    }
}

#[test]
fn sizes_given_after_the_rank_still_allow_it() {
    // Applied in the link's order, fr = 8 met d = k = 4 and was cut to 4.
    let parsed = parse("v=1&fr=8&fd=8&fk=8");
    assert_eq!(parsed.state.factorisation.r, 8);
    assert!(parsed.notices.is_empty(), "{:?}", parsed.notices);
}

#[test]
fn a_key_given_twice_keeps_its_last_value_and_says_so() {
    let parsed = parse("fd=5&v=1&fd=7");
    assert_eq!(parsed.state.factorisation.d, 7);
    assert_eq!(
        parsed.notices,
        ["fd was given 2 times; only the last value, “7”, was read."]
    );
}

#[test]
fn long_values_are_shortened_in_notices() {
    let parsed = parse(&format!("fd={}", "9".repeat(500)));
    assert!(parsed.notices[0].chars().count() < 120);
}

/// A state reached by setting random keys to random values: any number, small whole numbers and
/// tenths (so that toggles and fine steps are reached), and every selector's options.
fn arbitrary_state() -> impl Strategy<Value = PageState> {
    let mut options = vec!["0", "1"];
    options.extend(COUNTING_NAMES);
    options.extend(ComparisonState::MODEL_NAMES);
    options.extend(ThemeChoice::NAMES);
    let value = prop_oneof![
        (-20_000.0f64..20_000.0).prop_map(|x| x.to_string()),
        (-10i32..600).prop_map(|n| n.to_string()),
        (-50i32..1000).prop_map(|n| format!("{:.1}", f64::from(n) / 10.0)),
        proptest::sample::select(options).prop_map(String::from),
    ];
    proptest::collection::vec((0usize..64, value), 0..60).prop_map(|moves| {
        let mut state = PageState::default();
        let keys = state.keys();
        for (key_idx, value) in moves {
            let _ = state.set(keys[key_idx % keys.len()], &value);
        }
        state
    })
}

proptest! {
    #[test]
    fn parsing_what_was_printed_gives_the_same_state(
        state in arbitrary_state(),
        embed in proptest::option::of("[a-z &=%]{1,12}"),
    ) {
        let query = to_query(&state, embed.as_deref());
        let parsed = parse(&query);
        prop_assert_eq!(&parsed.state, &state);
        prop_assert_eq!(&parsed.embed, &embed);
        prop_assert!(parsed.notices.is_empty(), "{:?}", parsed.notices);
        // And printing what was parsed gives the same link.
        prop_assert_eq!(to_query(&parsed.state, parsed.embed.as_deref()), query);
    }

    #[test]
    fn arbitrary_text_never_panics_and_gives_a_valid_state(query in ".{0,200}") {
        let parsed = parse(&query);
        // Whatever came in, printing and parsing again is stable.
        let again = parse(&to_query(&parsed.state, None));
        prop_assert_eq!(again.state, parsed.state);
    }

    #[test]
    fn the_notice_stays_short_whatever_the_link(
        pairs in proptest::collection::vec(
            (
                prop_oneof![
                    proptest::sample::select(PageState::default().keys()).prop_map(String::from),
                    Just("v".to_string()),
                    (0u32..5000, 1usize..20).prop_map(|(n, times)| format!("x%{n}").repeat(times)),
                ],
                prop_oneof![
                    any::<i64>().prop_map(|n| n.to_string()),
                    (0u32..1000, 1usize..40).prop_map(|(n, times)| format!("{n}e").repeat(times)),
                    proptest::sample::select(vec!["1e309", "abc", "NaN", "gpt2", ""]).prop_map(String::from),
                ],
            ),
            0..300,
        )
    ) {
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let parsed = parse(&query.join("&"));
        prop_assert!(parsed.notices.len() <= 9, "{:#?}", parsed.notices);
        for notice in &parsed.notices {
            prop_assert!(notice.chars().count() <= 240, "{}", notice);
        }
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
            "fs = “NaN” is not a valid value; the default, 42, was kept.",
        ]
    );
}

#[test]
fn many_unknown_names_make_one_short_sentence() {
    let names: Vec<String> = (0..1500).map(|i| format!("k{i}=1")).collect();
    let query = format!("v=1&{}", names.join("&"));
    assert!(query.len() > 10_000);
    assert_eq!(
        parse(&query).notices,
        ["The link's settings “k0”, “k1”, “k10” and 1,497 others are not ones this page knows; they were ignored."]
    );
    assert_eq!(
        parse("v=1&b=1&a=2&b=3").notices,
        ["The link's settings “a” and “b” are not ones this page knows; they were ignored."]
    );
}

#[test]
fn many_clamped_or_invalid_values_are_summed_up() {
    let keys = PageState::default().keys();
    let huge: Vec<String> = keys.iter().map(|key| format!("{key}=1e9")).collect();
    assert_eq!(
        parse(&huge.join("&")).notices,
        [
            "cd, cr, fd and 18 others were out of range; the nearest allowed values were used.",
            "pt, cc, fi and 2 others had values that are not valid; their defaults were kept.",
        ]
    );
    // Three of a kind are still told one by one.
    assert_eq!(
        parse("fd=1&fk=1&fs=1000&fa=x&fi=x").notices,
        [
            "fd = “1” is out of range; 2 was used instead.",
            "fk = “1” is out of range; 2 was used instead.",
            "fs = “1000” is out of range; 999 was used instead.",
            "fa = “x” is not a valid value; the default, 2, was kept.",
            "fi = “x” is not a valid value; the default, 0, was kept.",
        ]
    );
}

#[test]
fn names_given_many_times_are_summed_up() {
    let repeated: Vec<&str> = ["fd=3", "fk=3", "v=1", "embed=x", "v=1"]
        .into_iter()
        .cycle()
        .take(2000)
        .collect();
    assert_eq!(
        parse(&repeated.join("&")).notices,
        ["embed, fd, fk and 1 other were each given more than once; only the last value of each was read."]
    );
}

/// Pairs of a link with distinct names: controls, `v`, `embed` and unknown names, with values in
/// range, out of range, too large for f64, or garbage.
fn distinct_pairs(most: usize) -> impl Strategy<Value = Vec<(String, String)>> {
    let mut names: Vec<&'static str> = PageState::default().keys();
    names.extend(["v", "embed", "zz", "q"]);
    let value = prop_oneof![
        (-100_000i64..100_000).prop_map(|n| n.to_string()),
        (-10.0f64..200.0).prop_map(|x| format!("{x:.2}")),
        proptest::sample::select(vec![
            "abc", "1e309", "-1e309", "NaN", "weights", "gpt2", "dark", "0", "1", "", " 7",
        ])
        .prop_map(String::from),
    ];
    proptest::collection::vec((0..names.len(), value), 0..=most).prop_map(move |drawn| {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (idx, value) in drawn {
            if pairs.iter().all(|(name, _)| name != names[idx]) {
                pairs.push((names[idx].to_string(), value));
            }
        }
        pairs
    })
}

/// The query string of `pairs`.
fn link(pairs: &[(String, String)]) -> String {
    let parts: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join("&")
}

proptest! {
    #[test]
    fn the_order_of_a_links_parameters_changes_nothing(
        (pairs, shuffled) in distinct_pairs(30)
            .prop_flat_map(|pairs| (Just(pairs.clone()), Just(pairs).prop_shuffle()))
    ) {
        let one = parse(&link(&pairs));
        let other = parse(&link(&shuffled));
        prop_assert_eq!(&one.state, &other.state);
        prop_assert_eq!(&one.notices, &other.notices);
        prop_assert_eq!(&one.embed, &other.embed);
    }

    #[test]
    fn every_value_that_was_not_used_as_given_has_a_notice(pairs in distinct_pairs(3)) {
        // Three values or fewer are told one by one (more are summed up).
        let parsed = parse(&link(&pairs));
        let keys = parsed.state.keys();
        for (key, value) in pairs.iter().filter(|(key, _)| keys.contains(&key.as_str())) {
            let used = parsed.state.get(key).unwrap();
            // Equal as numbers within the controls' tolerance, or else as text.
            let same = match (parse_decimal(value.trim()), parse_decimal(&used)) {
                (Some(a), Some(b)) => a.is_finite() && (a - b).abs() <= 1e-9 * a.abs().max(1.0),
                _ => value.trim() == used,
            };
            let about_key: Vec<&String> = parsed
                .notices
                .iter()
                .filter(|n| n.starts_with(&format!("{key} = “{value}” is ")))
                .collect();
            if same {
                prop_assert!(about_key.is_empty(), "{:?}", parsed.notices);
            } else {
                prop_assert_eq!(about_key.len(), 1, "{}={}: {:?}", key, value, parsed.notices);
                let notice = about_key[0];
                let expected_ending = if notice.contains("not a valid value") {
                    format!("; the default, {used}, was kept.")
                } else {
                    format!("; {used} was used instead.")
                };
                prop_assert!(notice.ends_with(&expected_ending), "{}", notice);
            }
        }
    }
}

#[test]
fn the_iframe_snippet_escapes_its_attribute_values() {
    let snippet = iframe_snippet(
        "https://example.org/?v=1&embed=factorisation",
        "Figure 3 \"B <times> A\"",
        412,
    );
    assert_eq!(
        snippet,
        "<iframe src=\"https://example.org/?v=1&amp;embed=factorisation\" \
         title=\"LoRA Explorer: Figure 3 &quot;B &lt;times&gt; A&quot;\" width=\"100%\" \
         height=\"412\" style=\"border: 0;\" loading=\"lazy\"></iframe>"
    );
}
