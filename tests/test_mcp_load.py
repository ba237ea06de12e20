"""MCP tools loaded through toolproof: names, schemas for each provider, the argument road before
the request leaves, retries by annotation, error and structured results, content blocks.

Every server here is the real MCP SDK (its low-level ``Server`` or ``FastMCP``), connected through
the SDK's in-memory transport; the servers record each request they receive.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import warnings
from typing import Any

import anyio
import pydantic
import pytest
import toolproof
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp import types
from mcp.server.fastmcp import FastMCP
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import McpError
from mcp.shared.memory import create_connected_server_and_client_session as connect
from toolproof import Registry, ToolCall, ToolDefinitionError
from toolproof.mcp import (
    MCPOutput,
    MCPTool,
    Servers,
    StrictFallbackWarning,
    load_tools,
    provider_name,
    results_to_messages,
    retry_is_safe,
)

PROVIDERS = ("openai", "openai-responses", "anthropic", "gemini")
LONG_NAME = "generate_quarterly_inventory_valuation_report_for_every_warehouse_in_the_region"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(64))).decode()
PDF = base64.b64encode(b"%PDF-1.4 tiny").decode()

FIND_ITEMS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "Filter": {
            "type": "object",
            "properties": {"tag": {"type": "string"}, "max_price": {"type": "number"}},
            "required": ["tag"],
        }
    },
    "properties": {
        "filter": {"$ref": "#/$defs/Filter"},
        "limit": {"type": "integer", "minimum": 1, "maximum": 50},
        "source": {"type": "string", "format": "uri"},
        "options": {"type": "object"},
    },
    "required": ["filter", "limit"],
}
SET_PRICE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "item": {"oneOf": [{"type": "string", "minLength": 1}, {"type": "integer"}]},
        "price": {"type": "number", "exclusiveMinimum": 0},
        "contact": {"type": "string", "format": "email"},
    },
    "required": ["item", "price"],
    "additionalProperties": False,
}
COUNT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"count": {"type": "integer"}},
    "required": ["count"],
}
EMPTY: dict[str, Any] = {"type": "object", "properties": {}}


class Inventory:
    """A low-level MCP server that records every request it receives, and cancellations."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.cancelled: list[str] = []
        self.server: Server[Any, Any] = Server("inventory")
        self.server.list_tools()(self.list_tools)
        self.server.call_tool(validate_input=False)(self.call_tool)

    def count(self, name: str) -> int:
        return sum(1 for tool, _ in self.requests if tool == name)

    async def list_tools(self) -> list[types.Tool]:
        read_only = types.ToolAnnotations(readOnlyHint=True)
        destructive = types.ToolAnnotations(readOnlyHint=False, destructiveHint=True)
        return [
            types.Tool(
                name="find_items",
                description="Find items by tag.",
                inputSchema=FIND_ITEMS_SCHEMA,
                outputSchema={
                    "type": "object",
                    "properties": {
                        "items": {"type": "array", "items": {"type": "string"}},
                        "total": {"type": "integer"},
                    },
                    "required": ["items", "total"],
                },
                annotations=read_only,
            ),
            types.Tool(
                name="set_price",
                description="Set an item's price.",
                inputSchema=SET_PRICE_SCHEMA,
                annotations=destructive,
            ),
            types.Tool(name="catalog.export/csv", description="Export the catalog.", inputSchema=EMPTY),
            types.Tool(
                name=LONG_NAME, description="A long report.", inputSchema=EMPTY, annotations=read_only
            ),
            types.Tool(name="stats", inputSchema=EMPTY, outputSchema=COUNT_SCHEMA, annotations=read_only),
            types.Tool(name="stats_error", inputSchema=EMPTY, outputSchema=COUNT_SCHEMA),
            types.Tool(name="stats_missing", inputSchema=EMPTY, outputSchema=COUNT_SCHEMA),
            types.Tool(
                name="stats_wrong", inputSchema=EMPTY, outputSchema=COUNT_SCHEMA, annotations=read_only
            ),
            types.Tool(name="lock_item", description="Lock an item.", inputSchema=EMPTY),
            types.Tool(
                name="picture", description="A picture and files.", inputSchema=EMPTY, annotations=read_only
            ),
            types.Tool(name="big", inputSchema=EMPTY, annotations=read_only),
            types.Tool(name="slow_read", inputSchema=EMPTY, annotations=read_only),
            types.Tool(
                name="slow_idempotent",
                inputSchema=EMPTY,
                annotations=types.ToolAnnotations(
                    readOnlyHint=False, idempotentHint=True, destructiveHint=False
                ),
            ),
            types.Tool(name="slow_write", inputSchema=EMPTY, annotations=destructive),
            types.Tool(name="slow_unannotated", inputSchema=EMPTY),
        ]

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        self.requests.append((name, arguments))
        text = lambda value: [types.TextContent(type="text", text=value)]  # noqa: E731
        if name == "find_items":
            items = [f"{arguments['filter']['tag']}-{i}" for i in range(arguments["limit"])]
            structured = {"items": items, "total": len(items)}
            return types.CallToolResult(content=text(json.dumps(structured)), structuredContent=structured)
        if name == "stats":
            return types.CallToolResult(content=text('{"count": 3}'), structuredContent={"count": 3})
        if name == "stats_error":
            # An error result whose structured content does not match: never validated.
            return types.CallToolResult(
                content=text("stats are being rebuilt"), structuredContent={"count": "x"}, isError=True
            )
        if name == "stats_wrong":
            return types.CallToolResult(
                content=text('{"count": "many"}'), structuredContent={"count": "many"}
            )
        if name == "stats_missing":
            return types.CallToolResult(content=text("three"))
        if name == "lock_item":
            return types.CallToolResult(content=text("item 42 is locked by another user"), isError=True)
        if name == "picture":
            return types.CallToolResult(
                content=[
                    types.TextContent(type="text", text="the chart:"),
                    types.ImageContent(type="image", data=PNG, mimeType="image/png"),
                    types.EmbeddedResource(
                        type="resource",
                        resource=types.TextResourceContents(
                            uri="file:///notes.txt", mimeType="text/plain", text="q3 notes"
                        ),
                    ),
                    types.EmbeddedResource(
                        type="resource",
                        resource=types.BlobResourceContents(
                            uri="file:///report.pdf", mimeType="application/pdf", blob=PDF
                        ),
                    ),
                    types.ResourceLink(
                        type="resource_link", uri="file:///big.csv", name="big.csv", description="all rows"
                    ),
                    types.AudioContent(type="audio", data="bm90IGF1ZGlv", mimeType="audio/ogg"),
                ]
            )
        if name == "big":
            return types.CallToolResult(content=text("x" * 50_000))
        if name.startswith("slow_"):
            if self.count(name) == 1:
                try:
                    await anyio.sleep(30)
                except anyio.get_cancelled_exc_class():
                    self.cancelled.append(name)
                    raise
            return types.CallToolResult(content=text(f"{name} done"))
        return types.CallToolResult(content=text(f"{name} done"))


def run(coroutine_function: Any, *args: Any, **kwargs: Any) -> Any:
    return asyncio.run(coroutine_function(*args, **kwargs))


async def _loaded(inventory: Inventory, body: Any, **options: Any) -> Any:
    async with connect(inventory.server) as session:
        tools = await load_tools(session, server="inventory", **options)
        return await body(tools)


def by_server_name(tools: list[MCPTool]) -> dict[str, MCPTool]:
    return {tool.server_name: tool for tool in tools}


# -- names --------------------------------------------------------------------------------------


def test_names_every_provider_accepts_are_kept() -> None:
    for name in ("search", "read_file", "get-item", "_private", "A" * 64):
        assert provider_name(name) == name
    assert provider_name("search", "docs") == "docs_search"


def test_other_names_map_stably_into_what_every_provider_accepts() -> None:
    for name in ("catalog.export/csv", LONG_NAME, "3d_render", "naïve tool", "", "a" * 128, "docs:search"):
        mapped = provider_name(name)
        assert mapped != name
        assert mapped == provider_name(name), "the same name maps the same way every time"
        for provider in PROVIDERS:
            toolproof.check_tool_name(mapped, provider)
        toolproof.Tool.from_schema(mapped, EMPTY)
    # Names that clean up alike still map apart.
    assert provider_name("a.b") != provider_name("a/b") != provider_name("a_b")
    assert provider_name("catalog.export/csv").startswith("catalog_export_csv_")
    assert provider_name(LONG_NAME).startswith(LONG_NAME[:40])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=140), st.text(max_size=140), st.one_of(st.none(), st.text(min_size=1, max_size=20)))
def test_name_mapping_is_accepted_everywhere_and_keeps_names_apart(
    first: str, second: str, prefix: str | None
) -> None:
    mapped = provider_name(first, prefix)
    for provider in PROVIDERS:
        toolproof.check_tool_name(mapped, provider)
    if first != second:
        assert provider_name(first, prefix) != provider_name(second, prefix)


def test_mapped_names_call_the_server_by_its_own_name() -> None:
    inventory = Inventory()

    async def body(tools: list[MCPTool]) -> None:
        named = by_server_name(tools)
        export, report = named["catalog.export/csv"], named[LONG_NAME]
        assert export.name == provider_name("catalog.export/csv") and len(report.name) <= 64
        registry = Registry(tools)
        results = await registry.adispatch(
            [ToolCall("1", export.name, "{}"), ToolCall("2", report.name, None)]
        )
        assert [r.ok for r in results] == [True, True]
        assert [name for name, _ in inventory.requests] == ["catalog.export/csv", LONG_NAME]

    run(_loaded, inventory, body)


# -- schemas and exports ------------------------------------------------------------------------


def test_input_schemas_compile_into_the_road_as_the_server_wrote_them() -> None:
    async def body(tools: list[MCPTool]) -> None:
        named = by_server_name(tools)
        assert named["find_items"].schema == FIND_ITEMS_SCHEMA
        assert named["set_price"].schema == SET_PRICE_SCHEMA
        assert named["find_items"].annotations == {"readOnlyHint": True}
        assert named["find_items"].output_schema is not None
        assert named["set_price"].description == "Set an item's price."

    run(_loaded, Inventory(), body)


def _gemini_declaration_problems(definition: dict[str, Any]) -> None:
    from google.genai import types as genai

    genai.FunctionDeclaration.model_validate(definition)
    text = json.dumps(definition)
    for refused in ('"$ref"', '"$defs"', '"oneOf"', '"additionalProperties"', '"$schema"'):
        assert refused not in text, refused
    formats = [
        (node.get("type"), node["format"])
        for node in _schema_nodes(definition.get("parameters") or {})
        if isinstance(node.get("format"), str)
    ]
    assert all(fmt in {"enum", "date-time"} for kind, fmt in formats if kind == "string"), formats


def _schema_nodes(schema: Any) -> list[dict[str, Any]]:
    if not isinstance(schema, dict):
        return []
    nodes = [schema]
    for key in ("properties",):
        for child in (schema.get(key) or {}).values():
            nodes += _schema_nodes(child)
    for key in ("anyOf", "oneOf", "allOf"):
        for child in schema.get(key) or []:
            nodes += _schema_nodes(child)
    nodes += _schema_nodes(schema.get("items"))
    return nodes


def test_each_provider_gets_a_definition_it_accepts() -> None:
    from openai.types.chat import ChatCompletionFunctionToolParam
    from openai.types.responses import FunctionToolParam

    async def body(tools: list[MCPTool]) -> None:
        named = by_server_name(tools)
        find, price = named["find_items"], named["set_price"]

        # set_price ($ref-free, oneOf, format: email) fits OpenAI strict: anyOf, every key required.
        strict = price.to_provider("openai")
        assert strict["function"]["strict"] is True
        parameters = strict["function"]["parameters"]
        assert parameters["additionalProperties"] is False
        assert set(parameters["required"]) == {"item", "price", "contact"}
        assert "anyOf" in json.dumps(parameters) and "oneOf" not in json.dumps(parameters)
        assert price.strict_refusal("openai") is None

        # find_items has a free-form object: strict cannot say it, so it goes non-strict, with why.
        assert "options" in (find.strict_refusal("openai") or "")
        with pytest.warns(StrictFallbackWarning, match="options"):
            loose = find.to_provider("openai")
        assert "strict" not in loose["function"] or loose["function"]["strict"] is False
        assert loose["function"]["parameters"]["properties"]["filter"] == {"$ref": "#/$defs/Filter"}
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # warned once per provider
            find.to_provider("openai")

        pydantic.TypeAdapter(ChatCompletionFunctionToolParam).validate_python(strict)
        pydantic.TypeAdapter(ChatCompletionFunctionToolParam).validate_python(loose)
        with pytest.warns(StrictFallbackWarning):
            pydantic.TypeAdapter(FunctionToolParam).validate_python(find.to_provider("openai-responses"))

        # Gemini's subset: no $ref, no oneOf, no formats but enum and date-time (uri, email moved
        # into the description).
        for tool in (find, price):
            gemini = tool.to_provider("gemini")
            _gemini_declaration_problems(gemini)
        gemini_find = find.to_provider("gemini")["parameters"]["properties"]
        assert "uri" in gemini_find["source"]["description"] and "format" not in gemini_find["source"]
        assert gemini_find["filter"]["properties"]["tag"] == {"type": "string"}
        assert "email" in price.to_provider("gemini")["parameters"]["properties"]["contact"]["description"]

        # Every tool goes into one registry's request for every provider.
        registry = Registry(tools)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StrictFallbackWarning)
            for provider in PROVIDERS:
                assert len(registry.schemas(provider)) == len(tools)

    run(_loaded, Inventory(), body)


def test_a_recursive_schema_goes_to_gemini_whole_and_stays_strict_for_openai() -> None:
    from google.genai import types as genai

    tree = {
        "type": "object",
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                },
                "required": ["name"],
            }
        },
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "required": ["root"],
    }
    server: Server[Any, Any] = Server("trees")
    received: list[dict[str, Any]] = []

    @server.list_tools()
    async def list_tools() -> list[types.Tool]:
        return [types.Tool(name="plant", description="Plant a tree.", inputSchema=tree)]

    @server.call_tool(validate_input=False)
    async def call_tool(name: str, arguments: dict[str, Any]) -> list[types.TextContent]:
        received.append(arguments)
        return [types.TextContent(type="text", text="planted")]

    async def body() -> None:
        async with connect(server) as session:
            [plant] = await load_tools(session, server="trees")
            assert plant.to_provider("openai")["function"]["strict"] is True
            assert "recursive" in (plant.strict_refusal("gemini") or "")
            with pytest.warns(StrictFallbackWarning, match="parametersJsonSchema"):
                gemini = plant.to_provider("gemini")
            assert gemini["parametersJsonSchema"]["$defs"] == tree["$defs"] and "parameters" not in gemini
            declaration = genai.FunctionDeclaration.model_validate(gemini)
            assert declaration.parameters_json_schema == gemini["parametersJsonSchema"]
            ok, deep_error = await Registry([plant]).adispatch(
                [
                    ToolCall(
                        "1", "plant", {"root": {"name": "a", "children": [{"name": "b", "children": []}]}}
                    ),
                    ToolCall("2", "plant", {"root": {"name": "a", "children": [{"children": []}]}}),
                ]
            )
            assert ok.ok and deep_error.error["code"] == "invalid_arguments"
            assert "root.children[0].name" in deep_error.content
            assert len(received) == 1

    asyncio.run(body())


# -- the road before the request ----------------------------------------------------------------


def test_flawed_arguments_are_repaired_and_invalid_ones_never_sent() -> None:
    inventory = Inventory()

    async def body(tools: list[MCPTool]) -> None:
        registry = Registry(tools)
        repaired, *refused = await registry.adispatch(
            [
                # trailing comma, single quotes, a number as text: repaired
                ToolCall("ok", "find_items", "{'filter': {'tag': 'lamp'}, 'limit': '2',}"),
                ToolCall("too_many", "find_items", {"filter": {"tag": "lamp"}, "limit": 500}),
                ToolCall("no_filter", "find_items", {"limit": 2}),
                ToolCall("bad_price", "set_price", {"item": "lamp", "price": -3}),
                ToolCall("empty_item", "set_price", {"item": "", "price": 3}),
                ToolCall("unknown_key", "set_price", {"item": 7, "price": 3, "colour": "red"}),
            ]
        )
        assert repaired.ok, repaired.content
        assert {r.kind for r in repaired.repairs} >= {"coerce"} or repaired.repairs
        assert inventory.requests[0] == ("find_items", {"filter": {"tag": "lamp"}, "limit": 2})
        assert [r.error["code"] for r in refused[:4]] == ["invalid_arguments"] * 4
        assert "limit" in refused[0].content and "filter" in refused[1].content
        assert "price" in refused[2].content
        # The undeclared key of a closed schema is dropped (and recorded), never sent.
        assert refused[4].ok and inventory.requests[-1] == ("set_price", {"item": 7, "price": 3})
        assert len(inventory.requests) == 2

    run(_loaded, inventory, body)


# -- retries by annotation ----------------------------------------------------------------------


def test_annotations_decide_which_tools_are_retried() -> None:
    assert retry_is_safe({"readOnlyHint": True, "destructiveHint": True})
    assert retry_is_safe({"idempotentHint": True})
    assert not retry_is_safe({"idempotentHint": True, "destructiveHint": True})
    assert not retry_is_safe({"readOnlyHint": False})
    assert not retry_is_safe({})
    assert not retry_is_safe(None)
    assert retry_is_safe(types.ToolAnnotations(readOnlyHint=True))


def test_a_read_only_tool_is_retried_and_a_destructive_one_is_not() -> None:
    inventory = Inventory()

    async def body(tools: list[MCPTool]) -> None:
        # A registry-wide retry does not reach the tools unsafe to repeat.
        registry = Registry(tools, retry=toolproof.Retry(attempts=4, initial_delay=0.01))
        results = await registry.adispatch(
            [
                ToolCall("r", "slow_read", {}),
                ToolCall("i", "slow_idempotent", {}),
                ToolCall("w", "slow_write", {}),
                ToolCall("u", "slow_unannotated", {}),
            ]
        )
        read, idempotent, write, unannotated = results
        assert (read.ok, read.attempts, read.content) == (True, 2, "slow_read done")
        assert (idempotent.ok, idempotent.attempts) == (True, 2)
        for result in (write, unannotated):
            assert (result.ok, result.error["code"], result.attempts) == (False, "timeout", 1)
        assert [
            inventory.count(name)
            for name in ("slow_read", "slow_idempotent", "slow_write", "slow_unannotated")
        ] == [
            2,
            2,
            1,
            1,
        ]
        await asyncio.sleep(0.05)  # the cancel notices travel after the results
        assert sorted(inventory.cancelled) == sorted(
            ["slow_read", "slow_idempotent", "slow_write", "slow_unannotated"]
        )

    run(_loaded, inventory, body, timeout=0.3, retry=toolproof.Retry(attempts=3, initial_delay=0.01))


def test_a_destructive_tool_is_retried_when_the_user_says_so() -> None:
    inventory = Inventory()

    async def body(tools: list[MCPTool]) -> None:
        [result] = await Registry(tools).adispatch([ToolCall("w", "slow_write", {})])
        assert (result.ok, result.attempts) == (True, 2)
        assert inventory.count("slow_write") == 2

    run(
        _loaded,
        inventory,
        body,
        timeout=0.3,
        tool_options={"slow_write": {"retry": toolproof.Retry(attempts=2, initial_delay=0.01)}},
    )


# -- results ------------------------------------------------------------------------------------


def test_is_error_results_are_error_results_the_model_reads() -> None:
    async def body(tools: list[MCPTool]) -> None:
        registry = Registry(tools)
        locked, stats_error = await registry.adispatch(
            [ToolCall("1", "lock_item", {}), ToolCall("2", "stats_error", {})]
        )
        assert (locked.ok, locked.error["code"], locked.content) == (
            False,
            "tool_error",
            "item 42 is locked by another user",
        )
        assert locked.to_anthropic()["is_error"] is True
        # structuredContent of an error result is never checked against the output schema.
        assert (stats_error.error["code"], stats_error.content) == ("tool_error", "stats are being rebuilt")

    run(_loaded, Inventory(), body)


def test_structured_content_is_checked_against_the_output_schema() -> None:
    inventory = Inventory()
    good = {"count": 3}

    async def body(tools: list[MCPTool]) -> None:
        registry = Registry(tools)
        ok, missing, found = await registry.adispatch(
            [
                ToolCall("1", "stats", {}),
                ToolCall("2", "stats_missing", {}),
                ToolCall("3", "find_items", {"filter": {"tag": "a"}, "limit": 1}),
            ]
        )
        assert ok.ok and isinstance(ok.output, MCPOutput) and ok.output.structured == good
        assert (missing.ok, missing.error["code"]) == (False, "invalid_result")
        assert "no structured content" in missing.content
        assert found.output.structured == {"items": ["a-0"], "total": 1}

    run(_loaded, inventory, body)


def test_structured_content_that_does_not_match_is_invalid_result_not_a_crash() -> None:
    inventory = Inventory()

    async def body(tools: list[MCPTool]) -> None:
        [result] = await Registry(tools).adispatch([ToolCall("1", "stats_wrong", {})])
        assert (result.ok, result.error["code"], result.attempts) == (False, "invalid_result", 1)
        assert "count" in result.content and "integer" in result.content
        assert inventory.count("stats_wrong") == 1

    run(_loaded, inventory, body)


def test_content_blocks_reach_each_provider_in_its_own_format() -> None:
    from anthropic.types import MessageParam
    from google.genai import types as genai
    from openai.types.chat import ChatCompletionMessageParam
    from openai.types.responses import ResponseInputItemParam

    async def body(tools: list[MCPTool]) -> list[toolproof.ToolResult]:
        return await Registry(tools).adispatch([ToolCall("c1", "picture", {}), ToolCall("c2", "stats", {})])

    picture, stats = run(_loaded, Inventory(), body)
    assert picture.ok
    lines = picture.content.split("\n")
    assert lines[0] == "the chart:"
    assert lines[1].startswith("[image 1: image/png, 72 bytes]")
    assert "[resource file:///notes.txt]" in picture.content and "q3 notes" in picture.content
    assert "[file 1: file:///report.pdf, application/pdf" in picture.content
    assert "[resource link file:///big.csv (big.csv): all rows]" in picture.content
    assert "[audio 1: audio/ogg" in picture.content
    output = picture.output
    assert [a.label for a in output.attachments] == ["image 1", "file 1", "audio 1"]

    chat = results_to_messages([picture, stats], "openai")
    assert [m["role"] for m in chat] == ["tool", "tool", "user"]
    assert chat[0]["content"] == picture.content
    kinds = [part["type"] for part in chat[2]["content"]]
    assert kinds == ["text", "image_url", "text", "file"]  # ogg audio: OpenAI takes wav and mp3 only
    assert chat[2]["content"][1]["image_url"]["url"] == f"data:image/png;base64,{PNG}"
    for message in chat:
        pydantic.TypeAdapter(ChatCompletionMessageParam).validate_python(message)

    responses = results_to_messages([picture, stats], "openai-responses")
    assert [item["type"] for item in responses[0]["output"]] == ["input_text", "input_image", "input_file"]
    assert responses[1]["output"] == stats.content
    for item in responses:
        pydantic.TypeAdapter(ResponseInputItemParam).validate_python(item)

    [anthropic] = results_to_messages([picture, stats], "anthropic")
    blocks = anthropic["content"][0]["content"]
    assert [b["type"] for b in blocks] == ["text", "image", "document"]
    assert blocks[1]["source"] == {"type": "base64", "media_type": "image/png", "data": PNG}
    pydantic.TypeAdapter(MessageParam).validate_python(anthropic)

    [gemini] = results_to_messages([picture, stats], "gemini")
    parts = gemini["parts"][0]["functionResponse"]["parts"]
    assert [p["inlineData"]["mimeType"] for p in parts] == ["image/png", "application/pdf"]
    content = genai.Content.model_validate_json(json.dumps(gemini))
    assert content.parts[0].function_response.parts[0].inline_data.data == base64.b64decode(PNG)
    assert content.parts[1].function_response.response == {"count": 3}


def test_media_larger_than_the_cap_are_named_not_sent() -> None:
    async def body(tools: list[MCPTool]) -> toolproof.ToolResult:
        [result] = await Registry(tools).adispatch([ToolCall("c", "picture", {})])
        return result

    result = run(_loaded, Inventory(), body, max_media_bytes=12)
    assert "[image 1: image/png, 72 bytes, not attached: larger than 12 bytes]" in result.content
    assert "[file 1: file:///report.pdf, application/pdf, 13 bytes, not attached" in result.content
    assert [a.label for a in result.output.attachments] == ["audio 1"]
    [anthropic] = results_to_messages([result], "anthropic")
    assert anthropic["content"][0]["content"] == result.content


def test_results_are_capped_like_any_other() -> None:
    async def body(tools: list[MCPTool]) -> toolproof.ToolResult:
        [result] = await Registry(tools, max_result_bytes=1000).adispatch([ToolCall("c", "big", {})])
        return result

    result = run(_loaded, Inventory(), body)
    assert result.ok and len(result.content.encode()) <= 1000
    assert result.truncated == {"original_bytes": 50_000, "kept_bytes": len(result.content.encode())}


def test_protocol_errors_are_permanent_errors_naming_the_server() -> None:
    server: Server[Any, Any] = Server("strict")

    @server.list_tools()
    async def list_tools() -> list[types.Tool]:
        return [
            types.Tool(name="get", inputSchema=EMPTY, annotations=types.ToolAnnotations(readOnlyHint=True))
        ]

    calls: list[str] = []

    async def refuse(request: types.CallToolRequest) -> types.ServerResult:
        calls.append(request.params.name)
        raise McpError(types.ErrorData(code=types.INVALID_PARAMS, message="no such item"))

    # A JSON-RPC error answer, as servers outside the Python SDK send them.
    server.request_handlers[types.CallToolRequest] = refuse

    async def body() -> None:
        async with connect(server) as session:
            tools = await load_tools(session, server="strict")
            [result] = await Registry(tools).adispatch([ToolCall("c", "get", {})])
            assert (result.ok, result.error["code"], result.attempts) == (False, "upstream_error", 1)
            assert result.content == "MCP server 'strict' refused the call: no such item"
            assert calls == ["get"]

    asyncio.run(body())


# -- loops and threads --------------------------------------------------------------------------


def test_blocking_dispatch_from_another_thread_reaches_the_session() -> None:
    inventory = Inventory()

    async def body(tools: list[MCPTool]) -> None:
        registry = Registry(tools)
        calls = [ToolCall(str(i), "find_items", {"filter": {"tag": str(i)}, "limit": 1}) for i in range(20)]
        results = await asyncio.to_thread(registry.dispatch, calls)
        assert [r.output.structured["items"] for r in results] == [[f"{i}-0"] for i in range(20)]
        # Tool.run blocks too; from a worker thread it is fine.
        result = await asyncio.to_thread(registry["stats"].run, {})
        assert result.ok

    run(_loaded, inventory, body)


def test_blocking_dispatch_on_the_sessions_own_loop_fails_instead_of_hanging() -> None:
    async def body(tools: list[MCPTool]) -> None:
        registry = Registry(tools)
        [result] = registry.dispatch([ToolCall("1", "stats", {})])  # blocks this loop's thread
        assert (result.ok, result.error["code"]) == (False, "tool_error")
        assert "adispatch" in result.content

    run(_loaded, Inventory(), body)


def test_many_concurrent_calls_each_get_their_own_answer() -> None:
    async def body(tools: list[MCPTool]) -> None:
        registry = Registry(tools)
        calls = [
            ToolCall(f"c{i}", "find_items", {"filter": {"tag": f"t{i}"}, "limit": 1 + i % 5})
            for i in range(200)
        ]
        results = await registry.adispatch(calls)
        assert [r.call_id for r in results] == [c.id for c in calls]
        for i, result in enumerate(results):
            assert result.output.structured["total"] == 1 + i % 5
            assert result.output.structured["items"][0] == f"t{i}-0"

    run(_loaded, Inventory(), body)


# -- choosing tools, several servers ------------------------------------------------------------


def test_include_and_exclude_choose_tools_and_refuse_unknown_names() -> None:
    async def body() -> None:
        inventory = Inventory()
        async with connect(inventory.server) as session:
            tools = await load_tools(session, include=["stats", "set_price"])
            assert sorted(t.name for t in tools) == ["set_price", "stats"]
            tools = await load_tools(session, exclude=["stats"])
            assert "stats" not in {t.name for t in tools} and len(tools) == 14
            with pytest.raises(ToolDefinitionError, match=r"does not have: stat\b.*it has: find_items"):
                await load_tools(session, include=["stat"])
            with pytest.raises(TypeError, match="collection of tool names"):
                await load_tools(session, include="stats")

    asyncio.run(body())


def _search_server(name: str) -> FastMCP:
    server = FastMCP(name)

    @server.tool(annotations=types.ToolAnnotations(readOnlyHint=True))
    def search(query: str) -> str:
        """Search."""
        return f"{name}: {query}"

    @server.tool(name=f"{name}_only")
    def only(n: int) -> int:
        return n * 2

    return server


def test_a_name_two_servers_share_is_refused_naming_both() -> None:
    async def body() -> None:
        servers = Servers({"web": _search_server("web"), "docs": _search_server("docs")})
        with pytest.raises(ToolDefinitionError) as raised:
            async with servers:
                pass
        message = str(raised.value)
        assert "'search'" in message and "server 'web'" in message and "server 'docs'" in message
        assert "prefix" in message

    asyncio.run(body())


def test_prefixes_set_servers_apart_and_one_registry_dispatches_to_both() -> None:
    async def body() -> None:
        async with Servers(
            {"web": _search_server("web"), "docs": _search_server("docs")}, prefix=True
        ) as servers:
            names = sorted(tool.name for tool in servers.tools)
            assert names == ["docs_docs_only", "docs_search", "web_search", "web_web_only"]
            assert servers.resolve("docs_search") == ("docs", "search")
            registry = servers.registry()
            results = await registry.adispatch(
                [
                    ToolCall("1", "web_search", {"query": "cats"}),
                    ToolCall("2", "docs_search", '{"query": "dogs"}'),
                    ToolCall("3", "docs_docs_only", {"n": "4"}),
                ]
            )
            assert [r.content for r in results] == ["web: cats", "docs: dogs", "8"]

        async with Servers(
            {"web": _search_server("web"), "docs": _search_server("docs")}, prefix={"docs": "d"}
        ) as servers:
            assert sorted(t.name for t in servers.tools) == ["d_docs_only", "d_search", "search", "web_only"]

    asyncio.run(body())


def test_registry_refuses_an_mcp_tool_clashing_with_a_local_one_naming_the_server() -> None:
    def search(query: str) -> str:
        return query

    async def body() -> None:
        async with connect(_search_server("web")) as session:
            tools = await load_tools(session, server="web")
            with pytest.raises(ToolDefinitionError, match="MCP server 'web'"):
                Registry([search, *tools])

    asyncio.run(body())


def test_tool_listings_are_read_page_by_page_and_endless_pages_refused() -> None:
    def paged(endless: bool) -> Server[Any, Any]:
        server: Server[Any, Any] = Server("paged")

        @server.list_tools()
        async def list_tools(request: types.ListToolsRequest) -> types.ListToolsResult:
            cursor = request.params.cursor if request.params else None
            page = int(cursor or 0)
            tools = [types.Tool(name=f"tool_{page}_{i}", inputSchema=EMPTY) for i in range(3)]
            following = None if page == 4 and not endless else str(page + 1 if not endless else 1)
            return types.ListToolsResult(tools=tools, nextCursor=following)

        return server

    async def body() -> None:
        async with connect(paged(endless=False)) as session:
            tools = await load_tools(session)
            assert len(tools) == 15 and tools[-1].name == "tool_4_2"
        async with connect(paged(endless=True)) as session:
            with pytest.raises(ToolDefinitionError, match="never end"):
                await load_tools(session, server="paged")

    asyncio.run(body())


def test_a_schema_that_does_not_compile_names_the_server_and_tool() -> None:
    server: Server[Any, Any] = Server("broken")

    @server.list_tools()
    async def list_tools() -> list[types.Tool]:
        return [
            types.Tool(name="fine", inputSchema=EMPTY),
            types.Tool(
                name="broken", inputSchema={"type": "object", "properties": {"a": {"type": "nonsense"}}}
            ),
        ]

    async def body() -> None:
        async with connect(server) as session:
            with pytest.raises(
                ToolDefinitionError, match=r"MCP server 'broken', tool 'broken'.*exclude=\['broken'\]"
            ):
                await load_tools(session, server="broken")
            assert [t.name for t in await load_tools(session, exclude=["broken"])] == ["fine"]

    asyncio.run(body())


def test_session_on_a_background_thread_loop_serves_sync_code() -> None:
    """``with Servers(...)``: connections kept on toolproof's background loop, dispatch from sync code."""
    with Servers({"web": _search_server("web")}) as servers:
        registry = servers.registry()
        results = registry.dispatch(
            [ToolCall("1", "search", {"query": "x"}), ToolCall("2", "web_only", {"n": 2})]
        )
        assert [r.content for r in results] == ["web: x", "4"]
        assert threading.current_thread() is threading.main_thread()
        # and from an event loop of the caller's own
        results = asyncio.run(registry.adispatch([ToolCall("3", "search", {"query": "y"})]))
        assert results[0].content == "web: y"
