"""Defaults every framework adapter shares."""

from __future__ import annotations

from typing import Final

DEFAULT_MAX_RESULT_BYTES: Final = 100_000
"""The size cap on a result's model-facing text unless ``max_result_bytes`` says otherwise: the
same default a ``toolproof.Registry`` has, so one result cannot flood a model's context."""

RAW_ARGUMENTS: Final = "__toolproof_raw_arguments__"
"""The one key of the object an adapter puts around a model's arguments that are not a JSON object
(raw text a framework would refuse before any tool runs), for the road to read them as sent."""

FRESH_INSTANCE: Final = False
"""Whether a tool given as an instance runs each call on a copy of its own. Every framework runs an
instance's calls on that instance; so do the adapters, watching for state a call writes on it
(``SHARED_STATE``). A tool given as a class gets a fresh instance per call whatever this says."""

SHARED_STATE: Final = "warn"
"""What a call writing attributes of a shared instance leads to: a ``SharedStateWarning`` naming
them. ``"error"`` fails the call; ``"off"`` does not watch."""

ADMISSION_OPTIONS: Final = frozenset(
    {
        "rate_limit",
        "max_wait",
        "circuit_breaker",
        "cache_ttl",
        "cache_key",
        "idempotency_key",
        "lease",
        "coordinator",
    }
)
"""The tool options that guard a tool's calls through a coordinator (``toolproof.admission``)."""

TOOL_OPTIONS: Final = (
    frozenset(
        {
            "aliases",
            "extra_keys",
            "limits",
            "loose",
            "timeout",
            "retry",
            "max_concurrency",
            "authorize",
            "max_result_bytes",
            "shared_state",
            "executor",
            "telemetry",
        }
    )
    | ADMISSION_OPTIONS
)
"""The ``toolproof.ToolOptions`` an adapter's ``harden`` passes through to the ``toolproof.Tool``."""
