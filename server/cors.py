"""CORS, so that browser apps (Studio, `useStream`) can call the API from another origin.

Semantics of Starlette's `CORSMiddleware`, which the official server uses, configured
by `http.cors`; by default every origin, method and header is allowed. A preflight is
answered before routing; every other response (errors, streams and the custom app's
included) gets the headers as it is prepared. Unlike the official server, `Location` is
exposed too: a browser needs it to follow a run it created.

aiohttp-cors was considered: it has no origin regex, and only covers the routes it is
given, so neither unknown paths (a 404 the browser could not read) nor the custom app.
"""

from __future__ import annotations

import re

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from threadloom.protocol.serde import dumps

from .sections import Cors

ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type"})


class CorsPolicy:
    def __init__(self, cors: Cors) -> None:
        self._any_origin = "*" in cors.allow_origins
        self._origins = frozenset(cors.allow_origins)
        self._regex = re.compile(cors.allow_origin_regex) if cors.allow_origin_regex else None
        self._any_method = "*" in cors.allow_methods
        self._methods = ALL_METHODS if self._any_method else tuple(m.upper() for m in cors.allow_methods)
        self._any_header = "*" in cors.allow_headers
        self._headers = SAFELISTED_HEADERS | {h.lower() for h in cors.allow_headers}
        self._credentials = cors.allow_credentials
        self._expose = ", ".join(cors.exposed)
        self._max_age = str(cors.max_age)

    def install(self, app: web.Application) -> None:
        app.middlewares.append(self.preflight)
        app.on_response_prepare.append(self.decorate)

    def allows(self, origin: str) -> bool:
        return (self._any_origin or origin in self._origins
                or (self._regex is not None and self._regex.fullmatch(origin) is not None))

    def _allow_origin(self, origin: str) -> str:
        # a credentialed request may not be answered with "*"
        return "*" if self._any_origin and not self._credentials else origin

    @web.middleware
    async def preflight(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        headers = request.headers
        if request.method == hdrs.METH_OPTIONS and hdrs.ORIGIN in headers and hdrs.ACCESS_CONTROL_REQUEST_METHOD in headers:
            return self._answer_preflight(request)
        return await handler(request)

    def _answer_preflight(self, request: web.Request) -> web.Response:
        origin = request.headers[hdrs.ORIGIN]
        method = request.headers[hdrs.ACCESS_CONTROL_REQUEST_METHOD].strip().upper()
        requested = [h.strip().lower() for h in request.headers.get(hdrs.ACCESS_CONTROL_REQUEST_HEADERS, "").split(",") if h.strip()]
        refused = [
            what for what, ok in (
                ("origin", self.allows(origin)),
                ("method", method in self._methods),
                ("headers", self._any_header or set(requested) <= self._headers),
            ) if not ok
        ]
        headers: dict[str, str] = {hdrs.VARY: hdrs.ORIGIN}
        if refused:
            body = dumps({"detail": f"Disallowed CORS {', '.join(refused)}"})
            return web.Response(status=400, body=body, content_type="application/json", headers=headers)
        headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = self._allow_origin(origin)
        headers[hdrs.ACCESS_CONTROL_ALLOW_METHODS] = ", ".join(self._methods)
        headers[hdrs.ACCESS_CONTROL_MAX_AGE] = self._max_age
        allowed = requested if self._any_header else sorted(self._headers)
        if allowed:
            headers[hdrs.ACCESS_CONTROL_ALLOW_HEADERS] = ", ".join(allowed)
        if self._credentials:
            headers[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = "true"
        if request.headers.get("Access-Control-Request-Private-Network", "").lower() == "true":
            # Chrome asks before a public page (Studio) may call a server on this machine
            headers["Access-Control-Allow-Private-Network"] = "true"
        return web.Response(status=200, text="OK", headers=headers)

    async def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        if hdrs.ACCESS_CONTROL_ALLOW_ORIGIN in response.headers:
            return  # a preflight answer, or the custom app did it
        vary = response.headers.get(hdrs.VARY)
        if vary is None:
            response.headers[hdrs.VARY] = hdrs.ORIGIN
        elif hdrs.ORIGIN.lower() not in vary.lower():
            response.headers[hdrs.VARY] = f"{vary}, {hdrs.ORIGIN}"
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is None or not self.allows(origin):
            return
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = self._allow_origin(origin)
        response.headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = self._expose
        if self._credentials:
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = "true"
