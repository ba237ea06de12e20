"""Scripted models in the raw providers' formats, for code that uses the OpenAI or Anthropic SDK.

A script is a list of turns. A turn is a string (the model's final answer), one call, or a list of
calls (made in parallel). A call is ``("tool_name", arguments)`` (arguments as a dict, or as raw
text, which is sent as it is, so malformed JSON can be scripted) or a ``toolproof.ToolCall``.

Each fake answers like the SDK client it stands for (``client.chat.completions.create(...)``,
``client.messages.create(...)``) and can also be called with the messages directly, as
``run_agent`` expects; responses are the SDK's own types when the SDK is installed, plain dicts
otherwise. Every request is recorded in ``.requests``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from toolproof.testing._script import Turn, arguments_text, calls_of

__all__ = ["FakeAnthropic", "FakeOpenAI", "fake_anthropic", "fake_openai"]


def _arguments_object(arguments: Any) -> Any:
    """Anthropic sends arguments as an object; scripted raw text that is not one stays raw."""
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except ValueError:
            return arguments
    return {} if arguments is None else arguments


class _Script:
    def __init__(self, script: Sequence[Turn]) -> None:
        self._turns = list(script)
        self._next = 0
        self.requests: list[dict[str, Any]] = []

    def next_turn(self, request: dict[str, Any]) -> tuple[int, Turn]:
        self.requests.append(request)
        if self._next >= len(self._turns):
            raise AssertionError(
                f"the scripted model was asked for turn {self._next + 1}, but the script has {len(self._turns)}"
            )
        index = self._next
        self._next += 1
        return index, self._turns[index]

    @property
    def remaining(self) -> int:
        return len(self._turns) - self._next


class _Namespace:
    def __init__(self, **members: Any) -> None:
        self.__dict__.update(members)


class FakeOpenAI(_Script):
    """A scripted OpenAI Chat Completions model."""

    def __init__(self, script: Sequence[Turn], *, model: str = "scripted-model") -> None:
        super().__init__(script)
        self.model = model
        self.chat = _Namespace(completions=_Namespace(create=self.create))

    def create(self, *, messages: Sequence[Any] = (), tools: Any = None, **options: Any) -> Any:
        index, turn = self.next_turn({"messages": list(messages), "tools": tools, **options})
        if isinstance(turn, str):
            message: dict[str, Any] = {"role": "assistant", "content": turn}
            finish = "stop"
        else:
            calls = calls_of(turn, index)
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": arguments_text(c.arguments)},
                    }
                    for c in calls
                ],
            }
            finish = "tool_calls"
        response = {
            "id": f"chatcmpl-{index}",
            "object": "chat.completion",
            "created": 0,
            "model": self.model,
            "choices": [{"index": 0, "finish_reason": finish, "message": message}],
        }
        try:
            from openai.types.chat import ChatCompletion
        except ImportError:
            return response
        return ChatCompletion.model_validate(response)

    def __call__(self, messages: Sequence[Any], tools: Any = None) -> Any:
        return self.create(messages=messages, tools=tools)


class FakeAnthropic(_Script):
    """A scripted Anthropic Messages model."""

    def __init__(self, script: Sequence[Turn], *, model: str = "scripted-model") -> None:
        super().__init__(script)
        self.model = model
        self.messages = _Namespace(create=self.create)

    def create(self, *, messages: Sequence[Any] = (), tools: Any = None, **options: Any) -> Any:
        index, turn = self.next_turn({"messages": list(messages), "tools": tools, **options})
        if isinstance(turn, str):
            content: list[dict[str, Any]] = [{"type": "text", "text": turn}]
            stop = "end_turn"
        else:
            content = [
                {"type": "tool_use", "id": c.id, "name": c.name, "input": _arguments_object(c.arguments)}
                for c in calls_of(turn, index)
            ]
            stop = "tool_use"
        response = {
            "id": f"msg_{index}",
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        try:
            from anthropic.types import Message
        except ImportError:
            return response
        try:
            return Message.model_validate(response)
        except Exception:
            # `input` scripted as raw text is no valid Message; the dict still shows the mistake.
            return response

    def __call__(self, messages: Sequence[Any], tools: Any = None) -> Any:
        return self.create(messages=messages, tools=tools)


def fake_openai(script: Sequence[Turn], *, model: str = "scripted-model") -> FakeOpenAI:
    """A scripted OpenAI Chat Completions model (see the module's docstring for the script)."""
    return FakeOpenAI(script, model=model)


def fake_anthropic(script: Sequence[Turn], *, model: str = "scripted-model") -> FakeAnthropic:
    """A scripted Anthropic Messages model (see the module's docstring for the script)."""
    return FakeAnthropic(script, model=model)
