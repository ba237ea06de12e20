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

use super::graph::{
    Items, Keyword, Keywords, NodeId, Reference, SchemaGraph, Subschemas, MAX_SCHEMA_DEPTH, SCHEMA_LISTS, SCHEMA_MAPS,
    SCHEMA_SINGLES,
};
use super::names::check_tool_name;
use super::refs::percent_decode;

mod facts;
mod gemini;
mod limits;
mod lowering;
mod permissive;
mod reading;
mod report;
mod strict_check;
mod strict_lowering;
#[cfg(test)]
mod tests;

use facts::*;
pub(crate) use facts::{nested_deeper_than, MAX_JSON_NESTING};
use limits::*;
use lowering::*;
use permissive::*;
use reading::*;
use report::*;
use strict_check::*;

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
    let graph = SchemaGraph::compile(schema);
    let mut checker = StrictChecker {
        graph: &graph,
        report: Report::default(),
        depth: 0,
    };
    checker.check_root();
    let mut problems = checker.report.problems;
    problems.extend(openai_limit_problems(&graph));
    problems
}
