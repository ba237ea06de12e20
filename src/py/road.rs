//! The argument road as Python sees it: `ArgumentRoad.parse(raw, mode=...) -> ParsedArgs`.

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyString};
use serde_json::Value;

use crate::args::conform::{ExtraKeys, Mode};
use crate::args::ending::Ending;
use crate::args::errors::{ArgError, ArgumentErrors};
use crate::args::fast_path::IndexedPlan;
use crate::args::record::Repair;
use crate::args::road::{ArgumentRoad, Parsed, RoadOptions, Root};
use crate::json_path::JsonPath;
use crate::limits::Limits;
use crate::py::build::{KeyCache, PyBuilder};
use crate::py::convert::{map_to_py, py_to_value, py_to_value_within, value_to_py};
use crate::py::errors::{argument_error, guarded, schema_error};
use crate::py::parsed_args::parsed_args;
use crate::schema::validator::CompileOptions;

/// `mode=` as a call passes it: Python interns the strings its code writes as literals, so the two
/// words are usually recognised by identity, before any text is read.
pub enum ModeArg {
    Known(Mode),
    /// Any other string, judged (and refused) by `parse_mode` in the call itself.
    Other(String),
}

impl ModeArg {
    pub fn mode(self) -> PyResult<Mode> {
        match self {
            ModeArg::Known(mode) => Ok(mode),
            ModeArg::Other(text) => parse_mode(&text),
        }
    }
}

/// Reads `mode=` for `#[pyo3(from_py_with)]`; anything but a string is refused as `&str` refuses it.
pub fn mode_arg(mode: &Bound<'_, PyAny>) -> PyResult<ModeArg> {
    let py = mode.py();
    if mode.is(intern!(py, "strict")) {
        return Ok(ModeArg::Known(Mode::Strict));
    }
    if mode.is(intern!(py, "lenient")) {
        return Ok(ModeArg::Known(Mode::Lenient));
    }
    let text: &str = mode.extract()?;
    Ok(match parse_mode(text) {
        Ok(mode) => ModeArg::Known(mode),
        Err(_) => ModeArg::Other(text.to_owned()),
    })
}

pub fn parse_mode(mode: &str) -> PyResult<Mode> {
    match mode {
        "lenient" => Ok(Mode::Lenient),
        "strict" => Ok(Mode::Strict),
        other => Err(PyValueError::new_err(format!(
            "mode must be 'lenient' or 'strict', not {other:?}"
        ))),
    }
}

/// One change made to a model's arguments.
#[pyclass(frozen, module = "toolproof", name = "Repair")]
pub struct PyRepair {
    #[pyo3(get)]
    path: String,
    #[pyo3(get)]
    kind: String,
    #[pyo3(get)]
    before: Py<PyAny>,
    #[pyo3(get)]
    after: Py<PyAny>,
}

impl PyRepair {
    pub fn from_repair(py: Python<'_>, repair: &Repair) -> PyResult<Self> {
        Ok(PyRepair {
            path: repair.path.to_string(),
            kind: repair.kind.as_str().to_owned(),
            before: value_to_py(py, &repair.before)?.unbind(),
            after: value_to_py(py, &repair.after)?.unbind(),
        })
    }
}

#[pymethods]
impl PyRepair {
    #[new]
    fn new(path: String, kind: String, before: Py<PyAny>, after: Py<PyAny>) -> Self {
        PyRepair {
            path,
            kind,
            before,
            after,
        }
    }

    /// `{"path", "kind", "before", "after"}`, for logs and JSON.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let record = PyDict::new(py);
        record.set_item("path", &self.path)?;
        record.set_item("kind", &self.kind)?;
        record.set_item("before", self.before.bind(py))?;
        record.set_item("after", self.after.bind(py))?;
        Ok(record)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Repair(path={:?}, kind={:?}, before={}, after={})",
            self.path,
            self.kind,
            self.before.bind(py).repr()?,
            self.after.bind(py).repr()?
        ))
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Ok(other) = other.cast::<PyRepair>() else {
            return Ok(false);
        };
        let other = other.get();
        Ok(self.path == other.path
            && self.kind == other.kind
            && self.before.bind(py).eq(other.before.bind(py))?
            && self.after.bind(py).eq(other.after.bind(py))?)
    }
}

/// A value of any schema that passed the road, and every change made on the way.
#[pyclass(frozen, module = "toolproof", name = "ParsedValue")]
pub struct PyParsedValue {
    #[pyo3(get)]
    value: Py<PyAny>,
    repairs: Vec<Py<PyRepair>>,
}

impl PyParsedValue {
    pub fn from_parsed(py: Python<'_>, parsed: &Parsed) -> PyResult<Self> {
        Ok(PyParsedValue {
            value: value_to_py(py, &parsed.value)?.unbind(),
            repairs: repair_objects(py, &parsed.repairs)?,
        })
    }
}

#[pymethods]
impl PyParsedValue {
    #[getter]
    fn repairs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.repairs.iter().map(|r| r.clone_ref(py)))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "ParsedValue(value={}, repairs={})",
            self.value.bind(py).repr()?,
            self.repairs(py)?.repr()?
        ))
    }
}

fn repair_objects(py: Python<'_>, repairs: &[Repair]) -> PyResult<Vec<Py<PyRepair>>> {
    repairs
        .iter()
        .map(|repair| Py::new(py, PyRepair::from_repair(py, repair)?))
        .collect()
}

/// A tool's argument road, compiled once from its parameter schema; safe to share across threads.
#[pyclass(frozen, module = "toolproof._core", name = "ArgumentRoad")]
#[repr(C)]
pub struct PyArgumentRoad {
    /// First, so that a call's first read of the road finds it.
    fast: Option<FastRoad>,
    road: Arc<ArgumentRoad>,
    name: Option<String>,
}

/// What the fast path reads on every call, kept in the Python object itself rather than behind
/// the road: a call touches one road among many, so each pointer followed is a likely cache miss.
/// In reading order: the addresses of the index and of the first keys, asked for together.
#[repr(C)]
struct FastRoad {
    plan: IndexedPlan,
    keys: KeyCache,
    limits: Limits,
}

impl PyArgumentRoad {
    pub fn road(&self) -> &Arc<ArgumentRoad> {
        &self.road
    }

    pub fn tool_name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The fast path for JSON text: a valid call becomes its dict in one pass (same in both modes,
    /// since a valid call is neither repaired nor coerced).
    pub fn fast(&self, py: Python<'_>, raw: &Bound<'_, PyAny>) -> Option<Py<PyDict>> {
        let fast = self.fast.as_ref()?;
        fast.keys.prefetch();
        // Exact types only: a pointer comparison each, where a subclass check is a call into the
        // interpreter under the stable ABI. A `str` subclass takes the full road.
        let text = raw.cast_exact::<PyString>().ok()?.to_str().ok()?;
        let value = guarded(|| Ok(fast.plan.run(text, &fast.limits, &mut PyBuilder::new(py, &fast.keys)))).ok()??;
        value.cast_into_exact::<PyDict>().ok().map(Bound::unbind)
    }

    pub fn run(&self, raw: &Bound<'_, PyAny>, mode: Mode) -> Result<Parsed, ArgumentErrors> {
        run_road(&self.road, raw, mode)
    }

    /// `parse` once its arguments are read, by the general method or by the common-form entry
    /// (see `parse_entry`).
    pub fn parse_read(
        &self,
        py: Python<'_>,
        raw: &Bound<'_, PyAny>,
        mode: ModeArg,
        finish_reason: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        let mode = mode.mode()?;
        let ending = finish_reason.map_or(Ending::Unknown, Ending::from_finish_reason);
        if let Some(arguments) = self.fast(py, raw) {
            return parsed_args(py, arguments, Vec::new());
        }
        guarded(|| match self.run_ending(raw, mode, ending) {
            Ok(parsed) => parsed_args(
                py,
                map_to_py(py, parsed.arguments())?.unbind(),
                repair_objects(py, &parsed.repairs)?,
            ),
            Err(errors) => Err(argument_error(py, &errors, self.name.as_deref())),
        })
    }

    /// `run` for a call from a turn that ended as `ending` says.
    pub fn run_ending(&self, raw: &Bound<'_, PyAny>, mode: Mode, ending: Ending) -> Result<Parsed, ArgumentErrors> {
        run_road_ending(&self.road, raw, mode, ending)
    }
}

/// Run a road on any input Python hands it: text, bytes, None, or an already parsed value.
pub fn run_road(road: &ArgumentRoad, raw: &Bound<'_, PyAny>, mode: Mode) -> Result<Parsed, ArgumentErrors> {
    run_road_ending(road, raw, mode, Ending::Unknown)
}

/// `run_road` for a call from a turn that ended as `ending` says (only text can be cut short).
pub fn run_road_ending(
    road: &ArgumentRoad,
    raw: &Bound<'_, PyAny>,
    mode: Mode,
    ending: Ending,
) -> Result<Parsed, ArgumentErrors> {
    if let Ok(text) = raw.cast::<PyString>() {
        return match text.to_str() {
            Ok(text) => detached_for_long(raw.py(), text.len(), || road.parse_text_ending(text, mode, ending)),
            Err(_) => Err(invalid_input("a string that is not valid UTF-8")),
        };
    }
    if raw.is_none() {
        return road.parse_value(Value::Null, mode);
    }
    if let Ok(bytes) = raw.cast::<PyBytes>() {
        let bytes = bytes.as_bytes();
        return detached_for_long(raw.py(), bytes.len(), || road.parse_bytes_ending(bytes, mode, ending));
    }
    if let Ok(bytes) = raw.cast::<PyByteArray>() {
        return road.parse_bytes_ending(&bytes.to_vec(), mode, ending);
    }
    match py_to_value_within(raw, road.options().limits.max_bytes) {
        Ok(value) => road.parse_value(value, mode),
        Err(too_large) if too_large.too_large => {
            Err(
                ArgumentErrors::single(ArgError::new(too_large.path, "too_large", too_large.message))
                    .with_expected(road.signature().map(str::to_owned)),
            )
        }
        Err(not_json) => Err(ArgumentErrors::single(ArgError::new(
            not_json.path,
            "not_json",
            format!("{} cannot be sent as JSON", not_json.message),
        ))
        .with_expected(road.signature().map(str::to_owned))),
    }
}

/// Texts at least this long are read with the GIL released, so other threads run meanwhile;
/// shorter ones take less time than releasing and taking it back.
pub const DETACH_FROM_BYTES: usize = 64 * 1024;

/// Run `work` on a text of `length` bytes, without the GIL when the text is long.
pub fn detached_for_long<T: Send>(py: Python<'_>, length: usize, work: impl FnOnce() -> T + Send) -> T {
    if length >= DETACH_FROM_BYTES {
        py.detach(work)
    } else {
        work()
    }
}

fn invalid_input(message: &str) -> ArgumentErrors {
    ArgumentErrors::single(ArgError::new(JsonPath::root(), "invalid_json", message))
}

#[pymethods]
impl PyArgumentRoad {
    #[new]
    #[pyo3(signature = (schema, *, name = None, aliases = None, extra_keys = "drop", max_bytes = None, max_depth = None, max_string_length = None, allow_meaning_changes = false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        schema: &Bound<'_, PyAny>,
        name: Option<String>,
        aliases: Option<Vec<(String, String)>>,
        extra_keys: &str,
        max_bytes: Option<usize>,
        max_depth: Option<usize>,
        max_string_length: Option<usize>,
        allow_meaning_changes: bool,
    ) -> PyResult<Self> {
        guarded(|| {
            let schema = py_to_value(schema).map_err(|e| e.into_value_error("the schema is not JSON"))?;
            let extra_keys = match extra_keys {
                "drop" => ExtraKeys::Drop,
                "error" => ExtraKeys::Error,
                other => {
                    return Err(PyValueError::new_err(format!(
                        "extra_keys must be 'drop' or 'error', not {other:?}"
                    )))
                }
            };
            let defaults = Limits::default();
            let options = RoadOptions {
                root: Root::Arguments,
                allow_meaning_changes,
                compile: CompileOptions::default(),
                extra_keys,
                limits: Limits {
                    max_bytes: max_bytes.unwrap_or(defaults.max_bytes),
                    max_depth: max_depth.unwrap_or(defaults.max_depth),
                    max_string_length: max_string_length.unwrap_or(defaults.max_string_length),
                },
                aliases: aliases.unwrap_or_default(),
                tool_name: name.clone(),
            };
            let road = ArgumentRoad::compile(&schema, options).map_err(|e| schema_error(py, &e))?;
            let fast = road.fast_plan().map(|plan| FastRoad {
                plan: IndexedPlan::new(plan),
                keys: KeyCache::new(py, plan),
                limits: road.options().limits,
            });
            Ok(PyArgumentRoad {
                fast,
                road: Arc::new(road),
                name,
            })
        })
    }

    /// Run the road: `raw` is JSON text, bytes, a dict, or None. `finish_reason` is the
    /// provider's word for how the turn ended (`"tool_calls"`, `"end_turn"`, `"length"` ...).
    #[pyo3(
        signature = (raw, *, mode = ModeArg::Known(Mode::Lenient), finish_reason = None),
        text_signature = "($self, raw, *, mode=\"lenient\", finish_reason=None)"
    )]
    fn parse(
        &self,
        py: Python<'_>,
        raw: &Bound<'_, PyAny>,
        #[pyo3(from_py_with = mode_arg)] mode: ModeArg,
        finish_reason: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        self.parse_read(py, raw, mode, finish_reason)
    }

    /// `{"city": string, "days"?: integer}`: the expected arguments in one line.
    #[getter]
    fn signature(&self) -> Option<&str> {
        self.road.signature()
    }

    #[getter]
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    #[getter]
    fn schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        value_to_py(py, self.road.schema())
    }

    fn __repr__(&self) -> String {
        format!(
            "ArgumentRoad(name={:?}, signature={:?})",
            self.name,
            self.road.signature().unwrap_or("")
        )
    }
}
