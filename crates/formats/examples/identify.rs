//! Prints what `identify_and_validate` says about each file given on the command line.
//! `cargo run -p probant-formats --example identify -- samples/*`

fn main() -> std::io::Result<()> {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path)?;
        match probant_formats::identify_and_validate(&bytes) {
            Ok(id) => println!("{path}: {id:#?}"),
            Err(e) => println!("{path}: REFUSED: {e}"),
        }
    }
    Ok(())
}
