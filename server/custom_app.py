"""`http.app`: the project's own Starlette or FastAPI app, served beside the API (through
`server.asgi`), as on the official server:

- its routes come first, except the health and documentation ones; a path it does not
  know goes on to the API. Under a mount prefix it is mounted there too (its
  `root_path`).
- its middleware wraps the whole server, the API included, outside CORS and
  authentication (the official `middleware_order: middleware_first`): a request goes
  through it first, then on into this server (`SelfProxy`) as the middleware left it,
  so a middleware that rewrites a run's body or adds a response header does so for the
  API too. Under a mount prefix, what lies outside it (`/ok`, `/metrics` at the root)
  does not go through it; websockets go straight to its routes.
- its lifespan runs with the server's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from .asgi import ASGIApp, Lifespan, is_websocket, scope_of, serve
from .auth.user import user_of
from .imports import load_object
from .requestid import request_id
from .sections import ConfigError
from .selfproxy import FORWARDED, ORIGIN, Origin, SelfProxy

UNSHADOWABLE = frozenset({"/ok", "/metrics", "/docs", "/openapi.json"})


class CustomApp:
    def __init__(self, asgi: Any, prefix: str) -> None:
        self.asgi = asgi
        self._prefix = prefix
        self._middleware, self._inner = _split(asgi)
        self._lifespan = Lifespan(self._inner, {"app": asgi})
        self._front: ASGIApp | None = None

    def install_front(self, app: web.Application, proxy: SelfProxy) -> ASGIApp:
        """Put its middleware in front of the server (before CORS and authentication are
        installed); returns the ASGI app that serves the API through it."""
        if not self._middleware:
            return proxy
        front: ASGIApp = proxy
        for cls, args, kwargs in reversed(self._middleware):  # the first listed is the outermost, as in Starlette
            front = cls(front, *args, **kwargs)
        self._front = front
        app.middlewares.append(self.enter)
        return front

    def install(self, app: web.Application) -> None:
        """Serve its routes (behind authentication, installed before) and run its lifespan:
        first of all, so that what it opens outlives the runs that may use it, and a failed
        startup stops the server before anything else has started."""
        app.cleanup_ctx.insert(0, self._lifespan)
        app.middlewares.append(self.dispatch)
        app[CUSTOM_APP] = self

    def routes(self) -> list[tuple[str, str, str | None]]:
        """(method, path, name) of each of its routes, for the API description."""
        found = []
        for route in self.asgi.routes:
            for method in sorted(getattr(route, "methods", None) or ()):
                if method != "HEAD":
                    found.append((method, self._prefix + getattr(route, "path", ""), getattr(route, "name", None)))
        return found

    def claims(self, request: web.Request) -> bool:
        from starlette.routing import Match

        path, prefix = request.path, self._prefix
        if not self._mounted_at(path) or (path[len(prefix):] or "/") in UNSHADOWABLE:
            return False
        scope = scope_of(request, prefix)
        partial = False
        for route in self.asgi.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return True
            partial = partial or match is Match.PARTIAL
        # its route for another method answers (405) only if the API has no route there either
        return partial and request.match_info.http_exception is not None

    def _mounted_at(self, path: str) -> bool:
        prefix = self._prefix
        return not prefix or path == prefix or path.startswith(prefix + "/")

    def _scope_extra(self, request: web.Request) -> dict[str, Any]:
        extra: dict[str, Any] = {"app": self.asgi, "state": dict(self._lifespan.state)}
        if (user := user_of(request)) is not None:
            # with custom auth on its routes, it sees the user as Starlette does: `request.user`,
            # and `request.auth.scopes` (the permissions)
            from starlette.authentication import AuthCredentials

            extra["user"], extra["auth"] = user, AuthCredentials(list(user.permissions))
        return extra

    @web.middleware
    async def enter(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """A request from outside goes through its middleware, then back in (forwarded)."""
        if self._front is None or FORWARDED in request or is_websocket(request) or not self._mounted_at(request.path):
            return await handler(request)
        origin = Origin(request_id=request_id(request), remote=request.remote)
        scope = scope_of(request, self._prefix, {**self._scope_extra(request), ORIGIN: origin})
        return await serve(self._front, request, scope)

    @web.middleware
    async def dispatch(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.claims(request):
            return await serve(self._inner, request, scope_of(request, self._prefix, self._scope_extra(request)))
        return await handler(request)


def _split(asgi: Any) -> tuple[list[Any], ASGIApp]:
    """Its middleware, and the rest of it (error handling, routes, lifespan): the middleware
    runs once, in front of the whole server. The rest is what Starlette (or FastAPI) builds
    for an app without middleware; the app itself is left as it was."""
    middleware = list(getattr(asgi, "user_middleware", None) or ())
    if not middleware or not callable(getattr(asgi, "build_middleware_stack", None)):
        return [], asgi
    asgi.user_middleware = []
    try:
        inner: ASGIApp = asgi.build_middleware_stack()
    finally:
        asgi.user_middleware = middleware
    return middleware, inner


CUSTOM_APP = web.AppKey("custom_app", CustomApp)


def load_custom_app(spec: str, base_dir: Path, prefix: str) -> CustomApp:
    asgi = load_object(spec, base_dir, "http.app")
    if not callable(asgi) or not isinstance(getattr(asgi, "routes", None), list):
        raise ConfigError(f"http.app: {spec} is not a Starlette or FastAPI application")
    return CustomApp(asgi, prefix)
