//! A tool's result as JSON text: `toolproof.to_json`, and the encoding dispatch applies to every
//! result. The walk over Python objects is in `encode/walker.rs`; the writing, ISO 8601 text and
//! the size cap are pure Rust in `crate::encode`.

mod known_types;
mod temporal;
mod walker;

use std::cell::Cell;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyType};

use crate::encode::path::ROOT;
use crate::encode::truncate::{truncate_json, truncate_unfinished_json, Unfinished, MIN_BUDGET};
use crate::encode::writer::JsonWriter;
use crate::py::errors::guarded;

pub use crate::encode::truncate::Truncation;

/// What to do with `bytes` and `bytearray` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BytesMode {
    /// Refuse them: a tool returning raw bytes to a model is usually a mistake.
    #[default]
    Refuse,
    /// Standard base64, padded.
    Base64,
    /// Decoded as UTF-8 text; bytes that are not valid UTF-8 are refused.
    Utf8,
}

#[derive(Debug, Default)]
pub struct EncodeOptions {
    /// Cut the text to at most this many bytes (at least `MIN_BUDGET`), keeping valid JSON.
    pub max_bytes: Option<usize>,
    /// Called with each value no rule covers; what it returns is encoded instead.
    pub default: Option<Py<PyAny>>,
    pub bytes: BytesMode,
}

#[derive(Debug)]
pub struct Encoded {
    pub text: String,
    /// Set when `max_bytes` cut the text.
    pub truncation: Option<Truncation>,
}

/// A value that cannot be encoded: where it is, what it is, and the message saying both.
#[derive(Debug)]
pub struct EncodeFailure {
    /// `result["items"][3]["created_at"]`.
    pub path: String,
    /// `myapp.Widget`, `datetime.timezone`.
    pub type_name: String,
    /// `result["items"][3]: cannot encode a myapp.Widget (pass default= to convert it)`.
    pub message: String,
    /// The exception behind the failure, when Python code raised one (`default`, `model_dump`).
    pub cause: Option<PyErr>,
}

thread_local! {
    /// A buffer kept between encodings on a thread: writing a megabyte into fresh memory costs more
    /// in page faults than encoding it. It is taken out while in use, so a `default` that encodes
    /// again simply gets a new one.
    static SPARE_BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Larger buffers are freed after use rather than kept for the thread's lifetime.
const MAX_SPARE_CAPACITY: usize = 4 << 20;

/// A text handed out keeps the buffer it was written in unless that wastes more than this.
const MAX_SLACK: usize = 64 << 10;

/// Encode `obj` as compact JSON text (see `to_json` for every rule).
// The failure is large, but built at most once per call, and this is the signature dispatch uses.
#[allow(clippy::result_large_err)]
pub fn encode(py: Python<'_>, obj: &Bound<'_, PyAny>, options: &EncodeOptions) -> Result<Encoded, EncodeFailure> {
    let encoded = encode_in_spare_buffer(py, obj, options)?;
    let text = &encoded.text;
    if text.capacity() - text.len() > MAX_SLACK.max(text.len()) {
        // A short text in a buffer a long one grew: the caller keeps a copy, this thread the buffer.
        let exact = text.as_str().to_owned();
        recycle(encoded.text);
        return Ok(Encoded {
            text: exact,
            truncation: encoded.truncation,
        });
    }
    Ok(encoded)
}

/// `encode`, writing into this thread's spare buffer and handing it over with the text; give it
/// back with `recycle` once the text has been used.
#[allow(clippy::result_large_err)]
fn encode_in_spare_buffer(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    options: &EncodeOptions,
) -> Result<Encoded, EncodeFailure> {
    let (writer, outcome) = write_json(py, obj, options, SPARE_BUFFER.take());
    let writer = match outcome {
        Ok(Written::Whole) => writer,
        Ok(Written::Stopped(unfinished)) => {
            let closed = writer.into_string();
            let max_bytes = options.max_bytes.expect("the walk stops only at a cap");
            let cut = py.detach(|| truncate_unfinished_json(&closed, &unfinished, max_bytes));
            recycle(closed);
            let truncation = Truncation {
                original_bytes: None,
                kept_bytes: cut.len(),
            };
            return Ok(Encoded {
                text: cut,
                truncation: Some(truncation),
            });
        }
        Err(failure) => {
            keep_spare(writer.into_buffer());
            return Err(failure);
        }
    };
    let text = writer.into_string();
    Ok(match cut_to_budget(py, &text, options.max_bytes) {
        Some((cut, truncation)) => {
            recycle(text);
            Encoded {
                text: cut,
                truncation: Some(truncation),
            }
        }
        None => Encoded { text, truncation: None },
    })
}

/// Give a text's memory back for the next encoding on this thread (`to_json` does once the text
/// is a Python `str`).
pub fn recycle(text: String) {
    keep_spare(text.into_bytes());
}

/// Keep the larger of `buffer` and the current spare, within `MAX_SPARE_CAPACITY`.
fn keep_spare(buffer: Vec<u8>) {
    if buffer.capacity() > MAX_SPARE_CAPACITY {
        return;
    }
    let spare = SPARE_BUFFER.take();
    SPARE_BUFFER.set(if buffer.capacity() >= spare.capacity() {
        buffer
    } else {
        spare
    });
}

/// How much of a value the walk wrote.
enum Written {
    Whole,
    /// The text reached the cap and the walk stopped; the writer holds the closed prefix.
    Stopped(Unfinished),
}

/// Walk `obj` into `buffer`; the writer comes back whatever happened, so its memory can be reused.
fn write_json(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    options: &EncodeOptions,
    buffer: Vec<u8>,
) -> (JsonWriter, Result<Written, EncodeFailure>) {
    let writer = JsonWriter::reusing(buffer);
    let root_failure = |message: String, cause: Option<PyErr>| EncodeFailure {
        path: ROOT.to_owned(),
        type_name: String::new(),
        message: format!("{ROOT}: {message}"),
        cause,
    };
    if let Some(max_bytes) = options.max_bytes {
        if max_bytes < MIN_BUDGET {
            let message = format!("max_bytes must be at least {MIN_BUDGET}, got {max_bytes}");
            return (writer, Err(root_failure(message, None)));
        }
    }
    let known = match known_types::known_types(py) {
        Ok(known) => known,
        Err(error) => {
            let message = "the standard library types could not be loaded".to_owned();
            return (writer, Err(root_failure(message, Some(error))));
        }
    };
    let mut walker = walker::Walker::new(py, known, options, writer);
    match walker.value(obj, 0) {
        Ok(()) => (walker.into_writer(), Ok(Written::Whole)),
        Err(failure) if failure.reached_cap() => {
            let (writer, unfinished) = walker.into_unfinished();
            (writer, Ok(Written::Stopped(unfinished)))
        }
        Err(failure) => (walker.into_writer(), Err(failure.into_encode_failure())),
    }
}

/// `text` cut to `max_bytes` when it is longer, and what the cut did; the GIL is released meanwhile.
fn cut_to_budget(py: Python<'_>, text: &str, max_bytes: Option<usize>) -> Option<(String, Truncation)> {
    let max_bytes = max_bytes.filter(|&max_bytes| text.len() > max_bytes)?;
    let cut = py.detach(|| truncate_json(text, max_bytes))?;
    let truncation = Truncation {
        original_bytes: Some(text.len()),
        kept_bytes: cut.len(),
    };
    Some((cut, truncation))
}

/// ``text`` (compact JSON, as ``to_json`` writes it) cut to at most ``max_bytes`` bytes by the
/// rules of ``to_json(..., max_bytes=)``; the text itself when it fits.
#[pyfunction]
pub fn truncate_json_text(py: Python<'_>, text: &str, max_bytes: usize) -> PyResult<String> {
    if max_bytes < MIN_BUDGET {
        return Err(PyValueError::new_err(format!(
            "max_bytes must be at least {MIN_BUDGET}, got {max_bytes}"
        )));
    }
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() || !is_compact(text) {
        return Err(PyValueError::new_err("text must be compact JSON, as to_json writes it"));
    }
    Ok(py
        .detach(|| truncate_json(text, max_bytes))
        .unwrap_or_else(|| text.to_owned()))
}

/// Whether `text` has no whitespace between its tokens.
fn is_compact(text: &str) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    for byte in text.bytes() {
        match (in_string, byte) {
            (true, _) if escaped => escaped = false,
            (true, b'\\') => escaped = true,
            (true, b'"') | (false, b'"') => in_string = !in_string,
            (false, b' ' | b'\t' | b'\n' | b'\r') => return false,
            _ => {}
        }
    }
    true
}

static SERIALIZATION_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `toolproof.SerializationError` for `failure`, with its cause chained.
pub fn serialization_error(py: Python<'_>, failure: &EncodeFailure) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = SERIALIZATION_ERROR.import(py, "toolproof.errors", "SerializationError")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("path", &failure.path)?;
        kwargs.set_item("type_name", &failure.type_name)?;
        let error = PyErr::from_value(class.call((&failure.message,), Some(&kwargs))?);
        if let Some(cause) = &failure.cause {
            error.set_cause(py, Some(cause.clone_ref(py)));
        }
        Ok(error)
    };
    build().unwrap_or_else(|failure| failure)
}

/// ``obj`` as compact JSON text (UTF-8 as is, no ``\u`` escapes beyond control characters).
///
/// - ``dict``, ``list``, ``tuple``, ``str``, ``int``, ``float``, ``bool``, ``None``: as JSON has them;
///   integers of any size are written exactly; ``float`` NaN and ±Infinity become ``null``.
/// - ``datetime``, ``date``, ``time``: ISO 8601 as ``isoformat()`` writes it; aware values keep their
///   offset (``2024-05-06T07:08:09+02:00``). pandas ``Timestamp``: its own ``isoformat()``.
/// - ``timedelta``: an ISO 8601 duration as pydantic's JSON mode writes it (``P1DT2H``, ``-PT30M``,
///   ``PT0.5S``, a year being 365 days).
/// - ``Decimal``: a JSON number with exactly its digits (``str(d)``); NaN and ±Infinity become ``null``.
/// - ``UUID``, ``pathlib`` paths: their ``str()``. ``Enum`` members: their value, encoded.
/// - ``set``, ``frozenset``: an array, sorted when all items are strings or all are numbers.
/// - NamedTuple: an object of its fields. Dataclass instances: an object of their fields,
///   recursively. pydantic models: ``model_dump(mode="json")``, then encoded.
/// - numpy scalars and arrays: through ``tolist()``; pandas ``DataFrame``:
///   ``to_dict(orient="records")``; ``Series``: ``to_dict()``; ``NaT`` and ``NA``: ``null``. numpy
///   and pandas are recognized by module name, never imported.
/// - dict keys: ``str`` as is; ``int``, ``float``, ``bool`` (``"true"``), ``None`` (``"null"``),
///   ``Enum``, ``UUID``, ``Decimal``, ``date``, ``time`` and ``datetime`` keys as their string form;
///   other keys are refused.
/// - ``bytes``, ``bytearray``: refused unless ``bytes="base64"`` or ``bytes="utf8"`` is passed.
/// - anything else: ``default(obj)`` when given, its result encoded; otherwise refused.
///
/// A value that cannot be encoded, a cycle, or nesting deeper than 255 levels raises
/// ``toolproof.SerializationError``, naming where (``result["items"][3]["created_at"]``) and what
/// type; an exception raised by ``default`` or ``model_dump`` is its ``__cause__``.
///
/// ``max_bytes`` (at least 32) caps the text's length in UTF-8 bytes: a longer text is cut to valid
/// JSON that keeps a prefix of the content, long strings ending in ``"…[truncated 1.2 MB]"``, arrays
/// in a ``"…[958 more items]"`` item, objects in a ``"…": "[12 more keys]"`` entry. The encoding
/// stops once the text is past the cap, so a huge value costs time and memory in proportion to
/// the cap, not to itself; what lies beyond is never visited (nor refused). With
/// ``return_info=True`` the result is ``(text, info)``, ``info`` being ``None`` or
/// ``{"original_bytes": ..., "kept_bytes": ...}`` when the text was cut, ``original_bytes`` being
/// ``None`` when the encoding stopped at the cap.
#[pyfunction]
#[pyo3(signature = (obj, *, max_bytes = None, default = None, bytes = None, return_info = false))]
pub fn to_json<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
    max_bytes: Option<i64>,
    default: Option<Bound<'py, PyAny>>,
    bytes: Option<&str>,
    return_info: bool,
) -> PyResult<Bound<'py, PyAny>> {
    guarded(|| {
        let max_bytes = match max_bytes {
            None => None,
            Some(limit) => match usize::try_from(limit) {
                Ok(limit) if limit >= MIN_BUDGET => Some(limit),
                _ => {
                    return Err(PyValueError::new_err(format!(
                        "max_bytes must be at least {MIN_BUDGET}, got {limit}"
                    )))
                }
            },
        };
        let default = match default {
            Some(default) if !default.is_none() => {
                if !default.is_callable() {
                    return Err(PyTypeError::new_err("default must be callable"));
                }
                Some(default.unbind())
            }
            _ => None,
        };
        let bytes = match bytes {
            None => BytesMode::Refuse,
            Some("base64") => BytesMode::Base64,
            Some("utf8" | "utf-8") => BytesMode::Utf8,
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "bytes must be \"base64\", \"utf8\" or None, got {other:?}"
                )))
            }
        };
        let options = EncodeOptions {
            max_bytes,
            default,
            bytes,
        };
        let encoded = encode_in_spare_buffer(py, obj, &options).map_err(|failure| serialization_error(py, &failure))?;
        let text = PyString::new(py, &encoded.text);
        let truncation = encoded.truncation;
        recycle(encoded.text);
        if !return_info {
            return Ok(text.into_any());
        }
        let info = match truncation {
            None => None,
            Some(truncation) => {
                let info = PyDict::new(py);
                info.set_item("original_bytes", truncation.original_bytes)?;
                info.set_item("kept_bytes", truncation.kept_bytes)?;
                Some(info)
            }
        };
        Ok((text, info).into_pyobject(py)?.into_any())
    })
}
