//! What a decision is about (principal, action, resource, request) and what it
//! yields (decision, deny reason, access-report line).
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Whether a principal is a natural person or a program (N-5.9.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    /// A natural person.
    Person,
    /// A program (service account); it acts only on behalf of a named person.
    Program,
}

/// An authenticated principal, as the identity layer resolved it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// Institution user id or program id.
    pub id: String,
    /// Person or program.
    pub kind: PrincipalKind,
    /// For a program: the natural person it acts for (N-5.9.6, N-5.11.2e).
    /// Ignored for a person.
    #[serde(default)]
    pub on_behalf_of: Option<String>,
    /// Roles granted to the principal (flat names, e.g. `case-handler`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Clearance: one of the configured classification levels (N-5.5.1).
    pub clearance: String,
    /// The institution the principal belongs to.
    pub institution: String,
}

/// What the principal wants to do. The kebab-case names are the Cedar action
/// ids (`Action::"read"`) and the serialised form.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Store a new record or version.
    Ingest,
    /// Read a record's content.
    Read,
    /// Find records by metadata.
    Search,
    /// Show a record's metadata.
    Show,
    /// Export records (BagIt, contract 4).
    Export,
    /// Destroy a record at the end of its retention (AR-20.7).
    Destroy,
    /// Key life cycle (N-5.7.1).
    ManageKeys,
    /// Change the policies, the legal-basis register or the levels.
    ManagePolicy,
    /// Register users, programs and roles.
    ManageUsers,
    /// Request a journal consultation (contract 7).
    ConsultRequest,
    /// Approve (or refuse) a journal consultation request.
    ConsultApprove,
    /// Run an approved journal consultation.
    ConsultRun,
    /// Verify the vault's integrity, and audit without content (journal
    /// proofs, the access report, the policy in force).
    VerifyVault,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: [Action; 13] = [
        Action::Ingest,
        Action::Read,
        Action::Search,
        Action::Show,
        Action::Export,
        Action::Destroy,
        Action::ManageKeys,
        Action::ManagePolicy,
        Action::ManageUsers,
        Action::ConsultRequest,
        Action::ConsultApprove,
        Action::ConsultRun,
        Action::VerifyVault,
    ];

    /// The actions that let record content or personal metadata leave the
    /// vault: they need a purpose, a covering legal basis (N-5.6.4) and a
    /// sufficient clearance (N-5.5.1).
    pub const CONTENT: [Action; 4] = [Action::Read, Action::Search, Action::Show, Action::Export];

    /// The Cedar action id (`Action::"<name>"`).
    pub fn name(self) -> &'static str {
        match self {
            Action::Ingest => "ingest",
            Action::Read => "read",
            Action::Search => "search",
            Action::Show => "show",
            Action::Export => "export",
            Action::Destroy => "destroy",
            Action::ManageKeys => "manage-keys",
            Action::ManagePolicy => "manage-policy",
            Action::ManageUsers => "manage-users",
            Action::ConsultRequest => "consult-request",
            Action::ConsultApprove => "consult-approve",
            Action::ConsultRun => "consult-run",
            Action::VerifyVault => "verify-vault",
        }
    }

    /// Whether the action lets content or personal metadata leave the vault
    /// (see [`Action::CONTENT`]).
    pub fn is_content(self) -> bool {
        matches!(
            self,
            Action::Read | Action::Search | Action::Show | Action::Export
        )
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Action {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| crate::Error::UnknownAction { name: s.into() })
    }
}

/// What kind of resource a request is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    /// A record (Cedar `Record`).
    Record,
    /// The journal (Cedar `Journal::"journal"`).
    Journal,
    /// The vault as a system (Cedar `System::"vault"`).
    System,
}

/// The attributes of the resource a request is about, as the catalog knows
/// them. For a search, `doc_type` and `classification` are the query's
/// filters (or, better, the vault decides once per hit with the hit's
/// attributes): without a type filter only a legal basis covering every
/// category (`"*"`) covers it, and without a classification the search is
/// refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceAttrs {
    /// Record, journal or system.
    pub kind: ResourceKind,
    /// Document type (the data category of the legal-basis register).
    #[serde(default)]
    pub doc_type: Option<String>,
    /// Classification level (N-5.5.1).
    #[serde(default)]
    pub classification: Option<String>,
    /// Record id; `None` for a record being ingested.
    #[serde(default)]
    pub record_id: Option<String>,
    /// Keyed pseudonym of the data subject (never the national number).
    #[serde(default)]
    pub subject: Option<String>,
    /// The record's retention class (e.g. `pension-career`).
    #[serde(default)]
    pub retention: Option<String>,
}

impl ResourceAttrs {
    /// A record with the given type and classification.
    pub fn record(doc_type: &str, classification: &str) -> Self {
        Self {
            kind: ResourceKind::Record,
            doc_type: Some(doc_type.into()),
            classification: Some(classification.into()),
            record_id: None,
            subject: None,
            retention: None,
        }
    }

    /// The journal.
    pub fn journal() -> Self {
        Self {
            kind: ResourceKind::Journal,
            doc_type: None,
            classification: None,
            record_id: None,
            subject: None,
            retention: None,
        }
    }

    /// The vault as a system.
    pub fn system() -> Self {
        Self {
            kind: ResourceKind::System,
            ..Self::journal()
        }
    }
}

/// One authorisation request. Everything is given by the caller: the
/// decision reads no clock and no file.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// Who asks.
    pub principal: &'a Principal,
    /// What for.
    pub action: Action,
    /// On what.
    pub resource: &'a ResourceAttrs,
    /// The stated purpose (required for content actions).
    pub purpose: Option<&'a str>,
    /// The legal basis relied on: a register reference (required for content
    /// actions, N-5.6.4).
    pub legal_basis: Option<&'a str>,
    /// The decision date, `YYYY-MM-DD` (the institution's calendar day).
    pub date: &'a str,
    /// For [`Action::ConsultApprove`] and [`Action::ConsultRun`]: who
    /// requested the consultation.
    pub requester: Option<&'a str>,
}

/// The outcome of [`crate::Authorizer::decide`]: exactly one per request, to
/// be journaled whatever it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "lowercase")]
pub enum Decision {
    /// Allowed.
    Permit {
        /// The `@id`s of the Cedar permit policies that allowed it (sorted).
        policy_ids: Vec<String>,
        /// The legal basis that covered it (content actions only).
        legal_basis: Option<String>,
    },
    /// Refused.
    Deny {
        /// Why.
        reason: DenyReason,
    },
}

impl Decision {
    /// Whether the request is allowed.
    pub fn is_permit(&self) -> bool {
        matches!(self, Decision::Permit { .. })
    }

    /// The deny reason, if refused.
    pub fn deny_reason(&self) -> Option<&DenyReason> {
        match self {
            Decision::Permit { .. } => None,
            Decision::Deny { reason } => Some(reason),
        }
    }
}

/// Why a request was refused. Messages say what to do and carry no personal
/// data (no principal id, no purpose text, no subject): they go into the
/// journal and to the user.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum DenyReason {
    /// A program named no natural person it acts for (N-5.9.6).
    #[error("a program must act on behalf of a named natural person: authenticate the person it acts for")]
    NoOnBehalfOf,
    /// A consultation approval or run without the consultation's requester.
    #[error("the consultation's requester must be known to approve or run it: give the request's requester")]
    MissingRequester,
    /// The requester approving its own consultation (N-5.9.5, contract 7).
    #[error("a journal consultation must be approved by someone other than its requester: ask another approver")]
    SelfApproval,
    /// Someone other than the requester running a consultation (contract 7).
    #[error("only the requester of a journal consultation may run it")]
    NotRequester,
    /// The decision date is not a valid `YYYY-MM-DD` date.
    #[error("the decision date must be a valid calendar date written YYYY-MM-DD")]
    InvalidDate,
    /// The record's classification is missing or not a configured level.
    #[error("the resource has no configured classification level: classify it with one of the configured levels")]
    UnknownClassification,
    /// The principal's clearance is below the record's classification
    /// (N-5.5.1). `held` is the principal's clearance as configured, which may
    /// itself be unknown.
    #[error("clearance {held:?} is below the record's classification {needed:?}: ask for a clearance of at least {needed:?}")]
    ClearanceTooLow {
        /// The record's classification.
        needed: String,
        /// The principal's clearance.
        held: String,
    },
    /// No purpose stated for a content action.
    #[error("state the purpose of this access")]
    NoPurpose,
    /// No legal basis named for a content action (N-5.6.4).
    #[error("name the legal basis (e.g. a deliberation number) this access relies on")]
    NoLegalBasis,
    /// The named legal basis is not in the register.
    #[error("legal basis {reference:?} is not in the register: use a registered one or have it registered")]
    LegalBasisUnknown {
        /// The reference named.
        reference: String,
    },
    /// The legal basis is not valid on the decision date.
    #[error("legal basis {reference:?} is not valid on this date (valid from {valid_from}{}): use a valid one or have its validity renewed", until_text(.valid_until))]
    LegalBasisNotValidOn {
        /// The reference named.
        reference: String,
        /// First day of validity.
        valid_from: String,
        /// Last day of validity, if any.
        valid_until: Option<String>,
    },
    /// The legal basis does not cover the stated purpose.
    #[error("legal basis {reference:?} does not cover the stated purpose: state a purpose it covers or name another legal basis")]
    PurposeNotCovered {
        /// The reference named.
        reference: String,
    },
    /// The legal basis does not cover the record's document type.
    #[error("legal basis {reference:?} does not cover data category {category:?}: name a legal basis that covers it")]
    CategoryNotCovered {
        /// The reference named.
        reference: String,
        /// The document type (`*` when the request named none).
        category: String,
    },
    /// The legal basis covers none of the principal's roles nor its
    /// institution.
    #[error("legal basis {reference:?} covers neither the principal's roles nor its institution: name a legal basis that covers them")]
    RoleNotCovered {
        /// The reference named.
        reference: String,
    },
    /// No Cedar permit applies (default deny), or the action does not apply
    /// to this kind of principal or resource.
    #[error("no policy permits this action for the principal's roles on this resource: ask for a role that is granted it")]
    NotPermitted,
    /// A Cedar forbid applies (forbid wins over permit).
    #[error("forbidden by policy {}: this action is excluded for the principal's roles", policy_ids.join(", "))]
    Forbidden {
        /// The `@id`s of the forbid policies that applied.
        policy_ids: Vec<String>,
    },
    /// The request could not be evaluated (a forbid policy raised an error,
    /// or the request could not be represented): refused, fail closed.
    #[error("the request could not be evaluated ({detail}); refused — report it to the policy administrator")]
    EvaluationFailed {
        /// What failed (policy ids or construction step; no personal data).
        detail: String,
    },
}

fn until_text(until: &Option<String>) -> String {
    match until {
        Some(u) => format!(" until {u}"),
        None => String::new(),
    }
}

impl DenyReason {
    /// A stable short code for the journal (`authz.deny` details) and for
    /// programs: `no-on-behalf-of`, `clearance-too-low`, …
    pub fn code(&self) -> &'static str {
        match self {
            DenyReason::NoOnBehalfOf => "no-on-behalf-of",
            DenyReason::MissingRequester => "missing-requester",
            DenyReason::SelfApproval => "self-approval",
            DenyReason::NotRequester => "not-requester",
            DenyReason::InvalidDate => "invalid-date",
            DenyReason::UnknownClassification => "unknown-classification",
            DenyReason::ClearanceTooLow { .. } => "clearance-too-low",
            DenyReason::NoPurpose => "no-purpose",
            DenyReason::NoLegalBasis => "no-legal-basis",
            DenyReason::LegalBasisUnknown { .. } => "legal-basis-unknown",
            DenyReason::LegalBasisNotValidOn { .. } => "legal-basis-not-valid-on",
            DenyReason::PurposeNotCovered { .. } => "purpose-not-covered",
            DenyReason::CategoryNotCovered { .. } => "category-not-covered",
            DenyReason::RoleNotCovered { .. } => "role-not-covered",
            DenyReason::NotPermitted => "not-permitted",
            DenyReason::Forbidden { .. } => "forbidden",
            DenyReason::EvaluationFailed { .. } => "evaluation-failed",
        }
    }
}

/// One line of the CC-8 access report: who (a role, or a role within an
/// institution) may do what on which data category, under which legal basis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLine {
    /// The legal basis reference.
    pub legal_basis: String,
    /// The role covered (for an institution line: the role within it that
    /// the policies grant something; `None` if the grant needs no role).
    pub role: Option<String>,
    /// The institution covered, for a line that comes from the basis's
    /// institutions rather than its roles.
    pub institution: Option<String>,
    /// The data category (document type; `*` = every category).
    pub data_category: String,
    /// The purposes the basis covers.
    pub purposes: Vec<String>,
    /// The content actions the Cedar policies grant this role on this
    /// category (evaluated with the highest clearance on the lowest
    /// classification; clearance still limits each access).
    pub actions: Vec<Action>,
    /// First day of validity.
    pub valid_from: String,
    /// Last day of validity, if any.
    pub valid_until: Option<String>,
}
