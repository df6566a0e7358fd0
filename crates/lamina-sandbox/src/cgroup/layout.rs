//! Where sandbox cgroups live: detecting the v1 or v2 hierarchy from `/proc/self/cgroup` and
//! `/proc/self/mountinfo`, and naming the parent directory (or directories) under this
//! process's own cgroup.

use std::path::{Path, PathBuf};

use crate::error::SandboxError;
use crate::kernel::Kernel;

/// Where sandbox cgroups are created: the parent directory (or directories, on v1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CgroupLayout {
    /// cgroup v1: one parent per controller. `cpu` is optional (only used for shares).
    V1 {
        /// e.g. `/sys/fs/cgroup/memory/<own path>/lamina`.
        memory: PathBuf,
        /// e.g. `/sys/fs/cgroup/pids/<own path>/lamina`.
        pids: PathBuf,
        /// e.g. `/sys/fs/cgroup/cpu/<own path>/lamina`.
        cpu: Option<PathBuf>,
    },
    /// cgroup v2: one parent in the unified tree, with memory and pids delegated.
    V2 {
        /// e.g. `/sys/fs/cgroup/<own path>/lamina`.
        parent: PathBuf,
    },
}

struct CgroupMount {
    root: PathBuf,
    mount_point: PathBuf,
    fstype: String,
    super_options: Vec<String>,
}

/// Parses the cgroup mounts out of `/proc/self/mountinfo`.
fn cgroup_mounts(mountinfo: &str) -> Vec<CgroupMount> {
    mountinfo
        .lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let left: Vec<&str> = left.split(' ').collect();
            let right: Vec<&str> = right.split(' ').collect();
            let fstype = (*right.first()?).to_string();
            if fstype != "cgroup" && fstype != "cgroup2" {
                return None;
            }
            Some(CgroupMount {
                root: PathBuf::from(left.get(3)?),
                mount_point: PathBuf::from(left.get(4)?),
                fstype,
                super_options: right
                    .get(2)
                    .map(|o| o.split(',').map(str::to_string).collect())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// The path inside the mount at which our own cgroup (from `/proc/self/cgroup`) lives.
fn own_dir(mount: &CgroupMount, own: &str) -> PathBuf {
    let rel = Path::new(own)
        .strip_prefix(&mount.root)
        .unwrap_or(Path::new(""));
    mount.mount_point.join(rel)
}

impl CgroupLayout {
    /// Detects the hierarchy this machine uses and returns the layout with `parent_name` (e.g.
    /// `lamina`) under this process's own cgroup. v2 is used when its memory and pids
    /// controllers are available to us; otherwise v1's memory and pids hierarchies.
    pub fn detect(parent_name: &str) -> Result<CgroupLayout, SandboxError> {
        let k = crate::kernel::RealKernel;
        let cgroup = k
            .read_to_string(Path::new("/proc/self/cgroup"))
            .map_err(|e| SandboxError::io("read", "/proc/self/cgroup", e))?;
        let mountinfo = k
            .read_to_string(Path::new("/proc/self/mountinfo"))
            .map_err(|e| SandboxError::io("read", "/proc/self/mountinfo", e))?;
        Self::detect_with(&k, &cgroup, &mountinfo, parent_name)
    }

    pub(crate) fn detect_with(
        k: &dyn Kernel,
        proc_cgroup: &str,
        mountinfo: &str,
        parent_name: &str,
    ) -> Result<CgroupLayout, SandboxError> {
        let mounts = cgroup_mounts(mountinfo);
        // (controllers, path) per hierarchy line "id:controllers:path".
        let lines: Vec<(Vec<&str>, &str)> = proc_cgroup
            .lines()
            .filter_map(|l| {
                let mut parts = l.splitn(3, ':');
                let _id = parts.next()?;
                let controllers = parts.next()?;
                let path = parts.next()?;
                Some((controllers.split(',').collect(), path))
            })
            .collect();

        if let (Some(mount), Some((_, own))) = (
            mounts.iter().find(|m| m.fstype == "cgroup2"),
            lines.iter().find(|(c, _)| c == &[""]),
        ) {
            let dir = own_dir(mount, own);
            let controllers = k
                .read_to_string(&dir.join("cgroup.controllers"))
                .unwrap_or_default();
            let has = |c: &str| controllers.split_whitespace().any(|x| x == c);
            if has("memory") && has("pids") {
                return Ok(CgroupLayout::V2 {
                    parent: dir.join(parent_name),
                });
            }
        }

        let v1 = |controller: &str| -> Option<PathBuf> {
            let mount = mounts.iter().find(|m| {
                m.fstype == "cgroup" && m.super_options.iter().any(|o| o == controller)
            })?;
            let (_, own) = lines.iter().find(|(c, _)| c.contains(&controller))?;
            Some(own_dir(mount, own).join(parent_name))
        };
        match (v1("memory"), v1("pids")) {
            (Some(memory), Some(pids)) => Ok(CgroupLayout::V1 {
                memory,
                pids,
                cpu: v1("cpu"),
            }),
            _ => Err(SandboxError::NoCgroups(
                "neither cgroup v2 with memory+pids delegated nor the v1 memory and pids \
                 controllers are mounted"
                    .into(),
            )),
        }
    }

    /// The parent directories, one per hierarchy used.
    pub fn parents(&self) -> Vec<PathBuf> {
        match self {
            CgroupLayout::V1 { memory, pids, cpu } => {
                let mut v = vec![memory.clone(), pids.clone()];
                v.extend(cpu.clone());
                v
            }
            CgroupLayout::V2 { parent } => vec![parent.clone()],
        }
    }
}
