//! Reading dates, times, datetimes and timedeltas out of Python objects.
//!
//! abi3 has no datetime C API, and both `isoformat()` (300-600 ns for an aware datetime) and eight
//! attribute reads (about 160 ns) cost more than the rest of a typical record's encoding. The
//! standard types keep their fields in a layout CPython has not changed since 3.6
//! (`Include/datetime.h`: the header, a cached hash, a `hastzinfo` flag, then packed bytes), so
//! for instances of exactly those types the fields are read from it directly, but only once this
//! interpreter has shown that it agrees: the instance sizes match and probe objects read back the
//! values they were built with. Otherwise, and for subclasses, the fields are read as attributes.

use std::ffi::c_char;
use std::mem::{offset_of, size_of};

use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use crate::encode::duration::Duration;
use crate::encode::iso8601::{Date, Time, UtcOffset};

/// `PyDateTime_Date`.
#[repr(C)]
struct RawDate {
    header: ffi::PyObject,
    hashcode: ffi::Py_hash_t,
    hastzinfo: c_char,
    data: [u8; 4],
}

/// `PyDateTime_Time` (aware; a naive time is allocated without the trailing `tzinfo`).
#[repr(C)]
struct RawTime {
    header: ffi::PyObject,
    hashcode: ffi::Py_hash_t,
    hastzinfo: c_char,
    data: [u8; 6],
    fold: u8,
    tzinfo: *mut ffi::PyObject,
}

/// `PyDateTime_DateTime` (aware; a naive datetime is allocated without the trailing `tzinfo`).
#[repr(C)]
struct RawDateTime {
    header: ffi::PyObject,
    hashcode: ffi::Py_hash_t,
    hastzinfo: c_char,
    data: [u8; 10],
    fold: u8,
    tzinfo: *mut ffi::PyObject,
}

/// A time of day as read, before its tzinfo is asked for an offset.
pub struct Clock<'py> {
    pub time: Time,
    pub zone: Zone<'py>,
}

pub enum Zone<'py> {
    Naive,
    /// `datetime.timezone.utc`, told apart without touching its reference count.
    Utc,
    Other(Bound<'py, PyAny>),
}

/// A time of day read from the layout, its tzinfo still a bare pointer (null when naive).
struct RawClock {
    time: Time,
    tzinfo: *mut ffi::PyObject,
}

/// Reads the fields of `datetime.date`, `datetime.time` and `datetime.datetime` instances.
pub struct TemporalReader {
    date: Py<PyType>,
    time: Py<PyType>,
    datetime: Py<PyType>,
    utc: Py<PyAny>,
    /// Whether this interpreter's instances have the layout above (checked by `verify_layout`).
    layout_verified: bool,
}

impl TemporalReader {
    pub fn new(
        date: &Bound<'_, PyType>,
        time: &Bound<'_, PyType>,
        datetime: &Bound<'_, PyType>,
        utc: &Bound<'_, PyAny>,
    ) -> Self {
        let mut reader = TemporalReader {
            date: date.clone().unbind(),
            time: time.clone().unbind(),
            datetime: datetime.clone().unbind(),
            utc: utc.clone().unbind(),
            layout_verified: false,
        };
        reader.layout_verified = reader.verify_layout(date.py()).unwrap_or(false);
        reader
    }

    /// Build probe values and read them back through the layout. Only the fixed part every
    /// instance of the right size has is read, and a tzinfo pointer is compared, never followed,
    /// so a layout that differs gives a wrong answer here, not a crash.
    fn verify_layout(&self, py: Python<'_>) -> PyResult<bool> {
        let (date, time, datetime) = (self.date.bind(py), self.time.bind(py), self.datetime.bind(py));
        let basic_size = |class: &Bound<'_, PyType>| -> PyResult<usize> { class.getattr("__basicsize__")?.extract() };
        if basic_size(date)? != size_of::<RawDate>()
            || basic_size(time)? != size_of::<RawTime>()
            || basic_size(datetime)? != size_of::<RawDateTime>()
        {
            return Ok(false);
        }
        let module = py.import("datetime")?;
        let timezone = module.getattr("timezone")?;
        let five_hours_west = timezone.call1((module.getattr("timedelta")?.call1((0, -5 * 3600))?,))?;
        let zones = [timezone.getattr("utc")?, five_hours_west, py.None().into_bound(py)];
        let probes: [(u16, u8, u8, u8, u8, u8, u32); 4] = [
            (1, 1, 1, 0, 0, 0, 0),
            (2024, 5, 6, 7, 8, 9, 123_456),
            (9999, 12, 31, 23, 59, 59, 999_999),
            (1970, 2, 28, 12, 30, 1, 1),
        ];
        for (year, month, day, hour, minute, second, microsecond) in probes {
            let expected_time = Time {
                hour,
                minute,
                second,
                microsecond,
                offset: None,
            };
            for zone in &zones {
                let expected_zone = if zone.is_none() {
                    std::ptr::null_mut()
                } else {
                    zone.as_ptr()
                };
                let kwargs = PyDict::new(py);
                kwargs.set_item("tzinfo", zone)?;
                let value = datetime.call((year, month, day, hour, minute, second, microsecond), Some(&kwargs))?;
                // SAFETY: `value` is a datetime and the instance size matches `RawDateTime`.
                let (read_date, clock) = unsafe { raw_datetime(&value) };
                if read_date != (Date { year, month, day })
                    || clock.time != expected_time
                    || clock.tzinfo != expected_zone
                {
                    return Ok(false);
                }
                let value = time.call((hour, minute, second, microsecond), Some(&kwargs))?;
                // SAFETY: as above, for `RawTime`.
                let clock = unsafe { raw_time(&value) };
                if clock.time != expected_time || clock.tzinfo != expected_zone {
                    return Ok(false);
                }
            }
            // SAFETY: as above, for `RawDate`.
            if unsafe { raw_date(&date.call1((year, month, day))?) } != (Date { year, month, day }) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    #[inline]
    pub fn is_exact_date(&self, class: *mut ffi::PyTypeObject) -> bool {
        class == self.date.as_ptr().cast()
    }

    #[inline]
    pub fn is_exact_time(&self, class: *mut ffi::PyTypeObject) -> bool {
        class == self.time.as_ptr().cast()
    }

    #[inline]
    pub fn is_exact_datetime(&self, class: *mut ffi::PyTypeObject) -> bool {
        class == self.datetime.as_ptr().cast()
    }

    /// A `datetime.datetime` (or subclass) instance's date and time of day.
    #[inline]
    pub fn datetime<'py>(&self, value: &Bound<'py, PyAny>) -> PyResult<(Date, Clock<'py>)> {
        if self.layout_verified && self.is_exact_datetime(type_of(value)) {
            // SAFETY: an exact datetime, in the layout `verify_layout` checked.
            let (date, clock) = unsafe { raw_datetime(value) };
            return Ok((date, self.clock_from_raw(value.py(), clock)));
        }
        Ok((date_from_attributes(value)?, self.clock_from_attributes(value)?))
    }

    /// A `datetime.date` (or subclass, but not datetime) instance.
    #[inline]
    pub fn date(&self, value: &Bound<'_, PyAny>) -> PyResult<Date> {
        if self.layout_verified && self.is_exact_date(type_of(value)) {
            // SAFETY: an exact date, in the layout `verify_layout` checked.
            return Ok(unsafe { raw_date(value) });
        }
        date_from_attributes(value)
    }

    /// A `datetime.time` (or subclass) instance.
    #[inline]
    pub fn time<'py>(&self, value: &Bound<'py, PyAny>) -> PyResult<Clock<'py>> {
        if self.layout_verified && self.is_exact_time(type_of(value)) {
            // SAFETY: an exact time, in the layout `verify_layout` checked.
            return Ok(self.clock_from_raw(value.py(), unsafe { raw_time(value) }));
        }
        self.clock_from_attributes(value)
    }

    fn clock_from_raw<'py>(&self, py: Python<'py>, raw: RawClock) -> Clock<'py> {
        let zone = if raw.tzinfo.is_null() {
            Zone::Naive
        } else if raw.tzinfo == self.utc.as_ptr() {
            Zone::Utc
        } else {
            // SAFETY: a non-null tzinfo pointer of a live time or datetime is a live object it holds.
            self.zone(unsafe { Bound::from_borrowed_ptr(py, raw.tzinfo) })
        };
        Clock { time: raw.time, zone }
    }

    fn clock_from_attributes<'py>(&self, value: &Bound<'py, PyAny>) -> PyResult<Clock<'py>> {
        let py = value.py();
        Ok(Clock {
            time: Time {
                hour: value.getattr(intern!(py, "hour"))?.extract()?,
                minute: value.getattr(intern!(py, "minute"))?.extract()?,
                second: value.getattr(intern!(py, "second"))?.extract()?,
                microsecond: value.getattr(intern!(py, "microsecond"))?.extract()?,
                offset: None,
            },
            zone: self.zone(value.getattr(intern!(py, "tzinfo"))?),
        })
    }

    fn zone<'py>(&self, tzinfo: Bound<'py, PyAny>) -> Zone<'py> {
        if tzinfo.is_none() {
            Zone::Naive
        } else if tzinfo.as_ptr() == self.utc.as_ptr() {
            Zone::Utc
        } else {
            Zone::Other(tzinfo)
        }
    }
}

/// # Safety
/// `value` must be a `datetime.date` instance of `RawDate`'s size.
unsafe fn raw_date(value: &Bound<'_, PyAny>) -> Date {
    date_from_bytes(&read_field(value, offset_of!(RawDate, data)))
}

/// # Safety
/// `value` must be a `datetime.time` instance, of `RawTime`'s size when aware.
unsafe fn raw_time(value: &Bound<'_, PyAny>) -> RawClock {
    let has_tzinfo: c_char = read_field(value, offset_of!(RawTime, hastzinfo));
    RawClock {
        time: time_from_bytes(&read_field(value, offset_of!(RawTime, data))),
        tzinfo: if has_tzinfo != 0 {
            read_field(value, offset_of!(RawTime, tzinfo))
        } else {
            std::ptr::null_mut()
        },
    }
}

/// # Safety
/// `value` must be a `datetime.datetime` instance, of `RawDateTime`'s size when aware.
unsafe fn raw_datetime(value: &Bound<'_, PyAny>) -> (Date, RawClock) {
    let data: [u8; 10] = read_field(value, offset_of!(RawDateTime, data));
    let has_tzinfo: c_char = read_field(value, offset_of!(RawDateTime, hastzinfo));
    let clock = RawClock {
        time: time_from_bytes(data[4..].try_into().expect("6 bytes")),
        tzinfo: if has_tzinfo != 0 {
            read_field(value, offset_of!(RawDateTime, tzinfo))
        } else {
            std::ptr::null_mut()
        },
    };
    (date_from_bytes(data[..4].try_into().expect("4 bytes")), clock)
}

#[inline]
pub fn type_of(value: &Bound<'_, PyAny>) -> *mut ffi::PyTypeObject {
    // SAFETY: a live object always has a type.
    unsafe { ffi::Py_TYPE(value.as_ptr()) }
}

/// Read a `T` at `offset` bytes into `value`'s memory.
///
/// # Safety
/// `value` must be an object whose memory holds a valid `T` at that offset.
#[inline(always)]
unsafe fn read_field<T: Copy>(value: &Bound<'_, PyAny>, offset: usize) -> T {
    value.as_ptr().cast::<u8>().add(offset).cast::<T>().read_unaligned()
}

/// `data[0..4]` of a date or datetime: the year big-endian, the month, the day.
fn date_from_bytes(data: &[u8; 4]) -> Date {
    Date {
        year: u16::from_be_bytes([data[0], data[1]]),
        month: data[2],
        day: data[3],
    }
}

/// The 6 bytes of a time: hour, minute, second, the microsecond as 3 bytes big-endian.
fn time_from_bytes(data: &[u8; 6]) -> Time {
    Time {
        hour: data[0],
        minute: data[1],
        second: data[2],
        microsecond: u32::from_be_bytes([0, data[3], data[4], data[5]]),
        offset: None,
    }
}

fn date_from_attributes(value: &Bound<'_, PyAny>) -> PyResult<Date> {
    let py = value.py();
    Ok(Date {
        year: value.getattr(intern!(py, "year"))?.extract()?,
        month: value.getattr(intern!(py, "month"))?.extract()?,
        day: value.getattr(intern!(py, "day"))?.extract()?,
    })
}

/// A `timedelta`'s normalized fields (`days` carries the sign); pandas' nanoseconds are dropped.
pub fn duration(value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let py = value.py();
    Ok(Duration::from_timedelta(
        value.getattr(intern!(py, "days"))?.extract()?,
        value.getattr(intern!(py, "seconds"))?.extract()?,
        value.getattr(intern!(py, "microseconds"))?.extract()?,
    ))
}

/// The offset `value.utcoffset()` gives: None for a naive value (a tzinfo may say so too).
pub fn utc_offset(value: &Bound<'_, PyAny>) -> PyResult<Option<UtcOffset>> {
    offset_from_timedelta(&value.call_method0(intern!(value.py(), "utcoffset"))?)
}

/// A `datetime.timezone`'s fixed offset (what `utcoffset(None)` gives).
pub fn fixed_offset(timezone: &Bound<'_, PyAny>) -> PyResult<Option<UtcOffset>> {
    let py = timezone.py();
    offset_from_timedelta(&timezone.call_method1(intern!(py, "utcoffset"), (py.None(),))?)
}

fn offset_from_timedelta(offset: &Bound<'_, PyAny>) -> PyResult<Option<UtcOffset>> {
    if offset.is_none() {
        return Ok(None);
    }
    let py = offset.py();
    Ok(Some(UtcOffset::from_timedelta(
        offset.getattr(intern!(py, "days"))?.extract()?,
        offset.getattr(intern!(py, "seconds"))?.extract()?,
        offset.getattr(intern!(py, "microseconds"))?.extract()?,
    )))
}
