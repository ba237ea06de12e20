"""The hardened LangChain tool: a ``BaseTool`` whose calls travel toolproof's road."""

from __future__ import annotations

import contextvars
import itertools
import threading
from collections.abc import Callable
from typing import Any, Literal, cast

import pydantic
import pydantic.v1
from langchain_core.callbacks import AsyncCallbackManager, CallbackManager
from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig, ensure_config, patch_config
from langchain_core.runnables.config import set_config_context, var_child_runnable_config
from langchain_core.runnables.utils import coro_with_context
from langchain_core.tools import BaseTool, StructuredTool, ToolException
from langchain_core.utils.pydantic import TypeBaseModel

from toolproof._adapt.constants import RAW_ARGUMENTS
from toolproof._adapt.failures import (
    argument_failure_exception,
    code_of,
    decided_by_toolproof,
    failure_exception,
    is_argument_failure,
)
from toolproof._adapt.parameters import PermissiveArguments, model_facing_parameters, permissive_arguments
from toolproof._core import ToolResult
from toolproof.codes import ResultCode
from toolproof.errors import ToolError
from toolproof.langchain._calls import NOTHING, LangChainCall, listens_to_tools
from toolproof.langchain._reading import Reading
from toolproof.tools import Tool

Mode = Literal["lenient", "strict"]

_direct_ids = itertools.count()


def message_for(
    result: ToolResult,
    name: str,
    tool_call_id: str | None,
    call: LangChainCall | None,
    content: Any = None,
) -> ToolMessage:
    """The ToolMessage for one result: toolproof's text (or ``content``), ``status="error"`` for a
    failure, what toolproof did in ``response_metadata["toolproof"]``."""
    if content is None:
        content = result.content
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


class Hardening:
    """What a HardenedTool adds to the LangChain tool it replaces."""

    __slots__ = (
        "async_tool",
        "captures_context",
        "mode",
        "options",
        "origin",
        "reading",
        "sync_tool",
        "tool_call_schema",
    )

    def __init__(
        self,
        reading: Reading,
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
        # What harden() was given (and its kind), for hardening it again with other options.
        self.origin: tuple[Any, Any] = (reading.source, None)
        first = cast(Tool, sync_tool or async_tool)
        # Off the calling thread (a timeout, or an async-only tool called synchronously), the
        # function still runs in the caller's context.
        self.captures_context = first.timeout is not None or sync_tool is None
        # toolproof's strict export (the canonical schema when it cannot be strict), as the pydantic
        # model LangChain expects a tool_call_schema to be.
        parameters = model_facing_parameters(first)
        if first.description:
            parameters = {**parameters, "description": first.description}
        self.tool_call_schema: type[PermissiveArguments] = permissive_arguments(first, parameters)


class Outcome:
    """One finished call: the ToolResult, what the call left behind, and, for a failure LangChain
    would raise, the exception (already reported to the callbacks as the run's error)."""

    __slots__ = ("call", "error", "output", "result")

    def __init__(
        self, result: ToolResult, call: LangChainCall, output: Any, error: BaseException | None
    ) -> None:
        self.result = result
        self.call = call
        self.output = output
        self.error = error


class HardenedTool(StructuredTool):
    """A LangChain tool whose calls go through toolproof: made by ``harden()``.

    Every call travels the road (arguments repaired and validated, timeout, retries, the result
    encoded as JSON). Failures come back as LangChain's own tools return or raise them: the tool's
    ``handle_tool_error`` and ``handle_validation_error`` answer what they cover (with toolproof's
    text for a flag of ``True``); the rest is raised (refused arguments as an
    ``ArgumentValidationError``, a ``pydantic.ValidationError`` LangGraph answers by default; the
    tool's exception as it raised it) and reported to the callbacks as the run's error. A failure
    toolproof decided itself (a timeout, a result that is not JSON, a denied call) is answered with
    its text, ``status="error"``. LangGraph's interrupts pass through.
    """

    # One private attribute: each costs a pydantic __getattr__ on every call.
    _hardening: Hardening = pydantic.PrivateAttr()

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
    def tool_call_schema(self) -> Any:  # type: ignore[override]
        """The parameters the model is sent: toolproof's strict export (every property required,
        optional ones nullable, no undeclared keys), which LangChain's own strict pass leaves as
        it is, so ``bind_tools(..., strict=True)`` sends a schema OpenAI accepts; the canonical
        schema when the tool cannot be exported strictly (a free-form dict parameter, say). A
        pydantic model, or a dict when the original's ``args_schema`` is a JSON Schema dict."""
        schema = self._hardening.tool_call_schema
        if isinstance(self.args_schema, dict):
            return schema.model_json_schema()
        return schema

    def get_input_schema(self, config: RunnableConfig | None = None) -> TypeBaseModel:
        # The original's schema, injected arguments included: LangGraph reads them from it.
        return self._hardening.reading.source.get_input_schema(config)

    @property
    def args(self) -> dict[str, Any]:
        """The original's argument properties, as LangChain describes them."""
        return self._hardening.reading.source.args

    @property
    def _injected_args_keys(self) -> frozenset[str]:  # type: ignore[override]
        # What LangChain and LangGraph inject into the original, InjectedToolCallId included.
        reading = self._hardening.reading
        return reading.injected_keys | reading.call_id_keys

    # -- Runnable ----------------------------------------------------------------------------

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        tool_input, run_kwargs = self._prepare(input, config, kwargs)
        return self._finish(self._call(tool_input, **run_kwargs))

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        tool_input, run_kwargs = self._prepare(input, config, kwargs)
        return self._finish(await self._acall(tool_input, **run_kwargs))

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
        return self._finish(
            self._call(
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
        )

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
        return self._finish(
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
        )

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("run_manager", None)
        kwargs.pop("config", None)
        return self._finish(self._call(args[0] if args else kwargs, direct=True))

    async def _arun(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("run_manager", None)
        kwargs.pop("config", None)
        return self._finish(await self._acall(args[0] if args else kwargs, direct=True))

    # -- one call ------------------------------------------------------------------------------

    @staticmethod
    def _finish(outcome: Outcome) -> Any:
        if outcome.error is not None:
            raise outcome.error
        return outcome.output

    def _split(
        self, tool_input: Any, tool_call_id: str | None, config: RunnableConfig, direct: bool
    ) -> tuple[Any, LangChainCall]:
        """The model's raw arguments, and the call carrying the values LangGraph injected."""
        hardening = self._hardening
        reading = hardening.reading
        injected: dict[str, Any] = {}
        raw = tool_input
        if isinstance(tool_input, dict):
            keys = reading.injected_keys | reading.call_id_keys
            if RAW_ARGUMENTS in tool_input:
                raw = tool_input[RAW_ARGUMENTS]
                injected = {key: value for key, value in tool_input.items() if key in keys}
            elif keys and not keys.isdisjoint(tool_input):
                raw = {key: value for key, value in tool_input.items() if key not in keys}
                injected = {key: value for key, value in tool_input.items() if key in keys}
            if reading.simple and isinstance(raw, dict) and set(raw) != {reading.simple}:
                # LangChain's single-input Tool takes a dict of one value as that value.
                if len(raw) != 1:
                    raise ToolException(
                        f"Too many arguments to single-input tool {self.name}.\n"
                        f"                Consider using StructuredTool instead. Args: {list(raw.values())}"
                    )
                raw = {reading.simple: next(iter(raw.values()))}
        if (
            direct
            and isinstance(raw, dict)
            and any(isinstance(v, pydantic.v1.BaseModel) for v in raw.values())
        ):
            # Python code may pass a pydantic.v1 model where the model would send its fields.
            raw = {key: v.dict() if isinstance(v, pydantic.v1.BaseModel) else v for key, v in raw.items()}
        if direct and isinstance(tool_input, str) and reading.first_input is not None:
            # LangChain's own rule for text given to a tool directly: it is the first argument.
            if not _looks_like_json(tool_input):
                raw = {reading.first_input: tool_input}
        if tool_call_id is None:
            missing = reading.call_id_keys - injected.keys()
            if missing:
                raise ValueError(
                    "When tool includes an InjectedToolCallId argument, tool must always be invoked with a "
                    "full model ToolCall of the form: {'args': {...}, 'name': '...', 'type': 'tool_call', "
                    "'tool_call_id': '...'}"
                )
        call = LangChainCall(config, injected, tool_call_id)
        if hardening.captures_context:
            call.context = contextvars.copy_context()
            call.thread = threading.get_ident()
        return raw, call

    def _exception(self, result: ToolResult, raw: Any) -> BaseException:
        """The exception LangChain would raise for a failed call (the road's problems read again
        from ``raw`` for refused arguments)."""
        return failure_exception(result, self._reread(raw))

    def _reread(self, raw: Any) -> Callable[[], Any]:
        """The road run again on ``raw``, raising the ``ArgumentError`` that lists each problem."""
        hardening = self._hardening
        tool = cast(Tool, hardening.sync_tool or hardening.async_tool)
        return lambda: tool.parse_args(raw, mode=hardening.mode)

    def _handled_content(self, result: ToolResult, raw: Any) -> Any:
        """What the model reads for a failure this tool's own ``handle_validation_error`` or
        ``handle_tool_error`` covers (LangChain's rules; ``True`` gives toolproof's text), or
        ``NOTHING`` when LangChain would raise it. A failure toolproof decided (a timeout, a result
        that is not JSON, a denied call) is answered with its text: LangChain has none of them."""
        if decided_by_toolproof(result):
            return result.content
        if is_argument_failure(result):
            on_invalid = self.handle_validation_error
            if not on_invalid:
                return NOTHING
            if isinstance(on_invalid, str):
                return on_invalid
            if callable(on_invalid) and not isinstance(on_invalid, bool):
                return on_invalid(argument_failure_exception(result, self._reread(raw)))
            return result.content
        error = result.exception
        on_error = self.handle_tool_error
        if not on_error or not isinstance(error, ToolException):
            return NOTHING
        if isinstance(on_error, str):
            return on_error
        if callable(on_error) and not isinstance(on_error, bool):
            return on_error(error)
        if isinstance(error, ToolError):
            return result.content
        return error.args[0] if error.args else "Tool execution error"

    def _outcome(
        self, result: ToolResult, call: LangChainCall, tool_call_id: str | None, raw: Any
    ) -> Outcome:
        if call.propagate is not None:
            raise call.propagate
        if result.ok:
            if call.passthrough is not NOTHING:
                return Outcome(result, call, call.passthrough, None)
            if tool_call_id is not None:
                return Outcome(result, call, message_for(result, self.name, tool_call_id, call), None)
            return Outcome(result, call, call.content_blocks or result.output, None)
        if (
            tool_call_id is None
            and call.value is not NOTHING
            and code_of(result) == ResultCode.UNSERIALIZABLE_RESULT
        ):
            # Called directly, not by a model: the value is the answer, whether or not it is JSON.
            return Outcome(result, call, call.value, None)
        try:
            content = self._handled_content(result, raw)
        except Exception as raised:
            # A handler that raises makes the call fail with what it raised, as in LangChain,
            # where the node's own handle_tool_errors then decides.
            return Outcome(result, call, None, raised)
        if content is NOTHING:
            return Outcome(result, call, None, self._exception(result, raw))
        if tool_call_id is None:
            return Outcome(result, call, content, None)
        return Outcome(result, call, message_for(result, self.name, tool_call_id, call, content), None)

    def _begin(
        self, tool_input: Any, config: RunnableConfig | None, tool_call_id: str | None, direct: bool
    ) -> tuple[RunnableConfig, Any, LangChainCall, str]:
        """What both a sync and an async call start from: the config, the model's raw arguments,
        the call carrying what LangGraph injected, and the call's id (made up when called
        directly)."""
        config = ensure_config(config) if config is None else config
        raw, call = self._split(tool_input, tool_call_id, config, direct)
        return config, raw, call, tool_call_id or f"call_{next(_direct_ids)}"

    def _manager_settings(
        self, callbacks: Any, verbose: bool | None, tags: list[str] | None, metadata: dict[str, Any] | None
    ) -> tuple[Any, ...]:
        """The arguments of ``CallbackManager.configure`` (or its async twin) for one call."""
        return (
            callbacks,
            self.callbacks,
            self.verbose or bool(verbose),
            tags,
            self.tags,
            metadata,
            self.metadata,
        )

    def _start(
        self,
        tool_input: Any,
        raw: Any,
        start_color: str | None,
        run_name: str | None,
        run_id: Any,
        tool_call_id: str | None,
    ) -> tuple[dict[str, Any], str, dict[str, Any]]:
        """What ``on_tool_start`` is told, as LangChain tells it: the tool, its input as text, and
        the keywords (the caller's own extra keywords are passed beside them)."""
        return (
            {"name": self.name, "description": self.description},
            tool_input if isinstance(tool_input, str) else str(raw),
            {
                "color": start_color,
                "name": run_name,
                "run_id": run_id,
                "inputs": raw if isinstance(tool_input, dict) and isinstance(raw, dict) else None,
                "tool_call_id": tool_call_id,
            },
        )

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
    ) -> Outcome:
        config, raw, call, call_id = self._begin(tool_input, config, tool_call_id, direct)
        hardening = self._hardening
        tool = cast(Tool, hardening.sync_tool or hardening.async_tool)
        manager = CallbackManager.configure(*self._manager_settings(callbacks, verbose, tags, metadata))
        if not listens_to_tools(manager.handlers):
            # Nobody listens: skip the run bookkeeping, but keep the config visible to the tool.
            token = var_child_runnable_config.set(config)
            try:
                result = tool.run(raw, call_id=call_id, mode=hardening.mode, context=call)
            finally:
                var_child_runnable_config.reset(token)
            return self._outcome(result, call, tool_call_id, raw)
        serialized, input_text, start = self._start(
            tool_input, raw, start_color, run_name, run_id, tool_call_id
        )
        run_manager = manager.on_tool_start(serialized, input_text, **start, **kwargs)
        call.run_manager = run_manager
        try:
            with set_config_context(patch_config(config, callbacks=run_manager.get_child())) as context:
                if hardening.captures_context:
                    call.context = context
                result = context.run(tool.run, raw, call_id=call_id, mode=hardening.mode, context=call)
            outcome = self._outcome(result, call, tool_call_id, raw)
        except BaseException as error:
            run_manager.on_tool_error(error, tool_call_id=tool_call_id)
            raise
        if outcome.error is not None:
            run_manager.on_tool_error(outcome.error, tool_call_id=tool_call_id)
        else:
            run_manager.on_tool_end(outcome.output, color=color, name=self.name, **kwargs)
        return outcome

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
    ) -> Outcome:
        config, raw, call, call_id = self._begin(tool_input, config, tool_call_id, direct)
        hardening = self._hardening
        tool = cast(Tool, hardening.async_tool or hardening.sync_tool)
        manager = AsyncCallbackManager.configure(*self._manager_settings(callbacks, verbose, tags, metadata))
        if not listens_to_tools(manager.handlers):
            token = var_child_runnable_config.set(config)
            try:
                result = await tool.arun(raw, call_id=call_id, mode=hardening.mode, context=call)
            finally:
                var_child_runnable_config.reset(token)
            return self._outcome(result, call, tool_call_id, raw)
        serialized, input_text, start = self._start(
            tool_input, raw, start_color, run_name, run_id, tool_call_id
        )
        run_manager = await manager.on_tool_start(serialized, input_text, **start, **kwargs)
        call.run_manager = run_manager
        try:
            with set_config_context(patch_config(config, callbacks=run_manager.get_child())) as context:
                if hardening.captures_context:
                    call.context = context
                result = await coro_with_context(
                    tool.arun(raw, call_id=call_id, mode=hardening.mode, context=call), context
                )
            outcome = self._outcome(result, call, tool_call_id, raw)
        except BaseException as error:
            await run_manager.on_tool_error(error, tool_call_id=tool_call_id)
            raise
        if outcome.error is not None:
            await run_manager.on_tool_error(outcome.error, tool_call_id=tool_call_id)
        else:
            await run_manager.on_tool_end(outcome.output, color=color, name=self.name, **kwargs)
        return outcome
