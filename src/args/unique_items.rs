//! Items sent twice where the schema wants them unique (`uniqueItems`, what a Python `set[...]`
//! parameter becomes): a set holds each item once, so reading each once is what the model meant.

use ahash::AHashSet;
use serde_json::Value;

use crate::args::record::{Repair, RepairKind};
use crate::json_path::{JsonPath, PathItem};
use crate::schema::validator::preview;

/// Keep the first of each item of the array at `path` in `value`; the record of the merge, or
/// None when there is no array there or no item repeats. Items are compared by their JSON text,
/// so only items written alike merge (`1` and `1.0` stay two, and the validator says so).
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
    items.retain(|item| seen.insert(serde_json::to_string(item).unwrap_or_default()));
    if items.len() == length {
        return None;
    }
    let after = preview(&Value::Array(items.clone()));
    Some(Repair::new(path.clone(), RepairKind::DuplicateItems, before, after))
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
}
