"""Who makes a request: the project's `@auth.authenticate` function, called for every
request to a protected route (reference §8.1) with the parameters it names."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from langgraph_sdk import Auth

from threadloom.protocol.errors import ApiError
from threadloom.protocol.serde import loads
from threadloom.protocol.users import ANONYMOUS, AuthUser

from .loading import authenticate_params

log = logging.getLogger("threadloom.auth")


class AuthError(ApiError):
    """An `Auth.exceptions.HTTPException` raised by the project's auth code."""

    def __init__(self, exc: Auth.exceptions.HTTPException) -> None:
        super().__init__(str(exc.detail), dict(exc.headers) if exc.headers else None)
        self.status = exc.status_code


class AuthCodeError(Exception):
    """The project's auth code returned something it may not: a bug there (a 500)."""


def as_user(result: Any) -> AuthUser:
    """What `authenticate` returned, as a user: an identity string, a dict with `identity`
    (and `permissions`, `display_name`, `is_authenticated`, anything else), an object with
    `identity`, or a `(permissions, user)` pair."""
    if isinstance(result, tuple) and len(result) == 2:
        permissions, user = result
        scopes = getattr(permissions, "scopes", permissions)
        return AuthUser({**as_user(user), "permissions": [str(p) for p in scopes or ()]})
    if isinstance(result, str):
        return AuthUser(identity=result, display_name=result, is_authenticated=True, permissions=[])
    if isinstance(result, Mapping):
        fields = dict(result)
    elif hasattr(result, "identity"):
        fields = {
            name: getattr(result, name) for name in ("identity", "display_name", "is_authenticated", "permissions")
            if hasattr(result, name)
        }
    else:
        raise AuthCodeError(f"@auth.authenticate returned a {type(result).__name__}; expected a str, a dict or a user")
    identity = fields.get("identity")
    if not isinstance(identity, str) or not identity:
        raise AuthCodeError("@auth.authenticate returned a user without a string `identity`")
    permissions = fields.get("permissions") or []
    if isinstance(permissions, str) or not all(isinstance(p, str) for p in permissions):
        raise AuthCodeError("@auth.authenticate returned `permissions` that are not a list of strings")
    return AuthUser({
        **fields,
        "identity": identity,
        "display_name": fields.get("display_name") or identity,
        "is_authenticated": fields.get("is_authenticated", True),
        "permissions": list(permissions),
    })


class Authenticator:
    def __init__(self, auth: Auth) -> None:
        self._fn: Any = auth._authenticate_handler
        self._params = authenticate_params(auth)
        self._async = inspect.iscoroutinefunction(self._fn)

    async def __call__(self, request: web.Request) -> AuthUser:
        kwargs = {name: await _param(request, name) for name in self._params}
        try:
            if self._async:
                result = await self._fn(**kwargs)
            else:  # a blocking check (a database, a JWKS fetch) must not stall the server
                result = await asyncio.to_thread(self._fn, **kwargs)
        except Auth.exceptions.HTTPException as exc:
            raise AuthError(exc) from None
        return as_user(result)


async def _param(request: web.Request, name: str) -> Any:
    """A parameter `authenticate` may ask for, by name."""
    match name:
        case "request":
            return request
        case "path":
            return request.path
        case "method":
            return request.method
        case "authorization":
            return request.headers.get("Authorization")
        case "headers":
            return {k.lower(): v for k, v in request.raw_headers}
        case "query_params":
            return dict(request.query)
        case "path_params":
            return dict(request.match_info)
        case "scopes":
            return []
        case "user":
            return ANONYMOUS
        case "body":
            raw = await request.read()
            try:
                return loads(raw) if raw else None
            except Exception:
                return None  # the route itself answers a malformed body
        case "scope":
            return {
                "type": "http", "method": request.method, "path": request.path, "root_path": "",
                "query_string": request.query_string.encode(), "headers": [(k.lower(), v) for k, v in request.raw_headers],
                "path_params": dict(request.match_info),
            }
    raise AssertionError(name)
