//! Numbers written for readers.

use lora_explorer::format::{count_noun, fewer_or_more, ratio, signed, significant, thousands};

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

#[test]
fn ratios_below_one_keep_two_significant_figures() {
    // 0.25 once printed as "0.2×".
    assert_eq!(ratio(0.25), "0.25×");
    assert_eq!(ratio(0.5), "0.50×");
    assert_eq!(ratio(0.999), "1.0×");
    assert_eq!(ratio(1.0), "1.0×");
}

#[test]
fn comparisons_say_fewer_or_more_the_right_way_round() {
    assert_eq!(fewer_or_more(16_384, 1_048_576), "64.0× fewer than");
    assert_eq!(fewer_or_more(4096, 4096), "as many as");
    // LoRA at rank 128 on a 64×64 layer would train 16,384 parameters against 4,096.
    assert_eq!(fewer_or_more(16_384, 4096), "4.0× more than");
    // Close counts: a percentage, not "1.0× more".
    assert_eq!(fewer_or_more(4224, 4096), "3.1% more than");
    assert_eq!(fewer_or_more(4000, 4096), "2.3% fewer than");
    assert_eq!(fewer_or_more(0, 4096), "∞ fewer than");
}

#[test]
fn nouns_agree_with_their_counts() {
    assert_eq!(count_noun(1, "component", "components"), "1 component");
    assert_eq!(count_noun(0, "component", "components"), "0 components");
    assert_eq!(count_noun(15, "component", "components"), "15 components");
}

#[test]
fn significant_values_show_small_numbers_and_no_negative_zero() {
    // A residual colour scale of 2.57e-4 once read "±0.000".
    assert_eq!(significant(2.57e-4, 2), "0.00026");
    assert_eq!(significant(0.0123, 3), "0.0123");
    assert_eq!(significant(1.23456, 3), "1.23");
    assert_eq!(significant(9.996, 3), "10.0");
    assert_eq!(significant(-0.5, 2), "−0.50");
    assert_eq!(significant(1.2e-15, 2), "1.2 × 10⁻¹⁵");
    assert_eq!(significant(-3.0e-7, 1), "−3 × 10⁻⁷");
    assert_eq!(significant(-0.0, 3), "0");
    assert_eq!(significant(0.0, 3), "0");
    assert_eq!(significant(f64::NEG_INFINITY, 3), "−∞");
    assert_eq!(significant(f64::NAN, 3), "not a number");
}
