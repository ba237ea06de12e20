# The autouse fixtures of crewAI's workspace conftest (conftest.py at the repository root, at the
# release matching crewai 1.15.30): event bus handlers and event state reset around every test,
# and a temporary storage folder. Tests marked `vcr` replay recorded LLM responses, which are not
# vendored here: they are skipped in both runs.
import os
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("vcr") is not None:
            item.add_marker(pytest.mark.skip(reason="replays recorded LLM responses (not vendored)"))


@pytest.fixture(autouse=True, scope="function")
def cleanup_event_handlers() -> Generator[None, Any, None]:
    yield
    try:
        from crewai.events.event_bus import crewai_event_bus

        with crewai_event_bus._rwlock.w_locked():
            crewai_event_bus._sync_handlers.clear()
            crewai_event_bus._async_handlers.clear()
    except Exception:
        pass


@pytest.fixture(autouse=True, scope="function")
def reset_event_state() -> None:
    from crewai.events.base_events import reset_emission_counter
    from crewai.events.event_context import EventContextConfig, _event_context_config, _event_id_stack

    reset_emission_counter()
    _event_id_stack.set(())
    _event_context_config.set(EventContextConfig())


@pytest.fixture(autouse=True, scope="function")
def setup_test_environment() -> Generator[None, Any, None]:
    with tempfile.TemporaryDirectory() as temp_dir:
        storage_dir = Path(temp_dir) / "crewai_test_storage"
        storage_dir.mkdir(parents=True, exist_ok=True)
        os.environ["CREWAI_STORAGE_DIR"] = str(storage_dir)
        os.environ["CREWAI_TESTING"] = "true"
        try:
            yield
        finally:
            os.environ.pop("CREWAI_TESTING", None)
