//! The plaintext's SHA-256, computed beside the encryption. Small streams
//! are hashed inline; once a stream passes 1 MiB the hash moves to a helper
//! thread fed 256 KiB chunks, so hashing and encryption use two cores (each
//! runs at about the same speed, so this nearly doubles large ingests).
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

use aws_lc_rs::digest;
use zeroize::Zeroizing;

const THREAD_AFTER: u64 = 1 << 20;
const CHUNK: usize = 256 << 10;

type Chunk = Zeroizing<Vec<u8>>;

pub(super) enum Sha256Stream {
    Inline {
        ctx: digest::Context,
        seen: u64,
    },
    Threaded {
        pending: Chunk,
        tx: SyncSender<Chunk>,
        handle: JoinHandle<Option<[u8; 32]>>,
    },
}

impl Sha256Stream {
    pub(super) fn new() -> Self {
        Sha256Stream::Inline {
            ctx: digest::Context::new(&digest::SHA256),
            seen: 0,
        }
    }

    pub(super) fn update(&mut self, data: &[u8]) {
        match self {
            Sha256Stream::Inline { ctx, seen } => {
                ctx.update(data);
                *seen += data.len() as u64;
                if *seen >= THREAD_AFTER {
                    self.go_threaded();
                }
            }
            Sha256Stream::Threaded { pending, tx, .. } => {
                pending.extend_from_slice(data);
                if pending.len() >= CHUNK {
                    let full = std::mem::replace(
                        pending,
                        Zeroizing::new(Vec::with_capacity(CHUNK + data.len())),
                    );
                    // A send fails only if the thread died; finish() then reports it.
                    let _ = tx.send(full);
                }
            }
        }
    }

    /// Moves the running hash onto a helper thread. The context is handed
    /// over only once the thread exists: if none can be started, hashing
    /// simply stays inline.
    fn go_threaded(&mut self) {
        let (tx, rx) = sync_channel::<Chunk>(4);
        let (ctx_tx, ctx_rx) = sync_channel::<digest::Context>(1);
        let spawned = std::thread::Builder::new()
            .name("probant-sha256".into())
            .spawn(move || {
                let mut ctx = ctx_rx.recv().ok()?;
                for chunk in rx {
                    ctx.update(&chunk);
                }
                let mut out = [0u8; 32];
                out.copy_from_slice(ctx.finish().as_ref());
                Some(out)
            });
        let Ok(handle) = spawned else { return };
        let threaded = Sha256Stream::Threaded {
            pending: Zeroizing::new(Vec::with_capacity(CHUNK * 2)),
            tx,
            handle,
        };
        if let Sha256Stream::Inline { ctx, .. } = std::mem::replace(self, threaded) {
            let _ = ctx_tx.send(ctx);
        }
    }

    /// The digest; `None` if the helper thread died (a bug: callers treat it as an I/O error).
    pub(super) fn finish(self) -> Option<[u8; 32]> {
        match self {
            Sha256Stream::Inline { ctx, .. } => {
                let mut out = [0u8; 32];
                out.copy_from_slice(ctx.finish().as_ref());
                Some(out)
            }
            Sha256Stream::Threaded {
                pending,
                tx,
                handle,
            } => {
                if !pending.is_empty() {
                    tx.send(pending).ok()?;
                }
                drop(tx);
                handle.join().ok().flatten()
            }
        }
    }
}
