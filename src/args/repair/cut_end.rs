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

use super::{
    floor_char_boundary, python_text, snippet, structure_only, Repaired, WideIntegers, CONTEXT_CHARS,
    MAX_RECORDED_REPAIRS,
};
use crate::args::record::{Repair, RepairKind};
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
pub(super) struct Cut {
    pub(super) end: CutEnd,
    /// The closing brackets the open containers need, innermost first.
    pub(super) closers: String,
    /// Whether the text ends in a comma after an item (read as a trailing comma).
    pub(super) ends_in_comma: bool,
    /// Each open container's closer and the step to the member being written in it, outermost
    /// first (paths are built only for the records made).
    open: Vec<Open>,
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
struct Open {
    closer: char,
    /// The key of the member being written as the text writes it (escapes kept), with its quote.
    key: Option<(String, char)>,
    index: usize,
}

/// How `text` was cut, when it is a strict prefix of one JSON document or Python literal (an
/// object, array or tuple at the top, after an opening markdown fence or prose, if any) that the cut
/// left open. None for a whole document, or for a text with any other flaw: those are the
/// reader's to judge.
pub(super) fn cut_of(text: &str) -> Option<Cut> {
    let mut chars = text[document_start(text).0..].chars().peekable();
    let mut open: Vec<Open> = Vec::new();
    let mut expect = Expect::Value { or_close: false };
    let mut ends_in_comma = false;
    // One buffer for every number and word read, rather than one each.
    let mut token = String::new();
    while let Some(character) = chars.next() {
        if matches!(character, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        ends_in_comma = false;
        match expect {
            Expect::Value { or_close } | Expect::Key { or_close } if or_close && is_closer(character) => {
                close(&mut open, character)?;
                expect = after_value(&open);
            }
            Expect::Value { .. } => {
                if open.is_empty() && !matches!(character, '{' | '[' | '(') {
                    return None;
                }
                match character {
                    '{' => {
                        open.push(Open::new('}'));
                        expect = Expect::Key { or_close: true };
                    }
                    '[' | '(' => {
                        open.push(Open::new(if character == '[' { ']' } else { ')' }));
                        expect = Expect::Value { or_close: true };
                    }
                    '"' | '\'' => match read_string(&mut chars, character, None) {
                        Some(()) => expect = after_value(&open),
                        None => return cut(CutEnd::InString { key: false }, open, false),
                    },
                    '-' | '0'..='9' => {
                        let number = &mut token;
                        number.clear();
                        number.push(character);
                        while let Some(&next) = chars.peek() {
                            if !(next.is_ascii_digit() || matches!(next, '.' | 'e' | 'E' | '+' | '-')) {
                                break;
                            }
                            number.push(next);
                            chars.next();
                        }
                        if chars.peek().is_none() {
                            return cut(CutEnd::InNumber, open, false);
                        }
                        if !crate::encode::writer::is_json_number(number) {
                            return None;
                        }
                        expect = after_value(&open);
                    }
                    'a'..='z' | 'A'..='Z' => {
                        let word = &mut token;
                        word.clear();
                        word.push(character);
                        while let Some(&next) = chars.peek() {
                            if !next.is_ascii_alphabetic() {
                                break;
                            }
                            word.push(next);
                            chars.next();
                        }
                        let whole = matches!(word.as_str(), "true" | "false" | "null" | "True" | "False" | "None");
                        if !whole {
                            let literal_begun = ["true", "false", "null", "True", "False", "None"]
                                .iter()
                                .any(|literal| literal.starts_with(word.as_str()));
                            return (chars.peek().is_none() && literal_begun)
                                .then(|| cut(CutEnd::InWord, open, false))
                                .flatten();
                        }
                        expect = after_value(&open);
                    }
                    _ => return None,
                }
            }
            Expect::Key { .. } => {
                if !matches!(character, '"' | '\'') {
                    return None;
                }
                let mut written = String::new();
                match read_string(&mut chars, character, Some(&mut written)) {
                    Some(()) => {
                        if let Some(innermost) = open.last_mut() {
                            innermost.key = Some((written, character));
                        }
                        expect = Expect::Colon;
                    }
                    None => return cut(CutEnd::InString { key: true }, open, false),
                }
            }
            Expect::Colon => {
                if character != ':' {
                    return None;
                }
                expect = Expect::Value { or_close: false };
            }
            Expect::Next => {
                if character == ',' {
                    let innermost = open.last_mut()?;
                    innermost.index += 1;
                    ends_in_comma = true;
                    expect = if innermost.closer == '}' {
                        Expect::Key { or_close: true }
                    } else {
                        Expect::Value { or_close: true }
                    };
                } else if is_closer(character) {
                    close(&mut open, character)?;
                    expect = after_value(&open);
                } else {
                    return None;
                }
            }
            Expect::Done => return None,
        }
    }
    match expect {
        Expect::Done => None,
        Expect::Colon => cut(CutEnd::MemberWithoutValue, open, false),
        Expect::Value { or_close: false } if open.last().is_some_and(|innermost| innermost.closer == '}') => {
            cut(CutEnd::MemberWithoutValue, open, false)
        }
        _ => cut(CutEnd::BetweenValues, open, ends_in_comma),
    }
}

/// Reads a string whose opening `quote` was just read, up to its closing quote, into `written`
/// as written (escapes kept) when asked; None when the text ends first. Only keys are kept: a
/// path needs them, and values are passed over without a copy.
fn read_string(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    quote: char,
    mut written: Option<&mut String>,
) -> Option<()> {
    while let Some(character) = chars.next() {
        if character == quote {
            return Some(());
        }
        if let Some(written) = written.as_deref_mut() {
            written.push(character);
        }
        if character == '\\' {
            let escaped = chars.next()?;
            if let Some(written) = written.as_deref_mut() {
                written.push(escaped);
            }
        }
    }
    None
}

impl Open {
    /// The key as it reads: a JSON string's escapes decoded, a Python string's kept as written.
    fn decoded_key(&self) -> Option<String> {
        match &self.key {
            Some((written, '"')) => serde_json::from_str(&format!("\"{written}\"")).ok(),
            Some((written, _)) => Some(written.clone()),
            None => None,
        }
    }

    fn new(closer: char) -> Self {
        Open {
            closer,
            key: None,
            index: 0,
        }
    }
}

fn is_closer(character: char) -> bool {
    matches!(character, '}' | ']' | ')')
}

fn close(open: &mut Vec<Open>, closer: char) -> Option<()> {
    (open.pop()?.closer == closer).then_some(())
}

fn after_value(open: &[Open]) -> Expect {
    if open.is_empty() {
        Expect::Done
    } else {
        Expect::Next
    }
}

fn cut(end: CutEnd, open: Vec<Open>, ends_in_comma: bool) -> Option<Cut> {
    if open.is_empty() {
        return None;
    }
    Some(Cut {
        end,
        closers: open.iter().rev().map(|container| container.closer).collect(),
        ends_in_comma,
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

impl Cut {
    /// Path of the innermost open container, where what was being written sits.
    pub(super) fn innermost_path(&self) -> JsonPath {
        self.path_of_level(self.open.len() - 1)
    }

    /// Path of the open container at `level` (0 the outermost).
    fn path_of_level(&self, level: usize) -> JsonPath {
        let mut path = JsonPath::root();
        for container in &self.open[..level] {
            match (container.decoded_key(), container.closer) {
                (Some(key), '}') => path.push_key(&key),
                (None, '}') => {}
                _ => path.push_index(container.index),
            }
        }
        path
    }
}

/// A document cut between values, read exactly once its containers are closed: as JSON (see
/// `structure_only`), or as Python reads a Python literal. Its strings hold what they hold,
/// whatever quotes, colons and brackets are in them.
pub(super) fn read_cut_between_values(text: &str, cut: &Cut, limits: &Limits, wide: WideIntegers) -> Option<Repaired> {
    if cut.end != CutEnd::BetweenValues {
        return None;
    }
    let (start, passed_over) = document_start(text);
    let body = text[start..].trim_end();
    let passed_over = passed_over.map(|kind| Repair::new(JsonPath::root(), kind, snippet(text[..start].trim()), ""));
    if passed_over.is_some() {
        if let Some(mut repaired) = structure_only::mend_structure(body, limits, wide) {
            repaired.repairs.splice(0..0, passed_over);
            return Some(repaired);
        }
    }
    let mended = format!("{body}{}", cut.closers);
    let value = python_text::read(&mended, limits, wide)?;
    let tail = &body[floor_char_boundary(body, body.len().saturating_sub(CONTEXT_CHARS))..];
    let mut repairs = Vec::new();
    repairs.extend(passed_over);
    repairs.push(Repair::new(
        JsonPath::root(),
        RepairKind::PythonText,
        snippet(body),
        snippet(&mended),
    ));
    if cut.ends_in_comma {
        let before = tail.trim_end_matches(',');
        repairs.push(Repair::new(
            cut.innermost_path(),
            RepairKind::TrailingComma,
            snippet(tail),
            snippet(before),
        ));
    }
    // One record per closer, at the container it closes, as many as the record list holds.
    for supplied in 0..cut
        .closers
        .len()
        .min(MAX_RECORDED_REPAIRS.saturating_sub(repairs.len()))
    {
        repairs.push(Repair::new(
            cut.path_of_level(cut.open.len() - 1 - supplied),
            RepairKind::Truncated,
            snippet(&format!("{tail}{}", &cut.closers[..supplied])),
            snippet(&format!("{tail}{}", &cut.closers[..=supplied])),
        ));
    }
    Some(Repaired { value, repairs })
}
