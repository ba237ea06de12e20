"""Checks made when a tool is defined, so that what would fail in production fails here, with a
message that says what to change."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from toolproof._signature import Signature
from toolproof.errors import ToolDefinitionError

# What OpenAI and Anthropic accept; Gemini's stricter rule is checked when exporting for Gemini.
_PORTABLE_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def suggest_name(name: str) -> str:
    cleaned = re.sub(r"[^a-zA-Z0-9_-]+", "_", name).strip("_") or "tool"
    return cleaned[:64]


def check_name(name: Any) -> str:
    if not isinstance(name, str):
        raise ToolDefinitionError(f"a tool name must be a string, not {type(name).__name__}")
    if not _PORTABLE_NAME.match(name):
        reason = (
            "is empty"
            if not name
            else (
                "is longer than 64 characters"
                if len(name) > 64
                else "has characters other than letters, digits, '_' and '-'"
            )
        )
        fix = f"name it '{suggest_name(name)}'"
        raise ToolDefinitionError(
            f"tool name {name!r} {reason}; providers accept ^[a-zA-Z0-9_-]{{1,64}}$; {fix}",
            [{"location": "name", "message": f"{name!r} {reason}", "fix": fix}],
        )
    return name


def _closest(name: str, candidates: Iterable[str]) -> str | None:
    def normal(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", text.lower())

    candidates = list(candidates)
    for candidate in candidates:
        if normal(candidate) == normal(name):
            return candidate
    return candidates[0] if len(candidates) == 1 else None


def schema_signature_problems(schema: dict[str, Any], signature: Signature) -> list[dict[str, str]]:
    """Where a parameter schema and the function it describes disagree."""
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    parameters = {p.name: p for p in signature.parameters}
    problems: list[dict[str, str]] = []
    missing_from_function = [name for name in properties if name not in parameters]
    missing_from_schema = [name for name, p in parameters.items() if p.required and name not in properties]
    if not signature.accepts_extra:
        for name in missing_from_function:
            guess = _closest(name, missing_from_schema)
            fix = (
                f"rename the schema field '{name}' to '{guess}' (or the parameter '{guess}' to '{name}')"
                if guess
                else f"add a parameter '{name}' to the function, or remove it from the schema"
            )
            problems.append(
                {
                    "location": f"properties.{name}",
                    "message": f"the schema field '{name}' is not a parameter of the function "
                    f"(parameters: {', '.join(parameters) or 'none'})",
                    "fix": fix,
                }
            )
    for name in missing_from_schema:
        guess = _closest(name, missing_from_function)
        problems.append(
            {
                "location": f"properties.{name}",
                "message": f"the function's required parameter '{name}' is not in the schema",
                "fix": f"rename the schema field '{guess}' to '{name}'"
                if guess
                else f"add '{name}' to the schema's properties",
            }
        )
    for name in sorted(required - set(properties)):
        problems.append(
            {
                "location": "required",
                "message": f"'{name}' is required but not among the properties",
                "fix": f"add '{name}' to properties or remove it from required",
            }
        )
    for name in sorted(required & set(properties)):
        param = parameters.get(name)
        if param is not None and not param.required:
            problems.append(
                {
                    "location": f"required.{name}",
                    "message": f"'{name}' is required by the schema but has a default in the function",
                    "fix": f"drop '{name}' from required, or its default from the function",
                }
            )
    return problems


def loose_problems(signature: Signature) -> list[dict[str, str]]:
    """Parameters that accept nearly anything: a model gets no guidance, a strict provider schema
    cannot describe them, and nothing checks what arrives."""
    problems = [
        {
            "location": f"parameters.{p.name}",
            "message": f"parameter '{p.name}' {p.loose}",
            "fix": "give it a specific type: a TypedDict, a pydantic model or dict[str, <type>]",
        }
        for p in signature.parameters
        if p.loose
    ]
    if signature.accepts_extra:
        problems.append(
            {
                "location": "parameters.**kwargs",
                "message": "the function takes **kwargs, so any argument is accepted unchecked",
                "fix": "declare each accepted argument as a parameter",
            }
        )
    return problems


def schema_loose_problems(schema: dict[str, Any]) -> list[dict[str, str]]:
    """The same check for a hand-written schema: properties with no type at all."""
    problems = []
    for name, sub in (schema.get("properties") or {}).items():
        if (
            sub is True
            or sub == {}
            or (
                isinstance(sub, dict)
                and not any(
                    k in sub
                    for k in (
                        "type",
                        "enum",
                        "const",
                        "$ref",
                        "anyOf",
                        "oneOf",
                        "allOf",
                        "properties",
                        "items",
                    )
                )
            )
        ):
            problems.append(
                {
                    "location": f"properties.{name}",
                    "message": f"property '{name}' has no type",
                    "fix": "give it a type",
                }
            )
    if schema.get("additionalProperties") not in (False, None) and schema.get("properties"):
        problems.append(
            {
                "location": "additionalProperties",
                "message": "the schema accepts undeclared arguments",
                "fix": 'set "additionalProperties": false',
            }
        )
    return problems


def raise_problems(tool_name: str, problems: list[dict[str, str]], what: str) -> None:
    if not problems:
        return
    lines = "; ".join(f"{p['message']} (fix: {p['fix']})" for p in problems)
    raise ToolDefinitionError(f"tool '{tool_name}': {what}: {lines}", problems)
