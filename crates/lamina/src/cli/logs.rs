//! `lamina logs FUNCTION [--follow]`: prints a function's log events from a running server,
//! as `sam logs` prints CloudWatch's.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context;

use super::http::Server;

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
    let server = Server::new(&args.endpoint_url);
    let path = format!("/lamina/logs/{}", args.function);
    let stdout = std::io::stdout();
    if args.follow {
        let stream = server.stream(&format!("{path}?follow=true"))?;
        for line in std::io::BufReader::new(stream).lines() {
            let line = line.context("reading the log stream")?;
            let mut out = stdout.lock();
            writeln!(out, "{line}")?;
            out.flush()?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let body = server.send("GET", &path, None)?;
    let mut out = stdout.lock();
    for event in body["events"].as_array().into_iter().flatten() {
        writeln!(out, "{}", event["message"].as_str().unwrap_or_default())?;
    }
    Ok(ExitCode::SUCCESS)
}
