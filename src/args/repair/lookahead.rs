//! Look-ahead paid from an allowance proportional to the text, so a hostile text cannot make the
//! reader quadratic: once the allowance is spent each look-ahead reads only a short window.

use super::*;

/// The characters one look-ahead searches for, as a key for the answers kept.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Targets([char; 6]);

impl Targets {
    pub(super) fn new(targets: &[char]) -> Self {
        let mut key = ['\0'; 6];
        for (slot, target) in key.iter_mut().zip(targets) {
            *slot = *target;
        }
        Targets(key)
    }
}

impl Parser<'_> {
    /// The end (exclusive) of what one look-ahead from `from` may read.
    pub(super) fn lookahead_end(&self, from: usize) -> usize {
        let window = if self.lookahead > 0 {
            self.lookahead
        } else {
            SPENT_LOOKAHEAD_WINDOW
        };
        from.saturating_add(window).min(self.len())
    }

    /// How far a chain of look-aheads from `from` may go: nowhere past the first once the
    /// allowance is spent.
    pub(super) fn chain_end(&self, from: usize) -> usize {
        if self.lookahead > 0 {
            self.lookahead_end(from)
        } else {
            from + 1
        }
    }

    /// The lowest position one look-behind from `from` may read.
    pub(super) fn lookbehind_floor(&self, from: usize) -> usize {
        let window = if self.lookahead > 0 {
            self.lookahead
        } else {
            SPENT_LOOKAHEAD_WINDOW
        };
        from.saturating_sub(window)
    }

    pub(super) fn spend(&mut self, read: usize) {
        self.lookahead = self.lookahead.saturating_sub(read);
    }

    /// The first position at or after `from` holding one of `targets` not escaped by an odd run of
    /// backslashes (counted from `from`), or the end of the text.
    pub(super) fn find_unescaped(&mut self, from: usize, targets: &[char]) -> usize {
        let length = self.len();
        if from >= length {
            return length;
        }
        // The same search from further on finds the same place, so answers are kept.
        let key = Targets::new(targets);
        let known = self.found.iter().find(|(cached_targets, start, found)| {
            *cached_targets == key && *start <= from && (from <= *found || *found == length)
        });
        if let Some((_, _, found)) = known {
            return *found;
        }
        let end = self.lookahead_end(from);
        let mut backslashes = 0usize;
        let mut position = from;
        let mut found = length;
        while position < end {
            let character = self.chars[position];
            if character == '\\' {
                backslashes += 1;
                position += 1;
                continue;
            }
            if targets.contains(&character) && backslashes % 2 == 0 {
                found = position;
                break;
            }
            backslashes = 0;
            position += 1;
        }
        self.spend((position - from).max(MIN_LOOKAHEAD_COST));
        let complete = found < length || end == length;
        if complete && (found == length || found == 0 || self.chars[found - 1] != '\\') {
            let same = self
                .found
                .iter_mut()
                .find(|(cached_targets, _, cached)| *cached_targets == key && *cached == found);
            match same {
                Some(entry) => entry.1 = entry.1.min(from),
                None if self.found_next < FOUND_CACHE_SIZE => {
                    self.found.push((key, from, found));
                    self.found_next += 1;
                }
                None => {
                    let slot = self.found_next % FOUND_CACHE_SIZE;
                    self.found[slot] = (key, from, found);
                    self.found_next += 1;
                }
            }
        }
        found
    }

    /// The first position at or after `from` holding one of `targets`, escaped or not.
    pub(super) fn find_plain(&mut self, from: usize, targets: &[char]) -> usize {
        let length = self.len();
        let end = self.lookahead_end(from.min(length));
        let mut position = from.min(length);
        while position < end && !targets.contains(&self.chars[position]) {
            position += 1;
        }
        self.spend(position.saturating_sub(from) + 1);
        if position < end {
            position
        } else {
            length
        }
    }

    /// The first position at or after `from` that is not whitespace (the end of the text if none).
    pub(super) fn skip_space_from(&mut self, from: usize) -> usize {
        let length = self.len();
        if from >= length {
            return from;
        }
        let end = self.lookahead_end(from);
        let mut position = from;
        while position < end && is_space(self.chars[position]) {
            position += 1;
        }
        self.spend(position - from + 1);
        if position == end && end < length {
            length
        } else {
            position
        }
    }

    /// Past a bare key (`abc_d-e`) starting at `from`.
    pub(super) fn skip_bare_key(&mut self, from: usize) -> usize {
        let end = self.lookahead_end(from.min(self.len()));
        let mut position = from;
        while position < end && is_bare_key_char(self.chars[position]) {
            position += 1;
        }
        self.spend(position.saturating_sub(from) + 1);
        position
    }
}
