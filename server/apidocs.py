"""`/docs`: the API description as an interactive page (Swagger UI), served whole from
this server, so it works offline and runs no third-party script on the API's origin.

The UI's files come from the `swagger-ui-bundle` package (a pinned Swagger UI build);
the page and its start-up script are ours, and a Content-Security-Policy keeps every
script and request on this origin. Without JavaScript the page is the route table.
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiohttp import web
from swagger_ui_bundle import swagger_ui_path

from threadloom.protocol.errors import NotFound

# the UI's files the page loads, and their types
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}
# Swagger UI sets inline styles and shows images as data: URLs; scripts only from here
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

_START = """window.addEventListener("load", function () {
  var spec = document.getElementById("swagger-ui").dataset.spec;
  window.ui = SwaggerUIBundle({
    url: spec, dom_id: "#swagger-ui", deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "BaseLayout",
  });
  document.getElementById("routes").hidden = true;
});
"""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} API</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-spec="{spec_url}"></div>
<section id="routes" style="max-width: 960px; margin: 0 auto; padding: 1rem 2rem; font-family: system-ui, sans-serif">
<h1>{title} API</h1>
<p>{description} The description in OpenAPI form: <a href="{spec_url}">{spec_url}</a>.</p>
{sections}
</section>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/swagger-ui-standalone-preset.js"></script>
<script src="{assets}/start.js"></script>
</body>
</html>
"""


def render_docs(spec: dict[str, Any], docs_url: str) -> str:
    """The page at `docs_url` (`/docs`, under the mount prefix if any)."""
    by_tag: dict[str, list[str]] = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            tag = (operation.get("tags") or ["other"])[0]
            by_tag.setdefault(tag, []).append(
                f'<tr><td><code>{escape(method.upper())}</code></td><td><code>{escape(path)}</code></td>'
                f"<td>{escape(operation.get('summary', ''))}</td></tr>"
            )
    sections = "\n".join(
        f"<h2>{escape(tag)}</h2>\n<table>\n" + "\n".join(rows) + "\n</table>" for tag, rows in by_tag.items()
    )
    info = spec["info"]
    return _PAGE.format(
        title=escape(info["title"]), description=escape(info.get("description", "")),
        spec_url=escape(docs_url.removesuffix("docs") + "openapi.json"), assets=escape(docs_url + "/assets"),
        sections=sections,
    )


def docs_page(spec: dict[str, Any], docs_url: str) -> web.Response:
    return web.Response(
        text=render_docs(spec, docs_url), content_type="text/html", headers={"Content-Security-Policy": CSP}
    )


def docs_asset(name: str) -> web.StreamResponse:
    """One of the UI's files, or the page's start-up script; a 404 for anything else."""
    if name == "start.js":
        return web.Response(text=_START, content_type="text/javascript", headers={"Cache-Control": "no-cache"})
    if name not in ASSETS:
        raise NotFound("Not Found")
    # the files change only with the package's version: cacheable for a day
    return web.FileResponse(
        swagger_ui_path / name, headers={"Content-Type": ASSETS[name], "Cache-Control": "public, max-age=86400"}
    )
