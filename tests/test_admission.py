"""Admission through one interface: the in-process coordinator and the Redis one (synchronous
and asyncio) answer the same requests the same way."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import toolproof
from redis_server import RedisServer
from toolproof import _core
from toolproof._adapt import failures
from toolproof.admission import (
    AdmissionRequest,
    CircuitBreaker,
    Coordinator,
    Decision,
    Guards,
    LocalCoordinator,
    Outcome,
)
from toolproof.codes import RETRYABLE_CODES, ResultCode
from toolproof.redis import RedisCoordinator


class OnOneLoop:
    """A coordinator's asyncio methods, driven from a test on one event loop."""

    def __init__(self, coordinator: RedisCoordinator) -> None:
        self.coordinator = coordinator
        self.loop = asyncio.new_event_loop()

    def admit(self, requests: Sequence[AdmissionRequest]) -> list[Decision]:
        return self.loop.run_until_complete(self.coordinator.aadmit(requests))

    def complete(self, decisions: Sequence[Decision], outcomes: Sequence[Outcome]) -> None:
        self.loop.run_until_complete(self.coordinator.acomplete(decisions, outcomes))

    def renew(self, decisions: Sequence[Decision]) -> None:
        self.loop.run_until_complete(self.coordinator.arenew(decisions))

    def close(self) -> None:
        self.loop.close()


@pytest.fixture(params=["local", "redis", "redis-asyncio"])
def coordinator(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "local":
        yield LocalCoordinator()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    shared = RedisCoordinator(server.url, prefix="t")
    if request.param == "redis":
        yield shared
        return
    driven = OnOneLoop(shared)
    yield driven
    driven.close()


def admit_one(coordinator: Any, guards: Guards, **keys: Any) -> Decision:
    (decision,) = coordinator.admit([AdmissionRequest(guards, **keys)])
    return decision


# -- result codes and options ----------------------------------------------------------------------


def test_result_codes_are_the_cores_one_list() -> None:
    assert [code.value for code in ResultCode] == [name for name, _ in _core.result_codes()]
    assert toolproof.ResultCode is ResultCode
    assert failures.RETRYABLE_CODES is RETRYABLE_CODES
    for code in ("rate_limited", "circuit_open", "in_progress", "coordinator_unavailable"):
        assert ResultCode(code).retryable
    assert not ResultCode.INVALID_ARGUMENTS.retryable
    assert ResultCode.RATE_LIMITED == "rate_limited" and str(ResultCode.RATE_LIMITED) == "rate_limited"


def test_circuit_breaker_is_a_typed_value() -> None:
    breaker = toolproof.CircuitBreaker()
    assert (breaker.failures, breaker.window, breaker.cooldown) == (5, 30.0, 10.0)
    assert breaker == CircuitBreaker(failures=5, window=30.0, cooldown=10.0)
    assert hash(breaker) == hash(CircuitBreaker())
    assert breaker != CircuitBreaker(failures=3)
    assert repr(breaker) == "CircuitBreaker(failures=5, window=30.0, cooldown=10.0)"
    with pytest.raises(ValueError, match="failures must be at least 1"):
        CircuitBreaker(failures=0)
    with pytest.raises(ValueError, match="window must be a positive number of seconds"):
        CircuitBreaker(window=-1)


def test_guards_refuse_what_they_cannot_honour_naming_the_tool() -> None:
    guards = Guards("search", rate_limit=["10/second", "1000/hour"], max_wait=2)
    assert guards.rates == [(10, 1.0), (1000, 3600.0)]
    assert Guards("search", rate_limit="5/minute").rates == [(5, 60.0)]
    with pytest.raises(ValueError, match="tool 'search': rate limit 'ten/second'"):
        Guards("search", rate_limit="ten/second")
    with pytest.raises(ValueError, match="tool 'search': max_concurrency must be at least 1"):
        Guards("search", max_concurrency=0)
    with pytest.raises(ValueError, match="cache_ttl must be a positive"):
        Guards("search", cache_ttl=0)


def test_both_coordinators_have_the_one_interface(redis_server: RedisServer) -> None:
    assert isinstance(LocalCoordinator(), Coordinator)
    assert isinstance(RedisCoordinator(redis_server.url), Coordinator)


# -- the rules, for each coordinator ---------------------------------------------------------------


def test_rate_limit_waits_within_max_wait_and_refuses_beyond(coordinator: Any) -> None:
    guards = Guards("search", rate_limit="4/second", max_wait=0.3)
    decisions = coordinator.admit([AdmissionRequest(guards)] * 5)
    assert [d.kind for d in decisions] == ["admitted"] * 4 + ["wait"]
    assert decisions[4].retry_after == pytest.approx(0.25, abs=0.02)
    hurried = admit_one(coordinator, guards, max_wait=0.05)
    assert hurried.kind == "refused" and hurried.code == ResultCode.RATE_LIMITED
    assert hurried.retry_after == pytest.approx(0.25, abs=0.02)
    time.sleep(hurried.retry_after)
    assert admit_one(coordinator, guards).kind == "admitted"


def test_several_limits_hold_together(coordinator: Any) -> None:
    guards = Guards("search", rate_limit=["100/second", "3/minute"])
    decisions = coordinator.admit([AdmissionRequest(guards)] * 4)
    assert [d.kind for d in decisions] == ["admitted"] * 3 + ["refused"]
    assert decisions[3].retry_after == pytest.approx(20.0, abs=0.1)


def test_concurrency_slots_are_released_per_call(coordinator: Any) -> None:
    guards = Guards("upload", max_concurrency=2)
    decisions = coordinator.admit([AdmissionRequest(guards)] * 3)
    assert [d.kind for d in decisions] == ["admitted", "admitted", "wait"]
    assert decisions[0].leased
    coordinator.complete([decisions[0]], [Outcome(True, result="1")])
    assert admit_one(coordinator, guards).kind == "admitted"
    assert admit_one(coordinator, guards).kind == "wait"


def test_a_renewed_lease_outlives_its_term_and_an_abandoned_one_does_not(coordinator: Any) -> None:
    guards = Guards("upload", max_concurrency=1, lease=0.3)
    held = admit_one(coordinator, guards)
    for _ in range(3):
        time.sleep(0.15)
        coordinator.renew([held])
        assert admit_one(coordinator, guards).kind == "wait"
    time.sleep(0.35)
    assert admit_one(coordinator, guards).kind == "admitted"


def test_a_refused_call_takes_nothing(coordinator: Any) -> None:
    guards = Guards("upload", rate_limit="1/second", max_concurrency=2)
    decisions = coordinator.admit([AdmissionRequest(guards)] * 3)
    assert [d.kind for d in decisions] == ["admitted", "refused", "refused"]
    coordinator.complete(decisions, [Outcome(True, result="1")] * 3)
    guards_cap_only = Guards("upload", max_concurrency=2)
    assert [d.kind for d in coordinator.admit([AdmissionRequest(guards_cap_only)] * 2)] == [
        "admitted",
        "admitted",
    ]


def test_the_breaker_opens_fails_fast_and_one_probe_closes_it(coordinator: Any) -> None:
    guards = Guards("payments", circuit_breaker=CircuitBreaker(failures=3, window=10, cooldown=0.3))
    for _ in range(2):
        decision = admit_one(coordinator, guards)
        coordinator.complete([decision], [Outcome(False, retryable_failure=False)])
    assert admit_one(coordinator, guards).kind == "admitted", "a call's own failure is not counted"
    for _ in range(3):
        decision = admit_one(coordinator, guards)
        coordinator.complete([decision], [Outcome(False, retryable_failure=True)])
    refused = admit_one(coordinator, guards)
    assert refused.code == ResultCode.CIRCUIT_OPEN
    assert 0.2 < (refused.retry_after or 0) <= 0.3
    time.sleep(0.3)
    probe, other = coordinator.admit([AdmissionRequest(guards)] * 2)
    assert probe.kind == "admitted" and probe.probe
    assert other.code == ResultCode.CIRCUIT_OPEN
    coordinator.complete([probe], [Outcome(False, retryable_failure=True)])
    assert admit_one(coordinator, guards).code == ResultCode.CIRCUIT_OPEN, "a failed probe reopens it"
    time.sleep(0.3)
    probe = admit_one(coordinator, guards)
    coordinator.complete([probe], [Outcome(True, result="1")])
    assert [d.kind for d in coordinator.admit([AdmissionRequest(guards)] * 3)] == ["admitted"] * 3


def test_a_cached_result_is_computed_once(coordinator: Any) -> None:
    guards = Guards("forecast", cache_ttl=0.5)
    first, second = coordinator.admit([AdmissionRequest(guards, cache_key='{"city":"Oslo"}')] * 2)
    assert first.kind == "admitted" and second.kind == "wait"
    other = admit_one(coordinator, guards, cache_key='{"city":"Rome"}')
    assert other.kind == "admitted", "another key computes on its own"
    coordinator.complete([first], [Outcome(True, result='{"t": 3}')])
    hit = admit_one(coordinator, guards, cache_key='{"city":"Oslo"}')
    assert (hit.kind, hit.result) == ("cached", '{"t": 3}')
    time.sleep(0.55)
    assert admit_one(coordinator, guards, cache_key='{"city":"Oslo"}').kind == "admitted"


def test_a_failed_computation_is_not_cached(coordinator: Any) -> None:
    guards = Guards("forecast", cache_ttl=60)
    first = admit_one(coordinator, guards, cache_key="k")
    coordinator.complete([first], [Outcome(False)])
    assert admit_one(coordinator, guards, cache_key="k").kind == "admitted"


def test_an_idempotency_key_runs_once(coordinator: Any) -> None:
    guards = Guards("send_email")
    first, again = coordinator.admit([AdmissionRequest(guards, idempotency_key="mail-1")] * 2)
    assert first.kind == "admitted"
    assert again.code == ResultCode.IN_PROGRESS and again.retry_after
    coordinator.complete([first], [Outcome(True, result='"sent"')])
    duplicate = admit_one(coordinator, guards, idempotency_key="mail-1")
    assert (duplicate.kind, duplicate.result) == ("duplicate", '"sent"')


def test_a_failed_run_gives_its_idempotency_key_back(coordinator: Any) -> None:
    guards = Guards("send_email")
    first = admit_one(coordinator, guards, idempotency_key="mail-2")
    coordinator.complete([first], [Outcome(False, retryable_failure=True)])
    assert admit_one(coordinator, guards, idempotency_key="mail-2").kind == "admitted"


def test_complete_needs_one_outcome_per_decision(coordinator: Any) -> None:
    decision = admit_one(coordinator, Guards("search"))
    with pytest.raises(ValueError, match="one outcome per decision"):
        coordinator.complete([decision], [])


# -- one process, many threads ----------------------------------------------------------------------


def test_a_cap_holds_across_threads() -> None:
    local = LocalCoordinator()
    guards = Guards("upload", max_concurrency=4)
    running = 0
    most = 0
    lock = threading.Lock()

    def call() -> None:
        nonlocal running, most
        while True:
            (decision,) = local.admit([AdmissionRequest(guards)])
            if decision.kind == "admitted":
                break
            time.sleep(decision.retry_after or 0)
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.001)
        with lock:
            running -= 1
        local.complete([decision], [Outcome(True, result="1")])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: call(), range(400)))
    assert most == 4
    assert local.slots_held("upload") == 0


# -- the Redis coordinator when Redis is not there ----------------------------------------------------


def test_one_round_trip_admits_a_whole_batch(redis_server: RedisServer) -> None:
    coordinator = RedisCoordinator(redis_server.url)
    guards = Guards(
        "search",
        rate_limit=["1000/second", "100000/hour"],
        max_concurrency=500,
        circuit_breaker=CircuitBreaker(),
        cache_ttl=10,
    )
    coordinator.admit([AdmissionRequest(guards)])  # loads the scripts
    before = coordinator.counters()["round_trips"]
    requests = [AdmissionRequest(guards, cache_key=str(i), idempotency_key=str(i)) for i in range(100)]
    decisions = coordinator.admit(requests)
    assert all(d.kind == "admitted" for d in decisions)
    assert coordinator.counters()["round_trips"] == before + 1
    coordinator.complete(decisions, [Outcome(True, result="1")] * 100)
    assert coordinator.counters()["round_trips"] == before + 2


def test_scripts_lost_by_redis_are_loaded_again(redis_server: RedisServer) -> None:
    import redis

    coordinator = RedisCoordinator(redis_server.url)
    assert admit_one(coordinator, Guards("search")).kind == "admitted"
    redis.Redis.from_url(redis_server.url).script_flush()
    assert admit_one(coordinator, Guards("search")).kind == "admitted"


def test_a_stalled_redis_costs_one_timeout_then_answers_at_once(redis_server: RedisServer) -> None:
    coordinator = RedisCoordinator(redis_server.url, timeout=0.2, recheck=0.3)
    guards = Guards("search", max_concurrency=10, lease=1.0)
    assert admit_one(coordinator, Guards("warm_up")).kind == "admitted"
    pid = redis_server_pid(redis_server)
    os.kill(pid, signal.SIGSTOP)
    try:
        began = time.monotonic()
        decisions = coordinator.admit([AdmissionRequest(guards)] * 10)
        assert time.monotonic() - began < 0.4
        assert {(d.kind, d.code) for d in decisions} == {("refused", ResultCode.COORDINATOR_UNAVAILABLE)}
        began = time.monotonic()
        assert admit_one(coordinator, guards).code == ResultCode.COORDINATOR_UNAVAILABLE
        assert time.monotonic() - began < 0.01, "within recheck, no second timeout"
    finally:
        os.kill(pid, signal.SIGCONT)
    # The stalled Redis ran the batch it never answered: those slots are held by nobody, and
    # come back when their leases run out.
    time.sleep(0.5)
    assert admit_one(coordinator, guards).kind == "wait"
    time.sleep(0.7)
    assert admit_one(coordinator, guards).kind == "admitted"


def test_fail_open_admits_without_guards(redis_server: RedisServer) -> None:
    coordinator = RedisCoordinator(redis_server.url, timeout=0.2, on_unavailable="open")
    redis_server.kill()
    decisions = coordinator.admit([AdmissionRequest(Guards("search", max_concurrency=1))] * 3)
    assert [d.kind for d in decisions] == ["admitted"] * 3
    assert not any(d.leased for d in decisions)
    coordinator.complete(decisions, [Outcome(True, result="1")] * 3)
    assert coordinator.counters()["unavailable"] == 3


def test_asyncio_admission_is_bounded_when_redis_stalls(redis_server: RedisServer) -> None:
    coordinator = RedisCoordinator(redis_server.url, timeout=0.2)
    guards = Guards("search")

    async def main() -> None:
        assert (await coordinator.aadmit([AdmissionRequest(guards)]))[0].kind == "admitted"
        pid = redis_server_pid(redis_server)
        os.kill(pid, signal.SIGSTOP)
        try:
            began = time.monotonic()
            (decision,) = await coordinator.aadmit([AdmissionRequest(guards)])
            assert time.monotonic() - began < 0.4
            assert decision.code == ResultCode.COORDINATOR_UNAVAILABLE
        finally:
            os.kill(pid, signal.SIGCONT)

    asyncio.run(main())


def redis_server_pid(server: RedisServer) -> int:
    assert server._process is not None
    return server._process.pid


def test_a_client_of_the_wrong_kind_says_which_methods_to_use(redis_server: RedisServer) -> None:
    import redis
    import redis.asyncio

    asynchronous = RedisCoordinator(redis.asyncio.Redis.from_url(redis_server.url))
    with pytest.raises(TypeError, match="use aadmit, acomplete and arenew"):
        asynchronous.admit([AdmissionRequest(Guards("search"))])
    synchronous = RedisCoordinator(redis.Redis.from_url(redis_server.url))
    assert admit_one(synchronous, Guards("search")).kind == "admitted"
    with pytest.raises(TypeError, match="needs a redis:// URL"):
        RedisCoordinator(42)  # type: ignore[arg-type]
