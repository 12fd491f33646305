//! Storing pushed events: log them raw, upsert their records, reanalyze what they touched.
//!
//! - [`Ingestor`]: what the HTTP endpoints use. Each request is one transaction (raw log,
//!   records, and the repositories it touched queued for derivation in the store), answered once
//!   committed (or, on request, once the metrics include it); the queued repositories are derived
//!   in the background. Derivations are coalesced per repository: a burst of deliveries to one
//!   repository runs a handful of them, not one each. [`Ingestor::resume_queued`] also picks up
//!   what other processes queued or left unfinished. At most `[api] max_pending_deliveries`
//!   deliveries are in flight (being received, queued or written): [`Ingestor::admit`] refuses
//!   more, so a flood costs bounded memory and its senders retry later.
//! - [`import_file`]: `doraboard import`. One streaming pass reads and validates the file on a
//!   thread of its own, batch after batch, while the previous batch is written, all inside one
//!   transaction; every bad line is reported, and nothing is visible until all of it is.
//!   Derivation follows, one pass per repository.

use crate::events::csv::CsvReader;
use crate::events::ndjson::{LineReader, MAX_ERRORS, RawItem};
use crate::events::schema::parse_event;
use crate::events::{EventContext, EventError, KindCounts, logged};
use crate::telemetry;
use engine::analysis::AnalysisOptions;
use engine::config::Config;
use engine::model::{RepoSlug, Source};
use engine::store::events::{
    BatchForm, BatchOutcome, EventRecord, IngestTransaction, LoggedEvent, PreparedBatch,
};
use engine::store::{Counter, Store, StoreError};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

/// Events per batch written by an import or a replay: bounds the memory held, not the
/// transaction (there is one).
pub const BATCH: usize = 2_000;

/// What one ingestion stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// Events received.
    pub received: usize,
    /// Events already in the raw log (redeliveries): nothing changed for them.
    pub duplicates: usize,
    /// New events stored, by kind.
    pub stored: KindCounts,
}

/// When a caller of [`Ingestor::ingest`] gets its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Once stored: the reanalysis of the touched repositories follows in the background
    /// (milliseconds later; coalesced, so a burst of deliveries costs a few analyses).
    Stored,
    /// Once the metrics include the events: after a reanalysis that started after the write.
    Analysed,
}

/// Requests written together in one transaction at most (group commit).
const GROUP_REQUESTS: usize = 256;
/// Events written together in one transaction at most.
const GROUP_EVENTS: usize = 5_000;
/// How often [`Ingestor::resume_queued`] looks at the store's derivation queue.
const QUEUE_POLL: std::time::Duration = std::time::Duration::from_secs(30);
/// How long after its repository was queued a reanalysis starts at the soonest: the deliveries
/// of a burst (GitHub sends a deployment and its statuses, a pull request and its reviews) cost
/// one analysis, and a question asked right after a delivery is answered before it starts.
const DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(20);
/// How long a queued reanalysis gives way to [`Foreground`] work: the most that deliveries and
/// questions keep delaying the metrics beyond the analysis itself. `ingest_bench` (10,000
/// deliveries, 64 at a time, while a sync runs, SQLite), medians of three runs each: 3,060
/// deliveries/s without giving way, 4,270 with 250 ms, 4,780 with 500 ms, 5,170 with 1 s; every
/// delivery was in the metrics sooner, too (3.4 s, then 2.3, 2.2 and 2.1 s).
const MAX_DEFER: std::time::Duration = std::time::Duration::from_secs(1);

/// Writes pushed events and keeps the analysis of the repositories they touch current.
///
/// Concurrent requests are written by one task, in groups: everything that queued while the
/// previous transaction ran is written in the next one (group commit), so a burst of
/// deliveries costs a few transactions, not one each. Each request still gets its own outcome;
/// if a group fails, its requests are retried one by one, so one bad request fails alone.
#[derive(Clone)]
pub struct Ingestor {
    store: Store,
    reanalyzer: Arc<Reanalyzer>,
    writer: Arc<std::sync::OnceLock<mpsc::Sender<Job>>>,
    /// One permit per delivery in flight: the bound on what ingestion holds in memory.
    admissions: Arc<Semaphore>,
    capacity: usize,
    /// SQLite has one writer: the group writer and the reanalyses take turns here (first come,
    /// first served) rather than in SQLite's busy handler, which sleeps and retries.
    write_lock: Option<Arc<tokio::sync::Mutex<()>>>,
    foreground: Arc<Foreground>,
}

/// Work someone is waiting for: deliveries handed to the group writer and not answered yet, and
/// questions being answered ([`Ingestor::answering`]).
///
/// Reanalyses are background work and give way to it, up to [`MAX_DEFER`] after they were
/// queued. Under a flood of deliveries the writes go first (on SQLite the group writer and the
/// reanalyses take turns at the one write lock), and each reanalysis, whose cost hardly depends
/// on how many deliveries it covers, then covers more of them. A question does not share the
/// machine's cores with a reanalysis that could have waited. Without such work a reanalysis
/// starts [`DEBOUNCE`] after it was queued.
#[derive(Default)]
struct Foreground {
    jobs: std::sync::atomic::AtomicUsize,
    /// Signalled when the last piece of foreground work ends.
    drained: tokio::sync::Notify,
}

/// A piece of foreground work (a delivery being written, a question being answered) that
/// reanalyses wait for, counted until dropped, whether it completed or was abandoned.
pub struct ForegroundWork {
    foreground: Arc<Foreground>,
}

impl Drop for ForegroundWork {
    fn drop(&mut self) {
        let ended = &self.foreground;
        if ended.jobs.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            ended.drained.notify_waiters();
        }
    }
}

impl Foreground {
    fn start(self: &Arc<Self>) -> ForegroundWork {
        self.jobs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ForegroundWork {
            foreground: Arc::clone(self),
        }
    }

    fn count(&self) -> usize {
        self.jobs.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Returns once no foreground work is left, or at `deadline`.
    async fn drained_or(&self, deadline: tokio::time::Instant) {
        loop {
            // Registered before the check, so the last piece ending in between still wakes us.
            let drained = self.drained.notified();
            if self.count() == 0 {
                return;
            }
            if tokio::time::timeout_at(deadline, drained).await.is_err() {
                return;
            }
        }
    }
}

/// A delivery's place among those in flight, held until it is answered.
#[derive(Debug)]
pub struct Admission {
    _permit: OwnedSemaphorePermit,
}

/// One request for the group writer.
struct Job {
    events: Vec<LoggedEvent>,
    done: oneshot::Sender<Result<BatchOutcome, String>>,
    /// Reanalyses wait for the job until it is answered, or dropped unanswered.
    _pending: ForegroundWork,
}

impl Ingestor {
    pub fn new(store: Store, config: &Config) -> Self {
        let write_lock =
            (store.backend_name() == "sqlite").then(|| Arc::new(tokio::sync::Mutex::new(())));
        let foreground = Arc::new(Foreground::default());
        Ingestor {
            reanalyzer: Arc::new(Reanalyzer {
                store: store.clone(),
                options: engine::query::analysis_options(config),
                queue: Mutex::new(Queue::default()),
                idle: tokio::sync::Notify::new(),
                write_lock: write_lock.clone(),
                foreground: Arc::clone(&foreground),
            }),
            store,
            writer: Arc::new(std::sync::OnceLock::new()),
            admissions: Arc::new(Semaphore::new(config.api.max_pending_deliveries)),
            capacity: config.api.max_pending_deliveries,
            write_lock,
            foreground,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A place for one more delivery, or `None` when `[api] max_pending_deliveries` are in
    /// flight already: the caller refuses it (503) before reading its body.
    pub fn admit(&self) -> Option<Admission> {
        let permit = self.admissions.clone().try_acquire_owned().ok()?;
        Some(Admission { _permit: permit })
    }

    /// Marks a question being answered until the guard drops: reanalyses wait for it, up to a
    /// second after they were queued.
    pub fn answering(&self) -> ForegroundWork {
        self.foreground.start()
    }

    /// How many deliveries and answers the reanalyses are waiting for now.
    pub fn foreground(&self) -> usize {
        self.foreground.count()
    }

    /// How many deliveries may be in flight at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many deliveries are in flight now.
    pub fn in_flight(&self) -> usize {
        self.capacity - self.admissions.available_permits()
    }

    /// Logs and stores `events` in one transaction (shared with concurrent requests), then has
    /// the repositories they touched reanalyzed; answers when `settle` says.
    pub async fn ingest(
        &self,
        events: Vec<LoggedEvent>,
        settle: Settle,
    ) -> Result<IngestReport, StoreError> {
        let failed = |detail: String| StoreError::Invalid {
            what: "ingestion",
            value: String::new(),
            detail,
        };
        let mut report = IngestReport {
            received: events.len(),
            ..IngestReport::default()
        };
        let kinds: Vec<Option<EventRecord>> = events.iter().map(|e| e.record.clone()).collect();
        let (done, outcome) = oneshot::channel();
        let job = Job {
            events,
            done,
            _pending: self.foreground.start(),
        };
        self.writer()
            .send(job)
            .await
            .map_err(|_| failed("the ingestion writer stopped".to_string()))?;
        let outcome = outcome
            .await
            .map_err(|_| failed("the ingestion writer stopped".to_string()))?
            .map_err(failed)?;
        let mut repos = BTreeSet::new();
        for (record, new) in kinds.iter().zip(&outcome.new) {
            if !new {
                report.duplicates += 1;
            } else if let Some(record) = record {
                report.stored.add(record);
                repos.extend(record.repo().cloned());
            }
        }
        if settle == Settle::Analysed {
            // An incident that names a cause (or has no repository) is analysed with the
            // repository of its cause: wait for everything pending, which includes it.
            let elsewhere = kinds.iter().flatten().any(|record| {
                record.repo().is_none()
                    || matches!(record, EventRecord::Incident(i) if i.cause.is_some())
                    || matches!(record, EventRecord::IncidentUpdate(_))
            });
            for wait in self.reanalyzer.request(repos.into_iter().collect(), true) {
                match wait.await {
                    Ok(Ok(())) => {}
                    Ok(Err(message)) => return Err(failed(message)),
                    Err(_) => return Err(failed("the reanalysis task stopped".to_string())),
                }
            }
            if elsewhere {
                self.reanalyzer.settled().await;
            }
        }
        Ok(report)
    }

    /// Waits until no reanalysis is pending or running: every event stored so far is in the
    /// metrics.
    pub async fn settled(&self) {
        self.reanalyzer.settled().await;
    }

    /// Resumes, in the background, the derivation the store holds queued: left by a process
    /// killed mid-derivation, or queued by another process (a `collect`, another replica). It
    /// looks now, then every `QUEUE_POLL` (30 seconds); the task runs until aborted.
    pub fn resume_queued(&self) -> tokio::task::JoinHandle<()> {
        let reanalyzer = Arc::clone(&self.reanalyzer);
        tokio::spawn(async move {
            loop {
                match reanalyzer.store.queued_derivations().await {
                    Ok(repos) => {
                        if !repos.is_empty() {
                            tracing::info!(
                                repositories = repos.len(),
                                "resuming queued derivation"
                            );
                        }
                        reanalyzer.request(repos, false);
                    }
                    Err(error) => tracing::warn!(%error, "cannot read the derivation queue"),
                }
                tokio::time::sleep(QUEUE_POLL).await;
            }
        })
    }

    /// The group writer's queue, started on first use (it needs the runtime). Bounded like the
    /// admissions: a caller without one waits for room rather than growing it.
    fn writer(&self) -> &mpsc::Sender<Job> {
        self.writer.get_or_init(|| {
            let (send, receive) = mpsc::channel(self.capacity);
            tokio::spawn(write_groups(
                self.store.clone(),
                self.write_lock.clone(),
                Arc::clone(&self.reanalyzer),
                receive,
            ));
            send
        })
    }
}

/// The group writer: takes every request queued, writes them in one transaction, answers each.
async fn write_groups(
    store: Store,
    write_lock: Option<Arc<tokio::sync::Mutex<()>>>,
    reanalyzer: Arc<Reanalyzer>,
    mut jobs: mpsc::Receiver<Job>,
) {
    while let Some(first) = jobs.recv().await {
        let mut events = first.events.len();
        let mut group = vec![first];
        while group.len() < GROUP_REQUESTS && events < GROUP_EVENTS {
            match jobs.try_recv() {
                Ok(job) => {
                    events += job.events.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        let result = write_group(&store, write_lock.as_deref(), &group).await;
        let outcomes = match result {
            Ok((outcomes, repos)) => {
                reanalyzer.request(repos, false);
                outcomes.into_iter().map(Ok).collect()
            }
            Err(e) if group.len() > 1 => {
                tracing::warn!(error = %e, requests = group.len(), "group write failed; retrying one by one");
                let mut outcomes = Vec::with_capacity(group.len());
                for job in &group {
                    let one =
                        write_group(&store, write_lock.as_deref(), std::slice::from_ref(job)).await;
                    outcomes.push(match one {
                        Ok((mut outcome, repos)) => {
                            reanalyzer.request(repos, false);
                            Ok(outcome.remove(0))
                        }
                        Err(e) => Err(e.to_string()),
                    });
                }
                outcomes
            }
            Err(e) => vec![Err(e.to_string())],
        };
        for (job, outcome) in group.into_iter().zip(outcomes) {
            let _ = job.done.send(outcome);
        }
    }
}

/// Writes the events of `group` in one transaction; returns each request's outcome and the
/// repositories to reanalyze.
async fn write_group(
    store: &Store,
    write_lock: Option<&tokio::sync::Mutex<()>>,
    group: &[Job],
) -> Result<(Vec<BatchOutcome>, Vec<RepoSlug>), StoreError> {
    let events: Vec<LoggedEvent> = group
        .iter()
        .flat_map(|job| job.events.iter().cloned())
        .collect();
    let _turn = match write_lock {
        Some(lock) => Some(lock.lock().await),
        None => None,
    };
    let (outcome, commit) = store.ingest(events).await?;
    let mut new = outcome.new.into_iter();
    let outcomes = group
        .iter()
        .map(|job| BatchOutcome {
            new: new.by_ref().take(job.events.len()).collect(),
            ..BatchOutcome::default()
        })
        .collect();
    Ok((outcomes, commit.repos))
}

type Done = oneshot::Sender<Result<(), String>>;

/// Runs the reanalyses ingestion asks for, one repository at a time in arrival order, so
/// writes get their turn between two analyses. A repository queued several times is analysed
/// once; a caller that waits gets an analysis that started after it asked.
struct Reanalyzer {
    store: Store,
    options: AnalysisOptions,
    queue: Mutex<Queue>,
    /// Signalled when the worker stops: nothing is pending.
    idle: tokio::sync::Notify,
    /// The ingestor's SQLite write queue: a reanalysis writes too.
    write_lock: Option<Arc<tokio::sync::Mutex<()>>>,
    foreground: Arc<Foreground>,
}

#[derive(Default)]
struct Queue {
    /// Repositories waiting for an analysis, in order, each once, with when it was queued.
    pending: VecDeque<(RepoSlug, tokio::time::Instant)>,
    queued: HashSet<RepoSlug>,
    /// Callers waiting for the next analysis of a repository.
    waiters: HashMap<RepoSlug, Vec<Done>>,
    /// Whether the worker task runs.
    running: bool,
}

impl Reanalyzer {
    /// Queues an analysis of each repository; with `wait`, returns what to await for each.
    fn request(
        self: &Arc<Self>,
        repos: Vec<RepoSlug>,
        wait: bool,
    ) -> Vec<oneshot::Receiver<Result<(), String>>> {
        let mut waits = Vec::new();
        let start = {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            for repo in repos {
                if wait {
                    let (done, wait) = oneshot::channel();
                    queue.waiters.entry(repo.clone()).or_default().push(done);
                    waits.push(wait);
                }
                if queue.queued.insert(repo.clone()) {
                    queue.pending.push_back((repo, tokio::time::Instant::now()));
                }
            }
            let start = !queue.running && !queue.pending.is_empty();
            queue.running |= start;
            start
        };
        if start {
            tokio::spawn(Arc::clone(self).work());
        }
        waits
    }

    async fn settled(&self) {
        loop {
            // Registered before the check, so the worker stopping in between still wakes us.
            let stopped = self.idle.notified();
            if !self.queue.lock().unwrap_or_else(|e| e.into_inner()).running {
                return;
            }
            stopped.await;
        }
    }

    /// Analyses queued repositories until none is left.
    async fn work(self: Arc<Self>) {
        loop {
            let (repo, queued_at, waiters) = {
                let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                let Some((repo, queued_at)) = queue.pending.pop_front() else {
                    queue.running = false;
                    drop(queue);
                    self.idle.notify_waiters();
                    return;
                };
                queue.queued.remove(&repo);
                let waiters = queue.waiters.remove(&repo).unwrap_or_default();
                (repo, queued_at, waiters)
            };
            tokio::time::sleep_until(queued_at + DEBOUNCE).await;
            self.foreground.drained_or(queued_at + MAX_DEFER).await;
            let result = {
                let _turn = match &self.write_lock {
                    Some(lock) => Some(lock.lock().await),
                    None => None,
                };
                self.store.derive_queued(&repo, &self.options).await
            };
            let result = result.map(|_| ()).map_err(|e| {
                tracing::error!(%repo, error = %e, "reanalysis after ingestion failed");
                e.to_string()
            });
            for waiter in waiters {
                let _ = waiter.send(result.clone());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// doraboard import

/// The two formats a file may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ndjson,
    Csv,
}

impl Format {
    /// By extension (`.csv`; `.ndjson`, `.jsonl`, `.json`), else by the first non-blank
    /// character (`{` is JSON).
    pub fn detect(path: &Path) -> std::io::Result<Format> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => return Ok(Format::Csv),
            Some("ndjson" | "jsonl" | "json") => return Ok(Format::Ndjson),
            _ => {}
        }
        let mut head = [0_u8; 512];
        let n = File::open(path)?.read(&mut head)?;
        let first = head[..n].iter().find(|b| !b.is_ascii_whitespace());
        Ok(if first == Some(&b'{') {
            Format::Ndjson
        } else {
            Format::Csv
        })
    }
}

/// What `doraboard import` loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub format: &'static str,
    /// Events in the file.
    pub events: usize,
    /// New events loaded, by kind.
    pub loaded: KindCounts,
    /// Events already imported or received before: nothing changed for them.
    pub duplicates: usize,
    /// Repositories derived.
    pub repositories: usize,
    /// Repositories of the file's events that no team owns: loaded, but in no team's figures.
    pub unowned: Vec<RepoSlug>,
}

/// Why an import loaded nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    // The io error is the source: the error chain prints it once.
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file has invalid lines; nothing was loaded.
    #[error("{path}: nothing was loaded, {}", describe(.errors, *.more))]
    Invalid {
        path: String,
        errors: Vec<EventError>,
        /// Errors beyond those listed.
        more: usize,
    },
    #[error("{path}: nothing was loaded: {source}")]
    Store {
        path: String,
        #[source]
        source: StoreError,
    },
    /// The file was loaded; what follows (deriving the repositories) failed and is resumed from
    /// the store's queue by the next process that opens it.
    #[error(
        "{path}: loaded, but deriving its figures failed (resumed at the next start): {source}"
    )]
    AfterLoad {
        path: String,
        #[source]
        source: StoreError,
    },
}

fn describe(errors: &[EventError], more: usize) -> String {
    let total = errors.len() + more;
    let mut text = format!(
        "{total} invalid event{}:",
        if total == 1 { "" } else { "s" }
    );
    for e in errors {
        text.push_str(&format!("\n  {e}"));
    }
    if more > 0 {
        text.push_str(&format!("\n  ... and {more} more"));
    }
    text
}

/// Loads a file of generic events, all or nothing, then derives the repositories it touched
/// (with any other derivation the store holds queued).
pub async fn import_file(
    store: &Store,
    config: &Config,
    path: &Path,
) -> Result<ImportReport, ImportError> {
    import_file_telling(store, config, path, |_| {}).await
}

/// [`import_file`], telling `derived` each repository as its derivation is committed (the
/// `import` command stores its row copies meanwhile, on another connection).
pub async fn import_file_telling(
    store: &Store,
    config: &Config,
    path: &Path,
    derived: impl FnMut(&RepoSlug),
) -> Result<ImportReport, ImportError> {
    let name = path.display().to_string();
    let read_error = |source| ImportError::Read {
        path: name.clone(),
        source,
    };
    let started = std::time::Instant::now();
    let format = Format::detect(path).map_err(read_error)?;
    let ctx = EventContext::new(config, Source::Import);

    // One pass: each line is parsed and validated once, on a thread of its own, and written in
    // batches inside one transaction while the next batch is read. After a bad line nothing
    // more is sent to be written, the rest is only validated (to list its errors too), and the
    // transaction is rolled back: nothing was loaded.
    let mut report = ImportReport {
        format: match format {
            Format::Ndjson => "NDJSON",
            Format::Csv => "CSV",
        },
        ..ImportReport::default()
    };
    let store_error = |source| ImportError::Store {
        path: name.clone(),
        source,
    };
    let mut tx = store.begin_bulk_ingest().await.map_err(store_error)?;
    // One batch waits while one is written: the reader stays a batch ahead, no more.
    let (batches, mut to_write) = mpsc::channel(1);
    let reading = {
        let (path, name, form) = (path.to_path_buf(), name.clone(), tx.batch_form());
        tokio::task::spawn_blocking(move || {
            read_batches(&path, format, &ctx, &name, form, &batches)
        })
    };
    let mut written = Ok(());
    // How long the writer waited for the reader, and wrote: which of the two paces the import.
    let (mut waiting, mut writing) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    loop {
        let asked = std::time::Instant::now();
        let Some(batch) = to_write.recv().await else {
            break;
        };
        let received = std::time::Instant::now();
        waiting += received - asked;
        written = write_batch(&mut tx, batch, &mut report).await;
        writing += received.elapsed();
        if written.is_err() {
            break;
        }
    }
    // A write failed: the reader stops at its next batch.
    drop(to_write);
    let read = match reading.await {
        Ok(read) => read,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    let read = match loaded(read, written.map_err(store_error), &name) {
        Ok(read) => read,
        Err(e) => {
            if let Err(error) = tx.rollback().await {
                tracing::warn!(%error, "rolling back the import");
            }
            return Err(e);
        }
    };
    report.events = read.events;
    report.unowned = read.unowned.into_iter().collect();
    tx.commit().await.map_err(store_error)?;
    let store_error = |source| ImportError::AfterLoad {
        path: name.clone(),
        source,
    };
    // Into the database before the derivation reads it back: on SQLite each page read otherwise
    // searches a write-ahead log as large as the import (a first load wrote none).
    store.checkpoint().await.map_err(store_error)?;
    tracing::info!(
        events = report.events,
        seconds = started.elapsed().as_secs_f64(),
        waiting_for_reading = waiting.as_secs_f64(),
        writing = writing.as_secs_f64(),
        "import: validated and written"
    );
    telemetry::add(Counter::EventsIngested, report.loaded.total() as u64);
    // `doraboard import` exits soon: its count reaches the store now.
    telemetry::flush_or_warn(store).await;
    store.analyze().await.map_err(store_error)?;
    // One derivation pass per repository, from the queue the import's transaction filled (and
    // whatever else was queued); a process killed now leaves the queue for the next one.
    let options = engine::query::analysis_options(config);
    store
        .queue_all_if_options_changed(&options)
        .await
        .map_err(store_error)?;
    report.repositories = store
        .derive_all_queued_telling(&options, derived)
        .await
        .map_err(store_error)?
        .repositories;
    store.checkpoint().await.map_err(store_error)?;
    tracing::info!(
        repositories = report.repositories,
        seconds = started.elapsed().as_secs_f64(),
        "import: derived"
    );
    Ok(report)
}

/// The file as read, if it was read and written whole without an error: otherwise nothing may be
/// loaded.
fn loaded(
    read: Result<FileRead, ImportError>,
    written: Result<(), ImportError>,
    name: &str,
) -> Result<FileRead, ImportError> {
    let read = read?;
    written?;
    if !read.errors.is_empty() {
        return Err(ImportError::Invalid {
            path: name.to_string(),
            errors: read.errors,
            more: read.more,
        });
    }
    if read.events == 0 {
        return Err(ImportError::Invalid {
            path: name.to_string(),
            errors: vec![EventError::general("the file holds no event")],
            more: 0,
        });
    }
    Ok(read)
}

/// A batch of an import read and validated, to be written: the logged events and their records.
struct Batch {
    events: Vec<LoggedEvent>,
    /// The events' writing work, prepared on the reading thread.
    prepared: Option<PreparedBatch>,
    /// Each event's kind, counted once if it is new (the records themselves go to the store).
    kinds: Vec<KindCounts>,
}

impl Batch {
    fn new() -> Self {
        Self {
            events: Vec::with_capacity(BATCH),
            prepared: None,
            kinds: Vec::with_capacity(BATCH),
        }
    }

    /// The batch with its writing work for `store` prepared, ready to be sent.
    fn prepared(mut self, form: BatchForm) -> Self {
        self.prepared = Some(PreparedBatch::of(&self.events, form));
        self
    }
}

/// What reading an import's file found besides its batches.
#[derive(Default)]
struct FileRead {
    events: usize,
    errors: Vec<EventError>,
    /// Errors beyond those listed.
    more: usize,
    unowned: BTreeSet<RepoSlug>,
}

/// Reads and validates the file, sending its events in batches of [`BATCH`] to be written until
/// a line is invalid (or the writer stops listening), and validating the rest.
fn read_batches(
    path: &Path,
    format: Format,
    ctx: &EventContext,
    name: &str,
    form: BatchForm,
    batches: &mpsc::Sender<Batch>,
) -> Result<FileRead, ImportError> {
    let mut read = FileRead::default();
    let mut batch = Batch::new();
    let mut writing = true;
    for item in items(path, format).map_err(|e| invalid_or_read(e, name))? {
        let item = item.map_err(|source| ImportError::Read {
            path: name.to_string(),
            source,
        })?;
        read.events += 1;
        match validate(&item, ctx) {
            Ok(record) => {
                read.unowned.extend(ctx.unowned([&record]));
                if read.errors.is_empty() {
                    batch.kinds.push(KindCounts::of(&record));
                    batch.events.push(logged(record, &item.raw, ctx));
                }
            }
            Err(e) if read.errors.len() < MAX_ERRORS => read.errors.push(e),
            Err(_) => read.more += 1,
        }
        if batch.events.len() >= BATCH && writing {
            let full = std::mem::replace(&mut batch, Batch::new());
            writing = batches.blocking_send(full.prepared(form)).is_ok();
        }
    }
    if read.errors.is_empty() && !batch.events.is_empty() && writing {
        // The writer may have stopped in the meantime: it says why.
        let _ = batches.blocking_send(batch.prepared(form));
    }
    Ok(read)
}

/// Writes the batch into the import's transaction and counts what was new.
async fn write_batch(
    tx: &mut IngestTransaction,
    batch: Batch,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let outcome = tx.write_prepared(batch.events, batch.prepared).await?;
    for (kind, new) in batch.kinds.into_iter().zip(outcome.new) {
        if new {
            report.loaded += kind;
        } else {
            report.duplicates += 1;
        }
    }
    Ok(())
}

fn validate(item: &RawItem, ctx: &EventContext) -> Result<EventRecord, EventError> {
    let value = item.value.as_ref().map_err(Clone::clone)?;
    parse_event(value, ctx).map_err(|e| e.at_line(item.line))
}

/// The file's events, one at a time.
fn items(
    path: &Path,
    format: Format,
) -> Result<Box<dyn Iterator<Item = std::io::Result<RawItem>>>, ItemsError> {
    let file = BufReader::with_capacity(1 << 16, File::open(path).map_err(ItemsError::Io)?);
    Ok(match format {
        Format::Ndjson => Box::new(LineReader::new(file)),
        Format::Csv => Box::new(CsvReader::new(skip_bom(file)).map_err(ItemsError::Header)?),
    })
}

/// A UTF-8 byte order mark (spreadsheets write one) is not part of the first header.
fn skip_bom<R: BufRead>(mut reader: R) -> R {
    if reader
        .fill_buf()
        .is_ok_and(|b| b.starts_with(b"\xEF\xBB\xBF"))
    {
        reader.consume(3);
    }
    reader
}

enum ItemsError {
    Io(std::io::Error),
    Header(EventError),
}

fn invalid_or_read(e: ItemsError, name: &str) -> ImportError {
    match e {
        ItemsError::Io(source) => ImportError::Read {
            path: name.to_string(),
            source,
        },
        ItemsError::Header(error) => ImportError::Invalid {
            path: name.to_string(),
            errors: vec![error],
            more: 0,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::Foreground;
    use std::sync::Arc;
    use tokio::time::{Duration, Instant, timeout};

    /// Far enough that reaching it means the wait did not end as it should.
    const NEVER: Duration = Duration::from_secs(3600);
    /// A bound on how long a wait that should end at once may take, so a bug fails, not hangs.
    const PATIENCE: Duration = Duration::from_secs(30);

    #[tokio::test]
    async fn a_reanalysis_goes_at_once_without_foreground_work() {
        let foreground = Foreground::default();
        timeout(PATIENCE, foreground.drained_or(Instant::now() + NEVER))
            .await
            .expect("nothing pending: no wait");
    }

    #[tokio::test]
    async fn a_reanalysis_waits_until_the_last_foreground_work_ends() {
        let foreground = Arc::new(Foreground::default());
        let delivery = foreground.start();
        let question = foreground.start();
        let waiting = tokio::spawn({
            let foreground = Arc::clone(&foreground);
            async move { foreground.drained_or(Instant::now() + NEVER).await }
        });
        tokio::task::yield_now().await;
        drop(delivery);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "a question is still being answered");
        drop(question);
        timeout(PATIENCE, waiting)
            .await
            .expect("the last piece of work ending ends the wait")
            .expect("the wait does not panic");
        assert_eq!(foreground.count(), 0);
    }

    #[tokio::test]
    async fn a_reanalysis_waits_no_longer_than_its_deadline() {
        let foreground = Arc::new(Foreground::default());
        let _delivery = foreground.start();
        let start = Instant::now();
        let deadline = start + Duration::from_millis(50);
        timeout(PATIENCE, foreground.drained_or(deadline))
            .await
            .expect("the deadline ends the wait");
        assert!(Instant::now() >= deadline, "it waited until the deadline");
        assert_eq!(foreground.count(), 1, "the delivery is still pending");
        timeout(PATIENCE, foreground.drained_or(start))
            .await
            .expect("a deadline passed: no wait");
    }
}
