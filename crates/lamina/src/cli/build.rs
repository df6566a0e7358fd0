//! `lamina build --env IMAGE [--src DIR] -- CMD…`: runs a build command inside an
//! environment image, so native code is compiled against that image's libraries (the
//! seed's remedy for affected functions).
//!
//! The source folder is mounted writable at `/src` (the working directory); the image is
//! seen through a throw-away overlay, so the command may install packages without changing
//! the image; the host's network and DNS are used; output goes straight to the terminal;
//! the command's exit status is returned. This uses `lamina_images::RootCommand` (a private
//! mount namespace and `chroot`) rather than the function sandbox: the sandbox mounts code
//! read-only, drops root and filters system calls, all of which a build (apt-get, compilers
//! writing into the source tree) must not have, and the command is the operator's own.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use lamina_images::{Bind, DiskCatalog, RootCommand};
use lamina_model::environment::ImageId;

/// Flags of `lamina build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The image to build in (`lamina env list`).
    #[arg(long = "env")]
    pub image: String,
    /// The source folder, mounted writable at /src (default: the current folder).
    #[arg(long, default_value = ".")]
    pub src: PathBuf,
    /// The data folder holding the images (as `lamina server --data-dir`).
    #[arg(long, env = "LAMINA_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

/// Runs `lamina build`.
pub fn run(args: BuildArgs) -> anyhow::Result<ExitCode> {
    let data = args
        .data_dir
        .clone()
        .unwrap_or_else(super::server::default_data_dir);
    let id = ImageId::new(args.image.clone())?;
    let catalog = DiskCatalog::new(&data);
    let image = catalog.get(&id).with_context(|| {
        format!(
            "image {id} is not in {} (`lamina env list`, or build it with `lamina env build`)",
            catalog.dir().display()
        )
    })?;
    let src = std::fs::canonicalize(&args.src)
        .with_context(|| format!("source folder {}", args.src.display()))?;
    anyhow::ensure!(src.is_dir(), "--src {} is not a folder", src.display());
    let scratch_parent = data.join("run");
    std::fs::create_dir_all(&scratch_parent)
        .with_context(|| format!("creating {}", scratch_parent.display()))?;
    let scratch = tempfile::Builder::new()
        .prefix("build-")
        .tempdir_in(&scratch_parent)
        .context("creating the build's overlay folder")?;
    let mut cmd = RootCommand::new(&image.rootfs, args.command.clone())
        .overlay(scratch.path())
        .bind(Bind {
            host: src,
            inside: "/src".into(),
            writable: true,
        })
        .cwd("/src")
        .env(
            "TERM",
            &std::env::var("TERM").unwrap_or_else(|_| "dumb".into()),
        )
        .command()?;
    let status = cmd
        .status()
        .with_context(|| format!("running {:?} in image {id}", args.command))?;
    drop(scratch);
    let code = match status.code() {
        Some(c) => c,
        None => {
            use std::os::unix::process::ExitStatusExt;
            128 + status.signal().unwrap_or(1)
        }
    };
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}
