"""Streams that survive restarts (reference §5.7, §9.3, which the official server does
not do): the event log of a resumable run is persisted, so a client that comes back with
`Last-Event-ID` after the server was killed gets exactly what it missed, then the live
events of the resumed run, and the stream of a finished run ends. Ids go on across the
restart. Retention is bounded; history that is gone is announced by an `evicted` event.
As on the official server, a replay sends only the run's mode events and `metadata`:
`error`, `feedback` and legacy `messages/*` events are live only (not stored either)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from conftest import make_app
from langgraph_sdk import get_client
from pgtest import Databases, rows
from serverproc import ServerProcess

from threadloom.actors.modes import replayable
from threadloom.server.storage import eventchunks
from threadloom.actors.streams import Retention, StreamRegistry

TIMEOUT = 60
Part = tuple[str, Any, "str | None"]


def slow(steps: int, delay: float = 0.05) -> dict[str, Any]:
    return {"steps": steps, "delay": delay, "tag": "t"}


def items(steps: int) -> list[str]:
    return [f"t:{i}" for i in range(steps)]


async def sse(resp: aiohttp.ClientResponse) -> AsyncIterator[Part]:
    """(event, data, id) as they arrive; a connection that dies just ends the iteration."""
    fields: dict[str, str] = {}
    with contextlib.suppress(aiohttp.ClientError):
        async for raw in resp.content:
            line = raw.decode().rstrip("\r\n")
            if line.startswith(":"):
                continue
            if line:
                key, _, value = line.partition(": ")
                fields[key] = value
            elif "event" in fields:
                yield fields["event"], json.loads(fields["data"]), fields.get("id")
                fields = {}


async def join(http: aiohttp.ClientSession, url: str, tid: str, rid: str, last_id: str | None) -> list[Part]:
    headers = {} if last_id is None else {"Last-Event-ID": last_id}
    async with http.get(f"{url}/threads/{tid}/runs/{rid}/stream", headers=headers) as resp:
        assert resp.status == 200
        return await asyncio.wait_for(_all(sse(resp)), TIMEOUT)


async def _all(parts: AsyncIterator[Any]) -> list[Any]:
    return [p async for p in parts]


async def sdk_parts(parts: AsyncIterator[Any]) -> list[Part]:
    return await asyncio.wait_for(_all(_triples(parts)), TIMEOUT)


async def _triples(parts: AsyncIterator[Any]) -> AsyncIterator[Part]:
    async for p in parts:
        yield p.event, p.data, p.id


def assert_one_whole_log(full: list[Part], run_id: str, steps: int, attempts: list[int]) -> None:
    """Ids 1..n without a gap, a `metadata` event per attempt, every step done once."""
    assert [int(i) for _, _, i in full] == list(range(1, len(full) + 1))
    assert [d for e, d, _ in full if e == "metadata"] == [{"run_id": run_id, "attempt": a} for a in attempts]
    values = [d for e, d, _ in full if e == "values"]
    assert values[-1]["items"] == items(steps)


# across a real process restart ---------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill", "term"])
async def test_restart_mid_stream_then_resume_from_the_last_id_seen(database: Databases, tmp_path: Path, sig: signal.Signals) -> None:
    db = database(tmp_path / "db.sqlite")
    server = ServerProcess(db, "--shutdown-grace", "0")
    url = await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            tid = (await (await http.post(f"{url}/threads", json={})).json())["thread_id"]
            body = {"assistant_id": "slow", "input": slow(40), "stream_mode": ["values", "updates"], "stream_resumable": True}
            first: list[Part] = []
            async with http.post(f"{url}/threads/{tid}/runs/stream", json=body) as resp:
                rid = resp.headers["Content-Location"].rsplit("/", 1)[1]
                async for part in sse(resp):
                    first.append(part)
                    if len(first) == 8:
                        # and read on: whatever the server sent before it died counts too
                        await server.signal(sig)
            assert len(first) >= 8

            server = ServerProcess(db)
            url = await server.start()
            second = await join(http, url, tid, rid, first[-1][2])
            full = await join(http, url, tid, rid, "-1")

        assert first + second == full  # nothing lost, nothing twice
        # a run handed back at shutdown does not count the interrupted attempt
        assert_one_whole_log(full, rid, 40, attempts=[1, 1] if sig == signal.SIGTERM else [1, 2])
    finally:
        await server.kill()


async def test_sdk_join_stream_with_last_event_id_after_sigkill(database: Databases, tmp_path: Path) -> None:
    db = database(tmp_path / "db.sqlite")
    server = ServerProcess(db)
    client = get_client(url=await server.start(), api_key=None)
    try:
        tid = (await client.threads.create())["thread_id"]
        head: list[Part] = []
        stream = client.runs.stream(tid, "slow", input=slow(30), stream_mode=["values"], stream_resumable=True)
        async with contextlib.aclosing(stream) as parts:
            async for part in parts:
                head.append((part.event, part.data, part.id))
                if len(head) == 5:
                    break
        rid = head[0][1]["run_id"]
        await server.kill()
        await client.http.client.aclose()

        server = ServerProcess(db)
        client = get_client(url=await server.start(), api_key=None)
        rest = await sdk_parts(client.runs.join_stream(tid, rid, last_event_id=head[-1][2]))
        full = await sdk_parts(client.runs.join_stream(tid, rid, last_event_id="-1"))
        assert head + rest == full
        assert_one_whole_log(full, rid, 30, attempts=[1, 2])
        assert (await client.runs.get(tid, rid))["status"] == "success"
    finally:
        await client.http.client.aclose()
        await server.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_the_sdk_reconnects_by_itself_across_a_restart(database: Databases, tmp_path: Path) -> None:
    """One `join_stream` spanning a SIGKILL and a restart on the same port: the SDK
    reconnects with the last id it saw and the stream goes on where it was."""
    db, port = database(tmp_path / "db.sqlite"), _free_port()
    server = ServerProcess(db, "--port", str(port))
    client = get_client(url=await server.start(), api_key=None)
    try:
        tid = (await client.threads.create())["thread_id"]
        run = await client.runs.create(tid, "slow", input=slow(40), stream_mode=["values"], stream_resumable=True)
        seen: list[Part] = []
        enough = asyncio.Event()

        async def follow() -> None:
            async for part in client.runs.join_stream(tid, run["run_id"], last_event_id="-1"):
                seen.append((part.event, part.data, part.id))
                if len(seen) == 6:
                    enough.set()

        follower = asyncio.create_task(follow())
        await asyncio.wait_for(enough.wait(), TIMEOUT)
        await server.kill()
        server = ServerProcess(db, "--port", str(port))
        await server.start()
        await asyncio.wait_for(follower, TIMEOUT)
        full = await sdk_parts(client.runs.join_stream(tid, run["run_id"], last_event_id="-1"))
        assert seen == full
        assert_one_whole_log(full, run["run_id"], 40, attempts=[1, 2])
    finally:
        await client.http.client.aclose()
        await server.kill()


async def test_a_run_queued_at_the_crash_streams_whole_after_the_restart(database: Databases, tmp_path: Path) -> None:
    db = database(tmp_path / "db.sqlite")
    server = ServerProcess(db)
    client = get_client(url=await server.start(), api_key=None)
    try:
        tid = (await client.threads.create())["thread_id"]
        first = await client.runs.create(tid, "slow", input=slow(30), stream_resumable=True)
        queued = await client.runs.create(tid, "slow", input={**slow(3, 0.01), "tag": "q"}, stream_resumable=True)
        head = []
        async with contextlib.aclosing(client.runs.join_stream(tid, first["run_id"], last_event_id="-1")) as parts:
            async for part in parts:
                head.append(part)
                if len(head) == 3:
                    break
        await server.kill()
        await client.http.client.aclose()

        server = ServerProcess(db)
        client = get_client(url=await server.start(), api_key=None)
        full = await sdk_parts(client.runs.join_stream(tid, queued["run_id"], last_event_id="-1"))
        assert [int(i) for _, _, i in full] == list(range(1, len(full) + 1))
        assert [d for e, d, _ in full if e == "metadata"] == [{"run_id": queued["run_id"], "attempt": 1}]
        assert full[-1][1]["items"][-3:] == ["q:0", "q:1", "q:2"]
    finally:
        await client.http.client.aclose()
        await server.kill()


# finished runs after a restart (in process) ----------------------------------------------------


class Served:
    """A server on a database file that can be stopped and started again, in process."""

    def __init__(self, db: Path | str | None) -> None:
        self.db = str(db)
        self.server: TestServer | None = None
        self.url = ""

    async def start(self, **settings: Any) -> str:
        self.server = TestServer(make_app(db=self.db, **settings))
        await self.server.start_server()
        self.url = str(self.server.make_url("")).rstrip("/")
        return self.url

    async def restart(self, **settings: Any) -> str:
        await self.stop()
        return await self.start(**settings)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None


@pytest.fixture
async def served(database: Databases, tmp_path: Path) -> AsyncIterator[Served]:
    s = Served(database(tmp_path / "db.sqlite"))
    yield s
    await s.stop()


async def _streamed_run(http: aiohttp.ClientSession, url: str, tid: str, steps: int, *, resumable: bool = True) -> tuple[str, list[Part]]:
    body = {"assistant_id": "slow", "input": slow(steps, 0.01), "stream_mode": ["values"], "stream_resumable": resumable}
    async with http.post(f"{url}/threads/{tid}/runs/stream", json=body) as resp:
        rid = resp.headers["Content-Location"].rsplit("/", 1)[1]
        return rid, await asyncio.wait_for(_all(sse(resp)), TIMEOUT)


async def _thread(http: aiohttp.ClientSession, url: str) -> str:
    return (await (await http.post(f"{url}/threads", json={})).json())["thread_id"]


async def test_a_finished_run_replays_from_storage_and_ends(served: Served) -> None:
    url = await served.start()
    async with aiohttp.ClientSession() as http:
        tid = await _thread(http, url)
        rid, streamed = await _streamed_run(http, url, tid, 6)
        plain, _ = await _streamed_run(http, url, tid, 2, resumable=False)
        url = await served.restart()

        assert await join(http, url, tid, rid, "-1") == streamed
        for last in ("0", "-"):
            assert await join(http, url, tid, rid, last) == streamed
        for k in (0, 3, len(streamed) - 1):
            assert await join(http, url, tid, rid, streamed[k][2]) == streamed[k + 1 :]
        assert await join(http, url, tid, rid, None) == []  # nothing more will come
        assert await join(http, url, tid, plain, "-1") == []  # not resumable: nothing kept
        # no such run: an error event, as the official server (the thread id is no run's)
        missing_run = [("error", {"error": "HTTPException", "message": "404: Run not found"}, None)]
        assert await join(http, url, tid, tid, "-1") == missing_run

    client = get_client(url=url, api_key=None)
    try:
        assert await sdk_parts(client.runs.join_stream(tid, rid, last_event_id=streamed[2][2])) == streamed[3:]
        assert await sdk_parts(client.runs.join_stream(tid, tid, last_event_id="-1")) == missing_run
    finally:
        await client.http.client.aclose()


async def test_ids_go_on_after_a_graceful_restart_mid_run(served: Served) -> None:
    """A run handed back at shutdown numbers its next attempt's events after its last."""
    url = await served.start()
    async with aiohttp.ClientSession() as http:
        tid = await _thread(http, url)
        body = {"assistant_id": "slow", "input": slow(20), "stream_mode": ["values"], "stream_resumable": True}
        head: list[Part] = []
        async with http.post(f"{url}/threads/{tid}/runs/stream", json=body) as resp:
            rid = resp.headers["Content-Location"].rsplit("/", 1)[1]
            async for part in sse(resp):
                head.append(part)
                if len(head) == 4:
                    break
        url = await served.restart()
        rest = await join(http, url, tid, rid, head[-1][2])
        full = await join(http, url, tid, rid, "-1")
    assert head + rest == full
    assert [int(i) for _, _, i in full] == list(range(1, len(full) + 1))
    assert full[-1][1]["items"] == items(20)


# retention -----------------------------------------------------------------------------------


async def test_history_beyond_the_per_run_cap_is_announced_as_evicted(served: Served) -> None:
    url = await served.start(resumable_events=5)
    async with aiohttp.ClientSession() as http:
        tid = await _thread(http, url)
        rid, streamed = await _streamed_run(http, url, tid, 10)
        assert len(streamed) == 12  # metadata + 11 values

        # in memory: whatever the ring still holds, announced first
        live = await join(http, url, tid, rid, "-1")
        assert live[0][0] == "evicted" and live[0][2] is None
        first = live[0][1]["first_available"]
        assert live[0][1] == {"first_available": first, "requested_after": 0} and 1 < first <= 8
        assert live[1:] == streamed[first - 1 :]

        url = await served.restart(resumable_events=5)  # storage keeps exactly the last 5
        evicted = ("evicted", {"first_available": 8, "requested_after": 3}, None)
        assert await join(http, url, tid, rid, "3") == [evicted, *streamed[7:]]
        assert (await join(http, url, tid, rid, "-1"))[0][1] == {"first_available": 8, "requested_after": 0}
        assert await join(http, url, tid, rid, "7") == streamed[7:]  # nothing missing: no announcement
        assert await join(http, url, tid, rid, "10") == streamed[10:]


async def test_finished_logs_are_kept_for_the_newest_runs_and_for_a_while(served: Served) -> None:
    url = await served.start()
    async with aiohttp.ClientSession() as http:
        tid = await _thread(http, url)
        older, older_events = await _streamed_run(http, url, tid, 2)
        newer, newer_events = await _streamed_run(http, url, tid, 2)

        url = await served.restart(stream_retention=Retention(keep_runs=1))  # a sweep runs at start
        gone = ("evicted", {"first_available": len(older_events) + 1, "requested_after": 0}, None)
        assert await join(http, url, tid, older, "-1") == [gone]
        assert await join(http, url, tid, newer, "-1") == newer_events

        url = await served.restart(stream_retention=Retention(seconds=0))
        gone = ("evicted", {"first_available": len(newer_events) + 1, "requested_after": 2}, None)
        assert await join(http, url, tid, newer, "2") == [gone]
        # asking for nothing that is gone needs no announcement
        assert await join(http, url, tid, newer, str(len(newer_events))) == []


def _stored(db: str) -> dict[str, int]:
    """Persisted events per run, read from the database file itself."""
    stored: dict[str, int] = {}
    for run_id, data, last_seq in rows(db, "SELECT run_id, data, last_seq FROM run_events"):
        stored[run_id] = stored.get(run_id, 0) + eventchunks.count([(data, last_seq)])
    return stored


async def test_only_resumable_runs_are_persisted_and_their_logs_go_with_them(served: Served) -> None:
    url = await served.start()
    async with aiohttp.ClientSession() as http:
        tid = await _thread(http, url)
        rid, streamed = await _streamed_run(http, url, tid, 3)
        plain, _ = await _streamed_run(http, url, tid, 3, resumable=False)
        assert _stored(served.db) == {rid: len(streamed)}  # complete when the stream ended
        assert plain not in _stored(served.db)
        async with http.delete(f"{url}/threads/{tid}") as resp:
            assert resp.status == 204
        assert _stored(served.db) == {}


# what a replay leaves out (§5.7) ------------------------------------------------------------

ERROR = ("error", {"error": "ValueError", "message": "kaboom"})
LEGACY = {"messages/metadata", "messages/partial", "messages/complete"}


def _head(db: str, run_id: str) -> int:
    """The persisted log's head (the last seq it numbered, stored or not)."""
    return int(rows(db, "SELECT last_seq FROM run_logs WHERE run_id = ?", (run_id,))[0][0])  # type: ignore[call-overload]


def _named(parts: list[Part]) -> list[tuple[str, Any]]:
    return [(e, d) for e, d, _ in parts]


async def _stream_body(http: aiohttp.ClientSession, url: str, tid: str, body: dict[str, Any]) -> tuple[str, list[Part]]:
    async with http.post(f"{url}/threads/{tid}/runs/stream", json={**body, "stream_resumable": True}) as resp:
        rid = resp.headers["Content-Location"].rsplit("/", 1)[1]
        return rid, await asyncio.wait_for(_all(sse(resp)), TIMEOUT)


def test_a_replay_sends_the_run_s_modes_and_metadata_only() -> None:
    keep = replayable(["values", "updates", "messages-tuple", "custom", "debug", "tasks", "checkpoints", "events"])
    for name in ("metadata", "values", "values|child:1", "updates|a:1|b:2", "messages", "messages|child:1",
                 "custom", "debug|child:1", "tasks", "checkpoints|child:1", "events"):
        assert keep(name), name
    for name in ("error", "feedback", "evicted", *LEGACY):
        assert not keep(name), name
    only_values = replayable(["values"])
    assert only_values("values|child:1") and only_values("metadata")
    assert not any(map(only_values, ("updates", "messages", "events", "debug", "error")))
    legacy = replayable(["messages"])  # the legacy mode's events are never replayed
    assert not any(map(legacy, LEGACY))


async def test_a_failed_run_is_replayed_without_its_error(served: Served) -> None:
    """useStream keeps a failed run in sessionStorage and rejoins it with `Last-Event-ID:
    -1` on every reload: the replay must end without an `error` (the thread's state holds
    the task's error), from memory as from storage, while the live stream had it."""
    url = await served.start()
    async with aiohttp.ClientSession() as http:
        tid = await _thread(http, url)
        body = {"assistant_id": "failing", "input": {"secret": False}, "stream_mode": ["values", "updates"]}
        rid, live = await _stream_body(http, url, tid, body)
        assert _named(live) == [("metadata", {"run_id": rid, "attempt": 1}), ("values", {"secret": False}), ERROR]
        assert [int(i) for _, _, i in live] == [1, 2, 3]
        replayed = live[:-1]

        assert await join(http, url, tid, rid, "-1") == replayed  # from memory
        assert await join(http, url, tid, rid, live[1][2]) == []
        assert await join(http, url, tid, rid, live[2][2]) == []
        assert _stored(served.db) == {rid: 2}  # the error is not stored...
        assert _head(served.db, rid) == 3  # ...but numbered: a resumed run would go on after it
        async with http.get(f"{url}/threads/{tid}/runs/{rid}") as resp:
            assert (await resp.json())["status"] == "error"

        url = await served.restart()
        for last in ("-1", "0", "-"):
            assert await join(http, url, tid, rid, last) == replayed, last  # from storage
        assert await join(http, url, tid, rid, live[2][2]) == []
        async with http.get(f"{url}/threads/{tid}/runs/{rid}") as resp:
            assert (await resp.json())["status"] == "error"
        async with http.get(f"{url}/threads/{tid}") as resp:
            thread = await resp.json()
        assert thread["status"] == "error"
        assert thread["error"] == ERROR[1]
        async with http.get(f"{url}/threads/{tid}/runs/{rid}/join") as resp:  # /join still says why
            assert await resp.json() == {"__error__": ERROR[1]}


async def test_a_join_before_the_failure_gets_the_error_live(served: Served) -> None:
    """Only the past is filtered: an `error` published after the join is live, for a join
    with `Last-Event-ID` as for one without."""
    url = await served.start()
    async with aiohttp.ClientSession() as http:
        tid = await _thread(http, url)
        body = {"assistant_id": "failing", "input": {"delay": 1.0}, "stream_mode": ["values"], "stream_resumable": True}
        async with http.post(f"{url}/threads/{tid}/runs/stream", json=body) as resp:
            rid = resp.headers["Content-Location"].rsplit("/", 1)[1]
            parts = sse(resp)
            head = [await anext(parts), await anext(parts)]  # metadata, values: the node sleeps now
            resumed, plain, rest = await asyncio.gather(
                join(http, url, tid, rid, "-1"), join(http, url, tid, rid, None), asyncio.wait_for(_all(parts), TIMEOUT)
            )
        assert _named(head) == [("metadata", {"run_id": rid, "attempt": 1}), ("values", {"delay": 1.0})]
        assert _named(rest) == [ERROR]
        assert resumed == head + rest  # the past replayed, then the error live, with the same ids
        assert plain == rest
        assert await join(http, url, tid, rid, "-1") == head  # once it is past: not replayed


@pytest.mark.parametrize(
    ("graph", "body"),
    [
        ("chat", {"input": {"messages": [{"role": "user", "content": "hi there"}]}, "stream_mode": ["values", "messages", "messages-tuple"]}),
        ("talker", {"input": {"messages": [{"role": "user", "content": "hi"}]}, "stream_mode": ["updates", "messages", "messages-tuple"], "stream_subgraphs": True}),
    ],
)
async def test_legacy_messages_events_are_live_only(served: Served, graph: str, body: dict[str, Any]) -> None:
    """`messages/metadata|partial|complete` are streamed live but neither stored nor
    replayed; the `messages-tuple` mode's `messages` (and `messages|ns`) events are."""
    url = await served.start()
    async with aiohttp.ClientSession() as http:
        tid = await _thread(http, url)
        rid, live = await _stream_body(http, url, tid, {"assistant_id": graph, **body})
        live_names = {e for e, _, _ in live}
        assert {"messages/metadata", "messages/partial"} <= live_names
        assert "messages" in live_names
        if graph == "talker":
            assert "messages/complete" in live_names
            assert any(e.startswith("messages|inner:") for e in live_names)
            assert any(e.startswith("updates|inner:") for e in live_names)
        ids = [int(i) for _, _, i in live]
        assert ids == list(range(1, len(live) + 1))
        kept = [p for p in live if p[0] not in LEGACY]
        assert kept[0][0] == "metadata" and len(kept) < len(live)

        assert await join(http, url, tid, rid, "-1") == kept  # from memory
        assert _stored(served.db) == {rid: len(kept)}
        assert _head(served.db, rid) == len(live)
        # a client whose last event was a legacy one resumes right after it
        k = max(i for i, p in enumerate(live) if p[0] == "messages/partial")
        rest = [p for p in live[k + 1 :] if p[0] not in LEGACY]
        assert await join(http, url, tid, rid, live[k][2]) == rest

        url = await served.restart()
        assert await join(http, url, tid, rid, "-1") == kept  # from storage
        assert await join(http, url, tid, rid, live[k][2]) == rest


async def test_replay_leaves_out_the_same_events_without_a_store() -> None:
    """The in-memory registry (no `RunEventStore`) keeps every event in its ring for live
    readers; its replay leaves out the same ones."""
    streams = StreamRegistry(buffer=10, resumable_capacity=10, keep_finished=10)
    log = streams.open("r", resumable=True, modes=["values"])
    for name in ("metadata", "values", "updates", "messages/partial", "values|child:1", "error"):
        log.publish(name, b"{}")
    log.close()
    streams.finished("r")
    every = [e.name for batch in [b async for b in log.subscribe(0)] for e in batch]
    assert every[-1] == "error"
    replay = await streams.replay("r", 0, ["values"])
    assert replay.source is not None and replay.evicted is None
    got = [(e.seq, e.name) for batch in [b async for b in replay.source.subscribe(replay.after)] for e in batch]
    assert got == [(1, "metadata"), (2, "values"), (5, "values|child:1")]
