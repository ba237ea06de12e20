"""Settings every test session needs before any framework is imported."""

from __future__ import annotations

import os
import tempfile

# CrewAI phones home and writes under HOME unless told not to; keep every test offline and out of
# the user's home folder.
_session_home = tempfile.mkdtemp(prefix="toolproof-tests-home-")
os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
os.environ.setdefault("OTEL_SDK_DISABLED", "true")
os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")
os.environ.setdefault("CREWAI_STORAGE_DIR", os.path.join(_session_home, "crewai"))
os.environ["HOME"] = _session_home
