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
use crate::math::train::{Config, RankSweep, Trainer};

/// The shortest time between two frames of a playing run or a sweep, in milliseconds.
pub const FRAME_MS: f64 = 50.0;

/// The steps a run takes before it stops by itself.
pub const MAX_STEPS: usize = 20_000;

/// The steps each run of a rank sweep takes.
pub const SWEEP_STEPS: usize = 4_000;

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
}

impl Frame {
    /// `trainer`'s frame now.
    pub fn of(trainer: &Trainer) -> Self {
        Self {
            losses: LossChart::of(trainer),
            snapshot: Snapshot::take(trainer),
            finished: is_finished(trainer),
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
            TrainRequest::Sweep { job, config } => {
                // A sweep interrupts a playing run: it stands still until asked to play again.
                self.pace = None;
                self.sweep(job, config, clock, deadline)
            }
        }
    }
}
