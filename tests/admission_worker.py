"""One process sharing guards through Redis with others, for the cross-process tests.

``python admission_worker.py <scenario> <json arguments>`` runs a scenario against a
``RedisCoordinator`` and prints what it saw as one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from toolproof.admission import AdmissionRequest, CircuitBreaker, Guards, Outcome
from toolproof.redis import RedisCoordinator


def wait_until(start: float) -> None:
    """Start together with the other processes: at a wall-clock time the test chose."""
    time.sleep(max(start - time.time(), 0.0))


def rate(args: dict[str, Any]) -> dict[str, Any]:
    """Try ``attempts`` admissions, one every ``interval`` seconds; report when each got through."""
    coordinator = RedisCoordinator(args["url"], prefix=args["prefix"])
    request = AdmissionRequest(Guards("search", rate_limit=args["rate"]))
    admitted = []
    wait_until(args["start"])
    next_try = time.monotonic()
    for _ in range(args["attempts"]):
        (decision,) = coordinator.admit([request])
        if decision.kind == "admitted":
            admitted.append(time.time())
            coordinator.complete([decision], [Outcome(True, result="1")])
        next_try += args["interval"]
        time.sleep(max(next_try - time.monotonic(), 0.0))
    return {"admitted": admitted}


def hold_slots(args: dict[str, Any]) -> dict[str, Any]:
    """Take ``slots`` slots and never give them back: the test kills this process."""
    coordinator = RedisCoordinator(args["url"], prefix=args["prefix"])
    guards = Guards("upload", max_concurrency=args["cap"], lease=args["lease"])
    decisions = coordinator.admit([AdmissionRequest(guards)] * args["slots"])
    print(json.dumps({"kinds": [d.kind for d in decisions]}), flush=True)
    time.sleep(3600)
    return {}


def breaker_guards(args: dict[str, Any]) -> Guards:
    return Guards(
        "payments",
        circuit_breaker=CircuitBreaker(failures=args["failures"], window=30.0, cooldown=args["cooldown"]),
    )


def fail(args: dict[str, Any]) -> dict[str, Any]:
    """Admit calls and report each as a retryable failure, as an outage would."""
    coordinator = RedisCoordinator(args["url"], prefix=args["prefix"])
    request = AdmissionRequest(breaker_guards(args))
    kinds = []
    for _ in range(args["calls"]):
        (decision,) = coordinator.admit([request])
        kinds.append(decision.kind)
        coordinator.complete([decision], [Outcome(False, retryable_failure=True)])
    return {"kinds": kinds}


def admit_once(args: dict[str, Any]) -> dict[str, Any]:
    """One admission under the breaker's guards, completed as a success."""
    coordinator = RedisCoordinator(args["url"], prefix=args["prefix"])
    (decision,) = coordinator.admit([AdmissionRequest(breaker_guards(args))])
    if decision.kind == "admitted":
        coordinator.complete([decision], [Outcome(True, result="1")])
    return {"kind": decision.kind, "code": decision.code, "probe": decision.probe}


def side_effects(args: dict[str, Any]) -> dict[str, Any]:
    """Run each keyed call (duplicates and retries included) until it has a result; a call that
    runs appends one line to the ledger, the side effect that must happen once per key."""
    coordinator = RedisCoordinator(args["url"], prefix=args["prefix"])
    guards = Guards("send_email", lease=5.0)
    results = {}
    wait_until(args["start"])
    for key in args["keys"]:
        request = AdmissionRequest(guards, idempotency_key=key)
        while True:
            (decision,) = coordinator.admit([request])
            if decision.kind == "admitted":
                with open(args["ledger"], "a") as ledger:
                    ledger.write(f"{key} {os.getpid()}\n")
                time.sleep(0.005)
                result = json.dumps(f"sent {key}")
                coordinator.complete([decision], [Outcome(True, result=result)])
                results[key] = result
                break
            if decision.kind == "duplicate":
                results[key] = decision.result
                break
            assert decision.code == "in_progress", decision
            time.sleep(decision.retry_after or 0.01)
    return {"results": results}


def cached(args: dict[str, Any]) -> dict[str, Any]:
    """Ask for one cached key at the same moment as the others; compute it if admitted."""
    coordinator = RedisCoordinator(args["url"], prefix=args["prefix"])
    request = AdmissionRequest(Guards("forecast", cache_ttl=60.0), cache_key='{"city":"Oslo"}')
    wait_until(args["start"])
    while True:
        (decision,) = coordinator.admit([request])
        if decision.kind == "admitted":
            with open(args["ledger"], "a") as ledger:
                ledger.write(f"{os.getpid()}\n")
            time.sleep(0.3)
            result = json.dumps({"city": "Oslo", "computed_by": os.getpid()})
            coordinator.complete([decision], [Outcome(True, result=result)])
            return {"result": result, "computed": True}
        if decision.kind == "cached":
            return {"result": decision.result, "computed": False}
        assert decision.kind == "wait", decision
        time.sleep(decision.retry_after or 0.01)


SCENARIOS = {
    "rate": rate,
    "hold_slots": hold_slots,
    "fail": fail,
    "admit_once": admit_once,
    "side_effects": side_effects,
    "cached": cached,
}

if __name__ == "__main__":
    print(json.dumps(SCENARIOS[sys.argv[1]](json.loads(sys.argv[2]))), flush=True)
