//! OpenAI's size limits: properties, nesting, enum values and text, counted over the exported schema.

use super::*;

/// OpenAI strict mode's size limits ("Supported schemas"), measured on the graph of the schema.
pub(super) fn openai_limit_problems(graph: &SchemaGraph) -> Vec<ExportProblem> {
    let mut tally = Tally::default();
    tally.walk(graph, SchemaGraph::ROOT, &Loc::root(), 0);
    if let Some(root) = graph.root().keywords() {
        for container in ["$defs", "definitions"] {
            if let Some(Subschemas::Named(definitions)) = root.subschemas_of(container) {
                for (name, definition) in definitions {
                    tally.text_chars += name.chars().count();
                    tally.walk(graph, definition, &Loc::definition(container, name), 0);
                }
            }
        }
    }
    let depth = nesting_depth(graph, SchemaGraph::ROOT, &mut HashMap::new(), &mut Vec::new(), 0);

    let mut report = Report::default();
    let root = Loc::root();
    if tally.properties > OPENAI_MAX_PROPERTIES {
        report.problem(
            &root,
            format!(
                "the schema has {} object properties; OpenAI strict mode allows at most {}",
                thousands(tally.properties),
                thousands(OPENAI_MAX_PROPERTIES)
            ),
            "split the tool, or group rarely used options",
        );
    }
    if depth > OPENAI_MAX_NESTING {
        report.problem(
            &root,
            format!("the schema nests objects and lists {depth} levels deep; OpenAI strict mode allows at most {OPENAI_MAX_NESTING}"),
            "flatten the structure",
        );
    }
    if tally.enum_values > OPENAI_MAX_ENUM_VALUES {
        report.problem(
            &root,
            format!(
                "the schema has {} enum values; OpenAI strict mode allows at most {}",
                thousands(tally.enum_values),
                thousands(OPENAI_MAX_ENUM_VALUES)
            ),
            "replace the longest enums with a plain string described in words, or split the tool",
        );
    }
    if tally.text_chars > OPENAI_MAX_TEXT_CHARS {
        report.problem(
            &root,
            format!(
                "property names, definition names, enum values and const values add up to {} characters; OpenAI strict mode allows at most {}",
                thousands(tally.text_chars),
                thousands(OPENAI_MAX_TEXT_CHARS)
            ),
            "shorten the enums and names, or split the tool",
        );
    }
    for (at, count, chars) in tally.large_enums {
        report.problem(
            &at,
            format!(
                "this enum has {} string values totalling {} characters; OpenAI strict mode allows at most {} characters in an enum of more than {OPENAI_LARGE_ENUM_VALUES} values",
                thousands(count),
                thousands(chars),
                thousands(OPENAI_MAX_LARGE_ENUM_CHARS)
            ),
            "shorten the values, or use a plain string described in words",
        );
    }
    report.problems
}

#[derive(Default)]
pub(super) struct Tally {
    pub(super) properties: usize,
    pub(super) enum_values: usize,
    pub(super) text_chars: usize,
    pub(super) large_enums: Vec<(Loc, usize, usize)>,
}

impl Tally {
    /// Counts the schema at `id` and, below it, its properties, items and union members.
    pub(super) fn walk(&mut self, graph: &SchemaGraph, id: NodeId, at: &Loc, depth: usize) {
        let Value::Object(node) = graph.schema(id) else {
            return;
        };
        if depth > MAX_SCHEMA_DEPTH {
            return;
        }
        if let Some(Value::Array(values)) = node.get("enum") {
            self.enum_values += values.len();
            let chars: usize = values.iter().map(text_length).sum();
            self.text_chars += chars;
            // A null added for an optional property does not make a string enum less of one.
            let strings = values.iter().filter(|value| value.is_string()).count();
            let all_strings = values.iter().all(|value| value.is_string() || value.is_null());
            if all_strings && strings > OPENAI_LARGE_ENUM_VALUES && chars > OPENAI_MAX_LARGE_ENUM_CHARS {
                self.large_enums.push((at.keyword("enum"), strings, chars));
            }
        }
        if let Some(value) = node.get("const") {
            self.text_chars += text_length(value);
        }
        if let Some(Value::Object(properties)) = node.get("properties") {
            self.properties += properties.len();
            self.text_chars += properties.keys().map(|name| name.chars().count()).sum::<usize>();
        }
        if depth == MAX_SCHEMA_DEPTH {
            // What lies below is not counted.
            return;
        }
        // Read by the graph: within the walk's depth, and the graph's depth is never more
        // than one beyond (definitions start the walk afresh).
        let Some(keywords) = graph.node(id).keywords() else {
            return;
        };
        if let Keyword::Present(properties) = &keywords.properties {
            for (name, property) in properties {
                self.walk(graph, *property, &at.property(name), depth + 1);
            }
        }
        if let Keyword::Present(Items::Every(items)) = &keywords.items {
            self.walk(graph, *items, &at.items("items"), depth + 1);
        }
        if let Keyword::Present(members) = &keywords.any_of {
            for (index, member) in members.iter().enumerate() {
                self.walk(graph, *member, &at.member("anyOf", index), depth + 1);
            }
        }
    }
}

/// A string's own length; any other value's length as JSON text. A null (the one added for
/// an optional property) is not text.
pub(super) fn text_length(value: &Value) -> usize {
    match value {
        Value::String(text) => text.chars().count(),
        Value::Null => 0,
        other => other.to_string().chars().count(),
    }
}

/// How many objects and lists deep the schema goes, the root included, following `$ref`s
/// (a reference back into itself adds nothing: recursion is allowed). Counting lists as
/// levels is the cautious reading of "levels of nesting". `memo` and `active` hold the
/// targets of references, by node.
pub(super) fn nesting_depth(
    graph: &SchemaGraph,
    id: NodeId,
    memo: &mut HashMap<NodeId, usize>,
    active: &mut Vec<NodeId>,
    depth: usize,
) -> usize {
    if !graph.schema(id).is_object() {
        return 0;
    }
    if depth > MAX_SCHEMA_DEPTH {
        return depth;
    }
    let Some(node) = graph.node(id).keywords() else {
        return depth;
    };
    match &node.reference {
        Some(Reference::Resolved(target)) => {
            if active.contains(target) {
                return 0;
            }
            if let Some(known) = memo.get(target) {
                return *known;
            }
            active.push(*target);
            let found = nesting_depth(graph, *target, memo, active, depth + 1);
            active.pop();
            memo.insert(*target, found);
            return found;
        }
        Some(Reference::Unresolved(_)) => return 0,
        Some(Reference::NotText) | None => {}
    }
    let own = match node.value("type") {
        Some(Value::String(name)) => usize::from(name == "object" || name == "array"),
        Some(Value::Array(names)) => usize::from(names.iter().any(|name| name == "object" || name == "array")),
        _ => 0,
    };
    let deepest = graph_children(node)
        .into_iter()
        .map(|child| nesting_depth(graph, child, memo, active, depth + 1))
        .max()
        .unwrap_or(0);
    own + deepest
}

/// The subschemas of a strict or Gemini schema in its graph: properties, items and union
/// members.
pub(super) fn graph_children(node: &Keywords) -> Vec<NodeId> {
    let mut found: Vec<NodeId> = Vec::new();
    if let Keyword::Present(properties) = &node.properties {
        found.extend(properties.iter().map(|(_, id)| *id));
    }
    if let Keyword::Present(Items::Every(items)) = &node.items {
        found.push(*items);
    }
    if let Keyword::Present(members) = &node.any_of {
        found.extend(members);
    }
    found
}
