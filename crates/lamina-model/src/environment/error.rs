//! Why an image id, a runtime version ARN, a plan or a plan file is refused. The API turns
//! these into Lambda-style 400/409 errors; the messages name what failed.

/// A refused environment or plan value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvironmentError {
    /// An image id that is not 1–64 of `[a-z0-9-]`, starting with a letter or digit.
    #[error(
        "invalid image id {0:?}: use 1-64 lowercase letters, digits and '-', starting with a letter or digit (e.g. debian-12)"
    )]
    InvalidImageId(String),
    /// A runtime version ARN that is malformed or names no known runtime version.
    #[error("invalid runtime version arn {0}")]
    InvalidRuntimeVersionArn(String),
    /// A plan that is wrong on its own (name, instants, flags, runtimes).
    #[error("plan {plan}: {reason}")]
    InvalidPlan {
        /// The plan's name.
        plan: String,
        /// What is wrong, and how to fix it.
        reason: String,
    },
    /// A plan naming an image the catalog does not have.
    #[error("plan {plan}: unknown image {image}; build or register it first (lamina env list)")]
    UnknownImage {
        /// The plan's name.
        plan: String,
        /// The missing image.
        image: String,
    },
    /// A plan that names a runtime its target image cannot serve.
    #[error(
        "plan {plan}: image {image} cannot serve runtime {runtime} (it has no {language} interpreter); a runtime only moves to an image with exactly its language version"
    )]
    RuntimeNotServed {
        /// The plan's name.
        plan: String,
        /// The runtime.
        runtime: String,
        /// Its language version (`Python 3.11`).
        language: String,
        /// The target image.
        image: String,
    },
    /// A flag layer ARN another plan already uses.
    #[error("plan {plan}: flag layer {arn} is already used by plan {other}")]
    FlagInUse {
        /// The plan being applied.
        plan: String,
        /// The flag ARN.
        arn: String,
        /// The plan that has it.
        other: String,
    },
    /// Two plans move the same runtime without one following the other.
    #[error(
        "plan {plan} overlaps plan {other} for runtime {runtime}: two plans may cover one runtime only when one starts (from its image, at or after its T4) where the other ends"
    )]
    Overlap {
        /// The plan being applied.
        plan: String,
        /// The plan it collides with.
        other: String,
        /// A runtime both cover.
        runtime: String,
    },
    /// A time that is not an RFC 3339 instant.
    #[error("{0:?} is not an RFC 3339 instant such as 2019-06-11T00:00:00Z")]
    InvalidInstant(String),
    /// A plan file that is not valid TOML or not a plan.
    #[error("plan file: {0}")]
    File(String),
}
