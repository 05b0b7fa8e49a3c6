//! Numbers written for readers.

/// An integer with thousands separators: 16384 → "16,384".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (idx, ch) in digits.chars().enumerate() {
        if idx > 0 && (digits.len() - idx).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A ratio with a times sign: one decimal from 1 up ("64.0×"), two significant figures below
/// ("0.25×"), and "∞" when infinite.
pub fn ratio(x: f64) -> String {
    if !x.is_finite() {
        "∞".to_string()
    } else if x >= 1.0 || x <= 0.0 {
        format!("{x:.1}×")
    } else {
        format!("{x:.*}×", decimals_for(x, 2))
    }
}

/// How a count compares with another, in words that lead into the other: "64.0× fewer than",
/// "as many as" or "2.0× more than" (`part` against `whole`). Within 5% of each other, where a
/// ratio would read "1.0×", the difference is a percentage: "3.1% more than".
pub fn fewer_or_more(part: u64, whole: u64) -> String {
    let (small, large) = (part.min(whole) as f64, part.max(whole) as f64);
    let times = large / small;
    let amount = if times < 1.05 {
        let percent = 100.0 * (large - small) / whole.max(1) as f64;
        format!("{}%", significant(percent, 2))
    } else {
        ratio(times)
    };
    match part.cmp(&whole) {
        std::cmp::Ordering::Less => format!("{amount} fewer than"),
        std::cmp::Ordering::Equal => "as many as".to_string(),
        std::cmp::Ordering::Greater => format!("{amount} more than"),
    }
}

/// A count and a noun that agrees with it: (1, "component", "components") → "1 component".
pub fn count_noun(n: u64, singular: &str, plural: &str) -> String {
    format!(
        "{} {}",
        thousands(n),
        if n == 1 { singular } else { plural }
    )
}

/// A signed value with a true minus sign and `decimals` decimals: −0.25 → "−0.25".
pub fn signed(x: f64, decimals: usize) -> String {
    let text = format!("{x:.decimals$}");
    // "-0.00" reads as a negative number; show zero plainly.
    let is_zero = text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.');
    if is_zero {
        text.trim_start_matches('-').to_string()
    } else {
        text.replace('-', "−")
    }
}

/// `x` to `figures` significant figures with a true minus sign: 3.21456 → "3.21" at 3, 2.57·10⁻⁴ →
/// "0.00026" at 2, 9.996 → "10.0" at 3. Zero (either sign) is "0"; below 10⁻⁴ in size, a power of
/// ten: 1.2·10⁻¹⁵ → "1.2 × 10⁻¹⁵"; infinities are "∞" and "−∞", NaN is "not a number".
pub fn significant(x: f64, figures: usize) -> String {
    if x == 0.0 {
        "0".to_string()
    } else if x.is_nan() {
        "not a number".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "∞" } else { "−∞" }.to_string()
    } else if x.abs() >= 1e-4 {
        signed(x, decimals_for(x, figures))
    } else {
        let text = format!("{x:.*e}", figures.max(1) - 1);
        match text.split_once('e') {
            Some((mantissa, exp)) => format!(
                "{} × {}",
                mantissa.replacen('-', "−", 1),
                power_of_ten(exp.parse().unwrap_or(0))
            ),
            None => text,
        }
    }
}

/// How many decimals write `x` with `figures` significant figures (none once the integer part has
/// them all). A value that rounds up to the next power of ten (9.996 → "10.0") takes one fewer.
pub fn decimals_for(x: f64, figures: usize) -> usize {
    let figures = figures.max(1) as i32;
    if x == 0.0 || !x.is_finite() {
        return (figures - 1) as usize;
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (figures - 1 - magnitude).clamp(0, 16);
    let scale = 10f64.powi(decimals);
    let rounded = (x.abs() * scale).round() / scale;
    if decimals > 0 && rounded >= 10f64.powi(magnitude + 1) {
        (decimals - 1) as usize
    } else {
        decimals as usize
    }
}

/// Decimal SI units of [`bytes`], each 1000 times the one before.
const BYTE_UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];

/// Short-scale suffixes of [`count_si`] and [`count_sig`]: thousand, million, billion, trillion.
const COUNT_SUFFIXES: [&str; 5] = ["", "k", "M", "B", "T"];

/// A byte count in decimal SI units with three significant figures: 440 000 000 → "440 MB",
/// 1 760 000 000 → "1.76 GB", 2.8·10¹² → "2.80 TB". Below 1000 the count is exact ("512 B");
/// beyond 999 TB the number keeps growing in TB ("1,230 TB").
pub fn bytes(n: u64) -> String {
    bytes_to(n, 3)
}

/// A byte count as [`bytes`] writes it, with `figures` significant figures: 1.2·10¹² at 2 → "1.2 TB".
pub fn bytes_to(n: u64, figures: usize) -> String {
    if n < 1000 {
        return format!("{n} B");
    }
    let (text, unit) = significant_in_units(n, figures, &BYTE_UNITS);
    format!("{text} {unit}")
}

/// A count with a short-scale suffix and three significant figures, as a table of model sizes
/// writes it: 4 718 592 → "4.72M", 37 748 736 → "37.7M", 175·10⁹ → "175B". Exact below 1000.
pub fn count_sig(n: u64) -> String {
    if n < 1000 {
        return n.to_string();
    }
    let (text, suffix) = significant_in_units(n, 3, &COUNT_SUFFIXES);
    format!("{text}{suffix}")
}

/// `n` (at least 1000) rounded half up to `figures` significant figures in integer arithmetic, in
/// the largest unit of `units` (each 1000 times the one before) that keeps it at 1 or more: the
/// number's text and the unit. Beyond the last unit the number keeps growing, with separators.
fn significant_in_units(n: u64, figures: usize, units: &[&'static str]) -> (String, &'static str) {
    let figures = figures.max(1);
    let last = units.len().saturating_sub(1);
    let digits = n.to_string().len();
    let (mut mantissa, mut dropped) = (u128::from(n), 0);
    if digits > figures {
        dropped = digits - figures;
        let step = 10u128.pow(dropped as u32);
        mantissa = (mantissa + step / 2) / step;
        // 9,995 at three figures rounds to 1000: one figure moves into the exponent.
        if mantissa == 10u128.pow(figures as u32) {
            mantissa /= 10;
            dropped += 1;
        }
    }
    let total_digits = mantissa.to_string().len() + dropped;
    let unit = ((total_digits - 1) / 3).min(last);
    let unit_name = units.get(unit).copied().unwrap_or("");
    let whole_digits = total_digits - 3 * unit;
    if whole_digits > 3 {
        // Past the last unit: every digit of the rounded value in that unit.
        let per_unit = 10u128.pow(3 * unit as u32);
        let rounded = (u128::from(n) + per_unit / 2) / per_unit;
        return (
            thousands(u64::try_from(rounded).unwrap_or(u64::MAX)),
            unit_name,
        );
    }
    let text = mantissa.to_string();
    let shown = if whole_digits >= text.len() {
        format!("{text}{}", "0".repeat(whole_digits - text.len()))
    } else {
        format!("{}.{}", &text[..whole_digits], &text[whole_digits..])
    };
    (shown, unit_name)
}

/// A count with a short-scale suffix, as chart axes write it: 1000 → "1k", 16 384 → "16.4k",
/// 1 500 000 → "1.5M", 110 000 000 → "110M". One decimal below 100 (dropped when it is 0), none
/// from 100 up; below 1000 the count is exact. Tables use [`count_sig`].
pub fn count_si(n: u64) -> String {
    if n < 1000 {
        return n.to_string();
    }
    let (value, suffix) = scaled(n, &COUNT_SUFFIXES);
    let text = if value >= 1000.0 {
        thousands(value.round() as u64)
    } else if value >= 99.95 {
        format!("{value:.0}")
    } else {
        let one_decimal = format!("{value:.1}");
        match one_decimal.strip_suffix(".0") {
            Some(whole) => whole.to_string(),
            None => one_decimal,
        }
    };
    format!("{text}{suffix}")
}

/// `n` divided by the largest power of 1000 that keeps it at 1 or more, with that power's unit.
///
/// A value that would round up to 1000 (999.96 kB) moves to the next unit, so it reads "1.00 MB".
/// Requires `n ≥ 1000` and a table of at least two units.
fn scaled(n: u64, units: &[&'static str]) -> (f64, &'static str) {
    let mut value = n as f64;
    let mut idx = 0;
    // 999.5 and up would print as "1000" at three significant figures, so it moves up a unit.
    while value >= 999.5 && idx + 1 < units.len() {
        value /= 1000.0;
        idx += 1;
    }
    let unit = units.get(idx).copied().unwrap_or("");
    (value, unit)
}

/// A whole number in subscript digits, as in σ₁₂: 12 → "₁₂".
pub fn subscript(n: usize) -> String {
    n.to_string()
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(0x2080 + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

/// An integer in superscript digits, with a superscript minus: −16 → "⁻¹⁶".
pub fn superscript(n: i32) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut out = String::new();
    if n < 0 {
        out.push('⁻');
    }
    for ch in n.unsigned_abs().to_string().chars() {
        let idx = ch.to_digit(10).unwrap_or(0) as usize;
        out.push(DIGITS.get(idx).copied().unwrap_or('⁰'));
    }
    out
}

/// A power of ten written with a superscript exponent: −10 → "10⁻¹⁰".
pub fn power_of_ten(exp: i32) -> String {
    format!("10{}", superscript(exp))
}
