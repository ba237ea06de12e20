"""toolproof in one run: the argument road, then a model's batch of tool calls, first through the usual
hand-written loop, then dispatched by toolproof.

Offline: the model is scripted. Run with ``make demo``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import textwrap
import time
from decimal import Decimal
from typing import Literal

import toolproof
from toolproof import ArgumentError, Registry, Retry, RetryableError, tool
from toolproof.testing import fake_openai

WIDTH = 118


def heading(title: str) -> None:
    print()
    print("=" * WIDTH)
    print(title)
    print("=" * WIDTH)


def shorten(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


# --- the tools ------------------------------------------------------------------------------------


@tool
def file_claim(claim_id: str, amount: float, priority: Literal["low", "normal", "high"] = "normal") -> dict:
    """File an insurance claim.

    Args:
        claim_id: The claim's identifier, like C-1042.
        amount: The amount claimed, in euros.
        priority: How urgent the claim is.
    """
    return {"claim_id": claim_id, "amount": amount, "priority": priority, "status": "filed"}


@dataclasses.dataclass
class Receipt:
    number: str
    total: Decimal
    issued: dt.datetime


@tool
def get_receipt(number: str) -> Receipt:
    """Look up a receipt by its number."""
    return Receipt(number, Decimal("1249.90"), dt.datetime(2025, 3, 14, 9, 26, 53, tzinfo=dt.timezone.utc))


_exchange_attempts = {"count": 0}


@tool(retry=Retry(attempts=4, initial_delay=0.02, max_delay=0.1))
def exchange_rate(base: str, quote: str) -> float:
    """The exchange rate between two currencies (its upstream is flaky)."""
    _exchange_attempts["count"] += 1
    if _exchange_attempts["count"] < 3:
        raise RetryableError("rate service busy (HTTP 503)")
    return 1.0842


@tool(timeout=0.3)
def search_archive(query: str) -> list:
    """Search the claims archive (slow)."""
    time.sleep(2)
    return []


@tool
def next_business_day(after: dt.date) -> dt.date:
    """The next business day after a date."""
    day = after + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


registry = Registry([file_claim, get_receipt, exchange_rate, search_archive, next_business_day])


# --- part 1: the argument road -------------------------------------------------------------------


def show_road() -> None:
    heading("1. The argument road: what a model sent, what file_claim receives")
    print(f"file_claim expects {file_claim.signature}\n")
    texts = [
        '{"claim_id": "C-1042", "amount": 1249.9}',
        '{"claimId": "C-1042", "amount": "1249.90", "priority": "HIGH"}',
        "```json\n{'claim_id': 'C-1042', 'amount': 1249.9, 'note': None,}\n```",
        'Sure! Here are the arguments: {"amount": 1249.9, "claim_id": "C-1042"',
        '{"claim_id": "C-1042", "amount": 12',
        '{"claim_id": "C-1042", "amount": "about a thousand"}',
        '{"claim_id": "C-1042", "amount": 12.5, "path": "/etc/pa',
    ]
    for text in texts:
        print(f"model sent:  {shorten(text, WIDTH - 13)}")
        try:
            parsed = file_claim.parse_args(text)
        except ArgumentError as error:
            print("lenient:     refused; the model is told:")
            print(textwrap.indent(error.for_model(), "             | "))
        else:
            print(f"lenient:     {json.dumps(parsed.arguments)}")
            for repair in parsed.repairs:
                where = repair.path or "(text)"
                print(
                    f"             repaired {repair.kind} at {where}: {shorten(repr(repair.before), 30)} -> "
                    f"{shorten(repr(repair.after), 30)}"
                )
        try:
            file_claim.parse_args(text, mode="strict")
            print("strict:      accepted as sent")
        except ArgumentError as error:
            print(f"strict:      refused ({len(error.errors)} error(s)): {shorten(str(error), WIDTH - 40)}")
        print()


# --- part 2: a batch of calls from the model -------------------------------------------------------


def model_turn() -> list[toolproof.ToolCall]:
    """One scripted model turn of nine calls, several of them flawed the way models' calls are."""
    model = fake_openai(
        [
            [
                ("file_claim", '{"claimId": "C-1042", "amount": "1249.90", "priority": "HIGH"}'),
                ("get_receipt", "```json\n{'number': 'R-77',}\n```"),
                ("exchange_rate", '{"base": "EUR", "quote": "USD"}'),
                ("search_archive", '{"query": "water damage"}'),
                ("next_business_day", '{"after": "2025-03-14"}'),
                ("file_claim", '{"claim_id": "C-1043", "amount": "twelve"}'),
                ("get_weather", '{"city": "Paris"}'),
                ("file_claim", '{"claim_id": "C-1044", "amount": 80}'),
                ("get_receipt", '{"number": "R-78"}'),
            ]
        ]
    )
    response = model(
        messages=[{"role": "user", "content": "File my claims and check the receipts."}],
        tools=registry.schemas("openai"),
    )
    calls = toolproof.to_tool_calls(response)
    # The model reused an id, as models sometimes do.
    calls[8] = toolproof.ToolCall(calls[0].id, calls[8].name, calls[8].arguments)
    return calls


def show_plain_loop(calls: list[toolproof.ToolCall]) -> None:
    heading("2. Before: the same 9 calls through the usual hand-written loop")
    print("for call in calls: json.loads(arguments), call the function, json.dumps(result)\n")
    functions = {tool.name: tool.func for tool in registry}
    usable = 0
    started = time.perf_counter()
    for call in calls:
        began = time.perf_counter()
        try:
            result = functions[call.name](**json.loads(call.arguments))
            content = json.dumps(result)
        except Exception as error:
            outcome = f"{type(error).__name__}: {error}"
        else:
            usable += 1
            outcome = f"ok: {content}"
        took = (time.perf_counter() - began) * 1000
        print(f"{call.id:10} {call.name:18} {took:>7.1f} ms   {shorten(outcome, WIDTH - 44)}")
    wall = time.perf_counter() - started
    print("-" * WIDTH)
    summary = (
        f"{usable} of {len(calls)} calls gave the model an answer, in {wall * 1000:.0f} ms one after another; "
        "'twelve' reached file_claim as a string, the repeated call id went unnoticed, and without the "
        "try/except the first exception would have ended the turn."
    )
    print(textwrap.fill(summary, WIDTH))
    _exchange_attempts["count"] = 0


def show_batch(calls: list[toolproof.ToolCall]) -> list[toolproof.ToolResult]:
    heading("3. After: the same 9 calls dispatched by toolproof, in parallel")
    started = time.perf_counter()
    results = registry.dispatch(calls)
    wall = time.perf_counter() - started

    print(f"{'call id':10} {'tool':18} {'outcome':20} {'tries':>5} {'ms':>7}   the model reads")
    print("-" * WIDTH)
    for result in results:
        outcome = "ok" if result.ok else result.error["code"]
        print(
            f"{result.call_id:10} {result.name:18} {outcome:20} {result.attempts:>5} {result.elapsed * 1000:>7.1f}   "
            f"{shorten(result.content, WIDTH - 66)}"
        )
        kinds = sorted({r.kind for r in result.repairs})
        if kinds:
            print(f"{'':57}   repaired: {', '.join(kinds)}")
    print("-" * WIDTH)
    slowest = max(r.elapsed for r in results)
    print(
        f"{len(results)} calls, {len(results)} results, in {wall * 1000:.0f} ms wall time "
        f"(the slowest call alone took {slowest * 1000:.0f} ms: the calls ran in parallel)"
    )
    return results


def show_messages(results: list[toolproof.ToolResult]) -> None:
    heading("4. What goes back to the model")
    print("OpenAI Chat Completions (one role=tool message per call):")
    for message in toolproof.results_to_messages(results[:3], "openai"):
        print("  " + shorten(json.dumps(message), WIDTH - 2))
    print("  ...")
    print("\nAnthropic (every result in one user message, failures marked is_error):")
    [message] = toolproof.results_to_messages(results, "anthropic")
    for block in message["content"][5:8]:
        print("  " + shorten(json.dumps(block), WIDTH - 2))
    print("  ...")


def show_metrics() -> None:
    heading("5. What was counted")
    print(registry.metrics())
    print("\nPrometheus (excerpt):")
    lines = [
        line
        for line in registry.metrics().to_prometheus().splitlines()
        if line.startswith("toolproof_errors")
    ]
    for line in lines[:6]:
        print("  " + line)


def main() -> None:
    print(f"toolproof {toolproof.__version__}")
    show_road()
    calls = model_turn()
    show_plain_loop(calls)
    results = show_batch(calls)
    show_messages(results)
    show_metrics()


if __name__ == "__main__":
    main()
