//! A text that is a Python literal means what Python reads: `{'chart': '{"nm": "BarChart"}'}` is
//! one key holding one string, however many double quotes and commas the string holds.
//!
//! This reader accepts exactly what `ast.literal_eval` reads as JSON-like data (dicts with string
//! keys, lists, tuples, strings, numbers, True, False, None) and reads it as Python does; anything
//! else (a set, bytes, a complex number, a name, a key given twice, a lone surrogate, an `inf`)
//! makes it give up and the lenient reader decide. It is linear: one pass, no look-ahead.

use serde_json::{Map, Number, Value};

use super::{wide_integer, WideIntegers};
use crate::limits::Limits;

/// The Python reading of `text`, when the whole text is a JSON-like Python literal.
pub(super) fn read(text: &str, limits: &Limits, wide: WideIntegers) -> Option<Value> {
    let mut reader = Reader {
        as_source: false,
        unreadable: None,
        after_sign: false,
        chars: characters_of(text),
        ascii: text.is_ascii().then_some(text),
        index: 0,
        depth: 0,
        limits,
        wide,
    };
    reader.skip()?;
    let value = reader.value()?;
    reader.skip()?;
    if reader.index != reader.chars.len() {
        return None;
    }
    limits.admits_at(&value, 1).then_some(value)
}

/// The characters of `text`, in a buffer of the right size from the start.
fn characters_of(text: &str) -> Vec<char> {
    if text.is_ascii() {
        text.bytes().map(char::from).collect()
    } else {
        let mut characters = Vec::with_capacity(text.len());
        characters.extend(text.chars());
        characters
    }
}

/// Whether `text` may be a Python literal at all, in one pass over its bytes: false only when
/// [`read`] would certainly give up (a name other than True, False or None, a character no
/// literal holds, a string left open, brackets that do not pair, or tokens in an order no literal
/// has: two values with no comma between, a comma or colon out of place, a member without its
/// colon or value). Most broken JSON fails here within its first `true`, `null`, unquoted word or
/// misplaced comma, so the lenient reader alone reads it.
pub(super) fn could_be_literal(text: &str) -> bool {
    let bytes = text.as_bytes();
    // The text's own value, then one entry per open bracket, kept on the stack: a text nested
    // deeper than that is left to the Python reading.
    let mut open = [Written {
        opener: 0,
        slot: Slot::Empty,
        after_colon: false,
    }; NESTING_CHECKED + 1];
    let mut depth = 0;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        let current = &mut open[depth];
        match byte {
            b' ' | b'\t' | b'\x0c' | b'\n' | b'\r' => index += 1,
            b'+' | b'-' => {
                if !current.take(Slot::Signed) {
                    return false;
                }
                index += 1;
            }
            b',' => {
                let item_done = matches!(current.slot, Slot::Strings | Slot::Scalar | Slot::Whole);
                let allowed = match current.opener {
                    b'[' | b'(' => item_done,
                    b'{' => item_done && current.after_colon,
                    _ => false,
                };
                if !allowed {
                    return false;
                }
                current.slot = Slot::Empty;
                current.after_colon = false;
                index += 1;
            }
            b':' => {
                // A key is a string, or a parenthesized one.
                let key_done = matches!(current.slot, Slot::Strings | Slot::Whole);
                if current.opener != b'{' || current.after_colon || !key_done {
                    return false;
                }
                current.slot = Slot::Empty;
                current.after_colon = true;
                index += 1;
            }
            b'{' | b'[' | b'(' => {
                let after_sign = current.slot == Slot::Signed && byte == b'(';
                if !after_sign && !current.take(Slot::Whole) {
                    return false;
                }
                current.slot = Slot::Whole;
                if depth == NESTING_CHECKED {
                    return true;
                }
                depth += 1;
                open[depth] = Written {
                    opener: byte,
                    slot: Slot::Empty,
                    after_colon: false,
                };
                index += 1;
            }
            b'}' | b']' | b')' => {
                let opener = match byte {
                    b'}' => b'{',
                    b']' => b'[',
                    _ => b'(',
                };
                let item_done = matches!(current.slot, Slot::Strings | Slot::Scalar | Slot::Whole);
                let closes = match opener {
                    // After `{`, a comma, or a whole member.
                    b'{' => (current.slot == Slot::Empty && !current.after_colon) || (item_done && current.after_colon),
                    _ => current.slot != Slot::Signed,
                };
                if current.opener != opener || !closes {
                    return false;
                }
                depth -= 1;
                index += 1;
            }
            b'#' => {
                while index < bytes.len() && bytes[index] != b'\n' && bytes[index] != b'\r' {
                    index += 1;
                }
            }
            // A line continuation.
            b'\\' if matches!(bytes.get(index + 1), Some(b'\n' | b'\r')) => index += 2,
            b'\'' | b'"' => {
                if !current.take(Slot::Strings) {
                    return false;
                }
                match string_end(bytes, index) {
                    Some(end) => index = end,
                    None => return false,
                }
            }
            b'0'..=b'9' | b'.' => {
                let end = number_end(bytes, index);
                if !bytes[index..end].iter().any(u8::is_ascii_digit) || !current.take(Slot::Scalar) {
                    return false;
                }
                index = end;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let start = index;
                while index < bytes.len() && (bytes[index].is_ascii_alphanumeric() || bytes[index] == b'_') {
                    index += 1;
                }
                let word = &bytes[start..index];
                let quote_follows = matches!(bytes.get(index), Some(b'\'' | b'"'));
                let string_prefix = quote_follows && matches!(word, b"r" | b"R" | b"u" | b"U");
                if string_prefix {
                    continue;
                }
                // A sign stands only before a number.
                let named = matches!(word, b"True" | b"False" | b"None") && current.slot != Slot::Signed;
                if !named || !current.take(Slot::Scalar) {
                    return false;
                }
            }
            // Anything else (`/`, `;`, a backtick, a curly quote, any other character beyond
            // ASCII) is in no literal outside a string.
            _ => return false,
        }
    }
    depth == 0 && matches!(open[0].slot, Slot::Strings | Slot::Scalar | Slot::Whole)
}

/// Brackets `could_be_literal` follows inside one another.
const NESTING_CHECKED: usize = 32;

/// What has been written of the value (an item, a key, a member's value) being read in one
/// bracket, or in the text itself.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Empty,
    /// Signs, waiting for their number.
    Signed,
    /// Strings side by side, which a further string joins.
    Strings,
    /// A number, True, False or None.
    Scalar,
    /// A bracketed value.
    Whole,
}

/// One open bracket (`opener` 0 for the text itself) and its slot.
#[derive(Clone, Copy)]
struct Written {
    opener: u8,
    slot: Slot,
    /// In a dict: the member's colon was read, and its value is being written.
    after_colon: bool,
}

impl Written {
    /// Whether a token of `kind` may stand in the slot, which it then holds: only signs before
    /// a number, only strings after a string, nothing after a whole value.
    fn take(&mut self, kind: Slot) -> bool {
        let fits = matches!(
            (self.slot, kind),
            (Slot::Empty, _) | (Slot::Signed, Slot::Signed | Slot::Scalar) | (Slot::Strings, Slot::Strings)
        );
        if fits {
            self.slot = kind;
        }
        fits
    }
}

/// Where the string whose quote is at `start` ends (past its closing quote), read as [`read`]
/// reads it: a backslash takes the next character with it, a line break ends a one-line string.
/// None when the text ends first or the line breaks.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let quote = bytes[start];
    let triple = bytes.get(start + 1) == Some(&quote) && bytes.get(start + 2) == Some(&quote);
    let mut index = start + if triple { 3 } else { 1 };
    while index < bytes.len() {
        // Straight to the next byte that matters: a string's text is most of a literal.
        let rest = &bytes[index..];
        let found = if triple {
            memchr::memchr2(quote, b'\\', rest)
        } else {
            memchr::memchr3(quote, b'\\', b'\n', rest)
        };
        let offset = found?;
        if !triple && memchr::memchr(b'\r', &rest[..offset]).is_some() {
            return None;
        }
        index += offset;
        match bytes[index] {
            b'\\' => {
                // `\` and a line break continue the string; `\r\n` counts as one break.
                let crlf = bytes.get(index + 1) == Some(&b'\r') && bytes.get(index + 2) == Some(&b'\n');
                index += if crlf { 3 } else { 2 };
            }
            b'\n' => return None,
            _ => {
                if !triple {
                    return Some(index + 1);
                }
                if bytes.get(index + 1) == Some(&quote) && bytes.get(index + 2) == Some(&quote) {
                    return Some(index + 3);
                }
                index += 1;
            }
        }
    }
    None
}

/// Where the number token at `start` ends, as [`Reader::number`] reads it.
fn number_end(bytes: &[u8], start: usize) -> usize {
    let prefixed =
        bytes[start] == b'0' && matches!(bytes.get(start + 1), Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B'));
    let mut index = start;
    while index < bytes.len() {
        let byte = bytes[index];
        let sign_of_exponent =
            matches!(byte, b'+' | b'-') && index > start && matches!(bytes[index - 1], b'e' | b'E') && !prefixed;
        if !(byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'.' || sign_of_exponent) {
            break;
        }
        index += 1;
    }
    index
}

/// Calls written as Python, `[get_weather(city="Paris", days=3), search(query="x")]` or one call
/// without the list: each call's name and its keyword arguments, every argument a literal read as
/// [`read`] reads literals (never evaluated). None unless the whole text is such calls: a
/// positional argument, a keyword given twice or a text cut off makes it no call. A keyword
/// argument that is not a literal is the one refusal named ([`UnreadableArgument`]): by then the
/// text is plainly calls, and reading it as none would lose them without a word.
pub fn read_calls(text: &str, limits: &Limits) -> Result<Option<Vec<PythonCall>>, UnreadableArgument> {
    let mut reader = Reader {
        as_source: true,
        unreadable: None,
        after_sign: false,
        chars: text.chars().collect(),
        ascii: None,
        index: 0,
        depth: 0,
        limits,
        wide: WideIntegers::Refuse,
    };
    let calls = reader.calls();
    match (calls, reader.unreadable) {
        (None, Some((call, keyword))) => Err(UnreadableArgument { call, keyword }),
        (calls, _) => Ok(calls),
    }
}

/// One call written as Python: its name and its keyword arguments.
pub type PythonCall = (String, Map<String, Value>);

/// Calls written as Python whose argument is not a literal JSON can carry (`x=bar`, `x={1, 2}`,
/// `x=b'..'`, `x=2**64`, `x=1e400`): the text is plainly calls, so the batch is refused by name
/// rather than read as no call at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnreadableArgument {
    pub call: String,
    pub keyword: String,
}

impl std::fmt::Display for UnreadableArgument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the call {}(...) gives {}= a value that is not a literal JSON can carry (a string, \
             number within 64 bits or finite, True, False, None, or a list, tuple or dict of \
             those with string keys)",
            self.call, self.keyword
        )
    }
}

/// Words Python reserves: never the name of a call or of a keyword argument.
const PYTHON_KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

struct Reader<'l> {
    /// Reading calls, whose text Python reads as source: an escape it does not know keeps its
    /// backslash (`'\d+'`), as `ast.literal_eval` reads it.
    as_source: bool,
    /// The call and keyword whose argument could not be read, once a call has got that far.
    unreadable: Option<(String, String)>,
    /// Reading the operand of a sign: another sign there (`-(-1)`) is an expression, not a literal.
    after_sign: bool,
    chars: Vec<char>,
    /// The text when it is ASCII: a character index is then a byte index, and a stretch of
    /// characters is copied as bytes.
    ascii: Option<&'l str>,
    index: usize,
    depth: usize,
    limits: &'l Limits,
    wide: WideIntegers,
}

impl Reader<'_> {
    fn cur(&self) -> Option<char> {
        self.chars.get(self.index).copied()
    }

    fn at(&self, index: usize) -> Option<char> {
        self.chars.get(index).copied()
    }

    /// Whitespace, comments and line continuations; a line break between tokens outside
    /// brackets ends the expression, so only the end of the text may follow one there.
    fn skip(&mut self) -> Option<()> {
        let mut broke_line = false;
        while let Some(character) = self.cur() {
            match character {
                ' ' | '\t' | '\u{c}' => self.index += 1,
                '\n' | '\r' => {
                    broke_line = true;
                    self.index += 1;
                }
                '#' => {
                    while self.cur().is_some_and(|c| c != '\n' && c != '\r') {
                        self.index += 1;
                    }
                }
                '\\' if matches!(self.at(self.index + 1), Some('\n' | '\r')) => self.index += 2,
                _ => break,
            }
        }
        if broke_line && self.depth == 0 && self.cur().is_some() && self.index > 0 {
            // Leading blank lines are fine; a break between two tokens is not.
            let only_space_before = self.chars[..self.index].iter().all(|c| c.is_whitespace());
            if !only_space_before {
                return None;
            }
        }
        Some(())
    }

    fn expect(&mut self, character: char) -> Option<()> {
        (self.cur() == Some(character)).then(|| self.index += 1)
    }

    fn value(&mut self) -> Option<Value> {
        match self.cur()? {
            '{' => self.nested(Self::dict),
            '[' => self.nested(Self::list),
            '(' => self.nested(Self::parenthesized),
            '-' | '+' if !self.after_sign => {
                let negative = self.cur() == Some('-');
                self.index += 1;
                self.skip()?;
                self.after_sign = true;
                let number = self.signed_operand();
                self.after_sign = false;
                let number = number?;
                Some(if negative { negate(number)? } else { number })
            }
            '0'..='9' | '.' => self.number(),
            c if c == '\'' || c == '"' || c.is_alphabetic() || c == '_' => {
                if let Some(text) = self.strings()? {
                    return Some(Value::String(text));
                }
                self.word()
            }
            _ => None,
        }
    }

    /// What a sign may stand before: a number, perhaps in parentheses.
    fn signed_operand(&mut self) -> Option<Value> {
        if self.cur() == Some('(') {
            let value = self.nested(Self::parenthesized)?;
            return value.is_number().then_some(value).or_else(|| {
                // `-(1,)` or `-('a')` is not a literal.
                None
            });
        }
        if matches!(self.cur(), Some('0'..='9' | '.')) {
            self.number()
        } else {
            None
        }
    }

    fn nested(&mut self, read: fn(&mut Self) -> Option<Value>) -> Option<Value> {
        if self.depth + 1 > self.limits.effective_depth() {
            return None;
        }
        self.depth += 1;
        self.index += 1;
        let value = read(self);
        self.depth -= 1;
        value
    }

    fn dict(&mut self) -> Option<Value> {
        let mut map = Map::new();
        loop {
            self.skip()?;
            if self.expect('}').is_some() {
                return Some(Value::Object(map));
            }
            let Value::String(key) = self.value()? else {
                return None;
            };
            self.skip()?;
            self.expect(':')?;
            self.skip()?;
            let item = self.value()?;
            // Python keeps the last of a key given twice; the lenient reader has a rule for that.
            if map.insert(key, item).is_some() {
                return None;
            }
            self.skip()?;
            if self.expect(',').is_none() {
                self.skip()?;
                self.expect('}')?;
                return Some(Value::Object(map));
            }
        }
    }

    fn list(&mut self) -> Option<Value> {
        self.items(']').map(|(items, _)| Value::Array(items))
    }

    fn parenthesized(&mut self) -> Option<Value> {
        let (mut items, tuple) = self.items(')')?;
        if tuple || items.is_empty() {
            Some(Value::Array(items))
        } else {
            items.pop()
        }
    }

    /// Items up to `closing`, and whether a comma was met (`(1,)` is a tuple, `(1)` is not).
    fn items(&mut self, closing: char) -> Option<(Vec<Value>, bool)> {
        let mut items = Vec::new();
        let mut comma = false;
        loop {
            self.skip()?;
            if self.expect(closing).is_some() {
                return Some((items, comma));
            }
            items.push(self.value()?);
            self.skip()?;
            if self.expect(',').is_some() {
                comma = true;
            } else {
                self.skip()?;
                self.expect(closing)?;
                return Some((items, comma));
            }
        }
    }

    /// `name(key=literal, ...)`, the name perhaps dotted (`functions.get_weather`).
    /// `[call, ...]` or one call, and nothing else.
    fn calls(&mut self) -> Option<Vec<PythonCall>> {
        self.skip()?;
        let listed = self.expect('[').is_some();
        self.depth += usize::from(listed);
        let mut calls = Vec::new();
        loop {
            self.skip()?;
            if listed && self.expect(']').is_some() {
                break;
            }
            calls.push(self.call()?);
            self.skip()?;
            if !listed {
                break;
            }
            if self.expect(',').is_none() {
                self.skip()?;
                self.expect(']')?;
                break;
            }
        }
        self.depth -= usize::from(listed);
        self.skip()?;
        (self.index == self.chars.len() && !calls.is_empty()).then_some(calls)
    }

    fn call(&mut self) -> Option<PythonCall> {
        let mut name = self.name()?;
        while self.cur() == Some('.') {
            self.index += 1;
            name.push('.');
            name.push_str(&self.name()?);
        }
        self.skip()?;
        self.expect('(')?;
        self.depth += 1;
        let mut arguments = Map::new();
        loop {
            self.skip()?;
            if self.expect(')').is_some() {
                break;
            }
            let key = self.name()?;
            self.skip()?;
            self.expect('=')?;
            self.skip()?;
            // From here the text is plainly a call: an argument that does not read as a literal
            // ending at `,` or `)` is named, not taken for prose.
            let Some((value, last)) = self.argument() else {
                // A text that stops inside the argument was cut, which is another matter.
                if self.index < self.chars.len() {
                    self.unreadable = Some((name, key));
                }
                return None;
            };
            // Python refuses a keyword given twice.
            if arguments.insert(key, value).is_some() {
                return None;
            }
            if last {
                break;
            }
        }
        self.depth -= 1;
        let arguments = Value::Object(arguments);
        if !self.limits.admits_at(&arguments, 1) {
            return None;
        }
        let Value::Object(arguments) = arguments else {
            return None;
        };
        Some((name, arguments))
    }

    /// A keyword argument's value and what follows it: whether it was the last (`)`) or more
    /// follow (`,`).
    fn argument(&mut self) -> Option<(Value, bool)> {
        let value = self.value()?;
        self.skip()?;
        if self.expect(',').is_some() {
            return Some((value, false));
        }
        self.skip()?;
        self.expect(')')?;
        Some((value, true))
    }

    /// An identifier that is not one of Python's reserved words.
    fn name(&mut self) -> Option<String> {
        let name = self.identifier()?;
        (!PYTHON_KEYWORDS.contains(&name.as_str())).then_some(name)
    }

    fn identifier(&mut self) -> Option<String> {
        let start = self.index;
        if !self.cur().is_some_and(|c| c.is_alphabetic() || c == '_') {
            return None;
        }
        while self.cur().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            self.index += 1;
        }
        Some(self.chars[start..self.index].iter().collect())
    }

    fn word(&mut self) -> Option<Value> {
        let start = self.index;
        while self.cur().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            self.index += 1;
        }
        match self.chars[start..self.index] {
            ['T', 'r', 'u', 'e'] => Some(Value::Bool(true)),
            ['F', 'a', 'l', 's', 'e'] => Some(Value::Bool(false)),
            ['N', 'o', 'n', 'e'] => Some(Value::Null),
            _ => None,
        }
    }

    /// One string literal or several written side by side (`'a' "b"`), or None when no string
    /// starts here (a word). The outer None gives up.
    fn strings(&mut self) -> Option<Option<String>> {
        let mut joined: Option<String> = None;
        loop {
            let start = self.index;
            let mut raw = false;
            let mut prefix_end = self.index;
            while let Some(c) = self.at(prefix_end) {
                match c {
                    'r' | 'R' if !raw => raw = true,
                    'u' | 'U' if prefix_end == self.index => {}
                    _ => break,
                }
                prefix_end += 1;
            }
            if !matches!(self.at(prefix_end), Some('\'' | '"'))
                || (raw && prefix_end - start > 1 && self.at(start).is_some_and(|c| matches!(c, 'u' | 'U')))
            {
                if joined.is_some() {
                    // `'a' b`: a string followed by a name is not a literal.
                    return None;
                }
                return Some(None);
            }
            self.index = prefix_end;
            let text = self.string(raw)?;
            match &mut joined {
                Some(joined) => joined.push_str(&text),
                None => joined = Some(text),
            }
            let before = self.index;
            self.skip()?;
            let next = self.cur();
            let starts_string = matches!(next, Some('\'' | '"'))
                || (matches!(next, Some('r' | 'R' | 'u' | 'U'))
                    && matches!(self.at(self.index + 1), Some('\'' | '"' | 'r' | 'R')));
            if !starts_string {
                self.index = before;
                return Some(joined);
            }
        }
    }

    fn string(&mut self, raw: bool) -> Option<String> {
        let quote = self.cur()?;
        let triple = self.at(self.index + 1) == Some(quote) && self.at(self.index + 2) == Some(quote);
        self.index += if triple { 3 } else { 1 };
        let mut text = String::new();
        loop {
            let character = self.cur()?;
            if character == quote {
                if !triple {
                    self.index += 1;
                    return Some(text);
                }
                if self.at(self.index + 1) == Some(quote) && self.at(self.index + 2) == Some(quote) {
                    self.index += 3;
                    return Some(text);
                }
            }
            if (character == '\n' || character == '\r') && !triple {
                return None;
            }
            if character == '\r' {
                // Python reads source with universal newlines: `\r\n` and a lone `\r` are `\n`.
                text.push('\n');
                self.index += 1;
                if self.cur() == Some('\n') {
                    self.index += 1;
                }
                continue;
            }
            if character != '\\' {
                // The stretch up to the next quote, backslash or line break goes in at once.
                let rest = &self.chars[self.index..];
                let plain = rest
                    .iter()
                    .position(|&c| c == quote || c == '\\' || c == '\n' || c == '\r')
                    .unwrap_or(rest.len())
                    .max(1);
                match self.ascii {
                    Some(ascii) => text.push_str(&ascii[self.index..self.index + plain]),
                    None => text.extend(&rest[..plain]),
                }
                self.index += plain;
                continue;
            }
            let escaped = self.at(self.index + 1)?;
            if raw {
                // A raw string keeps the backslash, which still stops the quote closing it.
                text.push('\\');
                text.push(escaped);
                self.index += 2;
                continue;
            }
            self.index += 2;
            match escaped {
                '\n' => {}
                '\r' => {
                    if self.cur() == Some('\n') {
                        self.index += 1;
                    }
                }
                '\\' | '\'' | '"' => text.push(escaped),
                'a' => text.push('\u{7}'),
                'b' => text.push('\u{8}'),
                'f' => text.push('\u{c}'),
                'n' => text.push('\n'),
                'r' => text.push('\r'),
                't' => text.push('\t'),
                'v' => text.push('\u{b}'),
                '0'..='7' => {
                    let mut code = escaped.to_digit(8)?;
                    for _ in 0..2 {
                        match self.cur().and_then(|c| c.to_digit(8)) {
                            Some(digit) => {
                                code = code * 8 + digit;
                                self.index += 1;
                            }
                            None => break,
                        }
                    }
                    text.push(char::from_u32(code)?);
                }
                'x' => text.push(char::from_u32(self.hex(2)?)?),
                'u' | 'U' => {
                    let code = self.hex(if escaped == 'u' { 4 } else { 8 })?;
                    text.push(self.code_point(code)?);
                }
                // JSON's escaped slash, which no Python repr writes (Python source keeps it).
                '/' if !self.as_source => text.push('/'),
                // A character by its Unicode name: no table of names here, so no reading.
                'N' => return None,
                // Python keeps the backslash of an escape it does not know. In calls, which
                // Python reads as source, that is the reading; in a literal sent as arguments the
                // lenient reader has its own rule for those, and neither reading is sure.
                unknown if self.as_source => {
                    text.push('\\');
                    text.push(unknown);
                }
                _ => return None,
            }
        }
    }

    /// A code point from `\u`/`\U`; a high surrogate joins the low one escaped right after it
    /// (what the text means; a Python `str` would hold the two halves).
    fn code_point(&mut self, code: u32) -> Option<char> {
        if (0xD800..0xDC00).contains(&code) && self.cur() == Some('\\') && self.at(self.index + 1) == Some('u') {
            self.index += 2;
            let low = self.hex(4)?;
            if !(0xDC00..0xE000).contains(&low) {
                return None;
            }
            return char::from_u32(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00));
        }
        char::from_u32(code)
    }

    fn hex(&mut self, digits: usize) -> Option<u32> {
        let mut code = 0u32;
        for _ in 0..digits {
            code = code.checked_mul(16)? + self.cur()?.to_digit(16)?;
            self.index += 1;
        }
        Some(code)
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.index;
        while self.cur().is_some_and(|c| {
            c.is_ascii_alphanumeric()
                || c == '_'
                || c == '.'
                || ((c == '+' || c == '-')
                    && matches!(self.at(self.index - 1), Some('e' | 'E'))
                    && !self.is_prefixed(start))
        }) {
            self.index += 1;
        }
        let token = &self.chars[start..self.index];
        // Most numbers are plain decimal integers that fit 64 bits: read without a copy.
        if token.len() <= 19 && token.iter().all(char::is_ascii_digit) && (token.len() == 1 || token[0] != '0') {
            let value = token
                .iter()
                .fold(0u64, |value, digit| value * 10 + u64::from(*digit as u8 - b'0'));
            return Some(Value::Number(Number::from(value)));
        }
        let written: String = token.iter().collect();
        python_number(&written, self.wide)
    }

    fn is_prefixed(&self, start: usize) -> bool {
        self.at(start) == Some('0') && matches!(self.at(start + 1), Some('x' | 'X' | 'o' | 'O' | 'b' | 'B'))
    }
}

/// A Python number token as JSON: decimal, hexadecimal, octal and binary integers, floats;
/// None for anything else (a complex number, a bad literal, a float past the range).
fn python_number(written: &str, wide: WideIntegers) -> Option<Value> {
    let has_underscores_right =
        |digits: &str| !digits.starts_with('_') && !digits.ends_with('_') && !digits.contains("__");
    let lower = written.to_ascii_lowercase();
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = lower.strip_prefix(prefix) {
            let digits = digits.strip_prefix('_').unwrap_or(digits);
            if digits.is_empty() || !has_underscores_right(digits) {
                return None;
            }
            let clean: String = digits.chars().filter(|&c| c != '_').collect();
            return match u64::from_str_radix(&clean, radix) {
                Ok(value) => Some(Value::Number(Number::from(value))),
                Err(_) if clean.chars().all(|c| c.is_digit(radix)) && wide == WideIntegers::Carry => {
                    Some(wide_integer::carry(&decimal_of(&clean, radix)))
                }
                Err(_) => None,
            };
        }
    }
    // Python's grammar puts an underscore only between two digits: not next to a point, an
    // exponent's `e` or its sign (`1_.5`, `1e_5`, `1e-_5`).
    let bytes = written.as_bytes();
    let between_digits =
        |at: usize| at > 0 && bytes[at - 1].is_ascii_digit() && bytes.get(at + 1).is_some_and(u8::is_ascii_digit);
    if !bytes
        .iter()
        .enumerate()
        .all(|(at, &byte)| byte != b'_' || between_digits(at))
    {
        return None;
    }
    let clean: String = lower.chars().filter(|&c| c != '_').collect();
    if clean.chars().all(|c| c.is_ascii_digit()) {
        // `01` is not a Python literal; `00` is.
        if clean.len() > 1 && clean.starts_with('0') && !clean.bytes().all(|b| b == b'0') {
            return None;
        }
        let trimmed = clean.trim_start_matches('0');
        let digits = if trimmed.is_empty() { "0" } else { trimmed };
        return match digits.parse::<u64>() {
            Ok(value) => Some(Value::Number(Number::from(value))),
            Err(_) if wide == WideIntegers::Carry => Some(wide_integer::carry(digits)),
            Err(_) => None,
        };
    }
    let (mantissa, exponent) = match clean.split_once('e') {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (clean.as_str(), None),
    };
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if !digits(integer) || !digits(fraction) || (integer.is_empty() && fraction.is_empty()) {
        return None;
    }
    if !mantissa.contains('.') && exponent.is_none() {
        return None;
    }
    if let Some(exponent) = exponent {
        let unsigned = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if unsigned.is_empty() || !digits(unsigned) {
            return None;
        }
    }
    let normalized = format!(
        "{}.{}{}",
        if integer.is_empty() { "0" } else { integer },
        if fraction.is_empty() { "0" } else { fraction },
        exponent.map(|e| format!("e{e}")).unwrap_or_default()
    );
    let float = normalized.parse::<f64>().ok()?;
    Number::from_f64(float).map(Value::Number)
}

/// The decimal digits of an integer written in base `radix`, of any size.
fn decimal_of(digits: &str, radix: u32) -> String {
    // Little-endian base 10^9 limbs.
    let mut limbs: Vec<u64> = vec![0];
    for c in digits.chars() {
        let mut carry = u64::from(c.to_digit(radix).unwrap_or(0));
        for limb in &mut limbs {
            let total = *limb * u64::from(radix) + carry;
            *limb = total % 1_000_000_000;
            carry = total / 1_000_000_000;
        }
        while carry > 0 {
            limbs.push(carry % 1_000_000_000);
            carry /= 1_000_000_000;
        }
    }
    let mut text = limbs.last().copied().unwrap_or(0).to_string();
    for limb in limbs.iter().rev().skip(1) {
        text.push_str(&format!("{limb:09}"));
    }
    text
}

fn negate(number: Value) -> Option<Value> {
    match number {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                if u == 0 {
                    return Some(Value::Number(Number::from(0)));
                }
                if u <= i64::MAX as u64 + 1 {
                    return Some(Value::Number(Number::from((u as i64).wrapping_neg())));
                }
                return Some(wide_integer::carry(&format!("-{u}")));
            }
            Number::from_f64(-n.as_f64()?).map(Value::Number)
        }
        Value::String(text) => {
            let digits = wide_integer::carried(&text)?;
            Some(match digits.strip_prefix('-') {
                Some(positive) => wide_integer::carry(positive),
                None => wide_integer::carry(&format!("-{digits}")),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn python(text: &str) -> Option<Value> {
        read(text, &Limits::default(), WideIntegers::Refuse)
    }

    #[test]
    fn reads_what_literal_eval_reads() {
        assert_eq!(
            python(r#"{"arguments": {"chart": '{"nm": "BarChart", "mn": "chartModule"}'}}"#),
            Some(json!({"arguments": {"chart": "{\"nm\": \"BarChart\", \"mn\": \"chartModule\"}"}}))
        );
        assert_eq!(
            python("{'a': (1, 2.5, -3), 'b': [True, None,],}"),
            Some(json!({"a": [1, 2.5, -3], "b": [true, null]}))
        );
        assert_eq!(python("('x')"), Some(json!("x")));
        assert_eq!(python("()"), Some(json!([])));
        assert_eq!(python("'a' \"b\""), Some(json!("ab")));
        assert_eq!(python(r"'\x41\101\u00e9\/'"), Some(json!("AA\u{e9}/")));
        assert_eq!(python(r"r'\n'"), Some(json!("\\n")));
        assert_eq!(python("'''a\nb'''"), Some(json!("a\nb")));
        assert_eq!(
            python("[0x10, 1_000, 1e+3, .5, 5.]"),
            Some(json!([16, 1000, 1000.0, 0.5, 5.0]))
        );
        assert_eq!(
            python("-0.0").map(|v| v.as_f64().unwrap().is_sign_negative()),
            Some(true)
        );
        assert_eq!(python("{'a': 1}  # done\n"), Some(json!({"a": 1})));
    }

    #[test]
    fn underscores_in_numbers_are_read_where_python_reads_them() {
        // Each as `ast.literal_eval` reads it: an underscore only between two digits, or right
        // after the base of a prefixed integer.
        let read_by_python = [
            ("1_000", json!(1000)),
            ("1e1_0", json!(1e10)),
            ("0x_1", json!(1)),
            ("0x_f_f", json!(255)),
            ("0b_1", json!(1)),
            ("0o1_7", json!(15)),
            ("1.5_0", json!(1.5)),
            ("1_0.5", json!(10.5)),
            (".5_0", json!(0.5)),
            ("1.5E-1_0", json!(1.5e-10)),
            ("0_0", json!(0)),
            ("0_0.5", json!(0.5)),
            ("1_0_0_0.0_0_1e-1_0", json!(1.000001e-7)),
        ];
        for (literal, expected) in read_by_python {
            assert_eq!(python(&format!("[{literal}]")), Some(json!([expected])), "{literal}");
            let call = read_calls(&format!("f(x={literal})"), &Limits::default());
            assert_eq!(call.unwrap().unwrap()[0].1["x"], expected, "{literal}");
        }
        let refused_by_python = [
            "1_", "1__0", "1e_5", "1e-_5", "1e+_5", "1_.5", "1._5", "1_e5", "1e1__0", "1.0_", "1e5_", "1__.5", "1.__5",
            "1.e_5", "1._e5", "0_1", "0__0", "0x1__2", "0x1_", "0x_",
        ];
        for literal in refused_by_python {
            assert_eq!(python(&format!("[{literal}]")), None, "{literal}");
            let refused = read_calls(&format!("f(x={literal})"), &Limits::default()).unwrap_err();
            assert_eq!(refused.keyword, "x", "{literal}");
        }
    }

    #[test]
    fn gives_up_on_what_is_not_json_like_data() {
        for text in [
            "{1: 2}",
            "{'a', 'b'}",
            "b'x'",
            "1j",
            "{'a': 1, 'a': 1}",
            "[1 2]",
            "01",
            "1e400",
            "true",
            "[x]",
            "'a'\n'b'",
            "--1",
            "-'a'",
            "'\\ud800'",
            "'\\d'",
            "{'a': 1}}",
            "'open",
            "123456789012345678901234567890",
        ] {
            assert_eq!(python(text), None, "{text}");
        }
    }

    #[test]
    fn reads_calls_written_as_python() {
        let calls = read_calls(
            r#"[get_weather(city="Paris", days=3), search(query='x', tags=["a", "b"], exact=True)]"#,
            &Limits::default(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].0, "get_weather");
        assert_eq!(Value::Object(calls[0].1.clone()), json!({"city": "Paris", "days": 3}));
        assert_eq!(calls[1].0, "search");
        assert_eq!(
            Value::Object(calls[1].1.clone()),
            json!({"query": "x", "tags": ["a", "b"], "exact": true})
        );
        let one = read_calls("functions.lookup(id=-7)\n", &Limits::default())
            .unwrap()
            .unwrap();
        assert_eq!(one[0].0, "functions.lookup");
        assert_eq!(Value::Object(one[0].1.clone()), json!({"id": -7}));
        assert_eq!(
            read_calls("[ping()]", &Limits::default()).unwrap().unwrap()[0].1.len(),
            0
        );
        let text = "[f(pattern='\\d+', path='a\\/b', text='''a\r\nb\rc''')]";
        let source = read_calls(text, &Limits::default()).unwrap().unwrap();
        assert_eq!(
            Value::Object(source[0].1.clone()),
            json!({"pattern": "\\d+", "path": "a\\/b", "text": "a\nb\nc"})
        );
    }

    #[test]
    fn evaluates_nothing_and_guesses_nothing() {
        for text in [
            r#"get_weather("Paris")"#,
            "get_weather(city='a', city='b')",
            "class(x=1)",
            "f(class=1)",
            "f(True=1)",
            "get_weather(city='a'",
            "[get_weather(city='a') search(query='b')]",
            "[]",
            "The weather in Paris (France) is mild.",
            r#"{"name": "get_weather"}"#,
        ] {
            assert_eq!(read_calls(text, &Limits::default()), Ok(None), "{text}");
        }
    }

    #[test]
    fn names_the_argument_of_a_plain_call_that_is_no_literal() {
        for (text, keyword) in [
            ("get_weather(city=city_name)", "city"),
            ("get_weather(city=__import__('os').system('x'))", "city"),
            ("get_weather(city='a' + 'b')", "city"),
            ("[ok(a=1), get_weather(days=1, city={'Paris'})]", "city"),
            ("get_weather(city=b'Paris')", "city"),
            ("get_weather(n=18446744073709551616)", "n"),
            ("get_weather(n=2e308)", "n"),
            ("get_weather(n=-(-1))", "n"),
            ("get_weather(n=1j)", "n"),
            ("get_weather(d={1: 'a'})", "d"),
            ("get_weather(s='\\N{BULLET}')", "s"),
        ] {
            let refused = read_calls(text, &Limits::default()).unwrap_err();
            assert_eq!(refused.keyword, keyword, "{text}");
            assert!(refused.to_string().contains(&format!("gives {keyword}=")), "{text}");
        }
    }

    #[test]
    fn rules_out_only_what_the_python_reading_refuses() {
        for text in [
            "{'a': 1}",
            r#"{"a": [1, 2,],}"#,
            "(1, 'x')",
            r"r'\d'",
            "{'a': '''x\ny'''}",
            "{'a': 1}  # done\n",
            "[0x10, 1_000, 1e+3, .5, 5.]",
            "'a\\\r\nb'",
            "{'a': 'b' 'c', \"d\": -(1), 'e': (), 'f': [1,], ('g'): -1.5e-3, 'h': {'i': None}}",
        ] {
            assert!(could_be_literal(text), "{text}");
            assert!(python(text).is_some(), "{text}");
        }
        for text in [
            r#"{"a": true}"#,
            r#"{"a": null}"#,
            "{a: 1}",
            r#"{"a": 1} // note"#,
            r#"{"a": 1"#,
            r#"{"a": 1}}"#,
            "'open",
            "'a\nb'",
            "```json\n{}\n```",
            "\u{201c}a\u{201d}",
            "[1 / 2]",
            "{'a': x}",
            "[]{}",
            r#"{"a": 1}, {"b": 2}"#,
            "[1, 2, ...]",
            r#"["a": "b"]"#,
            "{'a', 'b'}",
            r#"{"a": , "b": 1}"#,
            r#"{"a" "b"}"#,
            r#"{"a"}"#,
            r#"{"a": 1, 5: 2}"#,
            r#"{"a": 10-20}"#,
            "[1 'a']",
            "['a' 1]",
            "[-'a']",
            "[-True]",
            "-[1]",
            "[1,, 2]",
            "[,]",
            "1, 2",
        ] {
            assert!(!could_be_literal(text), "{text}");
            assert_eq!(python(text), None, "{text}");
        }
    }

    #[test]
    fn wide_integers_are_carried_when_asked() {
        let value = read(
            "[123456789012345678901234567890, -0x1_0000_0000_0000_0000]",
            &Limits::default(),
            WideIntegers::Carry,
        )
        .unwrap();
        let digits: Vec<&str> = value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| wide_integer::carried(v.as_str().unwrap()).unwrap())
            .collect();
        assert_eq!(digits, ["123456789012345678901234567890", "-18446744073709551616"]);
    }
}
