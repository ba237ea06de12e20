"""Refusing two tools a model would see under one name, naming where both are defined.

Frameworks keep the last one silently (LangGraph), rename one (CrewAI's native calls) or refuse
without saying which (AutoGen); a model cannot tell two such tools apart, so ``harden`` of a list
refuses them with both definitions named.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from toolproof.errors import ToolDefinitionError


def defined_at(obj: Any) -> str:
    """``module.qualname (file:line)`` of a function or class, as far as it can be found."""
    target = inspect.unwrap(obj) if callable(obj) and not inspect.isclass(obj) else obj
    module = getattr(target, "__module__", None) or "?"
    qualname = getattr(target, "__qualname__", None) or repr(target)
    try:
        return f"{module}.{qualname} ({inspect.getsourcefile(target)}:{inspect.getsourcelines(target)[1]})"
    except (OSError, TypeError):
        return f"{module}.{qualname}"


def refuse_duplicate_names(
    tools: Iterable[Any],
    *,
    seen_as: Callable[[Any], str],
    definition: Callable[[Any], Any],
    consequence: str = "one would silently replace the other",
) -> None:
    """Raise ``ToolDefinitionError`` for the first two of ``tools`` a model sees under one name
    (``seen_as(tool)``), naming where each is defined (``definition(tool)``: the function or class
    behind it)."""
    first: dict[str, Any] = {}
    for tool in tools:
        name = seen_as(tool)
        if name not in first:
            first[name] = tool
            continue
        raise ToolDefinitionError(
            f"two tools are named '{name}': {defined_at(definition(first[name]))} and "
            f"{defined_at(definition(tool))}; a model could not tell them apart, and {consequence}. "
            "Rename one of them.",
            [{"location": "name", "message": f"'{name}' is defined twice", "fix": "rename one of them"}],
        )
