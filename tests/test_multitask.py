"""multitask_strategy (double texting), reference §3.2–3.5: reject, enqueue, interrupt and
rollback, end to end through the real SDK against a real server and real graphs."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import support
from langgraph_sdk import get_client
from langgraph_sdk.errors import ConflictError, NotFoundError
from support import items, seq, slow, status, tagged, until

TIMEOUT = support.TIMEOUT


# reject ------------------------------------------------------------------------------------


async def test_reject_while_running_is_409_and_creates_nothing(client):
    tid = (await client.threads.create())["thread_id"]
    first = await client.runs.create(tid, "slow", input=slow("a", 4))
    await tagged(client, tid, "a", 1)
    assert await status(client, tid, first["run_id"]) == "running"

    with pytest.raises(ConflictError) as err:
        await client.runs.create(tid, "slow", input=slow("b", 1), multitask_strategy="reject")
    assert err.value.response.json() == {
        "detail": "Thread is already running a task. Wait for it to finish or choose a different multitask strategy."
    }
    # the other run-creating endpoints reject the same way, before any streaming starts
    # (the SDK's wait goes through request_reconnect, which raises a plain httpx error)
    with pytest.raises(httpx.HTTPStatusError) as err:
        await client.runs.wait(tid, "slow", input=slow("b", 1), multitask_strategy="reject")
    assert err.value.response.status_code == 409
    with pytest.raises(ConflictError):
        async for _ in client.runs.stream(tid, "slow", input=slow("b", 1), multitask_strategy="reject"):
            pass

    runs = await client.runs.list(tid)
    assert [r["run_id"] for r in runs] == [first["run_id"]]

    await client.runs.join(tid, first["run_id"])
    assert await status(client, tid, first["run_id"]) == "success"
    # nothing in flight any more: reject lets the run through
    result = await client.runs.wait(tid, "slow", input=slow("b", 1), multitask_strategy="reject")
    assert result["items"] == seq("a", 4) + seq("b", 1)
    assert len(await client.runs.list(tid)) == 2


async def test_reject_while_pending_is_409(make_server):
    # one global slot: a run on a second thread stays pending while the first one runs
    url = await make_server(jobs=1)
    client = get_client(url=url, api_key=None)
    try:
        busy = (await client.threads.create())["thread_id"]
        blocker = await client.runs.create(busy, "slow", input=slow("x", 4))
        await tagged(client, busy, "x", 1)

        tid = (await client.threads.create())["thread_id"]
        pending = await client.runs.create(tid, "slow", input=slow("a", 1))
        assert await status(client, tid, pending["run_id"]) == "pending"
        assert (await client.threads.get(tid))["status"] == "busy"

        with pytest.raises(ConflictError):
            await client.runs.create(tid, "slow", input=slow("b", 1), multitask_strategy="reject")
        assert [r["run_id"] for r in await client.runs.list(tid)] == [pending["run_id"]]

        await client.runs.join(tid, pending["run_id"])
        assert await status(client, busy, blocker["run_id"]) == "success"
        assert await status(client, tid, pending["run_id"]) == "success"
        assert await items(client, tid) == seq("a", 1)
    finally:
        await client.http.client.aclose()


# enqueue -----------------------------------------------------------------------------------


async def test_enqueue_is_fifo_and_one_run_at_a_time_per_thread(client):
    tid = (await client.threads.create())["thread_id"]
    created = []
    for i in range(25):
        run = await client.runs.create(tid, "slow", input=slow(f"r{i}", 2, 0.005))  # enqueue is the default
        assert run["multitask_strategy"] == "enqueue"
        created.append(run["run_id"])

    # every snapshot of the thread's runs (one query each) shows at most one running
    snapshots = []

    async def all_done() -> bool:
        runs = await client.runs.list(tid, limit=100)
        snapshots.append([r["status"] for r in runs])
        return all(r["status"] not in ("pending", "running") for r in runs)

    await until(all_done, timeout=60, every=0.005)
    assert all(s.count("running") <= 1 for s in snapshots), [s for s in snapshots if s.count("running") > 1]
    assert any("pending" in s for s in snapshots)  # they really were queued behind each other

    runs = await client.runs.list(tid, limit=100)
    assert [r["run_id"] for r in reversed(runs)] == created  # newest first
    assert {r["status"] for r in runs} == {"success"}
    assert await items(client, tid) == [x for i in range(25) for x in seq(f"r{i}", 2)]
    assert (await client.threads.get(tid))["status"] == "idle"


def _run_spans(history: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """run_id → (first, last) checkpoint timestamp of that run, from a thread's history."""
    spans: dict[str, list[str]] = {}
    for cp in history:
        rid = cp["metadata"].get("run_id")
        if rid:
            spans.setdefault(rid, []).append(cp["created_at"])
    return {rid: (min(ts), max(ts)) for rid, ts in spans.items()}


async def _spans_of_parallel_runs(client, n: int) -> list[tuple[str, str]]:
    """Start one slow run on each of `n` threads at once; their checkpoint time spans."""
    tids = [(await client.threads.create())["thread_id"] for _ in range(n)]
    runs = await asyncio.gather(*(client.runs.create(t, "slow", input=slow(t[-4:], 4, 0.1)) for t in tids))
    for t, r in zip(tids, runs):
        await asyncio.wait_for(client.runs.join(t, r["run_id"]), TIMEOUT)
        assert await status(client, t, r["run_id"]) == "success"
        assert await items(client, t) == seq(t[-4:], 4)
    spans = []
    for t, r in zip(tids, runs):
        [span] = _run_spans(await client.threads.get_history(t, limit=100)).values()
        spans.append(span)
    return spans


async def test_runs_on_different_threads_run_concurrently(client):
    spans = await _spans_of_parallel_runs(client, 3)
    # every run's first checkpoint comes before every other run's last one: they overlapped
    assert max(start for start, _ in spans) < min(end for _, end in spans), spans


async def test_one_job_runs_one_run_at_a_time_across_threads(make_server):
    client = get_client(url=await make_server(jobs=1), api_key=None)
    try:
        spans = sorted(await _spans_of_parallel_runs(client, 3))
        # the spans do not overlap: each run started after the previous one ended
        for (_, end), (start, _) in zip(spans, spans[1:]):
            assert end < start, spans
    finally:
        await client.http.client.aclose()


# interrupt ---------------------------------------------------------------------------------


async def test_interrupt_cancels_running_and_pending_runs_keeping_checkpoints(client):
    tid = (await client.threads.create())["thread_id"]
    events: list[Any] = []

    async def consume() -> None:
        async for part in client.runs.stream(tid, "slow", input=slow("a", 40), stream_mode="values"):
            events.append(part)

    old_stream = asyncio.create_task(consume())
    written = await tagged(client, tid, "a", 2)
    assert written == seq("a", len(written))
    runs = await client.runs.list(tid)
    [old] = runs
    queued = await client.runs.create(tid, "slow", input=slow("q", 2))
    assert await status(client, tid, queued["run_id"]) == "pending"

    new = await client.runs.create(tid, "slow", input=slow("c", 2), multitask_strategy="interrupt")
    # the old run's SSE just ends: no error event
    await asyncio.wait_for(old_stream, TIMEOUT)
    assert events[0].event == "metadata" and events[0].data["run_id"] == old["run_id"]
    assert {e.event for e in events[1:]} == {"values"}

    await client.runs.join(tid, new["run_id"])
    assert await status(client, tid, old["run_id"]) == "interrupted"
    assert await status(client, tid, queued["run_id"]) == "interrupted"
    assert await status(client, tid, new["run_id"]) == "success"

    final = await items(client, tid)
    kept = [i for i in final if i.startswith("a:")]
    assert len(kept) >= 2 and kept == seq("a", len(kept))  # what the old run wrote stays
    assert len(kept) < 40
    assert final == kept + seq("c", 2)  # the queued run never ran
    # the stream saw exactly the states the old run checkpointed
    assert events[-1].data["items"] == kept
    assert (await client.threads.get(tid))["status"] == "idle"


# rollback ----------------------------------------------------------------------------------


def _without_run(history: list[dict[str, Any]], run_id: str) -> list[tuple[str, Any]]:
    return [(cp["checkpoint_id"], cp["values"]) for cp in history if cp["metadata"].get("run_id") != run_id]


async def test_rollback_deletes_the_running_run_and_its_checkpoints(client):
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "slow", input=slow("p", 2, 0.01))
    [first] = await client.runs.list(tid)
    before_state = await client.threads.get_state(tid)
    before_history = await client.threads.get_history(tid, limit=100)

    old = await client.runs.create(tid, "slow", input=slow("a", 40))
    await tagged(client, tid, "a", 2)
    queued = await client.runs.create(tid, "slow", input=slow("q", 2))

    new = await client.runs.create(tid, "slow", input=slow("c", 2), multitask_strategy="rollback")
    await client.runs.join(tid, new["run_id"])

    for gone in (old, queued):
        with pytest.raises(NotFoundError):
            await client.runs.get(tid, gone["run_id"])
    assert [r["run_id"] for r in await client.runs.list(tid)] == [new["run_id"], first["run_id"]]
    assert await status(client, tid, new["run_id"]) == "success"

    after = await client.threads.get_history(tid, limit=100)
    assert not [cp for cp in after if cp["metadata"].get("run_id") == old["run_id"]]
    # take the new run's checkpoints away and what is left is exactly the history before
    assert _without_run(after, new["run_id"]) == [(cp["checkpoint_id"], cp["values"]) for cp in before_history]
    # and the new run continued from the state before the old run
    new_cps = [cp for cp in after if cp["metadata"].get("run_id") == new["run_id"]]
    assert new_cps[-1]["parent_checkpoint"]["checkpoint_id"] == before_state["checkpoint"]["checkpoint_id"]
    assert await items(client, tid) == seq("p", 2) + seq("c", 2)
    assert (await client.threads.get(tid))["status"] == "idle"


async def test_rollback_deletes_a_pending_run_even_while_it_is_streamed(client):
    tid = (await client.threads.create())["thread_id"]
    old = await client.runs.create(tid, "slow", input=slow("a", 40))
    await tagged(client, tid, "a", 1)
    seen: list[Any] = []

    async def consume() -> None:
        async for part in client.runs.stream(tid, "slow", input=slow("q", 2), stream_mode="values"):
            seen.append(part)

    waiting = asyncio.create_task(consume())

    async def queued() -> str | None:
        runs = await client.runs.list(tid)
        return runs[0]["run_id"] if len(runs) == 2 and runs[0]["status"] == "pending" else None

    queued_id = await until(queued)
    new = await client.runs.create(tid, "slow", input=slow("c", 2), multitask_strategy="rollback")
    # the waiting stream ends cleanly (the SDK finds the run gone and does not reconnect)
    await asyncio.wait_for(waiting, TIMEOUT)
    assert seen == []
    # Official difference (§3.2): a pending run that someone is streaming is marked
    # `interrupted` instead of deleted. Here rollback deletes it either way.
    with pytest.raises(NotFoundError):
        await client.runs.get(tid, queued_id)
    await client.runs.join(tid, new["run_id"])
    with pytest.raises(NotFoundError):
        await client.runs.get(tid, old["run_id"])
    assert await items(client, tid) == seq("c", 2)
    assert [r["run_id"] for r in await client.runs.list(tid)] == [new["run_id"]]


async def test_interrupt_and_rollback_on_an_idle_thread_just_run(client):
    tid = (await client.threads.create())["thread_id"]
    for strategy in ("interrupt", "rollback"):
        result = await client.runs.wait(tid, "slow", input=slow(strategy, 2, 0.01), multitask_strategy=strategy)
        assert result["items"][-2:] == seq(strategy, 2)
    assert {r["status"] for r in await client.runs.list(tid)} == {"success"}
    assert await items(client, tid) == seq("interrupt", 2) + seq("rollback", 2)
