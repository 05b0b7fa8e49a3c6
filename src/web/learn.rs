//! Chapter 2, "Watch LoRA learn": finds the chapter's elements, drives the training worker (play,
//! pause, one step, reset, the rank sweep) and paints the frames it streams.
//!
//! Every setting goes to the worker as a new request, which replaces the one it was working on; the
//! channel drops the frames of older requests, so a stale frame is never painted after a change or
//! a reset. Reset starts a fresh worker, which is also how the page recovers from a worker that
//! stopped.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{
    Document, Element, HtmlButtonElement, HtmlCanvasElement, HtmlElement, HtmlProgressElement,
};

use super::channel::Channel;
use super::chapter::{ChapterPage, ChapterView};
use super::dom::{by_id, describe, listen, show_error, typed_by_id, watch_near, window};
use super::paint::{cell_size, paint_chart, ColourBar, Heatmap};
use crate::export::Download;
use crate::figures::learn::{self, LEARN_FIGURES};
use crate::figures::tables::Table;
use crate::figures::trainer::{
    config_of, settings_text, speed_of, status_text, Frame, Mode, TrainAnswer, TrainBench,
    TrainRequest,
};
use crate::figures::training::{subspace_status, Panel, SweepFigure};
use crate::figures::FigureId;
use crate::math::train::Config;
use crate::render::charts::{learn_forget_chart, loss_chart, training_spectra_chart, Theme};
use crate::render::colormap::Diverging;
use crate::render::heatmap::{heatmap_rgba, share_heatmap_rgba};
use crate::state::LearnPage;

/// The script that starts the training worker, relative to the page.
const TRAINER_URL: &str = "./worker-loader.js?bin=lora-explorer-trainer";

/// Below this width, in CSS pixels, the stylesheet puts the heatmaps two by two.
const TWO_BY_TWO_BELOW: f64 = 720.0;

/// Height of every chart, in CSS pixels.
const CHART_HEIGHT: f64 = 320.0;

/// The heatmaps' element slugs, in [`Panel::ALL`]'s order.
const PANEL_SLUGS: [&str; 4] = ["target", "full", "lora", "gap"];

/// Chapter 2's figures, in page order, as the view paints them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Figure {
    Losses,
    Updates,
    Spectra,
    Plane,
    Subspace,
}

impl Figure {
    const ALL: [Figure; 5] = [
        Self::Losses,
        Self::Updates,
        Self::Spectra,
        Self::Plane,
        Self::Subspace,
    ];

    fn id(self) -> FigureId {
        match self {
            Self::Losses => FigureId::TrainingLoss,
            Self::Updates => FigureId::TrainingUpdates,
            Self::Spectra => FigureId::TrainingSpectra,
            Self::Plane => FigureId::LearnForget,
            Self::Subspace => FigureId::Subspace,
        }
    }
}

/// Chapter 2's figures, the worker, and what it last sent.
pub struct LearnView {
    settings: Element,
    play: HtmlButtonElement,
    status: Element,
    loss_chart: HtmlCanvasElement,
    loss_caption: Element,
    heatmaps: [Heatmap; 4],
    heatmap_container: HtmlElement,
    colour_bar: ColourBar,
    updates_caption: Element,
    spectra_chart: HtmlCanvasElement,
    spectra_caption: Element,
    sweep_progress: HtmlProgressElement,
    sweep_status: Element,
    plane_chart: HtmlCanvasElement,
    plane_caption: Element,
    phi: Heatmap,
    phi_bar: ColourBar,
    subspace_status: Element,
    subspace_caption: Element,
    channel: Channel<TrainBench>,
    /// The experiment the worker was last asked about.
    config: Option<Config>,
    /// Whether the run plays (or will, once the worker listens).
    playing: bool,
    /// Steps a second the reader chose; infinite for "as fast as it can".
    speed: f64,
    /// Whether a sweep is under way.
    sweeping: bool,
    /// Whether the worker was asked to start.
    started: bool,
    /// Whether the worker stopped: Reset starts a new one.
    stopped: bool,
    frame: Option<Frame>,
    sweep: Option<SweepFigure>,
    /// Which figures are near the viewport, by [`Figure`].
    near: [bool; Figure::ALL.len()],
    /// Which figures were not repainted while away from the viewport.
    stale: [bool; Figure::ALL.len()],
    width: f64,
    heatmap_width: f64,
    theme: Theme,
}

impl ChapterView for LearnView {
    type State = LearnPage;

    fn new(doc: &Document) -> Result<Self, JsValue> {
        let reduced_motion = window()?
            .match_media("(prefers-reduced-motion: reduce)")?
            .is_some_and(|query| query.matches());
        Ok(Self {
            settings: by_id(doc, "l-settings")?,
            play: typed_by_id(doc, "l-play")?,
            status: by_id(doc, "l-status")?,
            loss_chart: typed_by_id(doc, "l-loss-chart")?,
            loss_caption: by_id(doc, "l-loss-caption")?,
            heatmaps: [
                Heatmap::find(doc, "l", PANEL_SLUGS[0])?,
                Heatmap::find(doc, "l", PANEL_SLUGS[1])?,
                Heatmap::find(doc, "l", PANEL_SLUGS[2])?,
                Heatmap::find(doc, "l", PANEL_SLUGS[3])?,
            ],
            heatmap_container: typed_by_id(doc, "l-heatmaps")?,
            colour_bar: ColourBar::find(doc, "l")?,
            updates_caption: by_id(doc, "l-updates-caption")?,
            spectra_chart: typed_by_id(doc, "l-spectra-chart")?,
            spectra_caption: by_id(doc, "l-spectra-caption")?,
            sweep_progress: typed_by_id(doc, "l-sweep-progress")?,
            sweep_status: by_id(doc, "l-sweep-status")?,
            plane_chart: typed_by_id(doc, "l-plane-chart")?,
            plane_caption: by_id(doc, "l-plane-caption")?,
            phi: Heatmap::find(doc, "l", "phi")?,
            phi_bar: ColourBar::find(doc, "l-phi")?,
            subspace_status: by_id(doc, "l-subspace-status")?,
            subspace_caption: by_id(doc, "l-subspace-caption")?,
            channel: Channel::new(TRAINER_URL),
            config: None,
            // A reader who asked for less motion presses Play themselves.
            playing: !reduced_motion,
            speed: f64::INFINITY,
            sweeping: false,
            started: false,
            stopped: false,
            frame: None,
            sweep: None,
            near: [false; Figure::ALL.len()],
            stale: [true; Figure::ALL.len()],
            width: 0.0,
            heatmap_width: 0.0,
            theme: Theme::light(),
        })
    }

    fn bind(page: &Rc<ChapterPage<Self>>) -> Result<(), JsValue> {
        let handlers = page.worker_handlers(
            |page, data| {
                // The view's borrow ends before the data tables read it.
                let answered = page.view.borrow_mut().on_answer(data);
                match answered {
                    Ok(()) => super::datatable::refresh(&**page, &LEARN_FIGURES),
                    Err(err) => {
                        show_error(&format!("A figure could not be drawn: {}", describe(&err)))
                    }
                }
            },
            |page| page.view.borrow_mut().on_stopped(),
        );
        page.view.borrow_mut().channel.attach(handlers);
        page.wake_when_near("fig-training-loss", LearnView::wake)?;
        for figure in Figure::ALL {
            let watching = Rc::downgrade(page);
            let element = by_id(&page.doc, &figure.id().element_id())?;
            watch_near(&element, move |near| {
                if let Some(page) = watching.upgrade() {
                    if let Ok(mut view) = page.view.try_borrow_mut() {
                        if let Err(err) = view.set_near(figure, near) {
                            show_error(&format!("A figure could not be drawn: {}", describe(&err)));
                        }
                    }
                }
            })?;
        }
        bind_button(page, "l-play", LearnView::toggle_play)?;
        bind_button(page, "l-step", LearnView::step)?;
        bind_button(page, "l-reset", LearnView::reset)?;
        bind_button(page, "l-sweep", LearnView::start_sweep)
    }

    fn measure(&mut self) {
        self.width = f64::from(self.loss_chart.client_width());
        self.heatmap_width = f64::from(self.heatmap_container.client_width());
    }

    fn render(
        &mut self,
        state: &LearnPage,
        theme: &Theme,
        _changed: Option<&str>,
    ) -> Result<(), JsValue> {
        self.theme = *theme;
        self.settings
            .set_text_content(Some(&settings_text(&state.learn)));
        let config = config_of(&state.learn);
        let speed = speed_of(&state.learn);
        let config_changed = self.config != Some(config);
        if config_changed || speed != self.speed {
            self.config = Some(config);
            self.speed = speed;
            if config_changed {
                // The plane shows runs of the current settings only.
                self.sweep = None;
            }
            // Paused, a new speed needs no request; a new configuration shows its step 0.
            if config_changed || self.playing {
                self.send_run(false, self.mode())?;
            }
        }
        self.paint()
    }

    fn has_csv(figure: FigureId) -> bool {
        LEARN_FIGURES.contains(&figure)
    }

    fn downloads(&self, _state: &LearnPage, figure: FigureId) -> Vec<Download> {
        learn::downloads(figure, self.frame.as_ref(), self.sweep.as_ref())
    }

    fn peft(&self, state: &LearnPage, figure: FigureId) -> Option<String> {
        matches!(figure, FigureId::TrainingLoss | FigureId::TrainingUpdates)
            .then(|| learn::peft_config(&config_of(&state.learn)))
    }

    fn has_table(figure: FigureId) -> bool {
        LEARN_FIGURES.contains(&figure)
    }

    fn tables(&self, _state: &LearnPage, figure: FigureId) -> Vec<Table> {
        learn::tables(figure, self.frame.as_ref(), self.sweep.as_ref())
    }
}

/// Calls `action` on the view when button `id` is pressed.
fn bind_button(
    page: &Rc<ChapterPage<LearnView>>,
    id: &str,
    action: fn(&mut LearnView) -> Result<(), JsValue>,
) -> Result<(), JsValue> {
    let pressed = Rc::downgrade(page);
    let button = by_id(&page.doc, id)?;
    listen(&button, "click", move |_| {
        if let Some(page) = pressed.upgrade() {
            if let Err(err) = action(&mut page.view.borrow_mut()) {
                show_error(&format!("The training could not go on: {}", describe(&err)));
            }
        }
    })
}

impl LearnView {
    /// Starts the worker, if it has not started: the request waiting for it goes once it listens.
    fn wake(&mut self) -> Result<(), JsValue> {
        self.started = true;
        self.channel.wake()?;
        self.paint_status();
        Ok(())
    }

    /// How the run goes on: playing at the chosen speed, or paused.
    fn mode(&self) -> Mode {
        if self.playing {
            Mode::Play {
                steps_per_second: self.speed,
            }
        } else {
            Mode::Pause
        }
    }

    /// Asks the worker to go on with the current configuration as `mode` says, afresh if `fresh`.
    /// A sweep under way stops: the worker answers the newest request only.
    fn send_run(&mut self, fresh: bool, mode: Mode) -> Result<(), JsValue> {
        let Some(config) = self.config else {
            return Ok(());
        };
        if self.sweeping {
            self.sweeping = false;
            self.sweep_progress.set_hidden(true);
            self.sweep_status.set_text_content(Some(
                "The sweep stopped when the training went on: press Sweep ranks to run it again.",
            ));
        }
        self.channel.send(|job| TrainRequest::Run {
            job,
            config,
            fresh,
            mode,
        })
    }

    fn toggle_play(&mut self) -> Result<(), JsValue> {
        // Play after the worker stopped starts a new one.
        if self.stopped {
            self.playing = true;
            return self.reset();
        }
        let finished = self.frame.as_ref().is_some_and(|frame| frame.finished);
        self.playing = !self.playing;
        // Play on a finished run starts it again.
        self.send_run(self.playing && finished, self.mode())?;
        self.wake()
    }

    fn step(&mut self) -> Result<(), JsValue> {
        self.playing = false;
        self.send_run(false, Mode::Step)?;
        self.wake()
    }

    /// Starts again from step 0 in a fresh worker, which also restarts one that stopped.
    fn reset(&mut self) -> Result<(), JsValue> {
        self.stopped = false;
        self.frame = None;
        self.sweep = None;
        self.channel.restart()?;
        self.send_run(true, self.mode())?;
        self.wake()?;
        self.paint()
    }

    fn start_sweep(&mut self) -> Result<(), JsValue> {
        let Some(config) = self.config else {
            return Ok(());
        };
        self.playing = false;
        self.sweeping = true;
        self.sweep_progress.set_value(0.0);
        self.sweep_progress.set_hidden(false);
        self.sweep_status
            .set_text_content(Some("Training every rank in the background worker…"));
        self.channel
            .send(|job| TrainRequest::Sweep { job, config })?;
        self.wake()
    }

    /// The worker could not start, or stopped: say so; Reset starts a new one.
    fn on_stopped(&mut self) {
        // Whether the run was playing is kept: Reset carries on as the reader had it.
        self.stopped = true;
        self.sweeping = false;
        self.sweep_progress.set_hidden(true);
        self.paint_status();
    }

    /// Takes a worker's message: a frame of the run, or the sweep's progress.
    fn on_answer(&mut self, data: &JsValue) -> Result<(), JsValue> {
        match self.channel.receive(data)? {
            Some(TrainAnswer::Frame { frame, last, .. }) => {
                if last && frame.finished {
                    self.playing = false;
                }
                self.frame = Some(*frame);
                self.paint()
            }
            Some(TrainAnswer::Sweep { figure, last, .. }) => {
                self.sweep_progress.set_value(figure.progress.fraction());
                self.sweep_status
                    .set_text_content(Some(&figure.progress_text()));
                if last {
                    self.sweeping = false;
                    self.sweep_progress.set_hidden(true);
                }
                self.sweep = Some(figure);
                self.paint_if_near(Figure::Plane)?;
                self.paint_if_near(Figure::Subspace)
            }
            Some(TrainAnswer::Failed { .. }) => {
                self.on_stopped();
                Ok(())
            }
            Some(TrainAnswer::Ready | TrainAnswer::Timed { .. }) | None => Ok(()),
        }
    }

    /// Paints every figure near the viewport from the last frame and sweep; the others are
    /// painted when they come near.
    fn paint(&mut self) -> Result<(), JsValue> {
        self.paint_status();
        for figure in Figure::ALL {
            self.paint_if_near(figure)?;
        }
        Ok(())
    }

    /// Paints `figure` if it is near the viewport, or marks it to paint when it comes near.
    fn paint_if_near(&mut self, figure: Figure) -> Result<(), JsValue> {
        let index = figure as usize;
        if self.near[index] {
            self.stale[index] = false;
            self.paint_figure(figure)
        } else {
            self.stale[index] = true;
            Ok(())
        }
    }

    /// Whether `figure` is near the viewport; one coming near with an old picture is repainted.
    fn set_near(&mut self, figure: Figure, near: bool) -> Result<(), JsValue> {
        let index = figure as usize;
        self.near[index] = near;
        // Before the page has measured its figures, the first paint is still to come.
        if near && self.stale[index] && self.width > 0.0 {
            self.paint_if_near(figure)?;
        }
        Ok(())
    }

    fn paint_figure(&self, figure: Figure) -> Result<(), JsValue> {
        match figure {
            Figure::Plane => return self.paint_plane(),
            Figure::Subspace => return self.paint_subspace(),
            Figure::Losses | Figure::Updates | Figure::Spectra => {}
        }
        let Some(frame) = &self.frame else {
            return Ok(());
        };
        let theme = self.theme;
        match figure {
            Figure::Losses => {
                paint_chart(&self.loss_chart, self.width, CHART_HEIGHT, |area| {
                    loss_chart(area, &frame.losses, &theme)
                })?;
                self.loss_caption
                    .set_text_content(Some(&frame.losses.caption()));
            }
            Figure::Updates => self.paint_heatmaps(frame)?,
            Figure::Spectra => {
                paint_chart(&self.spectra_chart, self.width, CHART_HEIGHT, |area| {
                    training_spectra_chart(area, &frame.snapshot, &theme)
                })?;
                self.spectra_caption
                    .set_text_content(Some(&frame.snapshot.caption()));
            }
            Figure::Plane | Figure::Subspace => {}
        }
        Ok(())
    }

    fn paint_status(&self) {
        let text = if self.stopped {
            "The training worker stopped: press Reset to start a new one.".to_string()
        } else {
            status_text(self.frame.as_ref(), self.started, self.playing, self.speed)
        };
        self.status.set_text_content(Some(&text));
        let playing = self.playing && !self.stopped;
        self.play
            .set_text_content(Some(if playing { "Pause" } else { "Play" }));
        let _ = self
            .play
            .set_attribute("aria-pressed", if playing { "true" } else { "false" });
    }

    /// Paints the four updates on one colour scale, ΔW*'s largest entry.
    fn paint_heatmaps(&self, frame: &Frame) -> Result<(), JsValue> {
        let snapshot = &frame.snapshot;
        let largest = snapshot.panel(Panel::Target).map_or(0.0, |p| {
            p.matrix.entries.iter().fold(0.0_f64, |a, v| a.max(v.abs()))
        });
        let colours = Diverging::new(largest);
        let per_map = if self.heatmap_width < TWO_BY_TWO_BELOW {
            (self.heatmap_width - 16.0) / 2.0
        } else {
            (self.heatmap_width - 72.0) / 4.0
        };
        for (heatmap, panel) in self.heatmaps.iter().zip(Panel::ALL) {
            let Some(data) = snapshot.panel(panel) else {
                heatmap.canvas.set_hidden(true);
                continue;
            };
            heatmap.canvas.set_hidden(false);
            let Some(matrix) = data.matrix.to_matrix() else {
                continue;
            };
            let (rows, cols) = matrix.shape();
            let cell = cell_size(per_map, cols as f64, (1.0, 6.0))?;
            heatmap.paint(&heatmap_rgba(&matrix, colours), rows, cols, cell)?;
        }
        self.colour_bar.paint(colours)?;
        self.updates_caption
            .set_text_content(Some(&snapshot.caption()));
        Ok(())
    }

    /// Paints φ between the sweep's two ranks, once a sweep is done.
    fn paint_subspace(&self) -> Result<(), JsValue> {
        let subspace = self.sweep.as_ref().and_then(|s| s.subspace.as_ref());
        self.subspace_status
            .set_text_content(Some(&subspace_status(subspace)));
        let Some((figure, grid)) = subspace.and_then(|f| Some((f, f.grid.to_matrix()?))) else {
            self.phi.canvas.set_hidden(true);
            self.subspace_caption.set_text_content(None);
            return Ok(());
        };
        self.phi.canvas.set_hidden(false);
        let (rows, cols) = grid.shape();
        let cell = cell_size(self.heatmap_width, cols as f64, (2.0, 12.0))?;
        self.phi
            .paint(&share_heatmap_rgba(&grid), rows, cols, cell)?;
        self.phi.label.set_text_content(Some(&figure.label()));
        self.phi_bar.paint_shares()?;
        self.subspace_caption
            .set_text_content(Some(&figure.caption()));
        Ok(())
    }

    /// Paints the learn–forget plane: the sweep's runs, or else the current run's two points.
    fn paint_plane(&self) -> Result<(), JsValue> {
        let points = match (&self.sweep, &self.frame) {
            (Some(sweep), _) => sweep.points.iter().map(|p| p.result).collect(),
            (None, Some(frame)) => frame.learn_forget.clone(),
            (None, None) => Vec::new(),
        };
        let theme = self.theme;
        paint_chart(&self.plane_chart, self.width, CHART_HEIGHT, |area| {
            learn_forget_chart(area, &points, &theme)
        })?;
        let caption = match &self.sweep {
            Some(sweep) => sweep.caption(),
            None => crate::figures::training::learn_forget_caption(&points),
        };
        self.plane_caption.set_text_content(Some(&caption));
        Ok(())
    }
}
