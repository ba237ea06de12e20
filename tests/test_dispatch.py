"""Dispatch through a Registry: exactly one result per call, provider formats, timeouts, retries,
authorization, per-call state, metrics and logs."""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import json
import logging
import threading
import time
import warnings
from decimal import Decimal

import httpx
import pytest
import toolproof
from toolproof import (
    CallContext,
    PermanentError,
    Registry,
    Retry,
    RetryableError,
    SharedStateWarning,
    Tool,
    ToolCall,
    ToolDefinitionError,
    tool,
)


@tool
def get_weather(city: str, days: int = 1) -> dict:
    """Weather for a city."""
    return {"city": city, "days": days, "observed": dt.datetime(2025, 1, 1, 12, 0), "temp": Decimal("21.5")}


@tool
async def fetch(url: str) -> str:
    """Fetch a page."""
    await asyncio.sleep(0.001)
    return f"<html>{url}</html>"


def by_id(results):
    return {result.call_id: result for result in results}


def test_results_come_in_call_order_one_per_id_whatever_happens():
    def crash() -> int:
        """Always fails."""
        raise RuntimeError("database password is hunter2")

    registry = Registry([get_weather, fetch, Tool.from_function(crash)])
    calls = [
        ToolCall("a", "get_weather", '{"City": "Paris", "days": "3"}'),
        ToolCall("b", "fetch", {"url": "x"}),
        ToolCall("c", "crash", None),
        ToolCall("d", "no_such_tool", "{}"),
        ToolCall("a", "get_weather", '{"city": "Rome"}'),
        ToolCall("e", "get_weather", '{"days": "many"}'),
    ]
    results = registry.dispatch(calls)
    assert [r.call_id for r in results] == ["a", "b", "c", "d", "a", "e"]
    ok = [r.ok for r in results]
    assert ok == [True, True, False, False, False, False]
    weather = json.loads(results[0].content)
    assert weather == {"city": "Paris", "days": 3, "observed": "2025-01-01T12:00:00", "temp": 21.5}
    assert [r.kind for r in results[0].repairs] == ["renamed_key", "string_to_integer"]
    assert results[1].content == "<html>x</html>"
    assert results[2].error["code"] == "unexpected_error"
    assert "hunter2" not in results[2].content, "internals must not reach the model"
    assert isinstance(results[2].exception, RuntimeError)
    assert results[3].error["code"] == "unknown_tool"
    assert "get_weather" in results[3].content
    assert results[4].error["code"] == "duplicate_call_id"
    assert results[5].error["code"] == "invalid_arguments"
    assert "Invalid arguments for tool 'get_weather'" in results[5].content
    assert "city: required" in results[5].content


def test_unknown_tool_suggests_the_close_name():
    registry = Registry([get_weather])
    [result] = registry.dispatch([ToolCall("1", "getWeather", "{}")])
    assert "Did you mean 'get_weather'?" in result.content


def test_async_and_sync_through_adispatch():
    registry = Registry([get_weather, fetch])

    async def main():
        return await registry.adispatch(
            [ToolCall("1", "fetch", '{"url": "a"}'), ToolCall("2", "get_weather", '{"city": "Oslo"}')]
        )

    first, second = asyncio.run(main())
    assert first.ok and first.content == "<html>a</html>"
    assert second.ok and json.loads(second.content)["city"] == "Oslo"


REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")


@pytest.mark.parametrize("via", ["dispatch", "adispatch"])
def test_async_tools_see_the_callers_context_and_do_not_change_it(via):
    """Whether an async call finishes without waiting or becomes a task, it reads the caller's
    context variables, and what it sets stays with that call, as it would in an asyncio task."""
    seen: dict[str, str] = {}

    @tool
    async def quick(key: str) -> str:
        seen[key] = REQUEST_ID.get()
        REQUEST_ID.set(f"set by {key}")
        return key

    @tool
    async def slow(key: str) -> str:
        seen[key] = REQUEST_ID.get()
        REQUEST_ID.set(f"set by {key}")
        await asyncio.sleep(0.01)
        return key

    registry = Registry([quick, slow])
    calls = [ToolCall("q", "quick", {"key": "q"}), ToolCall("s", "slow", {"key": "s"})]

    async def main():
        REQUEST_ID.set("req-7")
        results = [r.content for r in await registry.adispatch(calls)]
        return results, REQUEST_ID.get()

    def blocking():
        REQUEST_ID.set("req-7")
        return [r.content for r in registry.dispatch(calls)], REQUEST_ID.get()

    if via == "adispatch":
        results, after = asyncio.run(main())
    else:
        results, after = contextvars.copy_context().run(blocking)
    assert results == ["q", "s"]
    assert seen == {"q": "req-7", "s": "req-7"}
    assert after == "req-7", f"a tool's context change leaked into the caller: {after!r}"


def test_a_batch_that_finishes_without_waiting_mixes_with_sync_and_waiting_calls():
    """Calls that finish as they start, calls that wait, sync calls and failures, all in one
    batch: one result each, in call order."""

    @tool
    async def instant(n: int) -> int:
        if n < 0:
            raise ValueError("negative")
        return n * 10

    @tool
    def blocking(n: int) -> int:
        time.sleep(0.01)
        return n + 1

    registry = Registry([instant, fetch, blocking])
    calls = [
        ToolCall("1", "instant", {"n": 1}),
        ToolCall("2", "fetch", {"url": "x"}),
        ToolCall("3", "blocking", {"n": 3}),
        ToolCall("4", "instant", {"n": -1}),
        ToolCall("5", "instant", {"n": "five"}),
        ToolCall("6", "instant", {"n": 6}),
    ]
    results = asyncio.run(registry.adispatch(calls))
    assert [r.call_id for r in results] == ["1", "2", "3", "4", "5", "6"]
    assert [r.content for r in results if r.ok] == ["10", "<html>x</html>", "4", "60"]
    assert [r.error["code"] for r in results if not r.ok] == ["tool_error", "invalid_arguments"]
    assert registry.metrics()["instant"]["calls"] == 4


def test_provider_formats_in_and_out():
    registry = Registry([get_weather])
    openai_message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'},
            }
        ],
    }
    [result] = registry.dispatch(openai_message)
    assert result.to_openai() == {"role": "tool", "tool_call_id": "call_1", "content": result.content}

    anthropic_message = {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Rome"}},
            {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {}},
        ],
    }
    results = registry.dispatch(anthropic_message)
    [message] = toolproof.results_to_messages(results, "anthropic")
    assert message["role"] == "user"
    assert [block["tool_use_id"] for block in message["content"]] == ["toolu_1", "toolu_2"]
    assert [block["is_error"] for block in message["content"]] == [False, True]

    responses_items = [
        {"type": "function_call", "call_id": "fc_1", "name": "get_weather", "arguments": '{"city":"Rome"}'}
    ]
    [result] = registry.dispatch(responses_items)
    assert result.to_responses()["call_id"] == "fc_1"

    gemini_parts = [{"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}}]
    [result] = registry.dispatch(gemini_parts)
    part = result.to_gemini()
    assert part["functionResponse"]["name"] == "get_weather"
    assert part["functionResponse"]["response"]["city"] == "Rome"

    hermes = 'Sure. <tool_call>{"name": "get_weather", "arguments": {"city": "Rome",}}</tool_call>'
    [result] = registry.dispatch(hermes)
    assert result.ok, result.content
    assert [r.kind for r in result.repairs] == ["trailing_comma"]


def test_a_sync_tool_past_its_timeout_is_abandoned_and_its_late_result_counted():
    release = threading.Event()

    @tool(timeout=0.05)
    def stuck(x: int) -> int:
        release.wait(2)
        return x

    registry = Registry([stuck, get_weather])
    started = time.perf_counter()
    results = registry.dispatch(
        [ToolCall("1", "stuck", '{"x": 1}'), ToolCall("2", "get_weather", '{"city": "A"}')]
    )
    assert time.perf_counter() - started < 1.0
    assert results[0].error["code"] == "timeout"
    assert results[1].ok
    release.set()
    deadline = time.time() + 2
    while registry.metrics()["stuck"]["late_results_discarded"] == 0 and time.time() < deadline:
        time.sleep(0.01)
    assert registry.metrics()["stuck"]["late_results_discarded"] == 1
    assert registry.metrics()["stuck"]["timeouts"] == 1


def test_an_async_tool_past_its_timeout_is_cancelled():
    seen = []

    @tool(timeout=0.05)
    async def slow() -> str:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        return "never"

    async def main():
        return await Registry([slow]).adispatch([ToolCall("1", "slow", None)])

    [result] = asyncio.run(main())
    assert result.error["code"] == "timeout"
    assert seen == ["cancelled"]


def test_retryable_errors_are_retried_permanent_ones_are_not():
    counts = {"flaky": 0, "broken": 0}

    @tool(retry=Retry(attempts=3, initial_delay=0.001))
    def flaky() -> str:
        counts["flaky"] += 1
        if counts["flaky"] < 3:
            raise RetryableError("busy")
        return "ok"

    @tool(retry=Retry(attempts=3, initial_delay=0.001))
    def broken() -> str:
        counts["broken"] += 1
        raise ValueError("city 'Atlantis' does not exist")

    results = Registry([flaky, broken]).dispatch(
        [ToolCall("1", "flaky", None), ToolCall("2", "broken", None)]
    )
    assert results[0].ok and results[0].attempts == 3
    assert not results[1].ok and results[1].attempts == 1 and counts["broken"] == 1
    assert results[1].content == "city 'Atlantis' does not exist"
    assert results[1].error["code"] == "tool_error"


def test_http_errors_are_classified_and_retry_after_is_honoured():
    attempts = []

    @tool(retry=Retry(attempts=2, initial_delay=0.001, max_delay=0.001))
    def call_upstream() -> str:
        attempts.append(time.perf_counter())
        if len(attempts) == 1:
            request = httpx.Request("GET", "https://example.com")
            response = httpx.Response(429, headers={"Retry-After": "0.2"}, request=request)
            raise httpx.HTTPStatusError("rate limited", request=request, response=response)
        return "fine"

    @tool(retry=Retry(attempts=3, initial_delay=0.001))
    def not_found() -> str:
        request = httpx.Request("GET", "https://example.com")
        raise httpx.HTTPStatusError("nope", request=request, response=httpx.Response(404, request=request))

    results = Registry([call_upstream, not_found]).dispatch(
        [ToolCall("1", "call_upstream", None), ToolCall("2", "not_found", None)]
    )
    assert results[0].ok and results[0].attempts == 2
    assert attempts[1] - attempts[0] >= 0.19
    assert results[1].error["code"] == "upstream_error" and results[1].attempts == 1


def test_unserializable_and_oversized_results():
    class Widget:
        pass

    @tool
    def widget() -> object:
        return {"items": [{"made": Widget()}]}

    @tool
    def huge() -> list:
        return [{"index": i, "text": "x" * 100} for i in range(10_000)]

    registry = Registry([widget, huge], max_result_bytes=2_000)
    bad, big = registry.dispatch([ToolCall("1", "widget", None), ToolCall("2", "huge", None)])
    assert bad.error["code"] == "unserializable_result"
    assert "Widget" in bad.content and "[0]" in bad.content
    assert big.ok and len(big.content.encode()) <= 2_000
    json.loads(big.content)
    # The encoding stopped past the cap: the rest of the megabyte was never written.
    assert big.truncated == {"original_bytes": None, "kept_bytes": len(big.content.encode())}
    assert json.loads(big.content)[-1].endswith(" more items]")


def test_authorization_denies_without_running():
    ran = []

    def only_readers(call, context):
        if call.name == "delete_all" and context != "admin":
            raise PermissionError("needs the admin role")
        return True

    @tool
    def delete_all() -> str:
        ran.append("delete_all")
        return "deleted"

    registry = Registry([delete_all], authorize=only_readers)
    [denied] = registry.dispatch([ToolCall("1", "delete_all", None)], context="guest")
    assert denied.error["code"] == "denied" and "needs the admin role" in denied.content
    assert ran == []
    [allowed] = registry.dispatch([ToolCall("2", "delete_all", None)], context="admin")
    assert allowed.ok and ran == ["delete_all"]

    @tool(authorize=lambda call, context: False)
    def never() -> str:
        return "no"

    [result] = Registry([never]).dispatch([ToolCall("1", "never", None)])
    assert result.error["code"] == "denied"


def test_a_tool_can_receive_its_call_context():
    @tool
    def whoami(greeting: str, ctx: CallContext) -> str:
        return f"{greeting} {ctx.context['user']} ({ctx.call.id})"

    assert "ctx" not in whoami.schema["properties"]
    [result] = Registry([whoami]).dispatch(
        [ToolCall("c9", "whoami", '{"greeting": "hi"}')], context={"user": "ada"}
    )
    assert result.content == "hi ada (c9)"


class SearchTool:
    """Search the index."""

    def __init__(self):
        self.last_query = None

    def __call__(self, query: str) -> str:
        self.last_query = query
        time.sleep(0.001)
        return f"results for {self.last_query}"


def test_shared_instances_are_reported_and_factories_give_each_call_its_own():
    shared = Tool.from_function(SearchTool(), name="search", shared_state="warn")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Registry([shared]).dispatch([ToolCall(str(i), "search", f'{{"query": "q{i}"}}') for i in range(4)])
    assert any(
        issubclass(w.category, SharedStateWarning) and "self.last_query" in str(w.message) for w in caught
    )

    strict = Tool.from_function(SearchTool(), name="search", shared_state="error")
    [result] = Registry([strict]).dispatch([ToolCall("1", "search", '{"query": "a"}')])
    assert result.error["code"] == "tool_error" and "self.last_query" in result.content

    fresh = Tool.from_factory(SearchTool)
    assert fresh.name == "search_tool" and set(fresh.schema["properties"]) == {"query"}
    results = Registry([fresh]).dispatch(
        [ToolCall(str(i), "search_tool", f'{{"query": "q{i}"}}') for i in range(50)]
    )
    assert [r.content for r in results] == [f"results for q{i}" for i in range(50)]


def test_duplicate_names_are_refused_naming_both_definitions():
    def first(x: int) -> int:
        return x

    def second(x: int) -> int:
        return x

    one = Tool.from_function(first, name="calc")
    two = Tool.from_function(second, name="calc")
    with pytest.raises(ToolDefinitionError) as caught:
        Registry([one, two])
    message = str(caught.value)
    assert "first" in message and "second" in message and "calc" in message
    registry = Registry([one, two], replace=True)
    assert registry["calc"] is two


def test_schemas_for_every_tool_with_the_provider_limit():
    registry = Registry([get_weather, fetch])
    definitions = registry.schemas("openai")
    assert [d["function"]["name"] for d in definitions] == ["get_weather", "fetch"]
    assert all(d["function"]["strict"] for d in definitions)
    assert registry.schemas("anthropic")[0]["input_schema"]["type"] == "object"

    many = Registry([Tool.from_schema(f"t{i}", {"type": "object", "properties": {}}) for i in range(129)])
    with pytest.raises(ToolDefinitionError, match="128"):
        many.schemas("openai")


def test_strict_mode_per_dispatch():
    registry = Registry([get_weather])
    [lenient] = registry.dispatch([ToolCall("1", "get_weather", '{"city": "A", "days": "2"}')])
    [strict] = registry.dispatch([ToolCall("1", "get_weather", '{"city": "A", "days": "2"}')], mode="strict")
    assert lenient.ok and not strict.ok
    assert strict.error["code"] == "invalid_arguments"


def test_metrics_and_prometheus():
    registry = Registry([get_weather])
    registry.dispatch(
        [
            ToolCall("1", "get_weather", '{"city": "A"}'),
            ToolCall("2", "get_weather", '{"City": "B"}'),
            ToolCall("3", "get_weather", "{}"),
        ]
    )
    stats = registry.metrics()["get_weather"]
    assert stats["calls"] == 3 and stats["successes"] == 2
    assert stats["errors"] == {"invalid_arguments": 1}
    assert stats["repairs"] == {"renamed_key": 1}
    assert stats["latency"]["p50"] is not None
    text = registry.metrics().to_prometheus()
    assert 'toolproof_calls_total{tool="get_weather"} 3' in text


def test_logs_each_call_and_redacts_raw_arguments(caplog):
    registry = Registry([get_weather], redact=lambda arguments: "<redacted>")
    with caplog.at_level(logging.DEBUG, logger="toolproof"):
        registry.dispatch([ToolCall("1", "get_weather", '{"city": "secret-city"}')])
    messages = [record.getMessage() for record in caplog.records]
    assert any("tool get_weather call 1: ok" in m for m in messages)
    assert any("<redacted>" in m for m in messages)
    assert not any("secret-city" in m for m in messages)


def test_unexpected_errors_are_logged_with_their_traceback(caplog):
    @tool
    def divide(a: int, b: int) -> float:
        return a / b

    with caplog.at_level(logging.ERROR, logger="toolproof"):
        [result] = Registry([divide]).dispatch([ToolCall("1", "divide", '{"a": 1, "b": 0}')])
    assert result.error["code"] == "unexpected_error"
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info and record.exc_info[0] is ZeroDivisionError
    assert "a / b" in caplog.text


def test_dispatch_from_inside_a_running_loop_runs_async_tools_elsewhere():
    registry = Registry([fetch])

    async def main():
        # A blocking dispatch inside a coroutine (as in a notebook) must not deadlock.
        return registry.dispatch([ToolCall("1", "fetch", '{"url": "a"}')])

    [result] = asyncio.run(main())
    assert result.ok


def test_a_permanent_error_from_the_tool_reaches_the_model_verbatim():
    @tool
    def lookup(order_id: str) -> str:
        raise PermanentError(f"order {order_id} does not exist; list orders first")

    [result] = Registry([lookup]).dispatch([ToolCall("1", "lookup", '{"order_id": "X1"}')])
    assert result.content == "order X1 does not exist; list orders first"
