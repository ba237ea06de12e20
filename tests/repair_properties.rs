//! Properties of the repair reader and the fast path over generated documents: on valid JSON both
//! give exactly serde_json's value; on valid JSON with one benign damage the reader gives that
//! value back or refuses, never another value; nothing panics. `PROPTEST_CASES` sets the count.

use proptest::prelude::*;
use serde_json::{Map, Value};
use toolproof::args::duplicates::same_value;
use toolproof::args::fast_path::FastPlan;
use toolproof::args::repair::{repair, repair_refused};
use toolproof::limits::Limits;

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z_][a-zA-Z0-9_]{0,8}",
        any::<String>().prop_map(|s| s.chars().take(12).collect()),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,16}",
        any::<String>().prop_map(|s| s.chars().take(16).collect()),
        Just(r#"C:\Users\élise"#.to_owned()),
        Just(r#"{"nm": "BarChart", "mn": "chartModule"}"#.to_owned()),
        Just("it's \"quoted\", here".to_owned()),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        (-1000i64..1000, -30i32..30).prop_map(|(m, e)| Value::from(m as f64 * 10f64.powi(e))),
    ]
}

fn document() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

fn object() -> impl Strategy<Value = Value> {
    prop::collection::vec((key(), document()), 1..6)
        .prop_map(|members| Value::Object(members.into_iter().collect::<Map<String, Value>>()))
}

/// JSON text of `value`, compact or spaced, with numbers written as serde_json writes them or
/// with an explicit `+` in the exponent.
fn written(value: &Value, pretty: bool, plus_exponent: bool) -> String {
    let text = if pretty {
        serde_json::to_string_pretty(value).unwrap()
    } else {
        serde_json::to_string(value).unwrap()
    };
    if plus_exponent {
        plus_exponents(&text)
    } else {
        text
    }
}

/// `1e30` → `1e+30`, outside strings.
fn plus_exponents(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut previous_digit = false;
    for c in text.chars() {
        out.push(c);
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        if c == '"' {
            in_string = true;
        } else if (c == 'e' || c == 'E') && previous_digit {
            out.push('+');
        }
        previous_digit = c.is_ascii_digit();
    }
    out.replace("e+-", "e-").replace("e++", "e+")
}

fn damaged(text: &str, damage: u8) -> String {
    match damage {
        0 => format!("```json\n{text}\n```"),
        1 => format!("Here are the arguments: {text}"),
        2 => format!("{text}\nThat is all."),
        // A trailing comma before the last closing brace.
        _ => match text.rfind('}') {
            Some(end) if text[..end].trim_end().ends_with(['{']) => text.to_owned(),
            Some(end) => format!("{},{}", &text[..end], &text[end..]),
            None => text.to_owned(),
        },
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn valid_json_is_read_as_serde_json_reads_it(value in document(), pretty in any::<bool>(), plus in any::<bool>()) {
        let text = written(&value, pretty, plus);
        let expected: Value = serde_json::from_str(&text).unwrap();
        let limits = Limits::default();
        let repaired = repair(&text, &limits).expect("valid JSON is repaired into itself");
        prop_assert!(same_value(&repaired.value, &expected), "{text}: {}", repaired.value);
        prop_assert!(repaired.repairs.is_empty());
        // The character reader alone, which runs when serde_json refuses a text.
        if let Ok(read) = repair_refused(&text, &limits) {
            prop_assert!(same_value(&read.value, &expected), "{text}: reader gave {}", read.value);
        }
        // The fast path builds exactly serde_json's value, or gives up.
        if let Some(built) = FastPlan::anything().run_value(&text, &limits, &mut toolproof::args::fast_path::ValueBuilder) {
            prop_assert!(same_value(&built, &expected), "{text}: fast path gave {built}");
        }
    }

    #[test]
    fn benign_damage_gives_the_value_back_or_a_refusal(value in object(), pretty in any::<bool>(), plus in any::<bool>(), damage in 0u8..4) {
        let text = damaged(&written(&value, pretty, plus), damage);
        let expected: Value = serde_json::from_str(&written(&value, false, false)).unwrap();
        if let Ok(repaired) = repair(&text, &Limits::default()) {
            prop_assert!(same_value(&repaired.value, &expected), "{text}: {}", repaired.value);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let limits = Limits::default();
        let _ = repair(&text, &limits);
        let _ = FastPlan::anything().run_value(&text, &limits, &mut toolproof::args::fast_path::ValueBuilder);
    }

    #[test]
    fn cut_documents_never_panic(value in object(), cut in 0.0f64..1.0) {
        let text = written(&value, false, false);
        let mut end = ((text.len() as f64) * cut) as usize;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let _ = repair(&text[..end], &Limits::default());
    }
}
