//! Journal behaviour and bad input (N-5.9.5, N-5.11.7, AR-3.5, AR-15):
//! each bad input gets a precise error and changes nothing.
mod common;

use std::sync::Arc;

use common::*;
use probant_journal::{Error, Journal, Options, Retention};
use serde_json::Value;

fn journal_with(fx: &Fixture, n: usize) -> Journal {
    let j = fx.create();
    let events: Vec<_> = (0..n)
        .map(|i| event("record.read", &format!("p{i}")))
        .collect();
    j.append_all(&events).unwrap();
    j.sync().unwrap();
    j
}

#[test]
fn concurrent_appenders_get_unique_contiguous_indexes() {
    let fx = Fixture::new();
    let j = Arc::new(fx.create());
    let handles: Vec<_> = (0..16)
        .map(|t| {
            let j = j.clone();
            std::thread::spawn(move || {
                (0..200)
                    .map(|i| {
                        (
                            j.append(&event("record.read", &format!("{t}/{i}")))
                                .unwrap()
                                .index,
                            format!("{t}/{i}"),
                        )
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<(u64, String)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort();
    assert_eq!(
        all.iter().map(|a| a.0).collect::<Vec<_>>(),
        (0..3200).collect::<Vec<_>>()
    );
    j.sync().unwrap();
    for (i, p) in all.iter().step_by(97) {
        let v: Value = serde_json::from_slice(&j.entry(*i).unwrap()).unwrap();
        assert_eq!(v["purpose"], p.as_str());
    }
}

#[test]
fn entries_are_canonical_json_with_the_ar_3_5_fields() {
    let fx = Fixture::new();
    let j = journal_with(&fx, 3);
    let mut last_time = String::new();
    j.read_entries(0, None, |_, e| {
        let text = std::str::from_utf8(e).unwrap();
        assert!(probant_verify::jcs::is_canonical(text), "{text}");
        let v: Value = serde_json::from_str(text).unwrap();
        for field in [
            "time",
            "action",
            "outcome",
            "actor",
            "resource",
            "purpose",
            "legal_basis",
            "controller",
            "executor",
            "place",
            "channel",
            "malfunction",
        ] {
            assert!(v.get(field).is_some(), "missing {field}");
        }
        for field in ["id", "kind", "on_behalf_of", "auth"] {
            assert!(v["actor"].get(field).is_some(), "missing actor.{field}");
        }
        let t = v["time"].as_str().unwrap().to_owned();
        assert!(t.ends_with('Z') && t >= last_time);
        last_time = t;
        Ok(())
    })
    .unwrap();
}

#[test]
fn reopening_continues_the_same_log_consistently() {
    let fx = Fixture::new();
    let j = journal_with(&fx, 300);
    let old = j.latest().size;
    j.close().unwrap();
    drop(j);
    let j = fx.open().unwrap();
    assert_eq!(j.latest().size, old);
    assert_eq!(j.append(&event("record.read", "after")).unwrap().index, 300);
    j.sync().unwrap();
    j.consistency_proof(old, None)
        .unwrap()
        .verify(j.verifier_key())
        .unwrap();
    assert_eq!(j.verify(&mut |_, _| {}).unwrap().problem, None);
}

#[test]
fn a_second_writer_is_refused() {
    let fx = Fixture::new();
    let _j = fx.create();
    assert!(matches!(fx.open(), Err(Error::Locked { .. })));
}

#[test]
fn a_foreign_vkey_is_refused_and_nothing_changes() {
    let fx = Fixture::new();
    journal_with(&fx, 10).close().unwrap();
    let other = keys(fx.tmp.path(), "other");
    let foreign = probant_verify::VerifierKey::new(ORIGIN, &other.signer.public_key()).unwrap();
    std::fs::write(fx.dir().join("vkey"), format!("{foreign}\n")).unwrap();
    let before = tree_digest(&fx.dir());
    assert!(matches!(fx.open(), Err(Error::ForeignKey)));
    assert_eq!(tree_digest(&fx.dir()), before);
}

#[test]
fn a_journal_from_a_newer_format_is_refused_and_nothing_changes() {
    let fx = Fixture::new();
    journal_with(&fx, 10).close().unwrap();
    std::fs::write(fx.dir().join("format"), "2\n").unwrap();
    let before = tree_digest(&fx.dir());
    let err = fx.open().err().unwrap();
    assert!(
        matches!(
            err,
            Error::UnsupportedFormat {
                found: 2,
                supported: 1
            }
        ),
        "{err}"
    );
    assert_eq!(tree_digest(&fx.dir()), before);
}

#[test]
fn a_checkpoint_with_a_bad_signature_is_refused_and_nothing_changes() {
    let fx = Fixture::new();
    journal_with(&fx, 10).close().unwrap();
    let path = fx.dir().join("checkpoint");
    let text = std::fs::read_to_string(&path).unwrap();
    let (body, sig) = text.rsplit_once(' ').unwrap();
    let mut sig = sig.as_bytes().to_vec();
    sig[10] = if sig[10] == b'A' { b'B' } else { b'A' };
    std::fs::write(&path, format!("{body} {}", String::from_utf8(sig).unwrap())).unwrap();
    let before = tree_digest(&fx.dir());
    let err = fx.open().err().unwrap();
    assert!(
        err.to_string()
            .contains("journal/checkpoint does not verify"),
        "{err}"
    );
    assert_eq!(tree_digest(&fx.dir()), before);
}

#[test]
fn indexes_and_sizes_outside_the_tree_are_refused() {
    let fx = Fixture::new();
    let j = journal_with(&fx, 10);
    assert!(matches!(
        j.inclusion_proof(10, None),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        j.inclusion_proof(0, Some(11)),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        j.consistency_proof(5, Some(10)),
        Err(Error::NoCheckpointAtSize { size: 5 })
    ));
    assert!(matches!(
        j.read_entries(5, Some(11), |_, _| Ok(())),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        j.read_entries(6, Some(5), |_, _| Ok(())),
        Err(Error::OutOfRange { .. })
    ));
}

/// A batch of proofs (an export's) is exactly the proofs one by one, in
/// the order asked, across bundle boundaries and at an older size; an index
/// outside the tree refuses the whole batch.
#[test]
fn batch_inclusion_proofs_equal_single_ones() {
    let fx = Fixture::new();
    let j = journal_with(&fx, 600);
    let size = j.latest().size;
    let indexes = [599, 0, 255, 256, 257, 1, 511, 512, 300, 300];
    let batch = j.inclusion_proofs(&indexes, Some(size)).unwrap();
    for (i, p) in indexes.iter().zip(&batch) {
        assert_eq!(*p, j.inclusion_proof(*i, Some(size)).unwrap());
    }
    j.append(&event("record.read", "later")).unwrap();
    j.sync().unwrap();
    let old = j.inclusion_proofs(&[3], Some(size)).unwrap();
    assert_eq!(old[0], j.inclusion_proof(3, Some(size)).unwrap());
    assert!(matches!(
        j.inclusion_proofs(&[3, size + 1], None),
        Err(Error::OutOfRange { .. })
    ));
}

#[test]
fn an_oversized_event_is_refused_without_consuming_an_index() {
    let fx = Fixture::new();
    let j = journal_with(&fx, 2);
    let mut big = event("record.read", "x");
    big.purpose = Some("y".repeat(70_000));
    assert!(matches!(j.append(&big), Err(Error::EntryTooLarge { .. })));
    assert!(j.append_all(&[event("record.read", "ok"), big]).is_err());
    assert_eq!(j.append(&event("record.read", "next")).unwrap().index, 2);
    assert!(matches!(j.append_all(&[]), Err(Error::InvalidEvent { .. })));
    let too_many = vec![event("record.read", "x"); 65_537];
    assert!(matches!(
        j.append_all(&too_many),
        Err(Error::InvalidEvent { .. })
    ));
    assert_eq!(j.append(&event("record.read", "after")).unwrap().index, 3);
}

#[test]
fn a_backwards_clock_step_is_recorded_as_a_malfunction_without_reordering() {
    let fx = Fixture::new();
    let clock = ManualClock::at(1_800_000_000_000_000);
    let j = fx.create_with(Options {
        clock: clock.clone(),
        ..Options::default()
    });
    let a = j.append(&event("record.read", "a")).unwrap();
    clock.set(1_800_000_000_000_000 - 5_000_000);
    let b = j.append(&event("record.read", "b")).unwrap();
    assert_eq!(a.time, b.time);
    assert_eq!(b.index, a.index + 1);
    j.sync().unwrap();
    let v: Value = serde_json::from_slice(&j.entry(b.index).unwrap()).unwrap();
    assert!(
        v["malfunction"]
            .as_str()
            .unwrap()
            .contains("clock stepped back 5.000000 s"),
        "{v}"
    );
}

#[test]
fn no_entry_plaintext_is_stored_in_clear() {
    let fx = Fixture::new();
    let marker = "MARKER-4b1d-NISS-85073003328";
    let j = fx.create();
    j.append(&event("record.read", marker)).unwrap();
    // Before integration the entry is only in the WAL; afterwards in a bundle.
    for (path, bytes) in tree_digest(&fx.dir()) {
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "{path}"
        );
    }
    j.sync().unwrap();
    j.close().unwrap();
    for (path, bytes) in tree_digest(&fx.dir()) {
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "{path}"
        );
    }
}

#[test]
fn retention_below_the_minimum_norms_is_refused() {
    let fx = Fixture::new();
    for r in [
        Retention {
            functional_years: 9,
            technical_years: 2,
        },
        Retention {
            functional_years: 10,
            technical_years: 1,
        },
    ] {
        let err = Journal::create(
            &fx.dir(),
            ORIGIN,
            fx.keys.signer.clone(),
            fx.keys.sealer.clone(),
            Options {
                retention: r,
                ..Options::default()
            },
        )
        .err()
        .unwrap();
        assert!(matches!(err, Error::Retention { .. }), "{err}");
    }
    assert!(!fx.dir().exists());
}

/// A minimal executor: parks the thread until the waker fires.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    struct ThreadWaker(std::thread::Thread);
    impl std::task::Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

#[test]
fn async_appends_resolve_once_durable_and_keep_their_indexes() {
    let fx = Fixture::new();
    let j = fx.create();
    let futures: Vec<_> = (0..50)
        .map(|i| {
            j.append_async(&[event("record.read", &format!("a{i}"))])
                .unwrap()
        })
        .collect();
    let dropped = j.append_async(&[event("record.read", "dropped")]).unwrap();
    drop(dropped); // sequenced already: dropping the future does not withdraw it
    let receipts: Vec<u64> = futures
        .into_iter()
        .map(|f| block_on(f).unwrap()[0].index)
        .collect();
    assert_eq!(receipts, (0..50).collect::<Vec<_>>());
    j.sync().unwrap();
    let v: Value = serde_json::from_slice(&j.entry(50).unwrap()).unwrap();
    assert_eq!(v["purpose"], "dropped");
}
