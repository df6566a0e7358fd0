//! Where a function's or layer's code comes from: a local folder (what local tooling runs),
//! an S3 object (a packaged template), inline source, or a container image.

use std::path::{Path, PathBuf};

use serde_json::Value as J;

use crate::intrinsic::stringify;

/// The source of a function's or layer's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// A path (folder or zip file) relative to the template's folder.
    Local(String),
    /// An S3 object (`s3://bucket/key` or `{Bucket, Key, Version}`).
    S3 {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
        /// Object version, if pinned.
        version: Option<String>,
    },
    /// `InlineCode` / `ZipFile` source text.
    Inline(String),
    /// A container image URI (`PackageType: Image`).
    Image(String),
}

impl Code {
    /// Reads `CodeUri`/`ContentUri`/`Code`/`Content`: a string (`s3://…` or a local path) or a
    /// map with `Bucket`/`Key`/`Version` (SAM) or `S3Bucket`/`S3Key`/`S3ObjectVersion`
    /// (CloudFormation). `None` for any other shape.
    pub fn from_uri(value: &J) -> Option<Code> {
        match value {
            J::String(uri) => Some(match uri.strip_prefix("s3://") {
                Some(rest) => {
                    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
                    Code::S3 {
                        bucket: bucket.into(),
                        key: key.into(),
                        version: None,
                    }
                }
                None => Code::Local(uri.clone()),
            }),
            J::Object(map) => {
                let field =
                    |a: &str, b: &str| map.get(a).or_else(|| map.get(b)).and_then(stringify);
                if let Some(zip) = map.get("ZipFile").and_then(stringify) {
                    return Some(Code::Inline(zip));
                }
                if let Some(image) = map.get("ImageUri").and_then(stringify) {
                    return Some(Code::Image(image));
                }
                Some(Code::S3 {
                    bucket: field("Bucket", "S3Bucket")?,
                    key: field("Key", "S3Key")?,
                    version: field("Version", "S3ObjectVersion"),
                })
            }
            _ => None,
        }
    }

    /// The local path this code lives at, relative to `template_dir`; `None` when it is not
    /// on this machine (S3, inline, image).
    pub fn local_path(&self, template_dir: &Path) -> Option<PathBuf> {
        match self {
            Code::Local(path) => Some(template_dir.join(path)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_uri_shape() {
        assert_eq!(
            Code::from_uri(&J::from("hello_world/")),
            Some(Code::Local("hello_world/".into()))
        );
        assert_eq!(
            Code::from_uri(&J::from("s3://b/k/x.zip")),
            Some(Code::S3 {
                bucket: "b".into(),
                key: "k/x.zip".into(),
                version: None
            })
        );
        let map = serde_json::json!({"Bucket": "b", "Key": "k", "Version": "3"});
        assert_eq!(
            Code::from_uri(&map),
            Some(Code::S3 {
                bucket: "b".into(),
                key: "k".into(),
                version: Some("3".into())
            })
        );
        assert_eq!(
            Code::Local("src".into()).local_path(Path::new("/t")),
            Some(PathBuf::from("/t/src"))
        );
    }
}
