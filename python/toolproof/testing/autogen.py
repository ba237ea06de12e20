"""A scripted AutoGen (AgentChat 0.4+) model: tool calls and answers, replayed in order, offline."""

# ruff: noqa: E402  (the framework is imported after the check that names the extra to install)

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any

from toolproof._extras import require

require("autogen_ext", "autogen")

from autogen_core import FunctionCall
from autogen_core.models import CreateResult, ModelFamily, ModelInfo, RequestUsage
from autogen_ext.models.replay import ReplayChatCompletionClient

from toolproof._core import ToolCall

__all__ = ["autogen_client"]

FUNCTION_CALLING = ModelInfo(
    vision=False,
    function_calling=True,
    json_output=False,
    family=ModelFamily.UNKNOWN,
    structured_output=False,
)


def autogen_client(
    script: Iterable[Any], *, model_info: ModelInfo | None = None
) -> ReplayChatCompletionClient:
    """A ``ReplayChatCompletionClient`` with function calling on, answering with ``script`` in order.

    Each item is one model turn:

    - a ``str``: the final answer;
    - a call: ``("tool", {"arg": 1})``, ``("tool", '{"raw": "text"')`` (arguments sent exactly as
      written, broken JSON included), ``("tool", args, "call_id")``, an ``autogen_core.FunctionCall``
      or a ``toolproof.ToolCall``;
    - a ``list`` of calls: one response with parallel calls;
    - a ``CreateResult``, used as it is.

    Calls without an id get ``call_1``, ``call_2`` ... in script order. ``create_calls`` on the
    client records every request (messages and the tools sent).
    """
    ids = (f"call_{n}" for n in itertools.count(1))
    turns = [_turn(item, ids) for item in script]
    return ReplayChatCompletionClient(turns, model_info=model_info or FUNCTION_CALLING)


def _turn(item: Any, ids: Iterator[str]) -> str | CreateResult:
    if isinstance(item, (str, CreateResult)):
        return item
    calls = [_call(call, ids) for call in item] if isinstance(item, list) else [_call(item, ids)]
    if not calls:
        raise ValueError("a list of calls in an autogen_client script needs at least one call")
    return CreateResult(finish_reason="function_calls", content=calls, usage=RequestUsage(0, 0), cached=False)


def _call(item: Any, ids: Iterator[str]) -> FunctionCall:
    if isinstance(item, FunctionCall):
        return item
    if isinstance(item, ToolCall):
        return FunctionCall(id=item.id, arguments=_arguments_text(item.arguments), name=item.name)
    if isinstance(item, tuple) and len(item) in (2, 3) and isinstance(item[0], str):
        call_id = item[2] if len(item) == 3 else next(ids)
        return FunctionCall(id=call_id, arguments=_arguments_text(item[1]), name=item[0])
    raise TypeError(
        "an autogen_client script item is a str (an answer), a call (('tool', {args}), ('tool', 'raw "
        f"text'), ('tool', args, 'id'), a FunctionCall or a ToolCall), a list of calls, or a CreateResult; got {item!r}"
    )


def _arguments_text(arguments: Any) -> str:
    if isinstance(arguments, str):
        return arguments
    if arguments is None:
        return ""
    return json.dumps(arguments)
