//! A Web Worker's side: runs one kind of [`Bench`] off the main thread.
//!
//! Chapter 1's workers run `figures::work::Workbenches` (the intrinsic-rank section's singular
//! values and approximations, Figure 3's spectra) and so does chapter 3's; chapter 2's runs the
//! trainer. Each reads its bench's requests and sends its answers, in the form `figures::work`
//! defines and `channel` carries. A worker answers only the latest request it has read. Once
//! listening, it says so ([`Reply::ready`]): requests posted before that are lost, so the page
//! holds its latest request until then. A failure, a panic included, is answered with
//! [`Reply::failed`].
//!
//! Work is done in slices of [`SLICE_MS`], each a task of its own (posted through a
//! `MessageChannel`, which no browser delays as it may delay nested timers), so that a newer
//! request is read between two slices and replaces the stale one at once instead of waiting for it
//! to finish. A slice may send part of an answer (a training run's progress) and go on.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageChannel, MessageEvent};

use super::channel::{decode, encode};
use crate::figures::work::{Bench, Progress, Reply, ReplyKind};

/// The longest a worker computes before it reads its messages again, in milliseconds.
const SLICE_MS: f64 = 5.0;

/// The worker's state between messages.
struct Worker<B: Bench> {
    scope: DedicatedWorkerGlobalScope,
    bench: RefCell<B>,
    /// The newest request read and not yet started.
    latest: RefCell<Option<B::Request>>,
    /// The request being worked on, left unfinished by the last slice.
    current: RefCell<Option<B::Request>>,
    scheduled: Cell<bool>,
    /// Posting to its second port runs the next slice as a task of its own.
    slices: MessageChannel,
    /// The timer that will run the next slice after a wait, if one is set.
    timer: Cell<Option<i32>>,
    /// What the timer calls: it runs the next slice.
    on_timer: RefCell<Option<js_sys::Function>>,
}

/// Starts the worker, running bench `B`: answers requests until the page closes.
pub fn start<B: Bench + 'static>() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let scope_for_panics = scope.clone();
    std::panic::set_hook(Box::new(move |info| {
        post_failure::<B>(&scope_for_panics, format!("the worker stopped: {info}"));
    }));
    let slices = match MessageChannel::new() {
        Ok(channel) => channel,
        Err(_) => {
            post_failure::<B>(&scope, "the worker could not schedule its work".into());
            return;
        }
    };
    let worker = Rc::new(Worker {
        scope: scope.clone(),
        bench: RefCell::new(B::default()),
        latest: RefCell::new(None),
        current: RefCell::new(None),
        scheduled: Cell::new(false),
        slices,
        timer: Cell::new(None),
        on_timer: RefCell::new(None),
    });
    let worker_for_timer = Rc::clone(&worker);
    let on_timer = Closure::<dyn FnMut()>::new(move || {
        worker_for_timer.timer.set(None);
        schedule(&worker_for_timer, 0.0);
    });
    worker.on_timer.replace(Some(
        on_timer
            .as_ref()
            .unchecked_ref::<js_sys::Function>()
            .clone(),
    ));
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
            match decode::<B::Request>(&event.data()) {
                Ok(request) => {
                    worker.latest.replace(Some(request));
                    schedule(&worker, 0.0);
                }
                Err(_) => post_failure::<B>(
                    &worker.scope,
                    "the worker received a malformed request".into(),
                ),
            }
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handlers live as long as the worker.
    on_timer.forget();
    on_slice.forget();
    on_message.forget();
    // Messages the page sent before this handler existed were dropped: tell it to send again.
    post::<B>(&scope, &B::Answer::ready());
}

/// Runs the next slice in a later task, after `wait` milliseconds, so that requests arriving
/// meanwhile are read first and only the newest is answered. A wait set before is cancelled: a
/// newer request runs at once.
fn schedule<B: Bench>(worker: &Rc<Worker<B>>, wait: f64) {
    if let Some(timer) = worker.timer.take() {
        worker.scope.clear_timeout_with_handle(timer);
    }
    if wait > 0.0 {
        let set = worker.on_timer.borrow().as_ref().map(|on_timer| {
            worker
                .scope
                .set_timeout_with_callback_and_timeout_and_arguments_0(on_timer, wait.ceil() as i32)
        });
        match set {
            Some(Ok(timer)) => worker.timer.set(Some(timer)),
            _ => post_failure::<B>(
                &worker.scope,
                "the worker could not schedule its work".into(),
            ),
        }
        return;
    }
    if worker.scheduled.replace(true) {
        return;
    }
    if worker
        .slices
        .port2()
        .post_message(&JsValue::UNDEFINED)
        .is_err()
    {
        post_failure::<B>(
            &worker.scope,
            "the worker could not schedule its work".into(),
        );
    }
}

/// One slice: the newest request if one arrived (dropping the unfinished one), else the unfinished
/// one, worked on for up to [`SLICE_MS`]; then its answer, or part of it and another slice, or
/// another slice.
fn run<B: Bench>(worker: &Rc<Worker<B>>) {
    worker.scheduled.set(false);
    if let Some(newer) = worker.latest.take() {
        worker.current.replace(Some(newer));
    }
    let Some(request) = worker.current.take() else {
        return;
    };
    let deadline = now() + SLICE_MS;
    let progress = worker.bench.borrow_mut().advance(&request, &now, deadline);
    match progress {
        Progress::Done(answer) => post::<B>(&worker.scope, &answer),
        Progress::Partial { answer, wait } => {
            post::<B>(&worker.scope, &answer);
            worker.current.replace(Some(request));
            schedule(worker, wait);
        }
        Progress::Working { wait } => {
            worker.current.replace(Some(request));
            schedule(worker, wait);
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
fn post<B: Bench>(scope: &DedicatedWorkerGlobalScope, answer: &B::Answer) {
    let sent = encode(answer)
        .and_then(|(message, transfer)| scope.post_message_with_transfer(&message, &transfer));
    if sent.is_err() && !matches!(answer.kind(), ReplyKind::Failed(_)) {
        post_failure::<B>(scope, "the worker could not send its answer".into());
    }
}

fn post_failure<B: Bench>(scope: &DedicatedWorkerGlobalScope, message: String) {
    // Nothing more can be done if even the failure cannot be sent.
    post::<B>(scope, &B::Answer::failed(message));
}
