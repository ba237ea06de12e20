"""A hardened tool given ``telemetry=`` is traced on the path its framework runs it: a LangGraph
graph, AutoGen's ``run_json``, a CrewAI crew. Spans and metrics read back with the SDK's
in-memory exporter and reader."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode
from otel_capture import Otel, capture


@pytest.fixture
def otel() -> Iterator[Otel]:
    with capture() as otel:
        yield otel


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def check_lookup_spans(otel: Otel, ok_id: str, failed_id: str) -> dict[str, ReadableSpan]:
    """``lookup`` called twice: with ``user_id`` as a string (repaired), then with none."""
    by_id = {attributes(span)["gen_ai.tool.call.id"]: span for span in otel.named("execute_tool lookup")}
    assert set(by_id) == {ok_id, failed_id}
    ok, failed = by_id[ok_id], by_id[failed_id]
    assert attributes(ok)["gen_ai.operation.name"] == "execute_tool"
    assert attributes(ok)["gen_ai.tool.description"].startswith("Look up a user")
    assert list(attributes(ok)["toolproof.repairs"]) == ["string_to_integer"]
    assert ok.status.status_code is StatusCode.UNSET
    assert attributes(failed)["error.type"] == "invalid_arguments"
    assert failed.status.status_code is StatusCode.ERROR
    durations = {
        p.attributes.get("error.type"): p.count for p in otel.metric_points("gen_ai.execute_tool.duration")
    }
    assert durations == {None: 1, "invalid_arguments": 1}
    return by_id


# -- LangGraph ------------------------------------------------------------------------------------


def langgraph_tools_graph(node: Any) -> Any:
    from langgraph.graph import END, START, MessagesState, StateGraph

    graph = StateGraph(MessagesState)
    graph.add_node("tools", node)
    graph.add_edge(START, "tools")
    graph.add_edge("tools", END)
    return graph.compile()


def langgraph_calls() -> Any:
    from langchain_core.messages import AIMessage

    return AIMessage(
        content="",
        tool_calls=[
            {"name": "lookup", "args": {"user_id": "7"}, "id": "ok"},
            {"name": "lookup", "args": {}, "id": "bad"},
        ],
    )


def langchain_lookup() -> Any:
    pytest.importorskip("langgraph")
    from langchain_core.tools import tool

    @tool
    def lookup(user_id: int) -> str:
        """Look up a user by id."""
        return f"user {user_id}"

    return lookup


def test_a_langgraph_tool_node_traces_a_turn_as_one_batch(otel: Otel) -> None:
    from langchain_core.messages import ToolMessage
    from toolproof.langchain import ToolNode

    graph = langgraph_tools_graph(ToolNode([langchain_lookup()], telemetry=otel.telemetry()))
    output = graph.invoke({"messages": [langgraph_calls()]})
    statuses = {m.tool_call_id: m.status for m in output["messages"] if isinstance(m, ToolMessage)}
    assert statuses == {"ok": "success", "bad": "error"}
    by_id = check_lookup_spans(otel, "ok", "bad")
    [batch] = otel.named("toolproof.dispatch")
    assert all(
        span.parent is not None and span.parent.span_id == batch.context.span_id for span in by_id.values()
    )


def test_a_hardened_tool_in_langgraphs_own_tool_node_is_traced_per_call(otel: Otel) -> None:
    from langchain_core.messages import ToolMessage
    from langgraph.prebuilt import ToolNode as LangGraphToolNode
    from toolproof.langchain import harden

    hardened = harden(langchain_lookup(), telemetry=otel.telemetry())
    output = langgraph_tools_graph(LangGraphToolNode([hardened])).invoke({"messages": [langgraph_calls()]})
    statuses = {m.tool_call_id: m.status for m in output["messages"] if isinstance(m, ToolMessage)}
    assert statuses == {"ok": "success", "bad": "error"}
    check_lookup_spans(otel, "ok", "bad")
    assert otel.named("toolproof.dispatch") == []


# -- AutoGen --------------------------------------------------------------------------------------


def test_autogen_run_json_is_traced(otel: Otel) -> None:
    pytest.importorskip("autogen_core")
    from autogen_core import CancellationToken
    from toolproof.autogen import harden

    async def lookup(user_id: int) -> str:
        """Look up a user by id."""
        await asyncio.sleep(0)
        return f"user {user_id}"

    hardened = harden(lookup, telemetry=otel.telemetry())

    async def main() -> None:
        assert await hardened.run_json({"user_id": "7"}, CancellationToken(), call_id="ok") == "user 7"
        with pytest.raises(ValueError):
            await hardened.run_json({}, CancellationToken(), call_id="bad")

    asyncio.run(main())
    check_lookup_spans(otel, "ok", "bad")


# -- CrewAI ---------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # CrewAI's own, on every kickoff
def test_a_crewai_crew_runs_a_traced_tool(otel: Otel, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("crewai")
    from crewai import Agent, Crew, Task
    from crewai.tools import tool
    from toolproof.crewai import harden, harden_llm
    from toolproof.testing import crewai_llm

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a test tried to open a network connection: {args[1:]!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)

    @tool("lookup")
    def lookup(user_id: int) -> str:
        """Look up a user by id."""
        return f"user {user_id}"

    hardened = harden(lookup, telemetry=otel.telemetry())
    llm = harden_llm(crewai_llm([("lookup", {"user_id": "7"}), ("lookup", {}), "done"], native=True))
    agent = Agent(role="clerk", goal="answer", backstory="careful", llm=llm, tools=[hardened], max_iter=6)
    task = Task(description="Answer the question.", expected_output="an answer", agent=agent)
    Crew(agents=[agent], tasks=[task]).kickoff()
    spans = otel.named("execute_tool lookup")
    assert len(spans) == 2
    ok, failed = sorted(spans, key=lambda span: span.start_time or 0)
    assert list(attributes(ok)["toolproof.repairs"]) == ["string_to_integer"]
    assert ok.status.status_code is StatusCode.UNSET
    assert attributes(failed)["error.type"] == "invalid_arguments"
    assert failed.status.status_code is StatusCode.ERROR
