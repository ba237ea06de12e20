"""AutoGen tools whose calls go through toolproof's road.

AgentChat 0.4+ (``autogen_core`` / ``autogen_agentchat``):

- ``FunctionTool`` is AutoGen's, hardened: ``from toolproof.autogen import FunctionTool`` in place
  of ``from autogen_core.tools import FunctionTool``, same arguments, same schema, a component
  config that loads back hardened.
- ``harden(obj, **options)`` turns a function (or ``functools.partial``), a ``FunctionTool``, a
  ``BaseTool`` (or its class) into a ``HardenedTool``: an ``autogen_core`` ``BaseTool`` whose
  ``run_json`` repairs, coerces and validates the model's arguments, applies the timeout and
  retries, and returns the tool's value (``return_value_as_string`` gives the JSON the model
  reads). Failures are raised as AutoGen's own tools raise them (arguments that cannot be repaired
  as a ``pydantic.ValidationError``, the tool's exception as it is, a timeout as a
  ``ToolCallError``), so ``AssistantAgent`` reports each as an ``is_error`` result and keeps the
  sibling calls.
- ``harden_all(objs, **options)`` hardens several and refuses two with the same name, naming both.
- ``harden_client(model_client)`` repairs tool-call arguments that are not JSON (truncated, blank)
  before ``AssistantAgent`` parses them: it does that before any tool runs, so a tool cannot.

The classic API (ag2 before 1.0, ``import autogen``): ``register(fn, caller=..., executor=...)``
advertises the strict schema on the caller and runs each call on the executor through the same road,
from the arguments text exactly as the model sent it.
"""

# ruff: noqa: E402  (the framework is imported after the check that names the extra to install)

from __future__ import annotations

from toolproof._extras import require

require("autogen_core", "autogen")

from toolproof._adapt.constants import DEFAULT_MAX_RESULT_BYTES
from toolproof._adapt.text import ArgumentValidationError
from toolproof.autogen._classic import register
from toolproof.autogen._client import harden_client
from toolproof.autogen._tools import (
    FunctionTool,
    HardenedTool,
    HardenedToolConfig,
    ToolCallError,
    harden,
    harden_all,
)

__all__ = [
    "DEFAULT_MAX_RESULT_BYTES",
    "ArgumentValidationError",
    "FunctionTool",
    "HardenedTool",
    "HardenedToolConfig",
    "ToolCallError",
    "harden",
    "harden_all",
    "harden_client",
    "register",
]
