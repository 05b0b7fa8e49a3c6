//! Chapter 4's calculator: what LoRA costs on a real model. From a model's architecture and the
//! reader's choices it computes the trainable parameters as PEFT reports them, the model's total
//! checked against its published size, the adapter file, a training-memory breakdown with its
//! formulas, and the `LoraConfig` to copy. It also checks the LoRA paper's printed counts.

use crate::export::{csv_field, Download};
use crate::figures::tables::Table;
use crate::figures::FigureId;
use crate::format::{bytes, count_sig, thousands};
use crate::math::models::{
    nf4_double_quant_bits, nf4_double_quant_bytes, peft_matches, Architecture, Layout, Linear,
    ModelDtype, Published, MAX_WIDTH, PRESETS,
};
use crate::render::charts::{BreakdownBar, Part};
use crate::state::{format_float, CalculatorState, TargetSet, MODEL_IDS};

/// Which layers get an adapter.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets {
    /// A `target_modules` list, matched as PEFT matches it (the end of each layer's path).
    Names(Vec<String>),
    /// PEFT's "all-linear": every Linear layer except the output head.
    AllLinear,
}

/// A training batch's shape, for the activation estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Sequences a step.
    pub size: u64,
    /// Tokens a sequence.
    pub seq_len: u64,
}

/// The reader's choices.
#[derive(Clone, Debug, PartialEq)]
pub struct Choices {
    /// Layers to adapt.
    pub targets: Targets,
    /// The rank, PEFT's `r`.
    pub r: u64,
    /// PEFT's `lora_alpha`.
    pub alpha: f64,
    /// Ranks for some layers, PEFT's `rank_pattern`: (name, rank), the first matching name wins.
    pub rank_pattern: Vec<(String, u64)>,
    /// α for some layers, PEFT's `alpha_pattern`: (name, α), the first matching name wins.
    pub alpha_pattern: Vec<(String, f64)>,
    /// Scale by α/√r instead of α/r (rsLoRA).
    pub use_rslora: bool,
    /// DoRA: one trainable magnitude a row of each adapted weight.
    pub use_dora: bool,
    /// How the frozen weights are stored.
    pub dtype: ModelDtype,
    /// The batch for the activation estimate, or None to leave activations out.
    pub batch: Option<Batch>,
}

/// Adapted layers that share a role and a shape.
#[derive(Clone, Debug, PartialEq)]
pub struct AdaptedGroup {
    /// The layers' path without the block prefix, such as "self_attn.q_proj".
    pub role: String,
    /// How many layers.
    pub count: u64,
    /// Input features.
    pub in_features: u64,
    /// Output features.
    pub out_features: u64,
    /// Their rank.
    pub r: u64,
    /// Their α.
    pub alpha: f64,
    /// Trainable parameters of one: r·(in + out), plus out with DoRA.
    pub params_each: u64,
    /// The scale of their update: α/r, or α/√r with rsLoRA.
    pub scale: f64,
}

/// One line of the training-memory breakdown.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryLine {
    /// What is stored.
    pub what: String,
    /// Bytes, or None where the line is not counted.
    pub bytes: Option<u64>,
    /// How the bytes follow, written out; or why the line is not counted.
    pub formula: String,
}

/// What the calculator shows for a model and a set of choices.
#[derive(Clone, Debug, PartialEq)]
pub struct Calculation {
    /// The adapted layers, by role.
    pub groups: Vec<AdaptedGroup>,
    /// Trainable parameters: LoRA's A and B, and DoRA's magnitudes.
    pub trainable: u64,
    /// The model's own parameters.
    pub base: u64,
    /// What PEFT's `print_trainable_parameters()` prints (all params include the adapter's).
    pub peft_report: String,
    /// The trainable share of all parameters, in percent.
    pub trainable_percent: f64,
    /// The model's count against its published size, in a sentence, or None for a custom shape.
    pub published_check: Option<String>,
    /// Whether the count agrees with the published size (true for a custom shape).
    pub published_agrees: bool,
    /// The adapter file's tensor data in fp32.
    pub adapter_fp32_bytes: u64,
    /// The adapter file's tensor data in bf16.
    pub adapter_bf16_bytes: u64,
    /// Training memory, line by line.
    pub memory: Vec<MemoryLine>,
    /// The sum of the counted lines.
    pub memory_total: u64,
    /// The `LoraConfig`, ready to copy.
    pub config: String,
    /// What PEFT would object to, each a sentence.
    pub notices: Vec<String>,
}

/// Bytes LoRA keeps a trainable parameter: fp32 weight, fp32 gradient, Adam's two fp32 moments.
const TRAINABLE_BYTES: [(&str, u64); 3] = [
    ("LoRA weights (fp32)", 4),
    ("LoRA gradients (fp32)", 4),
    ("Adam's two moments (fp32)", 8),
];

/// The value a PEFT pattern (`rank_pattern`, `alpha_pattern`) gives the layer at `path`: the
/// first name it matches, or `default`.
fn pattern_value<T: Copy>(pattern: &[(String, T)], path: &str, default: T) -> T {
    pattern
        .iter()
        .find(|(name, _)| peft_matches(name, path))
        .map_or(default, |&(_, value)| value)
}

/// A layer's path without its block prefix: "model.layers.3.mlp.up_proj" → "mlp.up_proj".
fn role(path: &str) -> &str {
    let parts: Vec<&str> = path.split('.').collect();
    match parts
        .iter()
        .position(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        Some(idx) => {
            let head: usize = parts[..=idx].iter().map(|p| p.len() + 1).sum();
            path.get(head..).unwrap_or(path)
        }
        None => path,
    }
}

/// Whether the choices adapt `linear`.
fn adapts(targets: &Targets, linear: &Linear) -> bool {
    match targets {
        Targets::AllLinear => !linear.output_head,
        Targets::Names(names) => names.iter().any(|n| peft_matches(n, &linear.path)),
    }
}

/// What the calculator shows for `arch` under `choices`, or the shape's problems.
pub fn calculate(arch: &Architecture, choices: &Choices) -> Result<Calculation, Vec<String>> {
    let mut problems = arch.problems();
    let mut ranks = std::iter::once(choices.r).chain(choices.rank_pattern.iter().map(|&(_, r)| r));
    if ranks.any(|r| r == 0 || r > MAX_WIDTH) {
        problems.push(format!(
            "Every rank must be from 1 to {}.",
            thousands(MAX_WIDTH)
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let linears = arch.linears();
    let mut groups: Vec<AdaptedGroup> = Vec::new();
    for linear in linears.iter().filter(|l| adapts(&choices.targets, l)) {
        let r = pattern_value(&choices.rank_pattern, &linear.path, choices.r);
        let alpha = pattern_value(&choices.alpha_pattern, &linear.path, choices.alpha);
        let dora = if choices.use_dora {
            linear.out_features
        } else {
            0
        };
        let group = AdaptedGroup {
            role: role(&linear.path).to_string(),
            count: 1,
            in_features: linear.in_features,
            out_features: linear.out_features,
            r,
            alpha,
            params_each: r * (linear.in_features + linear.out_features) + dora,
            scale: scale(alpha, r, choices.use_rslora),
        };
        match groups.iter_mut().find(|g| {
            g.role == group.role
                && (g.r, g.alpha) == (r, alpha)
                && (g.in_features, g.out_features) == (group.in_features, group.out_features)
        }) {
            Some(g) => g.count += 1,
            None => groups.push(group),
        }
    }
    let trainable: u64 = groups.iter().map(|g| g.count * g.params_each).sum();
    let base = arch.total_params();
    let all = base + trainable;
    let trainable_percent = 100.0 * trainable as f64 / all as f64;
    let (published_check, published_agrees) = match arch.published {
        Some(published) => {
            let (text, agrees) = published_sentence(base, published);
            (Some(text), agrees)
        }
        None => (None, true),
    };
    let (memory, memory_total) = memory(arch, &linears, trainable, choices);
    Ok(Calculation {
        groups,
        trainable,
        base,
        peft_report: format!(
            "trainable params: {} || all params: {} || trainable%: {trainable_percent:.4}",
            thousands(trainable),
            thousands(all)
        ),
        trainable_percent,
        published_check,
        published_agrees,
        adapter_fp32_bytes: trainable * 4,
        adapter_bf16_bytes: trainable * 2,
        memory,
        memory_total,
        config: lora_config(arch, choices),
        notices: notices(&linears, choices),
    })
}

/// The scale of an update at rank r: α/r, or α/√r with rsLoRA.
pub fn scale(alpha: f64, r: u64, rslora: bool) -> f64 {
    let r = r.max(1) as f64;
    if rslora {
        alpha / r.sqrt()
    } else {
        alpha / r
    }
}

/// The count against the published size: a sentence, and whether they agree.
fn published_sentence(count: u64, published: Published) -> (String, bool) {
    match published {
        Published::Exact(n) if n == count => (
            format!(
                "{}: the published count, to the parameter.",
                thousands(count)
            ),
            true,
        ),
        Published::Exact(n) => (
            format!(
                "{} counted, against {} published: {} apart.",
                thousands(count),
                thousands(n),
                thousands(count.abs_diff(n))
            ),
            false,
        ),
        Published::Rounded(n) => {
            let agrees = count_sig(count) == count_sig(n);
            let verdict = if agrees { "which is" } else { "which is not" };
            (
                format!(
                    "{}, {verdict} the published {} to three significant figures.",
                    thousands(count),
                    count_sig(n)
                ),
                agrees,
            )
        }
    }
}

/// The names PEFT would reject: a `target_modules` or `rank_pattern` name that matches no layer.
fn notices(linears: &[Linear], choices: &Choices) -> Vec<String> {
    let unmatched = |name: &str| !linears.iter().any(|l| peft_matches(name, &l.path));
    let mut out = Vec::new();
    if let Targets::Names(names) = &choices.targets {
        if names.is_empty() {
            out.push("No target modules are chosen: PEFT needs at least one.".to_string());
        }
        for name in names.iter().filter(|n| unmatched(n)) {
            out.push(format!(
                "\"{name}\" matches no layer of this model: PEFT stops with a ValueError when no \
                 target matches, and otherwise ignores it."
            ));
        }
    }
    for (name, _) in choices.rank_pattern.iter().filter(|(n, _)| unmatched(n)) {
        out.push(format!(
            "The rank_pattern name \"{name}\" matches no layer of this model."
        ));
    }
    out
}

/// The training-memory breakdown and its total.
fn memory(
    arch: &Architecture,
    linears: &[Linear],
    trainable: u64,
    choices: &Choices,
) -> (Vec<MemoryLine>, u64) {
    let base = arch.total_params();
    let quantised: Vec<&Linear> = linears.iter().filter(|l| !l.output_head).collect();
    let q_weights: u64 = quantised.iter().map(|l| l.weights()).sum();
    let rest = base - q_weights;
    let (base_bytes, base_formula) = match choices.dtype {
        ModelDtype::Fp32 => (base * 4, format!("{} parameters × 4 B", thousands(base))),
        ModelDtype::Bf16 => (base * 2, format!("{} parameters × 2 B", thousands(base))),
        ModelDtype::Int8 => {
            let rows: u64 = quantised.iter().map(|l| l.out_features).sum();
            (
                q_weights + rows * 4 + rest * 2,
                format!(
                    "{} Linear weights × 1 B + {} output rows × 4 B (fp32 scales) + {} other \
                     parameters × 2 B (bf16)",
                    thousands(q_weights),
                    thousands(rows),
                    thousands(rest)
                ),
            )
        }
        ModelDtype::Nf4 => (
            nf4_double_quant_bytes(q_weights) + rest * 2,
            format!(
                "{} Linear weights × {:.3} bits (4 + 8/64 + 32/(64·256)) + {} other parameters × \
                 2 B (bf16)",
                thousands(q_weights),
                nf4_double_quant_bits(),
                thousands(rest)
            ),
        ),
    };
    let mut lines = vec![MemoryLine {
        what: format!("Base weights, frozen ({})", choices.dtype.name()),
        bytes: Some(base_bytes),
        formula: format!("{base_formula} = {}", bytes(base_bytes)),
    }];
    for (what, per) in TRAINABLE_BYTES {
        lines.push(MemoryLine {
            what: what.to_string(),
            bytes: Some(trainable * per),
            formula: format!(
                "{} parameters × {per} B = {}",
                thousands(trainable),
                bytes(trainable * per)
            ),
        });
    }
    lines.push(activations(arch, choices.batch));
    let total = lines.iter().filter_map(|l| l.bytes).sum();
    (lines, total)
}

/// The activation line: Korthikanti et al.'s estimate for a batch, or a note that it is left out.
fn activations(arch: &Architecture, batch: Option<Batch>) -> MemoryLine {
    let what = "Activations".to_string();
    let Some(batch) = batch else {
        return MemoryLine {
            what,
            bytes: None,
            formula: "Not counted: they grow with the batch size and the sequence length; give \
                      both to estimate them."
                .to_string(),
        };
    };
    let (l, s, b, h, a) = (
        arch.layers,
        batch.seq_len,
        batch.size,
        arch.hidden,
        arch.heads,
    );
    let total = l
        .saturating_mul(s)
        .saturating_mul(b)
        .saturating_mul((34 * h).saturating_add((5 * a).saturating_mul(s)));
    MemoryLine {
        what,
        bytes: Some(total),
        formula: format!(
            "L·s·b·(34·h + 5·a·s) B = {l} · {s} · {b} · (34 · {h} + 5 · {a} · {s}) B = {}: an \
             estimate (Korthikanti et al., 2022) for 16-bit activations of a GPT-style block, kept \
             for the backward pass, without recomputation or fused attention.",
            bytes(total)
        ),
    }
}

/// A Python string literal of `text`.
fn py_str(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars().filter(|c| !c.is_control()) {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A comment for the `LoraConfig` when a later pattern name would also match an earlier one's
/// layers, so the order of the entries matters.
fn pattern_order_note<T>(pattern: &[(String, T)]) -> Option<String> {
    pattern.iter().enumerate().find_map(|(i, (first, _))| {
        pattern[i + 1..]
            .iter()
            .find(|(later, _)| peft_matches(later, first))
            .map(|(later, _)| {
                format!(
                    "    # {} also matches {}: PEFT takes the first name that matches, so {} \
                     comes first.\n",
                    py_str(later),
                    py_str(first),
                    py_str(first)
                )
            })
    })
}

/// PEFT's `LoraConfig` for the choices, with the quantisation config when the model is quantised.
pub fn lora_config(arch: &Architecture, choices: &Choices) -> String {
    let mut out = String::new();
    match choices.dtype {
        ModelDtype::Nf4 => {
            out.push_str("import torch\nfrom transformers import BitsAndBytesConfig\n")
        }
        ModelDtype::Int8 => out.push_str("from transformers import BitsAndBytesConfig\n"),
        ModelDtype::Fp32 | ModelDtype::Bf16 => {}
    }
    out.push_str("from peft import LoraConfig\n\n");
    out.push_str(&format!("# For {}: {}.\n", arch.name, arch.source));
    match choices.dtype {
        ModelDtype::Nf4 => out.push_str(
            "quantization_config = BitsAndBytesConfig(\n    load_in_4bit=True,\n    \
             bnb_4bit_quant_type=\"nf4\",\n    bnb_4bit_use_double_quant=True,\n    \
             bnb_4bit_compute_dtype=torch.bfloat16,\n)\n",
        ),
        ModelDtype::Int8 => {
            out.push_str("quantization_config = BitsAndBytesConfig(load_in_8bit=True)\n")
        }
        ModelDtype::Fp32 | ModelDtype::Bf16 => {}
    }
    let targets = match &choices.targets {
        Targets::AllLinear => py_str("all-linear"),
        Targets::Names(names) => {
            let quoted: Vec<String> = names.iter().map(|n| py_str(n)).collect();
            format!("[{}]", quoted.join(", "))
        }
    };
    out.push_str(&format!(
        "config = LoraConfig(\n    r={},\n    lora_alpha={},\n    target_modules={targets},\n",
        choices.r,
        format_float(choices.alpha)
    ));
    if let Some(note) = pattern_order_note(&choices.rank_pattern) {
        out.push_str(&note);
    }
    if !choices.rank_pattern.is_empty() {
        let entries: Vec<String> = choices
            .rank_pattern
            .iter()
            .map(|(name, r)| format!("{}: {r}", py_str(name)))
            .collect();
        out.push_str(&format!("    rank_pattern={{{}}},\n", entries.join(", ")));
    }
    if !choices.alpha_pattern.is_empty() {
        let entries: Vec<String> = choices
            .alpha_pattern
            .iter()
            .map(|(name, a)| format!("{}: {}", py_str(name), format_float(*a)))
            .collect();
        out.push_str(&format!("    alpha_pattern={{{}}},\n", entries.join(", ")));
    }
    if choices.use_rslora {
        out.push_str("    use_rslora=True,  # the scale is alpha / sqrt(r)\n");
    }
    if choices.use_dora {
        out.push_str("    use_dora=True,\n");
    }
    if arch.layout.fan_in_fan_out() {
        out.push_str("    fan_in_fan_out=True,  # Conv1D stores its weight as (in, out)\n");
    }
    out.push_str(&format!(
        "    lora_dropout=0.0,\n    bias=\"none\",\n    task_type=\"{}\",\n)\n",
        arch.layout.task_type()
    ));
    out
}

/// A trainable-parameter count printed in the LoRA paper (Hu et al., 2021), with its setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaperRow {
    /// The table, as numbered in the paper's second arXiv version.
    pub table: &'static str,
    /// The model, as the table names it.
    pub model: &'static str,
    /// The name of the calculator's preset of that model, if it has one.
    pub preset: Option<&'static str>,
    /// The `target_modules` that adapt the row's matrices on the preset.
    pub targets: &'static [&'static str],
    /// d_model.
    pub d_model: u64,
    /// Transformer blocks.
    pub layers: u64,
    /// Matrices adapted a block.
    pub matrices: u64,
    /// The rank.
    pub r: u64,
    /// The setting, in words.
    pub setting: &'static str,
    /// The count as printed.
    pub printed: &'static str,
    /// Why the printed count differs, where it does.
    pub why: &'static str,
}

/// The paper's LoRA rows, in table order.
pub const PAPER_ROWS: [PaperRow; 8] = [
    PaperRow {
        table: "Table 2",
        model: "RoBERTa base",
        preset: Some("RoBERTa-base"),
        targets: &["query", "value"],
        d_model: 768,
        layers: 12,
        matrices: 2,
        r: 8,
        setting: "r = 8 on W_q and W_v",
        printed: "0.3M",
        why: "",
    },
    PaperRow {
        table: "Table 2",
        model: "RoBERTa large",
        preset: Some("RoBERTa-large"),
        targets: &["query", "value"],
        d_model: 1024,
        layers: 24,
        matrices: 2,
        r: 8,
        setting: "r = 8 on W_q and W_v",
        printed: "0.8M",
        why: "",
    },
    PaperRow {
        table: "Table 2",
        model: "DeBERTa XXL",
        preset: None,
        targets: &[],
        d_model: 1536,
        layers: 48,
        matrices: 2,
        r: 16,
        setting: "r = 16 on W_q and W_v, the rank of the paper's released DeBERTa scripts",
        printed: "4.7M",
        why: "",
    },
    PaperRow {
        table: "Table 3",
        model: "GPT-2 M",
        preset: Some("GPT-2 Medium (355M)"),
        targets: &["c_attn"],
        d_model: 1024,
        layers: 24,
        matrices: 2,
        r: 4,
        setting: "r = 4 on W_q and W_v, the paper's setting for GPT-2",
        printed: "0.35M",
        why: "The paper's released GPT-2 code trains this count too (r = 4 on W_q and W_v inside \
              the fused c_attn), and so does PEFT with r = 4 on c_attn, r·(d + 3d) a block. The \
              paper does not say how the printed figure was reached.",
    },
    PaperRow {
        table: "Table 3",
        model: "GPT-2 L",
        preset: Some("GPT-2 Large (774M)"),
        targets: &["c_attn"],
        d_model: 1280,
        layers: 36,
        matrices: 2,
        r: 4,
        setting: "r = 4 on W_q and W_v, the paper's setting for GPT-2",
        printed: "0.77M",
        why: "The paper's released GPT-2 code trains this count too, and so does PEFT with r = 4 \
              on c_attn. The paper does not say how the printed figure was reached.",
    },
    PaperRow {
        table: "Table 4",
        model: "GPT-3 (LoRA)",
        preset: Some("GPT-3 (175B)"),
        targets: &["q_proj", "v_proj"],
        d_model: 12_288,
        layers: 96,
        matrices: 2,
        r: 1,
        setting: "r = 1 on W_q and W_v (W_v alone at r = 2 trains as many)",
        printed: "4.7M",
        why: "",
    },
    PaperRow {
        table: "Table 4",
        model: "GPT-3 (LoRA)",
        preset: Some("GPT-3 (175B)"),
        targets: &["q_proj", "v_proj"],
        d_model: 12_288,
        layers: 96,
        matrices: 2,
        r: 8,
        setting: "r = 8 on W_q and W_v",
        printed: "37.7M",
        why: "",
    },
    PaperRow {
        table: "Table 5",
        model: "GPT-3, every column",
        preset: Some("GPT-3 (175B)"),
        targets: &["q_proj"],
        d_model: 12_288,
        layers: 96,
        matrices: 1,
        r: 8,
        setting: "r = 8 on one matrix type (r = 4 on two, r = 2 on four train as many)",
        printed: "18M",
        why: "The table's heading rounds the budget down to a whole million. In fp16 the budget \
              takes 37,748,736 B (36 MiB); the text calls it roughly 35MB.",
    },
];

/// A paper row checked: the formula's count and what it says.
#[derive(Clone, Debug, PartialEq)]
pub struct PaperCheck {
    /// The row.
    pub row: PaperRow,
    /// |Θ| = 2 × L̂ × d_model × r, with L̂ = layers × matrices.
    pub computed: u64,
    /// The computed count in millions, to the printed number of decimals.
    pub shown: String,
    /// Whether that is what the paper prints.
    pub matches: bool,
    /// The row for readers: the formula, and where it differs, the printed count and why.
    pub text: String,
}

/// Every paper row, checked against the paper's formula |Θ| = 2 × L̂_LoRA × d_model × r.
pub fn paper_checks() -> Vec<PaperCheck> {
    PAPER_ROWS
        .iter()
        .map(|&row| {
            let l_hat = row.layers * row.matrices;
            let computed = 2 * l_hat * row.d_model * row.r;
            let decimals = row
                .printed
                .trim_end_matches('M')
                .split_once('.')
                .map_or(0, |(_, frac)| frac.len());
            let shown = format!("{:.*}M", decimals, computed as f64 / 1e6);
            let matches = shown == row.printed;
            let formula = format!(
                "2 × {l_hat} × {} × {} = {}",
                thousands(row.d_model),
                row.r,
                thousands(computed)
            );
            let text = if matches {
                format!(
                    "{}, {}: at {}, {formula} ({shown}), as printed.",
                    row.table, row.model, row.setting
                )
            } else {
                format!(
                    "{}, {}: printed {}; at {}, the paper's formula gives {formula} ({shown}). {}",
                    row.table, row.model, row.printed, row.setting, row.why
                )
            };
            PaperCheck {
                row,
                computed,
                shown,
                matches,
                text,
            }
        })
        .collect()
}

/// The choices that give a paper row's count on its preset: its targets, its rank, α = r, bf16.
pub fn paper_choices(row: &PaperRow) -> Choices {
    Choices {
        targets: Targets::Names(row.targets.iter().map(|t| t.to_string()).collect()),
        r: row.r,
        alpha: row.r as f64,
        rank_pattern: Vec::new(),
        alpha_pattern: Vec::new(),
        use_rslora: false,
        use_dora: false,
        dtype: ModelDtype::Bf16,
        batch: None,
    }
}

/// The `target_modules` of target set `set` on a model laid out as `layout`. GPT-2 fuses W_q, W_k
/// and W_v in one `Conv1D`, so on GPT-2 the query-and-value set adapts all three; an encoder's
/// MLP output, "output.dense", also matches W_o's path.
pub fn targets_for(set: TargetSet, layout: Layout) -> Targets {
    let names: &[&str] = match (set, layout) {
        (TargetSet::AllLinear, _) => return Targets::AllLinear,
        (TargetSet::QueryValue, Layout::Encoder) => &["query", "value"],
        (TargetSet::QueryValue, Layout::Gpt2) => &["c_attn"],
        (TargetSet::QueryValue, Layout::Gpt3 | Layout::Llama) => &["q_proj", "v_proj"],
        (TargetSet::Attention, Layout::Encoder) => {
            &["query", "key", "value", "attention.output.dense"]
        }
        (TargetSet::Attention, Layout::Gpt2) => &["c_attn", "attn.c_proj"],
        (TargetSet::Attention, Layout::Gpt3) => &["q_proj", "k_proj", "v_proj", "out_proj"],
        (TargetSet::Attention, Layout::Llama) => &["q_proj", "k_proj", "v_proj", "o_proj"],
        (TargetSet::Mlp, Layout::Encoder) => &["intermediate.dense", "output.dense"],
        (TargetSet::Mlp, Layout::Gpt2) => &["c_fc", "mlp.c_proj"],
        (TargetSet::Mlp, Layout::Gpt3) => &["fc1", "fc2"],
        (TargetSet::Mlp, Layout::Llama) => &["gate_proj", "up_proj", "down_proj"],
    };
    Targets::Names(names.iter().map(|n| n.to_string()).collect())
}

/// Where a custom shape of `layout` comes from, for the `LoraConfig`'s comment.
fn custom_source(layout: Layout) -> &'static str {
    match layout {
        Layout::Encoder => "laid out as a BERT/RoBERTa encoder (512 positions, 2 token types)",
        Layout::Gpt2 => "laid out as GPT-2 (1,024 positions, a tied output head)",
        Layout::Gpt3 => "laid out as GPT-3 (2,048 positions, a tied output head)",
        Layout::Llama => "laid out as LLaMA (rotary positions, an untied output head)",
    }
}

/// The model the calculator's state chooses: a preset, or the custom shape of its sliders, whose
/// positions, token types and tied head follow its family.
pub fn model_of(state: &CalculatorState) -> Architecture {
    if let Some(preset) = PRESETS.get(state.model) {
        return *preset;
    }
    let layout = state.family;
    let (positions, token_types, tied) = match layout {
        Layout::Encoder => (512, 2, false),
        Layout::Gpt2 => (1024, 0, true),
        Layout::Gpt3 => (2048, 0, true),
        Layout::Llama => (0, 0, false),
    };
    Architecture {
        name: "Custom shape",
        source: custom_source(layout),
        layout,
        hidden: u64::from(state.hidden),
        layers: u64::from(state.layers),
        heads: u64::from(state.heads),
        kv_heads: if layout == Layout::Llama {
            u64::from(state.kv_heads)
        } else {
            u64::from(state.heads)
        },
        intermediate: u64::from(state.intermediate),
        vocab: u64::from(state.vocab),
        positions,
        token_types,
        tied_embeddings: tied,
        published: None,
    }
}

/// The pattern names that give the MLP of a model laid out as `layout` a rank and α of its own,
/// in the order PEFT tries them (the first name that matches a layer decides), each with whether
/// it names MLP layers. An encoder's "output.dense" also matches the attention output's path, so
/// "attention.output.dense" comes first and keeps the attention's rank.
fn mlp_pattern_names(layout: Layout) -> &'static [(&'static str, bool)] {
    match layout {
        Layout::Encoder => &[
            ("attention.output.dense", false),
            ("intermediate.dense", true),
            ("output.dense", true),
        ],
        Layout::Gpt2 => &[("c_fc", true), ("mlp.c_proj", true)],
        Layout::Gpt3 => &[("fc1", true), ("fc2", true)],
        Layout::Llama => &[("gate_proj", true), ("up_proj", true), ("down_proj", true)],
    }
}

/// The pattern names that decide an adapted layer's rank: each MLP name that is the first to
/// match some adapted layer, and each other name that keeps such a layer from an MLP name, with
/// whether it names MLP layers.
fn mlp_pattern(arch: &Architecture, targets: &Targets) -> Vec<(&'static str, bool)> {
    let names = mlp_pattern_names(arch.layout);
    let first_match = |path: &str| names.iter().find(|(name, _)| peft_matches(name, path));
    let adapted: Vec<Linear> = arch
        .linears()
        .into_iter()
        .filter(|l| adapts(targets, l))
        .collect();
    let deciding = |name: &str| {
        adapted
            .iter()
            .filter(|l| first_match(&l.path).is_some_and(|(n, _)| *n == name))
            .collect::<Vec<_>>()
    };
    let mlp: Vec<&str> = names
        .iter()
        .filter(|(name, is_mlp)| *is_mlp && !deciding(name).is_empty())
        .map(|&(name, _)| name)
        .collect();
    names
        .iter()
        .filter(|(name, _)| {
            deciding(name)
                .iter()
                .any(|l| mlp.iter().any(|m| peft_matches(m, &l.path)))
        })
        .copied()
        .collect()
}

/// The reader's choices in the calculator's state, for model `arch`.
pub fn choices_of(state: &CalculatorState, arch: &Architecture) -> Choices {
    let targets = targets_for(state.targets, arch.layout);
    let pattern = if state.per_type {
        mlp_pattern(arch, &targets)
    } else {
        Vec::new()
    };
    let (r, mlp_r) = (u64::from(state.r), u64::from(state.mlp_r));
    let rank_pattern = pattern
        .iter()
        .map(|&(name, mlp)| (name.to_string(), if mlp { mlp_r } else { r }))
        .collect();
    let alpha_pattern = if state.mlp_alpha == state.alpha {
        Vec::new()
    } else {
        pattern
            .iter()
            .map(|&(name, mlp)| {
                let alpha = if mlp { state.mlp_alpha } else { state.alpha };
                (name.to_string(), alpha)
            })
            .collect()
    };
    Choices {
        targets,
        r,
        alpha: state.alpha,
        rank_pattern,
        alpha_pattern,
        use_rslora: state.rslora,
        use_dora: state.dora,
        dtype: state.dtype,
        batch: state.activations.then_some(Batch {
            size: u64::from(state.batch),
            seq_len: u64::from(state.seq_len),
        }),
    }
}

/// Everything the calculator's chapter writes at a state, as text and chart bars.
#[derive(Clone, Debug, PartialEq)]
pub struct Readout {
    /// The model and its shape, in a sentence.
    pub model: String,
    /// Each `target_modules` name and what it adapts on this model.
    pub targets: Vec<String>,
    /// What stops the count (a shape that is not a model), or what PEFT would object to, or what
    /// a reader should know about the settings; each a sentence.
    pub notes: Vec<String>,
    /// Whether the shape could be counted.
    pub counted: bool,
    /// What PEFT's `print_trainable_parameters()` prints.
    pub peft_report: String,
    /// The trainable count, in a sentence.
    pub headline: String,
    /// The model's count against its published size.
    pub published: String,
    /// The update's scale.
    pub scale: String,
    /// The adapter file's size.
    pub adapter: String,
    /// The adapted layers: role, how many, shape, rank, parameters each, parameters in all.
    pub groups: Vec<[String; 6]>,
    /// The memory breakdown: what, how much, how it follows.
    pub memory_rows: Vec<[String; 3]>,
    /// The memory breakdown's bars.
    pub memory_bars: Vec<BreakdownBar>,
    /// The memory chart in a sentence, for screen readers.
    pub memory_summary: String,
    /// The memory total and full fine-tuning's, for comparison.
    pub memory_caption: String,
    /// The `LoraConfig` to copy.
    pub config: String,
}

/// The shape of `arch` in a sentence.
fn shape_sentence(arch: &Architecture) -> String {
    let kv = if arch.kv_heads == arch.heads {
        String::new()
    } else {
        format!(" ({} key/value heads)", arch.kv_heads)
    };
    format!(
        "{}, {}: a {} of {} blocks, width {}, {} attention heads{kv}, MLP width {}, a vocabulary of \
         {} tokens.",
        arch.name,
        arch.source,
        arch.layout.name(),
        arch.layers,
        thousands(arch.hidden),
        arch.heads,
        thousands(arch.intermediate),
        thousands(arch.vocab)
    )
}

/// What each target name adapts on `layout`.
fn target_lines(targets: &Targets, layout: Layout) -> Vec<String> {
    match targets {
        Targets::AllLinear => vec![match layout {
            Layout::Encoder => "\"all-linear\": every Linear layer of every block, and the pooler \
                                (an encoder has no output head to leave out)."
                .to_string(),
            _ => "\"all-linear\": every Linear layer of every block; PEFT leaves the output head, \
                  lm_head, out."
                .to_string(),
        }],
        Targets::Names(names) => names
            .iter()
            .map(|name| {
                let what = layout
                    .target_names()
                    .iter()
                    .find(|t| t.name == name)
                    .map_or("no layer of this family", |t| t.what);
                format!("\"{name}\": {what}.")
            })
            .collect(),
    }
}

/// α/r (or α/√r) worked out: "16/8 = 2", or "16/√8 = 5.66".
fn scale_worked(alpha: f64, r: u64, rslora: bool) -> String {
    let value = scale(alpha, r, rslora);
    let rounded = crate::format::significant(value, 3);
    // Exact in three figures (2, 0.5): written without trailing zeros.
    let value = if rounded.parse() == Ok(value) {
        format_float(value)
    } else {
        rounded
    };
    let root = if rslora { "√" } else { "" };
    format!("{}/{root}{r} = {value}", format_float(alpha))
}

/// The scale of the update in a sentence; `mlp` is the MLP's own rank and α, if it has them.
fn scale_sentence(choices: &Choices, mlp: Option<(u64, f64)>) -> String {
    let (formula, rslora) = if choices.use_rslora {
        ("α/√r", " (rsLoRA)")
    } else {
        ("α/r", "")
    };
    let worked = scale_worked(choices.alpha, choices.r, choices.use_rslora);
    match mlp {
        None => format!("Each update is scaled by {formula} = {worked}{rslora}."),
        Some((r, alpha)) => format!(
            "The MLP's updates are scaled by {formula} = {}{rslora}, every other update by {worked}.",
            scale_worked(alpha, r, choices.use_rslora)
        ),
    }
}

/// Notes on ranks larger than a layer can use.
fn rank_notes(calc: &Calculation) -> Vec<String> {
    calc.groups
        .iter()
        .filter(|g| g.r > g.in_features.min(g.out_features))
        .map(|g| {
            format!(
                "r = {} is more than {} ({} → {}) can use: the update's rank is at most {}, so the \
                 extra parameters add nothing.",
                g.r,
                g.role,
                thousands(g.in_features),
                thousands(g.out_features),
                thousands(g.in_features.min(g.out_features))
            )
        })
        .collect()
}

/// Bytes a parameter full fine-tuning keeps with Adam in mixed precision: fp16 weight and
/// gradient, fp32 master weight and Adam's two fp32 moments.
const FULL_FINE_TUNING_BYTES: u64 = 16;

/// What the calculator's chapter shows for `state`.
pub fn readout(state: &CalculatorState) -> Readout {
    let arch = model_of(state);
    let choices = choices_of(state, &arch);
    let mlp =
        (!choices.rank_pattern.is_empty()).then_some((u64::from(state.mlp_r), state.mlp_alpha));
    let scale = scale_sentence(&choices, mlp);
    let targets = target_lines(&choices.targets, arch.layout);
    let config = lora_config(&arch, &choices);
    let model = shape_sentence(&arch);
    let calc = match calculate(&arch, &choices) {
        Ok(calc) => calc,
        Err(problems) => {
            return Readout {
                model,
                targets,
                notes: problems,
                counted: false,
                peft_report: String::new(),
                headline: "This shape is not a model yet: change what is listed above.".to_string(),
                published: String::new(),
                scale,
                adapter: String::new(),
                groups: Vec::new(),
                memory_rows: Vec::new(),
                memory_bars: Vec::new(),
                memory_summary: "Nothing to count.".to_string(),
                memory_caption: String::new(),
                config,
            };
        }
    };
    let mut notes = calc.notices.clone();
    if state.per_type && choices.rank_pattern.is_empty() {
        notes.push(
            "No MLP layer is adapted, so the MLP's own rank and α change nothing: choose layers \
             that include the MLP's."
                .to_string(),
        );
    }
    notes.extend(rank_notes(&calc));
    let layers: u64 = calc.groups.iter().map(|g| g.count).sum();
    let headline = format!(
        "{} trainable parameters in {} adapted layers: {}% of the {} parameters PEFT reports, the \
         model's and the adapter's together.",
        thousands(calc.trainable),
        thousands(layers),
        crate::format::significant(calc.trainable_percent, 3),
        thousands(calc.base + calc.trainable)
    );
    let published = calc.published_check.clone().unwrap_or_else(|| {
        format!(
            "{} parameters. A custom shape has no published size to check the count against.",
            thousands(calc.base)
        )
    });
    let adapter = format!(
        "The adapter file holds {} numbers: {} in fp32 (PEFT trains and saves the adapter in fp32 \
         unless told otherwise), {} in bf16, plus a small header naming each tensor. The model's \
         own weights are not in it.",
        thousands(calc.trainable),
        bytes(calc.adapter_fp32_bytes),
        bytes(calc.adapter_bf16_bytes)
    );
    let groups = calc
        .groups
        .iter()
        .map(|g| {
            let dora = if choices.use_dora {
                format!(" + {}", thousands(g.out_features))
            } else {
                String::new()
            };
            [
                g.role.clone(),
                thousands(g.count),
                format!(
                    "{} → {}",
                    thousands(g.in_features),
                    thousands(g.out_features)
                ),
                g.r.to_string(),
                format!(
                    "{} × ({} + {}){dora} = {}",
                    g.r,
                    thousands(g.in_features),
                    thousands(g.out_features),
                    thousands(g.params_each)
                ),
                thousands(g.count * g.params_each),
            ]
        })
        .collect();
    let memory_rows = calc
        .memory
        .iter()
        .map(|line| {
            [
                line.what.clone(),
                line.bytes.map_or("not counted".to_string(), bytes),
                line.formula.clone(),
            ]
        })
        .collect();
    let memory_bars: Vec<BreakdownBar> = calc
        .memory
        .iter()
        .enumerate()
        .map(|(idx, line)| BreakdownBar {
            label: line.what.clone(),
            bytes: line.bytes,
            part: match idx {
                0 => Part::Frozen,
                i if i + 1 == calc.memory.len() => Part::Activations,
                _ => Part::Trainable,
            },
        })
        .collect();
    let summary_parts: Vec<String> = calc
        .memory
        .iter()
        .map(|line| {
            format!(
                "{} {}",
                line.what,
                line.bytes.map_or("not counted".to_string(), bytes)
            )
        })
        .collect();
    let memory_summary = format!(
        "Bar chart of training memory, {} in all: {}.",
        bytes(calc.memory_total),
        summary_parts.join(", ")
    );
    let full = calc.base.saturating_mul(FULL_FINE_TUNING_BYTES);
    let activations = if choices.batch.is_some() {
        "with activations"
    } else {
        "without activations"
    };
    let without_activations: u64 = calc.memory[..calc.memory.len().saturating_sub(1)]
        .iter()
        .filter_map(|l| l.bytes)
        .sum();
    let memory_caption = format!(
        "{} in all, {activations}. Full fine-tuning with Adam in mixed precision keeps 16 B for \
         each of the model's {} parameters (fp16 weight and gradient, fp32 master weight, Adam's \
         two moments): {} before activations, {} what the frozen model and the adapter's state \
         take here.",
        bytes(calc.memory_total),
        thousands(calc.base),
        bytes(full),
        crate::format::ratio(full as f64 / without_activations.max(1) as f64)
    );
    Readout {
        model,
        targets,
        notes,
        counted: true,
        peft_report: calc.peft_report.clone(),
        headline,
        published,
        scale,
        adapter,
        groups,
        memory_rows,
        memory_bars,
        memory_summary,
        memory_caption,
        config,
    }
}

/// The paper-check table: for each of the LoRA paper's rows, the table, the model, its setting,
/// the printed count, the paper's formula worked out, PEFT's count on the calculator's preset of
/// the model, and whether the printed count is the formula's (and if not, why not).
pub fn paper_rows() -> Vec<[String; 7]> {
    paper_checks()
        .into_iter()
        .map(|check| {
            let row = check.row;
            let peft = match paper_peft(&row) {
                Some((arch, Ok(count))) => format!(
                    "{} with target_modules {} at r = {} on {}",
                    thousands(count),
                    row.targets.join(" and "),
                    row.r,
                    arch.name
                ),
                Some((_, Err(problems))) => problems.join(" "),
                None => "Not among the calculator's models.".to_string(),
            };
            let l_hat = row.layers * row.matrices;
            let formula = format!(
                "2 × {l_hat} × {} × {} = {} ({})",
                thousands(row.d_model),
                row.r,
                thousands(check.computed),
                check.shown
            );
            let verdict = if check.matches {
                "As printed.".to_string()
            } else {
                format!("Differs. {}", row.why)
            };
            [
                row.table.to_string(),
                row.model.to_string(),
                row.setting.to_string(),
                row.printed.to_string(),
                formula,
                peft,
                verdict,
            ]
        })
        .collect()
}

/// PEFT's count of a paper row on the calculator's preset of its model, if it has one.
fn paper_peft(row: &PaperRow) -> Option<(&'static Architecture, Result<u64, Vec<String>>)> {
    let arch = PRESETS.iter().find(|a| Some(a.name) == row.preset)?;
    Some((
        arch,
        calculate(arch, &paper_choices(row)).map(|calc| calc.trainable),
    ))
}

/// The calculator's figures, each with CSV files and a data table.
pub const FIGURES: [FigureId; 3] = [
    FigureId::Calculator,
    FigureId::CalculatorMemory,
    FigureId::PaperCheck,
];

/// The model and its calculation at `state`, or None for a shape that is not a model.
fn calculation(state: &CalculatorState) -> Option<(Architecture, Calculation)> {
    let arch = model_of(state);
    let calc = calculate(&arch, &choices_of(state, &arch)).ok()?;
    Some((arch, calc))
}

/// A number for a CSV file: the shortest text that reads back as the same f64.
fn csv_number(x: f64) -> String {
    format!("{x}")
}

/// The CSV files of `figure` at `state`: one row an adapted group and the totals for the
/// calculator, one row a line of memory, one row a paper row. Empty for a shape that is not a
/// model, and for the inspector's figures.
pub fn downloads(figure: FigureId, state: &CalculatorState) -> Vec<Download> {
    let model = MODEL_IDS.get(state.model).copied().unwrap_or("custom");
    match figure {
        FigureId::Calculator => {
            let Some((_, calc)) = calculation(state) else {
                return Vec::new();
            };
            let mut groups = String::from(
                "layers,count,in_features,out_features,r,alpha,scale,params_each,params\n",
            );
            for g in &calc.groups {
                groups += &format!(
                    "{},{},{},{},{},{},{},{},{}\n",
                    csv_field(&g.role),
                    g.count,
                    g.in_features,
                    g.out_features,
                    g.r,
                    csv_number(g.alpha),
                    csv_number(g.scale),
                    g.params_each,
                    g.count * g.params_each
                );
            }
            let totals = format!(
                "quantity,value\ntrainable_params,{}\nmodel_params,{}\nall_params,{}\n\
                 trainable_percent,{}\nadapter_fp32_bytes,{}\nadapter_bf16_bytes,{}\n",
                calc.trainable,
                calc.base,
                calc.base + calc.trainable,
                csv_number(calc.trainable_percent),
                calc.adapter_fp32_bytes,
                calc.adapter_bf16_bytes
            );
            vec![
                Download {
                    name: format!("lora-explorer-calculator-{model}-layers.csv"),
                    text: groups,
                },
                Download {
                    name: format!("lora-explorer-calculator-{model}-totals.csv"),
                    text: totals,
                },
            ]
        }
        FigureId::CalculatorMemory => {
            let Some((_, calc)) = calculation(state) else {
                return Vec::new();
            };
            let mut text = String::from("what,bytes,formula\n");
            for line in &calc.memory {
                text += &format!(
                    "{},{},{}\n",
                    csv_field(&line.what),
                    line.bytes.map_or_else(String::new, |b| b.to_string()),
                    csv_field(&line.formula)
                );
            }
            text += &format!("Total counted,{},\n", calc.memory_total);
            vec![Download {
                name: format!("lora-explorer-training-memory-{model}.csv"),
                text,
            }]
        }
        FigureId::PaperCheck => {
            let mut text = String::from(
                "table,model,setting,printed,d_model,layers,matrices,r,formula_params,\
                 peft_params,as_printed,why\n",
            );
            for check in paper_checks() {
                let row = check.row;
                let peft = match paper_peft(&row) {
                    Some((_, Ok(count))) => count.to_string(),
                    _ => String::new(),
                };
                let cells = [
                    csv_field(row.table),
                    csv_field(row.model),
                    csv_field(row.setting),
                    csv_field(row.printed),
                    row.d_model.to_string(),
                    row.layers.to_string(),
                    row.matrices.to_string(),
                    row.r.to_string(),
                    check.computed.to_string(),
                    peft,
                    check.matches.to_string(),
                    csv_field(row.why),
                ];
                text += &cells.join(",");
                text.push('\n');
            }
            vec![Download {
                name: "lora-explorer-lora-paper-counts.csv".to_string(),
                text,
            }]
        }
        _ => Vec::new(),
    }
}

/// The data tables of `figure` at `state`: the adapted groups and the totals for the calculator,
/// each memory line's exact bytes, and the paper's rows as numbers. Empty for a shape that is not
/// a model, and for the inspector's figures.
pub fn tables(figure: FigureId, state: &CalculatorState) -> Vec<Table> {
    match figure {
        FigureId::Calculator => calculation(state)
            .map(|(arch, calc)| calculator_tables(&arch, &calc))
            .unwrap_or_default(),
        FigureId::CalculatorMemory => calculation(state)
            .map(|(arch, calc)| vec![memory_table(&arch, &calc)])
            .unwrap_or_default(),
        FigureId::PaperCheck => vec![paper_table()],
        _ => Vec::new(),
    }
}

/// The calculator's numbers: one row an adapted group, then the totals.
fn calculator_tables(arch: &Architecture, calc: &Calculation) -> Vec<Table> {
    let groups = Table {
        caption: format!(
            "The adapted layers of {} and their trainable parameters",
            arch.name
        ),
        header: [
            "Layers",
            "How many",
            "In",
            "Out",
            "r",
            "α",
            "Scale",
            "Parameters each",
            "Parameters",
        ]
        .map(String::from)
        .to_vec(),
        rows: calc
            .groups
            .iter()
            .map(|g| {
                vec![
                    g.role.clone(),
                    thousands(g.count),
                    thousands(g.in_features),
                    thousands(g.out_features),
                    g.r.to_string(),
                    format_float(g.alpha),
                    crate::format::significant(g.scale, 4),
                    thousands(g.params_each),
                    thousands(g.count * g.params_each),
                ]
            })
            .collect(),
    };
    let all = calc.base + calc.trainable;
    let totals = Table {
        caption: format!("The adapter on {} in totals", arch.name),
        header: ["Quantity", "Value"].map(String::from).to_vec(),
        rows: [
            ("Trainable parameters", thousands(calc.trainable)),
            ("The model's parameters", thousands(calc.base)),
            ("All parameters, as PEFT reports them", thousands(all)),
            (
                "Trainable share",
                format!("{}%", crate::format::significant(calc.trainable_percent, 4)),
            ),
            (
                "Adapter file in fp32 (bytes)",
                thousands(calc.adapter_fp32_bytes),
            ),
            (
                "Adapter file in bf16 (bytes)",
                thousands(calc.adapter_bf16_bytes),
            ),
        ]
        .into_iter()
        .map(|(what, value)| vec![what.to_string(), value])
        .collect(),
    };
    vec![groups, totals]
}

/// The paper's rows as numbers: the printed count, the formula's, PEFT's on the preset.
fn paper_table() -> Table {
    Table {
        caption: "The LoRA paper's printed trainable parameters beside the computed ones"
            .to_string(),
        header: [
            "Row",
            "Printed",
            "The paper's formula",
            "PEFT's count",
            "As printed",
        ]
        .map(String::from)
        .to_vec(),
        rows: paper_checks()
            .into_iter()
            .map(|check| {
                let row = check.row;
                let peft = match paper_peft(&row) {
                    Some((_, Ok(count))) => thousands(count),
                    _ => "–".to_string(),
                };
                vec![
                    format!("{}, {}, r = {}", row.table, row.model, row.r),
                    row.printed.to_string(),
                    thousands(check.computed),
                    peft,
                    if check.matches { "yes" } else { "no" }.to_string(),
                ]
            })
            .collect(),
    }
}

/// The data table behind the memory chart: each line's exact bytes.
fn memory_table(arch: &Architecture, calc: &Calculation) -> Table {
    let mut rows: Vec<Vec<String>> = calc
        .memory
        .iter()
        .map(|line| match line.bytes {
            Some(b) => vec![line.what.clone(), thousands(b), bytes(b)],
            None => vec![
                line.what.clone(),
                "not counted".to_string(),
                "not counted".to_string(),
            ],
        })
        .collect();
    rows.push(vec![
        "Total counted".to_string(),
        thousands(calc.memory_total),
        bytes(calc.memory_total),
    ]);
    Table {
        caption: format!("Training memory of {} with this adapter", arch.name),
        header: vec![
            "What is stored".to_string(),
            "Bytes".to_string(),
            "In units".to_string(),
        ],
        rows,
    }
}
