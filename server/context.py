"""Typed keys for what the application holds, and lookups every route needs."""

from __future__ import annotations

from aiohttp import web

from actors.runtime import Runtime
from protocol.errors import NotFound, Unprocessable
from protocol.ids import is_uuid, system_assistant_id
from protocol.resources import Assistant, Run, Thread

from .project import Project

RUNTIME = web.AppKey("runtime", Runtime)
PROJECT = web.AppKey("project", Project)  # what langgraph.json declares


def runtime(request: web.Request) -> Runtime:
    return request.app[RUNTIME]


async def get_thread(request: web.Request, thread_id: str) -> Thread:
    thread = await runtime(request).storage.threads.get(thread_id)
    if thread is None:
        raise NotFound(f"Thread with ID {thread_id} not found")
    return thread


async def get_run(request: web.Request, thread_id: str, run_id: str) -> Run:
    run = await runtime(request).storage.runs.get(run_id)
    if run is None or run.thread_id != thread_id:
        raise NotFound("Run not found")
    return run


async def resolve_assistant(request: web.Request, assistant_id: str) -> Assistant:
    """An assistant by id, or the system assistant of a graph given by its graph id."""
    rt = runtime(request)
    graph_ids = rt.graphs.graph_ids()
    if assistant_id in graph_ids:
        assistant_id = system_assistant_id(assistant_id)
    elif not is_uuid(assistant_id):
        raise Unprocessable(f"Invalid assistant: '{assistant_id}'. Must be either:\n"
                            f"- A valid assistant UUID, or\n- One of the registered graphs: {graph_ids}")
    assistant = await rt.storage.assistants.get(str(assistant_id))
    if assistant is None or assistant.graph_id not in graph_ids:
        raise NotFound("Thread or assistant not found.")
    return assistant
