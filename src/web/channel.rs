//! A connection to one Web Worker: latest input wins. Every request gets a larger job number, and
//! only the answer to the latest job is used; a request posted before the worker says it listens is
//! held until it does.
//!
//! Messages are a [`Bench`]'s requests and answers (see `figures::work`) as bytes, each in a
//! `Uint8Array` whose buffer is transferred (handed over, not copied).
//!
//! A channel starts without a worker: requests wait until [`Channel::wake`] starts one, which the
//! page does when the figure comes near the viewport, so a first load fetches no worker code.

use std::marker::PhantomData;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{Event, Worker};

use super::dom::show_error;
use crate::figures::work::{Bench, Message, Reply, ReplyKind};

/// The script that starts chapter 1's and chapter 3's worker, relative to the page.
pub const WORKER_URL: &str = "./worker-loader.js";

/// The worker's message and error handlers, kept to attach to a restarted worker.
pub struct Handlers {
    /// Called with each message the worker posts.
    pub message: js_sys::Function,
    /// Called when the worker fails to load or throws.
    pub error: js_sys::Function,
}

/// A connection to one worker running bench `B`: its latest job, and a request held until the
/// worker is ready.
pub struct Channel<B: Bench> {
    /// The script that starts the worker, relative to the page.
    url: &'static str,
    /// The worker, once woken.
    worker: Option<Worker>,
    handlers: Option<Handlers>,
    /// Whether the worker has said it listens; messages sent before that would be lost.
    ready: bool,
    waiting: Option<(Uint8Array, Array)>,
    job: u32,
    /// Whether the latest request is still unanswered.
    pub busy: bool,
    /// Quiets a stopped worker: its loading may still fail after it was told to stop, and that is
    /// no error of the page's.
    quiet: Closure<dyn FnMut(Event)>,
    bench: PhantomData<B>,
}

impl<B: Bench> Channel<B> {
    /// A channel to the worker `url` starts, with no worker yet: requests wait for
    /// [`Channel::wake`]; its handlers come with [`Channel::attach`].
    pub fn new(url: &'static str) -> Self {
        Self {
            url,
            worker: None,
            handlers: None,
            ready: false,
            waiting: None,
            job: 0,
            busy: false,
            quiet: Closure::<dyn FnMut(Event)>::new(|event: Event| event.prevent_default()),
            bench: PhantomData,
        }
    }

    /// Routes the worker's messages and errors, now and after every restart.
    pub fn attach(&mut self, handlers: Handlers) {
        if let Some(worker) = &self.worker {
            worker.set_onmessage(Some(&handlers.message));
            worker.set_onerror(Some(&handlers.error));
        }
        self.handlers = Some(handlers);
    }

    /// Starts the worker if it is not running; the request waiting for it goes once it listens.
    pub fn wake(&mut self) -> Result<(), JsValue> {
        if self.worker.is_some() {
            return Ok(());
        }
        let worker = Worker::new(self.url)?;
        if let Some(handlers) = &self.handlers {
            worker.set_onmessage(Some(&handlers.message));
            worker.set_onerror(Some(&handlers.error));
        }
        self.worker = Some(worker);
        self.ready = false;
        Ok(())
    }

    /// Stops the worker for good: no message reaches the page from it any more.
    pub fn stop(&mut self) {
        if let Some(worker) = self.worker.take() {
            worker.set_onmessage(None);
            worker.set_onerror(Some(self.quiet.as_ref().unchecked_ref()));
            worker.terminate();
        }
    }

    /// Stops the worker, whatever it is doing, and starts a fresh one with the same handlers. A
    /// channel not yet woken stays asleep.
    pub fn restart(&mut self) -> Result<(), JsValue> {
        if self.worker.is_none() {
            return Ok(());
        }
        self.stop();
        self.busy = false;
        self.wake()
    }

    /// Posts the request `request(job)` under a new job number, or holds it until the worker is
    /// ready.
    pub fn send(&mut self, request: impl FnOnce(u32) -> B::Request) -> Result<(), JsValue> {
        let job = self.reserve();
        let message = encode(&request(job))?;
        self.post(message)
    }

    /// A new job number for a request whose bytes are written elsewhere, such as a file the
    /// browser reads off the main thread: answers to earlier jobs are dropped from now on.
    pub fn reserve(&mut self) -> u32 {
        self.job += 1;
        self.busy = true;
        self.job
    }

    /// Posts `message`, a request's bytes written for job `job` (from [`Channel::reserve`]), or
    /// holds it until the worker is ready; a job that a newer one replaced is dropped.
    pub fn send_prepared(&mut self, job: u32, message: Uint8Array) -> Result<(), JsValue> {
        if job != self.job {
            return Ok(());
        }
        let transfer = Array::of1(&message.buffer());
        self.post((message, transfer))
    }

    fn post(&mut self, message: (Uint8Array, Array)) -> Result<(), JsValue> {
        match &self.worker {
            Some(worker) if self.ready => worker.post_message_with_transfer(&message.0, &message.1),
            _ => {
                self.waiting = Some(message);
                Ok(())
            }
        }
    }

    /// Reads a message from the worker: the answer to the latest request, or part of it, if it is
    /// that. A worker that says it listens gets the request held for it; a failure is shown to the
    /// reader.
    pub fn receive(&mut self, data: &JsValue) -> Result<Option<B::Answer>, JsValue> {
        let answer = decode::<B::Answer>(data)?;
        match answer.kind() {
            ReplyKind::Ready => {
                self.ready = true;
                if let (Some(worker), Some((message, transfer))) =
                    (&self.worker, self.waiting.take())
                {
                    worker.post_message_with_transfer(&message, &transfer)?;
                }
                Ok(None)
            }
            ReplyKind::Failed(message) => {
                show_error(&format!("The background worker failed: {message}."));
                Ok(None)
            }
            ReplyKind::Part(job) => Ok((job == self.job).then_some(answer)),
            ReplyKind::Answer(job) => {
                let latest = job == self.job;
                if latest {
                    self.busy = false;
                }
                Ok(latest.then_some(answer))
            }
        }
    }

    /// The latest request's job number.
    pub fn job(&self) -> u32 {
        self.job
    }
}

/// `message` as bytes in a fresh array, with the array's buffer to transfer.
pub fn encode(message: &impl Message) -> Result<(Uint8Array, Array), JsValue> {
    let bytes = message
        .to_bytes()
        .map_err(|_| JsValue::from_str("a message that could not be written"))?;
    let array = Uint8Array::from(bytes.as_slice());
    let transfer = Array::of1(&array.buffer());
    Ok((array, transfer))
}

/// The message in `data`, as [`encode`] sent it.
pub fn decode<M: Message>(data: &JsValue) -> Result<M, JsValue> {
    let array = data
        .dyn_ref::<Uint8Array>()
        .ok_or_else(|| JsValue::from_str("a message that is not bytes"))?;
    M::from_bytes(&array.to_vec())
        .map_err(|_| JsValue::from_str("a message that could not be read"))
}
