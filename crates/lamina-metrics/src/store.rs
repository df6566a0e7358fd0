//! The minutes on disk: one SQLite file, `<data>/metrics/metrics.db`, separate from the
//! control plane's database so that metric writes never queue behind (or in front of) a
//! deploy. A row per (series, minute) with the counters, the gauges and each distribution's
//! exact count/sum/min/max beside its HdrHistogram (V2 encoding). Deltas from memory merge
//! into the row already there, so a restart inside a minute adds to it rather than
//! replacing it. Retention deletes whole minutes older than the limit.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use crate::record::SeriesKey;
use crate::stats::{Dist, Gauge, MinuteStats};

/// A fault of the metrics database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused.
    #[error("metrics database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The folder could not be made.
    #[error("creating {path}: {source}")]
    Io {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    function TEXT NOT NULL,
    resource TEXT NOT NULL,
    executed_version TEXT NOT NULL,
    image TEXT NOT NULL,
    UNIQUE (function, resource, executed_version, image)
);
CREATE TABLE IF NOT EXISTS minutes (
    series INTEGER NOT NULL REFERENCES series(id),
    minute INTEGER NOT NULL,
    invocations INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    timeouts INTEGER NOT NULL,
    throttles INTEGER NOT NULL,
    cold_starts INTEGER NOT NULL,
    async_received INTEGER NOT NULL,
    dur_count INTEGER NOT NULL, dur_sum INTEGER NOT NULL, dur_min INTEGER NOT NULL,
    dur_max INTEGER NOT NULL, dur_hist BLOB NOT NULL,
    init_count INTEGER NOT NULL, init_sum INTEGER NOT NULL, init_min INTEGER NOT NULL,
    init_max INTEGER NOT NULL, init_hist BLOB NOT NULL,
    conc_max INTEGER NOT NULL, conc_min INTEGER NOT NULL, conc_sum INTEGER NOT NULL,
    conc_count INTEGER NOT NULL,
    unres_max INTEGER NOT NULL, unres_min INTEGER NOT NULL, unres_sum INTEGER NOT NULL,
    unres_count INTEGER NOT NULL,
    PRIMARY KEY (series, minute)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS minutes_by_minute ON minutes (minute);
";

const COLUMNS: &str = "invocations, errors, timeouts, throttles, cold_starts, async_received, \
    dur_count, dur_sum, dur_min, dur_max, dur_hist, init_count, init_sum, init_min, init_max, \
    init_hist, conc_max, conc_min, conc_sum, conc_count, unres_max, unres_min, unres_sum, \
    unres_count";

/// The metrics database.
pub(crate) struct Store {
    conn: Connection,
    ids: HashMap<SeriesKey, i64>,
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn uint(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl Store {
    /// Opens (or makes) `<dir>/metrics.db`.
    pub(crate) fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let conn = Connection::open(dir.join("metrics.db"))?;
        // Metrics are not acknowledged to anyone: WAL with NORMAL syncs at checkpoints, so a
        // flush costs no fsync. A power loss can cost the last flushes, never the file.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn,
            ids: HashMap::new(),
        })
    }

    fn series_id(&mut self, key: &SeriesKey) -> Result<i64, StoreError> {
        if let Some(id) = self.ids.get(key) {
            return Ok(*id);
        }
        self.conn.execute(
            "INSERT OR IGNORE INTO series (function, resource, executed_version, image) VALUES (?1, ?2, ?3, ?4)",
            params![key.function, key.resource, key.executed_version, key.image],
        )?;
        let id: i64 = self.conn.query_row(
            "SELECT id FROM series WHERE function = ?1 AND resource = ?2 AND executed_version = ?3 AND image = ?4",
            params![key.function, key.resource, key.executed_version, key.image],
            |r| r.get(0),
        )?;
        self.ids.insert(key.clone(), id);
        Ok(id)
    }

    /// Merges `deltas` into the rows on disk, in one transaction.
    pub(crate) fn merge(
        &mut self,
        deltas: &[(SeriesKey, i64, MinuteStats)],
    ) -> Result<(), StoreError> {
        if deltas.is_empty() {
            return Ok(());
        }
        let mut ids = Vec::with_capacity(deltas.len());
        for (key, _, _) in deltas {
            ids.push(self.series_id(key)?);
        }
        let tx = self.conn.transaction()?;
        {
            let mut select = tx.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM minutes WHERE series = ?1 AND minute = ?2"
            ))?;
            let mut upsert = tx.prepare_cached(&format!(
                "INSERT OR REPLACE INTO minutes (series, minute, {COLUMNS}) VALUES \
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
                  ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)"
            ))?;
            for (id, (_, minute, delta)) in ids.into_iter().zip(deltas) {
                let minute = *minute;
                let mut stats = select
                    .query_row(params![id, minute], |r| read_stats(r, 0))
                    .optional()?
                    .unwrap_or_default();
                stats.merge(delta);
                let (d, i, c, u) = (
                    &stats.duration,
                    &stats.init,
                    stats.concurrency,
                    stats.unreserved,
                );
                upsert.execute(params![
                    id,
                    minute,
                    int(stats.invocations),
                    int(stats.errors),
                    int(stats.timeouts),
                    int(stats.throttles),
                    int(stats.cold_starts),
                    int(stats.async_received),
                    int(d.count),
                    int(d.sum_us),
                    int(if d.count == 0 { 0 } else { d.min_us }),
                    int(d.max_us),
                    d.encode_histogram(),
                    int(i.count),
                    int(i.sum_us),
                    int(if i.count == 0 { 0 } else { i.min_us }),
                    int(i.max_us),
                    i.encode_histogram(),
                    int(c.max),
                    int(c.min),
                    int(c.sum),
                    int(c.count),
                    int(u.max),
                    int(u.min),
                    int(u.sum),
                    int(u.count),
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The rows of minutes in `[from, to)` of the series `wanted` accepts.
    pub(crate) fn read(
        &mut self,
        from: i64,
        to: i64,
        wanted: &dyn Fn(&SeriesKey) -> bool,
    ) -> Result<Vec<(SeriesKey, i64, MinuteStats)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT s.function, s.resource, s.executed_version, s.image, m.minute, {COLUMNS} \
             FROM minutes m JOIN series s ON s.id = m.series \
             WHERE m.minute >= ?1 AND m.minute < ?2 ORDER BY m.minute"
        ))?;
        let mut rows = stmt.query(params![from, to])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let key = SeriesKey::new(
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            );
            if !wanted(&key) {
                continue;
            }
            out.push((key, r.get(4)?, read_stats(r, 5)?));
        }
        Ok(out)
    }

    /// Series with at least one minute at or after `since`.
    pub(crate) fn series_since(&mut self, since: i64) -> Result<Vec<SeriesKey>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT function, resource, executed_version, image FROM series s \
             WHERE EXISTS (SELECT 1 FROM minutes m WHERE m.series = s.id AND m.minute >= ?1) \
             ORDER BY function, resource, executed_version, image",
        )?;
        let rows = stmt.query_map(params![since], |r| {
            Ok(SeriesKey::new(
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Deletes minutes before `before`, and series left without any; the number of
    /// minutes deleted.
    pub(crate) fn prune(&mut self, before: i64) -> Result<usize, StoreError> {
        let n = self
            .conn
            .execute("DELETE FROM minutes WHERE minute < ?1", params![before])?;
        if n > 0 {
            self.conn.execute(
                "DELETE FROM series WHERE NOT EXISTS (SELECT 1 FROM minutes m WHERE m.series = series.id)",
                [],
            )?;
            self.ids.clear();
        }
        Ok(n)
    }
}

fn read_stats(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<MinuteStats> {
    let g = |i: usize| -> rusqlite::Result<u64> { Ok(uint(r.get::<_, i64>(at + i)?)) };
    let dist = |i: usize| -> rusqlite::Result<Dist> {
        let count = g(i)?;
        let hist: Vec<u8> = r.get(at + i + 4)?;
        Ok(Dist::decode(
            count,
            g(i + 1)?,
            if count == 0 { u64::MAX } else { g(i + 2)? },
            g(i + 3)?,
            &hist,
        ))
    };
    let gauge = |i: usize| -> rusqlite::Result<Gauge> {
        Ok(Gauge {
            max: g(i)?,
            min: g(i + 1)?,
            sum: g(i + 2)?,
            count: g(i + 3)?,
        })
    };
    Ok(MinuteStats {
        invocations: g(0)?,
        errors: g(1)?,
        timeouts: g(2)?,
        throttles: g(3)?,
        cold_starts: g(4)?,
        async_received: g(5)?,
        duration: dist(6)?,
        init: dist(11)?,
        concurrency: gauge(16)?,
        unreserved: gauge(20)?,
    })
}
