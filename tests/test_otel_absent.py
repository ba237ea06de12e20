"""Without telemetry configured, dispatching imports nothing of OpenTelemetry."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from toolproof import Registry, ToolCall, tool

@tool
def ping() -> str:
    return "pong"

registry = Registry([ping])
registry.dispatch([ToolCall("1", "ping", "{}"), ToolCall("2", "nope", "{}")])
print(sorted(name for name in sys.modules if name.startswith("opentelemetry")))
"""


def test_dispatch_imports_no_opentelemetry() -> None:
    ran = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )
    assert ran.stdout.strip() == "[]", ran.stdout
