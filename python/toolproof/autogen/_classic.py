"""The classic API (ag2 before 1.0, ``import autogen``): ``register(fn, caller=..., executor=...)``."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any, Literal

from typing_extensions import Unpack

from toolproof import _core
from toolproof._adapt.constants import DEFAULT_MAX_RESULT_BYTES
from toolproof._adapt.names import defined_at
from toolproof._extras import require
from toolproof.autogen._tools import Mode, ToolCallError, resolve_strict
from toolproof.errors import ToolDefinitionError
from toolproof.tools import Tool, ToolOptionsBesideExecutor


def register(
    fn: Any,
    *,
    caller: Any,
    executor: Any,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
    mode: Mode = "lenient",
    replace: bool = False,
    **options: Unpack[ToolOptionsBesideExecutor],
) -> Tool:
    """Register ``fn`` for the classic API: ``caller`` proposes it, ``executor`` runs it.

    The caller advertises toolproof's (strict) schema, and the executor runs every call through
    ``Tool.run`` on the arguments text exactly as the model sent it (repaired, coerced, validated;
    timeout, retries, JSON result), so both sides agree on one schema. ``fn`` is a function, a
    ``toolproof.Tool``, or a class (one fresh instance per call, via ``Tool.from_factory``).
    A name already registered on either agent is refused unless ``replace=True``.
    Returns the ``toolproof.Tool``.
    """
    require("autogen", "autogen")
    tool = _classic_tool(fn, name, description, options)
    definition = tool.to_provider("openai", strict=resolve_strict(tool, strict))
    _refuse_taken_name(caller, executor, tool, replace)
    caller.update_tool_signature(definition, is_remove=False, silent_override=True)
    caller.__dict__.setdefault("_toolproof_tools", {})[tool.name] = tool
    _executor_tools(executor)[tool.name] = (tool, mode)
    executor.register_function({tool.name: _classic_function(tool, mode)}, silent_override=True)
    return tool


def _classic_tool(
    fn: Any, name: str | None, description: str | None, options: ToolOptionsBesideExecutor
) -> Tool:
    if isinstance(fn, Tool):
        if name is not None or description is not None or options:
            raise TypeError("a toolproof.Tool carries its own options; set them when building it")
        return fn
    options.setdefault("max_result_bytes", DEFAULT_MAX_RESULT_BYTES)
    if inspect.isclass(fn):
        return Tool.from_factory(fn, name=name, description=description, **options)
    return Tool.from_function(fn, name=name, description=description, **options)


def _refuse_taken_name(caller: Any, executor: Any, tool: Tool, replace: bool) -> None:
    if replace:
        return
    ours = caller.__dict__.get("_toolproof_tools", {}).get(tool.name)
    advertised = caller.llm_config.get("tools") if caller.llm_config else None
    if ours is not tool and any(d.get("function", {}).get("name") == tool.name for d in advertised or ()):
        _raise_name_clash(
            tool, ours.func if ours is not None else None, f"the tools of agent '{caller.name}'"
        )
    entry = executor.__dict__.get("_toolproof_executor_tools", {}).get(tool.name)
    existing = executor.function_map.get(tool.name)
    if existing is not None and (entry is None or entry[0] is not tool):
        function = entry[0].func if entry is not None else getattr(existing, "_origin", existing)
        _raise_name_clash(tool, function, f"the functions of agent '{executor.name}'")


def _raise_name_clash(tool: Tool, existing: Any, where: str) -> None:
    earlier = defined_at(existing) if existing is not None else "another tool"
    raise ToolDefinitionError(
        f"two tools are named '{tool.name}': {earlier} (in {where}) and {defined_at(tool.func)}; a model "
        "could not tell them apart, and one would silently replace the other. Rename one, or pass replace=True.",
        [{"location": "name", "message": f"'{tool.name}' is registered twice", "fix": "rename one of them"}],
    )


def _classic_function(tool: Tool, mode: Mode) -> Callable[..., Any]:
    """The executor's function-map entry, for code calling it with keyword arguments; the agent's
    own tool calls reach the tool through the executor's ``execute_function`` instead."""

    def run_registered_tool(**arguments: Any) -> str:
        result = tool.run(arguments, mode=mode)
        if not result.ok:
            raise ToolCallError(result)
        return result.content

    run_registered_tool.__name__ = tool.name
    run_registered_tool.__doc__ = tool.description
    run_registered_tool._origin = tool.func  # type: ignore[attr-defined]
    return run_registered_tool


def _executor_tools(executor: Any) -> dict[str, tuple[Tool, Mode]]:
    """The toolproof tools of ``executor``; on first use, its ``execute_function`` and
    ``a_execute_function`` (the documented points to change how calls run) learn to run them:
    the stock ones parse the arguments with ``json.loads`` first and refuse the call on failure."""
    tools: dict[str, tuple[Tool, Mode]] | None = executor.__dict__.get("_toolproof_executor_tools")
    if tools is not None:
        return tools
    tools = {}
    stock_execute = executor.execute_function
    stock_execute_async = executor.a_execute_function

    def execute_function(
        func_call: dict[str, Any], call_id: str | None = None, verbose: bool = False
    ) -> tuple[bool, dict[str, Any]]:
        entry = tools.get(func_call.get("name", ""))
        if entry is None:
            return stock_execute(func_call, call_id=call_id, verbose=verbose)
        tool, mode = entry
        arguments = func_call.get("arguments")
        _send_classic_event(executor, "execute", tool, call_id, arguments)
        result = tool.run(arguments, call_id=call_id or "call_0", mode=mode)
        return _classic_reply(executor, tool, call_id, arguments, result)

    async def a_execute_function(
        func_call: dict[str, Any], call_id: str | None = None, verbose: bool = False
    ) -> tuple[bool, dict[str, Any]]:
        entry = tools.get(func_call.get("name", ""))
        if entry is None:
            return await stock_execute_async(func_call, call_id=call_id, verbose=verbose)
        tool, mode = entry
        arguments = func_call.get("arguments")
        _send_classic_event(executor, "execute", tool, call_id, arguments)
        result = await tool.arun(arguments, call_id=call_id or "call_0", mode=mode)
        return _classic_reply(executor, tool, call_id, arguments, result)

    executor.execute_function = execute_function
    executor.a_execute_function = a_execute_function
    executor._toolproof_executor_tools = tools
    return tools


def _classic_reply(
    executor: Any, tool: Tool, call_id: str | None, arguments: Any, result: _core.ToolResult
) -> tuple[bool, dict[str, Any]]:
    _send_classic_event(executor, "executed", tool, call_id, arguments, result)
    return result.ok, {"name": tool.name, "role": "function", "content": result.content}


def _send_classic_event(
    executor: Any,
    stage: Literal["execute", "executed"],
    tool: Tool,
    call_id: str | None,
    arguments: Any,
    result: _core.ToolResult | None = None,
) -> None:
    """The events the stock executor sends (what its console output and loggers show)."""
    from autogen.events.agent_events import ExecutedFunctionEvent, ExecuteFunctionEvent
    from autogen.io.base import IOStream

    shown = _event_arguments(arguments)
    if stage == "execute":
        event: Any = ExecuteFunctionEvent(
            func_name=tool.name, call_id=call_id, arguments=shown, recipient=executor
        )
    else:
        assert result is not None
        event = ExecutedFunctionEvent(
            func_name=tool.name,
            call_id=call_id,
            arguments=shown,
            content=result.content,
            recipient=executor,
            is_exec_success=result.ok,
        )
    IOStream.get_default().send(event)


def _event_arguments(arguments: Any) -> dict[str, Any]:
    if isinstance(arguments, dict):
        return arguments
    if isinstance(arguments, str):
        try:
            value = json.loads(arguments)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return value
    return {"arguments": arguments}
