//! Bounds on argument documents, so hostile or runaway model output costs an error, never a hang,
//! a stack overflow or gigabytes of memory.

use serde_json::Value;

use crate::json_path::JsonPath;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest argument document accepted, in bytes of JSON text.
    pub max_bytes: usize,
    /// Deepest nesting of arrays and objects; the root object is depth 1.
    pub max_depth: usize,
    /// Longest string (value or key), in bytes of UTF-8.
    pub max_string_length: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 4 * 1024 * 1024,
            max_depth: 64,
            max_string_length: 1024 * 1024,
        }
    }
}

/// The depth past which no document is parsed, whatever the configured limit: the parsers recurse,
/// and serde_json's own guard stops at 128.
pub const HARD_MAX_DEPTH: usize = 120;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LimitExceeded {
    TooLarge {
        size: usize,
        limit: usize,
    },
    TooDeep {
        path: JsonPath,
        limit: usize,
    },
    StringTooLong {
        path: JsonPath,
        length: usize,
        limit: usize,
    },
}

/// What a walk of a parsed document found besides limit violations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DocumentFacts {
    /// A float with no fractional part (`5.0`) appears somewhere: JSON Schema counts it as an
    /// integer, and the road delivers it as one where the schema asks for an integer.
    pub has_integral_float: bool,
}

impl Limits {
    pub fn effective_depth(&self) -> usize {
        self.max_depth.min(HARD_MAX_DEPTH)
    }

    pub fn check_size(&self, size: usize) -> Result<(), LimitExceeded> {
        if size > self.max_bytes {
            Err(LimitExceeded::TooLarge {
                size,
                limit: self.max_bytes,
            })
        } else {
            Ok(())
        }
    }

    /// Walk a parsed document once, checking depth and string lengths.
    pub fn check_value(&self, value: &Value) -> Result<DocumentFacts, LimitExceeded> {
        let mut facts = DocumentFacts::default();
        if self.walk(value, 1, &mut facts) {
            return Ok(facts);
        }
        // Only on failure: find where, paying for the path.
        let mut path = JsonPath::root();
        Err(self.locate(value, 1, &mut path).expect("a failed walk has a location"))
    }

    /// Whether `value`, sitting at `depth` (the root is 1), is within the depth and string limits.
    pub fn admits_at(&self, value: &Value, depth: usize) -> bool {
        self.walk(value, depth, &mut DocumentFacts::default())
    }

    fn walk(&self, value: &Value, depth: usize, facts: &mut DocumentFacts) -> bool {
        match value {
            Value::String(text) => text.len() <= self.max_string_length,
            Value::Number(number) => {
                if let Some(float) = number.as_f64().filter(|_| number.is_f64()) {
                    facts.has_integral_float |= float.fract() == 0.0 && float.is_finite();
                }
                true
            }
            Value::Array(items) => {
                if depth > self.effective_depth() {
                    return false;
                }
                items.iter().all(|item| self.walk(item, depth + 1, facts))
            }
            Value::Object(map) => {
                if depth > self.effective_depth() {
                    return false;
                }
                map.iter()
                    .all(|(key, item)| key.len() <= self.max_string_length && self.walk(item, depth + 1, facts))
            }
            Value::Null | Value::Bool(_) => true,
        }
    }

    fn locate(&self, value: &Value, depth: usize, path: &mut JsonPath) -> Option<LimitExceeded> {
        match value {
            Value::String(text) if text.len() > self.max_string_length => Some(LimitExceeded::StringTooLong {
                path: path.clone(),
                length: text.len(),
                limit: self.max_string_length,
            }),
            Value::Array(_) | Value::Object(_) if depth > self.effective_depth() => Some(LimitExceeded::TooDeep {
                path: path.clone(),
                limit: self.effective_depth(),
            }),
            Value::Array(items) => items.iter().enumerate().find_map(|(index, item)| {
                path.push_index(index);
                let found = self.locate(item, depth + 1, path);
                path.pop();
                found
            }),
            Value::Object(map) => map.iter().find_map(|(key, item)| {
                path.push_key(key);
                let found = if key.len() > self.max_string_length {
                    Some(LimitExceeded::StringTooLong {
                        path: path.clone(),
                        length: key.len(),
                        limit: self.max_string_length,
                    })
                } else {
                    self.locate(item, depth + 1, path)
                };
                path.pop();
                found
            }),
            _ => None,
        }
    }
}

/// The first integer literal in valid JSON text that does not fit in 64 bits. serde_json reads
/// such a literal as the nearest float, which is another number; the road refuses it instead.
pub fn oversized_integer(text: &str) -> Option<&str> {
    oversized_integers(text).next().map(|range| &text[range])
}

/// Where each integer literal in valid JSON text that does not fit in 64 bits sits (outside
/// strings), in order: one scan serves the road's refusal and `repair_json`'s reading of them.
pub fn oversized_integers(text: &str) -> OversizedIntegers<'_> {
    OversizedIntegers {
        bytes: text.as_bytes(),
        index: 0,
    }
}

/// See [`oversized_integers`].
pub struct OversizedIntegers<'a> {
    bytes: &'a [u8],
    index: usize,
}

impl Iterator for OversizedIntegers<'_> {
    type Item = std::ops::Range<usize>;

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.bytes;
        while self.index < bytes.len() {
            match bytes[self.index] {
                b'"' => {
                    self.index += 1;
                    while self.index < bytes.len() && bytes[self.index] != b'"' {
                        self.index += if bytes[self.index] == b'\\' { 2 } else { 1 };
                    }
                    self.index += 1;
                }
                b'-' | b'0'..=b'9' => {
                    let start = self.index;
                    self.index += 1;
                    while self.index < bytes.len()
                        && matches!(bytes[self.index], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                    {
                        self.index += 1;
                    }
                    let literal = &bytes[start..self.index];
                    // A sign alone is no integer, whatever follows it (`-}`, `-Infinity`).
                    let integral = literal.iter().any(u8::is_ascii_digit)
                        && !literal[1..]
                            .iter()
                            .any(|b| matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
                    // Digits and a sign only: ASCII, so the slice is text.
                    let digits = std::str::from_utf8(literal).unwrap_or_default();
                    if integral && digits.parse::<i64>().is_err() && digits.parse::<u64>().is_err() {
                        return Some(start..self.index);
                    }
                }
                _ => self.index += 1,
            }
        }
        None
    }
}

/// Where a float read from `literal` sits in the document, for the error's path.
pub fn locate_number(value: &Value, literal: &str) -> JsonPath {
    let target = literal.parse::<f64>().ok();
    let mut path = JsonPath::root();
    fn find(value: &Value, target: f64, path: &mut JsonPath) -> bool {
        match value {
            Value::Number(number) => number.as_f64() == Some(target),
            Value::Array(items) => items.iter().enumerate().any(|(index, item)| {
                path.push_index(index);
                let found = find(item, target, path);
                if !found {
                    path.pop();
                }
                found
            }),
            Value::Object(map) => map.iter().any(|(key, item)| {
                path.push_key(key);
                let found = find(item, target, path);
                if !found {
                    path.pop();
                }
                found
            }),
            _ => false,
        }
    }
    match target {
        Some(target) if find(value, target, &mut path) => path,
        _ => JsonPath::root(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_deep_spot() {
        let limits = Limits {
            max_depth: 2,
            ..Limits::default()
        };
        assert!(limits.check_value(&json!({"a": [1, 2]})).is_ok());
        let err = limits.check_value(&json!({"a": [[1]]})).unwrap_err();
        assert_eq!(
            err,
            LimitExceeded::TooDeep {
                path: JsonPath::root().child_key("a").child_index(0),
                limit: 2
            }
        );
    }

    #[test]
    fn finds_the_long_string() {
        let limits = Limits {
            max_string_length: 3,
            ..Limits::default()
        };
        let err = limits.check_value(&json!({"ok": "abc", "b": ["abcd"]})).unwrap_err();
        assert_eq!(
            err,
            LimitExceeded::StringTooLong {
                path: JsonPath::root().child_key("b").child_index(0),
                length: 4,
                limit: 3
            }
        );
    }

    #[test]
    fn finds_integers_beyond_64_bits_outside_strings() {
        assert_eq!(
            oversized_integer(r#"{"n": 123456789012345678901234567890}"#),
            Some("123456789012345678901234567890")
        );
        assert_eq!(
            oversized_integer(r#"{"n": -9223372036854775809}"#),
            Some("-9223372036854775809")
        );
        assert_eq!(
            oversized_integer(r#"{"n": 18446744073709551615, "m": -9223372036854775808}"#),
            None
        );
        assert_eq!(
            oversized_integer(r#"{"s": "123456789012345678901234567890\" 1", "f": 1e400}"#),
            None
        );
        assert_eq!(oversized_integer(r#"{"f": 123456789012345678901234567890.5}"#), None);
        for sign_alone in [r#"{"n": -}"#, "[-, 1]", r#"{"n": -Infinity}"#, "-"] {
            assert_eq!(oversized_integer(sign_alone), None, "{sign_alone}");
        }
        let value = json!({"a": [1, {"b": 1.2345678901234568e29}]});
        assert_eq!(
            locate_number(&value, "123456789012345678901234567890").to_string(),
            "a[1].b"
        );
    }

    #[test]
    fn notices_integral_floats() {
        let limits = Limits::default();
        assert!(limits.check_value(&json!({"n": 5.0})).unwrap().has_integral_float);
        assert!(
            !limits
                .check_value(&json!({"n": 5.5, "m": 5}))
                .unwrap()
                .has_integral_float
        );
    }
}
