"""The script of a scripted model: turns of final answers and tool calls, as the fakes take them.

A turn is a string (the model's final answer), one call, or a list of calls (made in parallel). A
call is ``("tool_name", arguments)`` (arguments as a dict, or as raw text, sent as it is) or a
``toolproof.ToolCall``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from toolproof._core import ToolCall

Call = tuple[str, Any] | ToolCall
Turn = str | Call | Sequence[Call]


def calls_of(turn: Turn, turn_index: int) -> list[ToolCall]:
    """The calls of a turn that is not a final answer; a call without an id gets one from its place."""
    if isinstance(turn, ToolCall):
        return [turn]
    if isinstance(turn, tuple) and len(turn) == 2 and isinstance(turn[0], str):
        turn = [turn]
    calls = []
    for position, item in enumerate(turn):  # type: ignore[arg-type]
        if isinstance(item, ToolCall):
            calls.append(item)
            continue
        name, arguments = item
        calls.append(ToolCall(f"call_{turn_index}_{position}", name, arguments))
    return calls


def arguments_text(arguments: Any) -> str:
    """Arguments as the JSON text a provider sends: raw text as it is, no arguments as ``{}``."""
    if arguments is None:
        return "{}"
    return arguments if isinstance(arguments, str) else json.dumps(arguments)
