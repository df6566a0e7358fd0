//! Execution environments and their migration, as data: environment images and their
//! manifests, runtime versions (a runtime on an image, with an ARN), migration plans with
//! their five phase instants and two flag layers, and the **resolver** that decides, from a
//! function's facts and the time, which image the function runs on now.
//!
//! Everything here is pure: images are built and probed elsewhere (the `lamina env`
//! commands fill [`ImageManifest`]s), plans are stored by `lamina-store`, and the clock is
//! passed in. The resolver implements DESIGN.md's seven rules exactly; `docs/migration.md`
//! explains them with the seed's 2019 timeline.

mod error;
mod image;
mod plan;
mod plan_file;
mod plan_set;
mod resolve;
mod runtime_version;

#[cfg(test)]
mod resolve_tests;

pub use error::EnvironmentError;
pub use image::{HOST_IMAGE, ImageCatalog, ImageId, ImageManifest, ServedRuntime, os_release};
pub use plan::{
    FlagKind, MigrationPlan, Phase, Phases, RuntimeSelector, is_flag_layer_arn, parse_instant,
    rfc3339,
};
pub use plan_file::{parse_plan_toml, plan_to_toml};
pub use plan_set::{Flag, PlanSet};
pub use resolve::{FunctionFacts, Resolution, Rule, Upcoming, UpdateMode, resolve};
pub use runtime_version::RuntimeVersion;
