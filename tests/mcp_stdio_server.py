"""An MCP server on stdio, for the tests that start one as a subprocess: a toolproof registry
served with ``toolproof.mcp.serve``.

Every request it receives is appended, as one JSON line, to the file named by the first argument,
so a test can see what reached the server (and what never did).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Literal

import toolproof
from toolproof.mcp import serve

LOG = sys.argv[1] if len(sys.argv) > 1 else os.devnull


def _record(tool: str, arguments: dict[str, object]) -> None:
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps({"tool": tool, "arguments": arguments}) + "\n")


def add(a: int, b: int) -> int:
    """Add two integers."""
    _record("add", {"a": a, "b": b})
    return a + b


def book_room(room: Literal["red", "blue"], hours: float, guests: list[str]) -> dict[str, object]:
    """Book a meeting room."""
    _record("book_room", {"room": room, "hours": hours, "guests": guests})
    return {"room": room, "hours": hours, "guests": len(guests)}


def read_status(component: str) -> str:
    """Read a component's status; the server process exits while answering 'crash'."""
    _record("read_status", {"component": component})
    if component == "crash":
        os._exit(3)
    return f"{component}: ok"


def wipe_disk(disk: str) -> str:
    """Erase a disk; the server process exits while answering."""
    _record("wipe_disk", {"disk": disk})
    os._exit(3)


if __name__ == "__main__":
    registry = toolproof.Registry([add, book_room, read_status, wipe_disk])
    serve(
        registry,
        name="stdio-test",
        annotations={
            "add": {"readOnlyHint": True},
            "read_status": {"readOnlyHint": True},
            "wipe_disk": {"destructiveHint": True},
        },
    ).run()
