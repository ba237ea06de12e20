//! Reading a schema: references, types, required names, tuples and `allOf`, as every lowering needs them.

use super::*;

/// For `#/$defs/Name` and `#/definitions/Name`: the container and the name.
pub(super) fn definition_target(reference: &str) -> Option<(String, String)> {
    let pointer = percent_decode(reference.strip_prefix("#/")?);
    let (container, name) = pointer.split_once('/')?;
    if !matches!(container, "$defs" | "definitions") || name.contains('/') {
        return None;
    }
    Some((container.to_string(), name.replace("~1", "/").replace("~0", "~")))
}

/// The parameters schema as a JSON object, or the problem with it.
pub(super) fn root_object<'v>(schema: &'v Value, report: &mut Report) -> Option<&'v Map<String, Value>> {
    match schema {
        Value::Object(node) => Some(node),
        other => {
            report.problem(
                &Loc::root(),
                format!("the parameters schema must be a JSON object, not {}", kind_of(other)),
                "describe the parameters as an object schema with properties, e.g. {\"type\": \"object\", \"properties\": {...}}",
            );
            None
        }
    }
}

pub(super) fn kind_of(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => format!("the boolean schema {flag}"),
        Value::Number(_) => "a number".to_string(),
        Value::String(_) => "a string".to_string(),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

pub(super) fn not_a_schema(report: &mut Report, at: &Loc, value: &Value) {
    report.problem(
        at,
        format!("{} is not a schema ({})", at.subject(), kind_of(value)),
        "write a JSON Schema object here, e.g. {\"type\": \"string\"}",
    );
}

/// A subschema the graph did not read (past its limit on how many subschemas it reads):
/// refused with the graph's reason.
pub(super) fn unread(graph: &SchemaGraph, id: NodeId, at: &Loc, report: &mut Report) {
    let message = graph.problem_at(&graph.node(id).pointer).map_or_else(
        || "the schema was not read this far".to_string(),
        |problem| problem.message.clone(),
    );
    report.problem(at, message, "split the schema");
}

pub(super) fn has_any(node: &Map<String, Value>, keywords: &[&str]) -> bool {
    keywords.iter().any(|keyword| node.contains_key(*keyword))
}

/// The `type` keyword of a schema.
pub(super) enum Types {
    Absent,
    Declared(Vec<String>),
    /// Declared but unusable; the problem is already reported.
    Broken,
}

pub(super) fn read_types(node: &Map<String, Value>, at: &Loc, report: &mut Report) -> Types {
    let names: Vec<&Value> = match node.get("type") {
        None => return Types::Absent,
        Some(Value::Array(names)) if !names.is_empty() => names.iter().collect(),
        Some(name @ Value::String(_)) => vec![name],
        Some(_) => {
            report.problem(
                &at.keyword("type"),
                "'type' must be a type name or a non-empty list of type names",
                "use one of string, number, integer, boolean, object, array or null",
            );
            return Types::Broken;
        }
    };
    let mut types: Vec<String> = Vec::new();
    let mut broken = false;
    for name in names {
        match name.as_str() {
            Some(name) if JSON_TYPES.contains(&name) => {
                if !types.iter().any(|known| known == name) {
                    types.push(name.to_string());
                }
            }
            _ => {
                broken = true;
                report.problem(
                    &at.keyword("type"),
                    format!("{} is not a JSON Schema type", show(name)),
                    "use one of string, number, integer, boolean, object, array or null (normalize_dialect translates names such as 'dict', 'float' or 'String')",
                );
            }
        }
    }
    if broken {
        Types::Broken
    } else {
        Types::Declared(types)
    }
}

pub(super) fn types_value(types: &[String]) -> Value {
    match types {
        [single] => json!(single),
        many => json!(many),
    }
}

pub(super) fn json_type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

pub(super) fn types_of_values<'v>(values: impl IntoIterator<Item = &'v Value>) -> Vec<String> {
    let mut types: Vec<String> = Vec::new();
    for value in values {
        let name = json_type_of(value);
        if !types.iter().any(|known| known == name) {
            types.push(name.to_string());
        }
    }
    if types.iter().any(|t| t == "number") {
        types.retain(|t| t != "integer");
    }
    types
}

/// The type a schema without `type` must have, from a keyword only that type uses.
pub(super) fn inferred_types(node: &Map<String, Value>) -> Option<(Vec<String>, String)> {
    if let Some(Value::Array(values)) = node.get("enum") {
        if !values.is_empty() {
            return Some((types_of_values(values), "enum".to_string()));
        }
    }
    if let Some(value) = node.get("const") {
        return Some((types_of_values([value]), "const".to_string()));
    }
    pub(super) const HINTS: [(&str, &[&str]); 4] = [
        (
            "object",
            &[
                "properties",
                "required",
                "additionalProperties",
                "minProperties",
                "maxProperties",
            ],
        ),
        (
            "array",
            &["items", "prefixItems", "minItems", "maxItems", "uniqueItems"],
        ),
        ("string", &["minLength", "maxLength", "pattern"]),
        (
            "number",
            &[
                "minimum",
                "maximum",
                "exclusiveMinimum",
                "exclusiveMaximum",
                "multipleOf",
            ],
        ),
    ];
    let found: Vec<(&str, &str)> = HINTS
        .iter()
        .filter_map(|(name, keywords)| {
            keywords
                .iter()
                .find(|keyword| node.contains_key(**keyword))
                .map(|keyword| (*name, *keyword))
        })
        .collect();
    match found.as_slice() {
        [(name, keyword)] => Some((vec![name.to_string()], keyword.to_string())),
        _ => None,
    }
}

/// The schema's types, declared or inferred, and whether `type` was unusable. The root of
/// tool parameters is an object whenever nothing says otherwise.
pub(super) fn settle_types(
    node: &Map<String, Value>,
    at: &Loc,
    is_root: bool,
    report: &mut Report,
) -> (Option<Vec<String>>, bool) {
    match read_types(node, at, report) {
        Types::Declared(types) => (Some(types), false),
        Types::Broken => (None, true),
        Types::Absent if has_any(node, &["anyOf", "oneOf"]) => (None, false),
        Types::Absent => match inferred_types(node) {
            Some((types, keyword)) => {
                report.note(format!(
                    "type '{}' given to {}, as its '{keyword}' implies",
                    types.join("' or '"),
                    at.subject()
                ));
                (Some(types), false)
            }
            None if is_root => {
                report.note("type 'object' given to the parameters");
                (Some(vec!["object".to_string()]), false)
            }
            None => (None, false),
        },
    }
}

/// When `type` is unusable (already reported), the types its other keywords imply, so that
/// the schemas below are still checked and every problem is found in one pass.
pub(super) fn walkable_types(node: &Map<String, Value>, broken: bool) -> Option<Vec<String>> {
    if broken {
        inferred_types(node).map(|(types, _)| types)
    } else {
        None
    }
}

/// The keyword's type family: the keyword only constrains values of that type.
pub(super) fn family(keyword: &str) -> Option<&'static str> {
    match keyword {
        "properties"
        | "required"
        | "additionalProperties"
        | "patternProperties"
        | "propertyNames"
        | "minProperties"
        | "maxProperties"
        | "dependentRequired"
        | "dependentSchemas"
        | "dependencies"
        | "unevaluatedProperties" => Some("object"),
        "items" | "prefixItems" | "additionalItems" | "minItems" | "maxItems" | "uniqueItems" | "contains"
        | "minContains" | "maxContains" | "unevaluatedItems" => Some("array"),
        "minLength" | "maxLength" | "pattern" | "contentEncoding" | "contentMediaType" | "contentSchema" => {
            Some("string")
        }
        "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" | "multipleOf" => Some("number"),
        _ => None,
    }
}

pub(super) fn family_applies(family: &str, types: &[String]) -> bool {
    types
        .iter()
        .any(|t| t == family || (family == "number" && t == "integer"))
}

/// Whether a keyword matters for a schema of these types: a string keyword on an integer
/// schema constrains nothing.
pub(super) fn keyword_applies(keyword: &str, types: &[String]) -> bool {
    match family(keyword) {
        None => true,
        Some(family) => family_applies(family, types),
    }
}

/// Whether a kept keyword's value is of the kind providers expect.
pub(super) fn keyword_value_ok(keyword: &str, value: &Value) -> bool {
    match keyword {
        "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties" | "maxProperties" => value.is_u64(),
        "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => value.is_number(),
        "multipleOf" => value.as_f64().is_some_and(|n| n > 0.0),
        "pattern" | "format" => value.is_string(),
        _ => true,
    }
}

/// Whether the schema says outright that null is allowed.
pub(super) fn admits_null(schema: &Value, graph: &SchemaGraph, hops: usize) -> bool {
    let Value::Object(node) = schema else {
        return false;
    };
    if hops > 16 {
        return false;
    }
    let by_type = match node.get("type") {
        Some(Value::String(name)) => name == "null",
        Some(Value::Array(names)) => names.contains(&json!("null")),
        _ => false,
    };
    let by_values = node
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|values| values.contains(&Value::Null))
        || node.get("const") == Some(&Value::Null)
        || node.get("nullable") == Some(&Value::Bool(true));
    let by_members = ["anyOf", "oneOf"].iter().any(|keyword| {
        node.get(*keyword)
            .and_then(Value::as_array)
            .is_some_and(|members| members.iter().any(|member| admits_null(member, graph, hops + 1)))
    });
    let by_reference = node
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|reference| graph.resolve(reference).ok())
        .is_some_and(|target| admits_null(target, graph, hops + 1));
    by_type || by_values || by_members || by_reference
}

pub(super) fn is_null_schema(schema: &Value) -> bool {
    schema.as_object().is_some_and(|node| {
        node.get("type") == Some(&json!("null")) && !has_any(node, &["anyOf", "oneOf", "allOf", "$ref"])
    })
}

/// How a schema treats keys it does not declare.
pub(super) enum ExtraKeys<'v> {
    Unstated,
    Forbidden,
    /// `true` or `{}`: any extra key with any value.
    Any,
    /// A schema for the values of extra keys: a `dict[str, T]`.
    Typed(&'v Value),
    Malformed,
}

pub(super) fn extra_keys(node: &Map<String, Value>) -> ExtraKeys<'_> {
    match node.get("additionalProperties") {
        None => ExtraKeys::Unstated,
        Some(Value::Bool(false)) => ExtraKeys::Forbidden,
        Some(Value::Bool(true)) => ExtraKeys::Any,
        Some(Value::Object(schema)) if schema.is_empty() => ExtraKeys::Any,
        Some(schema @ Value::Object(_)) => ExtraKeys::Typed(schema),
        Some(_) => ExtraKeys::Malformed,
    }
}

pub(super) fn required_names(node: &Map<String, Value>, at: &Loc, report: &mut Report) -> Vec<String> {
    let fix = "list the names of the required properties, e.g. [\"query\"]";
    match node.get("required") {
        None => Vec::new(),
        Some(Value::Array(entries)) => {
            let mut names: Vec<String> = Vec::new();
            for entry in entries {
                match entry.as_str() {
                    Some(name) if !names.iter().any(|known| known == name) => names.push(name.to_string()),
                    Some(_) => {}
                    None => report.problem(
                        &at.keyword("required"),
                        "'required' must list property names (strings)",
                        fix,
                    ),
                }
            }
            names
        }
        Some(_) => {
            report.problem(
                &at.keyword("required"),
                "'required' must be a list of property names",
                fix,
            );
            Vec::new()
        }
    }
}

pub(super) fn undeclared_required(names: &[String], properties: &Map<String, Value>, at: &Loc, report: &mut Report) {
    for name in names {
        if !properties.contains_key(name) {
            report.problem(
                &at.keyword("required"),
                format!("'required' lists '{name}', which is not declared under properties"),
                format!("declare '{name}' under properties or remove it from required"),
            );
        }
    }
}

/// A tuple (`prefixItems`) becomes a list whose items may be any of the tuple's member
/// types, bounded to the tuple's length, with the order of the members in the description.
/// Returns that description line.
pub(super) fn rewrite_tuple(node: &mut Map<String, Value>, at: &Loc, report: &mut Report) -> Option<String> {
    let (members, rest) = match node.get("prefixItems") {
        Some(Value::Array(members)) => {
            let members = members.clone();
            node.shift_remove("prefixItems");
            (members, node.shift_remove("items"))
        }
        Some(_) => {
            report.problem(
                &at.keyword("prefixItems"),
                "'prefixItems' must be a list of schemas",
                "list one schema per position",
            );
            node.shift_remove("prefixItems");
            return None;
        }
        None => match node.get("items") {
            Some(Value::Array(members)) => {
                let members = members.clone();
                node.shift_remove("items");
                (members, node.shift_remove("additionalItems"))
            }
            _ => return None,
        },
    };
    if members.is_empty() {
        report.problem(
            &at.keyword("prefixItems"),
            format!("{} is an empty tuple", at.subject()),
            "remove the parameter, or give the tuple at least one member",
        );
        return None;
    }
    let mut variants: Vec<Value> = Vec::new();
    for member in &members {
        if !variants.contains(member) {
            variants.push(member.clone());
        }
    }
    let further = match &rest {
        Some(schema @ Value::Object(node)) if !node.is_empty() => Some(schema.clone()),
        _ => None,
    };
    if let Some(schema) = &further {
        if !variants.contains(schema) {
            variants.push(schema.clone());
        }
    }
    let items = if variants.len() == 1 {
        variants.remove(0)
    } else {
        json!({"anyOf": variants})
    };
    node.insert("items".to_string(), items);
    if further.is_none() {
        // Extra items past the tuple are either forbidden or of any type; offering none is
        // the closest a list of one item type can come.
        let length = members.len() as u64;
        let cap = node
            .get("maxItems")
            .and_then(Value::as_u64)
            .map_or(length, |max| max.min(length));
        node.insert("maxItems".to_string(), json!(cap));
    }
    report.note(format!(
        "the tuple {} is sent as a list; the order of its items is in the description",
        at.subject()
    ));
    let order: Vec<String> = members
        .iter()
        .enumerate()
        .map(|(index, member)| format!("{}) {}", index + 1, short_label(member)))
        .collect();
    Some(match &further {
        Some(schema) => format!(
            "Items in this order: {}, then any number of {}.",
            order.join(", "),
            short_label(schema)
        ),
        None => format!("Items in this order: {}.", order.join(", ")),
    })
}

/// A schema's `allOf` with one member, folded into the schema. Several members are a
/// problem (no provider here takes an intersection); the schema goes on without them so
/// that its other problems are found too.
pub(super) fn fold_all_of(
    mut node: Map<String, Value>,
    at: &Loc,
    label: &str,
    report: &mut Report,
) -> Option<Map<String, Value>> {
    let all_of = node.shift_remove("allOf")?;
    let members = match all_of {
        Value::Array(members) => members,
        _ => {
            report.problem(
                &at.keyword("allOf"),
                "'allOf' must be a list of schemas",
                "list the schemas to combine",
            );
            return Some(node);
        }
    };
    match members.as_slice() {
        [] => Some(node),
        [Value::Bool(true)] => Some(node),
        [Value::Object(member)] => {
            const ANNOTATIONS: [&str; 5] = ["title", "description", "default", "examples", "deprecated"];
            let mut merged = member.clone();
            for (keyword, value) in node {
                if let Some(existing) = merged.get(&keyword) {
                    if existing != &value && !ANNOTATIONS.contains(&keyword.as_str()) {
                        report.problem(
                            &at.keyword(&keyword),
                            format!("'{keyword}' is set both next to 'allOf' and inside it, with different values"),
                            "merge the two into one schema",
                        );
                    }
                }
                merged.insert(keyword, value);
            }
            Some(merged)
        }
        [other] => {
            not_a_schema(report, &at.member("allOf", 0), other);
            None
        }
        several => {
            report.problem(
                &at.keyword("allOf"),
                format!(
                    "'allOf' combines {} schemas, which {label} cannot express",
                    several.len()
                ),
                "merge them into one schema (one model that has all the fields)",
            );
            Some(node)
        }
    }
}
