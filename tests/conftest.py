"""Settings every test session needs before any framework is imported."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
# Ray stays local and quiet: no usage report leaves the machine.
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
# Worker processes (process pools, Ray, Dask) import the tests' tool modules by name, as a
# deployment's workers import its tools.
_TESTS_DIR = str(Path(__file__).resolve().parent)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_TESTS_DIR, *(part for part in os.environ.get("PYTHONPATH", "").split(os.pathsep) if part)]
)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A Redis of the test's own, started on a free port and stopped after."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    """A local Ray cluster for the session: two CPUs, a small object store, no dashboard, bound to
    the loopback address."""
    ray = pytest.importorskip("ray")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=96 * 1024 * 1024,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
    )
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    """A Dask LocalCluster of two single-threaded worker processes for the module that asks for it,
    on the loopback address. A task whose worker dies is not rerun by Dask (allowed-failures 0):
    toolproof's retry policy decides, as it does for the other executors.

    The cluster's scheduler runs in this process and makes objects on its timers (heartbeats,
    system monitoring) for as long as it runs, so it is closed with the module: the tests after
    it that count live objects then count only their own."""
    distributed = pytest.importorskip("distributed")
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
            host="127.0.0.1",
        )
        client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
