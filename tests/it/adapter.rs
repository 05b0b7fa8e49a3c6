//! Tests for the adapter inspector: PEFT-shaped files written by Python's safetensors package and
//! checked against numpy's singular values (skipped, with a note, without `LORA_ORACLE_PYTHON`),
//! every bad file the issue lists, the config's rules, the streamed QR and the heatmap.

use std::path::{Path, PathBuf};
use std::process::Command;

use lora_explorer::adapter::{
    header, header_span, heatmap, inspect, AdapterConfig, AdapterError, Inspection, KeyStyle,
    OtherKind, Warning,
};
use lora_explorer::math::lowrank::{stable_rank, StreamingQr};
use lora_explorer::math::rng::Stream;
use lora_explorer::math::svd::singular_values;
use nalgebra::DMatrix;
use serde_json::Value;

use crate::adapter_files::{
    f32_tensor, file, file_with_header, header_json, peft_pair, small_adapter,
    small_adapter_tensors, Tensor, SMALL_CONFIG,
};

fn inspected(bytes: &[u8], config: Option<&str>) -> Inspection {
    match inspect(bytes, config) {
        Ok(inspection) => inspection,
        Err(e) => panic!("the file should inspect: {e}"),
    }
}

fn error_of(bytes: &[u8]) -> AdapterError {
    match inspect(bytes, Some(SMALL_CONFIG)) {
        Ok(_) => panic!("the file should be refused"),
        Err(e) => e,
    }
}

/// Runs the fixture script into a fresh folder, or says why not.
fn fixtures() -> Option<PathBuf> {
    let Ok(python) = std::env::var("LORA_ORACLE_PYTHON") else {
        eprintln!(
            "note: skipped, LORA_ORACLE_PYTHON is unset (scripts/test sets it to a Python with numpy \
             and safetensors)"
        );
        return None;
    };
    let dir = std::env::temp_dir().join(format!("lora-adapter-fixtures-{}", std::process::id()));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/adapter_fixtures.py");
    let status = Command::new(python).arg(script).arg(&dir).status();
    assert!(
        status.as_ref().is_ok_and(|s| s.success()),
        "the fixture script failed: {status:?}"
    );
    Some(dir)
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Checks every module against numpy's account in NAME.expected.json.
fn check_against_numpy(dir: &Path, name: &str, config: bool) -> Inspection {
    let bytes = read(dir, &format!("{name}.safetensors"));
    let config = config
        .then(|| String::from_utf8(read(dir, &format!("{name}.config.json"))).unwrap_or_default());
    let inspection = inspected(&bytes, config.as_deref());
    let expected: Value =
        serde_json::from_slice(&read(dir, &format!("{name}.expected.json"))).unwrap_or_default();
    let modules = expected["modules"].as_array().cloned().unwrap_or_default();
    assert_eq!(inspection.modules.len(), modules.len(), "{name}");
    for want in &modules {
        let path = want["path"].as_str().unwrap_or_default();
        let Some(got) = inspection.modules.iter().find(|m| m.path == path) else {
            panic!("{name}: no module {path}");
        };
        let number = |key: &str| want[key].as_f64().unwrap_or(f64::NAN);
        assert_eq!(got.rank as f64, number("r"), "{name} {path} r");
        assert_eq!(got.in_features as f64, number("in"), "{name} {path} in");
        assert_eq!(got.out_features as f64, number("out"), "{name} {path} out");
        assert_eq!(got.params as f64, number("params"), "{name} {path} params");
        assert_eq!(
            got.layer.map(f64::from),
            Some(number("layer")),
            "{name} {path}"
        );
        assert!(
            (got.scale - number("scale")).abs() <= 1e-12 * number("scale"),
            "{name} {path}: scale {} against {}",
            got.scale,
            number("scale")
        );
        let sigma: Vec<f64> = want["sigma"]
            .as_array()
            .map(|v| v.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        assert_eq!(got.singular_values.len(), sigma.len(), "{name} {path}");
        let top = sigma[0];
        for (i, (o, n)) in got.singular_values.iter().zip(&sigma).enumerate() {
            assert!(
                (o - n).abs() <= 1e-10 * top,
                "{name} {path} σ{}: ours {o:e}, numpy {n:e}",
                i + 1
            );
        }
        let frobenius = number("frobenius");
        assert!(
            (got.frobenius - frobenius).abs() <= 1e-10 * frobenius,
            "{name} {path}: ‖ΔW‖ {} against {frobenius}",
            got.frobenius
        );
    }
    inspection
}

#[test]
fn inspections_agree_with_numpy_on_files_written_by_pythons_safetensors() {
    let Some(dir) = fixtures() else { return };

    let f32 = check_against_numpy(&dir, "f32", true);
    assert_eq!(f32.style, KeyStyle::Peft);
    assert!(f32.warnings.is_empty(), "{:?}", f32.warnings);
    assert_eq!(f32.totals.config_lora, Some(f32.totals.lora));
    // Layer 1's q_proj has B of rank 2: two singular values, then zeros, and 90% within two.
    let q1 = &f32.modules[f32
        .modules
        .iter()
        .position(|m| m.path == "model.layers.1.self_attn.q_proj")
        .unwrap_or(0)];
    assert!(
        q1.singular_values[2] <= 1e-12 * q1.singular_values[0],
        "{q1:?}"
    );
    assert!(q1.rank_90 <= 2 && q1.stable_rank.is_some_and(|s| s <= 2.0 + 1e-9));

    let bf16 = check_against_numpy(&dir, "bf16", true);
    assert!(bf16.warnings.is_empty(), "{:?}", bf16.warnings);
    assert!(bf16.modules.iter().all(|m| m.dora));
    let magnitudes = bf16
        .others
        .iter()
        .filter(|t| t.kind == OtherKind::DoraMagnitude)
        .count();
    assert_eq!(magnitudes, bf16.modules.len());
    let saved: Vec<_> = bf16
        .others
        .iter()
        .filter(|t| t.kind == OtherKind::Saved)
        .collect();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].name, "base_model.model.score.weight");
    assert_eq!(bf16.totals.saved, 64);
    assert_eq!(
        bf16.totals.magnitude,
        bf16.modules
            .iter()
            .map(|m| m.out_features as u64)
            .sum::<u64>()
    );

    check_against_numpy(&dir, "f16", true);

    let kohya = check_against_numpy(&dir, "kohya", false);
    assert_eq!(kohya.style, KeyStyle::Kohya);
    assert!(kohya.warnings.is_empty(), "{:?}", kohya.warnings);
    assert_eq!(kohya.modules[0].kind, "proj_in");

    let nan = inspected(&read(&dir, "nan.safetensors"), None);
    assert!(
        nan.warnings.contains(&Warning::NonFinite {
            weights: 2,
            modules: 1
        }),
        "{:?}",
        nan.warnings
    );
    assert!(nan
        .modules
        .iter()
        .any(|m| m.non_finite == 2 && m.frobenius.is_nan()));
    assert_eq!(nan.warnings[0], Warning::ConfigMissing);

    // A config whose ranks disagree with the tensors: said, and the table still shown.
    let wrong =
        r#"{"peft_type":"LORA","r":8,"lora_alpha":16,"target_modules":["q_proj","o_proj"]}"#;
    let inspection = inspected(&read(&dir, "f32.safetensors"), Some(wrong));
    assert_eq!(inspection.modules.len(), 9);
    assert!(inspection.warnings.iter().any(|w| matches!(
        w,
        Warning::RankDisagrees {
            config: 8,
            tensors: 4,
            ..
        }
    )));
    assert!(inspection.warnings.contains(&Warning::TargetUnused {
        target: "o_proj".to_string()
    }));
    assert!(inspection
        .warnings
        .iter()
        .any(|w| matches!(w, Warning::NotTargeted { count: 6, .. })));
    assert_ne!(inspection.totals.config_lora, Some(inspection.totals.lora));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_header_alone_reads_from_the_first_bytes() {
    let bytes = small_adapter();
    let span = header_span(&bytes[..8]).unwrap_or(0);
    assert!(span > 8 && span < bytes.len());
    let head = header(&bytes[..span]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(head.tensors.len(), 8);
    assert_eq!(head.file_len(), bytes.len() as u64);
    assert_eq!(
        head.metadata,
        vec![("format".to_string(), "pt".to_string())]
    );
    assert_eq!(
        head.check_len(bytes.len() - 1),
        Err(AdapterError::Truncated {
            expected: bytes.len() as u64,
            actual: bytes.len() - 1
        })
    );
}

#[test]
fn a_small_adapter_reads_with_its_config() {
    let inspection = inspected(&small_adapter(), Some(SMALL_CONFIG));
    assert!(inspection.warnings.is_empty(), "{:?}", inspection.warnings);
    let kinds: Vec<_> = inspection
        .modules
        .iter()
        .map(|m| {
            (
                m.layer,
                m.kind.as_str(),
                m.rank,
                m.in_features,
                m.out_features,
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (Some(0), "q_proj", 2, 16, 16),
            (Some(0), "v_proj", 2, 16, 8),
            (Some(1), "q_proj", 2, 16, 16),
            (Some(1), "v_proj", 2, 16, 8)
        ]
    );
    assert_eq!(inspection.totals.lora, 2 * (2 * 32 + 2 * 24));
    assert!(inspection.modules.iter().all(|m| m.scale == 2.0));
}

#[test]
fn singular_values_match_the_formed_product() {
    let tensors = small_adapter_tensors();
    let bytes = file(&tensors);
    let inspection = inspected(&bytes, Some(SMALL_CONFIG));
    for m in &inspection.modules {
        let value = |t: &Tensor, i: usize| {
            let b = &t.data[4 * i..4 * i + 4];
            f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64
        };
        let find = |suffix: &str| {
            tensors
                .iter()
                .find(|t| t.name == format!("base_model.model.{}.{suffix}", m.path))
        };
        let (Some(a), Some(b)) = (find("lora_A.weight"), find("lora_B.weight")) else {
            panic!("no factors for {}", m.path);
        };
        let a = DMatrix::from_fn(m.rank, m.in_features, |i, j| {
            value(a, i * m.in_features + j)
        });
        let b = DMatrix::from_fn(m.out_features, m.rank, |i, j| value(b, i * m.rank + j));
        let product = (&b * &a) * m.scale;
        let direct = singular_values(&product);
        for (o, d) in m.singular_values.iter().zip(&direct) {
            assert!(
                (o - d).abs() <= 1e-12 * direct[0],
                "{}: {o} against {d}",
                m.path
            );
        }
        assert!((m.frobenius - product.norm()).abs() <= 1e-12 * product.norm());
        // The heatmap's cells are entries of the product, at each cell's centre.
        let map = heatmap(&bytes, m, 3, 4).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(map.shape(), (3, 4));
        for (r, c) in [(0, 0), (2, 3), (1, 2)] {
            let (i, j) = (
                (2 * r + 1) * m.out_features / 6,
                (2 * c + 1) * m.in_features / 8,
            );
            assert!((map[(r, c)] - product[(i, j)]).abs() <= 1e-12, "{}", m.path);
        }
    }
}

#[test]
fn the_streamed_qr_gives_the_gram_matrix_whatever_the_block() {
    let stream = Stream::new(3, 77);
    let m = DMatrix::from_fn(70, 5, |i, j| stream.normal(i, j));
    for block in [1, 3, 64, 100] {
        let mut qr = StreamingQr::new(5, block);
        let mut start = 0;
        while start < m.nrows() {
            let n = qr.block_rows().min(m.nrows() - start);
            qr.push(n, |cols| {
                for j in 0..5 {
                    for i in 0..n {
                        cols[j * n + i] = m[(start + i, j)];
                    }
                }
            });
            start += n;
        }
        let r = qr.finish();
        assert!((0..5).all(|j| (j + 1..5).all(|i| r[(i, j)] == 0.0)));
        let gram = m.transpose() * &m;
        assert!(
            (r.transpose() * &r - &gram).norm() <= 1e-12 * gram.norm(),
            "block {block}"
        );
    }
    assert_eq!(stable_rank(&[2.0, 2.0, 0.0]), Some(2.0));
    assert_eq!(stable_rank(&[0.0]), None);
}

#[test]
fn patterns_follow_pefts_rules() {
    let config = r#"{"r":8,"lora_alpha":16,"use_rslora":true,
        "rank_pattern":{"layers\\.[0-2]\\.self_attn\\.q_proj":4,"q_proj":2,"model.layers.5.mlp.up_proj":32},
        "alpha_pattern":{"up_proj":64}}"#;
    let (c, warnings) = AdapterConfig::parse(config).unwrap_or_else(|w| panic!("{w}"));
    assert!(warnings.is_empty());
    assert_eq!(c.rank_for("model.layers.1.self_attn.q_proj"), Some(4));
    assert_eq!(c.rank_for("model.layers.7.self_attn.q_proj"), Some(2));
    assert_eq!(c.rank_for("model.layers.7.self_attn.xq_proj"), Some(8));
    assert_eq!(c.rank_for("model.layers.5.mlp.up_proj"), Some(32));
    assert_eq!(c.rank_for("model.layers.15.mlp.up_proj"), Some(8));
    assert_eq!(c.alpha_for("model.layers.3.mlp.up_proj"), Some(64.0));
    assert_eq!(c.scale_for("model.layers.3.mlp.up_proj", 16), Some(16.0));
    assert_eq!(c.scale_for("model.layers.3.mlp.down_proj", 16), Some(4.0));

    let (plain, _) =
        AdapterConfig::parse(r#"{"r":8,"lora_alpha":16,"target_modules":".*\\.(q|v)_proj"}"#)
            .unwrap_or_else(|w| panic!("{w}"));
    assert_eq!(plain.scale_for("x.q_proj", 8), Some(2.0));
    assert!(plain.targets("model.layers.0.self_attn.v_proj"));
    assert!(!plain.targets("model.layers.0.self_attn.k_proj"));

    let (_, warnings) = AdapterConfig::parse(r#"{"r":8,"rank_pattern":{"q_proj(":2}}"#)
        .unwrap_or_else(|w| panic!("{w}"));
    assert_eq!(
        warnings,
        [Warning::PatternUnreadable {
            pattern: "q_proj(".to_string()
        }]
    );
}

// Every bad file the issue lists, each with its own message.

#[test]
fn not_a_safetensors_file() {
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00rest of a pytorch archive".to_vec();
    let e = error_of(&zip);
    assert!(matches!(e, AdapterError::NotSafetensors { .. }), "{e:?}");
    assert!(e.to_string().contains("ZIP archive"), "{e}");
    let json = error_of(SMALL_CONFIG.as_bytes());
    assert!(json.to_string().contains("adapter_config.json"), "{json}");
    assert_eq!(error_of(b"1234"), AdapterError::TooShort { len: 4 });
}

#[test]
fn truncated_files() {
    let bytes = small_adapter();
    let span = header_span(&bytes).unwrap_or(0);
    let e = error_of(&bytes[..bytes.len() - 3]);
    assert!(matches!(e, AdapterError::Truncated { .. }), "{e:?}");
    assert!(e.to_string().contains("truncated"));
    let e = error_of(&bytes[..span - 1]);
    assert!(matches!(e, AdapterError::HeaderBeyondFile { .. }), "{e:?}");
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"extra");
    assert!(matches!(
        error_of(&longer),
        AdapterError::TrailingBytes { .. }
    ));
}

#[test]
fn header_length_beyond_the_file_or_over_100_mb() {
    let mut bytes = small_adapter();
    let len = bytes.len() as u64;
    bytes[..8].copy_from_slice(&len.to_le_bytes());
    let e = error_of(&bytes);
    assert!(matches!(e, AdapterError::HeaderBeyondFile { .. }), "{e:?}");
    assert!(e.to_string().contains("cut short"));
    bytes[..8].copy_from_slice(&100_000_001u64.to_le_bytes());
    assert_eq!(
        error_of(&bytes),
        AdapterError::HeaderTooLarge {
            header_len: 100_000_001
        }
    );
    bytes[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(error_of(&bytes).to_string().contains("100 MB"));
}

#[test]
fn header_not_json() {
    let e = error_of(&file_with_header("{\"a\": [1, 2", &[]));
    assert!(matches!(e, AdapterError::HeaderNotJson { .. }), "{e:?}");
    assert!(e.to_string().contains("not valid JSON"));
    let e = error_of(&file_with_header("{\"a\": \"\u{fffd}\"}", &[]));
    assert!(matches!(e, AdapterError::HeaderSchema { .. }), "{e:?}");
    let mut invalid_utf8 = file_with_header("{\"a\":\"xx\"}", &[]);
    invalid_utf8[14] = 0xff;
    assert!(matches!(
        error_of(&invalid_utf8),
        AdapterError::HeaderNotJson { .. }
    ));
    let deep = r#"{"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}}"#;
    let e = error_of(&file_with_header(deep, &[0; 4]));
    assert!(e.to_string().contains("more than 8 dimensions"), "{e}");
}

#[test]
fn offsets_out_of_range_or_overlapping() {
    let a = r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#;
    let overlap = format!(r#"{a}"b":{{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}}}"#);
    assert_eq!(
        error_of(&file_with_header(&overlap, &[0; 12])),
        AdapterError::OffsetsOverlap {
            first: "a".into(),
            second: "b".into()
        }
    );
    let gap = format!(r#"{a}"b":{{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}}}"#);
    assert_eq!(
        error_of(&file_with_header(&gap, &[0; 20])),
        AdapterError::OffsetsGap { tensor: "b".into() }
    );
    let reversed = r#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#;
    let e = error_of(&file_with_header(reversed, &[0; 8]));
    assert!(matches!(e, AdapterError::OffsetsOutOfRange { .. }), "{e:?}");
    let wrong_size = r#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#;
    let e = error_of(&file_with_header(wrong_size, &[0; 8]));
    assert!(e.to_string().contains("needs 12"), "{e}");
    let huge = format!(
        r#"{{"a":{{"dtype":"F32","shape":[{},{}],"data_offsets":[0,8]}}}}"#,
        u64::MAX,
        u64::MAX
    );
    let e = error_of(&file_with_header(&huge, &[0; 8]));
    assert!(matches!(e, AdapterError::OffsetsOutOfRange { .. }), "{e:?}");
    let far = r#"{"a":{"dtype":"F32","shape":[250000000],"data_offsets":[0,1000000000]}}"#;
    assert!(matches!(
        error_of(&file_with_header(far, &[0; 8])),
        AdapterError::Truncated { .. }
    ));
}

#[test]
fn unknown_and_unsupported_dtypes() {
    let q4 = r#"{"x.lora_A.weight":{"dtype":"Q4_K","shape":[2],"data_offsets":[0,1]}}"#;
    assert_eq!(
        error_of(&file_with_header(q4, &[0])),
        AdapterError::UnknownDtype {
            tensor: "x.lora_A.weight".into(),
            dtype: "Q4_K".into()
        }
    );
    let mut tensors = small_adapter_tensors();
    tensors[0].dtype = "I32";
    let e = error_of(&file(&tensors));
    assert!(matches!(e, AdapterError::UnsupportedDtype { .. }), "{e:?}");
    assert!(e.to_string().contains("F32, F16, BF16 or F64"));
}

#[test]
fn lora_a_without_lora_b() {
    let mut tensors = small_adapter_tensors();
    let orphan = tensors.remove(1).name;
    let inspection = inspected(&file(&tensors), Some(SMALL_CONFIG));
    assert_eq!(inspection.modules.len(), 3);
    let w = Warning::Unpaired {
        tensor: orphan.replace("lora_B", "lora_A"),
        missing: "lora_B".into(),
    };
    assert!(
        inspection.warnings.contains(&w),
        "{:?}",
        inspection.warnings
    );
    assert!(w.to_string().contains("has no matching lora_B"));
    // A file with no pair at all is not an adapter.
    let alone = file(&[f32_tensor("base_model.model.x.lora_A.weight", &[2, 2], 1)]);
    assert_eq!(error_of(&alone), AdapterError::NoAdapter { tensors: 1 });
}

#[test]
fn shapes_that_disagree_with_each_other_or_with_the_config() {
    let mut tensors = small_adapter_tensors();
    tensors.splice(
        0..2,
        peft_pair("model.layers.0.self_attn.q_proj", 2, 16, 16, 0).map(|mut t| {
            if t.name.ends_with("lora_B.weight") {
                t = f32_tensor(&t.name, &[16, 3], 0);
            }
            t
        }),
    );
    let inspection = inspected(&file(&tensors), Some(SMALL_CONFIG));
    assert_eq!(inspection.modules.len(), 3);
    assert!(inspection.warnings.iter().any(|w| matches!(
        w,
        Warning::ShapesDisagree { a, b, .. } if a == &[2, 16] && b == &[16, 3]
    )));
    let config = SMALL_CONFIG.replace("\"r\":2", "\"r\":4");
    let inspection = inspected(&small_adapter(), Some(&config));
    assert_eq!(
        inspection.warnings[0],
        Warning::RankDisagrees {
            module: "model.layers.0.self_attn.q_proj".into(),
            config: 4,
            tensors: 2
        }
    );
    assert_eq!(
        inspection.totals.config_lora,
        Some(2 * inspection.totals.lora)
    );
}

#[test]
fn nan_and_infinite_weights_are_counted() {
    let mut tensors = small_adapter_tensors();
    tensors[3].data[..4].copy_from_slice(&f32::NAN.to_le_bytes());
    tensors[6].data[4..8].copy_from_slice(&f32::INFINITY.to_le_bytes());
    tensors[6].data[8..12].copy_from_slice(&f32::NEG_INFINITY.to_le_bytes());
    let inspection = inspected(&file(&tensors), Some(SMALL_CONFIG));
    let w = Warning::NonFinite {
        weights: 3,
        modules: 2,
    };
    assert!(
        inspection.warnings.contains(&w),
        "{:?}",
        inspection.warnings
    );
    assert!(w.to_string().contains("3 weights in 2 modules"));
    assert_eq!(
        inspection
            .modules
            .iter()
            .filter(|m| m.frobenius.is_finite())
            .count(),
        2
    );
}

#[test]
fn config_missing_or_inconsistent() {
    let inspection = inspected(&small_adapter(), None);
    assert_eq!(inspection.warnings, [Warning::ConfigMissing]);
    assert!(inspection.modules.iter().all(|m| m.scale == 1.0));
    let inspection = inspected(&small_adapter(), Some("{not json"));
    assert!(matches!(
        inspection.warnings[0],
        Warning::ConfigUnreadable { .. }
    ));
    let dora = r#"{"peft_type":"LORA","r":2,"lora_alpha":4,"use_dora":true,"modules_to_save":["classifier"]}"#;
    let inspection = inspected(&small_adapter(), Some(dora));
    assert!(inspection.warnings.contains(&Warning::DoraDisagrees {
        config: true,
        vectors: 0
    }));
    assert!(inspection.warnings.contains(&Warning::SavedModuleMissing {
        name: "classifier".into()
    }));
    let inspection = inspected(&small_adapter(), Some(r#"{"peft_type":"IA3"}"#));
    assert!(inspection.warnings.contains(&Warning::ConfigNotLora {
        peft_type: "IA3".into()
    }));
}

#[test]
fn too_many_tensors_for_the_header() {
    let entries: Vec<String> = (0..40)
        .map(|i| format!(r#""{i}":{{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#))
        .collect();
    let json = format!("{{{}}}", entries.join(","));
    assert_eq!(
        error_of(&file_with_header(&json, &[])),
        AdapterError::TooManyTensors { count: 40 }
    );
    assert!(header_json(&small_adapter_tensors()).len() > 8);
}

#[test]
fn the_page_shows_the_table_totals_per_layer_lines_and_captions() {
    use lora_explorer::figures::inspector::{
        heatmap_size, module_table, others_table, per_layer, spectrum_caption, totals,
    };
    let mut tensors = small_adapter_tensors();
    tensors.push(f32_tensor("base_model.model.score.weight", &[2, 16], 4));
    let config = SMALL_CONFIG.replace('}', r#","modules_to_save":["score"]}"#);
    let inspection = inspected(&file(&tensors), Some(&config));
    let table = module_table(&inspection);
    assert_eq!(table.rows.len(), 4);
    assert_eq!(table.rows[1][..6], ["0", "v_proj", "2", "16", "8", "48"]);
    assert_eq!(table.rows[1][6], "2.00");
    let lines = totals(&inspection);
    assert!(
        lines[0].starts_with("256 parameters in all: 224 in the LoRA factors"),
        "{lines:?}"
    );
    assert!(lines[1].contains("they agree"), "{lines:?}");
    assert_eq!(
        others_table(&inspection).rows[0][1],
        "module saved whole (modules_to_save)"
    );
    let series = per_layer(&inspection);
    assert_eq!(series.len(), 2);
    assert_eq!(series[0].kind, "q_proj");
    assert_eq!(
        series[0].points.iter().map(|p| p.0).collect::<Vec<_>>(),
        [0, 1]
    );
    let caption = spectrum_caption(&inspection.modules[0]);
    assert!(
        caption.contains("of its r = 2 directions hold 90%"),
        "{caption}"
    );
    assert_eq!(heatmap_size(&inspection.modules[1]), (8, 16));
}
