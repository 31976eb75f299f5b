"""Runs survive a restart: pending runs and the one that was running are picked up, in
order, by the next server on the same database."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestServer
from langgraph_sdk import get_client

from conftest import make_app


async def _serve(db: str) -> tuple[TestServer, object]:
    server = TestServer(make_app(db=db))
    await server.start_server()
    return server, get_client(url=str(server.make_url("")).rstrip("/"), api_key=None)


async def test_queued_runs_resume_in_order_after_restart(database, tmp_path):
    db = str(database(tmp_path / "threadloom.sqlite"))
    server, client = await _serve(db)
    thread = await client.threads.create()
    tid = thread["thread_id"]
    runs = [
        await client.runs.create(tid, "slow", input={"items": [f"in{i}"], "steps": 3, "delay": 0.05, "tag": f"r{i}"})
        for i in range(4)
    ]
    for _ in range(200):  # wait until the first run is mid-way
        state = await client.threads.get_state(tid)
        if state["values"].get("items"):
            break
        await asyncio.sleep(0.01)
    await client.http.client.aclose()
    await server.close()

    server, client = await _serve(db)
    try:
        statuses = {}
        for run in runs:
            await asyncio.wait_for(client.runs.join(tid, run["run_id"]), 30)
            statuses[run["run_id"]] = (await client.runs.get(tid, run["run_id"]))["status"]
        assert set(statuses.values()) == {"success"}
        items = (await client.threads.get_state(tid))["values"]["items"]
        # each input applied exactly once: the interrupted run resumed, it did not start over
        assert items == [x for i in range(4) for x in (f"in{i}", *(f"r{i}:{j}" for j in range(3)))]
        assert (await client.threads.get(tid))["status"] == "idle"
    finally:
        await client.http.client.aclose()
        await server.close()
