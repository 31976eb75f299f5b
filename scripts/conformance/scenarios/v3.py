"""Thread-centric streaming (v3): `run.start` on a thread the first command creates, the
thread's events over SSE (values, tokens, an interrupt answered with `input.respond`,
`since`), and the protocol's error replies. (The WebSocket carries the same events and
replies; the recorder speaks HTTP only.)"""

from __future__ import annotations

import uuid
from typing import Any

from ..recording import Reply, Target
from .base import scenario, slow_input

ALL = ["values", "updates", "messages", "tools", "lifecycle", "input", "checkpoints", "tasks", "custom"]
HELLO = {"messages": [{"role": "user", "content": "hi"}]}


def _root(event: str) -> Any:
    def until(frame: dict[str, Any]) -> bool:
        data = frame.get("data")
        return (
            isinstance(data, dict) and data.get("method") == "lifecycle" and data["params"]["namespace"] == []
            and data["params"]["data"].get("event") == event
        )
    return until


async def _command(t: Target, label: str, tid: str, method: str, params: dict[str, Any], cid: int = 1) -> Reply:
    return await t.http(label, "POST", f"/threads/{tid}/commands", json={"id": cid, "method": method, "params": params})


async def _events(t: Target, label: str, tid: str, until: Any, **body: Any) -> Reply:
    return await t.stream_until(label, f"/threads/{tid}/stream/events", until, method="POST", json={"channels": ALL, **body})


def _v3_scenario(graph: str, graph_input: Any) -> None:
    @scenario(f"v3: run.start creates the thread, its events over SSE ({graph})")
    async def play(t: Target) -> None:
        tid = str(uuid.uuid4())
        await t.http("thread before", "GET", f"/threads/{tid}")
        started = await _command(t, "run.start", tid, "run.start", {"assistant_id": graph, "input": graph_input})
        await _events(t, "thread events", tid, _root("completed"))
        await t.wait_thread(tid)
        await t.http("thread after", "GET", f"/threads/{tid}")
        await t.http("run after", "GET", f"/threads/{tid}/runs/{started['result']['run_id']}")
        await _events(t, "lifecycle only, since 1", tid, _root("completed"), channels=["lifecycle"], since=1)


_v3_scenario("slow", slow_input("v", 2, 0.0))
_v3_scenario("chat", HELLO)
_v3_scenario("talker", HELLO)


@scenario("v3: an interrupt answered with input.respond (asker)")
async def interrupt(t: Target) -> None:
    tid = str(uuid.uuid4())
    await _command(t, "run.start", tid, "run.start", {"assistant_id": "asker", "input": {"question": "name?"}})
    asked = await _events(t, "to the interrupt", tid, _root("interrupted"))
    await t.wait_thread(tid)
    requested = [f["data"] for f in asked.frames if f.get("event") == "input.requested"]
    iid = requested[0]["params"]["data"]["interrupt_id"] if requested else "none"
    await _command(t, "respond, unknown id", tid, "input.respond", {"interrupt_id": "nope", "response": 1})
    await _command(t, "respond", tid, "input.respond", {"interrupt_id": iid, "namespace": [], "response": "Ada"}, cid=2)
    last = asked.frames[-1]["data"]["seq"] if asked.frames else 0
    await _events(t, "after the answer", tid, _root("completed"), since=last)
    await t.wait_thread(tid)
    await t.http("state after", "GET", f"/threads/{tid}/state")


@scenario("v3: command and subscription errors")
async def errors(t: Target) -> None:
    tid = str(uuid.uuid4())
    at = f"/threads/{tid}/commands"
    await t.http("not JSON", "POST", at, data=b"{nope")
    await t.http("no id", "POST", at, json={"method": "run.start"})
    await t.http("string id", "POST", at, json={"id": "1", "method": "run.start"})
    for label, method, params in (
        ("unknown command", "state.get", {}),
        ("run.start, no assistant", "run.start", {}),
        ("run.start, unknown assistant", "run.start", {"assistant_id": "nosuch"}),
        ("run.start, bad checkpoint", "run.start", {"assistant_id": "slow", "config": {"configurable": {"checkpoint_id": "abc"}}}),
        ("run.start, bad tracer", "run.start", {"assistant_id": "slow", "langsmith_tracer": {"foo": "x"}}),
        ("respond, no run", "input.respond", {"interrupt_id": "x", "response": 1}),
        ("respond, no responses", "input.respond", {"responses": []}),
        ("respond, no id", "input.respond", {"response": 1}),
        ("getTree over HTTP", "agent.getTree", {}),
        ("reconnect over HTTP", "subscription.reconnect", {"channels": ["values"], "since": 0}),
        ("subscribe, no channels", "subscription.subscribe", {"channels": []}),
        ("subscribe, bad channel", "subscription.subscribe", {"channels": ["nope"]}),
        ("unsubscribe, unknown", "subscription.unsubscribe", {"subscription_id": "x"}),
    ):
        await _command(t, label, tid, method, params, cid=3)
    await _command(t, "run.start, bad thread id", "not-a-uuid", "run.start", {"assistant_id": "slow"})
    events = f"/threads/{tid}/stream/events"
    await t.http("events, not JSON", "POST", events, data=b"[1")
    await t.http("events, no channels", "POST", events, json={})
    await t.http("events, bad channels", "POST", events, json={"channels": ["values", "debug", 3]})
