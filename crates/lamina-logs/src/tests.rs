use super::*;

fn open() -> (tempfile::TempDir, Logs) {
    let dir = tempfile::tempdir().unwrap();
    let logs = Logs::open(dir.path()).unwrap();
    (dir, logs)
}

fn lines(n: usize, ts: i64) -> Vec<(i64, String)> {
    (0..n)
        .map(|i| (ts + i as i64, format!("line {i}")))
        .collect()
}

#[test]
fn events_survive_reopening_with_the_same_ids() {
    let dir = tempfile::tempdir().unwrap();
    let now = now_ms();
    let first = {
        let logs = Logs::open(dir.path()).unwrap();
        logs.append("/aws/lambda/f", "s1", lines(5, now));
        logs.settle(Duration::from_secs(5));
        let q = GetQuery {
            limit: 100,
            start_from_head: true,
            ..Default::default()
        };
        logs.get_events("/aws/lambda/f", "s1", &q).unwrap().events
    };
    assert_eq!(first.len(), 5);
    let logs = Logs::open(dir.path()).unwrap();
    let q = GetQuery {
        limit: 100,
        start_from_head: true,
        ..Default::default()
    };
    let again = logs.get_events("/aws/lambda/f", "s1", &q).unwrap().events;
    assert_eq!(first, again);
    logs.append("/aws/lambda/f", "s1", lines(1, now + 10));
    logs.settle(Duration::from_secs(5));
    let more = logs.get_events("/aws/lambda/f", "s1", &q).unwrap().events;
    assert_eq!(more.len(), 6);
    assert_eq!(&more[..5], &first[..]);
}

#[test]
fn a_torn_last_line_is_cut_when_reopened() {
    let dir = tempfile::tempdir().unwrap();
    {
        let logs = Logs::open(dir.path()).unwrap();
        logs.append("g", "s", lines(3, 1_000));
        logs.settle(Duration::from_secs(5));
    }
    let seg = fs::read_dir(dir.path().join("groups/1/2"))
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.path().extension().is_some_and(|x| x == "seg"))
        .unwrap()
        .path();
    let mut f = OpenOptions::new().append(true).open(&seg).unwrap();
    f.write_all(b"{\"t\":5,\"i\":5,\"m\":\"half").unwrap();
    drop(f);
    let logs = Logs::open(dir.path()).unwrap();
    logs.append("g", "s", lines(1, 2_000));
    logs.settle(Duration::from_secs(5));
    let q = GetQuery {
        limit: 100,
        start_from_head: true,
        ..Default::default()
    };
    let got = logs.get_events("g", "s", &q).unwrap().events;
    assert_eq!(got.len(), 4);
    assert_eq!(got[3].message, "line 0");
}

#[test]
fn get_events_pages_forward_and_backward_like_cloudwatch() {
    let (_d, logs) = open();
    logs.append("g", "s", lines(25, 1_000));
    logs.settle(Duration::from_secs(5));
    // Default: the newest events.
    let q = GetQuery {
        limit: 10,
        ..Default::default()
    };
    let p = logs.get_events("g", "s", &q).unwrap();
    assert_eq!(p.events.first().unwrap().message, "line 15");
    assert_eq!(p.events.last().unwrap().message, "line 24");
    // Backward from there.
    let q2 = GetQuery {
        limit: 10,
        token: Some(p.next_backward.clone()),
        ..Default::default()
    };
    let p2 = logs.get_events("g", "s", &q2).unwrap();
    assert_eq!(p2.events.first().unwrap().message, "line 5");
    // Forward from the head until the same token comes back.
    let mut token = None;
    let mut seen = Vec::new();
    loop {
        let q = GetQuery {
            limit: 7,
            start_from_head: true,
            token: token.clone(),
            ..Default::default()
        };
        let p = logs.get_events("g", "s", &q).unwrap();
        seen.extend(p.events.into_iter().map(|e| e.message));
        if token.as_ref() == Some(&p.next_forward) {
            break;
        }
        token = Some(p.next_forward);
    }
    assert_eq!(seen.len(), 25);
    assert!(
        logs.get_events(
            "g",
            "s",
            &GetQuery {
                limit: 1,
                token: Some("f/123".into()),
                ..Default::default()
            }
        )
        .is_err()
    );
}

#[test]
fn filter_merges_streams_by_time_and_pages_each_event_once() {
    let (_d, logs) = open();
    let a: Vec<(i64, String)> = (0..6000).map(|i| (i * 2, format!("a {i}"))).collect();
    let b: Vec<(i64, String)> = (0..6000).map(|i| (i * 2 + 1, format!("b {i}"))).collect();
    logs.append("g", "a", a);
    logs.append("g", "b", b);
    logs.settle(Duration::from_secs(10));
    let mut token = None;
    let mut ids = std::collections::HashSet::new();
    let mut last_ts = i64::MIN;
    let mut pages = 0;
    loop {
        let q = FilterQuery {
            stream_names: None,
            stream_prefix: None,
            start_time: None,
            end_time: None,
            pattern: Pattern::All,
            token: token.clone(),
            limit: 1000,
        };
        let p = logs.filter_events("g", &q).unwrap();
        pages += 1;
        for e in &p.events {
            assert!(e.timestamp >= last_ts);
            last_ts = e.timestamp;
            assert!(ids.insert(e.event_id.clone()));
        }
        match p.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(ids.len(), 12_000);
    assert!(pages >= 12);
    let q = FilterQuery {
        stream_names: Some(vec!["b".into()]),
        stream_prefix: None,
        start_time: Some(100),
        end_time: Some(120),
        pattern: Pattern::parse("?\"b 50\" ?\"b 51\"").unwrap(),
        token: None,
        limit: 100,
    };
    let p = logs.filter_events("g", &q).unwrap();
    let got: Vec<_> = p.events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(got, vec!["b 50", "b 51"]);
    assert!(p.next_token.is_none());
}

#[test]
fn retention_removes_old_day_segments_only() {
    let (_d, logs) = open();
    let now = now_ms();
    logs.append("g", "s", lines(3, now - 5 * DAY_MS));
    logs.append("g", "s", lines(2, now));
    logs.settle(Duration::from_secs(5));
    logs.set_retention("g", Some(1)).unwrap();
    let q = GetQuery {
        limit: 100,
        start_from_head: true,
        ..Default::default()
    };
    let got = logs.get_events("g", "s", &q).unwrap().events;
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|e| e.timestamp >= now));
    assert_eq!(logs.all_groups()[0].retention_days, Some(1));
}

#[test]
fn segments_roll_and_memory_holds_no_events() {
    let (_d, logs) = open();
    let big = "x".repeat(64 * 1024);
    for i in 0..200 {
        logs.append("g", "s", vec![(1_000 + i, big.clone())]);
    }
    logs.settle(Duration::from_secs(20));
    let st = logs.inner.read();
    let segs = &st.groups["g"].streams["s"].segments;
    assert!(segs.len() >= 3, "{}", segs.len());
    assert_eq!(segs.iter().map(|s| s.count).sum::<u64>(), 200);
}

#[test]
fn delete_and_create_errors() {
    let (_d, logs) = open();
    logs.create_group("g").unwrap();
    assert_eq!(logs.create_group("g"), Err(LogsError::GroupExists));
    logs.create_stream("g", "s").unwrap();
    assert_eq!(logs.create_stream("g", "s"), Err(LogsError::StreamExists));
    assert_eq!(
        logs.put_events("g", "nope", lines(1, 1)),
        Err(LogsError::StreamNotFound)
    );
    logs.put_events("g", "s", lines(2, 1)).unwrap();
    assert_eq!(logs.streams("g").unwrap()[0].last_event, Some(2));
    logs.delete_group("g").unwrap();
    assert_eq!(logs.streams("g"), Err(LogsError::GroupNotFound));
    assert_eq!(logs.delete_group("g"), Err(LogsError::GroupNotFound));
}
