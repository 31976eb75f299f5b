"""One HTTP request passed on to another server as it came, and its answer passed back as it
is produced: a stream chunk by chunk, a WebSocket message by message both ways. The
cluster forwards a thread's requests to its owner with it (`forwarding.py`)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp import web

from .asgi import HOP_BY_HOP
from .http import raw_body

# the body is sent as aiohttp read it: already decoded from its Content-Encoding. `Host`
# goes on: the other server then names the address the client used, as a balancer's
# backends do (an A2A card's URL, for one).
_NOT_SENT = HOP_BY_HOP | {"content-length", "content-encoding"}
_NOT_RETURNED = HOP_BY_HOP | {"content-length"}
_SOCKET_HANDSHAKE = frozenset({"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol"})


class Unreachable(Exception):
    """The other server could not be reached (nothing was answered yet)."""


def passed_headers(request: web.Request, also: frozenset[str] | set[str] = frozenset()) -> dict[str, str]:
    """The request's end-to-end headers (hop-by-hop ones and `Content-Length` are the
    connection's, not the request's; its body is passed on decoded), less `also`."""
    dropped = _NOT_SENT | also
    return {k: v for k, v in request.headers.items() if k.lower() not in dropped}


async def relay(
    request: web.Request, session: aiohttp.ClientSession, base_url: str, extra: Mapping[str, str],
) -> web.StreamResponse:
    """`request` sent to `base_url` (same path and query, its headers plus `extra`); its
    answer, as it comes. A connection lost mid-answer ends the answer here too (a client
    resumes a stream elsewhere). Raises `Unreachable` if nothing was answered."""
    if web.WebSocketResponse().can_prepare(request).ok:
        return await _relay_socket(request, session, base_url, extra)
    body = await raw_body(request)
    response: web.StreamResponse | None = None
    try:
        async with session.request(
            request.method, base_url + request.rel_url.raw_path_qs, headers={**passed_headers(request), **extra},
            data=body or None, allow_redirects=False,
        ) as upstream:
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            for key, value in upstream.headers.items():
                if key.lower() not in _NOT_RETURNED:
                    response.headers.add(key, value)
            await response.prepare(request)
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response
    except aiohttp.ClientConnectionError as exc:
        if response is not None:
            return response
        raise Unreachable(str(exc)) from exc


async def _relay_socket(
    request: web.Request, session: aiohttp.ClientSession, base_url: str, extra: Mapping[str, str],
) -> web.StreamResponse:
    """A WebSocket: the other server's handshake first (what it refuses is refused here
    with the same status), then every message passed on both ways until either side
    closes, with its close code."""
    headers = {**passed_headers(request, also=_SOCKET_HANDSHAKE), **extra}
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
    try:
        upstream = await session.ws_connect(
            base_url + request.rel_url.raw_path_qs, headers=headers, protocols=offered, autoping=True,
        )
    except aiohttp.WSServerHandshakeError as exc:
        return web.json_response({"detail": exc.message or "refused"}, status=exc.status)
    except aiohttp.ClientConnectionError as exc:
        raise Unreachable(str(exc)) from exc
    async with upstream:
        socket = web.WebSocketResponse(protocols=(upstream.protocol,) if upstream.protocol else ())
        await socket.prepare(request)
        pumps = [asyncio.create_task(_pump(upstream, socket)), asyncio.create_task(_pump(socket, upstream))]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.wait(pumps)
        code = upstream.close_code if upstream.closed else socket.close_code
        await socket.close(code=code or aiohttp.WSCloseCode.GOING_AWAY)
        await upstream.close(code=socket.close_code or aiohttp.WSCloseCode.GOING_AWAY)
    return socket


async def _pump(source: Any, sink: Any) -> None:
    """The messages `source` receives, sent on by `sink` (either side's WebSocket), until
    `source` closes."""
    async for message in source:
        if message.type is aiohttp.WSMsgType.TEXT:
            await sink.send_str(message.data)
        elif message.type is aiohttp.WSMsgType.BINARY:
            await sink.send_bytes(message.data)
