"""Fixtures shared by the whole suite: a local HTTP server, the corpus folder, a fresh store."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# No Prefect telemetry or analytics from any test process.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY", "false")
os.environ.setdefault("PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS", "false")

from tests.httpserver import LocalHTTPServer, Route  # noqa: E402

pytest_plugins = ["tests.pgserver"]

REPO = Path(__file__).resolve().parents[1]


def corpus_dir() -> Path:
    """`../shared/corpus` beside the checkout (or $NEWSWATCH_CORPUS)."""
    env = os.environ.get("NEWSWATCH_CORPUS")
    return Path(env) if env else REPO.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = corpus_dir()
    if not path.is_dir():
        pytest.skip(f"evaluation corpus not found at {path} (tests over real pages run only beside shared/)")
    return path


@pytest.fixture
def http_server():
    server = LocalHTTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'state.db'}"


@pytest.fixture
def store(sqlite_url):
    from state import Store

    s = Store.open(sqlite_url)
    yield s
    s.close()


__all__ = ["Route"]


@pytest.fixture(scope="session")
def prefect_home(tmp_path_factory) -> Path:
    """One PREFECT_HOME for every subprocess of the run, so Prefect's own database is migrated once."""
    return tmp_path_factory.mktemp("prefect-home")


@pytest.fixture(scope="session")
def prefect_harness():
    """The one Prefect test harness shared by the whole run (a temporary API and database)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield
