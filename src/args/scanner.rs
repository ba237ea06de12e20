//! A pull reader of plain JSON for the fast path.
//!
//! The fast path may give up on anything (the full road then decides), so this reader only has to
//! be exact on what it accepts, and cheap on the short documents tool arguments are. It accepts
//! strict RFC 8259 JSON and gives up (`None`) on everything else: invalid text, integers beyond
//! 64 bits, numbers that overflow a float, lone surrogates.

/// What the next value is, from its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    Null,
    True,
    False,
    String,
    Number,
    Array,
    Object,
}

/// Where a decoded string is: in the text, or (when it had escapes) in the scratch buffer.
#[derive(Clone, Copy, Debug)]
enum Span {
    Text(usize, usize),
    Scratch,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

pub struct Scanner<'t> {
    text: &'t str,
    bytes: &'t [u8],
    index: usize,
    /// Decoded strings that had escapes; plain strings are borrowed from the text.
    scratch: String,
}

impl<'t> Scanner<'t> {
    pub fn new(text: &'t str) -> Self {
        Scanner {
            text,
            bytes: text.as_bytes(),
            index: 0,
            scratch: String::new(),
        }
    }

    #[inline]
    fn skip_whitespace(&mut self) {
        // Counted in a local, so that the loop keeps it in a register.
        let mut index = self.index;
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(index) {
            index += 1;
        }
        self.index = index;
    }

    /// The kind of the next value, after whitespace.
    #[inline]
    pub fn peek(&mut self) -> Option<Next> {
        self.skip_whitespace();
        Some(match *self.bytes.get(self.index)? {
            b'"' => Next::String,
            b'{' => Next::Object,
            b'[' => Next::Array,
            b'-' | b'0'..=b'9' => Next::Number,
            b't' => Next::True,
            b'f' => Next::False,
            b'n' => Next::Null,
            _ => return None,
        })
    }

    #[inline]
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.index + word.len();
        if self.bytes.get(self.index..end)? == word {
            self.index = end;
            Some(())
        } else {
            None
        }
    }

    pub fn null(&mut self) -> Option<()> {
        self.literal(b"null")
    }

    pub fn boolean(&mut self, next: Next) -> Option<bool> {
        match next {
            Next::True => self.literal(b"true").map(|()| true),
            Next::False => self.literal(b"false").map(|()| false),
            _ => None,
        }
    }

    /// The string at the cursor (which is on its opening quote), decoded.
    #[inline]
    pub fn string(&mut self) -> Option<&str> {
        let span = self.string_span()?;
        Some(self.resolve(span))
    }

    #[inline]
    fn resolve(&self, span: Span) -> &str {
        match span {
            // Both ends sit on ASCII bytes (quotes), so the slice is on character boundaries.
            Span::Text(start, end) => &self.text[start..end],
            Span::Scratch => &self.scratch,
        }
    }

    #[inline]
    fn string_span(&mut self) -> Option<Span> {
        let start = self.index + 1;
        let mut index = start;
        // Eight bytes at a time while none ends the plain run, then straight to the first byte
        // that may (the loop below decides what it is).
        while let Some(chunk) = self.bytes.get(index..index + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let ends = plain_run_ends(u64::from_le_bytes(word));
            if ends != 0 {
                index += (ends.trailing_zeros() / 8) as usize;
                break;
            }
            index += 8;
        }
        loop {
            match *self.bytes.get(index)? {
                b'"' => {
                    self.index = index + 1;
                    return Some(Span::Text(start, index));
                }
                b'\\' => return self.escaped_string(start, index),
                0x00..=0x1f => return None,
                _ => index += 1,
            }
        }
    }

    #[cold]
    fn escaped_string(&mut self, start: usize, first_escape: usize) -> Option<Span> {
        self.scratch.clear();
        self.scratch.push_str(self.text.get(start..first_escape)?);
        let mut index = first_escape;
        loop {
            match *self.bytes.get(index)? {
                b'"' => {
                    self.index = index + 1;
                    return Some(Span::Scratch);
                }
                b'\\' => {
                    let decoded = match *self.bytes.get(index + 1)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let (character, consumed) = self.unicode_escape(index)?;
                            self.scratch.push(character);
                            index += consumed;
                            continue;
                        }
                        _ => return None,
                    };
                    self.scratch.push(decoded);
                    index += 2;
                }
                0x00..=0x1f => return None,
                _ => {
                    // Copy the run up to the next quote, backslash or control byte in one piece.
                    let run_end = self.bytes[index..]
                        .iter()
                        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                        .map_or(self.bytes.len(), |offset| index + offset);
                    self.scratch.push_str(self.text.get(index..run_end)?);
                    index = run_end;
                }
            }
        }
    }

    /// `\uXXXX`, or a surrogate pair `\uD83D\uDE00`; lone surrogates are refused.
    fn unicode_escape(&self, index: usize) -> Option<(char, usize)> {
        let unit = |at: usize| -> Option<u32> {
            let hex = self.bytes.get(at..at + 4)?;
            hex.iter()
                .try_fold(0u32, |acc, &digit| Some(acc * 16 + char::from(digit).to_digit(16)?))
        };
        let first = unit(index + 2)?;
        if (0xD800..0xDC00).contains(&first) {
            if self.bytes.get(index + 6..index + 8)? != b"\\u" {
                return None;
            }
            let second = unit(index + 8)?;
            if !(0xDC00..0xE000).contains(&second) {
                return None;
            }
            let combined = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            return char::from_u32(combined).map(|c| (c, 12));
        }
        char::from_u32(first).map(|c| (c, 6))
    }

    /// The number at the cursor: an integer when written without fraction or exponent.
    #[inline]
    pub fn number(&mut self) -> Option<Number> {
        let start = self.index;
        let bytes = self.bytes;
        let mut index = start;
        let negative = bytes.get(index) == Some(&b'-');
        if negative {
            index += 1;
        }
        let digits_start = index;
        // The integer's value is gathered as its digits are passed (wrapping: more than 19
        // digits are refused below before it is used).
        let mut magnitude: u64 = 0;
        match bytes.get(index) {
            Some(b'0') => index += 1,
            Some(b'1'..=b'9') => {
                while let Some(&digit @ b'0'..=b'9') = bytes.get(index) {
                    magnitude = magnitude.wrapping_mul(10).wrapping_add(u64::from(digit - b'0'));
                    index += 1;
                }
            }
            _ => return None,
        }
        let integer_end = index;
        let mut is_float = false;
        if bytes.get(index) == Some(&b'.') {
            index += 1;
            let fraction_start = index;
            while let Some(b'0'..=b'9') = bytes.get(index) {
                index += 1;
            }
            if index == fraction_start {
                return None;
            }
            is_float = true;
        }
        if let Some(b'e' | b'E') = bytes.get(index) {
            index += 1;
            if let Some(b'+' | b'-') = bytes.get(index) {
                index += 1;
            }
            let exponent_start = index;
            while let Some(b'0'..=b'9') = bytes.get(index) {
                index += 1;
            }
            if index == exponent_start {
                return None;
            }
            is_float = true;
        }
        self.index = index;
        if is_float {
            let value: f64 = self.text[start..index].parse().ok()?;
            return value.is_finite().then_some(Number::Float(value));
        }
        // At most 19 digits always fit in a u64; longer ones are left to the full road.
        if integer_end - digits_start > 19 {
            return None;
        }
        if negative {
            if magnitude <= i64::MAX as u64 + 1 {
                Some(Number::Int((magnitude as i64).wrapping_neg()))
            } else {
                None
            }
        } else {
            i64::try_from(magnitude).ok().map(Number::Int)
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_whitespace();
        if self.bytes.get(self.index) == Some(&byte) {
            self.index += 1;
            Some(())
        } else {
            None
        }
    }

    /// Enter the object at the cursor; its first key, or `None` inside when it is empty.
    pub fn object_first(&mut self) -> Option<Option<&str>> {
        if self.object_open()? {
            self.key().map(Some)
        } else {
            Some(None)
        }
    }

    /// The next key of the current object, or `None` inside at its end.
    pub fn object_next(&mut self) -> Option<Option<&str>> {
        if self.object_more()? {
            self.key().map(Some)
        } else {
            Some(None)
        }
    }

    /// Enter the object at the cursor: `true` when a key follows (the cursor is then on its
    /// opening quote, for `key` or `key_ahead`), `false` past its end when it is empty.
    #[inline]
    pub fn object_open(&mut self) -> Option<bool> {
        self.expect(b'{')?;
        self.skip_whitespace();
        match *self.bytes.get(self.index)? {
            b'}' => {
                self.index += 1;
                Some(false)
            }
            b'"' => Some(true),
            _ => None,
        }
    }

    /// After a member's value: `true` when another key follows (the cursor is then on its
    /// opening quote), `false` past the object's end.
    #[inline]
    pub fn object_more(&mut self) -> Option<bool> {
        self.skip_whitespace();
        match *self.bytes.get(self.index)? {
            b'}' => {
                self.index += 1;
                Some(false)
            }
            b',' => {
                self.index += 1;
                self.skip_whitespace();
                (self.bytes.get(self.index) == Some(&b'"')).then_some(true)
            }
            _ => None,
        }
    }

    /// The text after the opening quote of the key at the cursor (which is on that quote), for
    /// recognising a key by its bytes before decoding it (see `pass_key`).
    #[inline]
    pub fn key_ahead(&self) -> &'t [u8] {
        self.bytes.get(self.index + 1..).unwrap_or_default()
    }

    /// Pass over a key that `key_ahead` showed to be `length` bytes without escapes followed by
    /// its closing quote, and over its colon; the cursor is left before the value.
    #[inline]
    pub fn pass_key(&mut self, length: usize) -> Option<()> {
        self.index += length + 2;
        self.expect(b':')
    }

    /// A key and its colon; the cursor is left before the value.
    pub fn key(&mut self) -> Option<&str> {
        let span = self.string_span()?;
        self.expect(b':')?;
        Some(self.resolve(span))
    }

    /// Enter the array at the cursor; what its first item is, or `None` inside when it is empty.
    pub fn array_first(&mut self) -> Option<Option<Next>> {
        self.expect(b'[')?;
        self.skip_whitespace();
        if self.bytes.get(self.index) == Some(&b']') {
            self.index += 1;
            return Some(None);
        }
        self.peek().map(Some)
    }

    /// What the next item of the current array is, or `None` inside at its end.
    pub fn array_next(&mut self) -> Option<Option<Next>> {
        self.skip_whitespace();
        match *self.bytes.get(self.index)? {
            b']' => {
                self.index += 1;
                Some(None)
            }
            b',' => {
                self.index += 1;
                self.peek().map(Some)
            }
            _ => None,
        }
    }

    /// Where the cursor is, for `rewind`.
    #[inline]
    pub fn position(&self) -> usize {
        self.index
    }

    /// Back to a place `position` returned, to read the same value again under another schema.
    #[inline]
    pub fn rewind(&mut self, position: usize) {
        self.index = position;
    }

    /// Only whitespace may follow the document.
    pub fn finish(&mut self) -> Option<()> {
        self.skip_whitespace();
        (self.index == self.bytes.len()).then_some(())
    }
}

/// The bytes of `word` (little-endian) that may end a run of plain string content: a quote, a
/// backslash or a control byte (below 0x20), each marked by its top bit. Not zero exactly when
/// one is there, and the lowest mark is the first of them (the classic SWAR tests for a zero byte
/// and for a byte below a bound can mark bytes above a true one, never below it).
#[inline]
fn plain_run_ends(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let quote = has_zero(word ^ (ONES * u64::from(b'"')));
    let backslash = has_zero(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    quote | backslash | control
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> Option<Number> {
        let mut scanner = Scanner::new(text);
        let value = scanner.number()?;
        scanner.finish()?;
        Some(value)
    }

    #[test]
    fn word_test_finds_the_first_byte_that_ends_a_plain_run() {
        let ends = |byte: u8| byte == b'"' || byte == b'\\' || byte < 0x20;
        for special in 0..=255u8 {
            for position in 0..8 {
                for filler in [b'a', 0x7f, 0x80, 0xff, b' '] {
                    let mut word = [filler; 8];
                    word[position] = special;
                    let marks = plain_run_ends(u64::from_le_bytes(word));
                    assert_eq!(marks != 0, ends(special), "byte {special:#x} at {position}");
                    if ends(special) {
                        assert_eq!(
                            marks.trailing_zeros() / 8,
                            position as u32,
                            "byte {special:#x} at {position}"
                        );
                    }
                    // A second special byte above the first leaves the first mark where it is.
                    for above in position + 1..8 {
                        let mut pair = word;
                        pair[above] = 0;
                        let marks = plain_run_ends(u64::from_le_bytes(pair));
                        let first = if ends(special) { position } else { above };
                        assert_eq!(marks.trailing_zeros() / 8, first as u32, "{pair:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn numbers_as_serde_json_reads_them_or_not_at_all() {
        assert_eq!(number("0"), Some(Number::Int(0)));
        assert_eq!(number("-0"), Some(Number::Int(0)));
        assert_eq!(number("9223372036854775807"), Some(Number::Int(i64::MAX)));
        assert_eq!(number("-9223372036854775808"), Some(Number::Int(i64::MIN)));
        assert_eq!(number("9223372036854775808"), None);
        assert_eq!(number("123456789012345678901"), None);
        assert_eq!(number("1.5e3"), Some(Number::Float(1500.0)));
        assert_eq!(number("5.0"), Some(Number::Float(5.0)));
        assert_eq!(number("0.1"), Some(Number::Float(0.1)));
        for bad in ["01", "1.", ".5", "1e", "1e+", "-", "+1", "1e400", "NaN", "0x1"] {
            assert_eq!(number(bad), None, "{bad}");
        }
    }

    fn string(text: &str) -> Option<String> {
        let mut scanner = Scanner::new(text);
        let value = scanner.string()?.to_owned();
        scanner.finish()?;
        Some(value)
    }

    #[test]
    fn strings_with_and_without_escapes() {
        assert_eq!(string(r#""plain é""#).as_deref(), Some("plain é"));
        assert_eq!(
            string(r#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#).as_deref(),
            Some("a\"b\\c/d\n\té😀")
        );
        for bad in [
            r#""\ud83d""#,
            r#""\x""#,
            "\"a\nb\"",
            r#""open"#,
            r#""\u12""#,
            r#""\u+123""#,
        ] {
            assert_eq!(string(bad), None, "{bad}");
        }
    }

    #[test]
    fn agrees_with_serde_json_on_what_it_reads() {
        let documents = [
            r#"{"a": [1, -2.5, true, false, null, "x\"y"], "b": {}, "c": [], "d\u0041": {"e": [[]]}}"#,
            "  {\n\t\"k\" :\r 1 }  ",
            r#"{"a":1,"a":2}"#,
        ];
        for text in documents {
            let mut scanner = Scanner::new(text);
            let value = read(&mut scanner).unwrap();
            scanner.finish().unwrap();
            assert_eq!(
                value,
                serde_json::from_str::<serde_json::Value>(text).unwrap(),
                "{text}"
            );
        }
        for bad in [
            "{,}",
            "[1,]",
            r#"{"a" 1}"#,
            r#"{"a":1,}"#,
            "[1 2]",
            "{} {}",
            "tru",
            "[",
            r#"{"a":}"#,
        ] {
            let mut scanner = Scanner::new(bad);
            assert!(read(&mut scanner).and_then(|_| scanner.finish()).is_none(), "{bad}");
        }
    }

    fn read(scanner: &mut Scanner<'_>) -> Option<serde_json::Value> {
        use serde_json::Value;
        let next = scanner.peek()?;
        Some(match next {
            Next::Null => scanner.null().map(|()| Value::Null)?,
            Next::True | Next::False => Value::Bool(scanner.boolean(next)?),
            Next::String => Value::String(scanner.string()?.to_owned()),
            Next::Number => match scanner.number()? {
                Number::Int(i) => Value::from(i),
                Number::Float(f) => Value::from(f),
            },
            Next::Array => {
                let mut items = Vec::new();
                let mut item = scanner.array_first()?;
                while item.is_some() {
                    items.push(read(scanner)?);
                    item = scanner.array_next()?;
                }
                Value::Array(items)
            }
            Next::Object => {
                let mut map = serde_json::Map::new();
                let mut key = scanner.object_first()?.map(str::to_owned);
                while let Some(name) = key {
                    let value = read(scanner)?;
                    map.insert(name, value);
                    key = scanner.object_next()?.map(str::to_owned);
                }
                Value::Object(map)
            }
        })
    }
}
