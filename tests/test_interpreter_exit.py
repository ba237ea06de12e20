"""What only a fresh interpreter shows: exit after the engine ran (its tokio and worker threads must
leave Python before the interpreter finalizes) and Ctrl-C during a blocking dispatch.

Each scenario runs in TOOLPROOF_EXIT_RUNS fresh interpreters (two at a time); every one must exit
with code 0 and print nothing on stderr. A crash at exit is a race, so more runs find more:
TOOLPROOF_EXIT_RUNS=50 (or more) for a soak.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

RUNS = int(os.environ.get("TOOLPROOF_EXIT_RUNS", "20"))

PRELUDE = textwrap.dedent(
    """
    import asyncio, logging, sys, time
    import toolproof
    from toolproof import Registry, ToolCall, tool

    @tool
    async def wait(seconds: float) -> float:
        await asyncio.sleep(seconds)
        return seconds

    @tool
    async def fail_later(kind: str) -> str:
        await asyncio.sleep(0.001)
        raise {"interrupt": KeyboardInterrupt, "exit": SystemExit, "error": RuntimeError}[kind]()

    @tool
    def nap(seconds: float) -> float:
        time.sleep(seconds)
        return seconds

    registry = Registry([wait, fail_later, nap])
    # Unexpected tool errors are logged with their tracebacks; stderr must show only real trouble.
    logging.getLogger("toolproof").addHandler(logging.NullHandler())
    logging.getLogger("toolproof").propagate = False
    """
)

SCENARIOS = {
    "adispatch": """
        calls = [ToolCall(f"w{i}", "wait", {"seconds": 0.001 * (i % 5)}) for i in range(20)]
        calls += [ToolCall(f"f{kind}", "fail_later", {"kind": kind}) for kind in ("interrupt", "exit", "error")]
        calls += [ToolCall("n", "nap", {"seconds": 0.001})]
        results = asyncio.run(registry.adispatch(calls, timeout=2))
        assert len(results) == len(calls) and all(r.ok for r in results[:20]), results
    """,
    "arun": """
        timed = toolproof.Tool.from_function(wait.func, name="timed", timeout=2)
        assert asyncio.run(wait.arun({"seconds": 0.001})).ok
        assert asyncio.run(timed.arun({"seconds": 0.001})).ok
        assert not asyncio.run(fail_later.arun({"kind": "interrupt"})).ok
    """,
    "cancelled_adispatch": """
        async def main():
            batch = asyncio.ensure_future(
                registry.adispatch([ToolCall(f"c{i}", "wait", {"seconds": 10}) for i in range(5)]
                                   + [ToolCall("n", "nap", {"seconds": 0.05})])
            )
            await asyncio.sleep(0.02)
            batch.cancel()
            try:
                await batch
            except asyncio.CancelledError:
                return
            raise AssertionError("not cancelled")
        asyncio.run(main())
    """,
    "dispatch_then_exit": """
        calls = [ToolCall(f"w{i}", "wait", {"seconds": 0.002}) for i in range(10)]
        calls += [ToolCall(f"n{i}", "nap", {"seconds": 0.002}) for i in range(10)]
        assert all(r.ok for r in registry.dispatch(calls))
    """,
}


def run_scenario(body: str) -> subprocess.CompletedProcess[str]:
    script = PRELUDE + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", script], capture_output=True, text=True, timeout=60
    )


def assert_clean(runs: list[subprocess.CompletedProcess[str]]) -> None:
    failures = [(run.returncode, run.stderr[-2000:]) for run in runs if run.returncode != 0 or run.stderr]
    assert not failures, f"{len(failures)} of {len(runs)} runs failed; first: {failures[0]}"


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_fresh_interpreters_exit_cleanly(scenario: str) -> None:
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(run_scenario, [SCENARIOS[scenario]] * RUNS))
    assert_clean(runs)


SIGINT_DURING_DISPATCH = """
    import os, signal, threading
    kind = sys.argv[1]
    if kind == "sync":
        calls = [ToolCall(f"n{i}", "nap", {"seconds": 0.2 + 0.1 * i}) for i in range(4)]
    else:
        calls = [ToolCall(f"w{i}", "wait", {"seconds": 30}) for i in range(4)]
    print("ready", flush=True)
    threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT)).start()
    started = time.monotonic()
    try:
        registry.dispatch(calls)
    except KeyboardInterrupt:
        print(f"interrupted {time.monotonic() - started:.3f}", flush=True)
    else:
        print("not interrupted", flush=True)
"""


def run_interrupted(kind: str) -> subprocess.CompletedProcess[str]:
    script = PRELUDE + textwrap.dedent(SIGINT_DURING_DISPATCH)
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", script, kind], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_ctrl_c_interrupts_a_blocking_dispatch_promptly(kind: str) -> None:
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(run_interrupted, [kind] * RUNS))
    assert_clean(runs)
    for run in runs:
        lines = run.stdout.split()
        assert lines[:2] == ["ready", "interrupted"], run.stdout
        # Sent 0.1 s in; the slowest tool would end 0.5 s in (or 30 s, for the async ones).
        assert float(lines[2]) < 0.4, run.stdout


def test_a_real_sigint_from_outside_interrupts_dispatch() -> None:
    script = PRELUDE + textwrap.dedent(
        """
        print("ready", flush=True)
        started = time.monotonic()
        try:
            registry.dispatch([ToolCall("n", "nap", {"seconds": 5}), ToolCall("w", "wait", {"seconds": 30})])
        except KeyboardInterrupt:
            print(f"interrupted {time.monotonic() - started:.3f}", flush=True)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    time.sleep(0.3)
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    assert out.startswith("interrupted"), (out, err)
    # The process exits soon after: it waits (bounded) for the abandoned sync tool to leave Python.
    assert time.monotonic() - sent < 4.5
    assert child.returncode == 0 and err == ""
