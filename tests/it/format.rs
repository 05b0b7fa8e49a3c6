//! Numbers written for readers.

use lora_explorer::format::{ratio, signed, thousands};

#[test]
fn thousands_separators() {
    for (n, text) in [
        (0, "0"),
        (999, "999"),
        (1000, "1,000"),
        (16_384, "16,384"),
        (1_048_576, "1,048,576"),
    ] {
        assert_eq!(thousands(n), text);
    }
}

#[test]
fn ratios_and_signed_values() {
    assert_eq!(ratio(64.0), "64.0×");
    assert_eq!(ratio(f64::INFINITY), "∞");
    assert_eq!(signed(-0.25, 2), "−0.25");
    assert_eq!(signed(-0.0001, 2), "0.00");
    assert_eq!(signed(1.5, 1), "1.5");
}
