"""Guards shared by real processes through a real Redis: rate, slots, breaker, idempotency,
cache, and a Redis that dies mid-batch."""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import toolproof
from redis_server import RedisServer
from toolproof import ResultCode, ToolCall
from toolproof.admission import AdmissionRequest, CircuitBreaker, Guards, Outcome
from toolproof.redis import RedisCoordinator

WORKER = str(Path(__file__).with_name("admission_worker.py"))
# Admission attempts per process in the rate test; the achieved rate is measured over them.
RATE_ATTEMPTS = int(os.environ.get("TOOLPROOF_RATE_ATTEMPTS", "500"))


def start(scenario: str, **args: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, WORKER, scenario, json.dumps(args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def report(process: subprocess.Popen[str], timeout: float = 60) -> dict[str, Any]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def run(scenario: str, **args: Any) -> dict[str, Any]:
    return report(start(scenario, **args))


def test_four_processes_share_one_rate_limit(redis_server: RedisServer) -> None:
    # Each process offers about three times the limit, so the limit alone sets the pace.
    interval = 0.006
    processes = [
        start(
            "rate",
            url=redis_server.url,
            prefix="rate",
            rate="50/second",
            attempts=RATE_ATTEMPTS,
            interval=interval,
            start=time.time() + 1.0,
        )
        for _ in range(4)
    ]
    admitted = sorted(t for process in processes for t in report(process)["admitted"])
    # The first 50 are the burst a quiet limit allows; after it, calls go through at the rate.
    # The rate is the slope of a least-squares line through the steady admissions, so a process
    # descheduled while it writes down one time (the first or the last, say) cannot move it much.
    steady = admitted[50:]
    achieved = statistics.linear_regression(steady, range(len(steady))).slope
    assert 45 <= achieved <= 55, f"{achieved:.1f}/s over {len(steady)} calls"
    # Nothing beyond one burst plus the rate, over the whole run, in any process mix.
    span = admitted[-1] - admitted[0]
    assert len(admitted) <= 50 + 50 * span + 2


def test_slots_of_a_killed_process_free_within_the_lease(redis_server: RedisServer) -> None:
    lease = 1.0
    holder = start("hold_slots", url=redis_server.url, prefix="slots", cap=3, slots=3, lease=lease)
    assert holder.stdout is not None
    assert json.loads(holder.stdout.readline())["kinds"] == ["admitted"] * 3
    holder.kill()
    holder.wait()
    killed_at = time.monotonic()

    coordinator = RedisCoordinator(redis_server.url, prefix="slots")
    request = AdmissionRequest(Guards("upload", max_concurrency=3, lease=lease))
    (first,) = coordinator.admit([request])
    assert first.kind == "wait", "the dead holder's slots are still leased"
    while True:
        (decision,) = coordinator.admit([request])
        if decision.kind == "admitted":
            break
        assert time.monotonic() - killed_at < lease + 0.5, "slots not freed within the lease"
        time.sleep(decision.retry_after or 0.01)
    assert time.monotonic() - killed_at <= lease + 0.1


def test_failures_in_one_process_open_the_breaker_in_another(redis_server: RedisServer) -> None:
    # The cooldown outlasts a process's start and exit on a loaded machine, so the breaker is still
    # open when this process asks.
    breaker = {"url": redis_server.url, "prefix": "breaker", "failures": 5, "cooldown": 4.0}
    assert run("fail", calls=5, **breaker)["kinds"] == ["admitted"] * 5

    coordinator = RedisCoordinator(redis_server.url, prefix="breaker")
    guards = Guards("payments", circuit_breaker=CircuitBreaker(failures=5, window=30.0, cooldown=4.0))
    (refused,) = coordinator.admit([AdmissionRequest(guards)])
    assert refused.code == ResultCode.CIRCUIT_OPEN
    assert refused.retry_after is not None and 0 < refused.retry_after <= 4.0
    time.sleep(refused.retry_after)

    (probe,) = coordinator.admit([AdmissionRequest(guards)])
    assert probe.kind == "admitted" and probe.probe
    other = run("admit_once", **breaker)
    assert other["code"] == "circuit_open", "one probe at a time"
    coordinator.complete([probe], [Outcome(True, result="1")])
    closed = run("admit_once", **breaker)
    assert closed == {"kind": "admitted", "code": None, "probe": False}


def test_duplicate_keys_from_several_processes_run_once_each(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    keys = [f"order-{i}" for i in range(25)]
    ledger = tmp_path / "ledger"
    processes = []
    for seed in range(4):
        # Every process sends every key, twice (a retry), in its own order.
        mine = keys * 2
        random.Random(seed).shuffle(mine)
        processes.append(
            start(
                "side_effects",
                url=redis_server.url,
                prefix="idem",
                keys=mine,
                ledger=str(ledger),
                start=time.time() + 0.8,
            )
        )
    results = [report(process)["results"] for process in processes]
    runs = [line.split()[0] for line in ledger.read_text().splitlines()]
    assert sorted(runs) == sorted(keys), "each key's side effect happened exactly once"
    for seen in results:
        assert seen == {key: json.dumps(f"sent {key}") for key in keys}


def test_eight_processes_asking_for_one_cached_key_compute_it_once(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger"
    begin = time.time() + 1.0
    processes = [
        start("cached", url=redis_server.url, prefix="cache", ledger=str(ledger), start=begin)
        for _ in range(8)
    ]
    answers = [report(process) for process in processes]
    assert len(ledger.read_text().splitlines()) == 1
    assert sum(answer["computed"] for answer in answers) == 1
    assert len({answer["result"] for answer in answers}) == 1


def test_redis_killed_mid_batch_gives_every_call_a_decision_then_work_resumes(
    redis_server: RedisServer,
) -> None:
    coordinator = RedisCoordinator(redis_server.url, prefix="outage", timeout=0.3, recheck=0.2)
    guards = Guards("search", max_concurrency=1000, rate_limit="100000/second")
    batch = [AdmissionRequest(guards)] * 100
    seen: list[tuple[float, list[Any]]] = []
    stop = threading.Event()

    def batches() -> None:
        while not stop.is_set():
            began = time.monotonic()
            decisions = coordinator.admit(batch)
            seen.append((time.monotonic() - began, decisions))
            coordinator.complete(decisions, [Outcome(True, result="1")] * len(decisions))
            # A refused batch is tried again after its hint, as the engine does.
            hint = max((d.retry_after or 0.0 for d in decisions), default=0.0)
            time.sleep(min(hint, 0.05))

    worker = threading.Thread(target=batches)
    worker.start()
    try:
        time.sleep(0.3)
        redis_server.kill()
        time.sleep(0.6)
        during = len(seen)
        redis_server.start()
        time.sleep(0.8)
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()

    kinds = set()
    for elapsed, decisions in seen:
        assert len(decisions) == len(batch), "every call of every batch has a decision"
        assert elapsed < 0.3 + 0.2, f"a batch waited {elapsed:.2f} s"
        for decision in decisions:
            kinds.add((decision.kind, decision.code))
            assert decision.kind == "admitted" or (
                decision.code == ResultCode.COORDINATOR_UNAVAILABLE and decision.retry_after
            ), decision
    assert ("refused", ResultCode.COORDINATOR_UNAVAILABLE) in kinds
    assert all(d.kind == "admitted" for d in seen[-1][1]), "admissions resumed after the restart"
    assert len(seen) > during, "batches went on after the restart"
    assert coordinator.counters()["unavailable"] > 0


# -- the same, through Registry.dispatch in every process ---------------------------------------------

DISPATCHER = str(Path(__file__).with_name("dispatch_worker.py"))


def dispatching(scenario: str, **args: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, DISPATCHER, scenario, json.dumps(args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_four_dispatching_processes_share_one_rate_limit(redis_server: RedisServer) -> None:
    processes = [
        dispatching(
            "rate",
            url=redis_server.url,
            prefix="drate",
            rate="50/second",
            attempts=RATE_ATTEMPTS,
            interval=0.006,
            start=time.time() + 1.5,
        )
        for _ in range(4)
    ]
    reports = [report(process) for process in processes]
    ran = sorted(t for seen in reports for t in seen["ran"])
    assert {code for seen in reports for code in seen["refused"]} == {"rate_limited"}
    steady = ran[50:]
    achieved = (len(steady) - 1) / (steady[-1] - steady[0])
    assert 45 <= achieved <= 55, f"{achieved:.1f}/s over {len(steady)} calls"
    assert len(ran) <= 50 + 50 * (ran[-1] - ran[0]) + 2


def test_slots_held_by_a_killed_dispatcher_free_within_the_lease(redis_server: RedisServer) -> None:
    lease = 1.0
    holder = dispatching("hold_slots", url=redis_server.url, prefix="dslots", cap=3, slots=3, lease=lease)
    assert holder.stdout is not None
    assert json.loads(holder.stdout.readline()) == {"running": 3}
    coordinator = RedisCoordinator(redis_server.url, prefix="dslots")

    @toolproof.tool(max_concurrency=3, lease=lease)
    def upload(n: int) -> int:
        """Upload."""
        return n

    # Renewed while the calls run: still held well past one lease.
    time.sleep(2 * lease)
    (decision,) = coordinator.admit([AdmissionRequest(Guards("upload", max_concurrency=3, lease=lease))])
    assert decision.kind == "wait", "the running calls' slots are renewed"
    holder.kill()
    holder.wait()
    killed_at = time.monotonic()
    (result,) = toolproof.Registry([upload], coordinator=coordinator).dispatch(
        [ToolCall("u", "upload", {"n": 1})]
    )
    assert result.ok
    assert time.monotonic() - killed_at <= lease + 0.2, "the dead holder's slots came back with their lease"


def test_failures_dispatched_in_one_process_open_the_breaker_in_another(redis_server: RedisServer) -> None:
    cooldown = 2.0
    args = {"url": redis_server.url, "prefix": "dbreaker", "failures": 5, "cooldown": cooldown}
    assert report(dispatching("breaker", fail=True, calls=5, **args))["codes"] == ["upstream_unavailable"] * 5
    opened_before = time.monotonic()

    @toolproof.tool(circuit_breaker=CircuitBreaker(failures=5, window=30.0, cooldown=cooldown))
    def payments(amount: int) -> str:
        """Pay."""
        return f"paid {amount}"

    here = toolproof.Registry([payments], coordinator=RedisCoordinator(redis_server.url, prefix="dbreaker"))
    (refused,) = here.dispatch([ToolCall("here-1", "payments", {"amount": 1})])
    assert refused.error["code"] == ResultCode.CIRCUIT_OPEN and "Try again in" in refused.content
    time.sleep(max(cooldown - (time.monotonic() - opened_before), 0.0) + 0.05)
    # One probe, slow, in another process; every other call is refused until it ends.
    probe = dispatching("breaker", fail=False, calls=1, seconds=1.5, **args)
    assert probe.stdout is not None and probe.stdout.readline().strip() == "probing"
    (during,) = here.dispatch([ToolCall("here-2", "payments", {"amount": 1})])
    assert during.error["code"] == ResultCode.CIRCUIT_OPEN
    assert report(probe)["codes"] == [None]
    closed = here.dispatch([ToolCall(f"here-{i}", "payments", {"amount": 1}) for i in range(3, 6)])
    assert [result.ok for result in closed] == [True] * 3


def test_an_idempotent_tool_dispatched_from_several_processes_runs_once_per_key(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    keys = [f"order-{i}" for i in range(25)]
    ledger = tmp_path / "ledger"
    processes = []
    for seed in range(4):
        mine = keys * 2
        random.Random(seed).shuffle(mine)
        processes.append(
            dispatching(
                "side_effects",
                url=redis_server.url,
                prefix="didem",
                keys=mine,
                ledger=str(ledger),
                start=time.time() + 1.5,
            )
        )
    results = [report(process)["results"] for process in processes]
    runs = [line.split()[0] for line in ledger.read_text().splitlines()]
    assert sorted(runs) == sorted(keys), "each key's side effect happened exactly once"
    for seen in results:
        assert seen == {key: [[True, f"sent {key}"]] * 2 for key in keys}


def test_a_cached_tool_dispatched_by_eight_processes_at_once_runs_once(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger"
    begin = time.time() + 1.5
    processes = [
        dispatching("cached", url=redis_server.url, prefix="dcache", ledger=str(ledger), start=begin)
        for _ in range(8)
    ]
    answers = [report(process) for process in processes]
    assert len(ledger.read_text().splitlines()) == 1
    assert all(answer["ok"] for answer in answers)
    assert len({answer["content"] for answer in answers}) == 1


def test_redis_killed_mid_dispatch_gives_every_call_one_result_then_work_resumes(
    redis_server: RedisServer,
) -> None:
    coordinator = RedisCoordinator(redis_server.url, prefix="doutage", timeout=0.3, recheck=0.2)

    @toolproof.tool(rate_limit="100000/second", max_concurrency=1000)
    def search(q: str) -> str:
        """Search."""
        return q

    registry = toolproof.Registry([search], coordinator=coordinator)
    seen: list[tuple[float, list[str], list[Any]]] = []
    stop = threading.Event()

    def batches() -> None:
        n = 0
        while not stop.is_set():
            ids = [f"b{n}-{i}" for i in range(100)]
            n += 1
            began = time.monotonic()
            results = registry.dispatch([ToolCall(i, "search", {"q": i}) for i in ids])
            seen.append((time.monotonic() - began, ids, results))
            time.sleep(0.02)

    worker = threading.Thread(target=batches)
    worker.start()
    try:
        time.sleep(0.3)
        redis_server.kill()
        time.sleep(0.6)
        during = len(seen)
        redis_server.start()
        time.sleep(1.0)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive()
    outcomes = set()
    for elapsed, ids, results in seen:
        assert [result.call_id for result in results] == ids, "every call id has one result"
        assert elapsed < 2.0, f"a batch took {elapsed:.2f} s"
        for result in results:
            code = None if result.ok else result.error["code"]
            outcomes.add(code)
            assert result.ok or (
                code == ResultCode.COORDINATOR_UNAVAILABLE and "Try again in" in result.content
            )
    assert ResultCode.COORDINATOR_UNAVAILABLE in outcomes
    assert all(result.ok for result in seen[-1][2]), "work resumed after the restart"
    assert len(seen) > during
