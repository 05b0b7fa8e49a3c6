//! Rendering to pixels.
//!
//! Conventions: an RGBA buffer is row-major, 4 bytes a pixel (red, green, blue, alpha), top row first,
//! exactly what the browser's `ImageData` expects, so the browser layer paints it in one call.

pub mod charts;
pub mod colormap;
pub mod heatmap;
