//! A real home for the access tests: key ring, journal, SQLite catalog,
//! local blobs, the access state and the Cedar gate — nothing mocked.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use probant_access::{Access, CedarGate};
use probant_blobs::LocalBlobStore;
use probant_catalog_sqlite::SqliteCatalog;
use probant_crypto::{create_key_file, KeyRing, MasterKeySource};
use probant_journal::{Actor, ActorKind, Journal, Options};
use probant_vault::{
    Ctx, Gate, IngestRequest, Institution, Operation, Policy, Target, Vault, Verdict,
};

pub const HOME_ID: &str = "access-test-home";
pub const ADMIN: &str = "alice";
pub const APPROVER: &str = "bob";
pub const NISS: &str = "85073003328";

/// Forwards to the Cedar gate in force, so that a test can change the
/// register or the policy between requests (as `policy apply` and `users add`
/// do between processes). Every decision is the real gate's.
#[derive(Default)]
pub struct Current(pub RwLock<Option<Arc<CedarGate>>>);

impl Gate for Current {
    fn decide(&self, ctx: &Ctx, op: Operation, target: &Target<'_>) -> Verdict {
        match self.0.read().unwrap().as_ref() {
            Some(g) => g.decide(ctx, op, target),
            None => Verdict::Deny(probant_vault::Refusal {
                code: "no-gate".into(),
                message: "no gate".into(),
            }),
        }
    }
}

pub struct Home {
    pub tmp: tempfile::TempDir,
    pub access: Access,
    pub vault: Vault,
    pub current: Arc<Current>,
}

pub fn policy() -> Policy {
    Policy {
        accept_unvalidated_formats: false,
        max_validated_in_memory: 64 << 20,
        ..Policy::for_institution(Institution {
            controller: "Institution".into(),
            executor: "IT".into(),
            place: "Brussels".into(),
        })
    }
}

impl Home {
    pub fn new() -> Home {
        let tmp = tempfile::tempdir().unwrap();
        let key = tmp.path().join("keys/home.key");
        let home = tmp.path().join("home");
        create_key_file(&key).unwrap();
        std::fs::create_dir_all(home.join("blobs")).unwrap();
        let source = MasterKeySource::KeyFile(key);
        let ring = KeyRing::create(&home.join("keyring.json"), HOME_ID, &source).unwrap();
        let (signer, sealer) = probant_journal::keyring::journal_keys(&ring).unwrap();
        let journal = Journal::create(
            &home.join("journal"),
            "access.test/log",
            signer,
            sealer,
            Options::default(),
        )
        .unwrap();
        let (access, _creds) = Access::create(
            &home,
            HOME_ID,
            &ring,
            Policy::default_classifications(),
            ADMIN,
            Some(APPROVER),
        )
        .unwrap();
        let current = Arc::new(Current::default());
        *current.0.write().unwrap() = Some(access.gate().unwrap());
        let vault = Vault::new(
            Arc::new(journal),
            Box::new(SqliteCatalog::open(&home.join("catalog.sqlite")).unwrap()),
            Box::new(LocalBlobStore::open(&home.join("blobs")).unwrap()),
            ring,
            policy(),
            current.clone(),
        )
        .unwrap();
        Home {
            tmp,
            access,
            vault,
            current,
        }
    }

    pub fn dir(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    /// Puts the access state's current gate in force.
    pub fn refresh(&self) {
        *self.current.0.write().unwrap() = Some(self.access.gate().unwrap());
    }

    pub fn set_gate(&self, gate: CedarGate) {
        *self.current.0.write().unwrap() = Some(Arc::new(gate));
    }

    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.tmp.path().join("in").join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    pub fn ingest(&self, doc_type: &str, classification: &str) -> String {
        let req = IngestRequest {
            source: self.file(&format!("{doc_type}-{classification}.txt"), b"some text\n"),
            subject: NISS.into(),
            doc_type: doc_type.into(),
            original_id: format!("ORIG-{doc_type}-{classification}"),
            classification: classification.into(),
            retention: "default".into(),
            ..IngestRequest::default()
        };
        self.vault
            .ingest(&person_ctx(ADMIN, "capture", "own-records"), &req)
            .unwrap()
            .record_id
    }

    /// Journal size (everything appended is durable and integrated).
    pub fn size(&self) -> u64 {
        self.vault.journal().sync().unwrap().size
    }

    pub fn entries(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        self.vault.journal().sync().unwrap();
        self.vault
            .journal()
            .read_entries(0, None, |_, e| {
                out.push(serde_json::from_slice(e).unwrap());
                Ok(())
            })
            .unwrap();
        out
    }

    pub fn last_entry(&self) -> serde_json::Value {
        self.entries().pop().unwrap()
    }

    pub fn out(&self, name: &str) -> PathBuf {
        self.tmp.path().join("out").join(name)
    }
}

pub fn ctx(actor: Actor, purpose: &str, legal_basis: &str) -> Ctx {
    Ctx {
        actor,
        purpose: Some(purpose.into()),
        legal_basis: Some(legal_basis.into()),
        channel: "test".into(),
    }
}

pub fn person(id: &str) -> Actor {
    Actor {
        id: id.into(),
        kind: ActorKind::Person,
        on_behalf_of: None,
        auth: "test".into(),
    }
}

pub fn program(id: &str, on_behalf_of: Option<&str>) -> Actor {
    Actor {
        id: id.into(),
        kind: ActorKind::Program,
        on_behalf_of: on_behalf_of.map(str::to_owned),
        auth: "test".into(),
    }
}

pub fn person_ctx(id: &str, purpose: &str, legal_basis: &str) -> Ctx {
    ctx(person(id), purpose, legal_basis)
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}
