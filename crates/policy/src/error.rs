//! Errors building an [`crate::Authorizer`]: configuration problems, named so
//! that the policy administrator can fix them.

/// Why a schema, a policy set, the levels or the register was refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Cedar schema does not parse or is inconsistent.
    #[error("the Cedar schema is invalid: {detail}")]
    Schema {
        /// Cedar's message.
        detail: String,
    },
    /// The schema does not describe the entities, actions or context the
    /// authorizer builds.
    #[error("the Cedar schema does not fit Probant's requests: {detail}")]
    SchemaMismatch {
        /// What does not fit.
        detail: String,
    },
    /// The policy text does not parse.
    #[error("policy {policy} (line {line}) is not valid Cedar: {detail}")]
    PolicySyntax {
        /// The policy's `@id` if it could be read, else its position (`#3`).
        policy: String,
        /// Line where the policy starts (1-based).
        line: usize,
        /// Cedar's message.
        detail: String,
    },
    /// A policy does not validate against the schema (strict mode).
    #[error("policy {policy:?} does not validate against the schema: {detail}")]
    PolicyInvalid {
        /// The policy's `@id`.
        policy: String,
        /// Cedar's validator messages.
        detail: String,
    },
    /// A policy has no `@id("…")` annotation: decisions must name policies.
    #[error("policy #{position} (line {line}) has no @id(\"…\") annotation: every policy needs a unique id")]
    PolicyWithoutId {
        /// 1-based position in the policy text.
        position: usize,
        /// Line where the policy starts (1-based), 0 if unknown.
        line: usize,
    },
    /// Two policies carry the same `@id`.
    #[error("policy id {id:?} is used twice: policy ids must be unique")]
    DuplicatePolicyId {
        /// The id.
        id: String,
    },
    /// Templates are not supported (yet): only static policies.
    #[error("policy {id:?} is a template: only static policies are supported")]
    Template {
        /// The template's id.
        id: String,
    },
    /// The classification levels are empty or repeat a level.
    #[error("classification levels are invalid: {detail}")]
    Levels {
        /// What is wrong.
        detail: String,
    },
    /// A legal-basis register entry is invalid.
    #[error("legal basis {reference:?} is invalid: {detail}")]
    Register {
        /// The entry's reference.
        reference: String,
        /// What is wrong.
        detail: String,
    },
    /// An action name that is not one of [`crate::Action`].
    #[error("unknown action {name:?}")]
    UnknownAction {
        /// The name given.
        name: String,
    },
}
