"""MCP tools and the agent frameworks.

Tools loaded with ``load_tools`` are toolproof tools: ``toolproof.autogen.harden`` and
``toolproof.crewai.harden`` take them as they are, and ``langchain_tools`` makes LangChain tools
of them. Tools a framework's own MCP client loaded go through that framework's ``harden`` as any
of its tools do (the argument road on the schema the framework kept); for langchain-mcp-adapters,
``harden_langchain`` adds what the MCP side knows: retries decided by the tool's annotations,
the server's own text for an ``isError`` result, protocol failures told apart from tool failures.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from mcp.shared.exceptions import McpError

from toolproof._core import Retry
from toolproof._extras import require
from toolproof.errors import ToolError
from toolproof.mcp._link import in_task
from toolproof.mcp._load import (
    DEFAULT_TIMEOUT,
    InvalidResultError,
    MCPTool,
    _ServerRefused,
    _ServerToolError,
    _ServerUnavailable,
    _ServerUnavailableNoRetry,
    retry_is_safe,
)

__all__ = ["harden_langchain", "langchain_tools"]

_DEFAULT_RETRY = Retry()

# What the MCP SDK's ClientSession.call_tool raises when structured content and the output
# schema disagree (mcp/client/session.py, `_validate_tool_result`).
_STRUCTURED_CONTENT_FAILURES = (
    "Invalid structured content returned by tool",
    "has an output schema but did not return",
)


def _tool_options(tool: MCPTool) -> dict[str, Any]:
    options: dict[str, Any] = {"timeout": tool.timeout, "retry": tool.retry, "loose": "allow"}
    for name in ("max_concurrency", "authorize"):
        if getattr(tool, name) is not None:
            options[name] = getattr(tool, name)
    max_result_bytes = tool.engine_spec().get("max_result_bytes", ...)
    if max_result_bytes is not ...:
        options["max_result_bytes"] = max_result_bytes
    return options


def langchain_tools(tools: Iterable[MCPTool], **options: Any) -> list[Any]:
    """LangChain tools of ``tools`` (from ``load_tools`` or ``Servers``), hardened by
    ``toolproof.langchain.harden`` with each tool's own timeout, retry and limits (``options``,
    ``harden``'s, win over them). They run asynchronously, as MCP calls do (``ainvoke``, or a
    LangGraph ``ToolNode`` in an async graph)."""
    tools_module = require("langchain_core.tools", "langchain")
    from toolproof import langchain as adapter

    hardened = []
    for tool in tools:
        if not isinstance(tool, MCPTool):
            raise TypeError(f"langchain_tools takes tools loaded from MCP servers, not {tool!r}")
        source = tools_module.StructuredTool(
            name=tool.name,
            description=tool.description,
            args_schema=tool.schema,
            coroutine=_as_coroutine_function(tool.func),
            metadata={"mcp_server": tool.server, "mcp_name": tool.server_name, **tool.annotations},
        )
        hardened.append(adapter.harden(source, **{**_tool_options(tool), **options}))
    return hardened


def _as_coroutine_function(remote: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """A plain ``async def`` around an MCP tool's call: LangGraph reads the type hints of a tool's
    ``coroutine`` to find injected arguments, which only a function has."""

    async def call_mcp_tool(**arguments: Any) -> Any:
        return await remote(**arguments)

    return call_mcp_tool


def _error_text(content: Any) -> str:
    """The text of an ``isError`` result as langchain-mcp-adapters carries it (content blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            block.get("text", "")
            for block in content
            if isinstance(block, Mapping) and block.get("type") == "text"
        ]
        if texts:
            return "\n".join(texts)
    return str(content)


def _mcp_aware(coroutine: Any, name: str, server: str, retry_allowed: bool) -> Any:
    tool_exception = require("langchain_core.tools", "langchain").ToolException

    @functools.wraps(coroutine)
    async def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return await in_task(lambda: coroutine(*args, **kwargs))
        except tool_exception as error:
            raise _ServerToolError(_error_text(error.args[0] if error.args else "")) from error
        except McpError as error:
            if error.error.code in (-32000, 408):  # connection closed, read timeout
                message = f"MCP server '{server}' did not answer ({error.error.message})."
                if retry_allowed:
                    raise _ServerUnavailable(message) from error
                raise _ServerUnavailableNoRetry(
                    f"{message} The call may have been carried out; it was not retried, as this tool is "
                    "not marked safe to repeat."
                ) from error
            raise _ServerRefused(f"MCP server '{server}' refused the call: {error.error.message}") from error
        except RuntimeError as error:
            if any(marker in str(error) for marker in _STRUCTURED_CONTENT_FAILURES):
                raise InvalidResultError(str(error)) from error
            raise
        except NotImplementedError as error:  # a content block the adapter cannot convert (audio)
            raise ToolError(f"Tool '{name}' returned content that cannot be shown: {error}") from error

    return call


def harden_langchain(
    tools: Iterable[Any],
    *,
    server: str = "mcp",
    timeout: float | None = DEFAULT_TIMEOUT,
    retry: Any = _DEFAULT_RETRY,
    **options: Any,
) -> list[Any]:
    """Tools from langchain-mcp-adapters (``load_mcp_tools``, ``MultiServerMCPClient.get_tools``),
    hardened by ``toolproof.langchain.harden`` with MCP's knowledge added:

    - ``retry`` for the tools whose annotations (the adapter keeps them as ``metadata``) say a
      second call does no harm, none for the others; ``timeout`` for every call;
    - an ``isError`` result reaches the model as the server's text, as a tool error;
    - a closed connection or timeout is ``upstream_unavailable`` (retried only where safe), a
      protocol refusal ``upstream_error``, and a ``structuredContent`` that does not match the
      ``outputSchema`` is ``invalid_result`` rather than a crash.

    ``server`` names the server in messages; ``options`` are ``harden``'s.
    """
    tools_module = require("langchain_core.tools", "langchain")
    from toolproof import langchain as adapter

    hardened = []
    for tool in tools:
        if not isinstance(tool, tools_module.StructuredTool) or tool.coroutine is None:
            raise TypeError(
                f"harden_langchain takes the StructuredTools langchain-mcp-adapters makes, not {tool!r}"
            )
        own = retry_is_safe(tool.metadata)
        retry_allowed = own and retry is not None and retry is not False
        source = tool.model_copy(
            update={
                "coroutine": _mcp_aware(tool.coroutine, tool.name, server, retry_allowed),
                # The adapter's own handler answers only its own isError type and raises the rest;
                # every failure above is a tool error whose text is written for the model.
                "handle_tool_error": True,
            }
        )
        settings: dict[str, Any] = {
            "timeout": timeout,
            "retry": retry if own else False,
            "loose": "allow",
            **options,
        }
        hardened.append(adapter.harden(source, **settings))
    return hardened
