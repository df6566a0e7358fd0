//! Runtime versions: a runtime served by one image. Its name is `<runtime>.<image>`
//! (`python3.12.debian-12`), printed by `INIT_START Runtime Version:`; its ARN is
//! `arn:aws:lambda:<region>::runtime:<runtime>.<image>`, reported as
//! `RuntimeVersionConfig.RuntimeVersionArn` and accepted by `PutRuntimeManagementConfig`.
//! Lambda's own runtime version ARNs end in an opaque hash; Lamina's are readable, and match
//! Lambda's pattern `arn:aws[a-zA-Z-]*:lambda:<region>::runtime:.+`.

use serde::{Deserialize, Serialize};

use super::{EnvironmentError, ImageId};

/// A (runtime, image) pair and its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RuntimeVersion {
    /// The runtime identifier (`python3.12`).
    pub runtime: String,
    /// The image serving it.
    pub image: ImageId,
    /// `arn:aws:lambda:<region>::runtime:<runtime>.<image>`.
    pub arn: String,
}

impl RuntimeVersion {
    /// The runtime version of `runtime` on `image`, with its ARN in `region`.
    pub fn new(region: &str, runtime: &str, image: &ImageId) -> Self {
        Self {
            runtime: runtime.to_string(),
            image: image.clone(),
            arn: format!("arn:aws:lambda:{region}::runtime:{runtime}.{image}"),
        }
    }

    /// `<runtime>.<image>`, as `INIT_START Runtime Version:` prints it.
    pub fn name(&self) -> String {
        format!("{}.{}", self.runtime, self.image)
    }

    /// Parses an ARN of `region` back into its runtime version. Refuses other regions, other
    /// services and a runtime Lambda never had; whether the image exists is the catalog's
    /// question.
    pub fn parse_arn(region: &str, arn: &str) -> Result<Self, EnvironmentError> {
        let bad = || EnvironmentError::InvalidRuntimeVersionArn(arn.to_string());
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let ["arn", partition, "lambda", arn_region, "", resource] = parts.as_slice() else {
            return Err(bad());
        };
        if !partition.starts_with("aws") || *arn_region != region {
            return Err(bad());
        }
        let name = resource.strip_prefix("runtime:").ok_or_else(bad)?;
        let (runtime, image) = name.rsplit_once('.').ok_or_else(bad)?;
        if crate::runtime::lookup(runtime).is_none() {
            return Err(bad());
        }
        let image = ImageId::new(image).map_err(|_| bad())?;
        Ok(Self::new(region, runtime, &image))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_round_trips() {
        let image = ImageId::new("debian-12").unwrap();
        let v = RuntimeVersion::new("us-east-1", "python3.12", &image);
        assert_eq!(
            v.arn,
            "arn:aws:lambda:us-east-1::runtime:python3.12.debian-12"
        );
        assert_eq!(v.name(), "python3.12.debian-12");
        assert_eq!(RuntimeVersion::parse_arn("us-east-1", &v.arn).unwrap(), v);
        let provided = RuntimeVersion::new("us-east-1", "provided.al2023", &ImageId::host());
        assert_eq!(
            RuntimeVersion::parse_arn("us-east-1", &provided.arn).unwrap(),
            provided
        );
    }

    #[test]
    fn foreign_or_malformed_arns_are_refused() {
        for arn in [
            "arn:aws:lambda:eu-west-1::runtime:python3.12.debian-12",
            "arn:aws:lambda:us-east-1:000000000000:runtime:python3.12.debian-12",
            "arn:aws:lambda:us-east-1::runtime:python9.9.debian-12",
            "arn:aws:lambda:us-east-1::runtime:python3.12.Debian",
            "arn:aws:lambda:us-east-1::layer:python3.12.debian-12",
            "arn:aws:lambda:us-east-1::runtime:0cdcfbdefbc5e7d3343f73c2e2dd3cba",
            "not an arn",
        ] {
            assert!(
                RuntimeVersion::parse_arn("us-east-1", arn).is_err(),
                "{arn}"
            );
        }
    }
}
