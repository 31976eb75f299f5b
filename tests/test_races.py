"""Races: concurrent submissions to one thread, cancellation while a run is writing
checkpoints, cancelling queued runs while another runs, and a subscriber that never reads
(reference §3.2, §3.6, §9.4–9.5; DESIGN "Rules that make it correct")."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
from typing import Any

import aiohttp
import support
from langgraph_sdk import get_client
from langgraph_sdk.errors import ConflictError
from support import gone, items, seq, status, until

TIMEOUT = support.TIMEOUT


def slow(tag: str, steps: int, delay: float = 0.01) -> dict[str, Any]:
    """Races want many checkpoints close together."""
    return support.slow(tag, steps, delay)


def groups(values: list[str]) -> list[tuple[str, list[str]]]:
    """Consecutive items grouped by tag: [("r0", ["r0:0", "r0:1"]), ...]."""
    return [(tag, list(g)) for tag, g in itertools.groupby(values, key=lambda i: i.split(":")[0])]


def parse_sse(raw: bytes) -> list[tuple[str, Any]]:
    out = []
    for block in raw.decode().replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if line and not line.startswith(":"))
        if "event" in fields:
            out.append((fields["event"], json.loads(fields["data"])))
    return out


# concurrent submissions -------------------------------------------------------------------


async def test_concurrent_reject_lets_exactly_one_run_in(url, client):
    other = get_client(url=url, api_key=None)  # a second client, on its own connections
    try:
        tid = (await client.threads.create())["thread_id"]
        results = await asyncio.gather(
            *(
                (client if i % 2 else other).runs.create(tid, "slow", input=slow(f"r{i}", 2), multitask_strategy="reject")
                for i in range(10)
            ),
            return_exceptions=True,
        )
        won = [r for r in results if isinstance(r, dict)]
        lost = [r for r in results if not isinstance(r, dict)]
        assert len(won) == 1, results
        assert len(lost) == 9 and all(isinstance(e, ConflictError) for e in lost), lost
        assert [r["run_id"] for r in await client.runs.list(tid)] == [won[0]["run_id"]]
        await client.runs.join(tid, won[0]["run_id"])
        assert await status(client, tid, won[0]["run_id"]) == "success"
        assert await items(client, tid) == seq(won[0]["kwargs"]["input"]["tag"], 2)
    finally:
        await other.http.client.aclose()


async def test_concurrent_enqueue_accepts_all_and_runs_them_in_order(url, client):
    other = get_client(url=url, api_key=None)
    try:
        tid = (await client.threads.create())["thread_id"]
        runs = await asyncio.gather(
            *((client if i % 2 else other).runs.create(tid, "slow", input=slow(f"r{i}", 2, 0.005)) for i in range(10))
        )
        assert len({r["run_id"] for r in runs}) == 10
        by_tag = {r["kwargs"]["input"]["tag"]: r for r in runs}

        async def all_done() -> bool:
            listed = await client.runs.list(tid, limit=100)
            assert sum(r["status"] == "running" for r in listed) <= 1
            return all(r["status"] == "success" for r in listed)

        await until(all_done)
        final = await items(client, tid)
        # each run wrote its items whole, one run after the other, in the order the
        # server accepted them
        order = [tag for tag, _ in groups(final)]
        assert sorted(order) == sorted(by_tag)
        assert all(g == seq(tag, 2) for tag, g in groups(final))
        accepted = sorted(runs, key=lambda r: r["created_at"])
        assert order == [r["kwargs"]["input"]["tag"] for r in accepted]
        assert (await client.threads.get(tid))["status"] == "idle"
    finally:
        await other.http.client.aclose()


# cancellation while checkpointing ---------------------------------------------------------

POINTS = [0, 0.001, 0.003, 0.006, 0.01, 0.02, 0.035, 0.05, 0.08, 0.12]


async def _snapshot(client, tid: str) -> tuple[Any, Any, str]:
    return (
        await client.threads.get_state(tid),
        await client.threads.get_history(tid, limit=1000),
        (await client.threads.get(tid))["status"],
    )


async def test_rollback_cancel_at_any_point_restores_the_exact_state(client):
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "slow", input=slow("p", 2, 0.001))
    before = await _snapshot(client, tid)
    for i, point in enumerate(POINTS):
        run = await client.runs.create(tid, "slow", input=slow(f"r{i}", 40))
        await asyncio.sleep(point)
        await client.runs.cancel(tid, run["run_id"], wait=True, action="rollback")
        assert await gone(client, tid, run["run_id"]), point
        assert await _snapshot(client, tid) == before, point
    assert len(await client.runs.list(tid)) == 1


async def test_interrupt_cancel_at_any_point_keeps_a_consistent_prefix(client):
    tid = (await client.threads.create())["thread_id"]
    expected: list[str] = []
    for i, point in enumerate(POINTS):
        run = await client.runs.create(tid, "slow", input=slow(f"r{i}", 40))
        await asyncio.sleep(point)
        await client.runs.cancel(tid, run["run_id"], wait=True)
        assert await status(client, tid, run["run_id"]) == "interrupted"
        state = await client.threads.get_state(tid)
        values = list((state["values"] or {}).get("items", []))
        assert values[: len(expected)] == expected, point
        mine = values[len(expected) :]
        assert mine == seq(f"r{i}", len(mine)) and len(mine) < 40, point
        expected = values
        thread = await client.threads.get(tid)
        # the thread follows its last checkpoint, never stays busy
        assert thread["status"] == ("interrupted" if state["next"] else "idle"), point
        assert (thread["values"] or {}) == state["values"]
        # the history agrees with the state: its head is the current checkpoint
        history = await client.threads.get_history(tid, limit=1)
        assert history[0]["checkpoint_id"] == state["checkpoint"]["checkpoint_id"] if history else not state["values"]


async def test_a_chain_of_rollback_runs_leaves_only_the_last(client):
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "slow", input=slow("p", 2, 0.001))
    [first] = await client.runs.list(tid)
    _, before_history, _ = await _snapshot(client, tid)

    runs = [await client.runs.create(tid, "slow", input=slow("r0", 40))]
    for i, point in enumerate(POINTS[1:], start=1):
        await asyncio.sleep(point)
        steps = 2 if i == len(POINTS) - 1 else 40
        runs.append(await client.runs.create(tid, "slow", input=slow(f"r{i}", steps), multitask_strategy="rollback"))
    last = runs[-1]
    await asyncio.wait_for(client.runs.join(tid, last["run_id"]), TIMEOUT)

    assert await status(client, tid, last["run_id"]) == "success"
    for run in runs[:-1]:
        assert await gone(client, tid, run["run_id"])
    assert [r["run_id"] for r in await client.runs.list(tid)] == [last["run_id"], first["run_id"]]
    assert await items(client, tid) == seq("p", 2) + seq(f"r{len(POINTS) - 1}", 2)
    history = await client.threads.get_history(tid, limit=1000)
    assert {cp["metadata"].get("run_id") for cp in history} == {first["run_id"], last["run_id"]}
    assert [cp for cp in history if cp["metadata"]["run_id"] == first["run_id"]] == before_history
    assert (await client.threads.get(tid))["status"] == "idle"


async def test_a_chain_of_interrupt_runs_keeps_ordered_prefixes(client):
    tid = (await client.threads.create())["thread_id"]
    runs = [await client.runs.create(tid, "slow", input=slow("r0", 40))]
    for i, point in enumerate(POINTS[1:], start=1):
        await asyncio.sleep(point)
        steps = 2 if i == len(POINTS) - 1 else 40
        runs.append(await client.runs.create(tid, "slow", input=slow(f"r{i}", steps), multitask_strategy="interrupt"))
    last = runs[-1]
    await asyncio.wait_for(client.runs.join(tid, last["run_id"]), TIMEOUT)

    assert await status(client, tid, last["run_id"]) == "success"
    for run in runs[:-1]:
        assert await status(client, tid, run["run_id"]) == "interrupted"
    final = await items(client, tid)
    found = groups(final)
    # each run wrote a prefix of its own sequence, in run order, never interleaved
    tags = [tag for tag, _ in found]
    assert tags == [f"r{i}" for i in range(len(POINTS)) if f"r{i}" in tags]
    assert len(set(tags)) == len(tags)
    for tag, got in found:
        assert got == seq(tag, len(got))
    assert found[-1] == (f"r{len(POINTS) - 1}", seq(f"r{len(POINTS) - 1}", 2))
    assert (await client.threads.get(tid))["status"] == "idle"


async def test_cancelling_queued_runs_while_another_runs_and_more_arrive(client):
    tid = (await client.threads.create())["thread_id"]
    a = await client.runs.create(tid, "slow", input=slow("a", 10))
    b = await client.runs.create(tid, "slow", input=slow("b", 2))
    c = await client.runs.create(tid, "slow", input=slow("c", 2))
    await until(lambda: _is(client, tid, a["run_id"], "running"))
    _, d, _, e = await asyncio.gather(
        client.runs.cancel(tid, b["run_id"]),
        client.runs.create(tid, "slow", input=slow("d", 2)),
        client.runs.cancel(tid, c["run_id"], action="rollback"),
        client.runs.create(tid, "slow", input=slow("e", 2)),
    )
    await asyncio.wait_for(client.runs.join(tid, e["run_id"]), TIMEOUT)
    await asyncio.wait_for(client.runs.join(tid, d["run_id"]), TIMEOUT)
    assert await status(client, tid, a["run_id"]) == "success"
    assert await status(client, tid, b["run_id"]) == "interrupted"
    assert await gone(client, tid, c["run_id"])
    assert await status(client, tid, d["run_id"]) == "success"
    assert await status(client, tid, e["run_id"]) == "success"
    order = [tag for tag, _ in groups(await items(client, tid))]
    assert order[0] == "a" and sorted(order[1:]) == ["d", "e"]
    assert order[1:] == [r["kwargs"]["input"]["tag"] for r in sorted([d, e], key=lambda r: r["created_at"])]
    assert (await client.threads.get(tid))["status"] == "idle"


async def _is(client, tid: str, rid: str, wanted: str) -> bool:
    return await status(client, tid, rid) == wanted


# slow subscribers -------------------------------------------------------------------------


def _tiny_receive_buffer(addr_info: Any) -> socket.socket:
    """A client socket that accepts little before the server has to wait for it."""
    family, type_, proto, _, _ = addr_info
    sock = socket.socket(family=family, type=type_, proto=proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


async def _queued_run(client, tid: str, graph: str, input: dict[str, Any]) -> str:
    """A run that waits behind a short one, so that subscribers can join before it starts."""
    await client.runs.create(tid, "slow", input=slow("x", 3, 0.1))
    run = await client.runs.create(tid, graph, input=input, stream_mode=["custom"])
    assert await status(client, tid, run["run_id"]) == "pending"
    return run["run_id"]


async def test_a_subscriber_that_never_reads_blocks_no_one(url, client):
    tid = (await client.threads.create())["thread_id"]
    rid = await _queued_run(client, tid, "custom", {"count": 10_000})
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(socket_factory=_tiny_receive_buffer)) as http:
        stalled = await http.get(f"{url}/threads/{tid}/runs/{rid}/stream")  # never read until the end
        assert stalled.status == 200

        events, result = await asyncio.wait_for(
            asyncio.gather(
                _parts(client.runs.join_stream(tid, rid)),
                client.runs.join(tid, rid),
            ),
            TIMEOUT,
        )
        full = [("metadata", {"run_id": rid, "attempt": 1})] + [("custom", {"i": i}) for i in range(10_000)]
        assert events == full
        assert result["sent"] == 10_000
        assert await status(client, tid, rid) == "success"

        # the stalled subscriber, read at last, got the same events: 10,001 fit in the buffer
        assert parse_sse(await asyncio.wait_for(stalled.read(), TIMEOUT)) == full
        stalled.close()


async def test_a_subscriber_that_falls_too_far_behind_gets_an_overflow_error(make_server):
    # Events of ~1 KB, 10 MB in all: far more than socket buffers hold, so the stalled
    # subscriber falls behind by more than the 2,000 events a subscriber may lag.
    url = await make_server(stream_buffer=2_000)
    client = get_client(url=url, api_key=None)
    try:
        tid = (await client.threads.create())["thread_id"]
        rid = await _queued_run(client, tid, "burst", {"count": 10_000, "size": 1_000, "batch": 10})
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(socket_factory=_tiny_receive_buffer)) as http:
            stalled = await http.get(f"{url}/threads/{tid}/runs/{rid}/stream")
            assert stalled.status == 200
            events = await asyncio.wait_for(_parts(client.runs.join_stream(tid, rid)), TIMEOUT)
            assert [e for e, _ in events] == ["metadata"] + ["custom"] * 10_000
            assert [d["i"] for _, d in events[1:]] == list(range(10_000))
            assert await status(client, tid, rid) == "success"

            late = parse_sse(await asyncio.wait_for(stalled.read(), TIMEOUT))
            stalled.close()
        *prefix, (name, error) = late
        assert prefix == events[: len(prefix)] and len(prefix) < len(events)
        assert name == "error" and error["error"] == "StreamOverflow"
        assert (await client.threads.get(tid))["values"]["sent"] == 10_000
    finally:
        await client.http.client.aclose()


async def _parts(parts) -> list[tuple[str, Any]]:
    return [(p.event, p.data) async for p in parts]
