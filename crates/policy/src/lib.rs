//! Probant's authorisation core (DESIGN "policy"; N-5.6.3, N-5.6.4, N-5.6.5,
//! N-5.6.6, N-5.5.1, N-5.9.6, N-5.11.2, CC-8).
//!
//! [`Authorizer::decide`] turns one [`Request`] into exactly one
//! [`Decision`], to be journaled whatever it is (contract 3, `authz.deny` for
//! a denial). It is pure: no clock (the caller gives the date), no I/O, no
//! interior state; the same request always gets the same decision.
//!
//! # Order of checks
//! The first failing check gives the deny reason:
//! 1. A program without a (non-empty) on-behalf-of person →
//!    [`DenyReason::NoOnBehalfOf`] (N-5.9.6, N-5.11.2e).
//! 2. Journal consultation (contract 7, N-5.9.5): approving or running
//!    without the consultation's requester → [`DenyReason::MissingRequester`];
//!    approving by the requester (the principal, or the person a program acts
//!    for) → [`DenyReason::SelfApproval`]; running by anyone else than the
//!    requester → [`DenyReason::NotRequester`].
//! 3. The date is not a valid `YYYY-MM-DD` → [`DenyReason::InvalidDate`].
//! 4. The action does not apply to this kind of principal and resource in
//!    the schema (e.g. `read` on the journal) → [`DenyReason::NotPermitted`].
//! 5. Classification (N-5.5.1), records only: a classification that is not a
//!    configured level — or none at all for a content action — →
//!    [`DenyReason::UnknownClassification`]; for a content action (read,
//!    search, show, export) the principal's clearance must rank at least as
//!    high, else [`DenyReason::ClearanceTooLow`] (an unconfigured clearance
//!    ranks below every level).
//! 6. Legal basis (N-5.6.4), content actions only: one must be named
//!    ([`DenyReason::NoLegalBasis`]), be in the register
//!    ([`DenyReason::LegalBasisUnknown`]), be valid on the date, bounds
//!    included ([`DenyReason::LegalBasisNotValidOn`]); a purpose must be
//!    stated ([`DenyReason::NoPurpose`]) and covered
//!    ([`DenyReason::PurposeNotCovered`]); the record's document type must be
//!    covered, a request without one only by `"*"`
//!    ([`DenyReason::CategoryNotCovered`]); one of the principal's roles or its
//!    institution must be covered ([`DenyReason::RoleNotCovered`]).
//! 7. Cedar (N-5.6.6, default deny): principal `Person`/`Program` with its
//!    roles and institution as parents and its clearance rank; resource
//!    `Record` (classification rank, doc type, subject pseudonym, retention class),
//!    `Journal::"journal"` or `System::"vault"`; context `{purpose?,
//!    legal_basis?, date}` with the date as the number `YYYYMMDD`. A satisfied forbid wins
//!    ([`DenyReason::Forbidden`], naming it); a forbid that fails to evaluate
//!    refuses too, fail closed ([`DenyReason::EvaluationFailed`]); without a
//!    satisfied permit → [`DenyReason::NotPermitted`]; else
//!    [`Decision::Permit`] naming the permits' `@id`s and, for a content
//!    action, the legal basis.
//!
//! # Separation of duties (N-5.6.5)
//! The default policy `administrator-no-content` forbids content actions to
//! administrators unless they also hold a content role (`case-handler`,
//! `archivist`): being an administrator never opens content, but a person
//! given both roles (the bootstrap actor of contract 6) reads as a case
//! handler, under a legal basis that covers that role and within their
//! clearance. Both grants are visible in the role register and the journal
//! names the permit used.
//!
//! # Speed
//! The register is indexed by reference, level ranks are computed once, and
//! the policy set is sliced once by action and by the role a policy's scope
//! names (`principal in Role::"…"`): a request evaluates only the policies
//! that can apply to its action and its principal's roles, which gives the
//! same answer as evaluating the whole set (a policy whose scope does not
//! match is neither satisfied nor in error).
#![forbid(unsafe_code)]

mod error;
mod model;
mod register;
mod split;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{
    ActionConstraint, Context, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicyId,
    PolicySet, PrincipalConstraint, RestrictedExpression, Schema, ValidationMode, Validator,
};

pub use error::Error;
pub use model::{
    AccessLine, Action, Decision, DenyReason, Principal, PrincipalKind, Request, ResourceAttrs,
    ResourceKind,
};
pub use register::{LegalBasis, ANY};

use register::{parse_day, Day, Register};

/// The roles DESIGN contract 6's bootstrap actor needs so that it "may
/// ingest, search, show, read and export the home's records … and may
/// administer the home" under the default policies: `case-handler` reads,
/// `archivist` exports, `administrator` administers; and `dpo`, so that a new
/// home can run the journal consultation procedure of contract 7 at once
/// (requested by this actor, approved by the `--approver` of `init`).
pub const BOOTSTRAP_ROLES: [&str; 4] = ["administrator", "case-handler", "archivist", "dpo"];

/// The default classification levels, lowest first (N-5.5.1).
pub fn default_levels() -> Vec<String> {
    ["public", "internal", "confidential", "sensitive"]
        .map(String::from)
        .to_vec()
}

const NUM_ACTIONS: usize = Action::ALL.len();

/// Cedar entity type names the authorizer builds.
#[derive(Debug)]
struct Types {
    person: EntityTypeName,
    program: EntityTypeName,
    role: EntityTypeName,
    institution: EntityTypeName,
    record: EntityTypeName,
}

/// To which principal and resource kinds an action applies (from the schema).
#[derive(Clone, Copy, Debug, Default)]
struct Applies {
    person: bool,
    program: bool,
    record: bool,
    journal: bool,
    system: bool,
}

impl Applies {
    fn principal(&self, k: PrincipalKind) -> bool {
        match k {
            PrincipalKind::Person => self.person,
            PrincipalKind::Program => self.program,
        }
    }

    fn resource(&self, k: ResourceKind) -> bool {
        match k {
            ResourceKind::Record => self.record,
            ResourceKind::Journal => self.journal,
            ResourceKind::System => self.system,
        }
    }
}

/// The policies that can apply to one action.
#[derive(Debug, Default)]
struct Slice {
    /// Policies whose principal scope names no role.
    any_role: Group,
    /// Policies whose principal scope is `principal in Role::"<key>"`.
    by_role: HashMap<String, Group>,
}

/// Policies of a slice, split by the document type a permit requires.
#[derive(Debug, Default)]
struct Group {
    /// Every forbid, and the permits that name no document type.
    any_type: PolicySet,
    /// Permits whose `when` clauses require `resource.doc_type == "<key>"`
    /// (or `[…].contains(resource.doc_type)`): they cannot be satisfied by a
    /// record of another type. Forbids are never put here, so that a forbid
    /// that raises an error is still seen (fail closed).
    by_type: HashMap<String, PolicySet>,
}

/// The decision core: schema, validated policies, levels and register.
/// Build it once and share it (`&self` only; `Send + Sync`).
#[derive(Debug)]
pub struct Authorizer {
    levels: Vec<String>,
    rank: HashMap<String, i64>,
    register: Register,
    cedar: cedar_policy::Authorizer,
    policies: PolicySet,
    policy_order: Vec<String>,
    forbids: HashSet<PolicyId>,
    slices: Vec<Slice>,
    applies: [Applies; NUM_ACTIONS],
    action_uids: Vec<EntityUid>,
    /// Per action, its entity with its groups as parents, when the schema
    /// declares action groups (else requests need no action entity).
    action_entities: Option<Vec<Entity>>,
    types: Types,
    journal_uid: EntityUid,
    system_uid: EntityUid,
}

fn type_name(s: &str) -> EntityTypeName {
    // The names are constant and valid Cedar identifiers.
    EntityTypeName::from_str(s).unwrap_or_else(|_| unreachable!("valid type name {s}"))
}

fn uid(ty: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(id))
}

/// Everything a Cedar evaluation needs, before it is built.
struct CedarInput<'a> {
    principal: &'a Principal,
    principal_rank: i64,
    action: Action,
    resource: &'a ResourceAttrs,
    class_rank: Option<i64>,
    purpose: Option<&'a str>,
    legal_basis: Option<&'a str>,
    day: Day,
}

impl Authorizer {
    /// The shipped schema (`cedar/schema.cedarschema`).
    pub fn default_schema() -> &'static str {
        include_str!("../cedar/schema.cedarschema")
    }

    /// The shipped policies (`cedar/default.cedar`).
    pub fn default_policies() -> &'static str {
        include_str!("../cedar/default.cedar")
    }

    /// Builds an authorizer from a Cedar schema, Cedar policies, the
    /// classification levels (lowest first) and the legal-basis register.
    ///
    /// Refuses, naming the culprit: a schema that does not parse or does not
    /// accept the entities and context Probant builds; policy text that does
    /// not parse (naming the policy's `@id` or position, and its line); a
    /// policy without a unique `@id`; a template; a policy that does not
    /// validate against the schema in strict mode, or draws a validator
    /// warning (e.g. it can never apply); empty or repeated levels;
    /// an invalid register entry (empty lists, wildcard grantees, bad or
    /// reversed dates, duplicate references).
    pub fn new(
        schema_src: &str,
        policies_src: &str,
        levels: Vec<String>,
        register: Vec<LegalBasis>,
    ) -> Result<Self, Error> {
        let rank = ranks(&levels)?;
        let register = Register::new(register)?;
        let (schema, _warnings) =
            Schema::from_cedarschema_str(schema_src).map_err(|e| Error::Schema {
                detail: e.to_string(),
            })?;
        let types = Types {
            person: type_name("Person"),
            program: type_name("Program"),
            role: type_name("Role"),
            institution: type_name("Institution"),
            record: type_name("Record"),
        };
        let action_type = type_name("Action");
        let action_uids: Vec<EntityUid> = Action::ALL
            .iter()
            .map(|a| uid(&action_type, a.name()))
            .collect();
        let declared: HashSet<&EntityUid> = schema.actions().collect();
        for (a, u) in Action::ALL.iter().zip(&action_uids) {
            if !declared.contains(u) {
                return Err(Error::SchemaMismatch {
                    detail: format!("action {:?} is not declared", a.name()),
                });
            }
        }
        let mut applies = [Applies::default(); NUM_ACTIONS];
        for (i, u) in action_uids.iter().enumerate() {
            let ap = &mut applies[i];
            for t in schema.principals_for_action(u).into_iter().flatten() {
                match t.to_string().as_str() {
                    "Person" => ap.person = true,
                    "Program" => ap.program = true,
                    _ => {}
                }
            }
            for t in schema.resources_for_action(u).into_iter().flatten() {
                match t.to_string().as_str() {
                    "Record" => ap.record = true,
                    "Journal" => ap.journal = true,
                    "System" => ap.system = true,
                    _ => {}
                }
            }
        }
        for (a, ap) in Action::ALL.iter().zip(&applies) {
            if !(ap.person || ap.program) || !(ap.record || ap.journal || ap.system) {
                return Err(Error::SchemaMismatch {
                    detail: format!(
                        "action {:?} must apply to Person or Program and to Record, Journal or \
                         System (entity types without a namespace)",
                        a.name()
                    ),
                });
            }
        }
        let action_store = schema.action_entities().map_err(|e| Error::Schema {
            detail: e.to_string(),
        })?;
        let has_groups = schema.action_groups().next().is_some();
        let action_entities = if has_groups {
            let mut v = Vec::with_capacity(NUM_ACTIONS);
            for u in &action_uids {
                v.push(
                    action_store
                        .get(u)
                        .cloned()
                        .ok_or_else(|| Error::SchemaMismatch {
                            detail: format!("no entity for action {u}"),
                        })?,
                );
            }
            Some(v)
        } else {
            None
        };

        let (policies, policy_order) = parse_policies(policies_src)?;
        let validation = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        // Warnings refuse too: an impossible policy (one that can never
        // apply — a forbid that forbids nothing) or a confusable identifier
        // is a mistake in an access-control policy.
        if !validation.validation_passed_without_warnings() {
            let mut by_policy: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for e in validation.validation_errors() {
                by_policy
                    .entry(e.policy_id().to_string())
                    .or_default()
                    .push(e.to_string());
            }
            for w in validation.validation_warnings() {
                by_policy
                    .entry(w.policy_id().to_string())
                    .or_default()
                    .push(format!("(warning) {w}"));
            }
            // Report the first invalid policy in text order.
            let first = policy_order
                .iter()
                .find(|id| by_policy.contains_key(*id))
                .cloned()
                .or_else(|| by_policy.keys().next().cloned())
                .unwrap_or_default();
            let detail = by_policy.remove(&first).unwrap_or_default().join("; ");
            return Err(Error::PolicyInvalid {
                policy: first,
                detail,
            });
        }

        // Slice by action and by the role the principal scope names.
        let mut slices: Vec<Slice> = (0..NUM_ACTIONS).map(|_| Slice::default()).collect();
        let mut forbids = HashSet::new();
        for p in policies.policies() {
            if p.effect() == cedar_policy::Effect::Forbid {
                forbids.insert(p.id().clone());
            }
            let role = match p.principal_constraint() {
                PrincipalConstraint::In(u) | PrincipalConstraint::IsIn(_, u)
                    if u.type_name() == &types.role =>
                {
                    Some(u.id().unescaped().to_string())
                }
                _ => None,
            };
            let doc_types = if p.effect() == cedar_policy::Effect::Permit {
                p.to_json().ok().and_then(|json| required_doc_types(&json))
            } else {
                None
            };
            let constraint = p.action_constraint();
            for (i, a_uid) in action_uids.iter().enumerate() {
                let applies_to = match &constraint {
                    ActionConstraint::Any => true,
                    ActionConstraint::Eq(u) => u == a_uid,
                    ActionConstraint::In(list) => list
                        .iter()
                        .any(|g| g == a_uid || action_store.is_ancestor_of(g, a_uid)),
                };
                if !applies_to {
                    continue;
                }
                let group = match &role {
                    None => &mut slices[i].any_role,
                    Some(r) => slices[i].by_role.entry(r.clone()).or_default(),
                };
                let sets: Vec<&mut PolicySet> = match &doc_types {
                    None => vec![&mut group.any_type],
                    Some(types) => {
                        for t in types {
                            group.by_type.entry(t.clone()).or_default();
                        }
                        group
                            .by_type
                            .iter_mut()
                            .filter(|(t, _)| types.contains(t))
                            .map(|(_, set)| set)
                            .collect()
                    }
                };
                for set in sets {
                    set.add(p.clone()).map_err(|e| Error::PolicyInvalid {
                        policy: p.id().to_string(),
                        detail: e.to_string(),
                    })?;
                }
            }
        }

        let this = Self {
            levels,
            rank,
            register,
            cedar: cedar_policy::Authorizer::new(),
            policies,
            policy_order,
            forbids,
            slices,
            applies,
            action_uids,
            action_entities,
            journal_uid: uid(&type_name("Journal"), "journal"),
            system_uid: uid(&type_name("System"), "vault"),
            types,
        };
        this.check_schema_fits(&schema)?;
        Ok(this)
    }

    /// Builds sample requests for every action the schema declares, with
    /// every optional attribute present and absent, and has Cedar check them
    /// against the schema: the entities and context `decide` builds must
    /// conform, or policies would silently fail to apply.
    fn check_schema_fits(&self, schema: &Schema) -> Result<(), Error> {
        let top = i64::try_from(self.levels.len()).unwrap_or(i64::MAX) - 1;
        for action in Action::ALL {
            let ap = self.applies[action.index()];
            for kind in [PrincipalKind::Person, PrincipalKind::Program] {
                if !ap.principal(kind) {
                    continue;
                }
                let principal = Principal {
                    id: "schema-check".into(),
                    kind,
                    on_behalf_of: Some("schema-check-person".into()),
                    roles: vec!["schema-check-role".into()],
                    clearance: self.levels[0].clone(),
                    institution: "schema-check-institution".into(),
                };
                for rkind in [
                    ResourceKind::Record,
                    ResourceKind::Journal,
                    ResourceKind::System,
                ] {
                    if !ap.resource(rkind) {
                        continue;
                    }
                    let full = ResourceAttrs {
                        kind: rkind,
                        doc_type: Some("t".into()),
                        classification: Some(self.levels[0].clone()),
                        record_id: Some("r".into()),
                        subject: Some("s".into()),
                        retention: None,
                    };
                    let bare = ResourceAttrs {
                        kind: rkind,
                        doc_type: None,
                        classification: None,
                        record_id: None,
                        subject: None,
                        retention: None,
                    };
                    for (res, class_rank, purpose) in
                        [(&full, Some(top), Some("p")), (&bare, None, None)]
                    {
                        let input = CedarInput {
                            principal: &principal,
                            principal_rank: top,
                            action,
                            resource: res,
                            class_rank,
                            purpose,
                            legal_basis: purpose,
                            day: 20240229,
                        };
                        let mismatch = |detail: String| Error::SchemaMismatch {
                            detail: format!("action {:?}: {detail}", action.name()),
                        };
                        let (req, entities) = self.build(&input).map_err(&mismatch)?;
                        let (p, a, r, c) = (
                            req.principal().cloned(),
                            req.action().cloned(),
                            req.resource().cloned(),
                            req.context().cloned(),
                        );
                        if let (Some(p), Some(a), Some(r), Some(c)) = (p, a, r, c) {
                            cedar_policy::Request::new(p, a, r, c, Some(schema))
                                .map_err(|e| mismatch(e.to_string()))?;
                        }
                        let non_action: Vec<Entity> = entities
                            .iter()
                            .filter(|e| e.uid().type_name().to_string() != "Action")
                            .cloned()
                            .collect();
                        Entities::from_entities(non_action, Some(schema))
                            .map_err(|e| mismatch(e.to_string()))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The configured classification levels, lowest first.
    pub fn levels(&self) -> &[String] {
        &self.levels
    }

    /// The register entry with this reference.
    pub fn legal_basis(&self, reference: &str) -> Option<&LegalBasis> {
        self.register.get(reference).map(|e| &e.basis)
    }

    /// The policy ids, in the order of the policy text.
    pub fn policy_ids(&self) -> &[String] {
        &self.policy_order
    }

    /// The validated policy set (for display and audit).
    pub fn policies(&self) -> &PolicySet {
        &self.policies
    }

    /// Decides one request; see the crate documentation for the order of
    /// checks. Exactly one decision, never a panic, no side effect.
    pub fn decide(&self, req: &Request) -> Decision {
        match self.check(req) {
            Ok(d) => d,
            Err(reason) => Decision::Deny { reason },
        }
    }

    fn check(&self, req: &Request) -> Result<Decision, DenyReason> {
        let p = req.principal;
        // 1. N-5.9.6: a program acts for a named natural person.
        let on_behalf_of = match p.kind {
            PrincipalKind::Person => None,
            PrincipalKind::Program => match p.on_behalf_of.as_deref().map(str::trim) {
                Some(person) if !person.is_empty() => Some(person),
                _ => return Err(DenyReason::NoOnBehalfOf),
            },
        };
        // 2. Contract 7: approver ≠ requester; only the requester runs.
        if matches!(req.action, Action::ConsultApprove | Action::ConsultRun) {
            let requester = match req.requester.map(str::trim) {
                Some(r) if !r.is_empty() => r,
                _ => return Err(DenyReason::MissingRequester),
            };
            let is_requester = p.id.trim() == requester || on_behalf_of == Some(requester);
            match req.action {
                Action::ConsultApprove if is_requester => return Err(DenyReason::SelfApproval),
                Action::ConsultRun if !is_requester => return Err(DenyReason::NotRequester),
                _ => {}
            }
        }
        // 3. The decision date.
        let day = parse_day(req.date).ok_or(DenyReason::InvalidDate)?;
        // 4. The action applies to this principal and resource kind.
        let ap = self.applies[req.action.index()];
        if !ap.principal(p.kind) || !ap.resource(req.resource.kind) {
            return Err(DenyReason::NotPermitted);
        }
        // 5. N-5.5.1: classification and clearance.
        let content = req.action.is_content();
        let principal_rank = self.rank.get(&p.clearance).copied().unwrap_or(-1);
        let class_rank = if req.resource.kind == ResourceKind::Record {
            match &req.resource.classification {
                Some(c) => Some(
                    self.rank
                        .get(c)
                        .copied()
                        .ok_or(DenyReason::UnknownClassification)?,
                ),
                None if content => return Err(DenyReason::UnknownClassification),
                None => None,
            }
        } else {
            None
        };
        if content {
            if let (Some(needed), Some(c)) = (class_rank, &req.resource.classification) {
                if principal_rank < needed {
                    return Err(DenyReason::ClearanceTooLow {
                        needed: c.clone(),
                        held: p.clearance.clone(),
                    });
                }
            }
        }
        // 6. N-5.6.4: a valid legal basis covering purpose, category, grantee.
        let basis = if content {
            let reference = req
                .legal_basis
                .filter(|r| !r.trim().is_empty())
                .ok_or(DenyReason::NoLegalBasis)?;
            let entry =
                self.register
                    .get(reference)
                    .ok_or_else(|| DenyReason::LegalBasisUnknown {
                        reference: reference.into(),
                    })?;
            let reference = &entry.basis.reference;
            if !entry.valid_on(day) {
                return Err(DenyReason::LegalBasisNotValidOn {
                    reference: reference.clone(),
                    valid_from: entry.basis.valid_from.clone(),
                    valid_until: entry.basis.valid_until.clone(),
                });
            }
            let purpose = req
                .purpose
                .filter(|s| !s.trim().is_empty())
                .ok_or(DenyReason::NoPurpose)?;
            if !entry.covers_purpose(purpose) {
                return Err(DenyReason::PurposeNotCovered {
                    reference: reference.clone(),
                });
            }
            let category = req.resource.doc_type.as_deref();
            if !entry.covers_category(category) {
                return Err(DenyReason::CategoryNotCovered {
                    reference: reference.clone(),
                    category: category.unwrap_or(ANY).into(),
                });
            }
            if !entry.covers_grantee(&p.roles, &p.institution) {
                return Err(DenyReason::RoleNotCovered {
                    reference: reference.clone(),
                });
            }
            Some(reference.clone())
        } else {
            None
        };
        // 7. Cedar.
        let policy_ids = self.cedar_permits(&CedarInput {
            principal: p,
            principal_rank,
            action: req.action,
            resource: req.resource,
            class_rank,
            purpose: req.purpose,
            legal_basis: req.legal_basis,
            day,
        })?;
        Ok(Decision::Permit {
            policy_ids,
            legal_basis: basis,
        })
    }

    /// Builds the Cedar request and entities for one input.
    fn build(&self, i: &CedarInput) -> Result<(cedar_policy::Request, Entities), String> {
        let p = i.principal;
        let (ptype, on_behalf_of) = match p.kind {
            PrincipalKind::Person => (&self.types.person, None),
            PrincipalKind::Program => (&self.types.program, p.on_behalf_of.as_deref()),
        };
        let p_uid = uid(ptype, &p.id);
        let mut parents = HashSet::with_capacity(p.roles.len() + 1);
        for r in &p.roles {
            parents.insert(uid(&self.types.role, r));
        }
        if !p.institution.is_empty() {
            parents.insert(uid(&self.types.institution, &p.institution));
        }
        let mut attrs = HashMap::with_capacity(2);
        attrs.insert(
            "clearance".to_string(),
            RestrictedExpression::new_long(i.principal_rank),
        );
        if let Some(person) = on_behalf_of {
            attrs.insert(
                "on_behalf_of".to_string(),
                RestrictedExpression::new_string(person.to_string()),
            );
        }
        let principal = Entity::new(p_uid.clone(), attrs, parents)
            .map_err(|e| format!("principal entity: {e}"))?;
        let mut entities = Vec::with_capacity(3);
        entities.push(principal);

        let r = i.resource;
        let r_uid = match r.kind {
            ResourceKind::Record => {
                let r_uid = uid(&self.types.record, r.record_id.as_deref().unwrap_or(""));
                let mut attrs = HashMap::with_capacity(3);
                if let Some(rank) = i.class_rank {
                    attrs.insert(
                        "classification".to_string(),
                        RestrictedExpression::new_long(rank),
                    );
                }
                if let Some(t) = &r.doc_type {
                    attrs.insert(
                        "doc_type".to_string(),
                        RestrictedExpression::new_string(t.clone()),
                    );
                }
                if let Some(s) = &r.subject {
                    attrs.insert(
                        "subject".to_string(),
                        RestrictedExpression::new_string(s.clone()),
                    );
                }
                if let Some(rc) = &r.retention {
                    attrs.insert(
                        "retention".to_string(),
                        RestrictedExpression::new_string(rc.clone()),
                    );
                }
                let e = Entity::new(r_uid.clone(), attrs, HashSet::new())
                    .map_err(|e| format!("resource entity: {e}"))?;
                entities.push(e);
                r_uid
            }
            ResourceKind::Journal => self.journal_uid.clone(),
            ResourceKind::System => self.system_uid.clone(),
        };
        if let Some(actions) = &self.action_entities {
            entities.push(actions[i.action.index()].clone());
        }

        let mut ctx = Vec::with_capacity(3);
        if let Some(purpose) = i.purpose {
            ctx.push((
                "purpose".to_string(),
                RestrictedExpression::new_string(purpose.to_string()),
            ));
        }
        if let Some(lb) = i.legal_basis {
            ctx.push((
                "legal_basis".to_string(),
                RestrictedExpression::new_string(lb.to_string()),
            ));
        }
        ctx.push((
            "date".to_string(),
            RestrictedExpression::new_long(i64::from(i.day)),
        ));
        let context = Context::from_pairs(ctx).map_err(|e| format!("context: {e}"))?;
        let request = cedar_policy::Request::new(
            p_uid,
            self.action_uids[i.action.index()].clone(),
            r_uid,
            context,
            None,
        )
        .map_err(|e| format!("request: {e}"))?;
        let entities =
            Entities::from_entities(entities, None).map_err(|e| format!("entities: {e}"))?;
        Ok((request, entities))
    }

    /// Evaluates the slices that can apply; `Ok` with the satisfied permits'
    /// ids (sorted, at least one), or the deny reason.
    fn cedar_permits(&self, i: &CedarInput) -> Result<Vec<String>, DenyReason> {
        let (request, entities) = self
            .build(i)
            .map_err(|detail| DenyReason::EvaluationFailed { detail })?;
        let slice = &self.slices[i.action.index()];
        let roles = &i.principal.roles;
        let role_groups = roles.iter().enumerate().filter_map(|(n, r)| {
            if roles[..n].contains(r) {
                None
            } else {
                slice.by_role.get(r)
            }
        });
        let doc_type = match i.resource.kind {
            ResourceKind::Record => i.resource.doc_type.as_deref(),
            _ => None,
        };
        let sets = std::iter::once(&slice.any_role)
            .chain(role_groups)
            .flat_map(|g| {
                std::iter::once(&g.any_type).chain(doc_type.and_then(|t| g.by_type.get(t)))
            });
        let mut permits: Vec<String> = Vec::new();
        let mut forbidden: Vec<String> = Vec::new();
        let mut failed: Vec<String> = Vec::new();
        for set in sets {
            if set.is_empty() {
                continue;
            }
            let response = self.cedar.is_authorized(&request, set, &entities);
            let diag = response.diagnostics();
            let ids = diag.reason().map(|id| id.to_string());
            match response.decision() {
                cedar_policy::Decision::Allow => permits.extend(ids),
                cedar_policy::Decision::Deny => forbidden.extend(ids),
            }
            for e in diag.errors() {
                let cedar_policy::AuthorizationError::PolicyEvaluationError(e) = e;
                if self.forbids.contains(e.policy_id()) {
                    failed.push(e.policy_id().to_string());
                }
            }
        }
        if !forbidden.is_empty() {
            forbidden.sort();
            forbidden.dedup();
            return Err(DenyReason::Forbidden {
                policy_ids: forbidden,
            });
        }
        if !failed.is_empty() {
            failed.sort();
            failed.dedup();
            return Err(DenyReason::EvaluationFailed {
                detail: format!("forbid policy {} raised an error", failed.join(", ")),
            });
        }
        if permits.is_empty() {
            return Err(DenyReason::NotPermitted);
        }
        permits.sort();
        permits.dedup();
        Ok(permits)
    }

    /// The CC-8 access report: for every register entry, every role it
    /// covers (and every role within every institution it covers) and every
    /// data category, which content actions the Cedar policies grant —
    /// evaluated for a person holding only that role, with the highest
    /// clearance, on a record of that type at the lowest classification, for
    /// the entry's first purpose, on its first day of validity. A decision
    /// still checks everything for each access; this shows who may reach
    /// which categories under which basis. Lines follow the register's order.
    pub fn access_report(&self) -> Vec<AccessLine> {
        let mut policy_roles: Vec<&String> =
            self.slices.iter().flat_map(|s| s.by_role.keys()).collect();
        policy_roles.sort();
        policy_roles.dedup();
        /// (role, institution, category, purpose) → granted content actions.
        type Key<'k> = (Option<&'k str>, Option<&'k str>, &'k str, &'k str);
        let mut memo: HashMap<Key, Vec<Action>> = HashMap::new();
        let mut out = Vec::new();
        for entry in &self.register.entries {
            let b = &entry.basis;
            let purpose = b.purposes.first().map(String::as_str).unwrap_or(ANY);
            let mut grantees: Vec<(Option<&str>, Option<&str>)> =
                b.roles.iter().map(|r| (Some(r.as_str()), None)).collect();
            for inst in &b.institutions {
                grantees.push((None, Some(inst.as_str())));
                grantees.extend(
                    policy_roles
                        .iter()
                        .map(|r| (Some(r.as_str()), Some(inst.as_str()))),
                );
            }
            for category in &b.data_categories {
                for &(role, inst) in &grantees {
                    let actions = memo
                        .entry((role, inst, category, purpose))
                        .or_insert_with(|| {
                            self.granted_content_actions(role, inst, category, purpose, entry)
                        })
                        .clone();
                    // Institution lines only where something is granted.
                    if inst.is_some() && actions.is_empty() {
                        continue;
                    }
                    out.push(AccessLine {
                        legal_basis: b.reference.clone(),
                        role: role.map(str::to_string),
                        institution: inst.map(str::to_string),
                        data_category: category.clone(),
                        purposes: b.purposes.clone(),
                        actions,
                        valid_from: b.valid_from.clone(),
                        valid_until: b.valid_until.clone(),
                    });
                }
            }
        }
        out
    }

    fn granted_content_actions(
        &self,
        role: Option<&str>,
        institution: Option<&str>,
        category: &str,
        purpose: &str,
        entry: &register::Entry,
    ) -> Vec<Action> {
        let (basis, from) = (&entry.basis, entry.from);
        let top = i64::try_from(self.levels.len()).unwrap_or(i64::MAX) - 1;
        let principal = Principal {
            id: "access-report".into(),
            kind: PrincipalKind::Person,
            on_behalf_of: None,
            roles: role.map(|r| vec![r.to_string()]).unwrap_or_default(),
            clearance: self.levels[self.levels.len() - 1].clone(),
            institution: institution.unwrap_or("").into(),
        };
        let resource = ResourceAttrs {
            kind: ResourceKind::Record,
            doc_type: (category != ANY).then(|| category.to_string()),
            classification: Some(self.levels[0].clone()),
            record_id: None,
            subject: None,
            retention: None,
        };
        Action::CONTENT
            .into_iter()
            .filter(|&action| {
                self.applies[action.index()].record
                    && self
                        .cedar_permits(&CedarInput {
                            principal: &principal,
                            principal_rank: top,
                            action,
                            resource: &resource,
                            class_rank: Some(0),
                            purpose: (purpose != ANY).then_some(purpose),
                            legal_basis: Some(&basis.reference),
                            day: from,
                        })
                        .is_ok()
            })
            .collect()
    }
}

fn ranks(levels: &[String]) -> Result<HashMap<String, i64>, Error> {
    if levels.is_empty() {
        return Err(Error::Levels {
            detail: "configure at least one level".into(),
        });
    }
    let mut rank = HashMap::with_capacity(levels.len());
    for (i, l) in levels.iter().enumerate() {
        if l.trim().is_empty() {
            return Err(Error::Levels {
                detail: "a level name is empty".into(),
            });
        }
        let r = i64::try_from(i).map_err(|_| Error::Levels {
            detail: "too many levels".into(),
        })?;
        if rank.insert(l.clone(), r).is_some() {
            return Err(Error::Levels {
                detail: format!("level {l:?} appears twice"),
            });
        }
    }
    Ok(rank)
}

/// The document types a policy's `when` clauses require: a top-level
/// conjunct `resource.doc_type == "t"` (either side) or
/// `["t", "u"].contains(resource.doc_type)`, read from Cedar's JSON form.
/// `None` when no such conjunct exists (the policy may apply to any type).
fn required_doc_types(policy: &serde_json::Value) -> Option<Vec<String>> {
    fn is_doc_type(e: &serde_json::Value) -> bool {
        e.get(".").is_some_and(|dot| {
            dot.get("attr").and_then(|a| a.as_str()) == Some("doc_type")
                && dot.pointer("/left/Var").and_then(|v| v.as_str()) == Some("resource")
        })
    }
    fn string_value(e: &serde_json::Value) -> Option<String> {
        e.get("Value").and_then(|v| v.as_str()).map(str::to_string)
    }
    fn conjuncts<'a>(e: &'a serde_json::Value, out: &mut Vec<&'a serde_json::Value>) {
        match e.get("&&") {
            Some(and) => {
                for side in ["left", "right"] {
                    if let Some(x) = and.get(side) {
                        conjuncts(x, out);
                    }
                }
            }
            None => out.push(e),
        }
    }
    let mut all = Vec::new();
    for cond in policy.get("conditions")?.as_array()? {
        if cond.get("kind").and_then(|k| k.as_str()) == Some("when") {
            if let Some(body) = cond.get("body") {
                conjuncts(body, &mut all);
            }
        }
    }
    for c in all {
        if let Some(eq) = c.get("==") {
            let (l, r) = (eq.get("left")?, eq.get("right")?);
            let found = if is_doc_type(l) {
                string_value(r)
            } else if is_doc_type(r) {
                string_value(l)
            } else {
                None
            };
            if let Some(t) = found {
                return Some(vec![t]);
            }
        }
        if let Some(contains) = c.get("contains") {
            if contains.get("right").is_some_and(is_doc_type) {
                let set = contains.pointer("/left/Set").and_then(|s| s.as_array());
                if let Some(items) = set {
                    let types: Option<Vec<String>> = items.iter().map(string_value).collect();
                    if let Some(types) = types.filter(|t| !t.is_empty()) {
                        return Some(types);
                    }
                }
            }
        }
    }
    None
}

/// Parses the policy text, renames each policy to its `@id`, and returns the
/// set with the ids in text order.
fn parse_policies(src: &str) -> Result<(PolicySet, Vec<String>), Error> {
    let pieces = split::pieces(src);
    let parsed = match PolicySet::from_str(src) {
        Ok(set) => set,
        Err(whole) => return Err(syntax_error(&pieces, &whole.to_string())),
    };
    if let Some(t) = parsed.templates().next() {
        return Err(Error::Template {
            id: t.annotation("id").unwrap_or(t.id().as_ref()).to_string(),
        });
    }
    // Cedar names the policies `policy0`, `policy1`, … in text order.
    let mut numbered: Vec<(usize, &cedar_policy::Policy)> = parsed
        .policies()
        .map(|p| {
            let n = p
                .id()
                .to_string()
                .strip_prefix("policy")
                .and_then(|n| n.parse().ok())
                .unwrap_or(usize::MAX);
            (n, p)
        })
        .collect();
    numbered.sort_by_key(|(n, _)| *n);
    let mut set = PolicySet::new();
    let mut order = Vec::with_capacity(numbered.len());
    let mut seen = HashSet::new();
    for (pos, (n, p)) in numbered.into_iter().enumerate() {
        let Some(id) = p.annotation("id").map(str::trim).filter(|s| !s.is_empty()) else {
            return Err(Error::PolicyWithoutId {
                position: pos + 1,
                line: pieces.get(n).map_or(0, |piece| piece.line),
            });
        };
        if !seen.insert(id.to_string()) {
            return Err(Error::DuplicatePolicyId { id: id.into() });
        }
        set.add(p.new_id(PolicyId::new(id)))
            .map_err(|_| Error::DuplicatePolicyId { id: id.into() })?;
        order.push(id.to_string());
    }
    Ok((set, order))
}

/// Names the first policy that does not parse on its own.
fn syntax_error(pieces: &[split::Piece], whole: &str) -> Error {
    for (n, piece) in pieces.iter().enumerate() {
        if let Err(e) = cedar_policy::PolicySet::from_str(piece.text) {
            return Error::PolicySyntax {
                policy: split::annotated_id(piece.text)
                    .map(|id| format!("{id:?}"))
                    .unwrap_or_else(|| format!("#{}", n + 1)),
                line: piece.line,
                detail: e.to_string(),
            };
        }
    }
    Error::PolicySyntax {
        policy: "(policy set)".into(),
        line: 1,
        detail: whole.into(),
    }
}

#[cfg(test)]
mod slicing_tests;

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn authorizer_is_send_and_sync() {
        assert_send_sync::<super::Authorizer>();
    }
}
