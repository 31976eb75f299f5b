"""`--workers N` (issue 13): N real processes on one port and one PostgreSQL database, one
cluster; the parent passes SIGTERM on and exits when they have; a worker that dies is
started again; SQLite refuses more than one worker with one line."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from langgraph_sdk import get_client

from clusterproc import LEASES, until
from pgtest import PostgresForTests, rows
from serverproc import GRAPHS, ROOT, ServerProcess
from support import seq, slow


@pytest.fixture
async def workers(postgres_for_tests: PostgresForTests) -> AsyncIterator[ServerProcess]:
    db = postgres_for_tests.new_database()
    server = ServerProcess(db, "--workers", "3", env=LEASES)  # type: ignore[arg-type]
    try:
        await server.start()
        yield server
    finally:
        if server.proc is not None and server.proc.returncode is None:
            await server.signal(signal.SIGTERM)
        postgres_for_tests.drop(db)


def _members(db: str) -> list[tuple[str, int]]:
    return [(str(url), int(pid)) for url, pid in rows(db, "SELECT url, pid FROM processes ORDER BY url")]  # type: ignore[call-overload]


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


async def test_three_workers_serve_one_port_as_one_cluster(workers: ServerProcess) -> None:
    assert workers.proc is not None
    db = str(workers.argv[workers.argv.index("--db") + 1])
    members = _members(db)
    assert len(members) == 3  # the banner comes once every worker serves
    assert {_parent_of(pid) for _, pid in members} == {workers.proc.pid}
    assert workers.url not in {url for url, _ in members}  # each is reached by the others on a port of its own
    client = get_client(url=workers.url, api_key=None)
    try:
        tid = (await client.threads.create())["thread_id"]
        run = await client.runs.create(tid, "slow", input=slow("a", 3, delay=0.01))
        async with aiohttp.ClientSession() as http:
            for url, _ in members:  # any worker answers about any thread
                async with http.get(f"{url}/threads/{tid}/runs/{run['run_id']}/join") as resp:
                    assert resp.status == 200
                    assert (await resp.json())["items"] == seq("a", 3)
    finally:
        await client.http.client.aclose()

    assert await workers.signal(signal.SIGTERM) == 0
    assert rows(db, "SELECT count(*) FROM processes") == [(0,)]  # each left the cluster
    for _, pid in members:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


async def test_a_worker_that_dies_is_started_again(workers: ServerProcess) -> None:
    db = str(workers.argv[workers.argv.index("--db") + 1])
    (_, victim), *_ = _members(db)
    os.kill(victim, signal.SIGKILL)
    await until(lambda: len({pid for _, pid in _members(db)} - {victim}) == 3, 60, "a new worker in the cluster")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{workers.url}/ok") as resp:
            assert resp.status == 200
    assert await workers.signal(signal.SIGTERM) == 0


@pytest.mark.parametrize("store", [["--db", "local.sqlite"], ["--memory"]])
async def test_sqlite_refuses_more_than_one_worker(tmp_path: Path, store: list[str]) -> None:
    command = [sys.executable, "-m", "server", "--config", str(GRAPHS), "--workers", "2", *store]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        *command, cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert err.decode().splitlines() == [
        "threadloom: error: --workers 2 needs a postgresql:// --db (SQLite is served by one process)"
    ]
    assert not out
    assert not (tmp_path / "local.sqlite").exists()


async def test_a_worker_that_cannot_start_stops_them_all(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "server", "--config", str(GRAPHS), "--port", "0", "--workers", "2",
               "--db", "postgresql://postgres@127.0.0.1:1/nowhere"]
    proc = await asyncio.create_subprocess_exec(
        *command, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 1
    assert "serving on" not in out.decode()
    assert "exited (1) before it served; stopping" in err.decode().splitlines()[-1]
