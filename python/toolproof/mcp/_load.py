"""Tools from a connected MCP session, as toolproof ``Tool``s.

Each tool's ``inputSchema`` compiles into the argument road, so a model's arguments are repaired
or refused before the request leaves; the server's answer becomes a result the model reads: its
text, an ``isError`` result as an error result, a ``structuredContent`` that does not match the
``outputSchema`` as an ``invalid_result`` error.

Annotations decide retries. A tool the server marks ``readOnlyHint``, or ``idempotentHint``
without ``destructiveHint``, is retried on retryable failures (the server unreachable, a
timeout); any other tool is tried once, unless ``tool_options`` gives it a ``retry`` of its own.
A tool without annotations counts as destructive, as the protocol's defaults say.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any

import anyio
import pydantic
from mcp import ClientSession, types
from mcp.shared.exceptions import McpError

from toolproof import _core
from toolproof._core import Retry, Schema
from toolproof.codes import ResultCode
from toolproof.errors import (
    PermanentError,
    RetryableError,
    SchemaError,
    ToolDefinitionError,
    ToolError,
)
from toolproof.mcp._link import SessionLink
from toolproof.mcp._names import provider_name
from toolproof.mcp._results import MCPOutput, read_content
from toolproof.tools import Provider, Tool, ToolOptions

__all__ = [
    "InvalidResultError",
    "MCPTool",
    "StrictFallbackWarning",
    "load_tools",
    "retry_is_safe",
]

DEFAULT_TIMEOUT = 60.0
"""Seconds a call may wait for its answer: the MCP TypeScript SDK's default request timeout."""

DEFAULT_MAX_MEDIA_BYTES = 5 * 1024 * 1024
"""The largest image or file attached to a result: Anthropic's limit for one image."""

_DEFAULT_RETRY = Retry()

ERROR_CODE_KEY = "toolproof/error_code"
"""Where an error result's ``_meta`` carries its toolproof result code."""

_CODE = re.compile(r"^[a-z][a-z_]{0,39}$")

# A server that hands back the same page cursor forever would keep a listing going forever.
_MAX_PAGES = 10_000


class StrictFallbackWarning(UserWarning):
    """An MCP tool's schema cannot be written in a provider's strict mode (or in Gemini's
    ``parameters`` subset); it is exported non-strict (or as Gemini's ``parametersJsonSchema``),
    and ``MCPTool.strict_refusal(provider)`` says why."""


class InvalidResultError(PermanentError):
    """A server's result that does not match what the tool declared (its ``outputSchema``)."""

    code = "invalid_result"


class _ServerUnavailable(RetryableError):
    code = ResultCode.UPSTREAM_UNAVAILABLE.value


class _ServerUnavailableNoRetry(ToolError):
    """The server did not answer a tool it is not safe to call twice: the call may have been
    carried out, so it is not retried."""

    code = ResultCode.UPSTREAM_UNAVAILABLE.value


class _ServerRefused(PermanentError):
    code = ResultCode.UPSTREAM_ERROR.value


class _ServerToolError(PermanentError):
    """An ``isError`` result: the server's text is what the model reads."""


def retry_is_safe(annotations: types.ToolAnnotations | Mapping[str, Any] | None) -> bool:
    """Whether the server says a second call does no harm: ``readOnlyHint``, or
    ``idempotentHint`` on a tool not marked ``destructiveHint``."""
    if annotations is None:
        return False
    hints = annotations.model_dump() if isinstance(annotations, types.ToolAnnotations) else dict(annotations)
    if hints.get("readOnlyHint") is True:
        return True
    return hints.get("idempotentHint") is True and hints.get("destructiveHint") is not True


def _retry_requested(retry: Any) -> bool:
    """Whether a ``retry=`` option (a ``Retry``, a number of attempts, a bool) allows a second try."""
    if retry is None or isinstance(retry, bool):
        return bool(retry)
    if isinstance(retry, int):
        return retry > 1
    return bool(getattr(retry, "attempts", 1) > 1)


class _RemoteCall:
    """The function of an MCP tool: road-checked arguments out to the server, its answer back."""

    def __init__(
        self,
        link: SessionLink,
        tool_name: str,
        output_schema: Schema | None,
        *,
        safe: bool,
        retry_allowed: bool,
        max_media_bytes: int | None,
    ) -> None:
        self._link = link
        self._safe = safe
        self._tool_name = tool_name
        self._output_schema = output_schema
        self._retry_allowed = retry_allowed
        self._max_media_bytes = max_media_bytes
        # How a registry names this tool when another claims its name.
        self.__module__ = f"MCP server '{link.server}'"
        self.__qualname__ = f"tool '{tool_name}'"

    async def __call__(self, **arguments: Any) -> MCPOutput:
        link = self._link
        try:
            result = await link.run(lambda: link.call_tool(self._tool_name, arguments))
        except McpError as error:
            raise self._request_failed(error) from error
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream) as error:
            raise self._unavailable(f"The connection to MCP server '{link.server}' is closed.") from error
        except pydantic.ValidationError as error:
            raise InvalidResultError(
                f"MCP server '{link.server}' answered with something that is not a tool result "
                f"({error.error_count()} problems)."
            ) from error
        return self._settle(result)

    def _unavailable(self, message: str) -> ToolError:
        if self._retry_allowed:
            return _ServerUnavailable(message)
        if self._safe:
            return _ServerUnavailableNoRetry(message)
        return _ServerUnavailableNoRetry(
            f"{message} The call may have been carried out; it was not retried, as this tool is not "
            "marked safe to repeat."
        )

    def _request_failed(self, error: McpError) -> ToolError:
        server = self._link.server
        code = error.error.code
        if code == types.CONNECTION_CLOSED:
            return self._unavailable(f"The connection to MCP server '{server}' closed.")
        if code == 408:  # the SDK's own read timeout (httpx.codes.REQUEST_TIMEOUT)
            return self._unavailable(f"MCP server '{server}' did not answer in time.")
        return _ServerRefused(f"MCP server '{server}' refused the call: {error.error.message}")

    def _settle(self, result: types.CallToolResult) -> MCPOutput:
        text, attachments = read_content(result.content, max_media_bytes=self._max_media_bytes)
        structured = result.structuredContent
        if result.isError:
            error = _ServerToolError(text or f"Tool '{self._tool_name}' failed without saying why.")
            code = (result.meta or {}).get(ERROR_CODE_KEY)
            if isinstance(code, str) and _CODE.match(code):
                # A toolproof server's result code, so the failure keeps its kind across the hop.
                error.code = code
            raise error
        if self._output_schema is not None:
            if structured is None:
                raise InvalidResultError(
                    f"Tool '{self._tool_name}' declares an output schema but returned no structured content."
                )
            problems = self._output_schema.errors(structured)
            if problems:
                listed = "; ".join(f"{p['path'] or '(root)'}: {p['message']}" for p in problems[:5])
                more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
                raise InvalidResultError(
                    f"Tool '{self._tool_name}' returned structured content that does not match its output "
                    f"schema: {listed}{more}."
                )
        if not text and structured is not None:
            text = _core.to_json(structured)
        return MCPOutput(
            text,
            content=result.content,
            structured=structured,
            meta=result.meta,
            attachments=attachments,
        )


class MCPTool(Tool):
    """A tool of an MCP server: ``name`` is what providers see, ``server_name`` what the server
    calls it; ``server`` names the server. ``annotations`` are the server's hints,
    ``output_schema`` its ``outputSchema``.

    ``to_provider(provider)`` exports the strict schema where the provider's strict mode can
    express it, and otherwise the non-strict one, with a ``StrictFallbackWarning``;
    ``strict_refusal(provider)`` says why. For Gemini it is the ``parameters`` subset (``$ref``
    inlined, ``oneOf`` as ``anyOf``, formats Gemini refuses moved into the description), or the
    whole schema as ``parametersJsonSchema`` where the subset cannot say it.
    """

    __slots__ = ("_fallbacks", "annotations", "output_schema", "retry_safe", "server", "server_name", "title")

    func: Callable[..., Awaitable[Any]]
    """The call to the server (``Tool.func``, never None here)."""
    server: str
    server_name: str
    title: str | None
    _fallbacks: set[str]
    annotations: dict[str, Any]
    output_schema: dict[str, Any] | None
    retry_safe: bool

    def strict_refusal(self, provider: Provider = "openai") -> str | None:
        """Why the provider's strict mode cannot take this tool's schema; None when it can."""
        try:
            Tool.to_provider(self, provider, True)
        except ToolDefinitionError as error:
            return str(error)
        return None

    def to_provider(self, provider: Provider = "openai", strict: bool = True) -> dict[str, Any]:
        if provider == "gemini":
            return self._gemini()
        if not strict:
            return Tool.to_provider(self, provider, False)
        try:
            return Tool.to_provider(self, provider, True)
        except ToolDefinitionError as error:
            self._fell_back(provider, f"without strict mode: {error}")
            return Tool.to_provider(self, provider, False)

    def _gemini(self) -> dict[str, Any]:
        """Gemini's ``parameters`` subset where it can say the schema, else the whole JSON Schema
        in ``parametersJsonSchema`` (a recursive ``$ref``, say), which Gemini also accepts."""
        try:
            definition = Tool.to_provider(self, "gemini", True)
        except ToolDefinitionError as error:
            self._fell_back("gemini", f"as parametersJsonSchema: {error}")
            schema = self.schema
            schema.pop("$schema", None)
            return {"name": self.name, "description": self.description, "parametersJsonSchema": schema}
        return definition

    def _fell_back(self, provider: str, how: str) -> None:
        if provider in self._fallbacks:
            return
        self._fallbacks.add(provider)
        warnings.warn(
            f"MCP tool '{self.server_name}' of server '{self.server}' is exported for {provider} {how}",
            StrictFallbackWarning,
            stacklevel=3,
        )

    def __repr__(self) -> str:
        return f"MCPTool(name={self.name!r}, server={self.server!r}, server_name={self.server_name!r})"


async def list_all_tools(session: ClientSession, server: str) -> list[types.Tool]:
    """Every tool the server lists, following its page cursors."""
    tools: list[types.Tool] = []
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(_MAX_PAGES):
        params = types.PaginatedRequestParams(cursor=cursor) if cursor is not None else None
        page = await session.list_tools(params=params)
        tools.extend(page.tools)
        cursor = page.nextCursor
        if cursor is None:
            return tools
        if cursor in seen:
            raise ToolDefinitionError(
                f"MCP server '{server}' lists its tools in pages that never end: page cursor {cursor!r} came back"
            )
        seen.add(cursor)
    raise ToolDefinitionError(f"MCP server '{server}' lists its tools in more than {_MAX_PAGES} pages")


def _chosen(
    tools: Sequence[types.Tool],
    server: str,
    include: Collection[str] | None,
    exclude: Collection[str] | None,
) -> list[types.Tool]:
    names = [tool.name for tool in tools]
    for option, given in (("include", include), ("exclude", exclude)):
        if given is None:
            continue
        if isinstance(given, str):
            raise TypeError(f"{option}= takes a collection of tool names, not the string {given!r}")
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise ToolDefinitionError(
                f"{option}= names tools MCP server '{server}' does not have: {', '.join(unknown)} "
                f"(it has: {', '.join(names) or 'none'})",
                [
                    {
                        "location": option,
                        "message": f"unknown tools {unknown}",
                        "fix": "use the server's tool names",
                    }
                ],
            )
    return [
        tool
        for tool in tools
        if (include is None or tool.name in include) and (exclude is None or tool.name not in exclude)
    ]


def _compile_output_schema(definition: types.Tool, server: str) -> Schema | None:
    if definition.outputSchema is None:
        return None
    try:
        return Schema(definition.outputSchema)
    except (SchemaError, ValueError, TypeError) as error:
        raise ToolDefinitionError(
            f"MCP server '{server}', tool '{definition.name}': its outputSchema does not compile: {error}",
            [
                {
                    "location": f"{server}.{definition.name}.outputSchema",
                    "message": str(error),
                    "fix": f"leave the tool out with exclude=['{definition.name}']",
                }
            ],
        ) from None


def build_tools(
    link: SessionLink,
    definitions: Sequence[types.Tool],
    *,
    prefix: str | None,
    include: Collection[str] | None,
    exclude: Collection[str] | None,
    timeout: float | None,
    retry: Any,
    max_media_bytes: int | None,
    tool_options: Mapping[str, ToolOptions] | None,
    options: Mapping[str, Any],
) -> list[MCPTool]:
    server = link.server
    chosen = _chosen(definitions, server, include, exclude)
    unknown_options = sorted(set(tool_options or {}) - {d.name for d in chosen})
    if unknown_options:
        raise ToolDefinitionError(
            f"tool_options= names tools MCP server '{server}' does not have (or that are left out): "
            f"{', '.join(unknown_options)}"
        )
    by_name: dict[str, types.Tool] = {}
    tools: list[MCPTool] = []
    for definition in chosen:
        name = provider_name(definition.name, prefix)
        if name in by_name:
            raise ToolDefinitionError(
                f"MCP server '{server}' has two tools that providers would see as '{name}': "
                f"'{by_name[name].name}' and '{definition.name}'; leave one out with exclude="
            )
        by_name[name] = definition
        tools.append(
            _build_tool(
                link,
                definition,
                name,
                timeout=timeout,
                retry=retry,
                max_media_bytes=max_media_bytes,
                own=(tool_options or {}).get(definition.name, {}),
                options=options,
            )
        )
    return tools


def _build_tool(
    link: SessionLink,
    definition: types.Tool,
    name: str,
    *,
    timeout: float | None,
    retry: Any,
    max_media_bytes: int | None,
    own: Mapping[str, Any],
    options: Mapping[str, Any],
) -> MCPTool:
    server = link.server
    annotations = definition.annotations.model_dump(exclude_none=True) if definition.annotations else {}
    safe = retry_is_safe(annotations)
    settings: dict[str, Any] = {"loose": "allow", "timeout": timeout, **options, **own}
    if "retry" in own:
        retry_allowed = _retry_requested(own["retry"])
    else:
        # Set on the tool, so that a registry-wide retry does not reach a tool unsafe to repeat.
        settings["retry"] = retry if safe else False
        retry_allowed = safe and _retry_requested(retry)
    call = _RemoteCall(
        link,
        definition.name,
        _compile_output_schema(definition, server),
        safe=safe,
        retry_allowed=retry_allowed,
        max_media_bytes=max_media_bytes,
    )
    try:
        tool = MCPTool.from_schema(
            name,
            definition.inputSchema,
            call,
            description=definition.description or definition.title or "",
            **settings,
        )
    except ToolDefinitionError as error:
        raise ToolDefinitionError(
            f"MCP server '{server}', tool '{definition.name}': {error}; leave it out with "
            f"exclude=['{definition.name}']",
            error.problems,
        ) from None
    assert isinstance(tool, MCPTool)
    tool.server = server
    tool.server_name = definition.name
    tool.title = definition.title or (definition.annotations.title if definition.annotations else None)
    tool.annotations = annotations
    tool.output_schema = definition.outputSchema
    tool.retry_safe = safe
    tool._fallbacks = set()
    return tool


async def load_tools(
    session: ClientSession,
    *,
    prefix: str | None = None,
    include: Collection[str] | None = None,
    exclude: Collection[str] | None = None,
    server: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    retry: Any = _DEFAULT_RETRY,
    max_media_bytes: int | None = DEFAULT_MAX_MEDIA_BYTES,
    tool_options: Mapping[str, ToolOptions] | None = None,
    **options: Any,
) -> list[MCPTool]:
    """The tools of a connected, initialized ``ClientSession`` as toolproof tools, ready for a
    ``Registry`` or any adapter's ``harden``.

    - ``prefix``: providers see ``{prefix}_{name}``; names providers refuse (longer than 64
      characters, characters other than letters, digits, ``_`` and ``-``) get a stable
      replacement, and the tool keeps the server's name for its requests.
    - ``include`` / ``exclude``: the server's tool names to keep or leave out (a name the server
      does not have is refused, so a typo does not go unnoticed).
    - ``server``: the name messages use for this server (``"mcp"`` unless given).
    - ``timeout``: seconds one attempt may take (60 unless given; None for no limit); a timed-out
      request is cancelled on the server too.
    - ``retry``: the retry policy of the tools the server marks safe to repeat; the others are
      tried once.
    - ``max_media_bytes``: the largest image or file attached to a result (larger ones are
      named in the text, not sent).
    - ``tool_options``: ``ToolOptions`` for single tools, by the server's tool name; a ``retry``
      here is how a tool not marked safe to repeat is retried.
    - ``options``: ``ToolOptions`` for every tool (``max_concurrency``, ``authorize``,
      ``max_result_bytes``, ``limits`` ...).

    The tools call the session on the event loop it was opened on, from any loop or thread; the
    session must stay open while they are used.
    """
    label = server if server is not None else (prefix or "mcp")
    link = SessionLink(session, label)
    definitions = await list_all_tools(session, label)
    return build_tools(
        link,
        definitions,
        prefix=prefix,
        include=include,
        exclude=exclude,
        timeout=timeout,
        retry=retry,
        max_media_bytes=max_media_bytes,
        tool_options=tool_options,
        options=options,
    )
