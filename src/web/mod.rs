//! The browser layer: the only module that touches web-sys and wasm-bindgen.
//!
//! It reads the page's inputs into [`PageState`], asks the core for each figure's content and paints
//! it. Controls are found by their `data-key` attribute, which names the state key they drive; a key's
//! first letter names its section (`p` the page's settings, `c` cost, `f` factorisation, `m` mathematics, `r` rank, `i`
//! intrinsic rank, `v` comparison), so a control repaints only its own section. Layout is read only
//! on mount and on resize (`measure`), never inside an input handler.

mod announce;
pub mod calculator;
mod channel;
pub mod chapter;
mod comparison;
mod cost;
mod datatable;
mod dom;
mod factorisation;
mod inspector;
mod intrinsic;
pub mod learn;
mod maths;
mod paint;
mod permalink;
pub mod qlora;
mod quiz;
mod rank;
mod share;
mod tables;
pub mod worker;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event};

use crate::export::{downloads, peft_config, Download, CSV_FIGURES};
use crate::figures::factorisation::Spectra;
use crate::figures::tables::{data_tables, Table, TABLED_FIGURES};
use crate::figures::{FigureId, Received};
use crate::permalink::to_query;
use crate::render::charts::Theme;
use crate::state::{ChapterState, PageState};
use comparison::ComparisonView;
use cost::CostView;
use dom::{describe, document, listen, show_error};
use factorisation::FactorisationView;
use intrinsic::IntrinsicView;
use maths::MathsView;
use rank::RankView;

/// Starts the page: installs the panic banner, binds every control and paints every figure.
pub fn start() {
    std::panic::set_hook(Box::new(|info| dom::show_stopped(&info.to_string())));
    let result = document().and_then(|doc| mount(&doc));
    if let Err(err) = result {
        show_error(&format!(
            "LoRA Explorer could not start: {}",
            describe(&err)
        ));
    }
}

/// Takes the page down: every listener detached, every worker stopped, every waiting timer
/// cancelled once the last handle to `app` goes. After this the markup can be mounted again.
pub fn unmount(app: Rc<App>) {
    dom::remove_listeners();
    app.factorisation.borrow_mut().stop();
    app.intrinsic.borrow_mut().stop();
}

/// Stops the page as a panic does: controls off, the banner offering a reload, `details` in the
/// console.
pub fn report_stopped(details: &str) {
    dom::show_stopped(details);
}

/// Shows `message` in the page's error banner, as a failed draw does.
pub fn report_error(message: &str) {
    show_error(message);
}

/// The sections of the page, named by the first letter of their controls' keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SectionId {
    Page,
    Cost,
    Factorisation,
    Maths,
    Rank,
    Intrinsic,
    Comparison,
}

impl SectionId {
    const ALL: [SectionId; 7] = [
        Self::Page,
        Self::Cost,
        Self::Factorisation,
        Self::Maths,
        Self::Rank,
        Self::Intrinsic,
        Self::Comparison,
    ];

    /// The figures of the section that have a data table.
    fn tabled_figures(self) -> &'static [FigureId] {
        match self {
            Self::Cost => &[FigureId::Memory],
            Self::Factorisation => &[FigureId::Factorisation],
            Self::Maths => &[FigureId::Maths],
            Self::Rank => &[FigureId::Rank],
            Self::Intrinsic => &[FigureId::Spectrum, FigureId::Approximation],
            Self::Page | Self::Comparison => &[],
        }
    }

    /// The element whose text is the section's key result, announced to screen readers.
    fn summary_id(self) -> &'static str {
        match self {
            Self::Page => "pt",
            Self::Cost => "c-memory-caption",
            Self::Factorisation => "f-count-3",
            Self::Maths => "m-result-1",
            Self::Rank => "r-result-1",
            Self::Intrinsic => "i-result-1",
            Self::Comparison => "v-caption",
        }
    }

    fn of_key(key: &str) -> Option<Self> {
        Some(match key.chars().next()? {
            'p' => Self::Page,
            'c' => Self::Cost,
            'f' => Self::Factorisation,
            'm' => Self::Maths,
            'r' => Self::Rank,
            'i' => Self::Intrinsic,
            'v' => Self::Comparison,
            _ => return None,
        })
    }
}

/// What a page offers to take away from its figures, read by the share buttons and data tables:
/// every chapter's page implements it.
pub trait Exports {
    /// The query of a link to the page as it is, showing only `embed` if given.
    fn query(&self, embed: Option<FigureId>) -> String;
    /// Whether `figure` offers CSV files.
    fn has_csv(&self, figure: FigureId) -> bool;
    /// The CSV files of `figure` now (empty while its numbers are being computed).
    fn downloads(&self, figure: FigureId) -> Vec<Download>;
    /// The PEFT `LoraConfig` matching `figure`, if it has one.
    fn peft(&self, figure: FigureId) -> Option<String>;
    /// Whether `figure` has a data table.
    fn has_table(&self, figure: FigureId) -> bool;
    /// The data tables of `figure` now.
    fn tables(&self, figure: FigureId) -> Vec<Table>;
}

impl Exports for App {
    fn query(&self, embed: Option<FigureId>) -> String {
        to_query(&*self.state.borrow(), embed.map(FigureId::as_str))
    }

    fn has_csv(&self, figure: FigureId) -> bool {
        CSV_FIGURES.contains(&figure)
    }

    fn downloads(&self, figure: FigureId) -> Vec<Download> {
        let (sigma, spectra) = self.received();
        let received = Received {
            sigma: sigma.as_deref(),
            spectra: spectra.as_ref(),
        };
        downloads(figure, &self.state.borrow(), received)
    }

    fn peft(&self, figure: FigureId) -> Option<String> {
        peft_config(figure, &self.state.borrow())
    }

    fn has_table(&self, figure: FigureId) -> bool {
        TABLED_FIGURES.contains(&figure)
    }

    fn tables(&self, figure: FigureId) -> Vec<Table> {
        let (sigma, spectra) = self.received();
        let received = Received {
            sigma: sigma.as_deref(),
            spectra: spectra.as_ref(),
        };
        data_tables(figure, &self.state.borrow(), received)
    }
}

/// The running page: its state and one view per section.
pub struct App {
    doc: Document,
    state: RefCell<PageState>,
    url: permalink::UrlWriter,
    announcer: announce::Announcer,
    /// The chart theme in force, following the reader's choice and the system's preference.
    chart_theme: std::cell::Cell<Theme>,
    cost: RefCell<CostView>,
    factorisation: RefCell<FactorisationView>,
    maths: RefCell<MathsView>,
    rank: RefCell<RankView>,
    intrinsic: RefCell<IntrinsicView>,
    comparison: RefCell<ComparisonView>,
}

/// Binds the controls and figures found in `doc` and paints them. Returns the running page.
pub fn mount(doc: &Document) -> Result<Rc<App>, JsValue> {
    dom::listen_for_errors()?;
    let parsed = permalink::read()?;
    let mut notices = parsed.notices;
    let embed = permalink::embedded(doc, parsed.embed, &mut notices)?;
    permalink::show_notices(doc, &notices);
    let app = Rc::new(App {
        doc: doc.clone(),
        state: RefCell::new(parsed.state),
        url: permalink::UrlWriter::new(embed),
        chart_theme: std::cell::Cell::new(Theme::light()),
        announcer: announce::Announcer::new(doc),
        cost: RefCell::new(CostView::new(doc)?),
        factorisation: RefCell::new(FactorisationView::new(doc)?),
        maths: RefCell::new(MathsView::new(doc)?),
        rank: RefCell::new(RankView::new(doc)?),
        intrinsic: RefCell::new(IntrinsicView::new(doc)?),
        comparison: RefCell::new(ComparisonView::new(doc)?),
    });
    let controls = doc.query_selector_all("[data-key]")?;
    for idx in 0..controls.length() {
        let Some(control) = controls.get(idx).and_then(|n| n.dyn_into::<Element>().ok()) else {
            continue;
        };
        let app_for_input = Rc::clone(&app);
        listen(&control, "input", move |event: Event| {
            if let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) {
                app_for_input.on_control(&target);
            }
        })?;
    }
    FactorisationView::bind(&app)?;
    IntrinsicView::bind(&app)?;
    wake_workers_when_near(&app)?;
    quiz::bind(doc)?;
    let exports: Rc<dyn Exports> = app.clone();
    share::bind(&exports, doc)?;
    datatable::bind(&exports, doc)?;
    if let Some(figure) = embed {
        permalink::report_height(doc, figure)?;
    }
    let window = dom::window()?;
    if let Some(query) = window.match_media("(prefers-color-scheme: dark)")? {
        let app_for_scheme = Rc::clone(&app);
        listen(&query, "change", move |_| {
            app_for_scheme.render(SectionId::Page)
        })?;
    }
    let app_for_resize = Rc::clone(&app);
    listen(&window, "resize", move |_| {
        app_for_resize.measure();
        for section in SectionId::ALL {
            app_for_resize.render(section);
        }
    })?;
    app.sync_controls(None);
    app.measure();
    for section in SectionId::ALL {
        app.render(section);
    }
    Ok(app)
}

/// Starts each section's workers when its figures come near the viewport, so that a first load
/// fetches no worker code for figures further down the page.
fn wake_workers_when_near(app: &Rc<App>) -> Result<(), JsValue> {
    let weak = Rc::downgrade(app);
    dom::when_near(&dom::by_id(&app.doc, "fig-factorisation")?, move || {
        if let Some(app) = weak.upgrade() {
            if let Err(err) = app.factorisation.borrow_mut().wake() {
                show_error(&format!(
                    "The spectrum worker could not start: {}",
                    describe(&err)
                ));
            }
        }
    })?;
    let weak = Rc::downgrade(app);
    dom::when_near(&dom::by_id(&app.doc, "intrinsic")?, move || {
        if let Some(app) = weak.upgrade() {
            if let Err(err) = app.intrinsic.borrow_mut().wake() {
                show_error(&format!(
                    "The intrinsic-rank workers could not start: {}",
                    describe(&err)
                ));
            }
        }
    })
}

impl App {
    /// What the workers last sent: the intrinsic-rank spectrum and Figure 3's spectra.
    fn received(&self) -> (Option<Vec<f64>>, Option<Spectra>) {
        (
            self.intrinsic.borrow().sigma(),
            self.factorisation.borrow().spectra(),
        )
    }

    /// A control moved: store its value, bring every control in line with the state, repaint its
    /// section.
    fn on_control(&self, control: &Element) {
        let Some(key) = control.get_attribute("data-key") else {
            return;
        };
        let raw = chapter::control_value(control);
        let applied = self.state.borrow_mut().set(&key, &raw);
        if let Err(err) = applied {
            show_error(&format!("{err}."));
        }
        if let Err(err) = self.url.schedule(&*self.state.borrow()) {
            show_error(&format!(
                "The address could not be updated: {}",
                describe(&err)
            ));
        }
        let section = SectionId::of_key(&key);
        self.sync_controls(section);
        if let Some(section) = section {
            self.render(section);
            self.announcer.schedule(section.summary_id());
        }
    }

    /// Writes the state into the controls of `section` (every control if None).
    fn sync_controls(&self, section: Option<SectionId>) {
        chapter::sync_controls(&self.doc, &*self.state.borrow(), |key| {
            section.is_none() || SectionId::of_key(key) == section
        });
    }

    /// Sets the page's theme from the reader's choice and the system's preference.
    fn apply_theme(&self) -> Result<(), JsValue> {
        let choice = self.state.borrow().page.theme;
        self.chart_theme
            .set(chapter::apply_theme(&self.doc, choice)?);
        Ok(())
    }

    /// Measures the room every figure has; layout is read here and nowhere else.
    fn measure(&self) {
        self.cost.borrow_mut().measure();
        self.factorisation.borrow_mut().measure();
        self.maths.borrow_mut().measure();
        self.rank.borrow_mut().measure();
        self.intrinsic.borrow_mut().measure();
    }

    /// Repaints one section from the state, showing any failure in the banner.
    fn render(&self, section: SectionId) {
        if section == SectionId::Page {
            if let Err(err) = self.apply_theme() {
                show_error(&format!(
                    "The theme could not be applied: {}",
                    describe(&err)
                ));
            }
            // Charts take their colours from the theme: redraw them.
            for charted in [SectionId::Cost, SectionId::Rank, SectionId::Intrinsic] {
                self.render(charted);
            }
            self.factorisation
                .borrow_mut()
                .restyle(&self.chart_theme.get());
            return;
        }
        let state = self.state.borrow();
        let theme = self.chart_theme.get();
        let result = match section {
            SectionId::Page => Ok(()),
            SectionId::Cost => self.cost.borrow_mut().render(&state.cost, &theme),
            SectionId::Factorisation => self
                .factorisation
                .borrow_mut()
                .render(&state.factorisation, &theme),
            SectionId::Maths => self.maths.borrow_mut().render(&state.maths),
            SectionId::Rank => self.rank.borrow_mut().render(&state.rank, &theme),
            SectionId::Intrinsic => self.intrinsic.borrow_mut().render(&state.intrinsic, &theme),
            SectionId::Comparison => self.comparison.borrow_mut().render(&state.comparison),
        };
        if let Err(err) = result {
            show_error(&format!(
                "A figure could not be drawn ({section:?}): {}",
                describe(&err)
            ));
        }
        drop(state);
        datatable::refresh(self, section.tabled_figures());
    }
}
