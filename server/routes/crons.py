"""Crons: create (stateless or on a thread), get, patch, delete, search, count."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors.newcron import new_cron, patched_cron, run_fields
from protocol.errors import BadRequest, NotFound
from protocol.ids import parse_uuid, system_assistant_id
from protocol.requests import (
    CRON_PATCH_FIELDS,
    CronCount,
    CronCreate,
    CronPatch,
    CronSearch,
    convert,
)
from protocol.resources import Cron
from protocol.search import check_page, check_select

from ..context import get_thread, resolve_assistant, runtime
from ..http import body, json, no_content, paged, path_uuid

routes = web.RouteTableDef()

CRON_NOT_FOUND = "Cron not found"


async def _create(request: web.Request, thread_id: str | None) -> Cron:
    raw = await body(request, dict[str, Any])
    req = convert(raw, CronCreate)
    assistant = await resolve_assistant(request, req.assistant_id)
    if thread_id is not None:
        await get_thread(request, thread_id)
    cron = new_cron(req, run_fields(raw), assistant_id=assistant.assistant_id, thread_id=thread_id)
    if not await runtime(request).storage.crons.insert(cron):
        raise NotFound(f"Thread with ID {thread_id} not found")
    return cron


@routes.post("/runs/crons")
async def create_cron(request: web.Request) -> web.Response:
    return json(await _create(request, None))


@routes.post("/threads/{thread_id}/runs/crons")
async def create_thread_cron(request: web.Request) -> web.Response:
    return json(await _create(request, path_uuid(request, "thread_id", "thread")))


@routes.post("/runs/crons/search")
async def search_crons(request: web.Request) -> web.Response:
    req = await body(request, CronSearch)
    check_page(req.limit, req.offset)
    check_select(req.select, Cron.__struct_fields__)
    crons = runtime(request).storage.crons
    filters = _filters(request, req, enabled=req.enabled)
    total = await crons.count(**filters)
    found = await crons.search(
        **filters, limit=req.limit, offset=req.offset,
        sort_by=req.sort_by or "created_at", sort_order=req.sort_order or "desc",
    )
    return paged(found, total=total, offset=req.offset, select=req.select)


@routes.post("/runs/crons/count")
async def count_crons(request: web.Request) -> web.Response:
    req = await body(request, CronCount)
    return json(await runtime(request).storage.crons.count(**_filters(request, req, enabled=None)))


def _filters(request: web.Request, req: CronCount, *, enabled: bool | None) -> dict[str, Any]:
    """Search filters as stored: a graph id stands for its system assistant."""
    assistant_id = req.assistant_id
    if assistant_id is not None and assistant_id in runtime(request).graphs.graph_ids():
        assistant_id = system_assistant_id(assistant_id)
    thread_id = parse_uuid(req.thread_id, "thread") if req.thread_id is not None else None
    return {"assistant_id": assistant_id, "thread_id": thread_id, "enabled": enabled, "metadata": req.metadata}


@routes.get("/runs/crons/{cron_id}")
async def get_cron(request: web.Request) -> web.Response:
    cron = await runtime(request).storage.crons.get(path_uuid(request, "cron_id", "cron"))
    if cron is None:
        raise NotFound(CRON_NOT_FOUND)
    return json(cron)


@routes.patch("/runs/crons/{cron_id}")
async def patch_cron(request: web.Request) -> web.Response:
    cron_id = path_uuid(request, "cron_id", "cron")
    raw = await body(request, dict[str, Any])
    # null means "not given", except for end_time, where it clears the end
    given = {k: v for k, v in raw.items() if k in CRON_PATCH_FIELDS and (v is not None or k == "end_time")}
    if not given:
        raise BadRequest(f"No fields to update: give at least one of {sorted(CRON_PATCH_FIELDS)}")
    patch = convert(given, CronPatch)
    cron = await runtime(request).storage.crons.update(cron_id, lambda cron: patched_cron(cron, patch, given))
    if cron is None:
        raise NotFound(CRON_NOT_FOUND)
    return json(cron)


@routes.delete("/runs/crons/{cron_id}")
async def delete_cron(request: web.Request) -> web.Response:
    if not await runtime(request).storage.crons.delete(path_uuid(request, "cron_id", "cron")):
        raise NotFound(CRON_NOT_FOUND)
    return no_content()
