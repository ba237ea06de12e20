"""``harden``, ``harden_all`` and ``@tool``: CrewAI tools whose calls go through toolproof."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterable
from typing import Any

import pydantic
from crewai.tools import BaseTool as CrewAIBaseTool
from crewai.tools import tool as crewai_tool
from crewai.tools.base_tool import Tool as CrewAIFunctionTool
from crewai.tools.structured_tool import _infer_result_schema_from_callable
from crewai.utilities.string_utils import sanitize_tool_name
from typing_extensions import Unpack

from toolproof._adapt.kinds import Framework, Kind, as_function, kind_of
from toolproof._adapt.names import refuse_duplicate_names
from toolproof.crewai._arguments import RoadArguments
from toolproof.crewai._tool import HardenedTool, construct, hardened_class
from toolproof.errors import ToolDefinitionError
from toolproof.tools import Tool, ToolOptions

_FRAMEWORK = Framework(
    name="crewai", tool_base=CrewAIBaseTool, function_tools=(CrewAIFunctionTool,), hardened=(HardenedTool,)
)


def harden(
    obj: Any,
    *,
    name: str | None = None,
    description: str | None = None,
    fresh_instance: bool | None = None,
    mode: str = "lenient",
    **options: Unpack[ToolOptions],
) -> Any:
    """A ``crewai.tools.BaseTool`` whose calls go through toolproof's road (see ``HardenedTool``).

    ``obj`` is a ``BaseTool`` instance (the hardened tool is a copy of it, an instance of a
    subclass of its class; calls run on that copy, watched for state a call writes on it, see
    ``shared_state``; ``fresh_instance=True`` runs each on an instance of its own) or subclass (a
    fresh instance per call), an ``@tool`` tool, a function or ``functools.partial``, or a
    ``toolproof.Tool``; a list of them gives a list, as ``harden_all`` does.

    ``options`` are ``toolproof.ToolOptions``: ``timeout``, ``retry``, ``aliases``,
    ``max_result_bytes`` (100,000 unless given, as a ``Registry`` caps results) ...; ``mode``
    ``"strict"`` turns off repair. The tool's own settings (``result_as_answer``,
    ``max_usage_count``, ``cache_function``, ``tool_failure_policy``, ``result_schema`` ...) are
    kept. Raises ``ToolDefinitionError`` when the tool's ``args_schema`` does not match its ``_run``.
    """
    if isinstance(obj, (list, tuple)):
        if name is not None or description is not None:
            raise TypeError(
                "name= and description= are for one tool; harden list items one by one to set them"
            )
        return harden_all(obj, fresh_instance=fresh_instance, mode=mode, **options)
    found = kind_of(obj, _FRAMEWORK)
    how_options: dict[str, Any] = {**options, "mode": mode}
    if found is Kind.HARDENED:
        if options or name is not None or description is not None or fresh_instance is not None:
            raise ToolDefinitionError(
                f"tool '{obj.name}' is hardened already; harden the tool it wraps to change it"
            )
        return obj
    if found is Kind.TOOLPROOF_TOOL:
        if options:
            raise TypeError(
                f"tool '{obj.name}' is a toolproof.Tool: give it {', '.join(sorted(options))} when you build it"
            )
        return _from_toolproof_tool(obj, name, description)
    renamed = {
        **({"name": name} if name is not None else {}),
        **({"description": description} if description is not None else {}),
    }
    if found in (Kind.FUNCTION, Kind.PARTIAL):
        return construct(
            hardened_class(CrewAIFunctionTool),
            {**_function_fields(obj), **renamed},
            (how_options, True, None, None),
        )
    if found is Kind.CLASS:
        # One sample, to read the tool; each call runs on a fresh instance of the class.
        return construct(hardened_class(obj), renamed, (how_options, False, None, None))
    # An instance (a function tool included): a copy, made as it was.
    fields = {field: getattr(obj, field) for field in obj.model_fields_set}
    return construct(
        hardened_class(type(obj)), {**fields, **renamed}, (how_options, True, fresh_instance, None)
    )


def harden_all(
    tools: Iterable[Any], *, fresh_instance: bool | None = None, **options: Any
) -> list[HardenedTool]:
    """``harden`` each tool; two tools the model would see under one name are refused, naming both
    (CrewAI itself renames one to ``name_2`` in native calls, and never reaches it in text mode)."""
    originals = list(tools)
    hardened = [harden(tool, fresh_instance=fresh_instance, **options) for tool in originals]
    refuse_duplicate_names(
        list(zip(originals, hardened, strict=True)),
        seen_as=lambda pair: sanitize_tool_name(pair[1].name),
        definition=lambda pair: _definition(pair[0]),
        consequence=(
            "CrewAI would quietly rename one to '<name>_2' in native calls and never reach it in text mode"
        ),
    )
    return hardened


def _definition(obj: Any) -> Any:
    if isinstance(obj, CrewAIFunctionTool):
        return obj.func
    if isinstance(obj, CrewAIBaseTool):
        return type(obj)
    if isinstance(obj, Tool):
        return obj.func
    return as_function(obj) if callable(obj) else obj


def _function_fields(obj: Any) -> dict[str, Any]:
    """What CrewAI's ``@tool`` makes of a function (its arguments model read from the signature),
    without its demand for a docstring."""
    function = as_function(obj)
    fields: dict[str, Any] = {}
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        annotation = Any if parameter.annotation is parameter.empty else parameter.annotation
        fields[parameter.name] = (
            annotation,
            ... if parameter.default is parameter.empty else parameter.default,
        )
    return {
        "name": function.__name__,
        "description": inspect.getdoc(function) or "",
        "func": obj,
        "args_schema": pydantic.create_model("".join(function.__name__.split()).title(), **fields),
        "result_schema": _infer_result_schema_from_callable(function),
    }


def _from_toolproof_tool(tool: Tool, name: str | None, description: str | None) -> HardenedTool:
    """A CrewAI tool running ``tool`` as it is (its own options, its own road)."""

    def run_toolproof_tool(**arguments: Any) -> Any:
        return tool.invoke(arguments)

    fields = {
        "name": name or tool.name,
        "description": tool.description if description is None else description,
        "func": run_toolproof_tool,
        "args_schema": RoadArguments,
    }
    return construct(hardened_class(CrewAIFunctionTool), fields, ({}, True, None, tool))


def tool(*args: Any, **kwargs: Any) -> Any:
    """CrewAI's ``@tool``, making a hardened tool: ``from toolproof.crewai import tool`` in place of
    ``from crewai.tools import tool``. Every form CrewAI accepts works the same (``@tool``,
    ``@tool("name")``, ``@tool(result_as_answer=True, ...)``); the tool it makes is then hardened
    (see ``harden``) with the default options."""
    made = crewai_tool(*args, **kwargs)
    if isinstance(made, CrewAIBaseTool):
        return harden(made)

    @functools.wraps(made)
    def hardening_decorator(function: Any) -> Any:
        return harden(made(function))

    return hardening_decorator
