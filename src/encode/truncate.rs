//! Fitting an encoded JSON text into a byte budget: the result is valid JSON, at most the budget
//! long, and keeps a prefix of the content, with markers saying what was cut.
//!
//! - a long string keeps its start: `"Lorem ipsum…[truncated 1.2 MB]"`;
//! - an array keeps its first items, then a marker item: `[1,2,3,"…[958 more items]"]`;
//! - an object keeps its first keys, then a marker key: `{"a":1,"…":"[12 more keys]"}`;
//! - the first item or value that does not fit whole is itself cut the same way when a cut form
//!   fits, so a list of large records keeps part of the record where the budget ran out;
//! - when not even a marker fits, the whole document becomes one string: `"…[truncated 3.1 MB]"`.
//!
//! The input is compact JSON as `JsonWriter` writes it (no whitespace between tokens).

/// The smallest budget accepted: room for the one-string summary of any document.
pub const MIN_BUDGET: usize = 32;

const ELLIPSIS: &str = "…";

/// What a cut did, for the caller to record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truncation {
    /// The length of the whole text; None when the encoding stopped at the cap, so the rest of
    /// the value was never written (nor measured).
    pub original_bytes: Option<usize>,
    pub kept_bytes: usize,
}

/// What the written prefix of a text that stopped at the cap leaves out: the containers still
/// open when it stopped (closed at the end of the prefix), with the number of entries each
/// really has, and the string cut where it stopped, with its whole encoded length.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unfinished {
    /// `(offset of the opening bracket, entries in the whole container)`, outermost first.
    pub open_containers: Vec<(usize, usize)>,
    /// `(offset of the opening quote, bytes of the whole encoded content, quotes excluded)`.
    pub cut_string: Option<(usize, usize)>,
}

/// The text cut to at most `max_bytes` bytes, or None when it already fits.
///
/// Panics when `max_bytes` is below `MIN_BUDGET`; callers check it first.
pub fn truncate_json(text: &str, max_bytes: usize) -> Option<String> {
    assert!(
        max_bytes >= MIN_BUDGET,
        "a budget of {max_bytes} bytes is below {MIN_BUDGET}"
    );
    if text.len() <= max_bytes {
        return None;
    }
    Some(Cutter::new(text, None).cut(max_bytes))
}

/// `closed` (a prefix of a longer text, closed where it stopped as `unfinished` says) cut to at
/// most `max_bytes` bytes, its markers counting what the whole text holds. The prefix must be
/// longer than `max_bytes`, so no entry it leaves unfinished can be kept whole.
///
/// Panics when `max_bytes` is below `MIN_BUDGET`; callers check it first.
pub fn truncate_unfinished_json(closed: &str, unfinished: &Unfinished, max_bytes: usize) -> String {
    assert!(
        max_bytes >= MIN_BUDGET,
        "a budget of {max_bytes} bytes is below {MIN_BUDGET}"
    );
    Cutter::new(closed, Some(unfinished)).cut(max_bytes)
}

/// `1.2 MB`: one decimal, powers of 1000, at most 8 characters.
pub fn human_size(bytes: usize) -> String {
    const UNITS: [&str; 6] = ["KB", "MB", "GB", "TB", "PB", "EB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    // 999.95 would print as 1000.0 with one decimal: move to the next unit instead.
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

fn string_marker(removed_bytes: usize) -> String {
    format!("{ELLIPSIS}[truncated {}]", human_size(removed_bytes))
}

/// The one-string summary of a text of which only a prefix was written.
fn unfinished_marker(written_bytes: usize) -> String {
    format!("{ELLIPSIS}[truncated, over {}]", human_size(written_bytes))
}

/// The marker item ending a cut array, quotes included.
fn items_marker(remaining: usize) -> String {
    let noun = if remaining == 1 { "item" } else { "items" };
    format!("\"{ELLIPSIS}[{remaining} more {noun}]\"")
}

/// The marker entry ending a cut object, `"…":"[12 more keys]"`.
fn keys_marker(remaining: usize) -> String {
    let noun = if remaining == 1 { "key" } else { "keys" };
    format!("\"{ELLIPSIS}\":\"[{remaining} more {noun}]\"")
}

/// An array or object in the text: where it starts and ends, and how many items or keys it has.
#[derive(Clone, Copy, Debug)]
struct Container {
    start: usize,
    end: usize,
    /// Entries in the text.
    present: usize,
    /// Entries in the whole value: more than `present` for a container the encoding left open.
    items: usize,
}

struct Cutter<'a> {
    text: &'a str,
    /// Every container, in the order they open (so sorted by `start`).
    containers: Vec<Container>,
    /// Set when `text` is the closed prefix of a longer text.
    unfinished: Option<&'a Unfinished>,
}

impl<'a> Cutter<'a> {
    /// One pass over the text to find where each container ends and how many items it holds, so
    /// the cut never has to scan a subtree twice.
    fn new(text: &'a str, unfinished: Option<&'a Unfinished>) -> Self {
        let bytes = text.as_bytes();
        let mut containers: Vec<Container> = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        let mut index = 0;
        while index < bytes.len() {
            match bytes[index] {
                b'"' => {
                    index = string_end(bytes, index);
                    continue;
                }
                b'[' | b'{' => {
                    open.push(containers.len());
                    containers.push(Container {
                        start: index,
                        end: index,
                        present: 0,
                        items: 0,
                    });
                }
                b']' | b'}' => {
                    let container = &mut containers[open.pop().expect("balanced JSON")];
                    container.end = index + 1;
                    // `present` counted the commas so far; a non-empty container has one more item.
                    if container.end - container.start > 2 {
                        container.present += 1;
                    }
                    container.items = container.present;
                }
                b',' => {
                    if let Some(&innermost) = open.last() {
                        containers[innermost].present += 1;
                    }
                }
                _ => {}
            }
            index += 1;
        }
        let mut cutter = Cutter {
            text,
            containers,
            unfinished,
        };
        for &(start, items) in unfinished.map_or(&[][..], |unfinished| &unfinished.open_containers) {
            let index = cutter.container_index(start);
            let container = &mut cutter.containers[index];
            container.items = items.max(container.present);
        }
        cutter
    }

    /// The whole text cut to `budget`, or its one-string summary when no cut form fits.
    fn cut(&self, budget: usize) -> String {
        let mut out = String::with_capacity(budget);
        if !self.fit(0, budget, &mut out) {
            out.clear();
            out.push('"');
            out.push_str(&match self.unfinished {
                None => string_marker(self.text.len()),
                Some(_) => unfinished_marker(self.text.len()),
            });
            out.push('"');
        }
        debug_assert!(out.len() <= budget);
        out
    }

    fn container_index(&self, start: usize) -> usize {
        self.containers
            .binary_search_by_key(&start, |container| container.start)
            .expect("a container starts here")
    }

    fn container_at(&self, start: usize) -> Container {
        self.containers[self.container_index(start)]
    }

    /// Bytes of the whole encoded content of the string at `start`, quotes excluded.
    fn whole_string_length(&self, start: usize, end: usize) -> usize {
        match self.unfinished.and_then(|unfinished| unfinished.cut_string) {
            Some((cut_start, length)) if cut_start == start => length,
            _ => end - start - 2,
        }
    }

    fn value_end(&self, start: usize) -> usize {
        let bytes = self.text.as_bytes();
        match bytes[start] {
            b'"' => string_end(bytes, start),
            b'[' | b'{' => self.container_at(start).end,
            _ => {
                let mut end = start;
                while end < bytes.len() && !matches!(bytes[end], b',' | b']' | b'}') {
                    end += 1;
                }
                end
            }
        }
    }

    /// Append the value at `start`, cut if needed, in at most `budget` bytes; false (and nothing
    /// appended) when no form of it fits.
    fn fit(&self, start: usize, budget: usize, out: &mut String) -> bool {
        let end = self.value_end(start);
        if end - start <= budget && !self.is_unfinished(start) {
            out.push_str(&self.text[start..end]);
            return true;
        }
        match self.text.as_bytes()[start] {
            b'"' => self.fit_string(start, end, budget, out),
            b'[' | b'{' => self.fit_container(self.container_at(start), budget, out),
            // Numbers and literals cannot be cut.
            _ => false,
        }
    }

    /// Whether the value at `start` is one the encoding left unfinished: its text is not all of it.
    fn is_unfinished(&self, start: usize) -> bool {
        let Some(unfinished) = self.unfinished else {
            return false;
        };
        match self.text.as_bytes()[start] {
            b'"' => unfinished.cut_string.is_some_and(|(cut_start, _)| cut_start == start),
            b'[' | b'{' => {
                let container = self.container_at(start);
                container.items > container.present || unfinished.open_containers.iter().any(|&(open, _)| open == start)
            }
            _ => false,
        }
    }

    fn fit_string(&self, start: usize, end: usize, budget: usize, out: &mut String) -> bool {
        let content = &self.text[start + 1..end - 1];
        let whole = self.whole_string_length(start, end);
        let quotes = 2;
        if quotes + string_marker(whole).len() > budget {
            return false;
        }
        // The marker's length depends on how much is cut, and "999.9 KB" is longer than "1.0 MB":
        // shorten the kept part until prefix and marker fit together. Each round keeps strictly
        // less, and keeping nothing fits (checked above).
        let mut limit = budget - quotes - string_marker(whole).len();
        loop {
            let kept = unit_boundary_at_or_before(content, limit);
            let marker = string_marker(whole - kept);
            if quotes + kept + marker.len() <= budget {
                out.push('"');
                out.push_str(&content[..kept]);
                out.push_str(&marker);
                out.push('"');
                return true;
            }
            limit = budget.saturating_sub(quotes + marker.len()).min(kept.saturating_sub(1));
        }
    }

    /// An array or object cut to `budget`: whole entries while they fit with room kept for the
    /// marker, then the next entry cut if any of it fits (an object's key stays whole, only its
    /// value is cut), then a marker counting the entries left out.
    fn fit_container(&self, container: Container, budget: usize, out: &mut String) -> bool {
        let bytes = self.text.as_bytes();
        let is_object = bytes[container.start] == b'{';
        let (open, close, marker): (char, char, fn(usize) -> String) = if is_object {
            ('{', '}', keys_marker)
        } else {
            ('[', ']', items_marker)
        };
        let brackets = 2;
        if brackets + marker(container.items).len() > budget {
            return false;
        }
        out.push(open);
        let mut used = brackets;
        let mut written = 0;
        let mut position = container.start + 1;
        for index in 0..container.present {
            // Where the part of the entry that may be cut starts: past an object's key.
            let value_start = if is_object {
                string_end(bytes, position) + 1
            } else {
                position
            };
            let entry_end = self.value_end(value_start);
            let separator = usize::from(written > 0);
            let after = container.items - index - 1;
            // Room kept back so the marker for the entries after this one always fits.
            let reserve = if after > 0 { 1 + marker(after).len() } else { 0 };
            let whole = !self.is_unfinished(value_start);
            if whole && used + separator + (entry_end - position) + reserve <= budget {
                if separator == 1 {
                    out.push(',');
                }
                out.push_str(&self.text[position..entry_end]);
                used += separator + (entry_end - position);
                written += 1;
                position = entry_end + 1;
                continue;
            }
            let mut remaining = container.items - index;
            let before = out.len();
            if separator == 1 {
                out.push(',');
            }
            out.push_str(&self.text[position..value_start]);
            let room = budget.saturating_sub(used + separator + (value_start - position) + reserve);
            if room > 0 && self.fit(value_start, room, out) {
                written += 1;
                remaining = after;
            } else {
                out.truncate(before);
            }
            if remaining > 0 {
                if written > 0 {
                    out.push(',');
                }
                out.push_str(&marker(remaining));
            }
            out.push(close);
            return true;
        }
        // Every entry in the text fitted: the ones the encoding never wrote are counted.
        let remaining = container.items - container.present;
        if remaining > 0 {
            if written > 0 {
                out.push(',');
            }
            out.push_str(&marker(remaining));
        }
        out.push(close);
        true
    }
}

/// The index just past the string starting at `start` (an opening quote).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut index = start + 1;
    loop {
        match bytes[index] {
            b'"' => return index + 1,
            // The escaped character (or a `\u`'s first digit) is never a quote to stop at.
            b'\\' => index += 2,
            _ => index += 1,
        }
    }
}

/// The longest prefix of encoded string content, at most `limit` bytes, that ends between two
/// characters and outside any escape sequence.
fn unit_boundary_at_or_before(content: &str, limit: usize) -> usize {
    let bytes = content.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let unit = match bytes[index] {
            b'\\' if bytes.get(index + 1) == Some(&b'u') => 6,
            b'\\' => 2,
            lead if lead < 0x80 => 1,
            lead if lead < 0xE0 => 2,
            lead if lead < 0xF0 => 3,
            _ => 4,
        };
        if index + unit > limit {
            break;
        }
        index += unit;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn cut(value: &Value, budget: usize) -> String {
        let text = serde_json::to_string(value).unwrap();
        let result = truncate_json(&text, budget).unwrap_or(text);
        assert!(
            result.len() <= budget,
            "{} bytes over a budget of {budget}: {result}",
            result.len()
        );
        serde_json::from_str::<Value>(&result).unwrap_or_else(|e| panic!("invalid JSON ({e}): {result}"));
        result
    }

    #[test]
    fn leaves_a_fitting_text_alone() {
        assert_eq!(truncate_json("[1,2,3]", 32), None);
    }

    #[test]
    fn cuts_a_long_string_with_a_marker_inside() {
        let text = "x".repeat(1_200_000);
        let result = cut(&json!(text), 100);
        assert!(result.starts_with("\"xxxx"));
        assert!(result.ends_with("…[truncated 1.2 MB]\""), "{result}");
        assert_eq!(result.len(), 100);
    }

    #[test]
    fn never_cuts_inside_an_escape_or_a_character() {
        for budget in 32..80 {
            let result = cut(&json!("é\n😀\u{1}\"".repeat(20)), budget);
            let value: Value = serde_json::from_str(&result).unwrap();
            let kept = value.as_str().unwrap().split('…').next().unwrap().to_owned();
            assert!("é\n😀\u{1}\"".repeat(20).starts_with(&kept), "{result}");
        }
    }

    #[test]
    fn keeps_the_first_items_of_an_array() {
        let value = Value::Array((0..1000).map(|i| json!(i)).collect());
        let result = cut(&value, 64);
        assert!(result.starts_with("[0,1,2,"), "{result}");
        assert!(result.ends_with(" more items]\"]"), "{result}");
        let parsed: Vec<Value> = serde_json::from_str(&result).unwrap();
        let kept = parsed.len() - 1;
        assert_eq!(parsed.last().unwrap(), &json!(format!("…[{} more items]", 1000 - kept)));
    }

    #[test]
    fn keeps_the_first_keys_of_an_object() {
        let mut map = serde_json::Map::new();
        for i in 0..20 {
            map.insert(format!("key{i}"), json!(i));
        }
        let result = cut(&Value::Object(map), 60);
        let parsed: serde_json::Map<String, Value> = serde_json::from_str(&result).unwrap();
        assert_eq!(parsed["key0"], json!(0));
        let marker = parsed["…"].as_str().unwrap();
        assert_eq!(marker, format!("[{} more keys]", 20 - (parsed.len() - 1)));
    }

    #[test]
    fn cuts_inside_the_record_where_the_budget_runs_out() {
        let records: Vec<Value> = (0..50)
            .map(|i| json!({"id": i, "name": format!("record {i}"), "body": "y".repeat(200)}))
            .collect();
        let result = cut(&Value::Array(records), 360);
        let parsed: Vec<Value> = serde_json::from_str(&result).unwrap();
        assert_eq!(parsed[0]["id"], json!(0));
        assert!(parsed[1]["body"].as_str().unwrap().contains("…[truncated"), "{result}");
        assert_eq!(parsed[2], json!("…[48 more items]"));
    }

    #[test]
    fn falls_back_to_a_summary_string() {
        let long_number = "9".repeat(100);
        let result = truncate_json(&long_number, 32).unwrap();
        assert_eq!(result, "\"…[truncated 100 B]\"");
        let in_array = format!("[{long_number}]");
        assert_eq!(truncate_json(&in_array, 32).unwrap(), "[\"…[1 more item]\"]");
    }

    #[test]
    fn writes_human_sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1000), "1.0 KB");
        assert_eq!(human_size(1_234_567), "1.2 MB");
        assert_eq!(human_size(999_960), "1.0 MB");
        assert_eq!(human_size(usize::MAX), "18.4 EB");
        for bytes in [0, 999, 999_949, 999_999_999_999] {
            assert!(human_size(bytes).len() <= 8);
        }
    }

    /// A small deterministic generator, so the property below needs no extra crate.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, bound: u64) -> usize {
            (self.next() % bound) as usize
        }

        fn value(&mut self, depth: usize) -> Value {
            let pieces = ["a", "bc", "é", "😀", "\"", "\\", "\n", "\u{1}", "word ", "…"];
            match self.below(if depth > 3 { 5 } else { 8 }) {
                0 => Value::Null,
                1 => json!(self.below(2) == 1),
                2 => json!(self.next() as i64),
                3 => json!((self.next() % 10_000) as f64 / 7.0),
                4 => {
                    let length = self.below(120);
                    json!((0..length)
                        .map(|_| pieces[self.below(pieces.len() as u64)])
                        .collect::<String>())
                }
                5 | 6 => {
                    let length = self.below(12);
                    Value::Array((0..length).map(|_| self.value(depth + 1)).collect())
                }
                _ => {
                    let length = self.below(8);
                    let map = (0..length)
                        .map(|i| {
                            (
                                format!("k{i}{}", pieces[self.below(pieces.len() as u64)]),
                                self.value(depth + 1),
                            )
                        })
                        .collect();
                    Value::Object(map)
                }
            }
        }
    }

    /// Writes `value` as compact JSON the way the encoder does with a cap: past `horizon` bytes,
    /// checked before each entry, it stops; a string longer than the room left is cut there.
    fn write_until(value: &Value, horizon: usize, out: &mut Vec<u8>, unfinished: &mut Unfinished) -> bool {
        use crate::encode::escape::{escaped_length, write_json_string};
        match value {
            Value::String(text) if text.len() > horizon.saturating_sub(out.len()) => {
                let mut end = horizon.saturating_sub(out.len()).min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                unfinished.cut_string = Some((out.len(), escaped_length(text)));
                write_json_string(out, &text[..end]);
                false
            }
            Value::Array(items) => {
                unfinished.open_containers.push((out.len(), items.len()));
                out.push(b'[');
                for (index, item) in items.iter().enumerate() {
                    if out.len() > horizon {
                        return false;
                    }
                    if index > 0 {
                        out.push(b',');
                    }
                    if !write_until(item, horizon, out, unfinished) {
                        return false;
                    }
                }
                out.push(b']');
                unfinished.open_containers.pop();
                true
            }
            Value::Object(map) => {
                unfinished.open_containers.push((out.len(), map.len()));
                out.push(b'{');
                for (index, (key, item)) in map.iter().enumerate() {
                    if out.len() > horizon {
                        return false;
                    }
                    if index > 0 {
                        out.push(b',');
                    }
                    write_json_string(out, key);
                    out.push(b':');
                    if !write_until(item, horizon, out, unfinished) {
                        return false;
                    }
                }
                out.push(b'}');
                unfinished.open_containers.pop();
                true
            }
            other => {
                out.extend_from_slice(serde_json::to_string(other).unwrap().as_bytes());
                true
            }
        }
    }

    #[test]
    fn stopping_past_the_budget_cuts_as_the_whole_text_would_be_cut() {
        let mut random = Random(0x2545_F491_4F6C_DD1D);
        let mut stopped = 0;
        for _ in 0..400 {
            let value = random.value(0);
            let full = serde_json::to_string(&value).unwrap();
            for budget in (MIN_BUDGET..full.len() + 2).step_by(1 + full.len() / 25) {
                for slack in [0, 7, 64] {
                    let mut out = Vec::new();
                    let mut unfinished = Unfinished::default();
                    if write_until(&value, budget + slack, &mut out, &mut unfinished) {
                        continue;
                    }
                    stopped += 1;
                    for &(start, _) in unfinished.open_containers.iter().rev() {
                        out.push(if out[start] == b'{' { b'}' } else { b']' });
                    }
                    let closed = String::from_utf8(out).unwrap();
                    let cut = truncate_unfinished_json(&closed, &unfinished, budget);
                    let whole = truncate_json(&full, budget).unwrap_or_else(|| full.clone());
                    if whole.starts_with("\"…[truncated ") && serde_json::from_str::<Value>(&whole).unwrap().is_string()
                    {
                        assert!(
                            cut == whole || cut.starts_with("\"…[truncated, over "),
                            "{cut} vs {whole}"
                        );
                    } else {
                        assert_eq!(cut, whole, "budget {budget}, slack {slack}, closed {closed}");
                    }
                }
            }
        }
        assert!(stopped > 1000, "only {stopped} runs stopped early");
    }

    #[test]
    fn any_document_and_budget_gives_valid_json_within_the_budget() {
        let mut random = Random(0x9E37_79B9_7F4A_7C15);
        for _ in 0..300 {
            let value = random.value(0);
            let length = serde_json::to_string(&value).unwrap().len();
            for budget in (MIN_BUDGET..length + 2).step_by(1 + length / 40) {
                cut(&value, budget);
            }
        }
    }
}
