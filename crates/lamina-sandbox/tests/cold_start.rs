//! Cold-start benchmark (not a pass/fail timing test): time from `Sandbox::start_prepared` to
//! the sandboxed program connecting to its Runtime API listener, with network namespaces and
//! prepared inits made beforehand as the engine's pools would, and the run directory on a
//! tmpfs as `/run/lamina` would be. Plain `Sandbox::start` (init cloned on the spot) is
//! measured too. Run it with
//! `cargo test -p lamina-sandbox --release --test cold_start -- --ignored --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

mod common;

use std::time::{Duration, Instant};

use common::Harness;
use lamina_sandbox::{NetNamespace, Network, PreparedInit, Sandbox};

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut v: Vec<Duration>) {
    v.sort();
    println!(
        "{name:<32} n={:<4} p50={:>8.2?} p99={:>8.2?} max={:>8.2?}",
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
    // The run directory on a tmpfs, as /run/lamina is on most hosts.
    let mut h = h;
    let runfs = h.base.path().join("runfs");
    std::fs::create_dir_all(&runfs).unwrap();
    nix::mount::mount(
        Some("tmpfs"),
        &runfs,
        Some("tmpfs"),
        nix::mount::MsFlags::empty(),
        Some("mode=0755"),
    )
    .unwrap();
    h.cfg.run_dir = runfs.clone();

    let mut pool = Vec::new();
    let (mut netns, mut prepare) = (vec![], vec![]);
    for i in 0..n {
        let t = Instant::now();
        let ns = NetNamespace::create(9001).unwrap();
        netns.push(t.elapsed());
        let t = Instant::now();
        let prepared =
            PreparedInit::new(&format!("pool-{}-{i}", std::process::id()), &h.cfg).unwrap();
        prepare.push(t.elapsed());
        pool.push((ns, prepared));
    }
    let (mut to_started, mut to_connected, mut destroy, mut unprepared) =
        (vec![], vec![], vec![], vec![]);
    for (i, ((ns, listener), prepared)) in pool.into_iter().enumerate() {
        let (mut spec, _logs) = h.spec_with_network("cold", "", Network::Isolated(ns));
        // The program's first act is to connect to its Runtime API, as a runtime's would.
        spec.argv = vec![
            "/bin/bash".into(),
            "-c".into(),
            "exec 3<>/dev/tcp/127.0.0.1/9001; read -r _ <&3".into(),
        ];
        let t = Instant::now();
        let mut sb = Sandbox::start_prepared(prepared, spec, &h.cfg).unwrap();
        to_started.push(t.elapsed());
        let (conn, _) = listener.accept().unwrap();
        to_connected.push(t.elapsed());
        drop(conn);
        sb.wait().await.unwrap();
        let t = Instant::now();
        sb.destroy().unwrap();
        destroy.push(t.elapsed());

        // Every fifth round, the same without a prepared init.
        if i % 5 == 0 {
            let (ns, listener) = NetNamespace::create(9001).unwrap();
            let (mut spec, _logs) = h.spec_with_network("coldu", "", Network::Isolated(ns));
            spec.argv = vec![
                "/bin/bash".into(),
                "-c".into(),
                "exec 3<>/dev/tcp/127.0.0.1/9001; read -r _ <&3".into(),
            ];
            let t = Instant::now();
            let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
            let (conn, _) = listener.accept().unwrap();
            unprepared.push(t.elapsed());
            drop(conn);
            sb.wait().await.unwrap();
            sb.destroy().unwrap();
        }
    }
    let _ = nix::mount::umount2(&runfs, nix::mount::MntFlags::MNT_DETACH);
    println!(
        "load average: {}",
        std::fs::read_to_string("/proc/loadavg").unwrap().trim()
    );
    report("netns create (pooled)", netns);
    report("PreparedInit::new (pooled)", prepare);
    report("start() returned (exec'd)", to_started);
    report("start -> runtime connected", to_connected);
    report("destroy", destroy);
    report("start (no pool) -> connected", unprepared);
}
