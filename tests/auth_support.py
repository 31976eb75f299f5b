"""Shared by the custom-auth tests (test_auth*.py): servers on the auth test project
(tests/auth) or on a generated one, the real SDK as a given user, and raw HTTP where a
test needs exact statuses and headers."""

from __future__ import annotations

import json
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import make_app
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

AUTH_PROJECT = Path(__file__).parent / "auth"
# a project's auth.py: one user, "someone", whose token is `Bearer ok`
TOKEN_AUTH = """
from langgraph_sdk import Auth

auth = Auth()

@auth.authenticate
async def authenticate(authorization: str | None):
    if authorization != "Bearer ok":
        raise Auth.exceptions.HTTPException(status_code=401, detail="Missing token")
    return "someone"
"""
AUTH_CONFIG = AUTH_PROJECT / "langgraph.json"
GRAPHS = Path(__file__).parent / "graphs"

USERS = ("alice", "bob", "eve", "mallory")
AUTH_CALLS: list[tuple[str, dict[str, Any]]] = []  # (resource.action, value) a recording handler was asked
FACTORY_CALLS: list[tuple[str, str | None]] = []  # (access_context, user) of each call of whoami.py's `made_for`


def bearer(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {user}-token"}


def sdk(url: str, user: str | None = None, headers: dict[str, str] | None = None) -> LangGraphClient:
    """The real client, as `user` (no credentials at all with None)."""
    return get_client(url=url, api_key=None, headers={**(bearer(user) if user else {}), **(headers or {})})


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any

    @property
    def detail(self) -> Any:
        return self.body.get("detail") if isinstance(self.body, dict) else None


class Http:
    """Raw HTTP to one server; a streaming answer is not read (only its status and headers)."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.session = session

    async def __call__(
        self, method: str, path: str, body: Any = None, *, user: str | None = None,
        headers: dict[str, str] | None = None, **kwargs: Any,
    ) -> Reply:
        sent = {**(bearer(user) if user else {}), **(headers or {})}
        payload = {} if body is None else {"json": body}
        async with self.session.request(method, self.url + path, headers=sent, **payload, **kwargs) as resp:
            kind = resp.headers.get("Content-Type", "")
            if resp.status == 101:
                parsed = None  # a WebSocket handshake that succeeded: nothing to read
            elif kind.startswith("application/json"):
                raw = await resp.read()
                parsed = json.loads(raw) if raw.strip() else None
            elif kind.startswith("text/event-stream"):
                parsed = None  # a live stream: the status is what counts
            else:
                parsed = await resp.text()
            return Reply(resp.status, parsed, resp.headers)


async def serve(aiohttp_server: Any, config: Path = AUTH_CONFIG, **settings: Any) -> str:
    server = await aiohttp_server(make_app(config=config, **settings))
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
async def auth_url(aiohttp_server: Any, database: Any) -> str:
    """A server on the auth test project (tests/auth), on each storage backend (its
    authorization filters are compiled to each one's SQL)."""
    return await serve(aiohttp_server, db=database(None))


@pytest.fixture
async def http(auth_url: str, session: aiohttp.ClientSession) -> Http:
    return Http(auth_url, session)


@pytest.fixture
async def clients(auth_url: str) -> AsyncIterator[dict[str, LangGraphClient]]:
    """The SDK as each user of the test project."""
    made = {user: sdk(auth_url, user) for user in USERS}
    yield made
    for client in made.values():
        await client.http.client.aclose()


# generated projects ----------------------------------------------------------------------------

Project = Callable[..., Path]


def write_project(
    root: Path, auth_code: str, *, graphs: dict[str, str] | None = None, files: dict[str, str] | None = None, **extra: Any
) -> Path:
    """A langgraph.json in `root` whose `auth.path` is `auth_code` (dedented) in auth.py
    (and `files`, by name); counter and whoami as graphs unless given; `extra` keys."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "auth.py").write_text(textwrap.dedent(auth_code))
    for name, text in (files or {}).items():
        (root / name).write_text(textwrap.dedent(text))
    config = {
        "graphs": graphs or {
            "counter": str(GRAPHS / "counter.py") + ":graph",
            "whoami": str(AUTH_PROJECT / "whoami.py") + ":whoami",
        },
        "auth": {"path": "./auth.py:auth"},
        **extra,
    }
    path = root / "langgraph.json"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """Write a project with the given auth module; each call gets its own folder."""
    made = 0

    def make(auth_code: str, **extra: Any) -> Path:
        nonlocal made
        made += 1
        return write_project(tmp_path / f"project{made}", auth_code, **extra)

    return make


Serve = Callable[..., Awaitable[str]]


@pytest.fixture
def serve_project(aiohttp_server: Any, project: Project, database: Any) -> Serve:
    """Start a server on a generated project, on each storage backend; returns its URL."""

    async def start(auth_code: str, *, files: dict[str, str] | None = None, http: dict[str, Any] | None = None,
                    **settings: Any) -> str:
        extra: dict[str, Any] = {"http": http} if http else {}
        return await serve(aiohttp_server, project(auth_code, files=files, **extra), db=database(None), **settings)

    return start
