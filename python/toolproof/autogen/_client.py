"""Tool-call arguments ``AssistantAgent`` cannot parse, repaired as the model client returns them."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from autogen_core import FunctionCall
from autogen_core.models import ChatCompletionClient, CreateResult, LLMMessage, ModelInfo, RequestUsage

from toolproof import _core
from toolproof.errors import JSONRepairError

logger = logging.getLogger("toolproof")


def harden_client(model_client: ChatCompletionClient) -> ChatCompletionClient:
    """``model_client``, with tool-call arguments that are not JSON repaired as the model returns them.

    ``AssistantAgent`` parses every call's arguments with ``json.loads`` before any tool runs, and
    reports a failure as an error without running the tool: a call cut short by the token limit, or
    the blank arguments some providers send for a tool without parameters (autogen #5666), fail
    there. Repaired calls carry valid JSON from then on, in the history sent back to the model too.
    Arguments that are JSON already (even a non-object) are left to the tool.
    """
    if isinstance(model_client, _ArgumentRepairingClient):
        return model_client
    return _ArgumentRepairingClient(model_client)


class _ArgumentRepairingClient(ChatCompletionClient):
    """Delegates everything to the wrapped client; repairs the arguments of the calls it returns."""

    def __init__(self, client: ChatCompletionClient) -> None:
        self._client = client

    async def create(self, messages: Sequence[LLMMessage], **kwargs: Any) -> CreateResult:
        return _repaired_result(await self._client.create(messages, **kwargs))

    async def create_stream(  # type: ignore[override]
        self, messages: Sequence[LLMMessage], **kwargs: Any
    ) -> AsyncGenerator[str | CreateResult, None]:
        async for item in self._client.create_stream(messages, **kwargs):
            yield _repaired_result(item) if isinstance(item, CreateResult) else item

    async def close(self) -> None:
        await self._client.close()

    def actual_usage(self) -> RequestUsage:
        return self._client.actual_usage()

    def total_usage(self) -> RequestUsage:
        return self._client.total_usage()

    def count_tokens(self, messages: Sequence[LLMMessage], **kwargs: Any) -> int:
        return self._client.count_tokens(messages, **kwargs)

    def remaining_tokens(self, messages: Sequence[LLMMessage], **kwargs: Any) -> int:
        return self._client.remaining_tokens(messages, **kwargs)

    @property
    def capabilities(self) -> Any:  # type: ignore[override]
        return self._client.capabilities  # type: ignore[attr-defined]

    @property
    def model_info(self) -> ModelInfo:
        return self._client.model_info

    def __getattr__(self, name: str) -> Any:
        # What the wrapped client offers besides the interface (a replay client's create_calls ...).
        if name.startswith("__") or name == "_client":
            raise AttributeError(name)
        return getattr(self._client, name)

    def __repr__(self) -> str:
        return f"harden_client({self._client!r})"


def _repaired_result(result: CreateResult) -> CreateResult:
    if not isinstance(result.content, list):
        return result
    calls = [_repaired_call(call) if isinstance(call, FunctionCall) else call for call in result.content]
    if all(new is old for new, old in zip(calls, result.content, strict=True)):
        return result
    return result.model_copy(update={"content": calls})


def _repaired_call(call: FunctionCall) -> FunctionCall:
    text = call.arguments
    if not isinstance(text, str):
        return call
    if not text.strip():
        repaired = "{}"
    else:
        try:
            json.loads(text)
            return call
        except ValueError:
            pass
        try:
            repaired = json.dumps(_core.repair_json(text), ensure_ascii=False)
        except (JSONRepairError, ValueError, TypeError):
            return call
    logger.info("repaired the arguments of tool call %s (%s): %r -> %s", call.id, call.name, text, repaired)
    return FunctionCall(id=call.id, arguments=repaired, name=call.name)
