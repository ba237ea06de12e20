//! Gemini: the rewrite into the OpenAPI subset its `Schema` takes.

use super::*;

impl Lowering<'_> {
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
            ExtraKeys::Malformed => self.malformed_extra_keys(at),
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
