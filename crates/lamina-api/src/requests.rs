//! The input of each control-plane operation, field for field as botocore sends it
//! (PascalCase JSON; blobs in base64). Each type names its operation and its body limit.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use crate::body::{CODE_UPLOAD_MAX_BODY, Operation};

/// Decodes an optional base64 blob (`ZipFile`).
fn base64_blob<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    use base64::Engine;
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("ZipFile is not valid base64: {e}")))
}

/// `Code` of CreateFunction, and the code members of UpdateFunctionCode.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeInput {
    /// The zip itself.
    #[serde(default, deserialize_with = "base64_blob")]
    pub zip_file: Option<Vec<u8>>,
    /// An S3 location (refused: Lamina has no S3).
    pub s3_bucket: Option<String>,
    /// An S3 key (refused).
    pub s3_key: Option<String>,
    /// An S3 object version (refused).
    pub s3_object_version: Option<String>,
    /// A container image (refused for now).
    pub image_uri: Option<String>,
}

/// `Environment`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentInput {
    /// The variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

/// `TracingConfig`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TracingInput {
    /// `Active` or `PassThrough`.
    pub mode: Option<String>,
}

/// `EphemeralStorage`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EphemeralInput {
    /// MB.
    pub size: u32,
}

/// `LoggingConfig`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingInput {
    /// `Text` or `JSON`.
    pub log_format: Option<String>,
    /// Application log level.
    pub application_log_level: Option<String>,
    /// System log level.
    pub system_log_level: Option<String>,
    /// Log group.
    pub log_group: Option<String>,
}

/// CreateFunction.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateFunctionInput {
    /// Name (or ARN).
    pub function_name: String,
    /// Runtime.
    pub runtime: Option<String>,
    /// Role.
    pub role: String,
    /// Handler.
    pub handler: Option<String>,
    /// Code.
    pub code: CodeInput,
    /// Description.
    pub description: Option<String>,
    /// Timeout.
    pub timeout: Option<u32>,
    /// MemorySize.
    pub memory_size: Option<u32>,
    /// Publish version 1 at once.
    #[serde(default)]
    pub publish: bool,
    /// `Zip` or `Image`.
    pub package_type: Option<String>,
    /// Environment.
    pub environment: Option<EnvironmentInput>,
    /// Tracing.
    pub tracing_config: Option<TracingInput>,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Layer version ARNs.
    #[serde(default)]
    pub layers: Vec<String>,
    /// Architectures.
    pub architectures: Option<Vec<String>>,
    /// EphemeralStorage.
    pub ephemeral_storage: Option<EphemeralInput>,
    /// LoggingConfig.
    pub logging_config: Option<LoggingInput>,
    /// VpcConfig (accepted, not used: Lamina has no VPCs).
    pub vpc_config: Option<serde_json::Value>,
}

impl Operation for CreateFunctionInput {
    const NAME: &'static str = "CreateFunction";
    const MAX_BODY: usize = CODE_UPLOAD_MAX_BODY;
}

/// UpdateFunctionCode.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateCodeInput {
    /// The code members.
    #[serde(flatten)]
    pub code: CodeInput,
    /// Publish a version after the update.
    #[serde(default)]
    pub publish: bool,
    /// Validate only, change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Expected current revision.
    pub revision_id: Option<String>,
    /// Architectures.
    pub architectures: Option<Vec<String>>,
}

impl Operation for UpdateCodeInput {
    const NAME: &'static str = "UpdateFunctionCode";
    const MAX_BODY: usize = CODE_UPLOAD_MAX_BODY;
}

/// UpdateFunctionConfiguration: every member optional, only those given change.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateConfigInput {
    /// Role.
    pub role: Option<String>,
    /// Handler.
    pub handler: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Timeout.
    pub timeout: Option<u32>,
    /// MemorySize.
    pub memory_size: Option<u32>,
    /// Environment (replaces all variables).
    pub environment: Option<EnvironmentInput>,
    /// Runtime.
    pub runtime: Option<String>,
    /// Layers (replaces the list).
    pub layers: Option<Vec<String>>,
    /// Tracing.
    pub tracing_config: Option<TracingInput>,
    /// EphemeralStorage.
    pub ephemeral_storage: Option<EphemeralInput>,
    /// LoggingConfig.
    pub logging_config: Option<LoggingInput>,
    /// Expected current revision.
    pub revision_id: Option<String>,
    /// VpcConfig (accepted, not used).
    pub vpc_config: Option<serde_json::Value>,
}

impl Operation for UpdateConfigInput {
    const NAME: &'static str = "UpdateFunctionConfiguration";
}

/// PublishVersion.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishVersionInput {
    /// Expected `$LATEST` code hash.
    pub code_sha256: Option<String>,
    /// The version's description.
    pub description: Option<String>,
    /// Expected current revision.
    pub revision_id: Option<String>,
}

impl Operation for PublishVersionInput {
    const NAME: &'static str = "PublishVersion";
}

/// `RoutingConfig`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoutingInput {
    /// Version → weight (0–1).
    #[serde(default)]
    pub additional_version_weights: BTreeMap<String, f64>,
}

/// CreateAlias.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAliasInput {
    /// Alias name.
    pub name: String,
    /// Target version.
    pub function_version: String,
    /// Description.
    pub description: Option<String>,
    /// Weighted routing.
    pub routing_config: Option<RoutingInput>,
}

impl Operation for CreateAliasInput {
    const NAME: &'static str = "CreateAlias";
}

/// UpdateAlias.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAliasInput {
    /// New target version.
    pub function_version: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Weighted routing (replaces; empty weights remove it).
    pub routing_config: Option<RoutingInput>,
    /// Expected current revision.
    pub revision_id: Option<String>,
}

impl Operation for UpdateAliasInput {
    const NAME: &'static str = "UpdateAlias";
}

/// `Content` of PublishLayerVersion.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerContentInput {
    /// The zip.
    #[serde(default, deserialize_with = "base64_blob")]
    pub zip_file: Option<Vec<u8>>,
    /// S3 (refused).
    pub s3_bucket: Option<String>,
    /// S3 key (refused).
    pub s3_key: Option<String>,
}

/// PublishLayerVersion.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishLayerInput {
    /// Description.
    pub description: Option<String>,
    /// Content.
    pub content: LayerContentInput,
    /// CompatibleRuntimes.
    #[serde(default)]
    pub compatible_runtimes: Vec<String>,
    /// CompatibleArchitectures.
    #[serde(default)]
    pub compatible_architectures: Vec<String>,
    /// LicenseInfo.
    pub license_info: Option<String>,
}

impl Operation for PublishLayerInput {
    const NAME: &'static str = "PublishLayerVersion";
    const MAX_BODY: usize = CODE_UPLOAD_MAX_BODY;
}

/// TagResource.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagInput {
    /// Tags to add or overwrite.
    pub tags: BTreeMap<String, String>,
}

impl Operation for TagInput {
    const NAME: &'static str = "TagResource";
}

/// AddPermission.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddPermissionInput {
    /// Statement id.
    pub statement_id: String,
    /// `lambda:InvokeFunction`, …
    pub action: String,
    /// `s3.amazonaws.com`, an account id, `*`, …
    pub principal: String,
    /// Condition on the source ARN.
    pub source_arn: Option<String>,
    /// Condition on the source account.
    pub source_account: Option<String>,
    /// Alexa event source token.
    pub event_source_token: Option<String>,
    /// Organisation condition.
    #[serde(rename = "PrincipalOrgID")]
    pub principal_org_id: Option<String>,
    /// Function URL auth type condition.
    pub function_url_auth_type: Option<String>,
    /// Expected policy revision.
    pub revision_id: Option<String>,
}

impl Operation for AddPermissionInput {
    const NAME: &'static str = "AddPermission";
}

/// PutFunctionConcurrency.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConcurrencyInput {
    /// Reserved concurrency (0 blocks every invoke).
    pub reserved_concurrent_executions: u32,
}

impl Operation for ConcurrencyInput {
    const NAME: &'static str = "PutFunctionConcurrency";
}

/// PutRuntimeManagementConfig.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuntimeManagementInput {
    /// `Auto`, `FunctionUpdate` or `Manual`.
    pub update_runtime_on: String,
    /// The pinned runtime version with `Manual`.
    pub runtime_version_arn: Option<String>,
}

impl Operation for RuntimeManagementInput {
    const NAME: &'static str = "PutRuntimeManagementConfig";
}

/// `DestinationConfig.OnSuccess` / `OnFailure`: `{"Destination": arn}`, the ARN optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DestinationInput {
    /// The destination ARN; absent or empty means none.
    pub destination: Option<String>,
}

/// `DestinationConfig`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DestinationConfigInput {
    /// Where successful invocations' records go.
    pub on_success: Option<DestinationInput>,
    /// Where failed invocations' records go.
    pub on_failure: Option<DestinationInput>,
}

/// Put/UpdateFunctionEventInvokeConfig. The numbers are read wide so that an out-of-range
/// value gets AWS's validation message rather than a parse error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventInvokeConfigInput {
    /// 0–2.
    pub maximum_retry_attempts: Option<i64>,
    /// 60–21600.
    pub maximum_event_age_in_seconds: Option<i64>,
    /// Destinations.
    pub destination_config: Option<DestinationConfigInput>,
}

impl Operation for EventInvokeConfigInput {
    const NAME: &'static str = "PutFunctionEventInvokeConfig";
}
