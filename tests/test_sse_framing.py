"""SSE framing of run streams, byte for byte (reference §5.1, §5.6, §5.8, §7.1), with a
raw aiohttp client so nothing is hidden by an SDK's parser."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import aiohttp
import pytest

from threadloom.server import sse

HEARTBEAT = b": heartbeat\r\n\r\n"
FRAME = re.compile(rb"event: ([^\r\n]*)\r\ndata: ([^\r\n]*)\r\n(?:id: ([^\r\n]*)\r\n)?\r\n")


@pytest.fixture
def no_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exact-bytes tests must not race a heartbeat comment."""
    monkeypatch.setattr(sse, "HEARTBEAT_SECONDS", 3600.0)


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


async def new_thread(http: aiohttp.ClientSession, url: str) -> str:
    async with http.post(f"{url}/threads", json={}) as resp:
        assert resp.status == 200
        return (await resp.json())["thread_id"]


async def post_stream(http: aiohttp.ClientSession, url: str, thread_id: str, body: dict[str, Any]) -> tuple[aiohttp.ClientResponse, bytes]:
    async with http.post(f"{url}/threads/{thread_id}/runs/stream", json=body) as resp:
        data = await resp.read()
    return resp, data


def run_id_of(resp: aiohttp.ClientResponse) -> str:
    return resp.headers["Content-Location"].rsplit("/", 1)[1]


def parse(body: bytes) -> list[tuple[str, Any, str | None]]:
    """Split a body into (event, data, id) frames, insisting that it is nothing but
    frames and heartbeat comments."""
    frames: list[tuple[str, Any, str | None]] = []
    pos = 0
    while pos < len(body):
        if body.startswith(HEARTBEAT, pos):
            pos += len(HEARTBEAT)
            continue
        match = FRAME.match(body, pos)
        assert match, f"not a frame at byte {pos}: {body[pos:pos + 80]!r}"
        event_id = match.group(3).decode() if match.group(3) is not None else None
        frames.append((match.group(1).decode(), json.loads(match.group(2)), event_id))
        pos = match.end()
    return frames


def frame(event: str, data: str) -> bytes:
    return f"event: {event}\r\ndata: {data}\r\n\r\n".encode()


async def test_exact_bytes_of_a_run_stream(url, http, no_heartbeat):
    tid = await new_thread(http, url)
    resp, body = await post_stream(http, url, tid, {"assistant_id": "counter", "input": {"log": ["a"]}, "stream_mode": ["values", "updates"]})
    assert resp.status == 200
    rid = run_id_of(resp)
    assert body == b"".join(
        [
            frame("metadata", f'{{"run_id":"{rid}","attempt":1}}'),
            frame("values", '{"log":["a"]}'),
            frame("updates", '{"first":{"log":["first"],"count":1}}'),
            frame("values", '{"log":["a","first"],"count":1}'),
            frame("updates", '{"second":{"log":["second"],"count":2}}'),
            frame("values", '{"log":["a","first","second"],"count":2}'),
        ]
    )


async def test_stream_response_headers(url, http, no_heartbeat):
    tid = await new_thread(http, url)
    resp, _ = await post_stream(http, url, tid, {"assistant_id": "counter", "input": {}})
    rid = run_id_of(resp)
    assert resp.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Location"] == f"/threads/{tid}/runs/{rid}/stream"
    assert resp.headers["Content-Location"] == f"/threads/{tid}/runs/{rid}"
    assert resp.headers["X-Accel-Buffering"] == "no"
    assert resp.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in resp.headers


async def test_stateless_runs_name_themselves_as_the_official_server_does(url, http, no_heartbeat):
    """`Content-Location` is `/runs/{id}` for a stateless run created or streamed, but its
    thread's run path for one waited for; `Location` always rejoins through the thread
    (the official stateless stream points at `/runs/{id}/stream`, which nobody serves)."""
    body = {"assistant_id": "counter", "input": {}}
    async with http.post(f"{url}/runs/wait", json=body) as resp:
        assert resp.status == 200 and (await resp.json())["count"] == 2
        run_path = resp.headers["Content-Location"]
        assert re.fullmatch(r"/threads/[0-9a-f-]{36}/runs/[0-9a-f-]{36}", run_path)
        assert resp.headers["Location"] == f"{run_path}/join"
    async with http.post(f"{url}/runs/stream", json=body) as resp:
        await resp.read()
        rid = run_id_of(resp)
        assert resp.headers["Content-Location"] == f"/runs/{rid}"
        assert re.fullmatch(rf"/threads/[0-9a-f-]{{36}}/runs/{rid}/stream", resp.headers["Location"])
    async with http.post(f"{url}/runs", json=body) as resp:
        rid = (await resp.json())["run_id"]
        assert resp.headers["Content-Location"] == f"/runs/{rid}" and "Location" not in resp.headers


async def test_stream_mode_as_a_plain_string(url, http, no_heartbeat):
    tid = await new_thread(http, url)
    resp, body = await post_stream(http, url, tid, {"assistant_id": "counter", "input": {"log": []}, "stream_mode": "updates"})
    assert resp.status == 200
    assert [(e, d) for e, d, _ in parse(body)][1:] == [
        ("updates", {"first": {"log": ["first"], "count": 1}}),
        ("updates", {"second": {"log": ["second"], "count": 2}}),
    ]


async def test_invalid_stream_mode_is_a_json_422_not_a_stream(url, http):
    tid = await new_thread(http, url)
    resp, body = await post_stream(http, url, tid, {"assistant_id": "counter", "input": {}, "stream_mode": ["values", "bogus"]})
    assert resp.status == 422
    assert resp.content_type == "application/json"
    assert "bogus" in json.loads(body)["detail"]


async def test_no_ids_unless_resumable(url, http, no_heartbeat):
    tid = await new_thread(http, url)
    _, body = await post_stream(http, url, tid, {"assistant_id": "counter", "input": {}, "stream_mode": ["values", "updates", "debug"]})
    assert b"\r\nid:" not in body
    frames = parse(body)
    assert len(frames) > 5
    assert all(event_id is None for _, _, event_id in frames)


async def test_resumable_stream_has_increasing_ids_after_data(url, http, no_heartbeat):
    tid = await new_thread(http, url)
    resp, body = await post_stream(
        http, url, tid, {"assistant_id": "counter", "input": {"log": []}, "stream_mode": ["values", "updates"], "stream_resumable": True}
    )
    rid = run_id_of(resp)
    first = f'event: metadata\r\ndata: {{"run_id":"{rid}","attempt":1}}\r\nid: '.encode()
    assert body.startswith(first)
    frames = parse(body)
    assert [e for e, _, _ in frames] == ["metadata", "values", "updates", "values", "updates", "values"]
    ids = [event_id for _, _, event_id in frames]
    assert all(i is not None and re.fullmatch(r"\d+", i) for i in ids)
    numbers = [int(i) for i in ids]
    assert numbers == sorted(set(numbers))  # strictly increasing


async def test_no_end_event_and_run_is_final_at_eof(url, http, no_heartbeat):
    """The Python SDK re-GETs the run when the body ends and reconnects if it still looks
    active, so the status must be final by then (§7.1, §9.1)."""
    tid = await new_thread(http, url)
    resp, body = await post_stream(http, url, tid, {"assistant_id": "slow", "input": {"steps": 3, "delay": 0.05, "tag": "t"}})
    rid = run_id_of(resp)
    async with http.get(f"{url}/threads/{tid}/runs/{rid}") as run_resp:
        run = await run_resp.json()
    async with http.get(f"{url}/threads/{tid}") as thread_resp:
        thread = await thread_resp.json()
    assert run["status"] == "success"
    assert thread["status"] == "idle"
    frames = parse(body)
    assert "end" not in [e for e, _, _ in frames]
    assert frames[-1] == ("values", {"items": ["t:0", "t:1", "t:2"], "steps": 3, "delay": 0.05, "tag": "t"}, None)
    assert thread["values"] == frames[-1][1]


async def test_error_frame_ends_the_body(url, http, no_heartbeat):
    tid = await new_thread(http, url)
    resp, body = await post_stream(http, url, tid, {"assistant_id": "failing", "input": {"secret": False}})
    assert resp.status == 200
    assert body.endswith(frame("error", '{"error":"ValueError","message":"kaboom"}'))
    async with http.get(f"{url}/threads/{tid}/runs/{run_id_of(resp)}") as run_resp:
        assert (await run_resp.json())["status"] == "error"


async def test_data_is_one_compact_line_of_utf8_json(url, http, no_heartbeat):
    tid = await new_thread(http, url)
    text = "line one\nline two\r\n\ttab \"quoted\" é ✓"
    _, body = await post_stream(http, url, tid, {"assistant_id": "counter", "input": {"log": [text]}})
    frames = parse(body)
    assert frames[1] == ("values", {"log": [text]}, None)
    data_lines = [line for line in body.split(b"\r\n") if line.startswith(b"data: ")]
    assert len(data_lines) == len(frames)
    assert b'data: {"log":["line one\\nline two\\r\\n\\ttab \\"quoted\\" \xc3\xa9 \xe2\x9c\x93"]}' in data_lines


async def test_subgraph_event_names_on_the_wire(url, http, no_heartbeat):
    tid = await new_thread(http, url)
    _, body = await post_stream(http, url, tid, {"assistant_id": "nested", "input": {"trail": []}, "stream_mode": "values", "stream_subgraphs": True})
    events = [e for e, _, _ in parse(body)]
    sub = [e for e in events if "|" in e]
    assert len(sub) == 2 and len(set(sub)) == 1
    assert re.fullmatch(r"values\|child:[0-9a-f-]{36}", sub[0])
    assert events == ["metadata", "values", sub[0], sub[0], "values", "values"]


async def test_heartbeat_on_an_idle_joined_stream(url, http, client, monkeypatch):
    """`: heartbeat` comments keep an idle stream alive; they sit between frames."""
    monkeypatch.setattr(sse, "HEARTBEAT_SECONDS", 0.05)
    tid = await new_thread(http, url)
    run = await client.runs.create(tid, "slow", input={"steps": 2, "delay": 0.4, "tag": "h"})
    rid = run["run_id"]
    async with http.get(f"{url}/threads/{tid}/runs/{rid}/stream") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/event-stream; charset=utf-8"
        assert resp.headers["Location"] == f"/threads/{tid}/runs/{rid}/stream"
        assert resp.headers["Content-Location"] == f"/threads/{tid}/runs/{rid}"
        body = await asyncio.wait_for(resp.read(), timeout=30)
    assert body.count(HEARTBEAT) >= 2
    frames = parse(body)  # heartbeats only ever between whole frames
    assert frames[-1] == ("values", {"items": ["h:0", "h:1"], "steps": 2, "delay": 0.4, "tag": "h"}, None)
    async with http.get(f"{url}/threads/{tid}/runs/{rid}") as run_resp:
        assert (await run_resp.json())["status"] == "success"
