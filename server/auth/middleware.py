"""Authentication in front of the protected routes: assistants, threads, runs, crons and
the store (and the custom app's routes with `http.enable_custom_route_auth`). `/ok`,
`/info`, `/metrics`, `/docs`, `/openapi.json` and the console's page (its data comes
through the API) stay open, as do CORS preflights and, as on the official server
(`/noauth`), requests of the SDK's in-process client."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler

from ..custom_app import CUSTOM_APP
from ..selfproxy import in_process
from .authenticate import Authenticator
from .authorize import Authorizer
from .loading import load_auth
from .user import USER

log = logging.getLogger("threadloom.auth")

AUTHORIZER = web.AppKey("authorizer", Authorizer)
PROTECTED = web.AppKey("protected_routes", set)  # the API routes that need a user


def install_auth(app: web.Application, spec: str, base_dir: Path, *, custom_routes: bool) -> None:
    """Load `auth.path` (a `ConfigError` if it is unusable) and authenticate every request
    to a protected route; `custom_routes` protects the custom app's routes too."""
    auth = load_auth(spec, base_dir)
    authenticator, authorizer = Authenticator(auth), Authorizer(auth)
    app[AUTHORIZER] = authorizer
    app[PROTECTED] = set()
    if uncovered := authorizer.uncovered():
        log.warning("auth: no @auth.on handler covers %s: any authenticated user may do these", ", ".join(uncovered))

    @web.middleware
    async def authentication(request: web.Request, handler: Handler) -> web.StreamResponse:
        custom = request.app.get(CUSTOM_APP)
        if in_process(request):
            needed = False
        elif custom is not None and custom.claims(request):
            # the custom app's route, even where an API route would match too (it comes first)
            needed = custom_routes and request.method != "OPTIONS"
        else:
            needed = request.match_info.route in app[PROTECTED]
        if needed:
            request[USER] = await authenticator(request)
        return await handler(request)

    app.middlewares.append(authentication)


def protect(app: web.Application, route: web.AbstractRoute) -> None:
    """Mark an API route as needing a user (nothing without custom auth)."""
    if PROTECTED in app:
        app[PROTECTED].add(route)
