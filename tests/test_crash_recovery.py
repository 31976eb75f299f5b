"""kill -9 in the middle of a queue: every run still ends exactly once, in order, resumed
(not replayed) from its last checkpoint; a run that keeps crashing the server fails."""

from __future__ import annotations

import asyncio

from langgraph_sdk import get_client

from serverproc import ServerProcess


async def _wait_for(predicate, timeout: float = 30) -> None:
    async def poll() -> None:
        while not await predicate():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


async def test_sigkill_with_queues_on_three_threads(tmp_path):
    server = ServerProcess(tmp_path / "db.sqlite")
    client = get_client(url=await server.start(), api_key=None)
    threads, runs = [], {}
    for _ in range(3):
        tid = (await client.threads.create())["thread_id"]
        threads.append(tid)
        runs[tid] = [
            await client.runs.create(tid, "slow", input={"items": [f"in{i}"], "steps": 2, "delay": 0.05, "tag": f"r{i}"})
            for i in range(15)
        ]

    async def mid_run() -> bool:
        state = await client.threads.get_state(threads[0])
        return any(item.startswith("r0:") for item in state["values"].get("items", []))

    await _wait_for(mid_run)
    await server.kill()
    await client.http.client.aclose()

    server = ServerProcess(tmp_path / "db.sqlite")
    client = get_client(url=await server.start(), api_key=None)
    try:
        for tid in threads:
            for run in runs[tid]:
                await asyncio.wait_for(client.runs.join(tid, run["run_id"]), 60)
            listed = await client.runs.list(tid, limit=100)
            assert sorted(r["run_id"] for r in listed) == sorted(r["run_id"] for r in runs[tid])
            assert {r["status"] for r in listed} == {"success"}
            items = (await client.threads.get_state(tid))["values"]["items"]
            # every input applied once, every step done once, run after run
            assert items == [x for i in range(15) for x in (f"in{i}", f"r{i}:0", f"r{i}:1")]
            assert (await client.threads.get(tid))["status"] == "idle"
    finally:
        await client.http.client.aclose()
        await server.kill()


async def test_a_run_that_keeps_crashing_the_server_fails_after_max_attempts(tmp_path):
    db = tmp_path / "db.sqlite"
    server = ServerProcess(db, "--max-attempts", "2")
    client = get_client(url=await server.start(), api_key=None)
    tid = (await client.threads.create())["thread_id"]
    run = await client.runs.create(tid, "slow", input={"steps": 1000, "delay": 0.02, "tag": "t"})
    for attempt in (1, 2):

        async def running(attempt: int = attempt) -> bool:
            got = await client.runs.get(tid, run["run_id"])
            return got["status"] == "running" and bool((await client.threads.get_state(tid))["values"].get("items"))

        await _wait_for(running)
        await server.kill()
        await client.http.client.aclose()
        server = ServerProcess(db, "--max-attempts", "2")
        client = get_client(url=await server.start(), api_key=None)
    try:
        got = await client.runs.get(tid, run["run_id"])
        assert got["status"] == "error"
        thread = await client.threads.get(tid)
        assert thread["status"] == "error"
        assert thread["error"]["error"] == "RunAttemptsExceeded"
        assert "exceeded max attempts" in thread["error"]["message"]
    finally:
        await client.http.client.aclose()
        await server.kill()
