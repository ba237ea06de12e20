//! The coercion plan: what each location of an argument document may hold, read once from the
//! JSON Schema so that key matching and coercion never walk the schema at call time.
//!
//! The plan is deliberately an under-approximation. Where the schema is too intricate to say with
//! certainty what a location holds (several object-shaped branches of an `anyOf`, `not`,
//! conditionals), the plan says "anything", and the road leaves that location alone: the validator
//! still has the last word, and a change is only ever made where exactly one reading exists.

use ahash::AHashMap;
use serde_json::Value;

use crate::json_path::{JsonPath, PathItem};
use crate::schema::graph::{Body, Items, Keyword, Keywords, NodeId, Reference, SchemaGraph, MAX_SCHEMA_DEPTH};

/// A set of JSON types, as in the `type` keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TypeSet(u8);

impl TypeSet {
    pub const EMPTY: TypeSet = TypeSet(0);
    pub const NULL: TypeSet = TypeSet(1);
    pub const BOOLEAN: TypeSet = TypeSet(1 << 1);
    pub const INTEGER: TypeSet = TypeSet(1 << 2);
    pub const NUMBER: TypeSet = TypeSet(1 << 3);
    pub const STRING: TypeSet = TypeSet(1 << 4);
    pub const ARRAY: TypeSet = TypeSet(1 << 5);
    pub const OBJECT: TypeSet = TypeSet(1 << 6);
    pub const ANY: TypeSet = TypeSet(0x7f);

    const NAMES: [(TypeSet, &'static str); 7] = [
        (TypeSet::OBJECT, "object"),
        (TypeSet::ARRAY, "array"),
        (TypeSet::STRING, "string"),
        (TypeSet::NUMBER, "number"),
        (TypeSet::INTEGER, "integer"),
        (TypeSet::BOOLEAN, "boolean"),
        (TypeSet::NULL, "null"),
    ];

    pub fn from_name(name: &str) -> Option<TypeSet> {
        TypeSet::NAMES
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(set, _)| match *set {
                // `number` admits integers too.
                TypeSet::NUMBER => TypeSet::NUMBER.union(TypeSet::INTEGER),
                other => other,
            })
    }

    pub fn of_value(value: &Value) -> TypeSet {
        match value {
            Value::Null => TypeSet::NULL,
            Value::Bool(_) => TypeSet::BOOLEAN,
            Value::Number(number) if is_integral(number) => TypeSet::INTEGER,
            Value::Number(_) => TypeSet::NUMBER,
            Value::String(_) => TypeSet::STRING,
            Value::Array(_) => TypeSet::ARRAY,
            Value::Object(_) => TypeSet::OBJECT,
        }
    }

    /// The set as one byte, for packed tables.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// The set `bits` stands for (bits beyond the seven types are dropped).
    pub const fn from_bits(bits: u8) -> TypeSet {
        TypeSet(bits & TypeSet::ANY.0)
    }

    pub const fn union(self, other: TypeSet) -> TypeSet {
        TypeSet(self.0 | other.0)
    }

    pub const fn intersect(self, other: TypeSet) -> TypeSet {
        TypeSet(self.0 & other.0)
    }

    pub const fn intersects(self, other: TypeSet) -> bool {
        self.0 & other.0 != 0
    }

    pub const fn contains(self, other: TypeSet) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub const fn is_any(self) -> bool {
        self.0 == TypeSet::ANY.0
    }

    /// Whether a value of this JSON type is allowed here. An integral number is allowed where a
    /// number is, and (as JSON Schema counts `5.0` as an integer) where an integer is.
    pub fn admits(self, value: &Value) -> bool {
        self.admits_type(TypeSet::of_value(value))
    }

    pub fn admits_type(self, value_type: TypeSet) -> bool {
        if value_type == TypeSet::INTEGER {
            self.intersect(TypeSet::INTEGER.union(TypeSet::NUMBER)).0 != 0
        } else {
            self.contains(value_type)
        }
    }

    /// `integer or null`, for messages and the expected-arguments line.
    pub fn describe(self) -> String {
        if self.is_any() {
            return "any".to_owned();
        }
        let mut names: Vec<&str> = Vec::new();
        for (set, name) in TypeSet::NAMES {
            if set == TypeSet::INTEGER && self.contains(TypeSet::NUMBER) {
                continue;
            }
            if self.contains(set) {
                names.push(name);
            }
        }
        if names.is_empty() {
            "nothing".to_owned()
        } else {
            names.join(" or ")
        }
    }
}

pub fn is_integral(number: &serde_json::Number) -> bool {
    number.is_i64() || number.is_u64() || number.as_f64().is_some_and(|f| f.fract() == 0.0 && f.is_finite())
}

pub type ShapeId = usize;

/// What to do with a key the object does not declare.
#[derive(Clone, Debug, PartialEq)]
pub enum Extra {
    /// `additionalProperties: false`.
    Forbidden,
    /// Anything else; with the shape extra values must have, when one is given.
    Allowed(Option<ShapeId>),
}

/// How a normalized key name (`claimid`) maps to declared properties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameMatch {
    Unique(usize),
    Ambiguous,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Property {
    pub name: String,
    pub shape: ShapeId,
    pub required: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ObjectShape {
    pub properties: Vec<Property>,
    pub extra: Extra,
    /// `patternProperties` present: undeclared keys may be legitimate, so none is renamed or dropped.
    pub has_pattern_properties: bool,
    index: AHashMap<String, usize>,
    aliases: AHashMap<String, usize>,
    normalized: AHashMap<String, NameMatch>,
}

impl ObjectShape {
    fn new() -> Self {
        ObjectShape {
            properties: Vec::new(),
            extra: Extra::Allowed(None),
            has_pattern_properties: false,
            index: AHashMap::new(),
            aliases: AHashMap::new(),
            normalized: AHashMap::new(),
        }
    }

    pub fn property(&self, name: &str) -> Option<&Property> {
        self.index.get(name).map(|&position| &self.properties[position])
    }

    pub fn declares(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Whether `name` may be a key of this object's own data: a declared property, or any key
    /// when the object describes free-form data (no properties, a schema for extra values, or
    /// `patternProperties`). Extra keys merely not forbidden do not count: JSON Schema leaves
    /// them open by default, and most tool schemas do so without meaning to take them.
    pub fn may_hold(&self, name: &str) -> bool {
        self.declares(name)
            || self.has_pattern_properties
            || matches!(self.extra, Extra::Allowed(Some(_)))
            || (self.properties.is_empty() && self.extra != Extra::Forbidden)
    }

    /// The declared property an undeclared key stands for: an exact alias, or the one property
    /// with the same normalized name. `Err(())` when several properties would fit.
    pub fn match_key(&self, key: &str) -> Result<Option<&Property>, Vec<&str>> {
        if let Some(&position) = self.aliases.get(key) {
            return Ok(Some(&self.properties[position]));
        }
        match self.normalized.get(&normalize_name(key)) {
            Some(NameMatch::Unique(position)) => Ok(Some(&self.properties[*position])),
            Some(NameMatch::Ambiguous) => {
                let wanted = normalize_name(key);
                Err(self
                    .properties
                    .iter()
                    .filter(|p| normalize_name(&p.name) == wanted)
                    .map(|p| p.name.as_str())
                    .collect())
            }
            None => Ok(None),
        }
    }

    fn add_property(&mut self, name: &str, shape: ShapeId) {
        match self.index.get(name) {
            Some(&position) => self.properties[position].shape = shape,
            None => {
                self.index.insert(name.to_owned(), self.properties.len());
                self.properties.push(Property {
                    name: name.to_owned(),
                    shape,
                    required: false,
                });
            }
        }
    }

    fn mark_required(&mut self, name: &str) {
        if let Some(&position) = self.index.get(name) {
            self.properties[position].required = true;
        }
    }

    fn merge(&mut self, other: &ObjectShape) {
        for property in &other.properties {
            self.add_property(&property.name, property.shape);
            if property.required {
                self.mark_required(&property.name);
            }
        }
        if other.extra == Extra::Forbidden {
            self.extra = Extra::Forbidden;
        }
        self.has_pattern_properties |= other.has_pattern_properties;
    }

    fn build_name_index(&mut self) {
        self.normalized.clear();
        let names: Vec<(String, usize)> = self
            .properties
            .iter()
            .enumerate()
            .map(|(position, p)| (normalize_name(&p.name), position))
            .chain(
                self.aliases
                    .iter()
                    .map(|(alias, &position)| (normalize_name(alias), position)),
            )
            .collect();
        for (normal, position) in names {
            self.normalized
                .entry(normal)
                .and_modify(|existing| {
                    if *existing != NameMatch::Unique(position) {
                        *existing = NameMatch::Ambiguous;
                    }
                })
                .or_insert(NameMatch::Unique(position));
        }
    }
}

/// The form two spellings of one name share: `claimId`, `claim_id`, `Claim-ID` → `claimid`.
pub fn normalize_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ArrayShape {
    pub prefix_items: Vec<ShapeId>,
    pub items: Option<ShapeId>,
}

impl ArrayShape {
    pub fn item(&self, index: usize) -> Option<ShapeId> {
        self.prefix_items.get(index).copied().or(self.items)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Shape {
    pub types: TypeSet,
    /// `enum` / `const`: the only values allowed here.
    pub allowed_values: Option<Vec<Value>>,
    pub object: Option<ObjectShape>,
    pub array: Option<ArrayShape>,
}

impl Shape {
    const fn any() -> Self {
        Shape {
            types: TypeSet::ANY,
            allowed_values: None,
            object: None,
            array: None,
        }
    }

    pub fn is_unconstrained(&self) -> bool {
        self.types.is_any() && self.allowed_values.is_none() && self.object.is_none() && self.array.is_none()
    }

    pub fn admits_null(&self) -> bool {
        self.types.contains(TypeSet::NULL)
            && self
                .allowed_values
                .as_ref()
                .is_none_or(|values| values.iter().any(Value::is_null))
    }
}

#[derive(Clone, Debug)]
enum Node {
    Shape(Box<Shape>),
    Alias(ShapeId),
}

/// Every shape of one schema, indexed by `ShapeId`; the root is `ShapePlan::ROOT`.
#[derive(Clone, Debug)]
pub struct ShapePlan {
    nodes: Vec<Node>,
}

static ANY_SHAPE: Shape = Shape::any();

/// Keys that describe a value without constraining it.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "default",
    "examples",
    "$comment",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$id",
    "$schema",
    "$anchor",
    "$defs",
    "definitions",
];

impl ShapePlan {
    pub const ROOT: ShapeId = 0;

    /// Read the plan from a schema. `aliases` are extra names for the root's properties
    /// (`alias → property`), matched exactly.
    pub fn compile(schema: &Value, aliases: &[(String, String)]) -> Self {
        ShapePlan::from_graph(&SchemaGraph::compile(schema), aliases)
    }

    /// Read the plan from a schema's compiled graph.
    pub fn from_graph(graph: &SchemaGraph<'_>, aliases: &[(String, String)]) -> Self {
        let mut compiler = Compiler {
            graph,
            nodes: Vec::new(),
            states: Vec::new(),
            graph_nodes: Vec::new(),
            shape_ids: vec![None; graph.len()],
            queue: Vec::new(),
        };
        compiler.shape_id(SchemaGraph::ROOT);
        while let Some(id) = compiler.queue.pop() {
            compiler.ensure_read(id, 0);
        }
        let mut plan = ShapePlan { nodes: compiler.nodes };
        if let Some(Node::Shape(root)) = plan.nodes.get_mut(ShapePlan::ROOT) {
            if let Some(root) = &mut root.object {
                for (alias, property) in aliases {
                    if let Some(&position) = root.index.get(property.as_str()) {
                        root.aliases.insert(alias.clone(), position);
                    }
                }
            }
        }
        for node in &mut plan.nodes {
            if let Node::Shape(shape) = node {
                if let Some(object) = &mut shape.object {
                    object.build_name_index();
                }
            }
        }
        plan
    }

    pub fn get(&self, id: ShapeId) -> &Shape {
        let mut current = id;
        // An alias chain longer than the plan is a cycle of pure references: nothing constrains it.
        for _ in 0..=self.nodes.len() {
            match self.nodes.get(current) {
                Some(Node::Shape(shape)) => return shape,
                Some(Node::Alias(target)) => current = *target,
                None => return &ANY_SHAPE,
            }
        }
        &ANY_SHAPE
    }

    pub fn root(&self) -> &Shape {
        self.get(ShapePlan::ROOT)
    }

    /// The shape of the value at `path`, following declared properties, extra-value shapes and
    /// item shapes; None where the plan does not say (an undeclared key with no shape given).
    pub fn shape_at(&self, path: &JsonPath) -> Option<&Shape> {
        let mut shape = self.root();
        for item in path.items() {
            let next = match item {
                PathItem::Key(key) => {
                    let object = shape.object.as_ref()?;
                    match (object.property(key), &object.extra) {
                        (Some(property), _) => property.shape,
                        (None, Extra::Allowed(Some(extra))) => *extra,
                        (None, _) => return None,
                    }
                }
                PathItem::Index(index) => shape.array.as_ref()?.item(*index)?,
            };
            shape = self.get(next);
        }
        Some(shape)
    }

    /// The root's declared properties, when the root is an object with some.
    pub fn root_object(&self) -> Option<&ObjectShape> {
        self.root().object.as_ref()
    }

    /// One line describing the expected arguments: `{"city": string, "days"?: integer}`.
    pub fn signature(&self) -> Option<String> {
        let object = self.root_object()?;
        let fields: Vec<String> = object
            .properties
            .iter()
            .map(|p| {
                format!(
                    "{}{}: {}",
                    Value::String(p.name.clone()),
                    if p.required { "" } else { "?" },
                    self.describe(p.shape, 1)
                )
            })
            .collect();
        Some(format!("{{{}}}", fields.join(", ")))
    }

    /// A short description of what a location holds, for messages.
    pub fn describe(&self, id: ShapeId, depth: usize) -> String {
        let shape = self.get(id);
        if let Some(values) = &shape.allowed_values {
            let shown: Vec<String> = values.iter().take(8).map(Value::to_string).collect();
            let more = if values.len() > 8 { " | ..." } else { "" };
            return format!("{}{more}", shown.join(" | "));
        }
        if shape.types == TypeSet::ARRAY || shape.types == TypeSet::ARRAY.union(TypeSet::NULL) {
            if let Some(item) = shape.array.as_ref().and_then(|a| a.items) {
                if depth < 3 {
                    let nullable = if shape.types.contains(TypeSet::NULL) {
                        " or null"
                    } else {
                        ""
                    };
                    return format!("array of {}{nullable}", self.describe(item, depth + 1));
                }
            }
        }
        shape.types.describe()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ReadState {
    /// A placeholder (anything) until it is read.
    Queued,
    /// Being read: a cycle reaching it sees the placeholder.
    Reading,
    Read,
}

/// Derives the plan from the graph: one shape per subschema a value can reach, read once. Shapes
/// whose content another shape needs (an `allOf` member, a union branch, a `$ref` with siblings)
/// are read on demand, the others from a work list, so only those merges nest.
struct Compiler<'g, 's> {
    graph: &'g SchemaGraph<'s>,
    nodes: Vec<Node>,
    states: Vec<ReadState>,
    /// The graph node of each shape.
    graph_nodes: Vec<NodeId>,
    /// The shape of each graph node, once it has one.
    shape_ids: Vec<Option<ShapeId>>,
    queue: Vec<ShapeId>,
}

impl Compiler<'_, '_> {
    fn shape_id(&mut self, node: NodeId) -> ShapeId {
        if let Some(id) = self.shape_ids[node] {
            return id;
        }
        let id = self.nodes.len();
        self.nodes.push(Node::Shape(Box::new(Shape::any())));
        self.states.push(ReadState::Queued);
        self.graph_nodes.push(node);
        self.shape_ids[node] = Some(id);
        self.queue.push(id);
        id
    }

    /// Read shape `id` now if it is still a placeholder. `nesting` counts the merges that led
    /// here; past the schema depth limit the placeholder stands in (it is read later from the
    /// work list), which only ever makes the plan claim less.
    fn ensure_read(&mut self, id: ShapeId, nesting: usize) {
        if self.states[id] != ReadState::Queued || nesting > MAX_SCHEMA_DEPTH {
            return;
        }
        self.states[id] = ReadState::Reading;
        let graph = self.graph;
        let node = match &graph.node(self.graph_nodes[id]).body {
            Body::Bool(false) => Node::Shape(Box::new(Shape {
                types: TypeSet::EMPTY,
                ..Shape::any()
            })),
            Body::Keywords(keywords) => self.read_object(keywords, nesting),
            Body::Bool(true) | Body::NotSchema | Body::BeyondLimit => Node::Shape(Box::new(Shape::any())),
        };
        self.nodes[id] = node;
        self.states[id] = ReadState::Read;
    }

    /// Read `id` and every shape its bare references lead through, so `shape_of` sees content.
    fn ensure_resolved(&mut self, id: ShapeId, nesting: usize) {
        let mut current = id;
        for _ in 0..=self.graph.len() {
            self.ensure_read(current, nesting + 1);
            match &self.nodes[current] {
                Node::Shape(_) => return,
                Node::Alias(target) => current = *target,
            }
        }
    }

    fn read_object(&mut self, keywords: &Keywords<'_>, nesting: usize) -> Node {
        // A bare reference (with annotations only) is the shape it points to.
        let reference = match &keywords.reference {
            Some(Reference::Resolved(target)) => Some(Some(self.shape_id(*target))),
            Some(Reference::Unresolved(_)) => Some(None),
            Some(Reference::NotText) | None => None,
        };
        if let Some(target) = reference {
            let constraining = keywords.names().any(|k| k != "$ref" && !ANNOTATIONS.contains(&k));
            if !constraining {
                return match target {
                    Some(target) => Node::Alias(target),
                    None => Node::Shape(Box::new(Shape::any())),
                };
            }
            let mut shape = self.read_keywords(keywords, nesting);
            if let Some(target) = target {
                self.ensure_resolved(target, nesting);
                let referenced = self.shape_of(target).clone();
                merge_all_of(&mut shape, &referenced);
            }
            return Node::Shape(Box::new(shape));
        }
        Node::Shape(Box::new(self.read_keywords(keywords, nesting)))
    }

    fn shape_of(&self, id: ShapeId) -> &Shape {
        let mut current = id;
        for _ in 0..=self.nodes.len() {
            match &self.nodes[current] {
                Node::Shape(shape) => return shape,
                Node::Alias(target) => current = *target,
            }
        }
        &ANY_SHAPE
    }

    fn read_keywords(&mut self, keywords: &Keywords<'_>, nesting: usize) -> Shape {
        let mut shape = Shape::any();
        // A type name JSON Schema does not have constrains nothing the plan can rely on.
        if let Keyword::Present(types) = keywords.types {
            shape.types = types;
        }
        let allowed = match (&keywords.enumeration, keywords.constant) {
            (_, Some(constant)) => Some(vec![constant.clone()]),
            (Keyword::Present(values), None) => Some(values.to_vec()),
            _ => None,
        };
        if let Some(values) = allowed {
            // A member written as a float (`1.0`) admits the float: the schema author wrote it so.
            let value_types = values.iter().fold(TypeSet::EMPTY, |acc, v| match v {
                Value::Number(number) if number.is_f64() => acc.union(TypeSet::NUMBER),
                other => acc.union(TypeSet::of_value(other)),
            });
            let value_types = if value_types.contains(TypeSet::NUMBER) {
                value_types.union(TypeSet::INTEGER)
            } else {
                value_types
            };
            shape.types = shape.types.intersect(value_types);
            shape.allowed_values = Some(values);
        }

        let has_object_keywords = keywords.properties.is_present()
            || keywords.additional_properties.is_some()
            || keywords.required.is_present()
            || keywords.pattern_properties.is_present();
        if has_object_keywords && shape.types.contains(TypeSet::OBJECT) {
            shape.object = Some(self.read_object_keywords(keywords));
        }
        let has_array_keywords = keywords.items.is_present() || keywords.prefix_items.is_present();
        if has_array_keywords && shape.types.contains(TypeSet::ARRAY) {
            shape.array = Some(self.read_array_keywords(keywords));
        }

        if let Keyword::Present(members) = &keywords.all_of {
            for &member in members {
                let id = self.shape_id(member);
                self.ensure_resolved(id, nesting);
                let member_shape = self.shape_of(id).clone();
                merge_all_of(&mut shape, &member_shape);
            }
        }
        for branches in [&keywords.any_of, &keywords.one_of] {
            if let Keyword::Present(branches) = branches {
                let ids: Vec<ShapeId> = branches.iter().map(|&branch| self.shape_id(branch)).collect();
                for &id in &ids {
                    self.ensure_resolved(id, nesting);
                }
                let union = self.union_of(&ids);
                merge_all_of(&mut shape, &union);
            }
        }
        shape
    }

    fn read_object_keywords(&mut self, keywords: &Keywords<'_>) -> ObjectShape {
        let mut object = ObjectShape::new();
        if let Keyword::Present(properties) = &keywords.properties {
            for &(name, node) in properties {
                let id = self.shape_id(node);
                object.add_property(name, id);
            }
        }
        if let Keyword::Present(required) = keywords.required {
            for name in required.iter().filter_map(Value::as_str) {
                object.mark_required(name);
            }
        }
        object.extra = match keywords
            .additional_properties
            .map(|node| (node, &self.graph.node(node).body))
        {
            Some((_, Body::Bool(false))) => Extra::Forbidden,
            Some((node, Body::Keywords(_))) => Extra::Allowed(Some(self.shape_id(node))),
            _ => Extra::Allowed(None),
        };
        object.has_pattern_properties = keywords.pattern_properties.is_present();
        object
    }

    fn read_array_keywords(&mut self, keywords: &Keywords<'_>) -> ArrayShape {
        let mut array = ArrayShape::default();
        if let Keyword::Present(prefix) = &keywords.prefix_items {
            array.prefix_items = prefix.iter().map(|&item| self.shape_id(item)).collect();
        }
        match &keywords.items {
            // Draft 7 tuple form.
            Keyword::Present(Items::Tuple(prefix)) => {
                array.prefix_items = prefix.iter().map(|&item| self.shape_id(item)).collect();
                if let Some(additional) = keywords.additional_items {
                    array.items = Some(self.shape_id(additional));
                }
            }
            Keyword::Present(Items::Every(items)) => array.items = Some(self.shape_id(*items)),
            _ => {}
        }
        array
    }

    /// What an `anyOf`/`oneOf` allows: any branch's types; an object or array layout only when
    /// exactly one branch has one (otherwise which branch a value belongs to is a guess).
    fn union_of(&self, ids: &[ShapeId]) -> Shape {
        let branches: Vec<&Shape> = ids.iter().map(|&id| self.shape_of(id)).collect();
        let types = branches.iter().fold(TypeSet::EMPTY, |acc, b| acc.union(b.types));
        let allowed_values = if branches
            .iter()
            .all(|b| b.allowed_values.is_some() || b.types == TypeSet::NULL)
        {
            let mut values = Vec::new();
            for branch in &branches {
                match &branch.allowed_values {
                    Some(own) => values.extend(own.iter().cloned()),
                    None => values.push(Value::Null),
                }
            }
            Some(values)
        } else {
            None
        };
        let object_branches: Vec<&&Shape> = branches.iter().filter(|b| b.types.contains(TypeSet::OBJECT)).collect();
        let object = match object_branches.as_slice() {
            [only] => only.object.clone(),
            _ => None,
        };
        let array_branches: Vec<&&Shape> = branches.iter().filter(|b| b.types.contains(TypeSet::ARRAY)).collect();
        let array = match array_branches.as_slice() {
            [only] => only.array.clone(),
            _ => None,
        };
        Shape {
            types,
            allowed_values,
            object,
            array,
        }
    }
}

/// Narrow `shape` by another constraint that must hold too (`allOf`, or a `$ref` with siblings).
fn merge_all_of(shape: &mut Shape, other: &Shape) {
    shape.types = shape.types.intersect(other.types);
    shape.allowed_values = match (shape.allowed_values.take(), &other.allowed_values) {
        (Some(mine), Some(theirs)) => Some(mine.into_iter().filter(|v| theirs.contains(v)).collect()),
        (Some(mine), None) => Some(mine),
        (None, Some(theirs)) => Some(theirs.clone()),
        (None, None) => None,
    };
    match (&mut shape.object, &other.object) {
        (Some(mine), Some(theirs)) => mine.merge(theirs),
        (mine @ None, Some(theirs)) => *mine = Some(theirs.clone()),
        _ => {}
    }
    match (&mut shape.array, &other.array) {
        (mine @ None, Some(theirs)) => *mine = Some(theirs.clone()),
        (Some(mine), Some(theirs)) => {
            if mine.items.is_none() {
                mine.items = theirs.items;
            }
            if mine.prefix_items.is_empty() {
                mine.prefix_items = theirs.prefix_items.clone();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_shape_at_a_path_through_properties_items_and_extra_values() {
        let schema = json!({
            "type": "object",
            "properties": {"pairs": {"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "integer"}}},
            "additionalProperties": {"type": "boolean"}
        });
        let plan = ShapePlan::compile(&schema, &[]);
        let at = |path: JsonPath| plan.shape_at(&path).map(|shape| shape.types);
        let pairs = JsonPath::root().child_key("pairs");
        assert_eq!(at(pairs.child_index(0)), Some(TypeSet::STRING));
        assert_eq!(at(pairs.child_index(5)), Some(TypeSet::INTEGER));
        assert_eq!(at(JsonPath::root().child_key("flag")), Some(TypeSet::BOOLEAN));
        assert_eq!(at(pairs.child_key("x")), None);
    }

    #[test]
    fn an_object_may_hold_any_key_only_when_it_says_so() {
        let holds = |schema: Value, key: &str| {
            ShapePlan::compile(&schema, &[])
                .root_object()
                .is_some_and(|root| root.may_hold(key))
        };
        let declared = json!({"type": "object", "properties": {"city": {"type": "string"}}});
        assert!(holds(declared.clone(), "city"));
        assert!(!holds(declared, "name"));
        assert!(holds(
            json!({"properties": {"a": {}}, "additionalProperties": {"type": "string"}}),
            "name"
        ));
        assert!(holds(
            json!({"properties": {"a": {}}, "patternProperties": {"^x": {}}}),
            "name"
        ));
        assert!(!holds(
            json!({"properties": {"a": {}}, "additionalProperties": false}),
            "name"
        ));
    }

    #[test]
    fn reads_a_pydantic_style_schema() {
        let schema = json!({
            "type": "object",
            "properties": {
                "claim_id": {"type": "string"},
                "amount": {"type": "number"},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null},
                "tags": {"type": "array", "items": {"type": "string"}},
                "status": {"$ref": "#/$defs/Status"}
            },
            "required": ["claim_id", "amount"],
            "additionalProperties": false,
            "$defs": {"Status": {"enum": ["open", "closed"], "type": "string"}}
        });
        let plan = ShapePlan::compile(&schema, &[]);
        let root = plan.root_object().unwrap();
        assert_eq!(root.extra, Extra::Forbidden);
        let note = plan.get(root.property("note").unwrap().shape);
        assert!(note.types.contains(TypeSet::STRING) && note.types.contains(TypeSet::NULL));
        let status = plan.get(root.property("status").unwrap().shape);
        assert_eq!(status.allowed_values.as_ref().unwrap().len(), 2);
        let tags = plan.get(root.property("tags").unwrap().shape);
        assert_eq!(
            plan.get(tags.array.as_ref().unwrap().items.unwrap()).types,
            TypeSet::STRING
        );
        assert_eq!(
            plan.signature().unwrap(),
            "{\"claim_id\": string, \"amount\": number, \"note\"?: string or null, \"tags\"?: array of string, \"status\"?: \"open\" | \"closed\"}"
        );
    }

    #[test]
    fn matches_keys_by_normalized_name_only_when_unique() {
        let schema = json!({"type": "object", "properties": {"claim_id": {}, "user_id": {}, "userId": {}}});
        let plan = ShapePlan::compile(&schema, &[("cid".into(), "claim_id".into())]);
        let root = plan.root_object().unwrap();
        assert_eq!(root.match_key("claimId").unwrap().unwrap().name, "claim_id");
        assert_eq!(root.match_key("Claim-ID").unwrap().unwrap().name, "claim_id");
        assert_eq!(root.match_key("cid").unwrap().unwrap().name, "claim_id");
        assert_eq!(root.match_key("UserID").unwrap_err(), vec!["user_id", "userId"]);
        assert!(root.match_key("other").unwrap().is_none());
    }

    #[test]
    fn survives_recursion_and_dangling_references() {
        let schema = json!({
            "type": "object",
            "properties": {"child": {"$ref": "#"}, "lost": {"$ref": "#/$defs/Nope"}, "loop": {"$ref": "#/$defs/A"}},
            "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}
        });
        let plan = ShapePlan::compile(&schema, &[]);
        let root = plan.root_object().unwrap();
        let child = plan.get(root.property("child").unwrap().shape);
        assert!(child.object.as_ref().unwrap().declares("child"));
        assert!(plan.get(root.property("lost").unwrap().shape).is_unconstrained());
        assert!(plan.get(root.property("loop").unwrap().shape).is_unconstrained());
    }

    #[test]
    fn union_with_two_object_branches_has_no_layout() {
        let schema = json!({"anyOf": [
            {"type": "object", "properties": {"a": {}}},
            {"type": "object", "properties": {"b": {}}}
        ]});
        let plan = ShapePlan::compile(&schema, &[]);
        assert!(plan.root().object.is_none());
        assert!(plan.root().types.contains(TypeSet::OBJECT));
    }

    #[test]
    fn integers_count_as_numbers() {
        assert!(TypeSet::from_name("number").unwrap().admits(&json!(3)));
        assert!(TypeSet::INTEGER.admits(&json!(3.0)));
        assert!(!TypeSet::INTEGER.admits(&json!(3.5)));
        assert_eq!(TypeSet::from_name("number").unwrap().describe(), "number");
    }
}
