"""Admission: what asking a coordinator costs a call, and the rate-limit check against ``limits``.

Sections (every Redis figure against a redis-server of this run's own on 127.0.0.1):
  one-call    one call admitted and completed, under a rate limit, a concurrency cap and a circuit
              breaker: the in-process coordinator and the Redis one (one round trip each way)
  batch       the same for a batch of 100 calls, admitted in one pipeline and completed in another
  rate-limit  the rate-limit check alone: ``RedisCoordinator.admit`` of a call under one rate limit
              against ``limits``' moving-window ``hit`` on the same Redis (one round trip each).
              Target: toolproof at least as fast.
  per-call    the batch figures per call, and the round trips a batch takes
  dispatch-one, dispatch-batch
              the same through ``Registry.dispatch`` (one call, a batch of 100): a tool without
              admission, the tool with ``rate_limit=`` decided by each coordinator, with the three
              guards in Redis, and the tool checking ``limits``' moving window itself on the same
              Redis. Target: ``rate_limit=`` in Redis at least as fast as ``limits``.
  dispatch-overhead
              what admission adds to a dispatched call (µs, median, over the tool without it), and
              the round trips a dispatched batch takes

Run it alone (``python tests/benchmarks/bench_admission.py [--quick] [--json]``) or through run.py.
"""

from __future__ import annotations

import shutil
import sys
from typing import Any

from harness import TESTS_DIR, Candidate, Target, figures_section, main, skipped_section, timing_section

if str(TESTS_DIR) not in sys.path:
    sys.path.append(str(TESTS_DIR))

BENCHMARK = "admission"
BATCH = 100
# Limits high enough that no candidate is ever refused: every call pays for a full check.
RATE = "1000000/second"

LOCAL = "LocalCoordinator"
REDIS = "RedisCoordinator"
TOOLPROOF_RATE = "RedisCoordinator.admit (GCRA, Lua)"
LIMITS_RATE = "limits MovingWindowRateLimiter.hit"


def guards(tool: str) -> Any:
    from toolproof.admission import CircuitBreaker, Guards

    return Guards(tool, rate_limit=RATE, max_concurrency=100_000, circuit_breaker=CircuitBreaker())


def admit_and_complete(coordinator: Any, requests: list[Any]) -> Any:
    from toolproof.admission import Outcome

    done = [Outcome(True, result="1")] * len(requests)

    def call() -> None:
        decisions = coordinator.admit(requests)
        coordinator.complete(decisions, done)

    return call


def run(quick: bool) -> list[dict[str, Any]]:
    if shutil.which("redis-server") is None:
        return [
            skipped_section(
                benchmark=BENCHMARK,
                section="all",
                title="admission",
                reason="redis-server is not installed (make bench installs it with apt-get)",
            )
        ]
    from limits import parse
    from limits.storage import RedisStorage
    from limits.strategies import MovingWindowRateLimiter
    from redis_server import RedisServer
    from toolproof.admission import AdmissionRequest, Guards, LocalCoordinator
    from toolproof.redis import RedisCoordinator

    server = RedisServer()
    server.start()
    try:
        local = LocalCoordinator()
        shared = RedisCoordinator(server.url, prefix="bench")
        one_local = [AdmissionRequest(guards("local-one"))]
        one_redis = [AdmissionRequest(guards("redis-one"))]
        batch_local = [AdmissionRequest(guards("local-batch"))] * BATCH
        batch_redis = [AdmissionRequest(guards("redis-batch"))] * BATCH
        sections = [
            timing_section(
                benchmark=BENCHMARK,
                section="one-call",
                title="one call admitted and completed (rate limit, concurrency cap, breaker)",
                candidates=[
                    Candidate(LOCAL, admit_and_complete(local, one_local), "Decision"),
                    Candidate(REDIS, admit_and_complete(shared, one_redis), "Decision"),
                ],
                reference=REDIS,
                notes=["the Redis figure is two round trips to a Redis on this machine"],
                quick=quick,
                unit="µs/call",
            ),
            timing_section(
                benchmark=BENCHMARK,
                section="batch",
                title=f"a batch of {BATCH} calls admitted and completed",
                candidates=[
                    Candidate(LOCAL, admit_and_complete(local, batch_local), "list[Decision]"),
                    Candidate(REDIS, admit_and_complete(shared, batch_redis), "list[Decision]"),
                ],
                reference=REDIS,
                quick=quick,
                unit=f"µs/batch of {BATCH}",
            ),
        ]

        storage = RedisStorage(server.url)
        limiter = MovingWindowRateLimiter(storage)
        item = parse(RATE)
        rate_only = [AdmissionRequest(Guards("rate-only", rate_limit=RATE))]
        sections.append(
            timing_section(
                benchmark=BENCHMARK,
                section="rate-limit",
                title="the rate-limit check alone, one call, same Redis",
                candidates=[
                    Candidate(TOOLPROOF_RATE, lambda: shared.admit(rate_only), "Decision"),
                    Candidate(LIMITS_RATE, lambda: limiter.hit(item, "rate-only"), "bool"),
                ],
                reference=TOOLPROOF_RATE,
                targets=[Target("toolproof at least as fast", (LIMITS_RATE,), 1.0)],
                quick=quick,
                unit="µs/call",
            )
        )

        before = shared.counters()["round_trips"]
        decisions = shared.admit(batch_redis)
        admit_trips = shared.counters()["round_trips"] - before
        shared.complete(decisions, [Outcome_ok()] * BATCH)
        complete_trips = shared.counters()["round_trips"] - before - admit_trips
        batch = {row["name"]: row["median_us"] for row in sections[1]["candidates"]}
        one = {row["name"]: row["median_us"] for row in sections[0]["candidates"]}
        sections.append(
            figures_section(
                benchmark=BENCHMARK,
                section="per-call",
                title="admission overhead per call, and round trips per batch",
                figures=[
                    {"name": f"{REDIS}, one call", "value": one[REDIS], "unit": "µs/call"},
                    {"name": f"{REDIS}, batch of {BATCH}", "value": batch[REDIS] / BATCH, "unit": "µs/call"},
                    {"name": f"{LOCAL}, one call", "value": one[LOCAL], "unit": "µs/call"},
                    {"name": f"{LOCAL}, batch of {BATCH}", "value": batch[LOCAL] / BATCH, "unit": "µs/call"},
                    {
                        "name": f"round trips to admit a batch of {BATCH}",
                        "value": admit_trips,
                        "unit": "",
                        "target": "1",
                        "met": admit_trips == 1,
                    },
                    {
                        "name": f"round trips to complete a batch of {BATCH}",
                        "value": complete_trips,
                        "unit": "",
                        "target": "1",
                        "met": complete_trips == 1,
                    },
                ],
            )
        )
        sections += dispatch_sections(quick, server.url, limiter, item)
        return sections
    finally:
        server.stop()


PLAIN = "no admission"
DISPATCH_LOCAL = "rate_limit=, LocalCoordinator"
DISPATCH_REDIS = "rate_limit=, RedisCoordinator"
DISPATCH_GUARDS = "rate, cap, breaker, RedisCoordinator"
DISPATCH_LIMITS = "limits moving window in the tool"


def dispatch_sections(quick: bool, url: str, limiter: Any, item: Any) -> list[dict[str, Any]]:
    import toolproof
    from toolproof.admission import CircuitBreaker
    from toolproof.redis import RedisCoordinator

    def search(q: str) -> str:
        return q

    def search_limited(q: str) -> str:
        if not limiter.hit(item, "dispatch"):
            raise toolproof.RetryableError("rate-limited")
        return q

    coordinators = {
        DISPATCH_REDIS: RedisCoordinator(url, prefix="bench-rate"),
        DISPATCH_GUARDS: RedisCoordinator(url, prefix="bench-guards"),
    }
    registries = {
        PLAIN: toolproof.Registry([toolproof.Tool.from_function(search)]),
        DISPATCH_LOCAL: toolproof.Registry([toolproof.Tool.from_function(search, rate_limit=RATE)]),
        DISPATCH_REDIS: toolproof.Registry(
            [toolproof.Tool.from_function(search, rate_limit=RATE)], coordinator=coordinators[DISPATCH_REDIS]
        ),
        DISPATCH_GUARDS: toolproof.Registry(
            [
                toolproof.Tool.from_function(
                    search, rate_limit=RATE, max_concurrency=100_000, circuit_breaker=CircuitBreaker()
                )
            ],
            coordinator=coordinators[DISPATCH_GUARDS],
        ),
        DISPATCH_LIMITS: toolproof.Registry([toolproof.Tool.from_function(search_limited, name="search")]),
    }
    one = [toolproof.ToolCall("c", "search", {"q": "x"})]
    batch = [toolproof.ToolCall(f"c{i}", "search", {"q": "x"}) for i in range(BATCH)]
    for registry in registries.values():
        assert all(result.ok for result in registry.dispatch(batch)), "every candidate's calls succeed"

    def candidates(calls: list[Any]) -> list[Candidate]:
        return [
            Candidate(name, lambda r=registry: r.dispatch(calls), "list[ToolResult]", baseline=name == PLAIN)
            for name, registry in registries.items()
        ]

    target = [Target("rate_limit= in Redis at least as fast as limits", (DISPATCH_LIMITS,), 1.0)]
    sections = [
        timing_section(
            benchmark=BENCHMARK,
            section="dispatch-one",
            title="Registry.dispatch of one call",
            candidates=candidates(one),
            reference=DISPATCH_REDIS,
            targets=target,
            quick=quick,
            unit="µs/call",
        ),
        timing_section(
            benchmark=BENCHMARK,
            section="dispatch-batch",
            title=f"Registry.dispatch of a batch of {BATCH} calls",
            candidates=candidates(batch),
            reference=DISPATCH_REDIS,
            targets=target,
            quick=quick,
            unit=f"µs/batch of {BATCH}",
        ),
    ]
    one_us = {row["name"]: row["median_us"] for row in sections[0]["candidates"]}
    batch_us = {row["name"]: row["median_us"] / BATCH for row in sections[1]["candidates"]}
    figures: list[dict[str, Any]] = []
    for name in (DISPATCH_LOCAL, DISPATCH_REDIS, DISPATCH_GUARDS, DISPATCH_LIMITS):
        figures.append(
            {"name": f"{name}, one call", "value": one_us[name] - one_us[PLAIN], "unit": "µs/call"}
        )
        figures.append(
            {
                "name": f"{name}, batch of {BATCH}",
                "value": batch_us[name] - batch_us[PLAIN],
                "unit": "µs/call",
            }
        )
    for name, coordinator in coordinators.items():
        before = coordinator.counters()["round_trips"]
        registries[name].dispatch(batch)
        figures.append(
            {
                "name": f"round trips for a dispatched batch of {BATCH}: {name}",
                "value": coordinator.counters()["round_trips"] - before,
                "unit": "",
            }
        )
    sections.append(
        figures_section(
            benchmark=BENCHMARK,
            section="dispatch-overhead",
            title="what admission adds to a dispatched call, over the tool without it",
            figures=figures,
        )
    )
    return sections


def Outcome_ok() -> Any:
    from toolproof.admission import Outcome

    return Outcome(True, result="1")


if __name__ == "__main__":
    raise SystemExit(main(run, description="Admission: local and Redis coordinators, and limits."))
