"""The OpenAPI description of the running server, built from its live router: every route
it serves is listed (added later, disabled or mounted under a prefix alike), each as its
handler declares itself (operations.py): summary, query parameters, request body (the
schema the body is validated against, protocol/bodies.py) and answer (msgspec describes
the resources)."""

from __future__ import annotations

import inspect
import re
from typing import Any

import msgspec
from aiohttp import web

from threadloom.protocol.bodies import RequestBody, components_of
from threadloom.protocol.wireschema import REF_PREFIX, Components, ref

from .custom_app import CustomApp
from .mount import PROTECTED_GROUPS, route_group
from .operations import Operation, Param, declared


class ErrorDetail(msgspec.Struct):
    detail: str


_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")
_NO_CONTENT = {204: "No content", 202: "Accepted"}


def _summary(handler: Any) -> str:
    doc = inspect.getdoc(handler)
    return doc.splitlines()[0] if doc else handler.__name__.replace("_", " ").strip().capitalize()


class _Schemas:
    """What the operations refer to, turned into components at the end: response types
    (by msgspec) and request bodies (by their own schemas)."""

    def __init__(self) -> None:
        self.types: list[Any] = [ErrorDetail]
        self.bodies: dict[str, RequestBody[Any]] = {}

    def response(self, kind: Any) -> dict[str, int]:
        self.types.append(kind)
        return {"$type": len(self.types) - 1}

    def body(self, body: RequestBody[Any]) -> dict[str, str]:
        self.bodies[body.name] = body
        return ref(body.name)

    def resolve(self, spec: dict[str, Any]) -> dict[str, Any]:
        schemas, components = msgspec.json.schema_components(self.types, ref_template=REF_PREFIX + "{name}")
        requests = Components()
        components_of(self.bodies.values(), requests)
        for name, schema in requests.schemas.items():
            if components.setdefault(name, schema) != schema:
                raise RuntimeError(f"two schemas named {name}: a response type and a request body's")

        def fill(node: Any) -> Any:
            if isinstance(node, dict):
                if set(node) == {"$type"}:
                    return schemas[node["$type"]]
                return {k: fill(v) for k, v in node.items()}
            if isinstance(node, list):
                return [fill(v) for v in node]
            return node

        spec = fill(spec)
        spec["components"] = {"schemas": dict(sorted(components.items()))}
        return spec


def _json(schema: Any) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _parameters(path: str, op: Operation | None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in _PARAM.findall(path)
    ]

    def described(param: Param, where: str) -> dict[str, Any]:
        out = {"name": param.name, "in": where, "required": param.required, "schema": dict(param.schema),
               "description": param.description}
        if param.schema.get("type") == "array":  # `?select=a&select=b`, as the SDKs send lists
            out.update(style="form", explode=True)
        return out

    if op is not None:
        found += [described(q, "query") for q in op.query] + [described(h, "header") for h in op.headers]
    return found


def _responses(op: Operation | None, schemas: _Schemas) -> dict[str, Any]:
    if op is None:
        return {"200": {"description": "Success"}}
    responses: dict[str, Any] = {}
    if op.status in _NO_CONTENT:
        responses[str(op.status)] = {"description": _NO_CONTENT[op.status]}
    if op.stream:
        responses["200"] = {"description": "Server-sent events", "content": {"text/event-stream": {"schema": {"type": "string"}}}}
    elif op.content_type is not None:
        responses["200"] = {"description": "Success", "content": {op.content_type: {"schema": {"type": "string"}}}}
    elif op.response is not None:
        responses["200"] = {"description": "Success", "content": _json(schemas.response(op.response))}
    elif not responses:
        responses["200"] = {"description": "Success"}
    return responses


def _operation(method: str, path: str, handler: Any, prefix: str, schemas: _Schemas) -> dict[str, Any]:
    op = declared(handler)
    operation: dict[str, Any] = {
        "summary": op.summary if op is not None else _summary(handler),
        "operationId": f"{handler.__name__}_{method.lower()}",
        "tags": [route_group(path.removeprefix(prefix))],
    }
    parameters = _parameters(path, op)
    if parameters:
        operation["parameters"] = parameters
    if op is not None and op.body is not None:
        operation["requestBody"] = {"required": True, "content": _json(schemas.body(op.body))}
    error = {"description": "Error", "content": _json({"$type": 0})}  # ErrorDetail, the first type
    operation["responses"] = {**_responses(op, schemas), "4XX": error, "5XX": error}
    return operation


def _unique_ids(paths: dict[str, dict[str, Any]]) -> None:
    """A handler serving two paths (e.g. with and without a namespace) names two operations."""
    seen: dict[str, int] = {}
    for operations in paths.values():
        for operation in operations.values():
            name = operation.get("operationId")
            if name is None:
                continue
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                operation["operationId"] = f"{name}_{seen[name]}"


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
    paths = dict(sorted(paths.items()))
    _unique_ids(paths)
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "threadloom", "version": version or "0", "description": "The LangGraph Platform API, served by threadloom."},
        "paths": paths,
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
