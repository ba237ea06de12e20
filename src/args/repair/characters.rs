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
