//! The fast path: for the schemas tools usually have, one pass over the JSON text that parses,
//! validates and builds the arguments together, with no intermediate document.
//!
//! It is an accelerator, never an authority. It answers "valid, and here is the value" only when
//! every keyword on the way is one it evaluates exactly as JSON Schema 2020-12 does; anything else
//! (an unsupported keyword, a float where an integer is wanted, a limit reached, a parse error, an
//! invalid value) makes it give up, and the full road (serde_json, the jsonschema crate, repair and
//! coercion) decides. Giving up costs only the time spent so far.

use std::collections::HashMap;

use ahash::AHashMap;
use serde_json::{Map, Value};

use crate::args::scanner::{Next, Number, Scanner};
use crate::limits::Limits;
use crate::schema::shape::TypeSet;

/// Builds the result while the text is read; the road's Python layer builds Python objects, the
/// tests build `serde_json::Value`s. `None` from any method abandons the fast path.
pub trait Builder {
    type Value;
    type Key;
    type Object;
    type Array;

    fn null(&mut self) -> Option<Self::Value>;
    fn boolean(&mut self, value: bool) -> Option<Self::Value>;
    fn integer(&mut self, value: i64) -> Option<Self::Value>;
    fn float(&mut self, value: f64) -> Option<Self::Value>;
    fn string(&mut self, value: &str) -> Option<Self::Value>;
    /// A string equal to allowed value number `id` of the plan (see `FastPlan::known_strings`),
    /// which a builder may have made once.
    fn known_string(&mut self, _id: u32, value: &str) -> Option<Self::Value> {
        self.string(value)
    }
    /// `declared` is the plan's number for a declared property name, so a builder can reuse a
    /// key object made once (see `FastPlan::key_names`).
    fn key(&mut self, declared: Option<u32>, text: &str) -> Option<Self::Key>;
    fn object(&mut self) -> Option<Self::Object>;
    /// None also when `key` is in `object` already: a key sent twice is the full road's to judge.
    fn set(&mut self, object: &mut Self::Object, key: Self::Key, value: Self::Value) -> Option<()>;
    fn finish_object(&mut self, object: Self::Object) -> Option<Self::Value>;
    fn array(&mut self) -> Option<Self::Array>;
    fn push(&mut self, array: &mut Self::Array, value: Self::Value) -> Option<()>;
    fn finish_array(&mut self, array: Self::Array) -> Option<Self::Value>;
}

type NodeId = usize;

/// Beyond 2^53 an integer compared with a float bound is no longer exact.
const EXACT_FLOAT_INTEGER: i64 = 1 << 53;
/// A required-property bitmask covers this many properties; larger objects take the full road.
const MAX_FAST_PROPERTIES: usize = 64;

#[derive(Clone, Debug, Default)]
struct Bounds {
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: Option<f64>,
    exclusive_maximum: Option<f64>,
}

impl Bounds {
    fn is_empty(&self) -> bool {
        self.minimum.is_none()
            && self.maximum.is_none()
            && self.exclusive_minimum.is_none()
            && self.exclusive_maximum.is_none()
    }

    fn admits(&self, value: f64) -> bool {
        self.minimum.is_none_or(|m| value >= m)
            && self.maximum.is_none_or(|m| value <= m)
            && self.exclusive_minimum.is_none_or(|m| value > m)
            && self.exclusive_maximum.is_none_or(|m| value < m)
    }
}

/// `enum` / `const` over scalars.
#[derive(Clone, Debug, Default)]
struct Allowed {
    strings: Vec<String>,
    string_ids: Vec<u32>,
    integers: Vec<i64>,
    booleans: Vec<bool>,
    null: bool,
}

#[derive(Clone, Debug)]
enum Additional {
    Forbidden,
    Anything,
    Node(NodeId),
}

#[derive(Clone, Debug)]
struct Property {
    name: String,
    key_id: u32,
    node: NodeId,
}

#[derive(Clone, Debug)]
struct ObjectRule {
    properties: Vec<Property>,
    index: AHashMap<String, usize>,
    required_mask: u64,
    additional: Additional,
}

impl ObjectRule {
    /// The declared property `key` names. Models send keys in the order the schema declares
    /// them, so the search starts just after the previous match (`hint`) and usually ends there.
    #[inline]
    fn lookup(&self, key: &str, hint: usize) -> Option<usize> {
        let count = self.properties.len();
        if count > 16 {
            return self.index.get(key).copied();
        }
        (0..count)
            .map(|offset| (hint + offset) % count)
            .find(|&position| self.properties[position].name == key)
    }
}

#[derive(Clone, Debug)]
struct ArrayRule {
    items: Option<NodeId>,
    min_items: Option<u64>,
    max_items: Option<u64>,
}

#[derive(Clone, Debug)]
struct Node {
    /// Something here is not evaluated by the fast path: reaching it hands over to the full road.
    defer: bool,
    types: TypeSet,
    allowed: Option<Allowed>,
    bounds: Bounds,
    min_length: Option<u64>,
    max_length: Option<u64>,
    object: Option<ObjectRule>,
    array: Option<ArrayRule>,
    /// `anyOf`, chosen between by the JSON type of the value; only when one branch fits.
    any_of: Vec<NodeId>,
    /// A bare `$ref`.
    alias: Option<NodeId>,
}

impl Node {
    fn anything() -> Self {
        Node {
            defer: false,
            types: TypeSet::ANY,
            allowed: None,
            bounds: Bounds::default(),
            min_length: None,
            max_length: None,
            object: None,
            array: None,
            any_of: Vec::new(),
            alias: None,
        }
    }

    fn deferred() -> Self {
        Node {
            defer: true,
            ..Node::anything()
        }
    }
}

/// The compiled fast path of one schema.
#[derive(Clone, Debug)]
pub struct FastPlan {
    nodes: Vec<Node>,
    key_names: Vec<String>,
    known_strings: Vec<String>,
    /// The root allows undeclared keys: one of them may be a misspelt parameter, which the full
    /// road's key matching must see.
    root_is_open: bool,
}

const ROOT: NodeId = 0;

/// Keywords that describe without constraining.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "default",
    "examples",
    "$comment",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$defs",
    "definitions",
    "$schema",
    "$anchor",
    // Annotations under draft 2020-12 unless format assertion is switched on, which the road
    // never does.
    "format",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
];

/// Keywords that constrain but are not evaluated here.
const DEFERRED: &[&str] = &[
    "multipleOf",
    "pattern",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "dependentRequired",
    "dependentSchemas",
    "dependencies",
    "allOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "prefixItems",
    "additionalItems",
    "patternProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "unevaluatedItems",
    "unevaluatedProperties",
    "$dynamicRef",
    "$dynamicAnchor",
    "$recursiveRef",
    "$recursiveAnchor",
    "$id",
    "$vocabulary",
];

impl FastPlan {
    /// The fast path of a tool's parameter schema, or `None` when the schema is outside what it
    /// evaluates at the root (the full road then handles every call).
    pub fn compile(schema: &Value) -> Option<FastPlan> {
        if let Some(dialect) = schema.get("$schema") {
            let dialect = dialect.as_str()?;
            if !dialect.contains("2020-12") {
                return None;
            }
        }
        let mut compiler = Compiler {
            document: schema,
            nodes: Vec::new(),
            by_pointer: HashMap::new(),
            key_names: Vec::new(),
            key_ids: HashMap::new(),
            known_strings: Vec::new(),
            known_string_ids: HashMap::new(),
        };
        compiler.compile(schema, "#".to_owned(), 0);
        let plan = FastPlan {
            root_is_open: false,
            nodes: compiler.nodes,
            key_names: compiler.key_names,
            known_strings: compiler.known_strings,
        };
        let root = plan.resolve(ROOT)?;
        let object = root.object.as_ref()?;
        if root.defer || !root.types.contains(TypeSet::OBJECT) || !root.any_of.is_empty() {
            return None;
        }
        let root_is_open = !matches!(object.additional, Additional::Forbidden);
        Some(FastPlan { root_is_open, ..plan })
    }

    /// Declared property names by key number, for builders that make each key object once.
    pub fn key_names(&self) -> &[String] {
        &self.key_names
    }

    /// The string values `enum`/`const` allow, by number, for builders that make each once.
    pub fn known_strings(&self) -> &[String] {
        &self.known_strings
    }

    fn resolve(&self, mut id: NodeId) -> Option<&Node> {
        for _ in 0..=self.nodes.len() {
            let node = self.nodes.get(id)?;
            match node.alias {
                Some(target) => id = target,
                None => return Some(node),
            }
        }
        None
    }

    /// The plan of the schema `true`: any JSON value, of any type at the root.
    pub fn anything() -> FastPlan {
        FastPlan {
            nodes: vec![Node::anything()],
            key_names: Vec::new(),
            known_strings: Vec::new(),
            root_is_open: true,
        }
    }

    /// The arguments, when the text is one valid JSON object under the schema; `None` otherwise.
    pub fn run<B: Builder>(&self, text: &str, limits: &Limits, builder: &mut B) -> Option<B::Value> {
        self.read(text, limits, builder, true)
    }

    /// The value of a text that is plain JSON within the limits (see `anything`); `None` otherwise.
    pub fn run_value<B: Builder>(&self, text: &str, limits: &Limits, builder: &mut B) -> Option<B::Value> {
        self.read(text, limits, builder, false)
    }

    fn read<B: Builder>(&self, text: &str, limits: &Limits, builder: &mut B, object_only: bool) -> Option<B::Value> {
        if text.len() > limits.max_bytes {
            return None;
        }
        let mut scanner = Scanner::new(text);
        let next = scanner.peek()?;
        if object_only && next != Next::Object {
            return None;
        }
        let mut run = Run {
            plan: self,
            scanner,
            limits,
            builder,
        };
        let value = run.value(next, ROOT, 1)?;
        run.scanner.finish()?;
        Some(value)
    }
}

struct Run<'a, 't, B: Builder> {
    plan: &'a FastPlan,
    scanner: Scanner<'t>,
    limits: &'a Limits,
    builder: &'a mut B,
}

impl<B: Builder> Run<'_, '_, B> {
    fn value(&mut self, next: Next, id: NodeId, depth: usize) -> Option<B::Value> {
        let plan = self.plan;
        let node = plan.resolve(id)?;
        if node.defer {
            return None;
        }
        if !node.any_of.is_empty() {
            let branch = self.branch_for(node, next)?;
            return self.value(next, branch, depth);
        }
        match next {
            Next::Null => {
                self.scanner.null()?;
                if !node.types.contains(TypeSet::NULL) || node.allowed.as_ref().is_some_and(|a| !a.null) {
                    return None;
                }
                self.builder.null()
            }
            Next::True | Next::False => {
                let value = self.scanner.boolean(next)?;
                if !node.types.contains(TypeSet::BOOLEAN)
                    || node.allowed.as_ref().is_some_and(|a| !a.booleans.contains(&value))
                {
                    return None;
                }
                self.builder.boolean(value)
            }
            Next::String => {
                if !node.types.contains(TypeSet::STRING) {
                    return None;
                }
                let text = self.scanner.string()?;
                if text.len() > self.limits.max_string_length {
                    return None;
                }
                if node.min_length.is_some() || node.max_length.is_some() {
                    let length = text.chars().count() as u64;
                    if node.min_length.is_some_and(|m| length < m) || node.max_length.is_some_and(|m| length > m) {
                        return None;
                    }
                }
                if let Some(allowed) = &node.allowed {
                    let position = allowed.strings.iter().position(|s| s == text)?;
                    return self.builder.known_string(allowed.string_ids[position], text);
                }
                self.builder.string(text)
            }
            Next::Array => self.array(node, depth),
            Next::Object => self.object(node, depth),
            Next::Number => self.number(node),
        }
    }

    fn branch_for(&self, node: &Node, next: Next) -> Option<NodeId> {
        let wanted = match next {
            Next::Null => TypeSet::NULL,
            Next::True | Next::False => TypeSet::BOOLEAN,
            Next::String => TypeSet::STRING,
            Next::Array => TypeSet::ARRAY,
            Next::Object => TypeSet::OBJECT,
            Next::Number => TypeSet::INTEGER.union(TypeSet::NUMBER),
        };
        let mut fitting = node.any_of.iter().filter(|&&branch| {
            self.plan
                .resolve(branch)
                .is_some_and(|b| b.defer || b.types.intersects(wanted))
        });
        let first = *fitting.next()?;
        if fitting.next().is_some() {
            return None;
        }
        Some(first)
    }

    fn number(&mut self, node: &Node) -> Option<B::Value> {
        match self.scanner.number()? {
            Number::Int(value) => {
                if !node.types.intersects(TypeSet::INTEGER.union(TypeSet::NUMBER)) {
                    return None;
                }
                if !node.bounds.is_empty() {
                    if !(-EXACT_FLOAT_INTEGER..=EXACT_FLOAT_INTEGER).contains(&value) {
                        return None;
                    }
                    if !node.bounds.admits(value as f64) {
                        return None;
                    }
                }
                if let Some(allowed) = &node.allowed {
                    if !allowed.integers.contains(&value) {
                        return None;
                    }
                }
                self.builder.integer(value)
            }
            Number::Float(value) => {
                // An integral float where only integers are allowed is the full road's to convert.
                if !node.types.contains(TypeSet::NUMBER) || node.allowed.is_some() {
                    return None;
                }
                if !node.bounds.admits(value) {
                    return None;
                }
                self.builder.float(value)
            }
        }
    }

    fn array(&mut self, node: &Node, depth: usize) -> Option<B::Value> {
        if !node.types.contains(TypeSet::ARRAY) || depth > self.limits.effective_depth() || node.allowed.is_some() {
            return None;
        }
        let (items, min_items, max_items) = match &node.array {
            Some(rule) => (rule.items, rule.min_items, rule.max_items),
            None => (None, None, None),
        };
        let mut array = self.builder.array()?;
        let mut count: u64 = 0;
        let mut item_next = self.scanner.array_first()?;
        while let Some(next) = item_next {
            let value = match items {
                Some(item) => self.value(next, item, depth + 1)?,
                None => self.anything(next, depth + 1)?,
            };
            self.builder.push(&mut array, value)?;
            count += 1;
            item_next = self.scanner.array_next()?;
        }
        if min_items.is_some_and(|m| count < m) || max_items.is_some_and(|m| count > m) {
            return None;
        }
        self.builder.finish_array(array)
    }

    fn object(&mut self, node: &Node, depth: usize) -> Option<B::Value> {
        if !node.types.contains(TypeSet::OBJECT) || depth > self.limits.effective_depth() || node.allowed.is_some() {
            return None;
        }
        let plan = self.plan;
        let Some(rule) = &node.object else {
            return self.anything(Next::Object, depth);
        };
        let is_root = depth == 1;
        let mut object = self.builder.object()?;
        let mut seen: u64 = 0;
        let mut hint = 0;
        let mut key = self.scanner.object_first()?;
        while let Some(text) = key {
            if text.len() > self.limits.max_string_length {
                return None;
            }
            match rule.lookup(text, hint) {
                Some(position) => {
                    let property = &rule.properties[position];
                    if seen & (1 << position) != 0 {
                        return None;
                    }
                    seen |= 1 << position;
                    hint = position + 1;
                    let key = self.builder.key(Some(property.key_id), text)?;
                    let next = self.scanner.peek()?;
                    let value = self.value(next, property.node, depth + 1)?;
                    self.builder.set(&mut object, key, value)?;
                }
                None => {
                    if is_root && plan.root_is_open {
                        return None;
                    }
                    let target = match rule.additional {
                        Additional::Forbidden => return None,
                        Additional::Anything => None,
                        Additional::Node(id) => Some(id),
                    };
                    let key = self.builder.key(None, text)?;
                    let next = self.scanner.peek()?;
                    let value = match target {
                        Some(id) => self.value(next, id, depth + 1)?,
                        None => self.anything(next, depth + 1)?,
                    };
                    self.builder.set(&mut object, key, value)?;
                }
            }
            key = self.scanner.object_next()?;
        }
        if seen & rule.required_mask != rule.required_mask {
            return None;
        }
        self.builder.finish_object(object)
    }

    /// A value under no constraint: built as it is, within the limits.
    fn anything(&mut self, next: Next, depth: usize) -> Option<B::Value> {
        match next {
            Next::Null => {
                self.scanner.null()?;
                self.builder.null()
            }
            Next::True | Next::False => {
                let value = self.scanner.boolean(next)?;
                self.builder.boolean(value)
            }
            Next::String => {
                let text = self.scanner.string()?;
                if text.len() > self.limits.max_string_length {
                    return None;
                }
                self.builder.string(text)
            }
            Next::Number => match self.scanner.number()? {
                Number::Int(value) => self.builder.integer(value),
                Number::Float(value) => self.builder.float(value),
            },
            Next::Array => {
                if depth > self.limits.effective_depth() {
                    return None;
                }
                let mut array = self.builder.array()?;
                let mut item_next = self.scanner.array_first()?;
                while let Some(next) = item_next {
                    let value = self.anything(next, depth + 1)?;
                    self.builder.push(&mut array, value)?;
                    item_next = self.scanner.array_next()?;
                }
                self.builder.finish_array(array)
            }
            Next::Object => {
                if depth > self.limits.effective_depth() {
                    return None;
                }
                let mut object = self.builder.object()?;
                let mut key = self.scanner.object_first()?;
                while let Some(text) = key {
                    if text.len() > self.limits.max_string_length {
                        return None;
                    }
                    let key_object = self.builder.key(None, text)?;
                    let next = self.scanner.peek()?;
                    let value = self.anything(next, depth + 1)?;
                    self.builder.set(&mut object, key_object, value)?;
                    key = self.scanner.object_next()?;
                }
                self.builder.finish_object(object)
            }
        }
    }
}

struct Compiler<'s> {
    document: &'s Value,
    nodes: Vec<Node>,
    by_pointer: HashMap<String, NodeId>,
    key_names: Vec<String>,
    key_ids: HashMap<String, u32>,
    known_strings: Vec<String>,
    known_string_ids: HashMap<String, u32>,
}

/// Past this depth of schema nesting the fast path stops and hands over.
const MAX_SCHEMA_DEPTH: usize = 64;

impl<'s> Compiler<'s> {
    fn compile(&mut self, schema: &'s Value, pointer: String, depth: usize) -> NodeId {
        if let Some(&id) = self.by_pointer.get(&pointer) {
            return id;
        }
        let id = self.nodes.len();
        self.nodes.push(Node::deferred());
        self.by_pointer.insert(pointer.clone(), id);
        let node = match schema {
            _ if depth > MAX_SCHEMA_DEPTH => Node::deferred(),
            Value::Bool(true) => Node::anything(),
            Value::Object(map) => self.compile_map(map, &pointer, depth).unwrap_or_else(Node::deferred),
            // `false`, or not a schema at all: the full road says why.
            _ => Node::deferred(),
        };
        self.nodes[id] = node;
        id
    }

    fn compile_reference(&mut self, reference: &str, depth: usize) -> Option<NodeId> {
        let fragment = reference.strip_prefix('#')?;
        let target = if fragment.is_empty() {
            self.document
        } else {
            self.document.pointer(fragment)?
        };
        Some(self.compile(target, format!("#{fragment}"), depth + 1))
    }

    fn known_string_id(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.known_string_ids.get(text) {
            return id;
        }
        let id = self.known_strings.len() as u32;
        self.known_strings.push(text.to_owned());
        self.known_string_ids.insert(text.to_owned(), id);
        id
    }

    fn key_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.key_ids.get(name) {
            return id;
        }
        let id = self.key_names.len() as u32;
        self.key_names.push(name.to_owned());
        self.key_ids.insert(name.to_owned(), id);
        id
    }

    /// `None` when this schema is outside the fast path.
    fn compile_map(&mut self, map: &'s Map<String, Value>, pointer: &str, depth: usize) -> Option<Node> {
        let mut node = Node::anything();
        if let Some(reference) = map.get("$ref") {
            let constraining = map.keys().any(|k| k != "$ref" && !ANNOTATIONS.contains(&k.as_str()));
            if constraining {
                return None;
            }
            node.alias = Some(self.compile_reference(reference.as_str()?, depth)?);
            return Some(node);
        }
        if map.keys().any(|key| DEFERRED.contains(&key.as_str())) {
            return None;
        }
        if let Some(branches) = map.get("anyOf") {
            let constraining = map.keys().any(|k| k != "anyOf" && !ANNOTATIONS.contains(&k.as_str()));
            let Value::Array(branches) = branches else { return None };
            if constraining || branches.is_empty() {
                return None;
            }
            node.any_of = branches
                .iter()
                .enumerate()
                .map(|(position, branch)| self.compile(branch, format!("{pointer}/anyOf/{position}"), depth + 1))
                .collect();
            return Some(node);
        }
        match map.get("type") {
            None => {}
            Some(Value::String(name)) => node.types = TypeSet::from_name(name)?,
            Some(Value::Array(names)) => {
                let mut types = TypeSet::EMPTY;
                for name in names {
                    types = types.union(TypeSet::from_name(name.as_str()?)?);
                }
                node.types = types;
            }
            Some(_) => return None,
        }
        let allowed = match (map.get("enum"), map.get("const")) {
            (Some(_), Some(_)) => return None,
            (Some(Value::Array(values)), None) => Some(values.as_slice()),
            (Some(_), None) => return None,
            (None, Some(constant)) => Some(std::slice::from_ref(constant)),
            (None, None) => None,
        };
        if let Some(values) = allowed {
            let mut allowed = compile_allowed(values)?;
            allowed.string_ids = allowed.strings.iter().map(|text| self.known_string_id(text)).collect();
            node.allowed = Some(allowed);
        }
        node.bounds = Bounds {
            minimum: bound(map, "minimum")?,
            maximum: bound(map, "maximum")?,
            exclusive_minimum: bound(map, "exclusiveMinimum")?,
            exclusive_maximum: bound(map, "exclusiveMaximum")?,
        };
        node.min_length = count(map, "minLength")?;
        node.max_length = count(map, "maxLength")?;
        if ["items", "minItems", "maxItems"].iter().any(|k| map.contains_key(*k)) {
            let items = match map.get("items") {
                None => None,
                Some(items @ (Value::Object(_) | Value::Bool(_))) => {
                    Some(self.compile(items, format!("{pointer}/items"), depth + 1))
                }
                Some(_) => return None,
            };
            node.array = Some(ArrayRule {
                items,
                min_items: count(map, "minItems")?,
                max_items: count(map, "maxItems")?,
            });
        }
        if ["properties", "required", "additionalProperties"]
            .iter()
            .any(|k| map.contains_key(*k))
        {
            node.object = Some(self.compile_object(map, pointer, depth)?);
        }
        Some(node)
    }

    fn compile_object(&mut self, map: &'s Map<String, Value>, pointer: &str, depth: usize) -> Option<ObjectRule> {
        let mut properties = Vec::new();
        let mut index = AHashMap::new();
        match map.get("properties") {
            None => {}
            Some(Value::Object(declared)) => {
                if declared.len() > MAX_FAST_PROPERTIES {
                    return None;
                }
                for (name, schema) in declared {
                    let node = self.compile(schema, format!("{pointer}/properties/{}", escape(name)), depth + 1);
                    index.insert(name.clone(), properties.len());
                    properties.push(Property {
                        name: name.clone(),
                        key_id: self.key_id(name),
                        node,
                    });
                }
            }
            Some(_) => return None,
        }
        let mut required_mask = 0u64;
        match map.get("required") {
            None => {}
            Some(Value::Array(names)) => {
                for name in names {
                    // A required key that is not declared: rare, and the full road handles it.
                    let position = *index.get(name.as_str()?)?;
                    required_mask |= 1 << position;
                }
            }
            Some(_) => return None,
        }
        let additional = match map.get("additionalProperties") {
            None | Some(Value::Bool(true)) => Additional::Anything,
            Some(Value::Bool(false)) => Additional::Forbidden,
            Some(schema @ Value::Object(_)) => {
                Additional::Node(self.compile(schema, format!("{pointer}/additionalProperties"), depth + 1))
            }
            Some(_) => return None,
        };
        Some(ObjectRule {
            properties,
            index,
            required_mask,
            additional,
        })
    }
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn compile_allowed(values: &[Value]) -> Option<Allowed> {
    let mut allowed = Allowed::default();
    for value in values {
        match value {
            Value::String(text) => allowed.strings.push(text.clone()),
            Value::Bool(flag) => allowed.booleans.push(*flag),
            Value::Null => allowed.null = true,
            // `1` and `1.0` are the same JSON number; only plain integers are compared here.
            Value::Number(number) if number.is_i64() => allowed.integers.push(number.as_i64()?),
            _ => return None,
        }
    }
    Some(allowed)
}

/// `Some(None)` when absent, `None` when present but not evaluated here.
fn bound(map: &Map<String, Value>, keyword: &str) -> Option<Option<f64>> {
    match map.get(keyword) {
        None => Some(None),
        Some(Value::Number(number)) => {
            let value = number.as_f64()?;
            let exact = number.is_f64() || number.as_i64().is_some_and(|i| i.abs() <= EXACT_FLOAT_INTEGER);
            exact.then_some(Some(value))
        }
        Some(_) => None,
    }
}

fn count(map: &Map<String, Value>, keyword: &str) -> Option<Option<u64>> {
    match map.get(keyword) {
        None => Some(None),
        Some(Value::Number(number)) => number.as_u64().map(Some),
        Some(_) => None,
    }
}

/// Builds `serde_json::Value`s: the fast path without Python, for tests and for Rust callers.
pub struct ValueBuilder;

impl Builder for ValueBuilder {
    type Value = Value;
    type Key = String;
    type Object = Map<String, Value>;
    type Array = Vec<Value>;

    fn null(&mut self) -> Option<Value> {
        Some(Value::Null)
    }
    fn boolean(&mut self, value: bool) -> Option<Value> {
        Some(Value::Bool(value))
    }
    fn integer(&mut self, value: i64) -> Option<Value> {
        Some(Value::from(value))
    }
    fn float(&mut self, value: f64) -> Option<Value> {
        serde_json::Number::from_f64(value).map(Value::Number)
    }
    fn string(&mut self, value: &str) -> Option<Value> {
        Some(Value::String(value.to_owned()))
    }
    fn key(&mut self, _declared: Option<u32>, text: &str) -> Option<String> {
        Some(text.to_owned())
    }
    fn object(&mut self) -> Option<Map<String, Value>> {
        Some(Map::new())
    }
    fn set(&mut self, object: &mut Map<String, Value>, key: String, value: Value) -> Option<()> {
        match object.insert(key, value) {
            None => Some(()),
            Some(_) => None,
        }
    }
    fn finish_object(&mut self, object: Map<String, Value>) -> Option<Value> {
        Some(Value::Object(object))
    }
    fn array(&mut self) -> Option<Vec<Value>> {
        Some(Vec::new())
    }
    fn push(&mut self, array: &mut Vec<Value>, value: Value) -> Option<()> {
        array.push(value);
        Some(())
    }
    fn finish_array(&mut self, array: Vec<Value>) -> Option<Value> {
        Some(Value::Array(array))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::validator::{CompileOptions, CompiledSchema};
    use serde_json::json;

    fn forecast_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "city": {"type": "string", "minLength": 1, "description": "City name"},
                "days": {"type": "integer", "minimum": 1, "maximum": 14},
                "units": {"enum": ["metric", "imperial"], "type": "string", "default": "metric"},
                "include_hourly": {"type": "boolean", "default": false},
                "max_results": {"anyOf": [{"type": "integer", "exclusiveMinimum": 0}, {"type": "null"}], "default": null},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
                "window": {"$ref": "#/$defs/Window"},
                "extra": {"type": "object", "additionalProperties": {"type": "number"}},
                "note": {"type": "string", "format": "date-time"}
            },
            "required": ["city", "days"],
            "additionalProperties": false,
            "$defs": {"Window": {"type": "object", "properties": {"start": {"type": "string"}, "child": {"$ref": "#/$defs/Window"}}, "required": ["start"]}}
        })
    }

    fn fast(schema: &Value, text: &str) -> Option<Value> {
        FastPlan::compile(schema)
            .expect("the schema is within the fast path")
            .run(text, &Limits::default(), &mut ValueBuilder)
    }

    #[test]
    fn accepts_valid_calls_in_one_pass() {
        let schema = forecast_schema();
        let text = r#"{"city": "Paris", "days": 5, "units": "metric", "include_hourly": true, "max_results": 10,
                       "tags": ["a"], "window": {"start": "x", "child": {"start": "y"}}, "extra": {"a": 1.5},
                       "note": "tomorrow"}"#;
        assert_eq!(fast(&schema, text), Some(serde_json::from_str(text).unwrap()));
        assert_eq!(
            fast(&schema, r#"{"days": 1, "city": "é", "max_results": null}"#).unwrap()["city"],
            "é"
        );
    }

    #[test]
    fn hands_over_whatever_it_does_not_accept() {
        let schema = forecast_schema();
        for text in [
            r#"{"city": "Paris"}"#,                                      // missing required
            r#"{"city": "", "days": 5}"#,                                // minLength
            r#"{"city": "P", "days": 15}"#,                              // maximum
            r#"{"city": "P", "days": 5.0}"#,                             // integral float for an integer
            r#"{"city": "P", "days": "5"}"#,                             // string for an integer
            r#"{"city": "P", "days": 5, "units": "METRIC"}"#,            // enum
            r#"{"city": "P", "days": 5, "max_results": 0}"#,             // exclusiveMinimum
            r#"{"city": "P", "days": 5, "tags": ["a", "b", "c", "d"]}"#, // maxItems
            r#"{"city": "P", "days": 5, "window": {}}"#,                 // required inside a $ref
            r#"{"city": "P", "days": 5, "extra": {"a": "x"}}"#,          // additionalProperties schema
            r#"{"city": "P", "days": 5, "cityName": "x"}"#,              // undeclared key
            r#"{"city": "P", "days": 5,}"#,                              // not JSON
            r#"{"city": "P", "days": 5} trailing"#,
            r#"{"city": "P", "days": 123456789012345678901234567890}"#,
            r#"["city"]"#,
            "",
        ] {
            assert_eq!(fast(&schema, text), None, "{text}");
        }
    }

    #[test]
    fn open_roots_hand_over_undeclared_keys_but_nested_open_objects_keep_them() {
        let schema = json!({
            "type": "object",
            "properties": {"inner": {"type": "object", "properties": {"a": {"type": "integer"}}}}
        });
        assert_eq!(fast(&schema, r#"{"other": 1}"#), None);
        assert_eq!(
            fast(&schema, r#"{"inner": {"a": 1, "b": [true, null]}}"#),
            Some(json!({"inner": {"a": 1, "b": [true, null]}}))
        );
    }

    #[test]
    fn declines_schemas_it_does_not_evaluate_at_the_root() {
        assert!(FastPlan::compile(&json!({"type": "object", "allOf": [{}]})).is_none());
        assert!(FastPlan::compile(&json!({"type": "string"})).is_none());
        assert!(FastPlan::compile(
            &json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {}})
        )
        .is_none());
        // Deep inside, an unsupported keyword only matters when a value reaches it.
        let schema = json!({"type": "object", "properties": {"code": {"type": "string", "pattern": "^[A-Z]+$"}, "n": {"type": "integer"}}});
        assert_eq!(fast(&schema, r#"{"n": 1}"#), Some(json!({"n": 1})));
        assert_eq!(fast(&schema, r#"{"code": "AB"}"#), None);
    }

    #[test]
    fn respects_limits() {
        let plan = FastPlan::compile(&json!({
            "type": "object", "properties": {"a": {}, "abcd": {}}, "additionalProperties": false
        }))
        .unwrap();
        let tight = Limits {
            max_bytes: 1000,
            max_depth: 2,
            max_string_length: 3,
        };
        assert!(plan.run(r#"{"a": [1]}"#, &tight, &mut ValueBuilder).is_some());
        assert!(plan.run(r#"{"a": [[1]]}"#, &tight, &mut ValueBuilder).is_none());
        assert!(plan.run(r#"{"a": "abcd"}"#, &tight, &mut ValueBuilder).is_none());
        assert!(plan.run(r#"{"abcd": 1}"#, &tight, &mut ValueBuilder).is_none());
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(plan.run(&deep, &Limits::default(), &mut ValueBuilder).is_none());
    }

    /// A tiny deterministic generator, so the agreement check needs no extra crate.
    struct Xorshift(u64);

    impl Xorshift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn random_value(rng: &mut Xorshift, depth: usize) -> Value {
        let keys = [
            "city",
            "days",
            "units",
            "include_hourly",
            "max_results",
            "tags",
            "window",
            "extra",
            "start",
            "child",
            "a",
            "note",
        ];
        match rng.below(if depth > 3 { 7 } else { 9 }) {
            0 => Value::Null,
            1 => Value::Bool(rng.below(2) == 0),
            2 => json!((rng.below(30) as i64) - 5),
            3 => json!((rng.below(2000) as f64) / 8.0 - 10.0),
            4 => json!(["metric", "imperial", "METRIC", "", "Paris", "x"][rng.below(6) as usize]),
            5 => json!(1e300),
            6 => json!(i64::MAX),
            7 => Value::Array((0..rng.below(5)).map(|_| random_value(rng, depth + 1)).collect()),
            _ => Value::Object(
                (0..rng.below(6))
                    .map(|_| {
                        (
                            keys[rng.below(keys.len() as u64) as usize].to_owned(),
                            random_value(rng, depth + 1),
                        )
                    })
                    .collect(),
            ),
        }
    }

    /// The fast path must never accept what the validator refuses, nor return another value.
    #[test]
    fn agrees_with_the_validator() {
        let schema = forecast_schema();
        let plan = FastPlan::compile(&schema).unwrap();
        let validator = CompiledSchema::compile(&schema, &CompileOptions::default()).unwrap();
        let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
        let (mut accepted, mut valid) = (0, 0);
        for round in 0..50_000 {
            let mut value = random_value(&mut rng, 0);
            if round % 2 == 0 {
                // Bias towards the right shape so that many documents are valid.
                let object = value.as_object_mut().map(std::mem::take).unwrap_or_default();
                let mut base = json!({"city": "Paris", "days": 1 + rng.below(14) as i64});
                for (k, v) in object.into_iter().take(rng.below(3) as usize) {
                    base[k] = v;
                }
                value = base;
            }
            let text = value.to_string();
            let is_valid = validator.is_valid(&value);
            valid += usize::from(is_valid && value.is_object());
            if let Some(result) = plan.run(&text, &Limits::default(), &mut ValueBuilder) {
                accepted += 1;
                assert!(is_valid, "fast path accepted an invalid document: {text}");
                assert_eq!(result, value, "{text}");
            }
        }
        assert!(valid > 10_000, "too few valid documents to be a test: {valid}");
        assert!(
            accepted * 10 >= valid * 9,
            "the fast path took only {accepted} of {valid} valid documents"
        );
    }
}
