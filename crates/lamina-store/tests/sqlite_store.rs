//! The SQLite store on real files: its durability settings, its layout on disk, state that
//! survives closing and reopening, and concurrent callers.

mod common;

use std::sync::Arc;

use common::{alias, function, layer, version};
use lamina_store::{BLOB_DIR, DB_FILE, SqliteStore, Store, blob_key, open_default};

#[test]
fn runs_in_wal_mode_with_full_sync() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.pragmas().unwrap(), ("wal".to_string(), 2));
    assert_eq!(store.db_path(), dir.path().join(DB_FILE));
    // WAL mode is a property of the file: a plain connection sees it too.
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn open_creates_missing_data_directories() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("a/b/data");
    let store = open_default(&data).unwrap();
    store.create_function(&function("f")).unwrap();
    assert!(data.join(DB_FILE).is_file());
    assert!(data.join(BLOB_DIR).is_dir());
}

#[test]
fn blob_files_live_at_their_sharded_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let key = store.put_blob(b"zip").unwrap();
    let expected = dir.path().join(BLOB_DIR).join(&key[..2]).join(&key);
    assert_eq!(store.blob_path(&key), expected);
    assert_eq!(std::fs::read(&expected).unwrap(), b"zip");
    assert!(
        store
            .blob_path("../lamina.db")
            .starts_with(dir.path().join(BLOB_DIR))
    );
}

#[test]
fn everything_survives_drop_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = function("alpha");
    let blob;
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        store.create_function(&f).unwrap();
        f.next_version = 2;
        store.publish_version(&f, &version("1", "one")).unwrap();
        store.put_alias("alpha", &alias("prod", "1")).unwrap();
        store.create_function(&function("doomed")).unwrap();
        store.put_alias("doomed", &alias("prod", "1")).unwrap();
        assert!(store.delete_function("doomed").unwrap());
        for i in 0..3 {
            store
                .publish_layer_version(&layer("deps", &format!("v{i}")))
                .unwrap();
        }
        // All versions gone: only the high-water mark remembers them.
        for n in 1..=3 {
            assert!(store.delete_layer_version("deps", n).unwrap());
        }
        store.publish_layer_version(&layer("keep", "k")).unwrap();
        blob = store.put_blob(b"code zip").unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.get_function("alpha").unwrap(), Some(f));
    assert_eq!(
        store.get_version("alpha", "1").unwrap(),
        Some(version("1", "one"))
    );
    assert_eq!(
        store.get_alias("alpha", "prod").unwrap(),
        Some(alias("prod", "1"))
    );
    assert_eq!(store.get_function("doomed").unwrap(), None);
    assert!(store.list_aliases("doomed").unwrap().is_empty());
    assert_eq!(
        store
            .publish_layer_version(&layer("deps", "v3"))
            .unwrap()
            .version,
        4
    );
    assert_eq!(store.list_layers().unwrap().len(), 2);
    assert_eq!(store.read_blob(&blob).unwrap(), Some(b"code zip".to_vec()));
}

#[test]
fn concurrent_callers_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for i in 0..25 {
                    store
                        .create_function(&function(&format!("f{t}-{i:02}")))
                        .unwrap();
                    store.publish_layer_version(&layer("shared", "x")).unwrap();
                    store.put_blob(format!("blob {t} {i}").as_bytes()).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(store.list_functions(None, 1000).unwrap().len(), 100);
    let numbers: Vec<u64> = store
        .list_layer_versions("shared")
        .unwrap()
        .iter()
        .map(|l| l.version)
        .collect();
    // 100 publishes from 4 threads: each number handed out exactly once.
    assert_eq!(numbers, (1..=100).rev().collect::<Vec<_>>());
    assert!(store.read_blob(&blob_key(b"blob 3 24")).unwrap().is_some());
}

#[test]
fn two_handles_on_one_directory_see_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let a = SqliteStore::open(dir.path()).unwrap();
    let b = SqliteStore::open(dir.path()).unwrap();
    a.create_function(&function("from-a")).unwrap();
    assert_eq!(b.get_function("from-a").unwrap(), Some(function("from-a")));
    let err = b.create_function(&function("from-a")).unwrap_err();
    assert!(
        matches!(err, lamina_store::StoreError::Conflict(_)),
        "{err}"
    );
    assert_eq!(
        a.publish_layer_version(&layer("l", "1")).unwrap().version,
        1
    );
    assert_eq!(
        b.publish_layer_version(&layer("l", "2")).unwrap().version,
        2
    );
}

#[test]
fn test_events_survive_drop_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let saved = lamina_store::TestEvent {
        name: "s3-put".into(),
        body: "{\n  \"Records\": []\n}".into(),
        last_modified_ms: 42,
    };
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        store.create_function(&function("alpha")).unwrap();
        store.put_test_event("alpha", &saved).unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.list_test_events("alpha").unwrap(), vec![saved]);
}

#[test]
fn migration_plans_survive_drop_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let plan = lamina_model::environment::parse_plan_toml(include_str!(
        "../../../docs/examples/amazon-linux-2019.toml"
    ))
    .unwrap();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        store.put_plan(&plan).unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.get_plan(&plan.name).unwrap(), Some(plan.clone()));
    assert_eq!(store.list_plans().unwrap(), vec![plan]);
}
