"""Where the shared test corpora live, and what a test does when one is missing.

The corpora (JSON-Schema-Test-Suite, BFCL, json_repair's cases) are public data kept outside the
repository, in ``../shared/data`` next to the checkout, or wherever ``TOOLPROOF_CORPUS_DIR`` points.
A developer without them gets skipped tests with the reason; a CI run (``CI`` set) fails instead,
because there a missing corpus means a broken setup, not a choice.
"""

from __future__ import annotations

import os
from pathlib import Path

CORPUS_DIR_VARIABLE = "TOOLPROOF_CORPUS_DIR"
DEFAULT_CORPUS_ROOT = Path(__file__).resolve().parent.parent.parent / "shared" / "data"

__all__ = ["CORPUS_DIR_VARIABLE", "corpus_dir", "corpus_root", "find_corpus"]


def corpus_root() -> Path:
    """The folder holding one subfolder per corpus."""
    configured = os.environ.get(CORPUS_DIR_VARIABLE)
    return Path(configured).expanduser() if configured else DEFAULT_CORPUS_ROOT


def find_corpus(name: str) -> Path | None:
    """The corpus folder `name`, or None when it is absent. For scripts outside pytest."""
    path = corpus_root() / name
    return path if path.is_dir() else None


def corpus_dir(name: str) -> Path:
    """The corpus folder `name`; skips the calling test (or module) when it is absent, fails under CI.

    Safe to call at module level: the whole module is then skipped, or fails to collect under CI.
    """
    import pytest

    path = find_corpus(name)
    if path is not None:
        return path
    reason = (
        f"corpus {name!r} not found at {corpus_root() / name}; "
        f"set {CORPUS_DIR_VARIABLE} to the folder that holds it"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so a missing corpus is an error)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)
