//! The interpreter's lifetime, as the engine's own threads see it.
//!
//! Tokio workers and the sync workers attach to Python only through `attach_alive`. At interpreter
//! exit (an atexit hook, which runs before `Py_FinalizeEx` tears anything down) `shutdown` closes
//! the gate, so no engine thread attaches any more, and waits, with the GIL released, for those
//! still attached to leave. A thread that attached during finalization would be killed inside
//! CPython or touch freed state; one refused by the gate just drops its work (its references go to
//! PyO3's pending pool, which nothing drains once Python is gone).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use pyo3::ffi;
use pyo3::prelude::*;

static CLOSED: AtomicBool = AtomicBool::new(false);
/// Engine threads attached (or about to attach) right now.
static ATTACHED: AtomicUsize = AtomicUsize::new(0);

/// How long exit waits for engine threads to leave Python: a sync tool still running past it
/// keeps its thread, which then never attaches again.
const EXIT_WAIT: Duration = Duration::from_secs(2);

/// Whether the interpreter is shutting down (as far as the engine is concerned).
pub fn closing() -> bool {
    CLOSED.load(Ordering::SeqCst)
}

/// Run `work` attached to Python, unless the interpreter is exiting: `None` then, and `work` is
/// dropped unrun.
pub fn attach_alive<R>(work: impl FnOnce(Python<'_>) -> R) -> Option<R> {
    ATTACHED.fetch_add(1, Ordering::SeqCst);
    let result = if CLOSED.load(Ordering::SeqCst) {
        None
    } else {
        Python::try_attach(work)
    };
    ATTACHED.fetch_sub(1, Ordering::SeqCst);
    result
}

/// A Python thread state an engine thread keeps for its life, detached: each `attach_alive` on the
/// thread then resumes it instead of creating and destroying one, which is most of what a short
/// job would otherwise cost.
pub struct ThreadState {
    saved: *mut ffi::PyThreadState,
    gil_state: ffi::PyGILState_STATE,
}

impl ThreadState {
    /// `None` when the interpreter is exiting.
    pub fn keep() -> Option<Self> {
        ATTACHED.fetch_add(1, Ordering::SeqCst);
        let kept = if CLOSED.load(Ordering::SeqCst) {
            None
        } else {
            // SAFETY: this thread holds no thread state yet (it is a fresh engine thread); the
            // interpreter is initialized and not finalizing (the gate is open and counted).
            unsafe {
                let gil_state = ffi::PyGILState_Ensure();
                let saved = ffi::PyEval_SaveThread();
                Some(ThreadState { saved, gil_state })
            }
        };
        ATTACHED.fetch_sub(1, Ordering::SeqCst);
        kept
    }
}

impl Drop for ThreadState {
    fn drop(&mut self) {
        ATTACHED.fetch_add(1, Ordering::SeqCst);
        if !CLOSED.load(Ordering::SeqCst) {
            // SAFETY: the state saved in `keep`, on the thread that saved it (`ThreadState` is not
            // Send), restored once and released.
            unsafe {
                ffi::PyEval_RestoreThread(self.saved);
                ffi::PyGILState_Release(self.gil_state);
            }
        }
        // When the interpreter is exiting the state is left as it is: Python frees it.
        ATTACHED.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Called at interpreter exit (registered with atexit): closes the gate, then waits for engine
/// threads still attached, and for idle sync workers, to leave.
#[pyfunction]
pub fn shutdown(py: Python<'_>) {
    CLOSED.store(true, Ordering::SeqCst);
    py.detach(|| {
        let deadline = Instant::now() + EXIT_WAIT;
        while ATTACHED.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(2));
        }
    });
}
