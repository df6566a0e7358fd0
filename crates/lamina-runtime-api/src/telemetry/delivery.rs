//! Delivery of one subscriber's records: a task that batches them under the subscription's
//! bounds (a batch goes out when it holds `maxItems` records or `maxBytes` bytes, or
//! `timeoutMs` after its first record) and sends each batch into the sandbox — an HTTP POST
//! of a JSON array, or newline-delimited JSON on a TCP connection. A batch that cannot be
//! delivered after a few tries with backoff is dropped; records the subscriber could not
//! take (its queue was full) are counted and announced with `platform.logsDropped`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::record::Record;
use super::subscription::{Destination, Subscription};
use super::{Connector, TelemetryKind};

/// Waits between delivery attempts of one batch.
const RETRY_BACKOFF: [Duration; 3] = [
    Duration::from_millis(50),
    Duration::from_millis(200),
    Duration::from_millis(500),
];
/// How long one attempt may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// What the emitting side holds for one subscriber.
#[derive(Debug, Clone)]
pub(crate) struct Feed {
    pub(crate) tx: mpsc::Sender<Arc<Record>>,
    pub(crate) dropped: Arc<Dropped>,
}

/// Records and bytes a subscriber missed because its queue was full.
#[derive(Debug, Default)]
pub(crate) struct Dropped {
    records: AtomicU64,
    bytes: AtomicU64,
}

impl Feed {
    /// Queues `record`; counts it as dropped when the subscriber lags too far behind.
    pub(crate) fn offer(&self, record: Arc<Record>) {
        let len = record.json.len() as u64;
        if self.tx.try_send(record).is_err() {
            self.dropped.records.fetch_add(1, Ordering::Relaxed);
            self.dropped.bytes.fetch_add(len, Ordering::Relaxed);
        }
    }
}

/// Starts the delivery task of `sub` on the current tokio runtime.
pub(crate) fn start(sub: &Subscription, connector: Connector) -> Feed {
    // Twice a full batch may wait while one is being sent; beyond that records are dropped.
    let (tx, rx) = mpsc::channel(sub.max_items * 2);
    let dropped = Arc::new(Dropped::default());
    let task = Task {
        rx,
        dropped: Arc::clone(&dropped),
        max_items: sub.max_items,
        max_bytes: sub.max_bytes,
        timeout: Duration::from_millis(sub.timeout_ms),
        outlet: Outlet {
            destination: sub.destination.clone(),
            connector,
            http: None,
            tcp: None,
        },
    };
    tokio::spawn(task.run());
    Feed { tx, dropped }
}

struct Task {
    rx: mpsc::Receiver<Arc<Record>>,
    dropped: Arc<Dropped>,
    max_items: usize,
    max_bytes: usize,
    timeout: Duration,
    outlet: Outlet,
}

impl Task {
    async fn run(mut self) {
        let mut batch: Vec<Arc<Record>> = Vec::new();
        let mut bytes = 0usize;
        let mut due: Option<tokio::time::Instant> = None;
        loop {
            let received = match due {
                None => Some(self.rx.recv().await),
                Some(at) => tokio::time::timeout_at(at, self.rx.recv()).await.ok(),
            };
            match received {
                // Every sender is gone (the sandbox shuts down): send what is left and stop.
                Some(None) => {
                    self.flush(&mut batch).await;
                    return;
                }
                Some(Some(record)) => {
                    bytes += record.json.len();
                    batch.push(record);
                    due.get_or_insert_with(|| tokio::time::Instant::now() + self.timeout);
                    if batch.len() < self.max_items && bytes < self.max_bytes {
                        continue;
                    }
                }
                // The batch's timeout passed.
                None => {}
            }
            self.flush(&mut batch).await;
            bytes = 0;
            due = None;
        }
    }

    async fn flush(&mut self, batch: &mut Vec<Arc<Record>>) {
        let records = self.dropped.records.swap(0, Ordering::Relaxed);
        if records > 0 {
            let bytes = self.dropped.bytes.swap(0, Ordering::Relaxed);
            batch.push(Arc::new(Record::new(
                TelemetryKind::Platform,
                "platform.logsDropped",
                serde_json::json!({
                    "reason": "Some logs were dropped because the subscriber did not keep up",
                    "droppedRecords": records,
                    "droppedBytes": bytes,
                }),
            )));
        }
        if batch.is_empty() {
            return;
        }
        for (attempt, backoff) in RETRY_BACKOFF.iter().enumerate() {
            match tokio::time::timeout(SEND_TIMEOUT, self.outlet.send(batch)).await {
                Ok(Ok(())) => break,
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, attempt, "telemetry delivery failed");
                }
                Err(_) => tracing::debug!(attempt, "telemetry delivery timed out"),
            }
            self.outlet.forget();
            tokio::time::sleep(*backoff).await;
        }
        batch.clear();
    }
}

/// The connection into the sandbox, kept between batches.
struct Outlet {
    destination: Destination,
    connector: Connector,
    http: Option<SendRequest<Full<Bytes>>>,
    tcp: Option<tokio::net::TcpStream>,
}

impl Outlet {
    fn forget(&mut self) {
        self.http = None;
        self.tcp = None;
    }

    async fn connect(&self, port: u16) -> std::io::Result<tokio::net::TcpStream> {
        let connector = Arc::clone(&self.connector);
        // The connector may enter the sandbox's network namespace on its own thread.
        let stream = tokio::task::spawn_blocking(move || connector(port))
            .await
            .map_err(std::io::Error::other)??;
        stream.set_nonblocking(true)?;
        let stream = tokio::net::TcpStream::from_std(stream)?;
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }

    async fn send(&mut self, batch: &[Arc<Record>]) -> std::io::Result<()> {
        match self.destination.clone() {
            Destination::Http { port, path, host } => {
                let body = json_array(batch);
                if self.http.as_ref().is_none_or(|s| s.is_closed()) {
                    let stream = self.connect(port).await?;
                    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                        .await
                        .map_err(std::io::Error::other)?;
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                    self.http = Some(send);
                }
                let Some(send) = self.http.as_mut() else {
                    return Err(std::io::Error::other("no connection"));
                };
                send.ready().await.map_err(std::io::Error::other)?;
                let request = http::Request::post(path)
                    .header(http::header::HOST, host)
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(Full::new(body))
                    .map_err(std::io::Error::other)?;
                let response = send
                    .send_request(request)
                    .await
                    .map_err(std::io::Error::other)?;
                let status = response.status();
                // Read the answer to the end so the connection can carry the next batch.
                let _ = response.into_body().collect().await;
                if status.is_success() {
                    Ok(())
                } else {
                    Err(std::io::Error::other(format!(
                        "subscriber answered {status}"
                    )))
                }
            }
            Destination::Tcp { port } => {
                if self.tcp.is_none() {
                    self.tcp = Some(self.connect(port).await?);
                }
                let Some(stream) = self.tcp.as_mut() else {
                    return Err(std::io::Error::other("no connection"));
                };
                let mut lines = BytesMut::new();
                for r in batch {
                    lines.put_slice(&r.json);
                    lines.put_u8(b'\n');
                }
                stream.write_all(&lines).await
            }
        }
    }
}

/// `[r1,r2,...]` from records already serialised.
pub(crate) fn json_array(batch: &[Arc<Record>]) -> Bytes {
    let len = batch.iter().map(|r| r.json.len() + 1).sum::<usize>() + 2;
    let mut out = BytesMut::with_capacity(len);
    out.put_u8(b'[');
    for (i, r) in batch.iter().enumerate() {
        if i > 0 {
            out.put_u8(b',');
        }
        out.put_slice(&r.json);
    }
    out.put_u8(b']');
    out.freeze()
}
