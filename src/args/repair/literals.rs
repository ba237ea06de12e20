//! Numbers and literal words (`true`, `None`, `NaN`), read as json_repair reads them.

use super::*;

/// What json_repair reads as part of a number: `,` and `/` make it a string (`1,5`, `1/2`), `_`
/// is dropped (`1_000`).
pub(super) fn is_number_char(character: char) -> bool {
    matches!(character, '0'..='9' | '-' | '.' | 'e' | 'E' | '/' | ',' | '_')
}

/// Python's `float()` over json_repair's number characters: `-?(D+(.D*)?|.D+)([eE]-?D+)?`.
pub(super) fn python_float(literal: &str) -> Option<f64> {
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
pub(super) fn python_int(literal: &str) -> Option<Option<Value>> {
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

impl Parser<'_> {
    /// `true`, `false`, `null` in any case (`True`, `NULL`), at `index`.
    pub(super) fn parse_boolean_or_null(&mut self) -> Option<Value> {
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
    pub(super) fn parse_python_word(&mut self) -> Option<Value> {
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
    pub(super) fn parse_number(&mut self) -> Parsed<Value> {
        let value = self.read_number()?;
        // Reading a number leaves at most its dropped last character (`e` of `1e`) unread.
        if self.index + 1 >= self.len() {
            let path = if self.keep_snippets {
                self.path.clone()
            } else {
                Vec::new()
            };
            self.number_at_end = Some((path, self.repairs.len()));
        }
        Ok(value)
    }

    fn read_number(&mut self) -> Parsed<Value> {
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
            self.record_built(RepairKind::UnquotedString, |_| (written, json_snippet(&literal)));
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
                    self.record_built(RepairKind::LenientNumber, |_| {
                        (written, wide_integer::json_text(&number))
                    });
                }
                Ok(number)
            }
            None => {
                // An ellipsis is dropped by the list it stands in, and recorded there.
                if !literal.is_empty() && literal != "..." {
                    let written = self.snippet_of(start, self.index);
                    self.record_built(RepairKind::UnquotedString, |_| (written, json_snippet(&literal)));
                }
                Ok(Value::String(literal))
            }
        }
    }
}
