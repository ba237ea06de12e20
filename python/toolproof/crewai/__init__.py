"""CrewAI tools whose every call goes through toolproof's road.

- ``BaseTool`` is CrewAI's, hardened: subclass ``toolproof.crewai.BaseTool`` in place of
  ``crewai.tools.BaseTool`` and write ``_run``/``_arun`` as CrewAI has them; ``tool`` is CrewAI's
  ``@tool`` making hardened tools.
- ``harden(obj, **options)`` hardens a tool already written: a ``BaseTool`` instance or subclass, an
  ``@tool`` tool, a function or ``functools.partial``, a ``toolproof.Tool``; ``harden_all(tools)``
  hardens a list and refuses two tools the model would see under one name.

A hardened tool is a CrewAI tool in every way CrewAI looks at one (its class, for events, is the
tool's own; ``result_as_answer``, ``max_usage_count``, ``cache_function``, ``result_schema``,
``tool_failure_policy`` are kept). Its calls go through the road: the arguments are repaired and
validated first (what cannot be repaired is refused, and counts no use), the call gets its timeout
and retries, and the result comes back as the tool returned it, a ``ToolFailure`` included, for
CrewAI's caching, hooks and failure policy to see; exceptions are raised as the tool raised them.
The model reads JSON for a structured result, cut to ``max_result_bytes``.

Where CrewAI looks at arguments before the tool does, nothing is lost: its validation of a native
call and of a text (ReAct) action is the road itself (``args_schema``), which also keeps the keys
the schema does not declare so it can map ``userId`` to ``user_id``. Arguments that are not even a
JSON object (CrewAI parses them with ``json.loads`` before any tool runs) reach the road when the
LLM is wrapped with ``harden_llm(llm)``.

Importing this module imports CrewAI; ``import toolproof`` never does.
"""

# ruff: noqa: E402  (the framework is imported after the check that names the extra to install)

from __future__ import annotations

from toolproof._extras import require

require("crewai", "crewai")

from typing import Any

from crewai.tools.tool_failure import ToolFailure

from toolproof._adapt.constants import DEFAULT_MAX_RESULT_BYTES, RAW_ARGUMENTS
from toolproof.crewai._arguments import RoadArguments
from toolproof.crewai._harden import harden, harden_all, tool
from toolproof.crewai._llm import harden_llm
from toolproof.crewai._tool import HardenedTool

BaseTool = HardenedTool
"""CrewAI's ``BaseTool``, hardened: subclass it as you would CrewAI's."""

__all__ = [
    "DEFAULT_MAX_RESULT_BYTES",
    "RAW_ARGUMENTS",
    "BaseTool",
    "HardenedTool",
    "RoadArguments",
    "cache_successes_only",
    "harden",
    "harden_all",
    "harden_llm",
    "tool",
]


def cache_successes_only(arguments: Any = None, result: Any = None) -> bool:
    """A ``cache_function`` caching only successes: a failure cached would answer every retry."""
    return not isinstance(result, ToolFailure)
