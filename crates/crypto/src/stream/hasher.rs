//! The plaintext's SHA-256, computed beside the encryption. Small streams
//! are hashed inline; once a stream passes 1 MiB the hash moves to a helper
//! thread fed 256 KiB chunks, so hashing and encryption use two cores (each
//! runs at about the same speed, so this nearly doubles large ingests).
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use aws_lc_rs::digest;
use zeroize::Zeroizing;

const THREAD_AFTER: u64 = 1 << 20;
const CHUNK: usize = 256 << 10;
/// A chunk's capacity: room for one more write after it reaches [`CHUNK`]
/// is never needed (a full chunk ships at once), and a chunk never grows,
/// so no reallocation leaves plaintext behind in freed memory.
const CAPACITY: usize = 2 * CHUNK;
/// Chunks on their way to the helper, and back from it for reuse: the
/// helper returns each hashed chunk, so a stream of any length cycles
/// through a handful of buffers instead of allocating (and zeroizing) one
/// per 256 KiB.
const IN_FLIGHT: usize = 4;

type Chunk = Zeroizing<Vec<u8>>;

pub(super) enum Sha256Stream {
    Inline {
        ctx: digest::Context,
        seen: u64,
    },
    Threaded {
        pending: Chunk,
        tx: SyncSender<Chunk>,
        recycled: Receiver<Chunk>,
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
            Sha256Stream::Threaded {
                pending,
                tx,
                recycled,
                ..
            } => {
                let mut rest = data;
                while !rest.is_empty() {
                    let n = (pending.capacity() - pending.len()).min(rest.len());
                    pending.extend_from_slice(&rest[..n]);
                    rest = &rest[n..];
                    if pending.len() >= CHUNK {
                        let empty = match recycled.try_recv() {
                            Ok(mut used) => {
                                used.clear();
                                used
                            }
                            Err(_) => Zeroizing::new(Vec::with_capacity(CAPACITY)),
                        };
                        // A send fails only if the thread died; finish() then reports it.
                        let _ = tx.send(std::mem::replace(pending, empty));
                    }
                }
            }
        }
    }

    /// Moves the running hash onto a helper thread. The context is handed
    /// over only once the thread exists: if none can be started, hashing
    /// simply stays inline.
    fn go_threaded(&mut self) {
        let (tx, rx) = sync_channel::<Chunk>(IN_FLIGHT);
        let (back, recycled) = sync_channel::<Chunk>(IN_FLIGHT);
        let (ctx_tx, ctx_rx) = sync_channel::<digest::Context>(1);
        let spawned = std::thread::Builder::new()
            .name("probant-sha256".into())
            .spawn(move || {
                let mut ctx = ctx_rx.recv().ok()?;
                for chunk in rx {
                    ctx.update(&chunk);
                    // No room to return it: dropped, so zeroized.
                    let _ = back.try_send(chunk);
                }
                let mut out = [0u8; 32];
                out.copy_from_slice(ctx.finish().as_ref());
                Some(out)
            });
        let Ok(handle) = spawned else { return };
        let threaded = Sha256Stream::Threaded {
            pending: Zeroizing::new(Vec::with_capacity(CAPACITY)),
            tx,
            recycled,
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
                ..
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
