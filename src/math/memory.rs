//! Parameter counts and training memory of layers and real models, fully fine-tuned or with LoRA.
//!
//! Conventions: counts are numbers of scalar parameters (`u64`, exact). Memory and storage are in
//! bytes (`u64`, exact); [`crate::format::bytes`] writes them in decimal SI units (1 GB = 10⁹ B).
//! Memory counts only what is stored per parameter under one accounting (see [`Counting`]):
//! weights, gradients and optimizer state. Activations, which grow with batch size and sequence
//! length, are never counted. That is not a bound on real training: systems store some of these in
//! fewer bytes or share them out, and add activations and buffers; [`MeasuredMemory`] holds what
//! the LoRA paper measured.

use super::lora::ParamCounts;

/// Parameters of the notebook's `SimpleTransformerLayer`: 9·d² + 6·d.
///
/// The layer is `nn.Linear(d, d)` + `nn.Linear(d, 4d)` + `nn.Linear(4d, d)`, each with PyTorch's bias of
/// `out_features` entries: (d² + d) + (4d² + 4d) + (4d² + d). At d = 768 this is 5,313,024, the
/// number the notebook prints.
pub fn simple_layer_params(d_model: u64) -> u64 {
    9 * d_model * d_model + 6 * d_model
}

/// The parameters of one real transformer block, by part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockParams {
    /// The four attention projections Q, K, V and O, each d×d with a bias: 4·d² + 4·d.
    pub attention: u64,
    /// The feed-forward network d → 4d → d with both biases: 8·d² + 5·d.
    pub ffn: u64,
    /// Two LayerNorms, each with a scale and a shift of d entries: 4·d.
    pub layer_norms: u64,
}

impl BlockParams {
    /// All parameters of the block: 12·d² + 13·d.
    pub fn total(self) -> u64 {
        self.attention + self.ffn + self.layer_norms
    }
}

/// Parameters of one BERT- or GPT-2-style transformer block of width `d_model`.
///
/// The notebook's stand-in layer ([`simple_layer_params`]) has a single d×d "attention" matrix; a real
/// block has four (Q, K, V and the output projection O) plus two LayerNorms, so it holds
/// 3·d² + 7·d more parameters. At d = 768 a block has 7,087,872; BERT-base stacks 12 of them
/// (85,054,464) and spends the rest of its 109,482,240 on embeddings and the pooler.
pub fn transformer_block_params(d_model: u64) -> BlockParams {
    let d = d_model;
    BlockParams {
        attention: 4 * d * d + 4 * d,
        ffn: 8 * d * d + 5 * d,
        layer_norms: 2 * 2 * d,
    }
}

/// What training keeps in memory for each trainable parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counting {
    /// fp32 weights only: 4 bytes a parameter. Enough for inference, not for training.
    WeightsOnly,
    /// fp32 weights and fp32 gradients: 8 bytes a parameter, the notebook's count.
    WeightsAndGradsFp32,
    /// Mixed-precision training with Adam: 16 bytes a parameter.
    MixedPrecisionAdam,
}

impl Counting {
    /// The three countings, from the cheapest to the most complete.
    pub const ALL: [Counting; 3] = [
        Counting::WeightsOnly,
        Counting::WeightsAndGradsFp32,
        Counting::MixedPrecisionAdam,
    ];

    /// Bytes held for each trainable parameter: 4, 8 or 16.
    pub fn bytes_per_param(self) -> u64 {
        match self {
            Self::WeightsOnly => 4,
            Self::WeightsAndGradsFp32 => 8,
            Self::MixedPrecisionAdam => 16,
        }
    }

    /// Bytes held for each frozen parameter under LoRA: the weight alone, at this counting's precision.
    ///
    /// 4 (fp32) for [`Counting::WeightsOnly`] and [`Counting::WeightsAndGradsFp32`], 2 (fp16) for
    /// [`Counting::MixedPrecisionAdam`]. A frozen weight has no gradient, no master copy and no
    /// optimizer state, so this never exceeds [`Counting::bytes_per_param`].
    pub fn frozen_bytes_per_param(self) -> u64 {
        match self {
            Self::WeightsOnly | Self::WeightsAndGradsFp32 => 4,
            Self::MixedPrecisionAdam => 2,
        }
    }

    /// The per-parameter sum written out, ending in "= 4 B a parameter" (or 8, or 16).
    pub fn formula(self) -> &'static str {
        match self {
            Self::WeightsOnly => "4 B (fp32 weight) = 4 B a parameter",
            Self::WeightsAndGradsFp32 => {
                "4 B (fp32 weight) + 4 B (fp32 gradient) = 8 B a parameter"
            }
            Self::MixedPrecisionAdam => {
                "2 B (fp16 weight) + 2 B (fp16 gradient) + 4 B (fp32 master weight) \
                 + 4 B + 4 B (Adam's two moments) = 16 B a parameter"
            }
        }
    }

    /// One sentence saying what the counting includes and leaves out.
    pub fn explanation(self) -> &'static str {
        match self {
            Self::WeightsOnly => {
                "Only the fp32 weights themselves: what it takes to hold the model, not to train it."
            }
            Self::WeightsAndGradsFp32 => {
                "The notebook's count: fp32 weights plus one fp32 gradient each, with no optimizer state."
            }
            Self::MixedPrecisionAdam => {
                "Mixed-precision training with Adam: fp16 weights and gradients, an fp32 master copy \
                 of the weights, and Adam's two fp32 moment estimates."
            }
        }
    }
}

/// Training memory of a model as the LoRA paper measured it (Hu et al., 2021, section 4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeasuredMemory {
    /// GPU memory used to fully fine-tune the model, in bytes.
    pub full_bytes: u64,
    /// GPU memory used to train it with LoRA, in bytes.
    pub lora_bytes: u64,
}

/// A published model, described by the numbers the memory figures need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelSpec {
    /// Short name, as the notebook writes it (except GPT-3; see its note).
    pub name: &'static str,
    /// Total parameters: the exact count of the public checkpoint, or for GPT-3, whose weights
    /// are not public, the published round figure.
    pub params: u64,
    /// Number of transformer blocks.
    pub n_layers: u64,
    /// Width of the residual stream, d_model.
    pub d_model: u64,
    /// Where the numbers come from, or what to keep in mind about them.
    pub note: &'static str,
    /// What the LoRA paper measured for this model, if it did.
    pub measured: Option<MeasuredMemory>,
}

/// The notebook's four models, smallest first: BERT-base, BERT-large, GPT-2 and GPT-3. The notebook
/// uses the nominal sizes 110M, 340M, 1.5B and 175B; the first three are counted exactly here.
pub const MODELS: [ModelSpec; 4] = [
    ModelSpec {
        name: "BERT-base",
        params: 109_482_240,
        n_layers: 12,
        d_model: 768,
        note: "Devlin et al. (2018): 12 layers, width 768, 109,482,240 parameters (Hugging Face's \
               bert-base-uncased; nominally 110M).",
        measured: None,
    },
    ModelSpec {
        name: "BERT-large",
        params: 335_141_888,
        n_layers: 24,
        d_model: 1024,
        note:
            "Devlin et al. (2018): 24 layers, width 1024, 335,141,888 parameters (Hugging Face's \
               bert-large-uncased; nominally 340M).",
        measured: None,
    },
    ModelSpec {
        name: "GPT-2",
        params: 1_557_611_200,
        n_layers: 48,
        d_model: 1600,
        note: "The largest GPT-2, GPT-2 XL (Radford et al., 2019): 48 layers, width 1600, \
               1,557,611,200 parameters (Hugging Face's gpt2-xl; nominally 1.5B).",
        measured: None,
    },
    ModelSpec {
        name: "GPT-3",
        params: 175_000_000_000,
        n_layers: 96,
        d_model: 12288,
        note:
            "The notebook calls it GPT-3.5; 175B is GPT-3's published size (Brown et al., 2020), \
               a round figure: its weights are not public to count.",
        measured: Some(MeasuredMemory {
            full_bytes: 1_200_000_000_000,
            lora_bytes: 350_000_000_000,
        }),
    },
];

/// Number of weight matrices LoRA adapts in each block: W_q and W_v, the LoRA paper's GPT-3 setting.
pub const ADAPTED_MATRICES_PER_LAYER: u64 = 2;

/// Trainable parameters of LoRA at `rank` on W_q and W_v of every block: n_layers · 2 · rank · 2·d_model.
///
/// Each adapted d×d matrix gets B (d×r) and A (r×d). For GPT-3 this gives 4,718,592 at rank 1 and
/// 37,748,736 at rank 8, the LoRA paper's 4.7M and 37.7M (Table 4).
pub fn lora_adapter_params(model: &ModelSpec, rank: u64) -> u64 {
    let per_matrix = ParamCounts::new(model.d_model, model.d_model, rank).lora;
    model.n_layers * ADAPTED_MATRICES_PER_LAYER * per_matrix
}

/// LoRA's trainable parameters as a fraction of the model's: adapter / params, in [0, ∞).
///
/// Returns 0 for a model of 0 parameters rather than dividing by zero.
pub fn trainable_fraction(model: &ModelSpec, rank: u64) -> f64 {
    if model.params == 0 {
        0.0
    } else {
        lora_adapter_params(model, rank) as f64 / model.params as f64
    }
}

/// Bytes to fully fine-tune `model`: every parameter is trainable, params · bytes_per_param.
pub fn full_finetune_bytes(model: &ModelSpec, counting: Counting) -> u64 {
    model.params.saturating_mul(counting.bytes_per_param())
}

/// Bytes to train `model` with LoRA at `rank`: frozen weights plus trainable adapter.
///
/// Frozen part: params · [`Counting::frozen_bytes_per_param`] (the weights alone, no gradients or
/// optimizer state). Adapter part: [`lora_adapter_params`] · [`Counting::bytes_per_param`]. The
/// adapter's own weights are not subtracted from the frozen count: they are a rounding error.
pub fn lora_finetune_bytes(model: &ModelSpec, rank: u64, counting: Counting) -> u64 {
    let frozen = model
        .params
        .saturating_mul(counting.frozen_bytes_per_param());
    let adapter = lora_adapter_params(model, rank).saturating_mul(counting.bytes_per_param());
    frozen.saturating_add(adapter)
}

/// The sum [`lora_finetune_bytes`] computes, written out for `counting`.
pub fn lora_formula(counting: Counting) -> String {
    format!(
        "frozen weights × {} B + adapter parameters × {} B",
        counting.frozen_bytes_per_param(),
        counting.bytes_per_param()
    )
}

/// Bytes saved to disk for one fine-tuned task, fully fine-tuned or with LoRA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoragePerTask {
    /// A whole fp16 checkpoint: params · 2.
    pub full: u64,
    /// The fp16 adapter alone: adapter params · 2. The frozen model is shared by every task.
    pub lora: u64,
}

/// Bytes per fine-tuned task in fp16 (2 bytes a parameter): the whole model or only the LoRA adapter.
pub fn storage_per_task_bytes(model: &ModelSpec, rank: u64) -> StoragePerTask {
    StoragePerTask {
        full: model.params.saturating_mul(2),
        lora: lora_adapter_params(model, rank).saturating_mul(2),
    }
}

/// For an n×n matrix and each rank r: (r, LoRA parameters 2·n·r, reduction n² / (2·n·r)).
///
/// The entries follow `ranks` in order. A rank of 0 gives 0 parameters and an infinite reduction.
/// Requires n² and 2·n·r to fit in a `u64` (n ≤ 2³², r ≤ n), as [`ParamCounts::new`] does.
pub fn rank_series(n: u64, ranks: &[u64]) -> Vec<(u64, u64, f64)> {
    ranks
        .iter()
        .map(|&r| {
            let counts = ParamCounts::new(n, n, r);
            (r, counts.lora, counts.reduction())
        })
        .collect()
}
