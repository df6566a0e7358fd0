//! `lamina scan`: the compatibility scanner.
//!
//! - `lamina scan FUNCTION --env IMAGE [--qualifier Q]`: the server scans the stored code and
//!   layers of the function version.
//! - `lamina scan ZIP --env IMAGE [--layer ZIP]… [--runtime RUNTIME]`: scans local zips here,
//!   against the image's manifest from the server (or the data folder when no server
//!   answers); with `--runtime`, Python extension modules are checked against the
//!   interpreter serving that runtime on the image (a function's own runtime is used when
//!   the server scans it).
//! - `lamina scan --plan NAME`: every function the plan covers, against its target image.
//!
//! Verdicts: `compatible`, `potentially affected` (each missing soname or symbol version and
//! the file needing it), `no native code`. `--output json` prints the report as JSON.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use lamina_images::DiskCatalog;
use lamina_images::scan::{Package, ScanReport, scan_packages};
use lamina_model::environment::{ImageId, ImageManifest};
use serde_json::Value;

use super::http::{Failure, Server};
use super::migrate::Output;

/// Flags of `lamina scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// A function name (scanned by the server) or a zip file (scanned here).
    #[arg(required_unless_present = "plan", conflicts_with = "plan")]
    pub target: Option<String>,
    /// The image to check against.
    #[arg(long = "env", required_unless_present = "plan")]
    pub image: Option<String>,
    /// The function version or alias (default `$LATEST`).
    #[arg(long)]
    pub qualifier: Option<String>,
    /// A layer zip to scan with a local zip (repeatable; appears under /opt).
    #[arg(long = "layer")]
    pub layers: Vec<PathBuf>,
    /// The runtime a local zip will run with (`python3.13`): its extension modules are
    /// checked against the interpreter serving it on the image.
    #[arg(long)]
    pub runtime: Option<String>,
    /// Scan every function a migration plan covers against its target image.
    #[arg(long)]
    pub plan: Option<String>,
    /// The server to ask.
    #[arg(
        long,
        default_value = "http://127.0.0.1:9001",
        env = "LAMINA_ENDPOINT_URL"
    )]
    pub endpoint_url: String,
    /// The data folder to read images from when no server answers.
    #[arg(long, env = "LAMINA_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// `text` or `json`.
    #[arg(long, value_enum, default_value = "text")]
    pub output: Output,
}

/// Runs `lamina scan`.
pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let server = Server::new(&args.endpoint_url);
    let json = args.output == Output::Json;
    let refused = anyhow::Error::from;
    if let Some(plan) = &args.plan {
        let impact = server
            .send("GET", &format!("/lamina/plans/{plan}/impact"), None)
            .map_err(refused)?;
        if json {
            println!("{}", serde_json::to_string_pretty(&impact)?);
        } else {
            print_impact(&impact);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(target), Some(image)) = (&args.target, &args.image) else {
        anyhow::bail!("lamina scan needs FUNCTION|ZIP --env IMAGE, or --plan NAME");
    };
    let report: Value = if Path::new(target).is_file() {
        let manifest = manifest_of(&server, &args, image)?;
        let runtime = args
            .runtime
            .as_deref()
            .map(lamina_model::runtime::Runtime::parse)
            .transpose()?;
        serde_json::to_value(scan_local(target, &args.layers, &manifest, runtime)?)?
    } else {
        let mut path = format!("/lamina/functions/{target}/scan?image={image}");
        if let Some(q) = &args.qualifier {
            path.push_str(&format!("&Qualifier={}", q.replace('$', "%24")));
        }
        server.send("GET", &path, None).map_err(refused)?
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(ExitCode::SUCCESS)
}

/// The manifest of `image`: from the server, or from the data folder if none answers.
fn manifest_of(server: &Server, args: &ScanArgs, image: &str) -> anyhow::Result<ImageManifest> {
    match server.send("GET", &format!("/lamina/images/{image}"), None) {
        Ok(v) => serde_json::from_value(v).context("the server's image manifest"),
        Err(f @ Failure::Refused(_)) => Err(f.into()),
        Err(Failure::Unreachable(_)) => {
            let data = args
                .data_dir
                .clone()
                .unwrap_or_else(super::server::default_data_dir);
            let id = ImageId::new(image.to_string())?;
            if id == ImageId::host() {
                return Ok(lamina_images::probe(Path::new("/"), id));
            }
            Ok(DiskCatalog::new(&data).get(&id)?.manifest)
        }
    }
}

fn scan_local(
    zip: &str,
    layers: &[PathBuf],
    image: &ImageManifest,
    runtime: Option<lamina_model::runtime::Runtime>,
) -> anyhow::Result<ScanReport> {
    let code = std::fs::read(zip).with_context(|| format!("reading {zip}"))?;
    let mut layer_bytes = Vec::new();
    for l in layers {
        let bytes = std::fs::read(l).with_context(|| format!("reading {}", l.display()))?;
        layer_bytes.push((l.display().to_string(), bytes));
    }
    let mut packages = vec![Package {
        name: zip,
        mount: "/var/task",
        zip: &code,
    }];
    packages.extend(layer_bytes.iter().map(|(name, bytes)| Package {
        name,
        mount: "/opt",
        zip: bytes,
    }));
    Ok(scan_packages(zip, &packages, image, runtime)?)
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

fn print_report(r: &Value) {
    println!(
        "{} on {}: {}",
        s(&r["target"]),
        s(&r["image"]),
        s(&r["verdict"])
    );
    for m in r["missing"].as_array().into_iter().flatten() {
        println!("  {}", s(&m["message"]));
    }
}

fn print_impact(r: &Value) {
    let functions = r["functions"].as_array().cloned().unwrap_or_default();
    println!(
        "plan {} → {}: {} of {} function versions potentially affected",
        s(&r["plan"]),
        s(&r["image"]),
        s(&r["affected"]),
        functions.len()
    );
    println!("{:<40} {:<22} MISSING", "FUNCTION", "VERDICT");
    for f in &functions {
        let missing: Vec<String> = f["missing"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| format!("{} ({})", s(&m["name"]), s(&m["file"])))
            .collect();
        println!(
            "{:<40} {:<22} {}",
            s(&f["target"]),
            s(&f["verdict"]),
            missing.join(", ")
        );
    }
}
