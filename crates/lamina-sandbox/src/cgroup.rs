//! Cgroups for one sandbox: where they live (v1 per-controller trees or the v2 unified tree,
//! detected at start-up), which files get which values, and how to read the peak memory and the
//! OOM-kill count back. Every file access goes through [`Kernel`] so the plan is unit-tested.
//!
//! Sandbox cgroups are created as `<parent>/<sandbox id>`, where the parent defaults to a
//! `lamina` directory under the cgroup this process is in (per controller on v1).

use std::path::{Path, PathBuf};

use crate::error::SandboxError;
use crate::kernel::Kernel;

mod layout;
pub use layout::CgroupLayout;

/// The limits written into a sandbox's cgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub memory_mb: u64,
    pub pids_max: u64,
}

/// Lambda gives one full vCPU at 1769 MB and scales CPU with memory; shares follow that ratio.
const MB_PER_VCPU: u64 = 1769;

/// The cgroup(s) of one sandbox.
#[derive(Debug, Clone)]
pub(crate) struct Cgroup {
    layout: CgroupLayout,
    id: String,
}

fn write(k: &dyn Kernel, path: PathBuf, value: &str) -> Result<(), SandboxError> {
    k.write_file(&path, value.as_bytes())
        .map_err(|e| SandboxError::io("write", path, e))
}

fn parse_counter(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok())?
    })
}

impl Cgroup {
    /// The handle for a sandbox's cgroups without creating them (for tear-down of a
    /// half-built sandbox).
    pub(crate) fn placeholder(layout: &CgroupLayout, id: &str) -> Cgroup {
        Cgroup {
            layout: layout.clone(),
            id: id.to_string(),
        }
    }

    /// Creates the sandbox's cgroup(s), without limits yet (see [`Cgroup::set_limits`]).
    pub(crate) fn create(
        k: &dyn Kernel,
        layout: &CgroupLayout,
        id: &str,
    ) -> Result<Cgroup, SandboxError> {
        let cg = Cgroup {
            layout: layout.clone(),
            id: id.to_string(),
        };
        if let CgroupLayout::V2 { parent } = layout {
            if !k.exists(parent) {
                mkdir(k, parent)?;
            }
            let control = parent.join("cgroup.subtree_control");
            let enabled = k.read_to_string(&control).unwrap_or_default();
            if !(enabled.contains("memory") && enabled.contains("pids")) {
                write(k, control.clone(), "+memory +pids").map_err(|e| {
                    SandboxError::NoCgroups(format!(
                        "cannot delegate memory and pids to {}: {e}; set the cgroup parent \
                         to a delegated cgroup with no processes of its own",
                        parent.display()
                    ))
                })?;
                // CPU weight is a nicety; a host that does not delegate cpu still works.
                let _ = k.write_file(&control, b"+cpu");
            }
        }
        for dir in cg.dirs() {
            if k.exists(&dir) {
                return Err(SandboxError::InvalidSpec(format!(
                    "cgroup {} already exists (sandbox id {id} in use?)",
                    dir.display()
                )));
            }
            mkdir(k, &dir)?;
        }
        Ok(cg)
    }

    /// Writes the limits (before the runtime starts; the init alone uses next to nothing).
    pub(crate) fn set_limits(&self, k: &dyn Kernel, limits: Limits) -> Result<(), SandboxError> {
        let id = &self.id;
        let bytes = limits.memory_mb * 1024 * 1024;
        match &self.layout {
            CgroupLayout::V1 { memory, pids, cpu } => {
                let mem = memory.join(id);
                // The plain limit first: the kernel refuses a memsw limit below it.
                write(k, mem.join("memory.limit_in_bytes"), &bytes.to_string())?;
                let memsw = mem.join("memory.memsw.limit_in_bytes");
                if k.exists(&memsw) {
                    // memory+swap equal to memory: the function gets no swap, as on Lambda.
                    write(k, memsw, &bytes.to_string())?;
                }
                let p = pids.join(id);
                write(k, p.join("pids.max"), &limits.pids_max.to_string())?;
                if let Some(cpu) = cpu {
                    let c = cpu.join(id);
                    let shares = (limits.memory_mb * 1024 / MB_PER_VCPU).max(2);
                    write(k, c.join("cpu.shares"), &shares.to_string())?;
                }
            }
            CgroupLayout::V2 { parent } => {
                let dir = parent.join(id);
                write(k, dir.join("memory.max"), &bytes.to_string())?;
                let swap = dir.join("memory.swap.max");
                if k.exists(&swap) {
                    write(k, swap, "0")?;
                }
                write(k, dir.join("pids.max"), &limits.pids_max.to_string())?;
                let weight = dir.join("cpu.weight");
                if k.exists(&weight) {
                    let w = (limits.memory_mb * 100 / MB_PER_VCPU).clamp(1, 10000);
                    write(k, weight, &w.to_string())?;
                }
            }
        }
        Ok(())
    }

    /// The sandbox's directories, one per hierarchy.
    pub(crate) fn dirs(&self) -> Vec<PathBuf> {
        self.layout
            .parents()
            .into_iter()
            .map(|p| p.join(&self.id))
            .collect()
    }

    fn memory_dir(&self) -> PathBuf {
        match &self.layout {
            CgroupLayout::V1 { memory, .. } => memory.join(&self.id),
            CgroupLayout::V2 { parent } => parent.join(&self.id),
        }
    }

    fn pids_dir(&self) -> PathBuf {
        match &self.layout {
            CgroupLayout::V1 { pids, .. } => pids.join(&self.id),
            CgroupLayout::V2 { parent } => parent.join(&self.id),
        }
    }

    /// Moves a host pid into every hierarchy of this sandbox.
    pub(crate) fn add_process(&self, k: &dyn Kernel, pid: i32) -> Result<(), SandboxError> {
        for dir in self.dirs() {
            write(k, dir.join("cgroup.procs"), &pid.to_string())?;
        }
        Ok(())
    }

    /// The memory peak file and whether writing 0 to it resets the peak (v1 only: on v2 a
    /// reset is per open file, Linux 6.12+).
    pub(crate) fn peak_file(&self) -> (PathBuf, bool) {
        match self.layout {
            CgroupLayout::V1 { .. } => (self.memory_dir().join("memory.max_usage_in_bytes"), true),
            CgroupLayout::V2 { .. } => (self.memory_dir().join("memory.peak"), false),
        }
    }

    /// Peak memory use in bytes since creation or the last [`Cgroup::reset_peak`].
    pub(crate) fn peak(&self, k: &dyn Kernel) -> Result<u64, SandboxError> {
        let (path, _) = self.peak_file();
        let text = k
            .read_to_string(&path)
            .map_err(|e| SandboxError::io("read", &path, e))?;
        text.trim().parse().map_err(|_| {
            SandboxError::io(
                "parse",
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, text.trim().to_string()),
            )
        })
    }

    /// Resets the peak so the next reading covers only what follows. v1 only: on v2 a reset
    /// is per open file (Linux 6.12+), which this crate does not hold; returns whether it reset.
    pub(crate) fn reset_peak(&self, k: &dyn Kernel) -> Result<bool, SandboxError> {
        match self.layout {
            CgroupLayout::V1 { .. } => {
                write(k, self.memory_dir().join("memory.max_usage_in_bytes"), "0")?;
                Ok(true)
            }
            CgroupLayout::V2 { .. } => Ok(false),
        }
    }

    /// How many processes the OOM killer has killed in this cgroup so far.
    pub(crate) fn oom_kills(&self, k: &dyn Kernel) -> u64 {
        let (file, key) = match self.layout {
            CgroupLayout::V1 { .. } => ("memory.oom_control", "oom_kill"),
            CgroupLayout::V2 { .. } => ("memory.events", "oom_kill"),
        };
        k.read_to_string(&self.memory_dir().join(file))
            .ok()
            .and_then(|t| parse_counter(&t, key))
            .unwrap_or(0)
    }

    /// The host pids in the sandbox.
    pub(crate) fn procs(&self, k: &dyn Kernel) -> Vec<i32> {
        k.read_to_string(&self.pids_dir().join("cgroup.procs"))
            .map(|t| t.lines().filter_map(|l| l.trim().parse().ok()).collect())
            .unwrap_or_default()
    }

    /// SIGKILLs every process in the cgroup: `cgroup.kill` on v2 (atomic, Linux 5.14+), one
    /// pass over `cgroup.procs` otherwise (the PID namespace kill is the primary mechanism).
    pub(crate) fn kill(&self, k: &dyn Kernel) -> Result<(), SandboxError> {
        if let CgroupLayout::V2 { .. } = self.layout {
            let file = self.pids_dir().join("cgroup.kill");
            if k.exists(&file) {
                return write(k, file, "1");
            }
        }
        for pid in self.procs(k) {
            // ESRCH just means it already died.
            let _ = k.signal(pid, nix::libc::SIGKILL);
        }
        Ok(())
    }

    /// Removes the cgroup directories; the processes must be gone.
    pub(crate) fn remove(&self, k: &dyn Kernel) -> Result<(), SandboxError> {
        for dir in self.dirs() {
            if k.exists(&dir) {
                remove_dir_retrying(k, &dir)?;
            }
        }
        Ok(())
    }
}

/// rmdir of a cgroup fails with EBUSY for a few milliseconds after its last process died.
pub(crate) fn remove_dir_retrying(k: &dyn Kernel, dir: &Path) -> Result<(), SandboxError> {
    let mut last = None;
    for attempt in 0..200 {
        match k.rmdir(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => last = Some(e),
        }
        std::thread::sleep(std::time::Duration::from_millis(if attempt < 20 {
            1
        } else {
            10
        }));
    }
    Err(SandboxError::io(
        "rmdir",
        dir,
        last.unwrap_or_else(|| std::io::Error::other("busy")),
    ))
}

fn mkdir(k: &dyn Kernel, dir: &Path) -> Result<(), SandboxError> {
    k.mkdir_all(dir)
        .map_err(|e| SandboxError::io("mkdir", dir, e))
}

#[cfg(test)]
#[path = "cgroup_tests.rs"]
mod tests;
