//! The local backend's streaming writer.
use std::io;
use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};

use super::{obj_path, Inner, MAX_INFLIGHT_PARTS, PART_SIZE};
use crate::{BlobInfo, BlobKey, BlobWriter, Error};

/// Buffers one part, hands full parts to object_store's multipart upload on
/// the store's runtime (waiting while [`MAX_INFLIGHT_PARTS`] are in flight),
/// and publishes create-only in `finish`.
pub(super) struct LocalWriter {
    inner: Arc<Inner>,
    key: BlobKey,
    staging: ObjPath,
    /// The multipart upload, started when a first full part ships.
    upload: Option<WriteMultipart>,
    /// Set once finished, or after a failure.
    spent: bool,
    buf: Vec<u8>,
    size: u64,
    failed: Option<String>,
    /// Early writeback of what is already written (see [`Self::start_writeback`]).
    writeback: Writeback,
}

/// How much of a large blob's staging file has been handed to the kernel
/// for writeback, and the file it was opened as.
#[derive(Default)]
struct Writeback {
    file: Option<std::fs::File>,
    started: u64,
}

/// Writeback is started every this many bytes of a large blob.
const WRITEBACK_EVERY: u64 = 8 << 20;
/// How far back each writeback call also drops pages (written back by then).
const RELEASE_BEHIND: u64 = 32 << 20;

impl LocalWriter {
    pub(super) fn new(inner: Arc<Inner>, key: BlobKey, staging: ObjPath) -> Self {
        LocalWriter {
            inner,
            key,
            staging,
            upload: None,
            spent: false,
            buf: Vec::with_capacity(PART_SIZE),
            size: 0,
            failed: None,
            writeback: Writeback::default(),
        }
    }

    /// Starts the kernel writing back the parts of a large blob that are
    /// surely written (all but those possibly in flight), without waiting.
    /// Otherwise nothing reaches the disk before `finish`'s fsync (the
    /// machine's dirty-page thresholds are far above one blob), which then
    /// writes the whole blob while the CPU idles: a third of a 1 GiB ingest.
    /// `POSIX_FADV_DONTNEED` starts writeback of dirty pages in the range
    /// (and drops the clean ones). Advice only: if the staging file cannot
    /// be opened (object_store names it `<staging>#1`), nothing is lost.
    #[cfg(target_os = "linux")]
    fn start_writeback(&mut self) {
        let shipped = self.size - self.buf.len() as u64;
        let safe = shipped.saturating_sub((MAX_INFLIGHT_PARTS * PART_SIZE) as u64);
        if safe < self.writeback.started + WRITEBACK_EVERY {
            return;
        }
        if self.writeback.file.is_none() {
            let path = self.inner.root.join(format!("{}#1", self.staging));
            self.writeback.file = std::fs::File::open(path).ok();
        }
        // The range also reaches back over what earlier calls sent to the
        // disk: those pages are clean by now and are dropped, so the blob
        // holds a few tens of MiB of page cache instead of its whole size,
        // and new pages come from recently freed memory.
        let from = self.writeback.started.saturating_sub(RELEASE_BEHIND);
        if let (Some(file), Some(len)) =
            (&self.writeback.file, std::num::NonZeroU64::new(safe - from))
        {
            let _ = rustix::fs::fadvise(file, from, Some(len), rustix::fs::Advice::DontNeed);
        }
        self.writeback.started = safe;
    }

    #[cfg(not(target_os = "linux"))]
    fn start_writeback(&mut self) {}

    fn spent(&self) -> Error {
        Error::WriterFailed {
            key: self.key.to_string(),
            reason: self
                .failed
                .clone()
                .unwrap_or_else(|| "the writer was already finished".into()),
        }
    }

    /// The upload, started on first use.
    fn take_upload(&mut self) -> Result<WriteMultipart, Error> {
        if self.spent {
            return Err(self.spent());
        }
        if let Some(up) = self.upload.take() {
            return Ok(up);
        }
        let (fs, s, k) = (
            self.inner.fs.clone(),
            self.staging.clone(),
            self.key.to_string(),
        );
        self.inner.rt.run(async move {
            let up = fs
                .put_multipart(&s)
                .await
                .map_err(Error::backend("start upload", &k))?;
            Ok(WriteMultipart::new_with_chunk_size(up, PART_SIZE))
        })
    }

    /// Hands the full buffer to the upload, after waiting for room.
    fn ship(&mut self) -> Result<(), Error> {
        let mut up = self.take_upload()?;
        let part = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(PART_SIZE),
        ));
        let (up, res) = self.inner.rt.run(async move {
            let res = up.wait_for_capacity(MAX_INFLIGHT_PARTS).await;
            if res.is_ok() {
                up.put(part);
            }
            Ok((up, res))
        })?;
        match res {
            Ok(()) => {
                self.upload = Some(up);
                self.start_writeback();
                Ok(())
            }
            Err(e) => {
                let err = Error::backend("write part", self.key.as_str())(e);
                self.failed = Some(err.to_string());
                self.spent = true;
                let _ = self.inner.rt.run(async move {
                    let _ = up.abort().await;
                    Ok(())
                });
                Err(err)
            }
        }
    }

    /// A blob that never outgrew one part: one create-only put (object_store
    /// syncs the file, hard-links it under the key — failing if the key
    /// exists — and syncs the key's directory).
    fn publish_small(&mut self) -> Result<(), Error> {
        self.spent = true;
        let payload = object_store::PutPayload::from(Bytes::from(std::mem::take(&mut self.buf)));
        let dest = obj_path(self.key.as_str())?;
        let (fs, k) = (self.inner.fs.clone(), self.key.to_string());
        self.inner.rt.run_here(async move {
            let opts = object_store::PutOptions {
                mode: object_store::PutMode::Create,
                ..Default::default()
            };
            fs.put_opts(&dest, payload, opts)
                .await
                .map(|_| ())
                .map_err(Error::backend("publish", &k))
        })
    }

    /// Completes the upload into the staging object, then publishes it under
    /// the key, create-only.
    fn publish(&mut self) -> Result<(), Error> {
        let mut up = self.take_upload()?;
        self.spent = true;
        let last = Bytes::from(std::mem::take(&mut self.buf));
        let dest = obj_path(self.key.as_str())?;
        let (fs, staging, k) = (
            self.inner.fs.clone(),
            self.staging.clone(),
            self.key.to_string(),
        );
        self.inner.rt.run(async move {
            if !last.is_empty() {
                up.put(last);
            }
            // On failure WriteMultipart::finish aborts the upload itself.
            up.finish()
                .await
                .map_err(Error::backend("complete upload", &k))?;
            // Hard link to the key (fails if it exists), then unlink.
            if let Err(e) = fs.rename_if_not_exists(&staging, &dest).await {
                let _ = fs.delete(&staging).await;
                return Err(Error::backend("publish", &k)(e));
            }
            Ok(())
        })
    }
}

impl io::Write for LocalWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.spent {
            return Err(io::Error::other(self.spent()));
        }
        let n = data.len().min(PART_SIZE - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        self.size += n as u64;
        if self.buf.len() == PART_SIZE {
            self.ship().map_err(io::Error::other)?;
        }
        Ok(n)
    }

    /// Does nothing: data becomes durable only in `finish`.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BlobWriter for LocalWriter {
    fn finish(mut self: Box<Self>) -> Result<BlobInfo, Error> {
        let small = self.upload.is_none() && !self.spent;
        if small {
            self.publish_small()?;
        } else {
            self.publish()?;
        }
        // A small put already synced the key's directory.
        self.inner.sync_published(&self.key, small)?;
        if !small {
            self.inner.release_cached_pages(&self.key);
        }
        Ok(BlobInfo {
            key: self.key.to_string(),
            size: self.size,
        })
    }
}

impl Drop for LocalWriter {
    /// Abandons an unfinished upload and waits until its staging file is
    /// removed, so nothing of it remains (not even under `.partial/`).
    fn drop(&mut self) {
        if let Some(up) = self.upload.take() {
            let _ = self.inner.rt.run(async move {
                let _ = up.abort().await;
                Ok(())
            });
        }
    }
}
