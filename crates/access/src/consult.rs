//! Journal consultations (N-5.9.5, DESIGN contract 7): a request with a
//! reason and a scope, approved or refused by a different approver, then run
//! once by its requester. The state is kept sealed in the home; every step
//! is also an entry of the journal itself.
use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a consultation may see. Every condition given must hold; none: the
/// whole journal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The keyed pseudonym of a data subject (never the number).
    pub subject: Option<String>,
    /// An actor id (as actor or as the person a program acted for).
    pub actor: Option<String>,
    /// First day, `YYYY-MM-DD`, inclusive.
    pub since: Option<String>,
    /// Last day, `YYYY-MM-DD`, inclusive.
    pub until: Option<String>,
}

/// Where a consultation stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum State {
    /// Waiting for an approver.
    Requested,
    /// Approved; the requester may run it once.
    Approved {
        /// Approver.
        by: String,
        /// When.
        at: String,
    },
    /// Refused.
    Refused {
        /// Approver who refused.
        by: String,
        /// When.
        at: String,
        /// Why it was refused.
        refusal: String,
    },
    /// Run (once).
    Executed {
        /// Approver.
        approved_by: String,
        /// When run.
        at: String,
    },
}

/// One consultation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    /// Id (UUIDv7).
    pub id: String,
    /// Who asked.
    pub requester: String,
    /// Why.
    pub reason: String,
    /// What may be seen.
    pub scope: Scope,
    /// When asked.
    pub requested: String,
    /// The journal entry of the request.
    pub request_entry: u64,
    /// Where it stands.
    #[serde(flatten)]
    pub state: State,
}

/// Every consultation of a home.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultations {
    /// In order of request.
    pub items: Vec<Consultation>,
}

impl Consultations {
    /// The consultation with this id.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Consultation> {
        self.items.iter_mut().find(|c| c.id == id)
    }
}

impl Scope {
    /// Whether a journal entry is in scope. `subject_records` are the ids of
    /// the subject's records: an access to one of them is an access to the
    /// subject's data even when the entry does not carry the pseudonym
    /// (e.g. a search by type that returned it).
    pub fn matches(&self, entry: &Value, subject_records: &HashSet<String>) -> bool {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        if let Some(s) = &self.subject {
            let r = &entry["resource"];
            let by_pseudonym = text(&r["subject"]).as_deref() == Some(s.as_str());
            let by_record = text(&r["record"]).is_some_and(|id| subject_records.contains(&id));
            let in_results = entry["details"]["records"].as_array().is_some_and(|rs| {
                rs.iter()
                    .any(|pair| text(&pair[0]).is_some_and(|id| subject_records.contains(&id)))
            });
            if !(by_pseudonym || by_record || in_results) {
                return false;
            }
        }
        if let Some(a) = &self.actor {
            let act = &entry["actor"];
            let by = text(&act["id"]).as_deref() == Some(a.as_str())
                || text(&act["on_behalf_of"]).as_deref() == Some(a.as_str());
            if !by {
                return false;
            }
        }
        let day = entry["time"]
            .as_str()
            .and_then(|t| t.get(..10))
            .unwrap_or("");
        if self.since.as_deref().is_some_and(|s| day < s) {
            return false;
        }
        if self.until.as_deref().is_some_and(|u| day > u) {
            return false;
        }
        true
    }
}

/// The actions that are an access to a subject's data (GDPR art. 15 report).
pub const ACCESS_ACTIONS: [&str; 6] = [
    "record.ingest",
    "record.read",
    "record.search",
    "record.show",
    "record.export",
    "authz.deny",
];

/// One line of the "who accessed the data of person X" report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessEvent {
    /// The entry's index in the journal.
    pub index: u64,
    /// When.
    pub time: String,
    /// What (`record.read`, …; `authz.deny` for a refused attempt).
    pub action: String,
    /// Success, denied, failure.
    pub outcome: String,
    /// Who (user or program id).
    pub actor: String,
    /// The natural person a program acted for.
    pub on_behalf_of: Option<String>,
    /// Record and version.
    pub record: Option<String>,
    /// Version.
    pub version: Option<u64>,
    /// Stated purpose.
    pub purpose: Option<String>,
    /// Legal basis relied on.
    pub legal_basis: Option<String>,
    /// Channel.
    pub channel: Option<String>,
}

impl AccessEvent {
    /// The report line of an entry, if it is an access.
    pub fn of(index: u64, e: &Value) -> Option<Self> {
        let action = e["action"].as_str()?;
        if !ACCESS_ACTIONS.contains(&action) {
            return None;
        }
        let s = |v: &Value| v.as_str().map(str::to_owned);
        Some(Self {
            index,
            time: s(&e["time"]).unwrap_or_default(),
            action: action.into(),
            outcome: s(&e["outcome"]).unwrap_or_default(),
            actor: s(&e["actor"]["id"]).unwrap_or_default(),
            on_behalf_of: s(&e["actor"]["on_behalf_of"]),
            record: s(&e["resource"]["record"]),
            version: e["resource"]["version"].as_u64(),
            purpose: s(&e["purpose"]),
            legal_basis: s(&e["legal_basis"]),
            channel: s(&e["channel"]),
        })
    }
}
