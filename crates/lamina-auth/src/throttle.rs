//! Slows down whoever keeps failing authentication. Each source address may fail a few
//! times in a window for free; after that every further refusal to it is answered only
//! after a fixed delay. The delay costs the server nothing (a sleeping task), but it caps
//! how much verification work one source can make the server do, so a burst of bad
//! requests (guessing secrets, replaying stale signatures) cannot crowd out good ones.
//! Successful requests are never delayed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures a source may have in one window before it is slowed down.
pub const FREE_FAILURES: u32 = 10;
/// The window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(10);
/// The delay of each refusal past the free ones.
pub const PENALTY: Duration = Duration::from_millis(200);
/// Sources remembered at most (older windows are dropped first when full).
const MAX_SOURCES: usize = 10_000;

/// Failure counts per source address.
#[derive(Debug, Default)]
pub struct FailureThrottle {
    sources: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl FailureThrottle {
    /// Records one failed authentication from `source` at `now`; returns how long to wait
    /// before answering it.
    pub fn failed(&self, source: IpAddr, now: Instant) -> Duration {
        let mut sources = match self.sources.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        if sources.len() >= MAX_SOURCES && !sources.contains_key(&source) {
            sources.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            if sources.len() >= MAX_SOURCES {
                // Every slot is live: treat the newcomer as already over its allowance.
                return PENALTY;
            }
        }
        let entry = sources.entry(source).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if entry.1 > FREE_FAILURES {
            PENALTY
        } else {
            Duration::ZERO
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_failures_are_free_then_each_waits_until_the_window_ends() {
        let throttle = FailureThrottle::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES {
            assert_eq!(throttle.failed(ip, t0), Duration::ZERO);
        }
        assert_eq!(throttle.failed(ip, t0), PENALTY);
        assert_eq!(throttle.failed(other, t0), Duration::ZERO);
        assert_eq!(throttle.failed(ip, t0 + WINDOW), Duration::ZERO);
    }
}
