//! OpenAI strict: the independent check of an exported schema, read from the schema's graph.

use super::*;

/// Walks the graph of the schema as sent: the root, its definitions, and from each schema the
/// subschemas OpenAI strict mode reads (union members, properties, items). References are
/// checked, not followed: their targets are definitions, checked once each.
pub(super) struct StrictChecker<'g, 's> {
    pub(super) graph: &'g SchemaGraph<'s>,
    pub(super) report: Report,
    pub(super) depth: usize,
}

impl StrictChecker<'_, '_> {
    pub(super) fn check_root(&mut self) {
        let root = Loc::root();
        let Some(node) = self.graph.root().keywords() else {
            self.report.problem(
                &root,
                format!(
                    "a strict schema must be a JSON object, not {}",
                    kind_of(self.graph.document())
                ),
                "describe the parameters as an object schema",
            );
            return;
        };
        if node.value("type") != Some(&json!("object")) {
            self.report.problem(
                &root,
                "the root of a strict schema must have 'type': 'object'",
                "make the parameters one object",
            );
        }
        if node.has("anyOf") {
            self.report.problem(
                &root,
                "the root of a strict schema must not be anyOf",
                "make the parameters one object and put the union inside a property",
            );
        }
        self.check(SchemaGraph::ROOT, &root, true);
        for container in ["$defs", "definitions"] {
            match node.subschemas_of(container) {
                Some(Subschemas::Named(definitions)) => {
                    for (name, definition) in definitions {
                        self.check(definition, &Loc::definition(container, name), false);
                    }
                }
                _ if node.has(container) => self.report.problem(
                    &root.keyword(container),
                    format!("'{container}' must map names to schemas"),
                    "write it as an object of schemas",
                ),
                _ => {}
            }
        }
    }

    pub(super) fn check(&mut self, id: NodeId, at: &Loc, is_root: bool) {
        let schema = self.graph.schema(id);
        if !schema.is_object() {
            self.report.problem(
                at,
                format!("every strict schema must be a JSON object, not {}", kind_of(schema)),
                "replace it with a schema that has a 'type'",
            );
            return;
        }
        if self.depth >= MAX_SCHEMA_DEPTH {
            self.report.problem(
                at,
                format!("the schema is nested more than {MAX_SCHEMA_DEPTH} levels deep"),
                "flatten the schema",
            );
            return;
        }
        let Some(node) = self.graph.node(id).keywords() else {
            unread(self.graph, id, at, &mut self.report);
            return;
        };
        self.depth += 1;
        self.check_node(node, at, is_root);
        self.depth -= 1;
    }

    pub(super) fn check_node(&mut self, node: &Keywords, at: &Loc, is_root: bool) {
        for keyword in node.names() {
            let allowed =
                OPENAI_STRICT_KEYWORDS.contains(&keyword) || (is_root && matches!(keyword, "$defs" | "definitions"));
            if !allowed {
                self.report.problem(
                    &at.keyword(keyword),
                    format!("'{keyword}' is not supported in OpenAI strict mode"),
                    "remove it, or move what it says into the description",
                );
            }
        }
        if let Some(reference) = node.value("$ref") {
            self.check_reference(node, reference, at);
            return;
        }
        let types: Vec<String> = match node.value("type") {
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
        if types.is_empty() && !node.has("anyOf") {
            self.report.problem(
                at,
                "every strict schema needs a 'type' (or 'anyOf' or '$ref')",
                "give it a type",
            );
        }
        if node.has("anyOf") {
            match &node.any_of {
                Keyword::Present(members) if !members.is_empty() => {
                    for (index, member) in members.iter().enumerate() {
                        self.check(*member, &at.member("anyOf", index), false);
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
            match &node.items {
                Keyword::Present(Items::Every(items)) if self.graph.schema(*items).is_object() => {
                    self.check(*items, &at.items("items"), false)
                }
                _ => self.report.problem(
                    &at.keyword("items"),
                    "every list needs an 'items' schema in OpenAI strict mode",
                    ITEMS_FIX,
                ),
            }
        }
        if let Some(format) = node.value("format") {
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
            if let Some(value) = node.value(keyword) {
                if !keyword_value_ok(keyword, value) {
                    self.report.problem(
                        &at.keyword(keyword),
                        format!("'{keyword}' has a value of the wrong kind ({})", show(value)),
                        "fix the value",
                    );
                }
            }
        }
        if let Some(values) = node.value("enum") {
            if values.as_array().is_none_or(|values| values.is_empty()) {
                self.report.problem(
                    &at.keyword("enum"),
                    "'enum' must be a non-empty list of values",
                    "list the allowed values",
                );
            }
        }
    }

    pub(super) fn check_reference(&mut self, node: &Keywords, reference: &Value, at: &Loc) {
        if node.map().len() > 1 {
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
        } else if let Some(Reference::Unresolved(why)) = &node.reference {
            self.report
                .problem(&at.keyword("$ref"), why, "point it at a definition in this schema");
        }
    }

    pub(super) fn check_object(&mut self, node: &Keywords, at: &Loc) {
        if node.value("additionalProperties") != Some(&Value::Bool(false)) {
            self.report.problem(
                &at.keyword("additionalProperties"),
                "'additionalProperties' must be false on every object in OpenAI strict mode",
                "set 'additionalProperties' to false",
            );
        }
        let Keyword::Present(properties) = &node.properties else {
            self.report.problem(
                &at.keyword("properties"),
                "every object needs 'properties' in OpenAI strict mode",
                "declare the properties (an empty object for none)",
            );
            return;
        };
        let required: Vec<&str> = node
            .value("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let missing: Vec<String> = properties
            .iter()
            .filter(|(name, _)| !required.contains(name))
            .map(|(name, _)| name.to_string())
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
            .filter(|name| !properties.iter().any(|(property, _)| property == *name))
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
            self.check(*property, &at.property(name), false);
        }
    }
}
