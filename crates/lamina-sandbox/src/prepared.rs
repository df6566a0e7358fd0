//! [`PreparedInit`]: a sandbox init cloned ahead of time. Cloning into new namespaces, exec'ing
//! the init binary and — above all — moving it into its cgroup are the slow part of a start (on
//! cgroup v1 a move into a cgroup waits for an RCU grace period, about 10 ms). A prepared init
//! has done all of that and waits, using no resources but one small process and its empty
//! cgroups, for [`crate::Sandbox::start_prepared`] to send it a spec. The engine keeps a pool of
//! them next to its pool of [`crate::NetNamespace`]s, so a cold start pays only for mounts, a
//! fork and an exec.

use crate::cgroup::Cgroup;
use crate::error::SandboxError;
use crate::kernel::RealKernel;
use crate::spawn::{self, Pending};
use crate::spec::{self, SandboxConfig};

/// An init waiting in its own namespaces and cgroups for a spec. Dropping it kills the init
/// and removes the cgroups.
pub struct PreparedInit {
    id: String,
    cgroup: Option<Cgroup>,
    pending: Option<Pending>,
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
    /// sandbox id). Blocking, some 10–20 ms on cgroup v1; needs root.
    pub fn new(id: &str, cfg: &SandboxConfig) -> Result<PreparedInit, SandboxError> {
        spec::check_id(id)?;
        let cgroup = Cgroup::create(&RealKernel, &cfg.cgroups, id)?;
        let mut prepared = PreparedInit {
            id: id.to_string(),
            cgroup: Some(cgroup),
            pending: None,
        };
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

    /// The cgroups and the waiting init, handed over to a sandbox.
    pub(crate) fn into_parts(mut self) -> Result<(Cgroup, Pending), SandboxError> {
        match (self.cgroup.take(), self.pending.take()) {
            (Some(cg), Some(p)) => Ok((cg, p)),
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
    }
}
