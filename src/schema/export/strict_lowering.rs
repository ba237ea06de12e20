//! OpenAI strict and Anthropic strict: the rewrite into their subset, with the optional
//! properties made nullable (OpenAI) and Anthropic's per-request budget.

use super::*;

impl Lowering<'_> {
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
            ExtraKeys::Malformed => self.malformed_extra_keys(at),
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
