"""Which object each call of a class-based tool runs on.

One rule for every adapter:

- a tool given as a class gets a fresh instance for every call: state a call keeps on ``self``
  belongs to that call;
- a tool given as an instance runs every call on that instance, as its framework does
  (``fresh_instance=True`` gives each call a copy of its own instead); the instance is watched, and
  a call that writes attributes on it is reported (``shared_state``, ``"warn"`` unless told
  otherwise), since two calls running at once would overwrite each other there.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, cast

from toolproof._adapt.constants import FRESH_INSTANCE, SHARED_STATE
from toolproof._methods import method_call
from toolproof._shared_state import SharedStateHandling, watch


class Instances:
    """The object a call runs on: made anew per call, or one shared (and watched) instance."""

    __slots__ = ("_make", "handling", "hint", "ignore", "shared")

    def __init__(
        self,
        make: Callable[[], Any],
        shared: Any = None,
        handling: SharedStateHandling = "off",
        hint: str = "",
        ignore: frozenset[str] = frozenset(),
    ) -> None:
        self._make = make
        self.shared = shared
        self.handling: SharedStateHandling = handling if shared is not None else "off"
        self.hint = hint
        self.ignore = ignore

    @property
    def fresh(self) -> bool:
        return self.shared is None

    def for_call(self) -> Any:
        return self._make()

    def method(self, tool: str, method: Callable[..., Any], owner: type) -> Callable[..., Any]:
        """``method`` (a function of ``owner``) as a plain function running on each call's object,
        with the method's parameters less ``self``; watched when the object is shared."""
        if self.shared is None:
            return method_call(self._make, method, owner)
        # One object for every call: its method bound once, read as the method without `self`.
        bound = getattr(self.shared, method.__name__)
        call = method_call(lambda: self.shared, method, owner)
        if inspect.iscoroutinefunction(method):

            async def call_bound_async(*args: Any, **kwargs: Any) -> Any:
                return await bound(*args, **kwargs)

            run: Callable[..., Any] = call_bound_async
        else:

            def call_bound(*args: Any, **kwargs: Any) -> Any:
                return bound(*args, **kwargs)

            run = call_bound
        functools.update_wrapper(run, call)
        if self.handling == "off":
            return run
        return watch(tool, run, self.handling, instance=self.shared, hint=self.hint, ignore=self.ignore)


def instances(
    tool_class: type,
    instance: Any | None,
    *,
    framework: str,
    build: Callable[[], Any] | None = None,
    copy: Callable[[Any], Any] | None = None,
    fresh_instance: bool | None = None,
    shared_state: SharedStateHandling | None = None,
    bookkeeping: frozenset[str] = frozenset(),
) -> Instances:
    """The ``Instances`` of a tool given as ``tool_class`` (``instance`` None: ``build()``, or the
    class itself, makes one per call) or as ``instance`` (shared unless ``fresh_instance``, then
    ``copy(instance)`` per call; a shared one is watched, but for the framework's own
    ``bookkeeping`` attributes)."""
    name = tool_class.__name__
    if instance is None:
        return Instances(build or cast(Callable[[], Any], tool_class))
    if fresh_instance if fresh_instance is not None else FRESH_INSTANCE:
        if copy is None:
            raise TypeError(
                f"toolproof.{framework}: a {name} instance cannot be copied; pass the class instead"
            )
        return Instances(lambda: copy(instance))
    hint = (
        f"Keep per-call state in local variables, or pass the class (toolproof.{framework}.harden({name})) or "
        "fresh_instance=True, so each call gets an instance of its own."
    )
    return Instances(lambda: instance, instance, shared_state or SHARED_STATE, hint, bookkeeping)
