//! The local-filesystem backend: object_store's `LocalFileSystem`, made
//! durable and create-only (see the crate root for what object_store does
//! and what is added here).
//!
//! Layout under the root: each blob is the file at its key's path (`a/b` is
//! `<root>/a/b`), nothing else; unfinished uploads live in `<root>/.partial/`
//! (a name no [`BlobKey`] can take) as `<unique>#<n>` while streaming and
//! `<unique>` between upload completion and publication.
//!
//! Writing a blob: `create` checks the key is free, then starts an
//! object_store multipart upload to `.partial/<unique>` in parts of
//! [`PART_SIZE`], at most [`MAX_INFLIGHT_PARTS`] in flight. `finish` uploads
//! the last part, completes the upload (object_store, with fsync on: staging
//! file synced, renamed, directory synced), publishes it with
//! `rename_if_not_exists` (a hard link to the key's path, which fails if the
//! key exists, then an unlink of the staging name, each directory synced),
//! then syncs the published file and every directory from its parent up to
//! the root, and the staging directory, itself.
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::durable::sync_dir;
use crate::runtime::Runtime;
use crate::{BlobKey, BlobStore, BlobWriter, Error};

mod writer;

/// The size of each uploaded part, and of the writer's own buffer.
pub const PART_SIZE: usize = 1 << 20;
/// At most this many parts are being written at once; a writer holds at most
/// `PART_SIZE × (MAX_INFLIGHT_PARTS + 1)` bytes of blob data.
pub const MAX_INFLIGHT_PARTS: usize = 2;
/// The staging directory under the root (not a valid key: it has a `.`).
pub const STAGING_DIR: &str = ".partial";

/// A blob store in a directory of the local filesystem. Clones share the
/// same store (and runtime).
#[derive(Clone)]
pub struct LocalBlobStore {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// Canonical root directory.
    root: PathBuf,
    fs: Arc<LocalFileSystem>,
    rt: Runtime,
    /// Directories this process has fsynced since it created or first used
    /// them: their own entry in their parent is durable, so publishing a
    /// blob below them needs no sync above them.
    durable_dirs: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
}

impl LocalBlobStore {
    /// Opens the store rooted at `root`, which must be an existing directory
    /// (the vault creates it). Symlinks in `root` are resolved once, here.
    pub fn open(root: &Path) -> Result<Self, Error> {
        let root = std::fs::canonicalize(root).map_err(Error::io("open blob store", root))?;
        if !root.is_dir() {
            return Err(Error::Io {
                op: "open blob store",
                path: root,
                source: std::io::Error::other("not a directory"),
            });
        }
        let staging = root.join(STAGING_DIR);
        if !staging.is_dir() {
            std::fs::create_dir(&staging)
                .map_err(Error::io("create staging directory", &staging))?;
            sync_dir(&root)?;
        }
        let fs = LocalFileSystem::new_with_prefix(&root)
            .map_err(Error::backend("open blob store", ""))?
            .with_fsync(true);
        Ok(LocalBlobStore {
            inner: Arc::new(Inner {
                root,
                fs: Arc::new(fs),
                rt: Runtime::new()?,
                durable_dirs: Default::default(),
            }),
        })
    }

    /// The store's root directory (canonical).
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Where the blob under `key` is, or would be, on disk.
    pub fn path_of(&self, key: &BlobKey) -> PathBuf {
        self.inner.root.join(key.as_str())
    }

    /// Removes unfinished uploads older than `older_than` from `.partial/`:
    /// what a process killed while writing leaves behind (never visible as a
    /// blob), and the extra link a kill between publication and unlink can
    /// leave (which keeps a deleted blob's data on disk until purged).
    /// Returns how many files were removed.
    ///
    /// A writer's staging files are as old as its `create` call: pass an age
    /// longer than any upload can take, or [`Duration::ZERO`] when no other
    /// writer (in any process) uses the store, e.g. at start-up of a
    /// single-process home.
    ///
    /// It also removes, anywhere in the store, the `<key>#<n>` files that
    /// object_store's single-part `put` stages beside the key and that a
    /// kill can leave: this walks every directory (O(number of blobs)).
    pub fn purge_staging(&self, older_than: Duration) -> Result<usize, Error> {
        let mut removed =
            self.purge_dir(&self.inner.root.join(STAGING_DIR), older_than, &|_| true)?;
        let mut stack = vec![self.inner.root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).map_err(Error::io("list", &dir))? {
                let entry = entry.map_err(Error::io("list", &dir))?;
                if entry
                    .file_type()
                    .map_err(Error::io("stat", entry.path()))?
                    .is_dir()
                    && entry.file_name() != STAGING_DIR
                {
                    stack.push(entry.path());
                }
            }
            removed += self.purge_dir(&dir, older_than, &is_put_staging)?;
        }
        Ok(removed)
    }

    /// Removes the files of `dir` older than `older_than` that `select` picks.
    fn purge_dir(
        &self,
        dir: &Path,
        older_than: Duration,
        select: &dyn Fn(&str) -> bool,
    ) -> Result<usize, Error> {
        let dir = dir.to_path_buf();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Error::io("list staging", &dir)(e)),
        };
        let now = SystemTime::now();
        let mut removed = 0;
        for entry in entries {
            let entry = entry.map_err(Error::io("list staging", &dir))?;
            if !select(&entry.file_name().to_string_lossy()) {
                continue;
            }
            let path = entry.path();
            let meta = entry.metadata().map_err(Error::io("stat", &path))?;
            let modified = meta.modified().map_err(Error::io("stat", &path))?;
            let age = now.duration_since(modified).unwrap_or_default();
            if meta.is_file() && age >= older_than {
                match std::fs::remove_file(&path) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io("remove staging file", &path)(e)),
                }
            }
        }
        if removed > 0 {
            sync_dir(&dir)?;
        }
        Ok(removed)
    }
}

impl LocalBlobStore {
    /// The metadata of the blob under `key`; [`Error::NotFound`] unless a
    /// regular file is there. Reads go straight to the file system, not
    /// through object_store's runtime: `LocalFileSystem::get` and `head`
    /// open and stat the same path, and the hop to the runtime's threads
    /// (two context switches per call) dominated small reads and exports.
    fn stat(&self, key: &BlobKey) -> Result<std::fs::Metadata, Error> {
        let path = self.path_of(key);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => Ok(meta),
            Ok(_) => Err(Error::NotFound {
                key: key.to_string(),
            }),
            Err(e) => Err(absent_or(e, key, "stat", &path)),
        }
    }
}

/// A missing file, or a key below a blob (`a/b` where `a` is a file: "not a
/// directory"), is an absent key; anything else is an I/O error.
fn absent_or(e: std::io::Error, key: &BlobKey, op: &'static str, path: &Path) -> Error {
    match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => Error::NotFound {
            key: key.to_string(),
        },
        _ => Error::io(op, path)(e),
    }
}

/// object_store's staging name for a single-part put: `<name>#<digits>`.
fn is_put_staging(name: &str) -> bool {
    name.rsplit_once('#').is_some_and(|(base, n)| {
        !base.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
    })
}

/// An object_store path for a key (always valid: the key alphabet is a
/// subset of object_store's).
fn obj_path(key: &str) -> Result<ObjPath, Error> {
    ObjPath::parse(key).map_err(|e| Error::Backend {
        op: "map key to object path",
        source: Box::new(e),
    })
}

/// A staging name no other writer, in this process or another, can pick.
fn staging_path() -> Result<ObjPath, Error> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    obj_path(&format!("{STAGING_DIR}/{}-{nanos}-{n}", std::process::id()))
}

impl BlobStore for LocalBlobStore {
    fn create(&self, key: &BlobKey) -> Result<Box<dyn BlobWriter>, Error> {
        let staging = staging_path()?;
        // Early refusal; the create-only publish in `finish` is what makes
        // immutability hold against concurrent writers.
        match self.stat(key) {
            Ok(_) => {
                return Err(Error::Exists {
                    key: key.to_string(),
                })
            }
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        // The multipart upload starts only if the blob outgrows one part;
        // a smaller blob is published by one create-only put.
        Ok(Box::new(writer::LocalWriter::new(
            self.inner.clone(),
            key.clone(),
            staging,
        )))
    }

    fn open(&self, key: &BlobKey) -> Result<Box<dyn std::io::Read + Send>, Error> {
        let path = self.path_of(key);
        let file = std::fs::File::open(&path).map_err(|e| absent_or(e, key, "open", &path))?;
        let meta = file.metadata().map_err(Error::io("open", &path))?;
        if !meta.is_file() {
            return Err(Error::NotFound {
                key: key.to_string(),
            });
        }
        Ok(Box::new(file))
    }

    fn size(&self, key: &BlobKey) -> Result<u64, Error> {
        self.stat(key).map(|meta| meta.len())
    }

    fn modified(&self, key: &BlobKey) -> Result<SystemTime, Error> {
        self.stat(key)?
            .modified()
            .map_err(Error::io("stat", self.path_of(key)))
    }

    fn delete(&self, key: &BlobKey) -> Result<(), Error> {
        // A directory (the prefix of other keys) is not a blob: object_store
        // would fail on it with an I/O error rather than "not found".
        self.stat(key)?;
        let p = obj_path(key.as_str())?;
        let fs = self.inner.fs.clone();
        let k = key.to_string();
        self.inner
            .rt
            .run(async move { fs.delete(&p).await.map_err(Error::backend("delete", &k)) })?;
        // object_store never fsyncs a standalone delete (local.rs:553).
        let path = self.path_of(key);
        sync_dir(path.parent().unwrap_or(&self.inner.root))
    }

    fn list(&self) -> Result<Vec<BlobKey>, Error> {
        let fs = self.inner.fs.clone();
        let metas = self.inner.rt.run(async move {
            fs.list(None)
                .try_collect::<Vec<_>>()
                .await
                .map_err(Error::backend("list", ""))
        })?;
        let mut keys: Vec<BlobKey> = metas
            .iter()
            .filter_map(|m| BlobKey::new(m.location.as_ref()).ok())
            .collect();
        keys.sort();
        Ok(keys)
    }

    fn describe(&self) -> String {
        format!("local filesystem {}", self.inner.root.display())
    }
}

impl Inner {
    /// Asks the kernel to drop a durable blob's pages from the page cache.
    /// A vault keeps what it writes: without this, every large ingest grows
    /// the page cache by the blob's size with ciphertext nobody reads soon,
    /// and once free memory is spent each new page costs reclaim (on this
    /// project's virtual machines the third 1 GiB ingest in a row ran at a
    /// third of the first one's speed, all of it in the kernel's copy into
    /// the page cache). Advice only: a failure changes nothing.
    fn release_cached_pages(&self, key: &BlobKey) {
        #[cfg(target_os = "linux")]
        if let Ok(file) = std::fs::File::open(self.root.join(key.as_str())) {
            let _ = rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed);
        }
        #[cfg(not(target_os = "linux"))]
        let _ = key;
    }

    /// After publication: this crate's own syncs, independent of
    /// object_store's `with_fsync` (see the crate root).
    ///
    /// The content was synced under its staging name (object_store, with
    /// `with_fsync(true)`), and publication is a hard link, so the blob's
    /// parent directory is synced every time: it holds the new name. Its
    /// ancestors need a sync only when one of them may have just been
    /// created (object_store syncs only the directories it saw as new, which
    /// misses one created concurrently by another thread), so each is synced
    /// once per process, the first time a blob is published below it. (One
    /// writer process per home is enforced by the journal's lock.)
    fn sync_published(&self, key: &BlobKey, parent_synced: bool) -> Result<(), Error> {
        let path = self.root.join(key.as_str());
        let parent = path.parent().unwrap_or(&self.root);
        if !parent_synced {
            sync_dir(parent)?;
        }
        let mut known = self.durable_dirs.lock().unwrap_or_else(|e| e.into_inner());
        for dir in parent
            .ancestors()
            .skip(1)
            .take_while(|d| d.starts_with(&self.root))
        {
            if known.contains(dir) {
                break;
            }
            sync_dir(dir)?;
            known.insert(dir.to_path_buf());
        }
        Ok(())
    }
}
