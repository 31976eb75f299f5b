"""Typed keys for what the application holds, and lookups every route needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from aiohttp import web
from langgraph.store.base import BaseStore

from threadloom.actors.runtime import Runtime
from threadloom.actors.ttl import TtlSweeper
from threadloom.protocol.errors import THREAD_OR_ASSISTANT_NOT_FOUND, NotFound, Unprocessable
from threadloom.protocol.filters import Filter, matches
from threadloom.protocol.ownership import Cluster
from threadloom.protocol.ids import is_uuid, system_assistant_id
from threadloom.protocol.requests import RunCreate
from threadloom.protocol.resources import Assistant, Run, Thread
from threadloom.protocol.storage import AssistantStore, CheckpointReads, CronStore, RunReads, Storage, ThreadReads
from threadloom.protocol.users import reader_configurable, run_configurable

from .auth.middleware import AUTHORIZER
from .auth.user import user_of
from .project import Project
from .requestid import request_id

@dataclass(frozen=True)
class Records:
    """What the routes touch in storage themselves: they read threads and runs (whose
    writes go through the thread's supervisor, via `Runtime`), measure checkpoints, and keep
    assistants, crons and the store's items."""

    threads: ThreadReads
    runs: RunReads
    checkpoints: CheckpointReads
    assistants: AssistantStore
    crons: CronStore
    store: BaseStore

    @classmethod
    def of(cls, storage: Storage) -> Records:
        return cls(storage.threads, storage.runs, storage.checkpoints, storage.assistants, storage.crons, storage.store)


RUNTIME = web.AppKey("runtime", Runtime)
RECORDS = web.AppKey("records", Records)
CLUSTER: web.AppKey[Cluster | None] = web.AppKey("cluster")  # None: this process owns the database alone
STORAGE: web.AppKey[Storage] = web.AppKey("storage")  # for the application's start-up and teardown only
TTL_SWEEPER = web.AppKey("ttl_sweeper", TtlSweeper)  # threads' TTLs applied (`checkpointer.ttl`)
PROJECT = web.AppKey("project", Project)  # what langgraph.json declares


def runtime(request: web.Request) -> Runtime:
    return request.app[RUNTIME]


def records(request: web.Request) -> Records:
    return request.app[RECORDS]


# who asks ------------------------------------------------------------------------------------


async def authorize(request: web.Request, resource: str, action: str, value: dict[str, Any]) -> Filter | None:
    """Ask the project's `@auth.on` handler whether the request's user may do `action` on
    `resource` (a 403 if not); the filter it sets on what they see, if any. The handler
    may change `value`, and the request goes on with what it left there. Without custom
    auth: allowed, unfiltered."""
    authorizer, user = request.app.get(AUTHORIZER), user_of(request)
    if authorizer is None or user is None:
        return None
    return await authorizer(user, resource, action, value)


def caller(request: web.Request) -> dict[str, Any]:
    """The configurable keys a run created by this request carries: who made it, and the
    request id."""
    return {**run_configurable(user_of(request)), "langgraph_request_id": request_id(request)}


def reader(request: web.Request) -> dict[str, Any]:
    """The configurable keys a state read or update made by this request carries."""
    return reader_configurable(user_of(request))


def api_url(request: web.Request) -> str | None:
    """Where this server is reached, for a run's `langgraph_api_url`: `LANGGRAPH_API_URL`
    if set, else the address this request came in on (the official dev server gives the
    address it listens on; with `--port 0` only the connection knows the port)."""
    configured = runtime(request).settings.api_url
    sockname = request.transport.get_extra_info("sockname") if request.transport is not None else None
    if configured or not isinstance(sockname, tuple):
        return configured
    host, port = sockname[0], sockname[1]
    return f"{request.scheme}://[{host}]:{port}" if ":" in host else f"{request.scheme}://{host}:{port}"


# lookups -----------------------------------------------------------------------------------


async def get_thread(request: web.Request, thread_id: str, filter: Filter | None = None) -> Thread:
    """The thread; a 404 if it is missing or `filter` hides it."""
    thread = await records(request).threads.get(thread_id)
    if thread is None or not matches(thread.metadata, filter):
        raise NotFound(f"Thread with ID {thread_id} not found")
    return thread


async def thread_for(request: web.Request, thread_id: str, verb: str, /, **value: Any) -> Thread:
    """The thread, if the user may do `verb` (read, update, delete…) on it; `value`: what
    the handler is told besides the thread id."""
    return await get_thread(request, thread_id, await authorize(request, "threads", verb, {"thread_id": thread_id, **value}))


async def run_for(request: web.Request, thread_id: str, run_id: str, verb: str, /, **value: Any) -> Run:
    """The run, if the user may do `verb` on its thread; a 404 if it is missing."""
    filter = await authorize(request, "threads", verb, {"thread_id": thread_id, "run_id": run_id, **value})
    run = await records(request).runs.get(run_id)
    if run is None or run.thread_id != thread_id:
        raise NotFound("Run not found")
    if filter is not None:
        thread = await records(request).threads.get(thread_id)
        if thread is None or not matches(thread.metadata, filter):
            raise NotFound("Run not found")
    return run


async def resolve_assistant(request: web.Request, assistant_id: str) -> Assistant:
    """An assistant to run: by id, or the system assistant of a graph given by its graph
    id. One the user may not read is a 404 (system assistants are for everyone)."""
    rt = runtime(request)
    graph_ids = rt.graphs.graph_ids()
    if assistant_id in graph_ids:
        assistant_id = system_assistant_id(assistant_id)
    elif not is_uuid(assistant_id):
        raise Unprocessable(f"Invalid assistant: '{assistant_id}'. Must be either:\n"
                            f"- A valid assistant UUID, or\n- One of the registered graphs: {', '.join(graph_ids)}")
    assistant = await records(request).assistants.get(str(assistant_id))
    if assistant is None or assistant.graph_id not in graph_ids:
        raise NotFound(THREAD_OR_ASSISTANT_NOT_FOUND)
    if assistant.assistant_id != system_assistant_id(assistant.graph_id):
        filter = await authorize(request, "assistants", "read", {"assistant_id": assistant.assistant_id})
        if not matches(assistant.metadata, filter):
            raise NotFound(THREAD_OR_ASSISTANT_NOT_FOUND)
    return assistant


async def authorize_run(request: web.Request, thread_id: str | None, req: RunCreate) -> tuple[RunCreate, Assistant]:
    """The request as `threads.create_run` leaves it (its metadata may gain keys), and
    its assistant; a thread or assistant the user may not see is a 404."""
    if user_of(request) is None:  # no custom auth
        return req, await resolve_assistant(request, req.assistant_id)
    value = {
        "thread_id": thread_id, "assistant_id": req.assistant_id, "run_id": None, "status": "pending",
        "metadata": dict(req.metadata or {}), "multitask_strategy": req.multitask_strategy or "enqueue",
        "if_not_exists": req.if_not_exists or "reject", "after_seconds": req.after_seconds,
        "prevent_insert_if_inflight": req.multitask_strategy == "reject", "kwargs": msgspec.to_builtins(req),
    }
    filter = await authorize(request, "threads", "create_run", value)
    assistant = await resolve_assistant(request, req.assistant_id)
    if filter is not None and thread_id is not None:
        thread = await records(request).threads.get(thread_id)
        if thread is not None and not matches(thread.metadata, filter):
            raise NotFound(THREAD_OR_ASSISTANT_NOT_FOUND)
    if value["metadata"] != (req.metadata or {}):
        req = msgspec.structs.replace(req, metadata=value["metadata"])
    return req, assistant
