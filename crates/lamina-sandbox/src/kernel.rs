//! The kernel behind a trait. Every host-side effect that the mount plan and the cgroup plan
//! make (mkdir, write a cgroup file, mount, pivot_root, …) goes through [`Kernel`], so those plans
//! are unit-tested with a recording fake and no root, while [`RealKernel`] makes the real calls.
//! Process creation (clone3, fork, exec) is not here: it cannot be faked usefully and is tested
//! end to end instead.

use std::fs;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags};

#[cfg(test)]
pub(crate) mod fake;

/// The system calls that sandbox set-up and tear-down need, in the shape the plans use them.
pub trait Kernel {
    /// `mkdir -p` with mode 0755 for the directories it creates.
    fn mkdir_all(&self, path: &Path) -> io::Result<()>;
    /// Creates or truncates `path` and writes `contents` in one `write` (cgroup files need one
    /// write per value).
    fn write_file(&self, path: &Path, contents: &[u8]) -> io::Result<()>;
    /// Reads a whole (small) file.
    fn read_to_string(&self, path: &Path) -> io::Result<String>;
    /// The target of `path` if it is a symlink, `None` if it is anything else.
    fn read_link(&self, path: &Path) -> io::Result<Option<PathBuf>>;
    /// Whether `path` exists (without following a final symlink).
    fn exists(&self, path: &Path) -> bool;
    /// Whether `path` is a directory (following symlinks).
    fn is_dir(&self, path: &Path) -> bool;
    /// Creates the symlink `link` pointing at `target`.
    fn symlink(&self, target: &Path, link: &Path) -> io::Result<()>;
    /// Creates an empty file (a mount point for a file bind mount).
    fn touch(&self, path: &Path) -> io::Result<()>;
    /// Creates the character device `path` (`major`:`minor`) with mode 0666.
    fn mknod_char(&self, path: &Path, major: u32, minor: u32) -> io::Result<()>;
    /// `mount(2)`.
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> io::Result<()>;
    /// `umount2(2)`, lazily (`MNT_DETACH`) when `detach`.
    fn umount(&self, target: &Path, detach: bool) -> io::Result<()>;
    /// Makes `new_root` the root of the calling process's mount namespace and detaches the old
    /// root, leaving the caller at `/`.
    fn pivot_root(&self, new_root: &Path) -> io::Result<()>;
    /// `rmdir(2)`.
    fn rmdir(&self, path: &Path) -> io::Result<()>;
    /// `rm -rf` on one file-system (callers unmount first).
    fn remove_dir_all(&self, path: &Path) -> io::Result<()>;
    /// The entries of a directory, as full paths.
    fn list_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>>;
    /// `kill(2)`: sends `signal` to the host pid `pid`.
    fn signal(&self, pid: i32, signal: i32) -> io::Result<()>;
    /// `move_mount(2)`: attaches the detached mount `tree` (from `open_tree`) at `target`.
    fn move_mount(&self, tree: BorrowedFd<'_>, target: &Path) -> io::Result<()>;
}

/// The real system calls.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealKernel;

impl Kernel for RealKernel {
    fn mkdir_all(&self, path: &Path) -> io::Result<()> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(path)
    }

    fn write_file(&self, path: &Path, contents: &[u8]) -> io::Result<()> {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        file.write_all(contents)
    }

    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        fs::read_to_string(path)
    }

    fn read_link(&self, path: &Path) -> io::Result<Option<PathBuf>> {
        let meta = fs::symlink_metadata(path)?;
        if meta.file_type().is_symlink() {
            fs::read_link(path).map(Some)
        } else {
            Ok(None)
        }
    }

    fn exists(&self, path: &Path) -> bool {
        fs::symlink_metadata(path).is_ok()
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn symlink(&self, target: &Path, link: &Path) -> io::Result<()> {
        std::os::unix::fs::symlink(target, link)
    }

    fn touch(&self, path: &Path) -> io::Result<()> {
        fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map(drop)
    }

    fn mknod_char(&self, path: &Path, major: u32, minor: u32) -> io::Result<()> {
        use nix::sys::stat::{Mode, SFlag};
        let mode = Mode::from_bits_truncate(0o666);
        nix::sys::stat::mknod(
            path,
            SFlag::S_IFCHR,
            mode,
            nix::sys::stat::makedev(major.into(), minor.into()),
        )?;
        // mknod applies the umask; the nodes must be usable by the sandbox user.
        nix::sys::stat::fchmodat(
            nix::fcntl::AT_FDCWD,
            path,
            mode,
            nix::sys::stat::FchmodatFlags::FollowSymlink,
        )?;
        Ok(())
    }

    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> io::Result<()> {
        nix::mount::mount(source, target, fstype, flags, data).map_err(io::Error::from)
    }

    fn umount(&self, target: &Path, detach: bool) -> io::Result<()> {
        let flags = if detach {
            MntFlags::MNT_DETACH
        } else {
            MntFlags::empty()
        };
        nix::mount::umount2(target, flags).map_err(io::Error::from)
    }

    fn pivot_root(&self, new_root: &Path) -> io::Result<()> {
        // pivot_root(".", ".") stacks the old root on top of the new one at "/", so one lazy
        // unmount of "." removes it without needing a put_old directory inside the image.
        nix::unistd::chdir(new_root)?;
        nix::unistd::pivot_root(".", ".")?;
        nix::mount::umount2(".", MntFlags::MNT_DETACH)?;
        nix::unistd::chdir("/")?;
        Ok(())
    }

    fn rmdir(&self, path: &Path) -> io::Result<()> {
        fs::remove_dir(path)
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        fs::remove_dir_all(path)
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        fs::read_dir(path)?
            .map(|entry| entry.map(|e| e.path()))
            .collect()
    }

    fn move_mount(&self, tree: BorrowedFd<'_>, target: &Path) -> io::Result<()> {
        let target = std::ffi::CString::new(target.as_os_str().as_encoded_bytes())
            .map_err(|_| io::Error::from_raw_os_error(nix::libc::EINVAL))?;
        // SAFETY: move_mount with a valid fd, an empty C string for its path (with
        // MOVE_MOUNT_F_EMPTY_PATH) and a NUL-terminated target path that outlives the call.
        let rc = unsafe {
            nix::libc::syscall(
                nix::libc::SYS_move_mount,
                tree.as_raw_fd(),
                c"".as_ptr(),
                nix::libc::AT_FDCWD,
                target.as_ptr(),
                nix::libc::MOVE_MOUNT_F_EMPTY_PATH,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    fn signal(&self, pid: i32, signal: i32) -> io::Result<()> {
        // SAFETY: kill(2) takes two integers and touches no memory of ours.
        let rc = unsafe { nix::libc::kill(pid, signal) };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

/// `open_tree(path, OPEN_TREE_CLONE)`: a detached copy of the mount at `path`, which another
/// mount namespace can attach with [`Kernel::move_mount`].
pub(crate) fn open_tree_clone(path: &Path) -> io::Result<OwnedFd> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| io::Error::from_raw_os_error(nix::libc::EINVAL))?;
    // SAFETY: open_tree with a NUL-terminated path that outlives the call; it returns a new fd.
    let fd = unsafe {
        nix::libc::syscall(
            nix::libc::SYS_open_tree,
            nix::libc::AT_FDCWD,
            c.as_ptr(),
            nix::libc::OPEN_TREE_CLONE | nix::libc::O_CLOEXEC as nix::libc::c_uint,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}
