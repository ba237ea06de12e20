//! Strict and Gemini exports: a rewrite into the provider's subset.

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

    // ----- OpenAI and Anthropic strict -----

    pub(super) fn strict_schema(&mut self, mut node: Map<String, Value>, at: &Loc, is_root: bool) -> Value {
        let label = self.target.label();
        let mut moved = Moved::default();
        if let Some(order) = rewrite_tuple(&mut node, at, &mut self.report) {
            moved.remarks.push(order);
        }
        let (types, broken) = settle_types(&node, at, is_root, &mut self.report);
        if is_root {
            check_root_shape(&node, types.as_deref(), label, &mut self.report);
        }
        let mut out = Map::new();
        match &types {
            Some(types) => {
                out.insert("type".to_string(), types_value(types));
            }
            None if !broken && !has_any(&node, &["anyOf", "enum", "const"]) => self.report.problem(
                at,
                format!("{} accepts any JSON value, which {label} cannot express", at.subject()),
                ANY_VALUE_FIX,
            ),
            None => {}
        }
        let types = types.or_else(|| walkable_types(&node, broken)).unwrap_or_default();
        if let Some(title) = node.get("title").filter(|title| title.is_string()) {
            out.insert("title".to_string(), title.clone());
        }
        let description = node.get("description").and_then(Value::as_str).map(str::to_string);
        if let Some(values) = node.get("enum") {
            if let Some(values) = self.checked_enum(values, at) {
                out.insert("enum".to_string(), values);
            }
        }
        if let Some(value) = node.get("const") {
            if self.target == Target::AnthropicStrict && (value.is_array() || value.is_object()) {
                self.report.problem(
                    &at.keyword("const"),
                    format!("'const' holds a list or an object, which {label} does not accept"),
                    "use a string, number, boolean or null",
                );
            }
            out.insert("const".to_string(), value.clone());
        }
        if types.iter().any(|t| t == "object") {
            self.strict_object(&node, at, is_root, &mut out);
        }
        if types.iter().any(|t| t == "array") {
            self.items(&node, at, &mut out);
        }
        if let Some(any_of) = node.get("anyOf") {
            let members = self.union_members(any_of, at);
            out.insert("anyOf".to_string(), Value::Array(members));
        }
        self.place_remaining(&node, &types, at, &mut out, &mut moved);
        moved.apply(&mut out, description, at, &mut self.report);
        Value::Object(ordered(out))
    }

    pub(super) fn strict_object(
        &mut self,
        node: &Map<String, Value>,
        at: &Loc,
        is_root: bool,
        out: &mut Map<String, Value>,
    ) {
        let label = self.target.label();
        let properties = self.declared_properties(node, at);
        let required = required_names(node, at, &mut self.report);
        match extra_keys(node) {
            ExtraKeys::Typed(values) => {
                let message = if properties.is_empty() {
                    format!(
                        "{} is a free-form object (a dict with {} values), which {label} cannot express",
                        at.subject(),
                        short_label(values)
                    )
                } else {
                    format!(
                        "{} accepts extra keys besides its properties ('additionalProperties' is a schema), which {label} cannot express",
                        at.subject()
                    )
                };
                self.report
                    .problem(&at.keyword("additionalProperties"), message, FREE_FORM_FIX);
            }
            ExtraKeys::Any if properties.is_empty() => self.report.problem(
                &at.keyword("additionalProperties"),
                format!(
                    "{} is a free-form object (any keys), which {label} cannot express",
                    at.subject()
                ),
                FREE_FORM_FIX,
            ),
            ExtraKeys::Unstated if properties.is_empty() && !is_root => self.report.problem(
                at,
                format!(
                    "{} is a free-form object (any keys), which {label} cannot express",
                    at.subject()
                ),
                FREE_FORM_FIX,
            ),
            ExtraKeys::Any => self.report.note(format!(
                "{} accepts extra keys; {label} offers only its declared properties",
                at.subject()
            )),
            ExtraKeys::Malformed => self.report.problem(
                &at.keyword("additionalProperties"),
                "'additionalProperties' must be true, false or a schema",
                "set it to false",
            ),
            ExtraKeys::Unstated | ExtraKeys::Forbidden => {}
        }
        undeclared_required(&required, &properties, at, &mut self.report);

        let mut lowered = Map::new();
        let mut optional: Vec<String> = Vec::new();
        for (name, schema) in &properties {
            let mut value = self.lower(schema, &at.property(name));
            if !required.contains(name) {
                optional.push(name.clone());
                if self.target == Target::OpenAiStrict && !admits_null(schema, &self.graph, 0) {
                    value = nullable(value);
                }
            }
            lowered.insert(name.clone(), value);
        }
        let required: Vec<String> = match self.target {
            Target::OpenAiStrict => properties.keys().cloned().collect(),
            _ => required
                .into_iter()
                .filter(|name| properties.contains_key(name))
                .collect(),
        };
        if self.target == Target::OpenAiStrict && !optional.is_empty() {
            self.report.note(format!(
                "optional {} {} of {} sent as required and nullable: null stands for 'not given'",
                if optional.len() == 1 { "property" } else { "properties" },
                quoted_list(&optional),
                at.subject()
            ));
        }
        self.optional_properties += optional.len();
        out.insert("properties".to_string(), Value::Object(lowered));
        out.insert("required".to_string(), json!(required));
        out.insert("additionalProperties".to_string(), json!(false));
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

    pub(super) fn check_anthropic_budget(&mut self, out: &Value) {
        let root = Loc::root();
        if self.optional_properties > ANTHROPIC_MAX_OPTIONAL {
            self.report.problem(
                &root,
                format!(
                    "the parameters have {} optional properties; Anthropic strict tool use allows at most {ANTHROPIC_MAX_OPTIONAL} across all strict tools of a request",
                    self.optional_properties
                ),
                "make some of them required, or export with strict=False",
            );
        }
        let unions = count_unions(&SchemaGraph::compile(out), SchemaGraph::ROOT, 0);
        if unions > ANTHROPIC_MAX_UNIONS {
            self.report.problem(
                &root,
                format!(
                    "{unions} parameters use anyOf or a list of types; Anthropic strict tool use allows at most {ANTHROPIC_MAX_UNIONS} across all strict tools of a request"
                ),
                "give some of them a single type, or export with strict=False",
            );
        }
    }

    // ----- Gemini -----

    pub(super) fn gemini_schema(&mut self, mut node: Map<String, Value>, at: &Loc, is_root: bool) -> Value {
        let mut moved = Moved::default();
        if let Some(order) = rewrite_tuple(&mut node, at, &mut self.report) {
            moved.remarks.push(order);
        }
        let (types, broken) = settle_types(&node, at, is_root, &mut self.report);
        if is_root {
            check_root_shape(&node, types.as_deref(), "Gemini", &mut self.report);
        }
        let mut types = types.or_else(|| walkable_types(&node, broken)).unwrap_or_default();
        let mut nullable = types.iter().any(|t| t == "null");
        if nullable && types.len() > 1 {
            types.retain(|t| t != "null");
        } else {
            nullable = false;
        }
        if types.len() > 1 {
            return self.gemini_union(node, types, nullable, at, moved);
        }
        let mut out = Map::new();
        match types.first() {
            Some(name) => {
                out.insert("type".to_string(), json!(name));
            }
            None if !broken && !has_any(&node, &["anyOf", "enum", "const"]) => self.report.problem(
                at,
                format!("{} accepts any JSON value, which Gemini cannot express", at.subject()),
                ANY_VALUE_FIX,
            ),
            None => {}
        }
        if let Some(title) = node.get("title").filter(|title| title.is_string()) {
            out.insert("title".to_string(), title.clone());
        }
        let mut description = node.get("description").and_then(Value::as_str).map(str::to_string);
        self.gemini_values(&node, at, &mut out, &mut nullable, &mut moved);
        if types.iter().any(|t| t == "object") {
            self.gemini_object(&node, at, is_root, &mut out, &mut moved);
        }
        if types.iter().any(|t| t == "array") {
            self.items(&node, at, &mut out);
        }
        if let Some(any_of) = node.get("anyOf") {
            let members = self.union_members(any_of, at);
            let mut kept: Vec<Value> = Vec::new();
            for member in members {
                if is_null_schema(&member) {
                    nullable = true;
                } else {
                    kept.push(member);
                }
            }
            match kept.len() {
                0 if !out.contains_key("type") => {
                    out.insert("type".to_string(), json!("null"));
                }
                0 => {}
                // Optional[X]: the one remaining member is the schema itself.
                1 if !out.contains_key("type") => {
                    if let Some(Value::Object(member)) = kept.pop() {
                        for (keyword, value) in member {
                            if keyword == "description" {
                                if description.is_none() {
                                    description = value.as_str().map(str::to_string);
                                }
                            } else if !out.contains_key(&keyword) {
                                out.insert(keyword, value);
                            }
                        }
                    }
                }
                _ => {
                    out.insert("anyOf".to_string(), Value::Array(kept));
                }
            }
        }
        self.place_remaining(&node, &types, at, &mut out, &mut moved);
        if nullable {
            out.insert("nullable".to_string(), json!(true));
        }
        moved.apply(&mut out, description, at, &mut self.report);
        Value::Object(ordered(out))
    }

    /// `enum` and `const`: Gemini takes enums of strings only.
    pub(super) fn gemini_values(
        &mut self,
        node: &Map<String, Value>,
        at: &Loc,
        out: &mut Map<String, Value>,
        nullable: &mut bool,
        moved: &mut Moved,
    ) {
        if let Some(values) = node.get("enum") {
            if let Some(Value::Array(values)) = self.checked_enum(values, at) {
                if values.contains(&Value::Null) {
                    *nullable = true;
                }
                let values: Vec<Value> = values.into_iter().filter(|value| !value.is_null()).collect();
                if values.iter().all(Value::is_string) {
                    out.insert("enum".to_string(), Value::Array(values));
                } else {
                    moved.describe("enum", &Value::Array(values));
                }
            }
        }
        match node.get("const") {
            Some(Value::Null) => *nullable = true,
            Some(Value::String(text)) if !node.contains_key("enum") => {
                out.insert("enum".to_string(), json!([text]));
            }
            Some(value) => moved.describe("const", value),
            None => {}
        }
        if out.contains_key("enum") && !out.contains_key("type") {
            out.insert("type".to_string(), json!("string"));
        }
    }

    pub(super) fn gemini_object(
        &mut self,
        node: &Map<String, Value>,
        at: &Loc,
        is_root: bool,
        out: &mut Map<String, Value>,
        moved: &mut Moved,
    ) {
        let properties = self.declared_properties(node, at);
        let required = required_names(node, at, &mut self.report);
        undeclared_required(&required, &properties, at, &mut self.report);
        let free_form = properties.is_empty();
        match extra_keys(node) {
            ExtraKeys::Any | ExtraKeys::Typed(_) if free_form && is_root => self.report.problem(
                &at.keyword("additionalProperties"),
                "the parameters are a free-form object (any keys), which Gemini cannot describe",
                "declare the parameters as named properties",
            ),
            ExtraKeys::Typed(values) => {
                let values = short_label(values);
                moved.remarks.push(if free_form {
                    format!("Keys are free-form; each value is {values}.")
                } else {
                    format!("Other keys are allowed too; each value is {values}.")
                });
                self.report.note(format!(
                    "additionalProperties of {} left out (Gemini does not take it); the value type is in the description",
                    at.subject()
                ));
            }
            ExtraKeys::Any if free_form => self.report.note(format!(
                "{} is a free-form object; Gemini is told only that it is an object",
                at.subject()
            )),
            ExtraKeys::Any => self.report.note(format!(
                "{} accepts extra keys; Gemini is offered only its declared properties",
                at.subject()
            )),
            ExtraKeys::Malformed => self.report.problem(
                &at.keyword("additionalProperties"),
                "'additionalProperties' must be true, false or a schema",
                "set it to false",
            ),
            ExtraKeys::Unstated | ExtraKeys::Forbidden => {}
        }
        let mut lowered = Map::new();
        for (name, schema) in &properties {
            let value = self.lower(schema, &at.property(name));
            lowered.insert(name.clone(), value);
        }
        if !lowered.is_empty() || is_root {
            out.insert("properties".to_string(), Value::Object(lowered));
        }
        let required: Vec<String> = required
            .into_iter()
            .filter(|name| properties.contains_key(name))
            .collect();
        if !required.is_empty() {
            out.insert("required".to_string(), json!(required));
        }
    }

    /// A schema of several types becomes a union of one schema per type, each with the
    /// keywords of its own type.
    pub(super) fn gemini_union(
        &mut self,
        mut node: Map<String, Value>,
        types: Vec<String>,
        nullable: bool,
        at: &Loc,
        mut moved: Moved,
    ) -> Value {
        let mut out = Map::new();
        if let Some(title) = node.shift_remove("title").filter(Value::is_string) {
            out.insert("title".to_string(), title);
        }
        let description = node
            .shift_remove("description")
            .and_then(|text| text.as_str().map(str::to_string));
        if let Some(default) = node.shift_remove("default") {
            out.insert("default".to_string(), default);
        }
        for keyword in ["enum", "const"] {
            if let Some(value) = node.shift_remove(keyword) {
                moved.describe(keyword, &value);
            }
        }
        node.shift_remove("type");
        let mut branches = Vec::new();
        for (index, name) in types.iter().enumerate() {
            let mut branch = Map::new();
            branch.insert("type".to_string(), json!(name));
            for (keyword, value) in &node {
                let belongs = match family(keyword) {
                    Some(family) => family_applies(family, std::slice::from_ref(name)),
                    None => index == 0,
                };
                if belongs {
                    branch.insert(keyword.clone(), value.clone());
                }
            }
            branches.push(self.gemini_schema(branch, at, false));
        }
        out.insert("anyOf".to_string(), Value::Array(branches));
        if nullable {
            out.insert("nullable".to_string(), json!(true));
        }
        self.report.note(format!(
            "{} accepts {}; sent to Gemini as anyOf",
            at.subject(),
            types.join(" or ")
        ));
        moved.apply(&mut out, description, at, &mut self.report);
        Value::Object(ordered(out))
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

/// An OpenAI strict schema that also accepts null, for an optional property: null then
/// stands for "not given".
pub(super) fn nullable(value: Value) -> Value {
    let Value::Object(mut node) = value else {
        return value;
    };
    if !node.contains_key("type") {
        if let Some(Value::Array(members)) = node.get_mut("anyOf") {
            members.push(json!({"type": "null"}));
            return Value::Object(node);
        }
    }
    let scalar_types: Option<Vec<String>> = match node.get("type") {
        Some(Value::String(name)) => Some(vec![name.clone()]),
        Some(Value::Array(names)) => Some(names.iter().filter_map(Value::as_str).map(str::to_string).collect()),
        _ => None,
    }
    .filter(|types| {
        types
            .iter()
            .all(|t| matches!(t.as_str(), "string" | "number" | "integer" | "boolean" | "null"))
    });
    if let (Some(mut types), false) = (scalar_types, node.contains_key("$ref")) {
        types.push("null".to_string());
        node.insert("type".to_string(), json!(types));
        if let Some(Value::Array(values)) = node.get_mut("enum") {
            values.push(Value::Null);
        }
        if let Some(value) = node.shift_remove("const") {
            node.insert("enum".to_string(), json!([value, null]));
        }
        return Value::Object(node);
    }
    // Objects, lists and references: a union keeps their own keywords intact.
    let mut outer = Map::new();
    for keyword in ["title", "description"] {
        if let Some(value) = node.shift_remove(keyword) {
            outer.insert(keyword.to_string(), value);
        }
    }
    outer.insert("anyOf".to_string(), json!([Value::Object(node), {"type": "null"}]));
    Value::Object(outer)
}

/// Schemas below the root that are unions (anyOf or a list of types), in the graph of the
/// schema as sent.
pub(super) fn count_unions(graph: &SchemaGraph, id: NodeId, depth: usize) -> usize {
    let Value::Object(node) = graph.schema(id) else {
        return 0;
    };
    if depth > MAX_SCHEMA_DEPTH {
        return 0;
    }
    let own = usize::from(depth > 0 && (node.contains_key("anyOf") || node.get("type").is_some_and(Value::is_array)));
    let below = graph.node(id).keywords().map_or(0, |keywords| {
        graph_children(keywords)
            .into_iter()
            .map(|child| count_unions(graph, child, depth + 1))
            .sum::<usize>()
    });
    own + below
}
