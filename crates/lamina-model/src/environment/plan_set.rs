//! The plans in force, as one value the resolver reads: ordered by T0, with the server's
//! default image and region. Checks a plan against the others and the image catalog before
//! it is accepted: known images, flag ARNs used by one plan only, and no two plans moving
//! the same runtime unless one follows the other.

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
}

impl PlanSet {
    /// No plans: every function runs on `default_image`.
    pub fn new(default_image: ImageId, region: impl Into<String>) -> Self {
        Self {
            plans: Vec::new(),
            default_image,
            region: region.into(),
        }
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

    /// The plans that move `runtime`, ordered by T0.
    pub fn covering<'a>(&'a self, runtime: &'a str) -> impl Iterator<Item = &'a MigrationPlan> {
        self.plans
            .iter()
            .filter(move |p| p.runtimes.covers(runtime))
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
