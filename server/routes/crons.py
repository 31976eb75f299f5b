"""Crons: create (stateless or on a thread), get, patch, delete, search, count."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from threadloom.actors.newcron import given_fields, new_cron, patched_cron, run_fields, zone
from threadloom.protocol.bodies import CRON_COUNT, CRON_CREATE, CRON_PATCH, CRON_SEARCH, THREAD_CRON_CREATE
from threadloom.protocol.errors import BadRequest, NotFound, Unprocessable
from threadloom.protocol.filters import matches
from threadloom.protocol.ids import parse_uuid
from threadloom.protocol.requests import (
    CRON_PATCH_FIELDS,
    CronCount,
    CronCreate,
    CronPatch,
    CronSearch,
    convert,
)
from threadloom.protocol.resources import Assistant, Cron

from ..auth.user import user_of
from ..context import authorize, resolve_assistant, records, runtime, thread_for
from ..http import body, json, no_content, page_total, paged, path_uuid
from ..operations import operation

routes = web.RouteTableDef()

CRON_NOT_FOUND = "Not Found"  # the official server's text for a missing cron, but in a PATCH


def _thread_not_found(thread_id: str) -> NotFound:
    return NotFound(
        f"Thread with ID '{thread_id}' not found. "
        "Please verify the ID is correct and the thread hasn't been deleted or expired."
    )


async def _create(request: web.Request, thread_id: str | None) -> Cron:
    """A cron that runs as the user who created it (`crons.create`, and reading its
    assistant and thread). Its assistant, time zone, schedule, then thread are checked,
    in the official server's order."""
    raw = await body(request, dict[str, Any])
    req = convert(raw, CronCreate)
    rt = runtime(request)
    assistant = await _cron_assistant(request, req.assistant_id)
    cron = new_cron(req, raw, assistant_id=assistant.assistant_id, thread_id=thread_id)
    if thread_id is not None:
        await _cron_thread(request, thread_id)
    user = user_of(request)
    await rt.webhooks.check(run_fields(raw).get("webhook"))
    value = {
        "cron_id": cron.cron_id, "thread_id": thread_id, "payload": cron.payload, "schedule": cron.schedule,
        "user_id": user.identity if user else cron.user_id, "end_time": cron.end_time, "metadata": dict(cron.metadata),
    }
    await authorize(request, "crons", "create", value)
    if value["metadata"] != cron.metadata:  # e.g. stamped with an owner: its runs carry the cron's metadata;
        # the payload shows the request's as the handler left it, if it had any (as on the official server)
        payload = {**cron.payload, "metadata": value["metadata"]} if "metadata" in cron.payload else cron.payload
        cron = msgspec.structs.replace(cron, metadata=value["metadata"], payload=payload)
    cron = msgspec.structs.replace(cron, user_id=value["user_id"])
    if not await records(request).crons.insert(cron, user=user):
        raise _thread_not_found(str(thread_id))
    return cron


async def _cron_thread(request: web.Request, thread_id: str) -> None:
    """The thread of a cron, which the user must be able to read (`threads.read`)."""
    try:
        await thread_for(request, thread_id, "read")
    except NotFound:
        raise _thread_not_found(thread_id) from None


async def _cron_assistant(request: web.Request, assistant_id: str) -> Assistant:
    """The assistant a cron runs. Unlike a run, whatever names no assistant the user can
    see (not a graph, a missing id, another user's) is one 404, as on the official server."""
    try:
        return await resolve_assistant(request, assistant_id)
    except (NotFound, Unprocessable):
        raise NotFound(f"Assistant '{assistant_id}' not found") from None


@routes.post("/runs/crons")
@operation("Schedule a stateless cron", body=CRON_CREATE, response=Cron)
async def create_cron(request: web.Request) -> web.Response:
    return json(await _create(request, None))


@routes.post("/threads/{thread_id}/runs/crons")
@operation("Schedule a cron on a thread", body=THREAD_CRON_CREATE, response=Cron)
async def create_thread_cron(request: web.Request) -> web.Response:
    return json(await _create(request, path_uuid(request, "thread_id", "thread")))


@routes.post("/runs/crons/search")
@operation("Search crons", body=CRON_SEARCH, response=list[Cron])
async def search_crons(request: web.Request) -> web.Response:
    req = await body(request, CronSearch)
    crons = records(request).crons
    filters = await _filters(request, req, enabled=req.enabled)
    found = await crons.search(
        **filters, limit=req.limit, offset=req.offset,
        sort_by=req.sort_by or "created_at", sort_order=req.sort_order or "desc",
    )
    total = await page_total(found, limit=req.limit, offset=req.offset, count=lambda: crons.count(**filters))
    return paged(found, total=total, offset=req.offset, select=req.select)


@routes.post("/runs/crons/count")
@operation("Count crons", body=CRON_COUNT, response=int)
async def count_crons(request: web.Request) -> web.Response:
    req = await body(request, CronCount)
    return json(await records(request).crons.count(**await _filters(request, req, enabled=None)))


async def _filters(request: web.Request, req: CronCount, *, enabled: bool | None) -> dict[str, Any]:
    """Search filters (ids, as on the official server: not a graph's id), and the user's
    (`crons.search`)."""
    assistant_id = parse_uuid(req.assistant_id, "assistant") if req.assistant_id is not None else None
    thread_id = parse_uuid(req.thread_id, "thread") if req.thread_id is not None else None
    filters = {"assistant_id": assistant_id, "thread_id": thread_id, "enabled": enabled, "metadata": req.metadata}
    page = {"limit": getattr(req, "limit", None), "offset": getattr(req, "offset", None)}
    return {**filters, "auth": await authorize(request, "crons", "search", {**filters, **page})}


async def _cron_for(
    request: web.Request, verb: str, value: dict[str, Any] | None = None, *, missing: str = CRON_NOT_FOUND
) -> Cron:
    """The cron of the path, if the user may do `verb` on it (`crons.<verb>`, told `value`,
    which the handler may change); a 404 saying `missing` if it is missing."""
    cron_id = path_uuid(request, "cron_id", "cron")
    filter = await authorize(request, "crons", verb, value if value is not None else {"cron_id": cron_id})
    cron = await records(request).crons.get(cron_id)
    if cron is None or not matches(cron.metadata, filter):
        raise NotFound(missing)
    return cron


@routes.get("/runs/crons/{cron_id}")
@operation("Get a cron", response=Cron)
async def get_cron(request: web.Request) -> web.Response:
    return json(await _cron_for(request, "read"))


@routes.patch("/runs/crons/{cron_id}")
@operation("Update a cron", body=CRON_PATCH, response=Cron)
async def patch_cron(request: web.Request) -> web.Response:
    """In the official server's order: the id, an empty body, the time zone, the webhook,
    the cron (missing: `Cron '<id>' not found`), then the schedule."""
    cron_id = path_uuid(request, "cron_id", "cron")
    raw = await body(request, dict[str, Any])
    if not raw:
        raise BadRequest("Request body cannot be empty")
    patch = convert({k: raw[k] for k in given_fields(raw) & CRON_PATCH_FIELDS}, CronPatch)
    if patch.timezone is not None:
        zone(patch.timezone)
    if isinstance(webhook := raw.get("webhook"), str):  # any other type is a 422 as the payload is checked
        await runtime(request).webhooks.check(webhook)
    metadata = dict(patch.metadata) if patch.metadata is not None else None
    value = {"cron_id": cron_id, "payload": run_fields(raw), "schedule": patch.schedule, "metadata": metadata}
    missing = f"Cron '{cron_id}' not found"
    await _cron_for(request, "update", value, missing=missing)
    if metadata is not None and value["metadata"] != patch.metadata:  # e.g. stamped with the owner again
        raw["metadata"] = value["metadata"]
        patch = msgspec.structs.replace(patch, metadata=value["metadata"])
    cron = await records(request).crons.update(cron_id, lambda cron: patched_cron(cron, patch, raw))
    if cron is None:
        raise NotFound(missing)
    return json(cron)


@routes.delete("/runs/crons/{cron_id}")
@operation("Delete a cron", status=204)
async def delete_cron(request: web.Request) -> web.Response:
    cron = await _cron_for(request, "delete")
    if not await records(request).crons.delete(cron.cron_id):
        raise NotFound(CRON_NOT_FOUND)
    return no_content()
