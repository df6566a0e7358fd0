//! Cold-start benchmark (not a pass/fail timing test): time from `Sandbox::start` to the
//! sandboxed program connecting to its Runtime API listener, with network namespaces made
//! beforehand as the engine's pool would. Run it with
//! `cargo test -p lamina-sandbox --release --test cold_start -- --ignored --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

mod common;

use std::time::{Duration, Instant};

use common::Harness;
use lamina_sandbox::{NetNamespace, Network, Sandbox};

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut v: Vec<Duration>) {
    v.sort();
    println!(
        "{name:<28} n={:<4} p50={:>8.2?} p99={:>8.2?} max={:>8.2?}",
        v.len(),
        pct(&v, 0.5),
        pct(&v, 0.99),
        v[v.len() - 1]
    );
}

#[tokio::test]
#[ignore = "benchmark; run explicitly with --ignored --nocapture"]
async fn cold_start_p50_p99() {
    let Some(h) = Harness::new() else { return };
    let n: usize = std::env::var("COLD_START_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let mut pool: Vec<(NetNamespace, std::net::TcpListener)> = Vec::new();
    let mut netns = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        pool.push(NetNamespace::create(9001).unwrap());
        netns.push(t.elapsed());
    }
    let (mut to_started, mut to_connected, mut destroy) = (vec![], vec![], vec![]);
    for (ns, listener) in pool {
        let (mut spec, _logs) = h.spec_with_network("cold", "", Network::Isolated(ns));
        // The program's first act is to connect to its Runtime API, as a runtime's would.
        spec.argv = vec![
            "/bin/bash".into(),
            "-c".into(),
            "exec 3<>/dev/tcp/127.0.0.1/9001; read -r _ <&3".into(),
        ];
        let t = Instant::now();
        let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
        to_started.push(t.elapsed());
        let (conn, _) = listener.accept().unwrap();
        to_connected.push(t.elapsed());
        drop(conn);
        sb.wait().await.unwrap();
        let t = Instant::now();
        sb.destroy().unwrap();
        destroy.push(t.elapsed());
    }
    report("netns create (pooled)", netns);
    report("start() returned (exec'd)", to_started);
    report("start -> runtime connected", to_connected);
    report("destroy", destroy);
}
