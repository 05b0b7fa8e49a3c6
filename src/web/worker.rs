//! The Web Worker: computes the intrinsic-rank section's singular values and approximations, and
//! Figure 3's spectra, off the main thread.
//!
//! Protocol. The page runs three of these workers, one for spectra, one for approximations, so
//! that a slow full SVD never delays a spectrum, and one for Figure 3. It posts requests `{job,
//! want, n, trueRank, noise, seed, rank}`, `want` being "spectrum" or "approximation" and `job`
//! growing with every request, or `{job, want: "factorisation", d, k, r, scale, w0, b, a, merged}`
//! with Figure 3's matrices (Float64Array, column-major), answered by `{job, kind:
//! "factorisation", w0, update, merged (Float64Array), ms}`.
//! A worker answers only the latest request it has read: `{job, kind: "spectrum", sigma:
//! Float64Array, ms, svdMs}` (`svdMs` times the singular values alone, without drawing ΔW), or
//! `{job, kind: "approximation", n, rank, delta, approx, residual (Uint8Array RGBA, transferred),
//! halfRange, residualHalfRange, relativeError, tailError, ms}`. A failure answers `{kind: "error",
//! message}`. Once listening, the worker says `{kind: "ready"}`: requests posted before that are
//! lost, so the page holds its latest request until then.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Float64Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use nalgebra::DMatrix;

use crate::figures::factorisation::{SpectraInput, SpectraWorkbench};
use crate::figures::intrinsic::{MatrixSpec, Workbench};
use crate::math::lora::Factorisation;

/// What a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// The singular values (fast).
    Spectrum,
    /// The best rank-r approximation (a full SVD the first time for a matrix).
    Approximation,
}

impl Want {
    fn name(self) -> &'static str {
        match self {
            Self::Spectrum => "spectrum",
            Self::Approximation => "approximation",
        }
    }
}

/// One request from the page.
#[derive(Clone, Debug)]
struct Request {
    job: f64,
    work: Work,
}

/// What a request asks to compute.
#[derive(Clone, Debug)]
enum Work {
    /// The intrinsic-rank section's spectrum or approximation of a matrix.
    Intrinsic {
        want: Want,
        spec: MatrixSpec,
        rank: usize,
    },
    /// Figure 3's singular values of its matrices.
    Factorisation(SpectraInput),
}

/// The worker's state between messages.
struct Worker {
    scope: DedicatedWorkerGlobalScope,
    workbench: RefCell<Workbench>,
    spectra: RefCell<SpectraWorkbench>,
    latest: RefCell<Option<Request>>,
    scheduled: Cell<bool>,
}

/// Starts the worker: answers requests until the page closes.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let scope_for_panics = scope.clone();
    std::panic::set_hook(Box::new(move |info| {
        post_error(&scope_for_panics, &format!("the worker stopped: {info}"));
    }));
    let worker = Rc::new(Worker {
        scope: scope.clone(),
        workbench: RefCell::new(Workbench::default()),
        spectra: RefCell::new(SpectraWorkbench::default()),
        latest: RefCell::new(None),
        scheduled: Cell::new(false),
    });
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        match parse_request(&event.data()) {
            Some(request) => {
                worker.latest.replace(Some(request));
                schedule(&worker);
            }
            None => post_error(&worker.scope, "the worker received a malformed request"),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    // Messages the page sent before this handler existed were dropped: tell it to send again.
    let _ = scope.post_message(&object(&[("kind", "ready".into())]));
}

/// Runs the latest request in a later task, so that requests arriving meanwhile are read first and
/// only the newest is answered.
fn schedule(worker: &Rc<Worker>) {
    if worker.scheduled.replace(true) {
        return;
    }
    let worker_for_step = Rc::clone(worker);
    let callback = Closure::once_into_js(move || run(&worker_for_step));
    if worker
        .scope
        .set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), 0)
        .is_err()
    {
        post_error(&worker.scope, "the worker could not schedule its work");
    }
}

fn run(worker: &Rc<Worker>) {
    worker.scheduled.set(false);
    let Some(request) = worker.latest.take() else {
        return;
    };
    let started = now();
    let (want, spec, rank) = match request.work {
        Work::Intrinsic { want, spec, rank } => (want, spec, rank),
        Work::Factorisation(input) => {
            let spectra = worker.spectra.borrow_mut().spectra(input);
            let message = object(&[
                ("job", request.job.into()),
                ("kind", "factorisation".into()),
                ("w0", Float64Array::from(spectra.w0.as_slice()).into()),
                (
                    "update",
                    Float64Array::from(spectra.update.as_slice()).into(),
                ),
                (
                    "merged",
                    Float64Array::from(spectra.merged.as_slice()).into(),
                ),
                ("ms", (now() - started).into()),
            ]);
            post(worker, &message, &Array::new());
            return;
        }
    };
    let mut workbench = worker.workbench.borrow_mut();
    if want == Want::Spectrum {
        workbench.load(spec);
        let loaded = now();
        let sigma = Float64Array::from(workbench.spectrum(spec));
        let finished = now();
        let message = object(&[
            ("job", request.job.into()),
            ("kind", "spectrum".into()),
            ("sigma", sigma.into()),
            ("ms", (finished - started).into()),
            ("svdMs", (finished - loaded).into()),
        ]);
        post(worker, &message, &Array::new());
        return;
    }
    let approximation = workbench.approximation(spec, rank);
    let [delta, approx, residual] = approximation.pixels.map(|p| Uint8Array::from(p.as_slice()));
    let transfer = Array::of3(&delta.buffer(), &approx.buffer(), &residual.buffer());
    let message = object(&[
        ("job", request.job.into()),
        ("kind", "approximation".into()),
        ("n", (approximation.n as f64).into()),
        ("rank", (approximation.rank as f64).into()),
        ("delta", delta.into()),
        ("approx", approx.into()),
        ("residual", residual.into()),
        ("halfRange", approximation.half_range.into()),
        (
            "residualHalfRange",
            approximation.residual_half_range.into(),
        ),
        ("relativeError", approximation.relative_error.into()),
        ("tailError", approximation.tail_error.into()),
        ("ms", (now() - started).into()),
    ]);
    post(worker, &message, &transfer);
}

/// Milliseconds from the worker's clock, with sub-millisecond resolution where the browser gives it.
fn now() -> f64 {
    js_sys::global()
        .dyn_into::<web_sys::WorkerGlobalScope>()
        .ok()
        .and_then(|scope| scope.performance())
        .map_or_else(js_sys::Date::now, |performance| performance.now())
}

fn post(worker: &Worker, message: &Object, transfer: &Array) {
    if worker
        .scope
        .post_message_with_transfer(message, transfer)
        .is_err()
    {
        post_error(&worker.scope, "the worker could not send its answer");
    }
}

fn post_error(scope: &DedicatedWorkerGlobalScope, message: &str) {
    let error = object(&[("kind", "error".into()), ("message", message.into())]);
    // Nothing more can be done if even the error cannot be sent.
    let _ = scope.post_message(&error);
}

/// A plain object with the given properties.
fn object(properties: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (key, value) in properties {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object
}

fn parse_request(data: &JsValue) -> Option<Request> {
    let number = |key: &str| Reflect::get(data, &JsValue::from_str(key)).ok()?.as_f64();
    let count = |key: &str| {
        number(key)
            .filter(|v| v.is_finite() && *v >= 0.0 && *v <= 4096.0)
            .map(|v| v as usize)
    };
    let want = match Reflect::get(data, &JsValue::from_str("want"))
        .ok()?
        .as_string()?
        .as_str()
    {
        "spectrum" => Want::Spectrum,
        "approximation" => Want::Approximation,
        "factorisation" => {
            return Some(Request {
                job: number("job")?,
                work: Work::Factorisation(parse_spectra_input(data)?),
            })
        }
        _ => return None,
    };
    Some(Request {
        job: number("job")?,
        work: Work::Intrinsic {
            want,
            spec: MatrixSpec {
                n: count("n")?,
                true_rank: count("trueRank")?,
                noise: number("noise").filter(|v| v.is_finite())?,
                seed: number("seed").filter(|v| v.is_finite() && *v >= 0.0)? as u64,
            },
            rank: count("rank")?,
        },
    })
}

/// Figure 3's matrices from a request, each checked against the shapes it states.
fn parse_spectra_input(data: &JsValue) -> Option<SpectraInput> {
    let size = |key: &str| {
        let value = Reflect::get(data, &JsValue::from_str(key)).ok()?.as_f64()?;
        (value.is_finite() && (1.0..=4096.0).contains(&value)).then_some(value as usize)
    };
    let (d, k, r) = (size("d")?, size("k")?, size("r")?);
    let matrix = |key: &str, rows: usize, cols: usize| {
        let array = Reflect::get(data, &JsValue::from_str(key))
            .ok()?
            .dyn_into::<Float64Array>()
            .ok()?;
        (array.length() as usize == rows * cols)
            .then(|| DMatrix::from_vec(rows, cols, array.to_vec()))
    };
    Some(SpectraInput {
        w0: matrix("w0", d, k)?,
        b: matrix("b", d, r)?,
        a: matrix("a", r, k)?,
        merged: matrix("merged", d, k)?,
        scale: Reflect::get(data, &JsValue::from_str("scale"))
            .ok()?
            .as_f64()
            .filter(|v| v.is_finite())?,
    })
}

/// The request for Figure 3's spectra of `matrices`, as the worker reads it, with the buffers of
/// its four arrays to transfer.
pub fn factorisation_request(job: f64, matrices: &Factorisation) -> (Object, Array) {
    let arrays = [&matrices.w0, &matrices.b, &matrices.a, &matrices.merged]
        .map(|m| Float64Array::from(m.as_slice()));
    let transfer = Array::new();
    for array in &arrays {
        transfer.push(&array.buffer());
    }
    let [w0, b, a, merged] = arrays.map(JsValue::from);
    let (d, k) = matrices.w0.shape();
    let message = object(&[
        ("job", job.into()),
        ("want", "factorisation".into()),
        ("d", (d as f64).into()),
        ("k", (k as f64).into()),
        ("r", (matrices.b.ncols() as f64).into()),
        ("scale", matrices.scale.into()),
        ("w0", w0),
        ("b", b),
        ("a", a),
        ("merged", merged),
    ]);
    (message, transfer)
}

/// The request the page sends for `want` of `spec` at `rank`, as the worker reads it.
pub fn request(job: f64, want: Want, spec: MatrixSpec, rank: usize) -> Object {
    object(&[
        ("job", job.into()),
        ("want", want.name().into()),
        ("n", (spec.n as f64).into()),
        ("trueRank", (spec.true_rank as f64).into()),
        ("noise", spec.noise.into()),
        ("seed", (spec.seed as f64).into()),
        ("rank", (rank as f64).into()),
    ])
}
