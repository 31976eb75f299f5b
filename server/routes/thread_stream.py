"""`GET /threads/{id}/stream`: every run of a thread, and its state updates, as one stream."""

from __future__ import annotations

import re
from collections.abc import Callable

from aiohttp import web

from threadloom.protocol.errors import Unprocessable

from ..context import runtime, thread_for
from ..http import path_uuid, query_list
from ..operations import Param, operation
from ..sse import write_stream

routes = web.RouteTableDef()

THREAD_STREAM_MODES = ("run_modes", "lifecycle", "state_update")
_LAST_EVENT_ID = re.compile(r"^\d+(-(\d+|\*))?$")


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
        raise Unprocessable("Invalid Last-Event-ID: expected a number, or '-' for everything")
    return int(raw.split("-", 1)[0])


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
    thread_id = path_uuid(request, "thread_id", "thread")
    await thread_for(request, thread_id, "read")
    # both SDKs send `stream_mode`, the reference names it `stream_modes`: accept either
    modes = query_list(request, "stream_modes") + query_list(request, "stream_mode") or ["run_modes"]
    unknown = sorted(set(modes) - set(THREAD_STREAM_MODES))
    if unknown:
        raise Unprocessable(f"Invalid stream mode(s) {unknown}: expected any of {list(THREAD_STREAM_MODES)}")
    after = _after(request)
    log = runtime(request).streams.thread(thread_id)
    return await write_stream(request, log, after=after, wanted=_wanted(modes))
