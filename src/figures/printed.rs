//! Arithmetic printed so that it adds up as printed: a reader who redoes a sum from the numbers on
//! the page gets the number the page prints.

use crate::format::signed;

/// Decimal places of the terms of [`scaled_sum`].
const PLACES: i64 = 10_000;

/// A number as a factor after "×" is written: in brackets when negative, "0.5 × (−1.2)".
pub fn bracketed(text: String) -> String {
    if text.starts_with('−') {
        format!("({text})")
    } else {
        text
    }
}

/// `base + (α/r)·term` written so that it adds up as printed, ending with a full stop: both terms
/// to four decimals, α/r exactly (a decimal when it has one, else a fraction: "(2/3)"), and the sum
/// of the printed terms, marked "≈" and said to be rounded when it needs more than four decimals.
/// When `exact`, the unrounded result, rounds to another value, a second sentence gives it as
/// "From the unrounded terms, `name` = …". α is a whole number (its sliders step by 1).
pub fn scaled_sum(base: f64, alpha: f64, r: u32, term: f64, exact: f64, name: &str) -> String {
    let units = |x: f64| (x * PLACES as f64).round() as i64;
    let text = |units: i64| signed(units as f64 / PLACES as f64, 4);
    let (num, den) = lowest_terms(alpha.round() as i64, i64::from(r));
    let (base_units, term_units) = (units(base), units(term));
    // The printed terms' sum in units of 10⁻⁴, as a fraction over `den`, rounded half away from 0.
    let sum_over_den = base_units * den + num * term_units;
    let sum_units = (2 * sum_over_den + sum_over_den.signum() * den) / (2 * den);
    let rounded = sum_over_den % den != 0;
    let factor = bracketed(text(term_units));
    let mut line = format!(
        "{} + {} × {factor} {} {}",
        text(base_units),
        exact_ratio(num, den),
        if rounded { "≈" } else { "=" },
        text(sum_units),
    );
    if rounded {
        line.push_str(", rounded to four decimals");
    }
    line.push('.');
    if units(exact) != sum_units {
        line.push_str(&format!(
            " From the unrounded terms, {name} = {}.",
            text(units(exact))
        ));
    }
    line
}

/// The fraction num/den in lowest terms, with a positive denominator (1 for a zero denominator).
fn lowest_terms(num: i64, den: i64) -> (i64, i64) {
    let (mut a, mut b) = (num.abs(), den.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    let divisor = a.max(1);
    let sign = if den < 0 { -1 } else { 1 };
    (sign * num / divisor, (den.abs() / divisor).max(1))
}

/// num/den (in lowest terms) written exactly: as a decimal when it has a finite one (5/16 →
/// "0.3125", 3/1 → "3"), else as a fraction in brackets ("(1/3)").
fn exact_ratio(num: i64, den: i64) -> String {
    let mut rest = den;
    let mut places = 0;
    let mut scaled = num;
    // num/den has a finite decimal exactly when den is 2^a·5^b: multiply up to a whole number.
    while rest != 1 && places < 18 {
        if rest % 10 == 0 {
            rest /= 10;
        } else if rest % 2 == 0 {
            rest /= 2;
            scaled *= 5;
        } else if rest % 5 == 0 {
            rest /= 5;
            scaled *= 2;
        } else {
            break;
        }
        places += 1;
    }
    if rest != 1 {
        return format!("({num}/{den})");
    }
    let digits = format!("{:0>width$}", scaled.abs(), width = places + 1);
    let (whole, fraction) = digits.split_at(digits.len() - places);
    let sign = if scaled < 0 { "−" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}
