//! What a run reads about each node, packed small and side by side in one block of bytes.
//!
//! A process holds many roads and a call touches one of them: the nodes it reads are rarely in
//! the cache, so what a run must read per value decides its speed more than the work it does.
//! A `Node` as compiled spreads its keywords over several cache lines and its property names over
//! separate allocations; the index keeps what most values need in one allocation:
//!
//! - a table of 12-byte node records (types, what the record says, and two numbers), first;
//! - per object, its rule, then its properties (16 bytes each), then their names, side by side;
//! - per string `enum`/`const`, its entries, then the strings.
//!
//! Values whose node checks more (bounds, lengths, patterns, branches, prefixes, item counts,
//! unique items) read the full node as before.

use std::sync::Arc;

use super::{Additional, Node, NodeId};
use crate::prefetch::prefetch_bytes;
use crate::schema::shape::TypeSet;

/// No such entry.
pub(super) const NONE: u32 = u32::MAX;

/// Objects with more properties than this find a key through the node's hash index.
pub(super) const LINEAR_LOOKUP_MAX: usize = 16;

/// Lines of the block a run asks for when it starts: a tool's schema fits in a few.
const PREFETCH_LINES: usize = 8;

const NODE_BYTES: usize = 12;
const OBJECT_BYTES: usize = 24;
const PROPERTY_BYTES: usize = 16;
const STRING_BYTES: usize = 12;
/// Set in a property's name length when JSON writes the name with an escape (a quote, a
/// backslash or a control character): such a key is only ever found by `lookup`, decoded.
const ESCAPED_NAME: u32 = 1 << 31;

/// What a node record lets a run do without the full node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum HotKind {
    /// The full node decides.
    Full,
    /// Only `types` constrains the value: no `enum`/`const`, bounds, lengths, `pattern`,
    /// branches, and nothing left to the full road. `object` is its object rule or `NONE`; `items`
    /// its item schema or `NONE` (any item) when it reads arrays here, else the full node reads them.
    Plain,
    /// A string `enum`/`const` with nothing else on strings: `object` is its list of strings.
    /// Values other than strings read the full node.
    Strings,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Hot {
    pub types: TypeSet,
    pub kind: HotKind,
    /// `Plain`: arrays read here; `items` says their schema.
    pub arrays: bool,
    pub object: u32,
    pub items: u32,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum HotAdditional {
    Forbidden,
    Anything,
    Node(u32),
}

/// An object rule as read from the block.
#[derive(Clone, Copy, Debug)]
pub(super) struct HotObject {
    /// Where its properties start in the block.
    properties: usize,
    pub count: usize,
    pub required_mask: u64,
    pub additional: HotAdditional,
    /// The node (after bare `$ref`s) holding the full rule.
    pub node: u32,
}

/// A declared property as read from the block.
#[derive(Clone, Copy, Debug)]
pub(super) struct HotProperty {
    pub key_id: u32,
    pub node: u32,
}

/// Cloned cheaply: a caller may keep a copy beside the plan (see `super::IndexedPlan`).
#[derive(Clone, Debug)]
pub(super) struct Index {
    /// Node records, then object rules and string lists, each followed by its names.
    bytes: Arc<[u8]>,
    nodes: usize,
}

impl Default for Index {
    fn default() -> Self {
        Index {
            bytes: Arc::from(Vec::new()),
            nodes: 0,
        }
    }
}

/// Builds the block: node records are written last, once every record they point to has a place.
struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    fn word(&mut self, value: u32) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    fn set_word(&mut self, at: usize, value: u32) {
        self.bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }

    fn place(&self) -> Option<u32> {
        u32::try_from(self.bytes.len()).ok()
    }
}

impl Index {
    /// The index of `nodes`, or `None` when a number does not fit in 32 bits (the run then
    /// reads the full nodes only).
    pub fn build(nodes: &[Node]) -> Option<Index> {
        let mut writer = Writer {
            bytes: vec![0; nodes.len().checked_mul(NODE_BYTES)?],
        };
        for id in 0..nodes.len() {
            let hot = match resolve_id(nodes, id) {
                Some(target) => hot_of(&mut writer, &nodes[target], target)?,
                // A cycle of bare `$ref`s: the full path finds it and gives up.
                None => Hot {
                    types: TypeSet::EMPTY,
                    kind: HotKind::Full,
                    arrays: false,
                    object: NONE,
                    items: NONE,
                },
            };
            let at = id * NODE_BYTES;
            writer.bytes[at] = hot.types.bits();
            writer.bytes[at + 1] = match hot.kind {
                HotKind::Full => 0,
                HotKind::Plain => 1,
                HotKind::Strings => 2,
            } | if hot.arrays { 4 } else { 0 };
            writer.set_word(at + 4, hot.object);
            writer.set_word(at + 8, hot.items);
        }
        Some(Index {
            bytes: Arc::from(writer.bytes),
            nodes: nodes.len(),
        })
    }

    #[inline]
    fn word(&self, at: usize) -> u32 {
        word(&self.record::<4>(at), 0)
    }

    /// The `N` bytes at `at`, read with one bounds check.
    #[inline]
    fn record<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut record = [0; N];
        record.copy_from_slice(&self.bytes[at..at + N]);
        record
    }

    /// Start loading the block's first lines, where a run finds the root and its members, so
    /// that they arrive together rather than one after another (see `crate::prefetch`).
    #[inline]
    pub fn prefetch(&self) {
        prefetch_bytes(&self.bytes, PREFETCH_LINES);
    }

    #[inline]
    pub fn hot(&self, id: NodeId) -> Option<Hot> {
        if id >= self.nodes {
            return None;
        }
        let record = self.record::<NODE_BYTES>(id * NODE_BYTES);
        let flags = record[1];
        Some(Hot {
            types: TypeSet::from_bits(record[0]),
            kind: match flags & 3 {
                1 => HotKind::Plain,
                2 => HotKind::Strings,
                _ => HotKind::Full,
            },
            arrays: flags & 4 != 0,
            object: word(&record, 4),
            items: word(&record, 8),
        })
    }

    #[inline]
    pub fn object(&self, object: u32) -> HotObject {
        let at = object as usize;
        let record = self.record::<OBJECT_BYTES>(at);
        HotObject {
            properties: at + OBJECT_BYTES,
            count: word(&record, 8) as usize,
            required_mask: u64::from(word(&record, 0)) | (u64::from(word(&record, 4)) << 32),
            additional: match word(&record, 12) {
                0 => HotAdditional::Forbidden,
                1 => HotAdditional::Anything,
                _ => HotAdditional::Node(word(&record, 16)),
            },
            node: word(&record, 20),
        }
    }

    #[inline]
    pub fn property(&self, object: &HotObject, position: usize) -> HotProperty {
        let record = self.record::<PROPERTY_BYTES>(object.properties + position * PROPERTY_BYTES);
        HotProperty {
            key_id: word(&record, 8),
            node: word(&record, 12),
        }
    }

    /// The bytes at `at` (a place and a length, as written by `name`) in the block.
    #[inline]
    fn text(&self, at: usize) -> &[u8] {
        let start = self.word(at) as usize;
        let length = (self.word(at + 4) & !ESCAPED_NAME) as usize;
        &self.bytes[start..start + length]
    }

    /// The property of `object` (of at most `LINEAR_LOOKUP_MAX`) whose name the key at the
    /// start of `ahead` (the text after its opening quote) is written as, byte for byte and
    /// without escapes: its position, the length of its name, and its record. Starts at `hint`, as `lookup` does; `None`
    /// when no name is written so, and the key is then decoded and looked up.
    #[inline]
    pub fn written_key(&self, object: &HotObject, ahead: &[u8], hint: usize) -> Option<(usize, usize, HotProperty)> {
        let count = object.count;
        if count > LINEAR_LOOKUP_MAX {
            return None;
        }
        let mut position = if hint < count { hint } else { 0 };
        for _ in 0..count {
            let record = self.record::<PROPERTY_BYTES>(object.properties + position * PROPERTY_BYTES);
            // An escaped name has its flag set: a length no text reaches.
            let length = word(&record, 4) as usize;
            if ahead.get(length) == Some(&b'"') {
                let start = word(&record, 0) as usize;
                if self
                    .bytes
                    .get(start..start + length)
                    .is_some_and(|name| same_bytes(&ahead[..length], name))
                {
                    let property = HotProperty {
                        key_id: word(&record, 8),
                        node: word(&record, 12),
                    };
                    return Some((position, length, property));
                }
            }
            position += 1;
            if position == count {
                position = 0;
            }
        }
        None
    }

    /// The property of `object` that `key` names. Models send keys in the order the schema
    /// declares them, so the search starts at `hint` (just after the previous match) and usually
    /// ends there.
    #[inline]
    pub fn lookup(&self, nodes: &[Node], object: &HotObject, key: &str, hint: usize) -> Option<usize> {
        let count = object.count;
        if count > LINEAR_LOOKUP_MAX {
            return nodes[object.node as usize].object.as_ref()?.index.get(key).copied();
        }
        let key = key.as_bytes();
        let start = if hint < count { hint } else { 0 };
        let matches = |position: usize| {
            let at = object.properties + position * PROPERTY_BYTES;
            (self.word(at + 4) & !ESCAPED_NAME) as usize == key.len() && same_bytes(self.text(at), key)
        };
        (start..count).chain(0..start).find(|&position| matches(position))
    }

    /// The number of the allowed string equal to `text` in list `strings` of a `Strings` node.
    #[inline]
    pub fn known_string(&self, strings: u32, text: &str) -> Option<u32> {
        let at = strings as usize;
        let count = self.word(at) as usize;
        let text = text.as_bytes();
        (0..count).find_map(|position| {
            let entry = at + 4 + position * STRING_BYTES;
            (self.word(entry + 4) as usize == text.len() && same_bytes(self.text(entry), text))
                .then(|| self.word(entry + 8))
        })
    }
}

/// The little-endian word at `at` in a record.
#[inline(always)]
fn word(record: &[u8], at: usize) -> u32 {
    let mut word = [0; 4];
    word.copy_from_slice(&record[at..at + 4]);
    u32::from_le_bytes(word)
}

/// Whether `a` and `b` are the same bytes: the short names and values of schemas are compared in
/// a few word loads, without a call.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let length = a.len();
    if length != b.len() {
        return false;
    }
    let word = |bytes: &[u8], at: usize| {
        let mut word = [0; 8];
        word.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(word)
    };
    let half = |bytes: &[u8], at: usize| {
        let mut half = [0; 4];
        half.copy_from_slice(&bytes[at..at + 4]);
        u32::from_le_bytes(half)
    };
    match length {
        0 => true,
        // The first, middle and last bytes are every byte.
        1..=3 => a[0] == b[0] && a[length / 2] == b[length / 2] && a[length - 1] == b[length - 1],
        // Two loads that overlap cover every byte.
        4..=7 => half(a, 0) == half(b, 0) && half(a, length - 4) == half(b, length - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, length - 8) == word(b, length - 8),
        _ => a == b,
    }
}

/// The record of `node` (number `id`, not an alias), writing its object rule or string list.
fn hot_of(writer: &mut Writer, node: &Node, id: NodeId) -> Option<Hot> {
    let mut hot = Hot {
        types: node.types,
        kind: HotKind::Full,
        arrays: false,
        object: NONE,
        items: NONE,
    };
    let plain_strings = !node.defer
        && node.branches.is_empty()
        && node.min_length.is_none()
        && node.max_length.is_none()
        && node.pattern.is_none();
    if !plain_strings {
        return Some(hot);
    }
    if let Some(allowed) = &node.allowed {
        hot.kind = HotKind::Strings;
        hot.object = writer.place()?;
        writer.word(u32::try_from(allowed.strings.len()).ok()?);
        let entries = writer.bytes.len();
        writer.bytes.resize(entries + allowed.strings.len() * STRING_BYTES, 0);
        for (position, (text, &string_id)) in allowed.strings.iter().zip(&allowed.string_ids).enumerate() {
            let entry = entries + position * STRING_BYTES;
            let start = writer.place()?;
            writer.set_word(entry, start);
            writer.set_word(entry + 4, u32::try_from(text.len()).ok()?);
            writer.set_word(entry + 8, string_id);
            writer.bytes.extend_from_slice(text.as_bytes());
        }
        return Some(hot);
    }
    if !node.bounds.is_empty() {
        return Some(hot);
    }
    hot.kind = HotKind::Plain;
    if let Some(rule) = &node.object {
        hot.object = writer.place()?;
        let required = rule.required_mask;
        writer.word(required as u32);
        writer.word((required >> 32) as u32);
        writer.word(u32::try_from(rule.properties.len()).ok()?);
        let (tag, additional) = match rule.additional {
            Additional::Forbidden => (0, NONE),
            Additional::Anything => (1, NONE),
            Additional::Node(node) => (2, u32::try_from(node).ok()?),
        };
        writer.word(tag);
        writer.word(additional);
        writer.word(u32::try_from(id).ok()?);
        let properties = writer.bytes.len();
        writer
            .bytes
            .resize(properties + rule.properties.len() * PROPERTY_BYTES, 0);
        for (position, property) in rule.properties.iter().enumerate() {
            let at = properties + position * PROPERTY_BYTES;
            let start = writer.place()?;
            writer.set_word(at, start);
            let length = u32::try_from(property.name.len())
                .ok()
                .filter(|&length| length < ESCAPED_NAME)?;
            let escaped = property
                .name
                .bytes()
                .any(|byte| byte == b'"' || byte == b'\\' || byte < 0x20);
            writer.set_word(at + 4, if escaped { length | ESCAPED_NAME } else { length });
            writer.set_word(at + 8, property.key_id);
            writer.set_word(at + 12, u32::try_from(property.node).ok()?);
            writer.bytes.extend_from_slice(property.name.as_bytes());
        }
    }
    // Arrays whose items all share one schema (or none) and whose count is free.
    let simple_array = match &node.array {
        None => Some(NONE),
        Some(rule) if rule.prefix.is_empty() && rule.min_items.is_none() && rule.max_items.is_none() => {
            Some(rule.items.map_or(Some(NONE), |items| u32::try_from(items).ok())?)
        }
        Some(_) => None,
    };
    if let (Some(items), false) = (simple_array, node.unique) {
        hot.arrays = true;
        hot.items = items;
    }
    Some(hot)
}

/// The number of the node `id` stands for, through bare `$ref`s (as `resolve_in` follows them).
fn resolve_id(nodes: &[Node], mut id: NodeId) -> Option<NodeId> {
    for _ in 0..=nodes.len() {
        match nodes.get(id)?.alias {
            Some(target) => id = target,
            None => return Some(id),
        }
    }
    None
}
