//! Lambda@Edge on Lamina: distributions configured through CloudFront's own REST-XML API
//! (version 2020-05-31, `api.rs`), kept in the edge's SQLite file (`store.rs`), and served by
//! an HTTP proxy (`proxy/`) that runs the four triggers with CloudFront's event shape and
//! rules, a bounded cache (`cache.rs`) and origin fetches over HTTP.
//!
//! Functions are invoked through the engine's front door (`AppState::invoke`), so an edge
//! function resolves its version and its environment image (migration plans included) as
//! any invoke does. This crate does not own functions, versions or environments.

pub mod api;
pub mod associations;
pub mod cache;
pub mod config;
pub mod error;
pub mod ids;
mod operations;
pub mod proxy;
pub mod store;
pub mod xml;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use lamina_api::AppState;

use crate::config::DistributionConfig;
pub use crate::error::CfError;
use crate::store::{EdgeStore, Record, StoreError};

/// An enabled distribution as the proxy serves it.
#[derive(Debug)]
pub struct LiveDistribution {
    /// Its id.
    pub id: String,
    /// Its `d….cloudfront.net` domain name.
    pub domain: String,
    /// Its configuration.
    pub config: DistributionConfig,
}

/// The edge: CloudFront's API, the distributions the proxy serves, and the cache.
pub struct Edge {
    app: Arc<AppState>,
    store: EdgeStore,
    /// Create/Update/Delete run one at a time, so ETag checks and alias uniqueness hold.
    writes: tokio::sync::Mutex<()>,
    /// Enabled distributions by host name (domain and aliases), rebuilt after every write.
    live: RwLock<Arc<HashMap<String, Arc<LiveDistribution>>>>,
    /// Cached responses of every distribution.
    pub cache: cache::Cache,
    /// The HTTP client for origin fetches.
    client: proxy::origin::Client,
    /// The last requests the proxy answered (for the console), newest last.
    recent: Mutex<VecDeque<EdgeRequest>>,
    /// Where S3 origins' buckets live as folders (`<root>/<bucket>/<key>`), if anywhere.
    s3_root: Option<PathBuf>,
}

/// How the edge is set up.
#[derive(Debug, Clone, Default)]
pub struct EdgeOptions {
    /// Bytes of responses the cache keeps in memory.
    pub cache_bytes: usize,
    /// A folder for the cache's disk tier (objects over an eighth of `cache_bytes`), emptied
    /// at start; none keeps the cache in memory only.
    pub cache_dir: Option<PathBuf>,
    /// Bytes of responses the disk tier keeps.
    pub cache_disk_bytes: u64,
    /// A folder holding one folder per S3 bucket that S3 origins are served from.
    pub s3_root: Option<PathBuf>,
}

/// How many answered requests the edge remembers for the console.
const RECENT: usize = 200;

/// One request the proxy answered.
#[derive(Debug, Clone)]
pub struct EdgeRequest {
    /// When it arrived.
    pub at: time::OffsetDateTime,
    /// The distribution that served it.
    pub distribution_id: String,
    /// Method.
    pub method: String,
    /// Path and query as the viewer sent them.
    pub uri: String,
    /// The status the viewer got.
    pub status: u16,
    /// `X-Cache` (`Hit from cloudfront`, `LambdaValidationError from cloudfront`, …).
    pub x_cache: String,
    /// Time to the answer.
    pub millis: u64,
}

/// A stored distribution with its configuration read (`None` if it no longer parses).
pub struct DistributionView {
    /// The stored record.
    pub record: Record,
    /// Its configuration.
    pub config: Option<DistributionConfig>,
}

impl Edge {
    /// Opens the edge's store in `data_dir` and loads the distributions to serve.
    pub fn open(
        data_dir: &Path,
        app: Arc<AppState>,
        options: EdgeOptions,
    ) -> Result<Arc<Self>, StoreError> {
        Self::with_store(EdgeStore::open(data_dir)?, app, options)
    }

    /// An edge over `store` (tests use an in-memory one).
    pub fn with_store(
        store: EdgeStore,
        app: Arc<AppState>,
        options: EdgeOptions,
    ) -> Result<Arc<Self>, StoreError> {
        let edge = Self {
            app,
            store,
            writes: tokio::sync::Mutex::new(()),
            live: RwLock::new(Arc::new(HashMap::new())),
            cache: make_cache(&options),
            client: proxy::origin::client(),
            recent: Mutex::new(VecDeque::new()),
            s3_root: options.s3_root,
        };
        edge.reload()?;
        Ok(Arc::new(edge))
    }

    /// The API state (control plane and front door) the edge invokes functions through.
    pub fn app(&self) -> &Arc<AppState> {
        &self.app
    }

    /// The account id in ARNs.
    pub fn account_id(&self) -> &str {
        &self.app.control.account().account_id
    }

    /// The enabled distribution answering to `host` (its domain name or an alias).
    pub fn distribution_for_host(&self, host: &str) -> Option<Arc<LiveDistribution>> {
        let live = self
            .live
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        live.get(&host.to_ascii_lowercase()).cloned()
    }

    /// Every distribution the proxy serves now.
    pub fn live_distributions(&self) -> Vec<Arc<LiveDistribution>> {
        let live = self
            .live
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut all: Vec<_> = live.values().cloned().collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all.dedup_by(|a, b| a.id == b.id);
        all
    }

    /// Every stored distribution (enabled or not) with its configuration, for the console.
    pub fn distributions(&self) -> Result<Vec<DistributionView>, StoreError> {
        Ok(self
            .store
            .list()?
            .into_iter()
            .map(|record| DistributionView {
                config: live(&record).map(|l| l.config),
                record,
            })
            .collect())
    }

    /// The last requests `distribution_id` answered, newest first.
    pub fn recent_requests(&self, distribution_id: &str) -> Vec<EdgeRequest> {
        let recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        recent
            .iter()
            .rev()
            .filter(|r| r.distribution_id == distribution_id)
            .cloned()
            .collect()
    }

    fn remember(&self, request: EdgeRequest) {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if recent.len() == RECENT {
            recent.pop_front();
        }
        recent.push_back(request);
    }

    /// Rebuilds the host map from the store.
    fn reload(&self) -> Result<(), StoreError> {
        let mut map = HashMap::new();
        for record in self.store.list()? {
            if !record.enabled {
                continue;
            }
            let Some(live) = live(&record) else {
                continue;
            };
            let live = Arc::new(live);
            map.insert(live.domain.clone(), Arc::clone(&live));
            for alias in &live.config.aliases {
                map.insert(alias.clone(), Arc::clone(&live));
            }
        }
        *self
            .live
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(map);
        Ok(())
    }
}

fn live(record: &Record) -> Option<LiveDistribution> {
    let document = format!(
        "<DistributionConfig>{}</DistributionConfig>",
        record.config_xml
    );
    match DistributionConfig::parse(&document) {
        Ok(config) => Some(LiveDistribution {
            id: record.id.clone(),
            domain: record.domain.clone(),
            config,
        }),
        Err(e) => {
            // Only configurations that parsed are stored; one that no longer does (a newer
            // Lamina reading an older rule) is skipped rather than stopping the server.
            tracing::error!(distribution = %record.id, error = %e, "stored distribution no longer parses; not served");
            None
        }
    }
}

/// The cache `options` ask for; without a usable disk folder, memory only (and a warning).
fn make_cache(options: &EdgeOptions) -> cache::Cache {
    let Some(dir) = &options.cache_dir else {
        return cache::Cache::new(options.cache_bytes);
    };
    cache::Cache::with_disk(options.cache_bytes, dir, options.cache_disk_bytes).unwrap_or_else(
        |e| {
            tracing::warn!(dir = %dir.display(), error = %e, "edge cache: no disk tier, memory only");
            cache::Cache::new(options.cache_bytes)
        },
    )
}
