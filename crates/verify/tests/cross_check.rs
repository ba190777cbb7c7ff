//! Cross-checks against an implementation we did not write (Cloudflare's
//! `tlog_tiles` and `signed_note`, ports of Go's sumdb/tlog and note): roots,
//! inclusion and consistency proofs, signed notes and checkpoint text.
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ed25519_dalek::{Signer, SigningKey};
use probant_verify::{
    checkpoint::Checkpoint,
    hash::{leaf_hash, Hash},
    note::{self, VerifierKey},
    proof::{verify_consistency, verify_inclusion},
    tree::Frontier,
};
use tlog_tiles::HashReader;

struct Store(Vec<tlog_tiles::Hash>);
impl HashReader for Store {
    fn read_hashes(&self, idx: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::tlog::Error> {
        Ok(idx.iter().map(|&i| self.0[i as usize]).collect())
    }
}

fn reference_log(n: u64) -> (Store, Vec<Hash>) {
    let mut store = Store(Vec::new());
    let mut leaves = Vec::new();
    for i in 0..n {
        let data = format!("entry {i}");
        leaves.push(leaf_hash(data.as_bytes()));
        let new = tlog_tiles::stored_hashes(i, data.as_bytes(), &store).unwrap();
        store.0.extend(new);
    }
    (store, leaves)
}

fn h(x: tlog_tiles::Hash) -> Hash {
    x.0
}

#[test]
fn roots_match_the_reference_for_every_size_up_to_600() {
    let (store, leaves) = reference_log(600);
    let mut f = Frontier::new();
    for (i, l) in leaves.iter().enumerate() {
        f.push(*l);
        let want = tlog_tiles::tree_hash(i as u64 + 1, &store).unwrap();
        assert_eq!(f.root(), h(want), "size {}", i + 1);
    }
}

#[test]
fn reference_inclusion_proofs_verify_and_tampering_fails() {
    let (store, leaves) = reference_log(300);
    for n in [1u64, 2, 3, 7, 8, 9, 255, 256, 257, 300] {
        let root = h(tlog_tiles::tree_hash(n, &store).unwrap());
        for i in (0..n).step_by(((n / 13) as usize).max(1)) {
            let p: Vec<Hash> = tlog_tiles::prove_record(n, i, &store)
                .unwrap()
                .into_iter()
                .map(h)
                .collect();
            verify_inclusion(i, n, &leaves[i as usize], &p, &root).unwrap();
            if !p.is_empty() {
                let mut bad = p.clone();
                bad[0][0] ^= 1;
                assert!(verify_inclusion(i, n, &leaves[i as usize], &bad, &root).is_err());
                assert!(verify_inclusion(i, n, &leaves[i as usize], &p[1..], &root).is_err());
            }
            if i + 1 < n {
                assert!(verify_inclusion(i + 1, n, &leaves[i as usize], &p, &root).is_err());
            }
        }
        assert!(verify_inclusion(n, n, &leaves[0], &[], &root).is_err());
    }
}

#[test]
fn reference_consistency_proofs_verify_and_tampering_fails() {
    let (store, _) = reference_log(300);
    let sizes = [1u64, 2, 3, 4, 5, 8, 100, 255, 256, 257, 300];
    for &m in &sizes {
        for &n in sizes.iter().filter(|&&n| n > m) {
            let rm = h(tlog_tiles::tree_hash(m, &store).unwrap());
            let rn = h(tlog_tiles::tree_hash(n, &store).unwrap());
            let p: Vec<Hash> = tlog_tiles::prove_tree(n, m, &store)
                .unwrap()
                .into_iter()
                .map(h)
                .collect();
            verify_consistency(m, n, &rm, &rn, &p).unwrap();
            let mut bad = p.clone();
            let last = bad.len() - 1;
            bad[last][31] ^= 0x80;
            assert!(
                verify_consistency(m, n, &rm, &rn, &bad).is_err(),
                "{m}->{n}"
            );
            assert!(verify_consistency(m, n, &rn, &rm, &p).is_err());
        }
    }
}

fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

#[test]
fn verifier_key_text_matches_the_reference() {
    let sk = signing_key();
    let ours = VerifierKey::new("example.org/log", &sk.verifying_key().to_bytes()).unwrap();
    let theirs = signed_note::new_ed25519_verifier_key("example.org/log", &sk.verifying_key());
    assert_eq!(ours.to_string(), theirs);
    assert_eq!(VerifierKey::parse(&theirs).unwrap(), ours);
}

fn our_checkpoint(name: &str, size: u64) -> (String, String) {
    let sk = signing_key();
    let cp = Checkpoint {
        origin: name.into(),
        size,
        root: leaf_hash(b"root"),
        extensions: vec![],
    };
    let text = cp.to_text();
    let id = note::key_id(name, &sk.verifying_key().to_bytes());
    let sig = sk.sign(text.as_bytes()).to_bytes();
    (text.clone(), note::assemble(&text, name, id, &sig))
}

#[test]
fn our_signed_checkpoints_verify_with_the_reference() {
    let (text, signed) = our_checkpoint("example.org/log", 12345);
    let vk =
        signed_note::new_ed25519_verifier_key("example.org/log", &signing_key().verifying_key());
    let verifier = signed_note::StandardVerifier::new(&vk).unwrap();
    let n = signed_note::Note::from_bytes(signed.as_bytes()).unwrap();
    let list = signed_note::VerifierList::new(vec![Box::new(verifier)]);
    let (verified, _) = n.verify(&list).unwrap();
    assert_eq!(verified.len(), 1);
    assert_eq!(n.text(), text.as_bytes());
    let parsed = tlog_tiles::Checkpoint::from_bytes(text.as_bytes()).unwrap();
    assert_eq!(parsed.origin(), "example.org/log");
    assert_eq!(parsed.size(), 12345);
    assert_eq!(parsed.hash().0, leaf_hash(b"root"));
}

#[test]
fn reference_signed_notes_verify_with_ours() {
    let sk = signing_key();
    let name = "example.org/log";
    let id = note::key_id(name, &sk.verifying_key().to_bytes());
    let mut raw = vec![1u8];
    raw.extend_from_slice(&sk.to_bytes());
    let skey = format!("PRIVATE+KEY+{name}+{id:08x}+{}", B64.encode(raw));
    let signer = signed_note::StandardSigner::new(&skey).unwrap();
    let text = format!("{name}\n5\n{}\n", B64.encode([9u8; 32]));
    let mut n = signed_note::Note::new(text.as_bytes(), &[]).unwrap();
    n.add_sigs(&[&signer]).unwrap();
    let bytes = n.to_bytes();
    let vk = VerifierKey::new(name, &sk.verifying_key().to_bytes()).unwrap();
    let cp = Checkpoint::verify(&bytes, &vk).unwrap();
    assert_eq!(cp.size, 5);
}
