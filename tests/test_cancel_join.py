"""Cancellation (reference §3.4, §3.6), joins and resumable streams (§5.7, §5.8, §5.10),
end to end through the real SDK (raw aiohttp where the SDK cannot say it)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
import support
from langgraph_sdk import get_client
from langgraph_sdk.errors import NotFoundError
from support import gone, items, seq, slow, status, tagged, until

TIMEOUT = support.TIMEOUT


async def settled(client, tid: str, rid: str) -> str:
    async def check() -> str | None:
        s = await status(client, tid, rid)
        return None if s in ("pending", "running") else s

    return await until(check)


async def collect(parts) -> list[tuple[str, Any, str | None]]:
    return [(p.event, p.data, p.id) async for p in parts]


def parse_sse(text: str) -> list[tuple[str, Any, str | None]]:
    """A raw SSE body as (event, data, id) triples (heartbeat comments skipped)."""
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line and not line.startswith(":"):
                key, _, value = line.partition(": ")
                fields[key] = value
        if "event" in fields:
            out.append((fields["event"], json.loads(fields["data"]), fields.get("id")))
    return out


# cancel ------------------------------------------------------------------------------------


async def test_cancel_without_wait_is_202_and_the_run_ends_interrupted(client, url):
    tid = (await client.threads.create())["thread_id"]
    run = await client.runs.create(tid, "slow", input=slow("a", 40))
    await tagged(client, tid, "a", 2)

    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/threads/{tid}/runs/{run['run_id']}/cancel", params={"wait": "0"}) as res:
            assert res.status == 202
            assert await res.read() == b""

    assert await settled(client, tid, run["run_id"]) == "interrupted"
    state = await client.threads.get_state(tid)
    kept = state["values"]["items"]
    assert len(kept) >= 2 and kept == seq("a", len(kept)) and len(kept) < 40
    assert state["next"] == ["step"]  # cancelled mid-graph
    thread = await client.threads.get(tid)
    assert thread["status"] == "interrupted"
    assert thread["error"] == {
        "error": "UserInterrupt",
        "message": "interrupt requested via POST /threads/{thread_id}/runs/{run_id}/cancel",  # (sic: official)
    }
    # a finished run cannot be cancelled again
    with pytest.raises(NotFoundError):
        await client.runs.cancel(tid, run["run_id"])


async def test_sdk_cancel_without_wait_returns_nothing(client):
    tid = (await client.threads.create())["thread_id"]
    run = await client.runs.create(tid, "slow", input=slow("a", 40))
    await tagged(client, tid, "a", 1)
    assert await client.runs.cancel(tid, run["run_id"]) is None
    assert await settled(client, tid, run["run_id"]) == "interrupted"


async def test_cancel_with_wait_returns_once_the_run_has_ended(client):
    tid = (await client.threads.create())["thread_id"]
    run = await client.runs.create(tid, "slow", input=slow("a", 40))
    await tagged(client, tid, "a", 2)
    body = await client.runs.cancel(tid, run["run_id"], wait=True)
    # already final when the answer arrives: no polling needed
    assert await status(client, tid, run["run_id"]) == "interrupted"
    assert (await client.threads.get(tid))["status"] == "interrupted"
    state = await client.threads.get_state(tid)
    # the body holds only what the run produced after the cancel (§5.10): usually nothing
    assert body == {} or body == state["values"]


async def test_cancel_with_rollback_restores_the_state_before_the_run(client):
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "slow", input=slow("p", 2, 0.01))
    before_state = await client.threads.get_state(tid)
    before_history = await client.threads.get_history(tid, limit=100)

    run = await client.runs.create(tid, "slow", input=slow("a", 40))
    await tagged(client, tid, "a", 2)
    assert await client.runs.cancel(tid, run["run_id"], action="rollback") is None
    await until(lambda: gone(client, tid, run["run_id"]))

    assert await client.threads.get_state(tid) == before_state
    assert await client.threads.get_history(tid, limit=100) == before_history
    assert len(await client.runs.list(tid)) == 1
    # Official quirk (§3.4): rolling back an unobserved running run leaves the thread
    # `busy` forever. Here it returns to the status of the restored state.
    thread = await client.threads.get(tid)
    assert thread["status"] == "idle"
    assert thread["values"] == before_state["values"]
    assert thread["error"] == {  # named as on the official server
        "error": "UserRollback", "message": "rollback requested via POST /threads/{thread_id}/runs/{run_id}/cancel"}


async def test_cancel_with_wait_and_rollback(client):
    tid = (await client.threads.create())["thread_id"]
    run = await client.runs.create(tid, "slow", input=slow("a", 40))
    await tagged(client, tid, "a", 2)
    body = await client.runs.cancel(tid, run["run_id"], wait=True, action="rollback")
    assert isinstance(body, dict)
    assert await gone(client, tid, run["run_id"])  # already deleted when the answer arrives
    # the thread had no state before the run, and has none after
    assert (await client.threads.get_state(tid))["values"] == {}
    assert await client.threads.get_history(tid) == []
    thread = await client.threads.get(tid)
    assert thread["status"] == "idle"  # not stuck at busy (official quirk, §3.4)
    assert await client.runs.list(tid) == []


async def test_after_a_rollback_the_thread_has_the_status_of_the_restored_state(client):
    """Deliberate difference (scripts/conformance/deliberate.py): the official server sets
    the thread `idle` after any rollback (it judges the status without a checkpoint);
    here it is the restored state's, `interrupted` when that state has a `next`."""
    tid = (await client.threads.create())["thread_id"]
    first = await client.runs.create(tid, "slow", input=slow("a", 40))
    await tagged(client, tid, "a", 1)
    await client.runs.cancel(tid, first["run_id"], wait=True)
    before = await client.threads.get_state(tid)
    assert before["next"] == ["step"]

    second = await client.runs.create(tid, "slow", input=slow("b", 40))
    await tagged(client, tid, "b", 1)
    await client.runs.cancel(tid, second["run_id"], wait=True, action="rollback")
    assert await client.threads.get_state(tid) == before
    thread = await client.threads.get(tid)
    assert (thread["status"], thread["values"]) == ("interrupted", before["values"])
    assert thread["error"]["error"] == "UserRollback"


async def test_cancel_a_pending_run_while_another_runs(client):
    tid = (await client.threads.create())["thread_id"]
    running = await client.runs.create(tid, "slow", input=slow("a", 8))
    pending = await client.runs.create(tid, "slow", input=slow("b", 2))
    doomed = await client.runs.create(tid, "slow", input=slow("c", 2))
    last = await client.runs.create(tid, "slow", input=slow("d", 2))
    await tagged(client, tid, "a", 1)

    await client.runs.cancel(tid, pending["run_id"])
    assert await status(client, tid, pending["run_id"]) == "interrupted"  # at once: it never started
    await client.runs.cancel(tid, doomed["run_id"], action="rollback")
    assert await gone(client, tid, doomed["run_id"])  # a pending run rolled back is deleted
    assert await status(client, tid, running["run_id"]) == "running"
    # Official quirk (§3.4): cancelling a pending run forces the thread to `idle` while
    # another run is still running. Here it stays busy.
    assert (await client.threads.get(tid))["status"] == "busy"

    await client.runs.join(tid, last["run_id"])
    assert await status(client, tid, running["run_id"]) == "success"
    assert await status(client, tid, last["run_id"]) == "success"
    assert await items(client, tid) == seq("a", 8) + seq("d", 2)
    assert (await client.threads.get(tid))["status"] == "idle"
    with pytest.raises(NotFoundError):
        await client.runs.cancel(tid, pending["run_id"])


async def test_cancel_the_only_pending_run_frees_the_thread(make_server):
    client = get_client(url=await make_server(jobs=1), api_key=None)
    try:
        other = (await client.threads.create())["thread_id"]
        await client.runs.create(other, "slow", input=slow("x", 6))
        await tagged(client, other, "x", 1)
        tid = (await client.threads.create())["thread_id"]
        run = await client.runs.create(tid, "slow", input=slow("a", 2))
        assert (await client.threads.get(tid))["status"] == "busy"
        assert await status(client, tid, run["run_id"]) == "pending"

        # (waiting for a global slot, it already belongs to its thread's execution, so the
        # cancel lands asynchronously like for a running run)
        await client.runs.cancel(tid, run["run_id"])
        assert await settled(client, tid, run["run_id"]) == "interrupted"
        assert (await client.threads.get(tid))["status"] == "idle"
        assert await client.threads.get_history(tid) == []
        assert (await client.threads.get_state(tid))["values"] == {}
    finally:
        await client.http.client.aclose()


async def test_cancel_of_finished_or_unknown_runs_is_404(client, url):
    tid = (await client.threads.create())["thread_id"]
    result = await client.runs.wait(tid, "counter", input={"log": []})
    assert result["count"] == 2
    [run] = await client.runs.list(tid)
    finished = (  # the official server's texts
        "No matching runs to cancel. Please verify the thread ID and run IDs are correct, "
        "and the runs haven't been deleted or completed."
    )
    async with aiohttp.ClientSession() as http:
        for action in ("interrupt", "rollback"):
            for wait in ("0", "1"):
                async with http.post(f"{url}/threads/{tid}/runs/{run['run_id']}/cancel", params={"wait": wait, "action": action}) as res:
                    assert (res.status, await res.json()) == (404, {"detail": finished})
        async with http.post(f"{url}/threads/{tid}/runs/01a20000-0000-7000-8000-000000000000/cancel") as res:
            assert (res.status, await res.json()) == (404, {"detail": "No runs found to cancel."})
    assert await status(client, tid, run["run_id"]) == "success"
    assert (await client.threads.get(tid))["status"] == "idle"


# join --------------------------------------------------------------------------------------


async def test_join_returns_the_last_values(client):
    tid = (await client.threads.create())["thread_id"]
    blocker = await client.runs.create(tid, "slow", input=slow("x", 3))
    run = await client.runs.create(tid, "slow", input=slow("y", 2))  # pending behind it
    assert await status(client, tid, run["run_id"]) == "pending"
    expected = {"items": seq("x", 3) + seq("y", 2), **slow("y", 2)}
    assert await client.runs.join(tid, run["run_id"]) == expected
    assert await status(client, tid, blocker["run_id"]) == "success"
    # joining a finished run answers from the thread
    assert await client.runs.join(tid, run["run_id"]) == expected

    other = (await client.threads.create())["thread_id"]
    run = await client.runs.create(other, "counter", input={"log": ["s"]})
    assert await client.runs.join(other, run["run_id"]) == {"log": ["s", "first", "second"], "count": 2}


async def test_join_of_a_failed_run_returns_the_error(client):
    tid = (await client.threads.create())["thread_id"]
    run = await client.runs.create(tid, "failing", input={})
    # the SDK's join does not raise: the error comes back as the body
    assert await client.runs.join(tid, run["run_id"]) == {"__error__": {"error": "ValueError", "message": "kaboom"}}
    assert await status(client, tid, run["run_id"]) == "error"
    # and after the fact, from the thread's error
    assert await client.runs.join(tid, run["run_id"]) == {"__error__": {"error": "ValueError", "message": "kaboom"}}
    # whereas wait raises client-side
    with pytest.raises(Exception, match="ValueError: kaboom"):
        await client.runs.wait(tid, "failing", input={})


async def test_join_stream_of_a_live_run_gets_the_remaining_events(client):
    tid = (await client.threads.create())["thread_id"]
    full: list[Any] = []
    run_ids: list[str] = []

    async def consume() -> None:
        async for part in client.runs.stream(tid, "slow", input=slow("a", 10), stream_mode=["values", "updates"]):
            full.append((part.event, part.data, part.id))
            if part.event == "metadata":
                run_ids.append(part.data["run_id"])

    creator = asyncio.create_task(consume())
    await tagged(client, tid, "a", 3)
    joined = await asyncio.wait_for(collect(client.runs.join_stream(tid, run_ids[0])), TIMEOUT)
    await asyncio.wait_for(creator, TIMEOUT)

    assert full[0][0] == "metadata" and full[-1][1]["items"] == seq("a", 10)
    assert 0 < len(joined) < len(full)
    assert joined == full[-len(joined):]  # the tail: nothing lost, nothing twice
    assert all(i is None for _, _, i in full)  # not resumable: no ids (as the official server)


async def test_join_stream_of_a_finished_run_is_empty(client):
    tid = (await client.threads.create())["thread_id"]
    run = await client.runs.create(tid, "counter", input={"log": []})
    await client.runs.join(tid, run["run_id"])
    assert await asyncio.wait_for(collect(client.runs.join_stream(tid, run["run_id"])), TIMEOUT) == []


# resumable streams ------------------------------------------------------------------------


async def _resumable_run(client, tid: str, steps: int = 6) -> tuple[str, list[tuple[str, Any, str | None]]]:
    full = await collect(
        client.runs.stream(tid, "slow", input=slow("a", steps, 0.01), stream_mode=["values", "updates"], stream_resumable=True)
    )
    assert full[0][0] == "metadata"
    return full[0][1]["run_id"], full


async def test_resumable_replay_from_the_start_and_from_the_middle(client, url):
    tid = (await client.threads.create())["thread_id"]
    rid, full = await _resumable_run(client, tid)
    assert [e for e, _, _ in full] == ["metadata", "values"] + ["updates", "values"] * 6
    ids = [i for _, _, i in full]
    # Official quirk (§5.6): ids are "<epoch-ms>-0" and collide within a millisecond, so
    # resuming may skip events. Here every event has its own, increasing id.
    assert all(ids) and len(set(ids)) == len(ids)
    assert [int(i) for i in ids] == sorted(int(i) for i in ids)

    for last in ("-1", "0", "-"):
        replay = await asyncio.wait_for(collect(client.runs.join_stream(tid, rid, last_event_id=last)), TIMEOUT)
        assert replay == full, last
    for k in (0, 1, 5, len(full) - 2, len(full) - 1):
        replay = await asyncio.wait_for(collect(client.runs.join_stream(tid, rid, last_event_id=ids[k])), TIMEOUT)
        assert replay == full[k + 1 :], k

    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/threads/{tid}/runs/{rid}/stream", headers={"Last-Event-ID": "-1"}) as res:
            assert res.status == 200
            assert res.headers["Content-Type"].startswith("text/event-stream")
            assert parse_sse(await asyncio.wait_for(res.text(), TIMEOUT)) == full
    # without Last-Event-ID a finished run has nothing more to send
    assert await asyncio.wait_for(collect(client.runs.join_stream(tid, rid)), TIMEOUT) == []


async def test_resumable_join_of_a_live_run_replays_then_follows(client):
    tid = (await client.threads.create())["thread_id"]
    run = await client.runs.create(tid, "slow", input=slow("a", 10), stream_mode=["values"], stream_resumable=True)
    await tagged(client, tid, "a", 3)
    live = await asyncio.wait_for(collect(client.runs.join_stream(tid, run["run_id"], last_event_id="-1")), TIMEOUT)
    assert await status(client, tid, run["run_id"]) == "success"
    assert live[0] == ("metadata", {"run_id": run["run_id"], "attempt": 1}, live[0][2])
    assert [e for e, _, _ in live] == ["metadata"] + ["values"] * 11
    assert [d["items"] for _, d, _ in live[1:]] == [seq("a", n) for n in range(11)]
    # the same as a full replay after the end
    after = await asyncio.wait_for(collect(client.runs.join_stream(tid, run["run_id"], last_event_id="-1")), TIMEOUT)
    assert after == live


async def test_resume_in_the_middle_of_a_live_run(client):
    tid = (await client.threads.create())["thread_id"]
    run = await client.runs.create(tid, "slow", input=slow("a", 10), stream_mode=["values"], stream_resumable=True)
    await tagged(client, tid, "a", 2)
    head: list[Any] = []
    async for part in client.runs.join_stream(tid, run["run_id"], last_event_id="-1"):
        head.append((part.event, part.data, part.id))
        if len(head) == 3:
            break  # drop the connection mid-run, then come back from the last id seen
    rest = await asyncio.wait_for(collect(client.runs.join_stream(tid, run["run_id"], last_event_id=head[-1][2])), TIMEOUT)
    full = await asyncio.wait_for(collect(client.runs.join_stream(tid, run["run_id"], last_event_id="-1")), TIMEOUT)
    assert head + rest == full
    assert full[-1][1]["items"] == seq("a", 10)


async def test_a_join_with_stream_mode_sends_only_those_modes(client):
    """Replayed or live, a join's `stream_mode` lets through its modes and nothing else:
    not `metadata`, not `error` (as the official server)."""
    tid = (await client.threads.create())["thread_id"]
    rid, full = await _resumable_run(client, tid)

    async def replay(**kwargs: Any) -> list[tuple[str, Any, str | None]]:
        return await asyncio.wait_for(collect(client.runs.join_stream(tid, rid, last_event_id="-1", **kwargs)), TIMEOUT)

    assert await replay(stream_mode="updates") == [p for p in full if p[0] == "updates"]
    assert await replay(stream_mode=["updates", "values"]) == full[1:]  # both named, unlike the official (the last)
    assert await replay(stream_mode="metadata") == full[:1]
    assert await replay(stream_mode="messages") == []

    run = await client.runs.create(tid, "slow", input=slow("b", 10), stream_mode=["values", "updates"])
    await tagged(client, tid, "b", 3)
    live = await asyncio.wait_for(collect(client.runs.join_stream(tid, run["run_id"], stream_mode="updates")), TIMEOUT)
    assert live and all(e == "updates" for e, _, _ in live)
    failing = await client.runs.create(tid, "failing", input={"delay": 0.5}, stream_mode=["values"])
    live = await asyncio.wait_for(collect(client.runs.join_stream(tid, failing["run_id"], stream_mode="values")), TIMEOUT)
    assert all(e == "values" for e, _, _ in live)  # the run's `error` event is not one of them
    assert await settled(client, tid, failing["run_id"]) == "error"


MISSING_RUN = {"error": "HTTPException", "message": "404: Run not found"}


async def test_joining_a_missing_run_answers_200_with_the_error(client, url):
    """As on the official server: the join stream sends one `error` event (so the SDK's
    `join_stream` yields it instead of raising), the JSON join the error as its result.
    A run of another thread, or of a thread that does not exist, is as missing."""
    tid = (await client.threads.create())["thread_id"]
    other = (await client.threads.create())["thread_id"]
    elsewhere = (await client.runs.create(other, "counter", input={}))["run_id"]
    missing = "00000000-0000-4000-8000-000000000000"
    for thread_id, run_id in ((tid, missing), (tid, elsewhere), (missing, elsewhere)):
        parts = await asyncio.wait_for(collect(client.runs.join_stream(thread_id, run_id)), TIMEOUT)
        assert parts == [("error", MISSING_RUN, None)]
        assert await client.runs.join(thread_id, run_id) == {"__error__": MISSING_RUN}

    run_path = f"/threads/{tid}/runs/{missing}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}{run_path}/stream", headers={"Last-Event-ID": "-1"}) as res:
            assert res.status == 200
            assert {k: res.headers[k] for k in ("Content-Type", "Cache-Control", "X-Accel-Buffering", "Location", "Content-Location")} == {
                "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", "X-Accel-Buffering": "no",
                "Location": f"{run_path}/stream", "Content-Location": run_path,
            }
            assert await res.read() == b'event: error\r\ndata: {"error":"HTTPException","message":"404: Run not found"}\r\n\r\n'
        async with http.get(f"{url}{run_path}/join") as res:
            assert (res.status, res.headers["Location"], res.headers["Content-Location"]) == (200, f"{run_path}/join", run_path)
            assert await res.json() == {"__error__": MISSING_RUN}
        async with http.get(f"{url}/threads/{tid}/runs/not-a-uuid/stream") as res:  # still a 422 before any stream
            assert (res.status, await res.json()) == (422, {"detail": "Invalid run ID: must be a UUID"})


# disconnects -------------------------------------------------------------------------------


async def _drop_stream_after(url: str, path: str, n_values: int, **body: Any) -> str:
    """Open a run stream with raw aiohttp, read `n_values` values events, hang up.
    Returns the run id."""
    async with aiohttp.ClientSession() as http:
        res = await http.post(f"{url}{path}", json=body) if body else await http.get(f"{url}{path}")
        assert res.status == 200
        run_id = res.headers["Content-Location"].rsplit("/", 1)[1]
        seen = 0
        while seen < n_values:
            line = await asyncio.wait_for(res.content.readline(), TIMEOUT)
            assert line, "stream ended early"
            seen += line.startswith(b"event: values")
        res.close()
    return run_id


async def test_on_disconnect_cancel_interrupts_the_run(client, url):
    tid = (await client.threads.create())["thread_id"]
    rid = await _drop_stream_after(
        url, f"/threads/{tid}/runs/stream", 2, assistant_id="slow", input=slow("a", 40), on_disconnect="cancel"
    )
    assert await settled(client, tid, rid) == "interrupted"
    kept = await items(client, tid)
    assert 1 <= len(kept) < 40 and kept == seq("a", len(kept))
    thread = await client.threads.get(tid)
    assert thread["status"] == "interrupted"
    assert thread["error"]["message"] == "client disconnected from the run stream (on_disconnect=cancel)"


async def test_on_disconnect_continue_is_the_default(client, url):
    tid = (await client.threads.create())["thread_id"]
    rid = await _drop_stream_after(url, f"/threads/{tid}/runs/stream", 2, assistant_id="slow", input=slow("a", 6))
    assert await settled(client, tid, rid) == "success"
    assert await items(client, tid) == seq("a", 6)


async def test_join_stream_cancel_on_disconnect(client, url):
    tid = (await client.threads.create())["thread_id"]
    run = await client.runs.create(tid, "slow", input=slow("a", 40))
    rid = run["run_id"]
    await _drop_stream_after(url, f"/threads/{tid}/runs/{rid}/stream?cancel_on_disconnect=true", 1)
    assert await settled(client, tid, rid) == "interrupted"
    # without the flag a joiner hanging up changes nothing
    run = await client.runs.create(tid, "slow", input=slow("b", 5))
    await _drop_stream_after(url, f"/threads/{tid}/runs/{run['run_id']}/stream", 1)
    assert await settled(client, tid, run["run_id"]) == "success"
