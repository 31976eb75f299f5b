"""Thread-centric streaming (v3, `client.threads.stream`): the thread's events as
server-sent events (`POST /threads/{id}/stream/events`, a subscription in the body), the
commands (`POST /threads/{id}/commands`), and both over a WebSocket
(`GET /threads/{id}/stream/events`). Runs are ordinary runs of the engine; only the
per-connection session is new (`protocol.v3`, `server.thread_tape`)."""

from __future__ import annotations

import logging

from aiohttp import web

from threadloom.protocol import sse
from threadloom.protocol.errors import ApiError, NotFound
from threadloom.protocol.filters import matches
from threadloom.protocol.serde import dumps, loads
from threadloom.protocol.v3.envelope import CommandReply, ProtocolError, error, parse_command
from threadloom.protocol.v3.filters import BadFilter, Filter, sse_filter

from ..context import authorize, runtime
from ..http import json
from ..operations import operation
from ..sse import SseResponse
from ..thread_socket import ThreadSocket
from ..thread_tape import TapeEnded, ThreadTape
from ..v3commands import dispatch

routes = web.RouteTableDef()
log = logging.getLogger(__name__)
INVALID_JSON = "Invalid JSON body"


async def _check_readable(request: web.Request, thread_id: str) -> None:
    """`threads.read` on the thread: a 403 if the handlers refuse, a 404 if their filter
    hides it. A thread that does not exist yet is readable (without a filter): its stream
    starts delivering once its first run is made."""
    filter = await authorize(request, "threads", "read", {"thread_id": thread_id})
    if filter is None:
        return
    thread = await runtime(request).storage.threads.get(thread_id)
    if thread is None or not matches(thread.metadata, filter):
        raise NotFound("Thread not found")


async def _readable(request: web.Request, thread_id: str) -> bool:
    try:
        await _check_readable(request, thread_id)
    except ApiError:
        return False
    return True


async def _body(request: web.Request) -> object:
    try:
        return loads(await request.read())
    except Exception:
        raise _BadBody(INVALID_JSON) from None


class _BadBody(Exception):
    pass


@routes.post("/threads/{thread_id}/stream/events")
@operation("Stream a thread's events (v3 protocol; a subscription in the body)", stream=True)
async def stream_thread_events(request: web.Request) -> web.StreamResponse:
    thread_id = request.match_info["thread_id"]
    try:
        filter = sse_filter(await _body(request))
    except (_BadBody, BadFilter) as exc:
        return json({"detail": str(exc)}, status=400)
    # As on the official server, a user who may not read the thread gets a 200 without
    # events; here it ends at once (there it stays open), so a client is not left waiting.
    readable = await _readable(request, thread_id)
    response = SseResponse()
    await response.prepare(request)
    try:
        if readable:
            await _send_tape(response, ThreadTape(runtime(request), thread_id), filter)
        response.stop_streaming()
        await response.write_eof()
    except ConnectionResetError:
        pass
    finally:
        response.stop_streaming()
    return response


async def _send_tape(response: SseResponse, tape: ThreadTape, filter: Filter) -> None:
    since = filter.since or 0
    try:
        async for batch in tape.envelopes():
            data = b"".join(
                sse.frame(e["method"], dumps(e), str(e["seq"])) for e in batch if e["seq"] > since and filter.wants(e)
            )
            if data:
                await response.write(data)
    except TapeEnded as exc:
        log.info("thread %s: v3 event stream ends: %s", tape.thread_id, exc)


@routes.post("/threads/{thread_id}/commands")
@operation("Send a v3 protocol command (run.start, input.respond, …)", response=CommandReply)
async def thread_command(request: web.Request) -> web.Response:
    try:
        value = await _body(request)
    except _BadBody as exc:
        return json({"detail": str(exc)}, status=400)
    try:
        command = parse_command(value)
    except ProtocolError as exc:
        return json(error(exc.extra.get("id"), exc), status=400)
    return json(await dispatch(request, request.match_info["thread_id"], command, None))


@routes.get("/threads/{thread_id}/stream/events")
@operation(
    "The thread's events and its commands over a WebSocket (v3 protocol; JSON text frames)",
    content_type="application/json",
)
async def thread_events_socket(request: web.Request) -> web.StreamResponse:
    thread_id = request.match_info["thread_id"]
    await _check_readable(request, thread_id)  # refused: the handshake fails with the 403/404
    ws = web.WebSocketResponse()
    if not ws.can_prepare(request).ok:
        raise NotFound("Not Found")  # a plain GET: no such HTTP route
    await ws.prepare(request)
    await ThreadSocket(request, ws, ThreadTape(runtime(request), thread_id)).run()
    return ws
