"""Assistants: search and get (the system assistant of each graph is created at start)."""

from __future__ import annotations

import msgspec
from aiohttp import web

from protocol.errors import NotFound, Unprocessable
from protocol.requests import AssistantSearch
from protocol.resources import Assistant

from ..context import runtime
from ..http import body, json, path_uuid

routes = web.RouteTableDef()


@routes.post("/assistants/search")
async def search_assistants(request: web.Request) -> web.Response:
    req = await body(request, AssistantSearch)
    if not 1 <= req.limit <= 1000 or req.offset < 0:
        raise Unprocessable("limit must be between 1 and 1000 and offset at least 0")
    unknown = sorted(set(req.select or ()) - set(Assistant.__struct_fields__))
    if unknown:
        raise Unprocessable(f"Invalid select: unknown field(s) {unknown}; expected any of {list(Assistant.__struct_fields__)}")
    rt = runtime(request)
    if req.graph_id is not None and req.graph_id not in rt.graphs.graph_ids():
        raise NotFound(f"Graph {req.graph_id} not found")
    found = await rt.storage.assistants.search(
        graph_id=req.graph_id, name=req.name, metadata=req.metadata, limit=req.limit + 1, offset=req.offset,
        sort_by=req.sort_by or "created_at", sort_order=req.sort_order or "desc",
    )
    page = found[: req.limit]
    headers = {"X-Pagination-Total": str(req.offset + len(page))}
    if len(found) > req.limit:
        headers["X-Pagination-Next"] = str(req.offset + req.limit)
    if req.select:
        return json([{k: v for k, v in msgspec.structs.asdict(a).items() if k in req.select} for a in page], headers=headers)
    return json(page, headers=headers)


@routes.get("/assistants/{assistant_id}")
async def get_assistant(request: web.Request) -> web.Response:
    rt = runtime(request)
    assistant = await rt.storage.assistants.get(path_uuid(request, "assistant_id", "assistant"))
    if assistant is None or assistant.graph_id not in rt.graphs.graph_ids():
        raise NotFound("Assistant not found")
    return json(assistant)
