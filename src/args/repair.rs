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

mod arrays;
mod bare_scalar;
mod characters;
mod comments;
mod cut_end;
mod documents;
mod escapes;
mod literals;
mod lookahead;
mod malformed_numbers;
mod objects;
mod python_text;
mod reader;
mod records;
mod snippets;
mod string_ends;
mod string_read;
mod strings;
mod structure_only;
#[cfg(test)]
mod tests;
mod valid_stretch;

use self::bare_scalar::*;
use self::characters::*;
use self::comments::*;
use self::documents::*;
use self::lookahead::*;
pub use self::malformed_numbers::{malformed_numbers, with_numbers_as_zero, Malformation, MalformedNumber};
pub use self::python_text::read_calls as read_python_calls;
use self::reader::*;
use self::snippets::*;
use self::string_ends::*;
use self::string_read::*;

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

impl Repaired {
    /// A value with no records.
    pub fn bare(value: Value) -> Self {
        Repaired {
            value,
            repairs: Vec::new(),
        }
    }
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
    repair_keeping(text, limits, wide, Records::Whole)
}

/// What serde_json makes of a whole text, found in one pass: whether it is valid JSON, and if
/// not, where its first value starts when that value is itself broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextCheck {
    pub valid: bool,
    /// A first value serde_json cannot read: the reader need not ask again.
    broken_first_value: Option<BrokenFirstValue>,
}

/// A text's first value as serde_json failed to read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BrokenFirstValue {
    /// Byte offset where the value starts.
    start: usize,
    /// Byte offset where serde_json stopped, give or take a byte.
    stop: usize,
}

impl BrokenFirstValue {
    /// Whether trailing commas and closers left off the end may be the text's only flaws (see
    /// `structure_only`). Mended, the text reads the same as written up to its first mended
    /// spot, a closer after a removed comma or the end, and serde_json reads it as it reads the
    /// mended text, so it stopped at one of those.
    fn may_lack_only_structure(self, text: &str) -> bool {
        let bytes = text.as_bytes();
        let near = &bytes[self.stop.saturating_sub(2)..(self.stop + 2).min(bytes.len())];
        near.iter().any(|byte| matches!(byte, b'}' | b']')) || self.stop + 2 >= text.trim_end().len()
    }
}

impl TextCheck {
    /// Valid exactly when `serde_json::from_str` reads the text.
    pub fn of(text: &str) -> Self {
        let start = text.len() - text.trim_start_matches([' ', '\t', '\n', '\r']).len();
        let mut values = serde_json::Deserializer::from_str(text).into_iter::<IgnoredAny>();
        match values.next() {
            Some(Ok(_)) => TextCheck {
                valid: text[values.byte_offset()..]
                    .bytes()
                    .all(|byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r')),
                broken_first_value: None,
            },
            Some(Err(error)) => TextCheck {
                valid: false,
                broken_first_value: Some(BrokenFirstValue {
                    start,
                    stop: valid_stretch::error_offset(text, &error),
                }),
            },
            None => TextCheck {
                valid: false,
                broken_first_value: None,
            },
        }
    }
}

/// `repair_with` for a text `check` has read, sparing the reader what the check already knows.
/// With `Records::KindsOnly` the value and any refusal are the same, and the records carry only
/// their kinds (no paths or snippets built for a caller that wants only the value).
pub fn repair_checked(
    text: &str,
    limits: &Limits,
    wide: WideIntegers,
    check: TextCheck,
    records: Records,
) -> Result<Repaired, RepairError> {
    if check.valid {
        repair_keeping(text, limits, wide, records)
    } else {
        repair_refused_keeping(text, limits, wide, records, check.broken_first_value)
    }
}

/// What is built of each record. The reader's own decisions read only the records' kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Records {
    Whole,
    KindsOnly,
}

impl Records {
    /// A record of `kind`: at the path and with the snippets `detail` gives when records are
    /// kept whole; the kind alone otherwise, without running `detail`.
    fn repair<B: Into<Value>, A: Into<Value>>(
        self,
        kind: RepairKind,
        detail: impl FnOnce() -> (JsonPath, B, A),
    ) -> Repair {
        match self {
            Records::Whole => {
                let (path, before, after) = detail();
                Repair::new(path, kind, before, after)
            }
            Records::KindsOnly => Repair::new(JsonPath::root(), kind, String::new(), String::new()),
        }
    }
}

fn repair_keeping(text: &str, limits: &Limits, wide: WideIntegers, records: Records) -> Result<Repaired, RepairError> {
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
    repair_refused_keeping(text, limits, wide, records, None)
}

/// `repair` for a text serde_json has already refused, or accepted only past a limit: it goes
/// straight to the reader.
pub fn repair_refused(text: &str, limits: &Limits) -> Result<Repaired, RepairError> {
    repair_refused_with(text, limits, WideIntegers::Refuse)
}

/// `repair_refused`, choosing what becomes of integers beyond 64 bits.
pub fn repair_refused_with(text: &str, limits: &Limits, wide: WideIntegers) -> Result<Repaired, RepairError> {
    repair_refused_keeping(text, limits, wide, Records::Whole, None)
}

fn repair_refused_keeping(
    text: &str,
    limits: &Limits,
    wide: WideIntegers,
    records: Records,
    broken_first_value: Option<BrokenFirstValue>,
) -> Result<Repaired, RepairError> {
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
    // A Python literal means what Python reads; the lenient reader's guesses give way to it.
    // One pass over the bytes rules most texts out first, so only those that may be literals
    // pay for the Python reading.
    let as_python = |text: &str| {
        python_text::could_be_literal(text)
            .then(|| python_text::read(text, limits, wide))
            .flatten()
    };
    let python = as_python(text).or_else(|| {
        // A Python literal inside a fence or prose.
        bracketed_span(text)
            .filter(|inner| inner.len() < text.len())
            .and_then(as_python)
    });
    if records == Records::KindsOnly {
        // The value is the Python reading whenever there is one (the lenient reader's is used
        // only when it is the same value), so a caller that wants only the value is spared the
        // lenient reading.
        if let Some(python) = python {
            return Ok(Repaired::bare(python));
        }
    }
    let read = read_leniently(text, limits, wide, records, broken_first_value);
    if python.is_none() && wide == WideIntegers::Refuse {
        // Valid JSON or a Python literal (whole, or inside a fence or prose) but for an integer
        // the value cannot hold: refused, as whole valid JSON is, rather than given the lenient
        // reader's guess at a different structure (which may read the integer's refusal as a
        // sign that a quote before it did not end its string).
        let inner = bracketed_span(text);
        let oversized = oversized_integer(text);
        let refusal = || {
            let at = oversized.map_or(0, |literal| literal.as_ptr() as usize - text.as_ptr() as usize);
            Err(RepairError::at(text, at, OVERSIZED_INTEGER.to_owned()))
        };
        for candidate in std::iter::once(text).chain(inner) {
            // A candidate as long as the text is the text itself.
            let holds_oversized = match candidate.len() == text.len() {
                true => oversized.is_some(),
                false => oversized_integer(candidate).is_some(),
            };
            let whole_but_for_an_integer = || {
                holds_oversized && wide_integer::read_valid(candidate).is_some()
                    || python_text::could_be_literal(candidate)
                        && python_text::read(candidate, limits, WideIntegers::Carry).is_some()
            };
            if whole_but_for_an_integer() {
                return refusal();
            }
        }
        // The same holds for a text that needs mending (a trailing comma, a cut end): when the
        // reader that keeps every integer finds one past 64 bits, this reader, which cannot hold
        // it, read that literal as something else (often as part of a string), so its value is
        // refused rather than given.
        if read.is_ok() && oversized.is_some() {
            let carried = read_leniently(
                text,
                limits,
                WideIntegers::Carry,
                Records::KindsOnly,
                broken_first_value,
            );
            if carried.is_ok_and(|repaired| wide_integer::any_carried(&repaired.value)) {
                return refusal();
            }
        }
    }
    match python {
        Some(python) if !read.as_ref().is_ok_and(|repaired| same_value(&repaired.value, &python)) => {
            let repair = records.repair(RepairKind::PythonText, || {
                let after = value_snippet(&python);
                (JsonPath::root(), snippet(text), after)
            });
            Ok(Repaired {
                repairs: vec![repair],
                value: python,
            })
        }
        _ => read,
    }
}

/// The text from its first opening bracket to its last closing one, where a document inside a
/// fence or prose would be; None when members or items are written after that closer
/// (`{'a': 0}, 's': 'x'`), which are no prose to drop but the lenient reader's to read.
fn bracketed_span(text: &str) -> Option<&str> {
    let start = text.find(['{', '['])?;
    let end = text.rfind(['}', ']'])?;
    let span = text.get(start..=end)?;
    (!continues_a_document(&text[end + 1..])).then_some(span)
}

fn read_leniently(
    text: &str,
    limits: &Limits,
    wide: WideIntegers,
    records: Records,
    broken_first_value: Option<BrokenFirstValue>,
) -> Result<Repaired, RepairError> {
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
    let may_lack_only_structure = broken_first_value.is_none_or(|broken| broken.may_lack_only_structure(text));
    if let Some(repaired) = may_lack_only_structure
        .then(|| structure_only::mend_structure(text, limits, wide, records))
        .flatten()
    {
        return Ok(repaired);
    }
    let cut = cut_end::cut_of(text);
    if let Some(repaired) = cut
        .as_ref()
        .and_then(|cut| cut_end::read_cut_between_values(text, cut, limits, wide, records))
    {
        return Ok(repaired);
    }
    let mut read = read_characters(text, limits, wide, records, broken_first_value);
    // The reader's guesses at the end of a cut text may read a quote or a bracket that was
    // inside a string for structure; however it read it, what was being written when the text
    // stopped may be incomplete, and the reading says so.
    if let (Ok(repaired), Some(cut)) = (&mut read, &cut) {
        if let Some(kind) = cut.end.possible_loss() {
            if !repaired.repairs.iter().any(|repair| repair.kind.may_alter_meaning()) {
                let repair = records.repair(kind, || {
                    let end = text.trim_end();
                    let tail = snippet(&end[floor_char_boundary(end, end.len().saturating_sub(CONTEXT_CHARS))..]);
                    (cut.writing_path(), tail.clone(), tail)
                });
                match repaired.repairs.len() < MAX_RECORDED_REPAIRS {
                    true => repaired.repairs.push(repair),
                    // Past the cap, as the reader keeps such a record: it takes the last place.
                    false => *repaired.repairs.last_mut().expect("the cap is above zero") = repair,
                }
            }
        }
    }
    read
}

fn read_characters(
    text: &str,
    limits: &Limits,
    wide: WideIntegers,
    records: Records,
    broken_first_value: Option<BrokenFirstValue>,
) -> Result<Repaired, RepairError> {
    let mut parser = Parser::new(text, limits);
    parser.wide = wide;
    parser.keep_snippets = records == Records::Whole;
    parser.broken_first_value = broken_first_value.map(|broken| broken.start);
    match parser.parse_top_level() {
        Ok(Some(value)) => Ok(Repaired {
            value,
            repairs: std::mem::take(&mut parser.repairs),
        }),
        Ok(None) => Err(RepairError::at(text, 0, "no JSON object or array found".to_owned())),
        Err(refusal) => Err(RepairError::at(
            text,
            parser.byte_offset(refusal.offset),
            refusal.message,
        )),
    }
}
