"""Runs: background runs and their reads, /wait and /join, cancel, multitask strategies,
resumable streams and joins, stateless runs, and bad run requests.

The official dev server runs one run at a time and starts a pending run within about half
a second; every step here waits for the state it needs (never a fixed sleep), and what
depends on how far a cancelled run got is masked.
"""

from __future__ import annotations

import uuid

from ..recording import Target
from .base import background_run, new_thread, scenario, slow_input, stream

COUNTER = {"assistant_id": "counter", "input": {"log": ["go"]}}


@scenario("runs: background run, get, list, join, wait, delete")
async def background(t: Target) -> None:
    tid = await new_thread(t)
    rid = await background_run(t, "create run", tid, {**COUNTER, "metadata": {"who": "me"}})
    await t.wait_run(tid, rid)
    await t.http("get run", "GET", f"/threads/{tid}/runs/{rid}")
    await t.http("join finished run", "GET", f"/threads/{tid}/runs/{rid}/join")
    await t.http("wait for a new run", "POST", f"/threads/{tid}/runs/wait", json=COUNTER)
    await t.http("list runs", "GET", f"/threads/{tid}/runs")
    await t.http("list runs, limit 1", "GET", f"/threads/{tid}/runs", params={"limit": "1"})
    await t.http("list runs, status success", "GET", f"/threads/{tid}/runs", params={"status": "success"})
    await t.http("list runs, select", "GET", f"/threads/{tid}/runs", params={"select": "run_id"})
    await t.http("thread after runs", "GET", f"/threads/{tid}")
    await t.http("delete run", "DELETE", f"/threads/{tid}/runs/{rid}")
    await t.http("get deleted run", "GET", f"/threads/{tid}/runs/{rid}")
    await t.http("delete it again", "DELETE", f"/threads/{tid}/runs/{rid}")
    await t.http("list runs of a missing thread", "GET", f"/threads/{uuid.uuid4()}/runs")
    await t.http("get run of a missing thread", "GET", f"/threads/{uuid.uuid4()}/runs/{rid}")


@scenario("runs: if_not_exists, checkpoint and config options")
async def run_options(t: Target) -> None:
    fresh = str(uuid.uuid4())
    body = {**COUNTER, "if_not_exists": "create", "metadata": {"scenario": t.tag}}
    await t.http("wait, if_not_exists create", "POST", f"/threads/{fresh}/runs/wait", json=body)
    await t.http("thread made by the run", "GET", f"/threads/{fresh}")
    await t.http("wait, missing thread (reject)", "POST", f"/threads/{uuid.uuid4()}/runs/wait", json=COUNTER)
    history = await t.http("history", "POST", f"/threads/{fresh}/history", json={"limit": 10})
    first = history.body[-1]["checkpoint"]["checkpoint_id"]
    await t.http("wait from the first checkpoint", "POST", f"/threads/{fresh}/runs/wait", json={**COUNTER, "checkpoint_id": first})
    config = {"configurable": {"tag": "blue"}, "tags": ["t1"], "recursion_limit": 10}
    factory = {"assistant_id": "factory", "input": {}}
    await t.http("wait with config (factory)", "POST", f"/threads/{fresh}/runs/wait", json={**factory, "config": config})
    await t.http("wait with context (factory)", "POST", f"/threads/{fresh}/runs/wait", json={**factory, "context": {"tag": "green"}})
    runs = await t.http("list runs", "GET", f"/threads/{fresh}/runs")
    for i, run in enumerate(runs.body):
        await t.http(f"get run {i}", "GET", f"/threads/{fresh}/runs/{run['run_id']}")


@scenario("runs: another graph's failing run between two runs (counter, failing, counter)")
async def graphs_sharing_a_thread(t: Target) -> None:
    tid = await new_thread(t)
    await t.http("wait counter", "POST", f"/threads/{tid}/runs/wait", json=COUNTER)
    await t.http("wait failing", "POST", f"/threads/{tid}/runs/wait", json={"assistant_id": "failing", "input": {}})
    await t.http("state after the failure", "GET", f"/threads/{tid}/state")
    await t.http("wait counter again", "POST", f"/threads/{tid}/runs/wait", json=COUNTER)
    await t.http("history", "POST", f"/threads/{tid}/history", json={"limit": 10})


@scenario("runs: cancel a running run (interrupt, then rollback)")
async def cancel(t: Target) -> None:
    tid = await new_thread(t)
    rid = await background_run(t, "create slow run", tid, {"assistant_id": "slow", "input": slow_input("a", 40, 0.1)})
    await t.wait_items(tid, "a")
    await t.http("cancel (interrupt, wait=0)", "POST", f"/threads/{tid}/runs/{rid}/cancel", params={"wait": "0"})
    t.note("status after cancel", await t.wait_run(tid, rid))
    # How many items the run wrote before the cancel landed is timing.
    await t.http("cancelled run", "GET", f"/threads/{tid}/runs/{rid}")
    await t.http("thread after cancel", "GET", f"/threads/{tid}", mask_paths=["values.items"])
    await t.http("cancel it again", "POST", f"/threads/{tid}/runs/{rid}/cancel", params={"wait": "0"})
    await t.http("cancel a missing run", "POST", f"/threads/{tid}/runs/{uuid.uuid4()}/cancel")
    second = await background_run(t, "create slow run 2", tid, {"assistant_id": "slow", "input": slow_input("b", 40, 0.1)})
    await t.wait_items(tid, "b")
    rollback = {"wait": "1", "action": "rollback"}
    await t.http("cancel (rollback, wait=1)", "POST", f"/threads/{tid}/runs/{second}/cancel", params=rollback, mask_paths=["items"])
    t.note("run after rollback", await t.wait_run(tid, second))
    await t.wait_thread(tid, give_up_after=3.0)
    await t.http("rolled-back run", "GET", f"/threads/{tid}/runs/{second}")
    await t.http("thread after rollback", "GET", f"/threads/{tid}", mask_paths=["values.items"])
    await t.http("runs after rollback", "GET", f"/threads/{tid}/runs")


@scenario("runs: cancel many (POST /runs/cancel)")
async def cancel_many(t: Target) -> None:
    tid = await new_thread(t)
    rid = await background_run(t, "create slow run", tid, {"assistant_id": "slow", "input": slow_input("a", 40, 0.1)})
    await t.wait_items(tid, "a")
    await t.http("cancel by ids", "POST", "/runs/cancel", json={"thread_id": tid, "run_ids": [rid]})
    t.note("status after cancel", await t.wait_run(tid, rid))
    await t.http("cancel finished runs by ids", "POST", "/runs/cancel", json={"thread_id": tid, "run_ids": [rid]})
    await t.http("cancel, bad status", "POST", "/runs/cancel", json={"status": "nope"})
    await t.http("cancel, ids without thread", "POST", "/runs/cancel", json={"run_ids": [rid]})


@scenario("runs: multitask reject and enqueue")
async def reject_and_enqueue(t: Target) -> None:
    tid = await new_thread(t)
    first = await background_run(t, "create slow run", tid, {"assistant_id": "slow", "input": slow_input("a", 4, 0.3)})
    await t.wait_run(tid, first, until=frozenset({"running"}))
    await t.http("reject while running", "POST", f"/threads/{tid}/runs", json={**COUNTER, "multitask_strategy": "reject"})
    await t.http("stream, reject while running", "POST", f"/threads/{tid}/runs/stream", json={**COUNTER, "multitask_strategy": "reject"})
    await t.http("wait, reject while running", "POST", f"/threads/{tid}/runs/wait", json={**COUNTER, "multitask_strategy": "reject"})
    second = await background_run(t, "enqueue while running", tid, {"assistant_id": "slow", "input": slow_input("b", 2, 0.05)})
    await t.http("state while running", "GET", f"/threads/{tid}", mask_paths=["values"])
    t.note("first run", await t.wait_run(tid, first))
    t.note("second run", await t.wait_run(tid, second))
    await t.wait_thread(tid)
    await t.http("thread after both", "GET", f"/threads/{tid}")
    await t.http("runs after both", "GET", f"/threads/{tid}/runs")


@scenario("runs: multitask interrupt and rollback")
async def interrupt_and_rollback(t: Target) -> None:
    tid = await new_thread(t)
    first = await background_run(t, "create slow run", tid, {"assistant_id": "slow", "input": slow_input("a", 40, 0.1)})
    await t.wait_items(tid, "a")
    interrupting = {"assistant_id": "slow", "input": slow_input("b", 2, 0.05), "multitask_strategy": "interrupt"}
    second = await background_run(t, "interrupt it", tid, interrupting)
    t.note("first run", await t.wait_run(tid, first))
    t.note("second run", await t.wait_run(tid, second))
    await t.wait_thread(tid)
    await t.http("thread after interrupt", "GET", f"/threads/{tid}", mask_paths=["values.items"])
    third = await background_run(t, "create slow run 3", tid, {"assistant_id": "slow", "input": slow_input("c", 40, 0.1)})
    await t.wait_items(tid, "c")
    rolling_back = {"assistant_id": "slow", "input": slow_input("d", 2, 0.05), "multitask_strategy": "rollback"}
    fourth = await background_run(t, "roll it back", tid, rolling_back)
    t.note("third run", await t.wait_run(tid, third))
    t.note("fourth run", await t.wait_run(tid, fourth))
    await t.wait_thread(tid)
    await t.http("thread after rollback", "GET", f"/threads/{tid}", mask_paths=["values.items"])
    await t.http("rolled-back run", "GET", f"/threads/{tid}/runs/{third}")
    await t.http("runs after both", "GET", f"/threads/{tid}/runs")


@scenario("runs: resumable stream, replay and join")
async def resumable(t: Target) -> None:
    tid = await new_thread(t)
    body = {"assistant_id": "counter", "input": {"log": []}, "stream_mode": ["values", "updates"], "stream_resumable": True}
    reply = await stream(t, "resumable stream", tid, body)
    rid = reply.frames[0]["data"]["run_id"]
    await t.wait_run(tid, rid)
    join = f"/threads/{tid}/runs/{rid}/stream"
    await t.http("join, Last-Event-ID -1", "GET", join, headers={"Last-Event-ID": "-1"})
    await t.http("join, Last-Event-ID 0", "GET", join, headers={"Last-Event-ID": "0"})
    everything = {"Last-Event-ID": "-1"}
    await t.http("join, Last-Event-ID -1, stream_mode updates", "GET", join, headers=everything, params={"stream_mode": "updates"})
    await t.http("join, Last-Event-ID of the last frame", "GET", join, headers={"Last-Event-ID": reply.frames[-1]["id"]})
    await t.http("join finished run, no Last-Event-ID", "GET", join)
    await t.sdk_call("sdk join_stream, last_event_id -1", t.sdk.runs.join_stream(tid, rid, last_event_id="-1"))
    plain = await stream(t, "non-resumable stream", tid, {**body, "stream_resumable": False})
    plain_rid = plain.frames[0]["data"]["run_id"]
    await t.wait_run(tid, plain_rid)
    await t.http("join non-resumable, Last-Event-ID -1", "GET", f"/threads/{tid}/runs/{plain_rid}/stream", headers={"Last-Event-ID": "-1"})


@scenario("runs: join a run before it starts")
async def join_pending(t: Target) -> None:
    tid = await new_thread(t)
    first = await background_run(t, "create slow run", tid, {"assistant_id": "slow", "input": slow_input("a", 3, 0.3)})
    await t.wait_run(tid, first, until=frozenset({"running"}))
    second = await background_run(t, "enqueue a run", tid, {**COUNTER, "stream_mode": ["values", "updates"]})
    # Joined while pending: everything it does happens after the join.
    await t.http("join stream of the pending run", "GET", f"/threads/{tid}/runs/{second}/stream")
    await t.wait_run(tid, second)
    third = await background_run(t, "enqueue behind nothing", tid, COUNTER)
    await t.http("join (wait) the next run", "GET", f"/threads/{tid}/runs/{third}/join")
    fourth = await background_run(t, "create a run for the sdk", tid, COUNTER)
    await t.sdk_call("sdk runs.join", t.sdk.runs.join(tid, fourth))


@scenario("runs: join a missing run")
async def join_missing(t: Target) -> None:
    tid = await new_thread(t)
    missing = str(uuid.uuid4())
    await t.http("join stream of a missing run", "GET", f"/threads/{tid}/runs/{missing}/stream")
    await t.http("join of a missing run", "GET", f"/threads/{tid}/runs/{missing}/join")
    await t.http("join stream, missing thread", "GET", f"/threads/{uuid.uuid4()}/runs/{missing}/stream")
    await t.sdk_call("sdk join_stream of a missing run", t.sdk.runs.join_stream(tid, missing))
    await t.sdk_call("sdk join of a missing run", t.sdk.runs.join(tid, missing))
    await t.sdk_call("sdk get of a missing run", t.sdk.runs.get(tid, missing))


@scenario("runs: stateless")
async def stateless(t: Target) -> None:
    body = {"assistant_id": "counter", "input": {"log": ["s"]}, "stream_mode": ["values", "updates"]}
    await stream(t, "stateless stream", None, body)
    await t.http("stateless wait", "POST", "/runs/wait", json={**COUNTER, "metadata": {"scenario": t.tag}})
    await t.http("stateless wait, failing", "POST", "/runs/wait", json={"assistant_id": "failing", "input": {}})
    await t.http("stateless wait, interrupt", "POST", "/runs/wait", json={"assistant_id": "asker", "input": {}})
    run = await t.http("stateless background run", "POST", "/runs", json=COUNTER)
    t.note("background run ends", await t.wait_run(run["thread_id"], run["run_id"]))
    kept = await t.http("stateless, on_completion keep", "POST", "/runs", json={**COUNTER, "on_completion": "keep"})
    t.note("kept run ends", await t.wait_run(kept["thread_id"], kept["run_id"]))
    await t.http("kept thread", "GET", f"/threads/{kept['thread_id']}")
    await t.http("stateless resume", "POST", "/runs/wait", json={"assistant_id": "asker", "command": {"resume": "x"}})
    batch = await t.http("stateless batch", "POST", "/runs/batch", json=[COUNTER, COUNTER])
    for run in batch.body if isinstance(batch.body, list) else []:
        await t.wait_run(run["thread_id"], run["run_id"])
    chat = {"assistant_id": "chat", "input": {"messages": [{"role": "user", "content": "yo"}]}, "stream_mode": "messages-tuple"}
    await t.http("stateless stream, messages-tuple", "POST", "/runs/stream", json=chat)


@scenario("runs: bad requests")
async def bad_runs(t: Target) -> None:
    tid = await new_thread(t)
    runs = f"/threads/{tid}/runs"
    await t.http("invalid JSON", "POST", f"{runs}/stream", data=b"{nope")
    await t.http("no assistant_id", "POST", f"{runs}/stream", json={"input": {}})
    await t.http("unknown assistant", "POST", f"{runs}/stream", json={"assistant_id": "nope", "input": {}})
    await t.http("unknown assistant uuid", "POST", f"{runs}/wait", json={"assistant_id": str(uuid.uuid4()), "input": {}})
    await t.http("bad stream_mode", "POST", f"{runs}/stream", json={**COUNTER, "stream_mode": "bogus"})
    await t.http("stream_mode lifecycle", "POST", f"{runs}/stream", json={**COUNTER, "stream_mode": ["lifecycle"]})
    both = {**COUNTER, "context": {"a": 1}, "config": {"configurable": {"a": 1}}}
    await t.http("context and configurable", "POST", f"{runs}/wait", json=both)
    await t.http("bad multitask_strategy", "POST", runs, json={**COUNTER, "multitask_strategy": "nope"})
    await t.http("bad checkpoint_id", "POST", f"{runs}/wait", json={**COUNTER, "checkpoint_id": "nope"})
    await t.http("unknown checkpoint_id", "POST", f"{runs}/wait", json={**COUNTER, "checkpoint_id": str(uuid.uuid4())})
    await t.http("bad if_not_exists", "POST", runs, json={**COUNTER, "if_not_exists": "nope"})
    await t.http("input not JSON object", "POST", f"{runs}/wait", json={**COUNTER, "input": "text"})
    await t.http("bad interrupt_before", "POST", f"{runs}/wait", json={**COUNTER, "interrupt_before": 3})
    await t.http("unknown interrupt_before node", "POST", f"{runs}/wait", json={**COUNTER, "interrupt_before": ["nope"]})
    await t.http("bad after_seconds", "POST", runs, json={**COUNTER, "after_seconds": "soon"})
    await t.http("bad webhook", "POST", runs, json={**COUNTER, "webhook": "not a url"})
    await t.http("thread id not a uuid", "POST", "/threads/nope/runs", json=COUNTER)
    await t.http("stateless: bad stream_mode", "POST", "/runs/stream", json={**COUNTER, "stream_mode": "bogus"})
    await t.http("stateless: bad on_completion", "POST", "/runs", json={**COUNTER, "on_completion": "nope"})
    await t.http("stateless: unknown assistant", "POST", "/runs/wait", json={"assistant_id": "nope"})
