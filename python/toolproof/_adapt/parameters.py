"""The parameters a model is shown, and an argument model that lets every argument through.

Frameworks validate a call's arguments with a pydantic model before the tool runs, and refuse
what the road would have repaired (``userId`` for ``user_id``, ``"5"`` for ``5``). A hardened tool
hands them a permissive model instead: it accepts any object unchanged and describes the tool's
own parameters, so the road sees the arguments as the model sent them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any, ClassVar

import pydantic

from toolproof.errors import ToolDefinitionError
from toolproof.tools import Tool


def model_facing_parameters(tool: Tool, *, strict: bool = True) -> dict[str, Any]:
    """The JSON Schema of ``tool``'s parameters a model is sent: the strict OpenAI export (every
    property required, optional ones nullable, no extra keys) when ``strict`` and the schema allows
    it, the canonical schema otherwise."""
    if strict:
        try:
            return tool.to_provider("openai", strict=True)["function"]["parameters"]
        except ToolDefinitionError:
            pass
    return tool.schema


class _EveryKey:
    """The declared keys, as a view that also contains every undeclared one."""

    __slots__ = ("_keys",)

    def __init__(self, keys: Iterator[str]) -> None:
        self._keys = tuple(keys)

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


class OpenProperties(dict):  # type: ignore[type-arg]
    """A schema's ``properties`` whose ``keys()`` contains any key: a framework that keeps only the
    argument keys it finds there (CrewAI's text path) passes every key on, for the road to map
    ``userId`` to ``user_id`` or to name the key it does not know."""

    def keys(self) -> _EveryKey:  # type: ignore[override]
        return _EveryKey(iter(super().keys()))


class PermissiveArguments(pydantic.BaseModel):
    """Accepts any object unchanged (the road checks it); its JSON Schema is the tool's."""

    model_config = pydantic.ConfigDict(extra="allow")
    toolproof_parameters: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        schema = copy.deepcopy(cls.toolproof_parameters)
        schema["properties"] = OpenProperties(schema.get("properties") or {})
        return schema


def permissive_arguments(tool: Tool, parameters: dict[str, Any] | None = None) -> type[PermissiveArguments]:
    """A ``PermissiveArguments`` model named after ``tool`` (``SearchOrdersArguments``), describing
    ``parameters`` (the model-facing ones unless given)."""
    class_name = "".join(part.capitalize() for part in re.split(r"[_\-]+", tool.name) if part) or "Tool"
    return type(
        f"{class_name}Arguments",
        (PermissiveArguments,),
        {
            "__module__": __name__,
            "toolproof_parameters": parameters if parameters is not None else model_facing_parameters(tool),
        },
    )
