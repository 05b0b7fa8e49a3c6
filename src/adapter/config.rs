//! PEFT's adapter_config.json: the rank, α and how they vary by module, which give each module's
//! scale s, with ΔW = s·B·A.

use std::fmt;

use regex_lite::Regex;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::error::Warning;
use crate::math::models::peft_matches;

/// The config as written, every field optional.
#[derive(Deserialize)]
struct RawConfig {
    peft_type: Option<String>,
    r: Option<u64>,
    lora_alpha: Option<f64>,
    use_rslora: Option<bool>,
    use_dora: Option<bool>,
    rank_pattern: Option<Ordered<u64>>,
    alpha_pattern: Option<Ordered<f64>>,
    target_modules: Option<Targets>,
    modules_to_save: Option<Vec<String>>,
    base_model_name_or_path: Option<String>,
}

/// A JSON object's entries in the file's order (which is the order PEFT tries patterns in).
pub(crate) struct Ordered<T>(pub(crate) Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Entries<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered<T>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, T>()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(Entries(std::marker::PhantomData))
    }
}

/// `target_modules`: a list of names, or one regular expression over the whole module path.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Targets {
    /// A list of names, each matching a path that is the name or ends with "." and the name.
    Names(Vec<String>),
    /// A regular expression that must match the whole path (or "all-linear").
    Pattern(String),
}

/// A `rank_pattern` or `alpha_pattern` key, compiled as PEFT matches it: `(.*\.)?(key)$` from the
/// start of the module's path.
#[derive(Clone, Debug)]
struct Pattern {
    key: String,
    regex: Option<Regex>,
}

impl Pattern {
    fn new(key: &str) -> Self {
        Pattern {
            key: key.to_string(),
            regex: Regex::new(&format!(r"^(?:.*\.)?(?:{key})$")).ok(),
        }
    }

    fn matches(&self, path: &str) -> bool {
        match &self.regex {
            Some(regex) => regex.is_match(path),
            None => peft_matches(&self.key, path),
        }
    }
}

/// The parts of adapter_config.json that bear on the tensors.
#[derive(Clone, Debug)]
pub struct AdapterConfig {
    /// `peft_type`, "LORA" for LoRA.
    pub peft_type: Option<String>,
    /// The default rank `r`.
    pub r: Option<u64>,
    /// The default `lora_alpha`.
    pub alpha: Option<f64>,
    /// rsLoRA: the scale is α/√r rather than α/r.
    pub use_rslora: bool,
    /// DoRA: each module has a magnitude vector.
    pub use_dora: bool,
    rank_pattern: Vec<(Pattern, u64)>,
    alpha_pattern: Vec<(Pattern, f64)>,
    /// `target_modules`, if given.
    pub target_modules: Option<Targets>,
    /// `target_modules` compiled, when it is a regular expression other than "all-linear".
    target_regex: Option<Regex>,
    /// `modules_to_save`: modules trained and saved whole.
    pub modules_to_save: Vec<String>,
    /// The base model's name.
    pub base_model: Option<String>,
}

impl AdapterConfig {
    /// Parses adapter_config.json's text; also warns of patterns it cannot compile.
    pub fn parse(text: &str) -> Result<(Self, Vec<Warning>), Warning> {
        let raw: RawConfig = serde_json::from_str(text).map_err(|e| Warning::ConfigUnreadable {
            detail: e.to_string(),
        })?;
        let mut warnings = Vec::new();
        if let Some(kind) = raw.peft_type.as_deref().filter(|t| *t != "LORA") {
            warnings.push(Warning::ConfigNotLora {
                peft_type: kind.to_string(),
            });
        }
        let mut compile = |key: &str| {
            let pattern = Pattern::new(key);
            if pattern.regex.is_none() {
                warnings.push(Warning::PatternUnreadable {
                    pattern: key.to_string(),
                });
            }
            pattern
        };
        let rank_pattern = raw.rank_pattern.map_or_else(Vec::new, |p| {
            p.0.into_iter().map(|(k, v)| (compile(&k), v)).collect()
        });
        let alpha_pattern = raw.alpha_pattern.map_or_else(Vec::new, |p| {
            p.0.into_iter().map(|(k, v)| (compile(&k), v)).collect()
        });
        let target_regex = match &raw.target_modules {
            Some(Targets::Pattern(p)) if p != "all-linear" => {
                Regex::new(&format!("^(?:{p})$")).ok()
            }
            _ => None,
        };
        let config = AdapterConfig {
            peft_type: raw.peft_type,
            r: raw.r,
            alpha: raw.lora_alpha,
            use_rslora: raw.use_rslora.unwrap_or(false),
            use_dora: raw.use_dora.unwrap_or(false),
            rank_pattern,
            alpha_pattern,
            target_modules: raw.target_modules,
            target_regex,
            modules_to_save: raw.modules_to_save.unwrap_or_default(),
            base_model: raw.base_model_name_or_path,
        };
        Ok((config, warnings))
    }

    /// The rank the config gives the module at `path`: the first matching `rank_pattern` entry's,
    /// else `r`.
    pub fn rank_for(&self, path: &str) -> Option<u64> {
        self.rank_pattern
            .iter()
            .find(|(p, _)| p.matches(path))
            .map(|&(_, r)| r)
            .or(self.r)
    }

    /// The α the config gives the module at `path`: the first matching `alpha_pattern` entry's,
    /// else `lora_alpha`.
    pub fn alpha_for(&self, path: &str) -> Option<f64> {
        self.alpha_pattern
            .iter()
            .find(|(p, _)| p.matches(path))
            .map(|&(_, a)| a)
            .or(self.alpha)
    }

    /// The scale s of ΔW = s·B·A for the module at `path` of rank `r`: α/r, or α/√r with rsLoRA.
    /// None without an α or for rank 0.
    pub fn scale_for(&self, path: &str, r: usize) -> Option<f64> {
        let alpha = self.alpha_for(path)?;
        if r == 0 {
            return None;
        }
        let r = r as f64;
        Some(if self.use_rslora {
            alpha / r.sqrt()
        } else {
            alpha / r
        })
    }

    /// Whether `target_modules` selects the module at `path` (true when it is not given or is
    /// "all-linear").
    pub fn targets(&self, path: &str) -> bool {
        match &self.target_modules {
            None => true,
            Some(Targets::Names(names)) => names.iter().any(|n| peft_matches(n, path)),
            Some(Targets::Pattern(_)) => self
                .target_regex
                .as_ref()
                .is_none_or(|re| re.is_match(path)),
        }
    }
}
