//! Chapter 4's calculator: real models counted from their architecture, PEFT's counts, the LoRA
//! paper's printed rows, memory and the `LoraConfig`.

use lora_explorer::figures::calculator::{
    calculate, paper_checks, paper_choices, scale, Batch, Choices, Targets,
};
use lora_explorer::math::models::{
    nf4_double_quant_bits, nf4_double_quant_bytes, peft_matches, Architecture, Layout, ModelDtype,
    Published, PRESETS,
};
use lora_explorer::state::{CalculatorPage, ChapterState};

fn preset(name: &str) -> &'static Architecture {
    match PRESETS.iter().find(|a| a.name == name) {
        Some(arch) => arch,
        None => panic!("no preset named {name}"),
    }
}

fn names(targets: &[&str]) -> Targets {
    Targets::Names(targets.iter().map(|t| t.to_string()).collect())
}

fn choices(targets: Targets, r: u64) -> Choices {
    Choices {
        targets,
        r,
        alpha: 2.0 * r as f64,
        rank_pattern: Vec::new(),
        alpha_pattern: Vec::new(),
        use_rslora: false,
        use_dora: false,
        dtype: ModelDtype::Bf16,
        batch: None,
    }
}

/// The calculator's page with `settings` applied, as a link would apply them.
fn page_at(settings: &[(&str, &str)]) -> CalculatorPage {
    let mut page = CalculatorPage::default();
    for (key, value) in settings {
        if let Err(err) = page.set(key, value) {
            panic!("{key} = {value}: {err}");
        }
    }
    page
}

#[test]
fn every_preset_counts_to_its_published_size() {
    for arch in &PRESETS {
        assert!(arch.problems().is_empty(), "{}", arch.name);
        let count = arch.total_params();
        match arch.published.unwrap() {
            Published::Exact(n) => assert_eq!(count, n, "{}", arch.name),
            Published::Rounded(n) => {
                assert_eq!(n, 175_000_000_000);
                // GPT-3's 12·L·d² + embeddings: 174.6 billion, "175B" to three figures.
                assert_eq!(count, 174_604_259_328);
            }
        }
        let calc = calculate(arch, &choices(Targets::AllLinear, 8)).unwrap();
        assert!(calc.published_agrees, "{}", arch.name);
        assert_eq!(calc.base, count);
    }
    // The sizes the brief names, spelled out against the presets' data.
    for (name, size) in [
        ("BERT-base", 109_482_240),
        ("GPT-2 (124M)", 124_439_808),
        ("LLaMA-2 7B", 6_738_415_616),
        ("Mistral-7B", 7_241_732_096),
        ("Llama-3-8B", 8_030_261_248),
    ] {
        assert_eq!(preset(name).total_params(), size, "{name}");
    }
    let gpt3 = calculate(preset("GPT-3 (175B)"), &choices(Targets::AllLinear, 1)).unwrap();
    assert_eq!(
        gpt3.published_check.unwrap(),
        "174,604,259,328, which is the published 175B to three significant figures."
    );
    let llama = calculate(preset("LLaMA-2 7B"), &choices(Targets::AllLinear, 1)).unwrap();
    assert_eq!(
        llama.published_check.unwrap(),
        "6,738,415,616: the published count, to the parameter."
    );
}

#[test]
fn a_wrong_published_size_is_reported_with_the_difference() {
    let mut arch = *preset("BERT-base");
    arch.published = Some(Published::Exact(109_482_241));
    let calc = calculate(&arch, &choices(names(&["query"]), 8)).unwrap();
    assert!(!calc.published_agrees);
    assert_eq!(
        calc.published_check.unwrap(),
        "109,482,240 counted, against 109,482,241 published: 1 apart."
    );
}

#[test]
fn peft_reports_llama_2_7b_as_it_prints_it() {
    let calc = calculate(
        preset("LLaMA-2 7B"),
        &choices(names(&["q_proj", "v_proj"]), 8),
    )
    .unwrap();
    assert_eq!(calc.trainable, 4_194_304);
    assert_eq!(
        calc.peft_report,
        "trainable params: 4,194,304 || all params: 6,742,609,920 || trainable%: 0.0622"
    );
    assert_eq!(calc.adapter_fp32_bytes, 16_777_216);
    assert_eq!(calc.adapter_bf16_bytes, 8_388_608);
    assert!(calc.notices.is_empty());
}

#[test]
fn all_linear_adapts_every_linear_layer_but_the_output_head() {
    // LLaMA-2 7B at r = 16: 32 blocks of 4·r·(4096 + 4096) + 3·r·(4096 + 11008).
    let llama = calculate(preset("LLaMA-2 7B"), &choices(Targets::AllLinear, 16)).unwrap();
    assert_eq!(llama.trainable, 39_976_960);
    assert_eq!(llama.groups.len(), 7);
    assert!(llama.groups.iter().all(|g| g.count == 32));
    // Mistral's k and v are 4096 → 1024 (8 key/value heads of 128).
    let mistral = calculate(preset("Mistral-7B"), &choices(Targets::AllLinear, 16)).unwrap();
    assert_eq!(mistral.trainable, 41_943_040);
    assert_eq!(
        mistral.peft_report,
        "trainable params: 41,943,040 || all params: 7,283,675,136 || trainable%: 0.5758"
    );
    let k = mistral
        .groups
        .iter()
        .find(|g| g.role == "self_attn.k_proj")
        .unwrap();
    assert_eq!((k.in_features, k.out_features), (4096, 1024));
    // LLaMA-2 70B: grouped-query attention, 8192 → 1024 for k and v.
    let big = calculate(preset("LLaMA-2 70B"), &choices(names(&["k_proj"]), 8)).unwrap();
    assert_eq!(big.trainable, 80 * 8 * (8192 + 1024));
    // GPT-2's tied lm_head is left out; its four Conv1D layers a block are in.
    let gpt2 = calculate(preset("GPT-2 (124M)"), &choices(Targets::AllLinear, 8)).unwrap();
    let per_block = 8 * ((768 + 2304) + (768 + 768) + (768 + 3072) + (3072 + 768));
    assert_eq!(gpt2.trainable, 12 * per_block);
    assert!(gpt2.groups.iter().all(|g| g.role != "lm_head"));
    // An encoder has no output head: the pooler is a Linear layer, and is adapted.
    let bert = calculate(preset("BERT-base"), &choices(Targets::AllLinear, 8)).unwrap();
    let pooler = bert
        .groups
        .iter()
        .find(|g| g.role == "pooler.dense")
        .unwrap();
    assert_eq!(pooler.count, 1);
    assert_eq!(bert.groups.len(), 7);
}

#[test]
fn target_names_match_the_end_of_a_path_as_peft_does() {
    assert!(peft_matches("q_proj", "model.layers.0.self_attn.q_proj"));
    assert!(peft_matches("lm_head", "lm_head"));
    assert!(!peft_matches("proj", "model.layers.0.self_attn.q_proj"));
    assert!(peft_matches(
        "output.dense",
        "encoder.layer.3.attention.output.dense"
    ));
    // So "output.dense" on BERT-base adapts two layers a block: the MLP's output and W_o.
    let bert = calculate(preset("BERT-base"), &choices(names(&["output.dense"]), 8)).unwrap();
    assert_eq!(bert.groups.len(), 2);
    assert_eq!(bert.trainable, 12 * 8 * ((3072 + 768) + (768 + 768)));
    // Every offered name matches a layer of its family's presets.
    for arch in &PRESETS {
        for target in arch.layout.target_names() {
            let calc = calculate(arch, &choices(names(&[target.name]), 4)).unwrap();
            assert!(calc.notices.is_empty(), "{} {}", arch.name, target.name);
            assert!(calc.trainable > 0);
        }
    }
    let calc = calculate(preset("GPT-2 (124M)"), &choices(names(&["q_proj"]), 4)).unwrap();
    assert_eq!(calc.trainable, 0);
    assert_eq!(
        calc.notices,
        ["\"q_proj\" matches no layer of this model: PEFT stops with a ValueError when no target \
          matches, and otherwise ignores it."]
    );
}

#[test]
fn rank_pattern_dora_and_rslora() {
    let arch = preset("LLaMA-2 7B");
    let mut c = choices(names(&["q_proj", "v_proj"]), 8);
    c.rank_pattern = vec![("v_proj".to_string(), 16)];
    let calc = calculate(arch, &c).unwrap();
    assert_eq!(calc.trainable, 32 * (8 + 16) * (4096 + 4096));
    let v = calc
        .groups
        .iter()
        .find(|g| g.role == "self_attn.v_proj")
        .unwrap();
    assert_eq!((v.r, v.scale), (16, 1.0));
    // DoRA adds one magnitude a row of each adapted weight: out_features a layer.
    c.use_dora = true;
    assert_eq!(
        calculate(arch, &c).unwrap().trainable,
        32 * (8 + 16) * (4096 + 4096) + 64 * 4096
    );
    assert_eq!(scale(16.0, 16, true), 4.0);
    assert_eq!(scale(16.0, 16, false), 1.0);
    c.rank_pattern.push(("nothing".to_string(), 0));
    assert_eq!(
        calculate(arch, &c).unwrap_err(),
        ["Every rank must be from 1 to 1,048,576."]
    );
}

#[test]
fn the_lora_papers_rows_follow_its_formula_except_three() {
    let checks = paper_checks();
    let differing: Vec<&str> = checks
        .iter()
        .filter(|c| !c.matches)
        .map(|c| c.row.printed)
        .collect();
    assert_eq!(differing, ["0.35M", "0.77M", "18M"]);
    let computed: Vec<u64> = checks.iter().map(|c| c.computed).collect();
    assert_eq!(
        computed,
        [294_912, 786_432, 4_718_592, 393_216, 737_280, 4_718_592, 37_748_736, 18_874_368]
    );
    // Where the calculator has the model, PEFT's count on the preset is the formula's.
    for check in &checks {
        if let Some(name) = check.row.preset {
            let calc = calculate(preset(name), &paper_choices(&check.row)).unwrap();
            assert_eq!(calc.trainable, check.computed, "{}", check.row.model);
        }
    }
    assert_eq!(
        checks[6].text,
        "Table 4, GPT-3 (LoRA): at r = 8 on W_q and W_v, 2 × 192 × 12,288 × 8 = 37,748,736 \
         (37.7M), as printed."
    );
    assert_eq!(
        checks[3].text,
        "Table 3, GPT-2 M: printed 0.35M; at r = 4 on W_q and W_v, the paper's setting for GPT-2, \
         the paper's formula gives 2 × 48 × 1,024 × 4 = 393,216 (0.39M). The paper's released \
         GPT-2 code trains this count too (r = 4 on W_q and W_v inside the fused c_attn), and so \
         does PEFT with r = 4 on c_attn, r·(d + 3d) a block. The paper does not say how the \
         printed figure was reached."
    );
    assert!(checks[7]
        .text
        .contains("gives 2 × 96 × 12,288 × 8 = 18,874,368 (19M)"));
}

#[test]
fn nf4_with_double_quantisation_takes_qloras_bits() {
    assert!((nf4_double_quant_bits() - 4.127).abs() < 1e-3);
    // 16,384 weights: 8,192 B of 4-bit codes, 256 B of absmaxes, 4 B of second-level constants.
    assert_eq!(nf4_double_quant_bytes(16_384), 8192 + 256 + 4);
    assert_eq!(nf4_double_quant_bytes(1), 1);
    assert_eq!(nf4_double_quant_bytes(0), 0);
}

#[test]
fn the_memory_breakdown_shows_its_formulas() {
    let arch = preset("LLaMA-2 7B");
    let mut c = choices(names(&["q_proj", "v_proj"]), 8);
    c.dtype = ModelDtype::Nf4;
    let calc = calculate(arch, &c).unwrap();
    let linear = 32 * (4 * 4096 * 4096 + 3 * 4096 * 11_008);
    let rest = 6_738_415_616 - linear;
    assert_eq!(linear, 6_476_005_376);
    assert_eq!(
        calc.memory[0].bytes,
        Some(nf4_double_quant_bytes(linear) + rest * 2)
    );
    assert_eq!(
        calc.memory[0].formula,
        "6,476,005,376 Linear weights × 4.127 bits (4 + 8/64 + 32/(64·256)) + 262,410,240 other \
         parameters × 2 B (bf16) = 3.87 GB"
    );
    assert_eq!(
        calc.memory[3].formula,
        "4,194,304 parameters × 8 B = 33.6 MB"
    );
    assert_eq!(calc.memory[4].bytes, None);
    assert!(calc.memory[4].formula.starts_with("Not counted"));
    let counted: u64 = calc.memory.iter().filter_map(|l| l.bytes).sum();
    assert_eq!(calc.memory_total, counted);
    // Activations, when a batch is given: L·s·b·(34·h + 5·a·s).
    c.batch = Some(Batch {
        size: 1,
        seq_len: 512,
    });
    c.dtype = ModelDtype::Fp32;
    let calc = calculate(arch, &c).unwrap();
    assert_eq!(
        calc.memory[4].bytes,
        Some(32 * 512 * (34 * 4096 + 5 * 32 * 512))
    );
    assert!(calc.memory[4]
        .formula
        .starts_with("L·s·b·(34·h + 5·a·s) B = 32 · 512 · 1 · (34 · 4096 + 5 · 32 · 512) B = "));
    assert_eq!(calc.memory[0].bytes, Some(6_738_415_616 * 4));
    // int8: a byte a Linear weight, a 4-byte scale an output row, the rest in 16 bits.
    c.dtype = ModelDtype::Int8;
    let rows = 32 * (4 * 4096 + 2 * 11_008 + 4096);
    assert_eq!(
        calculate(arch, &c).unwrap().memory[0].bytes,
        Some(linear + 4 * rows + 2 * rest)
    );
}

#[test]
fn the_lora_config_is_ready_to_copy() {
    let mut c = choices(names(&["c_attn"]), 4);
    c.alpha = 32.0;
    c.use_rslora = true;
    c.use_dora = true;
    c.rank_pattern = vec![("c_attn".to_string(), 8)];
    c.dtype = ModelDtype::Nf4;
    let config = calculate(preset("GPT-2 Medium (355M)"), &c).unwrap().config;
    assert_eq!(
        config,
        "import torch\nfrom transformers import BitsAndBytesConfig\nfrom peft import LoraConfig\n\n\
         # For GPT-2 Medium (355M): openai-community/gpt2-medium (GPT2LMHeadModel).\n\
         quantization_config = BitsAndBytesConfig(\n    load_in_4bit=True,\n    \
         bnb_4bit_quant_type=\"nf4\",\n    bnb_4bit_use_double_quant=True,\n    \
         bnb_4bit_compute_dtype=torch.bfloat16,\n)\n\
         config = LoraConfig(\n    r=4,\n    lora_alpha=32,\n    target_modules=[\"c_attn\"],\n    \
         rank_pattern={\"c_attn\": 8},\n    use_rslora=True,  # the scale is alpha / sqrt(r)\n    \
         use_dora=True,\n    fan_in_fan_out=True,  # Conv1D stores its weight as (in, out)\n    \
         lora_dropout=0.0,\n    bias=\"none\",\n    task_type=\"CAUSAL_LM\",\n)\n"
    );
    let mut c = choices(Targets::AllLinear, 8);
    c.targets = names(&["a\"b\\c"]);
    let config = calculate(preset("BERT-base"), &c).unwrap().config;
    assert!(config.contains("target_modules=[\"a\\\"b\\\\c\"],"));
    assert!(config.contains("task_type=\"FEATURE_EXTRACTION\""));
    let config = calculate(preset("Llama-3-8B"), &choices(Targets::AllLinear, 8))
        .unwrap()
        .config;
    assert!(config.contains("target_modules=\"all-linear\",\n"));
}

#[test]
fn a_custom_shape_is_checked_and_counted() {
    let mut arch = *preset("LLaMA-2 7B");
    arch.name = "Custom";
    arch.published = None;
    arch.heads = 30;
    arch.kv_heads = 7;
    assert_eq!(
        calculate(&arch, &choices(Targets::AllLinear, 8)).unwrap_err(),
        [
            "The width (4096) must be a multiple of the number of heads (30).",
            "The number of heads (30) must be a multiple of the number of key/value heads (7)."
        ]
    );
    arch.heads = 32;
    arch.kv_heads = 4;
    arch.layers = 2;
    arch.layout = Layout::Llama;
    let calc = calculate(&arch, &choices(names(&["k_proj"]), 8)).unwrap();
    assert_eq!(calc.trainable, 2 * 8 * (4096 + 512));
    assert_eq!(calc.published_check, None);
    assert!(calc.published_agrees);
    assert_eq!(Layout::ALL.len(), 4);
    // Shapes too large to count are refused, not overflowed.
    arch.hidden = 1 << 40;
    arch.layers = 0;
    assert_eq!(
        calculate(&arch, &choices(Targets::AllLinear, u64::MAX)).unwrap_err(),
        [
            "The width must be from 1 to 1,048,576.",
            "The number of layers must be from 1 to 1,024.",
            "Every rank must be from 1 to 1,048,576."
        ]
    );
}

mod page {
    //! The chapter's page: its state turned into the core's model and choices, and what it reads.

    use lora_explorer::figures::calculator::{
        choices_of, downloads, model_of, paper_checks, paper_rows, readout, tables, targets_for,
        Batch, Targets,
    };
    use lora_explorer::figures::FigureId;
    use lora_explorer::math::models::{Layout, ModelDtype, PRESETS};
    use lora_explorer::render::charts::Part;
    use lora_explorer::state::{CalculatorState, TargetSet, MODEL_IDS};

    use super::page_at;

    #[test]
    fn the_model_ids_follow_the_presets() {
        assert_eq!(MODEL_IDS.len(), PRESETS.len() + 1);
        assert_eq!(MODEL_IDS[MODEL_IDS.len() - 1], "custom");
        for (id, arch) in MODEL_IDS.iter().zip(&PRESETS) {
            let page = page_at(&[("km", id)]);
            assert_eq!(model_of(&page.calculator), *arch, "{id}");
            assert!(!page.calculator.is_custom());
        }
    }

    #[test]
    fn the_defaults_are_llama_2_7b_with_the_papers_targets() {
        let state = CalculatorState::default();
        assert_eq!(model_of(&state).name, "LLaMA-2 7B");
        let choices = choices_of(&state, &model_of(&state));
        assert_eq!(
            choices.targets,
            Targets::Names(vec!["q_proj".into(), "v_proj".into()])
        );
        assert_eq!((choices.r, choices.alpha), (8, 16.0));
        assert_eq!(choices.dtype, ModelDtype::Bf16);
        assert_eq!(
            choices.batch,
            Some(Batch {
                size: 1,
                seq_len: 512
            })
        );
        assert!(!choices.use_rslora && !choices.use_dora && choices.rank_pattern.is_empty());
        let shown = readout(&state);
        assert_eq!(
            shown.peft_report,
            "trainable params: 4,194,304 || all params: 6,742,609,920 || trainable%: 0.0622"
        );
        assert_eq!(
            shown.headline,
            "4,194,304 trainable parameters in 64 adapted layers: 0.0622% of the 6,742,609,920 \
             parameters PEFT reports, the model's and the adapter's together."
        );
        assert_eq!(
            shown.published,
            "6,738,415,616: the published count, to the parameter."
        );
        assert_eq!(shown.scale, "Each update is scaled by α/r = 16/8 = 2.");
        assert!(shown.adapter.contains("16.8 MB in fp32"));
        assert!(shown.adapter.contains("8.39 MB in bf16"));
        assert_eq!(
            shown.groups[0],
            [
                "self_attn.q_proj",
                "32",
                "4,096 → 4,096",
                "8",
                "8 × (4,096 + 4,096) = 65,536",
                "2,097,152"
            ]
        );
        assert_eq!(
            shown.targets,
            [
                "\"q_proj\": W_q, the query projection.",
                "\"v_proj\": W_v, the value projection."
            ]
        );
        assert!(shown.notes.is_empty());
        assert!(shown.config.contains("r=8,\n    lora_alpha=16,"));
        assert_eq!(shown.memory_rows.len(), 5);
        assert_eq!(shown.memory_bars[0].part, Part::Frozen);
        assert_eq!(shown.memory_bars[1].part, Part::Trainable);
        assert_eq!(shown.memory_bars[4].part, Part::Activations);
        assert_eq!(shown.memory_bars[0].bytes, Some(6_738_415_616 * 2));
        assert!(
            shown
                .memory_caption
                .starts_with("17.2 GB in all, with activations. Full fine-tuning"),
            "{}",
            shown.memory_caption
        );
    }

    #[test]
    fn every_control_reaches_the_choices() {
        let page = page_at(&[
            ("km", "gpt2-medium"),
            ("kt", "attention"),
            ("kr", "4"),
            ("ka", "32"),
            ("ks", "1"),
            ("kd", "1"),
            ("kq", "nf4"),
            ("ke", "0"),
        ]);
        let state = &page.calculator;
        let arch = model_of(state);
        assert_eq!(arch.name, "GPT-2 Medium (355M)");
        let choices = choices_of(state, &arch);
        assert_eq!(
            choices.targets,
            Targets::Names(vec!["c_attn".into(), "attn.c_proj".into()])
        );
        assert_eq!((choices.r, choices.alpha), (4, 32.0));
        assert!(choices.use_rslora && choices.use_dora);
        assert_eq!(choices.dtype, ModelDtype::Nf4);
        assert_eq!(choices.batch, None);
        let shown = readout(state);
        assert_eq!(
            shown.scale,
            "Each update is scaled by α/√r = 32/√4 = 16 (rsLoRA)."
        );
        // DoRA adds out_features to each layer: c_attn's 3,072 and c_proj's 1,024.
        assert_eq!(shown.groups[0][4], "4 × (1,024 + 3,072) + 3,072 = 19,456");
        assert_eq!(shown.memory_rows[4][1], "not counted");
        assert!(shown.memory_caption.contains("without activations"));
        let page = page_at(&[("kb", "8"), ("kn", "2048"), ("kq", "fp32")]);
        let choices = choices_of(&page.calculator, &model_of(&page.calculator));
        assert_eq!(
            choices.batch,
            Some(Batch {
                size: 8,
                seq_len: 2048
            })
        );
        assert_eq!(choices.dtype, ModelDtype::Fp32);
    }

    #[test]
    fn every_target_set_names_layers_of_every_family() {
        for layout in Layout::ALL {
            assert_eq!(
                targets_for(TargetSet::AllLinear, layout),
                Targets::AllLinear
            );
            for set in [TargetSet::QueryValue, TargetSet::Attention, TargetSet::Mlp] {
                let Targets::Names(names) = targets_for(set, layout) else {
                    panic!("{set:?} on {layout:?} is a list");
                };
                for name in names {
                    assert!(
                        layout.target_names().iter().any(|t| t.name == name),
                        "{name} on {layout:?}"
                    );
                }
            }
        }
        // Every set on every preset adapts something and PEFT has nothing to object to.
        for id in &MODEL_IDS {
            for set in TargetSet::NAMES {
                let shown = readout(&page_at(&[("km", id), ("kt", set)]).calculator);
                assert!(shown.counted, "{id} {set}");
                assert!(shown.notes.is_empty(), "{id} {set}: {:?}", shown.notes);
                assert!(!shown.groups.is_empty());
            }
        }
    }

    #[test]
    fn the_custom_shape_follows_its_sliders_and_family() {
        let page = page_at(&[("km", "custom")]);
        let state = &page.calculator;
        assert!(state.is_custom());
        let arch = model_of(state);
        // The custom shape starts as LLaMA-2 7B's.
        let llama = PRESETS[9];
        assert_eq!(arch.total_params(), llama.total_params());
        assert_eq!(arch.published, None);
        let shown = readout(state);
        assert_eq!(
            shown.peft_report,
            readout(&CalculatorState::default()).peft_report
        );
        assert!(shown.published.contains("no published size"));
        assert_eq!(
            shown.model,
            "Custom shape, laid out as LLaMA (rotary positions, an untied output head): a \
             LLaMA/Mistral decoder of 32 blocks, width 4,096, 32 attention heads, MLP width 11,008, \
             a vocabulary of 32,000 tokens."
        );
        // Grouped-query attention: 8 key/value heads make k and v 4,096 → 1,024.
        let page = page_at(&[("km", "custom"), ("kv", "8"), ("kt", "attention")]);
        let shown = readout(&page.calculator);
        assert_eq!(shown.groups[1][2], "4,096 → 1,024");
        // The key/value heads are capped by the heads.
        let page = page_at(&[("km", "custom"), ("kh", "4"), ("kv", "8")]);
        assert_eq!(page.calculator.kv_heads, 4);
        // A width the heads do not divide is a problem to show, not a count.
        let page = page_at(&[("km", "custom"), ("kh", "3"), ("kv", "3")]);
        let shown = readout(&page.calculator);
        assert!(!shown.counted);
        assert_eq!(
            shown.notes,
            ["The width (4096) must be a multiple of the number of heads (3)."]
        );
        assert!(shown.groups.is_empty() && shown.memory_bars.is_empty());
        assert!(shown.peft_report.is_empty() && shown.published.is_empty());
        for figure in [FigureId::Calculator, FigureId::CalculatorMemory] {
            assert!(tables(figure, &page.calculator).is_empty());
            assert!(downloads(figure, &page.calculator).is_empty());
        }
        // Other families: GPT-2's fused c_attn, its tied head and learned positions.
        let page = page_at(&[
            ("km", "custom"),
            ("kf", "gpt2"),
            ("kw", "768"),
            ("kl", "12"),
            ("kh", "12"),
            ("ki", "3072"),
            ("ko", "50257"),
        ]);
        let arch = model_of(&page.calculator);
        assert_eq!(arch.total_params(), 124_439_808);
        assert_eq!(arch.layout, Layout::Gpt2);
        let page = page_at(&[
            ("km", "custom"),
            ("kf", "encoder"),
            ("kw", "768"),
            ("kl", "12"),
            ("kh", "12"),
            ("ki", "3072"),
            ("ko", "30522"),
        ]);
        assert_eq!(model_of(&page.calculator).total_params(), 109_482_240);
    }

    #[test]
    fn a_rank_beyond_a_layers_sides_is_noted() {
        let page = page_at(&[
            ("km", "custom"),
            ("kw", "128"),
            ("kh", "4"),
            ("kv", "4"),
            ("ki", "256"),
            ("kr", "200"),
        ]);
        let shown = readout(&page.calculator);
        assert_eq!(
            shown.notes,
            [
                "r = 200 is more than self_attn.q_proj (128 → 128) can use: the update's rank is \
                 at most 128, so the extra parameters add nothing.",
                "r = 200 is more than self_attn.v_proj (128 → 128) can use: the update's rank is \
                 at most 128, so the extra parameters add nothing."
            ]
        );
    }

    #[test]
    fn the_paper_table_has_every_row_with_pefts_count() {
        let rows = paper_rows();
        let checks = paper_checks();
        assert_eq!(rows.len(), checks.len());
        assert_eq!(
            rows[6],
            [
                "Table 4",
                "GPT-3 (LoRA)",
                "r = 8 on W_q and W_v",
                "37.7M",
                "2 × 192 × 12,288 × 8 = 37,748,736 (37.7M)",
                "37,748,736 with target_modules q_proj and v_proj at r = 8 on GPT-3 (175B)",
                "As printed."
            ]
        );
        assert_eq!(rows[2][5], "Not among the calculator's models.");
        assert!(rows[3][6].starts_with("Differs. The paper's released GPT-2 code"));
        let differing = rows.iter().filter(|r| r[6] != "As printed.").count();
        assert_eq!(differing, 3);
    }

    #[test]
    fn the_memory_table_gives_exact_bytes() {
        let tables = tables(FigureId::CalculatorMemory, &CalculatorState::default());
        assert_eq!(tables.len(), 1);
        let table = &tables[0];
        assert_eq!(table.header, ["What is stored", "Bytes", "In units"]);
        assert_eq!(
            table.rows[0],
            ["Base weights, frozen (bf16)", "13,476,831,232", "13.5 GB"]
        );
        assert_eq!(
            table.rows[1],
            ["LoRA weights (fp32)", "16,777,216", "16.8 MB"]
        );
        assert_eq!(table.rows.last().unwrap()[0], "Total counted");
    }
}

mod rank_per_type {
    //! The MLP's own rank and α: counts worked out here from each model's shapes, and the
    //! patterns read back as PEFT reads adapter_config.json.

    use lora_explorer::adapter::AdapterConfig;
    use lora_explorer::figures::calculator::{calculate, choices_of, model_of, readout};
    use lora_explorer::math::models::{Architecture, Layout, PRESETS};
    use lora_explorer::state::{CalculatorPage, ChapterState, TargetSet, MODEL_IDS};

    use super::page_at;

    /// Whether a layer is an attention projection or one of the MLP's.
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Attention,
        Mlp,
    }

    /// One block's Linear layers as (in, out, kind, whether the target set adapts it), from the
    /// configuration's numbers, written out per family.
    fn block(arch: &Architecture, set: TargetSet) -> Vec<(u64, u64, Kind, bool)> {
        let (d, i) = (arch.hidden, arch.intermediate);
        let head = d / arch.heads;
        let (q, kv) = (arch.heads * head, arch.kv_heads * head);
        use Kind::{Attention as A, Mlp as M};
        // GPT-3's and the encoders' key/value heads are their heads: q and kv are d.
        let layers: Vec<(&str, u64, u64, Kind)> = match arch.layout {
            Layout::Gpt2 => vec![
                ("qkv", d, 3 * d, A),
                ("o", d, d, A),
                ("up", d, i, M),
                ("down", i, d, M),
            ],
            layout => {
                let mut all = vec![
                    ("q", d, q, A),
                    ("k", d, kv, A),
                    ("v", d, kv, A),
                    ("o", q, d, A),
                ];
                if layout == Layout::Llama {
                    all.push(("gate", d, i, M));
                }
                all.extend([("up", d, i, M), ("down", i, d, M)]);
                all
            }
        };
        layers
            .into_iter()
            .map(|(name, fan_in, fan_out, kind)| {
                let adapted = match set {
                    TargetSet::QueryValue => ["q", "v", "qkv"].contains(&name),
                    TargetSet::Attention => kind == A,
                    // An encoder's "output.dense" also adapts the attention output.
                    TargetSet::Mlp => kind == M || (arch.layout == Layout::Encoder && name == "o"),
                    TargetSet::AllLinear => true,
                };
                (fan_in, fan_out, kind, adapted)
            })
            .collect()
    }

    /// Trainable parameters with the attention (and the encoder's pooler) at rank r and the
    /// MLP at rank `mlp_r`.
    fn expected(arch: &Architecture, set: TargetSet, r: u64, mlp_r: u64) -> u64 {
        let per_block: u64 = block(arch, set)
            .into_iter()
            .filter(|l| l.3)
            .map(|(fan_in, fan_out, kind, _)| {
                let rank = if kind == Kind::Mlp { mlp_r } else { r };
                rank * (fan_in + fan_out)
            })
            .sum();
        let pooler = if set == TargetSet::AllLinear && arch.layout == Layout::Encoder {
            r * 2 * arch.hidden
        } else {
            0
        };
        arch.layers * per_block + pooler
    }

    /// The choices' patterns as adapter_config.json writes them.
    fn config_json(
        r: u64,
        alpha: f64,
        ranks: &[(String, u64)],
        alphas: &[(String, f64)],
    ) -> String {
        let ranks: Vec<String> = ranks.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
        let alphas: Vec<String> = alphas
            .iter()
            .map(|(k, v)| format!("\"{k}\": {v}"))
            .collect();
        format!(
            "{{\"peft_type\": \"LORA\", \"r\": {r}, \"lora_alpha\": {alpha}, \"rank_pattern\": {{{}}}, \
             \"alpha_pattern\": {{{}}}}}",
            ranks.join(", "),
            alphas.join(", ")
        )
    }

    #[test]
    fn every_model_and_target_set_counts_the_mlps_own_rank() {
        for (id, arch) in MODEL_IDS.iter().zip(&PRESETS) {
            for (set, set_name) in TargetSet::ALL.into_iter().zip(TargetSet::NAMES) {
                let page = page_at(&[
                    ("km", id),
                    ("kt", set_name),
                    ("kr", "8"),
                    ("ka", "16"),
                    ("kg", "1"),
                    ("kx", "24"),
                    ("kz", "12"),
                ]);
                let state = &page.calculator;
                let choices = choices_of(state, &model_of(state));
                let calc = match calculate(arch, &choices) {
                    Ok(calc) => calc,
                    Err(problems) => panic!("{id}: {problems:?}"),
                };
                let want = expected(arch, set, 8, 24);
                assert_eq!(calc.trainable, want, "{id}, {set_name}");
                assert_eq!(calc.adapter_fp32_bytes, 4 * want);
                assert_eq!(calc.memory[1].bytes, Some(4 * want));
                assert_eq!(calc.memory[3].bytes, Some(8 * want));
                // PEFT's own reading of the patterns (its regular expressions, in the file's
                // order) gives every adapted layer the rank and α the count used.
                let json = config_json(8, 16.0, &choices.rank_pattern, &choices.alpha_pattern);
                let config = match AdapterConfig::parse(&json) {
                    Ok((config, warnings)) if warnings.is_empty() => config,
                    other => panic!("{id}: {json} reads as {other:?}"),
                };
                let mlp_adapted = block(arch, set).iter().any(|l| l.3 && l.2 == Kind::Mlp);
                assert_eq!(choices.rank_pattern.is_empty(), !mlp_adapted, "{id}");
                for linear in arch.linears() {
                    let Some(group) = calc.groups.iter().find(|g| linear.path.ends_with(&g.role))
                    else {
                        continue;
                    };
                    let mlp = group.r == 24;
                    assert_eq!(
                        config.rank_for(&linear.path),
                        Some(group.r),
                        "{}",
                        linear.path
                    );
                    assert_eq!(config.alpha_for(&linear.path), Some(group.alpha));
                    assert_eq!(group.alpha, if mlp { 12.0 } else { 16.0 });
                    assert_eq!(group.scale, if mlp { 0.5 } else { 2.0 });
                }
            }
        }
    }

    #[test]
    fn the_patterns_reach_the_config_and_the_readout() {
        let page = page_at(&[("kt", "all-linear"), ("kg", "1")]);
        let shown = readout(&page.calculator);
        assert!(
            shown.config.contains(
                "    rank_pattern={\"gate_proj\": 16, \"up_proj\": 16, \"down_proj\": 16},\n    \
                 alpha_pattern={\"gate_proj\": 32, \"up_proj\": 32, \"down_proj\": 32},\n"
            ),
            "{}",
            shown.config
        );
        assert_eq!(
            shown.scale,
            "The MLP's updates are scaled by α/r = 32/16 = 2, every other update by 16/8 = 2."
        );
        let mlp = shown
            .groups
            .iter()
            .find(|g| g[0] == "mlp.down_proj")
            .unwrap();
        assert_eq!(mlp[3], "16");
        assert_eq!(mlp[4], "16 × (11,008 + 4,096) = 241,664");
        let page = page_at(&[("kt", "mlp"), ("kg", "1"), ("kx", "24"), ("kz", "12")]);
        assert_eq!(
            readout(&page.calculator).scale,
            "The MLP's updates are scaled by α/r = 12/24 = 0.5, every other update by 16/8 = 2."
        );
        // The same α leaves alpha_pattern out; rsLoRA scales by √r.
        let page = page_at(&[("kt", "mlp"), ("kg", "1"), ("kz", "16"), ("ks", "1")]);
        let shown = readout(&page.calculator);
        assert!(!shown.config.contains("alpha_pattern"));
        assert_eq!(
            shown.scale,
            "The MLP's updates are scaled by α/√r = 16/√16 = 4 (rsLoRA), every other update by \
             16/√8 = 5.66."
        );
        // An encoder's MLP output name also matches the attention output: that name comes first.
        let page = page_at(&[("km", "roberta-base"), ("kt", "mlp"), ("kg", "1")]);
        let config = readout(&page.calculator).config;
        assert!(
            config.contains(
                "    # \"output.dense\" also matches \"attention.output.dense\": PEFT takes the \
                 first name that matches, so \"attention.output.dense\" comes first.\n    \
                 rank_pattern={\"attention.output.dense\": 8, \"intermediate.dense\": 16, \
                 \"output.dense\": 16},\n"
            ),
            "{config}"
        );
        // No MLP layer adapted: nothing to pattern, and a note says so.
        let page = page_at(&[("kg", "1")]);
        let shown = readout(&page.calculator);
        assert!(!shown.config.contains("rank_pattern"));
        assert_eq!(shown.scale, "Each update is scaled by α/r = 16/8 = 2.");
        assert_eq!(
            shown.notes,
            ["No MLP layer is adapted, so the MLP's own rank and α change nothing: choose layers \
              that include the MLP's."]
        );
        // Off, the MLP's sliders change nothing.
        let off = page_at(&[("kt", "all-linear"), ("kx", "64"), ("kz", "3")]);
        let on_same = page_at(&[("kt", "all-linear"), ("kg", "1"), ("kx", "8"), ("kz", "16")]);
        assert_eq!(
            readout(&off.calculator).peft_report,
            readout(&page_at(&[("kt", "all-linear")]).calculator).peft_report
        );
        assert_eq!(
            readout(&on_same.calculator).peft_report,
            readout(&off.calculator).peft_report
        );
    }

    #[test]
    fn the_mlps_controls_are_links_like_any_other() {
        let page = CalculatorPage::default();
        assert_eq!(
            [page.get("kg"), page.get("kx"), page.get("kz")],
            [Some("0".into()), Some("16".into()), Some("32".into())]
        );
        let page = page_at(&[("kg", "1"), ("kx", "999"), ("kz", "0.4")]);
        assert_eq!(page.get("kx").as_deref(), Some("256"));
        assert_eq!(page.get("kz").as_deref(), Some("1"));
        assert_eq!(
            page.value_text("kx").as_deref(),
            Some("MLP rank 256 of 256")
        );
        assert!(page.calculator.per_type);
    }
}

mod exports {
    //! The calculator's CSV files and data tables.

    use lora_explorer::figures::calculator::{downloads, paper_checks, tables, FIGURES};
    use lora_explorer::figures::FigureId;
    use lora_explorer::state::{CalculatorPage, CalculatorState, ChapterState};

    /// `text` read as CSV: quoted fields may hold commas and doubled quotes.
    fn csv(text: &str) -> Vec<Vec<String>> {
        text.lines()
            .map(|line| {
                let (mut fields, mut field) = (Vec::new(), String::new());
                let mut quoted = false;
                let mut chars = line.chars().peekable();
                while let Some(c) = chars.next() {
                    match (c, quoted) {
                        ('"', true) if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        ('"', _) => quoted = !quoted,
                        (',', false) => fields.push(std::mem::take(&mut field)),
                        _ => field.push(c),
                    }
                }
                fields.push(field);
                fields
            })
            .collect()
    }

    #[test]
    fn the_calculator_offers_its_layers_and_totals() {
        let state = CalculatorState::default();
        let files = downloads(FigureId::Calculator, &state);
        assert_eq!(
            files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            [
                "lora-explorer-calculator-llama-2-7b-layers.csv",
                "lora-explorer-calculator-llama-2-7b-totals.csv"
            ]
        );
        assert_eq!(
            files[0].text,
            "layers,count,in_features,out_features,r,alpha,scale,params_each,params\n\
             self_attn.q_proj,32,4096,4096,8,16,2,65536,2097152\n\
             self_attn.v_proj,32,4096,4096,8,16,2,65536,2097152\n"
        );
        let totals = csv(&files[1].text);
        assert_eq!(totals[1], ["trainable_params", "4194304"]);
        assert_eq!(totals[2], ["model_params", "6738415616"]);
        assert_eq!(totals[3], ["all_params", "6742609920"]);
        assert_eq!(totals[5], ["adapter_fp32_bytes", "16777216"]);
        let percent: f64 = totals[4][1].parse().unwrap();
        assert!((percent - 100.0 * 4_194_304.0 / 6_742_609_920.0).abs() < 1e-12);
        // With the MLP's own rank, the file follows the count.
        let mut page = CalculatorPage::default();
        for (key, value) in [("kt", "mlp"), ("kg", "1"), ("kx", "4"), ("kz", "8")] {
            page.set(key, value).unwrap();
        }
        let files = downloads(FigureId::Calculator, &page.calculator);
        let layers = csv(&files[0].text);
        let sum: u64 = layers[1..]
            .iter()
            .map(|r| r[8].parse::<u64>().unwrap())
            .sum();
        assert_eq!(sum, 32 * 3 * 4 * (4096 + 11_008));
        assert!(layers[1..]
            .iter()
            .all(|r| r[4] == "4" && r[5] == "8" && r[6] == "2"));
        let tables = tables(FigureId::Calculator, &state);
        assert_eq!(tables.len(), 2);
        assert_eq!(tables[0].rows.len(), 2);
        assert_eq!(tables[0].rows[0][8], "2,097,152");
        assert_eq!(tables[1].rows[0], ["Trainable parameters", "4,194,304"]);
        assert_eq!(tables[1].rows[3], ["Trainable share", "0.06221%"]);
    }

    #[test]
    fn the_memory_csv_has_every_line_and_the_total() {
        let state = CalculatorState::default();
        let files = downloads(FigureId::CalculatorMemory, &state);
        assert_eq!(files.len(), 1);
        assert_eq!(
            files[0].name,
            "lora-explorer-training-memory-llama-2-7b.csv"
        );
        let rows = csv(&files[0].text);
        assert_eq!(rows[0], ["what", "bytes", "formula"]);
        assert_eq!(rows.len(), 7);
        assert!(rows.iter().all(|r| r.len() == 3), "{rows:?}");
        assert_eq!(rows[1][..2], ["Base weights, frozen (bf16)", "13476831232"]);
        assert!(rows[1][2].starts_with("6,738,415,616 parameters × 2 B"));
        assert_eq!(rows[2][..2], ["LoRA weights (fp32)", "16777216"]);
        let lines: u64 = rows[1..6]
            .iter()
            .map(|r| r[1].parse::<u64>().unwrap())
            .sum();
        assert_eq!(
            rows[6][..2],
            ["Total counted".to_string(), lines.to_string()]
        );
        // Activations left out: an empty cell, and the reason.
        let mut page = CalculatorPage::default();
        page.set("ke", "0").unwrap();
        let rows = csv(&downloads(FigureId::CalculatorMemory, &page.calculator)[0].text);
        assert_eq!(rows[5][..2], ["Activations", ""]);
        assert!(rows[5][2].starts_with("Not counted"));
    }

    #[test]
    fn the_paper_check_offers_every_row_as_numbers() {
        let state = CalculatorState::default();
        let files = downloads(FigureId::PaperCheck, &state);
        assert_eq!(files[0].name, "lora-explorer-lora-paper-counts.csv");
        let rows = csv(&files[0].text);
        assert_eq!(rows.len(), 1 + paper_checks().len());
        assert!(rows.iter().all(|r| r.len() == 12), "{rows:?}");
        assert_eq!(
            rows[7][..11],
            [
                "Table 4",
                "GPT-3 (LoRA)",
                "r = 8 on W_q and W_v",
                "37.7M",
                "12288",
                "96",
                "2",
                "8",
                "37748736",
                "37748736",
                "true"
            ]
        );
        assert_eq!(rows[3][9], "", "DeBERTa XXL is not among the models");
        assert_eq!(rows.iter().filter(|r| r[10] == "false").count(), 3);
        let table = &tables(FigureId::PaperCheck, &state)[0];
        assert_eq!(table.rows.len(), paper_checks().len());
        assert_eq!(
            table.rows[6],
            [
                "Table 4, GPT-3 (LoRA), r = 8",
                "37.7M",
                "37,748,736",
                "37,748,736",
                "yes"
            ]
        );
        // Every figure of the calculator has both; the inspector's are not the calculator's.
        for figure in FIGURES {
            assert!(!downloads(figure, &state).is_empty());
            assert!(!tables(figure, &state).is_empty());
        }
        assert!(downloads(FigureId::AdapterLayers, &state).is_empty());
        assert!(tables(FigureId::AdapterModules, &state).is_empty());
    }
}
