"""langgraph.json beyond the graphs (reference §6.2): `store` (semantic search with the
project's own embedding function, TTL), `http` (CORS, route groups, mount prefix, a
custom Starlette app), `webhooks`, `env`; bad values name their key, unknown keys are
logged and ignored. Each test writes its own small project and serves it for real."""

from __future__ import annotations

import asyncio
import json
import logging
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import make_app
from langgraph_sdk import get_client
from pgtest import rows
from test_cli import clean_env, run_to_exit

from threadloom.server.config import ConfigError, load_project

COUNTER = str(Path(__file__).parent / "graphs" / "counter.py") + ":graph"
ORIGIN = "https://studio.example"

# a deterministic embedding: how often each word of a small vocabulary occurs
EMBED = """
VOCABULARY = ["cat", "dog", "fish", "car", "road", "engine"]

def _vector(text):
    words = text.lower().replace(",", " ").split()
    return [float(words.count(w)) for w in VOCABULARY]

def embed(texts):
    return [_vector(t) for t in texts]

async def aembed(texts):
    return [_vector(t) for t in texts]
"""

Serve = Callable[..., Awaitable[str]]


def write_project(folder: Path, files: dict[str, str] | None = None, **config: Any) -> Path:
    for name, text in (files or {}).items():
        (folder / name).write_text(textwrap.dedent(text))
    path = folder / "langgraph.json"
    path.write_text(json.dumps({"graphs": {"counter": COUNTER}, **config}))
    return path


@pytest.fixture
def serve(aiohttp_server: Any, database: Any) -> Serve:
    """Serve a project file, on each storage backend; returns the base URL."""

    async def start(config: Path, **settings: Any) -> str:
        settings["db"] = database(settings.get("db"))
        server = await aiohttp_server(make_app(config=config, **settings))
        return str(server.make_url("")).rstrip("/")

    return start


async def fetch(method: str, url: str, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    async with aiohttp.ClientSession() as http, http.request(method, url, **kwargs) as resp:
        text = await resp.text()
        body = json.loads(text) if resp.content_type == "application/json" and text else text
        return resp.status, dict(resp.headers), body


def config_error(tmp_path: Path, **config: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        make_app(config=write_project(tmp_path, **config))
    message = str(caught.value)
    assert "\n" not in message
    return message


# store -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", ["embed", "aembed"])
async def test_semantic_search_ranks_items_with_the_projects_embedding_function(
    tmp_path: Path, serve: Serve, function: str, database: Any
) -> None:
    if database.backend == "postgres" and not database.has_extension("vector"):
        pytest.skip("this PostgreSQL has no pgvector (the missing extension's start-up error: test_postgres_storage)")
    index = {"dims": 6, "embed": f"./embeddings.py:{function}", "fields": ["text"]}
    url = await serve(write_project(tmp_path, {"embeddings.py": EMBED}, store={"index": index}))
    client = get_client(url=url, api_key=None)
    docs = {"pets": "cat and dog, a cat", "sea": "fish fish fish", "traffic": "car on the road, engine running"}
    for key, text in docs.items():
        await client.store.put_item(["docs"], key, {"text": text})
    for query, best in [("my cat", "pets"), ("engine and car", "traffic"), ("fish", "sea")]:
        found = (await client.store.search_items(["docs"], query=query))["items"]
        assert found[0]["key"] == best, (query, found)
        scores = [i["score"] for i in found]
        assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    # without a query: plain listing, no ranking
    assert {i["key"] for i in (await client.store.search_items(["docs"]))["items"]} == set(docs)
    info = (await fetch("GET", f"{url}/info"))[2]
    assert info["threadloom"]["features"]["store_semantic_search"] is True
    await client.http.client.aclose()


async def test_without_an_index_search_is_not_semantic(url: str) -> None:
    info = (await fetch("GET", f"{url}/info"))[2]
    assert info["threadloom"]["features"]["store_semantic_search"] is False
    assert info["threadloom"]["features"]["store_ttl"] is False


async def test_store_ttl_applies_the_default_and_sweeps(tmp_path: Path, serve: Serve, database: Any) -> None:
    db = str(database(tmp_path / "data.sqlite"))
    ttl = {"default_ttl": 30, "refresh_on_read": False, "sweep_interval_minutes": 5}
    url = await serve(write_project(tmp_path, store={"ttl": ttl}), db=db)
    client = get_client(url=url, api_key=None)
    await client.store.put_item(["t"], "default", {"v": 1})
    await client.store.put_item(["t"], "own", {"v": 2}, ttl=90)
    await client.store.put_item(["t"], "never", {"v": 3}, index=False, ttl=None)
    stored = {key: int(minutes) for key, minutes in rows(db, "SELECT key, ttl_minutes FROM store")}  # type: ignore[call-overload]
    # explicit `ttl: null` is dropped by the SDK, so it means "the default" as well
    assert stored == {"default": 30, "own": 90, "never": 30}
    # LangGraph's sweeper on SQLite; on Postgres threadloom's, which sweeps in one process of a cluster
    assert any(t.get_name() in ("ttl_sweeper", "store-ttl") for t in asyncio.all_tasks())
    info = (await fetch("GET", f"{url}/info"))[2]
    assert info["threadloom"]["features"]["store_ttl"] is True
    await client.http.client.aclose()


def test_bad_store_values_name_the_key(tmp_path: Path) -> None:
    assert "store.index.dims" in config_error(tmp_path, store={"index": {"dims": "six", "embed": "./e.py:f"}})
    assert "store.index.dims" in config_error(tmp_path, store={"index": {"dims": 0, "embed": "./e.py:f"}})
    assert "store.index" in config_error(tmp_path, store={"index": {"embed": "./e.py:f"}})
    assert "store.index.embed" in config_error(tmp_path, store={"index": {"dims": 3, "embed": "nothing"}})
    assert "store.ttl.default_ttl" in config_error(tmp_path, store={"ttl": {"default_ttl": -1}})
    assert "store.path" in config_error(tmp_path, store={"path": "./my_store.py:store"})
    missing = config_error(tmp_path, store={"index": {"dims": 3, "embed": "./nowhere.py:embed"}})
    assert "store.index.embed" in missing and "nowhere.py" in missing
    (tmp_path / "plain.py").write_text("value = 1\n")
    assert "store.index.embed" in config_error(tmp_path, store={"index": {"dims": 3, "embed": "./plain.py:embed"}})
    assert "store.index.embed" in config_error(tmp_path, store={"index": {"dims": 3, "embed": "./plain.py:value"}})


# http: cors ------------------------------------------------------------------------------------


async def test_cors_preflight_and_cross_origin_requests_by_default(url: str) -> None:
    status, headers, _ = await fetch("OPTIONS", f"{url}/threads", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-api-key",
        "Access-Control-Request-Private-Network": "true",
    })
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert set(headers["Access-Control-Allow-Headers"].split(", ")) == {"content-type", "x-api-key"}
    assert headers["Access-Control-Allow-Private-Network"] == "true"

    # a browser reads the run's location from the response of a run it started
    status, _, thread = await fetch("POST", f"{url}/threads", json={}, headers={"Origin": ORIGIN})
    status, headers, _ = await fetch("POST", f"{url}/threads/{thread['thread_id']}/runs/wait",
                                     json={"assistant_id": "counter", "input": {}}, headers={"Origin": ORIGIN})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    exposed = {h.strip().lower() for h in headers["Access-Control-Expose-Headers"].split(",")}
    assert {"content-location", "location", "x-pagination-total", "x-pagination-next"} <= exposed
    assert headers["Location"].startswith("/threads/") and headers["Content-Location"].startswith("/threads/")
    # errors and unknown paths too, or the browser could not read them
    status, headers, body = await fetch("GET", f"{url}/no/such/route", headers={"Origin": ORIGIN})
    assert status == 404 and headers["Access-Control-Allow-Origin"] == "*" and body == {"detail": "Not Found"}
    assert "Origin" in headers["Vary"]


async def test_cors_configured_origins_regex_and_credentials(tmp_path: Path, serve: Serve) -> None:
    cors = {"allow_origins": ["https://app.example"], "allow_origin_regex": r"https://.*\.preview\.example",
            "allow_methods": ["GET", "POST"], "allow_headers": ["x-api-key"], "allow_credentials": True,
            "expose_headers": ["X-Custom"], "max_age": 60}
    url = await serve(write_project(tmp_path, http={"cors": cors}))
    for origin in ("https://app.example", "https://pr-7.preview.example"):
        status, headers, _ = await fetch("OPTIONS", f"{url}/threads/search", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "X-Api-Key"})
        assert status == 200, origin
        assert headers["Access-Control-Allow-Origin"] == origin  # never "*" with credentials
        assert headers["Access-Control-Allow-Credentials"] == "true"
        assert headers["Access-Control-Max-Age"] == "60"
        status, headers, _ = await fetch("POST", f"{url}/threads/search", json={}, headers={"Origin": origin})
        assert status == 200 and headers["Access-Control-Allow-Origin"] == origin
        exposed = headers["Access-Control-Expose-Headers"].lower()
        assert "x-custom" in exposed and "content-location" in exposed and "location" in exposed
    refused = [
        {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        {"Origin": "https://app.example", "Access-Control-Request-Method": "DELETE"},
        {"Origin": "https://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-other"},
    ]
    for headers_sent, what in zip(refused, ("origin", "method", "headers")):
        status, _, body = await fetch("OPTIONS", f"{url}/threads/search", headers=headers_sent)
        assert status == 400 and what in body["detail"], (headers_sent, body)
    status, headers, _ = await fetch("POST", f"{url}/threads/search", json={}, headers={"Origin": "https://evil.example"})
    assert status == 200 and "Access-Control-Allow-Origin" not in headers


async def test_cors_fields_left_out_keep_the_permissive_defaults(tmp_path: Path, serve: Serve) -> None:
    # the official server falls back to Starlette's defaults there (GET only, no headers, nothing
    # exposed), which breaks every client; threadloom keeps its own
    url = await serve(write_project(tmp_path, http={"cors": {"allow_origins": [ORIGIN]}}))
    status, headers, _ = await fetch("OPTIONS", f"{url}/threads/search", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-api-key"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Credentials" not in headers
    _, headers, _ = await fetch("POST", f"{url}/threads/search", json={}, headers={"Origin": ORIGIN})
    assert "x-pagination-total" in headers["Access-Control-Expose-Headers"].lower()


def test_bad_http_values_name_the_key(tmp_path: Path) -> None:
    assert "http.cors.allow_origin_regex" in config_error(tmp_path, http={"cors": {"allow_origin_regex": "("}})
    assert "http.cors.allow_origins" in config_error(tmp_path, http={"cors": {"allow_origins": "*"}})
    assert "http.mount_prefix" in config_error(tmp_path, http={"mount_prefix": "api"})
    assert "http.disable_store" in config_error(tmp_path, http={"disable_store": "yes"})
    assert "http.app" in config_error(tmp_path, http={"app": "./nowhere.py:app"})
    (tmp_path / "notapp.py").write_text("app = 42\n")
    assert "http.app" in config_error(tmp_path, http={"app": "./notapp.py:app"})


# http: route groups and mount prefix -------------------------------------------------------------


async def test_disabled_route_groups_are_not_served(tmp_path: Path, serve: Serve) -> None:
    http = {"disable_assistants": True, "disable_store": True, "disable_meta": True, "disable_runs": True}
    url = await serve(write_project(tmp_path, http=http))
    gone = [("POST", "/assistants/search"), ("PUT", "/store/items"), ("POST", "/store/items/search"),
            ("GET", "/info"), ("GET", "/metrics"), ("GET", "/openapi.json"), ("GET", "/docs"),
            ("POST", "/runs/wait"), ("POST", "/runs/crons/search")]
    for method, path in gone:
        status, _, body = await fetch(method, url + path, json={})
        assert status == 404 and body == {"detail": "Not Found"}, (method, path, status)
    status, _, thread = await fetch("POST", f"{url}/threads", json={})
    assert status == 200
    status, _, _ = await fetch("POST", f"{url}/threads/{thread['thread_id']}/runs", json={"assistant_id": "counter"})
    assert status == 404
    status, _, body = await fetch("GET", f"{url}/ok")
    assert (status, body) == (200, {"ok": True, "services": {}})


async def test_a_mount_prefix_moves_the_api_and_keeps_health_at_the_root(tmp_path: Path, serve: Serve) -> None:
    url = await serve(write_project(tmp_path, http={"mount_prefix": "/api/v1/"}))
    client = get_client(url=f"{url}/api/v1", api_key=None)
    thread = await client.threads.create()
    result = await client.runs.wait(thread["thread_id"], "counter", input={})
    assert result["count"] == 2
    _, headers, _ = await fetch("POST", f"{url}/api/v1/threads/{thread['thread_id']}/runs/wait",
                                     json={"assistant_id": "counter", "input": {}})
    assert headers["Content-Location"].startswith(f"/api/v1/threads/{thread['thread_id']}/runs/")
    assert headers["Location"].startswith("/api/v1/threads/") and headers["Location"].endswith("/join")
    assert (await fetch("GET", f"{url}/threads/{thread['thread_id']}"))[0] == 404
    for path in ("/ok", "/api/v1/ok", "/metrics", "/api/v1/metrics", "/api/v1/info", "/api/v1/openapi.json"):
        assert (await fetch("GET", url + path))[0] == 200, path
    assert (await fetch("GET", f"{url}/info"))[0] == 404
    info = (await fetch("GET", f"{url}/api/v1/info"))[2]
    assert info["threadloom"]["mount_prefix"] == "/api/v1"
    spec = (await fetch("GET", f"{url}/api/v1/openapi.json"))[2]
    assert "/api/v1/threads/{thread_id}/runs/wait" in spec["paths"]
    await client.http.client.aclose()


# http: custom app --------------------------------------------------------------------------------

CUSTOM_APP = """
from contextlib import asynccontextmanager
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

events = []

@asynccontextmanager
async def lifespan(app):
    events.append("startup")
    yield
    events.append("shutdown")

async def hello(request):
    return JSONResponse({"hello": request.query_params.get("name", "world"), "events": events})

async def echo(request):
    return JSONResponse({"got": await request.json(), "root_path": request.scope.get("root_path")})

async def shadow_info(request):
    return JSONResponse({"custom": "info"})

async def shadow_ok(request):
    return PlainTextResponse("custom ok")

app = Starlette(routes=[
    Route("/hello", hello),
    Route("/echo", echo, methods=["POST"]),
    Route("/info", shadow_info),
    Route("/ok", shadow_ok),
], lifespan=lifespan)
"""


@pytest.mark.parametrize("prefix", ["", "/api"])
async def test_a_custom_starlette_app_is_served_beside_the_api(tmp_path: Path, serve: Serve, prefix: str) -> None:
    http = {"app": "./custom.py:app", **({"mount_prefix": prefix} if prefix else {})}
    url = await serve(write_project(tmp_path, {"custom.py": CUSTOM_APP}, http=http))
    base = url + prefix
    status, _, body = await fetch("GET", f"{base}/hello?name=ann", headers={"Origin": ORIGIN})
    assert status == 200 and body == {"hello": "ann", "events": ["startup"]}
    status, _, body = await fetch("POST", f"{base}/echo", json={"a": [1, 2]})
    assert status == 200 and body == {"got": {"a": [1, 2]}, "root_path": prefix}
    # its routes come first, except the health check and the API's own description
    assert (await fetch("GET", f"{base}/info"))[2] == {"custom": "info"}
    assert (await fetch("GET", f"{base}/ok"))[2] == {"ok": True, "services": {}}
    # the API is still there, and a path the custom app does not know reaches it
    status, _, thread = await fetch("POST", f"{base}/threads", json={})
    assert status == 200 and "thread_id" in thread
    assert (await fetch("GET", f"{base}/nothing/here"))[0] == 404
    # its route for another method: 405 from the custom app
    assert (await fetch("DELETE", f"{base}/hello"))[0] == 405
    # CORS covers it too
    _, headers, _ = await fetch("GET", f"{base}/hello", headers={"Origin": ORIGIN})
    assert headers["Access-Control-Allow-Origin"] == "*"
    spec = (await fetch("GET", f"{base}/openapi.json"))[2]
    assert spec["paths"][f"{prefix}/hello"]["get"]["tags"] == ["custom"]


# webhooks, env, unknown keys -------------------------------------------------------------------


def test_webhooks_are_checked(tmp_path: Path) -> None:
    webhooks = {"env_prefix": "LG_HOOK_", "url": {"allowed_domains": ["*.example.com", "hooks.example.org"],
                "allowed_ports": [443], "require_https": True}, "headers": {"Authorization": "Bearer ${{ env.LG_HOOK_TOKEN }}"},
                "allowed_fields": ["run_id", "status", "values"]}
    project = load_project(write_project(tmp_path, webhooks=webhooks))
    assert project.webhooks is not None and project.webhooks.url.allowed_domains == ["*.example.com", "hooks.example.org"]
    assert project.webhooks.url.disable_loopback is True  # secure defaults
    assert project.webhooks.url.disable_private_ips is True  # (the official server's is false)
    assert "webhooks.url.allowed_domains" in config_error(tmp_path, webhooks={"url": {"allowed_domains": ["hooks.*.com"]}})
    assert "webhooks.url.allowed_ports" in config_error(tmp_path, webhooks={"url": {"allowed_ports": [70000]}})
    assert "webhooks.allowed_fields" in config_error(tmp_path, webhooks={"allowed_fields": ["password"]})
    assert "webhooks.headers.X" in config_error(tmp_path, webhooks={"headers": {"X": "${{ env.HOME }}"}})
    assert "webhooks.url.require_https" in config_error(tmp_path, webhooks={"url": {"require_https": "no"}})


def test_env_from_an_object_or_a_dotenv_file(tmp_path: Path) -> None:
    assert load_project(write_project(tmp_path, env={"A": "1", "B": 2})).env == {"A": "1", "B": "2"}
    (tmp_path / ".env").write_text('# comment\nexport A=one\nB="two words" # trailing comment\nC=\'x=y\'\n')
    assert load_project(write_project(tmp_path, env=".env")).env == {"A": "one", "B": "two words", "C": "x=y"}
    assert "env.A" in config_error(tmp_path, env={"A": {"nested": True}})
    assert "env" in config_error(tmp_path, env=".missing")


def test_unknown_keys_are_logged_and_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="threadloom.config"):
        load_project(write_project(tmp_path, colour="blue", python_version="3.11", checkpointer={"ttl": {}, "path": "./saver.py:saver"},
                                   http={"cors": {"allow_origns": ["x"]}, "surprise": 1}))
    logged = caplog.text
    assert "colour" in logged and "checkpointer.path" in logged and "http.surprise" in logged and "http.cors.allow_origns" in logged
    assert "python_version" not in logged  # a build key: nothing to say
    assert "encryption.path: file not found" in config_error(tmp_path, encryption={"path": "./encryption.py:encryption"})
    assert "auth.path: file not found" in config_error(tmp_path, auth={"path": "./auth.py:auth"})


async def test_the_cli_reports_a_bad_value_in_one_line_naming_the_key(tmp_path: Path) -> None:
    cases = {
        "http.cors.max_age": {"http": {"cors": {"max_age": -5}}},  # found reading the file
        "store.index.embed": {"store": {"index": {"dims": 3, "embed": "./gone.py:embed"}}},  # found loading it
        "http.app": {"http": {"app": "./gone.py:app"}},
    }
    folders = {key: tmp_path / key for key in cases}
    for key, folder in folders.items():
        folder.mkdir()
        write_project(folder, **cases[key])
    results = await asyncio.gather(*[
        run_to_exit("--config", str(folder / "langgraph.json"), "--memory", cwd=folder, env=clean_env()) for folder in folders.values()
    ])
    for key, (code, out, err) in zip(cases, results):
        lines = err.strip().splitlines()
        assert code == 2 and out == "" and len(lines) == 1, (key, code, err)
        assert lines[0].startswith("threadloom: error: ") and key in lines[0], (key, lines)
