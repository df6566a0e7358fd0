//! Lambda@Edge's rules for a `LambdaFunctionAssociation`, checked when a distribution is
//! created or updated (400 `InvalidLambdaFunctionAssociation`, as CloudFront refuses them):
//! a numbered version in us-east-1 (not `$LATEST`, not an alias), no environment variables,
//! no layers, x86_64, a zip package, a supported runtime, and the per-trigger quotas (viewer:
//! 128 MB, 5 s, 1 MB of code; origin: 30 s, 50 MB of code).

use lamina_api::Control;
use lamina_model::{FunctionVersion, Qualifier};

use crate::config::{Association, DistributionConfig};
use crate::error::CfError;

/// Runtimes Lambda@Edge accepts for new associations.
pub const SUPPORTED_RUNTIMES: &[&str] = &[
    "nodejs22.x",
    "nodejs20.x",
    "nodejs18.x",
    "python3.13",
    "python3.12",
    "python3.11",
    "python3.10",
    "python3.9",
];

/// Viewer triggers' memory limit (MB).
pub const VIEWER_MEMORY_MB: u32 = 128;
/// Viewer triggers' timeout limit (s).
pub const VIEWER_TIMEOUT_S: u32 = 5;
/// Origin triggers' timeout limit (s).
pub const ORIGIN_TIMEOUT_S: u32 = 30;
/// Viewer triggers' compressed code limit.
pub const VIEWER_CODE_BYTES: u64 = 1_048_576;
/// Origin triggers' compressed code limit.
pub const ORIGIN_CODE_BYTES: u64 = 52_428_800;

/// Checks every association of `config` against the functions the control plane holds.
pub async fn check(control: &Control, config: &DistributionConfig) -> Result<(), CfError> {
    for behavior in config.all_behaviors() {
        for association in &behavior.associations {
            check_one(control, association).await?;
        }
    }
    Ok(())
}

async fn check_one(control: &Control, association: &Association) -> Result<(), CfError> {
    let arn = association.function_arn.as_str();
    let parts: Vec<&str> = arn.split(':').collect();
    let (region, qualifier) = match parts.as_slice() {
        [
            "arn",
            partition,
            "lambda",
            region,
            _account,
            "function",
            _name,
            rest @ ..,
        ] if partition.starts_with("aws") => {
            (*region, rest.first().copied().filter(|q| !q.is_empty()))
        }
        _ => {
            return Err(CfError::invalid_association(format!(
                "The function ARN is not valid. ARN: {arn}"
            )));
        }
    };
    if region != "us-east-1" {
        return Err(CfError::invalid_association(format!(
            "The function must be in region 'us-east-1'. ARN: {arn}"
        )));
    }
    let numbered = matches!(Qualifier::of(qualifier), Qualifier::Version(_));
    if !numbered {
        return Err(CfError::invalid_association(format!(
            "The function ARN must reference a specific function version. (The ARN must end with the version number.) ARN: {arn}"
        )));
    }
    let (_, version) = control.resolve(arn, None).await.map_err(|e| {
        CfError::invalid_association(format!(
            "The function does not exist or is not accessible: {}. ARN: {arn}",
            e.message
        ))
    })?;
    check_version(arn, association, &version)
}

/// The rules that depend only on the version's configuration.
pub fn check_version(
    arn: &str,
    association: &Association,
    version: &FunctionVersion,
) -> Result<(), CfError> {
    let spec = &version.spec;
    let refuse = |what: String| Err(CfError::invalid_association(format!("{what} ARN: {arn}")));
    if !spec.environment.is_empty() {
        return refuse("The function cannot have environment variables.".into());
    }
    if !spec.layers.is_empty() {
        return refuse("The function cannot have layers.".into());
    }
    if spec.architectures.iter().any(|a| a != "x86_64") {
        return refuse("The function must use the x86_64 architecture.".into());
    }
    if spec.package_type != "Zip" {
        return refuse("The function must be packaged as a .zip file archive.".into());
    }
    if spec.ephemeral_storage > 512 {
        return refuse("The function's ephemeral storage must be at most 512 MB.".into());
    }
    let runtime = spec.runtime.map(|r| r.id()).unwrap_or("none");
    if !SUPPORTED_RUNTIMES.contains(&runtime) {
        return refuse(format!(
            "The function runtime {runtime} is not supported by Lambda@Edge."
        ));
    }
    let event = association.event_type.as_str();
    let (timeout, code) = if association.event_type.is_viewer() {
        if spec.memory_size > VIEWER_MEMORY_MB {
            return refuse(format!(
                "The function memory size must be at most {VIEWER_MEMORY_MB} MB for event type {event}."
            ));
        }
        (VIEWER_TIMEOUT_S, VIEWER_CODE_BYTES)
    } else {
        (ORIGIN_TIMEOUT_S, ORIGIN_CODE_BYTES)
    };
    if spec.timeout > timeout {
        return refuse(format!(
            "The function timeout must be at most {timeout} seconds for event type {event}."
        ));
    }
    if version.code.size > code {
        return refuse(format!(
            "The function's compressed code size must be at most {code} bytes for event type {event}."
        ));
    }
    Ok(())
}
