"""Find tool-calling bugs before production: checks, scripted fake models for each framework.

Importing this package imports no framework; each helper imports its framework when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> module that defines it (imported on first use)
_EXPORTS = {
    "CheckReport": "toolproof.testing.checks",
    "Problem": "toolproof.testing.checks",
    "audit_tool": "toolproof.testing.checks",
    "check_concurrency": "toolproof.testing.checks",
    "check_tool": "toolproof.testing.checks",
    "example_arguments": "toolproof.testing.generate",
    "mistakes": "toolproof.testing.mistakes",
    "fake_openai": "toolproof.testing.providers",
    "fake_anthropic": "toolproof.testing.providers",
    "langchain_chat_model": "toolproof.testing.langchain",
    "autogen_client": "toolproof.testing.autogen",
    "crewai_llm": "toolproof.testing.crewai",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'toolproof.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
