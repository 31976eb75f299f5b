"""Threads: create, get, patch, delete, search, state and history."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from aiohttp import web

from threadloom.actors import threadconfig
from threadloom.actors.newrun import RESERVED_METADATA
from threadloom.protocol import clock
from threadloom.protocol.errors import BadRequest, Conflict, NotFound, Unprocessable
from threadloom.protocol.filters import matches
from threadloom.protocol.ids import is_uuid, parse_uuid, uuid4, uuid7
from threadloom.protocol.bodies import (
    THREAD_COUNT,
    THREAD_CREATE,
    THREAD_HISTORY,
    THREAD_PATCH,
    THREAD_PRUNE,
    THREAD_SEARCH,
    THREAD_STATE_AT,
    THREAD_STATE_UPDATE,
)
from threadloom.protocol.requests import (
    CheckpointSpec,
    HistoryRequest,
    StateAtCheckpoint,
    StateUpdate,
    ThreadCount,
    ThreadCreate,
    ThreadPatch,
    ThreadPrune,
    ThreadSearch,
    check_int64,
)
from threadloom.protocol.resources import EMPTY_STATE, Thread, ThreadState
from threadloom.protocol.responses import ThreadPruneResponse, ThreadStateUpdateResponse, ThreadStorage
from threadloom.protocol.search import check_select, extract_value, parse_extract, pick
from threadloom.protocol.state import thread_state
from threadloom.protocol.ttl import requested

from ..context import authorize, get_thread, reader, records, runtime, thread_for
from ..http import body, json, json_off_loop, no_content, page_total, paged, path_uuid, query_bool, query_int
from ..operations import Param, flag, operation
from ..owners import prune_thread

routes = web.RouteTableDef()

MAX_IDS = 10_000  # distinct thread ids in one search or prune: each is a bound SQL parameter
MAX_HISTORY = 1000
THREAD_FIELDS = tuple(Thread.__struct_fields__)
# what LangGraph's SQLite saver allows as a metadata filter key (anything else is a ValueError there)
_FILTER_KEY = re.compile(r"[A-Za-z0-9_.-]+")
SUBGRAPHS = flag("subgraphs", "Include the state of subgraphs")


@routes.post("/threads")
@operation("Create a thread", body=THREAD_CREATE, response=Thread)
async def create_thread(request: web.Request) -> web.Response:
    req = await body(request, ThreadCreate)
    thread_id = parse_uuid(req.thread_id, "thread") if req.thread_id is not None else uuid7()
    metadata = {k: v for k, v in (req.metadata or {}).items() if k not in RESERVED_METADATA}
    if req.graph_id:
        metadata["graph_id"] = req.graph_id
    value: dict[str, Any] = {"thread_id": thread_id, "metadata": metadata, "if_exists": req.if_exists or "raise"}
    filter = await authorize(request, "threads", "create", value)
    now = clock.now_iso()
    thread = Thread(thread_id=thread_id, created_at=now, updated_at=now, state_updated_at=now, metadata=value["metadata"])
    created = await runtime(request).create_thread(thread, req.supersteps, caller=reader(request), ttl=requested(req.ttl))
    if created is None:
        try:  # one the user may not see is taken all the same
            existing = await get_thread(request, thread_id, filter)
        except NotFound:
            existing = None
        if req.if_exists == "do_nothing" and existing is not None:
            return json(existing)
        raise Conflict(f"Thread with ID {thread_id} already exists")
    return json(created)


@routes.post("/threads/search")
@operation("Search threads", body=THREAD_SEARCH, response=list[Thread])
async def search_threads(request: web.Request) -> web.Response:
    req = await body(request, ThreadSearch)
    select = check_select(req.select, THREAD_FIELDS)
    extract = parse_extract(req.extract, THREAD_FIELDS)
    ids = None
    if req.ids is not None:
        malformed = next((i for i in req.ids if not is_uuid(i)), None)
        if malformed is not None:  # a 400 here, as on the official server
            raise BadRequest(f"Invalid thread ID {malformed}")
        ids = _distinct_ids(req.ids, "ids")
    store = records(request).threads
    where: dict[str, Any] = {"ids": ids, "metadata": req.metadata, "values": req.values, "status": req.status}
    where["auth"] = await authorize(request, "threads", "search", {**where, "limit": req.limit, "offset": req.offset})
    page = await store.search(
        **where, limit=req.limit, offset=req.offset, sort_by=req.sort_by or "updated_at", sort_order=req.sort_order or "desc"
    )
    total = await page_total(page, limit=req.limit, offset=req.offset, count=lambda: store.count(**where))
    if select is None and not extract:
        return paged(page, total=total, offset=req.offset)
    found = []
    for thread in page:
        record = msgspec.to_builtins(thread)  # without the keys the thread does not have yet
        shown = pick(record, select)
        if extract:
            shown["extracted"] = {alias: extract_value(record, path) for alias, path in extract.items()}
        found.append(shown)
    return paged(found, total=total, offset=req.offset)


def _distinct_ids(ids: list[str], field: str) -> list[str]:
    """Canonical and deduplicated, at most MAX_IDS of them."""
    distinct = list(dict.fromkeys(parse_uuid(i, "thread") for i in ids))
    if len(distinct) > MAX_IDS:
        raise Unprocessable(f"{field}: at most {MAX_IDS} distinct thread IDs per request")
    return distinct


@routes.post("/threads/count")
@operation("Count threads", body=THREAD_COUNT, response=int)
async def count_threads(request: web.Request) -> web.Response:
    req = await body(request, ThreadCount)
    where: dict[str, Any] = {"metadata": req.metadata, "values": req.values, "status": req.status}
    auth = await authorize(request, "threads", "search", dict(where))
    return json(await records(request).threads.count(**where, auth=auth))


@routes.post("/threads/prune")
@operation("Prune threads", body=THREAD_PRUNE, response=ThreadPruneResponse)
async def prune_threads(request: web.Request) -> web.Response:
    """Delete the threads (`delete`) or their history (`keep_latest`); unknown ids are skipped."""
    req = await body(request, ThreadPrune)
    thread_ids = _distinct_ids(req.thread_ids, "thread_ids")
    # asked once per thread (and once for none: a refused user is refused all the same)
    asked: list[str | None] = [*thread_ids] or [None]
    filters = [await authorize(request, "threads", "delete", {"thread_id": t, "run_id": None}) for t in asked]
    pruned = 0
    for thread_id, filter in zip(thread_ids, filters, strict=False):
        thread = await records(request).threads.get(thread_id)
        if thread is None or not matches(thread.metadata, filter):
            continue
        pruned += await prune_thread(request, thread_id, req.strategy)  # a deleted thread's runs are cancelled first
    return json({"pruned_count": pruned})


@routes.get("/threads/{thread_id}")
@operation("Get a thread", response=Thread)
async def get_thread_route(request: web.Request) -> web.Response:
    return json(await thread_for(request, path_uuid(request, "thread_id", "thread"), "read"))


@routes.get("/threads/{thread_id}/storage")
@operation("The bytes a thread's checkpoints take", response=ThreadStorage)
async def get_thread_storage(request: web.Request) -> web.Response:
    thread = await thread_for(request, path_uuid(request, "thread_id", "thread"), "read")
    return json(await records(request).checkpoints.usage(thread.thread_id))


async def _patchable(request: web.Request, thread_id: str, value: dict[str, Any]) -> None:
    """A thread the user may update (`threads.update`, told `value`). As on the official
    server, a missing thread is a bare `Not Found` before the handler is asked (even one
    refusing everything), and so is one it hides."""
    thread = await records(request).threads.get(thread_id)
    if thread is None or not matches(thread.metadata, await authorize(request, "threads", "update", value)):
        raise NotFound("Not Found")


@routes.patch("/threads/{thread_id}")
@operation("Update a thread's metadata", body=THREAD_PATCH, response=Thread)
async def patch_thread(request: web.Request) -> web.Response:
    thread_id = path_uuid(request, "thread_id", "thread")
    req = await body(request, ThreadPatch)
    metadata = {k: v for k, v in (req.metadata or {}).items() if k not in RESERVED_METADATA}
    value: dict[str, Any] = {"thread_id": thread_id, "metadata": metadata, "action": None}
    await _patchable(request, thread_id, value)
    thread = await runtime(request).patch_thread(thread_id, value["metadata"], requested(req.ttl))
    if request.headers.get("Prefer", "").replace(" ", "") == "return=minimal":
        return no_content()
    return json(thread)


@routes.delete("/threads/{thread_id}")
@operation("Delete a thread, its runs and checkpoints", status=204)
async def delete_thread(request: web.Request) -> web.Response:
    thread_id = path_uuid(request, "thread_id", "thread")
    await thread_for(request, thread_id, "delete", run_id=None)
    await runtime(request).delete_thread(thread_id)
    return no_content()


async def _graph_state_reader(request: web.Request, thread: Thread) -> Any:
    """The thread's graph, opened to read its state: built with the config its runs'
    assistants left on the thread, as the graph those runs executed."""
    graph_id = thread.metadata.get("graph_id")
    if graph_id not in runtime(request).graphs.graph_ids():
        return None
    return runtime(request).graphs.open(graph_id, threadconfig.for_state(thread, graph_id, reader(request)), access="threads.read")


@routes.post("/threads/{thread_id}/copy")
@operation("Copy a thread with its checkpoints", response=Thread)
async def copy_thread(request: web.Request) -> web.Response:
    """A new thread with the same metadata and checkpoints (runs are not copied). Its body
    is the official server's: `idle`, no `values`, `error` or `interrupts` until a run or
    a state update sets them. Another user's source is a 409 `Conflict`, as there; a
    missing one a 404 (the official server answers 409)."""
    source_id = path_uuid(request, "thread_id", "thread")
    rt = runtime(request)
    filter = await authorize(request, "threads", "read", {"thread_id": source_id})
    source = await records(request).threads.get(source_id)
    if source is None:
        raise NotFound(f"Thread with ID {source_id} not found")
    if not matches(source.metadata, filter):
        raise Conflict("Conflict")
    value: dict[str, Any] = {"thread_id": uuid4(), "metadata": dict(source.metadata), "if_exists": "raise"}
    await authorize(request, "threads", "create", value)
    now = clock.now_iso()
    copy = Thread(
        thread_id=value["thread_id"], created_at=now, updated_at=now, state_updated_at=now, metadata=value["metadata"],
        values=msgspec.UNSET,
    )
    if not await rt.copy_thread(source.thread_id, copy):
        raise Conflict(f"Thread with ID {copy.thread_id} already exists")
    return json(copy)


@routes.get("/threads/{thread_id}/state")
@operation("A thread's current state", query=(SUBGRAPHS,), response=ThreadState)
async def get_state(request: web.Request) -> web.Response:
    thread = await thread_for(request, path_uuid(request, "thread_id", "thread"), "read")
    return await json_off_loop(await _read_state(request, thread, None, subgraphs=query_bool(request, "subgraphs")))


@routes.get("/threads/{thread_id}/state/{checkpoint_id}")
@operation("A thread's state at a checkpoint", query=(SUBGRAPHS,), response=ThreadState)
async def get_state_at_checkpoint(request: web.Request) -> web.Response:
    thread = await thread_for(request, path_uuid(request, "thread_id", "thread"), "read")
    checkpoint = CheckpointSpec(checkpoint_id=request.match_info["checkpoint_id"])
    return await json_off_loop(await _read_state(request, thread, checkpoint, subgraphs=query_bool(request, "subgraphs")))


@routes.post("/threads/{thread_id}/state/checkpoint")
@operation("A thread's state at a checkpoint", body=THREAD_STATE_AT, response=ThreadState)
async def post_state_at_checkpoint(request: web.Request) -> web.Response:
    thread = await thread_for(request, path_uuid(request, "thread_id", "thread"), "read")
    req = await body(request, StateAtCheckpoint)
    checkpoint = CheckpointSpec.parse(req.checkpoint, "checkpoint")
    return await json_off_loop(await _read_state(request, thread, checkpoint, subgraphs=bool(req.subgraphs)))


async def _read_state(
    request: web.Request, thread: Thread, checkpoint: CheckpointSpec | None, *, subgraphs: bool
) -> ThreadState:
    """The state at `checkpoint` (the latest of its namespace without an id); a checkpoint
    named by id that does not exist is a 404."""
    config = _config(thread.thread_id, checkpoint)
    wanted = config["configurable"].get("checkpoint_id")
    opened = await _graph_state_reader(request, thread)
    snapshot = None
    if opened is not None:
        async with opened as graph:
            snapshot = await graph.aget_state(config, subgraphs=subgraphs)
    if snapshot is None or snapshot.created_at is None:
        if wanted:  # (the official server answers 200 with an empty state: deliberate.py)
            raise NotFound(f"Checkpoint {wanted} not found on thread {thread.thread_id}")
        return EMPTY_STATE
    state = thread_state(snapshot)
    if wanted and checkpoint is not None and checkpoint.checkpoint_ns is msgspec.UNSET and state.checkpoint:
        # The official server's saver answers a read at a checkpoint with the request's
        # config: a checkpoint named without its namespace comes back without it.
        state.checkpoint = msgspec.structs.replace(state.checkpoint, checkpoint_ns=msgspec.UNSET)
    return state


@routes.get("/threads/{thread_id}/history")
@operation("A thread's past states, newest first", response=list[ThreadState], query=(
    Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_HISTORY, "default": 1}, "How many states"),
    Param("before", {"type": "string"}, "Only states older than this checkpoint id"),
))
async def get_history(request: web.Request) -> web.Response:
    thread = await thread_for(request, path_uuid(request, "thread_id", "thread"), "read")
    limit = query_int(request, "limit", 1, minimum=1, maximum=MAX_HISTORY)
    before = request.query.get("before") or None
    return await json_off_loop(await _history(request, thread, limit=limit, before=before, checkpoint=None, metadata=None))


@routes.post("/threads/{thread_id}/history")
@operation("A thread's past states, newest first", body=THREAD_HISTORY, response=list[ThreadState])
async def post_history(request: web.Request) -> web.Response:
    thread = await thread_for(request, path_uuid(request, "thread_id", "thread"), "read")
    req = await body(request, HistoryRequest)
    return await json_off_loop(await _history(
        request, thread, limit=req.limit, before=req.before, checkpoint=req.checkpoint, metadata=req.metadata
    ))


async def _history(
    request: web.Request, thread: Thread, *, limit: int, before: str | dict[str, Any] | None,
    checkpoint: dict[str, Any] | None, metadata: dict[str, Any] | None,
) -> list[ThreadState]:
    """Newest first: the checkpoints of a namespace (the root's by default), from a start
    checkpoint, older than `before`, whose metadata has the given values."""
    if not 1 <= limit <= MAX_HISTORY:
        raise Unprocessable(f"Invalid limit: must be between 1 and {MAX_HISTORY}")
    config = _config(thread.thread_id, CheckpointSpec.parse(checkpoint, "checkpoint") if checkpoint is not None else None)
    before_config = None
    if before is not None:
        before_config = _config(thread.thread_id, CheckpointSpec.parse(before, "before"))
        if not before_config["configurable"].get("checkpoint_id"):
            raise Unprocessable("Invalid before: it names no checkpoint_id")
    bad_keys = [key for key in metadata or {} if not _FILTER_KEY.fullmatch(key)]
    if bad_keys:
        raise Unprocessable(f"Invalid metadata filter keys {bad_keys}: use letters, digits, '_', '.' and '-'")
    check_int64(metadata, "metadata filter")
    opened = await _graph_state_reader(request, thread)
    if opened is None:
        return []
    async with opened as graph:
        return [
            thread_state(s)
            async for s in graph.aget_state_history(config, limit=limit, before=before_config, filter=metadata or None)
        ]


def _config(thread_id: str, checkpoint: CheckpointSpec | None) -> dict[str, Any]:
    """The RunnableConfig that reads `checkpoint` of the thread (its root namespace by default)."""
    configurable: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ""}
    if checkpoint is not None:
        configurable["checkpoint_ns"] = checkpoint.checkpoint_ns or ""
        if checkpoint.checkpoint_id:
            configurable["checkpoint_id"] = checkpoint.checkpoint_id
        if checkpoint.checkpoint_map is not None:
            configurable["checkpoint_map"] = checkpoint.checkpoint_map
    return {"configurable": configurable}


@routes.post("/threads/{thread_id}/state")
@operation("Update a thread's state", body=THREAD_STATE_UPDATE, response=ThreadStateUpdateResponse)
async def update_state(request: web.Request) -> web.Response:
    thread_id = path_uuid(request, "thread_id", "thread")
    req = await body(request, StateUpdate)
    await thread_for(request, thread_id, "update", action=None)
    checkpoint = dict(req.checkpoint or {})
    if req.checkpoint_id is not None:
        checkpoint["checkpoint_id"] = parse_uuid(req.checkpoint_id, "checkpoint")
    return json(await runtime(request).update_state(
        thread_id, req.values, as_node=req.as_node, checkpoint=checkpoint, caller=reader(request)
    ))
