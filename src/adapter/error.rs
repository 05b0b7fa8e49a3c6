//! What can be wrong with an adapter file: errors that stop the inspection, and warnings that let
//! it show what it can. Each displays as a sentence for the reader.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a file that is not safetensors looks like, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lookalike {
    /// A ZIP archive, as PyTorch's `torch.save` writes.
    Zip,
    /// A GGUF model file.
    Gguf,
    /// A bare Python pickle.
    Pickle,
    /// An HDF5 file.
    Hdf5,
    /// Text.
    Text,
    /// Anything else.
    Binary,
}

impl Lookalike {
    /// Recognises a format by its first bytes.
    pub fn of(bytes: &[u8]) -> Self {
        if bytes.starts_with(b"PK\x03\x04") {
            Lookalike::Zip
        } else if bytes.starts_with(b"GGUF") {
            Lookalike::Gguf
        } else if bytes.first() == Some(&0x80) {
            Lookalike::Pickle
        } else if bytes.starts_with(b"\x89HDF") {
            Lookalike::Hdf5
        } else if bytes.iter().take(64).all(|b| b.is_ascii()) {
            Lookalike::Text
        } else {
            Lookalike::Binary
        }
    }
}

impl fmt::Display for Lookalike {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lookalike::Zip => "a ZIP archive, such as PyTorch's .bin or .pt",
            Lookalike::Gguf => "a GGUF model file",
            Lookalike::Pickle => "a Python pickle",
            Lookalike::Hdf5 => "an HDF5 file, such as Keras's .h5",
            Lookalike::Text => "text, perhaps adapter_config.json",
            Lookalike::Binary => "some other binary format",
        })
    }
}

/// Why a file cannot be inspected at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdapterError {
    /// Fewer than the 8 bytes that give a safetensors header's length.
    TooShort {
        /// The file's length in bytes.
        len: usize,
    },
    /// The bytes are some other kind of file.
    NotSafetensors {
        /// What the file looks like instead.
        looks_like: Lookalike,
    },
    /// The header's stated length is over the format's 100 MB limit.
    HeaderTooLarge {
        /// The stated length in bytes.
        header_len: u64,
    },
    /// The header's stated length runs past the end of the bytes given.
    HeaderBeyondFile {
        /// The stated length in bytes.
        header_len: u64,
        /// The file's length in bytes.
        file_len: usize,
    },
    /// The header is not valid UTF-8 JSON.
    HeaderNotJson {
        /// The JSON parser's account of where and why.
        detail: String,
    },
    /// The header is JSON but not shaped as a safetensors header.
    HeaderSchema {
        /// What is out of place.
        detail: String,
    },
    /// The header lists more tensors than a file of its size could describe with real data.
    TooManyTensors {
        /// How many entries the header has.
        count: usize,
    },
    /// A tensor's dtype is not one the safetensors format defines.
    UnknownDtype {
        /// The tensor's name.
        tensor: String,
        /// The dtype as written.
        dtype: String,
    },
    /// A LoRA factor is stored in a format the inspector does not read (not a float).
    UnsupportedDtype {
        /// The tensor's name.
        tensor: String,
        /// The dtype as written.
        dtype: String,
    },
    /// A tensor's offsets are reversed, or its byte span does not fit its shape and dtype.
    OffsetsOutOfRange {
        /// The tensor's name.
        tensor: String,
        /// What is wrong with them.
        detail: String,
    },
    /// Two tensors' data overlap.
    OffsetsOverlap {
        /// The tensor that starts first.
        first: String,
        /// The tensor that starts inside it.
        second: String,
    },
    /// The data region has bytes that belong to no tensor.
    OffsetsGap {
        /// The tensor after the unused bytes.
        tensor: String,
    },
    /// The file ends before the data its header describes.
    Truncated {
        /// The length the header implies, in bytes.
        expected: u64,
        /// The file's length in bytes.
        actual: usize,
    },
    /// The file goes on after the data its header describes.
    TrailingBytes {
        /// The length the header implies, in bytes.
        expected: u64,
        /// The file's length in bytes.
        actual: usize,
    },
    /// The safetensors library refused the file for a reason the checks above did not name.
    Rejected {
        /// The library's reason.
        detail: String,
    },
    /// The file holds no LoRA factor pairs at all.
    NoAdapter {
        /// How many tensors it holds.
        tensors: usize,
    },
    /// The module asked for is not in the inspection.
    NoSuchModule {
        /// The index asked for.
        index: usize,
    },
}

impl fmt::Display for AdapterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdapterError::TooShort { len } => write!(
                f,
                "The file is only {len} bytes long. A safetensors file starts with 8 bytes giving \
                 the length of its header, so this is not one, or it was cut short."
            ),
            AdapterError::NotSafetensors { looks_like } => write!(
                f,
                "This is not a safetensors file: it looks like {looks_like}. Choose the \
                 adapter_model.safetensors that PEFT's save_pretrained wrote."
            ),
            AdapterError::HeaderTooLarge { header_len } => write!(
                f,
                "The file says its header is {header_len} bytes long, over the 100 MB that the \
                 safetensors format allows: the file is damaged or not a safetensors file."
            ),
            AdapterError::HeaderBeyondFile {
                header_len,
                file_len,
            } => write!(
                f,
                "The file says its header is {header_len} bytes long, but the whole file is only \
                 {file_len} bytes: it was cut short, or it is not a safetensors file."
            ),
            AdapterError::HeaderNotJson { detail } => write!(
                f,
                "The file's header is not valid JSON ({detail}), so the file is damaged."
            ),
            AdapterError::HeaderSchema { detail } => write!(
                f,
                "The file's header is JSON but not a safetensors header: {detail}."
            ),
            AdapterError::TooManyTensors { count } => write!(
                f,
                "The header lists {count} tensors, more than a file of this size could hold: the \
                 file is damaged."
            ),
            AdapterError::UnknownDtype { tensor, dtype } => write!(
                f,
                "The tensor {tensor} has the data type \"{dtype}\", which the safetensors format \
                 does not define."
            ),
            AdapterError::UnsupportedDtype { tensor, dtype } => write!(
                f,
                "The LoRA factor {tensor} is stored as {dtype}; the inspector reads factors stored \
                 as F32, F16, BF16 or F64."
            ),
            AdapterError::OffsetsOutOfRange { tensor, detail } => write!(
                f,
                "The data offsets of the tensor {tensor} are out of range: {detail}."
            ),
            AdapterError::OffsetsOverlap { first, second } => write!(
                f,
                "The data of the tensors {first} and {second} overlap, so the file is damaged."
            ),
            AdapterError::OffsetsGap { tensor } => write!(
                f,
                "Unused bytes come before the data of the tensor {tensor}; the safetensors format \
                 packs tensors without gaps, so the file is damaged."
            ),
            AdapterError::Truncated { expected, actual } => write!(
                f,
                "The file is truncated: its header describes {expected} bytes, but it has only \
                 {actual}. Was the download or copy complete?"
            ),
            AdapterError::TrailingBytes { expected, actual } => write!(
                f,
                "The file has {actual} bytes, but its header describes only {expected}: something \
                 was appended to it, or it is damaged."
            ),
            AdapterError::Rejected { detail } => {
                write!(f, "The safetensors library refused the file: {detail}.")
            }
            AdapterError::NoAdapter { tensors } => write!(
                f,
                "The file is a valid safetensors file with {tensors} tensors, but none is a LoRA \
                 factor (lora_A with lora_B, or lora_down with lora_up): is it an adapter?"
            ),
            AdapterError::NoSuchModule { index } => {
                write!(f, "There is no adapted module number {index} in this file.")
            }
        }
    }
}

impl std::error::Error for AdapterError {}

/// Something the reader should know, though the inspection goes on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Warning {
    /// No adapter_config.json was given.
    ConfigMissing,
    /// The adapter_config.json given could not be read.
    ConfigUnreadable {
        /// The JSON parser's account.
        detail: String,
    },
    /// The config describes another kind of adapter.
    ConfigNotLora {
        /// Its `peft_type`.
        peft_type: String,
    },
    /// A `rank_pattern` or `alpha_pattern` key is not a regular expression the inspector reads.
    PatternUnreadable {
        /// The key.
        pattern: String,
    },
    /// The config's rank for a module differs from its tensors' rank.
    RankDisagrees {
        /// The module's path.
        module: String,
        /// The rank the config gives it (after `rank_pattern`).
        config: u64,
        /// The rank its tensors have.
        tensors: usize,
    },
    /// Modules that have tensors although no entry of `target_modules` selects them.
    NotTargeted {
        /// How many modules.
        count: usize,
        /// One of them.
        example: String,
    },
    /// A `target_modules` entry that selects no module of the file.
    TargetUnused {
        /// The entry.
        target: String,
    },
    /// The config and the tensors disagree about DoRA.
    DoraDisagrees {
        /// The config's `use_dora`.
        config: bool,
        /// Magnitude vectors found.
        vectors: usize,
    },
    /// A `modules_to_save` entry with no tensor in the file.
    SavedModuleMissing {
        /// The entry.
        name: String,
    },
    /// A lora_A with no lora_B, or the reverse.
    Unpaired {
        /// The tensor that is there.
        tensor: String,
        /// The name of the missing half ("lora_B", …).
        missing: String,
    },
    /// A module's two factors have shapes that cannot multiply.
    ShapesDisagree {
        /// The module's path.
        module: String,
        /// The A (down) factor's shape.
        a: Vec<usize>,
        /// The B (up) factor's shape.
        b: Vec<usize>,
    },
    /// A DoRA magnitude vector whose length is not its module's output width.
    MagnitudeShape {
        /// The module's path.
        module: String,
        /// The vector's shape.
        shape: Vec<usize>,
        /// The module's output width.
        out_features: usize,
    },
    /// NaN or infinite weights, counted.
    NonFinite {
        /// Weights that are NaN or ±∞.
        weights: u64,
        /// Modules holding them.
        modules: usize,
    },
    /// A module whose spectrum was not computed.
    SpectrumSkipped {
        /// The module's path.
        module: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::ConfigMissing => write!(
                f,
                "No adapter_config.json: without it the scale α/r is unknown, so ΔW is shown as \
                 B·A (scale 1), and the ranks cannot be checked."
            ),
            Warning::ConfigUnreadable { detail } => write!(
                f,
                "The adapter_config.json could not be read ({detail}); the tensors are shown \
                 with scale 1."
            ),
            Warning::ConfigNotLora { peft_type } => write!(
                f,
                "The config is for a {peft_type} adapter, not LoRA; its numbers may not apply."
            ),
            Warning::PatternUnreadable { pattern } => write!(
                f,
                "The config's pattern \"{pattern}\" is not a regular expression the inspector \
                 reads; it is matched as a plain module name."
            ),
            Warning::RankDisagrees {
                module,
                config,
                tensors,
            } => write!(
                f,
                "The config gives {module} rank {config}, but its tensors have rank {tensors}; \
                 the table uses the tensors' rank."
            ),
            Warning::NotTargeted { count, example } => write!(
                f,
                "{count} adapted modules (such as {example}) are not selected by the config's \
                 target_modules."
            ),
            Warning::TargetUnused { target } => write!(
                f,
                "The config targets \"{target}\", but no tensor in the file belongs to it."
            ),
            Warning::DoraDisagrees { config, vectors } => {
                if *config {
                    write!(
                        f,
                        "The config says use_dora, but the file has no DoRA magnitude vectors."
                    )
                } else {
                    write!(
                        f,
                        "The file has {vectors} DoRA magnitude vectors, but the config does not \
                         say use_dora."
                    )
                }
            }
            Warning::SavedModuleMissing { name } => write!(
                f,
                "The config lists \"{name}\" in modules_to_save, but the file has no tensor for it."
            ),
            Warning::Unpaired { tensor, missing } => write!(
                f,
                "{tensor} has no matching {missing}, so its module cannot be shown."
            ),
            Warning::ShapesDisagree { module, a, b } => write!(
                f,
                "The factors of {module} cannot multiply: A is {a:?} and B is {b:?} (A should be \
                 [r, in] and B [out, r]); the module is left out."
            ),
            Warning::MagnitudeShape {
                module,
                shape,
                out_features,
            } => write!(
                f,
                "The DoRA magnitude vector of {module} has shape {shape:?}, but the module has \
                 {out_features} outputs."
            ),
            Warning::NonFinite { weights, modules } => write!(
                f,
                "{weights} weights in {modules} modules are NaN or infinite; those modules' norms \
                 and spectra cannot be computed."
            ),
            Warning::SpectrumSkipped { module } => write!(
                f,
                "The spectrum of {module} was not computed: its rank is too large for its shape."
            ),
        }
    }
}
