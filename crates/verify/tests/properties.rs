//! Property tests of the auditor's crate.
//!
//! - every parser returns (never panics) on arbitrary and on almost-valid input;
//! - encodings round-trip, and what parses is already in its one written form;
//! - Merkle roots, inclusion and consistency proofs agree with reference
//!   functions written here straight from RFC 9162 (§2.1.1, §2.1.3.1,
//!   §2.1.4.1), and every tampering with a proof is refused;
//! - signed notes and proof documents (DESIGN contract 5) refuse mutation.
//!
//! The reference functions are deliberately naive and independent of the
//! crate's code: they follow the RFC's recursive definitions over a `Vec` of
//! leaf hashes. Case counts are chosen so the whole file runs in seconds in
//! the debug profile.
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ed25519_dalek::{Signer, SigningKey};
use probant_verify::{
    bundle,
    checkpoint::Checkpoint,
    hash::{empty_root, leaf_hash, node_hash, Hash},
    jcs,
    note::{self, VerifierKey},
    proof::{root_from_inclusion, verify_consistency, verify_inclusion},
    proof_json::{decode_hash, encode_hash, ConsistencyProof, InclusionProof},
    tile,
    tree::{self, Frontier, SubtreeSource},
    Error,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------
// Configuration and small helpers
// ---------------------------------------------------------------------------

/// `cases` cases, no regression files written into the source tree.
fn cfg(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A deterministic stream of pseudo-random numbers (xorshift64*), for the
/// many small choices inside one case that need not be shrunk.
struct Rng(u64);
impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `n` pairwise distinct leaf hashes (distinct leaves matter: with equal
/// sibling subtrees a proof for one position is also one for its mirror).
fn leaves(n: usize, seed: u64) -> Vec<Hash> {
    (0..n as u64)
        .map(|i| {
            let mut data = seed.to_be_bytes().to_vec();
            data.extend_from_slice(&i.to_be_bytes());
            leaf_hash(&data)
        })
        .collect()
}

fn flip_bit(h: &Hash, bit: usize) -> Hash {
    let mut h = *h;
    h[bit / 8] ^= 1 << (bit % 8);
    h
}

// ---------------------------------------------------------------------------
// Reference Merkle functions, from the text of RFC 9162
// ---------------------------------------------------------------------------

/// "the largest power of two smaller than n" (n > 1), by counting up.
fn ref_split(n: u64) -> u64 {
    assert!(n > 1);
    let mut k = 1u64;
    while k.checked_mul(2).is_some_and(|d| d < n) {
        k *= 2;
    }
    k
}

/// MTH(D[n]), RFC 9162 §2.1.1.
fn ref_mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => Sha256::digest([]).into(),
        1 => {
            // MTH({d(0)}) = SHA-256(0x00 || d(0)); our leaves are already
            // leaf hashes, so the one-leaf tree's hash is the leaf hash.
            d[0]
        }
        n => {
            let k = ref_split(n as u64) as usize;
            let mut buf = vec![1u8];
            buf.extend_from_slice(&ref_mth(&d[..k]));
            buf.extend_from_slice(&ref_mth(&d[k..]));
            Sha256::digest(&buf).into()
        }
    }
}

/// PATH(m, D[n]), RFC 9162 §2.1.3.1.
fn ref_path(m: usize, d: &[Hash]) -> Vec<Hash> {
    let n = d.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = ref_split(n as u64) as usize;
    if m < k {
        let mut p = ref_path(m, &d[..k]);
        p.push(ref_mth(&d[k..]));
        p
    } else {
        let mut p = ref_path(m - k, &d[k..]);
        p.push(ref_mth(&d[..k]));
        p
    }
}

/// On which side of the running hash each element of PATH(m, D[n]) sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Left,
    Right,
}

/// The shape of PATH(m, D[n]): it depends on m and n only. A verifier that
/// is given a path of one shape and told another (m, n) of the same shape
/// computes exactly the same root, so it must accept; of another shape, the
/// root differs (barring a SHA-256 collision), so it must refuse.
fn inclusion_shape(m: u64, n: u64) -> Vec<Side> {
    if n <= 1 {
        return Vec::new();
    }
    let k = ref_split(n);
    if m < k {
        let mut s = inclusion_shape(m, k);
        s.push(Side::Right);
        s
    } else {
        let mut s = inclusion_shape(m - k, n - k);
        s.push(Side::Left);
        s
    }
}

/// SUBPROOF(m, D[n], b), RFC 9162 §2.1.4.1.
fn ref_subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { Vec::new() } else { vec![ref_mth(d)] };
    }
    let k = ref_split(n as u64) as usize;
    if m <= k {
        let mut p = ref_subproof(m, &d[..k], b);
        p.push(ref_mth(&d[k..]));
        p
    } else {
        let mut p = ref_subproof(m - k, &d[k..], false);
        p.push(ref_mth(&d[..k]));
        p
    }
}

/// PROOF(m, D[n]) = SUBPROOF(m, D[n], true); empty for m = 0 (the RFC
/// defines proofs for 0 < m < n only; the crate accepts the empty proof for
/// m = 0 and m = n).
fn ref_consistency(m: usize, d: &[Hash]) -> Vec<Hash> {
    if m == 0 {
        Vec::new()
    } else {
        ref_subproof(m, d, true)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// The proof starts from the old root itself (b stayed true).
    StartOld,
    /// The proof's first element is MTH of the old tree's last subtree.
    StartNode,
    /// MTH(D[0:k]) to the left of both the old and the new tree's hashes.
    Left,
    /// MTH(D[k:n]) to the right: part of the new tree only.
    Right,
}

/// The shape of PROOF(m, D[n]) for 0 < m < n (see `inclusion_shape`).
fn consistency_shape(m: u64, n: u64, b: bool) -> Vec<Step> {
    if m == n {
        return vec![if b { Step::StartOld } else { Step::StartNode }];
    }
    let k = ref_split(n);
    if m <= k {
        let mut s = consistency_shape(m, k, b);
        s.push(Step::Right);
        s
    } else {
        let mut s = consistency_shape(m - k, n - k, false);
        s.push(Step::Left);
        s
    }
}

/// Whether a verifier must accept the proof of (true_m, true_n) with those
/// trees' roots when told (m, n) instead. Leaves are distinct, so the two
/// roots are equal exactly when true_m == true_n.
fn consistency_expected(m: u64, n: u64, true_m: u64, true_n: u64) -> bool {
    let path_empty = true_m == 0 || true_m == true_n;
    if m > n {
        false
    } else if m == n {
        path_empty && true_m == true_n
    } else if m == 0 {
        // the old root must then be MTH({}) (see the ignored property)
        path_empty && true_m == 0
    } else {
        !path_empty && consistency_shape(m, n, true) == consistency_shape(true_m, true_n, true)
    }
}

/// Aligned subtree hashes served from a list of leaves.
struct Leaves<'a>(&'a [Hash]);
impl SubtreeSource for Leaves<'_> {
    type Error = Error;
    fn subtree(&mut self, height: u32, index: u64) -> Result<Hash, Error> {
        let lo = (index << height) as usize;
        let hi = lo + (1usize << height);
        assert!(hi <= self.0.len(), "asked for a subtree beyond the leaves");
        Ok(ref_mth(&self.0[lo..hi]))
    }
}

// ---------------------------------------------------------------------------
// Merkle properties
// ---------------------------------------------------------------------------

#[test]
fn hashes_are_the_rfc_ones() {
    let e = b"probant";
    let mut want = Sha256::new();
    want.update([0u8]);
    want.update(e);
    assert_eq!(leaf_hash(e), <Hash>::from(want.finalize()));
    let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
    let mut want = Sha256::new();
    want.update([1u8]);
    want.update(a);
    want.update(b);
    assert_eq!(node_hash(&a, &b), <Hash>::from(want.finalize()));
    assert_eq!(empty_root(), ref_mth(&[]));
    assert_eq!(tree::root_of_leaves(&[]), ref_mth(&[]));
    assert_eq!(Frontier::new().root(), ref_mth(&[]));
}

proptest! {
    #![proptest_config(cfg(256))]

    /// root_of_leaves, a Frontier fed leaf by leaf, and the RFC definition agree.
    #[test]
    fn roots_agree(n in 1usize..2000, seed in any::<u64>(), probe in any::<Index>()) {
        let d = leaves(n, seed);
        let want = ref_mth(&d);
        prop_assert_eq!(tree::root_of_leaves(&d), want);
        let mut f = Frontier::new();
        let cut = probe.index(n) + 1;
        for (i, l) in d.iter().enumerate() {
            f.push(*l);
            if i + 1 == cut {
                prop_assert_eq!(f.root(), ref_mth(&d[..cut]), "prefix of {}", cut);
            }
        }
        prop_assert_eq!(f.size(), n as u64);
        prop_assert_eq!(f.root(), want);
    }

    /// A Frontier built from aligned subtrees of random heights gives the same
    /// root; an unaligned subtree is refused and leaves the frontier as it was.
    #[test]
    fn frontier_from_subtrees(n in 1usize..2000, seed in any::<u64>(), choices in any::<u64>()) {
        let d = leaves(n, seed);
        let mut rng = Rng::new(choices);
        let mut f = Frontier::new();
        let mut pos = 0usize;
        while pos < n {
            let mut hmax = 0u32;
            while pos.is_multiple_of(1 << (hmax + 1)) && pos + (1 << (hmax + 1)) <= n {
                hmax += 1;
            }
            let h = rng.below(u64::from(hmax) + 1) as u32;
            f.push_subtree(h, ref_mth(&d[pos..pos + (1 << h)])).unwrap();
            pos += 1 << h;
        }
        prop_assert_eq!(f.size(), n as u64);
        prop_assert_eq!(f.root(), ref_mth(&d));
        // the smallest height the size is not aligned to
        let bad = (n as u64).trailing_zeros() + 1;
        let before = f.clone();
        prop_assert!(f.push_subtree(bad, leaf_hash(b"x")).is_err());
        prop_assert_eq!(f, before);
    }

    /// range_hash over aligned ranges is MTH of the range; a perfect range
    /// that is not aligned is refused.
    #[test]
    fn range_hash_of_aligned_ranges(n in 1usize..1500, seed in any::<u64>(), a in any::<Index>(), b in any::<Index>(), h in 0u32..11) {
        let d = leaves(n, seed);
        let width = 1usize << h;
        let blocks = n.div_ceil(width);
        let lo = a.index(blocks) * width;
        let hi = lo + b.index((n - lo).min(width) + 1);
        let got = tree::range_hash(&mut Leaves(&d), lo as u64, hi as u64);
        prop_assert_eq!(got, Ok(ref_mth(&d[lo..hi])));
        if h > 0 && lo + width < n {
            let r = tree::range_hash(&mut Leaves(&d), lo as u64 + 1, (lo + width + 1) as u64);
            prop_assert!(r.is_err());
        }
    }
}

proptest! {
    #![proptest_config(cfg(192))]

    /// RFC 9162 inclusion proofs verify, and every kind of tampering is refused.
    #[test]
    fn inclusion_proofs(n in 1usize..2000, idx in any::<Index>(), seed in any::<u64>(), salt in any::<u64>()) {
        let d = leaves(n, seed);
        let root = ref_mth(&d);
        let i = idx.index(n);
        let (m, size) = (i as u64, n as u64);
        let leaf = d[i];
        let path = ref_path(i, &d);
        let shape = inclusion_shape(m, size);
        prop_assert_eq!(path.len(), shape.len());
        prop_assert_eq!(verify_inclusion(m, size, &leaf, &path, &root), Ok(()));
        prop_assert_eq!(root_from_inclusion(m, size, &leaf, &path), Ok(root));
        let mut rng = Rng::new(salt);

        // every single bit flip in every element, in the leaf, in the root
        for e in 0..path.len() {
            for bit in 0..256 {
                let mut p = path.clone();
                p[e] = flip_bit(&p[e], bit);
                prop_assert!(verify_inclusion(m, size, &leaf, &p, &root).is_err(), "element {} bit {}", e, bit);
            }
        }
        for bit in 0..256 {
            prop_assert!(verify_inclusion(m, size, &flip_bit(&leaf, bit), &path, &root).is_err());
            prop_assert!(verify_inclusion(m, size, &leaf, &path, &flip_bit(&root, bit)).is_err());
        }

        // a wrong index: with distinct leaves, never accepted
        let mut wrong: Vec<u64> = if n <= 300 {
            (0..size).collect()
        } else {
            (m.saturating_sub(40)..(m + 40).min(size))
                .chain((0..200).map(|_| rng.below(size)))
                .collect()
        };
        wrong.extend([size, size + 1, u64::MAX]);
        for j in wrong.into_iter().filter(|&j| j != m) {
            prop_assert!(verify_inclusion(j, size, &leaf, &path, &root).is_err(), "index {}", j);
        }

        // a wrong size: accepted exactly when the path has the same shape
        // under it (RFC 9162 verification does not bind the size beyond the
        // path's shape; the signed checkpoint binds it)
        let sizes = (size.saturating_sub(130)..size + 130)
            .chain((0..100).map(|_| rng.below(4 * size + 4)))
            .chain((0..64).map(|s| 1u64 << s))
            .chain([u64::MAX - 1, u64::MAX]);
        for s in sizes.filter(|&s| s != size) {
            let expect = m < s && inclusion_shape(m, s) == shape;
            prop_assert_eq!(
                verify_inclusion(m, s, &leaf, &path, &root).is_ok(),
                expect,
                "told size {} instead of {}", s, size
            );
        }

        // one element removed, one added (anywhere, any value)
        for e in 0..path.len() {
            let mut p = path.clone();
            p.remove(e);
            prop_assert!(verify_inclusion(m, size, &leaf, &p, &root).is_err(), "removed {}", e);
        }
        for e in 0..=path.len() {
            for extra in [leaf_hash(&salt.to_be_bytes()), root, leaf, path.get(e).copied().unwrap_or(leaf)] {
                let mut p = path.clone();
                p.insert(e, extra);
                prop_assert!(verify_inclusion(m, size, &leaf, &p, &root).is_err(), "added at {}", e);
            }
        }
    }

    /// RFC 9162 consistency proofs verify, including old == new and old == 0,
    /// and every kind of tampering is refused.
    #[test]
    fn consistency_proofs(n in 1usize..2000, old in any::<Index>(), edge in 0u8..8, seed in any::<u64>(), salt in any::<u64>()) {
        let d = leaves(n, seed);
        let m = match edge {
            0 => 0,
            1 => n,
            _ => old.index(n + 1),
        };
        let (om, on) = (m as u64, n as u64);
        let old_root = ref_mth(&d[..m]);
        let new_root = ref_mth(&d);
        prop_assert_eq!(tree::root_of_leaves(&d[..m]), old_root);
        let path = ref_consistency(m, &d);
        prop_assert_eq!(verify_consistency(om, on, &old_root, &new_root, &path), Ok(()));
        let mut rng = Rng::new(salt);

        for e in 0..path.len() {
            for bit in 0..256 {
                let mut p = path.clone();
                p[e] = flip_bit(&p[e], bit);
                prop_assert!(verify_consistency(om, on, &old_root, &new_root, &p).is_err(), "element {} bit {}", e, bit);
            }
        }
        for bit in 0..256 {
            // (m = 0 with another old root: see the ignored property below)
            if m != 0 {
                prop_assert!(verify_consistency(om, on, &flip_bit(&old_root, bit), &new_root, &path).is_err());
            }
            // (m = 0: the empty tree is a prefix of every tree, any new root)
            if m != 0 {
                prop_assert!(verify_consistency(om, on, &old_root, &flip_bit(&new_root, bit), &path).is_err());
            }
        }
        if m != n && m != 0 {
            prop_assert!(verify_consistency(om, on, &new_root, &old_root, &path).is_err());
            prop_assert!(verify_consistency(on, om, &old_root, &new_root, &path).is_err());
        }

        // wrong old size, wrong new size
        let olds = (om.saturating_sub(70)..om + 70)
            .chain((0..60).map(|_| rng.below(on + 2)))
            .chain((0..64).map(|s| 1u64 << s))
            .chain([u64::MAX]);
        for cm in olds.filter(|&cm| cm != om) {
            if cm == 0 && m == n {
                continue; // the ignored property's case
            }
            prop_assert_eq!(
                verify_consistency(cm, on, &old_root, &new_root, &path).is_ok(),
                consistency_expected(cm, on, om, on),
                "told old size {} instead of {} (new {})", cm, om, on
            );
        }
        let news = (on.saturating_sub(70)..on + 70)
            .chain((0..60).map(|_| rng.below(4 * on + 4)))
            .chain((0..64).map(|s| 1u64 << s))
            .chain([u64::MAX - 1, u64::MAX]);
        for cn in news.filter(|&cn| cn != on) {
            if m == 0 {
                // (0, cn) with the empty proof and the empty root: rightly accepted
                // for every cn > 0 — nothing to check about the new size.
                prop_assert_eq!(verify_consistency(0, cn, &old_root, &new_root, &path).is_ok(), cn > 0);
                continue;
            }
            prop_assert_eq!(
                verify_consistency(om, cn, &old_root, &new_root, &path).is_ok(),
                consistency_expected(om, cn, om, on),
                "told new size {} instead of {} (old {})", cn, on, om
            );
        }

        // one element removed, one added
        for e in 0..path.len() {
            let mut p = path.clone();
            p.remove(e);
            prop_assert!(verify_consistency(om, on, &old_root, &new_root, &p).is_err(), "removed {}", e);
        }
        for e in 0..=path.len() {
            for extra in [leaf_hash(&salt.to_be_bytes()), old_root, new_root] {
                let mut p = path.clone();
                p.insert(e, extra);
                prop_assert!(verify_consistency(om, on, &old_root, &new_root, &p).is_err(), "added at {}", e);
            }
        }
    }
}

proptest! {
    #![proptest_config(cfg(64))]

    /// The tree of size 0 has exactly one root, MTH({}) = SHA-256(""): a
    /// claimed empty old tree with any other root is not a prefix of anything.
    #[test]
        fn consistency_from_the_empty_tree_requires_the_empty_root(n in 0usize..50, seed in any::<u64>(), bogus in any::<[u8; 32]>()) {
        prop_assume!(bogus != empty_root());
        let d = leaves(n, seed);
        let new_root = if n == 0 { bogus } else { ref_mth(&d) };
        prop_assert!(verify_consistency(0, n as u64, &bogus, &new_root, &[]).is_err());
    }
}

/// A subtree of height 64 or more cannot be pushed (the size would not fit
/// a u64), nor one that takes the size past 2^64 - 1: both must be refused
/// with an error, like the other misuses of push_subtree.
#[test]
fn push_subtree_refuses_impossible_heights() {
    for h in [64u32, 65, 127, u32::MAX] {
        let r = std::panic::catch_unwind(move || Frontier::new().push_subtree(h, leaf_hash(b"x")));
        assert!(matches!(r, Ok(Err(_))), "height {h}: {r:?}");
    }
    let r = std::panic::catch_unwind(|| {
        let mut f = Frontier::new();
        f.push_subtree(63, leaf_hash(b"x")).unwrap();
        f.push_subtree(63, leaf_hash(b"y"))
    });
    assert!(matches!(r, Ok(Err(_))), "2^64 leaves: {r:?}");
}

// ---------------------------------------------------------------------------
// Tile arithmetic
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(cfg(1024))]

    #[test]
    fn tile_index_encoding_decodes(n in prop_oneof![0u64..5000, any::<u64>()]) {
        let s = tile::encode_index(n);
        let groups: Vec<&str> = s.split('/').collect();
        let mut back: u128 = 0;
        for (i, g) in groups.iter().enumerate() {
            let digits = if i + 1 < groups.len() {
                g.strip_prefix('x').expect("all but the last group begin with x")
            } else {
                g
            };
            prop_assert_eq!(digits.len(), 3);
            prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
            back = back * 1000 + digits.parse::<u128>().unwrap();
        }
        prop_assert_eq!(back, u128::from(n));
        prop_assert!(groups.len() == 1 || !groups[0].ends_with("000"), "{}", s);
    }

    #[test]
    fn tile_widths_are_consistent(size in prop_oneof![0u64..1_000_000, any::<u64>()], level in 0u8..12) {
        let shift = 8 * u32::from(level);
        let len = if shift >= 64 { 0 } else { size >> shift };
        prop_assert_eq!(tile::level_len(size, level), len);
        let partial = tile::partial_width(size, level);
        prop_assert_eq!(partial, len % 256);
        let last = len / 256;
        prop_assert_eq!(tile::tile_width_at(size, level, last), (partial != 0).then_some(partial));
        if last > 0 {
            prop_assert_eq!(tile::tile_width_at(size, level, last - 1), Some(256));
            prop_assert_eq!(tile::tile_width_at(size, level, 0), Some(256));
        }
        prop_assert_eq!(tile::tile_width_at(size, level, last + 1), None);
        prop_assert_eq!(tile::tile_width_at(size, level, u64::MAX), None);
    }
}

// ---------------------------------------------------------------------------
// Key names, keys, checkpoints, notes
// ---------------------------------------------------------------------------

/// Valid key names that may also appear in a note (no control characters).
fn key_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z0-9][a-z0-9./_:-]{0,24}",
        1 => vec(any::<char>(), 1..10).prop_map(String::from_iter),
    ]
    .prop_filter("a valid key name", |s| {
        note::is_valid_key_name(s) && !s.chars().any(|c| c < ' ')
    })
}

/// Extension lines that may appear in a signed checkpoint.
fn extensions() -> impl Strategy<Value = Vec<String>> {
    vec(prop_oneof!["[ -~]{1,30}", "[^\\x00-\\x1f]{1,8}"], 0..3)
}

fn keypair(seed: &[u8; 32], name: &str) -> (SigningKey, VerifierKey) {
    let sk = SigningKey::from_bytes(seed);
    let vk = VerifierKey::new(name, &sk.verifying_key().to_bytes()).unwrap();
    (sk, vk)
}

fn sig_line(sk: &SigningKey, vk: &VerifierKey, text: &str) -> String {
    note::signature_line(vk.name(), vk.id(), &sk.sign(text.as_bytes()).to_bytes())
}

/// A signature line with arbitrary signature bytes (any length).
fn raw_sig_line(name: &str, id: u32, sig: &[u8]) -> String {
    let mut raw = id.to_be_bytes().to_vec();
    raw.extend_from_slice(sig);
    format!("\u{2014} {name} {}\n", B64.encode(raw))
}

fn signed_checkpoint(sk: &SigningKey, vk: &VerifierKey, cp: &Checkpoint) -> String {
    let text = cp.to_text();
    format!("{text}\n{}", sig_line(sk, vk, &text))
}

proptest! {
    #![proptest_config(cfg(512))]

    #[test]
    fn checkpoint_text_round_trips(
        origin in "[^\n]{1,24}",
        size in prop_oneof![0u64..1000, any::<u64>()],
        root in any::<[u8; 32]>(),
        exts in vec("[^\n]{1,24}", 0..4),
    ) {
        let cp = Checkpoint { origin, size, root, extensions: exts };
        prop_assert_eq!(Checkpoint::parse_text(&cp.to_text()), Ok(cp));
    }

    /// What parse_text accepts is written exactly as to_text writes it: no
    /// leading zeros, signs, spaces, unpadded or non-canonical base64.
    #[test]
    fn checkpoint_text_has_one_form(
        origin in prop_oneof!["[a-z./]{0,8}", "[^\n]{0,8}"],
        size in prop_oneof!["0", "[1-9][0-9]{0,19}", "[-+ 0]?[0-9]{1,21} ?", "184467440737095516[0-9]{2}"],
        root in prop_oneof![
            any::<[u8; 32]>().prop_map(|r| B64.encode(r)),
            any::<[u8; 32]>().prop_map(|r| B64.encode(r).trim_end_matches('=').to_owned()),
            "[A-Za-z0-9+/]{42}[A-Za-z0-9+/=]{0,3}",
            any::<[u8; 31]>().prop_map(|r| B64.encode(r)),
        ],
        tail in prop_oneof![Just(String::new()), "[^\n]{1,8}\n", "\n", "[^\n]{1,8}\n\n[^\n]{1,4}\n"],
        newline in any::<bool>(),
    ) {
        let text = format!("{origin}\n{size}\n{root}{}{tail}", if newline { "\n" } else { "" });
        if let Ok(cp) = Checkpoint::parse_text(&text) {
            prop_assert_eq!(cp.to_text(), text);
        }
    }

    #[test]
    fn verifier_key_round_trips(name in vec(any::<char>(), 1..24).prop_map(String::from_iter), seed in any::<[u8; 32]>()) {
        prop_assume!(note::is_valid_key_name(&name));
        let (_, vk) = keypair(&seed, &name);
        let text = vk.to_string();
        prop_assert_eq!(VerifierKey::parse(&text), Ok(vk.clone()));
        prop_assert_eq!(VerifierKey::parse(&format!("{text}\n")), Ok(vk.clone()));
        prop_assert_eq!(vk.name(), name.as_str());
        prop_assert_eq!(vk.id(), note::key_id(&name, &seed_public(&seed)));
    }

    /// What VerifierKey::parse accepts is written back the same (up to the
    /// case of the hex id and trailing newlines, which the parser forgives).
    #[test]
    fn verifier_key_has_one_form(
        name in key_name(),
        seed in any::<[u8; 32]>(),
        id_form in 0u8..5,
        key_form in 0u8..5,
        nl in "\n{0,2}",
    ) {
        let (_, vk) = keypair(&seed, &name);
        let id = match id_form {
            0 => format!("{:08x}", vk.id()),
            1 => format!("{:08X}", vk.id()),
            2 => format!("{:x}", vk.id()),
            3 => format!("+{:07x}", vk.id() & 0x0fff_ffff),
            _ => format!("{:08x}", vk.id() ^ 1),
        };
        let mut raw = vec![note::ED25519_TYPE];
        raw.extend_from_slice(&seed_public(&seed));
        let canonical = B64.encode(&raw);
        let key = match key_form {
            0 => canonical.clone(),
            1 => B64.encode(&raw).trim_end_matches('=').to_owned(),
            2 => B64.encode(&raw[1..]),
            3 => { raw[0] = 2; B64.encode(&raw) }
            _ => format!("{canonical} "),
        };
        let text = format!("{name}+{id}+{key}{nl}");
        let well_formed = id.len() == 8 && id.to_lowercase() == format!("{:08x}", vk.id()) && key == canonical;
        match VerifierKey::parse(&text) {
            Ok(parsed) => {
                prop_assert!(well_formed, "accepted {:?}", text);
                prop_assert_eq!(&parsed, &vk);
                prop_assert_eq!(parsed.to_string(), format!("{name}+{}+{key}", id.to_lowercase()));
            }
            Err(_) => prop_assert!(!well_formed, "refused {:?}", text),
        }
    }
}

fn seed_public(seed: &[u8; 32]) -> [u8; 32] {
    SigningKey::from_bytes(seed).verifying_key().to_bytes()
}

proptest! {
    #![proptest_config(cfg(192))]

    #[test]
    fn signed_checkpoint_verifies(
        seed in any::<[u8; 32]>(),
        name in key_name(),
        size in any::<u64>(),
        root in any::<[u8; 32]>(),
        exts in extensions(),
    ) {
        let (sk, vk) = keypair(&seed, &name);
        let cp = Checkpoint { origin: name, size, root, extensions: exts };
        let note = signed_checkpoint(&sk, &vk, &cp);
        prop_assert_eq!(Checkpoint::verify(note.as_bytes(), &vk), Ok(cp.clone()));
        let text = cp.to_text();
        prop_assert_eq!(vk.verify_note(note.as_bytes()), Ok(text.as_str()));
        // the same checkpoint under a key of another name or another key
        let (_, other) = keypair(&seed, &format!("{}.other", vk.name()));
        prop_assert!(Checkpoint::verify(note.as_bytes(), &other).is_err());
        let mut seed2 = seed;
        seed2[0] ^= 1;
        let (_, other) = keypair(&seed2, vk.name());
        let r = Checkpoint::verify(note.as_bytes(), &other);
        prop_assert!(matches!(r, Err(Error::NoSignatureByKey { .. })), "{:?}", r);
        // signed by the key but for another origin
        let foreign = Checkpoint { origin: format!("{}x", cp.origin), ..cp.clone() };
        let note = signed_checkpoint(&sk, &vk, &foreign);
        let r = Checkpoint::verify(note.as_bytes(), &vk);
        prop_assert!(matches!(r, Err(Error::Mismatch { .. })), "{:?}", r);
    }

    /// Extra signatures from other keys (other names, or the same name with
    /// another key) are ignored wherever they stand.
    #[test]
    fn unknown_signatures_are_ignored(
        seed in any::<[u8; 32]>(),
        name in key_name(),
        size in any::<u64>(),
        root in any::<[u8; 32]>(),
        others in vec((any::<[u8; 32]>(), any::<bool>(), any::<bool>()), 1..6),
        at in any::<Index>(),
    ) {
        let (sk, vk) = keypair(&seed, &name);
        let cp = Checkpoint { origin: name.clone(), size, root, extensions: vec![] };
        let text = cp.to_text();
        let mut lines = Vec::new();
        for (i, (oseed, same_name, same_text)) in others.iter().enumerate() {
            prop_assume!(oseed != &seed);
            let oname = if *same_name { name.clone() } else { format!("w{i}.{name}") };
            let (osk, ovk) = keypair(oseed, &oname);
            let signed = if *same_text { text.clone() } else { format!("{text}other\n") };
            lines.push(sig_line(&osk, &ovk, &signed));
        }
        lines.insert(at.index(lines.len() + 1), sig_line(&sk, &vk, &text));
        let note = format!("{text}\n{}", lines.concat());
        prop_assert_eq!(Checkpoint::verify(note.as_bytes(), &vk), Ok(cp));
    }

    /// Two signature lines by the expected key, one of them bad: refused.
    #[test]
    fn a_bad_duplicate_signature_by_the_key_is_refused(
        seed in any::<[u8; 32]>(),
        name in key_name(),
        size in any::<u64>(),
        root in any::<[u8; 32]>(),
        bad_first in any::<bool>(),
        kind in 0u8..4,
        bit in 0usize..512,
    ) {
        let (sk, vk) = keypair(&seed, &name);
        let cp = Checkpoint { origin: name.clone(), size, root, extensions: vec![] };
        let text = cp.to_text();
        let good_sig = sk.sign(text.as_bytes()).to_bytes();
        let good = note::signature_line(&name, vk.id(), &good_sig);
        let bad = match kind {
            0 => {
                let mut s = good_sig;
                s[bit / 8] ^= 1 << (bit % 8);
                note::signature_line(&name, vk.id(), &s)
            }
            1 => sig_line(&sk, &vk, &format!("{text}x\n")),
            2 => raw_sig_line(&name, vk.id(), &good_sig[..63]),
            _ => raw_sig_line(&name, vk.id(), &[&good_sig[..], &[0]].concat()),
        };
        let sigs = if bad_first { format!("{bad}{good}") } else { format!("{good}{bad}") };
        let note = format!("{text}\n{sigs}");
        let r = Checkpoint::verify(note.as_bytes(), &vk);
        // Refused either for the bad signature or, as Go's note package does,
        // for a key that signs twice.
        prop_assert!(
            matches!(&r, Err(Error::BadSignature { .. }))
                || matches!(&r, Err(Error::Malformed { detail, .. }) if detail.contains("two signatures")),
            "{:?}", r
        );
        prop_assert!(vk.verify_note(note.as_bytes()).is_err());
    }
}

const INTERESTING: [u8; 14] = [
    b'\n', b' ', b'+', b'/', b'=', b'A', b'a', b'0', 0xe2, 0x80, 0x94, 0x00, 0x7f, 0xff,
];

proptest! {
    #![proptest_config(cfg(96))]

    /// Every single-byte change of a signed checkpoint carrying one known
    /// and one unknown signature is refused, unless it falls inside the
    /// unknown signature line (whose changes may be ignored, and then the
    /// checkpoint read is the same). Changes inside the unknown signature
    /// that keep it well-formed are indeed ignored.
    #[test]
    fn single_byte_mutations_of_a_signed_note(
        seed in any::<[u8; 32]>(),
        other_seed in any::<[u8; 32]>(),
        name in key_name(),
        size in any::<u64>(),
        root in any::<[u8; 32]>(),
        exts in extensions(),
        unknown_first in any::<bool>(),
        salt in any::<u64>(),
    ) {
        let cp = Checkpoint { origin: name.clone(), size, root, extensions: exts };
        let text = cp.to_text();
        let (sk, vk) = keypair(&seed, &name);
        // a longer name: no single-byte change makes it the known one
        let other_name = format!("{name}.witness");
        let (osk, ovk) = keypair(&other_seed, &other_name);
        let known = sig_line(&sk, &vk, &text);
        let unknown = sig_line(&osk, &ovk, &text);
        let sigs = if unknown_first { format!("{unknown}{known}") } else { format!("{known}{unknown}") };
        let note = format!("{text}\n{sigs}");
        prop_assert_eq!(Checkpoint::verify(note.as_bytes(), &vk), Ok(cp.clone()));

        // the unknown line's bytes, without its newline
        let ustart = text.len() + 1 + if unknown_first { 0 } else { known.len() };
        let uend = ustart + unknown.len() - 1;
        let mut rng = Rng::new(salt);
        for pos in 0..note.len() {
            let random = rng.next() as u8;
            let pick = INTERESTING[rng.below(INTERESTING.len() as u64) as usize];
            for b in [random, pick] {
                if b == note.as_bytes()[pos] {
                    continue;
                }
                let mut m = note.clone().into_bytes();
                m[pos] = b;
                let got = Checkpoint::verify(&m, &vk);
                if (ustart..uend).contains(&pos) {
                    if let Ok(c) = got {
                        prop_assert_eq!(c, cp.clone());
                    }
                } else {
                    prop_assert!(got.is_err(), "byte {} set to {:#04x} still verifies: {:?}", pos, b, String::from_utf8_lossy(&m));
                }
            }
        }

        // constructed ignorable changes: in the unknown signature's base64
        // (outside its last quartet, whose padding bits are constrained) and
        // in the unknown key's name
        let b64_start = ustart + "\u{2014} ".len() + other_name.len() + 1;
        let b64_len = uend - b64_start;
        prop_assert_eq!(b64_len, 92);
        for off in [0, 1, 5, 40, b64_len - 5] {
            let mut m = note.clone().into_bytes();
            let c = m[b64_start + off];
            m[b64_start + off] = if c == b'A' { b'B' } else { b'A' };
            prop_assert_eq!(Checkpoint::verify(&m, &vk), Ok(cp.clone()));
        }
        let w = ustart + "\u{2014} ".len() + name.len() + 1;
        let mut m = note.clone().into_bytes();
        prop_assert_eq!(m[w], b'w');
        m[w] = b'W';
        prop_assert_eq!(Checkpoint::verify(&m, &vk), Ok(cp));
    }
}

// ---------------------------------------------------------------------------
// Entry bundles
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(cfg(256))]

    #[test]
    fn bundle_round_trips_and_truncations_fail(entries in vec(vec(any::<u8>(), 0..40), 0..=256)) {
        let mut b = Vec::new();
        let mut bounds = vec![0usize];
        for e in &entries {
            bundle::push_entry(&mut b, e).unwrap();
            bounds.push(b.len());
        }
        let want: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        prop_assert_eq!(bundle::parse_bundle(&b), Ok(want.clone()));
        // a prefix parses exactly when it ends between two entries
        for cut in 0..b.len() {
            let got = bundle::parse_bundle(&b[..cut]);
            match bounds.iter().position(|&x| x == cut) {
                Some(k) => prop_assert_eq!(got, Ok(want[..k].to_vec())),
                None => prop_assert!(got.is_err(), "cut {}", cut),
            }
        }
        // 257 entries are one too many
        if entries.len() == 256 {
            let mut more = b.clone();
            bundle::push_entry(&mut more, b"").unwrap();
            prop_assert!(bundle::parse_bundle(&more).is_err());
        }
    }
}

#[test]
fn bundle_entry_length_limit() {
    let mut b = Vec::new();
    bundle::push_entry(&mut b, &vec![7u8; 65_535]).unwrap();
    let before = b.clone();
    assert!(bundle::push_entry(&mut b, &vec![7u8; 65_536]).is_err());
    assert_eq!(b, before, "a refused entry leaves the bundle as it was");
    assert_eq!(
        bundle::parse_bundle(&b).unwrap(),
        vec![&vec![7u8; 65_535][..]]
    );
}

// ---------------------------------------------------------------------------
// RFC 8785 canonical JSON
// ---------------------------------------------------------------------------

/// Strings that exercise escaping and the UTF-16 versus code point order:
/// U+E000..U+FFFF sort after surrogate pairs in UTF-16, before them in
/// code point order.
fn json_string() -> impl Strategy<Value = String> {
    vec(
        prop_oneof![
            4 => proptest::char::range('a', 'e'),
            1 => proptest::char::range('\u{0}', '\u{1f}'),
            1 => prop_oneof![Just('"'), Just('\\'), Just('/'), Just('\u{7f}'), Just('\u{2028}')],
            1 => proptest::char::range('\u{80}', '\u{7ff}'),
            1 => proptest::char::range('\u{e000}', '\u{ffff}'),
            1 => proptest::char::range('\u{10000}', '\u{10ffff}'),
        ],
        0..6,
    )
    .prop_map(String::from_iter)
}

fn json_value() -> impl Strategy<Value = Value> {
    json_tree(true)
}

/// JSON values whose numbers are all integers within ±2^53 (or, when
/// `any_number`, also larger integers and non-integers).
fn json_tree(any_number: bool) -> impl Strategy<Value = Value> {
    let safe = 1i64 << 53;
    let safe_leaf = prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        4 => (-safe..=safe).prop_map(Value::from),
        1 => prop_oneof![Just(safe), Just(-safe), Just(0), Just(-1)].prop_map(Value::from),
        4 => json_string().prop_map(Value::String),
    ];
    let leaf = if any_number {
        prop_oneof![
            6 => safe_leaf,
            1 => prop_oneof![Just(safe + 1), Just(-safe - 1)].prop_map(Value::from),
            1 => any::<i64>().prop_map(Value::from),
            1 => any::<u64>().prop_map(Value::from),
            1 => any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        ]
        .boxed()
    } else {
        safe_leaf.boxed()
    };
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((json_string(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// RFC 8785 §3.2.2.2 string serialisation, written from the RFC.
fn ref_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether every number in `v` is an integer within ±2^53 (what the crate
/// promises to canonicalise).
fn all_numbers_safe(v: &Value) -> bool {
    match v {
        Value::Number(n) => {
            n.as_u64().is_some_and(|u| u <= 1 << 53)
                || n.as_i64().is_some_and(|i| i.unsigned_abs() <= 1 << 53)
        }
        Value::Array(a) => a.iter().all(all_numbers_safe),
        Value::Object(o) => o.values().all(all_numbers_safe),
        _ => true,
    }
}

proptest! {
    #![proptest_config(cfg(1024))]

    /// canonicalize succeeds exactly on the values it promises, its output
    /// parses back to the same value, is idempotent and is recognised as
    /// canonical.
    #[test]
    fn jcs_round_trip_and_idempotence(v in json_value()) {
        let got = jcs::canonicalize(&v);
        prop_assert_eq!(got.is_ok(), all_numbers_safe(&v), "{:?}", got);
        if let Ok(c) = got {
            let back: Value = serde_json::from_str(&c).unwrap();
            prop_assert_eq!(&back, &v);
            prop_assert_eq!(jcs::canonicalize(&back), Ok(c.clone()));
            prop_assert!(jcs::is_canonical(&c), "{}", c);
            // insignificant whitespace makes it non-canonical
            prop_assert!(!jcs::is_canonical(&format!(" {c}")), "!jcs::is_canonical(&format!(\" {{c}}\"))");
            prop_assert!(!jcs::is_canonical(&format!("{c}\n")), "!jcs::is_canonical(&format!(\"{{c}}\\n\"))");
        }
    }

    /// Members sorted by their names' UTF-16 code units, strings escaped as
    /// RFC 8785 says, compared with a reference serialisation.
    #[test]
    fn jcs_object_order_and_escaping(members in vec((json_string(), json_tree(false)), 0..12)) {
        let obj = Value::Object(members.iter().cloned().collect());
        prop_assume!(all_numbers_safe(&obj));
        let mut keys: Vec<&String> = obj.as_object().unwrap().keys().collect();
        keys.sort_by_key(|k| k.encode_utf16().collect::<Vec<u16>>());
        let body: Vec<String> = keys
            .iter()
            .map(|k| format!("{}:{}", ref_string(k), jcs::canonicalize(&obj[k.as_str()]).unwrap()))
            .collect();
        prop_assert_eq!(jcs::canonicalize(&obj).unwrap(), format!("{{{}}}", body.join(",")));
        for (k, _) in &members {
            prop_assert_eq!(jcs::canonicalize(&Value::String(k.clone())).unwrap(), ref_string(k));
        }
    }

    #[test]
    fn jcs_is_canonical_never_panics(s in prop_oneof![
        any::<String>(),
        "[\\[\\]{}\",:0-9a-z \\\\.eE+-]{0,40}",
    ]) {
        if jcs::is_canonical(&s) {
            let v: Value = serde_json::from_str(&s).unwrap();
            prop_assert_eq!(jcs::canonicalize(&v).unwrap(), s);
        }
    }
}

// ---------------------------------------------------------------------------
// Parsers never panic
// ---------------------------------------------------------------------------

/// The key the fuzz targets verify with (seed [7; 32], name below); kept
/// here so a seed corpus can be signed for it.
const FUZZ_NAME: &str = "fuzz.example/log";
const FUZZ_VKEY: &str = "fuzz.example/log+44c33050+AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs";

fn fuzz_key() -> (SigningKey, VerifierKey) {
    keypair(&[7u8; 32], FUZZ_NAME)
}

#[test]
fn fuzz_key_is_the_documented_one() {
    let (_, vk) = fuzz_key();
    assert_eq!(vk.to_string(), FUZZ_VKEY);
    assert_eq!(VerifierKey::parse(FUZZ_VKEY).unwrap(), vk);
}

/// Text that looks like a signed note: lines, blank lines, signature lines
/// with real and broken prefixes, names and base64.
fn noteish() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof!["[^\n]{0,20}", "[a-z0-9]{0,10}", Just(String::new())];
    let sig = (
        prop_oneof![Just("\u{2014} "), Just("\u{2014}"), Just("-- "), Just("")],
        prop_oneof![key_name(), "[^\n]{0,6}"],
        prop_oneof![Just(" "), Just(""), Just("  ")],
        prop_oneof![
            vec(any::<u8>(), 0..80).prop_map(|b| B64.encode(b)),
            "[A-Za-z0-9+/=]{0,100}",
        ],
    )
        .prop_map(|(dash, name, sp, b64)| format!("{dash}{name}{sp}{b64}"));
    (
        vec(line, 0..6),
        vec(sig, 0..4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(lines, sigs, blank, final_nl)| {
            let mut s = lines.join("\n");
            s.push('\n');
            if blank {
                s.push('\n');
            }
            s.push_str(&sigs.join("\n"));
            if final_nl {
                s.push('\n');
            }
            s.into_bytes()
        })
}

fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![vec(any::<u8>(), 0..300), noteish()]
}

proptest! {
    #![proptest_config(cfg(2048))]

    #[test]
    fn note_parsers_never_panic(b in any_bytes()) {
        let (_, vk) = fuzz_key();
        let parsed = note::parse_note(&b);
        let verified = vk.verify_note(&b);
        if verified.is_ok() {
            prop_assert!(parsed.is_ok());
        }
        let _ = Checkpoint::verify(&b, &vk);
        let s = String::from_utf8_lossy(&b);
        if let Ok(cp) = Checkpoint::parse_text(&s) {
            prop_assert_eq!(cp.to_text(), s.as_ref());
        }
        let _ = VerifierKey::parse(&s);
        let _ = bundle::parse_bundle(&b);
    }

    #[test]
    fn verifier_key_parse_never_panics(
        name in prop_oneof![key_name(), "[^+]{0,8}"],
        id in prop_oneof!["[0-9a-fA-F]{8}", "[0-9a-zA-Z+]{0,10}"],
        key in prop_oneof![vec(any::<u8>(), 0..40).prop_map(|b| B64.encode(b)), "[A-Za-z0-9+/=]{0,50}"],
        alg in any::<bool>(),
    ) {
        let key = if alg { B64.encode([&[1u8][..], &B64.decode(&key).unwrap_or_default()].concat()) } else { key };
        let _ = VerifierKey::parse(&format!("{name}+{id}+{key}"));
    }
}

// ---------------------------------------------------------------------------
// Proof documents (DESIGN contract 5)
// ---------------------------------------------------------------------------

fn any_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..10,
        any::<u64>(),
        Just(u64::MAX),
        Just(u64::MAX - 1),
        Just(1 << 63)
    ]
}

fn hashish() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<[u8; 32]>().prop_map(|h| encode_hash(&h)),
        1 => "[A-Za-z0-9+/=]{0,48}",
        1 => any::<String>(),
    ]
}

/// A checkpoint note: validly signed by the fuzz key (any size and root) or
/// note-like junk.
fn checkpointish() -> impl Strategy<Value = String> {
    prop_oneof![
        (any_u64(), any::<[u8; 32]>()).prop_map(|(size, root)| {
            let (sk, vk) = fuzz_key();
            let cp = Checkpoint {
                origin: FUZZ_NAME.into(),
                size,
                root,
                extensions: vec![],
            };
            signed_checkpoint(&sk, &vk, &cp)
        }),
        noteish().prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

proptest! {
    #![proptest_config(cfg(1024))]

    #[test]
    fn inclusion_documents_never_panic(
        origin in prop_oneof![Just(FUZZ_NAME.to_owned()), any::<String>()],
        index in any_u64(),
        size in any_u64(),
        entry in any::<String>(),
        leaf in hashish(),
        inclusion in vec(hashish(), 0..70),
        checkpoint in checkpointish(),
    ) {
        let (_, vk) = fuzz_key();
        let doc = InclusionProof { origin, index, size, entry, leaf_hash: leaf, inclusion, checkpoint };
        let json = serde_json::to_string(&doc).unwrap();
        let back: InclusionProof = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &doc);
        let _ = back.verify(&vk);
    }

    #[test]
    fn consistency_documents_never_panic(
        origin in prop_oneof![Just(FUZZ_NAME.to_owned()), any::<String>()],
        old_size in any_u64(),
        new_size in any_u64(),
        consistency in vec(hashish(), 0..70),
        old_checkpoint in checkpointish(),
        new_checkpoint in checkpointish(),
    ) {
        let (_, vk) = fuzz_key();
        let doc = ConsistencyProof { origin, old_size, new_size, consistency, old_checkpoint, new_checkpoint };
        let json = serde_json::to_string(&doc).unwrap();
        let back: ConsistencyProof = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &doc);
        let _ = back.verify(&vk);
    }

    #[test]
    fn proof_json_from_arbitrary_text_never_panics(s in prop_oneof![
        any::<String>(),
        json_value().prop_map(|v| v.to_string()),
        "\\{\"(origin|index|size|entry|leaf_hash|inclusion|checkpoint|old_size|new_size)\": ?[0-9\"\\[\\]a-z,:]{0,20}\\}",
    ]) {
        let (_, vk) = fuzz_key();
        if let Ok(p) = serde_json::from_str::<InclusionProof>(&s) {
            let _ = p.verify(&vk);
        }
        if let Ok(p) = serde_json::from_str::<ConsistencyProof>(&s) {
            let _ = p.verify(&vk);
        }
    }
}

/// A log of `n` distinct canonical-JSON entries signed by `sk`.
struct Log {
    entries: Vec<String>,
    leaves: Vec<Hash>,
}

impl Log {
    fn new(n: usize, tag: u64) -> Self {
        let entries: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    "{{\"action\":\"record.read\",\"i\":{i},\"tag\":{}}}",
                    tag % 1000
                )
            })
            .collect();
        let leaves = entries.iter().map(|e| leaf_hash(e.as_bytes())).collect();
        Log { entries, leaves }
    }
    fn checkpoint(
        &self,
        sk: &SigningKey,
        vk: &VerifierKey,
        size: usize,
        exts: &[String],
    ) -> (Checkpoint, String) {
        let cp = Checkpoint {
            origin: vk.name().to_owned(),
            size: size as u64,
            root: ref_mth(&self.leaves[..size]),
            extensions: exts.to_vec(),
        };
        let note = signed_checkpoint(sk, vk, &cp);
        (cp, note)
    }
}

proptest! {
    #![proptest_config(cfg(128))]

    /// A valid inclusion proof document verifies, survives JSON and extra
    /// fields, and any change to entry, leaf_hash, index, size, origin, a path
    /// element or the checkpoint is refused.
    #[test]
    fn inclusion_proof_documents(
        n in 1usize..300,
        idx in any::<Index>(),
        seed in any::<[u8; 32]>(),
        name in key_name(),
        exts in extensions(),
        salt in any::<u64>(),
    ) {
        let (sk, vk) = keypair(&seed, &name);
        let log = Log::new(n, salt);
        let (cp, note) = log.checkpoint(&sk, &vk, n, &exts);
        let i = idx.index(n);
        let doc = InclusionProof {
            origin: name.clone(),
            index: i as u64,
            size: n as u64,
            entry: log.entries[i].clone(),
            leaf_hash: encode_hash(&log.leaves[i]),
            inclusion: ref_path(i, &log.leaves).iter().map(encode_hash).collect(),
            checkpoint: note.clone(),
        };
        prop_assert_eq!(doc.verify(&vk), Ok(cp.clone()));
        let json = serde_json::to_string(&doc).unwrap();
        prop_assert_eq!(serde_json::from_str::<InclusionProof>(&json).unwrap().verify(&vk), Ok(cp.clone()));
        let mut v: Value = serde_json::from_str(&json).unwrap();
        v["record"] = serde_json::json!({"id": "r1", "version": 1});
        prop_assert_eq!(serde_json::from_value::<InclusionProof>(v).unwrap().verify(&vk), Ok(cp.clone()));

        let mut rng = Rng::new(salt);
        let refused = |d: &InclusionProof| d.verify(&vk).is_err();

        // entry
        for e in [format!("{} ", doc.entry), doc.entry[1..].to_owned(), String::new(), log.entries[(i + 1) % n].clone()] {
            if e != doc.entry {
                let d = InclusionProof { entry: e, ..doc.clone() };
                prop_assert!(refused(&d), "changed entry: {:?}", d.entry);
            }
        }
        // leaf_hash
        let leaf = log.leaves[i];
        for l in [
            encode_hash(&flip_bit(&leaf, rng.below(256) as usize)),
            encode_hash(&leaf).trim_end_matches('=').to_owned(),
            B64.encode(&leaf[..31]),
            String::new(),
            "not base64".to_owned(),
        ] {
            let d = InclusionProof { leaf_hash: l, ..doc.clone() };
            prop_assert!(refused(&d), "changed leaf_hash: {:?}", d.leaf_hash);
        }
        // index
        for j in (0..n as u64).chain([n as u64, u64::MAX]).filter(|&j| j != i as u64) {
            prop_assert!(refused(&InclusionProof { index: j, ..doc.clone() }), "index {}", j);
        }
        // size
        for s in [0, n as u64 - 1, n as u64 + 1, 2 * n as u64, u64::MAX] {
            if s != n as u64 {
                prop_assert!(refused(&InclusionProof { size: s, ..doc.clone() }), "size {}", s);
            }
        }
        // origin
        for o in [format!("{name}x"), String::new(), name.to_uppercase(), format!(" {name}")] {
            if o != name {
                let d = InclusionProof { origin: o, ..doc.clone() };
                prop_assert!(refused(&d), "changed origin: {:?}", d.origin);
            }
        }
        // path elements: a flipped bit, junk, one removed, one added
        for e in 0..doc.inclusion.len() {
            let mut d = doc.clone();
            let h = decode_hash(&d.inclusion[e]).unwrap();
            d.inclusion[e] = encode_hash(&flip_bit(&h, rng.below(256) as usize));
            prop_assert!(refused(&d), "element {}", e);
            d.inclusion[e] = "AAAA".to_owned();
            prop_assert!(refused(&d));
            let mut d = doc.clone();
            d.inclusion.remove(e);
            prop_assert!(refused(&d));
        }
        for e in 0..=doc.inclusion.len() {
            let mut d = doc.clone();
            d.inclusion.insert(e, encode_hash(&leaf));
            prop_assert!(refused(&d));
        }
        // the checkpoint: every single-byte change, another size, another
        // key, another origin, a root that is not the tree's
        for pos in 0..note.len() {
            let mut m = note.clone().into_bytes();
            m[pos] ^= if m[pos] < 0x80 { 1 + rng.below(127) as u8 } else { 1 + rng.below(255) as u8 };
            let Ok(m) = String::from_utf8(m) else { continue };
            prop_assert!(refused(&InclusionProof { checkpoint: m, ..doc.clone() }), "checkpoint byte {}", pos);
        }
        if n > 1 {
            let (_, other) = log.checkpoint(&sk, &vk, n - 1, &exts);
            let d = InclusionProof { checkpoint: other, ..doc.clone() };
            prop_assert!(refused(&d), "changed checkpoint: {:?}", d.checkpoint);
        }
        let elsewhere = Checkpoint { origin: format!("{name}x"), ..cp.clone() };
        let d = InclusionProof { checkpoint: signed_checkpoint(&sk, &vk, &elsewhere), ..doc.clone() };
        prop_assert!(refused(&d), "checkpoint of another origin");
        let mut seed2 = seed;
        seed2[31] ^= 0x80;
        let (sk2, vk2) = keypair(&seed2, &name);
        let (_, foreign) = log.checkpoint(&sk2, &vk2, n, &exts);
        let d = InclusionProof { checkpoint: foreign, ..doc.clone() };
        prop_assert!(refused(&d), "changed checkpoint: {:?}", d.checkpoint);
        let wrong_root = Checkpoint { root: flip_bit(&cp.root, 3), ..cp.clone() };
        let d = InclusionProof { checkpoint: signed_checkpoint(&sk, &vk, &wrong_root), ..doc.clone() };
        prop_assert!(refused(&d), "changed checkpoint: {:?}", d.checkpoint);
        let d = InclusionProof { checkpoint: cp.to_text(), ..doc.clone() };
        prop_assert!(refused(&d), "changed checkpoint: {:?}", d.checkpoint);
    }

    /// The same for consistency proof documents.
    #[test]
    fn consistency_proof_documents(
        n in 1usize..300,
        old in any::<Index>(),
        seed in any::<[u8; 32]>(),
        name in key_name(),
        salt in any::<u64>(),
    ) {
        let (sk, vk) = keypair(&seed, &name);
        let log = Log::new(n, salt);
        let m = old.index(n) + 1; // 1..=n
        let (old_cp, old_note) = log.checkpoint(&sk, &vk, m, &[]);
        let (new_cp, new_note) = log.checkpoint(&sk, &vk, n, &[]);
        let doc = ConsistencyProof {
            origin: name.clone(),
            old_size: m as u64,
            new_size: n as u64,
            consistency: ref_consistency(m, &log.leaves).iter().map(encode_hash).collect(),
            old_checkpoint: old_note.clone(),
            new_checkpoint: new_note.clone(),
        };
        prop_assert_eq!(doc.verify(&vk), Ok((old_cp.clone(), new_cp.clone())));
        let json = serde_json::to_string(&doc).unwrap();
        prop_assert_eq!(serde_json::from_str::<ConsistencyProof>(&json).unwrap().verify(&vk), Ok((old_cp, new_cp)));

        let mut rng = Rng::new(salt);
        let refused = |d: &ConsistencyProof| d.verify(&vk).is_err();
        let d = ConsistencyProof { origin: format!("{name}x"), ..doc.clone() };
        prop_assert!(refused(&d), "changed origin: {:?}", d.origin);
        for s in [0, m as u64 - 1, m as u64 + 1, u64::MAX] {
            if s != m as u64 {
                let d = ConsistencyProof { old_size: s, ..doc.clone() };
                prop_assert!(refused(&d), "changed old_size: {:?}", d.old_size);
            }
        }
        for s in [0, n as u64 - 1, n as u64 + 1, u64::MAX] {
            if s != n as u64 {
                let d = ConsistencyProof { new_size: s, ..doc.clone() };
                prop_assert!(refused(&d), "changed new_size: {:?}", d.new_size);
            }
        }
        for e in 0..doc.consistency.len() {
            let mut d = doc.clone();
            let h = decode_hash(&d.consistency[e]).unwrap();
            d.consistency[e] = encode_hash(&flip_bit(&h, rng.below(256) as usize));
            prop_assert!(refused(&d));
            let mut d = doc.clone();
            d.consistency.remove(e);
            prop_assert!(refused(&d));
        }
        let mut d = doc.clone();
        d.consistency.push(encode_hash(&log.leaves[0]));
        prop_assert!(refused(&d));
        if m != n {
            let swapped = ConsistencyProof {
                old_checkpoint: new_note.clone(),
                new_checkpoint: old_note.clone(),
                old_size: n as u64,
                new_size: m as u64,
                ..doc.clone()
            };
            prop_assert!(refused(&swapped), "old and new swapped");
        }
        for pos in 0..old_note.len() {
            let mut b = old_note.clone().into_bytes();
            b[pos] ^= if b[pos] < 0x80 { 1 + rng.below(127) as u8 } else { 1 + rng.below(255) as u8 };
            let Ok(b) = String::from_utf8(b) else { continue };
            let d = ConsistencyProof { old_checkpoint: b, ..doc.clone() };
            prop_assert!(refused(&d), "changed old_checkpoint: {:?}", d.old_checkpoint);
        }
        for pos in 0..new_note.len() {
            let mut b = new_note.clone().into_bytes();
            b[pos] ^= if b[pos] < 0x80 { 1 + rng.below(127) as u8 } else { 1 + rng.below(255) as u8 };
            let Ok(b) = String::from_utf8(b) else { continue };
            let d = ConsistencyProof { new_checkpoint: b, ..doc.clone() };
            prop_assert!(refused(&d), "changed new_checkpoint: {:?}", d.new_checkpoint);
        }
    }
}
