# The upstream conftest of langgraph-prebuilt 1.1.3 (tests/conftest.py) in its default fast mode:
# the in-memory checkpointer and store only, so the Postgres and SQLite savers it can also run
# against need not be installed. Fixture names and behaviour are upstream's.
from collections.abc import AsyncIterator, Iterator
from uuid import UUID

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.store.base import BaseStore
from langgraph.store.memory import InMemoryStore
from pytest_mock import MockerFixture

pytest.register_assert_rewrite("tests.memory_assert")

from tests.memory_assert import MemorySaverAssertImmutable  # noqa: E402


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture()
def deterministic_uuids(mocker: MockerFixture) -> MockerFixture:
    side_effect = (UUID(f"00000000-0000-4000-8000-{i:012}", version=4) for i in range(10000))
    return mocker.patch("uuid.uuid4", side_effect=side_effect)


@pytest.fixture(scope="function", params=["in_memory"])
def sync_store(request: pytest.FixtureRequest) -> Iterator[BaseStore]:
    yield InMemoryStore()


@pytest.fixture(scope="function", params=["in_memory"])
async def async_store(request: pytest.FixtureRequest) -> AsyncIterator[BaseStore]:
    yield InMemoryStore()


@pytest.fixture(scope="function", params=["memory"])
def sync_checkpointer(request: pytest.FixtureRequest) -> Iterator[BaseCheckpointSaver]:
    yield MemorySaverAssertImmutable()


@pytest.fixture(scope="function", params=["memory"])
async def async_checkpointer(request: pytest.FixtureRequest) -> AsyncIterator[BaseCheckpointSaver]:
    yield MemorySaverAssertImmutable()
