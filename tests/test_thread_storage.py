"""`GET /threads/{thread_id}/storage`: the bytes a thread's checkpoints take, in the
official shape, checked against the database file itself."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import MakeServer
from langgraph_sdk import get_client


async def storage_of(http: aiohttp.ClientSession, url: str, thread_id: str) -> tuple[int, Any]:
    async with http.get(f"{url}/threads/{thread_id}/storage") as resp:
        return resp.status, await resp.json()


async def test_the_report_follows_runs_and_a_prune(url: str) -> None:
    client = get_client(url=url)
    thread = (await client.threads.create())["thread_id"]
    for _ in range(2):
        await client.runs.wait(thread, "counter", input={"log": ["in"]})
    history = await client.threads.get_history(thread, limit=100)
    async with aiohttp.ClientSession() as http:
        status, report = await storage_of(http, url, thread)
        assert status == 200 and report["checkpoints"]["count"] == len(history)
        assert report["channel_values"]["by_channel"]["count"]["versions"] == 4
        assert report["total_bytes"] >= report["checkpoints"]["bytes"] + report["pending_writes"]["bytes"] > 0
        await client.threads.prune([thread], strategy="keep_latest")
        _, pruned = await storage_of(http, url, thread)
    assert pruned["checkpoints"]["count"] == 1 and pruned["total_bytes"] < report["total_bytes"]


@pytest.mark.sqlite_only
async def test_a_threads_checkpoints_writes_and_values_are_measured(
    backend: str, make_server: MakeServer, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite"
    url = await make_server(db=str(db))
    client = get_client(url=url)
    thread = (await client.threads.create())["thread_id"]
    other = (await client.threads.create())["thread_id"]
    for _ in range(2):
        await client.runs.wait(thread, "counter", input={"log": ["in"]})
    await client.runs.wait(other, "counter", input={})  # another thread's bytes are not counted
    history = await client.threads.get_history(thread, limit=100)

    async with aiohttp.ClientSession() as http:
        status, report = await storage_of(http, url, thread)
    assert status == 200
    assert set(report) == {"thread_id", "total_bytes", "checkpoints", "channel_values", "pending_writes"}
    with sqlite3.connect(db) as conn:
        rows, stored = conn.execute(
            "SELECT count(*), sum(length(checkpoint) + length(metadata)) FROM checkpoints WHERE thread_id = ?", (thread,)
        ).fetchone()
        writes, write_bytes = conn.execute(
            "SELECT count(*), coalesce(sum(length(value)), 0) FROM writes WHERE thread_id = ?", (thread,)
        ).fetchone()
    assert report["thread_id"] == thread
    assert report["checkpoints"] == {"count": rows, "bytes": stored} and rows == len(history)
    assert report["pending_writes"] == {"count": writes, "bytes": write_bytes}
    assert report["total_bytes"] == stored + write_bytes
    channels = report["channel_values"]
    assert {"log", "count"} <= set(channels["by_channel"])
    # each run moves `count` and `log` twice (two nodes) and the input once more
    assert channels["by_channel"]["count"]["versions"] == 4
    assert channels["count"] == sum(c["versions"] for c in channels["by_channel"].values())
    assert channels["bytes"] == sum(c["bytes"] for c in channels["by_channel"].values()) > 0

    await client.threads.prune([thread], strategy="keep_latest")
    async with aiohttp.ClientSession() as http:
        _, pruned = await storage_of(http, url, thread)
    assert pruned["checkpoints"]["count"] == 1 and pruned["total_bytes"] < report["total_bytes"]


async def test_a_new_thread_takes_nothing_and_an_unknown_one_is_not_found(url: str) -> None:
    client = get_client(url=url)
    thread = (await client.threads.create())["thread_id"]
    async with aiohttp.ClientSession() as http:
        status, report = await storage_of(http, url, thread)
        assert status == 200 and report == {
            "thread_id": thread, "total_bytes": 0, "checkpoints": {"count": 0, "bytes": 0},
            "channel_values": {"count": 0, "bytes": 0, "by_channel": {}}, "pending_writes": {"count": 0, "bytes": 0},
        }
        status, body = await storage_of(http, url, "6f1c1fc4-7ae4-4b4e-9fd5-2d0c8a0f0b1e")
        assert status == 404 and "not found" in body["detail"]
        status, body = await storage_of(http, url, "not-a-uuid")
        assert status == 422
