//! What each figure shows, computed from the page state: matrices, colour scales, counts, captions and
//! the reports shown when a reader points at a cell. No drawing happens here, only content.

pub mod calculator;
pub mod comparison;
pub mod cost;
pub mod factorisation;
pub mod inspector;
pub mod intrinsic;
pub mod learn;
pub mod maths;
pub mod printed;
pub mod qlora;
pub mod rank;
pub mod tables;
pub mod trainer;
pub mod training;
pub mod work;

use factorisation::Spectra;

/// Every figure on the site. Its id names its element in the markup (`fig-<id>`) and the figure
/// a link shows alone (`?embed=<id>`), so ids never change once published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FigureId {
    /// Figure 1, the parameters of one transformer layer.
    Layer,
    /// Figure 2, training memory of real models.
    Memory,
    /// Figure 3, the LoRA factorisation.
    Factorisation,
    /// The mathematics section's worked forward pass.
    Maths,
    /// Trainable parameters against rank.
    Rank,
    /// The intrinsic-rank section's singular value spectrum.
    Spectrum,
    /// The best low-rank approximation of the same matrix.
    Approximation,
    /// Table 1, LoRA against full fine-tuning.
    Comparison,
    /// The closing quiz.
    Quiz,
    /// Chapter 2: both methods' losses against steps, with LoRA's floor.
    TrainingLoss,
    /// Chapter 2: ΔW*, the updates both methods learnt, and LoRA's distance from the best rank-r
    /// update.
    TrainingUpdates,
    /// Chapter 2: the singular values of ΔW* and of both updates.
    TrainingSpectra,
    /// Chapter 2: each finished run's new-task loss against its forgetting, and the rank sweep.
    LearnForget,
    /// Chapter 2: how much the directions two ranks' `A` matrices learnt share.
    Subspace,
    /// Chapter 3: the NF4, FP4 and int4 levels over the normal density.
    Codes,
    /// Chapter 3: a weight matrix quantised blockwise, its error and one block's histogram.
    Quantisation,
    /// Chapter 3: mean squared error of each code against block size.
    BlockSize,
    /// Chapter 3: double quantisation's bits and error.
    DoubleQuantisation,
    /// Chapter 3: what a LoftQ-initialised adapter leaves of the quantisation error, by rank.
    Loftq,
    /// Chapter 3: training memory of LLaMA-1 models with QLoRA, LoRA and full fine-tuning.
    QloraMemory,
    /// The calculator's chapter: trainable parameters, the adapter file and the `LoraConfig` for
    /// a real model.
    Calculator,
    /// The calculator's chapter: training memory, line by line.
    CalculatorMemory,
    /// The calculator's chapter: the LoRA paper's printed counts, checked.
    PaperCheck,
    /// The calculator's chapter: the adapter inspector's file input, module table, totals and
    /// other tensors.
    AdapterModules,
    /// The calculator's chapter: ‖ΔW‖_F of the inspected adapter per layer, one line a module kind.
    AdapterLayers,
    /// The calculator's chapter: one inspected module's singular values and its ΔW as a heatmap.
    AdapterSpectra,
}

impl FigureId {
    /// Every figure, in page order.
    pub const ALL: [FigureId; 26] = [
        Self::Layer,
        Self::Memory,
        Self::Factorisation,
        Self::Maths,
        Self::Rank,
        Self::Spectrum,
        Self::Approximation,
        Self::Comparison,
        Self::Quiz,
        Self::TrainingLoss,
        Self::TrainingUpdates,
        Self::TrainingSpectra,
        Self::LearnForget,
        Self::Subspace,
        Self::Codes,
        Self::Quantisation,
        Self::BlockSize,
        Self::DoubleQuantisation,
        Self::Loftq,
        Self::QloraMemory,
        Self::Calculator,
        Self::CalculatorMemory,
        Self::PaperCheck,
        Self::AdapterModules,
        Self::AdapterLayers,
        Self::AdapterSpectra,
    ];

    /// The figure's id.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Layer => "layer",
            Self::Memory => "memory",
            Self::Factorisation => "factorisation",
            Self::Maths => "maths",
            Self::Rank => "rank",
            Self::Spectrum => "spectrum",
            Self::Approximation => "approximation",
            Self::Comparison => "comparison",
            Self::Quiz => "quiz",
            Self::TrainingLoss => "training-loss",
            Self::TrainingUpdates => "training-updates",
            Self::TrainingSpectra => "training-spectra",
            Self::LearnForget => "learn-forget",
            Self::Subspace => "subspace",
            Self::Codes => "nf4-codes",
            Self::Quantisation => "quantisation",
            Self::BlockSize => "block-size",
            Self::DoubleQuantisation => "double-quantisation",
            Self::Loftq => "loftq",
            Self::QloraMemory => "qlora-memory",
            Self::Calculator => "calculator",
            Self::CalculatorMemory => "calculator-memory",
            Self::PaperCheck => "paper-check",
            Self::AdapterModules => "adapter-modules",
            Self::AdapterLayers => "adapter-layers",
            Self::AdapterSpectra => "adapter-spectra",
        }
    }

    /// The figure with id `text`, if there is one.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|id| id.as_str() == text)
    }

    /// The id of the figure's element in the markup.
    pub fn element_id(self) -> String {
        format!("fig-{}", self.as_str())
    }
}

/// What the page has received from its workers for the current state: the numbers of the figures
/// that are computed off the main thread. Data tables and CSV files offer them once they are here.
#[derive(Clone, Copy, Debug, Default)]
pub struct Received<'a> {
    /// The intrinsic-rank section's singular values of its current matrix.
    pub sigma: Option<&'a [f64]>,
    /// Figure 3's singular values at its current state.
    pub spectra: Option<&'a Spectra>,
}
