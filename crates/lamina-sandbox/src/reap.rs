//! Clean-up after a crash: sandboxes that a previous run of the platform left behind (run
//! directories with a mounted `/tmp`, cgroups with processes in them) are killed and removed.
//! Call [`reap_orphans`] once at start-up, before starting any sandbox with the same config.

use crate::cgroup::{Cgroup, remove_dir_retrying};
use crate::error::SandboxError;
use crate::kernel::{Kernel, RealKernel};
use crate::spec::SandboxConfig;

/// Kills and removes every sandbox left under `cfg`'s run directory and cgroup parents.
/// Returns how many sandboxes were found.
pub fn reap_orphans(cfg: &SandboxConfig) -> Result<usize, SandboxError> {
    reap_with(&RealKernel, cfg)
}

pub(crate) fn reap_with(k: &dyn Kernel, cfg: &SandboxConfig) -> Result<usize, SandboxError> {
    let mut ids = std::collections::BTreeSet::new();
    for parent in cfg.cgroups.parents() {
        for dir in k.list_dir(&parent).unwrap_or_default() {
            // Only sandbox directories, not the hierarchy's own control files.
            if !k.is_dir(&dir) {
                continue;
            }
            if let Some(name) = dir.file_name().and_then(|n| n.to_str()) {
                ids.insert(name.to_string());
            }
        }
    }
    for cg_id in &ids {
        let cg = Cgroup::placeholder(&cfg.cgroups, cg_id);
        // Kill until the cgroup is empty: an orphaned init may still be forking.
        for _ in 0..100 {
            if cg.procs(k).is_empty() {
                break;
            }
            cg.kill(k)?;
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
    let sandboxes = cfg.sandboxes_dir();
    let dirs = k.list_dir(&sandboxes).unwrap_or_default();
    for dir in &dirs {
        // Lazily: a process of the old run may still hold it.
        let _ = k.umount(&dir.join("tmp"), true);
        let _ = k.umount(&dir.join("root"), true);
        k.remove_dir_all(dir)
            .map_err(|e| SandboxError::io("remove", dir, e))?;
        if let Some(name) = dir.file_name().and_then(|n| n.to_str()) {
            ids.insert(name.to_string());
        }
    }
    for cg_id in &ids {
        for dir in Cgroup::placeholder(&cfg.cgroups, cg_id).dirs() {
            if k.exists(&dir) {
                remove_dir_retrying(k, &dir)?;
            }
        }
    }
    // Parents are left in place: they are cheap and another instance may share them.
    Ok(ids.len())
}
