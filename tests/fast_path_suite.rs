//! The fast path against the validator on the JSON-Schema-Test-Suite (draft 2020-12).
//!
//! On every test of the suite and on random instances made from the tests' data:
//! - whatever the fast path accepts, the validator accepts, and the value read is the instance;
//! - where a schema uses only keywords the fast path covers, it accepts exactly what the validator
//!   accepts, except what it leaves to the full road by design: a number written with a fraction
//!   where an integer is wanted, integers beyond 2^53, `enum`/`const` of floats or containers,
//!   `uniqueItems` over containers, `oneOf` whose branches a value may pass two of, `required`
//!   naming a property that is not declared.

use std::path::PathBuf;

use serde_json::{Map, Value};
use toolproof::args::fast_path::{FastPlan, ValueBuilder};
use toolproof::limits::Limits;
use toolproof::schema::validator::{CompileOptions, CompiledSchema};

const DRAFT: &str = "draft2020-12";

/// Keywords the fast path evaluates itself (or, for annotations, rightly ignores).
const COVERED_KEYWORDS: &[&str] = &[
    "type",
    "enum",
    "const",
    "pattern",
    "anyOf",
    "allOf",
    "$ref",
    "$defs",
    "definitions",
    "prefixItems",
    "items",
    "uniqueItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "properties",
    "required",
    "additionalProperties",
    "default",
    "format",
    "title",
    "description",
    "$comment",
    "examples",
    "$schema",
];

/// Keywords whose value is a schema, a list of schemas, or a map of schemas.
const SCHEMA_KEYWORDS: &[&str] = &[
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
];
const SCHEMA_LIST_KEYWORDS: &[&str] = &["anyOf", "oneOf", "allOf", "prefixItems"];
const SCHEMA_MAP_KEYWORDS: &[&str] = &[
    "properties",
    "$defs",
    "definitions",
    "patternProperties",
    "dependentSchemas",
];

fn suite_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("TOOLPROOF_CORPUS_DIR") {
        Some(root) => PathBuf::from(root).join("jsts"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/jsts"),
    };
    let tests = dir.join("tests").join(DRAFT);
    tests.is_dir().then_some(tests)
}

/// Whether every keyword of the schema, at any depth, is one the fast path covers, with only local
/// references and only the `enum`/`const` values it compares.
fn is_covered(schema: &Value) -> bool {
    let Value::Object(map) = schema else {
        return schema.is_boolean();
    };
    map.iter().all(|(keyword, value)| {
        if !COVERED_KEYWORDS.contains(&keyword.as_str()) {
            return false;
        }
        match keyword.as_str() {
            "$ref" => value.as_str().is_some_and(|r| r.starts_with("#/") || r == "#"),
            "$schema" => value.as_str().is_some_and(|d| d.contains("2020-12")),
            "enum" => value
                .as_array()
                .is_some_and(|values| values.iter().all(is_compared_scalar)),
            "const" => is_compared_scalar(value),
            "uniqueItems" => value.is_boolean(),
            "required" => value.as_array().is_some_and(|names| {
                let declared = map.get("properties").and_then(Value::as_object);
                names.iter().all(|name| {
                    name.as_str()
                        .is_some_and(|name| declared.is_some_and(|d| d.contains_key(name)))
                })
            }),
            _ if SCHEMA_KEYWORDS.contains(&keyword.as_str()) => is_covered(value),
            _ if SCHEMA_LIST_KEYWORDS.contains(&keyword.as_str()) => {
                value.as_array().is_some_and(|schemas| schemas.iter().all(is_covered))
            }
            _ if SCHEMA_MAP_KEYWORDS.contains(&keyword.as_str()) => value
                .as_object()
                .is_some_and(|schemas| schemas.values().all(is_covered)),
            _ => true,
        }
    })
}

fn is_compared_scalar(value: &Value) -> bool {
    match value {
        Value::Number(number) => number.is_i64(),
        Value::Array(_) | Value::Object(_) => false,
        _ => true,
    }
}

/// An instance the fast path leaves to the full road by design, wherever it sits.
fn left_to_the_full_road(value: &Value, unique_items: bool) -> bool {
    match value {
        Value::Number(number) => {
            number.is_u64() && !number.is_i64()
                || number.as_i64().is_some_and(|i| i.unsigned_abs() > 1 << 53)
                || number.as_f64().is_some_and(|f| f.fract() == 0.0 && number.is_f64())
        }
        Value::Array(items) => items.iter().any(|item| {
            unique_items && (item.is_array() || item.is_object()) || left_to_the_full_road(item, unique_items)
        }),
        Value::Object(map) => map.values().any(|item| left_to_the_full_road(item, unique_items)),
        _ => false,
    }
}

/// A tiny deterministic generator, so the check needs no extra crate.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn collect_values(value: &Value, pool: &mut Vec<Value>, keys: &mut Vec<String>) {
    pool.push(value.clone());
    match value {
        Value::Array(items) => items.iter().for_each(|item| collect_values(item, pool, keys)),
        Value::Object(map) => {
            for (key, item) in map {
                keys.push(key.clone());
                collect_values(item, pool, keys);
            }
        }
        _ => {}
    }
}

fn collect_keys(schema: &Value, keys: &mut Vec<String>) {
    if let Value::Object(map) = schema {
        for (keyword, value) in map {
            if keyword == "properties" {
                if let Value::Object(properties) = value {
                    keys.extend(properties.keys().cloned());
                }
            }
            collect_keys(value, keys);
        }
    } else if let Value::Array(items) = schema {
        items.iter().for_each(|item| collect_keys(item, keys));
    }
}

/// A variation of `value`: a part replaced by another value of the group, a key added or
/// removed, an item added or removed.
fn mutate(value: &Value, pool: &[Value], keys: &[String], rng: &mut Xorshift, depth: usize) -> Value {
    if depth > 4 || rng.below(4) == 0 {
        return pool[rng.below(pool.len())].clone();
    }
    match value {
        Value::Array(items) => {
            let mut items = items.clone();
            match rng.below(4) {
                0 if !items.is_empty() => {
                    let at = rng.below(items.len());
                    items[at] = mutate(&items[at], pool, keys, rng, depth + 1);
                }
                1 => items.push(pool[rng.below(pool.len())].clone()),
                2 if !items.is_empty() => {
                    items.remove(rng.below(items.len()));
                }
                _ => {
                    if let Some(first) = items.first().cloned() {
                        items.push(first);
                    }
                }
            }
            Value::Array(items)
        }
        Value::Object(map) => {
            let mut map: Map<String, Value> = map.clone();
            match rng.below(3) {
                0 if !map.is_empty() => {
                    let key = map.keys().nth(rng.below(map.len())).cloned().unwrap();
                    let changed = mutate(&map[&key], pool, keys, rng, depth + 1);
                    map.insert(key, changed);
                }
                1 if !keys.is_empty() => {
                    map.insert(keys[rng.below(keys.len())].clone(), pool[rng.below(pool.len())].clone());
                }
                _ if !map.is_empty() => {
                    let key = map.keys().nth(rng.below(map.len())).cloned().unwrap();
                    map.remove(&key);
                }
                _ => {}
            }
            Value::Object(map)
        }
        _ => pool[rng.below(pool.len())].clone(),
    }
}

#[derive(Default)]
struct Tally {
    instances: usize,
    accepted: usize,
    covered_valid: usize,
    failures: Vec<String>,
}

fn check(plan: &FastPlan, validator: &CompiledSchema, instance: &Value, covered: bool, tally: &mut Tally, what: &str) {
    let unique_items = validator.source().to_string().contains("\"uniqueItems\"");
    let text = instance.to_string();
    let valid = validator.is_valid(instance);
    let read = plan.run_value(&text, &Limits::default(), &mut ValueBuilder);
    tally.instances += 1;
    match read {
        Some(value) => {
            tally.accepted += 1;
            if !valid {
                tally
                    .failures
                    .push(format!("{what}: accepted an instance the validator refuses: {text}"));
            } else if value != *instance {
                tally.failures.push(format!("{what}: read {value} from {text}"));
            }
        }
        None => {
            if covered && valid && !left_to_the_full_road(instance, unique_items) {
                tally
                    .failures
                    .push(format!("{what}: left a valid instance to the full road: {text}"));
            }
        }
    }
    if covered && valid {
        tally.covered_valid += 1;
    }
}

#[test]
fn the_fast_path_agrees_with_the_validator_on_the_test_suite() {
    let Some(dir) = suite_dir() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "the JSON-Schema-Test-Suite is missing; set TOOLPROOF_CORPUS_DIR to the folder holding jsts/"
        );
        eprintln!("skipped: JSON-Schema-Test-Suite not found (set TOOLPROOF_CORPUS_DIR)");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.extend(
        [
            "optional/ecmascript-regex.json",
            "optional/non-bmp-regex.json",
            "optional/bignum.json",
        ]
        .iter()
        .map(|name| dir.join(name)),
    );
    files.sort();
    let mut tally = Tally::default();
    let mut covered_groups = 0;
    let mut rng = Xorshift(0x2545_f491_4f6c_dd1d);
    for file in &files {
        let groups: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let name = file.strip_prefix(&dir).unwrap().display().to_string();
        for group in &groups {
            let schema = &group["schema"];
            // Remote references are served by the Python tests; here only self-contained schemas.
            let Ok(validator) = CompiledSchema::compile(schema, &CompileOptions::default()) else {
                continue;
            };
            let Some(plan) = FastPlan::compile_for_values(schema, &CompileOptions::default()) else {
                continue;
            };
            let covered = is_covered(schema);
            covered_groups += usize::from(covered);
            let tests = group["tests"].as_array().unwrap();
            let mut pool = Vec::new();
            let mut keys = Vec::new();
            collect_keys(schema, &mut keys);
            for test in tests {
                collect_values(&test["data"], &mut pool, &mut keys);
            }
            let what = format!("{name} / {}", group["description"].as_str().unwrap_or(""));
            for test in tests {
                check(&plan, &validator, &test["data"], covered, &mut tally, &what);
                for _ in 0..40 {
                    let instance = mutate(&test["data"], &pool, &keys, &mut rng, 0);
                    check(&plan, &validator, &instance, covered, &mut tally, &what);
                }
            }
        }
    }
    eprintln!(
        "{} instances over {} files, {covered_groups} groups of covered keywords; the fast path accepted {}, \
         {} valid under covered schemas",
        tally.instances,
        files.len(),
        tally.accepted,
        tally.covered_valid
    );
    assert!(
        covered_groups > 150,
        "too few covered groups to be a test: {covered_groups}"
    );
    assert!(
        tally.accepted > 5_000,
        "too few accepted instances to be a test: {}",
        tally.accepted
    );
    let mut shown: Vec<String> = Vec::new();
    for failure in &tally.failures {
        let group = failure.split(": ").next().unwrap_or("");
        if !shown.iter().any(|s| s.starts_with(group)) {
            shown.push(failure.clone());
        }
    }
    assert!(
        tally.failures.is_empty(),
        "{} disagreements, the first of each group:\n{}",
        tally.failures.len(),
        shown.join("\n")
    );
}
