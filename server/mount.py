"""The HTTP surface `langgraph.json`'s `http` section shapes: which route groups are
served (`disable_*`), under which prefix (`mount_prefix`; the health check and metrics
stay at the root too), CORS, custom auth (`auth`), and the project's custom app in front
of the API; and the way back in, for that app's middleware and the SDK's in-process
client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from types import ModuleType

from aiohttp import hdrs, web

from .asgi import ASGIApp
from .auth.middleware import install_auth, protect
from .console import add_console
from .context import PROJECT
from .cors import CorsPolicy
from .custom_app import load_custom_app
from .inprocess import InProcessClients
from .project import Project
from .selfproxy import SelfProxy

AT_ROOT_TOO = frozenset({"/", "/ok", "/metrics"})
PROTECTED_GROUPS = frozenset({"assistants", "threads", "runs", "crons", "store", "mcp", "a2a", "event_streaming"})  # need a user with custom auth
_API_LOCATIONS = ("/threads/", "/runs/")  # what Location and Content-Location point at


def route_group(path: str) -> str:
    """The `http.disable_*` group of an API path; `health` is never disabled."""
    parts = [p for p in path.split("/") if p]
    if parts in ([], ["ok"]):  # `/` answers as `/ok` does
        return "health"
    if parts[0] in ("mcp", "a2a"):
        return parts[0]
    if parts[0] == ".well-known":  # the agent cards
        return "a2a"
    if parts[0] == "threads" and (parts[-2:] == ["stream", "events"] or parts[-1:] == ["commands"]):
        return "event_streaming"  # v3 thread streaming
    if "crons" in parts:
        return "crons"
    if "runs" in parts:
        return "runs"
    return parts[0] if parts and parts[0] in ("assistants", "threads", "store") else "meta"


def _add_routes(app: web.Application, modules: Iterable[ModuleType], project: Project) -> None:
    http = project.http
    prefix = http.mount_prefix or ""
    for module in modules:
        for route in module.routes:
            if not isinstance(route, web.RouteDef):
                continue
            group = route_group(route.path)
            if group != "health" and http.disabled(group):
                continue
            paths = [prefix + route.path] + ([route.path] if prefix and route.path in AT_ROOT_TOO else [])
            for path in paths:
                added = app.router.add_route(route.method, path, route.handler, **route.kwargs)
                if group in PROTECTED_GROUPS:
                    protect(app, added)


def _prefix_locations(prefix: str) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    async def rewrite(request: web.Request, response: web.StreamResponse) -> None:
        for name in (hdrs.LOCATION, hdrs.CONTENT_LOCATION):
            value = response.headers.get(name)
            if value is not None and value.startswith(_API_LOCATIONS):
                response.headers[name] = prefix + value

    return rewrite


def mount_api(app: web.Application, modules: Iterable[ModuleType], project: Project) -> None:
    """Add the routes of `modules` and what `http` asks for around them. Raises
    `ConfigError` if the custom app cannot be loaded."""
    http = project.http
    prefix = http.mount_prefix or ""
    app[PROJECT] = project
    custom = load_custom_app(http.app, project.base_dir, prefix) if http.app is not None else None
    # middleware, in the order a request meets it
    proxy = SelfProxy()
    proxy.install(app)  # first: it admits the requests forwarded back into the server
    api: ASGIApp = proxy
    if custom is not None:  # its middleware, outside CORS and authentication as on the official server
        api = custom.install_front(app, proxy)
    CorsPolicy(http.cors).install(app)
    if project.auth.path is not None:  # before the custom app's routes, which it may protect too
        install_auth(app, project.auth.path, project.base_dir, custom_routes=http.enable_custom_route_auth)
    if custom is not None:
        custom.install(app)
    InProcessClients(api, prefix).install(app)
    if http.mount_prefix:
        app.on_response_prepare.append(_prefix_locations(http.mount_prefix))
    _add_routes(app, modules, project)
    if not http.disable_console:
        add_console(app, prefix)
