//! Arrays and Python tuples: items, missing commas, mismatched closers and ellipses.

use super::*;

pub(super) fn is_strictly_empty(value: &Value) -> bool {
    match value {
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

impl Parser<'_> {
    /// The items of an array (or tuple, with `closing` `)`) whose first item starts at `index`.
    pub(super) fn parse_array(&mut self, closing: char, open: usize) -> Parsed<Vec<Value>> {
        self.enter_container(open)?;
        self.places.push(Place::Array);
        let items = self.parse_items(closing);
        self.places.pop();
        self.depth -= 1;
        items
    }

    pub(super) fn parse_items(&mut self, closing: char) -> Parsed<Vec<Value>> {
        let mut items = Vec::new();
        self.skip_whitespaces();
        let mut current = self.cur();
        let mut separated = true;
        while let Some(character) = current {
            if character == closing || (character == '}' && !self.split_pending) {
                break;
            }
            let iteration_start = self.index;
            if !separated && !self.split_pending {
                let (before, after) = self.insertion_snippets(self.index, ", ");
                self.path.push(PathItem::Index(items.len()));
                self.record(RepairKind::MissingComma, before, after);
                self.path.pop();
            }
            self.path.push(PathItem::Index(items.len()));
            let value = if is_delimiter(character) && !self.split_pending {
                let quote_end = self.find_unescaped(self.index + 1, &[character]);
                let after = self.skip_space_from(quote_end + 1);
                if self.at(after) == Some(':') {
                    let (before, after) = self.insertion_snippets(self.index, "{");
                    self.record(RepairKind::MismatchedBracket, before, after);
                    self.parse_object(self.index)?
                } else {
                    self.parse_string()?
                }
            } else {
                self.parse_json()?
            };
            let next = self.cur();
            // An empty value before the next item or the end is an item (`[[], 1]`, `[\n  []\n]`).
            let following_at = self.skip_space_from(self.index);
            let following = self.at(following_at);
            if is_strictly_empty(&value) && following != Some(closing) && following != Some(',') {
                if next.is_some_and(|c| !is_space(c)) {
                    self.record_dropped(self.index, self.index + 1);
                }
                self.step();
            } else if value.as_str() == Some("...") && self.index > 0 && self.at(self.index - 1) == Some('.') {
                self.record(RepairKind::Ellipsis, "...", "");
            } else {
                items.push(value);
            }
            self.path.pop();
            current = self.cur();
            separated = false;
            let mut commas = 0;
            let mut last_comma = 0;
            while let Some(character) = current {
                if character == closing || !(is_space(character) || character == ',') || self.split_pending {
                    break;
                }
                if character == ',' {
                    commas += 1;
                    separated = true;
                    last_comma = self.index;
                }
                self.index += 1;
                current = self.cur();
            }
            if commas > 1 {
                self.record(RepairKind::DroppedText, ",".repeat(commas - 1), "");
            }
            if commas > 0 && (current.is_none() || current == Some(closing) || current == Some('}')) {
                self.record_trailing_comma(last_comma);
            }
            if self.index == iteration_start && !self.split_pending {
                self.step();
                current = self.cur();
            }
        }
        match current {
            Some(character) if character == closing => {}
            Some(other) => self.record(RepairKind::MismatchedBracket, other.to_string(), closing.to_string()),
            None => self.record_truncated(closing),
        }
        self.step();
        Ok(items)
    }

    /// `(1, 2)` is a list, `(1)` the value inside.
    pub(super) fn parse_parenthesized(&mut self) -> Parsed<Value> {
        let explicit_tuple = self.parenthesized_is_explicit_tuple();
        let open = self.index;
        self.index += 1;
        let mut items = self.parse_array(')', open)?;
        let before = self.snippet_of(open, self.index);
        if explicit_tuple || items.len() != 1 {
            let value = Value::Array(items);
            self.record_built(RepairKind::TupleToArray, |_| (before, value_snippet(&value)));
            return Ok(value);
        }
        let value = items.pop().unwrap_or(Value::Null);
        self.record_built(RepairKind::DroppedText, |_| (before, value_snippet(&value)));
        Ok(value)
    }

    /// Whether the `(` at `index` starts an explicit tuple: empty, or a comma at its top level.
    pub(super) fn parenthesized_is_explicit_tuple(&mut self) -> bool {
        let mut saw_content = false;
        let (answer, position) = self.walk_parenthesized(|character, top| {
            if top && !is_space(character) && character != ',' && character != ')' {
                saw_content = true;
            }
            match character {
                ')' if top => Some(!saw_content),
                ',' if top => Some(true),
                _ => None,
            }
        });
        self.spend(position - self.index);
        answer.unwrap_or(!saw_content)
    }

    /// Walks the group the `(` at `index` opens, as far as one look-ahead reaches, past strings
    /// and nested brackets. `visit` sees each character outside strings (a string's opening quote
    /// included) and whether it stands at the group's top level; the walk stops at its first
    /// answer, or just past the group's closing `)`. Returns the answer and where the walk stopped.
    pub(super) fn walk_parenthesized<T>(&self, mut visit: impl FnMut(char, bool) -> Option<T>) -> (Option<T>, usize) {
        let end = self.lookahead_end(self.index + 1);
        let mut position = self.index + 1;
        let (mut parentheses, mut brackets, mut braces) = (0usize, 0usize, 0usize);
        let mut quote: Option<char> = None;
        let mut backslashes = 0usize;
        while position < end {
            let character = self.chars[position];
            position += 1;
            if character == '\\' {
                backslashes += 1;
                continue;
            }
            let escaped = backslashes % 2 == 1;
            backslashes = 0;
            if let Some(open) = quote {
                if character == open && !escaped {
                    quote = None;
                }
                continue;
            }
            let top = parentheses == 0 && brackets == 0 && braces == 0;
            let answer = visit(character, top);
            if answer.is_some() {
                return (answer, position);
            }
            if is_delimiter(character) && !escaped {
                quote = Some(character);
                continue;
            }
            match character {
                '(' => parentheses += 1,
                ')' if top => break,
                ')' => parentheses = parentheses.saturating_sub(1),
                '[' => brackets += 1,
                ']' => brackets = brackets.saturating_sub(1),
                '{' => braces += 1,
                '}' => braces = braces.saturating_sub(1),
                _ => {}
            }
        }
        (None, position)
    }

    /// Whether a `(` outside any document starts a value, not prose like `foo (see below):`:
    /// it opens its line and what it holds looks like values, and nothing follows it on its line.
    pub(super) fn top_level_parenthesized_can_start_value(&mut self) -> bool {
        let mut position = self.index;
        let floor = self.lookbehind_floor(self.index);
        while position > floor {
            let character = self.chars[position - 1];
            if character == '\n' || character == '\r' {
                break;
            }
            if !is_space(character) {
                return false;
            }
            position -= 1;
        }
        self.spend(self.index - position + 1);
        let first = self.skip_space_from(self.index + 1);
        let Some(inner) = self.at(first) else {
            return false;
        };
        let starts_value = matches!(inner, ')' | '{' | '[' | '(' | '-' | '.')
            || is_delimiter(inner)
            || inner.is_ascii_digit()
            || self.starts_with_at(first, "true")
            || self.starts_with_at(first, "null")
            || self.starts_with_at(first, "false");
        if !starts_value {
            return false;
        }
        let (closed, mut position) = self.walk_parenthesized(|character, top| (character == ')' && top).then_some(()));
        let mut answer = true;
        if closed.is_some() {
            // Only space may follow the group on its line.
            let end = self.lookahead_end(self.index + 1);
            while position < end {
                let trailer = self.chars[position];
                if trailer == '\n' || trailer == '\r' {
                    break;
                }
                if !is_space(trailer) {
                    answer = false;
                    break;
                }
                position += 1;
            }
        }
        self.spend(position - self.index);
        answer
    }

    pub(super) fn starts_with_at(&self, position: usize, word: &str) -> bool {
        (position..)
            .zip(word.chars())
            .all(|(at, expected)| self.at(at) == Some(expected))
    }
}
