//! The page's own prose in www/index.html, checked against the core's numbers.

use lora_explorer::format::{bytes, count_sig};
use lora_explorer::math::memory::{full_finetune_bytes, Counting, MODELS};
use lora_explorer::state::ComparisonState;

const PAGE: &str = include_str!("../../www/index.html");

#[test]
fn the_page_does_not_call_the_memory_bars_lower_bounds() {
    assert!(!PAGE.contains("lower bound"));
    assert!(PAGE.contains("one accounting, not a bound"));
    assert!(PAGE.contains("what the LoRA paper measured"));
}

#[test]
fn the_notebooks_thousandfold_memory_error_is_named() {
    let gpt3 = full_finetune_bytes(&MODELS[3], Counting::WeightsAndGradsFp32);
    assert_eq!(bytes(gpt3), "1.40 TB");
    let aside = PAGE
        .split("<h3>Where the notebook is wrong</h3>")
        .nth(1)
        .and_then(|rest| rest.split("</aside>").next())
        .unwrap();
    for text in [
        "1000× too small",
        "\"1,400 MB\"",
        "1,400 GB (1.40 TB)",
        "\"~1 GB\"",
    ] {
        assert!(aside.contains(text), "{text}");
    }
}

#[test]
fn the_model_selector_gives_the_sizes_the_table_uses() {
    for (value, model) in ComparisonState::MODEL_NAMES.iter().zip(MODELS) {
        let option = PAGE
            .split(&format!("<option value=\"{value}\""))
            .nth(1)
            .and_then(|rest| rest.split("</option>").next())
            .unwrap();
        assert!(
            option.ends_with(&format!("({})", count_sig(model.params))),
            "{value}: {option}"
        );
    }
}
