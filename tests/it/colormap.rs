//! The shared diverging colour map and the pixel buffers painted with it.

use lora_explorer::render::colormap::Diverging;
use lora_explorer::render::heatmap::{
    colour_bar_rgba, heatmap_rgba, share_bar_rgba, share_heatmap_rgba,
};
use nalgebra::DMatrix;
use proptest::prelude::*;

#[test]
fn zero_maps_to_a_neutral_light_grey() {
    let c = Diverging::new(2.5).colour(0.0);
    // d3's continuous RdBu passes through (241, 239, 237) at its centre: achromatic to within 2%.
    let spread = c.r.max(c.g).max(c.b) - c.r.min(c.g).min(c.b);
    assert!(spread <= 5, "{c:?}");
    assert!(c.luminance() > 0.85, "{c:?}");
}

#[test]
fn negative_is_red_positive_is_blue_and_ends_clamp() {
    let map = Diverging::new(1.0);
    let (neg, pos) = (map.colour(-1.0), map.colour(1.0));
    assert!(neg.r > neg.b && pos.b > pos.r, "{neg:?} {pos:?}");
    assert_eq!(map.colour(-7.0), neg);
    assert_eq!(map.colour(7.0), pos);
}

#[test]
fn degenerate_ranges_map_to_neutral() {
    let neutral = Diverging::new(1.0).colour(0.0);
    assert_eq!(Diverging::new(0.0).colour(3.0), neutral);
    assert_eq!(Diverging::new(f64::NAN).colour(3.0), neutral);
    assert_eq!(Diverging::new(1.0).colour(f64::NAN), neutral);
}

proptest! {
    #[test]
    fn opposite_values_have_similar_lightness_and_darken_away_from_zero(v in 0.0f64..1.0) {
        let map = Diverging::new(1.0);
        let (neg, pos) = (map.colour(-v).luminance(), map.colour(v).luminance());
        // RdBu is symmetric in lightness up to ColorBrewer's hand-tuned steps.
        prop_assert!((neg - pos).abs() < 0.08, "v={} {} {}", v, neg, pos);
        let further = (v + 0.2).min(1.0);
        prop_assert!(map.colour(further).luminance() <= pos + 0.02);
    }
}

#[test]
fn heatmap_pixels_are_row_major_rgba() {
    let m = DMatrix::from_row_slice(2, 3, &[-1.0, 0.0, 1.0, 0.5, -0.5, 0.0]);
    let map = Diverging::new(1.0);
    let pixels = heatmap_rgba(&m, map);
    assert_eq!(pixels.len(), 2 * 3 * 4);
    for (idx, value) in [-1.0, 0.0, 1.0, 0.5, -0.5, 0.0].iter().enumerate() {
        let c = map.colour(*value);
        assert_eq!(
            &pixels[idx * 4..idx * 4 + 4],
            &[c.r, c.g, c.b, 255],
            "pixel {idx}"
        );
    }
}

#[test]
fn colour_bar_runs_from_negative_to_positive_through_neutral() {
    let map = Diverging::new(3.0);
    let bar = colour_bar_rgba(101, map);
    assert_eq!(bar.len(), 101 * 4);
    let middle = &bar[50 * 4..50 * 4 + 3];
    let neutral = map.colour(0.0);
    assert_eq!(middle, &[neutral.r, neutral.g, neutral.b]);
    assert!(bar[0] > bar[2], "left end is red");
    assert!(bar[100 * 4 + 2] > bar[100 * 4], "right end is blue");
}

#[test]
fn shares_run_from_neutral_at_zero_to_the_deepest_blue_at_one() {
    let map = Diverging::new(1.0);
    let rgb = |c: lora_explorer::render::colormap::Rgb| [c.r, c.g, c.b, 255];
    let grid = DMatrix::from_row_slice(1, 3, &[0.0, 0.5, 1.0]);
    let pixels = share_heatmap_rgba(&grid);
    assert_eq!(pixels[..4], rgb(map.colour(0.0)));
    assert_eq!(pixels[4..8], rgb(map.colour(0.5)));
    assert_eq!(pixels[8..], rgb(map.colour(1.0)));
    // The bar samples pixel centres: 0.05, 0.15, …, 0.95 for ten pixels.
    let bar = share_bar_rgba(10);
    assert_eq!(bar.len(), 40);
    for (x, pixel) in bar.chunks_exact(4).enumerate() {
        assert_eq!(pixel, rgb(map.colour(0.05 + 0.1 * x as f64)), "pixel {x}");
    }
    assert!(bar[38] > bar[36], "the right end is blue");
}
