//! "LoRA against full fine-tuning": the notebook's eight-row table, with the rows that can be numbers
//! computed for a chosen model and rank, and the others said with their conditions.

use crate::format::{bytes, bytes_to, count_sig};
use crate::math::memory::{
    full_finetune_bytes, lora_adapter_params, lora_finetune_bytes, storage_per_task_bytes,
    trainable_fraction, Counting, ModelSpec, MODELS,
};
use crate::state::ComparisonState;

/// One row: the aspect, full fine-tuning, LoRA, and a note on what the notebook said.
pub type Row = [String; 4];

/// The model a state picks.
pub fn model(state: &ComparisonState) -> &'static ModelSpec {
    &MODELS[state.model.min(MODELS.len() - 1)]
}

/// The table's eight rows, in the notebook's order.
pub fn rows(state: &ComparisonState) -> Vec<Row> {
    let m = model(state);
    let r = u64::from(state.rank);
    let adapter = lora_adapter_params(m, r);
    let counting = Counting::MixedPrecisionAdam;
    let storage = storage_per_task_bytes(m, r);
    let text = |s: &str| s.to_string();
    vec![
        [
            text("Trainable parameters"),
            format!("{} (100%)", count_sig(m.params)),
            format!(
                "{} ({:.3}%): rank {r} on W_q and W_v of {} layers",
                count_sig(adapter),
                100.0 * trainable_fraction(m, r),
                m.n_layers
            ),
            text("The notebook's \"0.1–1%\" depends on the rank and on which matrices are adapted."),
        ],
        [
            text("Training memory (mixed precision, Adam)"),
            bytes(full_finetune_bytes(m, counting)),
            bytes(lora_finetune_bytes(m, r, counting)),
            memory_note(m),
        ],
        [
            text("Training speed"),
            text("Forward and backward through the model, then an optimizer step over every weight."),
            text("The same forward and backward passes through the frozen model; no weight gradients or optimizer step for frozen weights."),
            speed_note(),
        ],
        [
            text("Storage per task (fp16)"),
            bytes(storage.full),
            bytes(storage.lora),
            text("One copy of the base model serves every task; each task adds only its adapter."),
        ],
        [
            text("Risk of catastrophic forgetting"),
            text("Higher: every weight can drift from what pretraining learned."),
            text("Tends to be lower: W₀ is frozen and the change is low-rank and removable."),
            text("A tendency, not a guarantee: it grows with the rank, α, the learning rate, the training time and the distance between the task and pretraining."),
        ],
        [
            text("Overfitting risk"),
            text("Higher on small data sets: many parameters to fit few examples."),
            text("Tends to be lower: far fewer parameters."),
            text("A tendency, not a guarantee: it depends on the data set's size, the rank, the number of epochs and regularisation such as dropout on the adapter."),
        ],
        [
            text("Task performance"),
            text("The reference."),
            text("Matched or came close to full fine-tuning in the LoRA paper's experiments (RoBERTa, DeBERTa, GPT-2, GPT-3)."),
            text("Depends on the rank and the matrices adapted; tasks far from pretraining may need more."),
        ],
        [
            text("Implementation complexity"),
            text("Simple: train everything."),
            text("Moderate: choose r, α and the target matrices; a library such as Hugging Face PEFT makes it a few lines."),
            text("After training, BA can be merged into W₀, so inference costs nothing extra."),
        ],
    ]
}

/// The training-memory row's note: what the numbers count, and what the LoRA paper measured for
/// the model, if it did.
pub fn memory_note(model: &ModelSpec) -> String {
    let counted =
        "Weights, gradients and optimizer state only, as Figure 2 counts them; activations \
                   are not counted.";
    match model.measured {
        Some(m) => format!(
            "{counted} The LoRA paper measured {} and {} of GPU memory for {}: one accounting, not \
             a bound.",
            bytes_to(m.full_bytes, 2),
            bytes_to(m.lora_bytes, 2),
            model.name
        ),
        None => counted.to_string(),
    }
}

/// Training throughput of GPT-3 175B per V100 GPU in tokens a second, fully fine-tuned and with
/// LoRA, with the same number of weight shards (the LoRA paper, footnote to section 4.2).
pub const MEASURED_TOKENS_PER_SECOND: (f64, f64) = (32.5, 43.1);

/// The training-speed row's note: what the LoRA paper measured, as more throughput and as less time
/// a token.
pub fn speed_note() -> String {
    let (full, lora) = MEASURED_TOKENS_PER_SECOND;
    let more_throughput = 100.0 * (lora / full - 1.0);
    let less_time = 100.0 * (1.0 - full / lora);
    format!(
        "The notebook says \"fast\": the LoRA paper measured {full} tokens/s per V100 GPU for full \
         fine-tuning of GPT-3 175B and {lora} with LoRA, about {more_throughput:.0}% more throughput, \
         or about {less_time:.0}% less time per token. Not an order of magnitude, because the frozen \
         model's passes still run."
    )
}

/// The caption under the table.
pub fn caption(state: &ComparisonState) -> String {
    let m = model(state);
    format!(
        "{} LoRA on W_q and W_v: {} layers × 2 matrices × r·(d + d) with d = {}. Memory: {}.",
        m.note,
        m.n_layers,
        m.d_model,
        crate::math::memory::lora_formula(Counting::MixedPrecisionAdam)
    )
}
