//! "The mathematics": the notebook's Part 4 equations as MathML, and a worked forward pass.
//!
//! The MathML is generated here from constant text only (no reader input reaches it), so the browser
//! layer may insert it as markup. Vectors are column vectors, stored as n×1 matrices.

use nalgebra::DMatrix;

use crate::figures::printed::scaled_sum;
use crate::format::{signed, thousands};
use crate::math::lora::Factorisation;
use crate::math::product;
use crate::math::rng::Stream;
use crate::render::colormap::Diverging;
use crate::state::FactorisationState;

/// Stream id of the input vector x, apart from W₀, B and A's (1, 2, 3).
const STREAM_X: u64 = 4;

fn tag(name: &str, inner: &str) -> String {
    format!("<{name}>{inner}</{name}>")
}
fn mi(x: &str) -> String {
    tag("mi", x)
}
fn mo(x: &str) -> String {
    tag("mo", x)
}
fn mn(x: &str) -> String {
    tag("mn", x)
}
fn row(parts: &[String]) -> String {
    tag("mrow", &parts.concat())
}
fn sub(base: &str, index: &str) -> String {
    tag("msub", &format!("{}{}", mi(base), mn(index)))
}
fn real_space(rows: &str, cols: &str) -> String {
    tag(
        "msup",
        &format!("{}{}", tag("mi", "ℝ"), row(&[mi(rows), mo("×"), mi(cols)])),
    )
}
fn w0() -> String {
    sub("W", "0")
}
fn delta_w() -> String {
    row(&[mi("Δ"), mi("W")])
}
fn scale() -> String {
    tag("mfrac", &format!("{}{}", mi("α"), mi("r")))
}
fn block(label: &str, body: &[String]) -> String {
    format!(
        "<div class=\"equation\"><p class=\"equation-label\">{label}</p>\
         <math display=\"block\">{}</math></div>",
        row(body)
    )
}

/// The notebook's Part 4, as a sequence of labelled MathML equations (with the α/r scaling the
/// notebook leaves out, and the initialisation it does not mention).
pub fn equations_mathml() -> String {
    let x = mi("x");
    let y = mi("y");
    let eq = mo("=");
    let (b, a) = (mi("B"), mi("A"));
    let in_ = mo("∈");
    let comma = mo(",");
    [
        block(
            "1. A linear layer",
            &[y.clone(), eq.clone(), w0(), x.clone()],
        ),
        block(
            "2. Full fine-tuning learns a ΔW as large as W₀",
            &[
                y.clone(),
                eq.clone(),
                mo("("),
                w0(),
                mo("+"),
                delta_w(),
                mo(")"),
                x.clone(),
                comma.clone(),
                mspace(),
                delta_w(),
                in_.clone(),
                real_space("d", "k"),
            ],
        ),
        block(
            "3. LoRA makes ΔW a product of two thin matrices",
            &[
                delta_w(),
                eq.clone(),
                b.clone(),
                a.clone(),
                comma.clone(),
                mspace(),
                b.clone(),
                in_.clone(),
                real_space("d", "r"),
                comma.clone(),
                mspace(),
                a.clone(),
                in_.clone(),
                real_space("r", "k"),
                comma.clone(),
                mspace(),
                mi("r"),
                mo("≪"),
                mi("min"),
                mo("("),
                mi("d"),
                comma.clone(),
                mi("k"),
                mo(")"),
            ],
        ),
        block(
            "4. The forward pass, with LoRA's scaling α/r",
            &[
                y.clone(),
                eq.clone(),
                w0(),
                x.clone(),
                mo("+"),
                scale(),
                b.clone(),
                mo("("),
                a.clone(),
                x.clone(),
                mo(")"),
            ],
        ),
        block(
            "5. Trainable parameters: B and A against W₀",
            &[
                mi("r"),
                mo("("),
                mi("d"),
                mo("+"),
                mi("k"),
                mo(")"),
                mspace(),
                mtext("against"),
                mspace(),
                mi("d"),
                mi("k"),
            ],
        ),
        block(
            "6. At initialisation B = 0, so training starts from W₀ exactly",
            &[
                b,
                eq.clone(),
                mn("0"),
                mspace(),
                mo("⇒"),
                mspace(),
                delta_w(),
                eq.clone(),
                mn("0"),
                comma,
                mspace(),
                y,
                eq,
                w0(),
                x,
            ],
        ),
    ]
    .concat()
}

fn mspace() -> String {
    "<mspace width=\"1em\"></mspace>".to_string()
}

fn mtext(text: &str) -> String {
    tag("mtext", text)
}

/// The vectors of the worked example, in the order the figure shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VectorId {
    /// The input, k entries.
    X,
    /// A·x, r entries.
    Ax,
    /// B·(A·x), d entries.
    Bax,
    /// W₀·x, d entries.
    W0x,
    /// y = W₀x + (α/r)·B(Ax), d entries.
    Y,
}

impl VectorId {
    /// All five, in page order.
    pub const ALL: [VectorId; 5] = [Self::X, Self::Ax, Self::Bax, Self::W0x, Self::Y];

    /// The short id used in the page's element ids (`m-heat-x`, …).
    pub fn slug(self) -> &'static str {
        match self {
            Self::X => "x",
            Self::Ax => "ax",
            Self::Bax => "bax",
            Self::W0x => "w0x",
            Self::Y => "y",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::X => "x",
            Self::Ax => "Ax",
            Self::Bax => "B(Ax)",
            Self::W0x => "W₀x",
            Self::Y => "y",
        }
    }
}

/// Multiplications of one forward pass through a d×k layer at rank r.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Multiplications {
    /// W₀·x: d·k.
    pub base: u64,
    /// B·(A·x): r·k + d·r.
    pub adapter_right_to_left: u64,
    /// (B·A)·x, forming BA first: d·r·k + d·k.
    pub adapter_product_first: u64,
}

impl Multiplications {
    /// The counts for a d×k layer at rank r.
    pub fn new(d: u64, k: u64, r: u64) -> Self {
        Self {
            base: d * k,
            adapter_right_to_left: r * k + d * r,
            adapter_product_first: d * r * k + d * k,
        }
    }
}

/// The worked forward pass at one state.
#[derive(Clone, Debug)]
pub struct WorkedExample {
    /// The settings it was computed from.
    pub state: FactorisationState,
    /// W₀, B and A as in the factorisation figure.
    pub matrices: Factorisation,
    /// x, Ax, B(Ax), W₀x and y, in [`VectorId::ALL`]'s order, each an n×1 matrix.
    pub vectors: [DMatrix<f64>; 5],
    /// y computed the other way, as (W₀ + (α/r)·BA)·x.
    pub y_merged: DMatrix<f64>,
    /// One colour scale for all five vectors.
    pub colours: Diverging,
}

impl WorkedExample {
    /// Computes the forward pass for `state`.
    pub fn new(state: &FactorisationState) -> Self {
        let matrices = super::factorisation::matrices(state);
        let k = state.k as usize;
        let seed = u64::from(state.seed);
        let x_stream = Stream::new(seed, STREAM_X);
        let x = DMatrix::from_fn(k, 1, |i, _| x_stream.normal(i, 0));
        let ax = product(&matrices.a, &x);
        let bax = product(&matrices.b, &ax);
        let w0x = product(&matrices.w0, &x);
        let y = &w0x + &bax * matrices.scale;
        let y_merged = product(&matrices.merged, &x);
        let vectors = [x, ax, bax, w0x, y];
        let half_range = vectors.iter().map(|v| v.amax()).fold(0.0, f64::max);
        Self {
            state: state.clone(),
            matrices,
            vectors,
            y_merged,
            colours: Diverging::new(half_range),
        }
    }

    /// The vector shown as heatmap `id`.
    pub fn vector(&self, id: VectorId) -> &DMatrix<f64> {
        &self.vectors[id as usize]
    }

    /// The heatmap's label: name and length.
    pub fn label(&self, id: VectorId) -> String {
        format!("{} · {}", id.name(), self.vector(id).nrows())
    }

    /// The multiplication table's rows: the computation, its count here, and at d = k = 4,096, r = 8.
    pub fn multiplication_rows(&self) -> [[String; 3]; 3] {
        let FactorisationState { d, k, r, .. } = self.state;
        let here = Multiplications::new(u64::from(d), u64::from(k), u64::from(r));
        let large = Multiplications::new(4096, 4096, 8);
        [
            [
                "W₀x: d·k".to_string(),
                thousands(here.base),
                thousands(large.base),
            ],
            [
                "B(Ax): r·k + d·r".to_string(),
                thousands(here.adapter_right_to_left),
                thousands(large.adapter_right_to_left),
            ],
            [
                "(BA)x: d·r·k + d·k".to_string(),
                thousands(here.adapter_product_first),
                thousands(large.adapter_product_first),
            ],
        ]
    }

    /// The results under the figure: y and its check against the merged weight.
    pub fn result_lines(&self) -> [String; 2] {
        let y = &self.vectors[VectorId::Y as usize];
        let difference = (y - &self.y_merged).amax();
        let first = if self.state.at_init {
            format!(
                "At initialisation B = 0, so B(Ax) = 0 and y = W₀x exactly: y₁ = {} = (W₀x)₁.",
                signed(y[(0, 0)], 4)
            )
        } else {
            self.worked_sum(
                self.vectors[VectorId::W0x as usize][(0, 0)],
                self.vectors[VectorId::Bax as usize][(0, 0)],
                y[(0, 0)],
            )
        };
        [
            first,
            format!(
                "Computed the other way, (W₀ + (α/r)·BA)·x, y differs by at most {difference:.1e}: \
                 merging the adapter into W₀ after training changes nothing but rounding."
            ),
        ]
    }

    /// y₁ = (W₀x)₁ + (α/r)·(B(Ax))₁, written so that it adds up as printed ([`scaled_sum`]).
    fn worked_sum(&self, base: f64, adapter: f64, y: f64) -> String {
        format!(
            "y₁ = (W₀x)₁ + (α/r)·(B(Ax))₁ = {}",
            scaled_sum(base, self.state.alpha, self.state.r, adapter, y, "y₁")
        )
    }

    /// The caption.
    pub fn caption(&self) -> String {
        format!(
            "x is drawn from N(0, 1); W₀, B and A as in Figure 3 (here {}). Each vector is a column, \
             one colour scale for all, red negative and blue positive. The right-hand column of the table \
             is a layer the size of a 7B model's attention projection: the adapter adds {:.2}% to its \
             multiplications when applied as B(Ax), and nothing once merged.",
            if self.state.at_init {
                "at initialisation, B = 0"
            } else {
                "as after training"
            },
            100.0 * 65_536.0 / 16_777_216.0
        )
    }
}
