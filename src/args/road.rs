//! The argument road for one tool: compiled once, then shared read-only by every call.
//!
//! ```text
//! text ─► size check ─► serde_json ──ok──► limits ─► validate ──ok──► arguments   (the fast path)
//!                          │fail                         │fail
//!                          ▼                             ▼
//!                       repair ─────────────────► root shape ─► conform ─► validate ─► arguments
//!                   (lenient only)                              (keys, coercion)      or errors
//! ```

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::args::conform::{Conformer, ExtraKeys, Mode};
use crate::args::duplicates::{self, Duplicate};
use crate::args::ending::{self, Ending};
use crate::args::envelope;
use crate::args::errors::{ArgError, ArgumentErrors};
use crate::args::fast_path::FastPlan;
use crate::args::nested_json;
use crate::args::record::{Repair, RepairKind};
use crate::args::repair::{
    malformed_numbers, repair, repair_refused, with_numbers_as_zero, Malformation, MalformedNumber,
};
use crate::args::surrogates;
use crate::args::unique_items;
use crate::json_path::JsonPath;
use crate::limits::{locate_number, oversized_integer, Limits};
use crate::schema::graph::SchemaGraph;
use crate::schema::shape::{Extra, ShapePlan, TypeSet};
use crate::schema::validator::{preview, CompileOptions, CompiledSchema, SchemaError};

/// What the document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Root {
    /// A tool's arguments: always an object; a lone value may stand for the one parameter.
    Arguments,
    /// Any JSON value the schema admits.
    AnyValue,
}

#[derive(Clone, Debug)]
pub struct RoadOptions {
    pub root: Root,
    pub extra_keys: ExtraKeys,
    pub limits: Limits,
    /// Other names for top-level parameters, `(alias, parameter)`.
    pub aliases: Vec<(String, String)>,
    /// How the schema itself is compiled (draft, documents `$ref` may point to, formats).
    pub compile: CompileOptions,
    /// Accept text repairs that may not recover what the model meant (a string cut off by the
    /// end of the text, a missing value, left-out items); refused by default.
    pub allow_meaning_changes: bool,
    /// The tool's name, so a call envelope naming it (`{"name": "<this tool>", "arguments":
    /// {...}}`) can be told from arguments; without one no envelope is taken out.
    pub tool_name: Option<String>,
}

impl Default for RoadOptions {
    fn default() -> Self {
        RoadOptions {
            root: Root::Arguments,
            extra_keys: ExtraKeys::Drop,
            limits: Limits::default(),
            aliases: Vec::new(),
            compile: CompileOptions::default(),
            allow_meaning_changes: false,
            tool_name: None,
        }
    }
}

/// A value that passed, and every change made on the way.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    /// An object for `Root::Arguments`.
    pub value: Value,
    pub repairs: Vec<Repair>,
}

impl Parsed {
    /// The arguments object (empty if the value is not an object, which an arguments road never returns).
    pub fn arguments(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        self.value.as_object().unwrap_or_else(|| EMPTY.get_or_init(Map::new))
    }
}

pub struct ArgumentRoad {
    schema: CompiledSchema,
    plan: ShapePlan,
    /// Shared, so the Python road can keep it beside the rest of what a fast call reads.
    fast: Option<Arc<FastPlan>>,
    options: RoadOptions,
    signature: Option<String>,
    /// The one parameter a lone non-object value is given to.
    single_parameter: Option<String>,
    /// The root allows undeclared keys, so the validator alone would not notice `claimId`.
    open_root: bool,
}

impl std::fmt::Debug for ArgumentRoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArgumentRoad")
            .field("signature", &self.signature)
            .finish()
    }
}

impl ArgumentRoad {
    pub fn compile(schema: &Value, options: RoadOptions) -> Result<Self, SchemaError> {
        let compiled = CompiledSchema::compile(schema, &options.compile)?;
        // The one walk over the schema's JSON; the plans below read the graph.
        let graph = SchemaGraph::compile(schema);
        let plan = ShapePlan::from_graph(&graph, &options.aliases);
        if options.root == Root::Arguments && !plan.root().types.contains(TypeSet::OBJECT) {
            return Err(SchemaError {
                location: String::new(),
                message: "a tool's parameters must be described by an object schema (\"type\": \"object\")".to_owned(),
            });
        }
        let root = plan.root_object();
        let single_parameter = root
            .filter(|object| object.properties.len() == 1)
            .map(|object| object.properties[0].name.clone());
        let open_root = root.is_some_and(|object| {
            !object.properties.is_empty() && !object.has_pattern_properties && object.extra != Extra::Forbidden
        });
        for (alias, parameter) in &options.aliases {
            if !root.is_some_and(|object| object.declares(parameter)) {
                return Err(SchemaError {
                    location: String::new(),
                    message: format!("alias '{alias}' names '{parameter}', which is not a parameter"),
                });
            }
        }
        Ok(ArgumentRoad {
            signature: plan.signature(),
            fast: match options.root {
                Root::Arguments => FastPlan::from_graph(&graph, &options.compile).map(Arc::new),
                Root::AnyValue => None,
            },
            schema: compiled,
            plan,
            options,
            single_parameter,
            open_root,
        })
    }

    pub fn schema(&self) -> &Value {
        self.schema.source()
    }

    pub fn validator(&self) -> &CompiledSchema {
        &self.schema
    }

    pub fn options(&self) -> &RoadOptions {
        &self.options
    }

    /// `{"city": string, "days"?: integer}`: what a model is told to send.
    pub fn signature(&self) -> Option<&str> {
        self.signature.as_deref()
    }

    pub fn plan(&self) -> &ShapePlan {
        &self.plan
    }

    /// The one-pass parse-validate-build path, when the schema is within it.
    pub fn fast_plan(&self) -> Option<&Arc<FastPlan>> {
        self.fast.as_ref()
    }

    /// Arguments sent as JSON text.
    pub fn parse_text(&self, text: &str, mode: Mode) -> Result<Parsed, ArgumentErrors> {
        self.parse_text_ending(text, mode, Ending::Unknown)
    }

    /// Arguments sent as JSON text, in a turn that ended as `ending` says: when the model ended
    /// on its own, a number at the very end of the text is complete, and the brackets left off
    /// after it are closed.
    pub fn parse_text_ending(&self, text: &str, mode: Mode, ending: Ending) -> Result<Parsed, ArgumentErrors> {
        self.options
            .limits
            .check_size(text.len())
            .map_err(|e| self.fail(e.into()))?;
        if text.trim().is_empty() {
            return self.accept(Value::Object(Map::new()), Vec::new(), mode);
        }
        match duplicates::parse(text) {
            Ok((value, duplicates)) => {
                if let Some(literal) = oversized_integer(text) {
                    return Err(self.fail(oversized_integer_error(&value, literal)));
                }
                let repairs = self.judge_duplicates(&duplicates, mode)?;
                self.accept(value, repairs, mode)
            }
            Err(parse_error) => self.read_invalid(text, mode, ending, &parse_error),
        }
    }

    /// Text that is not JSON: refused in strict mode; repaired in lenient mode where the repair
    /// keeps what was meant.
    fn read_invalid(
        &self,
        text: &str,
        mode: Mode,
        ending: Ending,
        parse_error: &serde_json::Error,
    ) -> Result<Parsed, ArgumentErrors> {
        if let Some(found) = surrogates::lone_surrogate(text) {
            return Err(self.fail(lone_surrogate_error(found)));
        }
        if mode == Mode::Strict {
            return Err(self.fail(ArgError::new(
                JsonPath::root(),
                "invalid_json",
                format!("not valid JSON: {parse_error}"),
            )));
        }
        let mut repaired = repair_refused(text, &self.options.limits).map_err(|repair_error| {
            self.fail(ArgError::new(
                JsonPath::root(),
                "invalid_json",
                format!("not valid JSON, and not safely repairable: {repair_error}"),
            ))
        })?;
        keep_whole_final_number(&mut repaired.repairs, text, ending);
        if !self.options.allow_meaning_changes {
            let guessed: Vec<MalformedNumber> = malformed_numbers(text)
                .into_iter()
                .filter(|number| !number.read_whole(text, &repaired.value))
                .collect();
            if !guessed.is_empty() {
                return Err(self.refuse_guessed_numbers(text, ending, &guessed));
            }
            if let Some(risky) = repaired.repairs.iter().find(|r| r.kind.may_alter_meaning()) {
                return Err(self.fail(refused_repair(risky)));
            }
            if ending == Ending::CutOff {
                if let Some(closed) = repaired.repairs.iter().find(|r| r.kind.closes_a_cut()) {
                    return Err(self.fail(cut_off_error(closed)));
                }
            }
        }
        self.accept(repaired.value, repaired.repairs, mode)
    }

    /// The refusal of numbers JSON does not write that the reading took only in part (`1e` as 1
    /// and a key `e`, `1+1` as 1, a lone `-` dropped), each at its path: a number is never
    /// guessed. What the reader made of their remains is no reason a model can act on, so what
    /// else is refused is what a reading with each of them written as 0 refuses.
    fn refuse_guessed_numbers(&self, text: &str, ending: Ending, guessed: &[MalformedNumber]) -> ArgumentErrors {
        let mut errors: Vec<ArgError> = guessed
            .iter()
            .take(MAX_NUMBER_ERRORS)
            .map(|number| malformed_number_error(text, number))
            .collect();
        let as_zero = with_numbers_as_zero(text, guessed);
        if let Ok(mut reread) = repair(&as_zero, &self.options.limits) {
            keep_whole_final_number(&mut reread.repairs, &as_zero, ending);
            if let Some(risky) = reread.repairs.iter().find(|r| r.kind.may_alter_meaning()) {
                add_once_per_path(&mut errors, vec![refused_repair(risky)]);
            }
        }
        ArgumentErrors {
            errors,
            expected: self.signature.clone(),
        }
    }

    /// Arguments sent as UTF-8 bytes.
    pub fn parse_bytes(&self, bytes: &[u8], mode: Mode) -> Result<Parsed, ArgumentErrors> {
        self.parse_bytes_ending(bytes, mode, Ending::Unknown)
    }

    /// `parse_bytes` in a turn that ended as `ending` says (see `parse_text_ending`).
    pub fn parse_bytes_ending(&self, bytes: &[u8], mode: Mode, ending: Ending) -> Result<Parsed, ArgumentErrors> {
        self.options
            .limits
            .check_size(bytes.len())
            .map_err(|e| self.fail(e.into()))?;
        match std::str::from_utf8(bytes) {
            Ok(text) => self.parse_text_ending(text, mode, ending),
            Err(error) => Err(self.fail(ArgError::new(
                JsonPath::root(),
                "invalid_json",
                format!("not valid UTF-8 text: {error}"),
            ))),
        }
    }

    /// Arguments already parsed (a dict from a framework, or `None` for no arguments).
    pub fn parse_value(&self, value: Value, mode: Mode) -> Result<Parsed, ArgumentErrors> {
        self.accept(value, Vec::new(), mode)
    }

    fn accept(&self, value: Value, mut repairs: Vec<Repair>, mode: Mode) -> Result<Parsed, ArgumentErrors> {
        let value = self.take_out_of_envelope(value, mode, &mut repairs);
        let facts = self
            .options
            .limits
            .check_value(&value)
            .map_err(|e| self.fail(e.into()))?;
        let fast = match (&value, self.options.root) {
            (Value::Object(object), Root::Arguments) => {
                let misspelt_key_possible = self.open_root && object.keys().any(|key| !self.declares(key));
                !facts.has_integral_float && !misspelt_key_possible && self.schema.is_valid(&value)
            }
            (_, Root::Arguments) => false,
            (_, Root::AnyValue) => !facts.has_integral_float && self.schema.is_valid(&value),
        };
        if fast {
            return Ok(Parsed { value, repairs });
        }
        let mut value = self.shape_root(value, mode, &mut repairs)?;
        let mut conformer = Conformer::new(&self.plan, mode, self.options.extra_keys);
        conformer.conform(&mut value, ShapePlan::ROOT, &mut JsonPath::root());
        repairs.append(&mut conformer.repairs);
        let mut errors = conformer.errors;
        let mut schema_errors = Vec::new();
        if !self.schema.is_valid(&value) {
            schema_errors = self.schema.errors(&value);
            if mode == Mode::Lenient {
                schema_errors = self.merge_duplicate_items(&mut value, schema_errors, &mut repairs);
            }
        }
        add_once_per_path(&mut errors, schema_errors);
        if !errors.is_empty() {
            return Err(ArgumentErrors {
                errors,
                expected: self.signature.clone(),
            });
        }
        Ok(Parsed { value, repairs })
    }

    /// Keys sent twice: strict mode refuses them; lenient mode refuses differing values and
    /// records equal ones.
    fn judge_duplicates(&self, duplicates: &[Duplicate], mode: Mode) -> Result<Vec<Repair>, ArgumentErrors> {
        let mut repairs = Vec::new();
        let mut errors = Vec::new();
        for duplicate in duplicates {
            if mode == Mode::Lenient && duplicate.same_value {
                repairs.push(Repair::new(duplicate.path.clone(), RepairKind::DuplicateKey, "", ""));
            } else {
                let message = if duplicate.same_value {
                    "sent twice; send each argument once"
                } else {
                    "sent twice with different values; send each argument once"
                };
                errors.push(ArgError::new(
                    duplicate.path.clone(),
                    "duplicate_key",
                    message.to_owned(),
                ));
            }
        }
        if errors.is_empty() {
            Ok(repairs)
        } else {
            Err(ArgumentErrors {
                errors,
                expected: self.signature.clone(),
            })
        }
    }

    /// `{"name": "<this tool>", "arguments": {...}}` sent as the arguments: the arguments inside,
    /// in lenient mode (see `envelope`).
    fn take_out_of_envelope(&self, value: Value, mode: Mode, repairs: &mut Vec<Repair>) -> Value {
        let (Mode::Lenient, Root::Arguments, Some(tool_name), Value::Object(object)) =
            (mode, self.options.root, &self.options.tool_name, &value)
        else {
            return value;
        };
        // A root that says nothing of its keys takes any key.
        let may_hold = |key: &str| self.plan.root_object().is_none_or(|root| root.may_hold(key));
        match envelope::unwrap(object, tool_name, may_hold) {
            Some((arguments, record)) => {
                repairs.push(record);
                Value::Object(arguments)
            }
            None => value,
        }
    }

    /// Arrays the schema wants unique (`set[...]` parameters) holding an item twice, as the
    /// validator's `errors` on `value` name them: each item kept once, recorded. Inner arrays go
    /// first, since merging an outer array moves the ones inside it; a tuple (`prefixItems`) is
    /// left alone, since merging would move its items to other places. A merge can make two outer
    /// items alike, so the value is checked again after each round. The errors left.
    fn merge_duplicate_items(
        &self,
        value: &mut Value,
        mut errors: Vec<ArgError>,
        repairs: &mut Vec<Repair>,
    ) -> Vec<ArgError> {
        for _ in 0..MAX_MERGE_ROUNDS {
            let mut arrays: Vec<JsonPath> = errors
                .iter()
                .filter(|error| error.kind == "uniqueItems")
                .map(|error| error.path.clone())
                .collect();
            arrays.sort_by_key(|path| std::cmp::Reverse(path.items().len()));
            let mut merged = false;
            for path in &arrays {
                let is_set = self
                    .plan
                    .shape_at(path)
                    .is_some_and(|shape| shape.array.as_ref().is_none_or(|array| array.prefix_items.is_empty()));
                if let Some(record) = is_set.then(|| unique_items::merge_at(value, path)).flatten() {
                    repairs.push(record);
                    merged = true;
                }
            }
            if !merged {
                break;
            }
            errors = if self.schema.is_valid(value) {
                Vec::new()
            } else {
                self.schema.errors(value)
            };
        }
        errors
    }

    fn declares(&self, key: &str) -> bool {
        self.plan.root_object().is_some_and(|object| object.declares(key))
    }

    /// Make the document an object of arguments, or say why it cannot be one.
    fn shape_root(&self, value: Value, mode: Mode, repairs: &mut Vec<Repair>) -> Result<Value, ArgumentErrors> {
        if self.options.root == Root::AnyValue {
            return Ok(value);
        }
        match value {
            Value::Object(_) => Ok(value),
            // `null` is what some models send for a tool without arguments.
            Value::Null => Ok(Value::Object(Map::new())),
            other if mode == Mode::Strict => Err(self.not_an_object(&other)),
            Value::String(text) if text.trim_start().starts_with('{') => match nested_json::read_exactly(&text) {
                Some(decoded @ Value::Object(_)) => {
                    repairs.push(Repair::new(
                        JsonPath::root(),
                        RepairKind::DecodedJsonString,
                        text,
                        decoded.clone(),
                    ));
                    Ok(decoded)
                }
                _ => self.wrap_single(Value::String(text), repairs),
            },
            other => self.wrap_single(other, repairs),
        }
    }

    fn wrap_single(&self, value: Value, repairs: &mut Vec<Repair>) -> Result<Value, ArgumentErrors> {
        let Some(parameter) = &self.single_parameter else {
            return Err(self.not_an_object(&value));
        };
        repairs.push(Repair::new(
            JsonPath::root().child_key(parameter),
            RepairKind::WrappedArgument,
            value.clone(),
            value.clone(),
        ));
        let mut object = Map::new();
        object.insert(parameter.clone(), value);
        Ok(Value::Object(object))
    }

    fn not_an_object(&self, value: &Value) -> ArgumentErrors {
        let message = match &self.signature {
            Some(signature) => format!(
                "expected a JSON object of arguments like {signature}, got {}",
                preview(value)
            ),
            None => format!("expected a JSON object of arguments, got {}", preview(value)),
        };
        self.fail(ArgError::new(JsonPath::root(), "not_an_object", message))
    }

    fn fail(&self, error: ArgError) -> ArgumentErrors {
        ArgumentErrors::single(error).with_expected(self.signature.clone())
    }
}

/// Below this many errors, finding a path among those kept is a scan: cheaper than hashing.
const SCANNED_ERRORS: usize = 16;

/// `more` added to `errors`, one error per place: the first said about a path is the one a model
/// can act on.
fn add_once_per_path(errors: &mut Vec<ArgError>, more: Vec<ArgError>) {
    if errors.len() + more.len() <= SCANNED_ERRORS {
        for error in more {
            if !errors.iter().any(|kept| kept.path == error.path) {
                errors.push(error);
            }
        }
        return;
    }
    let keep: Vec<bool> = {
        let mut known: ahash::AHashSet<&JsonPath> = errors.iter().map(|error| &error.path).collect();
        more.iter().map(|error| known.insert(&error.path)).collect()
    };
    errors.extend(
        more.into_iter()
            .zip(keep)
            .filter_map(|(error, new)| new.then_some(error)),
    );
}

/// Rounds of merging repeated items: each removes at least one item, and a round follows only
/// one that merged; a set nested n deep may need n rounds, and tools nest them far less deep.
const MAX_MERGE_ROUNDS: usize = 16;

fn refused_repair(repair: &Repair) -> ArgError {
    let reason = match repair.kind {
        RepairKind::TruncatedString => "the text was cut off inside a string, so the value may be incomplete",
        RepairKind::TruncatedNumber => "the text was cut off right after a number, which may be incomplete",
        RepairKind::MissingValue => "a key was sent without a value",
        RepairKind::Ellipsis => "'...' stands for items that were left out",
        RepairKind::ConcatenatedDocuments => "the text holds more than one JSON document",
        RepairKind::ValuesAfterDocument => {
            "members or items are written after the document's closing bracket, outside it"
        }
        RepairKind::ExpressionAfterNumber => {
            "a number is followed by more of an expression, so it was read only in part"
        }
        RepairKind::NonFiniteNumber => "NaN and Infinity are not numbers JSON can carry, and null is not what was sent",
        _ => "the repair could change what was meant",
    };
    ArgError::new(
        repair.path.clone(),
        "unsafe_repair",
        format!("{reason}; refusing to guess. Send the complete arguments as one JSON object"),
    )
}

/// In a turn the model ended on its own, a text ending in a whole number was not cut inside it:
/// the reader's record that it may have been is dropped.
fn keep_whole_final_number(repairs: &mut Vec<Repair>, text: &str, ending: Ending) {
    if ending == Ending::Complete && ending::ends_with_whole_number(text) {
        repairs.retain(|repair| repair.kind != RepairKind::TruncatedNumber);
    }
}

/// Malformed numbers named in one refusal: a model fixes a few at a time.
const MAX_NUMBER_ERRORS: usize = 16;

fn malformed_number_error(text: &str, number: &MalformedNumber) -> ArgError {
    let written = number.written(text);
    let shown = match written.char_indices().nth(40) {
        Some((cut, _)) => format!("{}\u{2026}", &written[..cut]),
        None => written.to_owned(),
    };
    let what = match number.malformation(text) {
        Malformation::Incomplete => "is not a complete number",
        Malformation::Expression => "is an expression, not a number",
        Malformation::NotANumber => "is not a number",
    };
    ArgError::new(
        number.path.clone(),
        "unsafe_repair",
        format!("'{shown}' {what}; refusing to guess. Send the number as JSON writes it, like 12, -0.5 or 1e-3"),
    )
}

fn cut_off_error(closed: &Repair) -> ArgError {
    ArgError::new(
        closed.path.clone(),
        "truncated",
        "the provider says the output was cut off at its token limit, and the arguments stop before \
         they end: what came after is lost. Send the complete arguments"
            .to_owned(),
    )
}

fn lone_surrogate_error((offset, escape): (usize, &str)) -> ArgError {
    ArgError::new(
        JsonPath::root(),
        "invalid_json",
        format!(
            "the escape {escape} at byte {offset} is half of a UTF-16 surrogate pair sent without its \
             other half, which is not a character; send the character itself, or both halves"
        ),
    )
}

fn oversized_integer_error(value: &Value, literal: &str) -> ArgError {
    let shown: String = literal.chars().take(40).collect();
    ArgError::new(
        locate_number(value, literal),
        "integer_too_large",
        format!("the integer {shown} does not fit in 64 bits and would lose precision; send it as a string"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn road(schema: Value) -> ArgumentRoad {
        ArgumentRoad::compile(&schema, RoadOptions::default()).unwrap()
    }

    fn claim_road() -> ArgumentRoad {
        road(json!({
            "type": "object",
            "properties": {"claim_id": {"type": "string"}, "amount": {"type": "number"}},
            "required": ["claim_id", "amount"],
            "additionalProperties": false
        }))
    }

    #[test]
    fn fast_path_changes_nothing() {
        let parsed = claim_road()
            .parse_text(r#"{"claim_id": "C1", "amount": 12.5}"#, Mode::Lenient)
            .unwrap();
        assert_eq!(parsed.value, json!({"claim_id": "C1", "amount": 12.5}));
        assert!(parsed.repairs.is_empty());
    }

    #[test]
    fn the_mission_example() {
        let parsed = claim_road()
            .parse_text(r#"{"claimId": "C1", "amount": "1000"}"#, Mode::Lenient)
            .unwrap();
        assert_eq!(parsed.value, json!({"claim_id": "C1", "amount": 1000}));
        let kinds: Vec<&str> = parsed.repairs.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(kinds, vec!["renamed_key", "string_to_number"]);

        let refused = claim_road()
            .parse_text(r#"{"claimId": "C1", "amount": "1000"}"#, Mode::Strict)
            .unwrap_err();
        let lines: Vec<String> = refused.errors.iter().map(ArgError::line).collect();
        assert!(
            lines.contains(&"claim_id: required, but missing".to_owned()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"amount: expected number, got string \"1000\"".to_owned()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"claimId: not an accepted argument here".to_owned()),
            "{lines:?}"
        );
        let text = refused.for_model(Some("file_claim"));
        assert!(
            text.contains("Expected arguments: {\"claim_id\": string, \"amount\": number}"),
            "{text}"
        );
    }

    #[test]
    fn empty_and_null_mean_no_arguments() {
        let road = road(json!({"type": "object", "properties": {"verbose": {"type": "boolean"}}}));
        for text in ["", "  ", "null", "{}"] {
            for mode in [Mode::Lenient, Mode::Strict] {
                assert!(road.parse_text(text, mode).unwrap().arguments().is_empty(), "{text:?}");
            }
        }
        let error = claim_road().parse_text("", Mode::Lenient).unwrap_err();
        assert_eq!(error.errors.len(), 2);
    }

    #[test]
    fn a_lone_value_goes_to_the_only_parameter() {
        let road = road(json!({
            "type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]
        }));
        let parsed = road.parse_text(r#""weather in Paris""#, Mode::Lenient).unwrap();
        assert_eq!(parsed.value, json!({"query": "weather in Paris"}));
        assert_eq!(parsed.repairs[0].kind, RepairKind::WrappedArgument);
        assert_eq!(
            road.parse_text("[1]", Mode::Strict).unwrap_err().errors[0].kind,
            "not_an_object"
        );
        let two = claim_road().parse_text("[1, 2]", Mode::Lenient).unwrap_err();
        assert_eq!(two.errors[0].kind, "not_an_object");
        assert!(two.errors[0]
            .message
            .contains("{\"claim_id\": string, \"amount\": number}"));
    }

    #[test]
    fn double_encoded_arguments() {
        let parsed = claim_road()
            .parse_text(r#""{\"claim_id\": \"C1\", \"amount\": 3}""#, Mode::Lenient)
            .unwrap();
        assert_eq!(parsed.value, json!({"claim_id": "C1", "amount": 3}));
    }

    #[test]
    fn open_schemas_still_match_keys() {
        let road = road(json!({"type": "object", "properties": {"claim_id": {"type": "string"}}}));
        let parsed = road.parse_text(r#"{"claimId": "C1"}"#, Mode::Lenient).unwrap();
        assert_eq!(parsed.value, json!({"claim_id": "C1"}));
        let parsed = road.parse_text(r#"{"claimId": "C1"}"#, Mode::Strict).unwrap();
        assert_eq!(parsed.value, json!({"claimId": "C1"}));
    }

    #[test]
    fn limits_are_errors() {
        let road = ArgumentRoad::compile(
            &json!({"type": "object"}),
            RoadOptions {
                limits: Limits {
                    max_bytes: 64,
                    max_depth: 3,
                    max_string_length: 8,
                },
                ..RoadOptions::default()
            },
        )
        .unwrap();
        let kind = |text: &str| {
            road.parse_text(text, Mode::Lenient).unwrap_err().errors[0]
                .kind
                .to_string()
        };
        assert_eq!(kind(&format!("{{\"a\": \"{}\"}}", "x".repeat(80))), "too_large");
        assert_eq!(kind(r#"{"a": [[[1]]]}"#), "too_deep");
        assert_eq!(kind(r#"{"a": "123456789"}"#), "string_too_long");
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            ArgumentRoad::compile(&json!({"type": "object"}), RoadOptions::default())
                .unwrap()
                .parse_text(&deep, Mode::Lenient)
                .unwrap_err()
                .errors[0]
                .kind,
            "invalid_json"
        );
    }

    #[test]
    fn refuses_integers_that_would_lose_precision() {
        let road = road(json!({"type": "object", "properties": {"n": {"type": "integer"}, "x": {"type": "number"}}}));
        for mode in [Mode::Lenient, Mode::Strict] {
            for text in [
                r#"{"n": 123456789012345678901234567890}"#,
                r#"{"x": 123456789012345678901234567890}"#,
            ] {
                let error = road.parse_text(text, mode).unwrap_err();
                assert_eq!(error.errors[0].kind, "integer_too_large", "{text}");
            }
        }
        assert_eq!(
            road.parse_text(r#"{"n": 123456789012345678901234567890}"#, Mode::Strict)
                .unwrap_err()
                .errors[0]
                .path
                .to_string(),
            "n"
        );
    }

    fn number_road() -> ArgumentRoad {
        road(json!({"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "array"}}}))
    }

    fn refusal(road: &ArgumentRoad, text: &str) -> ArgError {
        let mut errors = road.parse_text(text, Mode::Lenient).unwrap_err().errors;
        assert_eq!(errors.len(), 1, "{text:?}: {errors:?}");
        errors.remove(0)
    }

    #[test]
    fn a_number_cut_off_by_the_end_of_the_text_is_refused_at_its_path() {
        for (text, path) in [
            (r#"{"a": 1e"#, "a"),
            (r#"{"a": 12."#, "a"),
            (r#"{"a": -"#, "a"),
            (r#"{"a": 1.5e-"#, "a"),
            (r#"{"b": [1, 2"#, "b[1]"),
        ] {
            let error = refusal(&number_road(), text);
            assert_eq!(
                (error.path.to_string(), &*error.kind),
                (path.to_owned(), "unsafe_repair"),
                "{text:?}"
            );
            assert!(
                error.message.starts_with("the text was cut off right after a number"),
                "{text:?}: {}",
                error.message
            );
        }
    }

    #[test]
    fn a_malformed_number_is_refused_at_its_path_with_what_is_wrong_with_it() {
        for (text, path, reason) in [
            (r#"{"a": 1e}"#, "a", "'1e' is not a complete number"),
            (r#"{"a": 1.5E}"#, "a", "'1.5E' is not a complete number"),
            (r#"{"a": -}"#, "a", "'-' is not a complete number"),
            (r#"{"a": 1+1}"#, "a", "'1+1' is an expression, not a number"),
            (r#"{"a": 1 + 1}"#, "a", "'1 + 1' is an expression, not a number"),
            (r#"{"a": 1e5e}"#, "a", "'1e5e' is not a number"),
            ("{'a': 1e}", "a", "'1e' is not a complete number"),
            (
                r#"{"b": [{"a": 2 * 3}]}"#,
                "b[0].a",
                "'2 * 3' is an expression, not a number",
            ),
        ] {
            let error = refusal(&number_road(), text);
            assert_eq!(
                (error.path.to_string(), &*error.kind),
                (path.to_owned(), "unsafe_repair"),
                "{text:?}"
            );
            assert!(error.message.starts_with(reason), "{text:?}: {}", error.message);
        }
    }

    #[test]
    fn a_number_read_in_part_is_never_taken() {
        let road = road(json!({"type": "object", "properties": {"a": {}, "b": {}, "s": {}}}));
        // Each read by json_repair as some other number, or with the number dropped.
        for (text, path, reason) in [
            ("```json\n{\"a\": 1e}\n```", "a", "'1e' is not a complete number"),
            ("{\"a\": 1e} ", "a", "'1e' is not a complete number"),
            (r#"{"a": 1+1, "s": "x"}"#, "a", "'1+1' is an expression, not a number"),
            (r#"{"a": 1 - }"#, "a", "'1 -' is not a number"),
            (r#"{"a": 1-}"#, "a", "'1-' is not a number"),
            (r#"{"b": [2 - 1]}"#, "b[0]", "'2 - 1' is an expression, not a number"),
            (r#"{"b": [1e]}"#, "b[0]", "'1e' is not a complete number"),
            (r#"{"s": 1e-}"#, "s", "'1e-' is not a complete number"),
            (r#"{"b": [1, -]}"#, "b[1]", "'-' is not a complete number"),
            ("{'b': [-]}", "b[0]", "'-' is not a complete number"),
        ] {
            let error = refusal(&road, text);
            assert_eq!(
                (error.path.to_string(), &*error.kind),
                (path.to_owned(), "unsafe_repair"),
                "{text:?}"
            );
            assert!(error.message.starts_with(reason), "{text:?}: {}", error.message);
        }
        // Read whole, as the string written, or as the number meant: taken as before.
        for (text, value) in [
            (r#"{"s": 2024-01-15}"#, json!({"s": "2024-01-15"})),
            (r#"{"s": 1.2.3}"#, json!({"s": "1.2.3"})),
            (r#"{"s": 1e, "a": 01}"#, json!({"s": "1e", "a": 1})),
            (r#"{"a": 1., "b": [-1.,]}"#, json!({"a": 1.0, "b": [-1.0]})),
        ] {
            assert_eq!(road.parse_text(text, Mode::Lenient).unwrap().value, value, "{text:?}");
        }
        let lenient = ArgumentRoad::compile(
            &json!({"type": "object"}),
            RoadOptions {
                allow_meaning_changes: true,
                ..RoadOptions::default()
            },
        )
        .unwrap();
        assert_eq!(
            lenient.parse_text(r#"{"a": 1e}"#, Mode::Lenient).unwrap().value,
            json!({"a": 1})
        );
    }

    #[test]
    fn a_number_read_whole_is_not_blamed_for_a_refusal() {
        let road = road(json!({"type": "object", "properties": {"a": {}, "s": {"type": "string"}}}));
        // `01` reads as 1, `1.2.3` and `1e5e` (before a comma) as strings: the string cut off is
        // what is refused.
        for text in [
            r#"{"a": 01, "s": "/etc/pa"#,
            r#"{"a": 1.2.3, "s": "/etc/pa"#,
            r#"{"a": 1e5e, "s": "/etc/pa"#,
        ] {
            let error = refusal(&road, text);
            assert_eq!(error.path.to_string(), "s", "{text:?}: {}", error.message);
            assert!(error.message.contains("inside a string"), "{text:?}: {}", error.message);
        }
    }

    #[test]
    fn a_malformed_number_and_a_refusal_of_its_own_are_both_said() {
        let road = road(json!({"type": "object", "properties": {"b": {}, "s": {"type": "string"}}}));
        let errors = road
            .parse_text(r#"{"b": [{"a": 1e}], "s": "/etc/pa"#, Mode::Lenient)
            .unwrap_err()
            .errors;
        let said: Vec<(String, bool)> = errors
            .iter()
            .map(|error| {
                (
                    error.path.to_string(),
                    error.message.starts_with("'1e' is not a complete number"),
                )
            })
            .collect();
        assert_eq!(said, [("b[0].a".to_owned(), true), ("s".to_owned(), false)]);
        assert!(
            errors[1].message.contains("cut off inside a string"),
            "{}",
            errors[1].message
        );
    }

    fn trailing_road() -> ArgumentRoad {
        road(json!({"type": "object", "properties": {"a": {"type": "number"}, "s": {"type": "string"}}}))
    }

    #[test]
    fn members_after_the_closing_brace_are_never_dropped_in_silence() {
        let road = trailing_road();
        for ending in [Ending::Unknown, Ending::Complete, Ending::CutOff] {
            for (text, path, reason) in [
                ("{\"a\": 0}, \"s\": \"/etc/pa", "s", "cut off inside a string"),
                ("{'a': 0}, 's': '/etc/pa", "s", "cut off inside a string"),
                (
                    "```json\n{\"a\": 0}, \"s\": \"/etc/pa\n```",
                    "s",
                    "cut off inside a string",
                ),
                ("{\"a\": 0}, \"s\":", "s", "without a value"),
                (
                    "{\"a\": 0}, s: \"x\"",
                    "",
                    "written after the document's closing bracket",
                ),
                (
                    "{\"a\": 0} \"s\": \"x\"",
                    "",
                    "written after the document's closing bracket",
                ),
                (
                    "{\"a\": 0}}, \"s\": \"x\"",
                    "",
                    "written after the document's closing bracket",
                ),
            ] {
                let errors = road.parse_text_ending(text, Mode::Lenient, ending).unwrap_err().errors;
                assert_eq!(errors[0].path.to_string(), path, "{ending:?} {text:?}: {errors:?}");
                assert!(errors[0].message.contains(reason), "{ending:?} {text:?}: {errors:?}");
            }
        }
    }

    #[test]
    fn members_after_the_closing_brace_of_a_complete_text_are_read_into_the_object() {
        let road = trailing_road();
        for text in [
            "{\"a\": 0}, \"s\": \"x\"}",
            "{\"a\": 0}, \"s\": \"x\"",
            "{\"a\": 0},\n\"s\": \"x\"",
            "{'a': 0}, 's': 'x'",
        ] {
            let parsed = road
                .parse_text_ending(text, Mode::Lenient, Ending::Complete)
                .unwrap_or_else(|errors| panic!("{text:?}: {errors:?}"));
            assert_eq!(parsed.value, json!({"a": 0, "s": "x"}), "{text:?}");
            assert!(
                parsed
                    .repairs
                    .iter()
                    .any(|repair| repair.kind == RepairKind::MismatchedBracket),
                "{text:?}: {:?}",
                parsed.repairs
            );
        }
        // Cut at the token limit, more members may have followed the last one.
        let error = refusal_ending(&road, "{\"a\": 0}, \"s\": \"x\"", Ending::CutOff);
        assert_eq!(error.kind, "truncated");
    }

    #[test]
    fn members_after_the_closing_brace_that_needed_mending_or_repeat_a_key_are_refused() {
        // The checks for cut strings, numbers read in part and keys given twice read the
        // document to its first close: what follows it is taken only as written.
        let road = road(json!({"type": "object"}));
        for text in [
            "{\"a\": 0}, \"s\": \"New York, ",
            "{\"a\": 0}, \"s\": \"a,",
            "{\"a\": 0}, \"b\": {\"c\": \"a,",
            "{\"a\": 0}, \"b\": 1+1, \"s\": \"x\"",
            "{\"a\": 0}, \"b\": [2 - 1]}",
            "{\"a\": 0}, \"b\": 1-}",
            "{\"a\": 0}, \"b\": [1e]}",
            "{\"a\": 0}, \"b\": [1, -]}",
            "{\"a\": 0}, \"b\": 1e }",
            "{\"a\": 0}, \"b\": 1 - 1, \"s\": \"x\"}",
            "```json\n{\"a\": 0}, \"b\": 1e}\n```",
            "{\"a\": 0}, \"a\": \"x\"",
            "{\"a\": 0}, \"a\": 5}",
            "{\"a\": {\"b\": 1}}, \"a\": {\"c\": 2}}",
            "{\"a\": 0}, \"b\": {\"c\"",
        ] {
            for ending in [Ending::Unknown, Ending::Complete] {
                let outcome = road.parse_text_ending(text, Mode::Lenient, ending);
                assert!(
                    outcome.is_err(),
                    "{text:?} ({ending:?}) was taken as {:?}",
                    outcome.map(|parsed| parsed.value)
                );
            }
        }
        // Written as is, they are still read in.
        for text in ["{'a': 0}, 's': 'x'", "{\"a\": 0}, \"s\": true}"] {
            let parsed = road.parse_text_ending(text, Mode::Lenient, Ending::Complete).unwrap();
            assert_eq!(parsed.value.as_object().map(|object| object.len()), Some(2), "{text:?}");
        }
    }

    #[test]
    fn a_comma_after_the_closing_brace_at_the_end_of_the_text_is_recorded_and_refused_when_cut_off() {
        let road = trailing_road();
        for text in ["{\"a\": 0},", "{\"a\": 0}, \n"] {
            let parsed = road.parse_text_ending(text, Mode::Lenient, Ending::Complete).unwrap();
            assert_eq!(parsed.value, json!({"a": 0}));
            assert!(
                parsed.repairs.iter().any(|repair| repair.kind == RepairKind::Truncated),
                "{text:?}"
            );
            assert_eq!(
                refusal_ending(&road, text, Ending::CutOff).kind,
                "truncated",
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_number_followed_by_more_of_an_expression_is_never_taken_in_part() {
        let road = road(json!({"type": "object"}));
        for text in [
            "{\"a\": 1 - y, \"s\": \"q\"}",
            "{\"L\": [1, 1 + x, 2]}",
            "{\"a\": 100 - 5%, \"b\": 2}",
            "{\"a\": 2 * n, \"b\": 2}",
        ] {
            let errors = road.parse_text(text, Mode::Lenient).unwrap_err().errors;
            assert!(errors[0].message.contains("read only in part"), "{text:?}: {errors:?}");
        }
        // Stray text that does not go on with the number leaves it whole.
        let parsed = road.parse_text("{\"a\": 1 @@ \"b\": 2}", Mode::Lenient).unwrap();
        assert_eq!(parsed.value, json!({"a": 1, "b": 2}));
    }

    #[test]
    fn a_key_after_the_closing_brace_is_not_dropped() {
        for ending in [Ending::Unknown, Ending::Complete] {
            let errors = trailing_road()
                .parse_text_ending("{\"a\": 0}, \"s\"", Mode::Lenient, ending)
                .unwrap_err()
                .errors;
            assert!(
                errors[0].message.contains("after the document's closing bracket"),
                "{errors:?}"
            );
        }
    }

    #[test]
    fn prose_and_documents_after_the_arguments_are_judged_as_before() {
        let road = trailing_road();
        let parsed = road.parse_text("{\"a\": 0} and also s=x", Mode::Lenient).unwrap();
        assert_eq!(parsed.value, json!({"a": 0}));
        assert_eq!(parsed.repairs[0].kind, RepairKind::SurroundingText);
        for text in [
            "{\"a\": 0}. Note: s is left out",
            "```json\n{\"a\": 0}\n```\nDone, s=x",
            "{\"a\": 0},",
        ] {
            assert_eq!(
                road.parse_text(text, Mode::Lenient).unwrap().value,
                json!({"a": 0}),
                "{text:?}"
            );
        }
        let error = refusal(&road, "{\"a\": 0}\n{\"s\": \"x\"}");
        assert!(
            error.message.contains("more than one JSON document"),
            "{}",
            error.message
        );
    }

    #[test]
    fn items_after_the_closing_bracket_of_a_list_are_never_dropped_in_silence() {
        let road = ArgumentRoad::compile(
            &json!({}),
            RoadOptions {
                root: Root::AnyValue,
                ..RoadOptions::default()
            },
        )
        .unwrap();
        for text in ["[1, 2], 3", "[1, 2], \"x", "[1, 2], 3]"] {
            let error = refusal(&road, text);
            assert!(
                error.message.contains("after the document's closing bracket"),
                "{text:?}: {}",
                error.message
            );
        }
    }

    fn refusal_ending(road: &ArgumentRoad, text: &str, ending: Ending) -> ArgError {
        let mut errors = road.parse_text_ending(text, Mode::Lenient, ending).unwrap_err().errors;
        assert_eq!(errors.len(), 1, "{text:?}: {errors:?}");
        errors.remove(0)
    }

    #[test]
    fn strict_mode_refuses_an_integral_float_for_an_integer() {
        let road = road(json!({"type": "object", "properties": {"n": {"type": "integer"}}}));
        let error = road.parse_text(r#"{"n": 5.0}"#, Mode::Strict).unwrap_err();
        assert_eq!(error.errors[0].kind, "type");
        assert_eq!(error.errors[0].path.to_string(), "n");
        let parsed = road.parse_text(r#"{"n": 5.0}"#, Mode::Lenient).unwrap();
        assert_eq!(parsed.value["n"], json!(5));
        assert_eq!(parsed.repairs[0].kind, RepairKind::FloatToInteger);
    }

    #[test]
    fn one_road_serves_eight_threads_at_once() {
        let road = std::sync::Arc::new(claim_road());
        let texts: Vec<String> = (0..500)
            .map(|i| match i % 4 {
                0 => format!(r#"{{"claim_id": "C{i}", "amount": {i}}}"#),
                1 => format!(r#"{{"claimId": "C{i}", "amount": "{i}"}}"#),
                2 => format!("```json\n{{'claim_id': 'C{i}', 'amount': {i}.5,}}\n```"),
                _ => format!(r#"{{"claim_id": "C{i}", "amount": "lots"}}"#),
            })
            .collect();
        let alone: Vec<_> = texts.iter().map(|t| road.parse_text(t, Mode::Lenient)).collect();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
        let workers: Vec<_> = (0..8)
            .map(|offset| {
                let (road, texts, barrier) = (road.clone(), texts.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    (0..texts.len())
                        .map(|i| (offset + i) % texts.len())
                        .map(|n| (n, road.parse_text(&texts[n], Mode::Lenient)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            for (n, result) in worker.join().expect("a parsing thread panicked") {
                assert_eq!(result, alone[n], "{}", texts[n]);
            }
        }
    }

    #[test]
    fn a_recursive_schema_is_one_cycle_both_plans_follow() {
        let thread = road(json!({
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "count": {"type": "integer"},
                "replies": {"type": "array", "items": {"$ref": "#"}}
            },
            "required": ["text"],
            "additionalProperties": false
        }));
        let valid = r#"{"text": "a", "replies": [{"text": "b", "replies": [{"text": "c", "count": 2}]}]}"#;
        let fast = thread.fast_plan().unwrap();
        assert_eq!(
            fast.run(valid, &Limits::default(), &mut crate::args::fast_path::ValueBuilder),
            Some(serde_json::from_str(valid).unwrap())
        );
        // The coercion plan reaches through the cycle too: a count sent as text, two replies down.
        let parsed = thread
            .parse_text(
                r#"{"text": "a", "replies": [{"text": "b", "replies": [{"text": "c", "count": "2"}]}]}"#,
                Mode::Lenient,
            )
            .unwrap();
        assert_eq!(parsed.value, serde_json::from_str::<Value>(valid).unwrap());
        assert_eq!(parsed.repairs.len(), 1);
    }

    #[test]
    fn refuses_non_object_schemas_and_bad_aliases() {
        assert!(ArgumentRoad::compile(&json!({"type": "string"}), RoadOptions::default()).is_err());
        let options = RoadOptions {
            aliases: vec![("q".into(), "query".into())],
            ..RoadOptions::default()
        };
        assert!(ArgumentRoad::compile(&json!({"type": "object", "properties": {"text": {}}}), options).is_err());
    }
}
