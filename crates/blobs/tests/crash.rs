//! Crash behaviour (DESIGN "Reliability rules": nothing acknowledged is
//! lost, a torn write is never taken for a blob) and bounded memory, each in
//! a child process: the test binary re-executed with an environment
//! variable, then killed with SIGKILL.
//!
//! A SIGKILL shows atomicity and visibility (what another process sees after
//! the writer dies); it cannot show that data reached the disk — the page
//! cache survives the process. The fsyncs that give power-loss durability
//! are in `finish` and `delete` (see the crate docs).
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use probant_blobs::conformance::{self, check_generated, key, write_generated, Generator};
use probant_blobs::{BlobStore, Error, LocalBlobStore};

const CHILD_DIR: &str = "PROBANT_BLOBS_CHILD_DIR";
const MIB: u64 = 1 << 20;

/// Re-runs this binary's test `name` as a child on `dir`.
fn spawn_child(name: &str, dir: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Reads the child's stdout until a line containing `marker` (the harness
/// may print before it on the same line); returns what follows the marker.
fn wait_for(child: &mut Child, marker: &str) -> String {
    let out = child.stdout.as_mut().unwrap();
    let mut lines = BufReader::new(out).lines();
    loop {
        match lines.next() {
            Some(line) => {
                let line = line.unwrap();
                if let Some(at) = line.find(marker) {
                    return line[at + marker.len()..].to_string();
                }
            }
            None => panic!("child exited before printing {marker}"),
        }
    }
}

fn kill(mut child: Child) {
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
}

fn say(line: &str) {
    let mut out = std::io::stdout();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}

/// Child: writes a blob, finishes, says DONE, waits to be killed.
#[test]
fn child_finishes_then_waits() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let store = LocalBlobStore::open(Path::new(&dir)).unwrap();
    write_generated(&store, &key("crash/finished"), 9, 5 * MIB + 1, 100_003);
    say("DONE");
    std::thread::sleep(Duration::from_secs(60));
}

#[test]
fn a_finished_blob_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_child("child_finishes_then_waits", dir.path());
    wait_for(&mut child, "DONE");
    kill(child);
    let store = LocalBlobStore::open(dir.path()).unwrap();
    check_generated(&store, &key("crash/finished"), 9, 5 * MIB + 1);
    assert_eq!(
        conformance::list(&store),
        vec!["crash/finished".to_string()]
    );
    assert_eq!(store.purge_staging(Duration::ZERO).unwrap(), 0);
}

/// Child: starts a blob, writes several parts, says WRITING, waits to be
/// killed without finishing.
#[test]
fn child_writes_then_waits() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let store = LocalBlobStore::open(Path::new(&dir)).unwrap();
    let mut w = store.create(&key("crash/unfinished")).unwrap();
    let mut gen = Generator::new(3);
    let mut buf = vec![0; 1 << 16];
    for _ in 0..64 {
        gen.fill(&mut buf);
        w.write_all(&buf).unwrap();
    }
    say("WRITING");
    std::thread::sleep(Duration::from_secs(60));
    drop(w);
}

#[test]
fn a_blob_killed_mid_write_leaves_nothing_under_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_child("child_writes_then_waits", dir.path());
    wait_for(&mut child, "WRITING");
    kill(child);
    let store = LocalBlobStore::open(dir.path()).unwrap();
    let k = key("crash/unfinished");
    assert!(matches!(store.open(&k), Err(Error::NotFound { .. })));
    assert!(matches!(store.size(&k), Err(Error::NotFound { .. })));
    assert!(!store.path_of(&k).exists());
    assert_eq!(conformance::list(&store), Vec::<String>::new());
    // What the killed writer left is staging only, and purge removes it.
    let staged = std::fs::read_dir(dir.path().join(".partial"))
        .unwrap()
        .count();
    assert_eq!(staged, 1, "the killed upload's staging file");
    assert_eq!(store.purge_staging(Duration::ZERO).unwrap(), 1);
    assert_eq!(
        std::fs::read_dir(dir.path().join(".partial"))
            .unwrap()
            .count(),
        0
    );
    write_generated(&store, &k, 4, 1000, 100);
    check_generated(&store, &k, 4, 1000);
}

/// `VmRSS` and `VmHWM` (peak) of this process, in KiB (Linux).
fn rss_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Child: streams 64 MiB in and out of a fresh process and reports how much
/// its peak resident memory grew.
#[test]
fn child_measures_memory() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let store = LocalBlobStore::open(Path::new(&dir)).unwrap();
    let Some((before, _)) = rss_kib() else {
        say("GREW unknown");
        return;
    };
    conformance::streams_64_mib(&store);
    let (_, peak) = rss_kib().unwrap();
    say(&format!("GREW {}", peak.saturating_sub(before)));
}

#[test]
fn writing_64_mib_keeps_memory_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_child("child_measures_memory", dir.path());
    let line = wait_for(&mut child, "GREW ");
    child.wait().unwrap();
    let Ok(grew) = line.trim().parse::<u64>() else {
        eprintln!("no /proc/self/status: memory not measured");
        return;
    };
    // A writer holds at most 3 MiB of data (one buffered part, two in
    // flight); the suite's own buffers are 64 KiB. 64 MiB held anywhere
    // would show.
    assert!(
        grew < 16 * 1024,
        "peak memory grew by {grew} KiB for a 64 MiB blob"
    );
    eprintln!("peak resident memory grew by {grew} KiB for a 64 MiB blob");
}

#[test]
fn delete_is_final_after_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_child("child_finishes_then_waits", dir.path());
    wait_for(&mut child, "DONE");
    kill(child);
    let store = LocalBlobStore::open(dir.path()).unwrap();
    let k = key("crash/finished");
    store.delete(&k).unwrap();
    drop(store);
    let store = LocalBlobStore::open(dir.path()).unwrap();
    assert!(matches!(store.size(&k), Err(Error::NotFound { .. })));
    assert_eq!(store.list().unwrap(), vec![]);
}
