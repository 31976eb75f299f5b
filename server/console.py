"""The console at `/console` (under the mount prefix if any): a single-page app built from
`console/` into `console_dist/` beside this file, so the server needs no Node and no network
to serve it. `http.disable_console` turns it off.

The page itself holds no data and is served without a user, like `/docs`: everything it
shows comes from the API, through the same custom auth, with the headers the user gives it
(an Authorization header kept in the browser's localStorage)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from aiohttp import web

from threadloom.protocol.errors import NotFound

from .operations import operation

DIST = Path(__file__).resolve().parent / "console_dist"
# the built page's assets have content hashes in their names: cacheable for good
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
_NO_CACHE = {"Cache-Control": "no-cache"}
# the page talks only to its own server, loads nothing from elsewhere
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
)


def _index(base: str) -> web.Response:
    """index.html with a `<base>` naming where the console is mounted: its relative asset
    URLs and the API URL it derives (`base` + `..`) hold at any depth and any prefix."""
    html = (DIST / "index.html").read_text(encoding="utf-8")
    html = html.replace("<head>", f'<head>\n    <base href="{escape(base)}">', 1)
    return web.Response(text=html, content_type="text/html", headers={**_NO_CACHE, "Content-Security-Policy": CSP})


def add_console(app: web.Application, prefix: str) -> None:
    """Routes for `{prefix}/console`, its assets, and index.html for any other path below it
    (the app routes in the URL's fragment, but a deep link still lands on the page)."""
    base = f"{prefix}/console/"
    root = DIST.resolve()

    @operation("The console: a redirect to its page", content_type="text/html")
    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPPermanentRedirect(base)

    @operation("The console's page, or one of its files", content_type="text/html")
    async def page(request: web.Request) -> web.StreamResponse:
        tail = request.match_info.get("tail", "")
        if tail and tail != "index.html":
            file = (root / tail).resolve()
            if file.is_relative_to(root) and file.is_file():
                return web.FileResponse(file, headers=_IMMUTABLE if tail.startswith("assets/") else _NO_CACHE)
            if tail.startswith("assets/"):  # a missing asset is a 404, not the page
                raise NotFound("Not Found")
        if not (DIST / "index.html").is_file():
            raise NotFound("The console is not built: run scripts/build-console.sh")
        return _index(base)

    app.router.add_get(f"{prefix}/console", redirect)
    app.router.add_get(base + "{tail:.*}", page)
