"""Threads: create, get, patch, search, count, copy, delete, and their errors."""

from __future__ import annotations

import uuid
from typing import Any

from ..recording import Target
from .base import new_thread, scenario


@scenario("threads: create, get, patch")
async def create_get_patch(t: Target) -> None:
    tid = await new_thread(t, "create thread", color="red")
    await t.http("get thread", "GET", f"/threads/{tid}")
    chosen = str(uuid.uuid4())
    body = {"thread_id": chosen, "metadata": {"scenario": t.tag}}
    await t.http("create thread with an id", "POST", "/threads", json=body)
    await t.http("create it again (raise)", "POST", "/threads", json=body)
    await t.http("create it again (do_nothing)", "POST", "/threads", json={**body, "if_exists": "do_nothing"})
    await t.http("patch metadata", "PATCH", f"/threads/{tid}", json={"metadata": {"size": 3}})
    await t.http("patch, return=minimal", "PATCH", f"/threads/{tid}", json={"metadata": {"size": 4}}, headers={"Prefer": "return=minimal"})
    await t.http("get patched thread", "GET", f"/threads/{tid}")
    await t.http("get thread, include=ttl", "GET", f"/threads/{tid}", params={"include": "ttl"})
    missing = str(uuid.uuid4())
    await t.http("get missing thread", "GET", f"/threads/{missing}")
    await t.http("patch missing thread", "PATCH", f"/threads/{missing}", json={"metadata": {}})
    await t.http("get thread, id not a uuid", "GET", "/threads/not-a-uuid")
    await t.http("create thread, bad metadata", "POST", "/threads", json={"metadata": "nope"})
    await t.http("create thread, bad id", "POST", "/threads", json={"thread_id": "nope"})
    await t.http("create thread, invalid JSON", "POST", "/threads", data=b"{not json")
    await t.http("create thread, empty body", "POST", "/threads", data=b"")


@scenario("threads: search and count")
async def search_and_count(t: Target) -> None:
    first = await new_thread(t, "create thread 1", n=1, group="a")
    await new_thread(t, "create thread 2", n=2, group="a")
    await new_thread(t, "create thread 3", n=3, group="b")
    mine = {"scenario": t.tag}
    await t.http("search by metadata", "POST", "/threads/search", json={"metadata": mine})
    await t.http("search, limit 2", "POST", "/threads/search", json={"metadata": mine, "limit": 2})
    await t.http("search, limit 2 offset 2", "POST", "/threads/search", json={"metadata": mine, "limit": 2, "offset": 2})
    await t.http("search, created_at asc", "POST", "/threads/search", json={"metadata": mine, "sort_by": "created_at", "sort_order": "asc"})
    await t.http("search, group a", "POST", "/threads/search", json={"metadata": {**mine, "group": "a"}})
    await t.http("search, select", "POST", "/threads/search", json={"metadata": mine, "select": ["thread_id", "metadata"]})
    await t.http("search, by ids", "POST", "/threads/search", json={"ids": [first]})
    await t.http("search, status idle", "POST", "/threads/search", json={"metadata": mine, "status": "idle"})
    await t.http("search, bad select", "POST", "/threads/search", json={"select": ["nope"]})
    await t.http("search, bad status", "POST", "/threads/search", json={"status": "nope"})
    await t.http("search, bad sort_by", "POST", "/threads/search", json={"sort_by": "nope"})
    await t.http("search, bad limit", "POST", "/threads/search", json={"limit": -1})
    await t.http("count by metadata", "POST", "/threads/count", json={"metadata": mine})
    await t.http("count, group b", "POST", "/threads/count", json={"metadata": {**mine, "group": "b"}})


@scenario("threads: copy and delete")
async def copy_and_delete(t: Target) -> None:
    tid = await new_thread(t)
    await t.http("run counter (wait)", "POST", f"/threads/{tid}/runs/wait", json={"assistant_id": "counter", "input": {"log": ["x"]}})
    copy = await t.http("copy thread", "POST", f"/threads/{tid}/copy")
    copied = copy["thread_id"]
    await t.http("get copy", "GET", f"/threads/{copied}")
    await t.http("state of copy", "GET", f"/threads/{copied}/state")
    await t.http("history of copy", "POST", f"/threads/{copied}/history", json={"limit": 10})
    await t.http("runs of copy", "GET", f"/threads/{copied}/runs")
    await t.http("copy missing thread", "POST", f"/threads/{uuid.uuid4()}/copy")
    await t.http("delete thread", "DELETE", f"/threads/{tid}")
    await t.http("get deleted thread", "GET", f"/threads/{tid}")
    await t.http("delete it again", "DELETE", f"/threads/{tid}")
    await t.http("state of deleted thread", "GET", f"/threads/{tid}/state")
    await t.http("copy survives", "GET", f"/threads/{copied}", mask_paths=[])


@scenario("threads: prune")
async def prune(t: Target) -> None:
    first = await new_thread(t, "create thread 1")
    await t.http("prune one and a missing one", "POST", "/threads/prune", json={"thread_ids": [first, str(uuid.uuid4())]})
    await t.http("get pruned thread", "GET", f"/threads/{first}")
    await t.http("prune, bad strategy", "POST", "/threads/prune", json={"thread_ids": [], "strategy": "nope"})


def _run_done(frame: dict[str, Any]) -> bool:
    data = frame["data"]
    return frame["event"] == "metadata" and isinstance(data, dict) and data.get("status") == "run_done"


def _state_update(frame: dict[str, Any]) -> bool:
    return bool(frame["event"] == "state_update")


@scenario("threads: thread stream (run modes, lifecycle, state updates)")
async def thread_stream(t: Target) -> None:
    tid = await new_thread(t)
    path = f"/threads/{tid}/stream"
    run = {"assistant_id": "counter", "input": {"log": []}, "stream_mode": ["values", "updates"]}

    async def start_run() -> None:
        await t.http("start a run", "POST", f"/threads/{tid}/runs", json=run)

    async def update_state() -> None:
        await t.http("update the state", "POST", f"/threads/{tid}/state", json={"values": {"count": 5}, "as_node": "second"})

    # Each stream is open before what it should show starts, so it sees all of it.
    await t.stream_until("thread stream (run_modes)", path, _run_done, start_run)
    await t.wait_thread(tid)
    await t.stream_until("thread stream, lifecycle", path, _run_done, start_run, params={"stream_modes": "lifecycle"})
    await t.wait_thread(tid)
    await t.stream_until("thread stream, state_update", path, _state_update, update_state, params={"stream_modes": "state_update"})
    await t.stream_until("thread stream, bad mode", path, lambda _: True, params={"stream_modes": "nope"}, limit=5)
    await t.stream_until("thread stream, bad Last-Event-ID", path, lambda _: True, headers={"Last-Event-ID": "x"}, limit=5)
    await t.stream_until("thread stream, missing thread", f"/threads/{uuid.uuid4()}/stream", lambda _: True, limit=5)
