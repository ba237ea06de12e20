//! Tool definitions in each provider's request format, made from toolproof's canonical schema.
//!
//! The canonical schema (JSON Schema 2020-12, as pydantic writes it) stays the authority:
//! toolproof validates every call against it. A provider gets the closest schema it accepts.
//! A keyword it cannot take is moved into a description, so the model still reads it, and
//! the move is listed in [`Exported::notes`]. A schema it cannot take at all is refused with
//! [`ExportProblem`]s that say where and what to change, before a request ever fails.
//!
//! Sources for the rules:
//! - OpenAI: function calling guide ("Strict mode") and Structured Outputs guide ("Supported
//!   schemas"), and `ensure_strict_json_schema` in openai-agents-python;
//! - Anthropic: "Strict tool use" and "Structured outputs" (JSON Schema limitations), and
//!   `transform_schema` in anthropic-sdk-python;
//! - Gemini: the `FunctionDeclaration` and `Schema` references of the Gemini API.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde_json::{json, Map, Value};

use super::names::check_tool_name;
use super::refs::{self, percent_decode, MAX_SCHEMA_DEPTH};

// ---------------------------------------------------------------------------
// Public interface
// ---------------------------------------------------------------------------

/// A model provider's tool-definition format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    /// OpenAI Chat Completions.
    OpenAI,
    /// OpenAI Responses API.
    OpenAIResponses,
    Anthropic,
    Gemini,
}

impl Provider {
    pub const ALL: [Provider; 4] = [
        Provider::OpenAI,
        Provider::OpenAIResponses,
        Provider::Anthropic,
        Provider::Gemini,
    ];

    /// The name used in configuration: "openai", "openai-responses", "anthropic", "gemini".
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::OpenAI => "openai",
            Provider::OpenAIResponses => "openai-responses",
            Provider::Anthropic => "anthropic",
            Provider::Gemini => "gemini",
        }
    }

    /// The name used in messages.
    pub fn label(self) -> &'static str {
        match self {
            Provider::OpenAI => "OpenAI",
            Provider::OpenAIResponses => "OpenAI (Responses API)",
            Provider::Anthropic => "Anthropic",
            Provider::Gemini => "Gemini",
        }
    }

    fn is_openai(self) -> bool {
        matches!(self, Provider::OpenAI | Provider::OpenAIResponses)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A provider name that is none of the known ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownProvider(pub String);

impl fmt::Display for UnknownProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown provider '{}': expected one of openai, openai-responses, anthropic, gemini",
            self.0
        )
    }
}

impl std::error::Error for UnknownProvider {}

impl FromStr for Provider {
    type Err = UnknownProvider;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|provider| provider.as_str().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| UnknownProvider(name.to_string()))
    }
}

/// Why a schema (or a tool name or description) cannot be sent to a provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportProblem {
    /// Where: a dotted path into the schema ("properties.tags.additionalProperties",
    /// "(root)" for the schema itself), or "name" / "description" for the tool's own fields.
    pub location: String,
    /// What is wrong.
    pub message: String,
    /// What to change.
    pub fix: String,
}

impl fmt::Display for ExportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (fix: {})", self.location, self.message, self.fix)
    }
}

impl std::error::Error for ExportProblem {}

/// A provider's definition, and the changes made to get it that a reader should know about.
#[derive(Clone, Debug, PartialEq)]
pub struct Exported {
    pub definition: Value,
    /// Changes that lose nothing toolproof enforces but that the model sees, e.g.
    /// "maxLength moved into the description of 'query'".
    pub notes: Vec<String>,
}

/// The most tools one request may carry, where the provider documents a limit.
pub fn max_tools(provider: Provider) -> Option<usize> {
    match provider {
        Provider::OpenAI | Provider::OpenAIResponses => Some(128),
        // Anthropic documents no general limit, only one for strict tools (max_strict_tools).
        Provider::Anthropic => None,
        // Vertex AI: "Maximum 64 function declarations can be provided."
        Provider::Gemini => Some(64),
    }
}

/// The most tools exported with `strict = true` one request may carry.
pub fn max_strict_tools(provider: Provider) -> Option<usize> {
    match provider {
        Provider::Anthropic => Some(ANTHROPIC_MAX_STRICT_TOOLS),
        other => max_tools(other),
    }
}

/// The provider's parameter schema alone.
///
/// `strict` asks for the provider's guaranteed-schema mode: OpenAI strict function calling,
/// Anthropic strict tool use. Gemini has no such switch and ignores it.
pub fn export_parameters(schema: &Value, provider: Provider, strict: bool) -> Result<Exported, Vec<ExportProblem>> {
    if nested_deeper_than(schema, MAX_JSON_NESTING) {
        return Err(vec![too_deep()]);
    }
    match provider {
        Provider::OpenAI | Provider::OpenAIResponses if strict => Lowering::run(schema, Target::OpenAiStrict),
        Provider::Anthropic if strict => Lowering::run(schema, Target::AnthropicStrict),
        Provider::Gemini => Lowering::run(schema, Target::Gemini),
        _ => Permissive::run(schema, provider),
    }
}

/// The whole tool definition in the provider's request format, with the name and
/// description checked too. All problems are collected, not only the first.
///
/// - openai: `{"type": "function", "function": {"name", "description", "parameters", "strict": true}}`
///   (`strict` left out when false);
/// - openai-responses: `{"type": "function", "name", "description", "parameters", "strict"}`
///   (`strict` always written: the Responses API treats a missing flag as strict);
/// - anthropic: `{"name", "description", "input_schema"}`, plus `"strict": true` when strict;
/// - gemini: one `functionDeclarations` entry `{"name", "description", "parameters"}`, with
///   `parameters` left out for a tool that takes none.
pub fn export_tool(
    name: &str,
    description: &str,
    schema: &Value,
    provider: Provider,
    strict: bool,
) -> Result<Exported, Vec<ExportProblem>> {
    let mut problems = Vec::new();
    if let Err(problem) = check_tool_name(name, provider) {
        problems.push(problem);
    }
    let description_chars = description.chars().count();
    if provider.is_openai() && description_chars > OPENAI_MAX_DESCRIPTION_CHARS {
        problems.push(ExportProblem {
            location: "description".to_string(),
            message: format!(
                "the tool description is {} characters long; {} accepts at most {}",
                thousands(description_chars),
                provider.label(),
                thousands(OPENAI_MAX_DESCRIPTION_CHARS)
            ),
            fix: "shorten it; details about single parameters can go into their own descriptions".to_string(),
        });
    }
    let parameters = match export_parameters(schema, provider, strict) {
        Ok(parameters) => parameters,
        Err(found) => {
            problems.extend(found);
            return Err(problems);
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let Exported {
        definition: parameters,
        mut notes,
    } = parameters;
    let definition = match provider {
        Provider::OpenAI => {
            let mut function = json!({"name": name, "description": description, "parameters": parameters});
            if strict {
                function["strict"] = json!(true);
            }
            json!({"type": "function", "function": function})
        }
        Provider::OpenAIResponses => json!({
            "type": "function",
            "name": name,
            "description": description,
            "parameters": parameters,
            "strict": strict,
        }),
        Provider::Anthropic => {
            let mut tool = json!({"name": name, "description": description, "input_schema": parameters});
            if strict {
                tool["strict"] = json!(true);
            }
            tool
        }
        Provider::Gemini => {
            let mut declaration = json!({"name": name, "description": description});
            let takes_parameters = parameters
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|properties| !properties.is_empty());
            if takes_parameters {
                declaration["parameters"] = parameters;
            } else {
                notes.push(
                    "the tool takes no parameters, so 'parameters' is left out (Gemini has refused object schemas without properties)"
                        .to_string(),
                );
            }
            declaration
        }
    };
    Ok(Exported { definition, notes })
}

/// Every way `schema` breaks OpenAI's strict-mode rules and size limits, checked on the
/// schema as it would be sent (the `parameters` of a strict export). Independent of the
/// conversion: exports run it on their own output before returning.
pub fn check_openai_strict(schema: &Value) -> Vec<ExportProblem> {
    if nested_deeper_than(schema, MAX_JSON_NESTING) {
        return vec![too_deep()];
    }
    let mut checker = StrictChecker {
        resolver: Resolver { root: schema },
        report: Report::default(),
        depth: 0,
    };
    checker.check_root(schema);
    let mut problems = checker.report.problems;
    problems.extend(openai_limit_problems(schema));
    problems
}

// ---------------------------------------------------------------------------
// Provider facts
// ---------------------------------------------------------------------------

const OPENAI_MAX_DESCRIPTION_CHARS: usize = 1024;
const OPENAI_MAX_PROPERTIES: usize = 5_000;
const OPENAI_MAX_NESTING: usize = 10;
const OPENAI_MAX_ENUM_VALUES: usize = 1_000;
const OPENAI_MAX_TEXT_CHARS: usize = 120_000;
const OPENAI_LARGE_ENUM_VALUES: usize = 250;
const OPENAI_MAX_LARGE_ENUM_CHARS: usize = 15_000;
/// String formats OpenAI strict mode accepts ("Supported schemas").
const OPENAI_FORMATS: [&str; 9] = [
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];
/// Keywords OpenAI strict mode accepts on a schema.
const OPENAI_STRICT_KEYWORDS: [&str; 20] = [
    "type",
    "description",
    "title",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "enum",
    "const",
    "$ref",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
];

/// Formats Gemini's `Schema` documents (float, double for numbers; int32, int64 for integers;
/// enum, date-time for strings). Others have been refused (`format: uri`, gemini-cli #13326):
/// they go into the description.
const GEMINI_FORMATS: [&str; 6] = ["float", "double", "int32", "int64", "enum", "date-time"];

const ANTHROPIC_MAX_STRICT_TOOLS: usize = 20;
const ANTHROPIC_MAX_OPTIONAL: usize = 24;
const ANTHROPIC_MAX_UNIONS: usize = 16;
/// String formats Anthropic strict tool use accepts (the SDK's `SupportedStringFormats`).
const ANTHROPIC_FORMATS: [&str; 10] = [
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "uri",
    "ipv4",
    "ipv6",
    "uuid",
];

const JSON_TYPES: [&str; 7] = ["string", "number", "integer", "boolean", "object", "array", "null"];

/// Keywords that say nothing a tool call needs; dropped without a note.
const SILENT_KEYWORDS: [&str; 12] = [
    "$schema",
    "$id",
    "$comment",
    "$anchor",
    "$dynamicAnchor",
    "$recursiveAnchor",
    "$vocabulary",
    "$defs",
    "definitions",
    "readOnly",
    "writeOnly",
    // OpenAPI's hint for tagged unions; the members' own tags carry the same information.
    "discriminator",
];

/// Keywords whose rule no provider here can express.
const INEXPRESSIBLE_KEYWORDS: [&str; 12] = [
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "dependencies",
    "patternProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "$dynamicRef",
    "$recursiveRef",
];

/// Deeper JSON than this is refused before anything else: even copying or dropping such a
/// value recurses once per level, and the stack of the calling thread may be small.
pub(crate) const MAX_JSON_NESTING: usize = 256;
/// How many `$ref`s one export may expand; bounds the blow-up of shared definitions.
const MAX_EXPANSIONS: usize = 10_000;

const ANY_VALUE_FIX: &str = "give it a type (for example str, int or a model), or a union of the types it accepts";
const FREE_FORM_FIX: &str =
    "declare the keys as properties, use a list of {key, value} objects, or export with strict=False";
const ITEMS_FIX: &str = "declare the element type (for example list[str])";

/// Whether `value` nests arrays and objects more than `limit` levels deep, found without
/// recursion.
pub(crate) fn nested_deeper_than(value: &Value, limit: usize) -> bool {
    let mut pending: Vec<(&Value, usize)> = vec![(value, 1)];
    while let Some((value, depth)) = pending.pop() {
        match value {
            Value::Array(_) | Value::Object(_) if depth > limit => return true,
            Value::Array(items) => pending.extend(items.iter().map(|child| (child, depth + 1))),
            Value::Object(map) => pending.extend(map.values().map(|child| (child, depth + 1))),
            _ => {}
        }
    }
    false
}

fn too_deep() -> ExportProblem {
    ExportProblem {
        location: "(root)".to_string(),
        message: format!("the schema is nested more than {MAX_JSON_NESTING} levels deep"),
        fix: "flatten the schema".to_string(),
    }
}

// ---------------------------------------------------------------------------
// Locations, findings and moved keywords
// ---------------------------------------------------------------------------

/// Where a schema sits: the path for problem locations ("properties.tags.items") and the
/// parameter's name for notes ("'tags[]'").
#[derive(Clone, Debug, Default)]
struct Loc {
    segments: Vec<String>,
    name: Option<String>,
}

impl Loc {
    fn root() -> Loc {
        Loc::default()
    }

    fn definition(container: &str, name: &str) -> Loc {
        Loc {
            segments: vec![container.to_string(), name.to_string()],
            name: Some(name.to_string()),
        }
    }

    fn keyword(&self, keyword: &str) -> Loc {
        let mut segments = self.segments.clone();
        segments.push(keyword.to_string());
        Loc {
            segments,
            name: self.name.clone(),
        }
    }

    fn member(&self, keyword: &str, index: usize) -> Loc {
        let mut loc = self.keyword(keyword);
        loc.segments.push(index.to_string());
        loc
    }

    fn property(&self, property: &str) -> Loc {
        let mut loc = self.keyword("properties");
        loc.segments.push(property.to_string());
        loc.name = Some(match &self.name {
            Some(parent) => format!("{parent}.{property}"),
            None => property.to_string(),
        });
        loc
    }

    fn items(&self, keyword: &str) -> Loc {
        let mut loc = self.keyword(keyword);
        loc.name = self.name.as_ref().map(|name| format!("{name}[]"));
        loc
    }

    fn render(&self) -> String {
        if self.segments.is_empty() {
            "(root)".to_string()
        } else {
            self.segments.join(".")
        }
    }

    /// How notes and messages name the schema.
    fn subject(&self) -> String {
        match &self.name {
            Some(name) => format!("'{name}'"),
            None if self.segments.is_empty() => "the parameters".to_string(),
            None => format!("the schema at {}", self.render()),
        }
    }
}

#[derive(Default)]
struct Report {
    problems: Vec<ExportProblem>,
    notes: Vec<String>,
}

impl Report {
    fn problem(&mut self, at: &Loc, message: impl Into<String>, fix: impl Into<String>) {
        let problem = ExportProblem {
            location: at.render(),
            message: message.into(),
            fix: fix.into(),
        };
        if !self.problems.contains(&problem) {
            self.problems.push(problem);
        }
    }

    fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    fn finish(self, definition: Value) -> Result<Exported, Vec<ExportProblem>> {
        if self.problems.is_empty() {
            Ok(Exported {
                definition,
                notes: self.notes,
            })
        } else {
            Err(self.problems)
        }
    }
}

/// Keywords a provider cannot take, turned into sentences for the description.
#[derive(Default)]
struct Moved {
    keywords: Vec<String>,
    constraints: Vec<String>,
    remarks: Vec<String>,
    default: Option<String>,
    examples: Option<String>,
}

impl Moved {
    fn describe(&mut self, keyword: &str, value: &Value) {
        match keyword {
            // A null default says nothing a nullable schema does not.
            "default" if value.is_null() => return,
            "default" => self.default = Some(show(value)),
            "examples" => {
                self.examples = Some(match value {
                    Value::Array(examples) => examples.iter().map(show).collect::<Vec<_>>().join(", "),
                    other => show(other),
                })
            }
            "example" => self.examples = Some(show(value)),
            "deprecated" if value == &Value::Bool(true) => self.remarks.push("Deprecated.".to_string()),
            "deprecated" | "uniqueItems" if value == &Value::Bool(false) => return,
            _ => self.constraints.push(constraint_text(keyword, value)),
        }
        self.keywords.push(keyword.to_string());
    }

    fn apply(self, out: &mut Map<String, Value>, description: Option<String>, at: &Loc, report: &mut Report) {
        let mut lines: Vec<String> = description.into_iter().filter(|text| !text.trim().is_empty()).collect();
        if !self.constraints.is_empty() {
            lines.push(format!("Constraints: {}.", self.constraints.join("; ")));
        }
        lines.extend(self.remarks);
        if let Some(default) = self.default {
            lines.push(format!("Default: {default}."));
        }
        if let Some(examples) = self.examples {
            lines.push(format!("Examples: {examples}."));
        }
        if !lines.is_empty() {
            out.insert("description".to_string(), Value::String(lines.join("\n")));
        }
        if !self.keywords.is_empty() {
            report.note(format!(
                "{} moved into the description of {}",
                self.keywords.join(", "),
                at.subject()
            ));
        }
    }
}

/// A keyword and its value as readable text: "at most 5 characters".
fn constraint_text(keyword: &str, value: &Value) -> String {
    let count = |unit: &str| {
        value
            .as_u64()
            .map(|n| format!("{n} {unit}{}", if n == 1 { "" } else { "s" }))
    };
    let text = match keyword {
        "minLength" => count("character").map(|n| format!("at least {n}")),
        "maxLength" => count("character").map(|n| format!("at most {n}")),
        "minItems" => count("item").map(|n| format!("at least {n}")),
        "maxItems" => count("item").map(|n| format!("at most {n}")),
        "minProperties" => count("key").map(|n| format!("at least {n}")),
        "maxProperties" => count("key").map(|n| format!("at most {n}")),
        "minContains" => count("item").map(|n| format!("at least {n} matching 'contains'")),
        "maxContains" => count("item").map(|n| format!("at most {n} matching 'contains'")),
        "pattern" => value.as_str().map(|p| format!("matches the regular expression {p}")),
        "format" => value.as_str().map(|f| format!("in {f} format")),
        "contentEncoding" => value.as_str().map(|e| format!("encoded as {e}")),
        "contentMediaType" => value.as_str().map(|m| format!("of media type {m}")),
        "minimum" => Some(format!("at least {}", show(value))),
        "maximum" => Some(format!("at most {}", show(value))),
        "exclusiveMinimum" => Some(format!("greater than {}", show(value))),
        "exclusiveMaximum" => Some(format!("less than {}", show(value))),
        "multipleOf" => Some(format!("a multiple of {}", show(value))),
        "uniqueItems" => Some("no duplicate items".to_string()),
        "contains" => Some(format!("contains an item matching {}", show(value))),
        "propertyNames" => Some(format!("keys match {}", show(value))),
        "contentSchema" => Some(format!("content matches {}", show(value))),
        "const" => Some(format!("exactly {}", show(value))),
        "enum" => value
            .as_array()
            .map(|values| format!("one of {}", values.iter().map(show).collect::<Vec<_>>().join(", "))),
        _ => None,
    };
    text.unwrap_or_else(|| format!("{keyword} {}", show(value)))
}

/// A JSON value as it reads in a sentence: strings quoted, everything else as JSON.
fn show(value: &Value) -> String {
    value.to_string()
}

/// A short name for what a schema accepts: "integer", "string or null", "Address".
fn short_label(schema: &Value) -> String {
    fn label(schema: &Value, depth: usize) -> String {
        let Value::Object(node) = schema else {
            return if schema == &Value::Bool(false) {
                "nothing"
            } else {
                "any value"
            }
            .to_string();
        };
        if let Some(title) = node.get("title").and_then(Value::as_str) {
            return title.to_string();
        }
        if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
            return reference.rsplit('/').next().unwrap_or(reference).to_string();
        }
        match node.get("type") {
            Some(Value::String(name)) => return name.clone(),
            Some(Value::Array(names)) => {
                return names.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or ")
            }
            _ => {}
        }
        if let Some(values) = node.get("enum") {
            return constraint_text("enum", values);
        }
        if let Some(value) = node.get("const") {
            return show(value);
        }
        if let (Some(Value::Array(members)), true) = (node.get("anyOf"), depth == 0) {
            return members
                .iter()
                .map(|member| label(member, depth + 1))
                .collect::<Vec<_>>()
                .join(" or ");
        }
        "any value".to_string()
    }
    label(schema, 0)
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `type`, `title` and `description` first, the rest in the order they were written.
fn ordered(out: Map<String, Value>) -> Map<String, Value> {
    const HEAD: [&str; 3] = ["type", "title", "description"];
    let mut entries: Vec<(String, Value)> = out.into_iter().collect();
    entries.sort_by_key(|(key, _)| HEAD.iter().position(|head| head == key).unwrap_or(HEAD.len()));
    entries.into_iter().collect()
}

// ---------------------------------------------------------------------------
// Reading schemas
// ---------------------------------------------------------------------------

/// Looks up `$ref`s inside the schema being exported.
#[derive(Clone, Copy)]
struct Resolver<'a> {
    root: &'a Value,
}

impl<'a> Resolver<'a> {
    fn resolve(&self, reference: &str) -> Result<&'a Value, String> {
        refs::local_target(self.root, reference).map(|(target, _)| target)
    }
}

/// For `#/$defs/Name` and `#/definitions/Name`: the container and the name.
fn definition_target(reference: &str) -> Option<(String, String)> {
    let pointer = percent_decode(reference.strip_prefix("#/")?);
    let (container, name) = pointer.split_once('/')?;
    if !matches!(container, "$defs" | "definitions") || name.contains('/') {
        return None;
    }
    Some((container.to_string(), name.replace("~1", "/").replace("~0", "~")))
}


/// The parameters schema as a JSON object, or the problem with it.
fn root_object<'v>(schema: &'v Value, report: &mut Report) -> Option<&'v Map<String, Value>> {
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

fn kind_of(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => format!("the boolean schema {flag}"),
        Value::Number(_) => "a number".to_string(),
        Value::String(_) => "a string".to_string(),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

fn not_a_schema(report: &mut Report, at: &Loc, value: &Value) {
    report.problem(
        at,
        format!("{} is not a schema ({})", at.subject(), kind_of(value)),
        "write a JSON Schema object here, e.g. {\"type\": \"string\"}",
    );
}

fn has_any(node: &Map<String, Value>, keywords: &[&str]) -> bool {
    keywords.iter().any(|keyword| node.contains_key(*keyword))
}

/// The `type` keyword of a schema.
enum Types {
    Absent,
    Declared(Vec<String>),
    /// Declared but unusable; the problem is already reported.
    Broken,
}

fn read_types(node: &Map<String, Value>, at: &Loc, report: &mut Report) -> Types {
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

fn types_value(types: &[String]) -> Value {
    match types {
        [single] => json!(single),
        many => json!(many),
    }
}

fn json_type_of(value: &Value) -> &'static str {
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

fn types_of_values<'v>(values: impl IntoIterator<Item = &'v Value>) -> Vec<String> {
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
fn inferred_types(node: &Map<String, Value>) -> Option<(Vec<String>, String)> {
    if let Some(Value::Array(values)) = node.get("enum") {
        if !values.is_empty() {
            return Some((types_of_values(values), "enum".to_string()));
        }
    }
    if let Some(value) = node.get("const") {
        return Some((types_of_values([value]), "const".to_string()));
    }
    const HINTS: [(&str, &[&str]); 4] = [
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
fn settle_types(
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
fn walkable_types(node: &Map<String, Value>, broken: bool) -> Option<Vec<String>> {
    if broken {
        inferred_types(node).map(|(types, _)| types)
    } else {
        None
    }
}

/// The keyword's type family: the keyword only constrains values of that type.
fn family(keyword: &str) -> Option<&'static str> {
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

fn family_applies(family: &str, types: &[String]) -> bool {
    types
        .iter()
        .any(|t| t == family || (family == "number" && t == "integer"))
}

/// Whether a keyword matters for a schema of these types: a string keyword on an integer
/// schema constrains nothing.
fn keyword_applies(keyword: &str, types: &[String]) -> bool {
    match family(keyword) {
        None => true,
        Some(family) => family_applies(family, types),
    }
}

/// Whether a kept keyword's value is of the kind providers expect.
fn keyword_value_ok(keyword: &str, value: &Value) -> bool {
    match keyword {
        "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties" | "maxProperties" => value.is_u64(),
        "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => value.is_number(),
        "multipleOf" => value.as_f64().is_some_and(|n| n > 0.0),
        "pattern" | "format" => value.is_string(),
        _ => true,
    }
}

/// Whether the schema says outright that null is allowed.
fn admits_null(schema: &Value, resolver: &Resolver, hops: usize) -> bool {
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
            .is_some_and(|members| members.iter().any(|member| admits_null(member, resolver, hops + 1)))
    });
    let by_reference = node
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|reference| resolver.resolve(reference).ok())
        .is_some_and(|target| admits_null(target, resolver, hops + 1));
    by_type || by_values || by_members || by_reference
}

fn is_null_schema(schema: &Value) -> bool {
    schema.as_object().is_some_and(|node| {
        node.get("type") == Some(&json!("null")) && !has_any(node, &["anyOf", "oneOf", "allOf", "$ref"])
    })
}

/// How a schema treats keys it does not declare.
enum ExtraKeys<'v> {
    Unstated,
    Forbidden,
    /// `true` or `{}`: any extra key with any value.
    Any,
    /// A schema for the values of extra keys: a `dict[str, T]`.
    Typed(&'v Value),
    Malformed,
}

fn extra_keys(node: &Map<String, Value>) -> ExtraKeys<'_> {
    match node.get("additionalProperties") {
        None => ExtraKeys::Unstated,
        Some(Value::Bool(false)) => ExtraKeys::Forbidden,
        Some(Value::Bool(true)) => ExtraKeys::Any,
        Some(Value::Object(schema)) if schema.is_empty() => ExtraKeys::Any,
        Some(schema @ Value::Object(_)) => ExtraKeys::Typed(schema),
        Some(_) => ExtraKeys::Malformed,
    }
}

fn required_names(node: &Map<String, Value>, at: &Loc, report: &mut Report) -> Vec<String> {
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

fn undeclared_required(names: &[String], properties: &Map<String, Value>, at: &Loc, report: &mut Report) {
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
fn rewrite_tuple(node: &mut Map<String, Value>, at: &Loc, report: &mut Report) -> Option<String> {
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
fn fold_all_of(mut node: Map<String, Value>, at: &Loc, label: &str, report: &mut Report) -> Option<Map<String, Value>> {
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

// ---------------------------------------------------------------------------
// Strict and Gemini exports: a rewrite into the provider's subset
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Target {
    OpenAiStrict,
    AnthropicStrict,
    Gemini,
}

impl Target {
    fn label(self) -> &'static str {
        match self {
            Target::OpenAiStrict => "OpenAI strict mode",
            Target::AnthropicStrict => "Anthropic strict tool use",
            Target::Gemini => "Gemini",
        }
    }
}

/// What happens to a keyword a rewrite does not handle itself.
enum Placement {
    /// Handled by the rewrite itself.
    Structural,
    Keep,
    Describe,
    Refuse(&'static str),
    Drop,
    Unknown,
}

fn placement(target: Target, keyword: &str, value: &Value) -> Placement {
    const STRUCTURAL: [&str; 15] = [
        "type",
        "title",
        "description",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "prefixItems",
        "additionalItems",
        "anyOf",
        "oneOf",
        "allOf",
        "$ref",
    ];
    const DESCRIBED: [&str; 24] = [
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "contains",
        "minContains",
        "maxContains",
        "minProperties",
        "maxProperties",
        "propertyNames",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
        "examples",
        "example",
        "deprecated",
    ];
    if STRUCTURAL.contains(&keyword) {
        return Placement::Structural;
    }
    let kept = match target {
        Target::OpenAiStrict => match keyword {
            "pattern" | "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" | "multipleOf" | "minItems"
            | "maxItems" => true,
            "format" => value.as_str().is_some_and(|format| OPENAI_FORMATS.contains(&format)),
            _ => false,
        },
        // The SDK keeps only minItems of 0 or 1 and the formats it knows; everything else
        // goes into the description.
        Target::AnthropicStrict => match keyword {
            "minItems" => matches!(value.as_u64(), Some(0 | 1)),
            "format" => value.as_str().is_some_and(|format| ANTHROPIC_FORMATS.contains(&format)),
            _ => false,
        },
        Target::Gemini if keyword == "format" => value.as_str().is_some_and(|format| GEMINI_FORMATS.contains(&format)),
        Target::Gemini => matches!(
            keyword,
            "pattern"
                | "minimum"
                | "maximum"
                | "minLength"
                | "maxLength"
                | "minItems"
                | "maxItems"
                | "minProperties"
                | "maxProperties"
                | "default"
        ),
    };
    if kept {
        return Placement::Keep;
    }
    if keyword == "default" || DESCRIBED.contains(&keyword) {
        return Placement::Describe;
    }
    if matches!(keyword, "unevaluatedProperties" | "unevaluatedItems") && value == &Value::Bool(false) {
        // Objects are closed and tuples bounded anyway.
        return Placement::Drop;
    }
    if INEXPRESSIBLE_KEYWORDS.contains(&keyword) {
        return Placement::Refuse(match keyword {
            "patternProperties" | "unevaluatedProperties" => {
                "declare the keys as properties, or export with strict=False"
            }
            "$dynamicRef" | "$recursiveRef" => "use '$ref' to a definition under $defs instead",
            _ => "remove the rule from the schema and check it in the tool, or export with strict=False",
        });
    }
    if SILENT_KEYWORDS.contains(&keyword) {
        return Placement::Drop;
    }
    Placement::Unknown
}

/// One rewrite of a canonical schema into a provider's subset: OpenAI strict, Anthropic
/// strict or Gemini. Problems and notes are collected as it goes.
struct Lowering<'a> {
    target: Target,
    resolver: Resolver<'a>,
    report: Report,
    /// References being expanded, innermost last: meeting one again means recursion.
    expanding: Vec<String>,
    /// Definitions an OpenAI strict schema refers to and therefore keeps.
    wanted: Vec<(String, String)>,
    optional_properties: usize,
    expansions: usize,
    depth: usize,
}

impl<'a> Lowering<'a> {
    fn run(schema: &'a Value, target: Target) -> Result<Exported, Vec<ExportProblem>> {
        let mut lowering = Lowering {
            target,
            resolver: Resolver { root: schema },
            report: Report::default(),
            expanding: vec!["#".to_string()],
            wanted: Vec::new(),
            optional_properties: 0,
            expansions: 0,
            depth: 0,
        };
        let Some(root) = root_object(schema, &mut lowering.report) else {
            return Err(lowering.report.problems);
        };
        let mut out = lowering.lower_map(root.clone(), &Loc::root(), true);
        match target {
            Target::OpenAiStrict => {
                lowering.attach_definitions(&mut out);
                // The rewrite's output is checked by the independent checker; when the rewrite
                // already failed, its partial output is still worth measuring against the limits.
                let found = if lowering.report.problems.is_empty() {
                    check_openai_strict(&out)
                } else {
                    openai_limit_problems(&out)
                };
                lowering.report.problems.extend(found);
            }
            Target::AnthropicStrict => lowering.check_anthropic_budget(&out),
            Target::Gemini => {}
        }
        lowering.report.finish(out)
    }

    fn lower(&mut self, schema: &Value, at: &Loc) -> Value {
        match schema {
            Value::Object(node) => {
                if self.depth >= MAX_SCHEMA_DEPTH {
                    self.report.problem(
                        at,
                        format!("the schema is nested more than {MAX_SCHEMA_DEPTH} levels deep"),
                        "flatten the schema",
                    );
                    return Value::Null;
                }
                self.depth += 1;
                let out = self.lower_map(node.clone(), at, false);
                self.depth -= 1;
                out
            }
            Value::Bool(true) => {
                self.report.problem(
                    at,
                    format!(
                        "{} accepts any JSON value, which {} cannot express",
                        at.subject(),
                        self.target.label()
                    ),
                    ANY_VALUE_FIX,
                );
                Value::Null
            }
            Value::Bool(false) => {
                self.report.problem(
                    at,
                    format!("{} accepts no value at all (the schema is false)", at.subject()),
                    "remove it, or give it a type",
                );
                Value::Null
            }
            other => {
                not_a_schema(&mut self.report, at, other);
                Value::Null
            }
        }
    }

    fn lower_map(&mut self, mut node: Map<String, Value>, at: &Loc, is_root: bool) -> Value {
        for keyword in ["$schema", "$id", "$comment", "$defs", "definitions"] {
            node.shift_remove(keyword);
        }
        if node.contains_key("$ref") {
            return self.lower_reference(node, at, is_root);
        }
        if node.contains_key("allOf") {
            match fold_all_of(node, at, self.target.label(), &mut self.report) {
                Some(folded) => return self.lower_map(folded, at, is_root),
                None => return Value::Null,
            }
        }
        if let Some(one_of) = node.shift_remove("oneOf") {
            if node.contains_key("anyOf") {
                self.report.problem(
                    &at.keyword("oneOf"),
                    "'oneOf' and 'anyOf' on the same schema cannot be combined into one union",
                    "keep one of them",
                );
            } else {
                // A value that matches two members would be refused by oneOf but accepted
                // here; toolproof's own validation still applies oneOf.
                self.report.note(format!("oneOf of {} exported as anyOf", at.subject()));
                node.insert("anyOf".to_string(), one_of);
            }
        }
        match self.target {
            Target::Gemini => self.gemini_schema(node, at, is_root),
            _ => self.strict_schema(node, at, is_root),
        }
    }

    /// A `$ref`: kept as it is where OpenAI strict takes it (alone, to a definition),
    /// otherwise replaced by the referenced schema with the sibling keywords on top.
    fn lower_reference(&mut self, mut node: Map<String, Value>, at: &Loc, is_root: bool) -> Value {
        let reference = match node.shift_remove("$ref") {
            Some(Value::String(reference)) => reference,
            _ => {
                self.report.problem(
                    &at.keyword("$ref"),
                    "'$ref' must be a string",
                    "write the reference as text, e.g. \"#/$defs/Name\"",
                );
                return Value::Null;
            }
        };
        let resolver = self.resolver;
        let target = match resolver.resolve(&reference) {
            Ok(target) => target,
            Err(why) => {
                self.report.problem(
                    &at.keyword("$ref"),
                    why,
                    "point it at a definition in this schema, e.g. '#/$defs/Name'",
                );
                return Value::Null;
            }
        };
        let definition = definition_target(&reference);
        let keepable = self.target == Target::OpenAiStrict && !is_root && (definition.is_some() || reference == "#");
        if keepable && node.is_empty() {
            if let Some(definition) = definition {
                self.wanted.push(definition);
            }
            return json!({"$ref": reference});
        }
        if self.expanding.contains(&reference) {
            if keepable {
                // Siblings cannot be merged into a definition that is being expanded; they
                // go on a one-member union around the reference instead.
                if let Some(definition) = definition {
                    self.wanted.push(definition);
                }
                node.insert("anyOf".to_string(), json!([{"$ref": reference}]));
                return self.strict_schema(node, at, false);
            }
            let fix = if self.target == Target::OpenAiStrict {
                "move the recursive part under $defs and refer to it as '#/$defs/Name'"
            } else {
                "limit the depth (a fixed number of nesting levels), or export for OpenAI strict mode, which allows recursion"
            };
            self.report.problem(
                &at.keyword("$ref"),
                format!(
                    "'{reference}' makes the schema recursive, which {} cannot express here",
                    self.target.label()
                ),
                fix,
            );
            return Value::Null;
        }
        if self.expansions >= MAX_EXPANSIONS {
            self.report.problem(
                at,
                format!(
                    "the schema grows past {} expanded references",
                    thousands(MAX_EXPANSIONS)
                ),
                "share fewer definitions, or split the tool",
            );
            return Value::Null;
        }
        self.expansions += 1;
        let merged = match target {
            Value::Object(target) => {
                let mut merged = target.clone();
                for keyword in ["$defs", "definitions", "$schema", "$id"] {
                    merged.shift_remove(keyword);
                }
                for (keyword, value) in node {
                    merged.insert(keyword, value);
                }
                merged
            }
            Value::Bool(true) => node,
            other => {
                self.report.problem(
                    &at.keyword("$ref"),
                    format!(
                        "'{reference}' points to {}, not to a schema that accepts values",
                        kind_of(other)
                    ),
                    "point it at an object schema",
                );
                return Value::Null;
            }
        };
        self.expanding.push(reference);
        let out = self.lower_map(merged, at, is_root);
        self.expanding.pop();
        out
    }

    /// The definitions an OpenAI strict schema still refers to, rewritten, under the root.
    fn attach_definitions(&mut self, out: &mut Value) {
        let mut lowered: Vec<((String, String), Value)> = Vec::new();
        while let Some(key) = self.wanted.pop() {
            if lowered.iter().any(|(done, _)| done == &key) {
                continue;
            }
            let resolver = self.resolver;
            let Some(schema) = resolver.root.get(&key.0).and_then(|defs| defs.get(&key.1)) else {
                continue;
            };
            let at = Loc::definition(&key.0, &key.1);
            self.expanding
                .push(format!("#/{}/{}", key.0, key.1.replace('~', "~0").replace('/', "~1")));
            let value = self.lower(schema, &at);
            self.expanding.pop();
            lowered.push((key, value));
        }
        let Value::Object(out) = out else {
            return;
        };
        for container in ["$defs", "definitions"] {
            let Some(Value::Object(original)) = self.resolver.root.get(container) else {
                continue;
            };
            let mut kept = Map::new();
            let mut unused: Vec<String> = Vec::new();
            for name in original.keys() {
                match lowered.iter().find(|((c, n), _)| c == container && n == name) {
                    Some((_, value)) => {
                        kept.insert(name.clone(), value.clone());
                    }
                    None => unused.push(name.clone()),
                }
            }
            if !kept.is_empty() {
                out.insert(container.to_string(), Value::Object(kept));
            }
            if !unused.is_empty() {
                self.report
                    .note(format!("unused definitions left out: {}", quoted_list(&unused)));
            }
        }
    }

    // ----- OpenAI and Anthropic strict -----

    fn strict_schema(&mut self, mut node: Map<String, Value>, at: &Loc, is_root: bool) -> Value {
        let label = self.target.label();
        let mut moved = Moved::default();
        if let Some(order) = rewrite_tuple(&mut node, at, &mut self.report) {
            moved.remarks.push(order);
        }
        let (types, broken) = settle_types(&node, at, is_root, &mut self.report);
        if is_root {
            check_root_shape(&node, types.as_deref(), label, &mut self.report);
        }
        let mut out = Map::new();
        match &types {
            Some(types) => {
                out.insert("type".to_string(), types_value(types));
            }
            None if !broken && !has_any(&node, &["anyOf", "enum", "const"]) => self.report.problem(
                at,
                format!("{} accepts any JSON value, which {label} cannot express", at.subject()),
                ANY_VALUE_FIX,
            ),
            None => {}
        }
        let types = types.or_else(|| walkable_types(&node, broken)).unwrap_or_default();
        if let Some(title) = node.get("title").filter(|title| title.is_string()) {
            out.insert("title".to_string(), title.clone());
        }
        let description = node.get("description").and_then(Value::as_str).map(str::to_string);
        if let Some(values) = node.get("enum") {
            if let Some(values) = self.checked_enum(values, at) {
                out.insert("enum".to_string(), values);
            }
        }
        if let Some(value) = node.get("const") {
            if self.target == Target::AnthropicStrict && (value.is_array() || value.is_object()) {
                self.report.problem(
                    &at.keyword("const"),
                    format!("'const' holds a list or an object, which {label} does not accept"),
                    "use a string, number, boolean or null",
                );
            }
            out.insert("const".to_string(), value.clone());
        }
        if types.iter().any(|t| t == "object") {
            self.strict_object(&node, at, is_root, &mut out);
        }
        if types.iter().any(|t| t == "array") {
            self.items(&node, at, &mut out);
        }
        if let Some(any_of) = node.get("anyOf") {
            let members = self.union_members(any_of, at);
            out.insert("anyOf".to_string(), Value::Array(members));
        }
        self.place_remaining(&node, &types, at, &mut out, &mut moved);
        moved.apply(&mut out, description, at, &mut self.report);
        Value::Object(ordered(out))
    }

    fn strict_object(&mut self, node: &Map<String, Value>, at: &Loc, is_root: bool, out: &mut Map<String, Value>) {
        let label = self.target.label();
        let properties = self.declared_properties(node, at);
        let required = required_names(node, at, &mut self.report);
        match extra_keys(node) {
            ExtraKeys::Typed(values) => {
                let message = if properties.is_empty() {
                    format!(
                        "{} is a free-form object (a dict with {} values), which {label} cannot express",
                        at.subject(),
                        short_label(values)
                    )
                } else {
                    format!(
                        "{} accepts extra keys besides its properties ('additionalProperties' is a schema), which {label} cannot express",
                        at.subject()
                    )
                };
                self.report
                    .problem(&at.keyword("additionalProperties"), message, FREE_FORM_FIX);
            }
            ExtraKeys::Any if properties.is_empty() => self.report.problem(
                &at.keyword("additionalProperties"),
                format!(
                    "{} is a free-form object (any keys), which {label} cannot express",
                    at.subject()
                ),
                FREE_FORM_FIX,
            ),
            ExtraKeys::Unstated if properties.is_empty() && !is_root => self.report.problem(
                at,
                format!(
                    "{} is a free-form object (any keys), which {label} cannot express",
                    at.subject()
                ),
                FREE_FORM_FIX,
            ),
            ExtraKeys::Any => self.report.note(format!(
                "{} accepts extra keys; {label} offers only its declared properties",
                at.subject()
            )),
            ExtraKeys::Malformed => self.report.problem(
                &at.keyword("additionalProperties"),
                "'additionalProperties' must be true, false or a schema",
                "set it to false",
            ),
            ExtraKeys::Unstated | ExtraKeys::Forbidden => {}
        }
        undeclared_required(&required, &properties, at, &mut self.report);

        let mut lowered = Map::new();
        let mut optional: Vec<String> = Vec::new();
        for (name, schema) in &properties {
            let mut value = self.lower(schema, &at.property(name));
            if !required.contains(name) {
                optional.push(name.clone());
                if self.target == Target::OpenAiStrict && !admits_null(schema, &self.resolver, 0) {
                    value = nullable(value);
                }
            }
            lowered.insert(name.clone(), value);
        }
        let required: Vec<String> = match self.target {
            Target::OpenAiStrict => properties.keys().cloned().collect(),
            _ => required
                .into_iter()
                .filter(|name| properties.contains_key(name))
                .collect(),
        };
        if self.target == Target::OpenAiStrict && !optional.is_empty() {
            self.report.note(format!(
                "optional {} {} of {} sent as required and nullable: null stands for 'not given'",
                if optional.len() == 1 { "property" } else { "properties" },
                quoted_list(&optional),
                at.subject()
            ));
        }
        self.optional_properties += optional.len();
        out.insert("properties".to_string(), Value::Object(lowered));
        out.insert("required".to_string(), json!(required));
        out.insert("additionalProperties".to_string(), json!(false));
    }

    fn declared_properties(&mut self, node: &Map<String, Value>, at: &Loc) -> Map<String, Value> {
        match node.get("properties") {
            None => Map::new(),
            Some(Value::Object(properties)) => properties.clone(),
            Some(_) => {
                self.report.problem(
                    &at.keyword("properties"),
                    "'properties' must map property names to schemas",
                    "write it as an object, e.g. {\"query\": {\"type\": \"string\"}}",
                );
                Map::new()
            }
        }
    }

    fn items(&mut self, node: &Map<String, Value>, at: &Loc, out: &mut Map<String, Value>) {
        let label = self.target.label();
        match node.get("items") {
            Some(Value::Bool(false)) => self.report.problem(
                &at.keyword("items"),
                format!("{} accepts only empty lists ('items' is false)", at.subject()),
                "remove the parameter, or give its items a type",
            ),
            Some(schema @ Value::Object(items)) if !items.is_empty() => {
                let value = self.lower(schema, &at.items("items"));
                out.insert("items".to_string(), value);
            }
            Some(Value::Bool(true) | Value::Object(_)) | None => self.report.problem(
                at,
                format!(
                    "{} is a list whose items may be any JSON value, which {label} cannot express",
                    at.subject()
                ),
                ITEMS_FIX,
            ),
            Some(other) => not_a_schema(&mut self.report, &at.items("items"), other),
        }
    }

    fn union_members(&mut self, any_of: &Value, at: &Loc) -> Vec<Value> {
        match any_of {
            Value::Array(members) if !members.is_empty() => members
                .iter()
                .enumerate()
                .map(|(index, member)| self.lower(member, &at.member("anyOf", index)))
                .collect(),
            _ => {
                self.report.problem(
                    &at.keyword("anyOf"),
                    "'anyOf' must be a non-empty list of schemas",
                    "list the alternatives",
                );
                Vec::new()
            }
        }
    }

    fn checked_enum(&mut self, values: &Value, at: &Loc) -> Option<Value> {
        let fix = "list the allowed values, e.g. [\"celsius\", \"fahrenheit\"]";
        let Value::Array(items) = values else {
            self.report
                .problem(&at.keyword("enum"), "'enum' must be a list of values", fix);
            return None;
        };
        if items.is_empty() {
            self.report
                .problem(&at.keyword("enum"), "'enum' is empty, so no value is accepted", fix);
            return None;
        }
        if self.target == Target::AnthropicStrict && items.iter().any(|item| item.is_array() || item.is_object()) {
            self.report.problem(
                &at.keyword("enum"),
                format!(
                    "'enum' holds lists or objects, which {} does not accept",
                    self.target.label()
                ),
                "use strings, numbers, booleans or null as enum values",
            );
        }
        Some(values.clone())
    }

    /// Every keyword the rewrite did not handle itself: kept, described, refused or dropped.
    fn place_remaining(
        &mut self,
        node: &Map<String, Value>,
        types: &[String],
        at: &Loc,
        out: &mut Map<String, Value>,
        moved: &mut Moved,
    ) {
        let label = self.target.label();
        for (keyword, value) in node {
            let applies = keyword_applies(keyword, types);
            match placement(self.target, keyword, value) {
                Placement::Structural | Placement::Drop => {}
                Placement::Keep if applies => {
                    if keyword_value_ok(keyword, value) {
                        out.insert(keyword.clone(), value.clone());
                    } else {
                        self.report.problem(
                            &at.keyword(keyword),
                            format!("'{keyword}' has a value of the wrong kind ({})", show(value)),
                            "fix the value, e.g. a non-negative whole number for lengths and counts",
                        );
                    }
                }
                Placement::Keep | Placement::Describe => {
                    // Without a type, a type-specific keyword still constrains the matching
                    // alternatives; with a type it does not cover, it constrains nothing.
                    if applies || types.is_empty() {
                        moved.describe(keyword, value);
                    }
                }
                Placement::Refuse(fix) => self.report.problem(
                    &at.keyword(keyword),
                    format!("'{keyword}' cannot be expressed in {label}"),
                    fix,
                ),
                Placement::Unknown => self
                    .report
                    .note(format!("unknown keyword '{keyword}' dropped from {}", at.subject())),
            }
        }
    }

    fn check_anthropic_budget(&mut self, out: &Value) {
        let root = Loc::root();
        if self.optional_properties > ANTHROPIC_MAX_OPTIONAL {
            self.report.problem(
                &root,
                format!(
                    "the parameters have {} optional properties; Anthropic strict tool use allows at most {ANTHROPIC_MAX_OPTIONAL} across all strict tools of a request",
                    self.optional_properties
                ),
                "make some of them required, or export with strict=False",
            );
        }
        let unions = count_unions(out, 0);
        if unions > ANTHROPIC_MAX_UNIONS {
            self.report.problem(
                &root,
                format!(
                    "{unions} parameters use anyOf or a list of types; Anthropic strict tool use allows at most {ANTHROPIC_MAX_UNIONS} across all strict tools of a request"
                ),
                "give some of them a single type, or export with strict=False",
            );
        }
    }

    // ----- Gemini -----

    fn gemini_schema(&mut self, mut node: Map<String, Value>, at: &Loc, is_root: bool) -> Value {
        let mut moved = Moved::default();
        if let Some(order) = rewrite_tuple(&mut node, at, &mut self.report) {
            moved.remarks.push(order);
        }
        let (types, broken) = settle_types(&node, at, is_root, &mut self.report);
        if is_root {
            check_root_shape(&node, types.as_deref(), "Gemini", &mut self.report);
        }
        let mut types = types.or_else(|| walkable_types(&node, broken)).unwrap_or_default();
        let mut nullable = types.iter().any(|t| t == "null");
        if nullable && types.len() > 1 {
            types.retain(|t| t != "null");
        } else {
            nullable = false;
        }
        if types.len() > 1 {
            return self.gemini_union(node, types, nullable, at, moved);
        }
        let mut out = Map::new();
        match types.first() {
            Some(name) => {
                out.insert("type".to_string(), json!(name));
            }
            None if !broken && !has_any(&node, &["anyOf", "enum", "const"]) => self.report.problem(
                at,
                format!("{} accepts any JSON value, which Gemini cannot express", at.subject()),
                ANY_VALUE_FIX,
            ),
            None => {}
        }
        if let Some(title) = node.get("title").filter(|title| title.is_string()) {
            out.insert("title".to_string(), title.clone());
        }
        let mut description = node.get("description").and_then(Value::as_str).map(str::to_string);
        self.gemini_values(&node, at, &mut out, &mut nullable, &mut moved);
        if types.iter().any(|t| t == "object") {
            self.gemini_object(&node, at, is_root, &mut out, &mut moved);
        }
        if types.iter().any(|t| t == "array") {
            self.items(&node, at, &mut out);
        }
        if let Some(any_of) = node.get("anyOf") {
            let members = self.union_members(any_of, at);
            let mut kept: Vec<Value> = Vec::new();
            for member in members {
                if is_null_schema(&member) {
                    nullable = true;
                } else {
                    kept.push(member);
                }
            }
            match kept.len() {
                0 if !out.contains_key("type") => {
                    out.insert("type".to_string(), json!("null"));
                }
                0 => {}
                // Optional[X]: the one remaining member is the schema itself.
                1 if !out.contains_key("type") => {
                    if let Some(Value::Object(member)) = kept.pop() {
                        for (keyword, value) in member {
                            if keyword == "description" {
                                if description.is_none() {
                                    description = value.as_str().map(str::to_string);
                                }
                            } else if !out.contains_key(&keyword) {
                                out.insert(keyword, value);
                            }
                        }
                    }
                }
                _ => {
                    out.insert("anyOf".to_string(), Value::Array(kept));
                }
            }
        }
        self.place_remaining(&node, &types, at, &mut out, &mut moved);
        if nullable {
            out.insert("nullable".to_string(), json!(true));
        }
        moved.apply(&mut out, description, at, &mut self.report);
        Value::Object(ordered(out))
    }

    /// `enum` and `const`: Gemini takes enums of strings only.
    fn gemini_values(
        &mut self,
        node: &Map<String, Value>,
        at: &Loc,
        out: &mut Map<String, Value>,
        nullable: &mut bool,
        moved: &mut Moved,
    ) {
        if let Some(values) = node.get("enum") {
            if let Some(Value::Array(values)) = self.checked_enum(values, at) {
                if values.contains(&Value::Null) {
                    *nullable = true;
                }
                let values: Vec<Value> = values.into_iter().filter(|value| !value.is_null()).collect();
                if values.iter().all(Value::is_string) {
                    out.insert("enum".to_string(), Value::Array(values));
                } else {
                    moved.describe("enum", &Value::Array(values));
                }
            }
        }
        match node.get("const") {
            Some(Value::Null) => *nullable = true,
            Some(Value::String(text)) if !node.contains_key("enum") => {
                out.insert("enum".to_string(), json!([text]));
            }
            Some(value) => moved.describe("const", value),
            None => {}
        }
        if out.contains_key("enum") && !out.contains_key("type") {
            out.insert("type".to_string(), json!("string"));
        }
    }

    fn gemini_object(
        &mut self,
        node: &Map<String, Value>,
        at: &Loc,
        is_root: bool,
        out: &mut Map<String, Value>,
        moved: &mut Moved,
    ) {
        let properties = self.declared_properties(node, at);
        let required = required_names(node, at, &mut self.report);
        undeclared_required(&required, &properties, at, &mut self.report);
        let free_form = properties.is_empty();
        match extra_keys(node) {
            ExtraKeys::Any | ExtraKeys::Typed(_) if free_form && is_root => self.report.problem(
                &at.keyword("additionalProperties"),
                "the parameters are a free-form object (any keys), which Gemini cannot describe",
                "declare the parameters as named properties",
            ),
            ExtraKeys::Typed(values) => {
                let values = short_label(values);
                moved.remarks.push(if free_form {
                    format!("Keys are free-form; each value is {values}.")
                } else {
                    format!("Other keys are allowed too; each value is {values}.")
                });
                self.report.note(format!(
                    "additionalProperties of {} left out (Gemini does not take it); the value type is in the description",
                    at.subject()
                ));
            }
            ExtraKeys::Any if free_form => self.report.note(format!(
                "{} is a free-form object; Gemini is told only that it is an object",
                at.subject()
            )),
            ExtraKeys::Any => self.report.note(format!(
                "{} accepts extra keys; Gemini is offered only its declared properties",
                at.subject()
            )),
            ExtraKeys::Malformed => self.report.problem(
                &at.keyword("additionalProperties"),
                "'additionalProperties' must be true, false or a schema",
                "set it to false",
            ),
            ExtraKeys::Unstated | ExtraKeys::Forbidden => {}
        }
        let mut lowered = Map::new();
        for (name, schema) in &properties {
            let value = self.lower(schema, &at.property(name));
            lowered.insert(name.clone(), value);
        }
        if !lowered.is_empty() || is_root {
            out.insert("properties".to_string(), Value::Object(lowered));
        }
        let required: Vec<String> = required
            .into_iter()
            .filter(|name| properties.contains_key(name))
            .collect();
        if !required.is_empty() {
            out.insert("required".to_string(), json!(required));
        }
    }

    /// A schema of several types becomes a union of one schema per type, each with the
    /// keywords of its own type.
    fn gemini_union(
        &mut self,
        mut node: Map<String, Value>,
        types: Vec<String>,
        nullable: bool,
        at: &Loc,
        mut moved: Moved,
    ) -> Value {
        let mut out = Map::new();
        if let Some(title) = node.shift_remove("title").filter(Value::is_string) {
            out.insert("title".to_string(), title);
        }
        let description = node
            .shift_remove("description")
            .and_then(|text| text.as_str().map(str::to_string));
        if let Some(default) = node.shift_remove("default") {
            out.insert("default".to_string(), default);
        }
        for keyword in ["enum", "const"] {
            if let Some(value) = node.shift_remove(keyword) {
                moved.describe(keyword, &value);
            }
        }
        node.shift_remove("type");
        let mut branches = Vec::new();
        for (index, name) in types.iter().enumerate() {
            let mut branch = Map::new();
            branch.insert("type".to_string(), json!(name));
            for (keyword, value) in &node {
                let belongs = match family(keyword) {
                    Some(family) => family_applies(family, std::slice::from_ref(name)),
                    None => index == 0,
                };
                if belongs {
                    branch.insert(keyword.clone(), value.clone());
                }
            }
            branches.push(self.gemini_schema(branch, at, false));
        }
        out.insert("anyOf".to_string(), Value::Array(branches));
        if nullable {
            out.insert("nullable".to_string(), json!(true));
        }
        self.report.note(format!(
            "{} accepts {}; sent to Gemini as anyOf",
            at.subject(),
            types.join(" or ")
        ));
        moved.apply(&mut out, description, at, &mut self.report);
        Value::Object(ordered(out))
    }
}

/// The parameters must be one object: not a union, not a scalar, not nullable.
fn check_root_shape(node: &Map<String, Value>, types: Option<&[String]>, label: &str, report: &mut Report) {
    let root = Loc::root();
    if has_any(node, &["anyOf", "oneOf"]) {
        report.problem(
            &root,
            format!("the parameters are a union (anyOf/oneOf), which {label} does not accept at the top level"),
            "make the parameters one object and put the union inside one of its properties",
        );
    }
    if let Some(types) = types {
        if types != ["object"] {
            report.problem(
                &root,
                format!("the parameters must be an object schema, not {}", types.join(" or ")),
                "make the tool take named parameters (an object with properties)",
            );
        }
    }
}

/// An OpenAI strict schema that also accepts null, for an optional property: null then
/// stands for "not given".
fn nullable(value: Value) -> Value {
    let Value::Object(mut node) = value else {
        return value;
    };
    if !node.contains_key("type") {
        if let Some(Value::Array(members)) = node.get_mut("anyOf") {
            members.push(json!({"type": "null"}));
            return Value::Object(node);
        }
    }
    let scalar_types: Option<Vec<String>> = match node.get("type") {
        Some(Value::String(name)) => Some(vec![name.clone()]),
        Some(Value::Array(names)) => Some(names.iter().filter_map(Value::as_str).map(str::to_string).collect()),
        _ => None,
    }
    .filter(|types| {
        types
            .iter()
            .all(|t| matches!(t.as_str(), "string" | "number" | "integer" | "boolean" | "null"))
    });
    if let (Some(mut types), false) = (scalar_types, node.contains_key("$ref")) {
        types.push("null".to_string());
        node.insert("type".to_string(), json!(types));
        if let Some(Value::Array(values)) = node.get_mut("enum") {
            values.push(Value::Null);
        }
        if let Some(value) = node.shift_remove("const") {
            node.insert("enum".to_string(), json!([value, null]));
        }
        return Value::Object(node);
    }
    // Objects, lists and references: a union keeps their own keywords intact.
    let mut outer = Map::new();
    for keyword in ["title", "description"] {
        if let Some(value) = node.shift_remove(keyword) {
            outer.insert(keyword.to_string(), value);
        }
    }
    outer.insert("anyOf".to_string(), json!([Value::Object(node), {"type": "null"}]));
    Value::Object(outer)
}

/// Schemas below the root that are unions (anyOf or a list of types).
fn count_unions(schema: &Value, depth: usize) -> usize {
    let Value::Object(node) = schema else {
        return 0;
    };
    if depth > MAX_SCHEMA_DEPTH {
        return 0;
    }
    let own = usize::from(depth > 0 && (node.contains_key("anyOf") || node.get("type").is_some_and(Value::is_array)));
    own + children(node)
        .map(|child| count_unions(child, depth + 1))
        .sum::<usize>()
}

/// The subschemas of a strict or Gemini schema: properties, items and union members.
fn children(node: &Map<String, Value>) -> impl Iterator<Item = &Value> {
    let properties = node
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.values());
    let items = node.get("items").into_iter();
    let members = node.get("anyOf").and_then(Value::as_array).into_iter().flatten();
    properties.chain(items).chain(members)
}

// ---------------------------------------------------------------------------
// Non-strict OpenAI and Anthropic: the schema as it is, minus what would be refused
// ---------------------------------------------------------------------------

const SCHEMA_MAPS: [&str; 5] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
const SCHEMA_SINGLES: [&str; 12] = [
    "additionalProperties",
    "items",
    "additionalItems",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
];
const SCHEMA_LISTS: [&str; 4] = ["prefixItems", "anyOf", "oneOf", "allOf"];

struct Permissive<'a> {
    provider: Provider,
    resolver: Resolver<'a>,
    report: Report,
    depth: usize,
}

impl<'a> Permissive<'a> {
    fn run(schema: &'a Value, provider: Provider) -> Result<Exported, Vec<ExportProblem>> {
        let mut run = Permissive {
            provider,
            resolver: Resolver { root: schema },
            report: Report::default(),
            depth: 0,
        };
        let Some(root) = root_object(schema, &mut run.report) else {
            return Err(run.report.problems);
        };
        let mut root = root.clone();
        if provider.is_openai() {
            // OpenAI has refused parameters carrying a meta-schema URI.
            root.shift_remove("$schema");
        }
        run.inline_root_reference(&mut root);
        let at = Loc::root();
        match read_types(&root, &at, &mut run.report) {
            Types::Absent if !has_any(&root, &["anyOf", "oneOf", "allOf", "enum", "const"]) => {
                let mut typed = Map::new();
                typed.insert("type".to_string(), json!("object"));
                typed.extend(root);
                root = typed;
                run.report.note("type 'object' given to the parameters");
            }
            Types::Declared(types) if types == ["object"] => {}
            Types::Broken => {}
            _ => run.report.problem(
                &at,
                format!(
                    "{} needs the parameters to be an object schema ('type': 'object')",
                    provider.label()
                ),
                "make the tool take named parameters (an object with properties)",
            ),
        }
        let mut schema = Value::Object(root);
        run.check(&mut schema, &at);
        run.report.finish(schema)
    }

    /// Providers want `type: object` on the parameters themselves, not behind a `$ref`.
    fn inline_root_reference(&mut self, root: &mut Map<String, Value>) {
        let Some(reference) = root.get("$ref").and_then(Value::as_str).map(str::to_string) else {
            return;
        };
        let at = Loc::root().keyword("$ref");
        let resolver = self.resolver;
        match resolver.resolve(&reference) {
            Ok(Value::Object(target)) if reference != "#" => {
                root.shift_remove("$ref");
                let mut merged = target.clone();
                for keyword in ["$defs", "definitions", "$schema", "$id"] {
                    merged.shift_remove(keyword);
                }
                for (keyword, value) in std::mem::take(root) {
                    merged.insert(keyword, value);
                }
                *root = merged;
            }
            Ok(_) if reference == "#" => self.report.problem(
                &at,
                "the parameters refer to themselves",
                "describe the parameters as an object schema",
            ),
            Ok(_) => self.report.problem(
                &at,
                format!("the parameters refer to '{reference}', which is not an object schema"),
                "describe the parameters as an object schema",
            ),
            Err(why) => self
                .report
                .problem(&at, why, "point it at a definition in this schema, e.g. '#/$defs/Name'"),
        }
    }

    fn check(&mut self, schema: &mut Value, at: &Loc) {
        let node = match schema {
            Value::Object(node) => node,
            Value::Bool(_) => return,
            other => {
                not_a_schema(&mut self.report, at, other);
                return;
            }
        };
        if self.depth >= MAX_SCHEMA_DEPTH {
            self.report.problem(
                at,
                format!("the schema is nested more than {MAX_SCHEMA_DEPTH} levels deep"),
                "flatten the schema",
            );
            return;
        }
        self.depth += 1;
        self.check_node(node, at);
        self.depth -= 1;
    }

    fn check_node(&mut self, node: &mut Map<String, Value>, at: &Loc) {
        let types = match read_types(node, at, &mut self.report) {
            Types::Declared(types) => types,
            _ => Vec::new(),
        };
        if self.provider.is_openai() && types.iter().any(|t| t == "array") && !node.contains_key("items") {
            node.insert("items".to_string(), json!({}));
            self.report.note(format!(
                "'items' added to {}: OpenAI refuses lists without it; any item is still accepted",
                at.subject()
            ));
        }
        required_names(node, at, &mut self.report);
        if let Some(values) = node.get("enum") {
            if !values.is_array() {
                self.report.problem(
                    &at.keyword("enum"),
                    "'enum' must be a list of values",
                    "list the allowed values",
                );
            }
        }
        for keyword in ["description", "title"] {
            if node.get(keyword).is_some_and(|text| !text.is_string()) {
                self.report.problem(
                    &at.keyword(keyword),
                    format!("'{keyword}' must be text"),
                    format!("write the {keyword} as a string"),
                );
            }
        }
        if let Some(reference) = node.get("$ref") {
            match reference.as_str() {
                Some(reference) => {
                    if let Err(why) = self.resolver.resolve(reference) {
                        self.report.problem(
                            &at.keyword("$ref"),
                            why,
                            "point it at a definition in this schema, e.g. '#/$defs/Name'",
                        );
                    }
                }
                None => self.report.problem(
                    &at.keyword("$ref"),
                    "'$ref' must be a string",
                    "write the reference as text, e.g. \"#/$defs/Name\"",
                ),
            }
        }
        for keyword in SCHEMA_MAPS {
            match node.get_mut(keyword) {
                Some(Value::Object(children)) => {
                    for (name, child) in children.iter_mut() {
                        let child_at = match keyword {
                            "properties" => at.property(name),
                            "$defs" | "definitions" if at.segments.is_empty() => Loc::definition(keyword, name),
                            _ => at.keyword(keyword).keyword(name),
                        };
                        self.check(child, &child_at);
                    }
                }
                Some(_) => self.report.problem(
                    &at.keyword(keyword),
                    format!("'{keyword}' must map names to schemas"),
                    "write it as an object of schemas",
                ),
                None => {}
            }
        }
        for keyword in SCHEMA_SINGLES {
            let child_at = if keyword == "items" {
                at.items(keyword)
            } else {
                at.keyword(keyword)
            };
            match node.get_mut(keyword) {
                Some(Value::Array(members)) if keyword == "items" => {
                    for (index, member) in members.iter_mut().enumerate() {
                        self.check(member, &at.member(keyword, index));
                    }
                }
                Some(child) => self.check(child, &child_at),
                None => {}
            }
        }
        for keyword in SCHEMA_LISTS {
            match node.get_mut(keyword) {
                Some(Value::Array(members)) if !members.is_empty() => {
                    for (index, member) in members.iter_mut().enumerate() {
                        self.check(member, &at.member(keyword, index));
                    }
                }
                Some(_) => self.report.problem(
                    &at.keyword(keyword),
                    format!("'{keyword}' must be a non-empty list of schemas"),
                    "list the schemas",
                ),
                None => {}
            }
        }
    }
}

// ---------------------------------------------------------------------------
// OpenAI strict: the independent check and the size limits
// ---------------------------------------------------------------------------

struct StrictChecker<'a> {
    resolver: Resolver<'a>,
    report: Report,
    depth: usize,
}

impl StrictChecker<'_> {
    fn check_root(&mut self, schema: &Value) {
        let root = Loc::root();
        let Value::Object(node) = schema else {
            self.report.problem(
                &root,
                format!("a strict schema must be a JSON object, not {}", kind_of(schema)),
                "describe the parameters as an object schema",
            );
            return;
        };
        if node.get("type") != Some(&json!("object")) {
            self.report.problem(
                &root,
                "the root of a strict schema must have 'type': 'object'",
                "make the parameters one object",
            );
        }
        if node.contains_key("anyOf") {
            self.report.problem(
                &root,
                "the root of a strict schema must not be anyOf",
                "make the parameters one object and put the union inside a property",
            );
        }
        self.check(schema, &root, true);
        for container in ["$defs", "definitions"] {
            match node.get(container) {
                Some(Value::Object(definitions)) => {
                    for (name, definition) in definitions {
                        self.check(definition, &Loc::definition(container, name), false);
                    }
                }
                Some(_) => self.report.problem(
                    &root.keyword(container),
                    format!("'{container}' must map names to schemas"),
                    "write it as an object of schemas",
                ),
                None => {}
            }
        }
    }

    fn check(&mut self, schema: &Value, at: &Loc, is_root: bool) {
        let Value::Object(node) = schema else {
            self.report.problem(
                at,
                format!("every strict schema must be a JSON object, not {}", kind_of(schema)),
                "replace it with a schema that has a 'type'",
            );
            return;
        };
        if self.depth >= MAX_SCHEMA_DEPTH {
            self.report.problem(
                at,
                format!("the schema is nested more than {MAX_SCHEMA_DEPTH} levels deep"),
                "flatten the schema",
            );
            return;
        }
        self.depth += 1;
        self.check_node(node, at, is_root);
        self.depth -= 1;
    }

    fn check_node(&mut self, node: &Map<String, Value>, at: &Loc, is_root: bool) {
        for keyword in node.keys() {
            let allowed = OPENAI_STRICT_KEYWORDS.contains(&keyword.as_str())
                || (is_root && matches!(keyword.as_str(), "$defs" | "definitions"));
            if !allowed {
                self.report.problem(
                    &at.keyword(keyword),
                    format!("'{keyword}' is not supported in OpenAI strict mode"),
                    "remove it, or move what it says into the description",
                );
            }
        }
        if let Some(reference) = node.get("$ref") {
            self.check_reference(node, reference, at);
            return;
        }
        let types: Vec<String> = match node.get("type") {
            None => Vec::new(),
            Some(Value::String(name)) => vec![name.clone()],
            Some(Value::Array(names)) if !names.is_empty() && names.iter().all(Value::is_string) => {
                names.iter().filter_map(Value::as_str).map(str::to_string).collect()
            }
            Some(_) => {
                self.report.problem(
                    &at.keyword("type"),
                    "'type' must be a type name or a non-empty list of them",
                    "use a JSON Schema type name",
                );
                Vec::new()
            }
        };
        for name in &types {
            if !JSON_TYPES.contains(&name.as_str()) {
                self.report.problem(
                    &at.keyword("type"),
                    format!("'{name}' is not a JSON Schema type"),
                    "use one of string, number, integer, boolean, object, array or null",
                );
            }
        }
        if types.is_empty() && !node.contains_key("anyOf") {
            self.report.problem(
                at,
                "every strict schema needs a 'type' (or 'anyOf' or '$ref')",
                "give it a type",
            );
        }
        if let Some(any_of) = node.get("anyOf") {
            match any_of {
                Value::Array(members) if !members.is_empty() => {
                    for (index, member) in members.iter().enumerate() {
                        self.check(member, &at.member("anyOf", index), false);
                    }
                }
                _ => self.report.problem(
                    &at.keyword("anyOf"),
                    "'anyOf' must be a non-empty list of schemas",
                    "list the alternatives",
                ),
            }
        }
        if types.iter().any(|t| t == "object") {
            self.check_object(node, at);
        }
        if types.iter().any(|t| t == "array") {
            match node.get("items") {
                Some(items @ Value::Object(_)) => self.check(items, &at.items("items"), false),
                _ => self.report.problem(
                    &at.keyword("items"),
                    "every list needs an 'items' schema in OpenAI strict mode",
                    ITEMS_FIX,
                ),
            }
        }
        if let Some(format) = node.get("format") {
            if !format.as_str().is_some_and(|format| OPENAI_FORMATS.contains(&format)) {
                self.report.problem(
                    &at.keyword("format"),
                    format!("format {} is not one OpenAI strict mode supports", show(format)),
                    format!(
                        "use one of {}, or move it into the description",
                        OPENAI_FORMATS.join(", ")
                    ),
                );
            }
        }
        for keyword in [
            "pattern",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
            "minItems",
            "maxItems",
        ] {
            if let Some(value) = node.get(keyword) {
                if !keyword_value_ok(keyword, value) {
                    self.report.problem(
                        &at.keyword(keyword),
                        format!("'{keyword}' has a value of the wrong kind ({})", show(value)),
                        "fix the value",
                    );
                }
            }
        }
        if let Some(values) = node.get("enum") {
            if values.as_array().is_none_or(|values| values.is_empty()) {
                self.report.problem(
                    &at.keyword("enum"),
                    "'enum' must be a non-empty list of values",
                    "list the allowed values",
                );
            }
        }
    }

    fn check_reference(&mut self, node: &Map<String, Value>, reference: &Value, at: &Loc) {
        if node.len() > 1 {
            self.report.problem(
                at,
                "'$ref' must stand alone in OpenAI strict mode (no keywords next to it)",
                "inline the referenced schema, or move the other keywords into the definition",
            );
        }
        let Some(reference) = reference.as_str() else {
            self.report.problem(
                &at.keyword("$ref"),
                "'$ref' must be a string",
                "write the reference as text",
            );
            return;
        };
        if reference != "#" && definition_target(reference).is_none() {
            self.report.problem(
                &at.keyword("$ref"),
                format!("'{reference}' must point at '#' or a definition under $defs in OpenAI strict mode"),
                "move the schema under $defs and refer to it as '#/$defs/Name'",
            );
        } else if let Err(why) = self.resolver.resolve(reference) {
            self.report
                .problem(&at.keyword("$ref"), why, "point it at a definition in this schema");
        }
    }

    fn check_object(&mut self, node: &Map<String, Value>, at: &Loc) {
        if node.get("additionalProperties") != Some(&Value::Bool(false)) {
            self.report.problem(
                &at.keyword("additionalProperties"),
                "'additionalProperties' must be false on every object in OpenAI strict mode",
                "set 'additionalProperties' to false",
            );
        }
        let Some(properties) = node.get("properties").and_then(Value::as_object) else {
            self.report.problem(
                &at.keyword("properties"),
                "every object needs 'properties' in OpenAI strict mode",
                "declare the properties (an empty object for none)",
            );
            return;
        };
        let required: Vec<&str> = node
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let missing: Vec<String> = properties
            .keys()
            .filter(|name| !required.contains(&name.as_str()))
            .cloned()
            .collect();
        if !missing.is_empty() {
            self.report.problem(
                &at.keyword("required"),
                format!(
                    "'required' must list every property in OpenAI strict mode; missing: {}",
                    quoted_list(&missing)
                ),
                "list every property in 'required' and make the optional ones nullable",
            );
        }
        let strays: Vec<String> = required
            .iter()
            .filter(|name| !properties.contains_key(**name))
            .map(|name| name.to_string())
            .collect();
        if !strays.is_empty() {
            self.report.problem(
                &at.keyword("required"),
                format!("'required' names {}, which are not properties", quoted_list(&strays)),
                "remove them from 'required'",
            );
        }
        for (name, property) in properties {
            self.check(property, &at.property(name), false);
        }
    }
}

/// OpenAI strict mode's size limits ("Supported schemas"), measured on `schema`.
fn openai_limit_problems(schema: &Value) -> Vec<ExportProblem> {
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
struct Tally {
    properties: usize,
    enum_values: usize,
    text_chars: usize,
    large_enums: Vec<(Loc, usize, usize)>,
}

impl Tally {
    fn walk(&mut self, schema: &Value, at: &Loc, depth: usize) {
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
fn text_length(value: &Value) -> usize {
    match value {
        Value::String(text) => text.chars().count(),
        Value::Null => 0,
        other => other.to_string().chars().count(),
    }
}

/// How many objects and lists deep the schema goes, the root included, following `$ref`s
/// (a reference back into itself adds nothing: recursion is allowed). Counting lists as
/// levels is the cautious reading of "levels of nesting".
fn nesting_depth(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parameters(schema: &Value, provider: Provider, strict: bool) -> Exported {
        export_parameters(schema, provider, strict)
            .unwrap_or_else(|problems| panic!("refused for {provider} strict={strict}: {problems:#?}"))
    }

    fn problems(schema: &Value, provider: Provider, strict: bool) -> Vec<ExportProblem> {
        match export_parameters(schema, provider, strict) {
            Ok(exported) => panic!("exported for {provider} strict={strict}: {:#}", exported.definition),
            Err(problems) => problems,
        }
    }

    /// What pydantic writes for a search tool with a nested model, an enum, an optional
    /// field, a tuple, a set and a literal.
    fn pydantic_schema() -> Value {
        json!({
            "$defs": {
                "Address": {
                    "properties": {
                        "street": {"title": "Street", "type": "string"},
                        "zip": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Zip"}
                    },
                    "required": ["street"],
                    "title": "Address",
                    "type": "object"
                },
                "Color": {"enum": ["red", "green"], "title": "Color", "type": "string"}
            },
            "properties": {
                "query": {"description": "Search text", "maxLength": 5, "title": "Query", "type": "string"},
                "limit": {"default": 10, "minimum": 1, "title": "Limit", "type": "integer"},
                "home": {"$ref": "#/$defs/Address", "description": "Where to look"},
                "color": {"$ref": "#/$defs/Color"},
                "pair": {"maxItems": 2, "minItems": 2, "prefixItems": [{"type": "integer"}, {"type": "string"}], "type": "array"},
                "tags": {"items": {"type": "string"}, "type": "array", "uniqueItems": true},
                "kind": {"const": "a", "type": "string"},
                "when": {"anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}], "default": null}
            },
            "required": ["query", "home"],
            "title": "search_args",
            "type": "object"
        })
    }

    #[test]
    fn provider_names_round_trip() {
        for provider in Provider::ALL {
            assert_eq!(provider.as_str().parse::<Provider>(), Ok(provider));
            assert_eq!(provider.to_string(), provider.as_str());
        }
        assert_eq!(" Anthropic ".parse::<Provider>(), Ok(Provider::Anthropic));
        let error = "claude".parse::<Provider>().unwrap_err();
        assert!(error.to_string().contains("openai-responses"), "{error}");
    }

    #[test]
    fn tool_limits_are_the_documented_ones() {
        assert_eq!(max_tools(Provider::OpenAI), Some(128));
        assert_eq!(max_tools(Provider::OpenAIResponses), Some(128));
        assert_eq!(max_tools(Provider::Anthropic), None);
        assert_eq!(max_tools(Provider::Gemini), Some(64));
        assert_eq!(max_strict_tools(Provider::Anthropic), Some(20));
        assert_eq!(max_strict_tools(Provider::OpenAI), Some(128));
    }

    #[test]
    fn openai_strict_closes_objects_requires_everything_and_keeps_definitions() {
        let exported = parameters(&pydantic_schema(), Provider::OpenAI, true);
        let out = &exported.definition;
        assert_eq!(check_openai_strict(out), Vec::new());
        assert_eq!(out["additionalProperties"], false);
        assert_eq!(
            out["required"],
            json!(["query", "limit", "home", "color", "pair", "tags", "kind", "when"])
        );
        let properties = &out["properties"];
        assert_eq!(
            properties["query"],
            json!({"type": "string", "title": "Query", "description": "Search text\nConstraints: at most 5 characters."})
        );
        assert_eq!(
            properties["limit"],
            json!({"type": ["integer", "null"], "title": "Limit", "description": "Default: 10.", "minimum": 1})
        );
        // A reference with a description next to it is replaced by the definition.
        assert_eq!(properties["home"]["description"], "Where to look");
        assert_eq!(properties["home"]["required"], json!(["street", "zip"]));
        assert_eq!(
            properties["home"]["properties"]["zip"]["anyOf"],
            json!([{"type": "string"}, {"type": "null"}])
        );
        // A bare reference stays one; optional, so it accepts null as well.
        assert_eq!(
            properties["color"],
            json!({"anyOf": [{"$ref": "#/$defs/Color"}, {"type": "null"}]})
        );
        assert_eq!(
            out["$defs"],
            json!({"Color": {"type": "string", "title": "Color", "enum": ["red", "green"]}})
        );
        // Already nullable: no second null.
        assert_eq!(
            properties["when"],
            json!({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]})
        );
        assert_eq!(
            properties["kind"],
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
        assert_eq!(
            properties["pair"]["anyOf"][0],
            json!({"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "string"}]}, "maxItems": 2, "minItems": 2})
        );
        assert_eq!(
            properties["pair"]["description"],
            "Items in this order: 1) integer, 2) string."
        );
        assert_eq!(properties["tags"]["description"], "Constraints: no duplicate items.");
        for note in [
            "maxLength moved into the description of 'query'",
            "default moved into the description of 'limit'",
            "uniqueItems moved into the description of 'tags'",
            "the tuple 'pair' is sent as a list; the order of its items is in the description",
            "optional property 'zip' of 'home' sent as required and nullable: null stands for 'not given'",
            "unused definitions left out: 'Address'",
        ] {
            assert!(
                exported.notes.contains(&note.to_string()),
                "missing {note:?} in {:#?}",
                exported.notes
            );
        }
    }

    #[test]
    fn openai_strict_keeps_recursion_through_definitions() {
        let schema = json!({
            "$defs": {"Node": {"type": "object", "properties": {
                "value": {"type": "integer"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                "parent": {"$ref": "#/$defs/Node", "description": "one level up"}
            }, "required": ["value", "children", "parent"]}},
            "type": "object",
            "properties": {"tree": {"$ref": "#/$defs/Node"}, "self": {"$ref": "#"}},
            "required": ["tree", "self"]
        });
        let out = parameters(&schema, Provider::OpenAIResponses, true).definition;
        assert_eq!(check_openai_strict(&out), Vec::new());
        assert_eq!(out["properties"]["tree"], json!({"$ref": "#/$defs/Node"}));
        assert_eq!(out["properties"]["self"], json!({"$ref": "#"}));
        let node = &out["$defs"]["Node"];
        assert_eq!(node["properties"]["children"]["items"], json!({"$ref": "#/$defs/Node"}));
        // The description cannot be merged into the definition being expanded: it goes on a
        // one-member union instead.
        assert_eq!(
            node["properties"]["parent"],
            json!({"description": "one level up", "anyOf": [{"$ref": "#/$defs/Node"}]})
        );
    }

    #[test]
    fn recursion_is_refused_where_it_cannot_be_expressed() {
        let schema = json!({
            "$defs": {"Node": {"type": "object", "properties": {"next": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}}}},
            "type": "object",
            "properties": {"list": {"$ref": "#/$defs/Node"}}
        });
        for (provider, strict) in [(Provider::Anthropic, true), (Provider::Gemini, false)] {
            let found = problems(&schema, provider, strict);
            assert_eq!(found.len(), 1, "{found:#?}");
            assert_eq!(found[0].location, "properties.list.properties.next.anyOf.0.$ref");
            assert!(found[0].message.contains("recursive"), "{}", found[0].message);
        }
        parameters(&schema, Provider::Anthropic, false);
        parameters(&schema, Provider::OpenAI, false);
    }

    #[test]
    fn free_form_dicts_are_refused_in_strict_mode_with_their_location() {
        let schema = json!({
            "type": "object",
            "properties": {
                "tags": {"type": "object", "additionalProperties": {"type": "string"}},
                "extra": {"type": "object"},
                "fine": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": true}
            },
            "required": ["tags", "extra", "fine"]
        });
        for provider in [Provider::OpenAI, Provider::Anthropic] {
            let found = problems(&schema, provider, true);
            let locations: Vec<&str> = found.iter().map(|p| p.location.as_str()).collect();
            assert_eq!(
                locations,
                ["properties.tags.additionalProperties", "properties.extra"],
                "{found:#?}"
            );
            assert!(
                found[0]
                    .message
                    .contains("free-form object (a dict with string values)"),
                "{}",
                found[0].message
            );
            assert_eq!(found[0].fix, FREE_FORM_FIX);
        }
        // Without strict mode, and for Gemini, a dict is just an object.
        parameters(&schema, Provider::OpenAI, false);
        let gemini = parameters(&schema, Provider::Gemini, false);
        assert_eq!(
            gemini.definition["properties"]["tags"],
            json!({"type": "object", "description": "Keys are free-form; each value is string."})
        );
        assert!(
            gemini
                .notes
                .iter()
                .any(|note| note.contains("additionalProperties of 'tags' left out")),
            "{:#?}",
            gemini.notes
        );
    }

    #[test]
    fn a_tool_without_parameters_is_fine_everywhere() {
        for schema in [
            json!({}),
            json!({"type": "object"}),
            json!({"type": "object", "properties": {}}),
        ] {
            for provider in Provider::ALL {
                for strict in [false, true] {
                    let out = parameters(&schema, provider, strict).definition;
                    assert_eq!(out["type"], "object", "{schema} {provider} {strict}");
                }
            }
            let strict = parameters(&schema, Provider::OpenAI, true).definition;
            assert_eq!(
                strict,
                json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false})
            );
            let tool = export_tool("ping", "Ping", &schema, Provider::Gemini, false).unwrap();
            assert_eq!(tool.definition, json!({"name": "ping", "description": "Ping"}));
        }
    }

    #[test]
    fn unsupported_composition_is_refused_and_every_problem_is_collected() {
        let schema = json!({
            "type": "object",
            "properties": {
                "a": {"type": "string", "not": {"const": "x"}},
                "b": {"allOf": [{"type": "string"}, {"maxLength": 3}]},
                "c": {"type": "object", "properties": {"x": {"type": "string"}}, "dependentRequired": {"x": ["y"]}},
                "d": {"type": "object", "patternProperties": {"^x": {"type": "string"}}, "properties": {"y": {"type": "string"}}},
                "e": {"if": {"type": "string"}, "then": {"minLength": 1}, "type": "string"},
                "f": {}
            }
        });
        let found = problems(&schema, Provider::OpenAI, true);
        let locations: Vec<&str> = found.iter().map(|p| p.location.as_str()).collect();
        assert_eq!(
            locations,
            [
                "properties.a.not",
                "properties.b.allOf",
                "properties.b",
                "properties.c.dependentRequired",
                "properties.d.patternProperties",
                "properties.e.if",
                "properties.e.then",
                "properties.f"
            ],
            "{found:#?}"
        );
        assert!(
            found[1].message.contains("'allOf' combines 2 schemas"),
            "{}",
            found[1].message
        );
        assert!(
            found[7].message.contains("'f' accepts any JSON value"),
            "{}",
            found[7].message
        );
    }

    #[test]
    fn one_of_becomes_any_of_and_single_all_of_is_folded() {
        let schema = json!({
            "type": "object",
            "properties": {
                "shape": {
                    "oneOf": [
                        {"type": "object", "properties": {"kind": {"const": "circle"}, "r": {"type": "number"}}, "required": ["kind", "r"]},
                        {"type": "object", "properties": {"kind": {"const": "square"}, "side": {"type": "number"}}, "required": ["kind", "side"]}
                    ],
                    "discriminator": {"propertyName": "kind"}
                },
                "owner": {"allOf": [{"$ref": "#/$defs/Person"}], "description": "who"}
            },
            "required": ["shape", "owner"],
            "$defs": {"Person": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}}
        });
        let exported = parameters(&schema, Provider::OpenAI, true);
        let out = &exported.definition;
        assert_eq!(
            out["properties"]["shape"]["anyOf"][0]["properties"]["kind"],
            json!({"type": "string", "const": "circle"})
        );
        assert!(out["properties"]["shape"].get("discriminator").is_none());
        assert_eq!(
            out["properties"]["owner"],
            json!({"type": "object", "description": "who", "properties": {"name": {"type": "string"}}, "required": ["name"], "additionalProperties": false})
        );
        assert!(exported
            .notes
            .contains(&"oneOf of 'shape' exported as anyOf".to_string()));
        assert!(
            exported
                .notes
                .contains(&"type 'string' given to 'shape.kind', as its 'const' implies".to_string()),
            "{:#?}",
            exported.notes
        );
    }

    #[test]
    fn broken_references_and_strange_inputs_are_problems_not_panics() {
        let odd_inputs = [
            json!(null),
            json!(true),
            json!(false),
            json!(7),
            json!("object"),
            json!([{"type": "object"}]),
            json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/Missing"}}}),
            json!({"type": "object", "properties": {"a": {"$ref": "https://example.com/schema.json"}}}),
            json!({"type": "object", "properties": {"a": {"$ref": "#anchor"}}}),
            json!({"type": "object", "properties": {"a": {"$ref": 5}}}),
            json!({"$ref": "#"}),
            json!({"type": "object", "properties": "nope", "required": "a"}),
            json!({"type": "object", "properties": {"a": 3, "b": [], "c": false}}),
            json!({"type": "dict", "properties": {"a": {"type": ["string", 4]}}}),
            json!({"type": "object", "properties": {"a": {"type": "array", "items": [1]}}}),
            json!({"type": "object", "properties": {"a": {"anyOf": []}, "b": {"allOf": "x"}, "c": {"enum": []}}}),
            json!({"type": "string"}),
            json!({"anyOf": [{"type": "object"}, {"type": "null"}]}),
        ];
        for input in &odd_inputs {
            for provider in Provider::ALL {
                for strict in [false, true] {
                    if let Err(found) = export_parameters(input, provider, strict) {
                        assert!(!found.is_empty());
                        for problem in &found {
                            assert!(
                                !problem.location.is_empty() && !problem.message.is_empty() && !problem.fix.is_empty(),
                                "{problem:?}"
                            );
                        }
                    }
                }
            }
            let _ = check_openai_strict(input);
        }
        for provider in Provider::ALL {
            for strict in [false, true] {
                let found = problems(&odd_inputs[6], provider, strict);
                assert_eq!(found[0].location, "properties.a.$ref", "{provider} {strict}");
                assert!(found[0].message.contains("points to nothing"), "{}", found[0].message);
                assert!(export_parameters(&json!(true), provider, strict).is_err());
                assert!(export_parameters(&json!({"type": "string"}), provider, strict).is_err());
            }
        }
    }

    #[test]
    fn cycles_of_references_end() {
        let schema = json!({
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/A"}},
            "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A", "description": "loop"}}
        });
        for provider in Provider::ALL {
            for strict in [false, true] {
                let _ = export_parameters(&schema, provider, strict);
            }
        }
        let found = problems(&schema, Provider::Gemini, false);
        assert!(found[0].message.contains("recursive"), "{found:#?}");
    }

    #[test]
    fn very_deep_schemas_are_refused_without_exhausting_the_stack() {
        // Built by hand: `json!` would serialize the inner value recursively.
        let mut schema = json!({"type": "string"});
        for _ in 0..200 {
            let mut node = Map::new();
            node.insert("type".to_string(), json!("object"));
            node.insert(
                "properties".to_string(),
                Value::Object(Map::from_iter([("x".to_string(), schema)])),
            );
            schema = Value::Object(node);
        }
        for provider in Provider::ALL {
            for strict in [false, true] {
                let found = problems(&schema, provider, strict);
                assert_eq!(found, vec![too_deep()], "{provider} {strict}");
            }
        }
        assert_eq!(check_openai_strict(&schema), vec![too_deep()]);
        // Within the JSON limit but past the schema-walk limit: refused by the walks.
        let mut schema = json!({"type": "string"});
        for _ in 0..100 {
            schema = json!({"type": "array", "items": schema});
        }
        for provider in Provider::ALL {
            for strict in [false, true] {
                let found = problems(&schema, provider, strict);
                assert!(
                    found.iter().any(|p| p.message.contains("nested more than 64 levels")),
                    "{provider} {strict}: {found:#?}"
                );
            }
        }
    }

    #[test]
    fn openai_strict_limits_are_enforced_with_counts() {
        let wide: Map<String, Value> = (0..5_001)
            .map(|i| (format!("p{i}"), json!({"type": "boolean"})))
            .collect();
        let found = problems(&json!({"type": "object", "properties": wide}), Provider::OpenAI, true);
        assert!(
            found
                .iter()
                .any(|p| p.message.contains("5,001 object properties") && p.message.contains("at most 5,000")),
            "{found:#?}"
        );

        let mut deep = json!({"type": "string"});
        for _ in 0..11 {
            deep = json!({"type": "object", "properties": {"x": deep}, "required": ["x"]});
        }
        let found = problems(&deep, Provider::OpenAI, true);
        assert!(found.iter().any(|p| p.message.contains("11 levels deep")), "{found:#?}");

        let values: Vec<String> = (0..1_001).map(|i| format!("v{i}")).collect();
        let found = problems(
            &json!({"type": "object", "properties": {"e": {"type": "string", "enum": values}}, "required": ["e"]}),
            Provider::OpenAI,
            true,
        );
        assert!(
            found.iter().any(|p| p.message.contains("1,001 enum values")),
            "{found:#?}"
        );

        let long: Vec<String> = (0..300).map(|i| format!("{i:0>60}")).collect();
        let found = problems(
            &json!({"type": "object", "properties": {"e": {"type": "string", "enum": long}}}),
            Provider::OpenAI,
            true,
        );
        assert!(
            found.iter().any(|p| p.location == "properties.e.enum"
                && p.message.contains("300 string values totalling 18,000 characters")),
            "{found:#?}"
        );

        let names: Map<String, Value> = (0..200)
            .map(|i| (format!("{i:0>700}"), json!({"type": "boolean"})))
            .collect();
        let found = problems(&json!({"type": "object", "properties": names}), Provider::OpenAI, true);
        assert!(
            found.iter().any(|p| p.message.contains("add up to 140,000 characters")),
            "{found:#?}"
        );
    }

    #[test]
    fn the_strict_checker_names_each_broken_rule() {
        let schema = json!({
            "type": "object",
            "properties": {
                "a": {"type": "object", "properties": {"x": {"type": "string"}}},
                "b": {"$ref": "#/$defs/B", "description": "next to a ref"},
                "c": {"type": "string", "minLength": 2, "format": "uri"},
                "d": {"type": "array"},
                "e": {"description": "no type"}
            },
            "required": ["a", "b"],
            "additionalProperties": false,
            "$defs": {"B": {"type": "string"}}
        });
        let found = check_openai_strict(&schema);
        let summary: Vec<String> = found
            .iter()
            .map(|p| format!("{} | {}", p.location, p.message))
            .collect();
        for expected in [
            "required | 'required' must list every property in OpenAI strict mode; missing: 'c', 'd', 'e'",
            "properties.a.additionalProperties | 'additionalProperties' must be false on every object in OpenAI strict mode",
            "properties.a.required | 'required' must list every property in OpenAI strict mode; missing: 'x'",
            "properties.b | '$ref' must stand alone in OpenAI strict mode (no keywords next to it)",
            "properties.c.minLength | 'minLength' is not supported in OpenAI strict mode",
            "properties.c.format | format \"uri\" is not one OpenAI strict mode supports",
            "properties.d.items | every list needs an 'items' schema in OpenAI strict mode",
            "properties.e | every strict schema needs a 'type' (or 'anyOf' or '$ref')",
        ] {
            assert!(summary.iter().any(|line| line == expected), "missing {expected:?} in {summary:#?}");
        }
        assert_eq!(found.len(), 8, "{summary:#?}");
        let root_union = check_openai_strict(
            &json!({"anyOf": [{"type": "object", "properties": {}, "required": [], "additionalProperties": false}]}),
        );
        assert!(root_union.iter().any(|p| p.message.contains("must not be anyOf")));
    }

    #[test]
    fn openai_without_strict_changes_only_what_openai_refuses() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "ids": {"type": "array"},
                "maybe": {"type": ["array", "null"], "items": {"type": "integer"}},
                "name": {"type": "string", "maxLength": 3, "default": "x"},
                "d": {"type": "object", "additionalProperties": {"type": "integer"}}
            },
            "required": ["ids"]
        });
        let exported = parameters(&schema, Provider::OpenAI, false);
        let mut expected = schema.clone();
        expected.as_object_mut().unwrap().shift_remove("$schema");
        expected["properties"]["ids"]["items"] = json!({});
        assert_eq!(exported.definition, expected);
        assert_eq!(
            exported.notes,
            vec!["'items' added to 'ids': OpenAI refuses lists without it; any item is still accepted"]
        );
        // Anthropic takes the schema as it is.
        assert_eq!(parameters(&schema, Provider::Anthropic, false).definition, schema);
    }

    #[test]
    fn loose_type_names_are_refused_until_normalized() {
        let schema = json!({"type": "dict", "properties": {"x": {"type": "float"}}});
        for provider in Provider::ALL {
            for strict in [false, true] {
                let found = problems(&schema, provider, strict);
                assert!(
                    found.iter().any(
                        |p| p.location == "properties.x.type" && p.message == "\"float\" is not a JSON Schema type"
                    ),
                    "{provider} {strict}: {found:#?}"
                );
            }
        }
        let (normalized, _) = crate::schema::normalize::normalize_dialect(&schema);
        for provider in Provider::ALL {
            parameters(&normalized, provider, true);
        }
    }

    #[test]
    fn anthropic_strict_keeps_optional_properties_and_describes_bounds() {
        let schema = json!({
            "type": "object",
            "properties": {
                "city": {"type": "string", "pattern": "^[A-Z]"},
                "days": {"type": "integer", "minimum": 1, "maximum": 14, "default": 3},
                "units": {"enum": ["c", "f"], "type": "string"},
                "stops": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 5},
                "site": {"type": "string", "format": "uri"}
            },
            "required": ["city"]
        });
        let exported = parameters(&schema, Provider::Anthropic, true);
        let out = &exported.definition;
        assert_eq!(out["required"], json!(["city"]));
        assert_eq!(out["additionalProperties"], false);
        assert_eq!(
            out["properties"]["city"],
            json!({"type": "string", "description": "Constraints: matches the regular expression ^[A-Z]."})
        );
        assert_eq!(
            out["properties"]["days"],
            json!({"type": "integer", "description": "Constraints: at least 1; at most 14.\nDefault: 3."})
        );
        assert_eq!(out["properties"]["stops"]["minItems"], 1);
        assert_eq!(
            out["properties"]["stops"]["description"],
            "Constraints: at most 5 items."
        );
        assert_eq!(out["properties"]["site"], json!({"type": "string", "format": "uri"}));
        let tool = export_tool("forecast", "Weather", &schema, Provider::Anthropic, true).unwrap();
        assert_eq!(tool.definition["strict"], true);
        assert_eq!(tool.definition["input_schema"], *out);
    }

    #[test]
    fn anthropic_strict_budget_counts_optional_properties_and_unions() {
        let optional: Map<String, Value> = (0..25).map(|i| (format!("o{i}"), json!({"type": "string"}))).collect();
        let found = problems(
            &json!({"type": "object", "properties": optional}),
            Provider::Anthropic,
            true,
        );
        assert!(found[0].message.contains("25 optional properties"), "{found:#?}");
        let unions: Map<String, Value> = (0..17)
            .map(|i| (format!("u{i}"), json!({"type": ["string", "integer"]})))
            .collect();
        let names: Vec<String> = unions.keys().cloned().collect();
        let found = problems(
            &json!({"type": "object", "properties": unions, "required": names}),
            Provider::Anthropic,
            true,
        );
        assert!(found[0].message.contains("17 parameters use anyOf"), "{found:#?}");
    }

    #[test]
    fn gemini_keeps_only_the_formats_it_documents() {
        let schema = json!({
            "type": "object",
            "properties": {
                "site": {"type": "string", "format": "uri"},
                "at": {"type": "string", "format": "date-time"},
                "count": {"type": "integer", "format": "int64"},
                "mail": {"type": "string", "format": "email"}
            },
            "required": ["site", "at", "count", "mail"]
        });
        let exported = parameters(&schema, Provider::Gemini, false);
        let p = &exported.definition["properties"];
        assert_eq!(
            p["site"],
            json!({"type": "string", "description": "Constraints: in uri format."})
        );
        assert_eq!(p["at"], json!({"type": "string", "format": "date-time"}));
        assert_eq!(p["count"], json!({"type": "integer", "format": "int64"}));
        assert_eq!(
            p["mail"],
            json!({"type": "string", "description": "Constraints: in email format."})
        );
    }

    #[test]
    fn gemini_gets_its_openapi_subset() {
        let schema = json!({
            "type": "object",
            "properties": {
                "zip": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "description": "Postal code"},
                "level": {"type": "integer", "enum": [1, 2, 3]},
                "mode": {"const": "fast"},
                "ratio": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
                "mixed": {"type": ["integer", "string", "null"], "minimum": 0, "maxLength": 3},
                "home": {"$ref": "#/$defs/Address"},
                "pair": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}], "minItems": 2, "maxItems": 2}
            },
            "required": ["level"],
            "$defs": {"Address": {"type": "object", "properties": {"street": {"type": "string"}}, "required": ["street"], "additionalProperties": false}}
        });
        let exported = parameters(&schema, Provider::Gemini, false);
        let p = &exported.definition["properties"];
        assert_eq!(
            p["zip"],
            json!({"type": "string", "description": "Postal code", "default": null, "nullable": true})
        );
        assert_eq!(
            p["level"],
            json!({"type": "integer", "description": "Constraints: one of 1, 2, 3."})
        );
        assert_eq!(p["mode"], json!({"type": "string", "enum": ["fast"]}));
        assert_eq!(
            p["ratio"],
            json!({"type": "number", "description": "Constraints: greater than 0; a multiple of 0.5."})
        );
        assert_eq!(
            p["mixed"],
            json!({"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "maxLength": 3}], "nullable": true})
        );
        assert_eq!(
            p["home"],
            json!({"type": "object", "properties": {"street": {"type": "string"}}, "required": ["street"]})
        );
        assert_eq!(
            p["pair"],
            json!({"type": "array", "description": "Items in this order: 1) number, 2) number.", "items": {"type": "number"}, "minItems": 2, "maxItems": 2})
        );
        assert!(exported.definition.get("$defs").is_none());
        assert!(
            exported
                .notes
                .contains(&"enum moved into the description of 'level'".to_string()),
            "{:#?}",
            exported.notes
        );
        assert!(exported
            .notes
            .contains(&"'mixed' accepts integer or string; sent to Gemini as anyOf".to_string()));
        assert_eq!(parameters(&schema, Provider::Gemini, true), exported);
    }

    #[test]
    fn tool_envelopes_match_each_request_format() {
        let schema = json!({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]});
        let strict_parameters = json!({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"], "additionalProperties": false});
        let tool = |provider, strict| {
            export_tool("find", "Find things", &schema, provider, strict)
                .unwrap()
                .definition
        };
        assert_eq!(
            tool(Provider::OpenAI, true),
            json!({"type": "function", "function": {"name": "find", "description": "Find things", "parameters": strict_parameters, "strict": true}})
        );
        assert_eq!(
            tool(Provider::OpenAI, false),
            json!({"type": "function", "function": {"name": "find", "description": "Find things", "parameters": schema}})
        );
        assert_eq!(
            tool(Provider::OpenAIResponses, false),
            json!({"type": "function", "name": "find", "description": "Find things", "parameters": schema, "strict": false})
        );
        assert_eq!(
            tool(Provider::OpenAIResponses, true),
            json!({"type": "function", "name": "find", "description": "Find things", "parameters": strict_parameters, "strict": true})
        );
        assert_eq!(
            tool(Provider::Anthropic, false),
            json!({"name": "find", "description": "Find things", "input_schema": schema})
        );
        assert_eq!(
            tool(Provider::Anthropic, true),
            json!({"name": "find", "description": "Find things", "input_schema": strict_parameters, "strict": true})
        );
        assert_eq!(
            tool(Provider::Gemini, false),
            json!({"name": "find", "description": "Find things", "parameters": schema})
        );
    }

    #[test]
    fn export_tool_reports_name_description_and_schema_problems_together() {
        let schema = json!({"type": "object", "properties": {"d": {"type": "object"}}});
        let found = export_tool("math.factorial", &"x".repeat(1_100), &schema, Provider::OpenAI, true).unwrap_err();
        let locations: Vec<&str> = found.iter().map(|p| p.location.as_str()).collect();
        assert_eq!(locations, ["name", "description", "properties.d"], "{found:#?}");
        assert_eq!(found[0].fix, "rename the tool, e.g. to 'math_factorial'");
        assert!(found[1].message.contains("1,100 characters"), "{}", found[1].message);
        // Gemini takes both the dotted name and the long description.
        assert!(export_tool("math.factorial", &"x".repeat(1_100), &schema, Provider::Gemini, false).is_ok());
    }

    #[test]
    fn root_shapes_other_than_one_object_are_refused() {
        let union = json!({"anyOf": [{"type": "object", "properties": {"a": {"type": "string"}}}, {"type": "object", "properties": {"b": {"type": "string"}}}]});
        for (provider, strict) in [
            (Provider::OpenAI, true),
            (Provider::Anthropic, true),
            (Provider::Gemini, false),
        ] {
            let found = problems(&union, provider, strict);
            assert!(
                found
                    .iter()
                    .any(|p| p.location == "(root)" && p.message.contains("union")),
                "{provider}: {found:#?}"
            );
        }
        let nullable_root = json!({"type": ["object", "null"], "properties": {"a": {"type": "string"}}});
        let found = problems(&nullable_root, Provider::OpenAI, true);
        assert!(
            found[0]
                .message
                .contains("must be an object schema, not object or null"),
            "{found:#?}"
        );
        // A root behind a reference is inlined.
        let behind = json!({"$ref": "#/$defs/Args", "$defs": {"Args": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}}});
        for provider in Provider::ALL {
            for strict in [false, true] {
                let out = parameters(&behind, provider, strict).definition;
                assert_eq!(out["type"], "object", "{provider} {strict}");
                assert_eq!(out["properties"]["a"]["type"], "string", "{provider} {strict}");
            }
        }
    }

    #[test]
    fn keywords_that_do_not_apply_to_the_type_are_dropped_silently() {
        let schema = json!({"type": "object", "properties": {"n": {"type": "integer", "maxLength": 4, "items": {"type": "string"}}}, "required": ["n"]});
        let exported = parameters(&schema, Provider::OpenAI, true);
        assert_eq!(exported.definition["properties"]["n"], json!({"type": "integer"}));
        assert!(exported.notes.is_empty(), "{:#?}", exported.notes);
    }

    #[test]
    fn unknown_keywords_are_dropped_with_a_note() {
        let schema =
            json!({"type": "object", "properties": {"n": {"type": "integer", "x-unit": "kg"}}, "required": ["n"]});
        for (provider, strict) in [
            (Provider::OpenAI, true),
            (Provider::Anthropic, true),
            (Provider::Gemini, false),
        ] {
            let exported = parameters(&schema, provider, strict);
            assert_eq!(exported.definition["properties"]["n"], json!({"type": "integer"}));
            assert_eq!(exported.notes, vec!["unknown keyword 'x-unit' dropped from 'n'"]);
        }
    }

    fn draw(seed: &mut u64, bound: u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed % bound
    }

    /// Schema-shaped noise: JSON Schema keywords with values of every kind, nested a few
    /// levels, from a fixed seed.
    fn noise(seed: &mut u64, depth: usize) -> Value {
        const KEYWORDS: [&str; 30] = [
            "type",
            "properties",
            "required",
            "items",
            "prefixItems",
            "anyOf",
            "oneOf",
            "allOf",
            "$ref",
            "$defs",
            "enum",
            "const",
            "additionalProperties",
            "default",
            "description",
            "minimum",
            "maxLength",
            "format",
            "pattern",
            "not",
            "title",
            "nullable",
            "minItems",
            "uniqueItems",
            "examples",
            "if",
            "definitions",
            "patternProperties",
            "x",
            "optional",
        ];
        const TEXTS: [&str; 12] = [
            "object",
            "string",
            "array",
            "null",
            "integer",
            "dict",
            "#",
            "#/$defs/a",
            "#/$defs/b",
            "#/properties/a",
            "a",
            "",
        ];
        let choice = if depth >= 4 { draw(seed, 5) } else { draw(seed, 9) };
        match choice {
            0 => Value::Null,
            1 => json!(draw(seed, 3) == 0),
            2 => json!(draw(seed, 20) as i64 - 5),
            3 | 4 => json!(TEXTS[draw(seed, TEXTS.len() as u64) as usize]),
            5 | 6 => {
                let count = draw(seed, 4);
                (0..count).map(|_| noise(seed, depth + 1)).collect()
            }
            _ => {
                let count = draw(seed, 5);
                let mut node = Map::new();
                for _ in 0..count {
                    let keyword = KEYWORDS[draw(seed, KEYWORDS.len() as u64) as usize];
                    let value = if matches!(keyword, "properties" | "$defs" | "definitions" | "patternProperties") {
                        let mut children = Map::new();
                        for name in ["a", "b"].iter().take(draw(seed, 3) as usize) {
                            children.insert(name.to_string(), noise(seed, depth + 1));
                        }
                        Value::Object(children)
                    } else {
                        noise(seed, depth + 1)
                    };
                    node.insert(keyword.to_string(), value);
                }
                Value::Object(node)
            }
        }
    }

    #[test]
    fn arbitrary_schema_shaped_input_never_panics() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for round in 0..3_000 {
            let schema = if round % 2 == 0 {
                noise(&mut seed, 0)
            } else {
                let a = noise(&mut seed, 1);
                let b = noise(&mut seed, 1);
                json!({"type": "object", "properties": {"a": a, "b": b}, "$defs": {"a": {"type": "string"}}})
            };
            let (normalized, _) = crate::schema::normalize::normalize_dialect(&schema);
            for candidate in [&schema, &normalized] {
                for provider in Provider::ALL {
                    for strict in [false, true] {
                        match export_tool("t", "", candidate, provider, strict) {
                            Ok(exported) if provider.is_openai() && strict => {
                                let parameters = &exported.definition["function"]["parameters"];
                                let parameters = if parameters.is_null() {
                                    &exported.definition["parameters"]
                                } else {
                                    parameters
                                };
                                assert_eq!(check_openai_strict(parameters), Vec::new(), "{candidate}");
                            }
                            Ok(_) => {}
                            Err(found) => assert!(!found.is_empty()),
                        }
                    }
                }
                let _ = check_openai_strict(candidate);
            }
        }
    }

    #[test]
    fn problem_display_reads_as_one_line() {
        let problem = ExportProblem {
            location: "properties.tags".to_string(),
            message: "'tags' is a free-form object".to_string(),
            fix: "declare the keys".to_string(),
        };
        assert_eq!(
            problem.to_string(),
            "properties.tags: 'tags' is a free-form object (fix: declare the keys)"
        );
    }
}
