"""``MODULE:OBJECT`` targets, as ``pytest --toolproof`` and ``toolproof check`` take them."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable
from typing import Any

from toolproof.registry import Registry


def load_target(target: str) -> Any:
    """The object ``package.module:name.attribute`` names, importing the module (from the current
    folder too, as ``python -m`` would)."""
    module_name, _, path = target.partition(":")
    if not module_name or not path:
        raise ValueError(f"expected MODULE:OBJECT (like myapp.tools:registry), got {target!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    value: Any = importlib.import_module(module_name)
    for part in path.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise ValueError(f"{target}: {module_name} has no {path}") from None
    return value


def tools_of(obj: Any) -> list[tuple[str, Any]]:
    """The tools a target holds, labelled: a Registry's, a list's or dict's items, or the object
    itself (a Tool, a framework tool, or a function)."""
    if isinstance(obj, Registry):
        return [(tool.name, tool) for tool in obj]
    if isinstance(obj, dict):
        return [(str(key), value) for key, value in obj.items()]
    if isinstance(obj, (list, tuple, set, frozenset)) or (isinstance(obj, Iterable) and not callable(obj)):
        return [(_label(item), item) for item in obj]
    return [(_label(obj), obj)]


def _label(item: Any) -> str:
    return str(getattr(item, "name", None) or getattr(item, "__name__", None) or type(item).__name__)
