"""A tool that raises a BaseException (KeyboardInterrupt, SystemExit, a subclass of its own) gets
an error result, like any other failure, and leaves the engine working: in particular the
background event loop that ``dispatch`` runs async tools on survives it."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from toolproof import Registry, ToolCall, tool


class ToolEscape(BaseException):
    pass


ERRORS = {"interrupt": KeyboardInterrupt, "exit": SystemExit, "escape": ToolEscape}


@tool
async def raise_after_waiting(kind: str) -> str:
    await asyncio.sleep(0.001)
    raise ERRORS[kind]()


@tool
async def raise_at_once(kind: str) -> str:
    raise ERRORS[kind]()


@tool
def raise_sync(kind: str) -> str:
    raise ERRORS[kind]()


@tool
async def echo(text: str) -> str:
    await asyncio.sleep(0.001)
    return text


REGISTRY = Registry([raise_after_waiting, raise_at_once, raise_sync, echo])


def loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "toolproof-event-loop"]


@pytest.mark.parametrize("kind", sorted(ERRORS))
def test_a_base_exception_after_the_first_await_does_not_break_dispatch(kind: str) -> None:
    for _ in range(3):
        results = REGISTRY.dispatch(
            [
                ToolCall("a", "raise_after_waiting", {"kind": kind}),
                ToolCall("b", "raise_at_once", {"kind": kind}),
                ToolCall("c", "raise_sync", {"kind": kind}),
                ToolCall("d", "echo", {"text": "still here"}),
            ],
            timeout=5,
        )
        assert [r.error["code"] if r.error else "ok" for r in results] == ["unexpected_error"] * 3 + ["ok"]
        assert type(results[0].exception) is ERRORS[kind]
        assert ERRORS[kind].__name__ in results[0].content
        assert loop_threads() and all(t.is_alive() for t in loop_threads())
    [later] = REGISTRY.dispatch([ToolCall("e", "echo", {"text": "later"})], timeout=5)
    assert later.ok and later.content == "later"


@pytest.mark.parametrize("kind", sorted(ERRORS))
def test_a_base_exception_after_the_first_await_in_adispatch_and_arun(kind: str) -> None:
    async def main() -> Any:
        results = await REGISTRY.adispatch(
            [ToolCall("a", "raise_after_waiting", {"kind": kind}), ToolCall("d", "echo", {"text": "x"})]
        )
        single = await raise_after_waiting.arun({"kind": kind})
        return results, single

    results, single = asyncio.run(main())
    assert results[0].error["code"] == "unexpected_error" and type(results[0].exception) is ERRORS[kind]
    assert results[1].ok
    assert single.error["code"] == "unexpected_error" and type(single.exception) is ERRORS[kind]
