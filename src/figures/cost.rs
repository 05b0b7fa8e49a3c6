//! "Why full fine-tuning is expensive": one layer's parameters, and whole models' training memory.

use crate::format::{bytes, bytes_to, thousands};
use crate::math::memory::{
    full_finetune_bytes, lora_formula, simple_layer_params, transformer_block_params, Counting,
    ModelSpec, MODELS,
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

/// The caption under the memory chart: what the bars count, GPT-3's bar, and what the LoRA paper
/// measured beside it.
pub fn memory_caption(state: &CostState) -> String {
    let gpt3 = &MODELS[3];
    let full = bytes(full_finetune_bytes(gpt3, state.counting));
    let mut caption = format!(
        "{} GPT-3 (175B; the notebook calls it GPT-3.5) needs {full} this way under full fine-tuning. \
         Activations, which grow with batch size and sequence length, are not counted. {}",
        state.counting.explanation(),
        model_sizes(),
    );
    if let Some(measured) = measured_sentence(gpt3, state.counting) {
        caption.push(' ');
        caption.push_str(&measured);
    }
    caption
}

/// The models' sizes as the chart counts them: exact for the public checkpoints, against the
/// nominal sizes the notebook uses, and GPT-3's published round figure.
pub fn model_sizes() -> String {
    let exact: Vec<String> = MODELS[..3]
        .iter()
        .map(|m| format!("{} {}", m.name, thousands(m.params)))
        .collect();
    format!(
        "Sizes are exact counts of the public checkpoints ({}), GPT-2 being its largest size, XL. \
         The notebook uses the nominal 110M, 340M and 1.5B; GPT-3's 175B is its published round \
         figure.",
        exact.join(", ")
    )
}

/// What the LoRA paper measured for `model`, beside what `counting` counts, or None if it measured
/// nothing for it.
pub fn measured_sentence(model: &ModelSpec, counting: Counting) -> Option<String> {
    let measured = model.measured?;
    let per_param = measured.full_bytes as f64 / model.params.max(1) as f64;
    let counted = counting.bytes_per_param();
    let comparison = if per_param < counted as f64 {
        format!(
            "fewer than the {counted} B counted here, so that setup stored some of these in fewer \
             bytes or shared them out"
        )
    } else {
        format!("more than the {counted} B counted here, which leaves out activations and buffers")
    };
    Some(format!(
        "The dashed marks are what the LoRA paper measured for {name}: {full} of GPU memory to fully \
         fine-tune it and {lora} with LoRA, activations included. {full} is about {per_param:.1} B \
         a parameter, {comparison}: the bars are one accounting, not a bound.",
        name = model.name,
        full = bytes_to(measured.full_bytes, 2),
        lora = bytes_to(measured.lora_bytes, 2),
    ))
}

/// The memory chart's content in one sentence, for readers who cannot see it.
pub fn memory_summary(bars: &[MemoryBar]) -> String {
    let parts: Vec<String> = bars
        .iter()
        .map(|bar| {
            let measured = bar.measured.map_or(String::new(), |m| {
                format!(
                    " (the LoRA paper measured {} and {})",
                    bytes_to(m.full_bytes, 2),
                    bytes_to(m.lora_bytes, 2)
                )
            });
            format!(
                "{}: {} full, {} with LoRA{measured}",
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
