"""`/docs`: the API description as a page. The route list is rendered here, so the page
is useful without network; Scalar's interactive reference is loaded from its CDN by the
browser, when it can, from the same description."""

from __future__ import annotations

from html import escape
from typing import Any

SCALAR = "https://cdn.jsdelivr.net/npm/@scalar/api-reference"

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} API</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; }}
#routes {{ max-width: 960px; margin: 0 auto; padding: 1rem 2rem; }}
#routes table {{ border-collapse: collapse; width: 100%; }}
#routes td {{ padding: .2rem .6rem; border-bottom: 1px solid #eee; vertical-align: top; }}
#routes code {{ font-size: .95em; }}
.method {{ font-weight: 600; font-family: monospace; }}
</style>
</head>
<body>
<section id="routes">
<h1>{title} API</h1>
<p>{description} The description in OpenAPI form: <a href="{spec_url}">{spec_url}</a>.</p>
{sections}
</section>
<script id="api-reference" data-url="{spec_url}"></script>
<script src="{scalar}" async></script>
</body>
</html>
"""


def render_docs(spec: dict[str, Any], spec_url: str) -> str:
    by_tag: dict[str, list[str]] = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            tag = (operation.get("tags") or ["other"])[0]
            by_tag.setdefault(tag, []).append(
                f'<tr><td class="method">{escape(method.upper())}</td><td><code>{escape(path)}</code></td>'
                f"<td>{escape(operation.get('summary', ''))}</td></tr>"
            )
    sections = "\n".join(
        f"<h2>{escape(tag)}</h2>\n<table>\n" + "\n".join(rows) + "\n</table>" for tag, rows in by_tag.items()
    )
    info = spec["info"]
    return _PAGE.format(
        title=escape(info["title"]), description=escape(info.get("description", "")),
        spec_url=escape(spec_url), sections=sections, scalar=SCALAR,
    )
