"""Tool names every provider accepts, for tools named by an MCP server.

MCP allows up to 128 characters including ``.`` and ``/``; OpenAI and Anthropic take
``^[a-zA-Z0-9_-]{1,64}$``, and Gemini also wants a letter or ``_`` first. A name every provider
accepts is kept as it is. Any other gets every refused character replaced by ``_``, is cut to
fit, and ends with ``_`` and eight hex digits of the SHA-256 of the name it replaces: the same
server name always maps to the same provider name, whatever else is loaded beside it, and two
server names that clean up alike still map apart. The tool keeps the server's name
(``MCPTool.server_name``), which is what goes back to the server.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["provider_name"]

# What OpenAI, Anthropic and Gemini all accept.
_PORTABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
_REFUSED = re.compile(r"[^A-Za-z0-9_-]")
_MAX_CHARS = 64
_DIGEST_CHARS = 8


def provider_name(name: str, prefix: str | None = None) -> str:
    """The name providers see for the server's tool ``name``, after ``prefix`` and ``_`` when a
    prefix is given."""
    full = f"{prefix}_{name}" if prefix else name
    if _PORTABLE.match(full):
        return full
    digest = hashlib.sha256(full.encode("utf-8", "surrogatepass")).hexdigest()[:_DIGEST_CHARS]
    cleaned = _REFUSED.sub("_", full)
    if not cleaned[:1].isalpha():
        cleaned = "_" + cleaned
    keep = _MAX_CHARS - _DIGEST_CHARS - 1
    return f"{cleaned[:keep].rstrip('_')}_{digest}"
