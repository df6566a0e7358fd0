//! Atomic placement of an image folder: work happens in `.tmp-<name>-<pid>` beside the final
//! place, and one `rename` publishes it. A [`Staging`] that is dropped without
//! [`Staging::commit`] removes its folder, so a failed or interrupted build leaves nothing;
//! folders left by a process that was killed outright are swept by [`sweep_stale`].

use std::path::{Path, PathBuf};

use crate::error::ImagesError;

/// Prefix of work folders; never a valid image id (ids cannot start with `.`).
const TMP_PREFIX: &str = ".tmp-";

/// A work folder that becomes `<parent>/<name>` on commit, or disappears.
#[derive(Debug)]
pub struct Staging {
    path: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Staging {
    /// Creates `<parent>/.tmp-<name>-<pid>` (emptied first if a previous run left it).
    pub fn new(parent: &Path, name: &str) -> Result<Self, ImagesError> {
        std::fs::create_dir_all(parent).map_err(|e| ImagesError::io("create", parent, e))?;
        let path = parent.join(format!("{TMP_PREFIX}{name}-{}", std::process::id()));
        if path.exists() {
            std::fs::remove_dir_all(&path).map_err(|e| ImagesError::io("remove", &path, e))?;
        }
        std::fs::create_dir(&path).map_err(|e| ImagesError::io("create", &path, e))?;
        Ok(Self {
            path,
            target: parent.join(name),
            committed: false,
        })
    }

    /// The work folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the work folder to its final name; fails if that name is taken.
    pub fn commit(mut self) -> Result<PathBuf, ImagesError> {
        if self.target.symlink_metadata().is_ok() {
            let name = self
                .target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Err(ImagesError::Exists(name));
        }
        sync_dir(&self.path);
        std::fs::rename(&self.path, &self.target)
            .map_err(|e| ImagesError::io("rename", &self.path, e))?;
        if let Some(parent) = self.target.parent() {
            sync_dir(parent);
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed
            && let Err(e) = std::fs::remove_dir_all(&self.path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %self.path.display(), error = %e, "could not remove a build's work folder");
        }
    }
}

/// Flushes a folder's entries (so a rename survives a crash); best effort.
fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

/// Removes work folders under `parent` whose process is gone (killed before it could clean
/// up). Returns how many were removed.
pub fn sweep_stale(parent: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(TMP_PREFIX) else {
            continue;
        };
        let pid = rest.rsplit('-').next().and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
        if !alive && std::fs::remove_dir_all(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_staging_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Staging::new(dir.path(), "debian-12").unwrap();
            std::fs::write(s.path().join("half"), b"x").unwrap();
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn commit_publishes_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = Staging::new(dir.path(), "debian-12").unwrap();
        std::fs::write(s.path().join("manifest.json"), b"{}").unwrap();
        let target = s.commit().unwrap();
        assert!(target.join("manifest.json").exists());
        let again = Staging::new(dir.path(), "debian-12").unwrap();
        assert!(matches!(again.commit(), Err(ImagesError::Exists(n)) if n == "debian-12"));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec!["debian-12"]);
    }

    #[test]
    fn stale_folders_of_dead_processes_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        // pid 0 never names a live process folder in /proc.
        std::fs::create_dir(dir.path().join(".tmp-debian-12-999999999")).unwrap();
        let live = Staging::new(dir.path(), "debian-13").unwrap();
        assert_eq!(sweep_stale(dir.path()), 1);
        assert!(live.path().exists());
    }
}
