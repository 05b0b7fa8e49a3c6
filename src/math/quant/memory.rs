//! Training memory of LLaMA-1 models with QLoRA, with 16-bit LoRA and with 16-bit full fine-tuning.
//!
//! Conventions: bytes are exact `u64` in decimal units when printed (1 GB = 10⁹ B). Memory counts
//! weights, gradients and Adam's two moments only; activations, which grow with batch size and
//! sequence length, are excluded, and the page says so. LoRA adapts every linear layer of every
//! block (q, k, v, o, gate, up and down), as the QLoRA paper does.

use super::{bits_per_parameter, Fraction};

/// A LLaMA-1 model's shape, the numbers the counts need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Llama {
    /// The name the QLoRA paper uses.
    pub name: &'static str,
    /// Transformer blocks.
    pub n_layers: u64,
    /// Width of the residual stream.
    pub d_model: u64,
    /// Width of the feed-forward network's hidden layer.
    pub d_ffn: u64,
    /// Tokens in the vocabulary.
    pub vocab: u64,
}

/// LLaMA-1's four sizes (Touvron et al., 2023), as the QLoRA paper fine-tunes them.
pub const LLAMA: [Llama; 4] = [
    Llama {
        name: "LLaMA 7B",
        n_layers: 32,
        d_model: 4096,
        d_ffn: 11008,
        vocab: 32000,
    },
    Llama {
        name: "LLaMA 13B",
        n_layers: 40,
        d_model: 5120,
        d_ffn: 13824,
        vocab: 32000,
    },
    Llama {
        name: "LLaMA 33B",
        n_layers: 60,
        d_model: 6656,
        d_ffn: 17920,
        vocab: 32000,
    },
    Llama {
        name: "LLaMA 65B",
        n_layers: 80,
        d_model: 8192,
        d_ffn: 22016,
        vocab: 32000,
    },
];

impl Llama {
    /// Parameters of the blocks' linear layers, the ones QLoRA quantises: per block four d×d
    /// attention projections and three d×d_ffn feed-forward matrices, none with a bias.
    pub fn linear_params(&self) -> u64 {
        let d = self.d_model;
        self.n_layers * (4 * d * d + 3 * d * self.d_ffn)
    }

    /// The other parameters, kept in 16 bits: the embedding and the output head (vocab×d each),
    /// two RMSNorm scales a block and the final one.
    pub fn other_params(&self) -> u64 {
        2 * self.vocab * self.d_model + (2 * self.n_layers + 1) * self.d_model
    }

    /// All parameters: 6,738,415,616 for LLaMA 7B.
    pub fn params(&self) -> u64 {
        self.linear_params() + self.other_params()
    }

    /// LoRA's parameters at `rank` on all seven linear layers of every block: r·(d_in + d_out)
    /// each, r·(11·d + 3·d_ffn) a block.
    pub fn lora_params(&self, rank: u64) -> u64 {
        self.n_layers * rank * (11 * self.d_model + 3 * self.d_ffn)
    }
}

/// Bytes of Adam's two fp32 moments for one trained parameter: the part paged optimisers move.
/// With a bf16 weight and gradient a trained parameter takes 12 bytes, the QLoRA paper's count
/// behind ">780 GB" for 65B.
pub const ADAM_BYTES: u64 = 8;

/// The three ways of fine-tuning the chapter compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setup {
    /// An NF4 base (with or without double quantisation) and 16-bit LoRA on top.
    Qlora,
    /// A bf16 base and 16-bit LoRA.
    Lora16,
    /// Every parameter trained in 16 bits with Adam.
    Full16,
}

impl Setup {
    /// The three, cheapest first.
    pub const ALL: [Setup; 3] = [Setup::Qlora, Setup::Lora16, Setup::Full16];

    /// The setup's name as the page writes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Qlora => "QLoRA (NF4 base)",
            Self::Lora16 => "16-bit LoRA",
            Self::Full16 => "16-bit full fine-tuning",
        }
    }
}

/// Training memory by component, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory {
    /// The base weights: for QLoRA the NF4 codes and their constants plus the 16-bit embeddings
    /// and norms; otherwise 2 bytes a parameter.
    pub base: u64,
    /// LoRA's bf16 weights, 2 bytes a parameter (none for full fine-tuning).
    pub adapter: u64,
    /// bf16 gradients of whatever is trained, 2 bytes a parameter.
    pub gradients: u64,
    /// Adam's two fp32 moments, 8 bytes a trained parameter.
    pub optimiser: u64,
}

impl Memory {
    /// Everything counted; activations are not.
    pub fn total(self) -> u64 {
        self.base + self.adapter + self.gradients + self.optimiser
    }
}

/// What QLoRA's quantisation takes: the block size of the first quantisation and whether the
/// constants are double-quantised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantSettings {
    /// Values a block.
    pub block_size: u64,
    /// Whether the absmax constants are quantised again.
    pub double_quantised: bool,
}

impl QuantSettings {
    /// QLoRA's setting: blocks of 64, double-quantised.
    pub const QLORA: QuantSettings = QuantSettings {
        block_size: 64,
        double_quantised: true,
    };

    /// Bits a quantised parameter takes.
    pub fn bits(self) -> Fraction {
        bits_per_parameter(self.block_size, self.double_quantised)
    }
}

/// Bytes of `params` values at `bits` bits each, rounded up to a whole byte.
pub fn bytes_at(params: u64, bits: Fraction) -> u64 {
    let total = u128::from(params) * u128::from(bits.numerator);
    let denominator = 8 * u128::from(bits.denominator);
    u64::try_from(total.div_ceil(denominator)).unwrap_or(u64::MAX)
}

/// Training memory of `model` under `setup`, with LoRA at `rank` and QLoRA's base quantised as
/// `quant` (ignored by the other setups).
pub fn training_memory(model: &Llama, setup: Setup, rank: u64, quant: QuantSettings) -> Memory {
    let lora = model.lora_params(rank);
    let trained = |base: u64, adapter: u64, trained: u64| Memory {
        base,
        adapter,
        gradients: 2 * trained,
        optimiser: ADAM_BYTES * trained,
    };
    match setup {
        Setup::Qlora => trained(
            bytes_at(model.linear_params(), quant.bits()) + 2 * model.other_params(),
            2 * lora,
            lora,
        ),
        Setup::Lora16 => trained(2 * model.params(), 2 * lora, lora),
        Setup::Full16 => trained(2 * model.params(), 0, model.params()),
    }
}

/// The QLoRA paper's claim: a 65B model fine-tunes on one GPU of this many bytes (48 GB).
pub const PAPER_GPU_BYTES: u64 = 48_000_000_000;
