//! The walk that brings a parsed document into the tool's shape: key matching, coercion, dropping
//! undeclared keys, following the coercion plan location by location.
//!
//! Runs only after the fast path (parse + validate) has failed, so its cost is paid by flawed
//! calls alone.

use ahash::AHashSet;
use serde_json::{Map, Value};

use crate::args::coerce::{as_integer, coerce_scalar};
use crate::args::errors::ArgError;
use crate::args::keys::{accepted_names, match_keys};
use crate::args::record::{Repair, RepairKind};
use crate::json_path::JsonPath;
use crate::schema::shape::{Extra, ObjectShape, Shape, ShapeId, ShapePlan, TypeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Repair and coerce what is unambiguous and safe, recording each change.
    Lenient,
    /// Change nothing: any deviation is an error naming the field.
    Strict,
}

/// What happens to a key the schema forbids (`additionalProperties: false`) in lenient mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtraKeys {
    Drop,
    Error,
}

pub struct Conformer<'p> {
    plan: &'p ShapePlan,
    mode: Mode,
    extra_keys: ExtraKeys,
    pub repairs: Vec<Repair>,
    pub errors: Vec<ArgError>,
}

impl<'p> Conformer<'p> {
    pub fn new(plan: &'p ShapePlan, mode: Mode, extra_keys: ExtraKeys) -> Self {
        Conformer {
            plan,
            mode,
            extra_keys,
            repairs: Vec::new(),
            errors: Vec::new(),
        }
    }

    pub fn conform(&mut self, value: &mut Value, shape: ShapeId, path: &mut JsonPath) {
        let plan = self.plan;
        let shape = plan.get(shape);
        if shape.is_unconstrained() {
            return;
        }
        if !accepts(shape, value) {
            self.fix_type(value, shape, path);
        } else if let Value::Number(number) = value {
            // `5.0` is an integer to JSON Schema, but a float to the Python function: lenient mode
            // delivers the integer, strict mode (exact types) refuses.
            if number.is_f64() && shape.types.intersect(TypeSet::NUMBER).is_empty() {
                match (self.mode, as_integer(number)) {
                    (Mode::Lenient, Some(integer)) => {
                        let before = value.clone();
                        *value = Value::Number(integer);
                        self.record(path, RepairKind::FloatToInteger, before, value.clone());
                    }
                    _ => self.errors.push(ArgError::new(
                        path.clone(),
                        "type",
                        format!("expected integer, got {number} (a float)"),
                    )),
                }
            }
        }
        match value {
            Value::Object(object) => {
                if let Some(layout) = &shape.object {
                    self.conform_object(object, layout, path);
                }
            }
            Value::Array(items) => {
                if let Some(layout) = &shape.array {
                    for (index, item) in items.iter_mut().enumerate() {
                        if let Some(item_shape) = layout.item(index) {
                            path.push_index(index);
                            self.conform(item, item_shape, path);
                            path.pop();
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn fix_type(&mut self, value: &mut Value, shape: &Shape, path: &JsonPath) {
        if self.mode == Mode::Strict {
            return;
        }
        if let Some((fixed, kind)) = coerce_scalar(value, shape) {
            let before = std::mem::replace(value, fixed);
            self.record(path, kind, before, value.clone());
            return;
        }
        // A lone value where an array is wanted: `"a"` for `["a"]`, if the item would take it.
        if shape.types.contains(TypeSet::ARRAY) && !value.is_array() && !value.is_null() {
            let item_shape = shape.array.as_ref().and_then(|a| a.item(0));
            let fits = item_shape.is_none_or(|id| {
                let item = self.plan.get(id);
                accepts(item, value) || coerce_scalar(value, item).is_some()
            });
            if fits {
                let before = std::mem::replace(value, Value::Null);
                *value = Value::Array(vec![before.clone()]);
                self.record(path, RepairKind::ScalarToArray, before, value.clone());
            }
        }
    }

    fn conform_object(&mut self, object: &mut Map<String, Value>, layout: &ObjectShape, path: &mut JsonPath) {
        if self.mode == Mode::Lenient {
            match_keys(object, layout, path, &mut self.repairs, &mut self.errors);
        }
        drop_nulls_for_optional(object, layout, self.plan);
        if self.mode == Mode::Lenient && layout.extra == Extra::Forbidden && !layout.has_pattern_properties {
            self.handle_undeclared(object, layout, path);
        }
        for (key, item) in object.iter_mut() {
            let item_shape = match layout.property(key) {
                Some(property) => Some(property.shape),
                None => match layout.extra {
                    Extra::Allowed(shape) => shape,
                    Extra::Forbidden => None,
                },
            };
            if let Some(item_shape) = item_shape {
                path.push_key(key);
                self.conform(item, item_shape, path);
                path.pop();
            }
        }
    }

    fn handle_undeclared(&mut self, object: &mut Map<String, Value>, layout: &ObjectShape, path: &JsonPath) {
        if object.keys().all(|key| layout.declares(key)) {
            return;
        }
        // A key already reported as ambiguous stays, so the validator's report agrees.
        let reported: AHashSet<&JsonPath> = self.errors.iter().map(|error| &error.path).collect();
        let undeclared = |key: &str| !layout.declares(key) && !reported.contains(&path.child_key(key));
        match self.extra_keys {
            ExtraKeys::Drop => {
                // One pass: removing keys one by one shifts the rest each time.
                let mut dropped = Vec::new();
                for (key, value) in std::mem::take(object) {
                    if undeclared(&key) {
                        dropped.push((path.child_key(&key), value));
                    } else {
                        object.insert(key, value);
                    }
                }
                for (at, value) in dropped {
                    self.record(&at, RepairKind::DroppedKey, value, Value::Null);
                }
            }
            ExtraKeys::Error => {
                let accepted = accepted_names(layout);
                let unknown: Vec<ArgError> = object
                    .keys()
                    .filter(|key| undeclared(key))
                    .map(|key| {
                        ArgError::new(
                            path.child_key(key),
                            "unknown_key",
                            format!("not an accepted argument; accepted: {accepted}"),
                        )
                    })
                    .collect();
                self.errors.extend(unknown);
            }
        }
    }

    fn record(&mut self, path: &JsonPath, kind: RepairKind, before: Value, after: Value) {
        self.repairs.push(Repair::new(path.clone(), kind, before, after));
    }
}

/// Whether a value is acceptable at a location as it stands (type and allowed values).
fn accepts(shape: &Shape, value: &Value) -> bool {
    shape.types.admits(value)
        && shape
            .allowed_values
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|candidate| same_json_value(candidate, value)))
}

/// JSON equality, where `1` and `1.0` are the same number.
fn same_json_value(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => a == b || a.as_f64() == b.as_f64(),
        _ => left == right,
    }
}

/// `null` sent for an optional property that does not take null means "left out": that is how a
/// model answers a strict provider schema, where every property must be sent and optional ones
/// are made nullable. The default then applies. Done in both modes and not recorded as a repair.
fn drop_nulls_for_optional(object: &mut Map<String, Value>, layout: &ObjectShape, plan: &ShapePlan) {
    let has_candidate = object.iter().any(|(key, value)| {
        value.is_null()
            && layout
                .property(key)
                .is_some_and(|p| !p.required && !plan.get(p.shape).admits_null())
    });
    if has_candidate {
        object.retain(|key, value| {
            !(value.is_null()
                && layout
                    .property(key)
                    .is_some_and(|p| !p.required && !plan.get(p.shape).admits_null()))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn conform(schema: Value, value: Value, mode: Mode) -> (Value, Vec<(String, &'static str)>, Vec<ArgError>) {
        let plan = ShapePlan::compile(&schema, &[]);
        let mut conformer = Conformer::new(&plan, mode, ExtraKeys::Drop);
        let mut value = value;
        conformer.conform(&mut value, ShapePlan::ROOT, &mut JsonPath::root());
        let repairs = conformer
            .repairs
            .iter()
            .map(|r| (r.path.to_string(), r.kind.as_str()))
            .collect();
        (value, repairs, conformer.errors)
    }

    fn claim_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "claim_id": {"type": "string"},
                "amount": {"type": "number"},
                "count": {"type": "integer"},
                "urgent": {"type": "boolean", "default": false},
                "tags": {"type": "array", "items": {"type": "string"}},
                "level": {"enum": ["low", "high"]},
                "meta": {"type": "object", "properties": {"source_id": {"type": "integer"}}, "additionalProperties": false},
                "note": {"type": "string", "default": ""}
            },
            "required": ["claim_id", "amount"],
            "additionalProperties": false
        })
    }

    #[test]
    fn fixes_what_models_send() {
        let (value, repairs, errors) = conform(
            claim_schema(),
            json!({
                "claimId": 1001, "amount": "1000", "count": 3.0, "urgent": "True", "tags": "x",
                "level": "HIGH", "meta": "{\"sourceId\": \"7\"}", "note": null, "bogus": 1
            }),
            Mode::Lenient,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            value,
            json!({"claim_id": "1001", "amount": 1000, "count": 3, "urgent": true, "tags": ["x"],
                   "level": "high", "meta": {"source_id": 7}})
        );
        let kinds: Vec<&str> = repairs.iter().map(|(_, k)| *k).collect();
        for expected in [
            "renamed_key",
            "dropped_key",
            "number_to_string",
            "string_to_number",
            "float_to_integer",
            "string_to_boolean",
            "scalar_to_array",
            "enum_case",
            "decoded_json_string",
            "string_to_integer",
        ] {
            assert!(kinds.contains(&expected), "{expected} missing from {repairs:?}");
        }
        assert!(repairs.contains(&("meta.source_id".to_owned(), "renamed_key")));
        assert!(repairs.contains(&("meta.source_id".to_owned(), "string_to_integer")));
    }

    #[test]
    fn strict_mode_changes_nothing_but_optional_nulls() {
        // (Dropping `null` for an optional property is not a change: it is how strict provider
        // schemas say "left out".)
        let sent = json!({"claimId": "C", "amount": "1000", "note": null, "bogus": 1});
        let (value, repairs, _) = conform(claim_schema(), sent, Mode::Strict);
        assert_eq!(value, json!({"claimId": "C", "amount": "1000", "bogus": 1}));
        assert!(repairs.is_empty());
    }

    #[test]
    fn refuses_to_round_or_guess() {
        let (value, repairs, _) = conform(
            claim_schema(),
            json!({"claim_id": "C", "amount": 1, "count": 1.5, "level": "medium"}),
            Mode::Lenient,
        );
        assert_eq!(value["count"], json!(1.5));
        assert_eq!(value["level"], json!("medium"));
        assert!(repairs.is_empty());
    }

    #[test]
    fn does_not_wrap_what_the_item_would_refuse() {
        let schema = json!({"type": "object", "properties": {"ids": {"type": "array", "items": {"type": "integer"}}}});
        let (value, _, _) = conform(schema.clone(), json!({"ids": "7"}), Mode::Lenient);
        assert_eq!(value, json!({"ids": [7]}));
        let (value, _, _) = conform(schema, json!({"ids": {"a": 1}}), Mode::Lenient);
        assert_eq!(value, json!({"ids": {"a": 1}}));
    }
}
