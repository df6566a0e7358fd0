//! Environment images as data: an image's id, the manifest probed from its files, and the
//! catalog of images a server knows. The images themselves (root file systems, building,
//! probing) belong to the `lamina env` side; this module only holds what they report.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::EnvironmentError;

/// The id of the image every server has: this machine's own read-only `/usr`, `/lib`, `/bin`
/// and a filtered `/etc`.
pub const HOST_IMAGE: &str = "host";

/// An image's id: its name and version in one token, `debian-12`, `debian-13`, `host`.
/// 1–64 of `[a-z0-9-]`, starting with a letter or digit. No dots, so the runtime version
/// `python3.12.debian-12` splits unambiguously at its last dot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ImageId(String);

impl ImageId {
    /// Validates and wraps an id.
    pub fn new(id: impl Into<String>) -> Result<Self, EnvironmentError> {
        let id = id.into();
        let ok = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !id.starts_with('-');
        if ok {
            Ok(Self(id))
        } else {
            Err(EnvironmentError::InvalidImageId(id))
        }
    }

    /// The `host` image's id.
    pub fn host() -> Self {
        Self(HOST_IMAGE.to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id read as `<name>-<version>` at its last dash (`debian-12` → `debian`, `12`);
    /// an id without a dash (`host`) has no version.
    pub fn name_and_version(&self) -> (&str, Option<&str>) {
        match self.0.rsplit_once('-') {
            Some((name, version)) if !name.is_empty() && !version.is_empty() => {
                (name, Some(version))
            }
            _ => (&self.0, None),
        }
    }
}

impl TryFrom<String> for ImageId {
    type Error = EnvironmentError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<ImageId> for String {
    fn from(id: ImageId) -> Self {
        id.0
    }
}

impl fmt::Display for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A runtime an image can serve, with the exact interpreter it would use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServedRuntime {
    /// The interpreter's path inside the image (`/usr/bin/python3`); empty for `provided*`.
    pub interpreter: String,
    /// Its exact version (`3.11.2`); empty when not applicable.
    pub version: String,
}

/// What an image holds, probed from its files by the image builder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageManifest {
    /// The image.
    pub id: ImageId,
    /// `ID` of `/etc/os-release` (`debian`).
    pub os_id: String,
    /// `VERSION_ID` of `/etc/os-release` (`12`).
    pub os_version: String,
    /// The C library's version (`2.36`), when probed.
    #[serde(default)]
    pub glibc_version: Option<String>,
    /// Every shared library's soname → the symbol versions it defines
    /// (`libc.so.6` → `GLIBC_2.2.5`, …, `GLIBC_2.36`).
    #[serde(default)]
    pub libraries: BTreeMap<String, BTreeSet<String>>,
    /// Runtime identifier (`python3.11`) → how the image serves it. Empty until probed; an
    /// empty map means "not probed", not "serves nothing" (see [`ImageCatalog::serves`]).
    #[serde(default)]
    pub runtimes: BTreeMap<String, ServedRuntime>,
    /// Content digest of the root file system (`sha256:<hex>`); empty until probed.
    #[serde(default)]
    pub digest: String,
}

impl ImageManifest {
    /// A manifest that knows only the OS identity (what the `host` image has until the image
    /// prober fills the rest).
    pub fn minimal(id: ImageId, os_id: impl Into<String>, os_version: impl Into<String>) -> Self {
        Self {
            id,
            os_id: os_id.into(),
            os_version: os_version.into(),
            glibc_version: None,
            libraries: BTreeMap::new(),
            runtimes: BTreeMap::new(),
            digest: String::new(),
        }
    }
}

/// Parses the text of an `/etc/os-release` file into (`ID`, `VERSION_ID`), unquoting values;
/// missing keys give empty strings (Debian testing has no `VERSION_ID`).
pub fn os_release(text: &str) -> (String, String) {
    let mut id = String::new();
    let mut version = String::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value
            .trim()
            .trim_matches('"')
            .trim_matches('\'')
            .to_string();
        match key.trim() {
            "ID" => id = value,
            "VERSION_ID" => version = value,
            _ => {}
        }
    }
    (id, version)
}

/// The images a server knows, by id. The `lamina env` side adds and removes images; the
/// control plane checks plans and pins against it; the engine maps ids to root file systems.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageCatalog {
    images: BTreeMap<ImageId, ImageManifest>,
}

impl ImageCatalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// A catalog holding only `host`, described by `manifest` (whose id must be `host`).
    pub fn with_host(manifest: ImageManifest) -> Self {
        let mut c = Self::new();
        c.insert(ImageManifest {
            id: ImageId::host(),
            ..manifest
        });
        c
    }

    /// Adds or replaces an image.
    pub fn insert(&mut self, manifest: ImageManifest) {
        self.images.insert(manifest.id.clone(), manifest);
    }

    /// Removes an image; the manifest it had. Whether anything still depends on it is the
    /// caller's question (plans, pins).
    pub fn remove(&mut self, id: &ImageId) -> Option<ImageManifest> {
        self.images.remove(id)
    }

    /// The manifest of `id`.
    pub fn get(&self, id: &ImageId) -> Option<&ImageManifest> {
        self.images.get(id)
    }

    /// Whether the catalog has `id`.
    pub fn contains(&self, id: &ImageId) -> bool {
        self.images.contains_key(id)
    }

    /// Every image, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &ImageManifest> {
        self.images.values()
    }

    /// How `image` serves `runtime`: the interpreter's absolute path and exact version, as
    /// probed. `None` when the image is unknown, unprobed or does not serve it.
    pub fn served(&self, image: &ImageId, runtime: &str) -> Option<&ServedRuntime> {
        self.images.get(image)?.runtimes.get(runtime)
    }

    /// Every runtime some image serves → the images serving it with their interpreter
    /// versions, ordered by runtime id then image id. Unprobed images add nothing.
    pub fn runtimes_served(&self) -> BTreeMap<String, Vec<(ImageId, String)>> {
        let mut out: BTreeMap<String, Vec<(ImageId, String)>> = BTreeMap::new();
        for m in self.images.values() {
            for (runtime, served) in &m.runtimes {
                out.entry(runtime.clone())
                    .or_default()
                    .push((m.id.clone(), served.version.clone()));
            }
        }
        out
    }

    /// Whether `image` can serve `runtime`. An image whose manifest lists no runtimes has
    /// not been probed, and is assumed to serve every runtime Lamina runs.
    pub fn serves(&self, image: &ImageId, runtime: &str) -> bool {
        match self.images.get(image) {
            None => false,
            Some(m) if m.runtimes.is_empty() => crate::runtime::is_runnable(runtime),
            Some(m) => m.runtimes.contains_key(runtime),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_ids_are_checked() {
        assert!(ImageId::new("debian-12").is_ok());
        assert!(ImageId::new("host").is_ok());
        for bad in ["", "Debian", "debian.12", "-x", "a b", &"a".repeat(65)] {
            assert!(ImageId::new(bad).is_err(), "{bad}");
        }
        let parsed: Result<ImageId, _> = serde_json::from_str("\"debian_12\"");
        assert!(parsed.is_err());
        let d12 = ImageId::new("debian-12").unwrap();
        assert_eq!(d12.name_and_version(), ("debian", Some("12")));
        assert_eq!(ImageId::host().name_and_version(), ("host", None));
        assert_eq!(
            ImageId::new("debian-12-build").unwrap().name_and_version(),
            ("debian-12", Some("build"))
        );
    }

    #[test]
    fn os_release_is_parsed() {
        let text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n";
        assert_eq!(os_release(text), ("debian".into(), "12".into()));
        assert_eq!(os_release("ID=debian\n"), ("debian".into(), String::new()));
    }

    #[test]
    fn unprobed_images_serve_every_runnable_runtime() {
        let mut c =
            ImageCatalog::with_host(ImageManifest::minimal(ImageId::host(), "debian", "12"));
        assert!(c.serves(&ImageId::host(), "python3.12"));
        assert!(!c.serves(&ImageId::host(), "java21"));
        let d13 = ImageId::new("debian-13").unwrap();
        assert!(!c.serves(&d13, "python3.12"));
        let mut m = ImageManifest::minimal(d13.clone(), "debian", "13");
        m.runtimes.insert(
            "python3.13".into(),
            ServedRuntime {
                interpreter: "/usr/bin/python3".into(),
                version: "3.13.5".into(),
            },
        );
        c.insert(m);
        assert!(c.serves(&d13, "python3.13"));
        assert!(!c.serves(&d13, "python3.12"));
    }
}
