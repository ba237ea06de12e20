//! The state of one string being read.

use super::*;

/// Bytes reserved for a string's text when its first character is read.
const STRING_START_CAPACITY: usize = 32;

/// The state of one string being read.
pub(super) struct StringRead {
    pub(super) missing_quotes: bool,
    pub(super) doubled_quotes: bool,
    pub(super) open_quote: char,
    pub(super) closing: char,
    /// Open `„...”` spans: inside one a `"` or `”` is text.
    pub(super) low_quote_spans: usize,
    pub(super) text: String,
    /// The last character of `text` is a backslash read from the input, not decoded from `\\`.
    pub(super) raw_backslash_last: bool,
    /// How many characters at the end of `text` are raw whitespace from the input.
    pub(super) raw_trailing_space: usize,
    pub(super) unmatched_delimiter: bool,
    pub(super) pending_inline_container: bool,
    pub(super) inline_containers: Vec<char>,
    /// Quotes read as text.
    pub(super) inner_quotes: usize,
    /// Raw control characters read, with where they sit in `text`.
    pub(super) raw_controls: Vec<(usize, char)>,
    /// `{` in the text not yet matched by a `}`.
    pub(super) open_braces: usize,
    /// Where the last `[` not yet closed by `]` opened, and whether whitespace followed it: a
    /// quote in a compact `[...]` is a regex character class, not the end of the string.
    pub(super) class_start: Option<usize>,
    pub(super) class_has_space: bool,
    /// A comma in this object value found no quote or bracket after it, so no later comma starts
    /// a member either.
    pub(super) no_future_delimiter: bool,
}

impl StringRead {
    pub(super) fn new(open_quote: char, closing: char) -> Self {
        StringRead {
            missing_quotes: false,
            doubled_quotes: false,
            open_quote,
            closing,
            low_quote_spans: 0,
            text: String::new(),
            raw_backslash_last: false,
            raw_trailing_space: 0,
            unmatched_delimiter: false,
            pending_inline_container: false,
            inline_containers: Vec::new(),
            inner_quotes: 0,
            raw_controls: Vec::new(),
            open_braces: 0,
            class_start: None,
            class_has_space: false,
            no_future_delimiter: false,
        }
    }

    pub(super) fn outer(&self) -> char {
        self.closing
    }

    /// The quote an escape may stand for: none inside a `„...”` span.
    pub(super) fn active(&self) -> char {
        if self.in_low_quote_span() {
            LOW_QUOTE_SPAN
        } else {
            self.closing
        }
    }

    pub(super) fn in_low_quote_span(&self) -> bool {
        self.low_quote_spans > 0
    }

    pub(super) fn last(&self) -> Option<char> {
        self.text.chars().next_back()
    }

    pub(super) fn ends_with_raw_backslash(&self) -> bool {
        self.raw_backslash_last
    }

    pub(super) fn track(&mut self, character: char) {
        match character {
            '{' => self.open_braces += 1,
            '}' => self.open_braces = self.open_braces.saturating_sub(1),
            '[' => {
                self.class_start = Some(self.text.len());
                self.class_has_space = false;
            }
            ']' => self.class_start = None,
            other if is_space(other) => self.class_has_space = true,
            _ => {}
        }
    }

    pub(super) fn push_raw(&mut self, character: char) {
        if self.text.capacity() == 0 {
            // Room for most strings at once, rather than regrowing from one character up.
            self.text.reserve(STRING_START_CAPACITY);
        }
        self.text.push(character);
        self.track(character);
        self.raw_backslash_last = character == '\\';
        if is_space(character) {
            self.raw_trailing_space += 1;
        } else {
            self.raw_trailing_space = 0;
        }
    }

    /// Appends `chars[from..to]`, plain characters (letters, digits, spaces, punctuation that is
    /// no quote, bracket or backslash), as `push_raw` appends them one by one; `ascii` is the
    /// text they were read from while it is ASCII and unchanged.
    pub(super) fn push_plain(&mut self, ascii: Option<&str>, chars: &[char], from: usize, to: usize) {
        let run = &chars[from..to];
        if self.text.capacity() == 0 {
            self.text.reserve(STRING_START_CAPACITY.max(run.len()));
        }
        match ascii {
            Some(text) => self.text.push_str(&text[from..to]),
            None => self.text.extend(run),
        }
        let trailing_spaces = run.iter().rev().take_while(|&&character| character == ' ').count();
        if trailing_spaces == run.len() {
            self.raw_trailing_space += trailing_spaces;
        } else {
            self.raw_trailing_space = trailing_spaces;
        }
        self.class_has_space |= run.contains(&' ');
        self.raw_backslash_last = false;
    }

    /// Replaces the raw backslash at the end with what the escape stands for.
    pub(super) fn push_decoded(&mut self, decoded: &str) {
        if self.raw_backslash_last {
            self.text.pop();
        }
        for character in decoded.chars() {
            self.text.push(character);
            self.track(character);
        }
        self.raw_backslash_last = false;
        self.raw_trailing_space = 0;
    }

    /// json_repair reads `\\"` and `\\\\` after a decoded backslash as the quote or backslash alone.
    pub(super) fn replace_last(&mut self, character: char) {
        self.text.pop();
        self.text.push(character);
        self.track(character);
        self.raw_backslash_last = false;
        self.raw_trailing_space = 0;
    }

    /// Drops the line breaks written raw at the end of the text, and only those: an escaped
    /// `\n` or a space before them is what the model wrote. Returns what was dropped.
    pub(super) fn drop_raw_line_breaks(&mut self) -> String {
        let raw_start = self.text.len() - self.raw_trailing_space_bytes();
        let kept = self.text[raw_start..].trim_end_matches(['\n', '\r']).len();
        let dropped = self.text.split_off(raw_start + kept);
        self.raw_trailing_space = self.text[raw_start..].chars().count();
        dropped
    }

    /// Bytes of the raw whitespace at the end of the text.
    fn raw_trailing_space_bytes(&self) -> usize {
        self.text
            .chars()
            .rev()
            .take(self.raw_trailing_space)
            .map(char::len_utf8)
            .sum()
    }

    pub(super) fn trim_end(&mut self) -> bool {
        let trimmed = self.text.trim_end_matches(is_space).len();
        let changed = trimmed < self.text.len();
        self.text.truncate(trimmed);
        self.raw_trailing_space = 0;
        self.raw_backslash_last = self.text.ends_with('\\');
        changed
    }
}
