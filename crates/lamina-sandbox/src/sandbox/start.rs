//! Starting a sandbox: the host-side preparation (run directory, `/tmp`, passwd, limits, mount
//! plan) and the hand-over of the spec to a waiting init, then waiting for it to report that
//! the runtime was exec'd.

use std::os::fd::AsFd;
use std::path::Path;

use super::{Running, START_TIMEOUT, Sandbox};
use crate::cgroup::Limits;
use crate::error::SandboxError;
use crate::image::{self, ImageRoot};
use crate::init::{EXTENSIONS_STARTED, InitSpec};
use crate::kernel::{Kernel, RealKernel};
use crate::mount_plan::{self, PlanInput};
use crate::netns::Network;
use crate::peak::PeakFile;
use crate::prepared::PreparedInit;
use crate::spawn;
use crate::spec::{self, SandboxConfig, SandboxSpec};
use crate::tmp_image;

impl Sandbox {
    /// Builds the sandbox and starts its runtime; returns once `argv` has been exec'd inside
    /// (or with [`SandboxError::Exec`] if it could not be). Blocking; call it from
    /// `spawn_blocking` in async code. Needs root. This clones the init on the spot (about
    /// 10 ms more on cgroup v1); [`Sandbox::start_prepared`] with a pooled [`PreparedInit`]
    /// does not.
    pub fn start(spec: SandboxSpec, cfg: &SandboxConfig) -> Result<Sandbox, SandboxError> {
        spec::validate(&spec)?;
        let prepared = PreparedInit::with_tmp(&spec.id, cfg, spec.tmp_size_mb)?;
        Sandbox::start_prepared(prepared, spec, cfg)
    }

    /// Like [`Sandbox::start`], with an init cloned ahead of time. The sandbox keeps the
    /// prepared init's cgroups (named after its id, which may differ from `spec.id`), and its
    /// `/tmp` image when that has the size `spec` asks for.
    pub fn start_prepared(
        prepared: PreparedInit,
        spec: SandboxSpec,
        cfg: &SandboxConfig,
    ) -> Result<Sandbox, SandboxError> {
        spec::validate(&spec)?;
        let k = RealKernel;
        let dir = cfg.sandboxes_dir().join(&spec.id);
        // `Sandbox::start` prepares its init under the sandbox's own id, so its directory is
        // already the sandbox's.
        let own_dir = prepared.id() == spec.id;
        if !own_dir && k.exists(&dir) {
            return Err(SandboxError::InvalidSpec(format!(
                "sandbox id {} is already in use ({} exists)",
                spec.id,
                dir.display()
            )));
        }
        let (cgroup, pending, prepared_tmp) = prepared.into_parts()?;
        let root = dir.join("root");
        let tmp_dir = dir.join("tmp");
        // From here on, dropping `sb` (on any error) undoes what was made; until `launch`
        // takes it over, the waiting init is killed by `pending`'s owner below.
        let mut sb = Sandbox {
            id: spec.id.clone(),
            dir: dir.clone(),
            tmp_dir: tmp_dir.clone(),
            init_exe: cfg.init_exe.clone(),
            sandboxes_dir: cfg.sandboxes_dir(),
            init_spec: Vec::new(),
            peak: PeakFile::open(&cgroup),
            cgroup,
            network: spec.network,
            stdout: spec.stdout,
            stderr: spec.stderr,
            running: Some(Running::new(
                pending.child.pid,
                pending.child.pidfd,
                pending.status,
            )),
            exit: None,
            oom_baseline: 0,
            torn_down: false,
            extensions: !spec.extensions.is_empty(),
        };
        let spec_tx = pending.spec_tx;

        let mkdir = |p: &Path| k.mkdir_all(p).map_err(|e| SandboxError::io("mkdir", p, e));
        // /tmp is mounted in the host's namespace so it outlives the sandbox's processes. The
        // prepared init's image is taken over by renaming its directory (a rename keeps the
        // mount inside it); one of another size is replaced by a fresh image.
        match prepared_tmp {
            Some((prep_dir, size)) if size == spec.tmp_size_mb => {
                if prep_dir != dir {
                    nix::fcntl::renameat2(
                        nix::fcntl::AT_FDCWD,
                        &prep_dir,
                        nix::fcntl::AT_FDCWD,
                        &dir,
                        nix::fcntl::RenameFlags::RENAME_NOREPLACE,
                    )
                    .map_err(|e| {
                        crate::prepared::remove_tmp_dir(&k, &prep_dir);
                        SandboxError::io("rename", &prep_dir, e.into())
                    })?;
                }
            }
            other => {
                if let Some((prep_dir, _)) = other {
                    crate::prepared::remove_tmp_dir(&k, &prep_dir);
                }
                mkdir(&tmp_dir)?;
                tmp_image::make(&k, &dir, spec.tmp_size_mb)?;
            }
        }
        mkdir(&root)?;
        let passwd = dir.join("passwd");
        let group = dir.join("group");
        k.write_file(&passwd, image::passwd_file(spec.uid, spec.gid).as_bytes())
            .map_err(|e| SandboxError::io("write", &passwd, e))?;
        k.write_file(&group, image::group_file(spec.gid).as_bytes())
            .map_err(|e| SandboxError::io("write", &group, e))?;
        let hosts = dir.join("hosts");
        k.write_file(&hosts, image::hosts_file(&cfg.hostname).as_bytes())
            .map_err(|e| SandboxError::io("write", &hosts, e))?;
        if matches!(spec.image, ImageRoot::Directory { .. }) {
            ensure_skeleton(&k, &cfg.skeleton_dir())?;
        }
        sb.cgroup.set_limits(
            &k,
            Limits {
                memory_mb: spec.memory_mb,
                pids_max: spec.pids_max,
            },
        )?;

        let skeleton = cfg.skeleton_dir();
        let mounts = mount_plan::plan(
            &k,
            &PlanInput {
                root: &root,
                image: &spec.image,
                passwd: &passwd,
                group: &group,
                hosts: &hosts,
                task_dir: &spec.task_dir,
                layer_dirs: &spec.layer_dirs,
                runtime_dir: spec.runtime_dir.as_deref(),
                skeleton: &skeleton,
            },
        )?;
        let init_spec = InitSpec {
            id: spec.id.clone(),
            root,
            mounts,
            hostname: cfg.hostname.clone(),
            join_netns: matches!(sb.network, Network::Isolated(_)),
            argv: spec.argv,
            env: spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            extensions: spec.extensions,
            extension_env: spec
                .extension_env
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
            cwd: spec.cwd,
            uid: spec.uid,
            gid: spec.gid,
            nofile: spec.nofile,
        };
        sb.init_spec = serde_json::to_vec(&init_spec)
            .map_err(|e| SandboxError::InvalidSpec(format!("serialise init spec: {e}")))?;
        sb.launch(spec_tx)?;
        Ok(sb)
    }

    /// Sends the spec to the waiting init in `self.running` and waits until it reports the
    /// runtime exec'd (or failed).
    pub(super) fn launch(&mut self, mut spec_tx: spawn::SpecSender) -> Result<(), SandboxError> {
        let k = RealKernel;
        self.exit = None;
        self.oom_baseline = self.cgroup.oom_kills(&k);
        // A fresh detached copy of the host-side /tmp mount for each launch: the init attaches
        // it inside its own mount namespace.
        let tmp_tree = match crate::kernel::open_tree_clone(&self.tmp_dir) {
            Ok(fd) => fd,
            Err(e) => {
                self.kill_and_reap();
                return Err(SandboxError::io("open_tree", &self.tmp_dir, e));
            }
        };
        let mut fds = vec![self.stdout.as_fd(), self.stderr.as_fd(), tmp_tree.as_fd()];
        if let Network::Isolated(ns) = &self.network {
            fds.push(ns.as_fd());
        }
        if let Err(e) = spec_tx.send(&self.init_spec, &fds) {
            self.kill_and_reap();
            return Err(e);
        }
        drop(spec_tx);
        drop(tmp_tree);

        let line = match self.running.as_mut() {
            Some(r) => r.status.next_line(START_TIMEOUT)?,
            None => None,
        };
        match line.as_deref() {
            // With extensions, the init reports them started and holds the runtime back
            // until `release_runtime`.
            Some("started") | Some(EXTENSIONS_STARTED) => Ok(()),
            Some(l) if l.starts_with("exec ") => {
                let text = &l["exec ".len()..];
                let (path, message) = text.split_once(": ").unwrap_or((text, ""));
                let err = SandboxError::Exec {
                    id: self.id.clone(),
                    path: path.to_string(),
                    message: message.to_string(),
                };
                self.kill_and_reap();
                Err(err)
            }
            Some(l) => {
                let err = SandboxError::Setup {
                    id: self.id.clone(),
                    message: l.strip_prefix("error ").unwrap_or(l).to_string(),
                };
                self.kill_and_reap();
                Err(err)
            }
            None => {
                self.kill_and_reap();
                Err(SandboxError::InitDied {
                    id: self.id.clone(),
                    status: self
                        .exit
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "no status".into()),
                })
            }
        }
    }
}

/// Creates the shared mount-point skeleton for directory images (idempotent).
fn ensure_skeleton(k: &dyn Kernel, dir: &Path) -> Result<(), SandboxError> {
    let (dirs, files) = mount_plan::skeleton_entries();
    for d in dirs {
        let p = dir.join(d);
        k.mkdir_all(&p)
            .map_err(|e| SandboxError::io("mkdir", &p, e))?;
    }
    for f in files {
        let p = dir.join(f);
        k.touch(&p).map_err(|e| SandboxError::io("touch", &p, e))?;
    }
    Ok(())
}
