//! Helpers shared by the integration tests.
#![allow(dead_code)]

use probant_policy::{
    default_levels, Action, Authorizer, Decision, LegalBasis, Principal, PrincipalKind, Request,
    ResourceAttrs,
};

/// The default schema, policies and levels over `register`.
pub fn authorizer(register: Vec<LegalBasis>) -> Authorizer {
    Authorizer::new(
        Authorizer::default_schema(),
        Authorizer::default_policies(),
        default_levels(),
        register,
    )
    .unwrap_or_else(|e| panic!("default configuration must load: {e}"))
}

/// The default schema and levels, the default policies plus `extra`.
pub fn authorizer_with(extra: &str, register: Vec<LegalBasis>) -> Authorizer {
    let policies = format!("{}\n{extra}", Authorizer::default_policies());
    Authorizer::new(
        Authorizer::default_schema(),
        &policies,
        default_levels(),
        register,
    )
    .unwrap_or_else(|e| panic!("configuration must load: {e}"))
}

/// A person with these roles and clearance, at institution `inst-a`.
pub fn person(id: &str, roles: &[&str], clearance: &str) -> Principal {
    Principal {
        id: id.into(),
        kind: PrincipalKind::Person,
        on_behalf_of: None,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        clearance: clearance.into(),
        institution: "inst-a".into(),
    }
}

/// A program acting for `on_behalf_of`.
pub fn program(id: &str, on_behalf_of: Option<&str>, roles: &[&str], clearance: &str) -> Principal {
    Principal {
        kind: PrincipalKind::Program,
        on_behalf_of: on_behalf_of.map(str::to_string),
        ..person(id, roles, clearance)
    }
}

/// A legal basis.
pub fn basis(
    reference: &str,
    purposes: &[&str],
    categories: &[&str],
    roles: &[&str],
    from: &str,
    until: Option<&str>,
) -> LegalBasis {
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    LegalBasis {
        reference: reference.into(),
        purposes: v(purposes),
        data_categories: v(categories),
        roles: v(roles),
        institutions: Vec::new(),
        valid_from: from.into(),
        valid_until: until.map(str::to_string),
    }
}

/// A content (or other) request with purpose and legal basis.
pub fn content<'a>(
    principal: &'a Principal,
    action: Action,
    resource: &'a ResourceAttrs,
    purpose: Option<&'a str>,
    legal_basis: Option<&'a str>,
    date: &'a str,
) -> Request<'a> {
    Request {
        principal,
        action,
        resource,
        purpose,
        legal_basis,
        date,
        requester: None,
    }
}

/// A request without purpose or legal basis.
pub fn plain<'a>(
    principal: &'a Principal,
    action: Action,
    resource: &'a ResourceAttrs,
) -> Request<'a> {
    content(principal, action, resource, None, None, "2025-06-01")
}

/// Asserts a permit naming exactly these policies and this legal basis.
pub fn assert_permit(d: &Decision, policies: &[&str], legal_basis: Option<&str>) {
    match d {
        Decision::Permit {
            policy_ids,
            legal_basis: lb,
        } => {
            assert_eq!(policy_ids, policies, "permit policies");
            assert_eq!(lb.as_deref(), legal_basis, "permit legal basis");
        }
        Decision::Deny { reason } => {
            panic!("expected a permit, got a denial: {reason:?} ({reason})")
        }
    }
}
