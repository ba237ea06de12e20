//! Mending tool-call arguments that are almost JSON.
//!
//! Runs only after serde_json has refused the text. Every change is recorded as a [`Repair`], and a
//! change that could alter what the model meant is never made: where the text allows more than one
//! reading (a string cut off by the end of input, a stray quote inside a string, a bracket that
//! closes the wrong container, a key without a value), repair fails with a [`RepairError`] that says
//! where, so the caller can ask the model again instead of acting on a guess.
//!
//! The parser makes one pass over the bytes and builds the `serde_json::Value` directly. Recursion
//! is bounded by the depth limit. When a candidate document start turns out to be prose in
//! brackets, the search resumes after the byte that attempt stumbled on, so the total work stays
//! linear; once the text reads as JSON, a failure is final and no inner document is mined from it.

use std::fmt;

use serde_json::{Map, Number, Value};

use crate::args::record::{Repair, RepairKind};
use crate::json_path::{JsonPath, PathItem};
use crate::limits::Limits;

/// Hostile input must not turn the repair list into a second copy of the document.
const MAX_RECORDED_REPAIRS: usize = 64;
/// Longest `before`/`after` snippet, in characters.
const SNIPPET_CHARS: usize = 40;
/// Context shown on each side of an inserted or removed character.
const CONTEXT_CHARS: usize = 16;

const FENCE: &str = "```";
const OPEN_CURLY_QUOTE: &str = "\u{201C}";
const CLOSE_CURLY_QUOTE: &str = "\u{201D}";

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

/// Repair `text` into one JSON value. Called only after serde_json has refused the text, so it need
/// not try serde_json first (but must give the right answer on valid JSON too).
pub fn repair(text: &str, limits: &Limits) -> Result<Repaired, RepairError> {
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
    if text.bytes().all(is_whitespace) {
        return Err(RepairError::at(
            text,
            text.len(),
            "empty input: no JSON value".to_owned(),
        ));
    }

    // The whole text as one scalar or one Python tuple comes first: a string may hold brackets
    // that are no document start.
    let mut fallback_refusal = None;
    let first_byte = text.bytes().find(|&byte| !is_whitespace(byte));
    if let Some(first_byte) = first_byte.filter(|byte| !b"{[`".contains(byte)) {
        let mut parser = Parser::new(text, limits);
        let attempt = if first_byte == b'(' {
            parser.parse_whole_tuple()
        } else {
            parser.parse_bare_scalar()
        };
        match attempt {
            Ok(value) => return Ok(parser.finish(value)),
            Err(refusal) if refusal.exceeds_limit => return Err(refusal.into_error(text)),
            Err(refusal) => fallback_refusal = Some(refusal),
        }
    }

    let mut search_from = 0;
    let mut document_refusal = None;
    while let Some(start) = find_document_start(text, search_from) {
        let mut parser = Parser::new(text, limits);
        match parser.parse_document(start) {
            Ok(value) => return Ok(parser.finish(value)),
            Err(refusal) => {
                if !parser.looks_like_prose(&refusal) {
                    return Err(refusal.into_error(text));
                }
                document_refusal.get_or_insert(refusal);
                // The document, if any, starts after the byte this attempt stumbled on, so no
                // byte is read by more than a couple of attempts.
                search_from = parser.pos.max(start.offset()) + 1;
            }
        }
    }
    let refusal = document_refusal
        .or(fallback_refusal)
        .unwrap_or_else(|| Refusal::new(0, "no JSON object or array found"));
    Err(refusal.into_error(text))
}

/// A parse failure before its line and column are worked out (only the one reported needs them).
#[derive(Debug)]
struct Refusal {
    offset: usize,
    message: String,
    /// A configured limit was exceeded: final, whatever else the text holds.
    exceeds_limit: bool,
}

impl Refusal {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        Refusal {
            offset,
            message: message.into(),
            exceeds_limit: false,
        }
    }

    fn limit(offset: usize, message: String) -> Self {
        Refusal {
            exceeds_limit: true,
            ..Refusal::new(offset, message)
        }
    }

    fn into_error(self, text: &str) -> RepairError {
        RepairError::at(text, self.offset, self.message)
    }
}

type Parsed<T> = Result<T, Refusal>;

#[derive(Clone, Copy, Debug)]
enum DocumentStart {
    /// A `{` or `[`.
    Container(usize),
    /// A markdown code fence: where the fence starts and where its body starts.
    Fence { fence: usize, body: usize },
}

impl DocumentStart {
    fn offset(self) -> usize {
        match self {
            DocumentStart::Container(offset) => offset,
            DocumentStart::Fence { fence, .. } => fence,
        }
    }
}

fn find_document_start(text: &str, from: usize) -> Option<DocumentStart> {
    let bytes = text.as_bytes();
    let mut index = from;
    while index < bytes.len() {
        match bytes[index] {
            b'{' | b'[' => return Some(DocumentStart::Container(index)),
            b'`' if bytes[index..].starts_with(FENCE.as_bytes()) => {
                let mut body = index;
                while body < bytes.len() && bytes[body] == b'`' {
                    body += 1;
                }
                // The language tag: ```json, ```JSON, ```json5 ...
                while body < bytes.len() && (bytes[body].is_ascii_alphanumeric() || b"_+-.".contains(&bytes[body])) {
                    body += 1;
                }
                return Some(DocumentStart::Fence { fence: index, body });
            }
            _ => index += 1,
        }
    }
    None
}

/// Where a value sits decides how an unquoted word is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// Inside an object or array: unquoted text may stand for a string.
    Member,
    /// Inside a Python tuple: Python has no unquoted strings, so loose words mean prose.
    TupleItem,
    /// The body of a markdown fence: any quoted or literal value, never loose text.
    FenceBody,
    /// The whole text, with no brackets anywhere: only a strict JSON scalar.
    BareScalar,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quote {
    Double,
    Single,
    Curly,
}

impl Quote {
    fn open_len(self) -> usize {
        match self {
            Quote::Double | Quote::Single => 1,
            Quote::Curly => OPEN_CURLY_QUOTE.len(),
        }
    }
}

struct Parser<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    /// Where the document's region ends: the end of the text, or a closing markdown fence.
    end: usize,
    limits: &'t Limits,
    depth: usize,
    /// Path of the value being parsed: one step per open container.
    path: Vec<PathItem>,
    repairs: Vec<Repair>,
    /// Whether a markdown fence is accounted for: the document came out of one, or its closing
    /// fence was met (and recorded) without an opening one.
    fenced: bool,
    /// Set once the text reads as JSON rather than prose in brackets (`{maybe}`, `[sic]`): at a
    /// quoted key, a key's colon, an array item that is not a bare word, a completed member. A
    /// later failure is then the document's own, and no later candidate start is tried.
    committed: bool,
    /// Closing brackets supplied at the end of a truncated document, innermost first.
    supplied_closers: String,
    /// Where the truncated document's last token ended.
    truncated_at: Option<usize>,
}

impl<'t> Parser<'t> {
    fn new(text: &'t str, limits: &'t Limits) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            end: text.len(),
            limits,
            depth: 0,
            path: Vec::new(),
            repairs: Vec::new(),
            fenced: false,
            committed: false,
            supplied_closers: String::new(),
            truncated_at: None,
        }
    }

    /// A failed attempt was prose with a bracket in it (`{maybe}`), not a broken document, when it
    /// failed in its outermost container before reading as JSON, and within every limit.
    fn looks_like_prose(&self, refusal: &Refusal) -> bool {
        !self.committed && self.depth <= 1 && !refusal.exceeds_limit
    }

    fn finish(self, value: Value) -> Repaired {
        Repaired {
            value,
            repairs: self.repairs,
        }
    }

    // ----- documents -------------------------------------------------------------------------

    fn parse_document(&mut self, start: DocumentStart) -> Parsed<Value> {
        self.pos = match start {
            DocumentStart::Container(offset) => offset,
            DocumentStart::Fence { body, .. } => {
                self.fenced = true;
                body
            }
        };
        let place = if self.fenced { Place::FenceBody } else { Place::Member };
        self.skip_insignificant();
        if self.at_end() {
            return Err(Refusal::new(self.pos, "markdown fence holds no JSON value"));
        }
        let value = self.parse_value(place)?;
        // A fence holding a scalar and more is prose in a code block, not a document.
        if place == Place::FenceBody && !value.is_object() && !value.is_array() {
            self.skip_insignificant();
            if !self.at_end() {
                return Err(Refusal::new(self.pos, "text after a value in a markdown fence"));
            }
        }
        self.parse_after_document()?;
        self.record_document_start(start);
        Ok(value)
    }

    /// Records what preceded the document: prose, an opening fence. Done only once the document
    /// parsed, so failed candidate starts cost nothing here; the records go first in the list.
    fn record_document_start(&mut self, start: DocumentStart) {
        let mut leading = Vec::new();
        let prose = self.text[..start.offset()].trim();
        if !prose.is_empty() {
            leading.push(Repair::new(
                JsonPath::root(),
                RepairKind::SurroundingText,
                snippet(prose),
                "",
            ));
        }
        if let DocumentStart::Fence { fence, body } = start {
            let fence = snippet(&self.text[fence..body]);
            leading.push(Repair::new(JsonPath::root(), RepairKind::MarkdownFence, fence, ""));
        }
        self.repairs.splice(0..0, leading);
        self.repairs.truncate(MAX_RECORDED_REPAIRS);
    }

    /// `(1, 2)` or `("a", "b")` as the entire text. Anything after the tuple other than
    /// whitespace means the parenthesis was prose, as in `(1) Keep this note`.
    fn parse_whole_tuple(&mut self) -> Parsed<Value> {
        self.skip_insignificant();
        let value = self.parse_tuple()?;
        self.skip_insignificant();
        if self.pos < self.text.len() {
            return Err(Refusal::new(self.pos, "text after a parenthesized value"));
        }
        Ok(value)
    }

    /// The whole text as one strict JSON scalar (serde_json refused it only for something like a
    /// comment or a raw control character), or nothing.
    fn parse_bare_scalar(&mut self) -> Parsed<Value> {
        self.skip_insignificant();
        let start = self.pos;
        let no_document = || Refusal::new(start, "no JSON object or array found");
        let value = match self.peek() {
            Some(b'"') => self.parse_value(Place::BareScalar)?,
            _ => self.parse_value(Place::BareScalar).map_err(|_| no_document())?,
        };
        self.skip_insignificant();
        if self.pos < self.text.len() {
            return Err(no_document());
        }
        Ok(value)
    }

    /// After the document: a closing fence, and text that is dropped (recorded): prose, or
    /// further documents. Text that goes on with members of the document, as in
    /// `{"a": 1}, "b": 2}`, is refused: dropping it would lose them, and merging them in would
    /// guess which bracket was the mistake.
    fn parse_after_document(&mut self) -> Parsed<()> {
        self.path.clear();
        self.skip_insignificant();
        if self.bytes[self.pos..].starts_with(FENCE.as_bytes()) {
            while self.pos < self.bytes.len() && self.bytes[self.pos] == b'`' {
                self.pos += 1;
            }
        }
        let rest_start = self.pos;
        let rest = self.text[rest_start..].trim();
        if rest.is_empty() {
            return Ok(());
        }
        if continues_with_member(rest) {
            self.committed = true;
            let offset = self.text.len() - self.text[rest_start..].trim_start().len();
            return Err(Refusal::new(offset, "text after the document continues it"));
        }
        let after_separator = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        let kind = if after_separator.starts_with(['{', '[']) {
            RepairKind::ConcatenatedDocuments
        } else {
            RepairKind::SurroundingText
        };
        self.record(kind, |_| (snippet(rest), String::new()));
        Ok(())
    }

    // ----- values ----------------------------------------------------------------------------

    fn parse_value(&mut self, place: Place) -> Parsed<Value> {
        let Some(byte) = self.peek() else {
            return Err(Refusal::new(self.pos, "expected a value at end of input"));
        };
        match byte {
            b'{' if place != Place::BareScalar => self.parse_object(),
            b'[' if place != Place::BareScalar => self.parse_array(),
            b'(' if place != Place::BareScalar => self.parse_tuple(),
            b'"' => self.parse_string_value(Quote::Double),
            b'\'' if place != Place::BareScalar => self.parse_string_value(Quote::Single),
            _ if place != Place::BareScalar && self.at_curly_quote(OPEN_CURLY_QUOTE) => {
                self.parse_string_value(Quote::Curly)
            }
            b':' => Err(self.unexpected("a value")),
            _ => self.parse_unquoted(place),
        }
    }

    fn enter_container(&mut self) -> Parsed<()> {
        self.depth += 1;
        let limit = self.limits.effective_depth();
        if self.depth > limit {
            return Err(Refusal::limit(
                self.pos,
                format!("nesting deeper than the limit of {limit} levels"),
            ));
        }
        Ok(())
    }

    fn parse_object(&mut self) -> Parsed<Value> {
        self.enter_container()?;
        self.pos += 1;
        let mut map = Map::new();
        let mut last_token_end = self.pos;
        loop {
            self.skip_insignificant();
            match self.peek() {
                None => {
                    self.close_truncated('}', last_token_end);
                    break;
                }
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                Some(b',') => return Err(Refusal::new(self.pos, "comma with no member before it")),
                Some(closer @ (b']' | b')')) => return Err(self.mismatched(closer, '{')),
                Some(_) => {}
            }

            let key_start = self.pos;
            self.committed |= !is_bare_key_byte(self.bytes[key_start]) || self.at_curly_quote(OPEN_CURLY_QUOTE);
            let (key, quote) = self.parse_key()?;
            let key_end = self.pos;
            let requoted_key = match quote {
                Some(Quote::Double) => None,
                None => Some((RepairKind::UnquotedKey, json_snippet(&key))),
                Some(Quote::Single | Quote::Curly) => Some((RepairKind::SingleQuotes, json_snippet(&key))),
            };
            // The key's own path step stays on top until its value is parsed.
            self.path.push(PathItem::Key(key));
            if let Some((kind, after)) = requoted_key {
                self.record(kind, |parser| (snippet(&parser.text[key_start..key_end]), after));
            }
            self.skip_insignificant();
            match self.peek() {
                Some(b':') => {
                    self.pos += 1;
                    self.committed = true;
                }
                None | Some(b',' | b'}') => return Err(self.key_without_value(key_start)),
                Some(byte) if quote.is_some() && can_start_value(byte) => {
                    self.record(RepairKind::MissingColon, |parser| {
                        parser.insertion_snippets(key_end, ":")
                    });
                }
                Some(_) => return Err(self.unexpected("`:` after an object key")),
            }
            self.skip_insignificant();
            match self.peek() {
                None | Some(b',' | b'}') => return Err(self.key_without_value(key_start)),
                Some(closer @ (b']' | b')')) => return Err(self.mismatched(closer, '{')),
                Some(_) => {}
            }

            let value = self.parse_value(Place::Member)?;
            let Some(PathItem::Key(key)) = self.path.pop() else {
                unreachable!("the member's key is on top of the path");
            };
            map.insert(key, value);
            self.committed = true;

            last_token_end = self.pos;
            self.skip_insignificant();
            match self.peek() {
                None => {
                    self.close_truncated('}', last_token_end);
                    break;
                }
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                Some(b',') => {
                    if self.after_comma('}') {
                        break;
                    }
                }
                Some(closer @ (b']' | b')')) => return Err(self.mismatched(closer, '{')),
                Some(byte) if can_start_key(byte) => {
                    self.record(RepairKind::MissingComma, |parser| {
                        parser.insertion_snippets(last_token_end, ",")
                    });
                }
                Some(_) => return Err(self.unexpected("`,` or `}` after an object member")),
            }
        }
        self.depth -= 1;
        Ok(Value::Object(map))
    }

    fn parse_array(&mut self) -> Parsed<Value> {
        self.enter_container()?;
        self.pos += 1;
        let mut items = Vec::new();
        let mut last_token_end = self.pos;
        loop {
            self.skip_insignificant();
            match self.peek() {
                None => {
                    self.close_truncated(']', last_token_end);
                    break;
                }
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                Some(b',') => return Err(Refusal::new(self.pos, "comma with no item before it")),
                Some(b':') => return Err(Refusal::new(self.pos, "`:` inside an array")),
                Some(closer @ (b'}' | b')')) => return Err(self.mismatched(closer, '[')),
                Some(byte) => self.committed |= !byte.is_ascii_alphabetic(),
            }

            self.path.push(PathItem::Index(items.len()));
            let item = self.parse_value(Place::Member)?;
            self.path.pop();
            items.push(item);
            self.committed = true;

            last_token_end = self.pos;
            self.skip_insignificant();
            match self.peek() {
                None => {
                    self.close_truncated(']', last_token_end);
                    break;
                }
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                Some(b',') => {
                    if self.after_comma(']') {
                        break;
                    }
                }
                Some(b':') => return Err(Refusal::new(self.pos, "`:` inside an array")),
                Some(closer @ (b'}' | b')')) => return Err(self.mismatched(closer, '[')),
                Some(byte) if can_start_value(byte) => {
                    self.record(RepairKind::MissingComma, |parser| {
                        parser.insertion_snippets(last_token_end, ",")
                    });
                }
                Some(_) => return Err(self.unexpected("`,` or `]` after an array item")),
            }
        }
        self.depth -= 1;
        Ok(Value::Array(items))
    }

    /// A Python tuple: `(1, 2)` is an array, `(1,)` a one-item array, `()` an empty one, and
    /// `(1)` just the parenthesized value. An unclosed tuple is refused: whether `(1` would have
    /// been `(1)` or `(1, 2)` changes its type.
    fn parse_tuple(&mut self) -> Parsed<Value> {
        self.enter_container()?;
        let open = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        let mut saw_comma = false;
        loop {
            self.skip_insignificant();
            match self.peek() {
                None => return Err(Refusal::new(open, "unclosed parenthesis starting")),
                Some(b')') => {
                    self.pos += 1;
                    break;
                }
                Some(b',') => return Err(Refusal::new(self.pos, "comma with no item before it")),
                Some(closer @ (b'}' | b']')) => return Err(self.mismatched(closer, '(')),
                Some(_) => {}
            }

            self.path.push(PathItem::Index(items.len()));
            let item = self.parse_value(Place::TupleItem)?;
            self.path.pop();
            items.push(item);

            self.skip_insignificant();
            match self.peek() {
                None => return Err(Refusal::new(open, "unclosed parenthesis starting")),
                Some(b')') => {
                    self.pos += 1;
                    break;
                }
                Some(b',') => {
                    saw_comma = true;
                    self.pos += 1;
                }
                Some(closer @ (b'}' | b']')) => return Err(self.mismatched(closer, '(')),
                Some(_) => return Err(self.unexpected("`,` or `)` after a tuple item")),
            }
        }
        self.depth -= 1;
        let value = if items.len() == 1 && !saw_comma {
            items.pop().unwrap_or(Value::Null)
        } else {
            Value::Array(items)
        };
        self.record(RepairKind::PythonLiteral, |parser| {
            (snippet(&parser.text[open..parser.pos]), value_snippet(&value))
        });
        Ok(value)
    }

    /// Called on a `,` after a member or item. Returns true when the container is finished: the
    /// comma was trailing, before the closer or at the end of a truncated document.
    fn after_comma(&mut self, closer: char) -> bool {
        let comma = self.pos;
        self.pos += 1;
        self.skip_insignificant();
        let finished = match self.peek() {
            Some(byte) => byte == closer as u8,
            None => true,
        };
        if finished {
            self.record(RepairKind::TrailingComma, |parser| {
                removal_snippets(parser.text, comma, comma + 1)
            });
            match self.peek() {
                Some(_) => self.pos += 1,
                None => self.close_truncated(closer, comma),
            }
        }
        finished
    }

    /// The input ended inside this container after a complete member, or before any: close it.
    /// `tail_end` is where the document's last token ended; the innermost container fixes it.
    fn close_truncated(&mut self, closer: char, tail_end: usize) {
        let tail_end = *self.truncated_at.get_or_insert(tail_end);
        if self.repairs.len() < MAX_RECORDED_REPAIRS {
            let before = format!("{}{}", tail_snippet(self.text, tail_end), self.supplied_closers);
            let after = format!("{before}{closer}");
            self.push_repair(RepairKind::Truncated, last_chars(&before), last_chars(&after));
        }
        self.supplied_closers.push(closer);
    }

    /// An object key and how it was quoted (None: not at all).
    fn parse_key(&mut self) -> Parsed<(String, Option<Quote>)> {
        let quote = match self.peek() {
            Some(b'"') => Some(Quote::Double),
            Some(b'\'') => Some(Quote::Single),
            _ if self.at_curly_quote(OPEN_CURLY_QUOTE) => Some(Quote::Curly),
            _ => None,
        };
        if let Some(quote) = quote {
            return Ok((self.parse_string(quote)?, Some(quote)));
        }

        let start = self.pos;
        while self.pos < self.end && is_bare_key_byte(self.bytes[self.pos]) && !self.at_curly_quote(OPEN_CURLY_QUOTE) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.unexpected("an object key"));
        }
        self.check_string_length(start, self.pos - start)?;
        Ok((self.text[start..self.pos].to_owned(), None))
    }

    fn parse_string_value(&mut self, quote: Quote) -> Parsed<Value> {
        let start = self.pos;
        let string = self.parse_string(quote)?;
        if quote != Quote::Double {
            self.record(RepairKind::SingleQuotes, |parser| {
                (snippet(&parser.text[start..parser.pos]), json_snippet(&string))
            });
        }
        Ok(Value::String(string))
    }

    /// A quoted string, positioned on its opening quote. Raw control characters are kept (the
    /// value is what the model wrote; serializing escapes them) and invalid escapes are kept
    /// literally. A string the input ends inside is refused: it may have been cut off.
    fn parse_string(&mut self, quote: Quote) -> Parsed<String> {
        let start = self.pos;
        self.pos += quote.open_len();
        let closing_byte = match quote {
            Quote::Double => b'"',
            Quote::Single => b'\'',
            Quote::Curly => CLOSE_CURLY_QUOTE.as_bytes()[0],
        };
        let mut out = String::new();
        let mut segment = self.pos;
        loop {
            while self.pos < self.end {
                let byte = self.bytes[self.pos];
                if byte == closing_byte || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            if self.pos >= self.end {
                self.pos = self.end;
                return Err(Refusal::new(start, "unterminated string starting"));
            }
            let byte = self.bytes[self.pos];
            if byte == closing_byte {
                if quote == Quote::Curly && !self.at_curly_quote(CLOSE_CURLY_QUOTE) {
                    // Another character that shares the closing quote's lead byte.
                    self.pos += 1;
                    continue;
                }
                out.push_str(&self.text[segment..self.pos]);
                let closing = self.pos;
                self.pos += if quote == Quote::Curly {
                    CLOSE_CURLY_QUOTE.len()
                } else {
                    1
                };
                // `"v"alue"`: the quote is likely inside the string rather than its end, but
                // where the string really ends cannot be told.
                if self.peek().is_some_and(|next| next.is_ascii_alphanumeric()) {
                    self.pos = closing;
                    return Err(Refusal::new(
                        closing,
                        "a quote inside a string leaves where the string ends ambiguous",
                    ));
                }
                break;
            }
            out.push_str(&self.text[segment..self.pos]);
            self.check_string_length(start, out.len())?;
            if byte < 0x20 {
                let control = char::from(byte);
                out.push(control);
                self.record(RepairKind::ControlCharacter, |_| {
                    (control.to_string(), json_escaped(&control.to_string()))
                });
                self.pos += 1;
            } else {
                self.parse_escape(start, quote, &mut out)?;
            }
            segment = self.pos;
        }
        self.check_string_length(start, out.len())?;
        Ok(out)
    }

    /// Positioned on a backslash inside a string; appends what it stands for.
    fn parse_escape(&mut self, string_start: usize, quote: Quote, out: &mut String) -> Parsed<()> {
        let backslash = self.pos;
        self.pos += 1;
        let Some(escaped) = self.peek() else {
            self.pos = self.end;
            return Err(Refusal::new(string_start, "unterminated string starting"));
        };
        let simple = match escaped {
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            b'/' => Some('/'),
            b'b' => Some('\u{8}'),
            b'f' => Some('\u{c}'),
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            // Every quoting convention reads `\'` as an apostrophe; only strict JSON lacks it.
            b'\'' => {
                if quote != Quote::Single {
                    self.record(RepairKind::InvalidEscape, |_| ("\\'".to_owned(), "'".to_owned()));
                }
                Some('\'')
            }
            _ => None,
        };
        if let Some(character) = simple {
            out.push(character);
            self.pos += 1;
            return Ok(());
        }
        if escaped == b'u' {
            if let Some((character, length)) = self.unicode_escape(backslash) {
                out.push(character);
                self.pos = backslash + length;
                return Ok(());
            }
        }
        // Not an escape JSON knows (`\s` in a regex, `\x41`, a lone surrogate): keep the
        // backslash, and let the following character be read as ordinary text.
        out.push('\\');
        self.record(RepairKind::InvalidEscape, |parser| {
            let end = next_char_boundary(parser.text, parser.pos);
            let written = &parser.text[backslash..end];
            (snippet(written), json_escaped(written))
        });
        Ok(())
    }

    /// `\uXXXX` at `backslash`, joined with a following low surrogate when it is a high one.
    /// Returns the character and how many bytes the escape took; None if it is not valid.
    fn unicode_escape(&self, backslash: usize) -> Option<(char, usize)> {
        let first = hex4(self.region(), backslash + 2)?;
        if (0xD800..0xDC00).contains(&first) {
            let second_start = backslash + 6;
            if self.region().get(second_start..second_start + 2) != Some(b"\\u") {
                return None;
            }
            let second = hex4(self.region(), second_start + 2)?;
            if !(0xDC00..0xE000).contains(&second) {
                return None;
            }
            let combined = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            return char::from_u32(combined).map(|character| (character, 12));
        }
        char::from_u32(first).map(|character| (character, 6))
    }

    /// A value that does not start with a quote or a bracket: a number, a literal, or (inside a
    /// container) unquoted text read as a string when its extent is unambiguous.
    fn parse_unquoted(&mut self, place: Place) -> Parsed<Value> {
        let start = self.pos;
        let word_end = self.scan_word(start);
        let word = &self.text[start..word_end];
        if let Some(value) = self.token_value(word, start, place)? {
            self.pos = word_end;
            return Ok(value);
        }
        if place != Place::Member {
            return Err(Refusal::new(start, "expected a JSON value"));
        }

        let run_end = self.scan_unquoted_run(start)?;
        let run = self.text[start..run_end].trim_end_matches(|c: char| c.is_ascii_whitespace());
        if run.is_empty() {
            return Err(self.unexpected("a value"));
        }
        if run == "..." || run == "\u{2026}" {
            return Err(Refusal::new(
                start,
                "an ellipsis stands for items left out; they cannot be recovered",
            ));
        }
        if run.contains(['\n', '\r']) {
            return Err(Refusal::new(
                start,
                "unquoted text spans lines, so where it ends is ambiguous",
            ));
        }
        self.check_string_length(start, run.len())?;
        self.pos = start + run.len();
        self.record(RepairKind::UnquotedString, |_| (snippet(run), json_snippet(run)));
        Ok(Value::String(run.to_owned()))
    }

    /// The end of the word at `start`: up to whitespace, a bracket, a comma, a quote or a comment.
    fn scan_word(&self, start: usize) -> usize {
        let mut index = start;
        while index < self.end {
            match self.bytes[index] {
                b',' | b'{' | b'}' | b'[' | b']' | b'(' | b')' | b'"' | b'\'' => break,
                byte if is_whitespace(byte) => break,
                b'/' if matches!(self.region().get(index + 1), Some(b'/' | b'*')) => break,
                _ => index += 1,
            }
        }
        index
    }

    /// The extent of unquoted text: up to the `,` or closing bracket that ends the member, with
    /// brackets inside it balanced, or a comment after whitespace. A quote inside, or the end of
    /// input, leaves the extent ambiguous, so both are refused.
    fn scan_unquoted_run(&mut self, start: usize) -> Parsed<usize> {
        let mut nesting = 0usize;
        let mut index = start;
        while index < self.end {
            let byte = self.bytes[index];
            match byte {
                b'"' | b'\'' => {
                    self.pos = index;
                    return Err(Refusal::new(
                        start,
                        "a quote inside unquoted text leaves its extent ambiguous",
                    ));
                }
                b'{' | b'[' | b'(' => nesting += 1,
                b'}' | b']' | b')' if nesting == 0 => return Ok(index),
                b'}' | b']' | b')' => nesting -= 1,
                b',' if nesting == 0 => return Ok(index),
                _ if is_whitespace(byte) && nesting == 0 && self.comment_at(index + 1) => return Ok(index),
                _ => {}
            }
            index += 1;
        }
        self.pos = self.end;
        let word = &self.text[start..self.scan_word(start)];
        let message = if !word.is_empty() && LITERALS.iter().any(|literal| literal.starts_with(word)) {
            format!("incomplete literal `{word}` at end of input")
        } else {
            "unquoted text at the end of input may be cut off".to_owned()
        };
        Err(Refusal::new(start, message))
    }

    /// A word that is a complete JSON (or Python) number or literal.
    fn token_value(&mut self, word: &str, start: usize, place: Place) -> Parsed<Option<Value>> {
        let strict = place == Place::BareScalar;
        let literal = match word {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            "null" => Some(Value::Null),
            _ => None,
        };
        if literal.is_some() {
            return Ok(literal);
        }
        if is_json_number(word) {
            return number_value(word)
                .map(Some)
                .ok_or_else(|| Refusal::new(start, "number out of range"));
        }
        if strict {
            return Ok(None);
        }

        let python = match word {
            "True" => Some(Value::Bool(true)),
            "False" => Some(Value::Bool(false)),
            "None" => Some(Value::Null),
            _ => None,
        };
        if let Some(value) = python {
            self.record(RepairKind::PythonLiteral, |_| (word.to_owned(), value.to_string()));
            return Ok(Some(value));
        }
        // Python's own spellings (`nan`, `inf`) too: they are what `str(float)` prints.
        if matches!(
            word,
            "NaN" | "Infinity" | "+Infinity" | "-Infinity" | "nan" | "inf" | "+inf" | "-inf"
        ) {
            self.record(RepairKind::NonFiniteNumber, |_| (word.to_owned(), "null".to_owned()));
            return Ok(Some(Value::Null));
        }
        if let Some(normalized) = python_number(word) {
            let value = number_value(&normalized).ok_or_else(|| Refusal::new(start, "number out of range"))?;
            self.record(RepairKind::PythonLiteral, |_| (word.to_owned(), normalized.clone()));
            return Ok(Some(value));
        }
        Ok(None)
    }

    // ----- whitespace, comments, fences ------------------------------------------------------

    /// Skips whitespace and comments (recording each comment). A markdown fence met here ends
    /// the document's region: whatever the document left open is then truncated.
    fn skip_insignificant(&mut self) {
        loop {
            while self.pos < self.end && is_whitespace(self.bytes[self.pos]) {
                self.pos += 1;
            }
            if self.pos >= self.end {
                return;
            }
            let start = self.pos;
            match self.bytes[start] {
                b'/' if self.region().get(start + 1) == Some(&b'/') => self.skip_line_comment(),
                b'#' => self.skip_line_comment(),
                b'/' if self.region().get(start + 1) == Some(&b'*') => {
                    self.pos = match find(&self.bytes[start + 2..self.end], b"*/") {
                        Some(found) => start + 2 + found + 2,
                        None => self.end,
                    };
                }
                b'`' if self.bytes[start..self.end].starts_with(FENCE.as_bytes()) => {
                    self.end = start;
                    if !self.fenced {
                        self.fenced = true;
                        self.record(RepairKind::MarkdownFence, |_| (FENCE.to_owned(), String::new()));
                    }
                    return;
                }
                _ => return,
            }
            self.record(RepairKind::Comment, |parser| {
                (snippet(&parser.text[start..parser.pos]), String::new())
            });
        }
    }

    fn skip_line_comment(&mut self) {
        self.pos = match self.bytes[self.pos..self.end].iter().position(|&byte| byte == b'\n') {
            Some(newline) => self.pos + newline,
            None => self.end,
        };
    }

    fn comment_at(&self, index: usize) -> bool {
        match self.region().get(index) {
            Some(b'#') => true,
            Some(b'/') => matches!(self.region().get(index + 1), Some(b'/' | b'*')),
            _ => false,
        }
    }

    // ----- small helpers ---------------------------------------------------------------------

    /// The bytes of the document's region: reads never look past a closing fence.
    fn region(&self) -> &'t [u8] {
        &self.bytes[..self.end]
    }

    fn peek(&self) -> Option<u8> {
        if self.pos < self.end {
            Some(self.bytes[self.pos])
        } else {
            None
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.end
    }

    fn at_curly_quote(&self, quote: &str) -> bool {
        self.region()
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(quote.as_bytes()))
    }

    fn check_string_length(&self, start: usize, length: usize) -> Parsed<()> {
        let limit = self.limits.max_string_length;
        if length > limit {
            return Err(Refusal::limit(
                start,
                format!("string longer than the limit of {limit} bytes"),
            ));
        }
        Ok(())
    }

    /// Refusal for the key on top of the path, which has no value.
    fn key_without_value(&self, key_start: usize) -> Refusal {
        let key = match self.path.last() {
            Some(PathItem::Key(key)) => key.as_str(),
            _ => "",
        };
        Refusal::new(key_start, format!("key {} has no value", json_snippet(key)))
    }

    fn mismatched(&self, closer: u8, opener: char) -> Refusal {
        Refusal::new(
            self.pos,
            format!(
                "`{}` does not close the open `{opener}`, so which brackets were meant is ambiguous",
                char::from(closer)
            ),
        )
    }

    fn unexpected(&self, expected: &str) -> Refusal {
        let found = self.text[self.pos..self.end].chars().next();
        let message = match found {
            Some(found) => format!("expected {expected}, found `{found}`"),
            None => format!("expected {expected} at end of input"),
        };
        Refusal::new(self.pos, message)
    }

    fn insertion_snippets(&self, at: usize, inserted: &str) -> (String, String) {
        let from = back_by_chars(self.text, at, CONTEXT_CHARS);
        let to = forward_by_chars(self.text, at, CONTEXT_CHARS).min(self.end.max(at));
        let head = &self.text[from..at];
        let tail = &self.text[at..to];
        (format!("{head}{tail}"), format!("{head}{inserted}{tail}"))
    }

    /// Records a change at the current path. The snippets are built only if there is room.
    fn record(&mut self, kind: RepairKind, snippets: impl FnOnce(&Self) -> (String, String)) {
        if self.repairs.len() < MAX_RECORDED_REPAIRS {
            let (before, after) = snippets(self);
            self.push_repair(kind, before, after);
        }
    }

    fn push_repair(&mut self, kind: RepairKind, before: String, after: String) {
        let path = JsonPath::from(self.path.clone());
        self.repairs.push(Repair::new(path, kind, before, after));
    }
}

const LITERALS: [&str; 6] = ["true", "false", "null", "True", "False", "None"];

/// Whether `rest` (text after a document) reads `, key: ...` (or `, "key" "value"`): more
/// members of the document.
fn continues_with_member(rest: &str) -> bool {
    let Some(member) = rest.strip_prefix(',').map(str::trim_start) else {
        return false;
    };
    match member.as_bytes().first() {
        Some(&quote @ (b'"' | b'\'')) => match member[1..].find(char::from(quote)) {
            Some(close) => member[close + 2..].trim_start().starts_with([':', '"', '\'']),
            None => false,
        },
        _ => {
            let after_key = member.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_' || c == '$');
            after_key.len() < member.len() && after_key.trim_start().starts_with(':')
        }
    }
}

fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)
}

fn can_start_value(byte: u8) -> bool {
    matches!(byte, b'"' | b'\'' | b'{' | b'[' | b'(' | b'-' | b'+' | b'.' | b'_')
        || byte.is_ascii_alphanumeric()
        || byte >= 0x80
}

fn can_start_key(byte: u8) -> bool {
    matches!(byte, b'"' | b'\'') || is_bare_key_byte(byte)
}

fn is_bare_key_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'$' | b'-' | b'.' | b'@') || byte >= 0x80
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
fn is_json_number(word: &str) -> bool {
    let bytes = word.as_bytes();
    let mut index = usize::from(bytes.first() == Some(&b'-'));
    let digits = |index: &mut usize| {
        let start = *index;
        while *index < bytes.len() && bytes[*index].is_ascii_digit() {
            *index += 1;
        }
        *index - start
    };
    let integer_start = index;
    let integer_digits = digits(&mut index);
    if integer_digits == 0 || (integer_digits > 1 && bytes[integer_start] == b'0') {
        return false;
    }
    if bytes.get(index) == Some(&b'.') {
        index += 1;
        if digits(&mut index) == 0 {
            return false;
        }
    }
    if matches!(bytes.get(index), Some(b'e' | b'E')) {
        index += 1;
        if matches!(bytes.get(index), Some(b'+' | b'-')) {
            index += 1;
        }
        if digits(&mut index) == 0 {
            return false;
        }
    }
    index == bytes.len()
}

/// Python spellings of a number that JSON lacks: `1_000`, `.5`, `1.`, `1.e3`. Returns the JSON
/// spelling, or None if `word` is not such a number (or is already JSON).
fn python_number(word: &str) -> Option<String> {
    let (sign, unsigned) = match word.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", word),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (integer, fraction) = match mantissa.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (mantissa, None),
    };
    let integer = python_digits(integer, true)?;
    let fraction = match fraction {
        Some(fraction) => Some(python_digits(fraction, true)?),
        None => None,
    };
    if integer.is_empty() && matches!(fraction.as_deref(), None | Some("")) {
        return None;
    }
    if integer.len() > 1 && integer.starts_with('0') {
        return None;
    }
    let mut normalized = String::with_capacity(word.len() + 2);
    normalized.push_str(sign);
    normalized.push_str(if integer.is_empty() { "0" } else { &integer });
    if let Some(fraction) = fraction {
        normalized.push('.');
        normalized.push_str(if fraction.is_empty() { "0" } else { &fraction });
    }
    if let Some(exponent) = exponent {
        let (exponent_sign, exponent_digits) = match exponent.as_bytes().first() {
            Some(b'+' | b'-') => exponent.split_at(1),
            _ => ("", exponent),
        };
        let exponent_digits = python_digits(exponent_digits, false)?;
        normalized.push('e');
        normalized.push_str(exponent_sign);
        normalized.push_str(&exponent_digits);
    }
    (normalized != word && is_json_number(&normalized)).then_some(normalized)
}

/// Digits with Python's `_` separators (only between digits) removed.
fn python_digits(part: &str, may_be_empty: bool) -> Option<String> {
    if part.is_empty() {
        return may_be_empty.then(String::new);
    }
    let bytes = part.as_bytes();
    let mut digits = String::with_capacity(part.len());
    for (index, &byte) in bytes.iter().enumerate() {
        match byte {
            b'0'..=b'9' => digits.push(char::from(byte)),
            b'_' if index > 0
                && index + 1 < bytes.len()
                && bytes[index - 1].is_ascii_digit()
                && bytes[index + 1].is_ascii_digit() => {}
            _ => return None,
        }
    }
    Some(digits)
}

/// What serde_json makes of the literal: integers that fit u64 or i64 as integers, others as f64.
fn number_value(literal: &str) -> Option<Value> {
    if let Ok(unsigned) = literal.parse::<u64>() {
        return Some(Value::Number(Number::from(unsigned)));
    }
    serde_json::from_str::<Number>(literal).ok().map(Value::Number)
}

fn hex4(bytes: &[u8], start: usize) -> Option<u32> {
    let digits = bytes.get(start..start + 4)?;
    digits
        .iter()
        .try_fold(0u32, |code, &digit| Some(code * 16 + char::from(digit).to_digit(16)?))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
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
    let head = &text[..forward_by_chars(text, 0, SNIPPET_CHARS)];
    snippet(&Value::String(head.to_owned()).to_string())
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
    match text.char_indices().rev().nth(SNIPPET_CHARS - 1) {
        Some((cut, _)) if cut > 0 => {
            let from = next_char_boundary(text, cut);
            format!("\u{2026}{}", &text[from..])
        }
        _ => text.to_owned(),
    }
}

/// The end of the text before `end`, for showing where a truncated document stopped.
fn tail_snippet(text: &str, end: usize) -> String {
    let end = floor_char_boundary(text, end);
    let trimmed = text[..end].trim_end();
    let from = back_by_chars(trimmed, trimmed.len(), CONTEXT_CHARS);
    trimmed[from..].to_owned()
}

fn removal_snippets(text: &str, from: usize, to: usize) -> (String, String) {
    let head_start = back_by_chars(text, from, CONTEXT_CHARS);
    let tail_end = forward_by_chars(text, to, CONTEXT_CHARS);
    let head = &text[head_start..from];
    let tail = &text[to..tail_end];
    (format!("{head}{}{tail}", &text[from..to]), format!("{head}{tail}"))
}

fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn next_char_boundary(text: &str, index: usize) -> usize {
    let mut index = (index + 1).min(text.len());
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

fn back_by_chars(text: &str, index: usize, count: usize) -> usize {
    let index = floor_char_boundary(text, index);
    text[..index]
        .char_indices()
        .rev()
        .nth(count.saturating_sub(1))
        .map_or(0, |(start, _)| start)
}

fn forward_by_chars(text: &str, index: usize, count: usize) -> usize {
    let index = floor_char_boundary(text, index);
    text[index..]
        .char_indices()
        .nth(count)
        .map_or(text.len(), |(offset, _)| index + offset)
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
        // A fence ending inside the document cuts it there.
        assert_eq!(value("```json\n{\"a\": [1, 2\n```\nmore"), json!({"a": [1, 2]}));
        assert_eq!(value("```json\n(1, 2)\n```"), json!([1, 2]));
        assert_eq!(value("```json\n42\n```"), json!(42));
        assert!(refused("```\nTrue that\n```").message.contains("markdown fence"));
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
    }

    #[test]
    fn brackets_in_prose_before_the_document_are_skipped() {
        assert_eq!(value("Use {braces} like so: {\"a\": 1}"), json!({"a": 1}));
        assert_eq!(value("{ this is prose } {\"a\": 1}"), json!({"a": 1}));
        assert_eq!(value("(1) Keep this note.\n```json\n{\"a\": 1}\n```"), json!({"a": 1}));
        assert_eq!(value("Use ``` for code. [1, 2]"), json!([1, 2]));
    }

    #[test]
    fn a_broken_document_is_not_mined_for_an_inner_one() {
        for text in [
            "{\"x\": \"a, {\"k\": {\"n\": 1}}, \"y\": 2}",
            "{\"k\"e\"y\": {\"a\": 1}}",
            "[\"a\"b\", {\"c\": 1}]",
            "{\"a\": {\"b\": 1}, \"c\": \"cut {\"d\": 2}",
            "{a {\"b\": 1}}",
        ] {
            let _ = refused(text);
        }
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
    }

    #[test]
    fn missing_commas_are_inserted() {
        assert_eq!(value("{\"a\": 1 \"b\": 2}"), json!({"a": 1, "b": 2}));
        assert_eq!(value("[1 2\n3]"), json!([1, 2, 3]));
        assert_eq!(value("[\"a\" \"b\"]"), json!(["a", "b"]));
        assert_eq!(value("[{\"a\": 1} {\"a\": 2}]"), json!([{"a": 1}, {"a": 2}]));
        let record = only_record("{\"a\": 1 \"b\": 2}", MissingComma);
        assert_eq!(record.before, json!("{\"a\": 1 \"b\": 2}"));
        assert_eq!(record.after, json!("{\"a\": 1, \"b\": 2}"));
    }

    #[test]
    fn missing_colons_after_quoted_keys_are_inserted() {
        assert_eq!(value("{\"a\" 1, \"b\" \"x\"}"), json!({"a": 1, "b": "x"}));
        let record = only_record("{\"a\" 1}", MissingColon);
        assert_eq!(record.path.to_string(), "a");
        assert_eq!(record.after, json!("{\"a\": 1}"));
    }

    #[test]
    fn single_and_curly_quotes_are_requoted() {
        let text = "{'a': 'it\\'s \"x\"'}";
        assert_eq!(value(text), json!({"a": "it's \"x\""}));
        let records = repaired(text).repairs;
        assert_eq!(records.len(), 2);
        assert!(records
            .iter()
            .all(|record| record.kind == SingleQuotes && record.path.to_string() == "a"));
        assert_eq!(records[0].before, json!("'a'"));
        assert_eq!(records[0].after, json!("\"a\""));
        assert_eq!(
            value("{\u{201C}a\u{201D}: \u{201C}b \u{2014} c\u{201D}}"),
            json!({"a": "b \u{2014} c"})
        );
    }

    #[test]
    fn unquoted_keys_are_quoted() {
        assert_eq!(
            value("{a: 1, b_c: 2, $d: 3, 5: 4}"),
            json!({"a": 1, "b_c": 2, "$d": 3, "5": 4})
        );
        let record = only_record("{\"x\": {name: 1}}", UnquotedKey);
        assert_eq!(record.path.to_string(), "x.name");
        assert_eq!((record.before, record.after), (json!("name"), json!("\"name\"")));
    }

    #[test]
    fn unquoted_strings_with_a_clear_extent_are_quoted() {
        assert_eq!(
            value("{\"city\": New York, \"n\": 1}"),
            json!({"city": "New York", "n": 1})
        );
        assert_eq!(
            value("{\"f\": f(x, y), \"g\": a[1]}"),
            json!({"f": "f(x, y)", "g": "a[1]"})
        );
        assert_eq!(value("[1, 2notanumber, 10-20]"), json!([1, "2notanumber", "10-20"]));
        assert_eq!(value("{\"url\": http://x.com/a}"), json!({"url": "http://x.com/a"}));
        assert_eq!(value("{\"time\": 10:30}"), json!({"time": "10:30"}));
        assert_eq!(value("{\"a\": hello // note\n}"), json!({"a": "hello"}));
        let record = only_record("{\"a\": [New York]}", UnquotedString);
        assert_eq!(record.path.to_string(), "a[0]");
        assert_eq!(
            (record.before, record.after),
            (json!("New York"), json!("\"New York\""))
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
    }

    #[test]
    fn python_literals_become_json() {
        let text = "{\"a\": True, \"b\": False, \"c\": None}";
        assert_eq!(value(text), json!({"a": true, "b": false, "c": null}));
        assert_eq!(kinds(text), [PythonLiteral, PythonLiteral, PythonLiteral]);
        let record = &repaired(text).repairs[0];
        assert_eq!((&record.before, &record.after), (&json!("True"), &json!("true")));
        assert_eq!(
            value("{\"t\": (1, 2), \"one\": (1,), \"e\": (), \"p\": (\"x\")}"),
            json!({"t": [1, 2], "one": [1], "e": [], "p": "x"})
        );
        assert_eq!(value("((1, 2), (3, 4))"), json!([[1, 2], [3, 4]]));
        assert_eq!(value("[1_000, .5, 2., -.25e1]"), json!([1000, 0.5, 2.0, -2.5]));
        assert_eq!(only_record("[1_000]", PythonLiteral).after, json!("1000"));
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
        let records = repaired(text).repairs;
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].path.to_string(), "a");
        assert_eq!(
            (&records[0].before, &records[0].after),
            (&json!("{\"a\": [1, 2"), &json!("{\"a\": [1, 2]"))
        );
        assert!(records[1].path.is_root());
        assert_eq!(records[1].after, json!("{\"a\": [1, 2]}"));

        assert_eq!(value("{\"a\": \"x\""), json!({"a": "x"}));
        assert_eq!(value("{\"a\": 1.5"), json!({"a": 1.5}));
        assert_eq!(value("[true"), json!([true]));
        assert_eq!(value("{\"a\": {"), json!({"a": {}}));
        assert_eq!(value("["), json!([]));
        assert_eq!(value("{\"a\": 1 /* the rest"), json!({"a": 1}));
        // A dangling comma: the list may have gone on, but every item it holds is complete.
        assert_eq!(value("[1, 2,"), json!([1, 2]));
        assert_eq!(kinds("[1, 2,"), [TrailingComma, Truncated]);
        assert_eq!(only_record("[1, 2,", Truncated).after, json!("[1, 2]"));
    }

    #[test]
    fn control_characters_in_strings_are_escaped() {
        let text = "{\"a\": \"line 1\nline 2\tend\"}";
        assert_eq!(value(text), json!({"a": "line 1\nline 2\tend"}));
        let records = repaired(text).repairs;
        assert_eq!(records.len(), 2);
        assert!(records
            .iter()
            .all(|record| record.kind == ControlCharacter && record.path.to_string() == "a"));
        assert_eq!((&records[0].before, &records[0].after), (&json!("\n"), &json!("\\n")));
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
        // Every quoting convention reads `\'` as an apostrophe.
        assert_eq!(value("{\"a\": \"it\\'s\"}"), json!({"a": "it's"}));
        assert_eq!(kinds("{\"a\": \"it\\'s\"}"), [InvalidEscape]);
    }

    #[test]
    fn valid_escapes_decode_like_serde_json() {
        let text = r#"["\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t",]"#;
        assert_eq!(value(text), json!(["é😀\"\\/\u{8}\u{c}\n\r\t"]));
    }

    #[test]
    fn text_continuing_the_document_is_refused() {
        let error = refused("{\"a\": 1}, \"b\": 2}");
        assert_eq!(
            error.to_string(),
            "text after the document continues it at line 1 column 9"
        );
        assert!(refused("{}, \"b\": 2}").message.contains("continues it"));
        assert!(refused("[1], 'b' : 2]").message.contains("continues it"));
        // A stray closer, or prose after a comma, holds no member to lose.
        assert_eq!(value("{\"a\": 1}}"), json!({"a": 1}));
        assert_eq!(value("{\"a\": 1}, as requested: done"), json!({"a": 1}));
    }

    #[test]
    fn concatenated_documents_keep_the_first() {
        assert_eq!(value("{\"a\": 1}{\"b\": 2}"), json!({"a": 1}));
        assert_eq!(kinds("{\"a\": 1}\n{\"b\": 2}"), [ConcatenatedDocuments]);
        assert_eq!(kinds("[1], [2]"), [ConcatenatedDocuments]);
        assert_eq!(only_record("[1] [2]", ConcatenatedDocuments).before, json!("[2]"));
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
        ] {
            let expected: Value = serde_json::from_str(text).expect("valid JSON");
            let repaired = repaired(text);
            assert_eq!(repaired.value, expected, "{text}");
            assert!(repaired.repairs.is_empty(), "{text}: {:?}", repaired.repairs);
        }
    }

    // ----- refusals -------------------------------------------------------------------------

    #[test]
    fn unterminated_strings_are_refused() {
        let error = refused("{\"key\": \"value");
        assert_eq!(error.to_string(), "unterminated string starting at line 1 column 9");
        assert_eq!((error.offset, error.line, error.column), (8, 1, 9));
        assert_eq!(refused("[\"a\", \"b").column, 7);
        assert_eq!(refused("{\"a\": \"ends in a backslash\\").column, 7);
        assert!(refused("Here: {\"key\": \"val")
            .message
            .starts_with("unterminated string"));
        // Positions count lines and characters, not bytes.
        let error = refused("{\n  \"é\": \"x");
        assert_eq!((error.line, error.column), (2, 8));
    }

    #[test]
    fn partial_literals_at_the_end_are_refused() {
        assert_eq!(refused("[tru").message, "incomplete literal `tru` at end of input");
        assert_eq!(
            refused("{\"a\": nul").message,
            "incomplete literal `nul` at end of input"
        );
        assert_eq!(
            refused("{\"a\": hello").message,
            "unquoted text at the end of input may be cut off"
        );
        assert!(refused("[1, -").message.contains("cut off"));
    }

    #[test]
    fn keys_without_values_are_refused() {
        for text in [
            "{\"a\": 1, \"b\"",
            "{\"a\": 1, \"b\":",
            "{\"a\": 1, \"b\": ",
            "{\"a\": }",
            "{\"a\": , \"b\": 1}",
            "{\"a\", \"b\"}",
        ] {
            let error = refused(text);
            assert!(error.message.ends_with("has no value"), "{text}: {error}");
        }
        assert_eq!(
            refused("{\"a\": 1, \"b\"").to_string(),
            "key \"b\" has no value at line 1 column 10"
        );
        assert!(refused("{\"a\": 1, b").message.contains("has no value"));
    }

    #[test]
    fn ambiguous_unquoted_text_is_refused() {
        assert!(refused("{\"a\": hello \"world\"}")
            .message
            .contains("quote inside unquoted text"));
        assert!(refused("{\"a\": it's}").message.contains("quote inside unquoted text"));
        assert!(refused("{\"a\": hello\n  world}").message.contains("spans lines"));
        assert!(refused("{a b: 1}").message.contains("expected `:`"));
        assert!(refused("{\"a\": 1 true}").message.contains("has no value"));
    }

    #[test]
    fn stray_quotes_inside_strings_are_refused() {
        let error = refused("{\"key\": \"v\"alue\"}");
        assert_eq!(
            error.to_string(),
            "a quote inside a string leaves where the string ends ambiguous at line 1 column 11"
        );
        assert!(refused("{'a': 'it's'}").message.contains("a quote inside a string"));
        assert!(refused("{\"k\"e\"y\": 1}").message.contains("a quote inside a string"));
    }

    #[test]
    fn mismatched_brackets_are_refused() {
        for text in ["{\"a\": [1, 2}", "[{\"a\": 1]", "[1, 2)", "{\"a\": (1, 2]}", "[{]"] {
            assert!(refused(text).message.contains("does not close"), "{text}");
        }
    }

    #[test]
    fn elided_items_are_refused() {
        assert!(refused("[1, 2, ...]").message.contains("ellipsis"));
        assert!(refused("{\"a\": [1, \u{2026}]}").message.contains("ellipsis"));
    }

    #[test]
    fn stray_separators_are_refused() {
        assert!(refused("[1,,2]").message.contains("comma with no item"));
        assert!(refused("{,\"a\": 1}").message.contains("comma with no member"));
        assert!(refused("[\"a\": 1]").message.contains("`:` inside an array"));
        assert!(refused("{\"a\": (1, 2").message.contains("unclosed parenthesis"));
        assert!(refused("{\"a\":: 1}").message.contains("expected a value"));
    }

    #[test]
    fn text_without_a_document_is_refused() {
        assert_eq!(refused("").message, "empty input: no JSON value");
        assert_eq!(refused(" \n\t").message, "empty input: no JSON value");
        for text in ["hello world", "True", "'quoted'", "NaN", "(see below)", "]", "}", "/"] {
            let error = refused(text);
            assert!(!error.message.is_empty(), "{text}");
        }
        assert_eq!(
            refused("hello world").to_string(),
            "no JSON object or array found at line 1 column 1"
        );
        // A scalar with a comment after it is still that scalar.
        assert_eq!(value("42 // the answer"), json!(42));
        assert_eq!(value("\"a\tb\""), json!("a\tb"));
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
        // The hard cap holds whatever the configured limit, and the deep part is not retried
        // as a document of its own.
        let unbounded = Limits {
            max_depth: usize::MAX,
            ..Limits::default()
        };
        let error = refused_with(&format!("{}1{}", "[".repeat(500), "]".repeat(500)), &unbounded);
        assert_eq!(
            error.message,
            format!("nesting deeper than the limit of {HARD_MAX_DEPTH} levels")
        );
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
        assert_eq!(record.path.to_string(), "[1]");
    }

    #[test]
    fn the_record_list_is_capped() {
        let text = format!("[{}]", vec!["True"; 500].join(", "));
        let repaired = repaired(&text);
        assert_eq!(repaired.value.as_array().map(Vec::len), Some(500));
        assert_eq!(repaired.repairs.len(), MAX_RECORDED_REPAIRS);
        // Leading records still come first when the list is full.
        let text = format!("Here: [{}]", vec!["True"; 500].join(", "));
        let repairs = repair(&text, &Limits::default()).map(|r| r.repairs).unwrap_or_default();
        assert_eq!(repairs.len(), MAX_RECORDED_REPAIRS);
        assert_eq!(repairs[0].kind, SurroundingText);
    }

    #[test]
    fn snippets_stay_short() {
        let long = "x".repeat(500);
        let text = format!("prose {long} {{'a': '{long}', \"b\": [{}", "[".repeat(60));
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
        ];
        let limits = Limits::default();
        for input in &inputs {
            let started = Instant::now();
            let _ = repair(input, &limits);
            assert!(started.elapsed() < Duration::from_secs(10), "{}...", &input[..20]);
        }
    }
}
