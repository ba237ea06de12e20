//! The standard-library types the walker recognizes, imported once per interpreter.
//!
//! numpy and pandas are not among them: their objects are recognized by their type's module name,
//! so toolproof never imports either.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use super::temporal::TemporalReader;

pub struct KnownTypes {
    pub date: Py<PyType>,
    pub time: Py<PyType>,
    pub datetime: Py<PyType>,
    pub timedelta: Py<PyType>,
    pub timezone: Py<PyType>,
    pub decimal: Py<PyType>,
    pub uuid: Py<PyType>,
    pub enumeration: Py<PyType>,
    pub pure_path: Py<PyType>,
    /// `dataclasses.fields`.
    pub dataclass_fields: Py<PyAny>,
    pub temporal: TemporalReader,
}

static KNOWN_TYPES: PyOnceLock<KnownTypes> = PyOnceLock::new();

pub fn known_types(py: Python<'_>) -> PyResult<&'static KnownTypes> {
    KNOWN_TYPES.get_or_try_init(py, || {
        let class = |module: &str, name: &str| -> PyResult<Py<PyType>> {
            Ok(py.import(module)?.getattr(name)?.cast_into::<PyType>()?.unbind())
        };
        let date = class("datetime", "date")?;
        let time = class("datetime", "time")?;
        let datetime = class("datetime", "datetime")?;
        let timezone = class("datetime", "timezone")?;
        let utc = timezone.bind(py).getattr("utc")?;
        let temporal = TemporalReader::new(date.bind(py), time.bind(py), datetime.bind(py), &utc);
        Ok(KnownTypes {
            date,
            time,
            datetime,
            timedelta: class("datetime", "timedelta")?,
            timezone,
            decimal: class("decimal", "Decimal")?,
            uuid: class("uuid", "UUID")?,
            enumeration: class("enum", "Enum")?,
            pure_path: class("pathlib", "PurePath")?,
            dataclass_fields: py.import("dataclasses")?.getattr("fields")?.unbind(),
            temporal,
        })
    })
}
