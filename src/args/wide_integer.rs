//! Integers beyond 64 bits that `repair_json` hands back as Python reads them (`json.loads` gives
//! an `int` of any size). serde_json's `Value` has no room for them, so the reader carries each one
//! through the document as a marked string holding its digits, and the Python layer turns the
//! marked strings back into integers. The mark holds a number drawn once per process, so no text a
//! model writes can pass for one.

use std::hash::{BuildHasher, Hasher};
use std::io;
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

/// The integer a marked string stands for, as JSON writes it: no plus sign, no leading zeros.
fn written(literal: &str) -> (&str, &str) {
    let (sign, digits) = match literal.strip_prefix('-') {
        Some(digits) => ("-", digits),
        None => ("", literal.trim_start_matches('+')),
    };
    match digits.trim_start_matches('0') {
        "" => ("", "0"),
        digits => (sign, digits),
    }
}

/// `value` as compact JSON, each marked string written as the integer it stands for: what a
/// record shows of a value must not show the mark.
pub fn write_json<W: io::Write>(out: &mut W, value: &Value) -> io::Result<()> {
    match value {
        Value::String(text) => match carried(text) {
            Some(literal) => {
                let (sign, digits) = written(literal);
                out.write_all(sign.as_bytes())?;
                out.write_all(digits.as_bytes())
            }
            None => Ok(serde_json::to_writer(out, text)?),
        },
        Value::Array(items) => {
            out.write_all(b"[")?;
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    out.write_all(b",")?;
                }
                write_json(out, item)?;
            }
            out.write_all(b"]")
        }
        Value::Object(map) => {
            out.write_all(b"{")?;
            for (position, (key, item)) in map.iter().enumerate() {
                if position > 0 {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut *out, key)?;
                out.write_all(b":")?;
                write_json(out, item)?;
            }
            out.write_all(b"}")
        }
        scalar => Ok(serde_json::to_writer(out, scalar)?),
    }
}

/// `write_json` into a string.
pub fn json_text(value: &Value) -> String {
    let mut text = Vec::new();
    write_json(&mut text, value).expect("writing to memory does not fail");
    String::from_utf8(text).expect("JSON is UTF-8")
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

    #[test]
    fn json_text_writes_marked_strings_as_their_integers() {
        let value = serde_json::json!({
            "a": [carry("100000000000000000000"), "\u{0}integer:0:1", 1.5],
            "b": carry("-00123456789012345678901"),
            "c": carry("+99999999999999999999"),
            "d": carry("-000000000000000000000"),
        });
        assert_eq!(
            json_text(&value),
            r#"{"a":[100000000000000000000,"\u0000integer:0:1",1.5],"b":-123456789012345678901,"c":99999999999999999999,"d":0}"#
        );
        let plain = serde_json::json!({"k\"ey": [null, true, "x\n"], "n": -3});
        assert_eq!(json_text(&plain), serde_json::to_string(&plain).unwrap());
    }
}
