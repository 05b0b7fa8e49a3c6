//! The safetensors header: 8 bytes giving the JSON's length, then the JSON, which names every tensor
//! with its dtype, shape and byte span in the data that follows.
//!
//! Every allocation is sized by what has already been checked against the bytes: the header's
//! length against the buffer before it is read, the tensor count against the buffer's length
//! before the list is made, shapes at most [`MAX_DIMS`] long.

use std::fmt;

use safetensors::Dtype;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::config::Ordered;
use super::error::{AdapterError, Lookalike};

/// The safetensors format's limit on the header's length, in bytes.
pub const MAX_HEADER_LEN: u64 = 100_000_000;

/// Allocations up to this many bytes are made whatever the file's size (a tiny file's list of
/// tensors, an error's message); every larger one is bounded by the file's size.
pub const SMALL_ALLOCATION: usize = 256;

/// The most dimensions a tensor may have here (LoRA factors have 2, convolutions' 4).
pub const MAX_DIMS: usize = 8;

/// One tensor as the header lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorEntry {
    /// Its name, such as `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`.
    pub name: String,
    /// Its element type.
    pub dtype: Dtype,
    /// Its shape, outermost dimension first.
    pub shape: Vec<usize>,
    /// Its first byte, counted from the start of the data (after the header).
    pub start: usize,
    /// One past its last byte, counted the same way.
    pub end: usize,
}

impl TensorEntry {
    /// Its number of elements.
    pub fn elements(&self) -> u64 {
        self.shape.iter().map(|&d| d as u64).product()
    }
}

/// A parsed and checked header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The JSON's length in bytes (the data starts 8 bytes later).
    pub json_len: usize,
    /// Every tensor, in the order of their data.
    pub tensors: Vec<TensorEntry>,
    /// The free-form `__metadata__` entries, in the file's order.
    pub metadata: Vec<(String, String)>,
}

impl Header {
    /// Where the data starts in the file.
    pub fn data_start(&self) -> usize {
        8 + self.json_len
    }

    /// The data's length: the end of the last tensor.
    pub fn data_len(&self) -> usize {
        self.tensors.last().map_or(0, |t| t.end)
    }

    /// The file's length as the header describes it.
    pub fn file_len(&self) -> u64 {
        self.data_start() as u64 + self.data_len() as u64
    }

    /// Checks the file's real length against the one the header describes.
    pub fn check_len(&self, actual: usize) -> Result<(), AdapterError> {
        let expected = self.file_len();
        match (actual as u64).cmp(&expected) {
            std::cmp::Ordering::Less => Err(AdapterError::Truncated { expected, actual }),
            std::cmp::Ordering::Greater => Err(AdapterError::TrailingBytes { expected, actual }),
            std::cmp::Ordering::Equal => Ok(()),
        }
    }
}

/// How many bytes the header occupies, 8 + its JSON's length, from the file's first 8 bytes or
/// more: what the page reads before it reads the header.
pub fn header_span(prefix: &[u8]) -> Result<usize, AdapterError> {
    let Some(first) = prefix.first_chunk::<8>() else {
        return Err(AdapterError::TooShort { len: prefix.len() });
    };
    let json_len = u64::from_le_bytes(*first);
    // The JSON starts with '{', perhaps after spaces: anything else is another format.
    if let Some(&next) = prefix[8..].iter().find(|&&b| b != b' ') {
        if next != b'{' {
            return Err(AdapterError::NotSafetensors {
                looks_like: Lookalike::of(prefix),
            });
        }
    }
    if json_len > MAX_HEADER_LEN {
        return Err(AdapterError::HeaderTooLarge {
            header_len: json_len,
        });
    }
    // At most 100 MB, so this fits a usize on every target.
    Ok(8 + json_len as usize)
}

/// Parses and checks the header from the file's first bytes: at least [`header_span`] of them, or
/// the whole file. The data need not be there; [`Header::check_len`] checks the file's length.
pub fn header(prefix: &[u8]) -> Result<Header, AdapterError> {
    let span = header_span(prefix)?;
    let Some(json) = prefix.get(8..span) else {
        return Err(AdapterError::HeaderBeyondFile {
            header_len: span as u64 - 8,
            file_len: prefix.len(),
        });
    };
    if let Err(e) = std::str::from_utf8(json) {
        return Err(AdapterError::HeaderNotJson {
            detail: format!("byte {} is not UTF-8 text", e.valid_up_to()),
        });
    }
    let json_error = |e: serde_json::Error| match e.classify() {
        serde_json::error::Category::Data => AdapterError::HeaderSchema {
            detail: e.to_string(),
        },
        _ => AdapterError::HeaderNotJson {
            detail: e.to_string(),
        },
    };
    // First pass: the syntax, and how many entries, so the list is sized once, and checked first.
    let count = serde_json::from_slice::<EntryCount>(json)
        .map_err(json_error)?
        .0;
    if count.saturating_mul(std::mem::size_of::<TensorEntry>()) > prefix.len().max(SMALL_ALLOCATION)
    {
        return Err(AdapterError::TooManyTensors { count });
    }
    let mut de = serde_json::Deserializer::from_slice(json);
    let raw = HeaderSeed { capacity: count }
        .deserialize(&mut de)
        .and_then(|raw| de.end().map(|()| raw))
        .map_err(json_error)?;
    if let Some(problem) = raw.problem {
        return Err(problem);
    }
    let mut tensors = raw.tensors;
    check_offsets(&mut tensors)?;
    Ok(Header {
        json_len: json.len(),
        tensors,
        metadata: raw.metadata,
    })
}

/// Checks each tensor's span against its shape and dtype, then that the spans tile the data
/// without overlaps or gaps; sorts the tensors by their data.
fn check_offsets(tensors: &mut [TensorEntry]) -> Result<(), AdapterError> {
    for t in tensors.iter() {
        let out_of_range = |detail: String| AdapterError::OffsetsOutOfRange {
            tensor: t.name.clone(),
            detail,
        };
        if t.end < t.start {
            return Err(out_of_range(format!(
                "it ends at byte {} before it starts at byte {}",
                t.end, t.start
            )));
        }
        let bits = t
            .shape
            .iter()
            .try_fold(t.dtype.bitsize() as u64, |acc, &d| {
                acc.checked_mul(d as u64)
            });
        let needed = match bits {
            Some(bits) if bits % 8 == 0 => bits / 8,
            _ => {
                return Err(out_of_range(format!(
                    "a {:?} tensor of shape {:?} is not a whole number of bytes this side of 2⁶⁴",
                    t.dtype, t.shape
                )))
            }
        };
        let span = (t.end - t.start) as u64;
        if span != needed {
            return Err(out_of_range(format!(
                "they span {span} bytes, but a {:?} tensor of shape {:?} needs {needed}",
                t.dtype, t.shape
            )));
        }
    }
    tensors.sort_unstable_by_key(|t| (t.start, t.end));
    let mut previous: Option<&TensorEntry> = None;
    for t in tensors.iter() {
        let end = previous.map_or(0, |p| p.end);
        if t.start < end {
            if let Some(p) = previous {
                return Err(AdapterError::OffsetsOverlap {
                    first: p.name.clone(),
                    second: t.name.clone(),
                });
            }
        } else if t.start > end {
            return Err(AdapterError::OffsetsGap {
                tensor: t.name.clone(),
            });
        }
        previous = Some(t);
    }
    Ok(())
}

/// The number of entries of a JSON object, counted without keeping any.
struct EntryCount(usize);

impl<'de> Deserialize<'de> for EntryCount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Counter;
        impl<'de> Visitor<'de> for Counter {
            type Value = EntryCount;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object whose keys are tensor names")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EntryCount, A::Error> {
                let mut count = 0;
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
                    count += 1;
                }
                Ok(EntryCount(count))
            }
        }
        deserializer.deserialize_map(Counter)
    }
}

/// The header as read, before its offsets are checked.
struct RawHeader {
    tensors: Vec<TensorEntry>,
    metadata: Vec<(String, String)>,
    /// The first entry the format does not allow, reported once parsing is done.
    problem: Option<AdapterError>,
}

/// Reads the header into a list made once with room for `capacity` entries.
struct HeaderSeed {
    capacity: usize,
}

/// One tensor's entry as written.
#[derive(Deserialize)]
struct RawEntry {
    dtype: String,
    shape: Shape,
    data_offsets: (usize, usize),
}

/// A shape of at most [`MAX_DIMS`] dimensions.
struct Shape(Vec<usize>);

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Dims;
        impl<'de> Visitor<'de> for Dims {
            type Value = Shape;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a list of at most {MAX_DIMS} dimensions")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
                let mut dims = Vec::new();
                while let Some(d) = seq.next_element::<usize>()? {
                    if dims.len() == MAX_DIMS {
                        return Err(de::Error::custom(format_args!(
                            "a shape has more than {MAX_DIMS} dimensions"
                        )));
                    }
                    dims.push(d);
                }
                Ok(Shape(dims))
            }
        }
        deserializer.deserialize_seq(Dims)
    }
}

impl<'de> DeserializeSeed<'de> for HeaderSeed {
    type Value = RawHeader;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawHeader, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeaderSeed {
    type Value = RawHeader;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object whose keys are tensor names")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawHeader, A::Error> {
        let mut raw = RawHeader {
            tensors: Vec::with_capacity(self.capacity),
            metadata: Vec::new(),
            problem: None,
        };
        while let Some(name) = map.next_key::<String>()? {
            if name == "__metadata__" {
                raw.metadata = map.next_value::<Ordered<String>>()?.0;
                continue;
            }
            let entry: RawEntry = map.next_value()?;
            let dtype = Dtype::deserialize(de::value::StrDeserializer::<de::value::Error>::new(
                &entry.dtype,
            ));
            match dtype {
                Ok(dtype) => raw.tensors.push(TensorEntry {
                    name,
                    dtype,
                    shape: entry.shape.0,
                    start: entry.data_offsets.0,
                    end: entry.data_offsets.1,
                }),
                Err(_) => {
                    raw.problem.get_or_insert(AdapterError::UnknownDtype {
                        tensor: name,
                        dtype: entry.dtype,
                    });
                }
            }
        }
        Ok(raw)
    }
}
