"""One process dispatching guarded tools through a ``Registry`` that shares a ``RedisCoordinator``
with others, for the cross-process tests of the admission options.

``python dispatch_worker.py <scenario> <json arguments>`` runs a scenario and prints what it saw
as one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any

import toolproof
from toolproof import CircuitBreaker, Registry, Retry, ToolCall
from toolproof.redis import RedisCoordinator


def wait_until(start: float) -> None:
    """Start together with the other processes: at a wall-clock time the test chose."""
    time.sleep(max(start - time.time(), 0.0))


def registry(args: dict[str, Any], *tools: toolproof.Tool, **options: Any) -> Registry:
    return Registry(tools, coordinator=RedisCoordinator(args["url"], prefix=args["prefix"]), **options)


def codes(results: list[Any]) -> list[str | None]:
    return [None if result.ok else str(result.error["code"]) for result in results]


def rate(args: dict[str, Any]) -> dict[str, Any]:
    """Dispatch ``attempts`` calls, one every ``interval`` seconds; report when each one ran."""
    ran: list[float] = []

    @toolproof.tool(rate_limit=args["rate"])
    def search(q: str) -> str:
        """Search."""
        ran.append(time.time())
        return q

    shared = registry(args, search)
    refused: list[str | None] = []
    wait_until(args["start"])
    next_try = time.monotonic()
    for i in range(args["attempts"]):
        refused += [
            code for code in codes(shared.dispatch([ToolCall(f"c{i}", "search", {"q": "x"})])) if code
        ]
        next_try += args["interval"]
        time.sleep(max(next_try - time.monotonic(), 0.0))
    return {"ran": ran, "refused": refused}


def hold_slots(args: dict[str, Any]) -> dict[str, Any]:
    """Run ``slots`` calls that never end, holding (and renewing) their slots: the test kills
    this process."""
    entered = threading.Semaphore(0)

    @toolproof.tool(max_concurrency=args["cap"], lease=args["lease"])
    def upload(n: int) -> int:
        """Upload."""
        entered.release()
        time.sleep(3600)
        return n

    shared = registry(args, upload)
    batch = [ToolCall(f"u{i}", "upload", {"n": i}) for i in range(args["slots"])]
    threading.Thread(target=shared.dispatch, args=(batch,), daemon=True).start()
    for _ in batch:
        entered.acquire()
    print(json.dumps({"running": len(batch)}), flush=True)
    time.sleep(3600)
    return {}


def breaker(args: dict[str, Any]) -> dict[str, Any]:
    """Dispatch ``calls`` calls of a payments tool, one at a time, that fail as an outage would
    (``fail``) or succeed after ``seconds``."""

    @toolproof.tool(
        circuit_breaker=CircuitBreaker(failures=args["failures"], window=30.0, cooldown=args["cooldown"])
    )
    def payments(amount: int) -> str:
        """Pay."""
        if args["fail"]:
            raise ConnectionError("the payment provider is down")
        if args.get("seconds"):
            print("probing", flush=True)
            time.sleep(args["seconds"])
        return f"paid {amount}"

    shared = registry(args, payments)
    seen: list[str | None] = []
    for i in range(args["calls"]):
        seen += codes(shared.dispatch([ToolCall(f"{os.getpid()}-{i}", "payments", {"amount": 1})]))
    return {"codes": seen}


def side_effects(args: dict[str, Any]) -> dict[str, Any]:
    """Dispatch calls whose ids are order keys (each sent twice, in this process's order), in
    batches; a call that runs appends one line to the ledger after failing once before it (a
    retry), the side effect that must happen once per key."""
    failed_once: set[str] = set()

    @toolproof.tool(
        idempotency_key="call_id", retry=Retry(attempts=20, initial_delay=0.01, max_delay=0.05, jitter=False)
    )
    def send_email(order: str) -> str:
        """Send the order's confirmation."""
        if order not in failed_once:
            failed_once.add(order)
            raise ConnectionError("smtp unreachable")
        with open(args["ledger"], "a") as ledger:
            ledger.write(f"{order} {os.getpid()}\n")
        time.sleep(0.005)
        return f"sent {order}"

    shared = registry(args, send_email)
    batches: list[list[str]] = [[]]
    for key in args["keys"]:
        # A batch holds each call id once: a repeat goes to the next batch.
        if key in batches[-1] or len(batches[-1]) == 10:
            batches.append([])
        batches[-1].append(key)
    wait_until(args["start"])
    results: dict[str, list[Any]] = {}
    for batch in batches:
        for result in shared.dispatch([ToolCall(key, "send_email", {"order": key}) for key in batch]):
            results.setdefault(result.call_id, []).append([result.ok, result.content])
    return {"results": results}


def cached(args: dict[str, Any]) -> dict[str, Any]:
    """Dispatch one call of a cached tool at the same moment as the others."""

    @toolproof.tool(cache_ttl=60.0)
    def forecast(city: str) -> dict[str, Any]:
        """Forecast."""
        with open(args["ledger"], "a") as ledger:
            ledger.write(f"{os.getpid()}\n")
        time.sleep(0.3)
        return {"city": city, "computed_by": os.getpid()}

    shared = registry(args, forecast)
    wait_until(args["start"])
    (result,) = shared.dispatch([ToolCall("f", "forecast", {"city": "Oslo"})])
    return {"ok": result.ok, "content": result.content}


SCENARIOS = {
    "rate": rate,
    "hold_slots": hold_slots,
    "breaker": breaker,
    "side_effects": side_effects,
    "cached": cached,
}

if __name__ == "__main__":
    print(json.dumps(SCENARIOS[sys.argv[1]](json.loads(sys.argv[2]))), flush=True)
