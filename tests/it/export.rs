//! Downloads: CSV that reads back exactly, and PEFT configurations matching the figures.

use lora_explorer::export::{downloads, matrix_csv, peft_config};
use lora_explorer::figures::factorisation::{FactorisationFigure, MatrixId, Spectra};
use lora_explorer::figures::{FigureId, Received};
use lora_explorer::state::ChapterState;
use lora_explorer::state::PageState;
use nalgebra::DMatrix;

#[test]
fn csv_reads_back_exactly() {
    let m = DMatrix::from_row_slice(2, 3, &[1.0 / 3.0, -2.5e-17, 7.0, 0.0, -1.0, 123_456.789]);
    let text = matrix_csv(&m);
    let back: Vec<Vec<f64>> = text
        .lines()
        .map(|line| line.split(',').map(|cell| cell.parse().unwrap()).collect())
        .collect();
    assert_eq!(back.len(), 2);
    for row in 0..2 {
        for col in 0..3 {
            assert_eq!(back[row][col], m[(row, col)]);
        }
    }
}

#[test]
fn the_factorisation_figure_offers_its_five_matrices() {
    let mut state = PageState::default();
    state.set("fd", "6").unwrap();
    let spectra = Spectra::at(&state.factorisation);
    let received = Received {
        sigma: None,
        spectra: Some(&spectra),
    };
    let files = downloads(FigureId::Factorisation, &state, received);
    // Until the worker has answered, the five matrices only.
    assert_eq!(
        downloads(FigureId::Factorisation, &state, Received::default()).len(),
        5
    );
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "lora-explorer-W0-6x4.csv",
            "lora-explorer-B-6x2.csv",
            "lora-explorer-A-2x4.csv",
            "lora-explorer-deltaW-6x4.csv",
            "lora-explorer-W0-plus-scaled-BA-6x4.csv",
            "lora-explorer-singular-values-W0-update-merged-4.csv"
        ]
    );
    // The spectra file: one row an index, W₀'s, the update's and the merged σ, exact to 17 digits.
    let rows: Vec<Vec<f64>> = files[5]
        .text
        .lines()
        .map(|line| line.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 4);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row, &[spectra.w0[i], spectra.update[i], spectra.merged[i]]);
    }
    assert_eq!(
        (rows[2][1], rows[3][1]),
        (0.0, 0.0),
        "rank 2: the update's σ₃ and σ₄ are zero"
    );
    let figure = FactorisationFigure::new(&state.factorisation);
    assert_eq!(files[1].text, matrix_csv(figure.matrix(MatrixId::B)));
    assert!(downloads(FigureId::Rank, &state, Received::default()).is_empty());
    // Exactly the figures listed as offering CSV do, once their numbers exist.
    for figure in FigureId::ALL {
        let offers = !downloads(figure, &state, sigma(&[1.0])).is_empty();
        assert_eq!(
            offers,
            lora_explorer::export::CSV_FIGURES.contains(&figure),
            "{figure:?}"
        );
    }
    assert_eq!(
        downloads(FigureId::Spectrum, &state, sigma(&[3.0, 1.0])).len(),
        1
    );
}

#[test]
fn peft_configs_carry_the_figures_rank_and_alpha() {
    let mut state = PageState::default();
    state.set("fr", "2").unwrap();
    state.set("fa", "16").unwrap();
    let config = peft_config(FigureId::Factorisation, &state).unwrap();
    assert!(config.contains("    r=2,\n"), "{config}");
    assert!(config.contains("    lora_alpha=16,"), "{config}");
    assert!(config.contains("target_modules=[\"q_proj\", \"v_proj\"]"));
    assert!(config.starts_with("from peft import LoraConfig\n\n# For a model that names"));
    assert!(config.contains("\nconfig = LoraConfig(\n    r=2,"));
    assert!(config.ends_with(")\n"));
    let comparison = peft_config(FigureId::Comparison, &state).unwrap();
    assert!(
        comparison.contains("    r=8,\n") && comparison.contains("lora_alpha=8,"),
        "{comparison}"
    );
    assert_eq!(peft_config(FigureId::Rank, &state), None);
}

/// PEFT's default LoRA target modules for the model types the page names (TRANSFORMERS_MODELS_TO_
/// LORA_TARGET_MODULES_MAPPING in peft/utils/constants.py).
const PEFT_DEFAULTS: [(&str, &[&str]); 4] = [
    ("bert", &["query", "value"]),
    ("gpt2", &["c_attn"]),
    ("opt", &["q_proj", "v_proj"]),
    ("llama", &["q_proj", "v_proj"]),
];

/// The `target_modules` list of a config, as written.
fn target_modules(config: &str) -> Vec<String> {
    let list = config
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("target_modules=["))
        .and_then(|rest| rest.split_once(']'))
        .map_or("", |(list, _)| list);
    list.split(", ")
        .map(|m| m.trim_matches('"').to_string())
        .collect()
}

/// The model types a config's comment names, as `model type "bert"` or `("llama")`.
fn model_types(config: &str) -> Vec<&'static str> {
    PEFT_DEFAULTS
        .iter()
        .map(|(model_type, _)| *model_type)
        .filter(|t| {
            config.contains(&format!("model type \"{t}\""))
                || config.contains(&format!("(\"{t}\")"))
        })
        .collect()
}

#[test]
fn every_peft_config_targets_the_modules_of_the_model_it_names() {
    let mut state = PageState::default();
    for (name, model_type) in [
        ("bert-base", "bert"),
        ("bert-large", "bert"),
        ("gpt2", "gpt2"),
        ("gpt3", "opt"),
    ] {
        state.set("vm", name).unwrap();
        let config = peft_config(FigureId::Comparison, &state).unwrap();
        let types = model_types(&config);
        assert!(types.contains(&model_type), "{name}: {types:?}\n{config}");
        let modules = target_modules(&config);
        // Every model type the comment names takes the modules written, by PEFT's own mapping.
        for t in types {
            let expected = PEFT_DEFAULTS.iter().find(|(m, _)| *m == t).unwrap().1;
            assert_eq!(modules, expected, "{name} as {t}\n{config}");
        }
        // GPT-2's c_attn is a Conv1D: PEFT needs fan_in_fan_out=True for it, and nothing else does.
        assert_eq!(
            config.contains("    fan_in_fan_out=True,"),
            model_type == "gpt2",
            "{name}\n{config}"
        );
    }
    // The BERT configs name their checkpoints; GPT-2 says what adapting c_attn means.
    state.set("vm", "bert-large").unwrap();
    assert!(peft_config(FigureId::Comparison, &state)
        .unwrap()
        .contains("google-bert/bert-large-uncased"));
    state.set("vm", "gpt2").unwrap();
    let gpt2 = peft_config(FigureId::Comparison, &state).unwrap();
    assert!(gpt2.contains("openai-community/gpt2-xl"), "{gpt2}");
    assert!(
        gpt2.contains("W_q and\n# W_v cannot be targeted alone"),
        "{gpt2}"
    );
    assert!(gpt2.contains("adapts q, k and v together"), "{gpt2}");
    assert!(gpt2.contains("c_attn (1600 → 4800)"), "{gpt2}");
    // Figures that name no model: LLaMA's names, and what BERT and GPT-2 call theirs.
    for figure in [FigureId::Factorisation, FigureId::Maths, FigureId::Memory] {
        let config = peft_config(figure, &state).unwrap();
        assert_eq!(model_types(&config), ["llama"], "{figure:?}\n{config}");
        assert_eq!(target_modules(&config), ["q_proj", "v_proj"], "{figure:?}");
        assert!(config.contains("[\"query\", \"value\"]"), "{figure:?}");
        assert!(config.contains("[\"c_attn\"]"), "{figure:?}");
        assert!(!config.contains("    fan_in_fan_out=True,"), "{figure:?}");
    }
}

#[test]
fn the_gpt2_comment_counts_what_c_attn_trains() {
    use lora_explorer::math::lora::ParamCounts;
    use lora_explorer::math::memory::{lora_adapter_params, MODELS};
    // One B (4800×r) and one A (r×1600) on c_attn train as many as rank r on W_q and W_v apart.
    let gpt2 = MODELS[2];
    for r in [1, 8, 64] {
        let fused = ParamCounts::new(3 * gpt2.d_model, gpt2.d_model, r).lora * gpt2.n_layers;
        assert_eq!(fused, lora_adapter_params(&gpt2, r), "r = {r}");
    }
}

/// What the page holds once the worker has sent these singular values.
fn sigma(values: &[f64]) -> Received<'_> {
    Received {
        sigma: Some(values),
        spectra: None,
    }
}

#[test]
fn the_csv_panel_says_whether_the_files_have_a_header() {
    use lora_explorer::export::{csv_texts, Download};
    let file = |text: &str| Download {
        name: "f.csv".into(),
        text: text.into(),
    };
    let (label, note) = csv_texts(&[file("layers,count\nq,1\n")]);
    assert_eq!(label, "This figure's numbers as CSV");
    assert!(note.starts_with("One row a line, under a header row"));
    let (_, note) = csv_texts(&[file("-1.0e0,2.0e0\n"), file("3.0e0\n")]);
    assert_eq!(
        note,
        "Values with 17 significant digits, one row a line, no header."
    );
    let (_, note) = csv_texts(&[file("1.0e0\n"), file("method,rank\n")]);
    assert!(note.contains("a file whose first row names the columns has a header"));
    let (_, note) = csv_texts(&[]);
    assert!(note.starts_with("The numbers are still being computed"));
}
