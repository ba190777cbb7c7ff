//! Authorisation decision latency (issue target: p99 ≤ 50 µs with 1,000
//! policies and 10,000 legal-basis entries).
//!
//! Builds 1,000 generated policies (per-doc-type permits for 200 generated
//! roles, and some purpose-conditioned forbids) on top of the default ones,
//! and a register of 10,000 legal bases; then times 100,000 random decisions
//! (most of them plausible, i.e. they reach Cedar) one by one and prints
//! p50/p99/p99.9 in µs, overall and for those that reached Cedar. For
//! comparison it also times Cedar alone over the whole, unsliced policy set.
//!
//! Run: `cargo run --release -p probant-policy --example decision_bench`
//! (`SKIP_BASELINE=1` skips the whole-set comparison, which takes ~15 s).
use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;
use std::time::Instant;

use cedar_policy::{Context, Entities, Entity, EntityUid, RestrictedExpression};
use probant_policy::{
    default_levels, Action, Authorizer, Decision, LegalBasis, Principal, PrincipalKind, Request,
    ResourceAttrs,
};

const ROLES: usize = 200;
const TYPES: usize = 50;
const PURPOSES: usize = 20;
const POLICIES: usize = 1_000;
const BASES: usize = 10_000;
const DECISIONS: usize = 100_000;

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn policies() -> String {
    let mut s = String::from(Authorizer::default_policies());
    for i in 0..POLICIES {
        let role = i % ROLES;
        if i % 10 == 9 {
            s.push_str(&format!(
                "@id(\"gen-forbid-{i}\")\nforbid (principal in Role::\"r{role}\", action == Action::\"export\", resource is Record)\nwhen {{ context has purpose && context.purpose == \"p-blocked-{i}\" }};\n"
            ));
        } else {
            let t = (i * 7) % TYPES;
            s.push_str(&format!(
                "@id(\"gen-permit-{i}\")\npermit (principal in Role::\"r{role}\", action in [Action::\"read\", Action::\"search\", Action::\"show\", Action::\"export\"], resource is Record)\nwhen {{ resource has doc_type && resource.doc_type == \"t{t}\" }};\n"
            ));
        }
    }
    s
}

fn day(rng: &mut Rng, from_year: usize, years: usize) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        from_year + rng.below(years),
        1 + rng.below(12),
        1 + rng.below(28)
    )
}

/// The document types the generated permits grant to role `r`.
fn role_types(r: usize) -> Vec<String> {
    (0..POLICIES)
        .filter(|i| i % ROLES == r && i % 10 != 9)
        .map(|i| format!("t{}", (i * 7) % TYPES))
        .collect()
}

fn register(rng: &mut Rng) -> Vec<LegalBasis> {
    (0..BASES)
        .map(|j| {
            // Mostly consistent with the policies: a role and types it is granted.
            let role = rng.below(ROLES);
            let granted = role_types(role);
            let pick = |rng: &mut Rng, n: usize, max: usize, prefix: &str| -> Vec<String> {
                let mut v: Vec<String> = (0..1 + rng.below(max))
                    .map(|_| format!("{prefix}{}", rng.below(n)))
                    .collect();
                v.sort();
                v.dedup();
                v
            };
            let valid_from = day(rng, 2018, 4);
            let valid_until = rng
                .chance(70)
                .then(|| format!("{}-12-31", 2022 + rng.below(8)));
            LegalBasis {
                reference: format!("lb-{j}"),
                purposes: pick(rng, PURPOSES, 3, "p"),
                data_categories: if rng.chance(5) {
                    vec!["*".into()]
                } else if rng.chance(80) && !granted.is_empty() {
                    let mut v: Vec<String> = (0..1 + rng.below(3))
                        .map(|_| granted[rng.below(granted.len())].clone())
                        .collect();
                    v.sort();
                    v.dedup();
                    v
                } else {
                    pick(rng, TYPES, 4, "t")
                },
                roles: {
                    let mut v = pick(rng, ROLES, 2, "r");
                    v.insert(0, format!("r{role}"));
                    v.dedup();
                    v
                },
                institutions: if rng.chance(10) {
                    vec![format!("inst-{}", rng.below(5))]
                } else {
                    Vec::new()
                },
                valid_from,
                valid_until,
            }
        })
        .collect()
}

struct Case {
    principal: Principal,
    action: Action,
    resource: ResourceAttrs,
    purpose: String,
    legal_basis: String,
    date: String,
}

fn case(rng: &mut Rng, reg: &[LegalBasis], levels: &[String]) -> Case {
    let lb = &reg[rng.below(reg.len())];
    let plausible = rng.chance(80);
    let pick = |rng: &mut Rng, v: &[String]| v[rng.below(v.len())].clone();
    let mut roles = vec![if plausible {
        lb.roles[0].clone()
    } else {
        format!("r{}", rng.below(ROLES))
    }];
    for _ in 0..rng.below(3) {
        roles.push(format!("r{}", rng.below(ROLES)));
    }
    let class = rng.below(levels.len());
    let clearance = if plausible {
        class + rng.below(levels.len() - class)
    } else {
        rng.below(levels.len())
    };
    let doc_type = if plausible && lb.data_categories[0] != "*" {
        pick(rng, &lb.data_categories)
    } else {
        format!("t{}", rng.below(TYPES))
    };
    let action = if rng.chance(90) {
        Action::CONTENT[rng.below(4)]
    } else {
        Action::Ingest
    };
    let kind = if rng.chance(20) {
        PrincipalKind::Program
    } else {
        PrincipalKind::Person
    };
    Case {
        principal: Principal {
            id: format!("user-{}", rng.below(5_000)),
            kind,
            on_behalf_of: (kind == PrincipalKind::Program && rng.chance(95))
                .then(|| format!("person-{}", rng.below(5_000))),
            roles,
            clearance: levels[clearance].clone(),
            institution: format!("inst-{}", rng.below(5)),
        },
        action,
        resource: ResourceAttrs {
            record_id: Some(format!("rec-{}", rng.next())),
            subject: Some(format!("{:016x}", rng.next())),
            retention: None,
            ..ResourceAttrs::record(&doc_type, &levels[class])
        },
        purpose: if plausible {
            pick(rng, &lb.purposes)
        } else {
            format!("p{}", rng.below(PURPOSES))
        },
        legal_basis: if rng.chance(98) {
            lb.reference.clone()
        } else {
            "unregistered".into()
        },
        date: if plausible {
            day(rng, 2021, 2)
        } else {
            day(rng, 2017, 14)
        },
    }
}

fn percentiles(label: &str, ns: &mut [u64]) {
    if ns.is_empty() {
        println!("{label}: no samples");
        return;
    }
    ns.sort_unstable();
    let at = |q: f64| ns[((ns.len() as f64 * q) as usize).min(ns.len() - 1)] as f64 / 1000.0;
    println!(
        "{label}: n={} p50={:.2} µs  p99={:.2} µs  p99.9={:.2} µs  max={:.2} µs",
        ns.len(),
        at(0.50),
        at(0.99),
        at(0.999),
        ns[ns.len() - 1] as f64 / 1000.0
    );
}

/// The same request evaluated by Cedar over the whole policy set, without
/// Probant's slicing (entities built as `decide` builds them).
fn cedar_alone(c: &Case, levels: &[String]) -> (cedar_policy::Request, Entities) {
    let rank = |l: &str| levels.iter().position(|x| x == l).unwrap_or(0) as i64;
    let ty = if c.principal.kind == PrincipalKind::Person {
        "Person"
    } else {
        "Program"
    };
    let uid = |t: &str, id: &str| EntityUid::from_str(&format!("{t}::{id:?}")).unwrap();
    let p = uid(ty, &c.principal.id);
    let mut parents: HashSet<EntityUid> =
        c.principal.roles.iter().map(|r| uid("Role", r)).collect();
    parents.insert(uid("Institution", &c.principal.institution));
    let mut attrs = HashMap::new();
    attrs.insert(
        "clearance".to_string(),
        RestrictedExpression::new_long(rank(&c.principal.clearance)),
    );
    if let Some(o) = &c.principal.on_behalf_of {
        attrs.insert(
            "on_behalf_of".into(),
            RestrictedExpression::new_string(o.clone()),
        );
    }
    let pe = Entity::new(p.clone(), attrs, parents).unwrap();
    let r = uid("Record", c.resource.record_id.as_deref().unwrap_or(""));
    let mut rattrs = HashMap::new();
    rattrs.insert(
        "classification".to_string(),
        RestrictedExpression::new_long(rank(c.resource.classification.as_deref().unwrap())),
    );
    rattrs.insert(
        "doc_type".to_string(),
        RestrictedExpression::new_string(c.resource.doc_type.clone().unwrap()),
    );
    let re = Entity::new(r.clone(), rattrs, HashSet::new()).unwrap();
    let ctx = Context::from_pairs([
        (
            "purpose".to_string(),
            RestrictedExpression::new_string(c.purpose.clone()),
        ),
        (
            "legal_basis".to_string(),
            RestrictedExpression::new_string(c.legal_basis.clone()),
        ),
        (
            "date".to_string(),
            RestrictedExpression::new_long(c.date.replace('-', "").parse().unwrap()),
        ),
    ])
    .unwrap();
    let a = uid("Action", c.action.name());
    (
        cedar_policy::Request::new(p, a, r, ctx, None).unwrap(),
        Entities::from_entities([pe, re], None).unwrap(),
    )
}

fn main() {
    let mut rng = Rng(0x5EED_CAFE_F00D_1234);
    let levels = default_levels();
    let policy_text = policies();
    let reg = register(&mut rng);
    let t = Instant::now();
    let authorizer = Authorizer::new(
        Authorizer::default_schema(),
        &policy_text,
        levels.clone(),
        reg.clone(),
    )
    .expect("bench configuration is valid");
    println!(
        "Authorizer::new: {} policies, {} legal bases, built and validated in {:.1} ms",
        authorizer.policy_ids().len(),
        BASES,
        t.elapsed().as_secs_f64() * 1e3
    );

    let cases: Vec<Case> = (0..DECISIONS)
        .map(|_| case(&mut rng, &reg, &levels))
        .collect();
    let decide = |c: &Case| {
        authorizer.decide(&Request {
            principal: &c.principal,
            action: c.action,
            resource: &c.resource,
            purpose: Some(&c.purpose),
            legal_basis: Some(&c.legal_basis),
            date: &c.date,
            requester: None,
        })
    };
    for c in cases.iter().take(10_000) {
        std::hint::black_box(decide(c));
    }

    let mut all = Vec::with_capacity(DECISIONS);
    let mut cedar = Vec::with_capacity(DECISIONS);
    let mut outcomes: BTreeMap<&'static str, usize> = BTreeMap::new();
    for c in &cases {
        let t = Instant::now();
        let d = std::hint::black_box(decide(c));
        let ns = t.elapsed().as_nanos() as u64;
        all.push(ns);
        let code = match &d {
            Decision::Permit { .. } => "permit",
            Decision::Deny { reason } => reason.code(),
        };
        if matches!(code, "permit" | "not-permitted" | "forbidden") {
            cedar.push(ns);
        }
        *outcomes.entry(code).or_default() += 1;
    }
    println!("outcomes: {outcomes:?}");
    percentiles("decide, all requests      ", &mut all);
    percentiles("decide, reaching Cedar    ", &mut cedar);

    if std::env::var_os("SKIP_BASELINE").is_some() {
        return;
    }
    // Baseline: Cedar alone over the whole set (no slicing, no pre-checks).
    let cedar_auth = cedar_policy::Authorizer::new();
    let sample: Vec<_> = cases
        .iter()
        .filter(|c| c.principal.on_behalf_of.is_some() || c.principal.kind == PrincipalKind::Person)
        .take(20_000)
        .map(|c| cedar_alone(c, &levels))
        .collect();
    let mut whole = Vec::with_capacity(sample.len());
    for (req, ents) in &sample {
        let t = Instant::now();
        std::hint::black_box(cedar_auth.is_authorized(req, authorizer.policies(), ents));
        whole.push(t.elapsed().as_nanos() as u64);
    }
    percentiles(
        "Cedar alone, whole set (evaluation only, prebuilt request)",
        &mut whole,
    );
}
