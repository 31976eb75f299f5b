"""The OpenAPI description of the running server, built from its live router: every route
it serves is listed (added later, disabled or mounted under a prefix alike). Request
bodies are found from the handler (the struct it decodes with `http.body`, directly or
through a helper of its module) and described by msgspec's JSON Schema; a small table
adds summaries and response types."""

from __future__ import annotations

import dis
import inspect
import re
from dataclasses import dataclass
from typing import Any

import msgspec
from aiohttp import web

from threadloom.protocol.resources import (
    Assistant,
    AssistantVersion,
    Cron,
    Run,
    Thread,
    ThreadState,
)

from .custom_app import CustomApp
from .mount import PROTECTED_GROUPS, route_group


class ErrorDetail(msgspec.Struct):
    detail: str


@dataclass(frozen=True)
class Doc:
    summary: str
    response: Any = None  # the type of a JSON response
    stream: bool = False  # server-sent events
    empty: bool = False  # 204, no content


DOCS: dict[tuple[str, str], Doc] = {
    ("GET", "/"): Doc("Health check (as /ok)"),
    ("GET", "/ok"): Doc("Health check"),
    ("GET", "/info"): Doc("Server version and supported features"),
    ("GET", "/metrics"): Doc("Runtime metrics: Prometheus text, or JSON with ?format=json"),
    ("GET", "/openapi.json"): Doc("This description"),
    ("GET", "/docs"): Doc("API documentation page"),
    ("POST", "/assistants"): Doc("Create an assistant", Assistant),
    ("POST", "/assistants/search"): Doc("Search assistants", list[Assistant]),
    ("POST", "/assistants/count"): Doc("Count assistants", int),
    ("GET", "/assistants/{assistant_id}"): Doc("Get an assistant", Assistant),
    ("PATCH", "/assistants/{assistant_id}"): Doc("Update an assistant (a new version)", Assistant),
    ("DELETE", "/assistants/{assistant_id}"): Doc("Delete an assistant", empty=True),
    ("POST", "/assistants/{assistant_id}/versions"): Doc("List an assistant's versions", list[AssistantVersion]),
    ("POST", "/assistants/{assistant_id}/latest"): Doc("Set an assistant's current version", Assistant),
    ("GET", "/assistants/{assistant_id}/graph"): Doc("An assistant's graph, drawable"),
    ("GET", "/assistants/{assistant_id}/schemas"): Doc("An assistant's input, output, state and config schemas"),
    ("POST", "/threads"): Doc("Create a thread", Thread),
    ("POST", "/threads/search"): Doc("Search threads", list[Thread]),
    ("POST", "/threads/count"): Doc("Count threads", int),
    ("GET", "/threads/{thread_id}"): Doc("Get a thread", Thread),
    ("PATCH", "/threads/{thread_id}"): Doc("Update a thread's metadata", Thread),
    ("DELETE", "/threads/{thread_id}"): Doc("Delete a thread, its runs and checkpoints", empty=True),
    ("POST", "/threads/{thread_id}/copy"): Doc("Copy a thread with its checkpoints", Thread),
    ("GET", "/threads/{thread_id}/state"): Doc("A thread's current state", ThreadState),
    ("POST", "/threads/{thread_id}/state"): Doc("Update a thread's state"),
    ("POST", "/threads/{thread_id}/history"): Doc("A thread's past states, newest first", list[ThreadState]),
    ("GET", "/threads/{thread_id}/stream"): Doc("Stream the events of a thread's runs", stream=True),
    ("POST", "/threads/{thread_id}/runs"): Doc("Start a run in the background", Run),
    ("POST", "/threads/{thread_id}/runs/stream"): Doc("Start a run and stream its events", stream=True),
    ("POST", "/threads/{thread_id}/runs/wait"): Doc("Start a run and wait for its final values"),
    ("GET", "/threads/{thread_id}/runs"): Doc("List a thread's runs, newest first", list[Run]),
    ("GET", "/threads/{thread_id}/runs/{run_id}"): Doc("Get a run", Run),
    ("DELETE", "/threads/{thread_id}/runs/{run_id}"): Doc("Delete a run", empty=True),
    ("POST", "/threads/{thread_id}/runs/{run_id}/cancel"): Doc("Cancel a run (interrupt or rollback)"),
    ("GET", "/threads/{thread_id}/runs/{run_id}/join"): Doc("Wait for a run's final values"),
    ("GET", "/threads/{thread_id}/runs/{run_id}/stream"): Doc("Join a run's event stream", stream=True),
    ("POST", "/runs"): Doc("Start a run on a new temporary thread", Run),
    ("POST", "/runs/stream"): Doc("Start a stateless run and stream its events", stream=True),
    ("POST", "/runs/wait"): Doc("Start a stateless run and wait for its final values"),
    ("POST", "/runs/batch"): Doc("Start several stateless runs", list[Run]),
    ("POST", "/runs/cancel"): Doc("Cancel runs"),
    ("POST", "/runs/crons"): Doc("Schedule a stateless cron", Cron),
    ("POST", "/threads/{thread_id}/runs/crons"): Doc("Schedule a cron on a thread", Cron),
    ("POST", "/runs/crons/search"): Doc("Search crons", list[Cron]),
    ("POST", "/runs/crons/count"): Doc("Count crons", int),
    ("GET", "/runs/crons/{cron_id}"): Doc("Get a cron", Cron),
    ("PATCH", "/runs/crons/{cron_id}"): Doc("Update a cron", Cron),
    ("DELETE", "/runs/crons/{cron_id}"): Doc("Delete a cron", empty=True),
    ("PUT", "/store/items"): Doc("Put an item in the store", empty=True),
    ("GET", "/store/items"): Doc("Get an item from the store (null if absent)"),
    ("DELETE", "/store/items"): Doc("Delete an item from the store", empty=True),
    ("POST", "/store/items/search"): Doc("Search items, by filter or by meaning (`query`)"),
    ("POST", "/store/namespaces"): Doc("List namespaces"),
}
_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")


def request_body(handler: Any, depth: int = 3) -> type[msgspec.Struct] | None:
    """The struct a handler decodes its body into with `http.body`, looked for in the
    handler and, `depth` calls deep, in the functions of its module it calls."""
    code = getattr(handler, "__code__", None)
    if code is None:
        return None
    # only names read as globals: `co_names` also holds attribute names, and a call such as
    # `rt.create_thread(...)` must not be taken for the module's `create_thread` handler
    names = list(dict.fromkeys(i.argval for i in dis.get_instructions(code) if i.opname == "LOAD_GLOBAL"))
    scope = handler.__globals__
    if "body" in names:
        for name in names:
            value = scope.get(name)
            if isinstance(value, type) and issubclass(value, msgspec.Struct) and value.__module__ != Thread.__module__:
                return value
    for name in names if depth else ():
        value = scope.get(name)
        if inspect.isfunction(value) and value.__module__ == handler.__module__:
            found = request_body(value, depth - 1)
            if found is not None:
                return found
    return None


def _summary(handler: Any) -> str:
    doc = inspect.getdoc(handler)
    return doc.splitlines()[0] if doc else handler.__name__.replace("_", " ").strip().capitalize()


class _Schemas:
    """Types collected while the paths are described, turned into components at the end."""

    def __init__(self) -> None:
        self.types: list[Any] = [ErrorDetail]

    def ref(self, kind: Any) -> int:
        self.types.append(kind)
        return len(self.types) - 1

    def resolve(self, spec: dict[str, Any]) -> dict[str, Any]:
        schemas, components = msgspec.json.schema_components(self.types, ref_template="#/components/schemas/{name}")

        def fill(node: Any) -> Any:
            if isinstance(node, dict):
                if set(node) == {"$type"}:
                    return schemas[node["$type"]]
                return {k: fill(v) for k, v in node.items()}
            if isinstance(node, list):
                return [fill(v) for v in node]
            return node

        spec = fill(spec)
        spec["components"] = {"schemas": components}
        return spec


def _json(schema: Any) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _operation(method: str, path: str, handler: Any, prefix: str, schemas: _Schemas) -> dict[str, Any]:
    doc = DOCS.get((method, path.removeprefix(prefix) if prefix else path))
    operation: dict[str, Any] = {
        "summary": doc.summary if doc else _summary(handler),
        "operationId": f"{handler.__name__}_{method.lower()}",
        "tags": [route_group(path.removeprefix(prefix))],
    }
    params = _PARAM.findall(path)
    if params:
        operation["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params]
    kind = request_body(handler) if method in _WITH_BODY else None
    if kind is not None:
        operation["requestBody"] = {"required": True, "content": _json({"$type": schemas.ref(kind)})}
    if doc is not None and doc.empty:
        ok: dict[str, Any] = {"204": {"description": "No content"}}
    elif doc is not None and doc.stream:
        ok = {"200": {"description": "Server-sent events", "content": {"text/event-stream": {"schema": {"type": "string"}}}}}
    elif doc is not None and doc.response is not None:
        ok = {"200": {"description": "Success", "content": _json({"$type": schemas.ref(doc.response)})}}
    else:
        ok = {"200": {"description": "Success"}}
    error = {"description": "Error", "content": _json({"$type": 0})}
    operation["responses"] = {**ok, "4XX": error, "5XX": error}
    return operation


def build_spec(
    app: web.Application, *, version: str | None, prefix: str = "", custom: CustomApp | None = None,
    security: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`security`: `auth.openapi` ({securitySchemes, security}), required by every
    protected route."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for route in app.router.routes():
        method, info = route.method, route.resource.get_info() if route.resource else {}
        path = info.get("formatter") or info.get("path")
        if path is None or method in ("HEAD", "OPTIONS", "*"):
            continue
        path = _PARAM.sub(r"{\1}", path)
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, route.handler, prefix, schemas)
    for method, path, name in custom.routes() if custom else ():
        paths.setdefault(path, {})[method.lower()] = {
            "summary": name or path, "tags": ["custom"], "responses": {"200": {"description": "Success"}},
        }
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "threadloom", "version": version or "0", "description": "The LangGraph Platform API, served by threadloom."},
        "paths": dict(sorted(paths.items())),
    }
    spec = schemas.resolve(spec)
    if security:
        _secure(spec, security, prefix)
    return spec


def _secure(spec: dict[str, Any], security: dict[str, Any], prefix: str) -> None:
    spec["components"]["securitySchemes"] = security.get("securitySchemes", {})
    spec["security"] = security.get("security", [])
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            if route_group(path.removeprefix(prefix)) in PROTECTED_GROUPS:
                operation["responses"].setdefault("401", {"description": "Not authenticated"})
                operation["responses"].setdefault("403", {"description": "Not allowed"})
            else:
                operation["security"] = []  # open to all
