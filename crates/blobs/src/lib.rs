//! # probant-blobs — durable, immutable storage for encrypted record content
//!
//! The vault writes each record's content as ciphertext produced by its
//! streaming AEAD (DESIGN "Records and encryption"); this crate stores those
//! bytes under a [`BlobKey`] and gives them back. Blobs are opaque here: the
//! crate never sees plaintext or keys, and never interprets what it stores.
//!
//! What it guarantees, for every backend ([`BlobStore`]):
//! - **immutability**: [`BlobStore::create`] refuses a key that holds a blob,
//!   and the final publish step is create-only, so two writers racing for one
//!   key cannot overwrite each other: one wins, the other gets
//!   [`Error::Exists`];
//! - **atomic visibility**: until [`BlobWriter::finish`] returns, the key
//!   does not exist for readers or [`BlobStore::list`]; a writer dropped, or
//!   a process killed, before `finish` leaves nothing under the key;
//! - **durability**: `finish` returns only once the blob is on stable storage
//!   under its key (local: data and every directory entry fsynced), and
//!   [`BlobStore::delete`] only once the removal is;
//! - **bounded memory**: a writer buffers at most a few MiB
//!   ([`local::PART_SIZE`] × ([`local::MAX_INFLIGHT_PARTS`] + 1)), whatever
//!   the blob's size;
//! - **no path tricks**: a [`BlobKey`] has a closed alphabet, checked at
//!   construction, so no key can name anything outside the store.
//!
//! What it does not do: it does not check the content (integrity is the
//! AEAD's, checked by the vault and by `probant verify`); it keeps no index
//! (the catalog does; [`BlobStore::list`] walks the backend, for orphan
//! checks); it does not encrypt (the content arrives encrypted).
//!
//! ## The local backend and object_store's durability
//!
//! [`LocalBlobStore`] is built on `object_store` 0.14.2's
//! `LocalFileSystem::new_with_prefix`. What its source
//! (`object_store-0.14.2/src/local.rs`) does about durability:
//! - **fsync is opt-in and off by default**: both constructors set
//!   `fsync: false` (lines 274, 293); `with_fsync(true)` (line 322) turns it
//!   on. Without it nothing is ever fsynced: a write is a staging file
//!   `<dest>#<n>` (`new_staged_upload`/`staged_upload_path`, lines
//!   1063–1087) renamed into place, atomic for readers but not durable.
//! - With `with_fsync(true)`, multipart `complete` (line 1144) calls
//!   `finish_staged_rename` (lines 985–994): `sync_and_close` `sync_all`s the
//!   staging file (line 1024), then `rename` (line 954) renames it and
//!   fsyncs the destination's parent (and the source's if different);
//!   missing parents are created by `create_parent_dirs` (line 905), which
//!   fsyncs each new directory up to the first pre-existing ancestor — a
//!   check-then-create, so a directory created concurrently by another
//!   writer can be seen as "existing" before its creator fsynced its entry.
//! - Directory fsync is a no-op off Unix (`fsync_dir`, lines 1048–1058).
//! - **Standalone deletes are never fsynced**, even with `with_fsync` (the
//!   comment at line 553; `delete_location`, line 773, syncs only when called
//!   from a create-mode rename).
//! - **Multipart has no create-only mode**: `PutMultipartOptions`
//!   (`src/lib.rs` line 2016) has no `PutMode`, and `complete` publishes with
//!   a plain `rename`, which replaces an existing file. Create-only exists
//!   for `put` (`PutMode::Create`, a hard link) and for
//!   `copy`/`rename_if_not_exists` (`CopyMode::Create`, line 678, a
//!   `hard_link` that fails with `AlreadyExists`; `RenameTargetMode::Create`,
//!   line 748, is that link followed by `delete_location` of the source).
//! - Staging files `…#<digits>` are hidden from `list` (`is_valid_file_path`,
//!   line 378, applied at line 859); a dropped upload removes its staging file
//!   (`impl Drop for LocalUpload`, line 1183), but one left by a killed
//!   process stays on disk.
//!
//! What this crate adds (see [`local`]):
//! - `with_fsync(true)` on the store (the content is synced under its
//!   staging name), and on top of it, before `finish` returns, an fsync of
//!   the published blob's parent directory (it holds the new name) and, the
//!   first time this process publishes below them, of every ancestor up to
//!   the store root (not only those object_store saw created: that closes the
//!   concurrent directory-creation window above);
//! - a blob that fits in one part (1 MiB) is published by one create-only
//!   `put` (object_store writes `<key>#<n>`, syncs it, hard-links it under the
//!   key — failing if the key exists — and syncs the key's directory): two
//!   syncs, which is what bounds small-record ingest;
//! - create-only publishing for larger streamed writes: the upload goes to a staging
//!   object `.partial/<unique>` and is published with `rename_if_not_exists`
//!   (hard link + unlink), after an early existence check in `create`. There
//!   is no race window: the hard link is the atomic create-only step;
//! - an fsync of the parent directory after every delete;
//! - a blob written through the multipart path (over 1 MiB) has its
//!   writeback started every 8 MiB while it is written, the pages written
//!   back by then dropped, and the rest released once it is published
//!   (`posix_fadvise(DONTNEED)` on its staging file, which object_store
//!   names `<staging>#1`, then on the blob; Linux; advice only). Otherwise
//!   the whole blob reached the disk only in the final fsync, with the CPU
//!   idle, and each blob took its whole size in fresh page-cache memory
//!   (on this project's virtual machines, fresh memory costs a host fault
//!   per page: a 1 GiB ingest spent 0.3 to 2.5 s in the kernel's copy);
//! - [`LocalBlobStore::purge_staging`] for what a killed writer leaves in
//!   `.partial/` (never visible as a blob; see its caveats).
//!
//! ## Blocking, and the runtime
//!
//! The trait is synchronous; object_store is async. Each store owns a small
//! tokio runtime (one worker, at most sixteen blocking threads) and calls run
//! their future *on that runtime*, the caller waiting on a channel, so the
//! methods are safe to call from any thread, including from inside another
//! tokio runtime — but they block: async code should call them through
//! `spawn_blocking`. Two shortcuts keep the common paths off the runtime:
//! reads ([`BlobStore::open`], [`BlobStore::size`] and the existence check of
//! [`BlobStore::create`]) open or stat the key's file directly (what
//! object_store's `get` and `head` do on the local file system), and a blob
//! that fits in one part is published by running object_store's `put` on the
//! calling thread when that thread is not inside a tokio runtime (object_store
//! then does its file work inline). Each hop to the runtime cost two context
//! switches, and its one worker, competing for two cores with many ingest
//! threads, delayed every completion.
#![forbid(unsafe_code)]

#[cfg(feature = "conformance")]
pub mod conformance;
mod durable;
mod error;
mod key;
pub mod local;
mod runtime;

pub use error::Error;
pub use key::{BlobKey, MAX_KEY_LEN};
pub use local::LocalBlobStore;

/// A blob being written. Write the bytes through [`std::io::Write`], then
/// call [`finish`](BlobWriter::finish).
///
/// Durability: `finish` returns only when the blob is on stable storage under
/// its key (data and directory entry synced, or the backend's acknowledged
/// write). Until `finish` the key does not exist for readers. Dropping a
/// writer without `finish` leaves nothing under the key.
///
/// `write` buffers and uploads in parts; `flush` makes nothing durable. After
/// a failed `write` the writer is spent: later calls, and `finish`, fail
/// with [`Error::WriterFailed`], and nothing is stored.
pub trait BlobWriter: std::io::Write + Send {
    /// Publishes the blob under its key, durably, and returns its size.
    /// [`Error::Exists`] if another writer published the key first (that
    /// blob is left unchanged and this one is discarded). After any other
    /// error the blob may or may not be under the key (say an fsync failed
    /// after publication): a caller cleaning up a failed ingest deletes the
    /// key and ignores [`Error::NotFound`].
    fn finish(self: Box<Self>) -> Result<BlobInfo, Error>;
}

/// A published blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobInfo {
    /// Its key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A store of immutable blobs under validated keys.
pub trait BlobStore: Send + Sync {
    /// Starts writing a new blob. Refuses a key that exists (blobs are
    /// immutable): [`Error::Exists`]. Nothing is visible under the key until
    /// [`BlobWriter::finish`].
    fn create(&self, key: &BlobKey) -> Result<Box<dyn BlobWriter>, Error>;
    /// Opens a blob for reading. [`Error::NotFound`] if absent.
    fn open(&self, key: &BlobKey) -> Result<Box<dyn std::io::Read + Send>, Error>;
    /// A blob's size in bytes. [`Error::NotFound`] if absent.
    fn size(&self, key: &BlobKey) -> Result<u64, Error>;
    /// When the blob was written, by the store's clock: after a crash, what
    /// the interrupted process stored and never recorded is told from older
    /// orphans by it. [`Error::NotFound`] if absent.
    fn modified(&self, key: &BlobKey) -> Result<std::time::SystemTime, Error>;
    /// Durable deletion (for destruction and for cleaning up a failed
    /// ingest): returns once the removal is on stable storage.
    /// [`Error::NotFound`] is an error.
    fn delete(&self, key: &BlobKey) -> Result<(), Error>;
    /// Every key, sorted, for verification (orphans). Unfinished writes and
    /// anything that is not a valid key are not listed.
    fn list(&self) -> Result<Vec<BlobKey>, Error>;
    /// Where the data lives, for reports (AR-18 data location), e.g.
    /// `local filesystem /x/blobs`.
    fn describe(&self) -> String;
}
