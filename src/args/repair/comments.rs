//! `#`, `//` and `/* */` comments, dropped and recorded.

use super::*;

/// `text` without its `#`, `//` and `/* */` comments (outside quotes).
pub(super) fn strip_comments(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut backslashes = 0usize;
    let mut index = 0;
    while index < chars.len() {
        let character = chars[index];
        let next = chars.get(index + 1).copied();
        if character == '\\' {
            backslashes += 1;
            out.push(character);
            index += 1;
            continue;
        }
        let escaped = backslashes % 2 == 1;
        backslashes = 0;
        if let Some(open) = quote {
            out.push(character);
            if character == open && !escaped {
                quote = None;
            }
            index += 1;
            continue;
        }
        if is_delimiter(character) && !escaped {
            quote = Some(character);
            out.push(character);
            index += 1;
            continue;
        }
        if character == '#' || (character == '/' && next == Some('/')) {
            index += if character == '/' { 2 } else { 1 };
            while index < chars.len() && !matches!(chars[index], '\n' | '\r') {
                index += 1;
            }
            continue;
        }
        if character == '/' && next == Some('*') {
            index += 2;
            while index + 1 < chars.len() && !(chars[index] == '*' && chars[index + 1] == '/') {
                index += 1;
            }
            index = (index + 2).min(chars.len());
            continue;
        }
        out.push(character);
        index += 1;
    }
    out
}

impl Parser<'_> {
    /// A `#`, `//` or `/* */` comment at `index` (a lone `/` is dropped). Inside a container a `#`
    /// comment also ends where the container or key it sits in can end.
    pub(super) fn parse_comment(&mut self) {
        let start = self.index;
        match self.at(self.index) {
            Some('#') => {
                let array = self.places.contains(Place::Array);
                let value = self.places.contains(Place::ObjectValue);
                let key = self.places.contains(Place::ObjectKey);
                while let Some(character) = self.at(self.index) {
                    if character == '\n'
                        || character == '\r'
                        || (array && character == ']')
                        || (value && character == '}')
                        || (key && character == ':')
                    {
                        break;
                    }
                    self.index += 1;
                }
            }
            Some('/') => match self.at(self.index + 1) {
                Some('/') => {
                    self.index += 2;
                    while self.at(self.index).is_some_and(|c| c != '\n' && c != '\r') {
                        self.index += 1;
                    }
                }
                Some('*') => {
                    self.index += 2;
                    loop {
                        match self.at(self.index) {
                            None => break,
                            Some('*') if self.at(self.index + 1) == Some('/') => {
                                self.index += 2;
                                break;
                            }
                            Some(_) => self.index += 1,
                        }
                    }
                }
                _ => {
                    self.index += 1;
                    self.record(RepairKind::DroppedText, "/", "");
                    return;
                }
            },
            _ => return,
        }
        let comment = self.snippet_of(start, self.index);
        self.record(RepairKind::Comment, comment.trim_end(), "");
    }
}
