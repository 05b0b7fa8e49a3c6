//! Tests for the svd room.
