//! Non-strict OpenAI and Anthropic: the schema as it is, minus what would be refused.

use super::*;

/// Walks the graph of the schema and lists what the provider would refuse; the schema is sent
/// as it is, with the few additions a provider needs.
pub(super) struct Permissive<'g, 's> {
    pub(super) provider: Provider,
    pub(super) graph: &'g SchemaGraph<'s>,
    pub(super) report: Report,
    pub(super) depth: usize,
    /// The lists that get `items: {}` (OpenAI refuses lists without it), by their path.
    pub(super) open_lists: Vec<Vec<String>>,
}

impl<'g, 's> Permissive<'g, 's> {
    pub(super) fn run(schema: &'s Value, provider: Provider) -> Result<Exported, Vec<ExportProblem>> {
        let graph = SchemaGraph::compile(schema);
        let mut run = Permissive {
            provider,
            graph: &graph,
            report: Report::default(),
            depth: 0,
            open_lists: Vec::new(),
        };
        let Some(root) = root_object(schema, &mut run.report) else {
            return Err(run.report.problems);
        };
        let mut root = root.clone();
        if provider.is_openai() {
            // OpenAI has refused parameters carrying a meta-schema URI.
            root.shift_remove("$schema");
        }
        let inlined = run.inline_root_reference(&mut root);
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
        if let Some(own) = graph.root().keywords() {
            let inlined = inlined.and_then(|target| graph.node(target).keywords());
            run.depth += 1;
            run.check_node(&root, own, inlined, &at);
            run.depth -= 1;
        }
        let mut schema = Value::Object(root);
        for path in std::mem::take(&mut run.open_lists) {
            if let Some(Value::Object(list)) = value_at(&mut schema, &path) {
                list.insert("items".to_string(), json!({}));
            }
        }
        run.report.finish(schema)
    }

    /// Providers want `type: object` on the parameters themselves, not behind a `$ref`. Returns
    /// the node whose keywords were merged into the root.
    pub(super) fn inline_root_reference(&mut self, root: &mut Map<String, Value>) -> Option<NodeId> {
        let reference = root.get("$ref").and_then(Value::as_str)?.to_string();
        let at = Loc::root().keyword("$ref");
        let resolved = self.graph.root().keywords().and_then(|own| own.reference.clone());
        match resolved {
            Some(Reference::Resolved(_)) if reference == "#" => self.report.problem(
                &at,
                "the parameters refer to themselves",
                "describe the parameters as an object schema",
            ),
            Some(Reference::Resolved(target)) => match self.graph.schema(target) {
                Value::Object(target_map) => {
                    root.shift_remove("$ref");
                    let mut merged = target_map.clone();
                    for keyword in ["$defs", "definitions", "$schema", "$id"] {
                        merged.shift_remove(keyword);
                    }
                    for (keyword, value) in std::mem::take(root) {
                        merged.insert(keyword, value);
                    }
                    *root = merged;
                    return Some(target);
                }
                _ => self.report.problem(
                    &at,
                    format!("the parameters refer to '{reference}', which is not an object schema"),
                    "describe the parameters as an object schema",
                ),
            },
            Some(Reference::Unresolved(why)) => {
                self.report
                    .problem(&at, why, "point it at a definition in this schema, e.g. '#/$defs/Name'")
            }
            Some(Reference::NotText) | None => {}
        }
        None
    }

    pub(super) fn check(&mut self, id: NodeId, at: &Loc) {
        let map = match self.graph.schema(id) {
            Value::Object(map) => map,
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
        let Some(own) = self.graph.node(id).keywords() else {
            unread(self.graph, id, at, &mut self.report);
            return;
        };
        self.depth += 1;
        self.check_node(map, own, None, at);
        self.depth -= 1;
    }

    /// One schema object: `map` as it is sent, its subschemas from the graph. The root's map
    /// may have the keywords of the schema its `$ref` names merged in (`inlined`); those
    /// keywords' subschemas are that schema's.
    pub(super) fn check_node(
        &mut self,
        map: &Map<String, Value>,
        own: &Keywords<'s>,
        inlined: Option<&Keywords<'s>>,
        at: &Loc,
    ) {
        // The root's own `$ref` is gone once inlined: a `$ref` left is the target's.
        let table = |keyword: &str| match inlined {
            Some(target) if keyword == "$ref" || !own.has(keyword) => target,
            _ => own,
        };
        let types = match read_types(map, at, &mut self.report) {
            Types::Declared(types) => types,
            _ => Vec::new(),
        };
        let adds_items = self.provider.is_openai() && types.iter().any(|t| t == "array") && !map.contains_key("items");
        if adds_items {
            self.open_lists.push(at.segments.clone());
            self.report.note(format!(
                "'items' added to {}: OpenAI refuses lists without it; any item is still accepted",
                at.subject()
            ));
        }
        required_names(map, at, &mut self.report);
        if let Some(values) = map.get("enum") {
            if !values.is_array() {
                self.report.problem(
                    &at.keyword("enum"),
                    "'enum' must be a list of values",
                    "list the allowed values",
                );
            }
        }
        for keyword in ["description", "title"] {
            if map.get(keyword).is_some_and(|text| !text.is_string()) {
                self.report.problem(
                    &at.keyword(keyword),
                    format!("'{keyword}' must be text"),
                    format!("write the {keyword} as a string"),
                );
            }
        }
        match map.get("$ref") {
            Some(Value::String(_)) => {
                if let Some(Reference::Unresolved(why)) = &table("$ref").reference {
                    self.report.problem(
                        &at.keyword("$ref"),
                        why,
                        "point it at a definition in this schema, e.g. '#/$defs/Name'",
                    );
                }
            }
            Some(_) => self.report.problem(
                &at.keyword("$ref"),
                "'$ref' must be a string",
                "write the reference as text, e.g. \"#/$defs/Name\"",
            ),
            None => {}
        }
        for keyword in SCHEMA_MAPS {
            match map.get(keyword) {
                Some(Value::Object(_)) => {
                    let Some(Subschemas::Named(children)) = table(keyword).subschemas_of(keyword) else {
                        continue;
                    };
                    for (name, child) in children {
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
            match (map.get(keyword), table(keyword).subschemas_of(keyword)) {
                (Some(Value::Array(_)), Some(Subschemas::Listed(members))) if keyword == "items" => {
                    for (index, member) in members.into_iter().enumerate() {
                        self.check(member, &at.member(keyword, index));
                    }
                }
                (Some(_), Some(Subschemas::One(child))) => self.check(child, &child_at),
                // Neither an object nor a boolean: the graph has no node for it.
                (Some(Value::Object(_) | Value::Bool(_)), _) => {}
                (Some(other), _) => not_a_schema(&mut self.report, &child_at, other),
                // The `items: {}` added above, one level further down.
                (None, _) if keyword == "items" && adds_items && self.depth >= MAX_SCHEMA_DEPTH => self.report.problem(
                    &child_at,
                    format!("the schema is nested more than {MAX_SCHEMA_DEPTH} levels deep"),
                    "flatten the schema",
                ),
                (None, _) => {}
            }
        }
        for keyword in SCHEMA_LISTS {
            match map.get(keyword) {
                Some(Value::Array(members)) if !members.is_empty() => {
                    if let Some(Subschemas::Listed(members)) = table(keyword).subschemas_of(keyword) {
                        for (index, member) in members.into_iter().enumerate() {
                            self.check(member, &at.member(keyword, index));
                        }
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

/// The value at `path` (object keys and list positions) inside `value`.
fn value_at<'v>(value: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
    let mut current = value;
    for segment in path {
        current = match current {
            Value::Object(map) => map.get_mut(segment)?,
            Value::Array(items) => items.get_mut(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}
