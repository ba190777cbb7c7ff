//! Retention (N-5.11.7e): functional entries are kept at least 10 years and
//! technical ones 2; pruning removes only bundles whose every entry is past
//! its retention, keeps hash tiles (the tree and remaining proofs still
//! verify), and is itself journaled.
mod common;

use common::*;
use probant_journal::{Error, Journal, Options};
use serde_json::Value;

const YEAR: i64 = 365 * 24 * 3600 * 1_000_000;
const T2010: i64 = 1_262_304_000_000_000; // 2010-01-01T00:00:00Z

fn old_journal(fx: &Fixture, clock: &std::sync::Arc<ManualClock>) -> Journal {
    let j = fx.create_with(Options {
        clock: clock.clone(),
        ..Options::default()
    });
    let events: Vec<_> = (0..600)
        .map(|i| event("record.read", &format!("old{i}")))
        .collect();
    j.append_all(&events).unwrap();
    j.sync().unwrap();
    j
}

#[test]
fn bundles_past_retention_are_pruned_and_the_tree_still_verifies() {
    let fx = Fixture::new();
    let clock = ManualClock::at(T2010);
    let j = old_journal(&fx, &clock);
    clock.set(T2010 + 16 * YEAR);
    let report = j
        .prune(T2010 + YEAR, &event("journal.prune", "retention"))
        .unwrap();
    assert_eq!(report.bundles, vec![(0, 2)]);
    assert_eq!(report.entries, 512);
    j.sync().unwrap();
    assert!(!fx.dir().join("tile/entries/000").exists());
    assert!(fx.dir().join("tile/0/000").exists(), "hash tiles stay");
    // The prune is journaled, naming what it removed.
    let v: Value = serde_json::from_slice(&j.entry(report.receipt.index).unwrap()).unwrap();
    assert_eq!(v["action"], "journal.prune");
    assert_eq!(v["details"]["bundles"], serde_json::json!([[0, 2]]));
    // Pruned entries are gone; the rest still prove into the latest checkpoint.
    assert!(matches!(j.entry(3), Err(Error::Pruned { bundle: 0 })));
    j.inclusion_proof(599, None)
        .unwrap()
        .verify(j.verifier_key())
        .unwrap();
    let r = j.verify(&mut |_, _| {}).unwrap();
    assert_eq!(r.problem, None);
    assert_eq!(r.entries_pruned, 512);
    // Pruning again removes nothing more, and is journaled too.
    let again = j
        .prune(T2010 + YEAR, &event("journal.prune", "again"))
        .unwrap();
    assert!(again.bundles.is_empty());
}

#[test]
fn functional_entries_younger_than_ten_years_are_kept() {
    let fx = Fixture::new();
    let clock = ManualClock::at(T2010);
    let j = old_journal(&fx, &clock);
    clock.set(T2010 + 9 * YEAR);
    let report = j
        .prune(T2010 + YEAR, &event("journal.prune", "too early"))
        .unwrap();
    assert!(report.bundles.is_empty());
    assert!(fx.dir().join("tile/entries/000").exists());
    assert_eq!(j.verify(&mut |_, _| {}).unwrap().problem, None);
}

#[test]
fn technical_entries_follow_their_own_two_year_retention() {
    let fx = Fixture::new();
    let clock = ManualClock::at(T2010);
    let j = fx.create_with(Options {
        clock: clock.clone(),
        ..Options::default()
    });
    let technical: Vec<_> = (0..256)
        .map(|i| event("journal.verify", &format!("t{i}")))
        .collect();
    j.append_all(&technical).unwrap();
    let functional: Vec<_> = (0..256)
        .map(|i| event("record.read", &format!("f{i}")))
        .collect();
    j.append_all(&functional).unwrap();
    clock.set(T2010 + 3 * YEAR);
    let report = j
        .prune(T2010 + YEAR, &event("journal.prune", "technical"))
        .unwrap();
    assert_eq!(
        report.bundles,
        vec![(0, 1)],
        "only the all-technical bundle goes"
    );
}

#[test]
fn a_prune_date_in_the_future_is_refused() {
    let fx = Fixture::new();
    let clock = ManualClock::at(T2010);
    let j = old_journal(&fx, &clock);
    let before = tree_digest(&fx.dir());
    assert!(matches!(
        j.prune(T2010 + YEAR, &event("journal.prune", "x")),
        Err(Error::Retention { .. })
    ));
    j.sync().unwrap();
    assert_eq!(tree_digest(&fx.dir()), before);
}
