"""MCP tools and the agent frameworks: tools loaded by toolproof through each adapter's ``harden``,
and tools the frameworks' own MCP clients loaded (langchain-mcp-adapters, AutoGen's
``mcp_server_tools``, CrewAI's ``MCPServerAdapter``), hardened. Real servers, real clients.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import anyio
import pydantic
import pytest
import toolproof
from mcp import StdioServerParameters, types
from mcp.server.fastmcp import FastMCP
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import McpError
from mcp.shared.memory import create_connected_server_and_client_session as connect
from toolproof.mcp import Servers, harden_langchain, langchain_tools, load_tools

STDIO_SERVER = Path(__file__).with_name("mcp_stdio_server.py")


class Office:
    """A FastMCP server that records what reaches it."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.server = FastMCP("office")
        requests = self.requests

        @self.server.tool(annotations=types.ToolAnnotations(readOnlyHint=True))
        def search(query: str, limit: int = 3) -> list[str]:
            """Search documents."""
            requests.append(("search", {"query": query, "limit": limit}))
            return [f"{query}-{i}" for i in range(limit)]

        @self.server.tool()
        def lock(item: int) -> str:
            """Lock an item."""
            requests.append(("lock", {"item": item}))
            raise ValueError(f"item {item} is locked by another user")

    def count(self, name: str) -> int:
        return sum(1 for tool, _ in self.requests if tool == name)


async def _answered(tools: list[Any], name: str, arguments: dict[str, Any]) -> Any:
    """The message a LangGraph tools node (toolproof's, answering every failure) gives one call."""
    from langchain_core.messages import AIMessage
    from langgraph.graph import START, MessagesState, StateGraph
    from toolproof.langchain import ToolNode

    graph = StateGraph(MessagesState)
    graph.add_node("tools", ToolNode(tools, handle_tool_errors=True))
    graph.add_edge(START, "tools")
    call = {"name": name, "args": arguments, "id": "answered", "type": "tool_call"}
    state = await graph.compile().ainvoke({"messages": [AIMessage(content="", tool_calls=[call])]})
    return state["messages"][-1]


# -- tools loaded by toolproof, through each adapter --------------------------------------------


def test_loaded_tools_through_the_autogen_adapter() -> None:
    from autogen_core import CancellationToken
    from toolproof import ArgumentError, ToolError
    from toolproof.autogen import harden

    office = Office()

    async def body() -> None:
        async with connect(office.server) as session:
            tools = [harden(tool) for tool in await load_tools(session, server="office")]
            search, lock = tools
            assert "integer" in search.schema["parameters"]["properties"]["limit"]["type"]
            found = await search.run_json({"query": "memo", "limit": "2"}, CancellationToken())
            assert search.return_value_as_string(found) == "memo-0\nmemo-1"
            # Bad arguments raise as AutoGen's own tools raise them (a pydantic ValidationError).
            with pytest.raises(ArgumentError, match="query"):
                await search.run_json({"limit": 2}, CancellationToken())
            # The tool's own failure is raised as it is, as AutoGen raises a tool's exception.
            with pytest.raises(ToolError, match="locked by another user"):
                await lock.run_json({"item": "7"}, CancellationToken())
        assert office.requests == [("search", {"query": "memo", "limit": 2}), ("lock", {"item": 7})]

    asyncio.run(body())


def test_loaded_tools_through_the_crewai_adapter() -> None:
    from toolproof import ToolError
    from toolproof.crewai import harden

    office = Office()
    with Servers({"office": office.server}) as servers:
        search, lock = harden(servers.tools)
        assert search.run(query="memo", limit="2") == "memo-0\nmemo-1"
        # Refused arguments and the tool's own failure are raised, as CrewAI's tools raise them,
        # for CrewAI to record and apply its tool_failure_policy to.
        with pytest.raises(ValueError, match="query: required"):
            search.run(limit=2)
        with pytest.raises(ToolError, match="locked by another user"):
            lock.run(item=7)
    assert office.requests == [("search", {"query": "memo", "limit": 2}), ("lock", {"item": 7})]


def test_loaded_tools_as_langchain_tools() -> None:
    office = Office()

    async def body() -> None:
        async with connect(office.server) as session:
            search, lock = langchain_tools(await load_tools(session, server="office"))
            found = await search.ainvoke(
                {"name": "search", "args": {"query": "a", "limit": "2"}, "id": "1", "type": "tool_call"}
            )
            assert (found.content, found.status) == ("a-0\na-1", "success")
            # Called directly, refused arguments raise as a StructuredTool's do; in a graph the
            # node answers them with what to fix.
            with pytest.raises(pydantic.ValidationError, match="query: required"):
                await search.ainvoke({"name": "search", "args": {"limit": 2}, "id": "2", "type": "tool_call"})
            refused = await _answered([search, lock], "search", {"limit": 2})
            assert refused.status == "error" and "query: required" in refused.content
            failed = await _answered([search, lock], "lock", {"item": 7})
            assert failed.status == "error" and "locked by another user" in failed.content
            assert search.metadata["mcp_server"] == "office" and search.metadata["readOnlyHint"] is True
        assert office.count("search") == 1 and office.count("lock") == 1

    asyncio.run(body())


# -- tools the frameworks' own MCP clients loaded -----------------------------------------------


def _slow_server(calls: list[str]) -> Server[Any, Any]:
    """Tools whose first call hangs; one refused by the protocol; one whose structured content does
    not match its output schema."""
    server: Server[Any, Any] = Server("slow")
    empty: dict[str, Any] = {"type": "object", "properties": {}}
    count = {"type": "object", "properties": {"count": {"type": "integer"}}, "required": ["count"]}

    @server.list_tools()
    async def list_tools() -> list[types.Tool]:
        return [
            types.Tool(
                name="slow_read", inputSchema=empty, annotations=types.ToolAnnotations(readOnlyHint=True)
            ),
            types.Tool(
                name="slow_write", inputSchema=empty, annotations=types.ToolAnnotations(destructiveHint=True)
            ),
            types.Tool(name="stats", inputSchema=empty, outputSchema=count),
        ]

    @server.call_tool(validate_input=False)
    async def call_tool(name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        calls.append(name)
        if name == "stats":
            return types.CallToolResult(content=[], structuredContent={"count": "many"})
        if calls.count(name) == 1:
            await anyio.sleep(30)
        return types.CallToolResult(content=[types.TextContent(type="text", text=f"{name} done")])

    return server


def test_langchain_mcp_adapters_tools_hardened() -> None:
    from langchain_mcp_adapters.tools import load_mcp_tools

    office = Office()

    async def body() -> None:
        async with connect(office.server) as session:
            search, lock = harden_langchain(
                await load_mcp_tools(session, server_name="office"), server="office"
            )
            found = await search.ainvoke(
                {"name": "search", "args": {"query": "a", "limit": "2"}, "id": "1", "type": "tool_call"}
            )
            assert [block["text"] for block in found.content] == ["a-0", "a-1"]
            assert found.artifact == {"structured_content": {"result": ["a-0", "a-1"]}}
            with pytest.raises(pydantic.ValidationError, match="query: required"):
                await search.ainvoke({"name": "search", "args": {"limit": 2}, "id": "2", "type": "tool_call"})
            refused = await _answered([search, lock], "search", {"limit": 2})
            assert refused.status == "error" and "query: required" in refused.content
            failed = await lock.ainvoke(
                {"name": "lock", "args": {"item": "7"}, "id": "3", "type": "tool_call"}
            )
            # The server's own words, not a list of content blocks written out as Python.
            assert (failed.status, failed.content) == (
                "error",
                "Error executing tool lock: item 7 is locked by another user",
            )
        assert office.requests == [("search", {"query": "a", "limit": 2}), ("lock", {"item": 7})]

    asyncio.run(body())


def test_langchain_mcp_adapters_tools_are_retried_by_annotation() -> None:
    from langchain_mcp_adapters.tools import load_mcp_tools

    calls: list[str] = []

    async def body() -> None:
        async with connect(_slow_server(calls)) as session:
            read, write, stats = harden_langchain(
                await load_mcp_tools(session),
                server="slow",
                timeout=0.3,
                retry=toolproof.Retry(3, initial_delay=0.01),
            )
            done = await read.ainvoke({"name": "slow_read", "args": {}, "id": "1", "type": "tool_call"})
            assert done.status == "success", done.content
            timed_out = await write.ainvoke(
                {"name": "slow_write", "args": {}, "id": "2", "type": "tool_call"}
            )
            assert timed_out.status == "error" and "did not finish" in timed_out.content
            invalid = await stats.ainvoke({"name": "stats", "args": {}, "id": "3", "type": "tool_call"})
            assert invalid.status == "error" and "Invalid structured content" in invalid.content
        assert calls == ["slow_read", "slow_read", "slow_write", "stats"]

    asyncio.run(body())


def test_langchain_mcp_adapters_protocol_refusals_are_told_apart() -> None:
    from langchain_mcp_adapters.tools import load_mcp_tools

    server: Server[Any, Any] = Server("strict")

    @server.list_tools()
    async def list_tools() -> list[types.Tool]:
        return [types.Tool(name="get", inputSchema={"type": "object", "properties": {}})]

    async def refuse(request: types.CallToolRequest) -> types.ServerResult:
        raise McpError(types.ErrorData(code=types.INVALID_PARAMS, message="no such item"))

    server.request_handlers[types.CallToolRequest] = refuse

    async def body() -> None:
        async with connect(server) as session:
            [get] = harden_langchain(await load_mcp_tools(session), server="strict")
            refused = await get.ainvoke({"name": "get", "args": {}, "id": "1", "type": "tool_call"})
            assert (refused.status, refused.content) == (
                "error",
                "MCP server 'strict' refused the call: no such item",
            )

    asyncio.run(body())


def _log(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_autogen_mcp_server_tools_hardened(tmp_path: Path) -> None:
    from autogen_core import CancellationToken
    from autogen_ext.tools.mcp import StdioServerParams, mcp_server_tools
    from toolproof.autogen import harden_all

    log = tmp_path / "requests.jsonl"

    async def body() -> None:
        tools = await mcp_server_tools(
            StdioServerParams(command=sys.executable, args=[str(STDIO_SERVER), str(log)])
        )
        hardened = {tool.name: tool for tool in harden_all(tools)}
        add = hardened["add"]
        answer = await add.run_json({"a": "2", "b": 3}, CancellationToken())
        # AutoGen's adapter returns the result's content blocks; the model reads them as JSON.
        assert json.loads(add.return_value_as_string(answer))[0]["text"] == "5"
        # Refused arguments raise as AutoGen's own tools raise them (a pydantic ValidationError).
        with pytest.raises(pydantic.ValidationError, match="b: required"):
            await add.run_json({"a": 2}, CancellationToken())

    asyncio.run(body())
    assert _log(log) == [{"tool": "add", "arguments": {"a": 2, "b": 3}}]


def test_crewai_mcp_server_adapter_hardened(tmp_path: Path) -> None:
    from crewai_tools import MCPServerAdapter
    from toolproof.crewai import harden

    log = tmp_path / "requests.jsonl"
    parameters = StdioServerParameters(command=sys.executable, args=[str(STDIO_SERVER), str(log)])
    with MCPServerAdapter(parameters, connect_timeout=60) as tools:
        hardened = {tool.name: tool for tool in harden(list(tools))}
        assert hardened["add"].run(a="2", b=3) == "5"
        with pytest.raises(ValueError, match="b: required"):
            hardened["add"].run(a=2)
    assert _log(log) == [{"tool": "add", "arguments": {"a": 2, "b": 3}}]
