//! Classes of characters the reader tells apart.

use super::*;

pub(super) fn is_space(character: char) -> bool {
    character.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&character)
}

pub(super) fn is_delimiter(character: char) -> bool {
    STRING_DELIMITERS.contains(&character)
}

pub(super) fn matching_quote(open: char) -> char {
    if open == OPEN_CURLY_QUOTE {
        CLOSE_CURLY_QUOTE
    } else {
        open
    }
}

pub(super) fn is_inline_opener(character: char) -> bool {
    matches!(character, '[' | '{' | '(')
}

pub(super) fn inline_closer(open: char) -> Option<char> {
    match open {
        '[' => Some(']'),
        '{' => Some('}'),
        '(' => Some(')'),
        _ => None,
    }
}

pub(super) fn is_bare_key_char(character: char) -> bool {
    character.is_alphanumeric() || character == '_' || character == '-'
}

/// Whether the text ends in the middle of what may be a number: digits, or a number's first
/// part left waiting for the rest (`12.`, `1e`, `1e+`, `-`). A number cut there reads as a
/// different number, or as a word, so the reading records it as possibly cut.
pub(super) fn ends_inside_number(text: &[char]) -> bool {
    let Some(&last) = text.last() else {
        return false;
    };
    if last.is_ascii_digit() {
        return true;
    }
    let is_number_char = |c: &char| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-');
    let run = text.iter().rev().take_while(|c| is_number_char(c)).count();
    if run == 0 {
        return false;
    }
    let start = text.len() - run;
    let begins_a_number = matches!(text[start], '0'..='9' | '-' | '+' | '.');
    let after_a_boundary = start == 0 || !(text[start - 1].is_alphanumeric() || is_delimiter(text[start - 1]));
    begins_a_number && after_a_boundary
}
