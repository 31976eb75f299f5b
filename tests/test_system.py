"""System endpoints: /ok, /info (the official keys and an honest `threadloom` section),
/metrics (Prometheus text and JSON, following real runs, streams and cancellations),
/openapi.json (every route of the live router, with request and response schemas) and
/docs (the route list without network)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema_rs
import pytest
from conftest import make_app
from langgraph_sdk.client import LangGraphClient
from prometheus_client.parser import text_string_to_metric_families
from test_config import write_project

from threadloom.server.looplag import LoopLag

GUARD_SECONDS = 30.0  # how long to wait for a condition before giving up: not a timing assertion


async def fetch(url: str, **params: str) -> tuple[int, str, Any]:
    async with aiohttp.ClientSession() as http, http.get(url, params=params) as resp:
        text = await resp.text()
        return resp.status, resp.content_type, json.loads(text) if resp.content_type == "application/json" else text


async def metrics(url: str) -> dict[str, Any]:
    status, _, body = await fetch(f"{url}/metrics", format="json")
    assert status == 200
    return body


async def until(url: str, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The JSON metrics once `check` holds of them."""
    async with asyncio.timeout(GUARD_SECONDS):
        while not check(found := await metrics(url)):
            await asyncio.sleep(0.01)
    return found


async def test_ok_and_the_root_answer_as_the_official_health_check(url: str) -> None:
    for path in ("/ok", "/"):
        assert await fetch(f"{url}{path}") == (200, "application/json", {"ok": True, "services": {}})


async def test_info_keeps_the_official_keys_and_says_what_threadloom_supports(url: str) -> None:
    status, _, info = await fetch(f"{url}/info")
    assert status == 200
    assert {"version", "langgraph_py_version", "flags", "host"} <= set(info)
    assert info["flags"] == {  # as the official server 0.16.7 (LangSmith tracing off)
        "assistants": True, "crons": True, "langsmith": False,
        "langsmith_tracing_replicas": True, "langsmith_tracing_session_on_runs": True,
    }
    assert set(info["host"]) == {"kind", "project_id", "host_revision_id", "revision_id", "tenant_id"}
    ours = info["threadloom"]
    assert ours["routes"] == ["a2a", "assistants", "crons", "event_streaming", "mcp", "meta", "runs", "store", "threads"]
    assert ours["mount_prefix"] is None
    features = ours["features"]
    assert features["multitask_strategies"] == ["reject", "rollback", "interrupt", "enqueue"]  # the official order
    assert {"values", "updates", "messages-tuple", "events"} <= set(features["stream_modes"])
    assert features["crons"] is True and features["store"] is True
    assert features["store_semantic_search"] is False
    assert features["auth"] is False and features["webhooks"] is True


async def test_info_follows_disabled_groups(tmp_path: Path, aiohttp_server: Any) -> None:
    config = write_project(tmp_path, http={"disable_crons": True, "disable_store": True, "disable_assistants": True})
    url = str((await aiohttp_server(make_app(config=config))).make_url("")).rstrip("/")
    info = (await fetch(f"{url}/info"))[2]
    assert info["flags"]["crons"] is False and info["flags"]["assistants"] is False
    assert info["threadloom"]["routes"] == ["a2a", "event_streaming", "mcp", "meta", "runs", "threads"]
    assert info["threadloom"]["features"]["crons"] is False and info["threadloom"]["features"]["store"] is False


async def test_metrics_follow_runs_streams_and_cancellations(url: str, client: LangGraphClient) -> None:
    before = await metrics(url)
    assert before["queue"] == {"n_pending": 0, "n_running": 0} and before["runs"]["finished"] == {}
    assert before["workers"]["max"] == before["workers"]["available"] == 10

    thread = (await client.threads.create())["thread_id"]
    slow = {"steps": 100_000, "delay": 0.01}
    first = await client.runs.create(thread, "slow", input=slow)
    second = await client.runs.create(thread, "slow", input=slow, multitask_strategy="enqueue")
    found = await until(url, lambda m: m["queue"]["n_running"] == 1)
    assert found["queue"] == {"n_pending": 1, "n_running": 1}
    assert found["workers"]["active"] == 1 and found["threads"]["supervised"] >= 1
    assert found["streams"]["live"] == 2

    async def follow() -> list[Any]:
        return [part async for part in client.runs.join_stream(thread, first["run_id"])]

    joined = asyncio.create_task(follow())
    await until(url, lambda m: m["streams"]["subscribers"] == 1)

    await client.runs.cancel(thread, second["run_id"], action="rollback")  # still queued
    await client.runs.cancel(thread, first["run_id"], wait=True)  # running
    await joined
    await client.runs.wait(thread, "counter", input={})
    await client.runs.wait(None, "failing", input={}, raise_error=False)
    after = await until(url, lambda m: m["streams"]["subscribers"] == 0)
    assert after["runs"]["finished"] == {"error": 1, "interrupted": 1, "rollback": 1, "success": 1}
    assert after["queue"] == {"n_pending": 0, "n_running": 0} and after["streams"]["live"] == 0
    # the loop's lag is observed every 50 ms: on a fast machine all of the above may fit
    # in the first interval
    await until(url, lambda m: m["loop_lag"]["observations"] > 0)

    status, content_type, text = await fetch(f"{url}/metrics")
    assert status == 200 and content_type == "text/plain"
    families = {f.name: f for f in text_string_to_metric_families(text)}
    finished = {s.labels["outcome"]: s.value for s in families["threadloom_runs_finished"].samples if s.name.endswith("_total")}
    assert finished == {"error": 1.0, "interrupted": 1.0, "rollback": 1.0, "success": 1.0}
    assert families["threadloom_runs_running"].samples[0].value == 0
    assert families["threadloom_run_slots"].samples[0].value == 10
    assert {"threadloom_runs_pending", "threadloom_stream_subscribers", "threadloom_streams_live",
            "threadloom_thread_supervisors"} <= set(families)
    lag = {s.labels.get("le", s.name): s.value for s in families["threadloom_loop_lag_seconds"].samples}
    assert lag["+Inf"] == lag["threadloom_loop_lag_seconds_count"] > 0 and lag["0.001"] <= lag["+Inf"]


async def test_loop_lag_shows_a_loop_held_by_a_blocking_call() -> None:
    """The watcher is woken late by as much as the loop was held: the lag lands in the
    buckets above what it was held for, not below."""
    lag = LoopLag(interval=0.01)
    watcher = asyncio.create_task(lag.watch())
    await asyncio.sleep(0.05)
    time.sleep(0.3)  # holds the loop, as a blocking storage call would
    async with asyncio.timeout(GUARD_SECONDS):
        while lag.max < 0.25:
            await asyncio.sleep(0.01)
    watcher.cancel()
    assert dict(lag.cumulative())[0.1] < lag.observations and lag.total >= lag.max


async def test_loop_lag_does_not_count_the_interval_the_server_started_in() -> None:
    """The server's one collection once it is up (`cli._settle_heap`) holds the loop
    while it starts, not while it serves: the interval it falls in is skipped."""
    lag = LoopLag(interval=0.01)
    watcher = asyncio.create_task(lag.watch())
    await asyncio.sleep(0.05)
    time.sleep(0.3)
    lag.skip_current()
    async with asyncio.timeout(GUARD_SECONDS):
        while lag.observations < 5:
            await asyncio.sleep(0.01)
    watcher.cancel()
    assert lag.max < 0.25


async def test_loop_lag_in_json_metrics(url: str) -> None:
    found = await until(url, lambda m: m["loop_lag"]["observations"] > 0)
    assert found["loop_lag"]["buckets"]["+Inf"] == found["loop_lag"]["observations"]
    assert set(found["loop_lag"]) == {"observations", "sum_seconds", "max_seconds", "buckets"}


async def test_metrics_format_must_be_known(url: str) -> None:
    status, _, body = await fetch(f"{url}/metrics", format="xml")
    assert status == 422 and "format" in body["detail"]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [node["$ref"]] if "$ref" in node else [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


async def test_openapi_describes_every_route_of_the_live_router(aiohttp_server: Any) -> None:
    app = make_app()

    async def extra(request: Any) -> Any:
        """An extra route, added after the others."""

    app.router.add_get("/extra/{thing}", extra)
    url = str((await aiohttp_server(app)).make_url("")).rstrip("/")
    status, _, spec = await fetch(f"{url}/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.")
    served = {(r.method.lower(), r.resource.canonical) for r in app.router.routes() if r.method not in ("HEAD", "OPTIONS", "*")}
    described = {(method, path) for path, operations in spec["paths"].items() for method in operations}
    assert described == served
    assert spec["paths"]["/extra/{thing}"]["get"]["summary"] == "An extra route, added after the others."
    assert spec["paths"]["/extra/{thing}"]["get"]["parameters"][0]["name"] == "thing"

    schemas = spec["components"]["schemas"]
    assert all(ref.removeprefix("#/components/schemas/") in schemas for ref in _refs(spec))

    def body_of(method: str, path: str) -> str:
        return spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]

    # the bodies the routes declare, by the official description's names
    assert body_of("post", "/threads").endswith("/ThreadCreate")
    assert body_of("post", "/threads/{thread_id}/runs").endswith("/RunCreateStateful")
    assert body_of("post", "/threads/{thread_id}/runs/stream").endswith("/RunCreateStreamingStateful")
    assert body_of("post", "/runs/wait").endswith("/RunCreateStreamingStateless")
    assert body_of("post", "/runs/batch").endswith("/RunBatchCreate")
    assert body_of("put", "/store/items").endswith("/StorePutRequest")
    assert body_of("post", "/threads/{thread_id}/history").endswith("/ThreadStateSearch")
    assert "thread_id" in schemas["ThreadCreate"]["properties"]
    assert schemas["RunCreateStateful"]["required"] == ["assistant_id"]
    assert "on_completion" not in schemas["RunCreateStateful"]["properties"]  # a stateless run's field
    assert schemas["RunCreateStreamingStateful"]["allOf"][0]["$ref"].endswith("/RunCreateStateful")
    assert schemas["ThreadSearchRequest"]["properties"]["status"]["enum"] == ["idle", "busy", "interrupted", "error"]
    get_thread = spec["paths"]["/threads/{thread_id}"]["get"]
    assert get_thread["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Thread")
    assert "text/event-stream" in spec["paths"]["/threads/{thread_id}/runs/stream"]["post"]["responses"]["200"]["content"]
    assert get_thread["responses"]["4XX"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorDetail")
    assert "requestBody" not in get_thread
    assert "requestBody" not in spec["paths"]["/threads/{thread_id}/copy"]["post"]

    # every operation of ours says what it answers, and which query parameters it reads
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if path == "/extra/{thing}":
                continue
            success = {k: v for k, v in operation["responses"].items() if k.startswith("2")}
            assert success and all("content" in v or k in ("202", "204") for k, v in success.items()), (method, path)
    def query_of(method: str, path: str) -> list[str]:
        return [p["name"] for p in spec["paths"][path][method]["parameters"] if p["in"] == "query"]

    assert query_of("get", "/threads/{thread_id}/runs") == ["limit", "offset", "status", "select"]
    assert query_of("get", "/store/items") == ["key", "namespace", "refresh_ttl"]
    assert query_of("post", "/threads/{thread_id}/runs/{run_id}/cancel") == ["wait", "action"]
    assert query_of("get", "/threads/{thread_id}/history") == ["limit", "before"]
    empty = spec["paths"]["/threads/{thread_id}"]["delete"]["responses"]
    assert "204" in empty and "200" not in empty


async def test_openapi_bodies_are_what_bodies_are_checked_against(url: str) -> None:
    """One mechanism: a body the description's own schema refuses is refused by the
    route, with the very text jsonschema-rs gives for that schema."""
    _, _, spec = await fetch(f"{url}/openapi.json")
    components = spec["components"]["schemas"]
    bad = {"assistant_id": "counter", "multitask_strategy": "nope"}
    schema = {**components["RunCreateStreamingStateful"], "components": {"schemas": components}}
    try:
        jsonschema_rs.validator_for(schema).validate(bad)
    except jsonschema_rs.ValidationError as exc:
        expected = str(exc)
    async with aiohttp.ClientSession() as http:
        thread = await (await http.post(f"{url}/threads", json={})).json()
        async with http.post(f"{url}/threads/{thread['thread_id']}/runs/stream", json=bad) as resp:
            assert resp.status == 422
            assert (await resp.json())["detail"] == expected
    assert 'in schema["components"]["schemas"]["RunCreateStateful"]["properties"]["multitask_strategy"]' in expected


async def test_docs_are_served_whole_from_this_server(url: str) -> None:
    """The interactive reference works offline and runs no third-party script: every
    script and stylesheet the page loads is served here, and the page's policy allows
    no other origin. Without JavaScript the page is the route table."""
    status, content_type, page = await fetch(f"{url}/docs")
    assert status == 200 and content_type == "text/html"
    assert "/threads/{thread_id}/runs/stream" in page and "Start a run and stream its events" in page
    assert 'data-spec="/openapi.json"' in page
    loaded = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert loaded and all(link.startswith("/") for link in loaded), loaded  # nothing from another origin
    expected = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".json": "application/json"}
    async with aiohttp.ClientSession() as http:
        for link in loaded:
            async with http.get(url + link) as resp:
                assert resp.status == 200 and await resp.read(), link
                assert resp.content_type == expected[link[link.rindex("."):]], (link, resp.content_type)
        async with http.get(f"{url}/docs") as resp:
            policy = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy
    status, _, _ = await fetch(f"{url}/docs/assets/index.html")  # only the files the page uses
    assert status == 404


@pytest.mark.parametrize("path", ["/", "/ok", "/info", "/metrics", "/openapi.json", "/docs"])
async def test_system_endpoints_answer_get_and_head_and_any_other_method_is_not_found(url: str, path: str) -> None:
    """As on the official server: HEAD wherever GET, and another method is a 404 (not a 405)."""
    async with aiohttp.ClientSession() as http:
        async with http.head(url + path) as resp:
            assert resp.status == 200
        for method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
            async with http.request(method, url + path, json={}) as resp:
                assert (method, resp.status, await resp.json()) == (method, 404, {"detail": "Not Found"})

