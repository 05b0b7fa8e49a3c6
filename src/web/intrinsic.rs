//! Paints "The intrinsic-rank hypothesis": asks the Web Worker for singular values and the best
//! rank-r approximation, shows that work is running, and draws what comes back.
//!
//! Latest input wins: every change posts a request with a larger job number; the worker skips stale
//! work, and answers for any job but the latest are ignored here.

use std::rc::Rc;

use js_sys::{Float64Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlCanvasElement, HtmlElement, MessageEvent, Worker};

use super::dom::{by_id, listen, show_error, typed_by_id};
use super::paint::{paint_chart, paint_pixels, Heatmap};
use super::worker::request;
use super::App;
use crate::figures::intrinsic::{MatrixSpec, SpectrumSummary};
use crate::format::signed;
use crate::render::charts::{energy_chart, spectrum_chart, Theme};
use crate::state::{format_float, IntrinsicState};

/// Height of each chart in CSS pixels.
const CHART_HEIGHT: f64 = 320.0;
/// Largest side of an approximation heatmap, in CSS pixels.
const HEATMAP_MAX: f64 = 360.0;
/// The script that starts the worker, relative to the page.
const WORKER_URL: &str = "./worker-loader.js";

/// What the worker last answered for the latest job.
#[derive(Default)]
struct Answers {
    sigma: Option<Vec<f64>>,
    spectrum_ms: f64,
    approximation_ms: f64,
}

/// The section's elements, its worker and what it knows.
pub struct IntrinsicView {
    worker: Worker,
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
    job: f64,
    posted: Option<(MatrixSpec, u32)>,
    /// Whether the worker has said it listens; messages sent before that would be lost.
    worker_ready: bool,
    /// The latest request, held until the worker is ready.
    waiting: Option<js_sys::Object>,
    answers: Answers,
    widths: (f64, f64, f64),
}

impl IntrinsicView {
    /// Finds the section's elements in `doc` and starts the worker.
    pub fn new(doc: &Document) -> Result<Self, JsValue> {
        Ok(Self {
            worker: Worker::new(WORKER_URL)?,
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
            job: 0.0,
            posted: None,
            worker_ready: false,
            waiting: None,
            answers: Answers::default(),
            widths: (0.0, 0.0, 0.0),
        })
    }

    /// Routes the worker's answers to the view.
    pub fn bind(app: &Rc<App>) -> Result<(), JsValue> {
        let worker = app.intrinsic.borrow().worker.clone();
        let on_answer = Rc::clone(app);
        listen(&worker, "message", move |event| {
            let Some(message) = event.dyn_ref::<MessageEvent>() else {
                return;
            };
            let state = on_answer.state.borrow().intrinsic.clone();
            let result = on_answer
                .intrinsic
                .borrow_mut()
                .on_answer(&message.data(), &state);
            if let Err(err) = result {
                show_error(&format!(
                    "The intrinsic-rank figure could not be drawn: {}",
                    super::dom::describe(&err)
                ));
            }
        })?;
        listen(&worker, "error", |_| {
            show_error("The background worker for the intrinsic-rank figures could not start.");
        })
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
    pub fn render(&mut self, state: &IntrinsicState) -> Result<(), JsValue> {
        let spec = MatrixSpec::of(state);
        let wanted = (spec, state.approx_rank);
        if self.posted != Some(wanted) {
            let matrix_changed = self.posted.map(|(s, _)| s) != Some(spec);
            self.job += 1.0;
            self.send(request(self.job, spec, state.approx_rank as usize))?;
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
             Left: the singular values on a log axis, the true rank marked. Right: the share of Σσᵢ² \
             captured by the first r components, with the {t}% threshold.",
            n = state.n,
            k = state.true_rank,
            sigma = format_sigma(state.noise()),
            seed = state.seed,
            t = format_float(state.threshold_percent),
        )));
        self.draw_spectrum(state)
    }

    /// Posts `message` to the worker, or holds it until the worker is ready.
    fn send(&mut self, message: js_sys::Object) -> Result<(), JsValue> {
        if self.worker_ready {
            self.worker.post_message(&message)
        } else {
            self.waiting = Some(message);
            Ok(())
        }
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
        let summary = SpectrumSummary::new(sigma, n, state.threshold_percent);
        let theme = Theme::light();
        let true_rank = state.true_rank as usize;
        paint_chart(&self.spectrum_chart, self.widths.0, CHART_HEIGHT, |area| {
            spectrum_chart(area, sigma, true_rank, &theme)
        })?;
        let threshold = state.threshold_percent / 100.0;
        paint_chart(&self.energy_chart, self.widths.1, CHART_HEIGHT, |area| {
            energy_chart(area, &summary.energy, threshold, summary.rank, &theme)
        })?;
        let [reached, compression, notebook] = summary.lines(n, state.threshold_percent);
        self.results[0].set_text_content(Some(&reached));
        self.results[1].set_text_content(Some(&compression));
        self.correction.set_text_content(Some(&notebook));
        let largest = sigma.first().copied().unwrap_or(0.0);
        let at_true_rank = sigma
            .get(true_rank.saturating_sub(1))
            .copied()
            .unwrap_or(0.0);
        let after = sigma.get(true_rank).copied().unwrap_or(0.0);
        self.spectrum_chart.set_attribute(
            "aria-label",
            &format!(
                "Singular values on a log axis: σ₁ = {}, σ{k} = {}, σ{k1} = {}: a drop after the true rank {k}.",
                signed(largest, 2),
                signed(at_true_rank, 3),
                signed(after, 4),
                k = true_rank,
                k1 = true_rank + 1
            ),
        )?;
        self.energy_chart.set_attribute(
            "aria-label",
            &format!("Cumulative explained variance. {reached}"),
        )?;
        Ok(())
    }

    /// Handles one message from the worker.
    fn on_answer(&mut self, data: &JsValue, state: &IntrinsicState) -> Result<(), JsValue> {
        let field = |key: &str| Reflect::get(data, &JsValue::from_str(key));
        let kind = field("kind")?.as_string().unwrap_or_default();
        if kind == "ready" {
            self.worker_ready = true;
            if let Some(message) = self.waiting.take() {
                self.worker.post_message(&message)?;
            }
            return Ok(());
        }
        if kind == "error" {
            let message = field("message")?.as_string().unwrap_or_default();
            show_error(&format!("The background worker failed: {message}."));
            return Ok(());
        }
        if field("job")?.as_f64() != Some(self.job) {
            return Ok(());
        }
        let ms = field("ms")?.as_f64().unwrap_or(0.0);
        match kind.as_str() {
            "spectrum" => {
                let sigma: Float64Array = field("sigma")?.dyn_into()?;
                self.answers.sigma = Some(sigma.to_vec());
                self.answers.spectrum_ms = ms;
                self.status.set_attribute("data-ms", &format!("{ms:.1}"))?;
                self.set_status(
                    &self.status,
                    &format!("Singular values computed in {ms:.0} ms in a background worker."),
                    false,
                );
                self.draw_spectrum(state)
            }
            "approximation" => {
                self.answers.approximation_ms = ms;
                self.draw_approximation(data, state)
            }
            _ => Ok(()),
        }
    }

    fn draw_approximation(
        &mut self,
        data: &JsValue,
        state: &IntrinsicState,
    ) -> Result<(), JsValue> {
        let field = |key: &str| Reflect::get(data, &JsValue::from_str(key));
        let number = |key: &str| -> Result<f64, JsValue> {
            field(key)?
                .as_f64()
                .ok_or_else(|| JsValue::from_str(&format!("the worker's answer has no {key}")))
        };
        let n = number("n")? as usize;
        let rank = number("rank")? as usize;
        let side = ((self.widths.2 - 80.0) / 3.0).clamp(96.0, HEATMAP_MAX);
        let cell = side / n as f64;
        for (heatmap, key) in self.heatmaps.iter().zip(["delta", "approx", "residual"]) {
            let pixels: Uint8Array = field(key)?.dyn_into()?;
            paint_pixels(heatmap, &pixels.to_vec(), n, n, cell)?;
        }
        let relative = number("relativeError")?;
        let tail = number("tailError")?;
        let (half, residual_half) = (number("halfRange")?, number("residualHalfRange")?);
        self.heatmaps[0]
            .label
            .set_text_content(Some(&format!("ΔW · {n}×{n}")));
        self.heatmaps[1]
            .label
            .set_text_content(Some(&format!("Best rank-{rank} approximation")));
        self.heatmaps[2].label.set_text_content(Some(&format!(
            "Residual (own scale, ±{})",
            signed(residual_half, 3)
        )));
        self.approx_results[0].set_text_content(Some(&format!(
            "Relative error from the matrices, ‖ΔW − ΔW₍{rank}₎‖_F / ‖ΔW‖_F = {relative:.6e}."
        )));
        self.approx_results[1].set_text_content(Some(&format!(
            "From the singular values alone, √(Σ_{{i>{rank}}} σᵢ²) / ‖ΔW‖_F = {tail:.6e}."
        )));
        let agree = (relative - tail).abs() <= 1e-9 * relative.abs().max(1e-300)
            || (relative - tail).abs() < 1e-12;
        self.approx_results[2].set_text_content(Some(&format!(
            "{} (difference {:.1e}).{}",
            if agree {
                "The two agree, as Eckart–Young says they must"
            } else {
                "The two differ by more than rounding"
            },
            (relative - tail).abs(),
            if rank < state.true_rank as usize {
                format!(" Below the true rank {} the error is large: whole directions of the signal are missing.", state.true_rank)
            } else {
                " At or above the true rank only noise is left out.".to_string()
            }
        )));
        self.approx_caption.set_text_content(Some(&format!(
            "ΔW and its approximation share one colour scale (±{}); the residual has its own, far \
             smaller one, or it would look blank. Full SVD and truncation took {:.0} ms in the worker.",
            signed(half, 2),
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
