//! Lamina's pure domain: functions, versions, aliases and layers, their validation with
//! Lambda's bounds, ARNs, the runtime catalog, and Lambda's error vocabulary. Nothing here
//! does I/O; the store persists these types and the API renders them.

pub mod arn;
pub mod clock;
pub mod environment;
pub mod error;
pub mod event_invoke;
pub mod function;
pub mod runtime;
pub mod validate;
pub mod view;

pub use arn::{Account, FunctionRef, Qualifier};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{ErrorKind, LambdaError, LambdaResult};
pub use function::{
    Alias, CodeRef, Function, FunctionSpec, FunctionVersion, LATEST, LayerRef, LayerVersion,
};
