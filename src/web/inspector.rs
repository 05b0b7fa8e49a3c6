//! The adapter inspector on the calculator's page: reads the files the reader picks or drops, has
//! the inspector's worker read them, and paints what it answers (progress, the module table, the
//! totals, the per-layer chart, a chosen module's spectrum and heatmap). Every text comes from
//! `figures::inspector`.
//!
//! The file never passes through the main thread's memory: the page writes the request's first
//! bytes, and the browser appends the file's own while it reads it into one buffer, which is
//! handed to the worker. The worker starts when the reader first picks a file.

use std::rc::{Rc, Weak};

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{
    Blob, Document, DragEvent, Element, Event, File, FileList, HtmlCanvasElement, HtmlElement,
    HtmlInputElement, HtmlProgressElement, HtmlSelectElement,
};

use super::calculator::CalculatorView;
use super::channel::Channel;
use super::chapter::ChapterPage;
use super::datatable;
use super::dom::{by_id, describe, listen, show_error, typed_by_id, window};
use super::paint::{cell_size, paint_chart, ColourBar, Heatmap};
use crate::adapter::Inspection;
use crate::export::Download;
use crate::figures::inspector::{
    choose_files, colour_bar_ends, heatmap_caption, inspected_text, layer_caption, layer_csv,
    layer_table, module_options_html, module_table, modules_csv, no_adapter_table, others_table,
    per_layer, reading_text, refused_text, spectrum_caption, spectrum_csv, spectrum_table, totals,
    unreadable_text, InspectAnswer, InspectBench, InspectRequest, LayerSeries, ModuleHeatmap,
    CONFIG_ALONE, HEATMAP_WAITING, WORKER_STOPPED,
};
use crate::figures::tables::Table;
use crate::figures::FigureId;
use crate::render::charts::{layer_norms_chart, module_spectrum_chart, Theme};
use crate::render::colormap::Diverging;
use crate::render::heatmap::heatmap_rgba;

/// The script that starts the inspector's worker, relative to the page.
const INSPECTOR_URL: &str = "./worker-loader.js?bin=lora-explorer-inspector";

/// Height of both charts in CSS pixels.
const CHART_HEIGHT: f64 = 320.0;

/// The inspector's figures that have data tables or CSV files.
pub const FIGURES: [FigureId; 3] = [
    FigureId::AdapterModules,
    FigureId::AdapterLayers,
    FigureId::AdapterSpectra,
];

/// The inspector's elements, its worker, and what the worker last sent.
pub struct InspectorView {
    doc: Document,
    /// The drop zone, always shown and as wide as the charts: the charts' width is read from it.
    drop: HtmlElement,
    progress: HtmlProgressElement,
    status: Element,
    error: HtmlElement,
    warnings: HtmlElement,
    results: HtmlElement,
    totals: Element,
    modules: Element,
    others: HtmlElement,
    layers_chart: HtmlCanvasElement,
    layers_caption: Element,
    select: HtmlSelectElement,
    spectrum_chart: HtmlCanvasElement,
    spectrum_caption: Element,
    heatmap: Heatmap,
    colour_bar: ColourBar,
    colour_bar_box: HtmlElement,
    heat_caption: Element,
    channel: Channel<InspectBench>,
    /// Whether the worker stopped: the next file starts a new one.
    stopped: bool,
    /// The adapter file last chosen, kept so that a config given alone applies to it.
    file: Option<File>,
    inspection: Option<Inspection>,
    series: Vec<LayerSeries>,
    chosen: usize,
    sampled: Option<ModuleHeatmap>,
    /// Whether a fresh inspection's charts wait for the next frame.
    charts_due: bool,
    width: f64,
    theme: Theme,
}

impl InspectorView {
    /// Finds the inspector's elements in `doc`; nothing is painted until a file is chosen.
    pub fn new(doc: &Document) -> Result<Self, JsValue> {
        let view = Self {
            doc: doc.clone(),
            drop: typed_by_id(doc, "insp-drop")?,
            progress: typed_by_id(doc, "insp-progress")?,
            status: by_id(doc, "insp-status")?,
            error: typed_by_id(doc, "insp-error")?,
            warnings: typed_by_id(doc, "insp-warnings")?,
            results: typed_by_id(doc, "insp-results")?,
            totals: by_id(doc, "insp-totals")?,
            modules: by_id(doc, "insp-modules")?,
            others: typed_by_id(doc, "insp-others")?,
            layers_chart: typed_by_id(doc, "insp-layers-chart")?,
            layers_caption: by_id(doc, "insp-layers-caption")?,
            select: typed_by_id(doc, "insp-module")?,
            spectrum_chart: typed_by_id(doc, "insp-spectrum-chart")?,
            spectrum_caption: by_id(doc, "insp-spectrum-caption")?,
            heatmap: Heatmap::find(doc, "insp", "delta")?,
            colour_bar: ColourBar::find(doc, "insp")?,
            colour_bar_box: typed_by_id::<Element>(doc, "insp-colour-bar")?
                .parent_element()
                .ok_or_else(|| JsValue::from_str("the colour bar has no container"))?
                .dyn_into()?,
            heat_caption: by_id(doc, "insp-heat-caption")?,
            channel: Channel::new(INSPECTOR_URL),
            stopped: false,
            file: None,
            inspection: None,
            series: Vec::new(),
            chosen: 0,
            sampled: None,
            charts_due: false,
            width: 0.0,
            theme: Theme::light(),
        };
        view.show_figures(false);
        Ok(view)
    }

    /// Moves the file input, with its progress and status, under the title of `figure` when an
    /// inspector figure other than the module table is shown alone, so that the embed can be
    /// given a file.
    pub fn embed(&self, figure: FigureId) -> Result<(), JsValue> {
        if !matches!(figure, FigureId::AdapterLayers | FigureId::AdapterSpectra) {
            return Ok(());
        }
        let input = by_id(&self.doc, "insp-input")?;
        let shown = by_id(&self.doc, &figure.element_id())?;
        let title = shown.query_selector(".figure-title")?;
        let after = title.and_then(|t| t.next_sibling());
        shown.insert_before(&input, after.as_ref())?;
        Ok(())
    }

    /// Reads the room the charts and the heatmap have: the drop zone's width, less the charts'
    /// borders. The charts may be hidden, and reading the zone needs no layout of the results.
    pub fn measure(&mut self) {
        self.width = f64::from(self.drop.offset_width()) - 2.0;
    }

    /// Repaints the charts and the heatmap in `theme`, if an adapter is shown.
    pub fn render(&mut self, theme: &Theme) -> Result<(), JsValue> {
        self.theme = *theme;
        self.paint_charts()?;
        self.paint_heatmap()
    }

    /// Shows or hides what only an inspected adapter fills: the charts, the heatmap and its bar.
    fn show_figures(&self, shown: bool) {
        self.results.set_hidden(!shown);
        self.layers_chart.set_hidden(!shown);
        self.spectrum_chart.set_hidden(!shown);
        self.heatmap.canvas.set_hidden(!shown);
        self.heatmap.label.set_text_content(Some("ΔW"));
        self.colour_bar_box.set_hidden(!shown);
        self.select.set_disabled(!shown);
    }

    /// The reader gave `files`: inspects the adapter among them, with the config if one is there.
    fn take_files(&mut self, files: &FileList, page: &Weak<ChapterPage<CalculatorView>>) {
        let all: Vec<File> = (0..files.length()).filter_map(|i| files.item(i)).collect();
        let names: Vec<String> = all.iter().map(File::name).collect();
        let choice = choose_files(&names);
        let Some(adapter) = choice
            .adapter
            .map(|i| all[i].clone())
            .or_else(|| self.file.clone())
        else {
            self.status.set_text_content(Some(CONFIG_ALONE));
            return;
        };
        let notes = choice.notes.join(" ");
        match choice.config.map(|i| all[i].clone()) {
            None => self.start(adapter, None, &notes, page),
            Some(config) => {
                let name = config.name();
                let promise = config.text();
                let on_text = page.clone();
                let (adapter_for_text, notes_for_text) = (adapter.clone(), notes.clone());
                let read = Closure::once(move |text: JsValue| {
                    if let Some(page) = on_text.upgrade() {
                        let config = (name, text.as_string().unwrap_or_default());
                        page.view.borrow_mut().inspector.start(
                            adapter_for_text,
                            Some(config),
                            &notes_for_text,
                            &Rc::downgrade(&page),
                        );
                    }
                });
                let on_failure = page.clone();
                let failed = Closure::once(move |err: JsValue| {
                    if let Some(page) = on_failure.upgrade() {
                        let status = unreadable_text(&config.name(), &describe(&err));
                        page.view.borrow().inspector.show_unreadable(&status);
                    }
                });
                let _ = promise.then2(&read, &failed);
                // The promise calls one of them once, later; both must outlive this call.
                read.forget();
                failed.forget();
            }
        }
    }

    /// Sends `adapter` (with its config's name and text) to the worker, starting it if needed.
    fn start(
        &mut self,
        adapter: File,
        config: Option<(String, String)>,
        notes: &str,
        page: &Weak<ChapterPage<CalculatorView>>,
    ) {
        if let Err(err) = self.send(&adapter, config.as_ref(), notes, page) {
            self.show_unreadable(&unreadable_text(&adapter.name(), &describe(&err)));
        }
        self.file = Some(adapter);
    }

    fn send(
        &mut self,
        adapter: &File,
        config: Option<&(String, String)>,
        notes: &str,
        page: &Weak<ChapterPage<CalculatorView>>,
    ) -> Result<(), JsValue> {
        if self.stopped {
            self.channel.stop();
            self.stopped = false;
        }
        self.channel.wake()?;
        let job = self.channel.reserve();
        let size = adapter.size();
        let prefix =
            InspectRequest::inspect_prefix(job, config.map(|c| c.1.as_str()), size as usize)
                .map_err(|_| JsValue::from_str("the request could not be written"))?;
        let parts = Array::of2(&Uint8Array::from(prefix.as_slice()), adapter);
        let message = Blob::new_with_u8_array_sequence(&parts)?;
        self.inspection = None;
        self.sampled = None;
        self.show_figures(false);
        self.error.set_hidden(true);
        self.warnings.set_hidden(true);
        self.progress.set_value(0.0);
        self.progress.set_hidden(false);
        let reading = reading_text(&adapter.name(), size as u64, config.map(|c| c.0.as_str()));
        let status = if notes.is_empty() {
            reading
        } else {
            format!("{notes} {reading}")
        };
        self.status.set_text_content(Some(&status));
        let on_read = page.clone();
        let read = Closure::once(move |buffer: JsValue| {
            if let Some(page) = on_read.upgrade() {
                let sent = page
                    .view
                    .borrow_mut()
                    .inspector
                    .channel
                    .send_prepared(job, Uint8Array::new(&buffer));
                if let Err(err) = sent {
                    show_error(&format!(
                        "The file could not be handed to the inspector: {}",
                        describe(&err)
                    ));
                }
            }
        });
        let on_failure = page.clone();
        let name = adapter.name();
        let failed = Closure::once(move |err: JsValue| {
            if let Some(page) = on_failure.upgrade() {
                let status = unreadable_text(&name, &describe(&err));
                page.view.borrow().inspector.show_unreadable(&status);
            }
        });
        let promise: Promise = message.array_buffer();
        let _ = promise.then2(&read, &failed);
        // The promise calls one of them once, later; both must outlive this call.
        read.forget();
        failed.forget();
        Ok(())
    }

    /// Says that a file could not be read, and stops the progress bar.
    fn show_unreadable(&self, status: &str) {
        self.progress.set_hidden(true);
        self.status.set_text_content(Some(status));
    }

    /// The worker could not start, or stopped: say so; the next file starts a new one.
    fn on_stopped(&mut self) {
        self.stopped = true;
        self.progress.set_hidden(true);
        self.status.set_text_content(Some(WORKER_STOPPED));
    }

    /// Takes a worker's message: progress, the inspection or its error, or a heatmap.
    fn on_answer(&mut self, data: &JsValue) -> Result<(), JsValue> {
        match self.channel.receive(data)? {
            Some(InspectAnswer::Progress { stage, .. }) => {
                self.progress.set_value(stage.fraction());
                self.status.set_text_content(Some(&stage.text()));
                Ok(())
            }
            Some(InspectAnswer::Inspected { result, ms, .. }) => {
                self.progress.set_hidden(true);
                let name = self.file.as_ref().map(File::name).unwrap_or_default();
                match result {
                    Ok(inspection) => {
                        self.status
                            .set_text_content(Some(&inspected_text(&name, &inspection, ms)));
                        self.show(*inspection)
                    }
                    Err(error) => {
                        self.status.set_text_content(Some(&refused_text(&name)));
                        self.error.set_text_content(Some(&error.to_string()));
                        self.error.set_hidden(false);
                        Ok(())
                    }
                }
            }
            Some(InspectAnswer::Heatmap { result, .. }) => {
                match result {
                    Ok(sampled) => self.sampled = Some(sampled),
                    Err(error) => self.heat_caption.set_text_content(Some(&error.to_string())),
                }
                self.paint_heatmap()
            }
            Some(InspectAnswer::Failed { .. }) => {
                self.on_stopped();
                Ok(())
            }
            Some(InspectAnswer::Ready) | None => Ok(()),
        }
    }

    /// Shows a fresh inspection: its warnings, totals and tables, the module selector, the charts,
    /// and asks for the first module's heatmap.
    fn show(&mut self, inspection: Inspection) -> Result<(), JsValue> {
        self.fill_list(
            &self.warnings,
            &inspection
                .warnings
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
        )?;
        self.warnings.set_hidden(inspection.warnings.is_empty());
        self.fill_list(&self.totals, &totals(&inspection))?;
        // A long table and a long list of options are written as one string each, in one step.
        self.modules
            .set_inner_html(&module_table(&inspection).to_html());
        self.others.set_hidden(inspection.others.is_empty());
        self.others
            .set_inner_html(&others_table(&inspection).to_html());
        self.select
            .set_inner_html(&module_options_html(&inspection));
        self.series = per_layer(&inspection);
        self.inspection = Some(inspection);
        self.show_figures(true);
        // The charts are drawn in the next frame, so that no task of the page's runs long.
        self.charts_due = true;
        self.ask_heatmap(0)
    }

    /// Shows module `index`: its spectrum now, its heatmap once the worker has sampled it.
    fn choose(&mut self, index: usize) -> Result<(), JsValue> {
        self.ask_heatmap(index)?;
        self.paint_charts()
    }

    /// Makes module `index` the chosen one and asks the worker for its heatmap.
    fn ask_heatmap(&mut self, index: usize) -> Result<(), JsValue> {
        self.chosen = index;
        self.select.set_value(&index.to_string());
        self.sampled = None;
        self.heat_caption.set_text_content(Some(HEATMAP_WAITING));
        self.channel
            .send(|job| InspectRequest::Heatmap { job, module: index })
    }

    /// Draws the charts a fresh inspection left for this frame.
    fn paint_due_charts(&mut self) -> Result<(), JsValue> {
        if std::mem::take(&mut self.charts_due) {
            self.paint_charts()?;
        }
        Ok(())
    }

    /// Replaces `list`'s items with `items`, as text.
    fn fill_list(&self, list: &Element, items: &[String]) -> Result<(), JsValue> {
        list.set_text_content(None);
        for item in items {
            let li = self.doc.create_element("li")?;
            li.set_text_content(Some(item));
            list.append_child(&li)?;
        }
        Ok(())
    }

    /// Paints the per-layer chart and the chosen module's spectrum.
    fn paint_charts(&self) -> Result<(), JsValue> {
        let Some(inspection) = &self.inspection else {
            return Ok(());
        };
        let theme = self.theme;
        let caption = layer_caption(&self.series);
        paint_chart(&self.layers_chart, self.width, CHART_HEIGHT, |area| {
            layer_norms_chart(area, &self.series, &theme)
        })?;
        self.layers_chart.set_attribute("aria-label", &caption)?;
        self.layers_caption.set_text_content(Some(&caption));
        let Some(module) = inspection.modules.get(self.chosen) else {
            return Ok(());
        };
        paint_chart(&self.spectrum_chart, self.width, CHART_HEIGHT, |area| {
            module_spectrum_chart(area, module, &theme)
        })?;
        let caption = spectrum_caption(module);
        self.spectrum_chart.set_attribute("aria-label", &caption)?;
        self.spectrum_caption.set_text_content(Some(&caption));
        Ok(())
    }

    /// Paints the chosen module's heatmap, once the worker has sampled it.
    fn paint_heatmap(&self) -> Result<(), JsValue> {
        let (Some(inspection), Some(sampled)) = (&self.inspection, &self.sampled) else {
            return Ok(());
        };
        let (Some(module), Some(matrix)) = (
            inspection.modules.get(sampled.module),
            sampled.matrix.to_matrix(),
        ) else {
            return Ok(());
        };
        let largest = sampled.largest();
        let colours = Diverging::new(if largest > 0.0 { largest } else { 1.0 });
        let (rows, cols) = matrix.shape();
        let cell = cell_size(self.width.min(640.0), cols as f64, (1.0, 8.0))?;
        self.heatmap
            .paint(&heatmap_rgba(&matrix, colours), rows, cols, cell)?;
        self.heatmap
            .label
            .set_text_content(Some(&format!("ΔW of {}", module.path)));
        self.colour_bar
            .paint_with_ends(colours, &colour_bar_ends(largest))?;
        let caption = heatmap_caption(module, sampled);
        self.heatmap.canvas.set_attribute("aria-label", &caption)?;
        self.heat_caption.set_text_content(Some(&caption));
        Ok(())
    }

    /// The CSV files of `figure`.
    pub fn downloads(&self, figure: FigureId) -> Vec<Download> {
        let Some(inspection) = &self.inspection else {
            return Vec::new();
        };
        let module = inspection.modules.get(self.chosen);
        match figure {
            FigureId::AdapterModules => vec![modules_csv(inspection)],
            FigureId::AdapterLayers => vec![layer_csv(&self.series)],
            FigureId::AdapterSpectra => module
                .map(spectrum_csv)
                .into_iter()
                .chain(
                    self.sampled
                        .as_ref()
                        .zip(module)
                        .map(|(sampled, m)| sampled.download(m)),
                )
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The data tables of `figure`.
    pub fn tables(&self, figure: FigureId) -> Vec<Table> {
        let Some(inspection) = &self.inspection else {
            return vec![no_adapter_table()];
        };
        match figure {
            FigureId::AdapterLayers => vec![layer_table(&self.series)],
            FigureId::AdapterSpectra => inspection
                .modules
                .get(self.chosen)
                .map(spectrum_table)
                .into_iter()
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Binds the file input, the drop zone, the module selector and the worker's messages.
pub fn bind(page: &Rc<ChapterPage<CalculatorView>>) -> Result<(), JsValue> {
    let doc = &page.doc;
    let handlers = page.worker_handlers(
        |page, data| {
            let result = page.view.borrow_mut().inspector.on_answer(data);
            if let Err(err) = result {
                show_error(&format!(
                    "The inspector could not show the adapter: {}",
                    describe(&err)
                ));
            }
            datatable::refresh(&**page, &FIGURES);
            if page.view.borrow().inspector.charts_due {
                let later = Rc::downgrade(page);
                let paint = Closure::once_into_js(move || {
                    if let Some(page) = later.upgrade() {
                        let result = page.view.borrow_mut().inspector.paint_due_charts();
                        if let Err(err) = result {
                            show_error(&format!("A figure could not be drawn: {}", describe(&err)));
                        }
                    }
                });
                let _ = window().and_then(|w| w.request_animation_frame(paint.unchecked_ref()));
            }
        },
        |page| page.view.borrow_mut().inspector.on_stopped(),
    );
    page.view.borrow_mut().inspector.channel.attach(handlers);

    let input: HtmlInputElement = typed_by_id(doc, "insp-file")?;
    let picked = Rc::downgrade(page);
    let field = input.clone();
    listen(&input, "change", move |_| {
        if let (Some(page), Some(files)) = (picked.upgrade(), field.files()) {
            page.view
                .borrow_mut()
                .inspector
                .take_files(&files, &Rc::downgrade(&page));
        }
    })?;

    let zone = by_id(doc, "insp-drop")?;
    for kind in ["dragenter", "dragover"] {
        let over = zone.clone();
        listen(&zone, kind, move |event: Event| {
            event.prevent_default();
            let _ = over.class_list().add_1("dragging");
        })?;
    }
    let left = zone.clone();
    listen(&zone, "dragleave", move |_| {
        let _ = left.class_list().remove_1("dragging");
    })?;
    let dropped = Rc::downgrade(page);
    let landed = zone.clone();
    listen(&zone, "drop", move |event: Event| {
        event.prevent_default();
        let _ = landed.class_list().remove_1("dragging");
        let files = event
            .dyn_ref::<DragEvent>()
            .and_then(DragEvent::data_transfer)
            .and_then(|transfer| transfer.files());
        if let (Some(page), Some(files)) = (dropped.upgrade(), files) {
            page.view
                .borrow_mut()
                .inspector
                .take_files(&files, &Rc::downgrade(&page));
        }
    })?;

    let select: HtmlSelectElement = typed_by_id(doc, "insp-module")?;
    let chosen = Rc::downgrade(page);
    let field = select.clone();
    listen(&select, "change", move |_| {
        let Some(page) = chosen.upgrade() else {
            return;
        };
        let index = field.value().parse().unwrap_or(0);
        let result = page.view.borrow_mut().inspector.choose(index);
        if let Err(err) = result {
            show_error(&format!(
                "The module could not be shown: {}",
                describe(&err)
            ));
        }
        datatable::refresh(&*page, &FIGURES);
    })
}
