//! Paints "The intrinsic-rank hypothesis": asks two Web Workers, one for singular values and one for
//! the best rank-r approximation, shows that work is running, and draws what comes back.
//!
//! Latest input wins: every change posts a request with a larger job number; a worker answers only
//! the newest request it has read, and answers for any job but a channel's latest are ignored here.
//! The spectrum worker is never restarted, so its code stays optimised by the browser; the
//! approximation worker is restarted when a new matrix arrives during a stale full SVD, which can
//! take over a second.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, HtmlCanvasElement, HtmlElement, MessageEvent};

use super::channel::{Channel, Handlers, WORKER_URL};
use super::dom::{by_id, show_error, typed_by_id};
use super::paint::{paint_chart, Heatmap};
use super::{App, SectionId};
use crate::figures::intrinsic::{
    approximation_lines, residual_label, spectrum_description, Approximation, MatrixSpec,
    SpectrumSummary,
};
use crate::figures::work::{Answer, Request, Workbenches};
use crate::format::signed;
use crate::render::charts::{energy_chart, spectrum_chart, Theme};
use crate::state::{format_float, IntrinsicState};

/// Height of each chart in CSS pixels.
const CHART_HEIGHT: f64 = 320.0;
/// Largest side of an approximation heatmap, in CSS pixels.
const HEATMAP_MAX: f64 = 360.0;

/// What the workers last answered for the latest jobs.
#[derive(Default)]
struct Answers {
    sigma: Option<Vec<f64>>,
    spectrum_ms: f64,
    approximation_ms: f64,
}

/// Which worker a message came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Spectra,
    Approximations,
}

/// The section's elements, its workers and what it knows.
pub struct IntrinsicView {
    spectra: Channel<Workbenches>,
    approximations: Channel<Workbenches>,
    status: HtmlElement,
    approx_status: HtmlElement,
    spectrum_chart: HtmlCanvasElement,
    energy_chart: HtmlCanvasElement,
    results: [Element; 2],
    caption: Element,
    correction: Element,
    approx_results: [Element; 3],
    approx_caption: Element,
    heatmaps: [Heatmap; 3],
    heatmap_container: HtmlElement,
    posted: Option<(MatrixSpec, u32)>,
    /// The approximation to ask for when the current matrix's spectrum arrives.
    next_approximation: Option<(MatrixSpec, usize)>,
    answers: Answers,
    widths: (f64, f64, f64),
    /// The chart theme of the last render, for answers that arrive later.
    theme: Theme,
}

impl IntrinsicView {
    /// Finds the section's elements in `doc`; its workers start with [`IntrinsicView::wake`].
    pub fn new(doc: &Document) -> Result<Self, JsValue> {
        Ok(Self {
            spectra: Channel::new(WORKER_URL),
            approximations: Channel::new(WORKER_URL),
            status: typed_by_id(doc, "i-status")?,
            approx_status: typed_by_id(doc, "ia-status")?,
            spectrum_chart: typed_by_id(doc, "i-spectrum-chart")?,
            energy_chart: typed_by_id(doc, "i-energy-chart")?,
            results: [by_id(doc, "i-result-1")?, by_id(doc, "i-result-2")?],
            caption: by_id(doc, "i-caption")?,
            correction: by_id(doc, "i-correction")?,
            approx_results: [
                by_id(doc, "ia-result-1")?,
                by_id(doc, "ia-result-2")?,
                by_id(doc, "ia-result-3")?,
            ],
            approx_caption: by_id(doc, "ia-caption")?,
            heatmaps: [
                Heatmap::find(doc, "ia", "delta")?,
                Heatmap::find(doc, "ia", "approx")?,
                Heatmap::find(doc, "ia", "residual")?,
            ],
            heatmap_container: typed_by_id(doc, "ia-heatmaps")?,
            posted: None,
            next_approximation: None,
            answers: Answers::default(),
            widths: (0.0, 0.0, 0.0),
            theme: Theme::light(),
        })
    }

    /// Routes both workers' answers to the view (and those of any worker started later on).
    pub fn bind(app: &Rc<App>) -> Result<(), JsValue> {
        for role in [Role::Spectra, Role::Approximations] {
            let handlers = Self::handlers(app, role);
            let mut view = app.intrinsic.borrow_mut();
            match role {
                Role::Spectra => view.spectra.attach(handlers),
                Role::Approximations => view.approximations.attach(handlers),
            }
        }
        Ok(())
    }

    fn handlers(app: &Rc<App>, role: Role) -> Handlers {
        let on_answer = Rc::clone(app);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            let state = on_answer.state.borrow().intrinsic.clone();
            let result = on_answer
                .intrinsic
                .borrow_mut()
                .on_answer(role, &message.data(), &state);
            if let Err(err) = result {
                show_error(&format!(
                    "The intrinsic-rank figure could not be drawn: {}",
                    super::dom::describe(&err)
                ));
            }
            super::datatable::refresh(&*on_answer, SectionId::Intrinsic.tabled_figures());
        });
        let on_failure = Rc::clone(app);
        let on_error = Closure::<dyn FnMut(Event)>::new(move |_| {
            let view = on_failure.intrinsic.borrow();
            let message = "The background worker that computes these figures could not start: \
                           reload the page to try again.";
            view.set_status(&view.status, message, false);
            view.set_status(&view.approx_status, message, false);
        });
        // Both handlers live as long as the page; a restarted worker gets them too.
        Handlers {
            message: on_message.into_js_value().unchecked_into(),
            error: on_error.into_js_value().unchecked_into(),
        }
    }

    /// Starts both workers, once the section is near the viewport.
    pub fn wake(&mut self) -> Result<(), JsValue> {
        self.spectra.wake()?;
        self.approximations.wake()
    }

    /// Stops both workers, for a page that goes away.
    pub fn stop(&mut self) {
        self.spectra.stop();
        self.approximations.stop();
    }

    /// The singular values last received for the current matrix, if any.
    pub fn sigma(&self) -> Option<Vec<f64>> {
        self.answers.sigma.clone()
    }

    /// Measures the charts and heatmaps; call on mount and when the window resizes.
    pub fn measure(&mut self) {
        self.widths = (
            f64::from(self.spectrum_chart.client_width()),
            f64::from(self.energy_chart.client_width()),
            f64::from(self.heatmap_container.client_width()),
        );
    }

    /// Asks the worker for what `state` needs (only when the matrix or the rank changed), and redraws
    /// what can be drawn now.
    pub fn render(&mut self, state: &IntrinsicState, theme: &Theme) -> Result<(), JsValue> {
        self.theme = *theme;
        let spec = MatrixSpec::of(state);
        let wanted = (spec, state.approx_rank);
        if self.posted != Some(wanted) {
            let matrix_changed = self.posted.map(|(s, _)| s) != Some(spec);
            let rank = state.approx_rank as usize;
            if matrix_changed {
                self.spectra.send(|job| Request::Spectrum { job, spec })?;
                // A full SVD of another matrix is stale: stop it, so that it neither delays the new
                // answer nor takes a core from the spectrum. The approximation is asked for once
                // the spectrum has arrived, for the same reason.
                if self.approximations.busy {
                    self.approximations.restart()?;
                }
                self.next_approximation = Some((spec, rank));
            } else if let Some(next) = &mut self.next_approximation {
                // The spectrum of this matrix has not arrived yet: the approximation asked for
                // then is of the rank now chosen.
                next.1 = rank;
            } else {
                self.approximations
                    .send(|job| Request::Approximation { job, spec, rank })?;
            }
            self.posted = Some(wanted);
            if matrix_changed {
                self.answers.sigma = None;
                self.set_status(
                    &self.status,
                    &format!("Computing the singular values of the {n}×{n} matrix in a background worker…", n = spec.n),
                    true,
                );
            }
            self.set_status(
                &self.approx_status,
                &format!(
                    "Computing the best rank-{} approximation{}…",
                    state.approx_rank,
                    if matrix_changed { " (a full SVD)" } else { "" }
                ),
                true,
            );
        }
        self.caption.set_text_content(Some(&format!(
            "ΔW = U·V + σ·Z with U ({n}×{k}), V ({k}×{n}) and Z drawn from N(0, 1), σ = {sigma}, seed {seed}. \
             The spectrum: the singular values on a log axis, the true rank marked. The variance: the share of Σσᵢ² \
             captured by the first r components, with the {t}% threshold.",
            n = state.n,
            k = state.true_rank,
            sigma = format_sigma(state.noise()),
            seed = state.seed,
            t = format_float(state.threshold_percent),
        )));
        self.draw_spectrum(state)
    }

    fn set_status(&self, element: &HtmlElement, text: &str, busy: bool) {
        element.set_text_content(Some(text));
        let _ = element.class_list().toggle_with_force("busy", busy);
    }

    /// Draws the spectrum, the energy chart and the figures read off them, if the singular values
    /// for the current matrix have arrived.
    fn draw_spectrum(&mut self, state: &IntrinsicState) -> Result<(), JsValue> {
        let Some(sigma) = &self.answers.sigma else {
            return Ok(());
        };
        let n = state.n as usize;
        let summary = SpectrumSummary::new(sigma, state.threshold_percent);
        let theme = &self.theme;
        let true_rank = state.true_rank as usize;
        paint_chart(&self.spectrum_chart, self.widths.0, CHART_HEIGHT, |area| {
            spectrum_chart(area, sigma, true_rank, theme)
        })?;
        let threshold = state.threshold_percent / 100.0;
        paint_chart(&self.energy_chart, self.widths.1, CHART_HEIGHT, |area| {
            energy_chart(area, &summary.energy, threshold, summary.rank, theme)
        })?;
        let [reached, compression, notebook] = summary.lines(n, state.threshold_percent, true_rank);
        self.results[0].set_text_content(Some(&reached));
        self.results[1].set_text_content(Some(&compression));
        self.correction.set_text_content(Some(&notebook));
        self.spectrum_chart
            .set_attribute("aria-label", &spectrum_description(sigma, true_rank))?;
        self.energy_chart.set_attribute(
            "aria-label",
            &format!("Cumulative explained variance. {reached}"),
        )?;
        Ok(())
    }

    /// Handles one message from the worker.
    fn on_answer(
        &mut self,
        role: Role,
        data: &JsValue,
        state: &IntrinsicState,
    ) -> Result<(), JsValue> {
        let channel = match role {
            Role::Spectra => &mut self.spectra,
            Role::Approximations => &mut self.approximations,
        };
        match channel.receive(data)? {
            Some(Answer::Spectrum {
                sigma, ms, svd_ms, ..
            }) => {
                if let Some((spec, rank)) = self.next_approximation.take() {
                    self.approximations
                        .send(|job| Request::Approximation { job, spec, rank })?;
                }
                self.answers.sigma = Some(sigma);
                self.answers.spectrum_ms = ms;
                self.status.set_attribute("data-ms", &format!("{ms:.1}"))?;
                self.status
                    .set_attribute("data-svd-ms", &format!("{svd_ms:.1}"))?;
                self.set_status(
                    &self.status,
                    &format!("Singular values computed in {ms:.0} ms in a background worker."),
                    false,
                );
                self.draw_spectrum(state)
            }
            Some(Answer::Approximation {
                approximation, ms, ..
            }) => {
                self.answers.approximation_ms = ms;
                self.draw_approximation(&approximation, state)
            }
            _ => Ok(()),
        }
    }

    fn draw_approximation(
        &mut self,
        approximation: &Approximation,
        state: &IntrinsicState,
    ) -> Result<(), JsValue> {
        let Approximation { n, rank, .. } = *approximation;
        let side = ((self.widths.2 - 80.0) / 3.0).clamp(96.0, HEATMAP_MAX);
        let cell = side / n as f64;
        for (heatmap, pixels) in self.heatmaps.iter().zip(&approximation.pixels) {
            heatmap.paint(pixels, n, n, cell)?;
        }
        for (heatmap, what) in
            self.heatmaps
                .iter()
                .zip(["ΔW", "its best rank-r approximation", "the residual"])
        {
            heatmap.canvas.set_attribute(
                "aria-label",
                &format!("Heatmap of {what}, {n}×{n}, rank {rank}: blue positive, red negative"),
            )?;
        }
        self.heatmaps[0]
            .label
            .set_text_content(Some(&format!("ΔW · {n}×{n}")));
        self.heatmaps[1]
            .label
            .set_text_content(Some(&format!("Best rank-{rank} approximation")));
        self.heatmaps[2]
            .label
            .set_text_content(Some(&residual_label(approximation.residual_half_range)));
        let lines = approximation_lines(
            n,
            rank,
            state.true_rank as usize,
            approximation.relative_error,
            approximation.tail_error,
        );
        for (element, line) in self.approx_results.iter().zip(lines) {
            element.set_text_content(Some(&line));
        }
        self.approx_caption.set_text_content(Some(&format!(
            "ΔW and its approximation share one colour scale, ±{} (three times the entries' root mean \
             square); the residual has its own, so that its structure shows however small it is. The \
             worker answered in {:.0} ms: a full SVD the first time for each matrix, then one product per rank.",
            signed(approximation.half_range, 2),
            self.answers.approximation_ms
        )));
        self.approx_status
            .set_attribute("data-ms", &format!("{:.1}", self.answers.approximation_ms))?;
        self.set_status(
            &self.approx_status,
            &format!("Best rank-{rank} approximation ready."),
            false,
        );
        Ok(())
    }
}

/// σ written plainly: 0.01 rather than 0.010000000000000002.
fn format_sigma(sigma: f64) -> String {
    let text = format!("{sigma:.2e}");
    match sigma.log10().fract().abs() < 1e-9 {
        true => format!("{}", 10f64.powf(sigma.log10().round())),
        false => text,
    }
}
