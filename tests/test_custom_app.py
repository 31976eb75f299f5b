"""The project's own app (`http.app`, reference §6.2), served as the official server
serves it (observed on `langgraph dev` 0.16.7): its streaming routes stream, chunk by
chunk, both ways; its lifespan and websockets work. The app is tests/customapp/app.py;
tests open its gates to let a stream go on, instead of waiting for time to pass."""

from __future__ import annotations

import asyncio
import gzip
import json
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import make_app
from serverproc import ServerProcess
from support import TIMEOUT, until

HERE = Path(__file__).parent
APP = str(HERE / "customapp" / "app.py") + ":app"
GRAPHS = {
    "counter": str(HERE / "graphs" / "counter.py") + ":graph",
}

Serve = Callable[..., Awaitable[str]]


def write_project(folder: Path, **http: Any) -> Path:
    config: dict[str, Any] = {"graphs": GRAPHS, "http": {"app": APP, **http}}
    path = folder / "langgraph.json"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture
def serve(aiohttp_server: Any, tmp_path: Path) -> Serve:
    """Serve the custom app with the given `http` keys; returns the server's root URL."""

    async def start(**http: Any) -> str:
        server = await aiohttp_server(make_app(config=write_project(tmp_path, **http)))
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
    client has gone."""
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
            assert await get_json(session, f"{url}/ok") == {"ok": True}
    finally:
        assert await server.signal(signal.SIGTERM) == 0


async def test_its_lifespan_runs_with_the_server_and_shares_its_state(serve: Serve, session: aiohttp.ClientSession) -> None:
    base = await serve()
    assert await get_json(session, f"{base}/lifespan") == {"greeting": "hello from the lifespan", "events": ["startup"]}


async def test_its_websocket_routes(serve: Serve, session: aiohttp.ClientSession) -> None:
    base = await serve()
    async with session.ws_connect(f"{base}/ws") as ws:
        for text in ("hi", "there"):
            await ws.send_str(text)
            assert (await asyncio.wait_for(ws.receive(), TIMEOUT)).data == f"echo {text}"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:  # closed before accepting
        await session.ws_connect(f"{base}/ws/refused")
    assert refused.value.status == 403


async def test_an_unreadable_body_is_a_400(serve: Serve, session: aiohttp.ClientSession) -> None:
    base = await serve()
    # (Connection: close, as in test_fuzz: aiohttp drops a connection whose body it cannot read)
    garbage = {"Content-Encoding": "gzip", "Content-Type": "application/json", "Connection": "close"}
    for path in ("/threads", "/echo-lines"):
        async with session.post(base + path, data=b"not gzip at all", headers=garbage) as resp:
            assert resp.status == 400, path
            assert (await resp.json())["detail"].startswith("Invalid request body"), path
    async with session.post(f"{base}/threads", data=gzip.compress(b'{"metadata": {"z": 1}}'), headers=garbage) as resp:
        assert resp.status == 200 and (await resp.json())["metadata"] == {"z": 1}
