# The upstream conftest of langchain-core 1.7.7 (tests/unit_tests/conftest.py) without its
# BlockBuster fixture (a detector of blocking calls inside event loops, not installed here): the
# `requires` marker and the `deterministic_uuids` fixture are upstream's.
from collections.abc import Sequence
from importlib import util
from uuid import UUID

import pytest
from pytest_mock import MockerFixture


def pytest_collection_modifyitems(config: pytest.Config, items: Sequence[pytest.Function]) -> None:
    installed: dict[str, bool] = {}
    for item in items:
        marker = item.get_closest_marker("requires")
        if marker is None:
            continue
        for package in marker.args:
            if package not in installed:
                try:
                    installed[package] = util.find_spec(package) is not None
                except Exception:
                    installed[package] = False
            if not installed[package]:
                item.add_marker(pytest.mark.skip(reason=f"Requires pkg: `{package}`"))
                break


@pytest.fixture
def deterministic_uuids(mocker: MockerFixture) -> MockerFixture:
    side_effect = (UUID(f"00000000-0000-4000-8000-{i:012}", version=4) for i in range(10000))
    return mocker.patch("uuid.uuid4", side_effect=side_effect)
