//! `lamina sam build`: SAM's `sam build --use-container` without Docker. Functions and layers
//! are built by `lamina_sam::local::build` with each step run on the host (`--env host`, the
//! environment local commands run in by default) or inside an environment image through the
//! same private mount namespace and `chroot` as `lamina build`.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::Context;
use lamina_images::{Bind, DiskCatalog, RootCommand};
use lamina_model::environment::ImageId;
use lamina_sam::local::Project;
use lamina_sam::local::build::{BuildOptions, Step, build};

/// `lamina sam` commands.
#[derive(Debug, clap::Subcommand)]
pub enum SamCommand {
    /// Build the template's functions and layers into .aws-sam/build (`sam build`).
    Build(BuildArgs),
}

/// Flags of `lamina sam build`, named as SAM's.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The SAM template [default: template.yaml here].
    #[arg(short = 't', long = "template", alias = "template-file")]
    pub template: Option<PathBuf>,
    /// Where the built artefacts and template go.
    #[arg(short = 'b', long = "build-dir", default_value = ".aws-sam/build")]
    pub build_dir: PathBuf,
    /// Where installed dependencies are cached by lockfile digest.
    #[arg(long = "cache-dir", default_value = ".aws-sam/cache")]
    pub cache_dir: PathBuf,
    /// The environment to build in: `host`, or an image (`lamina env list`).
    #[arg(long = "env", value_name = "IMAGE", default_value = "host")]
    pub env: String,
    /// Accepted for SAM compatibility: builds always run in the environment of `--env`.
    #[arg(short = 'u', long = "use-container")]
    pub use_container: bool,
    /// Template parameter values: `Key=Value` or `ParameterKey=Key,ParameterValue=Value`.
    #[arg(long = "parameter-overrides", num_args = 1..)]
    pub parameter_overrides: Vec<String>,
    /// The data folder holding the images (as `lamina server --data-dir`).
    #[arg(long, env = "LAMINA_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

pub fn run(cmd: SamCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        SamCommand::Build(args) => build_cmd(args),
    }
}

fn fill(argv: &[String], src: &str, out: &str) -> Vec<String> {
    argv.iter()
        .map(|a| a.replace("{src}", src).replace("{out}", out))
        .collect()
}

fn build_cmd(args: BuildArgs) -> anyhow::Result<ExitCode> {
    // Build from the source template, not a previous build's output.
    let template = match &args.template {
        Some(t) => t.clone(),
        None => lamina_sam::local::project::DEFAULT_TEMPLATES
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .context("no template.yaml, template.yml or template.json here: pass -t/--template")?,
    };
    let project = Project::load(Some(&template), &args.parameter_overrides, None)?;
    let image = if args.env == "host" {
        None
    } else {
        let data = args
            .data_dir
            .clone()
            .unwrap_or_else(super::server::default_data_dir);
        let id = ImageId::new(args.env.clone())?;
        let catalog = DiskCatalog::new(&data);
        let image = catalog.get(&id).with_context(|| {
            format!(
                "image {id} is not in {} (`lamina env list`)",
                catalog.dir().display()
            )
        })?;
        let run = data.join("run");
        std::fs::create_dir_all(&run).with_context(|| format!("creating {}", run.display()))?;
        // Steps see the image through a throw-away overlay, so the image never changes.
        let scratch = tempfile::Builder::new()
            .prefix("sam-build-")
            .tempdir_in(&run)
            .context("creating the build's overlay folder")?;
        Some((image, scratch))
    };
    let exec = |step: &Step| -> Result<(), String> {
        let mut cmd = match &image {
            None => {
                let argv = fill(
                    &step.argv,
                    &step.src.display().to_string(),
                    &step.out.display().to_string(),
                );
                let mut c = Command::new(&argv[0]);
                c.args(&argv[1..]).current_dir(&step.src);
                c
            }
            Some((image, scratch)) => {
                RootCommand::new(&image.rootfs, fill(&step.argv, "/src", "/out"))
                    .overlay(scratch.path())
                    .bind(Bind {
                        host: step.src.clone(),
                        inside: "/src".into(),
                        writable: true,
                    })
                    .bind(Bind {
                        host: step.out.clone(),
                        inside: "/out".into(),
                        writable: true,
                    })
                    .cwd("/src")
                    .command()
                    .map_err(|e| e.to_string())?
            }
        };
        // The tools' output is progress: it goes to stderr with ours.
        cmd.stdout(std::process::Stdio::from(std::io::stderr()));
        let status = cmd
            .status()
            .map_err(|e| format!("running {:?}: {e}", step.argv))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{:?} exited with {status}", step.argv))
        }
    };
    let opts = BuildOptions {
        build_dir: absolute(&args.build_dir),
        cache_dir: absolute(&args.cache_dir),
        environment: args.env.clone(),
    };
    build(&project, &opts, &exec, &|line| eprintln!("{line}"))?;
    Ok(ExitCode::SUCCESS)
}

fn absolute(p: &std::path::Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
