"""The compat driver's session: the vendored suites are run by test_compat.py in interpreters of
their own, never collected into this one; the counts are printed at the end."""

from __future__ import annotations

from typing import Any

from compat_suites import COUNTS

collect_ignore = ["suites", "harness"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not COUNTS:
        return
    terminalreporter.section("frameworks' own tool tests: passed alone / passed with toolproof swapped in")
    for label, line in COUNTS.items():
        terminalreporter.write_line(f"{label}: {line}")
