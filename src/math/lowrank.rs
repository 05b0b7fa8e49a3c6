//! The singular values of a product s·B·A from its thin factors alone, never forming the product.
//!
//! With thin QR factorisations B = Q_B·R_B and Aᵀ = Q_A·R_A, the product is
//! s·B·A = Q_B·(s·R_B·R_Aᵀ)·Q_Aᵀ, and since Q_B and Q_A have orthonormal columns, its singular
//! values are those of the small r×r core s·R_B·R_Aᵀ. Only R is needed, so the QR runs over the
//! rows of a tall matrix in blocks (TSQR): the working memory is (r + block)·r numbers whatever
//! the matrix's height.

use nalgebra::DMatrix;

use super::svd::singular_values;

/// The upper-triangular factor R of a thin QR factorisation of a tall matrix whose rows arrive in
/// blocks. Each block is folded into R by Householder reflections that touch only R's row and the
/// block's rows, so R never grows and the rows are never kept.
#[derive(Clone, Debug)]
pub struct StreamingQr {
    cols: usize,
    r: DMatrix<f64>,
    block: Vec<f64>,
    block_rows: usize,
}

impl StreamingQr {
    /// A factorisation of a matrix with `cols` columns taking at most `block_rows` rows at a time
    /// (at least one). It holds cols² + block_rows·cols numbers.
    pub fn new(cols: usize, block_rows: usize) -> Self {
        let block_rows = block_rows.max(1);
        StreamingQr {
            cols,
            r: DMatrix::zeros(cols, cols),
            block: vec![0.0; block_rows * cols],
            block_rows,
        }
    }

    /// The most rows one block takes.
    pub fn block_rows(&self) -> usize {
        self.block_rows
    }

    /// Folds in `rows` more rows (at most `block_rows`), which `fill` writes column by column into
    /// the slice it is given: column j's entries at j·rows..(j + 1)·rows.
    pub fn push(&mut self, rows: usize, fill: impl FnOnce(&mut [f64])) {
        let rows = rows.min(self.block_rows);
        if rows == 0 {
            return;
        }
        let block = &mut self.block[..rows * self.cols];
        fill(block);
        for j in 0..self.cols {
            let (head, tail) = block.split_at_mut((j + 1) * rows);
            let v = &head[j * rows..];
            let tail_squared: f64 = v.iter().map(|x| x * x).sum();
            if tail_squared == 0.0 {
                continue;
            }
            let x0 = self.r[(j, j)];
            let norm = (x0 * x0 + tail_squared).sqrt();
            let alpha = if x0 >= 0.0 { -norm } else { norm };
            let v0 = x0 - alpha;
            let tau = 2.0 / (v0 * v0 + tail_squared);
            for (k, column) in tail.chunks_exact_mut(rows).enumerate() {
                let k = j + 1 + k;
                let dot: f64 = v.iter().zip(column.iter()).map(|(a, b)| a * b).sum();
                let f = tau * (v0 * self.r[(j, k)] + dot);
                self.r[(j, k)] -= f * v0;
                for (c, a) in column.iter_mut().zip(v) {
                    *c -= f * a;
                }
            }
            self.r[(j, j)] = alpha;
        }
    }

    /// R: cols×cols and upper triangular, with RᵀR equal to the Gram matrix of the rows pushed.
    pub fn finish(self) -> DMatrix<f64> {
        self.r
    }
}

/// The singular values of s·B·A from R_B and R_A, the R factors of B (d×r) and of Aᵀ (k×r):
/// those of the core s·R_B·R_Aᵀ, in descending order, the first `keep` of them (the product's
/// rank is at most min(d, k, r), and the rest are zero).
pub fn product_singular_values(
    r_b: &DMatrix<f64>,
    r_a: &DMatrix<f64>,
    scale: f64,
    keep: usize,
) -> Vec<f64> {
    let core = super::product(r_b, &r_a.transpose());
    let mut sigma = singular_values(&core);
    sigma.truncate(keep);
    for s in &mut sigma {
        *s *= scale.abs();
    }
    sigma
}

/// The stable rank ‖M‖_F² / σ₁² of a matrix with these singular values (descending): at most its
/// rank, and less when a few directions dominate. None for a zero or empty matrix.
pub fn stable_rank(sigma: &[f64]) -> Option<f64> {
    let top = *sigma.first()?;
    if top > 0.0 {
        Some(sigma.iter().map(|s| s * s).sum::<f64>() / (top * top))
    } else {
        None
    }
}
