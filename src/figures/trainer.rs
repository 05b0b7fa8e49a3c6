//! Chapter 2's worker: what the page asks it ([`TrainRequest`]), what it answers
//! ([`TrainAnswer`]), and [`TrainBench`], which trains in slices of time and streams frames.
//!
//! A run plays at a chosen speed in steps a second (or as fast as it can), and the bench sends a
//! [`Frame`] (the loss chart and the snapshot of the updates) at most every [`FRAME_MS`], never one
//! a step. Pausing is a request like any other: the newest request replaces the one being worked
//! on, so a pause stops the work at once and is answered with the run as it stands. A run keeps its
//! trainer between requests: playing again after a pause goes on from where it stopped, unless the
//! configuration changed or the page asks for a fresh start.

use serde::{Deserialize, Serialize};

use super::training::{LossChart, Snapshot, SweepFigure};
use super::work::{Bench, Message, Progress, Reply, ReplyKind};
use crate::format::{significant, thousands};
use crate::math::train::{
    Config, Init, LearnForget, Method, Optimizer, RankSweep, Runs, Scaling, Spectrum, Status,
    TaskSpec, TrainSpec, Trainer,
};
use crate::state::{LearnState, BATCH_SIZES, EXAMPLE_COUNTS, SPEEDS};

/// The shortest time between two frames of a playing run or a sweep, in milliseconds.
pub const FRAME_MS: f64 = 50.0;

/// The steps a run takes before it stops by itself.
pub const MAX_STEPS: usize = 20_000;

/// The steps each run of a rank sweep takes.
pub const SWEEP_STEPS: usize = 4_000;

/// The experiment chapter 2's controls describe.
pub fn config_of(state: &LearnState) -> Config {
    let value = |key| state.value_of(key);
    let count = |key, options: &[&str]| count_of(state, key, options);
    let spectrum = if value("lz") == 0.0 {
        Spectrum::ExactRank(value("lt") as usize)
    } else {
        Spectrum::PowerLaw(value("lp"))
    };
    Config {
        task: TaskSpec {
            d: value("ld") as usize,
            k: value("lk") as usize,
            spectrum,
            relative_size: 10f64.powf(value("lm")),
            noise: value("lv"),
            examples: count("ln", &EXAMPLE_COUNTS),
            seed: value("le") as u64,
        },
        train: TrainSpec {
            rank: value("lr") as usize,
            alpha: value("la"),
            scaling: if value("lc") == 0.0 {
                Scaling::Standard
            } else {
                Scaling::RankStabilised
            },
            init: match value("li") as usize {
                0 => Init::Peft,
                1 => Init::Gaussian,
                _ => Init::Pissa,
            },
            optimizer: if value("lo") == 0.0 {
                Optimizer::Adam
            } else {
                Optimizer::Sgd
            },
            learning_rate: 10f64.powf(value("lh")),
            lora_plus_ratio: value("lx"),
            batch_size: count("lb", &BATCH_SIZES),
        },
    }
    .clamped()
}

/// The training speed chapter 2's controls ask for, in steps a second; infinite for "max".
pub fn speed_of(state: &LearnState) -> f64 {
    SPEEDS
        .get(state.value_of("lw") as usize)
        .and_then(|text| text.parse::<f64>().ok())
        .unwrap_or(f64::INFINITY)
}

/// The settings line under chapter 2's controls: what each method trains, the values the log
/// sliders stand for, and any setting the experiment had to change.
pub fn settings_text(state: &LearnState) -> String {
    let config = config_of(state);
    let (task, train) = (config.task, config.train);
    let lora_params = train.rank * (task.d + task.k);
    let scale_name = match train.scaling {
        Scaling::Standard => "α/r",
        Scaling::RankStabilised => "α/√r",
    };
    let mut text = format!(
        "Full fine-tuning trains {} parameters (d·k); LoRA trains {} (r·(d + k)), at scale {} = {}. \
         ‖ΔW*‖ is {} of ‖W₀‖ and the learning rate η = {}.",
        thousands((task.d * task.k) as u64),
        thousands(lora_params as u64),
        scale_name,
        significant(config.scale(), 3),
        significant(task.relative_size, 3),
        significant(train.learning_rate, 3),
    );
    let asked = count_of(state, "lb", &BATCH_SIZES);
    if asked > train.batch_size {
        text += &format!(
            " A batch cannot hold more than the {} training examples: it holds {}.",
            thousands(task.examples as u64),
            thousands(train.batch_size as u64)
        );
    }
    text
}

/// Where the run stands, in a sentence: starting, playing, paused, finished or diverged.
pub fn status_text(frame: Option<&Frame>, playing: bool, steps_per_second: f64) -> String {
    let Some(frame) = frame else {
        return "Starting the training worker…".to_string();
    };
    let losses = &frame.losses;
    let diverged: Vec<(Method, usize)> = [(Method::Full, losses.full), (Method::Lora, losses.lora)]
        .into_iter()
        .filter_map(|(method, status)| match status {
            Some(Status::Diverged { step }) => Some((method, step)),
            _ => None,
        })
        .collect();
    let step = thousands(losses.step as u64);
    let mut text = match diverged.as_slice() {
        [] if frame.finished => format!("Finished: {step} steps."),
        [] if playing => {
            if steps_per_second.is_finite() {
                format!(
                    "Step {step}, training at {} steps a second.",
                    thousands(steps_per_second as u64)
                )
            } else {
                format!("Step {step}, training as fast as the worker can.")
            }
        }
        [] => format!("Paused at step {step}."),
        [(method, at)] if !frame.finished => format!(
            "{} diverged at step {}: lower the learning rate. The other run goes on (step {step}).",
            method_name(*method),
            thousands(*at as u64)
        ),
        [(method, at)] => format!(
            "{} diverged at step {}: lower the learning rate.",
            method_name(*method),
            thousands(*at as u64)
        ),
        _ => {
            let first = diverged.iter().map(|(_, at)| *at).min().unwrap_or(0);
            format!(
                "Both runs diverged, the first at step {}: lower the learning rate.",
                thousands(first as u64)
            )
        }
    };
    if frame.finished && diverged.len() == 1 && losses.step >= MAX_STEPS {
        text += &format!(
            " The other finished its {} steps.",
            thousands(MAX_STEPS as u64)
        );
    }
    text
}

/// "Full fine-tuning" or "LoRA", as a sentence starts.
fn method_name(method: Method) -> &'static str {
    match method {
        Method::Full => "Full fine-tuning",
        Method::Lora => "LoRA",
    }
}

/// The number chosen in selector `key`, whose options are `options`.
fn count_of(state: &LearnState, key: &str, options: &[&str]) -> usize {
    options
        .get(state.value_of(key) as usize)
        .and_then(|text| text.parse::<usize>().ok())
        .unwrap_or(1)
}

/// How a run is to go on.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Mode {
    /// Stand still and say where the run is.
    Pause,
    /// Take one step, then stand still.
    Step,
    /// Train at `steps_per_second` (infinite: as fast as the worker can) until [`MAX_STEPS`].
    Play {
        /// Steps a second.
        steps_per_second: f64,
    },
}

/// What the page asks chapter 2's worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TrainRequest {
    /// Train `config` as `mode` says: from where the last run of the same configuration stopped,
    /// or from step 0 if the configuration changed or `fresh` is set.
    Run {
        /// The request's job number.
        job: u32,
        /// The experiment.
        config: Config,
        /// Whether to start again from step 0.
        fresh: bool,
        /// How to go on.
        mode: Mode,
    },
    /// Time `steps` steps of `runs` of `config`, from a fresh trainer that records nothing: the
    /// benchmark's measure of the worker's training speed.
    Time {
        /// The request's job number.
        job: u32,
        /// The experiment.
        config: Config,
        /// Which runs to time.
        runs: Runs,
        /// Steps to take.
        steps: usize,
    },
    /// Train LoRA at every rank of a sweep, then full fine-tuning, each for [`SWEEP_STEPS`] on
    /// `config`'s task. A sweep already finished for the same configuration is answered at once.
    Sweep {
        /// The request's job number.
        job: u32,
        /// The experiment.
        config: Config,
    },
}

/// The run as it stands: the loss chart and the snapshot of the updates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// Both runs' curves, the floor and where each run stands.
    pub losses: LossChart,
    /// The updates and their singular values.
    pub snapshot: Snapshot,
    /// Whether the run has stopped for good: every run diverged, or [`MAX_STEPS`] were taken.
    pub finished: bool,
    /// Each run's place between learning and forgetting, from its last recorded losses.
    pub learn_forget: Vec<LearnForget>,
}

impl Frame {
    /// `trainer`'s frame now.
    pub fn of(trainer: &Trainer) -> Self {
        Self {
            losses: LossChart::of(trainer),
            snapshot: Snapshot::take(trainer),
            finished: is_finished(trainer),
            learn_forget: [Method::Lora, Method::Full]
                .into_iter()
                .filter_map(|method| trainer.learn_forget(method))
                .collect(),
        }
    }
}

/// What chapter 2's worker sends the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TrainAnswer {
    /// The worker listens.
    Ready,
    /// The worker could not do its work, said in a sentence fragment.
    Failed {
        /// What went wrong.
        message: String,
    },
    /// The run as it stands; `last` when the request is done (paused, stepped or finished), not
    /// when more frames of a playing run are coming.
    Frame {
        /// The request's job number.
        job: u32,
        /// The run.
        frame: Box<Frame>,
        /// Whether this is the request's last frame.
        last: bool,
    },
    /// How long a [`TrainRequest::Time`] took.
    Timed {
        /// The request's job number.
        job: u32,
        /// Steps taken.
        steps: usize,
        /// Milliseconds they took.
        ms: f64,
    },
    /// A sweep as far as it has got; `last` once every run has finished.
    Sweep {
        /// The request's job number.
        job: u32,
        /// The finished runs and the progress.
        figure: SweepFigure,
        /// Whether the sweep is done.
        last: bool,
    },
}

impl Message for TrainRequest {}
impl Message for TrainAnswer {}

impl Reply for TrainAnswer {
    fn ready() -> Self {
        Self::Ready
    }

    fn failed(message: String) -> Self {
        Self::Failed { message }
    }

    fn kind(&self) -> ReplyKind<'_> {
        match self {
            Self::Ready => ReplyKind::Ready,
            Self::Failed { message } => ReplyKind::Failed(message),
            Self::Timed { job, .. } => ReplyKind::Answer(*job),
            Self::Frame { job, last, .. } | Self::Sweep { job, last, .. } => {
                if *last {
                    ReplyKind::Answer(*job)
                } else {
                    ReplyKind::Part(*job)
                }
            }
        }
    }
}

/// Whether the trainer's curves get a point at `step`: every step up to 100, then every 10th up to
/// 1,000, every 100th up to 10,000 and every 1,000th after, so a curve of [`MAX_STEPS`] holds
/// about 300 points.
pub fn records_at(step: usize) -> bool {
    let mut interval = 1;
    while step >= 100 * interval {
        interval *= 10;
    }
    step.is_multiple_of(interval)
}

/// Whether `trainer` will take no more steps.
fn is_finished(trainer: &Trainer) -> bool {
    !trainer.is_running() || trainer.step_count() >= MAX_STEPS
}

/// A playing run's clock: the step and the time it started playing from, at its speed.
#[derive(Clone, Copy, Debug)]
struct Pace {
    job: u32,
    start_ms: f64,
    start_step: usize,
    last_frame_ms: f64,
}

/// What chapter 2's worker keeps between requests: the run (its trainer), how a playing run keeps
/// time, and the latest sweep.
#[derive(Default)]
pub struct TrainBench {
    trainer: Option<Trainer>,
    pace: Option<Pace>,
    sweep: Option<(Config, RankSweep)>,
    /// The job of the sweep request being worked on, and when its last frame went.
    sweep_frame: Option<(u32, f64)>,
}

/// The trainer for `config` in `slot`: the one kept, unless the configuration changed or
/// `fresh`; and whether it was kept.
fn trainer_for(slot: &mut Option<Trainer>, config: Config, fresh: bool) -> (&mut Trainer, bool) {
    let config = config.clamped();
    let keep = !fresh
        && slot
            .as_ref()
            .is_some_and(|trainer| *trainer.config() == config);
    if !keep {
        *slot = None;
    }
    (slot.get_or_insert_with(|| Trainer::new(config)), keep)
}

impl TrainBench {
    /// One slice of a run.
    fn run(
        &mut self,
        job: u32,
        config: Config,
        fresh: bool,
        mode: Mode,
        clock: &dyn Fn() -> f64,
        deadline: f64,
    ) -> Progress<TrainAnswer> {
        let now = clock();
        let new_request = self.pace.is_none_or(|pace| pace.job != job);
        let (trainer, kept) = trainer_for(&mut self.trainer, config, fresh && new_request);
        if !kept {
            self.pace = None;
        }
        let frame = |trainer: &Trainer, last| TrainAnswer::Frame {
            job,
            frame: Box::new(Frame::of(trainer)),
            last,
        };
        let steps_per_second = match mode {
            Mode::Pause => {
                self.pace = None;
                return Progress::Done(frame(trainer, true));
            }
            Mode::Step => {
                self.pace = None;
                if !is_finished(trainer) {
                    trainer.advance(1);
                }
                return Progress::Done(frame(trainer, true));
            }
            Mode::Play { steps_per_second } => steps_per_second,
        };
        let pace = match self.pace {
            Some(pace) if pace.job == job => pace,
            _ => Pace {
                job,
                start_ms: now,
                start_step: trainer.step_count(),
                // The first frame goes after one frame's time, not at once.
                last_frame_ms: now,
            },
        };
        // The step the run should have reached by now at its speed.
        let due = if steps_per_second.is_finite() {
            let elapsed = (now - pace.start_ms).max(0.0) / 1000.0;
            pace.start_step + (elapsed * steps_per_second.max(0.0)) as usize
        } else {
            usize::MAX
        };
        while trainer.step_count() < due.min(MAX_STEPS) && !is_finished(trainer) {
            trainer.step();
            if records_at(trainer.step_count()) {
                trainer.record();
            }
            if clock() >= deadline {
                break;
            }
        }
        if is_finished(trainer) {
            self.pace = None;
            return Progress::Done(frame(trainer, true));
        }
        let now = clock();
        // Behind the schedule: go on at once. Ahead: wait until the next step is due.
        let wait = if trainer.step_count() < due {
            0.0
        } else {
            let next = (trainer.step_count() + 1 - pace.start_step) as f64;
            (pace.start_ms + 1000.0 * next / steps_per_second - now).clamp(0.0, FRAME_MS)
        };
        if now - pace.last_frame_ms >= FRAME_MS {
            self.pace = Some(Pace {
                last_frame_ms: now,
                ..pace
            });
            return Progress::Partial {
                answer: frame(trainer, false),
                wait,
            };
        }
        self.pace = Some(pace);
        Progress::Working { wait }
    }

    /// One slice of a sweep.
    fn sweep(
        &mut self,
        job: u32,
        config: Config,
        clock: &dyn Fn() -> f64,
        deadline: f64,
    ) -> Progress<TrainAnswer> {
        let config = config.clamped();
        let sweep = match &mut self.sweep {
            Some((kept, sweep)) if *kept == config => sweep,
            slot => &mut slot.insert((config, RankSweep::new(config, SWEEP_STEPS))).1,
        };
        let last_frame_ms = match self.sweep_frame {
            Some((frame_job, at)) if frame_job == job => at,
            _ => clock(),
        };
        // Steps between two looks at the clock: a few milliseconds of LoRA steps at most.
        const CHUNK: usize = 16;
        while !sweep.is_done() && clock() < deadline {
            sweep.advance(CHUNK);
        }
        let figure = SweepFigure::of(sweep);
        if sweep.is_done() {
            self.sweep_frame = None;
            return Progress::Done(TrainAnswer::Sweep {
                job,
                figure,
                last: true,
            });
        }
        let now = clock();
        if now - last_frame_ms >= FRAME_MS {
            self.sweep_frame = Some((job, now));
            return Progress::Partial {
                answer: TrainAnswer::Sweep {
                    job,
                    figure,
                    last: false,
                },
                wait: 0.0,
            };
        }
        self.sweep_frame = Some((job, last_frame_ms));
        Progress::Working { wait: 0.0 }
    }
}

impl Bench for TrainBench {
    type Request = TrainRequest;
    type Answer = TrainAnswer;

    fn advance(
        &mut self,
        request: &TrainRequest,
        clock: &dyn Fn() -> f64,
        deadline: f64,
    ) -> Progress<TrainAnswer> {
        match *request {
            TrainRequest::Run {
                job,
                config,
                fresh,
                mode,
            } => self.run(job, config, fresh, mode, clock, deadline),
            TrainRequest::Time {
                job,
                config,
                runs,
                steps,
            } => {
                let mut trainer = Trainer::with_runs(config, runs);
                let started = clock();
                trainer.steps(steps);
                Progress::Done(TrainAnswer::Timed {
                    job,
                    steps: trainer.step_count(),
                    ms: clock() - started,
                })
            }
            TrainRequest::Sweep { job, config } => {
                // A sweep interrupts a playing run: it stands still until asked to play again.
                self.pace = None;
                self.sweep(job, config, clock, deadline)
            }
        }
    }
}
