"""Streams of a thread across the processes of a cluster (issue 13, item 3): a thread
stream, or a v3 stream over SSE or a WebSocket, opened on any process sees every run of
the thread, whichever process the run was made on."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import aiohttp
import pytest

from clusterproc import Cluster, until
from support import seq, slow, tagged
from v3support import command


async def _thread_stream(client: Any, tid: str, runs: int) -> list[tuple[str, Any]]:
    """The thread stream's events until `runs` runs are done."""
    seen: list[tuple[str, Any]] = []
    stream = await client.threads.join_stream(tid, stream_mode=["run_modes", "lifecycle"])
    async with contextlib.aclosing(stream) as parts:
        async for part in parts:
            seen.append((part.event, part.data))
            if sum(1 for e, d in seen if e == "metadata" and d.get("status") == "run_done") == runs:
                return seen
    return seen


async def test_a_thread_stream_on_an_unsupervised_thread_sees_runs_made_on_every_process(cluster: Cluster) -> None:
    """Nobody supervises a thread not made yet: the process its stream is opened on
    becomes its owner while the stream is open, so what the others are asked about the
    thread (its creation, its runs) is sent to it."""
    p1, p2, p3 = cluster.clients
    tid = str(uuid.uuid4())
    watching = asyncio.create_task(_thread_stream(p3, tid, runs=2))
    await until(lambda: cluster.owner_url(tid) is not None, 10, "the stream's process owning the thread")
    assert cluster.index_of(cluster.owner_url(tid)) == 2
    await p1.threads.create(thread_id=tid)
    first = await p1.runs.create(tid, "slow", input=slow("a", 3, delay=0.01))
    second = await p2.runs.create(tid, "slow", input=slow("b", 3, delay=0.01))
    seen = await asyncio.wait_for(watching, 30)
    started = [d["run_id"] for e, d in seen if e == "metadata" and "attempt" in d]
    assert started == [first["run_id"], second["run_id"]]
    values = [d for e, d in seen if e == "values"]
    assert values[-1]["items"] == seq("a", 3) + seq("b", 3)


async def test_a_thread_stream_is_served_by_the_owner_of_a_busy_thread(cluster: Cluster) -> None:
    p1, p2, p3 = cluster.clients
    tid = (await p1.threads.create())["thread_id"]
    busy = await p1.runs.create(tid, "slow", input=slow("a", 20, delay=0.05))
    await until(lambda: cluster.owner_url(tid) is not None, 10, "an owner")
    watching = asyncio.create_task(_thread_stream(p2, tid, runs=2))
    await tagged(p3, tid, "a", 1)
    later = await p3.runs.create(tid, "slow", input=slow("b", 2, delay=0.01))
    seen = await asyncio.wait_for(watching, 30)
    done = [d["run_id"] for e, d in seen if e == "metadata" and d.get("status") == "run_done"]
    assert done == [busy["run_id"], later["run_id"]]
    assert cluster.index_of(cluster.owner_url(tid)) == 0


@pytest.mark.parametrize("transport", ["sse", "websocket"])
async def test_a_v3_stream_on_a_process_that_does_not_own_the_thread_joins_its_run(
    cluster: Cluster, transport: str,
) -> None:
    """The thread's first v3 stream, on P1, makes P1 its owner; a second one opened on
    P2 (a WebSocket included) is P1's, passed through with the commands it sends."""
    p1, p2, p3 = cluster.clients
    async with p1.threads.stream(assistant_id="slow", transport=transport) as first:
        await first.run.start(input=slow("j", 30, delay=0.02))
        await tagged(p3, first.thread_id, "j", 2)
        async with p2.threads.stream(first.thread_id, assistant_id="slow", transport=transport) as joined:
            output = await asyncio.wait_for(joined.output, 30)
        assert await first.output == output
    assert output["items"] == seq("j", 30)
    assert cluster.index_of(cluster.owner_url(first.thread_id)) == 0


@pytest.mark.parametrize("transport", ["sse", "websocket"])
async def test_a_v3_stream_on_a_new_thread_sees_a_run_made_on_another_process(cluster: Cluster, transport: str) -> None:
    p1, p2, _ = cluster.clients
    tid = str(uuid.uuid4())
    async with p2.threads.stream(tid, assistant_id="slow", transport=transport) as thread:
        await until(lambda: cluster.owner_url(tid) is not None, 10, "the stream's process owning the thread")
        async with aiohttp.ClientSession() as http:  # a v3 run, started on P1
            await command(http, cluster.servers[0].url, tid, "run.start", {"assistant_id": "slow", "input": slow("n", 3, 0.01)})
        # the stream sees the run's steps; `thread.output` alone would not show it: with
        # no run seen yet, the SDK answers it from the thread's state, which may still
        # be the empty one of a thread whose run has not begun
        assert await asyncio.wait_for(_values_until(thread, seq("n", 3)), 30) == seq("n", 3)
        assert (await asyncio.wait_for(thread.output, 30))["items"] == seq("n", 3)
    assert cluster.index_of(cluster.owner_url(tid)) == 1


async def _values_until(thread: Any, items: list[str]) -> list[str]:
    async for snapshot in thread.values:
        if (snapshot or {}).get("items") == items:
            return items
    return []
