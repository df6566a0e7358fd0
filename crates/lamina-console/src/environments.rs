//! Where the console learns which environment images exist and which migration plans are in
//! force. The environments layer implements [`EnvironmentSource`] over its image catalog and
//! stored plans; until it is wired in, [`HostEnvironment`] answers with the `host` image
//! (this machine's own OS, read from `/etc/os-release`) and no plans.

use lamina_model::environment::{ImageId, ImageManifest, PlanSet, os_release};

/// Images and migration plans, read fresh for every page.
pub trait EnvironmentSource: Send + Sync + 'static {
    /// Every image the server knows, with its manifest.
    fn images(&self) -> Vec<ImageManifest>;
    /// The migration plans in force, with the default image and region.
    fn plans(&self) -> PlanSet;
}

/// Only the `host` image, no plans.
pub struct HostEnvironment {
    host: ImageManifest,
    region: String,
}

impl HostEnvironment {
    /// Reads this machine's `/etc/os-release` for the `host` image's OS identity; an
    /// unreadable file leaves it blank rather than failing the console.
    pub fn probe(region: String) -> Self {
        let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        let (os_id, os_version) = os_release(&text);
        Self {
            host: ImageManifest::minimal(ImageId::host(), os_id, os_version),
            region,
        }
    }
}

impl EnvironmentSource for HostEnvironment {
    fn images(&self) -> Vec<ImageManifest> {
        vec![self.host.clone()]
    }

    fn plans(&self) -> PlanSet {
        PlanSet::new(ImageId::host(), self.region.clone())
    }
}
