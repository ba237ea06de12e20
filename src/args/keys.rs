//! Key matching: an undeclared key (`claimId`) is read as the declared property with the same
//! normalized name (`claim_id`) or a declared alias, only when exactly one property fits and that
//! property was not sent already.

use ahash::AHashMap;
use serde_json::{Map, Value};

use crate::args::errors::ArgError;
use crate::args::record::{Repair, RepairKind};
use crate::json_path::JsonPath;
use crate::schema::shape::ObjectShape;

/// Rename the keys of `object` that unambiguously stand for declared properties, recording each
/// rename; report keys that fit several properties. Key order is kept.
pub fn match_keys(
    object: &mut Map<String, Value>,
    shape: &ObjectShape,
    path: &JsonPath,
    repairs: &mut Vec<Repair>,
    errors: &mut Vec<ArgError>,
) {
    if shape.has_pattern_properties || object.keys().all(|key| shape.declares(key)) {
        return;
    }
    // Which undeclared keys claim which property.
    let mut claims: AHashMap<&str, Vec<&str>> = AHashMap::new();
    for key in object.keys().filter(|key| !shape.declares(key)) {
        match shape.match_key(key) {
            Ok(Some(property)) if !object.contains_key(&property.name) => {
                claims.entry(property.name.as_str()).or_default().push(key.as_str());
            }
            // Both spellings sent: reading either one would drop the other.
            Ok(Some(property)) => errors.push(ArgError::new(
                path.child_key(&property.name),
                "ambiguous_key",
                format!(
                    "sent twice, as '{}' and as '{key}'; send it once under its exact name",
                    property.name
                ),
            )),
            Ok(None) => {}
            Err(candidates) => errors.push(ArgError::new(
                path.child_key(key),
                "ambiguous_key",
                format!(
                    "could mean any of {}; send it under its exact name",
                    candidates
                        .iter()
                        .map(|c| format!("'{c}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
    let mut renames: AHashMap<String, String> = AHashMap::new();
    for (property, keys) in claims {
        match keys.as_slice() {
            [only] => {
                renames.insert((*only).to_owned(), property.to_owned());
            }
            several => errors.push(ArgError::new(
                path.child_key(property),
                "ambiguous_key",
                format!(
                    "sent more than once, as {}; send it once under its exact name",
                    several
                        .iter()
                        .map(|k| format!("'{k}'"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            )),
        }
    }
    if renames.is_empty() {
        return;
    }
    let original = std::mem::take(object);
    for (key, value) in original {
        match renames.remove(&key) {
            Some(property) => {
                repairs.push(Repair::new(
                    path.child_key(&property),
                    RepairKind::RenamedKey,
                    key,
                    property.clone(),
                ));
                object.insert(property, value);
            }
            None => {
                object.insert(key, value);
            }
        }
    }
}

/// The declared property names, for messages: `'city', 'days'`.
pub fn accepted_names(shape: &ObjectShape) -> String {
    const SHOWN: usize = 20;
    let mut names: Vec<String> = shape
        .properties
        .iter()
        .take(SHOWN)
        .map(|p| format!("'{}'", p.name))
        .collect();
    if shape.properties.len() > SHOWN {
        names.push(format!("... ({} in all)", shape.properties.len()));
    }
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::shape::ShapePlan;
    use serde_json::json;

    fn run(schema: Value, value: Value) -> (Value, Vec<Repair>, Vec<ArgError>) {
        let plan = ShapePlan::compile(&schema, &[]);
        let mut object = value.as_object().unwrap().clone();
        let (mut repairs, mut errors) = (Vec::new(), Vec::new());
        match_keys(
            &mut object,
            plan.root_object().unwrap(),
            &JsonPath::root(),
            &mut repairs,
            &mut errors,
        );
        (Value::Object(object), repairs, errors)
    }

    #[test]
    fn renames_in_place() {
        let schema = json!({"type": "object", "properties": {"claim_id": {}, "amount": {}}});
        let (value, repairs, errors) = run(schema, json!({"claimId": "C1", "amount": 5}));
        assert_eq!(value, json!({"claim_id": "C1", "amount": 5}));
        assert_eq!(
            serde_json::to_string(&value).unwrap(),
            "{\"claim_id\":\"C1\",\"amount\":5}"
        );
        assert_eq!(repairs.len(), 1);
        assert_eq!(repairs[0].path.to_string(), "claim_id");
        assert_eq!(repairs[0].before, json!("claimId"));
        assert!(errors.is_empty());
    }

    #[test]
    fn never_chooses() {
        let schema = json!({"type": "object", "properties": {"claim_id": {}}});
        // Both spellings sent: refused, naming both.
        let (value, repairs, errors) = run(schema.clone(), json!({"claim_id": "A", "claimId": "B"}));
        assert_eq!(value, json!({"claim_id": "A", "claimId": "B"}));
        assert!(repairs.is_empty());
        assert_eq!(errors[0].kind, "ambiguous_key");
        assert_eq!(errors[0].path.to_string(), "claim_id");
        assert!(errors[0].message.contains("'claim_id'") && errors[0].message.contains("'claimId'"));
        // Two spellings, neither exact: refused.
        let (_, repairs, errors) = run(schema, json!({"claimId": "A", "ClaimID": "B"}));
        assert!(repairs.is_empty());
        assert_eq!(errors[0].kind, "ambiguous_key");
        // One spelling that fits two properties: refused.
        let schema = json!({"type": "object", "properties": {"user_id": {}, "userId": {}}});
        let (_, _, errors) = run(schema, json!({"USERID": 1}));
        assert_eq!(errors[0].kind, "ambiguous_key");
        assert!(errors[0].message.contains("'user_id'") && errors[0].message.contains("'userId'"));
    }
}
