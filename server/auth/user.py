"""Where a request keeps the user it is made as."""

from __future__ import annotations

from aiohttp import web

from threadloom.protocol.users import AuthUser

USER = web.RequestKey("user", AuthUser)


def user_of(request: web.Request) -> AuthUser | None:
    """The user a request is made as; None without custom auth."""
    return request.get(USER)
