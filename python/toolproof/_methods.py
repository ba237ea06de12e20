"""A method of a class-based tool, as a plain function a Tool can be made from."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any


def method_call(instance: Callable[[], Any], method: Callable[..., Any], owner: type) -> Callable[..., Any]:
    """A function running ``method`` on the object ``instance()`` returns at each call (a fresh
    one, or the same one), presented as the method without ``self``: its docstring, annotations
    and parameters, ``*args`` dropped (models send arguments by name)."""
    name = method.__name__
    if inspect.iscoroutinefunction(method):

        async def call_async(*args: Any, **kwargs: Any) -> Any:
            return await getattr(instance(), name)(*args, **kwargs)

        call: Callable[..., Any] = call_async
    else:

        def call_sync(*args: Any, **kwargs: Any) -> Any:
            return getattr(instance(), name)(*args, **kwargs)

        call = call_sync
    functools.update_wrapper(call, method)
    signature = inspect.signature(method)
    parameters = [
        p for p in list(signature.parameters.values())[1:] if p.kind is not inspect.Parameter.VAR_POSITIONAL
    ]
    call.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    call.__qualname__ = f"{owner.__qualname__}.{name}"
    return call
