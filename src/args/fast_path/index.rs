//! What a run reads about each node, packed small and side by side.
//!
//! A process holds many roads and a call touches one of them: the nodes it reads are rarely in
//! the cache, so what a run must read per value decides its speed more than the work it does.
//! A `Node` as compiled spreads its keywords over several cache lines; the index keeps, per node,
//! only what most values need (types, whether anything beyond them is checked, the object rule)
//! in a few bytes, and each object's properties with their names in one table. Values whose node
//! checks more (bounds, lengths, patterns, enums, branches, arrays) read the full node as before.

use super::{Additional, Node, NodeId};
use crate::schema::shape::TypeSet;

/// No such entry.
pub(super) const NONE: u32 = u32::MAX;

/// Objects with more properties than this find a key through the node's hash index.
pub(super) const LINEAR_LOOKUP_MAX: usize = 16;

#[derive(Clone, Copy, Debug)]
pub(super) struct Hot {
    pub types: TypeSet,
    /// Nothing but `types` constrains a scalar here: no `enum`/`const`, bounds, lengths,
    /// `pattern`, branches, and nothing left to the full road.
    pub plain: bool,
    /// With `plain`: the node's object rule in `Index::objects`, or `NONE`.
    pub object: u32,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum HotAdditional {
    Forbidden,
    Anything,
    Node(u32),
}

#[derive(Clone, Copy, Debug)]
pub(super) struct HotObject {
    /// The properties are `Index::properties[first..first + count]`, in declared order.
    pub first: u32,
    pub count: u32,
    pub required_mask: u64,
    pub additional: HotAdditional,
    /// The node (after bare `$ref`s) holding the full rule.
    pub node: u32,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct HotProperty {
    /// The name is `Index::names[name_start..name_start + name_len]`.
    pub name_start: u32,
    pub name_len: u32,
    pub key_id: u32,
    pub node: u32,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Index {
    hot: Vec<Hot>,
    objects: Vec<HotObject>,
    properties: Vec<HotProperty>,
    names: String,
}

impl Index {
    /// The index of `nodes`, or `None` when a number does not fit in 32 bits (the run then
    /// reads the full nodes only).
    pub fn build(nodes: &[Node]) -> Option<Index> {
        let mut index = Index::default();
        for id in 0..nodes.len() {
            let hot = match resolve_id(nodes, id) {
                Some(target) => {
                    let node = &nodes[target];
                    let plain = is_plain(node);
                    let object = match (&node.object, plain) {
                        (Some(rule), true) => {
                            let first = u32::try_from(index.properties.len()).ok()?;
                            for property in &rule.properties {
                                index.properties.push(HotProperty {
                                    name_start: u32::try_from(index.names.len()).ok()?,
                                    name_len: u32::try_from(property.name.len()).ok()?,
                                    key_id: property.key_id,
                                    node: u32::try_from(property.node).ok()?,
                                });
                                index.names.push_str(&property.name);
                            }
                            index.objects.push(HotObject {
                                first,
                                count: u32::try_from(rule.properties.len()).ok()?,
                                required_mask: rule.required_mask,
                                additional: match rule.additional {
                                    Additional::Forbidden => HotAdditional::Forbidden,
                                    Additional::Anything => HotAdditional::Anything,
                                    Additional::Node(node) => HotAdditional::Node(u32::try_from(node).ok()?),
                                },
                                node: u32::try_from(target).ok()?,
                            });
                            u32::try_from(index.objects.len() - 1).ok()?
                        }
                        _ => NONE,
                    };
                    Hot {
                        types: node.types,
                        plain,
                        object,
                    }
                }
                // A cycle of bare `$ref`s: the full path finds it and gives up.
                None => Hot {
                    types: TypeSet::EMPTY,
                    plain: false,
                    object: NONE,
                },
            };
            index.hot.push(hot);
        }
        Some(index)
    }

    #[inline]
    pub fn hot(&self, id: NodeId) -> Option<&Hot> {
        self.hot.get(id)
    }

    #[inline]
    pub fn object(&self, object: u32) -> &HotObject {
        &self.objects[object as usize]
    }

    #[inline]
    pub fn properties(&self, object: &HotObject) -> &[HotProperty] {
        &self.properties[object.first as usize..(object.first + object.count) as usize]
    }

    #[inline]
    pub fn name(&self, property: &HotProperty) -> &str {
        &self.names[property.name_start as usize..(property.name_start + property.name_len) as usize]
    }

    /// The property of `object` that `key` names. Models send keys in the order the schema
    /// declares them, so the search starts at `hint` (just after the previous match) and usually
    /// ends there.
    #[inline]
    pub fn lookup(&self, nodes: &[Node], object: &HotObject, key: &str, hint: usize) -> Option<usize> {
        let properties = self.properties(object);
        let count = properties.len();
        if count > LINEAR_LOOKUP_MAX {
            return nodes[object.node as usize].object.as_ref()?.index.get(key).copied();
        }
        let start = if hint < count { hint } else { 0 };
        let matches = |position: usize| {
            let property = &properties[position];
            property.name_len as usize == key.len() && self.name(property) == key
        };
        (start..count).chain(0..start).find(|&position| matches(position))
    }
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

fn is_plain(node: &Node) -> bool {
    !node.defer
        && node.branches.is_empty()
        && node.allowed.is_none()
        && node.bounds.is_empty()
        && node.min_length.is_none()
        && node.max_length.is_none()
        && node.pattern.is_none()
}
