//! Small safetensors files built byte by byte, good and bad, for the adapter inspector's tests.

/// One tensor to write: its name, dtype as the header spells it, shape and raw bytes.
pub struct Tensor {
    /// The key.
    pub name: String,
    /// The dtype, such as "F32".
    pub dtype: &'static str,
    /// The shape.
    pub shape: Vec<usize>,
    /// The little-endian data.
    pub data: Vec<u8>,
}

/// A safetensors file from a header's JSON text and the data after it.
pub fn file_with_header(json: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(json.as_bytes());
    out.extend_from_slice(data);
    out
}

/// The header's JSON for these tensors, packed in order.
pub fn header_json(tensors: &[Tensor]) -> String {
    let mut offset = 0;
    let entries: Vec<String> = tensors
        .iter()
        .map(|t| {
            let entry = format!(
                "\"{}\":{{\"dtype\":\"{}\",\"shape\":{:?},\"data_offsets\":[{},{}]}}",
                t.name,
                t.dtype,
                t.shape,
                offset,
                offset + t.data.len()
            );
            offset += t.data.len();
            entry
        })
        .collect();
    format!(
        "{{\"__metadata__\":{{\"format\":\"pt\"}},{}}}",
        entries.join(",")
    )
}

/// A safetensors file holding these tensors.
pub fn file(tensors: &[Tensor]) -> Vec<u8> {
    let data: Vec<u8> = tensors.iter().flat_map(|t| t.data.clone()).collect();
    file_with_header(&header_json(tensors), &data)
}

/// Values as F32 bytes.
pub fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A deterministic F32 tensor of `shape` whose entries vary with `seed`.
pub fn f32_tensor(name: &str, shape: &[usize], seed: u32) -> Tensor {
    let n: usize = shape.iter().product();
    let values: Vec<f32> = (0..n as u32)
        .map(|i| {
            ((i.wrapping_mul(2654435761) ^ seed.wrapping_mul(40503)) % 1000) as f32 / 500.0 - 1.0
        })
        .collect();
    Tensor {
        name: name.to_string(),
        dtype: "F32",
        shape: shape.to_vec(),
        data: f32_bytes(&values),
    }
}

/// PEFT's two factors of the module at `path`: lora_A [r, in] and lora_B [out, r].
pub fn peft_pair(path: &str, r: usize, n_in: usize, n_out: usize, seed: u32) -> [Tensor; 2] {
    [
        f32_tensor(
            &format!("base_model.model.{path}.lora_A.weight"),
            &[r, n_in],
            seed,
        ),
        f32_tensor(
            &format!("base_model.model.{path}.lora_B.weight"),
            &[n_out, r],
            seed + 1,
        ),
    ]
}

/// A small PEFT adapter: two layers, q_proj (16→16) and v_proj (16→8), rank 2, in F32.
pub fn small_adapter_tensors() -> Vec<Tensor> {
    let mut tensors = Vec::new();
    for layer in 0..2 {
        let seed = 10 * layer as u32;
        let q = format!("model.layers.{layer}.self_attn.q_proj");
        let v = format!("model.layers.{layer}.self_attn.v_proj");
        tensors.extend(peft_pair(&q, 2, 16, 16, seed));
        tensors.extend(peft_pair(&v, 2, 16, 8, seed + 5));
    }
    tensors
}

/// The small adapter as a file.
pub fn small_adapter() -> Vec<u8> {
    file(&small_adapter_tensors())
}

/// The small adapter's adapter_config.json.
pub const SMALL_CONFIG: &str =
    r#"{"peft_type":"LORA","r":2,"lora_alpha":4,"target_modules":["q_proj","v_proj"]}"#;
