"""The console at /console (issue 18): served from the committed build in
server/console_dist (which must match console/'s sources), under the mount prefix, turned off
by `http.disable_console`, open as a page while the API it calls keeps its custom auth; and
the whole console walked in Chromium (tests/js/console, run by scripts/test-js.sh console,
skipped without Node as tests/test_js.py is)."""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from auth_support import TOKEN_AUTH, serve, write_project

ROOT = Path(__file__).resolve().parent.parent
CONSOLE = ROOT / "console"
DIST = ROOT / "server" / "console_dist"
COUNTER = str(ROOT / "tests" / "graphs" / "counter.py") + ":graph"


def source_hash() -> str:
    """What scripts/build-console.sh stamps: `sha256sum` of the sources sorted by path, hashed."""
    files = [CONSOLE / name for name in ("index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts")]
    files += [p for p in (CONSOLE / "src").rglob("*") if p.is_file()]
    rel = sorted(str(p.relative_to(CONSOLE)) for p in files)
    listing = "".join(f"{hashlib.sha256((CONSOLE / r).read_bytes()).hexdigest()}  {r}\n" for r in rel)
    return hashlib.sha256(listing.encode()).hexdigest()


def test_the_committed_build_matches_the_sources() -> None:
    stamped = (DIST / "source.sha256").read_text().strip()
    assert stamped == source_hash(), "server/console_dist is stale: run scripts/build-console.sh and commit it"
    html = (DIST / "index.html").read_text()
    assets = re.findall(r'(?:src|href)="\./(assets/[^"]+)"', html)
    assert assets and all((DIST / a).is_file() for a in assets)
    # offline: nothing in the page or its files is fetched from elsewhere
    for file in [DIST / "index.html", *(DIST / "assets").iterdir()]:
        text = file.read_text(errors="replace")
        assert not re.search(r"(src|href)=\"https?://|@import\s+url\(\s*['\"]?https?://|fonts\.googleapis", text), file


def test_the_package_ships_the_build() -> None:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    patterns = [p.strip() for p in cfg["options.package_data"]["threadloom.server"].split(",")]
    shipped = {p for pattern in patterns for p in (ROOT / "server").glob(pattern) if p.is_file()}
    assert shipped == {p for p in DIST.rglob("*") if p.is_file()}


async def _get(url: str, **kwargs: Any) -> tuple[int, Any, str]:
    async with aiohttp.ClientSession() as session:
        async with session.get(url, allow_redirects=False, **kwargs) as resp:
            return resp.status, resp.headers, await resp.text()


def _project(tmp_path: Path, **extra: Any) -> Path:
    path = tmp_path / "langgraph.json"
    path.write_text(json.dumps({"graphs": {"counter": COUNTER}, **extra}))
    return path


async def test_the_console_is_served(aiohttp_server: Any, tmp_path: Path) -> None:
    url = await serve(aiohttp_server, _project(tmp_path))
    status, headers, _ = await _get(f"{url}/console")
    assert (status, headers["Location"]) == (308, "/console/")
    status, headers, html = await _get(f"{url}/console/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert '<base href="/console/">' in html and '<div id="root">' in html
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    script = re.search(r'src="\./(assets/[^"]+\.js)"', html)
    assert script is not None
    status, headers, body = await _get(f"{url}/console/{script[1]}")
    assert status == 200 and "javascript" in headers["Content-Type"] and "immutable" in headers["Cache-Control"]
    assert len(body) > 1000
    # any other path below is the page (a deep link), but a missing asset is a 404
    status, _, deep = await _get(f"{url}/console/threads/abc")
    assert (status, deep) == (200, html)
    status, _, body = await _get(f"{url}/console/assets/nothing.js")
    assert (status, json.loads(body)) == (404, {"detail": "Not Found"})
    for sneaky in ("/console/..%2Fconsole.py", "/console/%2e%2e/console.py", "/console/assets/..%2F..%2Fconsole.py"):
        status, _, body = await _get(url + sneaky)
        assert status in (200, 404) and "add_console" not in body, sneaky


async def test_the_console_follows_the_mount_prefix(aiohttp_server: Any, tmp_path: Path) -> None:
    url = await serve(aiohttp_server, _project(tmp_path, http={"mount_prefix": "/api/v1"}))
    status, headers, _ = await _get(f"{url}/api/v1/console")
    assert (status, headers["Location"]) == (308, "/api/v1/console/")
    status, _, html = await _get(f"{url}/api/v1/console/")
    assert status == 200 and '<base href="/api/v1/console/">' in html  # the page calls the API at /api/v1
    assert (await _get(f"{url}/console/"))[0] == 404


async def test_http_disable_console_turns_it_off(aiohttp_server: Any, tmp_path: Path) -> None:
    url = await serve(aiohttp_server, _project(tmp_path, http={"disable_console": True}))
    for path in ("/console", "/console/", "/console/assets/x.js"):
        assert (await _get(url + path))[0] == 404, path
    assert (await _get(f"{url}/ok"))[0] == 200


async def test_with_custom_auth_the_page_opens_and_its_api_calls_need_the_user(aiohttp_server: Any, tmp_path: Path) -> None:
    """The page carries no data (as /docs); the console sends the Authorization header the
    user gives it, and the API answers as it answers any client."""
    url = await serve(aiohttp_server, write_project(tmp_path, TOKEN_AUTH))
    assert (await _get(f"{url}/console/"))[0] == 200
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/threads/search", json={}) as resp:
            assert resp.status == 401
        async with session.post(f"{url}/threads/search", json={}, headers={"Authorization": "Bearer ok"}) as resp:
            assert resp.status == 200


@pytest.mark.skipif(
    shutil.which("node") is None,
    reason="Node.js is not installed: the console's browser suite (scripts/test-js.sh console) needs node and npm",
)
def test_the_console_in_chromium() -> None:
    env = {**os.environ, "THREADLOOM_PYTHON": sys.executable}
    proc = subprocess.run(
        [str(ROOT / "scripts" / "test-js.sh"), "console"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1200,
    )
    assert proc.returncode == 0, f"scripts/test-js.sh console failed:\n{proc.stdout[-30000:]}"
