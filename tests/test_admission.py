"""Admission through one interface: the in-process coordinator and the Redis one (synchronous
and asyncio) answer the same requests the same way."""

from __future__ import annotations

import asyncio
import collections
import itertools
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
    # The same slot, a little nearer: however long the machine took between the two asks.
    assert hurried.retry_after is not None and 0 < hurried.retry_after <= decisions[4].retry_after
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
    # Renewed well inside its term, so a loaded machine's late wake-ups do not let it lapse.
    guards = Guards("upload", max_concurrency=1, lease=1.0)
    held = admit_one(coordinator, guards)
    for _ in range(3):
        time.sleep(0.4)
        coordinator.renew([held])
        assert admit_one(coordinator, guards).kind == "wait"
    time.sleep(1.1)
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
    # A cooldown long enough that a loaded machine does not see it pass between two lines.
    guards = Guards("payments", circuit_breaker=CircuitBreaker(failures=3, window=10, cooldown=1.0))
    for _ in range(2):
        decision = admit_one(coordinator, guards)
        coordinator.complete([decision], [Outcome(False, retryable_failure=False)])
    assert admit_one(coordinator, guards).kind == "admitted", "a call's own failure is not counted"
    for _ in range(3):
        decision = admit_one(coordinator, guards)
        coordinator.complete([decision], [Outcome(False, retryable_failure=True)])
    refused = admit_one(coordinator, guards)
    assert refused.code == ResultCode.CIRCUIT_OPEN
    assert refused.retry_after is not None and 0 < refused.retry_after <= 1.0
    time.sleep(refused.retry_after)
    probe, other = coordinator.admit([AdmissionRequest(guards)] * 2)
    assert probe.kind == "admitted" and probe.probe
    assert other.code == ResultCode.CIRCUIT_OPEN
    coordinator.complete([probe], [Outcome(False, retryable_failure=True)])
    assert admit_one(coordinator, guards).code == ResultCode.CIRCUIT_OPEN, "a failed probe reopens it"
    time.sleep(1.0)
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


# -- the options, through Registry.dispatch, adispatch and Tool.run ------------------------------------

_prefixes = itertools.count()


@pytest.fixture(params=["local", "redis"])
def shared(request: pytest.FixtureRequest) -> Any:
    """A coordinator given to a registry: in this process, or in Redis under a prefix of its own."""
    if request.param == "local":
        return LocalCoordinator()
    server: RedisServer = request.getfixturevalue("redis_server")
    return RedisCoordinator(server.url, prefix=f"dispatch{next(_prefixes)}")


def calls(name: str, arguments: Any, count: int, prefix: str = "c") -> list[toolproof.ToolCall]:
    return [toolproof.ToolCall(f"{prefix}{i}", name, arguments) for i in range(count)]


def codes(results: Sequence[Any]) -> list[str | None]:
    return [None if result.ok else result.error["code"] for result in results]


def tally(results: Sequence[Any]) -> dict[str | None, int]:
    """How many calls of a batch ended with each code (``None``: ok); calls of a batch run in
    parallel, so which of them got through is not fixed."""
    return dict(collections.Counter(codes(results)))


def test_a_tool_without_admission_options_runs_as_it_did() -> None:
    def search(q: str) -> str:
        return q

    plain = toolproof.Tool.from_function(search)
    assert plain.engine_spec()["func"] is plain.func
    spec = plain.engine_spec(admission_defaults=None, coordinator=LocalCoordinator())
    assert spec["func"] is plain.func and spec["injected"] == []
    # A coordinator alone guards nothing: max_concurrency stays the engine's own cap.
    capped = toolproof.Tool.from_function(search, max_concurrency=2)
    assert toolproof.Registry([capped])._engine_for_dispatch() is not None
    assert capped.engine_spec()["func"] is capped.func


def test_rate_limit_through_dispatch_refuses_with_the_code_and_a_hint(shared: Any) -> None:
    ran = []

    @toolproof.tool(rate_limit="3/second")
    def search(q: str) -> str:
        """Search."""
        ran.append(q)
        return q.upper()

    registry = toolproof.Registry([search], coordinator=shared)
    results = registry.dispatch(calls("search", {"q": "rust"}, 5))
    assert tally(results) == {None: 3, ResultCode.RATE_LIMITED: 2}
    assert len(ran) == 3
    refused = next(result for result in results if not result.ok)
    assert "rate-limited" in refused.content and "Try again in 0.3" in refused.content
    assert refused.attempts == 1


def test_rate_limit_waits_within_max_wait_through_dispatch_and_adispatch(shared: Any) -> None:
    @toolproof.tool(rate_limit="20/second", max_wait=1.0)
    def search(q: str) -> str:
        """Search."""
        return q

    @toolproof.tool(rate_limit="20/second", max_wait=1.0)
    async def asearch(q: str) -> str:
        """Search, async."""
        await asyncio.sleep(0)
        return q

    registry = toolproof.Registry([search, asearch], coordinator=shared)
    began = time.monotonic()
    assert codes(registry.dispatch(calls("search", {"q": "a"}, 25))) == [None] * 25
    # A burst of 20, then 5 more at 20/s.
    assert 0.2 <= time.monotonic() - began < 1.0
    began = time.monotonic()
    results = asyncio.run(registry.adispatch(calls("asearch", {"q": "a"}, 25)))
    assert codes(results) == [None] * 25
    assert 0.2 <= time.monotonic() - began < 1.0


def test_registry_defaults_apply_to_tools_without_their_own() -> None:
    def search(q: str) -> str:
        return q

    own = toolproof.Tool.from_function(lambda q: q, name="own", rate_limit="5/second")  # type: ignore[arg-type]
    registry = toolproof.Registry([search, own], rate_limit="2/second")
    assert tally(registry.dispatch(calls("search", {"q": "a"}, 3))) == {None: 2, ResultCode.RATE_LIMITED: 1}
    assert tally(registry.dispatch(calls("own", {"q": "a"}, 6))) == {None: 5, ResultCode.RATE_LIMITED: 1}


def test_tool_run_and_arun_are_admitted() -> None:
    @toolproof.tool(rate_limit="1/second")
    def search(q: str) -> str:
        """Search."""
        return q

    @toolproof.tool(rate_limit="1/second")
    async def asearch(q: str) -> str:
        """Search, async."""
        return q

    assert search.run({"q": "a"}).ok
    assert search.run({"q": "a"}).error["code"] == ResultCode.RATE_LIMITED

    async def twice() -> list[Any]:
        return [await asearch.arun({"q": "a"}), await asearch.arun({"q": "a"})]

    assert codes(asyncio.run(twice())) == [None, ResultCode.RATE_LIMITED]


def test_max_concurrency_is_shared_by_every_registry_using_a_coordinator() -> None:
    coordinator = LocalCoordinator()
    running = 0
    most = 0
    lock = threading.Lock()

    def upload(n: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return n

    tool = toolproof.Tool.from_function(upload, max_concurrency=2)
    registries = [toolproof.Registry([tool], coordinator=coordinator) for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        batches = list(pool.map(lambda r: r.dispatch(calls("upload", {"n": 1}, 4)), registries))
    assert all(codes(batch) == [None] * 4 for batch in batches)
    assert most == 2, "each registry alone would allow 2, so 6 together"
    assert coordinator.slots_held("upload") == 0


def test_the_breaker_opens_on_retryable_failures_and_one_probe_closes_it(shared: Any) -> None:
    state = {"down": True, "calls": 0}

    @toolproof.tool(circuit_breaker=CircuitBreaker(failures=3, window=10.0, cooldown=1.0))
    def pay(amount: int) -> str:
        """Pay."""
        state["calls"] += 1
        if amount < 0:
            raise ValueError("amount must be positive")
        if state["down"]:
            raise ConnectionError("upstream down")
        return "paid"

    registry = toolproof.Registry([pay], coordinator=shared)
    # A refusal of bad input says nothing about the upstream: not counted.
    assert codes(registry.dispatch(calls("pay", {"amount": -1}, 4))) == [ResultCode.TOOL_ERROR] * 4
    failing = registry.dispatch(calls("pay", {"amount": 1}, 3))
    assert codes(failing) == [ResultCode.UPSTREAM_UNAVAILABLE] * 3
    before = state["calls"]
    refused = registry.dispatch(calls("pay", {"amount": 1}, 2))
    assert codes(refused) == [ResultCode.CIRCUIT_OPEN] * 2
    assert state["calls"] == before, "an open circuit fails fast"
    assert "circuit breaker" in refused[0].content and "Try again in" in refused[0].content
    time.sleep(1.0)
    state["down"] = False
    assert codes(registry.dispatch(calls("pay", {"amount": 1}, 1))) == [None]
    assert codes(registry.dispatch(calls("pay", {"amount": 1}, 3))) == [None] * 3


def test_a_timed_out_async_call_counts_for_the_breaker_and_releases_its_slot() -> None:
    coordinator = LocalCoordinator()

    @toolproof.tool(
        timeout=0.3, max_concurrency=1, circuit_breaker=CircuitBreaker(failures=2, window=10, cooldown=5)
    )
    async def slow(x: int) -> int:
        """Slow."""
        await asyncio.sleep(10)
        return x

    registry = toolproof.Registry([slow], coordinator=coordinator)
    assert codes(registry.dispatch(calls("slow", {"x": 1}, 1, "a"))) == [ResultCode.TIMEOUT]
    assert codes(asyncio.run(registry.adispatch(calls("slow", {"x": 1}, 1, "b")))) == [ResultCode.TIMEOUT]
    time.sleep(0.05)
    assert coordinator.slots_held("slow") == 0
    assert codes(registry.dispatch(calls("slow", {"x": 1}, 1, "c"))) == [ResultCode.CIRCUIT_OPEN]


def test_a_cancelled_adispatch_releases_what_its_calls_held() -> None:
    coordinator = LocalCoordinator()
    started = asyncio.Event

    @toolproof.tool(max_concurrency=3, idempotency_key="call_id")
    async def wait_forever(x: int) -> int:
        """Wait."""
        await asyncio.sleep(60)
        return x

    registry = toolproof.Registry([wait_forever], coordinator=coordinator)

    async def cancel_midway() -> None:
        task = asyncio.ensure_future(registry.adispatch(calls("wait_forever", {"x": 1}, 3)))
        await asyncio.sleep(0.05)
        assert coordinator.slots_held("wait_forever") == 3
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.01)

    asyncio.run(cancel_midway())
    assert started is asyncio.Event
    assert coordinator.slots_held("wait_forever") == 0
    # The keys were given back: the same call ids may run again.
    fast = toolproof.Tool.from_function(lambda x: x, name="wait_forever", idempotency_key="call_id")
    again = toolproof.Registry([fast], coordinator=coordinator).dispatch(calls("wait_forever", {"x": 1}, 3))
    assert codes(again) == [None] * 3


def test_a_cached_result_is_computed_once_per_arguments(shared: Any) -> None:
    ran = []

    @toolproof.tool(cache_ttl=60)
    def forecast(city: str, days: int = 1) -> dict[str, Any]:
        """Forecast."""
        ran.append(city)
        time.sleep(0.05)
        return {"city": city, "days": days, "run": len(ran)}

    registry = toolproof.Registry([forecast], coordinator=shared)
    # Same arguments, keys in another order: one computes while the others wait for it.
    batch = [
        toolproof.ToolCall("a", "forecast", '{"city": "Oslo", "days": 2}'),
        toolproof.ToolCall("b", "forecast", '{"days": 2, "city": "Oslo"}'),
        toolproof.ToolCall("c", "forecast", {"city": "Oslo", "days": "2"}),
    ]
    results = registry.dispatch(batch)
    assert codes(results) == [None] * 3
    assert ran == ["Oslo"]
    assert {r.content for r in results} == {'{"city":"Oslo","days":2,"run":1}'}
    assert results[1].output == {"city": "Oslo", "days": 2, "run": 1}
    assert registry.dispatch([toolproof.ToolCall("d", "forecast", {"city": "Rome"})])[0].ok
    assert ran == ["Oslo", "Rome"]
    again = asyncio.run(registry.adispatch([toolproof.ToolCall("e", "forecast", {"city": "Rome"})]))
    assert again[0].content == '{"city":"Rome","days":1,"run":2}' and len(ran) == 2


def test_cache_key_decides_what_counts_as_the_same_call() -> None:
    ran = []

    def forecast(city: str, units: str = "C") -> str:
        ran.append((city, units))
        return f"{city} in {units}"

    tool = toolproof.Tool.from_function(
        forecast, cache_ttl=60, cache_key=lambda call: call.arguments["city"].lower()
    )
    assert tool.run({"city": "Oslo"}).content == "Oslo in C"
    assert tool.run({"city": "OSLO", "units": "F"}).content == "Oslo in C"
    assert ran == [("Oslo", "C")]


def test_a_failure_is_not_cached() -> None:
    attempts = []

    @toolproof.tool(cache_ttl=60)
    def lookup(key: str) -> str:
        """Lookup."""
        attempts.append(key)
        if len(attempts) == 1:
            raise toolproof.RetryableError("try again")
        return key

    registry = toolproof.Registry([lookup])
    assert codes(registry.dispatch(calls("lookup", {"key": "k"}, 1))) == [ResultCode.RETRYABLE_ERROR]
    assert codes(registry.dispatch(calls("lookup", {"key": "k"}, 2))) == [None, None]
    assert attempts == ["k", "k"]


def test_an_idempotency_key_runs_a_side_effect_once_under_retries(shared: Any) -> None:
    sent: list[str] = []
    failed_once: set[str] = set()

    @toolproof.tool(idempotency_key="call_id", retry=toolproof.Retry(attempts=5, initial_delay=0.01))
    def send_email(to: str) -> str:
        """Send."""
        if to not in failed_once:
            failed_once.add(to)
            raise ConnectionError("smtp unreachable")
        sent.append(to)
        return f"sent to {to}"

    registry = toolproof.Registry([send_email], coordinator=shared)
    first = registry.dispatch([toolproof.ToolCall("m1", "send_email", {"to": "a@x"})])
    assert codes(first) == [None] and first[0].attempts == 2
    # Redelivered: the same call id gets the stored result, and nothing is sent again.
    again = registry.dispatch([toolproof.ToolCall("m1", "send_email", {"to": "a@x"})])
    assert again[0].content == "sent to a@x"
    assert sent == ["a@x"]


def test_idempotency_by_arguments_and_by_a_key_function() -> None:
    sent: list[Any] = []

    def charge(order: str, amount: int) -> str:
        sent.append((order, amount))
        return f"charged {order}"

    by_arguments = toolproof.Tool.from_function(charge, idempotency_key="arguments")
    registry = toolproof.Registry([by_arguments])
    registry.dispatch([toolproof.ToolCall("1", "charge", {"order": "o1", "amount": 5})])
    registry.dispatch([toolproof.ToolCall("2", "charge", {"amount": 5, "order": "o1"})])
    assert sent == [("o1", 5)]
    by_order = toolproof.Tool.from_function(
        charge, name="charge_order", idempotency_key=lambda call: call.arguments["order"]
    )
    for amount in (5, 6):
        by_order.run({"order": "o2", "amount": amount}, call_id=f"x{amount}")
    assert sent == [("o1", 5), ("o2", 5)]


def test_a_duplicate_of_a_running_call_is_in_progress() -> None:
    @toolproof.tool(idempotency_key="arguments")
    async def transfer(amount: int) -> str:
        """Transfer."""
        await asyncio.sleep(0.1)
        return "done"

    async def both() -> list[Any]:
        registry = toolproof.Registry([transfer])
        return await registry.adispatch(calls("transfer", {"amount": 3}, 2))

    results = asyncio.run(both())
    assert tally(results) == {None: 1, ResultCode.IN_PROGRESS: 1}
    assert "running now" in next(result for result in results if not result.ok).content


def test_a_type_error_inside_an_admitted_tool_is_still_the_tools_bug() -> None:
    @toolproof.tool(rate_limit="100/second")
    def broken(x: int) -> int:
        """Broken."""
        return x + "1"  # type: ignore[operator]

    result = toolproof.Registry([broken]).dispatch(calls("broken", {"x": 1}, 1))[0]
    assert result.error["code"] == ResultCode.TOOL_ERROR


def test_leases_of_a_long_call_are_renewed_while_it_runs() -> None:
    coordinator = LocalCoordinator()

    @toolproof.tool(max_concurrency=1, lease=0.6, coordinator=coordinator)
    def long_job(x: int) -> int:
        """Long."""
        time.sleep(1.5)
        return x

    holder = threading.Thread(target=lambda: long_job.run({"x": 1}))
    holder.start()
    time.sleep(1.0)
    assert coordinator.slots_held("long_job") == 1, "renewed past its 0.6 s lease"
    holder.join()
    assert coordinator.slots_held("long_job") == 0


def test_admission_options_are_checked_when_the_tool_is_made() -> None:
    def search(q: str) -> str:
        return q

    with pytest.raises(toolproof.ToolDefinitionError, match=r"tool 'search'.*fast"):
        toolproof.Tool.from_function(search, rate_limit="fast")
    with pytest.raises(toolproof.ToolDefinitionError, match="idempotency_key must be"):
        toolproof.Tool.from_function(search, idempotency_key="call")  # type: ignore[arg-type]
    with pytest.raises(toolproof.ToolDefinitionError, match="coordinator must"):
        toolproof.Tool.from_function(search, coordinator=object())
    with pytest.raises(toolproof.ToolDefinitionError, match=r"Registry: .*cache_ttl"):
        toolproof.Registry([search], cache_ttl=-1)
    with pytest.raises(TypeError, match="did you mean 'rate_limit'"):
        toolproof.Tool.from_function(search, rate_limt="1/second")  # type: ignore[call-arg]


# -- the adapters ------------------------------------------------------------------------------------


def test_langchain_harden_takes_the_admission_options() -> None:
    pytest.importorskip("langchain_core")
    from toolproof.langchain import harden

    ran = []

    def forecast(city: str) -> str:
        """Forecast for a city."""
        ran.append(city)
        return f"sunny in {city}"

    cached = harden(forecast, cache_ttl=60)
    assert cached.invoke({"city": "Oslo"}) == cached.invoke({"city": "Oslo"}) == "sunny in Oslo"
    assert ran == ["Oslo"]
    limited = harden(forecast, rate_limit="1/minute", handle_tool_error=True)
    assert limited.invoke({"city": "Rome"}) == "sunny in Rome"
    assert "rate-limited" in limited.invoke({"city": "Rome"})


def test_autogen_harden_takes_the_admission_options() -> None:
    pytest.importorskip("autogen_core")
    from autogen_core import CancellationToken
    from toolproof.autogen import harden

    sent = []

    async def send(to: str) -> str:
        """Send a message."""
        sent.append(to)
        return f"sent to {to}"

    tool = harden(send, idempotency_key="arguments")

    async def twice() -> list[Any]:
        return [await tool.run_json({"to": "a"}, CancellationToken(), call_id=f"c{i}") for i in range(2)]

    assert asyncio.run(twice()) == ["sent to a", "sent to a"]
    assert sent == ["a"]


def test_crewai_harden_takes_the_admission_options() -> None:
    pytest.importorskip("crewai")
    from toolproof.crewai import harden

    ran = []

    def forecast(city: str) -> str:
        """Forecast for a city."""
        ran.append(city)
        return f"sunny in {city}"

    tool = harden(forecast, cache_ttl=60, coordinator=LocalCoordinator())
    assert tool.run(city="Oslo") == tool.run(city="Oslo") == "sunny in Oslo"
    assert ran == ["Oslo"]
