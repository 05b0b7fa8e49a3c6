//! The page's state: one typed struct that holds the value of every control on the page.
//!
//! Each section of the article owns a sub-struct implementing [`Section`]; [`PageState`] gathers
//! them. Every control has a short key, unique on the page (`fd` is the factorisation figure's d).
//! Values go in and out as text through [`PageState::set`] and [`PageState::get`], which is how the
//! browser layer reads inputs and how the page's URL form is built. Setting a value clamps it into
//! range and restores the invariants between controls (such as r ≤ min(d, k)); the invariants
//! hold after every call, whatever text came in.

use std::fmt;

use crate::math::memory::Counting;

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

/// One section's controls.
pub trait Section {
    /// The keys of the section's controls, in page order.
    fn keys(&self) -> &'static [&'static str];
    /// The value of control `key` as text, or None if the section has no such control.
    fn get(&self, key: &str) -> Option<String>;
    /// Sets control `key` from text, clamping into range. Err if the text is not a value.
    fn set(&mut self, key: &str, raw: &str) -> Result<Applied, StateError>;
    /// The range of a numeric control at the current state; None for toggles and selectors.
    fn bounds(&self, key: &str) -> Option<Bounds>;
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

/// Parses a value for numeric control `key` of `section`, within its current bounds.
fn parse_in_bounds(
    section: &dyn Section,
    key: &str,
    raw: &str,
) -> Result<(f64, Applied), StateError> {
    let bounds = section
        .bounds(key)
        .ok_or_else(|| StateError::UnknownKey(key.to_string()))?;
    parse_number(key, raw, bounds)
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

/// An integer slider's bounds.
fn int_bounds(min: u32, max: u32, step: u32) -> Bounds {
    Bounds {
        min: f64::from(min),
        max: f64::from(max),
        step: f64::from(step),
    }
}

/// Writes a number without a trailing ".0" when it is whole.
pub fn format_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        x.to_string()
    }
}

/// A LoRA factorisation's settings: sizes, rank, scaling, seed and initialisation. Used by the
/// "LoRA factorisation" figure (keys `fd`, `fk`, …) and the worked example of the mathematics section
/// (keys `md`, `mk`, …), each with its own keys and size limit.
#[derive(Clone, Debug, PartialEq)]
pub struct FactorisationState {
    /// Rows of W₀ (output features), 2 to `max_size`.
    pub d: u32,
    /// Columns of W₀ (input features), 2 to `max_size`.
    pub k: u32,
    /// Rank, 1 to min(d, k).
    pub r: u32,
    /// The LoRA scaling numerator α, 1 to 64; ΔW is scaled by α/r.
    pub alpha: f64,
    /// Seed of every random matrix and vector, 0 to 999.
    pub seed: u32,
    /// True shows the adapter at initialisation (B = 0); false shows it as after training.
    pub at_init: bool,
    /// The keys of d, k, r, α, seed and the initialisation toggle, in that order.
    keys: &'static [&'static str; 6],
    /// Largest d and k.
    max_size: u32,
}

impl FactorisationState {
    /// Smallest d and k.
    pub const MIN_SIZE: u32 = 2;
    /// Largest seed.
    pub const MAX_SEED: u32 = 999;
    /// Range of α.
    pub const ALPHA_RANGE: (f64, f64) = (1.0, 64.0);

    /// The "LoRA factorisation" figure at the notebook's own example: a 4×4 weight at rank 2, with
    /// α = r so that α/r = 1 as there. d and k go up to 64.
    pub fn figure() -> Self {
        Self {
            d: 4,
            k: 4,
            r: 2,
            alpha: 2.0,
            seed: 42,
            at_init: false,
            keys: &["fd", "fk", "fr", "fa", "fs", "fi"],
            max_size: 64,
        }
    }

    /// The mathematics section's worked example: a 6×8 weight at rank 2, small enough to print.
    pub fn worked_example() -> Self {
        Self {
            d: 6,
            k: 8,
            r: 2,
            alpha: 2.0,
            seed: 7,
            at_init: false,
            keys: &["md", "mk", "mr", "ma", "ms", "mi"],
            max_size: 16,
        }
    }

    /// The largest rank allowed by the current d and k.
    pub fn max_rank(&self) -> u32 {
        self.d.min(self.k)
    }

    /// Largest d and k.
    pub fn max_size(&self) -> u32 {
        self.max_size
    }
}

impl Default for FactorisationState {
    fn default() -> Self {
        Self::figure()
    }
}

impl Section for FactorisationState {
    fn keys(&self) -> &'static [&'static str] {
        self.keys
    }

    fn get(&self, key: &str) -> Option<String> {
        let idx = self.keys.iter().position(|k| *k == key)?;
        Some(match idx {
            0 => self.d.to_string(),
            1 => self.k.to_string(),
            2 => self.r.to_string(),
            3 => format_float(self.alpha),
            4 => self.seed.to_string(),
            _ => u8::from(self.at_init).to_string(),
        })
    }

    fn set(&mut self, key: &str, raw: &str) -> Result<Applied, StateError> {
        let idx = self
            .keys
            .iter()
            .position(|k| *k == key)
            .ok_or_else(|| StateError::UnknownKey(key.to_string()))?;
        let applied = if idx == 5 {
            self.at_init = parse_bool(key, raw)?;
            Applied::AsGiven
        } else {
            let bounds = self.bounds(key).unwrap_or(int_bounds(0, 0, 1));
            let (value, applied) = parse_number(key, raw, bounds)?;
            match idx {
                0 => self.d = value as u32,
                1 => self.k = value as u32,
                2 => self.r = value as u32,
                3 => self.alpha = value,
                _ => self.seed = value as u32,
            }
            applied
        };
        // Shrinking d or k may leave the rank above min(d, k).
        self.r = self.r.clamp(1, self.max_rank());
        Ok(applied)
    }

    fn bounds(&self, key: &str) -> Option<Bounds> {
        let idx = self.keys.iter().position(|k| *k == key)?;
        Some(match idx {
            0 | 1 => int_bounds(Self::MIN_SIZE, self.max_size, 1),
            2 => int_bounds(1, self.max_rank(), 1),
            3 => Bounds {
                min: Self::ALPHA_RANGE.0,
                max: Self::ALPHA_RANGE.1,
                step: 1.0,
            },
            4 => int_bounds(0, Self::MAX_SEED, 1),
            _ => return None,
        })
    }
}

/// The memory chart's counting options as the selector and the URL name them, in the order of
/// [`Counting::ALL`].
pub const COUNTING_NAMES: [&str; 3] = ["weights", "grads", "adam"];

/// "Why full fine-tuning is expensive": the layer width, what is counted, and the LoRA rank.
#[derive(Clone, Debug, PartialEq)]
pub struct CostState {
    /// d_model of the notebook's SimpleTransformerLayer and of the real block beside it, 64 to 12,288.
    pub d_model: u32,
    /// What the memory chart counts.
    pub counting: Counting,
    /// The LoRA rank of the memory chart's LoRA bars, 1 to 64.
    pub lora_rank: u32,
}

impl Default for CostState {
    fn default() -> Self {
        Self {
            d_model: 768,
            counting: Counting::MixedPrecisionAdam,
            lora_rank: 8,
        }
    }
}

impl Section for CostState {
    fn keys(&self) -> &'static [&'static str] {
        &["cd", "cc", "cr"]
    }

    fn get(&self, key: &str) -> Option<String> {
        Some(match key {
            "cd" => self.d_model.to_string(),
            "cc" => {
                COUNTING_NAMES[Counting::ALL.iter().position(|c| *c == self.counting)?].to_string()
            }
            "cr" => self.lora_rank.to_string(),
            _ => return None,
        })
    }

    fn set(&mut self, key: &str, raw: &str) -> Result<Applied, StateError> {
        if key == "cc" {
            self.counting = Counting::ALL[parse_choice(key, raw, &COUNTING_NAMES)?];
            return Ok(Applied::AsGiven);
        }
        let (value, applied) = parse_in_bounds(self, key, raw)?;
        match key {
            "cd" => self.d_model = value as u32,
            _ => self.lora_rank = value as u32,
        }
        Ok(applied)
    }

    fn bounds(&self, key: &str) -> Option<Bounds> {
        match key {
            "cd" => Some(int_bounds(64, 12_288, 64)),
            "cr" => Some(int_bounds(1, 64, 1)),
            _ => None,
        }
    }
}

/// "Rank impact": an n×n layer and the highlighted rank.
#[derive(Clone, Debug, PartialEq)]
pub struct RankState {
    /// Side of the square layer, 64 to 8,192.
    pub n: u32,
    /// The highlighted rank, 1 to min(128, n): an n×n matrix has rank at most n.
    pub rank: u32,
}

impl RankState {
    /// Largest rank the notebook's chart shows.
    pub const MAX_RANK: u32 = 128;

    /// The largest rank allowed by the current n.
    pub fn max_rank(&self) -> u32 {
        Self::MAX_RANK.min(self.n)
    }
}

impl Default for RankState {
    /// The notebook's 1,024×1,024 layer at rank 8.
    fn default() -> Self {
        Self { n: 1024, rank: 8 }
    }
}

impl Section for RankState {
    fn keys(&self) -> &'static [&'static str] {
        &["rn", "rr"]
    }

    fn get(&self, key: &str) -> Option<String> {
        Some(match key {
            "rn" => self.n.to_string(),
            "rr" => self.rank.to_string(),
            _ => return None,
        })
    }

    fn set(&mut self, key: &str, raw: &str) -> Result<Applied, StateError> {
        let (value, applied) = parse_in_bounds(self, key, raw)?;
        match key {
            "rn" => self.n = value as u32,
            _ => self.rank = value as u32,
        }
        // Shrinking n may leave the rank above it.
        self.rank = self.rank.min(self.max_rank());
        Ok(applied)
    }

    fn bounds(&self, key: &str) -> Option<Bounds> {
        match key {
            "rn" => Some(int_bounds(64, 8192, 64)),
            "rr" => Some(int_bounds(1, self.max_rank(), 1)),
            _ => None,
        }
    }
}

/// "The intrinsic-rank hypothesis": ΔW = U·V of true rank k plus noise, and what is read off it.
#[derive(Clone, Debug, PartialEq)]
pub struct IntrinsicState {
    /// Side of ΔW, 32 to 512 in steps of 32.
    pub n: u32,
    /// True rank of U·V, 1 to 64 (and at most n).
    pub true_rank: u32,
    /// log₁₀ of the noise scale σ, −4 to 0 in steps of 0.1.
    pub log10_noise: f64,
    /// Seed, 0 to 999.
    pub seed: u32,
    /// Explained-variance threshold in percent, 50 to 99.9.
    pub threshold_percent: f64,
    /// Rank of the best approximation shown, 1 to 64 (and at most n).
    pub approx_rank: u32,
}

impl IntrinsicState {
    /// The noise scale σ.
    pub fn noise(&self) -> f64 {
        10f64.powf(self.log10_noise)
    }
}

impl Default for IntrinsicState {
    /// The notebook's experiment: 512×512, true rank 16, σ = 0.01, seed 42, 95%.
    fn default() -> Self {
        Self {
            n: 512,
            true_rank: 16,
            log10_noise: -2.0,
            seed: 42,
            threshold_percent: 95.0,
            approx_rank: 8,
        }
    }
}

impl Section for IntrinsicState {
    fn keys(&self) -> &'static [&'static str] {
        &["in", "ik", "is", "ie", "it", "ia"]
    }

    fn get(&self, key: &str) -> Option<String> {
        Some(match key {
            "in" => self.n.to_string(),
            "ik" => self.true_rank.to_string(),
            "is" => format_float(self.log10_noise),
            "ie" => self.seed.to_string(),
            "it" => format_float(self.threshold_percent),
            "ia" => self.approx_rank.to_string(),
            _ => return None,
        })
    }

    fn set(&mut self, key: &str, raw: &str) -> Result<Applied, StateError> {
        let (value, applied) = parse_in_bounds(self, key, raw)?;
        match key {
            "in" => self.n = value as u32,
            "ik" => self.true_rank = value as u32,
            "is" => self.log10_noise = value,
            "ie" => self.seed = value as u32,
            "it" => self.threshold_percent = value,
            _ => self.approx_rank = value as u32,
        }
        self.true_rank = self.true_rank.min(self.n);
        self.approx_rank = self.approx_rank.min(self.n);
        Ok(applied)
    }

    fn bounds(&self, key: &str) -> Option<Bounds> {
        let tenth = |min: f64, max: f64| Bounds {
            min,
            max,
            step: 0.1,
        };
        match key {
            "in" => Some(int_bounds(32, 512, 32)),
            "ik" | "ia" => Some(int_bounds(1, 64.min(self.n), 1)),
            "is" => Some(tenth(-4.0, 0.0)),
            "ie" => Some(int_bounds(0, 999, 1)),
            "it" => Some(tenth(50.0, 99.9)),
            _ => None,
        }
    }
}

/// "LoRA against full fine-tuning": the model and rank the table is computed for.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparisonState {
    /// Index into [`ComparisonState::MODEL_NAMES`] (and `math::memory::MODELS`, same order).
    pub model: usize,
    /// LoRA rank, 1 to 64.
    pub rank: u32,
}

impl ComparisonState {
    /// The models' names in the selector and the URL, in the order of `math::memory::MODELS`.
    pub const MODEL_NAMES: [&'static str; 4] = ["bert-base", "bert-large", "gpt2", "gpt3"];
}

impl Default for ComparisonState {
    /// GPT-3 at rank 8, a setting the LoRA paper reports.
    fn default() -> Self {
        Self { model: 3, rank: 8 }
    }
}

impl Section for ComparisonState {
    fn keys(&self) -> &'static [&'static str] {
        &["vm", "vr"]
    }

    fn get(&self, key: &str) -> Option<String> {
        Some(match key {
            "vm" => Self::MODEL_NAMES[self.model.min(Self::MODEL_NAMES.len() - 1)].to_string(),
            "vr" => self.rank.to_string(),
            _ => return None,
        })
    }

    fn set(&mut self, key: &str, raw: &str) -> Result<Applied, StateError> {
        match key {
            "vm" => {
                self.model = parse_choice(key, raw, &Self::MODEL_NAMES)?;
                Ok(Applied::AsGiven)
            }
            "vr" => {
                let (value, applied) = parse_number(key, raw, int_bounds(1, 64, 1))?;
                self.rank = value as u32;
                Ok(applied)
            }
            _ => Err(StateError::UnknownKey(key.to_string())),
        }
    }

    fn bounds(&self, key: &str) -> Option<Bounds> {
        (key == "vr").then(|| int_bounds(1, 64, 1))
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

    /// Whether the page is dark, given whether the system prefers dark.
    pub fn is_dark(self, system_prefers_dark: bool) -> bool {
        match self {
            Self::Auto => system_prefers_dark,
            Self::Light => false,
            Self::Dark => true,
        }
    }
}

/// Settings of the whole page: the colour theme.
#[derive(Clone, Debug, PartialEq)]
pub struct PageSettings {
    /// The colour theme.
    pub theme: ThemeChoice,
}

impl Default for PageSettings {
    fn default() -> Self {
        Self {
            theme: ThemeChoice::Auto,
        }
    }
}

impl Section for PageSettings {
    fn keys(&self) -> &'static [&'static str] {
        &["pt"]
    }

    fn get(&self, key: &str) -> Option<String> {
        (key == "pt").then(|| ThemeChoice::NAMES[self.theme as usize].to_string())
    }

    fn set(&mut self, key: &str, raw: &str) -> Result<Applied, StateError> {
        if key != "pt" {
            return Err(StateError::UnknownKey(key.to_string()));
        }
        self.theme = ThemeChoice::ALL[parse_choice(key, raw, &ThemeChoice::NAMES)?];
        Ok(Applied::AsGiven)
    }

    fn bounds(&self, _key: &str) -> Option<Bounds> {
        None
    }
}

/// Every control's value on the page, one field a section. Adding a section means adding a field
/// here and listing it in [`PageState::sections`] and [`PageState::sections_mut`].
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

impl PageState {
    fn sections(&self) -> [&dyn Section; 7] {
        [
            &self.page,
            &self.cost,
            &self.factorisation,
            &self.maths,
            &self.rank,
            &self.intrinsic,
            &self.comparison,
        ]
    }

    fn sections_mut(&mut self) -> [&mut dyn Section; 7] {
        [
            &mut self.page,
            &mut self.cost,
            &mut self.factorisation,
            &mut self.maths,
            &mut self.rank,
            &mut self.intrinsic,
            &mut self.comparison,
        ]
    }

    /// Every control's key, in page order.
    pub fn keys(&self) -> Vec<&'static str> {
        self.sections()
            .iter()
            .flat_map(|s| s.keys().iter().copied())
            .collect()
    }

    /// The value of control `key` as text.
    pub fn get(&self, key: &str) -> Option<String> {
        self.sections().iter().find_map(|s| s.get(key))
    }

    /// Sets control `key` from text, clamping into range and restoring the invariants.
    pub fn set(&mut self, key: &str, raw: &str) -> Result<Applied, StateError> {
        for section in self.sections_mut() {
            if section.keys().contains(&key) {
                return section.set(key, raw);
            }
        }
        Err(StateError::UnknownKey(key.to_string()))
    }

    /// The current range of numeric control `key`.
    pub fn bounds(&self, key: &str) -> Option<Bounds> {
        self.sections().iter().find_map(|s| s.bounds(key))
    }

    /// What slider `key`'s value means, for screen readers: "rank 8 of 64", "noise σ = 0.01".
    /// None for controls that are not sliders.
    pub fn value_text(&self, key: &str) -> Option<String> {
        let value = self.get(key)?;
        let bounds = self.bounds(key)?;
        let name = match key {
            "fd" | "md" => "d",
            "fk" | "mk" => "k",
            "fr" | "mr" | "cr" | "rr" | "vr" => "rank",
            "ia" => "approximation rank",
            "fa" | "ma" => "alpha",
            "fs" | "ms" | "ie" => "seed",
            "cd" => "d_model",
            "rn" | "in" => "n",
            "ik" => "true rank",
            "it" => return Some(format!("threshold {value} percent")),
            "is" => {
                let sigma = 10f64.powf(self.intrinsic.log10_noise);
                return Some(format!("noise sigma {sigma:.3e} (log10 {value})"));
            }
            _ => key,
        };
        Some(format!("{name} {value} of {}", format_float(bounds.max)))
    }
}
