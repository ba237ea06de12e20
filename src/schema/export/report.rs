//! Where in a schema a finding is, the report of findings, and the keywords moved into descriptions.

use super::*;

/// Where a schema sits: the path for problem locations ("properties.tags.items") and the
/// parameter's name for notes ("'tags[]'").
#[derive(Clone, Debug, Default)]
pub(super) struct Loc {
    pub(super) segments: Vec<String>,
    pub(super) name: Option<String>,
}

impl Loc {
    pub(super) fn root() -> Loc {
        Loc::default()
    }

    pub(super) fn definition(container: &str, name: &str) -> Loc {
        Loc {
            segments: vec![container.to_string(), name.to_string()],
            name: Some(name.to_string()),
        }
    }

    pub(super) fn keyword(&self, keyword: &str) -> Loc {
        let mut segments = self.segments.clone();
        segments.push(keyword.to_string());
        Loc {
            segments,
            name: self.name.clone(),
        }
    }

    pub(super) fn member(&self, keyword: &str, index: usize) -> Loc {
        let mut loc = self.keyword(keyword);
        loc.segments.push(index.to_string());
        loc
    }

    pub(super) fn property(&self, property: &str) -> Loc {
        let mut loc = self.keyword("properties");
        loc.segments.push(property.to_string());
        loc.name = Some(match &self.name {
            Some(parent) => format!("{parent}.{property}"),
            None => property.to_string(),
        });
        loc
    }

    pub(super) fn items(&self, keyword: &str) -> Loc {
        let mut loc = self.keyword(keyword);
        loc.name = self.name.as_ref().map(|name| format!("{name}[]"));
        loc
    }

    pub(super) fn render(&self) -> String {
        if self.segments.is_empty() {
            "(root)".to_string()
        } else {
            self.segments.join(".")
        }
    }

    /// How notes and messages name the schema.
    pub(super) fn subject(&self) -> String {
        match &self.name {
            Some(name) => format!("'{name}'"),
            None if self.segments.is_empty() => "the parameters".to_string(),
            None => format!("the schema at {}", self.render()),
        }
    }
}

#[derive(Default)]
pub(super) struct Report {
    pub(super) problems: Vec<ExportProblem>,
    pub(super) notes: Vec<String>,
}

impl Report {
    pub(super) fn problem(&mut self, at: &Loc, message: impl Into<String>, fix: impl Into<String>) {
        let problem = ExportProblem {
            location: at.render(),
            message: message.into(),
            fix: fix.into(),
        };
        if !self.problems.contains(&problem) {
            self.problems.push(problem);
        }
    }

    pub(super) fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    pub(super) fn finish(self, definition: Value) -> Result<Exported, Vec<ExportProblem>> {
        if self.problems.is_empty() {
            Ok(Exported {
                definition,
                notes: self.notes,
            })
        } else {
            Err(self.problems)
        }
    }
}

/// Keywords a provider cannot take, turned into sentences for the description.
#[derive(Default)]
pub(super) struct Moved {
    pub(super) keywords: Vec<String>,
    pub(super) constraints: Vec<String>,
    pub(super) remarks: Vec<String>,
    pub(super) default: Option<String>,
    pub(super) examples: Option<String>,
}

impl Moved {
    pub(super) fn describe(&mut self, keyword: &str, value: &Value) {
        match keyword {
            // A null default says nothing a nullable schema does not.
            "default" if value.is_null() => return,
            "default" => self.default = Some(show(value)),
            "examples" => {
                self.examples = Some(match value {
                    Value::Array(examples) => examples.iter().map(show).collect::<Vec<_>>().join(", "),
                    other => show(other),
                })
            }
            "example" => self.examples = Some(show(value)),
            "deprecated" if value == &Value::Bool(true) => self.remarks.push("Deprecated.".to_string()),
            "deprecated" | "uniqueItems" if value == &Value::Bool(false) => return,
            _ => self.constraints.push(constraint_text(keyword, value)),
        }
        self.keywords.push(keyword.to_string());
    }

    pub(super) fn apply(
        self,
        out: &mut Map<String, Value>,
        description: Option<String>,
        at: &Loc,
        report: &mut Report,
    ) {
        let mut lines: Vec<String> = description.into_iter().filter(|text| !text.trim().is_empty()).collect();
        if !self.constraints.is_empty() {
            lines.push(format!("Constraints: {}.", self.constraints.join("; ")));
        }
        lines.extend(self.remarks);
        if let Some(default) = self.default {
            lines.push(format!("Default: {default}."));
        }
        if let Some(examples) = self.examples {
            lines.push(format!("Examples: {examples}."));
        }
        if !lines.is_empty() {
            out.insert("description".to_string(), Value::String(lines.join("\n")));
        }
        if !self.keywords.is_empty() {
            report.note(format!(
                "{} moved into the description of {}",
                self.keywords.join(", "),
                at.subject()
            ));
        }
    }
}

/// A keyword and its value as readable text: "at most 5 characters".
pub(super) fn constraint_text(keyword: &str, value: &Value) -> String {
    let count = |unit: &str| {
        value
            .as_u64()
            .map(|n| format!("{n} {unit}{}", if n == 1 { "" } else { "s" }))
    };
    let text = match keyword {
        "minLength" => count("character").map(|n| format!("at least {n}")),
        "maxLength" => count("character").map(|n| format!("at most {n}")),
        "minItems" => count("item").map(|n| format!("at least {n}")),
        "maxItems" => count("item").map(|n| format!("at most {n}")),
        "minProperties" => count("key").map(|n| format!("at least {n}")),
        "maxProperties" => count("key").map(|n| format!("at most {n}")),
        "minContains" => count("item").map(|n| format!("at least {n} matching 'contains'")),
        "maxContains" => count("item").map(|n| format!("at most {n} matching 'contains'")),
        "pattern" => value.as_str().map(|p| format!("matches the regular expression {p}")),
        "format" => value.as_str().map(|f| format!("in {f} format")),
        "contentEncoding" => value.as_str().map(|e| format!("encoded as {e}")),
        "contentMediaType" => value.as_str().map(|m| format!("of media type {m}")),
        "minimum" => Some(format!("at least {}", show(value))),
        "maximum" => Some(format!("at most {}", show(value))),
        "exclusiveMinimum" => Some(format!("greater than {}", show(value))),
        "exclusiveMaximum" => Some(format!("less than {}", show(value))),
        "multipleOf" => Some(format!("a multiple of {}", show(value))),
        "uniqueItems" => Some("no duplicate items".to_string()),
        "contains" => Some(format!("contains an item matching {}", show(value))),
        "propertyNames" => Some(format!("keys match {}", show(value))),
        "contentSchema" => Some(format!("content matches {}", show(value))),
        "const" => Some(format!("exactly {}", show(value))),
        "enum" => value
            .as_array()
            .map(|values| format!("one of {}", values.iter().map(show).collect::<Vec<_>>().join(", "))),
        _ => None,
    };
    text.unwrap_or_else(|| format!("{keyword} {}", show(value)))
}

/// A JSON value as it reads in a sentence: strings quoted, everything else as JSON.
pub(super) fn show(value: &Value) -> String {
    value.to_string()
}

/// A short name for what a schema accepts: "integer", "string or null", "Address".
pub(super) fn short_label(schema: &Value) -> String {
    pub(super) fn label(schema: &Value, depth: usize) -> String {
        let Value::Object(node) = schema else {
            return if schema == &Value::Bool(false) {
                "nothing"
            } else {
                "any value"
            }
            .to_string();
        };
        if let Some(title) = node.get("title").and_then(Value::as_str) {
            return title.to_string();
        }
        if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
            return reference.rsplit('/').next().unwrap_or(reference).to_string();
        }
        match node.get("type") {
            Some(Value::String(name)) => return name.clone(),
            Some(Value::Array(names)) => {
                return names.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or ")
            }
            _ => {}
        }
        if let Some(values) = node.get("enum") {
            return constraint_text("enum", values);
        }
        if let Some(value) = node.get("const") {
            return show(value);
        }
        if let (Some(Value::Array(members)), true) = (node.get("anyOf"), depth == 0) {
            return members
                .iter()
                .map(|member| label(member, depth + 1))
                .collect::<Vec<_>>()
                .join(" or ");
        }
        "any value".to_string()
    }
    label(schema, 0)
}

pub(super) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

pub(super) fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `type`, `title` and `description` first, the rest in the order they were written.
pub(super) fn ordered(out: Map<String, Value>) -> Map<String, Value> {
    pub(super) const HEAD: [&str; 3] = ["type", "title", "description"];
    let mut entries: Vec<(String, Value)> = out.into_iter().collect();
    entries.sort_by_key(|(key, _)| HEAD.iter().position(|head| head == key).unwrap_or(HEAD.len()));
    entries.into_iter().collect()
}
