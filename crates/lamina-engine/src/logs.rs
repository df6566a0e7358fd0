//! Log groups and streams, as CloudWatch Logs shapes them: one group per function
//! (`/aws/lambda/<name>`), one stream per execution environment
//! (`2026/11/26/[$LATEST]<32 hex>`), each a list of timestamped events. The runtime's stdout
//! and stderr reach a stream through one pipe per sandbox, read by a capture task; the
//! engine adds its own START/END/REPORT lines to the same stream in order.
//!
//! With a durable store attached ([`LogStore::attach`], the engine attaches
//! `<data_dir>/logs`), every line also goes to a `lamina_logs::Logs`, which owns what lasts;
//! memory then keeps only each live stream's recent tail (for an invocation's own lines) and
//! readers get the durable store's view.

use std::collections::{HashMap, VecDeque};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use tokio::sync::broadcast;

/// Events kept per stream; older ones are dropped first.
const MAX_EVENTS_PER_STREAM: usize = 10_000;
/// Bytes of recent lines kept in memory per stream; older ones are dropped first.
const MAX_BYTES_PER_STREAM: usize = 1024 * 1024;
/// Streams kept per group.
const MAX_STREAMS_PER_GROUP: usize = 100;

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// Unix epoch milliseconds.
    pub timestamp_ms: i64,
    /// The line, without its newline.
    pub message: String,
    /// The stream it belongs to.
    pub stream: Arc<str>,
}

/// One stream's events.
#[derive(Debug)]
pub struct LogStream {
    name: Arc<str>,
    group: Arc<str>,
    sink: Option<Arc<lamina_logs::Logs>>,
    events: VecDeque<LogEvent>,
    bytes: usize,
    /// Events ever appended, so positions stay valid when old ones are dropped.
    appended: u64,
    feed: broadcast::Sender<LogEvent>,
}

impl LogStream {
    /// Appends a line.
    pub fn push(&mut self, message: String) {
        self.push_lines(vec![message]);
    }

    /// Appends lines, handing them to the durable store (if any) as one batch.
    pub fn push_lines(&mut self, messages: Vec<String>) {
        let timestamp_ms = now_ms();
        if let Some(sink) = &self.sink {
            let batch = messages.iter().map(|m| (timestamp_ms, m.clone())).collect();
            sink.append(&self.group, &self.name, batch);
        }
        for message in messages {
            let event = LogEvent {
                timestamp_ms,
                message,
                stream: Arc::clone(&self.name),
            };
            while !self.events.is_empty()
                && (self.events.len() >= MAX_EVENTS_PER_STREAM
                    || self.bytes + event.message.len() > MAX_BYTES_PER_STREAM)
            {
                if let Some(old) = self.events.pop_front() {
                    self.bytes -= old.message.len();
                }
            }
            // Nobody following is the common case: then the line is not copied at all.
            if self.feed.receiver_count() > 0 {
                let _ = self.feed.send(event.clone());
            }
            self.bytes += event.message.len();
            self.events.push_back(event);
            self.appended += 1;
        }
    }

    /// A position to read from later with `since`.
    pub fn position(&self) -> u64 {
        self.appended
    }

    /// Messages appended since `position` that memory still holds (the most recent
    /// [`MAX_BYTES_PER_STREAM`]; the durable store has them all).
    pub fn since(&self, position: u64) -> Vec<String> {
        let kept_from = self.appended - self.events.len() as u64;
        let skip = position.saturating_sub(kept_from) as usize;
        self.events
            .iter()
            .skip(skip)
            .map(|e| e.message.clone())
            .collect()
    }
}

/// A function's log group.
#[derive(Debug)]
struct LogGroup {
    streams: VecDeque<Arc<Mutex<LogStream>>>,
    feed: broadcast::Sender<LogEvent>,
}

/// Every function's logs.
#[derive(Debug, Default)]
pub struct LogStore {
    groups: RwLock<HashMap<String, LogGroup>>,
    durable: OnceLock<Arc<lamina_logs::Logs>>,
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding a log lock loses nothing worth stopping for.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl LogStore {
    /// Sends every line from now on to `logs` as well, and reads from it. Set once.
    pub fn attach(&self, logs: Arc<lamina_logs::Logs>) {
        let _ = self.durable.set(logs);
    }

    /// The durable store, once attached.
    pub fn durable(&self) -> Option<&Arc<lamina_logs::Logs>> {
        self.durable.get()
    }

    /// Opens a new stream in `group`.
    pub fn new_stream(&self, group: &str, name: String) -> Arc<Mutex<LogStream>> {
        let mut groups = self
            .groups
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = groups.entry(group.to_string()).or_insert_with(|| LogGroup {
            streams: VecDeque::new(),
            feed: broadcast::channel(4096).0,
        });
        let stream = Arc::new(Mutex::new(LogStream {
            name: name.into(),
            group: group.into(),
            sink: self.durable.get().cloned(),
            events: VecDeque::new(),
            bytes: 0,
            appended: 0,
            feed: entry.feed.clone(),
        }));
        if entry.streams.len() == MAX_STREAMS_PER_GROUP {
            entry.streams.pop_front();
        }
        entry.streams.push_back(Arc::clone(&stream));
        stream
    }

    /// The kept events of `group` (from the durable store: the newest 10,000 of each
    /// stream), ordered by time.
    pub fn events(&self, group: &str) -> Vec<LogEvent> {
        if let Some(logs) = self.durable.get() {
            logs.settle(std::time::Duration::from_secs(2));
            let mut all = Vec::new();
            // Newest streams first, until enough events are in hand: memory stays bounded
            // however many streams a group has.
            let mut streams = logs.streams(group).unwrap_or_default();
            streams.sort_by_key(|s| std::cmp::Reverse(s.last_event));
            for s in streams {
                if all.len() >= MAX_EVENTS_PER_STREAM {
                    break;
                }
                let name: Arc<str> = s.name.as_str().into();
                let q = lamina_logs::GetQuery {
                    limit: MAX_EVENTS_PER_STREAM,
                    ..Default::default()
                };
                if let Ok(page) = logs.get_events(group, &s.name, &q) {
                    all.extend(page.events.into_iter().map(|e| LogEvent {
                        timestamp_ms: e.timestamp,
                        message: e.message,
                        stream: Arc::clone(&name),
                    }));
                }
            }
            all.sort_by_key(|e| e.timestamp_ms);
            let skip = all.len().saturating_sub(MAX_EVENTS_PER_STREAM);
            all.drain(..skip);
            return all;
        }
        let groups = self
            .groups
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(g) = groups.get(group) else {
            return Vec::new();
        };
        let mut all: Vec<LogEvent> = g
            .streams
            .iter()
            .flat_map(|s| lock(s).events.iter().cloned().collect::<Vec<_>>())
            .collect();
        all.sort_by_key(|e| e.timestamp_ms);
        all
    }

    /// Stream names of `group`, newest last.
    pub fn stream_names(&self, group: &str) -> Vec<String> {
        if let Some(logs) = self.durable.get() {
            let mut streams = logs.streams(group).unwrap_or_default();
            streams.sort_by_key(|s| s.creation_time);
            return streams.into_iter().map(|s| s.name).collect();
        }
        let groups = self
            .groups
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        groups.get(group).map_or_else(Vec::new, |g| {
            g.streams.iter().map(|s| lock(s).name.to_string()).collect()
        })
    }

    /// Live events of `group` from now on (creates the group if needed).
    pub fn follow(&self, group: &str) -> broadcast::Receiver<LogEvent> {
        let mut groups = self
            .groups
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        groups
            .entry(group.to_string())
            .or_insert_with(|| LogGroup {
                streams: VecDeque::new(),
                feed: broadcast::channel(4096).0,
            })
            .feed
            .subscribe()
    }
}

/// The read side of a sandbox's output pipe, turned into log events. A background task
/// reads whatever the runtime writes while it runs; `flush` reads the rest directly on the
/// caller's task, so an invoke's lines are in the stream before its REPORT without a round
/// trip through the capture task (a channel, a oneshot and a task switch per invoke).
/// Dropping it stops the background task.
#[derive(Debug)]
pub struct Capture {
    pipe: Arc<tokio::net::unix::pipe::Receiver>,
    state: Arc<Mutex<CaptureState>>,
    task: tokio::task::JoinHandle<()>,
}

/// The bytes of a line not finished yet, and where lines go. Whoever reads the pipe holds
/// this lock while reading (only non-blocking reads, never across an `.await`), so lines
/// keep their order whether the task or `flush` took them.
#[derive(Debug)]
struct CaptureState {
    pending: Vec<u8>,
    stream: Arc<Mutex<LogStream>>,
    /// The sandbox's Telemetry API, which also gets every line as a `function` record.
    telemetry: Option<lamina_runtime_api::Telemetry>,
    /// End of file seen: every write end is closed.
    ended: bool,
}

/// How much one read takes from the pipe. On the stack: no buffer is kept per sandbox.
const READ_CHUNK: usize = 8 * 1024;

/// Reads everything the pipe holds now with plain syscalls. tokio's `try_read` trusts its
/// readiness cache, which may not have seen bytes written just before an invoke's answer and
/// would call the pipe empty (the lines then landed in the next invoke's log). Returns
/// `WouldBlock` once the pipe is empty and `Ok` at end of file.
fn drain(pipe: &impl AsFd, state: &Mutex<CaptureState>) -> std::io::Result<()> {
    let mut st = lock(state);
    if st.ended {
        return Ok(());
    }
    let mut chunk = [0u8; READ_CHUNK];
    loop {
        match nix::unistd::read(pipe.as_fd(), &mut chunk) {
            Ok(0) => {
                let CaptureState {
                    pending,
                    stream,
                    telemetry,
                    ..
                } = &mut *st;
                flush_partial(pending, stream, telemetry.as_ref());
                st.ended = true;
                return Ok(());
            }
            Ok(n) => {
                let CaptureState {
                    pending,
                    stream,
                    telemetry,
                    ..
                } = &mut *st;
                take_lines(pending, &chunk[..n], stream, telemetry.as_ref());
            }
            Err(nix::errno::Errno::EINTR) => continue,
            Err(nix::errno::Errno::EAGAIN) => {
                return Err(std::io::ErrorKind::WouldBlock.into());
            }
            // Any other failure: nothing more can be read from this pipe.
            Err(e) => {
                st.ended = true;
                return Err(e.into());
            }
        }
    }
}

impl Capture {
    /// Starts capturing `pipe` into `stream` (and into `telemetry`'s `function` records).
    pub fn start(
        pipe: OwnedFd,
        stream: Arc<Mutex<LogStream>>,
        telemetry: Option<lamina_runtime_api::Telemetry>,
    ) -> std::io::Result<Capture> {
        let pipe = Arc::new(tokio::net::unix::pipe::Receiver::from_owned_fd(pipe)?);
        let state = Arc::new(Mutex::new(CaptureState {
            pending: Vec::new(),
            stream,
            telemetry,
            ended: false,
        }));
        let task = {
            let (pipe, state) = (Arc::clone(&pipe), Arc::clone(&state));
            tokio::spawn(async move {
                loop {
                    if pipe.readable().await.is_err() {
                        break;
                    }
                    // `try_io` clears tokio's readiness only when the drain found the pipe
                    // empty and no new data came meanwhile, so no write is ever missed.
                    match pipe.try_io(|| drain(&*pipe, &state)) {
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                        Ok(()) | Err(_) => break,
                    }
                }
            })
        };
        Ok(Capture { pipe, state, task })
    }

    /// Makes sure everything already written to the pipe is in the stream: the runtime wrote
    /// it before answering, so one pass of reads until the pipe is empty takes it all.
    pub fn flush(&self) {
        let _ = drain(&*self.pipe, &self.state);
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn take_lines(
    pending: &mut Vec<u8>,
    data: &[u8],
    stream: &Arc<Mutex<LogStream>>,
    telemetry: Option<&lamina_runtime_api::Telemetry>,
) {
    pending.extend_from_slice(data);
    let mut start = 0;
    let mut lines = Vec::new();
    while let Some(pos) = pending[start..].iter().position(|b| *b == b'\n') {
        lines.push(String::from_utf8_lossy(&pending[start..start + pos]).into_owned());
        start += pos + 1;
    }
    pending.drain(..start);
    // A line without a newline for 256 KiB is still a log line.
    if pending.len() > 256 * 1024 {
        lines.push(String::from_utf8_lossy(pending).into_owned());
        pending.clear();
    }
    if !lines.is_empty() {
        if let Some(t) = telemetry.filter(|t| t.active()) {
            for line in &lines {
                t.function_line(line);
            }
        }
        lock(stream).push_lines(lines);
    }
}

fn flush_partial(
    pending: &mut Vec<u8>,
    stream: &Arc<Mutex<LogStream>>,
    telemetry: Option<&lamina_runtime_api::Telemetry>,
) {
    if !pending.is_empty() {
        let line = String::from_utf8_lossy(pending).into_owned();
        if let Some(t) = telemetry.filter(|t| t.active()) {
            t.function_line(&line);
        }
        lock(stream).push(line);
        pending.clear();
    }
}

/// The last 4 KB of `lines`, base64-encoded, as `X-Amz-Log-Result` carries them.
pub fn tail_base64(lines: &[String]) -> String {
    use base64::Engine;
    let mut text = lines.join("\n");
    text.push('\n');
    let bytes = text.as_bytes();
    let start = bytes.len().saturating_sub(4096);
    base64::engine::general_purpose::STANDARD.encode(&bytes[start..])
}

/// A stream name like Lambda's: `YYYY/MM/DD/[<version>]<32 hex>`.
pub fn stream_name(version: &str) -> String {
    let today = time::OffsetDateTime::now_utc();
    format!(
        "{:04}/{:02}/{:02}/[{version}]{}",
        today.year(),
        u8::from(today.month()),
        today.day(),
        uuid::Uuid::new_v4().simple()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_and_positions_survive_trimming() {
        let store = LogStore::default();
        let s = store.new_stream("/aws/lambda/f", "s1".into());
        let pos = lock(&s).position();
        let mut pending = Vec::new();
        take_lines(&mut pending, b"one\ntw", &s, None);
        take_lines(&mut pending, b"o\nthree", &s, None);
        assert_eq!(lock(&s).since(pos), vec!["one", "two"]);
        flush_partial(&mut pending, &s, None);
        assert_eq!(lock(&s).since(pos + 2), vec!["three"]);
        assert_eq!(store.events("/aws/lambda/f").len(), 3);
        assert_eq!(store.stream_names("/aws/lambda/f"), vec!["s1"]);
    }

    /// Regression: lines written just before a flush were missed when tokio had not yet
    /// polled the pipe's readiness, and showed up in the next invocation's log instead.
    #[test]
    fn flush_sees_lines_written_just_before_it() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = LogStore::default();
            let s = store.new_stream("/aws/lambda/f", "s1".into());
            let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
            let capture = Capture::start(read, Arc::clone(&s), None).unwrap();
            // Let the capture task register and find the pipe empty.
            tokio::task::yield_now().await;
            for i in 0..20 {
                let pos = lock(&s).position();
                let line = format!("line {i}\n");
                nix::unistd::write(&write, line.as_bytes()).unwrap();
                capture.flush();
                assert_eq!(lock(&s).since(pos), vec![format!("line {i}")]);
            }
        });
    }

    #[test]
    fn tail_is_the_last_4_kb() {
        use base64::Engine;
        let lines: Vec<String> = (0..1000).map(|i| format!("line {i}")).collect();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(tail_base64(&lines))
            .unwrap();
        assert_eq!(decoded.len(), 4096);
        assert!(String::from_utf8_lossy(&decoded).ends_with("line 999\n"));
    }

    #[test]
    fn stream_names_look_like_lambdas() {
        let n = stream_name("$LATEST");
        assert!(n.contains("/[$LATEST]"));
        assert_eq!(n.len(), "2026/11/26/[$LATEST]".len() + 32);
    }
}
