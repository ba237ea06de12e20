"""LangChain and LangGraph, hardened.

``harden(obj, **options)`` turns a LangChain tool (``@tool``, ``StructuredTool``, a ``BaseTool``
subclass or instance, a plain function, or a list of them) into a LangChain ``BaseTool`` whose calls
travel toolproof's road: raw arguments are repaired and validated, the function runs with its
timeout and retries, the result is encoded as JSON, and every failure becomes a
``ToolMessage(status="error")`` with a text the model can act on. The tool carries toolproof's
strict schema, so ``bind_tools(..., strict=True)`` sends it.

``ToolNode(tools, **options)`` is a drop-in for LangGraph's ``ToolNode``: it answers every call of
the last AIMessage, those LangChain could not parse (``invalid_tool_calls``) included, dispatching
them together through one toolproof engine, and refuses two tools with the same name.
``tools_condition`` routes to it when the model made any call, parseable or not.

``ToolproofMiddleware(tools, **options)`` brings the same to ``create_agent``, which builds
LangGraph's ToolNode itself and ends the run on calls it could not parse.
"""

# The frameworks are imported only after `require` could name the extra to install.
# ruff: noqa: E402

from __future__ import annotations

from toolproof._extras import require

require("langchain_core", "langchain")
require("langgraph", "langchain")
require("langchain", "langchain")

import contextvars
import copy
import inspect
import itertools
import threading
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, cast

import pydantic
from langchain.agents.middleware import AgentMiddleware
from langchain_core.callbacks import AsyncCallbackManager, CallbackManager
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.messages.tool import ToolOutputMixin
from langchain_core.messages.tool import tool_call as make_tool_call
from langchain_core.runnables import RunnableConfig, ensure_config, patch_config
from langchain_core.runnables.config import set_config_context, var_child_runnable_config
from langchain_core.runnables.utils import coro_with_context
from langchain_core.tools import BaseTool, InjectedToolCallId, ToolException
from langchain_core.tools import Tool as SimpleTool
from langchain_core.tools import tool as make_langchain_tool
from langchain_core.tools.base import (
    FILTERED_ARGS,
    TOOL_MESSAGE_BLOCK_TYPES,
    _get_runnable_config_param,
    _is_injected_arg_type,
    get_all_basemodel_annotations,
)
from langchain_core.utils._signature import _signature_parameters
from langgraph.errors import GraphBubbleUp
from langgraph.prebuilt import ToolNode as LangGraphToolNode
from langgraph.prebuilt.tool_node import ToolCallRequest, ToolRuntime, _infer_handled_types

from toolproof._checks import schema_signature_problems
from toolproof._core import ToolCall, ToolResult
from toolproof._signature import EMPTY, Parameter, Signature, model_json_schema
from toolproof.context import CallContext
from toolproof.errors import ArgumentError, ToolDefinitionError, ToolError
from toolproof.registry import Registry
from toolproof.tools import Tool

try:
    from langgraph.errors import is_invalid_resume
except ImportError:  # older langgraph releases cannot tell a bad resume value apart

    def is_invalid_resume(error: BaseException) -> bool:
        return False


__all__ = [
    "DEFAULT_MAX_RESULT_BYTES",
    "HardenedTool",
    "LangChainBatch",
    "LangChainCall",
    "ToolNode",
    "ToolproofMiddleware",
    "harden",
    "tools_condition",
]

DEFAULT_MAX_RESULT_BYTES = 100_000
"""The size cap on a result's model-facing text unless ``max_result_bytes`` says otherwise: the
same default a ``toolproof.Registry`` has."""

Mode = Literal["lenient", "strict"]

# Options a toolproof Tool takes; harden() passes these through.
_TOOL_OPTIONS = frozenset(
    {
        "aliases",
        "extra_keys",
        "limits",
        "loose",
        "timeout",
        "retry",
        "max_concurrency",
        "authorize",
        "max_result_bytes",
        "shared_state",
    }
)
_HARDEN_OPTIONS = _TOOL_OPTIONS | {"mode", "fresh_instance"}

# LangGraph puts injected values (state, store, runtime) into a call's `args`. When the model's
# arguments are raw text, they travel next to those values under this key.
_RAW_ARGUMENTS = "__toolproof_raw_arguments__"

_NOTHING: Any = object()
_direct_ids = itertools.count()


# --------------------------------------------------------------------------------------------
# One call's companions: what it carries besides the model's arguments, and what it leaves behind


class LangChainCall:
    """What a LangChain tool call carries besides the model's arguments.

    It is the ``context`` an ``authorize(call, context)`` hook receives: ``config`` is the
    ``RunnableConfig`` of the invocation, ``tool_call_id`` the id the model gave the call.
    """

    __slots__ = (
        "artifact",
        "config",
        "content_blocks",
        "context",
        "injected",
        "passthrough",
        "propagate",
        "run_manager",
        "thread",
        "tool_call_id",
    )

    def __init__(self, config: RunnableConfig, injected: dict[str, Any], tool_call_id: str | None) -> None:
        self.config = config
        self.injected = injected
        self.tool_call_id = tool_call_id
        self.run_manager: Any = None
        self.artifact: Any = None
        self.passthrough: Any = _NOTHING
        self.content_blocks: list[Any] | None = None
        self.propagate: BaseException | None = None
        # Set when the function may run on another thread, so it still sees the caller's
        # contextvars (the runnable config LangGraph's get_config() reads, tracing).
        self.context: contextvars.Context | None = None
        self.thread = 0


class LangChainBatch:
    """The ``context`` of one ToolNode dispatch: the shared ``config``, and each call by id."""

    __slots__ = ("calls", "config")

    def __init__(self, config: RunnableConfig) -> None:
        self.config = config
        self.calls: dict[str, LangChainCall] = {}


_TOOL_EVENTS = ("on_tool_start", "on_tool_end", "on_tool_error")


def _listens_to_tools(handlers: Iterable[Any]) -> bool:
    """Whether a callback handler wants tool runs (a tracer, LangGraph's tool streaming). Those
    that only stream model tokens, like LangGraph's ``stream_mode="messages"`` handler, do not."""
    for handler in handlers:
        if getattr(handler, "ignore_agent", False):
            continue
        for event in _TOOL_EVENTS:
            method = getattr(type(handler), event, None)
            if method is not None and getattr(method, "__module__", "") != "langchain_core.callbacks.base":
                return True
    return False


def _call_of(call_context: CallContext) -> LangChainCall:
    context = call_context.context
    if type(context) is LangChainCall:
        return context
    return cast(LangChainBatch, context).calls[call_context.call.id]


# --------------------------------------------------------------------------------------------
# How a LangChain tool's function is called with road-checked arguments


class _Callee:
    """Calls one LangChain tool's function or coroutine the way LangChain would: arguments
    validated into its ``args_schema`` model (so annotated types arrive as Python objects), the
    injected values LangGraph supplies, ``callbacks``/``run_manager``/config parameters filled."""

    def __init__(
        self,
        *,
        name: str,
        function: Callable[..., Any] | None,
        coroutine: Callable[..., Any] | None,
        args_model: type[pydantic.BaseModel] | None,
        injected_keys: frozenset[str],
        call_id_keys: frozenset[str],
        response_format: str,
        handle_tool_error: Any,
    ) -> None:
        self.name = name
        self.function = function
        self.coroutine = coroutine
        self.args_model = args_model
        self.injected_keys = injected_keys
        self.call_id_keys = call_id_keys
        self.content_and_artifact = response_format == "content_and_artifact"
        self.handle_tool_error = handle_tool_error
        if args_model is not None:
            fields = args_model.model_fields
            self.field_names = tuple(name for name in fields if name not in ("args", "kwargs"))
            self.defaulted = frozenset(name for name, field in fields.items() if not field.is_required())
        self.function_extras = _extra_parameters(function)
        self.coroutine_extras = _extra_parameters(coroutine)

    def keyword_arguments(
        self, arguments: dict[str, Any], call: LangChainCall, extras: tuple[bool, bool, str | None]
    ) -> dict[str, Any]:
        data = arguments
        if call.injected:
            data.update(call.injected)
        for key in self.call_id_keys:
            data[key] = call.tool_call_id
        if self.args_model is None:
            kwargs = data
        else:
            try:
                instance = self.args_model.model_validate(data)
            except pydantic.ValidationError as error:
                raise _argument_error(self.name, error) from None
            provided = instance.model_fields_set
            kwargs = {
                name: getattr(instance, name)
                for name in self.field_names
                if name in data or name in provided or name in self.defaulted
            }
            # Injected objects reach the function as they are, not as pydantic's copies.
            for key in self.injected_keys:
                if key in data:
                    kwargs[key] = data[key]
            for key in self.call_id_keys:
                kwargs[key] = call.tool_call_id
        takes_callbacks, takes_run_manager, config_parameter = extras
        if takes_callbacks and call.run_manager is not None:
            kwargs["callbacks"] = call.run_manager.get_child()
        if takes_run_manager:
            kwargs["run_manager"] = call.run_manager
        if config_parameter is not None:
            kwargs[config_parameter] = call.config
        return kwargs

    def settle(self, value: Any, call: LangChainCall) -> Any:
        """What the engine encodes for the model; the rest stays with the call."""
        if self.content_and_artifact:
            if not (isinstance(value, tuple) and len(value) == 2):
                raise RuntimeError(
                    f"tool '{self.name}' has response_format='content_and_artifact' and must return a "
                    f"(content, artifact) tuple, not {type(value).__name__}"
                )
            value, call.artifact = value
        if isinstance(value, ToolOutputMixin) or (
            isinstance(value, list) and value and all(isinstance(item, ToolOutputMixin) for item in value)
        ):
            # A ToolMessage or a LangGraph Command answers the call itself.
            call.passthrough = value
            return None
        if (
            isinstance(value, list)
            and any(isinstance(item, dict) for item in value)
            and all(_is_content_block(item) for item in value)
        ):
            # Message content blocks (an image, a document): the message carries them as they are.
            # A list of plain strings is data, and goes to the model as a JSON array.
            call.content_blocks = value
        return value

    def exception_text(self, error: ToolException) -> str:
        """What the model reads for a ToolException, as the tool's ``handle_tool_error`` says."""
        flag = self.handle_tool_error
        if isinstance(flag, str):
            return flag
        if callable(flag) and not isinstance(flag, bool):
            handled = flag(error)
            return handled if isinstance(handled, str) else str(handled)
        return str(error.args[0]) if error.args else "Tool execution error"


def _extra_parameters(func: Callable[..., Any] | None) -> tuple[bool, bool, str | None]:
    """Whether ``func`` takes ``callbacks``, ``run_manager``, and the name of its RunnableConfig
    parameter: LangChain fills these, never the model."""
    if func is None:
        return False, False, None
    parameters = _signature_parameters(func)
    # Through wrappers (watch, a fresh instance per call) to the method that declares the types.
    config_parameter = _get_runnable_config_param(inspect.unwrap(func))
    return "callbacks" in parameters, "run_manager" in parameters, config_parameter


def _is_content_block(item: Any) -> bool:
    return isinstance(item, str) or (isinstance(item, dict) and item.get("type") in TOOL_MESSAGE_BLOCK_TYPES)


def _argument_error(tool_name: str, error: pydantic.ValidationError) -> ArgumentError:
    records = []
    for item in error.errors(include_url=False):
        path = ".".join(str(part) for part in item["loc"])
        records.append({"path": path, "loc": list(item["loc"]), "kind": item["type"], "message": item["msg"]})
    lines = "\n".join(f"- {record['path'] or 'arguments'}: {record['message']}" for record in records)
    return ArgumentError(
        f"invalid arguments for tool '{tool_name}': {records[0]['path']}: {records[0]['message']}",
        records,
        model_text=f"Invalid arguments for tool '{tool_name}':\n{lines}\nFix these and call the tool again.",
        tool=tool_name,
    )


def _wrapper(callee: _Callee, *, use_coroutine: bool) -> Callable[..., Any]:
    """The function the toolproof engine calls: road-checked arguments in, the value to encode out."""
    if use_coroutine:
        coroutine = cast(Callable[..., Any], callee.coroutine)
        extras = callee.coroutine_extras

        async def call_async(_toolproof_call: CallContext, **arguments: Any) -> Any:
            call = _call_of(_toolproof_call)
            kwargs = callee.keyword_arguments(arguments, call, extras)
            try:
                value = await coroutine(**kwargs)
            except ToolException as error:
                raise ToolError(callee.exception_text(error)) from error
            except GraphBubbleUp as error:
                call.propagate = error
                return None
            return callee.settle(value, call)

        wrapper: Callable[..., Any] = call_async
        original: Callable[..., Any] = coroutine
    else:
        function = cast(Callable[..., Any], callee.function)
        extras = callee.function_extras

        def call_sync(_toolproof_call: CallContext, **arguments: Any) -> Any:
            call = _call_of(_toolproof_call)
            kwargs = callee.keyword_arguments(arguments, call, extras)
            try:
                if call.context is None or call.thread == threading.get_ident():
                    value = function(**kwargs)
                else:
                    # A copy: an abandoned attempt (timed out, then retried) may still be inside it.
                    value = call.context.copy().run(function, **kwargs)
            except ToolException as error:
                raise ToolError(callee.exception_text(error)) from error
            except GraphBubbleUp as error:
                call.propagate = error
                return None
            return callee.settle(value, call)

        wrapper = call_sync
        original = function
    # The engine reads what to inject from this signature; logs and name clashes name the original.
    wrapper.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("_toolproof_call", inspect.Parameter.KEYWORD_ONLY, annotation=CallContext),
            inspect.Parameter("arguments", inspect.Parameter.VAR_KEYWORD),
        ]
    )
    wrapper.__annotations__ = {"_toolproof_call": CallContext}
    wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
        value = getattr(original, attribute, None)
        if value is not None:
            try:
                setattr(wrapper, attribute, value)
            except (AttributeError, TypeError):
                pass
    return wrapper


# --------------------------------------------------------------------------------------------
# Reading a LangChain tool


def _as_langchain_tool(obj: Any) -> BaseTool:
    if isinstance(obj, BaseTool):
        return obj
    if isinstance(obj, type) and issubclass(obj, BaseTool):
        try:
            return obj()
        except (TypeError, pydantic.ValidationError) as error:
            raise ToolDefinitionError(
                f"{obj.__name__} cannot be built without arguments ({error}); pass an instance to harden()"
            ) from None
    if callable(obj):
        try:
            return make_langchain_tool(obj, parse_docstring=True)
        except ValueError:
            # No docstring, or one whose Args name something the signature lacks: keep it whole.
            return make_langchain_tool(obj, description=inspect.getdoc(obj) or "")
    raise TypeError(
        f"harden() takes a LangChain tool, a BaseTool subclass, a function, or a list of them; not {type(obj).__name__}"
    )


def _model_facing_schema(source: BaseTool) -> dict[str, Any]:
    """The parameters the model sees (LangChain's ``tool_call_schema``), as a JSON Schema."""
    if isinstance(source, SimpleTool) and source.args_schema is None:
        # A single-input Tool: LangChain sends one string parameter named `__arg1`.
        return {
            "type": "object",
            "properties": {"__arg1": {"type": "string"}},
            "required": ["__arg1"],
            "additionalProperties": False,
        }
    if isinstance(source.args_schema, dict):
        schema = dict(source.args_schema)
        schema.pop("title", None)
        schema.pop("description", None)
        return schema
    model = source.tool_call_schema
    if isinstance(model, dict):
        schema = dict(model)
        schema.pop("description", None)
        return schema
    try:
        schema = model_json_schema(model)
    except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError, TypeError) as error:
        raise ToolDefinitionError(
            f"tool '{source.name}': its arguments cannot be described as JSON Schema: {error}"
        ) from None
    # The model's docstring is the tool's description, which the tool carries itself.
    schema.pop("description", None)
    schema.setdefault("properties", {})
    schema["type"] = "object"
    if model.model_config.get("extra") != "allow":
        schema["additionalProperties"] = False
    return schema


def _annotations(source: BaseTool, functions: Iterable[Callable[..., Any] | None]) -> dict[str, Any]:
    annotations: dict[str, Any] = {}
    for function in functions:
        if function is None:
            continue
        try:
            annotations.update(typing.get_type_hints(function, include_extras=True))
        except Exception:
            continue
    args_model = source.args_schema
    if isinstance(args_model, type) and issubclass(args_model, pydantic.BaseModel):
        annotations.update(get_all_basemodel_annotations(args_model))
    return annotations


def _check_function(
    tool_name: str, schema: dict[str, Any], function: Callable[..., Any], excluded: frozenset[str]
) -> None:
    """Refuse a schema that names arguments the function would not take (or misses one it needs):
    LangChain would find out at the first call, with a TypeError."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return
    parameters: list[Parameter] = []
    accepts_extra = False
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            accepts_extra = True
            continue
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL or parameter.name in excluded:
            continue
        default = EMPTY if parameter.default is inspect.Parameter.empty else parameter.default
        parameters.append(Parameter(parameter.name, parameter.annotation, default, parameter.kind))
    problems = schema_signature_problems(schema, Signature(tuple(parameters), accepts_extra, ""))
    # A schema may require what the function defaults (LangChain validates first); only names matter.
    problems = [problem for problem in problems if not problem["location"].startswith("required.")]
    if problems:
        lines = "; ".join(f"{problem['message']} (fix: {problem['fix']})" for problem in problems)
        raise ToolDefinitionError(
            f"tool '{tool_name}': args_schema does not match the function: {lines}", problems
        )


class _Reading:
    """Everything harden() learns from one LangChain tool."""

    def __init__(self, source: BaseTool, *, fresh_instance: bool, shared_state: str) -> None:
        self.source = source
        self.name = source.name
        self.schema = _model_facing_schema(source)
        self.single_input: str | None = None
        function = getattr(source, "func", None)
        coroutine = getattr(source, "coroutine", None)
        self.exposed_function = function
        self.exposed_coroutine = coroutine
        args_model = source.args_schema if isinstance(source.args_schema, type) else None
        if isinstance(source, SimpleTool) and source.args_schema is None:
            self.single_input = "__arg1"
            function = _positional(function)
            coroutine = _positional(coroutine)
            args_model = None
        elif function is None and coroutine is None:
            # A BaseTool subclass: its own _run (and _arun, when the class overrides it).
            function, coroutine = _instance_methods(
                source, fresh_instance=fresh_instance, shared_state=shared_state
            )
        all_model_fields = set(args_model.model_fields) if args_model is not None else set()
        annotations = _annotations(
            source, (getattr(source, "func", None), getattr(source, "coroutine", None))
        )
        model_facing = set(self.schema.get("properties") or {})
        injected = {name for name, annotation in annotations.items() if _is_injected_arg_type(annotation)}
        injected |= all_model_fields - model_facing
        injected |= set(getattr(source, "_injected_args_keys", ()) or ())
        injected -= set(FILTERED_ARGS)
        self.call_id_keys = frozenset(
            name
            for name, annotation in annotations.items()
            if _is_injected_arg_type(annotation, injected_type=InjectedToolCallId)
        )
        self.injected_keys = frozenset(injected - self.call_id_keys)
        if len(model_facing) == 1 and self.single_input is None:
            self.single_input = next(iter(model_facing))
        if isinstance(source.args_schema, (type, dict)):
            own = (getattr(source, "func", None), getattr(source, "coroutine", None))
            candidates = own if any(own) else (source._run,)
            for candidate in candidates:
                if candidate is not None:
                    excluded = frozenset(
                        self.injected_keys | self.call_id_keys | set(FILTERED_ARGS) | {"self", "cls"}
                    ) | {_get_runnable_config_param(candidate) or ""}
                    _check_function(self.name, self.schema, candidate, excluded)
        self.callee = _Callee(
            name=self.name,
            function=function,
            coroutine=coroutine,
            args_model=args_model,
            injected_keys=self.injected_keys,
            call_id_keys=self.call_id_keys,
            response_format=source.response_format,
            handle_tool_error=source.handle_tool_error,
        )


def _positional(func: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """A single-input Tool's function, called with the one string LangChain passes positionally."""
    if func is None:
        return None
    if inspect.iscoroutinefunction(func):

        async def call_async(__arg1: str) -> Any:
            return await func(__arg1)

        return call_async

    def call(__arg1: str) -> Any:
        return func(__arg1)

    return call


def _instance_methods(
    source: BaseTool, *, fresh_instance: bool, shared_state: str
) -> tuple[Callable[..., Any], Callable[..., Any] | None]:
    overrides_arun = type(source)._arun is not BaseTool._arun
    if fresh_instance:
        # Each call on its own shallow copy: what one call writes on `self` stays with that call.
        def run_fresh(**kwargs: Any) -> Any:
            return source.model_copy()._run(**kwargs)

        async def arun_fresh(**kwargs: Any) -> Any:
            return await source.model_copy()._arun(**kwargs)

        for fresh, method in ((run_fresh, source._run), (arun_fresh, source._arun)):
            fresh.__signature__ = inspect.signature(method)  # type: ignore[attr-defined]
            fresh.__wrapped__ = method  # type: ignore[attr-defined]
        return run_fresh, arun_fresh if overrides_arun else None
    run: Callable[..., Any] = source._run
    arun: Callable[..., Any] | None = source._arun if overrides_arun else None
    if shared_state != "off":
        from toolproof._shared_state import watch

        run = watch(source.name, run, cast(Any, shared_state))
        if arun is not None:
            arun = watch(source.name, arun, cast(Any, shared_state))
    return run, arun


# --------------------------------------------------------------------------------------------
# The hardened tool


def _message(result: ToolResult, name: str, tool_call_id: str, call: LangChainCall | None) -> ToolMessage:
    """The ToolMessage for one result: toolproof's text, ``status="error"`` for a failure."""
    content: Any = result.content
    artifact = None
    if result.ok and call is not None:
        artifact = call.artifact
        if call.content_blocks is not None:
            content = call.content_blocks
    metadata: dict[str, Any] = {}
    if result.error is not None:
        metadata["code"] = result.error["code"]
    if result.repairs:
        metadata["repairs"] = [repair.to_dict() for repair in result.repairs]
    if result.attempts > 1:
        metadata["attempts"] = result.attempts
    if result.truncated is not None:
        metadata["truncated"] = result.truncated
    return ToolMessage(
        content=content,
        tool_call_id=tool_call_id,
        name=name,
        status="success" if result.ok else "error",
        artifact=artifact,
        response_metadata={"toolproof": metadata} if metadata else {},
    )


def _looks_like_json(text: str) -> bool:
    stripped = text.lstrip()
    return stripped[:1] in ("{", "[") or stripped.startswith("```")


class _Hardening:
    """What a HardenedTool adds to the LangChain tool it replaces."""

    __slots__ = (
        "async_tool",
        "captures_context",
        "mode",
        "options",
        "reading",
        "strict_parameters",
        "sync_tool",
    )

    def __init__(
        self,
        reading: _Reading,
        sync_tool: Tool | None,
        async_tool: Tool | None,
        mode: Mode,
        options: dict[str, Any],
    ) -> None:
        self.reading = reading
        self.sync_tool = sync_tool
        self.async_tool = async_tool
        self.mode = mode
        self.options = options
        first = cast(Tool, sync_tool or async_tool)
        # Off the calling thread (a timeout, or an async-only tool called synchronously), the
        # function still runs in the caller's context.
        self.captures_context = first.timeout is not None or sync_tool is None
        try:
            self.strict_parameters: dict[str, Any] | None = first.to_provider("openai", strict=True)[
                "function"
            ]["parameters"]
        except ToolDefinitionError:
            self.strict_parameters = None


class HardenedTool(BaseTool):
    """A LangChain tool whose calls go through toolproof: made by ``harden()``.

    ``invoke`` with a ToolCall returns a ``ToolMessage`` (``status="error"`` with a text the model
    can act on when the call failed); with plain arguments it returns the tool's value, or that
    text on failure, as a LangChain tool with ``handle_tool_error=True`` does. It never raises for
    the tool's failures; LangGraph's interrupts pass through.
    """

    func: Callable[..., Any] | None = None
    """The original function (LangGraph reads its annotations to find injected arguments)."""
    coroutine: Callable[..., Any] | None = None

    # One private attribute: each costs a pydantic __getattr__ on every call.
    _hardening: _Hardening = pydantic.PrivateAttr()

    # -- what LangChain and the providers read -------------------------------------------------

    @property
    def toolproof_tool(self) -> Tool:
        """The toolproof ``Tool`` behind this one (the synchronous one when there are two)."""
        return cast(Tool, self._hardening.sync_tool or self._hardening.async_tool)

    @property
    def source(self) -> BaseTool:
        """The LangChain tool this one hardens."""
        return self._hardening.reading.source

    @property
    def tool_call_schema(self) -> dict[str, Any]:  # type: ignore[override]
        """toolproof's strict export of the parameters: LangChain's own strict pass leaves it as it
        is, so ``bind_tools(..., strict=True)`` sends exactly this; the canonical schema when the
        tool cannot be exported strictly (a free-form dict parameter, say)."""
        parameters = self._hardening.strict_parameters
        schema = dict(self.args_schema if parameters is None else parameters)  # type: ignore[arg-type]
        if self.description:
            schema["description"] = self.description
        # LangChain's strict pass edits nested schemas in place: hand it a copy every time.
        return copy.deepcopy(schema)

    def get_input_schema(self, config: RunnableConfig | None = None) -> type[pydantic.BaseModel]:
        # The original's schema, injected arguments included: LangGraph reads them from it.
        return self._hardening.reading.source.get_input_schema(config)

    # -- Runnable ----------------------------------------------------------------------------

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        tool_input, run_kwargs = self._prepare(input, config, kwargs)
        return self._call(tool_input, **run_kwargs)[0]

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        tool_input, run_kwargs = self._prepare(input, config, kwargs)
        return (await self._acall(tool_input, **run_kwargs))[0]

    def _prepare(
        self, value: Any, config: RunnableConfig | None, kwargs: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        config = ensure_config(config)
        if isinstance(value, dict) and value.get("type") in ("tool_call", "invalid_tool_call"):
            # The model's arguments as they came: a dict, or raw text LangChain could not parse.
            tool_call_id = value.get("id")
            tool_input = value.get("args")
            direct = False
        else:
            tool_call_id = None
            tool_input = value
            direct = True
        return tool_input, {
            "callbacks": config.get("callbacks"),
            "tags": config.get("tags"),
            "metadata": config.get("metadata"),
            "run_name": config.get("run_name"),
            "run_id": config.pop("run_id", None),
            "config": config,
            "tool_call_id": tool_call_id,
            "direct": direct,
            **kwargs,
        }

    # -- Tool --------------------------------------------------------------------------------

    def run(  # type: ignore[override]
        self,
        tool_input: Any,
        verbose: bool | None = None,
        start_color: str | None = "green",
        color: str | None = "green",
        callbacks: Any = None,
        *,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        run_name: str | None = None,
        run_id: Any = None,
        config: RunnableConfig | None = None,
        tool_call_id: str | None = None,
        **kwargs: Any,
    ) -> Any:
        return self._call(
            tool_input,
            verbose=verbose,
            start_color=start_color,
            color=color,
            callbacks=callbacks,
            tags=tags,
            metadata=metadata,
            run_name=run_name,
            run_id=run_id,
            config=config,
            tool_call_id=tool_call_id,
            direct=tool_call_id is None,
            **kwargs,
        )[0]

    async def arun(  # type: ignore[override]
        self,
        tool_input: Any,
        verbose: bool | None = None,
        start_color: str | None = "green",
        color: str | None = "green",
        callbacks: Any = None,
        *,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        run_name: str | None = None,
        run_id: Any = None,
        config: RunnableConfig | None = None,
        tool_call_id: str | None = None,
        **kwargs: Any,
    ) -> Any:
        return (
            await self._acall(
                tool_input,
                verbose=verbose,
                start_color=start_color,
                color=color,
                callbacks=callbacks,
                tags=tags,
                metadata=metadata,
                run_name=run_name,
                run_id=run_id,
                config=config,
                tool_call_id=tool_call_id,
                direct=tool_call_id is None,
                **kwargs,
            )
        )[0]

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("run_manager", None)
        kwargs.pop("config", None)
        return self._call(args[0] if args else kwargs, direct=True)[0]

    async def _arun(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("run_manager", None)
        kwargs.pop("config", None)
        return (await self._acall(args[0] if args else kwargs, direct=True))[0]

    # -- one call ------------------------------------------------------------------------------

    def _split(
        self, tool_input: Any, tool_call_id: str | None, config: RunnableConfig, direct: bool
    ) -> tuple[Any, LangChainCall]:
        """The model's raw arguments, and the call carrying the values LangGraph injected."""
        hardening = self._hardening
        reading = hardening.reading
        injected: dict[str, Any] = {}
        raw = tool_input
        if isinstance(tool_input, dict):
            keys = reading.injected_keys
            if _RAW_ARGUMENTS in tool_input:
                raw = tool_input[_RAW_ARGUMENTS]
                injected = {key: value for key, value in tool_input.items() if key in keys}
            elif keys and not keys.isdisjoint(tool_input):
                raw = {key: value for key, value in tool_input.items() if key not in keys}
                injected = {key: value for key, value in tool_input.items() if key in keys}
        elif direct and isinstance(tool_input, str) and reading.single_input is not None:
            # LangChain's own rule for text given to a one-argument tool: it is that argument.
            if not _looks_like_json(tool_input):
                raw = {reading.single_input: tool_input}
        call = LangChainCall(config, injected, tool_call_id)
        if hardening.captures_context:
            call.context = contextvars.copy_context()
            call.thread = threading.get_ident()
        return raw, call

    def _answer(self, result: ToolResult, call: LangChainCall, tool_call_id: str | None) -> Any:
        if call.propagate is not None:
            raise call.propagate
        if result.ok and call.passthrough is not _NOTHING:
            return call.passthrough
        if tool_call_id is None:
            if not result.ok:
                return result.content
            if call.content_blocks is not None:
                return call.content_blocks
            return result.output
        return _message(result, self.name, tool_call_id, call)

    def _call(
        self,
        tool_input: Any,
        *,
        verbose: bool | None = None,
        start_color: str | None = "green",
        color: str | None = "green",
        callbacks: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        run_name: str | None = None,
        run_id: Any = None,
        config: RunnableConfig | None = None,
        tool_call_id: str | None = None,
        direct: bool = False,
        **kwargs: Any,
    ) -> tuple[Any, ToolResult, LangChainCall]:
        config = ensure_config(config) if config is None else config
        raw, call = self._split(tool_input, tool_call_id, config, direct)
        hardening = self._hardening
        tool = cast(Tool, hardening.sync_tool or hardening.async_tool)
        call_id = tool_call_id or f"call_{next(_direct_ids)}"
        manager = CallbackManager.configure(
            callbacks, self.callbacks, self.verbose or bool(verbose), tags, self.tags, metadata, self.metadata
        )
        if not _listens_to_tools(manager.handlers):
            # Nobody listens: skip the run bookkeeping, but keep the config visible to the tool.
            token = var_child_runnable_config.set(config)
            try:
                result = tool.run(raw, call_id=call_id, mode=hardening.mode, context=call)
            finally:
                var_child_runnable_config.reset(token)
            return self._answer(result, call, tool_call_id), result, call
        run_manager = manager.on_tool_start(
            {"name": self.name, "description": self.description},
            tool_input if isinstance(tool_input, str) else str(raw),
            color=start_color,
            name=run_name,
            run_id=run_id,
            inputs=raw if isinstance(raw, dict) else None,
            tool_call_id=tool_call_id,
            **kwargs,
        )
        call.run_manager = run_manager
        try:
            with set_config_context(patch_config(config, callbacks=run_manager.get_child())) as context:
                if hardening.captures_context:
                    call.context = context
                result = context.run(tool.run, raw, call_id=call_id, mode=hardening.mode, context=call)
            output = self._answer(result, call, tool_call_id)
        except BaseException as error:
            run_manager.on_tool_error(error, tool_call_id=tool_call_id)
            raise
        run_manager.on_tool_end(output, color=color, name=self.name, **kwargs)
        return output, result, call

    async def _acall(
        self,
        tool_input: Any,
        *,
        verbose: bool | None = None,
        start_color: str | None = "green",
        color: str | None = "green",
        callbacks: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        run_name: str | None = None,
        run_id: Any = None,
        config: RunnableConfig | None = None,
        tool_call_id: str | None = None,
        direct: bool = False,
        **kwargs: Any,
    ) -> tuple[Any, ToolResult, LangChainCall]:
        config = ensure_config(config) if config is None else config
        raw, call = self._split(tool_input, tool_call_id, config, direct)
        hardening = self._hardening
        tool = cast(Tool, hardening.async_tool or hardening.sync_tool)
        call_id = tool_call_id or f"call_{next(_direct_ids)}"
        manager = AsyncCallbackManager.configure(
            callbacks, self.callbacks, self.verbose or bool(verbose), tags, self.tags, metadata, self.metadata
        )
        if not _listens_to_tools(manager.handlers):
            token = var_child_runnable_config.set(config)
            try:
                result = await tool.arun(raw, call_id=call_id, mode=hardening.mode, context=call)
            finally:
                var_child_runnable_config.reset(token)
            return self._answer(result, call, tool_call_id), result, call
        run_manager = await manager.on_tool_start(
            {"name": self.name, "description": self.description},
            tool_input if isinstance(tool_input, str) else str(raw),
            color=start_color,
            name=run_name,
            run_id=run_id,
            inputs=raw if isinstance(raw, dict) else None,
            tool_call_id=tool_call_id,
            **kwargs,
        )
        call.run_manager = run_manager
        try:
            with set_config_context(patch_config(config, callbacks=run_manager.get_child())) as context:
                if hardening.captures_context:
                    call.context = context
                result = await coro_with_context(
                    tool.arun(raw, call_id=call_id, mode=hardening.mode, context=call), context
                )
            output = self._answer(result, call, tool_call_id)
        except BaseException as error:
            await run_manager.on_tool_error(error, tool_call_id=tool_call_id)
            raise
        await run_manager.on_tool_end(output, color=color, name=self.name, **kwargs)
        return output, result, call


# --------------------------------------------------------------------------------------------
# harden()


def harden(obj: Any, **options: Any) -> Any:
    """A LangChain tool (or a list of them) whose calls go through toolproof.

    ``obj`` is a ``@tool``, a ``StructuredTool``, a ``BaseTool`` subclass or instance, a plain
    function, or a list of these (two with the same name are refused). Options:

    - the ``toolproof.ToolOptions``: ``timeout``, ``retry``, ``max_concurrency``, ``aliases``,
      ``extra_keys``, ``limits``, ``loose``, ``authorize`` (its ``context`` is a
      ``LangChainCall``, with the ``RunnableConfig`` as ``.config``), ``shared_state``, and
      ``max_result_bytes`` (default ``DEFAULT_MAX_RESULT_BYTES``; None for no cap);
    - ``mode``: ``"lenient"`` (default: repair what is unambiguous) or ``"strict"``;
    - ``fresh_instance``: for a ``BaseTool`` subclass, run each call on its own shallow copy of
      the instance, so what one call writes on ``self`` cannot reach a call running beside it.

    The result keeps the original's name, description, ``return_direct`` and
    ``response_format``; a definition that would fail at the first call (a name providers refuse,
    an ``args_schema`` that names arguments the function does not take) raises
    ``ToolDefinitionError`` here.
    """
    unknown = set(options) - _HARDEN_OPTIONS
    if unknown:
        raise TypeError(f"harden() got unknown options: {', '.join(sorted(unknown))}")
    if isinstance(obj, (list, tuple)):
        hardened = [harden(item, **options) for item in obj]
        _refuse_duplicates(hardened)
        return hardened
    if isinstance(obj, HardenedTool):
        if not options:
            return obj
        return _harden_one(obj.source, {**obj._hardening.options, **options})
    return _harden_one(_as_langchain_tool(obj), options)


def _harden_one(source: BaseTool, options: dict[str, Any]) -> HardenedTool:
    tool_options = {key: value for key, value in options.items() if key in _TOOL_OPTIONS}
    tool_options.setdefault("max_result_bytes", DEFAULT_MAX_RESULT_BYTES)
    shared_state = tool_options.pop("shared_state", "off")
    reading = _Reading(source, fresh_instance=bool(options.get("fresh_instance")), shared_state=shared_state)
    callee = reading.callee
    tools: dict[bool, Tool] = {}
    for use_coroutine, present in ((False, callee.function), (True, callee.coroutine)):
        if present is not None:
            tools[use_coroutine] = Tool.from_schema(
                reading.name,
                reading.schema,
                _wrapper(callee, use_coroutine=use_coroutine),
                description=source.description,
                **tool_options,
            )
    if not tools:
        raise ToolDefinitionError(f"tool '{reading.name}' has neither a function nor a coroutine to run")
    first = next(iter(tools.values()))
    fields: dict[str, Any] = {
        "name": reading.name,
        "description": source.description,
        "args_schema": first.schema,
        "return_direct": source.return_direct,
        "response_format": source.response_format,
        "verbose": source.verbose,
        "callbacks": source.callbacks,
        "tags": source.tags,
        "metadata": source.metadata,
        "func": reading.exposed_function,
        "coroutine": reading.exposed_coroutine,
    }
    if getattr(source, "extras", None) is not None:  # provider extras (cache_control ...), newer releases
        fields["extras"] = source.extras
    hardened = HardenedTool(**fields)
    hardened._hardening = _Hardening(
        reading, tools.get(False), tools.get(True), options.get("mode", "lenient"), dict(options)
    )
    return hardened


def _harden_for_node(tool: Any, options: dict[str, Any]) -> HardenedTool:
    """A node's options apply to every tool, except where a tool was hardened with its own."""
    if not isinstance(tool, HardenedTool):
        return cast(HardenedTool, harden(tool, **options))
    if not options:
        return tool
    return _harden_one(tool.source, {**options, **tool._hardening.options})


def _refuse_duplicates(tools: Sequence[HardenedTool]) -> None:
    # A registry refuses a second tool with a taken name, naming both definitions.
    Registry([tool.toolproof_tool for tool in tools], max_result_bytes=None)


# --------------------------------------------------------------------------------------------
# ToolNode


def tools_condition(state: Any, messages_key: str = "messages") -> Literal["tools", "__end__"]:
    """LangGraph's ``tools_condition``, also routing to the tools when the model's only calls are
    ones LangChain could not parse (which LangGraph's version ends the run on, unanswered)."""
    if isinstance(state, list):
        messages = state
    elif isinstance(state, dict):
        messages = state.get(messages_key, [])
    else:
        messages = getattr(state, messages_key, [])
    if not messages:
        raise ValueError(f"No messages found in input state to tool_edge: {state}")
    last = messages[-1]
    if getattr(last, "tool_calls", None) or getattr(last, "invalid_tool_calls", None):
        return "tools"
    return "__end__"


HandleToolErrors = bool | str | Callable[..., str] | type[Exception] | tuple[type[Exception], ...]


class ToolNode(LangGraphToolNode):
    """LangGraph's ``ToolNode``, dispatching every call of a turn through one toolproof engine.

    It takes the same input (a message list, a state dict with ``messages``, or tool calls) and
    gives the same output (``ToolMessage``s in call order, ``Command``s passed through), and:

    - answers the calls LangChain could not parse (``invalid_tool_calls``) too, after repairing
      their arguments when that is safe;
    - runs the calls of a turn in parallel (``max_concurrency`` at once, or the config's), each
      with its tool's timeout and retries, and keeps every sibling's result when one fails;
    - refuses two tools with the same name (LangGraph keeps the last one silently).

    Tools are hardened with ``options`` (see ``harden``); a tool hardened beforehand keeps the
    options it was given there. ``max_concurrency`` caps the calls of one turn running at once
    (LangGraph's ``config["max_concurrency"]`` when given wins); to cap one tool across turns, give
    that tool its own through ``harden``.
    ``handle_tool_errors`` decides what a tool's exception becomes: ``True`` (default) answers
    every failure with toolproof's text; ``False`` re-raises exceptions the tools raised; a
    string replaces the text of every failure; an exception type (or tuple) re-raises the others;
    a callable turns the exceptions its annotation names into text and re-raises the others.
    Argument problems, timeouts and unknown tools are always answered: the model can fix them.
    """

    def __init__(
        self,
        tools: Sequence[BaseTool | Callable[..., Any]],
        *,
        name: str = "tools",
        tags: list[str] | None = None,
        handle_tool_errors: HandleToolErrors = True,
        messages_key: str = "messages",
        wrap_tool_call: Any = None,
        awrap_tool_call: Any = None,
        max_concurrency: int | None = None,
        **options: Any,
    ) -> None:
        unknown = set(options) - _HARDEN_OPTIONS
        if unknown:
            raise TypeError(f"ToolNode() got unknown options: {', '.join(sorted(unknown))}")
        hardened = [_harden_for_node(tool, options) for tool in tools]
        _refuse_duplicates(hardened)
        super().__init__(
            hardened,
            name=name,
            tags=tags,
            handle_tool_errors=handle_tool_errors,
            messages_key=messages_key,
            wrap_tool_call=wrap_tool_call,
            awrap_tool_call=awrap_tool_call,
        )
        self._harden_options = options
        self._max_concurrency = max_concurrency
        # A turn is dispatched in one mode: strict only when every tool asked for it.
        strict = all(tool._hardening.mode == "strict" for tool in hardened)
        self._mode: Mode = "strict" if hardened and strict else "lenient"
        self._sync_registry = Registry(
            [cast(Tool, tool._hardening.sync_tool or tool._hardening.async_tool) for tool in hardened],
            max_result_bytes=None,
        )
        self._async_registry = Registry(
            [cast(Tool, tool._hardening.async_tool or tool._hardening.sync_tool) for tool in hardened],
            max_result_bytes=None,
        )
        self._tools_listen = any(tool.callbacks or tool.verbose for tool in hardened)
        self._needs_injection = {
            tool_name: bool(
                injected.state or injected.store or injected.runtime or injected.all_injected_keys
            )
            for tool_name, injected in self._injected_args.items()
        }

    @property
    def registry(self) -> Registry:
        """The registry the synchronous path dispatches through (its ``metrics()`` count the calls)."""
        return self._sync_registry

    # -- input ------------------------------------------------------------------------------

    def _parse_input(self, input: Any) -> tuple[list[Any], Literal["list", "dict", "tool_calls"]]:
        tool_calls, input_type = super()._parse_input(input)
        if input_type == "tool_calls":
            return tool_calls, input_type
        if isinstance(input, list):
            messages = input
        elif isinstance(input, dict):
            messages = input.get(self._messages_key, [])
        else:
            messages = getattr(input, self._messages_key, [])
        last = next(message for message in reversed(messages) if isinstance(message, AIMessage))
        if not last.invalid_tool_calls:
            return tool_calls, input_type
        invalid = [
            {
                "name": call.get("name") or "",
                "args": call.get("args"),
                "id": call.get("id"),
                "type": "tool_call",
            }
            for call in last.invalid_tool_calls
        ]
        return [*tool_calls, *invalid], input_type

    def _inject_tool_args(self, tool_call: Any, tool_runtime: Any, tool: BaseTool | None = None) -> Any:
        if not isinstance(tool_call.get("args"), dict):
            # Raw text travels beside the injected values; the tool reads it from there.
            tool_call = {**tool_call, "args": {_RAW_ARGUMENTS: tool_call.get("args")}}
        return super()._inject_tool_args(tool_call, tool_runtime, tool)

    def _validate_tool_call(self, call: Any) -> ToolMessage | None:
        requested = call["name"]
        if requested in self.tools_by_name:
            return None
        available = ", ".join(self.tools_by_name)
        return ToolMessage(
            f"Unknown tool '{requested}'. Available tools: {available}.",
            name=requested,
            tool_call_id=call["id"],
            status="error",
            response_metadata={"toolproof": {"code": "unknown_tool"}},
        )

    # -- the whole turn at once ---------------------------------------------------------------

    def _batch_applies(self, config: RunnableConfig) -> bool:
        """Dispatching the turn as one batch skips the per-call run bookkeeping, which only
        matters when someone listens (tracing, callbacks, streamed tool events) or a wrapper
        wants each call by itself."""
        if self._wrap_tool_call is not None or self._awrap_tool_call is not None or self._tools_listen:
            return False
        manager = CallbackManager.configure(config.get("callbacks"), None, False, config.get("tags"))
        return not _listens_to_tools(manager.handlers)

    def _func(self, input: Any, config: RunnableConfig, runtime: Any) -> Any:
        if not self._batch_applies(config):
            return super()._func(input, config, runtime)
        tool_calls, input_type = self._parse_input(input)
        token = var_child_runnable_config.set(config)
        try:
            batch, calls = self._batch(input, tool_calls, config, runtime)
            results = self._sync_registry.dispatch(
                calls,
                context=batch,
                mode=self._mode,
                max_concurrency=self._concurrency(config),
            )
        finally:
            var_child_runnable_config.reset(token)
        return self._combine_tool_outputs(
            self._outputs(tool_calls, calls, results, batch, input_type), input_type
        )

    async def _afunc(self, input: Any, config: RunnableConfig, runtime: Any) -> Any:
        if not self._batch_applies(config):
            return await super()._afunc(input, config, runtime)
        tool_calls, input_type = self._parse_input(input)
        token = var_child_runnable_config.set(config)
        try:
            batch, calls = self._batch(input, tool_calls, config, runtime)
            results = await self._async_registry.adispatch(
                calls,
                context=batch,
                mode=self._mode,
                max_concurrency=self._concurrency(config),
            )
        finally:
            var_child_runnable_config.reset(token)
        return self._combine_tool_outputs(
            self._outputs(tool_calls, calls, results, batch, input_type), input_type
        )

    def _concurrency(self, config: RunnableConfig) -> int | None:
        return config.get("max_concurrency") or self._max_concurrency

    def _batch(
        self, input: Any, tool_calls: list[Any], config: RunnableConfig, runtime: Any
    ) -> tuple[LangChainBatch, list[ToolCall]]:
        batch = LangChainBatch(config)
        calls: list[ToolCall] = []
        # Sync tools run on worker threads: they run in this context (the node's config, which
        # LangGraph's get_config() and interrupt() read), each call in a copy of its own.
        context = contextvars.copy_context()
        thread = threading.get_ident()
        for index, tool_call in enumerate(tool_calls):
            name = tool_call.get("name") or ""
            original_id = tool_call.get("id")
            # The engine answers each id once: a repeated or missing id gets one of its own.
            call_id = (
                original_id
                if original_id and original_id not in batch.calls
                else f"{original_id or 'call'}#{index}"
            )
            raw = tool_call.get("args")
            injected: dict[str, Any] = {}
            tool = self.tools_by_name.get(name)
            if tool is not None and self._needs_injection.get(name):
                tool_runtime = ToolRuntime(
                    state=self._extract_state(input, config),
                    tool_call_id=original_id,
                    config=config,
                    context=runtime.context,
                    store=runtime.store,
                    stream_writer=runtime.stream_writer,
                    tools=list(self.tools_by_name.values()),
                    execution_info=getattr(runtime, "execution_info", None),
                    server_info=getattr(runtime, "server_info", None),
                )
                arguments = self._inject_tool_args(tool_call, tool_runtime, tool)["args"]
                keys = cast(HardenedTool, tool)._hardening.reading.injected_keys
                injected = {key: value for key, value in arguments.items() if key in keys}
                if _RAW_ARGUMENTS in arguments:
                    raw = arguments[_RAW_ARGUMENTS]
                elif isinstance(raw, dict):
                    raw = {key: value for key, value in arguments.items() if key not in keys}
            call = LangChainCall(config, injected, original_id)
            call.context = context
            call.thread = thread
            batch.calls[call_id] = call
            calls.append(ToolCall(call_id, name, raw))
        return batch, calls

    def _outputs(
        self,
        tool_calls: list[Any],
        calls: list[ToolCall],
        results: list[ToolResult],
        batch: LangChainBatch,
        input_type: Literal["list", "dict", "tool_calls"],
    ) -> list[Any]:
        outputs: list[Any] = []
        for tool_call, call, result in zip(tool_calls, calls, results, strict=True):
            companion = batch.calls[call.id]
            if companion.propagate is not None:
                raise companion.propagate
            tool_call_id = tool_call.get("id") or call.id
            if result.ok and companion.passthrough is not _NOTHING:
                outputs.append(self._normalize_tool_response(companion.passthrough, tool_call, input_type))
                continue
            message = _message(result, call.name, tool_call_id, companion)
            outputs.append(self._handle_failure(result, message))
        return outputs

    # -- one call at a time (wrappers, callbacks) ---------------------------------------------

    def _tool_for(self, request: ToolCallRequest) -> HardenedTool | None:
        tool = request.tool
        if tool is None or isinstance(tool, HardenedTool):
            return tool
        # A wrapper swapped in a tool of its own: it gets the same treatment.
        return _harden_for_node(tool, self._harden_options)

    def _execute_tool_sync(self, request: ToolCallRequest, input_type: Any, config: RunnableConfig) -> Any:
        call = request.tool_call
        tool = self._tool_for(request)
        if tool is None:
            return self._validate_tool_call(call) or self._unknown(call)
        injected_call = self._inject_tool_args(call, request.runtime, tool)
        tool_input, run_kwargs = tool._prepare({**injected_call, "type": "tool_call"}, config, {})
        output, result, companion = tool._call(tool_input, **run_kwargs)
        return self._settle(output, result, companion, call, input_type)

    async def _execute_tool_async(
        self, request: ToolCallRequest, input_type: Any, config: RunnableConfig
    ) -> Any:
        call = request.tool_call
        tool = self._tool_for(request)
        if tool is None:
            return self._validate_tool_call(call) or self._unknown(call)
        injected_call = self._inject_tool_args(call, request.runtime, tool)
        tool_input, run_kwargs = tool._prepare({**injected_call, "type": "tool_call"}, config, {})
        output, result, companion = await tool._acall(tool_input, **run_kwargs)
        return self._settle(output, result, companion, call, input_type)

    def _unknown(self, call: Any) -> ToolMessage:
        return ToolMessage(
            f"Unknown tool '{call['name']}'.", name=call["name"], tool_call_id=call["id"], status="error"
        )

    def _settle(
        self, output: Any, result: ToolResult, companion: LangChainCall, call: Any, input_type: Any
    ) -> Any:
        if result.ok and companion.passthrough is not _NOTHING:
            # What the tool returned itself (a ToolMessage, a Command): LangGraph's checks apply.
            return self._normalize_tool_response(output, call, input_type)
        return self._handle_failure(result, output)

    def _handle_failure(self, result: ToolResult, message: ToolMessage) -> ToolMessage:
        """``handle_tool_errors``, applied to a failed result."""
        if result.ok:
            return message
        policy = self._handle_tool_errors
        if policy is True:
            return message
        if isinstance(policy, str):
            message.content = policy
            return message
        error = result.exception
        if error is None or not isinstance(error, Exception) or is_invalid_resume(error):
            return message
        if policy is False or policy is None:
            raise error
        if isinstance(policy, type) and issubclass(policy, Exception):
            handled: tuple[type[Exception], ...] = (policy,)
        elif isinstance(policy, tuple):
            handled = policy
        else:
            handled = _infer_handled_types(cast(Callable[..., str], policy))
        if not isinstance(error, handled):
            raise error
        if callable(policy) and not isinstance(policy, type):
            message.content = policy(error)
        return message


# --------------------------------------------------------------------------------------------
# create_agent


class ToolproofMiddleware(AgentMiddleware):
    """``create_agent`` with toolproof: ``create_agent(model, middleware=[ToolproofMiddleware(tools,
    **options)])``, the tools given here rather than in ``tools=``.

    The agent gets the tools hardened (see ``harden``; two with the same name are refused), and
    the calls LangChain could not parse are answered instead of ending the run unanswered: each
    is moved among the message's ``tool_calls`` with its arguments repaired, or, when no safe
    repair exists, answered at once with what is wrong, so the model can call again.
    """

    def __init__(self, tools: Sequence[BaseTool | Callable[..., Any]], **options: Any) -> None:
        super().__init__()
        self.tools = harden(list(tools), **options)
        self._by_name: dict[str, HardenedTool] = {tool.name: tool for tool in self.tools}
        self._mode = cast(Mode, options.get("mode", "lenient"))

    def after_model(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        messages = state["messages"]
        last = messages[-1] if messages else None
        if not isinstance(last, AIMessage) or not last.invalid_tool_calls:
            return None
        moved: list[Any] = []
        answers: list[ToolMessage] = []
        repaired: dict[str, Any] = {}
        for invalid in last.invalid_tool_calls:
            name = invalid.get("name") or ""
            call_id = invalid.get("id") or ""
            raw = invalid.get("args")
            tool = self._by_name.get(name)
            if tool is None:
                text = f"Unknown tool '{name}'. Available tools: {', '.join(self._by_name)}."
                code = "unknown_tool"
            else:
                try:
                    parsed = tool.toolproof_tool.parse_args(raw, mode=self._mode)
                except ArgumentError as error:
                    text, code = error.for_model(), "invalid_arguments"
                else:
                    # The model reads the call back as it was meant, and runs it like any other.
                    moved.append(make_tool_call(name=name, args=parsed.arguments, id=call_id))
                    repaired[call_id] = {
                        "raw": raw,
                        "repairs": [repair.to_dict() for repair in parsed.repairs],
                    }
                    continue
            # No safe repair: the call is answered now, so the model can make it again.
            moved.append(make_tool_call(name=name, args={}, id=call_id))
            answers.append(
                ToolMessage(
                    text,
                    tool_call_id=call_id,
                    name=name,
                    status="error",
                    response_metadata={"toolproof": {"code": code, "raw": raw}},
                )
            )
        metadata = dict(last.response_metadata)
        if repaired:
            metadata["toolproof"] = {**metadata.get("toolproof", {}), "repaired_calls": repaired}
        # Same id: the message replaces the one the model sent.
        fixed = last.model_copy(
            update={
                "tool_calls": [*last.tool_calls, *moved],
                "invalid_tool_calls": [],
                "response_metadata": metadata,
            }
        )
        return {"messages": [fixed, *answers]}
