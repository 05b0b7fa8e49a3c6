#![allow(clippy::print_stdout, missing_docs)]
use lora_explorer::figures::qlora::{DoubleQuantFigure, QloraParams, QuantFigure};
use lora_explorer::state::QloraState;
use std::time::Instant;
fn main() {
    let mut st = QloraState::default();
    use lora_explorer::state::Section;
    st.set("qn", "1024").unwrap();
    let p = QloraParams::from_state(&st);
    let s = Instant::now();
    let f = QuantFigure::new(&p);
    println!("new {:?}", s.elapsed());
    let s = Instant::now();
    let d = DoubleQuantFigure::new(&f);
    println!("dq {:?}", s.elapsed());
    std::hint::black_box(d);
    st.set("qb", "16").unwrap();
    let p2 = QloraParams::from_state(&st);
    let s = Instant::now();
    let f2 = f.update(&p2);
    println!("update block {:?}", s.elapsed());
    st.set("qs", "2").unwrap();
    let p3 = QloraParams::from_state(&st);
    let s = Instant::now();
    let f3 = f2.update(&p3);
    println!("update seed {:?}", s.elapsed());
    let s = Instant::now();
    std::hint::black_box(f3.caption());
    println!("caption {:?}", s.elapsed());
}
