//! The store's own tokio runtime, driving object_store's async API from the
//! synchronous [`BlobStore`](crate::BlobStore) methods.
use std::future::Future;

use crate::Error;

/// A one-worker runtime. Work is *spawned* on it and the caller waits on a
/// channel, so no `block_on` ever runs on the caller's thread: callable from
/// any thread, including a thread of another runtime (where it blocks).
pub(crate) struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    pub(crate) fn new() -> Result<Self, Error> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            // object_store runs every file operation (write, fsync, link) as
            // a blocking task: enough of them lets concurrent writers' syncs
            // overlap (small records are bound by sync latency, not CPU).
            .max_blocking_threads(16)
            .thread_name("probant-blobs")
            .build()
            .map(|rt| Runtime(Some(rt)))
            .map_err(|e| Error::Runtime {
                detail: format!("cannot start: {e}"),
            })
    }

    /// Runs `fut` on the calling thread when that thread is not inside a
    /// tokio runtime: object_store's local operations then do their file
    /// work inline (`maybe_spawn_blocking` spawns only inside a runtime),
    /// with no hop to the store's threads — whose one worker, competing
    /// for two cores with the caller's many threads, delayed every
    /// completion. Inside a runtime, it goes through [`Self::run`] as
    /// before (never blocking a runtime's thread on a nested executor).
    pub(crate) fn run_here<T, F>(&self, fut: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, Error>> + Send + 'static,
    {
        // Inside tokio, or inside another `futures` executor (where a nested
        // `block_on` would panic): through the runtime.
        let in_executor = futures::executor::enter().is_err();
        if in_executor || tokio::runtime::Handle::try_current().is_ok() {
            return self.run(fut);
        }
        futures::executor::block_on(fut)
    }

    /// Runs `fut` on the runtime and waits for its result.
    pub(crate) fn run<T, F>(&self, fut: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, Error>> + Send + 'static,
    {
        let rt = self.0.as_ref().ok_or_else(|| Error::Runtime {
            detail: "shut down".into(),
        })?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        rt.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().map_err(|_| Error::Runtime {
            detail: "a blob store task panicked or was cancelled".into(),
        })?
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Dropping a runtime inside an async context panics; this does not.
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}
