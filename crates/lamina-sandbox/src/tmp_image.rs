//! The disk-backed `/tmp` of a sandbox: a sparse file formatted as ext4 (no journal), attached
//! to a loop device and mounted on the host at `<sandbox dir>/tmp`. It holds Lambda's
//! `EphemeralStorage` promise: its size is the function's setting (512–10240 MB) and its pages
//! are ordinary page cache over a block device, so a 128 MB function can write 400 MB there
//! (the kernel writes dirty pages back instead of OOM-killing), and writing past the size
//! gives `ENOSPC`. A tmpfs could not do this: its pages are anonymous memory charged to the
//! writer's memory cgroup.
//!
//! Making one costs a `mkfs.ext4` run and a loop attach (some 30–70 ms), so
//! [`crate::PreparedInit`] makes one of the default size ahead of time; other sizes are made
//! when the sandbox starts. The loop device is attached with `LO_FLAGS_AUTOCLEAR`, so it goes
//! away with its last mount; the image file lives in the sandbox's run directory and is
//! removed with it.
//!
//! Not here: mounting inside the sandbox (the init attaches a detached clone of this mount,
//! see `sandbox/start.rs`) and unmounting (the sandbox's teardown and `reap.rs` do it lazily).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::libc;
use nix::mount::MsFlags;

use crate::error::SandboxError;
use crate::kernel::Kernel;

/// The `/tmp` size a prepared init makes ahead of time: Lambda's default `EphemeralStorage`.
pub const DEFAULT_TMP_MB: u64 = 512;

/// The image file's name inside a sandbox's run directory.
const IMAGE_NAME: &str = "tmp.img";

const MIB: u64 = 1024 * 1024;

// From <linux/loop.h>; the libc crate does not carry the loop device API.
const LOOP_CTL_GET_FREE: libc::c_ulong = 0x4C82;
const LOOP_CONFIGURE: libc::c_ulong = 0x4C0A;
const LO_FLAGS_AUTOCLEAR: u32 = 4;
const LO_FLAGS_DIRECT_IO: u32 = 16;

/// `struct loop_info64`.
#[repr(C)]
struct LoopInfo64 {
    lo_device: u64,
    lo_inode: u64,
    lo_rdevice: u64,
    lo_offset: u64,
    lo_sizelimit: u64,
    lo_number: u32,
    lo_encrypt_type: u32,
    lo_encrypt_key_size: u32,
    lo_flags: u32,
    lo_file_name: [u8; 64],
    lo_crypt_name: [u8; 64],
    lo_encrypt_key: [u8; 32],
    lo_init: [u64; 2],
}

/// `struct loop_config`.
#[repr(C)]
struct LoopConfig {
    fd: u32,
    block_size: u32,
    info: LoopInfo64,
    reserved: [u64; 8],
}

/// How large the image file must be for about `size_mb` MiB to be writable once formatted and
/// mounted: ext4's inode tables (one 256-byte inode per 16 KiB) and bitmaps come out of the
/// image, and ext4 holds back 2% of the blocks (at most 16 MiB) for delayed allocation, so
/// both are added on top. Measured by filling a mounted image with `dd` from 4 MiB to 2 GiB:
/// a file stops within 0.3% of `size_mb` (a few hundred KiB either side for the smallest).
pub(crate) fn image_bytes(size_mb: u64) -> u64 {
    let size = size_mb * MIB;
    let delalloc_reserve = (size / 49).min(16 * MIB);
    size + size / 64 + size / 1024 + MIB / 2 + delalloc_reserve
}

/// Makes `<dir>/tmp.img` of `size_mb` and mounts it at `<dir>/tmp` (which must exist), owned by
/// root with mode 1777 and empty (no `lost+found`). On error nothing stays mounted; the image
/// file may remain in `dir` for the caller's removal of the directory to take.
pub(crate) fn make(k: &dyn Kernel, dir: &Path, size_mb: u64) -> Result<PathBuf, SandboxError> {
    let image = dir.join(IMAGE_NAME);
    let target = dir.join("tmp");
    let file = File::create(&image).map_err(|e| SandboxError::io("create", &image, e))?;
    file.set_len(image_bytes(size_mb))
        .map_err(|e| SandboxError::io("truncate", &image, e))?;
    drop(file);
    format(&image)?;
    let loop_dev = attach_loop(&image)?;
    // The loop device clears itself on the last unmount; if the mount fails there is none, so
    // it is detached by closing its fd below (autoclear also fires on the last close).
    let mounted = k.mount(
        Some(&loop_dev.path),
        &target,
        Some("ext4"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOATIME,
        None,
    );
    drop(loop_dev.file);
    mounted.map_err(|e| SandboxError::io("mount /tmp image", &target, e))?;
    let finish = || -> io::Result<()> {
        std::fs::remove_dir(target.join("lost+found"))?;
        nix::sys::stat::fchmodat(
            nix::fcntl::AT_FDCWD,
            &target,
            nix::sys::stat::Mode::from_bits_truncate(0o1777),
            nix::sys::stat::FchmodatFlags::FollowSymlink,
        )?;
        Ok(())
    };
    if let Err(e) = finish() {
        let _ = k.umount(&target, true);
        return Err(SandboxError::io("prepare /tmp image", &target, e));
    }
    Ok(target)
}

/// Runs `mkfs.ext4` on `image`: 4 KiB blocks, no journal (nothing in `/tmp` outlives the
/// sandbox, so there is nothing to recover), no reserved blocks, lazy inode-table
/// initialisation so the sparse file stays sparse.
fn format(image: &Path) -> Result<(), SandboxError> {
    let out = Command::new(mkfs_path())
        .args([
            "-q",
            "-F",
            "-b",
            "4096",
            "-m",
            "0",
            "-O",
            "^has_journal,^resize_inode",
            "-E",
            "lazy_itable_init=1,nodiscard",
        ])
        .arg(image)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| SandboxError::io("run mkfs.ext4 for", image, e))?;
    if !out.status.success() {
        return Err(SandboxError::io(
            "mkfs.ext4",
            image,
            io::Error::other(format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )),
        ));
    }
    Ok(())
}

/// `mkfs.ext4` from the sbin folders when they are not on `PATH` (a root shell's `PATH`
/// usually has them; a service's may not).
fn mkfs_path() -> PathBuf {
    for dir in ["/usr/sbin", "/sbin"] {
        let p = Path::new(dir).join("mkfs.ext4");
        if p.exists() {
            return p;
        }
    }
    PathBuf::from("mkfs.ext4")
}

/// An attached loop device and an open fd on it.
struct LoopDevice {
    path: PathBuf,
    file: File,
}

/// Attaches `image` to a free loop device (the kernel makes one when none is free) with
/// autoclear and, where the backing filesystem allows it, direct I/O (so the image's pages are
/// not cached twice).
fn attach_loop(image: &Path) -> Result<LoopDevice, SandboxError> {
    let control = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/loop-control")
        .map_err(|e| SandboxError::io("open", Path::new("/dev/loop-control"), e))?;
    let backing = OpenOptions::new()
        .read(true)
        .write(true)
        .open(image)
        .map_err(|e| SandboxError::io("open", image, e))?;
    // Another process may take the free device between GET_FREE and CONFIGURE (EBUSY): ask
    // again.
    for _ in 0..16 {
        // SAFETY: LOOP_CTL_GET_FREE takes no argument and returns a device number or -1.
        let n = unsafe { libc::ioctl(control.as_raw_fd(), LOOP_CTL_GET_FREE as _) };
        if n < 0 {
            return Err(SandboxError::io(
                "get a free loop device from",
                Path::new("/dev/loop-control"),
                io::Error::last_os_error(),
            ));
        }
        let path = PathBuf::from(format!("/dev/loop{n}"));
        let dev = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(SandboxError::io("open", &path, e)),
        };
        let mut result = configure(&dev, &backing, LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO);
        if matches!(&result, Err(e) if e.raw_os_error() == Some(libc::EINVAL)) {
            result = configure(&dev, &backing, LO_FLAGS_AUTOCLEAR);
        }
        match result {
            Ok(()) => return Ok(LoopDevice { path, file: dev }),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => continue,
            Err(e) => return Err(SandboxError::io("attach loop device", &path, e)),
        }
    }
    Err(SandboxError::io(
        "attach loop device for",
        image,
        io::Error::other("every free loop device was taken first"),
    ))
}

fn configure(dev: &File, backing: &File, flags: u32) -> io::Result<()> {
    let cfg = LoopConfig {
        fd: backing.as_raw_fd() as u32,
        block_size: 0,
        info: LoopInfo64 {
            lo_device: 0,
            lo_inode: 0,
            lo_rdevice: 0,
            lo_offset: 0,
            lo_sizelimit: 0,
            lo_number: 0,
            lo_encrypt_type: 0,
            lo_encrypt_key_size: 0,
            lo_flags: flags,
            lo_file_name: [0; 64],
            lo_crypt_name: [0; 64],
            lo_encrypt_key: [0; 32],
            lo_init: [0; 2],
        },
        reserved: [0; 8],
    };
    // SAFETY: LOOP_CONFIGURE reads a `struct loop_config` that lives across the call.
    let r = unsafe { libc::ioctl(dev.as_raw_fd(), LOOP_CONFIGURE as _, &cfg) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_grows_by_ext4s_overhead() {
        assert_eq!(
            image_bytes(512),
            512 * MIB + 8 * MIB + MIB / 2 + MIB / 2 + 512 * MIB / 49
        );
        // The delayed-allocation reserve stops growing at 16 MiB.
        assert_eq!(
            image_bytes(10_240) - 10_240 * MIB,
            160 * MIB + 10 * MIB + MIB / 2 + 16 * MIB
        );
    }

    #[test]
    fn loop_config_has_the_kernels_layout() {
        assert_eq!(std::mem::size_of::<LoopInfo64>(), 232);
        assert_eq!(std::mem::size_of::<LoopConfig>(), 304);
    }
}
