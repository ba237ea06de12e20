"""A hardened CrewAI tool's ``args_schema``: validating it runs the road."""

from __future__ import annotations

import copy
from typing import Any, ClassVar, Literal

import pydantic
from pydantic_core import PydanticCustomError

from toolproof._adapt.constants import RAW_ARGUMENTS
from toolproof._adapt.parameters import OpenProperties
from toolproof.errors import ArgumentError
from toolproof.tools import Tool

Mode = Literal["lenient", "strict"]


class RoadArguments(pydantic.BaseModel):
    """A hardened tool's ``args_schema``: validating it runs the road (what CrewAI's own
    validation would refuse, ``userId`` for ``user_id``, is repaired; what cannot be is a
    ``ValueError`` naming every problem), and its JSON Schema is the tool's own. Every key counts
    as declared, so CrewAI's text path passes undeclared keys on for the road to map or name."""

    model_config = pydantic.ConfigDict(extra="allow")
    toolproof_tool: ClassVar[Tool | None] = None
    toolproof_mode: ClassVar[Mode] = "lenient"
    original: ClassVar[type[pydantic.BaseModel] | None] = None

    @pydantic.model_validator(mode="wrap")
    @classmethod
    def _road(cls, data: Any, handler: Any) -> Any:
        tool = cls.toolproof_tool
        if tool is None or isinstance(data, cls):
            return handler(data)
        raw = data[RAW_ARGUMENTS] if isinstance(data, dict) and set(data) == {RAW_ARGUMENTS} else data
        try:
            tool.parse_args(raw, mode=cls.toolproof_mode)
        except ArgumentError as error:
            raise PydanticCustomError("invalid_arguments", error.for_model()) from None
        # Accepted: the arguments go on as they came, for the call's own run of the road to repair
        # (and count) what it repairs.
        return handler(data if isinstance(data, dict) else {RAW_ARGUMENTS: data})

    def model_dump(self, **options: Any) -> dict[str, Any]:  # type: ignore[override]
        # The arguments the road accepted, as they came: a parameter left out is not sent as None.
        options.setdefault("exclude_unset", True)
        return super().model_dump(**options)

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        own = cls.toolproof_tool.schema if cls.toolproof_tool is not None else {}
        if cls.original is None:
            schema = copy.deepcopy(own)
        else:
            # The tool's own schema, with the descriptions its docstring gives where it has none.
            schema = cls.original.model_json_schema(*args, **kwargs)
            documented = own.get("properties") or {}
            for name, field in (schema.get("properties") or {}).items():
                description = (documented.get(name) or {}).get("description")
                if isinstance(field, dict) and description and "description" not in field:
                    field["description"] = description
        schema["properties"] = OpenProperties(schema.get("properties") or {})
        return schema


def road_arguments(tool: Tool, original: type[pydantic.BaseModel] | None, mode: Mode) -> type[RoadArguments]:
    """The road model of ``tool``: named as its own model, with a field (of any value, the road
    checks them) per parameter, in order, for CrewAI code that maps positional values to names."""
    class_name = (
        original.__name__
        if original is not None
        else "".join(part.capitalize() for part in tool.name.replace("-", "_").split("_") if part)
    )
    fields: dict[str, Any] = {
        name: (Any, None)
        for name in tool.schema.get("properties") or {}
        if name.isidentifier() and not name.startswith("_") and not hasattr(pydantic.BaseModel, name)
    }
    model = pydantic.create_model(class_name, __base__=RoadArguments, **fields)
    model.__module__ = original.__module__ if original is not None else __name__
    model.__doc__ = original.__doc__ if original is not None else None
    model.toolproof_tool = tool
    model.toolproof_mode = mode
    model.original = original
    return model
