"""The ``toolproof`` logger: each call when it is settled, at a level that tells failures from
successes; retries; bugs in a tool's own code told apart from bad arguments."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest
from toolproof import Registry, Retry, RetryableError, ToolCall, tool
from toolproof._classify import classify


def records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "toolproof"]


def test_a_call_is_logged_when_it_finishes_not_when_its_batch_does() -> None:
    fast_logged = threading.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if getattr(record, "call_id", None) == "fast":
                fast_logged.set()

    @tool
    def fast() -> str:
        return "done"

    @tool
    def slow() -> str:
        # Waits for the fast call's log line: it comes only if calls are logged as they finish.
        return "saw the log" if fast_logged.wait(5) else "no log before the batch ended"

    handler = Watch(level=logging.INFO)
    log = logging.getLogger("toolproof")
    log.addHandler(handler)
    previous = log.level
    log.setLevel(logging.INFO)
    try:
        results = Registry([fast, slow]).dispatch(
            [ToolCall("fast", "fast", "{}"), ToolCall("slow", "slow", "{}")]
        )
    finally:
        log.removeHandler(handler)
        log.setLevel(previous)
    assert results[1].content == "saw the log"


def test_failures_at_warning_successes_at_info(caplog: pytest.LogCaptureFixture) -> None:
    @tool
    def add(a: int, b: int) -> int:
        return a + b

    caplog.set_level(logging.INFO, logger="toolproof")
    Registry([add]).dispatch(
        [
            ToolCall("1", "add", '{"a": 1, "b": 2}'),
            ToolCall("2", "add", '{"a": "x"}'),
            ToolCall("3", "nope", "{}"),
        ]
    )
    by_call = {record.call_id: record for record in records(caplog)}  # type: ignore[attr-defined]
    assert by_call["1"].levelno == logging.INFO and by_call["1"].outcome == "ok"  # type: ignore[attr-defined]
    assert by_call["2"].levelno == logging.WARNING and by_call["2"].outcome == "invalid_arguments"  # type: ignore[attr-defined]
    assert by_call["3"].levelno == logging.WARNING and by_call["3"].outcome == "unknown_tool"  # type: ignore[attr-defined]
    assert "failed: invalid_arguments" in by_call["2"].getMessage()


def test_success_level_is_configurable(caplog: pytest.LogCaptureFixture) -> None:
    @tool
    def ping() -> str:
        return "pong"

    registry = Registry([ping], success_log_level=logging.DEBUG)
    caplog.set_level(logging.INFO, logger="toolproof")
    registry.dispatch([ToolCall("1", "ping", "{}")])
    assert records(caplog) == []
    caplog.set_level(logging.DEBUG, logger="toolproof")
    registry.dispatch([ToolCall("2", "ping", "{}")])
    assert [r.levelno for r in records(caplog) if "ok in" in r.getMessage()] == [logging.DEBUG]


def test_failures_are_logged_at_the_default_level(caplog: pytest.LogCaptureFixture) -> None:
    @tool
    def ping() -> str:
        return "pong"

    caplog.set_level(logging.WARNING, logger="toolproof")
    Registry([ping]).dispatch([ToolCall("1", "ping", "{}"), ToolCall("2", "pong", "{}")])
    assert [(r.call_id, r.levelno) for r in records(caplog)] == [("2", logging.WARNING)]  # type: ignore[attr-defined]


def test_each_retry_is_logged_with_attempt_delay_and_reason(caplog: pytest.LogCaptureFixture) -> None:
    tries = []

    @tool(retry=Retry(attempts=3, initial_delay=0.001, jitter=False))
    def flaky() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise RetryableError("the service is busy")
        return "ok"

    caplog.set_level(logging.INFO, logger="toolproof")
    [result] = Registry([flaky]).dispatch([ToolCall("1", "flaky", "{}")])
    assert result.ok and result.attempts == 3
    retries = [r for r in records(caplog) if "retrying" in r.getMessage()]
    assert [(r.attempt, r.levelno, r.reason) for r in retries] == [  # type: ignore[attr-defined]
        (1, logging.INFO, "retryable_error"),
        (2, logging.INFO, "retryable_error"),
    ]
    assert all(r.delay > 0 for r in retries)  # type: ignore[attr-defined]
    assert "the service is busy" in retries[0].getMessage()


def test_retries_are_logged_when_a_tool_runs_alone(caplog: pytest.LogCaptureFixture) -> None:
    tries = []

    @tool(retry=Retry(attempts=2, initial_delay=0.001))
    def flaky() -> str:
        tries.append(1)
        if len(tries) < 2:
            raise RetryableError("busy")
        return "ok"

    caplog.set_level(logging.INFO, logger="toolproof")
    assert flaky.run({}).ok
    assert [r.attempt for r in records(caplog) if "retrying" in r.getMessage()] == [1]  # type: ignore[attr-defined]


def test_a_type_error_inside_the_tool_is_a_bug_not_bad_arguments(caplog: pytest.LogCaptureFixture) -> None:
    @tool
    def count(items: list[int]) -> int:
        return len(items[0])  # a bug: an int has no len()

    caplog.set_level(logging.INFO, logger="toolproof")
    [result] = Registry([count]).dispatch([ToolCall("1", "count", '{"items": [1, 2]}')])
    assert not result.ok
    assert result.error is not None and result.error["code"] == "tool_error"
    assert "own code" in result.content and "not caused by your arguments" in result.content
    assert "Traceback" not in result.content and "len()" not in result.content
    [record] = records(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and isinstance(record.exc_info[1], TypeError)
    assert "count" in caplog.text and "Traceback" in caplog.text


def test_arguments_that_do_not_fit_the_function_are_bad_arguments() -> None:
    # Definitions are checked against the function, so this is the engine's view of a call whose
    # arguments were refused by the function's signature, not by anything inside it.
    def lookup(city: str) -> str:
        return city

    try:
        lookup(town="Oslo")  # type: ignore[call-arg]
    except TypeError as error:
        refused = error
    verdict = classify(refused, "lookup", lookup, (), {"town": "Oslo"})
    assert (verdict.kind, verdict.code) == ("permanent", "invalid_arguments")
    assert "city" in verdict.message
    inside = classify(TypeError("unsupported operand"), "lookup", lookup, (), {"city": "Oslo"})
    assert (inside.kind, inside.code) == ("unexpected", "tool_error")


def test_adispatch_logs_each_call(caplog: pytest.LogCaptureFixture) -> None:
    @tool
    async def echo(text: str) -> str:
        await asyncio.sleep(0)
        return text

    @tool
    def broken() -> str:
        raise RuntimeError("boom")

    caplog.set_level(logging.INFO, logger="toolproof")
    registry = Registry([echo, broken])
    asyncio.run(registry.adispatch([ToolCall("1", "echo", '{"text": "hi"}'), ToolCall("2", "broken", "{}")]))
    levels = {r.call_id: r.levelno for r in records(caplog)}  # type: ignore[attr-defined]
    assert levels == {"1": logging.INFO, "2": logging.ERROR}


def test_arguments_are_logged_at_debug_through_redact(caplog: pytest.LogCaptureFixture) -> None:
    @tool
    def login(user: str, password: str) -> str:
        return "ok"

    def redact(arguments: object) -> object:
        return "<redacted>"

    caplog.set_level(logging.DEBUG, logger="toolproof")
    Registry([login], redact=redact).dispatch([ToolCall("1", "login", '{"user": "a", "password": "secret"}')])
    assert "secret" not in caplog.text and "<redacted>" in caplog.text
