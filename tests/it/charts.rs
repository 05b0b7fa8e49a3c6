//! Tests for the charts room.
