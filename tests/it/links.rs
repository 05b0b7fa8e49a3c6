//! Every v=1 link keeps its meaning: for every control, links setting its smallest, largest and
//! default values, values out of range, off the step and garbage give the same state, notices and
//! screen-reader text as recorded in `v1-links.txt` (written from the page before the controls moved
//! into one registry).

use lora_explorer::permalink::{parse, to_query};
use lora_explorer::state::ChapterState;
use lora_explorer::state::{format_float, PageState};

/// The recorded outcomes, one link a line.
const RECORDED: &str = include_str!("v1-links.txt");

/// Values tried on every control, whatever its kind.
const ANY: [&str; 19] = [
    "",
    "abc",
    "1",
    "0",
    "true",
    "on",
    "off",
    " 1 ",
    "1e308",
    "1e309",
    "-1e309",
    "+3",
    "-0",
    "NaN",
    "auto",
    "dark",
    "adam",
    "gpt2",
    "bert-base",
];

/// Links that set controls whose ranges depend on each other, in both orders.
const PAIRS: [&str; 12] = [
    "fd=2&fr=4",
    "fr=4&fd=2",
    "fd=64&fk=3&fr=64",
    "md=16&mk=16&mr=16",
    "mr=16&mk=3",
    "rn=64&rr=128",
    "rr=128&rn=128",
    "in=32&ik=64&ia=64",
    "ia=40&in=64&ik=50",
    "fd=3&fd=9&fr=9",
    "v=2&fd=x&fk=y&fr=z&fa=w&zz=1",
    "cd=1&cr=99&rn=1&rr=999&in=1&ik=99",
];

/// One line: the link, the state it gives as a link, its notices, and the control's value text.
fn outcome(query: &str, key: Option<&str>) -> String {
    let parsed = parse(query);
    let text = key
        .and_then(|key| parsed.state.value_text(key))
        .unwrap_or_else(|| "-".to_string());
    format!(
        "{query} → {} | {} | {text}",
        to_query(&parsed.state, None),
        parsed.notices.join(" / ")
    )
}

/// Every outcome, in the order of the recording.
fn outcomes() -> Vec<String> {
    let state = PageState::default();
    let mut lines = Vec::new();
    for key in state.keys() {
        let default = state.get(key).unwrap_or_default();
        lines.push(format!(
            "{key}: default {default}, bounds {:?}, text {:?}",
            state.bounds(key),
            state.value_text(key)
        ));
        let mut values: Vec<String> = ANY.iter().map(|v| v.to_string()).collect();
        if let Some(b) = state.bounds(key) {
            let (lo, hi, step) = (b.min, b.max, b.step);
            for v in [
                lo,
                hi,
                lo - step,
                hi + step,
                (lo + hi) / 2.0 + 0.37 * step,
                lo - 1000.0,
                hi * 10.0,
            ] {
                values.push(format_float(v));
            }
            values.push(format!("{}.5", format_float(lo)));
        }
        values.push(default);
        for value in values {
            let query = format!("v=1&{key}={}", value.replace(' ', "+"));
            lines.push(outcome(&query, Some(key)));
        }
    }
    for query in PAIRS {
        lines.push(outcome(query, None));
    }
    lines
}

#[test]
fn every_recorded_v1_link_gives_the_same_state_and_notices() {
    let recorded: Vec<&str> = RECORDED.lines().collect();
    let now = outcomes();
    for (line, (was, is)) in recorded.iter().zip(&now).enumerate() {
        assert_eq!(was, is, "line {} of v1-links.txt", line + 1);
    }
    assert_eq!(recorded.len(), now.len(), "lines in v1-links.txt");
}
