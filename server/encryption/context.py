"""The encryption context: what a request says about how its data is stored
(`X-Encryption-Context`, then the project's `@encryption.context` handler), held in a
context variable while the request is handled. Storage writes made on its behalf read it
there: the request's own, its supervisor's (an actor handles a message in its sender's
context) and its runs' (a run executes in the context it was submitted in)."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from contextvars import ContextVar
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from langgraph_sdk import EncryptionContext

from threadloom.protocol.errors import Unprocessable

from ..auth.user import user_of
from .handlers import ContextHandler

log = logging.getLogger("threadloom.encryption")

HEADER = "X-Encryption-Context"

# the `metadata` each handler's `EncryptionContext` carries; None outside any request
CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("encryption_context", default=None)


def current() -> dict[str, Any]:
    return CONTEXT.get() or {}


def parse_header(value: str) -> dict[str, Any]:
    """base64 of a JSON object; a 422 otherwise."""
    try:
        decoded = json.loads(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable(f"Invalid {HEADER} header: {exc}") from None
    if not isinstance(decoded, dict):
        raise Unprocessable(f"Invalid {HEADER} header: expected a JSON object, got {type(decoded).__name__}")
    return decoded


def context_middleware(handler_fn: ContextHandler | None) -> Middleware:
    """Sets `CONTEXT` for each request: the header's object, or what the project's
    context handler makes of it and the user (its errors are logged and ignored: the
    header's object stays). Installed after authentication, which finds the user."""

    @web.middleware
    async def encryption_context(request: web.Request, handler: Handler) -> web.StreamResponse:
        header = request.headers.get(HEADER)
        context = parse_header(header) if header is not None else {}
        if handler_fn is not None:
            try:
                made = await handler_fn(user_of(request), EncryptionContext(metadata=context))
            except Exception:
                log.exception("encryption: the @encryption.context handler failed; the header's context is used")
            else:
                if isinstance(made, dict):
                    context = made
                else:
                    log.error("encryption: the @encryption.context handler returned a %s, not a dict; ignored",
                              type(made).__name__)
        token = CONTEXT.set(context)
        try:
            return await handler(request)
        finally:
            CONTEXT.reset(token)

    return encryption_context
