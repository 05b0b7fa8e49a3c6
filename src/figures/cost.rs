//! "Why full fine-tuning is expensive": one layer's parameters, and whole models' training memory.

use crate::format::{bytes, thousands};
use crate::math::memory::{
    lora_formula, simple_layer_params, transformer_block_params, Counting, MODELS,
};
use crate::render::charts::MemoryBar;
use crate::state::CostState;

/// Bytes of an fp32 number: the notebook's weights and gradients.
const FP32_BYTES: u64 = 4;

/// One row of the layer table: a part, then the stand-in's and the real block's text.
pub type Row = [String; 3];

/// The layer table at width `d_model`: parameters by part, then fp32 weight and gradient memory.
pub fn layer_rows(d_model: u64) -> Vec<Row> {
    let d = d_model;
    let simple = simple_layer_params(d);
    let block = transformer_block_params(d);
    let total = block.total();
    let count = |n: u64| thousands(n);
    vec![
        [
            "Attention".to_string(),
            format!("{} (one d×d matrix and bias)", count(d * d + d)),
            format!(
                "{} (Q, K, V and O, each d×d with bias)",
                count(block.attention)
            ),
        ],
        [
            "Feed-forward d → 4d → d".to_string(),
            count(8 * d * d + 5 * d),
            count(block.ffn),
        ],
        [
            "LayerNorms".to_string(),
            "none".to_string(),
            format!("{} (two, scale and shift)", count(block.layer_norms)),
        ],
        ["Total parameters".to_string(), count(simple), count(total)],
        [
            "fp32 weights (4 B each)".to_string(),
            bytes(simple * FP32_BYTES),
            bytes(total * FP32_BYTES),
        ],
        [
            "+ fp32 gradients (4 B each)".to_string(),
            bytes(2 * simple * FP32_BYTES),
            bytes(2 * total * FP32_BYTES),
        ],
        [
            "Training with Adam, mixed precision (16 B each)".to_string(),
            bytes(simple * Counting::MixedPrecisionAdam.bytes_per_param()),
            bytes(total * Counting::MixedPrecisionAdam.bytes_per_param()),
        ],
    ]
}

/// The caption under the layer table.
pub fn layer_caption(d_model: u64) -> String {
    let simple = simple_layer_params(d_model);
    let total = transformer_block_params(d_model).total();
    format!(
        "Biases counted as PyTorch's nn.Linear does. At d_model = {d}, the stand-in has {s} parameters \
         (the notebook prints 5,313,024 at 768) and the real block {t}: the stand-in leaves out three of \
         the four attention projections and the LayerNorms, {missing} parameters. The notebook's \
         \"training memory\" counts weights and gradients only; Adam's state doubles it again.",
        d = thousands(d_model),
        s = thousands(simple),
        t = thousands(total),
        missing = thousands(total - simple),
    )
}

/// The memory chart's bars: full fine-tuning and LoRA for each of the notebook's models.
pub fn memory_bars(state: &CostState) -> Vec<MemoryBar> {
    MemoryBar::for_models(&MODELS, u64::from(state.lora_rank), state.counting)
}

/// The formula printed under the memory chart.
pub fn memory_formula(state: &CostState) -> String {
    format!(
        "Full fine-tuning: parameters × {}. LoRA (rank {}, on W_q and W_v of every layer): {}.",
        state.counting.formula(),
        state.lora_rank,
        lora_formula(state.counting)
    )
}

/// The caption under the memory chart.
pub fn memory_caption(state: &CostState) -> String {
    let gpt3 = &MODELS[3];
    let full = bytes(gpt3.params * state.counting.bytes_per_param());
    format!(
        "{} GPT-3 (175B; the notebook calls it GPT-3.5) needs {full} this way under full fine-tuning. \
         Activations, which grow with batch size and sequence length, come on top of every bar.",
        state.counting.explanation()
    )
}

/// The memory chart's content in one sentence, for readers who cannot see it.
pub fn memory_summary(bars: &[MemoryBar]) -> String {
    let parts: Vec<String> = bars
        .iter()
        .map(|bar| {
            format!(
                "{}: {} full, {} with LoRA",
                bar.label,
                bytes(bar.full_bytes),
                bytes(bar.lora_bytes)
            )
        })
        .collect();
    format!(
        "Bar chart of training memory on a log axis. {}.",
        parts.join("; ")
    )
}
