"""The project's own app (`http.app`, reference §6.2), served as the official server
serves it (observed on `langgraph dev` 0.16.7): its streaming routes stream, chunk by
chunk, both ways; its middleware (BaseHTTPMiddleware or pure ASGI) wraps the whole API,
outside CORS and authentication, so it may rewrite a run before the API sees it and mark
every answer; `langgraph_sdk.get_client()` without a URL reaches this server, from a
custom route or a graph node, skipping authentication. The app is tests/customapp/app.py;
tests open its gates to let a stream go on, instead of waiting for time to pass."""

from __future__ import annotations

import asyncio
import gzip
import json
import signal
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from auth_support import TOKEN_AUTH
from conftest import make_app
from langgraph_sdk import get_client
from serverproc import ServerProcess
from support import TIMEOUT, until
from test_cli import clean_env, run_to_exit

HERE = Path(__file__).parent
APP = str(HERE / "customapp" / "app.py") + ":app"
GRAPHS = {
    "counter": str(HERE / "graphs" / "counter.py") + ":graph",
    "slow": str(HERE / "graphs" / "slow.py") + ":graph",
    "caller": str(HERE / "customapp" / "caller.py") + ":graph",
}

OK = {"Authorization": "Bearer ok"}
LOG: Any = {"log": ["original"]}  # the counter graph's input, before the middleware rewrites it

Serve = Callable[..., Awaitable[str]]


def write_project(folder: Path, *, auth: bool = False, app: bool = True, **http: Any) -> Path:
    config: dict[str, Any] = {"graphs": GRAPHS, "http": {**({"app": APP} if app else {}), **http}}
    if auth:
        (folder / "auth.py").write_text(TOKEN_AUTH)
        config["auth"] = {"path": "./auth.py:auth"}
    path = folder / "langgraph.json"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture
def serve(aiohttp_server: Any, tmp_path: Path) -> Serve:
    """Serve the custom app (none with app=False) with the given `http` keys (and token
    auth with auth=True); returns the server's root URL."""

    async def start(*, auth: bool = False, app: bool = True, **http: Any) -> str:
        server = await aiohttp_server(make_app(config=write_project(tmp_path, auth=auth, app=app, **http)))
        return str(server.make_url("")).rstrip("/")

    return start


async def get_json(session: aiohttp.ClientSession, url: str, **kwargs: Any) -> Any:
    async with session.get(url, **kwargs) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def read_line(resp: aiohttp.ClientResponse) -> bytes:
    # a guard, not a measure: a bridge that held the stream back would hang here
    return await asyncio.wait_for(resp.content.readline(), TIMEOUT)


# streaming ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/api"])
async def test_a_streaming_route_streams_chunk_by_chunk(serve: Serve, session: aiohttp.ClientSession, prefix: str) -> None:
    """The client has the first chunk while the route is still held before the second."""
    base = await serve(**({"mount_prefix": prefix} if prefix else {})) + prefix
    async with session.get(f"{base}/stream", params={"name": "a"}) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
        assert resp.headers["x-tagged"] == "yes"  # its middleware, on its own route
        assert await read_line(resp) == b"first\n"
        assert (await get_json(session, f"{base}/stream/state", params={"name": "a"})) == {"state": "streaming"}
        await session.post(f"{base}/gates/a")
        assert await asyncio.wait_for(resp.content.read(), TIMEOUT) == b"second\nthird\n"
    assert (await get_json(session, f"{base}/stream/state", params={"name": "a"})) == {"state": "done"}


async def test_a_request_body_streams_in_while_the_answer_streams_out(serve: Serve, session: aiohttp.ClientSession) -> None:
    """Full duplex: the route answers each chunk of the body before the next is sent."""
    base = await serve()
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def body() -> AsyncIterator[bytes]:
        while (chunk := await chunks.get()) is not None:
            yield chunk

    await chunks.put(b"one")
    async with session.post(f"{base}/echo-lines", data=body()) as resp:
        assert resp.status == 200
        assert await asyncio.wait_for(resp.content.readany(), TIMEOUT) == b"got one"
        await chunks.put(b"two")
        assert await asyncio.wait_for(resp.content.readany(), TIMEOUT) == b"got two"
        await chunks.put(None)
        assert await asyncio.wait_for(resp.content.read(), TIMEOUT) == b""


async def test_a_stream_stops_when_its_client_goes_away(tmp_path: Path) -> None:
    """`python -m server`: the route's generator is stopped (its `finally` runs) once the
    client has gone, through the middleware and back into the server."""
    server = ServerProcess(tmp_path / "db.sqlite", config=write_project(tmp_path))
    url = await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{url}/stream", params={"name": "left"}) as resp:
                assert await read_line(resp) == b"first\n"
                assert resp.connection is not None and resp.connection.transport is not None
                resp.connection.transport.close()  # the client goes away mid-stream

            async def stopped() -> bool:
                return (await get_json(session, f"{url}/stream/state", params={"name": "left"}))["state"] == "stopped"

            await until(stopped)
            assert await get_json(session, f"{url}/ok") == {"ok": True, "services": {}}
    finally:
        assert await server.signal(signal.SIGTERM) == 0


async def test_its_lifespan_runs_with_the_server_and_shares_its_state(serve: Serve, session: aiohttp.ClientSession) -> None:
    base = await serve()
    assert await get_json(session, f"{base}/lifespan") == {"greeting": "hello from the lifespan", "events": ["startup"]}


async def test_a_failed_startup_of_its_lifespan_stops_the_server(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(textwrap.dedent("""
        from contextlib import asynccontextmanager
        from starlette.applications import Starlette

        @asynccontextmanager
        async def lifespan(app):
            raise RuntimeError("no database here")
            yield

        app = Starlette(lifespan=lifespan)
    """))
    (tmp_path / "langgraph.json").write_text(json.dumps({"graphs": GRAPHS, "http": {"app": "./broken.py:app"}}))
    code, _, err = await run_to_exit("--config", str(tmp_path / "langgraph.json"), "--memory", "--port", "0", cwd=tmp_path, env=clean_env())
    assert code == 1
    assert err.strip().splitlines()[-1] == "threadloom: error: could not start: http.app: startup failed: RuntimeError: no database here"


async def test_a_head_request_gets_the_headers_alone(serve: Serve, session: aiohttp.ClientSession) -> None:
    base = await serve()
    async with session.get(f"{base}/lifespan") as resp:
        length = resp.headers["Content-Length"]
    for _ in range(2):  # (and the connections it used are sound)
        async with session.head(f"{base}/lifespan") as resp:
            assert resp.status == 200 and resp.headers["Content-Length"] == length
            assert resp.headers["x-tagged"] == "yes" and await resp.read() == b""
        assert await get_json(session, f"{base}/lifespan")


async def test_its_websocket_routes(serve: Serve, session: aiohttp.ClientSession) -> None:
    base = await serve()
    async with session.ws_connect(f"{base}/ws") as ws:
        for text in ("hi", "there"):
            await ws.send_str(text)
            assert (await asyncio.wait_for(ws.receive(), TIMEOUT)).data == f"echo {text}"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:  # closed before accepting
        await session.ws_connect(f"{base}/ws/refused")
    assert refused.value.status == 403


# its middleware around the API -----------------------------------------------------------------


async def test_its_middleware_wraps_every_route_of_the_server(serve: Serve, session: aiohttp.ClientSession) -> None:
    """As on the official server: the health check, the API's description, metrics, API
    routes, unknown paths and CORS preflights all go through it, outermost first."""
    base = await serve()
    asks = [("GET", "/ok"), ("GET", "/info"), ("GET", "/docs"), ("GET", "/openapi.json"), ("GET", "/metrics"),
            ("POST", "/threads"), ("POST", "/assistants/search"), ("GET", "/nothing/here")]
    for method, path in asks:
        async with session.request(method, base + path, json={} if method == "POST" else None) as resp:
            assert resp.headers.get("x-tagged") == "yes" and resp.headers.get("x-rewritten-by") == "rewriter", path
            assert resp.status == (404 if path == "/nothing/here" else 200), path
    preflight = {"Origin": "https://studio.example", "Access-Control-Request-Method": "POST"}
    async with session.options(f"{base}/threads", headers=preflight) as resp:
        assert resp.status == 200 and resp.headers["Access-Control-Allow-Origin"] == "*"
        assert resp.headers["x-tagged"] == "yes"
    seen = await get_json(session, f"{base}/seen")
    for method, path in [*asks, ("OPTIONS", "/threads")]:
        i = seen.index(["tagger", method, path])
        assert seen[i + 1] == ["rewriter", method, path]


async def test_a_middleware_rewrites_a_run_before_the_api_sees_it(serve: Serve) -> None:
    """The pure ASGI middleware changes the run's input and metadata on the way in; the
    run is made of what it left."""
    url = await serve()
    client = get_client(url=url, api_key=None, headers={"x-rewrite": "yes"})
    plain = get_client(url=url, api_key=None)
    try:
        thread = await plain.threads.create()
        result: Any = await client.runs.wait(thread["thread_id"], "counter", input=LOG, metadata={"mine": 1})
        assert result["log"] == ["rewritten", "first", "second"]
        [run] = await plain.runs.list(thread["thread_id"])
        metadata: Any = run["metadata"]
        assert metadata["rewritten"] is True and metadata["mine"] == 1
        # a streamed run goes through it too
        parts: Any = [part async for part in client.runs.stream(None, "counter", input=LOG, stream_mode="values")]
        assert parts[-1].data["log"] == ["rewritten", "first", "second"]
    finally:
        await client.http.client.aclose()
        await plain.http.client.aclose()


async def test_an_api_stream_through_the_middleware_arrives_as_the_run_goes(serve: Serve) -> None:
    """Its first events are read while the run is still running."""
    client = get_client(url=await serve(), api_key=None)
    try:
        thread = await client.threads.create()
        run = await client.runs.create(thread["thread_id"], "slow", input={"steps": 10_000, "delay": 0.01, "tag": "s"})
        async for part in client.runs.join_stream(thread["thread_id"], run["run_id"], stream_mode="values"):
            if part.event == "values" and part.data.get("items"):
                break
        assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "running"
        await client.runs.cancel(thread["thread_id"], run["run_id"], wait=True)
    finally:
        await client.http.client.aclose()


async def test_its_middleware_runs_before_authentication(serve: Serve, session: aiohttp.ClientSession) -> None:
    """(`middleware_order: middleware_first`, the official default.) It sees, and marks,
    the 401; a header it adds is what authentication sees."""
    base = await serve(auth=True, enable_custom_route_auth=True)
    async with session.post(f"{base}/threads/search", json={}) as resp:
        assert resp.status == 401 and resp.headers["x-tagged"] == "yes"
        assert (await resp.json()) == {"detail": "Missing token"}
    async with session.post(f"{base}/threads", json={}, headers={"x-magic": "please"}) as resp:
        assert resp.status == 200 and "thread_id" in await resp.json()
    async with session.get(f"{base}/lifespan") as resp:  # its own routes are protected here
        assert resp.status == 401 and resp.headers["x-tagged"] == "yes"
    async with session.get(f"{base}/lifespan", headers={"x-magic": "please"}) as resp:
        assert resp.status == 200


async def test_under_a_mount_prefix_what_stays_at_the_root_is_outside_it(serve: Serve, session: aiohttp.ClientSession) -> None:
    base = await serve(mount_prefix="/api")
    for path, marked in (("/api/ok", True), ("/api/threads/search", True), ("/ok", False), ("/metrics", False)):
        async with session.request("POST" if path.endswith("search") else "GET", base + path, json={}) as resp:
            assert resp.status == 200, path
            assert ("x-tagged" in resp.headers) is marked, path


async def test_a_forged_handoff_is_an_ordinary_request(serve: Serve, session: aiohttp.ClientSession) -> None:
    """The token that lets a request back in unauthenticated cannot be made up."""
    base = await serve(auth=True)
    for token in ("", "guess", "x" * 22):
        async with session.post(f"{base}/threads/search", json={}, headers={"X-Threadloom-Handoff": token}) as resp:
            assert resp.status == 401, token


async def test_an_unreadable_body_through_the_middleware_is_a_400(serve: Serve, session: aiohttp.ClientSession) -> None:
    base = await serve()
    # (Connection: close, as in test_fuzz: aiohttp drops a connection whose body it cannot read)
    garbage = {"Content-Encoding": "gzip", "Content-Type": "application/json", "Connection": "close"}
    for path in ("/threads", "/echo-lines"):
        async with session.post(base + path, data=b"not gzip at all", headers=garbage) as resp:
            assert resp.status == 400, path
            assert (await resp.json())["detail"].startswith("Invalid request body"), path
    async with session.post(f"{base}/threads", data=gzip.compress(b'{"metadata": {"z": 1}}'), headers=garbage) as resp:
        assert resp.status == 200 and (await resp.json())["metadata"] == {"z": 1}


# the SDK's in-process client -----------------------------------------------------------------------


async def graphs_seen_by_caller(client: Any) -> list[str]:
    """What the `caller` graph's node found through its in-process client."""
    result: Any = await client.runs.wait(None, "caller", input={})
    return list(result["graphs"])


@pytest.mark.parametrize(("prefix", "auth"), [("", False), ("/api", True)], ids=["plain", "prefix-and-auth"])
async def test_get_client_without_a_url_reaches_this_server(
    serve: Serve, session: aiohttp.ClientSession, prefix: str, auth: bool
) -> None:
    """From a custom route (a client made inside the request, or at import) and from a
    graph node; through the app's middleware, and without authentication, as the
    official server's in-process client."""
    base = await serve(auth=auth, **({"mount_prefix": prefix} if prefix else {})) + prefix
    headers = OK if auth else {}
    made_here = await get_json(session, f"{base}/sdk/made-here", headers=headers)
    assert made_here["found"] == [made_here["thread_id"]]
    assert await get_json(session, f"{base}/sdk/made-at-import", headers=headers) == {"graphs": ["caller", "counter", "slow"]}
    seen = await get_json(session, f"{base}/seen")
    assert ["rewriter", "POST", f"{prefix}/threads"] in seen  # its middleware saw the in-process call
    client = get_client(url=base, api_key=None, headers=headers)
    try:
        assert await graphs_seen_by_caller(client) == ["caller", "counter", "slow"]
    finally:
        await client.http.client.aclose()


async def test_get_client_without_a_url_reaches_this_server_without_a_custom_app_too(serve: Serve) -> None:
    client = get_client(url=await serve(app=False, auth=True), api_key=None, headers=OK)
    try:
        assert await graphs_seen_by_caller(client) == ["caller", "counter", "slow"]
    finally:
        await client.http.client.aclose()
