//! Executing a mount plan through the [`Kernel`] trait (in the sandbox init, inside the new
//! mount namespace; in unit tests, against the recording fake).

use std::os::fd::BorrowedFd;
use std::path::Path;

use nix::mount::MsFlags;

use super::{Flags, MountOp};
use crate::error::SandboxError;
use crate::kernel::Kernel;

/// Applies a plan, stopping at the first failure with a message naming the step. `tmp` is
/// the detached /tmp mount for [`MountOp::AttachTmp`].
pub(crate) fn apply(
    k: &dyn Kernel,
    ops: &[MountOp],
    tmp: Option<BorrowedFd<'_>>,
) -> Result<(), SandboxError> {
    for op in ops {
        apply_one(k, op, tmp)?;
    }
    Ok(())
}

fn apply_one(
    k: &dyn Kernel,
    op: &MountOp,
    tmp: Option<BorrowedFd<'_>>,
) -> Result<(), SandboxError> {
    let none: Option<&Path> = None;
    match op {
        MountOp::AttachTmp { target } => {
            let tree = tmp.ok_or_else(|| {
                SandboxError::io(
                    "attach /tmp",
                    target,
                    std::io::Error::other("no /tmp mount was passed"),
                )
            })?;
            k.move_mount(tree, target)
                .map_err(|e| SandboxError::io("attach /tmp", target, e))
        }
        MountOp::MakePrivate => k
            .mount(
                none,
                Path::new("/"),
                None,
                MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                None,
            )
            .map_err(|e| SandboxError::io("make private", "/", e)),
        MountOp::Tmpfs {
            target,
            options,
            flags,
        } => k
            .mount(
                Some(Path::new("tmpfs")),
                target,
                Some("tmpfs"),
                flags.bits(),
                Some(options),
            )
            .map_err(|e| SandboxError::io("mount tmpfs", target, e)),
        MountOp::Bind {
            source,
            target,
            flags,
        } => {
            k.mount(Some(source), target, None, MsFlags::MS_BIND, None)
                .map_err(|e| SandboxError::io("bind mount", source, e))?;
            // Flags on a bind mount only take effect through a remount of that mount.
            let bits = flags.bits();
            if !bits.is_empty() {
                k.mount(
                    none,
                    target,
                    None,
                    MsFlags::MS_REMOUNT | MsFlags::MS_BIND | bits,
                    None,
                )
                .map_err(|e| SandboxError::io("remount bind", target, e))?;
            }
            Ok(())
        }
        MountOp::Overlay { lowerdirs, target } => {
            let joined: Vec<String> = lowerdirs.iter().map(|p| p.display().to_string()).collect();
            let data = format!("lowerdir={}", joined.join(":"));
            k.mount(
                Some(Path::new("overlay")),
                target,
                Some("overlay"),
                Flags::RO.bits(),
                Some(&data),
            )
            .map_err(|e| SandboxError::io("mount overlay", target, e))
        }
        MountOp::Proc { target } => k
            .mount(
                Some(Path::new("proc")),
                target,
                Some("proc"),
                MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
                None,
            )
            .map_err(|e| SandboxError::io("mount proc", target, e)),
        MountOp::Mkdir { path } => k
            .mkdir_all(path)
            .map_err(|e| SandboxError::io("mkdir", path, e)),
        MountOp::Symlink { target, link } => k
            .symlink(target, link)
            .map_err(|e| SandboxError::io("symlink", link, e)),
        MountOp::Touch { path } => k
            .touch(path)
            .map_err(|e| SandboxError::io("touch", path, e)),
        MountOp::CharDevice { path, major, minor } => k
            .mknod_char(path, *major, *minor)
            .map_err(|e| SandboxError::io("mknod", path, e)),
        MountOp::RemountReadOnly { target, flags } => k
            .mount(
                none,
                target,
                None,
                MsFlags::MS_REMOUNT | flags.bits() | MsFlags::MS_RDONLY,
                None,
            )
            .map_err(|e| SandboxError::io("remount read-only", target, e)),
    }
}
