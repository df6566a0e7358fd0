//! `auth_burst`: does a burst of badly signed requests slow down good ones? Starts a real
//! `lamina server` with an access key (authentication required), measures signed
//! ListFunctions latency alone, then again while concurrent clients send a burst of requests
//! signed with the right key id and a wrong secret (the most expensive refusal: key found,
//! body read, HMAC computed, signatures compared). Prints p50/p99 of both and their ratio
//! for docs/benchmarks.md. It signs with `lamina-auth`'s signer (the client side only).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// Command line.
#[derive(Debug, Parser)]
struct Args {
    /// The lamina binary to start.
    #[arg(long, default_value = "target/release/lamina")]
    lamina: PathBuf,
    /// Bad requests in the burst.
    #[arg(long, default_value_t = 10_000)]
    bad: u64,
    /// Concurrent clients sending the burst.
    #[arg(long, default_value_t = 32)]
    concurrency: u64,
    /// Good requests measured alone (and at least this many during the burst).
    #[arg(long, default_value_t = 2_000)]
    good: usize,
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

fn signed(
    url: &str,
    host: &str,
    id: &str,
    secret: &str,
) -> anyhow::Result<hyper::Request<Full<Bytes>>> {
    let path = "/2015-03-31/functions/";
    let head = lamina_auth::sigv4::RequestHead {
        method: "GET",
        path,
        query: "",
        headers: vec![("host", host.as_bytes())],
    };
    let credentials = lamina_auth::sigv4::SigningCredentials {
        access_key_id: id,
        secret,
        session_token: None,
        region: "us-east-1",
        service: "lambda",
    };
    let mut request = hyper::Request::get(format!("{url}{path}"));
    for (k, v) in
        lamina_auth::sigv4::sign(&head, b"", &credentials, time::OffsetDateTime::now_utc())
    {
        request = request.header(k, v);
    }
    Ok(request.body(Full::new(Bytes::new()))?)
}

async fn call(client: &HttpClient, request: hyper::Request<Full<Bytes>>) -> anyhow::Result<u16> {
    let response = client.request(request).await?;
    let status = response.status().as_u16();
    response.into_body().collect().await?;
    Ok(status)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

async fn good_run(
    client: &HttpClient,
    url: &str,
    host: &str,
    key: &(String, String),
    at_least: usize,
    until: Option<&AtomicBool>,
) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::new();
    while times.len() < at_least || until.is_some_and(|d| !d.load(Ordering::Relaxed)) {
        let request = signed(url, host, &key.0, &key.1)?;
        let started = Instant::now();
        let status = call(client, request).await?;
        times.push(started.elapsed());
        if status != 200 {
            bail!("a good request got {status}");
        }
    }
    times.sort();
    Ok(times)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let data = std::env::temp_dir().join(format!("lamina-auth-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let out = Command::new(&args.lamina)
        .args([
            "auth",
            "create-key",
            "--account",
            "000000000000",
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .context("lamina auth create-key")?;
    let key: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("create-key output")?;
    let key = (
        key["AccessKeyId"].as_str().unwrap_or_default().to_string(),
        key["SecretAccessKey"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    );
    let mut child = Command::new(&args.lamina)
        .args([
            "server",
            "--no-engine",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(&data)
        .env("LAMINA_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting lamina")?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("no stdout")?).read_line(&mut line)?;
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_string();
    let host = url.trim_start_matches("http://").to_string();
    let result = run(&args, &url, &host, &key).await;
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&data);
    result
}

async fn run(args: &Args, url: &str, host: &str, key: &(String, String)) -> anyhow::Result<()> {
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    // Warm up connections and the key ring.
    good_run(&client, url, host, key, 200, None).await?;
    let alone = good_run(&client, url, host, key, args.good, None).await?;
    let done = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut burst = Vec::new();
    for _ in 0..args.concurrency {
        let (client, url, host, id) = (
            client.clone(),
            url.to_string(),
            host.to_string(),
            key.0.clone(),
        );
        let (sent, refused, total) = (Arc::clone(&sent), Arc::clone(&refused), args.bad);
        burst.push(tokio::spawn(async move {
            while sent.fetch_add(1, Ordering::Relaxed) < total {
                let request = signed(&url, &host, &id, "not-the-secret")?;
                if call(&client, request).await? == 403 {
                    refused.fetch_add(1, Ordering::Relaxed);
                }
            }
            anyhow::Ok(())
        }));
    }
    // The good client runs on its own thread and runtime, so the burst's client tasks do not
    // delay it on this side of the socket.
    let measuring = {
        let done = Arc::clone(&done);
        let (url, host, key, good) = (url.to_string(), host.to_string(), key.clone(), args.good);
        std::thread::spawn(move || -> anyhow::Result<Vec<Duration>> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
                good_run(&client, &url, &host, &key, good, Some(&done)).await
            })
        })
    };
    for task in burst {
        task.await??;
    }
    let burst_time = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let during = measuring
        .join()
        .map_err(|_| anyhow::anyhow!("the measuring thread panicked"))??;
    let refused = refused.load(Ordering::Relaxed);
    if refused != args.bad {
        bail!("{refused} of {} bad requests were refused", args.bad);
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mean = |t: &[Duration]| t.iter().sum::<Duration>() / t.len().max(1) as u32;
    println!("| | good requests | mean | p50 | p90 | p99 |");
    println!("|---|---|---|---|---|---|");
    for (name, t) in [("alone", &alone), ("during the burst", &during)] {
        println!(
            "| {name} | {} | {:.2?} | {:.2?} | {:.2?} | {:.2?} |",
            t.len(),
            mean(t),
            percentile(t, 0.5),
            percentile(t, 0.9),
            percentile(t, 0.99)
        );
    }
    println!(
        "\nburst: {} bad requests (wrong secret) from {} clients in {:.2?}, all refused with 403; p50 ratio {:.2}, mean ratio {:.2}; load average {}",
        args.bad,
        args.concurrency,
        burst_time,
        percentile(&during, 0.5).as_secs_f64() / percentile(&alone, 0.5).as_secs_f64(),
        mean(&during).as_secs_f64() / mean(&alone).as_secs_f64(),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(())
}
