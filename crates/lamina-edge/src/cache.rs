//! The edge cache: responses kept in memory under the behavior's cache key, for the TTL that
//! CloudFront's rules give them (the origin's `Cache-Control: s-maxage/max-age` or `Expires`,
//! clamped to the behavior's minimum and maximum TTL, its default TTL when the origin says
//! nothing; `no-store`/`no-cache`/`private` are not cached unless the minimum TTL is above 0).
//! Bounded by bytes: the oldest entries go first. Invalidation removes by path pattern.
//!
//! Two tiers, each bounded in bytes: objects up to an eighth of the memory budget are kept in
//! memory; larger ones (up to an eighth of the disk budget) in files under the disk tier's
//! folder, which is emptied when the cache is made (a restart starts cold, as a new edge
//! location would). A hit from either tier is the same to the proxy.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
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

/// The cache of every distribution, bounded in bytes in memory and, with a disk tier, on disk.
pub struct Cache {
    inner: Mutex<Inner>,
    capacity: usize,
    disk: Option<DiskTier>,
}

/// Large objects, one file each, bounded in bytes.
struct DiskTier {
    dir: PathBuf,
    capacity: u64,
    inner: Mutex<DiskInner>,
}

#[derive(Default)]
struct DiskInner {
    entries: HashMap<Key, DiskEntry>,
    order: VecDeque<(Key, u64)>,
    bytes: u64,
    next_generation: u64,
}

struct DiskEntry {
    file: PathBuf,
    stored: Instant,
    ttl: Duration,
    generation: u64,
    size: u64,
}

impl DiskInner {
    fn remove(&mut self, key: &Key) {
        if let Some(e) = self.entries.remove(key) {
            self.bytes -= e.size;
            let _ = std::fs::remove_file(&e.file);
        }
    }
}

/// What a cached file starts with: one JSON line, then the body.
#[derive(serde::Serialize, serde::Deserialize)]
struct FileHead {
    status: u16,
    headers: Vec<(String, String)>,
}

impl DiskTier {
    fn lock(&self) -> std::sync::MutexGuard<'_, DiskInner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, key: &Key, now: Instant) -> Option<Hit> {
        let (file, age) = {
            let mut inner = self.lock();
            let entry = inner.entries.get(key)?;
            let age = now.saturating_duration_since(entry.stored);
            if age >= entry.ttl {
                inner.remove(key);
                return None;
            }
            (entry.file.clone(), age)
        };
        match read_object(&file) {
            Ok(response) => Some(Hit {
                response: Arc::new(response),
                age: age.as_secs(),
            }),
            Err(e) => {
                // Gone or damaged (someone cleaned the folder): a miss, and forget it.
                tracing::warn!(file = %file.display(), error = %e, "edge cache file unreadable");
                self.lock().remove(key);
                None
            }
        }
    }

    fn put(&self, key: Key, response: &CachedResponse, ttl: Duration, now: Instant) {
        let generation = {
            let mut inner = self.lock();
            inner.next_generation += 1;
            inner.next_generation
        };
        let file = self.dir.join(format!("{generation:016x}.obj"));
        let size = match write_object(&self.dir, &file, response) {
            Ok(size) => size,
            Err(e) => {
                tracing::warn!(dir = %self.dir.display(), error = %e, "edge cache could not write an object");
                return;
            }
        };
        let mut inner = self.lock();
        inner.remove(&key);
        while inner.bytes + size > self.capacity {
            let Some((old, old_generation)) = inner.order.pop_front() else {
                break;
            };
            if inner
                .entries
                .get(&old)
                .is_some_and(|e| e.generation == old_generation)
            {
                inner.remove(&old);
            }
        }
        inner.order.push_back((key.clone(), generation));
        inner.bytes += size;
        inner.entries.insert(
            key,
            DiskEntry {
                file,
                stored: now,
                ttl,
                generation,
                size,
            },
        );
    }
}

fn write_object(dir: &Path, file: &Path, response: &CachedResponse) -> io::Result<u64> {
    let head = FileHead {
        status: response.status,
        headers: response.headers.clone(),
    };
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer(&mut temp, &head)?;
    temp.write_all(b"\n")?;
    temp.write_all(&response.body)?;
    let size = temp.as_file().metadata()?.len();
    temp.persist(file).map_err(|e| e.error)?;
    Ok(size)
}

fn read_object(file: &Path) -> io::Result<CachedResponse> {
    let bytes = std::fs::read(file)?;
    let split = bytes
        .iter()
        .position(|b| *b == b'\n')
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no header line"))?;
    let head: FileHead = serde_json::from_slice(&bytes[..split])?;
    Ok(CachedResponse {
        status: head.status,
        headers: head.headers,
        body: Bytes::from(bytes).slice(split + 1..),
    })
}

/// A hit: the response and its age.
pub struct Hit {
    /// The cached response.
    pub response: Arc<CachedResponse>,
    /// Seconds since it was stored (the `Age` header).
    pub age: u64,
}

impl Cache {
    /// A cache holding at most `capacity` bytes, in memory only.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            capacity,
            disk: None,
        }
    }

    /// A cache with `capacity` bytes in memory and `disk_capacity` bytes of larger objects in
    /// files under `dir`, which is emptied first.
    pub fn with_disk(capacity: usize, dir: &Path, disk_capacity: u64) -> io::Result<Self> {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            disk: Some(DiskTier {
                dir: dir.to_path_buf(),
                capacity: disk_capacity,
                inner: Mutex::new(DiskInner::default()),
            }),
            ..Self::new(capacity)
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves at worst a stale entry.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The fresh response under `key`, if any (an expired one is dropped).
    pub fn get(&self, key: &Key, now: Instant) -> Option<Hit> {
        if let Some(hit) = self.get_memory(key, now) {
            return Some(hit);
        }
        self.disk.as_ref()?.get(key, now)
    }

    fn get_memory(&self, key: &Key, now: Instant) -> Option<Hit> {
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

    /// Stores `response` under `key` for `ttl`: in memory when it is at most an eighth of the
    /// memory budget, else on disk when it is at most an eighth of the disk budget, else not
    /// at all (so one object cannot empty a tier).
    pub fn put(&self, key: Key, response: CachedResponse, ttl: Duration, now: Instant) {
        let size = response.size();
        if ttl.is_zero() {
            return;
        }
        if size > self.capacity / 8 {
            self.lock().remove(&key);
            if let Some(disk) = &self.disk
                && (size as u64) <= disk.capacity / 8
            {
                disk.put(key, &response, ttl, now);
            } else if let Some(disk) = &self.disk {
                disk.lock().remove(&key);
            }
            return;
        }
        if let Some(disk) = &self.disk {
            disk.lock().remove(&key);
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
        let mut count = doomed.len();
        drop(inner);
        if let Some(disk) = &self.disk {
            let mut inner = disk.lock();
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
            count += doomed.len();
        }
        count
    }

    /// Objects and bytes held in memory now.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }

    /// Objects and bytes held on disk now (zero without a disk tier).
    pub fn disk_usage(&self) -> (usize, u64) {
        self.disk.as_ref().map_or((0, 0), |d| {
            let inner = d.lock();
            (inner.entries.len(), inner.bytes)
        })
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

    #[test]
    fn large_objects_live_on_disk_bounded_and_invalidated() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("edge-cache");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("stale.obj"), b"from a previous run").unwrap();
        let cache = Cache::with_disk(8 * 1000, &folder, 8 * 100_000).unwrap();
        let files = || std::fs::read_dir(&folder).unwrap().count();
        assert_eq!(files(), 0, "a new cache starts cold");
        let now = Instant::now();
        let ttl = Duration::from_secs(60);
        let key = |p: &str| Key {
            distribution: "E1".into(),
            path: p.into(),
            rest: String::new(),
        };
        let body: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        let big = CachedResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "application/octet-stream".into())],
            body: Bytes::from(body.clone()),
        };
        cache.put(key("/big/1"), big.clone(), ttl, now);
        assert_eq!(cache.usage().0, 0, "too big for memory");
        assert_eq!(cache.disk_usage().0, 1);
        assert_eq!(files(), 1);
        let hit = cache
            .get(&key("/big/1"), now + Duration::from_secs(5))
            .unwrap();
        assert_eq!(hit.age, 5);
        assert_eq!(hit.response.status, 200);
        assert_eq!(hit.response.headers, big.headers);
        assert_eq!(&hit.response.body[..], &body[..]);
        // Expired on disk: a miss, and the file goes.
        assert!(cache.get(&key("/big/1"), now + ttl).is_none());
        assert_eq!(files(), 0);
        // Bounded: twenty 50 KB objects in 800 KB keep the newest ones only.
        for i in 0..20 {
            cache.put(key(&format!("/big/{i}")), big.clone(), ttl, now);
        }
        assert!(cache.disk_usage().1 <= 800_000, "{:?}", cache.disk_usage());
        assert_eq!(files(), cache.disk_usage().0);
        assert!(cache.get(&key("/big/19"), now).is_some());
        assert!(cache.get(&key("/big/0"), now).is_none());
        // Over an eighth of the disk budget: not kept anywhere.
        let huge = CachedResponse {
            body: Bytes::from(vec![0u8; 200_000]),
            ..big.clone()
        };
        cache.put(key("/huge"), huge, ttl, now);
        assert!(cache.get(&key("/huge"), now).is_none());
        // Invalidation reaches the disk tier and its files.
        let before = cache.disk_usage().0;
        assert_eq!(cache.invalidate("E1", &["/big/*".into()]), before);
        assert_eq!((cache.disk_usage().0, files()), (0, 0));
        // A key that shrinks moves to memory and leaves no file behind.
        cache.put(key("/moves"), big.clone(), ttl, now);
        let small = CachedResponse {
            body: Bytes::from_static(b"small"),
            ..big
        };
        cache.put(key("/moves"), small, ttl, now);
        assert_eq!(files(), 0);
        assert_eq!(
            &cache.get(&key("/moves"), now).unwrap().response.body[..],
            b"small"
        );
    }
}
