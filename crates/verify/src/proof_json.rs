//! The proof documents of DESIGN contract 5, and their offline check.
//!
//! Hashes are standard padded base64, in RFC 9162 order. Unknown fields are
//! ignored when reading, so documents may carry more (e.g. `record`).
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::{Deserialize, Serialize};

use crate::checkpoint::Checkpoint;
use crate::hash::{leaf_hash, Hash};
use crate::note::VerifierKey;
use crate::proof::{verify_consistency, verify_inclusion};
use crate::Error;

/// Proof that `entry` is the leaf at `index` of the tree of `size` whose
/// signed checkpoint is `checkpoint`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The log's origin.
    pub origin: String,
    /// The entry's index (its sequence number).
    pub index: u64,
    /// The tree size the proof is for.
    pub size: u64,
    /// The canonical JSON entry, exactly the bytes that were hashed.
    pub entry: String,
    /// `SHA-256(0x00 || entry)`, base64.
    pub leaf_hash: String,
    /// The RFC 9162 inclusion path, base64 hashes, leaf to root.
    pub inclusion: Vec<String>,
    /// The signed checkpoint note of tree size `size`.
    pub checkpoint: String,
}

/// Proof that the tree at `old_size` is a prefix of the tree at `new_size`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// The log's origin.
    pub origin: String,
    /// The older size.
    pub old_size: u64,
    /// The newer size.
    pub new_size: u64,
    /// The RFC 9162 consistency path, base64 hashes.
    pub consistency: Vec<String>,
    /// The signed checkpoint note at `old_size`.
    pub old_checkpoint: String,
    /// The signed checkpoint note at `new_size`.
    pub new_checkpoint: String,
}

/// Encodes a hash for a proof document.
pub fn encode_hash(h: &Hash) -> String {
    B64.encode(h)
}

/// Decodes a proof document's hash.
pub fn decode_hash(s: &str) -> Result<Hash, Error> {
    B64.decode(s)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| Error::malformed("proof", format!("{s:?} is not a base64 SHA-256 hash")))
}

fn decode_path(path: &[String]) -> Result<Vec<Hash>, Error> {
    path.iter().map(|s| decode_hash(s)).collect()
}

impl InclusionProof {
    /// Checks everything offline: the checkpoint's signature under `key`,
    /// origin and size agreement, the leaf hash of `entry`, and the path to
    /// the checkpoint's root. Returns the verified checkpoint.
    pub fn verify(&self, key: &VerifierKey) -> Result<Checkpoint, Error> {
        let cp = Checkpoint::verify(self.checkpoint.as_bytes(), key)?;
        self.verify_under(&cp)?;
        Ok(cp)
    }

    /// Everything [`InclusionProof::verify`] checks but the signature, given
    /// `cp`, which the caller verified from **these exact `checkpoint`
    /// bytes** under the key (e.g. a bag's one checkpoint, which all its
    /// proofs carry): origin and size agreement, the leaf hash of `entry`,
    /// and the path to `cp`'s root.
    pub fn verify_under(&self, cp: &Checkpoint) -> Result<(), Error> {
        if cp.origin != self.origin {
            return Err(Error::mismatch(
                "proof origin differs from the checkpoint's",
            ));
        }
        if cp.size != self.size {
            return Err(Error::mismatch(format!(
                "proof is for size {} but the checkpoint has size {}",
                self.size, cp.size
            )));
        }
        let leaf = leaf_hash(self.entry.as_bytes());
        if decode_hash(&self.leaf_hash)? != leaf {
            return Err(Error::mismatch("leaf_hash is not the hash of entry"));
        }
        verify_inclusion(
            self.index,
            self.size,
            &leaf,
            &decode_path(&self.inclusion)?,
            &cp.root,
        )
    }
}

impl ConsistencyProof {
    /// Checks both checkpoints' signatures under `key`, their sizes, and the
    /// consistency path between their roots. Returns both checkpoints.
    pub fn verify(&self, key: &VerifierKey) -> Result<(Checkpoint, Checkpoint), Error> {
        let old = Checkpoint::verify(self.old_checkpoint.as_bytes(), key)?;
        let new = Checkpoint::verify(self.new_checkpoint.as_bytes(), key)?;
        if old.origin != self.origin || new.origin != self.origin {
            return Err(Error::mismatch("proof origin differs from a checkpoint's"));
        }
        if old.size != self.old_size || new.size != self.new_size {
            return Err(Error::mismatch("proof sizes differ from the checkpoints'"));
        }
        verify_consistency(
            old.size,
            new.size,
            &old.root,
            &new.root,
            &decode_path(&self.consistency)?,
        )?;
        Ok((old, new))
    }
}
