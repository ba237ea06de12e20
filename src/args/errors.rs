//! Why arguments were refused, collected in full, each with its path.
//!
//! Two readers: a program (`kind`, `path`) and a model, which gets `for_model()`: what is wrong,
//! where, and the shape that was expected, in a few lines and never a traceback.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::json_path::JsonPath;
use crate::limits::LimitExceeded;

/// One reason the arguments were refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgError {
    pub path: JsonPath,
    /// `invalid_json`, `too_large`, `too_deep`, `string_too_long`, `not_an_object`, `unknown_key`,
    /// `ambiguous_key`, or the JSON Schema keyword that failed (`required`, `type`, `enum` ...).
    pub kind: Cow<'static, str>,
    pub message: String,
}

impl ArgError {
    pub fn new(path: JsonPath, kind: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        ArgError {
            path,
            kind: kind.into(),
            message: message.into(),
        }
    }

    /// `amount: expected number, got string "ten"`; the root shows as `arguments`.
    pub fn line(&self) -> String {
        let mut line = String::with_capacity(self.message.len() + 16);
        self.write_line(&mut line);
        line
    }

    /// `line`, written at the end of `text`.
    pub fn write_line(&self, text: &mut String) {
        if self.path.is_root() {
            text.push_str("arguments");
        } else {
            let _ = write!(text, "{}", self.path);
        }
        text.push_str(": ");
        text.push_str(&self.message);
    }
}

impl From<LimitExceeded> for ArgError {
    fn from(exceeded: LimitExceeded) -> Self {
        match exceeded {
            LimitExceeded::TooLarge { size, limit } => ArgError::new(
                JsonPath::root(),
                "too_large",
                format!("the argument text is {size} bytes, more than the limit of {limit}"),
            ),
            LimitExceeded::TooDeep { path, limit } => {
                ArgError::new(path, "too_deep", format!("nested more than {limit} levels deep"))
            }
            LimitExceeded::StringTooLong { path, length, limit } => ArgError::new(
                path,
                "string_too_long",
                format!("a string of {length} bytes is longer than the limit of {limit}"),
            ),
        }
    }
}

impl Serialize for ArgError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut record = serializer.serialize_struct("ArgError", 3)?;
        record.serialize_field("path", &self.path.to_string())?;
        record.serialize_field("kind", &self.kind)?;
        record.serialize_field("message", &self.message)?;
        record.end()
    }
}

/// Everything wrong with one argument document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgumentErrors {
    pub errors: Vec<ArgError>,
    /// The expected shape in one line (`{"city": string, "days"?: integer}`), when a schema is known.
    pub expected: Option<String>,
}

/// How many errors a model is shown; the rest are counted, not listed.
const ERRORS_SHOWN_TO_MODEL: usize = 8;

impl ArgumentErrors {
    pub fn single(error: ArgError) -> Self {
        ArgumentErrors {
            errors: vec![error],
            expected: None,
        }
    }

    pub fn with_expected(mut self, expected: Option<String>) -> Self {
        if self.expected.is_none() {
            self.expected = expected;
        }
        self
    }

    /// A short text a model can act on.
    pub fn for_model(&self, tool: Option<&str>) -> String {
        let mut text = String::with_capacity(256);
        match tool {
            Some(name) => {
                let _ = write!(text, "Invalid arguments for tool '{name}':");
            }
            None => text.push_str("Invalid arguments:"),
        }
        for error in self.errors.iter().take(ERRORS_SHOWN_TO_MODEL) {
            text.push_str("\n- ");
            error.write_line(&mut text);
        }
        if self.errors.len() > ERRORS_SHOWN_TO_MODEL {
            let _ = write!(text, "\n- ... and {} more", self.errors.len() - ERRORS_SHOWN_TO_MODEL);
        }
        if let Some(expected) = &self.expected {
            let _ = write!(text, "\nExpected arguments: {expected}");
        }
        text.push_str("\nFix these and call the tool again.");
        text
    }

    /// The first line a human sees in an exception message.
    pub fn summary(&self) -> String {
        match self.errors.as_slice() {
            [] => "invalid arguments".to_owned(),
            [only] => only.line(),
            [first, rest @ ..] => format!("{} (and {} more)", first.line(), rest.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_text_names_field_and_shape() {
        let errors = ArgumentErrors {
            errors: vec![
                ArgError::new(
                    JsonPath::root().child_key("amount"),
                    "type",
                    "expected number, got string \"ten\"",
                ),
                ArgError::new(JsonPath::root().child_key("claim_id"), "required", "missing"),
            ],
            expected: Some("{\"claim_id\": string, \"amount\": number}".into()),
        };
        let text = errors.for_model(Some("file_claim"));
        assert!(text.starts_with("Invalid arguments for tool 'file_claim':"));
        assert!(text.contains("- amount: expected number, got string \"ten\""));
        assert!(text.contains("- claim_id: missing"));
        assert!(text.contains("Expected arguments: {\"claim_id\": string, \"amount\": number}"));
        assert!(!text.contains("Traceback"));
    }

    #[test]
    fn long_lists_are_cut() {
        let errors = ArgumentErrors {
            errors: (0..20)
                .map(|i| ArgError::new(JsonPath::root().child_index(i), "type", "bad"))
                .collect(),
            expected: None,
        };
        let text = errors.for_model(None);
        assert!(text.contains("... and 12 more"));
        assert_eq!(errors.summary(), "[0]: bad (and 19 more)");
    }
}
