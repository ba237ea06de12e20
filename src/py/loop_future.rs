//! An asyncio future that a tokio task settles: what `adispatch` hands its caller to await.
//!
//! The task touches Python only through the lifecycle gate, and only to hand the result to the
//! loop's thread (`call_soon_threadsafe`); cancelling the future aborts the task, which drops the
//! batch and so cancels what it still runs.

use std::future::Future;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tokio::task::AbortHandle;

use crate::py::lifecycle::attach_alive;

/// Run `work` on the engine's runtime; `then` turns its output into the future's result (or
/// exception) on the tokio thread, attached.
pub fn spawn_for_loop<'py, T, W, F>(
    py: Python<'py>,
    event_loop: &Bound<'py, PyAny>,
    work: W,
    then: F,
) -> PyResult<Bound<'py, PyAny>>
where
    T: Send + 'static,
    W: Future<Output = T> + Send + 'static,
    F: FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
{
    static SETTLE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let settle = SETTLE.import(py, "toolproof._loop", "settle")?.clone().unbind();
    let future = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
    let target = (event_loop.clone().unbind(), future.clone().unbind());
    let task = pyo3_async_runtimes::tokio::get_runtime().spawn(async move {
        let output = work.await;
        attach_alive(move |py| {
            let (event_loop, future) = target;
            let (value, failed) = match then(py, output) {
                Ok(value) => (value, false),
                Err(error) => (error.into_value(py).into_any(), true),
            };
            // Fails only when the loop is closed: nobody is left to await the result.
            let _ = event_loop.bind(py).call_method1(
                pyo3::intern!(py, "call_soon_threadsafe"),
                (settle, future, value, failed),
            );
        });
    });
    let abort = AbortOnCancel {
        task: Mutex::new(Some(task.abort_handle())),
    };
    future.call_method1(pyo3::intern!(py, "add_done_callback"), (Py::new(py, abort)?,))?;
    Ok(future)
}

/// The future's done callback: a cancelled future aborts its task.
#[pyclass(frozen)]
struct AbortOnCancel {
    task: Mutex<Option<AbortHandle>>,
}

#[pymethods]
impl AbortOnCancel {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            if future
                .call_method0(pyo3::intern!(future.py(), "cancelled"))?
                .is_truthy()?
            {
                task.abort();
            }
        }
        Ok(())
    }
}
