"""What each route declares of itself: its summary, the body it reads (protocol/bodies.py),
its query parameters and its answer. `/openapi.json` is built from these declarations, and
`http.body` validates a request's body against the one its route declares, so the
description and the checks are one thing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from threadloom.protocol.bodies import RequestBody

H = TypeVar("H", bound=Callable[..., Any])
_DECLARED = "__threadloom_operation__"


@dataclass(frozen=True)
class Param:
    """A query parameter (or a request header): its name, JSON Schema and what it does."""

    name: str
    schema: Mapping[str, Any]
    description: str
    required: bool = False


def flag(name: str, description: str) -> Param:
    """A `true`/`false` query parameter."""
    return Param(name, {"type": "boolean", "default": False}, description)


@dataclass(frozen=True)
class Operation:
    summary: str
    body: RequestBody[Any] | None = None
    query: tuple[Param, ...] = ()
    headers: tuple[Param, ...] = ()  # request headers it reads
    response: Any = None  # the type of a JSON answer (msgspec describes it)
    stream: bool = False  # server-sent events
    status: int = 200  # of a success; 204/202: no content
    content_type: str | None = None  # an answer that is not JSON (text, HTML)


def operation(summary: str, **declared: Any) -> Callable[[H], H]:
    """Declare a route handler: `@operation("Create a thread", body=THREAD_CREATE, response=Thread)`."""

    def mark(handler: H) -> H:
        setattr(handler, _DECLARED, Operation(summary, **declared))
        return handler

    return mark


def declared(handler: Any) -> Operation | None:
    return getattr(handler, _DECLARED, None)


def declared_body(request: web.Request) -> RequestBody[Any]:
    """The body the route serving `request` declares. A handler that reads a body its
    route does not declare is a bug: found by any request to it."""
    handler = request.match_info.route.handler
    op = declared(handler)
    if op is None or op.body is None:
        raise RuntimeError(f"{getattr(handler, '__qualname__', handler)} reads a body its route does not declare")
    return op.body
