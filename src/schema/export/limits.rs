//! OpenAI's size limits: properties, nesting, enum values and text, counted over the exported schema.

use super::*;

/// OpenAI strict mode's size limits ("Supported schemas"), measured on `schema`.
pub(super) fn openai_limit_problems(schema: &Value) -> Vec<ExportProblem> {
    let mut tally = Tally::default();
    tally.walk(schema, &Loc::root(), 0);
    if let Value::Object(root) = schema {
        for container in ["$defs", "definitions"] {
            if let Some(Value::Object(definitions)) = root.get(container) {
                for (name, definition) in definitions {
                    tally.text_chars += name.chars().count();
                    tally.walk(definition, &Loc::definition(container, name), 0);
                }
            }
        }
    }
    let resolver = Resolver { root: schema };
    let depth = nesting_depth(schema, &resolver, &mut HashMap::new(), &mut Vec::new(), 0);

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
    pub(super) fn walk(&mut self, schema: &Value, at: &Loc, depth: usize) {
        let Value::Object(node) = schema else {
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
            for (name, property) in properties {
                self.text_chars += name.chars().count();
                self.walk(property, &at.property(name), depth + 1);
            }
        }
        if let Some(items) = node.get("items") {
            self.walk(items, &at.items("items"), depth + 1);
        }
        if let Some(Value::Array(members)) = node.get("anyOf") {
            for (index, member) in members.iter().enumerate() {
                self.walk(member, &at.member("anyOf", index), depth + 1);
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
/// levels is the cautious reading of "levels of nesting".
pub(super) fn nesting_depth(
    schema: &Value,
    resolver: &Resolver,
    memo: &mut HashMap<String, usize>,
    active: &mut Vec<String>,
    depth: usize,
) -> usize {
    let Value::Object(node) = schema else {
        return 0;
    };
    if depth > MAX_SCHEMA_DEPTH {
        return depth;
    }
    if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        if active.iter().any(|open| open == reference) {
            return 0;
        }
        if let Some(known) = memo.get(reference) {
            return *known;
        }
        let Ok(target) = resolver.resolve(reference) else {
            return 0;
        };
        active.push(reference.to_string());
        let found = nesting_depth(target, resolver, memo, active, depth + 1);
        active.pop();
        memo.insert(reference.to_string(), found);
        return found;
    }
    let own = match node.get("type") {
        Some(Value::String(name)) => usize::from(name == "object" || name == "array"),
        Some(Value::Array(names)) => usize::from(names.iter().any(|name| name == "object" || name == "array")),
        _ => 0,
    };
    let deepest = children(node)
        .map(|child| nesting_depth(child, resolver, memo, active, depth + 1))
        .max()
        .unwrap_or(0);
    own + deepest
}
