"""Settings every test session needs before any framework is imported."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest
from redis_server import RedisServer

# CrewAI phones home and writes under HOME unless told not to; keep every test offline and out of
# the user's home folder.
_session_home = tempfile.mkdtemp(prefix="toolproof-tests-home-")
os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
os.environ.setdefault("OTEL_SDK_DISABLED", "true")
os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")
os.environ.setdefault("CREWAI_STORAGE_DIR", os.path.join(_session_home, "crewai"))
os.environ["HOME"] = _session_home


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A Redis of the test's own, started on a free port and stopped after."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
