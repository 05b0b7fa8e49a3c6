//! Chapter 4's calculator: what LoRA costs on a real model. From a model's architecture and the
//! reader's choices it computes the trainable parameters as PEFT reports them, the model's total
//! checked against its published size, the adapter file, a training-memory breakdown with its
//! formulas, and the `LoraConfig` to copy. It also checks the LoRA paper's printed counts.

use crate::format::{bytes, count_sig, thousands};
use crate::math::models::{
    nf4_double_quant_bits, nf4_double_quant_bytes, peft_matches, Architecture, Linear, ModelDtype,
    Published, MAX_WIDTH,
};
use crate::state::format_float;

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

/// The rank of the layer at `path`: the first `rank_pattern` name it matches, or r.
fn rank_for(choices: &Choices, path: &str) -> u64 {
    choices
        .rank_pattern
        .iter()
        .find(|(name, _)| peft_matches(name, path))
        .map_or(choices.r, |&(_, r)| r)
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
        let r = rank_for(choices, &linear.path);
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
            params_each: r * (linear.in_features + linear.out_features) + dora,
            scale: scale(choices.alpha, r, choices.use_rslora),
        };
        match groups.iter_mut().find(|g| {
            g.role == group.role
                && g.r == r
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
    if !choices.rank_pattern.is_empty() {
        let entries: Vec<String> = choices
            .rank_pattern
            .iter()
            .map(|(name, r)| format!("{}: {r}", py_str(name)))
            .collect();
        out.push_str(&format!("    rank_pattern={{{}}},\n", entries.join(", ")));
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
        use_rslora: false,
        use_dora: false,
        dtype: ModelDtype::Bf16,
        batch: None,
    }
}
