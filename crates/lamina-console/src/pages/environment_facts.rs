//! What the console says about one function's environment: the image it resolves to now,
//! the warnings the resolver raises (stale flag layers, …) and Lamina's own (deprecated
//! runtime, failed state). Shared by the functions list, the function page and the
//! environments page so they never disagree.

use lamina_model::environment::{FunctionFacts, PlanSet, Resolution};
use lamina_model::{Function, FunctionVersion};
use time::OffsetDateTime;

/// The resolution of `version` now, with every warning worth showing.
pub fn resolve(
    plans: &PlanSet,
    function: &Function,
    version: &FunctionVersion,
    now: OffsetDateTime,
) -> (Resolution, Vec<String>) {
    let resolution = plans.resolve(&FunctionFacts::of(function, version), now);
    let mut warnings = resolution.warnings.clone();
    if let Some(runtime) = version.spec.runtime.as_deref() {
        match lamina_model::runtime::lookup(runtime) {
            Some(info) if info.deprecated => {
                warnings.push(format!("runtime {runtime} is deprecated"));
            }
            _ if !lamina_model::runtime::is_runnable(runtime) => {
                warnings.push(format!("Lamina cannot run {runtime} yet"));
            }
            _ => {}
        }
    }
    if version.state == lamina_model::function::State::Failed {
        warnings.push("the function is in the Failed state".into());
    }
    (resolution, warnings)
}
