"""Health and server information."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from aiohttp import web

from protocol.requests import STREAM_MODES

from ..http import json

routes = web.RouteTableDef()


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


@routes.get("/ok")
async def ok(request: web.Request) -> web.Response:
    return json({"ok": True})


@routes.get("/info")
async def info(request: web.Request) -> web.Response:
    return json(
        {
            "version": _version("threadloom"),
            "langgraph_py_version": _version("langgraph"),
            "flags": {"assistants": True, "crons": False, "langsmith": False},
            "host": {"kind": "threadloom", "project_id": None, "host_revision_id": None, "revision_id": None, "tenant_id": None},
            "threadloom": {"stream_modes": sorted(STREAM_MODES), "multitask_strategies": ["reject", "interrupt", "rollback", "enqueue"]},
        }
    )
