"""SIGTERM: no new runs, running runs get a grace period, the rest are handed back as
pending without counting an attempt, every stream ends cleanly, exit code 0."""

from __future__ import annotations

import asyncio
import signal

import aiohttp

from langgraph_sdk import get_client

from serverproc import ServerProcess


async def _until_running(client, tid: str, run_id: str) -> None:
    async def poll() -> None:
        while (await client.runs.get(tid, run_id))["status"] != "running":
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), 30)


async def test_a_run_in_flight_finishes_within_the_grace_period(database, tmp_path):
    server = ServerProcess(database(tmp_path / "db.sqlite"), "--shutdown-grace", "30")
    client = get_client(url=await server.start(), api_key=None)
    tid = (await client.threads.create())["thread_id"]
    run = await client.runs.create(tid, "slow", input={"steps": 8, "delay": 0.1, "tag": "t"}, stream_resumable=True)
    await _until_running(client, tid, run["run_id"])

    async def read_all() -> list[str]:
        # raw reads: after EOF the SDK asks the (by then stopped) server for the run's status
        path = f"{server.url}/threads/{tid}/runs/{run['run_id']}/stream"
        async with aiohttp.ClientSession() as http, http.get(path, headers={"Last-Event-ID": "-1"}) as resp:
            return [line.decode()[7:].strip() async for line in resp.content if line.startswith(b"event: ")]

    reader = asyncio.create_task(read_all())
    await asyncio.sleep(0.2)
    assert await server.signal(signal.SIGTERM) == 0
    events = await asyncio.wait_for(reader, 30)
    assert events[0] == "metadata" and events.count("values") == 9  # input + 8 steps: the whole run
    await client.http.client.aclose()

    server = ServerProcess(database(tmp_path / "db.sqlite"))
    client = get_client(url=await server.start(), api_key=None)
    try:
        assert (await client.runs.get(tid, run["run_id"]))["status"] == "success"
        assert (await client.threads.get(tid))["status"] == "idle"
    finally:
        await client.http.client.aclose()
        await server.kill()


async def test_runs_past_the_grace_period_are_handed_back_and_resumed(database, tmp_path):
    server = ServerProcess(database(tmp_path / "db.sqlite"), "--shutdown-grace", "0.2")
    client = get_client(url=await server.start(), api_key=None)
    tid = (await client.threads.create())["thread_id"]
    first = await client.runs.create(tid, "slow", input={"items": ["in0"], "steps": 30, "delay": 0.05, "tag": "a"})
    second = await client.runs.create(tid, "slow", input={"items": ["in1"], "steps": 2, "delay": 0.01, "tag": "b"})
    await _until_running(client, tid, first["run_id"])
    assert await server.signal(signal.SIGTERM) == 0
    await client.http.client.aclose()

    # one attempt allowed: had the hand-back counted as an attempt, the run would now fail
    server = ServerProcess(database(tmp_path / "db.sqlite"), "--max-attempts", "1")
    client = get_client(url=await server.start(), api_key=None)
    try:
        for run in (first, second):
            await asyncio.wait_for(client.runs.join(tid, run["run_id"]), 30)
            assert (await client.runs.get(tid, run["run_id"]))["status"] == "success"
        items = (await client.threads.get_state(tid))["values"]["items"]
        assert items == ["in0", *(f"a:{i}" for i in range(30)), "in1", "b:0", "b:1"]
    finally:
        await client.http.client.aclose()
        await server.kill()
