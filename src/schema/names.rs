//! The tool names each provider accepts.
//!
//! OpenAI and Anthropic take `^[a-zA-Z0-9_-]{1,64}$`. Google documents two variants for
//! Gemini: the Gemini API allows letters, digits, `_`, `.`, `:` and `-`; Vertex AI adds that the
//! name must start with a letter or `_` (and older Vertex releases leave out `:`). The rule
//! used here is the one both accept: a letter or `_`, then letters, digits, `_`, `.` or `-`,
//! at most 64 characters in all.

use super::export::{ExportProblem, Provider};

/// The longest tool name any of the providers accepts.
pub const MAX_TOOL_NAME_CHARS: usize = 64;

/// `Ok` when `provider` accepts `name` as a tool name; otherwise the problem, with a fix that
/// proposes a name it does accept.
pub fn check_tool_name(name: &str, provider: Provider) -> Result<(), ExportProblem> {
    let faults = name_faults(name, provider);
    if faults.is_empty() {
        return Ok(());
    }
    Err(ExportProblem {
        location: "name".to_string(),
        message: format!(
            "the tool name '{name}' is not accepted by {}: {}",
            provider.label(),
            faults.join("; ")
        ),
        fix: format!("rename the tool, e.g. to '{}'", suggest_tool_name(name, provider)),
    })
}

/// A name `provider` accepts, as close to `name` as possible: every character it refuses
/// becomes `_`, and the result is cut to 64 characters.
pub fn suggest_tool_name(name: &str, provider: Provider) -> String {
    let mut suggestion: String = name
        .chars()
        .map(|c| if allowed(c, provider) { c } else { '_' })
        .collect();
    if suggestion.is_empty() {
        suggestion.push_str("tool");
    }
    if provider == Provider::Gemini && !suggestion.starts_with(starts_gemini_name) {
        suggestion.insert(0, '_');
    }
    suggestion.chars().take(MAX_TOOL_NAME_CHARS).collect()
}

fn name_faults(name: &str, provider: Provider) -> Vec<String> {
    let length = name.chars().count();
    if length == 0 {
        return vec!["it is empty".to_string()];
    }
    let mut faults = Vec::new();
    if length > MAX_TOOL_NAME_CHARS {
        faults.push(format!(
            "it is {length} characters long, more than {MAX_TOOL_NAME_CHARS}"
        ));
    }
    let mut refused: Vec<char> = Vec::new();
    for c in name.chars() {
        if !allowed(c, provider) && !refused.contains(&c) {
            refused.push(c);
        }
    }
    if !refused.is_empty() {
        let shown: Vec<String> = refused.iter().map(|c| format!("'{}'", c.escape_debug())).collect();
        faults.push(format!(
            "it contains {}, which {} does not allow (allowed: letters, digits, {})",
            shown.join(", "),
            provider.label(),
            allowed_punctuation(provider)
        ));
    }
    if provider == Provider::Gemini {
        if let Some(first) = name.chars().next() {
            if allowed(first, provider) && !starts_gemini_name(first) {
                faults.push(format!(
                    "it starts with '{first}', and Gemini names must start with a letter or '_'"
                ));
            }
        }
    }
    faults
}

fn allowed(c: char, provider: Provider) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-' || (provider == Provider::Gemini && c == '.')
}

fn starts_gemini_name(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn allowed_punctuation(provider: Provider) -> &'static str {
    match provider {
        Provider::Gemini => "'_', '.' and '-'",
        _ => "'_' and '-'",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_everywhere() {
        for provider in Provider::ALL {
            for name in ["get_weather", "search-docs", "A1", "x", &"a".repeat(64)] {
                assert_eq!(check_tool_name(name, provider), Ok(()), "{name} for {provider}");
            }
        }
    }

    #[test]
    fn dotted_names_are_refused_by_openai_and_anthropic_with_a_suggestion() {
        for provider in [Provider::OpenAI, Provider::OpenAIResponses, Provider::Anthropic] {
            let problem = check_tool_name("math.factorial", provider).unwrap_err();
            assert_eq!(problem.location, "name");
            assert!(problem.message.contains("'.'"), "{}", problem.message);
            assert!(problem.message.contains(provider.label()), "{}", problem.message);
            assert_eq!(problem.fix, "rename the tool, e.g. to 'math_factorial'");
        }
        assert_eq!(check_tool_name("math.factorial", Provider::Gemini), Ok(()));
    }

    #[test]
    fn gemini_names_start_with_a_letter_or_underscore() {
        assert_eq!(check_tool_name("_private", Provider::Gemini), Ok(()));
        let problem = check_tool_name("3d_render", Provider::Gemini).unwrap_err();
        assert!(problem.message.contains("starts with '3'"), "{}", problem.message);
        assert_eq!(problem.fix, "rename the tool, e.g. to '_3d_render'");
        assert_eq!(check_tool_name("3d_render", Provider::OpenAI), Ok(()));
        let problem = check_tool_name(".hidden", Provider::Gemini).unwrap_err();
        assert_eq!(problem.fix, "rename the tool, e.g. to '_.hidden'");
    }

    #[test]
    fn empty_long_and_foreign_names_are_refused() {
        let problem = check_tool_name("", Provider::Anthropic).unwrap_err();
        assert!(problem.message.contains("it is empty"));
        assert_eq!(problem.fix, "rename the tool, e.g. to 'tool'");

        let long = "n".repeat(70);
        let problem = check_tool_name(&long, Provider::OpenAI).unwrap_err();
        assert!(problem.message.contains("70 characters long"), "{}", problem.message);
        assert_eq!(suggest_tool_name(&long, Provider::OpenAI).len(), 64);

        let problem = check_tool_name("café au lait", Provider::OpenAI).unwrap_err();
        assert!(problem.message.contains("'é', ' '"), "{}", problem.message);
        assert_eq!(suggest_tool_name("café au lait", Provider::OpenAI), "caf__au_lait");
        assert_eq!(check_tool_name("caf__au_lait", Provider::OpenAI), Ok(()));
    }

    #[test]
    fn every_suggestion_is_accepted() {
        for provider in Provider::ALL {
            for name in ["", "a.b", "1.x", "-x", "ü", "x y/z", &"é".repeat(80)] {
                let suggestion = suggest_tool_name(name, provider);
                assert_eq!(
                    check_tool_name(&suggestion, provider),
                    Ok(()),
                    "{name:?} -> {suggestion:?}"
                );
            }
        }
    }
}
