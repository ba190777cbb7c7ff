//! # probant-verify — the auditor's crate
//!
//! Everything a third party needs to check what Probant publishes, and nothing
//! else: RFC 9162 Merkle hashing, the C2SP tlog-tiles path layout, C2SP
//! signed notes and tlog-checkpoints (Ed25519), inclusion and consistency
//! proofs, the proof JSON of DESIGN contract 5, RFC 8785 canonical JSON, the
//! plaintext entry-bundle encoding, and BagIt export packages (RFC 8493,
//! DESIGN contract 4: [`bag::tag_files`] writes their tag files,
//! [`bag::verify_bag`] checks a whole bag offline).
//!
//! Guarantees: no I/O, no clock, no randomness, no `unsafe`, no async; every
//! parser takes bytes and rejects anything that is not exactly the format.
//! The one exception is [`bag::DirBag`], which reads a bag from a directory
//! so that an auditor can check one with this crate alone; the verifier
//! itself reads through the [`bag::BagFiles`] trait, hashing a bag's files
//! on [`bag::HASH_THREADS`] scoped threads (std only).
//! It does not decrypt anything: Probant's encrypted entry bundles are read by
//! the `journal` crate, which hands plaintext to this one.
//!
//! Requirement ids: N-5.9.5 (logs protected against modification and
//! deletion, checkable), N-5.11.13 (auditors can check evidence), AR-19.
#![forbid(unsafe_code)]

pub mod bag;
pub mod bundle;
pub mod checkpoint;
mod error;
pub mod hash;
pub mod jcs;
pub mod note;
pub mod proof;
pub mod proof_json;
pub mod tile;
pub mod tree;

pub use checkpoint::Checkpoint;
pub use error::Error;
pub use hash::{leaf_hash, node_hash, Hash, HASH_LEN};
pub use note::VerifierKey;
pub use proof_json::{ConsistencyProof, InclusionProof};
