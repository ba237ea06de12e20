//! Where a value sits inside an argument document.
//!
//! Paths are shown the way a model (and a Python user) reads them: `items[3].name`, with the root as
//! an empty path. Keys that are not plain identifiers are quoted: `tags["a b"]`.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathItem {
    Key(String),
    Index(usize),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct JsonPath(Vec<PathItem>);

impl JsonPath {
    pub const fn root() -> Self {
        JsonPath(Vec::new())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn items(&self) -> &[PathItem] {
        &self.0
    }

    pub fn child_key(&self, key: &str) -> Self {
        let mut items = Vec::with_capacity(self.0.len() + 1);
        items.extend_from_slice(&self.0);
        items.push(PathItem::Key(key.to_owned()));
        JsonPath(items)
    }

    pub fn child_index(&self, index: usize) -> Self {
        let mut items = Vec::with_capacity(self.0.len() + 1);
        items.extend_from_slice(&self.0);
        items.push(PathItem::Index(index));
        JsonPath(items)
    }

    pub fn push_key(&mut self, key: &str) {
        self.0.push(PathItem::Key(key.to_owned()));
    }

    pub fn push_index(&mut self, index: usize) {
        self.0.push(PathItem::Index(index));
    }

    pub fn pop(&mut self) {
        self.0.pop();
    }

    /// The name of the top-level argument this path is under, if any.
    pub fn argument(&self) -> Option<&str> {
        match self.0.first() {
            Some(PathItem::Key(key)) => Some(key),
            _ => None,
        }
    }

    /// Build a path from a JSON Pointer (`/items/3/name`), as the validator reports locations.
    /// A pointer does not say whether `3` is an index or a key; the instance it points into does.
    pub fn from_pointer_in(pointer: &str, instance: &serde_json::Value) -> Self {
        let mut items = Vec::new();
        let mut current = Some(instance);
        for raw in pointer.split('/').skip(1) {
            let segment = if raw.contains('~') {
                raw.replace("~1", "/").replace("~0", "~")
            } else {
                raw.to_owned()
            };
            match current {
                Some(serde_json::Value::Array(array)) => match segment.parse::<usize>() {
                    Ok(index) => {
                        current = array.get(index);
                        items.push(PathItem::Index(index));
                    }
                    Err(_) => {
                        current = None;
                        items.push(PathItem::Key(segment));
                    }
                },
                Some(serde_json::Value::Object(object)) => {
                    current = object.get(&segment);
                    items.push(PathItem::Key(segment));
                }
                _ => {
                    current = None;
                    items.push(PathItem::Key(segment));
                }
            }
        }
        JsonPath(items)
    }
}

impl From<Vec<PathItem>> for JsonPath {
    fn from(items: Vec<PathItem>) -> Self {
        JsonPath(items)
    }
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' || c == '$' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '-')
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, item) in self.0.iter().enumerate() {
            match item {
                PathItem::Key(key) if is_identifier(key) => {
                    if position > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                PathItem::Key(key) => {
                    write!(f, "[{}]", serde_json::Value::String(key.clone()))?;
                }
                PathItem::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_a_model_reads_it() {
        let path = JsonPath::root().child_key("items").child_index(3).child_key("name");
        assert_eq!(path.to_string(), "items[3].name");
        assert_eq!(JsonPath::root().to_string(), "");
        assert_eq!(JsonPath::root().child_key("a b").to_string(), "[\"a b\"]");
        assert_eq!(JsonPath::root().child_index(0).to_string(), "[0]");
    }

    #[test]
    fn reads_json_pointers_against_the_instance() {
        let instance = serde_json::json!({"items": [0, 1, 2, {"a/b": 1}], "3": {"0": true}});
        let path = JsonPath::from_pointer_in("/items/3/a~1b", &instance);
        assert_eq!(
            path.items(),
            &[
                PathItem::Key("items".into()),
                PathItem::Index(3),
                PathItem::Key("a/b".into())
            ]
        );
        let digits = JsonPath::from_pointer_in("/3/0", &instance);
        assert_eq!(digits.items(), &[PathItem::Key("3".into()), PathItem::Key("0".into())]);
        assert!(JsonPath::from_pointer_in("", &instance).is_root());
    }
}
