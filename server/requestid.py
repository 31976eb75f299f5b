"""Request ids: every response carries `X-Request-ID`, the client's own when it sent a
sane one, else a new UUID. Runs created by the request carry it as
`langgraph_request_id`, and errors logged while serving it name it. Whatever is logged
while serving a request has the credentials it carries redacted (`server.redact`)."""

from __future__ import annotations

import re
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

from . import redact

HEADER = "X-Request-ID"
REQUEST_ID = web.RequestKey("request_id", str)
_SANE = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    given = request.headers.get(HEADER, "")
    request[REQUEST_ID] = given if _SANE.fullmatch(given) else str(uuid.uuid4())
    serving = redact.serving(request.headers.items())
    try:
        return await handler(request)
    finally:
        redact.served(serving)


async def add_header(request: web.Request, response: web.StreamResponse) -> None:
    """On every response, streamed ones and errors included (before its headers go out)."""
    if REQUEST_ID in request:
        response.headers[HEADER] = request[REQUEST_ID]


def install(app: web.Application) -> None:
    app.middlewares.insert(0, request_ids)
    app.on_response_prepare.append(add_header)


def request_id(request: web.Request) -> str | None:
    return request.get(REQUEST_ID)
