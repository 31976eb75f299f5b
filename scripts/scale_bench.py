"""Costs at scale: searches, counts and a cheap read on a database of many threads.

Seeds a database through the storage layer directly (threads with metadata, values and
statuses; a few checkpoints per thread through LangGraph's checkpointer; store items),
then starts `python -m server` on it and measures, with raw aiohttp:

- `POST /threads/search`: a metadata filter, no filter, a status filter, sorted by
  `updated_at`; `POST /threads/count` with a metadata filter; a filtered store search;
- a cheap `GET /threads/{id}` alone, then while two clients loop metadata searches (what
  a search costs everyone else: the event loop is shared);
- the event loop's lag over the whole run (from `/metrics`);
- with `--streams`: 1,000 concurrent run streams of 200 custom events each (`--jobs 10`),
  events/s and the server's CPU per event, beside their floor (the same stateless runs of
  the same graph in this process, no HTTP); 1,000 joiners of one run of 1,000
  events, until all are done; the server's memory per open SSE stream and per idle
  thread supervisor.

Each line shows p50 and p99 in milliseconds and the goal of issue 17 (p99); the loop's lag
is read off its histogram, so its figures are bucket bounds.

    .venv/bin/python scripts/scale_bench.py                     # 10,000 threads, SQLite
    .venv/bin/python scripts/scale_bench.py --threads 1000000   # a million (slow to seed)
    .venv/bin/python scripts/scale_bench.py --db postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python scripts/scale_bench.py --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import CONFIG, READY, ROOT, _tail, load_graph, percentile, process_cpu  # noqa: E402

from langgraph.checkpoint.base import create_checkpoint, empty_checkpoint  # noqa: E402
from langgraph.store.base import PutOp  # noqa: E402

from threadloom.protocol.resources import Thread  # noqa: E402
from threadloom.server.storage.backends import open_storage  # noqa: E402

USERS = 100  # metadata `user` takes this many values: a metadata search finds 1 thread in USERS
STATUSES = ("idle", "idle", "idle", "busy", "interrupted", "error")
GOAL_P99_MS = {"get under search load": 20.0}
DEFAULT_GOAL_P99_MS = 10.0


# seeding ----------------------------------------------------------------------------------


def _stamp(i: int, n: int) -> str:
    """Creation times spread over the last n seconds, oldest first."""
    seconds = 1_700_000_000 + i
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{i % 1_000_000:06d}+00:00"


async def seed(db: str, threads: int, checkpoints: int, items: int, rng: random.Random) -> list[str]:
    """Write the data; the ids of the threads, in creation order."""
    storage = await open_storage(db)
    ids: list[str] = []
    try:
        for i in range(threads):
            thread_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            stamp = _stamp(i, threads)
            await storage.threads.insert(Thread(
                thread_id=thread_id, created_at=stamp, updated_at=stamp, state_updated_at=stamp,
                metadata={"user": f"u{i % USERS}", "kind": rng.choice(("chat", "job", "review")), "i": i},
                status=rng.choice(STATUSES), values={"n": i},
            ))
            ids.append(thread_id)
            config: dict[str, Any] = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
            checkpoint = empty_checkpoint()
            for step in range(checkpoints):
                checkpoint = create_checkpoint(checkpoint, None, step)
                checkpoint["channel_values"] = {"n": step}
                checkpoint["channel_versions"] = {"n": step + 1}
                config = await storage.saver.aput(
                    config, checkpoint, {"source": "loop", "step": step, "parents": {}}, {"n": step + 1}
                )
        ops = [
            PutOp(("docs", f"u{i % USERS}"), f"item-{i}", {"kind": rng.choice(("a", "b", "c")), "i": i})
            for i in range(items)
        ]
        for start in range(0, len(ops), 1000):
            await storage.store.abatch(ops[start:start + 1000])
    finally:
        await storage.close()
    return ids


# the server -------------------------------------------------------------------------------


class Server:
    def __init__(self, db: str, tmpdir: str, jobs: int = 10) -> None:
        self.db, self.tmpdir, self.jobs = db, tmpdir, jobs
        self.url = ""
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def rss(self) -> int:
        """Resident bytes, from /proc."""
        with open(f"/proc/{self.pid}/status") as f:
            line = next(line for line in f if line.startswith("VmRSS:"))
        return int(line.split()[1]) * 1024

    async def __aenter__(self) -> Server:
        log = open(os.path.join(self.tmpdir, "server.log"), "wb")
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server", "--config", str(CONFIG), "--port", "0", "--db", self.db,
            "--jobs", str(self.jobs),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=log, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self._proc.stdout is not None
        async with asyncio.timeout(120):
            while not self.url:
                line = (await self._proc.stdout.readline()).decode()
                if not line:
                    raise RuntimeError(f"the server exited:\n{_tail(log.name)}")
                if line.startswith(READY):
                    self.url = line[len(READY):].strip()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._proc is not None
        self._proc.terminate()
        await self._proc.wait()


# measures ---------------------------------------------------------------------------------


Call = Callable[[aiohttp.ClientSession], Awaitable[None]]


def post(url: str, body: dict[str, Any]) -> Call:
    async def call(http: aiohttp.ClientSession) -> None:
        async with http.post(url, json=body) as resp:
            assert resp.status == 200, (resp.status, await resp.text())
            await resp.read()
    return call


def get(url: str) -> Call:
    async def call(http: aiohttp.ClientSession) -> None:
        async with http.get(url) as resp:
            assert resp.status == 200, (resp.status, await resp.text())
            await resp.read()
    return call


async def timed(http: aiohttp.ClientSession, call: Call, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await call(http)
        samples.append(time.perf_counter() - start)
    return samples


async def under_load(http: aiohttp.ClientSession, call: Call, load: Call, n: int, clients: int = 2) -> list[float]:
    """`call` timed while `clients` others loop `load` as fast as they are answered."""
    done = asyncio.Event()

    async def loop() -> None:
        while not done.is_set():
            await load(http)

    loaders = [asyncio.create_task(loop()) for _ in range(clients)]
    try:
        await asyncio.sleep(0.2)
        return await timed(http, call, n)
    finally:
        done.set()
        await asyncio.gather(*loaders)


async def measure(url: str, ids: list[str], n: int, rng: random.Random) -> dict[str, dict[str, float]]:
    user = f"u{rng.randrange(USERS)}"
    searches: dict[str, Call] = {
        "search, metadata filter": post(f"{url}/threads/search", {"metadata": {"user": user}, "limit": 10}),
        "search, no filter": post(f"{url}/threads/search", {"limit": 10}),
        "search, status filter": post(f"{url}/threads/search", {"status": "interrupted", "limit": 10}),
        "search, sort by updated_at": post(
            f"{url}/threads/search", {"limit": 10, "sort_by": "updated_at", "sort_order": "asc"}
        ),
        "count, metadata filter": post(f"{url}/threads/count", {"metadata": {"user": user}}),
        "store search, filter": post(
            f"{url}/store/items/search", {"namespace_prefix": ["docs"], "filter": {"kind": "a"}, "limit": 10}
        ),
    }
    cheap = get(f"{url}/threads/{ids[len(ids) // 2]}")
    results: dict[str, dict[str, float]] = {}
    async with aiohttp.ClientSession() as http:
        for name, call in {**searches, "get": cheap}.items():
            await timed(http, call, 5)  # warm-up
            results[name] = summarize(await timed(http, call, n))
        before = await loop_lag(http, url)
        results["get under search load"] = summarize(
            await under_load(http, cheap, searches["search, metadata filter"], n)
        )
        results["event loop lag, under search load"] = lag_quantiles(before, await loop_lag(http, url))
        results["event loop lag, whole run"] = lag_quantiles(None, await loop_lag(http, url))
    return results


async def loop_lag(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    """The server's loop-lag histogram so far (cumulative buckets, from `/metrics`)."""
    async with http.get(f"{url}/metrics", params={"format": "json"}) as resp:
        lag: dict[str, Any] = (await resp.json())["loop_lag"]
        return lag


def lag_quantiles(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, float]:
    """p50 and p99 of the lags observed between two readings of the histogram (bucket
    bounds, in ms)."""
    buckets = {b: c - (before["buckets"][b] if before else 0) for b, c in after["buckets"].items()}
    observations = after["observations"] - (before["observations"] if before else 0)
    return {"p50_ms": _bucket_bound(buckets, observations, 0.5) * 1e3,
            "p99_ms": _bucket_bound(buckets, observations, 0.99) * 1e3}


def _bucket_bound(buckets: dict[str, int], observations: int, q: float) -> float:
    """The upper bound of the histogram bucket that holds the q-quantile of the lags."""
    wanted = q * observations
    for bound, count in buckets.items():
        if count >= wanted:
            return float(bound)
    return float("inf")


# streams ----------------------------------------------------------------------------------


async def read_stream(resp: aiohttp.ClientResponse) -> int:
    """Custom events in an SSE response, counted on whole frames."""
    assert resp.status == 200, (resp.status, await resp.text())
    custom, tail = 0, b""
    async for chunk in resp.content.iter_any():
        data = tail + chunk
        end = data.rfind(b"\r\n\r\n")
        if end < 0:
            tail = data
            continue
        custom += data[: end + 4].count(b"event: custom\r\n")
        tail = data[end + 4:]
    return custom


async def many_streams(server: Server, streams: int, events: int) -> dict[str, float]:
    """`streams` stateless runs streamed at once, each of `events` custom events."""
    body = {"assistant_id": "emit", "input": {"count": events}, "stream_mode": ["custom"]}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None)) as http:

        async def one() -> int:
            async with http.post(f"{server.url}/runs/stream", json=body) as resp:
                return await read_stream(resp)

        cpu, start = process_cpu(server.pid), time.perf_counter()
        counts = await asyncio.gather(*(one() for _ in range(streams)))
        seconds, cpu = time.perf_counter() - start, process_cpu(server.pid) - cpu
    total = sum(counts)
    assert total == streams * events, f"{total} of {streams * events} events delivered"
    return {"events_per_s": total / seconds, "cpu_us_per_event": cpu / total * 1e6, "seconds": seconds}


async def floor_streams(streams: int, events: int, jobs: int = 10) -> dict[str, float]:
    """The floor of `many_streams`: the same runs of the same graph in this process, no
    HTTP, `jobs` at a time (the server's `--jobs`), with no checkpointer (a stateless run
    has none on the server either); this process's CPU per event."""
    graph = load_graph("emit")
    slots = asyncio.Semaphore(jobs)

    async def one() -> int:
        async with slots:
            return sum([1 async for _ in graph.astream({"count": events}, stream_mode="custom")])

    await asyncio.gather(*(one() for _ in range(jobs)))  # warm-up
    cpu, start = time.process_time(), time.perf_counter()
    total = sum(await asyncio.gather(*(one() for _ in range(streams))))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert total == streams * events, f"{total} of {streams * events} events"
    return {"events_per_s": total / seconds, "cpu_us_per_event": cpu / total * 1e6, "seconds": seconds}


async def many_joiners(server: Server, joiners: int, events: int) -> dict[str, float]:
    """`joiners` clients join one run before it starts (it waits behind another run of its
    thread), then it emits `events` custom events: seconds until every joiner has all."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=None)) as http:
        async with http.post(f"{server.url}/threads", json={}) as resp:
            thread_id = (await resp.json())["thread_id"]
        runs = f"{server.url}/threads/{thread_id}/runs"
        async with http.post(runs, json={"assistant_id": "wait", "input": {"seconds": 3600}}) as resp:
            blocker = (await resp.json())["run_id"]
        async with http.post(runs, json={"assistant_id": "emit", "input": {"count": events},
                                         "stream_mode": ["custom"], "multitask_strategy": "enqueue"}) as resp:
            run_id = (await resp.json())["run_id"]
        opened = 0
        all_open = asyncio.Event()

        async def join() -> int:
            nonlocal opened
            async with http.get(f"{runs}/{run_id}/stream") as resp:
                opened += 1
                if opened == joiners:
                    all_open.set()
                return await read_stream(resp)

        joined = [asyncio.create_task(join()) for _ in range(joiners)]
        await all_open.wait()
        start = time.perf_counter()
        async with http.post(f"{runs}/{blocker}/cancel", params={"action": "interrupt"}) as resp:
            assert resp.status in (200, 202, 204), resp.status
        counts = await asyncio.gather(*joined)
        seconds = time.perf_counter() - start
    assert counts == [events] * joiners, f"joiners saw {sorted(set(counts))} events"
    return {"seconds": seconds}


async def memory(server: Server, count: int) -> dict[str, float]:
    """Server RSS per open SSE stream (joiners of a waiting run) and per idle supervisor
    (threads whose one run ended, kept in memory for their idle period)."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=None)) as http:
        before = server.rss()
        for _ in range(count):
            async with http.post(f"{server.url}/threads", json={}) as resp:
                thread_id = (await resp.json())["thread_id"]
            async with http.post(f"{server.url}/threads/{thread_id}/runs/wait",
                                 json={"assistant_id": "wait", "input": {"seconds": 0}}) as resp:
                await resp.read()
        per_supervisor = (server.rss() - before) / count
        async with http.post(f"{server.url}/threads", json={}) as resp:
            thread_id = (await resp.json())["thread_id"]
        async with http.post(f"{server.url}/threads/{thread_id}/runs",
                             json={"assistant_id": "wait", "input": {"seconds": 3600}}) as resp:
            run_id = (await resp.json())["run_id"]
        before = server.rss()
        responses = [await http.get(f"{server.url}/threads/{thread_id}/runs/{run_id}/stream") for _ in range(count)]
        await asyncio.sleep(0.5)  # let the server settle what each connection holds
        per_stream = (server.rss() - before) / count
        for resp in responses:
            resp.close()
    return {"per_stream_kb": per_stream / 1024, "per_supervisor_kb": per_supervisor / 1024}


def summarize(samples: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(samples, 50) * 1e3, "p99_ms": percentile(samples, 99) * 1e3}


def table(results: dict[str, dict[str, float]], threads: int) -> str:
    lines = [
        f"{threads:,} threads", "",
        f"| measure | p50 ms | p99 ms | goal p99 ms |",
        "|---|---|---|---|",
    ]
    for name, r in results.items():
        goal = GOAL_P99_MS.get(name, DEFAULT_GOAL_P99_MS)
        p50 = f"{r['p50_ms']:.2f}"
        mark = "" if r["p99_ms"] <= goal else " ✗"
        lines.append(f"| {name} | {p50} | {r['p99_ms']:.2f}{mark} | ≤ {goal:g} |")
    return "\n".join(lines)


@contextlib.contextmanager
def database(server: str | None, tmpdir: str, name: str) -> Iterator[str]:
    """A fresh, empty database: an SQLite file in `tmpdir`, or (given a `postgresql://`
    server URL) a database created on that server and dropped after."""
    if server is None:
        yield os.path.join(tmpdir, f"{name}.sqlite")
        return
    import psycopg

    dbname = f"threadloom_scale_{name}_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    try:
        yield urlunsplit(urlsplit(server)._replace(path=f"/{dbname}"))
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="threadloom-scale-") as tmpdir, \
            database(args.db, tmpdir, "data") as db, database(args.db, tmpdir, "memory") as fresh:
        started = time.perf_counter()
        ids = await seed(db, args.threads, args.checkpoints, args.items, rng)
        seeded = time.perf_counter() - started
        streams: dict[str, Any] = {}
        async with Server(db, tmpdir) as server:
            results = await measure(server.url, ids, args.n, rng)
            if args.streams:
                async with aiohttp.ClientSession() as http:
                    streams["floor of the 1,000 streams"] = await floor_streams(1000, 200)
                    before = await loop_lag(http, server.url)
                    streams["1,000 streams × 200 events"] = await many_streams(server, 1000, 200)
                    streams["loop lag under streams"] = lag_quantiles(before, await loop_lag(http, server.url))
                streams["1,000 joiners × 1,000 events"] = await many_joiners(server, 1000, 1000)
        if args.streams:  # on a fresh server: freed memory is not given back, and would hide growth
            async with Server(fresh, tmpdir) as server:
                streams["memory"] = await memory(server, 1000)
    return {"threads": args.threads, "checkpoints": args.threads * args.checkpoints, "items": args.items,
            "seed_seconds": seeded, "results": results, "streams": streams}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--checkpoints", type=int, default=10, help="checkpoints per thread")
    parser.add_argument("--items", type=int, default=10_000, help="store items")
    parser.add_argument("-n", type=int, default=200, help="samples per measure")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--streams", action="store_true", help="also the stream measures (a few minutes)")
    parser.add_argument("--db", help="a postgresql:// server URL: measure on PostgreSQL (a database made and dropped there)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    out = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"seeded {out['threads']:,} threads, {out['checkpoints']:,} checkpoints, {out['items']:,} store items "
              f"in {out['seed_seconds']:.0f} s")
        print(table(out["results"], out["threads"]))
        if out["streams"]:
            fan, join, mem = (out["streams"][k] for k in ("1,000 streams × 200 events", "1,000 joiners × 1,000 events", "memory"))
            print()
            print("| streams | figure | goal |")
            print("|---|---|---|")
            floor = out["streams"]["floor of the 1,000 streams"]
            print(f"| 1,000 run streams × 200 events, --jobs 10 | {fan['events_per_s']:,.0f} ev/s, "
                  f"{fan['cpu_us_per_event']:.0f} µs CPU/event | ≥ 30,000 ev/s, ≤ 20 µs |")
            print(f"| their floor: the same stateless runs in process, 10 at a time, no HTTP | {floor['events_per_s']:,.0f} ev/s, "
                  f"{floor['cpu_us_per_event']:.0f} µs CPU/event; server/floor: "
                  f"{floor['events_per_s'] / fan['events_per_s']:.2f}x time, "
                  f"{fan['cpu_us_per_event'] / floor['cpu_us_per_event']:.2f}x CPU | |")
            lag = out["streams"]["loop lag under streams"]
            print(f"| event loop lag under the 1,000 streams, p50 / p99 (bucket bounds) | {lag['p50_ms']:g} / "
                  f"{lag['p99_ms']:g} ms | p99 ≤ 10 ms |")
            print(f"| 1,000 joiners × 1,000 events, until all are done | {join['seconds']:.2f} s | ≤ 1 s |")
            print(f"| RSS per open SSE stream / per idle supervisor | {mem['per_stream_kb']:.1f} KB / "
                  f"{mem['per_supervisor_kb']:.1f} KB | 20 KB / 6.7 KB or lower |")


if __name__ == "__main__":
    main()
