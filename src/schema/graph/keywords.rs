//! The keyword table of one schema object, read once: each keyword the stages evaluate, parsed
//! into its type, with every subschema replaced by the id of its node in the graph.
//!
//! A keyword whose value has the wrong JSON type is kept as [`Keyword::Malformed`] rather than
//! dropped: the stages differ on it (the fast plan hands such a schema to the full road, the
//! coercion plan ignores the keyword), and neither may guess for the other.

use serde_json::{Map, Number, Value};

use super::NodeId;
use crate::schema::shape::TypeSet;

/// Keywords whose value maps names to schemas.
pub const SCHEMA_MAPS: [&str; 5] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// Keywords whose value is one schema.
pub const SCHEMA_SINGLES: [&str; 12] = [
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

/// Keywords whose value is a list of schemas (`items` too, in its draft-4 tuple form).
pub const SCHEMA_LISTS: [&str; 4] = ["prefixItems", "anyOf", "oneOf", "allOf"];

/// One keyword of a schema object.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Keyword<T> {
    #[default]
    Absent,
    Present(T),
    /// Present, but its value has a JSON type the keyword does not take.
    Malformed,
}

impl<T> Keyword<T> {
    pub fn is_present(&self) -> bool {
        !matches!(self, Keyword::Absent)
    }

    pub fn present(&self) -> Option<&T> {
        match self {
            Keyword::Present(value) => Some(value),
            _ => None,
        }
    }
}

/// Where a `$ref` leads.
#[derive(Clone, Debug, PartialEq)]
pub enum Reference {
    Resolved(NodeId),
    /// It points outside the schema, at an anchor, or at nothing; the reason says which.
    Unresolved(String),
    /// `$ref` is not a string.
    NotText,
}

/// The subschemas one keyword names, as the document writes them.
#[derive(Clone, Debug, PartialEq)]
pub enum Subschemas<'s> {
    /// A keyword of [`SCHEMA_MAPS`]: name and node, in document order.
    Named(Vec<(&'s str, NodeId)>),
    /// A keyword of [`SCHEMA_LISTS`], or `items` as a list: one node per position.
    Listed(Vec<NodeId>),
    /// A keyword of [`SCHEMA_SINGLES`].
    One(NodeId),
}

impl Subschemas<'_> {
    pub fn ids(&self) -> Vec<NodeId> {
        match self {
            Subschemas::Named(named) => named.iter().map(|(_, id)| *id).collect(),
            Subschemas::Listed(listed) => listed.clone(),
            Subschemas::One(id) => vec![*id],
        }
    }
}

/// `items`: one schema for every item, or (draft 4) one per position.
#[derive(Clone, Debug, PartialEq)]
pub enum Items {
    Every(NodeId),
    Tuple(Vec<NodeId>),
}

/// The parsed keywords of one schema object. Values that are data (`enum`, `const`, `default`)
/// are borrowed from the document, never copied.
#[derive(Clone, Debug)]
pub struct Keywords<'s> {
    map: &'s Map<String, Value>,
    pub reference: Option<Reference>,
    pub types: Keyword<TypeSet>,
    pub enumeration: Keyword<&'s [Value]>,
    pub constant: Option<&'s Value>,
    pub default: Option<&'s Value>,
    pub minimum: Keyword<&'s Number>,
    pub maximum: Keyword<&'s Number>,
    pub exclusive_minimum: Keyword<&'s Number>,
    pub exclusive_maximum: Keyword<&'s Number>,
    pub min_length: Keyword<&'s Number>,
    pub max_length: Keyword<&'s Number>,
    pub min_items: Keyword<&'s Number>,
    pub max_items: Keyword<&'s Number>,
    pub pattern: Keyword<&'s str>,
    pub format: Keyword<&'s str>,
    pub unique_items: Keyword<bool>,
    /// `$schema`: the dialect the document declares.
    pub dialect: Keyword<&'s str>,
    pub properties: Keyword<Vec<(&'s str, NodeId)>>,
    pub pattern_properties: Keyword<Vec<(&'s str, NodeId)>>,
    pub required: Keyword<&'s [Value]>,
    pub additional_properties: Option<NodeId>,
    pub items: Keyword<Items>,
    pub prefix_items: Keyword<Vec<NodeId>>,
    pub additional_items: Option<NodeId>,
    pub all_of: Keyword<Vec<NodeId>>,
    pub any_of: Keyword<Vec<NodeId>>,
    pub one_of: Keyword<Vec<NodeId>>,
    /// The subschemas of every keyword the fields above do not name (`not`, `if`, `$defs`,
    /// ...), by keyword, in document order.
    pub others: Vec<(&'s str, Subschemas<'s>)>,
}

/// Hands out the node id of the subschema at `pointer`, creating the node when it is new.
pub(super) trait NodeIds<'s> {
    fn child(&mut self, schema: &'s Value, pointer: String) -> NodeId;
    fn reference(&mut self, reference: &'s str) -> Result<NodeId, String>;
}

impl<'s> Keywords<'s> {
    /// Whether the schema object has `keyword`, whatever its value.
    pub fn has(&self, keyword: &str) -> bool {
        self.map.contains_key(keyword)
    }

    /// The names of every keyword of the schema object, known or not, in document order.
    pub fn names(&self) -> impl Iterator<Item = &'s str> + 's {
        self.map.keys().map(String::as_str)
    }

    /// The schema object itself, every keyword with its value as written.
    pub fn map(&self) -> &'s Map<String, Value> {
        self.map
    }

    /// A keyword's value as written, for what the table does not parse (`description`) and
    /// for messages that quote it.
    pub fn value(&self, keyword: &str) -> Option<&'s Value> {
        self.map.get(keyword)
    }

    /// The subschemas `keyword` names: [`None`] when it is absent or names none (its value has
    /// the wrong JSON type, or a single subschema is neither an object nor a boolean, except
    /// for `additionalProperties`, whose node says what it is).
    pub fn subschemas_of(&self, keyword: &str) -> Option<Subschemas<'s>> {
        let named =
            |table: &Keyword<Vec<(&'s str, NodeId)>>| table.present().map(|named| Subschemas::Named(named.clone()));
        let listed = |table: &Keyword<Vec<NodeId>>| table.present().map(|listed| Subschemas::Listed(listed.clone()));
        match keyword {
            "properties" => named(&self.properties),
            "patternProperties" => named(&self.pattern_properties),
            "prefixItems" => listed(&self.prefix_items),
            "anyOf" => listed(&self.any_of),
            "oneOf" => listed(&self.one_of),
            "allOf" => listed(&self.all_of),
            "items" => match &self.items {
                Keyword::Present(Items::Every(id)) => Some(Subschemas::One(*id)),
                Keyword::Present(Items::Tuple(ids)) => Some(Subschemas::Listed(ids.clone())),
                _ => None,
            },
            "additionalProperties" => self.additional_properties.map(Subschemas::One),
            "additionalItems" => self.additional_items.map(Subschemas::One),
            _ => self
                .others
                .iter()
                .find(|(name, _)| *name == keyword)
                .map(|(_, subschemas)| subschemas.clone()),
        }
    }

    pub(super) fn read(map: &'s Map<String, Value>, pointer: &str, ids: &mut impl NodeIds<'s>) -> Self {
        let child = |keyword: &str| format!("{pointer}/{keyword}");
        let mut keywords = Keywords {
            map,
            reference: None,
            types: Keyword::Absent,
            enumeration: Keyword::Absent,
            constant: map.get("const"),
            default: map.get("default"),
            minimum: number(map, "minimum"),
            maximum: number(map, "maximum"),
            exclusive_minimum: number(map, "exclusiveMinimum"),
            exclusive_maximum: number(map, "exclusiveMaximum"),
            min_length: number(map, "minLength"),
            max_length: number(map, "maxLength"),
            min_items: number(map, "minItems"),
            max_items: number(map, "maxItems"),
            pattern: text(map, "pattern"),
            format: text(map, "format"),
            unique_items: match map.get("uniqueItems") {
                None => Keyword::Absent,
                Some(Value::Bool(flag)) => Keyword::Present(*flag),
                Some(_) => Keyword::Malformed,
            },
            dialect: text(map, "$schema"),
            properties: Keyword::Absent,
            pattern_properties: Keyword::Absent,
            required: list(map, "required"),
            additional_properties: None,
            items: Keyword::Absent,
            prefix_items: Keyword::Absent,
            additional_items: None,
            all_of: Keyword::Absent,
            any_of: Keyword::Absent,
            one_of: Keyword::Absent,
            others: Vec::new(),
        };
        keywords.types = read_types(map.get("type"));
        keywords.enumeration = list(map, "enum");
        keywords.reference = map.get("$ref").map(|reference| match reference {
            Value::String(reference) => match ids.reference(reference) {
                Ok(id) => Reference::Resolved(id),
                Err(reason) => Reference::Unresolved(reason),
            },
            _ => Reference::NotText,
        });
        // Subschemas in document order, so node ids follow the text.
        for (keyword, value) in map {
            let keyword = keyword.as_str();
            if SCHEMA_MAPS.contains(&keyword) {
                let Value::Object(members) = value else {
                    if matches!(keyword, "properties" | "patternProperties") {
                        *keywords.named_table(keyword) = Keyword::Malformed;
                    }
                    continue;
                };
                let prefix = child(keyword);
                let named: Vec<(&'s str, NodeId)> = members
                    .iter()
                    .map(|(name, member)| {
                        let at = format!("{prefix}/{}", crate::schema::refs::escape_pointer(name));
                        (name.as_str(), ids.child(member, at))
                    })
                    .collect();
                match keyword {
                    "properties" | "patternProperties" => *keywords.named_table(keyword) = Keyword::Present(named),
                    _ => keywords.others.push((keyword, Subschemas::Named(named))),
                }
            } else if SCHEMA_LISTS.contains(&keyword) || (keyword == "items" && value.is_array()) {
                let Value::Array(members) = value else {
                    *keywords.list_table(keyword) = Keyword::Malformed;
                    continue;
                };
                let prefix = child(keyword);
                let listed: Vec<NodeId> = members
                    .iter()
                    .enumerate()
                    .map(|(position, member)| ids.child(member, format!("{prefix}/{position}")))
                    .collect();
                match keyword {
                    "items" => keywords.items = Keyword::Present(Items::Tuple(listed)),
                    _ => *keywords.list_table(keyword) = Keyword::Present(listed),
                }
            } else if SCHEMA_SINGLES.contains(&keyword) {
                let schema_like = matches!(value, Value::Object(_) | Value::Bool(_));
                match keyword {
                    // A node even when it is no schema, so the stages can say what it is.
                    "additionalProperties" => keywords.additional_properties = Some(ids.child(value, child(keyword))),
                    "items" if schema_like => {
                        keywords.items = Keyword::Present(Items::Every(ids.child(value, child(keyword))))
                    }
                    "items" => keywords.items = Keyword::Malformed,
                    "additionalItems" if schema_like => {
                        keywords.additional_items = Some(ids.child(value, child(keyword)))
                    }
                    _ if schema_like => {
                        let id = ids.child(value, child(keyword));
                        keywords.others.push((keyword, Subschemas::One(id)));
                    }
                    _ => {}
                }
            }
        }
        keywords
    }

    fn named_table(&mut self, keyword: &str) -> &mut Keyword<Vec<(&'s str, NodeId)>> {
        match keyword {
            "properties" => &mut self.properties,
            _ => &mut self.pattern_properties,
        }
    }

    fn list_table(&mut self, keyword: &str) -> &mut Keyword<Vec<NodeId>> {
        match keyword {
            "prefixItems" => &mut self.prefix_items,
            "anyOf" => &mut self.any_of,
            "oneOf" => &mut self.one_of,
            _ => &mut self.all_of,
        }
    }

    /// Every subschema this object names (a `$ref` target too), each once per mention.
    pub fn subschemas(&self) -> Vec<NodeId> {
        let mut found = Vec::new();
        for table in [&self.properties, &self.pattern_properties] {
            if let Keyword::Present(named) = table {
                found.extend(named.iter().map(|(_, id)| *id));
            }
        }
        for table in [&self.prefix_items, &self.all_of, &self.any_of, &self.one_of] {
            if let Keyword::Present(listed) = table {
                found.extend(listed);
            }
        }
        match &self.items {
            Keyword::Present(Items::Every(id)) => found.push(*id),
            Keyword::Present(Items::Tuple(ids)) => found.extend(ids),
            _ => {}
        }
        found.extend(self.additional_properties);
        found.extend(self.additional_items);
        if let Some(Reference::Resolved(id)) = self.reference {
            found.push(id);
        }
        for (_, subschemas) in &self.others {
            found.extend(subschemas.ids());
        }
        found
    }
}

/// `type`: the set it names; malformed when it is neither a name nor a list of names, or names
/// a type JSON Schema does not have.
fn read_types(value: Option<&Value>) -> Keyword<TypeSet> {
    match value {
        None => Keyword::Absent,
        Some(Value::String(name)) => TypeSet::from_name(name).map_or(Keyword::Malformed, Keyword::Present),
        Some(Value::Array(names)) => {
            let mut types = TypeSet::EMPTY;
            for name in names {
                match name.as_str().and_then(TypeSet::from_name) {
                    Some(set) => types = types.union(set),
                    None => return Keyword::Malformed,
                }
            }
            Keyword::Present(types)
        }
        Some(_) => Keyword::Malformed,
    }
}

fn number<'s>(map: &'s Map<String, Value>, keyword: &str) -> Keyword<&'s Number> {
    match map.get(keyword) {
        None => Keyword::Absent,
        Some(Value::Number(number)) => Keyword::Present(number),
        Some(_) => Keyword::Malformed,
    }
}

fn text<'s>(map: &'s Map<String, Value>, keyword: &str) -> Keyword<&'s str> {
    match map.get(keyword) {
        None => Keyword::Absent,
        Some(Value::String(text)) => Keyword::Present(text),
        Some(_) => Keyword::Malformed,
    }
}

fn list<'s>(map: &'s Map<String, Value>, keyword: &str) -> Keyword<&'s [Value]> {
    match map.get(keyword) {
        None => Keyword::Absent,
        Some(Value::Array(values)) => Keyword::Present(values),
        Some(_) => Keyword::Malformed,
    }
}
