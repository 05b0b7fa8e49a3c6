//! The page's state: one typed struct that holds the value of every control on the page.
//!
//! Each section of the article declares its controls once, as rows of a table of [`Control`]s
//! (key, label, range or options, default, value text), and owns a sub-struct implementing
//! [`Section`] that keeps their values in typed fields; [`PageState`] gathers them. Every key is
//! unique on the site (`fd` is the factorisation figure's d). Values go in and out as text through
//! [`PageState::set`] and [`PageState::get`], which is how the browser layer reads inputs and how
//! the page's URL form is built. Setting a value clamps it into the row's range and brings every
//! capped control under its cap (r ≤ min(d, k)); the invariants hold after every call, whatever
//! text came in.

use std::fmt;

use crate::math::memory::Counting;
use crate::math::models::{Layout, ModelDtype, PRESETS};
use ValueText::{Log10, OutOf, Percent};

/// Why a value could not be set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateError {
    /// No control has this key.
    UnknownKey(String),
    /// The text is not a value of this control's kind.
    Unparsable {
        /// The control's key.
        key: String,
        /// The text that was given.
        raw: String,
    },
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownKey(key) => write!(f, "there is no control named “{key}”"),
            Self::Unparsable { key, raw } => write!(f, "“{raw}” is not a valid value for “{key}”"),
        }
    }
}

impl std::error::Error for StateError {}

/// What became of a value that was set.
#[derive(Clone, Debug, PartialEq)]
pub enum Applied {
    /// The value was used as given.
    AsGiven,
    /// The value was out of range; the nearest valid value was used instead.
    Clamped {
        /// The value now held, as text.
        used: String,
    },
}

/// The numeric range of a control at the current state (the rank's maximum follows d and k).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// Smallest allowed value.
    pub min: f64,
    /// Largest allowed value.
    pub max: f64,
    /// Slider step.
    pub step: f64,
}

/// How a slider's value reads to a screen reader (its `aria-valuetext`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueText {
    /// The name, the value and the current maximum: "rank 8 of 64".
    OutOf(&'static str),
    /// The name and the value in percent: "threshold 95 percent".
    Percent(&'static str),
    /// The value is a power of ten: "noise sigma 1.000e-2 (log10 -2)".
    Log10(&'static str),
}

/// A slider's range, step, default and value text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slider {
    /// Smallest value.
    pub min: f64,
    /// Largest value, before any cap.
    pub max: f64,
    /// Step between values.
    pub step: f64,
    /// Value on a fresh page.
    pub default: f64,
    /// Keys of controls of the same section whose values also cap the maximum, as d and k cap
    /// the rank (r ≤ min(d, k)).
    pub capped_by: &'static [&'static str],
    /// How the value reads to a screen reader.
    pub text: ValueText,
}

/// What kind of control a row declares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// A slider (`<input type="range">`).
    Slider(Slider),
    /// A checkbox, "1" or "0", and whether it is on by default.
    Toggle(bool),
    /// A selector (`<select>`): its options' values, as the URL and the markup write them, and
    /// the index of the default.
    Choice(&'static [&'static str], usize),
}

/// One control, declared once. The state's clamping, the URL form, the screen-reader text and the
/// markup's sliders (checked by a test) all follow its row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Control {
    /// The control's key: its URL parameter, and its element's `id` and `data-key`.
    pub key: &'static str,
    /// The text of its `<label>`.
    pub label: &'static str,
    /// Its kind, range or options, and default.
    pub kind: Kind,
}

impl Control {
    /// A slider from `min` to `max` in steps of `step`, at `default` on a fresh page.
    pub const fn slider(
        key: &'static str,
        label: &'static str,
        (min, max, step): (f64, f64, f64),
        default: f64,
        text: ValueText,
    ) -> Self {
        Self {
            key,
            label,
            kind: Kind::Slider(Slider {
                min,
                max,
                step,
                default,
                capped_by: &[],
                text,
            }),
        }
    }

    /// This slider with its maximum also capped by the values of controls `keys`.
    pub const fn capped_by(self, keys: &'static [&'static str]) -> Self {
        match self.kind {
            Kind::Slider(slider) => Self {
                kind: Kind::Slider(Slider {
                    capped_by: keys,
                    ..slider
                }),
                ..self
            },
            _ => self,
        }
    }

    /// A checkbox, on by default if `default`.
    pub const fn toggle(key: &'static str, label: &'static str, default: bool) -> Self {
        Self {
            key,
            label,
            kind: Kind::Toggle(default),
        }
    }

    /// A selector of `options`, the one at index `default` chosen on a fresh page.
    pub const fn choice(
        key: &'static str,
        label: &'static str,
        options: &'static [&'static str],
        default: usize,
    ) -> Self {
        Self {
            key,
            label,
            kind: Kind::Choice(options, default),
        }
    }

    /// The default as [`Section::value`] gives values.
    fn default_value(&self) -> f64 {
        match self.kind {
            Kind::Slider(slider) => slider.default,
            Kind::Toggle(on) => f64::from(u8::from(on)),
            Kind::Choice(_, index) => index as f64,
        }
    }
}

/// One section's controls: its rows, and how their values are kept in its fields. Reading,
/// setting, ranges and value texts follow from the rows.
pub trait Section {
    /// The section's controls, in page order.
    fn controls(&self) -> &'static [Control];

    /// The value of the control at `index` in [`Section::controls`]: a slider's value, 1 or 0 for
    /// a toggle, the option's index for a selector.
    fn value(&self, index: usize) -> f64;

    /// Stores a valid value, as [`Section::value`] gives it, into the control at `index`.
    fn store(&mut self, index: usize, value: f64);

    /// The position of control `key` in [`Section::controls`].
    fn index(&self, key: &str) -> Option<usize> {
        self.controls().iter().position(|c| c.key == key)
    }

    /// The value of control `key` as text, or None if the section has no such control.
    fn get(&self, key: &str) -> Option<String> {
        let index = self.index(key)?;
        let value = self.value(index);
        Some(match self.controls()[index].kind {
            Kind::Slider(_) => format_float(value),
            Kind::Toggle(_) => u8::from(value != 0.0).to_string(),
            Kind::Choice(options, _) => {
                let last = options.len().checked_sub(1)?;
                options.get((value as usize).min(last))?.to_string()
            }
        })
    }

    /// Sets control `key` from text, clamping into range, then brings every capped control under
    /// its cap. Err, changing nothing, if the text is not a value.
    fn set(&mut self, key: &str, raw: &str) -> Result<Applied, StateError> {
        let unknown = || StateError::UnknownKey(key.to_string());
        let index = self.index(key).ok_or_else(unknown)?;
        let (value, applied) = match self.controls()[index].kind {
            Kind::Slider(_) => parse_number(key, raw, self.bounds(key).ok_or_else(unknown)?)?,
            Kind::Toggle(_) => (f64::from(u8::from(parse_bool(key, raw)?)), Applied::AsGiven),
            Kind::Choice(options, _) => (parse_choice(key, raw, options)? as f64, Applied::AsGiven),
        };
        self.store(index, value);
        // Shrinking d or k may leave the rank above min(d, k).
        for (capped, control) in self.controls().iter().enumerate() {
            if let Some(bounds) = self.bounds(control.key) {
                if self.value(capped) > bounds.max {
                    self.store(capped, bounds.max);
                }
            }
        }
        Ok(applied)
    }

    /// The range of slider `key` at the current state; None for toggles and selectors.
    fn bounds(&self, key: &str) -> Option<Bounds> {
        row_bounds(self, key)
    }

    /// What slider `key`'s value means, for screen readers: "rank 8 of 64". None for controls
    /// that are not sliders.
    fn value_text(&self, key: &str) -> Option<String> {
        let index = self.index(key)?;
        let Kind::Slider(slider) = self.controls()[index].kind else {
            return None;
        };
        let value = self.get(key)?;
        Some(match slider.text {
            ValueText::OutOf(name) => {
                let max = self.bounds(key)?.max;
                format!("{name} {value} of {}", format_float(max))
            }
            ValueText::Percent(name) => format!("{name} {value} percent"),
            ValueText::Log10(name) => {
                let power = 10f64.powf(self.value(index));
                format!("{name} {power:.3e} (log10 {value})")
            }
        })
    }
}

/// The range of slider `key` of `section` as its row says: its maximum capped by the values of the
/// controls it names. None for toggles and selectors.
fn row_bounds<S: Section + ?Sized>(section: &S, key: &str) -> Option<Bounds> {
    let Kind::Slider(slider) = section.controls()[section.index(key)?].kind else {
        return None;
    };
    let max = slider
        .capped_by
        .iter()
        .filter_map(|cap| section.index(cap))
        .map(|cap| section.value(cap))
        .fold(slider.max, f64::min);
    Some(Bounds {
        min: slider.min,
        max,
        step: slider.step,
    })
}

/// `section` with every control at its row's default.
fn with_defaults<S: Section>(mut section: S) -> S {
    for (index, control) in section.controls().iter().enumerate() {
        section.store(index, control.default_value());
    }
    section
}

/// Parses a plain decimal number: an optional sign, digits with at most one decimal point, and an
/// optional exponent (`-2.5`, `64`, `1e3`, `.5`). Accurate to about 15 significant digits, which is
/// all a control needs. A number too large for f64 is infinite, as with the standard parser, and
/// one below about 10⁻³⁰⁰ in size may read as zero; the result is never NaN. Written here rather
/// than with `str::parse::<f64>` because the standard parser's correctly-rounded tables add
/// 14.7 kB, gzipped, to the page's WebAssembly (measured on the release build: 166,007 bytes with
/// the standard parser against 151,328 with this one).
pub fn parse_decimal(text: &str) -> Option<f64> {
    let (negative, rest) = split_sign(text);
    let (number, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    // Nineteen significant digits fit a u64; later digits of the whole part only scale it.
    let mut mantissa = 0_u64;
    let mut significant = 0;
    let mut scale = 0_i32;
    for (digits, in_fraction) in [(whole, false), (fraction, true)] {
        for byte in digits.bytes() {
            let digit = u64::from(byte.checked_sub(b'0').filter(|d| *d <= 9)?);
            if significant < 19 {
                mantissa = mantissa * 10 + digit;
                significant += u32::from(mantissa > 0);
                scale -= i32::from(in_fraction);
            } else if !in_fraction {
                scale = scale.saturating_add(1);
            }
        }
    }
    if let Some(exponent) = exponent {
        let (exp_negative, exp_digits) = split_sign(exponent);
        if exp_digits.is_empty() {
            return None;
        }
        let mut value = 0_i32;
        for byte in exp_digits.bytes() {
            let digit = i32::from(byte.checked_sub(b'0').filter(|d| *d <= 9)?);
            value = value.saturating_mul(10).saturating_add(digit);
        }
        scale = scale.saturating_add(if exp_negative { -value } else { value });
    }
    // Past 10^±400 any mantissa here overflows to infinity or underflows to zero.
    let scale = scale.clamp(-400, 400);
    let mantissa = mantissa as f64;
    // Dividing by an exact power of ten rounds once; multiplying by 10^-n would round twice.
    let magnitude = if mantissa == 0.0 {
        0.0
    } else if scale < 0 {
        mantissa / 10f64.powi(-scale)
    } else {
        mantissa * 10f64.powi(scale)
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// Splits a leading `-` or `+` from `text`: (whether negative, the rest).
fn split_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// Parses a number, snaps it to the control's step and clamps it into its bounds. A number too
/// large for f64 is out of range like any other, so it is clamped to the nearer bound.
fn parse_number(key: &str, raw: &str, bounds: Bounds) -> Result<(f64, Applied), StateError> {
    let value = parse_decimal(raw.trim()).ok_or_else(|| StateError::Unparsable {
        key: key.to_string(),
        raw: raw.to_string(),
    })?;
    let used = snap(value, bounds);
    let applied = if value.is_finite() && (used - value).abs() <= 1e-9 * value.abs().max(1.0) {
        Applied::AsGiven
    } else {
        Applied::Clamped {
            used: format_float(used),
        }
    };
    Ok((used, applied))
}

/// `value` snapped to the nearest step of `bounds` and clamped into them.
fn snap(value: f64, bounds: Bounds) -> f64 {
    let steps = ((value - bounds.min) / bounds.step).round();
    let snapped = (bounds.min + steps * bounds.step).clamp(bounds.min, bounds.max);
    // Snapping accumulates rounding error for fractional steps; keep a clean decimal.
    (snapped * 1e9).round() / 1e9
}

/// Parses a toggle: "1"/"true"/"on" or "0"/"false"/"off".
fn parse_bool(key: &str, raw: &str) -> Result<bool, StateError> {
    match raw.trim() {
        "1" | "true" | "on" => Ok(true),
        "0" | "false" | "off" => Ok(false),
        _ => Err(StateError::Unparsable {
            key: key.to_string(),
            raw: raw.to_string(),
        }),
    }
}

/// Parses one of a selector's option names into its index.
fn parse_choice(key: &str, raw: &str, options: &[&str]) -> Result<usize, StateError> {
    options
        .iter()
        .position(|option| *option == raw.trim())
        .ok_or_else(|| StateError::Unparsable {
            key: key.to_string(),
            raw: raw.to_string(),
        })
}

/// Writes a number without a trailing ".0" when it is whole.
pub fn format_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        x.to_string()
    }
}

/// The "LoRA factorisation" figure's controls: a 4×4 weight at rank 2, with α = r so that α/r = 1,
/// the notebook's own example; d and k go up to 64.
#[rustfmt::skip]
pub const FACTORISATION: [Control; 6] = [
    Control::slider("fd", "d, rows of W₀", (2.0, 64.0, 1.0), 4.0, OutOf("d")),
    Control::slider("fk", "k, columns of W₀", (2.0, 64.0, 1.0), 4.0, OutOf("k")),
    Control::slider("fr", "r, the rank", (1.0, 64.0, 1.0), 2.0, OutOf("rank")).capped_by(&["fd", "fk"]),
    Control::slider("fa", "α, the scaling", (1.0, 64.0, 1.0), 2.0, OutOf("alpha")),
    Control::slider("fs", "Seed", (0.0, 999.0, 1.0), 42.0, OutOf("seed")),
    Control::toggle("fi", "At initialisation (B = 0)", false),
];

/// The mathematics section's worked example: a 6×8 weight at rank 2, small enough to print.
#[rustfmt::skip]
pub const MATHS: [Control; 6] = [
    Control::slider("md", "d, outputs", (2.0, 16.0, 1.0), 6.0, OutOf("d")),
    Control::slider("mk", "k, inputs", (2.0, 16.0, 1.0), 8.0, OutOf("k")),
    Control::slider("mr", "r, the rank", (1.0, 16.0, 1.0), 2.0, OutOf("rank")).capped_by(&["md", "mk"]),
    Control::slider("ma", "α, the scaling", (1.0, 64.0, 1.0), 2.0, OutOf("alpha")),
    Control::slider("ms", "Seed", (0.0, 999.0, 1.0), 7.0, OutOf("seed")),
    Control::toggle("mi", "At initialisation (B = 0)", false),
];

/// A LoRA factorisation's settings: sizes, rank, scaling, seed and initialisation. Used by the
/// "LoRA factorisation" figure ([`FACTORISATION`]) and the worked example of the mathematics
/// section ([`MATHS`]), each with its own keys and size limit.
#[derive(Clone, Debug, PartialEq)]
pub struct FactorisationState {
    /// Rows of W₀ (output features).
    pub d: u32,
    /// Columns of W₀ (input features).
    pub k: u32,
    /// Rank, 1 to min(d, k).
    pub r: u32,
    /// The LoRA scaling numerator α; ΔW is scaled by α/r.
    pub alpha: f64,
    /// Seed of every random matrix and vector.
    pub seed: u32,
    /// True shows the adapter at initialisation (B = 0); false shows it as after training.
    pub at_init: bool,
    /// The controls of d, k, r, α, seed and the initialisation toggle, in that order.
    controls: &'static [Control],
}

impl FactorisationState {
    /// The "LoRA factorisation" figure at its defaults.
    pub fn figure() -> Self {
        Self::at_defaults(&FACTORISATION)
    }

    /// The mathematics section's worked example at its defaults.
    pub fn worked_example() -> Self {
        Self::at_defaults(&MATHS)
    }

    fn at_defaults(controls: &'static [Control]) -> Self {
        with_defaults(Self {
            d: 0,
            k: 0,
            r: 0,
            alpha: 0.0,
            seed: 0,
            at_init: false,
            controls,
        })
    }

    /// Largest d and k.
    pub fn max_size(&self) -> u32 {
        match self.controls.first().map(|c| c.kind) {
            Some(Kind::Slider(d)) => d.max as u32,
            _ => 0,
        }
    }
}

impl Default for FactorisationState {
    fn default() -> Self {
        Self::figure()
    }
}

impl Section for FactorisationState {
    fn controls(&self) -> &'static [Control] {
        self.controls
    }

    fn value(&self, index: usize) -> f64 {
        match index {
            0 => f64::from(self.d),
            1 => f64::from(self.k),
            2 => f64::from(self.r),
            3 => self.alpha,
            4 => f64::from(self.seed),
            _ => f64::from(u8::from(self.at_init)),
        }
    }

    fn store(&mut self, index: usize, value: f64) {
        match index {
            0 => self.d = value as u32,
            1 => self.k = value as u32,
            2 => self.r = value as u32,
            3 => self.alpha = value,
            4 => self.seed = value as u32,
            _ => self.at_init = value != 0.0,
        }
    }
}

/// The memory chart's counting options as the selector and the URL name them, in the order of
/// [`Counting::ALL`].
pub const COUNTING_NAMES: [&str; 3] = ["weights", "grads", "adam"];

/// "Why full fine-tuning is expensive": the layer width, what is counted, and the LoRA rank.
#[rustfmt::skip]
pub const COST: [Control; 3] = [
    Control::slider("cd", "d_model, the layer's width", (64.0, 12_288.0, 64.0), 768.0, OutOf("d_model")),
    Control::choice("cc", "What is counted", &COUNTING_NAMES, 2),
    Control::slider("cr", "LoRA rank", (1.0, 64.0, 1.0), 8.0, OutOf("rank")),
];

/// "Why full fine-tuning is expensive", as [`COST`] declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct CostState {
    /// d_model of the notebook's SimpleTransformerLayer and of the real block beside it.
    pub d_model: u32,
    /// What the memory chart counts.
    pub counting: Counting,
    /// The LoRA rank of the memory chart's LoRA bars.
    pub lora_rank: u32,
}

impl Default for CostState {
    fn default() -> Self {
        with_defaults(Self {
            d_model: 0,
            counting: Counting::ALL[0],
            lora_rank: 0,
        })
    }
}

impl Section for CostState {
    fn controls(&self) -> &'static [Control] {
        &COST
    }

    fn value(&self, index: usize) -> f64 {
        match index {
            0 => f64::from(self.d_model),
            1 => Counting::ALL
                .iter()
                .position(|c| *c == self.counting)
                .unwrap_or(0) as f64,
            _ => f64::from(self.lora_rank),
        }
    }

    fn store(&mut self, index: usize, value: f64) {
        match index {
            0 => self.d_model = value as u32,
            1 => self.counting = Counting::ALL[(value as usize).min(Counting::ALL.len() - 1)],
            _ => self.lora_rank = value as u32,
        }
    }
}

/// "Rank impact": the notebook's 1,024×1,024 layer, and the highlighted rank, at most 128 and n.
#[rustfmt::skip]
pub const RANK: [Control; 2] = [
    Control::slider("rn", "n, the layer's side", (64.0, 8192.0, 64.0), 1024.0, OutOf("n")),
    Control::slider("rr", "Highlighted rank", (1.0, 128.0, 1.0), 8.0, OutOf("rank")).capped_by(&["rn"]),
];

/// "Rank impact", as [`RANK`] declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct RankState {
    /// Side of the square layer.
    pub n: u32,
    /// The highlighted rank: an n×n matrix has rank at most n.
    pub rank: u32,
}

impl Default for RankState {
    fn default() -> Self {
        with_defaults(Self { n: 0, rank: 0 })
    }
}

impl Section for RankState {
    fn controls(&self) -> &'static [Control] {
        &RANK
    }

    fn value(&self, index: usize) -> f64 {
        f64::from(if index == 0 { self.n } else { self.rank })
    }

    fn store(&mut self, index: usize, value: f64) {
        *if index == 0 {
            &mut self.n
        } else {
            &mut self.rank
        } = value as u32;
    }
}

/// "The intrinsic-rank hypothesis": the notebook's experiment, 512×512, true rank 16, σ = 0.01,
/// seed 42, 95%; both ranks are at most n.
#[rustfmt::skip]
pub const INTRINSIC: [Control; 6] = [
    Control::slider("in", "n, the matrix's side", (32.0, 512.0, 32.0), 512.0, OutOf("n")),
    Control::slider("ik", "k, the true rank", (1.0, 64.0, 1.0), 16.0, OutOf("true rank")).capped_by(&["in"]),
    Control::slider("is", "log₁₀ σ, the noise scale", (-4.0, 0.0, 0.1), -2.0, Log10("noise sigma")),
    Control::slider("ie", "Seed", (0.0, 999.0, 1.0), 42.0, OutOf("seed")),
    Control::slider("it", "Variance threshold (%)", (50.0, 99.9, 0.1), 95.0, Percent("threshold")),
    Control::slider("ia", "r, the approximation's rank", (1.0, 64.0, 1.0), 8.0, OutOf("approximation rank")).capped_by(&["in"]),
];

/// "The intrinsic-rank hypothesis": ΔW = U·V of true rank k plus noise, and what is read off it,
/// as [`INTRINSIC`] declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct IntrinsicState {
    /// Side of ΔW.
    pub n: u32,
    /// True rank of U·V.
    pub true_rank: u32,
    /// log₁₀ of the noise scale σ.
    pub log10_noise: f64,
    /// Seed.
    pub seed: u32,
    /// Explained-variance threshold in percent.
    pub threshold_percent: f64,
    /// Rank of the best approximation shown.
    pub approx_rank: u32,
}

impl IntrinsicState {
    /// The noise scale σ.
    pub fn noise(&self) -> f64 {
        10f64.powf(self.log10_noise)
    }
}

impl Default for IntrinsicState {
    fn default() -> Self {
        with_defaults(Self {
            n: 0,
            true_rank: 0,
            log10_noise: 0.0,
            seed: 0,
            threshold_percent: 0.0,
            approx_rank: 0,
        })
    }
}

impl Section for IntrinsicState {
    fn controls(&self) -> &'static [Control] {
        &INTRINSIC
    }

    fn value(&self, index: usize) -> f64 {
        match index {
            0 => f64::from(self.n),
            1 => f64::from(self.true_rank),
            2 => self.log10_noise,
            3 => f64::from(self.seed),
            4 => self.threshold_percent,
            _ => f64::from(self.approx_rank),
        }
    }

    fn store(&mut self, index: usize, value: f64) {
        match index {
            0 => self.n = value as u32,
            1 => self.true_rank = value as u32,
            2 => self.log10_noise = value,
            3 => self.seed = value as u32,
            4 => self.threshold_percent = value,
            _ => self.approx_rank = value as u32,
        }
    }
}

/// "LoRA against full fine-tuning": GPT-3 at rank 8, a setting the LoRA paper reports.
#[rustfmt::skip]
pub const COMPARISON: [Control; 2] = [
    Control::choice("vm", "Model", &ComparisonState::MODEL_NAMES, 3),
    Control::slider("vr", "LoRA rank", (1.0, 64.0, 1.0), 8.0, OutOf("rank")),
];

/// "LoRA against full fine-tuning": the model and rank the table is computed for, as
/// [`COMPARISON`] declares them.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparisonState {
    /// Index into [`ComparisonState::MODEL_NAMES`] (and `math::memory::MODELS`, same order).
    pub model: usize,
    /// LoRA rank.
    pub rank: u32,
}

impl ComparisonState {
    /// The models' names in the selector and the URL, in the order of `math::memory::MODELS`.
    pub const MODEL_NAMES: [&'static str; 4] = ["bert-base", "bert-large", "gpt2", "gpt3"];
}

impl Default for ComparisonState {
    fn default() -> Self {
        with_defaults(Self { model: 0, rank: 0 })
    }
}

impl Section for ComparisonState {
    fn controls(&self) -> &'static [Control] {
        &COMPARISON
    }

    fn value(&self, index: usize) -> f64 {
        if index == 0 {
            self.model as f64
        } else {
            f64::from(self.rank)
        }
    }

    fn store(&mut self, index: usize, value: f64) {
        if index == 0 {
            self.model = value as usize;
        } else {
            self.rank = value as u32;
        }
    }
}

/// The colour theme the reader chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThemeChoice {
    /// Follow the system's preference (prefers-color-scheme).
    Auto,
    /// Dark text on light backgrounds.
    Light,
    /// Light text on dark backgrounds.
    Dark,
}

impl ThemeChoice {
    /// The options' names in the selector and the URL.
    pub const NAMES: [&'static str; 3] = ["auto", "light", "dark"];
    const ALL: [ThemeChoice; 3] = [Self::Auto, Self::Light, Self::Dark];

    /// The choice named `name` in [`ThemeChoice::NAMES`].
    pub fn from_name(name: &str) -> Option<Self> {
        let index = Self::NAMES.iter().position(|n| *n == name)?;
        Some(Self::ALL[index])
    }

    /// Whether the page is dark, given whether the system prefers dark.
    pub fn is_dark(self, system_prefers_dark: bool) -> bool {
        match self {
            Self::Auto => system_prefers_dark,
            Self::Light => false,
            Self::Dark => true,
        }
    }
}

/// Settings of the whole page: the colour theme, following the system unless chosen.
pub const PAGE: [Control; 1] = [Control::choice("pt", "Theme", &ThemeChoice::NAMES, 0)];

/// Settings of the whole page, as [`PAGE`] declares them.
#[derive(Clone, Debug, PartialEq)]
pub struct PageSettings {
    /// The colour theme.
    pub theme: ThemeChoice,
}

impl Default for PageSettings {
    fn default() -> Self {
        with_defaults(Self {
            theme: ThemeChoice::Auto,
        })
    }
}

impl Section for PageSettings {
    fn controls(&self) -> &'static [Control] {
        &PAGE
    }

    fn value(&self, _index: usize) -> f64 {
        self.theme as usize as f64
    }

    fn store(&mut self, _index: usize, value: f64) {
        self.theme = ThemeChoice::ALL[(value as usize).min(ThemeChoice::ALL.len() - 1)];
    }
}

/// Every control's value on chapter 1's page, one field a section. Adding a section means adding
/// a field here and listing it in its [`ChapterState`] implementation.
#[derive(Clone, Debug, PartialEq)]
pub struct PageState {
    /// The whole page's settings.
    pub page: PageSettings,
    /// "Why full fine-tuning is expensive".
    pub cost: CostState,
    /// The "LoRA factorisation" figure.
    pub factorisation: FactorisationState,
    /// The mathematics section's worked example.
    pub maths: FactorisationState,
    /// "Rank impact".
    pub rank: RankState,
    /// "The intrinsic-rank hypothesis".
    pub intrinsic: IntrinsicState,
    /// "LoRA against full fine-tuning".
    pub comparison: ComparisonState,
}

impl Default for PageState {
    fn default() -> Self {
        Self {
            page: PageSettings::default(),
            cost: CostState::default(),
            factorisation: FactorisationState::figure(),
            maths: FactorisationState::worked_example(),
            rank: RankState::default(),
            intrinsic: IntrinsicState::default(),
            comparison: ComparisonState::default(),
        }
    }
}

/// The calculator's models as the selector and the URL name them: [`PRESETS`] in order, then
/// "custom", the shape of the custom sliders.
pub const MODEL_IDS: [&str; PRESETS.len() + 1] = [
    "bert-base",
    "bert-large",
    "roberta-base",
    "roberta-large",
    "gpt2",
    "gpt2-medium",
    "gpt2-large",
    "gpt2-xl",
    "gpt3",
    "llama-2-7b",
    "llama-2-13b",
    "llama-2-70b",
    "mistral-7b",
    "llama-3-8b",
    "custom",
];

/// The families a custom shape may take, as the selector and the URL name them, in the order of
/// [`Layout::ALL`].
pub const FAMILY_NAMES: [&str; 4] = ["encoder", "gpt2", "gpt3", "llama"];

/// Which layers the calculator adapts, in words every family understands; the core turns a set
/// into the family's PEFT `target_modules`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetSet {
    /// The attention's query and value projections, the LoRA paper's choice.
    QueryValue,
    /// Every attention projection: query, key, value and output.
    Attention,
    /// The MLP's layers.
    Mlp,
    /// PEFT's "all-linear": every Linear layer but the output head.
    AllLinear,
}

impl TargetSet {
    /// Every set, in the selector's order.
    pub const ALL: [TargetSet; 4] = [
        Self::QueryValue,
        Self::Attention,
        Self::Mlp,
        Self::AllLinear,
    ];
    /// The sets' names in the selector and the URL, in the order of [`TargetSet::ALL`].
    pub const NAMES: [&'static str; 4] = ["qv", "attention", "mlp", "all-linear"];
}

/// How the frozen weights are stored, as the selector and the URL name them, in the order of
/// [`ModelDtype::ALL`].
pub const DTYPE_NAMES: [&str; 4] = ["fp32", "bf16", "int8", "nf4"];

/// The calculator: a model (a preset or a custom shape), the adapter's settings, how the frozen
/// weights are stored and the batch for the activation estimate. LLaMA-2 7B with r = 8 on W_q and
/// W_v, α = 16, in bf16, is where the page starts; the custom shape starts as LLaMA-2 7B's.
#[rustfmt::skip]
pub const CALCULATOR: [Control; 20] = [
    Control::choice("km", "Model", &MODEL_IDS, 9),
    Control::choice("kf", "Family", &FAMILY_NAMES, 3),
    Control::slider("kw", "Width (hidden size)", (64.0, 16_384.0, 64.0), 4096.0, OutOf("width")),
    Control::slider("kl", "Layers", (1.0, 128.0, 1.0), 32.0, OutOf("layers")),
    Control::slider("kh", "Attention heads", (1.0, 128.0, 1.0), 32.0, OutOf("heads")),
    Control::slider("kv", "Key/value heads", (1.0, 128.0, 1.0), 32.0, OutOf("key/value heads")).capped_by(&["kh"]),
    Control::slider("ki", "MLP width (intermediate size)", (64.0, 65_536.0, 64.0), 11_008.0, OutOf("MLP width")),
    Control::slider("ko", "Vocabulary", (256.0, 262_144.0, 1.0), 32_000.0, OutOf("tokens")),
    Control::choice("kt", "Layers to adapt", &TargetSet::NAMES, 0),
    Control::slider("kr", "r, the rank", (1.0, 256.0, 1.0), 8.0, OutOf("rank")),
    Control::slider("ka", "α, lora_alpha", (1.0, 512.0, 1.0), 16.0, OutOf("alpha")),
    Control::toggle("kg", "The MLP's own rank and α (rank_pattern)", false),
    Control::slider("kx", "The MLP's rank", (1.0, 256.0, 1.0), 16.0, OutOf("MLP rank")),
    Control::slider("kz", "The MLP's α", (1.0, 512.0, 1.0), 32.0, OutOf("MLP alpha")),
    Control::toggle("ks", "rsLoRA (scale α/√r)", false),
    Control::toggle("kd", "DoRA (a magnitude a row)", false),
    Control::choice("kq", "Frozen weights stored as", &DTYPE_NAMES, 1),
    Control::toggle("ke", "Estimate activations", true),
    Control::slider("kb", "Batch size", (1.0, 64.0, 1.0), 1.0, OutOf("batch size")),
    Control::slider("kn", "Sequence length (tokens)", (64.0, 8192.0, 64.0), 512.0, OutOf("tokens")),
];

/// The calculator's controls, as [`CALCULATOR`] declares them.
#[derive(Clone, Debug, PartialEq)]
pub struct CalculatorState {
    /// Index into [`MODEL_IDS`]: a preset of [`PRESETS`], or the custom shape at the end.
    pub model: usize,
    /// The custom shape's family.
    pub family: Layout,
    /// The custom shape's width.
    pub hidden: u32,
    /// The custom shape's blocks.
    pub layers: u32,
    /// The custom shape's attention heads.
    pub heads: u32,
    /// The custom shape's key/value heads, at most its heads.
    pub kv_heads: u32,
    /// The custom shape's MLP width.
    pub intermediate: u32,
    /// The custom shape's vocabulary.
    pub vocab: u32,
    /// Which layers get an adapter.
    pub targets: TargetSet,
    /// The rank, PEFT's `r`.
    pub r: u32,
    /// PEFT's `lora_alpha`.
    pub alpha: f64,
    /// Whether the MLP's layers get a rank and α of their own (`rank_pattern`, `alpha_pattern`).
    pub per_type: bool,
    /// The MLP's rank, when it has its own.
    pub mlp_r: u32,
    /// The MLP's α, when it has its own.
    pub mlp_alpha: f64,
    /// Scale by α/√r (rsLoRA).
    pub rslora: bool,
    /// DoRA's magnitudes.
    pub dora: bool,
    /// How the frozen weights are stored.
    pub dtype: ModelDtype,
    /// Whether activations are estimated.
    pub activations: bool,
    /// Sequences a step, for the activation estimate.
    pub batch: u32,
    /// Tokens a sequence, for the activation estimate.
    pub seq_len: u32,
}

impl CalculatorState {
    /// Whether the custom shape is chosen rather than a preset.
    pub fn is_custom(&self) -> bool {
        self.model >= PRESETS.len()
    }
}

impl Default for CalculatorState {
    fn default() -> Self {
        with_defaults(Self {
            model: 0,
            family: Layout::Llama,
            hidden: 0,
            layers: 0,
            heads: 0,
            kv_heads: 0,
            intermediate: 0,
            vocab: 0,
            targets: TargetSet::QueryValue,
            r: 0,
            alpha: 0.0,
            per_type: false,
            mlp_r: 0,
            mlp_alpha: 0.0,
            rslora: false,
            dora: false,
            dtype: ModelDtype::Bf16,
            activations: false,
            batch: 0,
            seq_len: 0,
        })
    }
}

/// The item of `all` at `value`, an index as [`Section::value`] gives it, kept in range.
fn nth<T: Copy>(all: &[T], value: f64) -> Option<T> {
    all.get((value as usize).min(all.len().saturating_sub(1)))
        .copied()
}

/// The position of `item` in `all`, as [`Section::value`] gives it.
fn position<T: PartialEq>(all: &[T], item: &T) -> f64 {
    all.iter().position(|x| x == item).unwrap_or(0) as f64
}

impl Section for CalculatorState {
    fn controls(&self) -> &'static [Control] {
        &CALCULATOR
    }

    fn value(&self, index: usize) -> f64 {
        let flag = |on: bool| f64::from(u8::from(on));
        match index {
            0 => self.model as f64,
            1 => position(&Layout::ALL, &self.family),
            2 => f64::from(self.hidden),
            3 => f64::from(self.layers),
            4 => f64::from(self.heads),
            5 => f64::from(self.kv_heads),
            6 => f64::from(self.intermediate),
            7 => f64::from(self.vocab),
            8 => position(&TargetSet::ALL, &self.targets),
            9 => f64::from(self.r),
            10 => self.alpha,
            11 => flag(self.per_type),
            12 => f64::from(self.mlp_r),
            13 => self.mlp_alpha,
            14 => flag(self.rslora),
            15 => flag(self.dora),
            16 => position(&ModelDtype::ALL, &self.dtype),
            17 => flag(self.activations),
            18 => f64::from(self.batch),
            _ => f64::from(self.seq_len),
        }
    }

    fn store(&mut self, index: usize, value: f64) {
        let count = value as u32;
        match index {
            0 => self.model = (value as usize).min(MODEL_IDS.len() - 1),
            1 => self.family = nth(&Layout::ALL, value).unwrap_or(Layout::Llama),
            2 => self.hidden = count,
            3 => self.layers = count,
            4 => self.heads = count,
            5 => self.kv_heads = count,
            6 => self.intermediate = count,
            7 => self.vocab = count,
            8 => self.targets = nth(&TargetSet::ALL, value).unwrap_or(TargetSet::QueryValue),
            9 => self.r = count,
            10 => self.alpha = value,
            11 => self.per_type = value != 0.0,
            12 => self.mlp_r = count,
            13 => self.mlp_alpha = value,
            14 => self.rslora = value != 0.0,
            15 => self.dora = value != 0.0,
            16 => self.dtype = nth(&ModelDtype::ALL, value).unwrap_or(ModelDtype::Bf16),
            17 => self.activations = value != 0.0,
            18 => self.batch = count,
            _ => self.seq_len = count,
        }
    }
}

/// Every control's value on the calculator's page: the theme, and the calculator.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CalculatorPage {
    /// The whole page's settings.
    pub page: PageSettings,
    /// The calculator.
    pub calculator: CalculatorState,
}

impl ChapterState for CalculatorPage {
    fn sections(&self) -> Vec<&dyn Section> {
        vec![&self.page, &self.calculator]
    }

    fn sections_mut(&mut self) -> Vec<&mut dyn Section> {
        vec![&mut self.page, &mut self.calculator]
    }
}

/// A chapter's state: its sections, in page order. Reading and writing values by key, ranges and
/// value texts follow from the sections' rows, so a chapter only lists its sections; the URL form
/// ([`crate::permalink`]) works on any chapter's state.
pub trait ChapterState: Clone + Default + PartialEq {
    /// The chapter's sections, in page order.
    fn sections(&self) -> Vec<&dyn Section>;

    /// The same sections, to write to.
    fn sections_mut(&mut self) -> Vec<&mut dyn Section>;

    /// Every control, in page order.
    fn controls(&self) -> Vec<&'static Control> {
        self.sections()
            .into_iter()
            .flat_map(|s| s.controls().iter())
            .collect()
    }

    /// Every control's key, in page order.
    fn keys(&self) -> Vec<&'static str> {
        self.controls().into_iter().map(|c| c.key).collect()
    }

    /// The value of control `key` as text.
    fn get(&self, key: &str) -> Option<String> {
        self.sections()
            .into_iter()
            .find(|s| s.index(key).is_some())?
            .get(key)
    }

    /// Sets control `key` from text, clamping into range and restoring the invariants.
    fn set(&mut self, key: &str, raw: &str) -> Result<Applied, StateError> {
        self.sections_mut()
            .into_iter()
            .find(|s| s.index(key).is_some())
            .ok_or_else(|| StateError::UnknownKey(key.to_string()))?
            .set(key, raw)
    }

    /// The current range of slider `key`.
    fn bounds(&self, key: &str) -> Option<Bounds> {
        self.sections()
            .into_iter()
            .find(|s| s.index(key).is_some())?
            .bounds(key)
    }

    /// What slider `key`'s value means, for screen readers: "rank 8 of 64", "noise σ = 0.01".
    /// None for controls that are not sliders.
    fn value_text(&self, key: &str) -> Option<String> {
        self.sections()
            .into_iter()
            .find(|s| s.index(key).is_some())?
            .value_text(key)
    }
}

impl ChapterState for PageState {
    fn sections(&self) -> Vec<&dyn Section> {
        vec![
            &self.page,
            &self.cost,
            &self.factorisation,
            &self.maths,
            &self.rank,
            &self.intrinsic,
            &self.comparison,
        ]
    }

    fn sections_mut(&mut self) -> Vec<&mut dyn Section> {
        vec![
            &mut self.page,
            &mut self.cost,
            &mut self.factorisation,
            &mut self.maths,
            &mut self.rank,
            &mut self.intrinsic,
            &mut self.comparison,
        ]
    }
}

/// The shapes of ΔW*'s spectrum chapter 2 offers, as its selector writes them: exactly rank r*, or
/// a power law.
pub const SPECTRUM_SHAPES: [&str; 2] = ["rank", "power"];

/// The training set sizes chapter 2 offers: the powers of two from 16 to 8,192.
pub const EXAMPLE_COUNTS: [&str; 10] = [
    "16", "32", "64", "128", "256", "512", "1024", "2048", "4096", "8192",
];

/// How chapter 2's α becomes the adapter's scale: α/r, or rsLoRA's α/√r.
pub const SCALINGS: [&str; 2] = ["standard", "rslora"];

/// How chapter 2's adapter starts: PEFT's default, Gaussian A, or PiSSA.
pub const INITS: [&str; 3] = ["peft", "gaussian", "pissa"];

/// Chapter 2's optimisers.
pub const OPTIMISERS: [&str; 2] = ["adam", "sgd"];

/// Chapter 2's batch sizes: the powers of two from 1 to 256.
pub const BATCH_SIZES: [&str; 9] = ["1", "2", "4", "8", "16", "32", "64", "128", "256"];

/// Chapter 2's training speeds, in steps a second; "max" is as fast as the worker can.
pub const SPEEDS: [&str; 6] = ["30", "100", "300", "1000", "3000", "max"];

/// Chapter 2, "Watch LoRA learn": a 64×64 layer and a rank-8 update half W₀'s size, with a little
/// noise and 1,024 examples, learnt by a rank-4 adapter (so LoRA has a floor to meet) with α = 8,
/// PEFT's start and Adam at η ≈ 0.005, in batches of 32, at 300 steps a second.
#[rustfmt::skip]
pub const LEARN: [Control; 18] = [
    Control::slider("ld", "Outputs d", (8.0, 128.0, 8.0), 64.0, OutOf("outputs")),
    Control::slider("lk", "Inputs k", (8.0, 128.0, 8.0), 64.0, OutOf("inputs")),
    Control::choice("lz", "ΔW*'s singular values", &SPECTRUM_SHAPES, 0),
    Control::slider("lt", "ΔW*'s rank r*", (1.0, 64.0, 1.0), 8.0, OutOf("true rank"))
        .capped_by(&["ld", "lk"]),
    Control::slider("lp", "Power-law exponent p", (0.0, 4.0, 0.1), 1.0, OutOf("exponent")),
    Control::slider("lm", "Size of ΔW* against W₀ (log₁₀)", (-2.0, 1.0, 0.1), -0.3, Log10("relative size")),
    Control::slider("lv", "Label noise σ", (0.0, 2.0, 0.01), 0.1, OutOf("noise")),
    Control::choice("ln", "Training examples N", &EXAMPLE_COUNTS, 6),
    Control::slider("le", "Seed", (1.0, 99.0, 1.0), 1.0, OutOf("seed")),
    Control::slider("lr", "LoRA's rank r", (1.0, 64.0, 1.0), 4.0, OutOf("rank"))
        .capped_by(&["ld", "lk"]),
    Control::slider("la", "α", (1.0, 128.0, 1.0), 8.0, OutOf("alpha")),
    Control::choice("lc", "Scale", &SCALINGS, 0),
    Control::choice("li", "Initialisation", &INITS, 0),
    Control::choice("lo", "Optimiser", &OPTIMISERS, 0),
    Control::slider("lh", "Learning rate η (log₁₀)", (-5.0, 0.0, 0.1), -2.3, Log10("learning rate")),
    Control::slider("lx", "LoRA+ ratio η_B/η_A", (1.0, 16.0, 1.0), 1.0, OutOf("ratio")),
    Control::choice("lb", "Batch size", &BATCH_SIZES, 5),
    Control::choice("lw", "Speed, steps a second", &SPEEDS, 2),
];

/// Chapter 2's controls, as [`LEARN`] declares them, kept by row index.
#[derive(Clone, Debug, PartialEq)]
pub struct LearnState {
    values: [f64; LEARN.len()],
}

impl Default for LearnState {
    fn default() -> Self {
        with_defaults(Self {
            values: [0.0; LEARN.len()],
        })
    }
}

impl Section for LearnState {
    fn controls(&self) -> &'static [Control] {
        &LEARN
    }

    fn value(&self, index: usize) -> f64 {
        self.values.get(index).copied().unwrap_or(0.0)
    }

    fn store(&mut self, index: usize, value: f64) {
        if let Some(slot) = self.values.get_mut(index) {
            *slot = value;
        }
    }
}

impl LearnState {
    /// The value of control `key` (a slider's value, a selector's index).
    pub fn value_of(&self, key: &str) -> f64 {
        self.index(key).map_or(0.0, |index| self.value(index))
    }
}

/// Chapter 2's page: the theme and the chapter's controls.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LearnPage {
    /// The whole page's settings.
    pub page: PageSettings,
    /// The chapter's controls.
    pub learn: LearnState,
}

impl ChapterState for LearnPage {
    fn sections(&self) -> Vec<&dyn Section> {
        vec![&self.page, &self.learn]
    }

    fn sections_mut(&mut self) -> Vec<&mut dyn Section> {
        vec![&mut self.page, &mut self.learn]
    }
}

/// The block sizes chapter 3 offers, as its selector writes them: the powers of two from 16 to 4096.
pub const BLOCK_SIZES: [&str; 9] = [
    "16", "32", "64", "128", "256", "512", "1024", "2048", "4096",
];

/// How chapter 3's weight matrix is drawn, as its selector writes it.
pub const DISTRIBUTIONS: [&str; 3] = ["normal", "student-t", "outliers"];

/// Chapter 3's 4-bit codes, as its selector writes them.
pub const CODES: [&str; 3] = ["nf4", "fp4", "int4"];

/// Chapter 3, "QLoRA": a 128×128 normal matrix in NF4 blocks of 64 (QLoRA's setting) and a rank-16
/// adapter.
#[rustfmt::skip]
pub const QLORA: [Control; 9] = [
    Control::slider("qn", "Side of W", (64.0, 1024.0, 64.0), 128.0, OutOf("side")),
    Control::choice("qd", "Weights drawn from", &DISTRIBUTIONS, 0),
    Control::slider("qv", "ν, Student-t's degrees of freedom", (1.0, 100.0, 1.0), 5.0, OutOf("nu")),
    Control::slider("qk", "Outliers' size k, in standard deviations", (1.0, 100.0, 1.0), 20.0, OutOf("k")),
    Control::choice("qb", "Block size B", &BLOCK_SIZES, 2),
    Control::choice("qc", "Code", &CODES, 0),
    Control::slider("qh", "Block shown in the histogram", (1.0, 64.0, 1.0), 1.0, OutOf("block")),
    Control::slider("qr", "Adapter rank r", (1.0, 64.0, 1.0), 16.0, OutOf("rank")),
    Control::slider("qs", "Seed", (1.0, 99.0, 1.0), 1.0, OutOf("seed")),
];

/// Chapter 3's controls, as [`QLORA`] declares them, kept by row index.
#[derive(Clone, Debug, PartialEq)]
pub struct QloraState {
    values: [f64; QLORA.len()],
}

impl Default for QloraState {
    fn default() -> Self {
        with_defaults(Self {
            values: [0.0; QLORA.len()],
        })
    }
}

impl Section for QloraState {
    fn controls(&self) -> &'static [Control] {
        &QLORA
    }

    /// As the rows say, and the histogram's block at most the number of blocks W has.
    fn bounds(&self, key: &str) -> Option<Bounds> {
        let bounds = row_bounds(self, key)?;
        if key != "qh" {
            return Some(bounds);
        }
        let side = self.value_of("qn");
        let block_size = BLOCK_SIZES
            .get(self.value_of("qb") as usize)
            .and_then(|text| text.parse::<f64>().ok())
            .unwrap_or(1.0);
        let blocks = (side * side / block_size).ceil().max(1.0);
        Some(Bounds {
            max: bounds.max.min(blocks),
            ..bounds
        })
    }

    fn value(&self, index: usize) -> f64 {
        self.values.get(index).copied().unwrap_or(0.0)
    }

    fn store(&mut self, index: usize, value: f64) {
        if let Some(slot) = self.values.get_mut(index) {
            *slot = value;
        }
    }
}

impl QloraState {
    /// The value of control `key` (a slider's value, a selector's index).
    pub fn value_of(&self, key: &str) -> f64 {
        self.index(key).map_or(0.0, |index| self.value(index))
    }
}

/// Chapter 3's page: the theme and the chapter's controls.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QloraPage {
    /// The whole page's settings.
    pub page: PageSettings,
    /// The chapter's controls.
    pub qlora: QloraState,
}

impl ChapterState for QloraPage {
    fn sections(&self) -> Vec<&dyn Section> {
        vec![&self.page, &self.qlora]
    }

    fn sections_mut(&mut self) -> Vec<&mut dyn Section> {
        vec![&mut self.page, &mut self.qlora]
    }
}
