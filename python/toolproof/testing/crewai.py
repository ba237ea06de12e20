"""A scripted CrewAI model: a ``BaseLLM`` that answers from a list of turns, offline.

A script is a list of turns. A turn is a string (the model's final answer), one call, or a list of
calls (made in parallel). A call is ``("tool_name", arguments)`` (arguments as a dict, or as raw
text, which is sent as it is, so malformed JSON, an empty string or an array can be scripted) or a
``toolproof.ToolCall``.

``native=True`` answers the way CrewAI's native function-calling path expects (a list of
``{"id", "type": "function", "function": {"name", "arguments"}}`` and
``supports_function_calling()`` True); ``native=False`` answers in ReAct text
(``Thought: ...\\nAction: name\\nAction Input: {...}`` and ``Final Answer: ...``), one call per
turn. Every request is recorded in ``.requests``: ``{"messages", "tools"}``.
"""

# ruff: noqa: E402  (the framework is imported after the check that names the extra to install)

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from toolproof._extras import require
from toolproof.testing._script import Turn, arguments_text, calls_of

require("crewai", "crewai")

from crewai.llms.base_llm import BaseLLM
from crewai.utilities.message_utils import message_content_text
from pydantic import PrivateAttr

__all__ = ["ScriptedCrewLLM", "crewai_llm"]


class ScriptedCrewLLM(BaseLLM):
    """A CrewAI model answering from a script; build one with ``crewai_llm``."""

    native: bool = True
    _turns: list[Any] = PrivateAttr(default_factory=list)
    _next: int = PrivateAttr(default=0)
    _requests: list[dict[str, Any]] = PrivateAttr(default_factory=list)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """What CrewAI sent for each turn: ``{"messages", "tools"}``."""
        return self._requests

    @property
    def remaining(self) -> int:
        return len(self._turns) - self._next

    def supports_function_calling(self) -> bool:
        return self.native

    def supports_stop_words(self) -> bool:
        return not self.native

    def get_input_tokens_count(self, messages: Any, tools: Any = None, response_model: Any = None) -> int:
        # CrewAI's own estimate (four characters a token), without its warning that a scripted
        # model has no tokenizer.
        if isinstance(messages, str):
            return (len(messages) + 3) // 4
        return (sum(len(message_content_text(message)) for message in messages) + 3) // 4

    def call(
        self,
        messages: Any,
        tools: Any = None,
        callbacks: Any = None,
        available_functions: Any = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: Any = None,
    ) -> Any:
        self._requests.append({"messages": _copy_messages(messages), "tools": tools})
        if self._next >= len(self._turns):
            raise AssertionError(
                f"the scripted model was asked for turn {self._next + 1}, but the script has {len(self._turns)}"
            )
        index = self._next
        self._next += 1
        turn = self._turns[index]
        if isinstance(turn, str):
            return turn if self.native else f"Thought: I now know the final answer\nFinal Answer: {turn}"
        calls = calls_of(turn, index)
        if self.native:
            return [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": arguments_text(call.arguments)},
                }
                for call in calls
            ]
        [call] = calls
        return f"Thought: I should use {call.name}\nAction: {call.name}\nAction Input: {arguments_text(call.arguments)}"

    async def acall(
        self,
        messages: Any,
        tools: Any = None,
        callbacks: Any = None,
        available_functions: Any = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: Any = None,
    ) -> Any:
        return self.call(
            messages, tools, callbacks, available_functions, from_task, from_agent, response_model
        )


def _copy_messages(messages: Any) -> Any:
    # CrewAI keeps appending to the list it passed; keep what this turn saw.
    if isinstance(messages, list):
        return [dict(message) if isinstance(message, dict) else message for message in messages]
    return messages


def crewai_llm(
    script: Sequence[Turn], *, native: bool = True, model: str = "scripted-model"
) -> ScriptedCrewLLM:
    """A scripted CrewAI model (see the module's docstring for the script)."""
    turns = list(script)
    if not native:
        for position, turn in enumerate(turns):
            if not isinstance(turn, str) and len(calls_of(turn, position)) != 1:
                raise ValueError(
                    f"turn {position + 1} makes several calls at once; ReAct text carries one call per turn"
                )
    llm = ScriptedCrewLLM(model=model, native=native)
    llm._turns = turns
    return llm
