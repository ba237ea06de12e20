"""A callable's parameters, read into a canonical JSON Schema (draft 2020-12).

Types come from the annotations (``Annotated[T, "description"]`` and ``Annotated[T, Field(...)]``
included) through pydantic's own JSON-schema generation; descriptions come from the docstring
(Google, NumPy or Sphinx style) when the annotation gives none.
"""

from __future__ import annotations

import copy
import inspect
import sys
import typing
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from types import FrameType, UnionType
from typing import Annotated, Any, get_args, get_origin

import docstring_parser
import pydantic
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema

from toolproof.errors import ToolDefinitionError

EMPTY = inspect.Parameter.empty

_UNION_ORIGINS: tuple[Any, ...] = (typing.Union, UnionType)


@dataclass(frozen=True)
class Parameter:
    """One parameter of a tool's function, as the schema and the call see it."""

    name: str
    annotation: Any
    default: Any
    kind: inspect._ParameterKind
    description: str | None = None
    aliases: tuple[str, ...] = ()
    loose: str | None = None
    """Why the parameter accepts nearly anything (no annotation, ``Any``, a free-form dict), if it does."""

    @property
    def required(self) -> bool:
        return self.default is EMPTY


@dataclass(frozen=True)
class Signature:
    parameters: tuple[Parameter, ...]
    accepts_extra: bool
    """The function takes ``**kwargs``: undeclared arguments are passed through."""
    description: str
    injected: tuple[str, ...] = field(default=())
    """Parameters filled by toolproof at call time (the call context), never by the model."""


class _NoTitles(GenerateJsonSchema):
    """Field titles pydantic derives from names ("Claim Id") are noise in a tool schema."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def is_injected(annotation: Any) -> bool:
    base = strip_annotated(annotation)
    return getattr(base, "__toolproof_injected__", False) is True


def strip_annotated(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def loose_reason(annotation: Any) -> str | None:
    """Why a type accepts nearly anything, or None when it is specific."""
    if annotation is EMPTY:
        return "has no type annotation"
    base = strip_annotated(annotation)
    if base is Any or base is object:
        return "is typed Any"
    origin = get_origin(base)
    if base in (dict, Mapping, MutableMapping) or origin in (dict, Mapping, MutableMapping):
        arguments = get_args(base)
        if not arguments or arguments[-1] is Any or arguments[-1] is object:
            return "is a free-form dict"
        return None
    if origin in _UNION_ORIGINS:
        for member in get_args(base):
            reason = loose_reason(member)
            if reason is not None:
                return reason
    return None


def _docstring_descriptions(fn: Callable[..., Any]) -> tuple[str, dict[str, str]]:
    text = inspect.getdoc(fn) or ""
    if not text:
        return "", {}
    parsed = docstring_parser.parse(text)
    parts = [part for part in (parsed.short_description, parsed.long_description) if part]
    params = {param.arg_name: param.description for param in parsed.params if param.description}
    return "\n\n".join(parts).strip(), params


def _annotation_description(annotation: Any) -> str | None:
    """``Annotated[T, "the description"]``: the last plain string in the metadata."""
    if get_origin(annotation) is not Annotated:
        return None
    strings = [item for item in get_args(annotation)[1:] if isinstance(item, str)]
    return strings[-1] if strings else None


def _field_aliases(annotation: Any) -> tuple[Any, tuple[str, ...]]:
    """Move pydantic aliases out of the annotation: the schema names a parameter by its own name,
    and the road accepts the aliases as other spellings of it."""
    if get_origin(annotation) is not Annotated:
        return annotation, ()
    base, *metadata = get_args(annotation)
    aliases: list[str] = []
    cleaned: list[Any] = []
    for item in metadata:
        if isinstance(item, FieldInfo) and (item.alias or item.validation_alias):
            for alias in (item.alias, item.validation_alias):
                if isinstance(alias, str):
                    aliases.append(alias)
                elif isinstance(alias, pydantic.AliasChoices):
                    aliases.extend(choice for choice in alias.choices if isinstance(choice, str))
            item = copy.copy(item)
            item.alias = None
            item.validation_alias = None
            item.serialization_alias = None
            item.alias_priority = None
        cleaned.append(item)
    if not cleaned:
        return base, tuple(dict.fromkeys(aliases))
    # One tuple built first: mypy reads ``Annotated[(base, *cleaned)]`` as 3.11's starred subscript.
    arguments = (base, *cleaned)
    return Annotated[arguments], tuple(dict.fromkeys(aliases))  # type: ignore[return-value]


def _defining_namespace() -> dict[str, Any]:
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("toolproof"):
        frame = frame.f_back
    return dict(frame.f_locals) if frame is not None else {}


def read_signature(fn: Callable[..., Any], *, tool_name: str) -> Signature:
    """Read the parameters of ``fn``; refuse what could never receive arguments by name."""
    target = fn
    if not (inspect.isfunction(fn) or inspect.ismethod(fn)) and callable(fn) and not inspect.isclass(fn):
        target = fn.__call__  # type: ignore[operator]
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError) as error:
        raise ToolDefinitionError(
            f"tool '{tool_name}': cannot read the parameters of {fn!r}: {error}"
        ) from None
    try:
        hints = typing.get_type_hints(target, include_extras=True)
    except NameError:
        # Postponed annotations naming classes local to the defining function: resolve them in
        # the namespace of the code that is defining the tool, as pydantic does for its models.
        hints = None
    try:
        if hints is None:
            hints = typing.get_type_hints(target, localns=_defining_namespace(), include_extras=True)
    except Exception as error:  # an unresolvable forward reference names the problem itself
        raise ToolDefinitionError(
            f"tool '{tool_name}': the type annotations of {getattr(fn, '__qualname__', fn)!r} "
            f"cannot be resolved: {error}",
            [
                {
                    "location": "annotations",
                    "message": str(error),
                    "fix": "import the types the annotations name",
                }
            ],
        ) from None
    description, doc_params = _docstring_descriptions(fn)
    parameters: list[Parameter] = []
    injected: list[str] = []
    accepts_extra = False
    for param in signature.parameters.values():
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            raise ToolDefinitionError(
                f"tool '{tool_name}': parameter '*{param.name}' cannot receive arguments, which models "
                "send by name; declare each parameter by name instead",
                [
                    {
                        "location": f"parameters.{param.name}",
                        "message": "*args cannot be sent by name",
                        "fix": "declare named parameters",
                    }
                ],
            )
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            accepts_extra = True
            continue
        annotation = hints.get(param.name, param.annotation)
        if is_injected(annotation):
            injected.append(param.name)
            continue
        if param.name.startswith("_"):
            raise ToolDefinitionError(
                f"tool '{tool_name}': parameter '{param.name}' starts with an underscore; such names "
                "read as private and pydantic refuses them as fields; rename it",
                [
                    {
                        "location": f"parameters.{param.name}",
                        "message": "leading underscore",
                        "fix": f"rename it to '{param.name.lstrip('_') or 'value'}'",
                    }
                ],
            )
        annotation, aliases = _field_aliases(annotation)
        parameters.append(
            Parameter(
                name=param.name,
                annotation=annotation,
                default=param.default,
                kind=param.kind,
                description=_annotation_description(annotation) or doc_params.get(param.name),
                aliases=aliases,
                loose=loose_reason(annotation),
            )
        )
    return Signature(tuple(parameters), accepts_extra, description, tuple(injected))


def build_model(signature: Signature, model_name: str) -> type[pydantic.BaseModel]:
    """A pydantic model whose fields are the parameters, named by alias so that parameter names
    such as ``json`` or ``schema`` do not collide with ``BaseModel`` attributes."""
    fields: dict[str, Any] = {}
    for position, param in enumerate(signature.parameters):
        annotation = Any if param.annotation is EMPTY else param.annotation
        info = pydantic.Field(
            default=... if param.required else param.default,
            alias=param.name,
            description=param.description,
        )
        fields[f"field_{position}"] = (annotation, info)
    config = pydantic.ConfigDict(
        extra="allow" if signature.accepts_extra else "forbid", populate_by_name=False
    )
    return pydantic.create_model(model_name, __config__=config, **fields)


def model_json_schema(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True, schema_generator=_NoTitles, mode="validation")
    schema.pop("title", None)
    return schema


def schema_from_signature(signature: Signature, *, tool_name: str) -> dict[str, Any]:
    model_name = "".join(part.capitalize() for part in tool_name.replace("-", "_").split("_")) or "Tool"
    try:
        model = build_model(signature, f"{model_name}Arguments")
        schema = model_json_schema(model)
    except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError, TypeError) as error:
        raise ToolDefinitionError(
            f"tool '{tool_name}': its parameter types cannot be described as JSON Schema: {error}",
            [
                {
                    "location": "parameters",
                    "message": str(error).splitlines()[0],
                    "fix": "use JSON-compatible types (str, int, float, bool, lists, dicts, pydantic models, enums)",
                }
            ],
        ) from None
    schema.setdefault("properties", {})
    return schema
