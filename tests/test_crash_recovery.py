"""kill -9 in the middle of a queue: every run still ends exactly once, in order, resumed
(not replayed) from its last checkpoint; a run that keeps crashing the server fails."""

from __future__ import annotations

import asyncio
import signal
import uuid

import pytest

from langgraph_sdk import get_client

from serverproc import ServerProcess


async def _wait_for(predicate, timeout: float = 30) -> None:
    async def poll() -> None:
        while not await predicate():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


class Queues:
    """Three threads holding 15 enqueued runs each of the `slow` graph: each run's input
    is one item, and its node appends two more, one per step."""

    def __init__(self, client) -> None:
        self.client = client
        self.runs: dict[str, list[dict]] = {}

    async def create(self) -> None:
        for _ in range(3):
            tid = (await self.client.threads.create())["thread_id"]
            self.runs[tid] = [
                await self.client.runs.create(tid, "slow", input={"items": [f"in{i}"], "steps": 2, "delay": 0.05, "tag": f"r{i}"})
                for i in range(15)
            ]

    @property
    def first(self) -> str:
        return next(iter(self.runs))

    async def items(self, tid: str) -> list[str]:
        return (await self.client.threads.get_state(tid))["values"].get("items", [])

    async def check(self, client) -> None:
        """Every run ended once with success; every input applied once, every step done
        once, run after run, in the order the runs were created."""
        for tid, runs in self.runs.items():
            for run in runs:
                await asyncio.wait_for(client.runs.join(tid, run["run_id"]), 60)
            listed = await client.runs.list(tid, limit=100)
            assert sorted(r["run_id"] for r in listed) == sorted(r["run_id"] for r in runs)
            assert {r["status"] for r in listed} == {"success"}
            items = (await client.threads.get_state(tid))["values"]["items"]
            assert items == [x for i in range(15) for x in (f"in{i}", f"r{i}:0", f"r{i}:1")]
            assert (await client.threads.get(tid))["status"] == "idle"


async def _restart_and_check(database, tmp_path, queues: Queues) -> None:
    server = ServerProcess(database(tmp_path / "db.sqlite"))
    client = get_client(url=await server.start(), api_key=None)
    try:
        await queues.check(client)
    finally:
        await client.http.client.aclose()
        await server.kill()


async def _created(queues: Queues) -> bool:
    return True


async def _first_run_mid_step(queues: Queues) -> bool:
    return any(item.startswith("r0:") for item in await queues.items(queues.first))


async def _between_runs(queues: Queues) -> bool:
    return "in7" in await queues.items(queues.first)


async def _last_run(queues: Queues) -> bool:
    return "in14" in await queues.items(queues.first)


@pytest.mark.parametrize("moment", [_created, _first_run_mid_step, _between_runs, _last_run], ids=lambda m: m.__name__[1:])
async def test_sigkill_with_queues_on_three_threads(database, tmp_path, moment):
    server = ServerProcess(database(tmp_path / "db.sqlite"))
    client = get_client(url=await server.start(), api_key=None)
    queues = Queues(client)
    await queues.create()
    await _wait_for(lambda: moment(queues))
    await server.kill()
    await client.http.client.aclose()
    await _restart_and_check(database, tmp_path, queues)


@pytest.mark.parametrize("row", [1, 4, 25, 90])
async def test_sigkill_between_two_rows_of_one_checkpoint_write(tmp_path, row):
    """The queues are made on one server, killed at once; the next one resumes them and
    dies inside a batch of checkpoint writes (`killpoint`), some rows of it behind it:
    the third must find the batch whole or absent, never half-saved."""
    server = ServerProcess(tmp_path / "db.sqlite")
    client = get_client(url=await server.start(), api_key=None)
    queues = Queues(client)
    await queues.create()
    await server.kill()
    await client.http.client.aclose()

    dying = ServerProcess(tmp_path / "db.sqlite", module="killpoint", env={"THREADLOOM_KILL_AT_ROW": str(row)})
    await dying.start()
    assert dying.proc is not None
    assert await asyncio.wait_for(dying.proc.wait(), 120) == -signal.SIGKILL
    await _restart_and_check(lambda path: path, tmp_path, queues)  # SQLite's own: killpoint traces sqlite3


async def test_a_run_that_keeps_crashing_the_server_fails_after_max_attempts(database, tmp_path):
    db = database(tmp_path / "db.sqlite")
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


async def test_a_restart_recovers_more_threads_at_once_than_the_storage_serves(database, tmp_path):
    """250 threads left with a run each: more than PostgreSQL's pool serves at once (10
    connections, 200 waiting). Every supervisor starts, none refused, and every run ends."""
    db = database(tmp_path / "db.sqlite")
    server = ServerProcess(db, "--jobs", "1")
    client = get_client(url=await server.start(), api_key=None)
    blocker = await client.runs.create(str(uuid.uuid4()), "slow", input={"steps": 1, "delay": 600}, if_not_exists="create")
    left = [
        await client.runs.create(str(uuid.uuid4()), "slow", input={"steps": 1, "delay": 0}, if_not_exists="create")
        for _ in range(249)
    ]
    await server.kill()
    await client.http.client.aclose()

    server = ServerProcess(db)
    client = get_client(url=await server.start(), api_key=None)
    try:
        for run in left:
            await asyncio.wait_for(client.runs.join(run["thread_id"], run["run_id"]), 60)
            assert (await client.runs.get(run["thread_id"], run["run_id"]))["status"] == "success"
        assert (await client.runs.get(blocker["thread_id"], blocker["run_id"]))["status"] == "running"
        assert not [line for line in server.output if "failed to start" in line or "Traceback" in line], server.output
    finally:
        await client.http.client.aclose()
        await server.kill()
