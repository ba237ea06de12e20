//! The top level: one document or several, prose and fences around them, and a valid document
//! after prose read as serde_json reads it.

use super::*;

/// json_repair's "nothing here": an empty string, which a caller tells from a value by context.
pub(super) fn nothing() -> Value {
    Value::String(String::new())
}

/// Python's truthiness, which json_repair uses to drop empty documents.
pub(super) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|float| float != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// Same type and same structure (keys, lengths), whatever the scalar values.
pub(super) fn same_shape(first: &Value, second: &Value) -> bool {
    match (first, second) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, item)| b.get(key).is_some_and(|other| same_shape(item, other)))
        }
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_shape(x, y)),
        (Value::Number(a), Value::Number(b)) => a.is_f64() == b.is_f64(),
        (Value::Null, Value::Null) | (Value::Bool(_), Value::Bool(_)) | (Value::String(_), Value::String(_)) => true,
        _ => false,
    }
}

impl Parser<'_> {
    /// Every document in the text: one is the value; several are returned as a list, except that
    /// an empty document gives way to the next, and a document repeated with the same shape and
    /// no comma between is read as an update of the one before.
    pub(super) fn parse_top_level(&mut self) -> Parsed<Option<Value>> {
        let first = self.parse_json()?;
        if self.index >= self.len() {
            // One document, the usual case: no list of documents is needed.
            return Ok((first != nothing()).then_some(first));
        }
        self.values_after_document = self.document_goes_on_here();
        let mut documents = vec![first];
        while self.index < self.len() {
            self.places.clear();
            self.deferred.clear();
            let comma_separated = self.next_top_level_value_is_comma_separated();
            let start = self.index;
            let document = self.parse_json()?;
            if truthy(&document) {
                let before = snippet(self.slice(start, self.index.min(start + SNIPPET_CHARS * 2)).trim());
                let last = documents.last().unwrap_or(&Value::Null);
                if (!comma_separated && same_shape(last, &document)) || !truthy(last) {
                    documents.pop();
                }
                documents.push(document);
                self.record(RepairKind::ConcatenatedDocuments, before, "");
            } else {
                self.step();
            }
        }
        if documents.len() == 1 {
            let only = documents.pop().unwrap_or(Value::Null);
            return Ok((only != Value::String(String::new())).then_some(only));
        }
        Ok(Some(Value::Array(documents)))
    }

    /// Whether the text from `index`, right after the first document, goes on writing it; a
    /// comma the document's reading passed over before giving up counts.
    fn document_goes_on_here(&mut self) -> bool {
        let mut from = self.index;
        while from > 0 && self.at(from - 1).is_some_and(is_space) {
            from -= 1;
        }
        self.spend(self.index - from + 1);
        if from == 0 || self.at(from - 1) != Some(',') {
            from = self.index;
        } else {
            from -= 1;
        }
        continues_a_document(&self.slice(from, self.len()))
    }

    pub(super) fn next_top_level_value_is_comma_separated(&mut self) -> bool {
        let next = self.skip_space_from(self.index);
        if self.at(next) == Some(',') {
            return true;
        }
        let mut position = self.index;
        let floor = self.lookbehind_floor(self.index);
        while position > floor && self.at(position - 1).is_some_and(is_space) {
            position -= 1;
        }
        self.spend(self.index - position + 1);
        position > 0 && self.at(position - 1) == Some(',')
    }

    /// The next value. Outside any container only an object, an array, a tuple or a comment
    /// starts one, and everything else is skipped as prose.
    pub(super) fn parse_json(&mut self) -> Parsed<Value> {
        if !self.deferred.is_empty() {
            let deferred = std::mem::take(&mut self.deferred);
            for place in &deferred {
                self.places.push(*place);
            }
            let value = self.parse_json();
            for _ in &deferred {
                self.places.pop();
            }
            return value;
        }
        let mut skipped_from: Option<usize> = None;
        let value = loop {
            if self.split_pending {
                self.flush_skipped(skipped_from.take());
                self.split_pending = false;
                break self.parse_object(self.index)?;
            }
            let Some(character) = self.at(self.index) else {
                self.flush_skipped(skipped_from.take());
                break nothing();
            };
            let inside = !self.places.is_empty();
            if !inside && (character == '{' || character == '[') {
                if let Some(end) = self.prose_bracket_end(self.index) {
                    skipped_from.get_or_insert(self.index);
                    self.index = end;
                    continue;
                }
            }
            if !inside && !self.tried_valid_document && (character == '{' || character == '[') {
                self.tried_valid_document = true;
                let prose = skipped_from.take();
                let records = self.repairs.len();
                self.flush_skipped(prose);
                if let Some(value) = self.valid_document_here() {
                    break value;
                }
                self.forget_records_since(records);
                skipped_from = prose;
            }
            if inside && (character == '{' || character == '[') {
                self.flush_skipped(skipped_from.take());
                if let Some(value) = self.valid_container_here() {
                    break value;
                }
            }
            match character {
                '{' => {
                    self.flush_skipped(skipped_from.take());
                    let open = self.index;
                    self.index += 1;
                    break self.parse_object(open)?;
                }
                '[' => {
                    self.flush_skipped(skipped_from.take());
                    let open = self.index;
                    self.index += 1;
                    break Value::Array(self.parse_array(']', open)?);
                }
                '(' if inside || self.top_level_parenthesized_can_start_value() => {
                    self.flush_skipped(skipped_from.take());
                    break self.parse_parenthesized()?;
                }
                _ if inside && (is_delimiter(character) || character.is_alphabetic()) => {
                    self.flush_skipped(skipped_from.take());
                    break self.parse_string()?;
                }
                _ if inside && (character.is_ascii_digit() || character == '-' || character == '.') => {
                    self.flush_skipped(skipped_from.take());
                    break self.parse_number()?;
                }
                '#' | '/' => {
                    self.flush_skipped(skipped_from.take());
                    self.parse_comment();
                    if inside {
                        break nothing();
                    }
                    self.skip_whitespaces();
                }
                _ => {
                    skipped_from.get_or_insert(self.index);
                    self.index += 1;
                }
            }
        };
        Ok(value)
    }

    /// `Use {braces} like so: {"a": 1}`: a bracket outside any document holding only words, with a
    /// document start after it, is prose. Returns where the prose bracket ends.
    pub(super) fn prose_bracket_end(&mut self, open: usize) -> Option<usize> {
        let closer = if self.at(open)? == '{' { '}' } else { ']' };
        let limit = (open + 1 + PROSE_BRACKET_CHARS).min(self.len());
        let mut position = open + 1;
        let mut words = false;
        while position < limit {
            let character = self.chars[position];
            if character == closer {
                break;
            }
            let allowed = character.is_alphabetic() || matches!(character, ' ' | '.' | '!' | '?' | '-');
            if !allowed {
                return None;
            }
            words |= character.is_alphabetic();
            position += 1;
        }
        self.spend(position - open);
        if position >= limit || !words {
            return None;
        }
        let body = self.slice(open + 1, position);
        if matches!(body.trim(), "true" | "false" | "null" | "True" | "False" | "None") {
            return None;
        }
        let next_document = self.find_plain(position + 1, &['{', '[']);
        (next_document < self.len()).then_some(position + 1)
    }

    /// The document starting at `index` after prose, if it is valid JSON within the limits: read
    /// as serde_json reads it, so prose can never bend a valid document.
    pub(super) fn valid_document_here(&mut self) -> Option<Value> {
        // The text itself while it is unchanged; a copy only once it was unescaped.
        let copied: String;
        if self.unchanged_text.is_some() && self.broken_first_value.is_some() {
            // serde_json read the text from this very value and failed inside it.
            let start = match self.ascii_text {
                Some(_) => Some(self.index),
                None => self.char_starts.get(self.index).copied(),
            };
            if start == self.broken_first_value {
                return None;
            }
        }
        let rest = match (self.unchanged_text, self.ascii_text) {
            (Some(_), Some(text)) => text.get(self.index..)?,
            (Some(text), None) => text.get(*self.char_starts.get(self.index)?..)?,
            _ => {
                copied = self.chars[self.index..].iter().collect();
                &copied
            }
        };
        // Checked first without building anything: a broken document (the common case, since
        // the text as a whole was refused) costs no values built in vain.
        let mut check = serde_json::Deserializer::from_str(rest).into_iter::<IgnoredAny>();
        check.next()?.ok()?;
        let document = &rest[..check.byte_offset()];
        let mut value = serde_json::from_str::<Value>(document).ok()?;
        if valid_stretch::holds_integral_float(&value) && oversized_integer(document).is_some() {
            if self.wide != WideIntegers::Carry {
                return None;
            }
            value = wide_integer::read_valid(document)?;
        }
        if self.limits.check_value(&value).is_err() {
            return None;
        }
        // Members or items that go on after it (`{"a": 1}, "b": 2}`) belong to it.
        let after = rest[document.len()..].trim_start_matches(is_space);
        if after.starts_with([',', ':', '"', '\'', '}', ']']) {
            return None;
        }
        self.index += document.chars().count();
        Some(value)
    }

    pub(super) fn flush_skipped(&mut self, skipped_from: Option<usize>) {
        if let Some(from) = skipped_from {
            if self.places.is_empty() {
                self.record_outside_text(from, self.index);
            } else {
                self.record_dropped(from, self.index);
            }
        }
    }

    /// "```json ... ```" where a string should start: the fenced document is the value.
    pub(super) fn parse_json_llm_block(&mut self) -> Parsed<Option<Value>> {
        if !self.starts_with_at(self.index, "```json") {
            return Ok(None);
        }
        let backtick = self.find_unescaped(self.index + 7, &['`']);
        if !self.starts_with_at(backtick, FENCE) {
            return Ok(None);
        }
        let fence = self.index;
        self.enter_container(fence)?;
        self.index += 7;
        let value = self.parse_json();
        self.depth -= 1;
        let value = value?;
        self.record(RepairKind::MarkdownFence, "```json", "");
        Ok(Some(value))
    }
}

/// Whether `after`, the text right after a document's last closer, goes on writing it: a comma
/// then something a member or item starts with, or a quoted key and its colon. Prose after a
/// document (`and also s=x`, `Note: ...`) and a closing fence do not.
pub(super) fn continues_a_document(after: &str) -> bool {
    // A stray closer before them (`{"a": 0}}, "s": "x"`) does not end them.
    let after = after.trim_start_matches(|c: char| is_space(c) || c == '}' || c == ']');
    match after.strip_prefix(',') {
        Some(rest) => starts_member_or_item(rest.trim_start_matches(is_space)),
        None => starts_quoted_key(after),
    }
}

/// `"s": ...`, `'s': ...`, `s: ...`, `s=...`, a string or a number. A bracket starts a second
/// document, which is judged as one.
fn starts_member_or_item(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if is_delimiter(first) || first.is_ascii_digit() || matches!(first, '-' | '.') {
        return true;
    }
    let name_end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    name_end > 0 && text[name_end..].trim_start_matches([' ', '\t']).starts_with([':', '='])
}

/// `"s": ...`: a quoted string, then a colon.
fn starts_quoted_key(text: &str) -> bool {
    let mut characters = text.char_indices();
    let Some((_, quote)) = characters.next().filter(|&(_, first)| is_delimiter(first)) else {
        return false;
    };
    let close = matching_quote(quote);
    let mut escaped = false;
    for (at, character) in characters {
        if character == '\n' {
            return false;
        }
        if escaped {
            escaped = false;
        } else if character == '\\' {
            escaped = true;
        } else if character == close || (quote != close && character == quote) {
            let rest = text[at + character.len_utf8()..].trim_start_matches([' ', '\t']);
            return rest.starts_with(':');
        }
    }
    false
}
