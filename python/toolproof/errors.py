"""Exceptions raised by toolproof.

Every error says what is wrong and where. Those a model will read (`ArgumentError.for_model()`)
say it in a few lines a model can act on, never with a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "ArgumentError",
    "JSONRepairError",
    "PermanentError",
    "RetryableError",
    "SchemaError",
    "SerializationError",
    "ToolDefinitionError",
    "ToolError",
    "ToolproofError",
]


class ToolproofError(Exception):
    """Base class of toolproof's own errors."""


class ArgumentError(ToolproofError, ValueError):
    """A model's arguments were refused.

    ``errors`` lists every problem found, each a dict with ``path`` (``"items[3].name"``, ``""``
    for the whole document), ``loc`` (the same path as a list of keys and indexes), ``kind``
    (``"type"``, ``"required"``, ``"invalid_json"`` ...) and ``message``.
    """

    def __init__(
        self,
        message: str,
        errors: Sequence[dict[str, Any]] = (),
        *,
        model_text: str | None = None,
        tool: str | None = None,
    ) -> None:
        super().__init__(message)
        self.errors: list[dict[str, Any]] = list(errors)
        self.tool = tool
        self._model_text = model_text if model_text is not None else message

    def for_model(self) -> str:
        """A short text for the model: what is wrong, where, and the expected shape."""
        return self._model_text


class JSONRepairError(ToolproofError, ValueError):
    """A text could not be read as JSON, even after repair."""

    def __init__(self, message: str, *, offset: int = 0, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.offset = offset
        self.line = line
        self.column = column


class SchemaError(ToolproofError, ValueError):
    """A JSON Schema is unusable: it does not compile, or refers to a document not supplied."""


class SerializationError(ToolproofError, TypeError):
    """A result could not be encoded as JSON (``toolproof.to_json``, and dispatch for every result).

    ``path`` says where, as Python code reaching the value from the result
    (``result["items"][3]["created_at"]``, ``result`` for the whole); ``type_name`` says what
    (``"datetime.timezone"``, ``"myapp.Widget"``). An exception raised by ``default`` or
    ``model_dump`` on the way is the ``__cause__``.
    """

    def __init__(self, message: str, *, path: str = "result", type_name: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.type_name = type_name


class ToolDefinitionError(ToolproofError, ValueError):
    """A tool definition would fail later: a bad name, a schema that does not match the function,
    a schema a provider cannot take. ``problems`` lists each, with where and what to change."""

    def __init__(self, message: str, problems: Sequence[dict[str, str]] = ()) -> None:
        super().__init__(message)
        self.problems: list[dict[str, str]] = list(problems)


class ToolError(ToolproofError):
    """Raised by a tool to report a failure to the model: the message is what the model reads."""


class RetryableError(ToolError):
    """A failure worth retrying (an upstream timed out, rate-limited, restarting).

    ``retry_after`` (seconds), when the upstream said how long to wait, is honoured as the
    minimum delay before the next attempt.
    """

    def __init__(self, message: str = "temporarily unavailable", *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ToolError):
    """A failure that retrying will not fix (not found, forbidden, invalid request)."""
