"""`http.app`: the project's own Starlette or FastAPI app, served beside the API through
aiohttp-asgi. As on the official server its routes come first, except the health and
documentation ones; a path it does not know goes on to the API. Under a mount prefix
it is mounted there too (its `root_path`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp_asgi import ASGIResource
from aiohttp_asgi.resource import ASGIContext

from .auth.user import user_of
from .imports import load_object
from .sections import ConfigError

UNSHADOWABLE = frozenset({"/ok", "/metrics", "/docs", "/openapi.json"})


class CustomApp:
    def __init__(self, asgi: Any, prefix: str) -> None:
        self.asgi = asgi
        self._prefix = prefix

    def install(self, app: web.Application) -> None:
        ASGIResource(self.asgi, root_path=self._prefix or "/").lifespan_mount(app)  # its startup/shutdown
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
        if prefix and path != prefix and not path.startswith(prefix + "/"):
            return False
        if (path[len(prefix):] or "/") in UNSHADOWABLE:
            return False
        websocket = request.headers.get("Upgrade", "").lower() == "websocket"
        scope = {
            "type": "websocket" if websocket else "http", "path": path, "root_path": prefix, "method": request.method,
            "headers": [(k.lower(), v) for k, v in request.raw_headers], "query_string": request.query_string.encode(),
        }
        partial = False
        for route in self.asgi.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return True
            partial = partial or match is Match.PARTIAL
        # its route for another method answers (405) only if the API has no route there either
        return partial and request.match_info.http_exception is not None

    @web.middleware
    async def dispatch(self, request: web.Request, handler: web.Handler) -> web.StreamResponse:
        if self.claims(request):
            return await _Context(self.asgi, request, self._prefix).get_response()
        return await handler(request)


class _Context(ASGIContext):
    """With custom auth on its routes, the app sees the user as Starlette does:
    `request.user`, and `request.auth.scopes` (the permissions)."""

    @property
    def scope(self) -> Any:
        scope = super().scope
        if (user := user_of(self.request)) is not None:
            from starlette.authentication import AuthCredentials

            scope["user"], scope["auth"] = user, AuthCredentials(list(user.permissions))
        return scope


CUSTOM_APP = web.AppKey("custom_app", CustomApp)


def load_custom_app(spec: str, base_dir: Path, prefix: str) -> CustomApp:
    asgi = load_object(spec, base_dir, "http.app")
    if not callable(asgi) or not isinstance(getattr(asgi, "routes", None), list):
        raise ConfigError(f"http.app: {spec} is not a Starlette or FastAPI application")
    return CustomApp(asgi, prefix)
