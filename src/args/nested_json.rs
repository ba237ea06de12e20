//! JSON text sent inside a string (`"{\"city\": \"Paris\"}"` for an object parameter, the
//! arguments of a call envelope, or the whole arguments object). It is read only when it reads
//! exactly as the same text would at the top level: no key sent twice (serde_json would keep the
//! last silently) and no integer beyond 64 bits (serde_json would read the nearest float).
//! Anything else stays the string it was, for the validator to refuse.

use serde_json::Value;

use crate::args::duplicates;
use crate::limits::oversized_integer;

/// The value `text` holds, if it is one JSON document that reads exactly.
pub fn read_exactly(text: &str) -> Option<Value> {
    let text = text.trim();
    match duplicates::parse(text) {
        Ok((value, found)) if found.is_empty() && oversized_integer(text).is_none() => Some(value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_what_reads_exactly() {
        assert_eq!(
            read_exactly(" {\"city\": \"Paris\", \"days\": 3} "),
            Some(json!({"city": "Paris", "days": 3}))
        );
        assert_eq!(read_exactly("[1, 2.5, \"x\"]"), Some(json!([1, 2.5, "x"])));
        assert_eq!(
            read_exactly("18446744073709551615"),
            Some(json!(18446744073709551615u64))
        );
    }

    #[test]
    fn leaves_what_would_change() {
        for text in [
            "{\"city\": \"Paris\", \"city\": \"Rome\"}",
            "{\"a\": {\"b\": 1, \"b\": 1}}",
            "{\"x\": 123456789012345678901}",
            "[-99999999999999999999]",
            "123456789012345678901",
            "{\"x\": 1,}",
            "{\"x\": 1} {\"y\": 2}",
        ] {
            assert_eq!(read_exactly(text), None, "{text}");
        }
    }
}
