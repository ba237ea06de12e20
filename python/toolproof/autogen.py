"""AutoGen tools whose calls go through toolproof's road.

AgentChat 0.4+ (``autogen_core`` / ``autogen_agentchat``):

- ``harden(obj, **options)`` turns a function, a ``FunctionTool``, a ``BaseTool`` (or its class) into
  a ``HardenedTool``: an ``autogen_core`` ``BaseTool`` with the strict schema, whose ``run_json``
  repairs, coerces and validates the model's arguments, applies the timeout and retries, and encodes
  the result as JSON. A failed call raises ``ToolCallError``, whose text is what the model should
  read, so ``AssistantAgent`` reports it as an ``is_error`` result and keeps the sibling calls.
- ``harden_all(objs, **options)`` hardens several and refuses two with the same name, naming both.
- ``harden_client(model_client)`` repairs tool-call arguments that are not JSON (truncated, blank)
  before ``AssistantAgent`` parses them: it does that before any tool runs, so a tool cannot.

The classic API (ag2 before 1.0, ``import autogen``): ``register(fn, caller=..., executor=...)``
advertises the strict schema on the caller and runs each call on the executor through the same road,
from the arguments text exactly as the model sent it.
"""

# ruff: noqa: E402  (the framework is imported after the check that names the extra to install)

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
import typing
import warnings
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

import pydantic
from typing_extensions import Unpack

from toolproof._extras import require

require("autogen_core", "autogen")

from autogen_core import EVENT_LOGGER_NAME, CancellationToken, FunctionCall, trace_tool_span
from autogen_core.logging import ToolCallEvent
from autogen_core.models import ChatCompletionClient, CreateResult, LLMMessage, ModelInfo, RequestUsage
from autogen_core.tools import BaseTool, FunctionTool, ToolSchema

from toolproof import _core
from toolproof._shared_state import (
    SharedStateError,
    SharedStateHandling,
    SharedStateWarning,
    written_attributes,
)
from toolproof.context import CallContext
from toolproof.errors import JSONRepairError, ToolDefinitionError, ToolError
from toolproof.registry import Registry
from toolproof.tools import Tool, ToolOptions

__all__ = ["HardenedTool", "ToolCallError", "harden", "harden_all", "harden_client", "register"]

Mode = Literal["lenient", "strict"]

DEFAULT_MAX_RESULT_BYTES = 100_000
"""The result cap when none is given: the same as ``Registry``'s, so one result cannot flood the context."""

_TOKEN_PARAMETER = "cancellation_token"
# Injected by toolproof (never in the schema): carries AutoGen's CancellationToken to the function.
_CALL_PARAMETER = "_toolproof_call"

_event_logger = logging.getLogger(EVENT_LOGGER_NAME)
logger = logging.getLogger("toolproof")


class ToolCallError(ToolError):
    """A hardened tool's call failed. ``str()`` is the text the model reads (what to fix, never a
    traceback); ``result`` is the whole ``toolproof.ToolResult`` (error code, attempts, repairs)."""

    def __init__(self, result: _core.ToolResult) -> None:
        super().__init__(result.content)
        self.result = result


# -- AgentChat 0.4+ -------------------------------------------------------------------------------


class HardenedTool(BaseTool[pydantic.BaseModel, pydantic.BaseModel]):
    """An ``autogen_core`` tool running a ``toolproof.Tool``. Make one with ``harden``.

    ``run_json`` takes the arguments as the model sent them (a dict, or the JSON text itself) and
    returns the tool's Python value; ``return_value_as_string`` gives the JSON text the model reads.
    ``run_call`` returns the whole ``toolproof.ToolResult`` instead of raising.
    """

    def __init__(
        self,
        tool: Tool,
        *,
        args_type: type[pydantic.BaseModel] | None = None,
        return_type: Any = Any,
        strict: bool | None = None,
        mode: Mode = "lenient",
        state_source: BaseTool[Any, Any] | None = None,
    ) -> None:
        strict = _resolve_strict(tool, strict)
        super().__init__(
            args_type or pydantic.BaseModel, return_type, tool.name, tool.description, strict=strict
        )
        self._tool = tool
        self._mode: Mode = mode
        self._derived_args_type = args_type is None
        self._state_source = state_source
        cap = tool.max_result_bytes
        self._max_result_bytes: int | None = cap if isinstance(cap, int) or cap is None else None

    @property
    def tool(self) -> Tool:
        """The ``toolproof.Tool`` behind this one."""
        return self._tool

    @property
    def schema(self) -> ToolSchema:
        # The toolproof export, not one derived from args_type: the schema the road checks against.
        definition = self._tool.to_provider("openai", strict=self._strict)["function"]
        return ToolSchema(
            name=self._name,
            description=self._description,
            parameters=definition["parameters"],
            strict=self._strict,
        )

    def args_type(self) -> type[pydantic.BaseModel]:
        if self._derived_args_type:
            self._args_type = _schema_model(self._tool)
            self._derived_args_type = False
        return self._args_type

    def metrics(self) -> Any:
        """Calls, errors by code, retries, timeouts, repairs and latency of this tool (a ``MetricsReport``)."""
        return self._tool.metrics()

    async def run(self, args: pydantic.BaseModel, cancellation_token: CancellationToken) -> Any:
        return await self.run_json(args.model_dump(), cancellation_token)

    async def run_json(
        self, args: Mapping[str, Any] | str, cancellation_token: CancellationToken, call_id: str | None = None
    ) -> Any:
        """Run one call through the road; raise ``ToolCallError`` (the model's text) when it fails."""
        with trace_tool_span(self._name, tool_description=self._description, tool_call_id=call_id):
            result = await self._call(args, cancellation_token, call_id)
            if not result.ok:
                raise ToolCallError(result) from result.exception
        if _event_logger.isEnabledFor(logging.INFO):
            _event_logger.info(
                ToolCallEvent(tool_name=self._name, arguments=_loggable(args), result=result.content)
            )
        return result.output

    async def run_call(
        self,
        args: Mapping[str, Any] | str | None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> _core.ToolResult:
        """Run one call and return its ``toolproof.ToolResult``; the tool's failures are results."""
        with trace_tool_span(self._name, tool_description=self._description, tool_call_id=call_id):
            return await self._call(args, cancellation_token, call_id)

    async def _call(
        self, args: Any, token: CancellationToken | None, call_id: str | None
    ) -> _core.ToolResult:
        if token is None:
            token = CancellationToken()
        elif token.is_cancelled():
            raise asyncio.CancelledError()
        if type(args) is not dict and isinstance(args, Mapping):
            args = dict(args)
        canceller = _TaskCanceller.for_current_task()
        if canceller is not None:
            token.add_callback(canceller)
        try:
            return await self._tool.arun(args, call_id=call_id or "call_0", mode=self._mode, context=token)
        finally:
            if canceller is not None:
                canceller.finished = True

    def return_value_as_string(self, value: Any) -> str:
        """The text the model reads for ``value``: JSON (text as is), cut to the result cap as the
        call itself cuts it."""
        if isinstance(value, str):
            return _cut_text(value, self._max_result_bytes)
        return _core.to_json(value, max_bytes=self._max_result_bytes)

    async def save_state_json(self) -> Mapping[str, Any]:
        if self._state_source is None:
            return {}
        return await self._state_source.save_state_json()

    async def load_state_json(self, state: Mapping[str, Any]) -> None:
        if self._state_source is not None:
            await self._state_source.load_state_json(state)

    def __repr__(self) -> str:
        return f"HardenedTool(name={self._name!r}, signature={self._tool.signature!r})"


def harden(
    obj: Any,
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
    mode: Mode = "lenient",
    **options: Unpack[ToolOptions],
) -> HardenedTool:
    """An AutoGen tool whose calls go through toolproof's road.

    ``obj`` is a function (sync or async; a ``cancellation_token`` parameter receives AutoGen's
    token), a ``FunctionTool`` or other ``BaseTool`` (which keeps its name and description), a
    ``BaseTool`` class (one fresh instance per call, so state a call keeps on ``self`` stays its
    own), or a ``toolproof.Tool``. ``options`` are ``toolproof.ToolOptions`` (``timeout``,
    ``retry``, ``aliases``, ``max_concurrency``, ``authorize``, ``max_result_bytes`` (default
    100,000), ``shared_state`` ...); ``authorize(call, context)`` receives the run's
    ``CancellationToken`` as ``context``.

    ``strict``: export the strict schema (True), the plain one (False), or strict when the schema
    allows it (None). ``mode="strict"`` turns off repair and coercion of arguments.
    """
    if isinstance(obj, HardenedTool):
        if name is not None or description is not None or options:
            raise TypeError(f"{obj!r} is already hardened; harden the original object with these options")
        return obj
    if isinstance(obj, Tool):
        if name is not None or description is not None or options:
            raise TypeError("a toolproof.Tool carries its own options; set them when building it")
        return HardenedTool(obj, strict=strict, mode=mode)
    options.setdefault("max_result_bytes", DEFAULT_MAX_RESULT_BYTES)
    if inspect.isclass(obj) and issubclass(obj, BaseTool):
        return _harden_base_tool(obj, None, name, description, strict, mode, options)
    if isinstance(obj, BaseTool):
        # A subclass may change how the function runs: only FunctionTool itself is read through.
        if type(obj) is FunctionTool:
            tool = _function_tool(
                obj._func,
                name if name is not None else obj.name,
                description if description is not None else obj.description,
                options,
            )
            return HardenedTool(
                tool, args_type=obj.args_type(), return_type=obj.return_type(), strict=strict, mode=mode
            )
        return _harden_base_tool(type(obj), obj, name, description, strict, mode, options)
    if callable(obj):
        return HardenedTool(_function_tool(obj, name, description, options), strict=strict, mode=mode)
    raise TypeError(
        f"harden takes a function, an autogen_core BaseTool (or its class) or a toolproof.Tool, not {obj!r}"
    )


def harden_all(objs: Iterable[Any], **options: Any) -> list[HardenedTool]:
    """``harden`` each of ``objs`` with the same options; two tools with the same name are refused,
    naming where both are defined (AutoGen's own check names neither, and a workbench has none)."""
    hardened = [harden(obj, **options) for obj in objs]
    Registry([tool.tool for tool in hardened])
    return hardened


def _harden_base_tool(
    cls: type[BaseTool[Any, Any]],
    instance: BaseTool[Any, Any] | None,
    name: str | None,
    description: str | None,
    strict: bool | None,
    mode: Mode,
    options: ToolOptions,
) -> HardenedTool:
    if instance is None:
        try:
            sample = cls()  # type: ignore[call-arg]  # a subclass's constructor, not BaseTool's
        except TypeError as error:
            raise ToolDefinitionError(
                f"harden({cls.__name__}) makes a fresh {cls.__name__}() for every call, but {error}; pass an "
                "instance instead (shared by every call), or a subclass whose constructor needs no arguments"
            ) from None
        make: Callable[[], BaseTool[Any, Any]] = cls
    else:
        sample = instance

        def shared() -> BaseTool[Any, Any]:
            return instance

        make = shared

    args_type = sample.args_type()
    # A shared instance is watched for per-call state written on it, unless told otherwise.
    handling: SharedStateHandling = options.pop("shared_state", "warn" if instance is not None else "off")
    watched = instance if handling != "off" else None

    async def run_base_tool(arguments: Any, _toolproof_call: CallContext) -> Any:
        tool = make()
        if watched is None:
            return await tool.run(arguments, _toolproof_call.context)
        before = _attribute_identities(watched)
        value = await tool.run(arguments, _toolproof_call.context)
        written = written_attributes(before, _attribute_identities(watched))
        if written:
            _report_shared_instance(sample.name, watched, written, handling)
        return value

    run_base_tool.__annotations__ = {"arguments": args_type, _CALL_PARAMETER: CallContext, "return": Any}
    run_base_tool.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("arguments", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=args_type),
            inspect.Parameter(_CALL_PARAMETER, inspect.Parameter.KEYWORD_ONLY, annotation=CallContext),
        ]
    )
    # Where the tool is defined, for messages naming it (a name clash, a shared-state report).
    run_base_tool.__module__ = cls.__module__
    run_base_tool.__qualname__ = f"{cls.__qualname__}.run"
    run_base_tool.__wrapped__ = cls.run  # type: ignore[attr-defined]
    tool = Tool.from_function(
        run_base_tool,
        name=name if name is not None else sample.name,
        description=description if description is not None else sample.description,
        args_schema=args_type,
        **options,
    )
    stateful = (
        instance
        if instance is not None and type(instance).save_state_json is not BaseTool.save_state_json
        else None
    )
    return HardenedTool(
        tool,
        args_type=args_type,
        return_type=sample.return_type(),
        strict=strict,
        mode=mode,
        state_source=stateful,
    )


def _function_tool(
    fn: Callable[..., Any], name: str | None, description: str | None, options: ToolOptions
) -> Tool:
    if _TOKEN_PARAMETER in _parameter_names(fn):
        fn = _receiving_token(fn)
    return Tool.from_function(fn, name=name, description=description, **options)


def _parameter_names(fn: Callable[..., Any]) -> Sequence[str]:
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


def _receiving_token(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with its ``cancellation_token`` parameter filled from the call context: the model
    never sees it, and the function receives the run's token as AutoGen would pass it."""
    signature = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:
        hints = {
            name: p.annotation for name, p in signature.parameters.items() if p.annotation is not p.empty
        }
    call_parameter = inspect.Parameter(
        _CALL_PARAMETER, inspect.Parameter.KEYWORD_ONLY, annotation=CallContext
    )
    parameters = [p for p in signature.parameters.values() if p.name != _TOKEN_PARAMETER]
    insert_at = next((i for i, p in enumerate(parameters) if p.kind is p.VAR_KEYWORD), len(parameters))
    parameters.insert(insert_at, call_parameter)

    target = fn.func if isinstance(fn, functools.partial) else fn
    if inspect.iscoroutinefunction(target):

        async def call_async(*args: Any, _toolproof_call: CallContext, **kwargs: Any) -> Any:
            return await fn(*args, **kwargs, cancellation_token=_toolproof_call.context)

        wrapper: Callable[..., Any] = call_async
    else:

        def call_sync(*args: Any, _toolproof_call: CallContext, **kwargs: Any) -> Any:
            return fn(*args, **kwargs, cancellation_token=_toolproof_call.context)

        wrapper = call_sync
    functools.update_wrapper(wrapper, target)
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    annotations = {key: value for key, value in hints.items() if key != _TOKEN_PARAMETER}
    annotations[_CALL_PARAMETER] = CallContext
    wrapper.__annotations__ = annotations
    return wrapper


def _resolve_strict(tool: Tool, strict: bool | None) -> bool:
    if strict is False:
        return False
    try:
        tool.to_provider("openai", strict=True)
    except ToolDefinitionError:
        if strict:
            raise
        return False
    return True


def _schema_model(tool: Tool) -> type[pydantic.BaseModel]:
    """A pydantic model whose JSON schema is the tool's, for code asking a tool for ``args_type()``;
    it accepts any object: the road is what checks the arguments."""
    schema = tool.schema

    def use_tool_schema(json_schema: dict[str, Any]) -> None:
        json_schema.clear()
        json_schema.update(schema)

    model_name = "".join(part.capitalize() for part in tool.name.replace("-", "_").split("_")) or "Tool"
    return pydantic.create_model(
        f"{model_name}Arguments",
        __config__=pydantic.ConfigDict(extra="allow", json_schema_extra=use_tool_schema),
    )


class _TaskCanceller:
    """Cancels the task running a call when its CancellationToken is cancelled, from any thread;
    does nothing once the call is over."""

    __slots__ = ("finished", "loop", "task")

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task
        self.loop = task.get_loop()
        self.finished = False

    @classmethod
    def for_current_task(cls) -> _TaskCanceller | None:
        task = asyncio.current_task()
        return None if task is None else cls(task)

    def __call__(self) -> None:
        if not self.finished:
            self.loop.call_soon_threadsafe(self._cancel)

    def _cancel(self) -> None:
        if not self.finished:
            self.task.cancel()


def _cut_text(text: str, max_bytes: int | None) -> str:
    """A text result cut to the cap exactly as the dispatch engine cuts it."""
    if max_bytes is None:
        return text
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    marker = f"…[truncated: {max_bytes} of {len(data)} bytes shown]"
    keep = max(0, max_bytes - len(marker.encode("utf-8")))
    return data[:keep].decode("utf-8", errors="ignore") + marker


def _loggable(args: Any) -> dict[str, Any]:
    return dict(args) if isinstance(args, Mapping) else {"arguments": args}


def _attribute_identities(instance: Any) -> dict[str, int]:
    try:
        return {name: id(value) for name, value in vars(instance).items()}
    except TypeError:
        return {}


def _report_shared_instance(
    tool: str, instance: Any, written: list[str], handling: SharedStateHandling
) -> None:
    names = ", ".join(f"self.{name}" for name in written)
    cls = type(instance).__name__
    message = (
        f"tool '{tool}' wrote {names} on its {cls} instance during a call; AutoGen runs the calls of one "
        f"response concurrently on that one instance, so they overwrite each other. Pass the class "
        f"(toolproof.autogen.harden({cls})) to give every call its own instance, or keep per-call state "
        "in local variables."
    )
    if handling == "error":
        raise SharedStateError(message)
    warnings.warn(message, SharedStateWarning, stacklevel=2)


# -- arguments AssistantAgent cannot parse --------------------------------------------------------


def harden_client(model_client: ChatCompletionClient) -> ChatCompletionClient:
    """``model_client``, with tool-call arguments that are not JSON repaired as the model returns them.

    ``AssistantAgent`` parses every call's arguments with ``json.loads`` before any tool runs, and
    reports a failure as an error without running the tool: a call cut short by the token limit, or
    the blank arguments some providers send for a tool without parameters (autogen #5666), fail
    there. Repaired calls carry valid JSON from then on, in the history sent back to the model too.
    Arguments that are JSON already (even a non-object) are left to the tool.
    """
    if isinstance(model_client, _ArgumentRepairingClient):
        return model_client
    return _ArgumentRepairingClient(model_client)


class _ArgumentRepairingClient(ChatCompletionClient):
    """Delegates everything to the wrapped client; repairs the arguments of the calls it returns."""

    def __init__(self, client: ChatCompletionClient) -> None:
        self._client = client

    async def create(self, messages: Sequence[LLMMessage], **kwargs: Any) -> CreateResult:
        return _repaired_result(await self._client.create(messages, **kwargs))

    async def create_stream(  # type: ignore[override]
        self, messages: Sequence[LLMMessage], **kwargs: Any
    ) -> AsyncGenerator[str | CreateResult, None]:
        async for item in self._client.create_stream(messages, **kwargs):
            yield _repaired_result(item) if isinstance(item, CreateResult) else item

    async def close(self) -> None:
        await self._client.close()

    def actual_usage(self) -> RequestUsage:
        return self._client.actual_usage()

    def total_usage(self) -> RequestUsage:
        return self._client.total_usage()

    def count_tokens(self, messages: Sequence[LLMMessage], **kwargs: Any) -> int:
        return self._client.count_tokens(messages, **kwargs)

    def remaining_tokens(self, messages: Sequence[LLMMessage], **kwargs: Any) -> int:
        return self._client.remaining_tokens(messages, **kwargs)

    @property
    def capabilities(self) -> Any:  # type: ignore[override]
        return self._client.capabilities  # type: ignore[attr-defined]

    @property
    def model_info(self) -> ModelInfo:
        return self._client.model_info

    def __getattr__(self, name: str) -> Any:
        # What the wrapped client offers besides the interface (a replay client's create_calls ...).
        if name.startswith("__") or name == "_client":
            raise AttributeError(name)
        return getattr(self._client, name)

    def __repr__(self) -> str:
        return f"harden_client({self._client!r})"


def _repaired_result(result: CreateResult) -> CreateResult:
    if not isinstance(result.content, list):
        return result
    calls = [_repaired_call(call) if isinstance(call, FunctionCall) else call for call in result.content]
    if all(new is old for new, old in zip(calls, result.content, strict=True)):
        return result
    return result.model_copy(update={"content": calls})


def _repaired_call(call: FunctionCall) -> FunctionCall:
    text = call.arguments
    if not isinstance(text, str):
        return call
    if not text.strip():
        repaired = "{}"
    else:
        try:
            json.loads(text)
            return call
        except ValueError:
            pass
        try:
            repaired = json.dumps(_core.repair_json(text), ensure_ascii=False)
        except (JSONRepairError, ValueError, TypeError):
            return call
    logger.info("repaired the arguments of tool call %s (%s): %r -> %s", call.id, call.name, text, repaired)
    return FunctionCall(id=call.id, arguments=repaired, name=call.name)


# -- the classic API (ag2 before 1.0: `import autogen`) -----------------------------------------


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
    **options: Unpack[ToolOptions],
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
    definition = tool.to_provider("openai", strict=_resolve_strict(tool, strict))
    _refuse_taken_name(caller, executor, tool, replace)
    caller.update_tool_signature(definition, is_remove=False, silent_override=True)
    caller.__dict__.setdefault("_toolproof_tools", {})[tool.name] = tool
    _executor_tools(executor)[tool.name] = (tool, mode)
    executor.register_function({tool.name: _classic_function(tool, mode)}, silent_override=True)
    return tool


def _classic_tool(fn: Any, name: str | None, description: str | None, options: ToolOptions) -> Tool:
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
    earlier = _defined_at(existing) if existing is not None else "another tool"
    raise ToolDefinitionError(
        f"two tools are named '{tool.name}': {earlier} (in {where}) and {_defined_at(tool.func)}; a model "
        "could not tell them apart, and one would silently replace the other. Rename one, or pass replace=True.",
        [{"location": "name", "message": f"'{tool.name}' is registered twice", "fix": "rename one of them"}],
    )


def _defined_at(function: Any) -> str:
    target = inspect.unwrap(function) if callable(function) else function
    module = getattr(target, "__module__", None) or "?"
    qualname = getattr(target, "__qualname__", None) or repr(target)
    try:
        return f"{module}.{qualname} ({inspect.getsourcefile(target)}:{inspect.getsourcelines(target)[1]})"
    except (OSError, TypeError):
        return f"{module}.{qualname}"


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
