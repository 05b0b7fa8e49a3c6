//! A connection to one Web Worker: latest input wins. Every request gets a larger job number, and
//! only the answer to the latest job is used; a request posted before the worker says it listens is
//! held until it does.

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;
use web_sys::{Event, Worker};

/// The script that starts a worker, relative to the page.
const WORKER_URL: &str = "./worker-loader.js";

/// The worker's message and error handlers, kept to attach to a restarted worker.
pub struct Handlers {
    /// Called with each message the worker posts.
    pub message: js_sys::Function,
    /// Called when the worker fails to load or throws.
    pub error: js_sys::Function,
}

/// A connection to one worker: its latest job, and a request held until the worker is ready.
pub struct Channel {
    worker: Worker,
    handlers: Option<Handlers>,
    /// Whether the worker has said it listens; messages sent before that would be lost.
    ready: bool,
    waiting: Option<(Object, Array)>,
    job: f64,
    /// Whether the latest request is still unanswered.
    pub busy: bool,
    /// Quiets a stopped worker: its loading may still fail after it was told to stop, and that is
    /// no error of the page's.
    quiet: Closure<dyn FnMut(Event)>,
}

impl Channel {
    /// Starts a worker; its handlers come with [`Channel::attach`].
    pub fn start() -> Result<Self, JsValue> {
        Ok(Self {
            worker: Worker::new(WORKER_URL)?,
            handlers: None,
            ready: false,
            waiting: None,
            job: 0.0,
            busy: false,
            quiet: Closure::<dyn FnMut(Event)>::new(|event: Event| event.prevent_default()),
        })
    }

    /// Routes the worker's messages and errors, now and after every restart.
    pub fn attach(&mut self, handlers: Handlers) {
        self.worker.set_onmessage(Some(&handlers.message));
        self.worker.set_onerror(Some(&handlers.error));
        self.handlers = Some(handlers);
    }

    /// Stops the worker for good: no message reaches the page from it any more.
    pub fn stop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker
            .set_onerror(Some(self.quiet.as_ref().unchecked_ref()));
        self.worker.terminate();
    }

    /// Stops the worker, whatever it is doing, and starts a fresh one with the same handlers.
    pub fn restart(&mut self) -> Result<(), JsValue> {
        self.stop();
        self.worker = Worker::new(WORKER_URL)?;
        if let Some(handlers) = &self.handlers {
            self.worker.set_onmessage(Some(&handlers.message));
            self.worker.set_onerror(Some(&handlers.error));
        }
        self.ready = false;
        self.busy = false;
        Ok(())
    }

    /// Posts the request `message(job)` under a new job number, or holds it until the worker is
    /// ready. The request comes with the buffers it hands over to the worker (transferred, not
    /// copied; the page must not use them again).
    pub fn send(&mut self, message: impl FnOnce(f64) -> (Object, Array)) -> Result<(), JsValue> {
        self.job += 1.0;
        self.busy = true;
        let message = message(self.job);
        if self.ready {
            self.worker
                .post_message_with_transfer(&message.0, &message.1)
        } else {
            self.waiting = Some(message);
            Ok(())
        }
    }

    /// The worker listens now: send what was held.
    pub fn on_ready(&mut self) -> Result<(), JsValue> {
        self.ready = true;
        match self.waiting.take() {
            Some((message, transfer)) => {
                self.worker.post_message_with_transfer(&message, &transfer)
            }
            None => Ok(()),
        }
    }

    /// The latest request's job number.
    pub fn job(&self) -> f64 {
        self.job
    }

    /// Whether `job` answers the latest request; if so the worker is idle again.
    pub fn answers_latest(&mut self, job: Option<f64>) -> bool {
        let latest = job == Some(self.job);
        if latest {
            self.busy = false;
        }
        latest
    }
}
