//! The journal's life cycle: create, open (with recovery), append (group
//! commit), read, prove, close.
use std::fs::{self, File, OpenOptions, TryLockError};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;

use probant_verify::{
    checkpoint::Checkpoint,
    hash::empty_root,
    note::is_valid_key_name,
    proof_json::{encode_hash, ConsistencyProof, InclusionProof},
    tile::{self, TILE_WIDTH},
    VerifierKey,
};

use crate::entry::{format_time, EntryHead, Event, Prepared, Stamper};
use crate::fsutil::{read_optional, sync_dir, write_durably};
use crate::history::{History, Published};
use crate::integrate::{Artefact, TreeEdge};
use crate::proofs::{self, TileHashes};
use crate::store::TileStore;
use crate::wal::{self, WalWriter};
use crate::{Clock, Error, Sealer, Signer, SystemClock};

/// On-disk format of the journal directory that this build writes and reads.
pub const FORMAT: u32 = 1;

/// Most events one `append_all` may carry (their indexes are contiguous).
pub const MAX_EVENTS_PER_CALL: usize = 65_536;

/// Acknowledged entries allowed to wait for integration into tiles. Beyond
/// this the WAL writer waits (backpressure), so memory stays bounded when
/// appends outrun tile writing (a fast disk, a slow integration round).
const MAX_INTEGRATION_LAG: u64 = 1 << 18;

/// A WAL record carries whole append groups up to about this many bytes
/// (its length field is 32 bits).
const MAX_RECORD_BYTES: usize = 64 << 20;

/// Minimum retention (N-5.11.7e); settings below these are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Years to keep functional and transactional entries (≥ 10).
    pub functional_years: u32,
    /// Years to keep technical and infrastructure entries (≥ 2).
    pub technical_years: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            functional_years: 10,
            technical_years: 2,
        }
    }
}

impl Retention {
    /// Refuses settings below the minimum norms.
    pub fn validate(&self) -> Result<(), Error> {
        if self.functional_years < 10 || self.technical_years < 2 {
            return Err(Error::Retention {
                detail: format!(
                    "functional entries must be kept at least 10 years and technical ones 2 (N-5.11.7e); configured {} and {}",
                    self.functional_years, self.technical_years
                ),
            });
        }
        Ok(())
    }
}

/// How a journal runs.
#[derive(Clone)]
pub struct Options {
    /// Retention of entries.
    pub retention: Retention,
    /// A write-ahead log segment is closed after this many bytes.
    pub wal_segment_bytes: u64,
    /// The clock that stamps entries.
    pub clock: Arc<dyn Clock>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            retention: Retention::default(),
            wal_segment_bytes: 64 << 20,
            clock: Arc::new(SystemClock),
        }
    }
}

/// What an acknowledged append returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The entry's index (sequence number) in the log.
    pub index: u64,
    /// Its recorded time (RFC 3339 UTC).
    pub time: String,
}

/// Completion of one append, awaited by a blocked thread or an async task.
#[derive(Default)]
struct Waiter {
    state: Mutex<WaiterState>,
    cv: Condvar,
}

#[derive(Default)]
struct WaiterState {
    result: Option<Result<(), String>>,
    waker: Option<Waker>,
}

impl Waiter {
    fn complete(&self, r: Result<(), String>) {
        let waker = {
            let mut g = lock(&self.state);
            g.result = Some(r);
            g.waker.take()
        };
        match waker {
            Some(w) => w.wake(),
            None => self.cv.notify_all(),
        }
    }
    fn wait(&self) -> Result<(), String> {
        let mut g = lock(&self.state);
        loop {
            if let Some(r) = g.result.take() {
                return r;
            }
            g = self.cv.wait(g).unwrap_or_else(|e| e.into_inner());
        }
    }
    fn poll(&self, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        let mut g = lock(&self.state);
        match g.result.take() {
            Some(r) => Poll::Ready(r),
            None => {
                g.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// An append in flight: resolves once its entries are durable. The entries
/// have their indexes already; dropping this future does not withdraw them.
pub struct Appending {
    waiter: Arc<Waiter>,
    receipts: Vec<Receipt>,
}

impl Future for Appending {
    type Output = Result<Vec<Receipt>, Error>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.waiter.poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => Poll::Ready(Ok(std::mem::take(&mut self.receipts))),
            Poll::Ready(Err(reason)) => Poll::Ready(Err(Error::Failed { reason })),
        }
    }
}

struct Seq {
    next: u64,
    stamper: Stamper,
    pending: std::collections::VecDeque<Vec<u8>>,
    /// One per submitted group, in order, with the number of entries it covers.
    waiters: std::collections::VecDeque<(Arc<Waiter>, usize)>,
    failed: Option<String>,
    closing: bool,
}

struct Shared {
    seq: Mutex<Seq>,
    work: Condvar,
    published: Mutex<Published>,
    published_cv: Condvar,
}

impl Shared {
    fn fail(&self, reason: String) {
        let waiters = {
            let mut s = lock(&self.seq);
            s.failed.get_or_insert(reason.clone());
            s.pending.clear();
            std::mem::take(&mut s.waiters)
        };
        for (w, _) in waiters {
            w.complete(Err(reason.clone()));
        }
        self.work.notify_all();
        self.published_cv.notify_all();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking appender cannot leave the state half-updated in a way that
    // matters (every update is a single push or swap), so poisoning is ignored.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Integration: turns durable WAL batches into tiles and signed checkpoints.
struct Integrator {
    dir: PathBuf,
    edge: TreeEdge,
    store: TileStore,
    history: History,
    signer: Arc<dyn Signer>,
    vkey: VerifierKey,
}

impl Integrator {
    fn integrate_and_publish(&mut self, entries: &[Vec<u8>]) -> Result<Published, Error> {
        let artefacts: Vec<Artefact> = self.edge.integrate(entries)?;
        self.store.write(&artefacts)?;
        let published = self.sign(self.edge.size(), self.edge.root());
        self.history.append(&published)?;
        write_durably(
            &self.dir.join("checkpoint"),
            published.note(&self.vkey).as_bytes(),
        )?;
        self.store.remove_partials_of(&artefacts);
        self.remove_integrated_wal(published.size)?;
        Ok(published)
    }

    fn sign(&self, size: u64, root: probant_verify::Hash) -> Published {
        let text = Checkpoint {
            origin: self.vkey.name().to_owned(),
            size,
            root,
            extensions: vec![],
        }
        .to_text();
        Published {
            size,
            root,
            signature: self.signer.sign(text.as_bytes()),
        }
    }

    /// Deletes WAL segments whose every entry is below `size` (the segment
    /// after them starts at or below it).
    fn remove_integrated_wal(&self, size: u64) -> Result<(), Error> {
        let wal_dir = self.dir.join("wal");
        let segments = wal::list_segments(&wal_dir)?;
        let mut removed = false;
        for pair in segments.windows(2) {
            if pair[1].0 <= size {
                fs::remove_file(&pair[0].1).map_err(Error::io("remove", &pair[0].1))?;
                removed = true;
            }
        }
        if removed {
            sync_dir(&wal_dir)?;
        }
        Ok(())
    }
}

/// An open journal. Appends may come from any number of threads.
pub struct Journal {
    dir: PathBuf,
    vkey: VerifierKey,
    store: TileStore,
    shared: Arc<Shared>,
    clock: Arc<dyn Clock>,
    retention: Retention,
    threads: Mutex<Vec<JoinHandle<()>>>,
    recovery: Recovery,
    _lock: File,
}

/// What opening the journal had to do to recover from an earlier stop.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Partial tiles found torn or missing and rebuilt (paths).
    pub repaired_tiles: Vec<String>,
    /// Acknowledged entries integrated from the write-ahead log (the
    /// previous process stopped before publishing them).
    pub wal_entries: u64,
}

impl Recovery {
    /// A malfunction note for the journal (AR-3.5), if anything was recovered.
    pub fn malfunction(&self) -> Option<String> {
        let mut notes = Vec::new();
        if !self.repaired_tiles.is_empty() {
            notes.push(format!(
                "torn or missing tiles rebuilt from durable data: {}",
                self.repaired_tiles.join(", ")
            ));
        }
        if self.wal_entries > 0 {
            notes.push(format!(
                "{} acknowledged entries integrated from the write-ahead log after an unclean stop",
                self.wal_entries
            ));
        }
        (!notes.is_empty()).then(|| notes.join("; "))
    }
}

impl Journal {
    /// Creates a new journal in `dir` (absent or empty) for the log `origin`,
    /// publishing the signed checkpoint of the empty tree.
    pub fn create(
        dir: &Path,
        origin: &str,
        signer: Arc<dyn Signer>,
        sealer: Arc<dyn Sealer>,
        options: Options,
    ) -> Result<Journal, Error> {
        if !is_valid_key_name(origin) {
            return Err(Error::InvalidEvent {
                detail: format!("log name {origin:?} must be non-empty, without spaces or '+'"),
            });
        }
        options.retention.validate()?;
        if dir.exists()
            && fs::read_dir(dir)
                .map_err(Error::io("list", dir))?
                .next()
                .is_some()
        {
            return Err(Error::Corrupt {
                what: format!("{} exists and is not empty", dir.display()),
            });
        }
        fs::create_dir_all(dir.join("wal")).map_err(Error::io("create directory", dir))?;
        let lock_file = acquire_lock(dir)?;
        let vkey = VerifierKey::new(origin, &signer.public_key())?;
        write_durably(&dir.join("format"), format!("{FORMAT}\n").as_bytes())?;
        write_durably(&dir.join("vkey"), format!("{vkey}\n").as_bytes())?;
        let mut integrator = Integrator {
            dir: dir.to_owned(),
            edge: TreeEdge::new(),
            store: TileStore::new(dir, sealer.clone()),
            history: History::create(&dir.join("checkpoints"))?,
            signer: signer.clone(),
            vkey,
        };
        let empty = integrator.sign(0, empty_root());
        integrator.history.append(&empty)?;
        write_durably(
            &dir.join("checkpoint"),
            empty.note(&integrator.vkey).as_bytes(),
        )?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent)?;
        }
        drop(integrator);
        drop(lock_file);
        Self::open(dir, signer, sealer, options)
    }

    /// Opens a journal, recovering from any crash: torn right-edge tiles are
    /// rebuilt, acknowledged entries still only in the write-ahead log are
    /// integrated, and a signed checkpoint covers them before this returns.
    pub fn open(
        dir: &Path,
        signer: Arc<dyn Signer>,
        sealer: Arc<dyn Sealer>,
        options: Options,
    ) -> Result<Journal, Error> {
        options.retention.validate()?;
        check_format(dir)?;
        let lock_file = acquire_lock(dir)?;
        let vkey = read_vkey(dir)?;
        if vkey.public_key() != signer.public_key() {
            return Err(Error::ForeignKey);
        }
        let store = TileStore::new(dir, sealer.clone());
        let mut history = History::open(&dir.join("checkpoints"))?;
        let last = history.last()?.ok_or_else(|| Error::Corrupt {
            what: "checkpoints: no checkpoint published".into(),
        })?;
        last.verify(&vkey)?;
        reconcile_checkpoint_file(dir, &vkey, &mut history, &last)?;
        let (edge, repaired_tiles) = crate::check::load_edge(&store, &last)?;
        let mut integrator = Integrator {
            dir: dir.to_owned(),
            edge,
            store: store.clone(),
            history,
            signer,
            vkey: vkey.clone(),
        };
        let recovered = recover_wal(dir, &*sealer, last.size)?;
        let recovery = Recovery {
            repaired_tiles,
            wal_entries: recovered.len() as u64,
        };
        let published = if recovered.is_empty() {
            last
        } else {
            integrator.integrate_and_publish(&recovered)?
        };
        for (_, path) in wal::list_segments(&dir.join("wal"))? {
            fs::remove_file(&path).map_err(Error::io("remove", &path))?;
        }
        let writer = WalWriter::create(&dir.join("wal"), published.size)?;
        let last_time = last_entry_time(&store, &integrator.edge)?;
        let shared = Arc::new(Shared {
            seq: Mutex::new(Seq {
                next: published.size,
                stamper: Stamper::after(last_time),
                pending: Default::default(),
                waiters: Default::default(),
                failed: None,
                closing: false,
            }),
            work: Condvar::new(),
            published: Mutex::new(published),
            published_cv: Condvar::new(),
        });
        let (tx, rx) = mpsc::channel();
        let threads = vec![
            spawn("probant-journal-wal", {
                let (shared, sealer) = (shared.clone(), sealer.clone());
                let (wal_dir, seg) = (dir.join("wal"), options.wal_segment_bytes);
                move || writer_loop(&shared, writer, &wal_dir, seg, &*sealer, tx)
            })?,
            spawn("probant-journal-tiles", {
                let shared = shared.clone();
                move || integrator_loop(&shared, integrator, rx)
            })?,
        ];
        Ok(Journal {
            dir: dir.to_owned(),
            vkey,
            store,
            shared,
            clock: options.clock,
            retention: options.retention,
            threads: Mutex::new(threads),
            recovery,
            _lock: lock_file,
        })
    }

    /// What opening had to recover (journal it as a malfunction, AR-3.5).
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// The log's verifier key.
    pub fn verifier_key(&self) -> &VerifierKey {
        &self.vkey
    }

    /// The journal directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends one event; returns once it is durable.
    pub fn append(&self, event: &Event) -> Result<Receipt, Error> {
        Ok(self.append_all(std::slice::from_ref(event))?.remove(0))
    }

    /// Appends events as one contiguous run of indexes; returns once all are
    /// durable. Either all get an index or none does.
    pub fn append_all(&self, events: &[Event]) -> Result<Vec<Receipt>, Error> {
        let pending = self.submit(events)?;
        pending
            .waiter
            .wait()
            .map_err(|reason| Error::Failed { reason })?;
        Ok(pending.receipts)
    }

    /// Like [`Journal::append_all`] for async callers: sequences the events
    /// now and returns a future that resolves once they are durable. Nothing
    /// in it blocks a runtime thread.
    pub fn append_async(&self, events: &[Event]) -> Result<Appending, Error> {
        self.submit(events)
    }

    fn submit(&self, events: &[Event]) -> Result<Appending, Error> {
        if events.is_empty() || events.len() > MAX_EVENTS_PER_CALL {
            return Err(Error::InvalidEvent {
                detail: format!(
                    "{} events in one call; 1 to {MAX_EVENTS_PER_CALL} are accepted",
                    events.len()
                ),
            });
        }
        let prepared = events
            .iter()
            .map(Prepared::new)
            .collect::<Result<Vec<_>, _>>()?;
        let waiter = Arc::new(Waiter::default());
        let receipts = {
            let mut s = lock(&self.shared.seq);
            if let Some(reason) = &s.failed {
                return Err(Error::Failed {
                    reason: reason.clone(),
                });
            }
            if s.closing {
                return Err(Error::Failed {
                    reason: "the journal is closing".into(),
                });
            }
            let mut receipts = Vec::with_capacity(prepared.len());
            for p in &prepared {
                let (time, malfunction) = s.stamper.stamp(self.clock.now_micros());
                let time = format_time(time);
                let bytes = p.stamp(&time, malfunction.as_deref());
                s.pending.push_back(bytes);
                receipts.push(Receipt {
                    index: s.next,
                    time,
                });
                s.next += 1;
            }
            s.waiters.push_back((waiter.clone(), prepared.len()));
            receipts
        };
        self.shared.work.notify_one();
        Ok(Appending { waiter, receipts })
    }

    /// The latest published checkpoint.
    pub fn latest(&self) -> Published {
        lock(&self.shared.published).clone()
    }

    /// Waits until a checkpoint of at least `size` is published.
    pub fn wait_for_checkpoint(&self, size: u64) -> Result<Published, Error> {
        let mut p = lock(&self.shared.published);
        while p.size < size {
            if let Some(reason) = lock(&self.shared.seq).failed.clone() {
                return Err(Error::Failed { reason });
            }
            p = self
                .shared
                .published_cv
                .wait(p)
                .unwrap_or_else(|e| e.into_inner());
        }
        Ok(p.clone())
    }

    /// Waits until everything appended so far is covered by a checkpoint.
    pub fn sync(&self) -> Result<Published, Error> {
        let next = lock(&self.shared.seq).next;
        self.wait_for_checkpoint(next)
    }

    pub(crate) fn store(&self) -> &TileStore {
        &self.store
    }

    pub(crate) fn history(&self) -> Result<History, Error> {
        History::open_read(&self.dir.join("checkpoints"))
    }

    pub(crate) fn retention(&self) -> Retention {
        self.retention
    }

    pub(crate) fn now_micros(&self) -> i64 {
        self.clock.now_micros()
    }

    fn published_at(&self, size: Option<u64>) -> Result<Published, Error> {
        let latest = self.latest();
        match size {
            None => Ok(latest),
            Some(s) if s > latest.size => Err(Error::OutOfRange {
                detail: format!("size {s} is beyond the latest checkpoint ({})", latest.size),
            }),
            Some(s) => self
                .history()?
                .find(s)?
                .ok_or(Error::NoCheckpointAtSize { size: s }),
        }
    }

    /// Calls `f(index, entry)` for every entry with `from ≤ index < to`
    /// (`to` defaults to the latest checkpoint's size).
    pub fn read_entries(
        &self,
        from: u64,
        to: Option<u64>,
        mut f: impl FnMut(u64, &[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let size = self.latest().size;
        let to = to.unwrap_or(size);
        if from > to || to > size {
            return Err(Error::OutOfRange {
                detail: format!("entries {from}..{to} are not within 0..{size}"),
            });
        }
        let mut index = from;
        while index < to {
            let bundle = index / TILE_WIDTH;
            let width = (size - bundle * TILE_WIDTH).min(TILE_WIDTH);
            let entries = self
                .store
                .read_bundle(bundle, width)?
                .ok_or(Error::Pruned { bundle })?;
            let end = ((bundle + 1) * TILE_WIDTH).min(to);
            for i in index..end {
                f(i, &entries[(i - bundle * TILE_WIDTH) as usize])?;
            }
            index = end;
        }
        Ok(())
    }

    /// The entry at `index`.
    pub fn entry(&self, index: u64) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.read_entries(index, Some(index + 1), |_, e| {
            out = e.to_vec();
            Ok(())
        })?;
        Ok(out)
    }

    /// Inclusion proof (contract 5) of entry `index` in the published tree of
    /// `size` (default: the latest).
    pub fn inclusion_proof(&self, index: u64, size: Option<u64>) -> Result<InclusionProof, Error> {
        let p = self.published_at(size)?;
        let mut src = TileHashes::new(&self.store, p.size);
        let path = proofs::inclusion(&mut src, index, p.size)?;
        let entry = self.entry(index)?;
        let entry = String::from_utf8(entry).map_err(|_| Error::Corrupt {
            what: format!("entry {index} is not UTF-8"),
        })?;
        let proof = InclusionProof {
            origin: self.vkey.name().to_owned(),
            index,
            size: p.size,
            leaf_hash: encode_hash(&probant_verify::leaf_hash(entry.as_bytes())),
            entry,
            inclusion: path.iter().map(encode_hash).collect(),
            checkpoint: p.note(&self.vkey),
        };
        self.checked(proof.verify(&self.vkey).map(|_| ()), p.size)?;
        Ok(proof)
    }

    /// Inclusion proofs of many entries in the one published tree of `size`
    /// (default: the latest), in the order of `indexes`: what
    /// [`Journal::inclusion_proof`] gives for each, at a fraction of the
    /// cost (an export proves thousands of entries to one checkpoint). The
    /// checkpoint's signature is checked once, each entry bundle is
    /// decrypted once, tiles are read once per call, and every path is
    /// checked against the signed root before it leaves. Memory: the tiles the proofs touch (a few per index at most)
    /// and one bundle.
    pub fn inclusion_proofs(
        &self,
        indexes: &[u64],
        size: Option<u64>,
    ) -> Result<Vec<InclusionProof>, Error> {
        let p = self.published_at(size)?;
        let note = p.note(&self.vkey);
        self.checked(
            Checkpoint::verify(note.as_bytes(), &self.vkey).map(|_| ()),
            p.size,
        )?;
        let mut src = TileHashes::new(&self.store, p.size);
        let mut bundle: Option<(u64, Vec<Vec<u8>>)> = None;
        // In index order, so that each bundle is decrypted once.
        let mut order: Vec<usize> = (0..indexes.len()).collect();
        order.sort_by_key(|&i| indexes[i]);
        let mut out: Vec<Option<InclusionProof>> = vec![None; indexes.len()];
        for position in order {
            let index = indexes[position];
            let path = proofs::inclusion(&mut src, index, p.size)?;
            let entry = self.entry_cached(&mut bundle, index, p.size)?;
            let leaf = probant_verify::leaf_hash(entry.as_bytes());
            self.checked(
                probant_verify::proof::verify_inclusion(index, p.size, &leaf, &path, &p.root),
                p.size,
            )?;
            out[position] = Some(InclusionProof {
                origin: self.vkey.name().to_owned(),
                index,
                size: p.size,
                leaf_hash: encode_hash(&leaf),
                entry,
                inclusion: path.iter().map(encode_hash).collect(),
                checkpoint: note.clone(),
            });
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// Entry `index` of the tree of `size`, reading its bundle unless it is
    /// the one in `cache`.
    fn entry_cached(
        &self,
        cache: &mut Option<(u64, Vec<Vec<u8>>)>,
        index: u64,
        size: u64,
    ) -> Result<String, Error> {
        let number = index / TILE_WIDTH;
        if cache.as_ref().map(|b| b.0) != Some(number) {
            let width = (size - number * TILE_WIDTH).min(TILE_WIDTH);
            let entries = self
                .store
                .read_bundle(number, width)?
                .ok_or(Error::Pruned { bundle: number })?;
            *cache = Some((number, entries));
        }
        let offset = (index - number * TILE_WIDTH) as usize;
        let entry = cache
            .as_ref()
            .and_then(|(_, entries)| entries.get(offset).cloned())
            .ok_or_else(|| Error::Corrupt {
                what: format!("entry {index} is missing from its bundle"),
            })?;
        String::from_utf8(entry).map_err(|_| Error::Corrupt {
            what: format!("entry {index} is not UTF-8"),
        })
    }

    /// Consistency proof (contract 5) between two published sizes.
    pub fn consistency_proof(&self, old: u64, new: Option<u64>) -> Result<ConsistencyProof, Error> {
        let new = self.published_at(new)?;
        let old = self.published_at(Some(old))?;
        let mut src = TileHashes::new(&self.store, new.size);
        let path = proofs::consistency(&mut src, old.size, new.size)?;
        let proof = ConsistencyProof {
            origin: self.vkey.name().to_owned(),
            old_size: old.size,
            new_size: new.size,
            consistency: path.iter().map(encode_hash).collect(),
            old_checkpoint: old.note(&self.vkey),
            new_checkpoint: new.note(&self.vkey),
        };
        self.checked(proof.verify(&self.vkey).map(|_| ()), new.size)?;
        Ok(proof)
    }

    /// A proof leaves only if it checks against the signed checkpoint.
    fn checked(&self, r: Result<(), probant_verify::Error>, size: u64) -> Result<(), Error> {
        r.map_err(|e| Error::Corrupt {
            what: format!("the stored tiles do not prove against the signed checkpoint of size {size} ({e}); run `probant journal verify`"),
        })
    }

    /// Stops accepting appends, makes everything durable and published, and
    /// waits for the background threads.
    pub fn close(&self) -> Result<(), Error> {
        lock(&self.shared.seq).closing = true;
        self.shared.work.notify_all();
        for t in lock(&self.threads).drain(..) {
            let _ = t.join();
        }
        match lock(&self.shared.seq).failed.clone() {
            Some(reason) => Err(Error::Failed { reason }),
            None => Ok(()),
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, Error> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map_err(Error::io("spawn thread", name))
}

fn writer_loop(
    shared: &Shared,
    mut wal: WalWriter,
    wal_dir: &Path,
    segment_bytes: u64,
    sealer: &dyn Sealer,
    tx: Sender<(u64, Vec<Vec<u8>>)>,
) {
    loop {
        let (first, entries, waiters) = {
            let mut s = lock(&shared.seq);
            while s.pending.is_empty() && !s.closing && s.failed.is_none() {
                s = shared.work.wait(s).unwrap_or_else(|e| e.into_inner());
            }
            if s.pending.is_empty() || s.failed.is_some() {
                return;
            }
            let first = s.next - s.pending.len() as u64;
            take_batch(&mut s, first)
        };
        let written = wal::encode_record(sealer, first, &entries).and_then(|r| wal.append(&r));
        if let Err(e) = written {
            for (w, _) in &waiters {
                w.complete(Err(e.to_string()));
            }
            shared.fail(e.to_string());
            return;
        }
        let next = first + entries.len() as u64;
        let _ = tx.send((first, entries));
        wait_for_integration(shared, next);
        for (w, _) in waiters {
            w.complete(Ok(()));
        }
        if wal.len > segment_bytes {
            match WalWriter::create(wal_dir, next) {
                Ok(w) => wal = w,
                Err(e) => return shared.fail(e.to_string()),
            }
        }
    }
}

/// Blocks the WAL writer while integration lags more than
/// `MAX_INTEGRATION_LAG` entries behind what it has written (or until the
/// journal fails).
fn wait_for_integration(shared: &Shared, written: u64) {
    let mut p = lock(&shared.published);
    while written.saturating_sub(p.size) > MAX_INTEGRATION_LAG && lock(&shared.seq).failed.is_none()
    {
        p = shared
            .published_cv
            .wait_timeout(p, std::time::Duration::from_millis(100))
            .map(|(g, _)| g)
            .unwrap_or_else(|e| e.into_inner().0);
    }
}

/// Takes whole append groups from the front of the queue, up to
/// `MAX_RECORD_BYTES` (at least one group).
type Batch = (u64, Vec<Vec<u8>>, Vec<(Arc<Waiter>, usize)>);

fn take_batch(s: &mut Seq, first: u64) -> Batch {
    let (mut entries, mut waiters, mut bytes) = (Vec::new(), Vec::new(), 0usize);
    while let Some(&(_, count)) = s.waiters.front() {
        let group: usize = s.pending.iter().take(count).map(|e| e.len() + 2).sum();
        if !waiters.is_empty() && bytes + group > MAX_RECORD_BYTES {
            break;
        }
        bytes += group;
        entries.extend(s.pending.drain(..count));
        waiters.extend(s.waiters.pop_front());
    }
    (first, entries, waiters)
}

fn integrator_loop(shared: &Shared, mut integrator: Integrator, rx: Receiver<(u64, Vec<Vec<u8>>)>) {
    while let Ok((_, mut entries)) = rx.recv() {
        while entries.len() < 65_536 {
            match rx.try_recv() {
                Ok((_, more)) => entries.extend(more),
                Err(_) => break,
            }
        }
        match integrator.integrate_and_publish(&entries) {
            Ok(p) => {
                *lock(&shared.published) = p;
                shared.published_cv.notify_all();
            }
            Err(e) => return shared.fail(e.to_string()),
        }
    }
}

fn acquire_lock(dir: &Path) -> Result<File, Error> {
    let path = dir.join("lock");
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(Error::io("open", &path))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(TryLockError::WouldBlock) => Err(Error::Locked {
            path: dir.to_owned(),
        }),
        Err(TryLockError::Error(e)) => Err(Error::io("lock", &path)(e)),
    }
}

fn check_format(dir: &Path) -> Result<(), Error> {
    let path = dir.join("format");
    let text = read_optional(&path)?.ok_or_else(|| Error::Corrupt {
        what: format!("{} is not a journal (no format file)", dir.display()),
    })?;
    let found: u32 = String::from_utf8_lossy(&text)
        .trim()
        .parse()
        .map_err(|_| Error::Corrupt {
            what: "journal format file is unreadable".into(),
        })?;
    if found > FORMAT {
        return Err(Error::UnsupportedFormat {
            found,
            supported: FORMAT,
        });
    }
    Ok(())
}

/// Reads `<dir>/vkey`.
pub(crate) fn read_vkey(dir: &Path) -> Result<VerifierKey, Error> {
    let path = dir.join("vkey");
    let text = read_optional(&path)?.ok_or_else(|| Error::Corrupt {
        what: "journal/vkey is missing".into(),
    })?;
    Ok(VerifierKey::parse(&String::from_utf8_lossy(&text))?)
}

/// The `checkpoint` file may lag the history by one crash window; it must
/// never be ahead of it, and it must verify.
fn reconcile_checkpoint_file(
    dir: &Path,
    vkey: &VerifierKey,
    history: &mut History,
    last: &Published,
) -> Result<(), Error> {
    let path = dir.join("checkpoint");
    if let Some(bytes) = read_optional(&path)? {
        let cp = Checkpoint::verify(&bytes, vkey).map_err(|e| Error::Corrupt {
            what: format!("journal/checkpoint does not verify: {e}"),
        })?;
        let known = history.find(cp.size)?;
        if known.map(|k| k.root) != Some(cp.root) {
            return Err(Error::Corrupt {
                what: format!(
                    "journal/checkpoint (size {}) is not in the checkpoint history",
                    cp.size
                ),
            });
        }
        if cp.size == last.size {
            return Ok(());
        }
    }
    write_durably(&path, last.note(vkey).as_bytes())
}

/// Acknowledged entries at or after `size` that only the WAL holds.
fn recover_wal(dir: &Path, sealer: &dyn Sealer, size: u64) -> Result<Vec<Vec<u8>>, Error> {
    let mut expected = size;
    let mut out = Vec::new();
    for (_, path) in wal::list_segments(&dir.join("wal"))? {
        let bytes = fs::read(&path).map_err(Error::io("read", &path))?;
        let recovered = wal::decode_file(sealer, &bytes)?;
        for (first, entries) in recovered.records {
            let end = first + entries.len() as u64;
            if end <= expected {
                continue;
            }
            if first > expected {
                return Err(Error::Corrupt {
                    what: format!("write-ahead log lacks entries {expected}..{first}"),
                });
            }
            out.extend(entries.into_iter().skip((expected - first) as usize));
            expected = end;
        }
    }
    Ok(out)
}

fn last_entry_time(store: &TileStore, edge: &TreeEdge) -> Result<i64, Error> {
    let last = match edge.partial_bundle().last() {
        Some(e) => Some(e.clone()),
        None if edge.size() > 0 => {
            let b = (edge.size() - 1) / TILE_WIDTH;
            store.read_bundle(b, TILE_WIDTH)?.and_then(|mut v| v.pop())
        }
        None => None,
    };
    Ok(match last {
        Some(e) => EntryHead::parse(&e)?.time_micros,
        None => 0,
    })
}

/// For `check`: the tile index helper re-exported.
pub(crate) fn bundle_width(size: u64, bundle: u64) -> u64 {
    tile::tile_width_at(size, 0, bundle).unwrap_or(0)
}
