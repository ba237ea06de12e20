//! The most common flaws on their own: commas before a closing bracket, or closing brackets left
//! off the end, in an otherwise valid document. Mending exactly those and letting serde_json read
//! the rest gives the value the model wrote, whatever its strings hold (colons, backslashes,
//! quotes and brackets that the character reader's guesses could misread).

use super::{snippet, wide_integer, Records, Repaired, WideIntegers, MAX_RECORDED_REPAIRS};
use crate::args::duplicates;
use crate::args::record::{Repair, RepairKind};
use crate::json_path::JsonPath;
use crate::limits::{oversized_integer, Limits};

const CONTEXT_BYTES: usize = 16;

/// The value of `text` with its trailing commas removed and its missing closers supplied, when
/// that is valid JSON within the limits, with no key sent twice; None otherwise. With
/// `Records::KindsOnly` the records carry their kinds alone.
pub(super) fn mend_structure(text: &str, limits: &Limits, wide: WideIntegers, records: Records) -> Option<Repaired> {
    let whole = records == Records::Whole;
    let bytes = text.as_bytes();
    // Each comma with the path of the container it sits in.
    let mut commas: Vec<(usize, JsonPath)> = Vec::new();
    let mut open: Vec<Container> = Vec::new();
    let mut in_string = false;
    let mut string_start = 0;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if in_string {
            // Straight to the next quote or backslash: a string's text is most of a document.
            match memchr::memchr2(b'"', b'\\', &bytes[index..]) {
                Some(offset) => index += offset,
                None => break,
            }
            match bytes[index] {
                b'\\' => index += 1,
                b'"' => {
                    in_string = false;
                    if let Some(Container::Object { key, expects_key: true }) = open.last_mut() {
                        // Decoded only if a record needs the path.
                        *key = Some((string_start, index + 1));
                    }
                }
                _ => {}
            }
            index += 1;
            continue;
        }
        match byte {
            b'"' => {
                in_string = true;
                string_start = index;
            }
            b'{' => open.push(Container::Object {
                key: None,
                expects_key: true,
            }),
            b'[' => open.push(Container::Array { index: 0 }),
            b'}' | b']' => {
                open.pop();
            }
            b':' => {
                if let Some(Container::Object { expects_key, .. }) = open.last_mut() {
                    *expects_key = false;
                }
            }
            b',' => {
                let next = bytes[index + 1..].iter().find(|b| !b.is_ascii_whitespace());
                // A comma at the very end: the item after it was cut off whole.
                if matches!(next, Some(b'}' | b']')) || next.is_none() && !open.is_empty() {
                    commas.push((index, if whole { path_of(text, &open) } else { JsonPath::root() }));
                }
                match open.last_mut() {
                    Some(Container::Object { expects_key, .. }) => *expects_key = true,
                    Some(Container::Array { index }) => *index += 1,
                    None => {}
                }
            }
            // Number characters and the letters of true, false and null.
            b' ' | b'\t' | b'\n' | b'\r' | b'0'..=b'9' | b'-' | b'+' | b'.' => {}
            b'e' | b'E' | b't' | b'r' | b'u' | b'f' | b'a' | b'l' | b's' | b'n' => {}
            // Anything else outside a string is a flaw this mend does not make: the text is
            // the character reader's, and nothing more is read here.
            _ => return None,
        }
        index += 1;
    }
    if in_string {
        return None;
    }
    // Closers left off the end: supplied when what precedes them ends a value.
    let last = bytes.iter().rev().find(|b| !b.is_ascii_whitespace());
    // A number or word at the very end may itself be cut short (`2` of `20`, `tru`): the
    // reader's to judge, and to record. A whole literal (`null`, `true`, `false`) ends a value.
    let trimmed = text.trim_end();
    let word_start = trimmed
        .bytes()
        .rposition(|b| !(b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'+'))
        .map_or(0, |position| position + 1);
    let word = &trimmed[word_start..];
    // Digits may end a value too, if they make a whole number; recorded as possibly cut, as the
    // reader records them, when they are the very last byte.
    let ends_in_digits = word.bytes().last().is_some_and(|b| b.is_ascii_digit()) && !open.is_empty();
    let cut_number = ends_in_digits && trimmed.len() == text.len();
    let cut_word = !word.is_empty() && !ends_in_digits && !matches!(word, "null" | "true" | "false");
    let closers: String = if open.is_empty() || cut_word || matches!(last, Some(b':')) {
        String::new()
    } else {
        open.iter()
            .rev()
            .map(|container| match container {
                Container::Object { .. } => '}',
                Container::Array { .. } => ']',
            })
            .collect()
    };
    if !open.is_empty() && closers.is_empty() {
        return None;
    }
    if commas.is_empty() && closers.is_empty() {
        return None;
    }
    let mut mended = String::with_capacity(text.len());
    let mut from = 0;
    for &(comma, _) in &commas {
        mended.push_str(&text[from..comma]);
        from = comma + 1;
    }
    mended.push_str(&text[from..]);
    mended.push_str(&closers);
    let (mut value, duplicates) = duplicates::parse(&mended).ok()?;
    if oversized_integer(&mended).is_some() {
        if wide != WideIntegers::Carry {
            return None;
        }
        value = wide_integer::read_valid(&mended)?;
    }
    if !duplicates.is_empty() || limits.check_value(&value).is_err() {
        return None;
    }
    let mut repairs: Vec<Repair> = commas
        .iter()
        .take(MAX_RECORDED_REPAIRS)
        .map(|(comma, path)| {
            records.repair(RepairKind::TrailingComma, || {
                let comma = *comma;
                let head = &text[floor(text, comma.saturating_sub(CONTEXT_BYTES))..comma];
                let tail = &text[comma + 1..floor(text, (comma + 1 + CONTEXT_BYTES).min(text.len()))];
                (
                    path.clone(),
                    snippet(&format!("{head},{tail}")),
                    snippet(&format!("{head}{tail}")),
                )
            })
        })
        .collect();
    // One record per closer, at the container it closes.
    let end = text.trim_end().len();
    let tail = &text[floor(text, end.saturating_sub(CONTEXT_BYTES))..end];
    if cut_number && !closers.is_empty() {
        // The number is the value being written in the innermost container.
        repairs.push(records.repair(RepairKind::TruncatedNumber, || {
            (path_through(text, &open), snippet(tail), snippet(tail))
        }));
    }
    for supplied in 0..closers.len() {
        repairs.push(records.repair(RepairKind::Truncated, || {
            (
                path_of(text, &open[..open.len() - supplied]),
                snippet(&format!("{tail}{}", &closers[..supplied])),
                snippet(&format!("{tail}{}", &closers[..=supplied])),
            )
        }));
    }
    Some(Repaired { value, repairs })
}

fn floor(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

enum Container {
    /// `key`: where the current member's key is written, quotes included.
    Object {
        key: Option<(usize, usize)>,
        expects_key: bool,
    },
    Array {
        index: usize,
    },
}

/// The path of the innermost open container.
fn path_of(text: &str, open: &[Container]) -> JsonPath {
    path_through(text, &open[..open.len().saturating_sub(1)])
}

/// The path through `containers`, each at the member or item being written in it.
fn path_through(text: &str, containers: &[Container]) -> JsonPath {
    let mut path = JsonPath::root();
    for container in containers {
        match container {
            Container::Object {
                key: Some((start, end)),
                ..
            } => {
                if let Ok(key) = serde_json::from_str::<String>(&text[*start..*end]) {
                    path.push_key(&key);
                }
            }
            Container::Object { key: None, .. } => {}
            Container::Array { index } => path.push_index(*index),
        }
    }
    path
}
