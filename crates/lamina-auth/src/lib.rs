//! Who may call Lamina: SigV4 request verification exactly as botocore signs for Lambda
//! (`sigv4`), access keys stored encrypted in the data folder (`keys`), and the rules that
//! decide what an identity may do, resource policies included (`access`). No HTTP server
//! lives here: `lamina-api` runs these checks in front of its routes.
//!
//! Verification is built on RustCrypto's `hmac`, `sha2` and `subtle` rather than on
//! `scratchstack-aws-signature`: that crate canonicalises a path by normalising its
//! %-escapes once (`my-fn%3Aprod` stays `my-fn%3Aprod`), while botocore signs Lambda paths
//! encoded twice (`my-fn%253Aprod`), so every qualified name or ARN in a path would fail;
//! its error texts and 15-minute skew are not Lambda's either.

pub mod access;
pub mod error;
pub mod keys;
pub mod sessions;
pub mod sigv4;
pub mod throttle;

pub use access::{Decision, FunctionRef, Operation, Owner, decide, policy_allows, policy_denied};
pub use error::AuthError;
pub use keys::{Identity, KeyError, KeyRing, KeyStatus, Keys, NewKey};
