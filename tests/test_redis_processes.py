"""Guards shared by real processes through a real Redis: rate, slots, breaker, idempotency,
cache, and a Redis that dies mid-batch."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from redis_server import RedisServer
from toolproof import ResultCode
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
    steady = admitted[50:]
    achieved = (len(steady) - 1) / (steady[-1] - steady[0])
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
    breaker = {"url": redis_server.url, "prefix": "breaker", "failures": 5, "cooldown": 0.5}
    assert run("fail", calls=5, **breaker)["kinds"] == ["admitted"] * 5

    coordinator = RedisCoordinator(redis_server.url, prefix="breaker")
    guards = Guards("payments", circuit_breaker=CircuitBreaker(failures=5, window=30.0, cooldown=0.5))
    (refused,) = coordinator.admit([AdmissionRequest(guards)])
    assert refused.code == ResultCode.CIRCUIT_OPEN
    assert refused.retry_after is not None and 0 < refused.retry_after <= 0.5
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
