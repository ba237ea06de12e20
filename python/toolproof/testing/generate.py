"""Arguments made from a tool's schema: valid instances, to run the tool with and to make model
mistakes from.

A small generator of its own (no Hypothesis needed): it follows the keywords tool schemas use
(types, enums, bounds, lengths, items, required and optional properties, ``$ref``, ``anyOf``),
and keeps only what the schema's validator accepts, so a keyword it does not understand (a
``pattern``, say) costs examples, never a wrong one.
"""

from __future__ import annotations

import random
import string
from typing import Any

from toolproof._core import Schema

__all__ = ["example_arguments"]

_WORDS = ("alpha", "Paris", "report 7", "blue", "Zürich", "invoice", "north", "42 Main St", "delta", "ok")
_FORMATS = {
    "date-time": "2025-03-14T09:26:53Z",
    "date": "2025-03-14",
    "time": "09:26:53",
    "email": "ada@example.com",
    "uri": "https://example.com/a",
    "uuid": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "ipv4": "192.0.2.1",
    "hostname": "example.com",
    "duration": "P1DT2H",
}
_MAX_DEPTH = 6


class _Generator:
    def __init__(self, root: dict[str, Any], rng: random.Random, full: bool) -> None:
        self.root = root
        self.rng = rng
        self.full = full  # every optional property too, or only the required ones

    def resolve(self, schema: Any) -> Any:
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 20:
            reference = schema["$ref"]
            if not isinstance(reference, str) or not reference.startswith("#"):
                return {}
            target: Any = self.root
            for part in reference[1:].split("/")[1:]:
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part, {}) if isinstance(target, dict) else {}
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **siblings} if isinstance(target, dict) else target
            seen += 1
        return schema

    def value(self, schema: Any, depth: int = 0) -> Any:
        schema = self.resolve(schema)
        if schema is True or schema == {} or not isinstance(schema, dict):
            return self.rng.choice(_WORDS)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self.rng.choice(schema["enum"])
        for combinator in ("anyOf", "oneOf"):
            branches = schema.get(combinator)
            if isinstance(branches, list) and branches:
                # Prefer a non-null branch, so an Optional parameter gets a real value.
                real = [b for b in branches if self.resolve(b) != {"type": "null"}]
                return self.value(self.rng.choice(real or branches), depth)
        if isinstance(schema.get("allOf"), list) and schema["allOf"]:
            merged: dict[str, Any] = {}
            for member in schema["allOf"]:
                member = self.resolve(member)
                if isinstance(member, dict):
                    merged.update(member)
            return self.value({**merged, **{k: v for k, v in schema.items() if k != "allOf"}}, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"] or kind
            kind = self.rng.choice(kinds)
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
        return getattr(self, f"_{kind}", self._string)(schema, depth)

    def _string(self, schema: dict[str, Any], depth: int) -> str:
        text = _FORMATS.get(schema.get("format", ""), self.rng.choice(_WORDS))
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        if len(text) < low:
            text += "".join(self.rng.choice(string.ascii_lowercase) for _ in range(low - len(text)))
        if isinstance(high, int) and len(text) > high:
            text = text[:high]
        return text

    def _number(self, schema: dict[str, Any], depth: int) -> float:
        low, high = self._bounds(schema, 0.0, 1000.0)
        return round(self.rng.uniform(low, high), 2)

    def _integer(self, schema: dict[str, Any], depth: int) -> int:
        low, high = self._bounds(schema, 0, 100)
        low, high = int(-(-low // 1)), int(high // 1)
        value = self.rng.randint(low, max(low, high))
        step = schema.get("multipleOf")
        if isinstance(step, int) and step > 0:
            value = (value // step) * step
        return value

    def _bounds(self, schema: dict[str, Any], low: float, high: float) -> tuple[float, float]:
        minimum = schema.get("minimum", schema.get("exclusiveMinimum"))
        maximum = schema.get("maximum", schema.get("exclusiveMaximum"))
        if isinstance(minimum, (int, float)):
            low = minimum + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
            high = max(high, low + 10)
        if isinstance(maximum, (int, float)):
            high = maximum - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0)
            low = min(low, high)
        return low, high

    def _boolean(self, schema: dict[str, Any], depth: int) -> bool:
        return self.rng.random() < 0.5

    def _null(self, schema: dict[str, Any], depth: int) -> None:
        return None

    def _array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        if depth >= _MAX_DEPTH:
            return []
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list):
            return [self.value(item, depth + 1) for item in prefix]
        low = schema.get("minItems", 1 if self.full else 0)
        high = schema.get("maxItems", max(low, 3))
        count = self.rng.randint(low, max(low, min(high, low + 3)))
        items = schema.get("items", {})
        values = [self.value(items, depth + 1) for _ in range(count)]
        if schema.get("uniqueItems"):
            unique: list[Any] = []
            for value in values:
                if value not in unique:
                    unique.append(value)
            values = unique
        return values

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        if depth >= _MAX_DEPTH:
            return {}
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        result = {}
        for name, subschema in properties.items():
            if name in required or (self.full and self.rng.random() < 0.8):
                result[name] = self.value(subschema, depth + 1)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not properties:
            for key in self.rng.sample(_WORDS, 2):
                result[key] = self.value(extra, depth + 1)
        return result


def example_arguments(schema: dict[str, Any], *, count: int = 6, seed: int = 0) -> list[dict[str, Any]]:
    """Up to ``count`` distinct argument objects the schema accepts, the first with the required
    parameters only, the others with optional ones too (deterministic for a given ``seed``)."""
    validator = Schema(schema)
    rng = random.Random(seed)
    found: list[dict[str, Any]] = []
    for attempt in range(count * 4):
        arguments = _Generator(schema, rng, full=attempt > 0).value(schema)
        if isinstance(arguments, dict) and arguments not in found and validator.is_valid(arguments):
            found.append(arguments)
            if len(found) == count:
                break
    return found
