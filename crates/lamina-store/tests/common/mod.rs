//! Records the store tests write: complete model values with every field set, so a lossy
//! round trip through a backend shows up as an inequality.

#![allow(dead_code)] // each test binary uses a different subset
#![allow(clippy::expect_used)] // fixture setup failing is a failed test

use std::collections::BTreeMap;

use lamina_model::function::{
    Alias, CodeRef, Function, FunctionSpec, FunctionVersion, LayerRef, LayerVersion, LoggingConfig,
    RuntimeManagement, State, UpdateStatus,
};
use lamina_store::{MemoryStore, SqliteStore, blob_key};
use time::macros::datetime;

/// A code reference for `bytes`.
pub fn code(bytes: &[u8]) -> CodeRef {
    CodeRef {
        sha256_hex: blob_key(bytes),
        code_sha256: format!("b64-of-{}", bytes.len()),
        size: bytes.len() as u64,
        unzipped_size: bytes.len() as u64 * 3,
    }
}

/// A `$LATEST` (or published, by `version`) configuration with every field populated.
pub fn version(version: &str, description: &str) -> FunctionVersion {
    FunctionVersion {
        version: version.to_string(),
        spec: FunctionSpec {
            runtime: Some("python3.12".parse().expect("a runtime id")),
            role: "arn:aws:iam::000000000000:role/lambda".into(),
            handler: Some("app.handler".into()),
            description: description.to_string(),
            timeout: 30,
            memory_size: 256,
            environment: BTreeMap::from([("STAGE".into(), "test".into())]),
            layers: vec![LayerRef {
                arn: "arn:aws:lambda:us-east-1:000000000000:layer:deps:3".into(),
                code_size: 10,
                unzipped_size: 30,
                content: Some(code(b"layer")),
            }],
            architectures: vec!["x86_64".into()],
            ephemeral_storage: 512,
            package_type: "Zip".into(),
            tracing_mode: "PassThrough".into(),
            logging: LoggingConfig {
                log_format: "JSON".into(),
                application_log_level: Some("INFO".into()),
                system_log_level: None,
                log_group: "/aws/lambda/f".into(),
            },
        },
        code: code(description.as_bytes()),
        last_modified: datetime!(2026-11-26 12:34:56.789 UTC),
        revision_id: format!("rev-{version}-{description}"),
        state: State::Active,
        last_update_status: UpdateStatus::Successful,
        state_reason: None,
        update_reason: None,
    }
}

/// A function named `name` whose next published version will be `next_version`.
pub fn function(name: &str) -> Function {
    Function {
        name: name.to_string(),
        latest: version("$LATEST", name),
        tags: BTreeMap::from([("team".into(), "core".into())]),
        policy: vec![serde_json::json!({"Sid": "s1", "Effect": "Allow"})],
        policy_revision_id: "p1".into(),
        reserved_concurrency: Some(5),
        runtime_management: RuntimeManagement::default(),
        recursive_loop: None,
        next_version: 1,
        created: datetime!(2026-11-25 08:00:00.5 UTC),
    }
}

/// An alias pointing at `target`, with a weighted second version.
pub fn alias(name: &str, target: &str) -> Alias {
    Alias {
        name: name.to_string(),
        function_version: target.to_string(),
        description: format!("alias {name}"),
        additional_version_weights: BTreeMap::from([("1".into(), 0.3)]),
        revision_id: format!("a-{name}-{target}"),
    }
}

/// A layer version as the control layer hands it to the store (number not yet assigned).
pub fn layer(name: &str, description: &str) -> LayerVersion {
    LayerVersion {
        name: name.to_string(),
        version: 0,
        description: description.to_string(),
        compatible_runtimes: vec!["python3.12".into()],
        compatible_architectures: vec!["x86_64".into(), "arm64".into()],
        license_info: Some("MIT".into()),
        content: code(description.as_bytes()),
        policy: Vec::new(),
        policy_revision_id: None,
        created: datetime!(2026-11-26 00:00:00 UTC),
    }
}

/// A store and whatever keeps its backing alive.
pub struct Fixture<S> {
    pub store: S,
    pub dir: Option<tempfile::TempDir>,
}

pub fn memory() -> Fixture<MemoryStore> {
    Fixture {
        store: MemoryStore::new(),
        dir: None,
    }
}

pub fn sqlite() -> Fixture<SqliteStore> {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("open sqlite store");
    Fixture {
        store,
        dir: Some(dir),
    }
}
