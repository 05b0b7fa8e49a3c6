//! The adapter inspector's figures, from an [`Inspection`]: the module table, the totals checked
//! against the config, the other tensors, ‖ΔW‖_F per layer by module kind, one module's spectrum
//! and the size of its heatmap. Content only; the page paints it.

use crate::adapter::{Inspection, Module};
use crate::figures::tables::Table;
use crate::format::{significant, thousands};

/// The most cells a side of a module's heatmap has.
pub const HEATMAP_SIDE: usize = 64;

/// Every adapted module, one row each: layer, module, r, in, out, parameters, scale, ‖ΔW‖_F.
pub fn module_table(inspection: &Inspection) -> Table {
    Table {
        caption: format!(
            "{} adapted modules and the scale s of each update ΔW = s·B·A",
            thousands(inspection.modules.len() as u64)
        ),
        header: [
            "Layer",
            "Module",
            "r",
            "In",
            "Out",
            "Parameters",
            "Scale s",
            "‖ΔW‖_F",
        ]
        .map(String::from)
        .to_vec(),
        rows: inspection
            .modules
            .iter()
            .map(|m| {
                vec![
                    m.layer.map_or_else(|| "–".to_string(), |l| l.to_string()),
                    m.kind.clone(),
                    m.rank.to_string(),
                    thousands(m.in_features as u64),
                    thousands(m.out_features as u64),
                    thousands(m.params),
                    significant(m.scale, 3),
                    significant(m.frobenius, 3),
                ]
            })
            .collect(),
    }
}

/// The totals as sentences: every parameter in the file, and the LoRA factors' against the count
/// the config's ranks give.
pub fn totals(inspection: &Inspection) -> Vec<String> {
    let t = &inspection.totals;
    let mut lines = vec![format!(
        "{} parameters in all: {} in the LoRA factors, {} in DoRA magnitude vectors, {} in \
         modules saved whole and {} in other tensors.",
        thousands(t.all()),
        thousands(t.lora),
        thousands(t.magnitude),
        thousands(t.saved),
        thousands(t.other)
    )];
    lines.push(match t.config_lora {
        Some(expected) if expected == t.lora => format!(
            "The config's ranks give the same {} factor parameters: they agree.",
            thousands(expected)
        ),
        Some(expected) => format!(
            "The config's ranks would give {} factor parameters, not {}: see the warnings.",
            thousands(expected),
            thousands(t.lora)
        ),
        None => {
            "Without a rank for every module in a config, the total cannot be checked.".to_string()
        }
    });
    lines
}

/// The tensors that are not LoRA factors, as what they are.
pub fn others_table(inspection: &Inspection) -> Table {
    Table {
        caption: "Tensors that are not LoRA factors".to_string(),
        header: ["Tensor", "What it is", "Shape", "Type", "Parameters"]
            .map(String::from)
            .to_vec(),
        rows: inspection
            .others
            .iter()
            .map(|t| {
                vec![
                    t.name.clone(),
                    t.kind.label().to_string(),
                    format!("{:?}", t.shape),
                    t.dtype.clone(),
                    thousands(t.params),
                ]
            })
            .collect(),
    }
}

/// One line of the per-layer chart: a module kind's ‖ΔW‖_F at each layer it adapts.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerSeries {
    /// The module kind, such as `q_proj`.
    pub kind: String,
    /// (layer, ‖ΔW‖_F), by layer; modules without a layer or a finite norm are left out.
    pub points: Vec<(u32, f64)>,
}

/// ‖ΔW‖_F per layer, one series per module kind, in the order the kinds first appear.
pub fn per_layer(inspection: &Inspection) -> Vec<LayerSeries> {
    let mut series: Vec<LayerSeries> = Vec::new();
    for m in &inspection.modules {
        let (Some(layer), true) = (m.layer, m.frobenius.is_finite()) else {
            continue;
        };
        match series.iter_mut().find(|s| s.kind == m.kind) {
            Some(s) => s.points.push((layer, m.frobenius)),
            None => series.push(LayerSeries {
                kind: m.kind.clone(),
                points: vec![(layer, m.frobenius)],
            }),
        }
    }
    for s in &mut series {
        s.points.sort_by_key(|&(layer, _)| layer);
    }
    series
}

/// What the singular value chart says about one module, as a caption.
pub fn spectrum_caption(m: &Module) -> String {
    if m.singular_values.is_empty() {
        return format!(
            "{}: no spectrum ({}).",
            m.path,
            if m.non_finite > 0 {
                "it has NaN or infinite weights"
            } else {
                "its rank is too large for its shape"
            }
        );
    }
    match m.stable_rank {
        None => format!("{}: ΔW is zero, as B is at initialisation.", m.path),
        Some(stable) => format!(
            "{}: {} of its r = {} directions hold 90% of ‖ΔW‖_F²; its stable rank \
             ‖ΔW‖_F²/σ₁² is {}.",
            m.path,
            m.rank_90,
            m.rank,
            significant(stable, 3)
        ),
    }
}

/// The heatmap's rows and columns for a module: its out×in, at most [`HEATMAP_SIDE`] a side.
pub fn heatmap_size(m: &Module) -> (usize, usize) {
    (
        m.out_features.min(HEATMAP_SIDE),
        m.in_features.min(HEATMAP_SIDE),
    )
}
