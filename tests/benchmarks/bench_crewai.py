"""CrewAI: a hardened tool's invoke (``run``) against the plain framework tool's, side by side.

Sections:
- run-function-tool: 100 sequential ``run(**arguments)`` calls of an ``@tool`` function,
  ``toolproof.crewai.harden(lookup)`` against CrewAI's own tool. Target: at most 10% slower.
- run-class-tool-shared: the same calls of a ``BaseTool`` subclass, the hardened tool as ``harden``
  makes it from an instance by default (every call on that instance, as CrewAI runs it, watched
  for state a call leaves on it), and unwatched (``shared_state="off"``). Target: at most 10% slower.
- run-class-tool: the hardened class tool with ``fresh_instance=True``, building a fresh
  instance for every call so that state kept on ``self`` belongs to one call. No target: the plain
  tool builds nothing, and the figure says what that isolation costs (one ``BaseTool``
  construction, a pydantic model of a dozen fields).

CrewAI is imported with its telemetry off and a temporary HOME, as the tests do.
Run it alone (``python tests/benchmarks/bench_crewai.py [--quick] [--json]``) or through run.py.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from contextlib import contextmanager
from typing import Any

from harness import Candidate, Target, main, skipped_section, timing_section

BENCHMARK = "crewai"
CALLS = 100
PLAIN = "CrewAI tool .run"
HARDENED = "toolproof.crewai.harden(...).run"
HARDENED_FRESH = "harden(..., fresh_instance=True).run"
HARDENED_UNWATCHED = "harden(..., shared_state='off').run"

ARGUMENTS = [{"user_id": i, "limit": 3} for i in range(CALLS)]
EXPECTED = [f"user {i} (3 records)" for i in range(CALLS)]
AT_MOST_10_PERCENT_SLOWER = 1 / 1.1


@contextmanager
def crewai_offline() -> Any:
    """CrewAI's variables for staying offline and out of the home folder, for this benchmark only."""
    home = tempfile.mkdtemp(prefix="toolproof-bench-crewai-")
    settings = {
        "CREWAI_DISABLE_TELEMETRY": "true",
        "OTEL_SDK_DISABLED": "true",
        "CREWAI_TRACING_ENABLED": "false",
        "CREWAI_STORAGE_DIR": os.path.join(home, "crewai"),
        "HOME": home,
    }
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_batch(tool: Any) -> list[Any]:
    return [tool.run(**arguments) for arguments in ARGUMENTS]


def checked(candidates: list[Candidate]) -> list[Candidate]:
    for candidate in candidates:
        got = candidate.call()
        if got != EXPECTED:
            raise AssertionError(f"{candidate.name} returned something else: {got[:3]}...")
    return candidates


def section(
    name: str,
    title: str,
    candidates: list[Candidate],
    reference: str,
    notes: list[str],
    quick: bool,
    *,
    target: bool = True,
) -> dict[str, Any]:
    targets = [Target(f"{reference} at most 10% slower than {PLAIN}", (PLAIN,), AT_MOST_10_PERCENT_SLOWER)]
    return timing_section(
        benchmark=BENCHMARK,
        section=name,
        title=title,
        candidates=checked(candidates),
        reference=reference,
        targets=targets if target else [],
        notes=[
            "times are per batch; per call = time / 100",
            "the hardened call runs the whole road: argument repair and validation, timeout and retry "
            "bookkeeping, JSON encoding of the result capped at 100,000 bytes, metrics",
            *notes,
        ],
        quick=quick,
        unit="µs/batch",
    )


def sections(quick: bool) -> list[dict[str, Any]]:
    from crewai.tools import BaseTool, tool
    from toolproof.crewai import harden

    @tool("lookup")
    def lookup(user_id: int, limit: int = 10) -> str:
        """Look up a user's records."""
        return f"user {user_id} ({limit} records)"

    class Lookup(BaseTool):
        name: str = "lookup"
        description: str = "Look up a user's records."
        source: str = "primary"

        def _run(self, user_id: int, limit: int = 10) -> str:
            return f"user {user_id} ({limit} records)"

    returns = f"{CALLS} str"
    hardened_function = harden(lookup)
    plain_class = Lookup(source="replica")
    hardened_class = harden(plain_class, fresh_instance=True)
    shared_class = harden(plain_class)
    unwatched_class = harden(plain_class, shared_state="off")
    return [
        section(
            "run-function-tool",
            f"{CALLS} sequential run() calls of an @tool function",
            [
                Candidate(HARDENED, lambda: run_batch(hardened_function), returns),
                Candidate(PLAIN, lambda: run_batch(lookup), returns),
            ],
            HARDENED,
            ["CrewAI's run validates the keyword arguments with the tool's pydantic args_schema"],
            quick,
        ),
        section(
            "run-class-tool-shared",
            f"{CALLS} sequential run() calls of a BaseTool subclass, every call on the one instance",
            [
                Candidate(HARDENED, lambda: run_batch(shared_class), returns),
                Candidate(HARDENED_UNWATCHED, lambda: run_batch(unwatched_class), returns),
                Candidate(PLAIN, lambda: run_batch(plain_class), returns),
            ],
            HARDENED,
            ["by default a call's writes to the shared instance are watched for (shared_state='warn')"],
            quick,
        ),
        section(
            "run-class-tool",
            f"{CALLS} sequential run() calls of a BaseTool subclass, a fresh instance per hardened call",
            [
                Candidate(HARDENED_FRESH, lambda: run_batch(hardened_class), returns),
                Candidate(PLAIN, lambda: run_batch(plain_class), returns),
            ],
            HARDENED_FRESH,
            ["each hardened call constructs the tool anew from its configured fields (pydantic validation)"],
            quick,
            target=False,
        ),
    ]


def run(quick: bool) -> list[dict[str, Any]]:
    if importlib.util.find_spec("crewai") is None:
        return [
            skipped_section(
                benchmark=BENCHMARK,
                section="run",
                title="hardened run against the plain CrewAI tool's",
                reason="crewai is not installed (pip install 'toolproof[crewai]')",
            )
        ]
    with crewai_offline():
        return sections(quick)


if __name__ == "__main__":
    raise SystemExit(main(run, "CrewAI: a hardened tool's run against the plain CrewAI tool's."))
