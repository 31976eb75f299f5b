"""Health, server information, metrics and the API's own description."""

from __future__ import annotations

import typing
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version

from aiohttp import web
from aiohttp.typedefs import Handler

from threadloom.protocol.errors import Unprocessable
from threadloom.protocol.requests import STREAM_MODES
from threadloom.protocol.resources import MultitaskStrategy
from threadloom.protocol.responses import Health

from ..apidocs import docs_asset, docs_page
from ..context import PROJECT, runtime
from ..custom_app import CUSTOM_APP
from ..http import json
from ..mount import route_group
from ..openapi import build_spec
from ..operations import Param, operation
from ..looplag import LOOP_LAG
from ..prometheus import CONTENT_TYPE, metrics_json, prometheus_text

routes = web.RouteTableDef()


async def _not_found(request: web.Request) -> web.Response:
    raise web.HTTPNotFound()


def _system_get(path: str) -> Callable[[Handler], Handler]:
    """A system route: GET, and HEAD (Starlette answers HEAD wherever it answers GET);
    any other method is a 404 `Not Found` there, as on the official server, not a 405."""

    def register(handler: Handler) -> Handler:
        routes.get(path)(handler)
        routes.head(path)(handler)
        routes.route("*", path)(_not_found)
        return handler

    return register


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _served_groups(app: web.Application, prefix: str) -> set[str]:
    """The route groups this server answers, read off its router."""
    groups = set()
    for resource in app.router.resources():
        path = resource.canonical
        if path.startswith(prefix):
            groups.add(route_group(path.removeprefix(prefix)))
    return groups


# `services` holds the official server's per-backend checks (Postgres, Redis); its
# in-memory flavour, like this server, has none to report
HEALTHY = {"ok": True, "services": {}}


@_system_get("/ok")
@operation("Health check", response=Health)
async def ok(request: web.Request) -> web.Response:
    return json(HEALTHY)


@_system_get("/")
@operation("Health check (as /ok)", response=Health)
async def root(request: web.Request) -> web.Response:
    """Health check, as `/ok` (the official server answers both)."""
    return json(HEALTHY)


@_system_get("/info")
@operation("Server version and supported features", response=dict[str, typing.Any])
async def info(request: web.Request) -> web.Response:
    project = request.app[PROJECT]
    prefix = project.http.mount_prefix or ""
    served = _served_groups(request.app, prefix)
    return json(
        {
            "version": _version("threadloom"),
            "langgraph_py_version": _version("langgraph"),
            "flags": {
                "assistants": "assistants" in served,
                "crons": "crons" in served,
                "langsmith": False,  # no traces are sent to LangSmith
                # The request and response fields these two announce are understood:
                # `langsmith_tracing` in a run body (accepted, ignored as `langsmith` is
                # false) and `langsmith_session_name` on runs. The official server sends
                # both whether or not it traces.
                "langsmith_tracing_replicas": True,
                "langsmith_tracing_session_on_runs": True,
            },
            "host": {"kind": "threadloom", "project_id": None, "host_revision_id": None, "revision_id": None, "tenant_id": None},
            "threadloom": {
                "version": _version("threadloom"),
                "mount_prefix": prefix or None,
                "routes": sorted(served - {"health"}),
                "features": {
                    "multitask_strategies": list(typing.get_args(MultitaskStrategy)),
                    "stream_modes": sorted(STREAM_MODES),
                    "resumable_streams": True,
                    "crons": "crons" in served,
                    "store": "store" in served,
                    "store_semantic_search": "store" in served and project.store.index is not None,
                    "store_ttl": "store" in served and project.store.ttl is not None,
                    "custom_app": project.http.app is not None,
                    "auth": project.auth.path is not None,
                    "webhooks": not project.http.disable_webhooks,
                },
            },
        }
    )


@_system_get("/metrics")
@operation("Runtime metrics: Prometheus text, or JSON", content_type=CONTENT_TYPE, query=(
    Param("format", {"type": "string", "enum": ["prometheus", "json"], "default": "prometheus"}, "The metrics' format"),
))
async def metrics(request: web.Request) -> web.Response:
    fmt = request.query.get("format", "prometheus")
    if fmt not in ("prometheus", "json"):
        raise Unprocessable(f"Invalid format {fmt!r}: expected 'prometheus' or 'json'")
    rt = runtime(request)
    snapshot = rt.metrics.snapshot(rt)
    lag = request.app[LOOP_LAG]
    if fmt == "json":
        return json(metrics_json(snapshot, lag))
    return web.Response(body=prometheus_text(snapshot, lag), headers={"Content-Type": CONTENT_TYPE})


def _spec(request: web.Request) -> dict[str, typing.Any]:
    app = request.app
    project = app[PROJECT]
    return build_spec(
        app, version=_version("threadloom"), prefix=project.http.mount_prefix or "", custom=app.get(CUSTOM_APP),
        security=project.auth.openapi if project.auth.path else None,
    )


@_system_get("/openapi.json")
@operation("This description", response=dict[str, typing.Any])
async def openapi(request: web.Request) -> web.Response:
    return json(_spec(request))


@_system_get("/docs")
@operation("API documentation page", content_type="text/html")
async def docs(request: web.Request) -> web.Response:
    return docs_page(_spec(request), request.path)


@routes.get("/docs/assets/{name}")
@operation("A file of the documentation page", content_type="application/octet-stream")
async def docs_assets(request: web.Request) -> web.StreamResponse:
    return docs_asset(request.match_info["name"])
