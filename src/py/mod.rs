//! The PyO3 bindings: a thin layer over the pure core, converting at the boundary.

mod adapt;
mod admission;
mod allocator;
mod build;
mod call;
mod codes;
mod convert;
mod dispatch;
mod encode;
mod errors;
mod event_loop;
mod execute;
mod export;
mod lifecycle;
mod loop_future;
mod metrics;
mod parse_entry;
mod parsed_args;
mod repair;
mod retry;
mod road;
mod schema;
mod workers;

use pyo3::prelude::*;

#[global_allocator]
static ALLOCATOR: allocator::MiMalloc = allocator::MiMalloc;

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_class::<road::PyArgumentRoad>()?;
    parse_entry::install(&module.py().get_type::<road::PyArgumentRoad>())?;
    module.add_class::<call::PyToolCall>()?;
    module.add_class::<dispatch::PyEngine>()?;
    module.add_class::<dispatch::PendingCall>()?;
    module.add_class::<dispatch::Authorizing>()?;
    module.add_class::<retry::PyRetry>()?;
    module.add_function(wrap_pyfunction!(lifecycle::shutdown, module)?)?;
    module.add_class::<admission::PyCircuitBreaker>()?;
    module.add_class::<admission::PyGuards>()?;
    module.add_class::<admission::PyAdmissionRequest>()?;
    module.add_class::<admission::PyDecision>()?;
    module.add_class::<admission::PyOutcome>()?;
    module.add_class::<admission::PyLocalCoordinator>()?;
    module.add_function(wrap_pyfunction!(codes::result_codes, module)?)?;
    module.add_function(wrap_pyfunction!(codes::failure_kinds, module)?)?;
    module.add_function(wrap_pyfunction!(call::read_tool_calls, module)?)?;
    module.add_function(wrap_pyfunction!(repair::read_python_calls, module)?)?;
    module.add_class::<call::PyToolResult>()?;
    parsed_args::add_type(module)?;
    module.add_class::<road::PyParsedValue>()?;
    module.add_class::<road::PyRepair>()?;
    module.add_class::<schema::PySchema>()?;
    module.add_class::<metrics::PyMetrics>()?;
    module.add_function(wrap_pyfunction!(repair::repair_json, module)?)?;
    module.add_function(wrap_pyfunction!(encode::to_json, module)?)?;
    module.add_function(wrap_pyfunction!(encode::truncate_json_text, module)?)?;
    module.add_function(wrap_pyfunction!(export::export_tool, module)?)?;
    module.add_function(wrap_pyfunction!(export::normalize_schema, module)?)?;
    module.add_function(wrap_pyfunction!(export::check_tool_name, module)?)?;
    module.add_function(wrap_pyfunction!(export::max_tools, module)?)?;
    module.add_function(wrap_pyfunction!(adapt::cut_text, module)?)?;
    module.add_function(wrap_pyfunction!(adapt::argument_error, module)?)?;
    Ok(())
}
