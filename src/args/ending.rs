//! How the model's turn ended, as the provider response says: a turn that ended normally holds
//! complete calls, so a number at the very end of the arguments is the whole number.

use crate::encode::writer::is_json_number;

/// What the provider said about the end of the turn the call came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ending {
    /// Nothing said (a call built by hand, a provider without a finish reason).
    #[default]
    Unknown,
    /// The model ended on its own: OpenAI `tool_calls`/`stop`, Anthropic `tool_use`/`end_turn`,
    /// Gemini `STOP`, OpenAI Responses `completed`.
    Complete,
    /// The output was cut at a token limit: OpenAI `length`, Anthropic `max_tokens`, Gemini
    /// `MAX_TOKENS`, OpenAI Responses `max_output_tokens`.
    CutOff,
}

impl Ending {
    /// The ending a provider's finish reason (or stop reason) names; case does not matter,
    /// since Gemini writes its reasons in capitals.
    pub fn from_finish_reason(reason: &str) -> Self {
        let reason = reason.trim();
        let complete = [
            "tool_calls",
            "stop",
            "function_call",
            "tool_use",
            "end_turn",
            "stop_sequence",
            "completed",
        ];
        let cut_off = ["length", "max_tokens", "max_output_tokens", "incomplete"];
        if complete.iter().any(|known| reason.eq_ignore_ascii_case(known)) {
            Ending::Complete
        } else if cut_off.iter().any(|known| reason.eq_ignore_ascii_case(known)) {
            Ending::CutOff
        } else {
            Ending::Unknown
        }
    }
}

/// Whether `text` ends with a whole JSON number (`12`, `-0.5`, `1e+5`), not a piece of one (`1e`,
/// `1e+`, `1.`, `-`): in a turn that ended normally, the first is the number the model meant; the
/// second is not a number at all.
pub fn ends_with_whole_number(text: &str) -> bool {
    let text = text.trim_end();
    let start = text
        .char_indices()
        .rev()
        .find(|&(_, c)| !matches!(c, '0'..='9' | '.' | 'e' | 'E' | '+' | '-'))
        .map_or(0, |(position, c)| position + c.len_utf8());
    is_json_number(&text[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_a_whole_number_from_a_piece_of_one() {
        for text in [
            r#"{"a": 12"#,
            r#"{"a": -0.5 "#,
            r#"{"a": [1e+5"#,
            r#"{"a": 0"#,
            r#"{"a": 3E7"#,
        ] {
            assert!(ends_with_whole_number(text), "{text}");
        }
        for text in [
            r#"{"a": 1e"#,
            r#"{"a": 1e+"#,
            r#"{"a": 1."#,
            r#"{"a": -"#,
            r#"{"a": 1-"#,
            r#"{"a": 1+"#,
            r#"{"a": 1.5."#,
            r#"{"a": 01"#,
            r#"{"a": "x"#,
            "",
        ] {
            assert!(!ends_with_whole_number(text), "{text}");
        }
    }

    #[test]
    fn reads_each_providers_reasons() {
        for reason in ["tool_calls", "stop", "tool_use", "end_turn", "STOP", "completed"] {
            assert_eq!(Ending::from_finish_reason(reason), Ending::Complete, "{reason}");
        }
        for reason in ["length", "max_tokens", "MAX_TOKENS", "max_output_tokens"] {
            assert_eq!(Ending::from_finish_reason(reason), Ending::CutOff, "{reason}");
        }
        for reason in ["content_filter", "SAFETY", "pause_turn", "refusal", ""] {
            assert_eq!(Ending::from_finish_reason(reason), Ending::Unknown, "{reason}");
        }
    }
}
