//! # probant-access — who may do what, and who did
//!
//! The access layer of a Probant home (DESIGN "policy"; N-5.6.3–N-5.6.6,
//! N-5.5.1, N-5.9.5, N-5.9.6, N-5.11.2, CC-8):
//! - **identities**: a register of persons and programs with roles,
//!   clearance and institution; each authenticates with its own credential,
//!   of which the home keeps only a verifier ([`Access::authenticate`]);
//! - **authorisation**: [`CedarGate`], the vault's gate, decides every
//!   request with the Cedar policies and the legal-basis register in force
//!   (`probant-policy`); the vault journals each decision;
//! - **policy versions**: schema, policies and register are validated whole,
//!   stored as a new version, and each change is journaled with the old and
//!   new hashes ([`Access::apply_policy`]);
//! - **journal consultation** (contract 7): request → approval or refusal by
//!   another approver → one run by the requester, every step journaled;
//!   the DPO's "who accessed the data of person X" report on top;
//! - **access report** (CC-8): who may access which data categories, under
//!   which legal basis and role, and who holds each role.
//!
//! State lives under `<home>/access/`, sealed under the home's key ring.
#![forbid(unsafe_code)]

mod consult;
mod error;
mod gate;
mod policy_store;
mod sealed;
mod users;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use probant_crypto::{Credential, KeyPurpose, KeyRing, Sealer};
use probant_journal::{Actor, ActorKind, Clock, Outcome, Resource};
use probant_policy::{AccessLine, PrincipalKind, BOOTSTRAP_ROLES};
use probant_vault::{Ctx, Grant, Operation, Refusal, Target, Vault, Verdict};
use serde::Serialize;
use serde_json::json;

pub use consult::{AccessEvent, Consultation, Consultations, Scope, State, ACCESS_ACTIONS};
pub use error::Error;
pub use gate::{action_of, today_in_belgium, CedarGate};
pub use policy_store::{parse_legal_bases, PolicyVersion};
pub use users::{NewUser, User, Users};

/// How an actor authenticated with a local credential (journal `actor.auth`).
pub const LOCAL_CREDENTIAL: &str = "local-credential";

/// The access state of one home.
pub struct Access {
    dir: PathBuf,
    home_id: String,
    sealer: Sealer,
    levels: Vec<String>,
    users: Arc<Users>,
    policy: PolicyVersion,
}

/// What `policy apply` changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyChange {
    /// Version before.
    pub old_version: u32,
    /// Its hash.
    pub old_hash: String,
    /// Version now in force.
    pub new_version: u32,
    /// Its hash.
    pub new_hash: String,
    /// The journal entry recording the change.
    pub journal_index: u64,
}

/// The CC-8 report.
#[derive(Clone, Debug, Serialize)]
pub struct AccessReport {
    /// The policy version it describes.
    pub policy_version: u32,
    /// Its hash.
    pub policy_hash: String,
    /// Who may do what on which data category under which legal basis.
    pub grants: Vec<AccessLine>,
    /// Who holds each role (user and program ids).
    pub roles: BTreeMap<String, Vec<String>>,
}

/// A candidate policy: the parts given replace those in force.
#[derive(Clone, Debug, Default)]
pub struct PolicyCandidate {
    /// New Cedar schema text.
    pub schema: Option<String>,
    /// New Cedar policy text.
    pub policies: Option<String>,
    /// New legal-basis register.
    pub legal_bases: Option<Vec<probant_policy::LegalBasis>>,
}

fn now() -> String {
    probant_journal::entry::format_time(probant_journal::SystemClock.now_micros())
}

impl Access {
    fn file(&self, name: &str, role: &'static str) -> sealed::SealedFile<'_> {
        sealed::SealedFile {
            path: self.dir.join(name),
            role,
            home_id: &self.home_id,
            sealer: &self.sealer,
        }
    }

    fn policy_file(&self, version: u32) -> sealed::SealedFile<'_> {
        self.file(&format!("policy/v{version:06}.sealed"), "policy")
    }

    fn users_file(&self) -> sealed::SealedFile<'_> {
        self.file("users.sealed", "users")
    }

    fn consultations_file(&self) -> sealed::SealedFile<'_> {
        self.file("consultations.sealed", "consultations")
    }

    /// Creates the access state of a new home (DESIGN contract 6): the
    /// shipped policy with the `own-records` legal basis, the bootstrap
    /// actor with [`BOOTSTRAP_ROLES`] and the highest clearance, and, if
    /// given, an approver of journal consultations with the lowest. Returns
    /// the credentials to hand over (the home keeps only their verifiers).
    pub fn create(
        home: &Path,
        home_id: &str,
        ring: &KeyRing,
        levels: Vec<String>,
        bootstrap: &str,
        approver: Option<&str>,
    ) -> Result<(Self, Vec<Credential>), Error> {
        let mut access = Self::new(home, home_id, ring, levels)?;
        let today = today_in_belgium();
        let policy = PolicyVersion::bootstrap(&today, &now(), bootstrap);
        policy.authorizer(&access.levels)?;
        let highest = access.levels.last().cloned().unwrap_or_default();
        let lowest = access.levels.first().cloned().unwrap_or_default();
        let mut people = vec![NewUser {
            id: bootstrap.into(),
            roles: BOOTSTRAP_ROLES.map(String::from).to_vec(),
            clearance: highest,
            ..NewUser::default()
        }];
        if let Some(a) = approver {
            if a == bootstrap {
                return Err(Error::invalid(
                    "--approver",
                    "the approver must be another person than the one who runs init (N-5.9.5)",
                ));
            }
            people.push(NewUser {
                id: a.into(),
                roles: vec!["approver".into()],
                clearance: lowest,
                ..NewUser::default()
            });
        }
        let mut users = Users {
            format: 1,
            ..Users::default()
        };
        let mut credentials = Vec::new();
        for p in &people {
            credentials.push(register(&mut users, p, &access.levels, home_id, bootstrap)?);
        }
        std::fs::create_dir_all(access.dir.join("policy")).map_err(Error::io(&access.dir))?;
        access.policy_file(1).create(&policy)?;
        access.users_file().store(&users)?;
        access
            .consultations_file()
            .store(&Consultations::default())?;
        access.users = Arc::new(users);
        access.policy = policy;
        Ok((access, credentials))
    }

    fn new(home: &Path, home_id: &str, ring: &KeyRing, levels: Vec<String>) -> Result<Self, Error> {
        Ok(Self {
            dir: home.join("access"),
            home_id: home_id.into(),
            sealer: ring.sealer(KeyPurpose::CatalogEncryption)?,
            levels,
            users: Arc::new(Users::default()),
            policy: PolicyVersion::bootstrap("", "", ""),
        })
    }

    /// Opens the access state of a home; refuses damaged or altered files
    /// and a broken chain of policy versions (fail closed).
    pub fn open(
        home: &Path,
        home_id: &str,
        ring: &KeyRing,
        levels: Vec<String>,
    ) -> Result<Self, Error> {
        let mut access = Self::new(home, home_id, ring, levels)?;
        access.users = Arc::new(access.users_file().load()?.ok_or_else(|| Error::Damaged {
            file: access.dir.join("users.sealed").display().to_string(),
            detail: "missing".into(),
        })?);
        access.policy = access.load_policy_chain()?;
        Ok(access)
    }

    /// Loads every policy version in order, checking that each names its
    /// predecessor's hash; returns the latest.
    fn load_policy_chain(&self) -> Result<PolicyVersion, Error> {
        let mut current: Option<PolicyVersion> = None;
        for v in 1.. {
            let Some(p) = self.policy_file(v).load::<PolicyVersion>()? else {
                break;
            };
            let expected = current.as_ref().map(PolicyVersion::hash);
            if p.version != v || p.previous != expected {
                return Err(Error::Damaged {
                    file: self.policy_file(v).path.display().to_string(),
                    detail: "the chain of policy versions is broken".into(),
                });
            }
            current = Some(p);
        }
        current.ok_or_else(|| Error::Damaged {
            file: self.policy_file(1).path.display().to_string(),
            detail: "no policy version".into(),
        })
    }

    /// The gate deciding with the policy in force and the register.
    pub fn gate(&self) -> Result<Arc<CedarGate>, Error> {
        Ok(Arc::new(CedarGate::new(
            self.policy.authorizer(&self.levels)?,
            self.users.clone(),
        )))
    }

    /// The register.
    pub fn users(&self) -> &Users {
        &self.users
    }

    /// The policy in force.
    pub fn policy(&self) -> &PolicyVersion {
        &self.policy
    }

    /// Authenticates `actor_id` with `credential` (N-5.6.3): the id must be
    /// registered, the credential must be its own for this home, and only a
    /// program names a person it acts for. The refusal is for the caller to
    /// journal ([`Vault::refuse`]).
    pub fn authenticate(
        &self,
        actor_id: &str,
        credential: Result<Credential, probant_crypto::Error>,
        on_behalf_of: Option<&str>,
    ) -> Result<Actor, Refusal> {
        let refuse = |code: &str, message: String| Refusal {
            code: code.into(),
            message,
        };
        let Some(user) = self.users.get(actor_id) else {
            return Err(refuse("unknown-principal", format!(
                "actor {actor_id:?} is not registered in this home: an administrator registers it with `probant users add {actor_id} --role …`"
            )));
        };
        let credential = credential.map_err(|e| refuse("no-credential", e.to_string()))?;
        if !credential.matches(&self.home_id, actor_id, &user.credential_verifier) {
            return Err(refuse(
                "bad-credential",
                format!("the credential given is not {actor_id:?}'s credential for this home"),
            ));
        }
        let kind = match user.kind {
            PrincipalKind::Person if on_behalf_of.is_some() => {
                return Err(refuse(
                    "person-on-behalf-of",
                    "only a program acts on behalf of a person (--on-behalf-of)".into(),
                ))
            }
            PrincipalKind::Person => ActorKind::Person,
            PrincipalKind::Program => ActorKind::Program,
        };
        Ok(Actor {
            id: actor_id.into(),
            kind,
            on_behalf_of: on_behalf_of.map(str::to_owned),
            auth: LOCAL_CREDENTIAL.into(),
        })
    }

    /// Registers a person or program (N-5.6.5: administrators only);
    /// journaled as `user.add`. Returns its credential, to hand over.
    pub fn add_user(
        &mut self,
        vault: &Vault,
        ctx: &Ctx,
        new: &NewUser,
    ) -> Result<Credential, Error> {
        let grant = vault.authorize_system(ctx, Operation::ManageUsers)?;
        let mut users = (*self.users).clone();
        let credential = register(&mut users, new, &self.levels, &self.home_id, &ctx.actor.id)?;
        let mut e = vault.granted_event(ctx, Operation::ManageUsers, &grant, Resource::default());
        e.action = "user.add".into();
        Vault::add_details(
            &mut e,
            json!({ "user": new.id, "kind": if new.program { "program" } else { "person" },
                    "roles": new.roles, "clearance": new.clearance, "institution": new.institution,
                    "insz_registered": new.insz.is_some() }),
        );
        vault.journal().append(&e)?;
        self.users_file().store(&users)?;
        self.users = Arc::new(users);
        Ok(credential)
    }

    /// Removes a user (its credential stops working); journaled.
    pub fn remove_user(&mut self, vault: &Vault, ctx: &Ctx, id: &str) -> Result<(), Error> {
        let grant = vault.authorize_system(ctx, Operation::ManageUsers)?;
        if id == ctx.actor.id {
            return Err(Error::Users(
                "an administrator cannot remove itself: ask another administrator".into(),
            ));
        }
        let mut users = (*self.users).clone();
        if users.users.remove(id).is_none() {
            return Err(Error::Users(format!("no user {id:?}")));
        }
        let mut e = vault.granted_event(ctx, Operation::ManageUsers, &grant, Resource::default());
        e.action = "user.remove".into();
        Vault::add_details(&mut e, json!({ "user": id }));
        vault.journal().append(&e)?;
        self.users_file().store(&users)?;
        self.users = Arc::new(users);
        Ok(())
    }

    /// The register, for an administrator or an auditor; journaled.
    pub fn list_users(&self, vault: &Vault, ctx: &Ctx) -> Result<Vec<User>, Error> {
        let grant = self.audit_or_manage_users(vault, ctx)?;
        let mut e = vault.granted_event(ctx, Operation::Audit, &grant, Resource::default());
        e.action = "user.list".into();
        vault.journal().append(&e)?;
        Ok(self.users.users.values().cloned().collect())
    }

    fn audit_or_manage_users(&self, vault: &Vault, ctx: &Ctx) -> Result<Grant, Error> {
        let first = vault
            .gate()
            .decide(ctx, Operation::ManageUsers, &Target::default());
        let verdict = match first {
            Verdict::Permit(_) => first,
            Verdict::Deny(_) => vault
                .gate()
                .decide(ctx, Operation::Audit, &Target::default()),
        };
        Ok(vault.settle(ctx, Operation::Audit, verdict, Resource::default())?)
    }

    /// Builds and validates a candidate version (nothing is stored).
    pub fn validate_policy(
        &self,
        candidate: &PolicyCandidate,
        by: &str,
    ) -> Result<PolicyVersion, Error> {
        let next = PolicyVersion {
            version: self.policy.version + 1,
            schema: candidate
                .schema
                .clone()
                .unwrap_or_else(|| self.policy.schema.clone()),
            policies: candidate
                .policies
                .clone()
                .unwrap_or_else(|| self.policy.policies.clone()),
            legal_bases: candidate
                .legal_bases
                .clone()
                .unwrap_or_else(|| self.policy.legal_bases.clone()),
            applied: now(),
            applied_by: by.into(),
            previous: Some(self.policy.hash()),
        };
        next.authorizer(&self.levels)?;
        Ok(next)
    }

    /// Validates and applies a candidate (N-5.6.5: administrators only);
    /// the change is journaled (`policy.apply`, old and new hashes) before
    /// the new version is stored.
    pub fn apply_policy(
        &mut self,
        vault: &Vault,
        ctx: &Ctx,
        candidate: &PolicyCandidate,
    ) -> Result<PolicyChange, Error> {
        let grant = vault.authorize_system(ctx, Operation::ManagePolicy)?;
        let next = self.validate_policy(candidate, &ctx.actor.id)?;
        let (old_hash, new_hash) = (self.policy.hash(), next.hash());
        let mut e = vault.granted_event(ctx, Operation::ManagePolicy, &grant, Resource::default());
        Vault::add_details(
            &mut e,
            json!({ "old_version": self.policy.version, "old_hash": old_hash,
                    "new_version": next.version, "new_hash": new_hash,
                    "legal_bases": next.legal_bases.len() }),
        );
        let receipt = vault.journal().append(&e)?;
        self.policy_file(next.version).create(&next)?;
        let change = PolicyChange {
            old_version: self.policy.version,
            old_hash,
            new_version: next.version,
            new_hash,
            journal_index: receipt.index,
        };
        self.policy = next;
        Ok(change)
    }

    /// The policy in force, for an auditor or administrator; journaled.
    pub fn show_policy(&self, vault: &Vault, ctx: &Ctx) -> Result<&PolicyVersion, Error> {
        self.audit(vault, ctx, "policy.show")?;
        Ok(&self.policy)
    }

    fn audit(&self, vault: &Vault, ctx: &Ctx, action: &str) -> Result<Grant, Error> {
        let grant = vault.authorize_system(ctx, Operation::Audit)?;
        let mut e = vault.granted_event(ctx, Operation::Audit, &grant, Resource::default());
        e.action = action.into();
        Vault::add_details(
            &mut e,
            json!({ "policy_version": self.policy.version, "policy_hash": self.policy.hash() }),
        );
        vault.journal().append(&e)?;
        Ok(grant)
    }

    /// The CC-8 access report; journaled.
    pub fn access_report(&self, vault: &Vault, ctx: &Ctx) -> Result<AccessReport, Error> {
        self.audit(vault, ctx, "access.report")?;
        let authorizer = self.policy.authorizer(&self.levels)?;
        Ok(AccessReport {
            policy_version: self.policy.version,
            policy_hash: self.policy.hash(),
            grants: authorizer.access_report(),
            roles: self.users.by_role(),
        })
    }

    /// Requests a journal consultation (contract 7); journaled. The scope's
    /// subject is the pseudonym (the caller computes it from the number).
    pub fn consult_request(
        &self,
        vault: &Vault,
        ctx: &Ctx,
        reason: &str,
        scope: Scope,
    ) -> Result<Consultation, Error> {
        if reason.trim().is_empty() || reason.len() > 1024 || reason.chars().any(char::is_control) {
            return Err(Error::invalid(
                "--reason",
                "1 to 1024 characters, no control characters",
            ));
        }
        check_scope(&scope)?;
        let grant = vault.authorize_system(ctx, Operation::ConsultRequest)?;
        let id = uuid::Uuid::now_v7().to_string();
        let mut e = vault.granted_event(
            ctx,
            Operation::ConsultRequest,
            &grant,
            scope_resource(&scope),
        );
        Vault::add_details(
            &mut e,
            json!({ "consultation": id, "reason": reason, "scope": scope }),
        );
        let receipt = vault.journal().append(&e)?;
        let c = Consultation {
            id,
            requester: ctx.actor.id.clone(),
            reason: reason.into(),
            scope,
            requested: now(),
            request_entry: receipt.index,
            state: State::Requested,
        };
        let mut all = self.consultations()?;
        all.items.push(c.clone());
        self.consultations_file().store(&all)?;
        Ok(c)
    }

    fn consultations(&self) -> Result<Consultations, Error> {
        Ok(self.consultations_file().load()?.unwrap_or_default())
    }

    fn find(&self, id: &str) -> Result<(Consultations, Consultation), Error> {
        let all = self.consultations()?;
        let c = all
            .items
            .iter()
            .find(|c| c.id == id)
            .cloned()
            .ok_or_else(|| Error::Consultation(format!("no consultation {id:?}")))?;
        Ok((all, c))
    }

    /// Approves (`refusal: None`) or refuses a requested consultation, by an
    /// approver other than its requester (N-5.9.5); journaled.
    pub fn consult_decide(
        &self,
        vault: &Vault,
        ctx: &Ctx,
        id: &str,
        refusal: Option<&str>,
    ) -> Result<Consultation, Error> {
        if let Some(r) = refusal {
            if r.trim().is_empty() || r.len() > 1024 || r.chars().any(char::is_control) {
                return Err(Error::invalid(
                    "--reason",
                    "say why the request is refused (1 to 1024 characters)",
                ));
            }
        }
        let (mut all, c) = self.find(id)?;
        let target = Target {
            requester: Some(&c.requester),
            ..Target::default()
        };
        let grant = vault.authorize_target(ctx, Operation::ConsultApprove, &target)?;
        let mut e = vault.granted_event(
            ctx,
            Operation::ConsultApprove,
            &grant,
            scope_resource(&c.scope),
        );
        e.action = if refusal.is_some() {
            "consult.refuse"
        } else {
            "consult.approve"
        }
        .into();
        Vault::add_details(
            &mut e,
            json!({ "consultation": id, "requester": c.requester, "reason": refusal }),
        );
        if c.state != State::Requested {
            e.outcome = Outcome::Failure;
            vault.journal().append(&e)?;
            return Err(Error::Consultation(format!(
                "consultation {id} is not awaiting a decision ({})",
                state_name(&c.state)
            )));
        }
        vault.journal().append(&e)?;
        let at = now();
        let by = ctx.actor.id.clone();
        let state = match refusal {
            None => State::Approved { by, at },
            Some(r) => State::Refused {
                by,
                at,
                refusal: r.into(),
            },
        };
        let item = all
            .get_mut(id)
            .ok_or_else(|| Error::Consultation(format!("no consultation {id:?}")))?;
        item.state = state;
        let out = item.clone();
        self.consultations_file().store(&all)?;
        Ok(out)
    }

    /// Runs an approved consultation, once, for its requester: the run is
    /// journaled durably, the consultation marked executed, then each entry
    /// in scope (and within `from..to`, if given) is passed to `sink` as
    /// its canonical JSON bytes. Returns how many were passed.
    pub fn consult_run(
        &self,
        vault: &Vault,
        ctx: &Ctx,
        id: &str,
        range: (u64, Option<u64>),
        sink: &mut dyn FnMut(u64, &[u8]) -> std::io::Result<()>,
    ) -> Result<u64, Error> {
        let (mut all, c) = self.find(id)?;
        let target = Target {
            requester: Some(&c.requester),
            ..Target::default()
        };
        let grant = vault.authorize_target(ctx, Operation::ConsultRun, &target)?;
        let size = vault.journal().sync()?.size;
        let (from, to) = (range.0, range.1.unwrap_or(size).min(size));
        let mut e =
            vault.granted_event(ctx, Operation::ConsultRun, &grant, scope_resource(&c.scope));
        Vault::add_details(
            &mut e,
            json!({ "consultation": id, "from": from, "to": to }),
        );
        let blocked = match &c.state {
            State::Approved { .. } if from > to => Some(format!(
                "--from {from} is after the end of the journal ({to})"
            )),
            State::Approved { .. } => None,
            State::Requested => Some("it is not approved yet".to_owned()),
            State::Refused { .. } => Some("it was refused".to_owned()),
            State::Executed { .. } => {
                Some("it was run already (a consultation runs once)".to_owned())
            }
        };
        if let Some(why) = blocked {
            // Permitted but not possible: still this request's one entry.
            e.outcome = Outcome::Failure;
            Vault::add_details(&mut e, json!({ "refused": why }));
            vault.journal().append(&e)?;
            return Err(Error::Consultation(format!(
                "consultation {id} cannot be run: {why}"
            )));
        }
        // N-5.9.5: the consultation is in the journal, and marked executed,
        // before any entry is shown.
        vault.journal().append(&e)?;
        if let Some(item) = all.get_mut(id) {
            if let State::Approved { by, .. } = &item.state {
                item.state = State::Executed {
                    approved_by: by.clone(),
                    at: now(),
                };
            }
        }
        self.consultations_file().store(&all)?;
        stream_scope(vault, &c.scope, (from, to), sink)
    }

    /// Consultations, for the DPO, approvers and auditors; journaled.
    pub fn consult_list(&self, vault: &Vault, ctx: &Ctx) -> Result<Vec<Consultation>, Error> {
        let gate = vault.gate();
        let none = Target::default();
        // Approvers must see what awaits them; requesters what they asked.
        let asker = Target {
            requester: Some("\u{0}listing"),
            ..none
        };
        let verdict = [
            gate.decide(ctx, Operation::ConsultRequest, &none),
            gate.decide(ctx, Operation::ConsultApprove, &asker),
            gate.decide(ctx, Operation::Audit, &none),
        ]
        .into_iter()
        .reduce(|a, b| {
            if matches!(a, Verdict::Permit(_)) {
                a
            } else {
                b
            }
        })
        .unwrap_or(Verdict::Deny(Refusal {
            code: "not-permitted".into(),
            message: String::new(),
        }));
        let grant = vault.settle(ctx, Operation::ConsultRequest, verdict, Resource::default())?;
        let mut e =
            vault.granted_event(ctx, Operation::ConsultRequest, &grant, Resource::default());
        e.action = "consult.list".into();
        vault.journal().append(&e)?;
        Ok(self.consultations()?.items)
    }
}

impl Access {
    /// Cross-checks the access state against the journal (AR-20.5, N-5.9.5):
    /// the registered ids must be exactly those the journal registered
    /// (`home.init`, `user.add`) and did not remove (`user.remove`), and the
    /// policy in force must be the last one journaled (`home.init`,
    /// `policy.apply`). Each file is authentic on its own (sealed); this
    /// catches a whole file put back from an older backup. Reads the journal
    /// up to its latest checkpoint; returns each problem found.
    pub fn check_against_journal(&self, vault: &Vault) -> Result<Vec<String>, Error> {
        let mut users = std::collections::BTreeSet::new();
        let mut policy: Option<String> = None;
        vault.journal().sync()?;
        vault.journal().read_entries(0, None, |_, bytes| {
            let e: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
            if e["outcome"] != "success" {
                return Ok(());
            }
            let d = &e["details"];
            let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
            match e["action"].as_str().unwrap_or_default() {
                "home.init" => {
                    users.extend(text(&d["administrator"]));
                    users.extend(text(&d["approver"]));
                    policy = text(&d["policy_hash"]);
                }
                "user.add" => users.extend(text(&d["user"])),
                "user.remove" => {
                    if let Some(u) = text(&d["user"]) {
                        users.remove(&u);
                    }
                }
                "policy.apply" => policy = text(&d["new_hash"]).or(policy.take()),
                _ => {}
            }
            Ok(())
        })?;
        let mut problems = Vec::new();
        let registered: std::collections::BTreeSet<String> =
            self.users.users.keys().cloned().collect();
        for id in registered.difference(&users) {
            problems.push(format!(
                "access/users.sealed: {id:?} is registered, but by the journal it is not (never added, or removed since): restored from an older state, or forged"
            ));
        }
        for id in users.difference(&registered) {
            problems.push(format!(
                "access/users.sealed: {id:?} was registered in the journal but is missing (restored from an older state?)"
            ));
        }
        let current = self.policy.hash();
        if policy.as_deref() != Some(current.as_str()) {
            problems.push(format!(
                "access/policy: the version in force ({} {current}) is not the last one journaled ({})",
                self.policy.version,
                policy.as_deref().unwrap_or("none")
            ));
        }
        Ok(problems)
    }
}

/// Passes each entry of `from..to` in `scope` to `sink`; returns how many.
fn stream_scope(
    vault: &Vault,
    scope: &Scope,
    (from, to): (u64, u64),
    sink: &mut dyn FnMut(u64, &[u8]) -> std::io::Result<()>,
) -> Result<u64, Error> {
    let records = match &scope.subject {
        Some(p) => vault.records_of_subject(p)?.into_iter().collect(),
        None => HashSet::new(),
    };
    let mut n = 0u64;
    vault
        .journal()
        .read_entries(from, Some(to), |index, bytes| {
            let entry: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
            if scope.matches(&entry, &records) {
                n += 1;
                sink(index, bytes).map_err(|source| probant_journal::Error::Io {
                    op: "write",
                    path: "output".into(),
                    source,
                })?;
            }
            Ok(())
        })?;
    Ok(n)
}

fn state_name(s: &State) -> &'static str {
    match s {
        State::Requested => "requested",
        State::Approved { .. } => "approved",
        State::Refused { .. } => "refused",
        State::Executed { .. } => "executed",
    }
}

fn scope_resource(scope: &Scope) -> Resource {
    Resource {
        subject: scope.subject.clone(),
        ..Resource::default()
    }
}

fn check_scope(scope: &Scope) -> Result<(), Error> {
    for (field, d) in [("--since", &scope.since), ("--until", &scope.until)] {
        if let Some(d) = d {
            let f = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(d, &f)
                .map_err(|_| Error::invalid(field, "expected a date YYYY-MM-DD"))?;
        }
    }
    if let (Some(s), Some(u)) = (&scope.since, &scope.until) {
        if s > u {
            return Err(Error::invalid("--since", "after --until"));
        }
    }
    if let Some(a) = &scope.actor {
        if !probant_crypto::is_valid_user_id(a) {
            return Err(Error::invalid("--actor", "not a valid user id"));
        }
    }
    Ok(())
}

/// Adds `new` to `users` with a fresh credential.
fn register(
    users: &mut Users,
    new: &NewUser,
    levels: &[String],
    home_id: &str,
    by: &str,
) -> Result<Credential, Error> {
    new.check(levels)?;
    if users.users.contains_key(&new.id) {
        return Err(Error::Users(format!(
            "user {:?} is registered already",
            new.id
        )));
    }
    let credential = Credential::generate(home_id, &new.id)?;
    users.users.insert(
        new.id.clone(),
        User {
            id: new.id.clone(),
            kind: if new.program {
                PrincipalKind::Program
            } else {
                PrincipalKind::Person
            },
            roles: new.roles.clone(),
            clearance: new.clearance.clone(),
            institution: new.institution.clone(),
            insz: new.insz.clone(),
            credential_verifier: credential.verifier(),
            registered: now(),
            registered_by: by.into(),
        },
    );
    Ok(credential)
}
