//! "Why full fine-tuning is expensive": what the memory chart says it counts, beside what the LoRA
//! paper measured.

use lora_explorer::figures::cost::{
    measured_sentence, memory_bars, memory_caption, memory_summary, model_sizes,
};
use lora_explorer::figures::tables::data_tables;
use lora_explorer::figures::{FigureId, Received};
use lora_explorer::math::memory::{Counting, MODELS};
use lora_explorer::state::PageState;

#[test]
fn the_caption_shows_the_measurement_beside_the_computed_bar() {
    let state = PageState::default();
    let caption = memory_caption(&state.cost);
    assert!(!caption.contains("lower bound"), "{caption}");
    assert!(caption.contains("needs 2.80 TB"), "{caption}");
    assert!(
        caption.contains("1.2 TB of GPU memory to fully fine-tune it and 350 GB with LoRA"),
        "{caption}"
    );
    // 1.2 TB over 175B parameters is about 6.9 B each: fewer than the 16 B counted.
    assert!(caption.contains("about 6.9 B a parameter, fewer than the 16 B counted here"));
    assert!(caption.contains("one accounting, not a bound"), "{caption}");
    // Counting only fp32 weights (4 B), the measurement is more.
    let gpt3 = &MODELS[3];
    let weights = measured_sentence(gpt3, Counting::WeightsOnly).unwrap();
    assert!(
        weights.contains("more than the 4 B counted here"),
        "{weights}"
    );
    assert_eq!(measured_sentence(&MODELS[0], Counting::WeightsOnly), None);
    // The text alternative and the data table carry it too.
    let bars = memory_bars(&state.cost);
    assert!(memory_summary(&bars).contains("the LoRA paper measured 1.2 TB and 350 GB"));
    let table = &data_tables(FigureId::Memory, &state, Received::default())[0];
    assert_eq!(table.rows[3][3], "1.2 TB full, 350 GB with LoRA");
    assert_eq!(table.rows[0][3], "not measured");
}

#[test]
fn the_caption_says_which_sizes_are_exact_and_which_nominal() {
    let sizes = model_sizes();
    for text in [
        "BERT-base 109,482,240",
        "BERT-large 335,141,888",
        "GPT-2 1,557,611,200",
        "nominal 110M, 340M and 1.5B",
        "175B is its published round figure",
    ] {
        assert!(sizes.contains(text), "{text}: {sizes}");
    }
    assert!(memory_caption(&PageState::default().cost).contains(&sizes));
}
