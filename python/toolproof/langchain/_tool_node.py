"""LangGraph's ``ToolNode`` and ``tools_condition``, every call of a turn dispatched through toolproof."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

from langchain_core.callbacks import CallbackManager
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.messages import ToolCall as LangChainToolCall
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import var_child_runnable_config
from langchain_core.tools import BaseTool, ToolException
from langgraph.errors import GraphBubbleUp
from langgraph.prebuilt import ToolNode as LangGraphToolNode
from langgraph.prebuilt.tool_node import (
    ToolCallRequest,
    ToolInvocationError,
    ToolRuntime,
    _default_handle_tool_errors,
    _infer_handled_types,
)

from toolproof._adapt.constants import RAW_ARGUMENTS
from toolproof._adapt.text import ArgumentValidationError
from toolproof._core import ToolCall, ToolResult
from toolproof.langchain._calls import NOTHING, LangChainBatch, LangChainCall, listens_to_tools
from toolproof.langchain._harden import HARDEN_OPTIONS, harden_for_node, refuse_duplicates
from toolproof.langchain._hardened import HardenedTool, Mode, Outcome, message_for
from toolproof.registry import Registry
from toolproof.tools import Tool

if TYPE_CHECKING:
    from toolproof.otel import Telemetry

try:
    from langgraph.errors import is_invalid_resume
except ImportError:  # older langgraph releases cannot tell a bad resume value apart

    def is_invalid_resume(error: BaseException) -> bool:
        return False


HandleToolErrors = bool | str | Callable[..., Any] | type[Exception] | tuple[type[Exception], ...]


class ToolArgumentsError(ToolInvocationError):
    """LangGraph's ``ToolInvocationError`` for arguments the road refused: what a ``ToolNode``'s
    ``handle_tool_errors`` sees for them, as LangGraph's does for a pydantic ``ValidationError``.
    ``message`` is the road's text for the model; ``source`` the ``ArgumentValidationError``."""

    def __init__(self, tool_name: str, source: ArgumentValidationError, tool_kwargs: Any) -> None:
        self.message = source.for_model()
        self.tool_name = tool_name
        self.tool_kwargs = tool_kwargs
        self.source = source
        self.filtered_errors = source.errors()
        ToolException.__init__(self, self.message)


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


class ToolNode(LangGraphToolNode):
    """LangGraph's ``ToolNode``, dispatching every call of a turn through one toolproof engine.

    It takes the same input (a message list, a state dict with ``messages``, or tool calls), gives
    the same output (``ToolMessage``s in call order, ``Command``s passed through) and handles
    failures as LangGraph's does, and:

    - answers the calls LangChain could not parse (``invalid_tool_calls``) too, after repairing
      their arguments when that is safe;
    - runs the calls of a turn in parallel (``max_concurrency`` at once, or the config's), each
      with its tool's timeout and retries;
    - refuses two tools with the same name (LangGraph keeps the last one silently).

    Tools are hardened with ``options`` (see ``harden``); a tool hardened beforehand keeps the
    options it was given there. ``max_concurrency`` caps the calls of one turn running at once
    (LangGraph's ``config["max_concurrency"]`` when given wins); to cap one tool across turns, give
    that tool its own through ``harden``.

    ``handle_tool_errors`` decides what a failure the tool itself does not answer becomes, as in
    LangGraph: by default arguments the road refused are answered with what to fix, and any other
    exception is raised (a graph's ``RetryPolicy`` sees it; the turn's other results are lost).
    ``True`` answers every failure with toolproof's text and keeps every sibling's result; a
    string replaces the text of every failure; an exception type (or tuple) answers those and
    raises the others; a callable turns the exceptions its annotation names into text and raises
    the others. Unknown tools are always answered: the model can fix them.
    """

    def __init__(
        self,
        tools: Sequence[BaseTool | Callable[..., Any]],
        *,
        name: str = "tools",
        tags: list[str] | None = None,
        handle_tool_errors: HandleToolErrors = _default_handle_tool_errors,
        messages_key: str = "messages",
        wrap_tool_call: Any = None,
        awrap_tool_call: Any = None,
        max_concurrency: int | None = None,
        **options: Any,
    ) -> None:
        unknown = set(options) - HARDEN_OPTIONS
        if unknown:
            raise TypeError(f"ToolNode() got unknown options: {', '.join(sorted(unknown))}")
        hardened = [harden_for_node(tool, options) for tool in tools]
        refuse_duplicates(hardened)
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
        sync_tools = [
            cast(Tool, tool._hardening.sync_tool or tool._hardening.async_tool) for tool in hardened
        ]
        telemetry = _batch_telemetry(options, sync_tools)
        self._sync_registry = Registry(sync_tools, max_result_bytes=None, telemetry=telemetry)
        self._async_registry = Registry(
            [cast(Tool, tool._hardening.async_tool or tool._hardening.sync_tool) for tool in hardened],
            max_result_bytes=None,
            telemetry=telemetry,
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
            tool_call = {**tool_call, "args": {RAW_ARGUMENTS: tool_call.get("args")}}
        return super()._inject_tool_args(tool_call, tool_runtime, tool)

    # -- failures ------------------------------------------------------------------------------

    def _answer(
        self, error: Exception, call: Any, text: str | None, message: ToolMessage | None
    ) -> ToolMessage:
        """``handle_tool_errors`` applied to ``error``: the message answering it, or ``error``
        raised. ``text`` is toolproof's text for it (None for a failure LangGraph formats itself);
        ``message`` the error message to answer with, made here when not given."""
        if is_invalid_resume(error):
            # The model cannot fix a resume value that does not match an interrupt's schema.
            raise error
        policy = self._handle_tool_errors
        if isinstance(policy, type) and issubclass(policy, Exception):
            handled: tuple[type[Exception], ...] = (policy,)
        elif isinstance(policy, tuple):
            handled = policy
        elif callable(policy) and not isinstance(policy, type):
            handled = _infer_handled_types(policy)
        else:
            handled = (Exception,)
        if not policy or not isinstance(error, handled):
            raise error
        if isinstance(policy, str):
            content: Any = policy
        elif callable(policy) and not isinstance(policy, type):
            content = policy(error)
        else:
            content = text if text is not None else f"Error: {error!r}\n Please fix your mistakes."
        if message is None:
            return ToolMessage(content=content, name=call["name"], tool_call_id=call["id"], status="error")
        message.content = content
        return message

    def _settle(self, outcome: Outcome, call: Any, tool_call_id: str | None, input_type: Any) -> Any:
        """One finished call as the node returns it: a message, what the tool returned itself, or
        its failure through ``handle_tool_errors``."""
        result = outcome.result
        if outcome.error is None:
            if result.ok and outcome.call.passthrough is not NOTHING:
                try:
                    return self._normalize_tool_response(outcome.call.passthrough, call, input_type)
                except GraphBubbleUp:
                    raise
                except Exception as error:
                    # A Command the graph cannot take: through handle_tool_errors, as LangGraph does.
                    return self._answer(error, call, None, None)
            return outcome.output
        failure = outcome.error
        if not isinstance(failure, Exception):
            raise failure  # a cancellation or an interrupt: never answered
        if isinstance(failure, ArgumentValidationError):
            failure = ToolArgumentsError(call["name"], failure, call.get("args"))
        message = message_for(result, call["name"], tool_call_id, outcome.call)
        return self._answer(failure, call, result.content, message)

    # -- the whole turn at once ---------------------------------------------------------------

    def _batch_applies(self, config: RunnableConfig) -> bool:
        """Dispatching the turn as one batch skips the per-call run bookkeeping, which only
        matters when someone listens (tracing, callbacks, streamed tool events) or a wrapper
        wants each call by itself."""
        if self._wrap_tool_call is not None or self._awrap_tool_call is not None or self._tools_listen:
            return False
        manager = CallbackManager.configure(config.get("callbacks"), None, False, config.get("tags"))
        return not listens_to_tools(manager.handlers)

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
                if RAW_ARGUMENTS in arguments:
                    raw = arguments[RAW_ARGUMENTS]
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
        tool_calls: list[LangChainToolCall],
        calls: list[ToolCall],
        results: list[ToolResult],
        batch: LangChainBatch,
        input_type: Literal["list", "dict", "tool_calls"],
    ) -> list[Any]:
        outputs: list[Any] = []
        for tool_call, call, result in zip(tool_calls, calls, results, strict=True):
            companion = batch.calls[call.id]
            tool_call_id = tool_call.get("id") or call.id
            tool = self.tools_by_name.get(call.name)
            if tool is None:
                # Unknown to the node: answered with the tools there are, in LangGraph's words.
                outputs.append(self._validate_tool_call({**tool_call, "name": call.name, "id": tool_call_id}))
                continue
            outcome = cast(HardenedTool, tool)._outcome(result, companion, tool_call_id, call.arguments)
            outputs.append(self._settle(outcome, {**tool_call, "id": tool_call_id}, tool_call_id, input_type))
        return outputs

    # -- one call at a time (wrappers, callbacks) ---------------------------------------------

    def _tool_for(self, request: ToolCallRequest) -> HardenedTool | None:
        tool = request.tool
        if tool is None or isinstance(tool, HardenedTool):
            return tool
        # A wrapper swapped in a tool of its own: it gets the same treatment.
        return harden_for_node(tool, self._harden_options)

    def _execute_tool_sync(self, request: ToolCallRequest, input_type: Any, config: RunnableConfig) -> Any:
        call = request.tool_call
        tool = self._tool_for(request)
        if tool is None:
            return cast(ToolMessage, self._validate_tool_call(call))
        injected_call = self._inject_tool_args(call, request.runtime, tool)
        tool_input, run_kwargs = tool._prepare({**injected_call, "type": "tool_call"}, config, {})
        outcome = tool._call(tool_input, **run_kwargs)
        return self._settle(outcome, call, call["id"], input_type)

    async def _execute_tool_async(
        self, request: ToolCallRequest, input_type: Any, config: RunnableConfig
    ) -> Any:
        call = request.tool_call
        tool = self._tool_for(request)
        if tool is None:
            return cast(ToolMessage, self._validate_tool_call(call))
        injected_call = self._inject_tool_args(call, request.runtime, tool)
        tool_input, run_kwargs = tool._prepare({**injected_call, "type": "tool_call"}, config, {})
        outcome = await tool._acall(tool_input, **run_kwargs)
        return self._settle(outcome, call, call["id"], input_type)


def _batch_telemetry(options: dict[str, Any], tools: Sequence[Tool]) -> Telemetry | None:
    """The telemetry a turn dispatched as one batch records with: the node's, else the one its
    tools were hardened with when they agree (each call run by itself records with its tool's)."""
    if options.get("telemetry") is not None:
        return cast("Telemetry", options["telemetry"])
    given = {id(tool.telemetry): tool.telemetry for tool in tools if tool.telemetry is not None}
    return next(iter(given.values())) if len(given) == 1 else None
