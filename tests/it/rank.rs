//! "Rank impact": the rank is capped at n, and the sentences say fewer or more the right way round.

use lora_explorer::figures::rank::{chart_labels, ranks, result_lines, RANKS};
use lora_explorer::figures::tables::data_tables;
use lora_explorer::figures::{FigureId, Received};
use lora_explorer::permalink::parse;
use lora_explorer::state::ChapterState;
use lora_explorer::state::{Applied, PageState};

#[test]
fn a_rank_above_n_is_clamped_with_a_notice() {
    let parsed = parse("?v=1&rn=64&rr=128");
    assert_eq!((parsed.state.rank.n, parsed.state.rank.rank), (64, 64));
    assert_eq!(
        parsed.notices,
        ["rr = “128” is out of range; 64 was used instead."]
    );
    // Shrinking n pulls the rank down with it, as shrinking d pulls down the factorisation's.
    let mut state = PageState::default();
    assert_eq!(state.set("rr", "100"), Ok(Applied::AsGiven));
    state.set("rn", "64").unwrap();
    assert_eq!(state.rank.rank, 64);
    assert_eq!(state.bounds("rr").map(|b| b.max), Some(64.0));
    state.set("rn", "8192").unwrap();
    assert_eq!(state.bounds("rr").map(|b| b.max), Some(128.0));
}

#[test]
fn lora_training_more_than_full_fine_tuning_says_more() {
    let state = parse("?v=1&rn=64&rr=128").state;
    let [counts, doubled] = result_lines(&state.rank);
    // Once: "0.2× fewer than full fine-tuning's 4,096".
    assert!(
        !counts.contains("fewer") && !counts.contains("0.2×"),
        "{counts}"
    );
    assert!(
        counts.contains("8,192 trainable parameters, 2.0× more than full fine-tuning's 4,096"),
        "{counts}"
    );
    assert!(
        counts.ends_with("At this rank LoRA saves nothing."),
        "{counts}"
    );
    assert!(
        doubled.contains("rank 128 would exceed n = 64"),
        "{doubled}"
    );
    // Half of n: as many as full fine-tuning; doubling it prints its reduction in full.
    let half = parse("?v=1&rn=64&rr=32").state;
    let [counts, doubled] = result_lines(&half.rank);
    assert!(
        counts.contains("as many as full fine-tuning's 4,096"),
        "{counts}"
    );
    assert!(doubled.contains("rank 64 gives 8,192 (0.50×)"), "{doubled}");
    // The notebook's figures stay.
    let [counts, doubled] = result_lines(&PageState::default().rank);
    assert!(
        counts.contains("16,384 trainable parameters, 64.0× fewer than"),
        "{counts}"
    );
    assert!(
        doubled.contains("rank 16 gives 32,768 (32.0×)"),
        "{doubled}"
    );
    assert!(chart_labels(&state.rank)[0].ends_with("LoRA saves nothing."));
}

#[test]
fn the_charts_and_table_draw_only_ranks_the_layer_can_use() {
    assert_eq!(ranks(64), [1, 2, 4, 8, 16, 32, 64]);
    assert_eq!(ranks(8192), RANKS);
    let state = parse("?v=1&rn=64").state;
    let table = &data_tables(FigureId::Rank, &state, Received::default())[0];
    assert!(table.rows.iter().all(|row| row[0] != "128"));
    assert!(table.rows.iter().all(|row| !row[3].starts_with("0.2×")));
}
