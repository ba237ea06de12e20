"""What kind of object an adapter's ``harden`` was given, and a plain function for a partial.

Every adapter dispatches on the same kinds, in the same order: a ``toolproof.Tool``; a tool the
adapter hardened already; a class of the framework's tool base; the framework's own function tool
(read through to its function); another instance of the tool base; a ``functools.partial``; any
other callable.
"""

from __future__ import annotations

import enum
import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from toolproof.errors import ToolDefinitionError
from toolproof.tools import Tool


class UnsupportedToolError(ToolDefinitionError, TypeError):
    """``harden`` was given something that is no tool: a ``TypeError``, and a ``ValueError`` as
    frameworks raise for it."""


class Kind(enum.Enum):
    TOOLPROOF_TOOL = "a toolproof.Tool"
    HARDENED = "a hardened tool"
    CLASS = "a tool class"
    FUNCTION_TOOL = "the framework's function tool"
    INSTANCE = "a tool instance"
    PARTIAL = "a functools.partial"
    FUNCTION = "a function"


@dataclass(frozen=True)
class Framework:
    """How one adapter's framework spells each kind."""

    name: str
    """The adapter's module (``toolproof.<name>``), for messages."""
    tool_base: type
    function_tools: tuple[type, ...]
    """Exact types whose function is read through (``FunctionTool``, ``StructuredTool`` ...); a
    subclass may change how the function runs, so it is an instance like any other."""
    hardened: tuple[type, ...]


def kind_of(obj: Any, framework: Framework) -> Kind:
    """The kind of ``obj``; ``TypeError`` naming what is accepted when it is none of them."""
    if isinstance(obj, Tool):
        return Kind.TOOLPROOF_TOOL
    if isinstance(obj, framework.hardened):
        return Kind.HARDENED
    if inspect.isclass(obj):
        if issubclass(obj, framework.tool_base):
            return Kind.CLASS
    elif type(obj) in framework.function_tools:
        return Kind.FUNCTION_TOOL
    elif isinstance(obj, framework.tool_base):
        return Kind.INSTANCE
    elif isinstance(obj, functools.partial):
        return Kind.PARTIAL
    elif callable(obj):
        return Kind.FUNCTION
    base = f"{framework.tool_base.__module__}.{framework.tool_base.__qualname__}"
    raise UnsupportedToolError(
        f"Unsupported tool type: {type(obj)}. toolproof.{framework.name}.harden takes a function (or "
        f"functools.partial), a {base} subclass or instance, or a toolproof.Tool; not {obj!r}"
    )


def partial_function(partial: functools.partial[Any]) -> Callable[..., Any]:
    """A plain function calling ``partial``, with the parameters it still takes (their annotations
    resolved from the wrapped function) and the wrapped function's name and docstring, so a
    signature reader sees what a model may send: the bound arguments are no parameters of it."""
    target = partial.func
    while isinstance(target, functools.partial):
        target = target.func
    signature = inspect.signature(partial)
    try:
        hints = typing.get_type_hints(target, include_extras=True)
    except Exception:
        hints = {}
    parameters = [
        parameter.replace(annotation=hints.get(name, parameter.annotation))
        for name, parameter in signature.parameters.items()
    ]
    returns = hints.get("return", signature.return_annotation)

    if inspect.iscoroutinefunction(target):

        async def call_async(*args: Any, **kwargs: Any) -> Any:
            return await partial(*args, **kwargs)

        call: Callable[..., Any] = call_async
    else:

        def call_sync(*args: Any, **kwargs: Any) -> Any:
            return partial(*args, **kwargs)

        call = call_sync
    call.__signature__ = signature.replace(parameters=parameters, return_annotation=returns)  # type: ignore[attr-defined]
    call.__annotations__ = {
        **{p.name: p.annotation for p in parameters if p.annotation is not inspect.Parameter.empty},
        **({"return": returns} if returns is not inspect.Signature.empty else {}),
    }
    for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
        value = getattr(target, attribute, None)
        if value is not None:
            setattr(call, attribute, value)
    return call


def as_function(obj: Any) -> Callable[..., Any]:
    """A function or partial as a function a signature reader understands."""
    return partial_function(obj) if isinstance(obj, functools.partial) else obj
