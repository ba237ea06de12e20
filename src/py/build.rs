//! Python objects built straight from JSON text by the fast path.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::args::fast_path::{Builder, FastPlan};
use crate::prefetch::prefetch_address;

/// The declared property names of one schema as Python strings, made once per tool so that every
/// call reuses them (and their cached hashes) instead of allocating new keys.
///
/// The first keys are held inline: a caller keeping the cache in its own record (the road object)
/// then knows their addresses as soon as that record is read, and can ask for them at once.
pub struct KeyCache {
    first: [Option<Py<PyString>>; INLINE_KEYS],
    rest: Box<[Py<PyString>]>,
    known_strings: Box<[Py<PyString>]>,
}

/// Keys held inline, and asked for when a run starts: most tools declare no more.
const INLINE_KEYS: usize = 8;

impl KeyCache {
    /// Start loading the first keys' objects, whose hashes the dict reads as members are set
    /// (see `crate::prefetch`).
    #[inline]
    pub fn prefetch(&self) {
        for key in self.first.iter().map_while(Option::as_ref) {
            prefetch_address(key.as_ptr().cast::<u8>());
        }
    }

    /// The key object of declared property number `id`.
    #[inline]
    pub fn get(&self, id: u32) -> Option<&Py<PyString>> {
        let id = id as usize;
        match self.first.get(id) {
            Some(key) => key.as_ref(),
            None => self.rest.get(id - INLINE_KEYS),
        }
    }

    pub fn new(py: Python<'_>, plan: &FastPlan) -> Self {
        let mut keys = plan.key_names().iter().map(|name| PyString::intern(py, name).unbind());
        KeyCache {
            first: std::array::from_fn(|_| keys.next()),
            rest: keys.collect(),
            known_strings: plan
                .known_strings()
                .iter()
                .map(|text| PyString::intern(py, text).unbind())
                .collect(),
        }
    }
}

pub struct PyBuilder<'py, 'k> {
    py: Python<'py>,
    keys: &'k KeyCache,
    undeclared: RecentKeys<'py>,
}

impl<'py, 'k> PyBuilder<'py, 'k> {
    pub fn new(py: Python<'py>, keys: &'k KeyCache) -> Self {
        PyBuilder {
            py,
            keys,
            undeclared: RecentKeys::default(),
        }
    }
}

/// Object keys as made, for reuse: the objects of an array repeat their keys, and one string per
/// distinct key spares an allocation per repeat. Direct-mapped by a hash of the key; a key that
/// misses is made and takes the slot. A small document's few keys are made directly.
#[derive(Default)]
pub struct RecentKeys<'py> {
    slots: Vec<Option<Bound<'py, PyString>>>,
    made_directly: usize,
}

/// Slots of a `RecentKeys` (a power of two).
const RECENT_KEY_SLOTS: usize = 64;
/// Longer keys are rarely repeated, and are made each time.
const RECENT_KEY_MAX_LEN: usize = 32;
/// Keys made before the cache is set up.
const KEYS_BEFORE_CACHING: usize = 16;

impl<'py> RecentKeys<'py> {
    pub fn key(&mut self, py: Python<'py>, text: &str) -> Bound<'py, PyString> {
        if text.len() > RECENT_KEY_MAX_LEN || self.made_directly < KEYS_BEFORE_CACHING {
            self.made_directly += 1;
            return PyString::new(py, text);
        }
        if self.slots.is_empty() {
            self.slots.resize(RECENT_KEY_SLOTS, None);
        }
        let hash = text.bytes().fold(text.len() as u64, |hash, byte| {
            (hash.rotate_left(5) ^ u64::from(byte)).wrapping_mul(0x517c_c1b7_2722_0a95)
        });
        let slot = &mut self.slots[(hash >> 58) as usize % RECENT_KEY_SLOTS];
        if let Some(key) = slot {
            if key.to_str().is_ok_and(|known| known == text) {
                return key.clone();
            }
        }
        let key = PyString::new(py, text);
        *slot = Some(key.clone());
        key
    }
}

/// A key as the builder hands it to a dict: a declared name is lent from the road's `KeyCache`
/// (the dict takes its own reference), so no reference is taken and given back per key.
pub enum PyKey<'py, 'k> {
    Declared(&'k Py<PyString>),
    Made(Bound<'py, PyString>),
}

impl PyKey<'_, '_> {
    #[inline]
    fn as_ptr(&self) -> *mut pyo3::ffi::PyObject {
        match self {
            PyKey::Declared(key) => key.as_ptr(),
            PyKey::Made(key) => key.as_ptr(),
        }
    }
}

impl<'py, 'k> Builder for PyBuilder<'py, 'k> {
    type Value = Bound<'py, PyAny>;
    type Key = PyKey<'py, 'k>;
    type Object = Bound<'py, PyDict>;
    type Array = Vec<Bound<'py, PyAny>>;

    #[inline]
    fn null(&mut self) -> Option<Self::Value> {
        Some(self.py.None().into_bound(self.py))
    }

    #[inline]
    fn boolean(&mut self, value: bool) -> Option<Self::Value> {
        Some(pyo3::types::PyBool::new(self.py, value).to_owned().into_any())
    }

    #[inline]
    fn integer(&mut self, value: i64) -> Option<Self::Value> {
        value.into_pyobject(self.py).ok().map(Bound::into_any)
    }

    #[inline]
    fn float(&mut self, value: f64) -> Option<Self::Value> {
        Some(pyo3::types::PyFloat::new(self.py, value).into_any())
    }

    #[inline]
    fn string(&mut self, value: &str) -> Option<Self::Value> {
        Some(PyString::new(self.py, value).into_any())
    }

    #[inline]
    fn known_string(&mut self, id: u32, value: &str) -> Option<Self::Value> {
        match self.keys.known_strings.get(id as usize) {
            Some(text) => Some(text.bind(self.py).clone().into_any()),
            None => self.string(value),
        }
    }

    #[inline]
    fn key(&mut self, declared: Option<u32>, text: &str) -> Option<Self::Key> {
        match declared.and_then(|id| self.keys.get(id)) {
            Some(key) => Some(PyKey::Declared(key)),
            None => Some(PyKey::Made(self.undeclared.key(self.py, text))),
        }
    }

    #[inline]
    fn declared_key(&mut self, id: u32, plan: &FastPlan) -> Option<Self::Key> {
        match self.keys.get(id) {
            Some(key) => Some(PyKey::Declared(key)),
            None => Some(PyKey::Made(
                self.undeclared.key(self.py, plan.key_names().get(id as usize)?),
            )),
        }
    }

    #[inline]
    fn object(&mut self) -> Option<Self::Object> {
        Some(PyDict::new(self.py))
    }

    #[inline]
    fn set(&mut self, object: &mut Self::Object, key: Self::Key, value: Self::Value) -> Option<()> {
        let before = object.len();
        // SAFETY: all three are live objects held by this thread, which holds the GIL;
        // PyDict_SetItem takes its own references and leaves ours to be dropped as usual.
        let status = unsafe { pyo3::ffi::PyDict_SetItem(object.as_ptr(), key.as_ptr(), value.as_ptr()) };
        if status == 0 {
            // A key sent twice leaves the size as it was.
            (object.len() > before).then_some(())
        } else {
            // The pending exception (memory) is dropped; the full road will meet it again.
            drop(PyErr::take(self.py));
            None
        }
    }

    #[inline]
    fn set_declared(&mut self, object: &mut Self::Object, key: Self::Key, value: Self::Value) -> Option<()> {
        // SAFETY: as in `set`.
        let status = unsafe { pyo3::ffi::PyDict_SetItem(object.as_ptr(), key.as_ptr(), value.as_ptr()) };
        if status == 0 {
            Some(())
        } else {
            drop(PyErr::take(self.py));
            None
        }
    }

    #[inline]
    fn finish_object(&mut self, object: Self::Object) -> Option<Self::Value> {
        Some(object.into_any())
    }

    #[inline]
    fn array(&mut self) -> Option<Self::Array> {
        Some(Vec::new())
    }

    #[inline]
    fn push(&mut self, array: &mut Self::Array, value: Self::Value) -> Option<()> {
        array.push(value);
        Some(())
    }

    #[inline]
    fn finish_array(&mut self, array: Self::Array) -> Option<Self::Value> {
        PyList::new(self.py, array).ok().map(Bound::into_any)
    }
}
