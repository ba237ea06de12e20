"""A scripted LangChain chat model: it says what a test tells it to, tool calls included.

``langchain_chat_model(script)`` answers each model call with the next turn of ``script``:

- ``"text"``: a final answer;
- ``("tool_name", {"arg": 1})``: one tool call; the arguments may also be raw text
  (``'{"arg": 1,}'``), parsed the way a provider integration parses it, so text that is not a
  JSON object lands in ``invalid_tool_calls``; an optional third item is the call id;
- a list of calls: parallel calls in one message; a LangChain ``ToolCall`` dict is a call too;
- an ``AIMessage``: sent as it is; an exception instance: raised, as a failing provider would.

It supports ``bind_tools`` (recording what it was bound with in ``bound_tools``, as OpenAI would
receive it), remembers every conversation it was sent in ``requests``, and streams: tool calls
arrive as ``tool_call_chunks`` split across chunks, so they survive ``stream()`` and LangGraph's
``stream_mode="messages"``. With ``stream=True`` even ``invoke`` goes through streaming, as a
model built with ``streaming=True`` does.

LangChain's own fakes (``FakeMessagesListChatModel``, ``GenericFakeChatModel``) have no
``bind_tools`` and drop tool calls when streamed.
"""

# The framework is imported only after `require` could name the extra to install.
# ruff: noqa: E402

from __future__ import annotations

from toolproof._extras import require

require("langchain_core", "langchain")

import json
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pydantic
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool

__all__ = ["ScriptExhaustedError", "ScriptedChatModel", "langchain_chat_model"]


class ScriptExhaustedError(AssertionError):
    """The model was called more times than its script has turns."""


class ScriptedChatModel(BaseChatModel):
    """A chat model that plays a script; build it with ``langchain_chat_model``."""

    script: list[Any]
    streaming: bool = False
    chunk_size: int = 8
    """Characters of tool-call arguments per streamed chunk."""

    bound_tools: list[dict[str, Any]] = pydantic.Field(default_factory=list)
    """The tools of the last ``bind_tools``, in OpenAI's format (with ``strict`` when asked)."""
    tool_choice: Any = None
    requests: list[list[BaseMessage]] = pydantic.Field(default_factory=list)
    """The messages of every call, in order."""

    _position: int = pydantic.PrivateAttr(default=0)
    _lock: threading.Lock = pydantic.PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "toolproof-scripted"

    @property
    def turns_left(self) -> int:
        return len(self.script) - self._position

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: Any = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[Any, AIMessage]:
        formatted = [convert_to_openai_tool(tool, strict=strict) for tool in tools]
        self.bound_tools = formatted
        self.tool_choice = tool_choice
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    # -- answering -----------------------------------------------------------------------------

    def _next_turn(self, messages: list[BaseMessage]) -> AIMessage:
        with self._lock:
            position = self._position
            if position >= len(self.script):
                raise ScriptExhaustedError(
                    f"the scripted model was called {position + 1} times, but its script has {len(self.script)} turns"
                )
            self._position += 1
            self.requests.append(list(messages))
        return _turn_message(self.script[position], position)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._next_turn(messages))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self._next_turn(messages)
        chunks = list(_chunks(message, self.chunk_size))
        for position, chunk in enumerate(chunks):
            if position == len(chunks) - 1:
                chunk.chunk_position = "last"
            generation = ChatGenerationChunk(message=chunk)
            if run_manager is not None:
                run_manager.on_llm_new_token(
                    chunk.content if isinstance(chunk.content, str) else "", chunk=generation
                )
            yield generation


def langchain_chat_model(
    script: Sequence[Any], *, stream: bool = False, chunk_size: int = 8
) -> ScriptedChatModel:
    """A chat model answering each call with the next turn of ``script`` (see the module doc).

    ``stream=True`` makes ``invoke`` stream too; ``chunk_size`` is how many characters of a
    call's arguments each streamed chunk carries.
    """
    for position, turn in enumerate(script):
        if not isinstance(turn, BaseException):
            _turn_message(turn, position)  # a malformed script fails here, not in the middle of a run
    if stream:
        # Passed only when asked: LangChain streams inside invoke only when `streaming` was given.
        return ScriptedChatModel(script=list(script), chunk_size=chunk_size, streaming=True)
    return ScriptedChatModel(script=list(script), chunk_size=chunk_size)


# --------------------------------------------------------------------------------------------
# Script turns to messages


def _turn_message(turn: Any, position: int) -> AIMessage:
    if isinstance(turn, BaseException):
        raise turn
    if isinstance(turn, AIMessage):
        return turn
    if isinstance(turn, str):
        return AIMessage(content=turn, id=f"turn_{position}")
    if isinstance(turn, list):
        calls = turn
    elif isinstance(turn, (tuple, dict)):
        calls = [turn]
    else:
        raise TypeError(
            f"script turn {position}: {turn!r} is not a text, a call ('name', args), a list of calls, "
            "an AIMessage or an exception"
        )
    valid: list[Any] = []
    invalid: list[Any] = []
    for index, call in enumerate(calls):
        name, arguments, call_id = _read_call(call, position, index)
        if isinstance(arguments, str):
            parsed = _parse_arguments(arguments)
            if isinstance(parsed, dict):
                valid.append(tool_call(name=name, args=parsed, id=call_id))
            else:
                invalid.append(invalid_tool_call(name=name, args=arguments, id=call_id, error=parsed))
        else:
            valid.append(tool_call(name=name, args=dict(arguments or {}), id=call_id))
    return AIMessage(content="", tool_calls=valid, invalid_tool_calls=invalid, id=f"turn_{position}")


def _read_call(call: Any, position: int, index: int) -> tuple[str, Any, str]:
    default_id = f"call_{position}_{index}"
    if isinstance(call, dict):
        return call["name"], call.get("args"), call.get("id") or default_id
    if isinstance(call, tuple) and len(call) in (2, 3) and isinstance(call[0], str):
        arguments = call[1]
        if arguments is not None and not isinstance(arguments, (str, dict)):
            raise TypeError(f"script turn {position}, call {index}: arguments must be a dict or raw text")
        return call[0], arguments, call[2] if len(call) == 3 else default_id
    raise TypeError(
        f"script turn {position}, call {index}: {call!r} is not ('name', arguments) or a ToolCall"
    )


def _parse_arguments(text: str) -> dict[str, Any] | str:
    """The arguments as a provider integration reads them (langchain_openai's ``parse_tool_call``):
    empty text is no arguments; anything but a JSON object is kept raw, with the reason."""
    if not text:
        return {}
    try:
        value = json.loads(text, strict=False)
    except json.JSONDecodeError as error:
        return f"Function arguments:\n\n{text}\n\nare not valid JSON. Received JSONDecodeError {error}"
    if not isinstance(value, dict):
        return f"Function arguments:\n\n{text}\n\nare not a JSON object"
    return value


def _chunks(message: AIMessage, size: int) -> Iterator[AIMessageChunk]:
    """A message as a provider streams it: text piece by piece, then each call's arguments in
    pieces that carry the call's index (and its name and id in the first piece only)."""
    content = message.content if isinstance(message.content, str) else ""
    words = content.split(" ")
    for position, word in enumerate(words):
        piece = word if position == len(words) - 1 else word + " "
        if piece:
            yield AIMessageChunk(content=piece, id=message.id)
    calls: list[tuple[str, str, Any]] = [
        (call["name"], json.dumps(call["args"]), call["id"]) for call in message.tool_calls
    ]
    calls += [(call["name"] or "", call["args"] or "", call["id"]) for call in message.invalid_tool_calls]
    for index, (name, arguments, call_id) in enumerate(calls):
        pieces = [arguments[start : start + size] for start in range(0, len(arguments), size)] or [""]
        for number, piece in enumerate(pieces):
            first = number == 0
            yield AIMessageChunk(
                content="",
                id=message.id,
                tool_call_chunks=[
                    tool_call_chunk(
                        name=name if first else None, args=piece, id=call_id if first else None, index=index
                    )
                ],
            )
    if not content and not calls:
        yield AIMessageChunk(content="", id=message.id)
