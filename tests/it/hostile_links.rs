//! A million hostile links, spread over every chapter's state: random and mutated query strings
//! never panic, always give a valid state (every slider within its bounds and on its step, every
//! selector on one of its options), and printing that state and parsing it again gives it back.

use lora_explorer::permalink::{parse_chapter, to_query};
use lora_explorer::state::{
    CalculatorPage, ChapterState, Control, Kind, LearnPage, PageState, QloraPage,
};

/// Links tried in all, shared among the chapters.
const LINKS: usize = 1_000_000;

/// SplitMix64: a small seeded generator, so that every run tries the same links.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.below(options.len())]
    }
}

/// Values a hostile link might carry: numbers in and out of range, malformed numbers, escapes,
/// unicode and markup.
const VALUES: [&str; 28] = [
    "0",
    "1",
    "-1",
    "8",
    "64",
    "4096",
    "1e309",
    "-1e309",
    "1e308",
    "NaN",
    "inf",
    "-0",
    "0.5",
    "1e-320",
    "9999999999999999999999",
    "abc",
    "",
    "%",
    "%zz",
    "%FF%FE",
    "+",
    "%2B1",
    "é",
    "😀",
    "<script>alert(1)</script>",
    "\"'><img>",
    "1.2.3",
    "--5",
];

/// Keys other than the chapter's own.
const STRANGERS: [&str; 8] = ["v", "embed", "x", "", "fd", "qn", "ld", "%00"];

/// A random link for a page whose controls are `controls`.
fn hostile_link(draw: &mut Draw, controls: &[&Control]) -> String {
    let pairs = draw.below(12);
    let mut link = String::new();
    for _ in 0..pairs {
        let key = if draw.below(4) == 0 {
            draw.pick(&STRANGERS).to_string()
        } else {
            controls[draw.below(controls.len())].key.to_string()
        };
        let control = controls.iter().find(|c| c.key == key);
        let value = match (draw.below(3), control.map(|c| c.kind)) {
            // A value the control could take, or one just outside its range.
            (0, Some(Kind::Slider(slider))) => {
                let span = slider.max - slider.min;
                let x = slider.min - 0.25 * span + 1.5 * span * draw.below(1001) as f64 / 1000.0;
                format!("{x}")
            }
            (0, Some(Kind::Choice(options, _))) => draw.pick(options).to_string(),
            _ => draw.pick(&VALUES).to_string(),
        };
        let separator = if draw.below(20) == 0 { "&&" } else { "&" };
        link += &format!("{key}={value}{separator}");
    }
    link
}

/// Whether every control of `state` holds a value its row allows.
fn is_valid<S: ChapterState>(state: &S) -> Result<(), String> {
    for control in state.controls() {
        let key = control.key;
        let text = state.get(key).ok_or(format!("{key} has no value"))?;
        match control.kind {
            Kind::Slider(_) => {
                let value: f64 = text
                    .parse()
                    .map_err(|_| format!("{key}={text} is no number"))?;
                let bounds = state.bounds(key).ok_or(format!("{key} has no bounds"))?;
                let steps = (value - bounds.min) / bounds.step;
                if !(bounds.min..=bounds.max).contains(&value)
                    || (steps - steps.round()).abs() > 1e-6
                {
                    return Err(format!("{key}={value} outside {bounds:?}"));
                }
            }
            Kind::Toggle(_) => {
                if text != "0" && text != "1" {
                    return Err(format!("{key}={text} is no toggle"));
                }
            }
            Kind::Choice(options, _) => {
                if !options.contains(&text.as_str()) {
                    return Err(format!("{key}={text} is no option"));
                }
            }
        }
    }
    Ok(())
}

/// Tries `links` hostile links on chapter state `S`.
fn try_links<S: ChapterState + std::fmt::Debug>(seed: u64, links: usize) {
    let mut draw = Draw(seed);
    let controls = S::default().controls();
    for _ in 0..links {
        let link = hostile_link(&mut draw, &controls);
        let parsed = parse_chapter::<S>(&link);
        if let Err(problem) = is_valid(&parsed.state) {
            panic!("{problem} after ?{link}");
        }
        let again = parse_chapter::<S>(&to_query(&parsed.state, None));
        assert_eq!(
            again.state, parsed.state,
            "?{link} does not print and read back"
        );
        assert!(
            again.notices.is_empty(),
            "?{link} printed a link with notices"
        );
    }
}

#[test]
fn a_million_hostile_links_give_valid_states_that_read_back() {
    let each = LINKS / 4;
    try_links::<PageState>(1, each);
    try_links::<LearnPage>(2, each);
    try_links::<QloraPage>(3, each);
    try_links::<CalculatorPage>(4, each);
}
