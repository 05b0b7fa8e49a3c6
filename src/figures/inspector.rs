//! The adapter inspector's figures, from an [`Inspection`]: the module table, the totals checked
//! against the config, the other tensors, ‖ΔW‖_F per layer by module kind, one module's spectrum
//! and its heatmap, their data tables and CSV files, and every status the page shows. Content only;
//! the page paints it.
//!
//! The inspection runs in a worker of its own: [`InspectRequest`] is what the page asks it,
//! [`InspectAnswer`] what it answers, and [`InspectBench`] reads the header first (a bad file is
//! refused at once), then computes the modules' spectra a slice of time at a time, reporting its
//! progress.

use std::rc::Rc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::training::MatrixData;
use super::work::{Bench, Message, Progress, Reply, ReplyKind};
use crate::adapter::{self, header, AdapterError, Inspection, Inspector, Module};
use crate::export::{column_csv, csv_field, matrix_csv, Download};
use crate::figures::tables::Table;
use crate::format::{bytes, significant, thousands};
use crate::math::svd::cumulative_energy;

/// The most cells a side of a module's heatmap has.
pub const HEATMAP_SIDE: usize = 64;

/// Every adapted module, one row each: layer, module, r, in, out, parameters, scale, ‖ΔW‖_F.
pub fn module_table(inspection: &Inspection) -> Table {
    Table {
        caption: format!(
            "{} adapted modules and the scale s of each update ΔW = s·B·A",
            thousands(inspection.modules.len() as u64)
        ),
        header: [
            "Layer",
            "Module",
            "r",
            "In",
            "Out",
            "Parameters",
            "Scale s",
            "‖ΔW‖_F",
        ]
        .map(String::from)
        .to_vec(),
        rows: inspection
            .modules
            .iter()
            .map(|m| {
                vec![
                    m.layer.map_or_else(|| "–".to_string(), |l| l.to_string()),
                    m.kind.clone(),
                    m.rank.to_string(),
                    thousands(m.in_features as u64),
                    thousands(m.out_features as u64),
                    thousands(m.params),
                    significant(m.scale, 3),
                    significant(m.frobenius, 3),
                ]
            })
            .collect(),
    }
}

/// The totals as sentences: every parameter in the file, and the LoRA factors' against the count
/// the config's ranks give.
pub fn totals(inspection: &Inspection) -> Vec<String> {
    let t = &inspection.totals;
    let mut lines = vec![format!(
        "{} parameters in all: {} in the LoRA factors, {} in DoRA magnitude vectors, {} in \
         modules saved whole and {} in other tensors.",
        thousands(t.all()),
        thousands(t.lora),
        thousands(t.magnitude),
        thousands(t.saved),
        thousands(t.other)
    )];
    lines.push(match t.config_lora {
        Some(expected) if expected == t.lora => format!(
            "The config's ranks give the same {} factor parameters: they agree.",
            thousands(expected)
        ),
        Some(expected) => format!(
            "The config's ranks would give {} factor parameters, not {}: see the warnings.",
            thousands(expected),
            thousands(t.lora)
        ),
        None => {
            "Without a rank for every module in a config, the total cannot be checked.".to_string()
        }
    });
    lines
}

/// The tensors that are not LoRA factors, as what they are.
pub fn others_table(inspection: &Inspection) -> Table {
    Table {
        caption: "Tensors that are not LoRA factors".to_string(),
        header: ["Tensor", "What it is", "Shape", "Type", "Parameters"]
            .map(String::from)
            .to_vec(),
        rows: inspection
            .others
            .iter()
            .map(|t| {
                vec![
                    t.name.clone(),
                    t.kind.label().to_string(),
                    format!("{:?}", t.shape),
                    t.dtype.clone(),
                    thousands(t.params),
                ]
            })
            .collect(),
    }
}

/// One line of the per-layer chart: a module kind's ‖ΔW‖_F at each layer it adapts.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerSeries {
    /// The module kind, such as `q_proj`.
    pub kind: String,
    /// (layer, ‖ΔW‖_F), by layer; modules without a layer or a finite norm are left out.
    pub points: Vec<(u32, f64)>,
}

/// ‖ΔW‖_F per layer, one series per module kind, in the order the kinds first appear.
pub fn per_layer(inspection: &Inspection) -> Vec<LayerSeries> {
    let mut series: Vec<LayerSeries> = Vec::new();
    for m in &inspection.modules {
        let (Some(layer), true) = (m.layer, m.frobenius.is_finite()) else {
            continue;
        };
        match series.iter_mut().find(|s| s.kind == m.kind) {
            Some(s) => s.points.push((layer, m.frobenius)),
            None => series.push(LayerSeries {
                kind: m.kind.clone(),
                points: vec![(layer, m.frobenius)],
            }),
        }
    }
    for s in &mut series {
        s.points.sort_by_key(|&(layer, _)| layer);
    }
    series
}

/// What the singular value chart says about one module, as a caption.
pub fn spectrum_caption(m: &Module) -> String {
    if m.singular_values.is_empty() {
        return format!(
            "{}: no spectrum ({}).",
            m.path,
            if m.non_finite > 0 {
                "it has NaN or infinite weights"
            } else {
                "its rank is too large for its shape"
            }
        );
    }
    match m.stable_rank {
        None => format!("{}: ΔW is zero, as B is at initialisation.", m.path),
        Some(stable) => format!(
            "{}: {} of its r = {} directions hold 90% of ‖ΔW‖_F²; its stable rank \
             ‖ΔW‖_F²/σ₁² is {}.",
            m.path,
            m.rank_90,
            m.rank,
            significant(stable, 3)
        ),
    }
}

/// The heatmap's rows and columns for a module: its out×in, at most [`HEATMAP_SIDE`] a side.
pub fn heatmap_size(m: &Module) -> (usize, usize) {
    (
        m.out_features.min(HEATMAP_SIDE),
        m.in_features.min(HEATMAP_SIDE),
    )
}

/// The module table as CSV: a header row, then one row a module, numbers in full.
pub fn modules_csv(inspection: &Inspection) -> Download {
    let mut text = String::from(
        "path,layer,module,r,in,out,parameters,alpha,scale,frobenius,rank_90,stable_rank,\
         non_finite,dora\n",
    );
    let number = |x: Option<f64>| x.map_or_else(String::new, |x| format!("{x:.17e}"));
    for m in &inspection.modules {
        let row = [
            csv_field(&m.path),
            m.layer.map_or_else(String::new, |l| l.to_string()),
            csv_field(&m.kind),
            m.rank.to_string(),
            m.in_features.to_string(),
            m.out_features.to_string(),
            m.params.to_string(),
            number(m.alpha),
            number(Some(m.scale)),
            number(Some(m.frobenius).filter(|f| f.is_finite())),
            m.rank_90.to_string(),
            number(m.stable_rank),
            m.non_finite.to_string(),
            m.dora.to_string(),
        ];
        text.push_str(&row.join(","));
        text.push('\n');
    }
    Download {
        name: format!(
            "lora-explorer-adapter-modules-{}.csv",
            inspection.modules.len()
        ),
        text,
    }
}

/// The per-layer chart's numbers: one row a layer, one column a module kind.
pub fn layer_table(series: &[LayerSeries]) -> Table {
    let mut layers: Vec<u32> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    layers.sort_unstable();
    layers.dedup();
    let mut header = vec!["Layer".to_string()];
    header.extend(series.iter().map(|s| format!("‖ΔW‖_F of {}", s.kind)));
    Table {
        caption: "‖ΔW‖_F of each adapted module, by layer and module kind".to_string(),
        header,
        rows: layers
            .iter()
            .map(|&layer| {
                let mut row = vec![layer.to_string()];
                row.extend(series.iter().map(|s| {
                    s.points
                        .iter()
                        .find(|p| p.0 == layer)
                        .map_or_else(|| "–".to_string(), |p| significant(p.1, 4))
                }));
                row
            })
            .collect(),
    }
}

/// The per-layer chart's numbers as CSV: a header row, then one row a layer, empty where a kind
/// has no module.
pub fn layer_csv(series: &[LayerSeries]) -> Download {
    let table = layer_table(series);
    let mut text = std::iter::once("layer".to_string())
        .chain(series.iter().map(|s| csv_field(&s.kind)))
        .collect::<Vec<_>>()
        .join(",");
    text.push('\n');
    for row in &table.rows {
        let layer = row[0].parse::<u32>().unwrap_or(0);
        let cells = std::iter::once(layer.to_string()).chain(series.iter().map(|s| {
            s.points
                .iter()
                .find(|p| p.0 == layer)
                .map_or_else(String::new, |p| format!("{:.17e}", p.1))
        }));
        text.push_str(&cells.collect::<Vec<_>>().join(","));
        text.push('\n');
    }
    Download {
        name: format!(
            "lora-explorer-adapter-norms-{}-layers.csv",
            table.rows.len()
        ),
        text,
    }
}

/// What the per-layer chart says, for its caption and its canvas's label.
pub fn layer_caption(series: &[LayerSeries]) -> String {
    let largest = series
        .iter()
        .flat_map(|s| s.points.iter().map(move |p| (s, p)))
        .max_by(|a, b| a.1 .1.total_cmp(&b.1 .1));
    match largest {
        None => "No module has both a layer number and a finite ‖ΔW‖_F to chart.".to_string(),
        Some((s, &(layer, norm))) => format!(
            "‖ΔW‖_F of each adapted module against its layer, one line a module kind ({}). The \
             largest update is {} in layer {layer}, ‖ΔW‖_F = {}.",
            series
                .iter()
                .map(|s| s.kind.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            s.kind,
            significant(norm, 3)
        ),
    }
}

/// How the module selector names a module: layer and kind (or its path), rank and shape.
pub fn module_option(m: &Module) -> String {
    let place = match m.layer {
        Some(layer) => format!("layer {layer}, {}", m.kind),
        None => m.path.clone(),
    };
    format!(
        "{place}: r = {}, {} → {}",
        m.rank,
        thousands(m.in_features as u64),
        thousands(m.out_features as u64)
    )
}

/// The module selector's options as HTML, one a module, valued by its index.
pub fn module_options_html(inspection: &Inspection) -> String {
    inspection
        .modules
        .iter()
        .enumerate()
        .map(|(i, m)| {
            format!(
                "<option value=\"{i}\">{}</option>",
                html_escape::encode_text(&module_option(m))
            )
        })
        .collect()
}

/// A module's singular values as a table: each σᵢ and the share of ‖ΔW‖_F² the first i hold.
pub fn spectrum_table(m: &Module) -> Table {
    let shares = cumulative_energy(&m.singular_values);
    Table {
        caption: format!("Singular values of ΔW = s·B·A for {}", m.path),
        header: ["i", "σᵢ", "Share of ‖ΔW‖_F² in the first i"]
            .map(String::from)
            .to_vec(),
        rows: m
            .singular_values
            .iter()
            .zip(&shares)
            .enumerate()
            .map(|(i, (sigma, share))| {
                vec![
                    (i + 1).to_string(),
                    significant(*sigma, 4),
                    format!("{}%", significant(100.0 * share, 4)),
                ]
            })
            .collect(),
    }
}

/// A module's singular values as a one-column CSV.
pub fn spectrum_csv(m: &Module) -> Download {
    Download {
        name: format!(
            "lora-explorer-adapter-singular-values-{}.csv",
            file_slug(&m.path)
        ),
        text: column_csv(&m.singular_values),
    }
}

/// A module's path as part of a file name: letters, digits, dots and dashes.
fn file_slug(path: &str) -> String {
    path.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A sample of one module's ΔW, as the worker sends it for the heatmap.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModuleHeatmap {
    /// The module's index in the inspection.
    pub module: usize,
    /// The sampled entries, [`heatmap_size`] of them.
    pub matrix: MatrixData,
}

impl ModuleHeatmap {
    /// The sampled ΔW as a CSV matrix.
    pub fn download(&self, m: &Module) -> Download {
        let matrix = self.matrix.to_matrix().unwrap_or_default();
        Download {
            name: format!(
                "lora-explorer-adapter-delta-w-{}-{}x{}.csv",
                file_slug(&m.path),
                matrix.nrows(),
                matrix.ncols()
            ),
            text: matrix_csv(&matrix),
        }
    }

    /// The largest magnitude among the entries: the colour scale's end.
    pub fn largest(&self) -> f64 {
        self.matrix
            .entries
            .iter()
            .filter(|x| x.is_finite())
            .fold(0.0, |a, x| a.max(x.abs()))
    }
}

/// What the heatmap shows, as a caption.
pub fn heatmap_caption(m: &Module, heatmap: &ModuleHeatmap) -> String {
    let (rows, cols) = (heatmap.matrix.rows, heatmap.matrix.cols);
    let sampled = if (rows, cols) == (m.out_features, m.in_features) {
        "every entry".to_string()
    } else {
        format!(
            "{rows}×{cols} entries, evenly spaced, each computed from its row of B and column of A"
        )
    };
    format!(
        "ΔW = s·B·A of {}, {} × {} (out × in): {sampled}, never forming the whole product. \
         Colours run from −{m_abs} (red) through 0 (white) to +{m_abs} (blue).",
        m.path,
        thousands(m.out_features as u64),
        thousands(m.in_features as u64),
        m_abs = significant(heatmap.largest(), 3),
    )
}

/// The data tables of a figure before any file is inspected.
pub fn no_adapter_table() -> Table {
    Table {
        caption: "No adapter has been inspected yet: choose a file in the inspector.".to_string(),
        header: Vec::new(),
        rows: Vec::new(),
    }
}

/// Which of the files the reader gave is the adapter and which its config.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileChoice {
    /// The index of the file to inspect, if one was given.
    pub adapter: Option<usize>,
    /// The index of the adapter_config.json, if one was given.
    pub config: Option<usize>,
    /// What the reader should know about the choice (files left out), as sentences.
    pub notes: Vec<String>,
}

/// Sorts the files the reader picked or dropped, by name: a `.json` file is the config, any other
/// the adapter; of several of either, the first is used and the rest named in a note.
pub fn choose_files(names: &[String]) -> FileChoice {
    let mut choice = FileChoice::default();
    for (i, name) in names.iter().enumerate() {
        let is_config = name.to_ascii_lowercase().ends_with(".json");
        let slot = if is_config {
            &mut choice.config
        } else {
            &mut choice.adapter
        };
        match slot {
            None => *slot = Some(i),
            Some(first) => {
                let kind = if is_config { "config" } else { "adapter" };
                choice.notes.push(format!(
                    "{name} was left out: one {kind} file at a time, and {} came first.",
                    names[*first]
                ));
            }
        }
    }
    choice
}

/// The status while the browser reads a file for the worker.
pub fn reading_text(name: &str, size: u64, config: Option<&str>) -> String {
    let with = config.map_or_else(String::new, |c| format!(" with {c}"));
    format!("Reading {name} ({}){with}…", bytes(size))
}

/// The status when only a config was given and no adapter file was inspected before.
pub const CONFIG_ALONE: &str =
    "That is a config alone: add the adapter_model.safetensors that goes with it.";

/// The status when a file was refused; the error itself is shown beside it.
pub fn refused_text(name: &str) -> String {
    format!("{name} could not be inspected:")
}

/// The status when the browser could not read a file at all.
pub fn unreadable_text(name: &str, detail: &str) -> String {
    format!("{name} could not be read from your disk: {detail}.")
}

/// The heatmap's caption while the worker samples ΔW.
pub const HEATMAP_WAITING: &str = "Sampling ΔW from the module's factors…";

/// The colour bar's ends for a heatmap whose largest magnitude is `largest`.
pub fn colour_bar_ends(largest: f64) -> (String, String) {
    let end = significant(largest, 2);
    (format!("−{end}"), format!("+{end}"))
}

/// The status when the inspector's worker stopped.
pub const WORKER_STOPPED: &str =
    "The inspector's worker stopped: choose the file again to start a new one.";

/// How far the worker got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// The header is read and checked.
    Header {
        /// Tensors it lists.
        tensors: usize,
    },
    /// Modules whose spectra are done, of all.
    Modules {
        /// Done.
        done: usize,
        /// All adapted modules.
        total: usize,
    },
}

impl Stage {
    /// How far along the inspection is, from 0 to 1.
    pub fn fraction(self) -> f64 {
        match self {
            Stage::Header { .. } => 0.0,
            Stage::Modules { done, total } if total > 0 => done as f64 / total as f64,
            Stage::Modules { .. } => 1.0,
        }
    }

    /// Where the inspection stands, as a sentence.
    pub fn text(self) -> String {
        match self {
            Stage::Header { tensors } => format!(
                "Header read: {} tensors. Pairing the factors…",
                thousands(tensors as u64)
            ),
            Stage::Modules { done, total } => format!(
                "Computing each module's singular values: {} of {} done.",
                thousands(done as u64),
                thousands(total as u64)
            ),
        }
    }
}

/// The status once a file is inspected.
pub fn inspected_text(name: &str, inspection: &Inspection, ms: f64) -> String {
    let seconds = if ms < 1000.0 {
        format!("{} ms", ms.round())
    } else {
        format!("{} s", significant(ms / 1000.0, 2))
    };
    let warnings = match inspection.warnings.len() {
        0 => String::new(),
        1 => " One thing to know is listed below.".to_string(),
        n => format!(" {n} things to know are listed below."),
    };
    format!(
        "{name}: {} adapted modules inspected in {seconds}.{warnings}",
        thousands(inspection.modules.len() as u64)
    )
}

/// The bytes of a file, shared between the request that carried them and the bench that keeps
/// them for heatmaps, without a copy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileBytes(pub Rc<Vec<u8>>);

impl Serialize for FileBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for FileBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bytes = serde_bytes::ByteBuf::deserialize(deserializer)?;
        Ok(Self(Rc::new(bytes.into_vec())))
    }
}

/// What the page asks the inspector's worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum InspectRequest {
    /// Inspect a file with its config's text, if the reader gave one. The file's bytes come last,
    /// so the page can write the message's start ([`InspectRequest::inspect_prefix`]) and let the
    /// browser append the file, off the main thread.
    Inspect {
        /// The request's job number.
        job: u32,
        /// The adapter_config.json's text.
        config: Option<String>,
        /// The adapter_model.safetensors.
        file: FileBytes,
    },
    /// A sample of ΔW of module number `module` of the file last inspected, for its heatmap.
    Heatmap {
        /// The request's job number.
        job: u32,
        /// The module's index in the inspection.
        module: usize,
    },
}

impl InspectRequest {
    /// The bytes of an [`InspectRequest::Inspect`] message for a file of `len` bytes, up to the
    /// file's own: the message is these bytes, then the file's.
    pub fn inspect_prefix(
        job: u32,
        config: Option<&str>,
        len: usize,
    ) -> Result<Vec<u8>, postcard::Error> {
        let empty = InspectRequest::Inspect {
            job,
            config: config.map(str::to_string),
            file: FileBytes::default(),
        };
        let mut bytes = empty.to_bytes()?;
        // An empty file is written as its length, 0, in one byte: the length goes there instead.
        bytes.pop();
        bytes.extend(postcard::to_allocvec(&len)?);
        Ok(bytes)
    }
}

/// What the inspector's worker sends the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum InspectAnswer {
    /// The worker listens.
    Ready,
    /// The worker could not do its work, said in a sentence fragment.
    Failed {
        /// What went wrong.
        message: String,
    },
    /// How far an inspection has got; more is coming.
    Progress {
        /// The request's job number.
        job: u32,
        /// Where it stands.
        stage: Stage,
    },
    /// The inspection, or why the file cannot be inspected.
    Inspected {
        /// The request's job number.
        job: u32,
        /// What the inspector read, or the error.
        result: Result<Box<Inspection>, AdapterError>,
        /// Milliseconds from the request's first slice to its answer.
        ms: f64,
    },
    /// A module's heatmap, or why there is none.
    Heatmap {
        /// The request's job number.
        job: u32,
        /// The sampled ΔW, or the error.
        result: Result<ModuleHeatmap, AdapterError>,
    },
}

impl Message for InspectRequest {}
impl Message for InspectAnswer {}

impl Reply for InspectAnswer {
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
            Self::Progress { job, .. } => ReplyKind::Part(*job),
            Self::Inspected { job, .. } | Self::Heatmap { job, .. } => ReplyKind::Answer(*job),
        }
    }
}

/// The shortest time between two progress reports, in milliseconds.
pub const PROGRESS_MS: f64 = 50.0;

/// Where the bench's inspection stands.
#[derive(Debug, Default)]
enum Work {
    /// Nothing under way.
    #[default]
    Idle,
    /// The header is read; the inspector is made next.
    HeaderRead,
    /// Spectra are being computed.
    Modules(Box<Inspector>),
    /// Done: the inspection, kept for heatmaps.
    Done(Box<Inspection>),
}

/// What the inspector's worker keeps: the file last asked about and its inspection, under way or
/// done.
#[derive(Debug, Default)]
pub struct InspectBench {
    /// The job of the inspection under way or done.
    job: Option<u32>,
    file: FileBytes,
    work: Work,
    /// When the job's first slice started, in the clock's milliseconds.
    started: f64,
    /// When progress was last reported.
    reported: f64,
}

impl Bench for InspectBench {
    type Request = InspectRequest;
    type Answer = InspectAnswer;

    /// An inspection's first slice reads the header and reports it; later slices pair the
    /// factors, then compute spectra until the deadline, reporting progress at most every
    /// [`PROGRESS_MS`]. A heatmap is answered at once from the file last inspected.
    fn advance(
        &mut self,
        request: &InspectRequest,
        clock: &dyn Fn() -> f64,
        deadline: f64,
    ) -> Progress<InspectAnswer> {
        match request {
            InspectRequest::Inspect { job, config, file } => {
                self.inspect(*job, config.as_deref(), file, clock, deadline)
            }
            InspectRequest::Heatmap { job, module } => Progress::Done(InspectAnswer::Heatmap {
                job: *job,
                result: self.heatmap(*module),
            }),
        }
    }
}

impl InspectBench {
    fn inspect(
        &mut self,
        job: u32,
        config: Option<&str>,
        file: &FileBytes,
        clock: &dyn Fn() -> f64,
        deadline: f64,
    ) -> Progress<InspectAnswer> {
        if self.job != Some(job) || matches!(self.work, Work::Idle) {
            self.job = Some(job);
            self.file = file.clone();
            self.started = clock();
            self.reported = self.started;
            self.work = Work::Idle;
            let bytes = &self.file.0;
            let read = header(bytes).and_then(|head| {
                head.check_len(bytes.len())?;
                Ok(head)
            });
            return match read {
                Ok(head) => {
                    self.work = Work::HeaderRead;
                    Progress::Partial {
                        answer: InspectAnswer::Progress {
                            job,
                            stage: Stage::Header {
                                tensors: head.tensors.len(),
                            },
                        },
                        wait: 0.0,
                    }
                }
                Err(e) => self.failed(job, e, clock),
            };
        }
        if matches!(self.work, Work::HeaderRead) {
            match Inspector::new(&self.file.0, config) {
                Ok(inspector) => self.work = Work::Modules(Box::new(inspector)),
                Err(e) => return self.failed(job, e, clock),
            }
        }
        match std::mem::take(&mut self.work) {
            Work::Modules(mut inspector) => {
                let more = loop {
                    if !inspector.step(&self.file.0) {
                        break false;
                    }
                    if clock() >= deadline {
                        break true;
                    }
                };
                if more {
                    let stage = Stage::Modules {
                        done: inspector.done(),
                        total: inspector.modules(),
                    };
                    self.work = Work::Modules(inspector);
                    let now = clock();
                    if now - self.reported < PROGRESS_MS {
                        return Progress::Working { wait: 0.0 };
                    }
                    self.reported = now;
                    return Progress::Partial {
                        answer: InspectAnswer::Progress { job, stage },
                        wait: 0.0,
                    };
                }
                let inspection = Box::new(inspector.finish());
                self.work = Work::Done(inspection.clone());
                Progress::Done(InspectAnswer::Inspected {
                    job,
                    result: Ok(inspection),
                    ms: clock() - self.started,
                })
            }
            Work::Done(inspection) => {
                self.work = Work::Done(inspection.clone());
                Progress::Done(InspectAnswer::Inspected {
                    job,
                    result: Ok(inspection),
                    ms: clock() - self.started,
                })
            }
            Work::Idle | Work::HeaderRead => Progress::Working { wait: 0.0 },
        }
    }

    /// The answer to an inspection that failed; the file is let go.
    fn failed(
        &mut self,
        job: u32,
        error: AdapterError,
        clock: &dyn Fn() -> f64,
    ) -> Progress<InspectAnswer> {
        self.work = Work::Idle;
        self.file = FileBytes::default();
        Progress::Done(InspectAnswer::Inspected {
            job,
            result: Err(error),
            ms: clock() - self.started,
        })
    }

    /// A sample of ΔW of module `index` of the file last inspected.
    fn heatmap(&self, index: usize) -> Result<ModuleHeatmap, AdapterError> {
        let Work::Done(inspection) = &self.work else {
            return Err(AdapterError::NoSuchModule { index });
        };
        let m = inspection
            .modules
            .get(index)
            .ok_or(AdapterError::NoSuchModule { index })?;
        let (rows, cols) = heatmap_size(m);
        let matrix = adapter::heatmap(&self.file.0, m, rows, cols)?;
        Ok(ModuleHeatmap {
            module: index,
            matrix: MatrixData::of(&matrix),
        })
    }
}
