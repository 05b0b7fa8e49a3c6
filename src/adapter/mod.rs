//! The adapter inspector's core: an `adapter_model.safetensors` and its `adapter_config.json`, as
//! PEFT's `save_pretrained` writes them, read into what each adapted module learned.
//!
//! PEFT names a module's factors `base_model.model.<path>.lora_A.weight` ([r, in]) and
//! `….lora_B.weight` ([out, r]), in F32, F16 or BF16; kohya-style files name them
//! `<path>.lora_down.weight` and `<path>.lora_up.weight`, with the scale's α in `<path>.alpha`.
//! Each module's update is ΔW = s·B·A; its singular values come from the r×r core of the factors'
//! QR factorisations ([`crate::math::lowrank`]), never from the out×in product.
//!
//! [`header`] reads the header alone (the page reads a large file's first bytes, then the rest in a
//! worker); [`inspect`] reads the whole file. Neither panics, and neither allocates more than the
//! file's size at once: everything sized by a number from the file is checked against the bytes
//! first.

pub mod config;
pub mod error;
pub mod header;

use half::{bf16, f16};
use nalgebra::DMatrix;
use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};

use crate::math::lowrank::{product_singular_values, stable_rank, StreamingQr};
use crate::math::svd::rank_for_energy;
pub use config::AdapterConfig;
pub use error::{AdapterError, Lookalike, Warning};
pub use header::{header, header_span, Header, TensorEntry, SMALL_ALLOCATION};

/// The share of ‖ΔW‖_F² the "rank reaching 90%" counts up to.
pub const ENERGY_SHARE: f64 = 0.90;

/// Rows of a factor folded into its QR at a time.
const QR_BLOCK: usize = 64;

/// The prefix PEFT gives every key: the model inside the `PeftModel` inside the `LoraModel`.
const PEFT_PREFIX: &str = "base_model.model.";

/// A floating-point format a factor may be stored in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Float {
    /// IEEE single precision.
    F32,
    /// IEEE half precision.
    F16,
    /// bfloat16.
    Bf16,
    /// IEEE double precision.
    F64,
}

impl Float {
    fn of(dtype: Dtype) -> Option<Self> {
        match dtype {
            Dtype::F32 => Some(Float::F32),
            Dtype::F16 => Some(Float::F16),
            Dtype::BF16 => Some(Float::Bf16),
            Dtype::F64 => Some(Float::F64),
            _ => None,
        }
    }

    /// Bytes per element.
    pub fn bytes(self) -> usize {
        match self {
            Float::F16 | Float::Bf16 => 2,
            Float::F32 => 4,
            Float::F64 => 8,
        }
    }

    /// Decodes little-endian elements into `out` (as many as fit both) and counts the NaN and
    /// infinite ones.
    fn decode(self, bytes: &[u8], out: &mut [f64]) -> u64 {
        let mut bad = 0;
        let mut put = |slot: &mut f64, x: f64| {
            bad += u64::from(!x.is_finite());
            *slot = x;
        };
        match self {
            Float::F32 => {
                for (slot, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                    put(slot, f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64);
                }
            }
            Float::F16 => {
                for (slot, b) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                    put(slot, f16::from_le_bytes([b[0], b[1]]).to_f64());
                }
            }
            Float::Bf16 => {
                for (slot, b) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                    put(slot, bf16::from_le_bytes([b[0], b[1]]).to_f64());
                }
            }
            Float::F64 => {
                for (slot, b) in out.iter_mut().zip(bytes.chunks_exact(8)) {
                    let mut e = [0u8; 8];
                    e.copy_from_slice(b);
                    put(slot, f64::from_le_bytes(e));
                }
            }
        }
        bad
    }
}

/// A row-major matrix stored in the file: where, in what format, and its shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// Its first byte in the file.
    pub offset: usize,
    /// Its element format.
    pub float: Float,
    /// Rows.
    pub rows: usize,
    /// Columns (a convolution's trailing dimensions flattened).
    pub cols: usize,
}

impl Stored {
    /// The bytes of row `i`, columns `from..from + n`, if they are in `file`.
    fn run<'a>(&self, file: &'a [u8], i: usize, from: usize, n: usize) -> Option<&'a [u8]> {
        let size = self.float.bytes();
        let start = self.offset + (i * self.cols + from) * size;
        file.get(start..start + n * size)
    }
}

/// How a file names its factors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStyle {
    /// PEFT's `lora_A`/`lora_B`.
    Peft,
    /// kohya's `lora_down`/`lora_up` with `.alpha`.
    Kohya,
}

/// One adapted module and what its update ΔW = s·B·A is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Module {
    /// Its path in the base model, such as `model.layers.0.self_attn.q_proj`.
    pub path: String,
    /// Its block's number, if the path has one.
    pub layer: Option<u32>,
    /// Its kind: the path's last part, such as `q_proj`.
    pub kind: String,
    /// The rank r, from the tensors.
    pub rank: usize,
    /// Input features (A's columns).
    pub in_features: usize,
    /// Output features (B's rows).
    pub out_features: usize,
    /// The factors' parameters, r·(in + out).
    pub params: u64,
    /// α, from the config (or kohya's `.alpha`), if known.
    pub alpha: Option<f64>,
    /// The scale s: α/r, α/√r with rsLoRA, or 1 when α is unknown.
    pub scale: f64,
    /// ‖ΔW‖_F (NaN when a weight is not finite).
    pub frobenius: f64,
    /// ΔW's nonzero-capable singular values, min(r, in, out) of them, descending (empty when a
    /// weight is not finite or the spectrum was skipped).
    pub singular_values: Vec<f64>,
    /// The fewest singular values holding [`ENERGY_SHARE`] of ‖ΔW‖_F² (0 with no spectrum).
    pub rank_90: usize,
    /// ‖ΔW‖_F² / σ₁², None for a zero update or no spectrum.
    pub stable_rank: Option<f64>,
    /// NaN and infinite weights in its factors.
    pub non_finite: u64,
    /// Whether it has a DoRA magnitude vector.
    pub dora: bool,
    /// The A (down) factor, r×in.
    pub a: Stored,
    /// The B (up) factor, out×r.
    pub b: Stored,
}

/// What a tensor that is not a LoRA factor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OtherKind {
    /// A DoRA magnitude vector, one number per output.
    DoraMagnitude,
    /// A module trained and saved whole (`modules_to_save`).
    Saved,
    /// kohya's α for a module.
    Alpha,
    /// Anything else.
    Unknown,
}

impl OtherKind {
    /// How the page names it.
    pub fn label(self) -> &'static str {
        match self {
            OtherKind::DoraMagnitude => "DoRA magnitude vector",
            OtherKind::Saved => "module saved whole (modules_to_save)",
            OtherKind::Alpha => "α of a module (kohya)",
            OtherKind::Unknown => "not a LoRA tensor",
        }
    }
}

/// A tensor that is not a LoRA factor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherTensor {
    /// Its name in the file.
    pub name: String,
    /// What it is.
    pub kind: OtherKind,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its dtype as written.
    pub dtype: String,
    /// Its elements.
    pub params: u64,
}

/// The parameters of the file, added up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// The LoRA factors', Σ r·(in + out).
    pub lora: u64,
    /// The DoRA magnitude vectors'.
    pub magnitude: u64,
    /// The `modules_to_save` tensors'.
    pub saved: u64,
    /// Every other tensor's.
    pub other: u64,
    /// The factors' parameters at the config's ranks for the same modules, if the config gives
    /// every module a rank.
    pub config_lora: Option<u64>,
}

impl Totals {
    /// Every parameter in the file.
    pub fn all(&self) -> u64 {
        self.lora + self.magnitude + self.saved + self.other
    }
}

/// Everything the inspector read from a file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// How the file names its factors.
    pub style: KeyStyle,
    /// Every adapted module, by layer, then path.
    pub modules: Vec<Module>,
    /// The tensors that are not LoRA factors, in the file's order.
    pub others: Vec<OtherTensor>,
    /// The parameters, added up.
    pub totals: Totals,
    /// What the reader should know, most important first.
    pub warnings: Vec<Warning>,
    /// The config's base model, if it names one.
    pub base_model: Option<String>,
    /// The file's `__metadata__`.
    pub metadata: Vec<(String, String)>,
}

/// What a tensor's name says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    A,
    B,
    Magnitude,
    Alpha,
}

/// The module path and role of a key, and whether it is kohya-style.
fn classify(name: &str) -> Option<(&str, Role, KeyStyle)> {
    const SUFFIXES: [(&str, Role, KeyStyle); 10] = [
        (".lora_A.weight", Role::A, KeyStyle::Peft),
        (".lora_B.weight", Role::B, KeyStyle::Peft),
        (".lora_embedding_A", Role::A, KeyStyle::Peft),
        (".lora_embedding_B", Role::B, KeyStyle::Peft),
        (
            ".lora_magnitude_vector.weight",
            Role::Magnitude,
            KeyStyle::Peft,
        ),
        (".lora_magnitude_vector", Role::Magnitude, KeyStyle::Peft),
        (".lora_down.weight", Role::A, KeyStyle::Kohya),
        (".lora_up.weight", Role::B, KeyStyle::Kohya),
        (".dora_scale", Role::Magnitude, KeyStyle::Kohya),
        (".alpha", Role::Alpha, KeyStyle::Kohya),
    ];
    SUFFIXES.iter().find_map(|&(suffix, role, style)| {
        let path = name.strip_suffix(suffix)?;
        Some((path.strip_prefix(PEFT_PREFIX).unwrap_or(path), role, style))
    })
}

/// The first number among a path's parts (split at dots, and at underscores in kohya's names).
fn layer_of(path: &str) -> Option<u32> {
    path.split(['.', '_']).find_map(|part| part.parse().ok())
}

/// A path's last part, or for kohya's underscored names, what follows its last number.
fn kind_of(path: &str, style: KeyStyle) -> String {
    match style {
        KeyStyle::Peft => path.rsplit('.').next().unwrap_or(path).to_string(),
        KeyStyle::Kohya => {
            let parts: Vec<&str> = path.split('_').collect();
            match parts.iter().rposition(|p| p.parse::<u32>().is_ok()) {
                Some(i) if i + 1 < parts.len() => parts[i + 1..].join("_"),
                _ => path.to_string(),
            }
        }
    }
}

/// The factor `entry` as a matrix: its first dimension by the product of the rest.
fn stored(entry: &TensorEntry, data_start: usize) -> Result<Stored, AdapterError> {
    let float = Float::of(entry.dtype).ok_or_else(|| AdapterError::UnsupportedDtype {
        tensor: entry.name.clone(),
        dtype: format!("{:?}", entry.dtype),
    })?;
    let rows = entry.shape.first().copied().unwrap_or(1);
    // The header's check bounds the elements by the data's length, so this cannot overflow.
    let cols = entry.shape.iter().skip(1).product();
    Ok(Stored {
        offset: data_start + entry.start,
        float,
        rows,
        cols,
    })
}

/// Inspects a whole file, with its config's text if the reader gave one.
pub fn inspect(file: &[u8], config: Option<&str>) -> Result<Inspection, AdapterError> {
    let mut inspector = Inspector::new(file, config)?;
    while inspector.step(file) {}
    Ok(inspector.finish())
}

/// An inspection under way, one module's spectrum at a time, so that a worker can report its
/// progress and read newer requests between modules: [`Inspector::new`] reads and checks
/// everything but the factors' values, [`Inspector::step`] computes the next module's norm and
/// spectrum, and [`Inspector::finish`] adds the warnings that need them all.
#[derive(Clone, Debug)]
pub struct Inspector {
    inspection: Inspection,
    config: Option<AdapterConfig>,
    given: bool,
    magnitudes: usize,
    next: usize,
}

impl Inspector {
    /// Reads the header, the config and the factor pairs of `file`: everything but the factors'
    /// values.
    pub fn new(file: &[u8], config: Option<&str>) -> Result<Self, AdapterError> {
        let head = header(file)?;
        head.check_len(file.len())?;
        // The safetensors library's own reading, which must agree with ours.
        let library = SafeTensors::deserialize(file).map_err(|e| AdapterError::Rejected {
            detail: e.to_string(),
        })?;
        if library.len() != head.tensors.len() {
            return Err(AdapterError::Rejected {
                detail: "it counts the tensors differently".to_string(),
            });
        }
        let mut warnings = Vec::new();
        let given = config.is_some();
        let config = match config.map(AdapterConfig::parse) {
            None => None,
            Some(Err(w)) => {
                warnings.push(w);
                None
            }
            Some(Ok((c, w))) => {
                warnings.extend(w);
                Some(c)
            }
        };

        // Each tensor's module and role, sorted so that a module's tensors are neighbours.
        let mut roles: Vec<(&str, Role, usize)> = Vec::with_capacity(head.tensors.len());
        let factors = |role: Role| {
            head.tensors
                .iter()
                .filter(|t| classify(&t.name).is_some_and(|(_, r, _)| r == role))
                .count()
        };
        let (a_count, b_count) = (factors(Role::A), factors(Role::B));
        let mut style = KeyStyle::Peft;
        // Each list is made once, at its final size: one entry a pair, one a tensor that is not a factor.
        let mut modules: Vec<Module> = Vec::with_capacity(a_count.min(b_count));
        let mut others = Vec::with_capacity(head.tensors.len() - a_count - b_count);
        for (i, t) in head.tensors.iter().enumerate() {
            match classify(&t.name) {
                Some((path, role, s)) => {
                    if role != Role::Magnitude && role != Role::Alpha {
                        style = s;
                    }
                    roles.push((path, role, i));
                }
                None => {
                    let saved = config.as_ref().is_some_and(|c| {
                        c.modules_to_save.iter().any(|m| {
                            let path = t.name.strip_prefix(PEFT_PREFIX).unwrap_or(&t.name);
                            path.starts_with(m.as_str()) && path[m.len()..].starts_with('.')
                                || path.contains(&format!(".{m}."))
                        })
                    });
                    others.push(OtherTensor {
                        name: t.name.clone(),
                        kind: if saved {
                            OtherKind::Saved
                        } else {
                            OtherKind::Unknown
                        },
                        shape: t.shape.clone(),
                        dtype: format!("{:?}", t.dtype),
                        params: t.elements(),
                    });
                }
            }
        }
        roles.sort_unstable();

        let mut magnitudes = 0;
        let mut totals = Totals::default();
        let mut config_lora = Some(0u64);
        let mut group_start = 0;
        while group_start < roles.len() {
            let path = roles[group_start].0;
            let group_end = roles[group_start..]
                .iter()
                .position(|&(p, _, _)| p != path)
                .map_or(roles.len(), |n| group_start + n);
            let group = &roles[group_start..group_end];
            group_start = group_end;
            let find = |role: Role| {
                group
                    .iter()
                    .find(|&&(_, r, _)| r == role)
                    .map(|&(_, _, i)| &head.tensors[i])
            };
            for role in [Role::Magnitude, Role::Alpha] {
                if let Some(t) = find(role) {
                    let kind = if role == Role::Alpha {
                        OtherKind::Alpha
                    } else {
                        magnitudes += 1;
                        totals.magnitude += t.elements();
                        OtherKind::DoraMagnitude
                    };
                    others.push(OtherTensor {
                        name: t.name.clone(),
                        kind,
                        shape: t.shape.clone(),
                        dtype: format!("{:?}", t.dtype),
                        params: t.elements(),
                    });
                }
            }
            let (a, b) = match (find(Role::A), find(Role::B)) {
                (Some(a), Some(b)) => (a, b),
                (Some(t), None) | (None, Some(t)) => {
                    let missing = if t.name.contains("lora_down") {
                        "lora_up"
                    } else if t.name.contains("lora_up") {
                        "lora_down"
                    } else if t.name.contains("_A") {
                        "lora_B"
                    } else {
                        "lora_A"
                    };
                    warnings.push(Warning::Unpaired {
                        tensor: t.name.clone(),
                        missing: missing.to_string(),
                    });
                    continue;
                }
                (None, None) => continue,
            };
            let (sa, sb) = (stored(a, head.data_start())?, stored(b, head.data_start())?);
            // B is [out, r, 1, 1…]: its trailing dimensions must be ones.
            let b_rank = b.shape.get(1).copied().unwrap_or(0);
            if a.shape.len() < 2 || b.shape.len() < 2 || sa.rows != b_rank || sb.cols != b_rank {
                warnings.push(Warning::ShapesDisagree {
                    module: path.to_string(),
                    a: a.shape.clone(),
                    b: b.shape.clone(),
                });
                continue;
            }
            let (rank, in_features, out_features) = (sa.rows, sa.cols, sb.rows);
            let params = (rank as u64) * (in_features as u64 + out_features as u64);
            totals.lora += params;
            let dora = find(Role::Magnitude).is_some();
            if let Some(m) = find(Role::Magnitude) {
                if m.elements() != out_features as u64 {
                    warnings.push(Warning::MagnitudeShape {
                        module: path.to_string(),
                        shape: m.shape.clone(),
                        out_features,
                    });
                }
            }
            let kohya_alpha = find(Role::Alpha).and_then(|t| {
                let s = stored(t, head.data_start()).ok()?;
                let mut x = [0.0];
                s.run(file, 0, 0, 1)
                    .map(|bytes| s.float.decode(bytes, &mut x))?;
                Some(x[0])
            });
            let alpha = match &config {
                Some(c) => {
                    match c.rank_for(path) {
                        Some(r) if r != rank as u64 => warnings.push(Warning::RankDisagrees {
                            module: path.to_string(),
                            config: r,
                            tensors: rank,
                        }),
                        _ => {}
                    }
                    config_lora = config_lora.and_then(|total| {
                        let r = c.rank_for(path)?;
                        Some(total + r * (in_features as u64 + out_features as u64))
                    });
                    c.alpha_for(path)
                }
                None => kohya_alpha,
            };
            let scale = match (&config, alpha) {
                (Some(c), Some(_)) => c.scale_for(path, rank),
                (None, Some(alpha)) if rank > 0 => Some(alpha / rank as f64),
                _ => None,
            }
            .unwrap_or(1.0);
            let module = Module {
                path: path.to_string(),
                layer: layer_of(path),
                kind: kind_of(path, style),
                rank,
                in_features,
                out_features,
                params,
                alpha,
                scale,
                frobenius: f64::NAN,
                singular_values: Vec::new(),
                rank_90: 0,
                stable_rank: None,
                non_finite: 0,
                dora,
                a: sa,
                b: sb,
            };
            if !spectrum_fits(file.len(), &module) {
                warnings.push(Warning::SpectrumSkipped {
                    module: path.to_string(),
                });
            }
            modules.push(module);
        }
        if modules.is_empty() {
            return Err(AdapterError::NoAdapter {
                tensors: head.tensors.len(),
            });
        }
        modules.sort_unstable_by(|x, y| (x.layer, &x.path).cmp(&(y.layer, &y.path)));
        for t in &others {
            match t.kind {
                OtherKind::Saved => totals.saved += t.params,
                OtherKind::Unknown => totals.other += t.params,
                OtherKind::DoraMagnitude | OtherKind::Alpha => {}
            }
        }
        if config.is_some() {
            totals.config_lora = config_lora;
        }
        Ok(Self {
            inspection: Inspection {
                style,
                modules,
                others,
                totals,
                warnings,
                base_model: config.as_ref().and_then(|c| c.base_model.clone()),
                metadata: head.metadata,
            },
            config,
            given,
            magnitudes,
            next: 0,
        })
    }

    /// The adapted modules found.
    pub fn modules(&self) -> usize {
        self.inspection.modules.len()
    }

    /// The modules whose norm and spectrum are done.
    pub fn done(&self) -> usize {
        self.next
    }

    /// Computes the next module's norm and spectrum from `file` (the bytes given to
    /// [`Inspector::new`]); false once every module is done.
    pub fn step(&mut self, file: &[u8]) -> bool {
        let Some(module) = self.inspection.modules.get_mut(self.next) else {
            return false;
        };
        spectrum(file, module);
        self.next += 1;
        self.next < self.inspection.modules.len()
    }

    /// The inspection, with the warnings that need every module: non-finite weights, a missing
    /// config and where the config disagrees with the tensors. Modules not yet stepped have no
    /// norm or spectrum.
    pub fn finish(self) -> Inspection {
        let mut inspection = self.inspection;
        let warnings = &mut inspection.warnings;
        let bad = inspection.modules.iter().filter(|m| m.non_finite > 0);
        let (weights, modules) = bad.fold((0, 0), |(w, n), m| (w + m.non_finite, n + 1));
        if weights > 0 {
            warnings.push(Warning::NonFinite { weights, modules });
        }
        if !self.given && inspection.style == KeyStyle::Peft {
            warnings.insert(0, Warning::ConfigMissing);
        }
        if let Some(c) = &self.config {
            check_config(
                c,
                &inspection.modules,
                &inspection.others,
                self.magnitudes,
                warnings,
            );
        }
        inspection
    }
}

/// Warns where the config and the tensors disagree: targets, DoRA, modules saved whole.
fn check_config(
    c: &AdapterConfig,
    modules: &[Module],
    others: &[OtherTensor],
    magnitudes: usize,
    warnings: &mut Vec<Warning>,
) {
    let mut untargeted = modules.iter().filter(|m| !c.targets(&m.path));
    if let Some(first) = untargeted.next() {
        warnings.push(Warning::NotTargeted {
            count: 1 + untargeted.count(),
            example: first.path.clone(),
        });
    }
    if let Some(config::Targets::Names(names)) = &c.target_modules {
        for name in names {
            if !modules
                .iter()
                .any(|m| crate::math::models::peft_matches(name, &m.path))
            {
                warnings.push(Warning::TargetUnused {
                    target: name.clone(),
                });
            }
        }
    }
    if c.use_dora != (magnitudes > 0) {
        warnings.push(Warning::DoraDisagrees {
            config: c.use_dora,
            vectors: magnitudes,
        });
    }
    for name in &c.modules_to_save {
        if !others
            .iter()
            .any(|t| t.kind == OtherKind::Saved && t.name.contains(name.as_str()))
        {
            warnings.push(Warning::SavedModuleMissing { name: name.clone() });
        }
    }
}

/// Rows of a module's factors folded into a QR at a time.
fn qr_block(m: &Module) -> usize {
    QR_BLOCK.min(m.out_features.max(m.in_features)).max(1)
}

/// Whether the spectrum's working memory stays within the file's size (it does not for a rank
/// beyond the module's shape).
fn spectrum_fits(file_len: usize, m: &Module) -> bool {
    let largest = m
        .rank
        .saturating_mul(m.rank.max(qr_block(m)))
        .saturating_mul(8);
    largest <= file_len
}

/// Fills in the module's norm, spectrum and non-finite count from its factors, unless the
/// spectrum does not fit ([`spectrum_fits`]).
fn spectrum(file: &[u8], m: &mut Module) {
    if !spectrum_fits(file.len(), m) {
        return;
    }
    let r = m.rank;
    let block = qr_block(m);
    // B's rows are its rows; Aᵀ's rows are A's columns, each a contiguous run of A's rows.
    let mut bad = 0;
    let mut qr_b = StreamingQr::new(r, block);
    let mut row = vec![0.0; r];
    for start in (0..m.out_features).step_by(block) {
        let n = block.min(m.out_features - start);
        qr_b.push(n, |cols| {
            for i in 0..n {
                if let Some(bytes) = m.b.run(file, start + i, 0, r) {
                    bad += m.b.float.decode(bytes, &mut row);
                }
                for (l, &x) in row.iter().enumerate() {
                    cols[l * n + i] = x;
                }
            }
        });
    }
    let mut qr_a = StreamingQr::new(r, block);
    for start in (0..m.in_features).step_by(block) {
        let n = block.min(m.in_features - start);
        qr_a.push(n, |cols| {
            for (l, column) in cols.chunks_exact_mut(n).enumerate() {
                if let Some(bytes) = m.a.run(file, l, start, n) {
                    bad += m.a.float.decode(bytes, column);
                }
            }
        });
    }
    m.non_finite = bad;
    if bad > 0 {
        return;
    }
    let keep = r.min(m.in_features).min(m.out_features);
    let sigma = product_singular_values(&qr_b.finish(), &qr_a.finish(), m.scale, keep);
    m.frobenius = sigma.iter().map(|s| s * s).sum::<f64>().sqrt();
    m.rank_90 = if m.frobenius > 0.0 {
        rank_for_energy(&sigma, ENERGY_SHARE)
    } else {
        0
    };
    m.stable_rank = stable_rank(&sigma);
    m.singular_values = sigma;
}

/// A `rows`×`cols` sample of the module's ΔW = s·B·A for a heatmap: each cell the entry at its
/// centre, computed alone as s·Σₗ B[i, l]·A[l, j], so the out×in product is never formed.
pub fn heatmap(
    file: &[u8],
    m: &Module,
    rows: usize,
    cols: usize,
) -> Result<DMatrix<f64>, AdapterError> {
    let rows = rows.min(m.out_features);
    let cols = cols.min(m.in_features);
    let r = m.rank;
    let centre = |cell: usize, cells: usize, n: usize| (2 * cell + 1) * n / (2 * cells);
    let truncated = || AdapterError::Truncated {
        expected: (m.b.offset + m.b.rows * m.b.cols * m.b.float.bytes()) as u64,
        actual: file.len(),
    };
    // A's sampled columns, r numbers each, then B's sampled rows against them.
    let mut a = DMatrix::zeros(r, cols);
    let mut x = [0.0];
    for c in 0..cols {
        let j = centre(c, cols, m.in_features);
        for l in 0..r {
            let bytes = m.a.run(file, l, j, 1).ok_or_else(truncated)?;
            m.a.float.decode(bytes, &mut x);
            a[(l, c)] = x[0];
        }
    }
    let mut b_row = vec![0.0; r];
    let mut out = DMatrix::zeros(rows, cols);
    for row in 0..rows {
        let i = centre(row, rows, m.out_features);
        let bytes = m.b.run(file, i, 0, r).ok_or_else(truncated)?;
        m.b.float.decode(bytes, &mut b_row);
        for c in 0..cols {
            let dot: f64 = (0..r).map(|l| b_row[l] * a[(l, c)]).sum();
            out[(row, c)] = m.scale * dot;
        }
    }
    Ok(out)
}
