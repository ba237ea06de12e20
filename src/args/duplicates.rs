//! Keys sent twice in one object. serde_json keeps the last value silently, so a gateway that
//! reads the first would see another call than the tool. The road reads valid JSON through
//! [`parse`], which notices them: strict mode refuses any, lenient mode refuses differing values
//! and records equal ones.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::json_path::JsonPath;

/// A key met a second time in one object.
#[derive(Clone, Debug, PartialEq)]
pub struct Duplicate {
    /// Where the key sits (the object's path and the key).
    pub path: JsonPath,
    /// Both values are the same.
    pub same_value: bool,
}

const DUPLICATE: &str = "a key appears twice in one object";

/// serde_json's value of `text`, and every key sent twice (the value keeps the last, at the
/// place of the first, as serde_json does). Text without duplicates is read in one pass.
pub fn parse(text: &str) -> Result<(Value, Vec<Duplicate>), serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let first = Unique
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    match first {
        Ok(value) => Ok((value, Vec::new())),
        Err(error) if error.to_string().starts_with(DUPLICATE) => {
            let state = RefCell::new(Tracking {
                path: JsonPath::root(),
                found: Vec::new(),
            });
            let mut deserializer = serde_json::Deserializer::from_str(text);
            let value = Tracked(&state).deserialize(&mut deserializer)?;
            deserializer.end()?;
            Ok((value, state.into_inner().found))
        }
        Err(error) => Err(error),
    }
}

/// `Value`, failing at the first key met twice.
#[derive(Clone, Copy)]
struct Unique;

impl<'de> DeserializeSeed<'de> for Unique {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

macro_rules! scalars {
    () => {
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
    };
}

impl<'de> Visitor<'de> for Unique {
    type Value = Value;
    scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let mut array = Vec::with_capacity(items.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = items.next_element_seed(self)? {
            array.push(item);
        }
        Ok(Value::Array(array))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = members.next_key::<String>()? {
            let value = members.next_value_seed(self)?;
            if object.insert(key, value).is_some() {
                return Err(de::Error::custom(DUPLICATE));
            }
        }
        Ok(Value::Object(object))
    }
}

struct Tracking {
    path: JsonPath,
    found: Vec<Duplicate>,
}

/// `Value`, noting every key met twice and where.
#[derive(Clone, Copy)]
struct Tracked<'s>(&'s RefCell<Tracking>);

impl<'de> DeserializeSeed<'de> for Tracked<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Tracked<'_> {
    type Value = Value;
    scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let mut array = Vec::new();
        loop {
            self.0.borrow_mut().path.push_index(array.len());
            let item = items.next_element_seed(self);
            self.0.borrow_mut().path.pop();
            match item? {
                Some(item) => array.push(item),
                None => return Ok(Value::Array(array)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = members.next_key::<String>()? {
            self.0.borrow_mut().path.push_key(&key);
            let value = members.next_value_seed(self);
            let mut state = self.0.borrow_mut();
            let value = match value {
                Ok(value) => value,
                Err(error) => {
                    state.path.pop();
                    return Err(error);
                }
            };
            if let Some(earlier) = object.get(&key) {
                let same_value = same_value(earlier, &value);
                let path = state.path.clone();
                state.found.push(Duplicate { path, same_value });
            }
            state.path.pop();
            drop(state);
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// The same JSON value, numbers compared by kind and bits (`1` and `1.0` differ, as do `0.0` and
/// `-0.0`), object keys in the same order.
pub fn same_value(first: &Value, second: &Value) -> bool {
    match (first, second) {
        (Value::Number(a), Value::Number(b)) => match (a.is_f64(), b.is_f64()) {
            (true, true) => a.as_f64().map(f64::to_bits) == b.as_f64().map(f64::to_bits),
            (false, false) => a == b,
            _ => false,
        },
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_value(x, y)),
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_value(va, vb))
        }
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_as_serde_json_and_finds_every_key_sent_twice() {
        let (value, found) = parse(r#"{"a": 1, "b": [2]}"#).unwrap();
        assert_eq!(value, json!({"a": 1, "b": [2]}));
        assert!(found.is_empty());
        let (value, found) = parse(r#"{"q": "a", "x": [{"k": 1, "k": 1.0}], "q": "b"}"#).unwrap();
        assert_eq!(
            value,
            serde_json::from_str::<Value>(r#"{"q": "b", "x": [{"k": 1.0}]}"#).unwrap()
        );
        let found: Vec<(String, bool)> = found.iter().map(|d| (d.path.to_string(), d.same_value)).collect();
        assert_eq!(found, [("x[0].k".to_owned(), false), ("q".to_owned(), false)]);
        let (_, found) = parse(r#"{"q": "a", "q": "a"}"#).unwrap();
        assert!(found[0].same_value);
        assert!(parse(r#"{"a": 1} x"#).is_err());
        assert!(parse(r#"{"a": 1, "a": 2} x"#).is_err());
    }
}
