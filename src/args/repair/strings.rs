//! Strings: quoted in any style or not at all, cut off by the end of the text, holding raw
//! control characters; the reader decides where each one ends (see `string_ends`).

use super::*;

impl Parser<'_> {
    /// A string, quoted or not, or a literal (`true`, `None` ...) where a value may stand. Where a
    /// quote inside the string ends it is decided as json_repair decides it: by what follows.
    pub(super) fn parse_string(&mut self) -> Parsed<Value> {
        let mut current = self.cur();
        if matches!(current, Some('#' | '/')) {
            self.parse_comment();
            return Ok(nothing());
        }
        let junk_start = self.index;
        let in_key = self.places.is(Place::ObjectKey);
        while let Some(character) = current {
            if is_delimiter(character) || character.is_alphanumeric() {
                break;
            }
            // `_id`, `$ref`: a bare key may start with these; json_repair would drop them.
            if in_key && matches!(character, '_' | '$') && self.at(self.index + 1).is_some_and(is_bare_key_char) {
                break;
            }
            self.index += 1;
            current = self.cur();
        }
        self.record_dropped(junk_start, self.index);
        let Some(first) = current else {
            return Ok(nothing());
        };
        let start = self.index;
        if let Some(text) = self.try_simple_quoted_string()? {
            return Ok(Value::String(text));
        }
        let mut read = match first {
            '\'' => StringRead::new('\'', '\''),
            OPEN_CURLY_QUOTE => StringRead::new(OPEN_CURLY_QUOTE, CLOSE_CURLY_QUOTE),
            _ => StringRead::new('"', '"'),
        };
        if !is_delimiter(first) {
            if !self.places.is(Place::ObjectKey) {
                if let Some(value) = self.parse_python_word() {
                    return Ok(value);
                }
                if matches!(first.to_ascii_lowercase(), 't' | 'f' | 'n') {
                    if let Some(value) = self.parse_boolean_or_null() {
                        return Ok(value);
                    }
                }
            }
            read.missing_quotes = true;
        } else {
            self.index += 1;
        }
        if self.cur() == Some('`') {
            if let Some(value) = self.parse_json_llm_block()? {
                return Ok(value);
            }
        }
        if !read.missing_quotes && self.cur() == Some(read.open_quote) {
            let next = self.at(self.index + 1);
            let empty = match self.places.current() {
                Some(Place::ObjectKey) => next == Some(':'),
                Some(Place::ObjectValue) => matches!(next, Some(',' | '}')),
                Some(Place::Array) => matches!(next, Some(',' | ']')),
                None => false,
            };
            if empty {
                self.index += 1;
                self.record_quote_style(&read, start);
                return Ok(Value::String(String::new()));
            }
            if next == Some(read.open_quote) {
                return Ok(nothing());
            }
            let closing = self.find_unescaped(self.index + 1, &[read.outer()]);
            if self.at(closing + 1) == Some(read.outer()) {
                read.doubled_quotes = true;
                self.index += 1;
            } else {
                let after = self.skip_space_from(self.index + 1);
                let next = self.at(after);
                if next.is_some_and(|c| is_delimiter(c) || c == '{' || c == '[') {
                    self.index += 1;
                    return Ok(Value::String(String::new()));
                }
                if !matches!(next, Some(',' | ']' | '}')) {
                    self.record(RepairKind::DroppedText, read.open_quote.to_string(), "");
                    self.index += 1;
                }
            }
        }
        let end = self.scan_string_body(&mut read, start)?;
        self.finish_string(read, end, start)
    }

    /// json_repair's fast path: a `"` string without escapes or line breaks whose closing quote is
    /// followed by what may follow a string in this place.
    pub(super) fn try_simple_quoted_string(&mut self) -> Parsed<Option<String>> {
        if self.split_pending || self.at(self.index) != Some('"') {
            return Ok(None);
        }
        let start = self.index + 1;
        let limit = self.lookahead_end(start);
        // One pass finds the closing quote, or what rules the fast path out, and notes raw
        // control characters on the way.
        let mut controls = false;
        let mut position = start.min(limit);
        let stop = loop {
            let next = match self.ascii_text {
                Some(text) => text.as_bytes()[position..limit]
                    .iter()
                    .position(|&byte| byte == b'"' || byte == b'\\' || byte < b' ')
                    .map(|offset| position + offset),
                None => (position..limit).find(|&at| matches!(self.chars[at], '"' | '\\' | '\0'..='\u{1f}')),
            };
            match next.map(|at| (at, self.chars[at])) {
                Some((at, '"' | '\\' | '\n' | '\r')) => break Some(at),
                Some((at, _)) => {
                    controls = true;
                    position = at + 1;
                }
                None => break None,
            }
        };
        let end = stop.unwrap_or(limit);
        self.spend(end - start + 1);
        if stop.is_none() || self.chars[end] != '"' {
            return Ok(None);
        }
        let after = self.skip_space_from(end + 1);
        let next = self.at(after);
        let fits = match self.places.current() {
            Some(Place::ObjectKey) => next == Some(':'),
            Some(Place::ObjectValue) => matches!(next, None | Some(',' | '}')),
            Some(Place::Array) => matches!(next, None | Some(',' | ']')),
            None => next.is_none(),
        };
        if !fits {
            return Ok(None);
        }
        let text = self.slice(start, end);
        self.check_string_length(self.index, text.len())?;
        if controls {
            for control in text.chars().filter(|c| *c < ' ') {
                self.record_built(RepairKind::ControlCharacter, |_| {
                    (control.to_string(), json_escaped(&control.to_string()))
                });
            }
        }
        self.index = end + 1;
        Ok(Some(text))
    }

    /// Appends `character` as text of the string and moves on.
    pub(super) fn append_literal(&mut self, read: &mut StringRead, character: char) -> Option<char> {
        if is_delimiter(character) {
            read.inner_quotes += 1;
        }
        read.push_raw(character);
        self.index += 1;
        self.cur()
    }

    /// Reads the string's characters up to where it ends. Returns the character it stopped at:
    /// its closing quote, or what ends it without one; None at the end of the text.
    pub(super) fn scan_string_body(&mut self, read: &mut StringRead, start: usize) -> Parsed<Option<char>> {
        let outer = read.outer();
        let mut current = self.cur();
        while let Some(character) = current {
            let run_end = self.plain_run_end(read);
            if run_end > self.index {
                read.push_plain(self.ascii_text, &self.chars, self.index, run_end);
                self.index = run_end;
                current = self.cur();
                continue;
            }
            if character == outer && !read.in_low_quote_span() {
                break;
            }
            self.check_string_length(start, read.text.len())?;
            if read.missing_quotes {
                if self.places.is(Place::ObjectKey) && (character == ':' || is_space(character)) {
                    break;
                }
                if self.places.is(Place::Array) && (character == ']' || character == ',') {
                    break;
                }
            }
            if character == LOW_QUOTE && read.last() != Some('\\') {
                read.low_quote_spans += 1;
                current = self.append_literal(read, character);
                continue;
            }
            if read.in_low_quote_span() && character == CLOSE_CURLY_QUOTE {
                read.low_quote_spans -= 1;
                current = self.append_literal(read, character);
                continue;
            }
            let container_starts = read.pending_inline_container
                || (self.places.is(Place::ObjectValue)
                    && character == '{'
                    && self.at(self.index.wrapping_sub(1)) != Some('\\')
                    && {
                        let key = self.skip_space_from(self.index + 1);
                        self.bare_key_followed_by_colon(key)
                    });
            if container_starts && is_inline_opener(character) && read.last() != Some('\\') {
                if let Some(end) = self.skip_inline_container(self.index) {
                    read.pending_inline_container = false;
                    read.inline_containers.clear();
                    for position in self.index..end {
                        read.push_raw(self.chars[position]);
                    }
                    self.index = end;
                    current = self.cur();
                    continue;
                }
            }
            if self.places.is(Place::ObjectValue)
                && character == ','
                && !read.pending_inline_container
                && read.inline_containers.is_empty()
            {
                let role = if read.no_future_delimiter {
                    CommaRole::Text
                } else {
                    self.classify_object_value_comma()
                };
                match role {
                    CommaRole::Member => break,
                    role => {
                        read.no_future_delimiter |= role == CommaRole::TextToTheEnd;
                        read.pending_inline_container = role == CommaRole::Container;
                        current = self.append_literal(read, character);
                        continue;
                    }
                }
            }
            if update_inline_containers(character, read) {
                current = self.append_literal(read, character);
                continue;
            }
            if self.places.is(Place::ObjectValue) && character == '}' && read.last() != Some(outer) {
                if read.open_braces > 0 {
                    current = self.append_literal(read, character);
                    continue;
                }
                let mut closing_quote_missing = true;
                if self.at(self.index + 1) == Some('\\') {
                    closing_quote_missing = false;
                }
                let quote = self.find_unescaped(self.index + 1, &[outer]);
                if self.at(quote).is_some() {
                    let after = self.skip_space_from(quote + 1);
                    match self.at(after) {
                        None | Some(',' | '}') => closing_quote_missing = false,
                        Some(_) => {
                            let next_quote = self.find_unescaped(after, &[read.open_quote]);
                            if self.at(next_quote).is_none() {
                                closing_quote_missing = false;
                            } else {
                                let after_next = self.skip_space_from(next_quote + 1);
                                if self.at(after_next).is_some_and(|c| c != ':') {
                                    closing_quote_missing = false;
                                }
                            }
                        }
                    }
                } else {
                    let colon = self.find_unescaped(self.index + 1, &[':']);
                    if self.at(colon).is_some() {
                        break;
                    }
                    let from = self.skip_space_from(self.index + 1);
                    let brace = self.find_unescaped(from, &['}']);
                    if brace > from + 1 {
                        closing_quote_missing = false;
                    }
                }
                if closing_quote_missing {
                    break;
                }
            }
            if character == ']' && self.places.contains(Place::Array) && read.last() != Some(outer) {
                let quote = self.find_unescaped(self.index, &[outer]);
                if self.at(quote).is_none() {
                    break;
                }
            }
            if self.places.is(Place::ObjectValue) && character == '}' {
                let next = self.skip_space_from(self.index + 1);
                if self.at(next) == Some('`') && self.at(next + 1) == Some('`') && self.at(next + 2) == Some('`') {
                    if self.brace_before_fence_belongs_to_string(read, next) {
                        current = self.append_literal(read, character);
                        continue;
                    }
                    break;
                }
                if self.at(next).is_none() {
                    break;
                }
            }

            if character < ' ' && !read.missing_quotes && read.raw_controls.len() < MAX_RECORDED_REPAIRS {
                read.raw_controls.push((read.text.len(), character));
            }
            read.push_raw(character);
            self.index += 1;
            current = self.cur();
            let Some(mut next) = current else {
                break;
            };
            if read.ends_with_raw_backslash() {
                let (handled, after) = self.normalize_escape(read, next);
                current = after;
                if handled {
                    continue;
                }
                self.record_built(RepairKind::InvalidEscape, |parser| {
                    let escape_end = (parser.index + 1).min(parser.len());
                    let written = format!("\\{}", parser.slice(parser.index, escape_end));
                    let escaped = json_escaped(&written);
                    (written, escaped)
                });
                let Some(after) = current else {
                    break;
                };
                next = after;
            }
            if next == ':' && !read.missing_quotes && self.places.is(Place::ObjectKey) {
                let open = self.find_unescaped(self.index + 1, &[read.open_quote]);
                if self.at(open).is_some() {
                    let close = self.find_unescaped(open + 1, &[outer]);
                    if self.at(close).is_some() {
                        let after = self.skip_space_from(close + 1);
                        if matches!(self.at(after), Some(',' | '}')) {
                            break;
                        }
                    }
                } else {
                    break;
                }
            }
            if read.in_low_quote_span() && next == '"' {
                read.low_quote_spans -= 1;
                current = self.append_literal(read, next);
                continue;
            }
            if next == outer && self.places.is(Place::ObjectValue) && self.quote_in_character_class(read) {
                current = self.append_literal(read, next);
                continue;
            }
            if next == outer && !read.text.is_empty() && !read.ends_with_raw_backslash() {
                let (handled, after, stop) = self.right_quote_candidate(read, next);
                current = after;
                if stop {
                    break;
                }
                if handled {
                    continue;
                }
            }
        }
        Ok(current)
    }

    /// The end of a run of characters from `index` that the string loop would only append one
    /// by one: each is plain text (see [`PLAIN_IN_STRING`]) and so is the character after it,
    /// which the loop looks at before going on. The run stops where the string would outgrow its
    /// limit, so the loop's own check refuses it at the same place. Only an ASCII text, read
    /// as bytes, has runs.
    fn plain_run_end(&self, read: &StringRead) -> usize {
        let Some(text) = self.ascii_text else {
            return self.index;
        };
        let bytes = text.as_bytes();
        let plain = |byte: u8| PLAIN_IN_STRING[usize::from(byte)];
        if self.split_pending || !bytes.get(self.index + 1).is_some_and(|&byte| plain(byte)) {
            return self.index;
        }
        // A space ends an unquoted key.
        let space_ends = read.missing_quotes && self.places.is(Place::ObjectKey);
        let room = self.limits.max_string_length.saturating_sub(read.text.len());
        let limit = self.index.saturating_add(room).saturating_add(1).min(bytes.len());
        let first_not_plain = bytes[self.index..limit]
            .iter()
            .position(|&byte| !plain(byte) || (space_ends && byte == b' '))
            .map_or(limit, |offset| self.index + offset);
        // The last plain character is left to the loop, which looks at what follows it.
        first_not_plain.saturating_sub(1).max(self.index)
    }

    /// Ends a string: consumes its closing quote, trims what json_repair trims, records.
    pub(super) fn finish_string(&mut self, mut read: StringRead, end: Option<char>, start: usize) -> Parsed<Value> {
        let outer = read.outer();
        if let Some(character) = end {
            if read.missing_quotes && self.places.is(Place::ObjectKey) && is_space(character) {
                self.skip_whitespaces();
                if !matches!(self.cur(), Some(':' | ',')) {
                    self.record_dropped(start, self.index);
                    return Ok(nothing());
                }
            }
        }
        let closed = end == Some(outer);
        let ran_to_end = end.is_none();
        if closed {
            self.index += 1;
        } else {
            read.trim_end();
        }
        let mut line_breaks_dropped = String::new();
        if read.missing_quotes {
            read.trim_end();
        } else if closed && read.raw_trailing_space > 0 && read.text.ends_with('\n') {
            line_breaks_dropped = read.drop_raw_line_breaks();
        }
        self.check_string_length(start, read.text.len())?;
        let truncated = !closed && (ran_to_end || (!read.missing_quotes && self.only_closers_follow()));
        if truncated {
            let before = self.snippet_of(start, self.index);
            self.record(RepairKind::TruncatedString, before, self.value_text_snippet(&read.text));
        }
        if self.has_room() {
            self.record_quote_style(&read, start);
            if read.inner_quotes > 0 {
                let before = self.snippet_of(start, self.index);
                self.record(RepairKind::UnescapedQuote, before, self.value_text_snippet(&read.text));
            }
            for (position, control) in &read.raw_controls {
                if *position < read.text.len() {
                    self.record_built(RepairKind::ControlCharacter, |_| {
                        (control.to_string(), json_escaped(&control.to_string()))
                    });
                }
            }
            if !line_breaks_dropped.is_empty() {
                let quote = outer.to_string();
                self.record_built(RepairKind::TrailingLineBreak, |_| {
                    (format!("{}{quote}", json_escaped(&line_breaks_dropped)), quote.clone())
                });
            }
            if !closed && !truncated && !read.missing_quotes {
                let before = self.snippet_of(start, self.index);
                self.record(RepairKind::UnquotedString, before, self.value_text_snippet(&read.text));
            }
        }
        Ok(Value::String(read.text))
    }

    pub(super) fn record_quote_style(&mut self, read: &StringRead, start: usize) {
        let kind = if read.missing_quotes {
            if self.places.is(Place::ObjectKey) {
                RepairKind::UnquotedKey
            } else {
                RepairKind::UnquotedString
            }
        } else {
            match self.at(start) {
                Some('\'') => RepairKind::SingleQuotes,
                Some(OPEN_CURLY_QUOTE | CLOSE_CURLY_QUOTE) => RepairKind::TypographicQuotes,
                _ => return,
            }
        };
        let before = self.snippet_of(start, self.index);
        let after = self.value_text_snippet(&read.text);
        self.record(kind, before, after);
    }
}

/// The bytes no rule of a string's loop looks at, before or after them: letters, digits, spaces
/// and punctuation that is no quote, bracket, comma, colon, backslash or control character.
static PLAIN_IN_STRING: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 128 {
        table[byte] = (byte as u8).is_ascii_alphanumeric();
        byte += 1;
    }
    let punctuation = b" .-_!?@$%&*+=;<>|~^";
    let mut index = 0;
    while index < punctuation.len() {
        table[punctuation[index] as usize] = true;
        index += 1;
    }
    table
};
