"""Exceptions raised by toolproof.

Every error says what is wrong and where. Those a model will read (`ArgumentError.for_model()`)
say it in a few lines a model can act on, never with a traceback.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from collections.abc import Sequence
from typing import Any

from toolproof.codes import ResultCode

__all__ = [
    "AdmissionRefused",
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
        # The core raises this class without running __init__ (src/py/errors.rs, argument_error):
        # it sets these three attributes itself, so a change here is made there too.
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
    """Raised by a tool to report a failure to the model: the message is what the model reads.

    ``code`` is the result's error code; a subclass may name its own kind of failure.
    """

    code: str = ResultCode.TOOL_ERROR.value


class RetryableError(ToolError):
    """A failure worth retrying (an upstream timed out, rate-limited, restarting).

    ``retry_after`` (seconds), when the upstream said how long to wait, is honoured as the
    minimum delay before the next attempt.
    """

    code: str = ResultCode.RETRYABLE_ERROR.value

    def __init__(self, message: str = "temporarily unavailable", *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ToolError):
    """A failure that retrying will not fix (not found, forbidden, invalid request)."""


class AdmissionRefused(RetryableError):
    """A call its tool's guards did not let run: ``code`` is the ``ResultCode`` its result carries
    (``rate_limited``, ``circuit_open``, ``in_progress``, ``coordinator_unavailable``), and
    ``retry_after`` the seconds after which trying again may succeed. Raised where a tool would
    have run, so the engine reports it as it reports the tool's own failures."""

    def __init__(self, message: str, *, code: ResultCode, retry_after: float | None = None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.code = code.value


FRAMEWORK_TOOL_ERRORS: tuple[type[Exception], ...] = ()
"""Frameworks' own exceptions for a tool to report a failure to the model (LangChain's
``ToolException``): like a ``ToolError``, their message is what the model reads."""


def raise_as_well(framework_error: type[Exception]) -> None:
    """Make every ``ToolError`` (and subclass) an instance of ``framework_error`` too, and read
    ``framework_error``'s message as written for the model, as a ``ToolError``'s is.

    A framework's own handling of tool failures then applies to toolproof's: with LangChain loaded,
    a ``ToolError`` is a ``ToolException``, so ``handle_tool_errors=ToolException`` or a handler
    typed for it catches a ``PermanentError`` as it catches LangChain's own. Done when the
    framework is imported, so ``import toolproof`` never imports it.
    """
    global FRAMEWORK_TOOL_ERRORS
    if not issubclass(ToolError, framework_error):
        ToolError.__bases__ = (*ToolError.__bases__, framework_error)
    if framework_error not in FRAMEWORK_TOOL_ERRORS:
        FRAMEWORK_TOOL_ERRORS = (*FRAMEWORK_TOOL_ERRORS, framework_error)


_LANGCHAIN_TOOLS = "langchain_core.tools.base"


class _WhenLangChainLoads(importlib.abc.MetaPathFinder):
    """Applies LangChain's ``ToolException`` the moment LangChain defines it, whoever imports it
    and whenever, so ``import toolproof`` costs no LangChain import."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != _LANGCHAIN_TOOLS:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        loader = spec.loader if spec is not None else None
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        load = loader.exec_module

        def exec_module(module: Any) -> None:
            load(module)
            raise_as_well(module.ToolException)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if _LANGCHAIN_TOOLS in sys.modules:
    raise_as_well(sys.modules[_LANGCHAIN_TOOLS].ToolException)
else:
    sys.meta_path.insert(0, _WhenLangChainLoads())
