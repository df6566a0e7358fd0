//! The `Store` contract, checked against every implementation: each check is generic over
//! `S: Store` and the `conformance!` macro instantiates all of them for one backend. A new
//! backend (PostgreSQL) gets the whole suite with one macro line.

// Checks are plain functions called from the generated tests; a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{alias, function, layer, version};
use lamina_model::event_invoke::{
    Condition, EventFailure, EventInvokeConfig, EventStatus, QueuedEvent,
};
use lamina_store::{EventFilter, EventWrite, EventWritten, Store, StoreError, TestEvent, blob_key};

fn names<T>(items: &[T], name: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|i| name(i).to_string()).collect()
}

pub fn create_get_round_trip<S: Store>(s: &S) {
    let f = function("alpha");
    assert_eq!(s.get_function("alpha").unwrap(), None);
    s.create_function(&f).unwrap();
    assert_eq!(s.get_function("alpha").unwrap(), Some(f));
}

pub fn create_conflict_keeps_the_original<S: Store>(s: &S) {
    let f = function("alpha");
    s.create_function(&f).unwrap();
    let mut other = function("alpha");
    other.latest.spec.description = "impostor".into();
    let err = s.create_function(&other).unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(n) if n == "alpha"),
        "{err}"
    );
    assert_eq!(s.get_function("alpha").unwrap(), Some(f));
}

pub fn update_missing_is_not_found_and_update_replaces<S: Store>(s: &S) {
    let err = s.update_function(&function("ghost")).unwrap_err();
    assert!(
        matches!(&err, StoreError::NotFound(n) if n == "ghost"),
        "{err}"
    );
    assert_eq!(s.get_function("ghost").unwrap(), None);

    s.create_function(&function("alpha")).unwrap();
    let mut changed = function("alpha");
    changed.latest.spec.memory_size = 1024;
    changed.tags.insert("new".into(), "tag".into());
    s.update_function(&changed).unwrap();
    assert_eq!(s.get_function("alpha").unwrap(), Some(changed));
}

pub fn list_functions_pages_in_byte_order<S: Store>(s: &S) {
    for n in ["b", "a", "d", "B", "aa", "c", "é"] {
        s.create_function(&function(n)).unwrap();
    }
    let all = s.list_functions(None, 100).unwrap();
    // Byte order: uppercase before lowercase, a prefix before its extensions, UTF-8 last.
    assert_eq!(
        names(&all, |f| &f.name),
        ["B", "a", "aa", "b", "c", "d", "é"]
    );
    assert_eq!(all[0], function("B"));

    let page =
        |after: Option<&str>, limit| names(&s.list_functions(after, limit).unwrap(), |f| &f.name);
    assert_eq!(page(None, 2), ["B", "a"]);
    assert_eq!(page(Some("a"), 2), ["aa", "b"]);
    assert_eq!(page(Some("b"), 3), ["c", "d", "é"]);
    // `after` need not be a stored name.
    assert_eq!(page(Some("ab"), 1), ["b"]);
    assert_eq!(page(Some("é"), 5), Vec::<String>::new());
    assert_eq!(page(None, 0), Vec::<String>::new());
    assert_eq!(page(Some("c"), usize::MAX), ["d", "é"]);

    // Walking page by page visits every function exactly once.
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let got = page(marker.as_deref(), 3);
        if got.is_empty() {
            break;
        }
        marker = got.last().cloned();
        seen.extend(got);
    }
    assert_eq!(seen, names(&all, |f| &f.name));
}

pub fn publish_version_stores_both_atomically<S: Store>(s: &S) {
    let mut f = function("alpha");
    s.create_function(&f).unwrap();
    f.next_version = 2;
    let v1 = version("1", "first");
    s.publish_version(&f, &v1).unwrap();
    assert_eq!(s.get_function("alpha").unwrap().unwrap().next_version, 2);
    assert_eq!(s.get_version("alpha", "1").unwrap(), Some(v1.clone()));

    // A conflicting publish changes nothing: neither the function nor the version.
    let mut bumped = f.clone();
    bumped.next_version = 3;
    let err = s
        .publish_version(&bumped, &version("1", "second"))
        .unwrap_err();
    assert!(matches!(&err, StoreError::Conflict(_)), "{err}");
    assert_eq!(s.get_function("alpha").unwrap(), Some(f));
    assert_eq!(s.get_version("alpha", "1").unwrap(), Some(v1));

    // Publishing for a missing function stores no orphan version.
    let err = s
        .publish_version(&function("ghost"), &version("1", "x"))
        .unwrap_err();
    assert!(matches!(&err, StoreError::NotFound(_)), "{err}");
    assert_eq!(s.get_version("ghost", "1").unwrap(), None);
    assert_eq!(s.get_function("ghost").unwrap(), None);

    // A version that is not a number cannot be published.
    let err = s
        .publish_version(&bumped, &version("$LATEST", "x"))
        .unwrap_err();
    assert!(matches!(&err, StoreError::NotFound(_)), "{err}");
    assert_eq!(s.get_function("alpha").unwrap().unwrap().next_version, 2);
}

pub fn list_versions_is_numeric<S: Store>(s: &S) {
    let f = function("alpha");
    s.create_function(&f).unwrap();
    s.create_function(&function("alpha2")).unwrap();
    for n in ["10", "2", "1", "9"] {
        s.publish_version(&f, &version(n, n)).unwrap();
    }
    s.publish_version(&function("alpha2"), &version("3", "other"))
        .unwrap();
    let listed = s.list_versions("alpha").unwrap();
    assert_eq!(names(&listed, |v| &v.version), ["1", "2", "9", "10"]);
    assert_eq!(listed[3], version("10", "10"));
    assert!(s.list_versions("ghost").unwrap().is_empty());
}

pub fn get_and_delete_version<S: Store>(s: &S) {
    let f = function("alpha");
    s.create_function(&f).unwrap();
    s.publish_version(&f, &version("1", "one")).unwrap();
    s.publish_version(&f, &version("2", "two")).unwrap();
    // `$LATEST` lives in the function, and text never names a published version.
    assert_eq!(s.get_version("alpha", "$LATEST").unwrap(), None);
    assert_eq!(s.get_version("alpha", "one").unwrap(), None);
    assert_eq!(s.get_version("alpha", "3").unwrap(), None);
    assert!(!s.delete_version("alpha", "$LATEST").unwrap());
    assert!(!s.delete_version("alpha", "3").unwrap());

    assert!(s.delete_version("alpha", "1").unwrap());
    assert!(!s.delete_version("alpha", "1").unwrap());
    assert_eq!(s.get_version("alpha", "1").unwrap(), None);
    assert_eq!(
        names(&s.list_versions("alpha").unwrap(), |v| &v.version),
        ["2"]
    );
    // The function itself is untouched.
    assert_eq!(s.get_function("alpha").unwrap(), Some(f));
}

pub fn aliases_put_replace_list_delete<S: Store>(s: &S) {
    s.create_function(&function("alpha")).unwrap();
    s.create_function(&function("beta")).unwrap();
    s.put_alias("alpha", &alias("prod", "1")).unwrap();
    s.put_alias("alpha", &alias("dev", "$LATEST")).unwrap();
    s.put_alias("alpha", &alias("live", "2")).unwrap();
    s.put_alias("beta", &alias("prod", "7")).unwrap();

    assert_eq!(
        s.get_alias("alpha", "prod").unwrap(),
        Some(alias("prod", "1"))
    );
    assert_eq!(s.get_alias("alpha", "nope").unwrap(), None);
    assert_eq!(s.get_alias("gamma", "prod").unwrap(), None);
    // Put replaces.
    s.put_alias("alpha", &alias("prod", "2")).unwrap();
    assert_eq!(
        s.get_alias("alpha", "prod").unwrap(),
        Some(alias("prod", "2"))
    );
    let listed = s.list_aliases("alpha").unwrap();
    assert_eq!(names(&listed, |a| &a.name), ["dev", "live", "prod"]);
    assert_eq!(listed[2], alias("prod", "2"));
    assert_eq!(
        s.get_alias("beta", "prod").unwrap(),
        Some(alias("prod", "7"))
    );

    assert!(s.delete_alias("alpha", "dev").unwrap());
    assert!(!s.delete_alias("alpha", "dev").unwrap());
    assert_eq!(
        names(&s.list_aliases("alpha").unwrap(), |a| &a.name),
        ["live", "prod"]
    );

    // An alias needs its function.
    let err = s.put_alias("gamma", &alias("prod", "1")).unwrap_err();
    assert!(
        matches!(&err, StoreError::NotFound(n) if n == "gamma"),
        "{err}"
    );
    assert!(s.list_aliases("gamma").unwrap().is_empty());
}

pub fn delete_function_cascades<S: Store>(s: &S) {
    let f = function("alpha");
    let other = function("beta");
    s.create_function(&f).unwrap();
    s.create_function(&other).unwrap();
    s.publish_version(&f, &version("1", "one")).unwrap();
    s.publish_version(&other, &version("1", "keep")).unwrap();
    s.put_alias("alpha", &alias("prod", "1")).unwrap();
    s.put_alias("beta", &alias("prod", "1")).unwrap();

    assert!(s.delete_function("alpha").unwrap());
    assert!(!s.delete_function("alpha").unwrap());
    assert_eq!(s.get_function("alpha").unwrap(), None);
    assert!(s.list_versions("alpha").unwrap().is_empty());
    assert!(s.list_aliases("alpha").unwrap().is_empty());

    // A new function of the same name starts clean.
    s.create_function(&f).unwrap();
    assert_eq!(s.get_version("alpha", "1").unwrap(), None);
    assert_eq!(s.get_alias("alpha", "prod").unwrap(), None);

    // The neighbour is untouched.
    assert_eq!(
        s.get_version("beta", "1").unwrap(),
        Some(version("1", "keep"))
    );
    assert_eq!(
        s.get_alias("beta", "prod").unwrap(),
        Some(alias("prod", "1"))
    );
}

pub fn layer_numbers_are_never_reused<S: Store>(s: &S) {
    let numbers: Vec<u64> = (0..3)
        .map(|i| {
            let stored = s
                .publish_layer_version(&layer("deps", &format!("v{i}")))
                .unwrap();
            assert_eq!(stored.name, "deps");
            assert_eq!(stored.description, format!("v{i}"));
            stored.version
        })
        .collect();
    assert_eq!(numbers, [1, 2, 3]);
    // Another name counts on its own.
    assert_eq!(
        s.publish_layer_version(&layer("other", "o"))
            .unwrap()
            .version,
        1
    );

    assert!(s.delete_layer_version("deps", 3).unwrap());
    assert!(!s.delete_layer_version("deps", 3).unwrap());
    assert_eq!(
        s.publish_layer_version(&layer("deps", "v3"))
            .unwrap()
            .version,
        4
    );
    for n in [1, 2, 4] {
        assert!(s.delete_layer_version("deps", n).unwrap());
    }
    assert!(s.list_layer_versions("deps").unwrap().is_empty());
    let fifth = s.publish_layer_version(&layer("deps", "v4")).unwrap();
    assert_eq!(fifth.version, 5);
    assert_eq!(s.get_layer_version("deps", 5).unwrap(), Some(fifth));
}

pub fn layer_versions_get_and_list_newest_first<S: Store>(s: &S) {
    let mut input = layer("deps", "one");
    input.version = 42; // ignored: the store numbers it
    let one = s.publish_layer_version(&input).unwrap();
    assert_eq!(one.version, 1);
    assert_eq!(one, layer("deps", "one").with_version(1));
    let two = s.publish_layer_version(&layer("deps", "two")).unwrap();
    assert_eq!(s.get_layer_version("deps", 1).unwrap(), Some(one.clone()));
    assert_eq!(s.get_layer_version("deps", 3).unwrap(), None);
    assert_eq!(s.get_layer_version("deps", u64::MAX).unwrap(), None);
    assert_eq!(s.get_layer_version("nope", 1).unwrap(), None);
    assert!(!s.delete_layer_version("deps", u64::MAX).unwrap());
    assert_eq!(s.list_layer_versions("deps").unwrap(), [two, one]);
    assert!(s.list_layer_versions("nope").unwrap().is_empty());
}

pub fn list_layers_shows_newest_per_name<S: Store>(s: &S) {
    assert!(s.list_layers().unwrap().is_empty());
    for (name, desc) in [
        ("zeta", "z1"),
        ("alpha", "a1"),
        ("zeta", "z2"),
        ("alpha", "a2"),
    ] {
        s.publish_layer_version(&layer(name, desc)).unwrap();
    }
    s.publish_layer_version(&layer("gone", "g1")).unwrap();
    assert!(s.delete_layer_version("gone", 1).unwrap());
    // Deleting the newest makes the one below it the newest.
    assert!(s.delete_layer_version("zeta", 2).unwrap());
    let listed = s.list_layers().unwrap();
    let pairs: Vec<(String, u64, String)> = listed
        .iter()
        .map(|l| (l.name.clone(), l.version, l.description.clone()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("alpha".into(), 2, "a2".into()),
            ("zeta".into(), 1, "z1".into())
        ]
    );
}

pub fn blobs_are_content_addressed_and_idempotent<S: Store>(s: &S) {
    let zip = b"PK\x03\x04 pretend zip".to_vec();
    let key = s.put_blob(&zip).unwrap();
    assert_eq!(key, blob_key(&zip));
    assert_eq!(key.len(), 64);
    assert_eq!(s.put_blob(&zip).unwrap(), key);
    assert_eq!(s.read_blob(&key).unwrap(), Some(zip));

    let empty = s.put_blob(b"").unwrap();
    assert_eq!(
        empty,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(s.read_blob(&empty).unwrap(), Some(Vec::new()));

    let other = s.put_blob(b"other").unwrap();
    assert_ne!(other, key);
    assert_eq!(s.read_blob(&other).unwrap(), Some(b"other".to_vec()));

    assert_eq!(s.read_blob(&blob_key(b"never stored")).unwrap(), None);
    assert_eq!(s.read_blob("../../etc/passwd").unwrap(), None);

    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let big_key = s.put_blob(&big).unwrap();
    assert_eq!(s.read_blob(&big_key).unwrap(), Some(big));
}

fn test_event(name: &str, body: &str) -> TestEvent {
    TestEvent {
        name: name.to_string(),
        body: body.to_string(),
        last_modified_ms: 1_700_000_000_000,
    }
}

pub fn test_events_put_replace_list_delete<S: Store>(s: &S) {
    let err = s
        .put_test_event("ghost", &test_event("e", "{}"))
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::NotFound(n) if n == "ghost"),
        "{err}"
    );
    assert!(s.list_test_events("ghost").unwrap().is_empty());

    s.create_function(&function("alpha")).unwrap();
    s.create_function(&function("beta")).unwrap();
    // The body is kept byte for byte, formatting included.
    let pretty = "{\n  \"key\": \"photo.jpg\"\n}";
    s.put_test_event("alpha", &test_event("zeta", pretty))
        .unwrap();
    s.put_test_event("alpha", &test_event("Beta", "[]"))
        .unwrap();
    s.put_test_event("beta", &test_event("zeta", "1")).unwrap();
    assert_eq!(
        names(&s.list_test_events("alpha").unwrap(), |e| &e.name),
        ["Beta", "zeta"]
    );
    assert_eq!(
        s.get_test_event("alpha", "zeta").unwrap(),
        Some(test_event("zeta", pretty))
    );
    assert_eq!(s.get_test_event("alpha", "nope").unwrap(), None);

    let mut replaced = test_event("zeta", "{\"key\": \"other\"}");
    replaced.last_modified_ms += 5;
    s.put_test_event("alpha", &replaced).unwrap();
    assert_eq!(s.get_test_event("alpha", "zeta").unwrap(), Some(replaced));
    assert_eq!(s.list_test_events("alpha").unwrap().len(), 2);
    // Same name under another function is another event.
    assert_eq!(s.get_test_event("beta", "zeta").unwrap().unwrap().body, "1");

    assert!(s.delete_test_event("alpha", "Beta").unwrap());
    assert!(!s.delete_test_event("alpha", "Beta").unwrap());
    assert_eq!(
        names(&s.list_test_events("alpha").unwrap(), |e| &e.name),
        ["zeta"]
    );
}

pub fn delete_function_removes_its_test_events<S: Store>(s: &S) {
    s.create_function(&function("alpha")).unwrap();
    s.put_test_event("alpha", &test_event("e", "{}")).unwrap();
    assert!(s.delete_function("alpha").unwrap());
    s.create_function(&function("alpha")).unwrap();
    assert!(s.list_test_events("alpha").unwrap().is_empty());
    assert_eq!(s.get_test_event("alpha", "e").unwrap(), None);
}

fn plan(name: &str, opt_in: &str) -> lamina_model::environment::MigrationPlan {
    let text = include_str!("../../../docs/examples/amazon-linux-2019.toml")
        .replace(
            "name = \"amazon-linux-2019\"",
            &format!("name = \"{name}\""),
        )
        .replace("arn:aws:lambda:::awslayer:AmazonLinux1803", opt_in);
    lamina_model::environment::parse_plan_toml(&text).unwrap()
}

pub fn plans_put_replace_list_delete<S: Store>(s: &S) {
    assert_eq!(s.get_plan("seed").unwrap(), None);
    assert!(s.list_plans().unwrap().is_empty());
    let seed = plan("seed", "arn:aws:lambda:::awslayer:AmazonLinux1803");
    s.put_plan(&seed).unwrap();
    assert_eq!(s.get_plan("seed").unwrap(), Some(seed.clone()));
    let mut changed = seed.clone();
    changed.description = "moved a week".into();
    changed.phases.t4 += time::Duration::days(7);
    s.put_plan(&changed).unwrap();
    assert_eq!(s.get_plan("seed").unwrap(), Some(changed.clone()));
    let other = plan("another", "arn:aws:lambda:::awslayer:Other");
    s.put_plan(&other).unwrap();
    let names: Vec<String> = s
        .list_plans()
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["another", "seed"]);
    assert!(s.delete_plan("seed").unwrap());
    assert!(!s.delete_plan("seed").unwrap());
    assert_eq!(s.get_plan("seed").unwrap(), None);
    assert_eq!(s.list_plans().unwrap(), vec![other]);
}

fn invoke_config(qualifier: &str, retries: Option<u32>) -> EventInvokeConfig {
    EventInvokeConfig {
        qualifier: qualifier.to_string(),
        maximum_retry_attempts: retries,
        maximum_event_age_in_seconds: Some(600),
        on_success: None,
        on_failure: Some("arn:aws:sqs:us-east-1:000000000000:dlq".into()),
        last_modified_ms: 1_764_000_000_123,
    }
}

pub fn event_invoke_configs_put_replace_list_delete<S: Store>(s: &S) {
    let err = s
        .put_event_invoke_config("ghost", &invoke_config("$LATEST", None))
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::NotFound(n) if n == "ghost"),
        "{err}"
    );
    s.create_function(&function("alpha")).unwrap();
    let latest = invoke_config("$LATEST", Some(1));
    let live = invoke_config("live", None);
    s.put_event_invoke_config("alpha", &live).unwrap();
    s.put_event_invoke_config("alpha", &latest).unwrap();
    assert_eq!(
        s.get_event_invoke_config("alpha", "$LATEST").unwrap(),
        Some(latest.clone())
    );
    assert_eq!(
        s.list_event_invoke_configs("alpha").unwrap(),
        vec![latest, live.clone()]
    );
    let replaced = invoke_config("$LATEST", Some(0));
    s.put_event_invoke_config("alpha", &replaced).unwrap();
    assert_eq!(
        s.get_event_invoke_config("alpha", "$LATEST").unwrap(),
        Some(replaced)
    );
    assert!(s.delete_event_invoke_config("alpha", "$LATEST").unwrap());
    assert!(!s.delete_event_invoke_config("alpha", "$LATEST").unwrap());
    assert_eq!(s.get_event_invoke_config("alpha", "$LATEST").unwrap(), None);
    assert_eq!(s.list_event_invoke_configs("alpha").unwrap(), vec![live]);
    assert!(s.list_event_invoke_configs("ghost").unwrap().is_empty());
}

fn queued(function: &str, version: &str, payload: &[u8]) -> QueuedEvent {
    QueuedEvent::new(
        function,
        version,
        None,
        format!("req-{function}-{}", payload.len()),
        payload.to_vec(),
        1_764_000_000_000,
    )
}

fn stored_ids(written: &[EventWritten]) -> Vec<u64> {
    written
        .iter()
        .filter_map(|w| match w {
            EventWritten::Stored(id) => Some(*id),
            _ => None,
        })
        .collect()
}

pub fn event_queue_batches_updates_and_removes<S: Store>(s: &S) {
    s.create_function(&function("alpha")).unwrap();
    s.create_function(&function("beta")).unwrap();
    let written = s
        .write_events(&[
            EventWrite::Enqueue(queued("alpha", "$LATEST", b"{\"n\":1}")),
            EventWrite::Enqueue(queued("ghost", "$LATEST", b"{}")),
            EventWrite::Enqueue(queued("beta", "$LATEST", b"")),
            EventWrite::Enqueue(queued("alpha", "$LATEST", &[0, 255, 7])),
        ])
        .unwrap();
    assert_eq!(written[1], EventWritten::Missing);
    let ids = stored_ids(&written);
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    let first = s.get_event(ids[0]).unwrap().unwrap();
    let mut expected = queued("alpha", "$LATEST", b"{\"n\":1}");
    expected.id = ids[0];
    assert_eq!(first, expected);
    assert_eq!(
        s.get_event(ids[2]).unwrap().unwrap().payload,
        vec![0, 255, 7]
    );

    // An update changes the state and keeps the payload; a removal takes the event away.
    let mut failed = first.clone();
    failed.payload = Vec::new();
    failed.attempts = 3;
    failed.status = EventStatus::Failed;
    failed.failure = Some(EventFailure {
        condition: Condition::RetriesExhausted,
        record: "{}".into(),
        reason: "Unhandled".into(),
        failed_ms: 5,
    });
    let written = s
        .write_events(&[
            EventWrite::Update(failed.clone()),
            EventWrite::Remove(ids[1]),
            EventWrite::Remove(ids[1]),
            EventWrite::Update(queued("alpha", "$LATEST", b"")),
        ])
        .unwrap();
    assert_eq!(
        written,
        vec![
            EventWritten::Done,
            EventWritten::Done,
            EventWritten::Missing,
            EventWritten::Missing
        ]
    );
    let got = s.get_event(ids[0]).unwrap().unwrap();
    assert_eq!(got.status, EventStatus::Failed);
    assert_eq!(got.failure, failed.failure);
    assert_eq!(got.payload, b"{\"n\":1}");
    assert_eq!(s.get_event(ids[1]).unwrap(), None);

    let list = |filter: EventFilter| -> Vec<u64> {
        s.list_events(&filter)
            .unwrap()
            .iter()
            .map(|e| e.id)
            .collect()
    };
    let all = EventFilter {
        limit: 100,
        ..Default::default()
    };
    assert_eq!(list(all.clone()), vec![ids[0], ids[2]]);
    assert_eq!(
        list(EventFilter {
            status: Some(EventStatus::Queued),
            ..all.clone()
        }),
        vec![ids[2]]
    );
    assert_eq!(
        list(EventFilter {
            function: Some("beta".into()),
            ..all.clone()
        }),
        Vec::<u64>::new()
    );
    assert_eq!(
        list(EventFilter {
            after_id: ids[0],
            limit: 1,
            ..all.clone()
        }),
        vec![ids[2]]
    );
    assert!(s.write_events(&[]).unwrap().is_empty());
}

pub fn deleting_a_function_or_version_deletes_its_configs_and_events<S: Store>(s: &S) {
    let f = function("alpha");
    s.create_function(&f).unwrap();
    let mut bumped = f.clone();
    bumped.next_version = 2;
    s.publish_version(&bumped, &version("1", "one")).unwrap();
    s.put_alias("alpha", &alias("live", "1")).unwrap();
    for q in ["$LATEST", "1", "live"] {
        s.put_event_invoke_config("alpha", &invoke_config(q, None))
            .unwrap();
    }
    let written = s
        .write_events(&[
            EventWrite::Enqueue(queued("alpha", "$LATEST", b"a")),
            EventWrite::Enqueue(queued("alpha", "1", b"b")),
        ])
        .unwrap();
    let ids = stored_ids(&written);
    assert!(s.delete_version("alpha", "1").unwrap());
    assert_eq!(s.get_event_invoke_config("alpha", "1").unwrap(), None);
    assert_eq!(s.get_event(ids[1]).unwrap(), None);
    assert!(s.get_event(ids[0]).unwrap().is_some());
    assert!(s.delete_alias("alpha", "live").unwrap());
    assert_eq!(s.get_event_invoke_config("alpha", "live").unwrap(), None);
    assert!(
        s.get_event_invoke_config("alpha", "$LATEST")
            .unwrap()
            .is_some()
    );

    assert!(s.delete_function("alpha").unwrap());
    assert_eq!(s.get_event(ids[0]).unwrap(), None);
    s.create_function(&f).unwrap();
    assert!(s.list_event_invoke_configs("alpha").unwrap().is_empty());
    let left = s
        .list_events(&EventFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}

trait WithVersion {
    fn with_version(self, version: u64) -> Self;
}

impl WithVersion for lamina_model::LayerVersion {
    fn with_version(mut self, version: u64) -> Self {
        self.version = version;
        self
    }
}

/// Instantiates every check as a `#[test]` for the backend `$make` builds.
macro_rules! conformance {
    ($backend:ident, $make:path) => {
        mod $backend {
            use super::*;
            conformance!(@tests $make;
                create_get_round_trip,
                create_conflict_keeps_the_original,
                update_missing_is_not_found_and_update_replaces,
                list_functions_pages_in_byte_order,
                publish_version_stores_both_atomically,
                list_versions_is_numeric,
                get_and_delete_version,
                aliases_put_replace_list_delete,
                delete_function_cascades,
                layer_numbers_are_never_reused,
                layer_versions_get_and_list_newest_first,
                list_layers_shows_newest_per_name,
                blobs_are_content_addressed_and_idempotent,
                test_events_put_replace_list_delete,
                delete_function_removes_its_test_events,
                event_invoke_configs_put_replace_list_delete,
                event_queue_batches_updates_and_removes,
                deleting_a_function_or_version_deletes_its_configs_and_events,
            );
        }
    };
    (@tests $make:path; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                let fixture = $make();
                super::$check(&fixture.store);
            }
        )*
    };
}

conformance!(memory, common::memory);
conformance!(sqlite, common::sqlite);
