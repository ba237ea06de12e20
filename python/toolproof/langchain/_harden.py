"""``harden()`` and ``@tool``: LangChain tools whose calls go through toolproof."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, cast

from langchain_core.tools import BaseTool
from langchain_core.tools import tool as langchain_tool

from toolproof._adapt.constants import DEFAULT_MAX_RESULT_BYTES, TOOL_OPTIONS
from toolproof._adapt.kinds import Kind
from toolproof._adapt.names import refuse_duplicate_names
from toolproof.errors import ToolDefinitionError
from toolproof.langchain._callee import engine_function
from toolproof.langchain._hardened import HardenedTool, Hardening
from toolproof.langchain._reading import Reading, kind, source_of
from toolproof.tools import Tool

# What a LangChain tool says for itself about its failures; harden() may set them.
_FAILURE_FLAGS = frozenset({"handle_tool_error", "handle_validation_error"})
HARDEN_OPTIONS = TOOL_OPTIONS | _FAILURE_FLAGS | {"mode", "fresh_instance"}


def harden(obj: Any, **options: Any) -> Any:
    """A LangChain tool (or a list of them) whose calls go through toolproof.

    ``obj`` is a ``@tool``, a ``StructuredTool``, a ``BaseTool`` subclass or instance, a plain
    function or ``functools.partial``, or a list of these (two with the same name are refused,
    naming where both are defined). Options:

    - the ``toolproof.ToolOptions``: ``timeout``, ``retry``, ``max_concurrency``, ``aliases``,
      ``extra_keys``, ``limits``, ``loose``, ``authorize`` (its ``context`` is a
      ``LangChainCall``, with the ``RunnableConfig`` as ``.config``), ``shared_state``, and
      ``max_result_bytes`` (default ``DEFAULT_MAX_RESULT_BYTES``; None for no cap);
    - ``mode``: ``"lenient"`` (default: repair what is unambiguous) or ``"strict"``;
    - ``handle_tool_error``, ``handle_validation_error``: LangChain's own flags, the original's
      unless given; ``True`` answers those failures with toolproof's text instead of raising;
    - ``fresh_instance``: a ``BaseTool`` instance runs every call itself (watched: a call writing
      on ``self`` is reported, see ``shared_state``); ``True`` gives each call a shallow copy. A
      ``BaseTool`` class gets a fresh instance per call.

    The result keeps the original's name, description, ``return_direct`` and
    ``response_format``; a definition that would fail at the first call (a name providers refuse,
    an ``args_schema`` that names arguments the function does not take) raises
    ``ToolDefinitionError`` here.
    """
    unknown = set(options) - HARDEN_OPTIONS
    if unknown:
        raise TypeError(f"harden() got unknown options: {', '.join(sorted(unknown))}")
    if isinstance(obj, (list, tuple)):
        hardened = [harden(item, **options) for item in obj]
        refuse_duplicates(hardened)
        return hardened
    found = kind(obj, HardenedTool)
    if found is Kind.HARDENED:
        if not options:
            return obj
        origin, origin_kind = obj._hardening.origin
        return harden_one(origin, origin_kind, {**obj._hardening.options, **options})
    if found is Kind.TOOLPROOF_TOOL:
        raise TypeError(
            f"tool '{obj.name}' is a toolproof.Tool; harden its function (or give a Registry the Tool) instead"
        )
    return harden_one(obj, found, options)


def harden_one(obj: Any, found: Kind, options: dict[str, Any]) -> HardenedTool:
    tool_options = {key: value for key, value in options.items() if key in TOOL_OPTIONS}
    tool_options.setdefault("max_result_bytes", DEFAULT_MAX_RESULT_BYTES)
    shared_state = tool_options.pop("shared_state", None)
    source = source_of(obj, found, fresh_instance=options.get("fresh_instance"), shared_state=shared_state)
    reading = Reading(source)
    if reading.aliases:
        tool_options["aliases"] = {**reading.aliases, **(tool_options.get("aliases") or {})}
    callee = reading.callee
    tools: dict[bool, Tool] = {}
    for use_coroutine, present in ((False, callee.function), (True, callee.coroutine)):
        if present is not None:
            tools[use_coroutine] = Tool.from_schema(
                reading.name,
                reading.schema,
                engine_function(callee, use_coroutine=use_coroutine),
                description=source.tool.description,
                **tool_options,
            )
    if not tools:
        raise ToolDefinitionError(f"tool '{reading.name}' has neither a function nor a coroutine to run")
    original = source.tool
    fields: dict[str, Any] = {
        "name": reading.name,
        "description": original.description,
        # The original's own description of its arguments, for code reading it (tool.args,
        # args_schema.model_json_schema()); the model is sent tool_call_schema.
        "args_schema": original.args_schema,
        "return_direct": original.return_direct,
        "response_format": original.response_format,
        "verbose": original.verbose,
        "callbacks": original.callbacks,
        "tags": original.tags,
        "metadata": original.metadata,
        "handle_tool_error": options.get("handle_tool_error", original.handle_tool_error),
        "handle_validation_error": options.get("handle_validation_error", original.handle_validation_error),
        "func": reading.exposed_function,
        "coroutine": reading.exposed_coroutine,
    }
    if getattr(original, "extras", None) is not None:  # provider extras (cache_control ...), newer releases
        fields["extras"] = original.extras
    hardened = HardenedTool(**fields)
    hardened._hardening = Hardening(
        reading, tools.get(False), tools.get(True), options.get("mode", "lenient"), dict(options)
    )
    hardened._hardening.origin = (obj, found)
    return hardened


def harden_for_node(tool: Any, options: dict[str, Any]) -> HardenedTool:
    """A node's options apply to every tool, except where a tool was hardened with its own."""
    if not isinstance(tool, HardenedTool):
        return cast(HardenedTool, harden(tool, **options))
    if not options:
        return tool
    origin, origin_kind = tool._hardening.origin
    return harden_one(origin, origin_kind, {**options, **tool._hardening.options})


def refuse_duplicates(tools: Sequence[HardenedTool]) -> None:
    refuse_duplicate_names(
        tools,
        seen_as=lambda tool: tool.name,
        definition=lambda tool: _definition(tool.source),
        consequence="LangGraph would keep only the last one",
    )


def _definition(source: BaseTool) -> Any:
    function = getattr(source, "func", None) or getattr(source, "coroutine", None)
    return function if function is not None else type(source)


def tool(*args: Any, **kwargs: Any) -> Any:
    """LangChain's ``@tool``, making a hardened tool: ``from toolproof.langchain import tool`` in
    place of ``from langchain_core.tools import tool``. Every form LangChain accepts works the same
    (``@tool``, ``@tool("name")``, ``@tool(parse_docstring=True, ...)``, ``tool(function)``,
    ``tool("name", runnable)``); the tool it makes is then hardened (see ``harden``) with the
    default options."""
    made = langchain_tool(*args, **kwargs)
    if isinstance(made, BaseTool):
        return harden(made)
    decorator = cast(Callable[..., BaseTool], made)

    @functools.wraps(decorator)
    def hardening_decorator(function: Any) -> Any:
        return harden(decorator(function))

    return hardening_decorator
