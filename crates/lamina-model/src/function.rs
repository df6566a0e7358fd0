//! Functions as Lamina stores them: the function itself (tags, policy, concurrency,
//! runtime-management), its versions (`$LATEST` and published numbers, each an immutable
//! configuration + code pair once published) and its aliases with weighted routing.
//! The engine hangs sandboxes on (function, version, configuration revision, environment).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The mutable version every function has.
pub const LATEST: &str = "$LATEST";

/// A deployment package (or layer content) in the content-addressed blob store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRef {
    /// Hex SHA-256 of the zip: the blob's key.
    pub sha256_hex: String,
    /// Base64 SHA-256 of the zip, as Lambda reports `CodeSha256`.
    pub code_sha256: String,
    /// Size of the zip in bytes (`CodeSize`).
    pub size: u64,
    /// Bytes once unzipped, counted against the 250 MB budget with the layers.
    pub unzipped_size: u64,
}

/// A layer version attached to a function, as resolved when it was attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRef {
    /// The layer version ARN.
    pub arn: String,
    /// Its zip size (`Layers[].CodeSize`); 0 for a flag layer.
    pub code_size: u64,
    /// Its unzipped size.
    pub unzipped_size: u64,
    /// Its content blob; `None` for a flag layer, which carries no content.
    pub content: Option<CodeRef>,
}

/// `LoggingConfig` as Lambda returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfig {
    /// `Text` or `JSON`.
    pub log_format: String,
    /// `TRACE`…`FATAL`, only with JSON logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_log_level: Option<String>,
    /// `DEBUG`, `INFO` or `WARN`, only with JSON logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_log_level: Option<String>,
    /// The log group, `/aws/lambda/<name>` by default.
    pub log_group: String,
}

/// The configuration a user controls, one per version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionSpec {
    /// The runtime, stored as its identifier; `None` for container images.
    pub runtime: Option<crate::runtime::Runtime>,
    /// Execution role ARN.
    pub role: String,
    /// Handler, e.g. `app.handler`.
    pub handler: Option<String>,
    /// Free text.
    pub description: String,
    /// Seconds, 1–900.
    pub timeout: u32,
    /// MB, 128–10240.
    pub memory_size: u32,
    /// User environment variables.
    pub environment: BTreeMap<String, String>,
    /// Layers in order; a later layer's file wins in `/opt`.
    pub layers: Vec<LayerRef>,
    /// `x86_64` or `arm64`.
    pub architectures: Vec<String>,
    /// `/tmp` size in MB.
    pub ephemeral_storage: u32,
    /// `Zip` (only Zip is supported for now).
    pub package_type: String,
    /// `PassThrough` or `Active`.
    pub tracing_mode: String,
    /// Logging settings.
    pub logging: LoggingConfig,
}

impl LoggingConfig {
    /// Lambda's default: text logs in `/aws/lambda/<function>`.
    pub fn text(function: &str) -> Self {
        Self {
            log_format: "Text".into(),
            application_log_level: None,
            system_log_level: None,
            log_group: format!("/aws/lambda/{function}"),
        }
    }
}

impl FunctionSpec {
    /// A Zip function's configuration with Lambda's defaults for everything CreateFunction
    /// lets a caller leave out: 3 s, 128 MB, no environment or layers, `x86_64`, 512 MB of
    /// `/tmp`, `PassThrough` tracing, text logs in `/aws/lambda/<function>`. Callers set
    /// what they were given with struct update syntax.
    pub fn new(
        function: &str,
        runtime: crate::runtime::Runtime,
        handler: impl Into<String>,
        role: impl Into<String>,
    ) -> Self {
        Self {
            runtime: Some(runtime),
            role: role.into(),
            handler: Some(handler.into()),
            description: String::new(),
            timeout: 3,
            memory_size: 128,
            environment: BTreeMap::new(),
            layers: Vec::new(),
            architectures: vec!["x86_64".into()],
            ephemeral_storage: 512,
            package_type: "Zip".into(),
            tracing_mode: "PassThrough".into(),
            logging: LoggingConfig::text(function),
        }
    }
}

/// Function state (`State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    /// Being created.
    Pending,
    /// Ready to invoke.
    Active,
    /// Idle for long; wakes on invoke.
    Inactive,
    /// Creation failed.
    Failed,
}

/// `LastUpdateStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UpdateStatus {
    /// The last update finished.
    Successful,
    /// The last update failed.
    Failed,
    /// An update is being applied.
    InProgress,
}

/// One version of a function: `$LATEST` (mutable) or a published number (immutable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionVersion {
    /// `$LATEST` or the version number as a string.
    pub version: String,
    /// Its configuration.
    pub spec: FunctionSpec,
    /// Its code.
    pub code: CodeRef,
    /// When its code or configuration last changed (`LastModified`; `M` in the migration rules).
    #[serde(with = "time::serde::rfc3339")]
    pub last_modified: OffsetDateTime,
    /// Changes on every update; clients pass it back for optimistic concurrency.
    pub revision_id: String,
    /// `State`.
    pub state: State,
    /// `LastUpdateStatus`.
    pub last_update_status: UpdateStatus,
    /// Why the version is in its state (Lambda's `StateReason`/`StateReasonCode`; while
    /// Pending, or after a failed preparation); `None` when there is nothing to say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<Reason>,
    /// Why the last update ended as it did (`LastUpdateStatusReason[Code]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_reason: Option<Reason>,
}

/// A reason code and its text, as Lambda reports them beside `State` and `LastUpdateStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// `Creating`, `InternalError`, …
    pub code: String,
    /// The sentence.
    pub reason: String,
}

impl Reason {
    /// A reason.
    pub fn new(code: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            reason: reason.into(),
        }
    }
}

/// An alias: a name for one version, optionally sending a weighted share to a second one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alias {
    /// The alias name.
    pub name: String,
    /// The version it points at.
    pub function_version: String,
    /// Free text.
    pub description: String,
    /// `RoutingConfig.AdditionalVersionWeights`: at most one other version, weight 0–1.
    pub additional_version_weights: BTreeMap<String, f64>,
    /// Changes on every update.
    pub revision_id: String,
}

/// `Put/GetRuntimeManagementConfig`: how a function follows environment updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeManagement {
    /// `Auto`, `FunctionUpdate` or `Manual`.
    pub update_runtime_on: String,
    /// The pinned runtime version with `Manual`.
    pub runtime_version_arn: Option<String>,
}

impl Default for RuntimeManagement {
    fn default() -> Self {
        Self {
            update_runtime_on: "Auto".into(),
            runtime_version_arn: None,
        }
    }
}

/// A function as a whole: its `$LATEST` version plus function-level settings. Published
/// versions and aliases are stored beside it, keyed by the function name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Function {
    /// The function name.
    pub name: String,
    /// `$LATEST`.
    pub latest: FunctionVersion,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Resource-policy statements, in the order added, each a complete JSON statement.
    pub policy: Vec<serde_json::Value>,
    /// Revision of the policy document.
    pub policy_revision_id: String,
    /// Reserved concurrency, when set.
    pub reserved_concurrency: Option<u32>,
    /// Runtime-management settings.
    pub runtime_management: RuntimeManagement,
    /// `PutFunctionRecursionConfig`'s `RecursiveLoop` (`Allow`); `None` is Lambda's default,
    /// `Terminate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recursive_loop: Option<String>,
    /// The number the next published version gets.
    pub next_version: u64,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

/// A published layer version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerVersion {
    /// The layer name.
    pub name: String,
    /// Its number, from 1.
    pub version: u64,
    /// Free text.
    pub description: String,
    /// `CompatibleRuntimes`.
    pub compatible_runtimes: Vec<String>,
    /// `CompatibleArchitectures`.
    pub compatible_architectures: Vec<String>,
    /// `LicenseInfo`.
    pub license_info: Option<String>,
    /// Its content.
    pub content: CodeRef,
    /// `AddLayerVersionPermission` statements, in the order added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<serde_json::Value>,
    /// Revision of that policy; new with each change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_revision_id: Option<String>,
    /// When it was published.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

/// Formats a time as Lambda's `LastModified`: `2019-08-26T19:11:23.312+0000`.
pub fn lambda_timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_new_spec_has_lambdas_defaults() {
        let spec = super::FunctionSpec::new(
            "f",
            "python3.12".parse().unwrap(),
            "app.handler",
            "arn:aws:iam::000000000000:role/r",
        );
        assert_eq!(
            (spec.timeout, spec.memory_size, spec.ephemeral_storage),
            (3, 128, 512)
        );
        assert_eq!(spec.architectures, ["x86_64"]);
        assert_eq!(
            (spec.package_type.as_str(), spec.tracing_mode.as_str()),
            ("Zip", "PassThrough")
        );
        assert_eq!(spec.logging.log_format, "Text");
        assert_eq!(spec.logging.log_group, "/aws/lambda/f");
        assert_eq!(spec.handler.as_deref(), Some("app.handler"));
    }

    use super::*;

    #[test]
    fn timestamp_matches_lambda_format() {
        let t = time::macros::datetime!(2019-08-26 19:11:23.312 UTC);
        assert_eq!(lambda_timestamp(t), "2019-08-26T19:11:23.312+0000");
    }
}
