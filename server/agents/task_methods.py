"""`GetTask`, `ListTasks` and `CancelTask` (reference v3-mcp-a2a §3.4)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from threadloom.protocol import clock
from threadloom.protocol.a2a import tasks
from threadloom.protocol.a2a.tasks import TaskRef
from threadloom.protocol.a2a.wire import TASK_NOT_CANCELABLE, TASK_NOT_FOUND, ListParams, TaskQuery
from threadloom.protocol.errors import NotFound
from threadloom.protocol.jsonrpc import INVALID_PARAMS, RpcError
from threadloom.protocol.requests import RunCreate
from threadloom.protocol.resources import Assistant

from . import contexts, engine

MAX_THREADS = 1000  # contexts `ListTasks` looks through (newest first)
CANCEL_MARKER_DELAY = 3600.0  # seconds: the marker run of a cancelled task must never start


async def _context_of(request: web.Request, assistant: Assistant, task_id: str) -> tuple[contexts.Context, TaskRef]:
    ref = TaskRef.parse(task_id)
    context = await contexts.load(request, ref.thread_id) if ref is not None else None
    if ref is None or context is None or ref not in context.tasks(assistant.assistant_id):
        raise RpcError(TASK_NOT_FOUND, f"Task not found: {task_id}")
    return context, ref


async def get(request: web.Request, assistant: Assistant, query: TaskQuery, scope: str) -> dict[str, Any]:
    context, ref = await _context_of(request, assistant, query.id)
    return context.describe(ref, assistant.assistant_id, history_length=query.history_length, scope=scope)


def _page(params: ListParams) -> tuple[int, int]:
    if not 1 <= params.page_size <= 100:
        raise RpcError(INVALID_PARAMS, "pageSize must be an integer between 1 and 100.")
    token = params.page_token or "0"
    if not token.isdigit():
        raise RpcError(INVALID_PARAMS, "pageToken is not one this server gave")
    return int(token), params.page_size


async def list_tasks(request: web.Request, assistant: Assistant, params: ListParams, scope: str) -> dict[str, Any]:
    """This assistant's tasks, newest first, in the contexts the user may see."""
    offset, size = _page(params)
    wanted = tasks.parse_state(params.status) if params.status else None
    if params.status and wanted is None:
        raise RpcError(INVALID_PARAMS, f"Unknown task state: {params.status}")
    if params.context_id is not None:
        found = await contexts.load(request, params.context_id) if _is_thread_id(params.context_id) else None
        loaded = [found] if found is not None else []
    else:
        threads = await engine.threads_with(request, {"assistant_id": assistant.assistant_id}, limit=MAX_THREADS)
        loaded = [c for t in threads if (c := await contexts.load(request, t.thread_id)) is not None]
    described = [
        context.describe(ref, assistant.assistant_id, history_length=params.history_length, scope=scope,
                         artifacts=params.include_artifacts)
        for context in loaded for ref in context.tasks(assistant.assistant_id)
    ]
    described = [
        t for t in described
        if (wanted is None or t["status"]["state"] == wanted)
        and (params.status_timestamp_after is None or _after(t["status"].get("timestamp"), params.status_timestamp_after))
    ]
    described.sort(key=lambda t: t["id"].split(":", 1)[1], reverse=True)  # run ids are UUIDv7: by creation
    page = described[offset : offset + size]
    more = offset + size < len(described)
    return {"tasks": page, "totalSize": len(described), "pageSize": len(page),
            "nextPageToken": str(offset + size) if more else ""}


def _is_thread_id(value: str) -> bool:
    return TaskRef.parse(f"{value}:{value}") is not None


def _after(timestamp: str | None, bound: str) -> bool:
    try:
        return timestamp is not None and clock.parse_iso(timestamp) > clock.parse_iso(bound.replace("Z", "+00:00"))
    except ValueError:
        raise RpcError(INVALID_PARAMS, "statusTimestampAfter is not an ISO 8601 timestamp") from None


async def cancel(request: web.Request, assistant: Assistant, query: TaskQuery) -> dict[str, Any]:
    """Interrupt a task's runs; a task waiting for input has its interrupt closed and a
    cancelled marker run (which never starts) records how it ended."""
    context, ref = await _context_of(request, assistant, query.id)
    state = context.state(ref)
    if state in tasks.TERMINAL:
        raise RpcError(TASK_NOT_CANCELABLE, "Task is not cancelable in its current state")
    if state == tasks.INPUT_REQUIRED:
        await engine.end_interrupted(request, ref.thread_id)
        marker, _ = await engine.start(request, ref.thread_id, RunCreate(
            assistant_id=assistant.assistant_id, metadata={"a2a": tasks.follow_up_stamp(ref)},
            after_seconds=CANCEL_MARKER_DELAY,
        ))
        active = [marker.run_id]
    else:
        active = [r.run_id for r in context.runs_of(ref) if r.status in ("pending", "running")]
    try:
        await engine.cancel(request, ref.thread_id, active, f"A2A CancelTask {ref.id}")
    except NotFound:  # it ended meanwhile
        raise RpcError(TASK_NOT_CANCELABLE, "Task is not cancelable in its current state") from None
    after = await contexts.load(request, ref.thread_id)
    if after is None:
        raise RpcError(TASK_NOT_FOUND, f"Task not found: {query.id}")
    return after.describe(ref, assistant.assistant_id, history_length=query.history_length, scope="task")
