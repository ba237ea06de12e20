"""Dispatch: a batch of model tool calls to a batch of provider-format results, side by side.

Sections:
- trivial-sync / trivial-async: 1,000 calls of a trivial tool, from OpenAI-format tool calls to
  OpenAI-format tool messages, through toolproof, the loop users write by hand today
  (``asyncio.gather`` + ``json.loads`` + pydantic validation + ``json.dumps``; sync tools through
  ``run_in_executor``), and LangGraph's ``ToolNode`` (async).
- io-bound: 200 calls that each wait 20 ms, at ``max_concurrency=16``: the wall time against the
  ideal ``ceil(200/16) x 20 ms``.

Every candidate runs on the same persistent event loop, so no one pays for starting a loop.
Run it alone (``python tests/benchmarks/bench_dispatch.py [--quick] [--json]``) or through run.py.
"""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import time
from typing import Any

import toolproof
from harness import Candidate, Target, figures_section, main, timing_section
from langchain_core.messages import AIMessage
from langchain_core.tools import tool as langchain_tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode
from pydantic import BaseModel

BENCHMARK = "dispatch"
BATCH = 1_000
TOOLPROOF_DISPATCH = "toolproof Registry.dispatch"
TOOLPROOF_ADISPATCH = "toolproof Registry.adispatch"
HANDWRITTEN = "hand-written asyncio.gather loop"
TOOL_NODE = "LangGraph ToolNode (in a StateGraph, ainvoke)"

LOOP = asyncio.new_event_loop()


def on_loop(coroutine: Any) -> Any:
    return LOOP.run_until_complete(coroutine)


# --- the tools, as each candidate defines them --------------------------------------------------


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


async def add_async(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


class AddArguments(BaseModel):
    a: int
    b: int


REGISTRY = toolproof.Registry(
    [toolproof.Tool.from_function(add, name="add"), toolproof.Tool.from_function(add_async, name="add_async")]
)


def tools_graph(function: Any) -> Any:
    """A ToolNode needs a LangGraph runtime: the smallest graph that gives it one."""
    graph = StateGraph(MessagesState)
    graph.add_node("tools", ToolNode([langchain_tool(function)]))
    graph.add_edge(START, "tools")
    graph.add_edge("tools", END)
    return graph.compile()


TOOL_NODE_SYNC = tools_graph(add)
TOOL_NODE_ASYNC = tools_graph(add_async)


def openai_calls(name: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps({"a": i, "b": 2})},
        }
        for i in range(BATCH)
    ]


SYNC_CALLS = openai_calls("add")
ASYNC_CALLS = openai_calls("add_async")


# --- candidates ---------------------------------------------------------------------------------


def toolproof_dispatch(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return toolproof.results_to_messages(REGISTRY.dispatch(calls), "openai")


def toolproof_adispatch(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    async def batch() -> list[dict[str, Any]]:
        return toolproof.results_to_messages(await REGISTRY.adispatch(calls), "openai")

    return on_loop(batch())


def handwritten(calls: list[dict[str, Any]], function: Any, is_async: bool) -> list[dict[str, Any]]:
    """What users write today: parse, validate with pydantic, run (sync tools in the default
    executor), serialize, all gathered."""

    async def one(call: dict[str, Any]) -> dict[str, Any]:
        arguments = AddArguments.model_validate(json.loads(call["function"]["arguments"])).model_dump()
        if is_async:
            value = await function(**arguments)
        else:
            value = await asyncio.get_running_loop().run_in_executor(None, lambda: function(**arguments))
        return {"role": "tool", "tool_call_id": call["id"], "content": json.dumps(value)}

    async def batch() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(one(call) for call in calls)))

    return on_loop(batch())


def tool_node(calls: list[dict[str, Any]], graph: Any) -> list[dict[str, Any]]:
    """LangGraph's ToolNode, with the conversions from and to the provider format it needs."""

    async def batch() -> list[dict[str, Any]]:
        message = AIMessage(
            content="",
            tool_calls=[
                {"name": c["function"]["name"], "args": json.loads(c["function"]["arguments"]), "id": c["id"]}
                for c in calls
            ],
        )
        output = await graph.ainvoke({"messages": [message]})
        return [
            {"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content}
            for m in output["messages"][1:]
        ]

    return on_loop(batch())


def expected(calls: list[dict[str, Any]]) -> list[str]:
    return [str(json.loads(c["function"]["arguments"])["a"] + 2) for c in calls]


def checked(candidates: list[Candidate], calls: list[dict[str, Any]]) -> list[Candidate]:
    want = expected(calls)
    for candidate in candidates:
        messages = candidate.call()
        got = [m["content"] for m in messages]
        if got != want or [m["tool_call_id"] for m in messages] != [c["id"] for c in calls]:
            raise AssertionError(f"{candidate.name} returned something else: {got[:3]}...")
    return candidates


def trivial_section(section: str, calls: list[dict[str, Any]], is_async: bool, quick: bool) -> dict[str, Any]:
    function = add_async if is_async else add
    graph = TOOL_NODE_ASYNC if is_async else TOOL_NODE_SYNC
    returns = f"{BATCH} OpenAI tool messages"
    candidates = checked(
        [
            Candidate(TOOLPROOF_ADISPATCH, lambda: toolproof_adispatch(calls), returns),
            Candidate(TOOLPROOF_DISPATCH, lambda: toolproof_dispatch(calls), returns),
            Candidate(HANDWRITTEN, lambda: handwritten(calls, function, is_async), returns),
            Candidate(TOOL_NODE, lambda: tool_node(calls, graph), returns),
        ],
        calls,
    )
    kind = "async" if is_async else "sync"
    return timing_section(
        benchmark=BENCHMARK,
        section=section,
        title=f"{BATCH} trivial calls of a {kind} tool, OpenAI-format calls to OpenAI-format results",
        candidates=candidates,
        reference=TOOLPROOF_ADISPATCH,
        targets=[
            Target(
                "toolproof >=3x the hand-written loop in calls per second",
                against=(HANDWRITTEN,),
                at_least=3.0,
            ),
            Target(
                "toolproof >=10x LangGraph's ToolNode in calls per second",
                against=(TOOL_NODE,),
                at_least=10.0,
            ),
        ],
        notes=[
            "times are per batch of 1,000 calls; calls per second = 1,000 / time",
            "every candidate runs on one persistent event loop; the blocking dispatch row is shown for context",
        ],
        quick=quick,
        unit="µs/batch",
    )


IO_CALLS = 200
IO_WAIT = 0.020
IO_CONCURRENCY = 16


def sleeper(index: int) -> int:
    time.sleep(IO_WAIT)
    return index


async def sleeper_async(index: int) -> int:
    await asyncio.sleep(IO_WAIT)
    return index


IO_REGISTRY = toolproof.Registry(
    [toolproof.Tool.from_function(sleeper), toolproof.Tool.from_function(sleeper_async)]
)


def io_calls(name: str) -> list[toolproof.ToolCall]:
    return [toolproof.ToolCall(f"io_{i}", name, json.dumps({"index": i})) for i in range(IO_CALLS)]


def io_bound_section(quick: bool) -> dict[str, Any]:
    ideal = math.ceil(IO_CALLS / IO_CONCURRENCY) * IO_WAIT
    runs = 3 if quick else 9
    figures = []
    for label, name, use_async in [
        ("sync tool (time.sleep), dispatch", "sleeper", False),
        ("async tool (asyncio.sleep), adispatch", "sleeper_async", True),
        ("sync tool (time.sleep), adispatch", "sleeper", True),
    ]:
        calls = io_calls(name)
        walls = []
        for _ in range(runs):
            started = time.perf_counter()
            if use_async:
                results = on_loop(IO_REGISTRY.adispatch(calls, max_concurrency=IO_CONCURRENCY))
            else:
                results = IO_REGISTRY.dispatch(calls, max_concurrency=IO_CONCURRENCY)
            walls.append(time.perf_counter() - started)
            if not all(r.ok for r in results):
                raise AssertionError(f"{label}: a call failed")
        ratio = statistics.median(walls) / ideal
        figures.append(
            {
                "name": label,
                "value": round(ratio, 3),
                "unit": "x ideal",
                "target": "<= 1.15",
                "met": ratio <= 1.15,
                "median_ms": round(statistics.median(walls) * 1000, 1),
            }
        )
    return figures_section(
        benchmark=BENCHMARK,
        section="io-bound",
        title=f"{IO_CALLS} calls waiting {IO_WAIT * 1000:.0f} ms each at max_concurrency={IO_CONCURRENCY}: "
        f"wall time against the ideal {ideal * 1000:.0f} ms",
        figures=figures,
        notes=[f"median of {runs} runs"],
    )


def run(quick: bool) -> list[dict[str, Any]]:
    return [
        trivial_section("trivial-sync", SYNC_CALLS, False, quick),
        trivial_section("trivial-async", ASYNC_CALLS, True, quick),
        io_bound_section(quick),
    ]


if __name__ == "__main__":
    raise SystemExit(main(run, "Dispatch: toolproof against the hand-written loop and LangGraph's ToolNode."))
