//! The migration report behind `lamina migrate status` and `lamina migrate simulate`: every
//! function version, the image it runs on at an instant and why, the image at each coming
//! phase, its flags and warnings, and the scanner's verdict per image; and per plan, its
//! phase and the warnings of the functions it covers (flags left after completion).

use std::collections::BTreeMap;

use lamina_model::environment::{FlagKind, ImageId, Phase, Resolution, Rule, Upcoming};
use lamina_model::{Function, FunctionVersion, LambdaResult};
use serde::Serialize;
use time::OffsetDateTime;

use super::Control;
use super::environments::NOT_SCANNED;

/// The report at one instant.
#[derive(Debug, Serialize)]
pub struct MigrationStatus {
    /// The instant reported on.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Every plan.
    pub plans: Vec<PlanStatus>,
    /// Every function version (`$LATEST` and published ones).
    pub functions: Vec<FunctionStatus>,
}

/// Where a plan stands.
#[derive(Debug, Serialize)]
pub struct PlanStatus {
    /// Its name.
    pub name: String,
    /// Image A.
    pub from_image: ImageId,
    /// Image B.
    pub to_image: ImageId,
    /// The last phase begun (`None` before T0).
    pub phase: Option<Phase>,
    /// The next phase and when it begins (`None` after T4).
    pub next_phase: Option<NextPhase>,
    /// Whether T4 has passed.
    pub completed: bool,
    /// How many function versions run on A and on B now.
    pub on_from_image: usize,
    /// See `on_from_image`.
    pub on_to_image: usize,
    /// Warnings of the function versions it covers, prefixed with `function:version`.
    pub warnings: Vec<String>,
}

/// A coming phase.
#[derive(Debug, Serialize)]
pub struct NextPhase {
    /// Which.
    pub phase: Phase,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A flag layer a function carries.
#[derive(Debug, Serialize)]
pub struct FlagStatus {
    /// The layer ARN.
    pub arn: String,
    /// Whose flag.
    pub plan: String,
    /// Which flag.
    pub kind: FlagKind,
}

/// One function version in the report.
#[derive(Debug, Serialize)]
pub struct FunctionStatus {
    /// The function.
    pub function: String,
    /// `$LATEST` or a number.
    pub version: String,
    /// Its runtime.
    pub runtime: Option<String>,
    /// M.
    #[serde(with = "time::serde::rfc3339")]
    pub last_modified: OffsetDateTime,
    /// `Auto`, `FunctionUpdate` or `Manual`.
    pub update_runtime_on: String,
    /// The image at the report's instant.
    pub image: ImageId,
    /// The runtime version ARN then.
    pub runtime_version_arn: Option<String>,
    /// The rule that decided.
    pub rule: Rule,
    /// Its number in DESIGN.md (1–7), if one of the seven.
    pub rule_number: Option<u8>,
    /// The plan whose rule decided.
    pub plan: Option<String>,
    /// Its flag layers.
    pub flags: Vec<FlagStatus>,
    /// Warnings then.
    pub warnings: Vec<String>,
    /// The image at each coming phase.
    pub upcoming: Vec<Upcoming>,
    /// Scanner verdict per image it runs on now or later (`not scanned` without a scanner).
    pub scan: BTreeMap<String, String>,
}

/// What changes between now and a simulated instant.
#[derive(Debug, Serialize)]
pub struct Simulation {
    /// The server's now.
    #[serde(with = "time::serde::rfc3339")]
    pub now: OffsetDateTime,
    /// The simulated instant.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Every function version.
    pub functions: Vec<SimulatedFunction>,
}

/// One function version, now and at the simulated instant.
#[derive(Debug, Serialize)]
pub struct SimulatedFunction {
    /// The function.
    pub function: String,
    /// `$LATEST` or a number.
    pub version: String,
    /// Its runtime.
    pub runtime: Option<String>,
    /// Its image now.
    pub image_now: ImageId,
    /// Its image at the simulated instant.
    pub image_at: ImageId,
    /// Whether they differ.
    pub changes: bool,
    /// The rule deciding at the simulated instant.
    pub rule_at: Rule,
    /// Warnings at the simulated instant.
    pub warnings_at: Vec<String>,
}

impl Control {
    /// The report at `at` (the server's clock when `None`).
    pub async fn migration_status(
        &self,
        at: Option<OffsetDateTime>,
    ) -> LambdaResult<MigrationStatus> {
        self.ensure_plans().await?;
        let at = at.unwrap_or_else(|| self.clock.now());
        let plans = self.environments.plans();
        let mut functions = Vec::new();
        for (function, version) in self.all_versions().await? {
            let r = self.environments.resolve_at(&function, &version, at);
            let facts = lamina_model::environment::FunctionFacts::of(&function, &version);
            let upcoming = plans.upcoming(&facts, at);
            let flags = version
                .spec
                .layers
                .iter()
                .filter_map(|l| {
                    plans.flag(&l.arn).map(|f| FlagStatus {
                        arn: l.arn.clone(),
                        plan: f.plan.name.clone(),
                        kind: f.kind,
                    })
                })
                .collect();
            let scan = self.scan(&function, &version, &r, &upcoming).await;
            functions.push(FunctionStatus {
                function: function.name.clone(),
                version: version.version.clone(),
                runtime: version.spec.runtime.map(String::from),
                last_modified: version.last_modified,
                update_runtime_on: function.runtime_management.update_runtime_on.clone(),
                image: r.image,
                runtime_version_arn: r.runtime_version.map(|v| v.arn),
                rule: r.rule,
                rule_number: r.rule.number(),
                plan: r.plan,
                flags,
                warnings: r.warnings,
                upcoming,
                scan,
            });
        }
        let plan_reports = plans
            .plans()
            .iter()
            .map(|p| {
                let covered = functions
                    .iter()
                    .filter(|f| f.runtime.as_deref().is_some_and(|r| p.runtimes.covers(r)));
                let mut on_from = 0;
                let mut on_to = 0;
                let mut warnings = Vec::new();
                for f in covered {
                    on_from += usize::from(f.image == p.from_image);
                    on_to += usize::from(f.image == p.to_image);
                }
                for f in &functions {
                    for w in f
                        .warnings
                        .iter()
                        .filter(|w| w.contains(&format!("plan {} ", p.name)))
                    {
                        warnings.push(format!("{}:{}: {w}", f.function, f.version));
                    }
                }
                PlanStatus {
                    name: p.name.clone(),
                    from_image: p.from_image.clone(),
                    to_image: p.to_image.clone(),
                    phase: p.phases.current(at),
                    next_phase: p
                        .phases
                        .all()
                        .into_iter()
                        .find(|(_, t)| *t > at)
                        .map(|(phase, at)| NextPhase { phase, at }),
                    completed: at >= p.phases.t4,
                    on_from_image: on_from,
                    on_to_image: on_to,
                    warnings,
                }
            })
            .collect();
        Ok(MigrationStatus {
            at,
            plans: plan_reports,
            functions,
        })
    }

    /// Every function version now and at `at`.
    pub async fn migration_simulate(&self, at: OffsetDateTime) -> LambdaResult<Simulation> {
        self.ensure_plans().await?;
        let now = self.clock.now();
        let functions = self
            .all_versions()
            .await?
            .iter()
            .map(|(function, version)| {
                let before = self.environments.resolve_at(function, version, now);
                let after = self.environments.resolve_at(function, version, at);
                SimulatedFunction {
                    function: function.name.clone(),
                    version: version.version.clone(),
                    runtime: version.spec.runtime.map(String::from),
                    changes: before.image != after.image,
                    image_now: before.image,
                    image_at: after.image,
                    rule_at: after.rule,
                    warnings_at: after.warnings,
                }
            })
            .collect();
        Ok(Simulation { now, at, functions })
    }

    /// The scanner's verdict for each image the version runs on now or will later.
    async fn scan(
        &self,
        function: &Function,
        version: &FunctionVersion,
        now: &Resolution,
        upcoming: &[Upcoming],
    ) -> BTreeMap<String, String> {
        let mut images: Vec<ImageId> = vec![now.image.clone()];
        for u in upcoming {
            if !images.contains(&u.image) {
                images.push(u.image.clone());
            }
        }
        let Some(scanner) = self.environments.scanner().cloned() else {
            return images
                .into_iter()
                .map(|i| (i.to_string(), NOT_SCANNED.to_string()))
                .collect();
        };
        let catalog = self.environments.catalog();
        let (function, version) = (function.clone(), version.clone());
        let scanned = tokio::task::spawn_blocking(move || {
            images
                .into_iter()
                .map(|i| {
                    let verdict = match catalog.get(&i) {
                        Some(manifest) => scanner.verdict(&function, &version, manifest),
                        None => format!("image {i} is not in the catalog"),
                    };
                    (i.to_string(), verdict)
                })
                .collect()
        })
        .await;
        scanned.unwrap_or_default()
    }
}
