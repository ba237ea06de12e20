"""toolproof: dependable LLM tool calling.

Strict schemas from your tools, a repairing and validating road for model-produced arguments,
parallel dispatch with caps, timeouts and retries, and results every provider accepts.
"""

import atexit as _atexit

from toolproof._core import (
    CircuitBreaker,
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
    truncate_json_text,
)
from toolproof._core import shutdown as _shutdown
from toolproof._shared_state import SharedStateError, SharedStateWarning
from toolproof.agent import AgentResult, arun_agent, run_agent
from toolproof.codes import FailureKind, ResultCode
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

# The engine's threads stop touching Python before the interpreter finalizes.
_atexit.register(_shutdown)

__all__ = [
    "AgentResult",
    "ArgumentError",
    "CallContext",
    "CircuitBreaker",
    "FailureKind",
    "JSONRepairError",
    "Limits",
    "LooseSchemaWarning",
    "MetricsReport",
    "ParsedArgs",
    "ParsedValue",
    "PermanentError",
    "Registry",
    "Repair",
    "ResultCode",
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
    "truncate_json_text",
]
