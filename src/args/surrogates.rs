//! `\ud83d` alone: JSON text can write half of a UTF-16 surrogate pair, but it is not a character,
//! and no UTF-8 string (nor the tool's Python `str`, when it must be encoded) holds it. Usually the
//! model cut an emoji in two. The road refuses it in both modes and says which escape it is,
//! rather than pass on six characters of escape text or a replacement character.

/// The first `\uXXXX` escape in `text` that is half a surrogate pair without its other half:
/// where it starts, and its text.
pub fn lone_surrogate(text: &str) -> Option<(usize, &str)> {
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] != b'\\' {
            index += 1;
            continue;
        }
        let Some(code) = unicode_escape(bytes, index) else {
            // Another escape (`\\`, `\"`, `\n`, ...): skip what it escapes.
            index += 2;
            continue;
        };
        if (0xD800..0xDC00).contains(&code) {
            if unicode_escape(bytes, index + 6).is_some_and(|low| (0xDC00..0xE000).contains(&low)) {
                index += 12;
                continue;
            }
            return Some((index, &text[index..index + 6]));
        }
        if (0xDC00..0xE000).contains(&code) {
            return Some((index, &text[index..index + 6]));
        }
        index += 6;
    }
    None
}

/// The code unit of the `\uXXXX` escape starting at `at`, if one does.
fn unicode_escape(bytes: &[u8], at: usize) -> Option<u32> {
    let escape = bytes.get(at..at + 6)?;
    if escape[0] != b'\\' || escape[1] != b'u' {
        return None;
    }
    escape[2..]
        .iter()
        .try_fold(0u32, |code, &digit| Some(code * 16 + (digit as char).to_digit(16)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_half_sent_alone() {
        assert_eq!(lone_surrogate(r#"{"a": "\ud83d"}"#), Some((7, r"\ud83d")));
        assert_eq!(lone_surrogate(r#"{"a": "x\uDE00y"}"#), Some((8, r"\uDE00")));
        assert_eq!(lone_surrogate(r#"{"a": "\ud83d\u0041"}"#), Some((7, r"\ud83d")));
        assert_eq!(lone_surrogate(r#"{"a": "\ude00\ud83d"}"#), Some((7, r"\ude00")));
    }

    #[test]
    fn leaves_pairs_and_other_escapes_alone() {
        for text in [
            r#"{"a": "\ud83d\ude00"}"#,
            r#"{"a": "\u00e9\n\"\\"}"#,
            // An escaped backslash before `ud83d`: the text `\ud83d`, not an escape.
            r#"{"a": "\\ud83d"}"#,
            r#"{"a": "\\\ud83d\ude00"}"#,
            r#"{"a": "\u12"}"#,
            "é \\",
        ] {
            assert_eq!(lone_surrogate(text), None, "{text}");
        }
    }
}
