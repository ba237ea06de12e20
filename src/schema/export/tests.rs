use super::*;

fn parameters(schema: &Value, provider: Provider, strict: bool) -> Exported {
    export_parameters(schema, provider, strict)
        .unwrap_or_else(|problems| panic!("refused for {provider} strict={strict}: {problems:#?}"))
}

fn problems(schema: &Value, provider: Provider, strict: bool) -> Vec<ExportProblem> {
    match export_parameters(schema, provider, strict) {
        Ok(exported) => panic!("exported for {provider} strict={strict}: {:#}", exported.definition),
        Err(problems) => problems,
    }
}

/// What pydantic writes for a search tool with a nested model, an enum, an optional
/// field, a tuple, a set and a literal.
fn pydantic_schema() -> Value {
    json!({
        "$defs": {
            "Address": {
                "properties": {
                    "street": {"title": "Street", "type": "string"},
                    "zip": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Zip"}
                },
                "required": ["street"],
                "title": "Address",
                "type": "object"
            },
            "Color": {"enum": ["red", "green"], "title": "Color", "type": "string"}
        },
        "properties": {
            "query": {"description": "Search text", "maxLength": 5, "title": "Query", "type": "string"},
            "limit": {"default": 10, "minimum": 1, "title": "Limit", "type": "integer"},
            "home": {"$ref": "#/$defs/Address", "description": "Where to look"},
            "color": {"$ref": "#/$defs/Color"},
            "pair": {"maxItems": 2, "minItems": 2, "prefixItems": [{"type": "integer"}, {"type": "string"}], "type": "array"},
            "tags": {"items": {"type": "string"}, "type": "array", "uniqueItems": true},
            "kind": {"const": "a", "type": "string"},
            "when": {"anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}], "default": null}
        },
        "required": ["query", "home"],
        "title": "search_args",
        "type": "object"
    })
}

#[test]
fn provider_names_round_trip() {
    for provider in Provider::ALL {
        assert_eq!(provider.as_str().parse::<Provider>(), Ok(provider));
        assert_eq!(provider.to_string(), provider.as_str());
    }
    assert_eq!(" Anthropic ".parse::<Provider>(), Ok(Provider::Anthropic));
    let error = "claude".parse::<Provider>().unwrap_err();
    assert!(error.to_string().contains("openai-responses"), "{error}");
}

#[test]
fn tool_limits_are_the_documented_ones() {
    assert_eq!(max_tools(Provider::OpenAI), Some(128));
    assert_eq!(max_tools(Provider::OpenAIResponses), Some(128));
    assert_eq!(max_tools(Provider::Anthropic), None);
    assert_eq!(max_tools(Provider::Gemini), Some(64));
    assert_eq!(max_strict_tools(Provider::Anthropic), Some(20));
    assert_eq!(max_strict_tools(Provider::OpenAI), Some(128));
}

#[test]
fn openai_strict_closes_objects_requires_everything_and_keeps_definitions() {
    let exported = parameters(&pydantic_schema(), Provider::OpenAI, true);
    let out = &exported.definition;
    assert_eq!(check_openai_strict(out), Vec::new());
    assert_eq!(out["additionalProperties"], false);
    assert_eq!(
        out["required"],
        json!(["query", "limit", "home", "color", "pair", "tags", "kind", "when"])
    );
    let properties = &out["properties"];
    assert_eq!(
        properties["query"],
        json!({"type": "string", "title": "Query", "description": "Search text\nConstraints: at most 5 characters."})
    );
    assert_eq!(
        properties["limit"],
        json!({"type": ["integer", "null"], "title": "Limit", "description": "Default: 10.", "minimum": 1})
    );
    // A reference with a description next to it is replaced by the definition.
    assert_eq!(properties["home"]["description"], "Where to look");
    assert_eq!(properties["home"]["required"], json!(["street", "zip"]));
    assert_eq!(
        properties["home"]["properties"]["zip"]["anyOf"],
        json!([{"type": "string"}, {"type": "null"}])
    );
    // A bare reference stays one; optional, so it accepts null as well.
    assert_eq!(
        properties["color"],
        json!({"anyOf": [{"$ref": "#/$defs/Color"}, {"type": "null"}]})
    );
    assert_eq!(
        out["$defs"],
        json!({"Color": {"type": "string", "title": "Color", "enum": ["red", "green"]}})
    );
    // Already nullable: no second null.
    assert_eq!(
        properties["when"],
        json!({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]})
    );
    assert_eq!(
        properties["kind"],
        json!({"type": ["string", "null"], "enum": ["a", null]})
    );
    assert_eq!(
        properties["pair"]["anyOf"][0],
        json!({"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "string"}]}, "maxItems": 2, "minItems": 2})
    );
    assert_eq!(
        properties["pair"]["description"],
        "Items in this order: 1) integer, 2) string."
    );
    assert_eq!(properties["tags"]["description"], "Constraints: no duplicate items.");
    for note in [
        "maxLength moved into the description of 'query'",
        "default moved into the description of 'limit'",
        "uniqueItems moved into the description of 'tags'",
        "the tuple 'pair' is sent as a list; the order of its items is in the description",
        "optional property 'zip' of 'home' sent as required and nullable: null stands for 'not given'",
        "unused definitions left out: 'Address'",
    ] {
        assert!(
            exported.notes.contains(&note.to_string()),
            "missing {note:?} in {:#?}",
            exported.notes
        );
    }
}

#[test]
fn openai_strict_keeps_recursion_through_definitions() {
    let schema = json!({
        "$defs": {"Node": {"type": "object", "properties": {
            "value": {"type": "integer"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
            "parent": {"$ref": "#/$defs/Node", "description": "one level up"}
        }, "required": ["value", "children", "parent"]}},
        "type": "object",
        "properties": {"tree": {"$ref": "#/$defs/Node"}, "self": {"$ref": "#"}},
        "required": ["tree", "self"]
    });
    let out = parameters(&schema, Provider::OpenAIResponses, true).definition;
    assert_eq!(check_openai_strict(&out), Vec::new());
    assert_eq!(out["properties"]["tree"], json!({"$ref": "#/$defs/Node"}));
    assert_eq!(out["properties"]["self"], json!({"$ref": "#"}));
    let node = &out["$defs"]["Node"];
    assert_eq!(node["properties"]["children"]["items"], json!({"$ref": "#/$defs/Node"}));
    // The description cannot be merged into the definition being expanded: it goes on a
    // one-member union instead.
    assert_eq!(
        node["properties"]["parent"],
        json!({"description": "one level up", "anyOf": [{"$ref": "#/$defs/Node"}]})
    );
}

#[test]
fn recursion_is_refused_where_it_cannot_be_expressed() {
    let schema = json!({
        "$defs": {"Node": {"type": "object", "properties": {"next": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}}}},
        "type": "object",
        "properties": {"list": {"$ref": "#/$defs/Node"}}
    });
    for (provider, strict) in [(Provider::Anthropic, true), (Provider::Gemini, false)] {
        let found = problems(&schema, provider, strict);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].location, "properties.list.properties.next.anyOf.0.$ref");
        assert!(found[0].message.contains("recursive"), "{}", found[0].message);
    }
    parameters(&schema, Provider::Anthropic, false);
    parameters(&schema, Provider::OpenAI, false);
}

#[test]
fn free_form_dicts_are_refused_in_strict_mode_with_their_location() {
    let schema = json!({
        "type": "object",
        "properties": {
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
            "extra": {"type": "object"},
            "fine": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": true}
        },
        "required": ["tags", "extra", "fine"]
    });
    for provider in [Provider::OpenAI, Provider::Anthropic] {
        let found = problems(&schema, provider, true);
        let locations: Vec<&str> = found.iter().map(|p| p.location.as_str()).collect();
        assert_eq!(
            locations,
            ["properties.tags.additionalProperties", "properties.extra"],
            "{found:#?}"
        );
        assert!(
            found[0]
                .message
                .contains("free-form object (a dict with string values)"),
            "{}",
            found[0].message
        );
        assert_eq!(found[0].fix, FREE_FORM_FIX);
    }
    // Without strict mode, and for Gemini, a dict is just an object.
    parameters(&schema, Provider::OpenAI, false);
    let gemini = parameters(&schema, Provider::Gemini, false);
    assert_eq!(
        gemini.definition["properties"]["tags"],
        json!({"type": "object", "description": "Keys are free-form; each value is string."})
    );
    assert!(
        gemini
            .notes
            .iter()
            .any(|note| note.contains("additionalProperties of 'tags' left out")),
        "{:#?}",
        gemini.notes
    );
}

#[test]
fn a_tool_without_parameters_is_fine_everywhere() {
    for schema in [
        json!({}),
        json!({"type": "object"}),
        json!({"type": "object", "properties": {}}),
    ] {
        for provider in Provider::ALL {
            for strict in [false, true] {
                let out = parameters(&schema, provider, strict).definition;
                assert_eq!(out["type"], "object", "{schema} {provider} {strict}");
            }
        }
        let strict = parameters(&schema, Provider::OpenAI, true).definition;
        assert_eq!(
            strict,
            json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false})
        );
        let tool = export_tool("ping", "Ping", &schema, Provider::Gemini, false).unwrap();
        assert_eq!(tool.definition, json!({"name": "ping", "description": "Ping"}));
    }
}

#[test]
fn unsupported_composition_is_refused_and_every_problem_is_collected() {
    let schema = json!({
        "type": "object",
        "properties": {
            "a": {"type": "string", "not": {"const": "x"}},
            "b": {"allOf": [{"type": "string"}, {"maxLength": 3}]},
            "c": {"type": "object", "properties": {"x": {"type": "string"}}, "dependentRequired": {"x": ["y"]}},
            "d": {"type": "object", "patternProperties": {"^x": {"type": "string"}}, "properties": {"y": {"type": "string"}}},
            "e": {"if": {"type": "string"}, "then": {"minLength": 1}, "type": "string"},
            "f": {}
        }
    });
    let found = problems(&schema, Provider::OpenAI, true);
    let locations: Vec<&str> = found.iter().map(|p| p.location.as_str()).collect();
    assert_eq!(
        locations,
        [
            "properties.a.not",
            "properties.b.allOf",
            "properties.b",
            "properties.c.dependentRequired",
            "properties.d.patternProperties",
            "properties.e.if",
            "properties.e.then",
            "properties.f"
        ],
        "{found:#?}"
    );
    assert!(
        found[1].message.contains("'allOf' combines 2 schemas"),
        "{}",
        found[1].message
    );
    assert!(
        found[7].message.contains("'f' accepts any JSON value"),
        "{}",
        found[7].message
    );
}

#[test]
fn one_of_becomes_any_of_and_single_all_of_is_folded() {
    let schema = json!({
        "type": "object",
        "properties": {
            "shape": {
                "oneOf": [
                    {"type": "object", "properties": {"kind": {"const": "circle"}, "r": {"type": "number"}}, "required": ["kind", "r"]},
                    {"type": "object", "properties": {"kind": {"const": "square"}, "side": {"type": "number"}}, "required": ["kind", "side"]}
                ],
                "discriminator": {"propertyName": "kind"}
            },
            "owner": {"allOf": [{"$ref": "#/$defs/Person"}], "description": "who"}
        },
        "required": ["shape", "owner"],
        "$defs": {"Person": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}}
    });
    let exported = parameters(&schema, Provider::OpenAI, true);
    let out = &exported.definition;
    assert_eq!(
        out["properties"]["shape"]["anyOf"][0]["properties"]["kind"],
        json!({"type": "string", "const": "circle"})
    );
    assert!(out["properties"]["shape"].get("discriminator").is_none());
    assert_eq!(
        out["properties"]["owner"],
        json!({"type": "object", "description": "who", "properties": {"name": {"type": "string"}}, "required": ["name"], "additionalProperties": false})
    );
    assert!(exported
        .notes
        .contains(&"oneOf of 'shape' exported as anyOf".to_string()));
    assert!(
        exported
            .notes
            .contains(&"type 'string' given to 'shape.kind', as its 'const' implies".to_string()),
        "{:#?}",
        exported.notes
    );
}

#[test]
fn broken_references_and_strange_inputs_are_problems_not_panics() {
    let odd_inputs = [
        json!(null),
        json!(true),
        json!(false),
        json!(7),
        json!("object"),
        json!([{"type": "object"}]),
        json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/Missing"}}}),
        json!({"type": "object", "properties": {"a": {"$ref": "https://example.com/schema.json"}}}),
        json!({"type": "object", "properties": {"a": {"$ref": "#anchor"}}}),
        json!({"type": "object", "properties": {"a": {"$ref": 5}}}),
        json!({"$ref": "#"}),
        json!({"type": "object", "properties": "nope", "required": "a"}),
        json!({"type": "object", "properties": {"a": 3, "b": [], "c": false}}),
        json!({"type": "dict", "properties": {"a": {"type": ["string", 4]}}}),
        json!({"type": "object", "properties": {"a": {"type": "array", "items": [1]}}}),
        json!({"type": "object", "properties": {"a": {"anyOf": []}, "b": {"allOf": "x"}, "c": {"enum": []}}}),
        json!({"type": "string"}),
        json!({"anyOf": [{"type": "object"}, {"type": "null"}]}),
    ];
    for input in &odd_inputs {
        for provider in Provider::ALL {
            for strict in [false, true] {
                if let Err(found) = export_parameters(input, provider, strict) {
                    assert!(!found.is_empty());
                    for problem in &found {
                        assert!(
                            !problem.location.is_empty() && !problem.message.is_empty() && !problem.fix.is_empty(),
                            "{problem:?}"
                        );
                    }
                }
            }
        }
        let _ = check_openai_strict(input);
    }
    for provider in Provider::ALL {
        for strict in [false, true] {
            let found = problems(&odd_inputs[6], provider, strict);
            assert_eq!(found[0].location, "properties.a.$ref", "{provider} {strict}");
            assert!(found[0].message.contains("points to nothing"), "{}", found[0].message);
            assert!(export_parameters(&json!(true), provider, strict).is_err());
            assert!(export_parameters(&json!({"type": "string"}), provider, strict).is_err());
        }
    }
}

#[test]
fn cycles_of_references_end() {
    let schema = json!({
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/A"}},
        "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A", "description": "loop"}}
    });
    for provider in Provider::ALL {
        for strict in [false, true] {
            let _ = export_parameters(&schema, provider, strict);
        }
    }
    let found = problems(&schema, Provider::Gemini, false);
    assert!(found[0].message.contains("recursive"), "{found:#?}");
}

#[test]
fn very_deep_schemas_are_refused_without_exhausting_the_stack() {
    // Built by hand: `json!` would serialize the inner value recursively.
    let mut schema = json!({"type": "string"});
    for _ in 0..200 {
        let mut node = Map::new();
        node.insert("type".to_string(), json!("object"));
        node.insert(
            "properties".to_string(),
            Value::Object(Map::from_iter([("x".to_string(), schema)])),
        );
        schema = Value::Object(node);
    }
    for provider in Provider::ALL {
        for strict in [false, true] {
            let found = problems(&schema, provider, strict);
            assert_eq!(found, vec![too_deep()], "{provider} {strict}");
        }
    }
    assert_eq!(check_openai_strict(&schema), vec![too_deep()]);
    // Within the JSON limit but past the schema-walk limit: refused by the walks.
    let mut schema = json!({"type": "string"});
    for _ in 0..100 {
        schema = json!({"type": "array", "items": schema});
    }
    for provider in Provider::ALL {
        for strict in [false, true] {
            let found = problems(&schema, provider, strict);
            assert!(
                found.iter().any(|p| p.message.contains("nested more than 64 levels")),
                "{provider} {strict}: {found:#?}"
            );
        }
    }
}

#[test]
fn openai_strict_limits_are_enforced_with_counts() {
    let wide: Map<String, Value> = (0..5_001)
        .map(|i| (format!("p{i}"), json!({"type": "boolean"})))
        .collect();
    let found = problems(&json!({"type": "object", "properties": wide}), Provider::OpenAI, true);
    assert!(
        found
            .iter()
            .any(|p| p.message.contains("5,001 object properties") && p.message.contains("at most 5,000")),
        "{found:#?}"
    );

    let mut deep = json!({"type": "string"});
    for _ in 0..11 {
        deep = json!({"type": "object", "properties": {"x": deep}, "required": ["x"]});
    }
    let found = problems(&deep, Provider::OpenAI, true);
    assert!(found.iter().any(|p| p.message.contains("11 levels deep")), "{found:#?}");

    let values: Vec<String> = (0..1_001).map(|i| format!("v{i}")).collect();
    let found = problems(
        &json!({"type": "object", "properties": {"e": {"type": "string", "enum": values}}, "required": ["e"]}),
        Provider::OpenAI,
        true,
    );
    assert!(
        found.iter().any(|p| p.message.contains("1,001 enum values")),
        "{found:#?}"
    );

    let long: Vec<String> = (0..300).map(|i| format!("{i:0>60}")).collect();
    let found = problems(
        &json!({"type": "object", "properties": {"e": {"type": "string", "enum": long}}}),
        Provider::OpenAI,
        true,
    );
    assert!(
        found.iter().any(|p| p.location == "properties.e.enum"
            && p.message.contains("300 string values totalling 18,000 characters")),
        "{found:#?}"
    );

    let names: Map<String, Value> = (0..200)
        .map(|i| (format!("{i:0>700}"), json!({"type": "boolean"})))
        .collect();
    let found = problems(&json!({"type": "object", "properties": names}), Provider::OpenAI, true);
    assert!(
        found.iter().any(|p| p.message.contains("add up to 140,000 characters")),
        "{found:#?}"
    );
}

#[test]
fn the_strict_checker_names_each_broken_rule() {
    let schema = json!({
        "type": "object",
        "properties": {
            "a": {"type": "object", "properties": {"x": {"type": "string"}}},
            "b": {"$ref": "#/$defs/B", "description": "next to a ref"},
            "c": {"type": "string", "minLength": 2, "format": "uri"},
            "d": {"type": "array"},
            "e": {"description": "no type"}
        },
        "required": ["a", "b"],
        "additionalProperties": false,
        "$defs": {"B": {"type": "string"}}
    });
    let found = check_openai_strict(&schema);
    let summary: Vec<String> = found
        .iter()
        .map(|p| format!("{} | {}", p.location, p.message))
        .collect();
    for expected in [
        "required | 'required' must list every property in OpenAI strict mode; missing: 'c', 'd', 'e'",
        "properties.a.additionalProperties | 'additionalProperties' must be false on every object in OpenAI strict mode",
        "properties.a.required | 'required' must list every property in OpenAI strict mode; missing: 'x'",
        "properties.b | '$ref' must stand alone in OpenAI strict mode (no keywords next to it)",
        "properties.c.minLength | 'minLength' is not supported in OpenAI strict mode",
        "properties.c.format | format \"uri\" is not one OpenAI strict mode supports",
        "properties.d.items | every list needs an 'items' schema in OpenAI strict mode",
        "properties.e | every strict schema needs a 'type' (or 'anyOf' or '$ref')",
    ] {
        assert!(summary.iter().any(|line| line == expected), "missing {expected:?} in {summary:#?}");
    }
    assert_eq!(found.len(), 8, "{summary:#?}");
    let root_union = check_openai_strict(
        &json!({"anyOf": [{"type": "object", "properties": {}, "required": [], "additionalProperties": false}]}),
    );
    assert!(root_union.iter().any(|p| p.message.contains("must not be anyOf")));
}

#[test]
fn openai_without_strict_changes_only_what_openai_refuses() {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "ids": {"type": "array"},
            "maybe": {"type": ["array", "null"], "items": {"type": "integer"}},
            "name": {"type": "string", "maxLength": 3, "default": "x"},
            "d": {"type": "object", "additionalProperties": {"type": "integer"}}
        },
        "required": ["ids"]
    });
    let exported = parameters(&schema, Provider::OpenAI, false);
    let mut expected = schema.clone();
    expected.as_object_mut().unwrap().shift_remove("$schema");
    expected["properties"]["ids"]["items"] = json!({});
    assert_eq!(exported.definition, expected);
    assert_eq!(
        exported.notes,
        vec!["'items' added to 'ids': OpenAI refuses lists without it; any item is still accepted"]
    );
    // Anthropic takes the schema as it is.
    assert_eq!(parameters(&schema, Provider::Anthropic, false).definition, schema);
}

#[test]
fn loose_type_names_are_refused_until_normalized() {
    let schema = json!({"type": "dict", "properties": {"x": {"type": "float"}}});
    for provider in Provider::ALL {
        for strict in [false, true] {
            let found = problems(&schema, provider, strict);
            assert!(
                found
                    .iter()
                    .any(|p| p.location == "properties.x.type" && p.message == "\"float\" is not a JSON Schema type"),
                "{provider} {strict}: {found:#?}"
            );
        }
    }
    let (normalized, _) = crate::schema::normalize::normalize_dialect(&schema);
    for provider in Provider::ALL {
        parameters(&normalized, provider, true);
    }
}

#[test]
fn anthropic_strict_keeps_optional_properties_and_describes_bounds() {
    let schema = json!({
        "type": "object",
        "properties": {
            "city": {"type": "string", "pattern": "^[A-Z]"},
            "days": {"type": "integer", "minimum": 1, "maximum": 14, "default": 3},
            "units": {"enum": ["c", "f"], "type": "string"},
            "stops": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 5},
            "site": {"type": "string", "format": "uri"}
        },
        "required": ["city"]
    });
    let exported = parameters(&schema, Provider::Anthropic, true);
    let out = &exported.definition;
    assert_eq!(out["required"], json!(["city"]));
    assert_eq!(out["additionalProperties"], false);
    assert_eq!(
        out["properties"]["city"],
        json!({"type": "string", "description": "Constraints: matches the regular expression ^[A-Z]."})
    );
    assert_eq!(
        out["properties"]["days"],
        json!({"type": "integer", "description": "Constraints: at least 1; at most 14.\nDefault: 3."})
    );
    assert_eq!(out["properties"]["stops"]["minItems"], 1);
    assert_eq!(
        out["properties"]["stops"]["description"],
        "Constraints: at most 5 items."
    );
    assert_eq!(out["properties"]["site"], json!({"type": "string", "format": "uri"}));
    let tool = export_tool("forecast", "Weather", &schema, Provider::Anthropic, true).unwrap();
    assert_eq!(tool.definition["strict"], true);
    assert_eq!(tool.definition["input_schema"], *out);
}

#[test]
fn anthropic_strict_budget_counts_optional_properties_and_unions() {
    let optional: Map<String, Value> = (0..25).map(|i| (format!("o{i}"), json!({"type": "string"}))).collect();
    let found = problems(
        &json!({"type": "object", "properties": optional}),
        Provider::Anthropic,
        true,
    );
    assert!(found[0].message.contains("25 optional properties"), "{found:#?}");
    let unions: Map<String, Value> = (0..17)
        .map(|i| (format!("u{i}"), json!({"type": ["string", "integer"]})))
        .collect();
    let names: Vec<String> = unions.keys().cloned().collect();
    let found = problems(
        &json!({"type": "object", "properties": unions, "required": names}),
        Provider::Anthropic,
        true,
    );
    assert!(found[0].message.contains("17 parameters use anyOf"), "{found:#?}");
}

#[test]
fn gemini_keeps_only_the_formats_it_documents() {
    let schema = json!({
        "type": "object",
        "properties": {
            "site": {"type": "string", "format": "uri"},
            "at": {"type": "string", "format": "date-time"},
            "count": {"type": "integer", "format": "int64"},
            "mail": {"type": "string", "format": "email"}
        },
        "required": ["site", "at", "count", "mail"]
    });
    let exported = parameters(&schema, Provider::Gemini, false);
    let p = &exported.definition["properties"];
    assert_eq!(
        p["site"],
        json!({"type": "string", "description": "Constraints: in uri format."})
    );
    assert_eq!(p["at"], json!({"type": "string", "format": "date-time"}));
    assert_eq!(p["count"], json!({"type": "integer", "format": "int64"}));
    assert_eq!(
        p["mail"],
        json!({"type": "string", "description": "Constraints: in email format."})
    );
}

#[test]
fn gemini_gets_its_openapi_subset() {
    let schema = json!({
        "type": "object",
        "properties": {
            "zip": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "description": "Postal code"},
            "level": {"type": "integer", "enum": [1, 2, 3]},
            "mode": {"const": "fast"},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
            "mixed": {"type": ["integer", "string", "null"], "minimum": 0, "maxLength": 3},
            "home": {"$ref": "#/$defs/Address"},
            "pair": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}], "minItems": 2, "maxItems": 2}
        },
        "required": ["level"],
        "$defs": {"Address": {"type": "object", "properties": {"street": {"type": "string"}}, "required": ["street"], "additionalProperties": false}}
    });
    let exported = parameters(&schema, Provider::Gemini, false);
    let p = &exported.definition["properties"];
    assert_eq!(
        p["zip"],
        json!({"type": "string", "description": "Postal code", "default": null, "nullable": true})
    );
    assert_eq!(
        p["level"],
        json!({"type": "integer", "description": "Constraints: one of 1, 2, 3."})
    );
    assert_eq!(p["mode"], json!({"type": "string", "enum": ["fast"]}));
    assert_eq!(
        p["ratio"],
        json!({"type": "number", "description": "Constraints: greater than 0; a multiple of 0.5."})
    );
    assert_eq!(
        p["mixed"],
        json!({"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "maxLength": 3}], "nullable": true})
    );
    assert_eq!(
        p["home"],
        json!({"type": "object", "properties": {"street": {"type": "string"}}, "required": ["street"]})
    );
    assert_eq!(
        p["pair"],
        json!({"type": "array", "description": "Items in this order: 1) number, 2) number.", "items": {"type": "number"}, "minItems": 2, "maxItems": 2})
    );
    assert!(exported.definition.get("$defs").is_none());
    assert!(
        exported
            .notes
            .contains(&"enum moved into the description of 'level'".to_string()),
        "{:#?}",
        exported.notes
    );
    assert!(exported
        .notes
        .contains(&"'mixed' accepts integer or string; sent to Gemini as anyOf".to_string()));
    assert_eq!(parameters(&schema, Provider::Gemini, true), exported);
}

#[test]
fn tool_envelopes_match_each_request_format() {
    let schema = json!({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]});
    let strict_parameters = json!({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"], "additionalProperties": false});
    let tool = |provider, strict| {
        export_tool("find", "Find things", &schema, provider, strict)
            .unwrap()
            .definition
    };
    assert_eq!(
        tool(Provider::OpenAI, true),
        json!({"type": "function", "function": {"name": "find", "description": "Find things", "parameters": strict_parameters, "strict": true}})
    );
    assert_eq!(
        tool(Provider::OpenAI, false),
        json!({"type": "function", "function": {"name": "find", "description": "Find things", "parameters": schema}})
    );
    assert_eq!(
        tool(Provider::OpenAIResponses, false),
        json!({"type": "function", "name": "find", "description": "Find things", "parameters": schema, "strict": false})
    );
    assert_eq!(
        tool(Provider::OpenAIResponses, true),
        json!({"type": "function", "name": "find", "description": "Find things", "parameters": strict_parameters, "strict": true})
    );
    assert_eq!(
        tool(Provider::Anthropic, false),
        json!({"name": "find", "description": "Find things", "input_schema": schema})
    );
    assert_eq!(
        tool(Provider::Anthropic, true),
        json!({"name": "find", "description": "Find things", "input_schema": strict_parameters, "strict": true})
    );
    assert_eq!(
        tool(Provider::Gemini, false),
        json!({"name": "find", "description": "Find things", "parameters": schema})
    );
}

#[test]
fn export_tool_reports_name_description_and_schema_problems_together() {
    let schema = json!({"type": "object", "properties": {"d": {"type": "object"}}});
    let found = export_tool("math.factorial", &"x".repeat(1_100), &schema, Provider::OpenAI, true).unwrap_err();
    let locations: Vec<&str> = found.iter().map(|p| p.location.as_str()).collect();
    assert_eq!(locations, ["name", "description", "properties.d"], "{found:#?}");
    assert_eq!(found[0].fix, "rename the tool, e.g. to 'math_factorial'");
    assert!(found[1].message.contains("1,100 characters"), "{}", found[1].message);
    // Gemini takes both the dotted name and the long description.
    assert!(export_tool("math.factorial", &"x".repeat(1_100), &schema, Provider::Gemini, false).is_ok());
}

#[test]
fn root_shapes_other_than_one_object_are_refused() {
    let union = json!({"anyOf": [{"type": "object", "properties": {"a": {"type": "string"}}}, {"type": "object", "properties": {"b": {"type": "string"}}}]});
    for (provider, strict) in [
        (Provider::OpenAI, true),
        (Provider::Anthropic, true),
        (Provider::Gemini, false),
    ] {
        let found = problems(&union, provider, strict);
        assert!(
            found
                .iter()
                .any(|p| p.location == "(root)" && p.message.contains("union")),
            "{provider}: {found:#?}"
        );
    }
    let nullable_root = json!({"type": ["object", "null"], "properties": {"a": {"type": "string"}}});
    let found = problems(&nullable_root, Provider::OpenAI, true);
    assert!(
        found[0]
            .message
            .contains("must be an object schema, not object or null"),
        "{found:#?}"
    );
    // A root behind a reference is inlined.
    let behind = json!({"$ref": "#/$defs/Args", "$defs": {"Args": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}}});
    for provider in Provider::ALL {
        for strict in [false, true] {
            let out = parameters(&behind, provider, strict).definition;
            assert_eq!(out["type"], "object", "{provider} {strict}");
            assert_eq!(out["properties"]["a"]["type"], "string", "{provider} {strict}");
        }
    }
}

#[test]
fn keywords_that_do_not_apply_to_the_type_are_dropped_silently() {
    let schema = json!({"type": "object", "properties": {"n": {"type": "integer", "maxLength": 4, "items": {"type": "string"}}}, "required": ["n"]});
    let exported = parameters(&schema, Provider::OpenAI, true);
    assert_eq!(exported.definition["properties"]["n"], json!({"type": "integer"}));
    assert!(exported.notes.is_empty(), "{:#?}", exported.notes);
}

#[test]
fn unknown_keywords_are_dropped_with_a_note() {
    let schema = json!({"type": "object", "properties": {"n": {"type": "integer", "x-unit": "kg"}}, "required": ["n"]});
    for (provider, strict) in [
        (Provider::OpenAI, true),
        (Provider::Anthropic, true),
        (Provider::Gemini, false),
    ] {
        let exported = parameters(&schema, provider, strict);
        assert_eq!(exported.definition["properties"]["n"], json!({"type": "integer"}));
        assert_eq!(exported.notes, vec!["unknown keyword 'x-unit' dropped from 'n'"]);
    }
}

fn draw(seed: &mut u64, bound: u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed % bound
}

/// Schema-shaped noise: JSON Schema keywords with values of every kind, nested a few
/// levels, from a fixed seed.
fn noise(seed: &mut u64, depth: usize) -> Value {
    const KEYWORDS: [&str; 30] = [
        "type",
        "properties",
        "required",
        "items",
        "prefixItems",
        "anyOf",
        "oneOf",
        "allOf",
        "$ref",
        "$defs",
        "enum",
        "const",
        "additionalProperties",
        "default",
        "description",
        "minimum",
        "maxLength",
        "format",
        "pattern",
        "not",
        "title",
        "nullable",
        "minItems",
        "uniqueItems",
        "examples",
        "if",
        "definitions",
        "patternProperties",
        "x",
        "optional",
    ];
    const TEXTS: [&str; 12] = [
        "object",
        "string",
        "array",
        "null",
        "integer",
        "dict",
        "#",
        "#/$defs/a",
        "#/$defs/b",
        "#/properties/a",
        "a",
        "",
    ];
    let choice = if depth >= 4 { draw(seed, 5) } else { draw(seed, 9) };
    match choice {
        0 => Value::Null,
        1 => json!(draw(seed, 3) == 0),
        2 => json!(draw(seed, 20) as i64 - 5),
        3 | 4 => json!(TEXTS[draw(seed, TEXTS.len() as u64) as usize]),
        5 | 6 => {
            let count = draw(seed, 4);
            (0..count).map(|_| noise(seed, depth + 1)).collect()
        }
        _ => {
            let count = draw(seed, 5);
            let mut node = Map::new();
            for _ in 0..count {
                let keyword = KEYWORDS[draw(seed, KEYWORDS.len() as u64) as usize];
                let value = if matches!(keyword, "properties" | "$defs" | "definitions" | "patternProperties") {
                    let mut children = Map::new();
                    for name in ["a", "b"].iter().take(draw(seed, 3) as usize) {
                        children.insert(name.to_string(), noise(seed, depth + 1));
                    }
                    Value::Object(children)
                } else {
                    noise(seed, depth + 1)
                };
                node.insert(keyword.to_string(), value);
            }
            Value::Object(node)
        }
    }
}

#[test]
fn arbitrary_schema_shaped_input_never_panics() {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for round in 0..3_000 {
        let schema = if round % 2 == 0 {
            noise(&mut seed, 0)
        } else {
            let a = noise(&mut seed, 1);
            let b = noise(&mut seed, 1);
            json!({"type": "object", "properties": {"a": a, "b": b}, "$defs": {"a": {"type": "string"}}})
        };
        let (normalized, _) = crate::schema::normalize::normalize_dialect(&schema);
        for candidate in [&schema, &normalized] {
            for provider in Provider::ALL {
                for strict in [false, true] {
                    match export_tool("t", "", candidate, provider, strict) {
                        Ok(exported) if provider.is_openai() && strict => {
                            let parameters = &exported.definition["function"]["parameters"];
                            let parameters = if parameters.is_null() {
                                &exported.definition["parameters"]
                            } else {
                                parameters
                            };
                            assert_eq!(check_openai_strict(parameters), Vec::new(), "{candidate}");
                        }
                        Ok(_) => {}
                        Err(found) => assert!(!found.is_empty()),
                    }
                }
            }
            let _ = check_openai_strict(candidate);
        }
    }
}

#[test]
fn problem_display_reads_as_one_line() {
    let problem = ExportProblem {
        location: "properties.tags".to_string(),
        message: "'tags' is a free-form object".to_string(),
        fix: "declare the keys".to_string(),
    };
    assert_eq!(
        problem.to_string(),
        "properties.tags: 'tags' is a free-form object (fix: declare the keys)"
    );
}

/// The parameters behind a root `$ref` are read as if their keywords were written at the
/// root: the permissive exports take the merged keywords' subschemas from the schema the
/// reference names, and the root's own from the root.
#[test]
fn parameters_behind_a_root_reference_export_as_if_written_at_the_root() {
    let mut seed = 0x51_7cc1_b727_220a_u64;
    let mut compared = 0;
    for _ in 0..3_000 {
        // A target with a `$ref` of its own would be inlined again once written at the root.
        let Value::Object(target) = noise(&mut seed, 1) else {
            continue;
        };
        if target.contains_key("$ref") {
            continue;
        }
        let sibling = noise(&mut seed, 1);
        let description = noise(&mut seed, 2);
        let behind = json!({
            "$ref": "#/$defs/P",
            "description": description,
            "$defs": {"P": target, "a": sibling}
        });
        // A reference to a place other than a definition reads the two documents differently.
        if behind.to_string().contains("#/properties") {
            continue;
        }
        let mut written: Map<String, Value> = target.clone();
        for keyword in ["$defs", "definitions", "$schema", "$id"] {
            written.shift_remove(keyword);
        }
        written.insert("description".to_string(), behind["description"].clone());
        written.insert("$defs".to_string(), behind["$defs"].clone());
        let written = Value::Object(written);
        for provider in [Provider::OpenAI, Provider::Anthropic] {
            assert_eq!(
                export_parameters(&behind, provider, false),
                export_parameters(&written, provider, false),
                "{provider}: {behind}"
            );
        }
        compared += 1;
    }
    assert!(compared > 500, "only {compared} schemas compared");
}

/// OpenAI's limits count a definition reached by reference as if it were written where the
/// reference is (its name aside): the same properties, enum values and nesting.
#[test]
fn openai_limits_count_a_referenced_definition_as_written_in_place() {
    let mut seed = 0x2f6b_9d0e_71c4_a853_u64;
    let mut compared = 0;
    for _ in 0..3_000 {
        let inner = noise(&mut seed, 1);
        if !inner.is_object() || inner.to_string().contains("$ref") || inner.to_string().contains("$defs") {
            continue;
        }
        let in_place = json!({"type": "object", "properties": {"p": {"type": "array", "items": inner}}});
        let by_reference = json!({
            "type": "object",
            "properties": {"p": {"type": "array", "items": {"$ref": "#/$defs/D"}}},
            "$defs": {"D": inner}
        });
        let count = |schema: &Value| {
            let graph = SchemaGraph::compile(schema);
            let mut tally = Tally::default();
            tally.walk(&graph, SchemaGraph::ROOT, &Loc::root(), 0);
            if let Some(Subschemas::Named(definitions)) = graph.root().keywords().unwrap().subschemas_of("$defs") {
                for (name, definition) in definitions {
                    tally.text_chars += name.chars().count();
                    tally.walk(&graph, definition, &Loc::definition("$defs", name), 0);
                }
            }
            let depth = nesting_depth(&graph, SchemaGraph::ROOT, &mut HashMap::new(), &mut Vec::new(), 0);
            (tally.properties, tally.enum_values, tally.text_chars, depth)
        };
        let (properties, enum_values, text_chars, depth) = count(&in_place);
        assert_eq!(
            count(&by_reference),
            (properties, enum_values, text_chars + "D".len(), depth),
            "{inner}"
        );
        compared += 1;
    }
    assert!(compared > 300, "only {compared} schemas compared");
}
