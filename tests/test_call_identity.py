"""Every call the input holds gets exactly one result, even when its id or name is not valid text
(a lone surrogate) or an OpenAI call has no function: that call gets a clear error result, and its
siblings run."""

from __future__ import annotations

import asyncio

import pytest
from toolproof import Registry, ToolCall, to_tool_calls, tool


@tool
def add(a: int, b: int) -> int:
    return a + b


REGISTRY = Registry([add])


def both_ways(calls: object) -> list[list]:
    return [REGISTRY.dispatch(calls), asyncio.run(REGISTRY.adispatch(calls))]


def test_a_lone_surrogate_in_an_id_or_a_name_fails_that_call_only() -> None:
    calls = [
        ToolCall("ok1", "add", {"a": 1, "b": 2}),
        ToolCall("bad\ud800id", "add", {"a": 1, "b": 2}),
        ToolCall("ok2", "ad\udc00d", {"a": 1, "b": 2}),
        ToolCall("ok3", "add", {"a": 2, "b": 2}),
    ]
    for results in both_ways(calls):
        assert [r.call_id for r in results] == [c.id for c in calls]
        assert [r.ok for r in results] == [True, False, False, True]
        assert results[1].error["code"] == "invalid_arguments"
        assert "\\ud800" in results[1].content and "not valid text" in results[1].content
        assert results[2].error["code"] == "unknown_tool" and "\\udc00" in results[2].content
        assert results[3].content == "4"
    metrics = REGISTRY.metrics()
    assert metrics is not None


@pytest.mark.parametrize(
    "broken",
    [
        {"id": "c2", "type": "function"},
        {"id": "c2", "type": "function", "function": None},
        {"id": "c2", "function": None},
    ],
    ids=["missing", "none-typed", "none"],
)
def test_an_openai_call_without_its_function_gets_one_error_result(broken: dict) -> None:
    calls = [
        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'}},
        broken,
        {"id": "c3", "type": "function", "function": {"name": "add", "arguments": '{"a": 3, "b": 4}'}},
    ]
    assert [call.id for call in to_tool_calls(calls)] == ["c1", "c2", "c3"]
    message = {"role": "assistant", "content": None, "tool_calls": calls}
    for source in (calls, message):
        for results in both_ways(source):
            assert [r.call_id for r in results] == ["c1", "c2", "c3"]
            assert [r.ok for r in results] == [True, False, True]
            assert results[1].error["code"] == "unknown_tool"
            assert "names no tool" in results[1].content
