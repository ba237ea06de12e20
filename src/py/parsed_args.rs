//! `ParsedArgs`, what `ArgumentRoad.parse` returns: the arguments that passed the road and every
//! change made on the way.
//!
//! The type is written against CPython's type API rather than as a `#[pyclass]`. Every parsed call
//! makes one and nearly every caller drops it as soon as it has read `.arguments`, so making and
//! freeing it is part of the cost of each call: through PyO3's general object protocol (the
//! allocation slot looked up on the type, the reference pool, the panic guard around deallocation)
//! that cost was as large as reading a small call's JSON. Here an object is one allocation with two
//! fields, `.arguments` is a member CPython reads by offset, and freed objects wait on a short list
//! to be used again.

use std::cell::UnsafeCell;
use std::ffi::{c_int, c_void, CStr};
use std::mem::{offset_of, size_of};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use pyo3::exceptions::{PyMemoryError, PyRuntimeError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

use crate::py::errors::{guarded, raise};
use crate::py::road::PyRepair;

/// The object's layout: the header every Python object starts with, then two owned references.
#[repr(C)]
struct ParsedArgsObject {
    header: ffi::PyObject,
    /// A dict.
    arguments: *mut ffi::PyObject,
    /// A tuple of `Repair`, or null when nothing was changed (nearly every call).
    repairs: *mut ffi::PyObject,
}

/// The type, made once when the module is made and kept for the rest of the process.
static TYPE: AtomicPtr<ffi::PyTypeObject> = AtomicPtr::new(ptr::null_mut());

/// Freed objects kept for reuse: a parse frees the object the previous parse made, so a list of a
/// few spares the allocator almost every time.
const FREE_LIST_LENGTH: usize = 16;

struct FreeList(UnsafeCell<FreeObjects>);

struct FreeObjects {
    objects: [*mut ParsedArgsObject; FREE_LIST_LENGTH],
    len: usize,
}

// SAFETY: the list is read and written only by a thread attached to the interpreter, and the
// extension is built for interpreters with a global lock (the stable ABI has no free-threaded
// build), so no two threads touch it at once.
unsafe impl Sync for FreeList {}

static FREE: FreeList = FreeList(UnsafeCell::new(FreeObjects {
    objects: [ptr::null_mut(); FREE_LIST_LENGTH],
    len: 0,
}));

impl FreeList {
    /// A spare object's memory, if one waits.
    fn take(&self, _attached: Python<'_>) -> Option<*mut ParsedArgsObject> {
        // SAFETY: see `Sync` above; the token proves the thread is attached.
        let free = unsafe { &mut *self.0.get() };
        free.len = free.len.checked_sub(1)?;
        Some(free.objects[free.len])
    }

    /// Keep a freed object's memory; false when the list is full.
    fn keep(&self, object: *mut ParsedArgsObject) -> bool {
        // SAFETY: as in `take`; only deallocation calls this, with the thread attached.
        let free = unsafe { &mut *self.0.get() };
        if free.len == FREE_LIST_LENGTH {
            return false;
        }
        free.objects[free.len] = object;
        free.len += 1;
        true
    }
}

/// Make the type and add it to `module` as `ParsedArgs`.
pub fn add_type(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    let existing = TYPE.load(Ordering::Acquire);
    let class = if existing.is_null() {
        let class = make_type(py)?;
        TYPE.store(class.as_ptr().cast(), Ordering::Release);
        // The static holds this reference for the rest of the process.
        class.into_ptr();
        // SAFETY: just stored, and never released.
        unsafe { Bound::from_borrowed_ptr(py, TYPE.load(Ordering::Acquire).cast()) }
    } else {
        // SAFETY: the static's reference keeps the type alive.
        unsafe { Bound::from_borrowed_ptr(py, existing.cast()) }
    };
    module.add("ParsedArgs", class)
}

const DOC: &CStr =
    c"ParsedArgs(arguments, repairs=...)\n--\n\nArguments that passed the road, and every change made on the way.";

fn make_type(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
    // CPython keeps pointers to the member and property tables, so they live as long as the process.
    let members: &'static mut [ffi::PyMemberDef; 2] = Box::leak(Box::new([
        ffi::PyMemberDef {
            name: c"arguments".as_ptr(),
            type_code: ffi::Py_T_OBJECT_EX,
            offset: offset_of!(ParsedArgsObject, arguments) as ffi::Py_ssize_t,
            flags: ffi::Py_READONLY,
            doc: c"The arguments, as a dict.".as_ptr(),
        },
        ffi::PyMemberDef::default(),
    ]));
    let properties: &'static mut [ffi::PyGetSetDef; 2] = Box::leak(Box::new([
        ffi::PyGetSetDef {
            name: c"repairs".as_ptr(),
            get: Some(repairs),
            set: None,
            doc: c"Every change made on the way, in order (a new list on each read).".as_ptr(),
            closure: ptr::null_mut(),
        },
        ffi::PyGetSetDef::default(),
    ]));
    let slots: &'static mut [ffi::PyType_Slot; 7] = Box::leak(Box::new([
        slot(ffi::Py_tp_dealloc, dealloc as *mut c_void),
        slot(ffi::Py_tp_new, new as *mut c_void),
        slot(ffi::Py_tp_repr, repr as *mut c_void),
        slot(ffi::Py_tp_members, members.as_mut_ptr().cast()),
        slot(ffi::Py_tp_getset, properties.as_mut_ptr().cast()),
        slot(ffi::Py_tp_doc, DOC.as_ptr() as *mut c_void),
        slot(0, ptr::null_mut()),
    ]));
    let spec: &'static mut ffi::PyType_Spec = Box::leak(Box::new(ffi::PyType_Spec {
        name: c"toolproof.ParsedArgs".as_ptr(),
        basicsize: size_of::<ParsedArgsObject>() as c_int,
        itemsize: 0,
        // Not a base type: every instance has exactly this layout, which the free list relies on.
        flags: (ffi::Py_TPFLAGS_DEFAULT | ffi::Py_TPFLAGS_IMMUTABLETYPE) as _,
        slots: slots.as_mut_ptr(),
    }));
    // SAFETY: the spec and everything it points to live for the rest of the process.
    let class = unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyType_FromSpec(spec))? };
    Ok(class.cast_into::<PyType>()?)
}

fn slot(slot: c_int, pfunc: *mut c_void) -> ffi::PyType_Slot {
    ffi::PyType_Slot { slot, pfunc }
}

/// A new `ParsedArgs` holding `arguments` and `repairs`.
pub fn parsed_args(py: Python<'_>, arguments: Py<PyDict>, repairs: Vec<Py<PyRepair>>) -> PyResult<Py<PyAny>> {
    let repairs = if repairs.is_empty() {
        ptr::null_mut()
    } else {
        PyTuple::new(py, repairs)?.into_ptr()
    };
    // SAFETY: both references are owned and handed to the new object.
    unsafe { make(py, arguments.into_ptr(), repairs) }
}

/// A new object owning `arguments` (a dict) and `repairs` (a tuple of `Repair`, or null).
///
/// # Safety
/// Both references are owned by the caller and passed to the object; the thread is attached.
unsafe fn make(py: Python<'_>, arguments: *mut ffi::PyObject, repairs: *mut ffi::PyObject) -> PyResult<Py<PyAny>> {
    let class = TYPE.load(Ordering::Relaxed);
    if class.is_null() {
        // SAFETY: the references are ours to give back.
        unsafe {
            ffi::Py_DECREF(arguments);
            ffi::Py_XDECREF(repairs);
        }
        return Err(PyRuntimeError::new_err("toolproof.ParsedArgs is not made yet"));
    }
    let memory = match FREE.take(py) {
        Some(object) => object,
        None => {
            // SAFETY: the size is that of the type's instances.
            let memory = unsafe { ffi::PyObject_Malloc(size_of::<ParsedArgsObject>()) }.cast::<ParsedArgsObject>();
            if memory.is_null() {
                // SAFETY: the references are ours to give back.
                unsafe {
                    ffi::Py_DECREF(arguments);
                    ffi::Py_XDECREF(repairs);
                }
                return Err(PyMemoryError::new_err(()));
            }
            memory
        }
    };
    // SAFETY: `memory` is a block of the instances' size; PyObject_Init sets its header (type,
    // with a reference to the type as a heap type's instances hold, and a count of one).
    unsafe {
        ffi::PyObject_Init(memory.cast(), class);
        (*memory).arguments = arguments;
        (*memory).repairs = repairs;
        Ok(Bound::from_owned_ptr(py, memory.cast()).unbind())
    }
}

unsafe extern "C" fn dealloc(object: *mut ffi::PyObject) {
    let parsed = object.cast::<ParsedArgsObject>();
    // SAFETY: CPython calls this once, for an instance of this type whose count reached zero, with
    // the thread attached. The fields are taken before they are released, since releasing them
    // may run any code, which may make and free other instances.
    unsafe {
        let class = ffi::Py_TYPE(object);
        let arguments = std::mem::replace(&mut (*parsed).arguments, ptr::null_mut());
        let repairs = std::mem::replace(&mut (*parsed).repairs, ptr::null_mut());
        ffi::Py_XDECREF(arguments);
        ffi::Py_XDECREF(repairs);
        if !FREE.keep(parsed) {
            ffi::PyObject_Free(object.cast());
        }
        // A heap type's instance holds a reference to its type.
        ffi::Py_DECREF(class.cast());
    }
}

/// `ParsedArgs.repairs`: a new list, so that a caller changing it changes no other reader's.
unsafe extern "C" fn repairs(object: *mut ffi::PyObject, _closure: *mut c_void) -> *mut ffi::PyObject {
    // SAFETY: CPython calls a getter with an instance of this type and the thread attached.
    unsafe {
        let repairs = (*object.cast::<ParsedArgsObject>()).repairs;
        if repairs.is_null() {
            ffi::PyList_New(0)
        } else {
            ffi::PySequence_List(repairs)
        }
    }
}

unsafe extern "C" fn repr(object: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: CPython calls `tp_repr` with an instance of this type and the thread attached.
    let py = unsafe { Python::assume_attached() };
    let outcome = guarded(|| {
        // SAFETY: as above; the object is borrowed for the call.
        let object = unsafe { Borrowed::from_ptr(py, object) };
        let arguments = object.getattr(pyo3::intern!(py, "arguments"))?;
        let repairs = object.getattr(pyo3::intern!(py, "repairs"))?;
        let text = format!(
            "ParsedArgs(arguments={}, repairs={})",
            arguments.repr()?,
            repairs.repr()?
        );
        Ok(PyString::new(py, &text).into_any().unbind())
    });
    into_result(py, outcome)
}

/// `ParsedArgs(arguments, repairs=())`: `arguments` a dict, `repairs` an iterable of `Repair`.
unsafe extern "C" fn new(
    _class: *mut ffi::PyTypeObject,
    args: *mut ffi::PyObject,
    kwargs: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls `tp_new` with the thread attached, a tuple and a dict or null.
    let py = unsafe { Python::assume_attached() };
    let outcome = guarded(|| {
        // SAFETY: as above; both are borrowed for the call.
        let (args, kwargs) = unsafe {
            (
                Borrowed::from_ptr(py, args).cast_unchecked::<PyTuple>(),
                Borrowed::from_ptr_or_opt(py, kwargs).map(|kwargs| kwargs.cast_unchecked::<PyDict>()),
            )
        };
        let (arguments, repairs) = constructor_arguments(&args, kwargs.as_deref())?;
        let arguments = arguments
            .cast_into::<PyDict>()
            .map_err(|error| PyTypeError::new_err(format!("ParsedArgs() argument 'arguments': {error}")))?;
        // One tuple made by CPython from any iterable: iterating through PyO3 would ask for a
        // length hint, which on the stable ABI imports `operator`, impossible at exit.
        let repairs = match repairs {
            None => None,
            Some(repairs) => {
                // SAFETY: PySequence_Tuple takes any object and returns a new reference, or null
                // with the exception set.
                let repairs = unsafe { Bound::from_owned_ptr_or_err(py, ffi::PySequence_Tuple(repairs.as_ptr()))? }
                    .cast_into::<PyTuple>()?;
                for repair in repairs.iter() {
                    repair
                        .cast::<PyRepair>()
                        .map_err(|error| PyTypeError::new_err(format!("ParsedArgs() argument 'repairs': {error}")))?;
                }
                (!repairs.is_empty()).then_some(repairs)
            }
        };
        // SAFETY: both references are owned and handed to the new object.
        unsafe {
            make(
                py,
                arguments.into_ptr(),
                repairs.map_or(ptr::null_mut(), Bound::into_ptr),
            )
        }
    });
    into_result(py, outcome)
}

/// `arguments` and `repairs` from a constructor call, by position or keyword.
fn constructor_arguments<'py>(
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<(Bound<'py, PyAny>, Option<Bound<'py, PyAny>>)> {
    const NAMES: [&str; 2] = ["arguments", "repairs"];
    if args.len() > NAMES.len() {
        return Err(PyTypeError::new_err(format!(
            "ParsedArgs() takes at most 2 positional arguments ({} given)",
            args.len()
        )));
    }
    let mut values: [Option<Bound<'py, PyAny>>; 2] = [None, None];
    for (index, value) in args.iter().enumerate() {
        values[index] = Some(value);
    }
    for (name, value) in kwargs.into_iter().flat_map(|kwargs| kwargs.iter()) {
        let name: String = name.extract()?;
        let Some(index) = NAMES.iter().position(|known| *known == name) else {
            return Err(PyTypeError::new_err(format!(
                "ParsedArgs() got an unexpected keyword argument '{name}'"
            )));
        };
        if values[index].replace(value).is_some() {
            return Err(PyTypeError::new_err(format!(
                "ParsedArgs() got multiple values for argument '{name}'"
            )));
        }
    }
    let [arguments, repairs] = values;
    let arguments =
        arguments.ok_or_else(|| PyTypeError::new_err("ParsedArgs() missing required argument 'arguments'"))?;
    Ok((arguments, repairs))
}

fn into_result(py: Python<'_>, outcome: PyResult<Py<PyAny>>) -> *mut ffi::PyObject {
    match outcome {
        Ok(object) => object.into_ptr(),
        Err(error) => {
            raise(py, error);
            ptr::null_mut()
        }
    }
}
