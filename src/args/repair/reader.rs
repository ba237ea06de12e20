//! The character reader's state: the text as characters, where the reader is, and the limits
//! it keeps while reading.

use super::*;

/// A parse failure before its line and column are worked out.
#[derive(Debug)]
pub(super) struct Refusal {
    /// Index of the character where it happened.
    pub(super) offset: usize,
    pub(super) message: String,
}

impl Refusal {
    pub(super) fn new(offset: usize, message: impl Into<String>) -> Self {
        Refusal {
            offset,
            message: message.into(),
        }
    }
}

pub(super) type Parsed<T> = Result<T, Refusal>;

/// Where the reader is, as json_repair tracks it: the meaning of a quote or a comma depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Place {
    ObjectKey,
    ObjectValue,
    Array,
}

#[derive(Default)]
pub(super) struct Places {
    pub(super) stack: Vec<Place>,
    pub(super) counts: [usize; 3],
}

impl Places {
    pub(super) fn slot(place: Place) -> usize {
        match place {
            Place::ObjectKey => 0,
            Place::ObjectValue => 1,
            Place::Array => 2,
        }
    }

    pub(super) fn current(&self) -> Option<Place> {
        self.stack.last().copied()
    }

    pub(super) fn is(&self, place: Place) -> bool {
        self.current() == Some(place)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.stack.is_empty()
    }

    pub(super) fn contains(&self, place: Place) -> bool {
        self.counts[Places::slot(place)] > 0
    }

    pub(super) fn push(&mut self, place: Place) {
        self.stack.push(place);
        self.counts[Places::slot(place)] += 1;
    }

    pub(super) fn pop(&mut self) {
        if let Some(place) = self.stack.pop() {
            self.counts[Places::slot(place)] -= 1;
        }
    }

    pub(super) fn clear(&mut self) {
        self.stack.clear();
        self.counts = [0; 3];
    }
}

pub(super) struct Parser<'t> {
    pub(super) text: &'t str,
    /// The text, while it is ASCII and unchanged: a character index is then a byte index.
    pub(super) ascii_text: Option<&'t str>,
    /// The text while it is unchanged, and where each character starts in it when it is not
    /// ASCII: a character index then maps to a byte offset.
    pub(super) unchanged_text: Option<&'t str>,
    pub(super) char_starts: Vec<usize>,
    pub(super) chars: Vec<char>,
    pub(super) index: usize,
    pub(super) limits: &'t Limits,
    pub(super) depth: usize,
    pub(super) places: Places,
    /// Places entered before the next value is read (json_repair keeps a re-read set's key place).
    pub(super) deferred: Vec<Place>,
    /// Path of the value being read: one step per open container.
    pub(super) path: Vec<PathItem>,
    pub(super) repairs: Vec<Repair>,
    /// Characters look-ahead may still read before each look-ahead is held to a short window.
    pub(super) lookahead: usize,
    /// Characters that may still be read a second time.
    pub(super) reread: usize,
    pub(super) unescapes_left: usize,
    /// An object was split at a duplicate key: an implied `{` sits at `index`.
    pub(super) split_pending: bool,
    /// A change that may alter what the model meant is on the record list.
    pub(super) meaning_recorded: bool,
    /// An opening markdown fence was met and recorded; its closing fence is expected.
    pub(super) fence_open: bool,
    /// The path of the last number read that stopped at most one character before the end of
    /// the text, and how many records there were after it: a number the text ends inside is
    /// recorded there, before what the rest of the reading made of its last characters.
    pub(super) number_at_end: Option<(Vec<PathItem>, usize)>,
    /// What follows the first document goes on writing it (`{"a": 0}, s: "x"`): the text
    /// skipped after it is members or items dropped, not prose.
    pub(super) values_after_document: bool,
    /// Closing brackets supplied at the end of a truncated document, innermost first.
    pub(super) supplied_closers: String,
    /// Where the text's content ends, before trailing whitespace (found when first needed).
    pub(super) content_end: Option<usize>,
    /// The first document after prose was tried as valid JSON.
    pub(super) tried_valid_document: bool,
    /// Recent look-ahead answers: the targets, where the search started, what it found.
    pub(super) found: Vec<(Targets, usize, usize)>,
    /// Text that tries to read a container as valid JSON may still read in vain.
    pub(super) valid_allowance: usize,
    /// Containers read as valid JSON in one pass.
    pub(super) stretches_read: usize,
    /// Containers tried as valid JSON in vain.
    pub(super) stretches_failed: usize,
    /// The next slot of `found` to reuse once it is full.
    pub(super) found_next: usize,
    pub(super) wide: WideIntegers,
    /// The records' paths and snippets are built (a caller that wants only the value drops them).
    pub(super) keep_snippets: bool,
    /// Byte offset of a first value serde_json was already found unable to read.
    pub(super) broken_first_value: Option<usize>,
}

/// The buffers a finished reading leaves to the next on the same thread: the texts a model sends
/// are mostly short, and for those, allocating the characters, the place stack, the path and the
/// look-ahead answers anew is a large part of the reading.
#[derive(Default)]
struct Spare {
    chars: Vec<char>,
    places: Vec<Place>,
    path: Vec<PathItem>,
    found: Vec<(Targets, usize, usize)>,
}

/// Characters a kept buffer may hold: the buffers of a long text are given back.
const SPARE_CHARS: usize = 4096;

thread_local! {
    static SPARE: std::cell::Cell<Spare> = std::cell::Cell::new(Spare::default());
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        if self.chars.capacity() > SPARE_CHARS {
            return;
        }
        let mut spare = Spare {
            chars: std::mem::take(&mut self.chars),
            places: std::mem::take(&mut self.places.stack),
            path: std::mem::take(&mut self.path),
            found: std::mem::take(&mut self.found),
        };
        spare.chars.clear();
        spare.places.clear();
        spare.path.clear();
        spare.found.clear();
        // A thread being torn down keeps nothing.
        let _ = SPARE.try_with(|kept| kept.set(spare));
    }
}

impl<'t> Parser<'t> {
    pub(super) fn new(text: &'t str, limits: &'t Limits) -> Self {
        let ascii = text.is_ascii();
        let spare = SPARE.try_with(std::cell::Cell::take).unwrap_or_default();
        let mut chars = spare.chars;
        if ascii {
            chars.extend(text.bytes().map(char::from));
        } else {
            chars.extend(text.chars());
        }
        let length = chars.len();
        Parser {
            text,
            ascii_text: ascii.then_some(text),
            unchanged_text: Some(text),
            char_starts: if ascii {
                Vec::new()
            } else {
                text.char_indices().map(|(start, _)| start).collect()
            },
            chars,
            index: 0,
            limits,
            depth: 0,
            places: Places {
                stack: spare.places,
                counts: [0; 3],
            },
            deferred: Vec::new(),
            path: spare.path,
            repairs: Vec::new(),
            lookahead: length
                .saturating_mul(LOOKAHEAD_PER_CHAR)
                .saturating_add(LOOKAHEAD_FLOOR),
            reread: length.saturating_mul(REREAD_PER_CHAR).saturating_add(LOOKAHEAD_FLOOR),
            unescapes_left: MAX_DOCUMENT_UNESCAPES,
            split_pending: false,
            meaning_recorded: false,
            fence_open: false,
            number_at_end: None,
            values_after_document: false,
            supplied_closers: String::new(),
            content_end: None,
            tried_valid_document: false,
            found: spare.found,
            found_next: 0,
            valid_allowance: length
                .saturating_mul(valid_stretch::ALLOWANCE_PER_CHAR)
                .saturating_add(valid_stretch::ALLOWANCE_FLOOR),
            stretches_read: 0,
            stretches_failed: 0,
            wide: WideIntegers::Refuse,
            keep_snippets: true,
            broken_first_value: None,
        }
    }

    pub(super) fn byte_offset(&self, char_index: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_index)
            .map_or(self.text.len(), |(offset, _)| offset)
    }

    pub(super) fn len(&self) -> usize {
        self.chars.len()
    }

    pub(super) fn at(&self, position: usize) -> Option<char> {
        self.chars.get(position).copied()
    }

    pub(super) fn cur(&self) -> Option<char> {
        if self.split_pending {
            Some('{')
        } else {
            self.at(self.index)
        }
    }

    pub(super) fn step(&mut self) {
        self.index = (self.index + 1).min(self.len());
    }

    pub(super) fn skip_whitespaces(&mut self) {
        if self.split_pending {
            return;
        }
        while self.at(self.index).is_some_and(is_space) {
            self.index += 1;
        }
    }

    pub(super) fn slice(&self, from: usize, to: usize) -> String {
        let to = to.min(self.len());
        let from = from.min(to);
        match self.ascii_text {
            Some(text) => text[from..to].to_owned(),
            None => self.chars[from..to].iter().collect(),
        }
    }

    /// A snippet of the text from `from` to `to`, cut to snippet length (empty once no more
    /// records are kept).
    pub(super) fn snippet_of(&self, from: usize, to: usize) -> String {
        if !self.wants_snippets() {
            return String::new();
        }
        let to = to.min(self.len()).min(from.saturating_add(SNIPPET_CHARS * 2));
        snippet(&self.slice(from, to))
    }

    pub(super) fn enter_container(&mut self, opened_at: usize) -> Parsed<()> {
        self.depth += 1;
        let limit = self.limits.effective_depth();
        if self.depth > limit {
            return Err(Refusal::new(
                opened_at,
                format!("nesting deeper than the limit of {limit} levels"),
            ));
        }
        Ok(())
    }

    pub(super) fn check_string_length(&self, start: usize, length: usize) -> Parsed<()> {
        let limit = self.limits.max_string_length;
        if length > limit {
            return Err(Refusal::new(
                start,
                format!("string longer than the limit of {limit} bytes"),
            ));
        }
        Ok(())
    }
}
