//! The shapes Lambda returns, field for field (`FunctionConfiguration`, `AliasConfiguration`,
//! layer versions), built from the stored domain types. The API serialises these; the
//! console reads them, so both show exactly what boto3 would.

use serde::Serialize;

use crate::arn::Account;
use crate::function::{Alias, Function, FunctionVersion, LATEST, LayerVersion, lambda_timestamp};

/// `Environment` in a configuration.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentView {
    /// The variables.
    pub variables: std::collections::BTreeMap<String, String>,
}

/// One entry of `Layers`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerView {
    /// The layer version ARN.
    pub arn: String,
    /// Its zip size.
    pub code_size: u64,
}

/// `TracingConfig`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TracingView {
    /// `PassThrough` or `Active`.
    pub mode: String,
}

/// `EphemeralStorage`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EphemeralView {
    /// MB.
    pub size: u32,
}

/// `RuntimeVersionConfig`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuntimeVersionView {
    /// The runtime version the function runs on now.
    pub runtime_version_arn: String,
    /// Lambda's `RuntimeVersionConfig.Error`; Lamina puts migration warnings here (a flag
    /// layer that does nothing, an expired delay, a pin on a retired image).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RuntimeVersionErrorView>,
}

/// `RuntimeVersionConfig.Error`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuntimeVersionErrorView {
    /// `MigrationWarning` for Lamina's migration warnings.
    pub error_code: String,
    /// The warnings, joined with `; `.
    pub message: String,
}

/// `SnapStart` (always off in Lamina).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnapStartView {
    /// `None`.
    pub apply_on: &'static str,
    /// `Off`.
    pub optimization_status: &'static str,
}

/// `FunctionConfiguration`, as Create/Get/Update/PublishVersion and ListFunctions return it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionConfiguration {
    /// Name.
    pub function_name: String,
    /// ARN; qualified with the version for published versions.
    pub function_arn: String,
    /// Runtime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// Role.
    pub role: String,
    /// Handler.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    /// Zip size.
    pub code_size: u64,
    /// Description.
    pub description: String,
    /// Seconds.
    pub timeout: u32,
    /// MB.
    pub memory_size: u32,
    /// `2019-08-26T19:11:23.312+0000`.
    pub last_modified: String,
    /// Base64 SHA-256 of the zip.
    pub code_sha256: String,
    /// `$LATEST` or a number.
    pub version: String,
    /// Only when variables are set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<EnvironmentView>,
    /// Tracing.
    pub tracing_config: TracingView,
    /// Revision.
    pub revision_id: String,
    /// Only when layers are attached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<LayerView>>,
    /// State.
    pub state: crate::function::State,
    /// Why, while Pending or Failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    /// Its code (`Creating`, `InternalError`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason_code: Option<String>,
    /// LastUpdateStatus.
    pub last_update_status: crate::function::UpdateStatus,
    /// Why the last update is in progress or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_status_reason: Option<String>,
    /// Its code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_status_reason_code: Option<String>,
    /// `Zip`.
    pub package_type: String,
    /// Architectures.
    pub architectures: Vec<String>,
    /// `/tmp` size.
    pub ephemeral_storage: EphemeralView,
    /// Logging.
    pub logging_config: crate::function::LoggingConfig,
    /// SnapStart (off).
    pub snap_start: SnapStartView,
    /// The runtime version in use, once environments resolve it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_version_config: Option<RuntimeVersionView>,
}

impl FunctionConfiguration {
    /// Builds the wire shape of `version` of `function`. `runtime_version_arn` is the runtime
    /// version the function resolves to now, when known.
    pub fn of(
        account: &Account,
        function: &Function,
        version: &FunctionVersion,
        runtime_version_arn: Option<String>,
    ) -> Self {
        let spec = &version.spec;
        let function_arn = if version.version == LATEST {
            account.function_arn(&function.name)
        } else {
            account.qualified_function_arn(&function.name, &version.version)
        };
        Self {
            function_name: function.name.clone(),
            function_arn,
            runtime: spec.runtime.map(String::from),
            role: spec.role.clone(),
            handler: spec.handler.clone(),
            code_size: version.code.size,
            description: spec.description.clone(),
            timeout: spec.timeout,
            memory_size: spec.memory_size,
            last_modified: lambda_timestamp(version.last_modified),
            code_sha256: version.code.code_sha256.clone(),
            version: version.version.clone(),
            environment: (!spec.environment.is_empty()).then(|| EnvironmentView {
                variables: spec.environment.clone(),
            }),
            tracing_config: TracingView {
                mode: spec.tracing_mode.clone(),
            },
            revision_id: version.revision_id.clone(),
            layers: (!spec.layers.is_empty()).then(|| {
                spec.layers
                    .iter()
                    .map(|l| LayerView {
                        arn: l.arn.clone(),
                        code_size: l.code_size,
                    })
                    .collect()
            }),
            state: version.state,
            state_reason: version.state_reason.as_ref().map(|r| r.reason.clone()),
            state_reason_code: version.state_reason.as_ref().map(|r| r.code.clone()),
            last_update_status: version.last_update_status,
            last_update_status_reason: version.update_reason.as_ref().map(|r| r.reason.clone()),
            last_update_status_reason_code: version.update_reason.as_ref().map(|r| r.code.clone()),
            package_type: spec.package_type.clone(),
            architectures: spec.architectures.clone(),
            ephemeral_storage: EphemeralView {
                size: spec.ephemeral_storage,
            },
            logging_config: spec.logging.clone(),
            snap_start: SnapStartView {
                apply_on: "None",
                optimization_status: "Off",
            },
            runtime_version_config: runtime_version_arn.map(|arn| RuntimeVersionView {
                runtime_version_arn: arn,
                error: None,
            }),
        }
    }
}

/// `RoutingConfig` of an alias.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoutingView {
    /// Version → weight.
    pub additional_version_weights: std::collections::BTreeMap<String, f64>,
}

/// `AliasConfiguration`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasConfiguration {
    /// `…:function:<name>:<alias>`.
    pub alias_arn: String,
    /// Alias name.
    pub name: String,
    /// Target version.
    pub function_version: String,
    /// Description.
    pub description: String,
    /// Only when weights are set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_config: Option<RoutingView>,
    /// Revision.
    pub revision_id: String,
}

impl AliasConfiguration {
    /// The wire shape of `alias` of function `name`.
    pub fn of(account: &Account, name: &str, alias: &Alias) -> Self {
        Self {
            alias_arn: account.qualified_function_arn(name, &alias.name),
            name: alias.name.clone(),
            function_version: alias.function_version.clone(),
            description: alias.description.clone(),
            routing_config: (!alias.additional_version_weights.is_empty()).then(|| RoutingView {
                additional_version_weights: alias.additional_version_weights.clone(),
            }),
            revision_id: alias.revision_id.clone(),
        }
    }
}

/// `Content` of a layer version.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerContentView {
    /// URL on this server that serves the zip.
    pub location: String,
    /// Base64 SHA-256.
    pub code_sha256: String,
    /// Zip size.
    pub code_size: u64,
}

/// PublishLayerVersion / GetLayerVersion output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerVersionView {
    /// Content.
    pub content: LayerContentView,
    /// `…:layer:<name>`.
    pub layer_arn: String,
    /// `…:layer:<name>:<version>`.
    pub layer_version_arn: String,
    /// Description.
    pub description: String,
    /// `2018-11-14T23:03:52.000+0000`.
    pub created_date: String,
    /// Number.
    pub version: u64,
    /// Runtimes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compatible_runtimes: Vec<String>,
    /// Architectures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compatible_architectures: Vec<String>,
    /// License.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_info: Option<String>,
}

impl LayerVersionView {
    /// The wire shape; `location` is the URL that serves the zip.
    pub fn of(account: &Account, layer: &LayerVersion, location: String) -> Self {
        Self {
            content: LayerContentView {
                location,
                code_sha256: layer.content.code_sha256.clone(),
                code_size: layer.content.size,
            },
            layer_arn: account.layer_arn(&layer.name),
            layer_version_arn: account.layer_version_arn(&layer.name, layer.version),
            description: layer.description.clone(),
            created_date: lambda_timestamp(layer.created),
            version: layer.version,
            compatible_runtimes: layer.compatible_runtimes.clone(),
            compatible_architectures: layer.compatible_architectures.clone(),
            license_info: layer.license_info.clone(),
        }
    }
}
