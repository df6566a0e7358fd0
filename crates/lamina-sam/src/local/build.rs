//! `lamina sam build`: SAM's `sam build --use-container` without Docker. Each function (and
//! layer) with a local code folder is copied to `.aws-sam/build/<LogicalId>/` and its
//! dependencies installed there by the runtime's own tool, run by the caller's [`Exec`] (on
//! the host, or inside an environment image): `pip install -r requirements.txt` for Python,
//! `npm ci --omit=dev` (`npm install --omit=dev` without a lockfile) for Node.js, `make
//! build-<LogicalId>` for `provided` runtimes with a Makefile. Installed dependencies are
//! cached by the digest of the lockfile, runtime and environment, so an unchanged lockfile
//! installs nothing. The built template (`.aws-sam/build/template.yaml`) points every built
//! resource at its folder; local commands run from a folder with one use it, as SAM's do.

use std::path::{Path, PathBuf};

use serde_json::Value as J;
use sha2::{Digest, Sha256};

use crate::code::Code;
use crate::local::project::Project;

/// One command to run: `argv` with `{src}` (the function's build folder) and `{out}` (where
/// the step writes) standing for folders the executor places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The command, with `{src}` and `{out}` placeholders.
    pub argv: Vec<String>,
    /// The folder mounted as `{src}` (and the working directory).
    pub src: PathBuf,
    /// The folder mounted as `{out}`.
    pub out: PathBuf,
}

/// Runs a step; `Err` carries why it failed.
pub type Exec<'a> = &'a dyn Fn(&Step) -> Result<(), String>;

/// Where `sam build` writes and caches.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// `.aws-sam/build` by default.
    pub build_dir: PathBuf,
    /// Cached dependency folders, by digest (`.aws-sam/cache` by default).
    pub cache_dir: PathBuf,
    /// The environment the steps run in (part of the cache key).
    pub environment: String,
}

/// What happened to one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The logical id.
    pub logical_id: String,
    /// The builder used (`python-pip`, `nodejs-npm`, `makefile`, `copy`).
    pub builder: &'static str,
    /// Whether dependencies came from the cache.
    pub cached: bool,
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A file operation failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// On what.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A build command failed.
    #[error("building {id}: {reason}")]
    Step {
        /// The resource.
        id: String,
        /// Why.
        reason: String,
    },
}

fn io<'p>(what: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> BuildError + 'p {
    move |source| BuildError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// Builds every function and layer with local code; `progress` gets one line per step.
pub fn build(
    project: &Project,
    opts: &BuildOptions,
    exec: Exec<'_>,
    progress: &dyn Fn(&str),
) -> Result<Vec<Built>, BuildError> {
    std::fs::create_dir_all(&opts.build_dir).map_err(io("creating", &opts.build_dir))?;
    let mut built = Vec::new();
    let mut code_uris: Vec<(String, &'static str)> = Vec::new();
    for f in &project.model.functions {
        let Some(Code::Local(path)) = &f.code else {
            continue;
        };
        let source = project.template_dir.join(path);
        if !source.is_dir() {
            continue;
        }
        let runtime = f.runtime.clone().unwrap_or_default();
        progress(&format!(
            "Building codeuri: {} runtime: {runtime} functions: {}",
            source.display(),
            f.logical_id
        ));
        let dest = opts.build_dir.join(&f.logical_id);
        let b = build_one(&f.logical_id, &source, &dest, &runtime, false, opts, exec)?;
        progress(&format!(
            "  {}: {}{}",
            f.logical_id,
            b.builder,
            if b.cached {
                " (dependencies from cache)"
            } else {
                ""
            }
        ));
        code_uris.push((f.logical_id.clone(), "CodeUri"));
        built.push(b);
    }
    for l in &project.model.layers {
        let Some(Code::Local(path)) = &l.content else {
            continue;
        };
        let source = project.template_dir.join(path);
        if !source.is_dir() {
            continue;
        }
        // SAM builds a layer for its first compatible runtime.
        let runtime = l.compatible_runtimes.first().cloned().unwrap_or_default();
        progress(&format!(
            "Building layer: {} method: {runtime}",
            l.logical_id
        ));
        let dest = opts.build_dir.join(&l.logical_id);
        let b = build_one(&l.logical_id, &source, &dest, &runtime, true, opts, exec)?;
        code_uris.push((l.logical_id.clone(), "ContentUri"));
        built.push(b);
    }
    write_template(project, &opts.build_dir, &code_uris)?;
    progress(&format!(
        "Build Succeeded\n\nBuilt Artifacts  : {}\nBuilt Template   : {}",
        opts.build_dir.display(),
        opts.build_dir.join("template.yaml").display()
    ));
    Ok(built)
}

#[allow(clippy::too_many_arguments)] // Each is one fact of the build; a struct would only rename them.
fn build_one(
    id: &str,
    source: &Path,
    dest: &Path,
    runtime: &str,
    layer: bool,
    opts: &BuildOptions,
    exec: Exec<'_>,
) -> Result<Built, BuildError> {
    if dest.exists() {
        std::fs::remove_dir_all(dest).map_err(io("clearing", dest))?;
    }
    let fail = |reason: String| BuildError::Step {
        id: id.to_string(),
        reason,
    };
    let makefile = source.join("Makefile");
    if runtime.starts_with("provided") && makefile.is_file() || runtime == "makefile" {
        std::fs::create_dir_all(dest).map_err(io("creating", dest))?;
        let step = Step {
            argv: vec![
                "make".into(),
                "-C".into(),
                "{src}".into(),
                format!("build-{id}"),
                "ARTIFACTS_DIR={out}".into(),
            ],
            src: source.to_path_buf(),
            out: dest.to_path_buf(),
        };
        exec(&step).map_err(fail)?;
        return Ok(Built {
            logical_id: id.into(),
            builder: "makefile",
            cached: false,
        });
    }
    copy_tree(source, dest)?;
    let (lockfile, builder, install): (Option<PathBuf>, &'static str, Vec<String>) = if runtime
        .starts_with("python")
    {
        let req = dest.join("requirements.txt");
        let python = runtime.to_string();
        (
            req.is_file().then_some(req),
            "python-pip",
            vec![
                python,
                "-m".into(),
                "pip".into(),
                "install".into(),
                "--disable-pip-version-check".into(),
                "--no-warn-script-location".into(),
                "-r".into(),
                "{src}/requirements.txt".into(),
                "-t".into(),
                "{out}".into(),
            ],
        )
    } else if runtime.starts_with("nodejs") {
        let lock = dest.join("package-lock.json");
        let manifest = dest.join("package.json");
        let cmd = if lock.is_file() { "ci" } else { "install" };
        let found = if lock.is_file() {
            Some(lock)
        } else {
            manifest.is_file().then_some(manifest)
        };
        (
            found,
            "nodejs-npm",
            vec![
                "sh".into(),
                "-c".into(),
                format!(
                    "cp package*.json {{out}}/ && cd {{out}} && npm {cmd} --omit=dev --no-audit --no-fund"
                ),
            ],
        )
    } else {
        (None, "copy", Vec::new())
    };
    let Some(lockfile) = lockfile else {
        return Ok(Built {
            logical_id: id.into(),
            builder,
            cached: false,
        });
    };
    let text = std::fs::read(&lockfile).map_err(io("reading", &lockfile))?;
    let mut hasher = Sha256::new();
    hasher.update(&text);
    hasher.update(runtime.as_bytes());
    hasher.update(opts.environment.as_bytes());
    let digest = hex::encode(hasher.finalize());
    let cache = opts.cache_dir.join(&digest);
    let cached = cache.is_dir();
    if !cached {
        let tmp = opts.cache_dir.join(format!("{digest}.partial"));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(io("clearing", &tmp))?;
        }
        std::fs::create_dir_all(&tmp).map_err(io("creating", &tmp))?;
        exec(&Step {
            argv: install,
            src: dest.to_path_buf(),
            out: tmp.clone(),
        })
        .map_err(fail)?;
        // npm leaves its manifests next to node_modules; only node_modules is the artefact.
        for name in ["package.json", "package-lock.json"] {
            let _ = std::fs::remove_file(tmp.join(name));
        }
        std::fs::rename(&tmp, &cache).map_err(io("caching", &cache))?;
    }
    let target = if layer && builder == "python-pip" {
        dest.join("python")
    } else {
        dest.to_path_buf()
    };
    copy_tree(&cache, &target)?;
    Ok(Built {
        logical_id: id.into(),
        builder,
        cached,
    })
}

/// Copies a folder's content into `to` (created), leaving out `.aws-sam`.
fn copy_tree(from: &Path, to: &Path) -> Result<(), BuildError> {
    std::fs::create_dir_all(to).map_err(io("creating", to))?;
    for entry in std::fs::read_dir(from).map_err(io("reading", from))? {
        let entry = entry.map_err(io("reading", from))?;
        let name = entry.file_name();
        if name == ".aws-sam" {
            continue;
        }
        let src = entry.path();
        let dst = to.join(&name);
        let ty = entry.file_type().map_err(io("reading", &src))?;
        if ty.is_dir() {
            copy_tree(&src, &dst)?;
        } else if ty.is_symlink() {
            let target = std::fs::read_link(&src).map_err(io("reading", &src))?;
            let _ = std::fs::remove_file(&dst);
            std::os::unix::fs::symlink(&target, &dst).map_err(io("linking", &dst))?;
        } else {
            std::fs::copy(&src, &dst).map_err(io("copying", &src))?;
        }
    }
    Ok(())
}

/// The template with each built resource's code pointing at its build folder, written as
/// JSON (which is YAML) to `template.yaml` in the build folder.
fn write_template(
    project: &Project,
    build_dir: &Path,
    built: &[(String, &'static str)],
) -> Result<(), BuildError> {
    let mut doc = project.template.root.to_json();
    for (id, key) in built {
        if let Some(resource) = doc.get_mut("Resources").and_then(|r| r.get_mut(id)) {
            if !resource.get("Properties").is_some_and(J::is_object) {
                resource["Properties"] = J::Object(serde_json::Map::new());
            }
            resource["Properties"][*key] = J::from(id.clone());
        }
    }
    let path = build_dir.join("template.yaml");
    let text = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| doc.to_string());
    std::fs::write(&path, text + "\n").map_err(io("writing", &path))
}
