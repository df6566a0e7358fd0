//! The resolver: which image a function version runs on at an instant. For a plan moving the
//! function's runtime from A to B, with the version last modified at M, at time `now`
//! (DESIGN.md, the specification):
//!
//! 1. `now < T0`: A.
//! 2. `now ≥ T4`: B, whatever flags it carries (flags are now no-ops and raise a warning).
//! 3. opt-in flag and `now ≥ T0`: B.
//! 4. delay flag and `now < T3`: A.
//! 5. `now ≥ T2`: B.
//! 6. `now ≥ T1` and `M ≥ T1`: B.
//! 7. otherwise: A.
//!
//! Runtime management refines this: `Auto` follows the rules; `FunctionUpdate` skips rule 5
//! (a function moves only when it is updated, or at T4); `Manual` pins a runtime version,
//! whose image wins over every rule. A runtime no plan covers runs on the default image.
//! When several plans cover a runtime they form a chain (checked by `PlanSet::check`): the
//! earliest is applied first, and only when it yields its B does the next one apply.

use serde::Serialize;
use time::OffsetDateTime;

use super::plan::rfc3339;
use super::{FlagKind, ImageId, MigrationPlan, Phase, PlanSet, RuntimeVersion};
use crate::function::{Function, FunctionVersion, RuntimeManagement};

/// How a function follows environment updates (`UpdateRuntimeOn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateMode {
    /// Follow the plans.
    Auto,
    /// Follow the plans but skip the general update (rule 5).
    FunctionUpdate,
    /// Stay on this runtime version ARN.
    Manual(String),
}

impl UpdateMode {
    /// The mode of a stored runtime-management configuration; anything unrecognised (or
    /// `Manual` without an ARN, which the API refuses) is `Auto`.
    pub fn of(config: &RuntimeManagement) -> Self {
        match (
            config.update_runtime_on.as_str(),
            &config.runtime_version_arn,
        ) {
            ("FunctionUpdate", _) => Self::FunctionUpdate,
            ("Manual", Some(arn)) => Self::Manual(arn.clone()),
            _ => Self::Auto,
        }
    }
}

/// What the resolver needs to know of a function version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionFacts<'a> {
    /// Its runtime; `None` for container images (which run on the default image).
    pub runtime: Option<&'a str>,
    /// Its layer ARNs (flags among them).
    pub layers: Vec<&'a str>,
    /// M: when its code or configuration last changed.
    pub last_modified: OffsetDateTime,
    /// Its runtime management.
    pub mode: UpdateMode,
}

impl<'a> FunctionFacts<'a> {
    /// The facts of `version` of `function`.
    pub fn of(function: &'a Function, version: &'a FunctionVersion) -> Self {
        Self {
            runtime: version.spec.runtime.as_deref(),
            layers: version.spec.layers.iter().map(|l| l.arn.as_str()).collect(),
            last_modified: version.last_modified,
            mode: UpdateMode::of(&function.runtime_management),
        }
    }

    fn has(&self, arn: &str) -> bool {
        self.layers.contains(&arn)
    }
}

/// Which rule decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// No plan covers the runtime: the default image.
    NoPlan,
    /// Rule 1: before T0.
    BeforeTesting,
    /// Rule 2: at or after T4.
    Completed,
    /// Rule 3: the opt-in flag.
    OptIn,
    /// Rule 4: the delay flag before T3.
    Delayed,
    /// Rule 5: the general update.
    GeneralUpdate,
    /// Rule 6: created or updated at or after T1.
    NewOrUpdated,
    /// Rule 7: not moved yet.
    NotYet,
    /// `Manual` runtime management: a pinned runtime version.
    Pinned,
}

impl Rule {
    /// The rule's number in DESIGN.md, when it is one of the seven.
    pub fn number(self) -> Option<u8> {
        match self {
            Self::BeforeTesting => Some(1),
            Self::Completed => Some(2),
            Self::OptIn => Some(3),
            Self::Delayed => Some(4),
            Self::GeneralUpdate => Some(5),
            Self::NewOrUpdated => Some(6),
            Self::NotYet => Some(7),
            Self::NoPlan | Self::Pinned => None,
        }
    }
}

/// Where a function version runs, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolution {
    /// The image.
    pub image: ImageId,
    /// The runtime on that image (`None` for container images, which have no runtime).
    pub runtime_version: Option<RuntimeVersion>,
    /// The rule that decided.
    pub rule: Rule,
    /// The plan whose rule decided.
    pub plan: Option<String>,
    /// Things the operator should know (flags that do nothing, an expired delay, a pin
    /// on a retired image).
    pub warnings: Vec<String>,
}

/// What a function version will run on when a coming phase begins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upcoming {
    /// The plan whose phase it is.
    pub plan: String,
    /// The phase.
    pub phase: Phase,
    /// When it begins.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The image from then on (until the next phase).
    pub image: ImageId,
    /// The rule that decides then.
    pub rule: Rule,
}

/// Resolves where `facts` runs at `now` under `plans`. Pure: no I/O, no clock.
pub fn resolve(plans: &PlanSet, facts: &FunctionFacts<'_>, now: OffsetDateTime) -> Resolution {
    let mut warnings = flag_warnings(plans, facts, now);
    let (image, rule, plan) = match (&facts.mode, facts.runtime) {
        (UpdateMode::Manual(arn), runtime) => {
            match pinned(plans, arn, runtime, now, &mut warnings) {
                Some(image) => (image, Rule::Pinned, None),
                None => by_rules(plans, facts, false, now),
            }
        }
        (UpdateMode::FunctionUpdate, _) => by_rules(plans, facts, true, now),
        (UpdateMode::Auto, _) => by_rules(plans, facts, false, now),
    };
    let runtime_version = facts
        .runtime
        .map(|r| RuntimeVersion::new(plans.region(), r, &image));
    Resolution {
        image,
        runtime_version,
        rule,
        plan,
        warnings,
    }
}

impl PlanSet {
    /// [`resolve`] as a method.
    pub fn resolve(&self, facts: &FunctionFacts<'_>, now: OffsetDateTime) -> Resolution {
        resolve(self, facts, now)
    }

    /// The image `facts` will run on at each phase instant after `now` of the plans
    /// covering its runtime, in time order.
    pub fn upcoming(&self, facts: &FunctionFacts<'_>, now: OffsetDateTime) -> Vec<Upcoming> {
        let Some(runtime) = facts.runtime else {
            return Vec::new();
        };
        let mut out: Vec<Upcoming> = self
            .covering(runtime)
            .flat_map(|plan| {
                plan.phases
                    .all()
                    .into_iter()
                    .filter(move |(_, t)| *t > now)
                    .map(move |(phase, at)| (plan, phase, at))
            })
            .map(|(plan, phase, at)| {
                let r = resolve(self, facts, at);
                Upcoming {
                    plan: plan.name.clone(),
                    phase,
                    at,
                    image: r.image,
                    rule: r.rule,
                }
            })
            .collect();
        out.sort_by_key(|u| u.at);
        out
    }
}

/// Applies the seven rules along the chain of plans covering the runtime.
fn by_rules(
    plans: &PlanSet,
    facts: &FunctionFacts<'_>,
    skip_general_update: bool,
    now: OffsetDateTime,
) -> (ImageId, Rule, Option<String>) {
    let Some(runtime) = facts.runtime else {
        return (plans.default_image().clone(), Rule::NoPlan, None);
    };
    let default = plans.default_image_for(runtime).clone();
    let mut decided: Option<(ImageId, Rule, Option<String>)> = None;
    for plan in plans.covering(runtime) {
        if let Some((image, _, _)) = &decided {
            // A later plan applies only once the function is on its starting image, and only
            // from its T0: before that, the earlier plan's decision stands (it says why the
            // function is where it is).
            if *image != plan.from_image || now < plan.phases.t0 {
                break;
            }
        }
        let (moved, rule) = rules(plan, facts, skip_general_update, now);
        let image = if moved {
            plan.to_image.clone()
        } else {
            plan.from_image.clone()
        };
        decided = Some((image, rule, Some(plan.name.clone())));
        if !moved {
            break;
        }
    }
    decided.unwrap_or((default, Rule::NoPlan, None))
}

/// DESIGN.md's rules for one plan: (moved to B, the rule that decided).
fn rules(
    plan: &MigrationPlan,
    facts: &FunctionFacts<'_>,
    skip_general_update: bool,
    now: OffsetDateTime,
) -> (bool, Rule) {
    let p = &plan.phases;
    if now < p.t0 {
        return (false, Rule::BeforeTesting);
    }
    if now >= p.t4 {
        return (true, Rule::Completed);
    }
    if facts.has(&plan.opt_in_layer_arn) {
        return (true, Rule::OptIn);
    }
    if facts.has(&plan.delay_layer_arn) && now < p.t3 {
        return (false, Rule::Delayed);
    }
    if !skip_general_update && now >= p.t2 {
        return (true, Rule::GeneralUpdate);
    }
    if now >= p.t1 && facts.last_modified >= p.t1 {
        return (true, Rule::NewOrUpdated);
    }
    (false, Rule::NotYet)
}

/// The image a `Manual` pin names, with warnings; `None` (and a warning) when the pin is
/// not a runtime version ARN of this region, so the rules apply instead.
fn pinned(
    plans: &PlanSet,
    arn: &str,
    runtime: Option<&str>,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
) -> Option<ImageId> {
    let version = match RuntimeVersion::parse_arn(plans.region(), arn) {
        Ok(v) => v,
        Err(_) => {
            warnings.push(format!(
                "the pinned runtime version {arn} is not one this server knows; the migration plans apply instead"
            ));
            return None;
        }
    };
    if let Some(runtime) = runtime.filter(|r| *r != version.runtime) {
        warnings.push(format!(
            "the pinned runtime version {arn} is for {}, but the function's runtime is {runtime}; it runs {runtime} on image {}",
            version.runtime, version.image
        ));
    }
    if let Some(runtime) = runtime {
        for plan in plans.covering(runtime) {
            if plan.from_image == version.image && now >= plan.phases.t4 {
                warnings.push(format!(
                    "pinned to image {}, which plan {} retired at {}; move the pin to {}",
                    version.image,
                    plan.name,
                    rfc3339(plan.phases.t4),
                    plan.to_image
                ));
            }
        }
    }
    Some(version.image)
}

/// Warnings about the flag layers a function carries.
fn flag_warnings(plans: &PlanSet, facts: &FunctionFacts<'_>, now: OffsetDateTime) -> Vec<String> {
    let mut out = Vec::new();
    for arn in &facts.layers {
        let Some(flag) = plans.flag(arn) else {
            continue;
        };
        let plan = flag.plan;
        if matches!(facts.mode, UpdateMode::Manual(_)) {
            out.push(format!(
                "flag layer {arn} of plan {} does nothing: runtime management is Manual",
                plan.name
            ));
        } else if facts.runtime.is_none_or(|r| !plan.runtimes.covers(r)) {
            out.push(format!(
                "flag layer {arn} of plan {} does nothing: the plan does not move runtime {}",
                plan.name,
                facts.runtime.unwrap_or("(none)")
            ));
        } else if now >= plan.phases.t4 {
            out.push(format!(
                "flag layer {arn} of plan {} does nothing since the migration completed at {}; remove it from the function's layers",
                plan.name,
                rfc3339(plan.phases.t4)
            ));
        } else if flag.kind == FlagKind::Delay && now >= plan.phases.t3 {
            out.push(format!(
                "delay flag {arn} of plan {} expired at {}: the function moves to image {}",
                plan.name,
                rfc3339(plan.phases.t3),
                plan.to_image
            ));
        } else if flag.kind == FlagKind::Delay && facts.has(&plan.opt_in_layer_arn) {
            out.push(format!(
                "plan {} has both its opt-in and delay flags on this function; the opt-in flag wins",
                plan.name
            ));
        }
    }
    out
}
