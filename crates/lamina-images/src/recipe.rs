//! What an image is built from: a Debian base (`debian-12` → bookworm, `debian-13` → trixie),
//! the packages Lamina always installs (python3, nodejs, ca-certificates) and any extra ones.
//! The recipe's key names its entry in the build cache, so the same recipe is built once.

use std::collections::BTreeSet;

use lamina_model::environment::ImageId;
use sha2::{Digest, Sha256};

use crate::error::ImagesError;

/// Bumped whenever the build steps change what a recipe produces or what its manifest
/// records (2: interpreters probed by exact version), so caches rebuild.
pub const RECIPE_VERSION: u32 = 2;

/// Packages every image gets: the runtimes Lamina serves and the CA bundle.
pub const BASE_PACKAGES: [&str; 3] = ["python3", "nodejs", "ca-certificates"];

/// A Debian release Lamina can bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// Debian 12, bookworm.
    Debian12,
    /// Debian 13, trixie.
    Debian13,
}

impl Base {
    /// `debian-12` / `debian-13`.
    pub fn parse(text: &str) -> Result<Self, ImagesError> {
        match text {
            "debian-12" | "bookworm" => Ok(Self::Debian12),
            "debian-13" | "trixie" => Ok(Self::Debian13),
            other => Err(ImagesError::UnknownBase(other.to_string())),
        }
    }

    /// The image id of the plain base (`debian-12`).
    pub fn id(self) -> &'static str {
        match self {
            Self::Debian12 => "debian-12",
            Self::Debian13 => "debian-13",
        }
    }

    /// The Debian suite (`bookworm`).
    pub fn suite(self) -> &'static str {
        match self {
            Self::Debian12 => "bookworm",
            Self::Debian13 => "trixie",
        }
    }
}

/// A base plus extra packages and Node.js majors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipe {
    /// The Debian release.
    pub base: Base,
    /// Extra packages (`gcc`, `make`), checked against Debian's naming rules.
    pub packages: BTreeSet<String>,
    /// Node.js majors installed from npm into `/var/lang/nodejs<major>` (see [`crate::node`]).
    pub node: BTreeSet<u32>,
}

/// Debian policy: lower-case letters, digits, `+ - .`; at least two characters; starting
/// with a letter or digit. Anything else must not reach apt's command line.
fn valid_package(name: &str) -> bool {
    name.len() >= 2
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(&b))
}

impl Recipe {
    /// A recipe for `base` (`debian-12`) with `packages`.
    pub fn new(base: &str, packages: &[String]) -> Result<Self, ImagesError> {
        let base = Base::parse(base)?;
        let mut set = BTreeSet::new();
        for p in packages.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
            if !valid_package(p) {
                return Err(ImagesError::InvalidPackage(p.to_string()));
            }
            if !BASE_PACKAGES.contains(&p) {
                set.insert(p.to_string());
            }
        }
        Ok(Self {
            base,
            packages: set,
            node: BTreeSet::new(),
        })
    }

    /// This recipe with Node.js `majors` installed from npm; a major without a pinned
    /// release is refused, naming the supported ones.
    pub fn with_node(mut self, majors: &[u32]) -> Result<Self, ImagesError> {
        for &major in majors {
            if crate::node::release(major).is_none() {
                return Err(ImagesError::UnsupportedNode {
                    major,
                    supported: crate::node::supported(),
                });
            }
            self.node.insert(major);
        }
        Ok(self)
    }

    /// The same recipe without its Node.js majors: the base an image with Node is copied
    /// from when that base is in the cache already.
    pub fn without_node(&self) -> Self {
        Self {
            node: BTreeSet::new(),
            ..self.clone()
        }
    }

    /// Every package installed after the bootstrap, base packages first.
    pub fn all_packages(&self) -> Vec<String> {
        BASE_PACKAGES
            .iter()
            .map(|s| s.to_string())
            .chain(self.packages.iter().cloned())
            .collect()
    }

    /// The name an image of this recipe gets without `--name`: the base id, followed by
    /// `-with-<packages>` when there are extra ones (`debian-12-with-gcc-make`).
    pub fn default_id(&self) -> Result<ImageId, ImagesError> {
        let mut extras: Vec<String> = self
            .packages
            .iter()
            .map(|p| p.replace(['+', '.'], "-"))
            .collect();
        extras.extend(self.node.iter().map(|m| format!("nodejs{m}")));
        if extras.is_empty() {
            return Ok(ImageId::new(self.base.id())?);
        }
        let mut id = format!("{}-with-{}", self.base.id(), extras.join("-"));
        id.truncate(64);
        Ok(ImageId::new(id.trim_end_matches('-'))?)
    }

    /// The cache key: the base id and a hash of the recipe version, suite and packages.
    /// The mirror is not part of it: every Debian mirror serves the same packages.
    pub fn cache_key(&self) -> String {
        let mut h = Sha256::new();
        h.update(format!("lamina-image-recipe v{RECIPE_VERSION}\n"));
        h.update(format!("suite {}\nvariant minbase\n", self.base.suite()));
        for p in self.all_packages() {
            h.update(format!("package {p}\n"));
        }
        for major in &self.node {
            let version = crate::node::release(*major).unwrap_or("unpinned");
            h.update(format!("node {major} {}@{version}\n", crate::node::PACKAGE));
        }
        let hex = hex::encode(h.finalize());
        format!("{}-{}", self.base.id(), &hex[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_and_names() {
        let r = Recipe::new("debian-12", &[]).unwrap();
        assert_eq!(r.base.suite(), "bookworm");
        assert_eq!(r.default_id().unwrap().as_str(), "debian-12");
        let r = Recipe::new(
            "debian-13",
            &["make".into(), "gcc".into(), "python3".into()],
        )
        .unwrap();
        assert_eq!(r.base.suite(), "trixie");
        assert_eq!(r.default_id().unwrap().as_str(), "debian-13-with-gcc-make");
        assert_eq!(
            r.all_packages(),
            ["python3", "nodejs", "ca-certificates", "gcc", "make"]
        );
        assert!(matches!(
            Recipe::new("debian-11", &[]),
            Err(ImagesError::UnknownBase(_))
        ));
    }

    #[test]
    fn package_names_are_checked() {
        for bad in ["-o", "Gcc", "a;rm", "x", "--allow-unauthenticated"] {
            assert!(
                matches!(
                    Recipe::new("debian-12", &[bad.into()]),
                    Err(ImagesError::InvalidPackage(_))
                ),
                "{bad}"
            );
        }
        assert!(Recipe::new("debian-12", &["g++".into(), "libc6-dev".into()]).is_ok());
    }

    #[test]
    fn cache_key_depends_on_suite_and_packages_not_order() {
        let a = Recipe::new("debian-12", &["gcc".into(), "make".into()]).unwrap();
        let b = Recipe::new("debian-12", &["make".into(), "gcc".into()]).unwrap();
        let c = Recipe::new("debian-13", &["gcc".into(), "make".into()]).unwrap();
        let d = Recipe::new("debian-12", &[]).unwrap();
        assert_eq!(a.cache_key(), b.cache_key());
        assert_ne!(a.cache_key(), c.cache_key());
        assert_ne!(a.cache_key(), d.cache_key());
        assert!(a.cache_key().starts_with("debian-12-"));
        let n = d.clone().with_node(&[22, 20]).unwrap();
        assert_ne!(n.cache_key(), d.cache_key());
        assert_eq!(n.without_node(), d);
        assert_eq!(
            n.default_id().unwrap().as_str(),
            "debian-12-with-nodejs20-nodejs22"
        );
        assert!(matches!(
            d.with_node(&[21]),
            Err(ImagesError::UnsupportedNode { major: 21, .. })
        ));
    }
}
