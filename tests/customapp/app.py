"""The custom app (`http.app`) of the custom-app tests: streaming routes held at gates the
test opens, a full-duplex echo, a websocket, routes that call this server through the
SDK's in-process client, and two middlewares (one of each kind) that mark and rewrite
what passes through them, the API included."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from langgraph_sdk import get_client
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

SEEN: list[list[Any]] = []  # [middleware, method, path] of each request a middleware saw
GATES: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
STREAMS: dict[str, str] = {}  # how each gated stream ended
EVENTS: list[str] = []

made_at_import = get_client()  # the SDK's in-process client, made before the server is up


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
    EVENTS.append("startup")
    yield {"greeting": "hello from the lifespan"}
    EVENTS.append("shutdown")


class Tagger(BaseHTTPMiddleware):
    """Marks every response; with `x-magic: please`, signs the request in (Authorization)."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        SEEN.append(["tagger", request.method, request.url.path])
        if request.headers.get("x-magic") == "please":
            request.scope["headers"] = [*request.scope["headers"], (b"authorization", b"Bearer ok")]
        response = await call_next(request)
        response.headers["x-tagged"] = "yes"
        return response


class Rewriter:
    """Pure ASGI: a run created with `x-rewrite: yes` gets other input and one more metadata
    key; every answer gets `x-rewritten-by`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        SEEN.append(["rewriter", scope["method"], scope["path"]])
        headers = dict(scope["headers"])
        if headers.get(b"x-rewrite") == b"yes" and scope["method"] == "POST":
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            run = json.loads(body)
            run["input"] = {"log": ["rewritten"]}
            run["metadata"] = {**(run.get("metadata") or {}), "rewritten": True}
            receive = _replay(json.dumps(run).encode(), receive)

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-rewritten-by", b"rewriter")]}
            await send(message)

        await self.app(scope, receive, marked)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def stream(request: Request) -> StreamingResponse:
    """`first`, then `second` once the test opens gate `name`, then `third`."""
    name = request.query_params["name"]

    async def chunks() -> AsyncIterator[str]:
        STREAMS[name] = "streaming"
        try:
            yield "first\n"
            await GATES[name].wait()
            yield "second\n"
            yield "third\n"
            STREAMS[name] = "done"
        finally:
            if STREAMS[name] != "done":
                STREAMS[name] = "stopped"

    return StreamingResponse(chunks(), media_type="text/plain")


async def stream_state(request: Request) -> JSONResponse:
    return JSONResponse({"state": STREAMS.get(request.query_params["name"])})


async def open_gate(request: Request) -> JSONResponse:
    GATES[request.path_params["name"]].set()
    return JSONResponse({"opened": request.path_params["name"]})


async def echo_lines(request: Request) -> StreamingResponse:
    """Each chunk of the request body, answered as it arrives."""

    async def answers() -> AsyncIterator[bytes]:
        async for chunk in request.stream():
            if chunk:
                yield b"got " + chunk

    return StreamingResponse(answers(), media_type="text/plain")


async def lifespan_state(request: Request) -> JSONResponse:
    return JSONResponse({"greeting": request.state.greeting, "events": EVENTS})


async def seen(request: Request) -> JSONResponse:
    return JSONResponse(SEEN)


async def call_made_here(request: Request) -> JSONResponse:
    """The in-process client, made inside the request."""
    client = get_client()
    thread = await client.threads.create(metadata={"made_by": "custom route"})
    found = await client.threads.search(metadata={"made_by": "custom route"})
    return JSONResponse({"thread_id": thread["thread_id"], "found": [t["thread_id"] for t in found]})


async def call_made_at_import(request: Request) -> JSONResponse:
    assistants = await made_at_import.assistants.search()
    return JSONResponse({"graphs": sorted(a["graph_id"] for a in assistants)})


async def echo_socket(websocket: WebSocket) -> None:
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(f"echo {text}")


async def refuse_socket(websocket: WebSocket) -> None:
    await websocket.close()


app = Starlette(
    routes=[
        Route("/stream", stream),
        Route("/stream/state", stream_state),
        Route("/gates/{name}", open_gate, methods=["POST"]),
        Route("/echo-lines", echo_lines, methods=["POST"]),
        Route("/lifespan", lifespan_state),
        Route("/seen", seen),
        Route("/sdk/made-here", call_made_here),
        Route("/sdk/made-at-import", call_made_at_import),
        WebSocketRoute("/ws", echo_socket),
        WebSocketRoute("/ws/refused", refuse_socket),
    ],
    middleware=[Middleware(Tagger), Middleware(Rewriter)],
    lifespan=lifespan,
)
