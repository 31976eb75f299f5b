"""The server's way back into itself: an ASGI application that sends a request on to this
server's own routes over a loopback connection, and streams the answer back.

Two things need it. The project's middleware (`http.app`) wraps the whole API, as on the
official server, and may rewrite a request (its body, its headers) before the API sees
it; and `langgraph_sdk.get_client()` without a URL talks to the server it runs in. Why a
connection rather than a call: aiohttp only serves requests it parsed itself (its public
API gives a handler no way to take a body or a response writer of someone else's), and a
rewritten request must reach the API exactly as a client's would.

A forwarded request carries a one-time token in `X-Threadloom-Handoff`, registered just
before it is sent and spent when it arrives, from this machine, at this server. The
server then admits it as forwarded (`FORWARDED`), keeping what the original request
said of its origin: its request id, its client's address, and whether it comes from
the in-process SDK client (which skips authentication, as the official server's
`/noauth` does). Anything else carrying the header is an ordinary request."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote, unquote

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import CIMultiDict
from yarl import URL

from threadloom.protocol.serde import dumps

from . import requestid
from .asgi import HOP_BY_HOP, Message, Receive, Scope, Send, server_address
from .listening import LISTENING, local_address

HANDOFF = "X-Threadloom-Handoff"
ORIGIN = "threadloom.origin"  # the scope key that says where a request to forward comes from
# the body arrives decoded (aiohttp undoes Content-Encoding) and is measured again on the way
_NOT_FORWARDED = HOP_BY_HOP | {"content-length", "content-encoding", "expect", HANDOFF.lower()}
_NOT_ADDED = frozenset({"Accept", "Accept-Encoding", "User-Agent", "Content-Type"})  # the client's, or none


@dataclass(frozen=True)
class Origin:
    request_id: str | None = None
    remote: str | None = None
    in_process: bool = False  # from langgraph_sdk.get_client() in this process: no authentication


FORWARDED = web.RequestKey("forwarded", Origin)


def in_process(request: web.Request) -> bool:
    """The request comes from the SDK's in-process client."""
    origin = request.get(FORWARDED)
    return origin is not None and origin.in_process


class SelfProxy:
    def __init__(self) -> None:
        self._expected: dict[str, Origin] = {}  # tokens of forwarded requests on their way
        self._address: tuple[str, int] | None = None  # where this server was last reached
        self._session: aiohttp.ClientSession | None = None

    def install(self, app: web.Application) -> None:
        app.cleanup_ctx.append(self._client)
        app.middlewares.append(self.admit)

    async def _client(self, app: web.Application) -> AsyncIterator[None]:
        if (listening := app.get(LISTENING)) is not None:  # else learnt from the first request
            self._address = local_address(listening)
        # streams hold their connection for as long as a run: no pool limit and no timeout;
        # bodies go back as they came (compressed or not)
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=None)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=False) as session:
            self._session = session
            yield
            self._session = None

    @web.middleware
    async def admit(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        here = server_address(request)
        if here is not None and here[1] is not None:
            self._address = (here[0], here[1])
        token = request.headers.get(HANDOFF)
        origin = self._expected.pop(token, None) if token else None
        if origin is None or not _from_this_machine(request):
            return await handler(request)
        headers = CIMultiDict(request.headers)
        headers.popall(HANDOFF)
        forwarded = request.clone(headers=headers) if origin.remote is None else request.clone(headers=headers, remote=origin.remote)
        forwarded[FORWARDED] = origin
        return await handler(forwarded)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise RuntimeError(f"cannot forward a {scope['type']} request")
        session, address = self._session, self._address
        if session is None or address is None:
            # the address is learnt from the requests the server receives
            await _answer(send, 503, "The server cannot reach itself before it has served a request")
            return
        body = await _body(receive)
        if body is None:
            return  # the client left before sending its body
        origin = scope.get(ORIGIN) or Origin()
        token = secrets.token_urlsafe(16)
        self._expected[token] = origin
        started = False
        try:
            async with session.request(
                scope["method"], _url(address, scope), headers=_headers(scope, token, origin), data=body or None,
                allow_redirects=False, skip_auto_headers=_NOT_ADDED,
            ) as upstream:
                headers = [(k, v) for k, v in upstream.raw_headers if k.decode("latin-1").lower() not in HOP_BY_HOP]
                await send({"type": "http.response.start", "status": upstream.status, "headers": headers})
                started = True
                async for chunk in upstream.content.iter_any():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except aiohttp.ClientConnectionError as exc:
            if started:
                raise
            await _answer(send, 502, f"The server could not reach itself: {exc}")
        finally:
            self._expected.pop(token, None)


def _from_this_machine(request: web.Request) -> bool:
    transport = request.transport
    if transport is None:
        return False
    peer, here = transport.get_extra_info("peername"), transport.get_extra_info("sockname")
    return isinstance(peer, tuple) and isinstance(here, tuple) and peer[0] == here[0]


def _url(address: tuple[str, int], scope: Scope) -> URL:
    host, port = address
    path = scope["path"]
    raw = (scope.get("raw_path") or b"").decode("latin-1")
    if not raw or unquote(raw) != path:  # a middleware rewrote the path alone
        raw = quote(path)
    query = scope.get("query_string", b"").decode("latin-1")
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return URL(f"http://{netloc}{raw}" + (f"?{query}" if query else ""), encoded=True)


def _headers(scope: Scope, token: str, origin: Origin) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in scope["headers"]:
        key = name.decode("latin-1")
        if key.lower() not in _NOT_FORWARDED:
            headers.add(key, value.decode("latin-1"))
    if origin.request_id is not None:  # one id for the request on both legs
        headers[requestid.HEADER] = origin.request_id
    if scope["method"] == "HEAD":  # its answer ends at the headers, maybe before its handler: no reuse
        headers["Connection"] = "close"
    headers[HANDOFF] = token
    return headers


async def _body(receive: Receive) -> bytes | AsyncIterator[bytes] | None:
    """All of the body if it came in one message, else a stream of it; None if the
    client left first."""
    first = await receive()
    if first["type"] == "http.disconnect":
        return None
    if not first.get("more_body", False):
        return bytes(first.get("body", b""))

    async def rest() -> AsyncIterator[bytes]:
        message: Message = first
        while True:
            yield bytes(message.get("body", b""))
            if not message.get("more_body", False):
                return
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ConnectionResetError("the client left mid-body")

    return rest()


async def _answer(send: Send, status: int, detail: str) -> None:
    body = dumps({"detail": detail})
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
