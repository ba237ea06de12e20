//! Recording each change the reader makes, with short snippets of the text before and after.

use super::*;

impl Parser<'_> {
    /// Records a change at the current path. Past the cap, a change that may alter what the
    /// model meant still takes the last place, so the road can always see it and refuse.
    pub(super) fn record(&mut self, kind: RepairKind, before: impl Into<String>, after: impl Into<String>) {
        let keeps_meaning_visible = kind.may_alter_meaning() && !self.meaning_recorded;
        if !self.has_room() && !keeps_meaning_visible {
            return;
        }
        // A caller that only wants the value keeps each record's kind (the reader's later
        // decisions read kinds) but not where it was made.
        let (path, before, after) = if self.keep_snippets {
            (JsonPath::from(self.path.clone()), before.into(), after.into())
        } else {
            (JsonPath::root(), String::new(), String::new())
        };
        let repair = Repair::new(path, kind, Value::String(before), Value::String(after));
        if self.has_room() {
            self.repairs.push(repair);
        } else if let Some(last) = self.repairs.last_mut() {
            *last = repair;
        }
        self.meaning_recorded |= kind.may_alter_meaning();
    }

    /// Records the number the text ends inside as possibly cut: at the number's path, before
    /// the records of what was read after it (a `1e` read as 1 and a key `e`), when the reader
    /// read it as a number; at the innermost container otherwise.
    pub(super) fn record_cut_number(&mut self, tail: String) {
        match self.number_at_end.take() {
            Some((path, at)) if self.has_room() => {
                let path = if self.keep_snippets {
                    JsonPath::from(path)
                } else {
                    JsonPath::root()
                };
                let repair = Repair::new(path, RepairKind::TruncatedNumber, tail.clone(), tail);
                self.repairs.insert(at.min(self.repairs.len()), repair);
                self.meaning_recorded = true;
            }
            _ => self.record(RepairKind::TruncatedNumber, tail.clone(), tail),
        }
    }

    /// `record`, with snippets built only when records keep them.
    pub(super) fn record_built(&mut self, kind: RepairKind, snippets: impl FnOnce(&Self) -> (String, String)) {
        let (before, after) = if self.keep_snippets {
            snippets(self)
        } else {
            (String::new(), String::new())
        };
        self.record(kind, before, after);
    }

    pub(super) fn has_room(&self) -> bool {
        self.repairs.len() < MAX_RECORDED_REPAIRS
    }

    /// Whether a record made now may be kept, so its snippets are worth building.
    pub(super) fn wants_snippets(&self) -> bool {
        self.keep_snippets && (self.has_room() || !self.meaning_recorded)
    }

    /// `text` as a JSON string literal, cut to snippet length, when snippets are wanted.
    pub(super) fn value_text_snippet(&self, text: &str) -> String {
        if self.wants_snippets() {
            json_snippet(text)
        } else {
            String::new()
        }
    }

    /// The text's last characters up to `end`, when snippets are wanted.
    pub(super) fn tail_snippet(&self, end: usize) -> String {
        if self.wants_snippets() {
            self.slice(end.saturating_sub(CONTEXT_CHARS), end)
        } else {
            String::new()
        }
    }

    /// Drops the records made since `count`, as when a span is read again.
    pub(super) fn forget_records_since(&mut self, count: usize) {
        self.repairs.truncate(count);
        // A number at the end is read again with the rest.
        self.number_at_end = None;
        self.meaning_recorded = self.repairs.iter().any(|repair| repair.kind.may_alter_meaning());
    }

    /// Records the text from `from` to `to` as dropped, unless it is only whitespace and commas.
    pub(super) fn record_dropped(&mut self, from: usize, to: usize) {
        if to <= from {
            return;
        }
        let kind = match self.continues_a_number(from, to) {
            true => RepairKind::ExpressionAfterNumber,
            false => RepairKind::DroppedText,
        };
        if !self.has_room() && !kind.may_alter_meaning() {
            return;
        }
        let end = to.min(from + SNIPPET_CHARS * 2);
        if !self.keep_snippets {
            // Only the kind is kept: whether anything but whitespace and commas was dropped.
            let dropped_text = (from..end)
                .map_while(|at| self.at(at))
                .any(|c| !(is_space(c) || c == ','));
            if dropped_text {
                self.record(kind, String::new(), String::new());
            }
            return;
        }
        let dropped = self.slice(from, end);
        let trimmed = dropped.trim_matches(|c: char| is_space(c) || c == ',');
        if !trimmed.is_empty() {
            self.record(kind, snippet(trimmed), "");
        }
    }

    /// Whether the text dropped from `from` goes on with the number written right before it, as
    /// an operator or more digits do (`1 - y`, `100 - 5%`, `1 .5`): the number was then read only
    /// in part. Other stray text after a number (`1 @@ "b": 2`) leaves it whole.
    fn continues_a_number(&self, from: usize, to: usize) -> bool {
        let first = (from..to).map_while(|at| self.at(at)).find(|c| !is_space(*c));
        if !first.is_some_and(|c| matches!(c, '+' | '-' | '*' | '/' | '%' | '.') || c.is_ascii_digit()) {
            return false;
        }
        let last_before = (0..from).rev().map_while(|at| self.at(at)).find(|c| !is_space(*c));
        last_before.is_some_and(|c| c.is_ascii_digit() || c == '.')
    }

    /// Text skipped outside any document: prose, or a markdown fence.
    pub(super) fn record_outside_text(&mut self, from: usize, to: usize) {
        if !self.has_room() || to <= from {
            return;
        }
        let text = self.slice(from, to.min(from + 4096));
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let (prose, fence, after) = match rest.find(FENCE) {
                Some(at) => {
                    let fence_end = at + rest[at..].len() - rest[at..].trim_start_matches('`').len();
                    let tag_end = fence_end
                        + rest[fence_end..]
                            .find(|c: char| !(c.is_ascii_alphanumeric() || "_+-.".contains(c)))
                            .unwrap_or(rest.len() - fence_end);
                    (&rest[..at], Some(&rest[at..tag_end]), &rest[tag_end..])
                }
                None => (rest, None, ""),
            };
            let prose = prose.trim_matches(is_space);
            if !prose.is_empty() {
                let kind = match std::mem::take(&mut self.values_after_document) {
                    true => RepairKind::ValuesAfterDocument,
                    false => RepairKind::SurroundingText,
                };
                self.record(kind, snippet(prose), "");
            }
            if let Some(fence) = fence {
                if !self.fence_open {
                    self.record(RepairKind::MarkdownFence, snippet(fence), "");
                }
                self.fence_open = !self.fence_open;
            }
            rest = after;
        }
    }

    pub(super) fn insertion_snippets(&self, at: usize, inserted: &str) -> (String, String) {
        self.edit_snippets(at, 0, inserted)
    }

    /// The text around `at`, before and after the `removed` characters there become `inserted`.
    pub(super) fn edit_snippets(&self, at: usize, removed: usize, inserted: &str) -> (String, String) {
        if !self.wants_snippets() {
            return (String::new(), String::new());
        }
        let at = at.min(self.len());
        let end = (at + removed).min(self.len());
        let head = self.slice(at.saturating_sub(CONTEXT_CHARS), at);
        let old = self.slice(at, end);
        let tail = self.slice(end, end + CONTEXT_CHARS);
        (format!("{head}{old}{tail}"), format!("{head}{inserted}{tail}"))
    }
}
