//! `lamina generate-event SERVICE EVENT [--option value]…`: sample events as the real
//! services send them (`sam local generate-event`). The services, events and options come
//! from the `lamina-events` catalog, so the arguments are parsed here by hand and `--help`
//! is generated from the catalog at every level.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

/// Flags of `lamina generate-event` (parsed by hand against the catalog).
#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true)]
pub struct GenerateEventArgs {
    /// SERVICE EVENT [--option value]… ; `--help` at any level lists what is there.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    pub args: Vec<String>,
}

fn is_help(arg: &str) -> bool {
    matches!(arg, "--help" | "-h" | "help")
}

fn services_help() -> String {
    let mut out = String::from(
        "Usage: lamina generate-event SERVICE EVENT [OPTIONS]\n\nPrints a sample event of SERVICE as JSON, for `lamina local invoke -e -`.\n\nServices and their events:\n",
    );
    for service in lamina_events::services() {
        let events: Vec<&str> = lamina_events::events(service)
            .map(|e| e.iter().map(|s| s.name).collect())
            .unwrap_or_default();
        let _ = writeln!(out, "  {service:<20} {}", events.join(", "));
    }
    out.push_str("\nRun `lamina generate-event SERVICE --help` for the events' descriptions and `lamina generate-event SERVICE EVENT --help` for their options.\n");
    out
}

fn service_help(service: &str) -> anyhow::Result<String> {
    let events = lamina_events::events(service)?;
    let mut out = format!("Usage: lamina generate-event {service} EVENT [OPTIONS]\n\nEvents:\n");
    for e in events {
        let _ = writeln!(out, "  {:<28} {}", e.name, e.description);
    }
    Ok(out)
}

fn event_help(service: &str, event: &str) -> anyhow::Result<String> {
    let spec = lamina_events::find(service, event)?;
    let mut out = format!(
        "Usage: lamina generate-event {service} {event} [OPTIONS]\n\n{}\n\nOptions:\n",
        spec.description
    );
    for p in spec.params {
        let _ = writeln!(
            out,
            "  --{:<26} {} [default: {}]",
            p.name, p.help, p.default
        );
    }
    if spec.params.is_empty() {
        out.push_str("  (none)\n");
    }
    Ok(out)
}

/// Runs `lamina generate-event`.
pub fn run(args: GenerateEventArgs) -> anyhow::Result<ExitCode> {
    let a = args.args;
    let positional: Vec<&String> = a.iter().take_while(|s| !s.starts_with('-')).collect();
    let wants_help = a.iter().any(|s| is_help(s));
    match (positional.first(), positional.get(1)) {
        (None, _) => {
            print!("{}", services_help());
            return Ok(if wants_help {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            });
        }
        (Some(service), None) => {
            if is_help(service) {
                print!("{}", services_help());
                return Ok(ExitCode::SUCCESS);
            }
            print!("{}", service_help(service)?);
            return Ok(if wants_help {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            });
        }
        (Some(service), Some(event)) if wants_help => {
            print!("{}", event_help(service, event)?);
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let (service, event) = (positional[0].as_str(), positional[1].as_str());
    let mut options = BTreeMap::new();
    let mut rest = a[2..].iter();
    while let Some(arg) = rest.next() {
        let Some(flag) = arg.strip_prefix("--") else {
            anyhow::bail!("unexpected argument {arg:?}: options are written --name value");
        };
        let (name, value) = match flag.split_once('=') {
            Some((n, v)) => (n.to_string(), v.to_string()),
            None => {
                let value = rest.next().ok_or_else(|| {
                    anyhow::anyhow!("option --{flag} needs a value (see `lamina generate-event {service} {event} --help`)")
                })?;
                (flag.to_string(), value.clone())
            }
        };
        options.insert(name, value);
    }
    let text = lamina_events::generate_text(service, event, &options)?;
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    Ok(ExitCode::SUCCESS)
}
