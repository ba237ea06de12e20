//! Escape sequences inside strings: JSON's are decoded as serde_json decodes them, the ones JSON
//! does not define are read as their plain character and recorded.

use super::*;

impl Parser<'_> {
    /// After a backslash from the input: decodes the escape it starts, if it is one. Returns
    /// whether it did, and the character the string goes on with.
    pub(super) fn normalize_escape(&mut self, read: &mut StringRead, character: char) -> (bool, Option<char>) {
        if read.in_low_quote_span() && character == '"' {
            read.push_decoded("\"");
            read.low_quote_spans -= 1;
            self.index += 1;
            return (true, self.cur());
        }
        if character == '\\' {
            // A run of backslashes of even length, not before the closing quote, is half as many.
            let run_start = self.index - 1;
            let mut run_end = self.index + 1;
            while self.at(run_end) == Some('\\') {
                run_end += 1;
            }
            let run_length = run_end - run_start;
            // json_repair reads an even run before a quote as escaping the quote; when that quote
            // can end the string (`"C:\\",`), the run is a run of backslashes and the string ends.
            if run_length % 2 == 0 && (self.at(run_end) != Some(read.active()) || self.quote_can_close(run_end)) {
                read.push_decoded(&"\\".repeat(run_length / 2));
                self.index = run_end;
                return (true, self.cur());
            }
            // An odd run is pairs, then one backslash that escapes what follows (`\\\u00e9`).
            if run_length % 2 == 1 {
                read.push_decoded(&"\\".repeat(run_length / 2));
                read.push_raw('\\');
                self.index = run_end;
                return match self.cur() {
                    Some(following) => self.normalize_escape(read, following),
                    None => (false, None),
                };
            }
        }
        let simple = match character {
            't' => Some('\t'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            '/' => Some('/'),
            '\\' => Some('\\'),
            other if other == read.active() => Some(other),
            _ => None,
        };
        if let Some(decoded) = simple {
            read.push_decoded(decoded.encode_utf8(&mut [0; 4]));
            self.index += 1;
            let active = read.active();
            let mut next = self.cur();
            while let Some(following) = next {
                if read.last() != Some('\\') || !(following == active || following == '\\') {
                    break;
                }
                read.replace_last(following);
                self.index += 1;
                next = self.cur();
            }
            return (true, next);
        }
        if character == 'u' || character == 'x' {
            let digits = if character == 'u' { 4 } else { 2 };
            if let Some(code) = self.hex_at(self.index + 1, digits) {
                let decoded = if character == 'x' {
                    char::from_u32(code).map(|c| (c, 1 + digits))
                } else if (0xD800..0xDC00).contains(&code) {
                    let low_start = self.index + 1 + digits;
                    match (
                        self.at(low_start),
                        self.at(low_start + 1),
                        self.hex_at(low_start + 2, 4),
                    ) {
                        (Some('\\'), Some('u'), Some(low)) if (0xDC00..0xE000).contains(&low) => {
                            char::from_u32(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)).map(|c| (c, 11))
                        }
                        _ => None,
                    }
                } else {
                    char::from_u32(code).map(|c| (c, 1 + digits))
                };
                if let Some((decoded, length)) = decoded {
                    if character == 'x' {
                        let written = format!("\\{}", self.slice(self.index, self.index + length));
                        self.record(RepairKind::InvalidEscape, written, decoded.to_string());
                    }
                    read.push_decoded(decoded.encode_utf8(&mut [0; 4]));
                    self.index += length;
                    return (true, self.cur());
                }
            }
        } else if character == LOW_QUOTE || is_delimiter(character) {
            self.record(
                RepairKind::InvalidEscape,
                format!("\\{character}"),
                character.to_string(),
            );
            read.push_decoded(character.encode_utf8(&mut [0; 4]));
            self.index += 1;
            return (true, self.cur());
        }
        (false, Some(character))
    }

    pub(super) fn hex_at(&self, position: usize, digits: usize) -> Option<u32> {
        (0..digits).try_fold(0u32, |code, offset| {
            Some(code * 16 + self.at(position + offset)?.to_digit(16)?)
        })
    }
}
