//! Bad input, named by failure (age/CCTV style): each is refused with a
//! precise error and nothing else happens (these are pure functions).
use ed25519_dalek::{Signer, SigningKey};
use probant_verify::{
    checkpoint::Checkpoint,
    hash::leaf_hash,
    note::{self, VerifierKey},
    Error,
};

const NAME: &str = "probant.example/journal";

fn signed(size: u64) -> (VerifierKey, String) {
    let sk = SigningKey::from_bytes(&[3u8; 32]);
    let cp = Checkpoint {
        origin: NAME.into(),
        size,
        root: leaf_hash(b"x"),
        extensions: vec![],
    };
    let text = cp.to_text();
    let vk = VerifierKey::new(NAME, &sk.verifying_key().to_bytes()).unwrap();
    let sig = sk.sign(text.as_bytes()).to_bytes();
    (vk.clone(), note::assemble(&text, NAME, vk.id(), &sig))
}

#[test]
fn valid_checkpoint_verifies() {
    let (vk, note) = signed(42);
    assert_eq!(Checkpoint::verify(note.as_bytes(), &vk).unwrap().size, 42);
}

#[test]
fn checkpoint_with_a_bad_signature() {
    let (vk, note) = signed(42);
    let forged = note.replacen("\n42\n", "\n43\n", 1);
    assert!(matches!(
        Checkpoint::verify(forged.as_bytes(), &vk),
        Err(Error::BadSignature { .. })
    ));
}

#[test]
fn checkpoint_under_a_foreign_key() {
    let (_, note) = signed(42);
    let other = SigningKey::from_bytes(&[4u8; 32]);
    let foreign = VerifierKey::new(NAME, &other.verifying_key().to_bytes()).unwrap();
    assert!(matches!(
        Checkpoint::verify(note.as_bytes(), &foreign),
        Err(Error::NoSignatureByKey { .. })
    ));
}

#[test]
fn checkpoint_text_malformations() {
    for text in [
        "o\n01\nAAAA\n",
        "o\n1\n",
        "\n1\nAA==\n",
        "o\n-1\nAA==\n",
        "o\n1\nnot base64!\n",
        "o\n1\nAAAA\n",
        "o\n1\n2Ihz1dNzQkrAYsFq+ll9UQ+hTQ3U6fd8YbJi2aA0QTE=",
    ] {
        assert!(Checkpoint::parse_text(text).is_err(), "{text:?}");
    }
}

#[test]
fn note_malformations() {
    let (vk, note) = signed(1);
    let cases = [
        note.trim_end().to_string(),
        note.replace("\u{2014}", "-"),
        note.replace("\n\n", "\n"),
        note.replace(NAME, "bad name"),
        format!("{note}\u{1}"),
    ];
    for c in cases {
        assert!(vk.verify_note(c.as_bytes()).is_err(), "{c:?}");
    }
}

#[test]
fn verifier_key_malformations() {
    let (vk, _) = signed(1);
    let good = vk.to_string();
    let (name, rest) = good.split_once('+').unwrap();
    let (id, key) = rest.split_once('+').unwrap();
    for bad in [
        format!("{name}+{id}"),
        format!("{name}+0000000+{key}"),
        format!("{name}+ffffffff+{key}"),
        format!("other+{id}+{key}"),
        format!("{name}+{id}+{}", &key[..key.len() - 4]),
        format!("{name}+{id}+AmFiYw=="),
    ] {
        assert!(VerifierKey::parse(&bad).is_err(), "{bad}");
    }
    assert_eq!(VerifierKey::parse(&good).unwrap(), vk);
}
