//! The PyO3 bindings: a thin layer over the pure core, converting at the boundary.

mod build;
mod call;
mod convert;
mod dispatch;
mod encode;
mod errors;
mod event_loop;
mod execute;
mod export;
mod metrics;
mod repair;
mod retry;
mod road;
mod schema;
mod workers;

use pyo3::prelude::*;

/// Reading and repairing JSON allocates a string or a map per member; mimalloc makes those
/// allocations markedly cheaper than the system allocator. Python's own objects are unaffected.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_class::<road::PyArgumentRoad>()?;
    module.add_class::<call::PyToolCall>()?;
    module.add_class::<dispatch::PyEngine>()?;
    module.add_class::<dispatch::PendingCall>()?;
    module.add_class::<retry::PyRetry>()?;
    module.add_function(wrap_pyfunction!(workers::shutdown_workers, module)?)?;
    module.add_function(wrap_pyfunction!(call::read_tool_calls, module)?)?;
    module.add_class::<call::PyToolResult>()?;
    module.add_class::<road::PyParsedArgs>()?;
    module.add_class::<road::PyParsedValue>()?;
    module.add_class::<road::PyRepair>()?;
    module.add_class::<schema::PySchema>()?;
    module.add_class::<metrics::PyMetrics>()?;
    module.add_function(wrap_pyfunction!(repair::repair_json, module)?)?;
    module.add_function(wrap_pyfunction!(encode::to_json, module)?)?;
    module.add_function(wrap_pyfunction!(export::export_tool, module)?)?;
    module.add_function(wrap_pyfunction!(export::normalize_schema, module)?)?;
    module.add_function(wrap_pyfunction!(export::check_tool_name, module)?)?;
    module.add_function(wrap_pyfunction!(export::max_tools, module)?)?;
    Ok(())
}
