//! The policy in force, versioned (N-5.6.6, AR-20.5): Cedar schema, Cedar
//! policies and the legal-basis register (N-5.6.4) form one version. A new
//! version is validated whole — it must build an authorizer — before it is
//! stored; versions are never rewritten, each names its predecessor's hash,
//! and each change is journaled with the old and new hashes.
use probant_policy::{Authorizer, LegalBasis};
use probant_verify::jcs;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::Error;

/// One version of the policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// 1, 2, …
    pub version: u32,
    /// Cedar schema text.
    pub schema: String,
    /// Cedar policy text.
    pub policies: String,
    /// The legal-basis register.
    pub legal_bases: Vec<LegalBasis>,
    /// When applied, RFC 3339.
    pub applied: String,
    /// By whom.
    pub applied_by: String,
    /// Hash of the version it replaced.
    pub previous: Option<String>,
}

/// The content of a version that its hash covers.
#[derive(Serialize)]
struct Content<'a> {
    schema: &'a str,
    policies: &'a str,
    legal_bases: &'a [LegalBasis],
}

impl PolicyVersion {
    /// The shipped default: Probant's schema and policies and the bootstrap
    /// legal basis `own-records` (DESIGN contract 6), valid from `today`.
    pub fn bootstrap(today: &str, applied: &str, by: &str) -> Self {
        Self {
            version: 1,
            schema: Authorizer::default_schema().into(),
            policies: Authorizer::default_policies().into(),
            legal_bases: vec![LegalBasis::own_records(today)],
            applied: applied.into(),
            applied_by: by.into(),
            previous: None,
        }
    }

    /// Lowercase hex SHA-256 of the RFC 8785 canonical JSON of schema,
    /// policies and register (not of who applied it when): two homes with
    /// the same policy show the same hash.
    pub fn hash(&self) -> String {
        let content = Content {
            schema: &self.schema,
            policies: &self.policies,
            legal_bases: &self.legal_bases,
        };
        let value = serde_json::to_value(&content).unwrap_or_default();
        let text = jcs::canonicalize(&value).unwrap_or_default();
        let digest: [u8; 32] = sha2::Sha256::digest(text.as_bytes()).into();
        probant_verify::hash::to_hex(&digest)
    }

    /// Builds the authorizer, which validates everything (schema, every
    /// policy in strict mode, levels, register).
    pub fn authorizer(&self, levels: &[String]) -> Result<Authorizer, Error> {
        Ok(Authorizer::new(
            &self.schema,
            &self.policies,
            levels.to_vec(),
            self.legal_bases.clone(),
        )?)
    }
}

/// Parses a legal-basis register file: a JSON array of entries.
pub fn parse_legal_bases(text: &str) -> Result<Vec<LegalBasis>, Error> {
    serde_json::from_str(text).map_err(|e| {
        Error::invalid(
            "--legal-bases",
            format!("not a JSON array of legal bases ({{reference, purposes, data_categories, roles?, institutions?, valid_from, valid_until?}}): {e}"),
        )
    })
}
