//! Table 1, LoRA against full fine-tuning: what it says the LoRA paper measured, and how it prints
//! counts.

use lora_explorer::figures::comparison::{caption, rows, speed_note};
use lora_explorer::permalink::parse;
use lora_explorer::state::ComparisonState;

#[test]
fn training_speed_is_what_the_lora_paper_measured() {
    let note = speed_note();
    // Once: "about 25% higher training throughput", which is neither number.
    assert!(!note.contains("25% higher"), "{note}");
    assert!(note.contains("32.5 tokens/s per V100"), "{note}");
    assert!(note.contains("43.1 with LoRA"), "{note}");
    // 43.1 / 32.5 = 1.326: a third more throughput; 32.5 / 43.1 = 0.754: a quarter less time.
    assert!(note.contains("about 33% more throughput"), "{note}");
    assert!(note.contains("about 25% less time per token"), "{note}");
    let table = rows(&ComparisonState::default());
    assert_eq!(table[2][3], note);
}

/// The significant figures of a count written as "4.72M" or "175B".
fn figures(text: &str) -> usize {
    text.trim_end_matches(['k', 'M', 'B', 'T'])
        .trim_start_matches(['0', '.'])
        .chars()
        .filter(char::is_ascii_digit)
        .count()
}

#[test]
fn counts_have_three_significant_figures_at_every_size() {
    for query in [
        "?v=1",
        "?v=1&vm=bert-base&vr=64",
        "?v=1&vm=gpt2&vr=1",
        "?v=1&vr=1",
    ] {
        let state = parse(query).state.comparison;
        let table = rows(&state);
        let full = table[0][1].split(' ').next().unwrap();
        let lora = table[0][2].split(' ').next().unwrap();
        // Once: "4.7M" between 1M and 10M, "37.7M" and "175B" elsewhere.
        assert_eq!(figures(full), 3, "{query}: {full}");
        assert_eq!(figures(lora), 3, "{query}: {lora}");
    }
    let gpt3_rank_1 = rows(&parse("?v=1&vr=1").state.comparison);
    assert!(
        gpt3_rank_1[0][2].starts_with("4.72M"),
        "{}",
        gpt3_rank_1[0][2]
    );
}

#[test]
fn model_sizes_are_exact_or_said_to_be_nominal() {
    for (name, size, said) in [
        ("bert-base", "109M (100%)", "109,482,240 parameters"),
        ("bert-large", "335M (100%)", "335,141,888 parameters"),
        ("gpt2", "1.56B (100%)", "1,557,611,200 parameters"),
        ("gpt3", "175B (100%)", "a round figure"),
    ] {
        let state = parse(&format!("?v=1&vm={name}")).state.comparison;
        assert_eq!(rows(&state)[0][1], size, "{name}");
        assert!(
            caption(&state).contains(said),
            "{name}: {}",
            caption(&state)
        );
    }
}

#[test]
fn the_memory_row_gives_the_lora_papers_measurement_for_gpt3() {
    let gpt3 = rows(&ComparisonState::default());
    assert!(
        gpt3[1][3].contains("measured 1.2 TB and 350 GB"),
        "{}",
        gpt3[1][3]
    );
    assert!(!gpt3[1][3].contains("come on top"), "{}", gpt3[1][3]);
    let bert = rows(&parse("?v=1&vm=bert-base").state.comparison);
    assert!(!bert[1][3].contains("measured"), "{}", bert[1][3]);
}
