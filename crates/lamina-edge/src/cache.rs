//! The edge cache: responses kept in memory under the behavior's cache key, for the TTL that
//! CloudFront's rules give them (the origin's `Cache-Control: s-maxage/max-age` or `Expires`,
//! clamped to the behavior's minimum and maximum TTL, its default TTL when the origin says
//! nothing; `no-store`/`no-cache`/`private` are not cached unless the minimum TTL is above 0).
//! Bounded by bytes: the oldest entries go first. Invalidation removes by path pattern.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use time::OffsetDateTime;

use crate::config::Behavior;

/// What a cached object is looked up by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The distribution.
    pub distribution: String,
    /// The request path (after viewer-request), matched by invalidations.
    pub path: String,
    /// The rest of the key: method class, query string, chosen headers and cookies.
    pub rest: String,
}

/// A response as cached.
#[derive(Debug, Clone)]
pub struct CachedResponse {
    /// Status code.
    pub status: u16,
    /// Headers (original case), in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

impl CachedResponse {
    fn size(&self) -> usize {
        self.body.len()
            + self
                .headers
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
            + 64
    }
}

struct Entry {
    response: Arc<CachedResponse>,
    stored: Instant,
    ttl: Duration,
    generation: u64,
    size: usize,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    order: VecDeque<(Key, u64)>,
    bytes: usize,
    next_generation: u64,
}

impl Inner {
    fn remove(&mut self, key: &Key) {
        if let Some(e) = self.entries.remove(key) {
            self.bytes -= e.size;
        }
    }
}

/// The cache of every distribution, bounded in bytes.
pub struct Cache {
    inner: Mutex<Inner>,
    capacity: usize,
}

/// A hit: the response and its age.
pub struct Hit {
    /// The cached response.
    pub response: Arc<CachedResponse>,
    /// Seconds since it was stored (the `Age` header).
    pub age: u64,
}

impl Cache {
    /// A cache holding at most `capacity` bytes.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves at worst a stale entry.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The fresh response under `key`, if any (an expired one is dropped).
    pub fn get(&self, key: &Key, now: Instant) -> Option<Hit> {
        let mut inner = self.lock();
        let entry = inner.entries.get(key)?;
        let age = now.saturating_duration_since(entry.stored);
        if age >= entry.ttl {
            inner.remove(key);
            return None;
        }
        Some(Hit {
            response: Arc::clone(&entry.response),
            age: age.as_secs(),
        })
    }

    /// Stores `response` under `key` for `ttl` (objects over an eighth of the cache are not
    /// kept, so one cannot empty it).
    pub fn put(&self, key: Key, response: CachedResponse, ttl: Duration, now: Instant) {
        let size = response.size();
        if ttl.is_zero() || size > self.capacity / 8 {
            return;
        }
        let mut inner = self.lock();
        inner.remove(&key);
        while inner.bytes + size > self.capacity {
            let Some((old, generation)) = inner.order.pop_front() else {
                break;
            };
            if inner
                .entries
                .get(&old)
                .is_some_and(|e| e.generation == generation)
            {
                inner.remove(&old);
            }
        }
        let generation = inner.next_generation;
        inner.next_generation += 1;
        inner.order.push_back((key.clone(), generation));
        inner.bytes += size;
        inner.entries.insert(
            key,
            Entry {
                response: Arc::new(response),
                stored: now,
                ttl,
                generation,
                size,
            },
        );
    }

    /// Removes `distribution`'s objects whose path matches one of `paths` (CloudFront's
    /// invalidation paths: exact, or a prefix ending in `*`). Returns how many went.
    pub fn invalidate(&self, distribution: &str, paths: &[String]) -> usize {
        let mut inner = self.lock();
        let doomed: Vec<Key> = inner
            .entries
            .keys()
            .filter(|k| {
                k.distribution == distribution
                    && paths.iter().any(|p| invalidation_matches(p, &k.path))
            })
            .cloned()
            .collect();
        for key in &doomed {
            inner.remove(key);
        }
        doomed.len()
    }

    /// Objects and bytes held now.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }
}

/// An invalidation path against an object's path: `*` at the end matches any rest.
pub fn invalidation_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

/// How long a response may be cached under `behavior`, by CloudFront's rules; `None` when it
/// must not be cached.
pub fn ttl(
    status: u16,
    headers: &[(String, String)],
    behavior: &Behavior,
    now: OffsetDateTime,
) -> Option<Duration> {
    // CloudFront caches these error statuses for the error-caching minimum TTL (10 s).
    const ERRORS: &[u16] = &[400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];
    const CACHEABLE: &[u16] = &[200, 203, 204, 206, 300, 301, 410];
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let clamp = |secs: u64| secs.clamp(behavior.min_ttl, behavior.max_ttl);
    let mut from_origin: Option<u64> = None;
    let mut forbidden = false;
    if let Some(cc) = header("cache-control") {
        let mut max_age = None;
        let mut s_maxage = None;
        for directive in cc.split(',') {
            let d = directive.trim().to_ascii_lowercase();
            match d.split_once('=') {
                Some(("max-age", v)) => max_age = v.trim_matches('"').parse::<u64>().ok(),
                Some(("s-maxage", v)) => s_maxage = v.trim_matches('"').parse::<u64>().ok(),
                _ if d == "no-store" || d == "no-cache" || d == "private" => forbidden = true,
                _ => {}
            }
        }
        from_origin = s_maxage.or(max_age);
    }
    if from_origin.is_none()
        && let Some(expires) = header("expires")
    {
        from_origin = Some(
            httpdate(expires)
                .map(|at| (at - now).whole_seconds().max(0).unsigned_abs())
                .unwrap_or(0),
        );
    }
    let secs = if ERRORS.contains(&status) {
        from_origin.map(clamp).unwrap_or(10)
    } else if !CACHEABLE.contains(&status) {
        return None;
    } else if forbidden {
        behavior.min_ttl
    } else {
        match from_origin {
            Some(s) => clamp(s),
            None => behavior.default_ttl,
        }
    };
    (secs > 0).then(|| Duration::from_secs(secs))
}

/// Parses an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn httpdate(raw: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(raw.trim(), &format)
        .ok()
        .map(|t| t.assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CacheKey;

    fn behavior(min: u64, default: u64, max: u64) -> Behavior {
        Behavior {
            path_pattern: None,
            target_origin_id: "o".into(),
            associations: vec![],
            min_ttl: min,
            default_ttl: default,
            max_ttl: max,
            cache_key: CacheKey::default(),
        }
    }

    fn h(k: &str, v: &str) -> Vec<(String, String)> {
        vec![(k.to_string(), v.to_string())]
    }

    #[test]
    fn ttl_follows_cloudfront_rules() {
        let now = time::macros::datetime!(2026-12-03 08:00:00 UTC);
        let b = behavior(5, 60, 600);
        let secs = |status, headers: &[(String, String)]| {
            ttl(status, headers, &b, now).map(|d| d.as_secs())
        };
        assert_eq!(secs(200, &[]), Some(60));
        assert_eq!(
            secs(200, &h("Cache-Control", "public, max-age=100")),
            Some(100)
        );
        assert_eq!(
            secs(200, &h("Cache-Control", "max-age=100, s-maxage=300")),
            Some(300)
        );
        assert_eq!(secs(200, &h("Cache-Control", "max-age=9999")), Some(600));
        assert_eq!(secs(200, &h("Cache-Control", "max-age=1")), Some(5));
        assert_eq!(secs(200, &h("Cache-Control", "no-store")), Some(5));
        assert_eq!(
            secs(200, &h("Expires", "Thu, 03 Dec 2026 08:02:00 GMT")),
            Some(120)
        );
        assert_eq!(secs(404, &[]), Some(10));
        assert_eq!(secs(302, &[]), None);
        let b0 = behavior(0, 60, 600);
        assert_eq!(ttl(200, &h("Cache-Control", "private"), &b0, now), None);
    }

    #[test]
    fn bounded_and_invalidated_by_pattern() {
        let cache = Cache::new(8 * 1000);
        let now = Instant::now();
        let key = |p: &str| Key {
            distribution: "E1".into(),
            path: p.into(),
            rest: String::new(),
        };
        let resp = |n: usize| CachedResponse {
            status: 200,
            headers: vec![],
            body: Bytes::from(vec![b'x'; n]),
        };
        let ttl = Duration::from_secs(60);
        cache.put(key("/a/1"), resp(100), ttl, now);
        cache.put(key("/a/2"), resp(100), ttl, now);
        cache.put(key("/b"), resp(100), ttl, now);
        assert_eq!(
            cache
                .get(&key("/a/1"), now + Duration::from_secs(3))
                .unwrap()
                .age,
            3
        );
        assert!(cache.get(&key("/a/1"), now + ttl).is_none(), "expired");
        assert_eq!(cache.invalidate("E1", &["/a/*".into()]), 1);
        assert!(cache.get(&key("/b"), now).is_some());
        assert_eq!(cache.invalidate("E2", &["/*".into()]), 0);
        // Too big for the cache: not kept. Many small ones: the oldest go.
        cache.put(key("/big"), resp(2000), ttl, now);
        assert!(cache.get(&key("/big"), now).is_none());
        for i in 0..100 {
            cache.put(key(&format!("/n/{i}")), resp(500), ttl, now);
        }
        assert!(cache.usage().1 <= 8000);
        assert!(cache.get(&key("/n/99"), now).is_some());
        assert!(cache.get(&key("/n/0"), now).is_none());
    }
}
