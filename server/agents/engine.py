"""What `/mcp` and `/a2a` ask of the rest of the server, in one place: the assistants
and threads the calling user may see, the schemas of a graph, runs started and
cancelled through the runtime and their results. Every call is made as the request's
user, through the same authorization as the REST routes, so an assistant exposed as a
tool or an agent shows and does no more than the API would for that user."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from threadloom.actors.eventlog import RunStream
from threadloom.actors.newrun import check_request
from threadloom.actors.results import collect
from threadloom.protocol.errors import NotFound
from threadloom.protocol.requests import RunCreate
from threadloom.protocol.resources import Assistant, Run, Thread

from .. import graphinfo
from ..context import (
    api_url, authorize, authorize_run, caller, get_thread, reader, records, resolve_assistant, run_for, runtime, thread_for,
)

THREAD_PAGE = 1000


async def assistants(request: web.Request, *, offset: int, limit: int) -> list[Assistant]:
    """The assistants the user may see, newest first (as `POST /assistants/search`)."""
    rt = runtime(request)
    auth = await authorize(request, "assistants", "search", {"graph_id": None, "metadata": None, "limit": limit, "offset": offset})
    return await records(request).assistants.search(
        graph_ids=rt.graphs.graph_ids(), graph_id=None, name=None, metadata=None, auth=auth,
        limit=limit, offset=offset, sort_by="created_at", sort_order="desc",
    )


async def assistant(request: web.Request, assistant_id: str) -> Assistant:
    """An assistant by id, if the user may see it (a 404 `ApiError` if not)."""
    return await resolve_assistant(request, assistant_id)


class Schemas:
    """The JSON Schemas of assistants' graphs, each graph described once per request
    (a factory's graph once per assistant: its config may change it)."""

    def __init__(self, request: web.Request) -> None:
        self._request = request
        self._found: dict[str, dict[str, Any]] = {}

    async def of(self, assistant: Assistant) -> dict[str, Any]:
        rt = runtime(self._request)
        key = assistant.assistant_id if rt.graphs.is_factory(assistant.graph_id) else assistant.graph_id
        if key not in self._found:
            config = {**assistant.config, "configurable": {**assistant.config.get("configurable", {}), **caller(self._request)}}
            async with rt.graphs.open(assistant.graph_id, config, access="assistants.read") as graph:
                # building JSON Schemas takes tens of milliseconds: not on the event loop
                self._found[key] = await asyncio.to_thread(graphinfo.schemas, graph)
        return self._found[key]


async def start(request: web.Request, thread_id: str | None, req: RunCreate) -> tuple[Run, RunStream]:
    """Start a run as `POST /threads/{thread_id}/runs` (or `/runs`, stateless, when
    `thread_id` is None) would: checked, authorized, submitted to the runtime."""
    check_request(req, stateless=thread_id is None)
    req, found = await authorize_run(request, thread_id, req)
    return await runtime(request).submit(thread_id, req, found, caller(request), api_url=api_url(request))


async def outcome(stream: RunStream) -> Any:
    """What `/runs/wait` answers once the run ends: its last values, its interrupt, or
    `{"__error__": …}`."""
    return await collect(stream)


def stream_of(request: web.Request, run_id: str) -> RunStream | None:
    """The live event log of a run that has not ended (None once it has)."""
    return runtime(request).streams.get(run_id)


async def thread(request: web.Request, thread_id: str) -> Thread | None:
    """The thread, if the user may read it."""
    filter = await authorize(request, "threads", "read", {"thread_id": thread_id})
    try:
        return await get_thread(request, thread_id, filter)
    except NotFound:
        return None


async def run(request: web.Request, thread_id: str, run_id: str) -> Run | None:
    """The run, if it is on that thread and the user may read the thread."""
    try:
        return await run_for(request, thread_id, run_id, "read")
    except NotFound:
        return None


async def thread_runs(request: web.Request, thread_id: str) -> list[Run]:
    """All of a thread's runs, oldest first (the caller has read the thread)."""
    found: list[Run] = []
    while True:
        page = await records(request).runs.list(thread_id, limit=THREAD_PAGE, offset=len(found), status=None)
        found.extend(page)
        if len(page) < THREAD_PAGE:
            return found[::-1]


async def threads_with(request: web.Request, metadata: dict[str, Any], *, limit: int) -> list[Thread]:
    """The threads whose metadata holds `metadata` that the user may see, newest first."""
    auth = await authorize(request, "threads", "search", {"metadata": metadata, "limit": limit, "offset": 0})
    return await records(request).threads.search(
        ids=None, metadata=metadata, values=None, status=None, limit=limit, offset=0,
        sort_by="created_at", sort_order="desc", auth=auth,
    )


async def cancel(request: web.Request, thread_id: str, run_ids: list[str], reason: str) -> None:
    """Interrupt runs (the user may update the thread: they may read it and run on it)."""
    for run_id in run_ids:
        await run_for(request, thread_id, run_id, "update", action="interrupt")
    streams = [s for s in (stream_of(request, r) for r in run_ids) if s is not None]
    await runtime(request).cancel(thread_id, run_ids, "interrupt", reason)
    for stream in streams:  # answer once they have ended
        await collect(stream)


async def end_interrupted(request: web.Request, thread_id: str) -> None:
    """Leave an interrupted thread's pending interrupt unanswered for good: a state update
    as `__end__`, after which the thread is idle."""
    await thread_for(request, thread_id, "update", action=None)
    await runtime(request).update_state(thread_id, None, as_node="__end__", caller=reader(request))
