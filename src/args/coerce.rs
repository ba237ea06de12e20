//! Coercion: one value of the wrong type, converted when exactly one safe conversion exists.
//!
//! Never made: rounding (`1.5` is not an integer), reading a non-numeric string as a number,
//! choosing between enum members that differ only by case, turning an object into a string.

use serde_json::{Number, Value};

use crate::args::nested_json;
use crate::args::record::RepairKind;
use crate::schema::shape::{is_integral, Shape, TypeSet};

/// The value this one becomes, and the kind of change; `None` when no safe conversion exists.
/// Only called for values the shape does not already accept as they are.
pub fn coerce_scalar(value: &Value, shape: &Shape) -> Option<(Value, RepairKind)> {
    let types = shape.types;
    let converted = match value {
        Value::String(text) => string_to(text, types),
        Value::Number(number) => number_to(number, types),
        _ => None,
    };
    let converted = converted.or_else(|| enum_case(value, shape))?;
    // A conversion that lands outside the allowed values is no fix.
    match &shape.allowed_values {
        Some(allowed) if !allowed.contains(&converted.0) => enum_case(&converted.0, shape),
        _ => Some(converted),
    }
}

fn string_to(text: &str, types: TypeSet) -> Option<(Value, RepairKind)> {
    let trimmed = text.trim();
    if types.contains(TypeSet::NULL) && matches!(trimmed, "null" | "None") {
        return Some((Value::Null, RepairKind::StringToNull));
    }
    let wants_integer = types.contains(TypeSet::INTEGER);
    let wants_number = types.contains(TypeSet::NUMBER);
    if wants_integer || wants_number {
        if let Some(number) = parse_json_number(trimmed) {
            if wants_number {
                return Some((Value::Number(number), RepairKind::StringToNumber));
            }
            if let Some(integer) = as_integer(&number) {
                return Some((Value::Number(integer), RepairKind::StringToInteger));
            }
        }
    }
    if types.contains(TypeSet::BOOLEAN) {
        if trimmed.eq_ignore_ascii_case("true") {
            return Some((Value::Bool(true), RepairKind::StringToBoolean));
        }
        if trimmed.eq_ignore_ascii_case("false") {
            return Some((Value::Bool(false), RepairKind::StringToBoolean));
        }
    }
    let wants_object = types.contains(TypeSet::OBJECT) && trimmed.starts_with('{');
    let wants_array = types.contains(TypeSet::ARRAY) && trimmed.starts_with('[');
    if wants_object || wants_array {
        if let Some(decoded @ (Value::Object(_) | Value::Array(_))) = nested_json::read_exactly(trimmed) {
            if types.admits(&decoded) {
                return Some((decoded, RepairKind::DecodedJsonString));
            }
        }
    }
    None
}

fn number_to(number: &Number, types: TypeSet) -> Option<(Value, RepairKind)> {
    if types.contains(TypeSet::INTEGER) && number.is_f64() {
        if let Some(integer) = as_integer(number) {
            return Some((Value::Number(integer), RepairKind::FloatToInteger));
        }
    }
    if types.contains(TypeSet::STRING) {
        return Some((Value::String(number.to_string()), RepairKind::NumberToString));
    }
    None
}

/// A string that is exactly a JSON number (`12`, `-3.5`, `1e3`); not `1,000`, `0x10` or `NaN`.
fn parse_json_number(text: &str) -> Option<Number> {
    let first = text.bytes().next()?;
    if !(first == b'-' || first.is_ascii_digit()) {
        return None;
    }
    match nested_json::read_exactly(text) {
        Some(Value::Number(number)) => Some(number),
        _ => None,
    }
}

/// The integer a number is equal to, if it is integral and fits 64 bits.
pub fn as_integer(number: &Number) -> Option<Number> {
    if number.is_i64() || number.is_u64() {
        return Some(number.clone());
    }
    let float = number.as_f64()?;
    if !is_integral(number) {
        return None;
    }
    // Beyond 2^53 a float no longer pins down one integer; below the i64 range it does not fit.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if float.abs() > EXACT {
        return None;
    }
    Some(Number::from(float as i64))
}

/// `"High"` where the allowed values are `"high"`, `"low"`: the one member equal ignoring case.
fn enum_case(value: &Value, shape: &Shape) -> Option<(Value, RepairKind)> {
    let text = value.as_str()?;
    let allowed = shape.allowed_values.as_ref()?;
    let wanted = text.trim().to_lowercase();
    let mut matches = allowed
        .iter()
        .filter(|candidate| candidate.as_str().is_some_and(|c| c.to_lowercase() == wanted));
    let first = matches.next()?;
    if matches.next().is_some() || first == value {
        return None;
    }
    Some((first.clone(), RepairKind::EnumCase))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::shape::ShapePlan;
    use serde_json::json;

    fn shape(schema: Value) -> Shape {
        ShapePlan::compile(&schema, &[]).root().clone()
    }

    fn coerced(value: Value, schema: Value) -> Option<(Value, &'static str)> {
        coerce_scalar(&value, &shape(schema)).map(|(v, kind)| (v, kind.as_str()))
    }

    #[test]
    fn numeric_strings() {
        assert_eq!(
            coerced(json!("1000"), json!({"type": "number"})),
            Some((json!(1000), "string_to_number"))
        );
        assert_eq!(
            coerced(json!(" 2.5 "), json!({"type": "number"})),
            Some((json!(2.5), "string_to_number"))
        );
        assert_eq!(
            coerced(json!("7"), json!({"type": "integer"})),
            Some((json!(7), "string_to_integer"))
        );
        assert_eq!(
            coerced(json!("7.0"), json!({"type": "integer"})),
            Some((json!(7), "string_to_integer"))
        );
        assert_eq!(coerced(json!("1.5"), json!({"type": "integer"})), None);
        assert_eq!(coerced(json!("ten"), json!({"type": "number"})), None);
        assert_eq!(coerced(json!("1,000"), json!({"type": "number"})), None);
        assert_eq!(coerced(json!("NaN"), json!({"type": "number"})), None);
        assert_eq!(coerced(json!("0x10"), json!({"type": "integer"})), None);
    }

    #[test]
    fn integral_floats_only() {
        assert_eq!(
            coerced(json!(3.0), json!({"type": "integer"})),
            Some((json!(3), "float_to_integer"))
        );
        assert_eq!(coerced(json!(1.5), json!({"type": "integer"})), None);
        assert_eq!(coerced(json!(1e300), json!({"type": "integer"})), None);
    }

    #[test]
    fn booleans_nulls_and_strings() {
        assert_eq!(
            coerced(json!("TRUE"), json!({"type": "boolean"})),
            Some((json!(true), "string_to_boolean"))
        );
        assert_eq!(coerced(json!("yes"), json!({"type": "boolean"})), None);
        assert_eq!(
            coerced(json!("None"), json!({"type": ["integer", "null"]})),
            Some((Value::Null, "string_to_null"))
        );
        assert_eq!(coerced(json!("null"), json!({"type": "integer"})), None);
        assert_eq!(
            coerced(json!(42), json!({"type": "string"})),
            Some((json!("42"), "number_to_string"))
        );
        assert_eq!(coerced(json!(true), json!({"type": "string"})), None);
    }

    #[test]
    fn encoded_containers() {
        assert_eq!(
            coerced(json!("{\"a\": 1}"), json!({"type": "object"})),
            Some((json!({"a": 1}), "decoded_json_string"))
        );
        assert_eq!(
            coerced(json!("[1, 2]"), json!({"type": "array"})),
            Some((json!([1, 2]), "decoded_json_string"))
        );
        assert_eq!(coerced(json!("[1, 2"), json!({"type": "array"})), None);
        assert_eq!(coerced(json!("[1]"), json!({"type": "object"})), None);
    }

    #[test]
    fn enum_case_only_when_unambiguous() {
        let schema = json!({"enum": ["high", "low", "Mid", "mid"]});
        assert_eq!(
            coerced(json!("HIGH"), schema.clone()),
            Some((json!("high"), "enum_case"))
        );
        assert_eq!(coerced(json!("MID"), schema.clone()), None);
        assert_eq!(coerced(json!("medium"), schema), None);
        assert_eq!(
            coerced(json!("2"), json!({"type": "integer", "enum": [1, 2]})),
            Some((json!(2), "string_to_integer"))
        );
        assert_eq!(coerced(json!("3"), json!({"type": "integer", "enum": [1, 2]})), None);
    }
}
