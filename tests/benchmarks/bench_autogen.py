"""AutoGen: a hardened tool's invoke against the plain framework tool's, side by side.

Sections:
- run-json-sync / run-json-async: 100 sequential ``run_json`` calls of a trivial tool (sync, then
  async), ``toolproof.autogen.harden(add)`` against AutoGen's ``FunctionTool(add)``. Target: the
  hardened tool at most 10% slower.
- workbench-sync / workbench-async: the same calls as ``AssistantAgent`` makes them, through a
  ``StaticWorkbench`` (``run_json`` in a task linked to the cancellation token, then
  ``return_value_as_string``), for context.

Every candidate runs on the same persistent event loop, so no one pays for starting a loop.
Run it alone (``python tests/benchmarks/bench_autogen.py [--quick] [--json]``) or through run.py.
"""

from __future__ import annotations

import asyncio
import importlib.util
from typing import Any

from harness import Candidate, Target, main, skipped_section, timing_section

BENCHMARK = "autogen"
CALLS = 100
HARDENED = "toolproof.autogen.harden(add)"
PLAIN = "autogen_core FunctionTool(add)"

LOOP = asyncio.new_event_loop()


def on_loop(coroutine: Any) -> Any:
    return LOOP.run_until_complete(coroutine)


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


async def add_async(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


ARGUMENTS = [{"a": i, "b": 2} for i in range(CALLS)]
EXPECTED = [i + 2 for i in range(CALLS)]


def run_json_batch(tool: Any, token: Any) -> list[Any]:
    async def batch() -> list[Any]:
        return [
            await tool.run_json(arguments, token, call_id=f"call_{i}")
            for i, arguments in enumerate(ARGUMENTS)
        ]

    return on_loop(batch())


def workbench_batch(workbench: Any, name: str) -> list[str]:
    async def batch() -> list[str]:
        results = [
            await workbench.call_tool(name, arguments, call_id=f"call_{i}")
            for i, arguments in enumerate(ARGUMENTS)
        ]
        return [result.to_text() for result in results]

    return on_loop(batch())


def checked(candidates: list[Candidate], expected: list[Any]) -> list[Candidate]:
    for candidate in candidates:
        got = candidate.call()
        if got != expected:
            raise AssertionError(f"{candidate.name} returned something else: {got[:3]}...")
    return candidates


def sections(quick: bool) -> list[dict[str, Any]]:
    from autogen_core import CancellationToken
    from autogen_core.tools import FunctionTool, StaticWorkbench
    from toolproof.autogen import harden

    results = []
    for kind, function in [("sync", add), ("async", add_async)]:
        plain = FunctionTool(function, description="Add two numbers.", name="add")
        hardened = harden(function, name="add")
        # A fresh token per candidate: each call links a callback to it, as AssistantAgent's run does.
        plain_token, hardened_token = CancellationToken(), CancellationToken()
        candidates = checked(
            [
                Candidate(
                    HARDENED, lambda h=hardened, t=hardened_token: run_json_batch(h, t), f"{CALLS} ints"
                ),
                Candidate(PLAIN, lambda p=plain, t=plain_token: run_json_batch(p, t), f"{CALLS} ints"),
            ],
            EXPECTED,
        )
        results.append(
            timing_section(
                benchmark=BENCHMARK,
                section=f"run-json-{kind}",
                title=f"{CALLS} sequential run_json calls of a trivial {kind} tool",
                candidates=candidates,
                reference=HARDENED,
                targets=[
                    Target("hardened run_json at most 10% slower than FunctionTool's", (PLAIN,), 1 / 1.1)
                ],
                notes=[
                    "times are per batch; per call = time / 100",
                    "the hardened call runs the whole road: repair-capable parsing, validation, retries and "
                    "timeout bookkeeping, JSON encoding of the result, metrics",
                ],
                quick=quick,
                unit="µs/batch",
            )
        )
        plain_bench, hardened_bench = StaticWorkbench([plain]), StaticWorkbench([hardened])
        texts = [str(value) for value in EXPECTED]
        candidates = checked(
            [
                Candidate(HARDENED, lambda w=hardened_bench: workbench_batch(w, "add"), f"{CALLS} texts"),
                Candidate(PLAIN, lambda w=plain_bench: workbench_batch(w, "add"), f"{CALLS} texts"),
            ],
            texts,
        )
        results.append(
            timing_section(
                benchmark=BENCHMARK,
                section=f"workbench-{kind}",
                title=f"{CALLS} sequential calls of a trivial {kind} tool through a StaticWorkbench, as "
                "AssistantAgent makes them",
                candidates=candidates,
                reference=HARDENED,
                notes=["times are per batch; per call = time / 100"],
                quick=quick,
                unit="µs/batch",
            )
        )
    return results


def run(quick: bool) -> list[dict[str, Any]]:
    if importlib.util.find_spec("autogen_core") is None:
        return [
            skipped_section(
                benchmark=BENCHMARK,
                section="run-json",
                title="hardened run_json against FunctionTool.run_json",
                reason="autogen-core is not installed (pip install 'toolproof[autogen]')",
            )
        ]
    return sections(quick)


if __name__ == "__main__":
    raise SystemExit(main(run, "AutoGen: a hardened tool's run_json against FunctionTool's."))
