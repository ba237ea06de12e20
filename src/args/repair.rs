//! Mending tool-call arguments that are almost JSON.
//!
//! Runs only after serde_json has refused the text. The reader is a best-effort one: it recovers
//! what json_repair (the Python library most tool-calling stacks lean on) recovers, reading stray
//! quotes inside strings, strings and documents cut off by the end of the text, unquoted keys and
//! values, Python literals and tuples, comments, markdown fences, prose around the document,
//! mismatched brackets and left-out values the way it does. Every change is recorded as a
//! [`Repair`] of a precise [`RepairKind`]; the changes that may not recover what the model meant
//! (a string cut off, a missing value, an ellipsis, a second document) are among them, so the
//! argument road can refuse those for tool calls while `repair_json` hands them back.
//!
//! The reader works on the text's characters, like json_repair, and decides with look-ahead.
//! Look-ahead is paid from an allowance proportional to the text: once a hostile text has spent
//! it, each look-ahead reads only a short window, so the whole parse stays linear. Re-reading a
//! span (an object that turns out to be a list) is paid from a second allowance. Nesting is
//! bounded by the depth limit, strings by the string limit, and the record list is capped.

use std::fmt;

use serde::de::IgnoredAny;
use serde_json::{Map, Number, Value};

use crate::args::duplicates::same_value;
use crate::args::record::{Repair, RepairKind};
use crate::args::wide_integer;
use crate::encode::writer::is_json_number;
use crate::json_path::{JsonPath, PathItem};
use crate::limits::{oversized_integer, LimitExceeded, Limits};

mod python_text;
mod structure_only;
mod valid_stretch;

/// Hostile input must not turn the repair list into a second copy of the document.
const MAX_RECORDED_REPAIRS: usize = 64;
/// Longest `before`/`after` snippet, in characters.
const SNIPPET_CHARS: usize = 40;
/// Context shown on each side of an inserted or removed character.
const CONTEXT_CHARS: usize = 16;

/// Look-ahead allowance: characters that may be read ahead per character of text, and a floor
/// so short texts are always read exactly.
const LOOKAHEAD_PER_CHAR: usize = 32;
const LOOKAHEAD_FLOOR: usize = 1 << 16;
/// What one look-ahead costs at least, so a chain of short ones drains the allowance too.
const MIN_LOOKAHEAD_COST: usize = 8;
/// How far one look-ahead reads once the allowance is spent.
const SPENT_LOOKAHEAD_WINDOW: usize = 32;
/// Characters that may be read a second time (an object re-read as a list), per character.
const REREAD_PER_CHAR: usize = 4;
/// A backslash-escaped document is unescaped by copying the text, so only a few are.
const MAX_DOCUMENT_UNESCAPES: usize = 4;
/// Longest bracketed aside in prose that is skipped as prose.
const PROSE_BRACKET_CHARS: usize = 80;
/// Look-ahead answers kept for reuse.
const FOUND_CACHE_SIZE: usize = 16;

const FENCE: &str = "```";
const STRING_DELIMITERS: [char; 4] = ['"', '\'', '\u{201C}', '\u{201D}'];
const QUOTES_AND_OPENERS: [char; 6] = ['"', '\'', '\u{201C}', '\u{201D}', '{', '['];
const QUOTES_AND_BRACE: [char; 5] = ['"', '\'', '\u{201C}', '\u{201D}', '}'];
const LOW_QUOTE: char = '\u{201E}';
const OPEN_CURLY_QUOTE: char = '\u{201C}';
const CLOSE_CURLY_QUOTE: char = '\u{201D}';
/// What an escape inside a `„...”` span is matched against: no quote.
const LOW_QUOTE_SPAN: char = '\0';
const OVERSIZED_INTEGER: &str = "integer beyond 64 bits would lose precision";

#[derive(Clone, Debug, PartialEq)]
pub struct Repaired {
    pub value: Value,
    pub repairs: Vec<Repair>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepairError {
    /// Byte offset into the text.
    pub offset: usize,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

impl RepairError {
    fn at(text: &str, offset: usize, message: String) -> Self {
        let offset = floor_char_boundary(text, offset);
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        RepairError {
            offset,
            line: before.bytes().filter(|&byte| byte == b'\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
            message,
        }
    }
}

impl fmt::Display for RepairError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at line {} column {}", self.message, self.line, self.column)
    }
}

impl std::error::Error for RepairError {}

/// What the reader does with an integer beyond 64 bits, which serde_json's `Value` cannot hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WideIntegers {
    /// Refuse the document: a tool's arguments never hold one.
    Refuse,
    /// Carry it as a marked string (see [`wide_integer`]), for a reader that makes integers of any size.
    Carry,
}

/// Repair `text` into one JSON value: valid JSON within the limits is serde_json's value.
pub fn repair(text: &str, limits: &Limits) -> Result<Repaired, RepairError> {
    repair_with(text, limits, WideIntegers::Refuse)
}

/// `repair`, choosing what becomes of integers beyond 64 bits.
pub fn repair_with(text: &str, limits: &Limits, wide: WideIntegers) -> Result<Repaired, RepairError> {
    // Otherwise the reader finds the spot that breaks a limit (and says where).
    if text.len() <= limits.max_bytes && serde_json::from_str::<IgnoredAny>(text).is_ok() {
        if let Ok(value) = serde_json::from_str::<Value>(text) {
            if oversized_integer(text).is_none() && limits.check_value(&value).is_ok() {
                return Ok(Repaired {
                    value,
                    repairs: Vec::new(),
                });
            }
        }
    }
    if wide == WideIntegers::Carry && text.len() <= limits.max_bytes && oversized_integer(text).is_some() {
        // Valid JSON but for integers serde_json cannot hold: each becomes its marked string.
        if let Some(value) = wide_integer::read_valid(text) {
            if limits.check_value(&value).is_ok() {
                return Ok(Repaired {
                    value,
                    repairs: Vec::new(),
                });
            }
        }
    }
    repair_refused_with(text, limits, wide)
}

/// `repair` for a text serde_json has already refused, or accepted only past a limit: it goes
/// straight to the reader.
pub fn repair_refused(text: &str, limits: &Limits) -> Result<Repaired, RepairError> {
    repair_refused_with(text, limits, WideIntegers::Refuse)
}

/// `repair_refused`, choosing what becomes of integers beyond 64 bits.
pub fn repair_refused_with(text: &str, limits: &Limits, wide: WideIntegers) -> Result<Repaired, RepairError> {
    if text.len() > limits.max_bytes {
        return Err(RepairError::at(
            text,
            0,
            format!(
                "document of {} bytes is larger than the limit of {} bytes",
                text.len(),
                limits.max_bytes
            ),
        ));
    }
    if text.chars().all(is_space) {
        return Err(RepairError::at(
            text,
            text.len(),
            "empty input: no JSON value".to_owned(),
        ));
    }
    let read = read_leniently(text, limits, wide);
    // A Python literal means what Python reads; the lenient reader's guesses give way to it.
    let python = python_text::read(text, limits, wide).or_else(|| {
        // A Python literal inside a fence or prose.
        let start = text.find(['{', '['])?;
        let end = text.rfind(['}', ']'])?;
        (start > 0 || end + 1 < text.len())
            .then(|| text.get(start..=end))
            .flatten()
            .and_then(|inner| python_text::read(inner, limits, wide))
    });
    match python {
        Some(python) if !read.as_ref().is_ok_and(|repaired| same_value(&repaired.value, &python)) => {
            let after = serde_json::to_string(&python).unwrap_or_default();
            Ok(Repaired {
                repairs: vec![Repair::new(
                    JsonPath::root(),
                    RepairKind::PythonText,
                    snippet(text),
                    snippet(&after),
                )],
                value: python,
            })
        }
        _ => read,
    }
}

fn read_leniently(text: &str, limits: &Limits, wide: WideIntegers) -> Result<Repaired, RepairError> {
    if let Some(repaired) = bare_scalar(text, wide) {
        let repaired = repaired?;
        // A scalar has no depth: only its length can break a limit.
        if let Err(LimitExceeded::StringTooLong { limit, .. }) = limits.check_value(&repaired.value) {
            let start = text.len() - text.trim_start_matches(is_space).len();
            let message = format!("string longer than the limit of {limit} bytes");
            return Err(RepairError::at(text, start, message));
        }
        return Ok(repaired);
    }
    if let Some(repaired) = structure_only::mend_structure(text, limits, wide) {
        return Ok(repaired);
    }
    let mut parser = Parser::new(text, limits);
    parser.wide = wide;
    match parser.parse_top_level() {
        Ok(Some(value)) => Ok(Repaired {
            value,
            repairs: parser.repairs,
        }),
        Ok(None) => Err(RepairError::at(text, 0, "no JSON object or array found".to_owned())),
        Err(refusal) => Err(RepairError::at(
            text,
            parser.byte_offset(refusal.offset),
            refusal.message,
        )),
    }
}

/// The whole text as one JSON scalar, perhaps with comments around it or raw control characters
/// in its string: what a model sends for a tool whose one argument is a scalar.
fn bare_scalar(text: &str, wide: WideIntegers) -> Option<Result<Repaired, RepairError>> {
    let trimmed = text.trim_start_matches(is_space);
    if !trimmed.starts_with(|c: char| c == '"' || c == '-' || c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut repairs = Vec::new();
    let value = match stream.next() {
        Some(Ok(value)) if !value.is_object() && !value.is_array() => {
            let (literal, rest) = text.split_at(stream.byte_offset());
            let comments = only_comments(rest)?;
            let value = match oversized_integer(literal) {
                Some(digits) if wide == WideIntegers::Carry => wide_integer::carry(digits),
                Some(_) => {
                    let start = text.len() - trimmed.len();
                    return Some(Err(RepairError::at(text, start, OVERSIZED_INTEGER.to_owned())));
                }
                None => value,
            };
            for comment in comments {
                repairs.push(Repair::new(JsonPath::root(), RepairKind::Comment, snippet(comment), ""));
            }
            value
        }
        _ => {
            // A lone string holding raw control characters, which JSON wants escaped.
            let body = trimmed.trim_end_matches(is_space);
            let inner = body.strip_prefix('"')?.strip_suffix('"')?;
            if inner.contains('"') || !inner.contains(|c: char| c < ' ') {
                return None;
            }
            let mut escaped = String::with_capacity(body.len() + 8);
            escaped.push('"');
            for character in inner.chars() {
                if character < ' ' {
                    repairs.push(Repair::new(
                        JsonPath::root(),
                        RepairKind::ControlCharacter,
                        character.to_string(),
                        json_escaped(&character.to_string()),
                    ));
                    escaped.push_str(&json_escaped(&character.to_string()));
                } else {
                    escaped.push(character);
                }
            }
            escaped.push('"');
            serde_json::from_str::<Value>(&escaped).ok()?
        }
    };
    repairs.truncate(MAX_RECORDED_REPAIRS);
    Some(Ok(Repaired { value, repairs }))
}

/// The comments `rest` consists of (with whitespace between), or None if it holds anything else.
fn only_comments(rest: &str) -> Option<Vec<&str>> {
    let mut comments = Vec::new();
    let mut rest = rest.trim_start_matches(is_space);
    while !rest.is_empty() {
        let end = if rest.starts_with("//") || rest.starts_with('#') {
            rest.find(['\n', '\r']).unwrap_or(rest.len())
        } else if let Some(body) = rest.strip_prefix("/*") {
            body.find("*/").map_or(rest.len(), |close| close + 4)
        } else {
            return None;
        };
        comments.push(rest[..end].trim_end());
        rest = rest[end..].trim_start_matches(is_space);
    }
    Some(comments)
}

/// A parse failure before its line and column are worked out.
#[derive(Debug)]
struct Refusal {
    /// Index of the character where it happened.
    offset: usize,
    message: String,
}

impl Refusal {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        Refusal {
            offset,
            message: message.into(),
        }
    }
}

type Parsed<T> = Result<T, Refusal>;

/// Where the reader is, as json_repair tracks it: the meaning of a quote or a comma depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    ObjectKey,
    ObjectValue,
    Array,
}

#[derive(Default)]
struct Places {
    stack: Vec<Place>,
    counts: [usize; 3],
}

impl Places {
    fn slot(place: Place) -> usize {
        match place {
            Place::ObjectKey => 0,
            Place::ObjectValue => 1,
            Place::Array => 2,
        }
    }

    fn current(&self) -> Option<Place> {
        self.stack.last().copied()
    }

    fn is(&self, place: Place) -> bool {
        self.current() == Some(place)
    }

    fn is_empty(&self) -> bool {
        self.stack.is_empty()
    }

    fn contains(&self, place: Place) -> bool {
        self.counts[Places::slot(place)] > 0
    }

    fn push(&mut self, place: Place) {
        self.stack.push(place);
        self.counts[Places::slot(place)] += 1;
    }

    fn pop(&mut self) {
        if let Some(place) = self.stack.pop() {
            self.counts[Places::slot(place)] -= 1;
        }
    }

    fn clear(&mut self) {
        self.stack.clear();
        self.counts = [0; 3];
    }
}

/// How a comma inside an object value's string reads, by what follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CommaRole {
    /// The next member starts: the string ends before the comma.
    Member,
    /// A bracket follows: the comma and an inline container belong to the string.
    Container,
    /// Text of the string.
    Text,
    /// Text, and no quote or bracket follows anywhere.
    TextToTheEnd,
}

/// The state of one string being read.
struct StringRead {
    missing_quotes: bool,
    doubled_quotes: bool,
    open_quote: char,
    closing: char,
    /// Open `„...”` spans: inside one a `"` or `”` is text.
    low_quote_spans: usize,
    text: String,
    /// The last character of `text` is a backslash read from the input, not decoded from `\\`.
    raw_backslash_last: bool,
    /// How many characters at the end of `text` are raw whitespace from the input.
    raw_trailing_space: usize,
    unmatched_delimiter: bool,
    pending_inline_container: bool,
    inline_containers: Vec<char>,
    /// Quotes read as text.
    inner_quotes: usize,
    /// Raw control characters read, with where they sit in `text`.
    raw_controls: Vec<(usize, char)>,
    /// `{` in the text not yet matched by a `}`.
    open_braces: usize,
    /// Where the last `[` not yet closed by `]` opened, and whether whitespace followed it: a
    /// quote in a compact `[...]` is a regex character class, not the end of the string.
    class_start: Option<usize>,
    class_has_space: bool,
    /// A comma in this object value found no quote or bracket after it, so no later comma starts
    /// a member either.
    no_future_delimiter: bool,
}

impl StringRead {
    fn new(open_quote: char, closing: char) -> Self {
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

    fn outer(&self) -> char {
        self.closing
    }

    /// The quote an escape may stand for: none inside a `„...”` span.
    fn active(&self) -> char {
        if self.in_low_quote_span() {
            LOW_QUOTE_SPAN
        } else {
            self.closing
        }
    }

    fn in_low_quote_span(&self) -> bool {
        self.low_quote_spans > 0
    }

    fn last(&self) -> Option<char> {
        self.text.chars().next_back()
    }

    fn ends_with_raw_backslash(&self) -> bool {
        self.raw_backslash_last
    }

    fn track(&mut self, character: char) {
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

    fn push_raw(&mut self, character: char) {
        self.text.push(character);
        self.track(character);
        self.raw_backslash_last = character == '\\';
        if is_space(character) {
            self.raw_trailing_space += 1;
        } else {
            self.raw_trailing_space = 0;
        }
    }

    /// Replaces the raw backslash at the end with what the escape stands for.
    fn push_decoded(&mut self, decoded: &str) {
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
    fn replace_last(&mut self, character: char) {
        self.text.pop();
        self.text.push(character);
        self.track(character);
        self.raw_backslash_last = false;
        self.raw_trailing_space = 0;
    }

    fn trim_end(&mut self) -> bool {
        let trimmed = self.text.trim_end_matches(is_space).len();
        let changed = trimmed < self.text.len();
        self.text.truncate(trimmed);
        self.raw_trailing_space = 0;
        self.raw_backslash_last = self.text.ends_with('\\');
        changed
    }
}

struct Parser<'t> {
    text: &'t str,
    /// The text, while it is ASCII and unchanged: a character index is then a byte index.
    ascii_text: Option<&'t str>,
    /// The text while it is unchanged, and where each character starts in it when it is not
    /// ASCII: a character index then maps to a byte offset.
    unchanged_text: Option<&'t str>,
    char_starts: Vec<usize>,
    chars: Vec<char>,
    index: usize,
    limits: &'t Limits,
    depth: usize,
    places: Places,
    /// Places entered before the next value is read (json_repair keeps a re-read set's key place).
    deferred: Vec<Place>,
    /// Path of the value being read: one step per open container.
    path: Vec<PathItem>,
    repairs: Vec<Repair>,
    /// Characters look-ahead may still read before each look-ahead is held to a short window.
    lookahead: usize,
    /// Characters that may still be read a second time.
    reread: usize,
    unescapes_left: usize,
    /// An object was split at a duplicate key: an implied `{` sits at `index`.
    split_pending: bool,
    /// A change that may alter what the model meant is on the record list.
    meaning_recorded: bool,
    /// An opening markdown fence was met and recorded; its closing fence is expected.
    fence_open: bool,
    /// Closing brackets supplied at the end of a truncated document, innermost first.
    supplied_closers: String,
    /// Where the text's content ends, before trailing whitespace (found when first needed).
    content_end: Option<usize>,
    /// The first document after prose was tried as valid JSON.
    tried_valid_document: bool,
    /// Recent look-ahead answers: the targets, where the search started, what it found.
    found: Vec<(Targets, usize, usize)>,
    /// Text that tries to read a container as valid JSON may still read in vain.
    valid_allowance: usize,
    /// Containers read as valid JSON in one pass.
    stretches_read: usize,
    /// The next slot of `found` to reuse once it is full.
    found_next: usize,
    wide: WideIntegers,
}

impl<'t> Parser<'t> {
    fn new(text: &'t str, limits: &'t Limits) -> Self {
        let ascii = text.is_ascii();
        let chars: Vec<char> = if ascii {
            text.bytes().map(char::from).collect()
        } else {
            text.chars().collect()
        };
        let length = chars.len();
        Parser {
            text,
            ascii_text: ascii.then_some(text),
            unchanged_text: Some(text),
            char_starts: if ascii {
                Vec::new()
            } else {
                text.char_indices().map(|(start, _)| start).collect()
            },
            chars,
            index: 0,
            limits,
            depth: 0,
            places: Places::default(),
            deferred: Vec::new(),
            path: Vec::new(),
            repairs: Vec::new(),
            lookahead: length
                .saturating_mul(LOOKAHEAD_PER_CHAR)
                .saturating_add(LOOKAHEAD_FLOOR),
            reread: length.saturating_mul(REREAD_PER_CHAR).saturating_add(LOOKAHEAD_FLOOR),
            unescapes_left: MAX_DOCUMENT_UNESCAPES,
            split_pending: false,
            meaning_recorded: false,
            fence_open: false,
            supplied_closers: String::new(),
            content_end: None,
            tried_valid_document: false,
            found: Vec::new(),
            found_next: 0,
            valid_allowance: length
                .saturating_mul(valid_stretch::ALLOWANCE_PER_CHAR)
                .saturating_add(valid_stretch::ALLOWANCE_FLOOR),
            stretches_read: 0,
            wide: WideIntegers::Refuse,
        }
    }

    fn byte_offset(&self, char_index: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_index)
            .map_or(self.text.len(), |(offset, _)| offset)
    }

    // ----- reading ---------------------------------------------------------------------------

    fn len(&self) -> usize {
        self.chars.len()
    }

    fn at(&self, position: usize) -> Option<char> {
        self.chars.get(position).copied()
    }

    fn cur(&self) -> Option<char> {
        if self.split_pending {
            Some('{')
        } else {
            self.at(self.index)
        }
    }

    fn step(&mut self) {
        self.index = (self.index + 1).min(self.len());
    }

    fn skip_whitespaces(&mut self) {
        if self.split_pending {
            return;
        }
        while self.at(self.index).is_some_and(is_space) {
            self.index += 1;
        }
    }

    fn slice(&self, from: usize, to: usize) -> String {
        let to = to.min(self.len());
        let from = from.min(to);
        match self.ascii_text {
            Some(text) => text[from..to].to_owned(),
            None => self.chars[from..to].iter().collect(),
        }
    }

    /// A snippet of the text from `from` to `to`, cut to snippet length (empty once no more
    /// records are kept).
    fn snippet_of(&self, from: usize, to: usize) -> String {
        if !self.wants_snippets() {
            return String::new();
        }
        let to = to.min(self.len()).min(from.saturating_add(SNIPPET_CHARS * 2));
        snippet(&self.slice(from, to))
    }

    // ----- look-ahead (paid from the allowance) ----------------------------------------------

    /// The end (exclusive) of what one look-ahead from `from` may read.
    fn lookahead_end(&self, from: usize) -> usize {
        let window = if self.lookahead > 0 {
            self.lookahead
        } else {
            SPENT_LOOKAHEAD_WINDOW
        };
        from.saturating_add(window).min(self.len())
    }

    /// How far a chain of look-aheads from `from` may go: nowhere past the first once the
    /// allowance is spent.
    fn chain_end(&self, from: usize) -> usize {
        if self.lookahead > 0 {
            self.lookahead_end(from)
        } else {
            from + 1
        }
    }

    /// The lowest position one look-behind from `from` may read.
    fn lookbehind_floor(&self, from: usize) -> usize {
        let window = if self.lookahead > 0 {
            self.lookahead
        } else {
            SPENT_LOOKAHEAD_WINDOW
        };
        from.saturating_sub(window)
    }

    fn spend(&mut self, read: usize) {
        self.lookahead = self.lookahead.saturating_sub(read);
    }

    /// The first position at or after `from` holding one of `targets` not escaped by an odd run of
    /// backslashes (counted from `from`), or the end of the text.
    fn find_unescaped(&mut self, from: usize, targets: &[char]) -> usize {
        let length = self.len();
        if from >= length {
            return length;
        }
        // The same search from further on finds the same place, so answers are kept.
        let key = Targets::new(targets);
        let known = self.found.iter().find(|(cached_targets, start, found)| {
            *cached_targets == key && *start <= from && (from <= *found || *found == length)
        });
        if let Some((_, _, found)) = known {
            return *found;
        }
        let end = self.lookahead_end(from);
        let mut backslashes = 0usize;
        let mut position = from;
        let mut found = length;
        while position < end {
            let character = self.chars[position];
            if character == '\\' {
                backslashes += 1;
                position += 1;
                continue;
            }
            if targets.contains(&character) && backslashes % 2 == 0 {
                found = position;
                break;
            }
            backslashes = 0;
            position += 1;
        }
        self.spend((position - from).max(MIN_LOOKAHEAD_COST));
        let complete = found < length || end == length;
        if complete && (found == length || found == 0 || self.chars[found - 1] != '\\') {
            let same = self
                .found
                .iter_mut()
                .find(|(cached_targets, _, cached)| *cached_targets == key && *cached == found);
            match same {
                Some(entry) => entry.1 = entry.1.min(from),
                None if self.found_next < FOUND_CACHE_SIZE => {
                    self.found.push((key, from, found));
                    self.found_next += 1;
                }
                None => {
                    let slot = self.found_next % FOUND_CACHE_SIZE;
                    self.found[slot] = (key, from, found);
                    self.found_next += 1;
                }
            }
        }
        found
    }

    /// The first position at or after `from` holding one of `targets`, escaped or not.
    fn find_plain(&mut self, from: usize, targets: &[char]) -> usize {
        let length = self.len();
        let end = self.lookahead_end(from.min(length));
        let mut position = from.min(length);
        while position < end && !targets.contains(&self.chars[position]) {
            position += 1;
        }
        self.spend(position.saturating_sub(from) + 1);
        if position < end {
            position
        } else {
            length
        }
    }

    /// The first position at or after `from` that is not whitespace (the end of the text if none).
    fn skip_space_from(&mut self, from: usize) -> usize {
        let length = self.len();
        if from >= length {
            return from;
        }
        let end = self.lookahead_end(from);
        let mut position = from;
        while position < end && is_space(self.chars[position]) {
            position += 1;
        }
        self.spend(position - from + 1);
        if position == end && end < length {
            length
        } else {
            position
        }
    }

    /// Past a bare key (`abc_d-e`) starting at `from`.
    fn skip_bare_key(&mut self, from: usize) -> usize {
        let end = self.lookahead_end(from.min(self.len()));
        let mut position = from;
        while position < end && is_bare_key_char(self.chars[position]) {
            position += 1;
        }
        self.spend(position.saturating_sub(from) + 1);
        position
    }

    // ----- records ---------------------------------------------------------------------------

    /// Records a change at the current path. Past the cap, a change that may alter what the
    /// model meant still takes the last place, so the road can always see it and refuse.
    fn record(&mut self, kind: RepairKind, before: impl Into<String>, after: impl Into<String>) {
        let keeps_meaning_visible = kind.may_alter_meaning() && !self.meaning_recorded;
        if !self.has_room() && !keeps_meaning_visible {
            return;
        }
        let path = JsonPath::from(self.path.clone());
        let repair = Repair::new(path, kind, Value::String(before.into()), Value::String(after.into()));
        if self.has_room() {
            self.repairs.push(repair);
        } else if let Some(last) = self.repairs.last_mut() {
            *last = repair;
        }
        self.meaning_recorded |= kind.may_alter_meaning();
    }

    fn has_room(&self) -> bool {
        self.repairs.len() < MAX_RECORDED_REPAIRS
    }

    /// Whether a record made now may be kept, so its snippets are worth building.
    fn wants_snippets(&self) -> bool {
        self.has_room() || !self.meaning_recorded
    }

    /// Drops the records made since `count`, as when a span is read again.
    fn forget_records_since(&mut self, count: usize) {
        self.repairs.truncate(count);
        self.meaning_recorded = self.repairs.iter().any(|repair| repair.kind.may_alter_meaning());
    }

    /// Records the text from `from` to `to` as dropped, unless it is only whitespace and commas.
    fn record_dropped(&mut self, from: usize, to: usize) {
        if !self.has_room() || to <= from {
            return;
        }
        let dropped = self.slice(from, to.min(from + SNIPPET_CHARS * 2));
        let trimmed = dropped.trim_matches(|c: char| is_space(c) || c == ',');
        if !trimmed.is_empty() {
            self.record(RepairKind::DroppedText, snippet(trimmed), "");
        }
    }

    /// Text skipped outside any document: prose, or a markdown fence.
    fn record_outside_text(&mut self, from: usize, to: usize) {
        if !self.has_room() || to <= from {
            return;
        }
        let text = self.slice(from, to.min(from + 4096));
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let (prose, fence, after) = match rest.find(FENCE) {
                Some(at) => {
                    let fence_end = at + rest[at..].len() - rest[at..].trim_start_matches('`').len();
                    let tag_end = fence_end
                        + rest[fence_end..]
                            .find(|c: char| !(c.is_ascii_alphanumeric() || "_+-.".contains(c)))
                            .unwrap_or(rest.len() - fence_end);
                    (&rest[..at], Some(&rest[at..tag_end]), &rest[tag_end..])
                }
                None => (rest, None, ""),
            };
            let prose = prose.trim_matches(is_space);
            if !prose.is_empty() {
                self.record(RepairKind::SurroundingText, snippet(prose), "");
            }
            if let Some(fence) = fence {
                if !self.fence_open {
                    self.record(RepairKind::MarkdownFence, snippet(fence), "");
                }
                self.fence_open = !self.fence_open;
            }
            rest = after;
        }
    }

    // ----- limits ----------------------------------------------------------------------------

    fn enter_container(&mut self, opened_at: usize) -> Parsed<()> {
        self.depth += 1;
        let limit = self.limits.effective_depth();
        if self.depth > limit {
            return Err(Refusal::new(
                opened_at,
                format!("nesting deeper than the limit of {limit} levels"),
            ));
        }
        Ok(())
    }

    fn check_string_length(&self, start: usize, length: usize) -> Parsed<()> {
        let limit = self.limits.max_string_length;
        if length > limit {
            return Err(Refusal::new(
                start,
                format!("string longer than the limit of {limit} bytes"),
            ));
        }
        Ok(())
    }

    // ----- documents -------------------------------------------------------------------------

    /// Every document in the text: one is the value; several are returned as a list, except that
    /// an empty document gives way to the next, and a document repeated with the same shape and
    /// no comma between is read as an update of the one before.
    fn parse_top_level(&mut self) -> Parsed<Option<Value>> {
        let first = self.parse_json()?;
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

    fn next_top_level_value_is_comma_separated(&mut self) -> bool {
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
    fn parse_json(&mut self) -> Parsed<Value> {
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
    fn prose_bracket_end(&mut self, open: usize) -> Option<usize> {
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
    fn valid_document_here(&mut self) -> Option<Value> {
        let rest: String = self.chars[self.index..].iter().collect();
        let mut stream = serde_json::Deserializer::from_str(&rest).into_iter::<Value>();
        let mut value = stream.next()?.ok()?;
        let document = &rest[..stream.byte_offset()];
        if oversized_integer(document).is_some() {
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

    fn flush_skipped(&mut self, skipped_from: Option<usize>) {
        if let Some(from) = skipped_from {
            if self.places.is_empty() {
                self.record_outside_text(from, self.index);
            } else {
                self.record_dropped(from, self.index);
            }
        }
    }

    // ----- objects ---------------------------------------------------------------------------

    /// An object whose members start at `index` (just past its `{`, or at the implied `{` of a
    /// split); `open` is where it opened.
    fn parse_object(&mut self, open: usize) -> Parsed<Value> {
        self.enter_container(open)?;
        let mut object = Map::new();
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
    fn drop_extra_closing_brace(&mut self) {
        if self.cur() == Some('}') && !matches!(self.places.current(), Some(Place::ObjectKey | Place::ObjectValue)) {
            self.record(RepairKind::DroppedText, "}", "");
            self.index += 1;
        }
    }

    /// `{"a": 1}, "b": 2}`: members after the object closed too early are its own.
    fn parse_members_after_close(&mut self, object: &mut Value, open: usize) -> Parsed<()> {
        loop {
            self.skip_whitespaces();
            if self.cur() != Some(',') {
                return Ok(());
            }
            self.index += 1;
            self.skip_whitespaces();
            if !self.cur().is_some_and(is_delimiter) {
                return Ok(());
            }
            let from = self.index;
            let mut more = Map::new();
            let end = self.parse_members(&mut more, open)?;
            let members = self.snippet_of(from, self.index);
            self.record(
                RepairKind::MismatchedBracket,
                format!("}}, {members}"),
                format!(", {members}"),
            );
            let Value::Object(target) = &mut *object else {
                return Ok(());
            };
            match end {
                MembersEnd::Object => target.extend(more),
                MembersEnd::Replaced(Value::Object(more)) => {
                    target.extend(more);
                    return Ok(());
                }
                MembersEnd::Replaced(_) => return Ok(()),
            }
        }
    }

    fn parse_members(&mut self, object: &mut Map<String, Value>, open: usize) -> Parsed<MembersEnd> {
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
            if let Some(earlier) = object.get(&key) {
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
    fn record_truncated(&mut self, closer: char) {
        if self.has_room() {
            let end = match self.content_end {
                Some(end) => end,
                None => {
                    let mut end = self.len();
                    while end > 0 && is_space(self.chars[end - 1]) {
                        end -= 1;
                    }
                    // A digit on the very last byte may be the start of a longer number: `10`
                    // cut from `1000`. The document still closes, but the road will not trust it.
                    if end == self.len() && end > 0 && self.chars[end - 1].is_ascii_digit() {
                        let tail = self.slice(end.saturating_sub(CONTEXT_CHARS), end);
                        self.record(RepairKind::TruncatedNumber, last_chars(&tail), last_chars(&tail));
                    }
                    *self.content_end.insert(end)
                }
            };
            let tail = self.slice(end.saturating_sub(CONTEXT_CHARS), end);
            let before = format!("{tail}{}", self.supplied_closers);
            let after = format!("{before}{closer}");
            self.record(RepairKind::Truncated, last_chars(&before), last_chars(&after));
        }
        if self.supplied_closers.len() < SNIPPET_CHARS {
            self.supplied_closers.push(closer);
        }
    }

    /// Records the comma at `comma` as removed, with the text around it.
    fn record_trailing_comma(&mut self, comma: usize) {
        if self.has_room() {
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
    fn parse_object_key(&mut self, object: &mut Map<String, Value>) -> Parsed<(String, usize)> {
        self.places.push(Place::ObjectKey);
        let result = self.parse_object_key_in_place(object);
        self.places.pop();
        result
    }

    fn parse_object_key_in_place(&mut self, object: &mut Map<String, Value>) -> Parsed<(String, usize)> {
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
    fn merge_array_continuation(&mut self, object: &mut Map<String, Value>) -> Parsed<bool> {
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
    fn should_split_duplicate_object(&mut self, rollback: usize) -> bool {
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

    fn parse_object_value(&mut self) -> Parsed<Value> {
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
    fn value_starts_here(&self) -> bool {
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
    fn reread_empty_object(&mut self, start: usize, open: usize, records_before: usize) -> Parsed<Option<Value>> {
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
        self.record(RepairKind::TupleToArray, before, value_snippet(&value));
        Ok(Some(value))
    }

    // ----- arrays ----------------------------------------------------------------------------

    /// The items of an array (or tuple, with `closing` `)`) whose first item starts at `index`.
    fn parse_array(&mut self, closing: char, open: usize) -> Parsed<Vec<Value>> {
        self.enter_container(open)?;
        self.places.push(Place::Array);
        let items = self.parse_items(closing);
        self.places.pop();
        self.depth -= 1;
        items
    }

    fn parse_items(&mut self, closing: char) -> Parsed<Vec<Value>> {
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
    fn parse_parenthesized(&mut self) -> Parsed<Value> {
        let explicit_tuple = self.parenthesized_is_explicit_tuple();
        let open = self.index;
        self.index += 1;
        let mut items = self.parse_array(')', open)?;
        let before = self.snippet_of(open, self.index);
        if explicit_tuple || items.len() != 1 {
            let value = Value::Array(items);
            self.record(RepairKind::TupleToArray, before, value_snippet(&value));
            return Ok(value);
        }
        let value = items.pop().unwrap_or(Value::Null);
        self.record(RepairKind::DroppedText, before, value_snippet(&value));
        Ok(value)
    }

    /// Whether the `(` at `index` starts an explicit tuple: empty, or a comma at its top level.
    fn parenthesized_is_explicit_tuple(&mut self) -> bool {
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
    fn walk_parenthesized<T>(&self, mut visit: impl FnMut(char, bool) -> Option<T>) -> (Option<T>, usize) {
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
    fn top_level_parenthesized_can_start_value(&mut self) -> bool {
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

    fn starts_with_at(&self, position: usize, word: &str) -> bool {
        (position..)
            .zip(word.chars())
            .all(|(at, expected)| self.at(at) == Some(expected))
    }

    // ----- comments --------------------------------------------------------------------------

    /// A `#`, `//` or `/* */` comment at `index` (a lone `/` is dropped). Inside a container a `#`
    /// comment also ends where the container or key it sits in can end.
    fn parse_comment(&mut self) {
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

    // ----- strings ---------------------------------------------------------------------------

    /// A string, quoted or not, or a literal (`true`, `None` ...) where a value may stand. Where a
    /// quote inside the string ends it is decided as json_repair decides it: by what follows.
    fn parse_string(&mut self) -> Parsed<Value> {
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
    fn try_simple_quoted_string(&mut self) -> Parsed<Option<String>> {
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
                self.record(
                    RepairKind::ControlCharacter,
                    control.to_string(),
                    json_escaped(&control.to_string()),
                );
            }
        }
        self.index = end + 1;
        Ok(Some(text))
    }

    /// Appends `character` as text of the string and moves on.
    fn append_literal(&mut self, read: &mut StringRead, character: char) -> Option<char> {
        if is_delimiter(character) {
            read.inner_quotes += 1;
        }
        read.push_raw(character);
        self.index += 1;
        self.cur()
    }

    /// Reads the string's characters up to where it ends. Returns the character it stopped at:
    /// its closing quote, or what ends it without one; None at the end of the text.
    fn scan_string_body(&mut self, read: &mut StringRead, start: usize) -> Parsed<Option<char>> {
        let outer = read.outer();
        let mut current = self.cur();
        while let Some(character) = current {
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
                let escape_end = (self.index + 1).min(self.len());
                let written = format!("\\{}", self.slice(self.index, escape_end));
                self.record(RepairKind::InvalidEscape, written.clone(), json_escaped(&written));
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

    /// After a backslash from the input: decodes the escape it starts, if it is one. Returns
    /// whether it did, and the character the string goes on with.
    fn normalize_escape(&mut self, read: &mut StringRead, character: char) -> (bool, Option<char>) {
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

    /// Whether the quote at `quote` is followed by what may follow a string: `,` `}` `]` `:` or
    /// the end of the text.
    fn quote_can_close(&mut self, quote: usize) -> bool {
        let after = self.skip_space_from(quote + 1);
        matches!(self.at(after), None | Some(',' | '}' | ']' | ':'))
    }

    fn hex_at(&self, position: usize, digits: usize) -> Option<u32> {
        (0..digits).try_fold(0u32, |code, offset| {
            Some(code * 16 + self.at(position + offset)?.to_digit(16)?)
        })
    }

    /// At a quote that could close the string: whether it is text instead (`handled`), the
    /// character to go on with, and whether the string ends here (`stop`).
    fn right_quote_candidate(&mut self, read: &mut StringRead, quote: char) -> (bool, Option<char>, bool) {
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

    /// Ends a string: consumes its closing quote, trims what json_repair trims, records.
    fn finish_string(&mut self, mut read: StringRead, end: Option<char>, start: usize) -> Parsed<Value> {
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
        let mut line_break_dropped = false;
        if read.missing_quotes {
            read.trim_end();
        } else if closed && read.raw_trailing_space > 0 && read.text.ends_with('\n') {
            line_break_dropped = read.trim_end();
        }
        self.check_string_length(start, read.text.len())?;
        let truncated = !closed && (ran_to_end || (!read.missing_quotes && self.only_closers_follow()));
        if truncated {
            let before = self.snippet_of(start, self.index);
            self.record(RepairKind::TruncatedString, before, json_snippet(&read.text));
        }
        if self.has_room() {
            self.record_quote_style(&read, start);
            if read.inner_quotes > 0 {
                let before = self.snippet_of(start, self.index);
                self.record(RepairKind::UnescapedQuote, before, json_snippet(&read.text));
            }
            for (position, control) in &read.raw_controls {
                if *position < read.text.len() {
                    self.record(
                        RepairKind::ControlCharacter,
                        control.to_string(),
                        json_escaped(&control.to_string()),
                    );
                }
            }
            if line_break_dropped {
                self.record(RepairKind::TrailingLineBreak, "\\n\"", "\"");
            }
            if !closed && !truncated && !read.missing_quotes {
                let before = self.snippet_of(start, self.index);
                self.record(RepairKind::UnquotedString, before, json_snippet(&read.text));
            }
        }
        Ok(Value::String(read.text))
    }

    fn record_quote_style(&mut self, read: &StringRead, start: usize) {
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
        let after = json_snippet(&read.text);
        self.record(kind, before, after);
    }

    /// Whether only whitespace, closing brackets and fences are left.
    fn only_closers_follow(&mut self) -> bool {
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
    fn quote_in_character_class(&mut self, read: &StringRead) -> bool {
        if read.class_start.is_none() || read.class_has_space {
            return false;
        }
        let bracket = self.find_unescaped(self.index + 1, &[']']);
        self.at(bracket) == Some(']')
    }

    /// How a comma in an object value's string reads, by what follows it.
    fn classify_object_value_comma(&mut self) -> CommaRole {
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
    fn member_value_recoverable(&mut self, from: usize) -> bool {
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
    fn skip_inline_container(&mut self, start: usize) -> Option<usize> {
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

    fn starts_nested_inline_container(&mut self, position: usize) -> bool {
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

    fn bare_key_followed_by_colon(&mut self, start: usize) -> bool {
        if !self.at(start).is_some_and(|c| c.is_alphanumeric() || c == '_') {
            return false;
        }
        let key_end = self.skip_bare_key(start);
        let after = self.skip_space_from(key_end);
        self.at(after) == Some(':')
    }

    /// Past whitespace and comments from `from`.
    fn skip_space_and_comments(&mut self, from: usize) -> usize {
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
    fn quoted_member_follows(&mut self, quote: usize) -> bool {
        let comma = self.skip_space_from(quote + 1);
        if self.at(comma) != Some(',') {
            return false;
        }
        let member = self.skip_space_and_comments(comma + 1);
        self.member_starts_at(member)
    }

    fn member_starts_at(&mut self, position: usize) -> bool {
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

    fn post_fence_container_starts_next_member(&mut self, container_end: usize) -> bool {
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
    fn brace_before_fence_belongs_to_string(&mut self, read: &mut StringRead, fence: usize) -> bool {
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

    /// "```json ... ```" where a string should start: the fenced document is the value.
    fn parse_json_llm_block(&mut self) -> Parsed<Option<Value>> {
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

    // ----- literals and numbers --------------------------------------------------------------

    /// `true`, `false`, `null` in any case (`True`, `NULL`), at `index`.
    fn parse_boolean_or_null(&mut self) -> Option<Value> {
        let start = self.index;
        let (word, value) = match self.at(start)?.to_ascii_lowercase() {
            't' => ("true", Value::Bool(true)),
            'f' => ("false", Value::Bool(false)),
            'n' => ("null", Value::Null),
            _ => return None,
        };
        for expected in word.chars() {
            if self.at(self.index).map(|c| c.to_ascii_lowercase()) != Some(expected) {
                self.index = start;
                return None;
            }
            self.index += 1;
        }
        let written = self.slice(start, self.index);
        if written != word {
            self.record(RepairKind::PythonLiteral, written, word);
        }
        Some(value)
    }

    /// Python's `None` and the non-finite numbers (`NaN`, `Infinity`, `nan`, `inf`) as a whole word.
    fn parse_python_word(&mut self) -> Option<Value> {
        let start = self.index;
        let limit = self.lookahead_end(start).max((start + 9).min(self.len()));
        let mut end = start;
        while end < limit && self.chars[end].is_alphanumeric() {
            end += 1;
        }
        if end - start > 8 {
            return None;
        }
        let word = self.slice(start, end);
        let kind = match word.as_str() {
            "None" => RepairKind::PythonLiteral,
            "NaN" | "Infinity" | "nan" | "inf" => RepairKind::NonFiniteNumber,
            _ => return None,
        };
        self.index = end;
        self.record(kind, word, "null");
        Some(Value::Null)
    }

    /// A number as json_repair reads one: digits with `-`, `.`, `e`, `_` (dropped), and `,` or
    /// `/` outside arrays, which make it a string (`1,5`, `1/2`).
    fn parse_number(&mut self) -> Parsed<Value> {
        let start = self.index;
        let in_array = self.places.is(Place::Array);
        let mut literal = String::new();
        while let Some(character) = self.at(self.index) {
            // A sign belongs to the number only as the exponent's (`1e+5`).
            let exponent_sign = character == '+' && literal.ends_with(['e', 'E']);
            if !(is_number_char(character) || exponent_sign) || (in_array && character == ',') {
                break;
            }
            if character != '_' {
                literal.push(character);
            }
            self.index += 1;
        }
        if literal == "-" {
            for word in ["Infinity", "inf"] {
                if self.starts_with_at(self.index, word)
                    && !self.at(self.index + word.len()).is_some_and(char::is_alphanumeric)
                {
                    self.index += word.len();
                    self.record(RepairKind::NonFiniteNumber, format!("-{word}"), "null");
                    return Ok(Value::Null);
                }
            }
        }
        if self.at(self.index).is_some_and(char::is_alphabetic) {
            self.index -= literal.chars().count();
            return self.parse_string();
        }
        if literal.ends_with(['-', '+', 'e', 'E', '/', ',']) {
            literal.pop();
            self.index -= 1;
        }
        // The number characters are ASCII: no `_` was dropped when the lengths agree.
        let written_as_read = literal.len() == self.index - start;
        if literal.contains(',') {
            let written = self.snippet_of(start, self.index);
            self.record(RepairKind::UnquotedString, written, json_snippet(&literal));
            return Ok(Value::String(literal));
        }
        let number = if literal.contains(['.', 'e', 'E']) {
            python_float(&literal).map(|float| {
                Number::from_f64(float)
                    .map(Value::Number)
                    .ok_or_else(|| Refusal::new(start, "number out of range"))
            })
        } else {
            python_int(&literal).map(|integer| match integer {
                Some(integer) => Ok(integer),
                None if self.wide == WideIntegers::Carry => Ok(wide_integer::carry(literal.trim_start_matches('+'))),
                None => Err(Refusal::new(start, OVERSIZED_INTEGER)),
            })
        };
        match number {
            Some(number) => {
                let number = number?;
                if !(written_as_read && is_json_number(&literal)) {
                    let written = self.snippet_of(start, self.index);
                    let after = match &number {
                        Value::String(_) => literal.clone(),
                        other => other.to_string(),
                    };
                    self.record(RepairKind::LenientNumber, written, after);
                }
                Ok(number)
            }
            None => {
                // An ellipsis is dropped by the list it stands in, and recorded there.
                if !literal.is_empty() && literal != "..." {
                    let written = self.snippet_of(start, self.index);
                    self.record(RepairKind::UnquotedString, written, json_snippet(&literal));
                }
                Ok(Value::String(literal))
            }
        }
    }

    fn insertion_snippets(&self, at: usize, inserted: &str) -> (String, String) {
        self.edit_snippets(at, 0, inserted)
    }

    /// The text around `at`, before and after the `removed` characters there become `inserted`.
    fn edit_snippets(&self, at: usize, removed: usize, inserted: &str) -> (String, String) {
        if !self.wants_snippets() {
            return (String::new(), String::new());
        }
        let at = at.min(self.len());
        let end = (at + removed).min(self.len());
        let head = self.slice(at.saturating_sub(CONTEXT_CHARS), at);
        let old = self.slice(at, end);
        let tail = self.slice(end, end + CONTEXT_CHARS);
        (format!("{head}{old}{tail}"), format!("{head}{inserted}{tail}"))
    }
}

/// The characters one look-ahead searches for, as a key for the answers kept.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Targets([char; 6]);

impl Targets {
    fn new(targets: &[char]) -> Self {
        let mut key = ['\0'; 6];
        for (slot, target) in key.iter_mut().zip(targets) {
            *slot = *target;
        }
        Targets(key)
    }
}

enum MembersEnd {
    /// The members went into the object.
    Object,
    /// The object read as something else (a list, an unescaped document).
    Replaced(Value),
}

/// json_repair's "nothing here": an empty string, which a caller tells from a value by context.
fn nothing() -> Value {
    Value::String(String::new())
}

/// Python's truthiness, which json_repair uses to drop empty documents.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|float| float != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

fn is_strictly_empty(value: &Value) -> bool {
    match value {
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// Same type and same structure (keys, lengths), whatever the scalar values.
fn same_shape(first: &Value, second: &Value) -> bool {
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

/// `map.contains_key(key)`, without hashing for the small objects arguments mostly are.
fn has_key(map: &Map<String, Value>, key: &str) -> bool {
    if map.len() <= 8 {
        map.keys().any(|existing| existing == key)
    } else {
        map.contains_key(key)
    }
}

/// A key read where a string was expected; a literal stands for its text.
fn key_text(value: Value) -> String {
    match value {
        Value::String(text) => text,
        other => other.to_string(),
    }
}

/// Appends the items of an array that continued after its `]` to the array before: rows stay
/// rows (`[[1, 2]], [3, 4]` gives two rows), loose items of a row's length are grouped into rows.
fn merge_rows(previous: &mut Vec<Value>, new_items: Vec<Value>, affordable: bool) {
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

/// `text` without its `#`, `//` and `/* */` comments (outside quotes).
fn strip_comments(text: &str) -> String {
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

/// Whether `text` holds a `:` outside quotes, as an object's members do.
fn has_unquoted_colon(text: &str) -> bool {
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

/// Keeps track of brackets opened inside a string after a comma (`"a, [b, c]"`): returns whether
/// `character` closes one of them, and so is text.
fn update_inline_containers(character: char, read: &mut StringRead) -> bool {
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

/// What json_repair reads as part of a number: `,` and `/` make it a string (`1,5`, `1/2`), `_`
/// is dropped (`1_000`).
fn is_number_char(character: char) -> bool {
    matches!(character, '0'..='9' | '-' | '.' | 'e' | 'E' | '/' | ',' | '_')
}

fn is_space(character: char) -> bool {
    character.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&character)
}

fn is_delimiter(character: char) -> bool {
    STRING_DELIMITERS.contains(&character)
}

fn matching_quote(open: char) -> char {
    if open == OPEN_CURLY_QUOTE {
        CLOSE_CURLY_QUOTE
    } else {
        open
    }
}

fn is_inline_opener(character: char) -> bool {
    matches!(character, '[' | '{' | '(')
}

fn inline_closer(open: char) -> Option<char> {
    match open {
        '[' => Some(']'),
        '{' => Some('}'),
        '(' => Some(')'),
        _ => None,
    }
}

fn is_bare_key_char(character: char) -> bool {
    character.is_alphanumeric() || character == '_' || character == '-'
}

/// Python's `float()` over json_repair's number characters: `-?(D+(.D*)?|.D+)([eE]-?D+)?`.
fn python_float(literal: &str) -> Option<f64> {
    let (sign, unsigned) = match literal.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", literal),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (integer, fraction) = match mantissa.split_once('.') {
        Some((integer, fraction)) => (integer, fraction),
        None => (mantissa, ""),
    };
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if !all_digits(integer) || !all_digits(fraction) || (integer.is_empty() && fraction.is_empty()) {
        return None;
    }
    let mut normalized = format!(
        "{sign}{}.{}",
        if integer.is_empty() { "0" } else { integer },
        if fraction.is_empty() { "0" } else { fraction }
    );
    if let Some(exponent) = exponent {
        let digits = exponent.strip_prefix(['-', '+']).unwrap_or(exponent);
        if digits.is_empty() || !all_digits(digits) {
            return None;
        }
        normalized.push('e');
        normalized.push_str(exponent);
    }
    normalized.parse::<f64>().ok()
}

/// Python's `int()` over json_repair's number characters: None if `literal` is not an integer,
/// Some(None) if it is one beyond 64 bits.
fn python_int(literal: &str) -> Option<Option<Value>> {
    let digits = literal.strip_prefix('-').unwrap_or(literal);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    if let Ok(unsigned) = literal.parse::<u64>() {
        return Some(Some(Value::Number(Number::from(unsigned))));
    }
    Some(
        literal
            .parse::<i64>()
            .ok()
            .map(|signed| Value::Number(Number::from(signed))),
    )
}

// ----- snippets --------------------------------------------------------------------------------

/// At most SNIPPET_CHARS characters of `text`, marked with an ellipsis when cut.
fn snippet(text: &str) -> String {
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
fn json_snippet(text: &str) -> String {
    let head: String = text.chars().take(SNIPPET_CHARS).collect();
    snippet(&Value::String(head).to_string())
}

/// How `text` is written inside a JSON string, without the quotes.
fn json_escaped(text: &str) -> String {
    let quoted = Value::String(text.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// The start of a value's compact JSON, without serializing all of a large value.
fn value_snippet(value: &Value) -> String {
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
    let _ = serde_json::to_writer(&mut capped, value);
    snippet(&String::from_utf8_lossy(&capped.0))
}

/// At most SNIPPET_CHARS characters from the end of `text`, marked with an ellipsis when cut.
fn last_chars(text: &str) -> String {
    let count = text.chars().count();
    if count <= SNIPPET_CHARS {
        return text.to_owned();
    }
    let tail: String = text.chars().skip(count - (SNIPPET_CHARS - 1)).collect();
    format!("\u{2026}{tail}")
}

fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use serde_json::json;

    use super::*;
    use crate::limits::HARD_MAX_DEPTH;
    use RepairKind::*;

    fn repaired(text: &str) -> Repaired {
        repair(text, &Limits::default()).unwrap_or_else(|error| panic!("{text:?} was refused: {error}"))
    }

    fn value(text: &str) -> Value {
        repaired(text).value
    }

    fn kinds(text: &str) -> Vec<RepairKind> {
        repaired(text).repairs.iter().map(|repair| repair.kind).collect()
    }

    fn only_record(text: &str, kind: RepairKind) -> Repair {
        let mut repairs: Vec<Repair> = repaired(text)
            .repairs
            .into_iter()
            .filter(|repair| repair.kind == kind)
            .collect();
        assert_eq!(repairs.len(), 1, "{text:?}: {repairs:?}");
        repairs.remove(0)
    }

    fn refused(text: &str) -> RepairError {
        refused_with(text, &Limits::default())
    }

    fn refused_with(text: &str, limits: &Limits) -> RepairError {
        match repair(text, limits) {
            Ok(repaired) => panic!("{text:?} was repaired into {}", repaired.value),
            Err(error) => error,
        }
    }

    // ----- each repair kind ----------------------------------------------------------------

    #[test]
    fn markdown_fences_are_removed() {
        assert_eq!(value("```json\n{\"a\": 1}\n```"), json!({"a": 1}));
        assert_eq!(kinds("```json\n{\"a\": 1}\n```"), [MarkdownFence]);
        assert_eq!(
            only_record("```json\n{\"a\": 1}\n```", MarkdownFence).before,
            json!("```json")
        );
        assert_eq!(value("```\n[1, 2]\n```"), json!([1, 2]));
        assert_eq!(value("````{ \"a\": \"b\" }```"), json!({"a": "b"}));
        // A fence the text ends inside of, and a closing fence with no opening one.
        assert_eq!(value("```json\n{\"a\": 1}"), json!({"a": 1}));
        assert_eq!(kinds("{\"a\": [1]}\n```"), [MarkdownFence]);
        // Backticks inside a string are text, not a fence.
        assert_eq!(value("{\"a\": \"```json\", 'b': 1}"), json!({"a": "```json", "b": 1}));
        assert_eq!(value("```json\n(1, 2)\n```"), json!([1, 2]));
        // A fenced document where a string should start is the value.
        assert_eq!(
            value("{\"key\": \"```json {\"a\": [1, 2]}```\"}"),
            json!({"key": {"a": [1, 2]}})
        );
        assert!(refused("```\nTrue that\n```").message.contains("no JSON object"));
    }

    #[test]
    fn prose_around_the_document_is_dropped() {
        let text = "Sure! Here it is:\n{\"a\": 1}\nHope this helps.";
        assert_eq!(value(text), json!({"a": 1}));
        assert_eq!(kinds(text), [SurroundingText, SurroundingText]);
        let records = repaired(text).repairs;
        assert_eq!(records[0].before, json!("Sure! Here it is:"));
        assert_eq!(records[1].before, json!("Hope this helps."));
        assert_eq!(records[1].after, json!(""));
        assert_eq!(
            kinds("Result:\n```json\n{\"a\": 1}\n```\nDone."),
            [SurroundingText, MarkdownFence, SurroundingText]
        );
        // A valid document after prose is read exactly as serde_json reads it.
        let text = "Here is your JSON:\n{\"text\": \"a\\n b, floof: c\", \"id\": 8}";
        assert_eq!(value(text), json!({"text": "a\n b, floof: c", "id": 8}));
        assert_eq!(kinds(text), [SurroundingText]);
    }

    #[test]
    fn brackets_in_prose_before_the_document_are_skipped() {
        assert_eq!(value("Use {braces} like so: {\"a\": 1}"), json!({"a": 1}));
        assert_eq!(value("{ this is prose } {\"a\": 1}"), json!({"a": 1}));
        assert_eq!(value("(1) Keep this note.\n```json\n{\"a\": 1}\n```"), json!({"a": 1}));
        assert_eq!(value("note (clarification): {\"a\": 1}"), json!({"a": 1}));
        assert_eq!(value("Use ``` for code. [1, 2]"), json!([1, 2]));
        // Without a document after it, a bracket of words is the document.
        assert_eq!(value("[sic]"), json!(["sic"]));
    }

    #[test]
    fn trailing_commas_are_removed() {
        let text = "{\"a\": [1, 2,], }";
        assert_eq!(value(text), json!({"a": [1, 2]}));
        let records = repaired(text).repairs;
        assert_eq!(records.len(), 2);
        assert!(records.iter().all(|record| record.kind == TrailingComma));
        assert_eq!(records[0].path.to_string(), "a");
        assert_eq!(records[0].before, json!("{\"a\": [1, 2,], }"));
        assert_eq!(records[0].after, json!("{\"a\": [1, 2], }"));
        assert!(records[1].path.is_root());
        assert_eq!(records[1].after, json!("{\"a\": [1, 2,] }"));
        // Whitespace before the comma does not let the object swallow what follows it.
        assert_eq!(value("{\"x\": {\"a\": 1 ,}, \"y\": 2}"), json!({"x": {"a": 1}, "y": 2}));
    }

    #[test]
    fn missing_commas_are_inserted() {
        assert_eq!(value("{\"a\": 1 \"b\": 2}"), json!({"a": 1, "b": 2}));
        assert_eq!(value("[1 2\n3]"), json!([1, 2, 3]));
        // Python reads strings side by side as one, and the text is a Python literal.
        assert_eq!(value("[\"a\" \"b\"]"), json!(["ab"]));
        assert_eq!(value("[\"a\" \"b\" true]"), json!(["a", "b", true]));
        assert_eq!(value("[{\"a\": 1} {\"a\": 2}]"), json!([{"a": 1}, {"a": 2}]));
        let record = only_record("{\"a\": 1 \"b\": 2}", MissingComma);
        assert_eq!(record.before, json!("{\"a\": 1 \"b\": 2}"));
        assert_eq!(record.after, json!("{\"a\": 1, \"b\": 2}"));
        assert_eq!(only_record("[1 2]", MissingComma).path.to_string(), "[1]");
    }

    #[test]
    fn missing_colons_after_keys_are_inserted() {
        assert_eq!(value("{\"a\" 1, \"b\" \"x\"}"), json!({"a": 1, "b": "x"}));
        let record = only_record("{\"a\" 1}", MissingColon);
        assert_eq!(record.path.to_string(), "a");
        assert_eq!(record.after, json!("{\"a\": 1}"));
        // A comma where the colon belongs.
        assert_eq!(value("{\"key\", 105}"), json!({"key": 105}));
        assert_eq!(
            only_record("{\"key\", 105}", MissingColon).after,
            json!("{\"key\": 105}")
        );
    }

    #[test]
    fn single_quotes_are_requoted() {
        let text = "{'a': 'it\\'s \"x\"'}";
        assert_eq!(value(text), json!({"a": "it's \"x\""}));
        let records = repaired(text).repairs;
        assert_eq!(records.len(), 2);
        assert!(records
            .iter()
            .all(|record| record.kind == SingleQuotes && record.path.to_string() == "a"));
        assert_eq!(records[0].before, json!("'a'"));
        assert_eq!(records[0].after, json!("\"a\""));
        assert_eq!(value("['x', 'y']"), json!(["x", "y"]));
    }

    #[test]
    fn typographic_quotes_are_read_as_quotes() {
        let text = "{\u{201C}a\u{201D}: \u{201C}b \u{2014} c\u{201D}}";
        assert_eq!(value(text), json!({"a": "b \u{2014} c"}));
        assert_eq!(kinds(text), [TypographicQuotes, TypographicQuotes]);
        let record = &repaired(text).repairs[1];
        assert_eq!(record.path.to_string(), "a");
        assert_eq!(record.after, json!("\"b \u{2014} c\""));
        // A low quote opens a quotation inside the string, closed by a high one or a `"`.
        assert_eq!(
            value("{\"a\": \"er sagte \u{201E}ja\u{201D} und ging\",}"),
            json!({"a": "er sagte \u{201E}ja\u{201D} und ging"})
        );
    }

    #[test]
    fn unquoted_keys_are_quoted() {
        assert_eq!(
            value("{a: 1, b_c: 2, $d: 3, _e: 4, 5: 5}"),
            json!({"a": 1, "b_c": 2, "$d": 3, "_e": 4, "5": 5})
        );
        let record = only_record("{\"x\": {name: 1}}", UnquotedKey);
        assert_eq!(record.path.to_string(), "x.name");
        assert_eq!((record.before, record.after), (json!("name"), json!("\"name\"")));
    }

    #[test]
    fn unquoted_strings_are_quoted() {
        assert_eq!(
            value("{\"city\": New York, \"n\": 1}"),
            json!({"city": "New York", "n": 1})
        );
        assert_eq!(value("[1, 2notanumber, 10-20]"), json!([1, "2notanumber", "10-20"]));
        assert_eq!(value("{\"url\": http://x.com/a}"), json!({"url": "http://x.com/a"}));
        assert_eq!(value("{\"key\", 105,12,"), json!({"key": "105,12"}));
        let record = only_record("{\"a\": [New York]}", UnquotedString);
        assert_eq!(record.path.to_string(), "a[0]");
        assert_eq!(
            (record.before, record.after),
            (json!("New York"), json!("\"New York\""))
        );
        // A quoted string whose closing quote is missing before the next member.
        assert_eq!(value("{\"a\": \"x, \"b\": 1}"), json!({"a": "x", "b": 1}));
        assert_eq!(
            only_record("{\"a\": \"x, \"b\": 1}", UnquotedString).path.to_string(),
            "a"
        );
    }

    #[test]
    fn comments_are_removed() {
        let text = "{\n  // the id\n  \"a\": 1, /* inline */ \"b\": 2 # python style\n}";
        assert_eq!(value(text), json!({"a": 1, "b": 2}));
        assert_eq!(kinds(text), [Comment, Comment, Comment]);
        let records = repaired(text).repairs;
        assert_eq!(records[0].before, json!("// the id"));
        assert_eq!(records[1].before, json!("/* inline */"));
        assert_eq!(records[2].before, json!("# python style"));
        assert_eq!(value("[1, // one ]\n 2]"), json!([1, 2]));
        // A `#` comment in a value ends where the object can end.
        assert_eq!(
            value("{ \"key\": { \"key2\": \"value2\" # comment }, \"key3\": \"value3\" }"),
            json!({"key": {"key2": "value2"}, "key3": "value3"})
        );
        assert_eq!(value("/* header */ {\"a\": 1}"), json!({"a": 1}));
    }

    #[test]
    fn python_literals_become_json() {
        let text = "{\"a\": True, \"b\": False, \"c\": None}";
        assert_eq!(value(text), json!({"a": true, "b": false, "c": null}));
        assert_eq!(kinds(text), [PythonLiteral, PythonLiteral, PythonLiteral]);
        let record = &repaired(text).repairs[0];
        assert_eq!((&record.before, &record.after), (&json!("True"), &json!("true")));
        // Any spelling of the JSON literals.
        assert_eq!(value("[TRUE, Null, fAlSe]"), json!([true, null, false]));
        assert_eq!(kinds("[TRUE, Null, fAlSe]"), [PythonLiteral; 3]);
    }

    #[test]
    fn non_finite_numbers_become_null() {
        let text = "[NaN, Infinity, -Infinity, nan, -inf]";
        assert_eq!(value(text), json!([null, null, null, null, null]));
        assert_eq!(kinds(text), [NonFiniteNumber; 5]);
        let record = only_record("{\"x\": -Infinity}", NonFiniteNumber);
        assert_eq!((record.before, record.after), (json!("-Infinity"), json!("null")));
        assert_eq!(record.path.to_string(), "x");
    }

    #[test]
    fn truncated_documents_are_closed_after_a_complete_value() {
        let text = "{\"a\": [1, 2";
        assert_eq!(value(text), json!({"a": [1, 2]}));
        // The text ends on a digit: `2` may have been cut from `20`, which the road will not trust.
        let records = repaired(text).repairs;
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].kind, TruncatedNumber);
        assert!(records[1..].iter().all(|record| record.kind == Truncated));
        assert_eq!(records[1].path.to_string(), "a");
        assert_eq!(
            (&records[1].before, &records[1].after),
            (&json!("{\"a\": [1, 2"), &json!("{\"a\": [1, 2]"))
        );
        assert!(records[2].path.is_root());
        assert_eq!(records[2].after, json!("{\"a\": [1, 2]}"));
        assert_eq!(kinds("{\"a\": 1.5"), [TruncatedNumber, Truncated]);
        assert_eq!(kinds("{\"a\": 1.5 "), [Truncated]);
        assert_eq!(kinds("[true"), [Truncated]);

        assert_eq!(value("{\"a\": \"x\""), json!({"a": "x"}));
        assert_eq!(kinds("{\"a\": \"x\""), [Truncated]);
        assert_eq!(value("{\"a\": 1.5"), json!({"a": 1.5}));
        assert_eq!(value("[true"), json!([true]));
        assert_eq!(value("{\"a\": {"), json!({"a": {}}));
        assert_eq!(value("["), json!([]));
        assert_eq!(value("{\"a\": 1 /* the rest"), json!({"a": 1}));
        // A dangling comma: the list may have gone on, but every item it holds is complete.
        assert_eq!(value("[1, 2,"), json!([1, 2]));
        assert_eq!(kinds("[1, 2,"), [TrailingComma, Truncated]);
        assert_eq!(only_record("[1, 2,", Truncated).after, json!("[1, 2,]"));
    }

    #[test]
    fn control_characters_in_strings_are_escaped() {
        let text = "{\"a\": \"line 1\nline 2\tend\", \"b\": 1,}";
        assert_eq!(value(text), json!({"a": "line 1\nline 2\tend", "b": 1}));
        let records: Vec<Repair> = repaired(text)
            .repairs
            .into_iter()
            .filter(|record| record.kind == ControlCharacter)
            .collect();
        assert_eq!(records.len(), 2);
        assert!(records.iter().all(|record| record.path.to_string() == "a"));
        assert_eq!((&records[0].before, &records[0].after), (&json!("\n"), &json!("\\n")));
        assert_eq!(value("\"a\tb\""), json!("a\tb"));
        assert_eq!(kinds("\"a\tb\""), [ControlCharacter]);
    }

    #[test]
    fn invalid_escapes_are_kept_literally() {
        assert_eq!(
            value("{\"re\": \"\\d+\\s\", \"n\": 1,}"),
            json!({"re": "\\d+\\s", "n": 1})
        );
        let record = &repaired("{\"re\": \"\\d\",}").repairs[0];
        assert_eq!(record.kind, InvalidEscape);
        assert_eq!((&record.before, &record.after), (&json!("\\d"), &json!("\\\\d")));
        assert_eq!(value("[\"\\ud800 alone\",]"), json!(["\\ud800 alone"]));
        assert_eq!(value("[\"\\u12\",]"), json!(["\\u12"]));
        assert_eq!(value("[\"\\é\",]"), json!(["\\é"]));
        // An escaped quote that needs no escape, and `\x41`, read as what they stand for.
        assert_eq!(value("{\"a\": \"it\\'s\"}"), json!({"a": "it's"}));
        assert_eq!(kinds("{\"a\": \"it\\'s\"}"), [InvalidEscape]);
        assert_eq!(
            value("{\"a\": \"\\u201ex\\\u{201E}\",}"),
            json!({"a": "\u{201E}x\u{201E}"})
        );
        assert_eq!(value("[\"\\x41\",]"), json!(["A"]));
        // A regex keeps its escapes and the quotes of its character class.
        assert_eq!(
            value("{\"regex\": \"^\\s*path\\(\\s*['\"]([^'\"]+)['\"]\\s*,\"}"),
            json!({"regex": "^\\s*path\\(\\s*['\"]([^'\"]+)['\"]\\s*,"})
        );
    }

    #[test]
    fn valid_escapes_decode_like_serde_json() {
        let text = r#"["\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t",]"#;
        assert_eq!(value(text), json!(["é😀\"\\/\u{8}\u{c}\n\r\t"]));
        // Runs of escaped backslashes stay runs, also at the end of a string.
        assert_eq!(value(r#"{"key": "a\\\\b\\\\c",}"#), json!({"key": "a\\\\b\\\\c"}));
        assert_eq!(value(r#"{"command": "dir C:\\",}"#), json!({"command": "dir C:\\"}));
        assert_eq!(value(r#"{"C:\\": [1, 2,]}"#), json!({"C:\\": [1, 2]}));
    }

    #[test]
    fn concatenated_documents_are_all_returned() {
        assert_eq!(value("{\"a\": 1}{\"b\": 2}"), json!([{"a": 1}, {"b": 2}]));
        assert_eq!(kinds("{\"a\": 1}\n{\"b\": 2}"), [ConcatenatedDocuments]);
        assert_eq!(only_record("[1] [2, 3]", ConcatenatedDocuments).before, json!("[2, 3]"));
        // An empty document gives way, and a repeat of the same shape is an update.
        assert_eq!(value("[]{\"a\": 1}"), json!({"a": 1}));
        assert_eq!(value("{\"a\": 1}\n{\"a\": 2}"), json!({"a": 2}));
        assert_eq!(value("{\"a\": 1}, {\"a\": 2}"), json!([{"a": 1}, {"a": 2}]));
    }

    #[test]
    fn unescaped_quotes_inside_strings_are_kept() {
        let text = "{\"html\": \"<a href=\"x\">link</a>\"}";
        assert_eq!(value(text), json!({"html": "<a href=\"x\">link</a>"}));
        let record = only_record(text, UnescapedQuote);
        assert_eq!(record.path.to_string(), "html");
        assert_eq!(record.after, json!("\"<a href=\\\"x\\\">link</a>\""));
        assert_eq!(value("[\"lorem \"ipsum\" sic\"]"), json!(["lorem \"ipsum\" sic"]));
        assert_eq!(value("{\"k\"e\"y\": \"value\"}"), json!({"k\"e\"y": "value"}));
        assert_eq!(
            value("{\"key\": \"Lorem \"ipsum\" s,\"}"),
            json!({"key": "Lorem \"ipsum\" s,"})
        );
        assert_eq!(
            value("{\"x\": \"a, {\"k\": {\"n\": 1}}, \"y\": 2}"),
            json!({"x": "a, {\"k\": {\"n\": 1}}", "y": 2})
        );
    }

    #[test]
    fn a_line_break_before_the_closing_quote_is_dropped() {
        let text = "{\"a\": \"line one\n\", \"b\": \"x\",}";
        assert_eq!(value(text), json!({"a": "line one", "b": "x"}));
        let record = only_record(text, TrailingLineBreak);
        assert_eq!(record.path.to_string(), "a");
        // An escaped line break is content.
        assert_eq!(value("{\"a\": \"line\\n\", \"b\": 1,}"), json!({"a": "line\n", "b": 1}));
    }

    #[test]
    fn loosely_written_numbers_are_read() {
        let text = "{\"n\": 1_000, \"m\": .5, \"k\": 1., \"z\": 007, \"e\": 1e }";
        assert_eq!(value(text), json!({"n": 1000, "m": 0.5, "k": 1.0, "z": 7, "e": 1}));
        let record = &repaired(text).repairs[0];
        assert_eq!(record.kind, LenientNumber);
        assert_eq!((&record.before, &record.after), (&json!("1_000"), &json!("1000")));
        assert_eq!(record.path.to_string(), "n");
        assert_eq!(value("[1.5e3,]"), json!([1500.0]));
    }

    #[test]
    fn tuples_and_sets_become_arrays() {
        assert_eq!(
            value("{\"t\": (1, 2), \"one\": (1,), \"e\": (), \"p\": (\"x\")}"),
            json!({"t": [1, 2], "one": [1], "e": [], "p": "x"})
        );
        assert_eq!(value("((1, 2), (3, 4))"), json!([[1, 2], [3, 4]]));
        let record = only_record("{\"t\": (1, 2)}", TupleToArray);
        assert_eq!(record.path.to_string(), "t");
        assert_eq!((record.before, record.after), (json!("(1, 2)"), json!("[1,2]")));
        // A set literal is a list.
        assert_eq!(value("{'key1', 'key2'}"), json!(["key1", "key2"]));
        assert_eq!(only_record("{'a', 'b'}", TupleToArray).after, json!("[\"a\",\"b\"]"));
    }

    #[test]
    fn mismatched_brackets_are_corrected() {
        assert_eq!(value("{\"a\": [1, 2}"), json!({"a": [1, 2]}));
        assert_eq!(kinds("{\"a\": [1, 2}"), [MismatchedBracket]);
        assert_eq!(value("[{\"a\": 1]"), json!([{"a": 1}]));
        assert_eq!(
            value("{\"key1\": [\"value1\", \"value2\"}, \"key2\": [\"value3\", \"value4\"]}"),
            json!({"key1": ["value1", "value2"], "key2": ["value3", "value4"]})
        );
        // A `:` in a list means an object was not opened.
        assert_eq!(value("[\"key\": \"value\"]"), json!([{"key": "value"}]));
        // Members after an object closed too early belong to it.
        assert_eq!(
            value("{\"key\": \"value\"}, \"key2\": \"value2\"}"),
            json!({"key": "value", "key2": "value2"})
        );
        // A list that goes on after its `]` continues.
        assert_eq!(
            value("{ \"key\": [\"a\"], [\"b\"], \"key3\": 1 }"),
            json!({"key": ["a", "b"], "key3": 1})
        );
        // A repeated key inside a list starts the next object.
        assert_eq!(value("[{\"a\": 1 \"a\": 2}]"), json!([{"a": 1}, {"a": 2}]));
        let record = only_record("[{\"a\": 1]", MismatchedBracket);
        assert_eq!(record.path.to_string(), "[0]");
    }

    #[test]
    fn stray_text_is_dropped() {
        assert_eq!(value("{\"a\": 1 @@ \"b\": 2}"), json!({"a": 1, "b": 2}));
        assert_eq!(only_record("{\"a\": 1 @@ \"b\": 2}", DroppedText).before, json!("@@"));
        assert_eq!(value("[1,,2]"), json!([1, 2]));
        assert_eq!(kinds("[1,,2]"), [DroppedText]);
        assert_eq!(
            value("{\"value_1\": true, COMMENT \"value_2\": \"data\"}"),
            json!({"value_1": true, "value_2": "data"})
        );
        assert_eq!(
            value("[{\"key\":\"value\"}},{\"key\":\"value\"}]"),
            json!([{"key": "value"}, {"key": "value"}])
        );
    }

    #[test]
    fn escaped_documents_are_unescaped() {
        let text = "{\\\"key\\\": \\\"value\\\"}";
        assert_eq!(value(text), json!({"key": "value"}));
        let record = only_record(text, EscapedDocument);
        assert_eq!(record.after, json!("{\"key\": \"value\"}"));
    }

    #[test]
    fn strings_cut_off_by_the_end_are_closed() {
        let text = "{\"path\": \"/etc/pa";
        assert_eq!(value(text), json!({"path": "/etc/pa"}));
        let record = only_record(text, TruncatedString);
        assert_eq!(record.path.to_string(), "path");
        assert_eq!(
            (record.before, record.after),
            (json!("\"/etc/pa"), json!("\"/etc/pa\""))
        );
        assert_eq!(value("{\"key\": \"value}"), json!({"key": "value"}));
        assert_eq!(kinds("{\"key\": \"value}"), [TruncatedString]);
        assert_eq!(value("[\"a\", \"b"), json!(["a", "b"]));
        assert_eq!(
            value("{\"a\": \"ends in a backslash\\"),
            json!({"a": "ends in a backslash\\"})
        );
        // Unquoted text running to the end may be cut off too.
        assert_eq!(value("{\"a\": hello"), json!({"a": "hello"}));
        assert!(kinds("{\"a\": hello").contains(&TruncatedString));
        assert_eq!(value("{\"a\": tru"), json!({"a": "tru"}));
    }

    #[test]
    fn keys_without_values_get_an_empty_one() {
        let text = "{\"a\": 1, \"b\": }";
        assert_eq!(value(text), json!({"a": 1, "b": ""}));
        let record = only_record(text, MissingValue);
        assert_eq!(record.path.to_string(), "b");
        assert_eq!(record.after, json!("{\"a\": 1, \"b\": \"\"}"));
        assert_eq!(
            value("{\"key\": , \"key2\": \"value2\"}"),
            json!({"key": "", "key2": "value2"})
        );
        assert_eq!(value("{\"a\": 1, \"b\":"), json!({"a": 1, "b": ""}));
        // A key with nothing after it is dropped, and that is recorded too.
        assert_eq!(value("{\"a\": 1, \"b\""), json!({"a": 1}));
        assert_eq!(only_record("{\"a\": 1, \"b\"", MissingValue).path.to_string(), "b");
    }

    #[test]
    fn ellipses_are_dropped() {
        assert_eq!(value("[1, 2, ...]"), json!([1, 2]));
        assert_eq!(kinds("[1, 2, ...]"), [Ellipsis]);
        assert_eq!(value("[1, 2, ... , 3]"), json!([1, 2, 3]));
        assert_eq!(only_record("{\"a\": [true, ...]}", Ellipsis).path.to_string(), "a[1]");
    }

    #[test]
    fn valid_json_needs_no_repairs() {
        for text in [
            "{}",
            "[]",
            "{\"a\": [1, -2.5e-3, 12345678901234567890, -9223372036854775808, \"x\", true, false, null]}",
            "  {\"nested\": {\"deeper\": [[[]]]}}  ",
            "\"just a string\"",
            "-0",
            "1e300",
            "{\"dup\": 1, \"dup\": 2}",
            "{\"key\": \"value}\\\\\\\"more\"}",
        ] {
            let expected: Value = serde_json::from_str(text).expect("valid JSON");
            let repaired = repaired(text);
            assert_eq!(repaired.value, expected, "{text}");
            assert!(repaired.repairs.is_empty(), "{text}: {:?}", repaired.repairs);
        }
    }

    // ----- refusals -------------------------------------------------------------------------

    #[test]
    fn text_without_a_document_is_refused() {
        assert_eq!(refused("").message, "empty input: no JSON value");
        assert_eq!(refused(" \n\t").message, "empty input: no JSON value");
        for text in ["hello world", "NaN", "(see below)", "]", "}", "/"] {
            let error = refused(text);
            assert!(!error.message.is_empty(), "{text}");
        }
        assert_eq!(
            refused("hello world").to_string(),
            "no JSON object or array found at line 1 column 1"
        );
        // A Python literal is what Python reads.
        assert_eq!(value("True"), json!(true));
        assert_eq!(value("'quoted'"), json!("quoted"));
        // A scalar with a comment after it is still that scalar.
        assert_eq!(value("42 // the answer"), json!(42));
        assert_eq!(kinds("42 // the answer"), [Comment]);
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused() {
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        let error = refused(&deep);
        assert_eq!(error.message, "nesting deeper than the limit of 64 levels");
        assert_eq!(error.column, 65);
        let shallow = Limits {
            max_depth: 2,
            ..Limits::default()
        };
        assert!(repair("{\"a\": [1]", &shallow).is_ok());
        assert!(refused_with("{\"a\": [[1]]", &shallow)
            .message
            .contains("limit of 2 levels"));
        // The hard cap holds whatever the configured limit.
        let unbounded = Limits {
            max_depth: usize::MAX,
            ..Limits::default()
        };
        let error = refused_with(&format!("{}1{}", "[".repeat(500), "]".repeat(500)), &unbounded);
        assert_eq!(
            error.message,
            format!("nesting deeper than the limit of {HARD_MAX_DEPTH} levels")
        );
        // Fenced documents nested in strings count as nesting.
        let fenced = format!("{}1", "[\"```json ".repeat(200));
        assert!(refused(&fenced).message.contains("nesting deeper"));
        // Up to the hard cap, broken documents of every shape are read without running out of stack.
        for deep in [
            format!("{}1", "{\"a\": [".repeat(HARD_MAX_DEPTH / 2)),
            format!("{}1", "[(".repeat(HARD_MAX_DEPTH / 2)),
            "[{'a', ".repeat(HARD_MAX_DEPTH / 2),
            format!("{}1", "{\\\"a\\\": ".repeat(HARD_MAX_DEPTH - 1)),
        ] {
            assert!(repair(&deep, &unbounded).is_ok(), "{}", &deep[..20]);
        }
    }

    #[test]
    fn strings_beyond_the_limit_are_refused() {
        let limits = Limits {
            max_string_length: 5,
            ..Limits::default()
        };
        for text in [
            "{\"a\": \"123456\",}",
            "{\"123456\": 1,}",
            "{\"a\": 123456a}",
            "{abcdef: 1}",
            "{\"a\": \"12\\n3456\",}",
            "\"1234\t56\"",
            "{\"a\": \"1234\"56\"}",
        ] {
            assert!(
                refused_with(text, &limits).message.contains("limit of 5 bytes"),
                "{text}"
            );
        }
        assert!(repair("{\"a\": \"12345\",}", &limits).is_ok());
    }

    #[test]
    fn documents_beyond_the_size_limit_are_refused() {
        let limits = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        assert!(refused_with("{\"a\": 12345678,}", &limits)
            .message
            .contains("larger than the limit"));
    }

    #[test]
    fn numbers_out_of_range_are_refused() {
        assert_eq!(refused("[1e400,]").message, "number out of range");
    }

    #[test]
    fn integers_beyond_64_bits_are_refused() {
        for text in [
            "{\"n\": 123456789012345678901234567890,}",
            "[-9223372036854775809",
            "{\"n\": 18446744073709551616}",
            "Result: {\"n\": 99999999999999999999}",
            "99999999999999999999 // the id",
        ] {
            let error = refused(text);
            assert_eq!(error.message, "integer beyond 64 bits would lose precision", "{text}");
        }
        assert_eq!(refused("{\"n\": 123456789012345678901234567890,}").column, 7);
        assert_eq!(
            value("[18446744073709551615, -9223372036854775808,]"),
            json!([18446744073709551615u64, -9223372036854775808i64])
        );
    }

    // ----- paths and the record list --------------------------------------------------------

    #[test]
    fn records_name_the_path_where_the_change_happened() {
        let record = only_record("{\"a\": [{\"b\": True}], \"c d\": {\"e\": null}}", PythonLiteral);
        assert_eq!(record.path.to_string(), "a[0].b");
        let record = only_record("{\"a\": [{\"b\": true}], \"c d\": {\"e\": NaN}}", NonFiniteNumber);
        assert_eq!(record.path.to_string(), "[\"c d\"].e");
        let record = only_record("{\"a\": [{\"b\": true}], \"c d\": {'e': null}}", SingleQuotes);
        assert_eq!(record.path, JsonPath::root().child_key("c d").child_key("e"));
        let record = only_record("{\"a\": [1, 2,]}", TrailingComma);
        assert_eq!(record.path.to_string(), "a");
        let record = only_record("[[1], [2 3]]", MissingComma);
        assert_eq!(record.path.to_string(), "[1][1]");
    }

    #[test]
    fn the_record_list_is_capped() {
        let text = format!("[{}]", vec!["True"; 500].join(", "));
        let repaired = repaired(&text);
        assert_eq!(repaired.value.as_array().map(Vec::len), Some(500));
        assert_eq!(repaired.repairs.len(), MAX_RECORDED_REPAIRS);
        // Leading records come first when the list is full.
        let text = format!("Here: [{}]", vec!["True"; 500].join(", "));
        let repairs = repair(&text, &Limits::default()).map(|r| r.repairs).unwrap_or_default();
        assert_eq!(repairs.len(), MAX_RECORDED_REPAIRS);
        assert_eq!(repairs[0].kind, SurroundingText);
        // A change that may alter meaning stays visible past the cap, so the road can refuse it.
        let many = vec!["True"; 500].join(", ");
        for (text, kind) in [
            (format!("[{many}, \"cut"), TruncatedString),
            (format!("[{many}, ...]"), Ellipsis),
            (format!("{{\"a\": [{many}], \"b\": }}"), MissingValue),
            (format!("[{many}] [1]"), ConcatenatedDocuments),
        ] {
            let repairs = repair(&text, &Limits::default()).map(|r| r.repairs).unwrap_or_default();
            assert_eq!(repairs.len(), MAX_RECORDED_REPAIRS);
            assert!(repairs.iter().any(|record| record.kind == kind), "{kind:?}");
        }
    }

    #[test]
    fn snippets_stay_short() {
        let long = "x".repeat(500);
        let text = format!(
            "prose {long} {{'a': '{long}', \"b\": \"{long}\"{long}\", \"c\": [{}",
            "[".repeat(60)
        );
        for record in repaired(&text).repairs {
            for snippet in [&record.before, &record.after] {
                let chars = snippet.as_str().map_or(0, |text| text.chars().count());
                assert!(chars <= SNIPPET_CHARS, "{record:?}");
            }
        }
    }

    // ----- robustness -----------------------------------------------------------------------

    /// xorshift64*: enough randomness for fuzzing, no dependency.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, bound: usize) -> usize {
            (self.next() % bound as u64) as usize
        }

        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len())]
        }
    }

    const STRING_PIECES: &[&str] = &[
        "a", "Z", " ", "\"", "\\", "/", "'", "\n", "\t", "\u{1}", "é", "€", "😀", "\u{201C}", "{", "]", ",", ":", "```",
    ];

    fn random_string(random: &mut Random) -> String {
        (0..random.below(8)).map(|_| *random.pick(STRING_PIECES)).collect()
    }

    fn random_value(random: &mut Random, depth: usize) -> Value {
        let choices = if depth >= 6 { 5 } else { 7 };
        match random.below(choices) {
            0 => Value::Null,
            1 => Value::Bool(random.below(2) == 0),
            2 => match random.below(3) {
                0 => json!(random.next()),
                1 => json!(random.next() as i64),
                _ => json!(random.below(1000) as i64 - 500),
            },
            3 => {
                let float = f64::from_bits(random.next());
                if float.is_finite() {
                    json!(float)
                } else {
                    json!(random.below(1000) as f64 / 7.0)
                }
            }
            4 => Value::String(random_string(random)),
            5 => Value::Array((0..random.below(5)).map(|_| random_value(random, depth + 1)).collect()),
            _ => Value::Object(
                (0..random.below(5))
                    .map(|_| (random_string(random), random_value(random, depth + 1)))
                    .collect(),
            ),
        }
    }

    /// Whatever comes back must be a value the rest of the road can handle.
    fn assert_sound(text: &str, limits: &Limits) {
        if let Ok(repaired) = repair(text, limits) {
            assert!(limits.check_value(&repaired.value).is_ok(), "{text:?}");
            assert!(repaired.repairs.len() <= MAX_RECORDED_REPAIRS);
            let reparsed: Value = serde_json::from_str(&repaired.value.to_string()).expect("serializes to JSON");
            assert_eq!(reparsed, repaired.value);
        }
    }

    #[test]
    fn valid_json_reads_like_serde_json() {
        let mut random = Random(0x9E37_79B9_7F4A_7C15);
        for round in 0..3000 {
            let document = random_value(&mut random, 0);
            let text = if round % 2 == 0 {
                document.to_string()
            } else {
                serde_json::to_string_pretty(&document).expect("serializes")
            };
            let expected: Value = serde_json::from_str(&text).expect("serde_json reads its own output");
            let repaired = repaired(&text);
            assert_eq!(repaired.value, expected, "{text}");
            assert!(repaired.repairs.is_empty(), "{text}: {:?}", repaired.repairs);
        }
    }

    #[test]
    fn mutated_json_never_panics() {
        const INSERTS: &[&str] = &[
            "{",
            "}",
            "[",
            "]",
            "(",
            ")",
            ",",
            ":",
            "\"",
            "'",
            "\\",
            "/",
            "*",
            "//",
            "/*",
            "#",
            "\n",
            " ",
            "```",
            "```json\n",
            "True",
            "NaN",
            "-",
            ".",
            "e",
            "1",
            "x",
            "\u{201C}",
            "\u{201D}",
            "…",
            "\\u",
            "\\ud800",
            "é",
            "\u{0}",
        ];
        let limits = Limits::default();
        let mut random = Random(0xD1B5_4A32_D192_ED03);
        for _ in 0..3000 {
            let document = random_value(&mut random, 0);
            let mut chars: Vec<char> = document.to_string().chars().collect();
            for _ in 0..=random.below(4) {
                let at = random.below(chars.len() + 1);
                match random.below(4) {
                    0 if at < chars.len() => {
                        chars.remove(at);
                    }
                    1 => chars.truncate(at),
                    _ => {
                        let insert: Vec<char> = random.pick(INSERTS).chars().collect();
                        chars.splice(at..at, insert);
                    }
                }
            }
            let text: String = chars.into_iter().collect();
            assert_sound(&text, &limits);
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        const ALPHABET: &[u8] = b"{}[](),:\"'\\/*#` \n\tatrueflsnNTFI0123456789.-+eE_";
        let limits = Limits {
            max_depth: 8,
            max_string_length: 16,
            ..Limits::default()
        };
        let mut random = Random(0x2545_F491_4F6C_DD1D);
        for _ in 0..20_000 {
            let length = random.below(40);
            let bytes: Vec<u8> = (0..length)
                .map(|_| {
                    if random.below(8) == 0 {
                        random.next() as u8
                    } else {
                        *random.pick(ALPHABET)
                    }
                })
                .collect();
            assert_sound(&String::from_utf8_lossy(&bytes), &limits);
        }
    }

    #[test]
    fn every_prefix_of_a_document_is_handled() {
        let text =
            "Here:\n```json\n{\"a\": [1, -2.5e3, \"x\\n\\u00e9\", {'b': True}], c: NaN, // note\n \"d\": (1, 2)}\n```";
        let limits = Limits::default();
        for (end, _) in text.char_indices() {
            assert_sound(&text[..end], &limits);
        }
    }

    #[test]
    fn hostile_inputs_take_linear_time() {
        let megabyte = 1 << 20;
        let inputs = [
            "{a} ".repeat(megabyte / 4),
            "[".repeat(megabyte),
            "{\"a\":".repeat(megabyte / 5),
            "\"".repeat(megabyte),
            format!("{}{{\"a\": 1}}", " ".repeat(megabyte)),
            format!("{}{{x", "```".repeat(megabyte / 3)),
            format!("[{}]", "1,".repeat(megabyte / 2)),
            format!("{{\"a\": \"{}\"}}", "\\u00e9\\d\n".repeat(megabyte / 11)),
            "/*".repeat(megabyte / 2),
            "( ".repeat(megabyte / 2),
            format!("{{\"a\": \"{}", "x}".repeat(megabyte / 2)),
            format!("{{\"a\": \"{}\"}}", "x\" ".repeat(megabyte / 3)),
            format!("[\"{}", "a\"".repeat(megabyte / 2)),
            format!("{{\"{}", "k\"".repeat(megabyte / 2)),
            format!("{{\"a\": \"x{}", ", {k: ".repeat(megabyte / 6)),
            format!("{{\"a\": \"[{}", "'\"".repeat(megabyte / 2)),
            format!("{{\"a\": \"{}\"", "} ``` [ ".repeat(megabyte / 8)),
            format!("[{{{}", "\"a\":1 ".repeat(megabyte / 6)),
            format!("[{}]", "{'a'}, ".repeat(megabyte / 7)),
            format!("{{\"a\": [[1]], {}}}", "[[1]], ".repeat(megabyte / 7)),
            "{\\\"a\\\": 1}, ".repeat(megabyte / 14),
            format!("{}{{\"a\": 1}}", "{word} ".repeat(megabyte / 7)),
            "a(".repeat(megabyte / 2),
        ];
        let limits = Limits::default();
        for input in &inputs {
            let started = Instant::now();
            let _ = repair(input, &limits);
            assert!(started.elapsed() < Duration::from_secs(10), "{}...", &input[..20]);
        }
    }
}
