//! [`PreparedInit`]: a sandbox init cloned ahead of time. Cloning into new namespaces, exec'ing
//! the init binary and — above all — moving it into its cgroup are the slow part of a start (on
//! cgroup v1 a move into a cgroup waits for an RCU grace period, about 10 ms). A prepared init
//! has done all of that and waits, using no resources but one small process and its empty
//! cgroups, for [`crate::Sandbox::start_prepared`] to send it a spec. The engine keeps a pool of
//! them next to its pool of [`crate::NetNamespace`]s, so a cold start pays only for mounts, a
//! fork and an exec.
//!
//! A prepared init also holds a formatted, mounted `/tmp` image of the default size
//! ([`crate::tmp_image`]) in its own run directory, which the sandbox takes over by renaming
//! the directory; a sandbox with another `/tmp` size makes its own when it starts.

use std::path::PathBuf;

use crate::cgroup::Cgroup;
use crate::error::SandboxError;
use crate::kernel::{Kernel, RealKernel};
use crate::spawn::{self, Pending};
use crate::spec::{self, SandboxConfig};
use crate::tmp_image;

/// `<sandboxes dir>/<id>` holding a mounted `/tmp` image, and the image's size in MiB.
pub(crate) type PreparedTmp = (PathBuf, u64);

/// An init waiting in its own namespaces and cgroups for a spec. Dropping it kills the init
/// and removes the cgroups.
pub struct PreparedInit {
    id: String,
    cgroup: Option<Cgroup>,
    pending: Option<Pending>,
    tmp: Option<PreparedTmp>,
}

impl std::fmt::Debug for PreparedInit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedInit")
            .field("id", &self.id)
            .field("pid", &self.pending.as_ref().map(|p| p.child.pid))
            .finish()
    }
}

impl PreparedInit {
    /// Clones an init into new namespaces and into new cgroups named `id` (the same rules as a
    /// sandbox id), with a `/tmp` image of the default 512 MiB. Blocking, some 50–100 ms
    /// (mostly `mkfs.ext4` and the loop mount); needs root.
    pub fn new(id: &str, cfg: &SandboxConfig) -> Result<PreparedInit, SandboxError> {
        Self::with_tmp(id, cfg, tmp_image::DEFAULT_TMP_MB)
    }

    /// [`PreparedInit::new`] with a `/tmp` of `tmp_mb` MiB.
    pub(crate) fn with_tmp(
        id: &str,
        cfg: &SandboxConfig,
        tmp_mb: u64,
    ) -> Result<PreparedInit, SandboxError> {
        spec::check_id(id)?;
        let k = RealKernel;
        let cgroup = Cgroup::create(&k, &cfg.cgroups, id)?;
        let mut prepared = PreparedInit {
            id: id.to_string(),
            cgroup: Some(cgroup),
            pending: None,
            tmp: None,
        };
        let dir = cfg.sandboxes_dir().join(id);
        if k.exists(&dir) {
            return Err(SandboxError::InvalidSpec(format!(
                "prepared init id {id} is already in use ({} exists)",
                dir.display()
            )));
        }
        k.mkdir_all(&dir.join("tmp"))
            .map_err(|e| SandboxError::io("mkdir", &dir, e))?;
        prepared.tmp = Some((dir.clone(), tmp_mb));
        tmp_image::make(&k, &dir, tmp_mb)?;
        if let Some(cg) = &prepared.cgroup {
            prepared.pending = Some(spawn::clone_pending(
                &cfg.init_exe,
                &cfg.sandboxes_dir(),
                cg,
            )?);
        }
        Ok(prepared)
    }

    /// The host pid of the waiting init.
    pub fn pid(&self) -> u32 {
        self.pending.as_ref().map_or(0, |p| p.child.pid as u32)
    }

    /// The id its cgroups are named by.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The cgroups, the waiting init and the run directory holding the mounted `/tmp` image
    /// (with its size), handed over to a sandbox, which removes the directory.
    pub(crate) fn into_parts(
        mut self,
    ) -> Result<(Cgroup, Pending, Option<PreparedTmp>), SandboxError> {
        match (self.cgroup.take(), self.pending.take()) {
            (Some(cg), Some(p)) => Ok((cg, p, self.tmp.take())),
            _ => Err(SandboxError::InvalidSpec(format!(
                "prepared init {} was already used",
                self.id
            ))),
        }
    }
}

impl Drop for PreparedInit {
    fn drop(&mut self) {
        if let Some(p) = self.pending.take() {
            p.kill_and_reap();
        }
        if let Some(cg) = self.cgroup.take()
            && let Err(e) = cg.remove(&RealKernel)
        {
            tracing::warn!(id = %self.id, error = %e, "removing a prepared init's cgroup failed");
        }
        if let Some((dir, _)) = self.tmp.take() {
            remove_tmp_dir(&RealKernel, &dir);
        }
    }
}

/// Unmounts `<dir>/tmp` (lazily: a clone may still be attached in a dying sandbox; the loop
/// device clears itself with the last one) and removes `dir` with the image in it.
pub(crate) fn remove_tmp_dir(k: &dyn Kernel, dir: &std::path::Path) {
    let _ = k.umount(&dir.join("tmp"), true);
    if let Err(e) = k.remove_dir_all(dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(dir = %dir.display(), error = %e, "removing a prepared /tmp failed");
    }
}
