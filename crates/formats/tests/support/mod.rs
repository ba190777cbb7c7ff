//! Shared by the integration tests: the sample generator and file access.
#![allow(dead_code)]

pub mod gen;

use std::path::PathBuf;

/// Reads a file given relative to the repository root.
pub fn read(path: &str) -> Vec<u8> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}
