"""JSON-RPC over HTTP, as both `/mcp` and `/a2a` serve it: the body read into one
message, the `Accept` header checked, answers and errors as JSON; an `ApiError` the
engine raises becomes a JSON-RPC error, as does anything unexpected (logged), so that
no JSON-RPC client ever gets an HTML page or a bare 500."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from threadloom.protocol import jsonrpc
from threadloom.protocol.errors import ApiError, Forbidden, PayloadTooLarge, Unauthorized
from threadloom.protocol.serde import dumps

from ..requestid import request_id

log = logging.getLogger("threadloom.agents")

Method = Callable[[web.Request, jsonrpc.Request], Awaitable[Any]]


def accepts(request: web.Request, *wanted: str) -> bool:
    """Whether the client takes one of `wanted` (no `Accept` at all takes anything)."""
    header = request.headers.get("Accept")
    if header is None:
        return True
    offered = {part.split(";", 1)[0].strip().lower() for part in header.split(",")}
    if "*/*" in offered:
        return True
    return any(kind in offered or f"{kind.split('/', 1)[0]}/*" in offered for kind in wanted)


def answer(payload: Any, *, status: int = 200) -> web.Response:
    return web.Response(body=dumps(payload), status=status, content_type="application/json")


async def read(request: web.Request) -> jsonrpc.Request | jsonrpc.Reply:
    """The one message in the body; raises `jsonrpc.RpcError` if it is not one."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge("Request body too large") from None
    return jsonrpc.parse(raw)


def api_error_code(exc: ApiError) -> int:
    """A refusal of the engine as a JSON-RPC code: what the request named is missing or
    malformed (params), or something went wrong on our side."""
    return jsonrpc.INVALID_PARAMS if 400 <= exc.status < 500 else jsonrpc.INTERNAL_ERROR


def error_response(request: web.Request, message: jsonrpc.Request, exc: Exception) -> dict[str, Any]:
    """The JSON-RPC answer to a method that raised `exc`. Refusals of who the user is
    (401, 403) are raised again: they stay HTTP errors, as everywhere in the API."""
    if isinstance(exc, jsonrpc.RpcError):
        return jsonrpc.error(message.id, exc.code, exc.message)
    if isinstance(exc, (Unauthorized, Forbidden)):
        raise exc
    if isinstance(exc, ApiError):
        return jsonrpc.error(message.id, api_error_code(exc), exc.detail)
    log.error("%s failed on %s (request %s)", message.method, request.path, request_id(request), exc_info=exc)
    return jsonrpc.error(message.id, jsonrpc.INTERNAL_ERROR, "Internal error")


async def call(request: web.Request, message: jsonrpc.Request, methods: Mapping[str, Method]) -> dict[str, Any]:
    """The response to a request: its method's result, or the error it raised."""
    method = methods.get(message.method)
    if method is None:
        return jsonrpc.error(message.id, jsonrpc.METHOD_NOT_FOUND, f"Method not found: {message.method}")
    try:
        return jsonrpc.result(message.id, await method(request, message))
    except Exception as exc:  # noqa: BLE001 - every failure is answered in JSON-RPC (error_response)
        return error_response(request, message, exc)
