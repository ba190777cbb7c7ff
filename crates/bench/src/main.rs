//! `probant-bench journal` (and `vault`, `bag`): Probant's journal measured against this
//! machine's own limits in the same run (fio's fsync rate on the same
//! filesystem, `openssl dgst -sha256` over the same number of bytes), as
//! ratios. Timed assertions do not belong in tests; these figures go to
//! BENCHMARKS.md.
#![forbid(unsafe_code)]

mod bag;
mod vault;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use probant_crypto::{create_key_file, KeyRing, MasterKeySource};
use probant_journal::{
    Actor, ActorKind, Event, Journal, Options, Outcome, Resource, Sealer, Signer,
};

struct Bench {
    dir: PathBuf,
    signer: Arc<dyn Signer>,
    sealer: Arc<dyn Sealer>,
    runs: AtomicU64,
}

impl Bench {
    fn new(dir: &Path) -> Result<Self> {
        let keys = dir.join("keys");
        create_key_file(&keys.join("bench.key"))?;
        std::fs::create_dir_all(dir.join("ring"))?;
        let ring = KeyRing::create(
            &dir.join("ring/keyring.json"),
            "bench",
            &MasterKeySource::KeyFile(keys.join("bench.key")),
        )?;
        let (signer, sealer) = probant_journal::keyring::journal_keys(&ring)?;
        Ok(Self {
            dir: dir.to_owned(),
            signer,
            sealer,
            runs: AtomicU64::new(0),
        })
    }

    fn fresh_journal(&self) -> Result<Journal> {
        let n = self.runs.fetch_add(1, Ordering::SeqCst);
        let dir = self.dir.join(format!("journal-{n}"));
        Ok(Journal::create(
            &dir,
            "bench.probant.example/journal",
            self.signer.clone(),
            self.sealer.clone(),
            Options::default(),
        )?)
    }
}

/// A realistic ~400-byte access entry (a program reading a sensitive record
/// on behalf of a case handler).
fn sample_event(i: u64) -> Event {
    Event {
        action: "record.read".into(),
        outcome: Outcome::Success,
        actor: Actor {
            id: "app-benefits-42".into(),
            kind: ActorKind::Program,
            on_behalf_of: Some("u0123456".into()),
            auth: "mtls".into(),
        },
        resource: Resource {
            record: Some(format!("019a5c2e-7d1f-7a3b-9c4d-{i:012x}")),
            version: Some(1),
            subject: Some(
                "9f2c4e7a1b3d5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4".into(),
            ),
            nature: Some("medical-cert".into()),
            classification: Some("sensitive".into()),
            sha256: None,
        },
        purpose: Some("incapacity claim".into()),
        legal_basis: Some("CSSS/24/044".into()),
        controller: "RIZIV".into(),
        executor: "Benefits".into(),
        place: "Brussels".into(),
        channel: "api".into(),
        malfunction: None,
        details: None,
    }
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub(crate) fn run(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// fio: 4 KiB writes, each followed by fsync, one at a time, on `dir`'s filesystem.
fn fio_fsync_rate(dir: &Path, seconds: u64) -> Result<f64> {
    let file = dir.join("fio.tmp");
    let out = run(Command::new("fio")
        .arg("--name=fsync")
        .arg(format!("--filename={}", file.display()))
        .args([
            "--rw=write",
            "--bs=4k",
            "--size=256m",
            "--ioengine=sync",
            "--fsync=1",
            "--time_based",
        ])
        .arg(format!("--runtime={seconds}"))
        .arg("--output-format=json"))?;
    let _ = std::fs::remove_file(&file);
    let v: serde_json::Value = serde_json::from_str(&out)?;
    v["jobs"][0]["write"]["iops"]
        .as_f64()
        .context("fio output without write iops")
}

/// Closed loop: `threads` appenders each append as fast as acknowledged.
fn throughput(bench: &Bench, threads: usize, seconds: f64) -> Result<f64> {
    let journal = Arc::new(bench.fresh_journal()?);
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (j, stop, count) = (journal.clone(), stop.clone(), count.clone());
            std::thread::spawn(move || {
                let mut i = (t as u64) << 40;
                while !stop.load(Ordering::Relaxed) {
                    j.append(&sample_event(i)).expect("append");
                    count.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.join();
    }
    let rate = count.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    journal.close()?;
    Ok(rate)
}

/// Closed loop with `tasks` async appenders on a 2-thread tokio runtime, as
/// a server's in-flight requests would append.
fn throughput_async(bench: &Bench, tasks: usize, seconds: f64) -> Result<f64> {
    let journal = Arc::new(bench.fresh_journal()?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()?;
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    rt.block_on(async {
        let deadline = start + Duration::from_secs_f64(seconds);
        let handles: Vec<_> = (0..tasks as u64)
            .map(|t| {
                let (j, count) = (journal.clone(), count.clone());
                tokio::spawn(async move {
                    let mut i = t << 40;
                    while Instant::now() < deadline {
                        j.append_async(std::slice::from_ref(&sample_event(i)))
                            .expect("append")
                            .await
                            .expect("durable");
                        count.fetch_add(1, Ordering::Relaxed);
                        i += 1;
                    }
                })
            })
            .collect();
        for h in handles {
            let _ = h.await;
        }
    });
    let rate = count.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    journal.close()?;
    Ok(rate)
}

struct LoadResult {
    achieved: f64,
    p50_ms: f64,
    p99_ms: f64,
    checkpoint_p50_ms: f64,
    checkpoint_p99_ms: f64,
}

/// Open loop: appends scheduled at `rate`/s across `threads`; latency from
/// the scheduled time to the acknowledgement (so queueing counts). A probe
/// measures acknowledgement → signed checkpoint covering the entry.
fn fixed_load(bench: &Bench, rate: f64, threads: usize, seconds: f64) -> Result<LoadResult> {
    let journal = Arc::new(bench.fresh_journal()?);
    let start = Instant::now() + Duration::from_millis(50);
    let total = (rate * seconds) as u64;
    let lat = Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
    let workers: Vec<_> = (0..threads as u64)
        .map(|t| {
            let (j, lat) = (journal.clone(), lat.clone());
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                let mut k = t;
                while k < total {
                    let due = start + Duration::from_secs_f64(k as f64 / rate);
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    j.append(&sample_event(k)).expect("append");
                    mine.push(due.elapsed().as_secs_f64() * 1e3);
                    k += threads as u64;
                }
                lat.lock().unwrap().extend(mine);
            })
        })
        .collect();
    let probe = {
        let j = journal.clone();
        std::thread::spawn(move || {
            let mut delays = Vec::new();
            while start.elapsed() < Duration::from_secs_f64(seconds) || Instant::now() < start {
                let r = j.append(&sample_event(u64::MAX)).expect("append");
                let acked = Instant::now();
                j.wait_for_checkpoint(r.index + 1).expect("checkpoint");
                delays.push(acked.elapsed().as_secs_f64() * 1e3);
                std::thread::sleep(Duration::from_millis(20));
            }
            delays
        })
    };
    for w in workers {
        let _ = w.join();
    }
    let elapsed = (Instant::now() - start).as_secs_f64();
    let mut probe = probe.join().unwrap_or_default();
    journal.close()?;
    let mut lat = Arc::try_unwrap(lat)
        .map(|m| m.into_inner().unwrap())
        .unwrap_or_default();
    lat.sort_by(f64::total_cmp);
    probe.sort_by(f64::total_cmp);
    Ok(LoadResult {
        achieved: lat.len() as f64 / elapsed,
        p50_ms: percentile(&lat, 0.5),
        p99_ms: percentile(&lat, 0.99),
        checkpoint_p50_ms: percentile(&probe, 0.5),
        checkpoint_p99_ms: percentile(&probe, 0.99),
    })
}

/// Builds a journal of `n` entries quickly (large batches from two threads).
fn build_large(bench: &Bench, n: u64) -> Result<(Journal, Vec<u64>)> {
    let journal = Arc::new(bench.fresh_journal()?);
    let next = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (j, next) = (journal.clone(), next.clone());
            std::thread::spawn(move || loop {
                let from = next.fetch_add(4096, Ordering::SeqCst);
                if from >= n {
                    break;
                }
                let events: Vec<_> = (from..(from + 4096).min(n)).map(sample_event).collect();
                j.append_all(&events).expect("append");
            })
        })
        .collect();
    let mut sizes = Vec::new();
    while workers.iter().any(|w| !w.is_finished()) {
        std::thread::sleep(Duration::from_millis(100));
        let s = journal.latest().size;
        if s > 0 && sizes.last() != Some(&s) {
            sizes.push(s);
        }
        eprint!("\r  building: {s}/{n} entries");
    }
    for w in workers {
        let _ = w.join();
    }
    sizes.push(journal.sync()?.size);
    eprintln!();
    let journal = Arc::try_unwrap(journal).map_err(|_| anyhow::anyhow!("journal still shared"))?;
    Ok((journal, sizes))
}

fn time_proofs(journal: &Journal, sizes: &[u64], samples: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    let size = journal.latest().size;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut incl = Vec::with_capacity(samples);
    for _ in 0..samples {
        let i = rnd() % size;
        let t = Instant::now();
        let p = journal.inclusion_proof(i, None)?;
        incl.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(p);
    }
    let mut cons = Vec::with_capacity(samples);
    for _ in 0..samples {
        let old = sizes[(rnd() % sizes.len() as u64) as usize];
        let t = Instant::now();
        let p = journal.consistency_proof(old, None)?;
        cons.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(p);
    }
    incl.sort_by(f64::total_cmp);
    cons.sort_by(f64::total_cmp);
    Ok((incl, cons))
}

/// `openssl dgst -sha256` throughput over a cached file of `bytes` bytes.
pub(crate) fn openssl_sha256_rate(dir: &Path, bytes: u64) -> Result<f64> {
    openssl_sha256_rate_cold(dir, bytes, 0)
}

/// `openssl dgst -sha256` throughput over a file of `bytes` bytes whose
/// first `cold` bytes are not in the page cache (synced, then dropped with
/// GNU dd's `iflag=nocache`): the baseline for reading a vault whose large
/// blobs the store has released from the cache.
pub(crate) fn openssl_sha256_rate_cold(dir: &Path, bytes: u64, cold: u64) -> Result<f64> {
    let file = dir.join("sha-baseline.bin");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&file)?);
        let block: Vec<u8> = (0..1 << 20)
            .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut left = bytes;
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            f.write_all(&block[..n])?;
            left -= n as u64;
        }
    }
    run(Command::new("openssl")
        .arg("dgst")
        .arg("-sha256")
        .arg(&file))?; // warm the page cache
    if cold > 0 {
        run(Command::new("sync").arg(&file))?;
        run(Command::new("dd")
            .arg(format!("if={}", file.display()))
            .args(["iflag=nocache", "count=0", "status=none"]))?;
        // Warm again what is not meant to be cold.
        let warm_from = cold.div_ceil(1 << 20);
        run(Command::new("dd")
            .arg(format!("if={}", file.display()))
            .args(["of=/dev/null", "bs=1M", "status=none"])
            .arg(format!("skip={warm_from}")))?;
    }
    let t = Instant::now();
    run(Command::new("openssl")
        .arg("dgst")
        .arg("-sha256")
        .arg(&file))?;
    let rate = bytes as f64 / t.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&file);
    Ok(rate)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let get = |name: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.into())
    };
    let base = PathBuf::from(get("--dir", "bench-out"));
    // The subcommand may come after options (`scripts/bench.sh` puts `--dir` first).
    let command = args
        .iter()
        .skip(1)
        .find(|a| matches!(a.as_str(), "journal" | "vault" | "bag"))
        .map(String::as_str);
    if command == Some("bag") {
        std::fs::create_dir_all(&base)?;
        return bag::run(
            &base,
            get("--records", "10000").parse()?,
            get("--kib", "100").parse()?,
        );
    }
    if command == Some("vault") {
        std::fs::create_dir_all(&base)?;
        return vault::run(
            &base,
            get("--gib", "1").parse()?,
            get("--small", "4000").parse()?,
        );
    }
    let seconds: f64 = get("--seconds", "5").parse()?;
    let proof_entries: u64 = get("--proof-entries", "10000000").parse()?;
    let phases = get("--phases", "1,16,256,16async,256async,load,proofs");
    let phase = |p: &str| phases.split(',').any(|x| x == p);
    std::fs::create_dir_all(&base)?;
    let tmp = tempfile::tempdir_in(&base)?;
    let bench = Bench::new(tmp.path())?;
    println!("## Journal (`probant-bench journal --seconds {seconds} --proof-entries {proof_entries}`)\n");
    let cpu = run(Command::new("sh")
        .arg("-c")
        .arg("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"))?;
    println!(
        "Machine: {} cores,{} ; filesystem of `{}`.\n",
        std::thread::available_parallelism()?.get(),
        cpu.trim_end(),
        base.display()
    );
    let fio = fio_fsync_rate(tmp.path(), seconds as u64)?;
    println!("| measure | Probant | baseline (same run) | ratio | target |\n|---|---|---|---|---|");
    for threads in [1usize, 16, 256] {
        if !phase(&threads.to_string()) {
            continue;
        }
        let rate = throughput(&bench, threads, seconds)?;
        let (target, ratio) = match threads {
            1 => (
                "≥ 0.8 × fio fsync rate".to_string(),
                format!("{:.2}", rate / fio),
            ),
            256 => (
                "≥ 100,000/s".to_string(),
                format!("{:.2} × fio", rate / fio),
            ),
            _ => ("".to_string(), format!("{:.2} × fio", rate / fio)),
        };
        println!("| durable appends/s, {threads} appender(s), ~400 B entries | {rate:.0} | fio 4 KiB write+fsync: {fio:.0}/s | {ratio} | {target} |");
    }
    for tasks in [16usize, 256] {
        if phase(&format!("{tasks}async")) {
            let rate = throughput_async(&bench, tasks, seconds)?;
            let target = if tasks == 256 { "≥ 100,000/s" } else { "" };
            println!("| durable appends/s, {tasks} async appenders (tokio tasks, 2 threads) | {rate:.0} | fio: {fio:.0}/s | {:.2} × fio | {target} |", rate / fio);
        }
    }
    if phase("load") {
        print_load(&bench, fio, seconds)?;
    }
    if phase("proofs") {
        proofs_and_verify(&bench, tmp.path(), proof_entries)?;
    }
    Ok(())
}

fn print_load(bench: &Bench, fio: f64, seconds: f64) -> Result<()> {
    let load = fixed_load(bench, 20_000.0, 64, seconds)?;
    println!(
        "| append latency at 20,000/s offered (64 appenders, open loop) | p50 {:.2} ms, p99 {:.2} ms (achieved {:.0}/s) | fio fsync p50 ≈ {:.2} ms (1/rate) | | |",
        load.p50_ms,
        load.p99_ms,
        load.achieved,
        1e3 / fio
    );
    println!(
        "| acknowledgement → signed checkpoint, under that load | p50 {:.2} ms, p99 {:.2} ms | | | milliseconds |",
        load.checkpoint_p50_ms, load.checkpoint_p99_ms
    );
    Ok(())
}

fn proofs_and_verify(bench: &Bench, tmp: &Path, proof_entries: u64) -> Result<()> {
    let (journal, sizes) = build_large(bench, proof_entries)?;
    println!("<!-- entry size: {} bytes -->", journal.entry(1)?.len());
    let (incl, cons) = time_proofs(&journal, &sizes, 10_000)?;
    println!("| inclusion proof at {} entries (from tiles, incl. entry decrypt) | p50 {:.3} ms, p99 {:.3} ms | | | p99 ≤ 1 ms |", proof_entries, percentile(&incl, 0.5), percentile(&incl, 0.99));
    println!(
        "| consistency proof at {} entries | p50 {:.3} ms, p99 {:.3} ms | | | p99 ≤ 1 ms |",
        proof_entries,
        percentile(&cons, 0.5),
        percentile(&cons, 0.99)
    );
    let t = Instant::now();
    let report = journal.verify(&mut |_, _| {})?;
    let secs = t.elapsed().as_secs_f64();
    if let Some(p) = report.problem {
        bail!("verify found a problem in the benchmark journal: {p}");
    }
    let ours = report.bytes_hashed as f64 / secs;
    let openssl = openssl_sha256_rate(tmp, report.bytes_hashed)?;
    println!(
        "| `journal verify` of {} entries ({:.0} MB hashed, decrypting every bundle) | {:.0} MB/s ({secs:.1} s) | `openssl dgst -sha256`, same bytes: {:.0} MB/s | {:.2} | ≥ 0.5 |",
        report.size,
        report.bytes_hashed as f64 / 1e6,
        ours / 1e6,
        openssl / 1e6,
        ours / openssl
    );
    journal.close()?;
    Ok(())
}
