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

/// A ratio with one decimal and a times sign: 64.0 → "64.0×".
pub fn ratio(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.1}×")
    } else {
        "∞".to_string()
    }
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

/// Decimal SI units of [`bytes`], each 1000 times the one before.
const BYTE_UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];

/// Short-scale suffixes of [`count_si`]: thousand, million, billion, trillion.
const COUNT_SUFFIXES: [&str; 5] = ["", "k", "M", "B", "T"];

/// A byte count in decimal SI units with three significant figures: 440 000 000 → "440 MB",
/// 1 760 000 000 → "1.76 GB", 2.8·10¹² → "2.80 TB". Below 1000 the count is exact ("512 B");
/// beyond 999 TB the number keeps growing in TB ("1,230 TB").
pub fn bytes(n: u64) -> String {
    if n < 1000 {
        return format!("{n} B");
    }
    let (value, unit) = scaled(n, &BYTE_UNITS);
    let text = if value >= 1000.0 {
        thousands(value.round() as u64)
    } else if value >= 99.95 {
        // From 99.95 up, one decimal would round to "100.0": four figures.
        format!("{value:.0}")
    } else if value >= 9.995 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    };
    format!("{text} {unit}")
}

/// A count with a short-scale suffix, as model sizes are written: 110 000 000 → "110M",
/// 1 500 000 000 → "1.5B", 4 718 592 → "4.7M", 37 748 736 → "37.7M", 175·10⁹ → "175B".
/// One decimal below 100 (dropped when it is 0), none from 100 up; below 1000 the count is exact.
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

/// How many decimals give `x` `digits` significant figures (0 when its integer part has them all;
/// at most 12). Zero and non-finite values take `digits` − 1.
pub fn decimals_for(x: f64, digits: usize) -> usize {
    if x == 0.0 || !x.is_finite() {
        return digits.saturating_sub(1);
    }
    let magnitude = x.abs().log10().floor() as i64;
    (digits as i64 - 1 - magnitude).clamp(0, 12) as usize
}

/// `x` to `digits` significant figures with a true minus sign: 3.21456 → "3.215" at 4, 0.000123456
/// → "0.0001235". Zero is "0"; below 10⁻⁶ in size, a power of ten: "1.23 × 10⁻⁸".
pub fn significant(x: f64, digits: usize) -> String {
    if x == 0.0 {
        return "0".to_string();
    }
    if !x.is_finite() {
        return "—".to_string();
    }
    if x.abs() >= 1e-6 {
        return signed(x, decimals_for(x, digits));
    }
    let mut exp = x.abs().log10().floor() as i32;
    let mut mantissa = x / 10f64.powi(exp);
    // 9.996 would print as "10.00": write it as 1.000 of the next power.
    let unit = 10f64.powi(digits.saturating_sub(1) as i32);
    if ((mantissa * unit).round() / unit).abs() >= 10.0 {
        mantissa /= 10.0;
        exp += 1;
    }
    format!(
        "{} × {}",
        signed(mantissa, digits.saturating_sub(1)),
        power_of_ten(exp)
    )
}
