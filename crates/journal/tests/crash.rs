//! Crash safety (AR-3.3 / AR-13.1: no acknowledged write ever vanishes;
//! N-5.9.5: the journal is complete). A child process appends at full speed
//! from several threads and prints each acknowledged index; the parent kills
//! it with SIGKILL at random moments — during start-up recovery, WAL
//! appends, segment rotation, tile and checkpoint writes — and after every
//! restart checks that each acknowledged entry is at its index, that the
//! whole tree verifies and that the checkpoint is valid.
mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use probant_journal::{Journal, Options};

const CHILD_ENV: &str = "PROBANT_CRASH_CHILD_DIR";
const KILLS: usize = 60;

fn child_options() -> Options {
    // Small segments so that rotation and deletion are crashed into too.
    Options {
        wal_segment_bytes: 32 << 10,
        ..Options::default()
    }
}

/// The child: appends until killed. Not a test on its own (returns at once
/// unless the parent set the environment).
#[test]
fn crash_child() {
    let Ok(base) = std::env::var(CHILD_ENV) else {
        return;
    };
    let base = Path::new(&base);
    let keys = open_keys(base, "home");
    let journal = Arc::new(
        Journal::open(
            &base.join("journal"),
            keys.signer,
            keys.sealer,
            child_options(),
        )
        .unwrap(),
    );
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let run = std::process::id();
    let workers: Vec<_> = (0..8)
        .map(|t| {
            let (journal, out) = (journal.clone(), out.clone());
            std::thread::spawn(move || {
                for seq in 0u64.. {
                    let purpose = format!("{run}-{t}-{seq}");
                    let events: Vec<_> = (0..1 + seq % 3)
                        .map(|k| event("record.read", &format!("{purpose}-{k}")))
                        .collect();
                    let receipts = journal.append_all(&events).unwrap();
                    let mut o = out.lock().unwrap();
                    for (r, e) in receipts.iter().zip(&events) {
                        writeln!(o, "ACK {} {}", r.index, e.purpose.as_deref().unwrap()).unwrap();
                    }
                    o.flush().unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
}

fn run_child_and_kill(base: &Path, delay: Duration) -> Vec<(u64, String)> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, base)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| {
                let rest = l.strip_prefix("ACK ")?;
                let (i, p) = rest.split_once(' ')?;
                Some((i.parse().ok()?, p.to_owned()))
            })
            .collect::<Vec<(u64, String)>>()
    });
    std::thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap()
}

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_entry() {
    let fx = Fixture::new();
    fx.create().close().unwrap();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("seed {seed}");
    let mut rng = Rng(seed);
    let mut acked: HashMap<u64, String> = HashMap::new();
    let mut total_acked = 0;
    for round in 0..KILLS {
        // Mostly mid-run; sometimes within start-up recovery.
        let delay = if rng.below(5) == 0 {
            rng.below(40)
        } else {
            40 + rng.below(160)
        };
        let acks = run_child_and_kill(fx.tmp.path(), Duration::from_millis(delay));
        total_acked += acks.len();
        for (index, purpose) in acks {
            assert!(
                acked.insert(index, purpose).is_none(),
                "index {index} acknowledged twice (round {round})"
            );
        }
        let journal = fx.open_with(child_options()).unwrap();
        let latest = journal.latest();
        probant_verify::Checkpoint::verify(
            latest.note(journal.verifier_key()).as_bytes(),
            journal.verifier_key(),
        )
        .unwrap();
        let on_disk = std::fs::read(fx.dir().join("checkpoint")).unwrap();
        let cp = probant_verify::Checkpoint::verify(&on_disk, journal.verifier_key()).unwrap();
        assert_eq!(
            cp.size, latest.size,
            "the checkpoint file covers every recovered entry"
        );
        let mut found = 0;
        journal
            .read_entries(0, None, |i, e| {
                if let Some(p) = acked.get(&i) {
                    let v: serde_json::Value = serde_json::from_slice(e).unwrap();
                    assert_eq!(v["purpose"], p.as_str(), "entry {i} after round {round}");
                    found += 1;
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(
            found,
            acked.len(),
            "acknowledged entries missing after round {round} (seed {seed})"
        );
        let report = journal.verify(&mut |_, _| {}).unwrap();
        assert_eq!(report.problem, None, "round {round} (seed {seed})");
        journal.close().unwrap();
    }
    println!("{KILLS} kills, {total_acked} acknowledged entries, all present");
    assert!(
        total_acked > 1_000,
        "the child must have been appending at speed"
    );
}
