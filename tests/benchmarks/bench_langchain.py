"""LangChain and LangGraph: a hardened tool and the toolproof ToolNode against the plain framework.

Sections:
- tool-invoke / tool-invoke-args: one call of a small tool, invoked with a LangChain ToolCall
  (as LangGraph's ToolNode and create_agent invoke tools; returns a ToolMessage) and with an
  arguments dict (returns the value): ``harden(tool).invoke`` against the ``@tool`` itself.
- tool-node-50 / tool-node-50-async: an AIMessage with 50 tool calls through a one-node
  StateGraph: the toolproof ToolNode against LangGraph's ToolNode (``invoke`` with a sync tool,
  ``ainvoke`` with an async one).

Both sides run the same function and produce the same messages; each candidate is checked before
it is timed. Run it alone (``python tests/benchmarks/bench_langchain.py [--quick] [--json]``) or
through run.py.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from harness import Candidate, Target, main, timing_section
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool as langchain_tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode as LangGraphToolNode
from toolproof.langchain import ToolNode, harden

BENCHMARK = "langchain"
CALLS = 50
PLAIN_TOOL = "LangChain @tool .invoke"
HARDENED_TOOL = "toolproof harden(tool).invoke"
PLAIN_NODE = "LangGraph ToolNode"
TOOLPROOF_NODE = "toolproof.langchain.ToolNode"

LOOP = asyncio.new_event_loop()


@langchain_tool
def get_weather(city: str, days: int = 1) -> dict[str, Any]:
    """The forecast for a city.

    Args:
        city: the city
        days: how many days
    """
    return {"city": city, "days": days, "sky": "clear"}


@langchain_tool
async def get_weather_async(city: str, days: int = 1) -> dict[str, Any]:
    """The forecast for a city.

    Args:
        city: the city
        days: how many days
    """
    return {"city": city, "days": days, "sky": "clear"}


HARDENED = harden(get_weather)
TOOL_CALL = {"type": "tool_call", "id": "call_1", "name": "get_weather", "args": {"city": "Oslo", "days": 3}}
ARGUMENTS = {"city": "Oslo", "days": 3}


def one_node_graph(node: Any) -> Any:
    graph = StateGraph(MessagesState)
    graph.add_node("tools", node)
    graph.add_edge(START, "tools")
    graph.add_edge("tools", END)
    return graph.compile()


def turn(name: str) -> AIMessage:
    return AIMessage(
        content="",
        tool_calls=[
            {"name": name, "args": {"city": f"city {i}", "days": i % 7}, "id": f"call_{i}"}
            for i in range(CALLS)
        ],
    )


def checked(candidates: list[Candidate], same: Any) -> list[Candidate]:
    """Every candidate returns what the first one does (as compared by `same`)."""
    reference = same(candidates[0].call())
    for candidate in candidates[1:]:
        got = same(candidate.call())
        if got != reference:
            raise AssertionError(
                f"{candidate.name} returned something else: {got!r:.200} != {reference!r:.200}"
            )
    return candidates


def message_view(message: Any) -> Any:
    return (message.tool_call_id, json.loads(message.content), message.status)


def invoke_section(section: str, argument: Any, returns: str, same: Any, quick: bool) -> dict[str, Any]:
    candidates = checked(
        [
            Candidate(HARDENED_TOOL, lambda: HARDENED.invoke(argument), returns),
            Candidate(PLAIN_TOOL, lambda: get_weather.invoke(argument), returns),
        ],
        same,
    )
    given = "a ToolCall" if returns == "ToolMessage" else "an arguments dict"
    return timing_section(
        benchmark=BENCHMARK,
        section=section,
        title=f"one call of a small tool, invoked with {given}",
        candidates=candidates,
        reference=HARDENED_TOOL,
        targets=[
            Target(
                "a hardened tool's invoke at most 10% slower than the plain tool's",
                against=(PLAIN_TOOL,),
                at_least=1 / 1.1,
            )
        ],
        notes=[
            "the hardened tool repairs, validates, runs and encodes with toolproof; the plain tool validates "
            "with pydantic and json.dumps its result",
        ],
        quick=quick,
    )


def node_section(section: str, tool: Any, is_async: bool, quick: bool) -> dict[str, Any]:
    message = turn(tool.name)
    toolproof_graph = one_node_graph(ToolNode([tool]))
    plain_graph = one_node_graph(LangGraphToolNode([tool]))

    def run_graph(graph: Any) -> list[ToolMessage]:
        if is_async:
            return LOOP.run_until_complete(graph.ainvoke({"messages": [message]}))["messages"][1:]
        return graph.invoke({"messages": [message]})["messages"][1:]

    def view(messages: list[ToolMessage]) -> list[Any]:
        return [message_view(message) for message in messages]

    returns = f"{CALLS} ToolMessages"
    candidates = checked(
        [
            Candidate(TOOLPROOF_NODE, lambda: run_graph(toolproof_graph), returns),
            Candidate(PLAIN_NODE, lambda: run_graph(plain_graph), returns),
        ],
        view,
    )
    how = "ainvoke, an async tool" if is_async else "invoke, a sync tool"
    return timing_section(
        benchmark=BENCHMARK,
        section=section,
        title=f"an AIMessage with {CALLS} tool calls through a one-node StateGraph ({how})",
        candidates=candidates,
        reference=TOOLPROOF_NODE,
        targets=[
            Target(
                "toolproof ToolNode >=3x LangGraph's calls per second", against=(PLAIN_NODE,), at_least=3.0
            )
        ],
        notes=[f"times are per message of {CALLS} calls; calls per second = {CALLS} / time"],
        quick=quick,
        unit="µs/message",
    )


def run(quick: bool) -> list[dict[str, Any]]:
    return [
        invoke_section("tool-invoke", TOOL_CALL, "ToolMessage", message_view, quick),
        invoke_section("tool-invoke-args", ARGUMENTS, "the value", lambda value: value, quick),
        node_section("tool-node-50", get_weather, False, quick),
        node_section("tool-node-50-async", get_weather_async, True, quick),
    ]


if __name__ == "__main__":
    raise SystemExit(
        main(run, "LangChain/LangGraph: hardened tools and the ToolNode against the plain framework.")
    )
