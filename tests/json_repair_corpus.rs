//! The repair road against the cases of the json_repair test-suite.
//!
//! Each case json_repair answers with a value is compared by parsed value. A case without a schema
//! goes through what `repair_json` does: serde_json first, `repair` only if serde_json refuses. A
//! case with a schema goes through the whole argument road for that schema (repair, coercion,
//! validation) with meaning-changing repairs allowed, as json_repair allows them. Some cases are
//! answered differently on purpose; each one is listed with its reason in
//! `tests/data/json_repair_differences.json`, and the list must match the disagreements exactly, so
//! it cannot go stale in either direction.
//!
//! Case ids repeat in the corpus when one upstream test line asserts several inputs; the second and
//! later cases with the same id are named `<id>#2`, `<id>#3`, ... in corpus order.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;
use toolproof::args::conform::Mode;
use toolproof::args::repair::repair;
use toolproof::args::road::{ArgumentRoad, RoadOptions, Root};
use toolproof::limits::Limits;

/// The share of cases that must agree; the exact list of differences guards every other case.
const MINIMUM_AGREEMENT: f64 = 0.90;

#[derive(Deserialize)]
struct Case {
    id: String,
    input: String,
    #[serde(default)]
    options: Option<Value>,
    expected_kind: String,
    expected: Value,
}

impl Case {
    fn schema(&self) -> Option<&Value> {
        self.options.as_ref().and_then(|options| options.get("schema"))
    }
}

#[derive(Deserialize)]
struct Difference {
    id: String,
    reason: String,
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("TOOLPROOF_CORPUS_DIR") {
        Some(root) => PathBuf::from(root).join("jsonrepair"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/jsonrepair"),
    };
    dir.join("cases.json").is_file().then_some(dir)
}

/// json_repair's answer as a value; None where it answered `""`, which it does both when it gives
/// up and when the repaired value is the empty string.
fn expected_value(case: &Case) -> Option<Value> {
    match (&case.expected_kind[..], &case.expected) {
        (_, Value::String(text)) if text.is_empty() => None,
        ("json_text", Value::String(text)) => Some(
            serde_json::from_str(text)
                .unwrap_or_else(|error| panic!("{}: expected text is not JSON: {error}", case.id)),
        ),
        (_, value) => Some(value.clone()),
    }
}

fn agrees(expected: &Option<Value>, ours: &Option<Value>) -> bool {
    match (expected, ours) {
        (None, Some(Value::String(text))) => text.is_empty(),
        _ => expected == ours,
    }
}

/// What `repair_json` answers: the value, or None for a refusal.
fn repaired_value(input: &str, limits: &Limits) -> Option<Value> {
    match serde_json::from_str::<Value>(input) {
        Ok(value) => Some(value),
        Err(_) => repair(input, limits).ok().map(|repaired| repaired.value),
    }
}

/// What the road for `schema` answers: the value, or None for a refusal.
fn road_value(input: &str, schema: &Value) -> Option<Value> {
    let options = RoadOptions {
        root: Root::AnyValue,
        allow_meaning_changes: true,
        ..RoadOptions::default()
    };
    let road = ArgumentRoad::compile(schema, options).ok()?;
    road.parse_text(input, Mode::Lenient).ok().map(|parsed| parsed.value)
}

fn show(value: &Option<Value>) -> String {
    value.as_ref().map_or_else(|| "(refused)".to_owned(), Value::to_string)
}

#[test]
fn agrees_with_json_repair_except_where_documented() {
    let Some(dir) = corpus_dir() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "the json_repair corpus is missing; set TOOLPROOF_CORPUS_DIR to the folder holding jsonrepair/"
        );
        eprintln!("skipped: json_repair corpus not found (set TOOLPROOF_CORPUS_DIR)");
        return;
    };
    let cases: Vec<Case> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).expect("cases.json is readable"))
            .expect("cases.json is a list of cases");

    let documented: Vec<Difference> = serde_json::from_str(include_str!("data/json_repair_differences.json"))
        .expect("json_repair_differences.json is a list of {id, reason}");
    let mut documented_ids = BTreeSet::new();
    for difference in &documented {
        assert!(
            difference.reason.trim().len() >= 20,
            "{}: the reason must say why toolproof answers differently",
            difference.id
        );
        assert!(
            documented_ids.insert(difference.id.clone()),
            "{} is listed twice",
            difference.id
        );
    }

    let limits = Limits::default();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut disagreements = BTreeMap::new();
    let (mut total, mut schema_total, mut schema_disagreements) = (0, 0, 0);
    for case in &cases {
        if !matches!(&case.expected_kind[..], "value" | "json_text") {
            continue;
        }
        let occurrence = seen.entry(&case.id).or_insert(0);
        *occurrence += 1;
        let name = if *occurrence == 1 {
            case.id.clone()
        } else {
            format!("{}#{occurrence}", case.id)
        };
        total += 1;
        let expected = expected_value(case);
        let ours = match case.schema() {
            Some(schema) => {
                schema_total += 1;
                road_value(&case.input, schema)
            }
            None => repaired_value(&case.input, &limits),
        };
        if !agrees(&expected, &ours) {
            schema_disagreements += usize::from(case.schema().is_some());
            let detail = format!(
                "input:    {:?}\n    json_repair: {}\n    toolproof:   {}",
                case.input,
                show(&expected),
                show(&ours)
            );
            disagreements.insert(name, detail);
        }
    }

    let agreed = total - disagreements.len();
    let share = agreed as f64 / total as f64;
    println!(
        "json_repair corpus: {agreed}/{total} cases agree ({:.1}%); {} answered differently on purpose \
         ({} of {schema_total} schema-guided cases)",
        share * 100.0,
        disagreements.len(),
        schema_disagreements
    );

    let undocumented: Vec<String> = disagreements
        .iter()
        .filter(|(name, _)| !documented_ids.contains(*name))
        .map(|(name, detail)| format!("{name}\n    {detail}"))
        .collect();
    let stale: Vec<&String> = documented_ids
        .iter()
        .filter(|id| !disagreements.contains_key(*id))
        .collect();
    assert!(
        undocumented.is_empty(),
        "{} disagreements are not in json_repair_differences.json:\n{}",
        undocumented.len(),
        undocumented.join("\n")
    );
    assert!(
        stale.is_empty(),
        "json_repair_differences.json lists cases that now agree (or do not exist): {stale:?}"
    );
    assert!(
        share >= MINIMUM_AGREEMENT,
        "agreement {:.1}% is below {:.0}%",
        share * 100.0,
        MINIMUM_AGREEMENT * 100.0
    );
}
