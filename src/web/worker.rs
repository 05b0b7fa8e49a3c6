//! The Web Worker: computes the intrinsic-rank section's singular values and approximations, and
//! Figure 3's spectra, off the main thread.
//!
//! The page runs three of these workers, one for spectra, one for approximations, so that a slow
//! full SVD never delays a spectrum, and one for Figure 3. Each reads [`Request`]s and sends
//! [`Answer`]s, in the form `figures::work` defines and `channel` carries. A worker answers only the
//! latest request it has read. Once listening, it says [`Answer::Ready`]: requests posted before
//! that are lost, so the page holds its latest request until then. A failure, a panic included,
//! is answered with [`Answer::Failed`].
//!
//! The intrinsic-rank section's singular values are computed in slices of [`SLICE_MS`], each a task
//! of its own (posted through a `MessageChannel`, which no browser delays as it may delay nested
//! timers), so that a newer request is read between two slices and replaces the stale one at once
//! instead of waiting for it to finish.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageChannel, MessageEvent};

use super::channel::{decode, encode};
use crate::figures::work::{Answer, Request, Workbenches};

/// The longest a worker computes before it reads its messages again, in milliseconds.
const SLICE_MS: f64 = 5.0;

/// The worker's state between messages.
struct Worker {
    scope: DedicatedWorkerGlobalScope,
    workbenches: RefCell<Workbenches>,
    /// The newest request read and not yet started.
    latest: RefCell<Option<Request>>,
    /// The request being worked on, left unfinished by the last slice.
    current: RefCell<Option<Request>>,
    scheduled: Cell<bool>,
    /// Posting to its second port runs the next slice as a task of its own.
    slices: MessageChannel,
}

/// Starts the worker: answers requests until the page closes.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let scope_for_panics = scope.clone();
    std::panic::set_hook(Box::new(move |info| {
        post_failure(&scope_for_panics, format!("the worker stopped: {info}"));
    }));
    let slices = match MessageChannel::new() {
        Ok(channel) => channel,
        Err(_) => {
            post_failure(&scope, "the worker could not schedule its work".into());
            return;
        }
    };
    let worker = Rc::new(Worker {
        scope: scope.clone(),
        workbenches: RefCell::new(Workbenches::default()),
        latest: RefCell::new(None),
        current: RefCell::new(None),
        scheduled: Cell::new(false),
        slices,
    });
    let worker_for_slices = Rc::clone(&worker);
    let on_slice = Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| {
        run(&worker_for_slices);
    });
    worker
        .slices
        .port1()
        .set_onmessage(Some(on_slice.as_ref().unchecked_ref()));
    let on_message =
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            match decode::<Request>(&event.data()) {
                Ok(request) => {
                    worker.latest.replace(Some(request));
                    schedule(&worker);
                }
                Err(_) => post_failure(
                    &worker.scope,
                    "the worker received a malformed request".into(),
                ),
            }
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // Both handlers live as long as the worker.
    on_slice.forget();
    on_message.forget();
    // Messages the page sent before this handler existed were dropped: tell it to send again.
    post(&scope, &Answer::Ready);
}

/// Runs the next slice in a later task, so that requests arriving meanwhile are read first and
/// only the newest is answered.
fn schedule(worker: &Rc<Worker>) {
    if worker.scheduled.replace(true) {
        return;
    }
    if worker
        .slices
        .port2()
        .post_message(&JsValue::UNDEFINED)
        .is_err()
    {
        post_failure(
            &worker.scope,
            "the worker could not schedule its work".into(),
        );
    }
}

/// One slice: the newest request if one arrived (dropping the unfinished one), else the unfinished
/// one, worked on for up to [`SLICE_MS`]; then the answer, or another slice.
fn run(worker: &Rc<Worker>) {
    worker.scheduled.set(false);
    if let Some(newer) = worker.latest.take() {
        worker.current.replace(Some(newer));
    }
    let Some(request) = worker.current.take() else {
        return;
    };
    let deadline = now() + SLICE_MS;
    let answer = worker
        .workbenches
        .borrow_mut()
        .advance(&request, &now, deadline);
    match answer {
        Some(answer) => post(&worker.scope, &answer),
        None => {
            worker.current.replace(Some(request));
            schedule(worker);
        }
    }
}

/// Milliseconds from the worker's clock, with sub-millisecond resolution where the browser gives it.
fn now() -> f64 {
    js_sys::global()
        .dyn_into::<web_sys::WorkerGlobalScope>()
        .ok()
        .and_then(|scope| scope.performance())
        .map_or_else(js_sys::Date::now, |performance| performance.now())
}

/// Sends `answer` to the page, or says that it could not.
fn post(scope: &DedicatedWorkerGlobalScope, answer: &Answer) {
    let sent = encode(answer)
        .and_then(|(message, transfer)| scope.post_message_with_transfer(&message, &transfer));
    if sent.is_err() && !matches!(answer, Answer::Failed { .. }) {
        post_failure(scope, "the worker could not send its answer".into());
    }
}

fn post_failure(scope: &DedicatedWorkerGlobalScope, message: String) {
    // Nothing more can be done if even the failure cannot be sent.
    post(scope, &Answer::Failed { message });
}
