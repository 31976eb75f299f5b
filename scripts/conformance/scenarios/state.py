"""Thread state and history: reads, checkpoints, updates, subgraph state, and what graph
code sees of its run (the `introspect` graph returns its config and context)."""

from __future__ import annotations

import uuid

from ..recording import Target
from .base import new_thread, scenario


@scenario("state and history (counter)")
async def state_and_history(t: Target) -> None:
    tid = await new_thread(t)
    await t.http("state of an empty thread", "GET", f"/threads/{tid}/state")
    await t.http("history of an empty thread", "POST", f"/threads/{tid}/history", json={"limit": 10})
    await t.http("run (wait)", "POST", f"/threads/{tid}/runs/wait", json={"assistant_id": "counter", "input": {"log": ["a"]}})
    state = await t.http("state", "GET", f"/threads/{tid}/state")
    await t.http("history, limit 10", "POST", f"/threads/{tid}/history", json={"limit": 10})
    await t.http("history, default limit", "POST", f"/threads/{tid}/history", json={})
    await t.http("GET history, limit 2", "GET", f"/threads/{tid}/history", params={"limit": "2"})
    checkpoint = state["checkpoint"]
    await t.http("history, before (string)", "POST", f"/threads/{tid}/history", json={"limit": 10, "before": checkpoint["checkpoint_id"]})
    await t.http("history, metadata filter", "POST", f"/threads/{tid}/history", json={"limit": 10, "metadata": {"source": "input"}})
    parent = state["parent_checkpoint"]["checkpoint_id"]
    await t.http("state at a checkpoint", "GET", f"/threads/{tid}/state/{parent}")
    await t.http("state at a checkpoint (POST)", "POST", f"/threads/{tid}/state/checkpoint", json={"checkpoint": {"checkpoint_id": parent}})
    await t.http("state at a missing checkpoint", "GET", f"/threads/{tid}/state/{uuid.uuid4()}")
    await t.http("update state as_node", "POST", f"/threads/{tid}/state", json={"values": {"count": 10}, "as_node": "first"})
    await t.http("state after update", "GET", f"/threads/{tid}/state")
    await t.http("thread after update", "GET", f"/threads/{tid}")
    await t.http("update state, no as_node", "POST", f"/threads/{tid}/state", json={"values": {"log": ["u"]}})
    await t.http("update state from a checkpoint", "POST", f"/threads/{tid}/state", json={"values": {"count": 0}, "checkpoint_id": parent})
    await t.http("update state, unknown node", "POST", f"/threads/{tid}/state", json={"values": {"count": 1}, "as_node": "nope"})
    await t.http("update state, bad values", "POST", f"/threads/{tid}/state", json={"values": 3})
    await t.http("history after updates", "POST", f"/threads/{tid}/history", json={"limit": 3})
    missing = str(uuid.uuid4())
    await t.http("state of a missing thread", "GET", f"/threads/{missing}/state")
    await t.http("update state of a missing thread", "POST", f"/threads/{missing}/state", json={"values": {}})
    await t.http("history of a missing thread", "POST", f"/threads/{missing}/history", json={})
    bare = await new_thread(t, "create bare thread")
    await t.http("update state of a thread without graph", "POST", f"/threads/{bare}/state", json={"values": {}})


@scenario("state with subgraphs (nested, asker)")
async def subgraph_state(t: Target) -> None:
    tid = await new_thread(t)
    await t.http("run nested (wait)", "POST", f"/threads/{tid}/runs/wait", json={"assistant_id": "nested", "input": {"trail": []}})
    await t.http("state, subgraphs", "GET", f"/threads/{tid}/state", params={"subgraphs": "true"})
    await t.http("history", "POST", f"/threads/{tid}/history", json={"limit": 10})
    asked = await new_thread(t, "create asker thread")
    await t.http("run asker (wait)", "POST", f"/threads/{asked}/runs/wait", json={"assistant_id": "asker", "input": {}})
    await t.http("interrupted state", "GET", f"/threads/{asked}/state")
    await t.http("interrupted thread", "GET", f"/threads/{asked}")
    await t.http("resume (wait)", "POST", f"/threads/{asked}/runs/wait", json={"assistant_id": "asker", "command": {"resume": "Ada"}})
    await t.http("state after resume", "GET", f"/threads/{asked}/state")
    await t.http("update state of an interrupted thread", "POST", f"/threads/{asked}/state", json={"values": {"question": "q"}})


@scenario("what graph code sees (introspect)")
async def graph_config(t: Target) -> None:
    tid = await new_thread(t)
    run = {"assistant_id": "introspect", "input": {}}
    wait = f"/threads/{tid}/runs/wait"
    await t.http("run (wait)", "POST", wait, json=run)
    await t.http("run with configurable (wait)", "POST", wait, json={**run, "config": {"configurable": {"user_key": 1}}})
    await t.http("run with context (wait)", "POST", wait, json={**run, "context": {"ctx_key": 2}})
    await t.http("history (checkpoint metadata)", "POST", f"/threads/{tid}/history", json={"limit": 2})
    copy = await t.http("copy thread", "POST", f"/threads/{tid}/copy")
    await t.http("history of the copy", "POST", f"/threads/{copy['thread_id']}/history", json={"limit": 2})
    await t.http("stateless run (wait)", "POST", "/runs/wait", json=run)
