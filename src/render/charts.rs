//! Charts drawn with plotters onto any `DrawingBackend`.
