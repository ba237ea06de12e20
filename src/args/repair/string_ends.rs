//! Where a string ends: whether a quote closes the string or is part of it, and how a comma inside
//! an object value's string reads, decided by what follows.

use super::*;

/// How a comma inside an object value's string reads, by what follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CommaRole {
    /// The next member starts: the string ends before the comma.
    Member,
    /// A bracket follows: the comma and an inline container belong to the string.
    Container,
    /// Text of the string.
    Text,
    /// Text, and no quote or bracket follows anywhere.
    TextToTheEnd,
}

/// Keeps track of brackets opened inside a string after a comma (`"a, [b, c]"`): returns whether
/// `character` closes one of them, and so is text.
pub(super) fn update_inline_containers(character: char, read: &mut StringRead) -> bool {
    if character == '{' || character == '[' {
        if read.pending_inline_container {
            read.inline_containers.push(character);
            read.pending_inline_container = false;
            return false;
        }
        if !read.inline_containers.is_empty() {
            read.inline_containers.push(character);
        }
    }
    let closes = match read.inline_containers.last() {
        Some('{') => character == '}',
        Some('[') => character == ']',
        _ => false,
    };
    if closes {
        read.inline_containers.pop();
    }
    closes
}

impl Parser<'_> {
    /// Whether the quote at `quote` is followed by what may follow a string: `,` `}` `]` `:` or
    /// the end of the text.
    pub(super) fn quote_can_close(&mut self, quote: usize) -> bool {
        let after = self.skip_space_from(quote + 1);
        matches!(self.at(after), None | Some(',' | '}' | ']' | ':'))
    }

    /// At a quote that could close the string: whether it is text instead (`handled`), the
    /// character to go on with, and whether the string ends here (`stop`).
    pub(super) fn right_quote_candidate(&mut self, read: &mut StringRead, quote: char) -> (bool, Option<char>, bool) {
        let outer = read.outer();
        let base = self.index;
        if read.doubled_quotes && self.at(base + 1) == Some(outer) {
            self.index += 1;
            return (true, Some(quote), false);
        }
        if read.missing_quotes && self.places.is(Place::ObjectValue) {
            let next_quote = self.find_plain(base + 1, &[outer, read.open_quote]);
            if self.at(next_quote).is_some() {
                let after = self.skip_space_from(next_quote + 1);
                if self.at(after) == Some(':') {
                    self.index -= 1;
                    return (false, self.cur(), true);
                }
            }
            return (false, Some(quote), false);
        }
        if read.unmatched_delimiter {
            read.unmatched_delimiter = false;
            let next = self.append_literal(read, quote);
            return (true, next, false);
        }
        if self.places.is(Place::ObjectKey) && self.at(base + 1).is_some_and(is_space) {
            // `{"a" 1, "b": 2}`: a key, then a value where its colon belongs.
            let after = self.skip_space_from(base + 1);
            if self
                .at(after)
                .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '{' | '['))
            {
                return (false, Some(quote), true);
            }
        }
        let in_key = self.places.contains(Place::ObjectKey);
        let in_value = self.places.contains(Place::ObjectValue);
        let in_array = self.places.contains(Place::Array);
        let value_here = self.places.is(Place::ObjectValue);
        let limit = self.lookahead_end(base + 1);
        let mut position = base + 1;
        let mut next = None;
        let mut check_comma = true;
        while position < limit {
            let character = self.chars[position];
            if character == outer || character == read.open_quote {
                next = Some(character);
                break;
            }
            if check_comma && character.is_alphabetic() {
                check_comma = false;
            }
            if (in_key && (character == ':' || character == '}'))
                || (in_value && character == '}')
                || (in_array && (character == ']' || character == ','))
                || (check_comma && value_here && character == ',')
            {
                next = Some(character);
                break;
            }
            position += 1;
        }
        self.spend(position - base);
        if next == Some(',') && value_here {
            let quote_after = self.find_unescaped(position + 1, &[outer]);
            let after = self.skip_space_from(quote_after + 1);
            if matches!(self.at(after), Some('}' | ',')) {
                let next = self.append_literal(read, quote);
                return (true, next, false);
            }
        } else if next == Some(outer) && self.at(position - 1) != Some('\\') {
            let only_space_between = self.skip_space_from(base + 1) >= position;
            if only_space_between && !(value_here && self.quoted_member_follows(position)) {
                return (false, Some(quote), true);
            }
            if value_here {
                if self.quoted_member_follows(position) {
                    let next = self.append_literal(read, quote);
                    return (true, next, false);
                }
                let closing = self.find_unescaped(position + 1, &[outer]);
                let mut scan = closing + 1;
                let limit = self.lookahead_end(scan.min(self.len()));
                let mut found = None;
                while scan < limit {
                    let character = self.chars[scan];
                    if character == ':'
                        || matches!(character, ',' | ']' | '}')
                        || (character == outer && self.at(scan - 1) != Some('\\'))
                    {
                        found = Some(character);
                        break;
                    }
                    scan += 1;
                }
                self.spend(scan.saturating_sub(closing));
                if found != Some(':') {
                    read.unmatched_delimiter = !read.unmatched_delimiter;
                    let next = self.append_literal(read, quote);
                    return (true, next, false);
                }
            } else if self.places.is(Place::Array) {
                let mut position = position;
                let mut even = true;
                let limit = self.chain_end(position);
                loop {
                    let next_quote = self.find_unescaped(position + 1, &[outer, ']']);
                    if self.at(next_quote) != Some(outer) || next_quote >= limit {
                        even = false;
                        break;
                    }
                    position = self.find_unescaped(next_quote + 1, &[outer, ']']);
                    if self.at(position) != Some(outer) {
                        break;
                    }
                }
                if even {
                    read.unmatched_delimiter = !read.unmatched_delimiter;
                    let next = self.append_literal(read, quote);
                    return (true, next, false);
                }
                return (false, Some(quote), true);
            } else if self.places.is(Place::ObjectKey) {
                let next = self.append_literal(read, quote);
                return (true, next, false);
            }
        }
        (false, Some(quote), false)
    }

    /// Whether only whitespace, closing brackets and fences are left.
    pub(super) fn only_closers_follow(&mut self) -> bool {
        let end = self.lookahead_end(self.index);
        let mut position = self.index;
        while position < end
            && (matches!(self.chars[position], '}' | ']' | ')' | '`') || is_space(self.chars[position]))
        {
            position += 1;
        }
        self.spend(position - self.index + 1);
        position >= self.len()
    }

    /// `"[^'"]+"`: a quote inside a compact `[...]` of the string, closed later, is a regex
    /// character class's.
    pub(super) fn quote_in_character_class(&mut self, read: &StringRead) -> bool {
        if read.class_start.is_none() || read.class_has_space {
            return false;
        }
        let bracket = self.find_unescaped(self.index + 1, &[']']);
        self.at(bracket) == Some(']')
    }

    /// How a comma in an object value's string reads, by what follows it.
    pub(super) fn classify_object_value_comma(&mut self) -> CommaRole {
        let next_index = self.skip_space_from(self.index + 1);
        let Some(next) = self.at(next_index) else {
            return CommaRole::Member;
        };
        if next == '}' {
            return CommaRole::Member;
        }
        if is_delimiter(next) {
            let key_end = self.find_unescaped(next_index + 1, &[next]);
            if self.at(key_end).is_none() {
                return CommaRole::Text;
            }
            let after = self.skip_space_from(key_end + 1);
            return if self.at(after) == Some(':') {
                CommaRole::Member
            } else {
                CommaRole::Text
            };
        }
        if next == '`' {
            let key_end = self.skip_bare_key(next_index + 1);
            let after = self.skip_space_from(key_end);
            return if self.at(after) == Some(':') {
                CommaRole::Member
            } else {
                CommaRole::Text
            };
        }
        if next.is_alphanumeric() || next == '_' {
            let key_end = self.skip_bare_key(next_index);
            let after = self.skip_space_from(key_end);
            if self.at(after) == Some(':') && self.member_value_recoverable(after + 1) {
                return CommaRole::Member;
            }
        }
        if next == '{' || next == '[' {
            return CommaRole::Container;
        }
        let special_index = self.find_unescaped(next_index, &QUOTES_AND_OPENERS);
        let Some(special) = self.at(special_index) else {
            return CommaRole::TextToTheEnd;
        };
        if special == '{' || special == '[' {
            return CommaRole::Text;
        }
        let key_end = self.find_unescaped(special_index + 1, &[special]);
        if self.at(key_end).is_none() {
            return CommaRole::Text;
        }
        let after = self.skip_space_from(key_end + 1);
        if self.at(after) == Some(':') {
            CommaRole::Member
        } else {
            CommaRole::Text
        }
    }

    /// After `, key:` in a string: whether a value follows that reads as one (a quote, bracket,
    /// number or literal, or unquoted text that the object closes right after).
    pub(super) fn member_value_recoverable(&mut self, from: usize) -> bool {
        let start = self.skip_space_from(from);
        let Some(first) = self.at(start) else {
            return false;
        };
        if is_delimiter(first) || matches!(first, '{' | '[' | '-') || first.is_ascii_digit() {
            return true;
        }
        for literal in ["true", "false", "null"] {
            if self.starts_with_at(start, literal) {
                let ends = match self.at(start + literal.len()) {
                    None => true,
                    Some(after) => is_space(after) || matches!(after, ',' | '}' | ']'),
                };
                if ends {
                    return true;
                }
            }
        }
        let end = self.find_unescaped(start, &QUOTES_AND_BRACE);
        self.at(end) == Some('}')
    }

    /// The end of the balanced container opening at `start` (strings inside skipped), or None.
    pub(super) fn skip_inline_container(&mut self, start: usize) -> Option<usize> {
        let opening = self.at(start)?;
        let Some(closer) = inline_closer(opening) else {
            return Some(start);
        };
        let limit = self.lookahead_end(start);
        let mut stack = vec![closer];
        let mut position = start + 1;
        let mut result = None;
        while position < limit {
            let character = self.chars[position];
            if is_delimiter(character) {
                let end_quote = matching_quote(character);
                position = self.find_unescaped(position + 1, &[end_quote]);
                if self.at(position) != Some(end_quote) {
                    break;
                }
            } else if inline_closer(character).is_some() && self.starts_nested_inline_container(position) {
                stack.push(inline_closer(character).unwrap_or(')'));
            } else if Some(&character) == stack.last() {
                stack.pop();
                if stack.is_empty() {
                    result = Some(position + 1);
                    break;
                }
            }
            position += 1;
        }
        self.spend(position.saturating_sub(start));
        result
    }

    pub(super) fn starts_nested_inline_container(&mut self, position: usize) -> bool {
        let opening = self.at(position);
        let floor = self.index.max(self.lookbehind_floor(position));
        let mut previous = position;
        while previous > floor {
            previous -= 1;
            let Some(character) = self.at(previous) else {
                return true;
            };
            if is_space(character) {
                continue;
            }
            self.spend(position - previous);
            if is_inline_opener(character) {
                return true;
            }
            if character != ',' && character != ':' {
                return false;
            }
            let next_index = self.skip_space_from(position + 1);
            let next = self.at(next_index);
            if matches!(opening, Some('[' | '(')) {
                return next.is_some_and(|c| {
                    matches!(c, ']' | ')' | '-' | 't' | 'f' | 'n')
                        || is_delimiter(c)
                        || is_inline_opener(c)
                        || c.is_ascii_digit()
                });
            }
            if opening != Some('{') {
                return false;
            }
            if next.is_some_and(|c| c == '}' || is_delimiter(c)) {
                return true;
            }
            return character == ':' && self.bare_key_followed_by_colon(next_index);
        }
        self.spend(position - previous);
        true
    }

    pub(super) fn bare_key_followed_by_colon(&mut self, start: usize) -> bool {
        if !self.at(start).is_some_and(|c| c.is_alphanumeric() || c == '_') {
            return false;
        }
        let key_end = self.skip_bare_key(start);
        let after = self.skip_space_from(key_end);
        self.at(after) == Some(':')
    }

    /// Past whitespace and comments from `from`.
    pub(super) fn skip_space_and_comments(&mut self, from: usize) -> usize {
        let limit = self.lookahead_end(from.min(self.len()));
        let mut position = from;
        while position < limit {
            match self.chars[position] {
                character if is_space(character) => position += 1,
                '#' => {
                    while position < limit && !matches!(self.chars[position], '\n' | '\r') {
                        position += 1;
                    }
                }
                '/' if self.at(position + 1) == Some('/') => {
                    while position < limit && !matches!(self.chars[position], '\n' | '\r') {
                        position += 1;
                    }
                }
                '/' if self.at(position + 1) == Some('*') => {
                    position += 2;
                    while position < limit && !(self.chars[position] == '*' && self.at(position + 1) == Some('/')) {
                        position += 1;
                    }
                    if position >= limit {
                        break;
                    }
                    position += 2;
                }
                _ => break,
            }
        }
        self.spend(position.saturating_sub(from) + 1);
        if position >= limit && limit < self.len() {
            self.len()
        } else {
            position
        }
    }

    /// `"text" , "next": ...`: the quote at `quote` is followed by a comma and another member.
    pub(super) fn quoted_member_follows(&mut self, quote: usize) -> bool {
        let comma = self.skip_space_from(quote + 1);
        if self.at(comma) != Some(',') {
            return false;
        }
        let member = self.skip_space_and_comments(comma + 1);
        self.member_starts_at(member)
    }

    pub(super) fn member_starts_at(&mut self, position: usize) -> bool {
        let Some(first) = self.at(position) else {
            return false;
        };
        if first == '}' {
            return false;
        }
        if is_delimiter(first) {
            let end_quote = matching_quote(first);
            let key_end = self.find_unescaped(position + 1, &[end_quote]);
            if self.at(key_end) != Some(end_quote) {
                return false;
            }
            let after = self.skip_space_from(key_end + 1);
            return self.at(after) == Some(':');
        }
        if first.is_alphanumeric() || first == '_' {
            return self.bare_key_followed_by_colon(position);
        }
        false
    }

    pub(super) fn post_fence_container_starts_next_member(&mut self, container_end: usize) -> bool {
        let after = self.skip_space_from(container_end);
        match self.at(after) {
            None | Some('}') => true,
            Some(',') => {
                let member = self.skip_space_and_comments(after + 1);
                matches!(self.at(member), None | Some('}')) || self.member_starts_at(member)
            }
            Some(_) => false,
        }
    }

    /// A `}` followed by a fence: whether both are text of the string (a fenced snippet in it)
    /// rather than the end of the object and its closing fence.
    pub(super) fn brace_before_fence_belongs_to_string(&mut self, read: &mut StringRead, fence: usize) -> bool {
        let mut search_from = fence + 3;
        let content = self.skip_space_and_comments(search_from);
        let mut keep_container = false;
        if self.at(content).is_some_and(is_inline_opener) {
            if let Some(container_end) = self.skip_inline_container(content) {
                if self.post_fence_container_starts_next_member(container_end) {
                    return false;
                }
                keep_container = true;
                search_from = container_end;
            }
        }
        let outer = read.outer();
        let limit = self.chain_end(search_from);
        let mut quote = self.find_unescaped(search_from, &[outer]);
        while self.at(quote) == Some(outer) && quote < limit {
            let after = self.skip_space_from(quote + 1);
            if matches!(self.at(after), None | Some(',' | '}' | ']')) {
                if keep_container {
                    read.pending_inline_container = true;
                }
                return true;
            }
            quote = self.find_unescaped(quote + 1, &[outer]);
        }
        false
    }
}
