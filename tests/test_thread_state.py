"""State updates through the thread's supervisor, supersteps at creation, and the thread
stream that multiplexes a thread's runs and state updates."""

from __future__ import annotations

import asyncio
import json
import uuid

import aiohttp
import pytest
from langgraph_sdk.errors import BadRequestError, ConflictError, NotFoundError


async def _events(resp: aiohttp.ClientResponse, *, until: str, count: int = 1) -> list[tuple[str, dict, str | None]]:
    """Parse SSE frames until `count` events whose data contains `until`."""
    found, events = 0, []
    event, data, event_id = None, None, None
    async for raw in resp.content:
        line = raw.decode().rstrip("\r\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data = json.loads(line[6:])
        elif line.startswith("id: "):
            event_id = line[4:]
        elif line == "" and event is not None:
            events.append((event, data, event_id))
            found += until in json.dumps(data)
            event, data, event_id = None, None, None
            if found >= count:
                return events
    return events


async def test_update_state_appends_as_a_node_and_recomputes_status(client):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    await client.runs.wait(tid, "counter", input={"log": ["a"]})
    before = await client.threads.get_state(tid)

    result = await client.threads.update_state(tid, {"log": ["manual"]}, as_node="first")
    assert result["checkpoint"]["thread_id"] == tid
    assert result["checkpoint_id"] == result["checkpoint"]["checkpoint_id"]
    state = await client.threads.get_state(tid)
    assert state["values"]["log"] == ["a", "first", "second", "manual"]
    assert state["next"] == ["second"]
    assert state["checkpoint"]["checkpoint_id"] == result["checkpoint_id"]
    thread = await client.threads.get(tid)
    assert thread["status"] == "interrupted"
    assert thread["values"]["log"][-1] == "manual"

    # from an earlier checkpoint: a fork that leaves the newer one alone
    forked = await client.threads.update_state(tid, {"log": ["fork"]}, as_node="second", checkpoint_id=before["checkpoint"]["checkpoint_id"])
    state = await client.threads.get_state(tid)
    assert state["checkpoint"]["checkpoint_id"] == forked["checkpoint_id"]
    assert state["values"]["log"] == ["a", "first", "second", "fork"]
    assert (await client.threads.get(tid))["status"] == "idle"


async def test_update_state_is_409_while_a_run_is_active_and_400_without_a_graph(client):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    with pytest.raises(BadRequestError) as raised:
        await client.threads.update_state(tid, {"log": ["x"]})
    assert raised.value.response.json()["detail"] == (  # the official server's words
        f"Thread '{tid}' has no assigned graph ID. This usually occurs when no runs have been made on this particular "
        "thread. This operation requires a graph ID. Please ensure a run has been made for the thread or manually "
        "update the thread metadata (by setting the 'graph_id' field) before running this operation.")
    unknown = (await client.threads.create(metadata={"graph_id": "nope"}))["thread_id"]
    with pytest.raises(NotFoundError) as raised:
        await client.threads.update_state(unknown, {"log": ["x"]})
    assert raised.value.response.json()["detail"].startswith("Graph 'nope' not found. Expected one of: [")
    run = await client.runs.create(tid, "slow", input={"steps": 20, "delay": 0.05, "tag": "s"})
    with pytest.raises(ConflictError):
        await client.threads.update_state(tid, {"items": ["sneaky"]})
    await client.runs.cancel(tid, run["run_id"], wait=True)
    assert "sneaky" not in json.dumps((await client.threads.get_state(tid))["values"])


async def test_supersteps_build_the_state_at_creation(client):
    thread = await client.threads.create(
        metadata={"graph_id": "counter"},
        supersteps=[
            {"updates": [{"values": {"log": ["seed"]}, "as_node": "__start__"}]},
            {"updates": [{"values": {"log": ["one"], "count": 1}, "as_node": "first"}]},
        ],
    )
    assert thread["status"] == "interrupted"
    assert thread["values"] == {"log": ["seed", "one"], "count": 1}
    state = await client.threads.get_state(thread["thread_id"])
    assert state["next"] == ["second"]
    result = await client.runs.wait(thread["thread_id"], "counter", input=None)
    assert result == {"log": ["seed", "one", "second"], "count": 2}


async def test_bad_supersteps_create_nothing(url):
    # the official server answers 201 and leaves a half-made thread: we refuse it whole
    thread_id = "0196b0d2-0000-7000-8000-0000000000aa"
    async with aiohttp.ClientSession() as http:
        for metadata in ({}, {"graph_id": "counter"}):
            body = {"thread_id": thread_id, "metadata": metadata,
                    "supersteps": [{"updates": [{"values": {"log": ["x"]}, "as_node": "nope"}]}]}
            async with http.post(f"{url}/threads", json=body) as resp:
                assert resp.status == 400, await resp.text()
                assert "detail" in await resp.json()
            async with http.get(f"{url}/threads/{thread_id}") as resp:
                assert resp.status == 404


async def test_thread_stream_multiplexes_runs_and_state_updates(url, client):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/threads/{tid}/stream", params={"stream_modes": "run_modes,state_update"}) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/event-stream")
            first = await client.runs.create(tid, "counter", input={"log": ["a"]})
            second = await client.runs.create(tid, "counter", input={"log": ["b"]})
            events = await asyncio.wait_for(_events(resp, until="run_done", count=2), 20)
            await client.threads.update_state(tid, {"log": ["z"]}, as_node="second")
            events += await asyncio.wait_for(_events(resp, until="state"), 20)

    names = [e[0] for e in events]
    assert names == [
        "metadata", "values", "values", "values", "metadata",
        "metadata", "values", "values", "values", "metadata",
        "state_update",
    ]
    assert events[0][1] == {"run_id": first["run_id"], "attempt": 1}
    assert events[4][1] == {"status": "run_done", "run_id": first["run_id"]}
    assert events[5][1]["run_id"] == second["run_id"]
    assert events[10][1]["thread_id"] == tid
    assert events[10][1]["state"]["values"]["log"][-1] == "z"
    ids = [int(e[2]) for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


async def test_thread_stream_lifecycle_mode_and_js_encoding(url, client):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/threads/{tid}/stream", params={"stream_mode": '["lifecycle"]'}) as resp:
            run = await client.runs.create(tid, "counter", input={})
            events = await asyncio.wait_for(_events(resp, until="run_done"), 20)
        assert [(e[0], e[1]) for e in events] == [
            ("metadata", {"run_id": run["run_id"], "attempt": 1}),
            ("metadata", {"status": "run_done", "run_id": run["run_id"]}),
        ]


async def test_thread_stream_refuses_bad_modes_and_event_ids_with_the_official_texts(url, client):
    tid = (await client.threads.create())["thread_id"]
    path = f"{url}/threads/{tid}/stream"
    async with aiohttp.ClientSession() as http:
        for params in ({"stream_modes": "lifecycle,nope,bad"}, {"stream_mode": '["nope"]'}):
            async with http.get(path, params=params) as resp:  # the first unknown mode
                assert (resp.status, await resp.json()) == (422, {"detail": "Invalid stream mode: nope"})
        bad_id = {"detail": "Invalid last-event-id: must be a valid Redis stream ID"}
        for headers in ({"Last-Event-ID": "abc"}, {"Last-Event-ID": "1-x"}):
            # the event id is checked before the modes
            async with http.get(path, params={"stream_modes": "nope"}, headers=headers) as resp:
                assert (resp.status, await resp.json()) == (422, bad_id)


async def test_a_thread_stream_opened_before_its_thread_exists_streams_its_runs(url, client):
    """As on the official server: no 404 for a thread that is not there yet."""
    tid = str(uuid.uuid4())
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/threads/{tid}/stream", params={"stream_modes": "lifecycle"}) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
            await client.threads.create(thread_id=tid)
            run = await client.runs.create(tid, "counter", input={})
            events = await asyncio.wait_for(_events(resp, until="run_done"), 20)
    assert [e[1] for e in events] == [{"run_id": run["run_id"], "attempt": 1}, {"status": "run_done", "run_id": run["run_id"]}]
