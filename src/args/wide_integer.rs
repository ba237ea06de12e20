//! Integers beyond 64 bits that `repair_json` hands back as Python reads them (`json.loads` gives
//! an `int` of any size). serde_json's `Value` has no room for them, so the reader carries each one
//! through the document as a marked string holding its digits, and the Python layer turns the
//! marked strings back into integers. The mark holds a number drawn once per process, so no text a
//! model writes can pass for one.

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

use serde_json::Value;

use crate::limits::oversized_integers;

fn mark() -> &'static str {
    static MARK: OnceLock<String> = OnceLock::new();
    MARK.get_or_init(|| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_usize(std::process::id() as usize);
        format!("\u{0}integer:{:016x}:", hasher.finish())
    })
}

/// The marked string standing for the integer `literal` (`-?[0-9]+`).
pub fn carry(literal: &str) -> Value {
    Value::String(format!("{}{literal}", mark()))
}

/// The integer literal a marked string stands for.
pub fn carried(text: &str) -> Option<&str> {
    text.strip_prefix(mark())
}

/// Whether any marked string sits in `value`.
pub fn any_carried(value: &Value) -> bool {
    match value {
        Value::String(text) => carried(text).is_some(),
        Value::Array(items) => items.iter().any(any_carried),
        Value::Object(map) => map.values().any(any_carried),
        _ => false,
    }
}

/// Valid JSON `text` read with each integer beyond 64 bits as its marked string.
pub fn read_valid(text: &str) -> Option<Value> {
    let mut marked = String::with_capacity(text.len() + 64);
    let mut from = 0;
    for literal in oversized_integers(text) {
        marked.push_str(&text[from..literal.start]);
        marked.push_str(&serde_json::to_string(&carry(&text[literal.clone()])).ok()?);
        from = literal.end;
    }
    marked.push_str(&text[from..]);
    serde_json::from_str(&marked).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_strings_give_back_their_digits_and_nothing_else_does() {
        let big = "-123456789012345678901234567890";
        let Value::String(text) = carry(big) else { panic!() };
        assert_eq!(carried(&text), Some(big));
        assert_eq!(carried(big), None);
        assert_eq!(carried("\u{0}integer:0000000000000000:1"), None);
        assert!(any_carried(
            &serde_json::json!({"a": [1, carry("99999999999999999999")]})
        ));
        assert!(!any_carried(&serde_json::json!({"a": [1, "2"]})));
    }
}
