"""A registry served as an MCP server (``toolproof.mcp.serve``): listed with its schemas, annotations
and output schemas, every call through the registry's road, limits and metrics; loaded back, the
same schemas and results. One server runs as a subprocess on stdio.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Literal

import pydantic
import pytest
import toolproof
from mcp import ClientSession, StdioServerParameters, types
from mcp.server.fastmcp import FastMCP, Image
from mcp.shared.memory import create_connected_server_and_client_session as connect
from toolproof import PermanentError, Registry, ToolCall
from toolproof.mcp import ERROR_CODE_KEY, MCPTool, Servers, StrictFallbackWarning, load_tools, serve

STDIO_SERVER = Path(__file__).with_name("mcp_stdio_server.py")


class Forecast(pydantic.BaseModel):
    city: str
    celsius: float
    summary: str


class Booking(pydantic.BaseModel):
    room: Literal["red", "blue"]
    hours: float = pydantic.Field(gt=0, le=8)
    guests: list[str] = []


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def forecast(city: str, days: int = 1) -> Forecast:
    """The weather in a city."""
    return Forecast(city=city, celsius=21.5 + days, summary="sunny")


def book(booking: Booking) -> dict[str, Any]:
    """Book a meeting room."""
    return {"room": booking.room, "hours": booking.hours, "guests": len(booking.guests)}


def next_day(day: datetime.date) -> datetime.date:
    """The day after."""
    return day + datetime.timedelta(days=1)


def greet(name: str, excited: bool = False) -> str:
    """Greet someone."""
    return f"Hello, {name}{'!' if excited else '.'}"


def untyped(x: int):  # type: ignore[no-untyped-def]
    """No return type: no output schema."""
    return {"x": x, "squares": [i * i for i in range(x)]}


def explode(reason: str) -> str:
    """Always fails."""
    raise PermanentError(f"cannot: {reason}")


def liar(n: int) -> int:
    """Declares an int, returns text."""
    return f"{n}"  # type: ignore[return-value]


async def nap(seconds: float) -> str:
    """Sleeps."""
    await asyncio.sleep(seconds)
    return "rested"


TOOLS = [add, forecast, book, next_day, greet, untyped, explode, liar, nap]
ANNOTATIONS = {
    "add": {"readOnlyHint": True, "idempotentHint": True},
    "explode": types.ToolAnnotations(destructiveHint=True),
    "book": {"title": "Book a room", "destructiveHint": False, "idempotentHint": False},
}

CALLS = [
    ToolCall("1", "add", {"a": 2, "b": 3}),
    ToolCall("2", "add", '{"a": "2", "b": 3,}'),  # repaired
    ToolCall("3", "add", {"a": "two", "b": 3}),  # refused
    ToolCall("4", "forecast", {"city": "Oslo"}),
    ToolCall("5", "book", {"booking": {"room": "red", "hours": "2", "guests": ["ann", "bob"]}}),
    ToolCall("6", "book", {"booking": {"room": "green", "hours": 2}}),
    ToolCall("7", "next_day", {"day": "2026-02-28"}),
    ToolCall("8", "greet", {"Name": "Ada", "excited": "true"}),
    ToolCall("9", "untyped", {"x": 4}),
    ToolCall("10", "explode", {"reason": "no"}),
    ToolCall("12", "nap", {"seconds": 0}),
    ToolCall("13", "missing", {}),
]


def outcome(result: toolproof.ToolResult) -> tuple[bool, str, str | None]:
    return result.ok, result.content, result.error["code"] if result.error else None


def test_served_tools_are_listed_with_schemas_annotations_and_output_schemas() -> None:
    registry = Registry(TOOLS)
    served = serve(registry, name="office", annotations=ANNOTATIONS)

    async def body() -> None:
        async with served.connect() as session:
            listed = {tool.name: tool for tool in (await session.list_tools()).tools}
            assert list(listed) == registry.names
            for tool in registry:
                assert listed[tool.name].inputSchema == tool.schema
                assert listed[tool.name].description == tool.description
            assert listed["add"].annotations == types.ToolAnnotations(readOnlyHint=True, idempotentHint=True)
            assert listed["book"].annotations.title == "Book a room"
            assert listed["greet"].annotations is None
            assert listed["add"].outputSchema == {
                "type": "object",
                "properties": {"result": {"type": "integer"}},
                "required": ["result"],
            }
            assert listed["forecast"].outputSchema == pydantic.TypeAdapter(Forecast).json_schema(
                mode="serialization"
            )
            assert listed["next_day"].outputSchema["properties"]["result"] == {
                "type": "string",
                "format": "date",
            }
            assert listed["untyped"].outputSchema is None

    asyncio.run(body())


def test_served_and_loaded_back_gives_the_same_schemas_and_results() -> None:
    registry = Registry(TOOLS)
    served = serve(registry, annotations=ANNOTATIONS)

    async def body() -> None:
        async with served.connect() as session:
            loaded = await load_tools(session, server="office")
            assert [tool.name for tool in loaded] == registry.names
            for tool in loaded:
                original = registry[tool.name]
                assert tool.schema == original.schema
                assert tool.description == original.description
                assert tool.signature == original.signature
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", StrictFallbackWarning)
                    for provider in ("openai", "openai-responses", "anthropic"):
                        assert tool.to_provider(provider) == original.to_provider(provider)
            assert {t.name: t.annotations for t in loaded}["add"] == {
                "readOnlyHint": True,
                "idempotentHint": True,
            }
            assert {t.name: t.retry_safe for t in loaded} == {name: name == "add" for name in registry.names}

            direct = registry.dispatch(CALLS)
            through = await Registry(loaded).adispatch(CALLS)
            assert [outcome(r) for r in through] == [outcome(r) for r in direct]
            codes = [r.error["code"] if r.error else None for r in through]
            assert codes == [None, None, "invalid_arguments", None, None, "invalid_arguments"] + [
                None
            ] * 3 + [
                "tool_error",
                None,
                "unknown_tool",
            ]
            # The structured content came across, checked against the served output schema.
            assert through[3].output.structured == {"city": "Oslo", "celsius": 22.5, "summary": "sunny"}
            assert through[0].output.structured == {"result": 5}

    asyncio.run(body())


def test_every_served_call_goes_through_the_registrys_road_and_metrics() -> None:
    registry = Registry(TOOLS)
    served = serve(registry)

    async def body() -> None:
        async with served.connect() as session:
            # The SDK client validates structured content itself: a second, independent check.
            repaired = await session.call_tool("add", {"a": "2", "b": 3})
            assert (repaired.isError, repaired.content[0].text, repaired.structuredContent) == (
                False,
                "5",
                {"result": 5},
            )
            refused = await session.call_tool("add", {"a": "two"})
            assert refused.isError and refused.meta == {ERROR_CODE_KEY: "invalid_arguments"}
            assert (
                "a: expected integer" in refused.content[0].text and "b: required" in refused.content[0].text
            )
            unknown = await session.call_tool("subtract", {"a": 1})
            assert unknown.isError and unknown.meta == {ERROR_CODE_KEY: "unknown_tool"}
            assert "add" in unknown.content[0].text
            wrong = await session.call_tool("liar", {"n": 3})
            assert wrong.isError and wrong.meta == {ERROR_CODE_KEY: "invalid_result"}

        counts = registry.metrics()
        assert counts["add"]["calls"] == 2 and counts["add"]["errors"] == {"invalid_arguments": 1}
        assert counts["add"]["repairs"]
        assert counts["liar"]["calls"] == 1

    asyncio.run(body())


def test_served_calls_keep_the_registrys_limits() -> None:
    running = 0
    most = 0

    async def hold(tag: str) -> str:
        """Holds a slot for a moment."""
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.02)
        running -= 1
        return tag

    def numbers(count: int) -> list[int]:
        """Many numbers."""
        return list(range(count))

    def numbers_text(count: int):  # type: ignore[no-untyped-def]
        """Many numbers, no declared type."""
        return list(range(count))

    async def slow() -> str:
        """Too slow."""
        await asyncio.sleep(5)
        return "late"

    registry = Registry(
        [hold, numbers, numbers_text, slow],
        max_concurrency=2,
        max_result_bytes=300,
        timeout=0.2,
        authorize=lambda call, context: call.name != "numbers_text" or context.meta is None,
    )
    served = serve(registry)

    async def body() -> None:
        async with served.connect() as session:
            answers = await asyncio.gather(*(session.call_tool("hold", {"tag": str(i)}) for i in range(8)))
            assert [a.content[0].text for a in answers] == [str(i) for i in range(8)]
            assert most == 2
            small = await session.call_tool("numbers", {"count": 3})
            assert small.structuredContent == {"result": [0, 1, 2]}
            large = await session.call_tool("numbers", {"count": 1000})
            assert large.isError and large.meta == {ERROR_CODE_KEY: "invalid_result"}
            assert "cut to" in large.content[-1].text
            text = await session.call_tool("numbers_text", {"count": 1000})
            assert not text.isError and len(text.content[0].text.encode()) <= 300
            denied = await session.call_tool("numbers_text", {"count": 1}, meta={"caller": "x"})
            assert denied.isError and denied.meta == {ERROR_CODE_KEY: "denied"}
            late = await session.call_tool("slow", {})
            assert late.isError and late.meta == {ERROR_CODE_KEY: "timeout"}

    asyncio.run(body())


def test_mcp_tools_served_again_keep_their_content_annotations_and_structure() -> None:
    upstream = FastMCP("charts")
    png = b"\x89PNG\r\n\x1a\n" + bytes(32)

    @upstream.tool(annotations=types.ToolAnnotations(readOnlyHint=True))
    def chart(title: str) -> Image:
        """A chart."""
        return Image(data=png, format="png")

    @upstream.tool(structured_output=True)
    def total(values: list[float]) -> dict[str, float]:
        """The total."""
        return {"total": sum(values)}

    async def body() -> None:
        async with connect(upstream) as upstream_session:
            loaded = await load_tools(upstream_session, server="charts")
            proxy = serve(Registry(loaded), name="proxy")
            async with proxy.connect() as session:
                listed = {t.name: t for t in (await session.list_tools()).tools}
                assert listed["chart"].annotations == types.ToolAnnotations(readOnlyHint=True)
                assert listed["total"].outputSchema == loaded[1].output_schema
                picture = await session.call_tool("chart", {"title": "q3"})
                assert picture.content[0].type == "image"
                assert base64.b64decode(picture.content[0].data) == png
                summed = await session.call_tool("total", {"values": ["1.5", 2]})
                assert summed.structuredContent == {"total": 3.5}
                again = await load_tools(session, server="proxy")
                assert [t.schema for t in again] == [t.schema for t in loaded]

    asyncio.run(body())


def test_serve_refuses_annotations_for_tools_it_does_not_have() -> None:
    with pytest.raises(ValueError, match="does not have: ad"):
        serve(Registry([add]), annotations={"ad": {"readOnlyHint": True}})
    with pytest.raises(ValueError, match="not MCP tool annotations"):
        serve(Registry([add]), annotations={"add": {"readOnlyHint": "very"}})


# -- stdio --------------------------------------------------------------------------------------


def _stdio(log: Path) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=[str(STDIO_SERVER), str(log)])


def _log(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_a_stdio_server_subprocess_gets_only_checked_arguments(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"

    async def body() -> None:
        async with Servers({"office": _stdio(log)}) as servers:
            tools = {tool.name: tool for tool in servers.tools}
            assert set(tools) == {"add", "book_room", "read_status", "wipe_disk"}
            assert tools["add"].retry_safe and not tools["wipe_disk"].retry_safe
            registry = servers.registry()
            results = await registry.adispatch(
                [
                    ToolCall("1", "add", "{'a': '4', 'b': 5,}"),
                    ToolCall("2", "book_room", {"room": "RED", "hours": "1.5", "guests": "ann"}),
                    ToolCall("3", "book_room", {"room": "green", "hours": 1, "guests": []}),
                    ToolCall("4", "add", {"a": 1}),
                ]
            )
            assert [outcome(r)[0] for r in results] == [True, True, False, False]
            assert results[0].content == "9"
            assert json.loads(results[1].content) == {"room": "red", "hours": 1.5, "guests": 1}
        assert sorted(_log(log), key=lambda entry: entry["tool"]) == [
            {"tool": "add", "arguments": {"a": 4, "b": 5}},
            {"tool": "book_room", "arguments": {"room": "red", "hours": 1.5, "guests": ["ann"]}},
        ]

    asyncio.run(body())


@pytest.mark.parametrize(
    ("tool", "arguments", "attempts", "warned"),
    [("read_status", {"component": "crash"}, 3, False), ("wipe_disk", {"disk": "sda"}, 1, True)],
)
def test_a_server_that_dies_mid_call(
    tmp_path: Path, tool: str, arguments: dict[str, Any], attempts: int, warned: bool
) -> None:
    """The read-only tool is retried (the server is gone, so in vain); the destructive one is not."""
    log = tmp_path / "requests.jsonl"

    async def body() -> None:
        async with Servers(
            {"office": _stdio(log)}, retry=toolproof.Retry(attempts=3, initial_delay=0.01)
        ) as servers:
            [result] = await servers.registry().adispatch([ToolCall("1", tool, arguments)])
            assert (result.ok, result.error["code"], result.attempts) == (
                False,
                "upstream_unavailable",
                attempts,
            )
            assert "MCP server 'office'" in result.content
            assert ("may have been carried out" in result.content) is warned
        assert [entry["tool"] for entry in _log(log)] == [tool]

    asyncio.run(body())


def test_stdio_servers_from_synchronous_code(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    with Servers({"office": _stdio(log)}, prefix=True) as servers:
        registry = servers.registry()
        results = registry.dispatch([ToolCall(str(i), "office_add", {"a": 1, "b": 2}) for i in range(3)])
        assert [r.content for r in results] == ["3", "3", "3"]
        assert isinstance(registry["office_add"], MCPTool)
    assert len(_log(log)) == 3


def test_a_session_connected_elsewhere_is_used_as_given() -> None:
    async def body() -> None:
        async with serve(Registry([add, greet])).connect() as session:
            assert isinstance(session, ClientSession)
            servers = Servers({"office": session})
            tools = await servers.load()
            [result] = await servers.registry().adispatch([ToolCall("1", "greet", {"name": "Bo"})])
            assert result.content == "Hello, Bo." and len(tools) == 2

    asyncio.run(body())


def test_the_example_runs_offline_in_a_fresh_interpreter() -> None:
    import subprocess

    example = Path(__file__).parent.parent / "examples" / "mcp_servers.py"
    completed = subprocess.run(
        [sys.executable, str(example)], capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert "refused: two MCP servers have a tool that providers would see as 'search'" in out
    for line in ("call_1 files_search", "call_4 calendar_book", "call_5 calendar_book", "call_6 files_purge"):
        assert line in out
    assert "invalid_arguments" in out and "timeout" in out
    assert "8 calls, 6 ok, errors {'invalid_arguments': 1, 'timeout': 1}" in out


def test_a_server_that_never_answers_is_given_up_on_naming_it() -> None:
    silent = StdioServerParameters(command=sys.executable, args=["-c", "import time; time.sleep(60)"])

    async def body() -> None:
        with pytest.raises(
            TimeoutError, match=r"MCP server 'silent' did not answer the initialization within 0.5"
        ):
            async with Servers({"silent": silent}, connect_timeout=0.5):
                pass

    started = time.monotonic()
    asyncio.run(body())
    assert time.monotonic() - started < 30, "the silent server held the client up"
