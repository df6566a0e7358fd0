//! CloudFront's operations on distributions and invalidations, with CloudFront's rules: ETag
//! and `If-Match`, idempotent `CallerReference`, unique aliases, delete only when disabled,
//! and Lambda@Edge's association checks before anything is stored.

use serde::Deserialize;

use crate::config::DistributionConfig;
use crate::error::CfError;
use crate::store::{InvalidationRecord, Record, StoreError};
use crate::{Edge, associations, ids, xml};

fn store_failed(e: StoreError) -> CfError {
    tracing::error!(error = %e, "edge store failed");
    CfError::internal()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InvalidationBatch {
    paths: Paths,
    caller_reference: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Paths {
    #[serde(default)]
    items: Option<PathItems>,
}

#[derive(Debug, Deserialize)]
struct PathItems {
    #[serde(rename = "Path", default)]
    path: Vec<String>,
}

impl Edge {
    fn now(&self) -> time::OffsetDateTime {
        self.app.control.clock().now()
    }

    /// Reads and checks a `DistributionConfig` document: shape, then associations.
    async fn checked_config(&self, body: &str) -> Result<(String, DistributionConfig), CfError> {
        let inner = xml::root_inner(body, "DistributionConfig")?.to_string();
        let config = DistributionConfig::parse(body)?;
        associations::check(&self.app.control, &config).await?;
        Ok((inner, config))
    }

    fn check_aliases(
        &self,
        config: &DistributionConfig,
        except: Option<&str>,
    ) -> Result<(), CfError> {
        for record in self.store.list().map_err(store_failed)? {
            if Some(record.id.as_str()) == except {
                continue;
            }
            let Some(other) = crate::live(&record) else {
                continue;
            };
            if let Some(taken) = config
                .aliases
                .iter()
                .find(|a| other.config.aliases.contains(a))
            {
                return Err(CfError::cname_exists(taken));
            }
        }
        Ok(())
    }

    /// CreateDistribution. The same `CallerReference` with the same configuration returns
    /// the distribution already made; with another configuration it is refused.
    pub async fn create_distribution(&self, body: &str) -> Result<Record, CfError> {
        let (inner, config) = self.checked_config(body).await?;
        let _write = self.writes.lock().await;
        if let Some(existing) = self
            .store
            .by_caller_reference(&config.caller_reference)
            .map_err(store_failed)?
        {
            if existing.config_xml == inner {
                return Ok(existing);
            }
            return Err(CfError::already_exists(&existing.id));
        }
        self.check_aliases(&config, None)?;
        let record = Record {
            id: ids::distribution_id(),
            etag: ids::etag(),
            domain: ids::domain_name(),
            caller_reference: config.caller_reference.clone(),
            config_xml: inner,
            enabled: config.enabled,
            last_modified: self.now(),
        };
        self.store.insert(&record).map_err(store_failed)?;
        self.reload().map_err(store_failed)?;
        tracing::info!(distribution = %record.id, domain = %record.domain, "distribution created");
        Ok(record)
    }

    /// GetDistribution / GetDistributionConfig.
    pub fn get_distribution(&self, id: &str) -> Result<Record, CfError> {
        self.store
            .get(id)
            .map_err(store_failed)?
            .ok_or_else(CfError::no_such_distribution)
    }

    /// ListDistributions.
    pub fn list_distributions(&self) -> Result<Vec<Record>, CfError> {
        self.store.list().map_err(store_failed)
    }

    fn current(&self, id: &str, if_match: Option<&str>) -> Result<Record, CfError> {
        let record = self.get_distribution(id)?;
        match if_match.map(str::trim).filter(|v| !v.is_empty()) {
            None => Err(CfError::invalid_if_match()),
            Some(tag) if tag != record.etag => Err(CfError::precondition_failed()),
            Some(_) => Ok(record),
        }
    }

    /// UpdateDistribution: `If-Match` must carry the current ETag; a new ETag results.
    pub async fn update_distribution(
        &self,
        id: &str,
        if_match: Option<&str>,
        body: &str,
    ) -> Result<Record, CfError> {
        self.current(id, if_match)?;
        let (inner, config) = self.checked_config(body).await?;
        let _write = self.writes.lock().await;
        let mut record = self.current(id, if_match)?;
        if config.caller_reference != record.caller_reference {
            return Err(CfError::illegal_update(
                "The CallerReference of a distribution cannot be changed.",
            ));
        }
        self.check_aliases(&config, Some(id))?;
        record.etag = ids::etag();
        record.config_xml = inner;
        record.enabled = config.enabled;
        record.last_modified = self.now();
        self.store.update(&record).map_err(store_failed)?;
        self.reload().map_err(store_failed)?;
        tracing::info!(distribution = %record.id, enabled = record.enabled, "distribution updated");
        Ok(record)
    }

    /// DeleteDistribution: only a disabled distribution, with its current ETag.
    pub async fn delete_distribution(
        &self,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), CfError> {
        let _write = self.writes.lock().await;
        let record = self.current(id, if_match)?;
        if record.enabled {
            return Err(CfError::not_disabled());
        }
        self.store.delete(id).map_err(store_failed)?;
        self.reload().map_err(store_failed)?;
        self.cache.invalidate(id, &["/*".to_string()]);
        tracing::info!(distribution = %id, "distribution deleted");
        Ok(())
    }

    /// CreateInvalidation: removes matching cached objects at once (status `Completed`).
    pub async fn create_invalidation(
        &self,
        distribution_id: &str,
        body: &str,
    ) -> Result<InvalidationRecord, CfError> {
        self.get_distribution(distribution_id)?;
        xml::root_inner(body, "InvalidationBatch")?;
        let batch: InvalidationBatch = quick_xml::de::from_str(body).map_err(|e| {
            CfError::malformed(format!("the InvalidationBatch document is not valid: {e}"))
        })?;
        let paths = batch.paths.items.map(|i| i.path).unwrap_or_default();
        if paths.is_empty() {
            return Err(CfError::invalid_argument(
                "The parameter Paths must contain at least one path.",
            ));
        }
        if let Some(bad) = paths.iter().find(|p| !p.starts_with('/')) {
            return Err(CfError::invalid_argument(format!(
                "Your request contains one or more invalid invalidation paths: {bad}"
            )));
        }
        let record = InvalidationRecord {
            id: ids::invalidation_id(),
            distribution_id: distribution_id.to_string(),
            caller_reference: batch.caller_reference,
            paths,
            create_time: self.now(),
        };
        self.store
            .insert_invalidation(&record)
            .map_err(store_failed)?;
        let removed = self.cache.invalidate(distribution_id, &record.paths);
        tracing::info!(distribution = %distribution_id, invalidation = %record.id, removed, "invalidation done");
        Ok(record)
    }

    /// GetInvalidation.
    pub fn get_invalidation(
        &self,
        distribution_id: &str,
        id: &str,
    ) -> Result<InvalidationRecord, CfError> {
        self.get_distribution(distribution_id)?;
        self.list_invalidations(distribution_id)?
            .into_iter()
            .find(|i| i.id == id)
            .ok_or_else(CfError::no_such_invalidation)
    }

    /// ListInvalidations.
    pub fn list_invalidations(
        &self,
        distribution_id: &str,
    ) -> Result<Vec<InvalidationRecord>, CfError> {
        self.get_distribution(distribution_id)?;
        self.store
            .invalidations(distribution_id)
            .map_err(store_failed)
    }
}
