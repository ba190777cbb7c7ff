#![no_main]
//! A whole export package (DESIGN contract 4) from an untrusted sender, in
//! memory: `verify_bag` reports problems and never panics, whatever the
//! files say (manifests, tag files, metadata, proofs, checkpoint, vkey).
//! Input: any number of files, each as a one-byte name length, the name, a
//! four-byte little-endian content length and the content, so a real bag,
//! binary contents included, is one input (`seeds/make-bag-seed.py` makes
//! it; `seeds/bag/samples.bin` is a valid bag of the three samples) and the
//! fuzzer mutates its way from a bag that passes every check into each of
//! its error paths.
use std::collections::BTreeMap;
use std::io::{self, Read};

use probant_verify::bag::{verify_bag, BagEntry, BagFiles};

struct MemBag(BTreeMap<String, Vec<u8>>);

impl MemBag {
    fn decode(mut data: &[u8]) -> Self {
        let mut files = BTreeMap::new();
        while let [name_len, rest @ ..] = data {
            let (name, rest) = rest.split_at((*name_len as usize).min(rest.len()));
            let Some((len, rest)) = rest.split_first_chunk::<4>() else {
                break;
            };
            let (content, rest) =
                rest.split_at((u32::from_le_bytes(*len) as usize).min(rest.len()));
            files.insert(String::from_utf8_lossy(name).into_owned(), content.to_vec());
            data = rest;
        }
        MemBag(files)
    }
}

impl BagFiles for MemBag {
    fn list(&self) -> io::Result<Vec<BagEntry>> {
        Ok(self.0.keys().cloned().map(BagEntry::File).collect())
    }
    fn open(&self, path: &str) -> io::Result<Box<dyn Read + '_>> {
        let bytes = self.0.get(path).ok_or(io::ErrorKind::NotFound)?;
        Ok(Box::new(bytes.as_slice()))
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = verify_bag(&MemBag::decode(data), None);
});
