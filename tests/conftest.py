"""A real threadloom server on 127.0.0.1 (ephemeral port, throw-away database) for each
test, and the real langgraph-sdk client pointed at it."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
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

GRAPHS = Path(__file__).parent / "graphs" / "langgraph.json"

MakeServer = Callable[..., Awaitable[str]]


def make_app(config: Path = GRAPHS, **settings: Any) -> web.Application:
    project = load_project(config)
    graphs = GraphRegistry(project.graphs, project.base_dir)
    settings.setdefault("shutdown_grace_seconds", 0)  # tests close servers mid-run: hand runs back at once
    return create_app(Settings(config=config, db=settings.pop("db", None), **settings), graphs, project)


@pytest.fixture
async def make_server(aiohttp_server: Any) -> MakeServer:
    """Start a server with the given settings; returns its base URL. A server on the
    database file of one still running is a restart: the running one stops first (one
    server per file)."""
    running: dict[str, Any] = {}

    async def start(**settings: Any) -> str:
        if (db := settings.get("db")) is not None and (previous := running.pop(str(db), None)) is not None:
            await previous.close()
        server = await aiohttp_server(make_app(**settings))
        if db is not None:
            running[str(db)] = server
        return str(server.make_url("")).rstrip("/")

    return start


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
