"""The exception a framework sees for a failed call, where the framework expects one.

Frameworks let a tool's exception travel: their own handling (LangGraph's ``handle_tool_errors``,
CrewAI's error events and failure policies, AutoGen's error results, a graph's ``RetryPolicy``)
decides what it becomes. A hardened tool raises where its framework's tool would have raised:
the tool's own exception, after toolproof's retries; refused arguments as a
``pydantic.ValidationError`` (an ``ArgumentValidationError``); a failure toolproof itself decided
(a timeout, a denied or rate-limited call) as a ``RetryableError`` or ``PermanentError`` with the
text a model should read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from toolproof._adapt.text import ArgumentValidationError, argument_validation_error
from toolproof.codes import RETRYABLE_CODES, ResultCode
from toolproof.errors import ArgumentError, PermanentError, RetryableError, ToolError


def code_of(result: Any) -> str:
    return result.error["code"] if result.error else ResultCode.TOOL_ERROR.value


def is_argument_failure(result: Any) -> bool:
    return code_of(result) == ResultCode.INVALID_ARGUMENTS or isinstance(result.exception, ArgumentError)


def decided_by_toolproof(result: Any) -> bool:
    """A failure toolproof decided without the tool raising (a timeout, a result that is not JSON,
    a denied or rate-limited call): no framework has one, so adapters answer it with its text."""
    return result.exception is None and not is_argument_failure(result)


def tool_exception(result: Any) -> BaseException:
    """The exception the tool raised, to raise again: as it is, a cancellation or an interrupt
    included; a ``SystemExit`` (``argparse`` refusing a flag) becomes a ``PermanentError`` with the
    model's text, since a tool's failure must not end the process."""
    error = result.exception
    if isinstance(error, (Exception, asyncio.CancelledError, KeyboardInterrupt)):
        return error
    replaced = PermanentError(result.content)
    replaced.__cause__ = error
    return replaced


def argument_failure_exception(
    result: Any, reread: Callable[[], Any] | None = None
) -> ArgumentValidationError:
    """The ``pydantic.ValidationError`` for a call whose arguments were refused (``reread`` as for
    ``failure_exception``)."""
    error = result.exception
    if isinstance(error, ArgumentValidationError):
        return error
    if not isinstance(error, ArgumentError) and reread is not None:
        try:
            reread()
        except ArgumentError as refused:
            error = refused
    if not isinstance(error, ArgumentError):
        error = ArgumentError(result.content, model_text=result.content, tool=result.name)
    converted = argument_validation_error(error)
    if result.exception is not None and result.exception is not error:
        converted.__cause__ = result.exception
    return converted


def failure_exception(result: Any, reread: Callable[[], Any] | None = None) -> BaseException:
    """The exception behind a failed ``ToolResult``, as a framework expects to see it.

    A result carries the road's text for refused arguments, not each problem; ``reread()`` (the
    road run again on the same arguments, which raises the ``ArgumentError``) gives them."""
    if is_argument_failure(result):
        return argument_failure_exception(result, reread)
    if isinstance(result.exception, BaseException):
        return tool_exception(result)
    made: ToolError = (RetryableError if code_of(result) in RETRYABLE_CODES else PermanentError)(
        result.content
    )
    return made
