//! Which image serves each runtime by default, as data: the Debian suite that ships a
//! Python version (bookworm 3.11, trixie 3.13) and an image carrying the pinned Node.js
//! majors from npm. A runtime that `host` serves exactly runs on `host`; any other runtime
//! listed here runs on its default image, which the server prepares (builds) the first time a
//! function needs it. A runtime listed nowhere, and served by no image, is refused.

use std::collections::BTreeMap;

use lamina_model::environment::{ImageCatalog, ImageId};

use crate::error::ImagesError;
use crate::recipe::{Base, Recipe};

/// An image the server can prepare on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultImage {
    /// Its id in the catalog.
    pub id: &'static str,
    /// The Debian release.
    pub base: Base,
    /// Node.js majors installed from npm.
    pub node: &'static [u32],
    /// The runtimes it is the default image of.
    pub runtimes: &'static [&'static str],
}

impl DefaultImage {
    /// Its recipe.
    pub fn recipe(&self) -> Result<Recipe, ImagesError> {
        Recipe::new(self.base.id(), &[])?.with_node(self.node)
    }

    /// Its id, typed.
    pub fn image_id(&self) -> Result<ImageId, ImagesError> {
        Ok(ImageId::new(self.id)?)
    }
}

/// The default images (see the module's documentation).
pub const DEFAULT_IMAGES: &[DefaultImage] = &[
    DefaultImage {
        id: "debian-12",
        base: Base::Debian12,
        node: &[],
        runtimes: &["python3.11"],
    },
    DefaultImage {
        id: "debian-13",
        base: Base::Debian13,
        node: &[],
        runtimes: &["python3.13"],
    },
    DefaultImage {
        id: "debian-12-nodejs",
        base: Base::Debian12,
        node: &[20, 22, 24],
        runtimes: &["nodejs20.x", "nodejs22.x", "nodejs24.x"],
    },
];

/// The default image of `runtime`, if Lamina can prepare one.
pub fn default_image(runtime: &str) -> Option<&'static DefaultImage> {
    DEFAULT_IMAGES
        .iter()
        .find(|d| d.runtimes.contains(&runtime))
}

/// The default image named `id`.
pub fn by_id(id: &ImageId) -> Option<&'static DefaultImage> {
    DEFAULT_IMAGES.iter().find(|d| d.id == id.as_str())
}

/// Runtime → the image it runs on when no plan covers it, for every runtime whose default
/// is not `host`: those with a default image that `host` does not serve exactly.
pub fn runtime_defaults(catalog: &ImageCatalog) -> BTreeMap<String, ImageId> {
    let host = ImageId::host();
    DEFAULT_IMAGES
        .iter()
        .flat_map(|d| d.runtimes.iter().map(move |r| (*r, d)))
        .filter(|(runtime, _)| !catalog.serves(&host, runtime))
        .filter_map(|(runtime, d)| Some((runtime.to_string(), d.image_id().ok()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lamina_model::environment::{ImageManifest, ServedRuntime};

    #[test]
    fn runtimes_host_serves_stay_on_host() {
        let mut host = ImageManifest::minimal(ImageId::host(), "debian", "12");
        host.runtimes.insert(
            "python3.11".into(),
            ServedRuntime {
                interpreter: "/usr/bin/python3.11".into(),
                version: "3.11.2".into(),
            },
        );
        let catalog = ImageCatalog::with_host(host);
        let defaults = runtime_defaults(&catalog);
        assert!(!defaults.contains_key("python3.11"));
        assert_eq!(defaults["python3.13"].as_str(), "debian-13");
        assert_eq!(defaults["nodejs22.x"].as_str(), "debian-12-nodejs");
        assert!(default_image("python3.12").is_none());
        for d in DEFAULT_IMAGES {
            assert!(d.recipe().is_ok(), "{}", d.id);
            assert_eq!(by_id(&d.image_id().unwrap()), Some(d));
        }
    }
}
