//! A call envelope inside the arguments: `{"name": "get_weather", "arguments": {"city": "Paris"}}`
//! where only `{"city": "Paris"}` belongs, which open-weight models often write (the arguments
//! object may also come as a JSON string, or under `"parameters"`).
//!
//! Unwrapped only when nothing else can be meant: the envelope holds exactly the name and the
//! arguments, the name is this tool's, neither key can be one of the tool's own (a declared
//! parameter, or any key at all for a tool that takes free-form keys), and the arguments are an
//! object.

use serde_json::{Map, Value};

use crate::args::nested_json;
use crate::args::record::{Repair, RepairKind};
use crate::json_path::JsonPath;

/// The keys a call envelope holds the arguments under.
const ARGUMENT_KEYS: [&str; 2] = ["arguments", "parameters"];

/// The arguments inside `object` when it is a call envelope of the tool `tool_name`, and the
/// record of unwrapping them; None for anything else. `may_hold` says whether a key can belong to
/// the tool's own arguments.
pub fn unwrap(
    object: &Map<String, Value>,
    tool_name: &str,
    may_hold: impl Fn(&str) -> bool,
) -> Option<(Map<String, Value>, Repair)> {
    if object.len() != 2 || object.get("name")?.as_str()? != tool_name || may_hold("name") {
        return None;
    }
    let key = ARGUMENT_KEYS.into_iter().find(|key| object.contains_key(*key))?;
    if may_hold(key) {
        return None;
    }
    let arguments = match &object[key] {
        Value::Object(arguments) => arguments.clone(),
        // Arguments as a JSON string: read exactly, a key sent twice is not guessed at.
        Value::String(text) => match nested_json::read_exactly(text) {
            Some(Value::Object(arguments)) => arguments,
            _ => return None,
        },
        _ => return None,
    };
    let record = Repair::new(
        JsonPath::root(),
        RepairKind::CallEnvelope,
        format!("{{\"name\": {}, \"{key}\": ...}}", Value::String(tool_name.to_owned())),
        "the arguments alone",
    );
    Some((arguments, record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn declares_city(key: &str) -> bool {
        key == "city"
    }

    #[test]
    fn unwraps_this_tools_envelope_in_its_three_shapes() {
        for envelope in [
            json!({"name": "get_weather", "arguments": {"city": "Paris"}}),
            json!({"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}),
            json!({"name": "get_weather", "parameters": {"city": "Paris"}}),
        ] {
            let (arguments, record) = unwrap(&object(envelope), "get_weather", declares_city).unwrap();
            assert_eq!(Value::Object(arguments), json!({"city": "Paris"}));
            assert_eq!(record.kind, RepairKind::CallEnvelope);
        }
    }

    #[test]
    fn leaves_everything_else_alone() {
        let cases = [
            // Another tool's name: not this call.
            json!({"name": "search", "arguments": {"city": "Paris"}}),
            // More than the envelope.
            json!({"name": "get_weather", "arguments": {"city": "Paris"}, "city": "Rome"}),
            // Arguments that are not an object.
            json!({"name": "get_weather", "arguments": "Paris"}),
            json!({"name": "get_weather", "arguments": ["Paris"]}),
            // A key sent twice inside the string.
            json!({"name": "get_weather", "arguments": "{\"city\": \"Paris\", \"city\": \"Rome\"}"}),
        ];
        for case in cases {
            assert!(
                unwrap(&object(case.clone()), "get_weather", declares_city).is_none(),
                "{case}"
            );
        }
        // A tool that has a parameter of that name takes the object as its arguments.
        let envelope = object(json!({"name": "get_weather", "arguments": {"city": "Paris"}}));
        assert!(unwrap(&envelope, "get_weather", |key| key == "arguments").is_none());
        assert!(unwrap(&envelope, "get_weather", |key| key == "name").is_none());
    }
}
