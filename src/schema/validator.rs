//! A JSON Schema compiled once into a validator, shared read-only across threads.
//!
//! References resolve inside the schema and against documents handed in at compile time; nothing
//! is ever fetched over the network.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Retrieve, Uri, ValidationError, Validator};
use serde_json::Value;

use crate::args::errors::ArgError;
use crate::json_path::JsonPath;

#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    /// The draft to read the schema as when it has no `$schema`; 2020-12 otherwise.
    pub draft: Option<Draft>,
    /// Documents a `$ref` may point to, by URI (without fragment).
    pub documents: HashMap<String, Value>,
    /// Check `format` as an assertion (it is an annotation by default in 2019-09 and later).
    pub validate_formats: Option<bool>,
}

/// The schema itself is unusable: it does not compile, or it points at a document not given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaError {
    pub location: String,
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{} (at {})", self.message, self.location)
        }
    }
}

impl std::error::Error for SchemaError {}

/// Serves `$ref` targets from documents supplied up front.
struct LocalDocuments(Arc<HashMap<String, Value>>);

impl Retrieve for LocalDocuments {
    fn retrieve(&self, uri: &Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let full = uri.as_str();
        let without_fragment = full.split('#').next().unwrap_or(full);
        self.0
            .get(without_fragment)
            .or_else(|| self.0.get(full))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "the schema refers to {without_fragment}, which was not supplied; \
                     toolproof never fetches schemas over the network"
                )
                .into()
            })
    }
}

pub struct CompiledSchema {
    validator: Validator,
    source: Value,
}

impl fmt::Debug for CompiledSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledSchema").field("source", &self.source).finish()
    }
}

impl CompiledSchema {
    pub fn compile(schema: &Value, options: &CompileOptions) -> Result<Self, SchemaError> {
        let mut builder = jsonschema::options()
            .with_retriever(LocalDocuments(Arc::new(options.documents.clone())))
            .with_pattern_options(jsonschema::PatternOptions::fancy_regex().backtrack_limit(100_000));
        if let Some(draft) = options.draft {
            if schema.get("$schema").is_none() {
                builder = builder.with_draft(draft);
            }
        }
        if let Some(formats) = options.validate_formats {
            builder = builder.should_validate_formats(formats);
        }
        let validator = builder.build(schema).map_err(|error| SchemaError {
            location: error.schema_path().to_string(),
            message: error.to_string(),
        })?;
        Ok(CompiledSchema {
            validator,
            source: schema.clone(),
        })
    }

    pub fn source(&self) -> &Value {
        &self.source
    }

    #[inline]
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.validator.is_valid(instance)
    }

    /// Every error, each with the path of the offending value and a message a model can act on.
    pub fn errors(&self, instance: &Value) -> Vec<ArgError> {
        let mut errors: Vec<ArgError> = self
            .validator
            .iter_errors(instance)
            .fold(Vec::new(), |mut errors, error| {
                describe(&error, instance, &mut errors);
                errors
            });
        errors.dedup();
        errors
    }
}

/// Short text for a value inside a message: `"ten"`, `12`, `an object`.
pub fn preview(value: &Value) -> String {
    const LIMIT: usize = 40;
    match value {
        Value::Object(map) if map.is_empty() => "an empty object".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        Value::Array(items) if items.is_empty() => "an empty array".to_owned(),
        Value::Array(items) => format!("an array of {} items", items.len()),
        Value::String(text) => {
            let (shown, cut) = match text.char_indices().nth(LIMIT) {
                Some((end, _)) => (&text[..end], true),
                None => (text.as_str(), false),
            };
            // Quoted and escaped as JSON writes a string (which cannot fail for a `str`).
            let quoted = serde_json::to_string(shown).unwrap_or_default();
            let mut preview = String::with_capacity(quoted.len() + 10);
            preview.push_str("string ");
            preview.push_str(&quoted);
            if cut {
                preview.insert_str(preview.len() - 1, "...");
            }
            preview
        }
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Null => "null".to_owned(),
    }
}

/// `preview`, made only when a message shows it.
struct Preview<'a>(&'a Value);

impl fmt::Display for Preview<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&preview(self.0))
    }
}

fn list_values(values: &Value) -> String {
    const SHOWN: usize = 12;
    match values {
        Value::Array(items) => {
            let mut shown: Vec<String> = items.iter().take(SHOWN).map(Value::to_string).collect();
            if items.len() > SHOWN {
                shown.push(format!("... ({} in all)", items.len()));
            }
            shown.join(", ")
        }
        other => other.to_string(),
    }
}

fn describe(error: &ValidationError<'_>, root: &Value, into: &mut Vec<ArgError>) {
    let mut path = JsonPath::from_pointer_in(error.instance_path().as_str(), root);
    // Shown only by the messages that quote the value.
    let got = Preview(error.instance());
    let kind = error.kind();
    let message = match kind {
        ValidationErrorKind::Required { property } => {
            match property.as_str() {
                Some(name) => path.push_key(name),
                None => path.push_key(&property.to_string()),
            }
            into.push(ArgError::new(path, "required", "required, but missing"));
            return;
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let keyword = kind.keyword().to_owned();
            into.extend(unexpected.iter().map(|name| {
                let mut at = path.clone();
                at.push_key(name);
                ArgError::new(at, keyword.clone(), "not an accepted argument here")
            }));
            return;
        }
        ValidationErrorKind::Type { kind: expected } => {
            let expected = match expected {
                jsonschema::error::TypeKind::Single(single) => single.to_string(),
                jsonschema::error::TypeKind::Multiple(many) => {
                    many.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" or ")
                }
            };
            format!("expected {expected}, got {got}")
        }
        ValidationErrorKind::Enum { options } => format!("must be one of {}; got {got}", list_values(options)),
        ValidationErrorKind::Constant { expected_value } => format!("must be {expected_value}; got {got}"),
        ValidationErrorKind::Minimum { limit } => format!("must be at least {limit}; got {got}"),
        ValidationErrorKind::Maximum { limit } => format!("must be at most {limit}; got {got}"),
        ValidationErrorKind::ExclusiveMinimum { limit } => format!("must be greater than {limit}; got {got}"),
        ValidationErrorKind::ExclusiveMaximum { limit } => format!("must be less than {limit}; got {got}"),
        ValidationErrorKind::MultipleOf { multiple_of } => {
            format!("must be a multiple of {multiple_of}; got {got}")
        }
        ValidationErrorKind::MinLength { limit } => {
            format!("must be at least {limit} characters long; got {got}")
        }
        ValidationErrorKind::MaxLength { limit } => {
            format!("must be at most {limit} characters long; got {got}")
        }
        ValidationErrorKind::Pattern { pattern } => format!("must match the pattern {pattern}; got {got}"),
        ValidationErrorKind::Format { format } => format!("must be a valid {format}; got {got}"),
        ValidationErrorKind::MinItems { limit } => format!("must have at least {limit} items; got {got}"),
        ValidationErrorKind::MaxItems { limit } => format!("must have at most {limit} items; got {got}"),
        ValidationErrorKind::UniqueItems => "items must be unique".to_owned(),
        ValidationErrorKind::MinProperties { limit } => format!("must have at least {limit} keys"),
        ValidationErrorKind::MaxProperties { limit } => format!("must have at most {limit} keys"),
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            format!("{got} matches none of the {} allowed forms", context.len().max(2))
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            format!("{got} matches more than one of the allowed forms")
        }
        ValidationErrorKind::FalseSchema => "no value is allowed here".to_owned(),
        _ => error.to_string(),
    };
    into.push(ArgError::new(path, kind.keyword().to_owned(), message));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn compiled(schema: Value) -> CompiledSchema {
        CompiledSchema::compile(&schema, &CompileOptions::default()).unwrap()
    }

    #[test]
    fn collects_every_error_with_its_path() {
        let schema = compiled(json!({
            "type": "object",
            "properties": {
                "amount": {"type": "number"},
                "items": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}}}}
            },
            "required": ["amount", "claim_id"],
            "additionalProperties": false
        }));
        let errors = schema.errors(&json!({"amount": "ten", "items": [{"n": 1}, {"n": "x"}], "extra": 1}));
        let lines: Vec<String> = errors.iter().map(ArgError::line).collect();
        assert!(
            lines.contains(&"amount: expected number, got string \"ten\"".to_owned()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"claim_id: required, but missing".to_owned()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"items[1].n: expected integer, got string \"x\"".to_owned()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"extra: not an accepted argument here".to_owned()),
            "{lines:?}"
        );
        assert_eq!(errors.len(), 4);
    }

    #[test]
    fn refuses_to_fetch_remote_documents() {
        let error = CompiledSchema::compile(
            &json!({"$ref": "http://example.com/schema.json"}),
            &CompileOptions::default(),
        )
        .unwrap_err();
        assert!(error.message.contains("never fetches"), "{error}");
    }

    #[test]
    fn serves_supplied_documents() {
        let mut options = CompileOptions::default();
        options
            .documents
            .insert("http://localhost:1234/integer.json".into(), json!({"type": "integer"}));
        let schema = CompiledSchema::compile(&json!({"$ref": "http://localhost:1234/integer.json"}), &options).unwrap();
        assert!(schema.is_valid(&json!(3)));
        assert!(!schema.is_valid(&json!("3")));
    }

    #[test]
    fn previews_are_short() {
        let long = "x".repeat(100);
        assert_eq!(preview(&json!(long)).len(), "string \"\"...".len() + 40);
        assert_eq!(preview(&json!([1, 2])), "an array of 2 items");
    }
}
