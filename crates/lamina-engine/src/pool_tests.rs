//! The pool's rules with plain values in place of environments: throttles, drains, stale
//! images, abandoned leases and idle expiry. No root, no sandbox.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lamina_model::environment::ImageId;

use super::{PoolKey, Pools, Throttle};

fn key(version: &str, revision: &str, image: &str) -> PoolKey {
    PoolKey {
        version: version.into(),
        revision: revision.into(),
        image: ImageId::new(image).unwrap(),
    }
}

fn latest() -> PoolKey {
    key("$LATEST", "r1", "host")
}

/// Leases once, "starts" `env` when nothing is idle, and gives it back as reusable.
fn run_once(pools: &Arc<Pools<u32>>, function: &str, k: &PoolKey, env: u32) -> u32 {
    let mut lease = pools.acquire(function, k, None).unwrap();
    let used = lease.env.take().unwrap_or(env);
    assert!(lease.finish(used, true).is_none());
    used
}

#[test]
fn a_finished_environment_is_reused_by_the_next_invoke_of_the_same_key() {
    let pools = Pools::new(10);
    assert_eq!(run_once(&pools, "f", &latest(), 1), 1);
    assert_eq!(
        run_once(&pools, "f", &latest(), 2),
        1,
        "the idle one is taken"
    );
    assert_eq!(pools.counts("f"), (1, 0));
}

#[test]
fn another_version_revision_or_function_never_gets_the_environment() {
    let pools = Pools::new(10);
    run_once(&pools, "f", &latest(), 1);
    for (function, k) in [
        ("f", key("1", "r1", "host")),
        ("f", key("$LATEST", "r2", "host")),
        ("g", latest()),
    ] {
        let lease = pools.acquire(function, &k, None).unwrap();
        assert!(
            lease.env.is_none(),
            "{function} {k:?} took another's sandbox"
        );
        assert!(lease.stale.is_empty());
    }
    assert_eq!(pools.counts("f"), (1, 0), "the idle one is still there");
}

#[test]
fn reserved_concurrency_throttles_at_its_limit_and_frees_on_finish() {
    let pools: Arc<Pools<u32>> = Pools::new(10);
    let a = pools.acquire("f", &latest(), Some(2)).unwrap();
    let b = pools.acquire("f", &latest(), Some(2)).unwrap();
    assert_eq!(
        pools.acquire("f", &latest(), Some(2)).err(),
        Some(Throttle::Reserved)
    );
    // Another function is not affected by f's reservation.
    assert!(pools.acquire("g", &latest(), Some(2)).is_ok());
    a.finish(1, true);
    assert!(pools.acquire("f", &latest(), Some(2)).is_ok());
    drop(b);
}

#[test]
fn reserved_zero_throttles_every_invoke() {
    let pools: Arc<Pools<u32>> = Pools::new(10);
    assert_eq!(
        pools.acquire("f", &latest(), Some(0)).err(),
        Some(Throttle::Reserved)
    );
    assert_eq!(pools.account_in_flight(), 0, "a throttle takes nothing");
}

#[test]
fn account_concurrency_spans_functions_and_a_throttle_takes_nothing() {
    let pools: Arc<Pools<u32>> = Pools::new(2);
    let a = pools.acquire("f", &latest(), None).unwrap();
    let b = pools.acquire("g", &latest(), None).unwrap();
    assert_eq!(
        pools.acquire("h", &latest(), None).err(),
        Some(Throttle::Account)
    );
    assert_eq!(pools.account_in_flight(), 2);
    assert_eq!(
        pools.counts("h"),
        (0, 0),
        "the throttled function counts nothing"
    );
    drop(a);
    assert!(pools.acquire("h", &latest(), None).is_ok());
    drop(b);
    assert_eq!(pools.account_in_flight(), 0);
}

#[test]
fn the_reserved_check_comes_before_the_account_one() {
    // Lambda reports the function's own limit when both are full.
    let pools: Arc<Pools<u32>> = Pools::new(1);
    let _a = pools.acquire("f", &latest(), Some(1)).unwrap();
    assert_eq!(
        pools.acquire("f", &latest(), Some(1)).err(),
        Some(Throttle::Reserved)
    );
}

#[test]
fn drain_returns_idle_environments_and_a_busy_one_is_not_pooled_after_it() {
    let pools = Pools::new(10);
    run_once(&pools, "f", &latest(), 1);
    let mut busy = pools.acquire("f", &latest(), None).unwrap();
    let env = busy.env.take().unwrap();
    run_once(&pools, "f", &latest(), 2);
    assert_eq!(pools.drain("f"), vec![2], "the idle one goes at once");
    assert_eq!(
        busy.finish(env, true),
        Some(1),
        "the busy one is handed back for destruction"
    );
    assert_eq!(pools.counts("f"), (0, 0));
    // After the drain, new environments pool again.
    run_once(&pools, "f", &latest(), 3);
    assert_eq!(pools.counts("f"), (1, 0));
}

#[test]
fn an_unhealthy_environment_is_never_pooled() {
    let pools = Pools::new(10);
    let lease = pools.acquire("f", &latest(), None).unwrap();
    assert_eq!(lease.finish(7, false), Some(7));
    assert_eq!(pools.counts("f"), (0, 0));
}

#[test]
fn a_moved_image_hands_old_idle_environments_back_as_stale() {
    let pools = Pools::new(10);
    run_once(&pools, "f", &key("$LATEST", "r1", "debian-12"), 1);
    run_once(&pools, "f", &key("1", "r1", "debian-12"), 2);
    let lease = pools
        .acquire("f", &key("$LATEST", "r1", "debian-13"), None)
        .unwrap();
    assert!(lease.env.is_none(), "never reused across images");
    assert_eq!(lease.stale, vec![1]);
    drop(lease);
    // Version 1 still resolves to debian-12 and keeps its environment.
    assert_eq!(pools.counts("f"), (1, 0));
}

#[test]
fn an_abandoned_lease_gives_its_concurrency_back() {
    let pools: Arc<Pools<u32>> = Pools::new(1);
    let lease = pools.acquire("f", &latest(), Some(1)).unwrap();
    drop(lease);
    assert_eq!(pools.counts("f"), (0, 0));
    assert_eq!(pools.account_in_flight(), 0);
    assert!(pools.acquire("f", &latest(), Some(1)).is_ok());
}

#[test]
fn finish_counts_down_once() {
    let pools: Arc<Pools<u32>> = Pools::new(5);
    let _other = pools.acquire("g", &latest(), None).unwrap();
    let lease = pools.acquire("f", &latest(), None).unwrap();
    lease.finish(1, true);
    assert_eq!(pools.account_in_flight(), 1, "only the other lease is left");
}

#[test]
fn idle_environments_expire_after_the_idle_timeout() {
    let pools = Pools::new(10);
    run_once(&pools, "f", &latest(), 1);
    run_once(&pools, "g", &latest(), 2);
    let timeout = Duration::from_secs(600);
    assert!(pools.expired(timeout, Instant::now()).is_empty());
    let later = Instant::now() + timeout + Duration::from_secs(1);
    let mut gone = pools.expired(timeout, later);
    gone.sort_unstable();
    assert_eq!(gone, vec![1, 2]);
    assert_eq!(pools.counts("f"), (0, 0));
}

#[test]
fn take_all_empties_every_pool_for_shutdown() {
    let pools = Pools::new(10);
    run_once(&pools, "f", &latest(), 1);
    run_once(&pools, "g", &latest(), 2);
    let mut all = pools.take_all();
    all.sort_unstable();
    assert_eq!(all, vec![1, 2]);
    assert!(pools.take_all().is_empty());
}

#[test]
fn parallel_leases_never_exceed_the_reservation() {
    let pools: Arc<Pools<u32>> = Pools::new(1000);
    let granted = std::sync::atomic::AtomicU32::new(0);
    let leases = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..50 {
                    if let Ok(l) = pools.acquire("f", &latest(), Some(5)) {
                        granted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        leases.lock().unwrap().push(l);
                    }
                }
            });
        }
    });
    assert_eq!(granted.into_inner(), 5);
    assert_eq!(pools.counts("f").1, 5);
}
