"""Takeover time after `kill -9` of a thread's owner, with the default lease settings
(heartbeat 1 s, TTL 4 s, grace 1.5 s) unless the THREADLOOM_* variables say otherwise.

Starts two `python -m server` processes on a fresh database of the PostgreSQL server
given, and `--kills` times: makes a thread on the first process with a long run, waits
until it runs, kills that process with SIGKILL, and measures on the database clock the
time from the kill to the other process's acquisition of the thread (`thread_leases.acquired_at`)
and to the run running again there; then starts a new process in place of the killed one.

    .venv/bin/python scripts/takeover_bench.py --kills 10
    .venv/bin/python scripts/takeover_bench.py --pg postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from langgraph_sdk import get_client

ROOT = Path(__file__).resolve().parent.parent
GRAPHS = ROOT / "tests" / "graphs" / "langgraph.json"


class Proc:
    def __init__(self, db: str) -> None:
        self.db = db
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""

    async def start(self) -> Proc:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server", "--config", str(GRAPHS), "--port", "0", "--db", self.db,
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        assert self.proc.stdout is not None
        while True:
            line = (await asyncio.wait_for(self.proc.stdout.readline(), 60)).decode()
            if not line:
                raise RuntimeError("the server exited before it was ready")
            if match := re.search(r"serving on (http://\S+)", line):
                self.url = match[1]
                break
        asyncio.get_running_loop().create_task(self._drain())
        return self

    async def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while await self.proc.stdout.readline():
            pass

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()


def one(db: str, sql: str, args: tuple[object, ...] = ()) -> tuple[object, ...] | None:
    with psycopg.connect(db, autocommit=True) as conn:
        return conn.execute(sql, args).fetchone()


async def until(check, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.02)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--kills", type=int, default=10)
    args = parser.parse_args()
    name = f"threadloom_takeover_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.pg, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(args.pg)
    db = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
    procs = [await Proc(db).start(), await Proc(db).start()]
    acquired: list[float] = []
    resumed: list[float] = []
    try:
        for k in range(args.kills):
            victim, other = procs[k % 2], procs[(k + 1) % 2]
            client = get_client(url=victim.url, api_key=None)
            tid = (await client.threads.create())["thread_id"]
            run = await client.runs.create(tid, "slow", input={"steps": 10_000, "delay": 0.05, "tag": "k"})
            await until(lambda: one(db, "SELECT status FROM runs WHERE run_id = %s", (run["run_id"],)) == ("running",), 30)
            await client.http.client.aclose()
            await victim.kill()
            row = one(db, "SELECT now()")
            assert row is not None
            killed_at = row[0]
            await until(lambda: (one(db, "SELECT epoch FROM thread_leases WHERE thread_id = %s", (tid,)) or (0,))[0] >= 2, 30)
            await until(lambda: one(db, "SELECT attempt FROM runs WHERE run_id = %s AND status = 'running'", (run["run_id"],)) == (2,), 30)
            row = one(db, "SELECT extract(epoch FROM acquired_at - %s), extract(epoch FROM now() - %s) "
                          "FROM thread_leases WHERE thread_id = %s", (killed_at, killed_at, tid))
            assert row is not None
            acquired.append(float(row[0]))  # type: ignore[arg-type]
            resumed.append(float(row[1]))  # type: ignore[arg-type]
            print(f"kill {k + 1}: taken over after {acquired[-1]:.2f} s, run running again after <= {resumed[-1]:.2f} s", flush=True)
            procs[k % 2] = await Proc(db).start()
            # end the long run, so that the next round measures one thread
            await get_client(url=other.url, api_key=None).runs.cancel(tid, run["run_id"], wait=True)
        for label, values in (("takeover (acquired_at - kill)", acquired), ("run running again", resumed)):
            print(f"{label}: min {min(values):.2f} s, median {statistics.median(values):.2f} s, max {max(values):.2f} s "
                  f"over {len(values)} kills")
    finally:
        for proc in procs:
            if proc.proc is not None and proc.proc.returncode is None:
                await proc.kill()
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
