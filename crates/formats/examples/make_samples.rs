//! Writes the sample documents (`samples/`) and test vectors
//! (`crates/formats/tests/data/`). Run from anywhere:
//! `cargo run -p probant-formats --example make_samples`.
//! The `samples` test checks the committed files match this output.

#[path = "../tests/support/gen.rs"]
mod gen;

use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (path, bytes) in gen::all() {
        let full = root.join(path);
        if let Some(dir) = full.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&full, &bytes)?;
        println!("{path}: {} bytes", bytes.len());
    }
    Ok(())
}
