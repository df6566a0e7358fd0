//! `lamina migrate`: migration plans and where every function stands, from a running server
//! (`--endpoint-url`, default `http://127.0.0.1:9001`).
//!
//! - `lamina migrate plan apply FILE` / `list` / `show NAME` / `delete NAME`
//! - `lamina migrate status [--at TIME] [--output json]`
//! - `lamina migrate simulate --at TIME [--output json]`
//!
//! Plan files are TOML (docs/migration.md); the server checks them, so an invalid plan is
//! reported with the server's reason and nothing changes.

use std::process::ExitCode;

use anyhow::Context;
use lamina_model::environment::{parse_instant, parse_plan_toml, rfc3339};
use serde_json::Value;

use super::http::Server;

/// `lamina migrate …`.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The server to ask.
    #[arg(
        long,
        global = true,
        default_value = "http://127.0.0.1:9001",
        env = "LAMINA_ENDPOINT_URL"
    )]
    pub endpoint_url: String,
    /// `text` (tables) or `json`.
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub output: Output,
    /// What to do.
    #[command(subcommand)]
    pub command: MigrateCommand,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Human-readable tables.
    Text,
    /// The server's JSON.
    Json,
}

/// Subcommands of `lamina migrate`.
#[derive(Debug, clap::Subcommand)]
pub enum MigrateCommand {
    /// Manage migration plans.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Each function version: its image now, at each coming phase, its flags and warnings.
    Status {
        /// Report as of this RFC 3339 instant instead of the server's now.
        #[arg(long)]
        at: Option<String>,
    },
    /// What changes between the server's now and TIME.
    Simulate {
        /// The RFC 3339 instant to simulate.
        #[arg(long)]
        at: String,
    },
}

/// Subcommands of `lamina migrate plan`.
#[derive(Debug, clap::Subcommand)]
pub enum PlanCommand {
    /// Create or replace the plan in a TOML file.
    Apply {
        /// The plan file.
        file: std::path::PathBuf,
    },
    /// List the plans.
    List,
    /// Show one plan.
    Show {
        /// Its name.
        name: String,
    },
    /// Delete a plan.
    Delete {
        /// Its name.
        name: String,
    },
}

/// Runs `lamina migrate`.
pub fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let client = Server::new(&args.endpoint_url);
    let json = args.output == Output::Json;
    match args.command {
        MigrateCommand::Plan(PlanCommand::Apply { file }) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading plan file {}", file.display()))?;
            let plan =
                parse_plan_toml(&text).with_context(|| format!("plan file {}", file.display()))?;
            let (status, body) =
                client.request("POST", "/lamina/plans", Some(&serde_json::to_value(&plan)?))?;
            if json {
                print_json(&body)?;
            } else {
                let verb = if status == 201 { "created" } else { "replaced" };
                println!("plan {} {verb}", plan.name);
                print_plan(&body);
            }
        }
        MigrateCommand::Plan(PlanCommand::List) => {
            let body = client.send("GET", "/lamina/plans", None)?;
            if json {
                print_json(&body)?;
            } else {
                let plans = body["Plans"].as_array().cloned().unwrap_or_default();
                if plans.is_empty() {
                    println!("no migration plans");
                }
                println!(
                    "{:<24} {:<12} {:<12} {:<20} {:<20}",
                    "NAME", "FROM", "TO", "T0", "T4"
                );
                for p in plans {
                    println!(
                        "{:<24} {:<12} {:<12} {:<20} {:<20}",
                        s(&p["name"]),
                        s(&p["from_image"]),
                        s(&p["to_image"]),
                        s(&p["phases"]["t0"]),
                        s(&p["phases"]["t4"])
                    );
                }
            }
        }
        MigrateCommand::Plan(PlanCommand::Show { name }) => {
            let body = client.send("GET", &format!("/lamina/plans/{name}"), None)?;
            if json {
                print_json(&body)?;
            } else {
                print_plan(&body);
            }
        }
        MigrateCommand::Plan(PlanCommand::Delete { name }) => {
            client.send("DELETE", &format!("/lamina/plans/{name}"), None)?;
            println!("plan {name} deleted");
        }
        MigrateCommand::Status { at } => {
            let query = match at {
                Some(raw) => format!("?at={}", instant_query(&raw)?),
                None => String::new(),
            };
            let mut body = client.send("GET", &format!("/lamina/migration/status{query}"), None)?;
            add_edge_triggers(&client, &mut body);
            if json {
                print_json(&body)?;
            } else {
                print_status(&body);
            }
        }
        MigrateCommand::Simulate { at } => {
            let query = instant_query(&at)?;
            let body = client.send(
                "GET",
                &format!("/lamina/migration/simulate?at={query}"),
                None,
            )?;
            if json {
                print_json(&body)?;
            } else {
                print_simulation(&body);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks an instant locally (a clear error before any request) and encodes it for a query.
fn instant_query(raw: &str) -> anyhow::Result<String> {
    let t = parse_instant(raw)?;
    Ok(rfc3339(t).replace('+', "%2B"))
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

fn print_json(v: &Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn print_plan(p: &Value) {
    println!("name:        {}", s(&p["name"]));
    if !p["description"].as_str().unwrap_or("").is_empty() {
        println!("description: {}", s(&p["description"]));
    }
    println!(
        "images:      {} -> {}",
        s(&p["from_image"]),
        s(&p["to_image"])
    );
    println!("runtimes:    {}", s(&p["runtimes"]));
    println!("opt-in flag: {}", s(&p["opt_in_layer_arn"]));
    println!("delay flag:  {}", s(&p["delay_layer_arn"]));
    for (key, label) in [
        ("t0", "testing starts"),
        ("t1", "new and updated functions"),
        ("t2", "general update"),
        ("t3", "end of delay"),
        ("t4", "completion"),
    ] {
        println!(
            "{}:          {}  {label}",
            key.to_uppercase(),
            s(&p["phases"][key])
        );
    }
}

/// Names, beside each function version, the CloudFront distributions whose Lambda@Edge
/// triggers run it (`edge_triggers`), so a migration's reach into the edge shows. A server
/// that cannot say leaves the report as it is.
fn add_edge_triggers(client: &Server, body: &mut Value) {
    let Ok(edge) = client.send("GET", "/lamina/edge/triggers", None) else {
        return;
    };
    let triggers = edge["triggers"].as_array().cloned().unwrap_or_default();
    for f in body["functions"].as_array_mut().into_iter().flatten() {
        let mine: Vec<Value> = triggers
            .iter()
            .filter(|t| t["function"] == f["function"] && t["version"] == f["version"])
            .map(|t| {
                serde_json::json!({
                    "distribution_id": t["distributionId"],
                    "domain_name": t["domainName"],
                    "event_type": t["eventType"],
                    "enabled": t["enabled"],
                })
            })
            .collect();
        if let Some(map) = f.as_object_mut() {
            map.insert("edge_triggers".to_string(), Value::Array(mine));
        }
    }
}

fn print_status(body: &Value) {
    println!("as of {}", s(&body["at"]));
    for p in body["plans"].as_array().into_iter().flatten() {
        let next = match &p["next_phase"] {
            Value::Null => "completed".to_string(),
            n => format!("next {} at {}", s(&n["phase"]), s(&n["at"])),
        };
        println!(
            "plan {}: {} -> {}, phase {}, {next}; {} on {}, {} on {}",
            s(&p["name"]),
            s(&p["from_image"]),
            s(&p["to_image"]),
            s(&p["phase"]),
            p["on_from_image"],
            s(&p["from_image"]),
            p["on_to_image"],
            s(&p["to_image"])
        );
        for w in p["warnings"].as_array().into_iter().flatten() {
            println!("  warning: {}", s(w));
        }
    }
    println!();
    println!(
        "{:<28} {:<10} {:<12} {:<18} {:<34} {:<20} SCAN",
        "FUNCTION", "RUNTIME", "IMAGE", "RULE", "COMING", "FLAGS"
    );
    for f in body["functions"].as_array().into_iter().flatten() {
        let coming: Vec<String> = f["upcoming"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|u| format!("{}:{}", s(&u["phase"]), s(&u["image"])))
            .collect();
        let flags: Vec<String> = f["flags"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|fl| s(&fl["kind"]))
            .collect();
        let scan: Vec<String> = f["scan"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(image, verdict)| format!("{image}: {}", s(verdict)))
            .collect();
        println!(
            "{:<28} {:<10} {:<12} {:<18} {:<34} {:<20} {}",
            format!("{}:{}", s(&f["function"]), s(&f["version"])),
            s(&f["runtime"]),
            s(&f["image"]),
            match &f["rule_number"] {
                Value::Null => s(&f["rule"]),
                n => format!("{} ({n})", s(&f["rule"])),
            },
            if coming.is_empty() {
                "-".into()
            } else {
                coming.join(" ")
            },
            if flags.is_empty() {
                "-".into()
            } else {
                flags.join(",")
            },
            scan.join("; ")
        );
        let interpreters: Vec<String> = f["interpreters"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(image, i)| format!("{image}: {}", s(i)))
            .collect();
        if !interpreters.is_empty() {
            println!("  interpreter: {}", interpreters.join("; "));
        }
        for w in f["warnings"].as_array().into_iter().flatten() {
            println!("  warning: {}", s(w));
        }
        for t in f["edge_triggers"].as_array().into_iter().flatten() {
            println!(
                "  edge: {} {} ({}){}",
                s(&t["distribution_id"]),
                s(&t["event_type"]),
                s(&t["domain_name"]),
                if t["enabled"] == Value::Bool(true) {
                    ""
                } else {
                    ", disabled"
                }
            );
        }
    }
}

fn print_simulation(body: &Value) {
    println!("now {} -> simulated {}", s(&body["now"]), s(&body["at"]));
    println!(
        "{:<28} {:<10} {:<12} {:<12} {:<18} CHANGES",
        "FUNCTION", "RUNTIME", "NOW", "THEN", "RULE THEN"
    );
    for f in body["functions"].as_array().into_iter().flatten() {
        println!(
            "{:<28} {:<10} {:<12} {:<12} {:<18} {}",
            format!("{}:{}", s(&f["function"]), s(&f["version"])),
            s(&f["runtime"]),
            s(&f["image_now"]),
            s(&f["image_at"]),
            s(&f["rule_at"]),
            if f["changes"] == Value::Bool(true) {
                "moves"
            } else {
                "-"
            }
        );
        if let Value::String(change) = &f["interpreter_change"] {
            println!("  interpreter: {change}");
        }
        for w in f["warnings_at"].as_array().into_iter().flatten() {
            println!("  warning: {}", s(w));
        }
    }
}
