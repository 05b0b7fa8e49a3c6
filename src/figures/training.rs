//! Chapter 2, "Watch LoRA learn": what its figures show while full fine-tuning and LoRA learn the
//! same new task. The loss chart (train, test and pretraining losses against steps, with the
//! Eckart–Young floor of LoRA's rank), the snapshot of the updates (ΔW*, full fine-tuning's ΔW,
//! LoRA's update and its distance from the best rank-r approximation, each with its singular
//! values), the learn–forget plane, the rank sweep, and the subspace similarity of the `A` matrices
//! learnt at two ranks. Captions are written from the numbers.
//!
//! Conventions: losses are [`crate::math::train`]'s (the mean of ½‖ŷ − y‖²). The types a worker
//! sends ([`Snapshot`], [`LossChart`], [`SweepFigure`], [`SubspaceFigure`]) derive serde's traits; matrices travel
//! as [`MatrixData`], row-major.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::format::{count_noun, ratio, significant, thousands};
use crate::math::subspace::subspace_similarity;
use crate::math::svd::{rank_for_energy, singular_values};
use crate::math::train::{
    Config, Curves, Floor, Init, LearnForget, LoraRun, Method, RankSweep, Runs, Status, SweepPoint,
    SweepProgress, Task, TrainSpec, Trainer,
};

/// The share of energy a snapshot's "rank for 90%" reaches.
pub const ENERGY_SHARE: f64 = 0.9;

/// Within this share of the floor, LoRA's test loss is said to sit at the floor.
pub const AT_FLOOR: f64 = 0.01;

/// Singular values below this share of the largest count as zero when a caption counts the
/// rank of ΔW*, and when the spectra chart draws them.
pub const RANK_TOLERANCE: f64 = 1e-10;

/// A matrix as it travels: its shape and its entries, row by row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatrixData {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Entries, row-major: (i, j) is at i·cols + j.
    pub entries: Vec<f64>,
}

impl MatrixData {
    /// The entries of `m`, row by row.
    pub fn of(m: &DMatrix<f64>) -> Self {
        let (rows, cols) = m.shape();
        Self {
            rows,
            cols,
            entries: (0..rows)
                .flat_map(|i| (0..cols).map(move |j| (i, j)))
                .map(|(i, j)| m[(i, j)])
                .collect(),
        }
    }

    /// The matrix again, or None if the entries do not fill its shape.
    pub fn to_matrix(&self) -> Option<DMatrix<f64>> {
        (self.rows.checked_mul(self.cols) == Some(self.entries.len()))
            .then(|| DMatrix::from_row_slice(self.rows, self.cols, &self.entries))
    }
}

/// The matrices of the snapshot, in page order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Panel {
    /// The update the task asks for, ΔW*.
    Target,
    /// Full fine-tuning's update ΔW.
    Full,
    /// LoRA's update: s·B·A, or with PiSSA s·B·A − s·B₀·A₀.
    Lora,
    /// LoRA's update minus ΔW*'s best rank-r approximation.
    LoraMinusBest,
}

impl Panel {
    /// All four, in page order.
    pub const ALL: [Panel; 4] = [Self::Target, Self::Full, Self::Lora, Self::LoraMinusBest];

    /// The matrix's name as the page writes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Target => "ΔW*",
            Self::Full => "Full fine-tuning's ΔW",
            Self::Lora => "LoRA's update",
            Self::LoraMinusBest => "LoRA − best rank-r ΔW*",
        }
    }
}

/// One matrix of the snapshot with what its spectrum says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PanelData {
    /// Which matrix.
    pub panel: Panel,
    /// Its entries.
    pub matrix: MatrixData,
    /// Its singular values, descending.
    pub sigma: Vec<f64>,
    /// The fewest singular values holding [`ENERGY_SHARE`] of its energy.
    pub rank_90: usize,
    /// Its Frobenius norm.
    pub norm: f64,
}

impl PanelData {
    /// The panel `panel` showing `m`.
    pub fn new(panel: Panel, m: &DMatrix<f64>) -> Self {
        let sigma = singular_values(m);
        Self {
            panel,
            matrix: MatrixData::of(m),
            rank_90: rank_for_energy(&sigma, ENERGY_SHARE),
            norm: m.norm(),
            sigma,
        }
    }
}

/// The updates after some steps: the snapshot figure's four matrices and their spectra.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Steps taken.
    pub step: usize,
    /// LoRA's rank r.
    pub rank: usize,
    /// The largest rank LoRA's update can have: r, or with PiSSA min(2r, d, k).
    pub lora_max_rank: usize,
    /// The panels the trainer has, in [`Panel::ALL`]'s order (no full fine-tuning panel
    /// without that run, no LoRA panels without LoRA).
    pub panels: Vec<PanelData>,
}

impl Snapshot {
    /// The trainer's updates now. Costs four SVDs of d×k matrices, singular values only.
    pub fn take(trainer: &Trainer) -> Self {
        let rank = trainer.config().train.rank;
        let target = trainer.task().target();
        let mut panels = vec![PanelData::new(Panel::Target, target)];
        if let Some(full) = trainer.update(Method::Full) {
            panels.push(PanelData::new(Panel::Full, &full));
        }
        if let Some(lora) = trainer.update(Method::Lora) {
            let best = trainer.task().best_approximation(rank);
            panels.push(PanelData::new(Panel::Lora, &lora));
            panels.push(PanelData::new(Panel::LoraMinusBest, &(lora - best)));
        }
        Self {
            step: trainer.step_count(),
            rank,
            lora_max_rank: lora_max_rank(trainer),
            panels,
        }
    }

    /// The panel `panel`, if the snapshot has it.
    pub fn panel(&self, panel: Panel) -> Option<&PanelData> {
        self.panels.iter().find(|p| p.panel == panel)
    }

    /// The snapshot's caption: how many singular values hold 90% of each update's energy, and
    /// how far LoRA is from the best approximation of its rank.
    pub fn caption(&self) -> String {
        let Some(target) = self.panel(Panel::Target) else {
            return "No update to show.".to_string();
        };
        let values = |n: usize| count_noun(n as u64, "singular value", "singular values");
        let mut sentences = vec![format!(
            "After {}, {} of ΔW*'s energy is in its {}.",
            steps_text(self.step),
            percent(ENERGY_SHARE),
            largest(target.rank_90),
        )];
        if let Some(full) = self.panel(Panel::Full) {
            sentences.push(format!(
                "Full fine-tuning's update needs {} for as much of its own energy.",
                values(full.rank_90)
            ));
        }
        if let Some(lora) = self.panel(Panel::Lora) {
            sentences.push(format!(
                "LoRA's update needs {}; its rank can never exceed {}.",
                values(lora.rank_90),
                self.lora_max_rank
            ));
        }
        if let Some(gap) = self.panel(Panel::LoraMinusBest) {
            let relative = if target.norm > 0.0 {
                gap.norm / target.norm
            } else {
                f64::NAN
            };
            sentences.push(format!(
                "LoRA's update is {} of ΔW*'s size away from ΔW*'s best rank-{} approximation.",
                percent(relative),
                self.rank
            ));
        }
        sentences.join(" ")
    }
}

/// The loss chart: both runs' curves, LoRA's floor and where each run stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LossChart {
    /// Steps taken.
    pub step: usize,
    /// LoRA's rank r.
    pub rank: usize,
    /// The number of non-zero singular values of ΔW*.
    pub target_rank: usize,
    /// How LoRA started: PiSSA's floor is not Eckart–Young's of ΔW* alone.
    pub init: Init,
    /// Every recorded point.
    pub curves: Curves,
    /// The floor of LoRA's rank.
    pub floor: Floor,
    /// Full fine-tuning's state, if the trainer has that run.
    pub full: Option<Status>,
    /// LoRA's state, if the trainer has that run.
    pub lora: Option<Status>,
}

impl LossChart {
    /// The chart of `trainer` now.
    pub fn of(trainer: &Trainer) -> Self {
        let sigma = trainer.task().target_singular_values();
        Self {
            step: trainer.step_count(),
            rank: trainer.config().train.rank,
            target_rank: numerical_rank(sigma),
            init: trainer.config().train.init,
            curves: trainer.curves().clone(),
            floor: trainer.floor(),
            full: trainer.status(Method::Full),
            lora: trainer.status(Method::Lora),
        }
    }

    /// The chart's caption: where LoRA's test loss sits against its floor, what the floor is
    /// made of, and full fine-tuning's test loss.
    pub fn caption(&self) -> String {
        let mut sentences = Vec::new();
        if let Some(status) = self.lora {
            sentences.push(self.lora_sentence(status));
            sentences.push(self.floor_sentence());
        }
        if let Some(status) = self.full {
            let last = self.curves.full.last();
            sentences.push(match (status, last) {
                (Status::Diverged { step }, Some(p)) => format!(
                    "Full fine-tuning diverged at step {}; its last finite test loss was {} \
                     after {}.",
                    thousands(step as u64),
                    loss_text(p.test),
                    steps_text(p.step)
                ),
                (Status::Diverged { step }, None) => format!(
                    "Full fine-tuning diverged at step {}.",
                    thousands(step as u64)
                ),
                (Status::Running, Some(p)) => format!(
                    "Full fine-tuning's test loss is {}; its floor is the label noise alone, {}.",
                    loss_text(p.test),
                    loss_text(self.floor.noise)
                ),
                (Status::Running, None) => "Full fine-tuning has no loss yet.".to_string(),
            });
        }
        if sentences.is_empty() {
            return "No run to show.".to_string();
        }
        sentences.join(" ")
    }

    /// Where LoRA's test loss sits against its floor.
    fn lora_sentence(&self, status: Status) -> String {
        let Some(last) = self.curves.lora.last() else {
            return match status {
                Status::Diverged { step } => {
                    format!("LoRA diverged at step {}.", thousands(step as u64))
                }
                Status::Running => "LoRA has no loss yet.".to_string(),
            };
        };
        let floor = self.floor.on_test;
        let place = if floor <= 0.0 {
            format!("{}, against a floor of 0", loss_text(last.test))
        } else {
            let excess = last.test / floor - 1.0;
            if excess.abs() <= AT_FLOOR {
                format!(
                    "{}, at its floor of {} (within {})",
                    loss_text(last.test),
                    loss_text(floor),
                    percent(AT_FLOOR)
                )
            } else if excess > 0.0 {
                let how_far = if excess >= 1.0 {
                    format!("{} its floor of", ratio(excess + 1.0))
                } else {
                    format!("{} above its floor of", percent(excess))
                };
                format!("{}, {how_far} {}", loss_text(last.test), loss_text(floor))
            } else {
                format!(
                    "{}, {} below its floor of {} (a floor on a finite test set, which a \
                     finite training set can undercut by chance)",
                    loss_text(last.test),
                    percent(-excess),
                    loss_text(floor)
                )
            }
        };
        match status {
            Status::Running => format!(
                "After {}, LoRA's test loss (rank {}) is {place}.",
                steps_text(last.step),
                self.rank
            ),
            Status::Diverged { step } => format!(
                "LoRA (rank {}) diverged at step {}; after {}, its last finite test loss was \
                 {place}.",
                self.rank,
                thousands(step as u64),
                steps_text(last.step)
            ),
        }
    }

    /// What the floor is made of.
    fn floor_sentence(&self) -> String {
        let noise = self.floor.noise;
        let noise_text = if noise > 0.0 {
            format!("the label noise, ½·d·σ² = {}", loss_text(noise))
        } else {
            "no label noise".to_string()
        };
        if self.init == Init::Pissa {
            let top = if self.rank == 1 {
                "top direction".to_string()
            } else {
                format!("top {} directions", self.rank)
            };
            return format!(
                "PiSSA freezes W₀ less its best rank-{r} approximation, so a rank-{r} adapter \
                 must hold W₀'s {top} as well as ΔW*: the floor is the test loss of the best \
                 rank-{r} fit of the two (worth {} in expectation), plus {noise_text}.",
                loss_text((self.floor.expected - noise).max(0.0)),
                r = self.rank,
            );
        }
        if self.rank >= self.target_rank {
            let floor = if noise > 0.0 {
                format!("the label noise alone, ½·d·σ² = {}", loss_text(noise))
            } else {
                "0: the labels have no noise".to_string()
            };
            format!(
                "Rank {} has room for all {} of ΔW*, so the floor is {floor}.",
                self.rank,
                count_noun(self.target_rank as u64, "singular value", "singular values")
            )
        } else {
            let missing = self.target_rank - self.rank;
            format!(
                "No rank-{r} update can learn what ΔW* holds beyond its {} ({}, worth {} in \
                 expectation), so the floor is the test loss of ΔW*'s best rank-{r} \
                 approximation: that, plus {noise_text}.",
                largest(self.rank),
                count_noun(
                    missing as u64,
                    "more singular value",
                    "more singular values"
                ),
                loss_text((self.floor.expected - noise).max(0.0)),
                r = self.rank,
            )
        }
    }
}

/// The learn–forget plane's caption: for each point, how well it learnt and how much it forgot,
/// and which forgot least for the test loss it reached.
pub fn learn_forget_caption(points: &[LearnForget]) -> String {
    if points.is_empty() {
        return "No finished run to place yet.".to_string();
    }
    let mut sentences: Vec<String> = points
        .iter()
        .map(|p| {
            let name = method_name(p);
            let diverged = match p.status {
                Status::Diverged { step } => {
                    format!(" before it diverged at step {}", thousands(step as u64))
                }
                Status::Running => String::new(),
            };
            format!(
                "{name} reached a test loss of {} on the new task and a loss of {} on the \
                 pretraining task after {}{diverged}.",
                loss_text(p.test),
                loss_text(p.pretrain),
                steps_text(p.step)
            )
        })
        .collect();
    let finite: Vec<&LearnForget> = points
        .iter()
        .filter(|p| p.test.is_finite() && p.pretrain.is_finite())
        .collect();
    if let (Some(learner), Some(keeper)) = (
        finite.iter().min_by(|a, b| a.test.total_cmp(&b.test)),
        finite
            .iter()
            .min_by(|a, b| a.pretrain.total_cmp(&b.pretrain)),
    ) {
        if finite.len() > 1 {
            sentences.push(
                if learner.method == keeper.method && learner.rank == keeper.rank {
                    format!(
                        "{} both learnt most and forgot least.",
                        method_name(learner)
                    )
                } else {
                    format!(
                        "{} learnt most; {} forgot least.",
                        method_name(learner),
                        method_name(keeper)
                    )
                },
            );
        }
    }
    sentences.join(" ")
}

/// A rank sweep as the figure shows it: one point a finished run, and how far the sweep has got.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepFigure {
    /// The finished runs, LoRA's ranks in increasing order, then full fine-tuning.
    pub points: Vec<SweepPoint>,
    /// How far the sweep has got.
    pub progress: SweepProgress,
}

impl SweepFigure {
    /// The figure of `sweep` as far as it has got.
    pub fn of(sweep: &RankSweep) -> Self {
        Self {
            points: sweep.points().to_vec(),
            progress: sweep.progress(),
        }
    }

    /// The progress line: "3 of 8 runs finished (37%)."
    pub fn progress_text(&self) -> String {
        format!(
            "{} of {} finished ({}).",
            self.progress.finished,
            count_noun(self.progress.total as u64, "run", "runs"),
            percent(self.progress.fraction())
        )
    }

    /// The sweep's caption: how the test loss falls and the forgetting grows with rank, and the
    /// smallest rank within 5% of full fine-tuning's test loss.
    pub fn caption(&self) -> String {
        let lora: Vec<&SweepPoint> = self
            .points
            .iter()
            .filter(|p| p.result.method == Method::Lora && p.result.test.is_finite())
            .collect();
        let full = self
            .points
            .iter()
            .find(|p| p.result.method == Method::Full && p.result.test.is_finite());
        let (Some(first), Some(last)) = (lora.first(), lora.last()) else {
            return "No rank has finished yet.".to_string();
        };
        let mut sentences = vec![if lora.len() == 1 {
            format!(
                "At rank {}, LoRA's test loss is {} and its pretraining loss {}.",
                first.result.rank,
                loss_text(first.result.test),
                loss_text(first.result.pretrain)
            )
        } else {
            format!(
                "From rank {} to rank {}, LoRA's test loss goes from {} to {} and its \
                 pretraining loss from {} to {}.",
                first.result.rank,
                last.result.rank,
                loss_text(first.result.test),
                loss_text(last.result.test),
                loss_text(first.result.pretrain),
                loss_text(last.result.pretrain)
            )
        }];
        if let Some(full) = full {
            let near = lora
                .iter()
                .find(|p| p.result.test <= full.result.test * (1.0 + NEAR_FULL));
            sentences.push(match near {
                Some(p) => format!(
                    "Full fine-tuning reaches {}; rank {} is the smallest within {} of it.",
                    loss_text(full.result.test),
                    p.result.rank,
                    percent(NEAR_FULL)
                ),
                None => format!(
                    "Full fine-tuning reaches {}; no rank tried comes within {} of it.",
                    loss_text(full.result.test),
                    percent(NEAR_FULL)
                ),
            });
        }
        let diverged = self
            .points
            .iter()
            .filter(|p| matches!(p.result.status, Status::Diverged { .. }))
            .count();
        if diverged > 0 {
            sentences.push(format!(
                "{} diverged.",
                capitalise(&count_noun(diverged as u64, "run", "runs"))
            ));
        }
        sentences.join(" ")
    }
}

/// The subspace similarity φ between the `A` matrices LoRA learnt at two ranks on the same task
/// (Hu et al. 2021, §7; see [`crate::math::subspace`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubspaceFigure {
    /// The first run's rank r₁: the grid's rows are i = 1 … r₁.
    pub first_rank: usize,
    /// The second run's rank r₂: the grid's columns are j = 1 … r₂.
    pub second_rank: usize,
    /// The input dimension k, the length of each right singular vector.
    pub k: usize,
    /// Steps each run took.
    pub steps: usize,
    /// φ(A₁, A₂, i, j) at row i − 1, column j − 1: min(r₁, k) × min(r₂, k), or 0×0 when either
    /// `A` has a non-finite entry.
    pub grid: MatrixData,
}

impl SubspaceFigure {
    /// φ between the `A` matrices of two LoRA runs on the same layer, after `steps` steps.
    pub fn of(first: &LoraRun, second: &LoraRun, steps: usize) -> Self {
        let (a1, a2) = (first.a(), second.a());
        let grid = subspace_similarity(&a1, &a2).unwrap_or_else(|| DMatrix::zeros(0, 0));
        Self {
            first_rank: first.rank(),
            second_rank: second.rank(),
            k: a1.ncols(),
            steps,
            grid: MatrixData::of(&grid),
        }
    }

    /// Trains LoRA alone at each of `ranks` for `steps` steps on one draw of `config`'s task
    /// (clamped), then compares the two `A` matrices. Both draw A from the task's seed, entry by
    /// entry, so the smaller rank starts from the first rows of the larger rank's A: at step 0, φ
    /// is already above chance.
    pub fn train(config: Config, ranks: (usize, usize), steps: usize) -> Self {
        let config = config.clamped();
        let task = Task::new(config.task);
        let run = |rank: usize| {
            let train = TrainSpec {
                rank,
                ..config.train
            };
            let mut trainer =
                Trainer::on_task(Config { train, ..config }, task.clone(), Runs::LoraOnly);
            trainer.steps(steps);
            trainer
        };
        let (first, second) = (run(ranks.0), run(ranks.1));
        match (first.lora(), second.lora()) {
            (Some(a), Some(b)) => Self::of(a, b, steps),
            _ => Self {
                first_rank: ranks.0,
                second_rank: ranks.1,
                k: config.task.k,
                steps,
                grid: MatrixData::of(&DMatrix::zeros(0, 0)),
            },
        }
    }

    /// φ at 1-based (i, j), if the grid has it.
    pub fn at(&self, i: usize, j: usize) -> Option<f64> {
        let (row, col) = (i.checked_sub(1)?, j.checked_sub(1)?);
        (row < self.grid.rows && col < self.grid.cols)
            .then(|| self.grid.entries[row * self.grid.cols + col])
    }

    /// What φ is for two random subspaces of dimensions i and j in k dimensions, on average:
    /// E‖U_iᵀ·U_j‖²_F = i·j/k, so φ is about max(i, j)/k.
    pub fn chance(&self, i: usize, j: usize) -> f64 {
        i.max(j) as f64 / self.k.max(1) as f64
    }

    /// The figure's caption: how close the two runs' top directions are, and their spans up to the
    /// smaller rank, each against chance.
    pub fn caption(&self) -> String {
        let Some(top) = self.at(1, 1) else {
            return "No subspaces to compare: a run has no finite A.".to_string();
        };
        let (r1, r2) = (self.first_rank, self.second_rank);
        let mut sentences = vec![format!(
            "After {}, the top directions of the A matrices learnt at rank {r1} and at rank {r2} \
             have φ(1, 1) = {}; two random directions in k = {} dimensions would give about {}.",
            steps_text(self.steps),
            significant(top, 2),
            self.k,
            significant(self.chance(1, 1), 2)
        )];
        let n = self.grid.rows.min(self.grid.cols);
        if n > 1 {
            if let Some(span) = self.at(n, n) {
                sentences.push(format!(
                    "Over the top {n} directions of each, φ({n}, {n}) = {}, against about {} by \
                     chance.",
                    significant(span, 2),
                    significant(self.chance(n, n), 2)
                ));
            }
        }
        sentences.join(" ")
    }
}

/// The sweep's caption calls a test loss within this share of full fine-tuning's near it.
pub const NEAR_FULL: f64 = 0.05;

/// The number of singular values above [`RANK_TOLERANCE`] of the largest.
pub fn numerical_rank(sigma: &[f64]) -> usize {
    let largest = sigma.iter().copied().fold(0.0, f64::max);
    sigma
        .iter()
        .filter(|&&s| s > RANK_TOLERANCE * largest)
        .count()
}

/// The largest rank the trainer's LoRA update can have: r, or with PiSSA (whose update is
/// s·B·A − s·B₀·A₀) min(2r, d, k).
fn lora_max_rank(trainer: &Trainer) -> usize {
    let config = trainer.config();
    let rank = config.train.rank;
    match config.train.init {
        Init::Pissa => (2 * rank).min(config.task.d).min(config.task.k),
        Init::Peft | Init::Gaussian => rank,
    }
}

/// "full fine-tuning" or "LoRA (rank 4)", capitalised as a sentence starts.
fn method_name(p: &LearnForget) -> String {
    match p.method {
        Method::Full => "Full fine-tuning".to_string(),
        Method::Lora => format!("LoRA (rank {})", p.rank),
    }
}

/// "1 step", "2,000 steps".
fn steps_text(steps: usize) -> String {
    format!(
        "{} {}",
        thousands(steps as u64),
        if steps == 1 { "step" } else { "steps" }
    )
}

/// "largest singular value" or "3 largest singular values".
fn largest(n: usize) -> String {
    if n == 1 {
        "largest singular value".to_string()
    } else {
        format!("{n} largest singular values")
    }
}

/// A loss with three significant figures.
fn loss_text(x: f64) -> String {
    significant(x, 3)
}

/// A share as a percentage with two significant figures, a whole number without its ".0":
/// 0.0312 → "3.1%", 0.01 → "1%".
fn percent(share: f64) -> String {
    let text = significant(100.0 * share, 2);
    format!("{}%", text.strip_suffix(".0").unwrap_or(&text))
}

/// `text` with its first letter in upper case.
fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
