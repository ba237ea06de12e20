"""Adapters import their framework through here, so a missing one says which extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, extra: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"toolproof.{extra} needs {module.split('.')[0]}, which is not installed; "
            f"install it with: pip install 'toolproof[{extra}]'"
        ) from error
