//! Items sent twice where the schema wants them unique (`uniqueItems`, what a Python `set[...]`
//! parameter becomes): a set holds each item once, so reading each once is what the model meant.

use ahash::AHashSet;
use serde_json::Value;

use crate::args::record::{Repair, RepairKind};
use crate::json_path::{JsonPath, PathItem};
use crate::schema::validator::preview;

/// Keep the first of each item of the array at `path` in `value`; the record of the merge, or
/// None when there is no array there or no item repeats. Items are compared by their JSON text
/// with object keys in order, so objects equal as JSON merge whatever order their keys came in,
/// while `1` and `1.0` stay two (a Python function tells them apart; the validator refuses them).
pub fn merge_at(value: &mut Value, path: &JsonPath) -> Option<Repair> {
    let mut target = value;
    for item in path.items() {
        target = match item {
            PathItem::Key(key) => target.as_object_mut()?.get_mut(key.as_str())?,
            PathItem::Index(index) => target.as_array_mut()?.get_mut(*index)?,
        };
    }
    let items = target.as_array_mut()?;
    let before = preview(&Value::Array(items.clone()));
    let mut seen = AHashSet::with_capacity(items.len());
    let length = items.len();
    items.retain(|item| {
        let mut text = String::new();
        canonical_text(item, &mut text);
        seen.insert(text)
    });
    if items.len() == length {
        return None;
    }
    let after = preview(&Value::Array(items.clone()));
    Some(Repair::new(path.clone(), RepairKind::DuplicateItems, before, after))
}

/// `value` as JSON text with each object's keys sorted: one text for values equal as JSON,
/// numbers apart, which keep the form they were written in.
fn canonical_text(value: &Value, text: &mut String) {
    match value {
        Value::Object(object) => {
            let mut keys: Vec<&String> = object.keys().collect();
            keys.sort_unstable();
            text.push('{');
            for (position, key) in keys.into_iter().enumerate() {
                if position > 0 {
                    text.push(',');
                }
                text.push_str(&Value::String(key.clone()).to_string());
                text.push(':');
                canonical_text(&object[key], text);
            }
            text.push('}');
        }
        Value::Array(items) => {
            text.push('[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    text.push(',');
                }
                canonical_text(item, text);
            }
            text.push(']');
        }
        scalar => text.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_the_first_of_each_item_in_order() {
        let mut value = json!({"tags": ["b", "a", "b", "c", "a"]});
        let record = merge_at(&mut value, &JsonPath::root().child_key("tags")).unwrap();
        assert_eq!(value, json!({"tags": ["b", "a", "c"]}));
        assert_eq!(record.kind, RepairKind::DuplicateItems);
        assert_eq!(record.path.to_string(), "tags");
    }

    #[test]
    fn merges_only_items_written_alike() {
        let mut value = json!([1, 1.0, {"a": 1}, {"a": 1}]);
        merge_at(&mut value, &JsonPath::root()).unwrap();
        assert_eq!(value, json!([1, 1.0, {"a": 1}]));
        assert!(merge_at(&mut json!(["a", "b"]), &JsonPath::root()).is_none());
        assert!(merge_at(&mut json!({"a": 1}), &JsonPath::root().child_key("a")).is_none());
    }

    #[test]
    fn objects_equal_as_json_merge_whatever_the_order_of_their_keys() {
        let mut value: Value =
            serde_json::from_str(r#"[{"a": 1, "b": [{"c": 2, "d": 3}]}, {"b": [{"d": 3, "c": 2}], "a": 1}]"#).unwrap();
        merge_at(&mut value, &JsonPath::root()).unwrap();
        assert_eq!(value, json!([{"a": 1, "b": [{"c": 2, "d": 3}]}]));
        assert!(merge_at(&mut json!([{"a": 1}, {"a": 1.0}]), &JsonPath::root()).is_none());
    }
}
