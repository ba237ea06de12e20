//! How a `$ref` inside the schema is resolved, for the schema graph and the provider exports.
//!
//! The validator (the jsonschema crate) resolves references itself, also into documents supplied
//! up front; the graph and the exports only follow references into the schema itself, and both
//! the same way.

use serde_json::Value;

/// The subschema a `$ref` inside `document` points to, with its canonical pointer (`#/$defs/A`,
/// percent-decoded), or why it cannot be followed.
pub fn local_target<'a>(document: &'a Value, reference: &str) -> Result<(&'a Value, String), String> {
    let Some(fragment) = reference.strip_prefix('#') else {
        return Err(format!(
            "'$ref' points outside this schema ('{reference}'); only references into the schema itself ('#/...') are supported"
        ));
    };
    let fragment = percent_decode(fragment);
    if fragment.is_empty() {
        return Ok((document, "#".to_owned()));
    }
    if !fragment.starts_with('/') {
        return Err(format!(
            "'$ref' names an anchor ('{reference}'); only JSON-pointer references such as '#/$defs/Name' are supported"
        ));
    }
    match document.pointer(&fragment) {
        Some(target) => Ok((target, format!("#{fragment}"))),
        None => Err(format!(
            "'$ref' points to nothing: '{reference}' does not exist in this schema"
        )),
    }
}

/// A URI fragment with its `%XX` escapes decoded; the text as it is when they do not decode to UTF-8.
pub fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%' && index + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[index + 1..index + 3]).ok())
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8(decoded).unwrap_or_else(|_| text.to_string())
}

/// One step of a JSON pointer: `~` and `/` escaped.
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_pointers_inside_the_schema_only() {
        let schema = json!({"$defs": {"A B": {"type": "string"}, "a/b": {"type": "integer"}}});
        assert_eq!(
            local_target(&schema, "#/$defs/A%20B").unwrap(),
            (&json!({"type": "string"}), "#/$defs/A B".to_owned())
        );
        assert_eq!(
            local_target(&schema, "#/$defs/a~1b").unwrap().0,
            &json!({"type": "integer"})
        );
        assert_eq!(local_target(&schema, "#").unwrap().0, &schema);
        assert!(local_target(&schema, "#/$defs/C")
            .unwrap_err()
            .contains("points to nothing"));
        assert!(local_target(&schema, "#anchor").unwrap_err().contains("anchor"));
        assert!(local_target(&schema, "other.json#/a").unwrap_err().contains("outside"));
    }
}
