"""The store: put, get, delete, search items; list namespaces (LangGraph's BaseStore)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

import msgspec
from aiohttp import web
from langgraph.store.base import NOT_PROVIDED

from protocol.errors import BadRequest, Unprocessable
from protocol.requests import SqlInt, check_int64
from protocol.search import MAX_OFFSET

from ..context import runtime
from ..http import body, json, no_content, query_bool

routes = web.RouteTableDef()

# an expiry LangGraph can compute (now + ttl minutes past year 9999 is an OverflowError)
TtlMinutes = Annotated[float, msgspec.Meta(ge=0, le=1_000_000_000)]


class PutItem(msgspec.Struct, kw_only=True):
    namespace: list[str]
    key: str
    value: dict[str, Any]
    index: Any = None
    ttl: TtlMinutes | None | msgspec.UnsetType = msgspec.UNSET  # left out: the store's default_ttl


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
    max_depth: SqlInt | None = None
    limit: int = 100
    offset: int = 0


def _namespace(labels: list[str], *, item: bool = False) -> tuple[str, ...]:
    """Labels as a namespace, checked by LangGraph's rules here (its own check would be a
    500); an item's namespace (`item`) has at least one label and a root other than `langgraph`."""
    for label in labels:
        if not label or "." in label or "\x00" in label:
            raise Unprocessable(f"Invalid namespace label {label!r}: labels must be non-empty and contain no '.' or NUL")
    if item and not labels:
        raise Unprocessable("Invalid namespace: an item's namespace needs at least one label")
    if item and labels[0] == "langgraph":
        raise Unprocessable("Invalid namespace: the root label 'langgraph' is reserved")
    return tuple(labels)


def _page(limit: int, offset: int) -> None:
    if not 0 <= limit <= 1000 or not 0 <= offset <= MAX_OFFSET:
        raise Unprocessable(f"limit must be between 0 and 1000 and offset between 0 and {MAX_OFFSET}")


def _utc_iso(when: datetime) -> str:
    # LangGraph's SQLite store hands back naive datetimes (SQLite's CURRENT_TIMESTAMP, in UTC);
    # without an offset a browser's `new Date(...)` would read them as local time
    return (when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)).isoformat()


def _item(item: Any) -> dict[str, Any]:
    out = {
        "namespace": list(item.namespace),
        "key": item.key,
        "value": item.value,
        "created_at": _utc_iso(item.created_at),
        "updated_at": _utc_iso(item.updated_at),
    }
    if hasattr(item, "score"):
        out["score"] = item.score
    return out


@routes.put("/store/items")
async def put_item(request: web.Request) -> web.Response:
    req = await body(request, PutItem)
    if req.index not in (None, False) and not (isinstance(req.index, list) and all(isinstance(i, str) for i in req.index)):
        raise Unprocessable("index must be false, null or a list of field paths")
    check_int64(req.value, "value")
    await runtime(request).storage.store.aput(_namespace(req.namespace, item=True), req.key, req.value, index=req.index, ttl=NOT_PROVIDED if req.ttl is msgspec.UNSET else req.ttl)
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
    check_int64(req.filter, "filter")
    try:
        items = await runtime(request).storage.store.asearch(
            _namespace(req.namespace_prefix), query=req.query, filter=req.filter, limit=req.limit,
            offset=req.offset, refresh_ttl=req.refresh_ttl,
        )
    except ValueError as exc:  # LangGraph's check of the filter: a key it cannot query, an unknown operator
        raise Unprocessable(f"Invalid filter: {exc}") from None
    return json({"items": [_item(i) for i in items]})


@routes.post("/store/namespaces")
async def list_namespaces(request: web.Request) -> web.Response:
    req = await body(request, ListNamespaces)
    _page(req.limit, req.offset)
    found = await runtime(request).storage.store.alist_namespaces(
        prefix=_namespace(req.prefix) if req.prefix else None, suffix=_namespace(req.suffix) if req.suffix else None,
        max_depth=req.max_depth, limit=req.limit, offset=req.offset,
    )
    return json({"namespaces": [list(ns) for ns in found]})
