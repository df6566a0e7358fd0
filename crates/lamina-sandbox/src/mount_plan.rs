//! The mount plan: which source goes where, with which flags, in which order, to build the
//! sandbox's `/`. The plan is computed on the engine side as plain data ([`MountOp`]s), sent to
//! the sandbox init, and applied there with [`apply`] inside the new mount namespace. Keeping it
//! data means the whole layout (usrmerge symlinks, overlay lowerdir order, read-only flags) is
//! unit-tested with the fake kernel.
//!
//! It does not own pivot_root (the init does that after applying the plan) nor the per-sandbox
//! `/tmp` tmpfs, which lives in the host mount namespace so that it outlives a runtime restart
//! and is handed to the init as a detached mount.

use std::path::{Path, PathBuf};

use nix::mount::MsFlags;
use serde::{Deserialize, Serialize};

use crate::error::SandboxError;
use crate::image::ImageRoot;
use crate::kernel::Kernel;

/// Extra flags for a mount, each a plain bool so the plan reads clearly and serialises simply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub(crate) struct Flags {
    pub readonly: bool,
    pub nosuid: bool,
    pub nodev: bool,
    pub noexec: bool,
}

impl Flags {
    /// Read-only, no setuid, no device nodes: the default for everything the function did not
    /// write itself.
    pub const RO: Flags = Flags {
        readonly: true,
        nosuid: true,
        nodev: true,
        noexec: false,
    };
    /// Writable, no setuid, no device nodes (/tmp, /dev/shm).
    pub const RW: Flags = Flags {
        readonly: false,
        nosuid: true,
        nodev: true,
        noexec: false,
    };

    fn bits(self) -> MsFlags {
        let mut f = MsFlags::empty();
        f.set(MsFlags::MS_RDONLY, self.readonly);
        f.set(MsFlags::MS_NOSUID, self.nosuid);
        f.set(MsFlags::MS_NODEV, self.nodev);
        f.set(MsFlags::MS_NOEXEC, self.noexec);
        f
    }
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum MountOp {
    /// Stop mount propagation both ways: nothing the sandbox mounts appears on the host and the
    /// reverse.
    MakePrivate,
    /// A fresh tmpfs with these options (`mode=…,size=…`).
    Tmpfs {
        target: PathBuf,
        options: String,
        flags: Flags,
    },
    /// A (non-recursive) bind mount, then a remount to apply `flags`.
    Bind {
        source: PathBuf,
        target: PathBuf,
        flags: Flags,
    },
    /// A read-only overlay of `lowerdirs`; the FIRST entry is the top layer (overlayfs order).
    Overlay {
        lowerdirs: Vec<PathBuf>,
        target: PathBuf,
    },
    /// A fresh procfs (must be applied by a process inside the new PID namespace).
    Proc { target: PathBuf },
    /// `mkdir -p`.
    Mkdir { path: PathBuf },
    /// A symlink `link -> target`.
    Symlink { target: PathBuf, link: PathBuf },
    /// An empty file, used as a mount point.
    Touch { path: PathBuf },
    /// A character device node, mode 0666.
    CharDevice {
        path: PathBuf,
        major: u32,
        minor: u32,
    },
    /// Attach the per-sandbox /tmp, which the engine mounted on the host and passes in as a
    /// detached mount (`open_tree`): a mount made on the host after the init's mount namespace
    /// was copied would not be visible to it by path.
    AttachTmp { target: PathBuf },
    /// Remount an existing mount read-only with `flags` (used once the tree under it is built).
    RemountReadOnly { target: PathBuf, flags: Flags },
}

/// What the plan is built from.
pub(crate) struct PlanInput<'a> {
    /// Where the new root is assembled (a directory in the host tree; a tmpfs or overlay is
    /// mounted over it inside the sandbox's mount namespace).
    pub root: &'a Path,
    pub image: &'a ImageRoot,
    /// Per-sandbox `passwd` and `group` files naming the sandbox user.
    pub passwd: &'a Path,
    pub group: &'a Path,
    /// Per-sandbox `hosts` file, bound over a directory image's `/etc/hosts` so that
    /// `localhost` and `sandbox.localdomain` (where extensions' telemetry listeners live)
    /// resolve whatever the image ships. The host image writes its own.
    pub hosts: &'a Path,
    pub task_dir: &'a Path,
    pub layer_dirs: &'a [PathBuf],
    pub runtime_dir: Option<&'a Path>,
    /// A directory holding empty mount points for directory images (see [`skeleton_entries`]).
    pub skeleton: &'a Path,
}

/// Top-level names that a usrmerged system turns into symlinks into /usr.
const USR_SIBLINGS: [&str; 6] = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];
/// The character devices made in the sandbox's /dev: (name, major, minor), all mode 0666.
const DEVICES: [(&str, u32, u32); 6] = [
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
];

/// The directories and empty files a directory image needs as mount points, relative to the
/// skeleton directory; the engine creates them once.
pub(crate) fn skeleton_entries() -> (Vec<&'static str>, Vec<&'static str>) {
    (
        vec![
            "var/task",
            "var/runtime",
            "opt",
            "tmp",
            "dev",
            "proc",
            "etc",
        ],
        vec!["etc/passwd", "etc/group", "etc/hosts"],
    )
}

/// Rejects a path that overlayfs's option string cannot carry or that is not absolute.
pub(crate) fn check_mount_path(what: &str, path: &Path) -> Result<(), SandboxError> {
    let text = path.to_str().ok_or_else(|| {
        SandboxError::InvalidSpec(format!("{what} {} is not UTF-8", path.display()))
    })?;
    if !path.is_absolute() {
        return Err(SandboxError::InvalidSpec(format!(
            "{what} {text} is not absolute"
        )));
    }
    if text.contains([':', ',', '\\', '\n', '\0']) {
        return Err(SandboxError::InvalidSpec(format!(
            "{what} {text} contains a character a mount option cannot carry"
        )));
    }
    Ok(())
}

/// Builds the plan. It reads the host only to learn which of `/bin`, `/lib`, … are usrmerge
/// symlinks, so the sandbox gets the same symlinks rather than a second copy of /usr.
pub(crate) fn plan(k: &dyn Kernel, input: &PlanInput<'_>) -> Result<Vec<MountOp>, SandboxError> {
    let r = |rel: &str| input.root.join(rel);
    let mut ops = vec![MountOp::MakePrivate];

    match input.image {
        ImageRoot::Host { etc_dir } => {
            ops.push(MountOp::Tmpfs {
                target: input.root.into(),
                options: "mode=0755,size=64k".into(),
                flags: Flags::RW,
            });
            for dir in [
                "usr",
                "etc",
                "var/task",
                "var/runtime",
                "opt",
                "tmp",
                "dev",
                "proc",
            ] {
                ops.push(MountOp::Mkdir { path: r(dir) });
            }
            ops.push(MountOp::Bind {
                source: "/usr".into(),
                target: r("usr"),
                flags: Flags::RO,
            });
            for name in USR_SIBLINGS {
                let host = Path::new("/").join(name);
                match k.read_link(&host) {
                    Ok(Some(target)) => ops.push(MountOp::Symlink {
                        target,
                        link: r(name),
                    }),
                    Ok(None) if k.is_dir(&host) => {
                        ops.push(MountOp::Mkdir { path: r(name) });
                        ops.push(MountOp::Bind {
                            source: host,
                            target: r(name),
                            flags: Flags::RO,
                        });
                    }
                    // Absent (lib32 on most machines) or not a directory: nothing to show.
                    Ok(None) | Err(_) => {}
                }
            }
            ops.push(MountOp::Bind {
                source: etc_dir.clone(),
                target: r("etc"),
                flags: Flags::RO,
            });
        }
        ImageRoot::Directory { root } => {
            // The skeleton sits above the image so that the mount points exist even though the
            // image itself is never written.
            ops.push(MountOp::Overlay {
                lowerdirs: vec![input.skeleton.into(), root.clone()],
                target: input.root.into(),
            });
        }
    }

    ops.push(MountOp::Bind {
        source: input.passwd.into(),
        target: r("etc/passwd"),
        flags: Flags::RO,
    });
    ops.push(MountOp::Bind {
        source: input.group.into(),
        target: r("etc/group"),
        flags: Flags::RO,
    });
    if matches!(input.image, ImageRoot::Directory { .. }) {
        ops.push(MountOp::Bind {
            source: input.hosts.into(),
            target: r("etc/hosts"),
            flags: Flags::RO,
        });
    }
    ops.push(MountOp::Bind {
        source: input.task_dir.into(),
        target: r("var/task"),
        flags: Flags::RO,
    });
    match input.layer_dirs {
        [] => {}
        [only] => ops.push(MountOp::Bind {
            source: only.clone(),
            target: r("opt"),
            flags: Flags::RO,
        }),
        many => ops.push(MountOp::Overlay {
            // Lambda: the last layer listed wins. overlayfs: the first lowerdir is on top.
            lowerdirs: many.iter().rev().cloned().collect(),
            target: r("opt"),
        }),
    }
    if let Some(runtime) = input.runtime_dir {
        ops.push(MountOp::Bind {
            source: runtime.into(),
            target: r("var/runtime"),
            flags: Flags::RO,
        });
    }
    ops.push(MountOp::AttachTmp { target: r("tmp") });

    ops.extend(dev_ops(&r("dev")));
    ops.push(MountOp::Proc { target: r("proc") });
    if matches!(input.image, ImageRoot::Host { .. }) {
        ops.push(MountOp::RemountReadOnly {
            target: input.root.into(),
            flags: Flags::RO,
        });
    }
    Ok(ops)
}

/// A minimal /dev: a small tmpfs with the harmless character devices, /dev/shm, and the
/// /proc/self/fd symlinks; made read-only once built.
fn dev_ops(dev: &Path) -> Vec<MountOp> {
    let mut ops = vec![MountOp::Tmpfs {
        target: dev.into(),
        options: "mode=0755,size=64k".into(),
        flags: Flags {
            readonly: false,
            nosuid: true,
            nodev: false,
            noexec: true,
        },
    }];
    // mknod rather than bind mounts of the host's nodes, as the Firecracker jailer does: one
    // call instead of three mounts each, and the same devices.
    for (name, major, minor) in DEVICES {
        ops.push(MountOp::CharDevice {
            path: dev.join(name),
            major,
            minor,
        });
    }
    ops.push(MountOp::Mkdir {
        path: dev.join("shm"),
    });
    ops.push(MountOp::Tmpfs {
        target: dev.join("shm"),
        options: "mode=1777,size=64m".into(),
        flags: Flags {
            noexec: true,
            ..Flags::RW
        },
    });
    for (link, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        ops.push(MountOp::Symlink {
            target: target.into(),
            link: dev.join(link),
        });
    }
    ops.push(MountOp::RemountReadOnly {
        target: dev.into(),
        flags: Flags {
            readonly: true,
            nosuid: true,
            nodev: false,
            noexec: true,
        },
    });
    ops
}

mod apply;
pub(crate) use apply::apply;

#[cfg(test)]
#[path = "mount_plan_tests.rs"]
mod tests;
