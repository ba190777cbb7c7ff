//! `journal verify` names the first inconsistency, whatever was altered
//! (N-5.9.5: logs protected against modification and deletion; AR-3.4).
//! Torn partial tiles are repaired on open from durable data.
mod common;

use common::*;
use probant_journal::{Error, Journal};

const N: usize = 70_000;

fn setup() -> (Fixture, Journal) {
    let fx = Fixture::new();
    let j = fx.create();
    let events: Vec<_> = (0..N)
        .map(|i| event("record.read", &format!("p{i}")))
        .collect();
    for chunk in events.chunks(7_000) {
        j.append_all(chunk).unwrap();
    }
    j.sync().unwrap();
    assert_eq!(j.verify(&mut |_, _| {}).unwrap().problem, None);
    (fx, j)
}

fn problem(j: &Journal) -> String {
    j.verify(&mut |_, _| {})
        .unwrap()
        .problem
        .expect("verify must find the damage")
}

fn flip(path: &std::path::Path, at: usize) {
    let mut b = std::fs::read(path).unwrap();
    b[at] ^= 0x40;
    std::fs::write(path, b).unwrap();
}

#[test]
fn a_flipped_bit_in_a_leaf_tile_is_named() {
    let (fx, j) = setup();
    flip(&fx.dir().join("tile/0/005"), 32 * 17 + 3);
    let p = problem(&j);
    assert!(
        p.contains("tile/0/005: hash 17 does not match entry 1297"),
        "{p}"
    );
}

#[test]
fn a_flipped_bit_in_an_upper_tile_is_named() {
    let (fx, j) = setup();
    flip(&fx.dir().join("tile/1/000"), 32 * 3);
    let p = problem(&j);
    assert!(
        p.contains("tile/1/000 differs from the hashes of the tiles below it"),
        "{p}"
    );
}

#[test]
fn an_altered_bundle_is_named() {
    let (fx, j) = setup();
    flip(&fx.dir().join("tile/entries/009"), 100);
    let p = problem(&j);
    assert!(p.contains("tile/entries/009"), "{p}");
}

#[test]
fn a_truncated_bundle_is_named() {
    let (fx, j) = setup();
    let path = fx.dir().join("tile/entries/010");
    let b = std::fs::read(&path).unwrap();
    std::fs::write(&path, &b[..b.len() / 2]).unwrap();
    let p = problem(&j);
    assert!(p.contains("tile/entries/010"), "{p}");
}

#[test]
fn swapped_bundles_are_detected() {
    let (fx, j) = setup();
    let (a, b) = (
        fx.dir().join("tile/entries/001"),
        fx.dir().join("tile/entries/002"),
    );
    let (ba, bb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    std::fs::write(&a, bb).unwrap();
    std::fs::write(&b, ba).unwrap();
    let p = problem(&j);
    assert!(p.contains("tile/entries/001"), "{p}");
}

#[test]
fn a_deleted_bundle_without_a_prune_record_is_named() {
    let (fx, j) = setup();
    std::fs::remove_file(fx.dir().join("tile/entries/100")).unwrap();
    let p = problem(&j);
    assert!(
        p.contains(
            "tile/entries/100 is missing (entries 25600..25856) and no prune recorded its removal"
        ),
        "{p}"
    );
}

#[test]
fn a_forged_prune_record_does_not_excuse_a_deleted_bundle() {
    let (fx, j) = setup();
    std::fs::remove_file(fx.dir().join("tile/entries/100")).unwrap();
    std::fs::write(fx.dir().join("pruned"), "100 101 5\n").unwrap();
    let p = problem(&j);
    assert!(p.contains("journal/pruned names entry 5"), "{p}");
}

#[test]
fn a_torn_partial_tile_is_repaired_on_open() {
    let (fx, j) = setup();
    j.close().unwrap();
    drop(j);
    // 70,000 = 273 full level-0 tiles + a partial of 112.
    let partial = fx.dir().join("tile/0/273.p/112");
    let b = std::fs::read(&partial).unwrap();
    std::fs::write(&partial, &b[..1000]).unwrap();
    std::fs::remove_file(fx.dir().join("tile/1/001.p/17")).unwrap();
    let j = fx.open().unwrap();
    assert_eq!(std::fs::read(&partial).unwrap(), b);
    let note = j.recovery().malfunction().expect("the repair is reported");
    assert!(
        note.contains("tile/0/273.p/112") && note.contains("tile/1/001.p/17"),
        "{note}"
    );
    assert_eq!(j.verify(&mut |_, _| {}).unwrap().problem, None);
}

#[test]
fn damage_that_cannot_be_repaired_refuses_to_open() {
    let (fx, j) = setup();
    j.close().unwrap();
    drop(j);
    flip(&fx.dir().join("tile/0/272"), 5);
    std::fs::remove_file(fx.dir().join("tile/1/001.p/17")).unwrap();
    let before = tree_digest(&fx.dir());
    let err = fx.open().err().unwrap();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("journal verify"), "{err}");
    assert_eq!(tree_digest(&fx.dir()), before);
}

#[test]
fn a_forged_history_checkpoint_is_named() {
    let (fx, j) = setup();
    flip(&fx.dir().join("checkpoints"), 8 + 104 + 10); // record 1 always exists
    let p = problem(&j);
    assert!(p.contains("published checkpoint of size"), "{p}");
}

#[test]
fn a_superseded_partial_tile_is_checked_and_never_yields_a_bad_proof() {
    // Proofs to an earlier published size read that size's partial tiles.
    let fx = Fixture::new();
    let j = fx.create();
    for i in 0..5 {
        j.append(&event("record.read", &format!("p{i}"))).unwrap();
        j.sync().unwrap();
    }
    flip(&fx.dir().join("tile/0/000.p/3"), 40);
    let p = problem(&j);
    assert!(
        p.contains("tile/0/000.p/3 (kept for proofs to an earlier size)"),
        "{p}"
    );
    let err = j
        .inclusion_proof(0, Some(3))
        .expect_err("no proof from damaged tiles");
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    j.inclusion_proof(0, Some(5)).unwrap();
}
