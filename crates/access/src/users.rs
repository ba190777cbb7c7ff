//! The register of persons and programs (N-5.6.3, N-5.9.6, N-5.11.2): who
//! may act, with which roles, clearance and institution, and the verifier
//! of each one's credential. Stored sealed (user ids and national numbers
//! are personal data).
use std::collections::BTreeMap;

use probant_crypto::is_valid_user_id;
use probant_policy::{Principal, PrincipalKind};
use serde::{Deserialize, Serialize};

use crate::Error;

/// One registered principal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Institution user id or program id.
    pub id: String,
    /// Person or program.
    pub kind: PrincipalKind,
    /// Roles (flat names).
    pub roles: Vec<String>,
    /// Clearance: a configured classification level (N-5.5.1).
    pub clearance: String,
    /// The institution the principal belongs to.
    #[serde(default)]
    pub institution: String,
    /// A person's INSZ/NISS, if registered (N-5.11.2e: program ids trace
    /// back to natural persons, persons to their national number).
    #[serde(default)]
    pub insz: Option<String>,
    /// The verifier of the principal's credential (never the credential).
    pub credential_verifier: String,
    /// When registered, RFC 3339.
    pub registered: String,
    /// By whom.
    pub registered_by: String,
}

impl User {
    /// The principal the decision core sees.
    pub fn principal(&self, on_behalf_of: Option<&str>) -> Principal {
        Principal {
            id: self.id.clone(),
            kind: self.kind,
            on_behalf_of: on_behalf_of.map(str::to_owned),
            roles: self.roles.clone(),
            clearance: self.clearance.clone(),
            institution: self.institution.clone(),
        }
    }
}

/// What an administrator gives to register someone.
#[derive(Clone, Debug, Default)]
pub struct NewUser {
    /// User or program id.
    pub id: String,
    /// A program (service account) rather than a person.
    pub program: bool,
    /// Roles.
    pub roles: Vec<String>,
    /// Clearance level.
    pub clearance: String,
    /// Institution.
    pub institution: String,
    /// A person's INSZ/NISS (checked, stored sealed).
    pub insz: Option<String>,
}

impl NewUser {
    /// Checks the fields against the configured levels.
    pub(crate) fn check(&self, levels: &[String]) -> Result<(), Error> {
        if !is_valid_user_id(&self.id) {
            return Err(Error::invalid(
                "user id",
                format!(
                    "{:?}: 1 to 64 letters, digits, '.', '_', '-' or '@', not starting with '.'",
                    self.id
                ),
            ));
        }
        if self.roles.is_empty() {
            return Err(Error::invalid("--role", "give at least one role"));
        }
        for r in &self.roles {
            let ok = !r.is_empty()
                && r.len() <= 64
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return Err(Error::invalid(
                    "--role",
                    format!("{r:?}: a-z, 0-9 and '-' only"),
                ));
            }
        }
        if !levels.contains(&self.clearance) {
            return Err(Error::invalid(
                "--clearance",
                format!(
                    "unknown level {:?}; configured: {}",
                    self.clearance,
                    levels.join(", ")
                ),
            ));
        }
        if self.institution.len() > 128 || self.institution.chars().any(char::is_control) {
            return Err(Error::invalid(
                "--institution",
                "at most 128 characters, no control characters",
            ));
        }
        if let Some(n) = &self.insz {
            if self.program {
                return Err(Error::invalid(
                    "--insz",
                    "a program has no national number; register the person it acts for",
                ));
            }
            probant_identifiers::parse_person(n)
                .map_err(|e| Error::invalid("--insz", e.to_string()))?;
        }
        Ok(())
    }
}

/// The register.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Users {
    /// Format version of the stored document.
    pub format: u32,
    /// By id.
    pub users: BTreeMap<String, User>,
}

impl Users {
    /// The user with this id.
    pub fn get(&self, id: &str) -> Option<&User> {
        self.users.get(id)
    }

    /// Whether `id` is a registered natural person.
    pub fn is_person(&self, id: &str) -> bool {
        self.get(id)
            .is_some_and(|u| u.kind == PrincipalKind::Person)
    }

    /// Who holds each role (CC-8: the categories of persons with access and
    /// their functions).
    pub fn by_role(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for u in self.users.values() {
            for r in &u.roles {
                out.entry(r.clone()).or_default().push(u.id.clone());
            }
        }
        out
    }
}
