//! Building an authorizer: the shipped configuration loads; invalid schema,
//! policies, levels and register entries are refused with an error that
//! names the culprit (AR-20.5: the access-control policy is checked before
//! it is used).
mod common;

use probant_policy::{default_levels, Authorizer, Error, LegalBasis};

fn build(policies: &str) -> Result<Authorizer, Error> {
    Authorizer::new(
        Authorizer::default_schema(),
        policies,
        default_levels(),
        vec![LegalBasis::own_records("2024-01-01")],
    )
}

fn err(r: Result<Authorizer, Error>) -> Error {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn shipped_configuration_loads() {
    let a = common::authorizer(vec![LegalBasis::own_records("2024-01-01")]);
    assert_eq!(
        a.policy_ids(),
        [
            "case-handler-records",
            "archivist-records",
            "archivist-verify",
            "dpo-audit",
            "administrator-system",
            "administrator-no-content",
            "clearance-ceiling",
            "dpo-consultation",
            "approver-consultation",
        ]
    );
    assert_eq!(a.levels(), default_levels());
    assert_eq!(
        a.legal_basis("own-records").unwrap().roles,
        ["case-handler"]
    );
    assert!(a.legal_basis("nope").is_none());
    // An empty policy set is valid: everything is denied.
    assert!(build("").is_ok());
    assert!(build("// only a comment\n").is_ok());
}

#[test]
fn syntax_error_names_the_policy_and_line() {
    let text = format!(
        "{}\n@id(\"broken\")\npermit (principal in Role::\"x\", action == Action::\"read\" resource);\n",
        Authorizer::default_policies()
    );
    let line = text
        .lines()
        .position(|l| l.contains("@id(\"broken\")"))
        .unwrap()
        + 1;
    match err(build(&text)) {
        Error::PolicySyntax {
            policy,
            line: l,
            detail,
        } => {
            assert_eq!(policy, "\"broken\"");
            assert_eq!(l, line);
            assert!(!detail.is_empty());
        }
        other => panic!("{other:?}"),
    }
    // Without an id, by position.
    match err(build(
        "@id(\"a\") permit (principal, action, resource);\nforbid (principal action, resource);",
    )) {
        Error::PolicySyntax { policy, line, .. } => {
            assert_eq!(policy, "#2");
            assert_eq!(line, 2);
        }
        other => panic!("{other:?}"),
    }
    let e = err(build(
        "@id(\"x\") permit (principal, action, resource) when { 1 + };",
    ));
    assert!(
        e.to_string()
            .contains("policy \"x\" (line 1) is not valid Cedar"),
        "{e}"
    );
}

#[test]
fn schema_invalid_policies_are_named() {
    let cases = [
        (
            "bad-attr",
            r#"@id("bad-attr") permit (principal, action == Action::"read", resource is Record) when { resource.colour == "red" };"#,
        ),
        (
            "bad-action",
            r#"@id("bad-action") permit (principal, action == Action::"delete-everything", resource);"#,
        ),
        (
            "bad-type",
            r#"@id("bad-type") permit (principal in Group::"x", action, resource);"#,
        ),
        (
            "unguarded-optional",
            r#"@id("unguarded-optional") permit (principal, action == Action::"read", resource is Record) when { resource.doc_type == "c4" };"#,
        ),
        (
            "wrong-type",
            r#"@id("wrong-type") permit (principal, action == Action::"read", resource is Record) when { principal.clearance == "high" };"#,
        ),
        (
            "wrong-resource",
            r#"@id("wrong-resource") permit (principal, action == Action::"manage-keys", resource is Record);"#,
        ),
    ];
    for (id, policy) in cases {
        let text = format!("{}\n{policy}\n", Authorizer::default_policies());
        match err(build(&text)) {
            e @ Error::PolicyInvalid { .. } => {
                assert!(
                    e.to_string()
                        .starts_with(&format!("policy {id:?} does not validate")),
                    "{e}"
                );
                let Error::PolicyInvalid { policy, detail } = e else {
                    unreachable!()
                };
                assert_eq!(policy, id, "{detail}");
                assert!(!detail.is_empty());
            }
            other => panic!("{id}: {other:?}"),
        }
    }
}

#[test]
fn policies_need_unique_ids() {
    match err(build(
        "@id(\"a\") permit (principal, action, resource);\n\npermit (principal, action, resource);",
    )) {
        Error::PolicyWithoutId { position, line } => {
            assert_eq!(position, 2);
            assert_eq!(line, 3);
        }
        other => panic!("{other:?}"),
    }
    match err(build("@id(\"a\") permit (principal, action, resource);\n@id(\"a\") forbid (principal, action, resource);")) {
        Error::DuplicatePolicyId { id } => assert_eq!(id, "a"),
        other => panic!("{other:?}"),
    }
    match err(build(
        "@id(\"t\") permit (principal == ?principal, action, resource);",
    )) {
        Error::Template { id } => assert_eq!(id, "t"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn schema_errors() {
    let e = err(Authorizer::new(
        "entity Person = {",
        "",
        default_levels(),
        vec![],
    ));
    assert!(matches!(e, Error::Schema { .. }), "{e:?}");
    // A schema that lacks an action Probant asks about.
    let schema = Authorizer::default_schema().replace("\"verify-vault\"", "\"verify\"");
    let e = err(Authorizer::new(&schema, "", default_levels(), vec![]));
    match e {
        Error::SchemaMismatch { detail } => assert!(detail.contains("verify-vault"), "{detail}"),
        other => panic!("{other:?}"),
    }
    // Types in a namespace are not the ones Probant builds.
    let schema = format!("namespace Probant {{\n{}\n}}", Authorizer::default_schema());
    let e = err(Authorizer::new(&schema, "", default_levels(), vec![]));
    assert!(matches!(e, Error::SchemaMismatch { .. }), "{e:?}");
    // A schema that does not describe the entities Probant builds.
    let schema = Authorizer::default_schema().replace(
        "  @doc(\"Id of the natural person the program acts for.\")\n  on_behalf_of: String,\n",
        "",
    );
    assert_ne!(schema, Authorizer::default_schema());
    let e = err(Authorizer::new(&schema, "", default_levels(), vec![]));
    assert!(matches!(e, Error::SchemaMismatch { .. }), "{e:?}");
    let schema = Authorizer::default_schema().replace("  date: Long,", "  date: String,");
    let e = err(Authorizer::new(&schema, "", default_levels(), vec![]));
    assert!(matches!(e, Error::SchemaMismatch { .. }), "{e:?}");
    let schema = Authorizer::default_schema().replace(
        "  clearance: Long,\n  @doc(\"Id of",
        "  clearance: Long,\n  department: String,\n  @doc(\"Id of",
    );
    assert_ne!(schema, Authorizer::default_schema());
    let e = err(Authorizer::new(&schema, "", default_levels(), vec![]));
    assert!(matches!(e, Error::SchemaMismatch { .. }), "{e:?}");
}

#[test]
fn action_groups_in_a_custom_schema() {
    let schema = Authorizer::default_schema()
        .replace(
            "action \"ingest\", \"read\", \"search\", \"show\", \"export\", \"destroy\" appliesTo {",
            "action \"content\";\naction \"ingest\", \"destroy\" appliesTo {\n  principal: [Person, Program],\n  resource: [Record],\n  context: RequestContext,\n};\naction \"read\", \"search\", \"show\", \"export\" in [\"content\"] appliesTo {",
        );
    let policies = r#"@id("content-for-readers") permit (principal in Role::"reader", action in Action::"content", resource is Record);"#;
    let a = Authorizer::new(
        &schema,
        policies,
        default_levels(),
        vec![LegalBasis {
            roles: vec!["reader".into()],
            ..LegalBasis::own_records("2024-01-01")
        }],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let p = common::person("r", &["reader"], "sensitive");
    let rec = probant_policy::ResourceAttrs::record("c4", "public");
    for action in probant_policy::Action::CONTENT {
        let d = a.decide(&common::content(
            &p,
            action,
            &rec,
            Some("x"),
            Some("own-records"),
            "2025-01-01",
        ));
        common::assert_permit(&d, &["content-for-readers"], Some("own-records"));
    }
    let d = a.decide(&common::plain(&p, probant_policy::Action::Ingest, &rec));
    assert!(!d.is_permit());
}

#[test]
fn levels_are_checked() {
    let e = err(Authorizer::new(
        Authorizer::default_schema(),
        "",
        vec![],
        vec![],
    ));
    assert!(matches!(e, Error::Levels { .. }));
    let e = err(Authorizer::new(
        Authorizer::default_schema(),
        "",
        vec!["a".into(), "b".into(), "a".into()],
        vec![],
    ));
    assert!(e.to_string().contains("\"a\" appears twice"), "{e}");
    let e = err(Authorizer::new(
        Authorizer::default_schema(),
        "",
        vec![" ".into()],
        vec![],
    ));
    assert!(matches!(e, Error::Levels { .. }));
}

#[test]
fn register_entries_are_checked() {
    let ok = LegalBasis::own_records("2024-01-01");
    let bad = |b: LegalBasis| -> String {
        let reference = b.reference.clone();
        match err(Authorizer::new(
            Authorizer::default_schema(),
            "",
            default_levels(),
            vec![ok.clone(), b],
        )) {
            Error::Register {
                reference: r,
                detail,
            } => {
                assert_eq!(r, reference);
                detail
            }
            other => panic!("{other:?}"),
        }
    };
    let d = bad(ok.clone());
    assert!(d.contains("twice"), "{d}");
    let b = |f: &dyn Fn(&mut LegalBasis)| {
        let mut x = LegalBasis {
            reference: "x".into(),
            ..ok.clone()
        };
        f(&mut x);
        x
    };
    assert!(bad(b(&|x| x.valid_from = "2024-02-30".into())).contains("valid_from"));
    assert!(bad(b(&|x| x.valid_until = Some("31/12/2024".into()))).contains("valid_until"));
    assert!(bad(b(&|x| x.valid_until = Some("2023-12-31".into()))).contains("before"));
    assert!(bad(b(&|x| x.purposes.clear())).contains("purpose"));
    assert!(bad(b(&|x| x.data_categories = vec!["".into()])).contains("category"));
    assert!(bad(b(&|x| x.roles.clear())).contains("role or institution"));
    assert!(bad(b(&|x| x.roles = vec!["*".into()])).contains("no \"*\""));
    assert!(bad(b(&|x| x.institutions = vec!["*".into()])).contains("no \"*\""));
    assert!(bad(b(&|x| x.reference = " ".into())).contains("empty"));
    // Serialised register entries round-trip (for the lead's config file).
    let json = serde_json::to_string(&ok).unwrap();
    assert_eq!(serde_json::from_str::<LegalBasis>(&json).unwrap(), ok);
}
