//! Migration plans: apply (create or replace), read, list, delete. A plan is checked against
//! the image catalog and every other plan before it is written; the store write comes
//! before the in-memory plan set changes, so what resolution uses is always on disk.

use lamina_model::environment::{ImageId, MigrationPlan, RuntimeVersion};
use lamina_model::{LambdaError, LambdaResult};

use super::Control;
use super::environments::client_error;

impl Control {
    /// Loads the plans from the store into memory (at start-up; later changes reload).
    pub async fn load_plans(&self) -> LambdaResult<()> {
        let plans = self.store_call(|s| s.list_plans()).await?;
        self.environments.set_plans(plans);
        Ok(())
    }

    /// Loads the plans unless they are loaded.
    pub(super) async fn ensure_plans(&self) -> LambdaResult<()> {
        if self.environments.loaded() {
            return Ok(());
        }
        self.load_plans().await
    }

    /// Creates or replaces a plan; true when it is new. Nothing changes when it is refused.
    pub async fn apply_plan(&self, plan: MigrationPlan) -> LambdaResult<(MigrationPlan, bool)> {
        let _guard = self.write_lock.lock().await;
        self.ensure_plans().await?;
        let set = self.environments.plans();
        set.check(&plan, &self.environments.catalog())
            .map_err(client_error)?;
        let created = set.plan(&plan.name).is_none();
        let stored = plan.clone();
        self.store_call(move |s| s.put_plan(&stored)).await?;
        self.load_plans().await?;
        tracing::info!(plan = %plan.name, created, "migration plan applied");
        Ok((plan, created))
    }

    /// One plan.
    pub async fn get_plan(&self, name: &str) -> LambdaResult<MigrationPlan> {
        self.ensure_plans().await?;
        self.environments
            .plans()
            .plan(name)
            .cloned()
            .ok_or_else(|| plan_not_found(name))
    }

    /// Every plan, ordered by T0.
    pub async fn list_plans(&self) -> LambdaResult<Vec<MigrationPlan>> {
        self.ensure_plans().await?;
        Ok(self.environments.plans().plans().to_vec())
    }

    /// Deletes a plan: functions it covered go back to the default image (or the previous
    /// plan of a chain); its flag layers become plain unknown-flag no-ops.
    pub async fn delete_plan(&self, name: &str) -> LambdaResult<()> {
        let _guard = self.write_lock.lock().await;
        let n = name.to_string();
        if !self.store_call(move |s| s.delete_plan(&n)).await? {
            return Err(plan_not_found(name));
        }
        self.load_plans().await?;
        tracing::info!(plan = %name, "migration plan deleted");
        Ok(())
    }
}

impl Control {
    /// Why `image` cannot be removed: the plans that name it, the functions pinned to one of
    /// its runtime versions, and the function versions that run on it now. Empty: nothing
    /// depends on it. (`lamina env remove` asks this before removing an image.)
    pub async fn image_dependents(&self, image: &ImageId) -> LambdaResult<Vec<String>> {
        self.ensure_plans().await?;
        let mut reasons: Vec<String> = self
            .environments
            .image_users(image)
            .into_iter()
            .map(|plan| format!("migration plan {plan} names it"))
            .collect();
        let region = self.account.region.clone();
        for (function, version) in self.all_versions().await? {
            let is_latest = version.version == lamina_model::LATEST;
            if let (true, Some(pin)) = (is_latest, &function.runtime_management.runtime_version_arn)
                && RuntimeVersion::parse_arn(&region, pin).is_ok_and(|v| &v.image == image)
            {
                reasons.push(format!("function {} is pinned to {pin}", function.name));
            }
            if &self.environments.resolve(&function, &version).image == image {
                reasons.push(format!(
                    "function {}:{} runs on it now",
                    function.name, version.version
                ));
            }
        }
        Ok(reasons)
    }
}

fn plan_not_found(name: &str) -> LambdaError {
    LambdaError::not_found(format!("Migration plan not found: {name}"))
}
