//! # probant-journal — the verifiable, crash-safe access journal
//!
//! Every processing of a record and every access to personal data becomes
//! one entry (DESIGN contract 3) in an append-only RFC 9162 Merkle log, laid
//! out on disk exactly as C2SP tlog-tiles (contract 2), with C2SP signed
//! checkpoints (N-5.9.5, N-5.11.7, AR-3.5, AR-15).
//!
//! What it guarantees:
//! - an append returns only once its entry is durable (group commit through a
//!   write-ahead log, one `fdatasync` per batch); after any crash the entry is
//!   at the index that was returned, and a signed checkpoint covers it at the
//!   latest when the journal is reopened;
//! - entries never carry a time earlier than their predecessor's; a clock that
//!   steps back is recorded as a malfunction;
//! - entry bundles and the write-ahead log are sealed at rest; hash tiles and
//!   checkpoints are in clear and hold no personal data;
//! - one writer process per journal (an advisory lock); a failed write stops
//!   all appends (fail closed) until the journal is reopened and recovered.
//!
//! The Merkle work is pure ([`integrate`]); crypto (sealing, signing) and the
//! clock come in through traits, so this crate links no crypto library.
//! Entries are stamped in UTC; [`civil`] gives the Belgian civil date that
//! day-based rules (validity, AR-17's day of recording) are decided on;
//! [`fsutil`] its durable file writes (the vault's recovery notes use them
//! too).
#![forbid(unsafe_code)]

mod check;
pub mod civil;
pub mod entry;
mod error;
pub mod fsutil;
mod history;
pub mod integrate;
mod journal;
#[cfg(feature = "keyring")]
pub mod keyring;
mod proofs;
mod prune;
pub mod store;
mod wal;

pub use check::{VerifyProgress, VerifyReport};
pub use entry::{Actor, ActorKind, Event, Outcome, Resource, RetentionCategory};
pub use error::Error;
pub use history::Published;
pub use journal::{Appending, Journal, Options, Receipt, Recovery, Retention};
pub use prune::PruneReport;

/// The journal's signer and sealer, as `Journal::create`/`open` take them.
pub type JournalKeys = (std::sync::Arc<dyn Signer>, std::sync::Arc<dyn Sealer>);

/// Seals data at rest (AEAD). Implemented over the key ring by the caller.
pub trait Sealer: Send + Sync {
    /// Encrypts and authenticates `plaintext`, bound to `aad`.
    fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8>;
    /// Opens sealed bytes; `None` if the key, the bytes or `aad` are wrong.
    fn open(&self, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>>;
}

/// Signs checkpoints with the log's Ed25519 key.
pub trait Signer: Send + Sync {
    /// The Ed25519 public key.
    fn public_key(&self) -> [u8; 32];
    /// An Ed25519 signature of `msg`.
    fn sign(&self, msg: &[u8]) -> [u8; 64];
}

/// Wall-clock time, injectable for tests.
pub trait Clock: Send + Sync {
    /// Microseconds since the Unix epoch, UTC.
    fn now_micros(&self) -> i64;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_micros(&self) -> i64 {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
    }
}
