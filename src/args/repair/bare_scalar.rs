//! A whole text that is one JSON scalar, perhaps with comments around it or raw control
//! characters in its string: what a model sends for a tool whose one argument is a scalar.

use super::*;

/// The whole text as one JSON scalar, perhaps with comments around it or raw control characters
/// in its string: what a model sends for a tool whose one argument is a scalar.
pub(super) fn bare_scalar(text: &str, wide: WideIntegers) -> Option<Result<Repaired, RepairError>> {
    let trimmed = text.trim_start_matches(is_space);
    if !trimmed.starts_with(|c: char| c == '"' || c == '-' || c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut repairs = Vec::new();
    let value = match stream.next() {
        Some(Ok(value)) if !value.is_object() && !value.is_array() => {
            let (literal, rest) = text.split_at(stream.byte_offset());
            let comments = only_comments(rest)?;
            let value = match oversized_integer(literal) {
                Some(digits) if wide == WideIntegers::Carry => wide_integer::carry(digits),
                Some(_) => {
                    let start = text.len() - trimmed.len();
                    return Some(Err(RepairError::at(text, start, OVERSIZED_INTEGER.to_owned())));
                }
                None => value,
            };
            for comment in comments {
                repairs.push(Repair::new(JsonPath::root(), RepairKind::Comment, snippet(comment), ""));
            }
            value
        }
        _ => {
            // A lone string holding raw control characters, which JSON wants escaped.
            let body = trimmed.trim_end_matches(is_space);
            let inner = body.strip_prefix('"')?.strip_suffix('"')?;
            if inner.contains('"') || !inner.contains(|c: char| c < ' ') {
                return None;
            }
            let mut escaped = String::with_capacity(body.len() + 8);
            escaped.push('"');
            for character in inner.chars() {
                if character < ' ' {
                    repairs.push(Repair::new(
                        JsonPath::root(),
                        RepairKind::ControlCharacter,
                        character.to_string(),
                        json_escaped(&character.to_string()),
                    ));
                    escaped.push_str(&json_escaped(&character.to_string()));
                } else {
                    escaped.push(character);
                }
            }
            escaped.push('"');
            serde_json::from_str::<Value>(&escaped).ok()?
        }
    };
    repairs.truncate(MAX_RECORDED_REPAIRS);
    Some(Ok(Repaired { value, repairs }))
}

/// The comments `rest` consists of (with whitespace between), or None if it holds anything else.
pub(super) fn only_comments(rest: &str) -> Option<Vec<&str>> {
    let mut comments = Vec::new();
    let mut rest = rest.trim_start_matches(is_space);
    while !rest.is_empty() {
        let end = if rest.starts_with("//") || rest.starts_with('#') {
            rest.find(['\n', '\r']).unwrap_or(rest.len())
        } else if let Some(body) = rest.strip_prefix("/*") {
            body.find("*/").map_or(rest.len(), |close| close + 4)
        } else {
            return None;
        };
        comments.push(rest[..end].trim_end());
        rest = rest[end..].trim_start_matches(is_space);
    }
    Some(comments)
}
