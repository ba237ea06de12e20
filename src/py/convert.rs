//! JSON values between Rust and Python, without a detour through a serializer.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

use crate::args::wide_integer;
use crate::json_path::JsonPath;
use crate::limits::HARD_MAX_DEPTH;
use crate::py::build::RecentKeys;

pub fn value_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, value, &mut RecentKeys::default())
}

pub fn map_to_py<'py>(py: Python<'py>, map: &Map<String, Value>) -> PyResult<Bound<'py, PyDict>> {
    object_to_py(py, map, &mut RecentKeys::default())
}

fn to_py<'py>(py: Python<'py>, value: &Value, keys: &mut RecentKeys<'py>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(flag) => PyBool::new(py, *flag).to_owned().into_any(),
        Value::Number(number) => number_to_py(py, number)?,
        Value::String(text) => match wide_integer::carried(text) {
            Some(digits) => py.get_type::<PyInt>().call1((digits,))?,
            None => PyString::new(py, text).into_any(),
        },
        Value::Array(items) => {
            let items = items
                .iter()
                .map(|item| to_py(py, item, keys))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Object(map) => object_to_py(py, map, keys)?.into_any(),
    })
}

fn object_to_py<'py>(
    py: Python<'py>,
    map: &Map<String, Value>,
    keys: &mut RecentKeys<'py>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, item) in map {
        dict.set_item(keys.key(py, key), to_py(py, item, keys)?)?;
    }
    Ok(dict)
}

fn number_to_py<'py>(py: Python<'py>, number: &Number) -> PyResult<Bound<'py, PyAny>> {
    if let Some(integer) = number.as_i64() {
        Ok(integer.into_pyobject(py)?.into_any())
    } else if let Some(integer) = number.as_u64() {
        Ok(integer.into_pyobject(py)?.into_any())
    } else {
        Ok(PyFloat::new(py, number.as_f64().unwrap_or(f64::NAN)).into_any())
    }
}

/// A Python value that is not JSON, and where it sits.
#[derive(Debug)]
pub struct NotJson {
    pub path: JsonPath,
    pub message: String,
    /// The value is JSON, but larger than the budget it was read with.
    pub too_large: bool,
}

impl NotJson {
    pub fn into_value_error(self, what: &str) -> PyErr {
        if self.path.is_root() {
            PyValueError::new_err(format!("{what}: {}", self.message))
        } else {
            PyValueError::new_err(format!("{what}: {} at {}", self.message, self.path))
        }
    }
}

/// Read a Python value made of dicts, lists, tuples, strings, numbers, booleans and None.
pub fn py_to_value(object: &Bound<'_, PyAny>) -> Result<Value, NotJson> {
    py_to_value_within(object, usize::MAX)
}

/// `py_to_value`, refusing a value whose JSON text would be longer than about `max_bytes`: a
/// dict from a framework costs what the same arguments sent as text cost, and no more.
pub fn py_to_value_within(object: &Bound<'_, PyAny>, max_bytes: usize) -> Result<Value, NotJson> {
    let mut path = JsonPath::root();
    let mut budget = Budget {
        left: max_bytes,
        limit: max_bytes,
    };
    read(object, &mut path, 0, &mut budget)
}

/// What is left of the size a value may have, counted as its compact JSON text would be
/// (strings and keys by their UTF-8 length plus quotes, at least one byte per other value).
struct Budget {
    left: usize,
    limit: usize,
}

impl Budget {
    fn spend(&mut self, bytes: usize, path: &JsonPath) -> Result<(), NotJson> {
        match self.left.checked_sub(bytes) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(NotJson {
                path: path.clone(),
                message: format!("arguments larger than the limit of {} bytes as JSON", self.limit),
                too_large: true,
            }),
        }
    }
}

fn not_json(path: &JsonPath, message: String) -> NotJson {
    NotJson {
        path: path.clone(),
        message,
        too_large: false,
    }
}

fn read(object: &Bound<'_, PyAny>, path: &mut JsonPath, depth: usize, budget: &mut Budget) -> Result<Value, NotJson> {
    if let Ok(text) = object.cast::<PyString>() {
        let text = text
            .to_str()
            .map_err(|_| not_json(path, "a string that is not valid UTF-8".to_owned()))?;
        budget.spend(text.len() + 2, path)?;
        return Ok(Value::String(text.to_owned()));
    }
    // A separator and a scalar's shortest text; containers pay their brackets.
    budget.spend(2, path)?;
    if object.is_none() {
        return Ok(Value::Null);
    }
    // bool before int: a Python bool is an int.
    if let Ok(flag) = object.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if object.cast::<PyInt>().is_ok() {
        if let Ok(integer) = object.extract::<i64>() {
            return Ok(Value::Number(integer.into()));
        }
        if let Ok(integer) = object.extract::<u64>() {
            return Ok(Value::Number(integer.into()));
        }
        return Err(not_json(path, "an integer beyond 64 bits".to_owned()));
    }
    if let Ok(float) = object.cast::<PyFloat>() {
        let value = float.value();
        return Number::from_f64(value)
            .map(Value::Number)
            .ok_or_else(|| not_json(path, format!("{value}, which JSON cannot carry")));
    }
    if depth >= HARD_MAX_DEPTH {
        return Err(not_json(
            path,
            format!("nested more than {HARD_MAX_DEPTH} levels deep (or a cycle)"),
        ));
    }
    if let Ok(dict) = object.cast::<PyDict>() {
        let mut map = Map::with_capacity(dict.len());
        for (key, item) in dict.iter() {
            let key = key
                .cast::<PyString>()
                .map_err(|_| not_json(path, format!("a key that is not a string ({})", type_name(&key))))?
                .to_str()
                .map_err(|_| not_json(path, "a key that is not valid UTF-8".to_owned()))?
                .to_owned();
            path.push_key(&key);
            budget.spend(key.len() + 3, path)?;
            let value = read(&item, path, depth + 1, budget)?;
            path.pop();
            map.insert(key, value);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(list) = object.cast::<PyList>() {
        return read_items(list.iter(), path, depth, budget);
    }
    if let Ok(tuple) = object.cast::<PyTuple>() {
        return read_items(tuple.iter(), path, depth, budget);
    }
    Err(not_json(path, format!("a value of type {}", type_name(object))))
}

fn read_items<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    path: &mut JsonPath,
    depth: usize,
    budget: &mut Budget,
) -> Result<Value, NotJson> {
    let mut values = Vec::new();
    for (index, item) in items.enumerate() {
        path.push_index(index);
        values.push(read(&item, path, depth + 1, budget)?);
        path.pop();
    }
    Ok(Value::Array(values))
}

pub fn type_name(object: &Bound<'_, PyAny>) -> String {
    object
        .get_type()
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}
