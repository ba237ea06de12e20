"""Finding calls that write to a tool instance shared by every call.

A class-based tool keeping per-call state on ``self`` (``self.last_query = query``) works until two
calls run at once, then returns one call's data to the other. Wrapping the method compares the
instance's attributes before and after each call and names what was written.
"""

from __future__ import annotations

import functools
import inspect
import operator
import warnings
from collections.abc import Callable
from itertools import compress
from typing import Any, Literal

from toolproof.errors import ToolError

SharedStateHandling = Literal["off", "warn", "error"]


class SharedStateWarning(UserWarning):
    """A call wrote to attributes of a tool instance that every call shares."""


class SharedStateError(ToolError):
    """A call wrote to attributes of a tool instance that every call shares."""


Snapshot = dict[str, Any]


def _snapshot(instance: Any) -> Snapshot:
    """The instance's attributes, held for one call: a copy of its ``__dict__``, taken at C
    speed, since a shared tool's every call takes one."""
    try:
        return vars(instance).copy()
    except TypeError:
        return {}


_MISSING = object()


def written_attributes(before: Snapshot, instance: Any, ignore: frozenset[str] = frozenset()) -> list[str]:
    """The attributes of ``instance`` rebound (or added) since ``before``, but for ``ignore``.
    Identity is enough: rebinding an attribute is the pattern to catch, and comparing identities
    in the order the attributes were set stays in C until something changed."""
    try:
        attributes = vars(instance)
    except TypeError:
        return []
    if len(attributes) == len(before):
        if not any(map(operator.is_not, before.values(), attributes.values())):
            return []
        if all(map(operator.is_, before, attributes)):
            # The same names in the same order: what changed is named without a Python loop over
            # every attribute, as when a framework rebinds its bookkeeping on every call.
            changed = compress(before, map(operator.is_not, before.values(), attributes.values()))
            return sorted(name for name in changed if name not in ignore)
    return sorted(
        name
        for name, value in attributes.items()
        if before.get(name, _MISSING) is not value and name not in ignore
    )


def shared_instance(func: Callable[..., Any]) -> Any | None:
    """The instance a tool function belongs to: a bound method's ``self``, or a callable object."""
    owner = getattr(func, "__self__", None)
    if owner is not None and not inspect.ismodule(owner) and not inspect.isclass(owner):
        return owner
    if not (inspect.isfunction(func) or inspect.isbuiltin(func) or inspect.ismethod(func)) and hasattr(
        func, "__dict__"
    ):
        return func
    return None


DEFAULT_HINT = (
    "Keep per-call state in local variables, or build the tool with Tool.from_factory so each call gets "
    "its own instance."
)


def _report(
    tool: str, instance: Any, written: list[str], handling: SharedStateHandling, hint: str = DEFAULT_HINT
) -> None:
    names = ", ".join(f"self.{name}" for name in written)
    message = (
        f"tool '{tool}' wrote {names} on its {type(instance).__name__} instance during a call; every call shares "
        f"that instance, so concurrent calls overwrite each other. {hint}"
    )
    if handling == "error":
        raise SharedStateError(message)
    warnings.warn(message, SharedStateWarning, stacklevel=3)


def watch(
    tool: str,
    func: Callable[..., Any],
    handling: SharedStateHandling,
    *,
    instance: Any = None,
    hint: str = DEFAULT_HINT,
    ignore: frozenset[str] = frozenset(),
) -> Callable[..., Any]:
    """``func``, reporting writes to its shared instance (``instance``, else the object ``func`` is
    bound to) other than to ``ignore`` (a framework's own bookkeeping); ``func`` itself when there
    is nothing to watch."""
    if instance is None:
        instance = shared_instance(func)
    if handling == "off" or instance is None:
        return func
    if inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(getattr(func, "__call__", None)):  # noqa: B004

        @functools.wraps(func)
        async def watched_async(*args: Any, **kwargs: Any) -> Any:
            before = _snapshot(instance)
            result = await func(*args, **kwargs)
            written = written_attributes(before, instance, ignore)
            if written:
                _report(tool, instance, written, handling, hint)
            return result

        return watched_async

    @functools.wraps(func)
    def watched(*args: Any, **kwargs: Any) -> Any:
        before = _snapshot(instance)
        result = func(*args, **kwargs)
        written = written_attributes(before, instance, ignore)
        if written:
            _report(tool, instance, written, handling, hint)
        return result

    return watched
