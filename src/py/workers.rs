//! The threads synchronous tools run on.
//!
//! A worker takes the GIL once and then runs every job already queued before letting it go: for
//! the short calls most tools are, that saves a GIL hand-over per call, while a call that blocks
//! on I/O releases the GIL itself, so the other workers proceed meanwhile. A call that outlives
//! its timeout keeps its thread (Python cannot stop a thread); the pool grows past it, and idle
//! workers retire after a while.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};
use pyo3::prelude::*;

pub type Job = Box<dyn FnOnce(Python<'_>) + Send>;

/// How long an idle worker waits for work before it retires.
const IDLE_RETIREMENT: Duration = Duration::from_secs(30);
/// How often an idle worker looks at the shutdown flag.
const SHUTDOWN_POLL: Duration = Duration::from_millis(250);

pub struct WorkerPool {
    sender: Sender<Job>,
    receiver: Receiver<Job>,
    workers: AtomicUsize,
    idle: AtomicUsize,
    max_workers: usize,
}

static SHUTTING_DOWN: AtomicBool = AtomicBool::new(false);

impl WorkerPool {
    fn new(max_workers: usize) -> Self {
        let (sender, receiver) = unbounded();
        WorkerPool {
            sender,
            receiver,
            workers: AtomicUsize::new(0),
            idle: AtomicUsize::new(0),
            max_workers: max_workers.max(1),
        }
    }

    /// The process-wide pool.
    pub fn shared() -> &'static Arc<WorkerPool> {
        static POOL: OnceLock<Arc<WorkerPool>> = OnceLock::new();
        POOL.get_or_init(|| Arc::new(WorkerPool::new(512)))
    }

    pub fn submit(self: &Arc<Self>, job: Job) {
        // Sent before the idle count is read: a worker that is about to retire checks the queue
        // after leaving the idle count, so the job is never stranded.
        if self.sender.send(job).is_err() {
            return;
        }
        if self.idle.load(Ordering::Acquire) == 0 && self.workers.load(Ordering::Acquire) < self.max_workers {
            self.spawn_worker();
        }
    }

    fn spawn_worker(self: &Arc<Self>) {
        self.workers.fetch_add(1, Ordering::AcqRel);
        let pool = Arc::clone(self);
        let spawned = thread::Builder::new()
            .name("toolproof-worker".to_owned())
            .spawn(move || pool.work());
        if spawned.is_err() {
            self.workers.fetch_sub(1, Ordering::AcqRel);
        }
    }

    fn work(&self) {
        // One thread state for the worker's life; the GIL is let go while waiting for work.
        Python::attach(|py| loop {
            let Some(job) = py.detach(|| self.next_job()) else {
                self.workers.fetch_sub(1, Ordering::AcqRel);
                return;
            };
            job(py);
            while let Ok(job) = self.receiver.try_recv() {
                job(py);
            }
        });
    }

    /// The next job, or `None` when this worker should retire.
    fn next_job(&self) -> Option<Job> {
        let mut waited = Duration::ZERO;
        self.idle.fetch_add(1, Ordering::AcqRel);
        loop {
            match self.receiver.recv_timeout(SHUTDOWN_POLL) {
                Ok(job) => {
                    self.idle.fetch_sub(1, Ordering::AcqRel);
                    return Some(job);
                }
                Err(RecvTimeoutError::Timeout) => {
                    waited += SHUTDOWN_POLL;
                    if SHUTTING_DOWN.load(Ordering::Acquire) || waited >= IDLE_RETIREMENT {
                        self.idle.fetch_sub(1, Ordering::AcqRel);
                        if !SHUTTING_DOWN.load(Ordering::Acquire) && !self.receiver.is_empty() {
                            self.idle.fetch_add(1, Ordering::AcqRel);
                            continue;
                        }
                        return None;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.idle.fetch_sub(1, Ordering::AcqRel);
                    return None;
                }
            }
        }
    }
}

/// Called at interpreter exit: idle workers leave before Python finalizes.
#[pyfunction]
pub fn shutdown_workers(py: Python<'_>) {
    SHUTTING_DOWN.store(true, Ordering::Release);
    let pool = WorkerPool::shared();
    py.detach(|| {
        let deadline = std::time::Instant::now() + Duration::from_secs(1);
        while pool.idle.load(Ordering::Acquire) > 0 && std::time::Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
    });
}
