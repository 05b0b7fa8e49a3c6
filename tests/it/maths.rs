//! The worked forward pass: its printed arithmetic adds up as printed.

use lora_explorer::figures::maths::WorkedExample;
use lora_explorer::state::FactorisationState;
use proptest::prelude::*;

/// A number as the page prints it, with a true minus sign and perhaps in brackets, in units of
/// 10⁻⁴.
fn units(text: &str) -> i64 {
    let text = text.trim_matches(['(', ')']).replace('−', "-");
    let value: f64 = text
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {text}"));
    (value * 1e4).round() as i64
}

/// A whole number as printed.
fn whole(text: &str) -> i64 {
    text.parse()
        .unwrap_or_else(|_| panic!("not a whole number: {text}"))
}

/// The printed scale as a fraction: "(2/3)" as (2, 3), "0.3125" as (3125, 10000).
fn fraction(text: &str) -> (i64, i64) {
    match text.trim_matches(['(', ')']).split_once('/') {
        Some((num, den)) => (whole(num), whole(den)),
        None => (units(text), 10_000),
    }
}

/// The state with these sizes, rank and α.
fn sized(d: u32, k: u32, r: u32, alpha: f64) -> FactorisationState {
    let mut state = FactorisationState::worked_example();
    for (key, value) in [("md", d), ("mk", k), ("mr", r)] {
        let set = lora_explorer::state::Section::set(&mut state, key, &value.to_string());
        assert!(set.is_ok(), "{key} = {value}: {set:?}");
    }
    state.alpha = alpha;
    state
}

/// Checks the worked y₁ of `state`: the printed terms give the printed sum, exactly with "=" and
/// to the nearest 10⁻⁴ with "≈", which is then said to be rounded.
fn check(state: &FactorisationState) {
    let example = WorkedExample::new(state);
    let line = &example.result_lines()[0];
    let sum = line
        .split_once("(B(Ax))₁ = ")
        .unwrap_or_else(|| panic!("no sum in {line}"))
        .1;
    let (at, sign) = [" ≈ ", " = "]
        .iter()
        .filter_map(|sign| sum.find(sign).map(|at| (at, *sign)))
        .min()
        .unwrap_or_else(|| panic!("no result in {line}"));
    let terms = &sum[..at];
    let total: String = sum[at + sign.len()..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '−')
        .collect();
    let total = units(total.trim_end_matches('.'));
    if sign == " ≈ " {
        assert!(line.contains("rounded to four decimals"), "{line}");
    }
    let (base, product) = terms
        .split_once(" + ")
        .unwrap_or_else(|| panic!("no sum of two terms in {line}"));
    let (scale, factor) = product
        .split_once(" × ")
        .unwrap_or_else(|| panic!("no product in {line}"));
    let (num, den) = fraction(scale);
    // base + num/den · factor, in units of 10⁻⁴ over den.
    let exact = units(base) * den + num * units(factor);
    let nearest = (2 * exact + exact.signum() * den) / (2 * den);
    assert_eq!(total, nearest, "{line}");
    assert_eq!(sign == " = ", exact % den == 0, "{line}");
}

#[test]
fn the_issues_example_adds_up_as_printed() {
    // α/r = 5/16 once printed as 0.312, with a sum from the unrounded values.
    let state = sized(16, 16, 16, 5.0);
    let line = &WorkedExample::new(&state).result_lines()[0];
    assert!(line.contains(" + 0.3125 × "), "{line}");
    check(&state);
    // A scale without a finite decimal is a fraction.
    let state = sized(6, 8, 3, 2.0);
    let line = &WorkedExample::new(&state).result_lines()[0];
    assert!(line.contains(" + (2/3) × "), "{line}");
    check(&state);
}

proptest! {
    #[test]
    fn every_worked_sum_adds_up_as_printed(
        d in 2u32..=16, k in 2u32..=16, r in 1u32..=16, alpha in 1u32..=64, seed in 0u32..1000
    ) {
        let mut state = sized(d, k, r.min(d).min(k), f64::from(alpha));
        state.seed = seed;
        check(&state);
    }
}
