"""A real threadloom server on 127.0.0.1 (ephemeral port, throw-away database) for each
test, and the real langgraph-sdk client pointed at it."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from server import checkout  # noqa: E402  (the tests test the checkout they sit in)

checkout.install()

import aiohttp  # noqa: E402
import pytest
from aiohttp import web
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

from threadloom.server.app import create_app
from threadloom.server.config import Settings, load_project
from threadloom.server.graphs import GraphRegistry

from clusterproc import Cluster
from clusterservers import ClusterServers
from pgtest import SKIPPED, Databases, PostgresForTests, shared

GRAPHS = Path(__file__).parent / "graphs" / "langgraph.json"

MakeServer = Callable[..., Awaitable[str]]


def make_app(config: Path = GRAPHS, **settings: Any) -> web.Application:
    project = load_project(config)
    graphs = GraphRegistry(project.graphs, project.base_dir)
    settings.setdefault("shutdown_grace_seconds", 0)  # tests close servers mid-run: hand runs back at once
    return create_app(Settings(config=config, db=settings.pop("db", None), **settings), graphs, project)


BACKENDS = ("sqlite", "postgres")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: a test of the SQLite backend itself (not run on Postgres)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `sqlite_only` run on SQLite only."""
    kept, dropped = [], []
    for item in items:
        params = getattr(item, "callspec", None)
        on_postgres = params is not None and params.params.get("backend") == "postgres"
        (dropped if on_postgres and item.get_closest_marker("sqlite_only") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SKIPPED:
        terminalreporter.write_line(f"threadloom: the PostgreSQL half of the tests was skipped: {SKIPPED[0]}")


@pytest.fixture(scope="session")
def postgres_for_tests() -> Iterator[PostgresForTests]:
    """The session's PostgreSQL databases (`pgtest.shared`); skipped when there is no
    server, except under CI, where that fails."""
    yield shared()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The storage backend the test's servers run on: every test that starts a server runs
    on each."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_for_tests")
    return str(request.param)


@pytest.fixture
def database(backend: str, request: pytest.FixtureRequest) -> Iterator[Databases]:
    """`database(path)`: where a server keeps its data on the test's backend (`pgtest.Databases`)."""
    postgres = request.getfixturevalue("postgres_for_tests") if backend == "postgres" else None
    databases = Databases(backend, postgres)
    yield databases
    databases.close()


def cluster_size() -> int:
    """`THREADLOOM_TEST_CLUSTER=3`: the servers the API tests start are clusters of 3 real
    processes on the test's PostgreSQL database, behind a proxy that sends each request to
    one picked at random (`clusterproc.py`, `clusterproxy.py`)."""
    return int(os.environ.get("THREADLOOM_TEST_CLUSTER", "0") or 0)


@pytest.fixture
async def make_server(database: Databases, aiohttp_server: Any, backend: str) -> AsyncIterator[MakeServer]:
    """Start a server with the given settings; returns its base URL. A server on the
    database of one still running is a restart: the running one stops first (one
    server per database). On Postgres, `db` (a path) names a database of the test's own."""
    running: dict[str, Any] = {}
    if cluster_size():
        clusters = ClusterServers(database, backend, cluster_size())
        try:
            yield clusters.start
        finally:
            await clusters.close()
        return

    async def start(**settings: Any) -> str:
        settings["db"] = database(settings.get("db"))
        if (db := settings.get("db")) is not None and (previous := running.pop(str(db), None)) is not None:
            await previous.close()
        server = await aiohttp_server(make_app(**settings))
        if db is not None:
            running[str(db)] = server
        return str(server.make_url("")).rstrip("/")

    yield start


@pytest.fixture
async def url(make_server: MakeServer) -> str:
    return await make_server()


@pytest.fixture
async def client(url: str) -> AsyncIterator[LangGraphClient]:
    lg = get_client(url=url, api_key=None)
    yield lg
    await lg.http.client.aclose()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A raw HTTP client, for exact status codes, headers and bodies."""
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
async def cluster(postgres_for_tests: PostgresForTests) -> AsyncIterator[Cluster]:
    """Three `python -m server` processes on a PostgreSQL database of their own, with
    short leases (`clusterproc.py`)."""
    db = postgres_for_tests.new_database()
    three = Cluster(db, 3)
    try:
        yield await three.start()
    finally:
        await three.close()
        postgres_for_tests.drop(db)
