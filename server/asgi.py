"""A small ASGI server inside aiohttp: it answers one aiohttp request with an ASGI
application (HTTP or WebSocket), and runs an application's lifespan.

Bodies stream both ways: the application reads the request body as it arrives and each
body message it sends goes out at once (a `StreamingResponse` reaches the client chunk
by chunk). ASGI 2.4: once the client is gone, `send` raises `OSError` and `receive` says
`http.disconnect`; with aiohttp's handler cancellation (`python -m server`) the
application is cancelled as soon as the connection drops.

aiohttp-asgi, used before, ends a streamed answer with a 500 (it hands the application
the request body again where it expects a disconnect), and does not stream request
bodies in."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any

from aiohttp import WSMsgType, hdrs, web
from multidict import CIMultiDict

from threadloom.protocol.errors import BadRequest

log = logging.getLogger("threadloom.asgi")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}
# connection-level headers: each hop sets its own
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
    "te", "trailer", "transfer-encoding", "upgrade",
})


def _address(info: Any) -> tuple[str, int | None] | None:
    if isinstance(info, tuple) and len(info) >= 2:  # (host, port), or IPv6's (host, port, flow, scope)
        return str(info[0]), int(info[1])
    if isinstance(info, str) and info:  # a Unix socket's path
        return info, None
    return None


def server_address(request: web.BaseRequest) -> tuple[str, int | None] | None:
    """Where the connection carrying `request` reached this server."""
    transport = request.transport
    return _address(transport.get_extra_info("sockname")) if transport is not None else None


def is_websocket(request: web.BaseRequest) -> bool:
    return request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"


def scope_of(request: web.BaseRequest, root_path: str, extra: Mapping[str, Any] | None = None) -> Scope:
    """The ASGI scope of an HTTP or WebSocket request; `extra` entries are added to it."""
    transport = request.transport
    websocket = is_websocket(request)
    scheme = request.scheme
    scope: Scope = {
        "type": "websocket" if websocket else "http",
        "asgi": dict(ASGI_VERSION),
        "http_version": f"{request.version.major}.{request.version.minor}",
        "scheme": {"http": "ws", "https": "wss"}[scheme] if websocket else scheme,
        "method": request.method,
        "path": request.path,
        "raw_path": request.raw_path.split("?", 1)[0].encode("latin-1"),
        "query_string": request.rel_url.raw_query_string.encode("latin-1"),
        "root_path": root_path,
        "headers": [(name.lower(), value) for name, value in request.raw_headers],
        "client": _address(transport.get_extra_info("peername")) if transport is not None else None,
        "server": server_address(request),
    }
    if websocket:
        offered = request.headers.get(hdrs.SEC_WEBSOCKET_PROTOCOL, "")
        scope["subprotocols"] = [p.strip() for p in offered.split(",") if p.strip()]
    scope.update(extra or {})
    return scope


def response_headers(headers: Iterable[tuple[bytes, bytes]], drop: frozenset[str] = HOP_BY_HOP) -> CIMultiDict[str]:
    found: CIMultiDict[str] = CIMultiDict()
    for name, value in headers:
        key = name.decode("latin-1")
        if key.lower() not in drop:
            found.add(key, value.decode("latin-1"))
    return found


async def serve(app: ASGIApp, request: web.Request, scope: Scope) -> web.StreamResponse:
    """Answer `request` with `app` (an aiohttp handler's reply)."""
    if scope["type"] == "websocket":
        return await _WebSocket(request).run(app, scope)
    return await _Http(request).run(app, scope)


class _Http:
    def __init__(self, request: web.Request) -> None:
        self._request = request
        self._body_read = False
        self._response: web.StreamResponse | None = None
        self._over = asyncio.Event()  # the answer is complete, or the client is gone
        self._gone = False
        self._complete = False
        self._bad_body: str | None = None  # the request body could not be read: a 400 answers

    async def run(self, app: ASGIApp, scope: Scope) -> web.StreamResponse:
        try:
            await app(scope, self.receive, self.send)
        except Exception:
            if self._bad_body is not None:
                raise BadRequest(self._bad_body) from None
            if self._gone:
                raise ConnectionResetError("the client went away") from None
            if self._response is None or not self._response.prepared:
                raise  # the errors middleware answers 500
            log.exception("the ASGI application failed while answering %s %s", self._request.method, self._request.path)
            if self._complete:  # (Starlette re-raises after sending its 500)
                return self._response
            # part of the answer is out: closing the connection is all that tells the client
            raise ConnectionResetError("the ASGI application failed mid-answer") from None
        if self._bad_body is not None:
            raise BadRequest(self._bad_body)
        if self._gone:
            raise ConnectionResetError("the client went away")
        if self._response is None:
            raise RuntimeError("the ASGI application returned without answering")
        if not self._complete:
            await self._finish(self._response)
        return self._response

    async def receive(self) -> Message:
        if not self._body_read:
            content = self._request.content
            try:
                chunk = await content.readany()
            except web.RequestPayloadError as exc:  # e.g. bytes not in the Content-Encoding it names
                self._bad_body = f"Invalid request body: {getattr(exc.__cause__, 'message', exc)}"
                self._body_read = True
                self._over.set()
                return {"type": "http.disconnect"}
            more = bool(chunk) and not content.at_eof()
            self._body_read = not more
            return {"type": "http.request", "body": chunk, "more_body": more}
        await self._over.wait()  # nothing more comes in: only the end of the exchange
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if self._gone:
            raise OSError("the client went away")
        if self._bad_body is not None:
            return  # the application never saw the body; its answer (likely a 500) gives way to the 400
        kind = message["type"]
        if kind == "http.response.start":
            if self._response is not None:
                raise RuntimeError("http.response.start sent twice")
            self._response = web.StreamResponse(status=message["status"], headers=response_headers(message.get("headers", ())))
        elif kind == "http.response.body":
            response = self._response
            if response is None:
                raise RuntimeError("http.response.body sent before http.response.start")
            if self._complete:
                raise RuntimeError("http.response.body sent after the last one")
            body = bytes(message.get("body", b""))
            more = bool(message.get("more_body", False))
            try:
                if not response.prepared:
                    if not more and hdrs.CONTENT_LENGTH not in response.headers:
                        response.content_length = len(body)
                    await response.prepare(self._request)
                if body and self._request.method != hdrs.METH_HEAD:  # its length is told, never its bytes
                    await response.write(body)
                if not more:
                    await self._finish(response)
            except ConnectionResetError as exc:  # aiohttp's ClientConnectionResetError included
                self._gone = True
                self._over.set()
                raise OSError("the client went away") from exc
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r}")

    async def _finish(self, response: web.StreamResponse) -> None:
        if not response.prepared:
            await response.prepare(self._request)
        await response.write_eof()
        self._complete = True
        self._over.set()


class _WebSocket:
    def __init__(self, request: web.Request) -> None:
        self._request = request
        self._socket: web.WebSocketResponse | None = None
        self._connected = False
        self._refused: web.Response | None = None

    async def run(self, app: ASGIApp, scope: Scope) -> web.StreamResponse:
        try:
            await app(scope, self.receive, self.send)
        except Exception:
            if self._socket is None:
                raise  # the errors middleware answers 500
            log.exception("the ASGI application failed on the websocket %s", self._request.path)
            await self._socket.close(code=1011)  # internal error
            return self._socket
        if self._socket is None:  # closed before accepting: refused, as ASGI servers do
            return self._refused or web.Response(status=403)
        await self._socket.close()
        return self._socket

    async def receive(self) -> Message:
        if not self._connected:
            self._connected = True
            return {"type": "websocket.connect"}
        socket = self._socket
        if socket is None:
            raise RuntimeError("websocket.receive before websocket.accept")
        message = await socket.receive()
        if message.type is WSMsgType.TEXT:
            return {"type": "websocket.receive", "text": message.data}
        if message.type is WSMsgType.BINARY:
            return {"type": "websocket.receive", "bytes": message.data}
        return {"type": "websocket.disconnect", "code": socket.close_code or 1005}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            subprotocol = message.get("subprotocol")
            socket = web.WebSocketResponse(protocols=(subprotocol,) if subprotocol else ())
            socket.headers.extend(response_headers(message.get("headers", ())))
            await socket.prepare(self._request)
            self._socket = socket
        elif kind == "websocket.send":
            socket = self._accepted()
            if message.get("bytes") is not None:
                await socket.send_bytes(message["bytes"])
            else:
                await socket.send_str(message["text"])
        elif kind == "websocket.close":
            if self._socket is None:
                self._refused = web.Response(status=403)
            else:
                await self._socket.close(code=message.get("code", 1000), message=(message.get("reason") or "").encode())
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r}")

    def _accepted(self) -> web.WebSocketResponse:
        if self._socket is None:
            raise RuntimeError("websocket.send before websocket.accept")
        return self._socket


class Lifespan:
    """An ASGI application's lifespan, as an aiohttp `cleanup_ctx`: its startup before the
    server serves (a failed startup stops the server from starting), its shutdown after.
    `state` is what its lifespan leaves for requests (`request.state` in Starlette);
    `extra` entries are added to its scope."""

    def __init__(self, app: ASGIApp, extra: Mapping[str, Any] | None = None) -> None:
        self._app = app
        self._extra = dict(extra or {})
        self.state: dict[str, Any] = {}

    async def __call__(self, _: web.Application) -> AsyncIterator[None]:
        inbox: asyncio.Queue[Message] = asyncio.Queue()
        outbox: asyncio.Queue[Message] = asyncio.Queue()
        scope: Scope = {"type": "lifespan", "asgi": dict(ASGI_VERSION), "state": self.state, **self._extra}
        task: asyncio.Future[None] = asyncio.ensure_future(self._app(scope, inbox.get, outbox.put))
        try:
            await inbox.put({"type": "lifespan.startup"})
            reply = await self._reply(task, outbox)
            if reply is not None and reply["type"] == "lifespan.startup.failed":
                message = str(reply.get("message") or "").strip()
                log.error("http.app: startup failed:\n%s", message)
                # Starlette's message is a traceback: its last line names the error
                raise RuntimeError(f"http.app: startup failed: {message.splitlines()[-1] if message else 'no reason given'}")
            yield
            if reply is None:
                return  # it does not speak the lifespan protocol
            await inbox.put({"type": "lifespan.shutdown"})
            reply = await self._reply(task, outbox)
            if reply is not None and reply["type"] == "lifespan.shutdown.failed":
                log.error("http.app: shutdown failed: %s", reply.get("message") or "no reason given")
        finally:
            if not task.done():
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    @staticmethod
    async def _reply(task: asyncio.Future[None], outbox: asyncio.Queue[Message]) -> Message | None:
        """Its next message, or None if it returned (or failed) without one."""
        getter = asyncio.ensure_future(outbox.get())
        waited: set[asyncio.Future[Any]] = {getter, task}
        await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.debug("http.app: no lifespan (%s)", exc)
        return None
