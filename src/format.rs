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
