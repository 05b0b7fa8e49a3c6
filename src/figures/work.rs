//! What the page and its Web Workers say to each other: one [`Request`] type for the page's
//! messages and one [`Answer`] type for the workers', shared by both sides.
//!
//! A message travels as bytes in postcard's compact binary form (see [`Message`]), which the
//! browser layer hands over in a transferred `Uint8Array`: numbers go as 8 little-endian bytes, and
//! the approximation's heatmaps as plain byte strings, so a 512×512 answer costs one copy a side.
//! The job number grows with every request of a page's connection; a worker answers only the
//! latest request it has read, and the page uses only the answer to its latest job.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::factorisation::{Spectra, SpectraWorkbench};
use super::intrinsic::{Approximation, MatrixSpec, Workbench};
use super::qlora::{BlockSizeSeries, QloraParams, QuantFigure, QuantMatrix, QuantView};
use crate::math::svd::singular_values;
use crate::state::{format_float, FactorisationState, Section};

/// What the page asks a worker for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// The intrinsic-rank section's singular values of the matrix `spec` describes (fast).
    Spectrum {
        /// The request's job number.
        job: u32,
        /// The matrix.
        spec: MatrixSpec,
    },
    /// The best rank-`rank` approximation of that matrix (a full SVD the first time for a matrix).
    Approximation {
        /// The request's job number.
        job: u32,
        /// The matrix.
        spec: MatrixSpec,
        /// The rank kept.
        rank: usize,
    },
    /// Figure 3's singular values at the settings the page has drawn: the worker makes the same
    /// seeded matrices itself, so that none travel.
    Spectra {
        /// The request's job number.
        job: u32,
        /// The figure's settings.
        state: FactorisationState,
    },
    /// Chapter 3's slow numbers for the matrix `params` describe: the quantisation error's
    /// singular values and each code's error against block size.
    QuantError {
        /// The request's job number.
        job: u32,
        /// The matrix, its code and block size.
        params: QloraParams,
    },
    /// Chapter 3's matrix quantised, when it is too large for the main thread: what the
    /// quantisation and double-quantisation figures show.
    Quantise {
        /// The request's job number.
        job: u32,
        /// The matrix, its code, block size and chosen block.
        params: QloraParams,
    },
}

/// What a worker sends the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Answer {
    /// The worker listens: requests posted before this were lost, so the page sends them now.
    Ready,
    /// The worker could not do its work, said in a sentence fragment.
    Failed {
        /// What went wrong.
        message: String,
    },
    /// The singular values a [`Request::Spectrum`] asked for, descending.
    Spectrum {
        /// The request's job number.
        job: u32,
        /// The singular values.
        sigma: Vec<f64>,
        /// Milliseconds the worker took, drawing the matrix included.
        ms: f64,
        /// Milliseconds the singular values alone took.
        svd_ms: f64,
    },
    /// The approximation a [`Request::Approximation`] asked for.
    Approximation {
        /// The request's job number.
        job: u32,
        /// The heatmaps and the errors.
        approximation: Approximation,
        /// Milliseconds the worker took.
        ms: f64,
    },
    /// The spectra a [`Request::Spectra`] asked for.
    Spectra {
        /// The request's job number.
        job: u32,
        /// The singular values.
        spectra: Spectra,
        /// Milliseconds the worker took.
        ms: f64,
    },
    /// What a [`Request::QuantError`] asked for.
    QuantError {
        /// The request's job number.
        job: u32,
        /// The singular values of W − dequant(Q(W)), descending.
        sigma: Vec<f64>,
        /// Each code's mean squared error against block size.
        series: BlockSizeSeries,
        /// Milliseconds the worker took.
        ms: f64,
    },
    /// What a [`Request::Quantise`] asked for.
    Quantised {
        /// The request's job number.
        job: u32,
        /// What the figures show.
        view: Box<QuantView>,
        /// Milliseconds the worker took.
        ms: f64,
    },
}

impl Reply for Answer {
    fn ready() -> Self {
        Self::Ready
    }

    fn failed(message: String) -> Self {
        Self::Failed { message }
    }

    fn kind(&self) -> ReplyKind<'_> {
        match self {
            Self::Ready => ReplyKind::Ready,
            Self::Failed { message } => ReplyKind::Failed(message),
            Self::Spectrum { job, .. }
            | Self::Approximation { job, .. }
            | Self::Spectra { job, .. }
            | Self::QuantError { job, .. }
            | Self::Quantised { job, .. } => ReplyKind::Answer(*job),
        }
    }
}

/// What a worker's message is to the page.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ReplyKind<'a> {
    /// The worker listens: requests posted before were lost, and the page sends its latest now.
    Ready,
    /// The worker could not do its work, said in a sentence fragment.
    Failed(&'a str),
    /// The answer to the request with this job number.
    Answer(u32),
    /// Part of the answer to the request with this job number: more is coming.
    Part(u32),
}

/// A worker's message to the page: besides its answers, it can say that it listens and that it
/// failed.
pub trait Reply: Message {
    /// "The worker listens."
    fn ready() -> Self;

    /// "The worker failed", with what went wrong.
    fn failed(message: String) -> Self;

    /// What the message is to the page.
    fn kind(&self) -> ReplyKind<'_>;

    /// The job this answers, if it answers one.
    fn job(&self) -> Option<u32> {
        match self.kind() {
            ReplyKind::Answer(job) | ReplyKind::Part(job) => Some(job),
            ReplyKind::Ready | ReplyKind::Failed(_) => None,
        }
    }
}

/// How far a worker got with a request in one slice of its time.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress<A> {
    /// Not done yet: call again in `wait` milliseconds (0: as soon as newer requests are read),
    /// with the same request to go on or with a newer one.
    Working {
        /// Milliseconds to wait before the next slice.
        wait: f64,
    },
    /// Part of the answer, to send now; the work goes on with the same request after `wait`
    /// milliseconds.
    Partial {
        /// What to send.
        answer: A,
        /// Milliseconds to wait before the next slice.
        wait: f64,
    },
    /// The answer: the request is done.
    Done(A),
}

/// What a worker keeps between requests, and how it works on one, a slice of time at a time, so
/// that it reads newer requests between slices. One worker binary runs one kind of bench.
pub trait Bench: Default {
    /// What the page asks.
    type Request: Message;
    /// What the worker answers.
    type Answer: Reply;

    /// Works on `request` until it has something to send or `clock()` (milliseconds) reaches
    /// `deadline`.
    fn advance(
        &mut self,
        request: &Self::Request,
        clock: &dyn Fn() -> f64,
        deadline: f64,
    ) -> Progress<Self::Answer>;

    /// `request`'s whole answer, worked on with no deadline, timed by `clock` (milliseconds);
    /// partial answers on the way are dropped.
    fn answer(&mut self, request: Self::Request, clock: impl Fn() -> f64) -> Self::Answer {
        loop {
            if let Progress::Done(answer) = self.advance(&request, &clock, f64::INFINITY) {
                return answer;
            }
        }
    }
}

/// A message between the page and a worker, written to and read from postcard's bytes.
pub trait Message: Serialize + DeserializeOwned {
    /// The message as bytes.
    fn to_bytes(&self) -> Result<Vec<u8>, postcard::Error> {
        postcard::to_allocvec(self)
    }

    /// The message `bytes` hold; an error if they hold no such message.
    fn from_bytes(bytes: &[u8]) -> Result<Self, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}

impl Message for Request {}
impl Message for Answer {}

/// What a worker keeps between requests: the last matrix of each kind and its decomposition.
#[derive(Debug, Default)]
pub struct Workbenches {
    intrinsic: Workbench,
    spectra: SpectraWorkbench,
    /// Chapter 3's last quantised matrix: a new block, code or chosen block reuses its W.
    quant: Option<QuantFigure>,
}

impl Bench for Workbenches {
    type Request = Request;
    type Answer = Answer;

    /// The intrinsic-rank section's singular values are computed a slice at a time (see
    /// [`Workbench::spectrum_until`]); every other request is answered at once.
    fn advance(
        &mut self,
        request: &Request,
        clock: &dyn Fn() -> f64,
        deadline: f64,
    ) -> Progress<Answer> {
        match self.answer_until(request, clock, deadline) {
            Some(answer) => Progress::Done(answer),
            None => Progress::Working { wait: 0.0 },
        }
    }
}

impl Workbenches {
    /// `request`'s answer, or None if `clock()` reached `deadline` first.
    fn answer_until(
        &mut self,
        request: &Request,
        clock: &dyn Fn() -> f64,
        deadline: f64,
    ) -> Option<Answer> {
        let started = clock();
        Some(match *request {
            Request::Spectrum { job, spec } => {
                let times = self.intrinsic.spectrum_until(spec, clock, deadline)?;
                Answer::Spectrum {
                    job,
                    sigma: self.intrinsic.spectrum(spec).to_vec(),
                    ms: times.draw_ms + times.svd_ms,
                    svd_ms: times.svd_ms,
                }
            }
            Request::Approximation { job, spec, rank } => Answer::Approximation {
                job,
                approximation: self.intrinsic.approximation(spec, rank),
                ms: clock() - started,
            },
            Request::Spectra { job, ref state } => Answer::Spectra {
                job,
                spectra: self.spectra.spectra(state),
                ms: clock() - started,
            },
            Request::Quantise { job, params } => {
                let mut figure = match self.quant.take() {
                    Some(figure) => figure.update(&params),
                    None => QuantFigure::new(&params),
                };
                figure.select_block(params.block);
                let view = Box::new(QuantView::of(&figure));
                self.quant = Some(figure);
                Answer::Quantised {
                    job,
                    view,
                    ms: clock() - started,
                }
            }
            Request::QuantError { job, params } => {
                let figure = QuantFigure::new(&params);
                Answer::QuantError {
                    job,
                    sigma: singular_values(&figure.matrix(QuantMatrix::Error)),
                    series: BlockSizeSeries::new(&params),
                    ms: clock() - started,
                }
            }
        })
    }
}

/// Figure 3's settings as they travel: its six control values in row order. They are read back
/// through the figure's own rows, clamped as a link's values are, so that a request that reads is
/// one the worker can compute.
impl Serialize for FactorisationState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let values: Vec<f64> = (0..self.controls().len()).map(|i| self.value(i)).collect();
        values.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for FactorisationState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let values = Vec::<f64>::deserialize(deserializer)?;
        let mut state = FactorisationState::figure();
        if values.len() != state.controls().len() {
            return Err(D::Error::custom("settings of another figure"));
        }
        for (control, value) in state.controls().iter().zip(values) {
            state
                .set(control.key, &format_float(value))
                .map_err(|err| D::Error::custom(err.to_string()))?;
        }
        Ok(state)
    }
}
