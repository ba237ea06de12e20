//! JSON string escaping: quotes, backslashes and control characters, nothing else.
//!
//! Text outside ASCII is written as UTF-8, not as `\u` escapes: the result is a Python `str` and
//! every provider takes UTF-8, so escaping would only make the text longer.

/// What a byte becomes inside a JSON string: 0 for itself, `u` for a `\u00XX` escape, or the
/// letter of a two-character escape (`n` for `\n`).
const ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0A] = b'n';
    table[0x0C] = b'f';
    table[0x0D] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Whether any of the 8 bytes in `word` needs escaping (a control character, `"` or `\`).
///
/// The classic SWAR tests: subtracting 0x20 from each byte borrows into the high bit exactly for
/// bytes below 0x20, and `x ^ c` minus one does so for bytes equal to `c`. Bytes with their own
/// high bit set (UTF-8 beyond ASCII) are masked out, so there are no false negatives; a borrow can
/// only raise a false positive above a true match, which the byte loop then handles.
#[inline(always)]
fn word_needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let controls = word.wrapping_sub(ONES * 0x20);
    let quotes = (word ^ (ONES * b'"' as u64)).wrapping_sub(ONES);
    let backslashes = (word ^ (ONES * b'\\' as u64)).wrapping_sub(ONES);
    (controls | quotes | backslashes) & !word & HIGH != 0
}

/// `text` as a JSON string, quotes included.
pub fn json_string(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len() + 2);
    write_json_string(&mut out, text);
    String::from_utf8(out).expect("escaping keeps UTF-8 valid")
}

/// Append `text` as a JSON string, quotes included.
///
/// Most strings need no escaping, and most are short (keys, names, identifiers): the common case
/// checks and copies 8 bytes at a time in one pass, into room reserved once, without a call to
/// `memcpy`; a string under 8 bytes is read as one padded word. The first byte that needs an
/// escape hands over to the general loop.
#[inline(always)]
pub fn write_json_string(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let length = bytes.len();
    // The quotes, the text, and slack for whole-word stores past the end of a short text.
    out.reserve(length + 2 + 8);
    let start = out.len();
    // SAFETY: `reserve` made room for `length + 10` bytes past `start`. Stores end at most at
    // `start + 9` (a short text's word) or `start + 2 + length` (the closing quote), and
    // `set_len` only covers bytes written. Loads stay within `bytes`.
    unsafe {
        let base = out.as_mut_ptr().add(start);
        base.write(b'"');
        if length < 8 {
            let word = load_short(bytes);
            if !word_needs_escape(word) {
                base.add(1).cast::<u64>().write_unaligned(word.to_le());
                base.add(1 + length).write(b'"');
                out.set_len(start + length + 2);
                return;
            }
            out.set_len(start + 1);
            write_escaped_tail(out, text, 0);
            return;
        }
        let mut index = 0;
        while index + 8 <= length {
            let word = bytes.as_ptr().add(index).cast::<u64>().read_unaligned();
            if word_needs_escape(u64::from_le(word)) {
                out.set_len(start + 1 + index);
                write_escaped_tail(out, text, index);
                return;
            }
            base.add(1 + index).cast::<u64>().write_unaligned(word);
            index += 8;
        }
        if index < length {
            // The last 8 bytes as one word, overlapping bytes already copied.
            let last = length - 8;
            let word = bytes.as_ptr().add(last).cast::<u64>().read_unaligned();
            if word_needs_escape(u64::from_le(word)) {
                out.set_len(start + 1 + index);
                write_escaped_tail(out, text, index);
                return;
            }
            base.add(1 + last).cast::<u64>().write_unaligned(word);
        }
        base.add(1 + length).write(b'"');
        out.set_len(start + length + 2);
    }
}

/// The bytes of a text under 8 bytes long as one little-endian word, padded with spaces (which
/// need no escape), using at most two overlapping loads instead of a byte loop.
#[inline(always)]
fn load_short(bytes: &[u8]) -> u64 {
    const SPACES: u64 = 0x2020_2020_2020_2020;
    let length = bytes.len();
    debug_assert!(length < 8);
    let loaded = match length {
        0 => 0,
        1 => u64::from(bytes[0]),
        2 | 3 => {
            let low = u64::from(u16::from_le_bytes([bytes[0], bytes[1]]));
            let high = u64::from(u16::from_le_bytes([bytes[length - 2], bytes[length - 1]]));
            low | high << ((length - 2) * 8)
        }
        _ => {
            let low = u64::from(u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes")));
            let high = u64::from(u32::from_le_bytes(bytes[length - 4..].try_into().expect("4 bytes")));
            low | high << ((length - 4) * 8)
        }
    };
    // The overlapping loads agree where they overlap; the bytes past the text become spaces.
    loaded | SPACES << (length * 8)
}

/// The rest of a string from byte `index`, escaping as needed, and the closing quote. `index` may
/// fall inside a character: bytes are copied as they are and escapes only replace ASCII bytes, so
/// the text stays valid UTF-8.
#[cold]
#[inline(never)]
fn write_escaped_tail(out: &mut Vec<u8>, text: &str, index: usize) {
    escape_bytes(out, &text.as_bytes()[index..]);
    out.push(b'"');
}

/// Bytes the escaped content of `text` takes, quotes excluded.
pub fn escaped_length(text: &str) -> usize {
    text.bytes()
        .map(|byte| match ESCAPES[byte as usize] {
            0 => 1,
            b'u' => 6,
            _ => 2,
        })
        .sum()
}

/// Bytes the content `write_json_string_wtf8` writes for `bytes` takes, quotes excluded.
pub fn escaped_length_wtf8(mut bytes: &[u8]) -> usize {
    let mut length = 0;
    loop {
        match std::str::from_utf8(bytes) {
            Ok(text) => return length + escaped_length(text),
            Err(error) => {
                let (valid, rest) = bytes.split_at(error.valid_up_to());
                length += escaped_length(std::str::from_utf8(valid).expect("checked by from_utf8"));
                if surrogate(rest).is_some() {
                    length += 6;
                    bytes = &rest[3..];
                } else {
                    length += char::REPLACEMENT_CHARACTER.len_utf8();
                    bytes = &rest[error.error_len().unwrap_or(rest.len())..];
                }
            }
        }
    }
}

/// Append the escaped content of `text`, without quotes.
pub fn write_escaped_content(out: &mut Vec<u8>, text: &str) {
    escape_bytes(out, text.as_bytes());
}

fn escape_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut copied_up_to = 0;
    let mut index = 0;
    while index < bytes.len() {
        while index + 8 <= bytes.len() {
            let word = u64::from_le_bytes(bytes[index..index + 8].try_into().expect("8 bytes"));
            if word_needs_escape(word) {
                break;
            }
            index += 8;
        }
        let end = (index + 8).min(bytes.len());
        while index < end {
            let escape = ESCAPES[bytes[index] as usize];
            if escape != 0 {
                out.extend_from_slice(&bytes[copied_up_to..index]);
                push_escape(out, bytes[index], escape);
                copied_up_to = index + 1;
            }
            index += 1;
        }
    }
    out.extend_from_slice(&bytes[copied_up_to..]);
}

#[inline]
fn push_escape(out: &mut Vec<u8>, byte: u8, escape: u8) {
    if escape == b'u' {
        out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX_DIGITS[(byte >> 4) as usize],
            HEX_DIGITS[(byte & 0xF) as usize],
        ]);
    } else {
        out.extend_from_slice(&[b'\\', escape]);
    }
}

/// Append a JSON string from WTF-8 bytes: UTF-8 that may also hold lone surrogates (what Python's
/// `str.encode("utf-8", "surrogatepass")` gives for a `str` that is not valid Unicode). Each lone
/// surrogate becomes a `\udXXX` escape, as `json.dumps` writes it and `json.loads` reads it back.
pub fn write_json_string_wtf8(out: &mut Vec<u8>, mut bytes: &[u8]) {
    out.push(b'"');
    loop {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                write_escaped_content(out, text);
                break;
            }
            Err(error) => {
                let (valid, rest) = bytes.split_at(error.valid_up_to());
                write_escaped_content(out, std::str::from_utf8(valid).expect("checked by from_utf8"));
                if let Some(code) = surrogate(rest) {
                    push_unicode_escape(out, code);
                    bytes = &rest[3..];
                } else {
                    // Not a surrogate either: Python never hands over such bytes, but if it did,
                    // the replacement character keeps the text valid.
                    out.extend_from_slice(char::REPLACEMENT_CHARACTER.encode_utf8(&mut [0; 4]).as_bytes());
                    bytes = &rest[error.error_len().unwrap_or(rest.len())..];
                }
            }
        }
    }
    out.push(b'"');
}

/// The code point of a surrogate encoded as three WTF-8 bytes (`ED A0..BF 80..BF`), if `bytes`
/// starts with one.
fn surrogate(bytes: &[u8]) -> Option<u32> {
    match bytes {
        [0xED, second @ 0xA0..=0xBF, third @ 0x80..=0xBF, ..] => {
            Some(0xD000 | (u32::from(*second & 0x3F) << 6) | u32::from(*third & 0x3F))
        }
        _ => None,
    }
}

fn push_unicode_escape(out: &mut Vec<u8>, code: u32) {
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX_DIGITS[((code >> shift) & 0xF) as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str) -> String {
        json_string(text)
    }

    #[test]
    fn escapes_what_json_requires_and_nothing_more() {
        assert_eq!(escaped("plain"), "\"plain\"");
        assert_eq!(escaped("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(escaped("\n\r\t\u{8}\u{c}"), "\"\\n\\r\\t\\b\\f\"");
        assert_eq!(escaped("\u{0}\u{1f}\u{7f}"), "\"\\u0000\\u001f\u{7f}\"");
        assert_eq!(escaped("héllo → 😀 /"), "\"héllo → 😀 /\"");
        assert_eq!(escaped(""), "\"\"");
    }

    #[test]
    fn agrees_with_serde_json_at_every_position_of_a_long_text() {
        // Escapable characters at every offset, so both the word loop and the byte loop see them.
        let pieces = ["abcdefgh", "\"", "\\", "\n", "\u{1}", "é", "😀", "xyz", "\u{7f}"];
        for length in 0..40 {
            let text: String = (0..length).map(|i| pieces[(i * 7 + length) % pieces.len()]).collect();
            assert_eq!(escaped(&text), serde_json::to_string(&text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn the_word_at_a_time_copy_handles_every_length_and_escape_position() {
        for length in 0..40 {
            let clean: String = "abcdéfgh😀".chars().cycle().take(length).collect();
            assert_eq!(escaped(&clean), serde_json::to_string(&clean).unwrap());
            for position in 0..=clean.len() {
                if !clean.is_char_boundary(position) {
                    continue;
                }
                let text = format!("{}\n{}", &clean[..position], &clean[position..]);
                assert_eq!(escaped(&text), serde_json::to_string(&text).unwrap(), "{text:?}");
            }
        }
    }

    #[test]
    fn the_word_test_has_no_false_negatives() {
        for byte in 0u8..=255 {
            for position in 0..8 {
                let mut word = [b'a'; 8];
                word[position] = byte;
                let needs = ESCAPES[byte as usize] != 0;
                if needs {
                    assert!(word_needs_escape(u64::from_le_bytes(word)), "{byte:#x} at {position}");
                }
            }
        }
        assert!(!word_needs_escape(u64::from_le_bytes(*b"abcdefgh")));
        assert!(!word_needs_escape(u64::from_le_bytes(
            "é😀ab".as_bytes().try_into().unwrap()
        )));
    }

    #[test]
    fn lone_surrogates_become_escapes() {
        let mut out = Vec::new();
        // "a" + U+D800 + "b" + U+DFFF, as surrogatepass encodes them.
        write_json_string_wtf8(&mut out, b"a\xed\xa0\x80b\"\xed\xbf\xbf");
        assert_eq!(out, b"\"a\\ud800b\\\"\\udfff\"");
        let mut out = Vec::new();
        write_json_string_wtf8(&mut out, b"\xff");
        assert_eq!(String::from_utf8(out).unwrap(), "\"\u{fffd}\"");
    }
}
