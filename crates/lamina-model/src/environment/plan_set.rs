//! The plans in force, as one value the resolver reads: ordered by T0, with the server's
//! default image and region. Checks a plan against the others and the image catalog before
//! it is accepted: known images, flag ARNs used by one plan only, and no two plans moving
//! the same runtime unless one follows the other.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{EnvironmentError, FlagKind, ImageCatalog, ImageId, MigrationPlan};

/// A flag layer ARN, and whose flag it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Flag<'a> {
    /// The plan.
    pub plan: &'a MigrationPlan,
    /// Which flag.
    pub kind: FlagKind,
}

/// Every plan, the image a function runs on when no plan covers its runtime, and the region
/// runtime version ARNs are built with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSet {
    plans: Vec<MigrationPlan>,
    default_image: ImageId,
    region: String,
    /// Runtime → the image it runs on when no plan covers it, where that is not
    /// `default_image` (a runtime `host` does not serve runs on its own default image).
    runtime_defaults: BTreeMap<String, ImageId>,
    /// Image → the runtimes it serves, for the probed images: a plan covering every runtime
    /// moves only those its target image serves.
    served: BTreeMap<ImageId, BTreeSet<String>>,
}

impl PlanSet {
    /// No plans: every function runs on `default_image`.
    pub fn new(default_image: ImageId, region: impl Into<String>) -> Self {
        Self {
            plans: Vec::new(),
            default_image,
            region: region.into(),
            runtime_defaults: BTreeMap::new(),
            served: BTreeMap::new(),
        }
    }

    /// This set with each runtime's default image (`python3.13` → `debian-13`) and what each
    /// image of `catalog` serves; refreshed whenever the catalog changes.
    pub fn with_images(
        mut self,
        runtime_defaults: BTreeMap<String, ImageId>,
        catalog: &ImageCatalog,
    ) -> Self {
        self.runtime_defaults = runtime_defaults;
        self.served = catalog
            .iter()
            .filter(|m| !m.runtimes.is_empty())
            .map(|m| (m.id.clone(), m.runtimes.keys().cloned().collect()))
            .collect();
        self
    }

    /// The image `runtime` runs on when no plan covers it.
    pub fn default_image_for(&self, runtime: &str) -> &ImageId {
        self.runtime_defaults
            .get(runtime)
            .unwrap_or(&self.default_image)
    }

    /// This set with `plans` (as loaded from the store), ordered by T0 then name. They are
    /// not re-checked: they were checked when applied.
    pub fn with_plans(mut self, mut plans: Vec<MigrationPlan>) -> Self {
        plans.sort_by(|a, b| (a.phases.t0, &a.name).cmp(&(b.phases.t0, &b.name)));
        self.plans = plans;
        self
    }

    /// The plans, ordered by T0.
    pub fn plans(&self) -> &[MigrationPlan] {
        &self.plans
    }

    /// The plan called `name`.
    pub fn plan(&self, name: &str) -> Option<&MigrationPlan> {
        self.plans.iter().find(|p| p.name == name)
    }

    /// The image of functions no plan covers.
    pub fn default_image(&self) -> &ImageId {
        &self.default_image
    }

    /// The region of runtime version ARNs.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The plans that move `runtime`, ordered by T0: those whose runtimes include it and
    /// whose target image can serve it (a plan over every runtime leaves a runtime its
    /// target lacks where it is, rather than run it on another language version).
    pub fn covering<'a>(&'a self, runtime: &'a str) -> impl Iterator<Item = &'a MigrationPlan> {
        self.plans.iter().filter(move |p| {
            p.runtimes.covers(runtime)
                && self
                    .served
                    .get(&p.to_image)
                    .is_none_or(|s| s.contains(runtime))
        })
    }

    /// Whose flag `arn` is, if any plan's.
    pub fn flag(&self, arn: &str) -> Option<Flag<'_>> {
        self.plans
            .iter()
            .find_map(|plan| plan.flag_kind(arn).map(|kind| Flag { plan, kind }))
    }

    /// Checks `plan` as it would stand in this set, replacing a plan of the same name: valid
    /// on its own, both images in `catalog`, its flags nobody else's, and for every runtime
    /// it shares with another plan, one of the two starting where the other ends (from its
    /// image, at or after its T4).
    pub fn check(
        &self,
        plan: &MigrationPlan,
        catalog: &ImageCatalog,
    ) -> Result<(), EnvironmentError> {
        plan.validate()?;
        for image in [&plan.from_image, &plan.to_image] {
            if !catalog.contains(image) {
                return Err(EnvironmentError::UnknownImage {
                    plan: plan.name.clone(),
                    image: image.to_string(),
                });
            }
        }
        let others = self.plans.iter().filter(|p| p.name != plan.name);
        for other in others {
            for arn in [&plan.opt_in_layer_arn, &plan.delay_layer_arn] {
                if other.flag_kind(arn).is_some() {
                    return Err(EnvironmentError::FlagInUse {
                        plan: plan.name.clone(),
                        arn: arn.clone(),
                        other: other.name.clone(),
                    });
                }
            }
            let shared = crate::runtime::RUNTIMES
                .iter()
                .map(|r| r.id)
                .find(|r| plan.runtimes.covers(r) && other.runtimes.covers(r));
            if let Some(runtime) = shared
                && !follows(plan, other)
                && !follows(other, plan)
            {
                return Err(EnvironmentError::Overlap {
                    plan: plan.name.clone(),
                    other: other.name.clone(),
                    runtime: runtime.to_string(),
                });
            }
        }
        // A runtime named explicitly must be served by the target image, exactly.
        if let super::RuntimeSelector::Only(list) = &plan.runtimes {
            for runtime in list {
                let typed = crate::runtime::Runtime::parse(runtime).ok();
                let probed = catalog
                    .get(&plan.to_image)
                    .is_some_and(|m| !m.runtimes.is_empty());
                if probed && !catalog.serves(&plan.to_image, runtime) {
                    return Err(EnvironmentError::RuntimeNotServed {
                        plan: plan.name.clone(),
                        runtime: runtime.clone(),
                        language: typed
                            .and_then(|r| r.language())
                            .map_or_else(|| runtime.clone(), |l| l.to_string()),
                        image: plan.to_image.to_string(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Whether `later` starts where `earlier` ends: from its target image, at or after its T4
/// (and strictly after its T0, so ordering plans by T0 always walks the chain forwards).
fn follows(later: &MigrationPlan, earlier: &MigrationPlan) -> bool {
    later.from_image == earlier.to_image
        && later.phases.t0 >= earlier.phases.t4
        && later.phases.t0 > earlier.phases.t0
}
