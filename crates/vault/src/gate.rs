//! The authorisation gate every vault operation passes (DESIGN data flow:
//! authenticate → authorise → journal → data; N-5.6.3, N-5.6.4, N-5.6.6).
//!
//! The vault does not decide who may do what: a [`Gate`] does (Probant's
//! is the Cedar one in `probant-access`). The vault guarantees the order:
//! it asks the gate before touching content, journals a refusal as
//! `authz.deny` (and returns [`Error::Denied`], no data), and writes a
//! permit's policies and legal basis into the operation's own entry, which
//! is durable before any data leaves. So every request yields exactly one
//! decision entry.
use probant_journal::{Outcome, Resource};
use serde_json::json;

use crate::{Ctx, Error, Vault};

/// What is asked of the vault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Store a record or a new version.
    Ingest,
    /// Obtain a version's content.
    Read,
    /// Find records by their metadata.
    Search,
    /// See a record's metadata.
    Show,
    /// Take records out in an export package.
    Export,
    /// Destroy a record at the end of its retention.
    Destroy,
    /// Re-hash and cross-check the vault.
    Verify,
    /// Key life cycle (rotation, retirement).
    ManageKeys,
    /// Change the policies or the legal-basis register.
    ManagePolicy,
    /// Register, change or remove users and programs.
    ManageUsers,
    /// Audit without content: journal proofs and verification, the access
    /// report, the policy in force.
    Audit,
    /// Request a journal consultation (N-5.9.5, contract 7).
    ConsultRequest,
    /// Approve or refuse one (the target names its requester).
    ConsultApprove,
    /// Run an approved one (the target names its requester).
    ConsultRun,
}

impl Operation {
    /// The journal action recorded for this operation.
    pub fn action(self) -> &'static str {
        match self {
            Operation::Ingest => "record.ingest",
            Operation::Read => "record.read",
            Operation::Search => "record.search",
            Operation::Show => "record.show",
            Operation::Export => "record.export",
            Operation::Destroy => "record.destroy",
            Operation::Verify => "vault.verify",
            Operation::ManageKeys => "key.rotate",
            Operation::ManagePolicy => "policy.apply",
            Operation::ManageUsers => "user.change",
            Operation::Audit => "audit.read",
            Operation::ConsultRequest => "consult.request",
            Operation::ConsultApprove => "consult.approve",
            Operation::ConsultRun => "consult.run",
        }
    }
}

/// What the operation is about. Empty for system operations; for a search,
/// the criteria (a query-level decision) and then each result.
#[derive(Clone, Copy, Debug, Default)]
pub struct Target<'a> {
    /// Record id.
    pub record: Option<&'a str>,
    /// Document type (data category).
    pub doc_type: Option<&'a str>,
    /// Classification level.
    pub classification: Option<&'a str>,
    /// The subject's keyed pseudonym (never the number).
    pub subject: Option<&'a str>,
    /// The record's retention class.
    pub retention: Option<&'a str>,
    /// For a consultation's approval or run: who requested it.
    pub requester: Option<&'a str>,
}

/// An allowed request: what allowed it, for the journal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grant {
    /// The ids of the policies that permitted it.
    pub policies: Vec<String>,
    /// The legal basis that covered it (content operations).
    pub legal_basis: Option<String>,
}

/// A refused request: a stable code and a message that says what to do
/// (no personal data: both go into the journal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// e.g. `clearance-too-low`, `unknown-principal`.
    pub code: String,
    /// For the user.
    pub message: String,
}

/// A decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed.
    Permit(Grant),
    /// Refused.
    Deny(Refusal),
}

/// Decides requests. Must be pure with respect to the vault: no journaling
/// (the vault journals the decision) and no side effect on data.
pub trait Gate: Send + Sync {
    /// Decides whether `ctx` (its authenticated actor, purpose and legal
    /// basis) may perform `op` on `target`.
    fn decide(&self, ctx: &Ctx, op: Operation, target: &Target<'_>) -> Verdict;
}

impl Vault {
    /// Asks the gate. A refusal is journaled (`authz.deny`, durable) and
    /// returned as [`Error::Denied`]; a permit is returned for the caller to
    /// record in its own entry (see [`Vault::granted_event`]).
    pub(crate) fn authorize(
        &self,
        ctx: &Ctx,
        op: Operation,
        target: &Target<'_>,
        resource: Resource,
    ) -> Result<Grant, Error> {
        self.settle(ctx, op, self.gate.decide(ctx, op, target), resource)
    }

    /// Journals `verdict` if it is a refusal (`authz.deny`, durable) and
    /// returns it as [`Error::Denied`]; returns a permit's grant for the
    /// caller's own entry. For callers that combine several gate decisions
    /// into one request.
    pub fn settle(
        &self,
        ctx: &Ctx,
        op: Operation,
        verdict: Verdict,
        resource: Resource,
    ) -> Result<Grant, Error> {
        match verdict {
            Verdict::Permit(g) => Ok(g),
            Verdict::Deny(r) => Err(self.journal_refusal(ctx, op.action(), r, resource)),
        }
    }

    /// Journals a refusal as `authz.deny` (durable) and returns it as
    /// [`Error::Denied`] — or the journal's error if it could not be
    /// journaled (fail closed either way).
    fn journal_refusal(
        &self,
        ctx: &Ctx,
        requested: &str,
        refusal: Refusal,
        resource: Resource,
    ) -> Error {
        let mut e = self.event(ctx, "authz.deny", Outcome::Denied, resource);
        e.details = Some(
            json!({ "requested": requested, "reason": refusal.code, "message": refusal.message }),
        );
        match self.journal.append(&e) {
            Ok(_) => Error::Denied {
                code: refusal.code,
                message: refusal.message,
            },
            Err(j) => j.into(),
        }
    }

    /// The event of a permitted operation, naming what permitted it.
    pub fn granted_event(
        &self,
        ctx: &Ctx,
        op: Operation,
        grant: &Grant,
        resource: Resource,
    ) -> probant_journal::Event {
        let mut e = self.event(ctx, op.action(), Outcome::Success, resource);
        if grant.legal_basis.is_some() {
            e.legal_basis = grant.legal_basis.clone();
        }
        e.details = Some(json!({ "authz": { "policies": grant.policies } }));
        e
    }

    /// Adds `more` members to an event's details object.
    pub fn add_details(e: &mut probant_journal::Event, more: serde_json::Value) {
        match (&mut e.details, more) {
            (Some(serde_json::Value::Object(d)), serde_json::Value::Object(m)) => d.extend(m),
            (d, m) => *d = Some(m),
        }
    }

    /// The gate (to decide without journaling, e.g. before [`Vault::settle`]).
    pub fn gate(&self) -> &dyn Gate {
        self.gate.as_ref()
    }

    /// Decides for an operation on the home as a whole (no record); a
    /// refusal is journaled and returned as [`Error::Denied`].
    pub fn authorize_system(&self, ctx: &Ctx, op: Operation) -> Result<Grant, Error> {
        self.authorize_target(ctx, op, &Target::default())
    }

    /// [`Vault::authorize_system`] with a target (e.g. a consultation's
    /// requester).
    pub fn authorize_target(
        &self,
        ctx: &Ctx,
        op: Operation,
        target: &Target<'_>,
    ) -> Result<Grant, Error> {
        self.authorize(ctx, op, target, Resource::default())
    }

    /// Journals a refusal decided outside the gate (authentication: an
    /// unregistered actor or a wrong credential) and returns it as
    /// [`Error::Denied`].
    pub fn refuse(&self, ctx: &Ctx, requested: &str, refusal: Refusal) -> Error {
        self.journal_refusal(ctx, requested, refusal, Resource::default())
    }
}
