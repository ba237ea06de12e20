//! Numbers JSON does not write and the character reader reads only in part: `1e` (read as 1
//! and a key `e`), `1+1`, `-`. Found by the grammar alone, with their paths, so a refusal that
//! follows from them can name them rather than what the reader made of their remains.

use std::ops::Range;

use serde_json::Value;

use super::cut_end;
use crate::encode::writer::is_json_number;
use crate::json_path::{JsonPath, PathItem};

/// A number as written where a value starts, followed by a comma, a closer or the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MalformedNumber {
    /// Where it is written in the text, in bytes.
    pub span: Range<usize>,
    pub path: JsonPath,
}

/// What is wrong with a [`MalformedNumber`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformation {
    /// Begun and not finished: `1e`, `1.5E+`, `-`.
    Incomplete,
    /// Numbers joined by operators: `1+1`, `2 * 3`.
    Expression,
    /// Neither: `1e5e`, `--1`.
    NotANumber,
}

impl MalformedNumber {
    pub(super) fn new(span: Range<usize>, path: JsonPath) -> Self {
        MalformedNumber { span, path }
    }

    pub fn written<'t>(&self, text: &'t str) -> &'t str {
        &text[self.span.clone()]
    }

    /// Whether `value`, read from `text`, holds this number as written (`2024-01-15` as a
    /// string): read whole, not in part (`1e` as 1, `-` dropped).
    pub fn read_whole(&self, text: &str, value: &Value) -> bool {
        let mut at = value;
        for item in self.path.items() {
            let next = match item {
                PathItem::Key(key) => at.as_object().and_then(|object| object.get(key)),
                PathItem::Index(index) => at.as_array().and_then(|items| items.get(*index)),
            };
            match next {
                Some(next) => at = next,
                None => return false,
            }
        }
        at.as_str() == Some(self.written(text))
    }

    pub fn malformation(&self, text: &str) -> Malformation {
        let written = self.written(text);
        let number_end = json_number_prefix(written);
        let rest = written[number_end..].trim_start();
        let operand_follows = rest
            .strip_prefix(['+', '-', '*', '/'])
            .is_some_and(|operand| operand.trim_start().starts_with(|c: char| c.is_ascii_digit()));
        if number_end > 0 && operand_follows {
            Malformation::Expression
        } else if is_json_number(&format!("{written}0")) {
            Malformation::Incomplete
        } else {
            Malformation::NotANumber
        }
    }
}

/// The numbers of `text` that JSON does not write and the character reader does not read whole,
/// in order, as far as `text` reads as JSON or a Python literal but for them.
pub fn malformed_numbers(text: &str) -> Vec<MalformedNumber> {
    let mut numbers = Vec::new();
    cut_end::read_strictly(text, Some(&mut numbers));
    numbers
}

/// `text` with each of `numbers` written as `0`: what it reads as once they are numbers.
pub fn with_numbers_as_zero(text: &str, numbers: &[MalformedNumber]) -> String {
    let mut mended = String::with_capacity(text.len());
    let mut from = 0;
    for number in numbers {
        mended.push_str(&text[from..number.span.start]);
        mended.push('0');
        from = number.span.end;
    }
    mended.push_str(&text[from..]);
    mended
}

/// Length of the longest start of `written` that is a JSON number.
fn json_number_prefix(written: &str) -> usize {
    let bytes = written.as_bytes();
    let digits_end = |from: usize| from + bytes[from..].iter().take_while(|byte| byte.is_ascii_digit()).count();
    let integer_start = usize::from(bytes.first() == Some(&b'-'));
    let integer_end = digits_end(integer_start);
    if integer_end == integer_start {
        return 0;
    }
    // JSON writes no digit after a leading zero.
    let mut end = if bytes[integer_start] == b'0' {
        integer_start + 1
    } else {
        integer_end
    };
    if bytes.get(end) == Some(&b'.') && digits_end(end + 1) > end + 1 {
        end = digits_end(end + 1);
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let digits_start = end + 1 + usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
        if digits_end(digits_start) > digits_start {
            end = digits_end(digits_start);
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(String, &str, Malformation)> {
        malformed_numbers(text)
            .iter()
            .map(|number| (number.path.to_string(), number.written(text), number.malformation(text)))
            .collect()
    }

    #[test]
    fn finds_each_number_the_reader_reads_in_part_with_its_path() {
        use Malformation::*;
        assert_eq!(found(r#"{"a": 1e}"#), [("a".to_owned(), "1e", Incomplete)]);
        assert_eq!(
            found(r#"{"a": -, "b": 1.5E+}"#),
            [("a".to_owned(), "-", Incomplete), ("b".to_owned(), "1.5E+", Incomplete)]
        );
        assert_eq!(found(r#"{"a": [1, 1+1]}"#), [("a[1]".to_owned(), "1+1", Expression)]);
        assert_eq!(found("{'a': {'b': 2 * 3 }}"), [("a.b".to_owned(), "2 * 3", Expression)]);
        assert_eq!(found(r#"{"a": 1e5-2}"#), [("a".to_owned(), "1e5-2", Expression)]);
        assert_eq!(found(r#"{"a": 1e5e}"#), [("a".to_owned(), "1e5e", NotANumber)]);
        assert_eq!(found(r#"{"a": --1}"#), [("a".to_owned(), "--1", NotANumber)]);
        assert_eq!(found("```json\n[(1e)]\n```"), [("[0][0]".to_owned(), "1e", Incomplete)]);
    }

    #[test]
    fn numbers_read_whole_and_numbers_the_text_ends_inside_are_not_malformed() {
        for text in [
            r#"{"a": 1, "b": -0.5e+3}"#,
            r#"{"a": 01, "b": 1., "c": -01}"#,
            r#"{"a": 1e"#,
            r#"{"a": 1e+"#,
            // What follows is no comma, closer or end: not a number's flaw.
            r#"{"a": 1ex}"#,
            r#"{"a": 1 + x}"#,
            r#"{"a": 1 2}"#,
        ] {
            assert_eq!(found(text), [], "{text:?}");
        }
        // Read as far as the first flaw that is not a number.
        assert_eq!(found(r#"{"a": 1e, b: 1e}"#).len(), 1);
    }

    #[test]
    fn a_number_is_read_whole_when_the_value_holds_it_as_written() {
        let text = r#"{"a": [2024-01-15, 1e]}"#;
        let value = serde_json::json!({"a": ["2024-01-15", 1, "e"]});
        let read_whole: Vec<bool> = malformed_numbers(text)
            .iter()
            .map(|number| number.read_whole(text, &value))
            .collect();
        assert_eq!(read_whole, [true, false]);
    }

    #[test]
    fn written_as_zero_each_reads_as_a_number() {
        let text = r#"{"a": 1 + 1, "b": [-, 1e]}"#;
        assert_eq!(
            with_numbers_as_zero(text, &malformed_numbers(text)),
            r#"{"a": 0, "b": [0, 0]}"#
        );
    }
}
