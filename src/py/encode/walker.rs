//! The walk over a Python value, writing JSON as it goes.
//!
//! The common types are told apart by comparing type pointers (`type(x) is dict`), in the order
//! results use them most; only what matches none of them pays for `issubclass` checks, attribute
//! lookups and calls. A failure carries no path on the way down: each level adds its own segment
//! as the failure travels out, so a walk that succeeds never builds one.

use std::rc::Rc;

use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyString, PyTuple, PyType,
};

use crate::encode::iso8601::{DateTime, Time, UtcOffset};
use crate::encode::path::{PathSegment, ResultPath};
use crate::encode::truncate::Unfinished;
use crate::encode::writer::{is_json_number, JsonWriter};

use super::known_types::KnownTypes;
use super::temporal::{self, type_of, Clock, Zone};
use super::{BytesMode, EncodeFailure, EncodeOptions};

/// Containers nested deeper than this are refused (the root container is level 1).
pub const MAX_DEPTH: usize = 255;

/// How far past the size cap the text may grow before the walk stops: room for the closing
/// brackets, so the cut never runs short of text it could have kept.
const HORIZON_SLACK: usize = 1024;

const KEY_TYPES: &str = "str, int, float, bool, None, Enum, UUID, Decimal, date, time or datetime";

/// A value that could not be encoded, on its way out of the walk.
pub struct Failure {
    /// Innermost first: each level pushes its own segment as the failure travels out.
    reversed_path: Vec<PathSegment>,
    type_name: String,
    detail: String,
    cause: Option<PyErr>,
    /// For a cycle: how many segments down the path the repeated container was first met.
    first_seen_at: Option<usize>,
    /// Not a failure: the text reached the size cap, and the walk stopped there.
    reached_cap: bool,
}

impl Failure {
    /// Whether the walk stopped because the text reached the cap, not because a value failed.
    pub fn reached_cap(&self) -> bool {
        self.reached_cap
    }

    pub fn into_encode_failure(self) -> EncodeFailure {
        let path = ResultPath::from_innermost_first(self.reversed_path);
        let detail = match self.first_seen_at {
            Some(length) => format!("{} at {}", self.detail, path.prefix(length)),
            None => self.detail,
        };
        EncodeFailure {
            message: format!("{path}: {detail}"),
            path: path.to_string(),
            type_name: self.type_name,
            cause: self.cause,
        }
    }
}

type Step = Result<(), Box<Failure>>;

type FieldNames<'py> = Rc<[Bound<'py, PyString>]>;

trait Within {
    /// Add the segment leading to the value that failed.
    fn within(self, segment: impl FnOnce() -> PathSegment) -> Self;
}

impl Within for Step {
    #[inline(always)]
    fn within(self, segment: impl FnOnce() -> PathSegment) -> Self {
        self.map_err(|mut failure| {
            failure.reversed_path.push(segment());
            failure
        })
    }
}

/// The builtin types, as pointers to compare against.
#[derive(Clone, Copy)]
struct Builtins {
    string: *mut ffi::PyTypeObject,
    integer: *mut ffi::PyTypeObject,
    float: *mut ffi::PyTypeObject,
    boolean: *mut ffi::PyTypeObject,
    dict: *mut ffi::PyTypeObject,
    list: *mut ffi::PyTypeObject,
    tuple: *mut ffi::PyTypeObject,
    set: *mut ffi::PyTypeObject,
    frozenset: *mut ffi::PyTypeObject,
    bytes: *mut ffi::PyTypeObject,
    bytearray: *mut ffi::PyTypeObject,
}

impl Builtins {
    fn new(py: Python<'_>) -> Self {
        use pyo3::PyTypeInfo;
        Builtins {
            string: PyString::type_object_raw(py),
            integer: PyInt::type_object_raw(py),
            float: PyFloat::type_object_raw(py),
            boolean: PyBool::type_object_raw(py),
            dict: PyDict::type_object_raw(py),
            list: PyList::type_object_raw(py),
            tuple: PyTuple::type_object_raw(py),
            set: PySet::type_object_raw(py),
            frozenset: PyFrozenSet::type_object_raw(py),
            bytes: PyBytes::type_object_raw(py),
            bytearray: PyByteArray::type_object_raw(py),
        }
    }
}

#[inline(always)]
fn is_subtype(class: *mut ffi::PyTypeObject, base: *mut ffi::PyTypeObject) -> bool {
    // SAFETY: both are live type objects.
    class == base || unsafe { ffi::PyType_IsSubtype(class, base) } != 0
}

#[inline(always)]
fn is_true(value: &Bound<'_, PyAny>) -> bool {
    // SAFETY: `Py_True` is the immortal `True`.
    value.as_ptr() == unsafe { ffi::Py_True() }
}

fn raw_type(class: &Py<PyType>) -> *mut ffi::PyTypeObject {
    class.as_ptr().cast()
}

pub struct Walker<'a, 'py> {
    py: Python<'py>,
    known: &'a KnownTypes,
    options: &'a EncodeOptions,
    builtins: Builtins,
    decimal: *mut ffi::PyTypeObject,
    out: JsonWriter,
    /// The containers being written, outermost first, with their depth: a container met again
    /// inside itself is a cycle.
    active: Vec<(*mut ffi::PyObject, usize)>,
    /// Past this many bytes of text the walk stops (see `Unfinished`): the size cap plus slack,
    /// or no limit.
    horizon: usize,
    /// What the text leaves out once the walk stopped at the horizon: the containers being
    /// written (where each opens in the text, and its entries), and the string cut there.
    unfinished: Unfinished,
    /// How many conversions (an Enum's value, a model's dump, `default`'s result) are being
    /// encoded inside one another.
    conversions: usize,
    /// How many object keys are being written inside one another (an Enum key's value): a key
    /// is written whole, never cut at the horizon.
    keys: usize,
    /// The last `datetime.timezone` met, and its offset, which never changes.
    fixed_zone: Option<(Bound<'py, PyAny>, Option<UtcOffset>)>,
    /// Field names of the dataclasses met in this walk.
    dataclass_fields: Vec<(Bound<'py, PyType>, FieldNames<'py>)>,
}

impl<'a, 'py> Walker<'a, 'py> {
    pub fn new(py: Python<'py>, known: &'a KnownTypes, options: &'a EncodeOptions, out: JsonWriter) -> Self {
        Walker {
            py,
            known,
            options,
            builtins: Builtins::new(py),
            decimal: raw_type(&known.decimal),
            out,
            active: Vec::new(),
            horizon: options
                .max_bytes
                .map_or(usize::MAX, |max_bytes| max_bytes.saturating_add(HORIZON_SLACK)),
            unfinished: Unfinished::default(),
            keys: 0,
            conversions: 0,
            fixed_zone: None,
            dataclass_fields: Vec::new(),
        }
    }

    pub fn into_writer(self) -> JsonWriter {
        self.out
    }

    /// After a walk that stopped at the horizon: the text written so far, closed into a valid
    /// document, and what it leaves out.
    pub fn into_unfinished(mut self) -> (JsonWriter, Unfinished) {
        let mut closers: Vec<u8> = Vec::with_capacity(self.unfinished.open_containers.len());
        for &(start, _) in &self.unfinished.open_containers {
            closers.push(if self.out.as_str().as_bytes()[start] == b'{' {
                b'}'
            } else {
                b']'
            });
        }
        for &closer in closers.iter().rev() {
            self.out.punctuation(closer);
        }
        (self.out, self.unfinished)
    }

    /// Stop the walk if the text has grown past the horizon. Checked before each entry of a
    /// container, so the text then ends just after an opening bracket or a whole entry.
    #[inline(always)]
    fn check_horizon(&self) -> Step {
        if self.out.len() > self.horizon {
            return Err(self.cap_reached());
        }
        Ok(())
    }

    #[cold]
    fn cap_reached(&self) -> Box<Failure> {
        Box::new(Failure {
            reversed_path: Vec::new(),
            type_name: String::new(),
            detail: String::new(),
            cause: None,
            first_seen_at: None,
            reached_cap: true,
        })
    }

    /// Room left before the horizon.
    fn room(&self) -> usize {
        self.horizon.saturating_sub(self.out.len())
    }

    /// Write the start of a string too long for the room left, note it, and stop the walk.
    fn string_cut_at_horizon(&mut self, write: impl FnOnce(&mut JsonWriter, usize) -> usize) -> Step {
        let start = self.out.len();
        let room = self.room();
        let whole = write(&mut self.out, room);
        self.unfinished.cut_string = Some((start, whole));
        Err(self.cap_reached())
    }

    /// Write `value`, found `depth` segments below the root.
    pub fn value(&mut self, value: &Bound<'py, PyAny>, depth: usize) -> Step {
        if self.scalar(value.as_ptr()) {
            return Ok(());
        }
        self.compound(value, depth)
    }

    /// Write a value `scalar` did not take.
    fn compound(&mut self, value: &Bound<'py, PyAny>, depth: usize) -> Step {
        let class = type_of(value);
        if class == self.builtins.dict {
            return self.dict(value, depth);
        }
        if class == self.builtins.list {
            return self.list(value, depth);
        }
        if self.known.temporal.is_exact_datetime(class) {
            return self.datetime(value);
        }
        if class == self.decimal {
            return self.decimal(value);
        }
        if class == self.builtins.tuple {
            return self.tuple(value, depth);
        }
        if self.known.temporal.is_exact_date(class) {
            return self.date(value);
        }
        self.other(value, class, depth)
    }

    /// Write `value` when it is an exact str, int (within 64 bits), float, bool or None, and say
    /// whether it was. These need no Python code, so a borrowed pointer is enough: under abi3
    /// every reference count change is a call into the interpreter, and this is the hottest path.
    #[inline(always)]
    fn scalar(&mut self, value: *mut ffi::PyObject) -> bool {
        let builtins = &self.builtins;
        // SAFETY: `value` is a live object borrowed from the container being walked, and nothing
        // below runs Python code that could release it.
        unsafe {
            let class = ffi::Py_TYPE(value);
            if class == builtins.string {
                let mut length: ffi::Py_ssize_t = 0;
                let data = ffi::PyUnicode_AsUTF8AndSize(value, &mut length);
                if data.is_null() {
                    // Lone surrogates: the full path writes them as escapes.
                    ffi::PyErr_Clear();
                    return false;
                }
                if length as usize > self.horizon - self.out.len().min(self.horizon) {
                    // Too long for the room left: `string` writes its start and stops the walk.
                    return false;
                }
                // CPython's UTF-8 form of a str is valid UTF-8.
                let text =
                    std::str::from_utf8_unchecked(std::slice::from_raw_parts(data.cast::<u8>(), length as usize));
                self.out.string(text);
                return true;
            }
            if class == builtins.integer {
                let mut overflow = 0;
                let small = ffi::PyLong_AsLongLongAndOverflow(value, &mut overflow);
                if overflow == 0 {
                    self.out.i64(small);
                    return true;
                }
                return false;
            }
            if class == builtins.float {
                self.out.f64(ffi::PyFloat_AsDouble(value));
                return true;
            }
            if class == builtins.boolean {
                self.out.bool(value == ffi::Py_True());
                return true;
            }
            if value == ffi::Py_None() {
                self.out.null();
                return true;
            }
        }
        false
    }

    fn string(&mut self, value: &Bound<'py, PyAny>) -> Step {
        // SAFETY: callers checked that `value` is a str.
        let text = unsafe { value.cast_unchecked::<PyString>() };
        match text.to_str() {
            Ok(text) if text.len() > self.room() && self.keys == 0 => {
                self.string_cut_at_horizon(|out, room| out.string_start(text, room))
            }
            Ok(text) => {
                self.out.string(text);
                Ok(())
            }
            Err(_) => self.string_with_surrogates(value),
        }
    }

    /// A `str` holding lone surrogates (from `surrogateescape` decoding, say) is not Unicode;
    /// its surrogates are written as `\udXXX` escapes, as `json.dumps` does.
    fn string_with_surrogates(&mut self, value: &Bound<'py, PyAny>) -> Step {
        let encoded = value
            .call_method1(intern!(self.py, "encode"), ("utf-8", "surrogatepass"))
            .map_err(|error| self.refuse_because(value, "a str that cannot be encoded".to_owned(), error))?;
        let bytes = encoded
            .cast::<PyBytes>()
            .map_err(|_| self.refuse(value, "a str whose encode() did not return bytes".to_owned()))?;
        let bytes = bytes.as_bytes();
        if bytes.len() > self.room() && self.keys == 0 {
            return self.string_cut_at_horizon(|out, room| out.string_start_wtf8(bytes, room));
        }
        self.out.string_wtf8(bytes);
        Ok(())
    }

    fn integer(&mut self, value: &Bound<'py, PyAny>) -> Step {
        let mut overflow = 0;
        // SAFETY: `value` is an int; for an int no error is possible, only overflow.
        let small = unsafe { ffi::PyLong_AsLongLongAndOverflow(value.as_ptr(), &mut overflow) };
        if overflow == 0 {
            self.out.i64(small);
            return Ok(());
        }
        if overflow > 0 {
            if let Ok(large) = value.extract::<u64>() {
                self.out.u64(large);
                return Ok(());
            }
        }
        let digits = self.integer_digits(value)?;
        self.out.number_text(&digits);
        Ok(())
    }

    /// The exact digits of an int of any size, as `int.__repr__` writes them (a subclass's own
    /// `__repr__` or `__str__` is not asked).
    fn integer_digits(&self, value: &Bound<'py, PyAny>) -> Result<String, Box<Failure>> {
        let digits = self
            .py
            .get_type::<PyInt>()
            .getattr(intern!(self.py, "__repr__"))
            .and_then(|repr| repr.call1((value,)))
            .and_then(|digits| digits.extract::<String>())
            .map_err(|error| {
                self.refuse_because(
                    value,
                    format!("an integer Python will not write out ({})", describe(self.py, &error)),
                    error,
                )
            })?;
        Ok(digits)
    }

    fn float_of(value: &Bound<'py, PyAny>) -> f64 {
        // SAFETY: callers checked that `value` is a float.
        unsafe { ffi::PyFloat_AsDouble(value.as_ptr()) }
    }

    fn decimal(&mut self, value: &Bound<'py, PyAny>) -> Step {
        let text = value
            .str()
            .map_err(|error| self.refuse_because(value, "a Decimal whose str() failed".to_owned(), error))?;
        let text = text.to_cow().unwrap_or_default();
        if is_json_number(&text) {
            self.out.number_text(&text);
        } else if is_non_finite_decimal(&text) {
            self.out.null();
        } else {
            return Err(self.refuse(value, format!("a Decimal whose str() is not a number ({text:?})")));
        }
        Ok(())
    }

    fn datetime(&mut self, value: &Bound<'py, PyAny>) -> Step {
        let (date, clock) =
            self.known.temporal.datetime(value).map_err(|error| {
                self.refuse_because(value, "a datetime whose fields cannot be read".to_owned(), error)
            })?;
        let time = self.with_offset(value, clock)?;
        self.out.datetime(&DateTime { date, time });
        Ok(())
    }

    fn date(&mut self, value: &Bound<'py, PyAny>) -> Step {
        let date = self
            .known
            .temporal
            .date(value)
            .map_err(|error| self.refuse_because(value, "a date whose fields cannot be read".to_owned(), error))?;
        self.out.date(&date);
        Ok(())
    }

    fn time(&mut self, value: &Bound<'py, PyAny>) -> Step {
        let clock = self
            .known
            .temporal
            .time(value)
            .map_err(|error| self.refuse_because(value, "a time whose fields cannot be read".to_owned(), error))?;
        let time = self.with_offset(value, clock)?;
        self.out.time(&time);
        Ok(())
    }

    /// The time of day with the offset its tzinfo gives, as `isoformat()` writes it.
    #[inline(always)]
    fn with_offset(&mut self, value: &Bound<'py, PyAny>, clock: Clock<'py>) -> Result<Time, Box<Failure>> {
        let mut time = clock.time;
        match clock.zone {
            Zone::Naive => {}
            Zone::Utc => time.offset = Some(UtcOffset::UTC),
            Zone::Other(tzinfo) => time.offset = self.offset_of(value, tzinfo)?,
        }
        Ok(time)
    }

    /// The offset a tzinfo other than UTC gives for `value`.
    #[inline(never)]
    fn offset_of(
        &mut self,
        value: &Bound<'py, PyAny>,
        tzinfo: Bound<'py, PyAny>,
    ) -> Result<Option<UtcOffset>, Box<Failure>> {
        let offset = if type_of(&tzinfo) == raw_type(&self.known.timezone) {
            match &self.fixed_zone {
                Some((zone, offset)) if zone.is(&tzinfo) => Ok(*offset),
                _ => temporal::fixed_offset(&tzinfo).inspect(|offset| self.fixed_zone = Some((tzinfo, *offset))),
            }
        } else {
            temporal::utc_offset(value)
        };
        offset.map_err(|error| {
            self.refuse_because(
                value,
                format!("a value whose utcoffset() failed ({})", describe(self.py, &error)),
                error,
            )
        })
    }

    /// Note that a container of `entries` entries is being written, refusing cycles and
    /// excessive depth.
    fn enter(&mut self, container: &Bound<'py, PyAny>, depth: usize, entries: usize) -> Step {
        let pointer = container.as_ptr();
        if let Some(&(_, first_depth)) = self.active.iter().find(|(active, _)| *active == pointer) {
            let mut failure = self.refuse(
                container,
                format!("a cycle: this {} is already being encoded", type_name(container)),
            );
            failure.first_seen_at = Some(first_depth);
            return Err(failure);
        }
        if depth >= MAX_DEPTH {
            return Err(self.refuse(container, format!("nested more than {MAX_DEPTH} levels deep")));
        }
        self.active.push((pointer, depth));
        self.unfinished.open_containers.push((self.out.len(), entries));
        Ok(())
    }

    fn leave(&mut self) {
        self.active.pop();
        self.unfinished.open_containers.pop();
    }

    /// A list's length read again (Python code run for an item may have changed it).
    fn entries_now(&mut self, entries: usize) {
        if let Some(open) = self.unfinished.open_containers.last_mut() {
            open.1 = entries;
        }
    }

    fn dict(&mut self, dict: &Bound<'py, PyAny>, depth: usize) -> Step {
        // SAFETY: a dict.
        self.enter(dict, depth, unsafe { ffi::PyDict_Size(dict.as_ptr()) }.max(0) as usize)?;
        self.out.punctuation(b'{');
        // SAFETY (every call below): `dict` is a dict, and the pointers PyDict_Next fills in are
        // borrowed from it; they are turned into new references before any Python code runs.
        let mut position: ffi::Py_ssize_t = 0;
        let mut key_pointer = std::ptr::null_mut();
        let mut value_pointer = std::ptr::null_mut();
        // Taken before the first step that may run Python code (a default=, a model_dump()); until
        // then nothing can have changed the dict.
        let mut size_before = None;
        let mut first = true;
        while unsafe { ffi::PyDict_Next(dict.as_ptr(), &mut position, &mut key_pointer, &mut value_pointer) } != 0 {
            self.check_horizon()?;
            if self.key_outgrows_horizon(key_pointer) {
                // A key is never cut: the walk stops before it.
                return Err(self.cap_reached());
            }
            if !first {
                self.out.punctuation(b',');
            }
            first = false;
            if self.string_key(key_pointer) {
                self.out.punctuation(b':');
                if self.scalar(value_pointer) {
                    continue;
                }
                size_before.get_or_insert_with(|| unsafe { ffi::PyDict_Size(dict.as_ptr()) });
                let key = unsafe { Bound::from_borrowed_ptr(self.py, key_pointer) };
                let item = unsafe { Bound::from_borrowed_ptr(self.py, value_pointer) };
                self.compound(&item, depth + 1).within(|| key_segment(&key))?;
            } else {
                // Converting the key may run Python code (an Enum's value): hold both first.
                size_before.get_or_insert_with(|| unsafe { ffi::PyDict_Size(dict.as_ptr()) });
                let key = unsafe { Bound::from_borrowed_ptr(self.py, key_pointer) };
                let item = unsafe { Bound::from_borrowed_ptr(self.py, value_pointer) };
                self.keys += 1;
                let step = self.other_key(&key);
                self.keys -= 1;
                step.within(|| key_segment(&key))?;
                self.out.punctuation(b':');
                self.value(&item, depth + 1).within(|| key_segment(&key))?;
            }
        }
        if size_before.is_some_and(|size| size != unsafe { ffi::PyDict_Size(dict.as_ptr()) }) {
            return Err(self.refuse(dict, "a dict that changed size while it was being encoded".to_owned()));
        }
        self.out.punctuation(b'}');
        self.leave();
        Ok(())
    }

    /// Whether `key` is a str longer than the room left before the horizon.
    fn key_outgrows_horizon(&self, key: *mut ffi::PyObject) -> bool {
        if self.horizon == usize::MAX {
            return false;
        }
        // SAFETY: as in `scalar`; a str's UTF-8 form is cached on it, and an error is cleared.
        unsafe {
            if ffi::PyUnicode_Check(key) == 0 {
                return false;
            }
            let mut length: ffi::Py_ssize_t = 0;
            if ffi::PyUnicode_AsUTF8AndSize(key, &mut length).is_null() {
                ffi::PyErr_Clear();
                // Surrogates: measured by the characters, each at most 6 bytes once escaped.
                length = ffi::PyUnicode_GetLength(key).max(0) * 6;
            }
            length as usize > self.room()
        }
    }

    /// Write `key` when it is an exact str without surrogates, and say whether it was.
    #[inline(always)]
    fn string_key(&mut self, key: *mut ffi::PyObject) -> bool {
        // SAFETY: as in `scalar`.
        unsafe {
            if ffi::Py_TYPE(key) != self.builtins.string {
                return false;
            }
            let mut length: ffi::Py_ssize_t = 0;
            let data = ffi::PyUnicode_AsUTF8AndSize(key, &mut length);
            if data.is_null() {
                ffi::PyErr_Clear();
                return false;
            }
            self.out
                .string(std::str::from_utf8_unchecked(std::slice::from_raw_parts(
                    data.cast::<u8>(),
                    length as usize,
                )));
        }
        true
    }

    /// Keys JSON cannot carry as they are, written as their string form.
    fn other_key(&mut self, key: &Bound<'py, PyAny>) -> Step {
        let class = type_of(key);
        let builtins = self.builtins;
        if is_subtype(class, builtins.string) {
            return self.string(key);
        }
        if key.is_none() {
            self.out.string("null");
            return Ok(());
        }
        if class == builtins.boolean {
            self.out.string(if is_true(key) { "true" } else { "false" });
            return Ok(());
        }
        if is_subtype(class, raw_type(&self.known.enumeration)) {
            let value = self.enum_value(key)?;
            self.enter_conversion(key)?;
            let step = self.other_key(&value);
            self.conversions -= 1;
            return step;
        }
        if is_subtype(class, builtins.integer) {
            let digits = match key.extract::<i64>() {
                Ok(small) => small.to_string(),
                Err(_) => self.integer_digits(key)?,
            };
            self.out.string(&digits);
            return Ok(());
        }
        if is_subtype(class, builtins.float) {
            let number = Self::float_of(key);
            let mut formatted = ryu::Buffer::new();
            let text = if number.is_nan() {
                "NaN"
            } else if number == f64::INFINITY {
                "Infinity"
            } else if number == f64::NEG_INFINITY {
                "-Infinity"
            } else {
                formatted.format_finite(number)
            };
            self.out.string(text);
            return Ok(());
        }
        if is_subtype(class, raw_type(&self.known.uuid)) || is_subtype(class, self.decimal) {
            return self.str_of(key);
        }
        if is_subtype(class, raw_type(&self.known.datetime)) {
            return self.datetime(key);
        }
        if is_subtype(class, raw_type(&self.known.date)) {
            return self.date(key);
        }
        if is_subtype(class, raw_type(&self.known.time)) {
            return self.time(key);
        }
        Err(self.refuse(
            key,
            format!(
                "{} cannot be an object key (keys must be {KEY_TYPES})",
                with_article(&type_name(key))
            ),
        ))
    }

    fn list(&mut self, list: &Bound<'py, PyAny>, depth: usize) -> Step {
        // SAFETY (every call below): `list` is a list, and each item is borrowed only until the
        // next Python code runs. Only a non-scalar item can run Python code (a default=), which
        // could shorten the list: the length is read again after each.
        let mut length = unsafe { ffi::PyList_Size(list.as_ptr()) };
        self.enter(list, depth, length.max(0) as usize)?;
        self.out.punctuation(b'[');
        let mut index = 0;
        while index < length {
            self.check_horizon()?;
            if index > 0 {
                self.out.punctuation(b',');
            }
            let item = unsafe { ffi::PyList_GetItem(list.as_ptr(), index) };
            if !self.scalar(item) {
                let item = unsafe { Bound::from_borrowed_ptr(self.py, item) };
                self.compound(&item, depth + 1)
                    .within(|| PathSegment::Index(index as usize))?;
                length = unsafe { ffi::PyList_Size(list.as_ptr()) };
                self.entries_now(length.max(0) as usize);
            }
            index += 1;
        }
        self.out.punctuation(b']');
        self.leave();
        Ok(())
    }

    fn tuple(&mut self, tuple: &Bound<'py, PyAny>, depth: usize) -> Step {
        // SAFETY: `tuple` is a tuple, which cannot change, and is held for the whole loop.
        let length = unsafe { ffi::PyTuple_Size(tuple.as_ptr()) };
        self.enter(tuple, depth, length.max(0) as usize)?;
        self.out.punctuation(b'[');
        for index in 0..length {
            self.check_horizon()?;
            if index > 0 {
                self.out.punctuation(b',');
            }
            let item = unsafe { ffi::PyTuple_GetItem(tuple.as_ptr(), index) };
            if !self.scalar(item) {
                let item = unsafe { Bound::from_borrowed_ptr(self.py, item) };
                self.compound(&item, depth + 1)
                    .within(|| PathSegment::Index(index as usize))?;
            }
        }
        self.out.punctuation(b']');
        self.leave();
        Ok(())
    }

    /// The items of `container` (a list, tuple or set) as an array.
    fn array(
        &mut self,
        container: &Bound<'py, PyAny>,
        items: impl ExactSizeIterator<Item = Bound<'py, PyAny>>,
        depth: usize,
    ) -> Step {
        self.enter(container, depth, items.len())?;
        self.out.punctuation(b'[');
        for (index, item) in items.enumerate() {
            self.check_horizon()?;
            if index > 0 {
                self.out.punctuation(b',');
            }
            self.value(&item, depth + 1).within(|| PathSegment::Index(index))?;
        }
        self.out.punctuation(b']');
        self.leave();
        Ok(())
    }

    /// Named fields (a dataclass's, a NamedTuple's) as an object.
    fn fields(
        &mut self,
        container: &Bound<'py, PyAny>,
        fields: impl ExactSizeIterator<Item = (Bound<'py, PyString>, PyResult<Bound<'py, PyAny>>)>,
        depth: usize,
    ) -> Step {
        self.enter(container, depth, fields.len())?;
        self.out.punctuation(b'{');
        for (index, (name, field)) in fields.enumerate() {
            self.check_horizon()?;
            if index > 0 {
                self.out.punctuation(b',');
            }
            let name_text = name.to_cow().unwrap_or_default();
            self.out.string(&name_text);
            self.out.punctuation(b':');
            let field = field.map_err(|error| {
                self.refuse_because(container, format!("its field {name_text:?} cannot be read"), error)
            })?;
            self.value(&field, depth + 1)
                .within(|| PathSegment::Key(name_text.clone().into_owned()))?;
        }
        self.out.punctuation(b'}');
        self.leave();
        Ok(())
    }

    /// Everything but the most common exact types: subclasses, the other known types, numpy and
    /// pandas objects, models and dataclasses, then `default`.
    fn other(&mut self, value: &Bound<'py, PyAny>, class: *mut ffi::PyTypeObject, depth: usize) -> Step {
        let known = self.known;
        let builtins = self.builtins;
        // Before str and int: an IntEnum or StrEnum member is written as its value.
        if is_subtype(class, raw_type(&known.enumeration)) {
            let member_value = self.enum_value(value)?;
            return self.converted(value, &member_value, depth);
        }
        if is_subtype(class, builtins.string) {
            return self.string(value);
        }
        if is_subtype(class, builtins.integer) {
            return self.integer(value);
        }
        if is_subtype(class, builtins.float) {
            self.out.f64(Self::float_of(value));
            return Ok(());
        }
        if is_subtype(class, builtins.dict) {
            return self.dict(value, depth);
        }
        if is_subtype(class, builtins.tuple) {
            return match named_tuple_fields(value) {
                Some(names) => {
                    // SAFETY: a tuple.
                    let items = unsafe { value.cast_unchecked::<PyTuple>() }.iter();
                    self.fields(value, names.into_iter().zip(items.map(Ok)), depth)
                }
                None => self.tuple(value, depth),
            };
        }
        if is_subtype(class, builtins.list) {
            return self.list(value, depth);
        }
        let class_object = value.get_type();
        match library_of(&class_object) {
            Library::Numpy => return self.numpy(value, class, depth),
            Library::Pandas => {
                if let Some(step) = self.pandas(value, &class_object, depth) {
                    return step;
                }
            }
            Library::Other => {}
        }
        if is_subtype(class, raw_type(&known.datetime)) {
            return self.datetime(value);
        }
        if is_subtype(class, raw_type(&known.date)) {
            return self.date(value);
        }
        if is_subtype(class, raw_type(&known.time)) {
            return self.time(value);
        }
        if is_subtype(class, raw_type(&known.timedelta)) {
            let duration = temporal::duration(value).map_err(|error| {
                self.refuse_because(value, "a timedelta whose fields cannot be read".to_owned(), error)
            })?;
            self.out.duration(&duration);
            return Ok(());
        }
        if is_subtype(class, self.decimal) {
            return self.decimal(value);
        }
        if is_subtype(class, raw_type(&known.uuid)) || is_subtype(class, raw_type(&known.pure_path)) {
            return self.str_of(value);
        }
        if is_subtype(class, builtins.set) || is_subtype(class, builtins.frozenset) {
            return self.set(value, depth);
        }
        if is_subtype(class, builtins.bytes) || is_subtype(class, builtins.bytearray) {
            return self.bytes(value);
        }
        if is_pydantic_model(&class_object) {
            let dumped = call_method_with_mode_json(value).map_err(|error| {
                self.refuse_because(
                    value,
                    format!("model_dump(mode=\"json\") failed ({})", describe(self.py, &error)),
                    error,
                )
            })?;
            return self.converted(value, &dumped, depth);
        }
        if class_object
            .hasattr(intern!(self.py, "__dataclass_fields__"))
            .unwrap_or(false)
        {
            return self.dataclass(value, &class_object, depth);
        }
        self.with_default(value, class, depth)
    }

    fn enum_value(&self, member: &Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>, Box<Failure>> {
        member
            .getattr(intern!(self.py, "value"))
            .map_err(|error| self.refuse_because(member, "an Enum member without a value".to_owned(), error))
    }

    /// A value written as its `str()`: a UUID, a path, a Decimal key.
    fn str_of(&mut self, value: &Bound<'py, PyAny>) -> Step {
        let text = value
            .str()
            .map_err(|error| self.refuse_because(value, "a value whose str() failed".to_owned(), error))?;
        self.string(text.as_any())
    }

    fn set(&mut self, set: &Bound<'py, PyAny>, depth: usize) -> Step {
        let items = self
            .py
            .get_type::<PyList>()
            .call1((set,))
            .map_err(|error| self.refuse_because(set, "a set that cannot be iterated".to_owned(), error))?;
        // SAFETY: list(...) returns a list.
        let items = unsafe { items.cast_into_unchecked::<PyList>() };
        // Sorted when the order is well defined, so the same set always gives the same text.
        let (strings, numbers) = (self.builtins.string, [self.builtins.integer, self.builtins.float]);
        let all = |test: &dyn Fn(*mut ffi::PyTypeObject) -> bool| items.iter().all(|item| test(type_of(&item)));
        let sortable = all(&|class| is_subtype(class, strings))
            || all(&|class| class != self.builtins.boolean && numbers.iter().any(|&number| is_subtype(class, number)));
        if sortable && items.sort().is_err() {
            // Comparing failed (a subclass's own ordering, say): keep the iteration order.
            PyErr::take(self.py);
        }
        self.array(set, items.iter(), depth)
    }

    fn bytes(&mut self, value: &Bound<'py, PyAny>) -> Step {
        let copy;
        let data: &[u8] = match value.cast::<PyBytes>() {
            Ok(bytes) => bytes.as_bytes(),
            // SAFETY: otherwise a bytearray (checked by the caller); copied, as it may change.
            Err(_) => {
                copy = unsafe { value.cast_unchecked::<PyByteArray>() }.to_vec();
                &copy
            }
        };
        match self.options.bytes {
            BytesMode::Refuse => Err(self.refuse(
                value,
                format!(
                    "cannot encode {} unless asked (pass bytes=\"base64\" or bytes=\"utf8\")",
                    type_name(value)
                ),
            )),
            BytesMode::Base64 if data.len().div_ceil(3) * 4 > self.room() => {
                self.string_cut_at_horizon(|out, room| out.base64_start(data, room))
            }
            BytesMode::Base64 => {
                self.out.base64(data);
                Ok(())
            }
            BytesMode::Utf8 => match std::str::from_utf8(data) {
                Ok(text) if text.len() > self.room() => {
                    self.string_cut_at_horizon(|out, room| out.string_start(text, room))
                }
                Ok(text) => {
                    self.out.string(text);
                    Ok(())
                }
                Err(error) => Err(self.refuse(
                    value,
                    format!(
                        "{} that are not valid UTF-8 (at byte {}); pass bytes=\"base64\" instead",
                        type_name(value),
                        error.valid_up_to()
                    ),
                )),
            },
        }
    }

    /// numpy scalars and arrays through `tolist()`: Python numbers, bools and nested lists.
    fn numpy(&mut self, value: &Bound<'py, PyAny>, class: *mut ffi::PyTypeObject, depth: usize) -> Step {
        if !value.hasattr(intern!(self.py, "tolist")).unwrap_or(false) {
            return self.with_default(value, class, depth);
        }
        let converted = value.call_method0(intern!(self.py, "tolist")).map_err(|error| {
            self.refuse_because(value, format!("tolist() failed ({})", describe(self.py, &error)), error)
        })?;
        if type_of(&converted) == class {
            // A scalar with no Python equivalent (numpy.longdouble) gives itself back.
            return self.with_default(value, class, depth);
        }
        self.converted(value, &converted, depth)
    }

    /// pandas objects: None when `value` is left to the generic checks (a Timedelta is a timedelta).
    fn pandas(&mut self, value: &Bound<'py, PyAny>, class: &Bound<'py, PyType>, depth: usize) -> Option<Step> {
        let py = self.py;
        let name = class.name().ok()?.to_cow().ok()?.into_owned();
        let converted = match name.as_str() {
            "NaTType" | "NAType" => {
                self.out.null();
                return Some(Ok(()));
            }
            "DataFrame" => value.call_method(intern!(py, "to_dict"), (), Some(&orient_records(py).ok()?)),
            "Series" => value.call_method0(intern!(py, "to_dict")),
            _ if is_subtype(type_of(value), raw_type(&self.known.datetime)) => {
                // A Timestamp may have nanoseconds, which only its own isoformat() knows.
                value.call_method0(intern!(py, "isoformat"))
            }
            _ if value.hasattr(intern!(py, "tolist")).unwrap_or(false) => value.call_method0(intern!(py, "tolist")),
            _ => return None,
        };
        Some(match converted {
            Ok(converted) => self.converted(value, &converted, depth),
            Err(error) => Err(self.refuse_because(
                value,
                format!("its conversion failed ({})", describe(py, &error)),
                error,
            )),
        })
    }

    fn dataclass(&mut self, value: &Bound<'py, PyAny>, class: &Bound<'py, PyType>, depth: usize) -> Step {
        if value.is_instance_of::<PyType>() {
            // The class itself, not an instance.
            return self.with_default(value, type_of(value), depth);
        }
        let names = match self.dataclass_fields.iter().find(|(known, _)| known.is(class)) {
            Some((_, names)) => names.clone(),
            None => {
                let names = self.dataclass_field_names(value)?;
                self.dataclass_fields.push((class.clone(), names.clone()));
                names
            }
        };
        let fields = names.iter().map(|name| (name.clone(), value.getattr(name)));
        self.fields(value, fields, depth)
    }

    fn dataclass_field_names(&self, value: &Bound<'py, PyAny>) -> Result<FieldNames<'py>, Box<Failure>> {
        let read = || -> PyResult<FieldNames<'py>> {
            let fields = self.known.dataclass_fields.bind(self.py).call1((value,))?;
            fields
                .try_iter()?
                .map(|field| Ok(field?.getattr(intern!(self.py, "name"))?.cast_into::<PyString>()?))
                .collect()
        };
        read()
            .map_err(|error| self.refuse_because(value, "a dataclass whose fields cannot be listed".to_owned(), error))
    }

    fn with_default(&mut self, value: &Bound<'py, PyAny>, class: *mut ffi::PyTypeObject, depth: usize) -> Step {
        let options = self.options;
        let Some(default) = &options.default else {
            let what = with_article(&type_name(value));
            return Err(self.refuse(value, format!("cannot encode {what} (pass default= to convert it)")));
        };
        let converted = default.bind(self.py).call1((value,)).map_err(|error| {
            self.refuse_because(value, format!("default= raised {}", describe(self.py, &error)), error)
        })?;
        if type_of(&converted) == class {
            let what = type_name(value);
            return Err(self.refuse(
                value,
                format!("default= returned another {what}; it must return something JSON can carry"),
            ));
        }
        self.converted(value, &converted, depth)
    }

    /// Write what `original` was converted to (an Enum's value, a model's dump, `default`'s
    /// result), in its place.
    fn converted(&mut self, original: &Bound<'py, PyAny>, converted: &Bound<'py, PyAny>, depth: usize) -> Step {
        self.enter_conversion(original)?;
        let step = self.value(converted, depth);
        self.conversions -= 1;
        step
    }

    /// Refuse conversions that keep giving values needing another (a `default` returning
    /// objects it is then called on again, say), which would otherwise recurse without end.
    fn enter_conversion(&mut self, original: &Bound<'py, PyAny>) -> Step {
        if self.conversions >= MAX_DEPTH {
            return Err(self.refuse(
                original,
                format!("conversions nested more than {MAX_DEPTH} deep (each value needing another)"),
            ));
        }
        self.conversions += 1;
        Ok(())
    }

    fn refuse(&self, value: &Bound<'py, PyAny>, detail: String) -> Box<Failure> {
        Box::new(Failure {
            reversed_path: Vec::new(),
            type_name: type_name(value),
            detail,
            cause: None,
            first_seen_at: None,
            reached_cap: false,
        })
    }

    fn refuse_because(&self, value: &Bound<'py, PyAny>, detail: String, cause: PyErr) -> Box<Failure> {
        let mut failure = self.refuse(value, detail);
        failure.cause = Some(cause);
        failure
    }
}

/// The segment leading to a dict's value: its key as Python would write it.
fn key_segment(key: &Bound<'_, PyAny>) -> PathSegment {
    if let Ok(text) = key.cast::<PyString>() {
        return PathSegment::Key(text.to_string_lossy().into_owned());
    }
    let repr = key.repr().map(|repr| repr.to_string_lossy().into_owned());
    PathSegment::PythonKey(repr.unwrap_or_else(|_| format!("<{}>", type_name(key))))
}

/// `myapp.Widget`, `datetime.timezone`; builtins by their bare name (`bytes`, `tuple`).
pub fn type_name(value: &Bound<'_, PyAny>) -> String {
    let class = value.get_type();
    let qualified = || -> PyResult<String> {
        let qualname = class.qualname()?.to_string();
        let module = class.module()?.to_string();
        Ok(if module == "builtins" {
            qualname
        } else {
            format!("{module}.{qualname}")
        })
    };
    qualified().unwrap_or_else(|_| "object".to_owned())
}

fn with_article(name: &str) -> String {
    let vowel = name.starts_with(['a', 'e', 'i', 'o', 'A', 'E', 'I', 'O']);
    format!("{} {name}", if vowel { "an" } else { "a" })
}

/// `ValueError: boom`, for messages; the exception itself becomes the `__cause__`.
fn describe(py: Python<'_>, error: &PyErr) -> String {
    let kind = error
        .get_type(py)
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "Exception".to_owned());
    match error.value(py).str().map(|text| text.to_string()) {
        Ok(text) if !text.is_empty() => format!("{kind}: {text}"),
        _ => kind,
    }
}

fn is_non_finite_decimal(text: &str) -> bool {
    matches!(text.trim_start_matches('-'), "NaN" | "sNaN" | "Infinity")
}

enum Library {
    Numpy,
    Pandas,
    Other,
}

/// Which library a type comes from, by its module's name: checking `isinstance` would mean
/// importing numpy and pandas, which toolproof never does.
fn library_of(class: &Bound<'_, PyType>) -> Library {
    let Ok(module) = class.module() else {
        return Library::Other;
    };
    let module = module.to_cow().unwrap_or_default();
    let top = module.split('.').next().unwrap_or_default();
    match top {
        "numpy" => Library::Numpy,
        "pandas" => Library::Pandas,
        _ => Library::Other,
    }
}

/// A NamedTuple's field names (`_fields`), or None for any other tuple.
fn named_tuple_fields<'py>(value: &Bound<'py, PyAny>) -> Option<Vec<Bound<'py, PyString>>> {
    let fields = value.get_type().getattr(intern!(value.py(), "_fields")).ok()?;
    let fields = fields.cast::<PyTuple>().ok()?;
    fields.iter().map(|name| name.cast_into::<PyString>().ok()).collect()
}

fn is_pydantic_model(class: &Bound<'_, PyType>) -> bool {
    let py = class.py();
    class.hasattr(intern!(py, "__pydantic_serializer__")).unwrap_or(false)
        && class.hasattr(intern!(py, "model_dump")).unwrap_or(false)
}

fn call_method_with_mode_json<'py>(model: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = model.py();
    let kwargs = PyDict::new(py);
    kwargs.set_item(intern!(py, "mode"), intern!(py, "json"))?;
    model.call_method(intern!(py, "model_dump"), (), Some(&kwargs))
}

fn orient_records(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let kwargs = PyDict::new(py);
    kwargs.set_item(intern!(py, "orient"), intern!(py, "records"))?;
    Ok(kwargs)
}
