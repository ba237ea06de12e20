//! Objects: members, keys without quotes or colons, duplicate keys, and objects that turn out to be
//! something else (a list, an escaped document).

use super::*;

/// Members an object has room for from the start: most have no more, and an object that grows
/// from empty moves its members and rehashes its keys at the fourth.
pub(super) const MEMBERS_RESERVED: usize = 8;

pub(super) enum MembersEnd {
    /// The members went into the object.
    Object,
    /// The object read as something else (a list, an unescaped document).
    Replaced(Value),
}

/// `map.contains_key(key)`, without hashing for the small objects arguments mostly are.
pub(super) fn has_key(map: &Map<String, Value>, key: &str) -> bool {
    member(map, key).is_some()
}

/// `map.get(key)`, without hashing for the small objects arguments mostly are.
pub(super) fn member<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    if map.len() <= 8 {
        map.iter()
            .find_map(|(existing, value)| (existing == key).then_some(value))
    } else {
        map.get(key)
    }
}

/// A key read where a string was expected; a literal stands for its text.
pub(super) fn key_text(value: Value) -> String {
    match value {
        Value::String(text) => text,
        other => other.to_string(),
    }
}

/// Appends the items of an array that continued after its `]` to the array before: rows stay
/// rows (`[[1, 2]], [3, 4]` gives two rows), loose items of a row's length are grouped into rows.
pub(super) fn merge_rows(previous: &mut Vec<Value>, new_items: Vec<Value>, affordable: bool) {
    let row_length = if affordable {
        let mut lengths = previous.iter().filter_map(Value::as_array).map(Vec::len);
        match lengths.next() {
            Some(first) if first > 0 && lengths.all(|length| length == first) => Some(first),
            _ => None,
        }
    } else {
        None
    };
    let Some(row_length) = row_length else {
        match <[Value; 1]>::try_from(new_items) {
            Ok([Value::Array(inner)]) => previous.extend(inner),
            Ok([single]) => previous.push(single),
            Err(items) => previous.extend(items),
        }
        return;
    };
    let loose_start = previous
        .iter()
        .rposition(Value::is_array)
        .map_or(0, |last_row| last_row + 1);
    let loose: Vec<Value> = previous.drain(loose_start..).collect();
    if !loose.is_empty() && loose.len() % row_length == 0 {
        let mut loose = loose.into_iter();
        while loose.len() > 0 {
            previous.push(Value::Array(loose.by_ref().take(row_length).collect()));
        }
    } else {
        previous.extend(loose);
    }
    if !new_items.is_empty() {
        if new_items.iter().all(Value::is_array) {
            previous.extend(new_items);
        } else {
            previous.push(Value::Array(new_items));
        }
    }
}

/// Whether `text` holds a `:` outside quotes, as an object's members do.
pub(super) fn has_unquoted_colon(text: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut backslashes = 0usize;
    for character in text.chars() {
        if character == '\\' {
            backslashes += 1;
            continue;
        }
        let escaped = backslashes % 2 == 1;
        backslashes = 0;
        match quote {
            Some(open) if character == open && !escaped => quote = None,
            Some(_) => {}
            None if is_delimiter(character) && !escaped => quote = Some(character),
            None if character == ':' && !escaped => return true,
            None => {}
        }
    }
    false
}

/// Records that leave every value as the model wrote it: members after an early close that carry
/// only these are taken as written.
fn written_as_is(kind: RepairKind) -> bool {
    matches!(
        kind,
        RepairKind::Truncated
            | RepairKind::SingleQuotes
            | RepairKind::TypographicQuotes
            | RepairKind::PythonLiteral
            | RepairKind::MarkdownFence
    )
}

impl Parser<'_> {
    /// An object whose members start at `index` (just past its `{`, or at the implied `{` of a
    /// split); `open` is where it opened.
    pub(super) fn parse_object(&mut self, open: usize) -> Parsed<Value> {
        self.enter_container(open)?;
        let mut object = Map::with_capacity(MEMBERS_RESERVED);
        let value = match self.parse_members(&mut object, open)? {
            MembersEnd::Replaced(value) => value,
            MembersEnd::Object => {
                let mut object = Value::Object(object);
                if self.places.is_empty() {
                    self.parse_members_after_close(&mut object, open)?;
                } else {
                    self.drop_extra_closing_brace();
                }
                object
            }
        };
        self.depth -= 1;
        Ok(value)
    }

    /// `[{"a": 1}}, ...]`: a second `}` right after an object closed inside an array is dropped.
    pub(super) fn drop_extra_closing_brace(&mut self) {
        if self.cur() == Some('}') && !matches!(self.places.current(), Some(Place::ObjectKey | Place::ObjectValue)) {
            self.record(RepairKind::DroppedText, "}", "");
            self.index += 1;
        }
    }

    /// `{"a": 1}, "b": 2}`: members after the object closed too early are its own.
    pub(super) fn parse_members_after_close(&mut self, object: &mut Value, open: usize) -> Parsed<()> {
        loop {
            self.skip_whitespaces();
            if self.cur() != Some(',') {
                return Ok(());
            }
            self.index += 1;
            self.skip_whitespaces();
            if self.cur().is_none() {
                // `{"a": 0},` and the text ends: more members were on their way.
                self.record(RepairKind::Truncated, ",", "");
                return Ok(());
            }
            if !self.cur().is_some_and(is_delimiter) {
                return Ok(());
            }
            let from = self.index;
            let records_before = self.repairs.len();
            let mut more = Map::new();
            let end = self.parse_members(&mut more, open)?;
            let members = self.snippet_of(from, self.index);
            // The checks that guard a reading (a string or number cut or read in part, a key
            // given twice) read the document to its first close, so members past it are taken
            // only as written: clean JSON, at most missing the final brace, and no key the object
            // already has. Otherwise they are still merged, as json_repair merges them, and the
            // reading is recorded as one that may alter meaning.
            let repaired = !self.has_room()
                || self.repairs[records_before..]
                    .iter()
                    .any(|repair| !written_as_is(repair.kind));
            self.record(
                RepairKind::MismatchedBracket,
                format!("}}, {members}"),
                format!(", {members}"),
            );
            let Value::Object(target) = &mut *object else {
                return Ok(());
            };
            let taken_as_written = !repaired && !more.keys().any(|key| target.contains_key(key));
            if !taken_as_written {
                self.record(RepairKind::ValuesAfterDocument, members.clone(), "");
            }
            match end {
                MembersEnd::Object => target.extend(more),
                MembersEnd::Replaced(Value::Object(more)) => {
                    target.extend(more);
                    return Ok(());
                }
                MembersEnd::Replaced(_) => {
                    // What they were read as is no member of the object: they are dropped.
                    if taken_as_written {
                        self.record(RepairKind::ValuesAfterDocument, members, "");
                    }
                    return Ok(());
                }
            }
        }
    }

    pub(super) fn parse_members(&mut self, object: &mut Map<String, Value>, open: usize) -> Parsed<MembersEnd> {
        let start = self.index;
        let records_before = self.repairs.len();
        let parsing_object_value = self.places.is(Place::ObjectValue);
        let mut split = false;
        let mut closed_by_bracket = false;
        let mut last_value_end: Option<usize> = None;
        let mut comma_after_last = false;
        let mut last_comma = 0;
        loop {
            if matches!(self.cur(), None | Some('}')) {
                break;
            }
            let iteration_start = self.index;
            self.skip_whitespaces();
            if self.cur() == Some(':') {
                self.record(RepairKind::DroppedText, ":", "");
                self.index += 1;
            }
            let key_start = self.index;
            let key_records = self.repairs.len();
            let (key, rollback) = self.parse_object_key(object)?;
            // A change to the key was recorded before the key was known: it sits at the key.
            for record in &mut self.repairs[key_records..] {
                record.path = record.path.child_key(&key);
            }
            let key_end = self.index;
            if self.places.contains(Place::Array)
                && has_key(object, &key)
                && !parsing_object_value
                && self.should_split_duplicate_object(rollback)
            {
                let (before, after) = self.insertion_snippets(rollback, "}, {");
                self.record(RepairKind::MismatchedBracket, before, after);
                self.index = rollback;
                self.split_pending = true;
                split = true;
                break;
            }
            self.skip_whitespaces();
            if matches!(self.cur(), None | Some('}')) {
                if !key.is_empty() {
                    self.path.push(PathItem::Key(key.clone()));
                    let before = self.snippet_of(key_start, self.index);
                    self.record(RepairKind::MissingValue, before, "");
                    self.path.pop();
                }
                comma_after_last = false;
                continue;
            }
            if let Some(end) = last_value_end {
                if !comma_after_last && !self.chars[end.min(key_start)..key_start].contains(&',') {
                    let (before, after) = self.insertion_snippets(end, ",");
                    self.record(RepairKind::MissingComma, before, after);
                }
            }
            comma_after_last = false;
            // The key's own path step stays on top until its value is read.
            self.path.push(PathItem::Key(key));
            match self.cur() {
                Some(':') => self.index += 1,
                // `{"key", 105}`: a comma where the colon belongs.
                Some(',') => {
                    let (before, after) = self.edit_snippets(self.index, 1, ":");
                    self.record(RepairKind::MissingColon, before, after);
                    self.index += 1;
                }
                _ if self.index > key_end && self.value_starts_here() => {
                    let (before, after) = self.insertion_snippets(key_end, ":");
                    self.record(RepairKind::MissingColon, before, after);
                }
                // What stands right after the key is read as its colon, as json_repair reads it.
                _ => {
                    let (before, after) = self.edit_snippets(self.index, 1, ":");
                    self.record(RepairKind::MissingColon, before, after);
                    self.step();
                }
            }
            let value = self.parse_object_value()?;
            let key = match self.path.pop() {
                Some(PathItem::Key(key)) => key,
                other => {
                    debug_assert!(false, "the member's key is on top of the path, not {other:?}");
                    String::new()
                }
            };
            if let Some(earlier) = member(object, &key) {
                // A key sent twice: one value if both agree, a refusal if they differ (a reader
                // of the first would see another call than a reader of the last).
                if !same_value(earlier, &value) {
                    return Err(Refusal::new(
                        key_start,
                        format!("the key {} is sent twice with different values", json_snippet(&key)),
                    ));
                }
                self.path.push(PathItem::Key(key.clone()));
                let written = self.snippet_of(key_start, self.index);
                self.record(RepairKind::DuplicateKey, written, "");
                self.path.pop();
            }
            object.insert(key, value);
            last_value_end = Some(self.index);
            let after_value = self.skip_space_from(self.index);
            match self.at(after_value) {
                Some(',') => {
                    self.index = after_value + 1;
                    comma_after_last = true;
                    last_comma = after_value;
                }
                Some(quote @ ('\'' | '"')) if after_value == self.index => {
                    self.record(RepairKind::DroppedText, quote.to_string(), "");
                    self.index += 1;
                }
                _ => {}
            }
            if self.cur() == Some(']') && self.places.contains(Place::Array) {
                closed_by_bracket = true;
                break;
            }
            self.skip_whitespaces();
            if self.index == iteration_start {
                self.index += 1;
            }
        }
        let at_end = self.cur().is_none();
        if closed_by_bracket {
            self.record(RepairKind::MismatchedBracket, "]", "}]");
        } else if !split {
            if comma_after_last {
                self.record_trailing_comma(last_comma);
            }
            // `{"a": [1, 2}`: the `}` that closed the list closed the object too.
            let closed_by_inner = self.at(self.index.wrapping_sub(1)) == Some('}')
                && self
                    .repairs
                    .last()
                    .is_some_and(|last| last.kind == RepairKind::MismatchedBracket);
            if at_end && !closed_by_inner {
                self.record_truncated('}');
            }
            self.step();
        }
        // json_repair steps past the end of a truncated text, and counts that step here.
        let span_end = if at_end && !split && !closed_by_bracket {
            self.len() + 1
        } else {
            self.index
        };
        if object.is_empty() && span_end > start + 2 {
            if let Some(value) = self.reread_empty_object(start, open, records_before)? {
                return Ok(MembersEnd::Replaced(value));
            }
        }
        Ok(MembersEnd::Object)
    }

    /// The text ended inside this container: it is closed, after the closers already supplied
    /// for the containers inside it.
    pub(super) fn record_truncated(&mut self, closer: char) {
        if self.has_room() {
            let end = match self.content_end {
                Some(end) => end,
                None => {
                    let mut end = self.len();
                    while end > 0 && is_space(self.chars[end - 1]) {
                        end -= 1;
                    }
                    // A number on the very last byte may be the start of a longer one: `10` cut
                    // from `1000`, `12.` from `12.5`. The document still closes, but the road
                    // will not trust it.
                    if end == self.len() && ends_inside_number(&self.chars[..end]) {
                        let tail = self.tail_snippet(end);
                        self.record_cut_number(last_chars(&tail));
                    }
                    *self.content_end.insert(end)
                }
            };
            if self.wants_snippets() {
                let tail = self.tail_snippet(end);
                let before = format!("{tail}{}", self.supplied_closers);
                let after = format!("{before}{closer}");
                self.record(RepairKind::Truncated, last_chars(&before), last_chars(&after));
            } else {
                self.record(RepairKind::Truncated, "", "");
            }
        }
        if self.supplied_closers.len() < SNIPPET_CHARS {
            self.supplied_closers.push(closer);
        }
    }

    /// Records the comma at `comma` as removed, with the text around it.
    pub(super) fn record_trailing_comma(&mut self, comma: usize) {
        if self.has_room() && !self.wants_snippets() {
            self.record(RepairKind::TrailingComma, "", "");
        } else if self.has_room() {
            let from = comma.saturating_sub(CONTEXT_CHARS);
            let to = (comma + 1 + CONTEXT_CHARS).min(self.len());
            let head = self.slice(from, comma);
            let tail = self.slice(comma + 1, to);
            self.record(
                RepairKind::TrailingComma,
                format!("{head},{tail}"),
                format!("{head}{tail}"),
            );
        }
    }

    /// The key of the next member, and where it started.
    pub(super) fn parse_object_key(&mut self, object: &mut Map<String, Value>) -> Parsed<(String, usize)> {
        self.places.push(Place::ObjectKey);
        let result = self.parse_object_key_in_place(object);
        self.places.pop();
        result
    }

    pub(super) fn parse_object_key_in_place(&mut self, object: &mut Map<String, Value>) -> Parsed<(String, usize)> {
        let mut key = String::new();
        let mut rollback = self.index;
        while self.cur().is_some() {
            rollback = self.index;
            if self.cur() == Some('[') && key.is_empty() && self.merge_array_continuation(object)? {
                continue;
            }
            key = key_text(self.parse_string()?);
            if key.is_empty() {
                self.skip_whitespaces();
            }
            if !key.is_empty() || matches!(self.cur(), Some(':' | '}')) {
                break;
            }
            if self.index == rollback {
                self.index += 1;
            }
        }
        Ok((key, rollback))
    }

    /// `{"rows": [[1]], [[2]]}`: an array where a key should be continues the previous member's
    /// array. Returns false when the previous member is not an array.
    pub(super) fn merge_array_continuation(&mut self, object: &mut Map<String, Value>) -> Parsed<bool> {
        let Some((last_key, Value::Array(_))) = object.iter().next_back().filter(|(key, _)| !key.is_empty()) else {
            return Ok(false);
        };
        let last_key = last_key.clone();
        let open = self.index;
        self.index += 1;
        let new_items = self.parse_array(']', open)?;
        self.path.push(PathItem::Key(last_key.clone()));
        let continuation = self.snippet_of(open + 1, self.index);
        self.record(
            RepairKind::MismatchedBracket,
            format!("], [{continuation}"),
            format!(", {continuation}"),
        );
        self.path.pop();
        let cost = object.get(&last_key).and_then(Value::as_array).map_or(0, Vec::len) + new_items.len();
        let affordable = self.reread >= cost;
        self.reread = self.reread.saturating_sub(cost);
        if let Some(Value::Array(previous)) = object.get_mut(&last_key) {
            merge_rows(previous, new_items, affordable);
        }
        self.skip_whitespaces();
        if self.cur() == Some(',') {
            self.index += 1;
        }
        self.skip_whitespaces();
        Ok(true)
    }

    /// Whether a key repeated inside an array starts a new object (`[{"a": 1 "a": 2}]`) rather
    /// than overwriting the first (`{"a": 1, "a": 2}` with a comma and a colon).
    pub(super) fn should_split_duplicate_object(&mut self, rollback: usize) -> bool {
        let mut position = rollback;
        let floor = self.lookbehind_floor(rollback);
        while position > floor && self.at(position - 1).is_some_and(is_space) {
            position -= 1;
        }
        self.spend(rollback - position + 1);
        let previous = position.checked_sub(1).and_then(|p| self.at(p));
        let key_start = self.at(rollback);
        let next = self.skip_space_from(self.index);
        !(key_start.is_some_and(is_delimiter) && previous == Some(',') && self.at(next) == Some(':'))
    }

    pub(super) fn parse_object_value(&mut self) -> Parsed<Value> {
        self.places.push(Place::ObjectValue);
        self.skip_whitespaces();
        let start = self.index;
        let value = match self.cur() {
            Some(',' | '}') => Ok(nothing()),
            _ => self.parse_json(),
        };
        self.places.pop();
        let value = value?;
        if value == nothing()
            && !self.chars[start..self.index.max(start)]
                .iter()
                .any(|c| is_delimiter(*c))
        {
            let (before, after) = self.insertion_snippets(start, "\"\"");
            self.record(RepairKind::MissingValue, before, after);
        }
        Ok(value)
    }

    /// Whether a value clearly starts at `index`: a number, a bracket, a quote or a literal.
    pub(super) fn value_starts_here(&self) -> bool {
        match self.at(self.index) {
            Some(c) if c.is_ascii_digit() || matches!(c, '-' | '{' | '[') || is_delimiter(c) => true,
            Some(_) => ["true", "false", "null"].iter().any(|word| {
                self.starts_with_at(self.index, word)
                    && !self.at(self.index + word.len()).is_some_and(char::is_alphanumeric)
            }),
            None => false,
        }
    }

    /// An object that read no member but held text: `{'a', 'b'}` is a set, read as a list; an
    /// escaped document (`{\"a\": 1}`) is unescaped and read again. None keeps the empty object.
    pub(super) fn reread_empty_object(
        &mut self,
        start: usize,
        open: usize,
        records_before: usize,
    ) -> Parsed<Option<Value>> {
        let span = self.index - start;
        if self.reread < span {
            return Ok(None);
        }
        self.reread -= span;
        let attempt_start = start.saturating_sub(1);
        let attempt_end = (self.index + 1).min(self.len());
        let mut body: String = self.slice(start, attempt_end);
        if body.ends_with('}') {
            body.pop();
        }
        let body = body.trim_start_matches(is_space).to_owned();
        if body.is_empty() {
            return Ok(None);
        }
        if (body.starts_with("\\\"") && body.contains("\\\":")) || (body.starts_with("\\'") && body.contains("\\':")) {
            if self.unescapes_left == 0 {
                return Ok(None);
            }
            self.unescapes_left -= 1;
            self.forget_records_since(records_before);
            let attempted = self.slice(attempt_start, attempt_end);
            let normalized: Vec<char> = attempted.replace("\\\"", "\"").replace("\\'", "'").chars().collect();
            self.record(
                RepairKind::EscapedDocument,
                snippet(&attempted),
                snippet(&normalized.iter().collect::<String>()),
            );
            self.chars.splice(attempt_start..attempt_end, normalized);
            self.ascii_text = None;
            self.unchanged_text = None;
            self.found.clear();
            self.found_next = 0;
            self.content_end = None;
            self.index = start;
            self.places.push(Place::ObjectKey);
            let value = self.parse_object(open);
            self.places.pop();
            self.deferred.push(Place::ObjectKey);
            // parse_object entered a container of its own; this one is still counted by the caller.
            return value.map(Some);
        }
        let body = strip_comments(&body);
        let body = body.trim_start_matches(is_space);
        if body.is_empty() || has_unquoted_colon(body) {
            return Ok(None);
        }
        let before = self.snippet_of(attempt_start, self.index);
        self.forget_records_since(records_before);
        self.index = start;
        self.places.push(Place::ObjectKey);
        let items = self.parse_array(']', open);
        self.places.pop();
        let items = items?;
        // The set's `}` closed the list: that is its own bracket, not a mismatched one.
        if self
            .repairs
            .last()
            .is_some_and(|last| last.kind == RepairKind::MismatchedBracket)
        {
            self.repairs.pop();
        }
        self.deferred.push(Place::ObjectKey);
        let value = Value::Array(items);
        self.record_built(RepairKind::TupleToArray, |_| (before, value_snippet(&value)));
        Ok(Some(value))
    }
}
