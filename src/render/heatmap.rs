//! Heatmaps and colour bars as RGBA buffers, one pixel a cell; the browser scales them up without
//! smoothing, so cells stay crisp at any size and on any pixel density.

use nalgebra::DMatrix;

use super::colormap::Diverging;

/// The RGBA pixels of `matrix`, one pixel a cell: `nrows` rows of `ncols` pixels.
pub fn heatmap_rgba(matrix: &DMatrix<f64>, map: Diverging) -> Vec<u8> {
    let mut pixels = Vec::with_capacity(matrix.nrows() * matrix.ncols() * 4);
    for row in 0..matrix.nrows() {
        for col in 0..matrix.ncols() {
            let c = map.colour(matrix[(row, col)]);
            pixels.extend_from_slice(&[c.r, c.g, c.b, 255]);
        }
    }
    pixels
}

/// A horizontal colour bar `width` pixels wide and one pixel high, from −half_range on the left to
/// +half_range on the right (pixel centres sample the range evenly).
pub fn colour_bar_rgba(width: usize, map: Diverging) -> Vec<u8> {
    let mut pixels = Vec::with_capacity(width * 4);
    for x in 0..width {
        let t = (x as f64 + 0.5) / width as f64;
        let c = map.colour(map.half_range() * (2.0 * t - 1.0));
        pixels.extend_from_slice(&[c.r, c.g, c.b, 255]);
    }
    pixels
}
