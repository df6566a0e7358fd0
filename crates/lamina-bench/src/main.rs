//! `lamina-bench`: starts a real `lamina server`, deploys functions through the Lambda API
//! and measures what docs/benchmarks.md reports: warm invoke latency (p50/p99) and
//! throughput through the Invoke API, cold starts, server idle RSS and memory per warm
//! sandbox. Figures are printed as a Markdown table.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::json;

/// Command line.
#[derive(Debug, Parser)]
struct Args {
    /// The lamina binary to start.
    #[arg(long, default_value = "target/release/lamina")]
    lamina: PathBuf,
    /// A `provided` bootstrap built on the `lambda_runtime` crate.
    #[arg(long, default_value = "target/release/examples/echo_runtime")]
    provided_bootstrap: PathBuf,
    /// Sequential warm invokes per function for latency.
    #[arg(long, default_value_t = 10_000)]
    warm_invokes: usize,
    /// Seconds of the throughput run.
    #[arg(long, default_value_t = 5)]
    throughput_seconds: u64,
    /// Cold starts to measure.
    #[arg(long, default_value_t = 50)]
    cold_starts: usize,
    /// Warm sandboxes to hold for the memory measurement.
    #[arg(long, default_value_t = 20)]
    memory_sandboxes: usize,
}

struct Server {
    child: Child,
    url: String,
    _data: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        // A graceful stop (SIGTERM) lets the server destroy its sandboxes; a kill left their
        // `/tmp` mounts and cgroups behind under the data folder. Killed if it does not stop.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.child.try_wait() {
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Ok(Some(_)) => break,
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self._data);
    }
}

fn start_server(lamina: &PathBuf) -> anyhow::Result<Server> {
    let data = std::env::temp_dir().join(format!("lamina-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut child = Command::new(lamina)
        .args(["server", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env("LAMINA_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", lamina.display()))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_string();
    if !url.starts_with("http://") {
        bail!("unexpected first line from lamina: {line:?}");
    }
    Ok(Server {
        child,
        url,
        _data: data,
    })
}

fn zip_of(files: &[(&str, &[u8], u32)]) -> anyhow::Result<Vec<u8>> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    for (name, content, mode) in files {
        let opts = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
        z.start_file(*name, opts)?;
        z.write_all(content)?;
    }
    z.finish()?;
    Ok(buf.into_inner())
}

fn create(url: &str, name: &str, runtime: &str, handler: &str, zip: &[u8]) -> anyhow::Result<()> {
    use base64::Engine;
    let body = json!({
        "FunctionName": name, "Runtime": runtime, "Handler": handler,
        "Role": "arn:aws:iam::000000000000:role/bench", "MemorySize": 128,
        "Code": { "ZipFile": base64::engine::general_purpose::STANDARD.encode(zip) },
    });
    ureq::post(&format!("{url}/2015-03-31/functions"))
        .send_json(&body)
        .with_context(|| format!("creating {name}"))?;
    Ok(())
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

async fn invoke(
    client: &HttpClient,
    url: &str,
    name: &str,
    tail: bool,
) -> anyhow::Result<(Bytes, Option<String>)> {
    let mut req = hyper::Request::post(format!("{url}/2015-03-31/functions/{name}/invocations"));
    if tail {
        req = req.header("x-amz-log-type", "Tail");
    }
    let resp = client
        .request(req.body(Full::new(Bytes::from_static(b"{\"k\":1}")))?)
        .await?;
    let log = resp
        .headers()
        .get("x-amz-log-result")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        bail!(
            "invoke of {name} answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    Ok((body, log))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

async fn warm_latency(
    client: &HttpClient,
    url: &str,
    name: &str,
    n: usize,
) -> anyhow::Result<(Duration, Duration)> {
    for _ in 0..200 {
        invoke(client, url, name, false).await?;
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        invoke(client, url, name, false).await?;
        samples.push(t.elapsed());
    }
    samples.sort();
    Ok((percentile(&samples, 0.5), percentile(&samples, 0.99)))
}

async fn throughput(
    client: &HttpClient,
    url: &str,
    name: &str,
    seconds: u64,
    workers: usize,
) -> anyhow::Result<f64> {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (client, url, name, done, stop) = (
            client.clone(),
            url.to_string(),
            name.to_string(),
            done.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if invoke(&client, &url, &name, false).await.is_ok() {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = t.elapsed();
    for task in tasks {
        let _ = task.await;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64())
}

/// Cold starts: each round changes the configuration (a new revision drains the warm
/// environment), then one invoke pays the whole start. Returns (end-to-end, Init Duration).
async fn cold_starts(
    client: &HttpClient,
    url: &str,
    name: &str,
    n: usize,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    use base64::Engine;
    let mut e2e = Vec::new();
    let mut init = Vec::new();
    for i in 0..n {
        ureq::put(&format!("{url}/2015-03-31/functions/{name}/configuration"))
            .send_json(json!({ "Environment": { "Variables": { "ROUND": i.to_string() } } }))?;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let t = Instant::now();
        let (_, log) = invoke(client, url, name, true).await?;
        e2e.push(t.elapsed());
        let log = base64::engine::general_purpose::STANDARD
            .decode(log.unwrap_or_default())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&log);
        if let Some(ms) = text
            .split("Init Duration: ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse::<f64>().ok())
        {
            init.push(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    e2e.sort();
    init.sort();
    Ok((e2e, init))
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(String::from)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bootstrap = std::fs::read(&args.provided_bootstrap)
        .with_context(|| format!("reading {} (build it with `cargo build --release -p lamina-runtime-api --example echo_runtime`)", args.provided_bootstrap.display()))?;
    let server = start_server(&args.lamina)?;
    let url = server.url.clone();
    let pid = server.child.id();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss = rss_kib(pid);

    create(
        &url,
        "rust-echo",
        "provided.al2023",
        "bootstrap",
        &zip_of(&[("bootstrap", &bootstrap, 0o755)])?,
    )?;
    create(
        &url,
        "py-echo",
        "python3.11",
        "app.handler",
        &zip_of(&[(
            "app.py",
            b"def handler(event, context):\n    return event\n",
            0o644,
        )])?,
    )?;
    let client: HttpClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(16)
        .build_http();

    println!("| measurement | figure |\n|---|---|");
    println!("| server idle RSS | {} MiB |", idle_rss / 1024);
    for (name, label) in [
        ("rust-echo", "provided (lambda_runtime)"),
        ("py-echo", "python3.11 (Lamina client)"),
    ] {
        let (p50, p99) = warm_latency(&client, &url, name, args.warm_invokes).await?;
        println!(
            "| warm invoke {label}, sequential, p50 / p99 | {} / {} |",
            us(p50),
            us(p99)
        );
    }
    // Two warm sandboxes: reserve 2 so exactly two environments serve the load.
    ureq::put(&format!("{url}/2017-10-31/functions/rust-echo/concurrency"))
        .send_json(json!({"ReservedConcurrentExecutions": 2}))?;
    let (a, b) = tokio::join!(
        invoke(&client, &url, "rust-echo", false),
        invoke(&client, &url, "rust-echo", false)
    );
    a?;
    b?;
    let rate = throughput(&client, &url, "rust-echo", args.throughput_seconds, 2).await?;
    println!(
        "| throughput, provided, 2 warm sandboxes, 2 client connections | {rate:.0} invokes/s |"
    );
    let rate4 = throughput(&client, &url, "py-echo", args.throughput_seconds, 4).await?;
    println!(
        "| throughput, python, 4 client connections (up to 4 sandboxes) | {rate4:.0} invokes/s |"
    );

    for (name, label) in [("rust-echo", "provided"), ("py-echo", "python3.11")] {
        let (e2e, init) = cold_starts(&client, &url, name, args.cold_starts).await?;
        println!(
            "| cold invoke {label}, end to end p50 / p99 | {} / {} |",
            us(percentile(&e2e, 0.5)),
            us(percentile(&e2e, 0.99))
        );
        println!(
            "| cold start {label}, Init Duration (runtime start → first /next) p50 / p99 | {} / {} |",
            us(percentile(&init, 0.5)),
            us(percentile(&init, 0.99))
        );
    }

    // Functions are created first: CreateFunction decodes a multi-MiB zip, and the memory the
    // allocator keeps from that is not the cost of a sandbox. One sandbox is warmed before the
    // first reading so that one-off growth (the first netns, the first log group) is not
    // counted either; the figure is the growth per additional warm sandbox.
    let n = args.memory_sandboxes.max(2);
    for i in 0..n {
        create(
            &url,
            &format!("mem-{i}"),
            "provided.al2023",
            "bootstrap",
            &zip_of(&[("bootstrap", &bootstrap, 0o755)])?,
        )?;
    }
    invoke(&client, &url, "mem-0", false).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid);
    for i in 1..n {
        invoke(&client, &url, &format!("mem-{i}"), false).await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(pid);
    let per = (after.saturating_sub(before)) as f64 / (n - 1) as f64;
    println!(
        "| server RSS per warm sandbox ({} sandboxes after the first, functions created beforehand) | {per:.0} KiB |",
        n - 1
    );
    Ok(())
}
