//! Running a command inside an image's root file system: in a private mount namespace,
//! optionally over a throw-away overlay, with `/proc`, `/dev` and chosen folders mounted,
//! then `chroot`. Used to install packages while building, to ask interpreters their
//! versions while probing, and by `lamina build`.
//!
//! Every mount is made inside a mount namespace private to the child process, so the kernel
//! removes them all when the child exits — on success, failure, Ctrl-C or `kill -9` alike.
//! No cleanup code can forget one, and deleting a failed build's folder can never reach the
//! host's `/dev` through a leftover bind mount.
//!
//! This is not the function sandbox (`lamina-sandbox`): a build or `apt-get` runs as root
//! with the host's network, no seccomp and no cgroup limits, because it is the operator's
//! own command on the operator's machine, and `apt-get` needs root inside the image.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};

use crate::error::ImagesError;

/// `PATH` inside images.
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A host folder mounted inside the image.
#[derive(Debug, Clone)]
pub struct Bind {
    /// The host folder.
    pub host: PathBuf,
    /// Where it appears inside (absolute).
    pub inside: String,
    /// Whether the command may write to it.
    pub writable: bool,
}

/// A command to run inside a root file system.
#[derive(Debug, Clone)]
pub struct RootCommand {
    root: PathBuf,
    argv: Vec<String>,
    cwd: String,
    binds: Vec<Bind>,
    overlay: Option<PathBuf>,
    env: Vec<(String, String)>,
}

/// Paths prepared before `fork`, so the child only makes system calls.
struct Plan {
    new_root: CString,
    overlay: Option<(CString, CString)>,
    proc_dir: CString,
    dev_dir: CString,
    binds: Vec<(CString, CString, bool)>,
    cwd: CString,
}

fn cstring(p: &Path) -> Result<CString, ImagesError> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| {
        ImagesError::io(
            "use",
            p,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "path holds a NUL byte"),
        )
    })
}

impl RootCommand {
    /// `argv` inside `root`, in `/`, with `/proc` and `/dev` mounted and `root` written to
    /// directly (what `apt-get` needs while building).
    pub fn new(root: impl Into<PathBuf>, argv: Vec<String>) -> Self {
        Self {
            root: root.into(),
            argv,
            cwd: "/".into(),
            binds: Vec::new(),
            overlay: None,
            env: vec![
                ("PATH".into(), PATH.into()),
                ("HOME".into(), "/root".into()),
                ("LANG".into(), "C.UTF-8".into()),
                ("DEBIAN_FRONTEND".into(), "noninteractive".into()),
            ],
        }
    }

    /// Leaves `root` untouched: writes go to an overlay whose upper layer lives in `scratch`
    /// (removed by the caller afterwards).
    pub fn overlay(mut self, scratch: impl Into<PathBuf>) -> Self {
        self.overlay = Some(scratch.into());
        self
    }

    /// Mounts `bind` inside.
    pub fn bind(mut self, bind: Bind) -> Self {
        self.binds.push(bind);
        self
    }

    /// Starts in `cwd` (inside the image).
    pub fn cwd(mut self, cwd: impl Into<String>) -> Self {
        self.cwd = cwd.into();
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Copies the host's `/etc/resolv.conf` to `etc/resolv.conf` under `dir` (the image, or
    /// the overlay's upper layer), so names resolve with the host's network.
    fn copy_resolv_conf(dir: &Path) -> Result<(), ImagesError> {
        let etc = dir.join("etc");
        std::fs::create_dir_all(&etc).map_err(|e| ImagesError::io("create", &etc, e))?;
        let target = etc.join("resolv.conf");
        // A symlink (to systemd-resolved's file) would point outside; replace it.
        if target.symlink_metadata().is_ok() {
            std::fs::remove_file(&target).map_err(|e| ImagesError::io("remove", &target, e))?;
        }
        if let Ok(text) = std::fs::read("/etc/resolv.conf") {
            std::fs::write(&target, text).map_err(|e| ImagesError::io("write", &target, e))?;
        }
        Ok(())
    }

    /// Creates mount points and the overlay's folders; returns the paths the child needs.
    fn prepare(&self) -> Result<Plan, ImagesError> {
        let mkdir =
            |p: &Path| std::fs::create_dir_all(p).map_err(|e| ImagesError::io("create", p, e));
        // Mount points are created where the child will see them: in the upper layer of an
        // overlay (the image stays untouched) or in the image itself.
        let (visible, new_root, overlay) = match &self.overlay {
            Some(scratch) => {
                let (upper, work, merged) = (
                    scratch.join("upper"),
                    scratch.join("work"),
                    scratch.join("merged"),
                );
                for d in [&upper, &work, &merged] {
                    mkdir(d)?;
                }
                let opts = format!(
                    "lowerdir={},upperdir={},workdir={}",
                    self.root.display(),
                    upper.display(),
                    work.display()
                );
                let opts = CString::new(opts).map_err(|_| {
                    ImagesError::io(
                        "use",
                        scratch,
                        std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in path"),
                    )
                })?;
                (upper, merged.clone(), Some((cstring(&merged)?, opts)))
            }
            None => (self.root.clone(), self.root.clone(), None),
        };
        Self::copy_resolv_conf(&visible)?;
        for d in ["proc", "dev"] {
            mkdir(&visible.join(d))?;
        }
        let mut binds = Vec::new();
        for b in &self.binds {
            let inside = b.inside.trim_start_matches('/');
            mkdir(&visible.join(inside))?;
            binds.push((
                cstring(&b.host)?,
                cstring(&new_root.join(inside))?,
                b.writable,
            ));
        }
        Ok(Plan {
            proc_dir: cstring(&new_root.join("proc"))?,
            dev_dir: cstring(&new_root.join("dev"))?,
            new_root: cstring(&new_root)?,
            overlay,
            binds,
            cwd: cstring(Path::new(&self.cwd))?,
        })
    }

    /// A `Command` ready to spawn (stdio is the caller's choice). Creates mount points first.
    pub fn command(&self) -> Result<Command, ImagesError> {
        let plan = self.prepare()?;
        let Some((program, args)) = self.argv.split_first() else {
            return Err(ImagesError::Step {
                step: "run".into(),
                detail: "empty command".into(),
            });
        };
        let mut cmd = Command::new(program);
        cmd.args(args).env_clear().envs(self.env.iter().cloned());
        // SAFETY: the closure runs in the forked child before exec. It only makes system
        // calls (unshare, mount, chroot, chdir) on strings prepared before the fork, and
        // allocates nothing, so it is safe even though the parent may have other threads.
        unsafe {
            cmd.pre_exec(move || enter(&plan).map_err(std::io::Error::from));
        }
        Ok(cmd)
    }
}

/// In the child: a private mount namespace, the mounts, then `chroot`.
fn enter(plan: &Plan) -> nix::Result<()> {
    let none: Option<&str> = None;
    unshare(CloneFlags::CLONE_NEWNS)?;
    // Private: nothing mounted here propagates back to the host's namespace.
    mount(none, "/", none, MsFlags::MS_REC | MsFlags::MS_PRIVATE, none)?;
    if let Some((merged, opts)) = &plan.overlay {
        mount(
            Some(c"overlay"),
            merged.as_c_str(),
            Some(c"overlay"),
            MsFlags::empty(),
            Some(opts.as_c_str()),
        )?;
    }
    mount(
        Some(c"proc"),
        plan.proc_dir.as_c_str(),
        Some(c"proc"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        none,
    )?;
    mount(
        Some(c"/dev"),
        plan.dev_dir.as_c_str(),
        none,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        none,
    )?;
    for (host, inside, writable) in &plan.binds {
        mount(
            Some(host.as_c_str()),
            inside.as_c_str(),
            none,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            none,
        )?;
        if !writable {
            mount(
                none,
                inside.as_c_str(),
                none,
                MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
                none,
            )?;
        }
    }
    nix::unistd::chroot(plan.new_root.as_c_str())?;
    nix::unistd::chdir(plan.cwd.as_c_str())?;
    Ok(())
}

/// Runs `cmd` to completion, capturing its output; an error names `step` and the end of
/// stderr when it fails.
pub fn run_captured(step: &str, cmd: &mut Command) -> Result<String, ImagesError> {
    let out = cmd.output().map_err(|e| ImagesError::Step {
        step: step.into(),
        detail: e.to_string(),
    })?;
    if !out.status.success() {
        return Err(ImagesError::Step {
            step: step.into(),
            detail: format!(
                "{}: {}",
                out.status,
                tail(&String::from_utf8_lossy(&out.stderr))
            ),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The last lines of `text`, for error messages.
pub fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(8)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_ok() -> bool {
        nix::unistd::geteuid().is_root()
    }

    #[test]
    fn overlay_leaves_the_image_untouched_and_bind_is_writable() {
        if !root_ok() {
            eprintln!("skipped: needs root");
            return;
        }
        // A tiny image: usr-merge symlinks, and the host's /usr bound read-only into it.
        let image = tempfile::tempdir().unwrap();
        std::fs::create_dir(image.path().join("usr")).unwrap();
        for (l, t) in [
            ("bin", "usr/bin"),
            ("lib", "usr/lib"),
            ("lib64", "usr/lib64"),
        ] {
            std::os::unix::fs::symlink(t, image.path().join(l)).unwrap();
        }
        let scratch = tempfile::tempdir().unwrap();
        let src = tempfile::tempdir().unwrap();
        let mut cmd = RootCommand::new(
            image.path(),
            vec![
                "/bin/sh".into(),
                "-c".into(),
                "echo built > /src/out && echo junk > /junk && pwd".into(),
            ],
        )
        .overlay(scratch.path())
        .bind(Bind {
            host: "/usr".into(),
            inside: "/usr".into(),
            writable: false,
        })
        .bind(Bind {
            host: src.path().into(),
            inside: "/src".into(),
            writable: true,
        })
        .cwd("/src")
        .command()
        .unwrap();
        let out = run_captured("sh", &mut cmd).unwrap();
        assert_eq!(out.trim(), "/src");
        assert_eq!(
            std::fs::read_to_string(src.path().join("out")).unwrap(),
            "built\n"
        );
        assert!(!image.path().join("junk").exists());
        assert!(scratch.path().join("upper/junk").exists());
        // The mounts died with the child: nothing is mounted on the scratch folder now.
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        assert!(!mounts.contains(&scratch.path().display().to_string()));
    }
}
