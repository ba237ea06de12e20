//! Short `before`/`after` texts for the record list, cut to a readable length.

use super::*;

/// At most SNIPPET_CHARS characters of `text`, marked with an ellipsis when cut.
pub(super) fn snippet(text: &str) -> String {
    match text.char_indices().nth(SNIPPET_CHARS) {
        None => text.to_owned(),
        Some(_) => {
            let cut = text
                .char_indices()
                .nth(SNIPPET_CHARS - 1)
                .map_or(text.len(), |(index, _)| index);
            format!("{}\u{2026}", &text[..cut])
        }
    }
}

/// `text` as a JSON string literal, cut to snippet length.
pub(super) fn json_snippet(text: &str) -> String {
    let head: String = text.chars().take(SNIPPET_CHARS).collect();
    snippet(&Value::String(head).to_string())
}

/// How `text` is written inside a JSON string, without the quotes.
pub(super) fn json_escaped(text: &str) -> String {
    let quoted = Value::String(text.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// The start of a value's compact JSON, without serializing all of a large value; a carried
/// integer shows as its digits.
pub(super) fn value_snippet(value: &Value) -> String {
    struct Capped(Vec<u8>);
    impl std::io::Write for Capped {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            let room = (SNIPPET_CHARS * 4).saturating_sub(self.0.len());
            if room == 0 {
                return Err(std::io::Error::other("snippet is full"));
            }
            let taken = data.len().min(room);
            self.0.extend_from_slice(&data[..taken]);
            Ok(taken)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut capped = Capped(Vec::new());
    // A full buffer ends serialization early by design.
    let _ = wide_integer::write_json(&mut capped, value);
    snippet(&String::from_utf8_lossy(&capped.0))
}

/// At most SNIPPET_CHARS characters from the end of `text`, marked with an ellipsis when cut.
pub(super) fn last_chars(text: &str) -> String {
    let count = text.chars().count();
    if count <= SNIPPET_CHARS {
        return text.to_owned();
    }
    let tail: String = text.chars().skip(count - (SNIPPET_CHARS - 1)).collect();
    format!("\u{2026}{tail}")
}

pub(super) fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}
