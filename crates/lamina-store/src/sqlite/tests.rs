//! Tests of what is particular to the SQLite store: schema migrations on real files, the
//! refusal of newer databases, corrupt documents. The behaviour shared with `MemoryStore`
//! is checked by `tests/conformance.rs`.

use std::path::Path;

use rusqlite::Connection;

use super::schema::{MIGRATIONS, current_version, user_version};
use super::{DB_FILE, SqliteStore};
use crate::{Store, StoreError};

fn schema_sql(db: &Path) -> Vec<String> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A database file built by hand at `version`, as an older Lamina would have left it.
fn database_at(dir: &Path, version: usize) -> Connection {
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    for step in &MIGRATIONS[..version] {
        conn.execute_batch(step).unwrap();
    }
    conn.pragma_update(None, "user_version", version as i64)
        .unwrap();
    conn
}

#[test]
fn reopening_a_current_database_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(DB_FILE);
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.schema_version().unwrap(), current_version());
        store.publish_layer_version(&layer("deps")).unwrap();
    }
    let before = schema_sql(&db);
    // Every step is a plain CREATE TABLE, so running any step again would fail the open.
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), current_version());
    assert_eq!(schema_sql(&db), before);
    assert_eq!(store.list_layers().unwrap().len(), 1);
}

#[test]
fn database_from_the_previous_version_migrates_and_keeps_its_rows() {
    let previous = MIGRATIONS.len() - 1;
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = database_at(dir.path(), previous);
        // A row written by the older code, through its schema.
        let doc = serde_json::to_string(&function("old")).unwrap();
        conn.execute(
            "INSERT INTO functions (name, doc) VALUES ('old', ?1)",
            [doc],
        )
        .unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), current_version());
    assert_eq!(store.get_function("old").unwrap(), Some(function("old")));
    // The tables the last step adds work.
    assert_eq!(
        store.publish_layer_version(&layer("deps")).unwrap().version,
        1
    );
}

#[test]
fn every_older_version_migrates() {
    for version in 0..MIGRATIONS.len() {
        let dir = tempfile::tempdir().unwrap();
        drop(database_at(dir.path(), version));
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            current_version(),
            "{version}"
        );
        store.create_function(&function("f")).unwrap();
        store.publish_layer_version(&layer("l")).unwrap();
    }
}

#[test]
fn newer_database_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = database_at(dir.path(), MIGRATIONS.len());
        conn.pragma_update(None, "user_version", current_version() + 3)
            .unwrap();
    }
    let err = SqliteStore::open(dir.path()).unwrap_err();
    match &err {
        StoreError::SchemaTooNew { path, found, known } => {
            assert_eq!(path, &dir.path().join(DB_FILE));
            assert_eq!(*found, current_version() + 3);
            assert_eq!(*known, current_version());
        }
        other => panic!("expected SchemaTooNew, got {other}"),
    }
    assert!(err.to_string().contains("newer"), "{err}");
    // The refused database is left as it was.
    let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
    assert_eq!(user_version(&conn).unwrap(), current_version() + 3);
}

#[test]
fn corrupt_document_is_reported_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    store.create_function(&function("f")).unwrap();
    {
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.execute(
            "UPDATE functions SET doc = '{\"name\":' WHERE name = 'f'",
            [],
        )
        .unwrap();
    }
    let err = store.get_function("f").unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt { key, .. } if key == "f"),
        "{err}"
    );
    assert!(store.list_functions(None, 10).is_err());
}

fn function(name: &str) -> lamina_model::Function {
    use lamina_model::function::*;
    let code = CodeRef {
        sha256_hex: crate::blob_key(name.as_bytes()),
        code_sha256: String::new(),
        size: 1,
        unzipped_size: 1,
    };
    Function {
        name: name.into(),
        latest: FunctionVersion {
            version: LATEST.into(),
            spec: FunctionSpec::new(name, "python3.12".parse().unwrap(), "app.handler", "r"),
            code,
            last_modified: time::macros::datetime!(2026-01-01 00:00 UTC),
            revision_id: "r1".into(),
            state: State::Active,
            last_update_status: UpdateStatus::Successful,
            state_reason: None,
            update_reason: None,
        },
        tags: Default::default(),
        policy: Vec::new(),
        policy_revision_id: String::new(),
        reserved_concurrency: None,
        runtime_management: RuntimeManagement::default(),
        recursive_loop: None,
        next_version: 1,
        created: time::macros::datetime!(2026-01-01 00:00 UTC),
    }
}

fn layer(name: &str) -> lamina_model::LayerVersion {
    lamina_model::LayerVersion {
        name: name.into(),
        version: 0,
        description: String::new(),
        compatible_runtimes: Vec::new(),
        compatible_architectures: Vec::new(),
        license_info: None,
        content: function(name).latest.code,
        policy: Vec::new(),
        policy_revision_id: None,
        created: time::macros::datetime!(2026-01-01 00:00 UTC),
    }
}
