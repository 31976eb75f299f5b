"""`POST /runs/batch` and bulk `POST /runs/cancel`."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from langgraph_sdk.errors import NotFoundError

# the official server's texts
NOTHING_TO_CANCEL = (
    "No matching runs to cancel. Please verify the thread ID and run IDs are correct, "
    "and the runs haven't been deleted or completed."
)
STATUS_WITH_IDS = (
    "When providing a 'status', 'thread_id' and 'run_ids' must be omitted. The 'status' parameter "
    "cancels all runs with the given status, regardless of thread or run ID."
)


async def test_batch_creates_stateless_runs_and_validates_all_first(client, url):
    runs = await client.runs.create_batch(
        [{"assistant_id": "counter", "input": {"log": [str(i)]}, "on_completion": "keep"} for i in range(3)]
    )
    assert len(runs) == 3 and len({r["thread_id"] for r in runs}) == 3
    for i, run in enumerate(runs):
        assert await client.runs.join(run["thread_id"], run["run_id"]) == {"log": [str(i), "first", "second"], "count": 2}

    before = await client.threads.search(limit=100)
    async with aiohttp.ClientSession() as http:
        bad = [{"assistant_id": "counter"}, {"assistant_id": "no-such-graph"}]
        async with http.post(f"{url}/runs/batch", json=bad) as resp:
            assert resp.status == 422
        async with http.post(f"{url}/runs/batch", json={"assistant_id": "counter"}) as resp:
            assert resp.status == 422
    assert len(await client.threads.search(limit=100)) == len(before)


async def test_cancel_many_by_ids_and_by_status(client):
    threads = [(await client.threads.create())["thread_id"] for _ in range(2)]
    slow = {"steps": 50, "delay": 0.05, "tag": "s"}
    running = [await client.runs.create(tid, "slow", input=slow) for tid in threads]
    pending = await client.runs.create(threads[0], "slow", input=slow)

    await client.runs.cancel_many(thread_id=threads[0], run_ids=[pending["run_id"]])
    assert (await client.runs.get(threads[0], pending["run_id"]))["status"] == "interrupted"
    assert (await client.runs.get(threads[0], running[0]["run_id"]))["status"] in ("pending", "running")

    await client.runs.cancel_many(status="all")
    for tid, run in zip(threads, running, strict=True):
        await asyncio.wait_for(client.runs.join(tid, run["run_id"]), 10)
        assert (await client.runs.get(tid, run["run_id"]))["status"] == "interrupted"
    with pytest.raises(NotFoundError):
        await client.runs.cancel_many(status="running")


async def test_cancel_many_rejects_a_bad_combination(url):
    async with aiohttp.ClientSession() as http:
        for body in ({}, {"status": "bogus"}, {"thread_id": "0196b0d2-0000-7000-8000-000000000001"},
                     {"status": "all", "run_ids": ["0196b0d2-0000-7000-8000-000000000001"]}):
            async with http.post(f"{url}/runs/cancel", json=body) as resp:
                assert resp.status == 422, body


async def test_cancel_many_says_why_nothing_was_cancelled_as_the_official_server(client, url):
    tid = (await client.threads.create())["thread_id"]
    done = await client.runs.create(tid, "counter", input={})
    await client.runs.join(tid, done["run_id"])
    missing = "0196b0d2-0000-7000-8000-000000000001"
    nothing = "No runs found to cancel."
    async with aiohttp.ClientSession() as http:
        for body, detail in (
            ({"thread_id": tid, "run_ids": [done["run_id"]]}, NOTHING_TO_CANCEL),  # it exists, but has ended
            ({"thread_id": tid, "run_ids": [done["run_id"], missing]}, NOTHING_TO_CANCEL),
            ({"thread_id": tid, "run_ids": [missing]}, nothing),
            ({"thread_id": missing, "run_ids": [done["run_id"]]}, nothing),  # not on that thread
            ({"thread_id": tid, "run_ids": []}, nothing),
            ({"status": "pending"}, nothing),
        ):
            async with http.post(f"{url}/runs/cancel", json=body) as resp:
                assert (resp.status, await resp.json()) == (404, {"detail": detail}), body
        for body in ({"status": "all", "thread_id": tid}, {"status": "all", "run_ids": [done["run_id"]]}):
            async with http.post(f"{url}/runs/cancel", json=body) as resp:
                assert (resp.status, await resp.json()) == (422, {"detail": STATUS_WITH_IDS}), body


async def test_list_runs_filters_by_status_and_pages(client, url):
    thread = await client.threads.create()
    tid = thread["thread_id"]
    for i in range(3):
        await client.runs.wait(tid, "counter", input={"log": [str(i)]})
    runs = await client.runs.list(tid, limit=2)
    assert len(runs) == 2
    assert len(await client.runs.list(tid, limit=2, offset=2)) == 1
    assert len(await client.runs.list(tid, status="success")) == 3
    assert await client.runs.list(tid, status="pending") == []
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/threads/{tid}/runs", params={"status": "bogus"}) as resp:
            assert resp.status == 422
