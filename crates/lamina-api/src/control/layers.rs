//! Layers: publishing, reading, listing and deleting layer versions, and resolving the layer
//! ARNs a function references into what its sandbox will mount at `/opt`.

use lamina_model::{LambdaError, LambdaResult, LayerRef, LayerVersion, validate};

use super::Control;
use crate::requests::PublishLayerInput;

impl Control {
    /// PublishLayerVersion.
    pub async fn publish_layer_version(
        &self,
        layer_name: &str,
        input: PublishLayerInput,
    ) -> LambdaResult<LayerVersion> {
        let name = self.layer_name_of(layer_name)?;
        let description = input.description.unwrap_or_default();
        validate::description(&description)?;
        validate::compatible_runtimes(&input.compatible_runtimes)?;
        if input.compatible_runtimes.len() > 15 {
            return Err(LambdaError::constraint(
                "CompatibleRuntimes",
                "compatibleRuntimes",
                "Member must have length less than or equal to 15",
            ));
        }
        for arch in &input.compatible_architectures {
            validate::architectures(std::slice::from_ref(arch))?;
        }
        if input.content.s3_bucket.is_some() || input.content.s3_key.is_some() {
            return Err(LambdaError::invalid_parameter(
                "Lamina has no S3: upload the layer inline as Content.ZipFile instead of S3Bucket/S3Key",
            ));
        }
        let zip = input.content.zip_file.ok_or_else(|| {
            LambdaError::invalid_parameter("Please provide a source for layer content.")
        })?;
        let summary = lamina_package::inspect(
            &zip,
            &self.limits.package,
            self.limits.package.max_unzipped_bytes,
        )
        .map_err(LambdaError::from)?;
        let _guard = self.write_lock.lock().await;
        let content = self.store_code(zip, &summary).await?;
        let layer = LayerVersion {
            name,
            version: 0,
            description,
            compatible_runtimes: input.compatible_runtimes,
            compatible_architectures: input.compatible_architectures,
            license_info: input.license_info,
            content,
            policy: Vec::new(),
            policy_revision_id: None,
            created: self.clock.now(),
        };
        let stored = self
            .store_call(move |s| s.publish_layer_version(&layer))
            .await?;
        tracing::info!(layer = %stored.name, version = stored.version, "layer version published");
        Ok(stored)
    }

    /// GetLayerVersion.
    pub async fn get_layer_version(
        &self,
        layer_name: &str,
        version: u64,
    ) -> LambdaResult<LayerVersion> {
        let name = self.layer_name_of(layer_name)?;
        let n = name.clone();
        self.store_call(move |s| s.get_layer_version(&n, version))
            .await?
            .ok_or_else(|| LambdaError::not_found("The resource you requested does not exist."))
    }

    /// GetLayerVersionByArn.
    pub async fn get_layer_version_by_arn(&self, arn: &str) -> LambdaResult<LayerVersion> {
        let (name, version) = self.account.parse_layer_version_arn(arn).ok_or_else(|| {
            LambdaError::constraint(
                arn,
                "arn",
                "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)",
            )
        })?;
        self.get_layer_version(&name, version).await
    }

    /// ListLayerVersions, newest first, optionally only those compatible with a runtime.
    pub async fn list_layer_versions(
        &self,
        layer_name: &str,
        runtime: Option<String>,
    ) -> LambdaResult<Vec<LayerVersion>> {
        let name = self.layer_name_of(layer_name)?;
        let all = self
            .store_call(move |s| s.list_layer_versions(&name))
            .await?;
        Ok(all
            .into_iter()
            .filter(|l| compatible(l, runtime.as_deref()))
            .collect())
    }

    /// ListLayers: each layer with its newest (matching) version.
    pub async fn list_layers(&self, runtime: Option<String>) -> LambdaResult<Vec<LayerVersion>> {
        if runtime.is_none() {
            return self.store_call(|s| s.list_layers()).await;
        }
        let newest = self.store_call(|s| s.list_layers()).await?;
        let mut out = Vec::new();
        for layer in newest {
            let versions = self
                .list_layer_versions(&layer.name, runtime.clone())
                .await?;
            out.extend(versions.into_iter().next());
        }
        Ok(out)
    }

    /// DeleteLayerVersion (idempotent, as in Lambda). Functions that use it keep working.
    pub async fn delete_layer_version(&self, layer_name: &str, version: u64) -> LambdaResult<()> {
        let name = self.layer_name_of(layer_name)?;
        let _guard = self.write_lock.lock().await;
        self.store_call(move |s| s.delete_layer_version(&name, version))
            .await?;
        Ok(())
    }

    /// Resolves a function's layer ARNs, in order, refusing unknown or duplicate ones.
    pub(super) async fn resolve_layers(&self, arns: &[String]) -> LambdaResult<Vec<LayerRef>> {
        let mut out: Vec<LayerRef> = Vec::with_capacity(arns.len());
        for arn in arns {
            if out.iter().any(|l| &l.arn == arn) {
                return Err(LambdaError::invalid_parameter(format!(
                    "Two different versions of the same layer are not allowed to be referenced in the same function. {arn} and {arn} are versions of the same layer."
                )));
            }
            let Some((name, version)) = self.account.parse_layer_version_arn(arn) else {
                return Err(LambdaError::invalid_parameter(format!(
                    "Layer version {arn} does not exist."
                )));
            };
            let n = name.clone();
            let layer = self
                .store_call(move |s| s.get_layer_version(&n, version))
                .await?
                .ok_or_else(|| {
                    LambdaError::invalid_parameter(format!("Layer version {arn} does not exist."))
                })?;
            if let Some(other) = out.iter().find(|l| {
                self.account
                    .parse_layer_version_arn(&l.arn)
                    .is_some_and(|(n, _)| n == name)
            }) {
                return Err(LambdaError::invalid_parameter(format!(
                    "Two different versions of the same layer are not allowed to be referenced in the same function. {} and {arn} are versions of the same layer.",
                    other.arn
                )));
            }
            out.push(LayerRef {
                arn: arn.clone(),
                code_size: layer.content.size,
                unzipped_size: layer.content.unzipped_size,
                content: Some(layer.content),
            });
        }
        Ok(out)
    }

    /// Accepts a layer name or a layer ARN of this account (without version).
    pub(super) fn layer_name_of(&self, input: &str) -> LambdaResult<String> {
        let name = input
            .strip_prefix(&self.account.layer_arn(""))
            .unwrap_or(input)
            .to_string();
        validate::layer_name(&name)?;
        Ok(name)
    }
}

fn compatible(layer: &LayerVersion, runtime: Option<&str>) -> bool {
    runtime.is_none_or(|r| layer.compatible_runtimes.iter().any(|c| c == r))
}
