"""Assistants (reference §2.1): versioned configurations of a graph.

`config.configurable` and `context` mirror each other. An assistant whose graph this
server does not serve is hidden: every route but DELETE answers 404 for it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from aiohttp import web

from threadloom.actors.newrun import (
    BOTH_CONTEXT_AND_CONFIGURABLE,
    RESERVED_CONFIGURABLE,
    RESERVED_METADATA,
)
from threadloom.actors.runtime import Runtime
from threadloom.protocol import clock
from threadloom.protocol.bodies import (
    ASSISTANT_COUNT,
    ASSISTANT_CREATE,
    ASSISTANT_PATCH,
    ASSISTANT_SEARCH,
    ASSISTANT_VERSION_CHANGE,
    ASSISTANT_VERSIONS,
)
from threadloom.protocol.errors import BadRequest, Conflict, NotFound, Unprocessable
from threadloom.protocol.filters import matches
from threadloom.protocol.ids import parse_uuid, system_assistant_id, uuid4
from threadloom.protocol.requests import (
    AssistantCount,
    AssistantCreate,
    AssistantPatch,
    AssistantSearch,
    AssistantVersionChange,
    AssistantVersionSearch,
    check_config,
)
from threadloom.protocol.resources import Assistant, AssistantVersion
from threadloom.protocol.storage import ThreadReads
from threadloom.protocol.responses import GraphSchema

from .. import graphinfo
from ..context import authorize, caller, records, runtime
from ..http import body, json, no_content, page_total, paged, path_uuid, query_bool
from ..operations import Param, flag, operation
from ..owners import cancel_runs_anywhere, prune_thread

routes = web.RouteTableDef()

THREAD_PAGE = 1000  # threads looked up at a time when deleting an assistant's threads
RECURSE = flag("recurse", "Also the subgraphs of subgraphs")


# request values -----------------------------------------------------------------------------


def _strip(mapping: dict[str, Any] | None, reserved: frozenset[str]) -> dict[str, Any]:
    """The server's own keys are dropped silently, as the official server does."""
    return {k: v for k, v in (mapping or {}).items() if k not in reserved}


def _clean_config(config: dict[str, Any]) -> dict[str, Any]:
    check_config(config)
    cleaned = dict(config)
    if "configurable" in cleaned:
        cleaned["configurable"] = _strip(cleaned["configurable"], RESERVED_CONFIGURABLE)
    if "metadata" in cleaned:
        cleaned["metadata"] = _strip(cleaned["metadata"], RESERVED_METADATA)
    return cleaned


def _check_not_both(config: dict[str, Any] | None, context: dict[str, Any] | None) -> None:
    if (config or {}).get("configurable") and context:
        raise BadRequest(BOTH_CONTEXT_AND_CONFIGURABLE)


def _mirrored(config: dict[str, Any], context: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A non-empty `configurable` is copied into `context`; else `context` into `configurable`."""
    if config.get("configurable"):
        return config, dict(config["configurable"])
    if context:
        return {**config, "configurable": dict(context)}, context
    return config, context


def _patched_config(
    old: Assistant, config: dict[str, Any] | None, context: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Config and context after a PATCH. A config with a configurable replaces both (as
    on create); a context replaces the old one and, mirrored, `config.configurable` only
    (the official server drops the rest of the config: a quirk); any other non-empty
    config replaces the config and leaves the context."""
    if config and config.get("configurable"):
        return _mirrored(config, {})
    base = config or old.config
    if context is not None:
        return {**base, "configurable": dict(context)}, context
    return base, old.context


def _xray(request: web.Request) -> bool | int:
    value = request.query.get("xray", "")
    if value in ("", "false", "False"):
        return False
    if value in ("true", "True"):
        return True
    depth = int(value) if value.isdigit() else 0
    if depth <= 0:
        raise Unprocessable("Invalid xray value")
    return depth


# lookups ------------------------------------------------------------------------------------


def _check_graph(rt: Runtime, graph_id: str) -> None:
    graph_ids = rt.graphs.graph_ids()
    if graph_id not in graph_ids:
        raise NotFound(f"Graph '{graph_id}' not found. Expected one of: {sorted(graph_ids)}")


async def _visible(
    request: web.Request, assistant_id: str, verb: str, value: dict[str, Any] | None = None, *, missing: str | None = None
) -> Assistant:
    """The assistant, if the user may do `verb` on it (`assistants.<verb>`, told `value`,
    which the handler may change); a 404 saying `missing` if it is missing (or hidden, or
    its graph is not served)."""
    filter = await authorize(request, "assistants", verb, value if value is not None else {"assistant_id": assistant_id})
    rt = runtime(request)
    assistant = await records(request).assistants.get(assistant_id)
    if assistant is None or assistant.graph_id not in rt.graphs.graph_ids() or not matches(assistant.metadata, filter):
        raise NotFound(missing or f"Assistant {assistant_id} not found")
    return assistant


async def _shown(request: web.Request, assistant_id: str) -> Assistant:
    """An assistant to show (itself, its graph, schemas or subgraphs): a missing one is a
    bare `Not Found` there on the official server, unlike on its other routes."""
    return await _visible(request, assistant_id, "read", missing="Not Found")


async def _from_path(request: web.Request) -> Assistant:
    return await _shown(request, path_uuid(request, "assistant_id", "assistant"))


async def _threads_of(threads: ThreadReads, assistant_id: str) -> list[str]:
    """Ids of the threads whose metadata names this assistant."""
    thread_ids: list[str] = []
    while True:
        page = await threads.search(
            ids=None, metadata={"assistant_id": assistant_id}, values=None, status=None,
            limit=THREAD_PAGE, offset=len(thread_ids),
        )
        thread_ids.extend(t.thread_id for t in page)
        if len(page) < THREAD_PAGE:
            return thread_ids


def _as_caller(request: web.Request, assistant: Assistant) -> dict[str, Any]:
    """The assistant's config, with the user's keys for a graph factory."""
    config = assistant.config
    return {**config, "configurable": {**config.get("configurable", {}), **caller(request)}}


# routes -------------------------------------------------------------------------------------


@routes.post("/assistants")
@operation("Create an assistant", body=ASSISTANT_CREATE, response=Assistant)
async def create_assistant(request: web.Request) -> web.Response:
    req = await body(request, AssistantCreate)
    assistant_id = parse_uuid(req.assistant_id, "assistant") if req.assistant_id is not None else uuid4()
    config, context = _clean_config(req.config or {}), _strip(req.context, RESERVED_CONFIGURABLE)
    rt = runtime(request)
    _check_graph(rt, req.graph_id)
    _check_not_both(config, context)
    config, context = _mirrored(config, context)
    value: dict[str, Any] = {
        "assistant_id": assistant_id, "graph_id": req.graph_id, "config": config, "context": context,
        "metadata": _strip(req.metadata, RESERVED_METADATA), "if_exists": req.if_exists or "raise",
        "name": req.name or "Untitled",
    }
    filter = await authorize(request, "assistants", "create", value)
    now = clock.now_iso()
    assistant = Assistant(
        assistant_id=assistant_id, graph_id=req.graph_id, config=config, context=context,
        metadata=value["metadata"], name=req.name or "Untitled",
        created_at=now, updated_at=now, version=1, description=req.description,
    )
    if await records(request).assistants.create(assistant):
        return json(assistant)
    existing = await records(request).assistants.get(assistant_id)
    # one the user may not see is taken all the same
    if req.if_exists == "do_nothing" and existing is not None and matches(existing.metadata, filter):
        return json(existing)
    raise Conflict(f"Assistant {assistant_id} already exists")


@routes.post("/assistants/search")
@operation("Search assistants", body=ASSISTANT_SEARCH, response=list[Assistant])
async def search_assistants(request: web.Request) -> web.Response:
    req = await body(request, AssistantSearch)
    rt = runtime(request)
    if req.graph_id is not None:
        _check_graph(rt, req.graph_id)
    filters: dict[str, Any] = {
        "graph_ids": rt.graphs.graph_ids(), "graph_id": req.graph_id, "name": req.name, "metadata": req.metadata,
    }
    filters["auth"] = await authorize(request, "assistants", "search", {
        "graph_id": req.graph_id, "metadata": req.metadata, "limit": req.limit, "offset": req.offset,
    })
    found = await records(request).assistants.search(
        **filters, limit=req.limit, offset=req.offset,
        sort_by=req.sort_by or "created_at", sort_order=req.sort_order or "desc",
    )
    total = await page_total(
        found, limit=req.limit, offset=req.offset, count=lambda: records(request).assistants.count(**filters)
    )
    # the real total: the official server sends offset+limit+1 whenever there is more (quirk)
    return paged(found, total=total, offset=req.offset, select=req.select)


@routes.post("/assistants/count")
@operation("Count assistants", body=ASSISTANT_COUNT, response=int)
async def count_assistants(request: web.Request) -> web.Response:
    req = await body(request, AssistantCount)
    rt = runtime(request)
    if req.graph_id is not None:
        _check_graph(rt, req.graph_id)
    auth = await authorize(request, "assistants", "search", {"graph_id": req.graph_id, "metadata": req.metadata})
    return json(await records(request).assistants.count(
        graph_ids=rt.graphs.graph_ids(), graph_id=req.graph_id, name=req.name, metadata=req.metadata, auth=auth
    ))


@routes.get("/assistants/{assistant_id}")
@operation("Get an assistant", response=Assistant)
async def get_assistant(request: web.Request) -> web.Response:
    return json(await _from_path(request))


@routes.patch("/assistants/{assistant_id}")
@operation("Update an assistant (a new version)", body=ASSISTANT_PATCH, response=Assistant)
async def patch_assistant(request: web.Request) -> web.Response:
    """Each PATCH saves a new version; metadata is merged key by key into the old."""
    assistant_id = path_uuid(request, "assistant_id", "assistant")
    req = await body(request, AssistantPatch)
    config = _clean_config(req.config) if req.config is not None else None
    context = _strip(req.context, RESERVED_CONFIGURABLE) if req.context is not None else None
    metadata = _strip(req.metadata, RESERVED_METADATA)
    rt = runtime(request)
    if req.graph_id is not None:
        _check_graph(rt, req.graph_id)
    _check_not_both(config, context)
    value: dict[str, Any] = {
        "assistant_id": assistant_id, "graph_id": req.graph_id, "config": config, "context": context,
        "metadata": metadata, "name": req.name,
    }
    await _visible(request, assistant_id, "update", value)  # the handler may change `value`'s metadata
    metadata = value["metadata"]
    now = clock.now_iso()

    def change(old: Assistant) -> Assistant:
        new_config, new_context = _patched_config(old, config, context)
        return msgspec.structs.replace(
            old, graph_id=req.graph_id or old.graph_id, config=new_config, context=new_context,
            metadata={**old.metadata, **metadata}, name=old.name if req.name is None else req.name,
            description=old.description if req.description is None else req.description, updated_at=now,
        )

    patched = await records(request).assistants.add_version(assistant_id, change)
    if patched is None:
        raise NotFound(f"Assistant {assistant_id} not found")
    return json(patched)


@routes.delete("/assistants/{assistant_id}")
@operation("Delete an assistant", status=204, query=(
    flag("delete_threads", "Also delete the threads whose metadata names the assistant"),
))
async def delete_assistant(request: web.Request) -> web.Response:
    """Deletes its versions and crons, interrupts its pending and running runs and, with
    `delete_threads=true`, deletes the threads whose metadata names it."""
    assistant_id = path_uuid(request, "assistant_id", "assistant")
    delete_threads = request.query.get("delete_threads", "").lower() == "true"
    filter = await authorize(request, "assistants", "delete", {"assistant_id": assistant_id})
    existing = await records(request).assistants.get(assistant_id)
    if existing is None or not matches(existing.metadata, filter) or not await records(request).assistants.delete(assistant_id):
        raise NotFound(f"Assistant with ID {assistant_id} not found")
    runs = await records(request).runs.find_active(assistant_id=assistant_id)
    await cancel_runs_anywhere(request, runs, "interrupt", f"assistant {assistant_id} was deleted")
    if delete_threads:
        for thread_id in await _threads_of(records(request).threads, assistant_id):
            await prune_thread(request, thread_id, "delete")
    return no_content()


@routes.post("/assistants/{assistant_id}/versions")
@operation("List an assistant's versions", body=ASSISTANT_VERSIONS, response=list[AssistantVersion])
async def list_versions(request: web.Request) -> web.Response:
    """Newest first; an empty list when the filter matches none (the official server
    answers 404 then)."""
    assistant_id = path_uuid(request, "assistant_id", "assistant")  # before the body, as on the official server
    req = await body(request, AssistantVersionSearch)
    assistant = await _visible(request, assistant_id, "read")
    versions = await records(request).assistants.versions(
        assistant.assistant_id, metadata=req.metadata, limit=req.limit, offset=req.offset
    )
    return json(versions)


@routes.post("/assistants/{assistant_id}/latest")
@operation("Set an assistant's current version", body=ASSISTANT_VERSION_CHANGE, response=Assistant)
async def set_latest_version(request: web.Request) -> web.Response:
    """Makes a saved version current again, its context and graph included (the official
    server keeps the current context and graph: a quirk)."""
    req = await body(request, AssistantVersionChange)
    assistant_id = path_uuid(request, "assistant_id", "assistant")
    assistant = await _visible(request, assistant_id, "update", {"assistant_id": assistant_id, "version": req.version})
    restored = None if req.version is None else await records(request).assistants.set_latest(assistant.assistant_id, req.version)
    if restored is None:
        raise NotFound(f"Version {req.version} not found for assistant {assistant.assistant_id}")
    return json(restored)


@routes.get("/assistants/{assistant_id}/graph")
@operation("An assistant's graph, drawable", response=dict[str, Any], query=(
    Param("xray", {"anyOf": [{"type": "boolean"}, {"type": "integer", "minimum": 1}], "default": False}, (
        "Draw subgraphs too (`true`), or down to this depth"
    )),
))
async def get_graph(request: web.Request) -> web.Response:
    """The drawable graph; the path may name a graph instead of an assistant."""
    rt = runtime(request)
    given = request.match_info["assistant_id"]
    assistant_id = system_assistant_id(given) if given in rt.graphs.graph_ids() else parse_uuid(given, "assistant")
    assistant = await _shown(request, assistant_id)
    xray = _xray(request)
    async with rt.graphs.open(assistant.graph_id, _as_caller(request, assistant), access="assistants.read") as graph:
        try:
            return json(await graphinfo.drawing(graph, xray))
        except graphinfo.NotDrawable as exc:
            raise Unprocessable(str(exc)) from None


@routes.get("/assistants/{assistant_id}/schemas")
@operation("An assistant's input, output, state, config and context schemas", response=GraphSchema)
async def get_schemas(request: web.Request) -> web.Response:
    assistant = await _from_path(request)
    async with runtime(request).graphs.open(assistant.graph_id, _as_caller(request, assistant), access="assistants.read") as graph:
        # building JSON Schemas takes tens of milliseconds: not on the event loop
        schemas = await asyncio.to_thread(graphinfo.schemas, graph)
    return json({"graph_id": assistant.graph_id, **schemas})


@routes.get("/assistants/{assistant_id}/subgraphs")
@routes.get("/assistants/{assistant_id}/subgraphs/{namespace}")
@operation("The schemas of an assistant's subgraphs, by namespace", response=dict[str, Any], query=(RECURSE,))
async def get_subgraphs(request: web.Request) -> web.Response:
    assistant = await _from_path(request)
    namespace = request.match_info.get("namespace")
    recurse = query_bool(request, "recurse")
    async with runtime(request).graphs.open(assistant.graph_id, _as_caller(request, assistant), access="assistants.read") as graph:
        try:
            found = await asyncio.to_thread(graphinfo.subgraph_schemas, graph, namespace, recurse)
        except graphinfo.NotDrawable as exc:
            raise Unprocessable(str(exc)) from None
    return json(found)
