"""Executors: what running the tools on Ray, Dask or worker processes costs, side by side.

Sections:
- ray-trivial: 1,000 trivial calls through ``Registry(executor=RayExecutor())`` against the same
  function called with bare ``ray.get([f.remote(...) ...])``: toolproof's road, retries, encoding and
  results on top of Ray (target: at most 1.2x the bare time).
- per-call: the wall time per call of 1,000 trivial calls on each executor (the default one, a
  process pool, Dask, Ray): the overheads docs/scale.md spreads over a cluster.
- cpu-bound: 16 pure-Python calls of about 0.2 s each with the default executor (threads, one
  GIL), a ProcessPoolExecutor and RayExecutor, two workers each: the process-based executors near
  2x the thread-based one on two cores.

Batches last seconds, so each figure is the median of a few runs, candidates interleaved.
Run it alone (``python tests/benchmarks/bench_executors.py [--quick] [--json]``) or through run.py.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from harness import TESTS_DIR, figures_section, main, skipped_section

# Workers (pool processes, Ray and Dask workers) import the tools by name, as a deployment's do.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH")]))
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
if str(TESTS_DIR) not in sys.path:
    sys.path.append(str(TESTS_DIR))

import executor_tools
import toolproof

BENCHMARK = "executors"
TRIVIAL_CALLS = 1_000
CPU_CALLS = 16
CPU_SECONDS = 0.2
WORKERS = 2

ADD = toolproof.Tool.from_function(executor_tools.add)
BURN = toolproof.Tool.from_function(executor_tools.burn)


def trivial_calls() -> list[toolproof.ToolCall]:
    return [toolproof.ToolCall(f"call_{i}", "add", {"a": i, "b": 1}) for i in range(TRIVIAL_CALLS)]


def wall(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def rounds(candidates: dict[str, Callable[[], Any]], runs: int) -> dict[str, list[float]]:
    """Wall seconds of each candidate in each round, after one warm-up run each; a round runs
    every candidate once, so a machine that slows down for a while slows a round's candidates alike."""
    for run in candidates.values():
        run()
    walls: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(runs):
        for name, run in candidates.items():
            walls[name].append(wall(run))
    return walls


def medians(candidates: dict[str, Callable[[], Any]], runs: int) -> dict[str, float]:
    """Median wall seconds of each candidate, runs interleaved."""
    return {name: statistics.median(times) for name, times in rounds(candidates, runs).items()}


def paired_ratios(walls: dict[str, list[float]], name: str, against: str) -> list[float]:
    """``name``'s wall over ``against``'s, round by round."""
    return [mine / theirs for mine, theirs in zip(walls[name], walls[against], strict=True)]


def checked(results: list[Any]) -> list[Any]:
    failed = [r for r in results if not r.ok]
    if failed:
        raise AssertionError(f"{len(failed)} calls failed, the first: {failed[0].content}")
    return results


def start_ray() -> Any:
    import ray

    ray.init(
        num_cpus=WORKERS,
        include_dashboard=False,
        object_store_memory=96 * 1024 * 1024,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
    )
    return ray


def ray_trivial_section(ray: Any, quick: bool) -> dict[str, Any]:
    from toolproof.ray import RayExecutor

    bare_add = ray.remote(max_retries=0)(executor_tools.add)
    registry = toolproof.Registry([ADD], executor=RayExecutor())
    calls = trivial_calls()
    loop = asyncio.new_event_loop()

    async def await_each() -> list[int]:
        async def one(index: int) -> int:
            return await bare_add.remote(index, 1)  # type: ignore[no-any-return]

        return await asyncio.gather(*(one(i) for i in range(TRIVIAL_CALLS)))

    walls = rounds(
        {
            "bare ray.get([f.remote(...)])": lambda: ray.get(
                [bare_add.remote(i, 1) for i in range(TRIVIAL_CALLS)]
            ),
            "bare Ray, each ref awaited on asyncio": lambda: loop.run_until_complete(await_each()),
            "toolproof RayExecutor dispatch": lambda: checked(registry.dispatch(calls)),
        },
        runs=3 if quick else 9,
    )
    loop.close()
    bare, awaited, through = (statistics.median(times) for times in walls.values())
    ratio = through / bare
    per_round = paired_ratios(walls, "toolproof RayExecutor dispatch", "bare ray.get([f.remote(...)])")
    return figures_section(
        benchmark=BENCHMARK,
        section="ray-trivial",
        title=f"{TRIVIAL_CALLS:,} trivial calls: RayExecutor against bare Ray",
        figures=[
            {"name": "bare ray.get([f.remote(...)])", "value": round(bare * 1000, 1), "unit": "ms/batch"},
            {
                "name": "bare Ray, each ref awaited on asyncio",
                "value": round(awaited * 1000, 1),
                "unit": "ms/batch",
            },
            {"name": "toolproof RayExecutor dispatch", "value": round(through * 1000, 1), "unit": "ms/batch"},
            {
                "name": "RayExecutor / bare Ray awaited per ref",
                "value": round(through / awaited, 3),
                "unit": "x",
            },
            {
                "name": "RayExecutor / bare Ray",
                "value": round(ratio, 3),
                "unit": "x",
                "target": "<= 1.2",
                "met": ratio <= 1.2,
            },
            {
                "name": "RayExecutor / bare Ray, round by round: median",
                "value": round(statistics.median(per_round), 3),
                "unit": "x",
                "target": "<= 1.2",
                "met": statistics.median(per_round) <= 1.2,
            },
            {
                "name": "RayExecutor / bare Ray, round by round: lowest",
                "value": round(min(per_round), 3),
                "unit": "x",
            },
            {
                "name": "RayExecutor / bare Ray, round by round: highest",
                "value": round(max(per_round), 3),
                "unit": "x",
            },
        ],
        notes=[
            "bare Ray returns a list of ints; toolproof returns one ToolResult per call (the argument road "
            "on the caller, the tool and its JSON encoding on the worker, retries off in Ray)",
            "toolproof waits for each call on its own (each call settles, times out and is cancelled on "
            "its own): Ray's thread hands over each ref as it is ready, and the values of the refs ready "
            "together are fetched with one ray.get; the second row is bare Ray awaiting each ref instead",
        ],
        facts={"load_average_1min": round(os.getloadavg()[0], 1)},
    )


def per_call_section(executors: dict[str, Any], quick: bool) -> dict[str, Any]:
    calls = trivial_calls()
    registries = {name: toolproof.Registry([ADD], executor=executor) for name, executor in executors.items()}
    times = medians(
        {
            name: (lambda registry=registry: checked(registry.dispatch(calls)))
            for name, registry in registries.items()
        },
        runs=3 if quick else 5,
    )
    return figures_section(
        benchmark=BENCHMARK,
        section="per-call",
        title=f"wall time per call, {TRIVIAL_CALLS:,} trivial calls, {WORKERS} workers",
        figures=[
            {"name": name, "value": round(seconds / TRIVIAL_CALLS * 1e6, 1), "unit": "µs/call"}
            for name, seconds in times.items()
        ],
        notes=["what docs/scale.md uses for the cost of sending a call to another process"],
    )


def burn_size() -> int:
    """The loop count that makes ``burn`` last about CPU_SECONDS here."""
    probe = 200_000
    seconds = min(wall(lambda: executor_tools.burn(probe)) for _ in range(3))
    return max(1, round(probe * CPU_SECONDS / seconds))


def cpu_bound_section(
    executors: dict[str, Any], pool: ProcessPoolExecutor, ray: Any, quick: bool
) -> dict[str, Any]:
    size = burn_size()
    calls = [toolproof.ToolCall(f"burn_{i}", "burn", {"n": size}) for i in range(CPU_CALLS)]
    registries = {name: toolproof.Registry([BURN], executor=executor) for name, executor in executors.items()}
    bare_burn = ray.remote(max_retries=0)(executor_tools.burn)
    # The same work without toolproof, at the same moment: what this machine can give right now.
    bare = {
        "bare: a loop in one thread": lambda: [executor_tools.burn(size) for _ in range(CPU_CALLS)],
        "bare: ProcessPoolExecutor.map": lambda: list(pool.map(executor_tools.burn, [size] * CPU_CALLS)),
        "bare: ray.get([f.remote(...)])": lambda: ray.get([bare_burn.remote(size) for _ in range(CPU_CALLS)]),
    }
    through = {
        name: (lambda registry=registry: checked(registry.dispatch(calls, max_concurrency=WORKERS)))
        for name, registry in registries.items()
    }
    # Pools, Dask and Ray workers are started and warm (one untimed run each) before timing, as a
    # long-lived service's are.
    times = medians({**bare, **through}, runs=1 if quick else 3)
    threads = times["default (threads)"]
    loop = times["bare: a loop in one thread"]
    figures: list[dict[str, Any]] = [
        {"name": f"{name}: wall", "value": round(seconds, 2), "unit": "s"} for name, seconds in times.items()
    ]
    figures.append(
        {
            "name": "bare ProcessPoolExecutor.map: speed-up over a loop",
            "value": round(loop / times["bare: ProcessPoolExecutor.map"], 2),
            "unit": "x",
        }
    )
    against_bare = {
        "ProcessPoolExecutor": "bare: ProcessPoolExecutor.map",
        "RayExecutor": "bare: ray.get([f.remote(...)])",
    }
    for name in through:
        if name == "default (threads)":
            continue
        speedup = threads / times[name]
        figures.append(
            {
                "name": f"{name}: speed-up over threads",
                "value": round(speedup, 2),
                "unit": "x",
                "target": ">= 1.6 (2 idle cores)",
                "met": speedup >= 1.6,
            }
        )
        if name in against_bare:
            ratio = times[name] / times[against_bare[name]]
            figures.append(
                {
                    "name": f"{name} / {against_bare[name].removeprefix('bare: ')}",
                    "value": round(ratio, 3),
                    "unit": "x",
                    "target": "<= 1.1",
                    "met": ratio <= 1.1,
                }
            )
    return figures_section(
        benchmark=BENCHMARK,
        section="cpu-bound",
        title=f"{CPU_CALLS} pure-Python calls of ~{CPU_SECONDS} s, {WORKERS} at a time",
        figures=figures,
        facts={"cpus": os.cpu_count(), "burn_n": size, "load_average_1min": round(os.getloadavg()[0], 1)},
        notes=[
            "threads share one GIL; processes and Ray workers each have their own",
            "the speed-up over threads needs two idle cores: on a busy machine read the bare rows, timed "
            "at the same moment, and toolproof's ratio to them",
        ],
    )


def run(quick: bool) -> list[dict[str, Any]]:
    try:
        ray = start_ray()
    except ImportError:
        return [
            skipped_section(
                benchmark=BENCHMARK,
                section="all",
                title="executors",
                reason="ray is not installed: pip install 'toolproof[ray,dask]'",
            )
        ]
    import dask
    import distributed
    from toolproof.dask import DaskExecutor
    from toolproof.ray import RayExecutor

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["toolproof", "executor_tools"])
    pool = ProcessPoolExecutor(WORKERS, mp_context=context)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(
            n_workers=WORKERS, processes=True, threads_per_worker=1, dashboard_address=None, host="127.0.0.1"
        )
    client = distributed.Client(cluster)
    try:
        executors = {
            "default (threads)": None,
            "ProcessPoolExecutor": pool,
            "DaskExecutor": DaskExecutor(client),
            "RayExecutor": RayExecutor(),
        }
        return [
            ray_trivial_section(ray, quick),
            per_call_section(executors, quick),
            cpu_bound_section(executors, pool, ray, quick),
        ]
    finally:
        client.close()
        cluster.close()
        pool.shutdown()
        ray.shutdown()


if __name__ == "__main__":
    raise SystemExit(main(run, "Executors: Ray, Dask and process pools against bare Ray and threads."))
