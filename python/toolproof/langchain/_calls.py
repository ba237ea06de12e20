"""What one LangChain tool call carries besides the model's arguments, and what it leaves behind."""

from __future__ import annotations

import contextvars
from collections.abc import Iterable
from typing import Any, cast

from langchain_core.runnables import RunnableConfig

from toolproof.context import CallContext

NOTHING: Any = object()
"""A call that left no value of its own for the node to pass on (no ToolMessage, no Command)."""

_TOOL_EVENTS = ("on_tool_start", "on_tool_end", "on_tool_error")


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
        "value",
    )

    def __init__(self, config: RunnableConfig, injected: dict[str, Any], tool_call_id: str | None) -> None:
        self.config = config
        self.injected = injected
        self.tool_call_id = tool_call_id
        self.run_manager: Any = None
        self.artifact: Any = None
        self.passthrough: Any = NOTHING
        # What the function returned, for a direct call: Python code gets the value itself.
        self.value: Any = NOTHING
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


def listens_to_tools(handlers: Iterable[Any]) -> bool:
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


def call_of(call_context: CallContext) -> LangChainCall:
    context = call_context.context
    if type(context) is LangChainCall:
        return context
    return cast(LangChainBatch, context).calls[call_context.call.id]
