//! The Web Worker: computes the intrinsic-rank section's singular values and approximations, and
//! Figure 3's spectra, off the main thread.
//!
//! The page runs three of these workers, one for spectra, one for approximations, so that a slow
//! full SVD never delays a spectrum, and one for Figure 3. Each reads [`Request`]s and sends
//! [`Answer`]s, in the form `figures::work` defines and `channel` carries. A worker answers only the
//! latest request it has read. Once listening, it says [`Answer::Ready`]: requests posted before
//! that are lost, so the page holds its latest request until then. A failure, a panic included,
//! is answered with [`Answer::Failed`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::channel::{decode, encode};
use crate::figures::work::{Answer, Request, Workbenches};

/// The worker's state between messages.
struct Worker {
    scope: DedicatedWorkerGlobalScope,
    workbenches: RefCell<Workbenches>,
    latest: RefCell<Option<Request>>,
    scheduled: Cell<bool>,
}

/// Starts the worker: answers requests until the page closes.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let scope_for_panics = scope.clone();
    std::panic::set_hook(Box::new(move |info| {
        post_failure(&scope_for_panics, format!("the worker stopped: {info}"));
    }));
    let worker = Rc::new(Worker {
        scope: scope.clone(),
        workbenches: RefCell::new(Workbenches::default()),
        latest: RefCell::new(None),
        scheduled: Cell::new(false),
    });
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
    // The handler lives as long as the worker.
    on_message.forget();
    // Messages the page sent before this handler existed were dropped: tell it to send again.
    post(&scope, &Answer::Ready);
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
        post_failure(
            &worker.scope,
            "the worker could not schedule its work".into(),
        );
    }
}

fn run(worker: &Rc<Worker>) {
    worker.scheduled.set(false);
    if let Some(request) = worker.latest.take() {
        let answer = worker.workbenches.borrow_mut().answer(request, now);
        post(&worker.scope, &answer);
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
