"""`langgraph_sdk.get_client()` without a URL talks to this server, as it talks to the
official server it runs in: from a custom route, a graph node, the auth handlers.

How the SDK finds the server (langgraph_sdk 0.4, `get_client`): with no URL it builds an
httpx ASGI transport (base URL `http://api`, `root_path="/noauth"`) around the ASGI app
`from langgraph_api.server import app`; if that import fails it leaves the transport's
app empty and keeps the transport for `langgraph_sdk.client.configure_loopback_transports
(app)`, which the server calls once it is up. So:

- at startup, `configure_loopback_transports` gives clients made before (at the import of
  the graphs or of the custom app) this server's app;
- while it runs, `langgraph_api.server` (that one module, not the `langgraph_api` package,
  so nothing else takes threadloom for the official server) is this server's app, for
  clients made later, e.g. inside a request. Not when the official server's package is
  installed beside threadloom: that import is then its own.

The app forwards to the API (through the project's middleware, as the official server
does) under the mount prefix, and the request skips authentication (`/noauth`)."""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import AsyncIterator, Callable
from types import ModuleType

from aiohttp import web
from langgraph_sdk.client import configure_loopback_transports

from .asgi import ASGIApp, Receive, Scope, Send
from .selfproxy import ORIGIN, Origin

log = logging.getLogger("threadloom.inprocess")

SDK_IMPORT = "langgraph_api.server"  # what the SDK imports `app` from
NOAUTH = "/noauth"  # the root path the SDK's transport gives


class InProcessClients:
    """The ASGI app the SDK's in-process transport calls; `target` serves the API."""

    def __init__(self, target: ASGIApp, prefix: str) -> None:
        self._target = target
        self._prefix = prefix

    def install(self, app: web.Application) -> None:
        app.cleanup_ctx.append(self._offered)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        scope = {  # its root path says where it comes from, as on the official server
            **scope, "path": self._prefix + scope["path"], "raw_path": self._prefix.encode() + raw_path,
            "root_path": NOAUTH + self._prefix, ORIGIN: Origin(in_process=True),
        }
        await self._target(scope, receive, send)

    async def _offered(self, _: web.Application) -> AsyncIterator[None]:
        configure_loopback_transports(self)
        withdraw = _offer_module(self)
        try:
            yield
        finally:
            withdraw()


def _offer_module(app: ASGIApp) -> Callable[[], None]:
    """Make `from langgraph_api.server import app` give `app`; returns what undoes it."""
    current = sys.modules.get(SDK_IMPORT)
    if current is None and _installed("langgraph_api"):
        log.info("the official server's package is installed: get_client() without a URL made inside a request "
                 "uses its app, not threadloom's")
        return lambda: None
    if current is not None and not getattr(current, "__threadloom__", False):
        return lambda: None
    module = ModuleType(SDK_IMPORT, "threadloom's stand-in for the module langgraph_sdk's in-process client imports")
    setattr(module, "__threadloom__", True)
    setattr(module, "app", app)
    sys.modules[SDK_IMPORT] = module

    def withdraw() -> None:
        if sys.modules.get(SDK_IMPORT) is module:  # (a server started after this one offers its own)
            del sys.modules[SDK_IMPORT]

    return withdraw


def _installed(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False
