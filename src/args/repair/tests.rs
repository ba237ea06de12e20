use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::limits::HARD_MAX_DEPTH;
use RepairKind::*;

fn repaired(text: &str) -> Repaired {
    repair(text, &Limits::default()).unwrap_or_else(|error| panic!("{text:?} was refused: {error}"))
}

fn value(text: &str) -> Value {
    repaired(text).value
}

fn kinds(text: &str) -> Vec<RepairKind> {
    repaired(text).repairs.iter().map(|repair| repair.kind).collect()
}

fn only_record(text: &str, kind: RepairKind) -> Repair {
    let mut repairs: Vec<Repair> = repaired(text)
        .repairs
        .into_iter()
        .filter(|repair| repair.kind == kind)
        .collect();
    assert_eq!(repairs.len(), 1, "{text:?}: {repairs:?}");
    repairs.remove(0)
}

fn refused(text: &str) -> RepairError {
    refused_with(text, &Limits::default())
}

fn refused_with(text: &str, limits: &Limits) -> RepairError {
    match repair(text, limits) {
        Ok(repaired) => panic!("{text:?} was repaired into {}", repaired.value),
        Err(error) => error,
    }
}

// ----- each repair kind ----------------------------------------------------------------

#[test]
fn markdown_fences_are_removed() {
    assert_eq!(value("```json\n{\"a\": 1}\n```"), json!({"a": 1}));
    assert_eq!(kinds("```json\n{\"a\": 1}\n```"), [MarkdownFence]);
    assert_eq!(
        only_record("```json\n{\"a\": 1}\n```", MarkdownFence).before,
        json!("```json")
    );
    assert_eq!(value("```\n[1, 2]\n```"), json!([1, 2]));
    assert_eq!(value("````{ \"a\": \"b\" }```"), json!({"a": "b"}));
    // A fence the text ends inside of, and a closing fence with no opening one.
    assert_eq!(value("```json\n{\"a\": 1}"), json!({"a": 1}));
    assert_eq!(kinds("{\"a\": [1]}\n```"), [MarkdownFence]);
    // Backticks inside a string are text, not a fence.
    assert_eq!(value("{\"a\": \"```json\", 'b': 1}"), json!({"a": "```json", "b": 1}));
    assert_eq!(value("```json\n(1, 2)\n```"), json!([1, 2]));
    // A fenced document where a string should start is the value.
    assert_eq!(
        value("{\"key\": \"```json {\"a\": [1, 2]}```\"}"),
        json!({"key": {"a": [1, 2]}})
    );
    assert!(refused("```\nTrue that\n```").message.contains("no JSON object"));
}

#[test]
fn prose_around_the_document_is_dropped() {
    let text = "Sure! Here it is:\n{\"a\": 1}\nHope this helps.";
    assert_eq!(value(text), json!({"a": 1}));
    assert_eq!(kinds(text), [SurroundingText, SurroundingText]);
    let records = repaired(text).repairs;
    assert_eq!(records[0].before, json!("Sure! Here it is:"));
    assert_eq!(records[1].before, json!("Hope this helps."));
    assert_eq!(records[1].after, json!(""));
    assert_eq!(
        kinds("Result:\n```json\n{\"a\": 1}\n```\nDone."),
        [SurroundingText, MarkdownFence, SurroundingText]
    );
    // A valid document after prose is read exactly as serde_json reads it.
    let text = "Here is your JSON:\n{\"text\": \"a\\n b, floof: c\", \"id\": 8}";
    assert_eq!(value(text), json!({"text": "a\n b, floof: c", "id": 8}));
    assert_eq!(kinds(text), [SurroundingText]);
}

#[test]
fn brackets_in_prose_before_the_document_are_skipped() {
    assert_eq!(value("Use {braces} like so: {\"a\": 1}"), json!({"a": 1}));
    assert_eq!(value("{ this is prose } {\"a\": 1}"), json!({"a": 1}));
    assert_eq!(value("(1) Keep this note.\n```json\n{\"a\": 1}\n```"), json!({"a": 1}));
    assert_eq!(value("note (clarification): {\"a\": 1}"), json!({"a": 1}));
    assert_eq!(value("Use ``` for code. [1, 2]"), json!([1, 2]));
    // Without a document after it, a bracket of words is the document.
    assert_eq!(value("[sic]"), json!(["sic"]));
}

#[test]
fn trailing_commas_are_removed() {
    let text = "{\"a\": [1, 2,], }";
    assert_eq!(value(text), json!({"a": [1, 2]}));
    let records = repaired(text).repairs;
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|record| record.kind == TrailingComma));
    assert_eq!(records[0].path.to_string(), "a");
    assert_eq!(records[0].before, json!("{\"a\": [1, 2,], }"));
    assert_eq!(records[0].after, json!("{\"a\": [1, 2], }"));
    assert!(records[1].path.is_root());
    assert_eq!(records[1].after, json!("{\"a\": [1, 2,] }"));
    // Whitespace before the comma does not let the object swallow what follows it.
    assert_eq!(value("{\"x\": {\"a\": 1 ,}, \"y\": 2}"), json!({"x": {"a": 1}, "y": 2}));
}

#[test]
fn missing_commas_are_inserted() {
    assert_eq!(value("{\"a\": 1 \"b\": 2}"), json!({"a": 1, "b": 2}));
    assert_eq!(value("[1 2\n3]"), json!([1, 2, 3]));
    // Python reads strings side by side as one, and the text is a Python literal.
    assert_eq!(value("[\"a\" \"b\"]"), json!(["ab"]));
    assert_eq!(value("[\"a\" \"b\" true]"), json!(["a", "b", true]));
    assert_eq!(value("[{\"a\": 1} {\"a\": 2}]"), json!([{"a": 1}, {"a": 2}]));
    let record = only_record("{\"a\": 1 \"b\": 2}", MissingComma);
    assert_eq!(record.before, json!("{\"a\": 1 \"b\": 2}"));
    assert_eq!(record.after, json!("{\"a\": 1, \"b\": 2}"));
    assert_eq!(only_record("[1 2]", MissingComma).path.to_string(), "[1]");
}

#[test]
fn missing_colons_after_keys_are_inserted() {
    assert_eq!(value("{\"a\" 1, \"b\" \"x\"}"), json!({"a": 1, "b": "x"}));
    let record = only_record("{\"a\" 1}", MissingColon);
    assert_eq!(record.path.to_string(), "a");
    assert_eq!(record.after, json!("{\"a\": 1}"));
    // A comma where the colon belongs.
    assert_eq!(value("{\"key\", 105}"), json!({"key": 105}));
    assert_eq!(
        only_record("{\"key\", 105}", MissingColon).after,
        json!("{\"key\": 105}")
    );
}

#[test]
fn single_quotes_are_requoted() {
    let text = "{'a': 'it\\'s \"x\"'}";
    assert_eq!(value(text), json!({"a": "it's \"x\""}));
    let records = repaired(text).repairs;
    assert_eq!(records.len(), 2);
    assert!(records
        .iter()
        .all(|record| record.kind == SingleQuotes && record.path.to_string() == "a"));
    assert_eq!(records[0].before, json!("'a'"));
    assert_eq!(records[0].after, json!("\"a\""));
    assert_eq!(value("['x', 'y']"), json!(["x", "y"]));
}

#[test]
fn typographic_quotes_are_read_as_quotes() {
    let text = "{\u{201C}a\u{201D}: \u{201C}b \u{2014} c\u{201D}}";
    assert_eq!(value(text), json!({"a": "b \u{2014} c"}));
    assert_eq!(kinds(text), [TypographicQuotes, TypographicQuotes]);
    let record = &repaired(text).repairs[1];
    assert_eq!(record.path.to_string(), "a");
    assert_eq!(record.after, json!("\"b \u{2014} c\""));
    // A low quote opens a quotation inside the string, closed by a high one or a `"`.
    assert_eq!(
        value("{\"a\": \"er sagte \u{201E}ja\u{201D} und ging\",}"),
        json!({"a": "er sagte \u{201E}ja\u{201D} und ging"})
    );
}

#[test]
fn unquoted_keys_are_quoted() {
    assert_eq!(
        value("{a: 1, b_c: 2, $d: 3, _e: 4, 5: 5}"),
        json!({"a": 1, "b_c": 2, "$d": 3, "_e": 4, "5": 5})
    );
    let record = only_record("{\"x\": {name: 1}}", UnquotedKey);
    assert_eq!(record.path.to_string(), "x.name");
    assert_eq!((record.before, record.after), (json!("name"), json!("\"name\"")));
}

#[test]
fn unquoted_strings_are_quoted() {
    assert_eq!(
        value("{\"city\": New York, \"n\": 1}"),
        json!({"city": "New York", "n": 1})
    );
    assert_eq!(value("[1, 2notanumber, 10-20]"), json!([1, "2notanumber", "10-20"]));
    assert_eq!(value("{\"url\": http://x.com/a}"), json!({"url": "http://x.com/a"}));
    assert_eq!(value("{\"key\", 105,12,"), json!({"key": "105,12"}));
    let record = only_record("{\"a\": [New York]}", UnquotedString);
    assert_eq!(record.path.to_string(), "a[0]");
    assert_eq!(
        (record.before, record.after),
        (json!("New York"), json!("\"New York\""))
    );
    // A quoted string whose closing quote is missing before the next member.
    assert_eq!(value("{\"a\": \"x, \"b\": 1}"), json!({"a": "x", "b": 1}));
    assert_eq!(
        only_record("{\"a\": \"x, \"b\": 1}", UnquotedString).path.to_string(),
        "a"
    );
}

#[test]
fn comments_are_removed() {
    let text = "{\n  // the id\n  \"a\": 1, /* inline */ \"b\": 2 # python style\n}";
    assert_eq!(value(text), json!({"a": 1, "b": 2}));
    assert_eq!(kinds(text), [Comment, Comment, Comment]);
    let records = repaired(text).repairs;
    assert_eq!(records[0].before, json!("// the id"));
    assert_eq!(records[1].before, json!("/* inline */"));
    assert_eq!(records[2].before, json!("# python style"));
    assert_eq!(value("[1, // one ]\n 2]"), json!([1, 2]));
    // A `#` comment in a value ends where the object can end.
    assert_eq!(
        value("{ \"key\": { \"key2\": \"value2\" # comment }, \"key3\": \"value3\" }"),
        json!({"key": {"key2": "value2"}, "key3": "value3"})
    );
    assert_eq!(value("/* header */ {\"a\": 1}"), json!({"a": 1}));
}

#[test]
fn python_literals_become_json() {
    let text = "{\"a\": True, \"b\": False, \"c\": None}";
    assert_eq!(value(text), json!({"a": true, "b": false, "c": null}));
    assert_eq!(kinds(text), [PythonLiteral, PythonLiteral, PythonLiteral]);
    let record = &repaired(text).repairs[0];
    assert_eq!((&record.before, &record.after), (&json!("True"), &json!("true")));
    // Any spelling of the JSON literals.
    assert_eq!(value("[TRUE, Null, fAlSe]"), json!([true, null, false]));
    assert_eq!(kinds("[TRUE, Null, fAlSe]"), [PythonLiteral; 3]);
}

#[test]
fn non_finite_numbers_become_null() {
    let text = "[NaN, Infinity, -Infinity, nan, -inf]";
    assert_eq!(value(text), json!([null, null, null, null, null]));
    assert_eq!(kinds(text), [NonFiniteNumber; 5]);
    let record = only_record("{\"x\": -Infinity}", NonFiniteNumber);
    assert_eq!((record.before, record.after), (json!("-Infinity"), json!("null")));
    assert_eq!(record.path.to_string(), "x");
}

#[test]
fn truncated_documents_are_closed_after_a_complete_value() {
    let text = "{\"a\": [1, 2";
    assert_eq!(value(text), json!({"a": [1, 2]}));
    // The text ends on a digit: `2` may have been cut from `20`, which the road will not trust.
    let records = repaired(text).repairs;
    assert_eq!(records.len(), 3);
    assert_eq!(records[0].kind, TruncatedNumber);
    assert!(records[1..].iter().all(|record| record.kind == Truncated));
    assert_eq!(records[1].path.to_string(), "a");
    assert_eq!(
        (&records[1].before, &records[1].after),
        (&json!("{\"a\": [1, 2"), &json!("{\"a\": [1, 2]"))
    );
    assert!(records[2].path.is_root());
    assert_eq!(records[2].after, json!("{\"a\": [1, 2]}"));
    assert_eq!(kinds("{\"a\": 1.5"), [TruncatedNumber, Truncated]);
    assert_eq!(kinds("{\"a\": 1.5 "), [Truncated]);
    assert_eq!(kinds("[true"), [Truncated]);

    assert_eq!(value("{\"a\": \"x\""), json!({"a": "x"}));
    assert_eq!(kinds("{\"a\": \"x\""), [Truncated]);
    assert_eq!(value("{\"a\": 1.5"), json!({"a": 1.5}));
    assert_eq!(value("[true"), json!([true]));
    assert_eq!(value("{\"a\": {"), json!({"a": {}}));
    assert_eq!(value("["), json!([]));
    assert_eq!(value("{\"a\": 1 /* the rest"), json!({"a": 1}));
    // A dangling comma: the list may have gone on, but every item it holds is complete.
    assert_eq!(value("[1, 2,"), json!([1, 2]));
    assert_eq!(kinds("[1, 2,"), [TrailingComma, Truncated]);
    assert_eq!(only_record("[1, 2,", Truncated).after, json!("[1, 2,]"));
}

#[test]
fn a_number_cut_before_its_fraction_or_exponent_is_recorded_as_possibly_cut() {
    // `12.` may have been `12.5`, `1e+` may have been `1e+9`: each reads as some other value.
    for text in [
        "{\"a\": 12.",
        "[1, 2.",
        "{\"a\": 1e+",
        "{\"a\": 1.5E-",
        "{\"a\": .",
        "{\"a\": [3.",
    ] {
        let records = repaired(text).repairs;
        assert!(
            records.iter().any(|record| record.kind == TruncatedNumber),
            "{text}: {:?}",
            records.iter().map(|record| record.kind).collect::<Vec<_>>()
        );
    }
    // Written out in full, followed by a space, or a word that is not a number: not cut.
    assert!(!kinds("{\"a\": 12. ").contains(&TruncatedNumber));
    assert!(!kinds("{\"a\": true").contains(&TruncatedNumber));
    assert!(!kinds("{\"a\": \"x-\"").contains(&TruncatedNumber));
}

#[test]
fn a_number_the_text_ends_inside_is_recorded_at_its_own_path_before_what_was_read_after_it() {
    // The reader reads `1e` as 1 and the `e` as a key cut off without a value, as json_repair
    // does; what was cut is the number, and the first record that may change the meaning says so.
    for (text, path) in [
        ("{\"a\": 12.", "a"),
        ("{\"a\": 1e", "a"),
        ("{\"a\": -", "a"),
        ("{\"a\": 1.5E", "a"),
        ("{\"a\": 1e+", "a"),
        ("{'a': 1e", "a"),
        ("[1e", "[0]"),
        ("{\"a\": [1, 2", "a[1]"),
        ("{\"a\": 1, \"b\": 2", "b"),
        ("{\"a\": {\"b\": 1e", "a.b"),
        ("{\"a\": [\"x\", {\"b\": -", "a[1].b"),
    ] {
        let repairs = repaired(text).repairs;
        let first_loss = repairs
            .iter()
            .find(|repair| repair.kind.may_alter_meaning())
            .unwrap_or_else(|| panic!("{text:?}: {repairs:?}"));
        assert_eq!(
            (first_loss.kind, first_loss.path.to_string()),
            (TruncatedNumber, path.to_owned()),
            "{text:?}: {repairs:?}"
        );
    }
    // What the reader makes of the rest is unchanged.
    assert_eq!(value("{\"a\": 1e"), json!({"a": 1}));
    assert_eq!(value("{\"a\": -"), json!({"a": ""}));
    assert_eq!(value("[1e"), json!([1, "e"]));
}

#[test]
fn control_characters_in_strings_are_escaped() {
    let text = "{\"a\": \"line 1\nline 2\tend\", \"b\": 1,}";
    assert_eq!(value(text), json!({"a": "line 1\nline 2\tend", "b": 1}));
    let records: Vec<Repair> = repaired(text)
        .repairs
        .into_iter()
        .filter(|record| record.kind == ControlCharacter)
        .collect();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|record| record.path.to_string() == "a"));
    assert_eq!((&records[0].before, &records[0].after), (&json!("\n"), &json!("\\n")));
    assert_eq!(value("\"a\tb\""), json!("a\tb"));
    assert_eq!(kinds("\"a\tb\""), [ControlCharacter]);
}

#[test]
fn invalid_escapes_are_kept_literally() {
    assert_eq!(
        value("{\"re\": \"\\d+\\s\", \"n\": 1,}"),
        json!({"re": "\\d+\\s", "n": 1})
    );
    let record = &repaired("{\"re\": \"\\d\",}").repairs[0];
    assert_eq!(record.kind, InvalidEscape);
    assert_eq!((&record.before, &record.after), (&json!("\\d"), &json!("\\\\d")));
    assert_eq!(value("[\"\\ud800 alone\",]"), json!(["\\ud800 alone"]));
    assert_eq!(value("[\"\\u12\",]"), json!(["\\u12"]));
    assert_eq!(value("[\"\\é\",]"), json!(["\\é"]));
    // An escaped quote that needs no escape, and `\x41`, read as what they stand for.
    assert_eq!(value("{\"a\": \"it\\'s\"}"), json!({"a": "it's"}));
    assert_eq!(kinds("{\"a\": \"it\\'s\"}"), [InvalidEscape]);
    assert_eq!(
        value("{\"a\": \"\\u201ex\\\u{201E}\",}"),
        json!({"a": "\u{201E}x\u{201E}"})
    );
    assert_eq!(value("[\"\\x41\",]"), json!(["A"]));
    // A regex keeps its escapes and the quotes of its character class.
    assert_eq!(
        value("{\"regex\": \"^\\s*path\\(\\s*['\"]([^'\"]+)['\"]\\s*,\"}"),
        json!({"regex": "^\\s*path\\(\\s*['\"]([^'\"]+)['\"]\\s*,"})
    );
}

#[test]
fn valid_escapes_decode_like_serde_json() {
    let text = r#"["\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t",]"#;
    assert_eq!(value(text), json!(["é😀\"\\/\u{8}\u{c}\n\r\t"]));
    // Runs of escaped backslashes stay runs, also at the end of a string.
    assert_eq!(value(r#"{"key": "a\\\\b\\\\c",}"#), json!({"key": "a\\\\b\\\\c"}));
    assert_eq!(value(r#"{"command": "dir C:\\",}"#), json!({"command": "dir C:\\"}));
    assert_eq!(value(r#"{"C:\\": [1, 2,]}"#), json!({"C:\\": [1, 2]}));
}

#[test]
fn concatenated_documents_are_all_returned() {
    assert_eq!(value("{\"a\": 1}{\"b\": 2}"), json!([{"a": 1}, {"b": 2}]));
    assert_eq!(kinds("{\"a\": 1}\n{\"b\": 2}"), [ConcatenatedDocuments]);
    assert_eq!(only_record("[1] [2, 3]", ConcatenatedDocuments).before, json!("[2, 3]"));
    // An empty document gives way, and a repeat of the same shape is an update.
    assert_eq!(value("[]{\"a\": 1}"), json!({"a": 1}));
    assert_eq!(value("{\"a\": 1}\n{\"a\": 2}"), json!({"a": 2}));
    assert_eq!(value("{\"a\": 1}, {\"a\": 2}"), json!([{"a": 1}, {"a": 2}]));
}

#[test]
fn unescaped_quotes_inside_strings_are_kept() {
    let text = "{\"html\": \"<a href=\"x\">link</a>\"}";
    assert_eq!(value(text), json!({"html": "<a href=\"x\">link</a>"}));
    let record = only_record(text, UnescapedQuote);
    assert_eq!(record.path.to_string(), "html");
    assert_eq!(record.after, json!("\"<a href=\\\"x\\\">link</a>\""));
    assert_eq!(value("[\"lorem \"ipsum\" sic\"]"), json!(["lorem \"ipsum\" sic"]));
    assert_eq!(value("{\"k\"e\"y\": \"value\"}"), json!({"k\"e\"y": "value"}));
    assert_eq!(
        value("{\"key\": \"Lorem \"ipsum\" s,\"}"),
        json!({"key": "Lorem \"ipsum\" s,"})
    );
    assert_eq!(
        value("{\"x\": \"a, {\"k\": {\"n\": 1}}, \"y\": 2}"),
        json!({"x": "a, {\"k\": {\"n\": 1}}", "y": 2})
    );
}

#[test]
fn a_line_break_before_the_closing_quote_is_dropped() {
    let text = "{\"a\": \"line one\n\", \"b\": \"x\",}";
    assert_eq!(value(text), json!({"a": "line one", "b": "x"}));
    let record = only_record(text, TrailingLineBreak);
    assert_eq!(record.path.to_string(), "a");
    // An escaped line break is content.
    assert_eq!(value("{\"a\": \"line\\n\", \"b\": 1,}"), json!({"a": "line\n", "b": 1}));
    // So it stays when a raw one follows it, as do spaces written before a raw one.
    assert_eq!(value("{\"a\": \"line\\n\n\"}"), json!({"a": "line\n"}));
    assert_eq!(value("{\"a\": \"line\\t \r\n\n\"}"), json!({"a": "line\t "}));
    let record = only_record("{\"a\": \"line \r\n\n\"}", TrailingLineBreak);
    assert_eq!(record.before, json!("\\r\\n\\n\""));
    assert_eq!(record.after, json!("\""));
    assert_eq!(value("['x\n']"), json!(["x"]));
}

#[test]
fn loosely_written_numbers_are_read() {
    let text = "{\"n\": 1_000, \"m\": .5, \"k\": 1., \"z\": 007, \"e\": 1e }";
    assert_eq!(value(text), json!({"n": 1000, "m": 0.5, "k": 1.0, "z": 7, "e": 1}));
    let record = &repaired(text).repairs[0];
    assert_eq!(record.kind, LenientNumber);
    assert_eq!((&record.before, &record.after), (&json!("1_000"), &json!("1000")));
    assert_eq!(record.path.to_string(), "n");
    assert_eq!(value("[1.5e3,]"), json!([1500.0]));
}

#[test]
fn tuples_and_sets_become_arrays() {
    assert_eq!(
        value("{\"t\": (1, 2), \"one\": (1,), \"e\": (), \"p\": (\"x\")}"),
        json!({"t": [1, 2], "one": [1], "e": [], "p": "x"})
    );
    assert_eq!(value("((1, 2), (3, 4))"), json!([[1, 2], [3, 4]]));
    let record = only_record("{\"t\": (1, 2)}", TupleToArray);
    assert_eq!(record.path.to_string(), "t");
    assert_eq!((record.before, record.after), (json!("(1, 2)"), json!("[1,2]")));
    // A set literal is a list.
    assert_eq!(value("{'key1', 'key2'}"), json!(["key1", "key2"]));
    assert_eq!(only_record("{'a', 'b'}", TupleToArray).after, json!("[\"a\",\"b\"]"));
}

#[test]
fn mismatched_brackets_are_corrected() {
    assert_eq!(value("{\"a\": [1, 2}"), json!({"a": [1, 2]}));
    assert_eq!(kinds("{\"a\": [1, 2}"), [MismatchedBracket]);
    assert_eq!(value("[{\"a\": 1]"), json!([{"a": 1}]));
    assert_eq!(
        value("{\"key1\": [\"value1\", \"value2\"}, \"key2\": [\"value3\", \"value4\"]}"),
        json!({"key1": ["value1", "value2"], "key2": ["value3", "value4"]})
    );
    // A `:` in a list means an object was not opened.
    assert_eq!(value("[\"key\": \"value\"]"), json!([{"key": "value"}]));
    // Members after an object closed too early belong to it.
    assert_eq!(
        value("{\"key\": \"value\"}, \"key2\": \"value2\"}"),
        json!({"key": "value", "key2": "value2"})
    );
    // A list that goes on after its `]` continues.
    assert_eq!(
        value("{ \"key\": [\"a\"], [\"b\"], \"key3\": 1 }"),
        json!({"key": ["a", "b"], "key3": 1})
    );
    // A repeated key inside a list starts the next object.
    assert_eq!(value("[{\"a\": 1 \"a\": 2}]"), json!([{"a": 1}, {"a": 2}]));
    let record = only_record("[{\"a\": 1]", MismatchedBracket);
    assert_eq!(record.path.to_string(), "[0]");
}

#[test]
fn stray_text_is_dropped() {
    assert_eq!(value("{\"a\": 1 @@ \"b\": 2}"), json!({"a": 1, "b": 2}));
    assert_eq!(only_record("{\"a\": 1 @@ \"b\": 2}", DroppedText).before, json!("@@"));
    assert_eq!(value("[1,,2]"), json!([1, 2]));
    assert_eq!(kinds("[1,,2]"), [DroppedText]);
    assert_eq!(
        value("{\"value_1\": true, COMMENT \"value_2\": \"data\"}"),
        json!({"value_1": true, "value_2": "data"})
    );
    assert_eq!(
        value("[{\"key\":\"value\"}},{\"key\":\"value\"}]"),
        json!([{"key": "value"}, {"key": "value"}])
    );
}

#[test]
fn escaped_documents_are_unescaped() {
    let text = "{\\\"key\\\": \\\"value\\\"}";
    assert_eq!(value(text), json!({"key": "value"}));
    let record = only_record(text, EscapedDocument);
    assert_eq!(record.after, json!("{\"key\": \"value\"}"));
}

#[test]
fn strings_cut_off_by_the_end_are_closed() {
    let text = "{\"path\": \"/etc/pa";
    assert_eq!(value(text), json!({"path": "/etc/pa"}));
    let record = only_record(text, TruncatedString);
    assert_eq!(record.path.to_string(), "path");
    assert_eq!(
        (record.before, record.after),
        (json!("\"/etc/pa"), json!("\"/etc/pa\""))
    );
    assert_eq!(value("{\"key\": \"value}"), json!({"key": "value"}));
    assert_eq!(kinds("{\"key\": \"value}"), [TruncatedString]);
    assert_eq!(value("[\"a\", \"b"), json!(["a", "b"]));
    assert_eq!(
        value("{\"a\": \"ends in a backslash\\"),
        json!({"a": "ends in a backslash\\"})
    );
    // Unquoted text running to the end may be cut off too.
    assert_eq!(value("{\"a\": hello"), json!({"a": "hello"}));
    assert!(kinds("{\"a\": hello").contains(&TruncatedString));
    assert_eq!(value("{\"a\": tru"), json!({"a": "tru"}));
}

#[test]
fn keys_without_values_get_an_empty_one() {
    let text = "{\"a\": 1, \"b\": }";
    assert_eq!(value(text), json!({"a": 1, "b": ""}));
    let record = only_record(text, MissingValue);
    assert_eq!(record.path.to_string(), "b");
    assert_eq!(record.after, json!("{\"a\": 1, \"b\": \"\"}"));
    assert_eq!(
        value("{\"key\": , \"key2\": \"value2\"}"),
        json!({"key": "", "key2": "value2"})
    );
    assert_eq!(value("{\"a\": 1, \"b\":"), json!({"a": 1, "b": ""}));
    // A key with nothing after it is dropped, and that is recorded too.
    assert_eq!(value("{\"a\": 1, \"b\""), json!({"a": 1}));
    assert_eq!(only_record("{\"a\": 1, \"b\"", MissingValue).path.to_string(), "b");
}

#[test]
fn ellipses_are_dropped() {
    assert_eq!(value("[1, 2, ...]"), json!([1, 2]));
    assert_eq!(kinds("[1, 2, ...]"), [Ellipsis]);
    assert_eq!(value("[1, 2, ... , 3]"), json!([1, 2, 3]));
    assert_eq!(only_record("{\"a\": [true, ...]}", Ellipsis).path.to_string(), "a[1]");
}

#[test]
fn valid_json_needs_no_repairs() {
    for text in [
        "{}",
        "[]",
        "{\"a\": [1, -2.5e-3, 12345678901234567890, -9223372036854775808, \"x\", true, false, null]}",
        "  {\"nested\": {\"deeper\": [[[]]]}}  ",
        "\"just a string\"",
        "-0",
        "1e300",
        "{\"dup\": 1, \"dup\": 2}",
        "{\"key\": \"value}\\\\\\\"more\"}",
    ] {
        let expected: Value = serde_json::from_str(text).expect("valid JSON");
        let repaired = repaired(text);
        assert_eq!(repaired.value, expected, "{text}");
        assert!(repaired.repairs.is_empty(), "{text}: {:?}", repaired.repairs);
    }
}

// ----- refusals -------------------------------------------------------------------------

#[test]
fn text_without_a_document_is_refused() {
    assert_eq!(refused("").message, "empty input: no JSON value");
    assert_eq!(refused(" \n\t").message, "empty input: no JSON value");
    for text in ["hello world", "NaN", "(see below)", "]", "}", "/"] {
        let error = refused(text);
        assert!(!error.message.is_empty(), "{text}");
    }
    assert_eq!(
        refused("hello world").to_string(),
        "no JSON object or array found at line 1 column 1"
    );
    // A Python literal is what Python reads.
    assert_eq!(value("True"), json!(true));
    assert_eq!(value("'quoted'"), json!("quoted"));
    // A scalar with a comment after it is still that scalar.
    assert_eq!(value("42 // the answer"), json!(42));
    assert_eq!(kinds("42 // the answer"), [Comment]);
}

#[test]
fn nesting_beyond_the_limit_is_refused() {
    let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
    let error = refused(&deep);
    assert_eq!(error.message, "nesting deeper than the limit of 64 levels");
    assert_eq!(error.column, 65);
    let shallow = Limits {
        max_depth: 2,
        ..Limits::default()
    };
    assert!(repair("{\"a\": [1]", &shallow).is_ok());
    assert!(refused_with("{\"a\": [[1]]", &shallow)
        .message
        .contains("limit of 2 levels"));
    // The hard cap holds whatever the configured limit.
    let unbounded = Limits {
        max_depth: usize::MAX,
        ..Limits::default()
    };
    let error = refused_with(&format!("{}1{}", "[".repeat(500), "]".repeat(500)), &unbounded);
    assert_eq!(
        error.message,
        format!("nesting deeper than the limit of {HARD_MAX_DEPTH} levels")
    );
    // Fenced documents nested in strings count as nesting.
    let fenced = format!("{}1", "[\"```json ".repeat(200));
    assert!(refused(&fenced).message.contains("nesting deeper"));
    // Up to the hard cap, broken documents of every shape are read without running out of stack.
    for deep in [
        format!("{}1", "{\"a\": [".repeat(HARD_MAX_DEPTH / 2)),
        format!("{}1", "[(".repeat(HARD_MAX_DEPTH / 2)),
        "[{'a', ".repeat(HARD_MAX_DEPTH / 2),
        format!("{}1", "{\\\"a\\\": ".repeat(HARD_MAX_DEPTH - 1)),
    ] {
        assert!(repair(&deep, &unbounded).is_ok(), "{}", &deep[..20]);
    }
}

#[test]
fn strings_beyond_the_limit_are_refused() {
    let limits = Limits {
        max_string_length: 5,
        ..Limits::default()
    };
    for text in [
        "{\"a\": \"123456\",}",
        "{\"123456\": 1,}",
        "{\"a\": 123456a}",
        "{abcdef: 1}",
        "{\"a\": \"12\\n3456\",}",
        "\"1234\t56\"",
        "{\"a\": \"1234\"56\"}",
    ] {
        assert!(
            refused_with(text, &limits).message.contains("limit of 5 bytes"),
            "{text}"
        );
    }
    assert!(repair("{\"a\": \"12345\",}", &limits).is_ok());
}

#[test]
fn strings_read_in_runs_keep_the_limit_to_the_byte() {
    // Quoted in single quotes, with spaces, or cut off: each is read by the string loop, which
    // appends plain characters in runs.
    for limit in 1..12 {
        let limits = Limits {
            max_string_length: limit,
            ..Limits::default()
        };
        for length in 0..14 {
            let body: String = "ab cd-ef.gh ij kl".chars().take(length).collect();
            if body.ends_with(' ') {
                // Trailing spaces are trimmed from some strings and not others.
                continue;
            }
            for text in [
                format!("{{'k': '{body}', 'n': 1 \"m\": 2}}"),
                format!("{{\"k\": '{body}'}}"),
                format!("{{\"k\": \"{body}"),
                format!("['{body}' 'x'"),
            ] {
                let read = repair(&text, &limits);
                let longest = read.as_ref().map_or(0, |repaired| longest_string(&repaired.value));
                assert!(longest <= limit, "{text} read past the limit of {limit}");
                if body.len() <= limit {
                    assert!(read.is_ok(), "{text} was refused under the limit of {limit}");
                } else {
                    let refusal = read.expect_err(&text);
                    assert!(refusal.message.contains(&format!("limit of {limit} bytes")), "{text}");
                }
            }
        }
    }
}

fn longest_string(value: &Value) -> usize {
    match value {
        Value::String(text) => text.len(),
        Value::Array(items) => items.iter().map(longest_string).max().unwrap_or(0),
        Value::Object(map) => map
            .iter()
            .map(|(key, item)| key.len().max(longest_string(item)))
            .max()
            .unwrap_or(0),
        _ => 0,
    }
}

#[test]
fn plain_runs_read_as_the_string_loop_reads_them() {
    let limits = Limits::default();
    for (text, expected) in [
        ("{'a': 'one two  '}", json!({"a": "one two  "})),
        ("{key with space: 1}", json!({"space": 1})),
        ("{\"a\": 'x y\n', \"b\": 1}", json!({"a": "x y", "b": 1})),
        ("{\"a\": 'look [a b]\" c'}", json!({"a": "look [a b]\" c"})),
    ] {
        assert_eq!(
            repair(text, &limits).map(|repaired| repaired.value),
            Ok(expected),
            "{text}"
        );
    }
}

#[test]
fn documents_beyond_the_size_limit_are_refused() {
    let limits = Limits {
        max_bytes: 10,
        ..Limits::default()
    };
    assert!(refused_with("{\"a\": 12345678,}", &limits)
        .message
        .contains("larger than the limit"));
}

#[test]
fn a_sign_alone_is_no_integer_beyond_64_bits() {
    // Read as json_repair reads it: what the road makes of it is the road's to judge.
    assert_eq!(value("{\"a\": -}"), json!({"a": ""}));
    assert_eq!(value("{\"a\": 1, \"b\": -}"), json!({"a": 1, "b": ""}));
}

#[test]
fn numbers_out_of_range_are_refused() {
    assert_eq!(refused("[1e400,]").message, "number out of range");
}

#[test]
fn integers_beyond_64_bits_are_refused() {
    for text in [
        "{\"n\": 123456789012345678901234567890,}",
        "[-9223372036854775809",
        "{\"n\": 18446744073709551616}",
        "Result: {\"n\": 99999999999999999999}",
        "99999999999999999999 // the id",
        // Read without the integer, the escaped quote before it would end the string instead.
        "{\"_\": [null, {\"a\": \"\\\"[,{\", \"_\": -9223372036854775809}],}",
    ] {
        let error = refused(text);
        assert_eq!(error.message, "integer beyond 64 bits would lose precision", "{text}");
    }
    assert_eq!(refused("{\"n\": 123456789012345678901234567890,}").column, 7);
    assert_eq!(
        value("[18446744073709551615, -9223372036854775808,]"),
        json!([18446744073709551615u64, -9223372036854775808i64])
    );
}

// ----- paths and the record list --------------------------------------------------------

#[test]
fn records_name_the_path_where_the_change_happened() {
    let record = only_record("{\"a\": [{\"b\": True}], \"c d\": {\"e\": null}}", PythonLiteral);
    assert_eq!(record.path.to_string(), "a[0].b");
    let record = only_record("{\"a\": [{\"b\": true}], \"c d\": {\"e\": NaN}}", NonFiniteNumber);
    assert_eq!(record.path.to_string(), "[\"c d\"].e");
    let record = only_record("{\"a\": [{\"b\": true}], \"c d\": {'e': null}}", SingleQuotes);
    assert_eq!(record.path, JsonPath::root().child_key("c d").child_key("e"));
    let record = only_record("{\"a\": [1, 2,]}", TrailingComma);
    assert_eq!(record.path.to_string(), "a");
    let record = only_record("[[1], [2 3]]", MissingComma);
    assert_eq!(record.path.to_string(), "[1][1]");
}

#[test]
fn the_record_list_is_capped() {
    let text = format!("[{}]", vec!["True"; 500].join(", "));
    let repaired = repaired(&text);
    assert_eq!(repaired.value.as_array().map(Vec::len), Some(500));
    assert_eq!(repaired.repairs.len(), MAX_RECORDED_REPAIRS);
    // Leading records come first when the list is full.
    let text = format!("Here: [{}]", vec!["True"; 500].join(", "));
    let repairs = repair(&text, &Limits::default()).map(|r| r.repairs).unwrap_or_default();
    assert_eq!(repairs.len(), MAX_RECORDED_REPAIRS);
    assert_eq!(repairs[0].kind, SurroundingText);
    // A change that may alter meaning stays visible past the cap, so the road can refuse it.
    let many = vec!["True"; 500].join(", ");
    for (text, kind) in [
        (format!("[{many}, \"cut"), TruncatedString),
        (format!("[{many}, ...]"), Ellipsis),
        (format!("{{\"a\": [{many}], \"b\": }}"), MissingValue),
        (format!("[{many}] [1]"), ConcatenatedDocuments),
    ] {
        let repairs = repair(&text, &Limits::default()).map(|r| r.repairs).unwrap_or_default();
        assert_eq!(repairs.len(), MAX_RECORDED_REPAIRS);
        assert!(repairs.iter().any(|record| record.kind == kind), "{kind:?}");
    }
}

#[test]
fn snippets_stay_short() {
    let long = "x".repeat(500);
    let text = format!(
        "prose {long} {{'a': '{long}', \"b\": \"{long}\"{long}\", \"c\": [{}",
        "[".repeat(60)
    );
    for record in repaired(&text).repairs {
        for snippet in [&record.before, &record.after] {
            let chars = snippet.as_str().map_or(0, |text| text.chars().count());
            assert!(chars <= SNIPPET_CHARS, "{record:?}");
        }
    }
}

// ----- robustness -----------------------------------------------------------------------

/// xorshift64*: enough randomness for fuzzing, no dependency.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const STRING_PIECES: &[&str] = &[
    "a", "Z", " ", "\"", "\\", "/", "'", "\n", "\t", "\u{1}", "é", "€", "😀", "\u{201C}", "{", "]", ",", ":", "```",
];

fn random_string(random: &mut Random) -> String {
    (0..random.below(8)).map(|_| *random.pick(STRING_PIECES)).collect()
}

fn random_value(random: &mut Random, depth: usize) -> Value {
    let choices = if depth >= 6 { 5 } else { 7 };
    match random.below(choices) {
        0 => Value::Null,
        1 => Value::Bool(random.below(2) == 0),
        2 => match random.below(3) {
            0 => json!(random.next()),
            1 => json!(random.next() as i64),
            _ => json!(random.below(1000) as i64 - 500),
        },
        3 => {
            let float = f64::from_bits(random.next());
            if float.is_finite() {
                json!(float)
            } else {
                json!(random.below(1000) as f64 / 7.0)
            }
        }
        4 => Value::String(random_string(random)),
        5 => Value::Array((0..random.below(5)).map(|_| random_value(random, depth + 1)).collect()),
        _ => Value::Object(
            (0..random.below(5))
                .map(|_| (random_string(random), random_value(random, depth + 1)))
                .collect(),
        ),
    }
}

/// Whatever comes back must be a value the rest of the road can handle.
fn assert_sound(text: &str, limits: &Limits) {
    if let Ok(repaired) = repair(text, limits) {
        assert!(limits.check_value(&repaired.value).is_ok(), "{text:?}");
        assert!(repaired.repairs.len() <= MAX_RECORDED_REPAIRS);
        let reparsed: Value = serde_json::from_str(&repaired.value.to_string()).expect("serializes to JSON");
        assert_eq!(reparsed, repaired.value);
    }
}

#[test]
fn valid_json_reads_like_serde_json() {
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    for round in 0..3000 {
        let document = random_value(&mut random, 0);
        let text = if round % 2 == 0 {
            document.to_string()
        } else {
            serde_json::to_string_pretty(&document).expect("serializes")
        };
        let expected: Value = serde_json::from_str(&text).expect("serde_json reads its own output");
        let repaired = repaired(&text);
        assert_eq!(repaired.value, expected, "{text}");
        assert!(repaired.repairs.is_empty(), "{text}: {:?}", repaired.repairs);
    }
}

#[test]
fn mutated_json_never_panics() {
    const INSERTS: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        ",",
        ":",
        "\"",
        "'",
        "\\",
        "/",
        "*",
        "//",
        "/*",
        "#",
        "\n",
        " ",
        "```",
        "```json\n",
        "True",
        "NaN",
        "-",
        ".",
        "e",
        "1",
        "x",
        "\u{201C}",
        "\u{201D}",
        "…",
        "\\u",
        "\\ud800",
        "é",
        "\u{0}",
    ];
    let limits = Limits::default();
    let mut random = Random(0xD1B5_4A32_D192_ED03);
    for _ in 0..3000 {
        let document = random_value(&mut random, 0);
        let mut chars: Vec<char> = document.to_string().chars().collect();
        for _ in 0..=random.below(4) {
            let at = random.below(chars.len() + 1);
            match random.below(4) {
                0 if at < chars.len() => {
                    chars.remove(at);
                }
                1 => chars.truncate(at),
                _ => {
                    let insert: Vec<char> = random.pick(INSERTS).chars().collect();
                    chars.splice(at..at, insert);
                }
            }
        }
        let text: String = chars.into_iter().collect();
        assert_sound(&text, &limits);
    }
}

#[test]
fn random_bytes_never_panic() {
    const ALPHABET: &[u8] = b"{}[](),:\"'\\/*#` \n\tatrueflsnNTFI0123456789.-+eE_";
    let limits = Limits {
        max_depth: 8,
        max_string_length: 16,
        ..Limits::default()
    };
    let mut random = Random(0x2545_F491_4F6C_DD1D);
    for _ in 0..20_000 {
        let length = random.below(40);
        let bytes: Vec<u8> = (0..length)
            .map(|_| {
                if random.below(8) == 0 {
                    random.next() as u8
                } else {
                    *random.pick(ALPHABET)
                }
            })
            .collect();
        assert_sound(&String::from_utf8_lossy(&bytes), &limits);
    }
}

#[test]
fn every_prefix_of_a_document_is_handled() {
    let text =
        "Here:\n```json\n{\"a\": [1, -2.5e3, \"x\\n\\u00e9\", {'b': True}], c: NaN, // note\n \"d\": (1, 2)}\n```";
    let limits = Limits::default();
    for (end, _) in text.char_indices() {
        assert_sound(&text[..end], &limits);
    }
}

#[test]
fn hostile_inputs_take_linear_time() {
    let megabyte = 1 << 20;
    let inputs = [
        "{a} ".repeat(megabyte / 4),
        "[".repeat(megabyte),
        "{\"a\":".repeat(megabyte / 5),
        "\"".repeat(megabyte),
        format!("{}{{\"a\": 1}}", " ".repeat(megabyte)),
        format!("{}{{x", "```".repeat(megabyte / 3)),
        format!("[{}]", "1,".repeat(megabyte / 2)),
        format!("{{\"a\": \"{}\"}}", "\\u00e9\\d\n".repeat(megabyte / 11)),
        "/*".repeat(megabyte / 2),
        "( ".repeat(megabyte / 2),
        format!("{{\"a\": \"{}", "x}".repeat(megabyte / 2)),
        format!("{{\"a\": \"{}\"}}", "x\" ".repeat(megabyte / 3)),
        format!("[\"{}", "a\"".repeat(megabyte / 2)),
        format!("{{\"{}", "k\"".repeat(megabyte / 2)),
        format!("{{\"a\": \"x{}", ", {k: ".repeat(megabyte / 6)),
        format!("{{\"a\": \"[{}", "'\"".repeat(megabyte / 2)),
        format!("{{\"a\": \"{}\"", "} ``` [ ".repeat(megabyte / 8)),
        format!("[{{{}", "\"a\":1 ".repeat(megabyte / 6)),
        format!("[{}]", "{'a'}, ".repeat(megabyte / 7)),
        format!("{{\"a\": [[1]], {}}}", "[[1]], ".repeat(megabyte / 7)),
        "{\\\"a\\\": 1}, ".repeat(megabyte / 14),
        format!("{}{{\"a\": 1}}", "{word} ".repeat(megabyte / 7)),
        "a(".repeat(megabyte / 2),
        // Cut texts, which are read by the grammar first.
        format!("{}\"a:b", "[{\"k\": ".repeat(megabyte / 7)),
        format!("{{'a': [{}", "'x', ".repeat(megabyte / 5)),
        format!("```json\n{{\"a\": [{}", "\"x:y\", ".repeat(megabyte / 7)),
        format!("{{\"a\": [{}\"x", "{\"k\": [1], \"j\": ".repeat(megabyte / 18)),
    ];
    let limits = Limits::default();
    for input in &inputs {
        let started = Instant::now();
        let _ = repair(input, &limits);
        assert!(started.elapsed() < Duration::from_secs(10), "{}...", &input[..20]);
    }
}

/// json_repair's own inputs and a few shapes of ours, for tests that compare two ways of reading.
fn corpus_and_shapes() -> Vec<String> {
    let mut texts: Vec<String> = [
        "",
        "   ",
        "123abc",
        "[1]x",
        "{\"a\": 1} trailing",
        "{\"a\": 1}{\"b\": 2}",
        "  {\"a\": [1, 2, {\"b\": tru",
        "Here: {\"a\": 1,}",
        "{\"a\": 1, \"a\": 2}",
        "[{\"n\": 123456789012345678901234567890}, {\"b\": 1",
        "\u{feff}{\"a\": 1",
        "{'a': \"b\", 'c': [1, 2,]}",
        "```json\n{\"a\": \"b\"\n```",
        "{\"é\": [1, 2], \"ü\": {\"x\": null}",
    ]
    .iter()
    .map(|text| (*text).to_owned())
    .collect();
    let dir = match std::env::var_os("TOOLPROOF_CORPUS_DIR") {
        Some(root) => std::path::PathBuf::from(root).join("jsonrepair"),
        None => std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/jsonrepair"),
    };
    if let Ok(cases) = std::fs::read_to_string(dir.join("cases.json")) {
        let cases: Vec<Value> = serde_json::from_str(&cases).unwrap();
        texts.extend(
            cases
                .iter()
                .filter_map(|case| case["input"].as_str().map(str::to_owned)),
        );
        texts.push(std::fs::read_to_string(dir.join("perf_invalid.json")).unwrap());
    }
    texts
}

#[test]
fn the_one_pass_text_check_is_serde_json_s() {
    for text in corpus_and_shapes() {
        let valid = serde_json::from_str::<IgnoredAny>(&text).is_ok();
        assert_eq!(TextCheck::of(&text).valid, valid, "{text:?}");
    }
}

#[test]
fn a_checked_text_reads_as_an_unchecked_one() {
    let limits = Limits::default();
    for text in corpus_and_shapes() {
        let check = TextCheck::of(&text);
        if check.valid {
            continue;
        }
        for wide in [WideIntegers::Refuse, WideIntegers::Carry] {
            let unchecked = repair_refused_with(&text, &limits, wide);
            assert_eq!(
                repair_checked(&text, &limits, wide, check, Records::Whole),
                unchecked,
                "{text:?}"
            );
            // Without records: the same value, or the same refusal.
            let value_only = repair_checked(&text, &limits, wide, check, Records::KindsOnly).map(|read| read.value);
            assert_eq!(value_only, unchecked.map(|read| read.value), "{text:?}");
        }
    }
}

#[test]
fn a_text_mended_by_its_structure_alone_is_one_serde_json_stopped_in_at_a_mended_spot() {
    // The mend is skipped when serde_json stopped elsewhere: it must never succeed there.
    let documents = [
        "{\"a\": [1, 2, {\"b\": \"x}\\\"]\", \"c\": [true, null]}], \"d\": -1.5e3}",
        "[\n  {\"id\": 1, \"tags\": [\"a\", \"b\"]},\n  {\"id\": 2, \"tags\": []}\n]\n",
        "{\"é\": {\"ü\": [\"ß\", 10, 20]}, \"k\": \"v\"}",
    ];
    let mut texts = corpus_and_shapes();
    for document in documents {
        for (at, _) in document.char_indices().skip(1) {
            texts.push(document[..at].to_owned());
        }
        // A trailing comma before each closer, one at a time and all together.
        let closers: Vec<usize> = document.match_indices(['}', ']']).map(|(at, _)| at).collect();
        for &at in &closers {
            texts.push(format!("{},{}", &document[..at], &document[at..]));
        }
        texts.push(document.replace('}', ",}").replace(']', " ,\n]"));
    }
    let limits = Limits::default();
    let mut mended = 0;
    for text in &texts {
        let Some(broken) = TextCheck::of(text).broken_first_value else {
            continue;
        };
        let kinds = |records| {
            structure_only::mend_structure(text, &limits, WideIntegers::Carry, records)
                .map(|read| read.repairs.iter().map(|repair| repair.kind).collect::<Vec<_>>())
        };
        let kinds_only = kinds(Records::KindsOnly);
        assert_eq!(kinds_only, kinds(Records::Whole), "{text:?}");
        if kinds_only.is_some() {
            mended += 1;
            assert!(
                broken.may_lack_only_structure(text),
                "{text:?} stopped at {}",
                broken.stop
            );
        }
    }
    assert!(mended > 50, "only {mended} texts were mended");
}

#[test]
fn the_value_alone_is_the_value_read_with_records() {
    let limits = Limits::default();
    for text in corpus_and_shapes() {
        for wide in [WideIntegers::Refuse, WideIntegers::Carry] {
            let whole = repair_with(&text, &limits, wide).map(|read| read.value);
            let value_only =
                repair_checked(&text, &limits, wide, TextCheck::of(&text), Records::KindsOnly).map(|read| read.value);
            assert_eq!(value_only, whole, "{text:?}");
        }
    }
}

// ----- a text cut off by its end -------------------------------------------------------

fn records_a_possible_loss(text: &str) -> bool {
    repaired(text)
        .repairs
        .iter()
        .any(|repair| repair.kind.may_alter_meaning())
}

#[test]
fn a_cut_inside_a_string_records_a_possible_loss_whatever_the_reader_guessed() {
    // Each was read as structure (a bracket, a colon or a quote inside a string) and recorded
    // only as closed, so the road accepted a value the model never wrote.
    for text in [
        "{\"\":[{\"]0",
        "{\"a:b}",
        "{\"x\": 1, \"a:b}",
        "{\"a\":{\"b:c}",
        "{'a': 'x:y', 'b': 1, 'c: d}",
        "{\"0)\u{e9}\": \"\u{201C}\u{1F600}\\t:0\", \"}0",
        "```json\n{\"a\": \"x\", \"b:c}",
    ] {
        assert!(records_a_possible_loss(text), "{text:?}: {:?}", kinds(text));
    }
    let record = only_record("{\"x\": {\"a:b}", TruncatedString);
    assert_eq!(
        record.path.to_string(),
        JsonPath::from(vec![PathItem::Key("x".into())]).to_string()
    );
    // A value's string read as ended early (`}` taken for the object's end) is named by its key.
    assert_eq!(only_record("{\"a\": \"}0", TruncatedString).path.to_string(), "a");
}

#[test]
fn a_cut_between_values_reads_what_was_written() {
    assert_eq!(
        value("{\"0)\u{e9}\":\"\u{201C}\u{1F600}\\t:0\",\"}0e]\":[[1.5,"),
        json!({"0)\u{e9}": "\u{201C}\u{1F600}\t:0", "}0e]": [[1.5]]})
    );
    assert_eq!(
        kinds("{\"0)\u{e9}\":\"\u{201C}\",\"b\":[[1.5,"),
        [TrailingComma, Truncated, Truncated, Truncated]
    );
    // A Python literal cut between values reads as Python reads it.
    assert_eq!(
        value("{')e': {'}:': ' }-', 'x': ["),
        json!({")e": {"}:": " }-", "x": []}})
    );
    assert_eq!(
        kinds("{'a': 'x:y', 'b': [1,"),
        [PythonText, TrailingComma, Truncated, Truncated]
    );
    // After a fence or prose, the passed-over text is recorded too.
    assert_eq!(
        repaired("```json\n{\"a\": \"x\\\"y\", \"b:c\": [1.5,").value,
        json!({"a": "x\"y", "b:c": [1.5]})
    );
    assert_eq!(
        kinds("```json\n{\"a\": \"x\\\"y\", \"b:c\": [1.5,"),
        [MarkdownFence, TrailingComma, Truncated, Truncated]
    );
    assert_eq!(
        kinds("Here: {'a': '\"]', 'b': {}"),
        [SurroundingText, PythonText, Truncated]
    );
    // Kept for their kinds alone, the records are the same records.
    for text in [
        "{\"0)\u{e9}\":\"\u{201C}\",\"b\":[[1.5,",
        "{'a': 'x:y', 'b': [1,",
        "```json\n{\"a\": \"x\\\"y\", \"b:c\": [1.5,",
        "Here: {'a': '\"]', 'b': {}",
    ] {
        let cut = cut_end::cut_of(text).unwrap();
        let kinds = |records| {
            let read = cut_end::read_cut_between_values(text, &cut, &Limits::default(), WideIntegers::Carry, records);
            read.unwrap()
                .repairs
                .iter()
                .map(|repair| repair.kind)
                .collect::<Vec<_>>()
        };
        assert_eq!(kinds(Records::KindsOnly), kinds(Records::Whole), "{text:?}");
    }
}

#[test]
fn a_cut_number_is_recorded_in_a_python_literal_too() {
    for text in [
        "{'price': 12.",
        "{'price': 1e+",
        "{'price': 12",
        "{'p': [1, 2",
        "{'p': -",
    ] {
        assert!(kinds(text).contains(&TruncatedNumber), "{text:?}: {:?}", kinds(text));
    }
    for text in ["{'p': Tru", "{'p': 'a\\'", "{'p': 'x', 'q"] {
        assert!(records_a_possible_loss(text), "{text:?}: {:?}", kinds(text));
    }
}

#[test]
fn strings_side_by_side_in_a_cut_text_are_joined_as_python_joins_them() {
    // As the whole texts read: Python joins string literals written side by side.
    assert_eq!(value("{'a': 'it''s', 'b': [1]}"), json!({"a": "its", "b": [1]}));
    assert_eq!(value("{'a': 'it''s', 'b': [1,"), json!({"a": "its", "b": [1]}));
    assert_eq!(value("{\"a\": \"it\" \"s\", \"b\": [1,"), json!({"a": "its", "b": [1]}));
    // The record shows what Python made of the text, as JSON.
    let record = only_record("[\"a\" \"b\" ", PythonText);
    assert_eq!(record.before, json!("[\"a\" \"b\""));
    assert_eq!(record.after, json!("[\"ab\"]"));
    // A doubled closing quote, and strings missing the comma between them, read as before.
    assert_eq!(value("{\"gas\": \"air\"\"}"), json!({"gas": "air"}));
    assert_eq!(value("[\"a\" \"b\" \"c\" 1"), json!(["a", "b", "c", 1]));
    assert_eq!(
        value("{\"number\": 1,\"reason\": \"According...\"\"ans\": \"YES\"}"),
        json!({"number": 1, "reason": "According...", "ans": "YES"})
    );
}

#[test]
fn values_written_after_the_document_closed_are_read_into_it_or_recorded_as_dropped() {
    // Read into the object, as json_repair reads them; the Python reading of the first object
    // alone no longer stands for the whole text.
    assert_eq!(value(r#"{"a": 0}, "s": "x""#), json!({"a": 0, "s": "x"}));
    assert_eq!(value(r#"{"a": 0}, "s": "/etc/pa"#), json!({"a": 0, "s": "/etc/pa"}));
    assert!(kinds(r#"{"a": 0}, "s": "/etc/pa"#).contains(&TruncatedString));
    // Left out of the value, as json_repair leaves them, and recorded as dropped.
    for (text, kept) in [
        (r#"{"a": 0}, s: "x""#, json!({"a": 0})),
        (r#"{"a": 0} "s": "x""#, json!({"a": 0})),
        (r#"{"a": 0}}, "s": "x""#, json!({"a": 0})),
        (r#"{"a": 0}, "s""#, json!({"a": 0})),
        ("[1, 2], 3", json!([1, 2])),
    ] {
        assert_eq!(value(text), kept, "{text:?}");
        assert!(
            kinds(text).contains(&ValuesAfterDocument),
            "{text:?}: {:?}",
            kinds(text)
        );
    }
    // Prose after a document stays prose.
    for text in [r#"{"a": 0} and also s=x"#, r#"{"a": 0}. Note: done"#, "[1, 2] 3"] {
        assert_eq!(kinds(text), [SurroundingText], "{text:?}");
    }
}
