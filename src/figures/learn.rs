//! Chapter 2's numbers to take away: each figure's CSV files and data tables, from the latest frame
//! of the run (and the sweep, for the learn–forget plane), and the run's settings as a PEFT
//! `LoraConfig`.

use nalgebra::DMatrix;

use super::tables::{matrix_table, sample_indices, Table};
use super::trainer::Frame;
use super::training::{Panel, SweepFigure};
use super::FigureId;
use crate::export::{matrix_csv, Download};
use crate::format::significant;
use crate::math::train::{Config, Init, LearnForget, Method, Optimizer, Scaling, Status};
use crate::state::format_float;

/// The figures of chapter 2 that offer CSV files and data tables.
pub const LEARN_FIGURES: [FigureId; 5] = [
    FigureId::TrainingLoss,
    FigureId::TrainingUpdates,
    FigureId::TrainingSpectra,
    FigureId::LearnForget,
    FigureId::Subspace,
];

/// The sweep's subspace grid φ(i, j), if a sweep has finished.
fn subspace_grid(sweep: Option<&SweepFigure>) -> Option<(String, DMatrix<f64>)> {
    let figure = sweep?.subspace.as_ref()?;
    Some((
        format!(
            "φ(i, j), rank {} against rank {}",
            figure.first_rank, figure.second_rank
        ),
        figure.grid.to_matrix()?,
    ))
}

/// The file name of a panel's matrix.
fn panel_slug(panel: Panel) -> &'static str {
    match panel {
        Panel::Target => "target-update",
        Panel::Full => "full-fine-tuning-update",
        Panel::Lora => "lora-update",
        Panel::LoraMinusBest => "lora-minus-best-rank-r",
    }
}

/// "full fine-tuning" or "LoRA", as a cell writes it.
fn method_cell(method: Method) -> &'static str {
    match method {
        Method::Full => "full fine-tuning",
        Method::Lora => "LoRA",
    }
}

/// Where a run stands, as a cell writes it.
fn status_cell(status: Status) -> String {
    match status {
        Status::Running => "running".to_string(),
        Status::Diverged { step } => format!("diverged at step {step}"),
    }
}

/// A loss as a cell writes it: four significant figures.
fn loss_cell(x: f64) -> String {
    significant(x, 4)
}

/// The runs the learn–forget plane shows: the sweep's if there is one, else the frame's.
fn plane_points(frame: Option<&Frame>, sweep: Option<&SweepFigure>) -> Vec<LearnForget> {
    match (sweep, frame) {
        (Some(sweep), _) => sweep.points.iter().map(|p| p.result).collect(),
        (None, Some(frame)) => frame.learn_forget.clone(),
        (None, None) => Vec::new(),
    }
}

/// The CSV files of `figure`, from the latest `frame` and `sweep`; empty before the first frame.
pub fn downloads(
    figure: FigureId,
    frame: Option<&Frame>,
    sweep: Option<&SweepFigure>,
) -> Vec<Download> {
    if figure == FigureId::Subspace {
        return subspace_grid(sweep)
            .map(|(_, grid)| Download {
                name: format!(
                    "lora-explorer-subspace-similarity-{}x{}.csv",
                    grid.nrows(),
                    grid.ncols()
                ),
                text: matrix_csv(&grid),
            })
            .into_iter()
            .collect();
    }
    if figure == FigureId::LearnForget {
        let points = plane_points(frame, sweep);
        if points.is_empty() {
            return Vec::new();
        }
        let mut text = String::from("method,rank,step,test_loss,pretraining_loss,status\n");
        for p in &points {
            text += &format!(
                "{},{},{},{:.16e},{:.16e},{}\n",
                method_cell(p.method),
                p.rank,
                p.step,
                p.test,
                p.pretrain,
                status_cell(p.status)
            );
        }
        return vec![Download {
            name: "lora-explorer-learn-forget.csv".to_string(),
            text,
        }];
    }
    let Some(frame) = frame else {
        return Vec::new();
    };
    match figure {
        FigureId::TrainingLoss => {
            let mut text = String::from("method,step,train_loss,test_loss,pretraining_loss\n");
            for method in [Method::Full, Method::Lora] {
                for p in frame.losses.curves.of(method) {
                    text += &format!(
                        "{},{},{:.16e},{:.16e},{:.16e}\n",
                        method_cell(method),
                        p.step,
                        p.train,
                        p.test,
                        p.pretrain
                    );
                }
            }
            vec![Download {
                name: "lora-explorer-training-curves.csv".to_string(),
                text,
            }]
        }
        FigureId::TrainingUpdates => frame
            .snapshot
            .panels
            .iter()
            .filter_map(|panel| {
                let m = panel.matrix.to_matrix()?;
                Some(Download {
                    name: format!(
                        "lora-explorer-{}-{}x{}.csv",
                        panel_slug(panel.panel),
                        m.nrows(),
                        m.ncols()
                    ),
                    text: matrix_csv(&m),
                })
            })
            .collect(),
        FigureId::TrainingSpectra => {
            let panels = &frame.snapshot.panels;
            let longest = panels.iter().map(|p| p.sigma.len()).max().unwrap_or(0);
            let mut text = std::iter::once("index".to_string())
                .chain(panels.iter().map(|p| panel_slug(p.panel).to_string()))
                .collect::<Vec<_>>()
                .join(",");
            text.push('\n');
            for i in 0..longest {
                let cells: Vec<String> = std::iter::once((i + 1).to_string())
                    .chain(panels.iter().map(|p| {
                        p.sigma
                            .get(i)
                            .map_or(String::new(), |s| format!("{s:.16e}"))
                    }))
                    .collect();
                text += &cells.join(",");
                text.push('\n');
            }
            vec![Download {
                name: "lora-explorer-training-singular-values.csv".to_string(),
                text,
            }]
        }
        _ => Vec::new(),
    }
}

/// The data tables of `figure`, from the latest `frame` and `sweep`; empty before the first frame.
pub fn tables(figure: FigureId, frame: Option<&Frame>, sweep: Option<&SweepFigure>) -> Vec<Table> {
    if figure == FigureId::Subspace {
        return subspace_grid(sweep)
            .map(|(name, grid)| matrix_table(&name, &grid))
            .into_iter()
            .collect();
    }
    if figure == FigureId::LearnForget {
        let points = plane_points(frame, sweep);
        if points.is_empty() {
            return Vec::new();
        }
        return vec![Table {
            caption: "Each finished run: how well it learnt the new task, and how much it forgot"
                .to_string(),
            header: [
                "run",
                "steps",
                "new-task test loss",
                "pretraining loss",
                "status",
            ]
            .map(String::from)
            .to_vec(),
            rows: points
                .iter()
                .map(|p| {
                    vec![
                        match p.method {
                            Method::Full => "full fine-tuning".to_string(),
                            Method::Lora => format!("LoRA, rank {}", p.rank),
                        },
                        p.step.to_string(),
                        loss_cell(p.test),
                        loss_cell(p.pretrain),
                        status_cell(p.status),
                    ]
                })
                .collect(),
        }];
    }
    let Some(frame) = frame else {
        return Vec::new();
    };
    match figure {
        FigureId::TrainingLoss => [Method::Full, Method::Lora]
            .into_iter()
            .filter(|&method| !frame.losses.curves.of(method).is_empty())
            .map(|method| {
                let curve = frame.losses.curves.of(method);
                Table {
                    caption: format!(
                        "{}'s losses, {} of its {} recorded points",
                        match method {
                            Method::Full => "Full fine-tuning",
                            Method::Lora => "LoRA",
                        },
                        sample_indices(curve.len()).len(),
                        curve.len()
                    ),
                    header: ["step", "train loss", "test loss", "pretraining loss"]
                        .map(String::from)
                        .to_vec(),
                    rows: sample_indices(curve.len())
                        .into_iter()
                        .map(|i| {
                            let p = curve[i];
                            vec![
                                p.step.to_string(),
                                loss_cell(p.train),
                                loss_cell(p.test),
                                loss_cell(p.pretrain),
                            ]
                        })
                        .collect(),
                }
            })
            .collect(),
        FigureId::TrainingUpdates => frame
            .snapshot
            .panels
            .iter()
            .filter_map(|panel| Some(matrix_table(panel.panel.name(), &panel.matrix.to_matrix()?)))
            .collect(),
        FigureId::TrainingSpectra => {
            let panels = &frame.snapshot.panels;
            let longest = panels.iter().map(|p| p.sigma.len()).max().unwrap_or(0);
            vec![Table {
                caption: format!(
                    "Singular values after {} steps, {} of {}",
                    frame.snapshot.step,
                    sample_indices(longest).len(),
                    longest
                ),
                header: std::iter::once("i".to_string())
                    .chain(panels.iter().map(|p| p.panel.name().to_string()))
                    .collect(),
                rows: sample_indices(longest)
                    .into_iter()
                    .map(|i| {
                        std::iter::once((i + 1).to_string())
                            .chain(
                                panels.iter().map(|p| {
                                    p.sigma.get(i).map_or(String::new(), |&s| loss_cell(s))
                                }),
                            )
                            .collect()
                    })
                    .collect(),
            }]
        }
        _ => Vec::new(),
    }
}

/// The run's adapter as a Hugging Face PEFT `LoraConfig`, with what PEFT leaves to the trainer
/// (optimiser, learning rate, LoRA+'s ratio, batch size) in comments.
pub fn peft_config(config: &Config) -> String {
    let train = config.train;
    let init = match train.init {
        Init::Peft => "True,  # B = 0, A Kaiming-uniform: training starts from W0",
        Init::Gaussian => "\"gaussian\",  # B = 0, A Gaussian",
        Init::Pissa => "\"pissa\",  # B and A from W0's top-r singular triplets, the rest frozen",
    };
    let optimiser = match train.optimizer {
        Optimizer::Adam => "Adam (torch.optim.Adam, no weight decay)",
        Optimizer::Sgd => "SGD (torch.optim.SGD, no momentum)",
    };
    let lora_plus = if train.lora_plus_ratio > 1.0 {
        format!(
            "# LoRA+: B learns {} times faster than A. PEFT builds such an optimiser with\n\
             # peft.optimizers.create_loraplus_optimizer(model, optimizer_cls, lr={}, loraplus_lr_ratio={}).\n",
            format_float(train.lora_plus_ratio),
            significant(train.learning_rate, 3),
            format_float(train.lora_plus_ratio)
        )
    } else {
        String::new()
    };
    format!(
        "from peft import LoraConfig\n\n\
         # The adapter chapter 2 trained on its {d}×{k} layer. For a model, name its layers in\n\
         # target_modules, such as [\"q_proj\", \"v_proj\"] for LLaMA.\n\
         # Trained with {optimiser} at learning rate {lr}, batch size {batch}.\n\
         {lora_plus}\
         config = LoraConfig(\n    \
         r={rank},\n    \
         lora_alpha={alpha},  # the scaling is alpha / {scale_of}\n    \
         use_rslora={rslora},\n    \
         init_lora_weights={init}\n    \
         target_modules=[\"q_proj\", \"v_proj\"],\n    \
         lora_dropout=0.0,\n    \
         bias=\"none\",\n\
         )\n",
        d = config.task.d,
        k = config.task.k,
        lr = significant(train.learning_rate, 3),
        batch = train.batch_size,
        rank = train.rank,
        alpha = format_float(train.alpha),
        scale_of = match train.scaling {
            Scaling::Standard => "r",
            Scaling::RankStabilised => "sqrt(r)",
        },
        rslora = if train.scaling == Scaling::RankStabilised {
            "True"
        } else {
            "False"
        },
    )
}
