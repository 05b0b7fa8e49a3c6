//! Tests for the memory room.
