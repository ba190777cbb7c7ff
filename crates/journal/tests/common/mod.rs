//! Test fixture: a real key ring (key file outside the journal directory)
//! and helpers to make events.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use probant_crypto::{create_key_file, KeyRing, MasterKeySource};
use probant_journal::{
    Actor, ActorKind, Clock, Event, Journal, Options, Outcome, Resource, Sealer, Signer,
};

pub struct Keys {
    pub signer: Arc<dyn Signer>,
    pub sealer: Arc<dyn Sealer>,
}

/// A fresh key ring in `base/keys` (never inside the journal directory).
pub fn keys(base: &Path, name: &str) -> Keys {
    let key_file = base.join("keys").join(format!("{name}.key"));
    create_key_file(&key_file).unwrap();
    let home = base.join(format!("{name}-ring"));
    std::fs::create_dir_all(&home).unwrap();
    let ring = KeyRing::create(
        &home.join("keyring.json"),
        name,
        &MasterKeySource::KeyFile(key_file),
    )
    .unwrap();
    let (signer, sealer) = probant_journal::keyring::journal_keys(&ring).unwrap();
    Keys { signer, sealer }
}

pub const ORIGIN: &str = "probant.test/journal";

pub struct Fixture {
    pub tmp: tempfile::TempDir,
    pub keys: Keys,
}

impl Fixture {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let keys = keys(tmp.path(), "home");
        Self { tmp, keys }
    }
    pub fn dir(&self) -> PathBuf {
        self.tmp.path().join("journal")
    }
    pub fn create(&self) -> Journal {
        self.create_with(Options::default())
    }
    pub fn create_with(&self, o: Options) -> Journal {
        Journal::create(
            &self.dir(),
            ORIGIN,
            self.keys.signer.clone(),
            self.keys.sealer.clone(),
            o,
        )
        .unwrap()
    }
    pub fn open(&self) -> Result<Journal, probant_journal::Error> {
        self.open_with(Options::default())
    }
    pub fn open_with(&self, o: Options) -> Result<Journal, probant_journal::Error> {
        Journal::open(
            &self.dir(),
            self.keys.signer.clone(),
            self.keys.sealer.clone(),
            o,
        )
    }
}

pub fn event(action: &str, purpose: &str) -> Event {
    Event {
        action: action.into(),
        outcome: Outcome::Success,
        actor: Actor {
            id: "alice".into(),
            kind: ActorKind::Person,
            on_behalf_of: None,
            auth: "test".into(),
        },
        resource: Resource {
            record: Some("rec-1".into()),
            ..Default::default()
        },
        purpose: Some(purpose.into()),
        legal_basis: Some("own-records".into()),
        controller: "Institution".into(),
        executor: "IT".into(),
        place: "Brussels".into(),
        channel: "test".into(),
        malfunction: None,
        details: None,
    }
}

/// A clock the test moves by hand.
pub struct ManualClock(pub AtomicI64);
impl Clock for ManualClock {
    fn now_micros(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
impl ManualClock {
    pub fn at(micros: i64) -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(micros)))
    }
    pub fn set(&self, micros: i64) {
        self.0.store(micros, Ordering::SeqCst)
    }
}

/// Opens the key ring a [`Fixture`] created under `base` (for a child process).
pub fn open_keys(base: &Path, name: &str) -> Keys {
    let key_file = base.join("keys").join(format!("{name}.key"));
    let ring = KeyRing::open(
        &base.join(format!("{name}-ring/keyring.json")),
        name,
        &MasterKeySource::KeyFile(key_file),
    )
    .unwrap();
    let (signer, sealer) = probant_journal::keyring::journal_keys(&ring).unwrap();
    Keys { signer, sealer }
}

/// Hashes every file under `dir` (path and content), to prove an operation
/// that failed changed nothing.
pub fn tree_digest(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() != "lock" {
                out.push((
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// A small deterministic generator (xorshift64*), seeded per run.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
