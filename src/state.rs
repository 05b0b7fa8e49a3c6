//! The page's state: one typed struct that holds the value of every control on the page.
//!
//! Each section of the article owns a sub-struct implementing [`Section`]; [`PageState`] gathers
//! them. Every control has a short key, unique on the page (`fd` is the factorisation figure's d).
//! Values go in and out as text through [`PageState::set`] and [`PageState::get`], which is how the
//! browser layer reads inputs and how the page's URL form is built. Setting a value clamps it into
//! range and restores the invariants between controls (such as r ≤ min(d, k)); the invariants
//! hold after every call, whatever text came in.

use std::fmt;

/// Why a value could not be set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateError {
    /// No control has this key.
    UnknownKey(String),
    /// The text is not a value of this control's kind.
    Unparsable {
        /// The control's key.
        key: &'static str,
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

/// Parses an integer and clamps it into [min, max]. Accepts a decimal point ("8.0") and rounds.
fn set_int(
    key: &'static str,
    raw: &str,
    min: u32,
    max: u32,
    slot: &mut u32,
) -> Result<Applied, StateError> {
    let unparsable = || StateError::Unparsable {
        key,
        raw: raw.to_string(),
    };
    let value: f64 = raw.trim().parse().map_err(|_| unparsable())?;
    if !value.is_finite() {
        return Err(unparsable());
    }
    let rounded = value.round();
    let clamped = rounded.clamp(f64::from(min), f64::from(max));
    // The clamp keeps the value within u32 range, so the cast is exact.
    *slot = clamped as u32;
    Ok(if clamped == value {
        Applied::AsGiven
    } else {
        Applied::Clamped {
            used: slot.to_string(),
        }
    })
}

/// Parses a number and clamps it into [min, max].
fn set_float(
    key: &'static str,
    raw: &str,
    min: f64,
    max: f64,
    slot: &mut f64,
) -> Result<Applied, StateError> {
    let value: f64 = raw
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| StateError::Unparsable {
            key,
            raw: raw.to_string(),
        })?;
    *slot = value.clamp(min, max);
    Ok(if *slot == value {
        Applied::AsGiven
    } else {
        Applied::Clamped {
            used: format_float(*slot),
        }
    })
}

/// Parses a toggle: "1"/"true"/"on" or "0"/"false"/"off".
fn set_bool(key: &'static str, raw: &str, slot: &mut bool) -> Result<Applied, StateError> {
    *slot = match raw.trim() {
        "1" | "true" | "on" => true,
        "0" | "false" | "off" => false,
        _ => {
            return Err(StateError::Unparsable {
                key,
                raw: raw.to_string(),
            })
        }
    };
    Ok(Applied::AsGiven)
}

/// Writes a number without a trailing ".0" when it is whole.
fn format_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        x.to_string()
    }
}

/// The "LoRA factorisation" figure: sizes, rank, scaling, seed and initialisation.
#[derive(Clone, Debug, PartialEq)]
pub struct FactorisationState {
    /// Rows of W₀ (output features), 2 to 64.
    pub d: u32,
    /// Columns of W₀ (input features), 2 to 64.
    pub k: u32,
    /// Rank, 1 to min(d, k).
    pub r: u32,
    /// The LoRA scaling numerator α, 1 to 64; ΔW is scaled by α/r.
    pub alpha: f64,
    /// Seed of W₀, B and A, 0 to 999.
    pub seed: u32,
    /// True shows the adapter at initialisation (B = 0); false shows it as after training.
    pub at_init: bool,
}

impl FactorisationState {
    /// Smallest and largest d and k.
    pub const SIZE_RANGE: (u32, u32) = (2, 64);
    /// Largest seed.
    pub const MAX_SEED: u32 = 999;
    /// Range of α.
    pub const ALPHA_RANGE: (f64, f64) = (1.0, 64.0);

    /// The largest rank allowed by the current d and k.
    pub fn max_rank(&self) -> u32 {
        self.d.min(self.k)
    }
}

impl Default for FactorisationState {
    /// The notebook's own example: a 4×4 weight at rank 2, with α = r so that α/r = 1 as there.
    fn default() -> Self {
        Self {
            d: 4,
            k: 4,
            r: 2,
            alpha: 2.0,
            seed: 42,
            at_init: false,
        }
    }
}

impl Section for FactorisationState {
    fn keys(&self) -> &'static [&'static str] {
        &["fd", "fk", "fr", "fa", "fs", "fi"]
    }

    fn get(&self, key: &str) -> Option<String> {
        Some(match key {
            "fd" => self.d.to_string(),
            "fk" => self.k.to_string(),
            "fr" => self.r.to_string(),
            "fa" => format_float(self.alpha),
            "fs" => self.seed.to_string(),
            "fi" => u8::from(self.at_init).to_string(),
            _ => return None,
        })
    }

    fn set(&mut self, key: &str, raw: &str) -> Result<Applied, StateError> {
        let (lo, hi) = Self::SIZE_RANGE;
        let applied = match key {
            "fd" => set_int("fd", raw, lo, hi, &mut self.d)?,
            "fk" => set_int("fk", raw, lo, hi, &mut self.k)?,
            "fr" => set_int("fr", raw, 1, self.max_rank(), &mut self.r)?,
            "fa" => set_float(
                "fa",
                raw,
                Self::ALPHA_RANGE.0,
                Self::ALPHA_RANGE.1,
                &mut self.alpha,
            )?,
            "fs" => set_int("fs", raw, 0, Self::MAX_SEED, &mut self.seed)?,
            "fi" => set_bool("fi", raw, &mut self.at_init)?,
            _ => return Err(StateError::UnknownKey(key.to_string())),
        };
        // Shrinking d or k may leave the rank above min(d, k).
        self.r = self.r.clamp(1, self.max_rank());
        Ok(applied)
    }

    fn bounds(&self, key: &str) -> Option<Bounds> {
        let (lo, hi) = Self::SIZE_RANGE;
        let int = |min: u32, max: u32| Bounds {
            min: f64::from(min),
            max: f64::from(max),
            step: 1.0,
        };
        Some(match key {
            "fd" | "fk" => int(lo, hi),
            "fr" => int(1, self.max_rank()),
            "fa" => Bounds {
                min: Self::ALPHA_RANGE.0,
                max: Self::ALPHA_RANGE.1,
                step: 1.0,
            },
            "fs" => int(0, Self::MAX_SEED),
            _ => return None,
        })
    }
}

/// Every control's value on the page. Adding a section means adding a field here and listing it in
/// [`PageState::sections`] and [`PageState::sections_mut`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageState {
    /// The "LoRA factorisation" figure.
    pub factorisation: FactorisationState,
}

impl PageState {
    fn sections(&self) -> [&dyn Section; 1] {
        [&self.factorisation]
    }

    fn sections_mut(&mut self) -> [&mut dyn Section; 1] {
        [&mut self.factorisation]
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
}
