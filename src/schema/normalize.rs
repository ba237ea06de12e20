//! Loose tool-schema dialects read as JSON Schema.
//!
//! Benchmarks and older tools describe parameters in schemas that look like JSON Schema but
//! are not. The Berkeley Function Calling Leaderboard's "Gorilla" dialect says `"type": "dict"`,
//! `float`, `tuple` and `any`, and uses Java and JavaScript type names (`String`, `HashMap`,
//! `ArrayList`, `long`, ...). OpenAPI-style schemas say `nullable: true`; draft-4 schemas write
//! `exclusiveMinimum` as a flag and tuples as an array of `items`; draft-3 schemas mark a
//! property `required: true` on the property itself. [`normalize_dialect`] rewrites all of these
//! into JSON Schema (draft 2020-12) and says what it changed, so providers and validators
//! that only speak JSON Schema can take the result.

use serde_json::{json, Map, Value};

use super::export::{nested_deeper_than, MAX_JSON_NESTING};
// Where subschemas sit and how deep a schema is read are the schema graph's: the document this
// produces is the one the graph is compiled from, and nothing past the graph's limit is read.
use super::graph::{MAX_SCHEMA_DEPTH as MAX_DEPTH, SCHEMA_LISTS, SCHEMA_MAPS, SCHEMA_SINGLES};

/// The JSON Schema version of `schema`, and one line per change made to get there.
///
/// Type names are matched without regard to case: `dict`, `HashMap` and `map` become
/// `object`; `float`, `double` and `decimal` become `number`; `long`, `int`, `short` and
/// `byte` become `integer`; `String`, `str` and `char` become `string`; `bool` becomes
/// `boolean`; `tuple`, `list`, `ArrayList` and `Array` become `array`; `None` becomes `null`;
/// `any` (and an empty type name) removes the type constraint. A type name that is none of
/// these stays and is reported. The walk goes through every place a schema can sit
/// (properties, items, `$defs`, `anyOf`, ...); values such as `enum`, `const` and `default`
/// are data and are never touched.
///
/// A value nested deeper than 256 levels (JSON arrays and objects) is not a schema anyone
/// wrote; it comes back as `null` with a line saying why, since even copying it would
/// recurse that deep.
pub fn normalize_dialect(schema: &Value) -> (Value, Vec<String>) {
    if nested_deeper_than(schema, MAX_JSON_NESTING) {
        return (
            Value::Null,
            vec![format!(
                "the schema is nested more than {MAX_JSON_NESTING} levels deep; not normalized"
            )],
        );
    }
    let mut normalized = schema.clone();
    let mut changes = Vec::new();
    normalize_schema(&mut normalized, "", 0, &mut changes);
    (normalized, changes)
}

fn normalize_schema(schema: &mut Value, path: &str, depth: usize, changes: &mut Vec<String>) {
    let Value::Object(node) = schema else {
        return;
    };
    if depth > MAX_DEPTH {
        changes.push(format!(
            "the schema at {} is nested more than {MAX_DEPTH} levels deep; left unchanged from there",
            shown(path)
        ));
        return;
    }
    normalize_type(node, path, changes);
    normalize_nullable(node, path, changes);
    normalize_exclusive_bounds(node, path, changes);
    normalize_tuple_items(node, path, changes);
    normalize_optional_marker(node, path, changes);
    lift_property_required_flags(node, path, changes);
    if let Some(Value::Bool(flag)) = node.get("required") {
        changes.push(format!(
            "'required: {flag}' at {} removed: it only means something on a property",
            shown(path)
        ));
        node.shift_remove("required");
    }

    for keyword in SCHEMA_MAPS {
        if let Some(Value::Object(children)) = node.get_mut(keyword) {
            for (name, child) in children.iter_mut() {
                normalize_schema(child, &join(&join(path, keyword), name), depth + 1, changes);
            }
        }
    }
    for keyword in SCHEMA_SINGLES {
        if let Some(child) = node.get_mut(keyword) {
            normalize_schema(child, &join(path, keyword), depth + 1, changes);
        }
    }
    for keyword in SCHEMA_LISTS {
        if let Some(Value::Array(members)) = node.get_mut(keyword) {
            for (index, member) in members.iter_mut().enumerate() {
                let member_path = join(&join(path, keyword), &index.to_string());
                normalize_schema(member, &member_path, depth + 1, changes);
            }
        }
    }
}

/// What a dialect's type name means in JSON Schema.
#[derive(Debug, PartialEq)]
enum TypeName {
    /// Already a JSON Schema type name.
    Standard,
    Renamed(&'static str),
    /// No constraint at all: any JSON value.
    AnyValue,
    Unknown,
}

fn read_type_name(name: &str) -> TypeName {
    const STANDARD: [&str; 7] = ["string", "number", "integer", "boolean", "object", "array", "null"];
    if STANDARD.contains(&name) {
        return TypeName::Standard;
    }
    match name.trim().to_ascii_lowercase().as_str() {
        "" | "any" => TypeName::AnyValue,
        "string" | "str" | "char" | "character" => TypeName::Renamed("string"),
        "integer" | "int" | "long" | "short" | "byte" => TypeName::Renamed("integer"),
        "number" | "float" | "double" | "decimal" => TypeName::Renamed("number"),
        "boolean" | "bool" => TypeName::Renamed("boolean"),
        "object" | "dict" | "dictionary" | "map" | "hashmap" => TypeName::Renamed("object"),
        "array" | "list" | "arraylist" | "tuple" => TypeName::Renamed("array"),
        "null" | "none" => TypeName::Renamed("null"),
        _ => TypeName::Unknown,
    }
}

fn normalize_type(node: &mut Map<String, Value>, path: &str, changes: &mut Vec<String>) {
    match node.get("type") {
        Some(Value::String(name)) => match read_type_name(name) {
            TypeName::Standard => {}
            TypeName::Renamed(standard) => {
                changes.push(format!("type '{name}' at {} changed to '{standard}'", shown(path)));
                node.insert("type".to_string(), json!(standard));
            }
            TypeName::AnyValue => {
                changes.push(if name.trim().is_empty() {
                    format!("empty type at {} removed: any JSON value is accepted", shown(path))
                } else {
                    format!("type '{name}' at {} removed: any JSON value is accepted", shown(path))
                });
                node.shift_remove("type");
            }
            TypeName::Unknown => changes.push(format!(
                "type '{name}' at {} is not a type name this dialect knows; left as it is",
                shown(path)
            )),
        },
        Some(Value::Array(names)) => {
            let mut standard_names: Vec<Value> = Vec::new();
            let mut renamed: Vec<String> = Vec::new();
            let mut any_value = false;
            for name in names {
                let Some(text) = name.as_str() else {
                    standard_names.push(name.clone());
                    continue;
                };
                let standard = match read_type_name(text) {
                    TypeName::Standard => text.to_string(),
                    TypeName::Renamed(standard) => {
                        renamed.push(format!("'{text}' to '{standard}'"));
                        standard.to_string()
                    }
                    TypeName::AnyValue => {
                        any_value = true;
                        continue;
                    }
                    TypeName::Unknown => {
                        changes.push(format!(
                            "type '{text}' at {} is not a type name this dialect knows; left as it is",
                            shown(path)
                        ));
                        text.to_string()
                    }
                };
                if !standard_names.contains(&json!(standard)) {
                    standard_names.push(json!(standard));
                }
            }
            if any_value {
                changes.push(format!(
                    "type list at {} includes 'any'; removed: any JSON value is accepted",
                    shown(path)
                ));
                node.shift_remove("type");
            } else if !renamed.is_empty() || standard_names.len() != names.len() {
                if !renamed.is_empty() {
                    changes.push(format!("type names at {} changed: {}", shown(path), renamed.join(", ")));
                }
                node.insert("type".to_string(), Value::Array(standard_names));
            }
        }
        _ => {}
    }
}

/// OpenAPI's `nullable: true` is a union with null in JSON Schema.
fn normalize_nullable(node: &mut Map<String, Value>, path: &str, changes: &mut Vec<String>) {
    let Some(Value::Bool(nullable)) = node.get("nullable") else {
        return;
    };
    let nullable = *nullable;
    node.shift_remove("nullable");
    if !nullable {
        changes.push(format!("'nullable: false' at {} removed", shown(path)));
        return;
    }
    let null = json!("null");
    match node.get_mut("type") {
        Some(Value::String(name)) if name != "null" => {
            let name = name.clone();
            node.insert("type".to_string(), json!([name, "null"]));
        }
        Some(Value::Array(names)) if !names.contains(&null) => names.push(null.clone()),
        Some(_) => {}
        None => {
            if let Some(Value::Array(members)) = node.get_mut("anyOf") {
                members.push(json!({"type": "null"}));
            }
        }
    }
    if let Some(Value::Array(values)) = node.get_mut("enum") {
        if !values.contains(&Value::Null) {
            values.push(Value::Null);
        }
    }
    changes.push(format!(
        "'nullable: true' at {} written as a union with null",
        shown(path)
    ));
}

/// Draft 4 writes `exclusiveMinimum: true` next to `minimum`; 2020-12 writes the bound itself.
fn normalize_exclusive_bounds(node: &mut Map<String, Value>, path: &str, changes: &mut Vec<String>) {
    for (exclusive, inclusive) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        let Some(flag) = node.get(exclusive).and_then(Value::as_bool) else {
            continue;
        };
        if flag {
            if let Some(bound) = node.get(inclusive).filter(|bound| bound.is_number()).cloned() {
                node.shift_remove(inclusive);
                node.insert(exclusive.to_string(), bound);
                changes.push(format!(
                    "'{exclusive}: true' at {} written as '{exclusive}' with the '{inclusive}' value",
                    shown(path)
                ));
                continue;
            }
        }
        node.shift_remove(exclusive);
        changes.push(format!(
            "'{exclusive}: {flag}' at {} removed: it only qualifies '{inclusive}'",
            shown(path)
        ));
    }
}

/// Draft 4 writes a tuple as a list of `items` (with `additionalItems` for the rest).
fn normalize_tuple_items(node: &mut Map<String, Value>, path: &str, changes: &mut Vec<String>) {
    if !matches!(node.get("items"), Some(Value::Array(_))) || node.contains_key("prefixItems") {
        return;
    }
    let Some(positional) = node.shift_remove("items") else {
        return;
    };
    node.insert("prefixItems".to_string(), positional);
    if let Some(rest) = node.shift_remove("additionalItems") {
        node.insert("items".to_string(), rest);
    }
    changes.push(format!("list-form 'items' at {} written as 'prefixItems'", shown(path)));
}

/// The leaderboard marks some properties `optional: true` (or `"True"`), and some objects
/// list `optional: [names]`; JSON Schema says the same through the enclosing object's
/// `required` list, which the leaderboard also fills in.
fn normalize_optional_marker(node: &mut Map<String, Value>, path: &str, changes: &mut Vec<String>) {
    let change = match node.get("optional") {
        Some(Value::Bool(flag)) => format!("marker 'optional: {flag}' at {}", shown(path)),
        Some(Value::String(flag)) if matches!(flag.to_ascii_lowercase().as_str(), "true" | "false" | "yes" | "no") => {
            format!("marker 'optional: \"{flag}\"' at {}", shown(path))
        }
        Some(Value::Array(names)) if names.iter().all(Value::is_string) => {
            let required = node.get("required").and_then(Value::as_array);
            let both: Vec<String> = names
                .iter()
                .filter(|name| required.is_some_and(|required| required.contains(name)))
                .filter_map(|name| name.as_str().map(|name| format!("'{name}'")))
                .collect();
            let mut change = format!("list 'optional' at {}", shown(path));
            if !both.is_empty() {
                change.push_str(&format!(" (which also named the required {})", both.join(", ")));
            }
            change
        }
        _ => return,
    };
    node.shift_remove("optional");
    changes.push(format!(
        "{change} removed: 'required' on the enclosing object says which properties are optional"
    ));
}

/// Draft 3 marks a required property on the property (`required: true`); later drafts list
/// it in the enclosing object's `required`.
fn lift_property_required_flags(node: &mut Map<String, Value>, path: &str, changes: &mut Vec<String>) {
    let Some(Value::Object(properties)) = node.get_mut("properties") else {
        return;
    };
    let mut lifted: Vec<String> = Vec::new();
    let mut dropped: Vec<String> = Vec::new();
    for (name, property) in properties.iter_mut() {
        let Value::Object(property) = property else {
            continue;
        };
        if let Some(Value::Bool(flag)) = property.get("required") {
            if *flag {
                lifted.push(name.clone());
            } else {
                dropped.push(name.clone());
            }
            property.shift_remove("required");
        }
    }
    for name in &dropped {
        changes.push(format!(
            "'required: false' on property '{name}' at {} removed",
            shown(path)
        ));
    }
    if lifted.is_empty() {
        return;
    }
    let list = node
        .entry("required".to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !list.is_array() {
        *list = Value::Array(Vec::new());
    }
    if let Value::Array(required) = list {
        for name in &lifted {
            if !required.contains(&json!(name)) {
                required.push(json!(name));
            }
        }
    }
    changes.push(format!(
        "'required: true' on {} moved into 'required' at {}",
        lifted
            .iter()
            .map(|name| format!("'{name}'"))
            .collect::<Vec<_>>()
            .join(", "),
        shown(path)
    ));
}

fn join(path: &str, segment: &str) -> String {
    if path.is_empty() {
        segment.to_string()
    } else {
        format!("{path}.{segment}")
    }
}

fn shown(path: &str) -> &str {
    if path.is_empty() {
        "(root)"
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gorilla_types_become_json_schema_types() {
        let schema = json!({
            "type": "dict",
            "properties": {
                "name": {"type": "String"},
                "letter": {"type": "char"},
                "count": {"type": "long"},
                "ratio": {"type": "float"},
                "precise": {"type": "double"},
                "flag": {"type": "Boolean"},
                "table": {"type": "HashMap"},
                "list": {"type": "ArrayList", "items": {"type": "String"}},
                "arr": {"type": "Array", "items": {"type": "integer"}},
                "pair": {"type": "tuple", "items": {"type": "float"}},
                "anything": {"type": "any"},
                "blank": {"type": ""},
            },
            "required": ["name"]
        });
        let (normalized, changes) = normalize_dialect(&schema);
        let props = &normalized["properties"];
        assert_eq!(normalized["type"], "object");
        assert_eq!(props["name"]["type"], "string");
        assert_eq!(props["letter"]["type"], "string");
        assert_eq!(props["count"]["type"], "integer");
        assert_eq!(props["ratio"]["type"], "number");
        assert_eq!(props["precise"]["type"], "number");
        assert_eq!(props["flag"]["type"], "boolean");
        assert_eq!(props["table"]["type"], "object");
        assert_eq!(props["list"]["type"], "array");
        assert_eq!(props["list"]["items"]["type"], "string");
        assert_eq!(props["arr"]["type"], "array");
        assert_eq!(props["pair"]["type"], "array");
        assert_eq!(props["pair"]["items"]["type"], "number");
        assert_eq!(props["anything"], json!({}));
        assert_eq!(props["blank"], json!({}));
        assert!(changes.contains(&"type 'dict' at (root) changed to 'object'".to_string()));
        assert!(changes.contains(&"type 'String' at properties.list.items changed to 'string'".to_string()));
        assert!(changes.contains(&"type 'any' at properties.anything removed: any JSON value is accepted".to_string()));
        assert!(changes.contains(&"empty type at properties.blank removed: any JSON value is accepted".to_string()));
        assert_eq!(changes.len(), 15, "{changes:#?}");
    }

    #[test]
    fn standard_schemas_are_left_alone() {
        let schema = json!({
            "type": "object",
            "properties": {
                "q": {"type": "string", "maxLength": 5, "default": "dict", "enum": ["float", "any"]},
                "n": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": null}
            },
            "$defs": {"X": {"type": "array", "items": {"type": "number"}}}
        });
        let (normalized, changes) = normalize_dialect(&schema);
        assert_eq!(normalized, schema);
        assert!(changes.is_empty(), "{changes:?}");
    }

    #[test]
    fn unknown_type_names_stay_and_are_reported() {
        let (normalized, changes) =
            normalize_dialect(&json!({"type": "object", "properties": {"when": {"type": "Date"}}}));
        assert_eq!(normalized["properties"]["when"]["type"], "Date");
        assert_eq!(
            changes,
            vec!["type 'Date' at properties.when is not a type name this dialect knows; left as it is"]
        );
    }

    #[test]
    fn every_schema_position_is_visited() {
        let schema = json!({
            "type": "dict",
            "$defs": {"D": {"type": "float"}},
            "properties": {"a": {"anyOf": [{"type": "String"}, {"type": "long"}]}},
            "additionalProperties": {"type": "Boolean"},
            "patternProperties": {"^x": {"type": "double"}},
            "items": {"type": "char"},
            "not": {"type": "HashMap"},
            "oneOf": [{"type": "tuple"}],
            "allOf": [{"properties": {"deep": {"type": "ArrayList", "items": {"type": "Array"}}}}]
        });
        let (normalized, changes) = normalize_dialect(&schema);
        let text = normalized.to_string();
        for loose in [
            "dict",
            "float",
            "String",
            "long",
            "Boolean",
            "double",
            "char",
            "HashMap",
            "tuple",
            "ArrayList",
            "Array",
        ] {
            assert!(!text.contains(&format!("\"{loose}\"")), "{loose} left in {text}");
        }
        assert_eq!(normalized["allOf"][0]["properties"]["deep"]["items"]["type"], "array");
        assert_eq!(changes.len(), 11, "{changes:#?}");
    }

    #[test]
    fn type_lists_are_mapped_and_deduplicated() {
        let (normalized, changes) = normalize_dialect(&json!({"type": ["float", "double", "None"]}));
        assert_eq!(normalized, json!({"type": ["number", "null"]}));
        assert_eq!(changes.len(), 1);
        let (normalized, _) = normalize_dialect(&json!({"type": ["string", "any"]}));
        assert_eq!(normalized, json!({}));
    }

    #[test]
    fn openapi_nullable_becomes_a_union_with_null() {
        let (normalized, changes) = normalize_dialect(&json!({
            "type": "object",
            "properties": {
                "a": {"type": "string", "nullable": true, "enum": ["x", "y"]},
                "b": {"type": "integer", "nullable": false},
                "c": {"anyOf": [{"type": "string"}], "nullable": true}
            }
        }));
        assert_eq!(
            normalized["properties"]["a"],
            json!({"type": ["string", "null"], "enum": ["x", "y", null]})
        );
        assert_eq!(normalized["properties"]["b"], json!({"type": "integer"}));
        assert_eq!(
            normalized["properties"]["c"],
            json!({"anyOf": [{"type": "string"}, {"type": "null"}]})
        );
        assert_eq!(changes.len(), 3);
    }

    #[test]
    fn draft4_forms_are_rewritten() {
        let (normalized, changes) = normalize_dialect(&json!({
            "type": "array",
            "items": [{"type": "integer", "minimum": 0, "exclusiveMinimum": true}, {"type": "string"}],
            "additionalItems": false
        }));
        assert_eq!(
            normalized,
            json!({
                "type": "array",
                "prefixItems": [{"type": "integer", "exclusiveMinimum": 0}, {"type": "string"}],
                "items": false
            })
        );
        assert_eq!(changes.len(), 2, "{changes:?}");
    }

    #[test]
    fn property_level_required_flags_and_optional_markers_are_lifted() {
        let (normalized, changes) = normalize_dialect(&json!({
            "type": "dict",
            "properties": {
                "a": {"type": "string", "required": true},
                "b": {"type": "string", "required": false},
                "c": {"type": "string", "optional": true},
                "d": {"type": "string", "optional": "True"},
                "required": {"type": "string"}
            },
            "optional": ["c", "d"]
        }));
        assert_eq!(
            normalized,
            json!({
                "type": "object",
                "properties": {
                    "a": {"type": "string"},
                    "b": {"type": "string"},
                    "c": {"type": "string"},
                    "d": {"type": "string"},
                    "required": {"type": "string"}
                },
                "required": ["a"]
            })
        );
        assert_eq!(changes.len(), 6, "{changes:#?}");
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        for input in [
            json!(null),
            json!(true),
            json!(3),
            json!("dict"),
            json!([{"type": "dict"}]),
            json!({"type": 5}),
            json!({"properties": "x", "items": 3, "anyOf": {}}),
        ] {
            let (normalized, changes) = normalize_dialect(&input);
            assert_eq!(normalized, input);
            assert!(changes.is_empty());
        }
    }

    #[test]
    fn very_deep_schemas_stop_at_the_depth_limit() {
        let mut schema = json!({"type": "float"});
        for _ in 0..200 {
            schema = json!({"type": "list", "items": schema});
        }
        let (normalized, changes) = normalize_dialect(&schema);
        assert!(
            changes
                .last()
                .is_some_and(|change| change.contains(&format!("nested more than {MAX_DEPTH} levels"))),
            "{changes:?}"
        );
        assert_eq!(normalized["items"]["type"], "array");
        // Built by hand: `json!` would serialize the inner value recursively.
        let mut schema = json!({"type": "float"});
        for _ in 0..300 {
            schema = Value::Object(Map::from_iter([("items".to_string(), schema)]));
        }
        let (normalized, changes) = normalize_dialect(&schema);
        assert_eq!(normalized, Value::Null);
        assert_eq!(
            changes,
            vec!["the schema is nested more than 256 levels deep; not normalized"]
        );
    }
}
