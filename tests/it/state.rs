//! The page state: text in, clamped values and invariants out.

use lora_explorer::state::ChapterState;
use lora_explorer::state::{Applied, PageState, StateError};
use proptest::prelude::*;

#[test]
fn defaults_are_the_notebook_example() {
    let state = PageState::default();
    let f = &state.factorisation;
    assert_eq!((f.d, f.k, f.r), (4, 4, 2));
    assert_eq!(state.get("fr").as_deref(), Some("2"));
}

#[test]
fn shrinking_d_or_k_clamps_the_rank() {
    let mut state = PageState::default();
    for (key, value) in [("fd", "64"), ("fk", "64"), ("fr", "40")] {
        assert_eq!(state.set(key, value), Ok(Applied::AsGiven));
    }
    state.set("fk", "10").unwrap();
    assert_eq!(state.factorisation.r, 10);
    assert_eq!(state.bounds("fr").map(|b| b.max), Some(10.0));
    state.set("fd", "3").unwrap();
    assert_eq!(state.factorisation.r, 3);
}

#[test]
fn out_of_range_values_are_clamped_and_reported() {
    let mut state = PageState::default();
    assert_eq!(
        state.set("fd", "500"),
        Ok(Applied::Clamped { used: "64".into() })
    );
    assert_eq!(
        state.set("fr", "0"),
        Ok(Applied::Clamped { used: "1".into() })
    );
    assert_eq!(
        state.set("fa", "-3"),
        Ok(Applied::Clamped { used: "1".into() })
    );
    assert_eq!(state.factorisation.d, 64);
}

#[test]
fn values_snap_to_the_step() {
    let mut state = PageState::default();
    assert_eq!(
        state.set("cd", "700"),
        Ok(Applied::Clamped { used: "704".into() })
    );
    assert_eq!(
        state.set("is", "-2.34"),
        Ok(Applied::Clamped {
            used: "-2.3".into()
        })
    );
    assert_eq!(state.set("cc", "grads"), Ok(Applied::AsGiven));
    assert!(state.set("cc", "gradients").is_err());
    assert_eq!(state.set("vm", "gpt2"), Ok(Applied::AsGiven));
    assert_eq!(state.comparison.model, 2);
}

#[test]
fn garbage_is_an_error_that_changes_nothing() {
    let mut state = PageState::default();
    let before = state.clone();
    assert!(matches!(
        state.set("fd", "lots"),
        Err(StateError::Unparsable { .. })
    ));
    assert!(matches!(
        state.set("fd", "NaN"),
        Err(StateError::Unparsable { .. })
    ));
    assert!(matches!(
        state.set("fi", "maybe"),
        Err(StateError::Unparsable { .. })
    ));
    assert!(matches!(
        state.set("zz", "1"),
        Err(StateError::UnknownKey(_))
    ));
    assert_eq!(state, before);
}

#[test]
fn every_key_reads_back_what_was_set() {
    let mut state = PageState::default();
    for key in state.keys() {
        let value = state.get(key).expect("every listed key has a value");
        assert_eq!(state.set(key, &value), Ok(Applied::AsGiven), "{key}");
    }
}

proptest! {
    #[test]
    fn invariants_hold_after_any_sequence_of_sets(
        moves in proptest::collection::vec((0usize..64, "[-0-9a-z.]{0,6}"), 0..40)
    ) {
        let mut state = PageState::default();
        let keys = state.keys();
        for (key_idx, raw) in moves {
            let _ = state.set(keys[key_idx % keys.len()], &raw);
            let f = &state.factorisation;
            prop_assert!((2..=64).contains(&f.d) && (2..=64).contains(&f.k));
            prop_assert!(f.r >= 1 && f.r <= f.d.min(f.k));
            prop_assert!((1.0..=64.0).contains(&f.alpha));
            prop_assert!(f.seed <= 999);
            let m = &state.maths;
            prop_assert!(m.r >= 1 && m.r <= m.d.min(m.k) && m.d <= 16 && m.k <= 16);
            let i = &state.intrinsic;
            prop_assert!(i.true_rank >= 1 && i.true_rank <= i.n.min(64) && i.approx_rank <= i.n.min(64));
            prop_assert!((32..=512).contains(&i.n) && i.n % 32 == 0);
            prop_assert!((-4.0..=0.0).contains(&i.log10_noise));
            prop_assert!(state.cost.d_model % 64 == 0 && (64..=12_288).contains(&state.cost.d_model));
            let r = &state.rank;
            prop_assert!(r.rank >= 1 && r.rank <= r.n.min(128));
            // Every value reads back as a value the control accepts unchanged.
            for key in state.keys() {
                let value = state.get(key).unwrap();
                let mut copy = state.clone();
                prop_assert_eq!(copy.set(key, &value), Ok(Applied::AsGiven), "{} = {}", key, value);
                prop_assert_eq!(&copy, &state);
            }
        }
    }
}

#[test]
fn sliders_say_what_their_value_means() {
    let mut state = PageState::default();
    state.set("fd", "64").unwrap();
    state.set("fk", "64").unwrap();
    state.set("fr", "8").unwrap();
    assert_eq!(state.value_text("fr").as_deref(), Some("rank 8 of 64"));
    assert_eq!(
        state.value_text("it").as_deref(),
        Some("threshold 95 percent")
    );
    assert_eq!(
        state.value_text("is").as_deref(),
        Some("noise sigma 1.000e-2 (log10 -2)")
    );
    assert_eq!(state.value_text("cc"), None);
    for key in state.keys() {
        if state.bounds(key).is_some() {
            assert!(state.value_text(key).is_some(), "{key}");
        }
    }
}

#[test]
fn decimals_parse_like_the_standard_library() {
    use lora_explorer::state::parse_decimal;
    for text in [
        "0",
        "64",
        "-2",
        "-2.3",
        "99.9",
        ".5",
        "5.",
        "+7",
        "1e3",
        "2.5E-2",
        "12288",
        "0.1",
        "1e308",
        "-1e308",
        "0e999",
        "1e-400",
        "0.000000000000000000000000000012345678901234567890123",
        "123456789012345678901234567890.5e-10",
    ] {
        let ours = parse_decimal(text).unwrap();
        let std: f64 = text.parse().unwrap();
        assert!(
            (ours - std).abs() <= 1e-15 * std.abs().max(1.0),
            "{text}: {ours} against {std}"
        );
    }
    for text in [
        "", "-", ".", "abc", "1.2.3", "1e", "1e-", "e5", "--1", "1x", "NaN", "nan", "inf", "-inf",
        "infinity", " 1",
    ] {
        assert_eq!(parse_decimal(text), None, "{text}");
    }
}

#[test]
fn numbers_too_large_for_f64_are_infinite_like_the_standard_librarys() {
    use lora_explorer::state::parse_decimal;
    let nines = "9".repeat(400);
    for text in [
        "1e309",
        "-1e309",
        "1.8e308",
        "1e99999",
        "-1e99999999999999999999",
        nines.as_str(),
    ] {
        let std: f64 = text.parse().unwrap();
        assert!(std.is_infinite());
        assert_eq!(parse_decimal(text), Some(std), "{text}");
    }
    // A long exponent that brings a long number back into range.
    let text = format!("{nines}e-399");
    assert!(
        (parse_decimal(&text).unwrap() - 10.0).abs() < 1e-12,
        "{text}"
    );
}

#[test]
fn a_number_too_large_for_f64_is_clamped_like_any_large_number() {
    let mut state = PageState::default();
    for (key, text, used) in [
        ("fd", "1e308", "64"),
        ("fd", "1e309", "64"),
        ("fd", "-1e309", "2"),
        ("fa", "1e99999", "64"),
        ("is", "-1e400", "-4"),
        ("it", "1e309", "99.9"),
    ] {
        assert_eq!(
            state.set(key, text),
            Ok(Applied::Clamped { used: used.into() }),
            "{key} = {text}"
        );
        assert_eq!(state.get(key).as_deref(), Some(used));
    }
    for text in ["NaN", "inf", "-inf", "Infinity"] {
        assert!(
            matches!(state.set("fd", text), Err(StateError::Unparsable { .. })),
            "{text}"
        );
    }
}

proptest! {
    #[test]
    fn decimal_parsing_agrees_with_std_on_any_plain_decimal(
        digits in "[0-9]{1,30}",
        point in 0usize..31,
        exponent in proptest::option::of(-280i32..280),
        negative: bool,
    ) {
        let point = point.min(digits.len());
        let mut text = format!("{}{}.{}", if negative { "-" } else { "" }, &digits[..point], &digits[point..]);
        if let Some(exponent) = exponent {
            text.push_str(&format!("e{exponent}"));
        }
        let ours = lora_explorer::state::parse_decimal(&text).unwrap();
        let std: f64 = text.parse().unwrap();
        prop_assert!((ours - std).abs() <= 1e-13 * std.abs(), "{} {} {}", text, ours, std);
    }

    #[test]
    fn decimal_parsing_agrees_with_std_on_slider_values(whole in 0u32..100_000, fraction in 0u32..1000, negative: bool) {
        let text = format!("{}{whole}.{fraction:03}", if negative { "-" } else { "" });
        let ours = lora_explorer::state::parse_decimal(&text).unwrap();
        let std: f64 = text.parse().unwrap();
        prop_assert!((ours - std).abs() <= 1e-12 * std.abs().max(1.0), "{} {} {}", text, ours, std);
    }
}
