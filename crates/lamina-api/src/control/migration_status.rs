//! The migration report behind `lamina migrate status` and `lamina migrate simulate`: every
//! function version, the image it runs on at an instant and why, the image at each coming
//! phase, its flags and warnings, and the scanner's verdict per image; and per plan, its
//! phase and the warnings of the functions it covers (flags left after completion).
//!
//! Both name the interpreter a version runs on each image (`Python 3.11.2`, from the
//! image's manifest) and say when a move changes it, since that is what decides whether
//! compiled extension modules still load.

use std::collections::BTreeMap;

use lamina_model::environment::{
    FlagKind, ImageCatalog, ImageId, Phase, Resolution, Rule, ServedRuntime, Upcoming,
};
use lamina_model::runtime::{Family, Runtime};
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
    /// The interpreter serving its runtime on each image it runs on now or later
    /// (`Python 3.11.2 (/usr/bin/python3.11)`, or why there is none); empty for runtimes
    /// without one.
    pub interpreters: BTreeMap<String, String>,
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
    /// The interpreter serving its runtime now (none for `provided*`, or when the image
    /// has none).
    pub interpreter_now: Option<ServedRuntime>,
    /// The interpreter at the simulated instant.
    pub interpreter_at: Option<ServedRuntime>,
    /// The interpreter change a move brings, in words (`Python 3.11.2 → 3.11.9 …`).
    pub interpreter_change: Option<String>,
}

/// How `runtime` is served on `image`, for people: `Python 3.11.2 (/usr/bin/python3.11)`;
/// `None` for runtimes that need no interpreter (`provided*`).
pub fn describe_interpreter(
    catalog: &ImageCatalog,
    image: &ImageId,
    runtime: Runtime,
) -> Option<String> {
    let language = match runtime.family() {
        Family::Python => "Python",
        Family::Node => "Node.js",
        _ => return None,
    };
    Some(match catalog.served(image, runtime.id()) {
        Some(s) if !s.interpreter.is_empty() => {
            format!("{language} {} ({})", s.version, s.interpreter)
        }
        _ => format!("no interpreter for {runtime} on {image}"),
    })
}

/// The interpreter change moving `runtime` from image `from` to `to` brings, if any.
pub fn interpreter_change(
    catalog: &ImageCatalog,
    runtime: Runtime,
    from: &ImageId,
    to: &ImageId,
) -> Option<String> {
    if from == to || !matches!(runtime.family(), Family::Python | Family::Node) {
        return None;
    }
    let before = catalog.served(from, runtime.id());
    let after = catalog.served(to, runtime.id());
    if before == after {
        return None;
    }
    Some(format!(
        "{runtime}: {} on {from} → {} on {to}",
        describe_interpreter(catalog, from, runtime)?,
        describe_interpreter(catalog, to, runtime)?
    ))
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
            let catalog = self.environments.catalog();
            let interpreters = version
                .spec
                .runtime
                .map(|runtime| {
                    std::iter::once(&r.image)
                        .chain(upcoming.iter().map(|u| &u.image))
                        .filter_map(|image| {
                            Some((
                                image.to_string(),
                                describe_interpreter(&catalog, image, runtime)?,
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
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
                interpreters,
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
        let catalog = self.environments.catalog();
        let functions = self
            .all_versions()
            .await?
            .iter()
            .map(|(function, version)| {
                let before = self.environments.resolve_at(function, version, now);
                let after = self.environments.resolve_at(function, version, at);
                let runtime = version.spec.runtime;
                let served = |image: &ImageId| {
                    runtime
                        .and_then(|r| catalog.served(image, r.id()))
                        .filter(|s| !s.interpreter.is_empty())
                        .cloned()
                };
                SimulatedFunction {
                    interpreter_now: served(&before.image),
                    interpreter_at: served(&after.image),
                    interpreter_change: runtime
                        .and_then(|r| interpreter_change(&catalog, r, &before.image, &after.image)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use lamina_model::environment::ImageManifest;

    fn image(id: &str, runtimes: &[(&str, &str, &str)]) -> ImageManifest {
        let mut m = ImageManifest::minimal(ImageId::new(id).unwrap(), "debian", "12");
        for (runtime, path, version) in runtimes {
            m.runtimes.insert(
                runtime.to_string(),
                ServedRuntime {
                    interpreter: path.to_string(),
                    version: version.to_string(),
                },
            );
        }
        m
    }

    #[test]
    fn a_move_names_the_interpreter_change() {
        let mut catalog = ImageCatalog::with_host(image(
            "host",
            &[("python3.11", "/usr/bin/python3.11", "3.11.2")],
        ));
        catalog.insert(image(
            "debian-12-py",
            &[("python3.11", "/usr/bin/python3.11", "3.11.9")],
        ));
        catalog.insert(image(
            "same",
            &[("python3.11", "/usr/bin/python3.11", "3.11.2")],
        ));
        let host = ImageId::host();
        let next = ImageId::new("debian-12-py").unwrap();
        let py: Runtime = "python3.11".parse().unwrap();
        assert_eq!(
            interpreter_change(&catalog, py, &host, &next).as_deref(),
            Some(
                "python3.11: Python 3.11.2 (/usr/bin/python3.11) on host → Python 3.11.9 (/usr/bin/python3.11) on debian-12-py"
            )
        );
        // The same interpreter, the same image, or no interpreter at all: nothing to say.
        assert_eq!(
            interpreter_change(&catalog, py, &host, &ImageId::new("same").unwrap()),
            None
        );
        assert_eq!(interpreter_change(&catalog, py, &host, &host), None);
        let provided: Runtime = "provided.al2023".parse().unwrap();
        assert_eq!(interpreter_change(&catalog, provided, &host, &next), None);
        assert_eq!(describe_interpreter(&catalog, &host, provided), None);
        // An image without the runtime says so.
        let node: Runtime = "nodejs22.x".parse().unwrap();
        assert_eq!(
            describe_interpreter(&catalog, &next, node).as_deref(),
            Some("no interpreter for nodejs22.x on debian-12-py")
        );
    }
}
