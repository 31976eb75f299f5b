"""Threads: create, get, patch, delete, search, state and history."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from actors.newrun import RESERVED_METADATA
from protocol import clock
from protocol.errors import Conflict, Unprocessable
from protocol.ids import parse_uuid, uuid7
from protocol.requests import HistoryRequest, ThreadCreate, ThreadPatch, ThreadSearch
from protocol.resources import EMPTY_STATE, Thread
from protocol.state import thread_state

from ..context import get_thread, runtime
from ..http import body, json, no_content, path_uuid, query_bool

routes = web.RouteTableDef()

MAX_SEARCH_IDS = 10_000  # each is a bound SQL parameter


@routes.post("/threads")
async def create_thread(request: web.Request) -> web.Response:
    req = await body(request, ThreadCreate)
    thread_id = parse_uuid(req.thread_id, "thread") if req.thread_id is not None else uuid7()
    metadata = {k: v for k, v in (req.metadata or {}).items() if k not in RESERVED_METADATA}
    if req.graph_id:
        metadata["graph_id"] = req.graph_id
    now = clock.now_iso()
    thread = Thread(thread_id=thread_id, created_at=now, updated_at=now, state_updated_at=now, metadata=metadata)
    if not await runtime(request).create_thread(thread, req.supersteps):
        if req.if_exists == "do_nothing":
            return json(await get_thread(request, thread_id))
        raise Conflict(f"Thread with ID {thread_id} already exists")
    return json(await get_thread(request, thread_id))


@routes.post("/threads/search")
async def search_threads(request: web.Request) -> web.Response:
    req = await body(request, ThreadSearch)
    if not 1 <= req.limit <= 1000 or req.offset < 0:
        raise Unprocessable("limit must be between 1 and 1000 and offset at least 0")
    ids = list(dict.fromkeys(parse_uuid(i, "thread") for i in req.ids)) if req.ids is not None else None
    if ids is not None and len(ids) > MAX_SEARCH_IDS:
        raise Unprocessable(f"ids: at most {MAX_SEARCH_IDS} thread IDs per search")
    threads = await runtime(request).storage.threads.search(
        ids=ids, metadata=req.metadata, values=req.values, status=req.status, limit=req.limit, offset=req.offset
    )
    return json(threads)


@routes.get("/threads/{thread_id}")
async def get_thread_route(request: web.Request) -> web.Response:
    return json(await get_thread(request, path_uuid(request, "thread_id", "thread")))


@routes.patch("/threads/{thread_id}")
async def patch_thread(request: web.Request) -> web.Response:
    thread_id = path_uuid(request, "thread_id", "thread")
    req = await body(request, ThreadPatch)
    await get_thread(request, thread_id)
    metadata = {k: v for k, v in (req.metadata or {}).items() if k not in RESERVED_METADATA}
    thread = await runtime(request).patch_thread(thread_id, metadata)
    if request.headers.get("Prefer", "").replace(" ", "") == "return=minimal":
        return no_content()
    return json(thread)


@routes.delete("/threads/{thread_id}")
async def delete_thread(request: web.Request) -> web.Response:
    thread_id = path_uuid(request, "thread_id", "thread")
    await get_thread(request, thread_id)
    await runtime(request).delete_thread(thread_id)
    return no_content()


async def _graph_state_reader(request: web.Request, thread: Thread) -> Any:
    graph_id = thread.metadata.get("graph_id")
    if graph_id not in runtime(request).graphs.graph_ids():
        return None
    config = {"configurable": {"thread_id": thread.thread_id, "graph_id": graph_id}}
    return runtime(request).graphs.open(graph_id, config, access="threads.read")


@routes.get("/threads/{thread_id}/state")
async def get_state(request: web.Request) -> web.Response:
    thread = await get_thread(request, path_uuid(request, "thread_id", "thread"))
    opened = await _graph_state_reader(request, thread)
    if opened is None:
        return json(EMPTY_STATE)
    async with opened as graph:
        snapshot = await graph.aget_state(
            {"configurable": {"thread_id": thread.thread_id}}, subgraphs=query_bool(request, "subgraphs")
        )
    return json(thread_state(snapshot))


def _checkpoint_config(thread_id: str, checkpoint: dict[str, Any] | str | None) -> dict[str, Any] | None:
    """A checkpoint given as an id, as `{"configurable": {...}}`, or flat."""
    if checkpoint is None:
        return None
    if isinstance(checkpoint, str):
        checkpoint = {"checkpoint_id": checkpoint}
    fields = checkpoint.get("configurable", checkpoint)
    if not isinstance(fields, dict):
        raise Unprocessable("Invalid checkpoint: expected an object")
    keep = {k: v for k, v in fields.items() if k in ("checkpoint_id", "checkpoint_ns", "checkpoint_map") and v is not None}
    return {"configurable": {"thread_id": thread_id, "checkpoint_ns": "", **keep}}


@routes.post("/threads/{thread_id}/history")
async def post_history(request: web.Request) -> web.Response:
    thread = await get_thread(request, path_uuid(request, "thread_id", "thread"))
    req = await body(request, HistoryRequest)
    if not 1 <= req.limit <= 1000:
        raise Unprocessable("limit must be between 1 and 1000")
    config = _checkpoint_config(thread.thread_id, req.checkpoint) or {"configurable": {"thread_id": thread.thread_id, "checkpoint_ns": ""}}
    before = _checkpoint_config(thread.thread_id, req.before)
    opened = await _graph_state_reader(request, thread)
    if opened is None:
        return json([])
    async with opened as graph:
        states = [
            thread_state(s)
            async for s in graph.aget_state_history(config, limit=req.limit, before=before, filter=req.metadata)
        ]
    return json(states)


class StateUpdateBody(msgspec.Struct, kw_only=True):
    values: Any = None
    as_node: str | None = None
    checkpoint: dict[str, Any] | None = None
    checkpoint_id: str | None = None


@routes.post("/threads/{thread_id}/state")
async def update_state(request: web.Request) -> web.Response:
    thread_id = path_uuid(request, "thread_id", "thread")
    req = await body(request, StateUpdateBody)
    await get_thread(request, thread_id)
    checkpoint = dict(req.checkpoint or {})
    if req.checkpoint_id is not None:
        checkpoint["checkpoint_id"] = parse_uuid(req.checkpoint_id, "checkpoint")
    return json(await runtime(request).update_state(thread_id, req.values, as_node=req.as_node, checkpoint=checkpoint))
