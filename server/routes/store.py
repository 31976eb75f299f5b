"""The store: put, get, delete, search items; list namespaces (LangGraph's BaseStore)."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web
from langgraph.store.base import NOT_PROVIDED

from protocol.errors import BadRequest, Unprocessable

from ..context import runtime
from ..http import body, json, no_content, query_bool

routes = web.RouteTableDef()


class PutItem(msgspec.Struct, kw_only=True):
    namespace: list[str]
    key: str
    value: dict[str, Any]
    index: Any = None
    ttl: float | None | msgspec.UnsetType = msgspec.UNSET  # left out: the store's default_ttl


class DeleteItem(msgspec.Struct, kw_only=True):
    namespace: list[str]
    key: str


class SearchItems(msgspec.Struct, kw_only=True):
    namespace_prefix: list[str] = []
    filter: dict[str, Any] | None = None
    limit: int = 10
    offset: int = 0
    query: str | None = None
    refresh_ttl: bool | None = None


class ListNamespaces(msgspec.Struct, kw_only=True):
    prefix: list[str] | None = None
    suffix: list[str] | None = None
    max_depth: int | None = None
    limit: int = 100
    offset: int = 0


def _namespace(labels: list[str]) -> tuple[str, ...]:
    for label in labels:
        if not label or "." in label:
            raise Unprocessable(f"Invalid namespace label {label!r}: labels must be non-empty and contain no '.'")
    return tuple(labels)


def _page(limit: int, offset: int) -> None:
    if not 0 <= limit <= 1000 or offset < 0:
        raise Unprocessable("limit must be between 0 and 1000 and offset at least 0")


def _item(item: Any) -> dict[str, Any]:
    out = {
        "namespace": list(item.namespace),
        "key": item.key,
        "value": item.value,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
    }
    if hasattr(item, "score"):
        out["score"] = item.score
    return out


@routes.put("/store/items")
async def put_item(request: web.Request) -> web.Response:
    req = await body(request, PutItem)
    if req.index not in (None, False) and not (isinstance(req.index, list) and all(isinstance(i, str) for i in req.index)):
        raise Unprocessable("index must be false, null or a list of field paths")
    await runtime(request).storage.store.aput(_namespace(req.namespace), req.key, req.value, index=req.index, ttl=NOT_PROVIDED if req.ttl is msgspec.UNSET else req.ttl)
    return no_content()


@routes.get("/store/items")
async def get_item(request: web.Request) -> web.Response:
    key = request.query.get("key")
    if not key:
        raise BadRequest("Key is required")
    labels = [label for label in request.query.get("namespace", "").split(".") if label]
    item = await runtime(request).storage.store.aget(_namespace(labels), key, refresh_ttl=query_bool(request, "refresh_ttl") if "refresh_ttl" in request.query else None)
    return json(_item(item) if item is not None else None)


@routes.delete("/store/items")
async def delete_item(request: web.Request) -> web.Response:
    req = await body(request, DeleteItem)
    await runtime(request).storage.store.adelete(_namespace(req.namespace), req.key)
    return no_content()


@routes.post("/store/items/search")
async def search_items(request: web.Request) -> web.Response:
    req = await body(request, SearchItems)
    _page(req.limit, req.offset)
    items = await runtime(request).storage.store.asearch(
        _namespace(req.namespace_prefix), query=req.query, filter=req.filter, limit=req.limit,
        offset=req.offset, refresh_ttl=req.refresh_ttl,
    )
    return json({"items": [_item(i) for i in items]})


@routes.post("/store/namespaces")
async def list_namespaces(request: web.Request) -> web.Response:
    req = await body(request, ListNamespaces)
    _page(req.limit, req.offset)
    found = await runtime(request).storage.store.alist_namespaces(
        prefix=tuple(req.prefix) if req.prefix else None, suffix=tuple(req.suffix) if req.suffix else None,
        max_depth=req.max_depth, limit=req.limit, offset=req.offset,
    )
    return json({"namespaces": [list(ns) for ns in found]})
