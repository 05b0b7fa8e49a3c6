//! Tests for the adapter inspector's page and worker: the request the page writes around a file,
//! the bench's slices (header first, progress, the same inspection as in one go, heatmaps), and
//! every text, table and CSV file the page shows.

use std::cell::Cell;
use std::rc::Rc;

use lora_explorer::adapter::{self, inspect, AdapterError, Inspection};
use lora_explorer::figures::inspector::{
    choose_files, colour_bar_ends, inspected_text, layer_csv, layer_table, module_option,
    modules_csv, per_layer, spectrum_csv, spectrum_table, FileBytes, InspectAnswer, InspectBench,
    InspectRequest, Stage, PROGRESS_MS,
};
use lora_explorer::figures::training::MatrixData;
use lora_explorer::figures::work::{Bench, Message, Progress};

use crate::adapter_files::{file, peft_pair, small_adapter, SMALL_CONFIG};

/// An adapter of `layers` blocks with q_proj and v_proj, rank 4, 64 wide.
fn adapter_of(layers: usize) -> Vec<u8> {
    let tensors: Vec<_> = (0..layers)
        .flat_map(|layer| {
            let seed = 7 * layer as u32;
            let q = format!("model.layers.{layer}.self_attn.q_proj");
            let v = format!("model.layers.{layer}.self_attn.v_proj");
            peft_pair(&q, 4, 64, 64, seed)
                .into_iter()
                .chain(peft_pair(&v, 4, 64, 32, seed + 3))
        })
        .collect();
    file(&tensors)
}

const CONFIG: &str =
    r#"{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["q_proj","v_proj"]}"#;

fn inspected(bytes: &[u8], config: Option<&str>) -> Inspection {
    match inspect(bytes, config) {
        Ok(inspection) => inspection,
        Err(e) => panic!("the file should inspect: {e}"),
    }
}

fn request(job: u32, bytes: &[u8], config: Option<&str>) -> InspectRequest {
    InspectRequest::Inspect {
        job,
        config: config.map(str::to_string),
        file: FileBytes(Rc::new(bytes.to_vec())),
    }
}

#[test]
fn the_page_writes_the_request_and_the_browser_appends_the_file() {
    for len in [0, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
        let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        for config in [None, Some(CONFIG)] {
            let mut written = match InspectRequest::inspect_prefix(9, config, len) {
                Ok(prefix) => prefix,
                Err(e) => panic!("the prefix should be written: {e}"),
            };
            written.extend_from_slice(&bytes);
            let whole = request(9, &bytes, config);
            assert_eq!(whole.to_bytes().ok(), Some(written.clone()), "{len} bytes");
            assert_eq!(InspectRequest::from_bytes(&written).ok(), Some(whole));
        }
    }
}

/// Runs `bench` on `request` with a clock that moves 1 ms a reading and 5 ms slices, until done;
/// returns every answer sent, and the clock's readings at each.
fn run(bench: &mut InspectBench, request: &InspectRequest) -> Vec<(f64, InspectAnswer)> {
    let now = Cell::new(0.0);
    let clock = || {
        now.set(now.get() + 1.0);
        now.get()
    };
    let mut sent = Vec::new();
    for _ in 0..10_000 {
        let deadline = now.get() + 5.0;
        match bench.advance(request, &clock, deadline) {
            Progress::Working { wait } => assert_eq!(wait, 0.0),
            Progress::Partial { answer, wait } => {
                assert_eq!(wait, 0.0);
                sent.push((now.get(), answer));
            }
            Progress::Done(answer) => {
                sent.push((now.get(), answer));
                return sent;
            }
        }
    }
    panic!("the bench never finished");
}

#[test]
fn the_worker_reads_the_header_first_then_streams_progress_to_the_same_inspection() {
    let bytes = adapter_of(120);
    let mut bench = InspectBench::default();
    let sent = run(&mut bench, &request(3, &bytes, Some(CONFIG)));
    assert_eq!(
        sent[0].1,
        InspectAnswer::Progress {
            job: 3,
            stage: Stage::Header { tensors: 480 }
        }
    );
    let progress: Vec<(f64, Stage)> = sent[1..sent.len() - 1]
        .iter()
        .map(|(at, answer)| match answer {
            InspectAnswer::Progress { job: 3, stage } => (*at, *stage),
            other => panic!("progress expected, not {other:?}"),
        })
        .collect();
    assert!(progress.len() >= 2, "{progress:?}");
    for pair in progress.windows(2) {
        assert!(pair[1].0 - pair[0].0 >= PROGRESS_MS, "{pair:?}");
        assert!(pair[1].1.fraction() > pair[0].1.fraction(), "{pair:?}");
    }
    assert!(matches!(progress[0].1, Stage::Modules { total: 240, .. }));
    let Some((_, InspectAnswer::Inspected { job: 3, result, ms })) = sent.last() else {
        panic!("the inspection expected last");
    };
    assert_eq!(
        result.as_deref(),
        Ok(&inspected(&bytes, Some(CONFIG))),
        "sliced and whole inspections agree"
    );
    assert!(*ms > 0.0);

    // Heatmaps come from the file kept; a module that is not there is said so.
    let inspection = inspected(&bytes, Some(CONFIG));
    let m = &inspection.modules[5];
    let sent = run(&mut bench, &InspectRequest::Heatmap { job: 4, module: 5 });
    let Some((
        _,
        InspectAnswer::Heatmap {
            job: 4,
            result: Ok(h),
        },
    )) = sent.last()
    else {
        panic!("a heatmap expected, not {sent:?}");
    };
    let expected = match adapter::heatmap(&bytes, m, 64, 64) {
        Ok(matrix) => matrix,
        Err(e) => panic!("the heatmap should be sampled: {e}"),
    };
    assert_eq!((h.module, &h.matrix), (5, &MatrixData::of(&expected)));
    let sent = run(
        &mut bench,
        &InspectRequest::Heatmap {
            job: 5,
            module: 240,
        },
    );
    assert!(matches!(
        sent.last(),
        Some((
            _,
            InspectAnswer::Heatmap {
                result: Err(AdapterError::NoSuchModule { index: 240 }),
                ..
            }
        ))
    ));
}

#[test]
fn a_bad_file_is_refused_in_the_first_slice_and_a_newer_request_starts_afresh() {
    let mut bench = InspectBench::default();
    let sent = run(&mut bench, &request(1, b"PK\x03\x04 not an adapter", None));
    assert_eq!(sent.len(), 1);
    let InspectAnswer::Inspected { result: Err(e), .. } = &sent[0].1 else {
        panic!("a refusal expected, not {sent:?}");
    };
    assert!(e.to_string().starts_with("This is not a safetensors file"));
    // No heatmap without an inspection.
    let sent = run(&mut bench, &InspectRequest::Heatmap { job: 2, module: 0 });
    assert!(matches!(
        sent[0].1,
        InspectAnswer::Heatmap { result: Err(_), .. }
    ));
    // A request replaced halfway: the newer file is inspected from its header.
    let big = adapter_of(40);
    let now = Cell::new(0.0);
    let clock = || {
        now.set(now.get() + 1.0);
        now.get()
    };
    let first = request(3, &big, None);
    bench.advance(&first, &clock, 2.0);
    bench.advance(&first, &clock, 4.0);
    let sent = run(
        &mut bench,
        &request(4, &small_adapter(), Some(SMALL_CONFIG)),
    );
    assert!(matches!(
        sent[0].1,
        InspectAnswer::Progress {
            job: 4,
            stage: Stage::Header { tensors: 8 }
        }
    ));
    assert!(matches!(
        &sent.last().map(|s| &s.1),
        Some(InspectAnswer::Inspected { job: 4, result: Ok(i), .. }) if i.modules.len() == 4
    ));
}

#[test]
fn the_files_given_are_sorted_into_adapter_and_config() {
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let choice = choose_files(&names(&[
        "adapter_config.json",
        "adapter_model.safetensors",
    ]));
    assert_eq!((choice.adapter, choice.config), (Some(1), Some(0)));
    assert!(choice.notes.is_empty());
    let choice = choose_files(&names(&["a.safetensors", "B.JSON", "c.safetensors"]));
    assert_eq!((choice.adapter, choice.config), (Some(0), Some(1)));
    assert_eq!(
        choice.notes,
        ["c.safetensors was left out: one adapter file at a time, and a.safetensors came first."]
    );
    assert_eq!(choose_files(&names(&["x.json"])).adapter, None);
}

#[test]
fn the_statuses_tables_and_csv_files_say_what_was_found() {
    let bytes = adapter_of(3);
    let inspection = inspected(&bytes, Some(CONFIG));
    assert_eq!(
        inspected_text("a.safetensors", &inspection, 1234.0),
        "a.safetensors: 6 adapted modules inspected in 1.2 s."
    );
    assert_eq!(
        Stage::Header { tensors: 1234 }.text(),
        "Header read: 1,234 tensors. Pairing the factors…"
    );
    let halfway = Stage::Modules {
        done: 112,
        total: 224,
    };
    assert_eq!(halfway.fraction(), 0.5);
    assert_eq!(
        halfway.text(),
        "Computing each module's singular values: 112 of 224 done."
    );
    assert_eq!(
        module_option(&inspection.modules[1]),
        "layer 0, v_proj: r = 4, 64 → 32"
    );
    assert_eq!(colour_bar_ends(0.01234), ("−0.012".into(), "+0.012".into()));

    let series = per_layer(&inspection);
    let table = layer_table(&series);
    assert_eq!(
        table.header,
        ["Layer", "‖ΔW‖_F of q_proj", "‖ΔW‖_F of v_proj"]
    );
    assert_eq!(table.rows.len(), 3);
    let csv = layer_csv(&series);
    assert_eq!(csv.name, "lora-explorer-adapter-norms-3-layers.csv");
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines[0], "layer,q_proj,v_proj");
    let cells: Vec<f64> = lines[1]
        .split(',')
        .map(|c| c.parse().unwrap_or(f64::NAN))
        .collect();
    assert_eq!(cells, [0.0, series[0].points[0].1, series[1].points[0].1]);

    let csv = modules_csv(&inspection);
    assert_eq!(csv.name, "lora-explorer-adapter-modules-6.csv");
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines.len(), 7);
    assert!(lines[0].starts_with("path,layer,module,r,in,out,parameters,alpha,scale,frobenius"));
    assert!(lines[1].starts_with("model.layers.0.self_attn.q_proj,0,q_proj,4,64,64,512,8.0"));

    let m = &inspection.modules[0];
    let table = spectrum_table(m);
    assert_eq!(table.rows.len(), 4);
    assert_eq!(table.rows[3][2], "100.0%");
    let csv = spectrum_csv(m);
    assert_eq!(
        csv.name,
        "lora-explorer-adapter-singular-values-model.layers.0.self-attn.q-proj.csv"
    );
    let read: Vec<f64> = csv.text.lines().filter_map(|l| l.parse().ok()).collect();
    assert_eq!(read, m.singular_values);
}

#[test]
fn long_tables_and_options_are_written_as_escaped_html() {
    use lora_explorer::figures::inspector::{module_options_html, module_table};
    use lora_explorer::figures::tables::Table;
    let table = Table {
        caption: "a <caption> & more".into(),
        header: vec!["Tensor".into(), "Shape".into()],
        rows: vec![vec!["<script>x</script>".into(), "[2, 3]".into()]],
    };
    assert_eq!(
        table.to_html(),
        "<table class=\"numbers\"><caption>a &lt;caption&gt; &amp; more</caption><thead><tr>\
         <th scope=\"col\">Tensor</th><th scope=\"col\">Shape</th></tr></thead><tbody><tr>\
         <th scope=\"row\">&lt;script&gt;x&lt;/script&gt;</th><td>[2, 3]</td></tr></tbody></table>"
    );
    let inspection = inspected(&adapter_of(2), Some(CONFIG));
    assert_eq!(
        module_table(&inspection).to_html().matches("<tr>").count(),
        5
    );
    let options = module_options_html(&inspection);
    assert!(options.starts_with("<option value=\"0\">layer 0, q_proj: r = 4, 64 → 64</option>"));
    assert_eq!(options.matches("<option").count(), 4);
}
