//! The PyO3 bindings: a thin layer over the pure core, converting at the boundary.

mod build;
mod convert;
mod errors;
mod export;
mod repair;
mod road;
mod schema;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_class::<road::PyArgumentRoad>()?;
    module.add_class::<road::PyParsedArgs>()?;
    module.add_class::<road::PyParsedValue>()?;
    module.add_class::<road::PyRepair>()?;
    module.add_class::<schema::PySchema>()?;
    module.add_function(wrap_pyfunction!(repair::repair_json, module)?)?;
    module.add_function(wrap_pyfunction!(export::export_tool, module)?)?;
    module.add_function(wrap_pyfunction!(export::normalize_schema, module)?)?;
    module.add_function(wrap_pyfunction!(export::check_tool_name, module)?)?;
    module.add_function(wrap_pyfunction!(export::max_tools, module)?)?;
    Ok(())
}
