//! Real transformer architectures as data, from each model's published configuration, and what
//! follows from them: every parameter of the model, and its Linear layers as PEFT sees them.
//!
//! Conventions: counts are exact `u64`. A Linear layer's path is its name in the model PEFT wraps:
//! `AutoModel` for BERT and RoBERTa (with the pooler), the causal-LM class for the decoders (with
//! `lm_head`, the output head). Bytes of quantised weights follow bitsandbytes, which quantises every
//! Linear layer but the output head and keeps every other parameter in 16 bits.

/// How a family lays out its blocks: names, biases, norms and the shape of its MLP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// BERT and RoBERTa: learned positions and token types, LayerNorms, biases everywhere, a pooler.
    Encoder,
    /// GPT-2: learned positions, one fused q/k/v `Conv1D` (weights stored as (in, out)), biases,
    /// tied output head.
    Gpt2,
    /// GPT-3: GPT-2's block with separate q, k and v, named as in OPT, its open replica.
    Gpt3,
    /// LLaMA, Mistral: rotary positions (no parameters), RMSNorm, no biases, a gated MLP, grouped-query
    /// attention when there are fewer key/value heads than heads.
    Llama,
}

impl Layout {
    /// The families, in the order a custom shape offers them.
    pub const ALL: [Layout; 4] = [Layout::Encoder, Layout::Gpt2, Layout::Gpt3, Layout::Llama];

    /// The family's name for readers.
    pub fn name(self) -> &'static str {
        match self {
            Self::Encoder => "BERT/RoBERTa encoder",
            Self::Gpt2 => "GPT-2 decoder (Conv1D)",
            Self::Gpt3 => "GPT-3 decoder",
            Self::Llama => "LLaMA/Mistral decoder",
        }
    }

    /// The PEFT task type of the model this family's paths belong to.
    pub fn task_type(self) -> &'static str {
        match self {
            Self::Encoder => "FEATURE_EXTRACTION",
            _ => "CAUSAL_LM",
        }
    }

    /// Whether the family's layers store weights as (in, out), PEFT's `fan_in_fan_out`.
    pub fn fan_in_fan_out(self) -> bool {
        self == Self::Gpt2
    }

    /// The names PEFT's `target_modules` take for this family's Linear layers, each with what it
    /// matches, in block order. Each matches one layer a block, except the encoder's "output.dense",
    /// which matches two.
    pub fn target_names(self) -> &'static [TargetName] {
        match self {
            Self::Encoder => &ENCODER_TARGETS,
            Self::Gpt2 => &GPT2_TARGETS,
            Self::Gpt3 => &GPT3_TARGETS,
            Self::Llama => &LLAMA_TARGETS,
        }
    }
}

/// A name for PEFT's `target_modules` and what it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetName {
    /// The name as PEFT takes it; PEFT matches it against the end of each layer's path.
    pub name: &'static str,
    /// What the layer is, for readers.
    pub what: &'static str,
}

const fn target(name: &'static str, what: &'static str) -> TargetName {
    TargetName { name, what }
}

const ENCODER_TARGETS: [TargetName; 6] = [
    target("query", "W_q, the query projection"),
    target("key", "W_k, the key projection"),
    target("value", "W_v, the value projection"),
    target("attention.output.dense", "W_o, the attention output"),
    target("intermediate.dense", "the MLP's first layer (up)"),
    target(
        "output.dense",
        "the MLP's second layer (down), and W_o too: W_o's path ends in attention.output.dense",
    ),
];

const GPT2_TARGETS: [TargetName; 4] = [
    target("c_attn", "W_q, W_k and W_v fused in one Conv1D"),
    target(
        "attn.c_proj",
        "W_o, the attention output; plain \"c_proj\" would also match the MLP's",
    ),
    target("c_fc", "the MLP's first layer (up)"),
    target("mlp.c_proj", "the MLP's second layer (down)"),
];

const GPT3_TARGETS: [TargetName; 6] = [
    target("q_proj", "W_q, the query projection"),
    target("k_proj", "W_k, the key projection"),
    target("v_proj", "W_v, the value projection"),
    target("out_proj", "W_o, the attention output"),
    target("fc1", "the MLP's first layer (up)"),
    target("fc2", "the MLP's second layer (down)"),
];

const LLAMA_TARGETS: [TargetName; 7] = [
    target("q_proj", "W_q, the query projection"),
    target("k_proj", "W_k, the key projection"),
    target("v_proj", "W_v, the value projection"),
    target("o_proj", "W_o, the attention output"),
    target("gate_proj", "the MLP's gate"),
    target("up_proj", "the MLP's up projection"),
    target("down_proj", "the MLP's down projection"),
];

/// Whether an entry `target` of PEFT's `target_modules` list selects the layer at `path`: the path
/// is the name, or ends with "." and the name. PEFT's `rank_pattern` keys match the same way.
pub fn peft_matches(target: &str, path: &str) -> bool {
    path == target
        || path
            .strip_suffix(target)
            .is_some_and(|head| head.ends_with('.'))
}

/// The largest width, head count or MLP width a shape may have: 2²⁰.
pub const MAX_WIDTH: u64 = 1 << 20;

/// The most layers a shape may have.
pub const MAX_LAYERS: u64 = 1024;

/// The largest vocabulary, or number of positions or token types, a shape may have: 2²⁴.
pub const MAX_VOCAB: u64 = 1 << 24;

/// A model's size as published, to check the count against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Published {
    /// An exact count of the public checkpoint.
    Exact(u64),
    /// A round figure, as the paper that introduced the model gives it, for weights that are not
    /// public: the count is checked to three significant figures.
    Rounded(u64),
}

/// A transformer's shape, as its configuration file gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Architecture {
    /// The model's name for readers.
    pub name: &'static str,
    /// Where the shape comes from: the Hugging Face checkpoint, or the paper.
    pub source: &'static str,
    /// How its blocks are laid out.
    pub layout: Layout,
    /// Width of the residual stream (`hidden_size`, `n_embd`).
    pub hidden: u64,
    /// Number of transformer blocks.
    pub layers: u64,
    /// Attention heads.
    pub heads: u64,
    /// Key/value heads: as many as heads, or fewer with grouped-query attention.
    pub kv_heads: u64,
    /// Width of the MLP's hidden layer (`intermediate_size`, 4·hidden in GPT-2).
    pub intermediate: u64,
    /// Vocabulary size.
    pub vocab: u64,
    /// Learned position embeddings (`max_position_embeddings`); 0 for rotary positions.
    pub positions: u64,
    /// Token-type embeddings (`type_vocab_size`); 0 where there are none.
    pub token_types: u64,
    /// Whether the output head shares the input embedding's weights.
    pub tied_embeddings: bool,
    /// The published size, if any.
    pub published: Option<Published>,
}

/// One Linear layer (or GPT-2 `Conv1D`) of a model, as PEFT sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Linear {
    /// Its path in the model PEFT wraps, such as "model.layers.0.self_attn.q_proj".
    pub path: String,
    /// Input features.
    pub in_features: u64,
    /// Output features.
    pub out_features: u64,
    /// Whether it has a bias.
    pub bias: bool,
    /// Whether it is the output head, which "all-linear" leaves out and quantisation keeps.
    pub output_head: bool,
    /// Whether it shares its weight with the input embedding (and so adds no parameters).
    pub tied: bool,
}

impl Linear {
    /// Its weight's entries, in × out.
    pub fn weights(&self) -> u64 {
        self.in_features * self.out_features
    }

    /// Parameters it adds to the model: its weight unless tied, and its bias.
    pub fn params(&self) -> u64 {
        let weight = if self.tied { 0 } else { self.weights() };
        weight + if self.bias { self.out_features } else { 0 }
    }
}

impl Architecture {
    /// Width of one attention head.
    pub fn head_dim(&self) -> u64 {
        self.hidden / self.heads.max(1)
    }

    /// The shape's problems, each a sentence; empty when it describes a model. The bounds keep
    /// every count well inside a `u64`.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let bounded = [
            ("The width", self.hidden, 1, MAX_WIDTH),
            ("The number of layers", self.layers, 1, MAX_LAYERS),
            ("The number of heads", self.heads, 1, MAX_WIDTH),
            ("The number of key/value heads", self.kv_heads, 1, MAX_WIDTH),
            ("The MLP's width", self.intermediate, 1, MAX_WIDTH),
            ("The vocabulary", self.vocab, 1, MAX_VOCAB),
            ("The number of positions", self.positions, 0, MAX_VOCAB),
            ("The number of token types", self.token_types, 0, MAX_VOCAB),
        ];
        for (what, value, min, max) in bounded {
            if value < min || value > max {
                out.push(format!(
                    "{what} must be from {min} to {}.",
                    crate::format::thousands(max)
                ));
            }
        }
        if self.heads > 0 && !self.hidden.is_multiple_of(self.heads) {
            out.push(format!(
                "The width ({}) must be a multiple of the number of heads ({}).",
                self.hidden, self.heads
            ));
        }
        if self.kv_heads > 0 && !self.heads.is_multiple_of(self.kv_heads) {
            out.push(format!(
                "The number of heads ({}) must be a multiple of the number of key/value heads ({}).",
                self.heads, self.kv_heads
            ));
        }
        out
    }

    /// Every Linear layer, block by block, then the pooler or the output head.
    pub fn linears(&self) -> Vec<Linear> {
        let d = self.hidden;
        let kv = self.kv_heads * self.head_dim();
        let q = self.heads * self.head_dim();
        let i = self.intermediate;
        let mut out = Vec::new();
        let mut push = |path: String, in_features, out_features, bias| {
            out.push(Linear {
                path,
                in_features,
                out_features,
                bias,
                output_head: false,
                tied: false,
            });
        };
        for n in 0..self.layers {
            match self.layout {
                Layout::Encoder => {
                    let p = format!("encoder.layer.{n}");
                    push(format!("{p}.attention.self.query"), d, d, true);
                    push(format!("{p}.attention.self.key"), d, d, true);
                    push(format!("{p}.attention.self.value"), d, d, true);
                    push(format!("{p}.attention.output.dense"), d, d, true);
                    push(format!("{p}.intermediate.dense"), d, i, true);
                    push(format!("{p}.output.dense"), i, d, true);
                }
                Layout::Gpt2 => {
                    let p = format!("transformer.h.{n}");
                    push(format!("{p}.attn.c_attn"), d, 3 * d, true);
                    push(format!("{p}.attn.c_proj"), d, d, true);
                    push(format!("{p}.mlp.c_fc"), d, i, true);
                    push(format!("{p}.mlp.c_proj"), i, d, true);
                }
                Layout::Gpt3 => {
                    let p = format!("model.decoder.layers.{n}");
                    push(format!("{p}.self_attn.q_proj"), d, d, true);
                    push(format!("{p}.self_attn.k_proj"), d, d, true);
                    push(format!("{p}.self_attn.v_proj"), d, d, true);
                    push(format!("{p}.self_attn.out_proj"), d, d, true);
                    push(format!("{p}.fc1"), d, i, true);
                    push(format!("{p}.fc2"), i, d, true);
                }
                Layout::Llama => {
                    let p = format!("model.layers.{n}");
                    push(format!("{p}.self_attn.q_proj"), d, q, false);
                    push(format!("{p}.self_attn.k_proj"), d, kv, false);
                    push(format!("{p}.self_attn.v_proj"), d, kv, false);
                    push(format!("{p}.self_attn.o_proj"), q, d, false);
                    push(format!("{p}.mlp.gate_proj"), d, i, false);
                    push(format!("{p}.mlp.up_proj"), d, i, false);
                    push(format!("{p}.mlp.down_proj"), i, d, false);
                }
            }
        }
        if self.layout == Layout::Encoder {
            push("pooler.dense".to_string(), d, d, true);
        } else {
            out.push(Linear {
                path: "lm_head".to_string(),
                in_features: d,
                out_features: self.vocab,
                bias: false,
                output_head: true,
                tied: self.tied_embeddings,
            });
        }
        out
    }

    /// Parameters outside the Linear layers: embeddings and norms.
    pub fn other_params(&self) -> u64 {
        let d = self.hidden;
        let embeddings = (self.vocab + self.positions + self.token_types) * d;
        let norms = match self.layout {
            // Two LayerNorms a block (scale and shift), and one after the embeddings.
            Layout::Encoder => self.layers * 4 * d + 2 * d,
            // Two LayerNorms a block, and one at the end.
            Layout::Gpt2 | Layout::Gpt3 => self.layers * 4 * d + 2 * d,
            // Two RMSNorms a block (a scale only), and one at the end.
            Layout::Llama => self.layers * 2 * d + d,
        };
        embeddings + norms
    }

    /// All parameters of the model, each shared weight once (as PyTorch's `parameters()` yields
    /// them): the Linear layers and the rest.
    pub fn total_params(&self) -> u64 {
        let linear: u64 = self.linears().iter().map(Linear::params).sum();
        linear + self.other_params()
    }
}

/// The shape of a LLaMA-family decoder with an untied output head, as its config gives it.
const fn llama(
    name: &'static str,
    source: &'static str,
    shape: [u64; 6],
    published: u64,
) -> Architecture {
    let [hidden, layers, heads, kv_heads, intermediate, vocab] = shape;
    Architecture {
        name,
        source,
        layout: Layout::Llama,
        hidden,
        layers,
        heads,
        kv_heads,
        intermediate,
        vocab,
        positions: 0,
        token_types: 0,
        tied_embeddings: false,
        published: Some(Published::Exact(published)),
    }
}

/// The shape of a BERT-style encoder: hidden, layers, heads, vocabulary, positions, token types.
const fn encoder(
    name: &'static str,
    source: &'static str,
    shape: [u64; 6],
    published: u64,
) -> Architecture {
    let [hidden, layers, heads, vocab, positions, token_types] = shape;
    Architecture {
        name,
        source,
        layout: Layout::Encoder,
        hidden,
        layers,
        heads,
        kv_heads: heads,
        intermediate: 4 * hidden,
        vocab,
        positions,
        token_types,
        tied_embeddings: false,
        published: Some(Published::Exact(published)),
    }
}

/// The shape of a GPT-2: hidden, layers, heads; 50,257 tokens, 1,024 positions, a tied head.
const fn gpt2(
    name: &'static str,
    source: &'static str,
    shape: [u64; 3],
    published: u64,
) -> Architecture {
    let [hidden, layers, heads] = shape;
    Architecture {
        name,
        source,
        layout: Layout::Gpt2,
        hidden,
        layers,
        heads,
        kv_heads: heads,
        intermediate: 4 * hidden,
        vocab: 50_257,
        positions: 1024,
        token_types: 0,
        tied_embeddings: true,
        published: Some(Published::Exact(published)),
    }
}

/// The calculator's models, smallest family first. Published exact sizes are the parameters of
/// the Hugging Face checkpoint as the named class loads it; GPT-3's is the round figure of its
/// paper.
pub const PRESETS: [Architecture; 14] = [
    encoder(
        "BERT-base",
        "google-bert/bert-base-uncased (BertModel, with the pooler)",
        [768, 12, 12, 30_522, 512, 2],
        109_482_240,
    ),
    encoder(
        "BERT-large",
        "google-bert/bert-large-uncased (BertModel, with the pooler)",
        [1024, 24, 16, 30_522, 512, 2],
        335_141_888,
    ),
    encoder(
        "RoBERTa-base",
        "FacebookAI/roberta-base (RobertaModel, with the pooler)",
        [768, 12, 12, 50_265, 514, 1],
        124_645_632,
    ),
    encoder(
        "RoBERTa-large",
        "FacebookAI/roberta-large (RobertaModel, with the pooler)",
        [1024, 24, 16, 50_265, 514, 1],
        355_359_744,
    ),
    gpt2(
        "GPT-2 (124M)",
        "openai-community/gpt2 (GPT2LMHeadModel)",
        [768, 12, 12],
        124_439_808,
    ),
    gpt2(
        "GPT-2 Medium (355M)",
        "openai-community/gpt2-medium (GPT2LMHeadModel)",
        [1024, 24, 16],
        354_823_168,
    ),
    gpt2(
        "GPT-2 Large (774M)",
        "openai-community/gpt2-large (GPT2LMHeadModel)",
        [1280, 36, 20],
        774_030_080,
    ),
    gpt2(
        "GPT-2 XL (1.5B)",
        "openai-community/gpt2-xl (GPT2LMHeadModel)",
        [1600, 48, 25],
        1_557_611_200,
    ),
    Architecture {
        name: "GPT-3 (175B)",
        source:
            "Brown et al. (2020), Table 2.1: 96 layers, width 12,288, 96 heads, 2,048 positions, \
                 GPT-2's vocabulary; its weights are not public, so layer names follow OPT",
        layout: Layout::Gpt3,
        hidden: 12_288,
        layers: 96,
        heads: 96,
        kv_heads: 96,
        intermediate: 4 * 12_288,
        vocab: 50_257,
        positions: 2048,
        token_types: 0,
        tied_embeddings: true,
        published: Some(Published::Rounded(175_000_000_000)),
    },
    llama(
        "LLaMA-2 7B",
        "meta-llama/Llama-2-7b-hf (LlamaForCausalLM)",
        [4096, 32, 32, 32, 11_008, 32_000],
        6_738_415_616,
    ),
    llama(
        "LLaMA-2 13B",
        "meta-llama/Llama-2-13b-hf (LlamaForCausalLM)",
        [5120, 40, 40, 40, 13_824, 32_000],
        13_015_864_320,
    ),
    llama(
        "LLaMA-2 70B",
        "meta-llama/Llama-2-70b-hf (LlamaForCausalLM, grouped-query attention)",
        [8192, 80, 64, 8, 28_672, 32_000],
        68_976_648_192,
    ),
    llama(
        "Mistral-7B",
        "mistralai/Mistral-7B-v0.1 (MistralForCausalLM, grouped-query attention)",
        [4096, 32, 32, 8, 14_336, 32_000],
        7_241_732_096,
    ),
    llama(
        "Llama-3-8B",
        "meta-llama/Meta-Llama-3-8B (LlamaForCausalLM, grouped-query attention)",
        [4096, 32, 32, 8, 14_336, 128_256],
        8_030_261_248,
    ),
];

/// How the frozen model's weights are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelDtype {
    /// 32-bit floats, 4 bytes a parameter.
    Fp32,
    /// bfloat16, 2 bytes a parameter.
    Bf16,
    /// LLM.int8: Linear weights in 8 bits with one fp32 scale an output row; the rest in 16 bits.
    Int8,
    /// QLoRA's NF4 with double quantisation for Linear weights; the rest in 16 bits.
    Nf4,
}

impl ModelDtype {
    /// The four choices, widest first.
    pub const ALL: [ModelDtype; 4] = [Self::Fp32, Self::Bf16, Self::Int8, Self::Nf4];

    /// The name for readers.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fp32 => "fp32",
            Self::Bf16 => "bf16",
            Self::Int8 => "int8",
            Self::Nf4 => "NF4 with double quantisation",
        }
    }
}

/// Bits NF4 with double quantisation stores a weight in, QLoRA's arithmetic (Dettmers et al., 2023):
/// 4 bits, plus an 8-bit absmax for each block of 64 weights, plus a 32-bit constant for each block
/// of 256 absmaxes: 4 + 8/64 + 32/(64·256) ≈ 4.127.
pub fn nf4_double_quant_bits() -> f64 {
    4.0 + 8.0 / 64.0 + 32.0 / (64.0 * 256.0)
}

/// Bytes of `weights` entries in NF4 with double quantisation, rounded up to a whole byte: the
/// bits of [`nf4_double_quant_bits`] a weight, computed exactly as weights · 67,616 / 16,384 bits.
pub fn nf4_double_quant_bytes(weights: u64) -> u64 {
    let bits_times_16384 = u128::from(weights) * (4 * 16_384 + 8 * 256 + 32);
    let bytes = bits_times_16384.div_ceil(16_384 * 8);
    u64::try_from(bytes).unwrap_or(u64::MAX)
}
