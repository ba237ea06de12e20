"""toolproof.langchain: hardened LangChain tools and the ToolNode, in real LangGraph runs.

Every run here is a real LangChain/LangGraph round trip with a scripted chat model (no framework
is mocked, nothing reaches the network). The paired tests show a failure users hit with the plain
framework, then the same run passing with toolproof.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import json
import subprocess
import sys
import threading
import time
from typing import Annotated, Any

import pydantic
import pytest

pytest.importorskip("langgraph")

import toolproof
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, InjectedToolCallId, StructuredTool, ToolException
from langchain_core.tools import tool as langchain_tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import InjectedState, ToolRuntime
from langgraph.prebuilt import ToolNode as LangGraphToolNode
from langgraph.prebuilt import tools_condition as langgraph_tools_condition
from langgraph.types import Command, Send, interrupt
from toolproof.langchain import HardenedTool, ToolNode, ToolproofMiddleware, harden, tools_condition
from toolproof.testing import langchain_chat_model
from toolproof.testing.langchain import ScriptExhaustedError

# --- tools ----------------------------------------------------------------------------------


@langchain_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


@langchain_tool
def book_flight(origin_city: str, passengers: int) -> dict[str, Any]:
    """Book a flight.

    Args:
        origin_city: where the flight leaves from
        passengers: how many seats
    """
    return {"from": origin_city, "seats": passengers}


# --- graphs ---------------------------------------------------------------------------------


def agent_graph(model: Any, tools: list[Any], node: Any, condition: Any) -> Any:
    """The classic agent loop: the model, then the tools while the model calls any."""
    bound = model.bind_tools(tools)

    def call_model(state: MessagesState) -> dict[str, Any]:
        return {"messages": [bound.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("model", call_model)
    graph.add_node("tools", node)
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", condition)
    graph.add_edge("tools", "model")
    return graph.compile()


def tools_graph(node: Any) -> Any:
    """The smallest graph that runs a tool node on the messages it is given."""
    graph = StateGraph(MessagesState)
    graph.add_node("tools", node)
    graph.add_edge(START, "tools")
    graph.add_edge("tools", END)
    return graph.compile()


def calls(*items: tuple[str, Any, str]) -> AIMessage:
    """An AIMessage with these (name, args, id) calls; raw-text args become invalid calls."""
    valid = [{"name": n, "args": a, "id": i} for n, a, i in items if isinstance(a, dict)]
    invalid = [
        {"name": n, "args": a, "id": i, "error": "not JSON", "type": "invalid_tool_call"}
        for n, a, i in items
        if not isinstance(a, dict)
    ]
    return AIMessage(content="", tool_calls=valid, invalid_tool_calls=invalid)


def tool_messages(output: dict[str, Any]) -> list[ToolMessage]:
    return [m for m in output["messages"] if isinstance(m, ToolMessage)]


def answered(messages: list[Any]) -> set[str]:
    return {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}


# === imports ==================================================================================


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_importing_toolproof_imports_no_framework() -> None:
    code = (
        "import sys, toolproof, toolproof.testing\n"
        "frameworks = ('langchain', 'langchain_core', 'langgraph', 'autogen', 'autogen_core',\n"
        "              'autogen_agentchat', 'crewai')\n"
        "print([m for m in sys.modules if m.split('.')[0] in frameworks])\n"
    )
    completed = run_python(code)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"


def test_the_adapter_without_langchain_names_the_extra() -> None:
    code = (
        "import sys\n"
        "sys.modules['langchain_core'] = None\n"
        "for load in ('import toolproof.langchain', 'from toolproof.testing import langchain_chat_model'):\n"
        "    try:\n"
        "        exec(load)\n"
        "    except ImportError as error:\n"
        "        print(error)\n"
    )
    completed = run_python(code)
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.strip().splitlines()
    assert len(lines) == 2
    assert all("pip install 'toolproof[langchain]'" in line for line in lines)


# === harden ===================================================================================


def test_harden_keeps_the_tool_and_carries_the_strict_schema() -> None:
    @langchain_tool(return_direct=True)
    def search(query: str, limit: int = 5) -> list[str]:
        """Search the catalogue."""
        return [query] * limit

    hardened = harden(search)
    assert isinstance(hardened, HardenedTool) and isinstance(hardened, BaseTool)
    assert (hardened.name, hardened.description, hardened.return_direct) == (
        "search",
        "Search the catalogue.",
        True,
    )
    # Code reading the tool's arguments sees the original's own description of them ...
    assert hardened.args_schema is search.args_schema and hardened.args == search.args
    # ... and what bind_tools(strict=True) sends is toolproof's strict export, untouched by LangChain's
    # own pass.
    strict = hardened.toolproof_tool.to_provider("openai", strict=True)["function"]
    assert hardened.tool_call_schema.model_json_schema() == {
        **strict["parameters"],
        "description": "Search the catalogue.",
    }
    assert convert_to_openai_tool(hardened, strict=True)["function"] == strict
    model = langchain_chat_model(["done"])
    model.bind_tools([hardened], strict=True)
    assert model.bound_tools[0]["function"] == strict
    assert strict["parameters"]["required"] == [
        "query",
        "limit",
    ]  # optional = nullable, as OpenAI strict needs
    # The optional argument sent as null by a strict model means "absent".
    message = hardened.invoke(
        {"type": "tool_call", "id": "c1", "name": "search", "args": {"query": "q", "limit": None}}
    )
    assert json.loads(message.content) == ["q"] * 5


def test_harden_reads_every_kind_of_langchain_tool() -> None:
    def add(a: int, b: int) -> int:
        """Add two numbers.

        Args:
            a: the first
            b: the second
        """
        return a + b

    class AddArguments(pydantic.BaseModel):
        a: int
        b: int = pydantic.Field(default=10)

    class Multiply(BaseTool):
        name: str = "multiply"
        description: str = "Multiply two numbers."
        args_schema: type[pydantic.BaseModel] = AddArguments

        def _run(self, a: int, b: int, run_manager: Any = None) -> int:
            return a * b

    structured = StructuredTool.from_function(
        lambda a, b: a - b, name="subtract", description="a - b", args_schema=AddArguments
    )
    hardened = harden([add, structured, Multiply])
    assert [tool.name for tool in hardened] == ["add", "subtract", "multiply"]
    assert harden(Multiply()).invoke({"a": 2, "b": 2}) == 4
    assert hardened[0].args["a"]["description"] == "the first"
    assert hardened[0].tool_call_schema.model_json_schema()["properties"]["a"]["description"] == "the first"
    arguments = {"a": "7", "b": 3}
    assert [tool.invoke(arguments) for tool in hardened] == [10, 4, 21]
    assert hardened[1].invoke({"a": 12}) == 2  # the args_schema's own default


def test_harden_refuses_what_would_fail_at_the_first_call() -> None:
    class Arguments(pydantic.BaseModel):
        town: str

    def forecast(city: str) -> str:
        return city

    mismatched = StructuredTool.from_function(
        forecast, name="forecast", description="d", args_schema=Arguments
    )
    with pytest.raises(toolproof.ToolDefinitionError, match="town"):
        harden(mismatched)
    with pytest.raises(toolproof.ToolDefinitionError, match="two tools are named 'get_weather'"):
        harden([get_weather, StructuredTool.from_function(forecast, name="get_weather", description="d")])
    spaced = StructuredTool.from_function(forecast, name="weather tool", description="d")
    with pytest.raises(toolproof.ToolDefinitionError, match="weather_tool"):
        harden(spaced)


def test_content_and_artifact_async_tools_and_tool_exceptions() -> None:
    @langchain_tool(response_format="content_and_artifact")
    def render(title: str) -> tuple[str, dict[str, Any]]:
        """Render a page."""
        return f"rendered {title}", {"bytes": b"\x00", "title": title}

    @langchain_tool
    async def fetch(url: str) -> dict[str, str]:
        """Fetch a page."""
        await asyncio.sleep(0)
        return {"url": url}

    def refuse(reason: str) -> str:
        raise ToolException(f"refused: {reason}")

    refusing = StructuredTool.from_function(
        refuse, name="refuse", description="d", handle_tool_error="Ask the user first."
    )

    message = harden(render).invoke(
        {"type": "tool_call", "id": "r", "name": "render", "args": {"title": "Home"}}
    )
    assert (message.content, message.artifact) == ("rendered Home", {"bytes": b"\x00", "title": "Home"})
    hardened_fetch = harden(fetch)
    assert hardened_fetch.invoke({"url": "u"}) == {"url": "u"}  # a coroutine, called synchronously
    assert asyncio.run(hardened_fetch.ainvoke({"url": "v"})) == {"url": "v"}
    message = harden(refusing).invoke(
        {"type": "tool_call", "id": "x", "name": "refuse", "args": {"reason": "r"}}
    )
    assert (message.status, message.content) == ("error", "Ask the user first.")


def test_injected_state_call_id_and_runtime_reach_the_function() -> None:
    @langchain_tool
    def remember(
        note: str,
        state: Annotated[dict, InjectedState],
        call_id: Annotated[str, InjectedToolCallId],
        runtime: ToolRuntime,
    ) -> str:
        """Remember a note."""
        return f"{note}|{len(state['messages'])}|{call_id}|{runtime.tool_call_id}"

    hardened = harden(remember)
    assert set(hardened.tool_call_schema.model_json_schema()["properties"]) == {"note"}
    message = calls(("remember", {"note": "n"}, "c1"), ("remember", "{'note': 'm'", "c2"))
    expected = ["n|1|c1|c1", "m|1|c2|c2"]
    # Our ToolNode (one batch), and LangGraph's own ToolNode running the hardened tool.
    for node in (ToolNode([remember]), LangGraphToolNode([hardened])):
        output = tools_graph(node).invoke({"messages": [message]})
        got = [m.content for m in tool_messages(output)]
        assert got == (expected if isinstance(node, ToolNode) else expected[:1])


def test_a_command_returned_by_a_tool_updates_the_state() -> None:
    class State(MessagesState):
        city: str

    @langchain_tool
    def choose_city(city: str, call_id: Annotated[str, InjectedToolCallId]) -> Command:
        """Choose the city."""
        return Command(
            update={"city": city, "messages": [ToolMessage(f"chose {city}", tool_call_id=call_id)]}
        )

    graph = StateGraph(State)
    graph.add_node("tools", ToolNode([choose_city]))
    graph.add_edge(START, "tools")
    graph.add_edge("tools", END)
    output = graph.compile().invoke(
        {"messages": [calls(("choose_city", {"city": "Oslo"}, "c1"))], "city": ""}
    )
    assert output["city"] == "Oslo"
    assert [m.content for m in tool_messages(output)] == ["chose Oslo"]


def test_an_interrupt_inside_a_tool_passes_through() -> None:
    @langchain_tool
    def transfer(amount: int) -> str:
        """Transfer money after a human approves."""
        answer = interrupt(f"approve {amount}?")
        return f"transferred {amount}: {answer}"

    graph = StateGraph(MessagesState)
    graph.add_node("tools", ToolNode([transfer]))
    graph.add_edge(START, "tools")
    graph.add_edge("tools", END)
    app = graph.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    first = app.invoke({"messages": [calls(("transfer", {"amount": "5"}, "t1"))]}, config)
    assert first["__interrupt__"][0].value == "approve 5?"
    resumed = app.invoke(Command(resume="yes"), config)
    assert tool_messages(resumed)[-1].content == "transferred 5: yes"


# === failures users hit: the plain framework, then toolproof ===================================


def test_camel_case_keys_and_numbers_as_strings() -> None:
    message = calls(("book_flight", {"originCity": "Oslo", "passengers": "2"}, "f1"))
    plain = tool_messages(tools_graph(LangGraphToolNode([book_flight])).invoke({"messages": [message]}))
    assert plain[0].status == "error" and "origin_city" in plain[0].content

    hardened = tool_messages(tools_graph(ToolNode([book_flight])).invoke({"messages": [message]}))
    assert hardened[0].status == "success"
    assert json.loads(hardened[0].content) == {"from": "Oslo", "seats": 2}
    kinds = {repair["kind"] for repair in hardened[0].response_metadata["toolproof"]["repairs"]}
    assert kinds == {"renamed_key", "string_to_integer"}


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "streamed"])
def test_malformed_json_arguments(stream: bool) -> None:
    script = [[("get_weather", {"city": "Paris"}), ("get_weather", '{"city": "Oslo",}')], "done"]

    model = langchain_chat_model(script, stream=stream)
    plain = agent_graph(model, [get_weather], LangGraphToolNode([get_weather]), langgraph_tools_condition)
    out = plain.invoke({"messages": [HumanMessage("weather?")]})
    # LangGraph answers the call LangChain parsed only; a real provider would refuse the next
    # request, since every call needs its result.
    turn = out["messages"][1]
    assert {c["id"] for c in turn.tool_calls + turn.invalid_tool_calls} == {"call_0_0", "call_0_1"}
    assert answered(out["messages"]) == {"call_0_0"}

    model = langchain_chat_model(script, stream=stream)
    hardened = agent_graph(model, [get_weather], ToolNode([get_weather]), tools_condition)
    out = hardened.invoke({"messages": [HumanMessage("weather?")]})
    assert [m.content for m in tool_messages(out)] == ["sunny in Paris", "sunny in Oslo"]
    assert out["messages"][-1].content == "done"


def test_non_object_and_empty_string_arguments() -> None:
    @langchain_tool
    def now() -> str:
        """The time now."""
        return "12:00"

    for tool, raw in ((get_weather, '"Rome"'), (now, "")):
        tool_call = {"type": "tool_call", "id": "c1", "name": tool.name, "args": raw}
        with pytest.raises(AttributeError):  # LangChain copies the arguments as if they were a dict
            tool.invoke(tool_call)
        message = harden(tool).invoke(tool_call)
        assert message.status == "success", message.content
    # A model answering with a bare string: LangGraph drops the call, the ToolNode answers it.
    model_message = calls(("get_weather", '"Rome"', "g1"))
    assert (
        tool_messages(tools_graph(LangGraphToolNode([get_weather])).invoke({"messages": [model_message]}))
        == []
    )
    output = tools_graph(ToolNode([get_weather])).invoke({"messages": [model_message]})
    assert [m.content for m in tool_messages(output)] == ["sunny in Rome"]


def test_a_datetime_or_custom_object_result() -> None:
    @dataclasses.dataclass
    class Booking:
        reference: str
        at: datetime.datetime

    class Widget:
        pass

    @langchain_tool
    def booking() -> dict[str, Any]:
        """The booking."""
        return {"booking": Booking("AB12", datetime.datetime(2025, 5, 17, 9, 30))}

    @langchain_tool
    def widget() -> dict[str, Any]:
        """A widget."""
        return {"widget": Widget()}

    message = calls(("booking", {}, "b1"), ("widget", {}, "w1"))
    plain = tool_messages(tools_graph(LangGraphToolNode([booking, widget])).invoke({"messages": [message]}))
    assert "datetime.datetime(2025" in plain[0].content  # a Python repr, not JSON
    assert "Widget object at 0x" in plain[1].content
    hardened = tool_messages(tools_graph(ToolNode([booking, widget])).invoke({"messages": [message]}))
    assert json.loads(hardened[0].content) == {"booking": {"reference": "AB12", "at": "2025-05-17T09:30:00"}}
    assert hardened[1].status == "error" and 'Widget at result["widget"]' in hardened[1].content


def test_an_oversized_result() -> None:
    @langchain_tool
    def dump() -> str:
        """Everything."""
        return "x" * 5_000_000

    message = calls(("dump", {}, "d1"))
    plain = tool_messages(tools_graph(LangGraphToolNode([dump])).invoke({"messages": [message]}))
    assert len(plain[0].content) == 5_000_000
    hardened = tool_messages(tools_graph(ToolNode([dump])).invoke({"messages": [message]}))
    assert len(hardened[0].content.encode()) <= 100_000
    assert hardened[0].response_metadata["toolproof"]["truncated"]["original_bytes"] == 5_000_000


def test_duplicate_tool_names() -> None:
    @langchain_tool("get_weather")
    def weather_in_fahrenheit(city: str) -> str:
        """The weather in Fahrenheit."""
        return "72F"

    plain = LangGraphToolNode([get_weather, weather_in_fahrenheit])
    assert list(plain.tools_by_name) == ["get_weather"]  # one of them silently gone
    with pytest.raises(toolproof.ToolDefinitionError, match="two tools are named 'get_weather'"):
        ToolNode([get_weather, weather_in_fahrenheit])


class Lookup(BaseTool):
    """A class-based tool keeping per-call state on the shared instance."""

    name: str = "lookup"
    description: str = "Look a key up."
    current: str = ""
    barrier: Any = None

    def _run(self, key: str) -> str:
        self.current = key
        try:
            self.barrier.wait(timeout=2)  # every call writes before any reads
        except threading.BrokenBarrierError:
            pass
        return f"value of {self.current}"


def test_shared_mutable_state_under_parallel_calls() -> None:
    keys = ["a", "b", "c", "d"]
    message = calls(*[("lookup", {"key": key}, f"l{key}") for key in keys])
    expected = [f"value of {key}" for key in keys]

    plain = tool_messages(
        tools_graph(LangGraphToolNode([Lookup(barrier=threading.Barrier(4))])).invoke({"messages": [message]})
    )
    assert [m.content for m in plain] != expected  # the calls read each other's keys

    node = ToolNode([Lookup(barrier=threading.Barrier(4))], fresh_instance=True)
    hardened = tool_messages(tools_graph(node).invoke({"messages": [message]}))
    assert [m.content for m in hardened] == expected


def test_a_flaky_upstream_that_succeeds_on_retry() -> None:
    attempts = {"count": 0}

    @langchain_tool
    def quote(symbol: str) -> float:
        """A stock quote."""
        attempts["count"] += 1
        if attempts["count"] < 3:
            raise ConnectionError("connection reset by peer")
        return 101.5

    message = calls(("quote", {"symbol": "ACME"}, "q1"))
    with pytest.raises(ConnectionError):
        tools_graph(LangGraphToolNode([quote])).invoke({"messages": [message]})

    attempts["count"] = 0
    retry = toolproof.Retry(attempts=3, initial_delay=0.001, max_delay=0.01)
    hardened = tool_messages(tools_graph(ToolNode([quote], retry=retry)).invoke({"messages": [message]}))
    assert (hardened[0].content, hardened[0].response_metadata["toolproof"]["attempts"]) == ("101.5", 3)


def test_a_hanging_tool_is_stopped_by_its_timeout() -> None:
    release = threading.Event()

    @langchain_tool
    def export(report: str) -> str:
        """Export a report."""
        release.wait(10)
        return "exported"

    tool_call = {"type": "tool_call", "id": "e1", "name": "export", "args": {"report": "q3"}}
    try:
        plain = threading.Thread(target=export.invoke, args=(tool_call,), daemon=True)
        plain.start()
        plain.join(0.3)
        assert plain.is_alive()  # still waiting: nothing stops it

        started = time.perf_counter()
        message = harden(export, timeout=0.1).invoke(tool_call)
        assert time.perf_counter() - started < 2
        assert message.status == "error" and "did not finish in time" in message.content
    finally:
        release.set()


def test_one_failing_call_among_several_keeps_its_siblings() -> None:
    @langchain_tool
    def divide(a: int, b: int) -> float:
        """a / b."""
        return a / b

    message = calls(
        ("divide", {"a": 6, "b": 3}, "d1"),
        ("divide", {"a": 1, "b": 0}, "d2"),
        ("divide", {"a": 9, "b": 3}, "d3"),
    )
    with pytest.raises(ZeroDivisionError):
        tools_graph(LangGraphToolNode([divide])).invoke({"messages": [message]})
    # By default the node raises what LangGraph's raises (a RetryPolicy on it sees the error) ...
    with pytest.raises(ZeroDivisionError):
        tools_graph(ToolNode([divide])).invoke({"messages": [message]})

    # ... and one option answers it instead, every sibling's result kept.
    node = ToolNode([divide], handle_tool_errors=True)
    hardened = tool_messages(tools_graph(node).invoke({"messages": [message]}))
    assert [(m.tool_call_id, m.status) for m in hardened] == [
        ("d1", "success"),
        ("d2", "error"),
        ("d3", "success"),
    ]
    assert [hardened[0].content, hardened[2].content] == ["2.0", "3.0"]
    assert "ZeroDivisionError" in hardened[1].content and "Traceback" not in hardened[1].content


# === the ToolNode as a drop-in ==================================================================


def test_the_node_answers_in_call_order_in_parallel_sync_and_async() -> None:
    @langchain_tool
    def wait(seconds: float) -> float:
        """Wait."""
        time.sleep(seconds)
        return seconds

    @langchain_tool
    async def await_(seconds: float) -> float:
        """Wait, asynchronously."""
        await asyncio.sleep(seconds)
        return seconds

    delays = [0.2, 0.05, 0.1, 0.15]
    for tool in (wait, await_):
        message = calls(*[(tool.name, {"seconds": d}, f"w{i}") for i, d in enumerate(delays)])
        app = tools_graph(ToolNode([tool]))
        started = time.perf_counter()
        output = (
            asyncio.run(app.ainvoke({"messages": [message]}))
            if tool is await_
            else app.invoke({"messages": [message]})
        )
        assert time.perf_counter() - started < sum(delays)
        assert [float(m.content) for m in tool_messages(output)] == delays


def test_the_node_takes_tool_calls_sent_one_by_one() -> None:
    # How create_agent feeds its tools node: each call in a Send of its own.
    def fan_out(state: MessagesState) -> list[Send]:
        return [Send("tools", [call]) for call in state["messages"][-1].tool_calls]

    graph = StateGraph(MessagesState)
    graph.add_node("tools", ToolNode([get_weather]))
    graph.add_conditional_edges(START, fan_out, ["tools"])
    graph.add_edge("tools", END)
    output = graph.compile().invoke(
        {"messages": [calls(("get_weather", {"city": "A"}, "1"), ("get_weather", {"city": "B"}, "2"))]}
    )
    assert sorted(m.content for m in tool_messages(output)) == ["sunny in A", "sunny in B"]


def test_unknown_tools_wrappers_and_error_policies() -> None:
    @langchain_tool
    def fail(reason: str) -> str:
        """Always fails."""
        raise RuntimeError(reason)

    message = calls(
        ("get_weather", {"city": "Oslo"}, "1"),
        ("get_wether", {"city": "Oslo"}, "2"),
        ("fail", {"reason": "r"}, "3"),
    )
    seen: list[str] = []

    def wrapper(request: Any, execute: Any) -> Any:
        seen.append(request.tool_call["id"])
        return execute(request)

    answering = {"handle_tool_errors": True}
    for node in (
        ToolNode([get_weather, fail], **answering),
        ToolNode([get_weather, fail], wrap_tool_call=wrapper, **answering),
    ):
        output = tool_messages(tools_graph(node).invoke({"messages": [message]}))
        assert [m.status for m in output] == ["success", "error", "error"]
        assert "get_weather" in output[1].content
    assert sorted(seen) == ["1", "2", "3"]
    # LangGraph's default: the unknown tool answered, the tool's exception raised.
    with pytest.raises(RuntimeError, match="r"):
        tools_graph(ToolNode([get_weather, fail])).invoke({"messages": [message]})

    replaced = tool_messages(
        tools_graph(ToolNode([get_weather, fail], handle_tool_errors="Try later.")).invoke(
            {"messages": [message]}
        )
    )
    # As in LangGraph, the string replaces the text of a tool's failure; an unknown tool is answered
    # with the tools there are.
    assert "not a valid tool" in replaced[1].content and replaced[2].content == "Try later."
    with pytest.raises(RuntimeError, match="r"):
        tools_graph(ToolNode([get_weather, fail], handle_tool_errors=False)).invoke({"messages": [message]})


def test_callbacks_see_every_tool_run() -> None:
    class Recorder(BaseCallbackHandler):
        def __init__(self) -> None:
            self.events: list[tuple[str, str]] = []

        def on_tool_start(self, serialized: Any, input_str: str, **kwargs: Any) -> None:
            self.events.append(("start", serialized["name"]))

        def on_tool_end(self, output: Any, **kwargs: Any) -> None:
            self.events.append(("end", output.tool_call_id))

    @langchain_tool
    def whoami(greeting: str, config: RunnableConfig) -> str:
        """Who is asking."""
        return f"{greeting}, {config['metadata']['user']}"

    recorder = Recorder()
    message = calls(("whoami", {"greeting": "hi"}, "w1"), ("whoami", "{'greeting': 'hello'", "w2"))
    output = tools_graph(ToolNode([whoami])).invoke(
        {"messages": [message]}, {"callbacks": [recorder], "metadata": {"user": "ada"}}
    )
    assert [m.content for m in tool_messages(output)] == ["hi, ada", "hello, ada"]
    assert sorted(recorder.events) == [("end", "w1"), ("end", "w2"), ("start", "whoami"), ("start", "whoami")]


def test_create_agent_with_hardened_tools() -> None:
    model = langchain_chat_model(
        [
            [("book_flight", {"originCity": "Oslo", "passengers": "2"}), ("get_weather", {"city": "Oslo"})],
            "Booked.",
        ]
    )
    agent = create_agent(model, tools=harden([book_flight, get_weather]))
    output = agent.invoke({"messages": [HumanMessage("Book me a flight from Oslo for two")]})
    assert [m.status for m in tool_messages(output)] == ["success", "success"]
    assert output["messages"][-1].content == "Booked."
    assert model.bound_tools[0]["function"]["parameters"]["required"] == ["origin_city", "passengers"]
    # The model read the results of its calls on its second turn.
    assert [type(m).__name__ for m in model.requests[1]] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "ToolMessage",
    ]


def test_create_agent_answers_calls_it_could_not_parse() -> None:
    script = [
        [("get_weather", '{"city": "Oslo",}'), ("get_weather", "{nonsense")],
        [("get_weather", "Bergen")],
        "Sunny.",
    ]

    model = langchain_chat_model(script)
    output = create_agent(model, tools=[get_weather]).invoke({"messages": [HumanMessage("weather?")]})
    assert tool_messages(output) == [] and model.turns_left == 2  # the run ended, both calls unanswered

    model = langchain_chat_model(script)
    agent = create_agent(model, middleware=[ToolproofMiddleware([get_weather])])
    output = asyncio.run(agent.ainvoke({"messages": [HumanMessage("weather?")]}))
    by_id = {m.tool_call_id: m for m in tool_messages(output)}
    assert by_id["call_0_0"].content == "sunny in Oslo"
    assert by_id["call_0_1"].status == "error" and "get_weather" in by_id["call_0_1"].content
    assert by_id["call_1_0"].status == "error"  # bare text is not JSON: the model is told so
    assert output["messages"][-1].content == "Sunny."
    # Every call of the first turn is among its tool_calls now, so a provider accepts the history.
    first_turn = output["messages"][1]
    assert {c["id"] for c in first_turn.tool_calls} == {"call_0_0", "call_0_1"}
    assert first_turn.tool_calls[0]["args"] == {"city": "Oslo"}


# === the scripted model ==========================================================================


def test_the_scripted_model_calls_tools_also_when_streamed() -> None:
    script = [[("get_weather", {"city": "Paris"}), ("get_weather", '{"city": "Oslo",}')], "It is sunny."]
    invoked = langchain_chat_model(script).invoke("weather?")
    assert [c["args"] for c in invoked.tool_calls] == [{"city": "Paris"}]
    assert invoked.invalid_tool_calls[0]["args"] == '{"city": "Oslo",}'

    model = langchain_chat_model(script, chunk_size=4)
    chunks = list(model.stream("weather?"))
    assert len(chunks) > 4 and all(isinstance(chunk, AIMessageChunk) for chunk in chunks)
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.tool_calls[0]["args"] == {"city": "Paris"}
    assert merged.invalid_tool_calls[0]["args"] == '{"city": "Oslo",}'
    assert model.invoke("and now?").content == "It is sunny."
    with pytest.raises(ScriptExhaustedError):
        model.invoke("again?")
    assert len(model.requests) == 2


# === what LangGraph's users rely on, kept ========================================================


@langchain_tool
def refuse(reason: str) -> str:
    """Refuses with toolproof's PermanentError."""
    raise toolproof.PermanentError(f"cannot: {reason}")


def test_a_toolproof_error_is_a_tool_exception_for_langgraphs_handlers() -> None:
    from langchain_core.tools import ToolException

    assert issubclass(toolproof.ToolError, ToolException) and issubclass(
        toolproof.RetryableError, ToolException
    )
    message = calls(("refuse", {"reason": "closed"}, "r1"), ("get_weather", {"city": "Oslo"}, "w1"))

    def typed_handler(error: ToolException) -> str:
        return f"handled: {error}"

    for node_class in (LangGraphToolNode, ToolNode):
        for policy, expected in ((ToolException, None), (typed_handler, "handled: cannot: closed")):
            node = node_class([refuse, get_weather], handle_tool_errors=policy)
            refused, weather = tool_messages(tools_graph(node).invoke({"messages": [message]}))
            assert (refused.status, weather.content) == ("error", "sunny in Oslo")
            if expected is not None:
                assert refused.content == expected
        # A handler typed for another exception lets it through, as LangGraph does.
        with pytest.raises(toolproof.PermanentError):

            def other(error: KeyError) -> str:
                return "no"

            tools_graph(node_class([refuse], handle_tool_errors=other)).invoke({"messages": [message]})


def test_the_error_type_holds_in_a_fresh_interpreter_whichever_is_imported_first() -> None:
    for order in ("import langchain_core.tools, toolproof", "import toolproof, toolproof.langchain"):
        code = (
            f"{order}\n"
            "from langchain_core.tools import ToolException\n"
            "print(isinstance(toolproof.PermanentError('x'), ToolException))\n"
        )
        completed = run_python(code)
        assert completed.returncode == 0 and completed.stdout.strip() == "True", completed.stderr


def test_a_tools_own_handle_tool_error_answers_before_the_node_decides() -> None:
    @langchain_tool
    def closed(day: str) -> str:
        """Opening hours."""
        raise ToolException(f"closed on {day}")

    closed.handle_tool_error = lambda error: f"The shop says: {error}"
    message = calls(("closed", {"day": "Sunday"}, "c1"))
    for node_class in (LangGraphToolNode, ToolNode):
        # Even a node that raises every error gets the tool's own answer.
        node = node_class([closed], handle_tool_errors=False)
        [answer] = tool_messages(tools_graph(node).invoke({"messages": [message]}))
        assert (answer.status, answer.content) == ("error", "The shop says: closed on Sunday")
    assert harden(closed).invoke({"day": "Monday"}) == "The shop says: closed on Monday"


def test_a_list_of_commands_that_fails_validation_is_handled_as_langgraph_handles_it() -> None:
    @langchain_tool
    def hand_over(to: str, call_id: Annotated[str, InjectedToolCallId]) -> list[Command]:
        """Hand over, forgetting the ToolMessage LangGraph needs."""
        return [Command(update={"messages": []})]

    message = calls(("hand_over", {"to": "bob"}, "h1"), ("get_weather", {"city": "Oslo"}, "w1"))
    for node_class in (LangGraphToolNode, ToolNode):
        with pytest.raises(ValueError, match="expected exactly one terminating ToolMessage"):
            tools_graph(node_class([hand_over, get_weather])).invoke({"messages": [message]})
        node = node_class([hand_over, get_weather], handle_tool_errors=True)
        invalid, weather = tool_messages(tools_graph(node).invoke({"messages": [message]}))
        assert invalid.status == "error" and "terminating ToolMessage" in invalid.content
        assert weather.content == "sunny in Oslo"


class _ToolEvents(BaseCallbackHandler):
    def __init__(self) -> None:
        self.events: list[str] = []

    def on_tool_end(self, output: Any, **kwargs: Any) -> None:
        self.events.append("end")

    def on_tool_error(self, error: BaseException, **kwargs: Any) -> None:
        self.events.append(f"error:{type(error).__name__}")


def test_a_failure_is_reported_to_callbacks_and_event_streams_as_an_error() -> None:
    message = calls(("refuse", {"reason": "closed"}, "r1"), ("get_weather", {"city": "Oslo"}, "w1"))
    seen: dict[str, list[str]] = {}
    for node_class in (LangGraphToolNode, ToolNode):
        recorder = _ToolEvents()
        node = node_class([refuse, get_weather], handle_tool_errors=True)
        tools_graph(node).invoke({"messages": [message]}, {"callbacks": [recorder]})
        seen[node_class.__module__] = sorted(recorder.events)
    assert set(map(tuple, seen.values())) == {("end", "error:PermanentError")}

    async def streamed() -> list[str]:
        node = ToolNode([refuse, get_weather], handle_tool_errors=True)
        return [
            event["event"]
            async for event in tools_graph(node).astream_events({"messages": [message]}, version="v2")
            if event["event"] in ("on_tool_end", "on_tool_error")
        ]

    assert sorted(asyncio.run(streamed())) == ["on_tool_end", "on_tool_error"]

    # LangGraph's own tool stream says the same as for its ToolNode.
    for node_class in (LangGraphToolNode, ToolNode):
        node = node_class([refuse, get_weather], handle_tool_errors=True)
        stream = tools_graph(node).stream({"messages": [message]}, stream_mode="tools")
        assert sorted((event["tool_call_id"], event["event"]) for event in stream) == [
            ("r1", "tool-error"),
            ("r1", "tool-started"),
            ("w1", "tool-finished"),
            ("w1", "tool-started"),
        ]

    # A hardened tool used on its own reports the same.
    recorder = _ToolEvents()
    with pytest.raises(toolproof.PermanentError):
        harden(refuse).invoke({"reason": "x"}, {"callbacks": [recorder]})
    with pytest.raises(toolproof.ArgumentError):
        harden(get_weather).invoke({"town": 1}, {"callbacks": [recorder]})
    assert recorder.events == ["error:PermanentError", "error:ArgumentValidationError"]


def test_a_retry_policy_on_the_tools_node_sees_the_failure() -> None:
    from langgraph.types import RetryPolicy

    attempts: list[int] = []

    @langchain_tool
    def quote(symbol: str) -> str:
        """A price, from an upstream that drops the first connection."""
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("connection reset by peer")
        return f"{symbol}: 101.5"

    message = calls(("quote", {"symbol": "ACME"}, "q1"))
    for node_class in (LangGraphToolNode, ToolNode):
        attempts.clear()
        graph = StateGraph(MessagesState)
        graph.add_node("tools", node_class([quote]), retry_policy=RetryPolicy(initial_interval=0.001))
        graph.add_edge(START, "tools")
        graph.add_edge("tools", END)
        [answer] = tool_messages(graph.compile().invoke({"messages": [message]}))
        assert answer.content == "ACME: 101.5" and len(attempts) == 2


def test_a_tool_error_handler_that_raises_fails_the_call_as_in_langchain() -> None:
    """A tool's own ``handle_tool_error`` that raises (langchain-mcp-adapters' re-raises what it
    does not own) fails that call with what it raised; the node's handle_tool_errors decides."""

    def reraise(error: ToolException) -> str:
        raise error

    def fetch(key: str) -> str:
        """Fetch a key."""
        raise ToolException(f"no such key {key}")

    message = calls(("fetch", {"key": "k"}, "1"), ("fetch", {"key": "j"}, "2"))
    for make in (LangGraphToolNode, ToolNode):
        source = StructuredTool.from_function(fetch, handle_tool_error=reraise)
        tool = source if make is LangGraphToolNode else harden(source)
        answered = tool_messages(
            tools_graph(make([tool], handle_tool_errors=True)).invoke({"messages": [message]})
        )
        assert [(m.status, "no such key" in m.content) for m in answered] == [("error", True)] * 2, make
        with pytest.raises(ToolException, match="no such key"):
            tools_graph(make([tool], handle_tool_errors=False)).invoke({"messages": [message]})
