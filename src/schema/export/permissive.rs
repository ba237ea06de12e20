//! Non-strict OpenAI and Anthropic: the schema as it is, minus what would be refused.

use super::*;

pub(super) const SCHEMA_MAPS: [&str; 5] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
pub(super) const SCHEMA_SINGLES: [&str; 12] = [
    "additionalProperties",
    "items",
    "additionalItems",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
];
pub(super) const SCHEMA_LISTS: [&str; 4] = ["prefixItems", "anyOf", "oneOf", "allOf"];

pub(super) struct Permissive<'a> {
    pub(super) provider: Provider,
    pub(super) resolver: Resolver<'a>,
    pub(super) report: Report,
    pub(super) depth: usize,
}

impl<'a> Permissive<'a> {
    pub(super) fn run(schema: &'a Value, provider: Provider) -> Result<Exported, Vec<ExportProblem>> {
        let mut run = Permissive {
            provider,
            resolver: Resolver { root: schema },
            report: Report::default(),
            depth: 0,
        };
        let Some(root) = root_object(schema, &mut run.report) else {
            return Err(run.report.problems);
        };
        let mut root = root.clone();
        if provider.is_openai() {
            // OpenAI has refused parameters carrying a meta-schema URI.
            root.shift_remove("$schema");
        }
        run.inline_root_reference(&mut root);
        let at = Loc::root();
        match read_types(&root, &at, &mut run.report) {
            Types::Absent if !has_any(&root, &["anyOf", "oneOf", "allOf", "enum", "const"]) => {
                let mut typed = Map::new();
                typed.insert("type".to_string(), json!("object"));
                typed.extend(root);
                root = typed;
                run.report.note("type 'object' given to the parameters");
            }
            Types::Declared(types) if types == ["object"] => {}
            Types::Broken => {}
            _ => run.report.problem(
                &at,
                format!(
                    "{} needs the parameters to be an object schema ('type': 'object')",
                    provider.label()
                ),
                "make the tool take named parameters (an object with properties)",
            ),
        }
        let mut schema = Value::Object(root);
        run.check(&mut schema, &at);
        run.report.finish(schema)
    }

    /// Providers want `type: object` on the parameters themselves, not behind a `$ref`.
    pub(super) fn inline_root_reference(&mut self, root: &mut Map<String, Value>) {
        let Some(reference) = root.get("$ref").and_then(Value::as_str).map(str::to_string) else {
            return;
        };
        let at = Loc::root().keyword("$ref");
        let resolver = self.resolver;
        match resolver.resolve(&reference) {
            Ok(Value::Object(target)) if reference != "#" => {
                root.shift_remove("$ref");
                let mut merged = target.clone();
                for keyword in ["$defs", "definitions", "$schema", "$id"] {
                    merged.shift_remove(keyword);
                }
                for (keyword, value) in std::mem::take(root) {
                    merged.insert(keyword, value);
                }
                *root = merged;
            }
            Ok(_) if reference == "#" => self.report.problem(
                &at,
                "the parameters refer to themselves",
                "describe the parameters as an object schema",
            ),
            Ok(_) => self.report.problem(
                &at,
                format!("the parameters refer to '{reference}', which is not an object schema"),
                "describe the parameters as an object schema",
            ),
            Err(why) => self
                .report
                .problem(&at, why, "point it at a definition in this schema, e.g. '#/$defs/Name'"),
        }
    }

    pub(super) fn check(&mut self, schema: &mut Value, at: &Loc) {
        let node = match schema {
            Value::Object(node) => node,
            Value::Bool(_) => return,
            other => {
                not_a_schema(&mut self.report, at, other);
                return;
            }
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
        self.check_node(node, at);
        self.depth -= 1;
    }

    pub(super) fn check_node(&mut self, node: &mut Map<String, Value>, at: &Loc) {
        let types = match read_types(node, at, &mut self.report) {
            Types::Declared(types) => types,
            _ => Vec::new(),
        };
        if self.provider.is_openai() && types.iter().any(|t| t == "array") && !node.contains_key("items") {
            node.insert("items".to_string(), json!({}));
            self.report.note(format!(
                "'items' added to {}: OpenAI refuses lists without it; any item is still accepted",
                at.subject()
            ));
        }
        required_names(node, at, &mut self.report);
        if let Some(values) = node.get("enum") {
            if !values.is_array() {
                self.report.problem(
                    &at.keyword("enum"),
                    "'enum' must be a list of values",
                    "list the allowed values",
                );
            }
        }
        for keyword in ["description", "title"] {
            if node.get(keyword).is_some_and(|text| !text.is_string()) {
                self.report.problem(
                    &at.keyword(keyword),
                    format!("'{keyword}' must be text"),
                    format!("write the {keyword} as a string"),
                );
            }
        }
        if let Some(reference) = node.get("$ref") {
            match reference.as_str() {
                Some(reference) => {
                    if let Err(why) = self.resolver.resolve(reference) {
                        self.report.problem(
                            &at.keyword("$ref"),
                            why,
                            "point it at a definition in this schema, e.g. '#/$defs/Name'",
                        );
                    }
                }
                None => self.report.problem(
                    &at.keyword("$ref"),
                    "'$ref' must be a string",
                    "write the reference as text, e.g. \"#/$defs/Name\"",
                ),
            }
        }
        for keyword in SCHEMA_MAPS {
            match node.get_mut(keyword) {
                Some(Value::Object(children)) => {
                    for (name, child) in children.iter_mut() {
                        let child_at = match keyword {
                            "properties" => at.property(name),
                            "$defs" | "definitions" if at.segments.is_empty() => Loc::definition(keyword, name),
                            _ => at.keyword(keyword).keyword(name),
                        };
                        self.check(child, &child_at);
                    }
                }
                Some(_) => self.report.problem(
                    &at.keyword(keyword),
                    format!("'{keyword}' must map names to schemas"),
                    "write it as an object of schemas",
                ),
                None => {}
            }
        }
        for keyword in SCHEMA_SINGLES {
            let child_at = if keyword == "items" {
                at.items(keyword)
            } else {
                at.keyword(keyword)
            };
            match node.get_mut(keyword) {
                Some(Value::Array(members)) if keyword == "items" => {
                    for (index, member) in members.iter_mut().enumerate() {
                        self.check(member, &at.member(keyword, index));
                    }
                }
                Some(child) => self.check(child, &child_at),
                None => {}
            }
        }
        for keyword in SCHEMA_LISTS {
            match node.get_mut(keyword) {
                Some(Value::Array(members)) if !members.is_empty() => {
                    for (index, member) in members.iter_mut().enumerate() {
                        self.check(member, &at.member(keyword, index));
                    }
                }
                Some(_) => self.report.problem(
                    &at.keyword(keyword),
                    format!("'{keyword}' must be a non-empty list of schemas"),
                    "list the schemas",
                ),
                None => {}
            }
        }
    }
}
