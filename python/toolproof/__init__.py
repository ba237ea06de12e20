"""toolproof: dependable LLM tool calling.

Strict schemas from your tools, a repairing and validating road for model-produced arguments,
parallel dispatch with caps, timeouts and retries, and results every provider accepts.
"""

import atexit as _atexit

from toolproof._core import (
    ParsedArgs,
    ParsedValue,
    Repair,
    Retry,
    Schema,
    ToolCall,
    ToolResult,
    __version__,
    check_tool_name,
    export_tool,
    max_tools,
    normalize_schema,
    repair_json,
    to_json,
)
from toolproof._core import shutdown_workers as _shutdown_workers
from toolproof._shared_state import SharedStateError, SharedStateWarning
from toolproof.agent import AgentResult, arun_agent, run_agent
from toolproof.context import CallContext
from toolproof.errors import (
    ArgumentError,
    JSONRepairError,
    PermanentError,
    RetryableError,
    SchemaError,
    SerializationError,
    ToolDefinitionError,
    ToolError,
    ToolproofError,
)
from toolproof.formats import assistant_message, results_to_messages, to_tool_calls
from toolproof.metrics import MetricsReport
from toolproof.registry import Registry
from toolproof.tools import Limits, LooseSchemaWarning, Tool, ToolOptions, tool

# Idle worker threads leave before the interpreter finalizes.
_atexit.register(_shutdown_workers)

__all__ = [
    "AgentResult",
    "ArgumentError",
    "CallContext",
    "JSONRepairError",
    "Limits",
    "LooseSchemaWarning",
    "MetricsReport",
    "ParsedArgs",
    "ParsedValue",
    "PermanentError",
    "Registry",
    "Repair",
    "Retry",
    "RetryableError",
    "Schema",
    "SchemaError",
    "SerializationError",
    "SharedStateError",
    "SharedStateWarning",
    "Tool",
    "ToolCall",
    "ToolDefinitionError",
    "ToolError",
    "ToolOptions",
    "ToolResult",
    "ToolproofError",
    "__version__",
    "arun_agent",
    "assistant_message",
    "check_tool_name",
    "export_tool",
    "max_tools",
    "normalize_schema",
    "repair_json",
    "results_to_messages",
    "run_agent",
    "to_json",
    "to_tool_calls",
    "tool",
]
