//! Every function definition of the Berkeley Function Calling Leaderboard (v4, single-turn
//! categories), normalized and exported for every provider, strict and not. Each export that
//! succeeds must satisfy its provider's rules; each refusal must be one the schema earns.
//!
//! The corpus is read from `$TOOLPROOF_CORPUS_DIR/bfcl/v4`, else from
//! `../shared/data/bfcl/v4` next to the crate. Without it the test is skipped with a note,
//! unless `CI` is set: then a missing corpus fails.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use serde_json::{Map, Value};
use toolproof::schema::export::{check_openai_strict, export_tool, ExportProblem, Exported, Provider};
use toolproof::schema::normalize::normalize_dialect;

const CATEGORIES: [&str; 13] = [
    "simple_python",
    "simple_java",
    "simple_javascript",
    "multiple",
    "parallel",
    "parallel_multiple",
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
    "irrelevance",
    "live_irrelevance",
    "live_relevance",
];

const JSON_TYPES: [&str; 7] = ["string", "number", "integer", "boolean", "object", "array", "null"];

struct Function {
    category: &'static str,
    name: String,
    description: String,
    parameters: Value,
}

/// Where the corpus should be, whether it is there or not.
fn corpus_dir() -> PathBuf {
    match std::env::var_os("TOOLPROOF_CORPUS_DIR") {
        Some(root) => PathBuf::from(root).join("bfcl").join("v4"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/bfcl/v4"),
    }
}

fn read_functions(dir: &std::path::Path) -> Vec<Function> {
    let mut functions = Vec::new();
    for category in CATEGORIES {
        let path = dir.join(format!("BFCL_v4_{category}.json"));
        let text = fs::read_to_string(&path).unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
        let before = functions.len();
        for (number, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
            let entry: Value =
                serde_json::from_str(line).unwrap_or_else(|error| panic!("{}:{}: {error}", path.display(), number + 1));
            for function in entry["function"].as_array().expect("a 'function' list") {
                functions.push(Function {
                    category,
                    name: function["name"].as_str().expect("a name").to_string(),
                    description: function["description"].as_str().unwrap_or_default().to_string(),
                    parameters: function["parameters"].clone(),
                });
            }
        }
        assert!(functions.len() > before, "no functions in {}", path.display());
    }
    functions
}

#[test]
fn bfcl_function_definitions_export_for_every_provider() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        let reason = format!(
            "the BFCL corpus is not at {}; set TOOLPROOF_CORPUS_DIR to the folder that holds bfcl/v4",
            dir.display()
        );
        // Under CI a missing corpus is a broken setup, not a choice.
        let under_ci = std::env::var_os("CI").is_some_and(|value| !value.is_empty());
        assert!(!under_ci, "{reason} (CI is set, so this is an error)");
        eprintln!("skipped: {reason}");
        return;
    }
    let functions = read_functions(&dir);
    let mut per_category: BTreeMap<&str, usize> = BTreeMap::new();
    let mut exported: BTreeMap<String, usize> = BTreeMap::new();
    let mut refused: BTreeMap<String, BTreeMap<Reason, usize>> = BTreeMap::new();
    let mut notes: BTreeMap<String, usize> = BTreeMap::new();
    let mut refused_for_schema: BTreeMap<String, usize> = BTreeMap::new();

    for function in &functions {
        *per_category.entry(function.category).or_default() += 1;
        let (schema, changes) = normalize_dialect(&function.parameters);
        assert_only_json_schema_types(&schema, &changes, &function.name);
        for provider in Provider::ALL {
            for strict in [false, true] {
                let key = format!("{:<16} strict={strict:<5}", provider.as_str());
                match export_tool(&function.name, &function.description, &schema, provider, strict) {
                    Ok(Exported {
                        definition,
                        notes: found,
                    }) => {
                        assert_definition(provider, strict, function, &schema, &definition);
                        *exported.entry(key).or_default() += 1;
                        for note in found {
                            *notes.entry(note_kind(&note)).or_default() += 1;
                        }
                    }
                    Err(problems) => {
                        assert!(!problems.is_empty());
                        let mut reasons: Vec<Reason> = Vec::new();
                        for problem in &problems {
                            let reason = classify(problem);
                            assert_legitimate(reason, provider, strict, function, &schema, problem);
                            if !reasons.contains(&reason) {
                                reasons.push(reason);
                            }
                        }
                        if reasons.iter().any(|reason| *reason != Reason::ToolName) {
                            *refused_for_schema.entry(key.clone()).or_default() += 1;
                        }
                        let tally = refused.entry(key).or_default();
                        for reason in reasons {
                            *tally.entry(reason).or_default() += 1;
                        }
                    }
                }
            }
        }
    }

    println!("BFCL v4 function definitions read: {}", functions.len());
    for (category, count) in &per_category {
        println!("  {category:<24} {count}");
    }
    for provider in Provider::ALL {
        for strict in [false, true] {
            let key = format!("{:<16} strict={strict:<5}", provider.as_str());
            let done = exported.get(&key).copied().unwrap_or(0);
            let reasons = refused.get(&key).cloned().unwrap_or_default();
            let for_schema = refused_for_schema.get(&key).copied().unwrap_or(0);
            println!(
                "{key} exported {done:>5}, refused {:>5} ({for_schema} for the schema); functions per reason:",
                functions.len() - done
            );
            for (reason, count) in reasons {
                println!("      {count:>5} × {reason:?}");
            }
        }
    }
    println!("notes on exported definitions:");
    for (kind, count) in &notes {
        println!("  {count:>6} × {kind}");
    }
    for provider in Provider::ALL {
        for strict in [false, true] {
            let key = format!("{:<16} strict={strict:<5}", provider.as_str());
            assert!(
                exported.get(&key).copied().unwrap_or(0) > 0,
                "nothing exported for {key}"
            );
        }
    }
}

/// Why an export was refused, read from the problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Reason {
    /// The name has characters the provider does not allow ('.' for OpenAI and Anthropic).
    ToolName,
    /// An object with any keys (a dict), which a strict mode cannot close.
    FreeFormObject,
    /// A value (or list items) of any type, which strict modes and Gemini need typed.
    AnyValue,
    /// `required` names a property that is not declared.
    UndeclaredRequired,
    /// OpenAI caps the tool description at 1,024 characters.
    DescriptionTooLong,
    /// Anthropic strict tool use caps optional parameters (24) and unions (16) per request.
    AnthropicStrictBudget,
    Unexpected,
}

fn classify(problem: &ExportProblem) -> Reason {
    if problem.location == "name" {
        Reason::ToolName
    } else if problem.location == "description" {
        Reason::DescriptionTooLong
    } else if problem.message.contains("free-form object") {
        Reason::FreeFormObject
    } else if problem.message.contains("any JSON value") {
        Reason::AnyValue
    } else if problem.message.contains("not declared under properties") {
        Reason::UndeclaredRequired
    } else if problem.message.contains("Anthropic strict tool use allows at most") {
        Reason::AnthropicStrictBudget
    } else {
        Reason::Unexpected
    }
}

/// Each refusal must be one of the expected kinds for this provider and mode, and the
/// schema (or name) must really have the feature the problem names.
fn assert_legitimate(
    reason: Reason,
    provider: Provider,
    strict: bool,
    function: &Function,
    schema: &Value,
    problem: &ExportProblem,
) {
    let context = format!("{} for {provider} strict={strict}: {problem}", function.name);
    // Refusals for the schema belong to the subset exports: strict modes, and Gemini always.
    let subset = strict || provider == Provider::Gemini;
    match reason {
        Reason::ToolName => assert!(!name_accepted(&function.name, provider), "{context}"),
        Reason::DescriptionTooLong => {
            assert!(
                matches!(provider, Provider::OpenAI | Provider::OpenAIResponses),
                "{context}"
            );
            assert!(function.description.chars().count() > 1024, "{context}");
        }
        Reason::FreeFormObject => {
            assert!(subset, "{context}");
            let (object_location, through_extra_keys) = match problem.location.strip_suffix(".additionalProperties") {
                Some(parent) => (parent, true),
                None => (problem.location.as_str(), false),
            };
            let object =
                node_at(schema, object_location).unwrap_or_else(|| panic!("no schema at the location: {context}"));
            let free_form = if through_extra_keys {
                object["additionalProperties"] == Value::Bool(true) || object["additionalProperties"].is_object()
            } else {
                object
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_none_or(Map::is_empty)
            };
            assert!(free_form, "{context}");
        }
        Reason::AnyValue => {
            assert!(subset, "{context}");
            let node =
                node_at(schema, &problem.location).unwrap_or_else(|| panic!("no schema at the location: {context}"));
            let untyped = ["type", "anyOf", "oneOf", "enum", "const", "$ref"]
                .iter()
                .all(|k| !node.as_object().is_some_and(|n| n.contains_key(*k)));
            let untyped_items = node.get("type") == Some(&Value::from("array"))
                && node
                    .get("items")
                    .is_none_or(|items| items == &Value::Bool(true) || items.as_object().is_some_and(Map::is_empty));
            assert!(untyped || untyped_items, "{context}");
        }
        Reason::UndeclaredRequired => {
            assert!(subset, "{context}");
            let object =
                node_at(schema, problem.location.trim_end_matches(".required")).unwrap_or_else(|| panic!("{context}"));
            let properties = object.get("properties").and_then(Value::as_object);
            let undeclared = object["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .any(|name| properties.is_none_or(|p| !p.contains_key(name)));
            assert!(undeclared, "{context}");
        }
        Reason::AnthropicStrictBudget => {
            assert!(provider == Provider::Anthropic && strict, "{context}");
            let mut optional = 0;
            let mut unions = 0;
            visit(schema, &mut |node| {
                let properties = node.get("properties").and_then(Value::as_object);
                let required = node.get("required").and_then(Value::as_array);
                optional += properties.map_or(0, |p| {
                    p.keys()
                        .filter(|k| !required.is_some_and(|r| r.contains(&Value::from(k.as_str()))))
                        .count()
                });
                unions += usize::from(node.contains_key("anyOf") || node.get("type").is_some_and(Value::is_array));
            });
            assert!(optional > 24 || unions > 16, "{context}");
        }
        Reason::Unexpected => panic!("unexpected refusal: {context}"),
    }
}

/// The schema at a dotted location such as "properties.options.properties.issuer".
fn node_at<'v>(schema: &'v Value, location: &str) -> Option<&'v Value> {
    if location == "(root)" {
        return Some(schema);
    }
    let mut node = schema;
    for segment in location.split('.') {
        node = match node {
            Value::Object(map) => map.get(segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// The providers' name rules, written out again here rather than taken from the library.
fn name_accepted(name: &str, provider: Provider) -> bool {
    let length = name.chars().count();
    let allowed =
        |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-' || (provider == Provider::Gemini && c == '.');
    let first_ok = provider != Provider::Gemini || name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    (1..=64).contains(&length) && name.chars().all(allowed) && first_ok
}

fn assert_only_json_schema_types(schema: &Value, changes: &[String], name: &str) {
    visit(schema, &mut |node| {
        if let Some(kind) = node.get("type") {
            let names: Vec<&Value> = match kind {
                Value::Array(names) => names.iter().collect(),
                single => vec![single],
            };
            for type_name in names {
                let known = type_name.as_str().is_some_and(|t| JSON_TYPES.contains(&t));
                let reported = changes
                    .iter()
                    .any(|change| change.contains(&format!("type {type_name}").replace('"', "'")));
                assert!(
                    known || reported,
                    "{name}: type {type_name} neither normalized nor reported"
                );
            }
        }
    });
}

/// Calls `check` on every schema object below and including `schema` (properties, items,
/// anyOf members, definitions).
fn visit(schema: &Value, check: &mut dyn FnMut(&Map<String, Value>)) {
    let Value::Object(node) = schema else {
        return;
    };
    check(node);
    for keyword in ["properties", "$defs", "definitions"] {
        if let Some(Value::Object(children)) = node.get(keyword) {
            for child in children.values() {
                visit(child, check);
            }
        }
    }
    for keyword in ["items", "additionalProperties"] {
        if let Some(child) = node.get(keyword) {
            visit(child, check);
        }
    }
    for keyword in ["anyOf", "oneOf", "allOf", "prefixItems"] {
        if let Some(Value::Array(members)) = node.get(keyword) {
            for member in members {
                visit(member, check);
            }
        }
    }
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|map| map.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// The invariants of one exported definition.
fn assert_definition(provider: Provider, strict: bool, function: &Function, canonical: &Value, definition: &Value) {
    let context = format!("{} for {provider} strict={strict}", function.name);
    assert!(
        name_accepted(&function.name, provider),
        "{context}: exported a name the provider refuses"
    );
    let parameters = match provider {
        Provider::OpenAI => {
            assert_eq!(definition["type"], "function", "{context}");
            assert_eq!(keys(definition), ["type", "function"], "{context}");
            let function_part = &definition["function"];
            let mut expected = vec!["name", "description", "parameters"];
            if strict {
                expected.push("strict");
                assert_eq!(function_part["strict"], true, "{context}");
            }
            assert_eq!(keys(function_part), expected, "{context}");
            assert_eq!(function_part["name"], function.name.as_str(), "{context}");
            function_part["parameters"].clone()
        }
        Provider::OpenAIResponses => {
            assert_eq!(
                keys(definition),
                ["type", "name", "description", "parameters", "strict"],
                "{context}"
            );
            assert_eq!(definition["strict"], strict, "{context}");
            definition["parameters"].clone()
        }
        Provider::Anthropic => {
            let mut expected = vec!["name", "description", "input_schema"];
            if strict {
                expected.push("strict");
            }
            assert_eq!(keys(definition), expected, "{context}");
            definition["input_schema"].clone()
        }
        Provider::Gemini => {
            let takes_parameters = canonical
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| !p.is_empty());
            let expected: &[&str] = if takes_parameters {
                &["name", "description", "parameters"]
            } else {
                &["name", "description"]
            };
            assert_eq!(keys(definition), expected, "{context}");
            if !takes_parameters {
                return;
            }
            definition["parameters"].clone()
        }
    };
    assert_eq!(
        parameters["type"], "object",
        "{context}: the parameters are not an object"
    );
    // No parameter is lost on the way.
    if let Some(properties) = canonical.get("properties").and_then(Value::as_object) {
        let exported = parameters["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{context}: no properties"));
        assert_eq!(
            exported.keys().collect::<Vec<_>>(),
            properties.keys().collect::<Vec<_>>(),
            "{context}"
        );
    }
    visit(&parameters, &mut |node| {
        if let Some(kind) = node.get("type") {
            let names: Vec<&str> = match kind {
                Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
                other => vec![other.as_str().unwrap_or("<not text>")],
            };
            assert!(names.iter().all(|t| JSON_TYPES.contains(t)), "{context}: type {kind}");
        }
        if let Some(required) = node.get("required").and_then(Value::as_array) {
            let properties = node.get("properties").and_then(Value::as_object);
            if provider == Provider::Gemini || strict {
                for name in required {
                    assert!(
                        properties.is_some_and(|p| p.contains_key(name.as_str().unwrap_or_default())),
                        "{context}: required {name} undeclared"
                    );
                }
            }
        }
    });
    match (provider, strict) {
        (Provider::OpenAI | Provider::OpenAIResponses, true) => {
            assert_eq!(check_openai_strict(&parameters), Vec::new(), "{context}");
            visit(&parameters, &mut |node| {
                if node
                    .get("type")
                    .is_some_and(|t| t == "object" || t.as_array().is_some_and(|t| t.contains(&Value::from("object"))))
                {
                    assert_eq!(node.get("additionalProperties"), Some(&Value::Bool(false)), "{context}");
                    let properties: Vec<&String> = node["properties"]
                        .as_object()
                        .map(|p| p.keys().collect())
                        .unwrap_or_default();
                    let required: Vec<&str> = node["required"]
                        .as_array()
                        .map(|r| r.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    assert_eq!(properties.len(), required.len(), "{context}");
                    assert!(properties.iter().all(|p| required.contains(&p.as_str())), "{context}");
                }
                assert!(
                    !node.contains_key("default"),
                    "{context}: OpenAI strict does not take 'default'"
                );
            });
        }
        (Provider::OpenAI | Provider::OpenAIResponses, false) => {
            assert!(parameters.get("$schema").is_none(), "{context}");
            visit(&parameters, &mut |node| {
                let is_list = node
                    .get("type")
                    .is_some_and(|t| t == "array" || t.as_array().is_some_and(|t| t.contains(&Value::from("array"))));
                assert!(
                    !is_list || node.contains_key("items"),
                    "{context}: a list without items"
                );
            });
        }
        (Provider::Anthropic, true) => {
            let mut optional = 0;
            visit(&parameters, &mut |node| {
                assert!(!node.contains_key("$ref") && !node.contains_key("$defs"), "{context}");
                if node.get("type") == Some(&Value::from("object")) {
                    assert_eq!(node.get("additionalProperties"), Some(&Value::Bool(false)), "{context}");
                    let properties = node["properties"].as_object().map_or(0, Map::len);
                    optional += properties - node.get("required").and_then(Value::as_array).map_or(0, Vec::len);
                }
                for keyword in [
                    "minimum",
                    "maximum",
                    "minLength",
                    "maxLength",
                    "pattern",
                    "default",
                    "maxItems",
                ] {
                    assert!(
                        !node.contains_key(keyword),
                        "{context}: Anthropic strict keeps '{keyword}'"
                    );
                }
            });
            assert!(optional <= 24, "{context}: {optional} optional properties");
        }
        (Provider::Anthropic, false) => {}
        (Provider::Gemini, _) => {
            const GEMINI_KEYWORDS: [&str; 21] = [
                "type",
                "format",
                "title",
                "description",
                "nullable",
                "enum",
                "maxItems",
                "minItems",
                "properties",
                "required",
                "minProperties",
                "maxProperties",
                "minLength",
                "maxLength",
                "pattern",
                "example",
                "anyOf",
                "propertyOrdering",
                "default",
                "items",
                "minimum",
            ];
            visit(&parameters, &mut |node| {
                for keyword in node.keys() {
                    assert!(
                        GEMINI_KEYWORDS.contains(&keyword.as_str()) || keyword == "maximum",
                        "{context}: Gemini does not take '{keyword}'"
                    );
                }
                assert!(
                    node.get("type").is_none_or(Value::is_string),
                    "{context}: Gemini takes one type per schema"
                );
                if let Some(values) = node.get("enum").and_then(Value::as_array) {
                    assert!(
                        values.iter().all(Value::is_string),
                        "{context}: Gemini enums are strings"
                    );
                }
                if node.get("type") == Some(&Value::from("array")) {
                    assert!(node.contains_key("items"), "{context}: Gemini lists need items");
                }
                assert!(node.get("nullable").is_none_or(Value::is_boolean), "{context}");
            });
        }
    }
}

/// A note without the names in it, to count notes by kind.
fn note_kind(note: &str) -> String {
    let mut kind = String::new();
    let mut quoted = false;
    for c in note.chars() {
        if c == '\'' {
            quoted = !quoted;
            if quoted {
                kind.push_str("'…'");
            }
        } else if !quoted {
            kind.push(c);
        }
    }
    while kind.contains("'…', '…'") {
        kind = kind.replace("'…', '…'", "'…'");
    }
    kind
}
