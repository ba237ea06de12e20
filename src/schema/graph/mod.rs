//! A tool's schema compiled once into a graph: one node per subschema, every `$ref` resolved to
//! the node it points to (so recursive schemas are cycles, not endless trees), each node's keywords
//! parsed once into a table, and one limit on how far the compile goes.
//!
//! The stages that read a tool's schema (the coercion plan, the fast plan) are derived from the
//! graph rather than walking the JSON themselves, and the provider exports walk it (the
//! rewrites follow references through it); the validator is compiled by the jsonschema crate
//! from the same document.
//!
//! The compile is breadth-first and never recurses, so a node's depth is the fewest steps (a
//! nesting or a `$ref`) from the root, whatever order the document lists things in.

mod error;
mod keywords;

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

pub use error::GraphError;
pub use keywords::{Items, Keyword, Keywords, Reference, Subschemas, SCHEMA_LISTS, SCHEMA_MAPS, SCHEMA_SINGLES};

use crate::schema::refs;

/// Past this many steps from the root (each nesting and each `$ref` followed counting one), a
/// subschema is not read: the stages take it as something they do not know (the fast plan and the
/// coercion plan hand it to the validator, an export refuses the schema).
pub const MAX_SCHEMA_DEPTH: usize = 64;

/// Past this many subschemas the rest are not read either, so compiling a schema costs bounded
/// time and memory whatever it holds.
pub const MAX_SCHEMA_NODES: usize = 100_000;

pub type NodeId = usize;

/// What a subschema is.
#[derive(Clone, Debug)]
pub enum Body<'s> {
    /// `true` (anything) or `false` (nothing).
    Bool(bool),
    Keywords(Box<Keywords<'s>>),
    /// Neither an object nor a boolean: no schema at all (the validator says why).
    NotSchema,
    /// Beyond [`MAX_SCHEMA_DEPTH`] or [`MAX_SCHEMA_NODES`]: not read.
    BeyondLimit,
}

#[derive(Clone, Debug)]
pub struct GraphNode<'s> {
    /// Where the subschema sits in the document, as a JSON pointer fragment (`#/$defs/Item`).
    pub pointer: String,
    /// The fewest steps from the root to here.
    pub depth: usize,
    pub body: Body<'s>,
}

impl<'s> GraphNode<'s> {
    pub fn keywords(&self) -> Option<&Keywords<'s>> {
        match &self.body {
            Body::Keywords(keywords) => Some(keywords),
            _ => None,
        }
    }
}

/// Every subschema of one document, by [`NodeId`]; the root is [`SchemaGraph::ROOT`].
#[derive(Clone, Debug)]
pub struct SchemaGraph<'s> {
    document: &'s Value,
    nodes: Vec<GraphNode<'s>>,
    /// The JSON of each node, read or not (a node beyond the limits still says what it is).
    schemas: Vec<&'s Value>,
    by_pointer: HashMap<String, NodeId>,
    /// Every `$ref` text the compile met, and where it leads.
    references: HashMap<&'s str, Result<NodeId, String>>,
    problems: Vec<GraphError>,
}

impl<'s> SchemaGraph<'s> {
    pub const ROOT: NodeId = 0;

    pub fn compile(document: &'s Value) -> Self {
        let mut compiler = Compiler {
            document,
            nodes: Vec::new(),
            schemas: Vec::new(),
            by_pointer: HashMap::new(),
            references: HashMap::new(),
            queue: VecDeque::new(),
            problems: Vec::new(),
            depth: 0,
        };
        compiler.node_at(document, "#".to_owned(), 0);
        while let Some(id) = compiler.queue.pop_front() {
            compiler.read(id);
        }
        SchemaGraph {
            document,
            nodes: compiler.nodes,
            schemas: compiler.schemas,
            by_pointer: compiler.by_pointer,
            references: compiler.references,
            problems: compiler.problems,
        }
    }

    pub fn document(&self) -> &'s Value {
        self.document
    }

    pub fn node(&self, id: NodeId) -> &GraphNode<'s> {
        &self.nodes[id]
    }

    /// The subschema as the document writes it.
    pub fn schema(&self, id: NodeId) -> &'s Value {
        self.schemas[id]
    }

    pub fn root(&self) -> &GraphNode<'s> {
        &self.nodes[SchemaGraph::ROOT]
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &GraphNode<'s>)> {
        self.nodes.iter().enumerate()
    }

    /// What the compile could not follow: references that lead nowhere it reads, and subschemas
    /// beyond the limits, each with the pointer of where it is.
    pub fn problems(&self) -> &[GraphError] {
        &self.problems
    }

    /// The node with this pointer, if the compile reached it.
    pub fn find(&self, pointer: &str) -> Option<NodeId> {
        self.by_pointer.get(pointer).copied()
    }

    /// The schema a `$ref` of this document names, as the compile resolved it. A reference the
    /// compile did not meet (written in a subschema beyond the limits) is resolved here.
    pub fn resolve(&self, reference: &str) -> Result<&'s Value, String> {
        match self.references.get(reference) {
            Some(Ok(id)) => Ok(self.schemas[*id]),
            Some(Err(reason)) => Err(reason.clone()),
            None => refs::local_target(self.document, reference).map(|(target, _)| target),
        }
    }

    /// What the compile says about the node at `pointer` that it did not read.
    pub fn problem_at(&self, pointer: &str) -> Option<&GraphError> {
        self.problems.iter().find(|problem| problem.pointer == pointer)
    }
}

struct Compiler<'s> {
    document: &'s Value,
    nodes: Vec<GraphNode<'s>>,
    schemas: Vec<&'s Value>,
    by_pointer: HashMap<String, NodeId>,
    references: HashMap<&'s str, Result<NodeId, String>>,
    queue: VecDeque<NodeId>,
    problems: Vec<GraphError>,
    /// The depth of the node being read.
    depth: usize,
}

impl<'s> Compiler<'s> {
    fn node_at(&mut self, schema: &'s Value, pointer: String, depth: usize) -> NodeId {
        if let Some(&id) = self.by_pointer.get(&pointer) {
            return id;
        }
        let id = self.nodes.len();
        let beyond = if depth > MAX_SCHEMA_DEPTH {
            Some(format!(
                "the schema is nested more than {MAX_SCHEMA_DEPTH} levels deep (counting each '$ref' followed); not read from here"
            ))
        } else if id >= MAX_SCHEMA_NODES {
            Some(format!(
                "the schema has more than {MAX_SCHEMA_NODES} subschemas; not read from here"
            ))
        } else {
            None
        };
        let body = match beyond {
            Some(message) => {
                self.problems.push(GraphError {
                    pointer: pointer.clone(),
                    message,
                });
                Body::BeyondLimit
            }
            None => {
                self.queue.push_back(id);
                Body::NotSchema
            }
        };
        self.by_pointer.insert(pointer.clone(), id);
        self.nodes.push(GraphNode { pointer, depth, body });
        self.schemas.push(schema);
        id
    }

    fn read(&mut self, id: NodeId) {
        let schema = self.schemas[id];
        self.depth = self.nodes[id].depth;
        self.nodes[id].body = match schema {
            Value::Bool(flag) => Body::Bool(*flag),
            Value::Object(map) => {
                let pointer = std::mem::take(&mut self.nodes[id].pointer);
                let keywords = Keywords::read(map, &pointer, self);
                if let Some(Reference::Unresolved(reason)) = &keywords.reference {
                    self.problems.push(GraphError {
                        pointer: format!("{pointer}/$ref"),
                        message: reason.clone(),
                    });
                }
                self.nodes[id].pointer = pointer;
                Body::Keywords(Box::new(keywords))
            }
            _ => Body::NotSchema,
        };
    }
}

impl<'s> keywords::NodeIds<'s> for Compiler<'s> {
    fn child(&mut self, schema: &'s Value, pointer: String) -> NodeId {
        self.node_at(schema, pointer, self.depth + 1)
    }

    fn reference(&mut self, reference: &'s str) -> Result<NodeId, String> {
        let found = match refs::local_target(self.document, reference) {
            Ok((target, pointer)) => Ok(self.node_at(target, pointer, self.depth + 1)),
            Err(reason) => Err(reason),
        };
        self.references.entry(reference).or_insert_with(|| found.clone());
        found
    }
}

#[cfg(test)]
mod tests;
