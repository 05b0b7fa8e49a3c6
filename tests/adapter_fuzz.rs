//! The adapter inspector fuzzed: seeded mutations of real adapter files (bytes flipped in the
//! header, digits changed, JSON inserted and deleted, the length prefix rewritten, truncations,
//! weights made NaN), each inspected (header first, then the data), which must return rather than panic,
//! and must never make one allocation larger than the file (or than a small floor that error
//! messages need for tiny files). Its own binary, because it counts allocations.
#![cfg(not(target_arch = "wasm32"))]
// A global allocator is an unsafe trait: this binary alone allows unsafe code.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use lora_explorer::adapter::{inspect, AdapterError, SMALL_ALLOCATION as FLOOR};

#[path = "it/adapter_files.rs"]
#[allow(dead_code)]
mod adapter_files;

use adapter_files::{f32_tensor, file, small_adapter, small_adapter_tensors, SMALL_CONFIG};

/// How many mutated files the test parses.
const CASES: usize = 100_000;

thread_local! {
    /// The largest allocation this thread made since it was last reset.
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator, noting each thread's largest allocation.
struct Counting;

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// xorshift64*: the fuzzer's seeded random numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The files mutated: the small PEFT adapter, one with a DoRA vector and a saved module, and a
/// kohya-style one.
fn seeds() -> Vec<Vec<u8>> {
    let mut dora = small_adapter_tensors();
    dora.push(f32_tensor(
        "base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector",
        &[8],
        3,
    ));
    dora.push(f32_tensor("base_model.model.score.weight", &[2, 8], 4));
    let mut kohya = Vec::new();
    for block in 0..2 {
        let path = format!("lora_unet_down_blocks_{block}_attentions_0_proj_in");
        kohya.push(f32_tensor(
            &format!("{path}.lora_down.weight"),
            &[2, 6],
            block,
        ));
        kohya.push(f32_tensor(
            &format!("{path}.lora_up.weight"),
            &[5, 2],
            block + 7,
        ));
        kohya.push(f32_tensor(&format!("{path}.alpha"), &[], block + 9));
    }
    vec![small_adapter(), file(&dora), file(&kohya)]
}

/// The header's length as the file states it, clamped to the file.
fn json_end(bytes: &[u8]) -> usize {
    let n = bytes
        .first_chunk::<8>()
        .map_or(0, |b| u64::from_le_bytes(*b));
    (8 + n.min(bytes.len() as u64) as usize).min(bytes.len())
}

/// Rewrites the length prefix after the header grew or shrank by `delta`.
fn shift_len(bytes: &mut [u8], delta: isize) {
    if let Some(prefix) = bytes.first_chunk_mut::<8>() {
        let n = u64::from_le_bytes(*prefix).wrapping_add_signed(delta as i64);
        *prefix = n.to_le_bytes();
    }
}

/// One mutation of `bytes`.
fn mutate(rng: &mut Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    let end = json_end(&bytes);
    if end <= 8 {
        bytes.push(rng.next() as u8);
        return bytes;
    }
    let in_json = |rng: &mut Rng| 8 + rng.below(end.saturating_sub(8));
    match rng.below(9) {
        // A byte of the header, anything.
        0 => {
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(end);
                bytes[at] = rng.next() as u8;
            }
        }
        // A digit of the header, another digit: shapes and offsets that disagree.
        1 => {
            let digits: Vec<usize> = (8..end).filter(|&i| bytes[i].is_ascii_digit()).collect();
            if !digits.is_empty() {
                let at = digits[rng.below(digits.len())];
                bytes[at] = b'0' + rng.below(10) as u8;
            }
        }
        // JSON's punctuation or a word, inserted.
        2 => {
            const PIECES: [&[u8]; 12] = [
                b"{",
                b"}",
                b"[",
                b"]",
                b"\"",
                b",",
                b":",
                b"9",
                b"-1",
                b"null",
                b"\"BF16\"",
                b"\"lora_A\"",
            ];
            let piece = PIECES[rng.below(PIECES.len())];
            let at = in_json(rng);
            bytes.splice(at..at, piece.iter().copied());
            if rng.below(4) > 0 {
                shift_len(&mut bytes, piece.len() as isize);
            }
        }
        // A span of the header, deleted.
        3 => {
            let at = in_json(rng);
            let len = (1 + rng.below(12)).min(end - at);
            bytes.drain(at..at + len);
            if rng.below(4) > 0 {
                shift_len(&mut bytes, -(len as isize));
            }
        }
        // The length prefix, nudged or rewritten.
        4 => {
            if rng.below(2) == 0 {
                shift_len(&mut bytes, rng.below(65) as isize - 32);
            } else {
                let n = rng.next() >> rng.below(64);
                bytes[..8].copy_from_slice(&n.to_le_bytes());
            }
        }
        // Truncated anywhere.
        5 => bytes.truncate(rng.below(bytes.len() + 1)),
        // Bytes appended.
        6 => bytes.extend((0..1 + rng.below(16)).map(|_| rng.next() as u8)),
        // A weight made NaN, infinite or huge.
        7 => {
            let at = end + rng.below(bytes.len().saturating_sub(end + 4));
            let value = [f32::NAN, f32::INFINITY, f32::MAX, -0.0][rng.below(4)];
            if let Some(slot) = bytes.get_mut(at..at + 4) {
                slot.copy_from_slice(&value.to_le_bytes());
            }
        }
        // Two mutations.
        _ => {
            let once = mutate(rng, bytes);
            bytes = mutate(rng, once);
        }
    }
    bytes
}

#[test]
fn mutated_headers_and_truncations_neither_panic_nor_allocate_more_than_the_file() {
    let seeds = seeds();
    let mut rng = Rng(0x5EED_1234_ABCD_0042);
    let (mut read, mut refused, mut header_only) = (0usize, 0usize, 0usize);
    let mut worst = (0.0f64, 0usize);
    let started = std::time::Instant::now();
    for case in 0..CASES {
        let seed = &seeds[case % seeds.len()];
        let bytes = mutate(&mut rng, seed.clone());
        let config = (case % 3 == 0).then_some(SMALL_CONFIG);
        LARGEST.with(|l| l.set(0));
        let outcome = inspect(&bytes, config);
        let largest = LARGEST.with(Cell::get);
        assert!(
            largest <= bytes.len().max(FLOOR),
            "case {case}: an allocation of {largest} bytes for a file of {}",
            bytes.len()
        );
        let ratio = largest as f64 / bytes.len().max(1) as f64;
        if largest > FLOOR && ratio > worst.0 {
            worst = (ratio, case);
        }
        match outcome {
            Ok(_) => read += 1,
            Err(AdapterError::Truncated { .. } | AdapterError::TrailingBytes { .. }) => {
                header_only += 1
            }
            Err(_) => refused += 1,
        }
    }
    eprintln!(
        "{CASES} mutated files in {:.2?}: {read} read, {header_only} with a good header but the \
         wrong length, {refused} refused; the largest allocation above {FLOOR} bytes was {:.2}× its file (case {})",
        started.elapsed(),
        worst.0,
        worst.1
    );
    assert!(read > CASES / 20, "too few mutations still read: {read}");
    assert!(refused > CASES / 4, "too few mutations refused: {refused}");
}
