//! The images of one data folder, on disk: `<data>/images/<id>/manifest.json` and
//! `<data>/images/<id>/rootfs`, which is either the root file system itself (`--no-cache`
//! builds) or a symlink to a read-only entry of the build cache (`/var/cache/lamina/images`).
//! The server loads this catalog at start-up and registers every image with the engine.

use std::path::{Path, PathBuf};

use lamina_model::environment::{ImageId, ImageManifest};

use crate::error::ImagesError;
use crate::staging::{Staging, sweep_stale};

/// The manifest's file name inside an image (and cache entry) folder.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The root file system's name inside an image (and cache entry) folder.
pub const ROOTFS_DIR: &str = "rootfs";

/// One image on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    /// What it holds.
    pub manifest: ImageManifest,
    /// Its root file system, symlinks resolved (what the engine mounts).
    pub rootfs: PathBuf,
    /// The build-cache entry it reads, if it is not a copy of its own.
    pub cache_entry: Option<PathBuf>,
}

/// Reads a manifest file.
pub fn read_manifest(path: &Path) -> Result<ImageManifest, ImagesError> {
    let bytes = std::fs::read(path).map_err(|e| ImagesError::io("read", path, e))?;
    serde_json::from_slice(&bytes).map_err(|source| ImagesError::Manifest {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes a manifest file (flushed before returning).
pub fn write_manifest(path: &Path, m: &ImageManifest) -> Result<(), ImagesError> {
    let bytes = serde_json::to_vec_pretty(m).map_err(|source| ImagesError::Manifest {
        path: path.to_path_buf(),
        source,
    })?;
    std::fs::write(path, bytes).map_err(|e| ImagesError::io("write", path, e))?;
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.sync_all();
    }
    Ok(())
}

/// The `images` folder of a data folder.
#[derive(Debug, Clone)]
pub struct DiskCatalog {
    dir: PathBuf,
}

impl DiskCatalog {
    /// The catalog of the data folder `data_dir` (`<data_dir>/images`).
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("images"),
        }
    }

    /// Its folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder of `id`.
    pub fn image_dir(&self, id: &ImageId) -> PathBuf {
        self.dir.join(id.as_str())
    }

    /// Whether `id` is on disk.
    pub fn contains(&self, id: &ImageId) -> bool {
        self.image_dir(id).join(MANIFEST_FILE).exists()
    }

    /// One image.
    pub fn get(&self, id: &ImageId) -> Result<StoredImage, ImagesError> {
        let dir = self.image_dir(id);
        if !dir.join(MANIFEST_FILE).exists() {
            return Err(ImagesError::NotFound(id.to_string()));
        }
        let mut manifest = read_manifest(&dir.join(MANIFEST_FILE))?;
        // The folder's name is the id (a cache entry's manifest may carry another).
        manifest.id = id.clone();
        let link = dir.join(ROOTFS_DIR);
        let rootfs = std::fs::canonicalize(&link).map_err(|e| ImagesError::io("open", &link, e))?;
        let is_link = link
            .symlink_metadata()
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        Ok(StoredImage {
            manifest,
            cache_entry: is_link
                .then(|| rootfs.parent().map(Path::to_path_buf))
                .flatten(),
            rootfs,
        })
    }

    /// Every image, by id; work folders of dead builds are swept first. An image folder
    /// that cannot be read is skipped with a warning rather than stopping the server.
    pub fn load(&self) -> Vec<StoredImage> {
        sweep_stale(&self.dir);
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(id) = ImageId::new(name.clone()) else {
                continue;
            };
            match self.get(&id) {
                Ok(img) => out.push(img),
                Err(e) => tracing::warn!(image = %name, error = %e, "skipping an unreadable image"),
            }
        }
        out.sort_by(|a, b| a.manifest.id.cmp(&b.manifest.id));
        out
    }

    /// A work folder that becomes image `id` on commit.
    pub fn stage(&self, id: &ImageId) -> Result<Staging, ImagesError> {
        if self.contains(id) {
            return Err(ImagesError::Exists(id.to_string()));
        }
        Staging::new(&self.dir, id.as_str())
    }

    /// Registers `id` as a read-only reference to the cache entry `entry` (which holds
    /// `rootfs` and `manifest.json`), atomically.
    pub fn link_cached(&self, id: &ImageId, entry: &Path) -> Result<StoredImage, ImagesError> {
        let staging = self.stage(id)?;
        let mut manifest = read_manifest(&entry.join(MANIFEST_FILE))?;
        manifest.id = id.clone();
        let rootfs = entry.join(ROOTFS_DIR);
        let link = staging.path().join(ROOTFS_DIR);
        std::os::unix::fs::symlink(&rootfs, &link)
            .map_err(|e| ImagesError::io("symlink", &link, e))?;
        write_manifest(&staging.path().join(MANIFEST_FILE), &manifest)?;
        staging.commit()?;
        self.get(id)
    }

    /// Deletes image `id` from the data folder: renamed away first (so the catalog never
    /// shows half an image), then removed. A cache entry it referenced is kept.
    pub fn remove(&self, id: &ImageId) -> Result<(), ImagesError> {
        let dir = self.image_dir(id);
        if !dir.exists() {
            return Err(ImagesError::NotFound(id.to_string()));
        }
        let doomed = self
            .dir
            .join(format!(".tmp-removing-{id}-{}", std::process::id()));
        std::fs::rename(&dir, &doomed).map_err(|e| ImagesError::io("rename", &dir, e))?;
        // remove_dir_all does not follow the rootfs symlink into the cache.
        std::fs::remove_dir_all(&doomed).map_err(|e| ImagesError::io("remove", &doomed, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(id: &str) -> ImageManifest {
        ImageManifest::minimal(ImageId::new(id).unwrap(), "debian", "12")
    }

    #[test]
    fn cached_images_are_links_and_removal_keeps_the_cache() {
        let data = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let entry = cache.path().join("debian-12-abc");
        std::fs::create_dir_all(entry.join("rootfs/etc")).unwrap();
        write_manifest(&entry.join(MANIFEST_FILE), &manifest("debian-12")).unwrap();
        let catalog = DiskCatalog::new(data.path());
        let id = ImageId::new("my-image").unwrap();
        let img = catalog.link_cached(&id, &entry).unwrap();
        assert_eq!(img.manifest.id, id);
        assert_eq!(
            img.rootfs,
            std::fs::canonicalize(entry.join("rootfs")).unwrap()
        );
        assert!(img.cache_entry.is_some());
        assert!(matches!(
            catalog.link_cached(&id, &entry),
            Err(ImagesError::Exists(_))
        ));
        assert_eq!(catalog.load().len(), 1);
        catalog.remove(&id).unwrap();
        assert!(catalog.load().is_empty());
        assert!(entry.join("rootfs/etc").exists());
        assert!(matches!(catalog.remove(&id), Err(ImagesError::NotFound(_))));
        assert_eq!(std::fs::read_dir(catalog.dir()).unwrap().count(), 0);
    }

    #[test]
    fn failed_staging_registers_nothing() {
        let data = tempfile::tempdir().unwrap();
        let catalog = DiskCatalog::new(data.path());
        let id = ImageId::new("debian-13").unwrap();
        {
            let s = catalog.stage(&id).unwrap();
            std::fs::create_dir_all(s.path().join("rootfs/usr")).unwrap();
            // dropped without commit: the build failed
        }
        assert!(catalog.load().is_empty());
        assert!(!catalog.contains(&id));
        assert_eq!(std::fs::read_dir(catalog.dir()).unwrap().count(), 0);
    }
}
