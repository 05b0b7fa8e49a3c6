//! The diverging colour map shared by every heatmap: ColorBrewer's RdBu, which is colour-blind safe.
//!
//! Negative values are red, zero is a neutral near-white, positive values are blue (the orientation
//! of matplotlib's `RdBu`, which the teaching notebook uses).

/// An opaque colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb {
    /// Red, 0–255.
    pub r: u8,
    /// Green, 0–255.
    pub g: u8,
    /// Blue, 0–255.
    pub b: u8,
}

impl Rgb {
    /// Relative luminance (WCAG 2.1) in [0, 1].
    pub fn luminance(self) -> f64 {
        fn channel(c: u8) -> f64 {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        }
        0.2126 * channel(self.r) + 0.7152 * channel(self.g) + 0.0722 * channel(self.b)
    }

    /// The colour as a CSS hex string, such as `#f7f7f7`.
    pub fn css(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

/// A diverging map centred on zero covering [−half_range, half_range]; values beyond are clamped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Diverging {
    half_range: f64,
}

impl Diverging {
    /// A map for values in [−half_range, half_range]. A zero, negative or non-finite half-range maps
    /// everything to the neutral colour.
    pub fn new(half_range: f64) -> Self {
        Self { half_range }
    }

    /// The half-width of the value range.
    pub fn half_range(self) -> f64 {
        self.half_range
    }

    /// The colour of `value`. Zero maps to the neutral colour; v and −v map to colours of the same
    /// lightness on opposite sides. NaN maps to the neutral colour.
    pub fn colour(self, value: f64) -> Rgb {
        self.painter().colour(value)
    }

    /// A painter for many values: the table and the scale looked up once, not once a value.
    pub fn painter(self) -> Painter {
        let usable = self.half_range > 0.0 && self.half_range.is_finite();
        Painter {
            table: table(),
            // Table entries per unit of value; 0 sends every value to the centre.
            scale: if usable {
                (TABLE_LEN - 1) as f64 / (2.0 * self.half_range)
            } else {
                0.0
            },
        }
    }
}

/// Maps values to colours for one [`Diverging`] map; see [`Diverging::painter`].
#[derive(Clone, Copy, Debug)]
pub struct Painter {
    table: &'static [Rgb; TABLE_LEN],
    scale: f64,
}

impl Painter {
    /// The colour of `value`, as [`Diverging::colour`] gives it.
    pub fn colour(self, value: f64) -> Rgb {
        let centre = ((TABLE_LEN - 1) / 2) as f64;
        let position = if value.is_finite() {
            (centre + value * self.scale).clamp(0.0, (TABLE_LEN - 1) as f64)
        } else {
            centre
        };
        // The position is never negative, so adding a half and truncating rounds half away from
        // zero, as f64::round would, without its library call in WebAssembly.
        self.table[(position + 0.5) as usize]
    }
}

const TABLE_LEN: usize = 1025;

/// RdBu sampled once at `TABLE_LEN` evenly spaced points: evaluating the spline for every cell of
/// every heatmap on every slider move would cost more than the rest of the figure.
fn table() -> &'static [Rgb; TABLE_LEN] {
    static TABLE: std::sync::OnceLock<[Rgb; TABLE_LEN]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        std::array::from_fn(|idx| {
            let c = colorous::RED_BLUE.eval_rational(idx, TABLE_LEN - 1);
            Rgb {
                r: c.r,
                g: c.g,
                b: c.b,
            }
        })
    })
}
