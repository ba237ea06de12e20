//! Most of a broken document is not broken: a model's 9 KB answer cut off at the end is valid
//! JSON up to the cut. Where a container starts inside the document, the reader first asks
//! serde_json whether the container is valid JSON as it stands, and if so takes serde_json's
//! value in one pass instead of reading it character by character.
//!
//! The value must be exactly what the character reader would give, so a container is taken only
//! when nothing in it is a repair case: no duplicate key (the reader splits `{"a": 1, "a": 2}`
//! inside an array into two objects), no integer beyond 64 bits, nothing past a limit. A try that
//! fails reads text for nothing; what failed tries read is paid from an allowance proportional to
//! the document, so a document broken deep inside is not read again at every level.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::Parser;
use crate::limits::oversized_integer;

/// Text failed tries may read, per character of the document, and at least.
pub(super) const ALLOWANCE_PER_CHAR: usize = 2;
pub(super) const ALLOWANCE_FLOOR: usize = 4096;

impl Parser<'_> {
    /// The container starting at the current position, when it is valid JSON the reader would
    /// read as serde_json does; the position then moves past it.
    pub(super) fn valid_container_here(&mut self) -> Option<Value> {
        if self.split_pending || self.valid_allowance == 0 {
            return None;
        }
        // Character positions are byte positions while the text is ASCII and unchanged;
        // otherwise each character's start is looked up.
        let start = match self.ascii_text {
            Some(_) => self.index,
            None => *self.char_starts.get(self.index)?,
        };
        let rest = self.unchanged_text?.get(start..)?;
        // Where most tries fail (flaws all through the document), a check that builds nothing
        // comes first, so a failed try builds nothing either.
        if self.stretches_failed > self.stretches_read {
            let mut check = serde_json::Deserializer::from_str(rest).into_iter::<IgnoredAny>();
            if let Err(error) = check.next()? {
                self.stretches_failed += 1;
                self.valid_allowance = self.valid_allowance.saturating_sub(error_offset(rest, &error));
                return None;
            }
        }
        // One pass: the value is built while the text is checked. A duplicate key stops it as
        // the check would not, and costs nothing from the allowance, as a valid container the
        // reader declines never has.
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<UniqueValue>();
        let value = match stream.next()? {
            Ok(UniqueValue(value)) => value,
            Err(error) => {
                self.stretches_failed += 1;
                if !error.is_data() {
                    self.valid_allowance = self.valid_allowance.saturating_sub(error_offset(rest, &error));
                }
                return None;
            }
        };
        let end = stream.byte_offset();
        let stretch = &rest[..end];
        // serde_json reads an integer beyond 64 bits as a float with no fraction, so only a
        // container holding one is scanned for it.
        if (holds_integral_float(&value) && oversized_integer(stretch).is_some())
            || !self.limits.admits_at(&value, self.depth + 1)
        {
            return None;
        }
        self.index += match self.ascii_text {
            Some(_) => end,
            None => stretch.chars().count(),
        };
        self.stretches_read += 1;
        if value.is_object() {
            // What follows is read as it follows an object the reader read itself.
            self.drop_extra_closing_brace();
        }
        Some(value)
    }
}

/// Whether `value` holds a float with no fractional part, as an integer beyond 64 bits reads.
pub(super) fn holds_integral_float(value: &Value) -> bool {
    match value {
        Value::Number(number) => number.is_f64() && number.as_f64().is_some_and(|float| float.fract() == 0.0),
        Value::Array(items) => items.iter().any(holds_integral_float),
        Value::Object(map) => map.values().any(holds_integral_float),
        _ => false,
    }
}

/// About where in `text` serde_json stopped: its column on its line, found by counting the
/// newlines before it.
pub(super) fn error_offset(text: &str, error: &serde_json::Error) -> usize {
    let line_start = match error.line() {
        0 | 1 => 0,
        line => memchr::memchr_iter(b'\n', text.as_bytes())
            .nth(line - 2)
            .map_or(text.len(), |newline| newline + 1),
    };
    (line_start + error.column()).min(text.len())
}

/// serde_json's `Value`, refusing a key that appears twice in one object.
#[derive(Clone, Copy)]
struct UniqueKeys;

/// A value read by [`UniqueKeys`], as a type a stream of values can hold.
struct UniqueValue(Value);

impl<'de> de::Deserialize<'de> for UniqueValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        UniqueKeys.deserialize(deserializer).map(UniqueValue)
    }
}

impl<'de> DeserializeSeed<'de> for UniqueKeys {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let mut array = Vec::with_capacity(items.size_hint().unwrap_or(0));
        while let Some(item) = items.next_element_seed(self)? {
            array.push(item);
        }
        Ok(Value::Array(array))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Value, A::Error> {
        let mut object = Map::with_capacity(super::objects::MEMBERS_RESERVED);
        while let Some(key) = members.next_key::<String>()? {
            let value = members.next_value_seed(self)?;
            if object.insert(key, value).is_some() {
                return Err(de::Error::custom("a key appears twice"));
            }
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::limits::Limits;

    fn unique(text: &str) -> Option<Value> {
        UniqueKeys
            .deserialize(&mut serde_json::Deserializer::from_str(text))
            .ok()
    }

    #[test]
    fn unique_keys_reads_what_serde_json_reads() {
        let text = r#"{"a": [1, -2, 3.5, 1e3, 18446744073709551615, true, null, "x\u00e9\n"], "b": {}}"#;
        assert_eq!(unique(text), serde_json::from_str::<Value>(text).ok());
    }

    #[test]
    fn unique_keys_refuses_a_key_twice_in_one_object_only() {
        assert_eq!(unique(r#"{"a": 1, "a": 2}"#), None);
        assert_eq!(
            unique(r#"[{"a": 1}, {"a": 2}]"#),
            serde_json::from_str(r#"[{"a": 1}, {"a": 2}]"#).ok()
        );
    }

    #[test]
    fn error_offsets_count_lines() {
        let text = "[1,\n 2,\n x]";
        let error = serde_json::from_str::<Value>(text).unwrap_err();
        assert_eq!(&text[error_offset(text, &error) - 1..][..1], "x");
    }

    /// Everything the reader makes of `text` (the value or the refusal, and every record), and how
    /// many containers it read in one pass.
    fn read(text: &str, limits: &Limits, in_one_pass: bool) -> (String, usize) {
        let mut parser = Parser::new(text, limits);
        if !in_one_pass {
            parser.valid_allowance = 0;
        }
        let outcome = match parser.parse_top_level() {
            Ok(value) => format!("{value:?}"),
            Err(refusal) => format!("refused at {}: {}", refusal.offset, refusal.message),
        };
        (format!("{outcome}\n{:?}", parser.repairs), parser.stretches_read)
    }

    fn corpus_dir() -> Option<PathBuf> {
        let dir = match std::env::var_os("TOOLPROOF_CORPUS_DIR") {
            Some(root) => PathBuf::from(root).join("jsonrepair"),
            None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/jsonrepair"),
        };
        if dir.join("cases.json").is_file() {
            return Some(dir);
        }
        assert!(
            std::env::var_os("CI").is_none(),
            "the json_repair corpus is missing at {}",
            dir.display()
        );
        None
    }

    #[test]
    fn containers_read_in_one_pass_give_exactly_what_the_reader_gives() {
        let mut texts: Vec<String> = [
            r#"[{"a": [1, 2.5, "x\u00e9\n"], "b": {"c": null, "d": 18446744073709551615}}, {"e": tru"#,
            r#"[{"a": 1, "a": 2}, {"b": 1"#,
            r#"[{"a": 1 "a": 2}, {"b": [1, 2]}"#,
            r#"[{"n": 123456789012345678901234567890}, {"b": 1"#,
            r#"[{"a": 1}}, {"b": 2"#,
            r#"{"a": {"b": [1, {"c": "d"}]}, "e": [true, false], "f": 'g'}"#,
            r#"Here you go: {"items": [{"id": 1}, {"id": 2}], "next": null,} thanks"#,
            r#"[[[[[[[[{"k": [1, 2, 3], "v": x}]]]]]]]"#,
            "[{\"é\": [1]}, {\"ü\": 2",
        ]
        .iter()
        .map(|text| (*text).to_owned())
        .collect();
        if let Some(dir) = corpus_dir() {
            let cases: Vec<Value> =
                serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
            texts.extend(
                cases
                    .iter()
                    .filter_map(|case| case["input"].as_str().map(str::to_owned)),
            );
            texts.push(std::fs::read_to_string(dir.join("perf_invalid.json")).unwrap());
        }
        let shallow = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        let mut read_in_one_pass = 0;
        for text in &texts {
            for limits in [&Limits::default(), &shallow] {
                let (by_reader, _) = read(text, limits, false);
                let (with_stretches, stretches) = read(text, limits, true);
                assert_eq!(with_stretches, by_reader, "{text:?}");
                read_in_one_pass += stretches;
            }
        }
        // The comparison means something only if containers were in fact read in one pass.
        assert!(
            read_in_one_pass >= texts.len().min(20),
            "{read_in_one_pass} containers read in one pass"
        );
    }
}
