"""MCP: a tool loaded by ``toolproof.mcp.load_tools`` against the SDK's own ``ClientSession.call_tool``.

Sections:
- call-sequential: 100 calls one after another to a FastMCP server connected in memory,
  ``Registry(load_tools(session)).adispatch`` one call at a time against ``session.call_tool``.
  Target: toolproof at most 10% slower (the round trip through the SDK dominates; the road,
  result reading and the output-schema check are what toolproof adds).
- call-batch: the same 100 calls at once, one ``adispatch`` of the batch against
  ``asyncio.gather`` of ``session.call_tool``.

The session lives on one event loop in a thread of its own for the whole run; every candidate
hands its batch to that loop alike. Run it alone (``python tests/benchmarks/bench_mcp.py [--quick]
[--json]``) or through run.py.
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from typing import Any

from harness import Candidate, Target, main, skipped_section, timing_section

BENCHMARK = "mcp"
CALLS = 100
TOOLPROOF = "toolproof.mcp load_tools + Registry.adispatch"
SDK = "mcp ClientSession.call_tool"
ARGUMENTS = [{"a": i, "b": 2} for i in range(CALLS)]
EXPECTED = [str(i + 2) for i in range(CALLS)]


class Connection:
    """A FastMCP server and a client session, open on a loop in its own thread until closed."""

    def __init__(self) -> None:
        from mcp.server.fastmcp import FastMCP
        from mcp.types import ToolAnnotations

        server = FastMCP("calculator", log_level="WARNING")

        @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
        def add(a: int, b: int) -> int:
            """Add two integers."""
            return a + b

        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self.session: Any = None
        self.registry: Any = None
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self._held = asyncio.run_coroutine_threadsafe(self._hold(server), self.loop)
        self._ready.wait(60)

    async def _hold(self, server: Any) -> None:
        from mcp.shared.memory import create_connected_server_and_client_session
        from toolproof import Registry
        from toolproof.mcp import load_tools

        self._stop = asyncio.Event()
        async with create_connected_server_and_client_session(server) as session:
            self.session = session
            self.registry = Registry(await load_tools(session, server="calculator"))
            self._ready.set()
            await self._stop.wait()

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        assert self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)
        self._held.result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)


def sections(quick: bool) -> list[dict[str, Any]]:
    from toolproof import ToolCall

    connection = Connection()
    calls = [ToolCall(f"call_{i}", "add", arguments) for i, arguments in enumerate(ARGUMENTS)]

    async def toolproof_sequential() -> list[str]:
        return [(await connection.registry.adispatch([call]))[0].content for call in calls]

    async def sdk_sequential() -> list[str]:
        return [
            (await connection.session.call_tool("add", arguments)).content[0].text for arguments in ARGUMENTS
        ]

    async def toolproof_batch() -> list[str]:
        return [result.content for result in await connection.registry.adispatch(calls)]

    async def sdk_batch() -> list[str]:
        results = await asyncio.gather(
            *(connection.session.call_tool("add", arguments) for arguments in ARGUMENTS)
        )
        return [result.content[0].text for result in results]

    results = []
    try:
        for section, title, ours, theirs in [
            ("call-sequential", f"{CALLS} sequential calls, in memory", toolproof_sequential, sdk_sequential),
            ("call-batch", f"{CALLS} calls at once, in memory", toolproof_batch, sdk_batch),
        ]:
            candidates = [
                Candidate(TOOLPROOF, lambda f=ours: connection.run(f()), f"{CALLS} texts"),
                Candidate(SDK, lambda f=theirs: connection.run(f()), f"{CALLS} texts"),
            ]
            for candidate in candidates:
                got = candidate.call()
                if got != EXPECTED:
                    raise AssertionError(f"{candidate.name} returned something else: {got[:3]}...")
            results.append(
                timing_section(
                    benchmark=BENCHMARK,
                    section=section,
                    title=title,
                    candidates=candidates,
                    reference=TOOLPROOF,
                    targets=[
                        Target("toolproof at most 10% slower than the SDK's call_tool", (SDK,), 1 / 1.1)
                    ],
                    notes=[
                        "times are per batch; per call = time / 100",
                        "toolproof adds the argument road, the reading of the result into the model's text, the "
                        "output-schema check (the SDK's call_tool runs its own) and metrics",
                    ],
                    quick=quick,
                    unit="µs/batch",
                )
            )
    finally:
        connection.close()
    return results


def run(quick: bool) -> list[dict[str, Any]]:
    if importlib.util.find_spec("mcp") is None:
        return [
            skipped_section(
                benchmark=BENCHMARK,
                section="call",
                title="MCP calls through toolproof against the SDK's call_tool",
                reason="mcp is not installed (pip install 'toolproof[mcp]')",
            )
        ]
    return sections(quick)


if __name__ == "__main__":
    raise SystemExit(main(run, "MCP: load_tools + Registry against ClientSession.call_tool."))
