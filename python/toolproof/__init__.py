"""toolproof: dependable LLM tool calling.

Strict schemas from your tools, a repairing and validating road for model-produced arguments,
parallel dispatch with caps, timeouts and retries, and results every provider accepts.
"""

from toolproof._core import (
    ParsedArgs,
    ParsedValue,
    Repair,
    Schema,
    __version__,
    check_tool_name,
    export_tool,
    max_tools,
    normalize_schema,
    repair_json,
)
from toolproof.errors import (
    ArgumentError,
    JSONRepairError,
    SchemaError,
    ToolDefinitionError,
    ToolproofError,
)
from toolproof.tools import Limits, LooseSchemaWarning, Tool, tool

__all__ = [
    "ArgumentError",
    "JSONRepairError",
    "Limits",
    "LooseSchemaWarning",
    "ParsedArgs",
    "ParsedValue",
    "Repair",
    "Schema",
    "SchemaError",
    "Tool",
    "ToolDefinitionError",
    "ToolproofError",
    "__version__",
    "check_tool_name",
    "export_tool",
    "max_tools",
    "normalize_schema",
    "repair_json",
    "tool",
]
