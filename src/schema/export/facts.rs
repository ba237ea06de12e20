//! Provider facts: each provider's limits, formats and keywords, and the limits every export keeps.

use super::*;

pub(super) const OPENAI_MAX_DESCRIPTION_CHARS: usize = 1024;
pub(super) const OPENAI_MAX_PROPERTIES: usize = 5_000;
pub(super) const OPENAI_MAX_NESTING: usize = 10;
pub(super) const OPENAI_MAX_ENUM_VALUES: usize = 1_000;
pub(super) const OPENAI_MAX_TEXT_CHARS: usize = 120_000;
pub(super) const OPENAI_LARGE_ENUM_VALUES: usize = 250;
pub(super) const OPENAI_MAX_LARGE_ENUM_CHARS: usize = 15_000;
/// String formats OpenAI strict mode accepts ("Supported schemas").
pub(super) const OPENAI_FORMATS: [&str; 9] = [
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
pub(super) const OPENAI_STRICT_KEYWORDS: [&str; 20] = [
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
pub(super) const GEMINI_FORMATS: [&str; 6] = ["float", "double", "int32", "int64", "enum", "date-time"];

pub(super) const ANTHROPIC_MAX_STRICT_TOOLS: usize = 20;
pub(super) const ANTHROPIC_MAX_OPTIONAL: usize = 24;
pub(super) const ANTHROPIC_MAX_UNIONS: usize = 16;
/// String formats Anthropic strict tool use accepts (the SDK's `SupportedStringFormats`).
pub(super) const ANTHROPIC_FORMATS: [&str; 10] = [
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

pub(super) const JSON_TYPES: [&str; 7] = ["string", "number", "integer", "boolean", "object", "array", "null"];

/// Keywords that say nothing a tool call needs; dropped without a note.
pub(super) const SILENT_KEYWORDS: [&str; 12] = [
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
pub(super) const INEXPRESSIBLE_KEYWORDS: [&str; 12] = [
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
pub(super) const MAX_EXPANSIONS: usize = 10_000;

pub(super) const ANY_VALUE_FIX: &str =
    "give it a type (for example str, int or a model), or a union of the types it accepts";
pub(super) const FREE_FORM_FIX: &str =
    "declare the keys as properties, use a list of {key, value} objects, or export with strict=False";
pub(super) const ITEMS_FIX: &str = "declare the element type (for example list[str])";

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

pub(super) fn too_deep() -> ExportProblem {
    ExportProblem {
        location: "(root)".to_string(),
        message: format!("the schema is nested more than {MAX_JSON_NESTING} levels deep"),
        fix: "flatten the schema".to_string(),
    }
}
