"""Runs: create (background, stream, wait), list, get, delete, cancel, join."""

from __future__ import annotations

import asyncio
import typing
from collections.abc import Callable
from typing import Any

import msgspec
from aiohttp import web

from threadloom.actors.eventlog import EventSource, RunStream
from threadloom.actors.newrun import check_request
from threadloom.actors.replay import Evicted
from threadloom.actors.results import collect, from_thread
from threadloom.protocol import sse
from threadloom.protocol.bodies import (
    MAX_BATCH,
    RUN_BATCH,
    RUN_CREATE_STATEFUL,
    RUN_CREATE_STATELESS,
    RUN_STREAM_STATEFUL,
    RUN_STREAM_STATELESS,
    RUNS_CANCEL,
)
from threadloom.protocol.errors import NOTHING_TO_CANCEL, ApiError, NotFound, Unprocessable
from threadloom.protocol.ids import parse_uuid
from threadloom.protocol.requests import RunCreate, RunsCancel, cancel_action
from threadloom.protocol.filters import matches
from threadloom.protocol.resources import Run, RunStatus
from threadloom.protocol.search import check_select
from threadloom.protocol.serde import dumps

from ..context import api_url, authorize, authorize_run, caller, run_for, records, runtime, thread_for
from ..http import body, json, no_content, path_uuid, query_bool, query_int, query_list
from ..operations import Param, flag, operation
from ..owners import cancel_runs_anywhere
from ..sse import http_error, write_error, write_stream

routes = web.RouteTableDef()

WAIT_HEARTBEAT_SECONDS = 5.0
DISCONNECTED = "client disconnected from the run stream (on_disconnect=cancel)"
RUN_NOT_FOUND = "Run not found"  # what a join of a missing run says, inside its 200
# what the query of a run's routes may hold
CANCEL_ON_DISCONNECT = flag("cancel_on_disconnect", "Cancel the run if this client goes away")
ACTION = Param("action", {"type": "string", "enum": ["interrupt", "rollback"], "default": "interrupt"}, (
    "`rollback` also deletes the run and the checkpoints it wrote (any other value: `interrupt`)"
))
LAST_EVENT_ID = Param("Last-Event-ID", {"type": "string"}, "Resume after this event (a resumable run's stream)")
RUN_MODES = Param(
    "stream_mode", {"type": "array", "items": {"type": "string"}}, "Only the events of these stream modes",
)


async def _create(
    request: web.Request, *, stateful: bool, bad_thread: str | None = None
) -> tuple[Run, RunStream, RunCreate]:
    """`bad_thread`: the route's own text for a thread id that is not a UUID."""
    # the body first, then the thread of the path: a bad body is told first, as on the official server
    req = await body(request, RunCreate)
    thread_id = _path_thread(request, bad_thread) if stateful else None
    check_request(req, stateless=thread_id is None)
    req, assistant = await authorize_run(request, thread_id, req)
    run, stream = await runtime(request).submit(thread_id, req, assistant, caller(request), api_url=api_url(request))
    return run, stream, req


def _path_thread(request: web.Request, bad_thread: str | None) -> str:
    try:
        return path_uuid(request, "thread_id", "thread")
    except Unprocessable:
        if bad_thread is None:
            raise
        raise Unprocessable(bad_thread) from None


def _locations(run: Run, *, short: bool, location: str | None) -> dict[str, str]:
    """`Content-Location` names the run (`short`: as `/runs/{id}`, how the official server
    names a stateless run it creates or streams, though not one it waits for),
    `Location` where to rejoin it: always through its thread (the official stateless
    stream's `/runs/{id}/stream` is a route nobody serves)."""
    headers = _run_paths(run.thread_id, run.run_id, location)
    if short:
        headers["Content-Location"] = f"/runs/{run.run_id}"
    return headers


def _run_paths(thread_id: str, run_id: str, location: str | None) -> dict[str, str]:
    run_path = f"/threads/{thread_id}/runs/{run_id}"
    headers = {"Content-Location": run_path}
    if location is not None:
        headers["Location"] = f"{run_path}/{location}"
    return headers


async def _stream(request: web.Request, *, stateful: bool) -> web.StreamResponse:
    run, stream, req = await _create(request, stateful=stateful)
    headers = _locations(run, short=not stateful, location="stream")
    cancel = _canceller(request, run) if req.on_disconnect == "cancel" else None
    return await write_stream(request, stream, after=0, headers=headers, on_disconnect=cancel)


def _canceller(request: web.Request, run: Run) -> Callable[[], None]:
    """Interrupts the run: for a client that asked for that when it goes away."""
    return lambda: runtime(request).cancel_soon(run.thread_id, run.run_id, DISCONNECTED)


async def _wait(request: web.Request, *, stateful: bool) -> web.StreamResponse:
    run, stream, req = await _create(request, stateful=stateful)
    headers = _locations(run, short=False, location="join")
    return await _result_response(request, run, stream, headers, cancel_on_disconnect=req.on_disconnect == "cancel", fallback=stateful)


async def _result_response(
    request: web.Request,
    run: Run,
    stream: RunStream | None,
    headers: dict[str, str],
    *,
    cancel_on_disconnect: bool,
    fallback: bool,
    after: int | None = 0,
) -> web.StreamResponse:
    """The run's result as JSON once it ends. While waiting, a newline every few seconds
    keeps proxies and clients from timing out (JSON parsers skip leading whitespace)."""
    result = asyncio.ensure_future(collect(stream, after))
    response: web.StreamResponse | None = None
    try:
        while not (await asyncio.wait([result], timeout=WAIT_HEARTBEAT_SECONDS))[0]:
            if response is None:
                response = web.StreamResponse(headers={**headers, "Content-Type": "application/json"})
                await response.prepare(request)
            await response.write(b"\n")
    except (asyncio.CancelledError, ConnectionResetError) as gone:
        result.cancel()
        if cancel_on_disconnect:
            _canceller(request, run)()
        if isinstance(gone, asyncio.CancelledError) or response is None:
            raise
        return response  # the client went away: nothing more to say
    value: Any = result.result()
    if value is None:
        value = from_thread(await records(request).threads.get(run.thread_id)) if fallback else {}
    if response is None:
        return json(value, headers=headers)
    await response.write(dumps(value))
    await response.write_eof()
    return response


# stateful ------------------------------------------------------------------------------------


@routes.post("/threads/{thread_id}/runs")
@operation("Start a run in the background", body=RUN_CREATE_STATEFUL, response=Run)
async def create_run(request: web.Request) -> web.Response:
    # the official server's shorter text for a bad thread id on this route; its /stream and
    # /wait answer a 400 with Python's ValueError text, which is not copied
    run, _, _ = await _create(request, stateful=True, bad_thread="Invalid thread ID")
    return json(run, headers=_locations(run, short=False, location=None))


@routes.post("/threads/{thread_id}/runs/stream")
@operation("Start a run and stream its events", body=RUN_STREAM_STATEFUL, stream=True)
async def stream_run(request: web.Request) -> web.StreamResponse:
    return await _stream(request, stateful=True)


@routes.post("/threads/{thread_id}/runs/wait")
@operation("Start a run and wait for its final values", body=RUN_STREAM_STATEFUL, response=Any)
async def wait_run(request: web.Request) -> web.StreamResponse:
    return await _wait(request, stateful=True)


@routes.get("/threads/{thread_id}/runs")
@operation("List a thread's runs, newest first", response=list[Run], query=(
    Param("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10}, "How many runs"),
    Param("offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000, "default": 0}, "How many to skip"),
    Param("status", {"type": "string", "enum": list(typing.get_args(RunStatus))}, "Only the runs with this status"),
    Param("select", {"type": "array", "items": {"type": "string", "enum": list(Run.__struct_fields__)}}, (
        "Only these fields of each run"
    )),
))
async def list_runs(request: web.Request) -> web.Response:
    thread_id = path_uuid(request, "thread_id", "thread")
    await thread_for(request, thread_id, "search")
    runs = await records(request).runs.list(
        thread_id,
        limit=query_int(request, "limit", 10, minimum=1, maximum=1000),
        offset=query_int(request, "offset", 0, maximum=1_000_000),
        status=_run_status(request.query.get("status")),
    )
    select = check_select(query_list(request, "select"), Run.__struct_fields__)
    if select:
        return json([{k: v for k, v in msgspec.structs.asdict(run).items() if k in select} for run in runs])
    return json(runs)


def _run_status(value: str | None) -> str | None:
    statuses = RunStatus.__args__  # type: ignore[attr-defined]
    if value is not None and value not in statuses:
        raise Unprocessable(f"Invalid status {value!r}: expected one of {list(statuses)}")
    return value


@routes.get("/threads/{thread_id}/runs/{run_id}")
@operation("Get a run", response=Run)
async def get_run_route(request: web.Request) -> web.Response:
    """The thread first (missing or hidden: `Thread with ID … not found`), then the run (a
    bare `Not Found`), with the official server's texts."""
    thread_id = path_uuid(request, "thread_id", "thread")
    run_id = path_uuid(request, "run_id", "run")
    await thread_for(request, thread_id, "read", run_id=run_id)
    run = await records(request).runs.get(run_id)
    if run is None or run.thread_id != thread_id:
        raise NotFound("Not Found")
    return json(run)


@routes.delete("/threads/{thread_id}/runs/{run_id}")
@operation("Delete a run", status=204)
async def delete_run(request: web.Request) -> web.Response:
    thread_id = path_uuid(request, "thread_id", "thread")
    run = await run_for(request, thread_id, path_uuid(request, "run_id", "run"), "delete")
    await runtime(request).delete_run(thread_id, run.run_id)
    return no_content()


@routes.post("/threads/{thread_id}/runs/{run_id}/cancel")
@operation("Cancel a run (interrupt or rollback)", status=202, response=Any, query=(
    flag("wait", "Answer once the run has ended, with its final values (a 200)"), ACTION,
))
async def cancel_run(request: web.Request) -> web.StreamResponse:
    thread_id = path_uuid(request, "thread_id", "thread")
    run_id = path_uuid(request, "run_id", "run")
    action = cancel_action(request.query.get("action"))
    rt = runtime(request)
    try:
        run = await run_for(request, thread_id, run_id, "update", action=action)
    except NotFound:  # (one that exists but has finished: NOTHING_TO_CANCEL, from its supervisor)
        raise NotFound("No runs found to cancel.") from None
    stream = rt.streams.get(run_id)
    after = stream.head if stream is not None else None
    # the official server's reason names the route, not the run (its placeholders stay)
    reason = f"{action} requested via POST /threads/{{thread_id}}/runs/{{run_id}}/cancel"
    await rt.cancel(thread_id, [run_id], action, reason)
    if not query_bool(request, "wait"):
        return no_content(202)
    headers = _locations(run, short=False, location="join")
    return await _result_response(request, run, stream, headers, cancel_on_disconnect=False, fallback=False, after=after)


async def _joined(request: web.Request, thread_id: str, run_id: str) -> Run | None:
    """The run a join follows; None if the thread has no such run. In the official
    server's order, a join first asks `threads.read` (a refusal raises its 403) and, with
    a filter, looks for the thread: one the user may not see is `Thread not found`."""
    filter = await authorize(request, "threads", "read", {"thread_id": thread_id, "run_id": run_id})
    stored = records(request)
    if filter is not None:
        thread = await stored.threads.get(thread_id)
        if thread is None or not matches(thread.metadata, filter):
            raise NotFound("Thread not found")
    run = await stored.runs.get(run_id)
    return run if run is not None and run.thread_id == thread_id else None


@routes.get("/threads/{thread_id}/runs/{run_id}/join")
@operation("Wait for a run's final values", response=Any, query=(CANCEL_ON_DISCONNECT,))
async def join_run(request: web.Request) -> web.StreamResponse:
    """A missing run is a 200 whose result is the error, as on the official server."""
    thread_id = path_uuid(request, "thread_id", "thread")
    run_id = path_uuid(request, "run_id", "run")
    run = await _joined(request, thread_id, run_id)
    headers = _run_paths(thread_id, run_id, "join")
    if run is None:
        return json({"__error__": http_error(NotFound(RUN_NOT_FOUND))}, headers=headers)
    stream = runtime(request).streams.get(run.run_id)
    cancel = query_bool(request, "cancel_on_disconnect")
    return await _result_response(request, run, stream, headers, cancel_on_disconnect=cancel, fallback=True)


def _mode_filter(modes: list[str]) -> Callable[[str], bool] | None:
    """Join's `stream_mode` filter: the base name before `|` must match; asking for
    either messages mode matches every `messages*` event."""
    if not modes:
        return None
    wanted = set(modes)
    messages = bool(wanted & {"messages", "messages-tuple"})

    def match(name: str) -> bool:
        # Nothing else passes, `metadata` and `error` included, as on the official server.
        base = name.split("|", 1)[0]
        return base in wanted or (messages and base.startswith("messages"))

    return match


def _last_event_id(request: web.Request) -> int | None:
    raw = request.headers.get("Last-Event-ID")
    if raw is None:
        return None
    try:
        return max(int(raw.split("-", 1)[0] or 0), 0) if not raw.startswith("-") else 0
    except ValueError:
        return 0


def _evicted_frame(evicted: Evicted | None) -> bytes:
    """Sent before the rest when retention dropped events the client asked for. Clients
    pass event names they do not know through (the SDKs) or ignore them (`useStream`)."""
    if evicted is None:
        return b""
    return sse.frame("evicted", dumps({"first_available": evicted.first_available, "requested_after": evicted.requested_after}))


async def _join_source(request: web.Request, run: Run) -> tuple[EventSource | None, int | None, bytes]:
    """What a join sends (source, after, prelude). Without `Last-Event-ID`, or for a run
    that is not resumable: the events from now on. With it: the events after it, from
    storage when memory no longer (or never, before a restart) held them, then live.
    Replayed are only the run's mode events and `metadata` (not `error`, `feedback`,
    legacy `messages/*`: §5.7); what comes live after the join comes whole."""
    rt = runtime(request)
    last_id = _last_event_id(request)
    if last_id is None or not run.kwargs.resumable:
        return rt.streams.get(run.run_id), None, b""
    replay = await rt.streams.replay(run.run_id, last_id, run.kwargs.stream_mode)
    return replay.source, replay.after, _evicted_frame(replay.evicted)


@routes.get("/threads/{thread_id}/runs/{run_id}/stream")
@operation("Join a run's event stream", stream=True, query=(RUN_MODES, CANCEL_ON_DISCONNECT), headers=(LAST_EVENT_ID,))
async def join_run_stream(request: web.Request) -> web.StreamResponse:
    """Whatever stops the join once the ids are well-formed (a refusal, a thread the user
    may not see, a missing run) is told as an `error` event in a 200 stream, as on the
    official server: the SDKs' `join_stream` yield it rather than raise."""
    thread_id = path_uuid(request, "thread_id", "thread")
    run_id = path_uuid(request, "run_id", "run")
    headers = _run_paths(thread_id, run_id, "stream")
    try:
        run = await _joined(request, thread_id, run_id)
        if run is None:
            raise NotFound(RUN_NOT_FOUND)
    except ApiError as exc:
        return await write_error(request, exc, headers)
    source, after, prelude = await _join_source(request, run)
    wanted = _mode_filter(query_list(request, "stream_mode"))
    cancel = _canceller(request, run) if query_bool(request, "cancel_on_disconnect") else None
    return await write_stream(
        request, source, after=after, headers=headers, wanted=wanted, prelude=prelude, on_disconnect=cancel
    )


# stateless -----------------------------------------------------------------------------------


@routes.post("/runs")
@operation("Start a run on a new temporary thread", body=RUN_CREATE_STATELESS, response=Run)
async def create_stateless_run(request: web.Request) -> web.Response:
    run, _, _ = await _create(request, stateful=False)
    return json(run, headers=_locations(run, short=True, location=None))


@routes.post("/runs/stream")
@operation("Start a stateless run and stream its events", body=RUN_STREAM_STATELESS, stream=True)
async def stream_stateless_run(request: web.Request) -> web.StreamResponse:
    return await _stream(request, stateful=False)


@routes.post("/runs/wait")
@operation("Start a stateless run and wait for its final values", body=RUN_STREAM_STATELESS, response=Any)
async def wait_stateless_run(request: web.Request) -> web.StreamResponse:
    return await _wait(request, stateful=False)


@routes.post("/runs/batch")
@operation("Start several stateless runs", body=RUN_BATCH, response=list[Run])
async def create_run_batch(request: web.Request) -> web.Response:
    """Stateless runs, all validated before any is created."""
    requests = await body(request, list[RunCreate])
    if not 1 <= len(requests) <= MAX_BATCH:
        raise Unprocessable(f"A batch holds between 1 and {MAX_BATCH} runs")
    for req in requests:
        check_request(req, stateless=True)
    authorized = [await authorize_run(request, None, req) for req in requests]
    rt = runtime(request)
    for req in requests:
        await rt.webhooks.check(req.webhook)
    created = [await rt.submit(None, req, assistant, caller(request), api_url=api_url(request)) for req, assistant in authorized]
    return json([run for run, _ in created])


STATUS_ALONE = (
    "When providing a 'status', 'thread_id' and 'run_ids' must be omitted. The 'status' parameter cancels all "
    "runs with the given status, regardless of thread or run ID."
)


async def _cancellable(request: web.Request, runs: list[Run], action: str) -> list[Run]:
    """The runs on threads the user may update (`threads.update`, one ask per thread)."""
    allowed: dict[str, bool] = {}
    for thread_id in dict.fromkeys(run.thread_id for run in runs):
        filter = await authorize(request, "threads", "update", {"thread_id": thread_id, "action": action})
        thread = await records(request).threads.get(thread_id) if filter is not None else None
        allowed[thread_id] = filter is None or (thread is not None and matches(thread.metadata, filter))
    return [run for run in runs if allowed[run.thread_id]]


@routes.post("/runs/cancel")
@operation("Cancel runs", body=RUNS_CANCEL, status=204, query=(ACTION,))
async def cancel_runs(request: web.Request) -> web.Response:
    """Either `{thread_id, run_ids}` or `{status: pending|running|all}` (the body's schema
    wants one of the two). Nothing to cancel is a 404, in the official server's words:
    runs named that exist but have ended are `NOTHING_TO_CANCEL`, anything else `No runs
    found to cancel.`"""
    req = await body(request, RunsCancel)
    if req.status is not None and (req.thread_id or req.run_ids):  # (an empty list of ids is none, as there)
        raise Unprocessable(STATUS_ALONE)
    action = cancel_action(request.query.get("action"))
    if req.status is None:
        thread_id = parse_uuid(req.thread_id, "thread")
        named = [await records(request).runs.get(parse_uuid(r, "run")) for r in dict.fromkeys(req.run_ids or [])]
        runs = [run for run in named if run is not None and run.thread_id == thread_id]
    else:
        runs = await records(request).runs.find_active(status=None if req.status == "all" else req.status)
    runs = await _cancellable(request, runs, action)
    cancelled = await cancel_runs_anywhere(request, runs, action, f"{action} requested via POST /runs/cancel")
    if not cancelled:
        raise NotFound(NOTHING_TO_CANCEL if req.status is None and runs else "No runs found to cancel.")
    return no_content()
