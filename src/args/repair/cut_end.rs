//! What a text cut off by its end was writing when it stopped, read by the grammar alone.
//!
//! A model that hits its token limit leaves a document that is valid up to the cut. The
//! character reader mirrors json_repair's guesses, and at the end of a cut text those guesses can
//! take a quote, a colon or a bracket that was inside a string for structure (`{"":[{"]0` was cut
//! inside the key `"]0`). Read strictly, as a JSON document or a Python literal, such a text
//! tells exactly where it stopped: after a whole value, or inside a string, a number, a word, or
//! a member left without its value. The reading then either is exact (the cut fell between
//! values) or records that its end may be incomplete, whatever the reader guessed.
//!
//! One pass, one stack of open containers: linear in the text.

use super::malformed_numbers::MalformedNumber;
use super::{
    floor_char_boundary, literals, python_text, snippet, structure_only, value_snippet, Records, Repaired,
    WideIntegers, CONTEXT_CHARS, MAX_RECORDED_REPAIRS,
};
use crate::args::record::RepairKind;
use crate::json_path::JsonPath;
use crate::limits::Limits;

/// Where a cut text stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CutEnd {
    /// After a whole value, an opening bracket, or a comma: nothing was being written.
    BetweenValues,
    /// Inside a string: a value's, or a key's when `key`.
    InString { key: bool },
    /// Inside a number, or right after its last digit (more digits may have followed).
    InNumber,
    /// Inside a word that is not yet `true`, `false`, `null`, `True`, `False` or `None`.
    InWord,
    /// After a key, or after its colon: the member's value was not written.
    MemberWithoutValue,
}

impl CutEnd {
    /// The record a reading of this end must carry: what was being written may be incomplete.
    pub(super) fn possible_loss(self) -> Option<RepairKind> {
        match self {
            CutEnd::BetweenValues => None,
            CutEnd::InString { .. } | CutEnd::InWord => Some(RepairKind::TruncatedString),
            CutEnd::InNumber => Some(RepairKind::TruncatedNumber),
            CutEnd::MemberWithoutValue => Some(RepairKind::MissingValue),
        }
    }
}

/// A text that is a strict prefix of one JSON document or Python literal, cut before its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Cut<'t> {
    pub(super) end: CutEnd,
    /// The closing brackets the open containers need, innermost first.
    pub(super) closers: String,
    /// Whether the text ends in a comma after an item (read as a trailing comma).
    pub(super) ends_in_comma: bool,
    /// Where the document starts, and what was passed over before it (see `document_start`).
    start: (usize, Option<RepairKind>),
    /// Each open container's closer and the step to the member being written in it, outermost
    /// first (paths are built only for the records made).
    open: Vec<Open<'t>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A value; `or_close` after an opening bracket or a comma.
    Value {
        or_close: bool,
    },
    /// An object key; `or_close` after `{` or a comma.
    Key {
        or_close: bool,
    },
    Colon,
    /// A comma or a closing bracket.
    Next,
    /// Nothing more: the top-level value is whole.
    Done,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Open<'t> {
    closer: u8,
    /// The key of the member being written as the text writes it (escapes kept), with its quote.
    key: Option<(&'t str, u8)>,
    index: usize,
}

/// How `text` was cut, when it is a strict prefix of one JSON document or Python literal (an
/// object, array or tuple at the top, after an opening markdown fence or prose, if any) that the cut
/// left open. None for a whole document, or for a text with any other flaw: those are the
/// reader's to judge.
///
/// Read byte by byte: every byte the grammar acts on is ASCII, and no byte of a multi-byte
/// character is, so a character outside the ASCII range is met as bytes that are all refused
/// outside a string and all passed over inside one.
pub(super) fn cut_of(text: &str) -> Option<Cut<'_>> {
    read_strictly(text, None)
}

/// `cut_of`; with `numbers`, a number JSON does not write is read as a value too: one the
/// character reader reads whole (`01`, `1.`) passes, and any other (`1e`, `1+1`, `-`, `2 * 3`)
/// is added to `numbers` with its path, as long as a comma, a closer or the end follows it.
pub(super) fn read_strictly<'t>(text: &'t str, mut numbers: Option<&mut Vec<MalformedNumber>>) -> Option<Cut<'t>> {
    let start = document_start(text);
    let bytes = text.as_bytes();
    let mut index = start.0;
    let mut open: Vec<Open> = Vec::new();
    let mut expect = Expect::Value { or_close: false };
    let mut ends_in_comma = false;
    let stop = |end, open, ends_in_comma| stopped(end, open, ends_in_comma, start);
    // Where the value just read starts, when it is a number.
    let mut number_read: Option<usize> = None;
    loop {
        index = skip_whitespace(bytes, index);
        let Some(&byte) = bytes.get(index) else {
            break;
        };
        index += 1;
        ends_in_comma = false;
        let after_number = number_read.take();
        match expect {
            Expect::Value { or_close } | Expect::Key { or_close } if or_close && is_closer(byte) => {
                close(&mut open, byte)?;
                expect = after_value(&open);
            }
            Expect::Value { .. } => {
                if open.is_empty() && !matches!(byte, b'{' | b'[' | b'(') {
                    return None;
                }
                match byte {
                    b'{' => {
                        open.push(Open::new(b'}'));
                        expect = Expect::Key { or_close: true };
                    }
                    b'[' | b'(' => {
                        open.push(Open::new(if byte == b'[' { b']' } else { b')' }));
                        expect = Expect::Value { or_close: true };
                    }
                    b'"' | b'\'' => match string_end(bytes, index, byte) {
                        Some(end) => {
                            index = joined_strings_end(bytes, end + 1);
                            expect = after_value(&open);
                        }
                        None => return stop(CutEnd::InString { key: false }, open, false),
                    },
                    b'-' | b'0'..=b'9' => {
                        let number_start = index - 1;
                        while index < bytes.len()
                            && (bytes[index].is_ascii_digit()
                                || matches!(bytes[index], b'.' | b'e' | b'E' | b'+' | b'-'))
                        {
                            index += 1;
                        }
                        if index == bytes.len() {
                            return stop(CutEnd::InNumber, open, false);
                        }
                        let written = &text[number_start..index];
                        if !crate::encode::writer::is_json_number(written) {
                            let numbers = numbers.as_deref_mut()?;
                            if !reads_whole_as_number(written) {
                                if !ends_value(bytes, index, true) {
                                    return None;
                                }
                                numbers.push(MalformedNumber::new(number_start..index, path_through(&open)));
                            }
                        }
                        number_read = Some(number_start);
                        expect = after_value(&open);
                    }
                    b'a'..=b'z' | b'A'..=b'Z' => {
                        let word_start = index - 1;
                        while index < bytes.len() && bytes[index].is_ascii_alphabetic() {
                            index += 1;
                        }
                        let word = &text[word_start..index];
                        let whole = matches!(word, "true" | "false" | "null" | "True" | "False" | "None");
                        if !whole {
                            let literal_begun = ["true", "false", "null", "True", "False", "None"]
                                .iter()
                                .any(|literal| literal.starts_with(word));
                            return (index == bytes.len() && literal_begun)
                                .then(|| stop(CutEnd::InWord, open, false))
                                .flatten();
                        }
                        expect = after_value(&open);
                    }
                    _ => return None,
                }
            }
            Expect::Key { .. } => {
                if !matches!(byte, b'"' | b'\'') {
                    return None;
                }
                match string_end(bytes, index, byte) {
                    Some(end) => {
                        if let Some(innermost) = open.last_mut() {
                            innermost.key = Some((&text[index..end], byte));
                        }
                        index = end + 1;
                        expect = Expect::Colon;
                    }
                    None => return stop(CutEnd::InString { key: true }, open, false),
                }
            }
            Expect::Colon => {
                if byte != b':' {
                    return None;
                }
                expect = Expect::Value { or_close: false };
            }
            Expect::Next => {
                if byte == b',' {
                    let innermost = open.last_mut()?;
                    innermost.index += 1;
                    ends_in_comma = true;
                    expect = if innermost.closer == b'}' {
                        Expect::Key { or_close: true }
                    } else {
                        Expect::Value { or_close: true }
                    };
                } else if is_closer(byte) {
                    close(&mut open, byte)?;
                    expect = after_value(&open);
                } else {
                    // `1 + 1`: a number with an operator after it is an expression.
                    let (numbers, number_start) = (numbers.as_deref_mut()?, after_number?);
                    if !is_operator(byte) {
                        return None;
                    }
                    let end = expression_end(bytes, index);
                    if !ends_value(bytes, end, false) {
                        return None;
                    }
                    match numbers.last_mut() {
                        Some(number) if number.span.start == number_start => number.span.end = end,
                        _ => numbers.push(MalformedNumber::new(number_start..end, path_through(&open))),
                    }
                    index = end;
                }
            }
            Expect::Done => return None,
        }
    }
    match expect {
        Expect::Done => None,
        Expect::Colon => stop(CutEnd::MemberWithoutValue, open, false),
        Expect::Value { or_close: false } if open.last().is_some_and(|innermost| innermost.closer == b'}') => {
            stop(CutEnd::MemberWithoutValue, open, false)
        }
        _ => stop(CutEnd::BetweenValues, open, ends_in_comma),
    }
}

/// Whether a token the character reader reads as a number of its own (`01` as 1, `1.` as 1.0).
fn reads_whole_as_number(written: &str) -> bool {
    literals::python_float(written).is_some() || literals::python_int(written).is_some()
}

fn is_operator(byte: u8) -> bool {
    matches!(byte, b'+' | b'-' | b'*' | b'/')
}

/// Where the expression whose operator is just before `from` ends: past its numbers, operators
/// and spaces, before any space at its end.
fn expression_end(bytes: &[u8], from: usize) -> usize {
    let mut end = from;
    while bytes.get(end).is_some_and(|&byte| {
        byte.is_ascii_digit() || is_operator(byte) || matches!(byte, b'.' | b'e' | b'E' | b' ' | b'\t')
    }) {
        end += 1;
    }
    while end > from && matches!(bytes[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    end
}

/// Whether a value written up to `at` ends there: a comma, a closer or the end follows it, or,
/// when `or_operator`, an operator that makes it part of an expression.
fn ends_value(bytes: &[u8], at: usize, or_operator: bool) -> bool {
    match bytes.get(skip_whitespace(bytes, at)) {
        None => true,
        Some(&byte) => byte == b',' || is_closer(byte) || (or_operator && is_operator(byte)),
    }
}

/// Past the whitespace at `from`. Indentation, most of a pretty-printed document's whitespace,
/// is passed over eight spaces at a time.
fn skip_whitespace(bytes: &[u8], mut from: usize) -> usize {
    loop {
        while bytes.get(from..from + 8) == Some(b"        ") {
            from += 8;
        }
        match bytes.get(from) {
            Some(b' ' | b'\t' | b'\n' | b'\r') => from += 1,
            _ => return from,
        }
    }
}

/// Past the whole strings written right after a string value that ends at `from`, when the
/// value ends after them (a comma, a closer, or the end of the text follows): Python joins string
/// literals side by side (`'it' 's'` is `'its'`), as the Python reading of the closed text will.
/// Otherwise `from`: a quote doubled or left over, or a comma missing between two strings, is
/// left to the character reader.
fn joined_strings_end(bytes: &[u8], from: usize) -> usize {
    let mut end = from;
    loop {
        let next = skip_whitespace(bytes, end);
        match bytes.get(next) {
            Some(&quote @ (b'"' | b'\'')) => match string_end(bytes, next + 1, quote) {
                Some(close) => end = close + 1,
                None => return from,
            },
            None | Some(b',' | b'}' | b']' | b')') => return end,
            Some(_) => return from,
        }
    }
}

/// Where the string whose opening `quote` sits just before `from` closes: the index of its
/// closing quote, or None when the text ends first. A backslash escapes the byte after it (the
/// first byte of the character it escapes, which is all a quote could be).
fn string_end(bytes: &[u8], mut from: usize, quote: u8) -> Option<usize> {
    loop {
        let at = from + memchr::memchr2(quote, b'\\', bytes.get(from..)?)?;
        if bytes[at] == quote {
            return Some(at);
        }
        if at + 1 >= bytes.len() {
            return None;
        }
        from = at + 2;
    }
}

impl Open<'_> {
    /// The key as it reads: a JSON string's escapes decoded, a Python string's kept as written.
    fn decoded_key(&self) -> Option<String> {
        match self.key {
            Some((written, b'"')) => serde_json::from_str(&format!("\"{written}\"")).ok(),
            Some((written, _)) => Some(written.to_owned()),
            None => None,
        }
    }

    fn new(closer: u8) -> Self {
        Open {
            closer,
            key: None,
            index: 0,
        }
    }
}

fn is_closer(byte: u8) -> bool {
    matches!(byte, b'}' | b']' | b')')
}

fn close(open: &mut Vec<Open>, closer: u8) -> Option<()> {
    (open.pop()?.closer == closer).then_some(())
}

fn after_value(open: &[Open]) -> Expect {
    if open.is_empty() {
        Expect::Done
    } else {
        Expect::Next
    }
}

fn stopped(
    end: CutEnd,
    open: Vec<Open<'_>>,
    ends_in_comma: bool,
    start: (usize, Option<RepairKind>),
) -> Option<Cut<'_>> {
    if open.is_empty() {
        return None;
    }
    Some(Cut {
        end,
        closers: open
            .iter()
            .rev()
            .map(|container| char::from(container.closer))
            .collect(),
        ends_in_comma,
        start,
        open,
    })
}

/// Where the document starts: past an opening markdown fence and its language tag, or past
/// prose before the first `{` or `[`; with the kind of text that was passed over.
fn document_start(text: &str) -> (usize, Option<RepairKind>) {
    let trimmed = text.trim_start();
    if let Some(after) = trimmed.strip_prefix("```") {
        let tag_end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_+-.".contains(c)))
            .unwrap_or(after.len());
        return (text.len() - after.len() + tag_end, Some(RepairKind::MarkdownFence));
    }
    match trimmed.chars().next() {
        Some('{' | '[' | '(') | None => (0, None),
        Some(_) => text
            .find(['{', '['])
            .map_or((0, None), |start| (start, Some(RepairKind::SurroundingText))),
    }
}

impl Cut<'_> {
    /// Path of the innermost open container, where what was being written sits.
    pub(super) fn innermost_path(&self) -> JsonPath {
        self.path_of_level(self.open.len() - 1)
    }

    /// Path of what was being written when the text stopped: the value in the innermost open
    /// container, or that container when a key was being written.
    pub(super) fn writing_path(&self) -> JsonPath {
        match self.end {
            CutEnd::BetweenValues | CutEnd::InString { key: true } => self.innermost_path(),
            CutEnd::InString { key: false } | CutEnd::InNumber | CutEnd::InWord | CutEnd::MemberWithoutValue => {
                self.path_of_level(self.open.len())
            }
        }
    }

    /// Path of the open container at `level` (0 the outermost).
    fn path_of_level(&self, level: usize) -> JsonPath {
        path_through(&self.open[..level])
    }
}

/// The path through `containers`, each at the member or item being written in it.
fn path_through(containers: &[Open]) -> JsonPath {
    let mut path = JsonPath::root();
    for container in containers {
        match (container.decoded_key(), container.closer) {
            (Some(key), b'}') => path.push_key(&key),
            (None, b'}') => {}
            _ => path.push_index(container.index),
        }
    }
    path
}

/// A document cut between values, read exactly once its containers are closed: as JSON (see
/// `structure_only`), or as Python reads a Python literal. Its strings hold what they hold,
/// whatever quotes, colons and brackets are in them.
pub(super) fn read_cut_between_values(
    text: &str,
    cut: &Cut,
    limits: &Limits,
    wide: WideIntegers,
    records: Records,
) -> Option<Repaired> {
    if cut.end != CutEnd::BetweenValues {
        return None;
    }
    let (start, passed_over) = cut.start;
    let body = text[start..].trim_end();
    let passed_over = passed_over.map(|kind| {
        records.repair(kind, || {
            (JsonPath::root(), snippet(text[..start].trim()), String::new())
        })
    });
    if passed_over.is_some() {
        if let Some(mut repaired) = structure_only::mend_structure(body, limits, wide, records) {
            repaired.repairs.splice(0..0, passed_over);
            return Some(repaired);
        }
    }
    let mended = format!("{body}{}", cut.closers);
    let value = python_text::read(&mended, limits, wide)?;
    let tail = &body[floor_char_boundary(body, body.len().saturating_sub(CONTEXT_CHARS))..];
    let mut repairs = Vec::new();
    repairs.extend(passed_over);
    // As for a whole literal, the record shows what the reading gave, written as JSON.
    repairs.push(records.repair(RepairKind::PythonText, || {
        (JsonPath::root(), snippet(body), value_snippet(&value))
    }));
    if cut.ends_in_comma {
        repairs.push(records.repair(RepairKind::TrailingComma, || {
            let before = tail.trim_end_matches(',');
            (cut.innermost_path(), snippet(tail), snippet(before))
        }));
    }
    // One record per closer, at the container it closes, as many as the record list holds.
    for supplied in 0..cut
        .closers
        .len()
        .min(MAX_RECORDED_REPAIRS.saturating_sub(repairs.len()))
    {
        repairs.push(records.repair(RepairKind::Truncated, || {
            (
                cut.path_of_level(cut.open.len() - 1 - supplied),
                snippet(&format!("{tail}{}", &cut.closers[..supplied])),
                snippet(&format!("{tail}{}", &cut.closers[..=supplied])),
            )
        }));
    }
    Some(Repaired { value, repairs })
}
