//! The threads synchronous tools run on.
//!
//! A worker takes the GIL once and then runs every job already queued before letting it go: for
//! the short calls most tools are, that saves a GIL hand-over per call, while a call that blocks
//! on I/O releases the GIL itself, so the other workers proceed meanwhile. A call that outlives
//! its timeout keeps its thread (Python cannot stop a thread); the pool grows past it, and idle
//! workers retire after a while.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};
use pyo3::prelude::*;

use crate::py::lifecycle::{attach_alive, closing, ThreadState};

pub type Job = Box<dyn FnOnce(Python<'_>) + Send>;

/// How long an idle worker waits for work before it retires.
const IDLE_RETIREMENT: Duration = Duration::from_secs(30);
/// How often an idle worker looks whether the interpreter is exiting.
const SHUTDOWN_POLL: Duration = Duration::from_millis(250);

pub struct WorkerPool {
    sender: Sender<Job>,
    receiver: Receiver<Job>,
    workers: AtomicUsize,
    /// Workers free to take a job: waiting for one, or about to look for the next.
    idle: AtomicUsize,
    /// Threads spawned that have not yet started looking for work.
    starting: AtomicUsize,
    /// Jobs submitted and not yet taken by a worker.
    pending: AtomicUsize,
    max_workers: usize,
}

impl WorkerPool {
    fn new(max_workers: usize) -> Self {
        let (sender, receiver) = unbounded();
        WorkerPool {
            sender,
            receiver,
            workers: AtomicUsize::new(0),
            idle: AtomicUsize::new(0),
            starting: AtomicUsize::new(0),
            pending: AtomicUsize::new(0),
            max_workers: max_workers.max(1),
        }
    }

    /// The process-wide pool.
    pub fn shared() -> &'static Arc<WorkerPool> {
        static POOL: OnceLock<Arc<WorkerPool>> = OnceLock::new();
        POOL.get_or_init(|| Arc::new(WorkerPool::new(512)))
    }

    pub fn submit(self: &Arc<Self>, job: Job) {
        let pending = self.pending.fetch_add(1, Ordering::AcqRel) + 1;
        if self.sender.send(job).is_err() {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        // One more thread when the queued jobs outnumber the workers that will take them: a burst
        // of calls then runs in parallel, and a steady trickle reuses the same few threads.
        let available = self.idle.load(Ordering::Acquire) + self.starting.load(Ordering::Acquire);
        if pending > available && self.workers.load(Ordering::Acquire) < self.max_workers {
            self.spawn_worker();
        }
    }

    fn spawn_worker(self: &Arc<Self>) {
        self.workers.fetch_add(1, Ordering::AcqRel);
        self.starting.fetch_add(1, Ordering::AcqRel);
        let pool = Arc::clone(self);
        let spawned = thread::Builder::new()
            .name("toolproof-worker".to_owned())
            .spawn(move || pool.work());
        if spawned.is_err() {
            self.workers.fetch_sub(1, Ordering::AcqRel);
            self.starting.fetch_sub(1, Ordering::AcqRel);
        }
    }

    fn take(&self, job: Job) -> Job {
        self.pending.fetch_sub(1, Ordering::AcqRel);
        self.idle.fetch_sub(1, Ordering::AcqRel);
        job
    }

    fn work(&self) {
        self.idle.fetch_add(1, Ordering::AcqRel);
        self.starting.fetch_sub(1, Ordering::AcqRel);
        // Detached while waiting; attached (through the lifecycle gate) to run every job already
        // queued, so a burst of short calls pays for one GIL hand-over, not one each.
        let _state = ThreadState::keep();
        while let Some(job) = self.wait_for_job() {
            let mut next = Some(self.take(job));
            let ran = attach_alive(|py| {
                while let Some(job) = next.take() {
                    job(py);
                    // Counted idle from the moment a job ends, so a submit made meanwhile finds it.
                    self.idle.fetch_add(1, Ordering::AcqRel);
                    next = self.receiver.try_recv().ok().map(|job| self.take(job));
                }
            });
            if ran.is_none() {
                // The interpreter is exiting: the job is dropped unrun, and its caller is told
                // the worker stopped.
                drop(next);
                self.idle.fetch_add(1, Ordering::AcqRel);
            }
        }
        self.idle.fetch_sub(1, Ordering::AcqRel);
        self.workers.fetch_sub(1, Ordering::AcqRel);
    }

    /// The next job, or `None` when this worker should retire (it stays counted idle meanwhile).
    fn wait_for_job(&self) -> Option<Job> {
        let mut waited = Duration::ZERO;
        loop {
            match self.receiver.recv_timeout(SHUTDOWN_POLL) {
                Ok(job) => return Some(job),
                Err(RecvTimeoutError::Timeout) => {
                    waited += SHUTDOWN_POLL;
                    if closing() || (waited >= IDLE_RETIREMENT && self.receiver.is_empty()) {
                        return None;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }
}
