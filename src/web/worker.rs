//! The Web Worker: computes the intrinsic-rank section's singular values and approximations off the
//! main thread.
//!
//! Protocol. The page posts requests `{job, n, trueRank, noise, seed, rank}`; `job` grows with every
//! request. The worker keeps only the latest request: it answers with `{job, kind: "spectrum",
//! sigma: Float64Array, ms}` as soon as the singular values are known, then, unless a newer request
//! has arrived meanwhile, with `{job, kind: "approximation", n, rank, delta, approx, residual
//! (Uint8Array RGBA, transferred), halfRange, residualHalfRange, relativeError, tailError, ms}`.
//! A failure answers `{kind: "error", message}`. Once listening, the worker says `{kind: "ready"}`:
//! requests posted before that are lost, so the page holds its latest request until then.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Float64Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::figures::intrinsic::{MatrixSpec, Workbench};

/// One request from the page.
#[derive(Clone, Copy, Debug)]
struct Request {
    job: f64,
    spec: MatrixSpec,
    rank: usize,
}

/// The worker's state between messages.
struct Worker {
    scope: DedicatedWorkerGlobalScope,
    workbench: RefCell<Workbench>,
    latest: Cell<Option<Request>>,
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
        latest: Cell::new(None),
        scheduled: Cell::new(false),
    });
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        match parse_request(&event.data()) {
            Some(request) => {
                worker.latest.set(Some(request));
                schedule(&worker, Step::Spectrum);
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

/// The two steps of a request.
#[derive(Clone, Copy)]
enum Step {
    Spectrum,
    Approximation(Request),
}

/// Runs `step` in a later task, so that requests arriving meanwhile are read first.
fn schedule(worker: &Rc<Worker>, step: Step) {
    if matches!(step, Step::Spectrum) && worker.scheduled.replace(true) {
        return;
    }
    let worker_for_step = Rc::clone(worker);
    let callback = Closure::once_into_js(move || run(&worker_for_step, step));
    if worker
        .scope
        .set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), 0)
        .is_err()
    {
        post_error(&worker.scope, "the worker could not schedule its work");
    }
}

fn run(worker: &Rc<Worker>, step: Step) {
    match step {
        Step::Spectrum => {
            worker.scheduled.set(false);
            let Some(request) = worker.latest.take() else {
                return;
            };
            let started = js_sys::Date::now();
            let sigma = Float64Array::from(worker.workbench.borrow_mut().spectrum(request.spec));
            let message = object(&[
                ("job", request.job.into()),
                ("kind", "spectrum".into()),
                ("sigma", sigma.into()),
                ("ms", (js_sys::Date::now() - started).into()),
            ]);
            post(worker, &message, &Array::new());
            schedule(worker, Step::Approximation(request));
        }
        Step::Approximation(request) => {
            // A newer request makes this approximation stale: answer that one first.
            if worker.latest.get().is_some() {
                schedule(worker, Step::Spectrum);
                return;
            }
            let started = js_sys::Date::now();
            let approximation = worker
                .workbench
                .borrow_mut()
                .approximation(request.spec, request.rank);
            let [delta, approx, residual] =
                approximation.pixels.map(|p| Uint8Array::from(p.as_slice()));
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
                ("ms", (js_sys::Date::now() - started).into()),
            ]);
            post(worker, &message, &transfer);
        }
    }
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
    Some(Request {
        job: number("job")?,
        spec: MatrixSpec {
            n: count("n")?,
            true_rank: count("trueRank")?,
            noise: number("noise").filter(|v| v.is_finite())?,
            seed: number("seed").filter(|v| v.is_finite() && *v >= 0.0)? as u64,
        },
        rank: count("rank")?,
    })
}

/// The request the page sends for `spec` at `rank`, as the worker reads it.
pub fn request(job: f64, spec: MatrixSpec, rank: usize) -> Object {
    object(&[
        ("job", job.into()),
        ("n", (spec.n as f64).into()),
        ("trueRank", (spec.true_rank as f64).into()),
        ("noise", spec.noise.into()),
        ("seed", (spec.seed as f64).into()),
        ("rank", (rank as f64).into()),
    ])
}
