"""Several MCP servers' tools, loaded together, with names that cannot be mistaken for each other.

Two servers often name a tool alike (``search``, ``read_file``); a model given both could not tell
them apart, and most clients let one silently replace the other. Here such a clash is refused,
naming both servers, unless prefixes set the servers' tools apart.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import Collection, Iterator, Mapping
from types import TracebackType
from typing import Any

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.server.fastmcp import FastMCP
from mcp.server.lowlevel import Server
from mcp.shared.memory import create_connected_server_and_client_session

from toolproof._loop import background_loop
from toolproof.errors import ToolDefinitionError
from toolproof.mcp._link import SessionLink
from toolproof.mcp._load import (
    _DEFAULT_RETRY,
    DEFAULT_MAX_MEDIA_BYTES,
    DEFAULT_TIMEOUT,
    MCPTool,
    build_tools,
    list_all_tools,
)
from toolproof.mcp._serve import RegistryServer
from toolproof.registry import Registry
from toolproof.tools import ToolOptions

__all__ = ["Servers"]

ServerSource = ClientSession | StdioServerParameters | Server[Any, Any] | FastMCP[Any] | RegistryServer

_SOURCES = (
    "a connected ClientSession, StdioServerParameters (a server started as a subprocess), or an "
    "mcp.server Server, FastMCP or toolproof.mcp.serve(...) in this process"
)


class Servers:
    """The tools of several MCP servers, by the names given to the servers.

    ``servers`` maps a name to a connected ``ClientSession``, to ``StdioServerParameters`` (a
    server to start as a subprocess) or to a ``Server``/``FastMCP`` in this process (connected in
    memory). ``async with Servers({...}) as servers`` connects what is not connected yet, loads
    every tool into ``servers.tools``, and closes what it opened on exit; plain ``with`` does the
    same for synchronous code, keeping the connections on toolproof's background event loop. For
    sessions already connected, ``await Servers({...}).load()`` is enough.

    A tool name two servers share is refused, naming both servers, unless ``prefix`` sets them
    apart: ``prefix=True`` puts each server's name before its tools' (``docs_search``), a mapping
    gives some servers a prefix of its own. ``include``, ``exclude`` and ``tool_options`` are
    mappings by server name of what ``load_tools`` takes; the other options apply to every server.
    """

    def __init__(
        self,
        servers: Mapping[str, ServerSource],
        *,
        prefix: bool | Mapping[str, str] = False,
        include: Mapping[str, Collection[str]] | None = None,
        exclude: Mapping[str, Collection[str]] | None = None,
        tool_options: Mapping[str, Mapping[str, ToolOptions]] | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: Any = _DEFAULT_RETRY,
        max_media_bytes: int | None = DEFAULT_MAX_MEDIA_BYTES,
        connect_timeout: float | None = 30.0,
        **options: Any,
    ) -> None:
        if not isinstance(servers, Mapping) or not servers:
            raise TypeError("Servers takes a non-empty mapping of server names to servers")
        for label, source in servers.items():
            if not isinstance(
                source, (ClientSession, StdioServerParameters, Server, FastMCP, RegistryServer)
            ):
                raise TypeError(f"server '{label}' is {type(source).__name__}; give {_SOURCES}")
        for option, given in (("prefix", prefix), ("include", include), ("exclude", exclude)):
            if isinstance(given, Mapping):
                unknown = sorted(set(given) - set(servers))
                if unknown:
                    raise ValueError(
                        f"{option}= names servers that are not given: {', '.join(unknown)} "
                        f"(servers: {', '.join(servers)})"
                    )
        self._sources = dict(servers)
        self._prefix = prefix
        self._include = include or {}
        self._exclude = exclude or {}
        self._tool_options = tool_options or {}
        self._settings: dict[str, Any] = {
            "timeout": timeout,
            "retry": retry,
            "max_media_bytes": max_media_bytes,
        }
        self._connect_timeout = connect_timeout
        self._options = options
        self._stack: contextlib.AsyncExitStack | None = None
        self._stop: asyncio.Event | None = None
        self._holder: concurrent.futures.Future[None] | None = None
        self.tools: list[MCPTool] = []

    def _prefix_of(self, label: str) -> str | None:
        if self._prefix is True:
            return label
        if isinstance(self._prefix, Mapping):
            return self._prefix.get(label)
        return None

    # -- loading ------------------------------------------------------------------------------

    async def load(self) -> list[MCPTool]:
        """Load the tools of servers given as connected sessions (``async with`` connects the
        others)."""
        sessions: dict[str, ClientSession] = {}
        for label, source in self._sources.items():
            if not isinstance(source, ClientSession):
                raise TypeError(
                    f"server '{label}' is not connected yet; use 'async with Servers(...) as servers' "
                    "to connect it"
                )
            sessions[label] = source
        return await self._load(sessions)

    async def _load(self, sessions: Mapping[str, ClientSession]) -> list[MCPTool]:
        tools: list[MCPTool] = []
        first: dict[str, MCPTool] = {}
        for label, session in sessions.items():
            link = SessionLink(session, label)
            with self._answer_in_time(label, "list its tools"):
                definitions = await list_all_tools(session, label)
            loaded = build_tools(
                link,
                definitions,
                prefix=self._prefix_of(label),
                include=self._include.get(label),
                exclude=self._exclude.get(label),
                tool_options=self._tool_options.get(label),
                options=self._options,
                **self._settings,
            )
            for tool in loaded:
                other = first.get(tool.name)
                if other is not None:
                    raise ToolDefinitionError(
                        f"two MCP servers have a tool that providers would see as '{tool.name}': server "
                        f"'{other.server}' ('{other.server_name}') and server '{tool.server}' "
                        f"('{tool.server_name}'); a model could not tell them apart. Give the servers "
                        f"prefixes: Servers(..., prefix=True), or prefix={{'{tool.server}': "
                        f"'{tool.server}'}}; or leave one out with exclude=",
                        [
                            {
                                "location": f"{tool.server}.{tool.server_name}",
                                "message": f"'{tool.name}' is also a tool of server '{other.server}'",
                                "fix": "give the servers prefixes",
                            }
                        ],
                    )
                first[tool.name] = tool
            tools.extend(loaded)
        self.tools = tools
        return tools

    def registry(self, **options: Any) -> Registry:
        """A ``Registry`` of the loaded tools (``options`` are ``Registry``'s)."""
        return Registry(self.tools, **options)

    def resolve(self, name: str) -> tuple[str, str]:
        """``(server, the server's tool name)`` for the name a provider sees."""
        for tool in self.tools:
            if tool.name == name:
                return tool.server, tool.server_name
        raise KeyError(
            f"no loaded MCP tool is named '{name}' (tools: {', '.join(t.name for t in self.tools)})"
        )

    # -- connecting ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _answer_in_time(self, label: str, what: str) -> Iterator[None]:
        try:
            with anyio.fail_after(self._connect_timeout):
                yield
        except TimeoutError:
            raise TimeoutError(
                f"MCP server '{label}' did not {what} within {self._connect_timeout} seconds (connect_timeout=)"
            ) from None

    async def _connect(
        self, stack: contextlib.AsyncExitStack, label: str, source: ServerSource
    ) -> ClientSession:
        if isinstance(source, ClientSession):
            return source
        if isinstance(source, StdioServerParameters):
            read, write = await stack.enter_async_context(stdio_client(source))
            session = await stack.enter_async_context(ClientSession(read, write))
            with self._answer_in_time(label, "answer the initialization"):
                await session.initialize()
            return session
        if isinstance(source, RegistryServer):
            source = source.server
        return await stack.enter_async_context(create_connected_server_and_client_session(source))

    async def __aenter__(self) -> Servers:
        if self._stack is not None:
            raise RuntimeError("these Servers are connected already")
        stack = contextlib.AsyncExitStack()
        await stack.__aenter__()
        try:
            sessions = {
                label: await self._connect(stack, label, source) for label, source in self._sources.items()
            }
            await self._load(sessions)
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        stack, self._stack = self._stack, None
        if stack is not None:
            return await stack.__aexit__(exc_type, exc, traceback)
        return None

    def __enter__(self) -> Servers:
        loop = background_loop()
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()

        async def hold() -> None:
            # The connections are opened and closed by this one task, as anyio requires.
            self._stop = asyncio.Event()
            try:
                async with self:
                    ready.set_result(None)
                    await self._stop.wait()
            except BaseException as error:
                if not ready.done():
                    ready.set_exception(error)
                    return
                raise

        self._holder = asyncio.run_coroutine_threadsafe(hold(), loop)
        ready.result()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        holder, stop = self._holder, self._stop
        self._holder = self._stop = None
        if holder is None or stop is None:
            return
        background_loop().call_soon_threadsafe(stop.set)
        holder.result()

    def __repr__(self) -> str:
        return f"Servers({list(self._sources)!r}, tools={[tool.name for tool in self.tools]!r})"
