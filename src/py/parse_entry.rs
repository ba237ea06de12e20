//! The entry through which Python calls `ArgumentRoad.parse`.
//!
//! Nearly every call passes the text alone, perhaps with `mode=` and `finish_reason=` by keyword.
//! This entry reads those forms straight from the vectorcall arguments, recognising the keyword
//! names and the two modes by identity (Python interns the words its code writes). PyO3's general
//! argument matching costs a few hundred instructions per call, about a tenth of a whole valid call
//! on the fast path. Any other form of call (`raw=` by keyword, an unknown keyword, a value of the
//! wrong type) goes to the method PyO3 built, which reads and refuses it as it always has.

use std::ffi::{c_char, CString};
use std::ptr;
use std::sync::OnceLock;

use pyo3::exceptions::PyRuntimeError;
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

use crate::args::conform::Mode;
use crate::py::errors::{guarded, raise};
use crate::py::road::{mode_arg, ModeArg, PyArgumentRoad};

/// The method PyO3 built, kept for the calls this entry does not read itself.
static GENERAL: OnceLock<Py<PyAny>> = OnceLock::new();

/// Put the entry in place of `parse` on `class` (once, when the module is made). It carries the
/// general method's name, text signature and documentation, so `help()` and `inspect` see no change.
pub fn install(class: &Bound<'_, PyType>) -> PyResult<()> {
    let py = class.py();
    let general = class.getattr(intern!(py, "parse"))?;
    let signature: String = general.getattr(intern!(py, "__text_signature__"))?.extract()?;
    let doc: String = general.getattr(intern!(py, "__doc__"))?.extract()?;
    let doc = CString::new(format!("parse{signature}\n--\n\n{doc}"))
        .map_err(|_| PyRuntimeError::new_err("ArgumentRoad.parse's documentation holds a NUL"))?;
    // The method table outlives every interpreter that may use it, as CPython expects of it.
    let definition: &'static mut ffi::PyMethodDef = Box::leak(Box::new(ffi::PyMethodDef {
        ml_name: c"parse".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFastWithKeywords: parse_entry,
        },
        ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
        ml_doc: Box::leak(doc.into_boxed_c_str()).as_ptr() as *const c_char,
    }));
    // SAFETY: the class is a type object, and the definition lives for the rest of the process.
    let entry = unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyDescr_NewMethod(class.as_ptr().cast::<ffi::PyTypeObject>(), definition),
        )?
    };
    // Should a second module object be made in one process, the first class's general method
    // serves both: they run the same code.
    let _ = GENERAL.set(general.unbind());
    class.setattr(intern!(py, "parse"), entry)
}

/// `ArgumentRoad.parse` as CPython calls a METH_FASTCALL | METH_KEYWORDS method: `self`, the
/// positional arguments, and the keyword arguments' values after them, named by `kwnames`.
unsafe extern "C" fn parse_entry(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls a method with the thread attached to the interpreter.
    let py = unsafe { Python::assume_attached() };
    let outcome = guarded(|| {
        // SAFETY: CPython passes `nargs` arguments and one value per keyword name in `args`, and
        // the method descriptor has checked that `slf` is an `ArgumentRoad`.
        unsafe {
            let count = nargs as usize + keyword_count(kwnames);
            let values = if count == 0 {
                &[][..]
            } else {
                std::slice::from_raw_parts(args, count)
            };
            let kwnames = Borrowed::from_ptr_or_opt(py, kwnames).map(|names| names.cast_unchecked::<PyTuple>());
            let road = Borrowed::from_ptr(py, slf).cast_unchecked::<PyArgumentRoad>();
            match common_form(py, values, nargs as usize, kwnames) {
                Some(call) => {
                    let finish_reason = match &call.finish_reason {
                        Some(text) => Some(text.to_str()?),
                        None => None,
                    };
                    road.get().parse_read(py, &call.raw, call.mode, finish_reason)
                }
                None => general(py, slf, values, nargs as usize, kwnames),
            }
        }
    });
    match outcome {
        Ok(result) => result.into_ptr(),
        Err(error) => {
            raise(py, error);
            ptr::null_mut()
        }
    }
}

/// A call in the form this entry reads itself.
struct CommonCall<'a, 'py> {
    raw: Borrowed<'a, 'py, PyAny>,
    mode: ModeArg,
    /// A string whose text reads as UTF-8.
    finish_reason: Option<Borrowed<'a, 'py, PyString>>,
}

/// The call's text and options when it is `parse(raw)` with at most `mode=` (a string) and
/// `finish_reason=` (a string or None) by keyword, each once; None for any other form.
fn common_form<'a, 'py>(
    py: Python<'py>,
    values: &'a [*mut ffi::PyObject],
    nargs: usize,
    kwnames: Option<Borrowed<'a, 'py, PyTuple>>,
) -> Option<CommonCall<'a, 'py>> {
    if nargs != 1 {
        return None;
    }
    // SAFETY: every pointer CPython passes in `args` is a live object it holds for the call.
    let value = |index: usize| unsafe { Borrowed::from_ptr(py, values[index]) };
    let mut call = CommonCall {
        raw: value(0),
        mode: ModeArg::Known(Mode::Lenient),
        finish_reason: None,
    };
    let (mut mode_seen, mut finish_seen) = (false, false);
    for (index, name) in kwnames.iter().flat_map(|names| names.iter_borrowed()).enumerate() {
        let value = value(nargs + index);
        match keyword(py, &name)? {
            Keyword::Mode if !mode_seen => {
                mode_seen = true;
                // Anything but one of the two words goes to the general method, which refuses it
                // with its own message.
                call.mode = mode_arg(&value).ok()?;
            }
            Keyword::FinishReason if !finish_seen => {
                finish_seen = true;
                if !value.is_none() {
                    let text = value.cast::<PyString>().ok()?;
                    text.to_str().ok()?;
                    call.finish_reason = Some(text);
                }
            }
            _ => return None,
        }
    }
    Some(call)
}

enum Keyword {
    Mode,
    FinishReason,
}

/// Which keyword `name` is: by identity with the interned word first, then by its text.
fn keyword(py: Python<'_>, name: &Borrowed<'_, '_, PyAny>) -> Option<Keyword> {
    if name.is(intern!(py, "mode")) {
        return Some(Keyword::Mode);
    }
    if name.is(intern!(py, "finish_reason")) {
        return Some(Keyword::FinishReason);
    }
    match name.cast::<PyString>().ok()?.to_str().ok()? {
        "mode" => Some(Keyword::Mode),
        "finish_reason" => Some(Keyword::FinishReason),
        _ => None,
    }
}

/// The number of keyword arguments: the length of `kwnames`, a tuple or null.
unsafe fn keyword_count(kwnames: *mut ffi::PyObject) -> usize {
    if kwnames.is_null() {
        0
    } else {
        // SAFETY: a non-null `kwnames` is a tuple of strings.
        unsafe { ffi::PyTuple_Size(kwnames) as usize }
    }
}

/// The call as PyO3's method would have had it: `self` and the positional arguments as a tuple,
/// the keyword arguments as a dict.
#[cold]
#[inline(never)]
fn general<'py>(
    py: Python<'py>,
    slf: *mut ffi::PyObject,
    values: &[*mut ffi::PyObject],
    nargs: usize,
    kwnames: Option<Borrowed<'_, 'py, PyTuple>>,
) -> PyResult<Py<PyAny>> {
    let method = GENERAL
        .get()
        .ok_or_else(|| PyRuntimeError::new_err("ArgumentRoad.parse is not installed"))?
        .bind(py);
    // SAFETY: as in `common_form`, every pointer is a live object held for the call.
    let object = |pointer: *mut ffi::PyObject| unsafe { Borrowed::from_ptr(py, pointer) };
    let positional: Vec<_> = std::iter::once(slf)
        .chain(values[..nargs].iter().copied())
        .map(object)
        .collect();
    let positional = PyTuple::new(py, positional)?;
    let keywords = PyDict::new(py);
    for (index, name) in kwnames.iter().flat_map(|names| names.iter_borrowed()).enumerate() {
        keywords.set_item(name, object(values[nargs + index]))?;
    }
    method.call(positional, Some(&keywords)).map(Bound::unbind)
}
