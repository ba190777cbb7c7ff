//! The policy slices (by action, by the role a scope names, by the document
//! type a permit requires) give the same answer as Cedar over the whole
//! policy set, for random policy sets and requests.
use proptest::prelude::*;

use super::*;

const ROLES: [&str; 4] = ["ra", "rb", "rc", "case-handler"];
const TYPES: [&str; 3] = ["ta", "tb", "tc"];
const RECORD_ACTIONS: [&str; 6] = ["ingest", "read", "search", "show", "export", "destroy"];

fn policy(k: usize, shape: usize, r: usize, t: usize, a: usize, b: usize) -> String {
    let role = ROLES[r % ROLES.len()];
    let ty = TYPES[t % TYPES.len()];
    let ty2 = TYPES[(t + 1) % TYPES.len()];
    let act = RECORD_ACTIONS[a % RECORD_ACTIONS.len()];
    let act2 = RECORD_ACTIONS[b % RECORD_ACTIONS.len()];
    let body = match shape % 10 {
        0 => format!(r#"permit (principal in Role::"{role}", action in [Action::"{act}", Action::"{act2}"], resource is Record) when {{ resource has doc_type && resource.doc_type == "{ty}" }}"#),
        1 => format!(r#"permit (principal in Role::"{role}", action == Action::"{act}", resource is Record) when {{ resource has doc_type && ["{ty}", "{ty2}"].contains(resource.doc_type) }}"#),
        2 => format!(r#"permit (principal, action == Action::"{act}", resource is Record) when {{ resource has doc_type && "{ty}" == resource.doc_type && context has purpose && context.purpose == "p{b}" }}"#),
        3 => format!(r#"forbid (principal in Role::"{role}", action, resource) when {{ context.date >= 2025{:02}01 }}"#, 1 + b % 12),
        4 => format!(r#"forbid (principal, action in [Action::"{act}", Action::"{act2}"], resource is Record) when {{ resource has doc_type && resource.doc_type == "{ty}" }}"#),
        5 => format!(r#"permit (principal in Institution::"i{}", action, resource)"#, b % 2),
        6 => format!(r#"permit (principal is Program, action == Action::"{act}", resource)"#),
        7 => format!(r#"permit (principal in Role::"{role}", action, resource) unless {{ resource has doc_type && resource.doc_type == "{ty}" }}"#),
        8 => r#"forbid (principal, action, resource is Record) when { resource has classification && resource.classification * 4611686018427387904 > 4611686018427387904 }"#.to_string(),
        _ => format!(r#"permit (principal in Role::"{role}", action, resource is Record) when {{ resource has doc_type && resource.doc_type == "{ty}" && principal.clearance >= {} }}"#, b % 4),
    };
    format!("@id(\"p{k}\")\n{body};\n")
}

type Shape = (usize, usize, usize, usize, usize);

fn policies() -> impl Strategy<Value = Vec<Shape>> {
    proptest::collection::vec(
        (0usize..10, 0usize..8, 0usize..8, 0usize..8, 0usize..8),
        0..25,
    )
}

#[derive(Debug, Clone)]
struct Input {
    kind: PrincipalKind,
    roles: Vec<String>,
    institution: String,
    rank: i64,
    action: Action,
    resource: ResourceAttrs,
    class_rank: Option<i64>,
    purpose: Option<String>,
    day: Day,
}

fn input() -> impl Strategy<Value = Input> {
    (
        any::<bool>(),
        proptest::collection::vec(prop::sample::select(&ROLES[..]), 0..4),
        0usize..3,
        -1i64..4,
        prop::sample::select(Action::ALL.to_vec()),
        prop::option::of(prop::sample::select(&TYPES[..])),
        prop::option::of(0i64..4),
        prop::option::of(0usize..8),
        prop::sample::select(vec![20240101u32, 20250301, 20251231]),
    )
        .prop_map(
            |(program, roles, inst, rank, action, ty, class_rank, purpose, day)| {
                let kind = match action {
                    Action::ManageKeys
                    | Action::ManagePolicy
                    | Action::ManageUsers
                    | Action::VerifyVault => ResourceKind::System,
                    Action::ConsultRequest | Action::ConsultApprove | Action::ConsultRun => {
                        ResourceKind::Journal
                    }
                    _ => ResourceKind::Record,
                };
                Input {
                    kind: if program {
                        PrincipalKind::Program
                    } else {
                        PrincipalKind::Person
                    },
                    roles: roles.into_iter().map(String::from).collect(),
                    institution: format!("i{inst}"),
                    rank,
                    action,
                    resource: ResourceAttrs {
                        kind,
                        doc_type: ty.map(String::from),
                        classification: None,
                        record_id: Some("r".into()),
                        subject: None,
                        retention: None,
                    },
                    class_rank: if kind == ResourceKind::Record {
                        class_rank
                    } else {
                        None
                    },
                    purpose: purpose.map(|p| format!("p{p}")),
                    day,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn slices_agree_with_the_whole_set(shapes in policies(), inputs in proptest::collection::vec(input(), 1..20)) {
        let text: String = shapes
            .iter()
            .enumerate()
            .map(|(k, &(s, r, t, a, b))| policy(k, s, r, t, a, b))
            .collect();
        let authorizer = Authorizer::new(Authorizer::default_schema(), &text, default_levels(), vec![])
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        for i in &inputs {
            let principal = Principal {
                id: "u".into(),
                kind: i.kind,
                on_behalf_of: Some("someone".into()),
                roles: i.roles.clone(),
                clearance: String::new(),
                institution: i.institution.clone(),
            };
            let cedar_input = CedarInput {
                principal: &principal,
                principal_rank: i.rank,
                action: i.action,
                resource: &i.resource,
                class_rank: i.class_rank,
                purpose: i.purpose.as_deref(),
                legal_basis: None,
                day: i.day,
            };
            let sliced = authorizer.cedar_permits(&cedar_input);

            let (req, entities) = authorizer.build(&cedar_input).unwrap();
            let whole = authorizer.cedar.is_authorized(&req, &authorizer.policies, &entities);
            let mut reasons: Vec<String> = whole.diagnostics().reason().map(|p| p.to_string()).collect();
            reasons.sort();
            let mut failed: Vec<String> = whole
                .diagnostics()
                .errors()
                .map(|cedar_policy::AuthorizationError::PolicyEvaluationError(e)| e.policy_id().to_string())
                .filter(|id| authorizer.forbids.contains(&PolicyId::new(id)))
                .collect();
            failed.sort();
            let expected = match whole.decision() {
                cedar_policy::Decision::Deny if !reasons.is_empty() => Err(DenyReason::Forbidden { policy_ids: reasons }),
                _ if !failed.is_empty() => Err(DenyReason::EvaluationFailed {
                    detail: format!("forbid policy {} raised an error", failed.join(", ")),
                }),
                cedar_policy::Decision::Allow => Ok(reasons),
                cedar_policy::Decision::Deny => Err(DenyReason::NotPermitted),
            };
            prop_assert_eq!(sliced, expected, "input {:?}\npolicies:\n{}", i, text);
        }
    }
}

#[test]
fn doc_type_requirements_are_read_from_when_clauses() {
    let read = |src: &str| {
        let p = cedar_policy::Policy::from_str(src).unwrap();
        required_doc_types(&p.to_json().unwrap())
    };
    assert_eq!(
        read(
            r#"permit (principal, action, resource) when { resource has doc_type && resource.doc_type == "a" };"#
        ),
        Some(vec!["a".to_string()])
    );
    assert_eq!(
        read(
            r#"permit (principal, action, resource) when { true } when { ["a", "b"].contains(resource.doc_type) };"#
        ),
        Some(vec!["a".to_string(), "b".to_string()])
    );
    // A disjunction, an `unless`, a non-literal or another attribute: none.
    for src in [
        r#"permit (principal, action, resource) when { resource.doc_type == "a" || true };"#,
        r#"permit (principal, action, resource) unless { resource.doc_type == "a" };"#,
        r#"permit (principal, action, resource) when { resource.doc_type == context.purpose };"#,
        r#"permit (principal, action, resource) when { resource.subject == "a" };"#,
        r#"permit (principal, action, resource) when { principal.doc_type == "a" };"#,
        r#"permit (principal, action, resource) when { [1, "a"].contains(resource.doc_type) };"#,
        r#"permit (principal, action, resource);"#,
    ] {
        assert_eq!(read(src), None, "{src}");
    }
}
