"""The model → tools → model loop, for code that talks to a provider's SDK directly.

``model_call(messages)`` sends the conversation to the model (with ``registry.schemas(...)`` as its
tools) and returns the provider's response; the loop dispatches the calls in it through the
registry, appends the assistant turn and the results in the provider's format, and asks again,
until the model answers without calls, the iteration limit is reached, or the model keeps asking
for a call it already made.
"""

from __future__ import annotations

import inspect
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from toolproof._core import ToolCall, ToolResult
from toolproof.formats import assistant_message, results_to_messages, to_tool_calls
from toolproof.registry import Registry
from toolproof.tools import Provider

__all__ = ["AgentResult", "arun_agent", "run_agent"]

StopReason = Literal["final_answer", "max_iterations", "repeated_call"]


@dataclass
class AgentResult:
    """How a run ended: the last text the model wrote, why it stopped, and the whole exchange."""

    final_text: str
    stop_reason: StopReason
    iterations: int
    messages: list[Any]
    """The conversation as sent to the model, with every turn the loop added."""
    results: list[ToolResult] = field(default_factory=list)
    """Every tool result, in the order they were produced."""
    response: Any = None
    """The model's last response, as the SDK returned it."""


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def detect_provider(response: Any) -> Provider:
    """Which provider format a model response is in."""
    if _field(response, "choices") is not None:
        return "openai"
    if _field(response, "candidates") is not None:
        return "gemini"
    if _field(response, "output") is not None:
        return "openai-responses"
    content = _field(response, "content")
    if isinstance(content, list) or _field(response, "stop_reason") is not None:
        return "anthropic"
    raise TypeError(
        f"cannot tell which provider produced {type(response).__name__}; pass provider= "
        "('openai', 'openai-responses', 'anthropic' or 'gemini')"
    )


def response_text(response: Any, provider: Provider) -> str:
    """The text the model wrote in a response (empty when it only called tools)."""
    if provider == "openai":
        choices = _field(response, "choices") or []
        message = _field(choices[0], "message") if choices else None
        return _field(message, "content") or "" if message is not None else ""
    if provider == "anthropic":
        blocks = _field(response, "content") or []
        return "".join(_field(b, "text") or "" for b in blocks if _field(b, "type") == "text")
    if provider == "openai-responses":
        text = _field(response, "output_text")
        if isinstance(text, str):
            return text
        pieces: list[str] = []
        for item in _field(response, "output") or []:
            if _field(item, "type") == "message":
                pieces.extend(_field(c, "text") or "" for c in _field(item, "content") or [])
        return "".join(pieces)
    candidates = _field(response, "candidates") or []
    content = _field(candidates[0], "content") if candidates else None
    parts = _field(content, "parts") or [] if content is not None else []
    return "".join(_field(p, "text") or "" for p in parts)


def _call_key(call: ToolCall) -> tuple[str, str]:
    arguments = call.arguments
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return call.name, arguments
    return call.name, json.dumps(arguments, sort_keys=True, default=str)


class _Loop:
    """The bookkeeping shared by the sync and async loops."""

    def __init__(self, messages: Sequence[Any], provider: Provider | None, max_repeats: int) -> None:
        self.messages = list(messages)
        self.provider = provider
        self.max_repeats = max_repeats
        self.seen: Counter[tuple[str, str]] = Counter()
        self.results: list[ToolResult] = []

    def read(self, response: Any) -> tuple[list[ToolCall], str]:
        if self.provider is None:
            self.provider = detect_provider(response)
        return to_tool_calls(response), response_text(response, self.provider)

    def repeated(self, calls: Sequence[ToolCall]) -> ToolCall | None:
        """The first call asked for more often than allowed, counting this turn."""
        for call in calls:
            key = _call_key(call)
            self.seen[key] += 1
            if self.seen[key] > self.max_repeats:
                return call
        return None

    def add_turn(self, calls: Sequence[ToolCall], text: str, results: Sequence[ToolResult]) -> None:
        assert self.provider is not None
        turn = assistant_message(calls, self.provider, text or None)
        if isinstance(turn, list):
            self.messages.extend(turn)
        else:
            self.messages.append(turn)
        self.messages.extend(results_to_messages(results, self.provider))
        self.results.extend(results)

    def final(self, text: str, iterations: int, response: Any) -> AgentResult:
        assert self.provider is not None
        self.messages.append(_assistant_text(text, self.provider))
        return AgentResult(text, "final_answer", iterations, self.messages, self.results, response)

    def stop(
        self, reason: StopReason, iterations: int, response: Any, call: ToolCall | None = None
    ) -> AgentResult:
        if reason == "repeated_call" and call is not None:
            text = (
                f"Stopped: the model asked for {call.name} with the same arguments more than "
                f"{self.max_repeats} times, so it would not make progress."
            )
        else:
            text = f"Stopped after {iterations} model calls without a final answer."
        return AgentResult(text, reason, iterations, self.messages, self.results, response)


def _assistant_text(text: str, provider: Provider) -> Any:
    if provider == "anthropic":
        return {"role": "assistant", "content": [{"type": "text", "text": text}]}
    if provider == "gemini":
        return {"role": "model", "parts": [{"text": text}]}
    # OpenAI Chat and Responses alike.
    return {"role": "assistant", "content": text}


def run_agent(
    model_call: Callable[[list[Any]], Any],
    registry: Registry,
    messages: Sequence[Any],
    *,
    max_iterations: int = 10,
    max_repeats: int = 2,
    provider: Provider | None = None,
    **dispatch_options: Any,
) -> AgentResult:
    """Run the loop until the model answers without tool calls, ``max_iterations`` model calls
    have been made, or one identical call has been asked for more than ``max_repeats`` times.
    ``dispatch_options`` (``timeout``, ``retry``, ``max_concurrency``, ``context``, ``mode``) go
    to every ``registry.dispatch``."""
    if max_iterations < 1:
        raise ValueError("max_iterations must be at least 1")
    loop = _Loop(messages, provider, max_repeats)
    response: Any = None
    for iteration in range(1, max_iterations + 1):
        response = model_call(loop.messages)
        calls, text = loop.read(response)
        if not calls:
            return loop.final(text, iteration, response)
        repeated = loop.repeated(calls)
        if repeated is not None:
            return loop.stop("repeated_call", iteration, response, repeated)
        loop.add_turn(calls, text, registry.dispatch(calls, **dispatch_options))
    return loop.stop("max_iterations", max_iterations, response)


async def arun_agent(
    model_call: Callable[[list[Any]], Awaitable[Any] | Any],
    registry: Registry,
    messages: Sequence[Any],
    *,
    max_iterations: int = 10,
    max_repeats: int = 2,
    provider: Provider | None = None,
    **dispatch_options: Any,
) -> AgentResult:
    """``run_agent`` on the running event loop, with ``registry.adispatch`` (and an async
    ``model_call``, or a sync one)."""
    if max_iterations < 1:
        raise ValueError("max_iterations must be at least 1")
    loop = _Loop(messages, provider, max_repeats)
    response: Any = None
    for iteration in range(1, max_iterations + 1):
        response = model_call(loop.messages)
        if inspect.isawaitable(response):
            response = await response
        calls, text = loop.read(response)
        if not calls:
            return loop.final(text, iteration, response)
        repeated = loop.repeated(calls)
        if repeated is not None:
            return loop.stop("repeated_call", iteration, response, repeated)
        loop.add_turn(calls, text, await registry.adispatch(calls, **dispatch_options))
    return loop.stop("max_iterations", max_iterations, response)
