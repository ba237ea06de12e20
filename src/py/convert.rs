//! JSON values between Rust and Python, without a detour through a serializer.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

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
        Value::String(text) => PyString::new(py, text).into_any(),
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
    let mut path = JsonPath::root();
    read(object, &mut path, 0)
}

fn not_json(path: &JsonPath, message: String) -> NotJson {
    NotJson {
        path: path.clone(),
        message,
    }
}

fn read(object: &Bound<'_, PyAny>, path: &mut JsonPath, depth: usize) -> Result<Value, NotJson> {
    if let Ok(text) = object.cast::<PyString>() {
        return text
            .to_str()
            .map(|s| Value::String(s.to_owned()))
            .map_err(|_| not_json(path, "a string that is not valid UTF-8".to_owned()));
    }
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
            let value = read(&item, path, depth + 1)?;
            path.pop();
            map.insert(key, value);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(list) = object.cast::<PyList>() {
        return read_items(list.iter(), path, depth);
    }
    if let Ok(tuple) = object.cast::<PyTuple>() {
        return read_items(tuple.iter(), path, depth);
    }
    Err(not_json(path, format!("a value of type {}", type_name(object))))
}

fn read_items<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    path: &mut JsonPath,
    depth: usize,
) -> Result<Value, NotJson> {
    let mut values = Vec::new();
    for (index, item) in items.enumerate() {
        path.push_index(index);
        values.push(read(&item, path, depth + 1)?);
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
