"""`POST /runs/batch` and bulk `POST /runs/cancel`."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from langgraph_sdk.errors import NotFoundError


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
