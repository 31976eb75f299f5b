"""Several processes on one PostgreSQL (issue 13, item 7): run throughput with 1, 2 and 4
processes, cross-process stream latency, and takeover time after kill -9.

- Throughput: `python -m server --workers N` (one port) on a fresh database; `--threads`
  clients, one per thread, each creating `--runs` runs one after the other with
  `POST /threads/{id}/runs/wait` of a run that waits 10 ms (`bench_graphs/wait.py`).
  Reports runs/s, the servers' CPU seconds per run (their /proc times) and how busy the
  machine's CPUs were (/proc/stat), which says where the scaling stops.
- Stream latency: two processes P1, P2; a run on a thread P1 supervises emits custom
  events at `--rate` per second, each stamped with the wall clock when written
  (`bench_graphs/ticker.py`); a client joins its stream through P2, which forwards to
  P1. Latency = received - written, p50/p99 (one machine: one clock).
- Takeover: `scripts/takeover_bench.py --kills K` (kill -9 of the owner of a thread with a
  running run; default leases), min/median/max.

    .venv/bin/python scripts/cluster_bench.py
    .venv/bin/python scripts/cluster_bench.py --processes 1,2 --threads 16 --runs 20 --kills 0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import psycopg

ROOT = Path(__file__).resolve().parent.parent
GRAPHS = ROOT / "scripts" / "bench_graphs" / "langgraph.json"
TICKS = os.sysconf("SC_CLK_TCK")


class Server:
    """`python -m server` (with `--workers N`, a parent and its N children)."""

    def __init__(self, db: str, *args: str) -> None:
        self.argv = [sys.executable, "-m", "server", "--config", str(GRAPHS), "--port", "0", "--db", db,
                     "--access-log", "off", "--log-level", "WARNING", *args]
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""

    async def start(self) -> Server:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        assert self.proc.stdout is not None
        while True:
            line = (await asyncio.wait_for(self.proc.stdout.readline(), 120)).decode()
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

    def pids(self) -> list[int]:
        assert self.proc is not None
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        found = [int(pid) for pid in children.read_text().split()] if children.exists() else []
        return [self.proc.pid, *found]

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of every CPU since boot."""
    fields = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


@asynccontextmanager
async def fresh_database(admin: str) -> AsyncIterator[str]:
    name = f"threadloom_cluster_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def throughput(admin: str, processes: int, threads: int, runs: int) -> dict[str, float]:
    async with fresh_database(admin) as db:
        server = await Server(db, "--workers", str(processes)).start()
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
                tids = []
                for _ in range(threads):
                    async with http.post(f"{server.url}/threads", json={}) as resp:
                        tids.append((await resp.json())["thread_id"])
                body = {"assistant_id": "wait", "input": {"seconds": 0.01}}

                async def loop(tid: str, count: int) -> None:
                    for _ in range(count):
                        async with http.post(f"{server.url}/threads/{tid}/runs/wait", json=body) as resp:
                            assert resp.status == 200, await resp.text()
                            await resp.read()

                await asyncio.gather(*(loop(tid, 2) for tid in tids))  # warm up: supervisors, connections
                pids = server.pids()
                cpu0, (busy0, total0), t0 = cpu_seconds(pids), machine_busy(), time.monotonic()
                await asyncio.gather(*(loop(tid, runs) for tid in tids))
                elapsed = time.monotonic() - t0
                cpu1, (busy1, total1) = cpu_seconds(pids), machine_busy()
        finally:
            await server.stop()
    done = threads * runs
    return {
        "processes": processes, "runs": done, "seconds": elapsed, "runs_per_s": done / elapsed,
        "server_cpu_ms_per_run": 1000 * (cpu1 - cpu0) / done,
        "machine_busy": (busy1 - busy0) / (total1 - total0),
    }


async def stream_latency(admin: str, rate: float, count: int, via: int = 2) -> dict[str, float]:
    """`via` 2: the stream is read through P2 (forwarded); 1: from P1 itself, the floor."""
    async with fresh_database(admin) as db:
        p1 = await Server(db).start()
        p2 = await Server(db).start()
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{p1.url}/threads", json={}) as resp:
                    tid = (await resp.json())["thread_id"]
                run = {"assistant_id": "ticker", "stream_mode": ["custom"],
                       "input": {"count": count, "rate": rate, "start_after": 1.0}}
                async with http.post(f"{p1.url}/threads/{tid}/runs", json=run) as resp:
                    run_id = (await resp.json())["run_id"]
                latencies: list[float] = []
                reader = p2 if via == 2 else p1
                async with http.get(f"{reader.url}/threads/{tid}/runs/{run_id}/stream") as resp:
                    assert resp.status == 200, await resp.text()
                    event = ""
                    async for raw in resp.content:
                        line = raw.decode().rstrip("\r\n")
                        if line.startswith("event:"):
                            event = line[6:].strip()
                        elif line.startswith("data:") and event == "custom":
                            latencies.append(time.time() - json.loads(line[5:])["t"])
        finally:
            await p1.stop()
            await p2.stop()
    latencies.sort()
    return {
        "rate": rate, "events": len(latencies),
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "max_ms": 1000 * latencies[-1],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--runs", type=int, default=25, help="runs per thread")
    parser.add_argument("--rates", default="1000,10000", help="events/s of the latency runs")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each latency run")
    parser.add_argument("--kills", type=int, default=10, help="takeover measurements (0: none)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; PostgreSQL on the same machine")
    for n in (int(x) for x in args.processes.split(",") if x):  # --processes '': no throughput runs
        r = await throughput(args.pg, n, args.threads, args.runs)
        print(f"throughput, {n} process(es): {r['runs_per_s']:.0f} runs/s ({r['runs']} runs of 10 ms on {args.threads} "
              f"threads in {r['seconds']:.1f} s); servers' CPU {r['server_cpu_ms_per_run']:.1f} ms/run; "
              f"machine CPUs {100 * r['machine_busy']:.0f}% busy", flush=True)
    for rate in (float(x) for x in args.rates.split(",") if x):
        for via, what in ((2, "across processes"), (1, "from the owner itself (the floor)")):
            s = await stream_latency(args.pg, rate, int(rate * args.seconds), via)
            print(f"stream latency {what} at {rate:.0f} events/s: p50 {s['p50_ms']:.1f} ms, "
                  f"p99 {s['p99_ms']:.1f} ms, max {s['max_ms']:.1f} ms ({s['events']} events)", flush=True)
    if args.kills:
        out = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "takeover_bench.py"), "--pg", args.pg, "--kills", str(args.kills)],
            capture_output=True, text=True, check=True,
        ).stdout
        for line in out.splitlines():
            if "over" in line:
                print(line, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
