use serde_json::{json, Map, Value};

use super::*;
use crate::schema::shape::TypeSet;

fn keywords<'g, 's>(graph: &'g SchemaGraph<'s>, pointer: &str) -> &'g Keywords<'s> {
    let id = graph.find(pointer).unwrap_or_else(|| panic!("no node at {pointer}"));
    graph.node(id).keywords().unwrap()
}

#[test]
fn references_resolve_once_to_the_node_they_point_to() {
    let schema = json!({
        "type": "object",
        "properties": {
            "first": {"$ref": "#/$defs/Item"},
            "second": {"$ref": "#/$defs/Item"},
            "spaced": {"$ref": "#/$defs/An%20Item"}
        },
        "$defs": {"Item": {"type": "string"}, "An Item": {"type": "integer"}}
    });
    let graph = SchemaGraph::compile(&schema);
    let item = graph.find("#/$defs/Item").unwrap();
    let reference = |name: &str| keywords(&graph, &format!("#/properties/{name}")).reference.clone();
    assert_eq!(reference("first"), Some(Reference::Resolved(item)));
    assert_eq!(reference("second"), Some(Reference::Resolved(item)));
    assert_eq!(
        reference("spaced"),
        Some(Reference::Resolved(graph.find("#/$defs/An Item").unwrap()))
    );
    assert_eq!(
        graph.nodes().filter(|(_, node)| node.pointer == "#/$defs/Item").count(),
        1
    );
    assert!(graph.problems().is_empty());
}

#[test]
fn recursive_schemas_are_cycles() {
    let schema = json!({
        "$defs": {"Tree": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Tree"}}}}},
        "$ref": "#/$defs/Tree",
        "properties": {"self": {"$ref": "#"}}
    });
    let graph = SchemaGraph::compile(&schema);
    let tree = graph.find("#/$defs/Tree").unwrap();
    let items = keywords(&graph, "#/$defs/Tree/properties/children/items");
    assert_eq!(items.reference, Some(Reference::Resolved(tree)));
    assert_eq!(
        graph.root().keywords().unwrap().reference,
        Some(Reference::Resolved(tree))
    );
    assert_eq!(
        keywords(&graph, "#/properties/self").reference,
        Some(Reference::Resolved(SchemaGraph::ROOT))
    );
    // Root, $defs/Tree, children, items, properties/self: each once.
    assert_eq!(graph.len(), 5);
}

#[test]
fn keyword_tables_are_parsed_once_and_malformed_values_kept_as_such() {
    let schema = json!({
        "type": ["string", "null"],
        "enum": ["a", null],
        "pattern": "^a",
        "minLength": 1,
        "maxLength": "ten",
        "format": "date",
        "default": "a",
        "uniqueItems": 1,
        "required": ["a"],
        "anyOf": {"type": "string"},
        "additionalProperties": false,
        "items": [{"type": "integer"}],
        "not": {"type": "integer"}
    });
    let graph = SchemaGraph::compile(&schema);
    let root = graph.root().keywords().unwrap();
    assert_eq!(root.types, Keyword::Present(TypeSet::STRING.union(TypeSet::NULL)));
    assert_eq!(root.enumeration.present().unwrap().len(), 2);
    assert_eq!(root.pattern, Keyword::Present("^a"));
    assert_eq!(root.min_length.present().unwrap().as_u64(), Some(1));
    assert_eq!(root.max_length, Keyword::Malformed);
    assert_eq!(root.format, Keyword::Present("date"));
    assert_eq!(root.default, Some(&json!("a")));
    assert_eq!(root.unique_items, Keyword::Malformed);
    assert_eq!(root.any_of, Keyword::Malformed);
    let additional = root.additional_properties.unwrap();
    assert!(matches!(graph.node(additional).body, Body::Bool(false)));
    let Keyword::Present(Items::Tuple(tuple)) = &root.items else {
        panic!("{:?}", root.items)
    };
    assert_eq!(graph.node(tuple[0]).pointer, "#/items/0");
    assert_eq!(
        root.others,
        vec![("not", Subschemas::One(graph.find("#/not").unwrap()))]
    );
    assert_eq!(
        root.subschemas_of("not"),
        Some(Subschemas::One(graph.find("#/not").unwrap()))
    );
    assert_eq!(root.subschemas_of("anyOf"), None);
    assert_eq!(root.value("anyOf"), Some(&json!({"type": "string"})));
    assert_eq!(read_types_of(json!({"type": "dict"})), Keyword::Malformed);
    assert_eq!(read_types_of(json!({"type": ["string", 5]})), Keyword::Malformed);
    assert_eq!(read_types_of(json!({"type": []})), Keyword::Present(TypeSet::EMPTY));
}

fn read_types_of(schema: Value) -> Keyword<TypeSet> {
    SchemaGraph::compile(&schema).root().keywords().unwrap().types.clone()
}

#[test]
fn one_depth_limit_counts_nesting_and_references() {
    // Built by hand: `json!` would recurse as deep as the schema.
    let mut schema = json!({"type": "string"});
    for _ in 0..100 {
        schema = Value::Object(Map::from_iter([("items".to_string(), schema)]));
    }
    let graph = SchemaGraph::compile(&schema);
    assert_eq!(graph.len(), MAX_SCHEMA_DEPTH + 2);
    let last = graph.node(graph.len() - 1);
    assert!(matches!(last.body, Body::BeyondLimit));
    assert_eq!(last.depth, MAX_SCHEMA_DEPTH + 1);
    assert_eq!(graph.problems().len(), 1);
    let problem = &graph.problems()[0];
    assert_eq!(problem.pointer, format!("#{}", "/items".repeat(MAX_SCHEMA_DEPTH + 1)));
    assert!(problem.message.contains("more than 64 levels"), "{problem}");

    // A chain of references, each definition one step from the root: only the chain is deep.
    let mut definitions = Map::new();
    for level in 0..100 {
        definitions.insert(format!("D{level}"), json!({"$ref": format!("#/$defs/D{}", level + 1)}));
    }
    definitions.insert("D100".into(), json!({"type": "string"}));
    let schema = json!({"$ref": "#/$defs/D0", "$defs": definitions});
    let graph = SchemaGraph::compile(&schema);
    assert!(graph.problems().is_empty(), "{:?}", graph.problems());
    assert!(graph.nodes().all(|(_, node)| node.depth <= 2));
}

#[test]
fn the_depth_of_a_node_is_its_shortest_distance_from_the_root() {
    let mut deep = json!({"$ref": "#/$defs/Shallow"});
    for _ in 0..80 {
        deep = Value::Object(Map::from_iter([("items".to_string(), deep)]));
    }
    let schema = json!({"properties": {"deep": deep}, "$defs": {"Shallow": {"type": "integer"}}});
    let graph = SchemaGraph::compile(&schema);
    let shallow = graph.node(graph.find("#/$defs/Shallow").unwrap());
    assert_eq!(shallow.depth, 1);
    assert!(matches!(shallow.body, Body::Keywords(_)));
}

#[test]
fn references_it_cannot_follow_are_problems_with_their_pointer() {
    let schema = json!({
        "properties": {
            "lost": {"$ref": "#/$defs/Nope"},
            "far": {"$ref": "other.json#/a"},
            "anchor": {"$ref": "#item"},
            "number": {"$ref": 5}
        }
    });
    let graph = SchemaGraph::compile(&schema);
    let pointers: Vec<&str> = graph.problems().iter().map(|p| p.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        vec![
            "#/properties/lost/$ref",
            "#/properties/far/$ref",
            "#/properties/anchor/$ref"
        ]
    );
    assert!(graph.problems()[0].to_string().contains("points to nothing"));
    assert!(graph.problems()[1].message.contains("outside"));
    assert!(matches!(
        keywords(&graph, "#/properties/lost").reference,
        Some(Reference::Unresolved(_))
    ));
    assert_eq!(
        keywords(&graph, "#/properties/number").reference,
        Some(Reference::NotText)
    );
}

#[test]
fn the_node_count_is_bounded() {
    let properties: Map<String, Value> = (0..MAX_SCHEMA_NODES + 10)
        .map(|position| (format!("p{position}"), json!({})))
        .collect();
    let schema = json!({"properties": properties});
    let graph = SchemaGraph::compile(&schema);
    let beyond = graph
        .nodes()
        .filter(|(_, node)| matches!(node.body, Body::BeyondLimit))
        .count();
    assert_eq!(beyond, 11);
    assert!(graph.problems()[0].message.contains("subschemas"));
}

#[test]
fn odd_documents_do_not_panic() {
    for document in [json!(null), json!(3), json!("x"), json!([1]), json!(true), json!(false)] {
        let graph = SchemaGraph::compile(&document);
        assert_eq!(graph.len(), 1);
    }
    assert!(matches!(SchemaGraph::compile(&json!(3)).root().body, Body::NotSchema));
    assert!(matches!(
        SchemaGraph::compile(&json!(false)).root().body,
        Body::Bool(false)
    ));
}

#[test]
fn each_keyword_names_its_subschemas_in_document_order() {
    let schema = json!({
        "$defs": {"B": {"type": "string"}, "A": {"type": "integer"}},
        "not": {"type": "null"},
        "if": 5,
        "properties": {"z": true, "y": {"$ref": "#/$defs/A"}},
        "anyOf": [{"type": "string"}, false],
        "items": [{"type": "integer"}],
        "additionalProperties": "no schema"
    });
    let graph = SchemaGraph::compile(&schema);
    let root = graph.root().keywords().unwrap();
    let at = |pointer: &str| graph.find(pointer).unwrap();
    assert_eq!(
        root.subschemas_of("$defs"),
        Some(Subschemas::Named(vec![("B", at("#/$defs/B")), ("A", at("#/$defs/A"))]))
    );
    assert_eq!(
        root.subschemas_of("properties"),
        Some(Subschemas::Named(vec![
            ("z", at("#/properties/z")),
            ("y", at("#/properties/y"))
        ]))
    );
    assert_eq!(
        root.subschemas_of("anyOf"),
        Some(Subschemas::Listed(vec![at("#/anyOf/0"), at("#/anyOf/1")]))
    );
    assert_eq!(
        root.subschemas_of("items"),
        Some(Subschemas::Listed(vec![at("#/items/0")]))
    );
    assert_eq!(root.subschemas_of("not"), Some(Subschemas::One(at("#/not"))));
    // A single subschema that is no schema has no node, except `additionalProperties`.
    assert_eq!(root.subschemas_of("if"), None);
    assert_eq!(root.value("if"), Some(&json!(5)));
    let additional = at("#/additionalProperties");
    assert_eq!(
        root.subschemas_of("additionalProperties"),
        Some(Subschemas::One(additional))
    );
    assert!(matches!(graph.node(additional).body, Body::NotSchema));
    assert_eq!(graph.schema(additional), &json!("no schema"));
    // The per-keyword tables and the list of every subschema agree.
    let mut by_keyword: Vec<NodeId> = root
        .names()
        .filter_map(|keyword| root.subschemas_of(keyword))
        .flat_map(|subschemas| subschemas.ids())
        .collect();
    let mut every = root.subschemas();
    by_keyword.sort_unstable();
    every.sort_unstable();
    assert_eq!(by_keyword, every);
}

#[test]
fn references_are_looked_up_where_the_compile_resolved_them() {
    let schema = json!({
        "properties": {"a": {"$ref": "#/$defs/A"}, "broken": {"$ref": "#/$defs/Missing"}},
        "$defs": {"A": {"type": "string"}, "B": {"type": "integer"}}
    });
    let graph = SchemaGraph::compile(&schema);
    for reference in [
        "#/$defs/A",
        "#/$defs/Missing",
        "#/$defs/B",
        "#",
        "https://example.com/x",
    ] {
        // Met by the compile or not, a reference leads where the document says.
        assert_eq!(
            graph.resolve(reference),
            refs::local_target(&schema, reference).map(|(target, _)| target),
            "{reference}"
        );
    }
    assert_eq!(graph.resolve("#/$defs/A"), Ok(&json!({"type": "string"})));
}
