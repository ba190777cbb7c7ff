//! Export packages (DESIGN contract 4) built from arbitrary bytes, then
//! verified: the input is cut at 0xFF bytes into the contents of the bag's
//! tag files, one record's metadata.json, proof.json and content, and the
//! journal's checkpoint and vkey. `verify_bag` must report problems, never
//! panic.
#![no_main]
use std::collections::BTreeMap;
use std::io::{self, Read};

use probant_verify::bag::{verify_bag, BagEntry, BagFiles};

struct MemBag(BTreeMap<String, Vec<u8>>);

impl BagFiles for MemBag {
    fn list(&self) -> io::Result<Vec<BagEntry>> {
        Ok(self.0.keys().cloned().map(BagEntry::File).collect())
    }
    fn open(&self, path: &str) -> io::Result<Box<dyn Read + '_>> {
        let bytes = self.0.get(path).ok_or(io::ErrorKind::NotFound)?;
        Ok(Box::new(bytes.as_slice()))
    }
}

const NAMES: [&str; 9] = [
    "bagit.txt",
    "bag-info.txt",
    "manifest-sha256.txt",
    "tagmanifest-sha256.txt",
    "data/records/r/1/metadata.json",
    "data/records/r/1/proof.json",
    "data/records/r/1/content",
    "data/journal/checkpoint",
    "data/journal/vkey",
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let files = NAMES
        .iter()
        .zip(data.split(|b| *b == 0xFF))
        .map(|(name, bytes)| ((*name).to_owned(), bytes.to_vec()))
        .collect();
    let _ = verify_bag(&MemBag(files), None);
});
