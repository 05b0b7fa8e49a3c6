//! "Rank impact": trainable parameters and the reduction factor of an n×n layer against rank.

use crate::format::{fewer_or_more, ratio, thousands};
use crate::math::lora::ParamCounts;
use crate::state::RankState;

/// The ranks drawn as points, as in the notebook: powers of two from 1 to 128.
pub const RANKS: [u64; 8] = [1, 2, 4, 8, 16, 32, 64, 128];

/// The notebook's ranks that an n×n layer can use: those up to n.
pub fn ranks(n: u64) -> Vec<u64> {
    RANKS.iter().copied().filter(|&r| r <= n).collect()
}

/// The figures printed under the charts for the highlighted rank.
pub fn result_lines(state: &RankState) -> [String; 2] {
    let n = u64::from(state.n);
    let r = u64::from(state.rank);
    let counts = ParamCounts::new(n, n, r);
    let doubled = if 2 * r <= n {
        format!(
            "Doubling the rank doubles the parameters and halves the reduction: rank {} gives {} ({}).",
            2 * r,
            thousands(2 * counts.lora),
            ratio(counts.reduction() / 2.0),
        )
    } else {
        format!(
            "Doubling the rank is not possible here: rank {} would exceed n = {n}, and a {n}×{n} \
             matrix has rank at most {n}.",
            2 * r,
        )
    };
    [
        format!(
            "Rank {r}: 2·{n}·{r} = {} trainable parameters, {} full fine-tuning's {}.{}",
            thousands(counts.lora),
            fewer_or_more(counts.lora, counts.full),
            thousands(counts.full),
            if counts.lora >= counts.full {
                " At this rank LoRA saves nothing."
            } else {
                ""
            },
        ),
        doubled,
    ]
}

/// The charts' text alternatives: the parameters chart's, then the reduction chart's.
pub fn chart_labels(state: &RankState) -> [String; 2] {
    let [counts, doubled] = result_lines(state);
    [
        format!("Trainable parameters against rank, log axis. {counts}"),
        format!("Reduction factor against rank, log axis. {doubled}"),
    ]
}

/// The caption under the charts.
pub fn caption(state: &RankState) -> String {
    format!(
        "First chart: trainable parameters of one {n}×{n} layer on a log axis; full fine-tuning trains all {full} \
         whatever the rank. Second chart: the reduction n²/(2·n·r) = n/(2r). At n = 1,024 these are the \
         notebook's figures: rank 8 gives 16,384 parameters (64×), rank 16 gives 32,768 (32×).",
        n = state.n,
        full = thousands(u64::from(state.n) * u64::from(state.n)),
    )
}
