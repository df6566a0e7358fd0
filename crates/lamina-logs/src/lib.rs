//! Durable log groups and streams, shaped as CloudWatch Logs shapes them.
//!
//! On disk, under the store's folder:
//! ```text
//! groups/<gid>/group.json                 {"name","creationTime","retentionInDays"?}
//! groups/<gid>/<sid>/stream.json          {"name","creationTime"}
//! groups/<gid>/<sid>/<first seq>.seg      one JSON line per event {"t","i","m"}, append-only
//! groups/<gid>/<sid>/<first seq>.idx      a sealed segment's summary (count, times, bytes)
//! ```
//! A segment holds at most [`SEGMENT_BYTES`] and events of one UTC day, so retention removes
//! whole files. Memory holds only each stream's segment summaries, never events: reads scan
//! the files. Writes go through a byte-bounded queue to one writer thread, so a caller never
//! waits on the disk unless the queue is full (a producer faster than the disk then waits,
//! as a writer to a full pipe does).
//!
//! **What a crash can lose.** The writer thread takes each queued batch as soon as it is
//! queued and hands it to the kernel with one `write`; `kill -9` of the server loses only
//! batches still in the queue (normally none, at most [`QUEUE_BYTES`] when the disk is behind).
//! A torn last line (power loss) is cut off when the store is opened again. Nothing is
//! fsynced: a kernel crash can lose what the page cache held.

pub mod pattern;

use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use pattern::Pattern;

/// Largest segment file.
pub const SEGMENT_BYTES: u64 = 4 * 1024 * 1024;
/// Most bytes of events waiting for the writer.
pub const QUEUE_BYTES: usize = 2 * 1024 * 1024;
/// CloudWatch's page limit in bytes (each event counts its message and 26 bytes).
const PAGE_BYTES: usize = 1024 * 1024;
/// Events a FilterLogEvents page examines before returning what it has with a token.
const SCAN_BUDGET: usize = 200_000;
const DAY_MS: i64 = 86_400_000;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogsError {
    /// No such group.
    GroupNotFound,
    /// No such stream.
    StreamNotFound,
    /// The group exists already.
    GroupExists,
    /// The stream exists already.
    StreamExists,
    /// A token this store did not give, or for another stream.
    InvalidToken,
    /// The disk failed.
    Io(String),
}

impl std::fmt::Display for LogsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LogsError::GroupNotFound => f.write_str("The specified log group does not exist."),
            LogsError::StreamNotFound => f.write_str("The specified log stream does not exist."),
            LogsError::GroupExists => f.write_str("The specified log group already exists"),
            LogsError::StreamExists => f.write_str("The specified log stream already exists"),
            LogsError::InvalidToken => f.write_str("The specified nextToken is invalid."),
            LogsError::Io(e) => write!(f, "log storage failed: {e}"),
        }
    }
}

impl std::error::Error for LogsError {}

fn io(e: std::io::Error) -> LogsError {
    LogsError::Io(e.to_string())
}

/// The current time in epoch milliseconds.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// A stored event as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The stream.
    pub stream: String,
    /// Event time, epoch ms.
    pub timestamp: i64,
    /// When it was stored, epoch ms.
    pub ingestion_time: i64,
    /// The line.
    pub message: String,
    /// Stable id: the same event always has the same one.
    pub event_id: String,
}

/// A group's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// Name.
    pub name: String,
    /// Epoch ms.
    pub creation_time: i64,
    /// Days events are kept; `None` keeps them forever.
    pub retention_days: Option<u32>,
    /// Bytes on disk.
    pub stored_bytes: u64,
}

/// A stream's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// Name.
    pub name: String,
    /// Epoch ms.
    pub creation_time: i64,
    /// Earliest event time.
    pub first_event: Option<i64>,
    /// Latest event time.
    pub last_event: Option<i64>,
    /// Latest ingestion time.
    pub last_ingestion: Option<i64>,
    /// Bytes on disk.
    pub stored_bytes: u64,
}

/// One GetLogEvents page.
#[derive(Debug, Clone)]
pub struct GetPage {
    /// Oldest first.
    pub events: Vec<Event>,
    /// `f/…`
    pub next_forward: String,
    /// `b/…`
    pub next_backward: String,
}

/// A GetLogEvents request.
#[derive(Debug, Clone, Default)]
pub struct GetQuery {
    /// Inclusive lower bound on event time.
    pub start_time: Option<i64>,
    /// Exclusive upper bound on event time.
    pub end_time: Option<i64>,
    /// A token from an earlier page.
    pub token: Option<String>,
    /// At most this many events (1–10,000).
    pub limit: usize,
    /// Read from the oldest event instead of the newest.
    pub start_from_head: bool,
}

/// A FilterLogEvents request.
#[derive(Debug, Clone)]
pub struct FilterQuery {
    /// Only these streams.
    pub stream_names: Option<Vec<String>>,
    /// Only streams whose name starts so.
    pub stream_prefix: Option<String>,
    /// Inclusive lower bound on event time.
    pub start_time: Option<i64>,
    /// Inclusive upper bound on event time.
    pub end_time: Option<i64>,
    /// The pattern.
    pub pattern: Pattern,
    /// A token from an earlier page.
    pub token: Option<String>,
    /// At most this many events.
    pub limit: usize,
}

/// One FilterLogEvents page.
#[derive(Debug, Clone)]
pub struct FilterPage {
    /// Matching events, by time.
    pub events: Vec<Event>,
    /// Present while more may match.
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct GroupMeta {
    name: String,
    #[serde(rename = "creationTime")]
    creation_time: i64,
    #[serde(rename = "retentionInDays", skip_serializing_if = "Option::is_none")]
    retention_days: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StreamMeta {
    name: String,
    #[serde(rename = "creationTime")]
    creation_time: i64,
}

/// One line of a segment.
#[derive(Debug, Serialize, Deserialize)]
struct Line {
    t: i64,
    i: i64,
    m: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Segment {
    first_seq: u64,
    count: u64,
    min_ts: i64,
    max_ts: i64,
    bytes: u64,
    day: i64,
}

#[derive(Debug)]
struct Stream {
    id: u64,
    meta: StreamMeta,
    next_seq: u64,
    last_ingestion: Option<i64>,
    segments: Vec<Segment>,
}

#[derive(Debug)]
struct Group {
    id: u64,
    meta: GroupMeta,
    streams: BTreeMap<String, Stream>,
}

#[derive(Debug, Default)]
struct State {
    groups: BTreeMap<String, Group>,
    next_id: u64,
}

struct Batch {
    group: String,
    stream: String,
    events: Vec<(i64, String)>,
    ingestion: i64,
    bytes: usize,
}

#[derive(Default)]
struct Queue {
    batches: VecDeque<Batch>,
    bytes: usize,
    enqueued: u64,
    written: u64,
    closed: bool,
}

struct Inner {
    dir: PathBuf,
    state: RwLock<State>,
    /// Held while touching segment files, so retention never removes a file mid-append.
    files: Mutex<()>,
    queue: Mutex<Queue>,
    /// Wakes the writer.
    work: Condvar,
    /// Wakes producers waiting for room, and readers waiting for the writer to catch up.
    progress: Condvar,
}

/// The store. Dropping it lets the writer finish what is queued, then stop.
pub struct Logs {
    inner: Arc<Inner>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Logs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logs")
            .field("dir", &self.inner.dir)
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Inner {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn group_dir(&self, gid: u64) -> PathBuf {
        self.dir.join("groups").join(gid.to_string())
    }

    fn stream_dir(&self, gid: u64, sid: u64) -> PathBuf {
        self.group_dir(gid).join(sid.to_string())
    }
}

fn write_json_atomic(path: &Path, value: &impl Serialize) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    fs::write(
        &tmp,
        serde_json::to_vec(value).map_err(std::io::Error::other)?,
    )?;
    fs::rename(&tmp, path)
}

fn seg_name(first_seq: u64) -> String {
    format!("{first_seq:020}")
}

/// Creates `group` on disk and in `state` (callers hold the state lock).
fn create_group_locked(inner: &Inner, state: &mut State, name: &str) -> Result<(), LogsError> {
    let id = state.next_id;
    state.next_id += 1;
    let meta = GroupMeta {
        name: name.to_string(),
        creation_time: now_ms(),
        retention_days: None,
    };
    let dir = inner.group_dir(id);
    fs::create_dir_all(&dir).map_err(io)?;
    write_json_atomic(&dir.join("group.json"), &meta).map_err(io)?;
    state.groups.insert(
        name.to_string(),
        Group {
            id,
            meta,
            streams: BTreeMap::new(),
        },
    );
    Ok(())
}

fn create_stream_locked(
    inner: &Inner,
    state: &mut State,
    group: &str,
    name: &str,
) -> Result<(), LogsError> {
    let id = state.next_id;
    let g = state
        .groups
        .get_mut(group)
        .ok_or(LogsError::GroupNotFound)?;
    let meta = StreamMeta {
        name: name.to_string(),
        creation_time: now_ms(),
    };
    let dir = inner.stream_dir(g.id, id);
    fs::create_dir_all(&dir).map_err(io)?;
    write_json_atomic(&dir.join("stream.json"), &meta).map_err(io)?;
    g.streams.insert(
        name.to_string(),
        Stream {
            id,
            meta,
            next_seq: 0,
            last_ingestion: None,
            segments: Vec::new(),
        },
    );
    state.next_id += 1;
    Ok(())
}

/// Scans a segment file: counts its whole lines, and cuts a torn last line.
fn scan_segment(path: &Path, first_seq: u64) -> std::io::Result<Option<Segment>> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    let mut reader = BufReader::new(&mut file);
    let (mut count, mut min_ts, mut max_ts, mut good) = (0u64, i64::MAX, i64::MIN, 0u64);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n == 0 || buf.last() != Some(&b'\n') {
            break;
        }
        match serde_json::from_slice::<Line>(&buf) {
            Ok(l) => {
                count += 1;
                min_ts = min_ts.min(l.t);
                max_ts = max_ts.max(l.t);
                good += n as u64;
            }
            Err(_) => break,
        }
    }
    drop(reader);
    if file.metadata()?.len() != good {
        file.set_len(good)?;
    }
    if count == 0 {
        return Ok(None);
    }
    Ok(Some(Segment {
        first_seq,
        count,
        min_ts,
        max_ts,
        bytes: good,
        day: min_ts.div_euclid(DAY_MS),
    }))
}

fn load(dir: &Path) -> std::io::Result<State> {
    let mut state = State::default();
    let groups = dir.join("groups");
    fs::create_dir_all(&groups)?;
    let mut max_id = 0u64;
    for g in fs::read_dir(&groups)? {
        let g = g?;
        let Some(gid) = g.file_name().to_str().and_then(|s| s.parse::<u64>().ok()) else {
            continue;
        };
        let Ok(meta) = fs::read(g.path().join("group.json"))
            .map_err(|_| ())
            .and_then(|b| serde_json::from_slice::<GroupMeta>(&b).map_err(|_| ()))
        else {
            // A group whose creation never finished.
            let _ = fs::remove_dir_all(g.path());
            continue;
        };
        max_id = max_id.max(gid);
        let mut streams = BTreeMap::new();
        for s in fs::read_dir(g.path())? {
            let s = s?;
            let Some(sid) = s.file_name().to_str().and_then(|x| x.parse::<u64>().ok()) else {
                continue;
            };
            let Ok(smeta) = fs::read(s.path().join("stream.json"))
                .map_err(|_| ())
                .and_then(|b| serde_json::from_slice::<StreamMeta>(&b).map_err(|_| ()))
            else {
                continue;
            };
            max_id = max_id.max(sid);
            let mut firsts: Vec<u64> = fs::read_dir(s.path())?
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let n = e.file_name();
                    let n = n.to_str()?;
                    n.strip_suffix(".seg")?.parse::<u64>().ok()
                })
                .collect();
            firsts.sort_unstable();
            let mut segments = Vec::new();
            let mut last_ingestion = None;
            for (k, first) in firsts.iter().enumerate() {
                let seg_path = s.path().join(format!("{}.seg", seg_name(*first)));
                let idx_path = s.path().join(format!("{}.idx", seg_name(*first)));
                let sealed = k + 1 < firsts.len();
                let from_idx = if sealed {
                    fs::read(&idx_path)
                        .ok()
                        .and_then(|b| serde_json::from_slice::<Segment>(&b).ok())
                } else {
                    None
                };
                let seg = match from_idx {
                    Some(seg) => Some(seg),
                    None => {
                        let seg = scan_segment(&seg_path, *first)?;
                        if sealed && let Some(seg) = &seg {
                            write_json_atomic(&idx_path, seg)?;
                        }
                        seg
                    }
                };
                match seg {
                    Some(seg) => segments.push(seg),
                    None => {
                        let _ = fs::remove_file(&seg_path);
                    }
                }
            }
            if let Some(last) = segments.last() {
                // The newest ingestion time is on the last line of the newest segment.
                let path = s.path().join(format!("{}.seg", seg_name(last.first_seq)));
                last_ingestion = last_line(&path, last.bytes).map(|l| l.i);
            }
            let next_seq = segments.last().map_or(0, |s| s.first_seq + s.count);
            streams.insert(
                smeta.name.clone(),
                Stream {
                    id: sid,
                    meta: smeta,
                    next_seq,
                    last_ingestion,
                    segments,
                },
            );
        }
        state.groups.insert(
            meta.name.clone(),
            Group {
                id: gid,
                meta,
                streams,
            },
        );
    }
    state.next_id = max_id + 1;
    Ok(state)
}

fn last_line(path: &Path, bytes: u64) -> Option<Line> {
    let mut f = File::open(path).ok()?;
    let from = bytes.saturating_sub(2 * 1024 * 1024);
    f.seek(SeekFrom::Start(from)).ok()?;
    let mut buf = Vec::new();
    f.take(bytes - from).read_to_end(&mut buf).ok()?;
    let text = buf.strip_suffix(b"\n")?;
    let start = text.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
    serde_json::from_slice(&text[start..]).ok()
}

/// A reader over one stream's events from a given sequence number, segment by segment.
struct Cursor {
    dir: PathBuf,
    stream: String,
    sid: u64,
    segments: Vec<Segment>,
    seg: usize,
    reader: Option<(BufReader<std::io::Take<File>>, u64)>,
    /// Sequence number of the next event to hand out.
    seq: u64,
    start: Option<i64>,
    end: Option<i64>,
}

impl Cursor {
    fn next(&mut self) -> Option<(u64, Line)> {
        loop {
            if self.reader.is_none() {
                let seg = *self.segments.get(self.seg)?;
                if seg.first_seq + seg.count <= self.seq
                    || self.start.is_some_and(|s| seg.max_ts < s)
                    || self.end.is_some_and(|e| seg.min_ts > e)
                {
                    self.seg += 1;
                    self.seq = self.seq.max(seg.first_seq + seg.count);
                    continue;
                }
                let path = self.dir.join(format!("{}.seg", seg_name(seg.first_seq)));
                match File::open(&path) {
                    Ok(f) => self.reader = Some((BufReader::new(f.take(seg.bytes)), seg.first_seq)),
                    Err(_) => {
                        // Removed by retention meanwhile.
                        self.seg += 1;
                        continue;
                    }
                }
            }
            let (reader, at) = self.reader.as_mut()?;
            let mut buf = Vec::new();
            match reader.read_until(b'\n', &mut buf) {
                Ok(n) if n > 0 => {
                    let seq = *at;
                    *at += 1;
                    if seq < self.seq {
                        continue;
                    }
                    self.seq = seq + 1;
                    let Ok(line) = serde_json::from_slice::<Line>(&buf) else {
                        continue;
                    };
                    if self.start.is_some_and(|s| line.t < s)
                        || self.end.is_some_and(|e| line.t > e)
                    {
                        continue;
                    }
                    return Some((seq, line));
                }
                _ => {
                    self.reader = None;
                    self.seg += 1;
                }
            }
        }
    }
}

fn event_id(ts: i64, sid: u64, seq: u64) -> String {
    format!("{:020}{:016}{:020}", ts.max(0), sid, seq)
}

fn to_event(stream: &str, sid: u64, seq: u64, l: Line) -> Event {
    Event {
        stream: stream.to_string(),
        timestamp: l.t,
        ingestion_time: l.i,
        event_id: event_id(l.t, sid, seq),
        message: l.m,
    }
}

fn get_token(dir: char, sid: u64, seq: u64) -> String {
    format!("{dir}/{:020}{:020}{:016}", sid, seq, 0)
}

fn parse_get_token(token: &str, sid: u64) -> Result<(char, u64), LogsError> {
    let (d, digits) = token.split_once('/').ok_or(LogsError::InvalidToken)?;
    let dir = match d {
        "f" => 'f',
        "b" => 'b',
        _ => return Err(LogsError::InvalidToken),
    };
    if digits.len() != 56 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LogsError::InvalidToken);
    }
    let tsid: u64 = digits[..20].parse().map_err(|_| LogsError::InvalidToken)?;
    let seq: u64 = digits[20..40]
        .parse()
        .map_err(|_| LogsError::InvalidToken)?;
    if tsid != sid {
        return Err(LogsError::InvalidToken);
    }
    Ok((dir, seq))
}

fn event_cost(message: &str) -> usize {
    message.len() + 26
}

impl Logs {
    /// Opens (or creates) the store in `dir` and starts its writer thread.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Logs, LogsError> {
        let dir = dir.into();
        let state = load(&dir).map_err(io)?;
        let inner = Arc::new(Inner {
            dir,
            state: RwLock::new(state),
            files: Mutex::new(()),
            queue: Mutex::new(Queue::default()),
            work: Condvar::new(),
            progress: Condvar::new(),
        });
        let writer = {
            let inner = Arc::clone(&inner);
            std::thread::Builder::new()
                .name("lamina-logs".into())
                .spawn(move || writer(&inner))
                .map_err(io)?
        };
        let logs = Logs {
            inner,
            writer: Some(writer),
        };
        logs.apply_retention();
        Ok(logs)
    }

    /// Queues lines for `group`/`stream` (both created if needed), stamped now. Returns once
    /// they are queued; waits only while the queue is full.
    pub fn append(&self, group: &str, stream: &str, events: Vec<(i64, String)>) -> u64 {
        let bytes: usize = events.iter().map(|(_, m)| event_cost(m)).sum();
        let mut q = lock(&self.inner.queue);
        while q.bytes > 0 && q.bytes + bytes > QUEUE_BYTES && !q.closed {
            q = self
                .inner
                .progress
                .wait(q)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        q.batches.push_back(Batch {
            group: group.to_string(),
            stream: stream.to_string(),
            events,
            ingestion: now_ms(),
            bytes,
        });
        q.bytes += bytes;
        q.enqueued += 1;
        let ticket = q.enqueued;
        drop(q);
        self.inner.work.notify_one();
        ticket
    }

    /// Waits (up to `limit`) until everything queued before this call is on disk and visible.
    pub fn settle(&self, limit: Duration) {
        let deadline = std::time::Instant::now() + limit;
        let mut q = lock(&self.inner.queue);
        let target = q.enqueued;
        while q.written < target {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return;
            }
            q = self
                .inner
                .progress
                .wait_timeout(q, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// CreateLogGroup.
    pub fn create_group(&self, name: &str) -> Result<(), LogsError> {
        let mut st = self.inner.write();
        if st.groups.contains_key(name) {
            return Err(LogsError::GroupExists);
        }
        create_group_locked(&self.inner, &mut st, name)
    }

    /// CreateLogStream.
    pub fn create_stream(&self, group: &str, name: &str) -> Result<(), LogsError> {
        let mut st = self.inner.write();
        let g = st.groups.get(group).ok_or(LogsError::GroupNotFound)?;
        if g.streams.contains_key(name) {
            return Err(LogsError::StreamExists);
        }
        create_stream_locked(&self.inner, &mut st, group, name)
    }

    /// PutLogEvents: the group and stream must exist; returns once the events are stored.
    pub fn put_events(
        &self,
        group: &str,
        stream: &str,
        events: Vec<(i64, String)>,
    ) -> Result<(), LogsError> {
        {
            let st = self.inner.read();
            let g = st.groups.get(group).ok_or(LogsError::GroupNotFound)?;
            if !g.streams.contains_key(stream) {
                return Err(LogsError::StreamNotFound);
            }
        }
        self.append(group, stream, events);
        self.settle(Duration::from_secs(10));
        Ok(())
    }

    /// DeleteLogGroup.
    pub fn delete_group(&self, name: &str) -> Result<(), LogsError> {
        let _files = lock(&self.inner.files);
        let mut st = self.inner.write();
        let g = st.groups.remove(name).ok_or(LogsError::GroupNotFound)?;
        drop(st);
        let dir = self.inner.group_dir(g.id);
        let trash = self.inner.dir.join(format!("deleted-{}", g.id));
        fs::rename(&dir, &trash).map_err(io)?;
        let _ = fs::remove_dir_all(&trash);
        Ok(())
    }

    /// PutRetentionPolicy (`Some(days)`) or DeleteRetentionPolicy (`None`); old segments go
    /// at once.
    pub fn set_retention(&self, group: &str, days: Option<u32>) -> Result<(), LogsError> {
        {
            let mut st = self.inner.write();
            let g = st.groups.get_mut(group).ok_or(LogsError::GroupNotFound)?;
            g.meta.retention_days = days;
            write_json_atomic(&self.inner.group_dir(g.id).join("group.json"), &g.meta)
                .map_err(io)?;
        }
        self.apply_retention();
        Ok(())
    }

    /// Removes every segment whose newest event is older than its group's retention.
    pub fn apply_retention(&self) {
        retention(&self.inner);
    }

    /// Groups whose name starts with `prefix`, by name.
    pub fn groups(&self, prefix: &str) -> Vec<GroupInfo> {
        let st = self.inner.read();
        st.groups
            .range(prefix.to_string()..)
            .take_while(|(n, _)| n.starts_with(prefix))
            .map(|(_, g)| GroupInfo {
                name: g.meta.name.clone(),
                creation_time: g.meta.creation_time,
                retention_days: g.meta.retention_days,
                stored_bytes: g
                    .streams
                    .values()
                    .flat_map(|s| s.segments.iter())
                    .map(|s| s.bytes)
                    .sum(),
            })
            .collect()
    }

    /// Every group, by name.
    pub fn all_groups(&self) -> Vec<GroupInfo> {
        self.groups("")
    }

    /// The streams of `group`, by name.
    pub fn streams(&self, group: &str) -> Result<Vec<StreamInfo>, LogsError> {
        let st = self.inner.read();
        let g = st.groups.get(group).ok_or(LogsError::GroupNotFound)?;
        Ok(g.streams
            .values()
            .map(|s| StreamInfo {
                name: s.meta.name.clone(),
                creation_time: s.meta.creation_time,
                first_event: s.segments.iter().map(|x| x.min_ts).min(),
                last_event: s.segments.iter().map(|x| x.max_ts).max(),
                last_ingestion: s.last_ingestion,
                stored_bytes: s.segments.iter().map(|x| x.bytes).sum(),
            })
            .collect())
    }

    fn cursor(
        &self,
        group: &str,
        stream: &str,
        start: Option<i64>,
        end: Option<i64>,
    ) -> Result<(Cursor, u64), LogsError> {
        let st = self.inner.read();
        let g = st.groups.get(group).ok_or(LogsError::GroupNotFound)?;
        let s = g.streams.get(stream).ok_or(LogsError::StreamNotFound)?;
        Ok((
            Cursor {
                dir: self.inner.stream_dir(g.id, s.id),
                stream: stream.to_string(),
                sid: s.id,
                segments: s.segments.clone(),
                seg: 0,
                reader: None,
                seq: 0,
                start,
                end,
            },
            s.next_seq,
        ))
    }

    /// GetLogEvents. Without a token, reads from the head or back from the tail; a page
    /// with no events gives back the token it was asked with.
    pub fn get_events(
        &self,
        group: &str,
        stream: &str,
        q: &GetQuery,
    ) -> Result<GetPage, LogsError> {
        let end = q.end_time.map(|e| e - 1);
        let (mut cur, next_seq) = self.cursor(group, stream, q.start_time, end)?;
        let sid = cur.sid;
        let limit = q.limit.clamp(1, 10_000);
        let (forward, at) = match &q.token {
            Some(t) => {
                let (d, seq) = parse_get_token(t, sid)?;
                (d == 'f', seq.min(next_seq))
            }
            None if q.start_from_head => (true, 0),
            None => (false, next_seq),
        };
        if forward {
            cur.seq = at;
            let mut events = Vec::new();
            let mut bytes = 0;
            let mut last = at;
            let mut first = None;
            while events.len() < limit && bytes < PAGE_BYTES {
                let Some((seq, line)) = cur.next() else {
                    last = last.max(cur.seq.min(next_seq));
                    break;
                };
                bytes += event_cost(&line.m);
                first.get_or_insert(seq);
                last = seq + 1;
                events.push(to_event(&cur.stream, sid, seq, line));
            }
            if events.is_empty() {
                let same = q.token.clone().unwrap_or_else(|| get_token('f', sid, at));
                return Ok(GetPage {
                    events,
                    next_forward: same,
                    next_backward: get_token('b', sid, at),
                });
            }
            return Ok(GetPage {
                next_forward: get_token('f', sid, last),
                next_backward: get_token('b', sid, first.unwrap_or(at)),
                events,
            });
        }
        // Backward: the newest `limit` events before `at`, oldest first.
        let mut kept: VecDeque<(u64, Line)> = VecDeque::new();
        let mut bytes = 0;
        let segments = cur.segments.clone();
        'segs: for seg in segments.iter().rev() {
            if seg.first_seq >= at {
                continue;
            }
            let mut one = Cursor {
                segments: vec![*seg],
                seg: 0,
                reader: None,
                seq: seg.first_seq,
                dir: cur.dir.clone(),
                stream: cur.stream.clone(),
                sid,
                start: cur.start,
                end: cur.end,
            };
            let mut lines = Vec::new();
            while let Some((seq, line)) = one.next() {
                if seq >= at {
                    break;
                }
                lines.push((seq, line));
            }
            for (seq, line) in lines.into_iter().rev() {
                if kept.len() >= limit || bytes + event_cost(&line.m) > PAGE_BYTES {
                    break 'segs;
                }
                bytes += event_cost(&line.m);
                kept.push_front((seq, line));
            }
        }
        if kept.is_empty() {
            let same = q.token.clone().unwrap_or_else(|| get_token('b', sid, at));
            return Ok(GetPage {
                events: Vec::new(),
                next_forward: get_token('f', sid, at),
                next_backward: same,
            });
        }
        let first = kept.front().map_or(at, |(s, _)| *s);
        let last = kept.back().map_or(at, |(s, _)| s + 1);
        let events = kept
            .into_iter()
            .map(|(seq, l)| to_event(&cur.stream, sid, seq, l))
            .collect();
        Ok(GetPage {
            events,
            next_forward: get_token('f', sid, last),
            next_backward: get_token('b', sid, first),
        })
    }

    /// FilterLogEvents: matching events of the chosen streams, merged by time. The token
    /// records where each stream stopped.
    pub fn filter_events(&self, group: &str, q: &FilterQuery) -> Result<FilterPage, LogsError> {
        let positions: BTreeMap<u64, u64> = match &q.token {
            Some(t) => decode_filter_token(t)?,
            None => BTreeMap::new(),
        };
        let mut cursors = Vec::new();
        {
            let st = self.inner.read();
            let g = st.groups.get(group).ok_or(LogsError::GroupNotFound)?;
            for (name, s) in &g.streams {
                if let Some(names) = &q.stream_names
                    && !names.iter().any(|n| n == name)
                {
                    continue;
                }
                if let Some(p) = &q.stream_prefix
                    && !name.starts_with(p.as_str())
                {
                    continue;
                }
                let max = s.segments.iter().map(|x| x.max_ts).max();
                let min = s.segments.iter().map(|x| x.min_ts).min();
                let (Some(min), Some(max)) = (min, max) else {
                    continue;
                };
                if q.start_time.is_some_and(|t| max < t) || q.end_time.is_some_and(|t| min > t) {
                    continue;
                }
                cursors.push(Cursor {
                    dir: self.inner.stream_dir(g.id, s.id),
                    stream: name.clone(),
                    sid: s.id,
                    segments: s.segments.clone(),
                    seg: 0,
                    reader: None,
                    seq: positions.get(&s.id).copied().unwrap_or(0),
                    start: q.start_time,
                    end: q.end_time,
                });
            }
        }
        // A min-heap on (time, stream id, seq) over each stream's next event.
        let mut heap = BinaryHeap::new();
        let mut pending: Vec<Option<Line>> = Vec::with_capacity(cursors.len());
        for (k, c) in cursors.iter_mut().enumerate() {
            match c.next() {
                Some((seq, line)) => {
                    heap.push(std::cmp::Reverse((line.t, c.sid, seq, k)));
                    pending.push(Some(line));
                }
                None => pending.push(None),
            }
        }
        let limit = q.limit.clamp(1, 10_000);
        let (mut events, mut bytes, mut scanned) = (Vec::new(), 0usize, 0usize);
        while let Some(std::cmp::Reverse((_, sid, seq, k))) = heap.peek().copied() {
            if events.len() >= limit || bytes >= PAGE_BYTES || scanned >= SCAN_BUDGET {
                break;
            }
            heap.pop();
            scanned += 1;
            if let Some(line) = pending[k].take()
                && q.pattern.matches(&line.m)
            {
                bytes += event_cost(&line.m);
                events.push(to_event(&cursors[k].stream, sid, seq, line));
            }
            if let Some((seq, line)) = cursors[k].next() {
                heap.push(std::cmp::Reverse((line.t, sid, seq, k)));
                pending[k] = Some(line);
            }
        }
        let next_token = if heap.is_empty() {
            None
        } else {
            let mut pos = positions;
            for std::cmp::Reverse((_, sid, seq, _)) in heap.iter() {
                pos.insert(*sid, *seq);
            }
            // Streams whose cursor ran out are done: past their end.
            for (k, c) in cursors.iter().enumerate() {
                if pending[k].is_none() {
                    pos.insert(
                        c.sid,
                        c.seq
                            .max(c.segments.last().map_or(0, |s| s.first_seq + s.count)),
                    );
                }
            }
            Some(encode_filter_token(&pos))
        };
        Ok(FilterPage { events, next_token })
    }
}

fn encode_filter_token(pos: &BTreeMap<u64, u64>) -> String {
    use base64::Engine;
    let text: Vec<String> = pos.iter().map(|(s, q)| format!("{s}:{q}")).collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text.join(","))
}

fn decode_filter_token(token: &str) -> Result<BTreeMap<u64, u64>, LogsError> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| LogsError::InvalidToken)?;
    let text = String::from_utf8(bytes).map_err(|_| LogsError::InvalidToken)?;
    let mut out = BTreeMap::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let (s, q) = part.split_once(':').ok_or(LogsError::InvalidToken)?;
        out.insert(
            s.parse().map_err(|_| LogsError::InvalidToken)?,
            q.parse().map_err(|_| LogsError::InvalidToken)?,
        );
    }
    Ok(out)
}

impl Drop for Logs {
    fn drop(&mut self) {
        lock(&self.inner.queue).closed = true;
        self.inner.work.notify_all();
        self.inner.progress.notify_all();
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

fn retention(inner: &Inner) {
    let now = now_ms();
    let _files = lock(&inner.files);
    let mut st = inner.write();
    let mut removed = Vec::new();
    for g in st.groups.values_mut() {
        let Some(days) = g.meta.retention_days else {
            continue;
        };
        let cutoff = now - i64::from(days) * DAY_MS;
        for s in g.streams.values_mut() {
            s.segments.retain(|seg| {
                let old = seg.max_ts < cutoff;
                if old {
                    removed.push((g.id, s.id, seg.first_seq));
                }
                !old
            });
        }
    }
    drop(st);
    for (gid, sid, first) in removed {
        let dir = inner.stream_dir(gid, sid);
        let _ = fs::remove_file(dir.join(format!("{}.seg", seg_name(first))));
        let _ = fs::remove_file(dir.join(format!("{}.idx", seg_name(first))));
    }
}

fn writer(inner: &Inner) {
    let mut last_retention = std::time::Instant::now();
    loop {
        let batch = {
            let mut q = lock(&inner.queue);
            loop {
                if let Some(b) = q.batches.pop_front() {
                    break Some(b);
                }
                if q.closed {
                    break None;
                }
                q = inner
                    .work
                    .wait_timeout(q, Duration::from_secs(60))
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
                if q.batches.is_empty() && last_retention.elapsed() >= Duration::from_secs(60) {
                    break None;
                }
            }
        };
        let Some(batch) = batch else {
            if lock(&inner.queue).closed {
                return;
            }
            retention(inner);
            last_retention = std::time::Instant::now();
            continue;
        };
        if let Err(e) = store_batch(inner, &batch) {
            tracing::warn!(group = %batch.group, stream = %batch.stream, error = %e, "log events lost");
        }
        let mut q = lock(&inner.queue);
        q.bytes -= batch.bytes;
        q.written += 1;
        drop(q);
        inner.progress.notify_all();
    }
}

fn store_batch(inner: &Inner, b: &Batch) -> Result<(), LogsError> {
    if b.events.is_empty() {
        return Ok(());
    }
    let _files = lock(&inner.files);
    // Where the stream stands (creating group and stream on first use, as Lambda's role does).
    let (gid, sid, mut next_seq, mut last) = {
        let mut st = inner.write();
        if !st.groups.contains_key(&b.group) {
            create_group_locked(inner, &mut st, &b.group)?;
        }
        if !st
            .groups
            .get(&b.group)
            .is_some_and(|g| g.streams.contains_key(&b.stream))
        {
            create_stream_locked(inner, &mut st, &b.group, &b.stream)?;
        }
        let g = st.groups.get(&b.group).ok_or(LogsError::GroupNotFound)?;
        let s = g.streams.get(&b.stream).ok_or(LogsError::StreamNotFound)?;
        // Only the newest segment, if it ends where the stream does, takes more lines.
        let last = s
            .segments
            .last()
            .copied()
            .filter(|l| l.first_seq + l.count == s.next_seq);
        (g.id, s.id, s.next_seq, last)
    };
    let dir = inner.stream_dir(gid, sid);
    let mut done: Vec<Segment> = Vec::new();
    let mut buf = Vec::new();
    let mut cur: Option<Segment> = last.take();
    let flush = |seg: &Segment, buf: &mut Vec<u8>| -> Result<(), LogsError> {
        if buf.is_empty() {
            return Ok(());
        }
        let path = dir.join(format!("{}.seg", seg_name(seg.first_seq)));
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io)?;
        f.write_all(buf).map_err(io)?;
        buf.clear();
        Ok(())
    };
    for (ts, msg) in &b.events {
        let line = serde_json::to_vec(&Line {
            t: *ts,
            i: b.ingestion,
            m: msg.clone(),
        })
        .map_err(|e| LogsError::Io(e.to_string()))?;
        let day = ts.div_euclid(DAY_MS);
        let fits = cur.is_some_and(|c| {
            c.day == day && (c.bytes == 0 || c.bytes + (line.len() as u64) < SEGMENT_BYTES)
        });
        if !fits {
            if let Some(c) = cur.take() {
                flush(&c, &mut buf)?;
                if c.count > 0 {
                    let idx = dir.join(format!("{}.idx", seg_name(c.first_seq)));
                    write_json_atomic(&idx, &c).map_err(io)?;
                }
                done.push(c);
            }
            cur = Some(Segment {
                first_seq: next_seq,
                count: 0,
                min_ts: *ts,
                max_ts: *ts,
                bytes: 0,
                day,
            });
        }
        if let Some(c) = cur.as_mut() {
            buf.extend_from_slice(&line);
            buf.push(b'\n');
            c.count += 1;
            c.bytes += line.len() as u64 + 1;
            c.min_ts = c.min_ts.min(*ts);
            c.max_ts = c.max_ts.max(*ts);
        }
        next_seq += 1;
    }
    if let Some(c) = &cur {
        flush(c, &mut buf)?;
        done.push(*c);
    }
    let mut st = inner.write();
    if let Some(s) = st
        .groups
        .get_mut(&b.group)
        .and_then(|g| g.streams.get_mut(&b.stream))
        .filter(|s| s.id == sid)
    {
        for seg in done {
            match s.segments.last_mut() {
                Some(l) if l.first_seq == seg.first_seq => *l = seg,
                _ => s.segments.push(seg),
            }
        }
        s.next_seq = next_seq;
        s.last_ingestion = Some(b.ingestion);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
