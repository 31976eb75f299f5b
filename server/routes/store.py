"""The store: put, get, delete, search items; list namespaces (LangGraph's BaseStore)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import msgspec
from aiohttp import web
from langgraph.store.base import NOT_PROVIDED

from threadloom.protocol.bodies import STORE_DELETE, STORE_NAMESPACES, STORE_PUT, STORE_SEARCH
from threadloom.protocol.errors import BadRequest, Unprocessable
from threadloom.protocol.requests import DeleteItem, ListNamespaces, PutItem, SearchItems, check_int64
from threadloom.protocol.responses import Item, ListNamespaceResponse, SearchItemsResponse

from ..context import authorize, records
from ..http import body, json, no_content, query_bool
from ..operations import Param, flag, operation

routes = web.RouteTableDef()


def _namespace(labels: list[str], *, item: bool = False) -> tuple[str, ...]:
    """Labels as a namespace, checked as the official server checks them (LangGraph's
    own check would be a 500 here), with its texts: each label first (a 422; the
    official body is plain text, this one the usual JSON), then what LangGraph's
    `BaseStore` refuses (a 400): a NUL, and for an item's namespace (`item`) no label
    or a `langgraph` root."""
    for label in labels:
        if not label or "." in label:
            raise Unprocessable(f"Namespace label '{label}' must be a non-empty string without periods")
    namespace = tuple(labels)
    for label in labels:
        if "\x00" in label:
            raise BadRequest(
                f"Invalid namespace label '{label}' found in {namespace}. Namespace labels cannot contain NUL bytes ('\\x00')."
            )
    if item and not namespace:
        raise BadRequest("Namespace cannot be empty.")
    if item and namespace[0] == "langgraph":
        raise BadRequest(f'Root label for namespace cannot be "langgraph". Got: {namespace}')
    return namespace


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


async def _authorized(request: web.Request, action: str, value: dict[str, Any], *, item: bool = False) -> Any:
    """Ask `store.<action>`; the namespace the handler leaves in `value` (e.g. prefixed
    with the user's id) is the one used, checked again. Returns the handler's answer."""
    answer = await authorize(request, "store", action, value)
    if value.get("namespace") is not None:
        value["namespace"] = _namespace([str(label) for label in value["namespace"]], item=item)
    return answer


@routes.put("/store/items")
@operation("Put an item in the store", body=STORE_PUT, status=204)
async def put_item(request: web.Request) -> web.Response:
    req = await body(request, PutItem)
    check_int64(req.value, "value")
    value: dict[str, Any] = {"namespace": _namespace(req.namespace, item=True), "key": req.key, "value": req.value, "index": req.index}
    await _authorized(request, "put", value, item=True)
    ttl = NOT_PROVIDED if req.ttl is msgspec.UNSET else req.ttl
    await records(request).store.aput(value["namespace"], req.key, value["value"], index=req.index, ttl=ttl)
    return no_content()


@routes.get("/store/items")
@operation("Get an item from the store (null if absent)", response=Item | None, query=(
    Param("key", {"type": "string"}, "The item's key", required=True),
    Param("namespace", {"type": "string"}, "Its namespace, labels joined by `.`"),
    flag("refresh_ttl", "Restart the item's time-to-live"),
))
async def get_item(request: web.Request) -> web.Response:
    key = request.query.get("key")
    if not key:  # the one official error under `error`, not `detail`
        return json({"error": "Key is required"}, status=400)
    # no namespace, or `a..b`, has an empty label: refused, as on the official server
    value: dict[str, Any] = {"namespace": _namespace(request.query.get("namespace", "").split(".")), "key": key}
    await _authorized(request, "get", value)
    refresh = query_bool(request, "refresh_ttl") if "refresh_ttl" in request.query else None
    item = await records(request).store.aget(value["namespace"], key, refresh_ttl=refresh)
    return json(_item(item) if item is not None else None)


@routes.delete("/store/items")
@operation("Delete an item from the store", body=STORE_DELETE, status=204)
async def delete_item(request: web.Request) -> web.Response:
    req = await body(request, DeleteItem)
    value: dict[str, Any] = {"namespace": _namespace(req.namespace), "key": req.key}
    await _authorized(request, "delete", value)
    await records(request).store.adelete(value["namespace"], req.key)
    return no_content()


_NOTHING: dict[str, Any] = {}  # a filter no item can pass


def _both(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """A store filter that holds where both hold (the request's, and the one an auth
    handler returned). A field both constrain gets both operators; the same operator with
    two operands is `_NOTHING` (no guessing which is stricter: never show too much)."""
    merged = dict(first)
    for field, condition in second.items():
        if field not in merged:
            merged[field] = condition
            continue
        ops = [c if isinstance(c, dict) else {"$eq": c} for c in (merged[field], condition)]
        if any(op in ops[0] and ops[0][op] != operand for op, operand in ops[1].items()):
            return _NOTHING
        merged[field] = {**ops[0], **ops[1]}
    return merged


@routes.post("/store/items/search")
@operation("Search items, by filter or by meaning (`query`)", body=STORE_SEARCH, response=SearchItemsResponse)
async def search_items(request: web.Request) -> web.Response:
    req = await body(request, SearchItems)
    check_int64(req.filter, "filter")
    value: dict[str, Any] = {
        "namespace": _namespace(req.namespace_prefix or []), "filter": req.filter, "limit": req.limit,
        "offset": req.offset, "query": req.query,
    }
    answer = await _authorized(request, "search", value)
    filter = _both(value["filter"] or {}, answer) if isinstance(answer, dict) else value["filter"]
    if filter is _NOTHING:
        return json({"items": []})
    try:
        items = await records(request).store.asearch(
            value["namespace"], query=req.query, filter=filter or None, limit=req.limit,
            offset=req.offset, refresh_ttl=req.refresh_ttl,
        )
    except ValueError as exc:  # LangGraph's check of the filter: a key it cannot query, an unknown operator
        raise Unprocessable(f"Invalid filter: {exc}") from None
    return json({"items": [_item(i) for i in items]})


@routes.post("/store/namespaces")
@operation("List namespaces", body=STORE_NAMESPACES, response=ListNamespaceResponse)
async def list_namespaces(request: web.Request) -> web.Response:
    req = await body(request, ListNamespaces)
    value: dict[str, Any] = {
        "namespace": _namespace(req.prefix or []), "suffix": _namespace(req.suffix) if req.suffix else None,
        "max_depth": req.max_depth, "limit": req.limit, "offset": req.offset,
    }
    await _authorized(request, "list_namespaces", value)
    found = await records(request).store.alist_namespaces(
        prefix=value["namespace"] or None, suffix=value["suffix"],
        max_depth=req.max_depth, limit=req.limit, offset=req.offset,
    )
    return json({"namespaces": [list(ns) for ns in found]})
