//! `probant users | policy | consult | access`: identities, the policy in
//! force, the journal consultation procedure (contract 7) and the CC-8
//! access report. The work is done by `probant-access`; every step is
//! authorised and journaled there.
use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use probant_access::{AccessEvent, NewUser, PolicyCandidate, Scope};
use probant_journal::Outcome;
use probant_vault::Operation;
use serde_json::json;

use crate::home::Home;
use crate::output::Out;

/// `probant users …`
#[derive(clap::Subcommand, Debug)]
pub enum UsersCmd {
    /// Register a person or a program and issue its credential.
    Add {
        /// Institution user id or program id.
        id: String,
        /// A program (service account): it acts only on behalf of a registered person.
        #[arg(long)]
        program: bool,
        /// A role (repeatable), e.g. case-handler, archivist, administrator, dpo, approver.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Clearance: a configured classification level.
        #[arg(long)]
        clearance: String,
        /// The institution the principal belongs to.
        #[arg(long, default_value = "")]
        institution: String,
        /// A person's INSZ/NISS (stored encrypted).
        #[arg(long)]
        insz: Option<String>,
        /// Where to write the credential (default: the user's default place in this
        /// account's configuration directory). Hand it over to its holder.
        #[arg(long)]
        credential_out: Option<PathBuf>,
    },
    /// The register: ids, kinds, roles, clearances.
    List,
    /// Remove a user or program; its credential stops working.
    Remove {
        /// The id.
        id: String,
    },
}

/// `probant policy …`
#[derive(clap::Subcommand, Debug)]
pub enum PolicyCmd {
    /// Check a candidate (the parts given replace those in force) without applying it.
    Validate(PolicyFiles),
    /// Validate and apply a candidate as the next version; journaled with old and new hashes.
    Apply(PolicyFiles),
    /// The version in force: hash, Cedar policies, schema and legal-basis register.
    Show,
}

/// The parts of a candidate policy.
#[derive(clap::Args, Debug)]
pub struct PolicyFiles {
    /// Cedar policies file.
    #[arg(long)]
    policies: Option<PathBuf>,
    /// Cedar schema file.
    #[arg(long)]
    schema: Option<PathBuf>,
    /// Legal-basis register: a JSON array of {reference, purposes, data_categories,
    /// roles?, institutions?, valid_from, valid_until?}.
    #[arg(long)]
    legal_bases: Option<PathBuf>,
}

/// `probant consult …`
#[derive(clap::Subcommand, Debug)]
pub enum ConsultCmd {
    /// Ask to consult the journal; prints {"id": …}.
    Request {
        /// Why (recorded).
        #[arg(long)]
        reason: String,
        /// Only entries about this data subject (INSZ/NISS or BIS number).
        #[arg(long)]
        subject: Option<String>,
        /// Only entries by this actor (or a program acting for this person).
        // Its own id: `actor` is the global `--as`, which clap would copy in.
        #[arg(long = "actor", id = "scope_actor")]
        scope_actor: Option<String>,
        /// From this day (YYYY-MM-DD, inclusive).
        #[arg(long)]
        since: Option<String>,
        /// Until this day (YYYY-MM-DD, inclusive).
        #[arg(long)]
        until: Option<String>,
    },
    /// Approve a request (an approver other than the requester).
    Approve {
        /// The consultation id.
        id: String,
    },
    /// Refuse a request.
    Refuse {
        /// The consultation id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Run an approved request, once: the entries in scope as canonical JSON lines.
    Run {
        /// The consultation id.
        id: String,
        /// Print the "who accessed this data" report (GDPR art. 15) instead of raw entries.
        #[arg(long)]
        report: bool,
    },
    /// Every consultation and its state.
    List,
}

/// `probant access …`
#[derive(clap::Subcommand, Debug)]
pub enum AccessCmd {
    /// Who may access which data categories under which legal basis and role (CC-8).
    Report,
}

/// Reads the candidate's files before the home is opened, so that a bad
/// path fails early and changes nothing.
pub fn read_candidate(cmd: &PolicyCmd) -> Result<PolicyCandidate> {
    let files = match cmd {
        PolicyCmd::Validate(f) | PolicyCmd::Apply(f) => f,
        PolicyCmd::Show => return Ok(PolicyCandidate::default()),
    };
    let read = |p: &Option<PathBuf>| -> Result<Option<String>> {
        p.as_ref()
            .map(|p| {
                std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))
            })
            .transpose()
    };
    let legal_bases = read(&files.legal_bases)?
        .map(|t| probant_access::parse_legal_bases(&t))
        .transpose()?;
    let candidate = PolicyCandidate {
        schema: read(&files.schema)?,
        policies: read(&files.policies)?,
        legal_bases,
    };
    if candidate.schema.is_none() && candidate.policies.is_none() && candidate.legal_bases.is_none()
    {
        bail!("give at least one of --policies, --schema, --legal-bases");
    }
    Ok(candidate)
}

/// Runs `users …`.
pub fn users(home: &Home, cmd: &UsersCmd, out: &Out) -> Result<i32> {
    let ctx = home.ctx(Some("user management"), None);
    match cmd {
        UsersCmd::Add {
            id,
            program,
            roles,
            clearance,
            institution,
            insz,
            credential_out,
        } => {
            let new = NewUser {
                id: id.clone(),
                program: *program,
                roles: roles.clone(),
                clearance: clearance.clone(),
                institution: institution.clone(),
                insz: insz.clone(),
            };
            let path = match credential_out {
                Some(p) => p.clone(),
                None => probant_crypto::Credential::default_path(&home.meta.id, id)
                    .map_err(crate::keys::explain)?,
            };
            if path.exists() {
                bail!(
                    "{} exists: refusing to overwrite a credential",
                    path.display()
                );
            }
            let credential = home.access.borrow_mut().add_user(&home.vault, &ctx, &new)?;
            credential.write_new(&path).map_err(crate::keys::explain)?;
            if out.json {
                out.json_line(&json!({ "user": id, "credential": path }))?;
            } else {
                out.line(format!(
                    "registered {id}; credential written to {} (hand it to its holder)",
                    path.display()
                ));
            }
        }
        UsersCmd::List => {
            let users = home.access.borrow().list_users(&home.vault, &ctx)?;
            for u in users {
                let line = json!({ "id": u.id, "kind": u.kind, "roles": u.roles, "clearance": u.clearance,
                    "institution": u.institution, "insz_registered": u.insz.is_some(),
                    "registered": u.registered, "registered_by": u.registered_by });
                if out.json {
                    out.json_line(&line)?;
                } else {
                    out.line(format!(
                        "{}  {:?}  roles {}  clearance {}",
                        u.id,
                        u.kind,
                        u.roles.join(","),
                        u.clearance
                    ));
                }
            }
        }
        UsersCmd::Remove { id } => {
            home.access
                .borrow_mut()
                .remove_user(&home.vault, &ctx, id)?;
            out.line(format!("removed {id}"));
        }
    }
    Ok(0)
}

/// Runs `policy …`.
pub fn policy(home: &Home, cmd: &PolicyCmd, candidate: &PolicyCandidate, out: &Out) -> Result<i32> {
    let ctx = home.ctx(Some("policy management"), None);
    match cmd {
        PolicyCmd::Validate(_) => {
            let grant = home.vault.authorize_system(&ctx, Operation::ManagePolicy)?;
            let access = home.access.borrow();
            let result = access.validate_policy(candidate, &home.actor.id);
            let outcome = if result.is_ok() {
                Outcome::Success
            } else {
                Outcome::Failure
            };
            let mut e =
                home.vault
                    .granted_event(&ctx, Operation::ManagePolicy, &grant, Default::default());
            e.action = "policy.validate".into();
            e.outcome = outcome;
            probant_vault::Vault::add_details(
                &mut e,
                json!({ "current_hash": access.policy().hash(),
                        "candidate_hash": result.as_ref().ok().map(|v| v.hash()) }),
            );
            home.journal.append(&e)?;
            let v = result?;
            if out.json {
                out.json_line(
                    &json!({ "ok": true, "candidate_hash": v.hash(), "version": v.version }),
                )?;
            } else {
                out.line(format!(
                    "policy valid: would become version {} ({})",
                    v.version,
                    v.hash()
                ));
            }
        }
        PolicyCmd::Apply(_) => {
            let change = home
                .access
                .borrow_mut()
                .apply_policy(&home.vault, &ctx, candidate)?;
            if out.json {
                out.json_line(&change)?;
            } else {
                out.line(format!(
                    "policy version {} ({}) replaces version {} ({}); journal entry {}",
                    change.new_version,
                    change.new_hash,
                    change.old_version,
                    change.old_hash,
                    change.journal_index
                ));
            }
        }
        PolicyCmd::Show => {
            let access = home.access.borrow();
            let p = access.show_policy(&home.vault, &ctx)?;
            if out.json {
                out.json_line(
                    &json!({ "version": p.version, "hash": p.hash(), "applied": p.applied,
                    "applied_by": p.applied_by, "previous": p.previous, "policies": p.policies,
                    "schema": p.schema, "legal_bases": p.legal_bases }),
                )?;
            } else {
                out.line(format!(
                    "policy version {} ({}), applied {} by {}\n",
                    p.version,
                    p.hash(),
                    p.applied,
                    p.applied_by
                ));
                out.line(&p.policies);
                out.line(format!(
                    "legal bases:\n{}",
                    serde_json::to_string_pretty(&p.legal_bases)?
                ));
            }
        }
    }
    Ok(0)
}

/// Runs `consult …`.
pub fn consult(home: &Home, cmd: &ConsultCmd, out: &Out) -> Result<i32> {
    let access = home.access.borrow();
    match cmd {
        ConsultCmd::Request {
            reason,
            subject,
            scope_actor,
            since,
            until,
        } => {
            let subject = subject
                .as_deref()
                .map(|n| {
                    probant_identifiers::parse_person(n)
                        .map(|p| home.vault.subject_pseudonym(&p))
                        .map_err(|e| anyhow::anyhow!("--subject: {e}"))
                })
                .transpose()?;
            let scope = Scope {
                subject,
                actor: scope_actor.clone(),
                since: since.clone(),
                until: until.clone(),
            };
            let ctx = home.ctx(Some(reason), None);
            let c = access.consult_request(&home.vault, &ctx, reason, scope)?;
            if out.json {
                out.json_line(&json!({ "id": c.id, "journal_index": c.request_entry }))?;
            } else {
                out.line(format!(
                    "consultation {} requested (journal entry {}); an approver other than you runs `probant consult approve {}`",
                    c.id, c.request_entry, c.id
                ));
            }
        }
        ConsultCmd::Approve { id } | ConsultCmd::Refuse { id, .. } => {
            let reason = match cmd {
                ConsultCmd::Refuse { reason, .. } => Some(reason.as_str()),
                _ => None,
            };
            let ctx = home.ctx(Some("journal consultation decision"), None);
            let c = access.consult_decide(&home.vault, &ctx, id, reason)?;
            if out.json {
                out.json_line(&c)?;
            } else {
                out.line(format!(
                    "consultation {id} {}",
                    if reason.is_some() {
                        "refused"
                    } else {
                        "approved"
                    }
                ));
            }
        }
        ConsultCmd::Run { id, report } => {
            run_consultation(home, id, (0, None), *report, out)?;
        }
        ConsultCmd::List => {
            let ctx = home.ctx(Some("journal consultation overview"), None);
            for c in access.consult_list(&home.vault, &ctx)? {
                if out.json {
                    out.json_line(&c)?;
                } else {
                    out.line(format!(
                        "{}  by {}  {}  {:?}",
                        c.id, c.requester, c.requested, c.state
                    ));
                }
            }
        }
    }
    Ok(0)
}

/// Runs an approved consultation and prints what it returns: the entries
/// in scope as canonical JSON lines, or the access report.
pub fn run_consultation(
    home: &Home,
    id: &str,
    range: (u64, Option<u64>),
    report: bool,
    out: &Out,
) -> Result<u64> {
    let ctx = home.ctx(Some("journal consultation"), None);
    let mut o = std::io::BufWriter::new(std::io::stdout().lock());
    let mut sink = |index: u64, entry: &[u8]| -> std::io::Result<()> {
        if !report {
            o.write_all(entry)?;
            return o.write_all(b"\n");
        }
        let value: serde_json::Value = serde_json::from_slice(entry).unwrap_or_default();
        let Some(line) = AccessEvent::of(index, &value) else {
            return Ok(());
        };
        if out.json {
            serde_json::to_writer(&mut o, &line)?;
            o.write_all(b"\n")
        } else {
            writeln!(
                o,
                "#{}  {}  {} {}  by {}{}  record {} v{}  purpose {:?}  legal basis {}",
                line.index,
                line.time,
                line.action,
                line.outcome,
                line.actor,
                line.on_behalf_of
                    .as_deref()
                    .map(|p| format!(" on behalf of {p}"))
                    .unwrap_or_default(),
                line.record.as_deref().unwrap_or("-"),
                line.version
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "-".into()),
                line.purpose.as_deref().unwrap_or(""),
                line.legal_basis.as_deref().unwrap_or("-"),
            )
        }
    };
    let n = home
        .access
        .borrow()
        .consult_run(&home.vault, &ctx, id, range, &mut sink)?;
    o.flush()?;
    Ok(n)
}

/// Runs `access report`.
pub fn access(home: &Home, cmd: &AccessCmd, out: &Out) -> Result<i32> {
    let AccessCmd::Report = cmd;
    let ctx = home.ctx(Some("access report (CC-8)"), None);
    let r = home.access.borrow().access_report(&home.vault, &ctx)?;
    if out.json {
        out.json_line(&r)?;
        return Ok(0);
    }
    out.line(format!(
        "policy version {} ({})",
        r.policy_version, r.policy_hash
    ));
    for g in &r.grants {
        out.line(format!(
            "{}  role {}{}  category {}  actions {}  purposes {}  valid {}..{}",
            g.legal_basis,
            g.role.as_deref().unwrap_or("-"),
            g.institution
                .as_deref()
                .map(|i| format!(" of {i}"))
                .unwrap_or_default(),
            g.data_category,
            g.actions
                .iter()
                .map(|a| a.name())
                .collect::<Vec<_>>()
                .join(","),
            g.purposes.join(","),
            g.valid_from,
            g.valid_until.as_deref().unwrap_or("")
        ));
    }
    for (role, who) in &r.roles {
        out.line(format!("role {role}: {}", who.join(", ")));
    }
    Ok(0)
}
