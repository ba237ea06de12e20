//! Strict and Gemini exports: what every rewrite into a provider's subset shares (which keyword goes
//! where, references, definitions, the keywords a rewrite does not handle itself); the rewrites
//! themselves are in strict_lowering.rs and gemini.rs.

use super::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Target {
    OpenAiStrict,
    AnthropicStrict,
    Gemini,
}

impl Target {
    pub(super) fn label(self) -> &'static str {
        match self {
            Target::OpenAiStrict => "OpenAI strict mode",
            Target::AnthropicStrict => "Anthropic strict tool use",
            Target::Gemini => "Gemini",
        }
    }
}

/// What happens to a keyword a rewrite does not handle itself.
pub(super) enum Placement {
    /// Handled by the rewrite itself.
    Structural,
    Keep,
    Describe,
    Refuse(&'static str),
    Drop,
    Unknown,
}

pub(super) fn placement(target: Target, keyword: &str, value: &Value) -> Placement {
    pub(super) const STRUCTURAL: [&str; 15] = [
        "type",
        "title",
        "description",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "prefixItems",
        "additionalItems",
        "anyOf",
        "oneOf",
        "allOf",
        "$ref",
    ];
    pub(super) const DESCRIBED: [&str; 24] = [
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "contains",
        "minContains",
        "maxContains",
        "minProperties",
        "maxProperties",
        "propertyNames",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
        "examples",
        "example",
        "deprecated",
    ];
    if STRUCTURAL.contains(&keyword) {
        return Placement::Structural;
    }
    let kept = match target {
        Target::OpenAiStrict => match keyword {
            "pattern" | "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" | "multipleOf" | "minItems"
            | "maxItems" => true,
            "format" => value.as_str().is_some_and(|format| OPENAI_FORMATS.contains(&format)),
            _ => false,
        },
        // The SDK keeps only minItems of 0 or 1 and the formats it knows; everything else
        // goes into the description.
        Target::AnthropicStrict => match keyword {
            "minItems" => matches!(value.as_u64(), Some(0 | 1)),
            "format" => value.as_str().is_some_and(|format| ANTHROPIC_FORMATS.contains(&format)),
            _ => false,
        },
        Target::Gemini if keyword == "format" => value.as_str().is_some_and(|format| GEMINI_FORMATS.contains(&format)),
        Target::Gemini => matches!(
            keyword,
            "pattern"
                | "minimum"
                | "maximum"
                | "minLength"
                | "maxLength"
                | "minItems"
                | "maxItems"
                | "minProperties"
                | "maxProperties"
                | "default"
        ),
    };
    if kept {
        return Placement::Keep;
    }
    if keyword == "default" || DESCRIBED.contains(&keyword) {
        return Placement::Describe;
    }
    if matches!(keyword, "unevaluatedProperties" | "unevaluatedItems") && value == &Value::Bool(false) {
        // Objects are closed and tuples bounded anyway.
        return Placement::Drop;
    }
    if INEXPRESSIBLE_KEYWORDS.contains(&keyword) {
        return Placement::Refuse(match keyword {
            "patternProperties" | "unevaluatedProperties" => {
                "declare the keys as properties, or export with strict=False"
            }
            "$dynamicRef" | "$recursiveRef" => "use '$ref' to a definition under $defs instead",
            _ => "remove the rule from the schema and check it in the tool, or export with strict=False",
        });
    }
    if SILENT_KEYWORDS.contains(&keyword) {
        return Placement::Drop;
    }
    Placement::Unknown
}

/// One rewrite of a canonical schema into a provider's subset: OpenAI strict, Anthropic
/// strict or Gemini. Problems and notes are collected as it goes.
pub(super) struct Lowering<'a> {
    pub(super) target: Target,
    /// The graph of the schema being lowered: where its references lead, its definitions.
    pub(super) graph: SchemaGraph<'a>,
    pub(super) report: Report,
    /// References being expanded, innermost last: meeting one again means recursion.
    pub(super) expanding: Vec<String>,
    /// Definitions an OpenAI strict schema refers to and therefore keeps.
    pub(super) wanted: Vec<(String, String)>,
    pub(super) optional_properties: usize,
    pub(super) expansions: usize,
    pub(super) depth: usize,
}

impl<'a> Lowering<'a> {
    pub(super) fn run(schema: &'a Value, target: Target) -> Result<Exported, Vec<ExportProblem>> {
        let mut lowering = Lowering {
            target,
            graph: SchemaGraph::compile(schema),
            report: Report::default(),
            expanding: vec!["#".to_string()],
            wanted: Vec::new(),
            optional_properties: 0,
            expansions: 0,
            depth: 0,
        };
        let Some(root) = root_object(schema, &mut lowering.report) else {
            return Err(lowering.report.problems);
        };
        let mut out = lowering.lower_map(root.clone(), &Loc::root(), true);
        match target {
            Target::OpenAiStrict => {
                lowering.attach_definitions(&mut out);
                // The rewrite's output is checked by the independent checker; when the rewrite
                // already failed, its partial output is still worth measuring against the limits.
                let found = if lowering.report.problems.is_empty() {
                    check_openai_strict(&out)
                } else {
                    openai_limit_problems(&SchemaGraph::compile(&out))
                };
                lowering.report.problems.extend(found);
            }
            Target::AnthropicStrict => lowering.check_anthropic_budget(&out),
            Target::Gemini => {}
        }
        lowering.report.finish(out)
    }

    pub(super) fn lower(&mut self, schema: &Value, at: &Loc) -> Value {
        match schema {
            Value::Object(node) => {
                if self.depth >= MAX_SCHEMA_DEPTH {
                    self.report.problem(
                        at,
                        format!("the schema is nested more than {MAX_SCHEMA_DEPTH} levels deep"),
                        "flatten the schema",
                    );
                    return Value::Null;
                }
                self.depth += 1;
                let out = self.lower_map(node.clone(), at, false);
                self.depth -= 1;
                out
            }
            Value::Bool(true) => {
                self.report.problem(
                    at,
                    format!(
                        "{} accepts any JSON value, which {} cannot express",
                        at.subject(),
                        self.target.label()
                    ),
                    ANY_VALUE_FIX,
                );
                Value::Null
            }
            Value::Bool(false) => {
                self.report.problem(
                    at,
                    format!("{} accepts no value at all (the schema is false)", at.subject()),
                    "remove it, or give it a type",
                );
                Value::Null
            }
            other => {
                not_a_schema(&mut self.report, at, other);
                Value::Null
            }
        }
    }

    pub(super) fn lower_map(&mut self, mut node: Map<String, Value>, at: &Loc, is_root: bool) -> Value {
        for keyword in ["$schema", "$id", "$comment", "$defs", "definitions"] {
            node.shift_remove(keyword);
        }
        if node.contains_key("$ref") {
            return self.lower_reference(node, at, is_root);
        }
        if node.contains_key("allOf") {
            match fold_all_of(node, at, self.target.label(), &mut self.report) {
                Some(folded) => return self.lower_map(folded, at, is_root),
                None => return Value::Null,
            }
        }
        if let Some(one_of) = node.shift_remove("oneOf") {
            if node.contains_key("anyOf") {
                self.report.problem(
                    &at.keyword("oneOf"),
                    "'oneOf' and 'anyOf' on the same schema cannot be combined into one union",
                    "keep one of them",
                );
            } else {
                // A value that matches two members would be refused by oneOf but accepted
                // here; toolproof's own validation still applies oneOf.
                self.report.note(format!("oneOf of {} exported as anyOf", at.subject()));
                node.insert("anyOf".to_string(), one_of);
            }
        }
        match self.target {
            Target::Gemini => self.gemini_schema(node, at, is_root),
            _ => self.strict_schema(node, at, is_root),
        }
    }

    /// A `$ref`: kept as it is where OpenAI strict takes it (alone, to a definition),
    /// otherwise replaced by the referenced schema with the sibling keywords on top.
    pub(super) fn lower_reference(&mut self, mut node: Map<String, Value>, at: &Loc, is_root: bool) -> Value {
        let reference = match node.shift_remove("$ref") {
            Some(Value::String(reference)) => reference,
            _ => {
                self.report.problem(
                    &at.keyword("$ref"),
                    "'$ref' must be a string",
                    "write the reference as text, e.g. \"#/$defs/Name\"",
                );
                return Value::Null;
            }
        };
        let target = match self.graph.resolve(&reference) {
            Ok(target) => target,
            Err(why) => {
                self.report.problem(
                    &at.keyword("$ref"),
                    why,
                    "point it at a definition in this schema, e.g. '#/$defs/Name'",
                );
                return Value::Null;
            }
        };
        let definition = definition_target(&reference);
        let keepable = self.target == Target::OpenAiStrict && !is_root && (definition.is_some() || reference == "#");
        if keepable && node.is_empty() {
            if let Some(definition) = definition {
                self.wanted.push(definition);
            }
            return json!({"$ref": reference});
        }
        if self.expanding.contains(&reference) {
            if keepable {
                // Siblings cannot be merged into a definition that is being expanded; they
                // go on a one-member union around the reference instead.
                if let Some(definition) = definition {
                    self.wanted.push(definition);
                }
                node.insert("anyOf".to_string(), json!([{"$ref": reference}]));
                return self.strict_schema(node, at, false);
            }
            let fix = if self.target == Target::OpenAiStrict {
                "move the recursive part under $defs and refer to it as '#/$defs/Name'"
            } else {
                "limit the depth (a fixed number of nesting levels), or export for OpenAI strict mode, which allows recursion"
            };
            self.report.problem(
                &at.keyword("$ref"),
                format!(
                    "'{reference}' makes the schema recursive, which {} cannot express here",
                    self.target.label()
                ),
                fix,
            );
            return Value::Null;
        }
        if self.expansions >= MAX_EXPANSIONS {
            self.report.problem(
                at,
                format!(
                    "the schema grows past {} expanded references",
                    thousands(MAX_EXPANSIONS)
                ),
                "share fewer definitions, or split the tool",
            );
            return Value::Null;
        }
        self.expansions += 1;
        let merged = match target {
            Value::Object(target) => {
                let mut merged = target.clone();
                for keyword in ["$defs", "definitions", "$schema", "$id"] {
                    merged.shift_remove(keyword);
                }
                for (keyword, value) in node {
                    merged.insert(keyword, value);
                }
                merged
            }
            Value::Bool(true) => node,
            other => {
                self.report.problem(
                    &at.keyword("$ref"),
                    format!(
                        "'{reference}' points to {}, not to a schema that accepts values",
                        kind_of(other)
                    ),
                    "point it at an object schema",
                );
                return Value::Null;
            }
        };
        self.expanding.push(reference);
        let out = self.lower_map(merged, at, is_root);
        self.expanding.pop();
        out
    }

    /// The definition `name` under the root's `container` (`$defs` or `definitions`).
    fn definition(&self, container: &str, name: &str) -> Option<&'a Value> {
        let root = self.graph.root().keywords()?;
        let Some(Subschemas::Named(definitions)) = root.subschemas_of(container) else {
            return None;
        };
        let (_, id) = definitions.into_iter().find(|(known, _)| *known == name)?;
        Some(self.graph.schema(id))
    }

    /// The definitions an OpenAI strict schema still refers to, rewritten, under the root.
    pub(super) fn attach_definitions(&mut self, out: &mut Value) {
        let mut lowered: Vec<((String, String), Value)> = Vec::new();
        while let Some(key) = self.wanted.pop() {
            if lowered.iter().any(|(done, _)| done == &key) {
                continue;
            }
            let Some(schema) = self.definition(&key.0, &key.1) else {
                continue;
            };
            let at = Loc::definition(&key.0, &key.1);
            self.expanding
                .push(format!("#/{}/{}", key.0, key.1.replace('~', "~0").replace('/', "~1")));
            let value = self.lower(schema, &at);
            self.expanding.pop();
            lowered.push((key, value));
        }
        let Value::Object(out) = out else {
            return;
        };
        for container in ["$defs", "definitions"] {
            let Some(Subschemas::Named(original)) = self
                .graph
                .root()
                .keywords()
                .and_then(|root| root.subschemas_of(container))
            else {
                continue;
            };
            let mut kept = Map::new();
            let mut unused: Vec<String> = Vec::new();
            for (name, _) in original {
                match lowered.iter().find(|((c, n), _)| c == container && n == name) {
                    Some((_, value)) => {
                        kept.insert(name.to_string(), value.clone());
                    }
                    None => unused.push(name.to_string()),
                }
            }
            if !kept.is_empty() {
                out.insert(container.to_string(), Value::Object(kept));
            }
            if !unused.is_empty() {
                self.report
                    .note(format!("unused definitions left out: {}", quoted_list(&unused)));
            }
        }
    }

    pub(super) fn malformed_extra_keys(&mut self, at: &Loc) {
        self.report.problem(
            &at.keyword("additionalProperties"),
            "'additionalProperties' must be true, false or a schema",
            "set it to false",
        );
    }

    pub(super) fn declared_properties(&mut self, node: &Map<String, Value>, at: &Loc) -> Map<String, Value> {
        match node.get("properties") {
            None => Map::new(),
            Some(Value::Object(properties)) => properties.clone(),
            Some(_) => {
                self.report.problem(
                    &at.keyword("properties"),
                    "'properties' must map property names to schemas",
                    "write it as an object, e.g. {\"query\": {\"type\": \"string\"}}",
                );
                Map::new()
            }
        }
    }

    pub(super) fn items(&mut self, node: &Map<String, Value>, at: &Loc, out: &mut Map<String, Value>) {
        let label = self.target.label();
        match node.get("items") {
            Some(Value::Bool(false)) => self.report.problem(
                &at.keyword("items"),
                format!("{} accepts only empty lists ('items' is false)", at.subject()),
                "remove the parameter, or give its items a type",
            ),
            Some(schema @ Value::Object(items)) if !items.is_empty() => {
                let value = self.lower(schema, &at.items("items"));
                out.insert("items".to_string(), value);
            }
            Some(Value::Bool(true) | Value::Object(_)) | None => self.report.problem(
                at,
                format!(
                    "{} is a list whose items may be any JSON value, which {label} cannot express",
                    at.subject()
                ),
                ITEMS_FIX,
            ),
            Some(other) => not_a_schema(&mut self.report, &at.items("items"), other),
        }
    }

    pub(super) fn union_members(&mut self, any_of: &Value, at: &Loc) -> Vec<Value> {
        match any_of {
            Value::Array(members) if !members.is_empty() => members
                .iter()
                .enumerate()
                .map(|(index, member)| self.lower(member, &at.member("anyOf", index)))
                .collect(),
            _ => {
                self.report.problem(
                    &at.keyword("anyOf"),
                    "'anyOf' must be a non-empty list of schemas",
                    "list the alternatives",
                );
                Vec::new()
            }
        }
    }

    pub(super) fn checked_enum(&mut self, values: &Value, at: &Loc) -> Option<Value> {
        let fix = "list the allowed values, e.g. [\"celsius\", \"fahrenheit\"]";
        let Value::Array(items) = values else {
            self.report
                .problem(&at.keyword("enum"), "'enum' must be a list of values", fix);
            return None;
        };
        if items.is_empty() {
            self.report
                .problem(&at.keyword("enum"), "'enum' is empty, so no value is accepted", fix);
            return None;
        }
        if self.target == Target::AnthropicStrict && items.iter().any(|item| item.is_array() || item.is_object()) {
            self.report.problem(
                &at.keyword("enum"),
                format!(
                    "'enum' holds lists or objects, which {} does not accept",
                    self.target.label()
                ),
                "use strings, numbers, booleans or null as enum values",
            );
        }
        Some(values.clone())
    }

    /// Every keyword the rewrite did not handle itself: kept, described, refused or dropped.
    pub(super) fn place_remaining(
        &mut self,
        node: &Map<String, Value>,
        types: &[String],
        at: &Loc,
        out: &mut Map<String, Value>,
        moved: &mut Moved,
    ) {
        let label = self.target.label();
        for (keyword, value) in node {
            let applies = keyword_applies(keyword, types);
            match placement(self.target, keyword, value) {
                Placement::Structural | Placement::Drop => {}
                Placement::Keep if applies => {
                    if keyword_value_ok(keyword, value) {
                        out.insert(keyword.clone(), value.clone());
                    } else {
                        self.report.problem(
                            &at.keyword(keyword),
                            format!("'{keyword}' has a value of the wrong kind ({})", show(value)),
                            "fix the value, e.g. a non-negative whole number for lengths and counts",
                        );
                    }
                }
                Placement::Keep | Placement::Describe => {
                    // Without a type, a type-specific keyword still constrains the matching
                    // alternatives; with a type it does not cover, it constrains nothing.
                    if applies || types.is_empty() {
                        moved.describe(keyword, value);
                    }
                }
                Placement::Refuse(fix) => self.report.problem(
                    &at.keyword(keyword),
                    format!("'{keyword}' cannot be expressed in {label}"),
                    fix,
                ),
                Placement::Unknown => self
                    .report
                    .note(format!("unknown keyword '{keyword}' dropped from {}", at.subject())),
            }
        }
    }
}

/// The parameters must be one object: not a union, not a scalar, not nullable.
pub(super) fn check_root_shape(node: &Map<String, Value>, types: Option<&[String]>, label: &str, report: &mut Report) {
    let root = Loc::root();
    if has_any(node, &["anyOf", "oneOf"]) {
        report.problem(
            &root,
            format!("the parameters are a union (anyOf/oneOf), which {label} does not accept at the top level"),
            "make the parameters one object and put the union inside one of its properties",
        );
    }
    if let Some(types) = types {
        if types != ["object"] {
            report.problem(
                &root,
                format!("the parameters must be an object schema, not {}", types.join(" or ")),
                "make the tool take named parameters (an object with properties)",
            );
        }
    }
}
