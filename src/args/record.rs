//! The record of a change the road made to a model's arguments.
//!
//! Every change is recorded, so a user can see (and count) what was repaired, and so a change
//! that should not have been made is visible instead of silent.

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::Value;

use crate::json_path::JsonPath;

macro_rules! repair_kinds {
    ($($variant:ident => $name:literal, $doc:literal;)*) => {
        /// What kind of change was made.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum RepairKind {
            $(#[doc = $doc] $variant,)*
        }

        impl RepairKind {
            pub const ALL: &'static [RepairKind] = &[$(RepairKind::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(RepairKind::$variant => $name,)*
                }
            }

            pub fn describe(self) -> &'static str {
                match self {
                    $(RepairKind::$variant => $doc,)*
                }
            }

            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(RepairKind::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

repair_kinds! {
    // Text repairs: the document was not JSON and was mended into JSON.
    MarkdownFence => "markdown_fence", "a markdown code fence around the JSON was removed";
    SurroundingText => "surrounding_text", "prose before or after the JSON was removed";
    TrailingComma => "trailing_comma", "a comma before a closing bracket was removed";
    MissingComma => "missing_comma", "a missing comma between items was inserted";
    MissingColon => "missing_colon", "a missing colon between a key and its value was inserted";
    SingleQuotes => "single_quotes", "a single-quoted string was re-quoted";
    UnquotedKey => "unquoted_key", "an unquoted object key was quoted";
    UnquotedString => "unquoted_string", "an unquoted string value was quoted";
    Comment => "comment", "a comment was removed";
    PythonLiteral => "python_literal", "a Python literal (True, False, None) became JSON";
    NonFiniteNumber => "non_finite_number", "NaN or Infinity, which JSON cannot carry, became null";
    Truncated => "truncated", "a truncated document was closed";
    ControlCharacter => "control_character", "a raw control character inside a string was escaped";
    InvalidEscape => "invalid_escape", "an escape sequence JSON does not define was read as its plain character";
    ConcatenatedDocuments => "concatenated_documents", "several JSON documents were found and read together (as a list, or the later one when they have the same shape)";
    UnescapedQuote => "unescaped_quote", "a quote inside a string was escaped";
    TypographicQuotes => "typographic_quotes", "curly quotes were read as straight quotes";
    TrailingLineBreak => "trailing_line_break", "a raw line break just before a closing quote was dropped";
    LenientNumber => "lenient_number", "a loosely written number (1_000, .5, 1.) was read";
    TupleToArray => "tuple_to_array", "a Python tuple became an array";
    MismatchedBracket => "mismatched_bracket", "a closing bracket that did not match its opening one was corrected";
    DroppedText => "dropped_text", "stray text between values was dropped";
    EscapedDocument => "escaped_document", "a backslash-escaped document was unescaped";
    TruncatedString => "truncated_string", "a string cut off by the end of the text was closed";
    TruncatedNumber => "truncated_number", "the text ended right after a number, which may have been cut short";
    MissingValue => "missing_value", "a key sent without a value was given an empty one";
    Ellipsis => "ellipsis", "an ellipsis standing for left-out items was dropped";
    PythonText => "python_text", "the document, a Python literal, was read as Python reads it";
    DuplicateKey => "duplicate_key", "a key sent twice with the same value was read once";
    ValuesAfterDocument => "values_after_document", "members or items written after the document had closed were dropped";
    ExpressionAfterNumber => "expression_after_number", "text continuing a number as an expression (1 - y, 100 - 5%) was dropped, leaving the number read in part";
    // Structural repairs: the document was JSON, but not in the tool's shape.
    EmptyArguments => "empty_arguments", "an empty argument text was read as an empty object";
    WrappedArgument => "wrapped_argument", "a value sent alone became the tool's one parameter";
    RenamedKey => "renamed_key", "a key was matched to the declared parameter of the same normalized name";
    DroppedKey => "dropped_key", "an undeclared key was dropped";
    CallEnvelope => "call_envelope", "the arguments came inside a call envelope ({\"name\": this tool, \"arguments\": ...}) and were taken out of it";
    DuplicateItems => "duplicate_items", "items sent twice in a set were read once";
    // Coercions: a value had the wrong type and one unambiguous conversion fixed it.
    StringToNumber => "string_to_number", "a numeric string became a number";
    StringToInteger => "string_to_integer", "an integral numeric string became an integer";
    FloatToInteger => "float_to_integer", "an integral float became an integer";
    StringToBoolean => "string_to_boolean", "\"true\" or \"false\" became a boolean";
    NumberToString => "number_to_string", "a number became a string";
    StringToNull => "string_to_null", "\"null\" or \"None\" became null";
    ScalarToArray => "scalar_to_array", "a single value became a one-element array";
    DecodedJsonString => "decoded_json_string", "a JSON-encoded string became the object or array it encodes";
    EnumCase => "enum_case", "a value matched one allowed value ignoring case";
}

impl RepairKind {
    /// Text repairs happen before the document is JSON; the rest act on parsed values.
    pub fn is_text_repair(self) -> bool {
        matches!(
            self,
            RepairKind::MarkdownFence
                | RepairKind::SurroundingText
                | RepairKind::TrailingComma
                | RepairKind::MissingComma
                | RepairKind::MissingColon
                | RepairKind::SingleQuotes
                | RepairKind::UnquotedKey
                | RepairKind::UnquotedString
                | RepairKind::Comment
                | RepairKind::PythonLiteral
                | RepairKind::NonFiniteNumber
                | RepairKind::Truncated
                | RepairKind::ControlCharacter
                | RepairKind::InvalidEscape
                | RepairKind::ConcatenatedDocuments
                | RepairKind::UnescapedQuote
                | RepairKind::TypographicQuotes
                | RepairKind::TrailingLineBreak
                | RepairKind::LenientNumber
                | RepairKind::TupleToArray
                | RepairKind::MismatchedBracket
                | RepairKind::DroppedText
                | RepairKind::EscapedDocument
                | RepairKind::TruncatedString
                | RepairKind::TruncatedNumber
                | RepairKind::MissingValue
                | RepairKind::Ellipsis
                | RepairKind::PythonText
                | RepairKind::DuplicateKey
                | RepairKind::ValuesAfterDocument
                | RepairKind::ExpressionAfterNumber
        )
    }

    /// Repairs that close a text that stopped before its end. A text the provider says was cut at
    /// its token limit lost whatever came next, so the road refuses them there.
    pub fn closes_a_cut(self) -> bool {
        matches!(
            self,
            RepairKind::Truncated
                | RepairKind::TruncatedString
                | RepairKind::TruncatedNumber
                | RepairKind::MissingValue
        )
    }

    /// Repairs that recover a document but may not recover what the model meant: a string cut
    /// off, a value that was never sent, items left out, a second document dropped, members or
    /// items after the document dropped, a number read in part, a number JSON cannot carry (`NaN`, `Infinity`) put as null. `repair_json`
    /// makes them (and records them); the argument road refuses them unless told otherwise,
    /// because calling a tool with a guessed argument is worse than asking the model again.
    pub fn may_alter_meaning(self) -> bool {
        matches!(
            self,
            RepairKind::TruncatedString
                | RepairKind::TruncatedNumber
                | RepairKind::MissingValue
                | RepairKind::Ellipsis
                | RepairKind::ConcatenatedDocuments
                | RepairKind::ValuesAfterDocument
                | RepairKind::ExpressionAfterNumber
                | RepairKind::NonFiniteNumber
        )
    }
}

/// One change: where, what kind, and the value (or text) before and after.
#[derive(Clone, Debug, PartialEq)]
pub struct Repair {
    pub path: JsonPath,
    pub kind: RepairKind,
    pub before: Value,
    pub after: Value,
}

impl Repair {
    pub fn new(path: JsonPath, kind: RepairKind, before: impl Into<Value>, after: impl Into<Value>) -> Self {
        Repair {
            path,
            kind,
            before: before.into(),
            after: after.into(),
        }
    }
}

impl Serialize for Repair {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut record = serializer.serialize_struct("Repair", 4)?;
        record.serialize_field("path", &self.path.to_string())?;
        record.serialize_field("kind", self.kind.as_str())?;
        record.serialize_field("before", &self.before)?;
        record.serialize_field("after", &self.after)?;
        record.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in RepairKind::ALL {
            assert_eq!(RepairKind::from_name(kind.as_str()), Some(*kind));
        }
        assert_eq!(RepairKind::from_name("nope"), None);
    }
}
