//! `lamina logs FUNCTION [--follow]`: prints a function's log events from a running server,
//! as `sam logs` prints CloudWatch's.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context;

/// Flags of `lamina logs`.
#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// The function's name.
    pub function: String,
    /// Keep printing new events as they come.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// The server to ask.
    #[arg(
        long,
        default_value = "http://127.0.0.1:9001",
        env = "LAMINA_ENDPOINT_URL"
    )]
    pub endpoint_url: String,
}

/// Prints the logs.
pub fn run(args: LogsArgs) -> anyhow::Result<ExitCode> {
    let base = args.endpoint_url.trim_end_matches('/');
    let url = format!("{base}/lamina/logs/{}", args.function);
    let stdout = std::io::stdout();
    if args.follow {
        let mut response = ureq::get(&format!("{url}?follow=true"))
            .call()
            .with_context(|| format!("asking {base} for the logs of {}", args.function))?;
        let reader = std::io::BufReader::new(response.body_mut().as_reader());
        for line in reader.lines() {
            let line = line.context("reading the log stream")?;
            let mut out = stdout.lock();
            writeln!(out, "{line}")?;
            out.flush()?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut response = match ureq::get(&url)
        .config()
        .http_status_as_error(false)
        .build()
        .call()
    {
        Ok(r) => r,
        Err(e) => anyhow::bail!(
            "cannot reach the Lamina server at {base} ({e}); is `lamina server` running?"
        ),
    };
    let status = response.status();
    let body: serde_json::Value = response
        .body_mut()
        .read_json()
        .context("reading the server's answer")?;
    if !status.is_success() {
        anyhow::bail!(
            "{}",
            body["Message"]
                .as_str()
                .unwrap_or("the server refused the request")
        );
    }
    let mut out = stdout.lock();
    for event in body["events"].as_array().into_iter().flatten() {
        writeln!(out, "{}", event["message"].as_str().unwrap_or_default())?;
    }
    Ok(ExitCode::SUCCESS)
}
