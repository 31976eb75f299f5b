"""`GET /threads/{id}/stream`: every run of a thread, and its state updates, as one stream."""

from __future__ import annotations

import re
from collections.abc import Callable

from aiohttp import web

from threadloom.protocol.errors import ApiError, NotFound, Unprocessable
from threadloom.protocol.filters import matches

from ..context import authorize, records, runtime
from ..http import path_uuid, query_list
from ..operations import Param, operation
from ..sse import write_error, write_stream

routes = web.RouteTableDef()

THREAD_STREAM_MODES = ("run_modes", "lifecycle", "state_update")
_LAST_EVENT_ID = re.compile(r"^\d+(-(\d+|\*))?$")
# the official server's text: its event ids are Redis stream ids (`<ms>-<seq>`), a shape
# these plain numbers fit too
INVALID_LAST_EVENT_ID = "Invalid last-event-id: must be a valid Redis stream ID"


def _wanted(modes: list[str]) -> Callable[[str], bool]:
    """`run_modes`: every run event and `run_done`; `lifecycle`: only the run start and
    `run_done` (both `metadata`); `state_update`: state changes made outside runs."""
    def match(name: str) -> bool:
        if name == "state_update":
            return "state_update" in modes
        return "run_modes" in modes or ("lifecycle" in modes and name == "metadata")

    return match


def _after(request: web.Request) -> int | None:
    raw = request.headers.get("Last-Event-ID")
    if raw is None:
        return None
    if raw == "-":
        return 0
    if not _LAST_EVENT_ID.match(raw):
        raise Unprocessable(INVALID_LAST_EVENT_ID)
    return int(raw.split("-", 1)[0])


def _modes(request: web.Request) -> list[str]:
    """The modes asked for; the first unknown one is a 422. Both SDKs send `stream_mode`,
    the official server reads `stream_modes`: either is accepted."""
    modes = query_list(request, "stream_modes") + query_list(request, "stream_mode") or ["run_modes"]
    for mode in modes:
        if mode not in THREAD_STREAM_MODES:
            raise Unprocessable(f"Invalid stream mode: {mode}")
    return modes


async def _check_readable(request: web.Request, thread_id: str) -> None:
    """`threads.read`. Only a filter from the auth handler needs the thread to exist: as on
    the official server, a stream may otherwise be opened before its thread is created
    (and the runs made on it once it is are streamed)."""
    filter = await authorize(request, "threads", "read", {"thread_id": thread_id})
    if filter is None:
        return
    thread = await records(request).threads.get(thread_id)
    if thread is None or not matches(thread.metadata, filter):
        raise NotFound("Thread not found")


@routes.get("/threads/{thread_id}/stream")
@operation("Stream the events of a thread's runs", stream=True, query=(
    Param("stream_modes", {"type": "array", "items": {"type": "string", "enum": list(THREAD_STREAM_MODES)}}, (
        "What to stream: every run event (`run_modes`, the default), runs starting and ending (`lifecycle`), "
        "state updates made outside runs (`state_update`)"
    )),
    Param("stream_mode", {"type": "array", "items": {"type": "string", "enum": list(THREAD_STREAM_MODES)}}, (
        "As `stream_modes` (the name the SDKs send)"
    )),
), headers=(Param("Last-Event-ID", {"type": "string"}, "Resume after this event (`-`: from the start)"),))
async def join_thread_stream(request: web.Request) -> web.StreamResponse:
    """Malformed ids, modes and Last-Event-ID are a 422; what the auth handler refuses
    (a 403, or a thread it hides) an `error` event in a 200 stream, as on the official
    server."""
    thread_id = path_uuid(request, "thread_id", "thread")
    after = _after(request)
    modes = _modes(request)
    try:
        await _check_readable(request, thread_id)
    except ApiError as exc:
        return await write_error(request, exc)
    log = runtime(request).streams.thread(thread_id)
    return await write_stream(request, log, after=after, wanted=_wanted(modes))
