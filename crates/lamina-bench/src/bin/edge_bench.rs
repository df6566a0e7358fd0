//! `edge_bench`: the Lambda@Edge proxy side by side with a direct origin fetch. Starts a real
//! `lamina server --edge-listen`, an origin in this process (hyper, answers at once), deploys
//! a Python viewer-request function that returns the request unchanged, creates two
//! distributions through CloudFront's API (no trigger; viewer-request), and measures
//! sequential latency (p50/p99) and throughput with concurrent clients for: the origin
//! directly, a proxied miss (`Cache-Control: no-store`), a cache hit with no trigger, and a
//! cache hit behind a warm viewer-request trigger. Prints a Markdown table.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
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
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::json;

/// Command line.
#[derive(Debug, Parser)]
struct Args {
    /// The lamina binary to start.
    #[arg(long, default_value = "target/debug/lamina")]
    lamina: PathBuf,
    /// Sequential requests per case for latency.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Seconds of each throughput run.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Concurrent clients in the throughput runs.
    #[arg(long, default_value_t = 8)]
    workers: usize,
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

struct Server {
    child: Child,
    api: String,
    edge: String,
    data: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

fn start_server(lamina: &PathBuf) -> anyhow::Result<Server> {
    let data = std::env::temp_dir().join(format!("lamina-edge-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut child = Command::new(lamina)
        .args([
            "server",
            "--listen",
            "127.0.0.1:0",
            "--edge-listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(&data)
        .env("LAMINA_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", lamina.display()))?;
    let mut reader = BufReader::new(child.stdout.take().context("no stdout")?);
    let (mut api, mut edge) = (String::new(), String::new());
    while api.is_empty() {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            bail!("lamina exited before listening");
        }
        let url = line
            .trim()
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_string();
        if line.starts_with("lamina edge listening") {
            edge = url;
        } else if line.starts_with("lamina listening") {
            api = url;
        }
    }
    if edge.is_empty() {
        bail!("lamina did not start the edge proxy");
    }
    Ok(Server {
        child,
        api,
        edge,
        data,
    })
}

/// The origin: `/fresh` is never cached, anything else for an hour.
async fn start_origin() -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    |req: hyper::Request<hyper::body::Incoming>| async move {
                        let cache = if req.uri().path() == "/fresh" {
                            "no-store"
                        } else {
                            "max-age=3600"
                        };
                        hyper::Response::builder()
                            .header("content-type", "text/plain")
                            .header("cache-control", cache)
                            .body(Full::new(Bytes::from_static(b"hello from the origin\n")))
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

fn zip_of(name: &str, content: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    z.start_file(
        name,
        zip::write::SimpleFileOptions::default().unix_permissions(0o644),
    )?;
    z.write_all(content)?;
    z.finish()?;
    Ok(buf.into_inner())
}

/// Deploys the pass-through viewer-request function; returns its version 1 ARN.
fn deploy_trigger(api: &str) -> anyhow::Result<String> {
    use base64::Engine;
    let code = zip_of(
        "app.py",
        b"def handler(event, context):\n    return event['Records'][0]['cf']['request']\n",
    )?;
    let body = json!({
        "FunctionName": "edge-pass", "Runtime": "python3.11", "Handler": "app.handler",
        "Role": "arn:aws:iam::000000000000:role/bench", "MemorySize": 128, "Timeout": 5,
        "Code": { "ZipFile": base64::engine::general_purpose::STANDARD.encode(code) },
    });
    ureq::post(&format!("{api}/2015-03-31/functions"))
        .send_json(&body)
        .context("creating the trigger function")?;
    let published: serde_json::Value =
        ureq::post(&format!("{api}/2015-03-31/functions/edge-pass/versions"))
            .send_json(json!({}))
            .context("publishing the trigger")?
            .body_mut()
            .read_json()?;
    published["FunctionArn"]
        .as_str()
        .map(String::from)
        .context("no FunctionArn")
}

/// Creates a distribution in front of the origin; returns its domain name.
fn distribution(api: &str, origin: SocketAddr, trigger: Option<&str>) -> anyhow::Result<String> {
    let associations = match trigger {
        Some(arn) => format!(
            "<LambdaFunctionAssociations><Quantity>1</Quantity><Items><LambdaFunctionAssociation><LambdaFunctionARN>{arn}</LambdaFunctionARN><EventType>viewer-request</EventType></LambdaFunctionAssociation></Items></LambdaFunctionAssociations>"
        ),
        None => "<LambdaFunctionAssociations><Quantity>0</Quantity></LambdaFunctionAssociations>"
            .to_string(),
    };
    let xml = format!(
        "<DistributionConfig xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><CallerReference>bench-{}</CallerReference><Origins><Quantity>1</Quantity><Items><Origin><Id>o</Id><DomainName>localhost</DomainName><CustomOriginConfig><HTTPPort>{}</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOriginConfig></Origin></Items></Origins><DefaultCacheBehavior><TargetOriginId>o</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>{associations}<ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies></ForwardedValues><MinTTL>0</MinTTL></DefaultCacheBehavior><Comment></Comment><Enabled>true</Enabled></DistributionConfig>",
        trigger.is_some(),
        origin.port()
    );
    let body = ureq::post(&format!("{api}/2020-05-31/distribution"))
        .header("content-type", "text/xml")
        .send(xml.as_str())
        .context("creating a distribution")?
        .body_mut()
        .read_to_string()?;
    let start = body.find("<DomainName>").context("no DomainName")? + "<DomainName>".len();
    let end = start + body[start..].find('<').context("no DomainName end")?;
    Ok(body[start..end].to_string())
}

/// One request of a case: (URL, Host header or none).
#[derive(Clone)]
struct Case {
    url: String,
    host: Option<String>,
}

async fn get(client: &HttpClient, case: &Case) -> anyhow::Result<String> {
    let mut req = hyper::Request::get(&case.url);
    if let Some(host) = &case.host {
        req = req.header("host", host);
    }
    let resp = client.request(req.body(Full::new(Bytes::new()))?).await?;
    let status = resp.status();
    let x_cache = resp
        .headers()
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    resp.into_body().collect().await?;
    if !status.is_success() {
        bail!("{} answered {status} ({x_cache})", case.url);
    }
    Ok(x_cache)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len().saturating_sub(1)) as f64 * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

async fn latency(
    client: &HttpClient,
    case: &Case,
    n: usize,
) -> anyhow::Result<(Duration, Duration, String)> {
    let mut x_cache = String::new();
    for _ in 0..50 {
        x_cache = get(client, case).await?;
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        get(client, case).await?;
        samples.push(t.elapsed());
    }
    samples.sort();
    Ok((
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        x_cache,
    ))
}

async fn throughput(client: &HttpClient, case: &Case, seconds: u64, workers: usize) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (client, case, done, stop) = (client.clone(), case.clone(), done.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if get(&client, &case).await.is_ok() {
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
    done.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64()
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = start_server(&args.lamina)?;
    let origin = start_origin().await?;
    let arn = deploy_trigger(&server.api)?;
    let plain = distribution(&server.api, origin, None)?;
    let triggered = distribution(&server.api, origin, Some(&arn))?;
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let cases = [
        (
            "origin directly",
            Case {
                url: format!("http://{origin}/cached"),
                host: None,
            },
        ),
        (
            "edge, miss (no-store), no trigger",
            Case {
                url: format!("{}/fresh", server.edge),
                host: Some(plain.clone()),
            },
        ),
        (
            "edge, cache hit, no trigger",
            Case {
                url: format!("{}/cached", server.edge),
                host: Some(plain),
            },
        ),
        (
            "edge, cache hit, viewer-request (warm Python)",
            Case {
                url: format!("{}/cached", server.edge),
                host: Some(triggered),
            },
        ),
    ];
    println!(
        "| case | X-Cache | p50 | p99 | requests/s ({} clients) |",
        args.workers
    );
    println!("|---|---|---|---|---|");
    for (name, case) in &cases {
        let (p50, p99, x_cache) = latency(&client, case, args.requests).await?;
        let rps = throughput(&client, case, args.seconds, args.workers).await;
        println!(
            "| {name} | {} | {} | {} | {rps:.0} |",
            if x_cache.is_empty() { "—" } else { &x_cache },
            us(p50),
            us(p99)
        );
    }
    drop(server);
    Ok(())
}
