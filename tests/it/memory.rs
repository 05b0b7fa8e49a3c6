//! Tests for the memory room: parameter counts, training memory, storage, and their human units.

use lora_explorer::format::{bytes, bytes_to, count_si, count_sig};
use lora_explorer::math::lora::ParamCounts;
use lora_explorer::math::memory::{
    full_finetune_bytes, lora_adapter_params, lora_finetune_bytes, lora_formula, rank_series,
    simple_layer_params, storage_per_task_bytes, trainable_fraction, transformer_block_params,
    Counting, ModelSpec, MODELS,
};
use proptest::prelude::*;

/// The model called `name` in [`MODELS`].
fn model(name: &str) -> ModelSpec {
    *MODELS
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no model named {name}"))
}

/// Checks full fine-tuning of `name` under `counting` against a byte count and its human text.
fn check_full(name: &str, counting: Counting, expected: u64, text: &str) {
    let got = full_finetune_bytes(&model(name), counting);
    assert_eq!(got, expected, "{name} {counting:?}");
    assert_eq!(bytes(got), text, "{name} {counting:?}");
}

#[test]
fn simple_layer_matches_the_notebook() {
    // The notebook prints 5,313,024 for SimpleTransformerLayer(768).
    assert_eq!(simple_layer_params(768), 5_313_024);
    // Closed form (d² + d) + (4d² + 4d) + (4d² + d) at a few widths.
    for d in [1_u64, 2, 64, 1024, 12_288] {
        let by_parts = (d * d + d) + (4 * d * d + 4 * d) + (4 * d * d + d);
        assert_eq!(simple_layer_params(d), by_parts, "d={d}");
    }
}

#[test]
fn notebook_memory_prints() {
    let params = simple_layer_params(768);
    // "~21.3 MB (just weights)" and "~42.5 MB per layer" (weights and gradients, fp32).
    assert_eq!(params * 4, 21_252_096);
    assert_eq!(
        bytes(params * Counting::WeightsOnly.bytes_per_param()),
        "21.3 MB"
    );
    assert_eq!(
        bytes(params * Counting::WeightsAndGradsFp32.bytes_per_param()),
        "42.5 MB"
    );
}

#[test]
fn real_block_adds_three_projections_and_two_layer_norms() {
    let block = transformer_block_params(768);
    assert_eq!(block.attention, 4 * 768 * 768 + 4 * 768);
    assert_eq!(block.ffn, 8 * 768 * 768 + 5 * 768);
    assert_eq!(block.layer_norms, 4 * 768);
    assert_eq!(block.total(), 7_087_872);
    // The real block holds 3d² + 7d more than the notebook's stand-in.
    for d in [1_u64, 768, 1024, 1600] {
        let gap = transformer_block_params(d).total() - simple_layer_params(d);
        assert_eq!(gap, 3 * d * d + 7 * d, "d={d}");
    }
    // BERT-base: 12 blocks, plus embeddings (30,522 tokens + 512 positions + 2 segments, each 768
    // wide, and their LayerNorm) and the pooler, gives its published 110M (109,482,240).
    let embeddings = (30_522 + 512 + 2) * 768 + 2 * 768;
    let pooler = 768 * 768 + 768;
    let bert_base = 12 * block.total() + embeddings + pooler;
    assert_eq!(bert_base, 109_482_240);
    assert_eq!(count_si(bert_base), "109M");
}

#[test]
fn models_are_the_notebooks_four_in_order() {
    let names: Vec<&str> = MODELS.iter().map(|m| m.name).collect();
    assert_eq!(names, ["BERT-base", "BERT-large", "GPT-2", "GPT-3"]);
    let sizes: Vec<String> = MODELS.iter().map(|m| count_sig(m.params)).collect();
    assert_eq!(sizes, ["109M", "335M", "1.56B", "175B"]);
    assert!(model("GPT-3").note.contains("GPT-3.5"));
}

#[test]
fn model_sizes_are_exact_counts_or_said_to_be_nominal() {
    // BERT: token (30,522), position (512) and segment (2) embeddings and their LayerNorm, the
    // blocks, and the pooler.
    let bert = |d: u64, layers: u64| {
        (30_522 + 512 + 2) * d + 2 * d + layers * transformer_block_params(d).total() + d * d + d
    };
    assert_eq!(model("BERT-base").params, bert(768, 12));
    assert_eq!(model("BERT-large").params, bert(1024, 24));
    assert_eq!(model("BERT-large").params, 335_141_888);
    // GPT-2 XL: token (50,257) and position (1,024) embeddings, the blocks, the final LayerNorm.
    let d = 1600;
    let gpt2_xl = (50_257 + 1024) * d + 48 * transformer_block_params(d).total() + 2 * d;
    assert_eq!(model("GPT-2").params, gpt2_xl);
    assert_eq!(gpt2_xl, 1_557_611_200);
    // Every note gives the exact count with the nominal size, or says the size is a round figure.
    for (name, nominal) in [
        ("BERT-base", "nominally 110M"),
        ("BERT-large", "nominally 340M"),
        ("GPT-2", "nominally 1.5B"),
        ("GPT-3", "a round figure"),
    ] {
        let m = model(name);
        assert!(m.note.contains(nominal), "{}", m.note);
        if name != "GPT-3" {
            assert!(
                m.note.contains(&lora_explorer::format::thousands(m.params)),
                "{}",
                m.note
            );
        }
    }
}

#[test]
fn counting_bytes_per_parameter() {
    let table = [
        (Counting::WeightsOnly, 4, 4),
        (Counting::WeightsAndGradsFp32, 8, 4),
        (Counting::MixedPrecisionAdam, 16, 2),
    ];
    for (counting, trained, frozen) in table {
        assert_eq!(counting.bytes_per_param(), trained, "{counting:?}");
        assert_eq!(counting.frozen_bytes_per_param(), frozen, "{counting:?}");
        assert!(counting
            .formula()
            .ends_with(&format!("= {trained} B a parameter")));
        assert!(!counting.explanation().is_empty());
    }
    assert_eq!(Counting::ALL.len(), 3);
}

#[test]
fn full_finetune_memory_of_each_model() {
    // The notebook's 8 bytes a parameter, on the exact counts: GPT-3 is 1.40 TB, not "~1 GB".
    check_full(
        "BERT-base",
        Counting::WeightsAndGradsFp32,
        875_857_920,
        "876 MB",
    );
    check_full(
        "BERT-large",
        Counting::WeightsAndGradsFp32,
        2_681_135_104,
        "2.68 GB",
    );
    check_full(
        "GPT-2",
        Counting::WeightsAndGradsFp32,
        12_460_889_600,
        "12.5 GB",
    );
    check_full(
        "GPT-3",
        Counting::WeightsAndGradsFp32,
        1_400_000_000_000,
        "1.40 TB",
    );
    // With Adam in mixed precision, 16 bytes a parameter.
    check_full(
        "BERT-base",
        Counting::MixedPrecisionAdam,
        1_751_715_840,
        "1.75 GB",
    );
    check_full(
        "GPT-3",
        Counting::MixedPrecisionAdam,
        2_800_000_000_000,
        "2.80 TB",
    );
    check_full("BERT-base", Counting::WeightsOnly, 437_928_960, "438 MB");
}

#[test]
fn the_notebooks_memory_chart_is_a_thousand_times_too_small() {
    // The notebook: params in millions × 8 / 1000, labelled MB; then "~{last / 1000:.0f} GB".
    let notebook_mb = 175_000.0 * 8.0 / 1000.0;
    assert_eq!(notebook_mb, 1400.0);
    assert_eq!(format!("~{:.0} GB", notebook_mb / 1000.0), "~1 GB");
    // Its own 8 B a parameter, counted: 1,400 GB, a thousand times the 1,400 MB it draws.
    let needed = full_finetune_bytes(&model("GPT-3"), Counting::WeightsAndGradsFp32);
    assert_eq!(needed, 1000 * (notebook_mb as u64) * 1_000_000);
    assert_eq!(bytes(needed), "1.40 TB");
}

#[test]
fn lora_adapter_counts_match_the_lora_paper() {
    // LoRA paper, Table 4: GPT-3 with W_q and W_v adapted, 4.7M at r = 1 and 37.7M at r = 8.
    let gpt3 = model("GPT-3");
    assert_eq!(lora_adapter_params(&gpt3, 1), 4_718_592);
    assert_eq!(lora_adapter_params(&gpt3, 8), 37_748_736);
    assert_eq!(count_sig(lora_adapter_params(&gpt3, 1)), "4.72M");
    assert_eq!(count_sig(lora_adapter_params(&gpt3, 8)), "37.7M");
    // The same count through ParamCounts: layers × 2 matrices × r·(d + d).
    let bert = model("BERT-base");
    let per_matrix = ParamCounts::new(768, 768, 8).lora;
    assert_eq!(lora_adapter_params(&bert, 8), 12 * 2 * per_matrix);
    assert_eq!(lora_adapter_params(&bert, 0), 0);
    // GPT-3 at r = 8 trains about 0.02% of the model.
    let fraction = trainable_fraction(&gpt3, 8);
    assert!(
        (fraction - 37_748_736.0 / 175e9).abs() < 1e-15,
        "{fraction}"
    );
}

#[test]
fn lora_memory_is_frozen_weights_plus_trained_adapter() {
    let gpt3 = model("GPT-3");
    let adapter = 37_748_736;
    // Mixed-precision Adam: 175B × 2 B frozen + 37.7M × 16 B trained.
    let mixed = lora_finetune_bytes(&gpt3, 8, Counting::MixedPrecisionAdam);
    assert_eq!(mixed, 350_000_000_000 + adapter * 16);
    assert_eq!(bytes(mixed), "351 GB");
    // The notebook's count: 4 B frozen + 8 B for each adapter parameter.
    let notebook = lora_finetune_bytes(&gpt3, 8, Counting::WeightsAndGradsFp32);
    assert_eq!(notebook, 700_000_000_000 + adapter * 8);
    assert_eq!(bytes(notebook), "700 GB");
    // Weights only, LoRA saves nothing: it adds the adapter to the same fp32 weights.
    let weights = lora_finetune_bytes(&gpt3, 8, Counting::WeightsOnly);
    assert!(weights > full_finetune_bytes(&gpt3, Counting::WeightsOnly));
    assert_eq!(
        lora_formula(Counting::MixedPrecisionAdam),
        "frozen weights × 2 B + adapter parameters × 16 B"
    );
    // With a trainable part, LoRA never needs more than full fine-tuning except when only weights count.
    for m in MODELS {
        for counting in [Counting::WeightsAndGradsFp32, Counting::MixedPrecisionAdam] {
            assert!(
                lora_finetune_bytes(&m, 8, counting) < full_finetune_bytes(&m, counting),
                "{} {counting:?}",
                m.name
            );
        }
    }
}

#[test]
fn storage_per_task_is_an_fp16_checkpoint_or_an_fp16_adapter() {
    let gpt3 = model("GPT-3");
    let stored = storage_per_task_bytes(&gpt3, 8);
    assert_eq!(stored.full, 350_000_000_000);
    assert_eq!(stored.lora, 75_497_472);
    assert_eq!(bytes(stored.full), "350 GB");
    assert_eq!(bytes(stored.lora), "75.5 MB");
}

#[test]
fn rank_series_matches_the_notebooks_1024_layer() {
    let series = rank_series(1024, &[1, 2, 4, 8, 16, 32, 64, 128]);
    assert_eq!(series.len(), 8);
    assert_eq!((series[3].0, series[3].1), (8, 16_384));
    assert!((series[3].2 - 64.0).abs() < 1e-12);
    assert_eq!((series[4].0, series[4].1), (16, 32_768));
    assert!((series[4].2 - 32.0).abs() < 1e-12);
    assert_eq!(rank_series(1024, &[]), []);
    assert!(rank_series(8, &[0])[0].2.is_infinite());
}

#[test]
fn bytes_in_decimal_si_units() {
    for (n, text) in [
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1.00 kB"),
        (1234, "1.23 kB"),
        (99_949, "99.9 kB"),
        (99_950, "100 kB"),
        (999_499, "999 kB"),
        (999_500, "1.00 MB"),
        (9_995_000, "10.0 MB"),
        (440_000_000, "440 MB"),
        (1_760_000_000, "1.76 GB"),
        (2_800_000_000_000, "2.80 TB"),
        (1_230_000_000_000_000, "1,230 TB"),
        (u64::MAX, "18,446,744 TB"),
    ] {
        assert_eq!(bytes(n), text, "{n}");
    }
}

#[test]
fn counts_with_three_significant_figures() {
    for (n, text) in [
        (0, "0"),
        (999, "999"),
        (1000, "1.00k"),
        (1_234_567, "1.23M"),
        (2_359_296, "2.36M"),
        (4_718_592, "4.72M"),
        (9_995_000, "10.0M"),
        (37_748_736, "37.7M"),
        (109_482_240, "109M"),
        (999_500_000, "1.00B"),
        (1_557_611_200, "1.56B"),
        (175_000_000_000, "175B"),
        (1_230_000_000_000_000, "1,230T"),
    ] {
        assert_eq!(count_sig(n), text, "{n}");
    }
}

#[test]
fn bytes_with_fewer_figures_for_measurements() {
    assert_eq!(bytes_to(1_200_000_000_000, 2), "1.2 TB");
    assert_eq!(bytes_to(350_000_000_000, 2), "350 GB");
    assert_eq!(bytes_to(995_000_000_000, 2), "1.0 TB");
    assert_eq!(bytes_to(994_000_000_000, 2), "990 GB");
}

#[test]
fn counts_with_short_scale_suffixes() {
    for (n, text) in [
        (0, "0"),
        (999, "999"),
        (1000, "1k"),
        (1500, "1.5k"),
        (16_384, "16.4k"),
        (999_999, "1M"),
        (4_718_592, "4.7M"),
        (37_748_736, "37.7M"),
        (99_960_000, "100M"),
        (110_000_000, "110M"),
        (1_500_000_000, "1.5B"),
        (175_000_000_000, "175B"),
        (2_000_000_000_000, "2T"),
    ] {
        assert_eq!(count_si(n), text, "{n}");
    }
}

proptest! {
    #[test]
    fn reduction_times_lora_params_is_the_full_count(n in 1_u64..20_000, r in 1_u64..512) {
        let series = rank_series(n, &[r, r + 1]);
        let (_, lora, reduction) = series[0];
        prop_assert_eq!(lora, 2 * n * r);
        let full = (n * n) as f64;
        prop_assert!((reduction * lora as f64 - full).abs() <= 1e-9 * full);
        // More rank, more parameters, less reduction.
        prop_assert!(series[1].1 > lora);
        prop_assert!(series[1].2 < reduction);
    }

    #[test]
    fn lora_memory_grows_with_rank(idx in 0_usize..4, r in 1_u64..256) {
        let m = MODELS[idx];
        for counting in Counting::ALL {
            prop_assert!(
                lora_finetune_bytes(&m, r + 1, counting) > lora_finetune_bytes(&m, r, counting)
            );
        }
    }
}
