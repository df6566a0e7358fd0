//! `lamina env build`: bootstraps a Debian root file system with debootstrap from the host's
//! mirror, installs the runtimes (and extra packages) with `apt-get` inside it, probes its
//! manifest and publishes it atomically — into the build cache keyed by recipe, then into
//! the data folder's catalog as a read-only reference (or straight into the catalog with
//! `--no-cache`). Any failure or interruption drops the work folder: nothing is registered.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lamina_model::environment::ImageId;

use crate::catalog::{DiskCatalog, MANIFEST_FILE, ROOTFS_DIR, StoredImage, write_manifest};
use crate::chroot::{RootCommand, tail};
use crate::error::ImagesError;
use crate::mirror::host_mirror;
use crate::recipe::Recipe;
use crate::staging::{Staging, sweep_stale};

/// Where built images are cached unless `LAMINA_IMAGE_CACHE` says otherwise.
pub const DEFAULT_CACHE_DIR: &str = "/var/cache/lamina/images";

/// The build cache folder: `$LAMINA_IMAGE_CACHE`, else [`DEFAULT_CACHE_DIR`].
pub fn cache_dir() -> PathBuf {
    std::env::var_os("LAMINA_IMAGE_CACHE")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_CACHE_DIR), PathBuf::from)
}

/// What to build.
#[derive(Debug, Clone)]
pub struct BuildRequest {
    /// Base and packages.
    pub recipe: Recipe,
    /// The image's name in the catalog.
    pub id: ImageId,
    /// The Debian archive; `None` reads it from `/etc/apt`.
    pub mirror: Option<String>,
    /// Whether to reuse and fill the build cache.
    pub use_cache: bool,
    /// The build cache folder.
    pub cache_dir: PathBuf,
}

/// The phases of a build, in order, for progress display.
pub const PHASES: [&str; 5] = [
    "finding the mirror",
    "bootstrapping Debian",
    "installing packages",
    "probing the manifest",
    "registering",
];

/// Receives a build's progress.
pub trait Progress: Sync {
    /// Phase `index` (into [`PHASES`]) begins.
    fn phase(&self, index: usize);
    /// A line of the current step's output.
    fn line(&self, line: &str);
    /// The build reused a cached image.
    fn cached(&self, entry: &Path);
}

/// A progress sink that only logs.
pub struct LogProgress;

impl Progress for LogProgress {
    fn phase(&self, index: usize) {
        tracing::info!(phase = PHASES[index], "image build");
    }
    fn line(&self, line: &str) {
        tracing::debug!(line, "image build");
    }
    fn cached(&self, entry: &Path) {
        tracing::info!(entry = %entry.display(), "image build: cached");
    }
}

/// Builds `req` into `catalog`, reporting to `progress`; stops when `cancel` becomes true.
pub fn build(
    catalog: &DiskCatalog,
    req: &BuildRequest,
    progress: &dyn Progress,
    cancel: &AtomicBool,
) -> Result<StoredImage, ImagesError> {
    if catalog.contains(&req.id) {
        return Err(ImagesError::Exists(req.id.to_string()));
    }
    let key = req.recipe.cache_key();
    let entry = req.cache_dir.join(&key);
    if req.use_cache && entry.join(MANIFEST_FILE).exists() {
        progress.cached(&entry);
        progress.phase(4);
        return catalog.link_cached(&req.id, &entry);
    }
    progress.phase(0);
    let mirror = match &req.mirror {
        Some(m) => m.trim_end_matches('/').to_string(),
        None => host_mirror(Path::new("/etc/apt"))?,
    };
    progress.line(&format!("mirror {mirror}"));
    let staging = if req.use_cache {
        sweep_stale(&req.cache_dir);
        Staging::new(&req.cache_dir, &key)?
    } else {
        catalog.stage(&req.id)?
    };
    let rootfs = staging.path().join(ROOTFS_DIR);
    check(cancel)?;

    // An image with Node.js on a base already in the cache: the base's files, hard-linked
    // (cached roots are never written in place: sandboxes mount them read-only and
    // `lamina build` works on an overlay), then Node.
    let base_entry = req.cache_dir.join(req.recipe.without_node().cache_key());
    if !req.recipe.node.is_empty() && base_entry.join(MANIFEST_FILE).exists() && req.use_cache {
        progress.phase(1);
        progress.line(&format!("linking the cached base {}", base_entry.display()));
        let mut cp = Command::new("cp");
        cp.arg("-al").arg(base_entry.join(ROOTFS_DIR)).arg(&rootfs);
        run_step("cp", &mut cp, progress, cancel)?;
    } else {
        bootstrap(req, &mirror, &rootfs, progress, cancel)?;
    }
    progress.phase(2);
    for major in &req.recipe.node {
        progress.line(&format!(
            "installing {}@{} into {}",
            crate::node::PACKAGE,
            crate::node::release(*major).unwrap_or("?"),
            crate::node::install_dir(*major)
        ));
        crate::node::install(&rootfs, &req.cache_dir, *major)?;
        check(cancel)?;
    }
    check(cancel)?;

    progress.phase(3);
    let manifest = crate::probe::probe(&rootfs, req.id.clone());
    // The base packages put the suite's python3 in: it must run and be some python3.x.
    if !manifest
        .runtimes
        .iter()
        .any(|(id, r)| id.starts_with("python3.") && !r.version.is_empty())
    {
        return Err(ImagesError::Step {
            step: "probe".into(),
            detail: "python3 does not run inside the new image".into(),
        });
    }
    for major in &req.recipe.node {
        if !manifest.runtimes.contains_key(&format!("nodejs{major}.x")) {
            return Err(ImagesError::Step {
                step: "probe".into(),
                detail: format!("Node.js {major} does not run inside the new image"),
            });
        }
    }
    write_manifest(&staging.path().join(MANIFEST_FILE), &manifest)?;
    check(cancel)?;

    progress.phase(4);
    if req.use_cache {
        let published = match staging.commit() {
            Ok(p) => p,
            // Another build of the same recipe finished first: use its entry.
            Err(ImagesError::Exists(_)) => entry.clone(),
            Err(e) => return Err(e),
        };
        catalog.link_cached(&req.id, &published)
    } else {
        staging.commit()?;
        catalog.get(&req.id)
    }
}

/// Debootstraps the recipe's suite into `rootfs` and installs its packages with apt.
fn bootstrap(
    req: &BuildRequest,
    mirror: &str,
    rootfs: &Path,
    progress: &dyn Progress,
    cancel: &AtomicBool,
) -> Result<(), ImagesError> {
    progress.phase(1);
    let debs = req.cache_dir.join("debs").join(req.recipe.base.suite());
    std::fs::create_dir_all(&debs).map_err(|e| ImagesError::io("create", &debs, e))?;
    let mut debootstrap = Command::new("debootstrap");
    debootstrap
        .arg("--variant=minbase")
        .arg(format!("--cache-dir={}", debs.display()))
        .arg(req.recipe.base.suite())
        .arg(rootfs)
        .arg(mirror);
    private_mounts(&mut debootstrap);
    run_step("debootstrap", &mut debootstrap, progress, cancel)?;

    progress.phase(2);
    let apt = |args: &[&str]| -> Result<(), ImagesError> {
        let argv = std::iter::once("apt-get")
            .chain(args.iter().copied())
            .map(str::to_string)
            .collect();
        let mut cmd = RootCommand::new(rootfs, argv).command()?;
        run_step(&format!("apt-get {}", args[0]), &mut cmd, progress, cancel)
    };
    apt(&["update"])?;
    let packages = req.recipe.all_packages();
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend(packages.iter().map(String::as_str));
    apt(&install)?;
    apt(&["clean"])?;
    let lists = rootfs.join("var/lib/apt/lists");
    if let Ok(entries) = std::fs::read_dir(&lists) {
        for e in entries.flatten().filter(|e| e.path().is_file()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
    check(cancel)
}

fn check(cancel: &AtomicBool) -> Result<(), ImagesError> {
    if cancel.load(Ordering::SeqCst) {
        Err(ImagesError::Interrupted)
    } else {
        Ok(())
    }
}

/// Runs `cmd` in a private mount namespace, so the `/proc` and `/sys` debootstrap mounts in
/// its target die with it whatever happens.
fn private_mounts(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: runs in the forked child before exec and makes only system calls.
    unsafe {
        cmd.pre_exec(|| {
            let none: Option<&str> = None;
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)?;
            nix::mount::mount(
                none,
                "/",
                none,
                nix::mount::MsFlags::MS_REC | nix::mount::MsFlags::MS_PRIVATE,
                none,
            )?;
            Ok(())
        });
    }
}

/// Runs one step: its stdout lines go to `progress`, its stderr is kept for the error
/// message; `cancel` kills it.
fn run_step(
    step: &str,
    cmd: &mut Command,
    progress: &dyn Progress,
    cancel: &AtomicBool,
) -> Result<(), ImagesError> {
    let fail = |detail: String| ImagesError::Step {
        step: step.into(),
        detail,
    };
    let mut child: Child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot start: {e}")))?;
    let stderr_text = Arc::new(Mutex::new(String::new()));
    let err_reader = child.stderr.take().map(|mut err| {
        let sink = Arc::clone(&stderr_text);
        std::thread::spawn(move || {
            let mut buf = String::new();
            let _ = err.read_to_string(&mut buf);
            *sink
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = buf;
        })
    });
    let status = std::thread::scope(|s| {
        if let Some(out) = child.stdout.take() {
            s.spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    progress.line(&line);
                }
            });
        }
        loop {
            if cancel.load(Ordering::SeqCst) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ImagesError::Interrupted);
            }
            match child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) => std::thread::sleep(Duration::from_millis(100)),
                Err(e) => return Err(fail(e.to_string())),
            }
        }
    })?;
    if let Some(t) = err_reader {
        let _ = t.join();
    }
    if status.success() {
        Ok(())
    } else if cancel.load(Ordering::SeqCst) {
        // Ctrl-C reaches the whole foreground process group: the step died of it first.
        Err(ImagesError::Interrupted)
    } else {
        let err = stderr_text
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        Err(fail(format!("{status}: {}", tail(&err))))
    }
}
