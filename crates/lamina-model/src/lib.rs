//! Lamina's pure domain: functions, versions, aliases and layers, their validation with
//! Lambda's bounds, ARNs, the runtime catalog, and Lambda's error vocabulary. Nothing here
//! does I/O; the store persists these types and the API renders them.

pub mod error;
pub mod runtime;

pub use error::{ErrorKind, LambdaError, LambdaResult};
