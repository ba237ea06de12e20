"""A registry's tools as an MCP server, every call through the registry's road, limits and metrics.

Each tool is listed with its canonical schema (closed objects, every constraint it was built
with), the annotations the user sets, and an ``outputSchema`` when its function declares a return
type; a call is one ``Registry.adispatch`` of one call, so arguments are repaired or refused,
timeouts, retries, concurrency caps, authorization and the result cap apply, and the registry's
metrics count it. A failure is an ``isError`` result whose text is the model-facing message, with
the result code in ``_meta["toolproof/error_code"]``.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import typing
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

import anyio
import pydantic
from mcp import ClientSession, types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.memory import create_connected_server_and_client_session

from toolproof import _core
from toolproof._core import Schema, ToolCall
from toolproof.codes import ResultCode
from toolproof.errors import SchemaError
from toolproof.mcp._load import ERROR_CODE_KEY, MCPTool
from toolproof.mcp._results import MCPOutput
from toolproof.registry import Registry
from toolproof.tools import Tool

__all__ = ["RegistryServer", "serve"]

# Return annotations that say nothing about the result's shape.
_UNDECLARED: tuple[Any, ...] = (inspect.Signature.empty, Any, object, None, type(None))


def _return_annotation(func: Any) -> Any:
    for target in (func, getattr(type(func), "__call__", None)):  # noqa: B004 - a callable object's own __call__
        if target is None:
            continue
        try:
            return typing.get_type_hints(target, include_extras=True).get("return", inspect.Signature.empty)
        except Exception:
            continue
    return inspect.Signature.empty


def _declared_output(tool: Tool) -> tuple[dict[str, Any] | None, bool]:
    """``(outputSchema, wrapped)``: the schema of the tool's declared return type, as an object
    (a type that is not an object is wrapped in ``{"result": ...}``, as FastMCP does)."""
    if isinstance(tool, MCPTool):
        return tool.output_schema, False
    if tool.func is None:
        return None, False
    annotation = _return_annotation(tool.func)
    if any(annotation is undeclared for undeclared in _UNDECLARED):
        return None, False
    try:
        schema = pydantic.TypeAdapter(annotation).json_schema(mode="serialization")
    except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError, TypeError, ValueError):
        return None, False
    if schema.get("type") == "object":
        return schema, False
    definitions = schema.pop("$defs", None)
    wrapped: dict[str, Any] = {"type": "object", "properties": {"result": schema}, "required": ["result"]}
    if definitions:
        wrapped["$defs"] = definitions
    return wrapped, True


class _Served:
    """One tool as the server lists and answers it."""

    __slots__ = ("definition", "output_check", "wraps")

    def __init__(self, definition: types.Tool, output_check: Schema | None, wraps: bool) -> None:
        self.definition = definition
        self.output_check = output_check
        self.wraps = wraps


def _annotations(
    value: types.ToolAnnotations | Mapping[str, Any] | None, tool: str
) -> types.ToolAnnotations | None:
    if value is None or isinstance(value, types.ToolAnnotations):
        return value
    if isinstance(value, Mapping):
        try:
            return types.ToolAnnotations.model_validate(dict(value))
        except pydantic.ValidationError as error:
            raise ValueError(f"annotations for tool '{tool}' are not MCP tool annotations: {error}") from None
    raise TypeError(
        f"annotations for tool '{tool}' must be a ToolAnnotations or a dict, not {type(value).__name__}"
    )


def _error_result(text: str, code: str) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)], isError=True, _meta={ERROR_CODE_KEY: code}
    )


class RegistryServer:
    """A registry served over MCP: ``server`` is the SDK's low-level ``Server``.

    ``run()`` serves on stdio (what an MCP client starting this program as a subprocess
    expects); ``await run_stdio_async()`` does it on a running loop; ``async with connect() as
    session`` gives a ``ClientSession`` connected in memory, in this process.
    """

    def __init__(
        self,
        registry: Registry,
        *,
        name: str,
        version: str | None,
        instructions: str | None,
        annotations: Mapping[str, types.ToolAnnotations | Mapping[str, Any]] | None,
    ) -> None:
        annotations = dict(annotations or {})
        unknown = sorted(set(annotations) - set(registry.names))
        if unknown:
            raise ValueError(
                f"annotations= names tools the registry does not have: {', '.join(unknown)} "
                f"(tools: {', '.join(registry.names)})"
            )
        self.registry = registry
        self._served: dict[str, _Served] = {}
        for tool in registry:
            output_schema, wraps = _declared_output(tool)
            check = None
            if output_schema is not None:
                try:
                    check = Schema(output_schema)
                except (SchemaError, ValueError):
                    output_schema, wraps = None, False
            own = _annotations(annotations.get(tool.name), tool.name)
            if own is None and isinstance(tool, MCPTool) and tool.annotations:
                own = types.ToolAnnotations.model_validate(tool.annotations)
            definition = types.Tool(
                name=tool.name,
                title=tool.title if isinstance(tool, MCPTool) else None,
                description=tool.description or None,
                inputSchema=tool.schema,
                outputSchema=output_schema,
                annotations=own,
            )
            self._served[tool.name] = _Served(definition, check, wraps)
        self.server: Server[Any, Any] = Server(name, version=version, instructions=instructions)
        self.server.list_tools()(self._list_tools)
        self.server.call_tool(validate_input=False)(self._call_tool)

    @property
    def definitions(self) -> list[types.Tool]:
        """The tools as the server lists them."""
        return [served.definition for served in self._served.values()]

    async def _list_tools(self) -> list[types.Tool]:
        return self.definitions

    async def _call_tool(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        context = self.server.request_context
        call = ToolCall(f"mcp_{context.request_id}", name, arguments)
        [result] = await self.registry.adispatch([call], context=context)
        return self._answer(result, self._served.get(name))

    def _answer(self, result: _core.ToolResult, served: _Served | None) -> types.CallToolResult:
        if not result.ok:
            code = result.error["code"] if result.error else ResultCode.TOOL_ERROR.value
            return _error_result(result.content, code)
        output = result.output
        if served is None or served.output_check is None:
            if isinstance(output, MCPOutput) and result.truncated is None:
                return types.CallToolResult(content=list(output.content))
            return types.CallToolResult(content=[types.TextContent(type="text", text=result.content)])
        if result.truncated is not None:
            return _error_result(
                f"{result.content}\nThe result was cut to {result.truncated['kept_bytes']} of "
                f"{result.truncated['original_bytes']} bytes, so it cannot be sent as structured content.",
                "invalid_result",
            )
        if isinstance(output, MCPOutput):
            structured: Any = output.structured
            content = list(output.content)
        else:
            value = output if isinstance(output, str) else json.loads(result.content)
            structured = {"result": value} if served.wraps else value
            content = [types.TextContent(type="text", text=result.content)]
        problems = served.output_check.errors(structured)
        if problems or not isinstance(structured, dict):
            where = (
                "; ".join(f"{p['path'] or '(root)'}: {p['message']}" for p in problems[:5]) or "not an object"
            )
            return _error_result(
                f"Tool '{served.definition.name}' returned a result that does not match its declared return "
                f"type: {where}.",
                "invalid_result",
            )
        return types.CallToolResult(content=content, structuredContent=structured)

    # -- transports ---------------------------------------------------------------------------

    async def run_stdio_async(self) -> None:
        """Serve on this process's stdin and stdout until the client closes them."""
        async with stdio_server() as (read, write):
            await self.server.run(read, write, self.server.create_initialization_options())

    def run(self) -> None:
        """Serve on stdio, blocking until the client closes the connection."""
        anyio.run(self.run_stdio_async)

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[ClientSession]:
        """A client session connected to this server in memory, initialized."""
        async with create_connected_server_and_client_session(self.server) as session:
            yield session


def serve(
    registry: Registry | Iterable[Tool],
    *,
    name: str = "toolproof",
    version: str | None = None,
    instructions: str | None = None,
    annotations: Mapping[str, types.ToolAnnotations | Mapping[str, Any]] | None = None,
) -> RegistryServer:
    """An MCP server of ``registry``'s tools (a ``Registry``, or tools to make one of).

    ``annotations`` sets tools' MCP annotations by tool name (``{"delete_file":
    {"destructiveHint": True}}``); tools loaded from another MCP server keep theirs unless given.
    Call ``.run()`` to serve on stdio, or ``.connect()`` for an in-memory session.
    """
    if not isinstance(registry, Registry):
        registry = Registry(registry)
    return RegistryServer(
        registry, name=name, version=version, instructions=instructions, annotations=annotations
    )
