//! Black-box check of what the journal writes, with an implementation we did
//! not write (Cloudflare's `tlog_tiles` and `signed_note`, ports of Go's
//! sumdb tlog and note): the checkpoint verifies under `journal/vkey`, the
//! tiles read from `journal/tile/…` authenticate against its root, and our
//! proofs check with the reference's proof checkers. (N-5.9.5: the journal is
//! checkable without trusting Probant.)
mod common;

use std::path::PathBuf;

use common::*;
use probant_verify::proof_json::decode_hash;
use tlog_tiles::{Hash, Tile, TileHashReader, TileReader};

struct DirTiles(PathBuf);

impl TileReader for DirTiles {
    fn height(&self) -> u8 {
        8
    }
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::tlog::Error> {
        // The reference names tiles as Go's sumdb does (`tile/8/L/N`); the
        // C2SP layout drops the height: `tile/L/N`.
        Ok(tiles
            .iter()
            .map(|t| {
                let rel = t.path().replacen("tile/8/", "tile/", 1);
                std::fs::read(self.0.join(&rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
            })
            .collect())
    }
    fn save_tiles(&self, _: &[Tile], _: &[Vec<u8>]) {}
}

fn reference_checkpoint(dir: &std::path::Path) -> (u64, Hash) {
    let vkey = std::fs::read_to_string(dir.join("vkey")).unwrap();
    let verifier = signed_note::StandardVerifier::new(vkey.trim_end()).unwrap();
    let bytes = std::fs::read(dir.join("checkpoint")).unwrap();
    let note = signed_note::Note::from_bytes(&bytes).unwrap();
    note.verify(&signed_note::VerifierList::new(vec![Box::new(verifier)]))
        .unwrap();
    let cp = tlog_tiles::Checkpoint::from_bytes(note.text()).unwrap();
    assert_eq!(cp.origin(), ORIGIN);
    (cp.size(), *cp.hash())
}

#[test]
fn tiles_checkpoint_and_proofs_pass_the_reference_checks() {
    let fx = Fixture::new();
    let journal = fx.create();
    let mut total = 0u64;
    let mut sizes = vec![];
    for batch in [1usize, 5, 250, 1, 600, 3, 70_000 - 860] {
        let events: Vec<_> = (0..batch)
            .map(|i| event("record.read", &format!("b{total}-{i}")))
            .collect();
        for chunk in events.chunks(60_000) {
            journal.append_all(chunk).unwrap();
        }
        total += batch as u64;
        sizes.push(journal.sync().unwrap().size);
    }
    assert_eq!(total, 70_000);
    let (size, root) = reference_checkpoint(&fx.dir());
    assert_eq!(size, 70_000);
    let tiles = DirTiles(fx.dir());
    let reader = TileHashReader::new(size, root, &tiles);
    // The reference recomputes the root from our tiles and authenticates them.
    assert_eq!(tlog_tiles::tree_hash(size, &reader).unwrap(), root);
    for index in [0u64, 1, 255, 256, 4_095, 65_535, 65_536, 69_999] {
        let ours = journal.inclusion_proof(index, None).unwrap();
        let path: Vec<Hash> = ours
            .inclusion
            .iter()
            .map(|h| Hash(decode_hash(h).unwrap()))
            .collect();
        let leaf = tlog_tiles::record_hash(ours.entry.as_bytes());
        tlog_tiles::check_record(&path, size, root, index, leaf).unwrap();
        let theirs = tlog_tiles::prove_record(size, index, &reader).unwrap();
        assert_eq!(path, theirs, "inclusion path of {index}");
        ours.verify(journal.verifier_key()).unwrap();
    }
    for &old in sizes.iter().filter(|&&s| s < size) {
        let ours = journal.consistency_proof(old, None).unwrap();
        let path: Vec<Hash> = ours
            .consistency
            .iter()
            .map(|h| Hash(decode_hash(h).unwrap()))
            .collect();
        let old_cp = probant_verify::Checkpoint::verify(
            ours.old_checkpoint.as_bytes(),
            journal.verifier_key(),
        )
        .unwrap();
        tlog_tiles::check_tree(&path, size, root, old, Hash(old_cp.root)).unwrap();
        assert_eq!(
            path,
            tlog_tiles::prove_tree(size, old, &reader).unwrap(),
            "consistency {old}->{size}"
        );
        ours.verify(journal.verifier_key()).unwrap();
    }
}

#[test]
fn partial_tiles_of_every_published_size_are_served() {
    // C2SP: logs MUST serve partial tiles for sizes they produced a
    // checkpoint for (until the full tile exists).
    let fx = Fixture::new();
    let journal = fx.create();
    for i in 0..300u64 {
        journal
            .append(&event("record.read", &i.to_string()))
            .unwrap();
        let p = journal.sync().unwrap();
        let w = p.size % 256;
        if w > 0 && p.size < 256 {
            assert!(
                fx.dir().join(format!("tile/0/000.p/{w}")).is_file(),
                "size {}",
                p.size
            );
        }
    }
    assert!(fx.dir().join("tile/0/000").is_file());
    assert!(
        !fx.dir().join("tile/0/000.p").exists(),
        "partials of a full tile are removed"
    );
    assert!(fx.dir().join("tile/1/000.p/1").is_file());
}
