"""`http.app`: the project's own Starlette or FastAPI app, served beside the API through
our ASGI bridge (`server.asgi`). As on the official server its routes come first, except
the health and documentation ones; a path it does not know goes on to the API. Under a
mount prefix it is mounted there too (its `root_path`). Its lifespan runs with the
server's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from .asgi import Lifespan, scope_of, serve
from .auth.user import user_of
from .imports import load_object
from .sections import ConfigError

UNSHADOWABLE = frozenset({"/ok", "/metrics", "/docs", "/openapi.json"})


class CustomApp:
    def __init__(self, asgi: Any, prefix: str) -> None:
        self.asgi = asgi
        self._prefix = prefix
        self._lifespan = Lifespan(asgi)

    def install(self, app: web.Application) -> None:
        """Serve its routes (behind authentication, installed before) and run its lifespan."""
        app.cleanup_ctx.append(self._lifespan)
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
        extra: dict[str, Any] = {"state": dict(self._lifespan.state)}
        if (user := user_of(request)) is not None:
            # with custom auth on its routes, it sees the user as Starlette does: `request.user`,
            # and `request.auth.scopes` (the permissions)
            from starlette.authentication import AuthCredentials

            extra["user"], extra["auth"] = user, AuthCredentials(list(user.permissions))
        return extra

    @web.middleware
    async def dispatch(self, request: web.Request, handler: web.Handler) -> web.StreamResponse:
        if self.claims(request):
            return await serve(self.asgi, request, scope_of(request, self._prefix, self._scope_extra(request)))
        return await handler(request)


CUSTOM_APP = web.AppKey("custom_app", CustomApp)


def load_custom_app(spec: str, base_dir: Path, prefix: str) -> CustomApp:
    asgi = load_object(spec, base_dir, "http.app")
    if not callable(asgi) or not isinstance(getattr(asgi, "routes", None), list):
        raise ConfigError(f"http.app: {spec} is not a Starlette or FastAPI application")
    return CustomApp(asgi, prefix)
