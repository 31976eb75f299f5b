"""Small helpers shared by the route handlers: bodies in, JSON out, path and query values."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence, Sized
from typing import Any, TypeVar, cast

import msgspec
from aiohttp import web

from threadloom.protocol.errors import BadRequest, PayloadTooLarge, Unprocessable
from threadloom.protocol.ids import parse_uuid
from threadloom.protocol.serde import dumps, loads

from .operations import declared_body

T = TypeVar("T")


async def body(request: web.Request, kind: type[T]) -> T:
    """The request's body as its route declares it (operations.py): checked against the
    declared schema, with the official server's 422 texts, then decoded into `kind`, the
    type the declared body decodes into (or `dict[str, Any]`: the JSON as it was sent)."""
    raw = await raw_body(request)
    declared = declared_body(request)
    if kind == dict[str, Any]:
        return cast(T, declared.json(raw))  # T is dict[str, Any] here
    if kind != declared.decodes:
        raise RuntimeError(f"{request.match_info.route.handler.__qualname__} reads a {kind}, its route declares {declared.name}")
    return declared.decode(raw)


async def raw_body(request: web.Request) -> bytes:
    """The request's body as sent (read once; aiohttp keeps it for later reads): 413 past
    the size limit, 400 if it cannot be read."""
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge("Request body too large") from None
    except web.RequestPayloadError as exc:  # e.g. bytes not in the Content-Encoding it names
        raise BadRequest(f"Invalid request body: {getattr(exc.__cause__, 'message', exc)}") from None


def json(value: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=dumps(value), status=status, content_type="application/json", headers=headers)


async def json_off_loop(value: Any, *, status: int = 200) -> web.Response:
    """`json` for a value that may be large (a thread's state, its history): encoded on a
    worker thread, so that the event loop goes on meanwhile. The value must not change
    while it is encoded: pass one that nothing else holds."""
    encoded = await asyncio.to_thread(dumps, value)
    return web.Response(body=encoded, status=status, content_type="application/json")


def no_content(status: int = 204) -> web.Response:
    return web.Response(status=status)


def path_uuid(request: web.Request, name: str, thing: str) -> str:
    return parse_uuid(request.match_info[name], thing)


def query_bool(request: web.Request, name: str, default: bool = False) -> bool:
    value = request.query.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def query_int(request: web.Request, name: str, default: int, *, minimum: int = 0, maximum: int = 10_000) -> int:
    value = request.query.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise Unprocessable(f"Invalid {name}: must be an integer") from None
    if not minimum <= number <= maximum:
        raise Unprocessable(f"Invalid {name}: must be between {minimum} and {maximum}")
    return number


def query_list(request: web.Request, name: str) -> list[str]:
    """A list given as repeated keys (Python SDK), a JSON array (JS SDK) or commas."""
    values: list[str] = []
    for raw in request.query.getall(name, []):
        raw = raw.strip()
        if raw.startswith("["):
            try:
                parsed = loads(raw)
            except Exception:
                raise Unprocessable(f"Invalid {name}: not a JSON array") from None
            values.extend(str(v) for v in parsed)
        else:
            values.extend(v.strip() for v in raw.split(",") if v.strip())
    return values


async def page_total(page: Sized, *, limit: int, offset: int, count: Callable[[], Awaitable[int]]) -> int:
    """The real total of a search whose page is `page`: known without counting when the
    page is short and not past the end (the rest of the matches is on it); counted
    otherwise. A count is a pass over every match, so most pages skip it."""
    if len(page) < limit and (len(page) > 0 or offset == 0):
        return offset + len(page)
    return await count()


def paged(items: list[Any], *, total: int, offset: int, select: Sequence[str] | None = None) -> web.Response:
    """One page of a search, with the real total and the next offset (when there is more)
    in the pagination headers; `select` keeps only those fields of each item."""
    headers = {"X-Pagination-Total": str(total)}
    if offset + len(items) < total:
        headers["X-Pagination-Next"] = str(offset + len(items))
    if select:
        items = [{k: v for k, v in msgspec.structs.asdict(item).items() if k in select} for item in items]
    return json(items, headers=headers)
