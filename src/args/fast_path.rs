//! The fast path: for the schemas tools usually have, one pass over the JSON text that parses,
//! validates and builds the arguments together, with no intermediate document.
//!
//! It is an accelerator, never an authority. It answers "valid, and here is the value" only when
//! every keyword on the way is one it evaluates exactly as JSON Schema 2020-12 does; anything else
//! (an unsupported keyword, a float where an integer is wanted, a limit reached, a parse error, an
//! invalid value) makes it give up, and the full road (serde_json, the jsonschema crate, repair and
//! coercion) decides. Giving up costs only the time spent so far.
//!
//! Where a value must be read under several subschemas (`allOf`, a `$ref` with siblings, the
//! branches of `anyOf`/`oneOf` that its JSON type leaves open), the text of that value is read once
//! per subschema. The re-reads share one budget proportional to the text, so the whole run stays
//! linear in the length of the text whatever the nesting.

use std::collections::HashMap;
use std::sync::Arc;

use ahash::{AHashMap, AHashSet};
use jsonschema::Draft;
use regex::Regex;
use serde_json::{Map, Value};

use crate::args::scanner::{Next, Number, Scanner};

mod index;
use crate::limits::Limits;
use crate::schema::graph::{Body, Items, Keyword, Keywords, NodeId as GraphNodeId, Reference, SchemaGraph};
use crate::schema::shape::TypeSet;
use crate::schema::validator::CompileOptions;
use index::{HotAdditional, HotKind, HotObject, HotProperty, Index, NONE};

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
    /// The key of declared property number `id`, whose name is `plan.key_names()[id]`; a
    /// builder that made its keys once need not read the plan.
    fn declared_key(&mut self, id: u32, plan: &FastPlan) -> Option<Self::Key> {
        self.key(Some(id), plan.key_names().get(id as usize)?)
    }
    fn object(&mut self) -> Option<Self::Object>;
    /// None also when `key` is in `object` already: a key sent twice is the full road's to judge.
    fn set(&mut self, object: &mut Self::Object, key: Self::Key, value: Self::Value) -> Option<()>;
    /// `set` for a declared property the run has not met before in `object` (the run tracks
    /// which it met), so no check for a key sent twice is needed.
    fn set_declared(&mut self, object: &mut Self::Object, key: Self::Key, value: Self::Value) -> Option<()> {
        self.set(object, key, value)
    }
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

impl Allowed {
    /// No value is in both.
    fn is_apart_from(&self, other: &Allowed) -> bool {
        let shared = (self.null && other.null)
            || self.strings.iter().any(|s| other.strings.contains(s))
            || self.integers.iter().any(|i| other.integers.contains(i))
            || self.booleans.iter().any(|b| other.booleans.contains(b));
        !shared
    }
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
    /// `prefixItems`: the schema of each leading item, by position.
    prefix: Vec<NodeId>,
    /// `items`: the schema of every item after the prefix.
    items: Option<NodeId>,
    min_items: Option<u64>,
    max_items: Option<u64>,
}

/// How the branches of a node combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Branches {
    /// `anyOf`: the first branch that accepts the value decides.
    Any,
    /// `oneOf` whose branches no value can satisfy two of (checked when the plan is compiled), so
    /// the first branch that accepts decides as for `anyOf`.
    One,
    /// `allOf`, and a `$ref` with sibling keywords: every part must accept the value.
    All,
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
    /// `pattern`, translated from ECMA-262 as the validator translates it, and compiled for the
    /// `regex` crate's linear-time engine.
    pattern: Option<Regex>,
    object: Option<ObjectRule>,
    array: Option<ArrayRule>,
    /// `uniqueItems: true`.
    unique: bool,
    /// Subschemas the value is read under as `combine` says; empty for a plain node.
    branches: Vec<NodeId>,
    combine: Branches,
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
            pattern: None,
            object: None,
            array: None,
            unique: false,
            branches: Vec::new(),
            combine: Branches::Any,
            alias: None,
        }
    }

    /// Nothing is checked here: the node accepts any value.
    fn is_unconstrained(&self) -> bool {
        !self.defer
            && self.types.is_any()
            && self.allowed.is_none()
            && self.bounds.is_empty()
            && self.min_length.is_none()
            && self.max_length.is_none()
            && self.pattern.is_none()
            && self.object.is_none()
            && self.array.is_none()
            && !self.unique
            && self.branches.is_empty()
            && self.alias.is_none()
    }

    fn deferred() -> Self {
        Node {
            defer: true,
            ..Node::anything()
        }
    }
}

/// The compiled fast path of one schema.
///
/// In declared order, what every run reads first: it then shares a cache line.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct FastPlan {
    /// What runs read first, packed (see `index`).
    index: Index,
    /// The root allows undeclared keys: one of them may be a misspelt parameter, which the full
    /// road's key matching must see.
    root_is_open: bool,
    nodes: Vec<Node>,
    key_names: Vec<String>,
    known_strings: Vec<String>,
}

const ROOT: NodeId = 0;

/// Keywords that constrain but are not evaluated here.
const DEFERRED: &[&str] = &[
    "multipleOf",
    "contains",
    "minContains",
    "maxContains",
    "dependentRequired",
    "dependentSchemas",
    "dependencies",
    "not",
    "if",
    "then",
    "else",
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
    /// The fast path of a tool's parameter schema, as the validator compiled with `options` reads
    /// it, or `None` when the schema is outside what it evaluates at the root (the full road then
    /// handles every call).
    pub fn compile(schema: &Value, options: &CompileOptions) -> Option<FastPlan> {
        FastPlan::from_graph(&SchemaGraph::compile(schema), options)
    }

    /// `compile`, from the schema's compiled graph.
    pub fn from_graph(graph: &SchemaGraph<'_>, options: &CompileOptions) -> Option<FastPlan> {
        let plan = FastPlan::for_values_from_graph(graph, options)?;
        let root = plan.resolve(ROOT)?;
        let object = root.object.as_ref()?;
        if root.defer || !root.types.contains(TypeSet::OBJECT) || !root.branches.is_empty() {
            return None;
        }
        let root_is_open = !matches!(object.additional, Additional::Forbidden);
        Some(FastPlan { root_is_open, ..plan })
    }

    /// The fast path of a schema for any JSON value, read by `run_value`; `None` when the schema's
    /// dialect is not 2020-12.
    pub fn compile_for_values(schema: &Value, options: &CompileOptions) -> Option<FastPlan> {
        FastPlan::for_values_from_graph(&SchemaGraph::compile(schema), options)
    }

    /// `compile_for_values`, from the schema's compiled graph.
    pub fn for_values_from_graph(graph: &SchemaGraph<'_>, options: &CompileOptions) -> Option<FastPlan> {
        match graph.root().keywords().map(|root| &root.dialect) {
            Some(Keyword::Present(dialect)) => {
                if !dialect.contains("2020-12") {
                    return None;
                }
            }
            Some(Keyword::Malformed) => return None,
            Some(Keyword::Absent) | None => {
                if options.draft.is_some_and(|draft| draft != Draft::Draft202012) {
                    return None;
                }
            }
        }
        let mut compiler = Compiler {
            graph,
            nodes: Vec::new(),
            plan_ids: vec![None; graph.len()],
            queue: Vec::new(),
            key_names: Vec::new(),
            key_ids: HashMap::new(),
            known_strings: Vec::new(),
            known_string_ids: HashMap::new(),
            formats_asserted: options.validate_formats == Some(true),
        };
        compiler.node_id(SchemaGraph::ROOT);
        while let Some((id, node)) = compiler.queue.pop() {
            compiler.nodes[id] = compiler.read(node);
        }
        compiler.check_one_of_branches();
        Some(FastPlan {
            root_is_open: false,
            index: Index::build(&compiler.nodes).unwrap_or_default(),
            nodes: compiler.nodes,
            key_names: compiler.key_names,
            known_strings: compiler.known_strings,
        })
    }

    /// Declared property names by key number, for builders that make each key object once.
    pub fn key_names(&self) -> &[String] {
        &self.key_names
    }

    /// The string values `enum`/`const` allow, by number, for builders that make each once.
    pub fn known_strings(&self) -> &[String] {
        &self.known_strings
    }

    fn resolve(&self, id: NodeId) -> Option<&Node> {
        resolve_in(&self.nodes, id)
    }

    /// The plan of the schema `true`: any JSON value, of any type at the root.
    pub fn anything() -> FastPlan {
        let nodes = vec![Node::anything()];
        FastPlan {
            index: Index::build(&nodes).unwrap_or_default(),
            nodes,
            key_names: Vec::new(),
            known_strings: Vec::new(),
            root_is_open: true,
        }
    }

    /// The arguments, when the text is one valid JSON object under the schema; `None` otherwise.
    pub fn run<B: Builder>(&self, text: &str, limits: &Limits, builder: &mut B) -> Option<B::Value> {
        self.read(text, limits, builder, true)
    }

    /// The value of a text that is plain JSON within the limits and valid under the schema (see
    /// `anything` and `compile_for_values`); `None` otherwise.
    pub fn run_value<B: Builder>(&self, text: &str, limits: &Limits, builder: &mut B) -> Option<B::Value> {
        self.read(text, limits, builder, false)
    }

    fn read<B: Builder>(&self, text: &str, limits: &Limits, builder: &mut B, object_only: bool) -> Option<B::Value> {
        self.read_through(&self.index, text, limits, builder, object_only)
    }

    /// `read`, finding what most values need in `index` (the plan's own or a copy of it), so
    /// that a run which needs nothing else never reads the plan itself.
    #[inline]
    fn read_through<B: Builder>(
        &self,
        index: &Index,
        text: &str,
        limits: &Limits,
        builder: &mut B,
        object_only: bool,
    ) -> Option<B::Value> {
        if text.len() > limits.max_bytes {
            return None;
        }
        index.prefetch();
        let mut scanner = Scanner::new(text);
        let next = scanner.peek()?;
        if object_only && next != Next::Object {
            return None;
        }
        let mut run = Run {
            plan: self,
            index,
            scanner,
            limits,
            builder,
            reread_budget: REREAD_BUDGET_FACTOR * text.len() + REREAD_BUDGET_FLOOR,
        };
        let value = run.value(next, ROOT, 1)?;
        run.scanner.finish()?;
        Some(value)
    }
}

/// A plan with a copy of its index beside it, as a caller keeps one per tool. A process holds
/// many tools and a call reads one of them, rarely in the cache: with the index's address in the
/// caller's own record, a run's first reads start from there instead of waiting for the plan.
#[derive(Clone, Debug)]
pub struct IndexedPlan {
    index: Index,
    plan: Arc<FastPlan>,
}

impl IndexedPlan {
    pub fn new(plan: &Arc<FastPlan>) -> Self {
        IndexedPlan {
            index: plan.index.clone(),
            plan: Arc::clone(plan),
        }
    }

    /// `FastPlan::run`.
    #[inline]
    pub fn run<B: Builder>(&self, text: &str, limits: &Limits, builder: &mut B) -> Option<B::Value> {
        self.plan.read_through(&self.index, text, limits, builder, true)
    }
}

/// Bytes a run may read again (see the module's note), per byte of text and in any case.
const REREAD_BUDGET_FACTOR: usize = 2;
const REREAD_BUDGET_FLOOR: usize = 256;

struct Run<'a, 't, B: Builder> {
    plan: &'a FastPlan,
    /// The plan's index, read from wherever the caller keeps it (see `IndexedPlan`).
    index: &'a Index,
    scanner: Scanner<'t>,
    limits: &'a Limits,
    builder: &'a mut B,
    /// Bytes left to read again; a run that would exceed it gives up.
    reread_budget: usize,
}

/// An item of a `uniqueItems` array, compared as JSON Schema compares values (`1` equals `1.0`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ScalarKey {
    Null,
    Boolean(bool),
    /// The bits of the number as a float, `-0.0` counted as `0.0`.
    Number(u64),
    String(String),
}

impl<B: Builder> Run<'_, '_, B> {
    /// The value at the cursor under node `id`: through the index when the node is plain or a
    /// string `enum` (most are), else through the full node.
    #[inline]
    fn value(&mut self, next: Next, id: NodeId, depth: usize) -> Option<B::Value> {
        let index = self.index;
        let Some(hot) = index.hot(id) else {
            return self.value_in_full(next, id, depth);
        };
        match (hot.kind, next) {
            (HotKind::Full, _) => self.value_in_full(next, id, depth),
            (HotKind::Strings, Next::String) => {
                if !hot.types.contains(TypeSet::STRING) {
                    return None;
                }
                let text = self.scanner.string()?;
                if text.len() > self.limits.max_string_length {
                    return None;
                }
                let known = index.known_string(hot.object, text)?;
                self.builder.known_string(known, text)
            }
            (HotKind::Strings, _) => self.value_in_full(next, id, depth),
            (HotKind::Plain, Next::Null) => {
                self.scanner.null()?;
                hot.types.contains(TypeSet::NULL).then_some(())?;
                self.builder.null()
            }
            (HotKind::Plain, Next::True | Next::False) => {
                let value = self.scanner.boolean(next)?;
                hot.types.contains(TypeSet::BOOLEAN).then_some(())?;
                self.builder.boolean(value)
            }
            (HotKind::Plain, Next::String) => {
                if !hot.types.contains(TypeSet::STRING) {
                    return None;
                }
                let text = self.scanner.string()?;
                if text.len() > self.limits.max_string_length {
                    return None;
                }
                self.builder.string(text)
            }
            (HotKind::Plain, Next::Number) => match self.scanner.number()? {
                Number::Int(value) => {
                    hot.types
                        .intersects(TypeSet::INTEGER.union(TypeSet::NUMBER))
                        .then_some(())?;
                    self.builder.integer(value)
                }
                Number::Float(value) => {
                    hot.types.contains(TypeSet::NUMBER).then_some(())?;
                    self.builder.float(value)
                }
            },
            (HotKind::Plain, Next::Object) if hot.object != NONE => {
                if !hot.types.contains(TypeSet::OBJECT) || depth > self.limits.effective_depth() {
                    return None;
                }
                self.indexed_object(hot.object, depth)
            }
            (HotKind::Plain, Next::Array) if hot.arrays => {
                if !hot.types.contains(TypeSet::ARRAY) || depth > self.limits.effective_depth() {
                    return None;
                }
                self.indexed_array(hot.items, depth)
            }
            (HotKind::Plain, Next::Object | Next::Array) => self.value_in_full(next, id, depth),
        }
    }

    /// `array` for a plain node whose items share one schema (`NONE`: any value), through the index.
    fn indexed_array(&mut self, items: u32, depth: usize) -> Option<B::Value> {
        let mut array = self.builder.array()?;
        let mut item_next = self.scanner.array_first()?;
        while let Some(next) = item_next {
            let value = if items == NONE {
                self.anything(next, depth + 1)?
            } else {
                self.value(next, items as NodeId, depth + 1)?
            };
            self.builder.push(&mut array, value)?;
            item_next = self.scanner.array_next()?;
        }
        self.builder.finish_array(array)
    }

    /// `value`, read from the node as compiled.
    fn value_in_full(&mut self, next: Next, id: NodeId, depth: usize) -> Option<B::Value> {
        let plan = self.plan;
        let node = plan.resolve(id)?;
        if node.defer {
            return None;
        }
        if !node.branches.is_empty() {
            return self.branches(node, next, depth);
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
                if node.pattern.as_ref().is_some_and(|pattern| !pattern.is_match(text)) {
                    return None;
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

    /// A value under `anyOf`, `oneOf` or `allOf`: branches whose type cannot hold the value are
    /// skipped without reading it; the others read it in turn from the same place.
    fn branches(&mut self, node: &Node, next: Next, depth: usize) -> Option<B::Value> {
        let wanted = match next {
            Next::Null => TypeSet::NULL,
            Next::True | Next::False => TypeSet::BOOLEAN,
            Next::String => TypeSet::STRING,
            Next::Array => TypeSet::ARRAY,
            Next::Object => TypeSet::OBJECT,
            Next::Number => TypeSet::INTEGER.union(TypeSet::NUMBER),
        };
        let plan = self.plan;
        let start = self.scanner.position();
        if node.combine == Branches::All {
            let mut value = None;
            for (position, &part) in node.branches.iter().enumerate() {
                if position > 0 {
                    self.reread_from(start)?;
                }
                value = Some(self.value(next, part, depth)?);
            }
            return value;
        }
        let mut fitting = node.branches.iter().copied().filter(|&branch| {
            plan.resolve(branch)
                .is_some_and(|b| b.defer || b.types.intersects(wanted))
        });
        let mut branch = fitting.next()?;
        loop {
            if let Some(value) = self.value(next, branch, depth) {
                return Some(value);
            }
            branch = fitting.next()?;
            self.reread_from(start)?;
        }
    }

    /// Go back to `start` to read a value again, within the run's budget.
    fn reread_from(&mut self, start: usize) -> Option<()> {
        let read = self.scanner.position().checked_sub(start)?;
        self.reread_budget = self.reread_budget.checked_sub(read)?;
        self.scanner.rewind(start);
        Some(())
    }

    /// The comparable form of the scalar at the cursor, read without moving it; `None` for
    /// containers and for numbers a float cannot hold exactly.
    fn scalar_key(&mut self, next: Next) -> Option<ScalarKey> {
        let start = self.scanner.position();
        let key = match next {
            Next::Null => {
                self.scanner.null()?;
                ScalarKey::Null
            }
            Next::True | Next::False => ScalarKey::Boolean(self.scanner.boolean(next)?),
            Next::String => ScalarKey::String(self.scanner.string()?.to_owned()),
            Next::Number => {
                let value = match self.scanner.number()? {
                    Number::Int(value) if (-EXACT_FLOAT_INTEGER..=EXACT_FLOAT_INTEGER).contains(&value) => value as f64,
                    Number::Int(_) => return None,
                    Number::Float(value) if value.abs() < EXACT_FLOAT_INTEGER as f64 => value,
                    Number::Float(_) => return None,
                };
                ScalarKey::Number(if value == 0.0 {
                    0.0f64.to_bits()
                } else {
                    value.to_bits()
                })
            }
            Next::Array | Next::Object => return None,
        };
        self.scanner.rewind(start);
        Some(key)
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
        const NO_PREFIX: &[NodeId] = &[];
        let (prefix, items, min_items, max_items) = match &node.array {
            Some(rule) => (rule.prefix.as_slice(), rule.items, rule.min_items, rule.max_items),
            None => (NO_PREFIX, None, None, None),
        };
        let mut seen = node.unique.then(AHashSet::<ScalarKey>::new);
        let mut array = self.builder.array()?;
        let mut count: u64 = 0;
        let mut item_next = self.scanner.array_first()?;
        while let Some(next) = item_next {
            if let Some(seen) = &mut seen {
                if !seen.insert(self.scalar_key(next)?) {
                    return None;
                }
            }
            let schema = prefix.get(count as usize).copied().or(items);
            let value = match schema {
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

    /// `object` for a plain node, read through the index.
    fn indexed_object(&mut self, object: u32, depth: usize) -> Option<B::Value> {
        let index = self.index;
        let rule = index.object(object);
        let mut built = self.builder.object()?;
        let mut seen: u64 = 0;
        let mut hint = 0;
        let mut more = self.scanner.object_open()?;
        while more {
            // A declared name is recognised by its bytes as the text writes them, without
            // decoding the key; a key written otherwise is decoded and looked up.
            let written = index.written_key(&rule, self.scanner.key_ahead(), hint);
            let (position, property) = match written {
                Some((position, length, property)) if length <= self.limits.max_string_length => {
                    self.scanner.pass_key(length)?;
                    (position, property)
                }
                _ => match self.decoded_member(&rule, &mut built, hint, depth)? {
                    Some(declared) => declared,
                    None => {
                        more = self.scanner.object_more()?;
                        continue;
                    }
                },
            };
            if seen & (1 << position) != 0 {
                return None;
            }
            seen |= 1 << position;
            hint = position + 1;
            let key = self.builder.declared_key(property.key_id, self.plan)?;
            let next = self.scanner.peek()?;
            let value = self.value(next, property.node as NodeId, depth + 1)?;
            self.builder.set_declared(&mut built, key, value)?;
            more = self.scanner.object_more()?;
        }
        if seen & rule.required_mask != rule.required_mask {
            return None;
        }
        self.builder.finish_object(built)
    }

    /// A member of an `indexed_object` whose key `written_key` did not recognise: the key is
    /// decoded and looked up; a declared one is returned (position and record) for the caller to
    /// read, an undeclared one is read here as the object's rule says (`Some(None)`).
    #[cold]
    #[inline(never)]
    fn decoded_member(
        &mut self,
        rule: &HotObject,
        built: &mut B::Object,
        hint: usize,
        depth: usize,
    ) -> Option<Option<(usize, HotProperty)>> {
        let plan = self.plan;
        let text = self.scanner.key()?;
        if text.len() > self.limits.max_string_length {
            return None;
        }
        if let Some(position) = self.index.lookup(&plan.nodes, rule, text, hint) {
            return Some(Some((position, self.index.property(rule, position))));
        }
        if depth == 1 && plan.root_is_open {
            return None;
        }
        let target = match rule.additional {
            HotAdditional::Forbidden => return None,
            HotAdditional::Anything => None,
            HotAdditional::Node(id) => Some(id as NodeId),
        };
        let key = self.builder.key(None, text)?;
        let next = self.scanner.peek()?;
        let value = match target {
            Some(id) => self.value(next, id, depth + 1)?,
            None => self.anything(next, depth + 1)?,
        };
        self.builder.set(built, key, value)?;
        Some(None)
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
                    self.builder.set_declared(&mut object, key, value)?;
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

/// Derives the plan from the schema graph: one plan node per subschema a value can reach, read
/// from a work list (a node needs only the ids of its subschemas, never their content).
struct Compiler<'g, 's> {
    graph: &'g SchemaGraph<'s>,
    nodes: Vec<Node>,
    /// The plan node of each graph node, once it has one.
    plan_ids: Vec<Option<NodeId>>,
    /// Plan nodes still to read, with their graph node.
    queue: Vec<(NodeId, GraphNodeId)>,
    key_names: Vec<String>,
    key_ids: HashMap<String, u32>,
    known_strings: Vec<String>,
    known_string_ids: HashMap<String, u32>,
    /// `format` is an assertion for this road's validator, so the fast path leaves it alone.
    formats_asserted: bool,
}

impl Compiler<'_, '_> {
    fn node_id(&mut self, node: GraphNodeId) -> NodeId {
        if let Some(id) = self.plan_ids[node] {
            return id;
        }
        let id = self.nodes.len();
        self.nodes.push(Node::deferred());
        self.plan_ids[node] = Some(id);
        self.queue.push((id, node));
        id
    }

    fn read(&mut self, node: GraphNodeId) -> Node {
        let graph = self.graph;
        match &graph.node(node).body {
            Body::Bool(true) => Node::anything(),
            Body::Keywords(keywords) => self.compile_map(keywords).unwrap_or_else(Node::deferred),
            // `false`, not a schema at all, or beyond the schema's limits: the full road says why.
            Body::Bool(false) | Body::NotSchema | Body::BeyondLimit => Node::deferred(),
        }
    }

    /// A `oneOf` is read as an `anyOf` only when no value can pass two of its branches; any other
    /// is left to the full road.
    fn check_one_of_branches(&mut self) {
        for id in 0..self.nodes.len() {
            let node = &self.nodes[id];
            if node.combine != Branches::One || node.branches.is_empty() {
                continue;
            }
            let branches = &node.branches;
            let exclusive = branches.iter().enumerate().all(|(position, &first)| {
                branches[position + 1..]
                    .iter()
                    .all(|&second| self.exclusive(first, second))
            });
            if !exclusive {
                self.nodes[id].defer = true;
            }
        }
    }

    /// Whether no value passes both schemas: their types are apart, or both are objects that
    /// require one property and allow it different `const`/`enum` values (a discriminated union).
    fn exclusive(&self, first: NodeId, second: NodeId) -> bool {
        let (Some(first), Some(second)) = (resolve_in(&self.nodes, first), resolve_in(&self.nodes, second)) else {
            return false;
        };
        if first.defer || second.defer {
            return false;
        }
        // An integer is a number too.
        let widen = |types: TypeSet| {
            if types.intersects(TypeSet::NUMBER) {
                types.union(TypeSet::INTEGER)
            } else {
                types
            }
        };
        if !widen(first.types).intersects(widen(second.types)) {
            return true;
        }
        let (Some(first_object), Some(second_object)) = (&first.object, &second.object) else {
            return false;
        };
        if first.types != TypeSet::OBJECT && second.types != TypeSet::OBJECT {
            return false;
        }
        first_object.properties.iter().enumerate().any(|(position, property)| {
            let Some(other) = second_object.index.get(&property.name).copied() else {
                return false;
            };
            let both_required =
                first_object.required_mask & (1 << position) != 0 && second_object.required_mask & (1 << other) != 0;
            let allowed = |node: NodeId| resolve_in(&self.nodes, node).and_then(|node| node.allowed.as_ref());
            both_required
                && match (allowed(property.node), allowed(second_object.properties[other].node)) {
                    (Some(a), Some(b)) => a.is_apart_from(b),
                    _ => false,
                }
        })
    }

    /// A node that stands for part of a schema object (its `anyOf`, or its own keywords next to a
    /// `$ref`), so has no pointer of its own.
    fn part(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn compile_branches(&mut self, branches: &Keyword<Vec<GraphNodeId>>) -> Option<Vec<NodeId>> {
        let Keyword::Present(branches) = branches else {
            return None;
        };
        if branches.is_empty() {
            return None;
        }
        Some(branches.iter().map(|&branch| self.node_id(branch)).collect())
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
    fn compile_map(&mut self, keywords: &Keywords<'_>) -> Option<Node> {
        if keywords.names().any(|key| DEFERRED.contains(&key)) {
            return None;
        }
        // Every applicator of the object is a part the value must pass, next to its own keywords.
        let mut parts = Vec::new();
        if let Some(reference) = &keywords.reference {
            match reference {
                Reference::Resolved(target) => parts.push(self.node_id(*target)),
                Reference::Unresolved(_) | Reference::NotText => return None,
            }
        }
        if keywords.all_of.is_present() {
            parts.extend(self.compile_branches(&keywords.all_of)?);
        }
        for (branches, combine) in [(&keywords.any_of, Branches::Any), (&keywords.one_of, Branches::One)] {
            if branches.is_present() {
                let branches = self.compile_branches(branches)?;
                parts.push(self.part(Node {
                    branches,
                    combine,
                    ..Node::anything()
                }));
            }
        }
        let own = self.compile_keywords(keywords)?;
        if parts.is_empty() {
            return Some(own);
        }
        if !own.is_unconstrained() {
            parts.push(self.part(own));
        }
        if parts.len() == 1 {
            return Some(Node {
                alias: Some(parts[0]),
                ..Node::anything()
            });
        }
        Some(Node {
            branches: parts,
            combine: Branches::All,
            ..Node::anything()
        })
    }

    /// The keywords of a schema object that apply to the value itself (not its applicators).
    fn compile_keywords(&mut self, keywords: &Keywords<'_>) -> Option<Node> {
        let mut node = Node::anything();
        if self.formats_asserted && keywords.format.is_present() {
            return None;
        }
        match keywords.types {
            Keyword::Absent => {}
            Keyword::Present(types) => node.types = types,
            Keyword::Malformed => return None,
        }
        let allowed = match (&keywords.enumeration, keywords.constant) {
            (Keyword::Absent, None) => None,
            (Keyword::Absent, Some(constant)) => Some(std::slice::from_ref(constant)),
            (Keyword::Present(values), None) => Some(*values),
            _ => return None,
        };
        if let Some(values) = allowed {
            let mut allowed = compile_allowed(values)?;
            allowed.string_ids = allowed.strings.iter().map(|text| self.known_string_id(text)).collect();
            node.allowed = Some(allowed);
        }
        node.bounds = Bounds {
            minimum: bound(&keywords.minimum)?,
            maximum: bound(&keywords.maximum)?,
            exclusive_minimum: bound(&keywords.exclusive_minimum)?,
            exclusive_maximum: bound(&keywords.exclusive_maximum)?,
        };
        node.min_length = count(&keywords.min_length)?;
        node.max_length = count(&keywords.max_length)?;
        match keywords.pattern {
            Keyword::Absent => {}
            Keyword::Present(pattern) => node.pattern = Some(compile_pattern(pattern)?),
            Keyword::Malformed => return None,
        }
        match keywords.unique_items {
            Keyword::Absent | Keyword::Present(false) => {}
            Keyword::Present(true) => node.unique = true,
            Keyword::Malformed => return None,
        }
        if keywords.prefix_items.is_present()
            || keywords.items.is_present()
            || keywords.min_items.is_present()
            || keywords.max_items.is_present()
        {
            let prefix = match &keywords.prefix_items {
                Keyword::Absent => Vec::new(),
                Keyword::Present(schemas) => schemas.iter().map(|&schema| self.node_id(schema)).collect(),
                Keyword::Malformed => return None,
            };
            let items = match &keywords.items {
                Keyword::Absent => None,
                Keyword::Present(Items::Every(items)) => Some(self.node_id(*items)),
                // The draft-4 tuple form means something else in 2020-12.
                Keyword::Present(Items::Tuple(_)) | Keyword::Malformed => return None,
            };
            node.array = Some(ArrayRule {
                prefix,
                items,
                min_items: count(&keywords.min_items)?,
                max_items: count(&keywords.max_items)?,
            });
        }
        if keywords.properties.is_present()
            || keywords.required.is_present()
            || keywords.additional_properties.is_some()
        {
            node.object = Some(self.compile_object(keywords)?);
        }
        Some(node)
    }

    fn compile_object(&mut self, keywords: &Keywords<'_>) -> Option<ObjectRule> {
        let mut properties = Vec::new();
        let mut index = AHashMap::new();
        match &keywords.properties {
            Keyword::Absent => {}
            Keyword::Present(declared) => {
                if declared.len() > MAX_FAST_PROPERTIES {
                    return None;
                }
                for &(name, schema) in declared {
                    let node = self.node_id(schema);
                    index.insert(name.to_owned(), properties.len());
                    properties.push(Property {
                        name: name.to_owned(),
                        key_id: self.key_id(name),
                        node,
                    });
                }
            }
            Keyword::Malformed => return None,
        }
        let mut required_mask = 0u64;
        match keywords.required {
            Keyword::Absent => {}
            Keyword::Present(names) => {
                for name in names {
                    // A required key that is not declared: rare, and the full road handles it.
                    let position = *index.get(name.as_str()?)?;
                    required_mask |= 1 << position;
                }
            }
            Keyword::Malformed => return None,
        }
        let graph = self.graph;
        let additional = match keywords
            .additional_properties
            .map(|node| (node, &graph.node(node).body))
        {
            None | Some((_, Body::Bool(true))) => Additional::Anything,
            Some((_, Body::Bool(false))) => Additional::Forbidden,
            Some((node, Body::Keywords(_) | Body::BeyondLimit)) => Additional::Node(self.node_id(node)),
            Some((_, Body::NotSchema)) => return None,
        };
        Some(ObjectRule {
            properties,
            index,
            required_mask,
            additional,
        })
    }
}

/// The node `id` stands for, through bare `$ref`s; `None` for a cycle of them.
fn resolve_in(nodes: &[Node], mut id: NodeId) -> Option<&Node> {
    for _ in 0..=nodes.len() {
        let node = nodes.get(id)?;
        match node.alias {
            Some(target) => id = target,
            None => return Some(node),
        }
    }
    None
}

/// `pattern` as the validator reads it: translated from ECMA-262 by the same function, then
/// compiled for the `regex` crate. The validator's engine (fancy-regex) hands a pattern without
/// look-around or back-references whole to that crate, so both match alike; the others do not
/// compile here, and the full road evaluates them.
fn compile_pattern(pattern: &str) -> Option<Regex> {
    let translated = jsonschema_regex::to_rust_regex(pattern).ok()?;
    Regex::new(&translated).ok()
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
fn bound(keyword: &Keyword<&serde_json::Number>) -> Option<Option<f64>> {
    match keyword {
        Keyword::Absent => Some(None),
        Keyword::Present(number) => {
            let value = number.as_f64()?;
            let exact = number.is_f64() || number.as_i64().is_some_and(|i| i.abs() <= EXACT_FLOAT_INTEGER);
            exact.then_some(Some(value))
        }
        Keyword::Malformed => None,
    }
}

fn count(keyword: &Keyword<&serde_json::Number>) -> Option<Option<u64>> {
    match keyword {
        Keyword::Absent => Some(None),
        Keyword::Present(number) => match number.as_u64() {
            Some(count) => Some(Some(count)),
            // `2.0` is a count too.
            None => number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= EXACT_FLOAT_INTEGER as f64)
                .map(|f| Some(f as u64)),
        },
        Keyword::Malformed => None,
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
    use crate::schema::validator::CompiledSchema;
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

    #[test]
    fn an_indexed_plan_reads_as_its_plan_and_holds_what_it_reads() {
        let plan = Arc::new(FastPlan::compile(&forecast_schema(), &CompileOptions::default()).unwrap());
        let indexed = IndexedPlan::new(&plan);
        let texts = [
            r#"{"city": "Paris", "days": 3, "units": "imperial", "tags": ["a"]}"#,
            r#"{"city": "Paris", "days": 3, "window": {"start": "x", "child": {"start": "y"}}}"#,
            r#"{"city": "Paris", "days": 3, "extra": {"a": 1.5}, "max_results": null}"#,
            r#"{"city": "Paris", "days": 30}"#,
            r#"{"city": "Paris", "days": 3, "units": "kelvin"}"#,
            r#"{"city": "Paris", "days": 3, "unknown": 1}"#,
            r#"{"days": 3}"#,
        ];
        let expected: Vec<_> = texts
            .iter()
            .map(|text| plan.run(text, &Limits::default(), &mut ValueBuilder))
            .collect();
        assert_eq!(expected.iter().filter(|value| value.is_some()).count(), 3);
        drop(plan);
        for (text, expected) in texts.iter().zip(expected) {
            assert_eq!(
                indexed.run(text, &Limits::default(), &mut ValueBuilder),
                expected,
                "{text}"
            );
        }
    }

    fn fast(schema: &Value, text: &str) -> Option<Value> {
        FastPlan::compile(schema, &CompileOptions::default())
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
    fn finds_keys_as_written_in_any_order_and_decodes_the_rest() {
        let schema = json!({
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "ci": {"type": "integer"},
                "say \"hi\"": {"type": "integer"},
                "back\\slash": {"type": "integer"},
                "é": {"type": "boolean"}
            },
            "additionalProperties": false
        });
        for (text, expected) in [
            (r#"{"ci": 1, "city": "P"}"#, json!({"ci": 1, "city": "P"})),
            (r#"{"\u0063ity": "P"}"#, json!({"city": "P"})),
            (
                r#"{"say \"hi\"": 2, "back\\slash": 3}"#,
                json!({"say \"hi\"": 2, "back\\slash": 3}),
            ),
            (r#"{"é": true, "\u00e9": true}"#, Value::Null),
            (r#"{"city": "P", "\u0063ity": "Q"}"#, Value::Null),
            (r#"{"cit": "P"}"#, Value::Null),
            (r#"{"cityx": "P"}"#, Value::Null),
            (r#"{"say \"hi": 2}"#, Value::Null),
            (r#"{"back\": 3}"#, Value::Null),
        ] {
            let expected = (!expected.is_null()).then_some(expected);
            assert_eq!(fast(&schema, text), expected, "{text}");
        }
        assert_eq!(fast(&schema, r#"{"é": true}"#), Some(json!({"é": true})));
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
        assert!(FastPlan::compile(&json!({"type": "object", "not": {}}), &CompileOptions::default()).is_none());
        assert!(FastPlan::compile(&json!({"type": "string"}), &CompileOptions::default()).is_none());
        assert!(FastPlan::compile(
            &json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {}}),
            &CompileOptions::default()
        )
        .is_none());
        // Deep inside, an unsupported keyword only matters when a value reaches it.
        let schema = json!({"type": "object", "properties": {"code": {"type": "integer", "multipleOf": 2}, "n": {"type": "integer"}}});
        assert_eq!(fast(&schema, r#"{"n": 1}"#), Some(json!({"n": 1})));
        assert_eq!(fast(&schema, r#"{"code": 4}"#), None);
    }

    /// A schema as pydantic writes it for a tool with a pattern, a union of models told apart by a
    /// literal, nested models behind `$ref`, a tuple and a set.
    fn pydantic_style_schema() -> Value {
        json!({
            "$defs": {
                "Card": {"properties": {"kind": {"const": "card", "title": "Kind", "type": "string"},
                                        "last4": {"pattern": "^[0-9]{4}$", "title": "Last4", "type": "string"}},
                         "required": ["kind", "last4"], "title": "Card", "type": "object"},
                "Transfer": {"properties": {"kind": {"const": "transfer", "title": "Kind", "type": "string"},
                                            "iban": {"title": "Iban", "type": "string"}},
                             "required": ["kind", "iban"], "title": "Transfer", "type": "object"},
                "Address": {"additionalProperties": false,
                            "properties": {"city": {"type": "string"}, "zip": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null}},
                            "required": ["city"], "type": "object"}
            },
            "additionalProperties": false,
            "properties": {
                "order_id": {"pattern": "^ORD-[0-9]{6}$", "title": "Order Id", "type": "string"},
                "max_results": {"default": 10, "maximum": 100, "minimum": 1, "title": "Max Results", "type": "integer"},
                "payment": {"discriminator": {"mapping": {"card": "#/$defs/Card", "transfer": "#/$defs/Transfer"}, "propertyName": "kind"},
                            "oneOf": [{"$ref": "#/$defs/Card"}, {"$ref": "#/$defs/Transfer"}], "title": "Payment"},
                "ship_to": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "object", "properties": {"pickup_point": {"type": "string"}}, "required": ["pickup_point"], "additionalProperties": false}, {"type": "null"}]},
                "window": {"maxItems": 2, "minItems": 2, "prefixItems": [{"format": "date", "type": "string"}, {"format": "date", "type": "string"}], "type": "array"},
                "tags": {"items": {"type": "string"}, "type": "array", "uniqueItems": true},
                "billing": {"$ref": "#/$defs/Address", "description": "where the invoice goes"},
                "code": {"allOf": [{"type": "string"}, {"maxLength": 4}]}
            },
            "required": ["order_id"],
            "title": "PlaceOrder",
            "type": "object"
        })
    }

    #[test]
    fn covers_the_keywords_tool_schemas_use() {
        let schema = pydantic_style_schema();
        for text in [
            r#"{"order_id": "ORD-123456"}"#,
            r#"{"order_id": "ORD-123456", "max_results": 5, "payment": {"kind": "card", "last4": "4242"}}"#,
            r#"{"order_id": "ORD-123456", "payment": {"kind": "transfer", "iban": "DE00"}}"#,
            r#"{"order_id": "ORD-123456", "ship_to": {"city": "Paris", "zip": null}}"#,
            r#"{"order_id": "ORD-123456", "ship_to": {"pickup_point": "P1"}}"#,
            r#"{"order_id": "ORD-123456", "ship_to": null, "window": ["2025-01-01", "2025-01-31"]}"#,
            r#"{"order_id": "ORD-123456", "tags": ["a", "b", "ab"], "billing": {"city": "Lyon"}, "code": "ab"}"#,
        ] {
            assert_eq!(fast(&schema, text), Some(serde_json::from_str(text).unwrap()), "{text}");
        }
        for text in [
            r#"{"order_id": "ORD-12345"}"#,
            r#"{"order_id": "ord-123456"}"#,
            r#"{"order_id": "ORD-123456
"}"#,
            r#"{"order_id": "ORD-123456", "payment": {"kind": "card", "iban": "DE00"}}"#,
            r#"{"order_id": "ORD-123456", "payment": {"kind": "cash"}}"#,
            r#"{"order_id": "ORD-123456", "ship_to": {"city": "Paris", "pickup_point": "P1"}}"#,
            r#"{"order_id": "ORD-123456", "window": ["2025-01-01"]}"#,
            r#"{"order_id": "ORD-123456", "window": ["2025-01-01", 5]}"#,
            r#"{"order_id": "ORD-123456", "tags": ["a", "b", "a"]}"#,
            r#"{"order_id": "ORD-123456", "tags": ["a", "a"]}"#,
            r#"{"order_id": "ORD-123456", "billing": {"city": "Lyon", "street": "x"}}"#,
            r#"{"order_id": "ORD-123456", "code": "abcde"}"#,
            r#"{"order_id": "ORD-123456", "code": 5}"#,
        ] {
            assert_eq!(fast(&schema, text), None, "{text}");
        }
    }

    #[test]
    fn leaves_what_it_cannot_decide_to_the_full_road() {
        // Look-around is outside the regex crate: the full road's engine evaluates it.
        assert_eq!(
            fast(
                &json!({"type": "object", "properties": {"a": {"type": "string", "pattern": "^(?!x)"}}}),
                r#"{"a": "y"}"#
            ),
            None
        );
        // Two branches a value can pass at once: `oneOf` needs them to be apart.
        let overlapping =
            json!({"type": "object", "properties": {"a": {"oneOf": [{"type": "integer"}, {"minimum": 2}]}}});
        assert_eq!(fast(&overlapping, r#"{"a": 1}"#), None);
        let apart =
            json!({"type": "object", "properties": {"a": {"oneOf": [{"type": "integer"}, {"type": "string"}]}}});
        assert_eq!(fast(&apart, r#"{"a": 1}"#), Some(json!({"a": 1})));
        // Formats asserted by the road's validator are the validator's to check.
        let dated = json!({"type": "object", "properties": {"d": {"type": "string", "format": "date"}}});
        let asserting = CompileOptions {
            validate_formats: Some(true),
            ..CompileOptions::default()
        };
        let plan = FastPlan::compile(&dated, &asserting).unwrap();
        assert!(plan
            .run(r#"{"d": "2025-01-01"}"#, &Limits::default(), &mut ValueBuilder)
            .is_none());
        assert_eq!(fast(&dated, r#"{"d": "not a date"}"#), Some(json!({"d": "not a date"})));
        // A draft the road reads the schema as, other than 2020-12.
        let draft7 = CompileOptions {
            draft: Some(Draft::Draft7),
            ..CompileOptions::default()
        };
        assert!(FastPlan::compile(&dated, &draft7).is_none());
    }

    /// Nested unions of objects whose first branch fails only at the end of the object: each
    /// level reads its value twice, so `levels` levels would read the innermost 2^levels times.
    fn nested_unions(levels: usize) -> (Value, String) {
        let mut definitions = Map::new();
        definitions.insert(
            "L0".into(),
            json!({"type": "object", "properties": {"end": {"type": "integer"}}, "required": ["end"]}),
        );
        let mut text = String::from(r#"{"end": 1}"#);
        for level in 1..=levels {
            let next = json!({"$ref": format!("#/$defs/L{}", level - 1)});
            definitions.insert(
                format!("L{level}"),
                json!({"anyOf": [
                    {"type": "object", "properties": {"next": next, "a": {}, "b": {}}, "required": ["next", "a"]},
                    {"type": "object", "properties": {"next": next, "a": {}, "b": {}}, "required": ["next", "b"]},
                ]}),
            );
            text = format!(r#"{{"next": {text}, "b": 0}}"#);
        }
        (
            json!({"type": "object", "properties": {"root": {"$ref": format!("#/$defs/L{levels}")}}, "$defs": definitions}),
            format!(r#"{{"root": {text}}}"#),
        )
    }

    #[test]
    fn reads_values_again_only_within_a_linear_budget() {
        let (schema, text) = nested_unions(2);
        assert_eq!(fast(&schema, &text), Some(serde_json::from_str(&text).unwrap()));
        // Valid, but beyond the budget: handed to the full road instead of read 2^12 times.
        let (schema, text) = nested_unions(12);
        let validator = CompiledSchema::compile(&schema, &CompileOptions::default()).unwrap();
        assert!(validator.is_valid(&serde_json::from_str(&text).unwrap()));
        assert_eq!(fast(&schema, &text), None);
    }

    #[test]
    fn respects_limits() {
        let plan = FastPlan::compile(
            &json!({
                "type": "object", "properties": {"a": {}, "abcd": {}}, "additionalProperties": false
            }),
            &CompileOptions::default(),
        )
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

    /// The fast path must never accept what the validator refuses, nor return another value; and
    /// it must take most of what the validator accepts (at least `share_taken` of it).
    fn check_agreement(schema: &Value, base: impl Fn(&mut Xorshift) -> Value, share_taken: f64) {
        let plan = FastPlan::compile(schema, &CompileOptions::default()).unwrap();
        let validator = CompiledSchema::compile(schema, &CompileOptions::default()).unwrap();
        let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
        let (mut accepted, mut valid) = (0, 0);
        for round in 0..50_000 {
            let mut value = random_value(&mut rng, 0);
            if round % 2 == 0 {
                // Bias towards the right shape so that many documents are valid.
                let object = value.as_object_mut().map(std::mem::take).unwrap_or_default();
                let mut start = base(&mut rng);
                for (k, v) in object.into_iter().take(rng.below(3) as usize) {
                    start[k] = v;
                }
                value = start;
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
            accepted as f64 >= valid as f64 * share_taken,
            "the fast path took only {accepted} of {valid} valid documents"
        );
    }

    #[test]
    fn agrees_with_the_validator() {
        check_agreement(
            &forecast_schema(),
            |rng| json!({"city": "Paris", "days": 1 + rng.below(14) as i64}),
            0.9,
        );
    }

    /// Nodes read through the packed index: string `enum`/`const` (beside values of other types),
    /// arrays whose items share one schema or none, nodes that are both arrays and objects.
    #[test]
    fn agrees_with_the_validator_on_indexed_nodes() {
        let schema = json!({
            "type": "object",
            "properties": {
                "units": {"enum": ["metric", "imperial", 5, null, true]},
                "city": {"type": "string", "enum": ["Paris", "x", ""]},
                "tags": {"type": "array", "items": {"enum": ["x", "Paris", "metric"]}},
                "window": {"type": ["array", "object"], "items": {"type": "integer"},
                           "properties": {"start": {"type": "string"}}, "required": ["start"]},
                "extra": {"type": "array"},
                "a": {"const": "METRIC"},
                "note": {"type": ["string", "null"], "enum": ["x", null]},
                "child": {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "number"}}}}
            },
            "required": ["city"],
            "additionalProperties": false
        });
        let cities = ["Paris", "x", ""];
        check_agreement(&schema, |rng| json!({"city": cities[rng.below(3) as usize]}), 0.9);
    }
}
