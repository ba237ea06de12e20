"""The authorization hook fails closed: async hooks are awaited, only ``True`` allows, every
exception a hook raises denies (BaseException subclasses included), and the hook sees the
arguments exactly as the tool will receive them."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from toolproof import Registry, ToolCall, tool


class HookEscape(BaseException):
    """A BaseException that is neither KeyboardInterrupt nor SystemExit."""


def guarded_registry(hook: Any, ran: list[str]) -> Registry:
    @tool
    def read_file(path: str) -> str:
        ran.append(path)
        return f"contents of {path}"

    @tool
    async def fetch(url: str) -> str:
        await asyncio.sleep(0)
        ran.append(url)
        return url

    return Registry([read_file, fetch], authorize=hook)


CALLS = [ToolCall("1", "read_file", {"path": "/tmp/x"}), ToolCall("2", "fetch", {"url": "u"})]


def dispatch_both_ways(registry: Registry) -> list[list[Any]]:
    return [registry.dispatch(CALLS), asyncio.run(registry.adispatch(CALLS))]


async def async_deny(call: Any, context: Any) -> bool:
    return False


async def async_deny_after_waiting(call: Any, context: Any) -> bool:
    await asyncio.sleep(0.01)
    return False


async def async_allow_after_waiting(call: Any, context: Any) -> bool:
    await asyncio.sleep(0.01)
    return True


@pytest.mark.parametrize("hook", [async_deny, async_deny_after_waiting])
def test_an_async_hook_that_denies_denies(hook: Any) -> None:
    ran: list[str] = []
    for results in dispatch_both_ways(guarded_registry(hook, ran)):
        assert [r.error["code"] for r in results] == ["denied", "denied"]
    assert ran == []


def test_an_async_hook_that_allows_allows() -> None:
    ran: list[str] = []
    for results in dispatch_both_ways(guarded_registry(async_allow_after_waiting, ran)):
        assert [r.ok for r in results] == [True, True]
    assert sorted(ran) == ["/tmp/x", "/tmp/x", "u", "u"]


@pytest.mark.parametrize(
    "verdict",
    ["yes", 1, [True], object(), "False", 0.5],
    ids=["str", "int", "list", "object", "str-false", "float"],
)
def test_only_true_allows(verdict: Any) -> None:
    ran: list[str] = []
    for results in dispatch_both_ways(guarded_registry(lambda call, context: verdict, ran)):
        assert [r.error["code"] for r in results] == ["denied", "denied"]
    assert ran == []


@pytest.mark.parametrize(
    "error",
    [SystemExit(0), SystemExit(3), KeyboardInterrupt(), HookEscape(), GeneratorExit(), RuntimeError("boom")],
    ids=["exit0", "exit3", "interrupt", "base", "generator-exit", "runtime"],
)
def test_a_hook_that_raises_denies_and_the_batch_goes_on(error: BaseException) -> None:
    ran: list[str] = []

    def hook(call: Any, context: Any) -> bool:
        if call.name == "read_file":
            raise error
        return True

    registry = guarded_registry(hook, ran)
    # From another thread, where a KeyboardInterrupt cannot be the user's Ctrl-C.
    box: list[Any] = []
    worker = threading.Thread(target=lambda: box.append(registry.dispatch(CALLS)))
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "dispatch hung"
    [results] = box
    assert results[0].error["code"] == "denied" and "could not be authorized" in results[0].content
    assert results[1].ok
    if not isinstance(error, KeyboardInterrupt):
        # On the main thread too (a KeyboardInterrupt there is the user's, and interrupts).
        results = registry.dispatch(CALLS)
        assert results[0].error["code"] == "denied" and results[1].ok
    assert ran == ["u", "u"] if not isinstance(error, KeyboardInterrupt) else ran == ["u"]


@pytest.mark.parametrize("error", [SystemExit(1), KeyboardInterrupt(), HookEscape(), ValueError("no")])
def test_an_async_hook_that_raises_denies(error: BaseException) -> None:
    ran: list[str] = []

    async def hook(call: Any, context: Any) -> bool:
        await asyncio.sleep(0)
        if call.name == "read_file":
            raise error
        return True

    registry = guarded_registry(hook, ran)
    for results in dispatch_both_ways(registry):
        assert results[0].error["code"] == "denied" and results[1].ok
    # The background loop survived the hook: a later async dispatch still works.
    assert registry.dispatch([ToolCall("3", "fetch", {"url": "later"})])[0].ok


def test_a_keyboard_interrupt_from_the_main_thread_hook_interrupts_without_running_anything() -> None:
    ran: list[str] = []

    def hook(call: Any, context: Any) -> bool:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        guarded_registry(hook, ran).dispatch(CALLS)
    assert ran == []


def test_the_hook_sees_the_arguments_the_tool_receives() -> None:
    seen: list[Any] = []
    ran: list[str] = []

    def no_secrets(call: Any, context: Any) -> bool:
        seen.append(dict(call.arguments))
        return call.arguments.get("path") != "/etc/shadow"

    registry = guarded_registry(no_secrets, ran)
    for arguments in ({"Path": "/etc/shadow"}, '{"PATH": "/etc/shadow"}', {"path": "/etc/shadow"}):
        [result] = registry.dispatch([ToolCall("1", "read_file", arguments)])
        assert result.error["code"] == "denied"
    assert ran == []
    assert seen == [{"path": "/etc/shadow"}] * 3

    @tool
    def repeat(times: int) -> int:
        return times

    hooked: list[Any] = []
    registry = Registry([repeat], authorize=lambda call, context: hooked.append(call.arguments) or True)
    [result] = registry.dispatch([ToolCall("1", "repeat", '{"Times": "3"}')])
    assert result.ok and result.content == "3"
    assert hooked == [{"times": 3}]


def test_a_hook_cannot_change_the_arguments_it_approves() -> None:
    ran: list[str] = []

    def sneaky(call: Any, context: Any) -> bool:
        call.arguments["path"] = "/etc/shadow"
        return True

    [result, _] = guarded_registry(sneaky, ran).dispatch(CALLS)
    assert result.ok and result.content == "contents of /tmp/x"
    assert "/tmp/x" in ran and "/etc/shadow" not in ran


def test_tool_level_async_hooks_in_run_and_arun() -> None:
    async def deny(call: Any, context: Any) -> bool:
        await asyncio.sleep(0)
        return False

    ran: list[int] = []

    @tool(authorize=deny)
    def guarded(n: int) -> int:
        ran.append(n)
        return n

    @tool(authorize=deny)
    async def guarded_async(n: int) -> int:
        ran.append(n)
        return n

    assert guarded.run({"n": 1}).error["code"] == "denied"
    assert asyncio.run(guarded.arun({"n": 1})).error["code"] == "denied"
    assert guarded_async.run({"n": 1}).error["code"] == "denied"
    assert asyncio.run(guarded_async.arun({"n": 1})).error["code"] == "denied"
    assert ran == []
