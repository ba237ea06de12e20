"""LangChain and LangGraph, hardened.

``harden(obj, **options)`` turns a LangChain tool (``@tool``, ``StructuredTool``, a ``BaseTool``
subclass or instance, a plain function or ``functools.partial``, or a list of them) into a
LangChain ``BaseTool`` whose calls travel toolproof's road: raw arguments are repaired and
validated, the function runs with its timeout and retries, the result is encoded as JSON. Failures
come back as LangChain's own tools return or raise them (see ``HardenedTool``). The tool carries
toolproof's strict schema, so ``bind_tools(..., strict=True)`` sends it. ``tool`` is LangChain's
``@tool`` making hardened tools.

``ToolNode(tools, **options)`` is a drop-in for LangGraph's ``ToolNode``: it answers every call of
the last AIMessage, those LangChain could not parse (``invalid_tool_calls``) included, dispatching
them together through one toolproof engine, handles failures as LangGraph's does
(``handle_tool_errors=True`` answers every one), and refuses two tools with the same name.
``tools_condition`` routes to it when the model made any call, parseable or not.

``ToolproofMiddleware(tools, **options)`` brings the same to ``create_agent``, which builds
LangGraph's ToolNode itself and ends the run on calls it could not parse.

With LangChain loaded, ``toolproof.ToolError`` (``RetryableError``, ``PermanentError`` ...) is a
LangChain ``ToolException``.
"""

# The frameworks are imported only after `require` could name the extra to install.
# ruff: noqa: E402

from __future__ import annotations

from toolproof._extras import require

require("langchain_core", "langchain")
require("langgraph", "langchain")
require("langchain", "langchain")

from langchain_core.tools import ToolException

from toolproof import errors as _errors

_errors.raise_as_well(ToolException)

from toolproof._adapt.constants import DEFAULT_MAX_RESULT_BYTES
from toolproof._adapt.text import ArgumentValidationError
from toolproof.langchain._calls import LangChainBatch, LangChainCall
from toolproof.langchain._harden import harden, tool
from toolproof.langchain._hardened import HardenedTool
from toolproof.langchain._middleware import ToolproofMiddleware
from toolproof.langchain._tool_node import ToolArgumentsError, ToolNode, tools_condition

__all__ = [
    "DEFAULT_MAX_RESULT_BYTES",
    "ArgumentValidationError",
    "HardenedTool",
    "LangChainBatch",
    "LangChainCall",
    "ToolArgumentsError",
    "ToolNode",
    "ToolproofMiddleware",
    "harden",
    "tool",
    "tools_condition",
]
