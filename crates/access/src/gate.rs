//! The Cedar gate: the vault's [`Gate`] over the users register and the
//! policy in force (DESIGN data flow: authorise). Identity comes from the
//! register, never from the request: the request names an actor id; roles,
//! clearance and institution are the register's.
use std::sync::Arc;

use probant_journal::ActorKind;
use probant_policy::{Action, Authorizer, Decision, PrincipalKind, Request, ResourceAttrs};
use probant_vault::{Ctx, Gate, Grant, Operation, Refusal, Target, Verdict};

use crate::users::Users;

/// Decides with Cedar (`probant-policy`) for registered principals.
pub struct CedarGate {
    authorizer: Authorizer,
    users: Arc<Users>,
    today: Box<dyn Fn() -> String + Send + Sync>,
}

impl std::fmt::Debug for CedarGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CedarGate").finish_non_exhaustive()
    }
}

/// Today's date in Belgium, `YYYY-MM-DD`: validity dates (legal bases,
/// approvals) are Belgian days (`probant_journal::civil`).
pub fn today_in_belgium() -> String {
    probant_journal::civil::format_date(probant_journal::civil::belgian_today())
}

fn refusal(code: &str, message: impl Into<String>) -> Verdict {
    Verdict::Deny(Refusal {
        code: code.into(),
        message: message.into(),
    })
}

impl CedarGate {
    /// A gate deciding on today's date in Belgium.
    pub fn new(authorizer: Authorizer, users: Arc<Users>) -> Self {
        Self::with_date(authorizer, users, Box::new(today_in_belgium))
    }

    /// A gate deciding on the date `today` returns (tests, replays).
    pub fn with_date(
        authorizer: Authorizer,
        users: Arc<Users>,
        today: Box<dyn Fn() -> String + Send + Sync>,
    ) -> Self {
        Self {
            authorizer,
            users,
            today,
        }
    }

    /// The decision core.
    pub fn authorizer(&self) -> &Authorizer {
        &self.authorizer
    }
}

/// The policy action of a vault operation.
pub fn action_of(op: Operation) -> Action {
    match op {
        Operation::Ingest => Action::Ingest,
        Operation::Read => Action::Read,
        Operation::Search => Action::Search,
        Operation::Show => Action::Show,
        Operation::Export => Action::Export,
        Operation::Destroy => Action::Destroy,
        Operation::ManageKeys => Action::ManageKeys,
        Operation::ManagePolicy => Action::ManagePolicy,
        Operation::ManageUsers => Action::ManageUsers,
        Operation::Verify | Operation::Audit => Action::VerifyVault,
        Operation::ConsultRequest => Action::ConsultRequest,
        Operation::ConsultApprove => Action::ConsultApprove,
        Operation::ConsultRun => Action::ConsultRun,
    }
}

impl Gate for CedarGate {
    fn decide(&self, ctx: &Ctx, op: Operation, target: &Target<'_>) -> Verdict {
        let actor = &ctx.actor;
        let Some(user) = self.users.get(&actor.id) else {
            return refusal(
                "unknown-principal",
                format!("actor {:?} is not registered in this home: an administrator registers it with `probant users add`", actor.id),
            );
        };
        let kind_matches = matches!(
            (user.kind, actor.kind),
            (PrincipalKind::Person, ActorKind::Person)
                | (PrincipalKind::Program, ActorKind::Program)
        );
        if !kind_matches {
            return refusal(
                "kind-mismatch",
                "the actor's kind (person or program) differs from its registration",
            );
        }
        // N-5.9.6: a program acts for a registered natural person, so that
        // every program access traces back to one.
        if let Some(person) = actor.on_behalf_of.as_deref() {
            if user.kind == PrincipalKind::Person {
                return refusal(
                    "person-on-behalf-of",
                    "only a program acts on behalf of someone; a person acts in its own name",
                );
            }
            if !self.users.is_person(person) {
                return refusal(
                    "on-behalf-of-unknown",
                    format!(
                        "the person {person:?} the program acts for is not a registered person"
                    ),
                );
            }
        }
        let mut principal = user.principal(actor.on_behalf_of.as_deref());
        // Least privilege: a program acting for a person obtains nothing
        // above that person's clearance (N-5.5.1, N-5.6.6).
        if let Some(person) = actor
            .on_behalf_of
            .as_deref()
            .and_then(|p| self.users.get(p))
        {
            let levels = self.authorizer.levels();
            let rank = |c: &str| levels.iter().position(|l| l == c);
            if rank(&person.clearance) < rank(&principal.clearance) {
                principal.clearance = person.clearance.clone();
            }
        }
        let action = action_of(op);
        let resource = self.resource(op, action, target);
        let date = (self.today)();
        let decision = self.authorizer.decide(&Request {
            principal: &principal,
            action,
            resource: &resource,
            purpose: ctx.purpose.as_deref(),
            legal_basis: ctx.legal_basis.as_deref(),
            date: &date,
            requester: target.requester,
        });
        match decision {
            Decision::Permit {
                policy_ids,
                legal_basis,
            } => Verdict::Permit(Grant {
                policies: policy_ids,
                legal_basis,
            }),
            Decision::Deny { reason } => Verdict::Deny(Refusal {
                code: reason.code().into(),
                message: reason.to_string(),
            }),
        }
    }
}

impl CedarGate {
    fn resource(&self, op: Operation, action: Action, t: &Target<'_>) -> ResourceAttrs {
        match action {
            Action::ConsultRequest | Action::ConsultApprove | Action::ConsultRun => {
                ResourceAttrs::journal()
            }
            Action::ManageKeys
            | Action::ManagePolicy
            | Action::ManageUsers
            | Action::VerifyVault => ResourceAttrs::system(),
            _ => {
                // A search is first decided for its criteria alone: it
                // reveals nothing above the lowest level by itself; each
                // result is then decided on its own classification.
                let classification = match (op, t.classification) {
                    (_, Some(c)) => Some(c.to_owned()),
                    (Operation::Search, None) => self.authorizer.levels().first().cloned(),
                    (_, None) => None,
                };
                let mut r = ResourceAttrs::record(t.doc_type.unwrap_or(""), "");
                r.doc_type = t.doc_type.map(str::to_owned);
                r.classification = classification;
                r.record_id = t.record.map(str::to_owned);
                r.subject = t.subject.map(str::to_owned);
                r.retention = t.retention.map(str::to_owned);
                r
            }
        }
    }
}
