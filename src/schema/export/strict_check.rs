//! OpenAI strict: the independent check of an exported schema.

use super::*;

pub(super) struct StrictChecker<'a> {
    pub(super) resolver: Resolver<'a>,
    pub(super) report: Report,
    pub(super) depth: usize,
}

impl StrictChecker<'_> {
    pub(super) fn check_root(&mut self, schema: &Value) {
        let root = Loc::root();
        let Value::Object(node) = schema else {
            self.report.problem(
                &root,
                format!("a strict schema must be a JSON object, not {}", kind_of(schema)),
                "describe the parameters as an object schema",
            );
            return;
        };
        if node.get("type") != Some(&json!("object")) {
            self.report.problem(
                &root,
                "the root of a strict schema must have 'type': 'object'",
                "make the parameters one object",
            );
        }
        if node.contains_key("anyOf") {
            self.report.problem(
                &root,
                "the root of a strict schema must not be anyOf",
                "make the parameters one object and put the union inside a property",
            );
        }
        self.check(schema, &root, true);
        for container in ["$defs", "definitions"] {
            match node.get(container) {
                Some(Value::Object(definitions)) => {
                    for (name, definition) in definitions {
                        self.check(definition, &Loc::definition(container, name), false);
                    }
                }
                Some(_) => self.report.problem(
                    &root.keyword(container),
                    format!("'{container}' must map names to schemas"),
                    "write it as an object of schemas",
                ),
                None => {}
            }
        }
    }

    pub(super) fn check(&mut self, schema: &Value, at: &Loc, is_root: bool) {
        let Value::Object(node) = schema else {
            self.report.problem(
                at,
                format!("every strict schema must be a JSON object, not {}", kind_of(schema)),
                "replace it with a schema that has a 'type'",
            );
            return;
        };
        if self.depth >= MAX_SCHEMA_DEPTH {
            self.report.problem(
                at,
                format!("the schema is nested more than {MAX_SCHEMA_DEPTH} levels deep"),
                "flatten the schema",
            );
            return;
        }
        self.depth += 1;
        self.check_node(node, at, is_root);
        self.depth -= 1;
    }

    pub(super) fn check_node(&mut self, node: &Map<String, Value>, at: &Loc, is_root: bool) {
        for keyword in node.keys() {
            let allowed = OPENAI_STRICT_KEYWORDS.contains(&keyword.as_str())
                || (is_root && matches!(keyword.as_str(), "$defs" | "definitions"));
            if !allowed {
                self.report.problem(
                    &at.keyword(keyword),
                    format!("'{keyword}' is not supported in OpenAI strict mode"),
                    "remove it, or move what it says into the description",
                );
            }
        }
        if let Some(reference) = node.get("$ref") {
            self.check_reference(node, reference, at);
            return;
        }
        let types: Vec<String> = match node.get("type") {
            None => Vec::new(),
            Some(Value::String(name)) => vec![name.clone()],
            Some(Value::Array(names)) if !names.is_empty() && names.iter().all(Value::is_string) => {
                names.iter().filter_map(Value::as_str).map(str::to_string).collect()
            }
            Some(_) => {
                self.report.problem(
                    &at.keyword("type"),
                    "'type' must be a type name or a non-empty list of them",
                    "use a JSON Schema type name",
                );
                Vec::new()
            }
        };
        for name in &types {
            if !JSON_TYPES.contains(&name.as_str()) {
                self.report.problem(
                    &at.keyword("type"),
                    format!("'{name}' is not a JSON Schema type"),
                    "use one of string, number, integer, boolean, object, array or null",
                );
            }
        }
        if types.is_empty() && !node.contains_key("anyOf") {
            self.report.problem(
                at,
                "every strict schema needs a 'type' (or 'anyOf' or '$ref')",
                "give it a type",
            );
        }
        if let Some(any_of) = node.get("anyOf") {
            match any_of {
                Value::Array(members) if !members.is_empty() => {
                    for (index, member) in members.iter().enumerate() {
                        self.check(member, &at.member("anyOf", index), false);
                    }
                }
                _ => self.report.problem(
                    &at.keyword("anyOf"),
                    "'anyOf' must be a non-empty list of schemas",
                    "list the alternatives",
                ),
            }
        }
        if types.iter().any(|t| t == "object") {
            self.check_object(node, at);
        }
        if types.iter().any(|t| t == "array") {
            match node.get("items") {
                Some(items @ Value::Object(_)) => self.check(items, &at.items("items"), false),
                _ => self.report.problem(
                    &at.keyword("items"),
                    "every list needs an 'items' schema in OpenAI strict mode",
                    ITEMS_FIX,
                ),
            }
        }
        if let Some(format) = node.get("format") {
            if !format.as_str().is_some_and(|format| OPENAI_FORMATS.contains(&format)) {
                self.report.problem(
                    &at.keyword("format"),
                    format!("format {} is not one OpenAI strict mode supports", show(format)),
                    format!(
                        "use one of {}, or move it into the description",
                        OPENAI_FORMATS.join(", ")
                    ),
                );
            }
        }
        for keyword in [
            "pattern",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
            "minItems",
            "maxItems",
        ] {
            if let Some(value) = node.get(keyword) {
                if !keyword_value_ok(keyword, value) {
                    self.report.problem(
                        &at.keyword(keyword),
                        format!("'{keyword}' has a value of the wrong kind ({})", show(value)),
                        "fix the value",
                    );
                }
            }
        }
        if let Some(values) = node.get("enum") {
            if values.as_array().is_none_or(|values| values.is_empty()) {
                self.report.problem(
                    &at.keyword("enum"),
                    "'enum' must be a non-empty list of values",
                    "list the allowed values",
                );
            }
        }
    }

    pub(super) fn check_reference(&mut self, node: &Map<String, Value>, reference: &Value, at: &Loc) {
        if node.len() > 1 {
            self.report.problem(
                at,
                "'$ref' must stand alone in OpenAI strict mode (no keywords next to it)",
                "inline the referenced schema, or move the other keywords into the definition",
            );
        }
        let Some(reference) = reference.as_str() else {
            self.report.problem(
                &at.keyword("$ref"),
                "'$ref' must be a string",
                "write the reference as text",
            );
            return;
        };
        if reference != "#" && definition_target(reference).is_none() {
            self.report.problem(
                &at.keyword("$ref"),
                format!("'{reference}' must point at '#' or a definition under $defs in OpenAI strict mode"),
                "move the schema under $defs and refer to it as '#/$defs/Name'",
            );
        } else if let Err(why) = self.resolver.resolve(reference) {
            self.report
                .problem(&at.keyword("$ref"), why, "point it at a definition in this schema");
        }
    }

    pub(super) fn check_object(&mut self, node: &Map<String, Value>, at: &Loc) {
        if node.get("additionalProperties") != Some(&Value::Bool(false)) {
            self.report.problem(
                &at.keyword("additionalProperties"),
                "'additionalProperties' must be false on every object in OpenAI strict mode",
                "set 'additionalProperties' to false",
            );
        }
        let Some(properties) = node.get("properties").and_then(Value::as_object) else {
            self.report.problem(
                &at.keyword("properties"),
                "every object needs 'properties' in OpenAI strict mode",
                "declare the properties (an empty object for none)",
            );
            return;
        };
        let required: Vec<&str> = node
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let missing: Vec<String> = properties
            .keys()
            .filter(|name| !required.contains(&name.as_str()))
            .cloned()
            .collect();
        if !missing.is_empty() {
            self.report.problem(
                &at.keyword("required"),
                format!(
                    "'required' must list every property in OpenAI strict mode; missing: {}",
                    quoted_list(&missing)
                ),
                "list every property in 'required' and make the optional ones nullable",
            );
        }
        let strays: Vec<String> = required
            .iter()
            .filter(|name| !properties.contains_key(**name))
            .map(|name| name.to_string())
            .collect();
        if !strays.is_empty() {
            self.report.problem(
                &at.keyword("required"),
                format!("'required' names {}, which are not properties", quoted_list(&strays)),
                "remove them from 'required'",
            );
        }
        for (name, property) in properties {
            self.check(property, &at.property(name), false);
        }
    }
}
