//! What the sandbox's read-only `/` is made of. For the embedded default image `host`, this
//! machine's `/usr` (and the usrmerge symlinks or directories beside it) plus a small generated
//! `/etc` that holds only what programs need to run (name service, dynamic loader cache, CA
//! certificates, alternatives, time zone) and none of the host's secrets (no shadow, no ssh
//! keys, no `ssl/private`). For a debootstrapped image, a directory mounted read-only as `/`.
//!
//! It also writes the per-sandbox `passwd` and `group` files that name the sandbox user.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::SandboxError;

/// The root file system image of a sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRoot {
    /// The embedded default: the host's `/usr`, `/bin`, `/lib*`, `/sbin` read-only, and the
    /// filtered `/etc` generated in `etc_dir` by [`ImageRoot::host`].
    Host {
        /// The generated, filtered `/etc`.
        etc_dir: PathBuf,
    },
    /// A complete root file system (e.g. made by debootstrap), mounted read-only as `/`. Its own
    /// `/etc` is used, except `passwd` and `group`, which the sandbox replaces.
    Directory {
        /// The image's root directory.
        root: PathBuf,
    },
}

/// Single files copied from the host's /etc when present: name service, loader, protocol
/// tables, OS identity. Nothing that holds a credential.
const HOST_ETC_FILES: [&str; 14] = [
    "resolv.conf",
    "host.conf",
    "gai.conf",
    "ld.so.cache",
    "ld.so.conf",
    "protocols",
    "services",
    "networks",
    "mime.types",
    "os-release",
    "debian_version",
    "issue",
    "shells",
    "locale.alias",
];

/// Directories copied from the host's /etc (regular files and symlinks only).
const HOST_ETC_DIRS: [&str; 4] = [
    "ld.so.conf.d",
    "ssl/certs",
    "ca-certificates",
    "alternatives",
];

/// The name Lambda gives the function's user, kept for parity (`whoami` prints it).
pub const SANDBOX_USER: &str = "sbx_user1051";

impl ImageRoot {
    /// Generates the filtered `/etc` of the `host` image under `dir` (replacing any previous
    /// one) and returns the image. Call once at start-up, not per sandbox.
    pub fn host(dir: &Path, hostname: &str) -> Result<ImageRoot, SandboxError> {
        let etc = dir.join("etc");
        let staging = dir.join("etc.new");
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(|e| SandboxError::io("remove", &staging, e))?;
        }
        build_host_etc(Path::new("/etc"), &staging, hostname)
            .map_err(|e| SandboxError::io("generate etc", &staging, e))?;
        if etc.exists() {
            fs::remove_dir_all(&etc).map_err(|e| SandboxError::io("remove", &etc, e))?;
        }
        fs::rename(&staging, &etc).map_err(|e| SandboxError::io("rename", &staging, e))?;
        Ok(ImageRoot::Host { etc_dir: etc })
    }

    /// A directory image.
    pub fn directory(root: impl Into<PathBuf>) -> ImageRoot {
        ImageRoot::Directory { root: root.into() }
    }
}

/// Builds a filtered copy of `host_etc` in `out`.
pub(crate) fn build_host_etc(host_etc: &Path, out: &Path, hostname: &str) -> io::Result<()> {
    fs::create_dir_all(out)?;
    for name in HOST_ETC_FILES {
        copy_entry(&host_etc.join(name), &out.join(name))?;
    }
    for name in HOST_ETC_DIRS {
        let src = host_etc.join(name);
        if src.is_dir() {
            copy_tree(&src, &out.join(name))?;
        }
    }
    // ssl/openssl.cnf is configuration, ssl/private is keys: copy the first only.
    copy_entry(
        &host_etc.join("ssl/openssl.cnf"),
        &out.join("ssl/openssl.cnf"),
    )?;
    fs::write(out.join("hosts"), hosts_file(hostname))?;
    fs::write(out.join("hostname"), format!("{hostname}\n"))?;
    fs::write(
        out.join("nsswitch.conf"),
        "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n\
         protocols: files\nservices: files\nethers: files\nrpc: files\n",
    )?;
    // Lambda runs in UTC (TZ=UTC); the zone file comes from the image's /usr.
    std::os::unix::fs::symlink("/usr/share/zoneinfo/Etc/UTC", out.join("localtime"))?;
    fs::write(out.join("timezone"), "Etc/UTC\n")?;
    // Mount points for the per-sandbox files.
    fs::write(out.join("passwd"), "")?;
    fs::write(out.join("group"), "")?;
    Ok(())
}

/// A sandbox's `/etc/hosts`: loopback under `localhost`, the sandbox's hostname and
/// `sandbox.localdomain` (where extensions' telemetry listeners live, Lambda's name).
pub(crate) fn hosts_file(hostname: &str) -> String {
    format!(
        "127.0.0.1\tlocalhost {hostname} sandbox.localdomain sandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    )
}

/// Copies one regular file or symlink; a missing source is skipped.
fn copy_entry(src: &Path, dst: &Path) -> io::Result<()> {
    let meta = match fs::symlink_metadata(src) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if let Some(parent) = dst.parent() {
        fs::create_dir_all(parent)?;
    }
    if meta.file_type().is_symlink() {
        std::os::unix::fs::symlink(fs::read_link(src)?, dst)
    } else if meta.is_file() {
        fs::copy(src, dst).map(drop)
    } else {
        Ok(())
    }
}

/// Copies a tree of directories, regular files and symlinks (symlinks as symlinks).
fn copy_tree(src: &Path, dst: &Path) -> io::Result<()> {
    fs::create_dir_all(dst)?;
    for entry in fs::read_dir(src)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let to = dst.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &to)?;
        } else {
            copy_entry(&entry.path(), &to)?;
        }
    }
    Ok(())
}

/// The per-sandbox `passwd`: root (owner of the image files), the sandbox user, nobody.
pub(crate) fn passwd_file(uid: u32, gid: u32) -> String {
    format!(
        "root:x:0:0:root:/root:/usr/sbin/nologin\n\
         {SANDBOX_USER}:x:{uid}:{gid}::/tmp:/usr/sbin/nologin\n\
         nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    )
}

/// The per-sandbox `group`.
pub(crate) fn group_file(gid: u32) -> String {
    format!("root:x:0:\n{SANDBOX_USER}:x:{gid}:\nnogroup:x:65534:\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_etc_keeps_only_the_allowlist() {
        let host = tempfile::tempdir().unwrap();
        let h = host.path();
        fs::write(h.join("shadow"), "root:$6$secret").unwrap();
        fs::write(h.join("resolv.conf"), "nameserver 10.0.0.1\n").unwrap();
        fs::create_dir_all(h.join("ssl/private")).unwrap();
        fs::write(h.join("ssl/private/key.pem"), "KEY").unwrap();
        fs::create_dir_all(h.join("ssl/certs")).unwrap();
        fs::write(h.join("ssl/certs/ca.crt"), "CERT").unwrap();
        std::os::unix::fs::symlink("ca.crt", h.join("ssl/certs/abcd.0")).unwrap();
        fs::create_dir_all(h.join("alternatives")).unwrap();
        std::os::unix::fs::symlink("/usr/bin/mawk", h.join("alternatives/awk")).unwrap();
        fs::create_dir_all(h.join("ssh")).unwrap();
        fs::write(h.join("ssh/ssh_host_rsa_key"), "KEY").unwrap();

        let out = tempfile::tempdir().unwrap();
        let o = out.path().join("etc");
        build_host_etc(h, &o, "lamina").unwrap();

        assert!(!o.join("shadow").exists());
        assert!(!o.join("ssl/private").exists());
        assert!(!o.join("ssh").exists());
        assert_eq!(
            fs::read_to_string(o.join("ssl/certs/ca.crt")).unwrap(),
            "CERT"
        );
        assert_eq!(
            fs::read_link(o.join("ssl/certs/abcd.0")).unwrap(),
            Path::new("ca.crt")
        );
        assert_eq!(
            fs::read_link(o.join("alternatives/awk")).unwrap(),
            Path::new("/usr/bin/mawk")
        );
        assert_eq!(
            fs::read_to_string(o.join("resolv.conf")).unwrap(),
            "nameserver 10.0.0.1\n"
        );
        assert!(
            fs::read_to_string(o.join("hosts"))
                .unwrap()
                .contains("localhost lamina")
        );
        assert_eq!(fs::read_to_string(o.join("passwd")).unwrap(), "");
    }

    #[test]
    fn passwd_names_the_sandbox_user() {
        let p = passwd_file(20001, 20001);
        assert!(p.contains("sbx_user1051:x:20001:20001::/tmp:"));
        assert!(!p.contains("$"));
        assert!(group_file(20001).contains("sbx_user1051:x:20001:"));
    }
}
