//! Group commit for the event queue: one thread owns the queue's writes and applies
//! everything that arrived while the previous transaction was being synced as the next
//! single transaction, so a burst of accepted invokes costs one fsync rather than one each.
//! A caller that must not acknowledge before its write is durable (the 202 of an `Event`
//! invoke) waits for its batch's commit; removals after a finished run need not wait.

use std::sync::Arc;
use std::sync::mpsc;

use lamina_store::{EventWrite, EventWritten, Store, StoreError};
use tokio::sync::oneshot;

/// Most writes one transaction takes; the rest wait for the next one.
const MAX_BATCH: usize = 4096;

type Reply = oneshot::Sender<Result<Vec<EventWritten>, String>>;

struct Job {
    writes: Vec<EventWrite>,
    reply: Option<Reply>,
}

/// The handle callers send writes through; the thread ends when every handle is dropped.
#[derive(Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread over `store`.
    pub(crate) fn start(store: Arc<dyn Store>) -> std::io::Result<Writer> {
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("lamina-queue-writer".into())
            .spawn(move || run(store.as_ref(), &rx))?;
        Ok(Writer { jobs })
    }

    /// Applies `writes` in the next group commit and waits until it is durable.
    pub(crate) async fn commit(
        &self,
        writes: Vec<EventWrite>,
    ) -> Result<Vec<EventWritten>, String> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job {
                writes,
                reply: Some(tx),
            })
            .map_err(|_| "the queue writer has stopped".to_string())?;
        rx.await
            .map_err(|_| "the queue writer dropped a batch".to_string())?
    }

    /// Applies `writes` in the next group commit without waiting (a failure is logged).
    pub(crate) fn send(&self, writes: Vec<EventWrite>) {
        if self
            .jobs
            .send(Job {
                writes,
                reply: None,
            })
            .is_err()
        {
            tracing::error!("the queue writer has stopped; a queue update is lost until restart");
        }
    }
}

fn run(store: &dyn Store, rx: &mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        let mut count = jobs[0].writes.len();
        while count < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => {
                    count += job.writes.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let all: Vec<EventWrite> = jobs.iter().flat_map(|j| j.writes.iter().cloned()).collect();
        match store.write_events(&all) {
            Ok(results) => {
                let mut results = results.into_iter();
                for job in jobs {
                    let mine: Vec<EventWritten> = results.by_ref().take(job.writes.len()).collect();
                    if let Some(reply) = job.reply {
                        let _ = reply.send(Ok(mine));
                    }
                }
            }
            Err(e) => fail(jobs, &e),
        }
    }
}

/// A failed transaction fails every caller in it; nothing of it was stored.
fn fail(jobs: Vec<Job>, e: &StoreError) {
    tracing::error!(error = %e, "writing the event queue failed");
    for job in jobs {
        if let Some(reply) = job.reply {
            let _ = reply.send(Err(e.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lamina_model::event_invoke::QueuedEvent;
    use lamina_store::MemoryStore;

    fn event(function: &str) -> QueuedEvent {
        QueuedEvent::new(function, "$LATEST", None, "r", b"{}".to_vec(), 0)
    }

    #[tokio::test]
    async fn concurrent_commits_each_get_their_own_results_in_order() {
        let store = Arc::new(MemoryStore::new());
        let writer = Writer::start(store.clone() as Arc<dyn Store>).unwrap();
        let mut tasks = Vec::new();
        for i in 0..50 {
            let w = writer.clone();
            tasks.push(tokio::spawn(async move {
                let writes = if i % 2 == 0 {
                    vec![
                        EventWrite::Enqueue(event("ghost")),
                        EventWrite::Remove(9999),
                    ]
                } else {
                    vec![EventWrite::Remove(9999)]
                };
                (i, w.commit(writes).await)
            }));
        }
        for t in tasks {
            let (i, got) = t.await.unwrap();
            let expected = if i % 2 == 0 { 2 } else { 1 };
            assert_eq!(got.unwrap(), vec![EventWritten::Missing; expected]);
        }
    }
}
