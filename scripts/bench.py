"""Benchmark threadloom against the in-process floor.

Starts `python -m server` on the graphs of `scripts/bench_graphs/` (SQLite file by
default, `--memory` for a throw-away database) and measures, beside the same graph run
in this process with `ainvoke`/`astream` and the same `SqliteCheckpointer` on a temporary
file (no HTTP):

1. `runs/wait` latency for one sequential client: fresh threads (each run creates its
   thread with `if_not_exists=create`), one thread (every run on the same thread), and
   stateless `/runs/wait` (floor: the graph without a checkpointer);
2. throughput with C concurrent clients, each on its own fresh threads;
3. SSE events/s for one `stream_mode=custom` stream of E events, plain and resumable
   (`stream_resumable`: its events persisted), with the server's CPU per event;
4. v3 (thread-centric) streaming: message-token events/s and time to first event of one
   run of a model streaming T tokens, followed over SSE (`POST /threads/{id}/stream/events`)
   and over the WebSocket, beside the classic run stream (`stream_mode=messages-tuple`) of
   the same graph. Time to first event: from sending `run.start` (the stream is open
   before) to the first event; for the classic stream, from the request to the first byte.

Every server figure is taken with two clients: the official `langgraph_sdk` async
client ("sdk", what users run) and raw aiohttp ("raw", close to what the server alone
costs). Warm-up runs are excluded. Ratios are server / floor for latency and floor /
server for rates, so 1.0 is "as fast as the floor" and bigger is slower. "cpu/run" is
the CPU time (all threads) the server process, or for the floor this process, spent
per run (from /proc; it explains throughput). The floor and the server are measured in
alternation, so that load from elsewhere on the machine hits both alike.

Targets (from the issue): p50 within 2x of the floor for one client (checked on both
clients and both stateful scenarios; the stateless floor does no I/O at all, so it is
shown but not held to it), and at least 20,000 SSE events/s for one stream (raw).

    .venv/bin/python scripts/bench.py                # the table
    .venv/bin/python scripts/bench.py --json         # machine-readable
    .venv/bin/python scripts/bench.py --runs 500 --concurrency 1,8 --events 100000
    .venv/bin/python scripts/bench.py --db postgresql://postgres@127.0.0.1:5432/bench
    .venv/bin/python scripts/bench.py --only v3 --tokens 20000

On PostgreSQL (`--db`), the floor is the same graph with LangGraph's own
`AsyncPostgresSaver` on the same database, in this process; the issue's targets there:
p50 within 2x of that floor, 10-client throughput at least half the floor's, SSE events/s
within 10% of the SQLite figure (run both and compare).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
GRAPHS_DIR = Path(__file__).resolve().parent / "bench_graphs"
CONFIG = GRAPHS_DIR / "langgraph.json"
READY = "threadloom: serving on "

sys.path.insert(0, str(ROOT))
from server import checkout  # noqa: E402

checkout.install()  # threadloom = this checkout

from threadloom.server.storage.sqlite.saver import SqliteCheckpointer  # noqa: E402

TARGET_P50_RATIO = 2.0
TARGET_EVENTS_PER_S = 20_000


# helpers ------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(samples: list[float]) -> dict[str, float]:
    """Milliseconds."""
    return {
        "n": len(samples),
        "p50_ms": percentile(samples, 50) * 1e3,
        "p90_ms": percentile(samples, 90) * 1e3,
        "p99_ms": percentile(samples, 99) * 1e3,
        "mean_ms": sum(samples) / len(samples) * 1e3,
    }


def process_cpu(pid: int | None) -> float:
    """CPU seconds (user + system, all threads) used so far by process `pid` (None: this
    one). NaN where /proc is not available."""
    if pid is None:
        return time.process_time()
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def load_graph(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_graphs_{name}", GRAPHS_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.graph


def new_id() -> str:
    return str(uuid.uuid4())


# the server -----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serve(args: argparse.Namespace, tmpdir: str) -> AsyncIterator[tuple[str, int]]:
    """`python -m server` as a subprocess; yields its base URL and pid once it is ready."""
    cmd = [sys.executable, "-m", "server", "--config", str(CONFIG), "--port", "0", "--jobs", str(args.jobs)]
    cmd += ["--memory"] if args.memory else ["--db", args.db or os.path.join(tmpdir, "server.sqlite")]
    log_path = os.path.join(tmpdir, "server.log")
    with open(log_path, "wb") as log:
        proc = await asyncio.create_subprocess_exec(
            *cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )
        drain: asyncio.Future[bytes] | None = None
        try:
            assert proc.stdout is not None
            url = None
            try:
                async with asyncio.timeout(60):
                    while url is None:
                        line = (await proc.stdout.readline()).decode()
                        if not line:
                            raise RuntimeError(f"the server exited with {await proc.wait()}:\n{_tail(log_path)}")
                        if line.startswith(READY):
                            url = line[len(READY):].strip()
            except TimeoutError:
                raise RuntimeError(f"the server was not ready after 60 s:\n{_tail(log_path)}") from None
            drain = asyncio.ensure_future(proc.stdout.read())  # never let a full pipe block it
            yield url, proc.pid
        finally:
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 15)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            if drain is not None:
                drain.cancel()


def _tail(path: str) -> str:
    return Path(path).read_text(errors="replace")[-2000:]


class StreamFailed(Exception):
    """The server ended a stream with an `error` event, e.g. `StreamOverflow` when the reader
    fell further behind the run than the server's per-stream buffer (10,000 events)."""


class Clients:
    """The SDK client and a raw aiohttp session on the same server."""

    def __init__(self, url: str, pid: int, pool: int) -> None:
        from langgraph_sdk import get_client

        self.url = url
        self.pid = pid
        self.sdk = get_client(url=url, api_key=None)
        self.raw = aiohttp.ClientSession(
            base_url=url,
            connector=aiohttp.TCPConnector(limit=pool, limit_per_host=pool),
            timeout=aiohttp.ClientTimeout(total=None),
        )

    async def close(self) -> None:
        await self.raw.close()
        await self.sdk.http.client.aclose()

    # runs/wait ----------------------------------------------------------------------------

    async def sdk_wait(self, thread_id: str | None, assistant: str, body: dict[str, Any]) -> Any:
        if thread_id is None:
            return await self.sdk.runs.wait(None, assistant, input=body)
        return await self.sdk.runs.wait(thread_id, assistant, input=body, if_not_exists="create")

    async def raw_wait(self, thread_id: str | None, assistant: str, body: dict[str, Any]) -> Any:
        path = "/runs/wait" if thread_id is None else f"/threads/{thread_id}/runs/wait"
        payload: dict[str, Any] = {"assistant_id": assistant, "input": body}
        if thread_id is not None:
            payload["if_not_exists"] = "create"
        async with self.raw.post(path, json=payload) as resp:
            data = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"{path}: {resp.status} {data[:300]!r}")
            return data

    # streams ------------------------------------------------------------------------------

    async def resumable_stream(self, thread_id: str, count: int) -> tuple[int, int, float]:
        """`raw_stream` of a resumable run (`stream_resumable`: its events persisted)."""
        return await self.raw_stream(thread_id, count, resumable=True)

    async def raw_stream(self, thread_id: str, count: int, *, resumable: bool = False) -> tuple[int, int, float]:
        """(custom events, all events, seconds to first byte), counted on the raw bytes."""
        payload = {"assistant_id": "emit", "input": {"count": count}, "stream_mode": ["custom"], "if_not_exists": "create"}
        if resumable:
            payload["stream_resumable"] = True
        start = time.perf_counter()
        first = 0.0
        custom = total = 0
        tail = b""
        async with self.raw.post(f"/threads/{thread_id}/runs/stream", json=payload) as resp:
            if resp.status != 200:
                raise RuntimeError(f"stream: {resp.status} {(await resp.read())[:300]!r}")
            async for chunk in resp.content.iter_any():
                if not first:
                    first = time.perf_counter() - start
                # count whole frames only; the rest waits for the next chunk
                data = tail + chunk
                end = data.rfind(b"\r\n\r\n")
                if end < 0:
                    tail = data
                    continue
                frames, tail = data[: end + 4], data[end + 4 :]
                total += frames.count(b"event: ")
                custom += frames.count(b"event: custom\r\n")
                if b"event: error" in frames:
                    raise StreamFailed(f"error event: {frames[frames.index(b'event: error') :][:300]!r}")
        if tail.strip():
            raise StreamFailed(f"the stream ended inside a frame: {tail[:300]!r}")
        return custom, total, first

    async def sdk_stream(self, thread_id: str, count: int) -> tuple[int, int, float]:
        start = time.perf_counter()
        first = 0.0
        custom = total = 0
        async for part in self.sdk.runs.stream(
            thread_id, "emit", input={"count": count}, stream_mode="custom", if_not_exists="create"
        ):
            if not first:
                first = time.perf_counter() - start
            total += 1
            if part.event == "custom":
                custom += 1
            elif part.event == "error":
                raise StreamFailed(f"error event: {part.data!r}")
        return custom, total, first


# measurements ---------------------------------------------------------------------------------
#
# The machine may be busy with other work, so the floor and the server are measured in
# alternation (latency in rounds of blocks, throughput level by level, streams repeat by
# repeat): load from elsewhere then tends to hit both alike.


class Series:
    """Sequential calls of one kind, timed in blocks, with the CPU they cost process `pid`
    (the server; None: this process, for the floor)."""

    def __init__(self, call: Callable[[], Awaitable[Any]], pid: int | None = None) -> None:
        self.call = call
        self.pid = pid
        self.samples: list[float] = []
        self.cpu = 0.0

    async def warm(self, n: int) -> None:
        for _ in range(n):
            await self.call()

    async def block(self, n: int) -> None:
        cpu = process_cpu(self.pid)
        for _ in range(n):
            start = time.perf_counter()
            await self.call()
            self.samples.append(time.perf_counter() - start)
        self.cpu += process_cpu(self.pid) - cpu

    def result(self) -> dict[str, float]:
        return {**summary(self.samples), "cpu_ms_per_run": self.cpu / len(self.samples) * 1e3}


async def interleaved(series: dict[str, Series], runs: int, warmup: int, rounds: int) -> dict[str, dict[str, float]]:
    for one in series.values():
        await one.warm(warmup)
    rounds = max(1, min(rounds, runs))
    for i in range(rounds):
        size = runs // rounds + (1 if i < runs % rounds else 0)
        for one in series.values():
            await one.block(size)
    return {name: one.result() for name, one in series.items()}


async def latency(args: argparse.Namespace, clients: Clients, echo: Any, saver: Any) -> dict[str, Any]:
    stateful = echo.copy(update={"checkpointer": saver})
    pid = clients.pid
    out: dict[str, Any] = {"floor": {}, "sdk": {}, "raw": {}}

    def fresh_floor() -> Awaitable[Any]:
        return stateful.ainvoke({"n": 0}, {"configurable": {"thread_id": new_id()}})

    floor_one = {"configurable": {"thread_id": new_id()}}
    sdk_one, raw_one = new_id(), new_id()
    scenarios: dict[str, dict[str, Series]] = {
        "fresh": {
            "floor": Series(fresh_floor),
            "sdk": Series(lambda: clients.sdk_wait(new_id(), "echo", {"n": 0}), pid),
            "raw": Series(lambda: clients.raw_wait(new_id(), "echo", {"n": 0}), pid),
        },
        "one": {
            "floor": Series(lambda: stateful.ainvoke({"n": 0}, floor_one)),
            "sdk": Series(lambda: clients.sdk_wait(sdk_one, "echo", {"n": 0}), pid),
            "raw": Series(lambda: clients.raw_wait(raw_one, "echo", {"n": 0}), pid),
        },
        "stateless": {
            "floor": Series(lambda: echo.ainvoke({"n": 0})),
            "sdk": Series(lambda: clients.sdk_wait(None, "echo", {"n": 0}), pid),
            "raw": Series(lambda: clients.raw_wait(None, "echo", {"n": 0}), pid),
        },
    }
    for scenario, series in scenarios.items():
        for kind, result in (await interleaved(series, args.runs, args.warmup, args.rounds)).items():
            out[kind][scenario] = result
    return out


async def rate(
    concurrency: int, total: int, call: Callable[[], Awaitable[Any]], *, pid: int | None = None
) -> dict[str, float]:
    """Runs/s when `concurrency` workers share `total` runs, each one after the other, and
    the CPU each run cost process `pid` (None: this one)."""
    per_worker = max(1, total // concurrency)

    async def worker() -> None:
        for _ in range(per_worker):
            await call()

    await asyncio.gather(*(call() for _ in range(concurrency)))  # warm-up: connections, supervisors
    cpu = process_cpu(pid)
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    runs = per_worker * concurrency
    return {"runs_per_s": runs / (time.perf_counter() - start), "cpu_ms_per_run": (process_cpu(pid) - cpu) / runs * 1e3}


async def throughput(args: argparse.Namespace, clients: Clients, echo: Any, saver: Any) -> dict[str, Any]:
    stateful = echo.copy(update={"checkpointer": saver})
    calls: dict[str, tuple[Callable[[], Awaitable[Any]], int | None]] = {
        "floor": (lambda: stateful.ainvoke({"n": 0}, {"configurable": {"thread_id": new_id()}}), None),
        "sdk": (lambda: clients.sdk_wait(new_id(), "echo", {"n": 0}), clients.pid),
        "raw": (lambda: clients.raw_wait(new_id(), "echo", {"n": 0}), clients.pid),
    }
    out: dict[str, Any] = {kind: {} for kind in calls}
    for c in args.concurrency:
        rounds: dict[str, list[dict[str, float]]] = {kind: [] for kind in calls}
        for _ in range(args.tp_rounds):
            for kind, (call, pid) in calls.items():
                rounds[kind].append(await rate(c, args.tp_runs, call, pid=pid))
        for kind, results in rounds.items():
            ordered = sorted(results, key=lambda r: r["runs_per_s"])
            out[kind][str(c)] = {
                **ordered[len(ordered) // 2],  # the median round
                "rounds_runs_per_s": [r["runs_per_s"] for r in results],
            }
    return out


async def streams(args: argparse.Namespace, clients: Clients, emit: Any, saver: Any) -> dict[str, Any]:
    stateful = emit.copy(update={"checkpointer": saver})

    async def floor(thread_id: str, count: int) -> tuple[int, int, float]:
        config = {"configurable": {"thread_id": thread_id}}
        n = 0
        async for _ in stateful.astream({"count": count}, config, stream_mode="custom"):
            n += 1
        return n, n, 0.0

    kinds = {"floor": floor, "raw": clients.raw_stream, "resumable": clients.resumable_stream, "sdk": clients.sdk_stream}
    results: dict[str, list[tuple[int, int, float, float]]] = {kind: [] for kind in kinds}
    errors: dict[str, str] = {}
    cpus: dict[str, list[float]] = {}
    for kind, stream in kinds.items():
        await stream(new_id(), min(args.events, 1000))  # warm-up
    for i in range(args.sse_repeats):
        # the SDK parses every event in Python: once is enough to show what that costs
        for kind, stream in kinds.items():
            if kind in errors or (kind == "sdk" and i > 0):
                continue
            start, cpu = time.perf_counter(), process_cpu(None if kind == "floor" else clients.pid)
            try:
                custom, total, first = await stream(new_id(), args.events)
            except StreamFailed as exc:
                errors[kind] = str(exc)
                continue
            if custom != args.events:
                errors[kind] = f"delivered {custom} custom events, expected {args.events}"
                continue
            results[kind].append((custom, total, first, time.perf_counter() - start))
            cpus.setdefault(kind, []).append((process_cpu(None if kind == "floor" else clients.pid) - cpu) / custom * 1e6)
    out = {kind: {"error": errors[kind]} if kind in errors else _stream_summary(r) for kind, r in results.items()}
    for kind, per_event in cpus.items():
        if "error" not in out[kind]:  # the median repeat's server CPU per event (the floor's: this process's)
            out[kind]["cpu_us_per_event"] = sorted(per_event)[len(per_event) // 2]
    if "error" not in out["floor"]:
        out["floor"]["first_byte_ms"] = None  # no bytes: the floor reads the graph's chunks directly
    return out


V3_CHANNELS = ["lifecycle", "messages"]


def _root_end(event: dict[str, Any]) -> bool:
    return event.get("method") == "lifecycle" and event["params"]["namespace"] == [] and (
        event["params"]["data"]["event"] in ("completed", "failed"))


async def _v3_sse(clients: Clients, tokens: int) -> tuple[int, float, float]:
    """(message events, seconds to the first event, seconds to the run's end) from
    `run.start`, with the thread's SSE stream open before."""
    tid = new_id()
    messages = 0
    first = 0.0
    async with clients.raw.post(f"/threads/{tid}/stream/events", json={"channels": V3_CHANNELS}) as resp:
        start = time.perf_counter()
        command = {"id": 1, "method": "run.start", "params": {"assistant_id": "tokens", "input": {
            "messages": [{"role": "user", "content": "go"}], "count": tokens}}}
        async with clients.raw.post(f"/threads/{tid}/commands", json=command) as reply:
            assert reply.status == 200, await reply.text()
        async for line in resp.content:
            if not line.startswith(b"data: "):
                continue
            if not first:
                first = time.perf_counter() - start
            if line.startswith(b'data: {"type":"event","event_id":"') and b'"method":"messages"' in line[:200]:
                messages += 1
            elif b'"method":"lifecycle"' in line and _root_end(json.loads(line[6:])):
                return messages, first, time.perf_counter() - start
    raise StreamFailed("the v3 stream ended before the run did")


async def _v3_ws(clients: Clients, tokens: int) -> tuple[int, float, float]:
    """As `_v3_sse`, over the WebSocket (`run.start` sent on it)."""
    tid = new_id()
    messages = 0
    first = 0.0
    async with clients.raw.ws_connect(f"/threads/{tid}/stream/events") as ws:
        await ws.send_json({"id": 1, "method": "subscription.subscribe", "params": {"channels": V3_CHANNELS}})
        await ws.receive()
        start = time.perf_counter()
        await ws.send_json({"id": 2, "method": "run.start", "params": {"assistant_id": "tokens", "input": {
            "messages": [{"role": "user", "content": "go"}], "count": tokens}}})
        async for frame in ws:
            data = frame.data
            if '"type":"event"' not in data[:20]:
                continue
            if not first:
                first = time.perf_counter() - start
            if '"method":"messages"' in data[:200]:
                messages += 1
            elif '"method":"lifecycle"' in data and _root_end(json.loads(data)):
                return messages, first, time.perf_counter() - start
    raise StreamFailed("the socket closed before the run ended")


async def _classic_tokens(clients: Clients, tokens: int) -> tuple[int, float, float]:
    """The same run as a classic run stream (`messages-tuple`), from request to EOF."""
    payload = {"assistant_id": "tokens", "input": {"messages": [{"role": "user", "content": "go"}], "count": tokens},
               "stream_mode": ["messages-tuple"], "if_not_exists": "create"}
    start = time.perf_counter()
    first = 0.0
    messages = 0
    async with clients.raw.post(f"/threads/{new_id()}/runs/stream", json=payload) as resp:
        async for line in resp.content:
            if not first:
                first = time.perf_counter() - start
            if line.startswith(b"event: messages"):
                messages += 1
    return messages, first, time.perf_counter() - start


async def v3_streams(args: argparse.Namespace, clients: Clients) -> dict[str, Any]:
    kinds = {"classic SSE": _classic_tokens, "v3 SSE": _v3_sse, "v3 WebSocket": _v3_ws}
    for run in kinds.values():
        await run(clients, 100)  # warm-up
    results: dict[str, list[tuple[float, int, float, float]]] = {kind: [] for kind in kinds}
    for _ in range(args.sse_repeats):
        for kind, run in kinds.items():
            messages, first, seconds = await run(clients, args.tokens)
            results[kind].append((messages / seconds, messages, first, seconds))
    out = {}
    for kind, rows in results.items():
        rate, messages, first, seconds = sorted(rows)[len(rows) // 2]
        out[kind] = {"events_per_s": rate, "message_events": messages, "first_event_ms": first * 1e3, "seconds": seconds}
    return out


def _stream_summary(results: list[tuple[int, int, float, float]]) -> dict[str, Any]:
    """The median repeat by events/s."""
    rates = sorted((custom / seconds, custom, total, first, seconds) for custom, total, first, seconds in results)
    r, custom, total, first, seconds = rates[len(rates) // 2]
    return {
        "events_per_s": r, "custom_events": custom, "all_events": total, "seconds": seconds,
        "first_byte_ms": first * 1e3, "repeats": len(results), "all_events_per_s": [x[0] for x in rates],
    }


# output ---------------------------------------------------------------------------------------


def table(result: dict[str, Any]) -> str:
    meta = result["meta"]
    lines = [
        f"threadloom bench — storage: {meta['storage']}, {meta['cpus']} CPUs, Python {meta['python']}, "
        f"server --jobs {meta['jobs']}; sdk = langgraph_sdk {meta['sdk']} client, raw = aiohttp client",
    ]
    if "latency" in result:
        lat = result["latency"]
        lines += [
            "",
            f"runs/wait latency, ms ({meta['runs']} sequential runs, one client, after {meta['warmup']} warm-up, "
            f"in {meta['rounds']} alternating rounds)",
            "                                 p50     p90     p99  floor p50  floor p99  p50 ratio  cpu/run  floor cpu/run",
        ]
        labels = {"fresh": "fresh threads", "one": "one thread", "stateless": "stateless /runs/wait"}
        for scenario, label in labels.items():
            f = lat["floor"][scenario]
            for kind in ("sdk", "raw"):
                s = lat[kind][scenario]
                lines.append(
                    f"  {label:<21} {kind:<4} {s['p50_ms']:7.2f} {s['p90_ms']:7.2f} {s['p99_ms']:7.2f}"
                    f"  {f['p50_ms']:9.2f}  {f['p99_ms']:9.2f}  {s['p50_ms'] / f['p50_ms']:8.2f}x"
                    f"  {s['cpu_ms_per_run']:7.2f}  {f['cpu_ms_per_run']:13.2f}"
                )
        lines += [
            "  floor: graph.ainvoke in this process with the server's SqliteCheckpointer on a tmp file (with --db:"
            " LangGraph's AsyncPostgresSaver on that database), fresh or one",
            "  thread_id as the server; the stateless floor has no checkpointer (the server's stateless runs have none",
            "  either, but still write their thread and run records). cpu/run: ms of CPU, server process / floor process.",
        ]
    if "throughput" in result:
        tp = result["throughput"]
        lines += [
            "",
            f"throughput, runs/s (median of {meta['tp_rounds']} alternating rounds of {meta['tp_runs']} runs; a fresh thread "
            "per run; C clients, each run after run)",
            "  clients      sdk      raw    floor  floor/raw  cpu/run raw  floor cpu/run",
        ]
        for c in map(str, meta["concurrency"]):
            floor, raw = tp["floor"][c], tp["raw"][c]
            lines.append(
                f"  {c:>7}  {tp['sdk'][c]['runs_per_s']:7.0f}  {raw['runs_per_s']:7.0f}  {floor['runs_per_s']:7.0f}"
                f"  {floor['runs_per_s'] / raw['runs_per_s']:8.2f}x  {raw['cpu_ms_per_run']:11.2f}"
                f"  {floor['cpu_ms_per_run']:13.2f}"
            )
    if "sse" in result:
        sse = result["sse"]
        lines += [
            "",
            f"SSE, one stream, stream_mode=custom, {meta['events']} events (median of {meta['sse_repeats']} for raw, "
            "resumable and floor, 1 for sdk)",
            "                events/s  first byte ms   seconds  floor/server  cpu µs/event",
        ]
        floor = sse["floor"]
        for kind in ("raw", "resumable", "sdk", "floor"):
            s = sse[kind]
            if "error" in s or "error" in floor:
                lines.append(f"  {kind:<10}  " + (f"FAILED: {s['error']}" if "error" in s else f"{s['events_per_s']:10.0f}"))
                continue
            ratio = f"{floor['events_per_s'] / s['events_per_s']:11.2f}x" if kind != "floor" else f"{'':12}"
            first = f"{s['first_byte_ms']:13.1f}" if kind != "floor" else f"{'-':>13}"
            cpu = f"{s['cpu_us_per_event']:12.1f}" if "cpu_us_per_event" in s else ""
            lines.append(f"  {kind:<10}  {s['events_per_s']:10.0f}  {first}  {s['seconds']:8.3f}  {ratio}  {cpu}")
        lines.append("  floor: graph.astream(stream_mode='custom') in this process, same saver; raw counts `event:` lines;")
        lines.append("  resumable: raw with stream_resumable (its events persisted); cpu: the server process's (floor: this process's)")
    if "v3" in result:
        lines += [
            "",
            f"v3 thread streaming, one run of a model streaming {meta['tokens']} tokens (median of {meta['sse_repeats']})",
            "                   message events/s  first event ms  seconds",
        ]
        for kind, s in result["v3"].items():
            lines.append(f"  {kind:<14}  {s['events_per_s']:16.0f}  {s['first_event_ms']:14.1f}  {s['seconds']:7.3f}")
        lines.append("  v3: the thread's stream open first, timed from run.start; classic: from the request (first byte)")
    t = result["targets"]
    verdicts = []
    if "p50_ratio" in t:
        verdicts.append(
            f"worst stateful p50 ratio {t['p50_ratio']:.2f}x ({t['p50_worst']}) <= {TARGET_P50_RATIO}x: "
            f"{'PASS' if t['p50_ok'] else 'FAIL'}"
        )
    if "events_per_s" in t:
        verdicts.append(
            f"SSE {t['events_per_s']:.0f} events/s (raw) >= {TARGET_EVENTS_PER_S}: {'PASS' if t['sse_ok'] else 'FAIL'}"
        )
    if verdicts:
        lines += ["", "targets: " + ";  ".join(verdicts)]
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    import langgraph_sdk

    result: dict[str, Any] = {
        "meta": {
            "storage": "memory (tmp SQLite)" if args.memory else ("PostgreSQL" if args.db else "SQLite file"),
            "cpus": os.cpu_count(),
            "python": platform.python_version(), "sdk": langgraph_sdk.__version__, "jobs": args.jobs,
            "runs": args.runs, "warmup": args.warmup, "rounds": args.rounds, "concurrency": args.concurrency,
            "tp_runs": args.tp_runs, "tp_rounds": args.tp_rounds, "events": args.events, "sse_repeats": args.sse_repeats,
            "tokens": args.tokens,
        },
    }
    targets: dict[str, Any] = {}

    def note(msg: str) -> None:
        if not args.json:
            print(f"… {msg}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="threadloom-bench-") as tmpdir:
        note("starting the server")
        async with serve(args, tmpdir) as (url, pid):
            clients = Clients(url, pid, pool=max(args.concurrency) + 4)
            saver, close_saver = await floor_saver(args, tmpdir)
            echo, emit = load_graph("echo"), load_graph("emit")
            try:
                if "latency" in args.only:
                    note("latency")
                    lat = result["latency"] = await latency(args, clients, echo, saver)
                    # the target holds for both clients and both stateful scenarios
                    ratio, worst = max(
                        (lat[kind][scenario]["p50_ms"] / lat["floor"][scenario]["p50_ms"], f"{kind}, {scenario}")
                        for kind in ("sdk", "raw")
                        for scenario in ("fresh", "one")
                    )
                    targets.update(p50_ratio=ratio, p50_worst=worst, p50_ok=ratio <= TARGET_P50_RATIO)
                if "throughput" in args.only:
                    note("throughput")
                    result["throughput"] = await throughput(args, clients, echo, saver)
                if "v3" in args.only:
                    note("v3 streams")
                    result["v3"] = await v3_streams(args, clients)
                if "streams" in args.only:
                    note("streams")
                    sse = result["sse"] = await streams(args, clients, emit, saver)
                    rate = sse["raw"].get("events_per_s", 0.0)
                    targets.update(events_per_s=rate, sse_ok=rate >= TARGET_EVENTS_PER_S)
            finally:
                await close_saver()
                await clients.close()
    result["targets"] = targets
    return result


async def floor_saver(args: argparse.Namespace, tmpdir: str) -> tuple[Any, Callable[[], Awaitable[None]]]:
    """The floor's checkpointer, on the server's kind of storage, and how to close it."""
    if args.db:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        pool: Any = AsyncConnectionPool(
            args.db, min_size=1, max_size=max(args.concurrency) + 2, open=False,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        )
        await pool.open(wait=True)
        saver: Any = AsyncPostgresSaver(pool)
        await saver.setup()
        return saver, pool.close
    saver = await SqliteCheckpointer.open(os.path.join(tmpdir, "floor.sqlite"))
    return saver, saver.close


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=200, help="timed runs per latency scenario (default 200)")
    p.add_argument("--warmup", type=int, default=20, help="untimed runs before each latency scenario (default 20)")
    p.add_argument("--rounds", type=int, default=5, help="latency: alternate floor/sdk/raw blocks this many times (default 5)")
    p.add_argument("--concurrency", default="1,4,16", help="client counts for throughput (default 1,4,16)")
    p.add_argument("--tp-runs", type=int, default=120, help="runs per throughput round (default 120)")
    p.add_argument("--tp-rounds", type=int, default=3, help="throughput rounds per level, median kept (default 3)")
    p.add_argument("--events", type=int, default=50_000, help="custom events in the SSE stream (default 50000)")
    p.add_argument("--sse-repeats", type=int, default=3, help="timed streams for raw and floor (default 3)")
    p.add_argument("--jobs", type=int, default=0, help="server --jobs (default: the largest concurrency)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--memory", action="store_true", help="serve with --memory instead of a SQLite file")
    where.add_argument(
        "--db", help="serve on this postgresql:// database (its floor: LangGraph's AsyncPostgresSaver on it, in process)"
    )
    p.add_argument("--tokens", type=int, default=2_000, help="v3: tokens the model streams in one run (default 2000)")
    p.add_argument("--only", default="latency,throughput,streams,v3", help="sections to run (default all: latency,throughput,streams,v3)")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    args = p.parse_args(argv)
    args.concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    if args.db and not args.db.startswith(("postgresql://", "postgres://")):
        p.error("--db: a postgresql:// URL (the SQLite file is the default)")
    if not args.concurrency or min(args.concurrency) < 1:
        p.error("--concurrency: positive integers, comma-separated")
    args.jobs = args.jobs or max(args.concurrency)
    args.only = {part.strip() for part in args.only.split(",") if part.strip()}
    if not args.only or args.only - {"latency", "throughput", "streams", "v3"}:
        p.error("--only: any of latency, throughput, streams, v3, comma-separated")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    result = asyncio.run(main_async(args))
    print(json.dumps(_finite(result), indent=2) if args.json else table(result))


def _finite(value: Any) -> Any:
    """NaN (e.g. CPU where /proc is missing) as null, so the output is strict JSON."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


if __name__ == "__main__":
    main()
