//! Heatmaps and colour bars as RGBA buffers, one pixel a cell; the browser scales them up without
//! smoothing, so cells stay crisp at any size and on any pixel density.

use nalgebra::DMatrix;

use super::colormap::Diverging;

/// The RGBA pixels of `matrix`, one pixel a cell: `nrows` rows of `ncols` pixels.
pub fn heatmap_rgba(matrix: &DMatrix<f64>, map: Diverging) -> Vec<u8> {
    let (rows, cols) = matrix.shape();
    let painter = map.painter();
    let mut pixels = vec![255; rows * cols * 4];
    // The matrix is stored column by column and the image row by row: walk the storage in order
    // and write each cell's pixel where it goes.
    for (col, column) in matrix.as_slice().chunks_exact(rows.max(1)).enumerate() {
        for (row, &value) in column.iter().enumerate() {
            let c = painter.colour(value);
            let at = 4 * (row * cols + col);
            pixels[at..at + 3].copy_from_slice(&[c.r, c.g, c.b]);
        }
    }
    pixels
}

/// A horizontal colour bar `width` pixels wide and one pixel high, from −half_range on the left to
/// +half_range on the right (pixel centres sample the range evenly).
pub fn colour_bar_rgba(width: usize, map: Diverging) -> Vec<u8> {
    let half = map.half_range();
    bar_rgba(width, map, -half, half)
}

/// The RGBA pixels of a matrix of shares in [0, 1], such as subspace similarities, one pixel a
/// cell: the blue half of the diverging map, from its neutral near-white at 0 to its deepest blue
/// at 1.
pub fn share_heatmap_rgba(matrix: &DMatrix<f64>) -> Vec<u8> {
    heatmap_rgba(matrix, Diverging::new(1.0))
}

/// The colour bar of [`share_heatmap_rgba`], `width` pixels wide and one high: 0 on the left, 1 on
/// the right.
pub fn share_bar_rgba(width: usize) -> Vec<u8> {
    bar_rgba(width, Diverging::new(1.0), 0.0, 1.0)
}

/// A colour bar `width` pixels wide and one pixel high, from `lo` on the left to `hi` on the
/// right (pixel centres sample the range evenly).
fn bar_rgba(width: usize, map: Diverging, lo: f64, hi: f64) -> Vec<u8> {
    let mut pixels = Vec::with_capacity(width * 4);
    for x in 0..width {
        let t = (x as f64 + 0.5) / width as f64;
        let c = map.colour(lo + (hi - lo) * t);
        pixels.extend_from_slice(&[c.r, c.g, c.b, 255]);
    }
    pixels
}
