"""MCP tools in, registries out: toolproof between a model and Model Context Protocol servers.

``await load_tools(session)`` turns a connected ``ClientSession``'s tools into toolproof tools:
the model's arguments go through the argument road before a request leaves, the server's answer
becomes a result the model reads (``isError`` as an error result, a ``structuredContent`` that
does not match the ``outputSchema`` as ``invalid_result``), and annotations decide which tools
are retried. ``Servers({...})`` loads several servers and refuses a tool name two of them share.
``serve(registry)`` does the other direction: a registry's tools as an MCP server.

Needs the ``mcp`` extra: ``pip install 'toolproof[mcp]'``.
"""

from toolproof._extras import require as _require

_require("mcp", "mcp")

from toolproof.mcp._frameworks import harden_langchain, langchain_tools  # noqa: E402
from toolproof.mcp._load import (  # noqa: E402
    DEFAULT_MAX_MEDIA_BYTES,
    DEFAULT_TIMEOUT,
    ERROR_CODE_KEY,
    InvalidResultError,
    MCPTool,
    StrictFallbackWarning,
    load_tools,
    retry_is_safe,
)
from toolproof.mcp._names import provider_name  # noqa: E402
from toolproof.mcp._results import Attachment, MCPOutput, results_to_messages  # noqa: E402
from toolproof.mcp._serve import RegistryServer, serve  # noqa: E402
from toolproof.mcp._servers import Servers  # noqa: E402

__all__ = [
    "DEFAULT_MAX_MEDIA_BYTES",
    "DEFAULT_TIMEOUT",
    "ERROR_CODE_KEY",
    "Attachment",
    "InvalidResultError",
    "MCPOutput",
    "MCPTool",
    "RegistryServer",
    "Servers",
    "StrictFallbackWarning",
    "harden_langchain",
    "langchain_tools",
    "load_tools",
    "provider_name",
    "results_to_messages",
    "retry_is_safe",
    "serve",
]
